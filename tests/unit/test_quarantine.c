/* Unit tests for operator/quarantine: which ModelDeployment's breach quarantines a ModelVersion,
 * with which time, reason and evidence; and that policy/mvstate lets a newer release win over it
 * (the ModelVersion reconcile's combination, through approvals' status). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/json.h"
#include "core/mem.h"
#include "operator/approvals.h"
#include "operator/quarantine.h"

static json_t *md(const char *name, const char *serving, const char *level, const char *since) {
    json_t *o = json_pack("{s:{s:s, s:s}, s:{s:s, s:{s:f}}}", "metadata", "name", name, "namespace", "ns",
                          "status", "servingModelVersion", serving, "lastEvaluation", "maxPSI", 0.9);
    json_t *b = json_pack("[{s:s, s:s, s:s, s:f, s:f, s:s}]", "metric", "maxPSI", "level", level, "feature",
                          "age", "value", 0.9, "threshold", 0.25, "since", since);
    json_object_set_new(json_object_get(o, "status"), "breaches", b);
    return o;
}

static json_t *mv(void) {
    return json_pack("{s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s}}", "metadata", "name", "fraud-1", "namespace",
                     "ns", "uid", "u1", "spec", "model", "fraud", "version", "1", "digest", "sha256:aa");
}

static void test_earliest_serving_breach(void **state) {
    (void)state;
    json_t *m = mv();
    json_t *mds = json_pack("[o, o, o, o]", md("a", "fraud-1", "warn", "2026-12-01T10:00:00Z"),
                            md("b", "fraud-1", "quarantine", "2026-12-01T10:05:00Z"),
                            md("c", "other", "quarantine", "2026-12-01T09:00:00Z"),
                            md("d", "fraud-1", "quarantine", "2026-12-01T10:02:00Z"));
    json_t *q = mg_monitoring_quarantine(m, mds);
    assert_non_null(q);
    assert_string_equal(mg_json_str(q, "quarantinedAt", NULL), "2026-12-01T10:02:00Z");
    assert_string_equal(mg_json_str(q, "quarantineEvidence", "modelDeployment", NULL), "d");
    assert_non_null(
        strstr(mg_json_str(q, "quarantineReason", NULL), "maxPSI of age 0.9 breaches the quarantine"));
    json_t *applied = mg_monitoring_quarantine_apply(m, q);
    assert_true(mg_json_bool(applied, false, "status", "quarantined", NULL));
    assert_false(mg_json_bool(m, false, "status", "quarantined", NULL)); /* the input is not touched */
    json_decref(applied);
    json_decref(q);
    json_decref(mds);
    mds = json_pack("[o]", md("a", "fraud-1", "warn", "2026-12-01T10:00:00Z"));
    assert_null(mg_monitoring_quarantine(m, mds));
    json_decref(mds);
    json_decref(m);
}

/* The status the reconcile writes: quarantined at the breach, unless a release came later. */
static void test_release_wins_when_newer(void **state) {
    (void)state;
    json_t *m = mv();
    json_t *mds = json_pack("[o]", md("d", "fraud-1", "quarantine", "2026-12-01T10:02:00Z"));
    json_t *q = mg_monitoring_quarantine(m, mds);
    json_t *applied = mg_monitoring_quarantine_apply(m, q);
    const char *times[2] = {"2026-12-01T10:00:00Z", "2026-12-01T10:30:00Z"};
    for (int later = 0; later < 2; later++) {
        json_t *release = json_pack(
            "[{s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s, s:s, s:s, s:s}}]", "metadata", "name", "rel", "namespace",
            "ns", "creationTimestamp", times[later], "spec", "kind", "incident", "verdict", "release",
            "reviewer", "alice", "modelVersion", "fraud-1", "modelVersionUID", "u1", "digest", "sha256:aa");
        mg_mv_records rec = {.mv = applied, .reviews = release, .incidents = release};
        json_t *status = mg_mv_status(&rec, "2026-12-01T11:00:00Z");
        assert_int_equal(mg_json_bool(status, false, "quarantined", NULL), !later);
        if (!later) assert_non_null(mg_json_get(status, "quarantineEvidence", "evaluation", NULL));
        json_decref(status);
        json_decref(release);
    }
    json_decref(applied);
    json_decref(q);
    json_decref(mds);
    json_decref(m);
}

int main(void) {
    mg_mem_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_earliest_serving_breach),
        cmocka_unit_test(test_release_wins_when_newer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
