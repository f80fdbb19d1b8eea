/* operator/evaluate — the pure judgement of a live model: parse ModelDeployment.spec.monitoring
 * and ModelVersion.spec.baseline, evaluate one window of counter increases against the
 * baseline and the thresholds, and track breaches over successive evaluations.
 *
 * Owns: no global state, no I/O, no clock reads (time is an argument). Every struct here is a
 * plain value owned by its caller: *_parse / mg_eval_window / mg_breach_tracker_* allocate into
 * it (mg_xmalloc; out of memory aborts) and the matching *_free releases it. JSON inputs are
 * borrowed (never kept); JSON outputs are new references the caller owns. Thread rules: one
 * thread at a time per struct; the functions are reentrant.
 *
 * Conventions (README.md, "Metric contract for model servers"):
 * - Thresholds: every threshold of warn{} and quarantine{} is optional; one that is not set is
 *   never checked (no hidden defaults). min* breach when value < threshold, max* when
 *   value > threshold (equality does not breach).
 * - samples: the predictions in the window = the sum of modelgov_predictions_total increases
 *   over the groups and classes of ONE protected attribute (every prediction is counted once per
 *   attribute), the alphabetically first attribute present. When the model exports no
 *   predictions at all: the largest total (+Inf bucket or _count) among the baseline's feature
 *   histograms. judged = samples > 0 && samples >= minSamples: a window with zero traffic is
 *   never judged, even with minSamples 0 (the default when unset: always judged when there is
 *   traffic). An unjudged evaluation still reports its figures but has no breaches.
 * - accuracy / F1: binary, positive class "1" (any other label is negative), from the
 *   modelgov_feedback_total confusion of the alphabetically first attribute in the feedback,
 *   summed over its groups. Not evaluated when there is no feedback; F1 is also not evaluated
 *   when the window has no positive in truth or prediction (2tp+fp+fn == 0).
 *   accuracyDrop = baseline.accuracy - accuracy (needs both).
 * - Drift, per baseline feature: the live histogram's counts in the baseline's bins
 *   (mg_feature_hist_bins) against baseline.proportions: PSI (stats.h smoothing), binned KS, JS
 *   distance (base 2). A feature whose live histogram is missing, has no traffic or whose
 *   buckets do not include the baseline edges is not evaluated (its `error` says why). maxPSI
 *   and worstFeature are the largest PSI and its feature (first in baseline order on ties).
 *   Live features absent from the baseline are ignored.
 * - Fairness, per protected attribute seen in the live predictions or feedback: positive rate
 *   per group = predictions with prediction "1" / all predictions of the group; TPR per group
 *   from the feedback (tp / (tp+fn)); demographic parity difference, disparate impact (min/max
 *   rate; not evaluated when every rate is 0) and equal opportunity difference (groups with no
 *   actual positive skipped) as Fairlearn / stats.h define them.
 * - Breaches: for each set threshold and each subject (feature, attribute, or none for the
 *   accuracy metrics) whose value crosses it, one breach {metric, level, subject, value,
 *   threshold}; the "worst" figures (maxPSI...) are reported in the result. A set threshold
 *   with no computable value is listed in not_evaluated, never breached.
 * - Numbers in JSON outputs are rounded to 6 significant digits, objects are built in a fixed
 *   order (baseline feature order, attributes sorted): same input, byte-identical JSON.
 */
#ifndef MG_OPERATOR_EVALUATE_H
#define MG_OPERATOR_EVALUATE_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "promtext/promtext.h"

/* ---- Metrics, levels, conditions ------------------------------------------------------------ */

/* The thresholds' names; the order is the order breaches are listed in. */
typedef enum {
    MG_METRIC_MIN_ACCURACY = 0,     /* "minAccuracy"             Degraded  */
    MG_METRIC_MIN_F1,               /* "minF1"                   Degraded  */
    MG_METRIC_MAX_ACCURACY_DROP,    /* "maxAccuracyDrop"         Degraded  */
    MG_METRIC_MAX_PSI,              /* "maxPSI"                  Drifted   (subject: feature) */
    MG_METRIC_MAX_KS,               /* "maxKS"                   Drifted   (subject: feature) */
    MG_METRIC_MAX_JS,               /* "maxJSDistance"           Drifted   (subject: feature) */
    MG_METRIC_MAX_DP_DIFF,          /* "maxDemographicParityDiff" BiasDrift (subject: attribute) */
    MG_METRIC_MIN_DISPARATE_IMPACT, /* "minDisparateImpact"      BiasDrift (subject: attribute) */
    MG_METRIC_MAX_EO_DIFF,          /* "maxEqualOpportunityDiff" BiasDrift (subject: attribute) */
    MG_METRIC_COUNT
} mg_eval_metric;

typedef enum { MG_LEVEL_WARN = 0, MG_LEVEL_QUARANTINE = 1, MG_LEVEL_COUNT } mg_level;

typedef enum { MG_COND_DEGRADED = 0, MG_COND_DRIFTED, MG_COND_BIAS_DRIFT, MG_COND_COUNT } mg_eval_condition;

const char *mg_eval_metric_name(mg_eval_metric m);               /* "maxPSI"...; static */
int mg_eval_metric_parse(const char *name, mg_eval_metric *out); /* 0 or MG_EINVAL */
const char *mg_eval_level_name(mg_level l);                      /* "warn" / "quarantine" */
mg_eval_condition mg_eval_metric_condition(mg_eval_metric m);
const char *mg_eval_condition_name(mg_eval_condition c); /* "Degraded" / "Drifted" / "BiasDrift" */
/* "feature", "attribute" or NULL (the accuracy metrics have no subject). */
const char *mg_eval_metric_subject_kind(mg_eval_metric m);

/* ---- spec.monitoring ----------------------------------------------------------------------- */

typedef struct mg_thresholds {
    bool set[MG_METRIC_COUNT];
    double value[MG_METRIC_COUNT]; /* meaningful only where set[] */
} mg_thresholds;

typedef enum { MG_MONITOR_SCRAPE = 0, MG_MONITOR_PROMETHEUS } mg_monitor_source;

typedef struct mg_monitor_spec {
    bool present;                   /* spec.monitoring exists (else: defaults, nothing checked) */
    mg_monitor_source source;       /* default scrape */
    char *prometheus_url;           /* heap or NULL */
    char *prometheus_selector;      /* heap or NULL (the caller derives the default) */
    char *path;                     /* heap; default "/metrics" */
    int64_t interval_ms;            /* default 30s */
    int64_t window_ms;              /* default 10m */
    double min_samples;             /* default 0 */
    int consecutive;                /* default 2, >= 1 */
    mg_thresholds warn, quarantine; /* indexed by mg_level in thresholds[] below */
} mg_monitor_spec;

#define MG_MONITOR_DEFAULT_INTERVAL_MS 30000
#define MG_MONITOR_DEFAULT_WINDOW_MS 600000
#define MG_MONITOR_DEFAULT_CONSECUTIVE 2

/* Parses spec.monitoring (monitoring may be NULL: out gets the defaults and present=false).
 * On error returns MG_EINVAL with a message naming the field, e.g.
 * `spec.monitoring.interval: "10x" is not a duration`, and leaves out empty (freed). out's
 * previous contents are NOT freed (pass a zeroed or freed struct). */
int mg_monitor_spec_parse(const json_t *monitoring, mg_monitor_spec *out, mg_error *err);
void mg_monitor_spec_free(mg_monitor_spec *s); /* leaves *s zeroed */
/* &s->warn or &s->quarantine. */
const mg_thresholds *mg_monitor_thresholds(const mg_monitor_spec *s, mg_level l);

/* ---- spec.baseline ------------------------------------------------------------------------- */

typedef struct mg_baseline_feature {
    char *name;
    size_t nedges;
    double *edges;       /* nedges, strictly increasing, finite */
    double *proportions; /* nedges + 1, >= 0, positive sum (not required to be exactly 1) */
} mg_baseline_feature;

typedef struct mg_baseline_group {
    char *attribute, *group;
    bool has_positive_rate, has_true_positive_rate;
    double positive_rate, true_positive_rate;
} mg_baseline_group;

typedef struct mg_baseline {
    bool present; /* spec.baseline exists */
    double samples;
    bool has_accuracy, has_f1;
    double accuracy, f1;
    mg_baseline_feature *features;
    size_t nfeatures;
    mg_baseline_group *groups;
    size_t ngroups;
} mg_baseline;

/* Parses spec.baseline (NULL: present=false, empty). MG_EINVAL with the field named, e.g.
 * `spec.baseline.features[0].proportions: 5 entries, want 6 (edges + 1)`; out left empty.
 * Duplicate feature names are refused. */
int mg_baseline_parse(const json_t *baseline, mg_baseline *out, mg_error *err);
void mg_baseline_free(mg_baseline *b);

/* ---- One evaluation ----------------------------------------------------------------------- */

typedef struct mg_eval_feature {
    const char *name; /* borrowed from the baseline */
    bool ok;          /* psi/ks/js computed */
    double psi, ks, js;
    char *error; /* heap, why not evaluated (when !ok) */
} mg_eval_feature;

typedef struct mg_eval_fairness {
    char *attribute; /* heap */
    bool has_dp, has_di, has_eo;
    double dp_diff, disparate_impact, eo_diff;
} mg_eval_fairness;

typedef struct mg_eval_breach {
    mg_eval_metric metric;
    mg_level level;
    char *subject; /* heap: feature or attribute name; NULL for the accuracy metrics */
    double value, threshold;
} mg_eval_breach;

typedef struct mg_eval_result {
    double samples;
    bool judged;
    bool has_accuracy, has_f1, has_accuracy_drop;
    double accuracy, f1, accuracy_drop;
    double feedback; /* examples in the confusion used for accuracy/F1 */
    bool has_max_psi;
    double max_psi;
    const char *worst_feature; /* borrowed from the baseline, NULL without has_max_psi */
    mg_eval_feature *features; /* one per baseline feature, baseline order */
    size_t nfeatures;
    mg_eval_fairness *fairness; /* sorted by attribute */
    size_t nfairness;
    mg_eval_breach *breaches; /* judged only; sorted (level desc, metric, subject) */
    size_t nbreaches;
    /* Set thresholds that had nothing to judge: not_evaluated[level][metric]. */
    bool not_evaluated[MG_LEVEL_COUNT][MG_METRIC_COUNT];
} mg_eval_result;

/* Evaluates one window. window is the counter increase over the window (the sum over pods of
 * mg_model_metrics_delta, or Prometheus' increase()); spec may be NULL (nothing checked,
 * minSamples 0). out's previous contents are NOT freed. The result borrows feature names from
 * base: keep base alive while out is used. Never fails. */
void mg_eval_window(const mg_baseline *base, const mg_model_metrics *window, const mg_monitor_spec *spec,
                    mg_eval_result *out);
void mg_eval_result_free(mg_eval_result *r);

/* status.lastEvaluation as a new object: {time, samples, judged, accuracy, f1, accuracyDrop,
 * feedback, maxPSI, worstFeature, features:[{name, psi, ks, js} | {name, error}],
 * fairness:{attr:{demographicParityDiff, disparateImpact, equalOpportunityDiff}},
 * notEvaluated:["warn/minAccuracy"...]}; figures that could not be computed are omitted; time
 * (RFC 3339) is omitted when NULL, so callers can compare two renderings without it. */
json_t *mg_eval_result_json(const mg_eval_result *r, const char *time_rfc3339);

/* x rounded to 6 significant digits (what every JSON output here carries). */
double mg_eval_round6(double x);

/* ---- Breach tracking ---------------------------------------------------------------------- */

/* One breach key (metric, level, subject) as tracked over evaluations. */
typedef struct mg_breach_state {
    mg_eval_metric metric;
    mg_level level;
    char *subject;           /* heap or NULL */
    int streak;              /* consecutive judged evaluations breaching (capped at 1000000) */
    bool active;             /* streak reached `consecutive` */
    bool acknowledged;       /* warn only: released by a human while active */
    bool fresh;              /* became active in the latest update (for Events / alerts) */
    double value, threshold; /* from the latest breaching evaluation */
    int64_t since_ms;        /* wall ms of the evaluation that made it active (0 while pending) */
} mg_breach_state;

typedef struct mg_breach_tracker {
    mg_breach_state *items; /* sorted (level desc, metric, subject) */
    size_t n, cap;
    /* Breaches that were ACTIVE and cleared in the latest update (to resolve alerts); valid
     * until the next update/acknowledge/clear/free. */
    mg_breach_state *cleared;
    size_t ncleared, capcleared;
} mg_breach_tracker;

/* A zeroed tracker ({0}) is ready to use. */
void mg_breach_tracker_free(mg_breach_tracker *t);
/* Forgets everything (e.g. after a rollout to another ModelVersion or a release from
 * quarantine). */
void mg_breach_tracker_clear(mg_breach_tracker *t);

/* Feeds one evaluation made at now_ms. An unjudged evaluation changes nothing and returns
 * false. For a judged one: each of r's breaches extends its key's streak (starting at 1) and
 * becomes active when the streak reaches consecutive (< 1 is taken as 1); every tracked key
 * that does not breach this time is dropped at once (one non-breaching judged evaluation
 * clears an active breach and resets a pending streak). An acknowledged warn breach stays
 * acknowledged while it keeps breaching, and loses the acknowledgement when the quarantine
 * level of the same metric and subject becomes active. Returns true when the set of active
 * breaches or their acknowledgement changed (values alone do not count). */
bool mg_breach_tracker_update(mg_breach_tracker *t, const mg_eval_result *r, int consecutive, int64_t now_ms);

/* A human `incident` review with verdict `release`: every currently ACTIVE warn breach becomes
 * acknowledged (no longer counts for warn_active / AwaitingReview) until it clears or its
 * quarantine level becomes active. Pending (not yet active) and quarantine breaches are not
 * affected. Returns the number newly acknowledged. */
size_t mg_breach_tracker_acknowledge(mg_breach_tracker *t);

typedef struct mg_breach_summary {
    bool warn_active;       /* an active, unacknowledged warn breach: phase AwaitingReview */
    bool quarantine_active; /* an active quarantine breach: quarantine now */
    /* Per condition: any active breach of its metrics (acknowledged ones included: the model
     * still drifts, a human only accepted it). */
    bool condition[MG_COND_COUNT];
    /* Short human text per condition, e.g. "maxPSI warn: feature age 0.31 > 0.1; ..." ("" when
     * the condition is false). */
    char message[MG_COND_COUNT][512];
} mg_breach_summary;

void mg_breach_tracker_summary(const mg_breach_tracker *t, mg_breach_summary *out);

/* status.breaches: a new array of the ACTIVE breaches, at most 64 (quarantine first):
 * [{metric, level, condition, feature|attribute, value, threshold, since, acknowledged}],
 * since in RFC 3339. Deterministic. */
json_t *mg_breach_tracker_status_json(const mg_breach_tracker *t);

/* The whole tracker (pending streaks included) as a small object, and back. from_json
 * replaces t's contents; MG_EINVAL (t left cleared) for a malformed object. */
json_t *mg_breach_tracker_to_json(const mg_breach_tracker *t);
int mg_breach_tracker_from_json(mg_breach_tracker *t, const json_t *j, mg_error *err);

#endif
