/* k8s/store — see store.h. One rwlock guards the key map and every index. Index functions
 * are called before the lock is taken (they only read the immutable object), so no caller
 * code ever runs under the lock; objects are released after it is dropped. */
#include "k8s/store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/mem.h"
#include "k8s/strmap.h"

#define MAX_INDEXES 16
#define MAX_VALUES_PER_OBJECT 64

typedef struct index_val {
    int idx;
    char *val;
} index_val;

typedef struct entry {
    json_t *obj;
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
    mg_strmap *objects; /* key → entry * */
    store_index idx[MAX_INDEXES];
    int nidx;
};

mg_store *mg_store_new(void) {
    mg_store *s = mg_xcalloc(1, sizeof(*s));
    pthread_rwlock_init(&s->lock, NULL);
    s->objects = mg_strmap_new();
    return s;
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

json_t *mg_store_replace(mg_store *s, json_t *obj) {
    char key[512];
    mg_store_key_of(obj, key, sizeof(key));
    size_t nvals;
    index_val *vals = compute_vals(s, obj, &nvals);
    json_incref(obj);

    json_t *old = NULL;
    index_val *old_vals = NULL;
    size_t old_n = 0;
    pthread_rwlock_wrlock(&s->lock);
    entry *e = mg_strmap_get(s->objects, key);
    if (e) {
        unindex(s, key, e);
        old = e->obj;
        old_vals = e->vals;
        old_n = e->nvals;
    } else {
        e = mg_xcalloc(1, sizeof(*e));
        mg_strmap_put(s->objects, key, e);
    }
    e->obj = obj;
    e->vals = vals;
    e->nvals = nvals;
    reindex(s, key, e);
    pthread_rwlock_unlock(&s->lock);
    free_vals(old_vals, old_n);
    return old;
}

void mg_store_put(mg_store *s, json_t *obj) { json_decref(mg_store_replace(s, obj)); }

json_t *mg_store_remove(mg_store *s, const char *key) {
    pthread_rwlock_wrlock(&s->lock);
    entry *e = mg_strmap_get(s->objects, key);
    if (e) {
        unindex(s, key, e);
        mg_strmap_del(s->objects, key);
    }
    pthread_rwlock_unlock(&s->lock);
    if (!e) return NULL;
    json_t *obj = e->obj;
    free_vals(e->vals, e->nvals);
    free(e);
    return obj;
}

json_t *mg_store_get(mg_store *s, const char *key) {
    pthread_rwlock_rdlock(&s->lock);
    entry *e = mg_strmap_get(s->objects, key);
    json_t *obj = e ? json_incref(e->obj) : NULL;
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
        json_array_append(arr, ((entry *)v)->obj);
    pthread_rwlock_unlock(&s->lock);
    return arr;
}

json_t *mg_store_by_index(mg_store *s, const char *index, const char *value) {
    json_t *arr = json_array();
    pthread_rwlock_rdlock(&s->lock);
    for (int i = 0; i < s->nidx; i++) {
        if (strcmp(s->idx[i].name, index)) continue;
        mg_strmap *set = mg_strmap_get(s->idx[i].by_value, value);
        if (!set) break;
        mg_strmap_iter it = {0};
        void *v;
        while (mg_strmap_next(set, &it, NULL, &v))
            json_array_append(arr, ((entry *)v)->obj);
        break;
    }
    pthread_rwlock_unlock(&s->lock);
    return arr;
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
        json_object_set(snap, k, ((entry *)v)->obj);
    pthread_rwlock_unlock(&s->lock);
    return snap;
}
