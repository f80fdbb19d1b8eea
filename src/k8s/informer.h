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
 * borrowed objects (old is NULL for add; for delete obj is the last known state). Handlers must
 * be quick: typically they enqueue a key into a workqueue. */
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

/* Returns a new JSON object to cache instead of obj (may return json_incref(obj) after
 * in-place edits are NOT allowed: build a copy). */
typedef json_t *(*mg_transform_fn)(json_t *obj, void *ud);

typedef struct mg_informer_opts {
    const char *namespace;       /* NULL: all namespaces */
    const char *label_selector;  /* NULL: none */
    const char *field_selector;
    long page_size;              /* default 500 */
    long resync_ms;              /* periodic on_update(obj, obj) for every object; 0: none */
    long stall_timeout_ms;       /* watchdog; default 5 min (bookmarks arrive ~every minute) */
    mg_transform_fn transform;
    void *transform_ud;
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
/* Counters for /metrics. */
unsigned long mg_informer_watch_restarts(mg_informer *inf);
unsigned long mg_informer_relists(mg_informer *inf);
/* Stops the thread (ends an open watch promptly) and frees everything. */
void mg_informer_free(mg_informer *inf);

#endif
