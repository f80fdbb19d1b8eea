/* Unit tests for operator/trim: what the caches keep of Pods and owned objects, and when an owned
 * object counts as applied (its hash, and a Deployment's replicas and image put back). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "api/api.h"
#include "core/json.h"
#include "core/mem.h"
#include "operator/trim.h"

static json_t *load(const char *text) {
    json_t *o = json_loads(text, 0, NULL);
    assert_non_null(o);
    return o;
}

static void test_pod(void **state) {
    (void)state;
    json_t *pod =
        load("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"n\","
             "\"uid\":\"u\",\"resourceVersion\":\"7\",\"labels\":{\"" MG_LABEL_MODELDEPLOYMENT
             "\":\"md\",\"app\":\"x\"},\"ownerReferences\":[{\"kind\":\"ReplicaSet\"}]},\"spec\":{"
             "\"containers\":[]},\"status\":{\"phase\":\"Running\",\"podIP\":\"10.0.0.1\",\"conditions\":["
             "{\"type\":\"Initialized\",\"status\":\"True\"},{\"type\":\"Ready\",\"status\":\"True\","
             "\"lastTransitionTime\":\"2026-01-01T00:00:00Z\"}]}}");
    json_t *t = mg_trim_pod(pod, NULL);
    json_t *want =
        load("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"n\","
             "\"uid\":\"u\",\"resourceVersion\":\"7\",\"labels\":{\"" MG_LABEL_MODELDEPLOYMENT
             "\":\"md\"}},\"status\":{\"podIP\":\"10.0.0.1\",\"conditions\":[{\"type\":\"Ready\","
             "\"status\":\"True\"}]}}");
    assert_true(json_equal(t, want));
    json_decref(t);
    json_decref(pod);
    json_decref(want);
}

static json_t *deployment(long long replicas, const char *image) {
    return json_pack(
        "{s:s, s:s, s:{s:s, s:s, s:{s:s}, s:[{s:s, s:s, s:s, s:b}]}, s:{s:I, s:{s:{s:[{s:s, s:s}]}}}}",
        "apiVersion", "apps/v1", "kind", "Deployment", "metadata", "name", "d", "namespace", "n", "labels",
        "a", "b", "ownerReferences", "kind", "ModelDeployment", "name", "md", "uid", "u1", "controller", 1,
        "spec", "replicas", (json_int_t)replicas, "template", "spec", "containers", "name", "model", "image",
        image);
}

static void test_applied(void **state) {
    (void)state;
    json_t *want = deployment(2, "reg/m@sha256:aa");
    /* as the API server returns it after the create: stamped, defaults added, then trimmed */
    json_t *stored = mg_applied_stamp(want);
    json_object_set_new(json_object_get(stored, "spec"), "revisionHistoryLimit", json_integer(10));
    json_object_set_new(
        stored, "status",
        json_pack("{s:i, s:i, s:i}", "replicas", 2, "readyReplicas", 1, "observedGeneration", 1));
    json_t *cached = mg_trim_owned(stored, NULL); /* edits stored in place, returns a new reference to it */
    assert_null(mg_json_get(cached, "status", "conditions", NULL)); /* none failing: none kept */
    assert_null(mg_json_get(cached, "metadata", "labels", NULL));
    assert_null(mg_json_get(cached, "spec", "revisionHistoryLimit", NULL));
    assert_string_equal(
        mg_json_str(json_array_get(mg_json_get(cached, "metadata", "ownerReferences", NULL), 0), "uid", NULL),
        "u1");
    assert_true(mg_applied_matches(want, cached));
    json_t *other = deployment(2, "reg/m@sha256:bb"); /* another version: its hash differs */
    assert_false(mg_applied_matches(other, cached));
    json_decref(other);
    /* scaled by hand: the replicas no longer match although the hash does */
    json_object_set_new(json_object_get(cached, "spec"), "replicas", json_integer(5));
    assert_false(mg_applied_matches(want, cached));
    json_object_set_new(json_object_get(cached, "spec"), "replicas", json_integer(2));
    assert_true(mg_applied_matches(want, cached));
    json_decref(cached);
    json_decref(stored);

    /* a sidecar, an init container or a pause added by hand: kept by the trim, seen by the check */
    for (int e = 0; e < 3; e++) { /* 0: a sidecar, 1: an init container, 2: paused */
        stored = mg_applied_stamp(want);
        json_t *pod_spec = mg_json_get(stored, "spec", "template", "spec", NULL);
        if (e == 0)
            json_array_append_new(json_object_get(pod_spec, "containers"),
                                  json_pack("{s:s, s:s}", "name", "side", "image", "busybox"));
        if (e == 1)
            json_object_set_new(pod_spec, "initContainers",
                                json_pack("[{s:s, s:s}]", "name", "i", "image", "x"));
        if (e == 2) json_object_set_new(json_object_get(stored, "spec"), "paused", json_true());
        cached = mg_trim_owned(stored, NULL);
        if (e == 2) assert_true(mg_json_bool(cached, false, "spec", "paused", NULL));
        if (e != 2) assert_null(mg_json_get(cached, "spec", "paused", NULL));
        assert_false(mg_applied_matches(want, cached));
        json_decref(cached);
        json_decref(stored);
    }
    stored = mg_applied_stamp(want);
    cached = mg_trim_owned(stored, NULL);
    json_decref(cached);
    json_decref(stored);
    json_decref(want);
}

/* A Deployment keeps the conditions that say its pods do not come, and only those. */
static void test_deployment_failures(void **state) {
    (void)state;
    json_t *dep = deployment(2, "reg/m@sha256:aa");
    json_object_set_new(
        dep, "status",
        json_pack("{s:i, s:[{s:s, s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s}]}",
                  "replicas", 1, "conditions", "type", "ReplicaFailure", "status", "True", "reason",
                  "FailedCreate", "message", "exceeded quota", "lastUpdateTime", "T", "type", "Available",
                  "status", "False", "reason", "MinimumReplicasUnavailable", "message", "m", "type",
                  "Progressing", "status", "True", "reason", "ReplicaSetUpdated", "message", "m"));
    json_t *cached = mg_trim_owned(dep, NULL);
    json_t *conds = mg_json_get(cached, "status", "conditions", NULL);
    assert_int_equal(json_array_size(conds), 1);
    json_t *c = json_array_get(conds, 0);
    assert_string_equal(mg_json_str(c, "type", NULL), "ReplicaFailure");
    assert_string_equal(mg_json_str(c, "message", NULL), "exceeded quota");
    assert_null(json_object_get(c, "lastUpdateTime"));
    json_decref(cached);
    json_decref(dep);
}

/* A Service keeps its selector and ports: a hand edit of either is seen and undone. */
static void test_service(void **state) {
    (void)state;
    json_t *want = json_pack("{s:s, s:s, s:{s:s, s:{s:s}, s:[{s:s, s:s, s:s, s:b}]}, s:{s:{s:s}, s:[{s:s, "
                             "s:i, s:s, s:s}]}}",
                             "apiVersion", "v1", "kind", "Service", "metadata", "name", "svc", "labels", "a",
                             "b", "ownerReferences", "kind", "ModelDeployment", "name", "md", "uid", "u1",
                             "controller", 1, "spec", "selector", "m", "md", "ports", "name", "http", "port",
                             9000, "targetPort", "http", "protocol", "TCP");
    json_t *stored = mg_applied_stamp(want);
    json_t *spec = json_object_get(stored, "spec");
    json_object_set_new(spec, "clusterIP", json_string("10.0.0.7"));
    json_object_set_new(spec, "sessionAffinity", json_string("None"));
    json_object_set_new(json_array_get(json_object_get(spec, "ports"), 0), "appProtocol",
                        json_string("http"));
    json_object_set_new(stored, "status", json_pack("{s:{}}", "loadBalancer"));
    json_t *cached = mg_trim_service(stored, NULL);
    assert_null(mg_json_get(cached, "spec", "clusterIP", NULL));
    assert_null(mg_json_get(cached, "status", NULL));
    assert_null(
        json_object_get(json_array_get(mg_json_get(cached, "spec", "ports", NULL), 0), "appProtocol"));
    assert_true(mg_applied_matches(want, cached));
    /* someone adds a selector key: the Service no longer selects the model's pods */
    json_object_set_new(mg_json_get(cached, "spec", "selector", NULL), "tier", json_string("canary"));
    assert_false(mg_applied_matches(want, cached));
    json_object_del(mg_json_get(cached, "spec", "selector", NULL), "tier");
    assert_true(mg_applied_matches(want, cached));
    /* or opens it on every node */
    json_object_set_new(json_object_get(cached, "spec"), "type", json_string("NodePort"));
    assert_false(mg_applied_matches(want, cached));
    json_object_set_new(json_object_get(cached, "spec"), "type", json_string("ClusterIP"));
    assert_true(mg_applied_matches(want, cached));
    /* or moves the port */
    json_object_set_new(json_array_get(mg_json_get(cached, "spec", "ports", NULL), 0), "port",
                        json_integer(80));
    assert_false(mg_applied_matches(want, cached));
    json_decref(cached);
    json_decref(stored);
    json_decref(want);
}

int main(void) {
    mg_mem_init();
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_pod), cmocka_unit_test(test_applied),
                                       cmocka_unit_test(test_service),
                                       cmocka_unit_test(test_deployment_failures)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
