/* Unit tests for core/json (path getters, subset comparison, builders that cannot drop a member),
 * core/utf8 and k8s/conditions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/json.h"
#include "core/utf8.h"
#include "k8s/conditions.h"

static void test_getters(void **state) {
    (void)state;
    json_t *o = json_loads("{\"metadata\":{\"name\":\"a\",\"generation\":3},\"spec\":{\"x\":1.5,\"b\":true}}",
                           0, NULL);
    assert_string_equal(mg_json_str(o, "metadata", "name", NULL), "a");
    assert_null(mg_json_str(o, "metadata", "generation", NULL));
    assert_int_equal(mg_json_int(o, -1, "metadata", "generation", NULL), 3);
    assert_int_equal(mg_json_int(o, -1, "metadata", "missing", NULL), -1);
    assert_true(mg_json_num(o, 0, "spec", "x", NULL) == 1.5);
    assert_true(mg_json_bool(o, false, "spec", "b", NULL));
    assert_null(mg_json_get(o, "spec", "x", "deeper", NULL));
    json_decref(o);
}

static void test_subset(void **state) {
    (void)state;
    json_t *have =
        json_loads("{\"a\":1,\"b\":{\"c\":[{\"n\":\"x\",\"d\":\"def\"}],\"e\":2.0},\"z\":null}", 0, NULL);
    json_t *w1 = json_loads("{\"a\":1,\"b\":{\"c\":[{\"n\":\"x\"}],\"e\":2}}", 0, NULL);
    json_t *w2 = json_loads("{\"b\":{\"c\":[{\"n\":\"y\"}]}}", 0, NULL);
    json_t *w3 = json_loads("{\"b\":{\"c\":[{\"n\":\"x\"},{\"n\":\"x\"}]}}", 0, NULL);
    json_t *w4 = json_loads("{\"q\":1}", 0, NULL);
    assert_true(mg_json_subset(w1, have));
    assert_false(mg_json_subset(w2, have));
    assert_false(mg_json_subset(w3, have));
    assert_false(mg_json_subset(w4, have));
    json_decref(have), json_decref(w1), json_decref(w2), json_decref(w3), json_decref(w4);
}

static void test_conditions(void **state) {
    (void)state;
    json_t *conds = json_array();
    assert_true(mg_condition_set(conds, "Ready", "False", "Pending", "waiting", 1, "T1"));
    assert_false(mg_condition_set(conds, "Ready", "False", "Pending", "waiting", 1, "T2"));
    json_t *c = mg_condition_find(conds, "Ready");
    assert_string_equal(mg_json_str(c, "lastTransitionTime", NULL), "T1");
    /* reason change without flip keeps the transition time */
    assert_true(mg_condition_set(conds, "Ready", "False", "Scaling", "more", 2, "T3"));
    assert_string_equal(mg_json_str(c, "lastTransitionTime", NULL), "T1");
    assert_int_equal(mg_json_int(c, 0, "observedGeneration", NULL), 2);
    /* flip changes it */
    assert_true(mg_condition_set(conds, "Ready", "True", "Available", "", 2, "T4"));
    assert_string_equal(mg_json_str(c, "lastTransitionTime", NULL), "T4");
    assert_true(mg_condition_is_true(conds, "Ready"));
    assert_false(mg_condition_is_true(conds, "Approved"));
    /* a message that is not UTF-8 is kept readable, and setting it again is no change */
    assert_true(mg_condition_set(conds, "Ready", "True", "Available", "cut \xc3", 2, "T5"));
    assert_string_equal(mg_json_str(c, "message", NULL), "cut \xef\xbf\xbd");
    assert_false(mg_condition_set(conds, "Ready", "True", "Available", "cut \xc3", 2, "T6"));
    json_decref(conds);
}

static void test_builders(void **state) {
    (void)state;
    /* valid UTF-8 stays; each byte of anything else becomes U+FFFD */
    static const struct {
        const char *in, *out;
    } bytes[] = {
        {"plain", "plain"},
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
        {"a\xff"
         "b",
         "a\xef\xbf\xbd"
         "b"},
        {"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"},                                 /* overlong '/' */
        {"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},                 /* a surrogate */
        {"\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* above U+10FFFF */
        {"end\xe2\x82", "end\xef\xbf\xbd\xef\xbf\xbd"},
    };
    for (size_t i = 0; i < sizeof bytes / sizeof *bytes; i++) {
        json_t *j = mg_json_bytes(bytes[i].in, strlen(bytes[i].in));
        assert_non_null(j);
        assert_string_equal(json_string_value(j), bytes[i].out);
        json_decref(j);
    }
    json_t *o = json_object();
    mg_json_set_str(o, "absent", NULL);
    mg_json_set_str(o, "s", "x\xff");
    mg_json_set_opt(o, "null", json_null());
    mg_json_set_opt(o, "none", NULL);
    json_t *one = json_integer(1);
    mg_json_set_opt(o, "one", one);
    json_decref(one);
    mg_json_set_real(o, "nan", NAN);
    mg_json_set_real(o, "inf", INFINITY);
    mg_json_set_real(o, "half", 0.5);
    char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(text, "{\"half\":0.5,\"one\":1,\"s\":\"x\xef\xbf\xbd\"}");
    free(text);
    json_decref(o);
}

static void test_utf8_trim(void **state) {
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"", ""},
        {"abc", "abc"},
        {"caf\xc3\xa9", "caf\xc3\xa9"},
        {"caf\xc3", "caf"},     /* a 2-byte character cut after its lead */
        {"x\xe2\x82", "x"},     /* a 3-byte one cut after 2 */
        {"x\xf0\x9f\x98", "x"}, /* a 4-byte one cut after 3 */
        {"x\xff", "x\xff"},     /* not a cut character: left as it is */
        {"x\xe2"
         "A",
         "x\xe2"
         "A"}, /* neither */
        {"\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char buf[16];
        snprintf(buf, sizeof buf, "%s", cases[i].in);
        mg_utf8_trim(buf);
        assert_string_equal(buf, cases[i].out);
    }
    assert_int_equal(mg_utf8_valid_prefix("ab\xc3\xa9\xff", 5), 4);
    /* an error message cut at its cap ends on a character boundary */
    char big[2000];
    memset(big, 'a', sizeof big);
    memcpy(big + sizeof big - 4, "\xe2\x82\xac", 4);
    mg_error err;
    mg_error_set(&err, MG_EINVAL, "%.*s\xe2\x82\xac", (int)sizeof(err.message) - 2, big);
    json_t *j = json_string(err.message);
    assert_non_null(j);
    json_decref(j);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_getters),  cmocka_unit_test(test_subset),    cmocka_unit_test(test_conditions),
        cmocka_unit_test(test_builders), cmocka_unit_test(test_utf8_trim),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
