/* operator/training — TrainingRuns: the Jobs that execute them, their mirrored status, and the
 * choice of fresh data for automatic retraining.
 *
 * Owns: no state; pure functions over borrowed objects, returning new references.
 *  - A TrainingRun with spec.template runs as a batch/v1 Job of the same name, controlled by the
 *    TrainingRun, labelled app.kubernetes.io/managed-by=modelgov-operator and
 *    mlops.modelgov.io/trainingrun=<name>; its containers get the run's context as environment:
 *    MODELGOV_TRAININGRUN, MODELGOV_EXPERIMENT, MODELGOV_DATASET_VERSION, MODELGOV_MODEL,
 *    MODELGOV_MODEL_VERSION (when set), MODELGOV_CODE_REVISION and MODELGOV_PARAMS (a JSON object).
 *    Without a template the run is a record only and no Job is made.
 *  - status mirrors the Job: Pending (no Job or not started), Running (active pods), Succeeded
 *    (condition Complete), Failed (condition Failed), with startedAt/completedAt from the Job and
 *    modelVersion naming the ModelVersion whose spec.trainingRun is this run.
 *  - Retraining data: the newest (creationTimestamp, then name) DatasetVersion matching the
 *    selector that declares privacy anonymized|pseudonymized and carries a passed bias scan by an
 *    approved tool (the webhook's training rule), other than the quarantined model's own
 *    dataset; when only that one (or none) qualifies, nothing is picked and the reason says so. */
#ifndef MG_OPERATOR_TRAINING_H
#define MG_OPERATOR_TRAINING_H
#include <jansson.h>
#include <stdbool.h>

#include "api/api.h"

/* The Job for tr, or NULL when tr has no spec.template. */
json_t *mg_plan_job(const json_t *tr);
/* The status tr should have given its Job (or NULL) and the ModelVersion produced (or NULL). */
json_t *mg_tr_status(const json_t *tr, const json_t *job, const char *produced_mv);

/* True when dsv may be trained on: privacy attested and a passed bias scan by a tool in
 * approved_tools (a JSON array of strings; NULL means the default ["kubectl-modelgov"]). */
bool mg_dataset_eligible(const json_t *dsv, const json_t *approved_tools);
/* Picks from dsvs (array of DatasetVersions of one namespace). Returns a borrowed pointer or
 * NULL; *why (static text or NULL) explains a NULL. */
const json_t *mg_pick_retraining_dataset(const json_t *dsvs, const json_t *selector, const char *own_dataset,
                                         const json_t *approved_tools, const char **why);

#endif
