/* webhook/caches — the webhook's watch-fed caches: one informer per resource the admission rules
 * read, feeding the policy index stores (src/policy/index.h).
 *
 * Owns: ten informers over all namespaces (api/api.h) — modelgov's ModelVersions,
 * ModelReviews, DatasetVersions, TrainingRuns, ModelDeployments, core/v1 Namespaces (name and
 * deletion state only: records go only with their namespace), and the workloads with a `scale`
 * subresource: apps/v1 Deployments, ReplicaSets, StatefulSets and v1 ReplicationControllers
 * (trimmed before caching to metadata without annotations, spec.replicas and the pod template's
 * labels and container names and images: a `scale` request is judged from the cached template) —
 * and the
 * mg_policy_stores that points at their stores (with the policy indexes registered before any
 * object arrives). The client and the resolver context are borrowed and must outlive the caches.
 *
 * Thread rules: create, start and free from one thread; the stores (and thus the index built
 * with mg_policy_index_init over mg_webhook_caches_stores) are safe from any thread;
 * mg_webhook_caches_synced may be called from any thread. */
#ifndef MG_WEBHOOK_CACHES_H
#define MG_WEBHOOK_CACHES_H
#include <stdbool.h>

#include "core/error.h"
#include "k8s/client.h"
#include "policy/index.h"

typedef struct mg_webhook_caches mg_webhook_caches;

/* resolve_tag/resolve_ctx go into the stores (may be NULL). */
int mg_webhook_caches_new(mg_client *client,
                          int (*resolve_tag)(void *, const mg_imageref *, char *, size_t, mg_error *),
                          void *resolve_ctx, mg_webhook_caches **out, mg_error *err);
int mg_webhook_caches_start(mg_webhook_caches *c, mg_error *err);
/* True once every informer has delivered its first LIST. */
bool mg_webhook_caches_synced(mg_webhook_caches *c);
/* The stores (borrowed, valid until mg_webhook_caches_free). */
mg_policy_stores *mg_webhook_caches_stores(mg_webhook_caches *c);
/* Stops the informers and frees everything. NULL is fine. */
void mg_webhook_caches_free(mg_webhook_caches *c);

/* ---- The whole wiring, for main ----
 * mg_webhook_watch_start: API client from kubeconfig/context (mg_rest_config_auto), the registry
 * client (src/oci; policy's registries and cacheTTLSeconds, counting lookups and cache hits into
 * the webhook's metrics), the caches with that resolver, *ix filled over their stores
 * (mg_policy_index_init), the informers started, and a thread that marks the webhook ready once
 * every cache has synced. Call after mg_webhook_new and BEFORE mg_webhook_start (ix is read by
 * the service threads). policy, wh and ix are borrowed and must outlive the watch. */
typedef struct mg_webhook mg_webhook;
typedef struct mg_webhook_watch mg_webhook_watch;
int mg_webhook_watch_start(const char *kubeconfig, const char *context, const mg_policy_config *policy,
                           mg_webhook *wh, mg_admission_index *ix, mg_webhook_watch **out, mg_error *err);
/* Stops the readiness thread and the informers, frees the clients. NULL is fine. Call after the
 * webhook stopped serving. */
void mg_webhook_watch_stop(mg_webhook_watch *w);

#endif
