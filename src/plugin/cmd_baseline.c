/* `baseline`: the ModelVersion spec.baseline (README, metric contract) from a CSV of features, labels and
 * predictions. Quantile edges and histograms come from the shared stats module (src/stats), so
 * the operator compares live traffic with bins built by the same code. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "plugin/cli.h"
#include "plugin/commands.h"
#include "plugin/numcols.h"
#include "stats/stats.h"

static const char help[] =
    "Usage: kubectl modelgov baseline --features a,b [--bins N] [--label y] [--prediction p]\n"
    "                                 [--protected sex,race] [--positive 1] [--max-values N] IN\n"
    "\n"
    "Computes the ModelVersion spec.baseline (README: metric contract) from the CSV file IN and prints it\n"
    "(YAML by default; -o json for JSON). Fields:\n"
    "  samples      data rows of IN\n"
    "  features[]   {name, edges, proportions} per --features column (numeric): edges are the\n"
    "               quantiles i/N, i = 1..N-1, of the column's values (numpy.quantile, 'linear'),\n"
    "               duplicates removed; proportions has one more entry than edges: the share of\n"
    "               values in (-inf, e0], (e0, e1], ..., (e_last, +inf) (Prometheus `le` buckets)\n"
    "  accuracy, f1 when --label and --prediction are given: the positive class is --positive\n"
    "               (exact match) for both columns; f1 = 2TP/(2TP+FP+FN)\n"
    "  groups[]     when --protected and --prediction are given: {attribute, group,\n"
    "               positiveRate = P(prediction positive)} and, with --label,\n"
    "               truePositiveRate = TP/(TP+FN) (omitted when the group has no positive label)\n"
    "Empty feature values are missing (skipped); other non-numbers are an input error.\n"
    "\n"
    "Memory: exact quantiles need every value, so values are held as doubles (8 bytes per value\n"
    "per feature), capped by --max-values (default 50000000 = 400 MB); above it the command fails\n"
    "rather than approximating. Pass a sample of the file when it is larger.\n"
    "\n"
    "Flags:\n"
    "      --features a,b      numeric feature columns (required; repeatable)\n"
    "      --bins N            quantile bins per feature (default 10, >= 2)\n"
    "      --label COL         ground-truth column\n"
    "      --prediction COL    model prediction column\n"
    "      --protected a,b     protected attribute columns\n"
    "      --positive VALUE    the positive class (default \"1\")\n"
    "      --max-values N      cap on values held in memory (default 50000000)\n";

typedef struct grp {
    uint64_t n, pred_pos, label_pos, tp;
} grp;

typedef struct blctx {
    const mg_strvec *prot;
    const char *label, *pred, *positive;
    size_t poslen;
    int lidx, pidx;
    int *gidx;
    mg_cmap *maps; /* per attribute: group -> index into groups (a) */
    grp **groups;  /* per attribute: growable array */
    size_t *ngroups;
    mg_confusion cm;
} blctx;

static bool is_pos(const blctx *b, const mg_csv_row *row, int i) {
    return row->len[i] == b->poslen && !memcmp(row->field[i], b->positive, b->poslen);
}

static int on_row(const mg_csv_row *row, void *ud, mg_error *err) {
    blctx *b = ud;
    if (row->record == 0) {
        b->lidx = b->pidx = -1;
        if (b->label && (b->lidx = mg_csv_find_column(row, b->label)) < 0)
            return mg_error_set(err, MG_EINVAL, "label column %s is not in the header", b->label);
        if (b->pred && (b->pidx = mg_csv_find_column(row, b->pred)) < 0)
            return mg_error_set(err, MG_EINVAL, "prediction column %s is not in the header", b->pred);
        b->gidx = mg_xcalloc(b->prot->n + 1, sizeof *b->gidx);
        for (size_t i = 0; i < b->prot->n; i++)
            if ((b->gidx[i] = mg_csv_find_column(row, b->prot->v[i])) < 0)
                return mg_error_set(err, MG_EINVAL, "column %s is not in the header", b->prot->v[i]);
        return 0;
    }
    bool lp = b->lidx >= 0 && is_pos(b, row, b->lidx);
    bool pp = b->pidx >= 0 && is_pos(b, row, b->pidx);
    if (b->lidx >= 0 && b->pidx >= 0) {
        if (lp && pp)
            b->cm.tp++;
        else if (!lp && pp)
            b->cm.fp++;
        else if (lp && !pp)
            b->cm.fn++;
        else
            b->cm.tn++;
    }
    if (b->pidx < 0) return 0;
    for (size_t i = 0; i < b->prot->n; i++) {
        mg_cmap_entry *e = mg_cmap_get(&b->maps[i], row->field[b->gidx[i]], row->len[b->gidx[i]]);
        if (e->a == 0) { /* new group: a = 1-based index */
            b->groups[i] = mg_xrealloc(b->groups[i], (b->ngroups[i] + 1) * sizeof **b->groups);
            memset(&b->groups[i][b->ngroups[i]], 0, sizeof **b->groups);
            e->a = ++b->ngroups[i];
        }
        grp *g = &b->groups[i][e->a - 1];
        g->n++;
        g->pred_pos += pp;
        g->label_pos += lp;
        g->tp += lp && pp;
    }
    return 0;
}

int mg_cmd_baseline(int argc, char **argv) {
    const char *cmd = argv[0];
    mg_global g = {0};
    mg_strvec ops = {0}, rawf = {0}, rawp = {0}, feats = {0}, prot = {0};
    const char *bins_s = NULL, *label = NULL, *pred = NULL, *positive = "1", *maxv_s = NULL;
    const mg_opt opts[] = {
        {"features", 0, MG_OPT_LIST, &rawf},      {"bins", 0, MG_OPT_VALUE, &bins_s},
        {"label", 0, MG_OPT_VALUE, &label},       {"prediction", 0, MG_OPT_VALUE, &pred},
        {"protected", 0, MG_OPT_LIST, &rawp},     {"positive", 0, MG_OPT_VALUE, &positive},
        {"max-values", 0, MG_OPT_VALUE, &maxv_s}, {NULL, 0, 0, NULL},
    };
    blctx b = {.prot = &prot};
    mg_numcols nc = {0};
    json_t *o = NULL;
    int rc = mg_cli_parse(argc, argv, opts, &g, &ops, cmd);
    if (rc) goto out;
    if (g.help) {
        mg_cli_help(stdout, help);
        goto out;
    }
    if ((rc = mg_cli_split_columns(cmd, &rawf, &feats, "features")) ||
        (rc = mg_cli_split_columns(cmd, &rawp, &prot, "protected")))
        goto out;
    if (feats.n == 0) {
        rc = mg_cli_usage_error(cmd, "--features is required");
        goto out;
    }
    if (ops.n != 1) {
        rc = mg_cli_usage_error(cmd, "expected one input file, got %zu operand(s)", ops.n);
        goto out;
    }
    long bins, maxv;
    if ((rc = mg_cli_bins_max_values(cmd, bins_s, maxv_s, &bins, &maxv))) goto out;
    b.label = label;
    b.pred = pred;
    b.positive = positive;
    b.poslen = strlen(positive);
    b.maps = mg_xcalloc(prot.n + 1, sizeof *b.maps);
    b.groups = mg_xcalloc(prot.n + 1, sizeof *b.groups);
    b.ngroups = mg_xcalloc(prot.n + 1, sizeof *b.ngroups);
    mg_error err = {0};
    if (mg_numcols_read(ops.v[0], &feats, false, (size_t)maxv, on_row, &b, &nc, &err)) {
        rc = mg_cli_fail(cmd, &err, MG_EXIT_DATA);
        goto out;
    }
    if (nc.rows == 0) {
        mg_error_set(&err, MG_EINVAL, "%s: no data rows", ops.v[0]);
        rc = mg_cli_fail(cmd, &err, MG_EXIT_DATA);
        goto out;
    }
    o = json_object();
    json_object_set_new(o, "samples", json_integer((json_int_t)nc.rows));
    if (label && pred) {
        json_object_set_new(o, "accuracy", json_real(mg_stats_accuracy(&b.cm)));
        json_object_set_new(o, "f1", json_real(mg_stats_f1(&b.cm)));
    }
    json_t *fa = json_array();
    json_object_set_new(o, "features", fa);
    for (size_t i = 0; i < nc.ncol; i++) {
        mg_numcol *c = &nc.col[i];
        if (c->n == 0) {
            mg_error_set(&err, MG_EINVAL, "%s: feature %s has no values", ops.v[0], c->name);
            rc = mg_cli_fail(cmd, &err, MG_EXIT_DATA);
            goto out;
        }
        double *edges = mg_xmalloc((size_t)bins * sizeof *edges);
        size_t ne = 0;
        double *counts = NULL;
        int src = mg_stats_quantile_edges(c->v, c->n, (size_t)bins, edges, &ne);
        if (!src) {
            counts = mg_xcalloc(ne + 1, sizeof *counts);
            src = mg_stats_histogram(c->v, c->n, edges, ne, counts);
        }
        if (!src) src = mg_stats_normalize(counts, ne + 1, counts);
        if (src) {
            free(edges);
            free(counts);
            mg_error_set(&err, MG_EINVAL, "%s: feature %s: cannot build bins", ops.v[0], c->name);
            rc = mg_cli_fail(cmd, &err, MG_EXIT_DATA);
            goto out;
        }
        json_t *je = json_array(), *jp = json_array();
        for (size_t k = 0; k < ne; k++)
            json_array_append_new(je, json_real(edges[k]));
        for (size_t k = 0; k <= ne; k++)
            json_array_append_new(jp, json_real(counts[k]));
        json_array_append_new(fa,
                              json_pack("{s:s,s:o,s:o}", "name", c->name, "edges", je, "proportions", jp));
        free(edges);
        free(counts);
    }
    if (pred && prot.n) {
        json_t *ga = json_array();
        json_object_set_new(o, "groups", ga);
        for (size_t i = 0; i < prot.n; i++) {
            mg_cmap *m = &b.maps[i];
            mg_cmap_entry **list = mg_xmalloc((m->n + 1) * sizeof *list);
            size_t n = 0;
            for (size_t s = 0; s < m->cap; s++)
                if (m->slots[s].hash) list[n++] = &m->slots[s];
            qsort(list, n, sizeof *list, mg_cmap_entry_key_cmp);
            for (size_t k = 0; k < n; k++) {
                grp *gr = &b.groups[i][list[k]->a - 1];
                json_t *x = json_pack("{s:s,s:o,s:f}", "attribute", prot.v[i], "group",
                                      mg_json_bytes(list[k]->key, list[k]->klen), "positiveRate",
                                      (double)gr->pred_pos / (double)gr->n);
                if (label && gr->label_pos)
                    json_object_set_new(x, "truePositiveRate",
                                        json_real((double)gr->tp / (double)gr->label_pos));
                json_array_append_new(ga, x);
            }
            free(list);
        }
    }
    mg_cli_print(o, g.out == MG_OUT_JSON ? MG_OUT_JSON : MG_OUT_YAML);
    rc = 0;
out:
    json_decref(o);
    mg_numcols_free(&nc);
    for (size_t i = 0; b.maps && i < prot.n; i++) {
        mg_cmap_free(&b.maps[i]);
        free(b.groups[i]);
    }
    free(b.maps);
    free(b.groups);
    free(b.ngroups);
    free(b.gidx);
    mg_strvec_free(&ops);
    mg_strvec_free(&rawf);
    mg_strvec_free(&rawp);
    mg_strvec_free(&feats);
    mg_strvec_free(&prot);
    return rc;
}
