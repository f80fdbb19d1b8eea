/* Unit tests for k8s/selector (metav1.LabelSelector matching). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "k8s/selector.h"

static bool m(const char *sel, const char *labels) {
    json_t *s = sel ? json_loads(sel, 0, NULL) : NULL;
    json_t *l = labels ? json_loads(labels, 0, NULL) : NULL;
    bool r = mg_label_selector_matches(s, l);
    json_decref(s);
    json_decref(l);
    return r;
}

static void test_match(void **state) {
    (void)state;
    assert_true(m("{}", "{\"a\":\"b\"}"));
    assert_true(m("{}", NULL));
    assert_false(m(NULL, "{\"a\":\"b\"}"));
    assert_true(m("{\"matchLabels\":{\"a\":\"b\"}}", "{\"a\":\"b\",\"c\":\"d\"}"));
    assert_false(m("{\"matchLabels\":{\"a\":\"b\"}}", "{\"a\":\"x\"}"));
    assert_false(m("{\"matchLabels\":{\"a\":\"b\"}}", NULL));
    const char *in =
        "{\"matchExpressions\":[{\"key\":\"tier\",\"operator\":\"In\",\"values\":[\"gold\",\"silver\"]}]}";
    assert_true(m(in, "{\"tier\":\"gold\"}"));
    assert_false(m(in, "{\"tier\":\"bronze\"}"));
    assert_false(m(in, "{}"));
    const char *notin =
        "{\"matchExpressions\":[{\"key\":\"tier\",\"operator\":\"NotIn\",\"values\":[\"gold\"]}]}";
    assert_true(m(notin, "{}"));
    assert_true(m(notin, "{\"tier\":\"x\"}"));
    assert_false(m(notin, "{\"tier\":\"gold\"}"));
    assert_true(m("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Exists\"}]}", "{\"a\":\"\"}"));
    assert_false(m("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"DoesNotExist\"}]}", "{\"a\":\"\"}"));
    /* both parts must hold */
    assert_false(
        m("{\"matchLabels\":{\"a\":\"b\"},\"matchExpressions\":[{\"key\":\"c\",\"operator\":\"Exists\"}]}",
          "{\"a\":\"b\"}"));
}

static void test_invalid(void **state) {
    (void)state;
    mg_error err;
    json_t *s = json_loads("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\"}]}", 0, NULL);
    assert_int_equal(mg_label_selector_validate(s, &err), MG_EINVAL);
    assert_non_null(strstr(err.message, "values: Required value"));
    assert_false(mg_label_selector_matches(s, NULL));
    json_decref(s);
    s = json_loads("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Near\"}]}", 0, NULL);
    assert_int_equal(mg_label_selector_validate(s, &err), MG_EINVAL);
    json_decref(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_match), cmocka_unit_test(test_invalid)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
