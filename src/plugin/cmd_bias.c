/* `bias-scan`: per protected attribute and group, the count, share, positive-label rate,
 * disparate impact against the attribute's most favoured group and the four-fifths verdict.
 * One streamed pass; memory is one map entry per distinct (attribute, group). --apply records
 * the scan on a DatasetVersion's status (plugin/apply.c). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/mem.h"
#include "plugin/cli.h"
#include "plugin/commands.h"
#include "plugin/csvstream.h"

#define FOUR_FIFTHS 0.8

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
    "      --apply dsv/NAME    record the scan on this DatasetVersion\n";

typedef struct bctx {
    const mg_strvec *prot;
    const char *label;
    const char *positive;
    size_t poslen;
    int *idx;
    int lidx;
    mg_cmap *maps; /* one per protected attribute: group -> a=count, b=positives */
} bctx;

static int on_row(const mg_csv_row *row, void *ud, mg_error *err) {
    bctx *b = ud;
    if (row->record == 0) {
        b->idx = mg_xcalloc(b->prot->n, sizeof *b->idx);
        for (size_t i = 0; i < b->prot->n; i++) {
            b->idx[i] = mg_csv_find_column(row, b->prot->v[i]);
            if (b->idx[i] < 0)
                return mg_error_set(err, MG_EINVAL, "column %s is not in the header", b->prot->v[i]);
        }
        b->lidx = mg_csv_find_column(row, b->label);
        if (b->lidx < 0)
            return mg_error_set(err, MG_EINVAL, "label column %s is not in the header", b->label);
        int *keep = mg_xmalloc((b->prot->n + 1) * sizeof *keep);
        memcpy(keep, b->idx, b->prot->n * sizeof *keep);
        keep[b->prot->n] = b->lidx;
        mg_csv_keep_columns(row, keep, b->prot->n + 1);
        free(keep);
        return 0;
    }
    bool pos = row->len[b->lidx] == b->poslen && !memcmp(row->field[b->lidx], b->positive, b->poslen);
    for (size_t i = 0; i < b->prot->n; i++) {
        mg_cmap_entry *e = mg_cmap_get(&b->maps[i], row->field[b->idx[i]], row->len[b->idx[i]]);
        e->a++;
        e->b += pos;
    }
    return 0;
}

/* Implemented in plugin/apply.c. */
int mg_plugin_apply_bias_scan(const mg_global *g, const char *target, json_t *scan, const char *cmd);

int mg_cmd_bias_scan(int argc, char **argv) {
    const char *cmd = argv[0];
    mg_global g = {0};
    mg_strvec ops = {0}, raw = {0}, prot = {0};
    const char *label = NULL, *positive = "1", *apply = NULL;
    const mg_opt opts[] = {
        {"protected", 0, MG_OPT_LIST, &raw},
        {"label", 0, MG_OPT_VALUE, &label},
        {"positive", 0, MG_OPT_VALUE, &positive},
        {"apply", 0, MG_OPT_VALUE, &apply},
        {NULL, 0, 0, NULL},
    };
    bctx b = {.prot = &prot}, b2 = {0};
    json_t *o = NULL;
    int rc = mg_cli_parse(argc, argv, opts, &g, &ops, cmd);
    if (rc) goto out;
    if (g.help) {
        mg_cli_help(stdout, help);
        goto out;
    }
    if ((rc = mg_cli_split_columns(cmd, &raw, &prot, "protected"))) goto out;
    if (prot.n == 0 || !label) {
        rc = mg_cli_usage_error(cmd, "--protected and --label are required");
        goto out;
    }
    if (ops.n != 1) {
        rc = mg_cli_usage_error(cmd, "expected one input file, got %zu operand(s)", ops.n);
        goto out;
    }
    if (apply && strncmp(apply, "dsv/", 4) && strncmp(apply, "datasetversion/", 15) &&
        strncmp(apply, "datasetversions/", 16)) {
        rc = mg_cli_usage_error(cmd, "--apply takes dsv/NAME, not \"%s\"", apply);
        goto out;
    }
    b.label = label;
    b.positive = positive;
    b.poslen = strlen(positive);
    b.maps = mg_xcalloc(prot.n, sizeof *b.maps);
    b2 = b;
    b2.maps = mg_xcalloc(prot.n, sizeof *b2.maps);
    mg_error err = {0};
    mg_csv_result res;
    /* large files: two threads, each with its own counters, merged below */
    bool used2 = false;
    if (mg_csv_stream2(ops.v[0], true, on_row, &b, &b2, &used2, &res, &err)) {
        rc = mg_cli_fail(cmd, &err, MG_EXIT_DATA);
        goto out;
    }
    if (res.records == 0) {
        mg_error_set(&err, MG_EINVAL, "%s: no data rows", ops.v[0]);
        rc = mg_cli_fail(cmd, &err, MG_EXIT_DATA);
        goto out;
    }
    for (size_t i = 0; used2 && i < prot.n; i++)
        for (size_t k = 0; k < b2.maps[i].cap; k++) {
            mg_cmap_entry *e2 = &b2.maps[i].slots[k];
            if (!e2->hash) continue;
            mg_cmap_entry *e = mg_cmap_get(&b.maps[i], e2->key, e2->klen);
            e->a += e2->a;
            e->b += e2->b;
        }
    json_t *groups = json_array();
    bool passed = true;
    for (size_t i = 0; i < prot.n; i++) {
        mg_cmap *m = &b.maps[i];
        mg_cmap_entry **list = mg_xmalloc(m->n * sizeof *list);
        size_t n = 0;
        double best = 0;
        for (size_t s = 0; s < m->cap; s++) {
            if (!m->slots[s].hash) continue;
            list[n++] = &m->slots[s];
            double r = (double)m->slots[s].b / (double)m->slots[s].a;
            if (r > best) best = r;
        }
        qsort(list, n, sizeof *list, mg_cmap_entry_key_cmp);
        for (size_t k = 0; k < n; k++) {
            double rate = (double)list[k]->b / (double)list[k]->a;
            double di = best > 0 ? rate / best : 1.0;
            bool pass = di >= FOUR_FIFTHS;
            passed = passed && pass;
            json_array_append_new(groups, json_pack("{s:s,s:o,s:I,s:f,s:f,s:f,s:b}", "attribute", prot.v[i],
                                                    "group", mg_json_bytes(list[k]->key, list[k]->klen),
                                                    "count", (json_int_t)list[k]->a, "share",
                                                    (double)list[k]->a / (double)res.records, "positiveRate",
                                                    rate, "disparateImpact", di, "fourFifthsPass", pass));
        }
        free(list);
    }
    o = json_pack("{s:s,s:s,s:I,s:s,s:o,s:b}", "label", label, "positive", positive, "rows",
                  (json_int_t)res.records, "fileDigest", res.digest, "groups", groups, "passed", passed);
    if (g.out == MG_OUT_TABLE) {
        static const char *const hdr[] = {"attribute",        "group",      "count", "share", "positive-rate",
                                          "disparate-impact", "four-fifths"};
        mg_table t;
        mg_table_init(&t, 7, hdr);
        size_t i;
        json_t *x;
        json_array_foreach(groups, i, x) {
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
        printf("\nlabel %s = %s; %llu rows; %s; bias scan %s\n", label, positive,
               (unsigned long long)res.records, res.digest, passed ? "PASSED" : "FAILED");
    } else {
        mg_cli_print(o, g.out);
    }
    if (apply) {
        int arc = mg_plugin_apply_bias_scan(&g, apply, o, cmd);
        if (arc) {
            rc = arc;
            goto out;
        }
    }
    rc = passed ? 0 : MG_EXIT_POLICY;
out:
    json_decref(o);
    if (b.maps)
        for (size_t i = 0; i < prot.n; i++)
            mg_cmap_free(&b.maps[i]);
    if (b2.maps)
        for (size_t i = 0; i < prot.n; i++)
            mg_cmap_free(&b2.maps[i]);
    free(b.maps);
    free(b.idx);
    free(b2.maps);
    free(b2.idx);
    mg_strvec_free(&ops);
    mg_strvec_free(&raw);
    mg_strvec_free(&prot);
    return rc;
}
