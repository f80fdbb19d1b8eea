/* Unit tests for operator/plan (desired objects) and operator/mdstate (phase, conditions,
 * history, events). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/json.h"
#include "k8s/conditions.h"
#include "operator/inflight.h"
#include "operator/lookups.h"
#include "operator/mdstate.h"
#include "operator/plan.h"
#include "operator/settle.h"

static const char *MD =
    "{\"metadata\":{\"name\":\"fraud\",\"namespace\":\"ml\",\"uid\":\"u-1\",\"generation\":2},"
    "\"spec\":{\"modelVersion\":\"fraud-1-4-0\",\"replicas\":3,\"port\":9000,"
    "\"env\":[{\"name\":\"A\",\"value\":\"1\"}]}}";
static const char *MV =
    "{\"metadata\":{\"name\":\"fraud-1-4-0\",\"namespace\":\"ml\"},\"spec\":{\"model\":\"fraud-detector\","
    "\"version\":\"1.4.0\",\"image\":\"registry.example.com/models/fraud\","
    "\"digest\":\"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}}";
static const char *FB =
    "{\"metadata\":{\"name\":\"fraud-1-3-0\",\"namespace\":\"ml\"},\"spec\":{\"model\":\"fraud-detector\","
    "\"version\":\"1.3.0\",\"image\":\"registry.example.com/models/fraud\","
    "\"digest\":\"sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"}}";

static void test_deployment_shape(void **state) {
    (void)state;
    json_t *md = json_loads(MD, 0, NULL), *mv = json_loads(MV, 0, NULL);
    json_t *d = mg_plan_deployment(md, mv, 3);
    json_t *c = json_array_get(mg_json_get(d, "spec", "template", "spec", "containers", NULL), 0);
    assert_string_equal(mg_json_str(c, "image", NULL),
                        "registry.example.com/models/"
                        "fraud@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    assert_int_equal(mg_json_int(d, 0, "spec", "replicas", NULL), 3);
    assert_int_equal(mg_json_int(json_array_get(json_object_get(c, "ports"), 0), 0, "containerPort", NULL),
                     9000);
    assert_string_equal(mg_json_str(json_array_get(json_object_get(c, "env"), 0), "name", NULL), "A");
    json_t *owner = json_array_get(mg_json_get(d, "metadata", "ownerReferences", NULL), 0);
    assert_string_equal(mg_json_str(owner, "uid", NULL), "u-1");
    assert_true(mg_json_bool(owner, false, "controller", NULL));
    assert_string_equal(mg_json_str(d, "spec", "template", "metadata", "labels", MG_LABEL_MODEL, NULL),
                        "fraud-detector");
    assert_string_equal(mg_json_str(d, "spec", "selector", "matchLabels", MG_LABEL_MODELDEPLOYMENT, NULL),
                        "fraud");
    assert_string_equal(mg_json_str(c, "readinessProbe", "httpGet", "path", NULL), "/healthz");
    json_t *svc = mg_plan_service(md);
    assert_int_equal(mg_json_int(json_array_get(mg_json_get(svc, "spec", "ports", NULL), 0), 0, "port", NULL),
                     9000);
    /* a desired object is a subset of itself as the server returns it with defaults */
    json_t *server = json_deep_copy(d);
    json_object_set_new(mg_json_get(server, "spec", NULL), "revisionHistoryLimit", json_integer(10));
    assert_true(mg_json_subset(d, server));
    json_decref(server), json_decref(svc), json_decref(d), json_decref(md), json_decref(mv);
}

static void test_pinned_image_strips_tag(void **state) {
    (void)state;
    json_t *mv =
        json_loads("{\"spec\":{\"image\":\"localhost:5000/m/x:1.0\",\"digest\":\"sha256:ab\"}}", 0, NULL);
    char *img = mg_plan_pinned_image(mv);
    assert_string_equal(img, "localhost:5000/m/x@sha256:ab");
    free(img);
    json_decref(mv);
    json_t *mv2 = json_loads("{\"spec\":{\"image\":\"localhost:5000/m/x\"}}", 0, NULL);
    assert_null(mg_plan_pinned_image(mv2));
    json_decref(mv2);
}

static json_t *deployment_with(long long spec_replicas, long long ready, const char *image) {
    return json_pack("{s:{s:i}, s:{s:I, s:{s:{s:[{s:s}]}}}, s:{s:i, s:I, s:I, s:I}}", "metadata",
                     "generation", 1, "spec", "replicas", (json_int_t)spec_replicas, "template", "spec",
                     "containers", "image", image, "status", "observedGeneration", 1, "replicas",
                     (json_int_t)ready, "updatedReplicas", (json_int_t)ready, "readyReplicas",
                     (json_int_t)ready);
}

static void test_phases(void **state) {
    (void)state;
    json_t *md = json_loads(MD, 0, NULL), *mv = json_loads(MV, 0, NULL), *fb = json_loads(FB, 0, NULL);
    mg_md_decision d;

    /* not approved: nothing runs, Approved=False with the reason, event says why */
    mg_md_inputs in = {
        .md = md, .mv = mv, .mv_approved = false, .approval_message = "bias review missing", .now = "T1"};
    mg_md_decide(&in, &d);
    assert_int_equal(d.replicas, 0);
    assert_false(d.create_deployment);
    assert_true(d.stop_in_place);
    assert_string_equal(mg_json_str(d.status, "phase", NULL), "Pending");
    json_t *ap = mg_condition_find(json_object_get(d.status, "conditions"), "Approved");
    assert_string_equal(mg_json_str(ap, "message", NULL), "bias review missing");
    assert_int_equal(d.n_events, 1);
    assert_string_equal(d.events[0].message, "bias review missing");
    mg_md_decision_free(&d);

    /* missing MV */
    in.mv = NULL;
    mg_md_decide(&in, &d);
    assert_string_equal(
        mg_json_str(mg_condition_find(json_object_get(d.status, "conditions"), "Approved"), "reason", NULL),
        "ModelVersionNotFound");
    assert_true(d.stop_in_place); /* a Deployment that runs something else is scaled to zero as it is */
    assert_false(d.create_deployment);
    assert_string_equal(d.events[0].type, "Warning");
    mg_md_decision_free(&d);

    /* approved, no deployment yet → create, Progressing */
    in.mv = mv;
    in.mv_approved = true;
    mg_md_decide(&in, &d);
    assert_true(d.create_deployment);
    assert_false(d.stop_in_place);
    assert_int_equal(d.replicas, 3);
    assert_string_equal(mg_json_str(d.status, "phase", NULL), "Progressing");
    assert_int_equal(json_array_size(mg_json_get(d.status, "history", NULL)), 1);
    /* feed the status back: same inputs → same status (idempotent, no event) */
    json_object_set(md, "status", d.status);
    mg_md_decision_free(&d);
    mg_md_decide(&in, &d);
    assert_true(json_equal(d.status, json_object_get(md, "status")));
    assert_int_equal(d.n_events, 0);
    mg_md_decision_free(&d);

    /* ready → Serving */
    json_t *dep =
        deployment_with(3, 3,
                        "registry.example.com/models/"
                        "fraud@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    in.deployment = dep;
    in.now = "T2";
    mg_md_decide(&in, &d);
    assert_string_equal(mg_json_str(d.status, "phase", NULL), "Serving");
    assert_true(mg_condition_is_true(json_object_get(d.status, "conditions"), "Ready"));
    json_object_set(md, "status", d.status);
    mg_md_decision_free(&d);
    /* not rolled out while paused, or while pods of an older template remain (ready counts
     * them too) */
    json_t *paused = json_deep_copy(dep);
    json_object_set_new(json_object_get(paused, "spec"), "paused", json_true());
    in.deployment = paused;
    mg_md_decide(&in, &d);
    assert_string_equal(mg_json_str(d.status, "phase", NULL), "Progressing");
    mg_md_decision_free(&d);
    json_decref(paused);
    json_t *mixed = json_deep_copy(dep);
    json_object_set_new(json_object_get(mixed, "status"), "updatedReplicas", json_integer(1));
    in.deployment = mixed;
    mg_md_decide(&in, &d);
    assert_false(mg_condition_is_true(json_object_get(d.status, "conditions"), "Ready"));
    mg_md_decision_free(&d);
    json_decref(mixed);
    in.deployment = dep;

    /* quarantined without fallback → 0 replicas, Warning event, history closed */
    in.mv_quarantined = true;
    in.quarantine_reason = "psi 0.31 > 0.25";
    in.now = "T3";
    mg_md_decide(&in, &d);
    assert_int_equal(d.replicas, 0);
    assert_true(d.stop_in_place);
    assert_string_equal(mg_json_str(d.status, "phase", NULL), "Quarantined");
    assert_string_equal(d.events[0].type, "Warning");
    json_t *h0 = json_array_get(mg_json_get(d.status, "history", NULL), 0);
    assert_string_equal(mg_json_str(h0, "to", NULL), "T3");
    mg_md_decision_free(&d);

    /* quarantined with a usable fallback → fallback runs, history opens a new entry */
    in.fallback_mv = fb;
    in.fallback_usable = true;
    mg_md_decide(&in, &d);
    assert_ptr_equal(d.run_mv, fb);
    assert_false(d.stop_in_place);
    assert_int_equal(d.replicas, 3);
    json_t *hist = mg_json_get(d.status, "history", NULL);
    assert_int_equal(json_array_size(hist), 2);
    assert_string_equal(mg_json_str(json_array_get(hist, 1), "modelVersion", NULL), "fraud-1-3-0");
    mg_md_decision_free(&d);

    json_decref(dep), json_decref(md), json_decref(mv), json_decref(fb);
}

/* spec.replicas 0 of an approved version: the Deployment is made (at zero) like any other, and
 * once the API server reports it rolled out the ModelDeployment is done, not Progressing forever.
 * The history entry closes as ScaledToZero. */
static void test_zero_replicas_by_spec(void **state) {
    (void)state;
    json_t *md = json_loads(MD, 0, NULL), *mv = json_loads(MV, 0, NULL);
    json_object_set_new(json_object_get(md, "spec"), "replicas", json_integer(0));
    json_object_set_new(md, "status",
                        json_pack("{s:s, s:[{s:s, s:s, s:s}]}", "phase", "Serving", "history", "modelVersion",
                                  "fraud-1-4-0", "from", "T0", "reason", "Deployed"));
    mg_md_inputs in = {.md = md, .mv = mv, .mv_approved = true, .now = "T1"};
    mg_md_decision d;
    mg_md_decide(&in, &d);
    assert_true(d.create_deployment);
    assert_false(d.stop_in_place);
    assert_int_equal(d.replicas, 0);
    assert_string_equal(mg_json_str(d.status, "phase", NULL), "Progressing");
    json_t *h0 = json_array_get(mg_json_get(d.status, "history", NULL), 0);
    assert_string_equal(mg_json_str(h0, "endReason", NULL), "ScaledToZero");
    mg_md_decision_free(&d);

    const char *image = "registry.example.com/models/"
                        "fraud@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    json_t *dep = deployment_with(0, 0, image);
    in.deployment = dep;
    mg_md_decide(&in, &d);
    assert_string_equal(mg_json_str(d.status, "phase", NULL), "Serving");
    json_t *ready = mg_condition_find(json_object_get(d.status, "conditions"), "Ready");
    assert_string_equal(mg_json_str(ready, "status", NULL), "True");
    assert_string_equal(mg_json_str(ready, "reason", NULL), "ZeroReplicas");
    assert_null(json_object_get(d.status, "servingModelVersion"));
    mg_md_decision_free(&d);
    json_decref(dep);

    /* pods still terminating: not done yet */
    dep = deployment_with(0, 1, image);
    in.deployment = dep;
    mg_md_decide(&in, &d);
    assert_string_equal(mg_json_str(d.status, "phase", NULL), "Progressing");
    mg_md_decision_free(&d);
    json_decref(dep), json_decref(md), json_decref(mv);
}

/* Pods the Deployment cannot get (a quota): Ready says why in the Deployment's words, with one
 * Warning event; fed back, the same inputs give no second event. */
static void test_pods_failing(void **state) {
    (void)state;
    json_t *md = json_loads(MD, 0, NULL), *mv = json_loads(MV, 0, NULL);
    json_t *dep =
        deployment_with(3, 1,
                        "registry.example.com/models/"
                        "fraud@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    json_object_set_new(json_object_get(dep, "status"), "conditions",
                        json_pack("[{s:s, s:s, s:s, s:s}]", "type", "ReplicaFailure", "status", "True",
                                  "reason", "FailedCreate", "message",
                                  "pods \"fraud-6d-\" is forbidden: exceeded quota: q, requested: pods=1"));
    mg_md_inputs in = {.md = md, .mv = mv, .mv_approved = true, .deployment = dep, .now = "T1"};
    mg_md_decision d;
    mg_md_decide(&in, &d);
    json_t *ready = mg_condition_find(json_object_get(d.status, "conditions"), "Ready");
    assert_string_equal(mg_json_str(ready, "reason", NULL), "ReplicaFailure");
    assert_non_null(strstr(mg_json_str(ready, "message", NULL),
                           "1/3 replicas ready; the Deployment reports "
                           "ReplicaFailure: pods \"fraud-6d-\" is forbidden: exceeded quota"));
    int warnings = 0;
    for (int i = 0; i < d.n_events; i++)
        warnings += !strcmp(d.events[i].reason, "ReplicaFailure") && !strcmp(d.events[i].type, "Warning");
    assert_int_equal(warnings, 1);
    json_object_set(md, "status", d.status);
    mg_md_decision_free(&d);
    mg_md_decide(&in, &d);
    assert_int_equal(d.n_events, 0);
    assert_true(json_equal(d.status, json_object_get(md, "status")));
    mg_md_decision_free(&d);

    /* a progress deadline: its own reason */
    json_object_set_new(json_object_get(dep, "status"), "conditions",
                        json_pack("[{s:s, s:s, s:s, s:s}]", "type", "Progressing", "status", "False",
                                  "reason", "ProgressDeadlineExceeded", "message",
                                  "ReplicaSet \"fraud-6d\" has timed out progressing."));
    mg_md_decide(&in, &d);
    ready = mg_condition_find(json_object_get(d.status, "conditions"), "Ready");
    assert_string_equal(mg_json_str(ready, "reason", NULL), "ProgressDeadlineExceeded");
    assert_int_equal(d.n_events, 1);
    mg_md_decision_free(&d);

    /* a Progressing=True condition is no failure */
    json_object_set_new(json_object_get(dep, "status"), "conditions",
                        json_pack("[{s:s, s:s, s:s}]", "type", "Progressing", "status", "True", "reason",
                                  "ReplicaSetUpdated"));
    mg_md_decide(&in, &d);
    ready = mg_condition_find(json_object_get(d.status, "conditions"), "Ready");
    assert_string_equal(mg_json_str(ready, "reason", NULL), "Progressing");
    mg_md_decision_free(&d);
    json_decref(dep), json_decref(md), json_decref(mv);
}

/* Monitoring judged one ModelVersion; after a promotion another one serves: that verdict is not
 * the new version's (its AwaitingReview does not hold the new one, its breaches leave status). */
static void test_monitoring_verdict_of_another_version(void **state) {
    (void)state;
    json_t *md = json_loads(MD, 0, NULL), *mv = json_loads(MV, 0, NULL);
    json_t *dep =
        deployment_with(3, 3,
                        "registry.example.com/models/"
                        "fraud@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    mg_md_inputs in = {.md = md,
                       .mv = mv,
                       .mv_approved = true,
                       .deployment = dep,
                       .monitor_phase = "AwaitingReview",
                       .monitor_judged = "fraud-1-3-0",
                       .now = "T1"};
    mg_md_decision d;
    mg_md_decide(&in, &d);
    assert_false(d.monitoring_applies);
    assert_string_equal(mg_json_str(d.status, "phase", NULL), "Serving");
    mg_md_decision_free(&d);

    in.monitor_judged = "fraud-1-4-0"; /* the version serving */
    mg_md_decide(&in, &d);
    assert_true(d.monitoring_applies);
    assert_string_equal(mg_json_str(d.status, "phase", NULL), "AwaitingReview");
    mg_md_decision_free(&d);

    in.monitor_judged = NULL; /* a verdict that judged nothing (a configuration error) */
    mg_md_decide(&in, &d);
    assert_false(d.monitoring_applies);
    mg_md_decision_free(&d);

    in.mv_quarantined = true; /* nothing serves: the last verdict stays as the evidence */
    in.monitor_judged = "fraud-1-3-0";
    mg_md_decide(&in, &d);
    assert_int_equal(d.replicas, 0);
    assert_true(d.monitoring_applies);
    mg_md_decision_free(&d);
    json_decref(dep), json_decref(md), json_decref(mv);
}

/* A change of status.replicas alone is held back; any other change with it is not. */
static void test_count_only_change(void **state) {
    (void)state;
    json_t *old = json_pack("{s:s,s:i,s:i}", "phase", "Progressing", "replicas", 0, "readyReplicas", 0);
    json_t *more = json_pack("{s:s,s:i,s:i}", "phase", "Progressing", "replicas", 1, "readyReplicas", 0);
    json_t *ready = json_pack("{s:s,s:i,s:i}", "phase", "Serving", "replicas", 1, "readyReplicas", 1);
    assert_true(mg_md_count_only_change(old, more));
    assert_false(mg_md_count_only_change(old, ready));
    assert_false(mg_md_count_only_change(old, old));
    assert_false(mg_md_count_only_change(NULL, more)); /* the first status is written at once */
    json_decref(old);
    json_decref(more);
    json_decref(ready);
}

/* The hold starts at the first count-only change and ends after the hold time; forgetting a key
 * (a write, no change, deletion) ends it early. */
static void test_settle_hold(void **state) {
    (void)state;
    mg_settle *s = mg_settle_new(1000);
    assert_int_equal(mg_settle_wait(s, "ns/a", 5000), 1000);
    assert_int_equal(mg_settle_wait(s, "ns/a", 5400), 600);
    assert_int_equal(mg_settle_wait(s, "ns/b", 5400), 1000);
    assert_int_equal(mg_settle_pending(s), 2);
    assert_int_equal(mg_settle_wait(s, "ns/a", 6000), 0); /* passed: write now, forgotten */
    assert_int_equal(mg_settle_pending(s), 1);
    assert_int_equal(mg_settle_wait(s, "ns/a", 6100), 1000); /* a new hold */
    mg_settle_forget(s, "ns/a");
    mg_settle_forget(s, "ns/b");
    mg_settle_forget(s, "ns/none");
    assert_int_equal(mg_settle_pending(s), 0);
    mg_settle_free(s);
}

/* A create is pending from just before it is sent until its informer event or its failure ends it,
 * or the TTL passes (a lost event costs a duplicate create, never a stalled owner). */
static void test_inflight_creates(void **state) {
    (void)state;
    mg_inflight *f = mg_inflight_new(30000);
    char svc[128], dep[128];
    mg_inflight_key("services", "ml", "fraud", svc, sizeof(svc));
    mg_inflight_key("deployments", "ml", "fraud", dep, sizeof(dep));
    assert_string_equal(svc, "services/ml/fraud");
    assert_false(mg_inflight_pending(f, svc, 1000));
    mg_inflight_begin(f, svc, 1000);
    mg_inflight_begin(f, dep, 1000);
    assert_true(mg_inflight_pending(f, svc, 1500));
    assert_int_equal(mg_inflight_count(f), 2);
    mg_inflight_end(f, svc); /* its ADDED event */
    assert_false(mg_inflight_pending(f, svc, 1600));
    assert_true(mg_inflight_pending(f, dep, 30999));
    assert_false(mg_inflight_pending(f, dep, 31000)); /* expired: forgotten */
    assert_int_equal(mg_inflight_count(f), 0);
    mg_inflight_begin(f, dep, 40000);
    mg_inflight_free(f); /* frees what is still pending */
}

/* A GET's answer holds for the ModelDeployment (uid, generation) it was asked for, until the
 * recheck period passes or it is forgotten (an informer event for the name). */
static void test_lookups_remembered(void **state) {
    (void)state;
    mg_lookups *l = mg_lookups_new(60000);
    const char *dep = "deployments/ml/taken", *svc = "services/ml/taken";
    assert_int_equal(mg_lookups_get(l, dep, "uid-1", 1, 0), MG_LOOKUP_UNKNOWN);
    mg_lookups_put(l, dep, MG_LOOKUP_FOREIGN, "uid-1", 1, 1000);
    mg_lookups_put(l, svc, MG_LOOKUP_ABSENT, "uid-1", 1, 1000);
    assert_int_equal(mg_lookups_get(l, dep, "uid-1", 1, 60999), MG_LOOKUP_FOREIGN);
    assert_int_equal(mg_lookups_get(l, svc, "uid-1", 1, 2000), MG_LOOKUP_ABSENT);
    assert_int_equal(mg_lookups_get(l, dep, "uid-1", 1, 61000), MG_LOOKUP_UNKNOWN); /* recheck */
    assert_int_equal(mg_lookups_count(l), 1);                                       /* dropped */
    mg_lookups_put(l, dep, MG_LOOKUP_FOREIGN, "uid-1", 1, 70000);
    assert_int_equal(mg_lookups_get(l, dep, "uid-1", 2, 70001), MG_LOOKUP_UNKNOWN); /* spec changed */
    mg_lookups_put(l, dep, MG_LOOKUP_FOREIGN, "uid-1", 2, 70000);
    assert_int_equal(mg_lookups_get(l, dep, "uid-2", 2, 70001), MG_LOOKUP_UNKNOWN); /* recreated MD */
    mg_lookups_put(l, dep, MG_LOOKUP_FOREIGN, "uid-2", 1, 70000);
    mg_lookups_forget(l, dep); /* an event for the name */
    assert_int_equal(mg_lookups_get(l, dep, "uid-2", 1, 70001), MG_LOOKUP_UNKNOWN);
    mg_lookups_put(l, dep, MG_LOOKUP_UNKNOWN, "uid-2", 1, 70000); /* forgets */
    assert_int_equal(mg_lookups_count(l), 1);
    mg_lookups_free(l); /* frees what is still recorded */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deployment_shape),
        cmocka_unit_test(test_pinned_image_strips_tag),
        cmocka_unit_test(test_phases),
        cmocka_unit_test(test_zero_replicas_by_spec),
        cmocka_unit_test(test_pods_failing),
        cmocka_unit_test(test_monitoring_verdict_of_another_version),
        cmocka_unit_test(test_count_only_change),
        cmocka_unit_test(test_settle_hold),
        cmocka_unit_test(test_inflight_creates),
        cmocka_unit_test(test_lookups_remembered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
