/* operator/approvals — a ModelVersion's approval and quarantine as the operator records them.
 *
 * Owns: no state. Wraps the shared pure rules of policy/mvstate (the webhook uses the same) and
 * turns them into (a) a verdict the ModelDeployment reconcile consumes and (b) the
 * ModelVersion.status the operator writes: approved, approvedAt, reviews (summary), verdicts
 * (every reviewer's latest verdict, kept so that a deleted review changes nothing), quarantined,
 * quarantinedAt, quarantineReason and the Approved/Quarantined conditions. Inputs borrowed;
 * outputs owned by the caller. Deterministic for equal inputs (apart from `now`, used only on
 * condition flips and for a quarantine whose time is unknown). */
#ifndef MG_OPERATOR_APPROVALS_H
#define MG_OPERATOR_APPROVALS_H
#include <jansson.h>
#include <stdbool.h>

#include "policy/mvstate.h"

typedef struct mg_mv_verdict {
    bool approved;
    char *message; /* heap: the human approval summary */
    bool quarantined;
    char *quarantine_reason; /* heap or NULL */
} mg_mv_verdict;

/* records: the ModelVersion with its bound reviews, its digest's incidents and peers. */
void mg_mv_verdict_compute(const mg_mv_records *records, mg_mv_verdict *out);
void mg_mv_verdict_free(mg_mv_verdict *v);
/* The status the ModelVersion should have, a new object (existing fields the operator does not
 * own, e.g. monitoring evidence, are kept). now is RFC 3339. */
json_t *mg_mv_status(const mg_mv_records *records, const char *now);

#endif
