/* operator/monitor — live monitoring of every serving ModelDeployment: collect a window of
 * traffic, judge it against the ModelVersion's baseline, alert, and quarantine.
 *
 * Owns: one thread (the evaluation loop, ticking every 500 ms and evaluating each
 * ModelDeployment whose spec.monitoring interval has elapsed) and per-ModelDeployment state (the
 * traffic window, the breach tracker, the alerts firing and the latest verdict), keyed
 * "ns/name". It reads the operator's caches and never writes ModelDeployment status itself: it
 * publishes a verdict (mg_monitor_verdict_get) and enqueues the ModelDeployment, whose
 * reconcile merges lastEvaluation, breaches, the Drifted/Degraded/BiasDrift conditions and the
 * AwaitingReview phase into status — one writer per object. The one write it makes is the
 * quarantine itself: ModelVersion status.quarantined with the reason and the evidence (the
 * metric values), condition Quarantined=True.
 *
 * Human in the loop: an `incident` ModelReview with verdict `release` (on the ModelDeployment
 * or its ModelVersion) acknowledges the active warn breaches (back to Serving until the metric
 * recovers or reaches the quarantine level).
 *
 * Alerts: with an Alertmanager URL, every active breach is posted (severity warning or
 * critical) at each evaluation and resolved (endsAt) when it clears. */
#ifndef MG_OPERATOR_MONITOR_H
#define MG_OPERATOR_MONITOR_H
#include <jansson.h>
#include <stdbool.h>

#include "operator/controller.h"

typedef struct mg_monitor mg_monitor;

/* What monitoring says about one ModelDeployment (all references new; free with _clear). */
typedef struct mg_monitor_verdict {
    bool known;              /* evaluated at least once */
    bool awaiting_review;    /* an unacknowledged warn breach is active */
    bool config_error;       /* spec.monitoring or the baseline could not be used */
    json_t *last_evaluation; /* status.lastEvaluation */
    json_t *breaches;        /* status.breaches */
    bool condition[3];       /* Degraded, Drifted, BiasDrift */
    char message[3][512];
} mg_monitor_verdict;

mg_monitor *mg_monitor_new(mg_operator *op, const char *alertmanager_url);
void mg_monitor_start(mg_monitor *m);
void mg_monitor_stop(mg_monitor *m); /* joins the thread; safe to call twice */
void mg_monitor_free(mg_monitor *m);
/* Copies the verdict for ns/name (out->known false when none). Thread-safe. */
void mg_monitor_verdict_get(mg_monitor *m, const char *key, mg_monitor_verdict *out);
void mg_monitor_verdict_clear(mg_monitor_verdict *v);

#endif
