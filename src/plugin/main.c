/* kubectl-modelgov entry point: finds the (sub)command word among kubectl-style global flags
 * and hands the remaining arguments to it. See `kubectl modelgov --help`. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "plugin/cli.h"
#include "plugin/commands.h"

static const char top_help[] =
    "kubectl modelgov — ML model governance: the data steward's and reviewer's tool.\n"
    "\n"
    "Usage: kubectl modelgov COMMAND [flags] [operands]\n"
    "\n"
    "Data commands (local files, no cluster needed):\n"
    "  dataset hash FILE...          sha256 digest and size of files (streamed)\n"
    "  pseudonymize IN OUT           replace columns by keyed HMAC-SHA256 tokens, drop columns,\n"
    "                                write a report and print its digest\n"
    "  anonymity IN                  k-anonymity over quasi-identifier columns\n"
    "  bias-scan IN                  per-group positive rates, disparate impact, four-fifths rule;\n"
    "                                --apply dsv/NAME records it on a DatasetVersion\n"
    "  baseline IN                   a ModelVersion baseline (quantile bins, group rates)\n"
    "  drift                         PSI, KS, JS distance, Wasserstein, chi-square between two files\n"
    "\n"
    "Governance commands (cluster; kubeconfig, --context, -n):\n"
    "  dataset register FILE         create a DatasetVersion with the file's digest\n"
    "  review MV --kind K --approve|--reject -m TEXT\n"
    "                                a ModelReview (security, performance, bias) as yourself\n"
    "  quarantine MV --reason TEXT   incident review (confirm): quarantine a model version\n"
    "  release MD -m TEXT            incident review (release): lift a quarantine/AwaitingReview\n"
    "  status [MD]                   model, version, phase, accuracy, worst PSI, fairness, quarantined\n"
    "  lineage MV                    model version -> training run -> dataset versions (tree)\n"
    "  history MD                    versions served over time, breaches, incident reviews\n"
    "  report MV|md/NAME             the governance report of a model version: one HTML page\n"
    "                                (or -o md|json) with lineage, reviews, monitoring, incidents\n"
    "\n"
    "Other:\n"
    "  completion bash|zsh           shell completion script (see its --help for kubectl modelgov <TAB>)\n"
    "  version                       print the version (also --version)\n"
    "\n"
    "Run 'kubectl modelgov COMMAND --help' for a command's flags.\n";

static const char dataset_help[] =
    "Usage: kubectl modelgov dataset SUBCOMMAND ...\n"
    "\n"
    "Subcommands:\n"
    "  hash FILE...     sha256 digest and size of files\n"
    "  register FILE    create a DatasetVersion with the file's digest (cluster)\n";

int mg_cmd_find_word(int argc, char **argv, int from) {
    for (int i = from; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) return i + 1 < argc ? i + 1 : -1;
        if (a[0] != '-' || a[1] == '\0') return i;
        /* global flags that take a separate value */
        if (!strcmp(a, "--kubeconfig") || !strcmp(a, "--context") || !strcmp(a, "--namespace") ||
            !strcmp(a, "-n") || !strcmp(a, "--output") || !strcmp(a, "-o"))
            i++;
    }
    return -1;
}

int mg_cmd_shift(int argc, char **argv, int idx, char *name) {
    for (int i = idx; i + 1 < argc; i++)
        argv[i] = argv[i + 1];
    argc--;
    argv[0] = name;
    return argc;
}

static bool has_flag(int argc, char **argv, const char *a, const char *b) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--")) return false;
        if (!strcmp(argv[i], a) || (b && !strcmp(argv[i], b))) return true;
    }
    return false;
}

static int print_version(void) {
    printf("kubectl-modelgov %s\n", MG_VERSION);
    return 0;
}

/* No command word: --version, --help, or usage on stderr. */
static int no_command(int argc, char **argv) {
    if (has_flag(argc, argv, "--version", NULL)) return print_version();
    if (has_flag(argc, argv, "--help", "-h")) {
        mg_cli_help(stdout, top_help);
        return 0;
    }
    mg_cli_help(stderr, top_help);
    return MG_EXIT_USAGE;
}

typedef struct command {
    char *name; /* becomes argv[0] of the command */
    int (*fn)(int, char **);
} command;

static const command dataset_cmds[] = {
    {"dataset hash", mg_cmd_dataset_hash},
    {"dataset register", mg_cmd_dataset_register},
};

/* "dataset SUB ...": both words leave argv and argv[0] becomes "dataset SUB". */
static int run_dataset(int argc, char **argv, int w) {
    int s = mg_cmd_find_word(argc, argv, w + 1);
    if (s < 0) {
        bool help = has_flag(argc, argv, "--help", "-h");
        mg_cli_help(help ? stdout : stderr, dataset_help);
        return help ? 0 : MG_EXIT_USAGE;
    }
    const char *sub = argv[s];
    for (size_t i = 0; i < sizeof dataset_cmds / sizeof *dataset_cmds; i++) {
        const command *c = &dataset_cmds[i];
        if (strcmp(sub, c->name + strlen("dataset "))) continue;
        argc = mg_cmd_shift(argc, argv, s, c->name);
        argc = mg_cmd_shift(argc, argv, w, c->name);
        return c->fn(argc, argv);
    }
    fprintf(stderr, "kubectl-modelgov: unknown command \"dataset %s\"\n", sub);
    mg_cli_help(stderr, dataset_help);
    return MG_EXIT_USAGE;
}

static const command cmds[] = {
    {"pseudonymize", mg_cmd_pseudonymize}, {"anonymity", mg_cmd_anonymity}, {"bias-scan", mg_cmd_bias_scan},
    {"baseline", mg_cmd_baseline},         {"drift", mg_cmd_drift},         {"review", mg_cmd_review},
    {"quarantine", mg_cmd_quarantine},     {"release", mg_cmd_release},     {"status", mg_cmd_status},
    {"lineage", mg_cmd_lineage},           {"history", mg_cmd_history},     {"report", mg_cmd_report},
    {"completion", mg_cmd_completion},     {"__complete", mg_cmd_complete},
};

static int run(int argc, char **argv) {
    int w = mg_cmd_find_word(argc, argv, 1);
    if (w < 0) return no_command(argc, argv);
    char *cmd = argv[w];
    if (!strcmp(cmd, "version")) return print_version();
    if (!strcmp(cmd, "dataset")) return run_dataset(argc, argv, w);
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
        if (strcmp(cmd, cmds[i].name)) continue;
        argc = mg_cmd_shift(argc, argv, w, cmd);
        return cmds[i].fn(argc, argv);
    }
    fprintf(stderr, "kubectl-modelgov: unknown command \"%s\"\nRun 'kubectl modelgov --help' for usage.\n",
            cmd);
    return MG_EXIT_USAGE;
}

/* Output that could not be written (a full disk, a closed pipe) fails the command: a listing or
 * digest cut short must not exit 0. */
int main(int argc, char **argv) {
    mg_mem_init();
    int rc = run(argc, argv);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "kubectl-modelgov: error: writing to stdout failed: %s\n", strerror(errno));
        if (rc == 0) rc = MG_EXIT_DATA;
    }
    return rc;
}
