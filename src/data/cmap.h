/* data/cmap — a byte-string keyed hash map of two counters, the aggregate of the data scans
 * (groups of bias-scan and baseline, equivalence classes of anonymity).
 *
 * Owns: its slots and a heap copy of every key. Open addressing, linear probing, grows by
 * doubling at 3/4 load, so memory is proportional to the number of distinct keys and never to
 * the rows scanned. Not thread-safe: one map per thread (parallel scans keep one each and
 * merge them with mg_cmap_merge). Allocation failure aborts (core/mem). */
#ifndef MG_DATA_CMAP_H
#define MG_DATA_CMAP_H
#include <stddef.h>
#include <stdint.h>

typedef struct mg_cmap_entry {
    char *key; /* heap, NUL-terminated (key may contain NULs; klen is authoritative) */
    size_t klen;
    uint64_t hash; /* 0 marks an empty slot */
    uint64_t a, b;
} mg_cmap_entry;

typedef struct mg_cmap {
    mg_cmap_entry *slots;
    size_t cap, n;
} mg_cmap;

void mg_cmap_init(mg_cmap *m);
/* Returns the entry for key (borrowed; valid until the next insertion), inserting a zeroed one
 * when absent. */
mg_cmap_entry *mg_cmap_get(mg_cmap *m, const char *key, size_t klen);
/* Adds both counters of every entry of src into dst (src unchanged). */
void mg_cmap_merge(mg_cmap *dst, const mg_cmap *src);
/* The m->n entries in key order (mg_cmap_entry_key_cmp): a new array of borrowed pointers,
 * the caller frees the array. */
mg_cmap_entry **mg_cmap_sorted(const mg_cmap *m, int (*cmp)(const void *, const void *));
void mg_cmap_free(mg_cmap *m);
/* qsort comparator over mg_cmap_entry *: by key bytes, a shorter prefix first. */
int mg_cmap_entry_key_cmp(const void *x, const void *y);

#endif
