/* Unit tests for policy/mvstate: a table of record sets (ModelVersion, reviews, digest
 * incidents, peers of the same digest) → approved, quarantined and the reason. Each case names
 * the attack or the flow it pins down: reviews of a deleted-and-recreated ModelVersion, reviews
 * with the wrong digest, deleted rejects and confirms, a digest registered again under another
 * ModelVersion, releases naming only a ModelDeployment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/mem.h"
#include "core/yaml.h"
#include "policy/mvstate.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"

/* The ModelVersion under test: uid u-1, digest D1, plus STATUS (YAML flow members or ""). */
#define MV1(status)                                                                                          \
    "{metadata: {name: m1, uid: u-1}, spec: {model: fraud, version: '1.0', digest: '" D1 "'}" status "}"
/* A review: NAME KIND VERDICT REVIEWER TIME UID DIGEST (uid/digest "" = absent). */
#define R(name, kind, verdict, who, t, uid, dg)                                                              \
    "{metadata: {name: " name ", creationTimestamp: '2026-11-26T10:" t ":00Z'}, spec: {kind: " kind          \
    ", verdict: " verdict ", reviewer: " who uid dg "}}"
#define U1 ", modelVersionUID: u-1"
#define U0 ", modelVersionUID: u-0" /* the deleted ModelVersion of the same name */
#define G1 ", digest: '" D1 "'"
#define G2 ", digest: '" D2 "'"
#define OKS(t) R("s", "security", "approve", "alice", t, U1, G1)
#define OKP(t) R("p", "performance", "approve", "carol", t, U1, G1)
#define OKB(t) R("b", "bias", "approve", "erin", t, U1, G1)

typedef struct mcase {
    const char *what;
    const char *mv;
    const char *reviews;   /* YAML flow array: reviews bound to uid u-1 by the index */
    const char *incidents; /* YAML flow array: reviews with digest D1 */
    const char *peers;     /* YAML flow array: ModelVersions with digest D1 */
    bool approved, quarantined;
    const char *reason; /* substring of the quarantine reason or the approval message; NULL: none */
} mcase;

static const mcase mcases[] = {
    {"three bound approvals", MV1(""), "[" OKS("01") "," OKP("02") "," OKB("03") "]", "[]", "[]", true, false,
     NULL},
    {"reviews without the binding count for nothing", MV1(""),
     "[" R("s", "security", "approve", "alice", "01", "", "") "," OKP("02") "," OKB("03") "]", "[]", "[]",
     false, false, "security review missing"},
    {"reviews of a deleted ModelVersion of the same name count for nothing", MV1(""),
     "[" R("s", "security", "approve", "alice", "01", U0, G1) "," OKP("02") "," OKB("03") "]", "[]", "[]",
     false, false, "security review missing"},
    {"a review of another digest counts for nothing", MV1(""),
     "[" R("s", "security", "approve", "alice", "01", U1, G2) "," OKP("02") "," OKB("03") "]", "[]", "[]",
     false, false, "security review missing"},
    {"a deleted reject still stands (persisted in status.verdicts)",
     MV1(", status: {verdicts: [{kind: security, verdict: reject, reviewer: dave, time: "
         "'2026-11-26T10:00:00Z', "
         "name: gone}]}"),
     "[" OKS("01") "," OKP("02") "," OKB("03") "]", "[]", "[]", false, false, "security rejected by dave"},
    {"deleted approvals still count (persisted)",
     MV1(", status: {verdicts: [{kind: security, verdict: approve, reviewer: alice, time: "
         "'2026-11-26T10:01:00Z', "
         "name: s}, {kind: performance, verdict: approve, reviewer: carol, time: '2026-11-26T10:02:00Z', "
         "name: p}, "
         "{kind: bias, verdict: approve, reviewer: erin, time: '2026-11-26T10:03:00Z', name: b}]}"),
     "[]", "[]", "[]", true, false, NULL},
    {"the rejecter's later review lifts the persisted reject",
     MV1(", status: {verdicts: [{kind: security, verdict: reject, reviewer: dave, time: "
         "'2026-11-26T10:00:00Z', "
         "name: gone}]}"),
     "[" R("s2", "security", "approve", "dave", "05", U1, G1) "," OKP("02") "," OKB("03") "]", "[]", "[]",
     true, false, NULL},
    /* a rejection follows the artifact: the digest's reviews under any uid */
    {"a reject of the same digest under another ModelVersion stands (re-registered under a new name)",
     MV1(""), "[" OKS("01") "," OKP("02") "," OKB("03") "]",
     "[" OKS("01") "," OKP("02") "," OKB("03") "," R("x", "security", "reject", "dave", "00", U0, G1) "]",
     "[]", false, false, "security rejected by dave"},
    {"a reject of the deleted ModelVersion of the same name stands", MV1(""),
     "[" OKS("01") "," OKP("02") "," OKB("03") "]", "[" R("x", "bias", "reject", "dave", "04", U0, G1) "]",
     "[]", false, false, "bias rejected by dave"},
    {"the rejecter's later approve under any ModelVersion of the digest lifts it", MV1(""),
     "[" OKS("01") "," OKP("02") "," OKB("03") "]",
     "[" R("x", "security", "reject", "dave", "00", U0, G1) "," R("y", "security", "approve", "dave", "05",
                                                                  U0, G1) "]",
     "[]", true, false, NULL},
    {"an approve under another ModelVersion does not count for this one", MV1(""),
     "[" OKP("02") "," OKB("03") "]", "[" R("y", "security", "approve", "dave", "05", U0, G1) "]", "[]",
     false, false, "security review missing"},
    {"a reject of another digest does not count", MV1(""), "[" OKS("01") "," OKP("02") "," OKB("03") "]",
     "[" R("x", "security", "reject", "dave", "04", U0, G2) "]", "[]", true, false, NULL},
    {"a bound confirm quarantines", MV1(""), "[" OKS("01") "," OKP("02") "," OKB("03") "]",
     "[" R("i", "incident", "confirm", "carol", "04", U1, G1) "]", "[]", true, true,
     "incident review i confirmed by carol"},
    {"a confirm of another ModelVersion with the same digest quarantines", MV1(""),
     "[" OKS("01") "," OKP("02") "," OKB("03") "]",
     "[" R("i", "incident", "confirm", "carol", "04", U0, G1) "]", "[]", true, true,
     "for another ModelVersion of the same digest"},
    {"a release newer than the confirm lifts it, whichever ModelVersion it names", MV1(""), "[]",
     "[" R("i", "incident", "confirm", "carol", "04", U0, G1) "," R("rel", "incident", "release", "alice",
                                                                    "05", U1, G1) "]",
     "[]", false, false, NULL},
    {"a same-second confirm beats a release", MV1(""), "[]",
     "[" R("i", "incident", "confirm", "carol", "05", U0, G1) "," R("rel", "incident", "release", "alice",
                                                                    "05", U1, G1) "]",
     "[]", false, true, "incident review i"},
    {"incidents of another digest are ignored", MV1(""), "[]",
     "[" R("i", "incident", "confirm", "carol", "04", U1, G2) "]", "[]", false, false, NULL},
    {"a peer quarantined by monitoring quarantines the digest", MV1(""), "[]", "[]",
     "[{metadata: {name: m0, uid: u-0}, spec: {digest: '" D1 "'}, status: {quarantined: true, quarantinedAt: "
     "'2026-11-26T10:04:00Z', quarantineReason: 'PSI 0.4'}}]",
     false, true, "its digest is quarantined under ModelVersion m0: PSI 0.4"},
    {"the confirm review is named, not a peer's status written after it", MV1(""), "[]",
     "[" R("inc", "incident", "confirm", "carol", "04", U1, G1) "]",
     "[{metadata: {name: m0, uid: u-0}, spec: {digest: '" D1 "'}, status: {quarantined: true, quarantinedAt: "
     "'2026-11-26T10:06:00Z', quarantineReason: 'its digest is quarantined under ModelVersion m1'}}]",
     false, true, "incident review inc confirmed by carol"},
    {"a peer's quarantine older than a release does not count", MV1(""), "[]",
     "[" R("rel", "incident", "release", "alice", "05", U1, G1) "]",
     "[{metadata: {name: m0, uid: u-0}, spec: {digest: '" D1 "'}, status: {quarantined: true, quarantinedAt: "
     "'2026-11-26T10:04:00Z'}}]",
     false, false, NULL},
    {"a peer of another digest does not count", MV1(""), "[]", "[]",
     "[{metadata: {name: m0, uid: u-0}, spec: {digest: '" D2 "'}, status: {quarantined: true}}]", false,
     false, NULL},
    {"own quarantine sticks when its confirm review was deleted",
     MV1(", status: {quarantined: true, quarantinedAt: '2026-11-26T10:04:00Z', quarantineReason: 'incident "
         "review i "
         "confirmed by carol'}"),
     "[]", "[]", "[]", false, true, "incident review i confirmed by carol"},
    {"own quarantine time from the condition; a newer release lifts it",
     MV1(", status: {quarantined: true, conditions: [{type: Quarantined, status: 'True', lastTransitionTime: "
         "'2026-11-26T10:04:00Z'}]}"),
     "[]", "[" R("rel", "incident", "release", "alice", "05", U1, G1) "]", "[]", false, false, NULL},
    {"own quarantine without a time wins over any release",
     MV1(", status: {quarantined: true, quarantineReason: 'PSI 0.4'}"), "[]",
     "[" R("rel", "incident", "release", "alice", "59", U1, G1) "]", "[]", false, true, "PSI 0.4"},
    {"the ModelVersion itself among its peers counts once",
     MV1(", status: {quarantined: true, quarantinedAt: '2026-11-26T10:04:00Z', quarantineReason: 'x'}"), "[]",
     "[]",
     "[" MV1(
         ", status: {quarantined: true, quarantinedAt: '2026-11-26T10:04:00Z', quarantineReason: 'x'}") "]",
     false, true, "x"},
    {"a release naming only a ModelDeployment is bound like any review", MV1(""),
     "[{metadata: {name: rel, creationTimestamp: '2026-11-26T10:05:00Z'}, spec: {modelDeployment: fraud, "
     "kind: "
     "incident, verdict: release, reviewer: alice" U1 G1 "}}]",
     "[" R("i", "incident", "confirm", "carol", "04", U1,
           G1) ","
               "{metadata: {name: rel, creationTimestamp: '2026-11-26T10:05:00Z'}, spec: {modelDeployment: "
               "fraud, kind: "
               "incident, verdict: release, reviewer: alice" U1 G1 "}}]",
     "[]", false, false, NULL},
};

static json_t *y(const char *text) {
    json_t *v = NULL;
    mg_error e;
    if (mg_yaml_load(text, strlen(text), "case", &v, &e) != 0) {
        printf("bad YAML in test: %s\n%s\n", e.message, text);
        abort();
    }
    return v;
}

static void test_table(void **state) {
    (void)state;
    int failures = 0;
    for (size_t i = 0; i < sizeof(mcases) / sizeof(*mcases); i++) {
        const mcase *c = &mcases[i];
        json_t *mv = y(c->mv), *reviews = y(c->reviews), *incidents = y(c->incidents), *peers = y(c->peers);
        mg_mv_records rec = {mv, reviews, incidents, peers};
        mg_mv_state s;
        mg_mv_state_compute(&rec, &s);
        char *msg = mg_approval_message(&s.approval, "fraud", "1.0");
        const char *text = s.quarantined ? s.quarantine_reason : msg;
        bool ok = s.approval.approved == c->approved && s.quarantined == c->quarantined &&
                  (!c->reason || (text && strstr(text, c->reason)));
        char *refusal = mg_mv_state_refusal(&s, mv);
        if ((refusal == NULL) != (c->approved && !c->quarantined)) ok = false;
        if (!ok) {
            printf("case %zu '%s': approved=%d quarantined=%d text=%s\n", i, c->what, s.approval.approved,
                   s.quarantined, text ? text : "(none)");
            failures++;
        }
        free(refusal);
        free(msg);
        mg_mv_state_free(&s);
        json_decref(mv);
        json_decref(reviews);
        json_decref(incidents);
        json_decref(peers);
    }
    assert_int_equal(failures, 0);
}

/* The operator's own quarantine status, written after the confirm, does not replace the
 * confirm in the incident entry of status.reviews: it keeps the review's name and reviewer. */
static void test_incident_entry_keeps_the_review(void **state) {
    (void)state;
    json_t *mv =
        y(MV1(", status: {quarantined: true, quarantinedAt: '2026-11-26T10:05:00Z', quarantineReason: "
              "'incident review inc confirmed by carol'}"));
    json_t *incidents = y("[" R("inc", "incident", "confirm", "carol", "04", U1, G1) "]");
    mg_mv_records rec = {mv, NULL, incidents, NULL};
    mg_mv_state s;
    mg_mv_state_compute(&rec, &s);
    assert_true(s.quarantined);
    const mg_review *shown = s.approval.latest[MG_REVIEW_INCIDENT];
    assert_non_null(shown);
    assert_string_equal(shown->name, "inc");
    assert_string_equal(shown->reviewer, "carol");
    mg_mv_state_free(&s);
    json_decref(mv);
    json_decref(incidents);
}

/* What the operator persists and reads back gives the same approval (idempotent status). */
static void test_persisted_round_trip(void **state) {
    (void)state;
    json_t *mv = y(MV1(""));
    json_t *reviews =
        y("[" OKS("01") "," R("x", "security", "reject", "dave", "02", U1, G1) "," OKP("02") "]");
    mg_mv_records rec = {mv, reviews, NULL, NULL};
    mg_mv_state s;
    mg_mv_state_compute(&rec, &s);
    json_t *verdicts = mg_mv_state_verdicts_json(&s);
    assert_int_equal(json_array_size(verdicts), 3);
    mg_mv_state_free(&s);
    /* the reviews vanish; the verdicts stay in status */
    json_object_set_new(mv, "status", json_pack("{s:O}", "verdicts", verdicts));
    mg_mv_records gone = {mv, NULL, NULL, NULL};
    mg_mv_state_compute(&gone, &s);
    assert_false(s.approval.approved);
    assert_int_equal(s.approval.kinds[MG_REVIEW_SECURITY].rejects, 1);
    json_t *again = mg_mv_state_verdicts_json(&s);
    assert_true(json_equal(again, verdicts));
    json_decref(again);
    mg_mv_state_free(&s);
    json_decref(verdicts);
    json_decref(reviews);
    json_decref(mv);
}

static void test_binding(void **state) {
    (void)state;
    json_t *mv = y(MV1(""));
    json_t *ok = y(OKS("01")), *other = y(R("s", "security", "approve", "alice", "01", U0, G1)),
           *none = y(R("s", "security", "approve", "alice", "01", "", ""));
    assert_true(mg_review_bound_to(ok, mv));
    assert_false(mg_review_bound_to(other, mv));
    assert_false(mg_review_bound_to(none, mv));
    assert_false(mg_review_bound_to(ok, NULL));
    json_decref(ok);
    json_decref(other);
    json_decref(none);
    json_decref(mv);
}

int main(void) {
    mg_mem_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_incident_entry_keeps_the_review),
        cmocka_unit_test(test_persisted_round_trip),
        cmocka_unit_test(test_binding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
