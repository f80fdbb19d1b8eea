/* policy/admission — the webhook's decisions, as a pure function.
 *
 * Owns: every admission rule. No I/O: all state comes through the
 * lookups of mg_admission_index (backed by informer stores in the webhook and by in-memory fakes
 * in tests) and the tag resolver callback (backed by the registry client and its cache).
 * Thread-safe when the index is.
 *
 * Rules (the first that applies decides; `rule` in the decision names it):
 *  - exempt-namespace / exempt-service-account: request namespace in exemptNamespaces, or user in
 *    exemptServiceAccounts → allowed.
 *  - status-subresource and any other subresource except `scale` (and pods/ephemeralcontainers) →
 *    allowed. CONNECT → allowed. DELETE → allowed except DatasetVersion (dataset-in-use).
 *  - model-image: Pods (CREATE; UPDATE and pods/ephemeralcontainers only for images not already in
 *    oldObject) and the pod templates of Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs,
 *    CronJobs, ReplicationControllers and PodTemplates (CREATE; UPDATE for images not in the old
 *    template): every
 *    container, initContainer and ephemeralContainer image is parsed (an invalid reference is
 *    refused). It is a model image when it lies under a modelRepositories prefix or its
 *    repository is the spec.image of some ModelVersion of the namespace (repo_known). A model
 *    image is admitted only when it maps to an approved, non-quarantined ModelVersion (policy/mvstate
 *    over its bound reviews, persisted verdicts and its digest's quarantine): `@digest` equal to spec.digest,
 *    or (requireDigest off) a tag equal to spec.version that the resolver maps to spec.digest
 *    (unreachable registry → refused; resolver says tag absent → refused). No tag, `latest`, and
 *    unknown tags are refused. A Deployment, ReplicaSet, StatefulSet or ReplicationController
 *    asking for 0 replicas may
 *    carry an approved but quarantined model (with a warning): the operator parks models so.
 *  - model-label: a pod (template) labelled mlops.modelgov.io/model=NAME must run at least one
 *    model image (CREATE) and all its model images must be ModelVersions of model NAME.
 *  - require-model-deployment (requireModelDeployment): a Deployment running a model image must
 *    have a controller ownerReference to a ModelDeployment (apiVersion GROUP/...) that exists and
 *    whose spec.modelVersion (or fallbackModelVersion) is the ModelVersion of the image; Pods and
 *    ReplicaSets (and other workloads) with a model image need some controller ownerReference.
 *  - quarantine-scale: refuses raising replicas of a quarantined model: Deployment, ReplicaSet,
 *    StatefulSet and ReplicationController UPDATE with more spec.replicas (default 1), their
 *    `scale` subresources (the template taken from the workload index; a workload not cached yet →
 *    refused: the client retries once the watch has delivered it), ModelDeployment CREATE/UPDATE with
 * replicas > 0 (CREATE, or modelVersion changed) or more replicas, and the modeldeployments/scale subresource
 * (kind autoscaling/v1 Scale).
 *  - immutable-spec: UPDATE of DatasetVersion, ModelVersion, ModelReview whose spec changed.
 *  - modelversion-author / modelversion-unique: ModelVersion CREATE needs annotation
 *    mlops.modelgov.io/author equal to the requesting user; (spec.model, spec.version) unique in
 *    the namespace.
 *  - review-identity: ModelReview CREATE: spec.reviewer equals the requesting user; the user is in
 *    one of reviewerGroups[kind] (when configured); the verdict fits the kind; the target
 *    ModelVersion (spec.modelVersion, else the ModelVersion of spec.modelDeployment) exists and
 *    its author is not the reviewer (separation of duties).
 *  - training-dataset: TrainingRun CREATE (or UPDATE changing spec.datasetVersion): the
 *    DatasetVersion exists, spec.privacy.method is anonymized|pseudonymized, status.biasScan.passed
 *    is true and status.biasScan.tool.name is in approvedScanTools.
 *  - dataset-in-use: DatasetVersion DELETE while TrainingRuns/ModelVersions reference it.
 * Audit mode turns a denial into allowed + a warning "audit: would deny: <message>" (rule kept).
 * Dry-run requests are judged exactly like real ones.
 *
 * Memory: every index lookup returns a NEW reference (or NULL) that this module releases before
 * mg_admission_decide returns; the index must keep whatever it hands out valid and immutable. */
#ifndef MG_POLICY_ADMISSION_H
#define MG_POLICY_ADMISSION_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "api/api.h"
#include "core/error.h"
#include "policy/config.h"
#include "policy/imageref.h"
#include "policy/review.h"

/* Lookups over the watch-fed caches. Any function may be NULL (= "nothing known"). Arrays and
 * objects are new references (NULL = none). `repo` is always a full normalised repository name
 * (mg_imageref.name; index ModelVersions by mg_imageref_normalize_repo(spec.image)). */
typedef struct mg_admission_index {
    void *ctx;
    /* ModelVersions in ns with that repository (a canonical name, see policy/identity.h) and
     * spec.version == version. */
    json_t *(*mv_by_version)(void *ctx, const char *ns, const char *repo, const char *version);
    /* True when some ModelVersion in ns has that repository. */
    bool (*repo_known)(void *ctx, const char *ns, const char *repo);
    /* ModelVersions in ns with spec.model == model (array). */
    json_t *(*mv_by_model)(void *ctx, const char *ns, const char *model);
    /* The ModelVersion named name in ns (object). */
    json_t *(*mv_by_name)(void *ctx, const char *ns, const char *name);
    /* ModelReviews in ns bound to the ModelVersion uid (spec.modelVersionUID == uid; array). */
    json_t *(*reviews_of_uid)(void *ctx, const char *ns, const char *uid);
    /* ModelReviews in ns whose spec.digest == digest, under any ModelVersion (array). */
    json_t *(*reviews_of_digest)(void *ctx, const char *ns, const char *digest);
    /* ModelVersions in ns whose spec.digest == digest, whatever their repository (array). */
    json_t *(*mvs_of_digest)(void *ctx, const char *ns, const char *digest);
    /* The DatasetVersion named name (object). */
    json_t *(*dataset)(void *ctx, const char *ns, const char *name);
    /* What keeps DatasetVersion name alive: TrainingRuns and ModelVersions in ns whose
     * spec.datasetVersion == name, and DatasetVersions listing it in spec.parents (array; items
     * should carry "kind" for messages). */
    json_t *(*dataset_referrers)(void *ctx, const char *ns, const char *name);
    /* ModelVersions in ns whose spec.trainingRun == name (array, items with "kind"). */
    json_t *(*trainingrun_referrers)(void *ctx, const char *ns, const char *name);
    /* The Namespace named name (object): a terminating one may lose its records. */
    json_t *(*namespace_)(void *ctx, const char *name);
    /* The ModelDeployment named name (object). */
    json_t *(*modeldeployment)(void *ctx, const char *ns, const char *name);
    /* The workload named name whose resource is `resource` ("deployments", "replicasets",
     * "statefulsets" or "replicationcontrollers"): at least its metadata, spec.replicas and the pod
     * template's container images (object). */
    json_t *(*workload)(void *ctx, const char *ns, const char *resource, const char *name);
    /* Tag → digest via the registry (cached). 0 and digest filled ("sha256:..."); MG_ENOTFOUND when
     * the registry says the tag does not exist; any other negative code when it cannot tell
     * (unreachable, auth): err->message says why. Called only for a tag that names an approved,
     * non-quarantined ModelVersion. */
    int (*resolve_tag)(void *ctx, const mg_imageref *ref, char *digest, size_t digest_len, mg_error *err);
} mg_admission_index;

typedef struct mg_admission_input {
    const mg_admission_request *req;
    const mg_policy_config *cfg;
    const mg_admission_index *index;
    /* The CRD group; NULL = MG_API_GROUP. Tests replaying kube-apiserver recordings made under
     * another group name set it. */
    const char *group;
} mg_admission_input;

/* Decides. *out must be initialised (mg_admission_decision_init) and is freed by the caller
 * (mg_admission_decision_free). Never fails: missing data means "deny" for model images and
 * governance checks, "allow" for unrelated objects. */
void mg_admission_decide(const mg_admission_input *in, mg_admission_decision *out);

/* The mutating side (/mutate) — tags are pinned: the same judgement as mg_admission_decide over
 * Pods (CREATE, UPDATE, pods/ephemeralcontainers) and the pod templates of the workload kinds
 * (CREATE, UPDATE), and for each new container image that it admits by tag — naming the version
 * of an approved, non-quarantined ModelVersion that the registry resolves to its digest — a
 * JSONPatch operation {"op": "replace", "path": "<pod spec>/<list>/<i>/image", "value":
 * "IMAGE@DIGEST"} (out->patch), so that the kubelet pulls the approved bytes whatever the tag
 * points to later. Never denies (out->allowed is true, with rule "pin-tags" or "pin-none"): when
 * the validating rules would refuse the request nothing is pinned and the validating webhook
 * refuses it. An image already carrying a digest, and an UPDATE's unchanged images, are left
 * as they are, so calling it again on its own result changes nothing (reinvocation). Same
 * memory rules as mg_admission_decide. */
void mg_admission_mutate(const mg_admission_input *in, mg_admission_decision *out);

#endif
