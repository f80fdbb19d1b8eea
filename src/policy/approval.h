/* policy/approval — THE approval function shared by the operator and the webhook.
 *
 * Owns: the rule that turns a ModelVersion's ModelReviews into an approval and a quarantine state.
 * It is pure (no I/O, no clock, no global state: thread-safe) so that the operator (which writes
 * the result to ModelVersion.status) and the webhook (which never waits for that write) always
 * agree.
 *
 * The rule, precisely:
 *  - Only reviews of the ModelVersion count (the caller selects them: spec.modelVersion == name).
 *    Reviews whose kind or verdict is unknown, or whose verdict does not fit the kind (approve/reject
 *    for security|performance|bias, confirm/release for incident), are ignored.
 *  - "Latest" of a kind is the review with the greatest (time_ms, rank, name): time is
 *    metadata.creationTimestamp (second precision, so ties happen); on a tie the stricter verdict
 *    wins (reject over approve, confirm over release); then the greater name. Every replica
 *    therefore picks the same review.
 *  - approved == the latest security, performance and bias reviews all exist and all say approve.
 *    (A reject that is superseded by a later approve of the same kind no longer counts: a reviewer
 *    may reconsider; an approve superseded by a reject does not count either.)
 *  - approved_at_ms == the greatest time among those three latest approvals (the review that
 *    completed the approval); 0 when not approved.
 *  - quarantine: from the latest incident review: confirm → MG_QUARANTINE_CONFIRMED, release →
 *    MG_QUARANTINE_RELEASED, none → MG_QUARANTINE_NONE. quarantine_time_ms is that review's time.
 *    mg_modelversion_quarantined() combines it with status.quarantined (set by monitoring).
 *
 * Memory: mg_review strings are borrowed (from the caller's structs or the json_t they came from)
 * and must outlive the mg_approval that points at them. Functions returning char * return a new
 * heap string the caller frees. */
#ifndef MG_POLICY_APPROVAL_H
#define MG_POLICY_APPROVAL_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef enum {
    MG_REVIEW_SECURITY = 0,
    MG_REVIEW_PERFORMANCE,
    MG_REVIEW_BIAS,
    MG_REVIEW_INCIDENT,
    MG_REVIEW_KIND_COUNT,
    MG_REVIEW_KIND_INVALID = -1,
} mg_review_kind;
#define MG_REVIEW_MANDATORY_COUNT 3 /* security, performance, bias */

typedef enum {
    MG_VERDICT_APPROVE = 0,
    MG_VERDICT_REJECT,
    MG_VERDICT_RELEASE,
    MG_VERDICT_CONFIRM,
    MG_VERDICT_INVALID = -1,
} mg_review_verdict;

typedef enum { MG_QUARANTINE_NONE = 0, MG_QUARANTINE_CONFIRMED, MG_QUARANTINE_RELEASED } mg_quarantine_state;

typedef struct mg_review {
    const char *name; /* metadata.name (tie-breaker; may be NULL = "") */
    mg_review_kind kind;
    mg_review_verdict verdict;
    const char *reviewer; /* spec.reviewer (may be NULL) */
    int64_t time_ms;      /* metadata.creationTimestamp in wall ms (0 when unknown: oldest) */
} mg_review;

typedef struct mg_approval {
    bool approved;
    int64_t approved_at_ms;
    /* Latest valid review of each kind, borrowed from the input array; NULL when none. */
    const mg_review *latest[MG_REVIEW_KIND_COUNT];
    mg_quarantine_state quarantine;
    int64_t quarantine_time_ms;
    size_t ignored; /* reviews skipped as invalid */
} mg_approval;

/* "security" → MG_REVIEW_SECURITY ...; MG_REVIEW_KIND_INVALID when unknown (NULL too). */
mg_review_kind mg_review_kind_parse(const char *s);
const char *mg_review_kind_name(mg_review_kind k); /* "security"...; "invalid" */
mg_review_verdict mg_review_verdict_parse(const char *s);
const char *mg_review_verdict_name(mg_review_verdict v);
/* True when the verdict is one the kind accepts. */
bool mg_review_verdict_fits(mg_review_kind k, mg_review_verdict v);

/* Computes the approval of n reviews (see the rule above). Never fails. */
void mg_approval_compute(const mg_review *reviews, size_t n, mg_approval *out);

/* Fills *out from a ModelReview object (borrowing its strings). Returns 0, or MG_EINVAL when
 * kind/verdict are missing or unknown (err says which). */
int mg_review_from_json(const json_t *mrev, mg_review *out, mg_error *err);

/* Computes the approval of a JSON array of ModelReview objects. *reviews_out receives a new
 * mg_review array (the caller frees it with free(); it borrows from the json, and out->latest points
 * into it); it may be NULL when reviews_out is NULL, in which case out->latest is cleared before
 * returning. Invalid reviews are counted in out->ignored. */
void mg_approval_compute_json(const json_t *reviews, mg_approval *out, mg_review **reviews_out);

/* The human summary, a new heap string. model/version are spec.model/spec.version, e.g.
 *   "model fraud-detector:1.4.0 is not approved: bias review missing (security approved by alice,
 *    performance approved by carol)"
 *   "model fraud-detector:1.4.0 is not approved: security rejected by dave, bias review missing
 *    (performance approved by carol)"
 *   "model fraud-detector:1.4.0 is approved (security approved by alice, performance approved by
 *    carol, bias approved by erin)"
 * Problems are listed in the order security, performance, bias. */
char *mg_approval_message(const mg_approval *a, const char *model, const char *version);

/* The ModelVersion.status.reviews summary: a new JSON array of {kind, verdict, reviewer, time,
 * name} for the latest review of each kind, in kind order (incident last, when present). */
json_t *mg_approval_summary_json(const mg_approval *a);

/* Whether a ModelVersion is quarantined, combining its status with the incident reviews:
 * quarantined when the latest incident review confirms; or when status.quarantined is true and no
 * release review is newer than the moment the quarantine was set (status condition type
 * "Quarantined" with status "True": its lastTransitionTime; when that time is unknown, the status
 * wins). When reason is not NULL it receives a borrowed pointer to a short reason text or NULL
 * (status.quarantineReason, or NULL for incident reviews). */
bool mg_modelversion_quarantined(const json_t *mv, const mg_approval *a, const char **reason);

#endif
