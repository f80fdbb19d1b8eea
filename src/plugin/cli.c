#include "plugin/cli.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"
#include "core/yaml.h"

void mg_strvec_push(mg_strvec *s, const char *str) {
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 8;
        s->v = mg_xrealloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = s->owned ? mg_xstrdup(str) : str;
}

int mg_strvec_split(mg_strvec *s, const char *csv) {
    s->owned = true;
    const char *p = csv;
    for (;;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 0) return -1;
        char *item = mg_xstrndup(p, n);
        mg_strvec_push(s, item);
        free(item);
        if (!e) break;
        p = e + 1;
    }
    return 0;
}

void mg_strvec_free(mg_strvec *s) {
    if (s->owned)
        for (size_t i = 0; i < s->n; i++)
            free((char *)s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

static const mg_opt global_opts[] = {
    {"kubeconfig", 0, MG_OPT_VALUE, NULL},  {"context", 0, MG_OPT_VALUE, NULL},
    {"namespace", 'n', MG_OPT_VALUE, NULL}, {"output", 'o', MG_OPT_VALUE, NULL},
    {"help", 'h', MG_OPT_FLAG, NULL},       {NULL, 0, 0, NULL},
};

static void *global_dest(mg_global *g, size_t i) {
    switch (i) {
    case 0: return &g->kubeconfig;
    case 1: return &g->context;
    case 2: return &g->namespace_;
    case 3: return &g->output;
    default: return &g->help;
    }
}

int mg_cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "kubectl-modelgov %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nSee 'kubectl modelgov %s --help'.\n", cmd);
    return MG_EXIT_USAGE;
}

/* Finds the option: by long name (nlen bytes of name) or short letter. */
static int find_opt(const mg_opt *opts, const char *name, size_t nlen, char sh, const mg_opt **out,
                    void **dest, mg_global *g) {
    for (int pass = 0; pass < 2; pass++) {
        const mg_opt *tab = pass ? global_opts : opts;
        for (size_t i = 0; tab && tab[i].name; i++) {
            bool hit = sh ? tab[i].short_name == sh
                          : (strlen(tab[i].name) == nlen && !strncmp(tab[i].name, name, nlen));
            if (!hit) continue;
            *out = &tab[i];
            *dest = pass ? global_dest(g, i) : tab[i].dest;
            return 0;
        }
    }
    return -1;
}

static void store(const mg_opt *o, void *dest, const char *val) {
    switch (o->kind) {
    case MG_OPT_FLAG: *(bool *)dest = true; break;
    case MG_OPT_VALUE: *(const char **)dest = val; break;
    case MG_OPT_LIST: mg_strvec_push(dest, val); break;
    }
}

static bool has_format(const char *const *formats, const char *name) {
    for (size_t i = 0; formats && formats[i]; i++)
        if (!strcmp(formats[i], name)) return true;
    return false;
}

int mg_cli_parse(int argc, char **argv, const mg_opt *opts, mg_global *g, mg_strvec *operands,
                 const char *cmd) {
    bool only_operands = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_operands || a[0] != '-' || a[1] == '\0') { /* "-" alone is an operand (stdin) */
            mg_strvec_push(operands, a);
            continue;
        }
        if (!strcmp(a, "--")) {
            only_operands = true;
            continue;
        }
        const mg_opt *o = NULL;
        void *dest = NULL;
        const char *val = NULL;
        if (a[1] == '-') {
            const char *name = a + 2, *eq = strchr(name, '=');
            size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
            if (find_opt(opts, name, nlen, 0, &o, &dest, g))
                return mg_cli_usage_error(cmd, "unknown flag: --%.*s", (int)nlen, name);
            if (o->kind == MG_OPT_FLAG) {
                if (eq) {
                    if (!strcmp(eq + 1, "true")) {
                    } else if (!strcmp(eq + 1, "false")) {
                        *(bool *)dest = false;
                        continue;
                    } else {
                        return mg_cli_usage_error(cmd, "flag --%s takes no value (or =true/=false)", o->name);
                    }
                }
            } else if (eq) {
                val = eq + 1;
            } else if (i + 1 < argc) {
                val = argv[++i];
            } else {
                return mg_cli_usage_error(cmd, "flag needs an argument: --%s", o->name);
            }
        } else {
            if (find_opt(opts, NULL, 0, a[1], &o, &dest, g))
                return mg_cli_usage_error(cmd, "unknown shorthand flag: '%c' in %s", a[1], a);
            if (o->kind == MG_OPT_FLAG) {
                if (a[2]) return mg_cli_usage_error(cmd, "flag -%c takes no value", a[1]);
            } else if (a[2]) {
                val = a[2] == '=' ? a + 3 : a + 2;
            } else if (i + 1 < argc) {
                val = argv[++i];
            } else {
                return mg_cli_usage_error(cmd, "flag needs an argument: '%c' in -%c", a[1], a[1]);
            }
        }
        store(o, dest, val);
    }
    if (g->help) return 0;
    if (!g->output || !strcmp(g->output, "table") || !strcmp(g->output, "wide")) {
        g->out = MG_OUT_TABLE;
    } else if (!strcmp(g->output, "json")) {
        g->out = MG_OUT_JSON;
    } else if (!strcmp(g->output, "yaml")) {
        g->out = MG_OUT_YAML;
    } else if (has_format(g->formats, g->output)) {
        g->out = MG_OUT_OTHER;
    } else {
        return mg_cli_usage_error(cmd, "unknown output format %s (table, json or yaml)", g->output);
    }
    return 0;
}

bool mg_cli_start(int argc, char **argv, const mg_opt *opts, mg_global *g, mg_strvec *operands,
                  const char *help, int *rc) {
    if ((*rc = mg_cli_parse(argc, argv, opts, g, operands, argv[0]))) return false;
    if (g->help) mg_cli_help(stdout, help);
    return !g->help;
}

int mg_cli_operands(const char *cmd, const mg_strvec *operands, size_t min, size_t max, const char *what) {
    if (operands->n >= min && operands->n <= max) return 0;
    return mg_cli_usage_error(cmd, "expected %s, got %zu operand(s)", what, operands->n);
}

void mg_cli_help(FILE *f, const char *text) {
    fputs(text, f);
    fputs("\nGlobal flags (every command):\n"
          "      --kubeconfig FILE     kubeconfig to use (default $KUBECONFIG, ~/.kube/config)\n"
          "      --context NAME        kubeconfig context to use\n"
          "  -n, --namespace NS        namespace (default: the context's)\n"
          "  -o, --output FORMAT       table (default), json or yaml\n"
          "  -h, --help                show help for this command\n"
          "Options may come before or after operands; '--' ends the options.\n"
          "\nExit codes:\n"
          "  0  success\n"
          "  1  a policy check failed (k below --k, bias scan failed, drift over a threshold)\n"
          "  2  usage error (unknown flag, missing operand)\n"
          "  3  input/data error (unreadable or malformed CSV, bad key file)\n"
          "  4  cluster/API error (kubeconfig, Kubernetes API refused or unreachable)\n",
          f);
}

int mg_cli_fail(const char *cmd, const mg_error *err, int exit_code) {
    /* the API server's 401 says only "Unauthorized": say what it means for the user, as kubectl
     * does (a Prometheus or registry 401 is not about the kubeconfig) */
    bool api_401 =
        exit_code == MG_EXIT_CLUSTER && err->http_status == 401 && !strcmp(err->reason, "Unauthorized");
    const char *hint = api_401 ? " (the API server did not accept this kubeconfig's credentials: expired or "
                                 "revoked? log in again)"
                               : "";
    fprintf(stderr, "kubectl-modelgov %s: error: %s%s\n", cmd,
            err->message[0] ? err->message : mg_strerror(err->code), hint);
    return exit_code;
}

void mg_cli_print_json(const json_t *v) {
    json_dumpf(v, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15) | JSON_ENCODE_ANY);
    fputc('\n', stdout);
}

/* core/yaml's libyaml emitter (round-trips exactly). It refuses nesting beyond 512 levels;
 * such a tree is printed as JSON, which is valid YAML too. */
void mg_cli_print_yaml(const json_t *v) {
    char *y = mg_yaml_dump(v);
    if (!y) {
        mg_cli_print_json(v);
        return;
    }
    fputs(y, stdout);
    free(y);
}

void mg_cli_print(const json_t *v, mg_outfmt f) {
    if (f == MG_OUT_JSON)
        mg_cli_print_json(v);
    else
        mg_cli_print_yaml(v);
}

void mg_table_init(mg_table *t, size_t ncols, const char *const *headers) {
    memset(t, 0, sizeof *t);
    t->ncols = ncols;
    t->cells.owned = true;
    mg_table_add(t, headers);
}

void mg_table_add(mg_table *t, const char *const *cells) {
    for (size_t i = 0; i < t->ncols; i++)
        mg_strvec_push(&t->cells, cells[i] ? cells[i] : "");
}

/* Display width: counts UTF-8 code points, not bytes, so UTF-8 values align. Control bytes
 * (e.g. newlines inside a CSV value) are shown escaped by the caller's choice; here they count 1. */
static size_t disp_width(const char *s) {
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xc0) != 0x80) w++;
    return w;
}

void mg_table_print(mg_table *t, FILE *f) {
    size_t *w = mg_xcalloc(t->ncols, sizeof *w);
    size_t rows = t->cells.n / t->ncols;
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < t->ncols; c++) {
            size_t x = disp_width(t->cells.v[r * t->ncols + c]);
            if (x > w[c]) w[c] = x;
        }
    for (size_t r = 0; r < rows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            const char *s = t->cells.v[r * t->ncols + c];
            if (r == 0) {
                for (const char *p = s; *p; p++)
                    fputc(*p >= 'a' && *p <= 'z' ? *p - 32 : *p, f);
            } else {
                /* escape control characters so one value stays on one line */
                for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                    if (*p == '\n')
                        fputs("\\n", f);
                    else if (*p == '\r')
                        fputs("\\r", f);
                    else if (*p < 0x20)
                        fprintf(f, "\\x%02x", *p);
                    else
                        fputc(*p, f);
                }
            }
            if (c + 1 < t->ncols) {
                size_t x = disp_width(s);
                for (size_t k = x; k < w[c] + 3; k++)
                    fputc(' ', f);
            }
        }
        fputc('\n', f);
    }
    free(w);
}

void mg_table_free(mg_table *t) { mg_strvec_free(&t->cells); }

const char *mg_fmt_num(double x, char *buf, size_t n) {
    if (isnan(x))
        snprintf(buf, n, "NaN");
    else if (isinf(x))
        snprintf(buf, n, x > 0 ? "+Inf" : "-Inf");
    else
        snprintf(buf, n, "%.4f", x);
    return buf;
}

int mg_cli_split_columns(const char *cmd, const mg_strvec *raw, mg_strvec *out, const char *flag) {
    for (size_t i = 0; i < raw->n; i++)
        if (mg_strvec_split(out, raw->v[i]))
            return mg_cli_usage_error(cmd, "--%s: empty column name in \"%s\"", flag, raw->v[i]);
    return 0;
}

/* --bins and --max-values (cli.h): a histogram needs two bins to say anything, and more than a
 * thousand say nothing more about drift; 50 million values per column fit in memory. */
#define BINS_DEFAULT 10
#define BINS_MIN 2
#define BINS_MAX 1000
#define MAX_VALUES_DEFAULT 50000000

int mg_cli_bins_max_values(const char *cmd, const char *bins_s, const char *maxv_s, long *bins, long *maxv) {
    *bins = BINS_DEFAULT;
    *maxv = MAX_VALUES_DEFAULT;
    char *end;
    if (bins_s && ((*bins = strtol(bins_s, &end, 10)) < BINS_MIN || *end || *bins > BINS_MAX))
        return mg_cli_usage_error(cmd, "--bins must be an integer in [%d, %d], not \"%s\"", BINS_MIN,
                                  BINS_MAX, bins_s);
    if (maxv_s && ((*maxv = strtol(maxv_s, &end, 10)) < 1 || *end))
        return mg_cli_usage_error(cmd, "--max-values must be a positive integer, not \"%s\"", maxv_s);
    return 0;
}
