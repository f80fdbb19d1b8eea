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
#include "k8s/hexpack.h"
#include "k8s/jsonparse.h"

#define MAX_INDEXES 16
/* Compact mode deflates each object (raw deflate, zlib) with the store's first object as a preset
 * dictionary: objects of one kind share their keys and most values, so a 1 KB ModelDeployment
 * keeps ~100 bytes and a Pod ~60. A 4 KB window holds the dictionary and keeps each store's
 * deflate state at ~32 KB. */
#define ZWINDOW_BITS 12
#define ZWINDOW (1u << ZWINDOW_BITS)
#define ZMEM_LEVEL 5
#define MAX_VALUES_PER_OBJECT 64

/* An index value of an object, as its hash, computed before the lock is taken. */
typedef struct index_val {
    int idx;
    uint64_t hash;
} index_val;

/* Where an entry is filed in one index: the hash of the value, the entry's slot in that hash's
 * posting list (0 when it is filed alone) and which of the entry's refs this is (how a ref finds
 * its entry). Index tables keep hashes, not values: a lookup reads the objects filed under the
 * hash and keeps those whose index function gives the value (two values with one 64-bit hash
 * share a posting list; the objects tell them apart). */
typedef struct index_ref {
    uint64_t hash;
    uint32_t pos;
    uint16_t nth;
    uint8_t idx;
} index_ref;

/* entry.flags */
enum {
    HAS_RV = 1,      /* the object has a metadata.resourceVersion (else the rv bytes are "") */
    RV_OUT = 2,      /* compact: metadata.resourceVersion left out of the text (it is the rv bytes) */
    NAME_OUT = 4,    /* compact: metadata.name left out of the text (it is the key) */
    NS_NAME_OUT = 8, /* compact: metadata.namespace and .name left out (the key is "ns/name") */
    HEX_PACKED = 16  /* compact: the text was packed by k8s/hexpack before it was deflated */
};

/* One cached object in a single allocation: this header, its index_refs, its key and its
 * resourceVersion (both NUL-terminated; the rv "" when the object had none) and, in compact
 * mode, its deflated JSON. One block per object, chained in the key table through next, keeps
 * malloc's per-block overhead and key copies out of the cache's size. */
typedef struct entry {
    struct entry *next; /* the next entry in this one's key-table bucket */
    union {
        json_t *obj; /* tree mode */
        struct {
            uint32_t len;  /* bytes of the JSON once inflated (and unpacked) */
            uint32_t zlen; /* bytes of deflated text */
        } z;               /* compact mode */
    } u;
    uint32_t key_hash;
    uint16_t nvals;
    uint8_t flags;
} entry;

static index_ref *refs_of(entry *e) { return (index_ref *)(e + 1); }
static entry *entry_of_ref(index_ref *r) { return (entry *)(r - r->nth) - 1; }
static const char *key_of(const entry *e) { return (const char *)((const index_ref *)(e + 1) + e->nvals); }
static const char *rv_bytes(const entry *e) { return key_of(e) + strlen(key_of(e)) + 1; }
static const char *rv_of(const entry *e) { return e->flags & HAS_RV ? rv_bytes(e) : NULL; }
static const char *text_of(const entry *e) { return rv_bytes(e) + strlen(rv_bytes(e)) + 1; }

/* The objects filed under one hash: an index_ref (exactly one: no allocation for the common
 * unique value), or a posting list tagged with POSTING_TAG (two or more, in any order; each
 * index_ref says its slot, so removal is a swap with the last; the hash is the items'; with
 * no field of its own, a list of four takes malloc's 48-byte block). */
typedef struct posting {
    uint32_t n, cap;
    index_ref *items[];
} posting;
#define POSTING_TAG ((uintptr_t)1)
static bool is_posting(const void *v) { return ((uintptr_t)v & POSTING_TAG) != 0; }
static posting *posting_of(void *v) { return (posting *)((uintptr_t)v & ~POSTING_TAG); }

/* The hash a cell's filing is under (the filing is not NULL). */
static uint64_t filed_hash(void *filed) {
    return is_posting(filed) ? posting_of(filed)->items[0]->hash : ((const index_ref *)filed)->hash;
}

/* One index: hash → what is filed under it (index_ref * | tagged posting *), open addressing with
 * linear probing over cells that hold only that pointer (the hash is read through it: half the
 * table a stored hash would take); NULL marks a free cell; removal shifts the cells after it
 * back, so there are no tombstones. */
typedef struct store_index {
    char *name;
    mg_index_fn fn;
    void **cells;
    size_t cap, len; /* cap: a power of two, or 0 before the first value */
} store_index;

/* The key table: chained through entry->next, power-of-two buckets. */
typedef struct key_table {
    entry **buckets;
    size_t nbuckets, len;
} key_table;

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
    key_table objects;
    store_index idx[MAX_INDEXES];
    int nidx;
};

static _Atomic int weak_hashes; /* mg_store_test_weak_hashes */

void mg_store_test_weak_hashes(bool on) { weak_hashes = on; }

/* FNV-1a, 64 bits, then MurmurHash3's finalizer: FNV's low bits, which pick a table slot, are
 * poorly mixed (bit 0 is the parity of the bytes' bit 0), and the index tables' linear probing
 * reads each cell's hash through a pointer, so clusters cost a cache miss a step. Two bits under
 * mg_store_test_weak_hashes, so that tests meet collisions. */
static uint64_t hash_of(const char *s) {
    uint64_t h = 14695981039346656037ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return weak_hashes ? h & 3u : h;
}

/* ---- the key table (under the write lock for changes) ---- */

static entry **key_slot(const key_table *t, const char *key, uint32_t h) {
    if (!t->nbuckets) return NULL;
    entry **pp = &t->buckets[h & (t->nbuckets - 1)];
    for (; *pp; pp = &(*pp)->next)
        if ((*pp)->key_hash == h && !strcmp(key_of(*pp), key)) return pp;
    return pp; /* the end of the chain: *pp == NULL */
}

static entry *key_get(const key_table *t, const char *key) {
    entry **pp = key_slot(t, key, (uint32_t)hash_of(key));
    return pp ? *pp : NULL;
}

static void key_grow(key_table *t) {
    size_t nb = t->nbuckets ? t->nbuckets * 2 : 8;
    entry **b = mg_xcalloc(nb, sizeof(*b));
    for (size_t i = 0; i < t->nbuckets; i++) {
        for (entry *e = t->buckets[i], *next; e; e = next) {
            next = e->next;
            e->next = b[e->key_hash & (nb - 1)];
            b[e->key_hash & (nb - 1)] = e;
        }
    }
    free(t->buckets);
    t->buckets = b;
    t->nbuckets = nb;
}

/* Puts e in the table (e's key and key_hash set) in place of the entry with its key, which is
 * returned (NULL when the key was new). */
static entry *key_put(key_table *t, entry *e) {
    if (t->len + 1 > t->nbuckets - t->nbuckets / 4) key_grow(t);
    entry **pp = key_slot(t, key_of(e), e->key_hash);
    entry *old = *pp;
    e->next = old ? old->next : NULL;
    *pp = e;
    if (!old) t->len++;
    return old;
}

static entry *key_del(key_table *t, const char *key) {
    entry **pp = key_slot(t, key, (uint32_t)hash_of(key));
    if (!pp || !*pp) return NULL;
    entry *e = *pp;
    *pp = e->next;
    t->len--;
    return e;
}

/* Iteration: entry *e = NULL; size_t b = 0; while ((e = key_next(t, e, &b))) ... */
static entry *key_next(const key_table *t, entry *e, size_t *bucket) {
    if (e && e->next) return e->next;
    while (*bucket < t->nbuckets)
        if ((e = t->buckets[(*bucket)++])) return e;
    return NULL;
}

/* ---- index tables (under the write lock for changes) ---- */

/* The cell holding h in cells[cap] (cap > 0), or the free cell where h's run ends. */
static void **probe(void **cells, size_t cap, uint64_t h) {
    size_t i = h & (cap - 1);
    while (cells[i] && filed_hash(cells[i]) != h)
        i = (i + 1) & (cap - 1);
    return &cells[i];
}

static void **cell_find(const store_index *ix, uint64_t h) {
    void **c = ix->cap ? probe(ix->cells, ix->cap, h) : NULL;
    return c && *c ? c : NULL;
}

static void cells_grow(store_index *ix) {
    size_t cap = ix->cap ? ix->cap * 2 : 8;
    void **cells = mg_xcalloc(cap, sizeof(*cells));
    for (size_t i = 0; i < ix->cap; i++)
        if (ix->cells[i]) *probe(cells, cap, filed_hash(ix->cells[i])) = ix->cells[i];
    free(ix->cells);
    ix->cells = cells;
    ix->cap = cap;
}

/* The cell of h; a free one (NULL, counted as used: the caller files into it at once) when h is
 * not filed yet. */
static void **cell_insert(store_index *ix, uint64_t h) {
    if (ix->len + 1 > ix->cap - ix->cap / 4) cells_grow(ix);
    void **c = probe(ix->cells, ix->cap, h);
    if (!*c) ix->len++;
    return c;
}

/* Frees cell c (linear probing's backward shift: a later cell of the same run whose home is not
 * between the hole and itself moves into the hole). */
static void cell_remove(store_index *ix, void **c) {
    size_t mask = ix->cap - 1, hole = (size_t)(c - ix->cells);
    for (size_t i = (hole + 1) & mask; ix->cells[i]; i = (i + 1) & mask) {
        size_t home = filed_hash(ix->cells[i]) & mask;
        bool stays = hole <= i ? (hole < home && home <= i) : (hole < home || home <= i);
        if (stays) continue;
        ix->cells[hole] = ix->cells[i];
        hole = i;
    }
    ix->cells[hole] = NULL;
    ix->len--;
}

mg_store *mg_store_new(void) {
    mg_store *s = mg_xcalloc(1, sizeof(*s));
    pthread_rwlock_init(&s->lock, NULL);
    pthread_mutex_init(&s->scratch_mu, NULL);
    mg_buf_init(&s->scratch, MG_BUF_UNCAPPED);
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

/* Each reading thread keeps one inflate stream (reset for every read): a stream's ~11 KB of
 * state and window, allocated and freed per read, made malloc consolidate its free lists on
 * every read. Freed when the thread ends. */
static pthread_key_t inflater_key;
static pthread_once_t inflater_once = PTHREAD_ONCE_INIT;

static void inflater_free(void *p) {
    inflateEnd(p);
    free(p);
}
static void inflater_key_init(void) {
    if (pthread_key_create(&inflater_key, inflater_free) != 0) abort(); /* out of keys */
}

static z_stream *thread_inflater(void) {
    pthread_once(&inflater_once, inflater_key_init);
    z_stream *z = pthread_getspecific(inflater_key);
    if (z) {
        if (inflateReset(z) != Z_OK) abort(); /* only fails for a broken stream */
        return z;
    }
    z = mg_xcalloc(1, sizeof(*z));
    if (inflateInit2(z, -ZWINDOW_BITS) != Z_OK) abort(); /* out of memory */
    if (pthread_setspecific(inflater_key, z) != 0) abort();
    return z;
}

/* The deflated bytes of a compact entry, inflated into out[cap]; returns their length. */
static size_t inflate_entry(const mg_store *s, const entry *e, char *out, size_t cap) {
    z_stream *z = thread_inflater();
    if (s->dict) inflateSetDictionary(z, (const Bytef *)s->dict, (uInt)s->dict_len);
    z->next_in = (Bytef *)text_of(e);
    z->avail_in = e->u.z.zlen;
    z->next_out = (Bytef *)out;
    z->avail_out = (uInt)cap;
    int rc = inflate(z, Z_FINISH);
    /* we wrote these bytes ourselves: anything else means memory corruption */
    if (rc != Z_STREAM_END) abort();
    return z->total_out;
}

/* The JSON text of a compact entry into out (len + 1 bytes, NUL-terminated). */
static void entry_text(const mg_store *s, const entry *e, char *out) {
    size_t len = e->u.z.len;
    if (e->flags & HEX_PACKED) { /* packed text is never longer than the JSON */
        char stack[4096], *packed = len <= sizeof(stack) ? stack : mg_xmalloc(len);
        size_t plen = inflate_entry(s, e, packed, len);
        if (mg_hexunpack(packed, plen, out, len) != len) abort(); /* corruption, as above */
        if (packed != stack) free(packed);
    } else if (inflate_entry(s, e, out, len) != len) {
        abort();
    }
    out[len] = '\0';
}

/* Puts back into a compact entry's parsed object the metadata its text left out (see
 * without_identity). */
static void restore_identity(const entry *e, json_t *obj) {
    json_t *md = json_object_get(obj, "metadata");
    if (!json_is_object(md)) abort(); /* kept when anything was left out: corruption otherwise */
    const char *key = key_of(e), *slash = strchr(key, '/');
    if (e->flags & NS_NAME_OUT) {
        json_object_set_new(md, "namespace", json_stringn(key, (size_t)(slash - key)));
        json_object_set_new(md, "name", json_string(slash + 1));
    } else if (e->flags & NAME_OUT) {
        json_object_set_new(md, "name", json_string(key));
    }
    if (e->flags & RV_OUT) json_object_set_new(md, "resourceVersion", json_string(rv_bytes(e)));
}

/* A new reference to the entry's object: shared in tree mode, a fresh parse in compact mode. */
static json_t *materialize(const mg_store *s, const entry *e) {
    if (!s->compact) return json_incref(e->u.obj);
    char stack[4096], *text = e->u.z.len < sizeof(stack) ? stack : mg_xmalloc(e->u.z.len + 1);
    entry_text(s, e, text);
    json_t *o = mg_k8s_json_parse(text, e->u.z.len, MG_JSON_STRIP_NONE, NULL);
    if (text != stack) free(text);
    if (!o) abort(); /* we wrote this text ourselves: unparsable means memory corruption */
    if (e->flags & (RV_OUT | NAME_OUT | NS_NAME_OUT)) restore_identity(e, o);
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

static void free_entry(const mg_store *s, entry *e) {
    if (!e) return;
    if (!s->compact) json_decref(e->u.obj);
    free(e);
}

void mg_store_free(mg_store *s) {
    if (!s) return;
    for (size_t b = 0; b < s->objects.nbuckets; b++) {
        for (entry *e = s->objects.buckets[b], *next; e; e = next) {
            next = e->next;
            free_entry(s, e);
        }
    }
    free(s->objects.buckets);
    for (int i = 0; i < s->nidx; i++) {
        free(s->idx[i].name);
        for (size_t c = 0; c < s->idx[i].cap; c++)
            if (is_posting(s->idx[i].cells[c])) free(posting_of(s->idx[i].cells[c]));
        free(s->idx[i].cells);
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
    if (s->nidx >= MAX_INDEXES || s->objects.len > 0) {
        rc = MG_EINVAL;
    } else {
        for (int i = 0; i < s->nidx; i++)
            if (!strcmp(s->idx[i].name, name)) rc = MG_EINVAL;
    }
    if (!rc) {
        s->idx[s->nidx].name = mg_xstrdup(name);
        s->idx[s->nidx].fn = fn;
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
            uint64_t h = hash_of(out[j]);
            bool dup = false; /* an object is filed once per distinct hash */
            for (size_t q = 0; q < n; q++)
                if (vals[q].idx == i && vals[q].hash == h) dup = true;
            if (dup) continue;
            vals = mg_xrealloc(vals, (n + 1) * sizeof(*vals));
            vals[n].idx = i;
            vals[n].hash = h;
            n++;
        }
    }
    *nvals = n;
    return vals;
}

/* Files e under vals[i] (in e's index_ref i). Under the write lock. */
static void file_under(mg_store *s, entry *e, uint16_t i, const index_val *val) {
    index_ref *ref = &refs_of(e)[i];
    ref->hash = val->hash;
    ref->idx = (uint8_t)val->idx;
    ref->nth = i;
    ref->pos = 0;
    void **slot = cell_insert(&s->idx[val->idx], val->hash);
    if (!*slot) {
        *slot = ref;
        return;
    }
    posting *p;
    if (!is_posting(*slot)) { /* a second object under this value */
        p = mg_xmalloc(sizeof(*p) + 4 * sizeof(index_ref *));
        p->n = 1;
        p->cap = 4;
        p->items[0] = *slot; /* it already says slot 0 */
    } else {
        p = posting_of(*slot);
        if (p->n == p->cap) {
            p->cap *= 2;
            p = mg_xrealloc(p, sizeof(*p) + p->cap * sizeof(index_ref *));
        }
    }
    ref->pos = p->n;
    p->items[p->n++] = ref;
    *slot = (void *)((uintptr_t)p | POSTING_TAG);
}

/* Takes e out of every index it is filed in. Under the write lock. */
static void unindex(mg_store *s, entry *e) {
    for (uint16_t i = 0; i < e->nvals; i++) {
        index_ref *ref = &refs_of(e)[i];
        store_index *ix = &s->idx[ref->idx];
        void **cell = cell_find(ix, ref->hash);
        if (!cell) continue;
        if (!is_posting(*cell)) {
            cell_remove(ix, cell);
            continue;
        }
        posting *p = posting_of(*cell);
        index_ref *last = p->items[--p->n];
        if (last != ref) { /* the last takes ref's slot */
            p->items[ref->pos] = last;
            last->pos = ref->pos;
        }
        if (p->n > 1) continue;
        /* one object left: filed alone again, the list freed (a list is two or more) */
        p->items[0]->pos = 0;
        *cell = p->items[0];
        free(p);
    }
}

/* A plain C string: no NUL inside (what the entry's key and rv bytes can hold exactly). */
static const char *plain_string(const json_t *v) {
    const char *s = json_string_value(v);
    return s && strlen(s) == json_string_length(v) ? s : NULL;
}

/* For a compact entry: obj, or a shallow copy of it without the metadata the entry keeps anyway
 * (the name and namespace its key spells exactly, the resourceVersion its rv bytes hold), with
 * *flags saying what was left out. Those random-looking bytes would cost ~12 of a review's ~100
 * deflated bytes. A new reference. */
static json_t *without_identity(json_t *obj, const char *key, uint8_t *flags) {
    json_t *md = json_object_get(obj, "metadata");
    if (!json_is_object(md)) return json_incref(obj);
    const char *ns = plain_string(json_object_get(md, "namespace"));
    const char *name = plain_string(json_object_get(md, "name"));
    const char *rv = plain_string(json_object_get(md, "resourceVersion"));
    size_t key_len = strlen(key);
    uint8_t out = 0;
    if (name && ns && *ns) { /* the key is "ns/name" unless cut short, or ns holds a slash */
        size_t ns_len = strlen(ns);
        if (!strchr(ns, '/') && key_len == ns_len + 1 + strlen(name) && !strncmp(key, ns, ns_len) &&
            !strcmp(key + ns_len + 1, name))
            out |= NS_NAME_OUT;
    } else if (name && !ns && !strcmp(key, name)) {
        out |= NAME_OUT; /* an empty namespace stays in the text: the key does not say it */
    }
    if (rv) out |= RV_OUT;
    *flags |= out;
    if (!out) return json_incref(obj);
    json_t *copy = json_copy(obj), *md_copy = json_copy(md);
    if (!copy || !md_copy) abort(); /* out of memory: the project's policy (core/mem.h) */
    if (out & NS_NAME_OUT) json_object_del(md_copy, "namespace");
    if (out & (NS_NAME_OUT | NAME_OUT)) json_object_del(md_copy, "name");
    if (out & RV_OUT) json_object_del(md_copy, "resourceVersion");
    json_object_set_new(copy, "metadata", md_copy);
    return copy;
}

/* A new entry for obj under key with room for nvals index_refs (filed later, under the lock). */
static entry *new_entry(mg_store *s, json_t *obj, const char *key, size_t nvals) {
    const char *rv = json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
    size_t key_size = strlen(key) + 1, rv_size = rv ? strlen(rv) + 1 : 1;
    size_t head = sizeof(entry) + nvals * sizeof(index_ref) + key_size; /* then the rv */
    uint8_t flags = rv ? HAS_RV : 0;
    entry *e;
    if (s->compact) {
        json_t *text_obj = without_identity(obj, key, &flags);
        pthread_mutex_lock(&s->scratch_mu);
        mg_buf_reset(&s->scratch);
        mg_k8s_json_dump(text_obj, &s->scratch); /* cannot fail: scratch is uncapped */
        uint32_t len = (uint32_t)s->scratch.len;
        if (mg_hexpack_fits(s->scratch.data, s->scratch.len)) {
            s->scratch.len = mg_hexpack(s->scratch.data, s->scratch.len);
            s->scratch.data[s->scratch.len] = '\0'; /* mg_buf keeps its text terminated */
            flags |= HEX_PACKED;
        }
        uint32_t zlen = deflate_scratch(s);
        e = mg_xmalloc(head + rv_size + zlen);
        e->u.z.len = len;
        e->u.z.zlen = zlen;
        memcpy((char *)e + head + rv_size, s->zout, zlen);
        pthread_mutex_unlock(&s->scratch_mu);
        json_decref(text_obj);
    } else {
        e = mg_xmalloc(head + rv_size);
        e->u.obj = json_incref(obj);
    }
    e->next = NULL;
    e->key_hash = (uint32_t)hash_of(key);
    e->nvals = (uint16_t)nvals;
    e->flags = flags;
    memcpy((char *)key_of(e), key, key_size);
    memcpy((char *)e + head, rv ? rv : "", rv_size);
    return e;
}

bool mg_store_upsert(mg_store *s, json_t *obj, json_t **old_out) {
    char key[512];
    mg_store_key_of(obj, key, sizeof(key));
    size_t nvals;
    index_val *vals = compute_vals(s, obj, &nvals);
    entry *e = new_entry(s, obj, key, nvals);

    pthread_rwlock_wrlock(&s->lock);
    entry *old = key_put(&s->objects, e);
    if (old) unindex(s, old);
    for (uint16_t i = 0; i < e->nvals; i++)
        file_under(s, e, i, &vals[i]);
    pthread_rwlock_unlock(&s->lock);

    free(vals);
    if (old_out) *old_out = old ? materialize(s, old) : NULL;
    free_entry(s, old);
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
    entry *e = key_del(&s->objects, key);
    if (e) unindex(s, e);
    pthread_rwlock_unlock(&s->lock);
    return e;
}

json_t *mg_store_remove(mg_store *s, const char *key) {
    entry *e = take(s, key);
    if (!e) return NULL;
    json_t *obj = materialize(s, e);
    free_entry(s, e);
    return obj;
}

bool mg_store_delete(mg_store *s, const char *key) {
    entry *e = take(s, key);
    free_entry(s, e);
    return e != NULL;
}

json_t *mg_store_get(mg_store *s, const char *key) {
    pthread_rwlock_rdlock(&s->lock);
    entry *e = key_get(&s->objects, key);
    json_t *obj = e ? materialize(s, e) : NULL;
    pthread_rwlock_unlock(&s->lock);
    return obj;
}

size_t mg_store_len(mg_store *s) {
    pthread_rwlock_rdlock(&s->lock);
    size_t n = s->objects.len;
    pthread_rwlock_unlock(&s->lock);
    return n;
}

json_t *mg_store_list(mg_store *s) {
    json_t *arr = json_array();
    pthread_rwlock_rdlock(&s->lock);
    size_t b = 0;
    for (entry *e = NULL; (e = key_next(&s->objects, e, &b));)
        json_array_append_new(arr, materialize(s, e));
    pthread_rwlock_unlock(&s->lock);
    return arr;
}

static store_index *index_named(mg_store *s, const char *index) {
    for (int i = 0; i < s->nidx; i++)
        if (!strcmp(s->idx[i].name, index)) return &s->idx[i];
    return NULL;
}

/* What index ix files under value's hash (NULL | index_ref * | tagged posting *); under the
 * lock. */
static void *filed_under(const store_index *ix, const char *value) {
    void **c = ix ? cell_find(ix, hash_of(value)) : NULL;
    return c ? *c : NULL;
}

static size_t filed_count(const void *filed) {
    return is_posting(filed) ? posting_of((void *)filed)->n : filed != NULL;
}

static index_ref *const *filed_items(void *const *filed) {
    return is_posting(*filed) ? (index_ref *const *)posting_of(*filed)->items : (index_ref *const *)filed;
}

/* True when fn files obj under value. */
static bool files_under(mg_index_fn fn, const json_t *obj, const char *value) {
    const char *out[MAX_VALUES_PER_OBJECT];
    size_t k = fn(obj, out, MAX_VALUES_PER_OBJECT);
    for (size_t i = 0; i < k && i < MAX_VALUES_PER_OBJECT; i++)
        if (out[i] && !strcmp(out[i], value)) return true;
    return false;
}

/* The objects (or only their keys) filed under value's hash in index `index`, as a new array;
 * *fn (when not NULL) gets the index's function, NULL when there is no such index. */
static json_t *index_collect(mg_store *s, const char *index, const char *value, bool keys_only,
                             mg_index_fn *fn) {
    json_t *arr = json_array();
    pthread_rwlock_rdlock(&s->lock);
    store_index *ix = index_named(s, index);
    void *filed = filed_under(ix, value);
    index_ref *const *items = filed_items(&filed);
    for (size_t i = 0, n = filed_count(filed); i < n; i++) {
        const entry *e = entry_of_ref(items[i]);
        json_array_append_new(arr, keys_only ? json_string(key_of(e)) : materialize(s, e));
    }
    if (fn) *fn = ix ? ix->fn : NULL;
    pthread_rwlock_unlock(&s->lock);
    return arr;
}

json_t *mg_store_by_index(mg_store *s, const char *index, const char *value) {
    mg_index_fn fn;
    json_t *arr = index_collect(s, index, value, false, &fn);
    /* the objects of another value with the same hash go (index functions run without the lock) */
    for (size_t i = json_array_size(arr); fn && i-- > 0;)
        if (!files_under(fn, json_array_get(arr, i), value)) json_array_remove(arr, i);
    return arr;
}

json_t *mg_store_index_keys(mg_store *s, const char *index, const char *value) {
    return index_collect(s, index, value, true, NULL);
}

size_t mg_store_index_count(mg_store *s, const char *index, const char *value) {
    pthread_rwlock_rdlock(&s->lock);
    size_t n = filed_count(filed_under(index_named(s, index), value));
    pthread_rwlock_unlock(&s->lock);
    return n;
}

/* Computed from the objects (the index keeps hashes only): a test and debugging aid. */
json_t *mg_store_index_values(mg_store *s, const char *index) {
    json_t *seen = json_object();
    pthread_rwlock_rdlock(&s->lock);
    store_index *ix = index_named(s, index);
    mg_index_fn fn = ix ? ix->fn : NULL; /* indexes never change once objects are in */
    pthread_rwlock_unlock(&s->lock);
    json_t *objs = fn ? mg_store_list(s) : NULL;
    size_t i;
    json_t *o;
    json_array_foreach(objs, i, o) {
        const char *out[MAX_VALUES_PER_OBJECT];
        size_t k = fn(o, out, MAX_VALUES_PER_OBJECT);
        for (size_t j = 0; j < k && j < MAX_VALUES_PER_OBJECT; j++)
            if (out[j]) json_object_set_new_nocheck(seen, out[j], json_true());
    }
    json_decref(objs);
    json_t *arr = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(seen, k, v) json_array_append_new(arr, json_string_nocheck(k));
    json_decref(seen);
    return arr;
}

json_t *mg_store_keys(mg_store *s) {
    json_t *arr = json_array();
    pthread_rwlock_rdlock(&s->lock);
    size_t b = 0;
    for (entry *e = NULL; (e = key_next(&s->objects, e, &b));)
        json_array_append_new(arr, json_string(key_of(e)));
    pthread_rwlock_unlock(&s->lock);
    return arr;
}

json_t *mg_store_snapshot(mg_store *s) {
    json_t *snap = json_object();
    pthread_rwlock_rdlock(&s->lock);
    size_t b = 0;
    for (entry *e = NULL; (e = key_next(&s->objects, e, &b));)
        json_object_set_new(snap, key_of(e), materialize(s, e));
    pthread_rwlock_unlock(&s->lock);
    return snap;
}

json_t *mg_store_versions(mg_store *s) {
    json_t *snap = json_object();
    pthread_rwlock_rdlock(&s->lock);
    size_t b = 0;
    for (entry *e = NULL; (e = key_next(&s->objects, e, &b));) {
        const char *rv = rv_of(e);
        json_object_set_new(snap, key_of(e), json_string(rv ? rv : ""));
    }
    pthread_rwlock_unlock(&s->lock);
    return snap;
}
