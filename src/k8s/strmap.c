#include "k8s/strmap.h"

#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

typedef struct node {
    struct node *next;
    uint32_t hash;
    void *val;
    char key[];
} node;

struct mg_strmap {
    node **buckets;
    size_t nbuckets; /* power of two */
    size_t len;
};

static uint32_t fnv1a(const char *s) {
    uint32_t h = 2166136261u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

mg_strmap *mg_strmap_new(void) {
    mg_strmap *m = mg_xcalloc(1, sizeof(*m));
    m->nbuckets = 8;
    m->buckets = mg_xcalloc(m->nbuckets, sizeof(node *));
    return m;
}

void mg_strmap_free(mg_strmap *m, void (*free_val)(void *)) {
    if (!m) return;
    for (size_t i = 0; i < m->nbuckets; i++) {
        node *n = m->buckets[i];
        while (n) {
            node *next = n->next;
            if (free_val) free_val(n->val);
            free(n);
            n = next;
        }
    }
    free(m->buckets);
    free(m);
}

static node *find(const mg_strmap *m, const char *key, uint32_t h) {
    for (node *n = m->buckets[h & (m->nbuckets - 1)]; n; n = n->next)
        if (n->hash == h && !strcmp(n->key, key)) return n;
    return NULL;
}

bool mg_strmap_has(const mg_strmap *m, const char *key) { return find(m, key, fnv1a(key)) != NULL; }

void *mg_strmap_get(const mg_strmap *m, const char *key) {
    node *n = find(m, key, fnv1a(key));
    return n ? n->val : NULL;
}

static void grow(mg_strmap *m) {
    size_t nb = m->nbuckets * 2;
    node **b = mg_xcalloc(nb, sizeof(node *));
    for (size_t i = 0; i < m->nbuckets; i++) {
        node *n = m->buckets[i];
        while (n) {
            node *next = n->next;
            n->next = b[n->hash & (nb - 1)];
            b[n->hash & (nb - 1)] = n;
            n = next;
        }
    }
    free(m->buckets);
    m->buckets = b;
    m->nbuckets = nb;
}

static node *insert(mg_strmap *m, const char *key, uint32_t h, void *val) {
    if (m->len + 1 > m->nbuckets - m->nbuckets / 4) grow(m);
    size_t klen = strlen(key);
    node *n = mg_xmalloc(sizeof(node) + klen + 1);
    memcpy(n->key, key, klen + 1);
    n->hash = h;
    n->val = val;
    size_t i = h & (m->nbuckets - 1);
    n->next = m->buckets[i];
    m->buckets[i] = n;
    m->len++;
    return n;
}

void *mg_strmap_put(mg_strmap *m, const char *key, void *val) {
    uint32_t h = fnv1a(key);
    node *n = find(m, key, h);
    if (n) {
        void *old = n->val;
        n->val = val;
        return old;
    }
    insert(m, key, h, val);
    return NULL;
}

void **mg_strmap_slot(mg_strmap *m, const char *key, bool insert_missing, const char **stored_key) {
    uint32_t h = fnv1a(key);
    node *n = find(m, key, h);
    if (!n && insert_missing) n = insert(m, key, h, NULL);
    if (stored_key) *stored_key = n ? n->key : NULL;
    return n ? &n->val : NULL;
}

void *mg_strmap_del(mg_strmap *m, const char *key) {
    uint32_t h = fnv1a(key);
    node **pp = &m->buckets[h & (m->nbuckets - 1)];
    for (; *pp; pp = &(*pp)->next) {
        node *n = *pp;
        if (n->hash == h && !strcmp(n->key, key)) {
            void *val = n->val;
            *pp = n->next;
            free(n);
            m->len--;
            return val;
        }
    }
    return NULL;
}

size_t mg_strmap_len(const mg_strmap *m) { return m->len; }

bool mg_strmap_next(const mg_strmap *m, mg_strmap_iter *it, const char **key, void **val) {
    node *n = it->node;
    if (n) n = n->next;
    while (!n && it->bucket < m->nbuckets)
        n = m->buckets[it->bucket++];
    it->node = n;
    if (!n) return false;
    if (key) *key = n->key;
    if (val) *val = n->val;
    return true;
}
