/* `baseline`: the ModelVersion spec.baseline (README, metric contract) from a CSV of features,
 * labels and predictions. Parse the command line, read and compute (data/baseline, whose bins
 * are the shared stats module's), render as YAML or JSON. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "data/baseline.h"
#include "plugin/cli.h"
#include "plugin/commands.h"

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
    "      --max-values N      cap on values held in memory (default 50000000)\n"
    "\n"
    "Examples:\n"
    "  kubectl modelgov baseline --features age,income --bins 5 --label approved --prediction predicted \\\n"
    "      --protected sex holdout.csv -o json\n";

typedef struct baseline_args {
    mg_global g;
    mg_strvec ops, rawf, rawp, feats, prot;
    const char *label, *pred, *positive;
    long bins, maxv;
} baseline_args;

static void baseline_args_free(baseline_args *a) {
    mg_strvec_free(&a->ops);
    mg_strvec_free(&a->rawf);
    mg_strvec_free(&a->rawp);
    mg_strvec_free(&a->feats);
    mg_strvec_free(&a->prot);
}

/* Returns true to go on; false with *rc the exit code (help shown or usage error printed). */
static bool parse_args(int argc, char **argv, baseline_args *a, int *rc) {
    const char *cmd = argv[0], *bins_s = NULL, *maxv_s = NULL;
    a->positive = "1";
    const mg_opt opts[] = {
        {"features", 0, MG_OPT_LIST, &a->rawf},   {"bins", 0, MG_OPT_VALUE, &bins_s},
        {"label", 0, MG_OPT_VALUE, &a->label},    {"prediction", 0, MG_OPT_VALUE, &a->pred},
        {"protected", 0, MG_OPT_LIST, &a->rawp},  {"positive", 0, MG_OPT_VALUE, &a->positive},
        {"max-values", 0, MG_OPT_VALUE, &maxv_s}, {NULL, 0, 0, NULL},
    };
    if (!mg_cli_start(argc, argv, opts, &a->g, &a->ops, help, rc)) return false;
    if ((*rc = mg_cli_split_columns(cmd, &a->rawf, &a->feats, "features")) ||
        (*rc = mg_cli_split_columns(cmd, &a->rawp, &a->prot, "protected")))
        return false;
    if (a->feats.n == 0) {
        *rc = mg_cli_usage_error(cmd, "--features is required");
        return false;
    }
    if ((*rc = mg_cli_operands(cmd, &a->ops, 1, 1, "one input file"))) return false;
    return !(*rc = mg_cli_bins_max_values(cmd, bins_s, maxv_s, &a->bins, &a->maxv));
}

/* Appends {name, edges, proportions} of every feature to fa; MG_EINVAL (err filled) for a
 * feature without values or whose bins cannot be built. */
static int features_json(const baseline_args *a, const mg_numcols *nc, json_t *fa, mg_error *err) {
    double *edges = mg_xmalloc((size_t)a->bins * sizeof *edges),
           *props = mg_xmalloc((size_t)a->bins * sizeof *props);
    int rc = 0;
    for (size_t i = 0; i < nc->ncol && !rc; i++) {
        const mg_numcol *c = &nc->col[i];
        size_t ne = 0;
        if (c->n == 0) {
            rc = mg_error_set(err, MG_EINVAL, "%s: feature %s has no values", a->ops.v[0], c->name);
        } else if (mg_baseline_bins(c->v, c->n, (size_t)a->bins, edges, &ne, props)) {
            rc = mg_error_set(err, MG_EINVAL, "%s: feature %s: cannot build bins", a->ops.v[0], c->name);
        } else {
            json_t *je = json_array(), *jp = json_array();
            for (size_t k = 0; k < ne; k++)
                json_array_append_new(je, json_real(edges[k]));
            for (size_t k = 0; k <= ne; k++)
                json_array_append_new(jp, json_real(props[k]));
            json_array_append_new(
                fa, json_pack("{s:s,s:o,s:o}", "name", c->name, "edges", je, "proportions", jp));
        }
    }
    free(edges);
    free(props);
    return rc;
}

/* {attribute, group, positiveRate[, truePositiveRate]} of every group, by attribute then value. */
static json_t *groups_json(const baseline_args *a, const mg_baseline_data *d) {
    json_t *ga = json_array();
    for (size_t i = 0; i < a->prot.n; i++) {
        mg_cmap_entry **list = mg_cmap_sorted(&d->maps[i], mg_cmap_entry_key_cmp);
        for (size_t k = 0; k < d->maps[i].n; k++) {
            double rate, tpr;
            bool has_tpr = mg_baseline_group_rates(&d->groups[i][list[k]->a - 1], &rate, &tpr);
            json_t *x = json_pack("{s:s,s:o,s:f}", "attribute", a->prot.v[i], "group",
                                  mg_json_bytes(list[k]->key, list[k]->klen), "positiveRate", rate);
            if (a->label && has_tpr) json_object_set_new(x, "truePositiveRate", json_real(tpr));
            json_array_append_new(ga, x);
        }
        free(list);
    }
    return ga;
}

int mg_cmd_baseline(int argc, char **argv) {
    baseline_args a = {0};
    mg_baseline_data d = {0};
    json_t *o = NULL;
    int rc;
    if (!parse_args(argc, argv, &a, &rc)) goto out;
    mg_baseline_spec spec = {.features = a.feats.v,
                             .nfeatures = a.feats.n,
                             .label = a.label,
                             .prediction = a.pred,
                             .positive = a.positive,
                             .attrs = a.prot.v,
                             .nattrs = a.prot.n,
                             .max_values = (size_t)a.maxv};
    mg_error err = {0};
    o = json_object();
    json_t *fa = json_array();
    if (mg_baseline_read(a.ops.v[0], &spec, &d, &err) || features_json(&a, &d.values, fa, &err)) {
        json_decref(fa);
        rc = mg_cli_fail(argv[0], &err, MG_EXIT_DATA);
        goto out;
    }
    json_object_set_new(o, "samples", json_integer((json_int_t)d.values.rows));
    if (a.label && a.pred) {
        json_object_set_new(o, "accuracy", json_real(mg_stats_accuracy(&d.cm)));
        json_object_set_new(o, "f1", json_real(mg_stats_f1(&d.cm)));
    }
    json_object_set_new(o, "features", fa);
    if (a.pred && a.prot.n) json_object_set_new(o, "groups", groups_json(&a, &d));
    mg_cli_print(o, a.g.out == MG_OUT_JSON ? MG_OUT_JSON : MG_OUT_YAML);
    rc = 0;
out:
    json_decref(o);
    mg_baseline_data_free(&d);
    baseline_args_free(&a);
    return rc;
}
