/* metrics/registry — Prometheus counters, gauges and histograms with labels, rendered in the
 * text exposition format 0.0.4 (what `promtool check metrics` accepts).
 *
 * Owns: every family and series registered in an mg_metrics registry. A family
 * (mg_metric_family) is one metric name with its help text, type and label names; a series
 * (mg_metric) is one combination of label values, found through a hash index (families with
 * hundreds of thousands of series stay O(1)). Both are owned by the registry and stay valid
 * until mg_metrics_free() (a series also until mg_metric_remove): callers keep the pointers
 * (borrowed) and may cache a series pointer to skip the label lookup on a hot path. Strings
 * passed in are copied.
 *
 * Thread rules: everything except mg_metrics_new/mg_metrics_free is safe from any thread.
 * Updates (inc/add/set/observe) are lock-free atomics; looking up or creating a series takes the
 * family's mutex; rendering takes the registry's mutex and then each family's mutex in turn, and
 * reads values atomically (a render racing with updates sees each value either before or after
 * an update; a histogram's +Inf bucket always equals its _count). Callback metrics
 * (mg_metrics_func) call their function from the rendering thread, so that function must be
 * thread-safe.
 *
 * Naming: metric names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]* and
 * must not start with "__"; histograms may not use the label "le". Registration with an invalid
 * or already-registered name returns NULL (and logs why): that is a programming error. */
#ifndef MG_METRICS_REGISTRY_H
#define MG_METRICS_REGISTRY_H
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

typedef struct mg_metrics mg_metrics;
typedef struct mg_metric_family mg_metric_family;
typedef struct mg_metric mg_metric;

typedef enum { MG_METRIC_COUNTER = 0, MG_METRIC_GAUGE, MG_METRIC_HISTOGRAM } mg_metric_type;

/* Creates an empty registry. Caller frees with mg_metrics_free. */
mg_metrics *mg_metrics_new(void);
/* Frees the registry and every family and series in it (NULL is fine). No other thread may use
 * the registry or any pointer from it at that point. */
void mg_metrics_free(mg_metrics *r);

/* Registers a family. label_names is a NULL-terminated array (copied), or NULL for none.
 * Returns the family (owned by r) or NULL when a name is invalid or taken. */
mg_metric_family *mg_metrics_counter(mg_metrics *r, const char *name, const char *help,
                                     const char *const *label_names);
mg_metric_family *mg_metrics_gauge(mg_metrics *r, const char *name, const char *help,
                                   const char *const *label_names);
/* buckets: strictly increasing upper bounds (copied), without +Inf (always added). NULL or
 * nbuckets 0 picks mg_metrics_default_buckets. */
mg_metric_family *mg_metrics_histogram(mg_metrics *r, const char *name, const char *help,
                                       const char *const *label_names, const double *buckets,
                                       size_t nbuckets);
/* Prometheus client libraries' default latency buckets (5 ms .. 10 s). */
extern const double mg_metrics_default_buckets[11];

/* Registers an unlabelled counter or gauge whose value comes from fn(arg), called at each
 * render (from the rendering thread). A NaN result omits the sample. Returns 0 or MG_EINVAL. */
int mg_metrics_func(mg_metrics *r, mg_metric_type type, const char *name, const char *help,
                    double (*fn)(void *arg), void *arg);

/* Returns the series of f for these label values (as many as f has label names; NULL-terminated
 * varargs), creating it at 0 on first use. Returns NULL when the count is wrong. The pointer
 * stays valid until the registry is freed. */
mg_metric *mg_metric_with(mg_metric_family *f, ...) __attribute__((sentinel));
/* Same with an array of f's label count. */
mg_metric *mg_metric_withv(mg_metric_family *f, const char *const *values);

/* Removes the series (its sample disappears from the rendering; a later mg_metric_with creates
 * it afresh at 0) and frees it: every pointer to it is invalid afterwards, so only the one owner
 * that keeps it may remove it (the monitor drops a deleted model's gauges this way). NULL:
 * nothing. */
void mg_metric_remove(mg_metric *m);

/* Counters and gauges. mg_metric_add on a counter ignores negative and NaN v. */
void mg_metric_inc(mg_metric *m);
void mg_metric_add(mg_metric *m, double v);
/* Gauges only (ignored on other types). */
void mg_metric_set(mg_metric *m, double v);
/* Histograms only (ignored on other types). */
void mg_metric_observe(mg_metric *m, double v);

/* Reads back (for tests and callers that derive figures). For histograms, the value is the sum
 * of observations and the count the number of observations; for others the count is 0. */
double mg_metric_value(const mg_metric *m);
uint64_t mg_metric_count(const mg_metric *m);

/* Appends the whole registry in text format 0.0.4 to out. Returns 0, or MG_ETOOBIG when out's
 * cap was hit (out then holds a truncated rendering). */
int mg_metrics_render(mg_metrics *r, mg_buf *out);

/* Content-Type of the rendering. */
#define MG_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
