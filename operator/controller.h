/* operator/controller — the operator's informers, work queues and reconcilers.
 *
 * Owns: one informer per resource it reads (the five modelgov kinds plus the Deployments,
 * Services and Jobs it manages, label-filtered), three work queues (ModelDeployments: desired
 * objects, status, retraining and promotion; ModelVersions: approval status; TrainingRuns: Jobs
 * and mirrored status) and the worker threads. The client is
 * borrowed. Reconcilers read from the informers' caches (the one exception: a ModelDeployment's
 * Deployment or Service the label-filtered cache lacks is read by name, operator/lookups), never
 * mutate cached objects (they copy), and write only what differs from the cache, so a resync
 * with nothing changed writes nothing. A failed reconcile is retried with the queue's per-item backoff.
 *
 * Lifecycle: new → start_informers → wait synced → run_workers (only while leading) → stop →
 * free. Metrics go to the registry given in the config (thread-safe). */
#ifndef MG_OPERATOR_CONTROLLER_H
#define MG_OPERATOR_CONTROLLER_H
#include <jansson.h>
#include <stdbool.h>

#include "core/error.h"
#include "k8s/client.h"
#include "metrics/registry.h"

typedef struct mg_operator mg_operator;

typedef struct mg_operator_config {
    const char *namespace;             /* NULL: all namespaces */
    int workers;                       /* worker threads per queue, default 2 */
    const char *identity;              /* reportingInstance of events */
    long resync_ms;                    /* periodic resync of every object; 0: none */
    mg_metrics *metrics;               /* borrowed registry for the operator's metrics, or NULL */
    const json_t *approved_scan_tools; /* bias-scan tools accepted for retraining data (array of
                                          strings, copied); NULL: ["kubectl-modelgov"] */
    const char *alertmanager_url;      /* monitoring alerts go there; NULL: none */
    int max_scrapes_in_flight;         /* monitoring requests at once; 0: the monitor's default */
    long scrape_timeout_ms;            /* per pod scrape / Prometheus query; 0: the monitor's default */
} mg_operator_config;

/* Sets the gauges that are derived from the caches (models by phase, quarantined models, queue
 * depths, watch restarts); the /metrics handler calls it before rendering. */
void mg_operator_refresh_metrics(mg_operator *op);

int mg_operator_new(mg_client *c, const mg_operator_config *cfg, mg_operator **out, mg_error *err);
/* Shares the ModelDeployments with the other replicas of shard (k8s/members, borrowed; it must
 * outlive the workers): only the keys it assigns to this replica are reconciled and monitored,
 * and every write is fenced on it. Set before the workers start. */
struct mg_members;
void mg_operator_set_shard(mg_operator *op, struct mg_members *shard);
/* The shard changed: every ModelDeployment is looked at again (those now ours get reconciled,
 * the monitor drops those no longer ours). The members' on_change calls it. */
void mg_operator_shard_changed(mg_operator *op);
int mg_operator_start_informers(mg_operator *op, mg_error *err);
bool mg_operator_wait_synced(mg_operator *op, long timeout_ms);
bool mg_operator_synced(mg_operator *op);
/* The work a replica does: its shard of ModelDeployments (reconcile and monitoring; every
 * ModelDeployment without sharding) and the single-owner work of the leader (ModelVersion
 * approvals and quarantines, TrainingRuns). */
enum { MG_OPERATOR_WORK_SHARD = 1u, MG_OPERATOR_WORK_LEADER = 2u, MG_OPERATOR_WORK_ALL = 3u };
/* Starts the worker threads of `work`. Each kind starts at most once per operator: stopping ends
 * its queues for good (a replica that loses its lease exits and starts afresh), so a second
 * start is refused with MG_EINVAL. On a failure to start a thread, the error says which. */
int mg_operator_run_workers(mg_operator *op, unsigned work, mg_error *err);
/* Stops every worker and the monitor (keys still queued are dropped: the next leader or shard
 * owner resyncs them). Safe to call more than once. */
void mg_operator_stop_workers(mg_operator *op);
void mg_operator_free(mg_operator *op);

#endif
