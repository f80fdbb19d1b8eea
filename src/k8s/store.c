/* k8s/store — see store.h. One rwlock guards the key map and every index. Index functions
 * are called before the lock is taken (they only read the immutable object), so no caller
 * code ever runs under the lock; objects are released after it is dropped. */
#include "k8s/store.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "core/error.h"
#include "core/mem.h"
#include "k8s/jsonparse.h"
#include "k8s/strmap.h"

#define MAX_INDEXES 16
/* Compact mode deflates each object (raw deflate, zlib) with the store's first object as a preset
 * dictionary: objects of one kind share their keys and most values, so a 1 KB ModelDeployment
 * keeps ~100 bytes and a Pod ~60. A 4 KB window holds the dictionary and keeps each store's
 * deflate state at ~32 KB. */
#define ZWINDOW_BITS 12
#define ZWINDOW (1u << ZWINDOW_BITS)
#define ZMEM_LEVEL 5
#define MAX_VALUES_PER_OBJECT 64

typedef struct index_val {
    int idx;
    char *val;
} index_val;

typedef struct entry {
    json_t *obj;   /* tree mode */
    char *text;    /* compact mode: the object's compact JSON, deflated with the store's dictionary */
    uint32_t zlen; /* compact mode: bytes of text */
    size_t len;    /* compact mode: bytes of the JSON once inflated */
    char *rv;      /* metadata.resourceVersion or NULL */
    size_t nvals;
    index_val *vals; /* the index values obj was filed under */
} entry;

typedef struct store_index {
    char *name;
    mg_index_fn fn;
    mg_strmap *by_value; /* value → mg_strmap set (object key → entry *) */
} store_index;

struct mg_store {
    pthread_rwlock_t lock;
    bool compact;
    pthread_mutex_t scratch_mu; /* compact mode: the dump buffer and the deflate stream below */
    mg_buf scratch;
    z_stream deflater; /* compact mode: reset for each put, so its memory is allocated once */
    char *dict;        /* compact mode: the dictionary (the first object stored), or NULL yet */
    size_t dict_len;
    mg_strmap *objects; /* key → entry * */
    store_index idx[MAX_INDEXES];
    int nidx;
};

mg_store *mg_store_new(void) {
    mg_store *s = mg_xcalloc(1, sizeof(*s));
    pthread_rwlock_init(&s->lock, NULL);
    pthread_mutex_init(&s->scratch_mu, NULL);
    mg_buf_init(&s->scratch, MG_BUF_UNCAPPED);
    s->objects = mg_strmap_new();
    return s;
}

mg_store *mg_store_new_compact(void) {
    mg_store *s = mg_store_new();
    s->compact = true;
    if (deflateInit2(&s->deflater, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -ZWINDOW_BITS, ZMEM_LEVEL,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        abort(); /* out of memory: the project's policy (core/mem.h) */
    return s;
}

/* A new reference to the entry's object: shared in tree mode, a fresh parse in compact mode. */
/* The JSON of a compact entry, inflated into out (len + 1 bytes, NUL-terminated). */
static void inflate_entry(const mg_store *s, const entry *e, char *out) {
    z_stream z = {0};
    if (inflateInit2(&z, -ZWINDOW_BITS) != Z_OK) abort(); /* out of memory */
    if (s->dict) inflateSetDictionary(&z, (const Bytef *)s->dict, (uInt)s->dict_len);
    z.next_in = (Bytef *)e->text;
    z.avail_in = e->zlen;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)e->len;
    int rc = inflate(&z, Z_FINISH);
    inflateEnd(&z);
    /* we wrote these bytes ourselves: anything else means memory corruption */
    if (rc != Z_STREAM_END || z.total_out != e->len) abort();
    out[e->len] = '\0';
}

static json_t *materialize(const mg_store *s, const entry *e) {
    if (e->obj) return json_incref(e->obj);
    char stack[4096], *text = e->len < sizeof(stack) ? stack : mg_xmalloc(e->len + 1);
    inflate_entry(s, e, text);
    json_t *o = mg_k8s_json_parse(text, e->len, MG_JSON_STRIP_NONE, NULL);
    if (text != stack) free(text);
    if (!o) abort(); /* we wrote this text ourselves: unparsable means memory corruption */
    return o;
}

/* Deflates the JSON in s->scratch into a new exact-size buffer (under scratch_mu). The first
 * object becomes the dictionary. */
static char *deflate_scratch(mg_store *s, uint32_t *zlen) {
    if (!s->dict) {
        s->dict_len = s->scratch.len < ZWINDOW ? s->scratch.len : ZWINDOW;
        s->dict = mg_xmalloc(s->dict_len);
        memcpy(s->dict, s->scratch.data + s->scratch.len - s->dict_len, s->dict_len);
    }
    deflateReset(&s->deflater);
    deflateSetDictionary(&s->deflater, (const Bytef *)s->dict, (uInt)s->dict_len);
    uLong bound = deflateBound(&s->deflater, s->scratch.len);
    char *out = mg_xmalloc(bound);
    s->deflater.next_in = (Bytef *)s->scratch.data;
    s->deflater.avail_in = (uInt)s->scratch.len;
    s->deflater.next_out = (Bytef *)out;
    s->deflater.avail_out = (uInt)bound;
    if (deflate(&s->deflater, Z_FINISH) != Z_STREAM_END) abort(); /* the bound is enough by contract */
    *zlen = (uint32_t)s->deflater.total_out;
    return mg_xrealloc(out, *zlen ? *zlen : 1);
}

static void free_vals(index_val *vals, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(vals[i].val);
    free(vals);
}

static void free_entry(void *p) {
    entry *e = p;
    if (!e) return;
    json_decref(e->obj);
    free(e->text);
    free(e->rv);
    free_vals(e->vals, e->nvals);
    free(e);
}

static void free_set(void *p) { mg_strmap_free(p, NULL); }

void mg_store_free(mg_store *s) {
    if (!s) return;
    mg_strmap_free(s->objects, free_entry);
    for (int i = 0; i < s->nidx; i++) {
        free(s->idx[i].name);
        mg_strmap_free(s->idx[i].by_value, free_set);
    }
    pthread_rwlock_destroy(&s->lock);
    pthread_mutex_destroy(&s->scratch_mu);
    mg_buf_free(&s->scratch);
    if (s->compact) deflateEnd(&s->deflater);
    free(s->dict);
    free(s);
}

int mg_store_add_index(mg_store *s, const char *name, mg_index_fn fn) {
    if (!name || !fn) return MG_EINVAL;
    pthread_rwlock_wrlock(&s->lock);
    int rc = 0;
    if (s->nidx >= MAX_INDEXES || mg_strmap_len(s->objects) > 0) {
        rc = MG_EINVAL;
    } else {
        for (int i = 0; i < s->nidx; i++)
            if (!strcmp(s->idx[i].name, name)) rc = MG_EINVAL;
    }
    if (!rc) {
        s->idx[s->nidx].name = mg_xstrdup(name);
        s->idx[s->nidx].fn = fn;
        s->idx[s->nidx].by_value = mg_strmap_new();
        s->nidx++;
    }
    pthread_rwlock_unlock(&s->lock);
    return rc;
}

void mg_store_key_of(const json_t *obj, char *out, size_t outlen) {
    const json_t *md = json_object_get(obj, "metadata");
    const char *ns = json_string_value(json_object_get(md, "namespace"));
    const char *name = json_string_value(json_object_get(md, "name"));
    if (!name) name = "";
    if (ns && *ns)
        snprintf(out, outlen, "%s/%s", ns, name);
    else
        snprintf(out, outlen, "%s", name);
}

/* Runs every index function on obj (no lock held). Index count is read without the lock:
 * indexes are only added before the first put. */
static index_val *compute_vals(mg_store *s, const json_t *obj, size_t *nvals) {
    *nvals = 0;
    if (!s->nidx) return NULL;
    index_val *vals = NULL;
    size_t n = 0;
    for (int i = 0; i < s->nidx; i++) {
        const char *out[MAX_VALUES_PER_OBJECT];
        size_t k = s->idx[i].fn(obj, out, MAX_VALUES_PER_OBJECT);
        if (k > MAX_VALUES_PER_OBJECT) k = MAX_VALUES_PER_OBJECT;
        for (size_t j = 0; j < k; j++) {
            if (!out[j]) continue;
            bool dup = false; /* an object is filed once per distinct value */
            for (size_t q = 0; q < n; q++)
                if (vals[q].idx == i && !strcmp(vals[q].val, out[j])) dup = true;
            if (dup) continue;
            vals = mg_xrealloc(vals, (n + 1) * sizeof(*vals));
            vals[n].idx = i;
            vals[n].val = mg_xstrdup(out[j]);
            n++;
        }
    }
    *nvals = n;
    return vals;
}

static void unindex(mg_store *s, const char *key, entry *e) {
    for (size_t i = 0; i < e->nvals; i++) {
        mg_strmap *by_value = s->idx[e->vals[i].idx].by_value;
        mg_strmap *set = mg_strmap_get(by_value, e->vals[i].val);
        if (!set) continue;
        mg_strmap_del(set, key);
        if (!mg_strmap_len(set)) {
            mg_strmap_del(by_value, e->vals[i].val);
            mg_strmap_free(set, NULL);
        }
    }
}

static void reindex(mg_store *s, const char *key, entry *e) {
    for (size_t i = 0; i < e->nvals; i++) {
        mg_strmap *by_value = s->idx[e->vals[i].idx].by_value;
        mg_strmap *set = mg_strmap_get(by_value, e->vals[i].val);
        if (!set) {
            set = mg_strmap_new();
            mg_strmap_put(by_value, e->vals[i].val, set);
        }
        mg_strmap_put(set, key, e);
    }
}

bool mg_store_upsert(mg_store *s, json_t *obj, json_t **old_out) {
    char key[512];
    mg_store_key_of(obj, key, sizeof(key));
    size_t nvals;
    index_val *vals = compute_vals(s, obj, &nvals);
    char *text = NULL;
    size_t len = 0;
    uint32_t zlen = 0;
    if (s->compact) {
        pthread_mutex_lock(&s->scratch_mu);
        mg_buf_reset(&s->scratch);
        mg_k8s_json_dump(obj, &s->scratch); /* cannot fail: scratch is uncapped */
        len = s->scratch.len;
        text = deflate_scratch(s, &zlen);
        pthread_mutex_unlock(&s->scratch_mu);
    } else {
        json_incref(obj);
    }

    char *rv =
        mg_xstrdup(json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion")));
    entry old = {0};
    pthread_rwlock_wrlock(&s->lock);
    entry *e = mg_strmap_get(s->objects, key);
    bool existed = e != NULL;
    if (e) {
        unindex(s, key, e);
        old = *e;
    } else {
        e = mg_xcalloc(1, sizeof(*e));
        mg_strmap_put(s->objects, key, e);
    }
    e->obj = s->compact ? NULL : obj;
    e->text = text;
    e->zlen = zlen;
    e->len = len;
    e->rv = rv;
    e->vals = vals;
    e->nvals = nvals;
    reindex(s, key, e);
    pthread_rwlock_unlock(&s->lock);

    if (old_out) *old_out = existed ? materialize(s, &old) : NULL;
    json_decref(old.obj);
    free(old.text);
    free(old.rv);
    free_vals(old.vals, old.nvals);
    return existed;
}

json_t *mg_store_replace(mg_store *s, json_t *obj) {
    json_t *old = NULL;
    mg_store_upsert(s, obj, &old);
    return old;
}

void mg_store_put(mg_store *s, json_t *obj) { mg_store_upsert(s, obj, NULL); }

static entry *take(mg_store *s, const char *key) {
    pthread_rwlock_wrlock(&s->lock);
    entry *e = mg_strmap_get(s->objects, key);
    if (e) {
        unindex(s, key, e);
        mg_strmap_del(s->objects, key);
    }
    pthread_rwlock_unlock(&s->lock);
    return e;
}

json_t *mg_store_remove(mg_store *s, const char *key) {
    entry *e = take(s, key);
    if (!e) return NULL;
    json_t *obj = materialize(s, e);
    free_entry(e);
    return obj;
}

bool mg_store_delete(mg_store *s, const char *key) {
    entry *e = take(s, key);
    free_entry(e);
    return e != NULL;
}

json_t *mg_store_get(mg_store *s, const char *key) {
    pthread_rwlock_rdlock(&s->lock);
    entry *e = mg_strmap_get(s->objects, key);
    json_t *obj = e ? materialize(s, e) : NULL;
    pthread_rwlock_unlock(&s->lock);
    return obj;
}

size_t mg_store_len(mg_store *s) {
    pthread_rwlock_rdlock(&s->lock);
    size_t n = mg_strmap_len(s->objects);
    pthread_rwlock_unlock(&s->lock);
    return n;
}

json_t *mg_store_list(mg_store *s) {
    json_t *arr = json_array();
    pthread_rwlock_rdlock(&s->lock);
    mg_strmap_iter it = {0};
    void *v;
    while (mg_strmap_next(s->objects, &it, NULL, &v))
        json_array_append_new(arr, materialize(s, v));
    pthread_rwlock_unlock(&s->lock);
    return arr;
}

/* The set of objects filed under value in index `index` (key → entry), or NULL; under the lock. */
static mg_strmap *index_set(mg_store *s, const char *index, const char *value) {
    for (int i = 0; i < s->nidx; i++)
        if (!strcmp(s->idx[i].name, index)) return mg_strmap_get(s->idx[i].by_value, value);
    return NULL;
}

/* The objects (or only their keys) filed under value in index `index`, as a new array. */
static json_t *index_collect(mg_store *s, const char *index, const char *value, bool keys_only) {
    json_t *arr = json_array();
    pthread_rwlock_rdlock(&s->lock);
    mg_strmap *set = index_set(s, index, value);
    mg_strmap_iter it = {0};
    const char *k;
    void *v;
    while (set && mg_strmap_next(set, &it, &k, &v))
        json_array_append_new(arr, keys_only ? json_string(k) : materialize(s, v));
    pthread_rwlock_unlock(&s->lock);
    return arr;
}

json_t *mg_store_by_index(mg_store *s, const char *index, const char *value) {
    return index_collect(s, index, value, false);
}

json_t *mg_store_index_keys(mg_store *s, const char *index, const char *value) {
    return index_collect(s, index, value, true);
}

size_t mg_store_index_count(mg_store *s, const char *index, const char *value) {
    pthread_rwlock_rdlock(&s->lock);
    mg_strmap *set = index_set(s, index, value);
    size_t n = set ? mg_strmap_len(set) : 0;
    pthread_rwlock_unlock(&s->lock);
    return n;
}

json_t *mg_store_index_values(mg_store *s, const char *index) {
    json_t *arr = json_array();
    pthread_rwlock_rdlock(&s->lock);
    for (int i = 0; i < s->nidx; i++) {
        if (strcmp(s->idx[i].name, index)) continue;
        mg_strmap_iter it = {0};
        const char *k;
        while (mg_strmap_next(s->idx[i].by_value, &it, &k, NULL))
            json_array_append_new(arr, json_string(k));
        break;
    }
    pthread_rwlock_unlock(&s->lock);
    return arr;
}

json_t *mg_store_keys(mg_store *s) {
    json_t *arr = json_array();
    pthread_rwlock_rdlock(&s->lock);
    mg_strmap_iter it = {0};
    const char *k;
    while (mg_strmap_next(s->objects, &it, &k, NULL))
        json_array_append_new(arr, json_string(k));
    pthread_rwlock_unlock(&s->lock);
    return arr;
}

json_t *mg_store_snapshot(mg_store *s) {
    json_t *snap = json_object();
    pthread_rwlock_rdlock(&s->lock);
    mg_strmap_iter it = {0};
    const char *k;
    void *v;
    while (mg_strmap_next(s->objects, &it, &k, &v))
        json_object_set_new(snap, k, materialize(s, v));
    pthread_rwlock_unlock(&s->lock);
    return snap;
}

json_t *mg_store_versions(mg_store *s) {
    json_t *snap = json_object();
    pthread_rwlock_rdlock(&s->lock);
    mg_strmap_iter it = {0};
    const char *k;
    void *v;
    while (mg_strmap_next(s->objects, &it, &k, &v)) {
        const char *rv = ((entry *)v)->rv;
        json_object_set_new(snap, k, json_string(rv ? rv : ""));
    }
    pthread_rwlock_unlock(&s->lock);
    return snap;
}
