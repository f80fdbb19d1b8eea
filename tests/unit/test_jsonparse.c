/* Unit tests for k8s/jsonparse: the parser agrees with jansson on valid input (values, escapes,
 * surrogates, numbers, nesting), refuses what jansson refuses, reads what the API server may
 * send that jansson refuses (NUL in strings, integers beyond int64), leaves out only the odd
 * list item or watch object (never the whole document), strips Kubernetes objects exactly like
 * mg_k8s_strip in every mode, and the dumper reads back equal. A differential over the fuzz
 * corpora states every difference from jansson. */
#include <dirent.h>
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
        "1e999", /* valid JSON beyond double: a limit, and nothing isolates it here */
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

/* ---- what the API server may send ------------------------------------------------------------- */

static void test_api_server_documents(void **state) {
    (void)state;
    /* NUL inside strings: kept, with the string's length (jansson with JSON_ALLOW_NUL agrees) */
    const char *nul = "{\"a\":\"x\\u0000y\",\"b\":[\"\\u0000\"]}";
    json_t *v = parse(nul), *j = json_loads(nul, JSON_ALLOW_NUL, NULL);
    assert_non_null(v);
    assert_int_equal(json_string_length(json_object_get(v, "a")), 3);
    assert_true(json_equal(v, j));
    mg_buf out; /* and dumps back escaped */
    mg_buf_init(&out, 4096);
    assert_int_equal(mg_k8s_json_dump(v, &out), 0);
    assert_non_null(strstr(out.data, "x\\u0000y"));
    json_t *back = mg_k8s_json_parse(out.data, out.len, MG_JSON_STRIP_NONE, NULL);
    assert_true(json_equal(back, v));
    json_decref(back);
    mg_buf_free(&out);
    json_decref(v);
    json_decref(j);
    /* integers beyond int64 read as reals, as Go's decoders do */
    v = parse("[9223372036854775808, -9223372036854775809, 123456789012345678901234567890]");
    assert_non_null(v);
    assert_true(json_is_real(json_array_get(v, 0)));
    assert_true(json_real_value(json_array_get(v, 0)) == 9223372036854775808.0);
    assert_true(json_real_value(json_array_get(v, 1)) == -9223372036854775809.0);
    json_decref(v);
    /* a NUL in a key cannot be held by jansson: a limit, refused outside a list or event */
    mg_error err;
    assert_null(mg_k8s_json_parse("{\"a\\u0000b\":1}", 14, MG_JSON_STRIP_OBJECT, &err));
    assert_non_null(strstr(err.message, "NUL in an object key"));
}

typedef struct skips {
    int n;
    char why[4][160];
} skips;

static void on_skip(void *ud, size_t offset, const char *why) {
    skips *s = ud;
    (void)offset;
    if (s->n < 4) snprintf(s->why[s->n], sizeof s->why[0], "%s", why);
    s->n++;
}

/* A List page with one object that hits each limit keeps every other item. */
static void test_odd_items_are_isolated(void **state) {
    (void)state;
    size_t deep = 5000;
    char *nest = mg_xmalloc(2 * deep + 1);
    memset(nest, '[', deep);
    memset(nest + deep, ']', deep);
    nest[2 * deep] = '\0';
    char *list =
        mg_xasprintf("{\"kind\":\"ModelReviewList\",\"metadata\":{\"resourceVersion\":\"7\"},\"items\":["
                     "{\"metadata\":{\"name\":\"a\"}},"
                     "{\"metadata\":{\"name\":\"nulkey\",\"annotations\":{\"x\\u0000y\":\"z\"}}},"
                     "{\"metadata\":{\"name\":\"deep\"},\"spec\":%s},"
                     "{\"metadata\":{\"name\":\"huge\"},\"spec\":{\"n\":1e999}},"
                     "{\"metadata\":{\"name\":\"nul-value\",\"annotations\":{\"c\":\"\\u0000\"}}},"
                     "{\"metadata\":{\"name\":\"b\",\"managedFields\":[{\"k\\u0000\":1e999}]}}]}",
                     nest);
    skips sk = {0};
    mg_error err;
    json_t *v = mg_k8s_json_parse_ex(list, strlen(list), MG_JSON_STRIP_LIST, on_skip, &sk, &err);
    if (!v) fail_msg("list refused: %s", err.message);
    json_t *items = json_object_get(v, "items");
    assert_int_equal(json_array_size(items), 3);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(json_array_get(items, 0), "metadata"), "name")),
        "a");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(json_array_get(items, 1), "metadata"), "name")),
        "nul-value");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(json_array_get(items, 2), "metadata"), "name")),
        "b");
    assert_int_equal(sk.n, 3);
    assert_non_null(strstr(sk.why[0], "NUL in an object key"));
    assert_non_null(strstr(sk.why[1], "nesting depth"));
    assert_non_null(strstr(sk.why[2], "real number overflow"));
    assert_string_equal(json_string_value(json_object_get(json_object_get(v, "metadata"), "resourceVersion")),
                        "7");
    json_decref(v);
    free(list);
    /* a watch event whose object is odd: the event parses, the object is left out */
    char *ev =
        mg_xasprintf("{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"x\"},\"spec\":%s}}", nest);
    memset(&sk, 0, sizeof sk);
    v = mg_k8s_json_parse_ex(ev, strlen(ev), MG_JSON_STRIP_EVENT, on_skip, &sk, &err);
    assert_non_null(v);
    assert_string_equal(json_string_value(json_object_get(v, "type")), "MODIFIED");
    assert_null(json_object_get(v, "object"));
    assert_int_equal(sk.n, 1);
    json_decref(v);
    free(ev);
    /* invalid JSON inside an item still fails the whole page */
    const char *broken =
        "{\"items\":[{\"metadata\":{\"name\":\"a\"}},{\"metadata\":{\"name\":\"b\",\"x\":[1,]}}]}";
    assert_null(mg_k8s_json_parse_ex(broken, strlen(broken), MG_JSON_STRIP_LIST, on_skip, &sk, &err));
    assert_non_null(strstr(err.message, "line 1 column"));
    free(nest);
}

/* ---- differential against jansson over the fuzz corpora -------------------------------------- */

#define CORPUS_DIR "tests/fuzz/corpus/"

/* Every corpus file, read whole, to fn; returns the count. */
static int each_corpus_file(const char *target, void (*fn)(const char *name, const char *text, size_t len)) {
    char dir[256];
    snprintf(dir, sizeof dir, CORPUS_DIR "%s", target);
    DIR *d = opendir(dir);
    if (!d) fail_msg("no corpus %s (tests run from the repository root)", dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char path[600];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        mg_buf b;
        mg_buf_init(&b, (size_t)16 << 20);
        char chunk[4096];
        size_t r;
        while ((r = fread(chunk, 1, sizeof chunk, f)) > 0)
            assert_int_equal(mg_buf_append(&b, chunk, r), 0);
        fclose(f);
        fn(e->d_name, b.data ? b.data : "", b.len);
        mg_buf_free(&b);
        n++;
    }
    closedir(d);
    return n;
}

/* The informer's reading (no strip) against jansson with JSON_ALLOW_NUL: the same answer and the
 * same tree, except that we also read integers beyond int64 (as reals), which jansson refuses. */
static void differ_k8s(const char *name, const char *text, size_t len) {
    mg_error err;
    json_t *mine = mg_k8s_json_parse(text, len, MG_JSON_STRIP_NONE, &err);
    json_error_t je;
    json_t *ref = memchr(text, 0, len) ? NULL : json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (ref && (!mine || !json_equal(mine, ref)))
        fail_msg("%s: jansson reads it, we %s", name, mine ? "differ" : err.message);
    if (!ref && mine && !strstr(je.text, "too big"))
        fail_msg("%s: we read what jansson refuses (%s)", name, je.text);
    json_decref(mine);
    json_decref(ref);
}

static void test_corpus_differential(void **state) {
    (void)state;
    assert_true(each_corpus_file("fuzz_jsonparse", differ_k8s) > 0);
    assert_true(each_corpus_file("fuzz_watch_list", differ_k8s) > 0);
}

int main(void) {
    mg_mem_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_strip_modes),
        cmocka_unit_test(test_dump),
        cmocka_unit_test(test_api_server_documents),
        cmocka_unit_test(test_odd_items_are_isolated),
        cmocka_unit_test(test_corpus_differential),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
