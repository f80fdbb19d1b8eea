/* Benchmarks for stats/ (driven by hack/bench/bench-stats.sh).
 *   bench_stats raw FILE   FILE = uint64 na, uint64 nb, na doubles, nb doubles (little endian);
 *                          prints "ks VALUE SECONDS" and "wasserstein VALUE SECONDS" (best of 5
 *                          wall-clock runs, each copying and sorting the inputs).
 *   bench_stats eval [MODELS FEATURES BINS]   one evaluation round: for every model and
 *                          feature, scraped cumulative buckets → baseline bins → PSI, KS and
 *                          Jensen–Shannon; prints "eval CHECKSUM CPU_SECONDS". */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/mem.h"
#include "promtext/promtext.h"
#include "stats/stats.h"

static double now(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int bench_raw(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return 1;
    }
    uint64_t hdr[2];
    if (fread(hdr, sizeof(uint64_t), 2, f) != 2) {
        fprintf(stderr, "%s: short header\n", path);
        fclose(f);
        return 1;
    }
    size_t na = (size_t)hdr[0], nb = (size_t)hdr[1];
    double *a = mg_xmalloc(na * sizeof(double)), *b = mg_xmalloc(nb * sizeof(double));
    if (fread(a, sizeof(double), na, f) != na || fread(b, sizeof(double), nb, f) != nb) {
        fprintf(stderr, "%s: short data\n", path);
        fclose(f);
        return 1;
    }
    fclose(f);
    double ks = 0, w = 0, best_ks = INFINITY, best_w = INFINITY;
    for (int run = 0; run < 5; run++) {
        double t0 = now(CLOCK_MONOTONIC);
        if (mg_stats_ks_2samp(a, na, b, nb, &ks)) return 1;
        double t1 = now(CLOCK_MONOTONIC);
        if (mg_stats_wasserstein(a, na, b, nb, &w)) return 1;
        double t2 = now(CLOCK_MONOTONIC);
        if (t1 - t0 < best_ks) best_ks = t1 - t0;
        if (t2 - t1 < best_w) best_w = t2 - t1;
    }
    printf("ks %.17g %.6f\n", ks, best_ks);
    printf("wasserstein %.17g %.6f\n", w, best_w);
    free(a);
    free(b);
    return 0;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static double urand(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

static int bench_eval(size_t models, size_t features, size_t bins) {
    /* Inputs as the operator holds them after a scrape: per feature the baseline edges and
     * proportions, and the summed-over-pods cumulative histogram delta (bins buckets: the
     * bins-1 edges plus +Inf). Built before the clock starts. */
    size_t k = bins - 1, nf = models * features;
    double *props = mg_xmalloc(nf * bins * sizeof(double));
    mg_feature_hist *hs = mg_xcalloc(nf, sizeof(*hs));
    double *edges = mg_xmalloc(k * sizeof(double));
    for (size_t i = 0; i < k; i++)
        edges[i] = (double)(i + 1) * 10;
    for (size_t f = 0; f < nf; f++) {
        double s = 0, *p = props + f * bins;
        for (size_t i = 0; i < bins; i++)
            s += p[i] = 0.2 + urand();
        for (size_t i = 0; i < bins; i++)
            p[i] /= s;
        mg_feature_hist *h = &hs[f];
        h->nbuckets = bins;
        h->le = mg_xmalloc(bins * sizeof(double));
        h->cum = mg_xmalloc(bins * sizeof(double));
        double c = 0;
        for (size_t i = 0; i < bins; i++) {
            h->le[i] = i < k ? edges[i] : INFINITY;
            c += floor(p[i] * 1000 * (0.7 + 0.6 * urand()));
            h->cum[i] = c;
        }
        h->count = c;
        h->has_count = true;
    }
    double *counts = mg_xmalloc(bins * sizeof(double)), check = 0;
    double t0 = now(CLOCK_PROCESS_CPUTIME_ID);
    for (size_t f = 0; f < nf; f++) {
        double psi, ks, js;
        if (mg_feature_hist_bins(&hs[f], edges, k, counts, NULL) ||
            mg_stats_psi(props + f * bins, counts, bins, &psi) ||
            mg_stats_ks_binned(props + f * bins, counts, bins, &ks) ||
            mg_stats_js_distance(props + f * bins, counts, bins, &js))
            return 1;
        check += psi + ks + js;
    }
    double t1 = now(CLOCK_PROCESS_CPUTIME_ID);
    printf("eval %.6f %.6f\n", check, t1 - t0);
    for (size_t f = 0; f < nf; f++) {
        free(hs[f].le);
        free(hs[f].cum);
    }
    free(hs);
    free(props);
    free(edges);
    free(counts);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 3 && !strcmp(argv[1], "raw")) return bench_raw(argv[2]);
    if (argc >= 2 && !strcmp(argv[1], "eval")) {
        size_t m = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000,
               f = argc > 3 ? strtoul(argv[3], NULL, 10) : 50;
        size_t b = argc > 4 ? strtoul(argv[4], NULL, 10) : 20;
        if (!m || !f || b < 2) return 2;
        return bench_eval(m, f, b);
    }
    fprintf(stderr, "usage: bench_stats raw FILE | bench_stats eval [MODELS FEATURES BINS]\n");
    return 2;
}
