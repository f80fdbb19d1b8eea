/* Unit tests for k8s/jsonparse: the fast parser agrees with jansson on valid input (values,
 * escapes, surrogates, numbers, nesting), refuses what jansson refuses, strips Kubernetes
 * objects exactly like mg_k8s_strip in every mode, and the dumper reads back equal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "k8s/informer.h"
#include "k8s/jsonparse.h"

static json_t *parse(const char *s) { return mg_k8s_json_parse(s, strlen(s), MG_JSON_STRIP_NONE, NULL); }

static void check_same_as_jansson(const char *s) {
    json_t *a = json_loads(s, JSON_DECODE_ANY, NULL);
    json_t *b = parse(s);
    if (!a) fail_msg("jansson refused: %s", s);
    if (!b) fail_msg("fast parser refused: %s", s);
    if (!json_equal(a, b)) fail_msg("differs from jansson: %s", s);
    /* dump → parse round trip */
    mg_buf out;
    mg_buf_init(&out, 1 << 20);
    assert_int_equal(mg_k8s_json_dump(b, &out), 0);
    json_t *c = json_loads(out.data, JSON_DECODE_ANY, NULL);
    if (!c || !json_equal(b, c)) fail_msg("dump does not read back: %s -> %s", s, out.data);
    mg_buf_free(&out);
    json_decref(a);
    json_decref(b);
    json_decref(c);
}

static void test_valid(void **state) {
    (void)state;
    const char *ok[] = {
        "{}",
        "[]",
        " { \"a\" : [ 1 , -2 , 3.5 , -0.25e3 , 1E2, 0, -0 ] , \"b\" : { } }\n",
        "\"plain\"",
        "\"esc \\\" \\\\ \\/ \\b \\f \\n \\r \\t\"",
        "\"\\u00e9\\u20ac\\ud83d\\ude00 and é€😀\"",
        "\"ctl \\u0001\\u001f\"",
        "[true,false,null]",
        "9223372036854775807",
        "-9223372036854775808",
        "1.7976931348623157e308",
        "5e-324",
        "0.1",
        "{\"a\":1,\"a\":2}",
        "{\"k\\u00e9y\":\"v\",\"\":\"empty key\"}",
        "[[[[[[[[[[1]]]]]]]]]]",
        "{\"long key that is longer than the one hundred and twenty-eight byte stack buffer used for keys in "
        "the "
        "parser, so the heap path is taken too\":1}",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        check_same_as_jansson(ok[i]);
    json_t *v = parse("{\"a\":1,\"a\":2}");
    assert_int_equal(json_integer_value(json_object_get(v, "a")), 2); /* last wins, as jansson */
    json_decref(v);
    /* member order is kept */
    v = parse("{\"z\":1,\"a\":2,\"m\":3}");
    const char *k;
    json_t *m;
    char order[4] = "";
    size_t n = 0;
    json_object_foreach(v, k, m) order[n++] = k[0];
    assert_string_equal(order, "zam");
    json_decref(v);
}

static void test_invalid(void **state) {
    (void)state;
    const char *bad[] = {
        "",
        " ",
        "{",
        "}",
        "[1,]",
        "[1 2]",
        "{\"a\" 1}",
        "{\"a\":1,}",
        "{a:1}",
        "'x'",
        "\"unterminated",
        "\"bad \\x escape\"",
        "\"\\u12\"",
        "\"\\u0000\"",
        "\"\\ud83d alone\"",
        "\"\\ude00\"",
        "\"raw \x01 control\"",
        "\"\xff\"",
        "\"\xc0\xaf overlong\"",
        "\"\xed\xa0\x80 surrogate\"",
        "\"\xf4\x90\x80\x80 too big\"",
        "\"\xe2\x82 truncated\"",
        "01",
        "-",
        "1.",
        ".5",
        "1e",
        "+1",
        "1e999",
        "9223372036854775808",
        "-9223372036854775809",
        "tru",
        "nul",
        "[1] [2]",
        "{} x",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        mg_error err;
        json_t *v = mg_k8s_json_parse(bad[i], strlen(bad[i]), MG_JSON_STRIP_NONE, &err);
        if (v) fail_msg("accepted invalid JSON #%zu: %s", i, bad[i]);
        assert_int_equal(err.code, MG_EPARSE);
        assert_non_null(strstr(err.message, "byte"));
        /* jansson agrees that it is invalid */
        json_t *j = json_loads(bad[i], JSON_DECODE_ANY, NULL);
        if (j) fail_msg("jansson accepts #%zu: %s", i, bad[i]);
        json_decref(j);
    }
    /* depth cap */
    size_t deep = 3000;
    char *s = mg_xmalloc(deep * 2 + 1);
    memset(s, '[', deep);
    memset(s + deep, ']', deep);
    s[deep * 2] = '\0';
    assert_null(parse(s));
    free(s);
    /* embedded NUL byte in the buffer */
    assert_null(mg_k8s_json_parse("\"a\0b\"", 5, MG_JSON_STRIP_NONE, NULL));
}

#define OBJ                                                                                                  \
    "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\",\"namespace\":\"n\","        \
    "\"managedFields\":[{\"manager\":\"kubectl\",\"fieldsV1\":{\"f:data\":{}}}],"                            \
    "\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":\"{\\\"x\\\":1}\\n\"%s}},"        \
    "\"data\":{\"metadata\":{\"managedFields\":\"not an object's metadata: kept\"}}}"

static char *obj_text(bool other_annotation) {
    return mg_xasprintf(OBJ, other_annotation ? ",\"keep\":\"me\"" : "");
}

static void test_strip_modes(void **state) {
    (void)state;
    for (int other = 0; other < 2; other++) {
        char *o = obj_text(other);
        json_t *want = parse(o);
        mg_k8s_strip(want);
        assert_non_null(
            json_object_get(json_object_get(json_object_get(want, "data"), "metadata"), "managedFields"));
        assert_null(json_object_get(json_object_get(want, "metadata"), "managedFields"));

        json_t *got = mg_k8s_json_parse(o, strlen(o), MG_JSON_STRIP_OBJECT, NULL);
        assert_true(json_equal(got, want));
        json_decref(got);

        char *ev = mg_xasprintf("{\"type\":\"ADDED\",\"object\":%s}", o);
        got = mg_k8s_json_parse(ev, strlen(ev), MG_JSON_STRIP_EVENT, NULL);
        assert_true(json_equal(json_object_get(got, "object"), want));
        json_decref(got);
        free(ev);

        char *list = mg_xasprintf(
            "{\"kind\":\"ConfigMapList\",\"metadata\":{\"resourceVersion\":\"5\"},\"items\":[%s,%s]}", o, o);
        got = mg_k8s_json_parse(list, strlen(list), MG_JSON_STRIP_LIST, NULL);
        assert_int_equal(json_array_size(json_object_get(got, "items")), 2);
        assert_true(json_equal(json_array_get(json_object_get(got, "items"), 1), want));
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(got, "metadata"), "resourceVersion")), "5");
        json_decref(got);
        free(list);

        /* a broken skipped member is still an error */
        char *broken = mg_xasprintf("{\"metadata\":{\"managedFields\":[1,}}}");
        assert_null(mg_k8s_json_parse(broken, strlen(broken), MG_JSON_STRIP_OBJECT, NULL));
        free(broken);
        json_decref(want);
        free(o);
    }
}

static void test_dump(void **state) {
    (void)state;
    json_t *v = json_pack("{s:f, s:f, s:f, s:I, s:s, s:[b, n]}", "a", 0.1, "b", 1.0, "c", 1e300, "d",
                          (json_int_t)-42, "e", "q\"\\\n\x01/é", "f", 1);
    mg_buf out;
    mg_buf_init(&out, 4096);
    assert_int_equal(mg_k8s_json_dump(v, &out), 0);
    assert_string_equal(
        out.data,
        "{\"a\":0.1,\"b\":1.0,\"c\":1e+300,\"d\":-42,\"e\":\"q\\\"\\\\\\n\\u0001/é\",\"f\":[true,null]}");
    json_t *back = parse(out.data);
    assert_true(json_equal(v, back));
    assert_true(json_is_real(json_object_get(back, "b")));
    json_decref(back);
    mg_buf_free(&out);
    /* cap */
    mg_buf_init(&out, 8);
    assert_int_equal(mg_k8s_json_dump(v, &out), MG_ETOOBIG);
    mg_buf_free(&out);
    json_decref(v);
}

int main(void) {
    mg_mem_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_strip_modes),
        cmocka_unit_test(test_dump),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
