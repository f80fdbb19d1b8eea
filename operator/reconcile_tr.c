/* TrainingRun reconcile: a run with a template executes as an owned batch/v1 Job; its status
 * mirrors the Job and names the ModelVersion registered from it (see operator/training.h). */
#include "api/api.h"
#include "core/json.h"
#include "operator/opctx.h"
#include "operator/training.h"

int mg_op_reconcile_tr(mg_operator *op, const char *key, mg_error *err) {
    json_t *tr = mg_store_get(mg_informer_store(op->inf[INF_TR]), key);
    if (!tr) return 0;
    int rc = 0;
    const char *ns = mg_json_str(tr, "metadata", "namespace", NULL);
    const char *name = mg_json_str(tr, "metadata", "name", NULL);
    json_t *job = mg_op_get(op, INF_JOB, ns, name);
    if (job && !mg_op_owned_by(job, tr)) {
        json_decref(job); /* someone else's Job of that name: leave it, report Pending */
        job = NULL;
    } else if (!job && !mg_json_get(tr, "metadata", "deletionTimestamp", NULL)) {
        json_t *want = mg_plan_job(tr);
        if (want) {
            bool created;
            rc = mg_op_apply_owned(op, &MG_GVR_JOBS, ns, want, NULL, &created, err);
            if (created) mg_op_event(op, tr, "Normal", "JobCreated", "training Job created");
            json_decref(want);
        }
    }
    json_t *produced = mg_op_by_index(op, INF_MV, "trainingRun", name, ns);
    const char *mv_name =
        json_array_size(produced) ? mg_json_str(json_array_get(produced, 0), "metadata", "name", NULL) : NULL;
    if (rc == 0) {
        json_t *status = mg_tr_status(tr, job, mv_name);
        rc = mg_op_write_status(op, &MG_GVR_TRAININGRUNS, tr, status, err);
        json_decref(status);
    }
    json_decref(produced);
    json_decref(job);
    json_decref(tr);
    return rc;
}
