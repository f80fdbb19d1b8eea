/* Unit tests for policy/approval: table-driven cases of review sets → approval, approvedAt,
 * quarantine state and the human message; plus the JSON entry points. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/mem.h"
#include "policy/approval.h"

#define SEC MG_REVIEW_SECURITY
#define PERF MG_REVIEW_PERFORMANCE
#define BIAS MG_REVIEW_BIAS
#define INC MG_REVIEW_INCIDENT
#define OK MG_VERDICT_APPROVE
#define NO MG_VERDICT_REJECT
#define REL MG_VERDICT_RELEASE
#define CONF MG_VERDICT_CONFIRM

typedef struct {
    const char *what;
    mg_review reviews[8];
    size_t n;
    bool approved;
    int64_t approved_at;
    mg_quarantine_state q;
    const char *message; /* for model fraud-detector:1.4.0 */
} approval_case;

static const approval_case cases[] = {
    {"no reviews",
     {{0}},
     0,
     false,
     0,
     MG_QUARANTINE_NONE,
     "model fraud-detector:1.4.0 is not approved: security review missing, performance review missing, bias "
     "review missing"},
    {"bias missing",
     {{"r1", SEC, OK, "alice", 1000}, {"r2", PERF, OK, "carol", 2000}},
     2,
     false,
     0,
     MG_QUARANTINE_NONE,
     "model fraud-detector:1.4.0 is not approved: bias review missing (security approved by alice, "
     "performance approved by carol)"},
    {"all three approve",
     {{"r1", SEC, OK, "alice", 1000}, {"r2", PERF, OK, "carol", 3000}, {"r3", BIAS, OK, "alice", 2000}},
     3,
     true,
     3000,
     MG_QUARANTINE_NONE,
     "model fraud-detector:1.4.0 is approved (security approved by alice, performance approved by carol, "
     "bias approved by alice)"},
    {"a reject blocks",
     {{"r1", SEC, NO, "dave", 1000}, {"r2", PERF, OK, "carol", 3000}, {"r3", BIAS, OK, "alice", 2000}},
     3,
     false,
     0,
     MG_QUARANTINE_NONE,
     "model fraud-detector:1.4.0 is not approved: security rejected by dave (performance approved by carol, "
     "bias approved by alice)"},
    {"later approve supersedes reject",
     {{"r1", SEC, NO, "dave", 1000},
      {"r4", SEC, OK, "dave", 5000},
      {"r2", PERF, OK, "carol", 3000},
      {"r3", BIAS, OK, "alice", 2000}},
     4,
     true,
     5000,
     MG_QUARANTINE_NONE,
     NULL},
    {"later reject supersedes approve",
     {{"r1", SEC, OK, "alice", 1000},
      {"r4", SEC, NO, "dave", 5000},
      {"r2", PERF, OK, "carol", 3000},
      {"r3", BIAS, OK, "alice", 2000}},
     4,
     false,
     0,
     MG_QUARANTINE_NONE,
     NULL},
    {"same-second tie: reject wins",
     {{"zz", SEC, OK, "alice", 1000},
      {"aa", SEC, NO, "dave", 1000},
      {"r2", PERF, OK, "carol", 1000},
      {"r3", BIAS, OK, "erin", 1000}},
     4,
     false,
     0,
     MG_QUARANTINE_NONE,
     NULL},
    {"same-second same verdict: greater name wins, approval holds",
     {{"a", SEC, OK, "alice", 1000},
      {"b", SEC, OK, "bob", 1000},
      {"r2", PERF, OK, "carol", 1000},
      {"r3", BIAS, OK, "erin", 1000}},
     4,
     true,
     1000,
     MG_QUARANTINE_NONE,
     NULL},
    {"a rejection stands: another reviewer's later approve does not lift it",
     {{"r1", SEC, NO, "alice", 1000},
      {"r5", SEC, OK, "bob", 5000},
      {"r2", PERF, OK, "carol", 3000},
      {"r3", BIAS, OK, "erin", 2000}},
     4,
     false,
     0,
     MG_QUARANTINE_NONE,
     "model fraud-detector:1.4.0 is not approved: security rejected by alice (performance approved by carol, "
     "bias approved by erin)"},
    {"the rejecter lifts their own reject, the other approval holds",
     {{"r1", SEC, NO, "alice", 1000},
      {"r5", SEC, OK, "bob", 5000},
      {"r6", SEC, OK, "alice", 6000},
      {"r2", PERF, OK, "carol", 3000},
      {"r3", BIAS, OK, "erin", 2000}},
     5,
     true,
     6000,
     MG_QUARANTINE_NONE,
     "model fraud-detector:1.4.0 is approved (security approved by alice, performance approved by carol, "
     "bias approved by erin)"},
    {"two rejecters: one lifting leaves the other standing",
     {{"r1", SEC, NO, "alice", 1000},
      {"r7", SEC, NO, "dave", 2000},
      {"r6", SEC, OK, "alice", 6000},
      {"r2", PERF, OK, "carol", 3000},
      {"r3", BIAS, OK, "erin", 2000}},
     5,
     false,
     0,
     MG_QUARANTINE_NONE,
     "model fraud-detector:1.4.0 is not approved: security rejected by dave (performance approved by carol, "
     "bias approved by erin)"},
    {"several standing rejects are counted",
     {{"r1", SEC, NO, "alice", 1000}, {"r7", SEC, NO, "dave", 2000}, {"r8", SEC, NO, "erin", 500}},
     3,
     false,
     0,
     MG_QUARANTINE_NONE,
     "model fraud-detector:1.4.0 is not approved: security rejected by dave and 2 other reviewers, "
     "performance "
     "review missing, bias review missing"},
    {"an approver withdrawing leaves no approval",
     {{"r1", BIAS, OK, "alice", 1000}, {"r2", BIAS, NO, "alice", 2000}, {"r3", BIAS, OK, "alice", 1500}},
     3,
     false,
     0,
     MG_QUARANTINE_NONE,
     "model fraud-detector:1.4.0 is not approved: security review missing, performance review missing, bias "
     "rejected by alice"},
    {"reviews of other reviewers do not supersede each other",
     {{"r1", PERF, OK, "carol", 9000},
      {"r2", PERF, NO, "dave", 1000},
      {"r4", SEC, OK, "alice", 1000},
      {"r3", BIAS, OK, "erin", 2000}},
     4,
     false,
     0,
     MG_QUARANTINE_NONE,
     "model fraud-detector:1.4.0 is not approved: performance rejected by dave (security approved by alice, "
     "bias "
     "approved by erin)"},
    {"mismatched verdicts ignored",
     {{"r1", SEC, CONF, "alice", 1000},
      {"r2", PERF, OK, "carol", 3000},
      {"r3", BIAS, OK, "alice", 2000},
      {"r4", INC, OK, "x", 9000}},
     4,
     false,
     0,
     MG_QUARANTINE_NONE,
     "model fraud-detector:1.4.0 is not approved: security review missing (performance approved by carol, "
     "bias approved by alice)"},
    {"invalid kind ignored",
     {{"r1", MG_REVIEW_KIND_INVALID, OK, "alice", 1000}, {"r2", PERF, NO, "carol", 3000}},
     2,
     false,
     0,
     MG_QUARANTINE_NONE,
     "model fraud-detector:1.4.0 is not approved: security review missing, performance rejected by carol, "
     "bias review missing"},
    {"incident confirm quarantines an approved model",
     {{"r1", SEC, OK, "alice", 1000},
      {"r2", PERF, OK, "carol", 3000},
      {"r3", BIAS, OK, "alice", 2000},
      {"i1", INC, CONF, "ops", 7000}},
     4,
     true,
     3000,
     MG_QUARANTINE_CONFIRMED,
     NULL},
    {"incident release after confirm",
     {{"i2", INC, REL, "ops", 8000}, {"i1", INC, CONF, "ops", 7000}},
     2,
     false,
     0,
     MG_QUARANTINE_RELEASED,
     NULL},
    {"confirm after release",
     {{"i2", INC, REL, "ops", 8000}, {"i1", INC, CONF, "ops", 9000}},
     2,
     false,
     0,
     MG_QUARANTINE_CONFIRMED,
     NULL},
    {"same-second incident tie: confirm wins",
     {{"i2", INC, REL, "ops", 8000}, {"i1", INC, CONF, "ops", 8000}},
     2,
     false,
     0,
     MG_QUARANTINE_CONFIRMED,
     NULL},
    {"unknown reviewer and time",
     {{NULL, SEC, NO, NULL, 0}},
     1,
     false,
     0,
     MG_QUARANTINE_NONE,
     "model fraud-detector:1.4.0 is not approved: security rejected by (unknown reviewer), performance "
     "review missing, bias review missing"},
};

static void test_table(void **state) {
    (void)state;
    int failures = 0;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const approval_case *c = &cases[i];
        mg_approval a;
        mg_approval_compute(c->reviews, c->n, &a);
        char *msg = mg_approval_message(&a, "fraud-detector", "1.4.0");
        if (a.approved != c->approved || a.approved_at_ms != c->approved_at || a.quarantine != c->q ||
            (c->message && strcmp(msg, c->message) != 0)) {
            printf("case '%s': approved=%d at=%lld q=%d msg=%s\n", c->what, a.approved,
                   (long long)a.approved_at_ms, (int)a.quarantine, msg);
            failures++;
        }
        free(msg);
    }
    assert_int_equal(failures, 0);
}

static void test_order_independent(void **state) {
    (void)state;
    /* every rotation of the same reviews gives the same answer */
    const approval_case *c = &cases[6]; /* same-second tie: reject wins */
    mg_review r[8];
    for (size_t rot = 0; rot < c->n; rot++) {
        for (size_t i = 0; i < c->n; i++)
            r[i] = c->reviews[(i + rot) % c->n];
        mg_approval a;
        mg_approval_compute(r, c->n, &a);
        assert_false(a.approved);
        assert_string_equal(a.latest[SEC]->name, "aa");
    }
}

static json_t *review(const char *name, const char *ts, const char *kind, const char *verdict,
                      const char *reviewer) {
    return json_pack("{s:s, s:{s:s, s:s}, s:{s:s, s:s, s:s, s:s}}", "kind", "ModelReview", "metadata", "name",
                     name, "creationTimestamp", ts, "spec", "modelVersion", "fraud-detector-1-4-0", "kind",
                     kind, "verdict", verdict, "reviewer", reviewer);
}

/* The approval of a JSON array of ModelReview objects, as policy/mvstate computes it from records;
 * returns the parsed reviews (a.latest points into them; free() them after). */
static mg_review *compute_json(const json_t *reviews, mg_approval *a) {
    size_t n = json_array_size(reviews);
    mg_review *arr = calloc(n ? n : 1, sizeof(*arr));
    for (size_t i = 0; i < n; i++)
        mg_review_from_json(json_array_get(reviews, i), &arr[i], NULL);
    mg_approval_compute(arr, n, a);
    return arr;
}

static void test_json(void **state) {
    (void)state;
    json_t *arr = json_array();
    json_array_append_new(arr, review("sec", "2026-11-26T10:00:00Z", "security", "approve", "alice"));
    json_array_append_new(arr, review("perf", "2026-11-26T10:05:00Z", "performance", "approve", "carol"));
    mg_approval a;
    mg_review *rs = compute_json(arr, &a);
    assert_false(a.approved);
    char *msg = mg_approval_message(&a, "fraud-detector", "1.4.0");
    assert_string_equal(
        msg, "model fraud-detector:1.4.0 is not approved: bias review missing (security approved by "
             "alice, performance approved by carol)");
    free(msg);
    free(rs);
    json_array_append_new(arr, review("bias", "2026-11-26T10:07:30Z", "bias", "approve", "erin"));
    json_array_append_new(arr, review("junk", "2026-11-26T10:08:00Z", "bias", "confirm", "erin"));
    json_array_append_new(arr, json_string("not an object"));
    rs = compute_json(arr, &a);
    assert_true(a.approved);
    assert_int_equal(a.ignored, 2);
    json_t *sum = mg_approval_summary_json(&a);
    assert_int_equal(json_array_size(sum), 3);
    json_t *last = json_array_get(sum, 2);
    assert_string_equal(json_string_value(json_object_get(last, "kind")), "bias");
    assert_string_equal(json_string_value(json_object_get(last, "time")), "2026-11-26T10:07:30Z");
    assert_string_equal(json_string_value(json_object_get(last, "reviewer")), "erin");
    json_decref(sum);
    char ts[40];
    mg_clock_rfc3339(a.approved_at_ms, ts, sizeof(ts));
    free(rs);
    json_decref(arr);

    mg_review r;
    mg_error e;
    json_t *bad = review("x", "2026-11-26T10:00:00Z", "style", "approve", "a");
    assert_int_equal(mg_review_from_json(bad, &r, &e), MG_EINVAL);
    assert_non_null(strstr(e.message, "spec.kind"));
    json_decref(bad);
    bad = review("x", "2026-11-26T10:00:00Z", "incident", "approve", "a");
    assert_int_equal(mg_review_from_json(bad, &r, &e), MG_EINVAL);
    assert_non_null(strstr(e.message, "does not fit"));
    json_decref(bad);
}

/* status.verdicts round-trips: what the operator persists reads back as the same verdicts. */
static void test_verdicts_json(void **state) {
    (void)state;
    const mg_review rs[] = {{"r1", SEC, NO, "alice", 1000000}, {"r5", SEC, OK, "bob", 5000000},
                            {"r6", SEC, OK, "alice", 6000000}, {"r2", PERF, OK, "carol", 3000000},
                            {"i1", INC, CONF, "ops", 7000000}, {"x", SEC, CONF, "junk", 1}};
    json_t *v = mg_approval_verdicts_json(rs, 6);
    assert_int_equal(json_array_size(v), 3); /* alice's latest and bob's security, carol's performance */
    json_t *e = json_array_get(v, 0);
    assert_string_equal(json_string_value(json_object_get(e, "reviewer")), "alice");
    assert_string_equal(json_string_value(json_object_get(e, "name")), "r6");
    assert_string_equal(json_string_value(json_object_get(e, "time")), "1970-01-01T01:40:00Z");
    mg_review back[3];
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(mg_review_from_verdict_json(json_array_get(v, i), &back[i]), 0);
    mg_approval a, b;
    mg_approval_compute(rs, 6, &a);
    mg_approval_compute(back, 3, &b);
    assert_int_equal(a.kinds[SEC].approvals, b.kinds[SEC].approvals);
    assert_int_equal(a.kinds[SEC].rejects, b.kinds[SEC].rejects);
    assert_int_equal(b.kinds[SEC].approvals, 2);
    json_t *again = mg_approval_verdicts_json(back, 3);
    assert_true(json_equal(v, again));
    json_decref(again);
    json_t *bad = json_pack("{s:s, s:s}", "kind", "incident", "verdict", "confirm");
    mg_review r;
    assert_int_equal(mg_review_from_verdict_json(bad, &r), MG_EINVAL);
    json_decref(bad);
    json_decref(v);
}

static void test_names(void **state) {
    (void)state;
    assert_int_equal(mg_review_kind_parse("bias"), MG_REVIEW_BIAS);
    assert_int_equal(mg_review_kind_parse("Bias"), MG_REVIEW_KIND_INVALID);
    assert_int_equal(mg_review_kind_parse(NULL), MG_REVIEW_KIND_INVALID);
    assert_int_equal(mg_review_verdict_parse("confirm"), MG_VERDICT_CONFIRM);
    assert_string_equal(mg_review_verdict_name(MG_VERDICT_REJECT), "reject");
    assert_true(mg_review_verdict_fits(MG_REVIEW_INCIDENT, MG_VERDICT_RELEASE));
    assert_false(mg_review_verdict_fits(MG_REVIEW_BIAS, MG_VERDICT_RELEASE));
}

int main(void) {
    mg_mem_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table), cmocka_unit_test(test_order_independent),
        cmocka_unit_test(test_json),  cmocka_unit_test(test_verdicts_json),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
