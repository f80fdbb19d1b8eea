/* Unit tests for k8s/store and k8s/strmap: keys, replace/remove, secondary indexes kept in step
 * with updates and deletes, snapshots, and readers racing a writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "core/mem.h"
#include "k8s/store.h"
#include "k8s/strmap.h"

/* Every store test runs twice: tree mode (shared objects) and compact mode (text, parsed on
 * read). */
static bool g_compact;
static mg_store *new_store(void) { return g_compact ? mg_store_new_compact() : mg_store_new(); }
static int setup_tree(void **state) {
    (void)state;
    g_compact = false;
    return 0;
}
static int setup_compact(void **state) {
    (void)state;
    g_compact = true;
    return 0;
}
/* Same object: the very one in tree mode, an equal copy in compact mode. */
static void assert_same(json_t *got, json_t *want) {
    if (g_compact)
        assert_true(json_equal(got, want));
    else
        assert_ptr_equal(got, want);
}

static json_t *mkobj(const char *ns, const char *name, const char *model, const char *rv) {
    json_t *md = json_pack("{s:s, s:s}", "name", name, "resourceVersion", rv);
    if (ns) json_object_set_new(md, "namespace", json_string(ns));
    return json_pack("{s:s, s:o, s:{s:s, s:[s, s]}}", "kind", "ModelVersion", "metadata", md, "spec", "model",
                     model, "tags", "t1", model);
}

static size_t by_model(const json_t *obj, const char **out, size_t max) {
    const char *m = json_string_value(json_object_get(json_object_get(obj, "spec"), "model"));
    if (!m || !max) return 0;
    out[0] = m;
    return 1;
}

/* Several values per object, with a duplicate the store must file once. */
static size_t by_tag(const json_t *obj, const char **out, size_t max) {
    const json_t *tags = json_object_get(json_object_get(obj, "spec"), "tags");
    size_t n = 0, i;
    const json_t *v;
    json_array_foreach(tags, i, v) {
        if (n < max) out[n++] = json_string_value(v);
    }
    if (n < max) out[n++] = "t1";
    return n;
}

static size_t count_array(json_t *a) {
    size_t n = json_array_size(a);
    json_decref(a);
    return n;
}

static void test_key_of(void **state) {
    (void)state;
    char key[64];
    json_t *o = mkobj("ns1", "a", "m", "1");
    mg_store_key_of(o, key, sizeof(key));
    assert_string_equal(key, "ns1/a");
    json_decref(o);
    o = mkobj(NULL, "cluster-thing", "m", "1");
    mg_store_key_of(o, key, sizeof(key));
    assert_string_equal(key, "cluster-thing");
    json_decref(o);
    o = json_object();
    mg_store_key_of(o, key, sizeof(key));
    assert_string_equal(key, "");
    json_decref(o);
}

static void test_put_get_replace_remove(void **state) {
    (void)state;
    mg_store *s = new_store();
    json_t *a1 = mkobj("ns", "a", "fraud", "1");
    mg_store_put(s, a1);
    assert_int_equal(mg_store_len(s), 1);
    json_t *got = mg_store_get(s, "ns/a");
    assert_same(got, a1); /* shared, not copied, in tree mode */
    json_decref(got);
    assert_null(mg_store_get(s, "ns/b"));
    assert_null(mg_store_get(s, "a"));

    json_t *a2 = mkobj("ns", "a", "fraud", "2");
    json_t *old = mg_store_replace(s, a2);
    assert_same(old, a1);
    json_decref(old);
    assert_int_equal(mg_store_len(s), 1);
    got = mg_store_get(s, "ns/a");
    assert_same(got, a2);
    json_decref(got);

    json_t *removed = mg_store_remove(s, "ns/a");
    assert_same(removed, a2);
    json_decref(removed);
    assert_null(mg_store_remove(s, "ns/a"));
    assert_int_equal(mg_store_len(s), 0);
    json_decref(a1);
    json_decref(a2);
    mg_store_free(s);
}

static void test_indexes(void **state) {
    (void)state;
    mg_store *s = new_store();
    assert_int_equal(mg_store_add_index(s, "model", by_model), 0);
    assert_int_equal(mg_store_add_index(s, "tag", by_tag), 0);
    assert_int_equal(mg_store_add_index(s, "model", by_model), MG_EINVAL);
    assert_int_equal(mg_store_add_index(s, NULL, by_model), MG_EINVAL);
    json_t *o;
    o = mkobj("ns", "a", "fraud", "1");
    mg_store_put(s, o);
    json_decref(o);
    o = mkobj("ns", "b", "fraud", "1");
    mg_store_put(s, o);
    json_decref(o);
    o = mkobj("other", "c", "churn", "1");
    mg_store_put(s, o);
    json_decref(o);
    /* indexes cannot be added once objects are in */
    assert_int_equal(mg_store_add_index(s, "late", by_model), MG_EINVAL);

    assert_int_equal(count_array(mg_store_by_index(s, "model", "fraud")), 2);
    assert_int_equal(count_array(mg_store_by_index(s, "model", "churn")), 1);
    assert_int_equal(count_array(mg_store_by_index(s, "model", "nope")), 0);
    assert_int_equal(count_array(mg_store_by_index(s, "nope", "fraud")), 0);
    /* "t1" is returned twice per object but filed once */
    assert_int_equal(count_array(mg_store_by_index(s, "tag", "t1")), 3);
    assert_int_equal(count_array(mg_store_by_index(s, "tag", "churn")), 1);

    /* an update moves b from fraud to churn */
    o = mkobj("ns", "b", "churn", "2");
    mg_store_put(s, o);
    json_decref(o);
    assert_int_equal(count_array(mg_store_by_index(s, "model", "fraud")), 1);
    json_t *churn = mg_store_by_index(s, "model", "churn");
    assert_int_equal(json_array_size(churn), 2);
    size_t i;
    json_t *v;
    json_array_foreach(churn, i, v) {
        assert_string_equal(json_string_value(json_object_get(json_object_get(v, "spec"), "model")), "churn");
    }
    json_decref(churn);

    /* deleting the last object of a value drops the value */
    json_decref(mg_store_remove(s, "ns/a"));
    assert_int_equal(count_array(mg_store_by_index(s, "model", "fraud")), 0);
    json_t *vals = mg_store_index_values(s, "model");
    assert_int_equal(json_array_size(vals), 1);
    assert_string_equal(json_string_value(json_array_get(vals, 0)), "churn");
    json_decref(vals);
    mg_store_free(s);
}

static void test_snapshots(void **state) {
    (void)state;
    mg_store *s = new_store();
    char name[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof(name), "obj-%d", i);
        json_t *o = mkobj("ns", name, i % 2 ? "odd" : "even", "1");
        mg_store_put(s, o);
        json_decref(o);
    }
    assert_int_equal(mg_store_len(s), 1000);
    json_t *list = mg_store_list(s);
    assert_int_equal(json_array_size(list), 1000);
    json_t *keys = mg_store_keys(s);
    assert_int_equal(json_array_size(keys), 1000);
    json_t *snap = mg_store_snapshot(s);
    assert_int_equal(json_object_size(snap), 1000);
    assert_non_null(json_object_get(snap, "ns/obj-999"));
    /* every key from keys() is in the snapshot */
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k) { assert_non_null(json_object_get(snap, json_string_value(k))); }
    /* snapshots survive the store */
    mg_store_free(s);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(snap, "ns/obj-7"), "metadata"), "name")),
                        "obj-7");
    json_decref(list);
    json_decref(keys);
    json_decref(snap);
}

static void test_strmap(void **state) {
    (void)state;
    mg_strmap *m = mg_strmap_new();
    char k[32];
    for (long i = 0; i < 5000; i++) {
        snprintf(k, sizeof(k), "k%ld", i);
        assert_null(mg_strmap_put(m, k, (void *)(i + 1)));
    }
    assert_int_equal(mg_strmap_len(m), 5000);
    assert_ptr_equal(mg_strmap_put(m, "k10", (void *)99), (void *)11);
    assert_ptr_equal(mg_strmap_get(m, "k10"), (void *)99);
    for (long i = 0; i < 5000; i += 2) {
        snprintf(k, sizeof(k), "k%ld", i);
        assert_true(mg_strmap_has(m, k));
        mg_strmap_del(m, k);
        assert_false(mg_strmap_has(m, k));
    }
    assert_int_equal(mg_strmap_len(m), 2500);
    mg_strmap_iter it = {0};
    const char *key;
    size_t n = 0;
    while (mg_strmap_next(m, &it, &key, NULL)) {
        long v;
        assert_int_equal(sscanf(key, "k%ld", &v), 1);
        assert_true(v % 2 == 1);
        n++;
    }
    assert_int_equal(n, 2500);
    mg_strmap_free(m, NULL);
}

static void test_upsert_delete_versions(void **state) {
    (void)state;
    mg_store *s = new_store();
    json_t *a = mkobj("ns", "a", "m", "7");
    json_t *old = (json_t *)1;
    assert_false(mg_store_upsert(s, a, &old));
    assert_null(old);
    json_t *a2 = mkobj("ns", "a", "m", "8");
    assert_true(mg_store_upsert(s, a2, NULL));
    json_t *b = mkobj(NULL, "b", "m", "");
    json_object_del(json_object_get(b, "metadata"), "resourceVersion");
    mg_store_put(s, b);
    json_t *v = mg_store_versions(s);
    assert_int_equal(json_object_size(v), 2);
    assert_string_equal(json_string_value(json_object_get(v, "ns/a")), "8");
    assert_string_equal(json_string_value(json_object_get(v, "b")), "");
    json_decref(v);
    assert_true(mg_store_delete(s, "ns/a"));
    assert_false(mg_store_delete(s, "ns/a"));
    assert_int_equal(mg_store_len(s), 1);
    /* compact copies are independent of what was put: changing the caller's object later does
     * not reach the store (tree mode shares it, which is why objects must not be changed) */
    json_t *got = mg_store_get(s, "b");
    assert_true(json_equal(got, b));
    json_decref(got);
    json_decref(a);
    json_decref(a2);
    json_decref(b);
    mg_store_free(s);
}

typedef struct race {
    mg_store *s;
    volatile int stop;
    long reads;
    long errors; /* cmocka asserts only on the main thread: readers count failures */
} race;

static void *reader(void *p) {
    race *r = p;
    while (!r->stop) {
        json_t *o = mg_store_get(r->s, "ns/obj-3");
        if (o) {
            /* an object read is complete and consistent with its index */
            if (strcmp(json_string_value(json_object_get(json_object_get(o, "metadata"), "name")), "obj-3"))
                __atomic_fetch_add(&r->errors, 1, __ATOMIC_SEQ_CST);
            json_decref(o);
        }
        json_t *arr = mg_store_by_index(r->s, "model", "m1");
        size_t i;
        json_t *v;
        json_array_foreach(arr, i, v) {
            if (strcmp(json_string_value(json_object_get(json_object_get(v, "spec"), "model")), "m1"))
                __atomic_fetch_add(&r->errors, 1, __ATOMIC_SEQ_CST);
        }
        json_decref(arr);
        __atomic_fetch_add(&r->reads, 1, __ATOMIC_SEQ_CST);
    }
    return NULL;
}

static void test_concurrent(void **state) {
    (void)state;
    race r = {.s = new_store()};
    mg_store_add_index(r.s, "model", by_model);
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&th[i], NULL, reader, &r);
    char name[32];
    for (int round = 0; round < 200; round++) {
        for (int i = 0; i < 20; i++) {
            snprintf(name, sizeof(name), "obj-%d", i);
            json_t *o = mkobj("ns", name, (round + i) % 2 ? "m1" : "m2", "1");
            mg_store_put(r.s, o);
            json_decref(o);
        }
        if (round % 7 == 0) json_decref(mg_store_remove(r.s, "ns/obj-3"));
    }
    while (__atomic_load_n(&r.reads, __ATOMIC_SEQ_CST) < 3)
        sched_yield(); /* readers did run */
    r.stop = 1;
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(r.errors, 0);
    assert_true(r.reads > 0);
    assert_int_equal(mg_store_len(r.s), 20);
    /* the last round (199) put obj-i under m1 when i is even */
    assert_int_equal(count_array(mg_store_by_index(r.s, "model", "m1")), 10);
    mg_store_free(r.s);
}

/* A store with the "model" and "tag" indexes, for the churn tests. */
static mg_store *churn_store(void) {
    mg_store *s = new_store();
    assert_int_equal(mg_store_add_index(s, "model", by_model), 0);
    assert_int_equal(mg_store_add_index(s, "tag", by_tag), 0);
    return s;
}

/* One random step of a churn over n objects "ns/oNN": put object i with model "m<m>" or, when
 * m == models, delete it; model_of[i] follows (-1: absent). */
static void churn_step(mg_store *s, int *model_of, int n, int models, unsigned *rng) {
    *rng = *rng * 1103515245u + 12345u;
    int i = (int)((*rng >> 8) % (unsigned)n), m = (int)((*rng >> 20) % (unsigned)(models + 1));
    char name[16], model[16], key[32];
    snprintf(name, sizeof(name), "o%02d", i);
    snprintf(key, sizeof(key), "ns/o%02d", i);
    if (m == models) {
        assert_true(mg_store_delete(s, key) == (model_of[i] >= 0));
        model_of[i] = -1;
        return;
    }
    snprintf(model, sizeof(model), "m%d", m);
    json_t *o = mkobj("ns", name, model, "1");
    mg_store_put(s, o);
    json_decref(o);
    model_of[i] = m;
}

/* The index bookkeeping against a model of it: objects moved between values, several values per
 * object (by_tag), values going from one object to many and back to none, removals in an order
 * that swaps every position; after each step every value's keys are exactly the model's. */
static void test_index_churn(void **state) {
    (void)state;
    mg_store *s = churn_store();
    enum { N = 60, MODELS = 4 };
    int model_of[N];
    for (int i = 0; i < N; i++)
        model_of[i] = -1;
    char model[16], key[32];
    unsigned rng = 7;
    for (int step = 0; step < 600; step++) {
        churn_step(s, model_of, N, MODELS, &rng);
        size_t present = 0;
        for (int m2 = 0; m2 < MODELS; m2++) {
            snprintf(model, sizeof(model), "m%d", m2);
            json_t *keys = mg_store_index_keys(s, "model", model);
            size_t want = 0;
            for (int j = 0; j < N; j++) {
                if (model_of[j] != m2) continue;
                want++;
                snprintf(key, sizeof(key), "ns/o%02d", j);
                bool found = false;
                size_t q;
                json_t *k;
                json_array_foreach(keys, q, k) found |= !strcmp(json_string_value(k), key);
                assert_true(found);
            }
            assert_int_equal(json_array_size(keys), want);
            assert_int_equal(mg_store_index_count(s, "model", model), want);
            assert_int_equal(mg_store_index_count(s, "tag", model), want); /* each object's model is a tag */
            json_decref(keys);
            present += want;
        }
        assert_int_equal(mg_store_index_count(s, "tag", "t1"), present); /* t1 filed once per object */
        assert_int_equal(mg_store_len(s), present);
        json_t *values = mg_store_index_values(s, "model");
        size_t nonempty = 0;
        for (int m2 = 0; m2 < MODELS; m2++) {
            snprintf(model, sizeof(model), "m%d", m2);
            nonempty += mg_store_index_count(s, "model", model) > 0;
        }
        assert_int_equal(json_array_size(values), nonempty); /* an emptied value is gone */
        json_decref(values);
    }
    mg_store_free(s);
}

/* Values and keys that share a hash (two bits of it, under mg_store_test_weak_hashes): a lookup
 * by index still returns exactly the objects of its value, reads by key find the right object,
 * and puts, replacements and removals keep every table right. */
static void test_index_collisions(void **state) {
    (void)state;
    mg_store_test_weak_hashes(true);
    mg_store *s = churn_store();
    enum { N = 40, MODELS = 6 };
    int model_of[N];
    for (int i = 0; i < N; i++)
        model_of[i] = -1;
    char model[16], key[32];
    unsigned rng = 11;
    for (int step = 0; step < 800; step++) {
        churn_step(s, model_of, N, MODELS, &rng);
        size_t present = 0, nonempty = 0;
        for (int m2 = 0; m2 < MODELS; m2++) {
            snprintf(model, sizeof(model), "m%d", m2);
            size_t want = 0;
            for (int j = 0; j < N; j++)
                want += model_of[j] == m2;
            for (int ix = 0; ix < 2; ix++) {
                json_t *got = mg_store_by_index(s, ix ? "tag" : "model", model);
                assert_int_equal(json_array_size(got), want);
                size_t q;
                json_t *o;
                json_array_foreach(got, q, o) {
                    const char *gm = json_string_value(json_object_get(json_object_get(o, "spec"), "model"));
                    assert_string_equal(gm, model);
                }
                json_decref(got);
            }
            present += want;
            nonempty += want > 0;
        }
        assert_int_equal(count_array(mg_store_by_index(s, "tag", "t1")), present);
        assert_int_equal(mg_store_len(s), present);
        for (int j = 0; j < N; j++) {
            snprintf(key, sizeof(key), "ns/o%02d", j);
            json_t *o = mg_store_get(s, key);
            if (model_of[j] < 0) {
                assert_null(o);
                continue;
            }
            assert_non_null(o);
            snprintf(model, sizeof(model), "m%d", model_of[j]);
            assert_string_equal(json_string_value(json_object_get(json_object_get(o, "spec"), "model")),
                                model);
            json_decref(o);
        }
        assert_int_equal(count_array(mg_store_index_values(s, "model")), nonempty);
        assert_int_equal(count_array(mg_store_keys(s)), present);
    }
    mg_store_free(s);
    mg_store_test_weak_hashes(false);
}

/* Objects come back equal whatever their metadata holds: the compact store leaves the name,
 * namespace and resourceVersion out of its text only when its key and rv bytes give them back
 * exactly, and packs uids and digests (k8s/hexpack). */
static void test_identity_round_trip(void **state) {
    (void)state;
    char long_name[600];
    memset(long_name, 'n', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    json_t *objs[] = {
        json_pack("{s:{s:s, s:s, s:s, s:s}, s:{s:s, s:s}}", "metadata", "name", "m-1", "namespace", "idx",
                  "resourceVersion", "83", "uid", "365c32d3-85f1-4bdf-86ec-5899d250403e", "spec", "digest",
                  "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                  "modelVersionUID", "C2AD01F0-8759-46A2-9D4E-05BE83C7E935"),
        json_pack("{s:{s:s, s:s}}", "metadata", "name", "cluster-scoped", "resourceVersion", "7"),
        json_pack("{s:{s:s, s:s}}", "metadata", "name", "empty-ns", "namespace", ""),
        json_pack("{s:{s:s, s:s}}", "metadata", "name", "x", "namespace", "a/b"),      /* key a/b/x */
        json_pack("{s:{s:s, s:s}}", "metadata", "name", long_name, "namespace", "ns"), /* key cut */
        json_pack("{s:{s:s%, s:s, s:i}}", "metadata", "name", "nul\0inside", (size_t)10, "namespace", "ns",
                  "resourceVersion", 12),
        json_pack("{s:{s:s, s:s%}}", "metadata", "name", "rv-nul", "resourceVersion", "1\0002", (size_t)4),
        json_pack("{s:{s:s}}", "metadata", "namespace", "no-name"),
        json_pack("{s:s, s:s}", "metadata", "not an object", "text", "\x01\x02 markers, escaped in JSON"),
        json_pack("{s:{}}", "metadata"),
    };
    for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
        assert_non_null(objs[i]);
        mg_store *s = new_store();
        mg_store_put(s, objs[i]);
        json_t *all = mg_store_list(s);
        assert_int_equal(json_array_size(all), 1);
        if (!json_equal(json_array_get(all, 0), objs[i])) fail_msg("object %zu changed in the store", i);
        json_decref(all);
        json_decref(objs[i]);
        mg_store_free(s);
    }
}

static int strong_hashes(void **state) {
    (void)state;
    mg_store_test_weak_hashes(false);
    return 0;
}

int main(void) {
    mg_mem_init();
#define BOTH(t) cmocka_unit_test_setup(t, setup_tree), cmocka_unit_test_setup(t, setup_compact)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_of),
        cmocka_unit_test(test_strmap),
        BOTH(test_put_get_replace_remove),
        BOTH(test_indexes),
        BOTH(test_snapshots),
        BOTH(test_concurrent),
        BOTH(test_upsert_delete_versions),
        cmocka_unit_test_setup_teardown(test_index_collisions, setup_tree, strong_hashes),
        cmocka_unit_test_setup_teardown(test_index_collisions, setup_compact, strong_hashes),
        BOTH(test_index_churn),
        BOTH(test_identity_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
