/* operator/opctx — the operator's internal state shared by its reconcilers (not a public API:
 * only the operator's own .c files include it).
 *
 * Owns: nothing beyond mg_operator itself (controller.c creates and frees it). The helpers here
 * read the informers' caches (returning new references) and perform the operator's writes,
 * counting each one for /metrics and for the writes-per-object figures. Thread-safe: the
 * caches and the client are, and the counters are atomics. */
#ifndef MG_OPERATOR_OPCTX_H
#define MG_OPERATOR_OPCTX_H
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "core/error.h"
#include "k8s/client.h"
#include "k8s/informer.h"
#include "k8s/workqueue.h"
#include "metrics/registry.h"
#include "operator/approvals.h"
#include "operator/controller.h"

enum { INF_MV, INF_MREV, INF_MD, INF_DEPLOY, INF_SVC, INF_DSV, INF_TR, INF_JOB, INF_POD, INF_COUNT };
enum { Q_MD, Q_MV, Q_TR, Q_COUNT };

typedef struct mg_op_queue {
    struct mg_operator *op;
    int queue;
} mg_op_queue;

struct mg_operator {
    mg_client *client;
    char *namespace;
    char *identity;
    int workers;
    long resync_ms;
    json_t *approved_scan_tools; /* array of strings */
    mg_informer *inf[INF_COUNT];
    struct mg_monitor *monitor;   /* see operator/monitor.h */
    struct mg_members *shard;     /* the replicas sharing the ModelDeployments, or NULL: all ours */
    struct mg_settle *settle;     /* count-only status changes held back (operator/settle.h) */
    struct mg_inflight *inflight; /* creates sent, not yet in the caches (operator/inflight.h) */
    struct mg_lookups *lookups;   /* GETs of objects the caches lack (operator/lookups.h) */
    mg_metrics *metrics;          /* borrowed, may be NULL */
    mg_workqueue *queue[Q_COUNT];
    mg_op_queue qctx[Q_COUNT];    /* what each queue's workers are given */
    mg_wq_workers *pool[Q_COUNT]; /* NULL until started */
    unsigned started_work;        /* MG_OPERATOR_WORK_* started so far (each once) */
    atomic_bool stopping;
    atomic_ulong writes;
    /* metrics (m_reconciles NULL when no registry was given) */
    mg_metric_family *m_reconciles, *m_duration, *m_retries, *m_depth, *m_phase;
    mg_metric *m_writes, *m_restarts, *m_skipped, *m_quarantined, *m_owned, *m_members;
};

/* "ns/name" into out. */
void mg_op_key_of(const char *ns, const char *name, char *out, size_t outlen);
/* Cached object ns/name of informer i, a new reference or NULL. */
json_t *mg_op_get(mg_operator *op, int informer, const char *ns, const char *name);
/* Objects of informer i whose index `index` holds `value`, within namespace ns (new array). */
json_t *mg_op_by_index(mg_operator *op, int informer, const char *index, const char *value, const char *ns);
/* Every cached object of informer i in namespace ns (new array). */
json_t *mg_op_list_ns(mg_operator *op, int informer, const char *ns);
void mg_op_enqueue(mg_operator *op, int queue, const char *ns, const char *name);
void mg_op_count_write(mg_operator *op);
/* True when this replica handles the ModelDeployment key now (always without sharding; with it,
 * k8s/members' fenced ownership). Called before starting and before every write. */
bool mg_op_owns(mg_operator *op, const char *key);
/* Creates `want` when `have` is NULL (unless its create is still in flight: sent, and no informer
 * event for it yet; operator/inflight), else merge-patches its labels, annotations,
 * ownerReferences and spec unless have is as want would leave it (operator/trim: the applied
 * hash, a Deployment's replicas and image, a Service's selector and ports; selector keys have
 * holds and want lacks are removed). want is stamped with its applied hash. *created
 * (may be NULL) says whether this call created the object. */
int mg_op_apply_owned(mg_operator *op, const mg_gvr *gvr, const char *ns, const json_t *want,
                      const json_t *have, bool *created, mg_error *err);
/* True while a create of ns/name (gvr) was sent and no informer event for it has arrived. */
bool mg_op_create_pending(mg_operator *op, const mg_gvr *gvr, const char *ns, const char *name);
/* Merge-patches want's labels, annotations, ownerReferences and spec onto the object of its name
 * whatever its applied hash says: it is ours but lost its managed-by label, so the informer no
 * longer sees it and the hash says nothing about the labels. have (may be NULL): the object as
 * read, whose selector keys that want lacks are removed. */
int mg_op_reclaim_owned(mg_operator *op, const mg_gvr *gvr, const char *ns, const json_t *want,
                        const json_t *have, mg_error *err);
/* PUTs obj with `status` through the status subresource unless equal to obj's status. */
int mg_op_write_status(mg_operator *op, const mg_gvr *gvr, const json_t *obj, json_t *status, mg_error *err);
/* True when obj has a controller ownerReference with owner's uid. */
bool mg_op_owned_by(const json_t *obj, const json_t *owner);
/* Best-effort Event; failures are logged. */
void mg_op_event(mg_operator *op, const json_t *obj, const char *type, const char *reason,
                 const char *message);

/* The records of a ModelVersion from the caches (policy/mvstate): its bound reviews, its digest's
 * incident reviews and the ModelVersions sharing its digest; release with
 * mg_op_mv_records_release. mv is borrowed and must outlive the records. */
void mg_op_mv_records(mg_operator *op, const json_t *mv, mg_mv_records *out);
void mg_op_mv_records_release(mg_mv_records *r);
/* Approval and quarantine of a cached ModelVersion (mg_mv_verdict_free the result). */
void mg_op_mv_verdict(mg_operator *op, const json_t *mv, mg_mv_verdict *out);

int mg_op_reconcile_md(mg_operator *op, const char *key, mg_error *err);
int mg_op_reconcile_mv(mg_operator *op, const char *key, mg_error *err);
int mg_op_reconcile_tr(mg_operator *op, const char *key, mg_error *err);

#endif
