/* policy/mvstate — what the records say about one ModelVersion: approved, quarantined, and why.
 *
 * Owns: which records belong to which ModelVersion object, and how deleted records stay counted.
 * Shared by the operator (which writes the result into ModelVersion.status) and the webhook
 * (which decides from it without waiting for that write). Pure: no I/O, no clock; thread-safe.
 *
 *  - Binding. A ModelReview belongs to ModelVersion mv when its spec.modelVersionUID equals mv's
 *    metadata.uid and its spec.digest equals mv's spec.digest (the webhook checks both against the
 *    ModelVersion when the review is created; a review naming only a ModelDeployment carries the
 *    uid and digest of the ModelVersion that deployment ran then). A review without the binding
 *    counts for nothing, so a ModelVersion deleted and registered again under the same name (a
 *    new uid, perhaps another digest) starts without reviews.
 *  - Approval. policy/approval's rule over the bound security/performance/bias reviews plus the
 *    verdicts the operator persisted in mv's status.verdicts (each reviewer's latest verdict it
 *    saw). A review that disappears later leaves its persisted verdict behind, so deleting a
 *    reject never approves (only the operator's identity may write that status: the webhook
 *    guards it). A reject follows the digest: a reviewer whose latest verdict of a kind among the
 *    digest's reviews (any uid, existing or deleted ModelVersion) and mv's verdicts is a reject
 *    has that reject counted for mv too (and persisted with its verdicts), so registering the
 *    same bytes again does not shed it; approvals stay bound to one object.
 *  - Quarantine belongs to the digest, across ModelVersions of the namespace. The events are:
 *    every incident review whose spec.digest is mv's digest (under any ModelVersion uid, existing
 *    or deleted), and, for each ModelVersion of the namespace with that digest whose
 *    status.quarantined is true, a confirm at its status.quarantinedAt (else its Quarantined
 *    condition's lastTransitionTime; when neither is known the status is taken as the newest
 *    event). The latest event decides; a confirm wins a same-second tie. So a quarantine is lifted
 *    only by a release review newer than it — never by deleting the review that caused it, nor by
 *    registering the digest again under another ModelVersion.
 *
 * Memory: the inputs are borrowed; mg_mv_state points into them (approval.latest and friends)
 * and owns its arrays and reason string: free with mg_mv_state_free, before the inputs. */
#ifndef MG_POLICY_MVSTATE_H
#define MG_POLICY_MVSTATE_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "policy/approval.h"

/* The ModelReview fields that bind it to one ModelVersion object. */
#define MG_REVIEW_FIELD_UID "modelVersionUID"
#define MG_REVIEW_FIELD_DIGEST "digest"

typedef struct mg_mv_records {
    const json_t *mv;        /* the ModelVersion (required) */
    const json_t *reviews;   /* array: ModelReviews whose spec.modelVersionUID is mv's uid (others
                                and those with another digest are ignored); may be NULL */
    const json_t *incidents; /* array: ModelReviews whose spec.digest is mv's digest, any uid
                                (their incidents and standing rejects count); may be NULL */
    const json_t *peers;     /* array: ModelVersions of the namespace with mv's digest (mv itself
                                may be among them; its own status counts either way); may be NULL */
} mg_mv_records;

typedef struct mg_mv_state {
    mg_approval approval;      /* over bound reviews + persisted verdicts; latest[] borrowed */
    bool quarantined;          /* the digest's latest quarantine event is a confirm */
    int64_t quarantined_at_ms; /* that event's time; INT64_MAX when unknown (a status without time) */
    char *quarantine_reason;   /* heap, NULL when not quarantined */
    /* owned storage the approval points into */
    mg_review *verdicts;
    size_t n_verdicts;
    mg_review *events;
    const json_t **event_src; /* per event: the incident review or the quarantined ModelVersion */
    size_t n_events;
} mg_mv_state;

/* True when review is bound to mv (uid and digest). */
bool mg_review_bound_to(const json_t *review, const json_t *mv);

/* Computes *out (see above). Never fails; free with mg_mv_state_free. */
void mg_mv_state_compute(const mg_mv_records *in, mg_mv_state *out);
void mg_mv_state_free(mg_mv_state *s);

/* The status.verdicts to persist: every reviewer's latest verdict (bound reviews and already
 * persisted ones), a new JSON array (see mg_approval_verdicts_json). */
json_t *mg_mv_state_verdicts_json(const mg_mv_state *s);

/* The refusal text of an unusable ModelVersion, a new heap string, or NULL when it is usable
 * (approved and not quarantined):
 *   "model fraud:1.4.0 (ModelVersion fraud-1-4-0) is quarantined: incident review inc-1 confirmed by carol"
 *   "model fraud:1.4.0 is not approved: bias review missing (...)"  (mg_approval_message) */
char *mg_mv_state_refusal(const mg_mv_state *s, const json_t *mv);

#endif
