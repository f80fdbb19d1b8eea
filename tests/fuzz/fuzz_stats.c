/* libFuzzer target for stats: the input is read as two arrays of doubles (any bit patterns,
 * NaN and Inf included) and drives the raw-sample, binned, chi-square, quantile and histogram
 * functions. Besides the sanitizers it checks invariants: KS in [0, 1] and symmetric, p-values
 * in [0, 1], Wasserstein >= 0 and symmetric, PSI >= 0, JS in [0, 1], sorting sorts, quantile
 * edges strictly increase and histograms count every value. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stats/stats.h"

#define CHECK(c)                                                                                             \
    do {                                                                                                     \
        if (!(c)) abort();                                                                                   \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    size_t split = data[0], n = (size - 1) / sizeof(double);
    if (n == 0 || n > 4096) return 0;
    double *x = malloc(n * sizeof(double));
    memcpy(x, data + 1, n * sizeof(double));
    size_t na = split % (n + 1), nb = n - na;
    double *a = x, *b = x + na;
    double v, w, p;

    if (mg_stats_ks_2samp_test(a, na, b, nb, &v, &p) == 0) {
        CHECK(v >= 0 && v <= 1 && p >= 0 && p <= 1);
        CHECK(mg_stats_ks_2samp(b, nb, a, na, &w) == 0 && w == v);
    }
    if (mg_stats_wasserstein(a, na, b, nb, &v) == 0) {
        CHECK(!(v < 0));
        CHECK(mg_stats_wasserstein(b, nb, a, na, &w) == 0);
        CHECK((isinf(v) && isinf(w)) || fabs(v - w) <= 1e-9 * fabs(v) + 1e-300 || isnan(v) == isnan(w));
    }
    double *s = malloc(n * sizeof(double));
    memcpy(s, x, n * sizeof(double));
    if (mg_stats_sort(s, n, NULL) == 0) {
        for (size_t i = 1; i < n; i++)
            CHECK(s[i - 1] <= s[i]);
        double q;
        CHECK(mg_stats_quantile_sorted(s, n, (double)data[0] / 255.0, &q) == 0);
        CHECK(q >= s[0] && q <= s[n - 1]);
        size_t nbins = (data[0] % 20) + 2, ne = 0;
        double edges[22], counts[23] = {0};
        CHECK(mg_stats_quantile_edges(x, n, nbins, edges, &ne) == 0);
        CHECK(ne >= 1 && ne <= nbins - 1);
        for (size_t i = 1; i < ne; i++)
            CHECK(edges[i - 1] < edges[i]);
        CHECK(mg_stats_histogram(x, n, edges, ne, counts) == 0);
        double total = 0;
        for (size_t i = 0; i <= ne; i++)
            total += counts[i];
        CHECK(total == (double)n);
        double pos[23];
        if (mg_stats_bin_positions(edges, ne, pos) == 0)
            for (size_t i = 1; i <= ne; i++)
                CHECK(!(pos[i - 1] > pos[i]));
    }
    /* binned: the two halves as weight vectors over the same bins */
    size_t nbin = na < nb ? na : nb;
    if (nbin > 0) {
        if (mg_stats_psi(a, b, nbin, &v) == 0) CHECK(v >= 0 && !isnan(v));
        if (mg_stats_js_distance(a, b, nbin, &v) == 0) CHECK(v >= 0 && v <= 1 + 1e-12);
        if (mg_stats_ks_binned(a, b, nbin, &v) == 0) CHECK(v >= 0 && v <= 1);
        if (mg_stats_chisquare(a, b, nbin, &v, &p) == 0) CHECK(!(v < 0) && p >= 0 && p <= 1);
        if (mg_stats_chi2_contingency(a, 2, nbin / 2, &v, &p, NULL) == 0) CHECK(!(v < 0) && p >= 0 && p <= 1);
        double dc[4096];
        if (mg_stats_decumulate(a, nbin, dc) == 0)
            for (size_t i = 0; i < nbin; i++)
                CHECK(dc[i] >= 0);
        if (mg_stats_demographic_parity_diff(a, b, nbin, &v) == 0) CHECK(v >= 0);
        if (mg_stats_disparate_impact(a, b, nbin, &v) == 0) CHECK(isnan(v) || (v >= 0 && v <= 1));
        size_t k = 1;
        while ((k + 1) * (k + 1) <= nbin)
            k++;
        mg_multiclass_scores sc;
        if (mg_stats_multiclass(a, k, &sc) == 0) CHECK(sc.accuracy >= 0 && sc.accuracy <= 1 + 1e-12);
    }
    if (n >= 2) {
        double g = mg_stats_gamma_q(fabs(x[0]), fabs(x[1]));
        CHECK(isnan(g) || (g >= 0 && g <= 1 + 1e-12));
    }
    free(s);
    free(x);
    return 0;
}
