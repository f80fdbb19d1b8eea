/* operator/trim — what the operator keeps of the objects it only reads or owns, and how it tells
 * whether an owned object is as it last applied it.
 *
 * Owns: no state; informer transforms (see k8s/informer.h: they edit the fresh object in place)
 * and pure functions. STYLE: caches hold what the code reads. At 10,000 ModelDeployments every
 * byte per object counts ten thousand times, so:
 *  - Pods (monitoring reads them): name, namespace, uid, resourceVersion, the ModelDeployment
 *    label, podIP and the Ready condition's status (~300 bytes instead of ~1.1 KB).
 *  - Deployments and Services the operator owns: metadata without labels (name, namespace, uid,
 *    resourceVersion, generation, the controller ownerReference's kind/name/uid, the applied
 *    annotation); of a Deployment spec.replicas, the first container's image and the status
 *    counts the ModelDeployment's phase is computed from (~450 bytes instead of ~1.9 KB) and,
 *    only while it has them, the conditions that say it cannot get its pods (ReplicaFailure=True,
 *    Progressing=False: a quota, a webhook refusing its pods, a progress deadline); of a
 *    Service its selector and each port's name, port, targetPort and protocol.
 *  - Jobs: metadata and status.
 * Owned objects carry the annotation MG_ANNOTATION_APPLIED: a hash of the labels,
 * ownerReferences and spec the operator applied. An owned object is re-applied when that hash
 * differs from the desired object's, or when someone else changed what decides what runs and
 * who reaches it: a Deployment's replicas or image, a Service's selector or ports. Other hand
 * edits of an owned object are left until the ModelDeployment changes. */
#ifndef MG_OPERATOR_TRIM_H
#define MG_OPERATOR_TRIM_H
#include <jansson.h>
#include <stdbool.h>

json_t *mg_trim_pod(json_t *obj, void *ud);
json_t *mg_trim_owned(json_t *obj, void *ud);   /* Deployments */
json_t *mg_trim_service(json_t *obj, void *ud); /* Services */
json_t *mg_trim_job(json_t *obj, void *ud);

/* The hash of want's labels, ownerReferences and spec (16 hex digits, into out[17]). */
void mg_applied_hash(const json_t *want, char out[17]);
/* True when have (as cached) is as want would leave it. */
bool mg_applied_matches(const json_t *want, const json_t *have);
/* A copy of want carrying its applied hash (new reference). */
json_t *mg_applied_stamp(const json_t *want);

#endif
