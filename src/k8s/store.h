/* k8s/store — thread-safe cache of API objects: "namespace/name" (or "name") → immutable JSON.
 *
 * Owns: its objects. Objects put into the store must never be modified afterwards (they are
 * shared by reference count with readers); copy (json_deep_copy) before mutating. Readers get
 * new references they must json_decref. Secondary indexes are functions that map an object to
 * zero or more index values ("by digest", "by model"); mg_store_by_index returns the objects
 * under one value. All calls take an internal read/write lock; callbacks never run under it
 * (index functions run on the putting thread before the lock is taken).
 *
 * Changes by k8s-informer: mg_store_replace (put that returns the previous object),
 * mg_store_snapshot (key → object map, what the informer's relist diff takes),
 * mg_store_index_values, mg_store_upsert, mg_store_delete and the compact mode. An index keeps
 * the 64-bit hashes of its values, not the values: index functions may return strings that live
 * only as long as obj, mg_store_by_index keeps only the objects whose index function gives the
 * value, and the key and count calls below count by hash (see there). At most 16 indexes and 64
 * values per object per index. */
#ifndef MG_K8S_STORE_H
#define MG_K8S_STORE_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct mg_store mg_store;

/* Index function: appends up to max values (borrowed pointers into obj, or strings that live
 * as long as obj) to out and returns how many. */
typedef size_t (*mg_index_fn)(const json_t *obj, const char **out, size_t max);

mg_store *mg_store_new(void);
/* A store that keeps each object as its compact JSON text deflated (zlib, raw) with the first
 * object stored as a preset dictionary: objects of one kind share keys and most values, so a
 * ~1 KB object keeps ~100 bytes (a jansson tree of it would take ~9 KB). Before deflating, the
 * text leaves out the metadata the entry holds anyway (name and namespace when its key spells
 * them exactly, the resourceVersion) and has its uids and hex digests packed to bytes
 * (k8s/hexpack). Every read inflates, unpacks and parses (a few microseconds per KB) and returns
 * a fresh tree, equal to the object put (json_equal; members may come in another order), that
 * is not shared with other readers (still treat it as read-only). Same interface otherwise. */
mg_store *mg_store_new_compact(void);
void mg_store_free(mg_store *s);
/* Registers an index before the first put. name is copied. Returns 0 or MG_EINVAL. */
int mg_store_add_index(mg_store *s, const char *name, mg_index_fn fn);

/* Key of an object: "ns/name", or "name" when cluster-scoped. Writes into out (NUL-terminated,
 * truncated at outlen). */
void mg_store_key_of(const json_t *obj, char *out, size_t outlen);

/* Inserts or replaces; takes a new reference to obj (the caller keeps its own). */
void mg_store_put(mg_store *s, json_t *obj);
/* Same as put, and returns the object it replaced (new reference, caller decrefs) or NULL. */
json_t *mg_store_replace(mg_store *s, json_t *obj);
/* Put that says whether the key existed; *old_out (when old_out is not NULL) gets the replaced
 * object (new reference) or NULL. Passing NULL spares the compact store a parse. */
bool mg_store_upsert(mg_store *s, json_t *obj, json_t **old_out);
/* Removes key; returns the removed object (new reference, caller decrefs) or NULL. */
json_t *mg_store_remove(mg_store *s, const char *key);
/* Removes key without returning the object; true when it was there. */
bool mg_store_delete(mg_store *s, const char *key);
/* Returns a new reference or NULL. */
json_t *mg_store_get(mg_store *s, const char *key);
size_t mg_store_len(mg_store *s);
/* Snapshot of every object as a new JSON array (references shared, array owned by caller). */
json_t *mg_store_list(mg_store *s);
/* Snapshot of the objects whose index `index` holds `value`; a new array, caller owns. */
json_t *mg_store_by_index(mg_store *s, const char *index, const char *value);
/* Snapshot of every key, a new JSON array of strings. */
json_t *mg_store_keys(mg_store *s);
/* Snapshot as a new JSON object key → object (references shared, object owned by caller). */
json_t *mg_store_snapshot(mg_store *s);
/* key → metadata.resourceVersion ("" when absent) of every object: a new JSON object. Cheap
 * in both modes (what the informer's relist compares with). */
json_t *mg_store_versions(mg_store *s);
/* The keys of the objects whose index `index` holds `value` (a new array of strings): no object
 * is read, so objects filed under another value with the same 64-bit hash would be listed too
 * (use it where an extra key costs no more than a needless look, as enqueueing does). */
json_t *mg_store_index_keys(mg_store *s, const char *index, const char *value);
/* How many objects index `index` files under `value` (0 when the index does not exist); no
 * object is read, so it is cheap in both modes and, like mg_store_index_keys, counts by hash. */
size_t mg_store_index_count(mg_store *s, const char *index, const char *value);
/* Every value currently present in index `index` (a new array of strings; empty when the index
 * does not exist), computed from the objects: slow, for tests and debugging. */
json_t *mg_store_index_values(mg_store *s, const char *index);

/* Tests only: while on, index and key hashes keep two bits, so that every path taken when two
 * values share a hash is exercised. Switch it only while no store holds objects. */
void mg_store_test_weak_hashes(bool on);

#endif
