/* The operator's plumbing: informers and what their events enqueue, the work queues and worker
 * threads, shared read/write helpers (opctx.h) and metrics. The reconcilers live in
 * reconcile_md.c, reconcile_mv.c and reconcile_tr.c. */
#include "operator/controller.h"

#include "k8s/members.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "core/mem.h"
#include "operator/events.h"
#include "operator/monitor.h"
#include "operator/opctx.h"
#include "operator/plan.h"
#include "operator/inflight.h"
#include "operator/lookups.h"
#include "operator/settle.h"
#include "operator/trim.h"

static const char *const MD_PHASES[] = {"Pending",        "Progressing", "Serving",
                                        "AwaitingReview", "Quarantined", "Retraining"};
#define N_PHASES (sizeof(MD_PHASES) / sizeof(MD_PHASES[0]))
static const double DURATION_BUCKETS[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                          0.05,   0.1,   0.25,   0.5,   1,    2.5};
static const char *const QUEUE_NAMES[Q_COUNT] = {MG_RES_MODELDEPLOYMENTS, MG_RES_MODELVERSIONS,
                                                 MG_RES_TRAININGRUNS};

/* ---- shared helpers (opctx.h) --------------------------------------------------------------- */

void mg_op_key_of(const char *ns, const char *name, char *out, size_t outlen) {
    snprintf(out, outlen, "%s/%s", ns ? ns : "", name ? name : "");
}

json_t *mg_op_get(mg_operator *op, int informer, const char *ns, const char *name) {
    if (!name) return NULL;
    char key[512];
    mg_op_key_of(ns, name, key, sizeof(key));
    return mg_store_get(mg_informer_store(op->inf[informer]), key);
}

static json_t *filter_ns(json_t *all, const char *ns) {
    json_t *out = json_array();
    size_t i;
    json_t *o;
    json_array_foreach(all, i, o) {
        const char *ons = mg_json_str(o, "metadata", "namespace", NULL);
        if (ons && ns && !strcmp(ons, ns)) json_array_append(out, o);
    }
    json_decref(all);
    return out;
}

json_t *mg_op_by_index(mg_operator *op, int informer, const char *index, const char *value, const char *ns) {
    if (!value) return json_array();
    return filter_ns(mg_store_by_index(mg_informer_store(op->inf[informer]), index, value), ns);
}

json_t *mg_op_list_ns(mg_operator *op, int informer, const char *ns) {
    return filter_ns(mg_store_list(mg_informer_store(op->inf[informer])), ns);
}

void mg_op_enqueue(mg_operator *op, int queue, const char *ns, const char *name) {
    if (!name) return;
    char key[512];
    mg_op_key_of(ns, name, key, sizeof(key));
    mg_wq_add(op->queue[queue], key);
}

bool mg_op_owns(mg_operator *op, const char *key) { return !op->shard || mg_members_owns(op->shard, key); }

void mg_op_count_write(mg_operator *op) {
    atomic_fetch_add(&op->writes, 1);
    if (op->m_writes) mg_metric_inc(op->m_writes);
}

/* The merge patch of want's (stamped) labels, annotations, ownerReferences and spec. A merge
 * patch merges maps: a selector key someone added to what we own (have, as cached) is removed
 * by name, or a Service would keep selecting pods that are not the model's; so are the other
 * fields below that want leaves to their defaults. */
static int patch_owned(mg_operator *op, const mg_gvr *gvr, const char *ns, const json_t *stamped,
                       const json_t *have, mg_error *err) {
    json_t *patch = json_object();
    json_t *md = mg_json_obj_ensure(patch, "metadata");
    static const char *const meta[] = {"labels", "annotations", "ownerReferences"};
    for (size_t i = 0; i < sizeof(meta) / sizeof(meta[0]); i++)
        json_object_set(md, meta[i], mg_json_get(stamped, "metadata", meta[i], NULL));
    json_t *spec = json_deep_copy(json_object_get(stamped, "spec"));
    /* what a merge patch would leave of someone's edit unless named: a Deployment's pause and
     * init containers (its containers array is replaced whole), a Service's type */
    json_t *pod_spec = mg_json_get(spec, "template", "spec", NULL);
    if (json_is_object(pod_spec)) {
        json_object_set_new(spec, "paused", json_null());
        if (!json_object_get(pod_spec, "initContainers"))
            json_object_set_new(pod_spec, "initContainers", json_null());
    } else if (json_is_array(json_object_get(spec, "ports")) && !json_object_get(spec, "type")) {
        json_object_set_new(spec, "type", json_string("ClusterIP"));
    }
    json_t *selector = json_object_get(spec, "selector");
    const char *key;
    json_t *value;
    if (json_is_object(selector))
        json_object_foreach(mg_json_get(have, "spec", "selector", NULL), key, value) {
            if (!json_object_get(selector, key)) json_object_set_new(selector, key, json_null());
        }
    json_object_set_new(patch, "spec", spec);
    int rc = mg_k8s_merge_patch(op->client, gvr, ns, mg_json_str(stamped, "metadata", "name", NULL), NULL,
                                patch, NULL, err);
    json_decref(patch);
    return rc;
}

bool mg_op_create_pending(mg_operator *op, const mg_gvr *gvr, const char *ns, const char *name) {
    char key[600];
    mg_inflight_key(gvr->resource, ns, name, key, sizeof(key));
    return mg_inflight_pending(op->inflight, key, mg_clock_mono_ms());
}

int mg_op_apply_owned(mg_operator *op, const mg_gvr *gvr, const char *ns, const json_t *want,
                      const json_t *have, bool *created, mg_error *err) {
    if (created) *created = false;
    if (have && mg_applied_matches(want, have)) return 0;
    json_t *stamped = mg_applied_stamp(want);
    int rc;
    if (!have) {
        char key[600];
        mg_inflight_key(gvr->resource, ns, mg_json_str(want, "metadata", "name", NULL), key, sizeof(key));
        int64_t now = mg_clock_mono_ms();
        if (mg_inflight_pending(op->inflight, key, now)) {
            json_decref(stamped);
            return 0; /* its informer event wakes the owner */
        }
        mg_inflight_begin(op->inflight, key, now);
        rc = mg_k8s_create(op->client, gvr, ns, stamped, NULL, err);
        if (rc) mg_inflight_end(op->inflight, key);
        if (created) *created = rc == 0;
    } else {
        rc = patch_owned(op, gvr, ns, stamped, have, err);
    }
    json_decref(stamped);
    if (rc == 0) mg_op_count_write(op);
    return rc;
}

int mg_op_reclaim_owned(mg_operator *op, const mg_gvr *gvr, const char *ns, const json_t *want,
                        const json_t *have, mg_error *err) {
    json_t *stamped = mg_applied_stamp(want);
    int rc = patch_owned(op, gvr, ns, stamped, have, err);
    json_decref(stamped);
    if (rc == 0) mg_op_count_write(op);
    return rc;
}

int mg_op_write_status(mg_operator *op, const mg_gvr *gvr, const json_t *obj, json_t *status, mg_error *err) {
    if (json_equal(status, json_object_get(obj, "status"))) return 0;
    json_t *copy = json_deep_copy(obj);
    json_object_set(copy, "status", status);
    int rc = mg_k8s_update(op->client, gvr, mg_json_str(obj, "metadata", "namespace", NULL),
                           mg_json_str(obj, "metadata", "name", NULL), "status", copy, NULL, err);
    json_decref(copy);
    if (rc == 0) mg_op_count_write(op);
    return rc;
}

bool mg_op_owned_by(const json_t *obj, const json_t *owner) {
    const char *uid = mg_json_str(owner, "metadata", "uid", NULL);
    size_t i;
    json_t *r;
    json_array_foreach(mg_json_get(obj, "metadata", "ownerReferences", NULL), i, r) {
        const char *ruid = mg_json_str(r, "uid", NULL);
        if (uid && ruid && !strcmp(uid, ruid) && mg_json_bool(r, false, "controller", NULL)) return true;
    }
    return false;
}

void mg_op_event(mg_operator *op, const json_t *obj, const char *type, const char *reason,
                 const char *message) {
    mg_error err;
    if (mg_event_post(op->client, obj, type, reason, message, op->identity, &err) == 0)
        mg_op_count_write(op);
    else
        mg_log(MG_LOG_WARN, "event not recorded", "object", mg_json_str(obj, "metadata", "name", NULL),
               "reason", reason, "error", err.message, NULL);
}

/* ---- indexes ---------------------------------------------------------------------------------
 * Index values are names; lookups filter by namespace (mg_op_by_index). */

static size_t one(const char *v, const char **out, size_t max) {
    if (!v || !max) return 0;
    out[0] = v;
    return 1;
}
/* ModelDeployments by the ModelVersions they name (main and fallback). */
static size_t md_by_mv(const json_t *obj, const char **out, size_t max) {
    size_t n = one(mg_json_str(obj, "spec", "modelVersion", NULL), out, max);
    return n + one(mg_json_str(obj, "spec", "fallbackModelVersion", NULL), out + n, max - n);
}
static size_t md_by_retraining_run(const json_t *obj, const char **out, size_t max) {
    return one(mg_json_str(obj, "status", "retrainingRun", NULL), out, max);
}
/* Reviews by the ModelVersion uid they are bound to, and by the digest they judge (a digest's
 * incidents quarantine every ModelVersion that carries it). */
static size_t review_by_uid(const json_t *obj, const char **out, size_t max) {
    return one(mg_json_str(obj, "spec", MG_REVIEW_FIELD_UID, NULL), out, max);
}
static size_t review_by_digest(const json_t *obj, const char **out, size_t max) {
    return one(mg_json_str(obj, "spec", MG_REVIEW_FIELD_DIGEST, NULL), out, max);
}
static size_t mv_by_uid(const json_t *obj, const char **out, size_t max) {
    return one(mg_json_str(obj, "metadata", "uid", NULL), out, max);
}
static size_t mv_by_digest(const json_t *obj, const char **out, size_t max) {
    return one(mg_json_str(obj, "spec", "digest", NULL), out, max);
}
static size_t mv_by_training_run(const json_t *obj, const char **out, size_t max) {
    return one(mg_json_str(obj, "spec", "trainingRun", NULL), out, max);
}

/* ModelDeployments by status.phase and quarantined ModelVersions ("true"): the gauges count them
 * without reading a single object. */
static size_t md_by_phase(const json_t *obj, const char **out, size_t max) {
    return one(mg_json_str(obj, "status", "phase", NULL), out, max);
}
static size_t mv_quarantined(const json_t *obj, const char **out, size_t max) {
    return one(mg_json_bool(obj, false, "status", "quarantined", NULL) ? "true" : NULL, out, max);
}
/* ModelDeployments that retrain automatically, by namespace: a new dataset wakes only them. */
static size_t md_retraining_auto(const json_t *obj, const char **out, size_t max) {
    return one(mg_json_bool(obj, false, "spec", "retraining", "auto", NULL)
                   ? mg_json_str(obj, "metadata", "namespace", NULL)
                   : NULL,
               out, max);
}

/* ModelDeployments whose status reports an active quarantine breach, by the ModelVersion they
 * serve: what that ModelVersion's reconcile reads (operator/quarantine). */
static bool has_quarantine_breach(const json_t *md);
static size_t md_quarantine_breach(const json_t *obj, const char **out, size_t max) {
    return one(has_quarantine_breach(obj) ? mg_json_str(obj, "status", "servingModelVersion", NULL) : NULL,
               out, max);
}

/* Reviews by the ModelDeployment they name (releases of an AwaitingReview). */
static size_t review_by_md(const json_t *obj, const char **out, size_t max) {
    return one(mg_json_str(obj, "spec", "modelDeployment", NULL), out, max);
}

/* Model pods by the ModelDeployment label. */
static size_t pod_by_md(const json_t *obj, const char **out, size_t max) {
    return one(mg_json_str(obj, "metadata", "labels", MG_LABEL_MODELDEPLOYMENT, NULL), out, max);
}

/* ---- informer handlers: which keys an event wakes ------------------------------------------ */

static const char *ns_of(const json_t *o) { return mg_json_str(o, "metadata", "namespace", NULL); }
static const char *name_of(const json_t *o) { return mg_json_str(o, "metadata", "name", NULL); }

/* Wakes the ModelDeployments of ns whose index `index` holds value: by key only (10,000
 * ModelDeployments of one ModelVersion would otherwise all be parsed at once). */
static void enqueue_mds_by(mg_operator *op, const char *index, const char *value, const char *ns) {
    if (!value || !ns) return;
    json_t *keys = mg_store_index_keys(mg_informer_store(op->inf[INF_MD]), index, value);
    size_t nslen = strlen(ns), i;
    json_t *k;
    json_array_foreach(keys, i, k) {
        const char *key = json_string_value(k);
        if (!strncmp(key, ns, nslen) && key[nslen] == '/') mg_wq_add(op->queue[Q_MD], key);
    }
    json_decref(keys);
}

/* True when md's status reports an active quarantine breach (its ModelVersion then decides). */
static bool has_quarantine_breach(const json_t *md) {
    size_t i;
    json_t *b;
    json_array_foreach(mg_json_get(md, "status", "breaches", NULL), i, b) {
        const char *level = mg_json_str(b, "level", NULL);
        if (level && !strcmp(level, "quarantine")) return true;
    }
    return false;
}

static void on_md(const json_t *o, void *ud) {
    mg_operator *op = ud;
    mg_op_enqueue(op, Q_MD, ns_of(o), name_of(o));
    mg_monitor_track(op->monitor, o);
    if (has_quarantine_breach(o))
        mg_op_enqueue(op, Q_MV, ns_of(o), mg_json_str(o, "status", "servingModelVersion", NULL));
}

static void on_md_delete(const json_t *o, void *ud) {
    mg_operator *op = ud;
    char key[512];
    mg_op_key_of(ns_of(o), name_of(o), key, sizeof(key));
    mg_monitor_untrack(op->monitor, key);
    static const char *const objects[] = {"deployments", "services"};
    for (size_t i = 0; i < sizeof(objects) / sizeof(objects[0]); i++) {
        mg_inflight_key(objects[i], ns_of(o), name_of(o), key, sizeof(key));
        mg_lookups_forget(op->lookups, key);
    }
}

/* Every ModelVersion of ns whose index `index` holds value. */
static void enqueue_mvs_by(mg_operator *op, const char *index, const char *value, const char *ns) {
    json_t *mvs = mg_op_by_index(op, INF_MV, index, value, ns);
    size_t i;
    json_t *mv;
    json_array_foreach(mvs, i, mv) { mg_op_enqueue(op, Q_MV, ns, name_of(mv)); }
    json_decref(mvs);
}

static void on_mv(const json_t *o, void *ud) {
    mg_operator *op = ud;
    mg_op_enqueue(op, Q_MV, ns_of(o), name_of(o));
    /* the quarantine of a digest is shared by every ModelVersion that carries it */
    enqueue_mvs_by(op, "digest", mg_json_str(o, "spec", "digest", NULL), ns_of(o));
    enqueue_mds_by(op, "mv", name_of(o), ns_of(o));
    /* a version registered from a retraining run may be promoted */
    enqueue_mds_by(op, "retrainingRun", mg_json_str(o, "spec", "trainingRun", NULL), ns_of(o));
    mg_op_enqueue(op, Q_TR, ns_of(o), mg_json_str(o, "spec", "trainingRun", NULL));
}

/* A review concerns the ModelVersion it is bound to (also when it names only a ModelDeployment)
 * and, for incidents, every ModelVersion of its digest. */
static void on_review(const json_t *o, void *ud) {
    mg_operator *op = ud;
    enqueue_mvs_by(op, "uid", mg_json_str(o, "spec", MG_REVIEW_FIELD_UID, NULL), ns_of(o));
    enqueue_mvs_by(op, "digest", mg_json_str(o, "spec", MG_REVIEW_FIELD_DIGEST, NULL), ns_of(o));
    mg_op_enqueue(op, Q_MD, ns_of(o), mg_json_str(o, "spec", "modelDeployment", NULL));
}

static void on_tr(const json_t *o, void *ud) {
    mg_operator *op = ud;
    mg_op_enqueue(op, Q_TR, ns_of(o), name_of(o));
    enqueue_mds_by(op, "retrainingRun", name_of(o), ns_of(o));
}

/* A new or newly scanned dataset may unblock retraining of quarantined models. */
static void on_dsv(const json_t *o, void *ud) {
    mg_operator *op = ud;
    json_t *keys = mg_store_index_keys(mg_informer_store(op->inf[INF_MD]), "retrainingAuto", ns_of(o));
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k) mg_wq_add(op->queue[Q_MD], json_string_value(k));
    json_decref(keys);
}

/* Jobs wake the TrainingRun that controls them. */
static void on_owned(const json_t *o, void *ud) {
    mg_operator *op = ud;
    size_t i;
    json_t *r;
    json_array_foreach(mg_json_get(o, "metadata", "ownerReferences", NULL), i, r) {
        if (!mg_json_bool(r, false, "controller", NULL)) continue;
        const char *kind = mg_json_str(r, "kind", NULL);
        if (kind && !strcmp(kind, MG_KIND_TRAININGRUN))
            mg_op_enqueue(op, Q_TR, ns_of(o), mg_json_str(r, "name", NULL));
    }
}

#define UPDATE_FN(fn)                                                                                        \
    static void fn##_update(const json_t *old_obj, const json_t *new_obj, void *ud) {                        \
        (void)old_obj;                                                                                       \
        fn(new_obj, ud);                                                                                     \
    }
UPDATE_FN(on_md)
UPDATE_FN(on_mv)
UPDATE_FN(on_review)
UPDATE_FN(on_tr)
UPDATE_FN(on_dsv)

/* A Deployment or Service wakes the ModelDeployment of its name: the owner of one it controls,
 * and the one a same-named object of someone else's holds in conflict (operator/lookups: its
 * remembered answer no longer holds once an event for the name arrives). */
static void on_md_object(const json_t *o, void *ud) { mg_op_enqueue(ud, Q_MD, ns_of(o), name_of(o)); }

/* Owned objects: an event for the object ends its create's wait (operator/inflight), then wakes
 * its owner. */
#define OWNED_FNS(fn, resource, wake)                                                                        \
    static void fn(const json_t *o, void *ud) {                                                              \
        char key[600];                                                                                       \
        mg_inflight_key(resource, ns_of(o), mg_json_str(o, "metadata", "name", NULL), key, sizeof(key));     \
        mg_inflight_end(((mg_operator *)ud)->inflight, key);                                                 \
        mg_lookups_forget(((mg_operator *)ud)->lookups, key);                                                \
        wake(o, ud);                                                                                         \
    }                                                                                                        \
    UPDATE_FN(fn)
OWNED_FNS(on_deploy, "deployments", on_md_object)
OWNED_FNS(on_svc, "services", on_md_object)
OWNED_FNS(on_job, "jobs", on_owned)

/* ---- what the monitor needs ----------------------------------------------------------------- */

static void enqueue_md(void *ud, const char *key) { mg_wq_add(((mg_operator *)ud)->queue[Q_MD], key); }
static bool owns_md(void *ud, const char *key) { return mg_op_owns(ud, key); }

static int64_t newest_release_in(const json_t *reviews, int64_t newest) {
    size_t i;
    json_t *r;
    json_array_foreach(reviews, i, r) {
        const char *kind = mg_json_str(r, "spec", "kind", NULL),
                   *verdict = mg_json_str(r, "spec", "verdict", NULL);
        if (!kind || !verdict || strcmp(kind, "incident") || strcmp(verdict, "release")) continue;
        int64_t t = 0;
        const char *ts = mg_json_str(r, "metadata", "creationTimestamp", NULL);
        if (ts && mg_clock_parse_rfc3339(ts, &t) == 0 && t > newest) newest = t;
    }
    return newest;
}

/* Newest release review (incident/release) naming md or bound to the ModelVersion mv it serves. */
static int64_t newest_release_ms(void *ud, const json_t *md, const json_t *mv) {
    mg_operator *op = ud;
    const char *ns = ns_of(md);
    json_t *by_md = mg_op_by_index(op, INF_MREV, "md", name_of(md), ns);
    json_t *by_mv = mg_op_by_index(op, INF_MREV, "uid", mg_json_str(mv, "metadata", "uid", NULL), ns);
    int64_t newest = newest_release_in(by_mv, newest_release_in(by_md, 0));
    json_decref(by_md);
    json_decref(by_mv);
    return newest;
}

/* ---- workers -------------------------------------------------------------------------------- */

typedef int (*reconcile_fn)(mg_operator *, const char *, mg_error *);
static const reconcile_fn RECONCILERS[Q_COUNT] = {mg_op_reconcile_md, mg_op_reconcile_mv, mg_op_reconcile_tr};
static const char *const KINDS[Q_COUNT] = {MG_KIND_MODELDEPLOYMENT, MG_KIND_MODELVERSION,
                                           MG_KIND_TRAININGRUN};

static void observe(mg_operator *op, const char *kind, bool ok, double secs) {
    if (!op->m_reconciles) return;
    mg_metric_inc(mg_metric_with(op->m_reconciles, kind, ok ? "success" : "error", NULL));
    mg_metric_observe(mg_metric_with(op->m_duration, kind, NULL), secs);
    if (!ok) mg_metric_inc(mg_metric_with(op->m_retries, kind, NULL));
}

/* One key of one queue (the workqueue's worker pool calls it). After a stop, keys still queued
 * are let go unreconciled: the next leader or shard owner resyncs them. */
static int process(const char *key, void *ud, long *after_ms) {
    mg_op_queue *qc = ud;
    mg_operator *op = qc->op;
    if (atomic_load(&op->stopping)) return 0;
    int64_t start = mg_clock_mono_ms();
    mg_error err;
    mg_error_clear(&err);
    int rc = RECONCILERS[qc->queue](op, key, &err);
    observe(op, KINDS[qc->queue], rc == 0, (double)(mg_clock_mono_ms() - start) / 1000.0);
    if (rc) {
        /* a conflict only means our cache was behind: the watch event re-queues it anyway */
        mg_log(rc == MG_ECONFLICT ? MG_LOG_DEBUG : MG_LOG_WARN, "reconcile failed, retrying", "kind",
               KINDS[qc->queue], "key", key, "error", err.message, NULL);
        *after_ms = err.retry_after_ms;
    }
    return rc;
}

/* ---- lifecycle -------------------------------------------------------------------------------- */

static void register_metrics(mg_operator *op, mg_metrics *m) {
    static const char *const kind[] = {"controller", NULL};
    static const char *const kind_result[] = {"controller", "result", NULL};
    static const char *const queue[] = {"queue", NULL};
    static const char *const phase[] = {"phase", NULL};
    op->m_reconciles = mg_metrics_counter(m, "modelgov_operator_reconcile_total",
                                          "Reconciles by controller and result.", kind_result);
    op->m_duration = mg_metrics_histogram(m, "modelgov_operator_reconcile_duration_seconds",
                                          "Time spent in one reconcile.", kind, DURATION_BUCKETS,
                                          sizeof(DURATION_BUCKETS) / sizeof(DURATION_BUCKETS[0]));
    op->m_retries = mg_metrics_counter(m, "modelgov_operator_workqueue_retries_total",
                                       "Keys re-queued with backoff after a failed reconcile.", kind);
    op->m_depth =
        mg_metrics_gauge(m, "modelgov_operator_workqueue_depth", "Keys waiting in each work queue.", queue);
    op->m_phase =
        mg_metrics_gauge(m, "modelgov_operator_modeldeployments", "ModelDeployments by phase.", phase);
    /* The series without labels: one family each, its one series kept. */
    const struct {
        const char *name, *help;
        bool gauge;
        mg_metric **slot;
    } single[] = {
        {"modelgov_operator_api_writes_total",
         "Writes to the API server (creates, updates, patches, events).", false, &op->m_writes},
        {"modelgov_operator_watch_restarts_total", "Watch streams re-opened by the informers.", false,
         &op->m_restarts},
        {"modelgov_operator_objects_skipped_total",
         "Listed or watched objects left out because they cannot be interpreted.", false, &op->m_skipped},
        {"modelgov_operator_quarantined_modelversions", "ModelVersions currently quarantined.", true,
         &op->m_quarantined},
        {"modelgov_operator_shard_modeldeployments",
         "ModelDeployments this replica reconciles and monitors (its shard).", true, &op->m_owned},
        {"modelgov_operator_shard_members", "Replicas sharing the ModelDeployments.", true, &op->m_members},
    };
    for (size_t i = 0; i < sizeof single / sizeof *single; i++) {
        mg_metric_family *f = single[i].gauge ? mg_metrics_gauge(m, single[i].name, single[i].help, NULL)
                                              : mg_metrics_counter(m, single[i].name, single[i].help, NULL);
        *single[i].slot = f ? mg_metric_with(f, NULL) : NULL;
    }
    if (!op->m_reconciles || !op->m_duration || !op->m_retries || !op->m_depth || !op->m_phase ||
        !op->m_writes || !op->m_restarts || !op->m_skipped || !op->m_quarantined || !op->m_owned ||
        !op->m_members)
        op->m_reconciles = NULL; /* a registration failed (logged by the registry): run without metrics */
}

/* One informer per resource the operator reads, with the handlers that wake its queues. */
static void new_informers(mg_operator *op, mg_client *c) {
    static const mg_gvr *const gvrs[INF_COUNT] = {
        [INF_MV] = &MG_GVR_MODELVERSIONS,
        [INF_MREV] = &MG_GVR_MODELREVIEWS,
        [INF_MD] = &MG_GVR_MODELDEPLOYMENTS,
        [INF_DEPLOY] = &MG_GVR_DEPLOYMENTS,
        [INF_SVC] = &MG_GVR_SERVICES,
        [INF_DSV] = &MG_GVR_DATASETVERSIONS,
        [INF_TR] = &MG_GVR_TRAININGRUNS,
        [INF_JOB] = &MG_GVR_JOBS,
        [INF_POD] = &MG_GVR_PODS,
    };
    /* caches hold what the code reads (operator/trim); the modelgov resources stay whole because
     * their status is written back with PUT */
    static const mg_transform_fn transforms[INF_COUNT] = {[INF_POD] = mg_trim_pod,
                                                          [INF_DEPLOY] = mg_trim_owned,
                                                          [INF_SVC] = mg_trim_service,
                                                          [INF_JOB] = mg_trim_job};
    const mg_informer_handlers h[INF_COUNT] = {
        [INF_MV] = {on_mv, on_mv_update, on_mv, op},
        [INF_MREV] = {on_review, on_review_update, on_review, op},
        [INF_MD] = {on_md, on_md_update, on_md_delete, op},
        [INF_DEPLOY] = {on_deploy, on_deploy_update, on_deploy, op},
        [INF_SVC] = {on_svc, on_svc_update, on_svc, op},
        [INF_DSV] = {on_dsv, on_dsv_update, NULL, op},
        [INF_TR] = {on_tr, on_tr_update, NULL, op},
        [INF_JOB] = {on_job, on_job_update, on_job, op},
        [INF_POD] = {NULL, NULL, NULL, op}, /* read by monitoring only */
    };
    for (int i = 0; i < INF_COUNT; i++) {
        mg_informer_opts o = {
            .namespace = op->namespace, .resync_ms = op->resync_ms, .transform = transforms[i]};
        if (i == INF_DEPLOY || i == INF_SVC || i == INF_JOB)
            o.label_selector = MG_LABEL_MANAGED_BY "=" MG_MANAGER_NAME;
        if (i == INF_POD) o.label_selector = MG_LABEL_MODELDEPLOYMENT; /* the model pods only */
        /* Kept as compact text (~6x less memory than jansson trees; a read parses, ~5 us per
         * object). ModelVersions and reviews stay as shared trees: every reconcile reads them. */
        o.compact_store = i != INF_MV && i != INF_MREV;
        op->inf[i] = mg_informer_new(c, gvrs[i], &o, &h[i]);
    }
}

static int add_indexes(mg_operator *op, mg_error *err) {
    static const struct {
        int informer;
        const char *name;
        mg_index_fn fn;
    } indexes[] = {
        {INF_MD, "mv", md_by_mv},
        {INF_MD, "phase", md_by_phase},
        {INF_MD, "retrainingAuto", md_retraining_auto},
        {INF_MD, "retrainingRun", md_by_retraining_run},
        {INF_MD, "quarantineBreach", md_quarantine_breach},
        {INF_MV, "quarantined", mv_quarantined},
        {INF_MV, "uid", mv_by_uid},
        {INF_MV, "digest", mv_by_digest},
        {INF_MV, "trainingRun", mv_by_training_run},
        {INF_MREV, "uid", review_by_uid},
        {INF_MREV, "digest", review_by_digest},
        {INF_MREV, "md", review_by_md},
        {INF_POD, "md", pod_by_md},
    };
    for (size_t i = 0; i < sizeof(indexes) / sizeof(indexes[0]); i++)
        if (mg_informer_add_index(op->inf[indexes[i].informer], indexes[i].name, indexes[i].fn))
            return mg_error_set(err, MG_EINVAL, "operator: cannot register the cache index %s",
                                indexes[i].name);
    return 0;
}

static int new_monitor(mg_operator *op, const mg_operator_config *cfg, mg_error *err) {
    mg_monitor_deps md = {.modeldeployments = mg_informer_store(op->inf[INF_MD]),
                          .modelversions = mg_informer_store(op->inf[INF_MV]),
                          .pods = mg_informer_store(op->inf[INF_POD]),
                          .newest_release_ms = newest_release_ms,
                          .enqueue = enqueue_md,
                          .owns = owns_md,
                          .ud = op,
                          .metrics = cfg->metrics,
                          .alertmanager_url = cfg->alertmanager_url,
                          .max_in_flight = cfg->max_scrapes_in_flight,
                          .scrape_timeout_ms = cfg->scrape_timeout_ms};
    return mg_monitor_new(&md, &op->monitor, err);
}

int mg_operator_new(mg_client *c, const mg_operator_config *cfg, mg_operator **out, mg_error *err) {
    mg_operator *op = mg_xcalloc(1, sizeof(*op));
    op->client = c;
    op->namespace = mg_xstrdup(cfg->namespace);
    op->identity = mg_xstrdup(cfg->identity ? cfg->identity : "modelgov-operator");
    op->workers = cfg->workers > 0 ? cfg->workers : 2;
    op->resync_ms = cfg->resync_ms;
    op->approved_scan_tools = cfg->approved_scan_tools ? json_deep_copy(cfg->approved_scan_tools)
                                                       : json_pack("[s]", "kubectl-modelgov");
    op->metrics = cfg->metrics;
    if (cfg->metrics) register_metrics(op, cfg->metrics);
    for (int q = 0; q < Q_COUNT; q++)
        op->queue[q] = mg_wq_new(NULL);
    op->settle = mg_settle_new(MG_OPERATOR_COUNT_HOLD_MS);
    op->inflight = mg_inflight_new(MG_OPERATOR_INFLIGHT_TTL_MS);
    op->lookups = mg_lookups_new(MG_OPERATOR_LOOKUP_RECHECK_MS);
    new_informers(op, c);
    int rc = add_indexes(op, err);
    if (!rc) rc = new_monitor(op, cfg, err);
    if (rc) {
        mg_operator_free(op);
        return rc;
    }
    *out = op;
    return 0;
}

int mg_operator_start_informers(mg_operator *op, mg_error *err) {
    return mg_informers_start(op->inf, INF_COUNT, err);
}

bool mg_operator_synced(mg_operator *op) { return mg_informers_synced(op->inf, INF_COUNT); }

bool mg_operator_wait_synced(mg_operator *op, long timeout_ms) {
    return mg_informers_wait_synced(op->inf, INF_COUNT, timeout_ms);
}

/* The queues of each kind of work: a shard's ModelDeployments, the leader's ModelVersions and
 * TrainingRuns. */
static bool in_group(int q, unsigned work) {
    return (q == Q_MD && (work & MG_OPERATOR_WORK_SHARD)) || (q != Q_MD && (work & MG_OPERATOR_WORK_LEADER));
}

int mg_operator_run_workers(mg_operator *op, unsigned work, mg_error *err) {
    if (work & op->started_work)
        return mg_error_set(err, MG_EINVAL,
                            "operator: workers started twice (their queues end when they stop)");
    op->started_work |= work;
    for (int q = 0; q < Q_COUNT; q++) {
        if (!in_group(q, work)) continue;
        op->qctx[q] = (mg_op_queue){op, q};
        int rc = mg_wq_workers_start(op->queue[q], op->workers, process, &op->qctx[q], &op->pool[q]);
        if (rc) return mg_error_set(err, rc, "operator: cannot start the %s workers", KINDS[q]);
    }
    if (work & MG_OPERATOR_WORK_SHARD) return mg_monitor_start(op->monitor, err);
    return 0;
}

void mg_operator_stop_workers(mg_operator *op) {
    atomic_store(&op->stopping, true);
    mg_monitor_stop(op->monitor);
    for (int q = 0; q < Q_COUNT; q++)
        mg_wq_shutdown(op->queue[q]); /* every queue at once, then wait for each */
    for (int q = 0; q < Q_COUNT; q++) {
        mg_wq_workers_stop(op->pool[q]);
        op->pool[q] = NULL;
    }
}

void mg_operator_set_shard(mg_operator *op, struct mg_members *shard) { op->shard = shard; }

void mg_operator_shard_changed(mg_operator *op) {
    json_t *keys = mg_store_keys(mg_informer_store(op->inf[INF_MD]));
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k) mg_wq_add(op->queue[Q_MD], json_string_value(k));
    json_decref(keys);
    mg_monitor_rescan(op->monitor);
}

void mg_operator_refresh_metrics(mg_operator *op) {
    if (!op->m_reconciles) return;
    for (int q = 0; q < Q_COUNT; q++)
        mg_metric_set(mg_metric_with(op->m_depth, QUEUE_NAMES[q], NULL), (double)mg_wq_len(op->queue[q]));
    unsigned long restarts = 0;
    for (int i = 0; i < INF_COUNT; i++)
        restarts += mg_informer_watch_restarts(op->inf[i]);
    double seen = mg_metric_value(op->m_restarts);
    if ((double)restarts > seen) mg_metric_add(op->m_restarts, (double)restarts - seen);
    unsigned long skipped = 0;
    for (int i = 0; i < INF_COUNT; i++)
        skipped += mg_informer_skipped(op->inf[i]);
    seen = mg_metric_value(op->m_skipped);
    if ((double)skipped > seen) mg_metric_add(op->m_skipped, (double)skipped - seen);
    mg_store *mds = mg_informer_store(op->inf[INF_MD]);
    for (size_t p = 0; p < N_PHASES; p++)
        mg_metric_set(mg_metric_with(op->m_phase, MD_PHASES[p], NULL),
                      (double)mg_store_index_count(mds, "phase", MD_PHASES[p]));
    mg_metric_set(op->m_quarantined,
                  (double)mg_store_index_count(mg_informer_store(op->inf[INF_MV]), "quarantined", "true"));
    json_t *keys = mg_store_keys(mds);
    size_t owned = 0, i;
    json_t *k;
    json_array_foreach(keys, i, k) owned += mg_op_owns(op, json_string_value(k));
    json_decref(keys);
    mg_metric_set(op->m_owned, (double)owned);
    mg_metric_set(op->m_members, op->shard ? (double)mg_members_count(op->shard) : 1);
}

void mg_operator_free(mg_operator *op) {
    if (!op) return;
    mg_operator_stop_workers(op);
    /* every informer's handlers read the other informers' stores (indexes) and tell the monitor:
     * stop them all before freeing the monitor or any informer */
    mg_informers_stop(op->inf, INF_COUNT);
    mg_monitor_free(op->monitor);
    mg_informers_free(op->inf, INF_COUNT);
    for (int q = 0; q < Q_COUNT; q++)
        mg_wq_free(op->queue[q]);
    mg_settle_free(op->settle);
    mg_inflight_free(op->inflight);
    mg_lookups_free(op->lookups);
    json_decref(op->approved_scan_tools);
    free(op->namespace);
    free(op->identity);
    free(op);
}
