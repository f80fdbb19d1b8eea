/* `drift`: per-feature drift between a reference and a current CSV file, with the shared
 * statistics module (src/stats, the operator's code): KS and Wasserstein on the raw values,
 * PSI, JS distance and chi-square on reference-quantile bins. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "plugin/cli.h"
#include "plugin/commands.h"
#include "plugin/numcols.h"
#include "stats/stats.h"

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
    "      --max-values N          cap on values held in memory per file (default 50000000)\n";

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

int mg_cmd_drift(int argc, char **argv) {
    const char *cmd = argv[0];
    mg_global g = {0};
    mg_strvec ops = {0}, rawf = {0}, feats = {0};
    const char *ref = NULL, *cur = NULL, *bins_s = NULL, *maxv_s = NULL;
    const char *t_psi = NULL, *t_ks = NULL, *t_js = NULL, *t_w = NULL, *t_p = NULL;
    const mg_opt opts[] = {
        {"reference", 0, MG_OPT_VALUE, &ref},
        {"current", 0, MG_OPT_VALUE, &cur},
        {"features", 0, MG_OPT_LIST, &rawf},
        {"bins", 0, MG_OPT_VALUE, &bins_s},
        {"max-psi", 0, MG_OPT_VALUE, &t_psi},
        {"max-ks", 0, MG_OPT_VALUE, &t_ks},
        {"max-js", 0, MG_OPT_VALUE, &t_js},
        {"max-wasserstein", 0, MG_OPT_VALUE, &t_w},
        {"min-chi2-pvalue", 0, MG_OPT_VALUE, &t_p},
        {"max-values", 0, MG_OPT_VALUE, &maxv_s},
        {NULL, 0, 0, NULL},
    };
    mg_numcols A = {0}, B = {0};
    json_t *o = NULL;
    int rc = mg_cli_parse(argc, argv, opts, &g, &ops, cmd);
    if (rc) goto out;
    if (g.help) {
        mg_cli_help(stdout, help);
        goto out;
    }
    if ((rc = mg_cli_split_columns(cmd, &rawf, &feats, "features"))) goto out;
    if (!ref || !cur) {
        rc = mg_cli_usage_error(cmd, "--reference and --current are required");
        goto out;
    }
    if (ops.n) {
        rc = mg_cli_usage_error(cmd, "unexpected operand %s", ops.v[0]);
        goto out;
    }
    double thr_psi = NAN, thr_ks = NAN, thr_js = NAN, thr_w = NAN, thr_p = NAN;
    if ((rc = parse_thr(cmd, "max-psi", t_psi, &thr_psi)) || (rc = parse_thr(cmd, "max-ks", t_ks, &thr_ks)) ||
        (rc = parse_thr(cmd, "max-js", t_js, &thr_js)) ||
        (rc = parse_thr(cmd, "max-wasserstein", t_w, &thr_w)) ||
        (rc = parse_thr(cmd, "min-chi2-pvalue", t_p, &thr_p)))
        goto out;
    long bins, maxv;
    if ((rc = mg_cli_bins_max_values(cmd, bins_s, maxv_s, &bins, &maxv))) goto out;
    mg_error err = {0};
    bool all = feats.n == 0;
    if (mg_numcols_read(ref, all ? NULL : &feats, all, (size_t)maxv, NULL, NULL, &A, &err) ||
        mg_numcols_read(cur, all ? NULL : &feats, all, (size_t)maxv, NULL, NULL, &B, &err)) {
        rc = mg_cli_fail(cmd, &err, MG_EXIT_DATA);
        goto out;
    }
    json_t *fa = json_array(), *breaches = json_array();
    for (size_t i = 0; i < A.ncol; i++) {
        mg_numcol *a = &A.col[i], *b = NULL;
        for (size_t j = 0; j < B.ncol; j++)
            if (!strcmp(B.col[j].name, a->name)) b = &B.col[j];
        if (all && (!b || a->non_numeric || b->non_numeric || a->n == 0 || b->n == 0)) continue;
        if (!b) {
            mg_error_set(&err, MG_EINVAL, "%s: column %s is not in the header", cur, a->name);
            rc = mg_cli_fail(cmd, &err, MG_EXIT_DATA);
            goto out;
        }
        if (a->n == 0 || b->n == 0) {
            mg_error_set(&err, MG_EINVAL, "feature %s has no values in %s", a->name, a->n ? cur : ref);
            rc = mg_cli_fail(cmd, &err, MG_EXIT_DATA);
            goto out;
        }
        double ks = NAN, w = NAN, psi = NAN, js = NAN, chi2 = NAN, pv = NAN;
        bool chi_ok = false;
        /* sort once; the _sorted variants then allocate nothing */
        if (mg_stats_sort(a->v, a->n, NULL) || mg_stats_sort(b->v, b->n, NULL) ||
            mg_stats_ks_2samp_sorted(a->v, a->n, b->v, b->n, &ks) ||
            mg_stats_wasserstein_sorted(a->v, a->n, b->v, b->n, &w)) {
            mg_error_set(&err, MG_EINVAL, "feature %s: invalid values", a->name);
            rc = mg_cli_fail(cmd, &err, MG_EXIT_DATA);
            goto out;
        }
        double *edges = mg_xmalloc((size_t)bins * sizeof *edges);
        size_t ne = 0;
        mg_stats_quantile_edges(a->v, a->n, (size_t)bins, edges, &ne);
        double *ca = mg_xcalloc(ne + 1, sizeof *ca), *cb = mg_xcalloc(ne + 1, sizeof *cb);
        mg_stats_histogram(a->v, a->n, edges, ne, ca);
        mg_stats_histogram(b->v, b->n, edges, ne, cb);
        mg_stats_psi(ca, cb, ne + 1, &psi);
        mg_stats_js_distance(ca, cb, ne + 1, &js);
        chi_ok = mg_stats_chisquare(cb, ca, ne + 1, &chi2, &pv) == 0;
        free(edges);
        free(ca);
        free(cb);
        json_array_append_new(fa, json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:I,s:I}", "name", a->name, "psi",
                                            num_or_null(psi, true), "ks", num_or_null(ks, true), "jsDistance",
                                            num_or_null(js, true), "wasserstein", num_or_null(w, true),
                                            "chi2", num_or_null(chi2, chi_ok), "chi2PValue",
                                            num_or_null(pv, chi_ok), "referenceSamples", (json_int_t)a->n,
                                            "currentSamples", (json_int_t)b->n));
        struct {
            const char *metric;
            double v, thr;
            bool below;
        } checks[] = {{"psi", psi, thr_psi, false},
                      {"ks", ks, thr_ks, false},
                      {"jsDistance", js, thr_js, false},
                      {"wasserstein", w, thr_w, false},
                      {"chi2PValue", chi_ok ? pv : NAN, thr_p, true}};
        for (size_t k = 0; k < sizeof checks / sizeof *checks; k++) {
            if (isnan(checks[k].thr) || isnan(checks[k].v)) continue;
            bool bad = checks[k].below ? checks[k].v < checks[k].thr : checks[k].v > checks[k].thr;
            if (bad)
                json_array_append_new(breaches, json_pack("{s:s,s:s,s:f,s:f}", "feature", a->name, "metric",
                                                          checks[k].metric, "value", checks[k].v, "threshold",
                                                          checks[k].thr));
        }
    }
    if (json_array_size(fa) == 0) {
        json_decref(fa);
        json_decref(breaches);
        mg_error_set(&err, MG_EINVAL, "no numeric feature common to %s and %s", ref, cur);
        rc = mg_cli_fail(cmd, &err, MG_EXIT_DATA);
        goto out;
    }
    bool passed = json_array_size(breaches) == 0;
    o = json_pack("{s:o,s:I,s:{s:s,s:s,s:I},s:{s:s,s:s,s:I},s:o,s:b}", "features", fa, "bins",
                  (json_int_t)bins, "reference", "file", ref, "digest", A.digest, "rows", (json_int_t)A.rows,
                  "current", "file", cur, "digest", B.digest, "rows", (json_int_t)B.rows, "breaches",
                  breaches, "passed", passed);
    if (g.out == MG_OUT_TABLE) {
        static const char *const hdr[] = {"feature",     "psi",  "ks",    "js-distance",
                                          "wasserstein", "chi2", "chi2-p"};
        mg_table t;
        mg_table_init(&t, 7, hdr);
        size_t i;
        json_t *x;
        json_array_foreach(fa, i, x) {
            char c[6][40];
            const char *keys[] = {"psi", "ks", "jsDistance", "wasserstein", "chi2", "chi2PValue"};
            const char *row[7] = {json_string_value(json_object_get(x, "name"))};
            for (int k = 0; k < 6; k++) {
                json_t *v = json_object_get(x, keys[k]);
                row[k + 1] = json_is_null(v) ? "-" : mg_fmt_num(json_real_value(v), c[k], sizeof c[k]);
            }
            mg_table_add(&t, row);
        }
        mg_table_print(&t, stdout);
        mg_table_free(&t);
        json_array_foreach(breaches, i, x) {
            printf(
                "BREACH: %s %s = %.6g (threshold %.6g)\n", json_string_value(json_object_get(x, "feature")),
                json_string_value(json_object_get(x, "metric")), json_real_value(json_object_get(x, "value")),
                json_real_value(json_object_get(x, "threshold")));
        }
        printf("drift %s\n", passed ? "within thresholds" : "OVER THRESHOLD");
    } else {
        mg_cli_print(o, g.out);
    }
    rc = passed ? 0 : MG_EXIT_POLICY;
out:
    json_decref(o);
    mg_numcols_free(&A);
    mg_numcols_free(&B);
    mg_strvec_free(&ops);
    mg_strvec_free(&rawf);
    mg_strvec_free(&feats);
    return rc;
}
