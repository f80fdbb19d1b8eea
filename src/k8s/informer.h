/* k8s/informer — keeps an mg_store in step with one resource type through LIST + WATCH.
 *
 * Owns: one background thread per informer, and the store it fills (mg_informer_store returns
 * it borrowed). Paginated LIST (limit/continue), then WATCH from the list's resourceVersion
 * with bookmarks; on 410 Gone (HTTP or an ERROR event) it relists and delivers the add, update
 * and delete differences so the cache converges; reconnects with jittered backoff; a watchdog
 * ends stalled streams. An optional transform strips objects before they are cached
 * (managedFields and the last-applied annotation are always stripped).
 *
 * Handlers run on the informer's thread, in event order, never under the store lock; they get
 * borrowed objects (old is NULL for add; for delete obj is the last known state: the DELETED
 * event's object, or the cached object when a relist finds it gone). The store already holds
 * the new state when a handler runs. Handlers must be quick: typically they enqueue a key into
 * a workqueue. A relist (after 410) delivers only differences: adds, updates whose
 * resourceVersion changed, and deletes. Resync calls on_update(obj, obj) for every cached
 * object, on the informer's thread from inside the open watch (between its reads): the stream
 * is neither ended nor counted as a restart.
 *
 * Objects from LIST pages get kind/apiVersion filled in from the list when missing, so cached
 * objects look the same whether they came from a LIST or a WATCH. A LIST is applied page by
 * page (adds/updates of each page as it arrives, deletes once the last page is in), so only one
 * page is in memory; an expired continue token (410) restarts the LIST from the first page.
 * Watch events are parsed with k8s/jsonparse, which drops managedFields and the last-applied
 * annotation without building them.
 *
 * Odd objects: every valid JSON document the API server sends is read (NUL characters in
 * strings, integers beyond int64). A LIST item or a watch event's object that still cannot be
 * interpreted — one k8s/jsonparse cannot represent (nesting deeper than 2048, a NUL in a key, a
 * number beyond double) or one without metadata.name — is skipped with an error log line and
 * counted (mg_informer_skipped); it never fails the LIST or ends the watch, so one odd object
 * cannot blind the cache. Invalid JSON still fails the request (a LIST is retried, a watch
 * restarted).
 *
 * Typical controller wiring (sample-controller's shape):
 *   handlers: on_add/on_update/on_delete compute mg_store_key_of(obj) and mg_wq_add(q, key);
 *   mg_informer_start(inf, &err); mg_informer_wait_synced(inf, -1);  (workers start after sync)
 *   mg_wq_workers_start(q, 2, reconcile, ctx, &w);  (reconcile reads mg_store_get(store, key))
 *   shutdown: mg_wq_workers_stop(w); mg_informer_free(inf); mg_wq_free(q).
 *
 * Interface additions by k8s-informer (lead's header otherwise unchanged): opts.watch_timeout_s,
 * backoff_base_ms, compact_store; mg_informer_last_rv; the pure helpers below. */
#ifndef MG_K8S_INFORMER_H
#define MG_K8S_INFORMER_H
#include <jansson.h>
#include <stdbool.h>

#include "k8s/client.h"
#include "k8s/store.h"

typedef struct mg_informer mg_informer;

typedef struct mg_informer_handlers {
    void (*on_add)(const json_t *obj, void *ud);
    void (*on_update)(const json_t *old_obj, const json_t *new_obj, void *ud);
    void (*on_delete)(const json_t *obj, void *ud);
    void *ud;
} mg_informer_handlers;

/* Returns a new JSON object to cache instead of obj. obj is the informer's own fresh parse
 * (already stripped) and not yet shared, so the transform may also edit it in place and return
 * json_incref(obj). Returning NULL keeps obj as it is. */
typedef json_t *(*mg_transform_fn)(json_t *obj, void *ud);

typedef struct mg_informer_opts {
    const char *namespace;      /* NULL: all namespaces */
    const char *label_selector; /* NULL: none */
    const char *field_selector;
    long page_size;        /* default 100 */
    long resync_ms;        /* periodic on_update(obj, obj) for every object; 0: none */
    long stall_timeout_ms; /* watchdog; default 5 min (bookmarks arrive ~every minute) */
    long watch_timeout_s;  /* server-side timeoutSeconds; 0: random in [300, 600) as client-go */
    long backoff_base_ms;  /* reconnect backoff: base (default 200), cap 30 s, jitter 50% */
    mg_transform_fn transform;
    void *transform_ud;
    bool compact_store; /* cache compact JSON text (mg_store_new_compact): ~6x less
                           memory, reads parse */
} mg_informer_opts;

/* The client is borrowed and must outlive the informer. gvr is copied. */
mg_informer *mg_informer_new(mg_client *c, const mg_gvr *gvr, const mg_informer_opts *opts,
                             const mg_informer_handlers *handlers);
/* Registers a store index; call before start. */
int mg_informer_add_index(mg_informer *inf, const char *name, mg_index_fn fn);
int mg_informer_start(mg_informer *inf, mg_error *err);
/* True once the first LIST was fully delivered to the store and handlers. */
bool mg_informer_has_synced(mg_informer *inf);
/* Waits until synced or timeout_ms passes (<0: forever); returns true when synced. */
bool mg_informer_wait_synced(mg_informer *inf, long timeout_ms);
mg_store *mg_informer_store(mg_informer *inf);
/* Counters for /metrics: watches started after the first one (reconnects of any cause), and
 * LISTs after the first one (relists after 410). */
unsigned long mg_informer_watch_restarts(mg_informer *inf);
unsigned long mg_informer_relists(mg_informer *inf);
/* Objects left out because they cannot be interpreted (see "Odd objects" above). */
unsigned long mg_informer_skipped(mg_informer *inf);
/* The resourceVersion the informer would watch from now ("" before the first list); a new
 * heap string. */
char *mg_informer_last_rv(mg_informer *inf);
/* Stops the threads (ends an open watch promptly; a LIST in flight finishes first, bounded by
 * the client's request timeout) and waits for them: no handler runs after it returns. The
 * store stays readable. Idempotent. Owners of several informers whose handlers read each
 * other's stores stop all of them before freeing any. */
void mg_informer_stop(mg_informer *inf);
/* Stops the informer (mg_informer_stop) and frees everything. */
void mg_informer_free(mg_informer *inf);

/* ---- A controller's set of informers, started and awaited together ---- */

/* Starts every informer of infs (NULL entries are skipped). On a failure the ones already
 * started keep running (mg_informer_free stops them) and err names the resource. */
int mg_informers_start(mg_informer *const *infs, size_t n, mg_error *err);
/* True when every informer of infs has synced. */
bool mg_informers_synced(mg_informer *const *infs, size_t n);
/* Waits until every informer has synced, or until timeout_ms (one deadline for the whole set;
 * < 0: forever) has passed. True when all synced. */
bool mg_informers_wait_synced(mg_informer *const *infs, size_t n, long timeout_ms);
/* Stops every informer of infs (NULL entries are skipped) before any is freed: their handlers
 * may read each other's stores. */
void mg_informers_stop(mg_informer *const *infs, size_t n);
/* Stops all of infs, then frees each (mg_informer_free) and sets its entry to NULL. */
void mg_informers_free(mg_informer **infs, size_t n);

/* ---- Pure helpers (exposed for tests and for other watchers) ---- */

/* Removes metadata.managedFields and the kubectl.kubernetes.io/last-applied-configuration
 * annotation (and the annotations object if that leaves it empty). Edits obj in place: only
 * for objects nobody else holds yet. */
void mg_k8s_strip(json_t *obj);

typedef enum {
    MG_WATCH_ADDED,
    MG_WATCH_MODIFIED,
    MG_WATCH_DELETED,
    MG_WATCH_BOOKMARK,
    MG_WATCH_ERROR
} mg_watch_event_type;

typedef struct mg_watch_event {
    mg_watch_event_type type;
    json_t *object;               /* new reference (the Status for ERROR); caller decrefs; NULL
                                     when the object was left out (skipped says why) */
    char skipped[160];            /* "" unless the object could not be interpreted */
    int code;                     /* ERROR: the Status code (410 for Expired/Gone), else 0 */
    const char *resource_version; /* borrowed from object; NULL when absent */
} mg_watch_event;

/* Parses one watch line {"type":...,"object":{...}} with the fast parser (k8s/jsonparse); the
 * object comes out already stripped (as mg_k8s_strip). Returns 0, or MG_EPARSE for bad JSON, a
 * missing or unknown type, or an object that is not a JSON object (err says which). An object
 * that is valid JSON but cannot be represented is left out: 0 with object NULL and skipped set. */
int mg_watch_event_parse(const char *line, size_t len, mg_watch_event *ev, mg_error *err);

/* The relist diff. cached: JSON object key → the cached object OR its resourceVersion string
 * (mg_store_snapshot or mg_store_versions); listed: JSON array of freshly listed (prepared)
 * objects. Produces, in list order, ADD for keys not cached and UPDATE for keys whose
 * resourceVersion differs (with no resourceVersion on either side: whose content differs when
 * the cached object is at hand, else always), then DELETE for cached keys that were not listed.
 * old_obj is the cached object when cached holds objects, else NULL; objects are borrowed. */
typedef enum { MG_DELTA_ADD, MG_DELTA_UPDATE, MG_DELTA_DELETE } mg_delta_type;
typedef struct mg_delta {
    mg_delta_type type;
    char *key;       /* owned by the array */
    json_t *old_obj; /* borrowed or NULL (see above); NULL for ADD */
    json_t *new_obj; /* borrowed; NULL for DELETE */
} mg_delta;
size_t mg_informer_diff(const json_t *cached, const json_t *listed, mg_delta **out);
/* The same in two steps, for a list that arrives in pages: diff_page for each page (adds and
 * updates; records in seen, a JSON object shared by all pages, the listed keys that cached holds), then
 * diff_deletes once. *out may be NULL when the count is 0. */
size_t mg_informer_diff_page(const json_t *cached, const json_t *listed, json_t *seen, mg_delta **out);
size_t mg_informer_diff_deletes(const json_t *cached, const json_t *seen, mg_delta **out);
void mg_deltas_free(mg_delta *d, size_t n);

#endif
