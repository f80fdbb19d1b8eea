/* promtext — Prometheus text exposition format 0.0.4: a streaming parser, and the collection
 * of modelgov's model-server metric contract (README.md) into plain structs with the pure
 * counter arithmetic the operator's monitoring needs (increases with reset handling, deltas
 * between two scrapes of a pod, sums over pods).
 *
 * Parser. Accepts: `# HELP name text` (escapes \\ and \n), `# TYPE name
 * counter|gauge|histogram|summary|untyped`, any other `#` line as a comment, blank lines,
 * LF or CRLF line ends, samples `name{label="value",...} value [timestamp]` with label-value
 * escapes \\ \" \n, a trailing comma in the label set, spaces or tabs between tokens, values
 * as Go's ParseFloat reads them (decimal with exponent, NaN, +Inf, -Inf, Inf, case-insensitive)
 * and an optional integer timestamp in milliseconds. Rejects, with MG_EPARSE and "line N:
 * ..." in the error: bad names, unknown escapes, unterminated quotes, duplicate label names,
 * invalid UTF-8 in label values, NUL bytes, trailing garbage, an unknown TYPE. Size caps
 * (mg_prom_limits) give MG_ETOOBIG. The parser never allocates per sample: it owns one line
 * buffer and one label array, sized by the caps at init.
 *
 * Ownership: every string handed to a callback (names, label names and values, HELP text)
 * is borrowed and valid only during that callback. mg_model_metrics owns all its strings and
 * arrays (free with mg_model_metrics_free). Thread rules: a parser or an mg_model_metrics is
 * used by one thread at a time; the pure functions are thread-safe.
 */
#ifndef MG_PROMTEXT_PROMTEXT_H
#define MG_PROMTEXT_PROMTEXT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "stats/stats.h"

/* ---- Parser ----------------------------------------------------------------------------- */

typedef enum {
    MG_PROM_UNTYPED = 0,
    MG_PROM_COUNTER,
    MG_PROM_GAUGE,
    MG_PROM_HISTOGRAM,
    MG_PROM_SUMMARY,
} mg_prom_type;

typedef struct mg_prom_label {
    const char *name;
    const char *value; /* unescaped */
} mg_prom_label;

typedef struct mg_prom_sample {
    const char *name; /* full series name, e.g. "modelgov_feature_bucket" */
    const mg_prom_label *labels;
    size_t nlabels;
    double value;
    bool has_timestamp;
    int64_t timestamp_ms;
    /* From the latest `# TYPE` line when this sample belongs to that family (its name, or for
     * histogram/summary its _bucket/_sum/_count series); else MG_PROM_UNTYPED. */
    mg_prom_type type;
    size_t line; /* 1-based */
} mg_prom_sample;

/* Per-sample callback: return 0 to go on; any other value stops parsing, and the feed or
 * finish call that was running returns that value (the parser then stays failed). */
typedef int (*mg_prom_sample_fn)(const mg_prom_sample *s, void *ud);
/* Optional metadata callback for `# HELP` (text unescaped) and `# TYPE` (text is the type
 * word) lines; same return convention. */
typedef int (*mg_prom_meta_fn)(bool is_type, const char *name, const char *text, size_t line, void *ud);

typedef struct mg_prom_limits {
    size_t max_line;    /* bytes per line without the line end; default 65536 */
    size_t max_labels;  /* labels per sample; default 64 */
    size_t max_samples; /* samples per exposition; default 1000000 */
    size_t max_bytes;   /* total input; default 64 MiB */
} mg_prom_limits;

/* Defaults used for any field left 0. */
#define MG_PROM_DEFAULT_MAX_LINE 65536
#define MG_PROM_DEFAULT_MAX_LABELS 64
#define MG_PROM_DEFAULT_MAX_SAMPLES 1000000
#define MG_PROM_DEFAULT_MAX_BYTES (64u << 20)

typedef struct mg_prom_parser mg_prom_parser;

/* New parser (caller frees with mg_prom_parser_free). limits may be NULL (defaults); meta may
 * be NULL. */
mg_prom_parser *mg_prom_parser_new(const mg_prom_limits *limits, mg_prom_sample_fn on_sample,
                                   mg_prom_meta_fn on_meta, void *ud);
/* Feeds the next chunk (any split, e.g. straight from an HTTP body callback); complete lines
 * are parsed and their callbacks run before it returns. Returns 0, MG_EPARSE, MG_ETOOBIG or
 * a callback's non-zero value; err (may be NULL) gets "line N: ...". After a failure every
 * later call returns the same code. */
int mg_prom_parser_feed(mg_prom_parser *p, const char *data, size_t len, mg_error *err);
/* Parses a last line that has no line end. Call once after the last feed. */
int mg_prom_parser_finish(mg_prom_parser *p, mg_error *err);
void mg_prom_parser_free(mg_prom_parser *p);

/* One-shot: new + feed + finish + free. */
int mg_prom_parse(const char *text, size_t len, const mg_prom_limits *limits, mg_prom_sample_fn on_sample,
                  mg_prom_meta_fn on_meta, void *ud, mg_error *err);

/* Value of the label called name in s, or NULL. */
const char *mg_prom_label_get(const mg_prom_sample *s, const char *name);

/* ---- The modelgov metric contract -------------------------------------------------------- */

/* modelgov_feature histogram of one feature. Buckets are kept sorted by le (ascending; +Inf
 * last when present); cum[i] is the cumulative count of observations <= le[i]. */
typedef struct mg_feature_hist {
    char *feature;
    size_t nbuckets;
    double *le;
    double *cum;
    double sum, count;
    bool has_sum, has_count;
} mg_feature_hist;

/* modelgov_predictions_total{attribute,group,prediction} */
typedef struct mg_pred_series {
    char *attribute, *group, *prediction;
    double value;
} mg_pred_series;

/* modelgov_feedback_total{attribute,group,actual,predicted} */
typedef struct mg_feedback_series {
    char *attribute, *group, *actual, *predicted;
    double value;
} mg_feedback_series;

/* What one scrape (or a delta, or a sum over pods) holds. Series are keyed by the contract's
 * labels only: samples that differ only in other labels are summed (as `sum by (...)`).
 * Zero-initialise before first use ({0}). */
typedef struct mg_model_metrics {
    mg_feature_hist *features;
    size_t nfeatures;
    mg_pred_series *predictions;
    size_t npredictions;
    mg_feedback_series *feedback;
    size_t nfeedback;
    size_t malformed;  /* contract samples skipped: a missing label, a bad le, a NaN/negative value */
    char problem[256]; /* the first such problem, "" when none */
} mg_model_metrics;

/* Sample callback that collects the contract into ud (an mg_model_metrics *); other metrics
 * are ignored. Usable with mg_prom_parser_new for streaming. Always returns 0. */
int mg_model_metrics_on_sample(const mg_prom_sample *s, void *ud);
/* Parses a whole exposition into out (zero-initialised or freed before). On failure out is
 * freed and left empty. */
int mg_model_metrics_parse(const char *text, size_t len, const mg_prom_limits *limits, mg_model_metrics *out,
                           mg_error *err);
void mg_model_metrics_free(mg_model_metrics *m); /* frees contents, leaves m empty */
/* Deep copy into dst (whose previous contents are freed). */
void mg_model_metrics_copy(mg_model_metrics *dst, const mg_model_metrics *src);

/* Counter increase between two readings of one series: cur - prev, or cur when the counter
 * went down (a reset: the process restarted and counted cur since). NaN or negative cur gives
 * 0; NaN prev counts as 0. */
double mg_prom_increase(double prev, double cur);

/* out = the increase from prev to cur, series by series (out's old contents are freed).
 * prev may be NULL: everything in cur counts (a pod first seen). A series missing from prev
 * counts whole (it appeared since). A feature histogram is reset as one: when any of its
 * buckets or its _count decreased, or its le set changed, the whole of cur counts. Series
 * only in prev are gone (pod restarted without them) and contribute nothing. */
void mg_model_metrics_delta(const mg_model_metrics *prev, const mg_model_metrics *cur, mg_model_metrics *out);

/* acc += x (sum over pods). Feature histograms with different le sets cannot be added:
 * such a feature of x is skipped, counted in acc->malformed, described in acc->problem and
 * MG_EINVAL is returned after everything else was added; otherwise 0. */
int mg_model_metrics_add(mg_model_metrics *acc, const mg_model_metrics *x);

const mg_feature_hist *mg_model_metrics_feature(const mg_model_metrics *m, const char *feature);

/* Counts of h in the k+1 `le` bins of a baseline's k edges (stats.h layout): every edge must
 * be one of h's le bounds (compared as doubles); finer scraped buckets are merged. The last
 * bin is the +Inf bucket, or _count when there is no +Inf bucket. Non-monotonic cumulative
 * counts give 0 for a bin, never a negative count. MG_EINVAL (with err) when an edge is
 * missing or neither +Inf nor _count is there. */
int mg_feature_hist_bins(const mg_feature_hist *h, const double *edges, size_t k, double *counts,
                         mg_error *err);

/* Binary confusion matrix over one protected attribute's groups (every prediction is counted
 * once per attribute, so summing over all attributes would count it several times). group
 * NULL sums over all of the attribute's groups; attribute NULL takes the first attribute in
 * m->feedback. A class equal to positive (e.g. "1") is the positive class; anything else is
 * negative. Returns MG_ENOTFOUND when no series match. */
int mg_model_metrics_confusion(const mg_model_metrics *m, const char *attribute, const char *group,
                               const char *positive, mg_confusion *out);

/* Fairness inputs of one protected attribute as parallel arrays, one entry per group seen in
 * either series (sorted by group name), ready for mg_stats_demographic_parity_diff(sel_num,
 * sel_den, n, ...), mg_stats_disparate_impact and mg_stats_equal_opportunity_diff(tp, pos, n,
 * ...). Owned by the struct: free with mg_group_rates_free. */
typedef struct mg_group_rates {
    size_t n;
    char **groups;
    double *sel_num; /* predictions_total with prediction == positive */
    double *sel_den; /* all predictions_total */
    double *tp;      /* feedback_total with actual == predicted == positive */
    double *pos;     /* feedback_total with actual == positive */
} mg_group_rates;
/* Fills out (its old contents freed). MG_ENOTFOUND when the attribute has no series. */
int mg_model_metrics_group_rates(const mg_model_metrics *m, const char *attribute, const char *positive,
                                 mg_group_rates *out);
void mg_group_rates_free(mg_group_rates *r);
/* Distinct protected attributes in m (predictions and feedback), in first-seen order: writes up
 * to max borrowed pointers (valid while m is unchanged) and returns how many exist. */
size_t mg_model_metrics_attributes(const mg_model_metrics *m, const char **out, size_t max);

#endif
