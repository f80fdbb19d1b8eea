/* `drift`: per-feature drift between a reference and a current CSV file. Parse the command
 * line, read both files (data/numcols) and compute (data/drift, on the shared stats module),
 * render as a table or JSON/YAML. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "data/drift.h"
#include "plugin/cli.h"
#include "plugin/commands.h"

static const char help[] =
    "Usage: kubectl modelgov drift --reference A --current B [--features a,b] [--bins N]\n"
    "                              [--max-psi X] [--max-ks X] [--max-js X] [--max-wasserstein X]\n"
    "                              [--min-chi2-pvalue X] [--max-values N]\n"
    "\n"
    "Compares the numeric columns of two CSV files (A: reference, e.g. training data; B: current).\n"
    "Per feature:\n"
    "  ks            two-sample Kolmogorov-Smirnov statistic on the raw values\n"
    "                (scipy.stats.ks_2samp(A, B).statistic)\n"
    "  wasserstein   Wasserstein-1 distance on the raw values (scipy.stats.wasserstein_distance)\n"
    "  psi           Population Stability Index sum (b-a) ln(b/a) over the bins, proportions\n"
    "                floored at 1e-4\n"
    "  jsDistance    Jensen-Shannon distance, base 2 (scipy.spatial.distance.jensenshannon)\n"
    "  chi2, chi2PValue  scipy.stats.chisquare(current counts, reference counts rescaled);\n"
    "                null when a reference bin is empty\n"
    "Bins: the reference's quantiles i/N, i = 1..N-1 (numpy 'linear', duplicates removed), with\n"
    "Prometheus `le` bins (-inf, e0], (e0, e1], ..., (e_last, +inf) — the baseline's bins.\n"
    "Without --features, every column of A that is numeric in both files is compared.\n"
    "Empty values are missing and skipped. Memory: every value is held as a double (exact KS and\n"
    "Wasserstein need them all), capped by --max-values (default 50000000 per file).\n"
    "\n"
    "Output: table; -o json|yaml: {\"features\": [{\"name\",\"psi\",\"ks\",\"jsDistance\",\n"
    "\"wasserstein\",\"chi2\",\"chi2PValue\"}], \"bins\", \"breaches\": [...], \"passed\"}.\n"
    "Exit code 1 when any given threshold is exceeded (the breaches list says which).\n"
    "\n"
    "Flags:\n"
    "      --reference FILE        reference CSV (required)\n"
    "      --current FILE          current CSV (required)\n"
    "      --features a,b          columns to compare (repeatable)\n"
    "      --bins N                bins for PSI, JS and chi-square (default 10, >= 2)\n"
    "      --max-psi X, --max-ks X, --max-js X, --max-wasserstein X\n"
    "                              fail when the metric is above X\n"
    "      --min-chi2-pvalue X     fail when the chi-square p-value is below X\n"
    "      --max-values N          cap on values held in memory per file (default 50000000)\n"
    "\n"
    "Examples:\n"
    "  kubectl modelgov drift --reference train.csv --current last-week.csv --features age,income\n"
    "  kubectl modelgov drift --reference a.csv --current b.csv --max-psi 0.2 -o json   # exit 1 over 0.2\n";

static int parse_thr(const char *cmd, const char *flag, const char *s, double *out) {
    if (!s) return 0;
    char *end;
    double x = strtod(s, &end);
    if (*end || end == s || !isfinite(x) || x < 0)
        return mg_cli_usage_error(cmd, "--%s takes a non-negative number, not \"%s\"", flag, s);
    *out = x;
    return 0;
}

static json_t *num_or_null(double x, bool ok) { return ok && isfinite(x) ? json_real(x) : json_null(); }

typedef struct drift_args {
    mg_global g;
    mg_strvec ops, rawf, feats;
    const char *ref, *cur;
    mg_drift_thresholds thr;
    long bins, maxv;
} drift_args;

static void drift_args_free(drift_args *a) {
    mg_strvec_free(&a->ops);
    mg_strvec_free(&a->rawf);
    mg_strvec_free(&a->feats);
}

/* Returns true to go on; false with *rc the exit code (help shown or usage error printed). */
static bool parse_args(int argc, char **argv, drift_args *a, int *rc) {
    const char *cmd = argv[0], *bins_s = NULL, *maxv_s = NULL;
    const char *t_psi = NULL, *t_ks = NULL, *t_js = NULL, *t_w = NULL, *t_p = NULL;
    const mg_opt opts[] = {
        {"reference", 0, MG_OPT_VALUE, &a->ref},
        {"current", 0, MG_OPT_VALUE, &a->cur},
        {"features", 0, MG_OPT_LIST, &a->rawf},
        {"bins", 0, MG_OPT_VALUE, &bins_s},
        {"max-psi", 0, MG_OPT_VALUE, &t_psi},
        {"max-ks", 0, MG_OPT_VALUE, &t_ks},
        {"max-js", 0, MG_OPT_VALUE, &t_js},
        {"max-wasserstein", 0, MG_OPT_VALUE, &t_w},
        {"min-chi2-pvalue", 0, MG_OPT_VALUE, &t_p},
        {"max-values", 0, MG_OPT_VALUE, &maxv_s},
        {NULL, 0, 0, NULL},
    };
    if (!mg_cli_start(argc, argv, opts, &a->g, &a->ops, help, rc)) return false;
    if ((*rc = mg_cli_split_columns(cmd, &a->rawf, &a->feats, "features"))) return false;
    if (!a->ref || !a->cur) {
        *rc = mg_cli_usage_error(cmd, "--reference and --current are required");
        return false;
    }
    if (a->ops.n) {
        *rc = mg_cli_usage_error(cmd, "unexpected operand %s", a->ops.v[0]);
        return false;
    }
    a->thr = (mg_drift_thresholds){NAN, NAN, NAN, NAN, NAN};
    if ((*rc = parse_thr(cmd, "max-psi", t_psi, &a->thr.psi)) ||
        (*rc = parse_thr(cmd, "max-ks", t_ks, &a->thr.ks)) ||
        (*rc = parse_thr(cmd, "max-js", t_js, &a->thr.js)) ||
        (*rc = parse_thr(cmd, "max-wasserstein", t_w, &a->thr.wasserstein)) ||
        (*rc = parse_thr(cmd, "min-chi2-pvalue", t_p, &a->thr.chi2_pvalue)))
        return false;
    return !(*rc = mg_cli_bins_max_values(cmd, bins_s, maxv_s, &a->bins, &a->maxv));
}

static json_t *feature_json(const mg_drift_result *r) {
    const mg_drift_metrics *m = &r->m;
    return json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:I,s:I}", "name", r->ref->name, "psi",
                     num_or_null(m->psi, true), "ks", num_or_null(m->ks, true), "jsDistance",
                     num_or_null(m->js, true), "wasserstein", num_or_null(m->wasserstein, true), "chi2",
                     num_or_null(m->chi2, m->chi2_ok), "chi2PValue", num_or_null(m->chi2_pvalue, m->chi2_ok),
                     "referenceSamples", (json_int_t)r->ref->n, "currentSamples", (json_int_t)r->cur->n);
}

/* {"features", "bins", "reference", "current", "breaches", "passed"} (new reference). */
static json_t *result_json(const drift_args *a, const mg_numcols *A, const mg_numcols *B,
                           const mg_drift_result *r, size_t n) {
    json_t *fa = json_array(), *breaches = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(fa, feature_json(&r[i]));
        mg_drift_breach br[MG_DRIFT_NCHECKS];
        size_t nb = mg_drift_breaches(&r[i].m, &a->thr, br);
        for (size_t k = 0; k < nb; k++)
            json_array_append_new(breaches, json_pack("{s:s,s:s,s:f,s:f}", "feature", r[i].ref->name,
                                                      "metric", br[k].metric, "value", br[k].value,
                                                      "threshold", br[k].threshold));
    }
    bool passed = json_array_size(breaches) == 0;
    return json_pack("{s:o,s:I,s:{s:s,s:s,s:I},s:{s:s,s:s,s:I},s:o,s:b}", "features", fa, "bins",
                     (json_int_t)a->bins, "reference", "file", a->ref, "digest", A->digest, "rows",
                     (json_int_t)A->rows, "current", "file", a->cur, "digest", B->digest, "rows",
                     (json_int_t)B->rows, "breaches", breaches, "passed", passed);
}

static void print_table(const json_t *o) {
    static const char *const hdr[] = {"feature", "psi", "ks", "js-distance", "wasserstein", "chi2", "chi2-p"};
    static const char *const keys[] = {"psi", "ks", "jsDistance", "wasserstein", "chi2", "chi2PValue"};
    mg_table t;
    mg_table_init(&t, 7, hdr);
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(o, "features"), i, x) {
        char c[6][40];
        const char *row[7] = {json_string_value(json_object_get(x, "name"))};
        for (int k = 0; k < 6; k++) {
            json_t *v = json_object_get(x, keys[k]);
            row[k + 1] = json_is_null(v) ? "-" : mg_fmt_num(json_real_value(v), c[k], sizeof c[k]);
        }
        mg_table_add(&t, row);
    }
    mg_table_print(&t, stdout);
    mg_table_free(&t);
    json_array_foreach(json_object_get(o, "breaches"), i, x) {
        printf("BREACH: %s %s = %.6g (threshold %.6g)\n", json_string_value(json_object_get(x, "feature")),
               json_string_value(json_object_get(x, "metric")), json_real_value(json_object_get(x, "value")),
               json_real_value(json_object_get(x, "threshold")));
    }
    printf("drift %s\n", json_is_true(json_object_get(o, "passed")) ? "within thresholds" : "OVER THRESHOLD");
}

int mg_cmd_drift(int argc, char **argv) {
    drift_args a = {0};
    mg_numcols A = {0}, B = {0};
    mg_drift_result *r = NULL;
    size_t n = 0;
    json_t *o = NULL;
    int rc;
    if (!parse_args(argc, argv, &a, &rc)) goto out;
    mg_error err = {0};
    bool all = a.feats.n == 0;
    const char *const *names = all ? NULL : a.feats.v;
    if (mg_numcols_read(a.ref, names, a.feats.n, all, (size_t)a.maxv, NULL, NULL, &A, &err) ||
        mg_numcols_read(a.cur, names, a.feats.n, all, (size_t)a.maxv, NULL, NULL, &B, &err) ||
        mg_drift_compare(&A, &B, all, (size_t)a.bins, a.ref, a.cur, &r, &n, &err)) {
        rc = mg_cli_fail(argv[0], &err, MG_EXIT_DATA);
        goto out;
    }
    o = result_json(&a, &A, &B, r, n);
    if (a.g.out == MG_OUT_TABLE)
        print_table(o);
    else
        mg_cli_print(o, a.g.out);
    rc = json_is_true(json_object_get(o, "passed")) ? 0 : MG_EXIT_POLICY;
out:
    json_decref(o);
    free(r);
    mg_numcols_free(&A);
    mg_numcols_free(&B);
    drift_args_free(&a);
    return rc;
}
