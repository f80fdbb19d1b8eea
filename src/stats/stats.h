/* stats — the drift, performance and fairness mathematics of model monitoring.
 *
 * Owns: pure numeric functions. No I/O, no global state, no logging; thread-safe and
 * reentrant. Only the raw-sample convenience wrappers (mg_stats_ks_2samp,
 * mg_stats_wasserstein, mg_stats_quantile_edges) allocate scratch memory (mg_xmalloc, freed
 * before they return); every other function works in the caller's arrays and never keeps a
 * pointer to them.
 *
 * Conventions (each function names the scipy / scikit-learn / Fairlearn definition it follows;
 * hack/gen-stats-fixtures.py computes the reference values and tests/unit/test_stats.c checks
 * agreement to 1e-9):
 * - Fallible functions return 0 and write *out, or return MG_EINVAL (src/core/error.h) and leave
 *   *out untouched. MG_EINVAL means: a NULL array with a non-zero length, an empty sample, a
 *   NaN anywhere (NaN is rejected, never propagated), a negative or infinite count or weight,
 *   a zero total where a distribution is needed, or unsorted edges.
 * - "Counts" arrays may hold any non-negative finite weights: they are normalised by their
 *   sum, so baseline proportions and live counts can be passed directly.
 * - Histogram bins follow Prometheus `le` semantics: with edges e[0] < ... < e[k-1] there are
 *   k+1 bins; bin 0 is (-inf, e[0]], bin i is (e[i-1], e[i]], bin k is (e[k-1], +inf). This is
 *   the layout of the ModelVersion baseline (README, metric contract: `proportions` has one
 *   more entry than `edges`) and of the `modelgov_feature_bucket{le=...}` series.
 * - Raw samples must be finite (NaN and +-Inf are rejected).
 * - Ratios with a zero denominator follow scikit-learn's zero_division=0: precision, recall and
 *   F1 are 0 when undefined; accuracy of an empty matrix is 0.
 */
#ifndef MG_STATS_STATS_H
#define MG_STATS_STATS_H
#include <stddef.h>

/* PSI smoothing: proportions below this are raised to it (no renormalisation) before the
 * logarithm, so an empty bin costs a bounded, not infinite, amount. 1e-4 is the conventional
 * choice. */
#define MG_STATS_PSI_EPS 1e-4

/* ---- Classification performance -------------------------------------------------------- */

/* Binary confusion matrix for the positive class (counts; doubles so that summed counter
 * increases need no conversion). */
typedef struct mg_confusion {
    double tp, fp, tn, fn;
} mg_confusion;

/* (tp+tn)/total; 0 when total is 0. */
double mg_stats_accuracy(const mg_confusion *c);
/* tp/(tp+fp); 0 when tp+fp is 0 (sklearn precision_score, zero_division=0). */
double mg_stats_precision(const mg_confusion *c);
/* tp/(tp+fn); 0 when tp+fn is 0 (sklearn recall_score, zero_division=0). */
double mg_stats_recall(const mg_confusion *c);
/* 2tp/(2tp+fp+fn); 0 when that denominator is 0 (sklearn f1_score, zero_division=0). */
double mg_stats_f1(const mg_confusion *c);

/* Multi-class metrics from a k x k confusion matrix m (row-major, m[actual*k + predicted]).
 * Labels are those present in y_true or y_pred, as scikit-learn's labels=None: a class whose
 * row and column are both all zero is left out of the macro mean. Per-class precision, recall
 * and F1 use zero_division=0; macro F1 is the mean of the per-class F1 scores (sklearn
 * f1_score(average='macro')), not the F1 of macro precision and recall. Returns MG_EINVAL for
 * k == 0, a NULL matrix, negative/NaN/inf entries or an all-zero matrix. */
typedef struct mg_multiclass_scores {
    double accuracy;
    double macro_precision;
    double macro_recall;
    double macro_f1;
    size_t classes; /* number of labels that entered the macro means */
} mg_multiclass_scores;
int mg_stats_multiclass(const double *m, size_t k, mg_multiclass_scores *out);

/* ---- Distribution drift (binned) -------------------------------------------------------- */

/* Population Stability Index between an expected (baseline) and an actual (live)
 * distribution over the same n bins: sum_i (a_i - e_i) * ln(a_i / e_i), where e and a are the
 * inputs normalised by their sums and then raised to at least MG_STATS_PSI_EPS. 0 for
 * identical distributions; >= 0 otherwise (up to rounding, which is clamped to 0). */
int mg_stats_psi(const double *expected, const double *actual, size_t n, double *out);

/* Two-sample Kolmogorov–Smirnov statistic on binned data: max over bins of the absolute
 * difference of the two empirical CDFs evaluated at each bin's upper bound. For integer
 * counts this equals scipy.stats.ks_2samp(x, y).statistic where every observation of bin i
 * is placed at one common point inside it (e.g. its index). In [0, 1]. */
int mg_stats_ks_binned(const double *a, const double *b, size_t n, double *out);

/* Jensen–Shannon distance, base 2, as scipy.spatial.distance.jensenshannon(p, q, base=2):
 * p and q are normalised by their sums; m = (p+q)/2; result =
 * sqrt((KL(p||m) + KL(q||m)) / (2 ln 2)) with 0 ln 0 = 0. In [0, 1]. A negative rounding
 * residue under the square root is clamped to 0. */
int mg_stats_js_distance(const double *p, const double *q, size_t n, double *out);

/* Wasserstein-1 distance between two weighted distributions on the same support points
 * (positions[i] need not be sorted, duplicates allowed), as
 * scipy.stats.wasserstein_distance(positions, positions, u_weights, v_weights).
 * For histograms, positions are bin representatives: see mg_stats_bin_positions. */
int mg_stats_wasserstein_binned(const double *positions, const double *u_weights, const double *v_weights,
                                size_t n, double *out);

/* Representative points of the k+1 `le` bins defined by k sorted edges, for binned
 * Wasserstein: interior bin (e[i-1], e[i]] -> its midpoint; the open first bin ->
 * e[0] - w0/2 and the open last bin -> e[k-1] + w1/2 where w0 = e[1]-e[0] and
 * w1 = e[k-1]-e[k-2] (the adjacent bin's width; width 1 when k == 1). positions must hold
 * k+1 values. MG_EINVAL for k == 0, non-finite or non-increasing edges. */
int mg_stats_bin_positions(const double *edges, size_t k, double *positions);

/* ---- Chi-square ------------------------------------------------------------------------ */

/* Pearson's chi-square goodness-of-fit test as scipy.stats.chisquare(f_obs, f_exp) with
 * ddof=0: f_exp is first rescaled to the total of f_obs (so baseline proportions can be
 * passed), statistic = sum (o-e)^2/e, dof = n-1, p = Q((n-1)/2, stat/2) (chi2.sf). n >= 2;
 * an expected entry of 0, or one that under/overflows when rescaled, is MG_EINVAL (scipy would
 * return inf or nan). */
int mg_stats_chisquare(const double *f_obs, const double *f_exp, size_t n, double *stat, double *pvalue);

/* Chi-square test of independence on an r x c contingency table (row-major) as
 * scipy.stats.chi2_contingency(table) with its defaults: expected = row_sum*col_sum/total,
 * dof = (r-1)(c-1), Yates' continuity correction when dof == 1 (each |o-e| reduced by
 * min(0.5, |o-e|)). A zero row or column sum is MG_EINVAL (scipy raises). dof == 0 gives
 * statistic 0 and p-value 1. dof may be NULL. */
int mg_stats_chi2_contingency(const double *table, size_t r, size_t c, double *stat, double *pvalue,
                              double *dof);

/* Regularized incomplete gamma functions P(a, x) and Q(a, x) = 1 - P(a, x) for a > 0,
 * x >= 0 (scipy.special.gammainc / gammaincc): series for x < a+1, Lentz continued fraction
 * otherwise, each to 1e-15 relative; NaN for invalid arguments. */
double mg_stats_gamma_p(double a, double x);
double mg_stats_gamma_q(double a, double x);
/* Upper tail of the chi-square distribution with dof degrees of freedom (scipy chi2.sf). */
double mg_stats_chi2_sf(double x, double dof);

/* ---- Raw samples ----------------------------------------------------------------------- */

/* Two-sample KS statistic as scipy.stats.ks_2samp(a, b).statistic (two-sided): max over all
 * observed values x of |F_a(x) - F_b(x)| with right-continuous empirical CDFs, computed as the
 * exact integer max |i*nb - j*na| / gcd(na, nb) divided once by lcm(na, nb): correctly rounded.
 * scipy's exact mode (max(na, nb) <= 10000) returns the same h/lcm, bit for bit; its asymp
 * mode returns fabs(i/na - j/nb), which may differ by an ulp. na, nb < 2^32.
 * The _sorted variant needs both inputs sorted ascending and allocates nothing; it does not
 * re-check the order (unsorted input gives a meaningless number, never a crash) but does
 * reject non-finite values. O(na+nb). */
int mg_stats_ks_2samp_sorted(const double *a, size_t na, const double *b, size_t nb, double *out);
/* Copies and sorts (O(n log n) radix sort), then merges. */
int mg_stats_ks_2samp(const double *a, size_t na, const double *b, size_t nb, double *out);

/* Two-sided p-value of the two-sample KS test for statistic d and sample sizes na, nb, as
 * scipy.stats.ks_2samp(method='auto') computes it when both sizes are <= MG_STATS_KS_EXACT_MAX
 * (10000): the exact distribution (h = round(d*lcm); scipy's _compute_prob_outside_square for
 * na == nb, else the inside method with Viehmann's recursion). Above that size scipy uses the
 * finite-n one-sample distribution kstwo.sf(d, round(en)); this function uses its limit, the
 * Kolmogorov distribution mg_stats_kolmogorov_sf(sqrt(en)*d) with en = na*nb/(na+nb) (scipy
 * < 1.5's choice): it differs from current scipy by O(1/sqrt(en)), irrelevant at the sizes
 * where it applies but NOT equal to 1e-9. Clipped to [0, 1]. */
#define MG_STATS_KS_EXACT_MAX 10000
int mg_stats_ks_2samp_pvalue(size_t na, size_t nb, double d, double *out);
/* Statistic and p-value together (either output may be NULL). */
int mg_stats_ks_2samp_test_sorted(const double *a, size_t na, const double *b, size_t nb, double *stat,
                                  double *pvalue);
int mg_stats_ks_2samp_test(const double *a, size_t na, const double *b, size_t nb, double *stat,
                           double *pvalue);
/* Survival function of the Kolmogorov distribution, scipy.special.kolmogorov(y) =
 * 2 sum_k (-1)^(k-1) exp(-2 k^2 y^2) (theta-function form for y < 1). */
double mg_stats_kolmogorov_sf(double y);

/* Wasserstein-1 distance exactly as scipy.stats.wasserstein_distance(u, v) (unweighted):
 * the integral of |F_u - F_v| over the real line, computed with a merge walk over the sorted
 * samples and compensated (Neumaier) summation. Same sortedness rules as the KS pair. */
int mg_stats_wasserstein_sorted(const double *u, size_t nu, const double *v, size_t nv, double *out);
int mg_stats_wasserstein(const double *u, size_t nu, const double *v, size_t nv, double *out);

/* Sorts n finite doubles ascending in place (LSD radix sort; tmp must hold n doubles, or be
 * NULL to allocate it). MG_EINVAL when a value is NaN or infinite (array left unspecified). */
int mg_stats_sort(double *x, size_t n, double *tmp);

/* ---- Baselines and histograms ---------------------------------------------------------- */

/* q-quantile (0 <= q <= 1) of n sorted values with numpy.quantile's default 'linear' method:
 * h = (n-1)q, result = x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h]). */
int mg_stats_quantile_sorted(const double *sorted, size_t n, double q, double *out);

/* Quantile bin edges for a baseline: the numpy.quantile(x, i/nbins) for i = 1..nbins-1,
 * with duplicates removed so that the result is strictly increasing (many equal values
 * would otherwise give empty `le` buckets and duplicate Prometheus series). values need not
 * be sorted (a sorted copy is made). edges must hold nbins-1 doubles; *nedges receives the
 * number written (>= 1 unless all values are equal, in which case it is 1: that value).
 * nbins >= 2. */
int mg_stats_quantile_edges(const double *values, size_t n, size_t nbins, double *edges, size_t *nedges);

/* Counts finite values into the k+1 `le` bins of k sorted edges (see the top comment),
 * adding to counts[0..k] (the caller zeroes it). Binary search per value. NaN and +-Inf
 * values are rejected (MG_EINVAL, counts unchanged). */
int mg_stats_histogram(const double *values, size_t n, const double *edges, size_t k, double *counts);

/* Turns Prometheus cumulative bucket counts (cum[i] = observations <= le[i], last one
 * +Inf) into per-bin counts: out[0] = cum[0], out[i] = cum[i] - cum[i-1]. A decrease between
 * buckets (a non-monotonic scrape, which Prometheus' own histogram_quantile also tolerates)
 * gives 0 for that bin. out may equal cum. MG_EINVAL for NaN or negative entries. */
int mg_stats_decumulate(const double *cum, size_t n, double *out);

/* Proportions from counts: out[i] = counts[i] / sum. MG_EINVAL for a zero sum. out may equal
 * counts. */
int mg_stats_normalize(const double *counts, size_t n, double *out);

/* ---- Fairness (Fairlearn definitions, between_groups) ---------------------------------- */

/* Per-group rates are num[i]/den[i]; groups with den[i] == 0 carry no information and are
 * skipped. MG_EINVAL when no group is left, for NaN/negative/inf entries, or num[i] > den[i]
 * (a rate above 1). */

/* max - min of the selection rate P(prediction=1) over groups (num = positive predictions,
 * den = all predictions): fairlearn.metrics.demographic_parity_difference. */
int mg_stats_demographic_parity_diff(const double *num, const double *den, size_t groups, double *out);
/* min / max of the selection rate (fairlearn.metrics.demographic_parity_ratio, the
 * "disparate impact" ratio). When every rate is 0 the ratio is 0/0: *out = NaN and 0 is
 * returned (Fairlearn gives nan too); callers treat NaN as "not judged". */
int mg_stats_disparate_impact(const double *num, const double *den, size_t groups, double *out);
/* max - min of the true-positive rate tp/(tp+fn) over groups (num = tp, den = tp+fn):
 * fairlearn.metrics.equal_opportunity_difference (the true_positive_rate
 * between_groups difference). */
int mg_stats_equal_opportunity_diff(const double *num, const double *den, size_t groups, double *out);

#endif
