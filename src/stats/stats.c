/* stats — see stats.h for the conventions. */
#include "stats/stats.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/mem.h"

/* ---- helpers ---------------------------------------------------------------------------- */

static double safe_div(double num, double den) { return den > 0 ? num / den : 0.0; }

/* Neumaier's compensated summation: the result is as if summed in higher precision, so the
 * order of summation (ours sequential, numpy's pairwise) does not show at 1e-9. */
typedef struct {
    double sum, comp;
} ksum;
static void ksum_add(ksum *k, double v) {
    double t = k->sum + v;
    if (fabs(k->sum) >= fabs(v))
        k->comp += (k->sum - t) + v;
    else
        k->comp += (v - t) + k->sum;
    k->sum = t;
}
static double ksum_get(const ksum *k) { return k->sum + k->comp; }

/* Checks a weight vector: non-NULL when n > 0, finite, non-negative; returns its sum in *sum. */
static int check_weights(const double *w, size_t n, double *sum) {
    if (n == 0 || !w) return MG_EINVAL;
    ksum s = {0, 0};
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(w[i]) || w[i] < 0) return MG_EINVAL;
        ksum_add(&s, w[i]);
    }
    *sum = ksum_get(&s);
    return isfinite(*sum) ? 0 : MG_EINVAL; /* finite parts may still overflow in the sum */
}

static int check_dist(const double *w, size_t n, double *sum) {
    int rc = check_weights(w, n, sum);
    if (rc) return rc;
    return *sum > 0 ? 0 : MG_EINVAL;
}

/* ---- classification --------------------------------------------------------------------- */

double mg_stats_accuracy(const mg_confusion *c) {
    return safe_div(c->tp + c->tn, c->tp + c->tn + c->fp + c->fn);
}
double mg_stats_precision(const mg_confusion *c) { return safe_div(c->tp, c->tp + c->fp); }
double mg_stats_recall(const mg_confusion *c) { return safe_div(c->tp, c->tp + c->fn); }
double mg_stats_f1(const mg_confusion *c) { return safe_div(2 * c->tp, 2 * c->tp + c->fp + c->fn); }

int mg_stats_multiclass(const double *m, size_t k, mg_multiclass_scores *out) {
    double total;
    if (k == 0 || k > 1u << 16 || check_dist(m, k * k, &total)) return MG_EINVAL;
    ksum diag = {0, 0}, sp = {0, 0}, sr = {0, 0}, sf = {0, 0};
    size_t classes = 0;
    for (size_t c = 0; c < k; c++) {
        double tp = m[c * k + c], row = 0, col = 0;
        for (size_t j = 0; j < k; j++) {
            row += m[c * k + j];
            col += m[j * k + c];
        }
        ksum_add(&diag, tp);
        if (row == 0 && col == 0) continue;
        classes++;
        ksum_add(&sp, safe_div(tp, col));
        ksum_add(&sr, safe_div(tp, row));
        /* sklearn: F1 = 2tp / (2tp + fp + fn) = 2tp / (row + col) */
        ksum_add(&sf, safe_div(2 * tp, row + col));
    }
    out->accuracy = ksum_get(&diag) / total;
    out->macro_precision = ksum_get(&sp) / (double)classes;
    out->macro_recall = ksum_get(&sr) / (double)classes;
    out->macro_f1 = ksum_get(&sf) / (double)classes;
    out->classes = classes;
    return 0;
}

/* ---- binned drift ----------------------------------------------------------------------- */

int mg_stats_psi(const double *expected, const double *actual, size_t n, double *out) {
    double se, sa;
    if (check_dist(expected, n, &se) || check_dist(actual, n, &sa)) return MG_EINVAL;
    ksum s = {0, 0};
    for (size_t i = 0; i < n; i++) {
        double e = expected[i] / se, a = actual[i] / sa;
        if (e < MG_STATS_PSI_EPS) e = MG_STATS_PSI_EPS;
        if (a < MG_STATS_PSI_EPS) a = MG_STATS_PSI_EPS;
        ksum_add(&s, (a - e) * log(a / e));
    }
    double r = ksum_get(&s);
    *out = r > 0 ? r : 0.0;
    return 0;
}

int mg_stats_ks_binned(const double *a, const double *b, size_t n, double *out) {
    double sa, sb;
    if (check_dist(a, n, &sa) || check_dist(b, n, &sb)) return MG_EINVAL;
    double ca = 0, cb = 0, d = 0;
    for (size_t i = 0; i < n; i++) {
        ca += a[i];
        cb += b[i];
        double diff = fabs(ca / sa - cb / sb);
        if (diff > d) d = diff;
    }
    *out = d > 1 ? 1 : d;
    return 0;
}

/* x * ln(x / y) with scipy.special.rel_entr's conventions for x, y >= 0. */
static double rel_entr(double x, double y) {
    if (x > 0 && y > 0) return x * log(x / y);
    if (x == 0 && y >= 0) return 0;
    return INFINITY;
}

int mg_stats_js_distance(const double *p, const double *q, size_t n, double *out) {
    double sp, sq;
    if (check_dist(p, n, &sp) || check_dist(q, n, &sq)) return MG_EINVAL;
    ksum left = {0, 0}, right = {0, 0};
    for (size_t i = 0; i < n; i++) {
        double pi = p[i] / sp, qi = q[i] / sq, m = (pi + qi) / 2.0;
        ksum_add(&left, rel_entr(pi, m));
        ksum_add(&right, rel_entr(qi, m));
    }
    double js = (ksum_get(&left) + ksum_get(&right)) / log(2.0);
    js /= 2.0;
    *out = js > 0 ? sqrt(js) : 0.0;
    return 0;
}

typedef struct {
    double x, u, v;
} wpoint;

static int cmp_wpoint(const void *pa, const void *pb) {
    double a = ((const wpoint *)pa)->x, b = ((const wpoint *)pb)->x;
    return (a > b) - (a < b);
}

int mg_stats_wasserstein_binned(const double *positions, const double *u_weights, const double *v_weights,
                                size_t n, double *out) {
    double su, sv;
    if (n == 0 || !positions) return MG_EINVAL;
    if (check_dist(u_weights, n, &su) || check_dist(v_weights, n, &sv)) return MG_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(positions[i])) return MG_EINVAL;
    wpoint stackbuf[64];
    wpoint *pts = n <= 64 ? stackbuf : mg_xmalloc(n * sizeof(*pts));
    for (size_t i = 0; i < n; i++)
        pts[i] = (wpoint){positions[i], u_weights[i], v_weights[i]};
    qsort(pts, n, sizeof(*pts), cmp_wpoint);
    /* scipy's _cdf_distance: CDFs are cumulative sorted weights / total, evaluated at each
     * support point, times the gap to the next point. */
    ksum s = {0, 0};
    double cu = 0, cv = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        cu += pts[i].u;
        cv += pts[i].v;
        double gap = pts[i + 1].x - pts[i].x;
        if (gap > 0) ksum_add(&s, fabs(cu / su - cv / sv) * gap);
    }
    if (pts != stackbuf) free(pts);
    *out = ksum_get(&s);
    return 0;
}

int mg_stats_bin_positions(const double *edges, size_t k, double *positions) {
    if (k == 0 || !edges || !positions) return MG_EINVAL;
    for (size_t i = 0; i < k; i++) {
        if (!isfinite(edges[i])) return MG_EINVAL;
        if (i > 0 && !(edges[i] > edges[i - 1])) return MG_EINVAL;
    }
    double w0 = k > 1 ? edges[1] - edges[0] : 1.0;
    double w1 = k > 1 ? edges[k - 1] - edges[k - 2] : 1.0;
    positions[0] = edges[0] - w0 / 2;
    for (size_t i = 1; i < k; i++)
        positions[i] = edges[i - 1] + (edges[i] - edges[i - 1]) / 2;
    positions[k] = edges[k - 1] + w1 / 2;
    return 0;
}

/* ---- incomplete gamma / chi-square ------------------------------------------------------ */

#define GAMMA_EPS 1e-16
#define GAMMA_MAXIT 100000

/* log of x^a e^-x / Gamma(a), the common prefactor. */
static double gamma_prefactor_log(double a, double x) { return a * log(x) - x - lgamma(a); }

/* P(a,x) by the series x^a e^-x / Gamma(a+1) * sum_n x^n / ((a+1)...(a+n)); converges fast
 * for x < a+1. Written with Gamma(a+1) rather than a*Gamma(a) so that a subnormal a does not
 * overflow 1/a. */
static double gamma_p_series(double a, double x) {
    double ap = a, del = 1.0, sum = 1.0;
    for (int n = 0; n < GAMMA_MAXIT; n++) {
        ap += 1;
        del *= x / ap;
        sum += del;
        if (fabs(del) < fabs(sum) * GAMMA_EPS) break;
    }
    return sum * exp(a * log(x) - x - lgamma(a + 1));
}

/* Q(a,x) by the continued fraction (modified Lentz); converges fast for x >= a+1. */
static double gamma_q_cf(double a, double x) {
    const double tiny = 1e-300;
    double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
    for (int i = 1; i < GAMMA_MAXIT; i++) {
        double an = -i * (i - a);
        b += 2;
        d = an * d + b;
        if (fabs(d) < tiny) d = tiny;
        c = b + an / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1) < GAMMA_EPS) break;
    }
    return exp(gamma_prefactor_log(a, x)) * h;
}

static double clamp01(double v) { return v < 0 ? 0 : (v > 1 ? 1 : v); }

double mg_stats_gamma_p(double a, double x) {
    if (!(a > 0) || !(x >= 0) || isinf(a)) return NAN;
    if (x == 0) return 0;
    if (isinf(x)) return 1;
    return clamp01(x < a + 1 ? gamma_p_series(a, x) : 1 - gamma_q_cf(a, x));
}

double mg_stats_gamma_q(double a, double x) {
    if (!(a > 0) || !(x >= 0) || isinf(a)) return NAN;
    if (x == 0) return 1;
    if (isinf(x)) return 0;
    return clamp01(x < a + 1 ? 1 - gamma_p_series(a, x) : gamma_q_cf(a, x));
}

double mg_stats_chi2_sf(double x, double dof) {
    if (!(dof > 0) || isnan(x)) return NAN;
    if (x <= 0) return 1;
    return mg_stats_gamma_q(dof / 2, x / 2);
}

int mg_stats_chisquare(const double *f_obs, const double *f_exp, size_t n, double *stat, double *pvalue) {
    double so, se;
    if (n < 2 || check_dist(f_obs, n, &so) || check_dist(f_exp, n, &se)) return MG_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (f_exp[i] == 0) return MG_EINVAL;
    ksum s = {0, 0};
    for (size_t i = 0; i < n; i++) {
        double e = f_exp[i] * (so / se), diff = f_obs[i] - e;
        /* extreme magnitudes can overflow or underflow the rescaled expectation */
        if (!isfinite(e) || !(e > 0)) return MG_EINVAL;
        ksum_add(&s, diff * diff / e);
    }
    double chi = ksum_get(&s);
    if (isnan(chi)) return MG_EINVAL;
    if (stat) *stat = chi;
    if (pvalue) *pvalue = mg_stats_chi2_sf(chi, (double)(n - 1));
    return 0;
}

int mg_stats_chi2_contingency(const double *table, size_t r, size_t c, double *stat, double *pvalue,
                              double *dof) {
    double total;
    if (r == 0 || c == 0 || r > 1u << 16 || c > 1u << 16 || check_dist(table, r * c, &total))
        return MG_EINVAL;
    double rowbuf[64], colbuf[64];
    double *rows = r <= 64 ? rowbuf : mg_xcalloc(r, sizeof(double));
    double *cols = c <= 64 ? colbuf : mg_xcalloc(c, sizeof(double));
    int rc = 0;
    for (size_t i = 0; i < r; i++)
        rows[i] = 0;
    for (size_t j = 0; j < c; j++)
        cols[j] = 0;
    for (size_t i = 0; i < r; i++)
        for (size_t j = 0; j < c; j++) {
            rows[i] += table[i * c + j];
            cols[j] += table[i * c + j];
        }
    for (size_t i = 0; i < r && !rc; i++)
        if (rows[i] == 0) rc = MG_EINVAL;
    for (size_t j = 0; j < c && !rc; j++)
        if (cols[j] == 0) rc = MG_EINVAL;
    if (!rc) {
        double df = (double)(r - 1) * (double)(c - 1);
        double chi = 0, p = 1;
        if (df > 0) {
            ksum s = {0, 0};
            for (size_t i = 0; i < r; i++)
                for (size_t j = 0; j < c; j++) {
                    /* scipy.stats.contingency.expected_freq: outer product of the sums / total */
                    double e = rows[i] * cols[j] / total, diff = table[i * c + j] - e;
                    if (!isfinite(e) || !(e > 0)) rc = MG_EINVAL;
                    if (df == 1) {
                        /* Yates: move each observed value 0.5 towards its expectation */
                        double adj = fabs(diff) < 0.5 ? fabs(diff) : 0.5;
                        diff = diff > 0 ? diff - adj : diff + adj;
                    }
                    ksum_add(&s, diff * diff / e);
                }
            chi = ksum_get(&s);
            if (isnan(chi)) rc = MG_EINVAL;
            p = mg_stats_chi2_sf(chi, df);
        }
        if (!rc) {
            if (stat) *stat = chi;
            if (pvalue) *pvalue = p;
            if (dof) *dof = df;
        }
    }
    if (rows != rowbuf) free(rows);
    if (cols != colbuf) free(cols);
    return rc;
}

/* ---- raw samples ------------------------------------------------------------------------ */

/* Maps a double to a uint64 whose unsigned order is the numeric order (-0.0 sorts just before
 * +0.0; they are adjacent so the merge walks, which compare values, see them as equal). */
static inline uint64_t dkey(double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof(u));
    return (u & 0x8000000000000000ull) ? ~u : (u | 0x8000000000000000ull);
}
static inline double dunkey(uint64_t k) {
    uint64_t u = (k & 0x8000000000000000ull) ? (k & ~0x8000000000000000ull) : ~k;
    double d;
    memcpy(&d, &u, sizeof(d));
    return d;
}

#define RADIX_BITS 11
#define RADIX_SIZE (1u << RADIX_BITS)
#define RADIX_PASSES 6 /* 6 x 11 >= 64 */

int mg_stats_sort(double *x, size_t n, double *tmp) {
    if (n == 0) return 0;
    if (!x) return MG_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return MG_EINVAL;
    if (n < 64) {
        /* insertion sort: radix set-up costs more than it saves here */
        for (size_t i = 1; i < n; i++) {
            double v = x[i];
            size_t j = i;
            while (j > 0 && x[j - 1] > v) {
                x[j] = x[j - 1];
                j--;
            }
            x[j] = v;
        }
        return 0;
    }
    double *own = tmp ? NULL : mg_xmalloc(n * sizeof(double));
    uint64_t *a = (uint64_t *)x, *b = (uint64_t *)(tmp ? tmp : own);
    /* histograms of every digit in one read */
    size_t(*hist)[RADIX_SIZE] = mg_xcalloc(RADIX_PASSES, sizeof(*hist));
    for (size_t i = 0; i < n; i++) {
        uint64_t k = dkey(x[i]);
        a[i] = k;
        for (int p = 0; p < RADIX_PASSES; p++)
            hist[p][(k >> (p * RADIX_BITS)) & (RADIX_SIZE - 1)]++;
    }
    for (int p = 0; p < RADIX_PASSES; p++) {
        unsigned shift = (unsigned)p * RADIX_BITS;
        size_t *h = hist[p];
        /* a digit that is the same for every key changes nothing: skip the pass */
        if (h[(a[0] >> shift) & (RADIX_SIZE - 1)] == n) continue;
        size_t sum = 0;
        for (size_t d = 0; d < RADIX_SIZE; d++) {
            size_t c = h[d];
            h[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) {
            uint64_t k = a[i];
            b[h[(k >> shift) & (RADIX_SIZE - 1)]++] = k;
        }
        uint64_t *t = a;
        a = b;
        b = t;
    }
    if (a != (uint64_t *)x) memcpy(x, a, n * sizeof(double));
    uint64_t *keys = (uint64_t *)x;
    for (size_t i = 0; i < n; i++)
        x[i] = dunkey(keys[i]);
    free(hist);
    free(own);
    return 0;
}

static int all_finite(const double *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return 0;
    return 1;
}

static uint64_t gcd_u64(uint64_t a, uint64_t b) {
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

int mg_stats_ks_2samp_sorted(const double *a, size_t na, const double *b, size_t nb, double *out) {
    if (na == 0 || nb == 0 || !a || !b || !all_finite(a, na) || !all_finite(b, nb)) return MG_EINVAL;
    if (na > UINT32_MAX || nb > UINT32_MAX) return MG_EINVAL;
    /* |i/na - j/nb| = |i*nb - j*na| / (na*nb): track the integer numerator exactly (it fits
     * in 64 bits) and divide once at the end, by lcm = na*nb/gcd. That is the correctly
     * rounded statistic, and bit-identical to scipy's h/lcm in ks_2samp's exact mode. */
    uint64_t best = 0, unb = nb, una = na;
    size_t i = 0, j = 0;
    while (i < na && j < nb) {
        double x = a[i] < b[j] ? a[i] : b[j];
        while (i < na && a[i] <= x)
            i++;
        while (j < nb && b[j] <= x)
            j++;
        uint64_t p = (uint64_t)i * unb, q = (uint64_t)j * una;
        uint64_t diff = p > q ? p - q : q - p;
        if (diff > best) best = diff;
    }
    /* once one sample is exhausted its CDF is 1 and the other's only grows towards 1, so the
     * difference can only shrink: nothing left to check. */
    uint64_t g = gcd_u64(una, unb);
    *out = (double)(best / g) / (double)((una / g) * unb);
    return 0;
}

int mg_stats_wasserstein_sorted(const double *u, size_t nu, const double *v, size_t nv, double *out) {
    if (nu == 0 || nv == 0 || !u || !v || !all_finite(u, nu) || !all_finite(v, nv)) return MG_EINVAL;
    double fnu = (double)nu, fnv = (double)nv;
    ksum s = {0, 0};
    size_t i = 0, j = 0;
    double x = u[0] < v[0] ? u[0] : v[0];
    for (;;) {
        while (i < nu && u[i] <= x)
            i++;
        while (j < nv && v[j] <= x)
            j++;
        double next;
        if (i < nu && j < nv)
            next = u[i] < v[j] ? u[i] : v[j];
        else if (i < nu)
            next = u[i];
        else if (j < nv)
            next = v[j];
        else
            break;
        ksum_add(&s, fabs((double)i / fnu - (double)j / fnv) * (next - x));
        x = next;
    }
    *out = ksum_get(&s);
    return 0;
}

/* ---- KS p-values ------------------------------------------------------------------------ */

/* scipy's _compute_prob_outside_square(n, h): Pr(D_{n,n} >= h/n) by a Horner-like scheme. */
static double prob_outside_square(int64_t n, int64_t h) {
    double P = 0;
    for (int64_t k = n / h; k >= 0; k--) {
        double p1 = 1;
        for (int64_t j = 0; j < h; j++)
            p1 = (double)(n - k * h - j) * p1 / (double)(n + k * h + j + 1);
        P = p1 * (1 - P);
    }
    return 2 * P;
}

static int64_t floordiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
static int64_t ceildiv(int64_t a, int64_t b) { return -floordiv(-a, b); }

/* scipy's _compute_outer_prob_inside_method(m, n, g, h) (Hodges' inside method with
 * Viehmann's recursion for 1 - p): the proportion of lattice paths that leave the band
 * |x/m - y/n| < h/lcm. Returns NaN when an index would leave scipy's window (never expected). */
static double outer_prob_inside(int64_t m, int64_t n, int64_t g, int64_t h) {
    if (m < n) {
        int64_t t = m;
        m = n;
        n = t;
    }
    int64_t mg = m / g, ng = n / g;
    int64_t minj = 0, maxj = ceildiv(h, mg);
    if (maxj > n + 1) maxj = n + 1;
    int64_t curlen = maxj - minj;
    int64_t lenA = 2 * maxj + 2 < n + 1 ? 2 * maxj + 2 : n + 1;
    double *A = mg_xmalloc((size_t)lenA * sizeof(double));
    for (int64_t i = 0; i < lenA; i++)
        A[i] = i < maxj ? 0.0 : 1.0;
    double result = NAN;
    for (int64_t i = 1; i <= m; i++) {
        int64_t lastminj = minj, lastlen = curlen;
        minj = floordiv(ng * i - h, mg) + 1;
        if (minj < 0) minj = 0;
        if (minj > n) minj = n;
        maxj = ceildiv(ng * i + h, mg);
        if (maxj > n + 1) maxj = n + 1;
        if (maxj <= minj) {
            result = 1.0;
            goto out;
        }
        double val = minj == 0 ? 0.0 : 1.0;
        for (int64_t jj = 0; jj < maxj - minj; jj++) {
            int64_t j = jj + minj, src = jj + minj - lastminj;
            if (src < 0 || src >= lenA || jj >= lenA) goto out;
            val = (A[src] * (double)i + val * (double)j) / (double)(i + j);
            A[jj] = val;
        }
        curlen = maxj - minj;
        for (int64_t k = maxj - minj; lastlen > curlen && k < maxj - minj + (lastlen - curlen) && k < lenA;
             k++)
            A[k] = 1;
    }
    if (maxj - minj - 1 >= 0 && maxj - minj - 1 < lenA) result = A[maxj - minj - 1];
out:
    free(A);
    return result;
}

/* Both series of the Kolmogorov distribution converge geometrically: a term below 1e-17 of the
 * sum no longer changes a double, and 100 terms are never needed for y > 0. */
#define KOLMOGOROV_MAX_TERMS 100
#define KOLMOGOROV_EPS 1e-17

double mg_stats_kolmogorov_sf(double y) {
    if (isnan(y)) return NAN;
    if (y <= 0) return 1;
    if (y < 1) {
        /* theta form of the CDF converges fast for small y */
        const double pi = 3.14159265358979323846;
        double s = 0, f = -pi * pi / (8 * y * y);
        for (int k = 1; k < KOLMOGOROV_MAX_TERMS; k++) {
            double t = exp(f * (double)((2 * k - 1) * (2 * k - 1)));
            s += t;
            if (t < KOLMOGOROV_EPS * s) break;
        }
        return 1 - sqrt(2 * pi) / y * s;
    }
    double s = 0;
    for (int k = 1; k < KOLMOGOROV_MAX_TERMS; k++) {
        double t = exp(-2.0 * k * k * y * y);
        s += (k % 2 ? t : -t);
        if (t < KOLMOGOROV_EPS * s) break;
    }
    s *= 2;
    return s < 0 ? 0 : (s > 1 ? 1 : s);
}

int mg_stats_ks_2samp_pvalue(size_t na, size_t nb, double d, double *out) {
    if (na == 0 || nb == 0 || !(d >= 0 && d <= 1) || na > UINT32_MAX || nb > UINT32_MAX) return MG_EINVAL;
    double p = NAN;
    if (na <= MG_STATS_KS_EXACT_MAX && nb <= MG_STATS_KS_EXACT_MAX) {
        int64_t g = (int64_t)gcd_u64(na, nb), lcm = ((int64_t)na / g) * (int64_t)nb;
        int64_t h = (int64_t)nearbyint(d * (double)lcm);
        if (h == 0)
            p = 1.0;
        else if (na == nb)
            p = prob_outside_square((int64_t)na, h);
        else
            p = outer_prob_inside((int64_t)na, (int64_t)nb, g, h);
        if (!(p >= 0 && p <= 1)) p = NAN; /* scipy then falls back to the asymptotic form */
    }
    if (isnan(p)) {
        double en = (double)na * (double)nb / ((double)na + (double)nb);
        p = mg_stats_kolmogorov_sf(sqrt(en) * d);
    }
    *out = p < 0 ? 0 : (p > 1 ? 1 : p);
    return 0;
}

int mg_stats_ks_2samp_test_sorted(const double *a, size_t na, const double *b, size_t nb, double *stat,
                                  double *pvalue) {
    double d;
    int rc = mg_stats_ks_2samp_sorted(a, na, b, nb, &d);
    if (!rc && pvalue) rc = mg_stats_ks_2samp_pvalue(na, nb, d, pvalue);
    if (!rc && stat) *stat = d;
    return rc;
}

typedef int (*sorted_fn)(const double *, size_t, const double *, size_t, double *);

static int sort_then(sorted_fn fn, const double *a, size_t na, const double *b, size_t nb, double *out) {
    if (na == 0 || nb == 0 || !a || !b) return MG_EINVAL;
    size_t big = na > nb ? na : nb;
    double *ca = mg_xmalloc(na * sizeof(double)), *cb = mg_xmalloc(nb * sizeof(double));
    double *tmp = mg_xmalloc(big * sizeof(double));
    memcpy(ca, a, na * sizeof(double));
    memcpy(cb, b, nb * sizeof(double));
    int rc = mg_stats_sort(ca, na, tmp);
    if (!rc) rc = mg_stats_sort(cb, nb, tmp);
    if (!rc) rc = fn(ca, na, cb, nb, out);
    free(ca);
    free(cb);
    free(tmp);
    return rc;
}

int mg_stats_ks_2samp(const double *a, size_t na, const double *b, size_t nb, double *out) {
    return sort_then(mg_stats_ks_2samp_sorted, a, na, b, nb, out);
}

/* The statistic and the p-value as one output of two doubles, for sort_then. */
static int ks_test_pair(const double *a, size_t na, const double *b, size_t nb, double *out) {
    return mg_stats_ks_2samp_test_sorted(a, na, b, nb, &out[0], &out[1]);
}

int mg_stats_ks_2samp_test(const double *a, size_t na, const double *b, size_t nb, double *stat,
                           double *pvalue) {
    double r[2];
    int rc = sort_then(ks_test_pair, a, na, b, nb, r);
    if (!rc && stat) *stat = r[0];
    if (!rc && pvalue) *pvalue = r[1];
    return rc;
}

int mg_stats_wasserstein(const double *u, size_t nu, const double *v, size_t nv, double *out) {
    return sort_then(mg_stats_wasserstein_sorted, u, nu, v, nv, out);
}

/* ---- baselines and histograms ----------------------------------------------------------- */

int mg_stats_quantile_sorted(const double *sorted, size_t n, double q, double *out) {
    if (n == 0 || !sorted || !(q >= 0 && q <= 1)) return MG_EINVAL;
    double h = (double)(n - 1) * q;
    size_t lo = (size_t)floor(h);
    if (lo >= n - 1) {
        *out = sorted[n - 1];
        return 0;
    }
    double t = h - (double)lo, a = sorted[lo], b = sorted[lo + 1], diff = b - a;
    /* numpy's _lerp: interpolate from the nearer end for accuracy */
    double r = t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
    /* b - a overflows for values near +-DBL_MAX: blend instead (numpy would give inf/nan) */
    if (!isfinite(diff)) r = a * (1 - t) + b * t;
    *out = r < a ? a : (r > b ? b : r);
    return 0;
}

int mg_stats_quantile_edges(const double *values, size_t n, size_t nbins, double *edges, size_t *nedges) {
    if (n == 0 || !values || nbins < 2 || !edges || !nedges) return MG_EINVAL;
    double *s = mg_xmalloc(n * sizeof(double));
    memcpy(s, values, n * sizeof(double));
    int rc = mg_stats_sort(s, n, NULL);
    size_t k = 0;
    for (size_t i = 1; i < nbins && !rc; i++) {
        double e;
        rc = mg_stats_quantile_sorted(s, n, (double)i / (double)nbins, &e);
        if (!rc && (k == 0 || e > edges[k - 1])) edges[k++] = e;
    }
    free(s);
    if (!rc) *nedges = k;
    return rc;
}

int mg_stats_histogram(const double *values, size_t n, const double *edges, size_t k, double *counts) {
    if ((n && !values) || k == 0 || !edges || !counts) return MG_EINVAL;
    for (size_t i = 0; i < k; i++) {
        if (!isfinite(edges[i])) return MG_EINVAL;
        if (i > 0 && !(edges[i] > edges[i - 1])) return MG_EINVAL;
    }
    for (size_t i = 0; i < n; i++)
        if (!isfinite(values[i])) return MG_EINVAL;
    for (size_t i = 0; i < n; i++) {
        /* first edge >= value (lower bound); k when none */
        size_t lo = 0, hi = k;
        double v = values[i];
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (edges[mid] < v)
                lo = mid + 1;
            else
                hi = mid;
        }
        counts[lo] += 1;
    }
    return 0;
}

int mg_stats_decumulate(const double *cum, size_t n, double *out) {
    if (n == 0 || !cum || !out) return MG_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (isnan(cum[i]) || cum[i] < 0) return MG_EINVAL;
    double prev = 0;
    for (size_t i = 0; i < n; i++) {
        double c = cum[i], d = c - prev;
        out[i] = d > 0 ? d : 0;
        if (c > prev) prev = c;
    }
    return 0;
}

int mg_stats_normalize(const double *counts, size_t n, double *out) {
    double s;
    if (!out || check_dist(counts, n, &s)) return MG_EINVAL;
    for (size_t i = 0; i < n; i++)
        out[i] = counts[i] / s;
    return 0;
}

/* ---- fairness --------------------------------------------------------------------------- */

static int group_rate_range(const double *num, const double *den, size_t groups, double *mn, double *mx) {
    if (groups == 0 || !num || !den) return MG_EINVAL;
    size_t used = 0;
    double lo = 0, hi = 0;
    for (size_t g = 0; g < groups; g++) {
        if (!isfinite(num[g]) || !isfinite(den[g]) || num[g] < 0 || num[g] > den[g]) return MG_EINVAL;
        if (den[g] == 0) continue;
        double r = num[g] / den[g];
        if (used == 0 || r < lo) lo = r;
        if (used == 0 || r > hi) hi = r;
        used++;
    }
    if (!used) return MG_EINVAL;
    *mn = lo;
    *mx = hi;
    return 0;
}

int mg_stats_demographic_parity_diff(const double *num, const double *den, size_t groups, double *out) {
    double mn, mx;
    int rc = group_rate_range(num, den, groups, &mn, &mx);
    if (!rc) *out = mx - mn;
    return rc;
}

int mg_stats_disparate_impact(const double *num, const double *den, size_t groups, double *out) {
    double mn, mx;
    int rc = group_rate_range(num, den, groups, &mn, &mx);
    if (!rc) *out = mx > 0 ? mn / mx : NAN;
    return rc;
}

int mg_stats_equal_opportunity_diff(const double *num, const double *den, size_t groups, double *out) {
    return mg_stats_demographic_parity_diff(num, den, groups, out);
}
