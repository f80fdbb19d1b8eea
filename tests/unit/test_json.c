/* Unit tests for core/json (path getters, subset comparison) and k8s/conditions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/json.h"
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
    json_decref(conds);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_getters),
        cmocka_unit_test(test_subset),
        cmocka_unit_test(test_conditions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
