/* `bias-scan`: per protected attribute and group, the count, share, positive-label rate,
 * disparate impact against the attribute's most favoured group and the four-fifths verdict.
 * Parse the command line, count and compute (data/bias), render as a table or JSON/YAML.
 * --apply records the scan on a DatasetVersion's status (plugin/apply.c). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "data/bias.h"
#include "plugin/cli.h"
#include "plugin/commands.h"

static const char help[] =
    "Usage: kubectl modelgov bias-scan --protected sex,race --label approved [--positive 1]\n"
    "                                  [--apply dsv/NAME] IN\n"
    "\n"
    "Scans the CSV file IN (streamed, one pass). For every protected attribute and every group\n"
    "(distinct value, compared as exact bytes; the empty value is a group too):\n"
    "  count           rows of the group\n"
    "  share           count / rows\n"
    "  positiveRate    rows whose label equals --positive (exact match) / count\n"
    "  disparateImpact positiveRate / the highest positiveRate among the attribute's groups (the\n"
    "                  most favoured group has 1); 1 for every group when all rates are 0\n"
    "  fourFifthsPass  disparateImpact >= 0.8 (the EEOC four-fifths rule)\n"
    "The scan passes when every group passes. Groups are listed by attribute (in --protected\n"
    "order), then by group value (bytewise).\n"
    "\n"
    "Output: table; -o json|yaml: {\"label\", \"positive\", \"rows\", \"fileDigest\", \"groups\":\n"
    "[{\"attribute\",\"group\",\"count\",\"share\",\"positiveRate\",\"disparateImpact\",\n"
    "\"fourFifthsPass\"}], \"passed\"}. Exit code 1 when the scan fails.\n"
    "\n"
    "--apply dsv/NAME (or datasetversion/NAME) writes status.biasScan of that DatasetVersion in\n"
    "the namespace (-n) through the status subresource: passed, scannedAt, tool {name:\n"
    "kubectl-modelgov, version}, fileDigest (sha256 of IN) and groups. Refused (exit 3) when\n"
    "fileDigest differs from the DatasetVersion's spec.digest.\n"
    "\n"
    "Flags:\n"
    "      --protected a,b     protected attribute columns (required; repeatable)\n"
    "      --label COL         label column (required)\n"
    "      --positive VALUE    label value counted as positive (default \"1\")\n"
    "      --apply dsv/NAME    record the scan on this DatasetVersion\n"
    "\n"
    "Examples:\n"
    "  kubectl modelgov bias-scan --protected sex,race --label approved loans.csv\n"
    "  kubectl modelgov bias-scan --protected sex --label approved --apply dsv/loans-2026-10 loans.csv\n";

typedef struct bias_args {
    mg_global g;
    mg_strvec ops, raw, prot;
    const char *label, *positive, *apply;
} bias_args;

static void bias_args_free(bias_args *a) {
    mg_strvec_free(&a->ops);
    mg_strvec_free(&a->raw);
    mg_strvec_free(&a->prot);
}

/* Returns true to go on; false with *rc the exit code (help shown or usage error printed). */
static bool parse_args(int argc, char **argv, bias_args *a, int *rc) {
    const char *cmd = argv[0];
    a->positive = "1";
    const mg_opt opts[] = {
        {"protected", 0, MG_OPT_LIST, &a->raw},
        {"label", 0, MG_OPT_VALUE, &a->label},
        {"positive", 0, MG_OPT_VALUE, &a->positive},
        {"apply", 0, MG_OPT_VALUE, &a->apply},
        {NULL, 0, 0, NULL},
    };
    if (!mg_cli_start(argc, argv, opts, &a->g, &a->ops, help, rc)) return false;
    if ((*rc = mg_cli_split_columns(cmd, &a->raw, &a->prot, "protected"))) return false;
    if (a->prot.n == 0 || !a->label) {
        *rc = mg_cli_usage_error(cmd, "--protected and --label are required");
        return false;
    }
    if ((*rc = mg_cli_operands(cmd, &a->ops, 1, 1, "one input file"))) return false;
    const char *t = a->apply;
    if (t && strncmp(t, "dsv/", 4) && strncmp(t, "datasetversion/", 15) &&
        strncmp(t, "datasetversions/", 16)) {
        *rc = mg_cli_usage_error(cmd, "--apply takes dsv/NAME, not \"%s\"", t);
        return false;
    }
    return true;
}

/* {"label", "positive", "rows", "fileDigest", "groups": [...], "passed"}: the scan's JSON (new
 * reference), also what --apply records. */
static json_t *scan_json(const bias_args *a, const mg_bias_counts *c) {
    json_t *groups = json_array();
    bool passed = true;
    for (size_t i = 0; i < a->prot.n; i++) {
        mg_bias_group *gs = mg_xcalloc(c->maps[i].n + 1, sizeof *gs);
        passed = mg_bias_groups(&c->maps[i], c->rows, gs) && passed;
        for (size_t k = 0; k < c->maps[i].n; k++)
            json_array_append_new(
                groups, json_pack("{s:s,s:o,s:I,s:f,s:f,s:f,s:b}", "attribute", a->prot.v[i], "group",
                                  mg_json_bytes(gs[k].value, gs[k].vlen), "count", (json_int_t)gs[k].count,
                                  "share", gs[k].share, "positiveRate", gs[k].positive_rate,
                                  "disparateImpact", gs[k].disparate_impact, "fourFifthsPass", gs[k].pass));
        free(gs);
    }
    return json_pack("{s:s,s:s,s:I,s:s,s:o,s:b}", "label", a->label, "positive", a->positive, "rows",
                     (json_int_t)c->rows, "fileDigest", c->digest, "groups", groups, "passed", passed);
}

static void print_table(const bias_args *a, const json_t *o) {
    static const char *const hdr[] = {"attribute",        "group",      "count", "share", "positive-rate",
                                      "disparate-impact", "four-fifths"};
    mg_table t;
    mg_table_init(&t, 7, hdr);
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(o, "groups"), i, x) {
        char c[32], s[32], r[32], d[32];
        snprintf(c, sizeof c, "%lld", (long long)json_integer_value(json_object_get(x, "count")));
        const char *row[] = {
            json_string_value(json_object_get(x, "attribute")),
            json_string_value(json_object_get(x, "group")),
            c,
            mg_fmt_num(json_real_value(json_object_get(x, "share")), s, sizeof s),
            mg_fmt_num(json_real_value(json_object_get(x, "positiveRate")), r, sizeof r),
            mg_fmt_num(json_real_value(json_object_get(x, "disparateImpact")), d, sizeof d),
            json_is_true(json_object_get(x, "fourFifthsPass")) ? "pass" : "FAIL",
        };
        mg_table_add(&t, row);
    }
    mg_table_print(&t, stdout);
    mg_table_free(&t);
    printf("\nlabel %s = %s; %llu rows; %s; bias scan %s\n", a->label, a->positive,
           (unsigned long long)json_integer_value(json_object_get(o, "rows")),
           json_string_value(json_object_get(o, "fileDigest")),
           json_is_true(json_object_get(o, "passed")) ? "PASSED" : "FAILED");
}

/* Implemented in plugin/apply.c. */
int mg_plugin_apply_bias_scan(const mg_global *g, const char *target, json_t *scan, const char *cmd);

int mg_cmd_bias_scan(int argc, char **argv) {
    bias_args a = {0};
    mg_bias_counts counts = {0};
    json_t *o = NULL;
    int rc;
    if (!parse_args(argc, argv, &a, &rc)) goto out;
    mg_bias_spec spec = {.attrs = a.prot.v, .nattrs = a.prot.n, .label = a.label, .positive = a.positive};
    mg_error err = {0};
    if (mg_bias_count_file(a.ops.v[0], &spec, &counts, &err)) {
        rc = mg_cli_fail(argv[0], &err, MG_EXIT_DATA);
        goto out;
    }
    o = scan_json(&a, &counts);
    if (a.g.out == MG_OUT_TABLE)
        print_table(&a, o);
    else
        mg_cli_print(o, a.g.out);
    if (a.apply && (rc = mg_plugin_apply_bias_scan(&a.g, a.apply, o, argv[0]))) goto out;
    rc = json_is_true(json_object_get(o, "passed")) ? 0 : MG_EXIT_POLICY;
out:
    json_decref(o);
    mg_bias_counts_free(&counts);
    bias_args_free(&a);
    return rc;
}
