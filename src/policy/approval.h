/* policy/approval — THE approval rule shared by the operator and the webhook.
 *
 * Owns: the rule that turns a set of reviews into an approval and a quarantine state. It is pure
 * (no I/O, no clock, no global state: thread-safe) so that the operator (which writes the result
 * to ModelVersion.status) and the webhook (which never waits for that write) always agree.
 * Which reviews belong to which ModelVersion (uid and digest binding, the verdicts the operator
 * persisted, the digest's incidents) is policy/mvstate's job; this module only sees mg_reviews.
 *
 * The rule, precisely:
 *  - Reviews whose kind or verdict is unknown, or whose verdict does not fit the kind
 *    (approve/reject for security|performance|bias, confirm/release for incident), are ignored.
 *  - "Later" is the total order (time_ms, rank, name): time is metadata.creationTimestamp
 *    (second precision, so ties happen); on a tie the stricter verdict wins (reject over
 *    approve, confirm over release); then the greater name. Every replica picks the same review.
 *  - Each reviewer's latest verdict of a kind is what that reviewer says about it; earlier
 *    verdicts of the same reviewer no longer count (a reviewer lifts their own reject with a
 *    later approve, and withdraws an approve with a later reject).
 *  - A kind (security, performance, bias) is approved when at least one reviewer's latest verdict
 *    approves and no reviewer's latest verdict rejects: a rejection stands until the reviewer who
 *    made it reviews again. approved == all three kinds are approved.
 *  - approved_at_ms == the greatest time among the reviewers' latest verdicts of the three kinds
 *    (the review that completed the approval); 0 when not approved.
 *  - quarantine: the latest incident review decides (any reviewer: a release is the incident
 *    process's answer to a confirm): confirm → MG_QUARANTINE_CONFIRMED, release →
 *    MG_QUARANTINE_RELEASED, none → MG_QUARANTINE_NONE; quarantine_time_ms is its time.
 *
 * Memory: mg_review strings are borrowed (from the caller's structs or the json_t they came from)
 * and must outlive the mg_approval that points at them. Functions returning char * return a new
 * heap string the caller frees; json_t * results are new references. */
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
    MG_VERDICT_COUNT,
    MG_VERDICT_INVALID = -1,
} mg_review_verdict;

typedef enum { MG_QUARANTINE_NONE = 0, MG_QUARANTINE_CONFIRMED, MG_QUARANTINE_RELEASED } mg_quarantine_state;

typedef struct mg_review {
    const char *name; /* metadata.name (tie-breaker; may be NULL = "") */
    mg_review_kind kind;
    mg_review_verdict verdict;
    const char *reviewer; /* spec.reviewer (may be NULL: one anonymous reviewer) */
    int64_t time_ms;      /* metadata.creationTimestamp in wall ms (0 when unknown: oldest) */
} mg_review;

/* What the reviewers say about one mandatory kind. */
typedef struct mg_kind_verdict {
    /* The review that decides the kind: the latest standing reject when there is one, else the
     * latest approve; NULL when nobody reviewed it. Borrowed from the input array. */
    const mg_review *decisive;
    size_t approvals; /* reviewers whose latest verdict of this kind approves */
    size_t rejects;   /* reviewers whose latest verdict of this kind rejects */
    int64_t last_ms;  /* the greatest time among those latest verdicts */
} mg_kind_verdict;

typedef struct mg_approval {
    bool approved;
    int64_t approved_at_ms;
    mg_kind_verdict kinds[MG_REVIEW_MANDATORY_COUNT];
    /* The decisive review of each mandatory kind (= kinds[k].decisive) and the latest incident
     * review; NULL when none. Borrowed from the input array. */
    const mg_review *latest[MG_REVIEW_KIND_COUNT];
    mg_quarantine_state quarantine;
    int64_t quarantine_time_ms;
    size_t ignored; /* reviews skipped as invalid */
} mg_approval;

/* "security" → MG_REVIEW_SECURITY ...; MG_REVIEW_KIND_INVALID when unknown (NULL too). */
mg_review_kind mg_review_kind_parse(const char *s);
mg_review_verdict mg_review_verdict_parse(const char *s);
const char *mg_review_verdict_name(mg_review_verdict v);
/* True when the verdict is one the kind accepts. */
bool mg_review_verdict_fits(mg_review_kind k, mg_review_verdict v);
/* True when a is later than b in the order above. */
bool mg_review_later(const mg_review *a, const mg_review *b);

/* Computes the approval of n reviews (see the rule above). Never fails. */
void mg_approval_compute(const mg_review *reviews, size_t n, mg_approval *out);

/* Fills *out from a ModelReview object (borrowing its strings). Returns 0, or MG_EINVAL when
 * kind/verdict are missing or unknown (err says which). */
int mg_review_from_json(const json_t *mrev, mg_review *out, mg_error *err);

/* The human summary, a new heap string. model/version are spec.model/spec.version, e.g.
 *   "model fraud-detector:1.4.0 is not approved: bias review missing (security approved by alice,
 *    performance approved by carol)"
 *   "model fraud-detector:1.4.0 is not approved: security rejected by dave, bias review missing
 *    (performance approved by carol)"
 *   "model fraud-detector:1.4.0 is approved (security approved by alice, performance approved by
 *    carol, bias approved by erin)"
 * Problems are listed in the order security, performance, bias; a kind rejected by several
 * reviewers names the latest and counts the others ("rejected by dave and 1 other reviewer"). */
char *mg_approval_message(const mg_approval *a, const char *model, const char *version);

/* The ModelVersion.status.reviews summary: a new JSON array of {kind, verdict, reviewer, time,
 * name} for the decisive review of each kind, in kind order (incident last, when present). */
json_t *mg_approval_summary_json(const mg_approval *a);

/* Every reviewer's latest verdict of the three mandatory kinds among n reviews (invalid ones
 * skipped), as a new JSON array of {kind, verdict, reviewer, time, name} sorted by kind, then
 * reviewer: what the operator persists in ModelVersion.status.verdicts so that a review that
 * disappears later changes nothing. Equal inputs give equal arrays (idempotent writes). */
json_t *mg_approval_verdicts_json(const mg_review *reviews, size_t n);

/* Reads one entry of that array back (borrowing its strings). 0, or MG_EINVAL when it is not a
 * valid mandatory-kind verdict. */
int mg_review_from_verdict_json(const json_t *entry, mg_review *out);

#endif
