/* operator/plan — the objects a ModelDeployment should own, computed from cached state.
 *
 * Owns: no state; pure functions from (ModelDeployment, ModelVersion, decision) to the desired
 * apps/v1 Deployment and core/v1 Service, and the label/selector conventions the operator,
 * webhook and tests share. Inputs are borrowed; results are new references the caller owns.
 *
 * Labels on everything the operator creates:
 *   app.kubernetes.io/managed-by=modelgov-operator   (the operator's informers filter on it)
 *   app.kubernetes.io/name=<model>, app.kubernetes.io/instance=<md name>
 *   mlops.modelgov.io/model=<model>                    (the webhook's model-pod label)
 *   mlops.modelgov.io/model-version=<mv name>, mlops.modelgov.io/modeldeployment=<md name>
 * The Deployment's selector is only mlops.modelgov.io/modeldeployment (selectors are immutable,
 * and the version changes on fallback and promotion). */
#ifndef MG_OPERATOR_PLAN_H
#define MG_OPERATOR_PLAN_H
#include <jansson.h>

#include "api/api.h"

#define MG_MANAGER_NAME "modelgov-operator"
#define MG_DEFAULT_PORT 8080
#define MG_DEFAULT_HEALTH_PATH "/healthz"

/* The pinned image "repository@sha256:..." of a ModelVersion, as a new heap string, or NULL
 * when spec.image or spec.digest is missing. */
char *mg_plan_pinned_image(const json_t *mv);

/* Desired Deployment for md running mv with `replicas` replicas (0 when not approved or
 * quarantined). Carries a controller ownerReference to md. */
json_t *mg_plan_deployment(const json_t *md, const json_t *mv, long long replicas);
/* Desired Service selecting md's pods on its port. */
json_t *mg_plan_service(const json_t *md);
/* The container port of md (spec.port or 8080). */
long long mg_plan_port(const json_t *md);

#endif
