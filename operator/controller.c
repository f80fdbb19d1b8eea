#include "operator/controller.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "core/mem.h"
#include "k8s/conditions.h"
#include "k8s/informer.h"
#include "k8s/workqueue.h"
#include "operator/approvals.h"
#include "operator/events.h"
#include "operator/mdstate.h"
#include "operator/plan.h"
#include "operator/resources.h"

static const char *const MD_PHASES[] = {"Pending", "Progressing", "Serving", "AwaitingReview", "Quarantined",
                                        "Retraining"};
#define N_PHASES (sizeof(MD_PHASES) / sizeof(MD_PHASES[0]))
static const double DURATION_BUCKETS[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};

enum { INF_MV, INF_MREV, INF_MD, INF_DEPLOY, INF_SVC, INF_DSV, INF_TR, INF_COUNT };

struct mg_operator {
    mg_client *client;
    char *namespace;
    char *identity;
    int workers;
    long resync_ms;
    mg_informer *inf[INF_COUNT];
    mg_workqueue *mv_queue;
    mg_workqueue *md_queue;
    pthread_t *threads;
    int n_threads;
    bool running;
    atomic_ulong writes;
    /* metrics (NULL when no registry was given) */
    mg_metric_family *m_reconciles, *m_duration, *m_retries, *m_depth, *m_phase;
    mg_metric *m_writes, *m_restarts, *m_quarantined;
};

/* ---- keys and indexes ---------------------------------------------------------------------- */

static void key_of(const char *ns, const char *name, char *out, size_t outlen) {
    snprintf(out, outlen, "%s/%s", ns ? ns : "", name ? name : "");
}

/* ModelDeployments by the ModelVersions they name (main and fallback); values are names, the
 * caller filters by namespace. */
static size_t md_by_mv(const json_t *obj, const char **out, size_t max) {
    size_t n = 0;
    const char *mv = mg_json_str(obj, "spec", "modelVersion", NULL);
    const char *fb = mg_json_str(obj, "spec", "fallbackModelVersion", NULL);
    if (mv && n < max) out[n++] = mv;
    if (fb && n < max) out[n++] = fb;
    return n;
}

/* ModelReviews by the ModelVersion they review. */
static size_t review_by_mv(const json_t *obj, const char **out, size_t max) {
    const char *mv = mg_json_str(obj, "spec", "modelVersion", NULL);
    if (mv && max) {
        out[0] = mv;
        return 1;
    }
    return 0;
}

/* Objects of `index` value `name` within namespace ns, as a new array. */
static json_t *by_index_in_ns(mg_store *store, const char *index, const char *name, const char *ns) {
    json_t *all = mg_store_by_index(store, index, name);
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

static void enqueue_mds_of_mv(mg_operator *op, const json_t *mv) {
    const char *ns = mg_json_str(mv, "metadata", "namespace", NULL);
    const char *name = mg_json_str(mv, "metadata", "name", NULL);
    if (!ns || !name) return;
    json_t *mds = by_index_in_ns(mg_informer_store(op->inf[INF_MD]), "mv", name, ns);
    size_t i;
    json_t *md;
    json_array_foreach(mds, i, md) {
        char key[512];
        key_of(ns, mg_json_str(md, "metadata", "name", NULL), key, sizeof(key));
        mg_wq_add(op->md_queue, key);
    }
    json_decref(mds);
}

/* ---- informer handlers: translate events into work-queue keys ---------------------------- */

static void enqueue_self(mg_workqueue *q, const json_t *obj) {
    char key[512];
    key_of(mg_json_str(obj, "metadata", "namespace", NULL), mg_json_str(obj, "metadata", "name", NULL), key,
           sizeof(key));
    mg_wq_add(q, key);
}

static void on_md(const json_t *obj, void *ud) { enqueue_self(((mg_operator *)ud)->md_queue, obj); }
static void on_md_update(const json_t *o, const json_t *n, void *ud) {
    (void)o;
    on_md(n, ud);
}

static void on_mv(const json_t *obj, void *ud) {
    mg_operator *op = ud;
    enqueue_self(op->mv_queue, obj);
    enqueue_mds_of_mv(op, obj);
}
static void on_mv_update(const json_t *o, const json_t *n, void *ud) {
    (void)o;
    on_mv(n, ud);
}

static void on_review(const json_t *obj, void *ud) {
    mg_operator *op = ud;
    const char *ns = mg_json_str(obj, "metadata", "namespace", NULL);
    const char *mv = mg_json_str(obj, "spec", "modelVersion", NULL);
    const char *md = mg_json_str(obj, "spec", "modelDeployment", NULL);
    char key[512];
    if (mv) {
        key_of(ns, mv, key, sizeof(key));
        mg_wq_add(op->mv_queue, key);
    }
    if (md) {
        key_of(ns, md, key, sizeof(key));
        mg_wq_add(op->md_queue, key);
    }
}
static void on_review_update(const json_t *o, const json_t *n, void *ud) {
    (void)o;
    on_review(n, ud);
}

/* Deployments and Services: wake the ModelDeployment that controls them. */
static void on_owned(const json_t *obj, void *ud) {
    mg_operator *op = ud;
    json_t *refs = mg_json_get(obj, "metadata", "ownerReferences", NULL);
    size_t i;
    json_t *r;
    json_array_foreach(refs, i, r) {
        if (!mg_json_bool(r, false, "controller", NULL)) continue;
        const char *kind = mg_json_str(r, "kind", NULL);
        if (!kind || strcmp(kind, "ModelDeployment")) continue;
        char key[512];
        key_of(mg_json_str(obj, "metadata", "namespace", NULL), mg_json_str(r, "name", NULL), key, sizeof(key));
        mg_wq_add(op->md_queue, key);
    }
}
static void on_owned_update(const json_t *o, const json_t *n, void *ud) {
    (void)o;
    on_owned(n, ud);
}

/* ---- writes ------------------------------------------------------------------------------- */

static void count_write(mg_operator *op) {
    atomic_fetch_add(&op->writes, 1);
    if (op->m_writes) mg_metric_inc(op->m_writes);
}

static void post_events(mg_operator *op, const json_t *obj, const mg_md_decision *d) {
    for (int i = 0; i < d->n_events; i++) {
        mg_error err;
        if (mg_event_post(op->client, obj, d->events[i].type, d->events[i].reason, d->events[i].message, op->identity,
                          &err) == 0)
            count_write(op);
        else
            mg_log(MG_LOG_WARN, "event not recorded", "object", mg_json_str(obj, "metadata", "name", NULL), "error",
                   err.message, NULL);
    }
}

/* True when the owned container's env/resources differ from what is wanted (a subset check
 * alone would miss a field the user removed from the ModelDeployment). */
static bool container_fields_removed(const json_t *want, const json_t *have) {
    const json_t *wc = json_array_get(mg_json_get(want, "spec", "template", "spec", "containers", NULL), 0);
    const json_t *hc = json_array_get(mg_json_get(have, "spec", "template", "spec", "containers", NULL), 0);
    static const char *fields[] = {"env", "resources"};
    for (size_t i = 0; i < 2; i++) {
        json_t *h = json_object_get(hc, fields[i]);
        bool have_some = h && !(json_is_object(h) && json_object_size(h) == 0);
        if (have_some && !json_object_get(wc, fields[i])) return true;
    }
    return false;
}

static bool owned_by(const json_t *obj, const json_t *md) {
    const char *uid = mg_json_str(md, "metadata", "uid", NULL);
    json_t *refs = mg_json_get(obj, "metadata", "ownerReferences", NULL);
    size_t i;
    json_t *r;
    json_array_foreach(refs, i, r) {
        const char *ruid = mg_json_str(r, "uid", NULL);
        if (uid && ruid && !strcmp(uid, ruid) && mg_json_bool(r, false, "controller", NULL)) return true;
    }
    return false;
}

/* Creates or patches the owned object so it contains `want`. Returns 0 or an error code. */
static int apply_owned(mg_operator *op, const mg_gvr *gvr, const char *ns, const json_t *want, const json_t *have,
                       bool force, mg_error *err) {
    if (!have) {
        int rc = mg_k8s_create(op->client, gvr, ns, want, NULL, err);
        if (rc == 0) count_write(op);
        return rc;
    }
    if (!force && mg_json_subset(want, have)) return 0;
    json_t *patch = json_pack("{s:{s:O, s:O}, s:O}", "metadata", "labels", mg_json_get(want, "metadata", "labels", NULL),
                              "ownerReferences", mg_json_get(want, "metadata", "ownerReferences", NULL), "spec",
                              json_object_get(want, "spec"));
    int rc = mg_k8s_merge_patch(op->client, gvr, ns, mg_json_str(want, "metadata", "name", NULL), NULL, patch, NULL,
                                err);
    json_decref(patch);
    if (rc == 0) count_write(op);
    return rc;
}

static int write_md_status(mg_operator *op, const json_t *md, json_t *status, mg_error *err) {
    if (json_equal(status, json_object_get(md, "status"))) return 0;
    json_t *copy = json_deep_copy(md);
    json_object_set(copy, "status", status);
    int rc = mg_k8s_update(op->client, &MG_GVR_MODELDEPLOYMENTS, mg_json_str(md, "metadata", "namespace", NULL),
                           mg_json_str(md, "metadata", "name", NULL), "status", copy, NULL, err);
    json_decref(copy);
    if (rc == 0) count_write(op);
    return rc;
}

/* ---- reconcilers -------------------------------------------------------------------------- */

static json_t *store_get_ns(mg_informer *inf, const char *ns, const char *name) {
    if (!name) return NULL;
    char key[512];
    key_of(ns, name, key, sizeof(key));
    return mg_store_get(mg_informer_store(inf), key);
}

static json_t *reviews_of(mg_operator *op, const char *ns, const char *mv_name) {
    return by_index_in_ns(mg_informer_store(op->inf[INF_MREV]), "mv", mv_name, ns);
}

static int reconcile_mv(mg_operator *op, const char *key, mg_error *err) {
    json_t *mv = mg_store_get(mg_informer_store(op->inf[INF_MV]), key);
    if (!mv) return 0;
    const char *ns = mg_json_str(mv, "metadata", "namespace", NULL);
    json_t *reviews = reviews_of(op, ns, mg_json_str(mv, "metadata", "name", NULL));
    char now[40];
    mg_clock_rfc3339(mg_clock_wall_ms(), now, sizeof(now));
    json_t *status = mg_mv_status(mv, reviews, now);
    int rc = 0;
    if (!json_equal(status, json_object_get(mv, "status"))) {
        json_t *copy = json_deep_copy(mv);
        json_object_set(copy, "status", status);
        rc = mg_k8s_update(op->client, &MG_GVR_MODELVERSIONS, ns, mg_json_str(mv, "metadata", "name", NULL), "status",
                           copy, NULL, err);
        if (rc == 0) count_write(op);
        json_decref(copy);
    }
    json_decref(status);
    json_decref(reviews);
    json_decref(mv);
    return rc;
}

static int reconcile_md(mg_operator *op, const char *key, mg_error *err) {
    json_t *md = mg_store_get(mg_informer_store(op->inf[INF_MD]), key);
    if (!md) return 0; /* deleted: the garbage collector removes what it owned */
    int rc = 0;
    if (mg_json_get(md, "metadata", "deletionTimestamp", NULL)) goto done;
    const char *ns = mg_json_str(md, "metadata", "namespace", NULL);
    const char *name = mg_json_str(md, "metadata", "name", NULL);
    char now[40];
    mg_clock_rfc3339(mg_clock_wall_ms(), now, sizeof(now));

    json_t *mv = store_get_ns(op->inf[INF_MV], ns, mg_json_str(md, "spec", "modelVersion", NULL));
    json_t *fb = store_get_ns(op->inf[INF_MV], ns, mg_json_str(md, "spec", "fallbackModelVersion", NULL));
    json_t *dep = store_get_ns(op->inf[INF_DEPLOY], ns, name);
    json_t *svc = store_get_ns(op->inf[INF_SVC], ns, name);
    mg_mv_verdict verdict = {0}, fb_verdict = {0};
    if (mv) {
        json_t *reviews = reviews_of(op, ns, mg_json_str(mv, "metadata", "name", NULL));
        mg_mv_verdict_compute(mv, reviews, &verdict);
        json_decref(reviews);
    }
    if (fb) {
        json_t *reviews = reviews_of(op, ns, mg_json_str(fb, "metadata", "name", NULL));
        mg_mv_verdict_compute(fb, reviews, &fb_verdict);
        json_decref(reviews);
    }
    if (dep && !owned_by(dep, md)) {
        /* someone else's Deployment of the same name: never take it over */
        json_t *status = json_deep_copy(json_is_object(json_object_get(md, "status")) ? json_object_get(md, "status")
                                                                                      : json_object());
        json_t *conds = json_object_get(status, "conditions");
        if (!json_is_array(conds)) json_object_set_new(status, "conditions", conds = json_array());
        mg_condition_set(conds, "Ready", "False", "DeploymentConflict",
                         "a Deployment of this name exists and is not owned by this ModelDeployment",
                         mg_json_int(md, 0, "metadata", "generation", NULL), now);
        rc = write_md_status(op, md, status, err);
        json_decref(status);
        goto release;
    }

    mg_md_inputs in = {.md = md,
                       .mv = mv,
                       .mv_approved = verdict.approved,
                       .approval_message = verdict.message,
                       .mv_quarantined = verdict.quarantined,
                       .quarantine_reason = verdict.quarantine_reason,
                       .fallback_mv = fb,
                       .fallback_usable = fb && fb_verdict.approved && !fb_verdict.quarantined,
                       .deployment = dep,
                       .monitor_phase = NULL,
                       .now = now};
    mg_md_decision d;
    mg_md_decide(&in, &d);
    if (d.run_mv && (dep || d.create_deployment)) {
        json_t *want = mg_plan_deployment(md, d.run_mv, d.replicas);
        rc = apply_owned(op, &MG_GVR_DEPLOYMENTS, ns, want, dep, dep && container_fields_removed(want, dep), err);
        json_decref(want);
    }
    if (rc == 0 && (svc || d.create_deployment || dep)) {
        json_t *want = mg_plan_service(md);
        rc = apply_owned(op, &MG_GVR_SERVICES, ns, want, svc, false, err);
        json_decref(want);
    }
    if (rc == 0) rc = write_md_status(op, md, d.status, err);
    if (rc == 0) post_events(op, md, &d);
    mg_md_decision_free(&d);
release:
    mg_mv_verdict_free(&verdict);
    mg_mv_verdict_free(&fb_verdict);
    json_decref(mv);
    json_decref(fb);
    json_decref(dep);
    json_decref(svc);
done:
    json_decref(md);
    return rc;
}

/* ---- workers ------------------------------------------------------------------------------ */

typedef struct worker_arg {
    mg_operator *op;
    mg_workqueue *queue;
    int (*reconcile)(mg_operator *, const char *, mg_error *);
    const char *kind;
} worker_arg;

static void observe(mg_operator *op, const char *kind, bool ok, double secs) {
    if (!op->m_reconciles) return;
    mg_metric_inc(mg_metric_with(op->m_reconciles, kind, ok ? "success" : "error", NULL));
    mg_metric_observe(mg_metric_with(op->m_duration, kind, NULL), secs);
    if (!ok) mg_metric_inc(mg_metric_with(op->m_retries, kind, NULL));
}

static void *worker_main(void *p) {
    worker_arg *a = p;
    for (char *key; (key = mg_wq_get(a->queue));) {
        int64_t start = mg_clock_mono_ms();
        mg_error err;
        mg_error_clear(&err);
        int rc = a->reconcile(a->op, key, &err);
        observe(a->op, a->kind, rc == 0, (double)(mg_clock_mono_ms() - start) / 1000.0);
        if (rc == 0) {
            mg_wq_forget(a->queue, key);
        } else {
            mg_log(rc == MG_ECONFLICT ? MG_LOG_DEBUG : MG_LOG_WARN, "reconcile failed, retrying", "kind", a->kind,
                   "key", key, "error", err.message, NULL);
            if (err.retry_after_ms > 0)
                mg_wq_add_after(a->queue, key, err.retry_after_ms);
            else
                mg_wq_add_rate_limited(a->queue, key);
        }
        mg_wq_done(a->queue, key);
        free(key);
    }
    free(a);
    return NULL;
}

/* ---- lifecycle ---------------------------------------------------------------------------- */

static void register_metrics(mg_operator *op, mg_metrics *m) {
    static const char *const kind[] = {"controller", NULL};
    static const char *const kind_result[] = {"controller", "result", NULL};
    static const char *const queue[] = {"queue", NULL};
    static const char *const phase[] = {"phase", NULL};
    op->m_reconciles = mg_metrics_counter(m, "modelgov_operator_reconcile_total", "Reconciles by controller and result.",
                                          kind_result);
    op->m_duration = mg_metrics_histogram(m, "modelgov_operator_reconcile_duration_seconds",
                                          "Time spent in one reconcile.", kind, DURATION_BUCKETS,
                                          sizeof(DURATION_BUCKETS) / sizeof(DURATION_BUCKETS[0]));
    op->m_retries = mg_metrics_counter(m, "modelgov_operator_workqueue_retries_total",
                                       "Keys re-queued with backoff after a failed reconcile.", kind);
    op->m_depth = mg_metrics_gauge(m, "modelgov_operator_workqueue_depth", "Keys waiting in each work queue.", queue);
    op->m_phase = mg_metrics_gauge(m, "modelgov_operator_modeldeployments", "ModelDeployments by phase.", phase);
    mg_metric_family *f = mg_metrics_counter(m, "modelgov_operator_api_writes_total",
                                             "Writes to the API server (creates, updates, patches, events).", NULL);
    op->m_writes = f ? mg_metric_with(f, NULL) : NULL;
    f = mg_metrics_counter(m, "modelgov_operator_watch_restarts_total", "Watch streams re-opened by the informers.", NULL);
    op->m_restarts = f ? mg_metric_with(f, NULL) : NULL;
    f = mg_metrics_gauge(m, "modelgov_operator_quarantined_modelversions", "ModelVersions currently quarantined.", NULL);
    op->m_quarantined = f ? mg_metric_with(f, NULL) : NULL;
    if (!op->m_reconciles || !op->m_duration || !op->m_retries || !op->m_depth || !op->m_phase || !op->m_writes ||
        !op->m_restarts || !op->m_quarantined)
        op->m_reconciles = NULL; /* a registration failed (logged by the registry): run without metrics */
}

int mg_operator_new(mg_client *c, const mg_operator_config *cfg, mg_operator **out, mg_error *err) {
    mg_operator *op = mg_xcalloc(1, sizeof(*op));
    op->client = c;
    op->namespace = mg_xstrdup(cfg->namespace);
    op->identity = mg_xstrdup(cfg->identity ? cfg->identity : "modelgov-operator");
    op->workers = cfg->workers > 0 ? cfg->workers : 2;
    op->resync_ms = cfg->resync_ms;
    if (cfg->metrics) register_metrics(op, cfg->metrics);
    op->mv_queue = mg_wq_new(NULL);
    op->md_queue = mg_wq_new(NULL);

    static const mg_gvr *gvrs[INF_COUNT];
    gvrs[INF_MV] = &MG_GVR_MODELVERSIONS;
    gvrs[INF_MREV] = &MG_GVR_MODELREVIEWS;
    gvrs[INF_MD] = &MG_GVR_MODELDEPLOYMENTS;
    gvrs[INF_DEPLOY] = &MG_GVR_DEPLOYMENTS;
    gvrs[INF_SVC] = &MG_GVR_SERVICES;
    gvrs[INF_DSV] = &MG_GVR_DATASETVERSIONS;
    gvrs[INF_TR] = &MG_GVR_TRAININGRUNS;
    mg_informer_handlers h[INF_COUNT] = {
        [INF_MV] = {on_mv, on_mv_update, on_mv, op},
        [INF_MREV] = {on_review, on_review_update, on_review, op},
        [INF_MD] = {on_md, on_md_update, NULL, op},
        [INF_DEPLOY] = {on_owned, on_owned_update, on_owned, op},
        [INF_SVC] = {on_owned, on_owned_update, on_owned, op},
        [INF_DSV] = {NULL, NULL, NULL, op},
        [INF_TR] = {NULL, NULL, NULL, op},
    };
    for (int i = 0; i < INF_COUNT; i++) {
        mg_informer_opts o = {.namespace = op->namespace, .resync_ms = op->resync_ms};
        if (i == INF_DEPLOY || i == INF_SVC) o.label_selector = MG_LABEL_MANAGED_BY "=" MG_MANAGER_NAME;
        op->inf[i] = mg_informer_new(c, gvrs[i], &o, &h[i]);
    }
    if (mg_informer_add_index(op->inf[INF_MD], "mv", md_by_mv) ||
        mg_informer_add_index(op->inf[INF_MREV], "mv", review_by_mv)) {
        mg_operator_free(op);
        return mg_error_set(err, MG_EINVAL, "operator: cannot register cache indexes");
    }
    *out = op;
    return 0;
}

int mg_operator_start_informers(mg_operator *op, mg_error *err) {
    for (int i = 0; i < INF_COUNT; i++) {
        int rc = mg_informer_start(op->inf[i], err);
        if (rc) return rc;
    }
    return 0;
}

bool mg_operator_synced(mg_operator *op) {
    for (int i = 0; i < INF_COUNT; i++)
        if (!mg_informer_has_synced(op->inf[i])) return false;
    return true;
}

bool mg_operator_wait_synced(mg_operator *op, long timeout_ms) {
    int64_t deadline = mg_clock_mono_ms() + timeout_ms;
    for (int i = 0; i < INF_COUNT; i++) {
        long left = timeout_ms < 0 ? -1 : (long)(deadline - mg_clock_mono_ms());
        if (timeout_ms >= 0 && left < 0) left = 0;
        if (!mg_informer_wait_synced(op->inf[i], left)) return false;
    }
    return true;
}

void mg_operator_run_workers(mg_operator *op) {
    if (op->running) return;
    op->running = true;
    op->n_threads = op->workers * 2;
    op->threads = mg_xcalloc((size_t)op->n_threads, sizeof(pthread_t));
    for (int i = 0; i < op->n_threads; i++) {
        worker_arg *a = mg_xmalloc(sizeof(*a));
        bool md = i % 2 == 0;
        *a = (worker_arg){op, md ? op->md_queue : op->mv_queue, md ? reconcile_md : reconcile_mv,
                          md ? "ModelDeployment" : "ModelVersion"};
        pthread_create(&op->threads[i], NULL, worker_main, a);
    }
    /* Everything in the caches gets one pass now that we lead (the informers' initial adds
     * may have arrived before any worker ran, which is fine: the queue kept them). */
}

void mg_operator_stop_workers(mg_operator *op) {
    mg_wq_shutdown(op->md_queue);
    mg_wq_shutdown(op->mv_queue);
    for (int i = 0; i < op->n_threads; i++) pthread_join(op->threads[i], NULL);
    free(op->threads);
    op->threads = NULL;
    op->n_threads = 0;
    op->running = false;
}

unsigned long mg_operator_writes(mg_operator *op) { return atomic_load(&op->writes); }

void mg_operator_refresh_metrics(mg_operator *op) {
    if (!op->m_reconciles) return;
    mg_metric_set(mg_metric_with(op->m_depth, "modeldeployments", NULL), (double)mg_wq_len(op->md_queue));
    mg_metric_set(mg_metric_with(op->m_depth, "modelversions", NULL), (double)mg_wq_len(op->mv_queue));
    unsigned long restarts = 0;
    for (int i = 0; i < INF_COUNT; i++) restarts += mg_informer_watch_restarts(op->inf[i]);
    double seen = mg_metric_value(op->m_restarts);
    if ((double)restarts > seen) mg_metric_add(op->m_restarts, (double)restarts - seen);

    unsigned long counts[N_PHASES] = {0};
    json_t *mds = mg_store_list(mg_informer_store(op->inf[INF_MD]));
    size_t i;
    json_t *md;
    json_array_foreach(mds, i, md) {
        const char *phase = mg_json_str(md, "status", "phase", NULL);
        for (size_t p = 0; phase && p < N_PHASES; p++)
            if (!strcmp(phase, MD_PHASES[p])) counts[p]++;
    }
    json_decref(mds);
    for (size_t p = 0; p < N_PHASES; p++) mg_metric_set(mg_metric_with(op->m_phase, MD_PHASES[p], NULL), (double)counts[p]);
    unsigned long quarantined = 0;
    json_t *mvs = mg_store_list(mg_informer_store(op->inf[INF_MV]));
    json_t *mv;
    json_array_foreach(mvs, i, mv) {
        if (mg_json_bool(mv, false, "status", "quarantined", NULL)) quarantined++;
    }
    json_decref(mvs);
    mg_metric_set(op->m_quarantined, (double)quarantined);
}

void mg_operator_free(mg_operator *op) {
    if (!op) return;
    if (op->running) mg_operator_stop_workers(op);
    for (int i = 0; i < INF_COUNT; i++) mg_informer_free(op->inf[i]);
    mg_wq_free(op->md_queue);
    mg_wq_free(op->mv_queue);
    free(op->namespace);
    free(op->identity);
    free(op);
}
