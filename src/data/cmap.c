#include "data/cmap.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

#define CMAP_INITIAL_CAP 64

/* FNV-1a: short keys (group values) dominate; 0 is reserved for empty slots. */
static uint64_t fnv1a(const char *p, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ull;
    }
    return h ? h : 1;
}

/* Group values are mostly a few bytes: a plain loop beats a call to memcmp. */
static inline bool same_bytes(const char *a, const char *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i]) return false;
    return true;
}

void mg_cmap_init(mg_cmap *m) { memset(m, 0, sizeof *m); }

static void cmap_grow(mg_cmap *m) {
    size_t ncap = m->cap ? m->cap * 2 : CMAP_INITIAL_CAP;
    mg_cmap_entry *ns = mg_xcalloc(ncap, sizeof *ns);
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].hash) continue;
        size_t j = m->slots[i].hash & (ncap - 1);
        while (ns[j].hash)
            j = (j + 1) & (ncap - 1);
        ns[j] = m->slots[i];
    }
    free(m->slots);
    m->slots = ns;
    m->cap = ncap;
}

mg_cmap_entry *mg_cmap_get(mg_cmap *m, const char *key, size_t klen) {
    if ((m->n + 1) * 4 > m->cap * 3) cmap_grow(m);
    uint64_t h = fnv1a(key, klen);
    size_t j = h & (m->cap - 1);
    for (;;) {
        mg_cmap_entry *e = &m->slots[j];
        if (!e->hash) {
            e->hash = h;
            e->key = mg_xmalloc(klen + 1);
            memcpy(e->key, key, klen);
            e->key[klen] = '\0';
            e->klen = klen;
            m->n++;
            return e;
        }
        if (e->hash == h && e->klen == klen && same_bytes(e->key, key, klen)) return e;
        j = (j + 1) & (m->cap - 1);
    }
}

void mg_cmap_merge(mg_cmap *dst, const mg_cmap *src) {
    for (size_t k = 0; k < src->cap; k++) {
        const mg_cmap_entry *s = &src->slots[k];
        if (!s->hash) continue;
        mg_cmap_entry *d = mg_cmap_get(dst, s->key, s->klen);
        d->a += s->a;
        d->b += s->b;
    }
}

mg_cmap_entry **mg_cmap_sorted(const mg_cmap *m, int (*cmp)(const void *, const void *)) {
    mg_cmap_entry **list = mg_xmalloc((m->n + 1) * sizeof *list);
    size_t n = 0;
    for (size_t s = 0; s < m->cap; s++)
        if (m->slots[s].hash) list[n++] = &m->slots[s];
    qsort(list, n, sizeof *list, cmp);
    return list;
}

void mg_cmap_free(mg_cmap *m) {
    for (size_t i = 0; i < m->cap; i++)
        free(m->slots[i].key);
    free(m->slots);
    memset(m, 0, sizeof *m);
}

int mg_cmap_entry_key_cmp(const void *x, const void *y) {
    const mg_cmap_entry *a = *(const mg_cmap_entry *const *)x, *b = *(const mg_cmap_entry *const *)y;
    size_t n = a->klen < b->klen ? a->klen : b->klen;
    int c = memcmp(a->key, b->key, n);
    if (c) return c;
    return a->klen < b->klen ? -1 : a->klen > b->klen;
}
