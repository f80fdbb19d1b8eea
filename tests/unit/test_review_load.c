/* Unit tests for webhook/review_load: differential against jansson. Invalid JSON must be refused
 * by both; valid JSON outside request.object must load identically; recorded AdmissionReviews
 * (tests/fixtures/k8s-1.28/admission) and a generated workload review must equal
 * jansson's tree pruned by an independent reference implementation of the keep rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "webhook/review_load.h"
#include "tests/unit/review_prune_ref.h"

static void test_invalid(void **state) {
    (void)state;
    static const char *bad[] = {
        "",
        "   ",
        "{",
        "}",
        "{\"a\":}",
        "[1,]",
        "{\"a\":1,}",
        "\"str\"",
        "42",
        "null",
        "{\"a\":\"\\x\"}",
        "[\"\xff\"]",
        "[\"\xc0\xaf\"]",
        "[\"\xed\xa0\x80\"]",
        "[\"\\ud800\"]",
        "[\"\\udc00\"]",
        "[\"\\ud800\\u0041\"]",
        "[01]",
        "[1.]",
        "[.5]",
        "[1e]",
        "[-]",
        "[+1]",
        "[tru]",
        "[nul]",
        "[1] x",
        "{\"a\":1 \"b\":2}",
        "[\"\\u0000\"]",
        "[99999999999999999999]",
        "[-99999999999999999999]",
        "[1e999]",
        "[\"a\tb\"]",
        "{\"a\":1,\"a\":2}",
        "[\"abc",
        "{\"a\" 1}",
        "{1:2}",
        "[\"\\u12\"]",
        "[1,,2]",
        "[\"long string with an \x01 control byte\"]",
        "{\"request\":{\"object\":{\"metadata\":{\"x\":[1,]}}}}",
        "{\"request\":{\"object\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"status\":{\"a\":tru}}}}",
        "{\"request\":{\"options\":{\"a\":\"\\q\"}}}",
        "{\"request\":{\"userInfo\":{\"extra\":{\"a\":[\"\xff\"]}}}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *j = NULL;
        mg_error err;
        int rc = mg_review_load(bad[i], strlen(bad[i]), &j, &err);
        if (rc == 0) fail_msg("accepted invalid JSON #%zu: %s", i, bad[i]);
        assert_int_equal(rc, MG_EPARSE);
        assert_null(j);
        assert_non_null(strstr(err.message, "line "));
        json_t *ref = json_loadb(bad[i], strlen(bad[i]), JSON_REJECT_DUPLICATES, NULL);
        /* jansson refuses all of them too, except the ones only we check inside dropped parts
         * (none here): the differential keeps us no looser than jansson. */
        if (ref) fail_msg("jansson accepted #%zu: %s", i, bad[i]);
    }
    /* Deep nesting is refused, not a stack overflow. */
    size_t n = 100000;
    char *deep = mg_xmalloc(2 * n + 1);
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    json_t *j = NULL;
    assert_int_equal(mg_review_load(deep, 2 * n, &j, NULL), MG_EPARSE);
    free(deep);
    /* What is not built cannot be out of range: numbers beyond int64/double in dropped parts are
     * valid JSON and pass (jansson refuses them); in kept parts they are refused. */
    static const char *dropped[] = {"{\"request\":{\"requestKind\":[1e999]}}",
                                    "{\"request\":{\"options\":{\"n\":99999999999999999999}}}"};
    for (size_t i = 0; i < sizeof dropped / sizeof *dropped; i++) {
        assert_int_equal(mg_review_load(dropped[i], strlen(dropped[i]), &j, NULL), 0);
        assert_null(json_object_get(json_object_get(j, "request"), "requestKind"));
        json_decref(j);
    }
    assert_int_equal(mg_review_load("{\"request\":{\"uid\":1e999}}", 24, &j, NULL), MG_EPARSE);
    /* Error position. */
    mg_error err;
    assert_int_equal(mg_review_load("{\n  \"a\": x}", 11, &j, &err), MG_EPARSE);
    assert_non_null(strstr(err.message, "line 2 column 8"));
}

static void check_same_as_jansson(const char *text) {
    json_t *mine = NULL;
    mg_error err;
    if (mg_review_load(text, strlen(text), &mine, &err) != 0) fail_msg("refused %s: %s", text, err.message);
    json_error_t je;
    json_t *ref = json_loadb(text, strlen(text), JSON_REJECT_DUPLICATES, &je);
    assert_non_null(ref);
    if (!json_equal(mine, ref)) {
        char *a = json_dumps(mine, JSON_COMPACT), *b = json_dumps(ref, JSON_COMPACT);
        fail_msg("differs from jansson:\n mine %s\n ref  %s", a, b);
    }
    json_decref(mine);
    json_decref(ref);
}

static void test_valid_like_jansson(void **state) {
    (void)state;
    check_same_as_jansson(
        "[1, -0, 0, -12, 1.5e3, 2E-2, 0.25, 9223372036854775807, -9223372036854775808, true, "
        "false, null, {}, [], {\"k\":[]}]");
    check_same_as_jansson(
        "{\"x\":{\"y\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}, \"u\":\"\\u00e9\\ud83d\\ude00\\u4e2d\"}");
    check_same_as_jansson(" \r\n\t{ \"a\" : [ 1 , \"b\" ] , \"c\" : { } } \n");
    check_same_as_jansson(
        "[\"caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80\", \"0123456789abcdefghij\\\"klmnop\"]");
    check_same_as_jansson(
        "[\"exactly8\", \"1234567\\\\\", \"12345678\\n\", \"abcdefghijklmnopqrstuvwxyz\\u0041xyz\"]");
    check_same_as_jansson(
        "{\"request\":{\"uid\":\"u\",\"kind\":{\"kind\":\"Pod\"},\"object\":null,\"dryRun\":true}}");
    /* Custom resources are kept whole (minus managedFields and the last-applied annotation). */
    check_same_as_jansson(
        "{\"request\":{\"object\":{\"apiVersion\":\"mlops.modelgov.io/v1alpha1\","
        "\"kind\":\"ModelVersion\",\"metadata\":{\"name\":\"m\",\"labels\":{\"a\":\"b\"}},"
        "\"spec\":{\"model\":\"fraud\",\"metrics\":{\"f1\":0.9},\"containers\":[{\"x\":1}]},"
        "\"status\":{\"approved\":true}}}}");
}

static void check_pruned(const char *name, const char *text, size_t len) {
    json_t *mine = NULL;
    mg_error err;
    if (mg_review_load(text, len, &mine, &err) != 0) fail_msg("%s refused: %s", name, err.message);
    json_t *ref = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
    assert_non_null(ref);
    prune_review(ref);
    if (!json_equal(mine, ref)) {
        char *a = json_dumps(mine, JSON_COMPACT), *b = json_dumps(ref, JSON_COMPACT);
        fail_msg("%s: pruned tree differs\n mine %s\n ref  %s", name, a, b);
    }
    json_decref(mine);
    json_decref(ref);
}

static void test_recorded_reviews(void **state) {
    (void)state;
    const char *dir = "tests/fixtures/k8s-1.28/admission"; /* relative to the repository root */
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strstr(e->d_name, ".json")) continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        json_t *rec = json_load_file(path, 0, NULL);
        assert_non_null(rec);
        char *body = json_dumps(json_object_get(rec, "body"), 0); /* with whitespace */
        check_pruned(e->d_name, body, strlen(body));
        free(body);
        body = json_dumps(json_object_get(rec, "body"), JSON_COMPACT);
        check_pruned(e->d_name, body, strlen(body));
        free(body);
        json_decref(rec);
        n++;
    }
    closedir(d);
    assert_true(n >= 10);
}

static void test_workload_pruning(void **state) {
    (void)state;
    const char *review =
        "{\"kind\":\"AdmissionReview\",\"apiVersion\":\"admission.k8s.io/v1\",\"request\":{\"uid\":\"u1\","
        "\"requestKind\":{\"kind\":\"CronJob\"},\"options\":{\"kind\":\"CreateOptions\"},"
        "\"userInfo\":{\"username\":\"alice\",\"uid\":\"x\",\"groups\":[\"g\"],\"extra\":{\"k\":[\"v\"]}},"
        "\"object\":{\"apiVersion\":\"batch/v1\",\"kind\":\"CronJob\",\"metadata\":{\"name\":\"c\","
        "\"managedFields\":[{\"manager\":\"m\"}],\"annotations\":{\"kubectl.kubernetes.io/"
        "last-applied-configuration\":\"{}\",\"keep\":\"me\"}},\"spec\":{\"schedule\":\"* * * * *\","
        "\"jobTemplate\":{\"metadata\":{\"labels\":{\"a\":\"b\"}},\"spec\":{\"template\":{\"metadata\":{"
        "\"labels\":"
        "{\"mlops.modelgov.io/"
        "model\":\"m\"}},\"spec\":{\"volumes\":[{\"name\":\"v\"}],\"containers\":[{\"name\":\"c\","
        "\"image\":\"r/m:1\",\"env\":[{\"name\":\"A\",\"value\":\"B\"}]}],\"restartPolicy\":\"Never\"}}}}},"
        "\"status\":{\"active\":[]}},\"oldObject\":{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
        "\"spec\":{\"replicas\":3,\"template\":{\"spec\":{\"initContainers\":[{\"name\":\"i\",\"image\":"
        "\"x\","
        "\"args\":[\"1\"]}]}}},\"status\":{\"replicas\":3}}}}";
    check_pruned("cronjob", review, strlen(review));
    json_t *j = NULL;
    assert_int_equal(mg_review_load(review, strlen(review), &j, NULL), 0);
    char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    assert_null(strstr(text, "managedFields"));
    assert_null(strstr(text, "env"));
    assert_null(strstr(text, "volumes"));
    assert_null(strstr(text, "last-applied"));
    assert_null(strstr(text, "extra"));
    assert_null(strstr(text, "\"active\""));
    assert_non_null(strstr(text, "\"image\":\"r/m:1\""));
    assert_non_null(strstr(text, "\"keep\":\"me\""));
    assert_non_null(strstr(text, "\"replicas\":3"));
    assert_non_null(strstr(text, "\"mlops.modelgov.io/model\":\"m\""));
    free(text);
    json_decref(j);
}

int main(void) {
    mg_mem_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_valid_like_jansson),
        cmocka_unit_test(test_recorded_reviews),
        cmocka_unit_test(test_workload_pruning),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
