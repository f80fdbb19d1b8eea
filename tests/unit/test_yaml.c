/* Unit tests for core/yaml: core-schema scalars, quoting, tags, anchors/aliases and their cap,
 * merge keys, duplicate keys, error positions, multi-document streams and the dumper. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/mem.h"
#include "core/yaml.h"

static json_t *load_ok(const char *text) {
    json_t *v = NULL;
    mg_error e;
    int rc = mg_yaml_load(text, strlen(text), "t.yaml", &v, &e);
    if (rc) fail_msg("load failed: %s", e.message);
    assert_non_null(v);
    return v;
}

/* Loads text and compares with the expected JSON (jansson equality: 1 != 1.0). */
static void expect(const char *text, const char *json) {
    json_t *v = load_ok(text);
    json_error_t je;
    json_t *want = json_loads(json, JSON_DECODE_ANY, &je);
    assert_non_null(want);
    if (!json_equal(v, want)) {
        char *got = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        fail_msg("yaml %s\n  got  %s\n  want %s", text, got, json);
    }
    json_decref(v);
    json_decref(want);
}

static void expect_err(const char *text, int code, const char *msg_part) {
    json_t *v = (json_t *)1;
    mg_error e;
    int rc = mg_yaml_load(text, strlen(text), "t.yaml", &v, &e);
    assert_int_equal(rc, code);
    assert_int_equal(e.code, code);
    assert_null(v);
    if (!strstr(e.message, msg_part)) fail_msg("message %s lacks %s", e.message, msg_part);
}

static void test_core_schema(void **state) {
    (void)state;
    expect("a: ~\nb: null\nc: Null\nd: NULL\ne:\n",
           "{\"a\":null,\"b\":null,\"c\":null,\"d\":null,\"e\":null}");
    expect("[true, True, TRUE, false, False, FALSE]", "[true,true,true,false,false,false]");
    expect("[yes, no, on, off, y, n]", "[\"yes\",\"no\",\"on\",\"off\",\"y\",\"n\"]");
    expect("[0, -12, +7, 0o17, 0x1F, 0xff]", "[0,-12,7,15,31,255]");
    expect("[1.5, -0.25, .5, 1e3, 2.5E-1, 3.]", "[1.5,-0.25,0.5,1000.0,0.25,3.0]");
    expect("[.inf, -.Inf, .NaN]", "[\".inf\",\"-.Inf\",\".NaN\"]");
    expect("[9223372036854775807, -9223372036854775808]", "[9223372036854775807,-9223372036854775808]");
    expect("[99999999999999999999]", "[1e20]");
    expect("[0b101, 1_000, 12:30, 0x, 1e, 0o8, 2001-12-14]",
           "[\"0b101\",\"1_000\",\"12:30\",\"0x\",\"1e\",\"0o8\",\"2001-12-14\"]");
    expect("[hello world, 'it''s', \"a\\tb\", \"\\u00e9\"]",
           "[\"hello world\",\"it's\",\"a\\tb\",\"\\u00e9\"]");
}

static void test_quoted_stay_strings(void **state) {
    (void)state;
    expect("a: 'true'\nb: \"123\"\nc: 'null'\nd: \"\"\ne: '1.5'\n",
           "{\"a\":\"true\",\"b\":\"123\",\"c\":\"null\",\"d\":\"\",\"e\":\"1.5\"}");
    expect("s: |\n  line1\n  line2\nf: >\n  folded\n  text\n",
           "{\"s\":\"line1\\nline2\\n\",\"f\":\"folded text\\n\"}");
    expect("b: |-\n  123\n", "{\"b\":\"123\"}");
}

static void test_tags(void **state) {
    (void)state;
    expect("[!!str 123, !!int \"42\", !!float 1, !!bool 'true', !!null '', ! 12]",
           "[\"123\",42,1.0,true,null,\"12\"]");
    expect("x: !custom 5\n", "{\"x\":5}");
    expect_err("x: !!int abc\n", MG_EPARSE, "t.yaml:1:4: value does not match its tag");
}

static void test_nested_and_keys(void **state) {
    (void)state;
    expect("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: {app: web, tier: \"1\"}\n"
           "data:\n  k: v\nitems:\n- a\n- - b\n  - c\n- {}\n- []\n",
           "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\",\"labels\":{\"app\":"
           "\"web\",\"tier\":\"1\"}},\"data\":{\"k\":\"v\"},\"items\":[\"a\",[\"b\",\"c\"],{},[]]}");
    /* non-string scalar keys become their text */
    expect("1: a\ntrue: b\n~: c\n", "{\"1\":\"a\",\"true\":\"b\",\"~\":\"c\"}");
    /* key order is kept */
    json_t *v = load_ok("z: 1\na: 2\nm: 3\n");
    const char *order[] = {"z", "a", "m"};
    int i = 0;
    const char *k;
    json_t *c;
    json_object_foreach(v, k, c) assert_string_equal(k, order[i++]);
    json_decref(v);
}

static void test_errors(void **state) {
    (void)state;
    expect_err("a: 1\nb: 2\na: 3\n", MG_EPARSE, "t.yaml:3:1: duplicate key \"a\"");
    expect_err("m:\n  x: 1\n  'x': 2\n", MG_EPARSE, "t.yaml:3:3: duplicate key \"x\"");
    expect_err("? [a, b]\n: c\n", MG_EPARSE, "mapping keys must be scalars");
    expect_err("a: [1, 2\n", MG_EPARSE, "t.yaml:");
    expect_err("a: b: c\n", MG_EPARSE, "t.yaml:1:5");
    expect_err("a: *nope\n", MG_EPARSE, "t.yaml:1:4: unknown alias \"nope\"");
    expect_err("\tkey: 1\n", MG_EPARSE, "t.yaml:1:1");
    mg_error e;
    json_t *v;
    assert_int_equal(mg_yaml_load_file("/nonexistent/x.yaml", &v, &e), MG_EIO);
    assert_non_null(strstr(e.message, "/nonexistent/x.yaml"));
}

static void test_anchors(void **state) {
    (void)state;
    expect("base: &b {cpu: 1, mem: 2}\nuse: *b\nlist: [&s hi, *s]\n",
           "{\"base\":{\"cpu\":1,\"mem\":2},\"use\":{\"cpu\":1,\"mem\":2},\"list\":[\"hi\",\"hi\"]}");
    /* merge keys: explicit keys win, earlier merges win over later ones */
    expect("a: &a {x: 1, y: 2}\nb: &b {y: 3, z: 4}\nc:\n  <<: [*a, *b]\n  x: 9\n",
           "{\"a\":{\"x\":1,\"y\":2},\"b\":{\"y\":3,\"z\":4},\"c\":{\"x\":9,\"y\":2,\"z\":4}}");
    expect("a: &a {x: 1}\nc:\n  x: 0\n  <<: *a\n", "{\"a\":{\"x\":1},\"c\":{\"x\":0}}");
    expect("'<<': 1\n", "{\"<<\":1}");
    /* aliases are copies: changing one does not change the other */
    json_t *v = load_ok("a: &x {k: 1}\nb: *x\n");
    json_object_set_new(json_object_get(v, "a"), "k", json_integer(2));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(v, "b"), "k")), 1);
    json_decref(v);
}

static void test_alias_bomb(void **state) {
    (void)state;
    const char *bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n"
                       "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                       "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                       "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                       "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                       "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                       "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
                       "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n";
    expect_err(bomb, MG_ETOOBIG, "aliases expand to too many nodes");
    /* deep nesting is refused, not a stack overflow */
    size_t n = 2000;
    char *deep = mg_xmalloc(2 * n + 1);
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    deep[2 * n] = '\0';
    expect_err(deep, MG_ETOOBIG, "nesting too deep");
    free(deep);
}

static void test_multi_document(void **state) {
    (void)state;
    const char *text = "---\na: 1\n---\n# only a comment\n---\n- x\n...\n---\nb: &r 2\nc: *r\n";
    json_t *docs = NULL;
    mg_error e;
    assert_int_equal(mg_yaml_load_all(text, strlen(text), "m.yaml", &docs, &e), 0);
    assert_int_equal(json_array_size(docs), 3);
    char *s = json_dumps(docs, JSON_COMPACT);
    assert_string_equal(s, "[{\"a\":1},[\"x\"],{\"b\":2,\"c\":2}]");
    free(s);
    json_decref(docs);
    /* anchors do not cross documents */
    const char *t2 = "a: &x 1\n---\nb: *x\n";
    assert_int_equal(mg_yaml_load_all(t2, strlen(t2), "m.yaml", &docs, &e), MG_EPARSE);
    assert_non_null(strstr(e.message, "m.yaml:3:4: unknown alias"));
    /* mg_yaml_load takes the first document only; empty input is null */
    json_t *v = load_ok("a: 1\n---\nb: 2\n");
    assert_true(json_is_object(v) && json_object_size(v) == 1);
    json_decref(v);
    v = load_ok("");
    assert_true(json_is_null(v));
    json_decref(v);
    assert_int_equal(mg_yaml_load_all("", 0, "e", &docs, &e), 0);
    assert_int_equal(json_array_size(docs), 0);
    json_decref(docs);
    /* error in a later document names its line */
    const char *t3 = "a: 1\n---\nb: 1\nb: 2\n";
    assert_int_equal(mg_yaml_load_all(t3, strlen(t3), "m.yaml", &docs, &e), MG_EPARSE);
    assert_non_null(strstr(e.message, "m.yaml:4:1: duplicate key"));
}

static void test_files(void **state) {
    (void)state;
    char path[] = "/tmp/mg-yaml-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "kind: A\n---\nkind: B\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    json_t *v;
    mg_error e;
    assert_int_equal(mg_yaml_load_file(path, &v, &e), 0);
    assert_string_equal(json_string_value(json_object_get(v, "kind")), "A");
    json_decref(v);
    FILE *f = fopen(path, "w");
    fputs("a: 1\n  b: 2\n", f);
    fclose(f);
    assert_int_equal(mg_yaml_load_file(path, &v, &e), MG_EPARSE);
    char want[64];
    snprintf(want, sizeof(want), "%s:2:", path);
    assert_non_null(strstr(e.message, want));
    unlink(path);
}

static void roundtrip(const char *json) {
    json_error_t je;
    json_t *v = json_loads(json, JSON_DECODE_ANY, &je);
    assert_non_null(v);
    char *y = mg_yaml_dump(v);
    assert_non_null(y);
    json_t *back = NULL;
    mg_error e;
    if (mg_yaml_load(y, strlen(y), "dump", &back, &e)) fail_msg("reload failed: %s\n%s", e.message, y);
    if (!json_equal(v, back)) {
        char *got = json_dumps(back, JSON_ENCODE_ANY | JSON_COMPACT);
        fail_msg("roundtrip of %s gave %s via\n%s", json, got, y);
    }
    free(y);
    json_decref(v);
    json_decref(back);
}

static void test_dump(void **state) {
    (void)state;
    json_t *v = json_pack("{s:s,s:{s:s,s:i},s:[s,b,n,f]}", "apiVersion", "v1", "metadata", "name", "x",
                          "generation", 3, "list", "a", 1, 1.5);
    char *y = mg_yaml_dump(v);
    assert_string_equal(y,
                        "apiVersion: v1\nmetadata:\n  name: x\n  generation: 3\nlist:\n- a\n- true\n- null\n"
                        "- 1.5\n");
    free(y);
    json_decref(v);
    roundtrip(
        "{\"s\":[\"true\",\"123\",\"null\",\"\",\"~\",\"1.5\",\"yes\",\"no\",\"0x10\",\".inf\",\"<<\","
        "\"-\",\"a: b\",\"#c\",\"- x\",\"multi\\nline\\n\",\"trail \",\" lead\",\"\\u00e9t\\u00e9\","
        "\"tab\\there\",\"cr\\r\\n\",\"*x\",\"&y\",\"!z\",\"'q'\",\"\\\"dq\\\"\",\"%p\",\"@a\",\"`b\"]}");
    roundtrip("{\"empty\":{},\"arr\":[],\"n\":[0,-1,9223372036854775807,0.1,1e300,-2.5,1.0],"
              "\"deep\":[[[{\"a\":[{}]}]]],\"123\":\"key\",\"true\":1}");
    roundtrip("\"scalar\"");
    roundtrip("[]");
    roundtrip("42");
}

int main(void) {
    mg_mem_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_core_schema), cmocka_unit_test(test_quoted_stay_strings),
        cmocka_unit_test(test_tags),        cmocka_unit_test(test_nested_and_keys),
        cmocka_unit_test(test_errors),      cmocka_unit_test(test_anchors),
        cmocka_unit_test(test_alias_bomb),  cmocka_unit_test(test_multi_document),
        cmocka_unit_test(test_files),       cmocka_unit_test(test_dump),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
