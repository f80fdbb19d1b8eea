/* operator/approvals — a ModelVersion's approval and quarantine as the operator records them.
 *
 * Owns: no state. Wraps the shared pure rule of policy/approval (the webhook uses the same) and
 * turns it into (a) a verdict the ModelDeployment reconcile consumes and (b) the
 * ModelVersion.status the operator writes: approved, approvedAt, reviews (summary), quarantined,
 * quarantineReason and the Approved/Quarantined conditions. Inputs borrowed; outputs owned by the
 * caller. Deterministic for equal inputs (apart from `now`, used only on condition flips). */
#ifndef MG_OPERATOR_APPROVALS_H
#define MG_OPERATOR_APPROVALS_H
#include <jansson.h>
#include <stdbool.h>

typedef struct mg_mv_verdict {
    bool approved;
    char *message; /* heap: the human approval summary */
    bool quarantined;
    char *quarantine_reason; /* heap or NULL */
} mg_mv_verdict;

/* reviews: JSON array of the ModelReviews whose spec.modelVersion names mv (same namespace). */
void mg_mv_verdict_compute(const json_t *mv, const json_t *reviews, mg_mv_verdict *out);
void mg_mv_verdict_free(mg_mv_verdict *v);
/* The status the ModelVersion should have, a new object (existing fields the operator does not
 * own, e.g. monitoring evidence, are kept). */
json_t *mg_mv_status(const json_t *mv, const json_t *reviews, const char *now);

#endif
