/* Unit tests for k8s/informer: stripping, watch event parsing (recorded kube-apiserver 1.28
 * events and broken ones), the relist diff, and (when the scripted responder can run) a real
 * informer over HTTPS through pages, split chunks, 410s, 429/500 and reconnects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/mem.h"
#include "k8s/informer.h"
#include "responder_support.h"

#define FIXTURES "tests/fixtures/k8s-1.28/watch/"

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

/* ---------------------------------------------------------------- informer over HTTPS */

static rs_responder R;

/* Installs a script (steals it) and empties the request log. */
static void script(json_t *rules) {
    char *text = json_dumps(rules, JSON_INDENT(1));
    json_decref(rules);
    rs_clear_log(&R);
    rs_write_text(R.script, text);
    free(text);
}

static json_t *requests(void) { return rs_requests(&R, false); }

static int group_setup(void **state) {
    (void)state;
    return rs_start(&R, "/tmp/mg-informer-XXXXXX", NULL);
}

static int group_teardown(void **state) {
    (void)state;
    return rs_stop(&R);
}

static mg_client *new_client(void) {
    mg_rest_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.server = mg_xasprintf("https://127.0.0.1:%d", R.port);
    cfg.ca_pem = R.ca;
    cfg.ca_pem_len = R.ca_len;
    mg_client *c = NULL;
    mg_error e;
    assert_int_equal(mg_client_new(&cfg, &c, &e), 0);
    free(cfg.server);
    return c;
}

/* A ConfigMap as the server sends it: with managedFields; list items without kind. */
static json_t *cm(const char *name, const char *rv, bool typed) {
    json_t *o =
        json_pack("{s:{s:s, s:s, s:s, s:[{s:s}]}, s:{s:s}}", "metadata", "name", name, "namespace", "ns",
                  "resourceVersion", rv, "managedFields", "manager", "kubectl", "data", "rv", rv);
    if (typed) {
        json_object_set_new(o, "apiVersion", json_string("v1"));
        json_object_set_new(o, "kind", json_string("ConfigMap"));
    }
    return o;
}

static json_t *list_body(const char *rv, const char *cont, json_t *items) {
    json_t *md = json_pack("{s:s}", "resourceVersion", rv);
    if (cont) json_object_set_new(md, "continue", json_string(cont));
    return json_pack("{s:s, s:s, s:o, s:o}", "kind", "ConfigMapList", "apiVersion", "v1", "metadata", md,
                     "items", items);
}

static char *event_line(const char *type, json_t *obj) {
    json_t *ev = json_pack("{s:s, s:o}", "type", type, "object", obj);
    char *s = json_dumps(ev, JSON_COMPACT);
    json_decref(ev);
    char *line = mg_xasprintf("%s\n", s);
    free(s);
    return line;
}

static json_t *bookmark(const char *rv) {
    return json_pack("{s:s, s:s, s:{s:s}}", "kind", "ConfigMap", "apiVersion", "v1", "metadata",
                     "resourceVersion", rv);
}

static json_t *status410(void) {
    return json_pack("{s:s, s:s, s:{}, s:s, s:s, s:s, s:i}", "kind", "Status", "apiVersion", "v1", "metadata",
                     "status", "Failure", "message", "too old resource version: 10 (40)", "reason", "Expired",
                     "code", 410);
}

/* Splits text into chunks at the given offsets (so events straddle chunk boundaries). */
static json_t *chunks(const char *text, const size_t *cuts, size_t ncuts) {
    json_t *arr = json_array();
    size_t len = strlen(text), at = 0;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t to = i < ncuts && cuts[i] < len ? cuts[i] : len;
        if (to <= at) continue;
        json_array_append_new(arr, json_pack("{s:s%}", "data", text + at, to - at));
        at = to;
    }
    if (at < len) json_array_append_new(arr, json_pack("{s:s}", "data", text + at));
    return arr;
}

static json_t *rule(const char *path_re, int times) {
    return json_pack("{s:s, s:s, s:i}", "method", "GET", "path", path_re, "times", times);
}

#define LIST_FIRST "^/api/v1/namespaces/ns/configmaps\\?limit=2$"
#define WATCH_RV(rv)                                                                                         \
    "^/api/v1/namespaces/ns/configmaps\\?watch=1&resourceVersion=" rv                                        \
    "&allowWatchBookmarks=true&timeoutSeconds="

typedef struct record {
    pthread_mutex_t mu;
    json_t *log; /* array of strings "add ns/a 1" */
    mg_store *store;
    long consistency_errors;
    pthread_t first_thread; /* the thread of the first handler call: the informer's */
    bool have_first_thread;
    long other_thread_calls; /* handler calls on any other thread */
} record;

/* Handlers must all run on the informer's one thread. */
static void check_thread(record *r) {
    pthread_mutex_lock(&r->mu);
    if (!r->have_first_thread) {
        r->first_thread = pthread_self();
        r->have_first_thread = true;
    } else if (!pthread_equal(r->first_thread, pthread_self())) {
        r->other_thread_calls++;
    }
    pthread_mutex_unlock(&r->mu);
}

static const char *rv_str(const json_t *o) {
    const char *rv = json_string_value(json_object_get(json_object_get(o, "metadata"), "resourceVersion"));
    return rv ? rv : "?";
}

static void note(record *r, char *line) {
    pthread_mutex_lock(&r->mu);
    json_array_append_new(r->log, json_string(line));
    pthread_mutex_unlock(&r->mu);
    free(line);
}

/* Handlers also check that they do not run under the store lock (a read here would deadlock)
 * and that the store already holds the new state. */
static void h_add(const json_t *obj, void *ud) {
    record *r = ud;
    check_thread(r);
    char key[256];
    mg_store_key_of(obj, key, sizeof(key));
    json_t *now = mg_store_get(r->store, key);
    if (!now || strcmp(rv_str(now), rv_str(obj))) r->consistency_errors++;
    if (json_object_get(json_object_get(obj, "metadata"), "managedFields")) r->consistency_errors++;
    if (!json_object_get(obj, "kind")) r->consistency_errors++;
    json_decref(now);
    note(r, mg_xasprintf("add %s %s", key, rv_str(obj)));
}
static void h_update(const json_t *old, const json_t *obj, void *ud) {
    record *r = ud;
    check_thread(r);
    char key[256];
    mg_store_key_of(obj, key, sizeof(key));
    json_t *now = mg_store_get(r->store, key);
    if (!now || strcmp(rv_str(now), rv_str(obj))) r->consistency_errors++;
    json_decref(now);
    if (old == obj)
        note(r, mg_xasprintf("resync %s %s", key, rv_str(obj)));
    else
        note(r, mg_xasprintf("update %s %s->%s", key, rv_str(old), rv_str(obj)));
}
static void h_delete(const json_t *obj, void *ud) {
    record *r = ud;
    check_thread(r);
    char key[256];
    mg_store_key_of(obj, key, sizeof(key));
    json_t *now = mg_store_get(r->store, key);
    if (now) r->consistency_errors++;
    json_decref(now);
    note(r, mg_xasprintf("delete %s %s", key, rv_str(obj)));
}

static size_t log_len(record *r) {
    pthread_mutex_lock(&r->mu);
    size_t n = json_array_size(r->log);
    pthread_mutex_unlock(&r->mu);
    return n;
}

/* Waits (bounded, so a broken informer fails instead of hanging) until cond holds. */
#define WAIT_FOR(cond)                                                                                       \
    do {                                                                                                     \
        int64_t until_ = mg_clock_mono_ms() + 30000;                                                         \
        while (!(cond) && mg_clock_mono_ms() < until_)                                                       \
            mg_sleep_ms(10);                                                                                 \
        if (!(cond)) fail_msg("timed out waiting for %s", #cond);                                            \
    } while (0)

static bool requested(const char *needle) {
    json_t *reqs = requests();
    size_t i;
    json_t *r;
    bool found = false;
    json_array_foreach(reqs, i, r) {
        if (strstr(json_string_value(json_object_get(r, "path")), needle)) found = true;
    }
    json_decref(reqs);
    return found;
}

static void run_scenario(bool compact) {
    json_t *rules = json_array();
    json_t *r;
    /* 1-4: first list; the continue token expires (410) on page 2, so the list starts over */
    r = rule(LIST_FIRST, 1);
    json_object_set_new(r, "body",
                        list_body("10", "c1", json_pack("[o, o]", cm("a", "1", false), cm("b", "2", false))));
    json_array_append_new(rules, r);
    r = rule("^/api/v1/namespaces/ns/configmaps\\?limit=2&continue=c1$", 1);
    json_object_set_new(r, "status", json_integer(410));
    json_object_set_new(r, "body", status410());
    json_array_append_new(rules, r);
    r = rule(LIST_FIRST, 1);
    json_object_set_new(r, "body",
                        list_body("10", "c2", json_pack("[o, o]", cm("a", "1", false), cm("b", "2", false))));
    json_array_append_new(rules, r);
    r = rule("^/api/v1/namespaces/ns/configmaps\\?limit=2&continue=c2$", 1);
    json_object_set_new(r, "body", list_body("10", NULL, json_pack("[o]", cm("c", "3", false))));
    json_array_append_new(rules, r);
    /* 5: watch from 10: add d, modify a, delete b, bookmark 20, split anywhere; clean end */
    char *e1 = event_line("ADDED", cm("d", "11", true));
    char *e2 = event_line("MODIFIED", cm("a", "12", true));
    char *e3 = event_line("DELETED", cm("b", "13", true));
    char *e4 = event_line("BOOKMARK", bookmark("20"));
    char *all = mg_xasprintf("%s%s%s%s", e1, e2, e3, e4);
    size_t cuts[] = {1, 7, strlen(e1) - 1, strlen(e1), strlen(e1) + 1, strlen(e1) + 40, strlen(all) - 2};
    r = rule(WATCH_RV("10"), 1);
    json_object_set_new(r, "chunks", chunks(all, cuts, sizeof(cuts) / sizeof(cuts[0])));
    json_array_append_new(rules, r);
    free(e1), free(e2), free(e3), free(e4), free(all);
    /* 6-8: from 20: a 500, a 429, then modify c and an ERROR 410 event */
    r = rule(WATCH_RV("20"), 1);
    json_object_set_new(r, "status", json_integer(500));
    json_object_set_new(r, "body",
                        json_pack("{s:s, s:i, s:s}", "kind", "Status", "code", 500, "message", "boom"));
    json_array_append_new(rules, r);
    r = rule(WATCH_RV("20"), 1);
    json_object_set_new(r, "status", json_integer(429));
    json_object_set_new(r, "headers", json_pack("{s:s}", "Retry-After", "1"));
    json_object_set_new(r, "body",
                        json_pack("{s:s, s:i, s:s}", "kind", "Status", "code", 429, "message", "slow down"));
    json_array_append_new(rules, r);
    e1 = event_line("MODIFIED", cm("c", "21", true));
    e2 = event_line("ERROR", status410());
    all = mg_xasprintf("%s%s", e1, e2);
    size_t cuts2[] = {strlen(e1) + 5};
    r = rule(WATCH_RV("20"), 1);
    json_object_set_new(r, "chunks", chunks(all, cuts2, 1));
    json_object_set_new(r, "hold_ms", json_integer(5000)); /* the client must end it itself */
    json_array_append_new(rules, r);
    free(e1), free(e2), free(all);
    /* 9: relist: a unchanged, c changed, d gone, e new */
    r = rule(LIST_FIRST, 1);
    json_object_set_new(
        r, "body",
        list_body("30", NULL,
                  json_pack("[o, o, o]", cm("a", "12", false), cm("c", "25", false), cm("e", "30", false))));
    json_array_append_new(rules, r);
    /* 10-11: HTTP 410 on the watch → relist with no differences */
    r = rule(WATCH_RV("30"), 1);
    json_object_set_new(r, "status", json_integer(410));
    json_object_set_new(r, "body", status410());
    json_array_append_new(rules, r);
    r = rule(LIST_FIRST, 1);
    json_object_set_new(
        r, "body",
        list_body("31", NULL,
                  json_pack("[o, o, o]", cm("a", "12", false), cm("c", "25", false), cm("e", "30", false))));
    json_array_append_new(rules, r);
    /* 12: add f, then the connection drops mid-line */
    e1 = event_line("ADDED", cm("f", "32", true));
    all = mg_xasprintf("%s{\"type\":\"MODIF", e1);
    r = rule(WATCH_RV("31"), 1);
    json_object_set_new(r, "chunks", chunks(all, NULL, 0));
    json_object_set_new(r, "close", json_true());
    json_array_append_new(rules, r);
    free(e1), free(all);
    /* 13: resumed from the last resourceVersion; stays open */
    r = rule(WATCH_RV("32"), 0);
    json_object_del(r, "times");
    json_object_set_new(r, "chunks", json_array());
    json_object_set_new(r, "hold_ms", json_integer(60000));
    json_array_append_new(rules, r);
    script(rules);

    mg_client *c = new_client();
    mg_gvr gvr = {"", "v1", "configmaps", true};
    record rec = {.log = json_array()};
    pthread_mutex_init(&rec.mu, NULL);
    mg_informer_handlers h = {.on_add = h_add, .on_update = h_update, .on_delete = h_delete, .ud = &rec};
    mg_informer_opts o = {.namespace = "ns", .page_size = 2, .backoff_base_ms = 20, .compact_store = compact};
    mg_informer *inf = mg_informer_new(c, &gvr, &o, &h);
    rec.store = mg_informer_store(inf);
    assert_false(mg_informer_has_synced(inf));
    mg_error err;
    assert_int_equal(mg_informer_start(inf, &err), 0);
    assert_true(mg_informer_wait_synced(inf, 30000));
    assert_true(mg_informer_has_synced(inf));
    WAIT_FOR(log_len(&rec) >= 11 && requested("resourceVersion=32"));

    const char *want[] = {"add ns/a 1",        "add ns/b 2",     "add ns/c 3",        "add ns/d 11",
                          "update ns/a 1->12", "delete ns/b 13", "update ns/c 3->21", "update ns/c 21->25",
                          "add ns/e 30",       "delete ns/d 11", "add ns/f 32"};
    pthread_mutex_lock(&rec.mu);
    size_t n = json_array_size(rec.log);
    bool same = n == sizeof(want) / sizeof(want[0]);
    for (size_t i = 0; same && i < n; i++)
        same = !strcmp(json_string_value(json_array_get(rec.log, i)), want[i]);
    if (!same) {
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, "  got %zu: %s\n", i, json_string_value(json_array_get(rec.log, i)));
        fail_msg("handler calls differ from the expected sequence");
    }
    pthread_mutex_unlock(&rec.mu);
    assert_int_equal(rec.consistency_errors, 0);

    /* the cache converged: a, c, e, f with their latest versions, stripped and typed */
    mg_store *st = mg_informer_store(inf);
    json_t *keys = mg_store_keys(st);
    assert_int_equal(json_array_size(keys), 4);
    json_decref(keys);
    const char *final[][2] = {{"ns/a", "12"}, {"ns/c", "25"}, {"ns/e", "30"}, {"ns/f", "32"}};
    for (int i = 0; i < 4; i++) {
        json_t *obj = mg_store_get(st, final[i][0]);
        assert_non_null(obj);
        assert_string_equal(rv_str(obj), final[i][1]);
        assert_null(json_object_get(json_object_get(obj, "metadata"), "managedFields"));
        assert_string_equal(json_string_value(json_object_get(obj, "kind")), "ConfigMap");
        assert_string_equal(json_string_value(json_object_get(obj, "apiVersion")), "v1");
        json_decref(obj);
    }
    char *rv = mg_informer_last_rv(inf);
    assert_string_equal(rv, "32");
    free(rv);
    /* list 1 (restarted after the expired continue token) + relist after ERROR 410 + relist
     * after HTTP 410; watches from 10, 20 (500), 20 (429), 20, 30 (410), 31, 32 */
    assert_int_equal(mg_informer_relists(inf), 2);
    assert_int_equal(mg_informer_watch_restarts(inf), 6);

    /* requests: pages with limit and continue; watches with bookmarks from the right versions */
    json_t *reqs = requests();
    const char *order[] = {"limit=2",
                           "continue=c1",
                           "limit=2",
                           "continue=c2",
                           "resourceVersion=10",
                           "resourceVersion=20",
                           "resourceVersion=20",
                           "resourceVersion=20",
                           "limit=2",
                           "resourceVersion=30",
                           "limit=2",
                           "resourceVersion=31",
                           "resourceVersion=32"};
    assert_true(json_array_size(reqs) >= sizeof(order) / sizeof(order[0]));
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        const char *path = json_string_value(json_object_get(json_array_get(reqs, i), "path"));
        if (!strstr(path, order[i])) fail_msg("request %zu is %s, wanted %s", i, path, order[i]);
        if (strstr(path, "watch=1") && !strstr(path, "allowWatchBookmarks=true"))
            fail_msg("no bookmarks: %s", path);
    }
    json_decref(reqs);

    mg_informer_free(inf); /* ends the open (held) watch */
    mg_client_free(c);
    json_decref(rec.log);
    pthread_mutex_destroy(&rec.mu);
}

static void test_informer_scenario_tree(void **state) {
    (void)state;
    run_scenario(false);
}

static void test_informer_scenario_compact(void **state) {
    (void)state;
    run_scenario(true);
}

/* A transform that keeps a copy with one extra label (what the cache should hold). */
static json_t *add_label(json_t *obj, void *ud) {
    (void)ud;
    json_t *copy = json_deep_copy(obj);
    json_t *md = json_object_get(copy, "metadata");
    json_object_set_new(md, "labels", json_pack("{s:s}", "transformed", "yes"));
    return copy;
}

/* A stream that goes silent is ended by the watchdog and resumed from the last version
 * (no relist); resync delivers on_update(obj, obj) on the informer thread while the one watch
 * stays open. */
static void stall_or_resync(bool resync) {
    /* each variant its own version, so that a request of the other still on its way to the
     * responder's log is not counted here */
    const char *v = resync ? "51" : "50";
    json_t *rules = json_array();
    json_t *r = rule(LIST_FIRST, 0);
    json_object_del(r, "times");
    json_object_set_new(r, "body", list_body(v, NULL, json_pack("[o]", cm("s", v, false))));
    json_array_append_new(rules, r);
    r = rule(resync ? WATCH_RV("51") : WATCH_RV("50"), 0);
    json_object_del(r, "times");
    json_object_set_new(r, "chunks", json_array());
    json_object_set_new(r, "hold_ms", json_integer(60000));
    json_array_append_new(rules, r);
    script(rules);

    mg_client *c = new_client();
    mg_gvr gvr = {"", "v1", "configmaps", true};
    record rec = {.log = json_array()};
    pthread_mutex_init(&rec.mu, NULL);
    mg_informer_handlers h = {.on_add = h_add, .on_update = h_update, .on_delete = h_delete, .ud = &rec};
    mg_informer_opts o = {.namespace = "ns",
                          .page_size = 2,
                          .backoff_base_ms = 20,
                          .stall_timeout_ms = resync ? 600000 : 300,
                          .resync_ms = resync ? 200 : 0,
                          .transform = resync ? add_label : NULL};
    mg_informer *inf = mg_informer_new(c, &gvr, &o, &h);
    rec.store = mg_informer_store(inf);
    mg_error err;
    assert_int_equal(mg_informer_start(inf, &err), 0);
    if (resync) {
        WAIT_FOR(log_len(&rec) >= 3);
        pthread_mutex_lock(&rec.mu);
        assert_string_equal(json_string_value(json_array_get(rec.log, 0)), "add ns/s 51");
        assert_string_equal(json_string_value(json_array_get(rec.log, 1)), "resync ns/s 51");
        assert_string_equal(json_string_value(json_array_get(rec.log, 2)), "resync ns/s 51");
        pthread_mutex_unlock(&rec.mu);
        /* resyncs run inside the open watch, on the informer thread: the watch is neither
         * ended nor restarted */
        assert_int_equal(mg_informer_watch_restarts(inf), 0);
        assert_int_equal(rec.other_thread_calls, 0);
    } else {
        WAIT_FOR(mg_informer_watch_restarts(inf) >= 2);
        assert_int_equal(log_len(&rec), 1); /* no relist, no repeated add */
    }
    assert_int_equal(mg_informer_relists(inf), 0);
    json_t *cached = mg_store_get(mg_informer_store(inf), "ns/s");
    assert_non_null(cached);
    const char *label = json_string_value(
        json_object_get(json_object_get(json_object_get(cached, "metadata"), "labels"), "transformed"));
    if (resync)
        assert_string_equal(label, "yes"); /* the transform's copy is what is cached */
    else
        assert_null(label);
    json_decref(cached);
    mg_informer_free(inf);
    mg_client_free(c);
    assert_int_equal(rec.consistency_errors, 0);
    json_decref(rec.log);
    pthread_mutex_destroy(&rec.mu);
    /* every watch resumed from the list's version */
    json_t *reqs = requests();
    size_t i;
    json_t *q;
    size_t watches = 0;
    json_array_foreach(reqs, i, q) {
        const char *path = json_string_value(json_object_get(q, "path"));
        if (!strstr(path, "watch=1")) continue;
        /* the other variant's request may still reach the log late: it has the other version */
        if (!strstr(path, "resourceVersion=50&") && !strstr(path, "resourceVersion=51&"))
            fail_msg("a watch not resumed from the list's version: %s", path);
        char want[32];
        snprintf(want, sizeof want, "resourceVersion=%s&", v);
        if (strstr(path, want)) watches++;
    }
    assert_true(resync ? watches == 1 : watches >= 2); /* the last one may not be logged yet */
    json_decref(reqs);
}

static void test_informer_stall_watchdog(void **state) {
    (void)state;
    stall_or_resync(false);
}

static void test_informer_resync(void **state) {
    (void)state;
    stall_or_resync(true);
}

/* One odd object must not blind the cache: a LIST page holding an object nested deeper than any
 * tree can hold, one with a NUL in a key and one with a number beyond double is read around them
 * (NUL characters in strings and integers beyond int64 are read); a watch event with such an
 * object is skipped without ending the stream; each skip is counted. */
static void test_informer_odd_objects(void **state) {
    (void)state;
    size_t deep = 3000;
    char *nest = mg_xmalloc(2 * deep + 1);
    memset(nest, '[', deep);
    memset(nest + deep, ']', deep);
    nest[2 * deep] = '\0';
    char *page = mg_xasprintf(
        "{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"60\"},"
        "\"items\":["
        "{\"metadata\":{\"name\":\"a\",\"namespace\":\"ns\",\"resourceVersion\":\"51\"},\"data\":{\"x\":"
        "\"1\\u00002\"}},"
        "{\"metadata\":{\"name\":\"deep\",\"namespace\":\"ns\",\"resourceVersion\":\"52\"},\"data\":%s},"
        "{\"metadata\":{\"name\":\"nulkey\",\"namespace\":\"ns\",\"resourceVersion\":\"53\"},\"data\":{"
        "\"\\u0000\":\"\"}},"
        "{\"metadata\":{\"name\":\"huge\",\"namespace\":\"ns\",\"resourceVersion\":\"54\"},\"n\":1e400},"
        "{\"metadata\":{\"namespace\":\"ns\",\"resourceVersion\":\"55\"}},"
        "{\"metadata\":{\"name\":\"b\",\"namespace\":\"ns\",\"resourceVersion\":\"56\"},\"n\":"
        "99999999999999999999}]}",
        nest);
    char *events =
        mg_xasprintf("{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"a\",\"namespace\":\"ns\","
                     "\"resourceVersion\":\"61\"},\"data\":%s}}\n"
                     "{\"type\":\"ADDED\",\"object\":{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\","
                     "\"metadata\":{\"name\":\"c\",\"namespace\":\"ns\",\"resourceVersion\":\"62\"}}}\n",
                     nest);
    json_t *rules = json_array();
    json_t *r = rule(LIST_FIRST, 0);
    json_object_del(r, "times");
    json_object_set_new(r, "body", json_string(page));
    json_array_append_new(rules, r);
    r = rule(WATCH_RV("60"), 1);
    json_object_set_new(r, "chunks", chunks(events, NULL, 0));
    json_object_set_new(r, "hold_ms", json_integer(60000));
    json_array_append_new(rules, r);
    script(rules);
    free(page);
    free(events);
    free(nest);

    mg_client *c = new_client();
    mg_gvr gvr = {"", "v1", "configmaps", true};
    record rec = {.log = json_array()};
    pthread_mutex_init(&rec.mu, NULL);
    mg_informer_handlers h = {.on_add = h_add, .on_update = h_update, .on_delete = h_delete, .ud = &rec};
    mg_informer_opts o = {.namespace = "ns", .page_size = 2, .backoff_base_ms = 20, .compact_store = true};
    mg_informer *inf = mg_informer_new(c, &gvr, &o, &h);
    rec.store = mg_informer_store(inf);
    mg_error err;
    assert_int_equal(mg_informer_start(inf, &err), 0);
    assert_true(mg_informer_wait_synced(inf, 30000));
    WAIT_FOR(log_len(&rec) >= 3);
    json_t *keys = mg_store_keys(mg_informer_store(inf));
    assert_int_equal(json_array_size(keys), 3); /* a, b, c */
    json_decref(keys);
    json_t *a = mg_store_get(mg_informer_store(inf), "ns/a");
    assert_int_equal(json_string_length(json_object_get(json_object_get(a, "data"), "x")), 3);
    assert_string_equal(rv_str(a), "51"); /* the odd MODIFIED of a was skipped */
    json_decref(a);
    json_t *b = mg_store_get(mg_informer_store(inf), "ns/b");
    assert_true(json_is_real(json_object_get(b, "n")));
    json_decref(b);
    assert_int_equal(mg_informer_skipped(inf), 5); /* deep, nulkey, huge, nameless; the event */
    assert_int_equal(mg_informer_watch_restarts(inf), 0);
    assert_int_equal(mg_informer_relists(inf), 0);
    mg_informer_free(inf);
    mg_client_free(c);
    assert_int_equal(rec.consistency_errors, 0);
    json_decref(rec.log);
    pthread_mutex_destroy(&rec.mu);
}

int main(void) {
    mg_mem_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strip),
        cmocka_unit_test(test_parse_recorded),
        cmocka_unit_test(test_parse_broken),
        cmocka_unit_test(test_diff),
    };
    const struct CMUnitTest live[] = {
        cmocka_unit_test(test_informer_scenario_tree),  cmocka_unit_test(test_informer_scenario_compact),
        cmocka_unit_test(test_informer_stall_watchdog), cmocka_unit_test(test_informer_resync),
        cmocka_unit_test(test_informer_odd_objects),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    return failed +
           cmocka_run_group_tests_name("informer over HTTPS (responder)", live, group_setup, group_teardown);
}
