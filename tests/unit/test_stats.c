/* Unit tests for stats/: agreement with scipy / scikit-learn / Fairlearn definitions on the
 * fixtures written by hack/gen-stats-fixtures.py (tests/unit/data/stats/, one JSON file per family), plus
 * edge cases. Run from the repository root (make unit does), or set MG_TEST_DATA to the data dir. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "stats/stats.h"

#define TOL 1e-9

static json_t *load(const char *name) {
    const char *dir = getenv("MG_TEST_DATA");
    char path[512];
    snprintf(path, sizeof(path), "%s/stats/%s", dir ? dir : "tests/unit/data", name);
    json_error_t jerr;
    json_t *j = json_load_file(path, 0, &jerr);
    if (!j) fail_msg("cannot load %s: %s (line %d)", path, jerr.text, jerr.line);
    return j;
}

static double num(json_t *v) {
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (!strcmp(s, "nan")) return NAN;
        if (!strcmp(s, "inf")) return INFINITY;
        if (!strcmp(s, "-inf")) return -INFINITY;
        fail_msg("bad number string %s", s);
    }
    if (!json_is_number(v)) fail_msg("expected a number");
    return json_number_value(v);
}

static double field(json_t *o, const char *k) {
    json_t *v = json_object_get(o, k);
    if (!v) fail_msg("missing field %s", k);
    return num(v);
}

/* Returns a new array of the JSON array's numbers (caller frees); *n receives its length. */
static double *arr(json_t *o, const char *k, size_t *n) {
    json_t *a = json_object_get(o, k);
    if (!json_is_array(a)) fail_msg("field %s is not an array", k);
    size_t len = json_array_size(a);
    double *x = calloc(len ? len : 1, sizeof(double));
    for (size_t i = 0; i < len; i++)
        x[i] = num(json_array_get(a, i));
    *n = len;
    return x;
}

/* Relative 1e-9, or absolute 1e-12 near zero (a difference of CDFs or a distance of 0 has no
 * meaningful relative error). */
static void close_to(double got, double want, const char *what, size_t idx) {
    if (isnan(want)) {
        if (!isnan(got)) fail_msg("%s[%zu]: got %.17g, want nan", what, idx);
        return;
    }
    double err = fabs(got - want);
    if (!(err <= TOL * fabs(want) || err <= 1e-12))
        fail_msg("%s[%zu]: got %.17g, want %.17g (err %.3g)", what, idx, got, want, err);
}

/* Purely relative (p-values and incomplete gamma values can be tiny and still meaningful). */
static void rel_close(double got, double want, const char *what, size_t idx) {
    double err = fabs(got - want);
    if (!(err <= TOL * fabs(want) || (want == 0 && got == 0) || err < 1e-300))
        fail_msg("%s[%zu]: got %.17g, want %.17g (rel err %.3g)", what, idx, got, want, err / fabs(want));
}

static void test_classification(void **state) {
    (void)state;
    json_t *j = load("classification.json");
    json_t *bin = json_object_get(j, "binary"), *c;
    size_t i;
    json_array_foreach(bin, i, c) {
        mg_confusion m = {field(c, "tp"), field(c, "fp"), field(c, "tn"), field(c, "fn")};
        close_to(mg_stats_accuracy(&m), field(c, "accuracy"), "accuracy", i);
        close_to(mg_stats_precision(&m), field(c, "precision"), "precision", i);
        close_to(mg_stats_recall(&m), field(c, "recall"), "recall", i);
        close_to(mg_stats_f1(&m), field(c, "f1"), "f1", i);
    }
    json_t *multi = json_object_get(j, "multiclass");
    assert_true(json_array_size(multi) > 0);
    json_array_foreach(multi, i, c) {
        size_t n, k = (size_t)field(c, "k");
        double *m = arr(c, "matrix", &n);
        assert_int_equal(n, k * k);
        mg_multiclass_scores s;
        assert_int_equal(mg_stats_multiclass(m, k, &s), 0);
        assert_int_equal(s.classes, (size_t)field(c, "classes"));
        close_to(s.accuracy, field(c, "accuracy"), "mc accuracy", i);
        close_to(s.macro_precision, field(c, "macro_precision"), "macro precision", i);
        close_to(s.macro_recall, field(c, "macro_recall"), "macro recall", i);
        close_to(s.macro_f1, field(c, "macro_f1"), "macro f1", i);
        free(m);
    }
    json_decref(j);
}

static void test_binned(void **state) {
    (void)state;
    json_t *j = load("binned.json");
    assert_true(field(j, "psi_eps") == MG_STATS_PSI_EPS);
    json_t *cases = json_object_get(j, "cases"), *c;
    size_t i, chisq_seen = 0;
    assert_true(json_array_size(cases) >= 20);
    json_array_foreach(cases, i, c) {
        size_t n, n2, ne, np;
        double *e = arr(c, "expected", &n), *a = arr(c, "actual", &n2), *edges = arr(c, "edges", &ne);
        double *pos = arr(c, "positions", &np);
        assert_int_equal(n, n2);
        assert_int_equal(ne + 1, n);
        double v, *mypos = calloc(n, sizeof(double));
        assert_int_equal(mg_stats_psi(e, a, n, &v), 0);
        close_to(v, field(c, "psi"), "psi", i);
        assert_int_equal(mg_stats_js_distance(e, a, n, &v), 0);
        close_to(v, field(c, "js"), "js", i);
        assert_int_equal(mg_stats_ks_binned(e, a, n, &v), 0);
        close_to(v, field(c, "ks"), "ks binned", i);
        assert_int_equal(mg_stats_bin_positions(edges, ne, mypos), 0);
        for (size_t k = 0; k < n; k++)
            close_to(mypos[k], pos[k], "positions", i);
        assert_int_equal(mg_stats_wasserstein_binned(mypos, e, a, n, &v), 0);
        close_to(v, field(c, "wasserstein"), "wasserstein binned", i);
        if (json_object_get(c, "chisq_stat")) {
            double st, p;
            assert_int_equal(mg_stats_chisquare(a, e, n, &st, &p), 0);
            close_to(st, field(c, "chisq_stat"), "chisquare stat", i);
            rel_close(p, field(c, "chisq_p"), "chisquare p", i);
            chisq_seen++;
        }
        free(e);
        free(a);
        free(edges);
        free(pos);
        free(mypos);
    }
    assert_true(chisq_seen >= 10);
    json_decref(j);
}

static void test_contingency(void **state) {
    (void)state;
    json_t *j = load("contingency.json");
    json_t *cases = json_object_get(j, "cases"), *c;
    size_t i;
    json_array_foreach(cases, i, c) {
        size_t n, r = (size_t)field(c, "r"), cc = (size_t)field(c, "c");
        double *t = arr(c, "table", &n), st, p, dof;
        assert_int_equal(n, r * cc);
        assert_int_equal(mg_stats_chi2_contingency(t, r, cc, &st, &p, &dof), 0);
        close_to(st, field(c, "stat"), "contingency stat", i);
        rel_close(p, field(c, "p"), "contingency p", i);
        close_to(dof, field(c, "dof"), "contingency dof", i);
        free(t);
    }
    json_decref(j);
}

static void test_gamma(void **state) {
    (void)state;
    json_t *j = load("gamma.json");
    json_t *cases = json_object_get(j, "cases"), *c;
    size_t i;
    json_array_foreach(cases, i, c) {
        double a = field(c, "a"), x = field(c, "x");
        double p = field(c, "p"), q = field(c, "q");
        /* each function is checked relative to the value it returns; the complement is only
         * meaningful where it is not itself a cancellation result */
        rel_close(mg_stats_gamma_p(a, x), p, "gamma_p", i);
        rel_close(mg_stats_gamma_q(a, x), q, "gamma_q", i);
    }
    json_t *chi = json_object_get(j, "chi2_sf");
    json_array_foreach(chi, i, c) {
        rel_close(mg_stats_chi2_sf(field(c, "x"), field(c, "dof")), field(c, "sf"), "chi2_sf", i);
    }
    json_decref(j);
}

static void test_raw(void **state) {
    (void)state;
    json_t *j = load("raw.json");
    json_t *cases = json_object_get(j, "cases"), *c;
    size_t i;
    json_array_foreach(cases, i, c) {
        size_t na, nb, nq, nqv, ne, nh;
        double *a = arr(c, "a", &na), *b = arr(c, "b", &nb);
        double *qs = arr(c, "quantile_q", &nq), *qv = arr(c, "quantile", &nqv);
        double *edges = arr(c, "edges", &ne), *hist = arr(c, "histogram", &nh);
        double v;
        assert_int_equal(mg_stats_ks_2samp(a, na, b, nb, &v), 0);
        /* the statistic is computed with the same divisions as scipy: bit-identical */
        assert_true(v == field(c, "ks"));
        assert_int_equal(mg_stats_ks_2samp(b, nb, a, na, &v), 0);
        assert_true(v == field(c, "ks"));
        double st, pv;
        assert_int_equal(mg_stats_ks_2samp_test(a, na, b, nb, &st, &pv), 0);
        assert_true(st == field(c, "ks"));
        rel_close(pv, field(c, "ks_p"), "ks p-value", i);
        assert_int_equal(mg_stats_wasserstein(a, na, b, nb, &v), 0);
        close_to(v, field(c, "wasserstein"), "wasserstein", i);
        double *sa = malloc(na * sizeof(double));
        memcpy(sa, a, na * sizeof(double));
        assert_int_equal(mg_stats_sort(sa, na, NULL), 0);
        for (size_t k = 1; k < na; k++)
            assert_true(sa[k - 1] <= sa[k]);
        for (size_t k = 0; k < nq; k++) {
            assert_int_equal(mg_stats_quantile_sorted(sa, na, qs[k], &v), 0);
            close_to(v, qv[k], "quantile", i * 100 + k);
        }
        size_t nbins = (size_t)field(c, "nbins"), got_ne;
        double *myedges = calloc(nbins, sizeof(double));
        assert_int_equal(mg_stats_quantile_edges(a, na, nbins, myedges, &got_ne), 0);
        assert_int_equal(got_ne, ne);
        for (size_t k = 0; k < ne; k++)
            close_to(myedges[k], edges[k], "quantile edges", i * 100 + k);
        double *counts = calloc(ne + 1, sizeof(double));
        assert_int_equal(nh, ne + 1);
        assert_int_equal(mg_stats_histogram(b, nb, edges, ne, counts), 0);
        for (size_t k = 0; k < nh; k++)
            assert_true(counts[k] == hist[k]);
        free(a);
        free(b);
        free(qs);
        free(qv);
        free(edges);
        free(hist);
        free(sa);
        free(myedges);
        free(counts);
    }
    json_decref(j);
}

static void test_ks_pvalues(void **state) {
    (void)state;
    json_t *j = load("ks.json");
    json_t *cases = json_object_get(j, "cases"), *c;
    size_t i, square = 0, inside = 0;
    assert_true(json_array_size(cases) >= 50);
    json_array_foreach(cases, i, c) {
        size_t n1 = (size_t)field(c, "n1"), n2 = (size_t)field(c, "n2");
        double p;
        assert_int_equal(mg_stats_ks_2samp_pvalue(n1, n2, field(c, "d"), &p), 0);
        rel_close(p, field(c, "p"), "ks exact p", i);
        if (n1 == n2)
            square++;
        else
            inside++;
    }
    assert_true(square >= 10 && inside >= 10);
    json_t *kol = json_object_get(j, "kolmogorov");
    json_array_foreach(kol, i, c) {
        rel_close(mg_stats_kolmogorov_sf(field(c, "y")), field(c, "sf"), "kolmogorov sf", i);
    }
    /* above the exact limit: the Kolmogorov limit form */
    double p;
    assert_int_equal(mg_stats_ks_2samp_pvalue(20000, 20000, 0.01, &p), 0);
    close_to(p, mg_stats_kolmogorov_sf(sqrt(10000.0) * 0.01), "ks asymptotic p", 0);
    assert_int_equal(mg_stats_ks_2samp_pvalue(10, 10, 1.5, &p), MG_EINVAL);
    assert_int_equal(mg_stats_ks_2samp_pvalue(0, 10, 0.5, &p), MG_EINVAL);
    json_decref(j);
}

static void test_fairness(void **state) {
    (void)state;
    json_t *j = load("fairness.json");
    json_t *cases = json_object_get(j, "cases"), *c;
    size_t i;
    json_array_foreach(cases, i, c) {
        size_t g, g2, g3, g4;
        double *sn = arr(c, "sel_num", &g), *sd = arr(c, "sel_den", &g2);
        double *tp = arr(c, "tp", &g3), *pos = arr(c, "pos", &g4), v;
        assert_int_equal(g, g2);
        if (json_object_get(c, "dpd")) {
            assert_int_equal(mg_stats_demographic_parity_diff(sn, sd, g, &v), 0);
            close_to(v, field(c, "dpd"), "dpd", i);
            assert_int_equal(mg_stats_disparate_impact(sn, sd, g, &v), 0);
            close_to(v, field(c, "dir"), "disparate impact", i);
        } else {
            assert_int_equal(mg_stats_demographic_parity_diff(sn, sd, g, &v), MG_EINVAL);
        }
        if (json_object_get(c, "eod")) {
            assert_int_equal(mg_stats_equal_opportunity_diff(tp, pos, g3, &v), 0);
            close_to(v, field(c, "eod"), "eod", i);
        } else {
            assert_int_equal(mg_stats_equal_opportunity_diff(tp, pos, g3, &v), MG_EINVAL);
        }
        free(sn);
        free(sd);
        free(tp);
        free(pos);
    }
    json_decref(j);
}

/* ---- edge cases ------------------------------------------------------------------------- */

static void test_edge_empty_and_nan(void **state) {
    (void)state;
    double v = 42, x[3] = {1, 2, 3}, nanv[3] = {1, NAN, 3}, neg[3] = {1, -1, 3}, zero[3] = {0, 0, 0};
    double infv[3] = {1, INFINITY, 3};
    assert_int_equal(mg_stats_psi(x, x, 0, &v), MG_EINVAL);
    assert_int_equal(mg_stats_psi(NULL, x, 3, &v), MG_EINVAL);
    assert_int_equal(mg_stats_psi(x, nanv, 3, &v), MG_EINVAL);
    assert_int_equal(mg_stats_psi(neg, x, 3, &v), MG_EINVAL);
    assert_int_equal(mg_stats_psi(zero, x, 3, &v), MG_EINVAL);
    assert_int_equal(mg_stats_psi(infv, x, 3, &v), MG_EINVAL);
    assert_int_equal(mg_stats_js_distance(x, nanv, 3, &v), MG_EINVAL);
    assert_int_equal(mg_stats_ks_binned(zero, x, 3, &v), MG_EINVAL);
    assert_int_equal(mg_stats_wasserstein_binned(x, x, nanv, 3, &v), MG_EINVAL);
    assert_int_equal(mg_stats_wasserstein_binned(nanv, x, x, 3, &v), MG_EINVAL);
    assert_int_equal(mg_stats_ks_2samp(x, 0, x, 3, &v), MG_EINVAL);
    assert_int_equal(mg_stats_ks_2samp(x, 3, nanv, 3, &v), MG_EINVAL);
    assert_int_equal(mg_stats_ks_2samp_sorted(x, 3, nanv, 3, &v), MG_EINVAL);
    assert_int_equal(mg_stats_wasserstein(x, 3, infv, 3, &v), MG_EINVAL);
    assert_int_equal(mg_stats_wasserstein_sorted(infv, 3, x, 3, &v), MG_EINVAL);
    assert_int_equal(mg_stats_chisquare(x, x, 1, &v, &v), MG_EINVAL);
    assert_int_equal(mg_stats_chisquare(x, zero, 3, &v, &v), MG_EINVAL);
    double withzero[3] = {1, 0, 2};
    assert_int_equal(mg_stats_chisquare(x, withzero, 3, &v, &v), MG_EINVAL);
    double t[4] = {1, 0, 2, 0}; /* zero column */
    assert_int_equal(mg_stats_chi2_contingency(t, 2, 2, &v, &v, NULL), MG_EINVAL);
    assert_int_equal(mg_stats_multiclass(zero, 1, &(mg_multiclass_scores){0}), MG_EINVAL);
    assert_int_equal(mg_stats_quantile_sorted(x, 0, 0.5, &v), MG_EINVAL);
    assert_int_equal(mg_stats_quantile_sorted(x, 3, 1.5, &v), MG_EINVAL);
    assert_int_equal(mg_stats_quantile_sorted(x, 3, NAN, &v), MG_EINVAL);
    double counts[4] = {0};
    assert_int_equal(mg_stats_histogram(nanv, 3, x, 3, counts), MG_EINVAL);
    double unsorted[3] = {3, 2, 1};
    assert_int_equal(mg_stats_histogram(x, 3, unsorted, 3, counts), MG_EINVAL);
    assert_int_equal(mg_stats_bin_positions(unsorted, 3, counts), MG_EINVAL);
    for (int i = 0; i < 4; i++)
        assert_true(counts[i] == 0);
    double sortme[100];
    for (int i = 0; i < 100; i++)
        sortme[i] = i == 50 ? NAN : i;
    assert_int_equal(mg_stats_sort(sortme, 100, NULL), MG_EINVAL);
    assert_true(v == 42); /* untouched on every failure */
    assert_true(isnan(mg_stats_gamma_p(-1, 1)));
    assert_true(isnan(mg_stats_gamma_q(1, -1)));
    assert_true(isnan(mg_stats_gamma_q(NAN, 1)));
}

static void test_edge_all_equal_and_zero_bins(void **state) {
    (void)state;
    double v;
    double same[5] = {7, 7, 7, 7, 7};
    assert_int_equal(mg_stats_ks_2samp(same, 5, same, 3, &v), 0);
    assert_true(v == 0);
    assert_int_equal(mg_stats_wasserstein(same, 5, same, 2, &v), 0);
    assert_true(v == 0);
    double one[1] = {1}, two[1] = {4};
    assert_int_equal(mg_stats_wasserstein(one, 1, two, 1, &v), 0);
    assert_true(v == 3);
    assert_int_equal(mg_stats_ks_2samp(one, 1, two, 1, &v), 0);
    assert_true(v == 1);
    /* -0.0 and +0.0 are one value */
    double mz[2] = {-0.0, 1}, pz[2] = {0.0, 1};
    assert_int_equal(mg_stats_ks_2samp(mz, 2, pz, 2, &v), 0);
    assert_true(v == 0);
    /* all-equal values: one edge, everything in the first (<= edge) bin */
    double edges[4];
    size_t ne;
    assert_int_equal(mg_stats_quantile_edges(same, 5, 5, edges, &ne), 0);
    assert_int_equal(ne, 1);
    assert_true(edges[0] == 7);
    double counts[2] = {0, 0};
    assert_int_equal(mg_stats_histogram(same, 5, edges, 1, counts), 0);
    assert_true(counts[0] == 5 && counts[1] == 0);
    /* zero bins on both sides: smoothing makes PSI finite; an empty bin in both is free */
    double e[4] = {0.5, 0.5, 0, 0}, a[4] = {0, 0.5, 0.5, 0};
    assert_int_equal(mg_stats_psi(e, a, 4, &v), 0);
    double want = (1e-4 - 0.5) * log(1e-4 / 0.5) + (0.5 - 1e-4) * log(0.5 / 1e-4);
    assert_true(fabs(v - want) < 1e-12);
    assert_int_equal(mg_stats_psi(e, e, 4, &v), 0);
    assert_true(v == 0);
    assert_int_equal(mg_stats_js_distance(e, e, 4, &v), 0);
    assert_true(v == 0);
    double p1[2] = {1, 0}, q1[2] = {0, 1};
    assert_int_equal(mg_stats_js_distance(p1, q1, 2, &v), 0);
    assert_true(fabs(v - 1) < 1e-15); /* disjoint supports: the maximum, 1 in base 2 */
    assert_int_equal(mg_stats_ks_binned(p1, q1, 2, &v), 0);
    assert_true(v == 1);
    /* decumulate Prometheus buckets, tolerating a non-monotonic one */
    double cum[5] = {2, 5, 4, 9, 9}, bins[5];
    assert_int_equal(mg_stats_decumulate(cum, 5, bins), 0);
    double wantb[5] = {2, 3, 0, 4, 0};
    for (int i = 0; i < 5; i++)
        assert_true(bins[i] == wantb[i]);
    assert_int_equal(mg_stats_normalize(cum, 5, bins), 0);
    assert_true(fabs(bins[0] - 2.0 / 29) < 1e-15);
    /* contingency with one row: dof 0 */
    double row[3] = {1, 2, 3}, st, p, dof;
    assert_int_equal(mg_stats_chi2_contingency(row, 1, 3, &st, &p, &dof), 0);
    assert_true(st == 0 && p == 1 && dof == 0);
    /* confusion edge cases: empty matrix, no positives */
    mg_confusion z = {0, 0, 0, 0};
    assert_true(mg_stats_accuracy(&z) == 0 && mg_stats_f1(&z) == 0);
    /* fairness: groups without data are skipped; all-zero rates give NaN ratio */
    double num[3] = {0, 5, 0}, den[3] = {0, 10, 10};
    assert_int_equal(mg_stats_demographic_parity_diff(num, den, 3, &v), 0);
    assert_true(v == 0.5);
    double zn[2] = {0, 0}, zd[2] = {4, 5};
    assert_int_equal(mg_stats_disparate_impact(zn, zd, 2, &v), 0);
    assert_true(isnan(v));
    double nd[2] = {0, 0};
    assert_int_equal(mg_stats_equal_opportunity_diff(zn, nd, 2, &v), MG_EINVAL);
}

/* The radix sort against qsort on awkward values (negatives, zeros, huge, subnormal). */
static int cmpd(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
static void test_sort(void **state) {
    (void)state;
    size_t n = 5000;
    double *x = malloc(n * sizeof(double)), *y = malloc(n * sizeof(double));
    uint64_t s = 88172645463325252ull;
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        double r = (double)(s >> 11) / 9007199254740992.0 - 0.5;
        switch (i % 7) {
        case 0: x[i] = r * 1e300; break;
        case 1: x[i] = r * 1e-310; break;
        case 2: x[i] = 0.0; break;
        case 3: x[i] = -0.0; break;
        default: x[i] = r; break;
        }
    }
    memcpy(y, x, n * sizeof(double));
    assert_int_equal(mg_stats_sort(x, n, NULL), 0);
    qsort(y, n, sizeof(double), cmpd);
    for (size_t i = 0; i < n; i++)
        assert_true(x[i] == y[i]);
    free(x);
    free(y);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classification),
        cmocka_unit_test(test_binned),
        cmocka_unit_test(test_contingency),
        cmocka_unit_test(test_gamma),
        cmocka_unit_test(test_raw),
        cmocka_unit_test(test_ks_pvalues),
        cmocka_unit_test(test_fairness),
        cmocka_unit_test(test_edge_empty_and_nan),
        cmocka_unit_test(test_edge_all_equal_and_zero_bins),
        cmocka_unit_test(test_sort),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
