/* policy/index — an mg_admission_index over k8s/store caches (what the webhook's informers fill).
 *
 * Owns: the secondary-index names and key formats the admission lookups need, so that the webhook
 * does not have to re-derive them (in particular the normalisation of ModelVersion.spec.image with
 * mg_imageref_normalize_repo, which must match how pod images are parsed). Keys carry the
 * namespace ("ns|..."). The stores are borrowed: they must outlive the index, and every store
 * must get its indexes (mg_policy_stores_add_indexes) before the first object is put.
 *
 * Stores (any may be NULL: the matching lookups then find nothing):
 *   modelversions     indexes mg-repo, mg-repo-version, mg-model, mg-dataset,
 *                             mg-digest (spec.digest, any repository), mg-trainingrun
 *   datasetversions   index   mg-parent (each of spec.parents); also looked up by "ns/name"
 *   namespaces        looked up by name (cluster-scoped; a terminating namespace may lose its records)
 *   modelreviews      indexes mg-review-uid (spec.modelVersionUID), mg-digest (spec.digest)
 *   modeldeployments and the workloads   looked up by "ns/name" only
 *   trainingruns      index   mg-dataset (spec.datasetVersion)
 * Thread-safe: the stores lock internally; this module has no other state (index functions use
 * thread-local buffers, which k8s/store copies right after each call). */
#ifndef MG_POLICY_INDEX_H
#define MG_POLICY_INDEX_H
#include "k8s/store.h"
#include "policy/admission.h"

typedef struct mg_policy_stores {
    mg_store *modelversions, *modelreviews, *datasetversions, *trainingruns, *modeldeployments;
    /* apps/v1 deployments, replicasets, statefulsets and v1 replicationcontrollers */
    mg_store *deployments, *replicasets, *statefulsets, *replicationcontrollers;
    mg_store *namespaces;
    /* The tag resolver (registry client + cache); NULL means every tag is unresolvable. */
    int (*resolve_tag)(void *ctx, const mg_imageref *ref, char *digest, size_t digest_len, mg_error *err);
    void *resolve_ctx;
} mg_policy_stores;

/* Registers the indexes above on the non-NULL stores. Returns 0 or MG_EINVAL (a store already
 * has objects or too many indexes). */
int mg_policy_stores_add_indexes(mg_policy_stores *s, mg_error *err);
/* Fills *ix with lookups over s (borrowed; s must outlive ix). */
void mg_policy_index_init(mg_admission_index *ix, mg_policy_stores *s);

#endif
