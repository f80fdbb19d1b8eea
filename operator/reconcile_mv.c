/* ModelVersion reconcile: status.approved/approvedAt/reviews/quarantined from the reviews (the
 * shared rule in policy/approval), written only when it differs. */
#include "core/clock.h"
#include "core/json.h"
#include "operator/approvals.h"
#include "operator/opctx.h"
#include "operator/resources.h"

int mg_op_reconcile_mv(mg_operator *op, const char *key, mg_error *err) {
    json_t *mv = mg_store_get(mg_informer_store(op->inf[INF_MV]), key);
    if (!mv) return 0;
    const char *ns = mg_json_str(mv, "metadata", "namespace", NULL);
    json_t *reviews = mg_op_by_index(op, INF_MREV, "mv", mg_json_str(mv, "metadata", "name", NULL), ns);
    char now[40];
    mg_clock_rfc3339(mg_clock_wall_ms(), now, sizeof(now));
    json_t *status = mg_mv_status(mv, reviews, now);
    int rc = mg_op_write_status(op, &MG_GVR_MODELVERSIONS, mv, status, err);
    json_decref(status);
    json_decref(reviews);
    json_decref(mv);
    return rc;
}
