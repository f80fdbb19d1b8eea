/* operator/monitor — live monitoring of every serving ModelDeployment: collect a window of
 * traffic, judge it against the ModelVersion's baseline, alert, and publish a verdict.
 *
 * Owns: one thread (the monitor's), the fetch engine it drives (operator/fetch: every scrape,
 * Prometheus query and Alertmanager post, concurrent and never blocking an evaluation), the
 * schedule (operator/schedule: each ModelDeployment on its own interval, at a phase of its own)
 * and per-ModelDeployment state in a hash map keyed "ns/name": the traffic window
 * (operator/window), the breach tracker, the alerts firing, the per-model gauges and the latest
 * verdict. It receives what it reads — the caches' stores, a way to find release reviews — and
 * what it may do — an enqueue callback that asks for the ModelDeployment's reconcile, a shard
 * filter, the metrics registry — and it writes nothing to the API server: the ModelDeployment
 * reconcile merges the verdict (lastEvaluation, breaches, the Degraded / Drifted / BiasDrift
 * conditions and the AwaitingReview phase) into status, one writer per object. An active
 * quarantine-level breach is part of the verdict (and so of status.breaches); the ModelVersion's
 * quarantine follows from it in the ModelVersion's own reconcile.
 *
 * An evaluation starts ahead of its due time by the scrape timeout (at most the interval), so its
 * verdict is ready by the due time even when a pod answers at the end of its timeout; then: read
 * the ModelDeployment (serving? which ModelVersion?) → scrape every
 * ready pod at once (each with its own timeout; a pod that hangs delays nobody else) or send the
 * Prometheus queries → when all answered or timed out: window sum, judge, track breaches, post
 * alerts, publish the verdict, enqueue. An evaluation still running when the next is due skips
 * that one (counted), so work never piles up behind a slow model.
 *
 * Human in the loop: a release (an `incident` review with verdict `release` that the
 * newest_release callback reports) acknowledges the active warn breaches (back to Serving until
 * the metric recovers or reaches the quarantine level).
 *
 * Alerts: with an Alertmanager URL, every active breach is posted (severity warning or
 * critical) at each evaluation and resolved (endsAt) when it clears.
 *
 * Threads: mg_monitor_track / _untrack / _rescan / _verdict_get are safe from any thread (the
 * informers' and the reconcilers'); the deps' callbacks run on the monitor's thread. Lifecycle:
 * new → start → stop (joins; safe twice) → free. */
#ifndef MG_OPERATOR_MONITOR_H
#define MG_OPERATOR_MONITOR_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "k8s/store.h"
#include "metrics/registry.h"
#include "operator/evaluate.h"

typedef struct mg_monitor mg_monitor;

/* Timing of one evaluation (wall ms), for instrumentation. */
typedef struct mg_monitor_timing {
    const char *key;
    int64_t due_ms, started_ms, done_ms; /* started ahead of due (see above); done may come before due */
    int targets, failed;                 /* pods scraped, and how many of them failed or timed out */
    bool judged;
} mg_monitor_timing;

/* How late the verdict came, ms: 0 when it was ready by its due time. */
static inline int64_t mg_monitor_lateness_ms(const mg_monitor_timing *t) {
    return t->done_ms > t->due_ms ? t->done_ms - t->due_ms : 0;
}

typedef struct mg_monitor_deps {
    /* Read-only caches (borrowed, must outlive the monitor). pods must have the index "md"
     * (mlops.modelgov.io/modeldeployment label value). */
    mg_store *modeldeployments, *modelversions, *pods;
    /* Wall ms of the newest release review aimed at md or the ModelVersion mv it serves (0 when
     * none). Runs on the monitor's thread. */
    int64_t (*newest_release_ms)(void *ud, const json_t *md, const json_t *mv);
    /* The verdict of key changed: reconcile it. */
    void (*enqueue)(void *ud, const char *key);
    /* True when this replica monitors key (its shard); NULL: every ModelDeployment. */
    bool (*owns)(void *ud, const char *key);
    /* Called after each evaluation (tests, benchmarks); may be NULL. */
    void (*evaluated)(void *ud, const mg_monitor_timing *t);
    void *ud;
    mg_metrics *metrics;          /* borrowed; NULL: no metrics */
    const char *alertmanager_url; /* NULL: no alerts */
    int max_in_flight;            /* scrapes and queries at once; 0: 256 */
    long max_idle_connections;    /* keep-alive connections kept; 0: 1024 */
    long scrape_timeout_ms;       /* per pod (and query); 0: 5 s; never above the interval */
} mg_monitor_deps;

/* What monitoring says about one ModelDeployment (all references new; free with _clear). */
typedef struct mg_monitor_verdict {
    bool known;              /* evaluated at least once */
    bool awaiting_review;    /* an unacknowledged warn breach is active */
    bool quarantine;         /* a quarantine-level breach is active */
    bool config_error;       /* spec.monitoring or the baseline could not be used */
    json_t *last_evaluation; /* status.lastEvaluation */
    json_t *breaches;        /* status.breaches */
    char model_version[256]; /* the ModelVersion judged ("" for a configuration error); an
                                object name is at most 253 bytes */
    bool condition[MG_COND_COUNT];
    char message[MG_COND_COUNT][512];
} mg_monitor_verdict;

int mg_monitor_new(const mg_monitor_deps *deps, mg_monitor **out, mg_error *err);
int mg_monitor_start(mg_monitor *m, mg_error *err);
void mg_monitor_stop(mg_monitor *m); /* joins the thread; safe to call twice */
void mg_monitor_free(mg_monitor *m); /* NULL: nothing */

/* The ModelDeployment md (borrowed; an informer's add or update) is to be monitored when it has
 * spec.monitoring, else forgotten. Cheap: the monitor reads the object itself when it is due. */
void mg_monitor_track(mg_monitor *m, const json_t *md);
/* Forget ns/name (deleted). */
void mg_monitor_untrack(mg_monitor *m, const char *key);
/* The shard changed: every ModelDeployment is looked at again on its next due time (those no
 * longer owned drop their state). */
void mg_monitor_rescan(mg_monitor *m);

/* Copies the verdict for ns/name (out->known false when none). */
void mg_monitor_verdict_get(mg_monitor *m, const char *key, mg_monitor_verdict *out);
void mg_monitor_verdict_clear(mg_monitor_verdict *v);

/* Counts for tests and benchmarks. */
typedef struct mg_monitor_stats {
    size_t tracked;            /* ModelDeployments with state */
    unsigned long evaluations; /* finished */
    unsigned long skipped;     /* due while the previous one still ran */
    unsigned long scrapes, scrape_failures, connections;
    size_t window_bytes; /* memory held by the traffic windows */
} mg_monitor_stats;
void mg_monitor_get_stats(mg_monitor *m, mg_monitor_stats *out);

#endif
