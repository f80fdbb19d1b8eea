/* ModelVersion reconcile: status.approved/approvedAt/reviews/verdicts/quarantined from the records
 * bound to the ModelVersion (the shared rules in policy/mvstate) and monitoring's quarantine
 * (operator/quarantine: a quarantine breach in the status of a ModelDeployment serving it), written
 * only when it differs. */
#include "api/api.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "operator/approvals.h"
#include "operator/opctx.h"
#include "operator/quarantine.h"

void mg_op_mv_records(mg_operator *op, const json_t *mv, mg_mv_records *out) {
    const char *ns = mg_json_str(mv, "metadata", "namespace", NULL);
    const char *digest = mg_json_str(mv, "spec", "digest", NULL);
    out->mv = mv;
    out->reviews = mg_op_by_index(op, INF_MREV, "uid", mg_json_str(mv, "metadata", "uid", NULL), ns);
    out->incidents = mg_op_by_index(op, INF_MREV, "digest", digest, ns);
    out->peers = mg_op_by_index(op, INF_MV, "digest", digest, ns);
}

void mg_op_mv_records_release(mg_mv_records *r) {
    json_decref((json_t *)r->reviews);
    json_decref((json_t *)r->incidents);
    json_decref((json_t *)r->peers);
    r->reviews = r->incidents = r->peers = NULL;
}

void mg_op_mv_verdict(mg_operator *op, const json_t *mv, mg_mv_verdict *out) {
    mg_mv_records rec;
    mg_op_mv_records(op, mv, &rec);
    mg_mv_verdict_compute(&rec, out);
    mg_op_mv_records_release(&rec);
}

/* mv as monitoring leaves it: quarantined by the breach of a ModelDeployment serving it, unless
 * already quarantined (a new reference; mv itself when monitoring has nothing to add). */
static json_t *with_monitoring(mg_operator *op, json_t *mv) {
    if (mg_json_bool(mv, false, "status", "quarantined", NULL)) return json_incref(mv);
    json_t *mds = mg_op_by_index(op, INF_MD, "quarantineBreach", mg_json_str(mv, "metadata", "name", NULL),
                                 mg_json_str(mv, "metadata", "namespace", NULL));
    json_t *q = mg_monitoring_quarantine(mv, mds);
    json_decref(mds);
    json_t *out = q ? mg_monitoring_quarantine_apply(mv, q) : json_incref(mv);
    json_decref(q);
    return out;
}

/* Monitoring's quarantine was just written: logged, and a Warning Event on the ModelDeployment
 * whose breach it was, where `kubectl describe md` shows why its model stopped. */
static void announce_quarantine(mg_operator *op, const char *key, const json_t *mv, const json_t *status) {
    const char *reason = mg_json_str(status, "quarantineReason", NULL);
    mg_log(MG_LOG_WARN, "model quarantined by monitoring", "modelversion", key, "reason", reason, NULL);
    json_t *md = mg_op_get(op, INF_MD, mg_json_str(mv, "metadata", "namespace", NULL),
                           mg_json_str(status, "quarantineEvidence", "modelDeployment", NULL));
    if (md) mg_op_event(op, md, "Warning", "QuarantineThreshold", reason);
    json_decref(md);
}

int mg_op_reconcile_mv(mg_operator *op, const char *key, mg_error *err) {
    json_t *cached = mg_store_get(mg_informer_store(op->inf[INF_MV]), key);
    if (!cached) return 0;
    json_t *mv = with_monitoring(op, cached); /* a newer release still wins (policy/mvstate) */
    mg_mv_records rec;
    mg_op_mv_records(op, mv, &rec);
    char now[40];
    mg_clock_rfc3339(mg_clock_wall_ms(), now, sizeof(now));
    json_t *status = mg_mv_status(&rec, now);
    int rc = mg_op_write_status(op, &MG_GVR_MODELVERSIONS, cached, status, err);
    if (rc == 0 && !mg_json_bool(cached, false, "status", "quarantined", NULL) &&
        mg_json_bool(status, false, "quarantined", NULL) && mg_json_get(status, "quarantineEvidence", NULL))
        announce_quarantine(op, key, mv, status);
    json_decref(status);
    mg_op_mv_records_release(&rec);
    json_decref(mv);
    json_decref(cached);
    return rc;
}
