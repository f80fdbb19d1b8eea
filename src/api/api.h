/* api/api — modelgov's API surface, spelled once: the group and version of its resources, their
 * resource names and kinds, the built-in Kubernetes resources the programs read and write, and
 * the labels and annotations they set or match. crds/ and the chart spell the same names for the
 * API server; tests spell them on their own, so that a change here shows up there as a failure.
 *
 * The namespace label modelgov.io/governed=true is not here: only the chart's webhook
 * namespaceSelector reads it, the API server applies it, and no program of ours sees it.
 *
 * Owns: no state; constants only, safe from any thread. */
#ifndef MG_API_API_H
#define MG_API_API_H
#include "k8s/client.h"

#define MG_API_GROUP "mlops.modelgov.io"
#define MG_API_VERSION "v1alpha1"
/* An object's apiVersion field (Kubernetes' GroupVersion string). */
#define MG_API_GROUP_VERSION MG_API_GROUP "/" MG_API_VERSION

/* Resource names (plural, as in URLs and admission requests) and kinds. */
#define MG_RES_DATASETVERSIONS "datasetversions"
#define MG_RES_TRAININGRUNS "trainingruns"
#define MG_RES_MODELVERSIONS "modelversions"
#define MG_RES_MODELREVIEWS "modelreviews"
#define MG_RES_MODELDEPLOYMENTS "modeldeployments"
#define MG_KIND_DATASETVERSION "DatasetVersion"
#define MG_KIND_TRAININGRUN "TrainingRun"
#define MG_KIND_MODELVERSION "ModelVersion"
#define MG_KIND_MODELREVIEW "ModelReview"
#define MG_KIND_MODELDEPLOYMENT "ModelDeployment"

/* Labels. A pod (template) with MG_LABEL_MODEL=NAME must run a model image of model NAME (the
 * webhook's rule); the operator sets it, MG_LABEL_MODEL_VERSION and MG_LABEL_MODELDEPLOYMENT on
 * what it creates for a ModelDeployment (the Deployment's selector is the last alone: selectors
 * are immutable and the version changes on fallback and promotion), MG_LABEL_TRAININGRUN on a
 * TrainingRun's Job, MG_LABEL_RETRAINING_OF=<ModelVersion> on the TrainingRuns it starts to
 * replace that version; the plugin sets MG_LABEL_DATASET on the DatasetVersions it registers. */
#define MG_LABEL_MODEL MG_API_GROUP "/model"
#define MG_LABEL_MODEL_VERSION MG_API_GROUP "/model-version"
#define MG_LABEL_MODELDEPLOYMENT MG_API_GROUP "/modeldeployment"
#define MG_LABEL_TRAININGRUN MG_API_GROUP "/trainingrun"
#define MG_LABEL_RETRAINING_OF MG_API_GROUP "/retraining-of"
#define MG_LABEL_DATASET MG_API_GROUP "/dataset"
/* On the Lease of each operator replica when sharding (k8s/members): the group it belongs to. */
#define MG_LABEL_MEMBER_OF MG_API_GROUP "/member-of"
/* Kubernetes' recommended label; the operator's informers of its own objects filter on it. */
#define MG_LABEL_MANAGED_BY "app.kubernetes.io/managed-by"

/* Annotations. The author of a ModelVersion, equal to the user who created it (webhook), and
 * never a reviewer of it (separation of duties). */
#define MG_ANNOTATION_AUTHOR MG_API_GROUP "/author"
/* On the Deployments and Services the operator owns: a hash of what it last applied (labels,
 * ownerReferences, spec), compared instead of keeping the whole object in its cache. */
#define MG_ANNOTATION_APPLIED MG_API_GROUP "/applied"

/* modelgov's resources. */
extern const mg_gvr MG_GVR_DATASETVERSIONS;
extern const mg_gvr MG_GVR_TRAININGRUNS;
extern const mg_gvr MG_GVR_MODELVERSIONS;
extern const mg_gvr MG_GVR_MODELREVIEWS;
extern const mg_gvr MG_GVR_MODELDEPLOYMENTS;
/* The built-in resources the programs read or write. */
extern const mg_gvr MG_GVR_DEPLOYMENTS;
extern const mg_gvr MG_GVR_REPLICASETS;
extern const mg_gvr MG_GVR_STATEFULSETS;
extern const mg_gvr MG_GVR_REPLICATIONCONTROLLERS;
extern const mg_gvr MG_GVR_SERVICES;
extern const mg_gvr MG_GVR_JOBS;
extern const mg_gvr MG_GVR_EVENTS;
extern const mg_gvr MG_GVR_PODS;
extern const mg_gvr MG_GVR_NAMESPACES;

#endif
