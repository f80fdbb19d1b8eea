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

/* An index value computed for an object before the lock is taken (a transient copy). */
typedef struct index_val {
    int idx;
    char *val;
} index_val;

/* Where an entry is filed in one index: the value (the index map's own copy of it, stable while
 * any entry is filed under it) and the entry's slot in that value's posting list. */
typedef struct index_ref {
    const char *val;
    uint32_t pos;
    uint16_t idx;
} index_ref;

/* One cached object in a single allocation: this header, its index_refs, its resourceVersion
 * (NUL-terminated) and, in compact mode, its deflated JSON. One block per object keeps malloc's
 * per-block overhead out of the cache's size. */
typedef struct entry {
    json_t *obj;     /* tree mode */
    const char *key; /* the objects map's own copy of the key */
    size_t len;      /* compact mode: bytes of the JSON once inflated */
    uint32_t zlen;   /* compact mode: bytes of deflated text */
    uint16_t nvals;
    bool has_rv;
} entry;

static index_ref *refs_of(entry *e) { return (index_ref *)(e + 1); }
/* The resourceVersion bytes after the refs: always NUL-terminated ("" when the object had none). */
static const char *rv_bytes(const entry *e) { return (const char *)((const index_ref *)(e + 1) + e->nvals); }
static const char *rv_of(const entry *e) { return e->has_rv ? rv_bytes(e) : NULL; }
static const char *text_of(const entry *e) { return rv_bytes(e) + strlen(rv_bytes(e)) + 1; }

/* The objects filed under one index value: NULL (none), an entry (exactly one: no allocation for
 * the common unique value), or a posting list tagged with POSTING_TAG (two or more, in any order;
 * each entry's index_ref says its slot, so removal is a swap with the last). */
typedef struct posting {
    uint32_t n, cap;
    entry *items[];
} posting;
#define POSTING_TAG ((uintptr_t)1)
static bool is_posting(const void *v) { return ((uintptr_t)v & POSTING_TAG) != 0; }
static posting *posting_of(void *v) { return (posting *)((uintptr_t)v & ~POSTING_TAG); }

typedef struct store_index {
    char *name;
    mg_index_fn fn;
    mg_strmap *by_value; /* value → NULL | entry * | tagged posting * */
} store_index;

struct mg_store {
    pthread_rwlock_t lock;
    bool compact;
    pthread_mutex_t scratch_mu; /* compact mode: the dump and deflate buffers and the stream below */
    mg_buf scratch;
    char *zout; /* compact mode: deflate's output buffer, reused */
    size_t zout_cap;
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
    z.next_in = (Bytef *)text_of(e);
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

/* Deflates the JSON in s->scratch into s->zout (under scratch_mu); returns its length. The first
 * object becomes the dictionary. */
static uint32_t deflate_scratch(mg_store *s) {
    if (!s->dict) {
        s->dict_len = s->scratch.len < ZWINDOW ? s->scratch.len : ZWINDOW;
        s->dict = mg_xmalloc(s->dict_len);
        memcpy(s->dict, s->scratch.data + s->scratch.len - s->dict_len, s->dict_len);
    }
    deflateReset(&s->deflater);
    deflateSetDictionary(&s->deflater, (const Bytef *)s->dict, (uInt)s->dict_len);
    uLong bound = deflateBound(&s->deflater, s->scratch.len);
    if (bound > s->zout_cap) {
        free(s->zout);
        s->zout = mg_xmalloc(bound);
        s->zout_cap = bound;
    }
    s->deflater.next_in = (Bytef *)s->scratch.data;
    s->deflater.avail_in = (uInt)s->scratch.len;
    s->deflater.next_out = (Bytef *)s->zout;
    s->deflater.avail_out = (uInt)bound;
    if (deflate(&s->deflater, Z_FINISH) != Z_STREAM_END) abort(); /* the bound is enough by contract */
    return (uint32_t)s->deflater.total_out;
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
    free(e);
}

static void free_filed(void *v) {
    if (is_posting(v)) free(posting_of(v));
}

void mg_store_free(mg_store *s) {
    if (!s) return;
    mg_strmap_free(s->objects, free_entry);
    for (int i = 0; i < s->nidx; i++) {
        free(s->idx[i].name);
        mg_strmap_free(s->idx[i].by_value, free_filed);
    }
    pthread_rwlock_destroy(&s->lock);
    pthread_mutex_destroy(&s->scratch_mu);
    mg_buf_free(&s->scratch);
    free(s->zout);
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

/* Files e under vals[i] (in e's index_ref i). Under the write lock. */
static void file_under(mg_store *s, entry *e, uint16_t i, const index_val *val) {
    index_ref *ref = &refs_of(e)[i];
    void **slot = mg_strmap_slot(s->idx[val->idx].by_value, val->val, true, &ref->val);
    ref->idx = (uint16_t)val->idx;
    ref->pos = 0;
    if (!*slot) {
        *slot = e;
        return;
    }
    posting *p;
    if (!is_posting(*slot)) { /* a second object under this value */
        p = mg_xmalloc(sizeof(*p) + 4 * sizeof(entry *));
        p->n = 1;
        p->cap = 4;
        p->items[0] = *slot; /* its ref already says slot 0 */
    } else {
        p = posting_of(*slot);
        if (p->n == p->cap) {
            p->cap *= 2;
            p = mg_xrealloc(p, sizeof(*p) + p->cap * sizeof(entry *));
        }
    }
    ref->pos = p->n;
    p->items[p->n++] = e;
    *slot = (void *)((uintptr_t)p | POSTING_TAG);
}

/* Takes e out of every index it is filed in. Under the write lock. */
static void unindex(mg_store *s, entry *e) {
    for (uint16_t i = 0; i < e->nvals; i++) {
        const index_ref *ref = &refs_of(e)[i];
        mg_strmap *by_value = s->idx[ref->idx].by_value;
        void **slot = mg_strmap_slot(by_value, ref->val, false, NULL);
        if (!slot) continue;
        if (is_posting(*slot)) {
            posting *p = posting_of(*slot);
            entry *last = p->items[--p->n];
            if (last != e) { /* the last takes e's slot, and its ref says so */
                p->items[ref->pos] = last;
                for (uint16_t j = 0; j < last->nvals; j++) {
                    index_ref *lr = &refs_of(last)[j];
                    if (lr->idx == ref->idx && lr->val == ref->val) lr->pos = ref->pos;
                }
            }
            if (p->n) continue;
            free(p);
        }
        mg_strmap_del(by_value, ref->val); /* ref->val is the node's key: compared before it is freed */
    }
}

/* A new entry for obj with room for nvals index_refs (filed later, under the lock). */
static entry *new_entry(mg_store *s, json_t *obj, size_t nvals) {
    const char *rv = json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
    size_t rv_size = rv ? strlen(rv) + 1 : 1, head = sizeof(entry) + nvals * sizeof(index_ref);
    entry *e;
    if (s->compact) {
        pthread_mutex_lock(&s->scratch_mu);
        mg_buf_reset(&s->scratch);
        mg_k8s_json_dump(obj, &s->scratch); /* cannot fail: scratch is uncapped */
        uint32_t zlen = deflate_scratch(s);
        e = mg_xmalloc(head + rv_size + zlen);
        e->obj = NULL;
        e->len = s->scratch.len;
        e->zlen = zlen;
        memcpy((char *)e + head + rv_size, s->zout, zlen);
        pthread_mutex_unlock(&s->scratch_mu);
    } else {
        e = mg_xmalloc(head + rv_size);
        e->obj = json_incref(obj);
        e->len = 0;
        e->zlen = 0;
    }
    e->key = NULL;
    e->nvals = (uint16_t)nvals;
    e->has_rv = rv != NULL;
    memcpy((char *)e + head, rv ? rv : "", rv_size);
    return e;
}

bool mg_store_upsert(mg_store *s, json_t *obj, json_t **old_out) {
    char key[512];
    mg_store_key_of(obj, key, sizeof(key));
    size_t nvals;
    index_val *vals = compute_vals(s, obj, &nvals);
    entry *e = new_entry(s, obj, nvals);

    pthread_rwlock_wrlock(&s->lock);
    void **slot = mg_strmap_slot(s->objects, key, true, &e->key);
    entry *old = *slot;
    if (old) unindex(s, old);
    *slot = e;
    for (uint16_t i = 0; i < e->nvals; i++)
        file_under(s, e, i, &vals[i]);
    pthread_rwlock_unlock(&s->lock);

    free_vals(vals, nvals);
    if (old_out) *old_out = old ? materialize(s, old) : NULL;
    free_entry(old);
    return old != NULL;
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
        unindex(s, e);
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

/* What index `index` files under value (NULL | entry * | tagged posting *); under the lock. */
static void *filed_under(mg_store *s, const char *index, const char *value) {
    for (int i = 0; i < s->nidx; i++)
        if (!strcmp(s->idx[i].name, index)) return mg_strmap_get(s->idx[i].by_value, value);
    return NULL;
}

/* The objects (or only their keys) filed under value in index `index`, as a new array. */
static json_t *index_collect(mg_store *s, const char *index, const char *value, bool keys_only) {
    json_t *arr = json_array();
    pthread_rwlock_rdlock(&s->lock);
    void *filed = filed_under(s, index, value);
    entry *const *items =
        is_posting(filed) ? (entry *const *)posting_of(filed)->items : (entry *const *)&filed;
    size_t n = is_posting(filed) ? posting_of(filed)->n : filed != NULL;
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, keys_only ? json_string(items[i]->key) : materialize(s, items[i]));
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
    void *filed = filed_under(s, index, value);
    size_t n = is_posting(filed) ? posting_of(filed)->n : filed != NULL;
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
        const char *rv = rv_of(v);
        json_object_set_new(snap, k, json_string(rv ? rv : ""));
    }
    pthread_rwlock_unlock(&s->lock);
    return snap;
}
