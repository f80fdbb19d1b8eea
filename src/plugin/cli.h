/* plugin/cli — kubectl-style command-line parsing, output formats and shared helpers of
 * kubectl-modelgov.
 *
 * Owns: option parsing (cobra/kubectl rules: options and operands in any order, "--flag value",
 * "--flag=value", "-n value", "-nvalue", "--" ends options; the global flags --kubeconfig,
 * --context, -n/--namespace, -o/--output and -h/--help are accepted by every command), the
 * exit codes, output of JSON/YAML/tables on stdout and small string vectors. Every string a parser stores is
 * borrowed from argv. Everything here is single-threaded (the plugin is a one-shot CLI). */
#ifndef MG_PLUGIN_CLI_H
#define MG_PLUGIN_CLI_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/json.h"

/* Exit codes (documented in every --help). */
enum {
    MG_EXIT_OK = 0,
    MG_EXIT_POLICY = 1,  /* a check failed: k below --k, bias scan failed, drift over threshold */
    MG_EXIT_USAGE = 2,   /* bad command line */
    MG_EXIT_DATA = 3,    /* unreadable or malformed input, bad key file */
    MG_EXIT_CLUSTER = 4, /* kubeconfig or Kubernetes API error */
};

/* MG_OUT_OTHER: one of the command's own formats (mg_global.formats), named by g->output. */
typedef enum { MG_OUT_TABLE = 0, MG_OUT_JSON, MG_OUT_YAML, MG_OUT_OTHER } mg_outfmt;

typedef struct mg_strvec {
    const char **v; /* heap array of borrowed (or owned, see owned) strings */
    size_t n, cap;
    bool owned; /* true: the strings are heap copies freed by mg_strvec_free */
} mg_strvec;

void mg_strvec_push(mg_strvec *s, const char *str);
/* Splits "a,b,c" and pushes heap copies (sets owned); empty items are refused (returns -1). */
int mg_strvec_split(mg_strvec *s, const char *csv);
void mg_strvec_free(mg_strvec *s);
/* Splits every "a,b" of raw (the values of a repeatable --flag) into out; an empty column name
 * is a usage error ("--flag: empty column name in ..."). Returns 0 or MG_EXIT_USAGE. */
int mg_cli_split_columns(const char *cmd, const mg_strvec *raw, mg_strvec *out, const char *flag);

typedef enum { MG_OPT_FLAG, MG_OPT_VALUE, MG_OPT_LIST } mg_optkind;

typedef struct mg_opt {
    const char *name; /* long name without "--" */
    char short_name;  /* 0 when none */
    mg_optkind kind;  /* FLAG: bool *; VALUE: const char ** (last wins); LIST: mg_strvec * (repeatable) */
    void *dest;
} mg_opt;

typedef struct mg_global {
    const char *kubeconfig, *context, *namespace_, *output;
    mg_outfmt out;
    bool help;
    /* Set by a command before parsing: NULL-terminated names of further -o formats it accepts
     * (e.g. report's html and md); such a format gives out = MG_OUT_OTHER. */
    const char *const *formats;
} mg_global;

/* Parses argv[1..argc) (argv[0] is the command name). opts ends with a {NULL} entry. Operands
 * go to operands (borrowed). Returns 0, or MG_EXIT_USAGE after printing the problem and a hint
 * to stderr. When --help was given, g->help is set (and nothing else is validated). */
int mg_cli_parse(int argc, char **argv, const mg_opt *opts, mg_global *g, mg_strvec *operands,
                 const char *cmd);

/* The opening every command shares: parses argv with opts (as mg_cli_parse) and prints help
 * when --help was given. Returns true when the command goes on; false with *rc the exit code (0
 * after help, MG_EXIT_USAGE after a usage error, already printed). */
bool mg_cli_start(int argc, char **argv, const mg_opt *opts, mg_global *g, mg_strvec *operands,
                  const char *help, int *rc);
/* 0 when the operand count is in [min, max], else prints "expected WHAT, got N operand(s)" and
 * returns MG_EXIT_USAGE. */
int mg_cli_operands(const char *cmd, const mg_strvec *operands, size_t min, size_t max, const char *what);

/* Prints help text plus the global flags and exit codes. */
void mg_cli_help(FILE *f, const char *text);
/* Prints "kubectl-modelgov CMD: msg" and the --help hint to stderr; returns MG_EXIT_USAGE. */
int mg_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints the error to stderr and maps its code to an exit code (data errors → 3). */
int mg_cli_fail(const char *cmd, const mg_error *err, int exit_code);
/* Parses --bins (an integer in [2, 1000], default 10) and --max-values (a positive integer,
 * default 50000000); NULL strings keep the defaults. Returns 0 or MG_EXIT_USAGE (printed). */
int mg_cli_bins_max_values(const char *cmd, const char *bins_s, const char *maxv_s, long *bins, long *maxv);

/* Writes v (borrowed) to stdout as JSON (indent 2) or YAML. */
void mg_cli_print_json(const json_t *v);
void mg_cli_print_yaml(const json_t *v);
void mg_cli_print(const json_t *v, mg_outfmt f); /* JSON or YAML (TABLE prints YAML) */

/* A text table: columns aligned, header in capitals. */
typedef struct mg_table {
    size_t ncols;
    mg_strvec cells; /* owned, row-major, header first */
} mg_table;
void mg_table_init(mg_table *t, size_t ncols, const char *const *headers);
void mg_table_add(mg_table *t, const char *const *cells); /* copies */
void mg_table_print(mg_table *t, FILE *f);
void mg_table_free(mg_table *t);

/* Formats a double for tables ("%.4f" style without trailing noise); returns buf. */
const char *mg_fmt_num(double x, char *buf, size_t n);

#endif
