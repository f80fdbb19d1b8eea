/* k8s/strmap — string-keyed hash map (chained, power-of-two buckets, FNV-1a) used by the
 * workqueue, the member list, the registries and the operator's bookkeeping (the store keeps
 * its own tables: keys inside its entries, hashes in its indexes).
 *
 * Owns: a copy of every key; values are opaque pointers the caller owns (mg_strmap_free can
 * call a destructor on each). A value may be NULL, so use mg_strmap_has to test membership.
 * Not thread-safe: the owning module locks around it. Iteration order is unspecified and an
 * iterator is invalidated by any put or del. */
#ifndef MG_K8S_STRMAP_H
#define MG_K8S_STRMAP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mg_strmap mg_strmap;
typedef struct mg_strmap_iter {
    size_t bucket;
    void *node;
} mg_strmap_iter;

mg_strmap *mg_strmap_new(void);
/* Frees the map and its keys; calls free_val(value) for each entry when free_val is not NULL. */
void mg_strmap_free(mg_strmap *m, void (*free_val)(void *));
bool mg_strmap_has(const mg_strmap *m, const char *key);
/* The value under key, or NULL when absent (or stored as NULL). */
void *mg_strmap_get(const mg_strmap *m, const char *key);
/* Inserts or replaces; returns the previous value (NULL when the key was new). */
void *mg_strmap_put(mg_strmap *m, const char *key, void *val);
/* The value slot of key, for reading or writing the value in place: when key is absent, NULL, or
 * with insert a new entry whose value is NULL. *stored_key (when not NULL) gets the map's own copy
 * of the key, which stays put until the key is deleted (growing the map moves no entry). The slot
 * is valid until the next put or del. */
void **mg_strmap_slot(mg_strmap *m, const char *key, bool insert, const char **stored_key);
/* Removes key; returns its value (NULL when absent). */
void *mg_strmap_del(mg_strmap *m, const char *key);
size_t mg_strmap_len(const mg_strmap *m);
/* Iteration: mg_strmap_iter it = {0}; while (mg_strmap_next(m, &it, &k, &v)) ... */
bool mg_strmap_next(const mg_strmap *m, mg_strmap_iter *it, const char **key, void **val);

#endif
