#include "data/drift.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "stats/stats.h"

/* PSI, JS distance and chi-square on the reference's quantile bins. */
static void binned_metrics(const double *ref, size_t nref, const double *cur, size_t ncur, size_t bins,
                           mg_drift_metrics *m) {
    double *edges = mg_xmalloc(bins * sizeof *edges);
    size_t ne = 0;
    mg_stats_quantile_edges(ref, nref, bins, edges, &ne);
    double *ca = mg_xcalloc(ne + 1, sizeof *ca), *cb = mg_xcalloc(ne + 1, sizeof *cb);
    mg_stats_histogram(ref, nref, edges, ne, ca);
    mg_stats_histogram(cur, ncur, edges, ne, cb);
    mg_stats_psi(ca, cb, ne + 1, &m->psi);
    mg_stats_js_distance(ca, cb, ne + 1, &m->js);
    m->chi2_ok = mg_stats_chisquare(cb, ca, ne + 1, &m->chi2, &m->chi2_pvalue) == 0;
    free(edges);
    free(ca);
    free(cb);
}

int mg_drift_feature(double *ref, size_t nref, double *cur, size_t ncur, size_t bins, mg_drift_metrics *m) {
    *m = (mg_drift_metrics){NAN, NAN, NAN, NAN, NAN, NAN, false};
    /* sort once; the _sorted variants then allocate nothing */
    if (mg_stats_sort(ref, nref, NULL) || mg_stats_sort(cur, ncur, NULL) ||
        mg_stats_ks_2samp_sorted(ref, nref, cur, ncur, &m->ks) ||
        mg_stats_wasserstein_sorted(ref, nref, cur, ncur, &m->wasserstein))
        return MG_EINVAL;
    binned_metrics(ref, nref, cur, ncur, bins, m);
    return 0;
}

size_t mg_drift_breaches(const mg_drift_metrics *m, const mg_drift_thresholds *t,
                         mg_drift_breach out[MG_DRIFT_NCHECKS]) {
    const struct {
        const char *metric;
        double v, thr;
        bool below;
    } checks[MG_DRIFT_NCHECKS] = {{"psi", m->psi, t->psi, false},
                                  {"ks", m->ks, t->ks, false},
                                  {"jsDistance", m->js, t->js, false},
                                  {"wasserstein", m->wasserstein, t->wasserstein, false},
                                  {"chi2PValue", m->chi2_ok ? m->chi2_pvalue : NAN, t->chi2_pvalue, true}};
    size_t n = 0;
    for (size_t k = 0; k < MG_DRIFT_NCHECKS; k++) {
        if (isnan(checks[k].thr) || isnan(checks[k].v)) continue;
        bool bad = checks[k].below ? checks[k].v < checks[k].thr : checks[k].v > checks[k].thr;
        if (bad) out[n++] = (mg_drift_breach){checks[k].metric, checks[k].v, checks[k].thr};
    }
    return n;
}

static mg_numcol *find_col(mg_numcols *B, const char *name) {
    mg_numcol *b = NULL;
    for (size_t j = 0; j < B->ncol; j++)
        if (!strcmp(B->col[j].name, name)) b = &B->col[j];
    return b;
}

int mg_drift_compare(mg_numcols *A, mg_numcols *B, bool all, size_t bins, const char *ref, const char *cur,
                     mg_drift_result **out, size_t *n, mg_error *err) {
    mg_drift_result *r = mg_xcalloc(A->ncol + 1, sizeof *r);
    size_t k = 0;
    int rc = 0;
    for (size_t i = 0; i < A->ncol && !rc; i++) {
        mg_numcol *a = &A->col[i], *b = find_col(B, a->name);
        if (all && (!b || a->non_numeric || b->non_numeric || a->n == 0 || b->n == 0)) continue;
        if (!b)
            rc = mg_error_set(err, MG_EINVAL, "%s: column %s is not in the header", cur, a->name);
        else if (a->n == 0 || b->n == 0)
            rc = mg_error_set(err, MG_EINVAL, "feature %s has no values in %s", a->name, a->n ? cur : ref);
        else if (mg_drift_feature(a->v, a->n, b->v, b->n, bins, &r[k].m))
            rc = mg_error_set(err, MG_EINVAL, "feature %s: invalid values", a->name);
        else {
            r[k].ref = a;
            r[k].cur = b;
            k++;
        }
    }
    if (!rc && k == 0) rc = mg_error_set(err, MG_EINVAL, "no numeric feature common to %s and %s", ref, cur);
    if (rc) {
        free(r);
        return rc;
    }
    *out = r;
    *n = k;
    return 0;
}
