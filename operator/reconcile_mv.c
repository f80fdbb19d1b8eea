/* ModelVersion reconcile: status.approved/approvedAt/reviews/verdicts/quarantined from the records
 * bound to the ModelVersion (the shared rules in policy/mvstate), written only when it differs. */
#include "core/clock.h"
#include "core/json.h"
#include "operator/approvals.h"
#include "operator/opctx.h"
#include "operator/resources.h"

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

int mg_op_reconcile_mv(mg_operator *op, const char *key, mg_error *err) {
    json_t *mv = mg_store_get(mg_informer_store(op->inf[INF_MV]), key);
    if (!mv) return 0;
    mg_mv_records rec;
    mg_op_mv_records(op, mv, &rec);
    char now[40];
    mg_clock_rfc3339(mg_clock_wall_ms(), now, sizeof(now));
    json_t *status = mg_mv_status(&rec, now);
    int rc = mg_op_write_status(op, &MG_GVR_MODELVERSIONS, mv, status, err);
    json_decref(status);
    mg_op_mv_records_release(&rec);
    json_decref(mv);
    return rc;
}
