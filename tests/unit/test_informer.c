/* Unit tests for k8s/informer: stripping, watch event parsing (recorded kube-apiserver 1.28
 * events and broken ones), the relist diff, and (when the scripted responder can run) a real
 * informer over HTTPS through pages, split chunks, 410s, 429/500 and reconnects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/mem.h"
#include "k8s/informer.h"

#define FIXTURES "tests/unit/fixtures/watch/"

static json_t *obj_rv(const char *ns, const char *name, const char *rv, int gen) {
    return json_pack("{s:s, s:s, s:{s:s, s:s, s:s}, s:{s:i}}", "apiVersion", "v1", "kind", "ConfigMap",
                     "metadata", "namespace", ns, "name", name, "resourceVersion", rv, "spec", "gen", gen);
}

static void test_strip(void **state) {
    (void)state;
    json_t *o = json_loads("{\"metadata\":{\"name\":\"a\",\"managedFields\":[{\"manager\":\"kubectl\"}],"
                           "\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":\"{}\","
                           "\"keep\":\"me\"}},\"spec\":{\"x\":1}}",
                           0, NULL);
    mg_k8s_strip(o);
    json_t *want = json_loads(
        "{\"metadata\":{\"name\":\"a\",\"annotations\":{\"keep\":\"me\"}},\"spec\":{\"x\":1}}", 0, NULL);
    assert_true(json_equal(o, want));
    json_decref(o);
    json_decref(want);
    /* the annotations object goes when only last-applied was in it */
    o = json_loads("{\"metadata\":{\"name\":\"a\",\"annotations\":{\"kubectl.kubernetes.io/"
                   "last-applied-configuration\":\"{}\"}}}",
                   0, NULL);
    mg_k8s_strip(o);
    assert_null(json_object_get(json_object_get(o, "metadata"), "annotations"));
    json_decref(o);
    /* nothing to strip, or no metadata: untouched */
    o = json_loads("{\"kind\":\"X\"}", 0, NULL);
    mg_k8s_strip(o);
    assert_int_equal(json_object_size(o), 1);
    json_decref(o);
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = mg_xmalloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void test_parse_recorded(void **state) {
    (void)state;
    size_t len;
    char *text = read_file(FIXTURES "watch-bookmarks.jsonl", &len);
    mg_watch_event_type want[] = {MG_WATCH_ADDED, MG_WATCH_MODIFIED, MG_WATCH_DELETED, MG_WATCH_BOOKMARK,
                                  MG_WATCH_BOOKMARK};
    int n = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        mg_watch_event ev;
        mg_error err;
        assert_int_equal(mg_watch_event_parse(line, strlen(line), &ev, &err), 0);
        assert_true(n < 5);
        assert_int_equal(ev.type, want[n]);
        assert_non_null(ev.resource_version);
        if (ev.type == MG_WATCH_BOOKMARK) assert_string_equal(ev.resource_version, "899");
        if (ev.type == MG_WATCH_ADDED) {
            assert_string_equal(
                json_string_value(json_object_get(json_object_get(ev.object, "metadata"), "name")), "fraud");
            /* stripping the real object leaves no managedFields nor last-applied annotation */
            json_t *copy = json_deep_copy(ev.object);
            mg_k8s_strip(copy);
            json_t *md = json_object_get(copy, "metadata");
            assert_null(json_object_get(md, "managedFields"));
            assert_null(json_object_get(json_object_get(md, "annotations"),
                                        "kubectl.kubernetes.io/last-applied-configuration"));
            assert_non_null(json_object_get(md, "uid"));
            json_decref(copy);
        }
        json_decref(ev.object);
        n++;
    }
    assert_int_equal(n, 5);
    free(text);

    text = read_file(FIXTURES "watch-410.jsonl", &len);
    mg_watch_event ev;
    assert_int_equal(mg_watch_event_parse(text, len, &ev, NULL), 0);
    assert_int_equal(ev.type, MG_WATCH_ERROR);
    assert_int_equal(ev.code, 410);
    assert_string_equal(json_string_value(json_object_get(ev.object, "reason")), "Expired");
    json_decref(ev.object);
    free(text);
}

static void test_parse_broken(void **state) {
    (void)state;
    const char *bad[] = {
        "",
        "{",
        "not json",
        "[]",
        "{\"object\":{}}",
        "{\"type\":\"ADDED\"}",
        "{\"type\":\"ADDED\",\"object\":[1]}",
        "{\"type\":\"ADDED\",\"object\":\"x\"}",
        "{\"type\":\"EXPLODED\",\"object\":{}}",
        "{\"type\":7,\"object\":{}}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        mg_watch_event ev;
        mg_error err;
        assert_int_equal(mg_watch_event_parse(bad[i], strlen(bad[i]), &ev, &err), MG_EPARSE);
        assert_null(ev.object);
        assert_true(strlen(err.message) > 0);
    }
    /* an Expired Status without a code still means 410; another ERROR keeps its code */
    mg_watch_event ev;
    const char *exp = "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"reason\":\"Expired\"}}";
    assert_int_equal(mg_watch_event_parse(exp, strlen(exp), &ev, NULL), 0);
    assert_int_equal(ev.code, 410);
    json_decref(ev.object);
    const char *e500 =
        "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":500,\"reason\":\"InternalError\"}}";
    assert_int_equal(mg_watch_event_parse(e500, strlen(e500), &ev, NULL), 0);
    assert_int_equal(ev.type, MG_WATCH_ERROR);
    assert_int_equal(ev.code, 500);
    json_decref(ev.object);
}

static const mg_delta *find_delta(const mg_delta *d, size_t n, const char *key) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(d[i].key, key)) return &d[i];
    return NULL;
}

static void test_diff(void **state) {
    (void)state;
    json_t *cached = json_object();
    json_object_set_new(cached, "ns/a", obj_rv("ns", "a", "1", 1));
    json_object_set_new(cached, "ns/b", obj_rv("ns", "b", "1", 1));
    json_object_set_new(cached, "ns/c", obj_rv("ns", "c", "1", 1));
    json_object_set_new(cached, "other/a", obj_rv("other", "a", "1", 1));
    json_t *listed = json_array();
    json_array_append_new(listed, obj_rv("ns", "b", "5", 2)); /* changed */
    json_array_append_new(listed, obj_rv("ns", "a", "1", 1)); /* same version */
    json_array_append_new(listed, obj_rv("ns", "d", "6", 1)); /* new */
    json_array_append_new(listed, obj_rv("other", "a", "1", 1));
    mg_delta *d;
    size_t n = mg_informer_diff(cached, listed, &d);
    assert_int_equal(n, 3);
    /* list order first, deletes after */
    assert_int_equal(d[0].type, MG_DELTA_UPDATE);
    assert_string_equal(d[0].key, "ns/b");
    assert_ptr_equal(d[0].old_obj, json_object_get(cached, "ns/b"));
    assert_ptr_equal(d[0].new_obj, json_array_get(listed, 0));
    assert_int_equal(d[1].type, MG_DELTA_ADD);
    assert_string_equal(d[1].key, "ns/d");
    assert_null(d[1].old_obj);
    assert_int_equal(d[2].type, MG_DELTA_DELETE);
    assert_string_equal(d[2].key, "ns/c");
    assert_null(d[2].new_obj);
    assert_null(find_delta(d, n, "ns/a"));
    assert_null(find_delta(d, n, "other/a"));
    mg_deltas_free(d, n);

    /* empty cache: everything is an add; empty list: everything is a delete */
    json_t *empty = json_object();
    n = mg_informer_diff(empty, listed, &d);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(d[i].type, MG_DELTA_ADD);
    mg_deltas_free(d, n);
    json_t *none = json_array();
    n = mg_informer_diff(cached, none, &d);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(d[i].type, MG_DELTA_DELETE);
    mg_deltas_free(d, n);

    /* without resourceVersions the content decides */
    json_t *c2 = json_object();
    json_object_set_new(c2, "x", json_pack("{s:{s:s}, s:i}", "metadata", "name", "x", "v", 1));
    json_object_set_new(c2, "y", json_pack("{s:{s:s}, s:i}", "metadata", "name", "y", "v", 1));
    json_t *l2 = json_array();
    json_array_append_new(l2, json_pack("{s:{s:s}, s:i}", "metadata", "name", "x", "v", 1));
    json_array_append_new(l2, json_pack("{s:{s:s}, s:i}", "metadata", "name", "y", "v", 2));
    n = mg_informer_diff(c2, l2, &d);
    assert_int_equal(n, 1);
    assert_string_equal(d[0].key, "y");
    assert_int_equal(d[0].type, MG_DELTA_UPDATE);
    mg_deltas_free(d, n);

    /* against a versions map (what the informer uses): same deltas, no old objects, and an
     * object without resourceVersion always counts as updated */
    json_t *versions = json_object();
    json_object_set_new(versions, "ns/a", json_string("1"));
    json_object_set_new(versions, "ns/b", json_string("1"));
    json_object_set_new(versions, "ns/c", json_string("1"));
    json_object_set_new(versions, "other/a", json_string("1"));
    json_object_set_new(versions, "x", json_string(""));
    n = mg_informer_diff(versions, listed, &d);
    assert_int_equal(n, 4);
    assert_int_equal(d[0].type, MG_DELTA_UPDATE);
    assert_string_equal(d[0].key, "ns/b");
    assert_null(d[0].old_obj);
    assert_int_equal(d[1].type, MG_DELTA_ADD);
    assert_int_equal(d[2].type, MG_DELTA_DELETE);
    assert_string_equal(d[2].key, "ns/c");
    assert_null(d[2].old_obj);
    assert_int_equal(d[3].type, MG_DELTA_DELETE);
    assert_string_equal(d[3].key, "x");
    mg_deltas_free(d, n);

    /* page by page gives the same result as all at once */
    json_t *seen = json_object();
    json_t *p1 = json_array(), *p2 = json_array();
    json_array_append(p1, json_array_get(listed, 0));
    json_array_append(p1, json_array_get(listed, 1));
    json_array_append(p2, json_array_get(listed, 2));
    json_array_append(p2, json_array_get(listed, 3));
    size_t n1 = mg_informer_diff_page(versions, p1, seen, &d);
    assert_int_equal(n1, 1);
    assert_string_equal(d[0].key, "ns/b");
    mg_deltas_free(d, n1);
    size_t n2 = mg_informer_diff_page(versions, p2, seen, &d);
    assert_int_equal(n2, 1);
    assert_string_equal(d[0].key, "ns/d");
    mg_deltas_free(d, n2);
    size_t n3 = mg_informer_diff_deletes(versions, seen, &d);
    assert_int_equal(n3, 2);
    assert_string_equal(d[0].key, "ns/c");
    assert_string_equal(d[1].key, "x");
    mg_deltas_free(d, n3);
    json_decref(seen);
    json_decref(p1);
    json_decref(p2);
    json_decref(versions);

    json_decref(c2);
    json_decref(l2);
    json_decref(none);
    json_decref(empty);
    json_decref(cached);
    json_decref(listed);
}

int main(void) {
    mg_mem_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strip),
        cmocka_unit_test(test_parse_recorded),
        cmocka_unit_test(test_parse_broken),
        cmocka_unit_test(test_diff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
