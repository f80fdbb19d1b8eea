/* webhook/caches — see caches.h. */
#include "webhook/caches.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "core/mem.h"
#include "k8s/informer.h"
#include "k8s/kubeconfig.h"
#include "oci/registry.h"
#include "webhook/webhook.h"

enum { C_MV, C_MREV, C_DSV, C_TR, C_MD, C_NS, C_DEPLOY, C_RS, C_STS, C_RC, C_COUNT };

struct mg_webhook_caches {
    mg_informer *inf[C_COUNT];
    mg_policy_stores stores;
};

/* Keeps only name and image of each container of a pod spec. */
static void strip_containers(json_t *podspec) {
    static const char *const lists[] = {"initContainers", "containers", "ephemeralContainers"};
    json_t *kept = json_object();
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
        json_t *in = json_object_get(podspec, lists[l]);
        if (!json_is_array(in)) continue;
        json_t *out = json_array();
        size_t i;
        json_t *ct;
        json_array_foreach(in, i, ct) {
            json_array_append_new(out, json_pack("{s:O?,s:O?}", "name", json_object_get(ct, "name"), "image",
                                                 json_object_get(ct, "image")));
        }
        json_object_set_new(kept, lists[l], out);
    }
    json_object_clear(podspec);
    json_object_update(podspec, kept);
    json_decref(kept);
}

/* Workloads (Deployments, ReplicaSets, StatefulSets, ReplicationControllers): the rules read
 * metadata (identity, ownerReferences), spec.replicas and the pod template's images; status
 * changes on every rollout, and the rest of the pod spec and the annotations would only cost
 * memory. */
static json_t *strip_workload(json_t *obj, void *ud) {
    (void)ud;
    json_object_del(obj, "status");
    json_t *meta = json_object_get(obj, "metadata");
    json_object_del(meta, "managedFields");
    json_object_del(meta, "annotations");
    json_t *tpl = mg_json_get(obj, "spec", "template", NULL);
    json_object_del(json_object_get(tpl, "metadata"), "annotations");
    json_t *podspec = json_object_get(tpl, "spec");
    if (json_is_object(podspec)) strip_containers(podspec);
    return json_incref(obj);
}

/* Namespaces: only whether one is terminating (its records may then go) is read. */
static json_t *namespace_phase(json_t *obj, void *ud) {
    (void)ud;
    json_t *meta = json_object_get(obj, "metadata");
    json_t *keep = json_pack("{s:{}}", "metadata");
    static const char *const fields[] = {"name", "resourceVersion", "deletionTimestamp"};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        json_t *v = json_object_get(meta, fields[i]);
        if (v) json_object_set(json_object_get(keep, "metadata"), fields[i], v);
    }
    json_t *phase = mg_json_get(obj, "status", "phase", NULL);
    if (phase) json_object_set_new(keep, "status", json_pack("{s:O}", "phase", phase));
    return keep;
}

/* ModelVersions: the rules read metadata, the identifying spec fields and the quarantine
 * status; the baseline, metrics, review summary and quarantine evidence can be large and are
 * never read here. */
static json_t *strip_modelversion(json_t *obj, void *ud) {
    (void)ud;
    json_t *spec = json_object_get(obj, "spec");
    json_object_del(spec, "baseline");
    json_object_del(spec, "metrics");
    json_t *status = json_object_get(obj, "status");
    json_object_del(status, "reviews");
    json_object_del(status, "quarantineEvidence");
    return json_incref(obj);
}

int mg_webhook_caches_new(mg_client *client,
                          int (*resolve_tag)(void *, const mg_imageref *, char *, size_t, mg_error *),
                          void *resolve_ctx, mg_webhook_caches **out, mg_error *err) {
    *out = NULL;
    static const mg_gvr *const gvrs[C_COUNT] = {
        [C_MV] = &MG_GVR_MODELVERSIONS,
        [C_MREV] = &MG_GVR_MODELREVIEWS,
        [C_DSV] = &MG_GVR_DATASETVERSIONS,
        [C_TR] = &MG_GVR_TRAININGRUNS,
        [C_MD] = &MG_GVR_MODELDEPLOYMENTS,
        [C_DEPLOY] = &MG_GVR_DEPLOYMENTS,
        [C_RS] = &MG_GVR_REPLICASETS,
        [C_STS] = &MG_GVR_STATEFULSETS,
        [C_RC] = &MG_GVR_REPLICATIONCONTROLLERS,
        [C_NS] = &MG_GVR_NAMESPACES,
    };
    mg_webhook_caches *c = mg_xcalloc(1, sizeof *c);
    mg_informer_handlers none = {0};
    for (int i = 0; i < C_COUNT; i++) {
        /* Compact stores: ~6x less memory than jansson trees (10,000 ModelVersions fit in the
         * 20 MB budget); a lookup parses the few objects it returns (microseconds). */
        mg_informer_opts o = {.namespace = NULL, .compact_store = true};
        if (i >= C_DEPLOY) o.transform = strip_workload;
        if (i == C_MV) o.transform = strip_modelversion;
        if (i == C_NS) o.transform = namespace_phase;
        c->inf[i] = mg_informer_new(client, gvrs[i], &o, &none);
    }
    c->stores.modelversions = mg_informer_store(c->inf[C_MV]);
    c->stores.modelreviews = mg_informer_store(c->inf[C_MREV]);
    c->stores.datasetversions = mg_informer_store(c->inf[C_DSV]);
    c->stores.trainingruns = mg_informer_store(c->inf[C_TR]);
    c->stores.modeldeployments = mg_informer_store(c->inf[C_MD]);
    c->stores.deployments = mg_informer_store(c->inf[C_DEPLOY]);
    c->stores.replicasets = mg_informer_store(c->inf[C_RS]);
    c->stores.statefulsets = mg_informer_store(c->inf[C_STS]);
    c->stores.replicationcontrollers = mg_informer_store(c->inf[C_RC]);
    c->stores.namespaces = mg_informer_store(c->inf[C_NS]);
    c->stores.resolve_tag = resolve_tag;
    c->stores.resolve_ctx = resolve_ctx;
    int rc = mg_policy_stores_add_indexes(&c->stores, err);
    if (rc) {
        mg_webhook_caches_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

int mg_webhook_caches_start(mg_webhook_caches *c, mg_error *err) {
    return mg_informers_start(c->inf, C_COUNT, err);
}

bool mg_webhook_caches_synced(mg_webhook_caches *c) { return mg_informers_synced(c->inf, C_COUNT); }

mg_policy_stores *mg_webhook_caches_stores(mg_webhook_caches *c) { return &c->stores; }

void mg_webhook_caches_free(mg_webhook_caches *c) {
    if (!c) return;
    mg_informers_free(c->inf, C_COUNT);
    free(c);
}

/* ---------------------------------------------------------------- wiring */

struct mg_webhook_watch {
    mg_rest_config rc;
    mg_client *client;
    mg_oci_client *oci;
    mg_webhook_caches *caches;
    mg_webhook *wh;
    pthread_t ready_thread;
    bool thread_started;
    atomic_bool stop;
};

static void count_oci(void *ud, mg_oci_event ev) {
    mg_webhook *wh = ud;
    switch (ev) {
    case MG_OCI_CACHE_HIT: mg_webhook_count_tag_cache(wh, true); break;
    case MG_OCI_CACHE_MISS: mg_webhook_count_tag_cache(wh, false); break;
    case MG_OCI_FOUND: mg_webhook_count_registry_lookup(wh, "found"); break;
    case MG_OCI_NOT_FOUND: mg_webhook_count_registry_lookup(wh, "not_found"); break;
    case MG_OCI_ERROR: mg_webhook_count_registry_lookup(wh, "error"); break;
    }
}

/* Objects the informers left out because they cannot be interpreted (for /metrics). */
static double skipped_objects(void *arg) {
    mg_webhook_watch *w = arg;
    unsigned long n = 0;
    for (int i = 0; i < C_COUNT; i++)
        n += mg_informer_skipped(w->caches->inf[i]);
    return (double)n;
}

static void *ready_main(void *arg) {
    mg_webhook_watch *w = arg;
    int64_t start = mg_clock_mono_ms(), warned = start;
    while (!atomic_load(&w->stop)) {
        if (mg_webhook_caches_synced(w->caches)) {
            char ms[32];
            snprintf(ms, sizeof ms, "%lld", (long long)(mg_clock_mono_ms() - start));
            mg_log(MG_LOG_INFO, "caches synced", "ms", ms, NULL);
            mg_webhook_set_ready(w->wh, true);
            return NULL;
        }
        if (mg_clock_mono_ms() - warned > 30000) {
            warned = mg_clock_mono_ms();
            mg_log(MG_LOG_WARN, "caches not synced yet: /readyz answers 503", NULL);
        }
        mg_sleep_ms(50);
    }
    return NULL;
}

int mg_webhook_watch_start(const char *kubeconfig, const char *context, const mg_policy_config *policy,
                           mg_webhook *wh, mg_admission_index *ix, mg_webhook_watch **out, mg_error *err) {
    *out = NULL;
    mg_webhook_watch *w = mg_xcalloc(1, sizeof *w);
    w->wh = wh;
    int rc = mg_rest_config_auto(kubeconfig, context, &w->rc, err);
    if (!rc) rc = mg_client_new(&w->rc, &w->client, err);
    if (!rc) {
        mg_oci_options oo = {.registries = policy->registries,
                             .n_registries = policy->n_registries,
                             .cache_ttl_s = policy->cache_ttl_seconds,
                             .negative_ttl_s = -1,
                             .error_ttl_s = -1,
                             .observer = count_oci,
                             .observer_ud = wh};
        rc = mg_oci_client_new(&oo, &w->oci, err);
    }
    if (!rc) rc = mg_webhook_caches_new(w->client, mg_oci_resolve_tag_cb, w->oci, &w->caches, err);
    if (!rc) {
        mg_policy_index_init(ix, mg_webhook_caches_stores(w->caches));
        rc = mg_metrics_func(
            mg_webhook_metrics(wh), MG_METRIC_COUNTER, "modelgov_webhook_objects_skipped_total",
            "Listed or watched objects left out because they cannot be interpreted.", skipped_objects, w);
        if (rc) rc = mg_error_set(err, MG_EINVAL, "cannot register the skipped-objects metric");
    }
    if (!rc) rc = mg_webhook_caches_start(w->caches, err);
    if (!rc) {
        if (pthread_create(&w->ready_thread, NULL, ready_main, w) != 0)
            rc = mg_error_set(err, MG_EIO, "cannot start the readiness thread");
        else
            w->thread_started = true;
    }
    if (rc) {
        mg_webhook_watch_stop(w);
        return rc;
    }
    *out = w;
    return 0;
}

void mg_webhook_watch_stop(mg_webhook_watch *w) {
    if (!w) return;
    atomic_store(&w->stop, true);
    if (w->thread_started) pthread_join(w->ready_thread, NULL);
    mg_webhook_caches_free(w->caches);
    mg_oci_client_free(w->oci);
    mg_client_free(w->client);
    mg_rest_config_free(&w->rc);
    free(w);
}
