/* data/drift — per-feature drift between a reference and a current sample, with the shared
 * statistics module (src/stats, the operator's code): KS and Wasserstein on the raw values;
 * PSI, JS distance and chi-square on the reference's quantile bins (the baseline's bins); and
 * which metrics breach given thresholds.
 *
 * Owns: nothing beyond a call. Pure: no I/O; mg_drift_feature sorts the caller's arrays in
 * place and allocates only scratch memory it frees. Thread-safe. */
#ifndef MG_DATA_DRIFT_H
#define MG_DATA_DRIFT_H
#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "data/numcols.h"

typedef struct mg_drift_metrics {
    double ks, wasserstein, psi, js, chi2, chi2_pvalue;
    bool chi2_ok; /* false when a reference bin is empty (chi2 and its p-value are undefined) */
} mg_drift_metrics;

/* Thresholds; NAN means "not checked". chi2_pvalue is a lower bound, the others upper bounds. */
typedef struct mg_drift_thresholds {
    double psi, ks, js, wasserstein, chi2_pvalue;
} mg_drift_thresholds;

#define MG_DRIFT_NCHECKS 5
typedef struct mg_drift_breach {
    const char *metric; /* "psi", "ks", "jsDistance", "wasserstein" or "chi2PValue" (static) */
    double value, threshold;
} mg_drift_breach;

/* Metrics of one feature: ref[0..nref) and cur[0..ncur) (non-empty, finite; both sorted in
 * place) over bins reference-quantile bins. Returns 0 or MG_EINVAL (non-finite values). */
int mg_drift_feature(double *ref, size_t nref, double *cur, size_t ncur, size_t bins, mg_drift_metrics *m);

/* The breaches of m against t, in the order psi, ks, jsDistance, wasserstein, chi2PValue; an
 * undefined metric (NaN) never breaches. Returns how many were written to out. */
size_t mg_drift_breaches(const mg_drift_metrics *m, const mg_drift_thresholds *t,
                         mg_drift_breach out[MG_DRIFT_NCHECKS]);

/* One compared feature: the reference and current columns (borrowed) and its metrics. */
typedef struct mg_drift_result {
    const mg_numcol *ref, *cur;
    mg_drift_metrics m;
} mg_drift_result;

/* Pairs the columns of A (reference file ref) with B's by name and computes each pair's metrics
 * (sorting the values in place). With all (no --features given), columns missing from B, empty
 * or non-numeric in either file are skipped; otherwise each is an error. Fills *out (a new array
 * of *n results; caller frees). Returns 0, or MG_EINVAL with a message naming the file and
 * feature (also when no feature is left). */
int mg_drift_compare(mg_numcols *A, mg_numcols *B, bool all, size_t bins, const char *ref, const char *cur,
                     mg_drift_result **out, size_t *n, mg_error *err);

#endif
