/* k8s/informer — see informer.h. One thread runs the reflector loop:
 *
 *   list (all pages; 410 on a continue token → start the list again) → diff against the store →
 *   deliver → watch from the list's resourceVersion → on each event update store, RV, handlers →
 *   stream ends: normal/error → jittered backoff, watch again from the last RV;
 *                410 (HTTP or ERROR event) → relist.
 *
 * A second thread exists only when resync is on: it raises resync_due, and the informer thread
 * runs the resync handlers from the watch's poll hook (the stream stays open: a resync neither
 * ends a watch nor counts as a restart) or, between watches, from its loop. Flags shared
 * between threads are read and written with __atomic builtins; rv and the sync state are
 * guarded by mu. */
#include "k8s/informer.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "k8s/jsonparse.h"

#define MAX_CONTINUE_RESTARTS 5
/* Objects per LIST page. A page is parsed whole, so it sets the informer's transient memory:
 * 100 Pods of a real API server are ~0.5 MB of JSON and a few MB parsed; 10,000 objects take 100
 * round trips, a fraction of a second on loopback. */
#define DEFAULT_PAGE_SIZE 100
#define MAX_KIND_LEN 128 /* a List kind longer than any API kind names no item kind */
/* client-go's minWatchTimeout: a watch lasts 5 to 10 minutes, the spread keeping many clients
 * from reconnecting at once. */
#define MIN_WATCH_TIMEOUT_S 300
/* A watch silent this long (not even a bookmark) is taken for dead (informer.h). */
#define DEFAULT_STALL_TIMEOUT_MS (5 * 60 * MG_MS_PER_S)
/* The reconnect backoff (informer.h): 200 ms doubling to 30 s, jittered by half. */
#define DEFAULT_BACKOFF_BASE_MS 200
#define BACKOFF_MAX_MS 30000
#define BACKOFF_FACTOR 2.0
#define BACKOFF_JITTER 0.5

struct mg_informer {
    mg_client *c;
    mg_gvr gvr;
    char *group, *version, *resource;
    char *ns, *label_selector, *field_selector;
    long page_size, resync_ms, stall_timeout_ms, watch_timeout_s, backoff_base_ms;
    mg_transform_fn transform;
    void *transform_ud;
    mg_informer_handlers h;
    mg_store *store;

    pthread_t thread, ticker;
    bool started, ticker_started;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int interrupt; /* the watch's stop flag: raised when stopping */
    int stopping;
    int resync_due;
    bool synced;
    char *rv;
    unsigned long restarts, relists, skipped;
    mg_backoff backoff;

    /* state of the stream in progress (informer thread only) */
    unsigned long stream_events;
    bool stream_gone, stream_error;
};

static int aload(int *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
static void astore(int *p, int v) { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }

/* ---------------------------------------------------------------- pure helpers */

void mg_k8s_strip(json_t *obj) {
    json_t *md = json_object_get(obj, "metadata");
    if (!json_is_object(md)) return;
    json_object_del(md, "managedFields");
    json_t *ann = json_object_get(md, "annotations");
    if (json_is_object(ann)) {
        json_object_del(ann, "kubectl.kubernetes.io/last-applied-configuration");
        if (!json_object_size(ann)) json_object_del(md, "annotations");
    }
}

static const char *rv_of(const json_t *obj) {
    return json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
}

static void note_skip(void *ud, size_t offset, const char *why) {
    (void)offset;
    mg_watch_event *ev = ud;
    snprintf(ev->skipped, sizeof ev->skipped, "%s", why);
}

int mg_watch_event_parse(const char *line, size_t len, mg_watch_event *ev, mg_error *err) {
    memset(ev, 0, sizeof(*ev));
    json_t *root = mg_k8s_json_parse_ex(line, len, MG_JSON_STRIP_EVENT, note_skip, ev, err);
    if (!root) {
        if (err) mg_error_wrap(err, "watch event");
        return MG_EPARSE;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        return mg_error_set(err, MG_EPARSE, "watch event is not a JSON object");
    }
    int rc = 0;
    const char *type = json_string_value(json_object_get(root, "type"));
    json_t *obj = json_object_get(root, "object");
    if (!type) {
        rc = mg_error_set(err, MG_EPARSE, "watch event has no \"type\"");
    } else if (ev->skipped[0] && !obj) {
        ev->type = !strcmp(type, "DELETED") ? MG_WATCH_DELETED : MG_WATCH_MODIFIED;
    } else if (!json_is_object(obj)) {
        rc = mg_error_set(err, MG_EPARSE, "watch event %s has no \"object\" object", type);
    } else if (!strcmp(type, "ADDED")) {
        ev->type = MG_WATCH_ADDED;
    } else if (!strcmp(type, "MODIFIED")) {
        ev->type = MG_WATCH_MODIFIED;
    } else if (!strcmp(type, "DELETED")) {
        ev->type = MG_WATCH_DELETED;
    } else if (!strcmp(type, "BOOKMARK")) {
        ev->type = MG_WATCH_BOOKMARK;
    } else if (!strcmp(type, "ERROR")) {
        ev->type = MG_WATCH_ERROR;
        json_int_t code = json_integer_value(json_object_get(obj, "code"));
        const char *reason = json_string_value(json_object_get(obj, "reason"));
        /* an Expired/Gone Status without a code still means "relist" */
        if (!code && reason && (!strcmp(reason, "Expired") || !strcmp(reason, "Gone"))) code = 410;
        ev->code = (int)code;
    } else {
        rc = mg_error_set(err, MG_EPARSE, "watch event has unknown type \"%.40s\"", type);
    }
    if (!rc && obj) {
        ev->object = json_incref(obj);
        ev->resource_version = rv_of(obj);
    }
    json_decref(root);
    return rc;
}

/* cached values are either the cached object or its resourceVersion string. */
static bool unchanged(const json_t *cached, const json_t *obj) {
    const char *rc = json_is_string(cached) ? json_string_value(cached) : rv_of(cached);
    const char *ro = rv_of(obj);
    if (rc && *rc && ro && *ro) return !strcmp(rc, ro);
    return json_is_object(cached) && json_equal((json_t *)cached, (json_t *)obj);
}

static void push_delta(mg_delta **d, size_t *n, size_t *cap, mg_delta x) {
    if (*n == *cap) *d = mg_xrealloc(*d, (*cap = *cap ? *cap * 2 : 16) * sizeof(**d));
    (*d)[(*n)++] = x;
}

size_t mg_informer_diff_page(const json_t *cached, const json_t *listed, json_t *seen, mg_delta **out) {
    size_t n = 0, cap = 0;
    mg_delta *d = NULL;
    size_t i;
    json_t *obj;
    char key[512];
    json_array_foreach(listed, i, obj) {
        mg_store_key_of(obj, key, sizeof(key));
        json_t *old = json_object_get(cached, key);
        /* only a cached key can be deleted: a first list (nothing cached) keeps no set at all */
        if (old) json_object_set_new(seen, key, json_true());
        if (old && unchanged(old, obj)) continue;
        push_delta(&d, &n, &cap,
                   (mg_delta){.type = old ? MG_DELTA_UPDATE : MG_DELTA_ADD,
                              .key = mg_xstrdup(key),
                              .old_obj = json_is_object(old) ? old : NULL,
                              .new_obj = obj});
    }
    *out = d;
    return n;
}

size_t mg_informer_diff_deletes(const json_t *cached, const json_t *seen, mg_delta **out) {
    size_t n = 0, cap = 0;
    mg_delta *d = NULL;
    const char *k;
    json_t *obj;
    json_object_foreach((json_t *)cached, k, obj) {
        if (json_object_get(seen, k)) continue;
        push_delta(&d, &n, &cap,
                   (mg_delta){.type = MG_DELTA_DELETE,
                              .key = mg_xstrdup(k),
                              .old_obj = json_is_object(obj) ? obj : NULL,
                              .new_obj = NULL});
    }
    *out = d;
    return n;
}

size_t mg_informer_diff(const json_t *cached, const json_t *listed, mg_delta **out) {
    json_t *seen = json_object();
    mg_delta *a, *b;
    size_t na = mg_informer_diff_page(cached, listed, seen, &a);
    size_t nb = mg_informer_diff_deletes(cached, seen, &b);
    json_decref(seen);
    a = mg_xrealloc(a, (na + nb + 1) * sizeof(*a));
    if (nb) memcpy(a + na, b, nb * sizeof(*b));
    free(b);
    *out = a;
    return na + nb;
}

void mg_deltas_free(mg_delta *d, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(d[i].key);
    free(d);
}

/* ---------------------------------------------------------------- informer */

mg_informer *mg_informer_new(mg_client *c, const mg_gvr *gvr, const mg_informer_opts *opts,
                             const mg_informer_handlers *handlers) {
    mg_informer *inf = mg_xcalloc(1, sizeof(*inf));
    inf->c = c;
    inf->group = mg_xstrdup(gvr->group ? gvr->group : "");
    inf->version = mg_xstrdup(gvr->version);
    inf->resource = mg_xstrdup(gvr->resource);
    inf->gvr = (mg_gvr){inf->group, inf->version, inf->resource, gvr->namespaced};
    mg_informer_opts o = opts ? *opts : (mg_informer_opts){0};
    inf->ns = mg_xstrdup(o.namespace);
    inf->label_selector = mg_xstrdup(o.label_selector);
    inf->field_selector = mg_xstrdup(o.field_selector);
    inf->page_size = o.page_size > 0 ? o.page_size : DEFAULT_PAGE_SIZE;
    inf->resync_ms = o.resync_ms > 0 ? o.resync_ms : 0;
    inf->stall_timeout_ms = o.stall_timeout_ms > 0 ? o.stall_timeout_ms : DEFAULT_STALL_TIMEOUT_MS;
    inf->watch_timeout_s = o.watch_timeout_s;
    inf->backoff_base_ms = o.backoff_base_ms > 0 ? o.backoff_base_ms : DEFAULT_BACKOFF_BASE_MS;
    inf->transform = o.transform;
    inf->transform_ud = o.transform_ud;
    if (handlers) inf->h = *handlers;
    inf->store = o.compact_store ? mg_store_new_compact() : mg_store_new();
    inf->rv = mg_xstrdup("");
    pthread_mutex_init(&inf->mu, NULL);
    mg_clock_cond_init(&inf->cond);
    mg_backoff_init(&inf->backoff, inf->backoff_base_ms, BACKOFF_MAX_MS, BACKOFF_FACTOR, BACKOFF_JITTER);
    return inf;
}

int mg_informer_add_index(mg_informer *inf, const char *name, mg_index_fn fn) {
    if (inf->started) return MG_EINVAL;
    return mg_store_add_index(inf->store, name, fn);
}

mg_store *mg_informer_store(mg_informer *inf) { return inf->store; }

bool mg_informer_has_synced(mg_informer *inf) {
    pthread_mutex_lock(&inf->mu);
    bool s = inf->synced;
    pthread_mutex_unlock(&inf->mu);
    return s;
}

bool mg_informer_wait_synced(mg_informer *inf, long timeout_ms) {
    int64_t deadline = mg_clock_mono_ms() + timeout_ms;
    pthread_mutex_lock(&inf->mu);
    while (!inf->synced && !aload(&inf->stopping)) {
        if (timeout_ms < 0) {
            pthread_cond_wait(&inf->cond, &inf->mu);
        } else {
            int64_t now = mg_clock_mono_ms();
            if (now >= deadline) break;
            struct timespec ts = mg_clock_deadline(CLOCK_MONOTONIC, deadline - now);
            pthread_cond_timedwait(&inf->cond, &inf->mu, &ts);
        }
    }
    bool s = inf->synced;
    pthread_mutex_unlock(&inf->mu);
    return s;
}

unsigned long mg_informer_watch_restarts(mg_informer *inf) {
    return __atomic_load_n(&inf->restarts, __ATOMIC_SEQ_CST);
}
unsigned long mg_informer_relists(mg_informer *inf) {
    return __atomic_load_n(&inf->relists, __ATOMIC_SEQ_CST);
}
unsigned long mg_informer_skipped(mg_informer *inf) {
    return __atomic_load_n(&inf->skipped, __ATOMIC_SEQ_CST);
}

/* One object that cannot be interpreted: an error log line and the counter, nothing else. */
static void skip_object(mg_informer *inf, const char *where, const char *why) {
    __atomic_fetch_add(&inf->skipped, 1, __ATOMIC_SEQ_CST);
    mg_log(MG_LOG_ERROR, "object skipped: it cannot be interpreted", "resource", inf->resource, "in", where,
           "reason", why, NULL);
}

static void skipped_list_item(void *ud, size_t offset, const char *why) {
    (void)offset;
    skip_object(ud, "list", why);
}

/* True when obj can be cached: an object with a name (the store's key). */
static bool interpretable(mg_informer *inf, const json_t *obj, const char *where) {
    const char *name = json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
    if (json_is_object(obj) && name && *name) return true;
    skip_object(inf, where, json_is_object(obj) ? "no metadata.name" : "not a JSON object");
    return false;
}

char *mg_informer_last_rv(mg_informer *inf) {
    pthread_mutex_lock(&inf->mu);
    char *rv = mg_xstrdup(inf->rv);
    pthread_mutex_unlock(&inf->mu);
    return rv;
}

static void set_rv(mg_informer *inf, const char *rv) {
    if (!rv || !*rv) return;
    pthread_mutex_lock(&inf->mu);
    free(inf->rv);
    inf->rv = mg_xstrdup(rv);
    pthread_mutex_unlock(&inf->mu);
}

/* Sleeps ms or until stop; returns false when stopping. */
static bool pause_ms(mg_informer *inf, int64_t ms) {
    int64_t deadline = mg_clock_mono_ms() + ms;
    pthread_mutex_lock(&inf->mu);
    while (!aload(&inf->stopping)) {
        int64_t now = mg_clock_mono_ms();
        if (now >= deadline) break;
        struct timespec ts = mg_clock_deadline(CLOCK_MONOTONIC, deadline - now);
        pthread_cond_timedwait(&inf->cond, &inf->mu, &ts);
    }
    pthread_mutex_unlock(&inf->mu);
    return !aload(&inf->stopping);
}

/* Strip, then the caller's transform. Takes obj (a reference the informer owns, not shared)
 * and returns the reference to cache. */
static json_t *prepare(mg_informer *inf, json_t *obj) {
    mg_k8s_strip(obj);
    if (inf->transform) {
        json_t *t = inf->transform(obj, inf->transform_ud);
        if (t) {
            json_decref(obj);
            obj = t;
        }
    }
    return obj;
}

static void deliver_upsert(mg_informer *inf, json_t *obj) {
    json_t *old = NULL;
    if (mg_store_upsert(inf->store, obj, inf->h.on_update ? &old : NULL)) {
        if (inf->h.on_update) inf->h.on_update(old, obj, inf->h.ud);
        json_decref(old);
    } else if (inf->h.on_add) {
        inf->h.on_add(obj, inf->h.ud);
    }
}

static void apply_deltas(mg_informer *inf, mg_delta *d, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (d[i].type != MG_DELTA_DELETE) {
            deliver_upsert(inf, d[i].new_obj);
            continue;
        }
        json_t *gone = mg_store_remove(inf->store, d[i].key);
        if (gone && inf->h.on_delete) inf->h.on_delete(gone, inf->h.ud);
        json_decref(gone);
    }
}

/* A List page's items, ready to cache: each given the kind and apiVersion the page names for
 * them (the API server leaves them out of items), uninterpretable ones skipped. Returns a new
 * array. */
static json_t *prepare_page(mg_informer *inf, json_t *page) {
    const char *kind = json_string_value(json_object_get(page, "kind"));
    const char *api_version = json_string_value(json_object_get(page, "apiVersion"));
    char item_kind[MAX_KIND_LEN] = "";
    if (kind) {
        size_t kl = strlen(kind);
        if (kl > 4 && kl < sizeof(item_kind) && !strcmp(kind + kl - 4, "List")) {
            memcpy(item_kind, kind, kl - 4);
            item_kind[kl - 4] = '\0';
        }
    }
    json_t *prepared = json_array();
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(page, "items"), i, item) {
        if (!interpretable(inf, item, "list")) continue;
        if (*item_kind && !json_object_get(item, "kind"))
            json_object_set_new(item, "kind", json_string(item_kind));
        if (api_version && !json_object_get(item, "apiVersion"))
            json_object_set_new(item, "apiVersion", json_string(api_version));
        json_array_append_new(prepared, prepare(inf, json_incref(item)));
    }
    return prepared;
}

/* LISTs page by page, delivering each page's adds and updates against the versions cached when
 * the list began (so only one page is in memory at a time), then deletes what was cached and no
 * page listed (a first list, with nothing cached, keeps no key set: 30,000 keys would be ~9 MB).
 * On 410 for an expired continue token the list starts again from the first page; what was
 * already delivered stays (it was a consistent read too) and the final deletes use the keys of
 * the complete list only. */
static int do_list(mg_informer *inf, mg_error *err) {
    json_t *versions = mg_store_versions(inf->store);
    json_t *seen = json_object();
    char *cont = NULL, *list_rv = NULL;
    int restarts = 0, rc = 0;
    for (;;) {
        if (aload(&inf->stopping)) {
            rc = MG_ECANCELED;
            break;
        }
        mg_list_opts lo = {.label_selector = inf->label_selector,
                           .field_selector = inf->field_selector,
                           .limit = inf->page_size,
                           .continue_token = cont,
                           .skipped = skipped_list_item,
                           .skipped_ud = inf};
        json_t *page = NULL;
        rc = mg_k8s_list(inf->c, &inf->gvr, inf->gvr.namespaced ? inf->ns : NULL, &lo, &page, err);
        if (rc == MG_EGONE && cont && restarts < MAX_CONTINUE_RESTARTS) {
            mg_log(MG_LOG_INFO, "list continue token expired; listing again", "resource", inf->resource,
                   NULL);
            restarts++;
            /* compare the new list with what is cached now, the pages delivered so far included */
            json_decref(versions);
            versions = mg_store_versions(inf->store);
            json_object_clear(seen);
            free(cont);
            cont = NULL;
            continue;
        }
        if (rc) break;
        json_t *prepared = prepare_page(inf, page);
        json_t *lmd = json_object_get(page, "metadata");
        free(list_rv);
        list_rv = mg_xstrdup(json_string_value(json_object_get(lmd, "resourceVersion")));
        const char *next = json_string_value(json_object_get(lmd, "continue"));
        free(cont);
        cont = next && *next ? mg_xstrdup(next) : NULL;
        json_decref(page);

        mg_delta *d;
        size_t n = mg_informer_diff_page(versions, prepared, seen, &d);
        apply_deltas(inf, d, n);
        mg_deltas_free(d, n);
        json_decref(prepared);
        if (!cont) break;
    }
    if (!rc) {
        mg_delta *d;
        size_t n = mg_informer_diff_deletes(versions, seen, &d);
        apply_deltas(inf, d, n);
        mg_deltas_free(d, n);
        set_rv(inf, list_rv);
    }
    json_decref(versions);
    json_decref(seen);
    free(cont);
    free(list_rv);
    return rc;
}

static int on_line(const char *line, size_t len, void *ud) {
    mg_informer *inf = ud;
    mg_watch_event ev;
    mg_error err;
    if (mg_watch_event_parse(line, len, &ev, &err)) {
        mg_log(MG_LOG_WARN, "bad watch event; restarting the watch", "resource", inf->resource, "error",
               err.message, NULL);
        inf->stream_error = true;
        return 1;
    }
    inf->stream_events++;
    if (!ev.object) {
        skip_object(inf, "watch", ev.skipped);
        return aload(&inf->interrupt);
    }
    if ((ev.type == MG_WATCH_ADDED || ev.type == MG_WATCH_MODIFIED || ev.type == MG_WATCH_DELETED) &&
        !interpretable(inf, ev.object, "watch")) {
        json_decref(ev.object);
        return aload(&inf->interrupt);
    }
    int stop = 0;
    switch (ev.type) {
    case MG_WATCH_BOOKMARK: set_rv(inf, ev.resource_version); break;
    case MG_WATCH_ERROR: {
        const char *msg = json_string_value(json_object_get(ev.object, "message"));
        if (ev.code == 410) {
            mg_log(MG_LOG_INFO, "watch expired (410); relisting", "resource", inf->resource, "message",
                   msg ? msg : "", NULL);
            inf->stream_gone = true;
        } else {
            mg_log(MG_LOG_WARN, "watch ERROR event; restarting the watch", "resource", inf->resource,
                   "message", msg ? msg : "", NULL);
            inf->stream_error = true;
        }
        stop = 1;
        break;
    }
    case MG_WATCH_ADDED:
    case MG_WATCH_MODIFIED: {
        char *rv = mg_xstrdup(ev.resource_version);
        json_t *obj = prepare(inf, json_incref(ev.object));
        deliver_upsert(inf, obj);
        json_decref(obj);
        set_rv(inf, rv);
        free(rv);
        break;
    }
    case MG_WATCH_DELETED: {
        char *rv = mg_xstrdup(ev.resource_version);
        json_t *obj = prepare(inf, json_incref(ev.object));
        char key[512];
        mg_store_key_of(obj, key, sizeof(key));
        mg_store_delete(inf->store, key);
        if (inf->h.on_delete) inf->h.on_delete(obj, inf->h.ud);
        json_decref(obj);
        set_rv(inf, rv);
        free(rv);
        break;
    }
    }
    json_decref(ev.object);
    return stop || aload(&inf->interrupt);
}

/* One object at a time: a compact store's 10,000 objects parsed at once would be ~100 MB. */
static void do_resync(mg_informer *inf) {
    if (!inf->h.on_update) return;
    json_t *keys = mg_store_keys(inf->store);
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k) {
        json_t *obj = mg_store_get(inf->store, json_string_value(k));
        if (obj) inf->h.on_update(obj, obj, inf->h.ud);
        json_decref(obj);
    }
    json_decref(keys);
}

/* The resync, when the ticker asked for one (informer thread: the run loop and the watch's
 * poll hook). */
static void resync_if_due(void *p) {
    mg_informer *inf = p;
    if (!aload(&inf->resync_due)) return;
    astore(&inf->resync_due, 0);
    do_resync(inf);
}

static long watch_timeout_s(const mg_informer *inf) {
    if (inf->watch_timeout_s > 0) return inf->watch_timeout_s;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return MIN_WATCH_TIMEOUT_S + (long)((ts.tv_nsec / 1000) % MIN_WATCH_TIMEOUT_S);
}

/* LIST, and on success the backoff reset and the informer marked synced (waking waiters). */
static int list_and_sync(mg_informer *inf, mg_error *err) {
    int rc = do_list(inf, err);
    if (rc) return rc;
    mg_backoff_reset(&inf->backoff);
    pthread_mutex_lock(&inf->mu);
    if (!inf->synced) {
        inf->synced = true;
        pthread_cond_broadcast(&inf->cond);
    }
    pthread_mutex_unlock(&inf->mu);
    return 0;
}

/* One watch from the last resourceVersion, until it ends; on_line records how it went
 * (stream_events, stream_gone, stream_error). */
static int watch_once(mg_informer *inf, mg_error *err) {
    char *rv = mg_informer_last_rv(inf);
    mg_watch_opts wo = {.label_selector = inf->label_selector,
                        .field_selector = inf->field_selector,
                        .resource_version = rv,
                        .allow_bookmarks = true,
                        .timeout_seconds = watch_timeout_s(inf),
                        .stall_timeout_ms = inf->stall_timeout_ms,
                        .stop = &inf->interrupt,
                        .on_poll = resync_if_due,
                        .poll_ud = inf};
    inf->stream_events = 0;
    inf->stream_gone = inf->stream_error = false;
    int rc = mg_k8s_watch(inf->c, &inf->gvr, inf->gvr.namespaced ? inf->ns : NULL, &wo, on_line, inf, err);
    free(rv);
    return rc;
}

/* The next backoff delay, or longer when the server asked for it (Retry-After). */
static void back_off(mg_informer *inf, const mg_error *err) {
    int64_t delay = mg_backoff_next(&inf->backoff);
    if (err->retry_after_ms > delay) delay = err->retry_after_ms;
    pause_ms(inf, delay);
}

static void *run(void *p) {
    mg_informer *inf = p;
    bool need_list = true, watched = false, listed = false;
    while (!aload(&inf->stopping)) {
        mg_error err;
        mg_error_clear(&err);
        if (need_list) {
            if (listed) __atomic_fetch_add(&inf->relists, 1, __ATOMIC_SEQ_CST);
            listed = true;
            if (list_and_sync(inf, &err)) {
                if (aload(&inf->stopping)) break;
                mg_log(MG_LOG_WARN, "list failed; retrying", "resource", inf->resource, "error", err.message,
                       NULL);
                back_off(inf, &err);
                continue;
            }
            need_list = false;
        }
        if (aload(&inf->stopping)) break;
        resync_if_due(inf);
        if (watched) __atomic_fetch_add(&inf->restarts, 1, __ATOMIC_SEQ_CST);
        watched = true;
        int rc = watch_once(inf, &err);
        if (aload(&inf->stopping)) break;
        if (inf->stream_gone || rc == MG_EGONE) {
            need_list = true;
            continue;
        }
        if (!rc && !inf->stream_error && inf->stream_events)
            mg_backoff_reset(&inf->backoff);
        else if (rc)
            mg_log(MG_LOG_WARN, "watch failed; reconnecting", "resource", inf->resource, "error", err.message,
                   NULL);
        back_off(inf, &err);
    }
    return NULL;
}

static void *tick(void *p) {
    mg_informer *inf = p;
    while (pause_ms(inf, inf->resync_ms))
        astore(&inf->resync_due, 1);
    return NULL;
}

int mg_informer_start(mg_informer *inf, mg_error *err) {
    if (inf->started) return mg_error_set(err, MG_EINVAL, "informer for %s already started", inf->resource);
    if (pthread_create(&inf->thread, NULL, run, inf))
        return mg_error_set(err, MG_EIO, "cannot start the informer thread for %s", inf->resource);
    inf->started = true;
    if (inf->resync_ms > 0) {
        if (pthread_create(&inf->ticker, NULL, tick, inf))
            return mg_error_set(err, MG_EIO, "cannot start the resync thread for %s", inf->resource);
        inf->ticker_started = true;
    }
    return 0;
}

int mg_informers_start(mg_informer *const *infs, size_t n, mg_error *err) {
    for (size_t i = 0; i < n; i++) {
        if (!infs[i]) continue;
        int rc = mg_informer_start(infs[i], err);
        if (rc) return rc;
    }
    return 0;
}

bool mg_informers_synced(mg_informer *const *infs, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (infs[i] && !mg_informer_has_synced(infs[i])) return false;
    return true;
}

bool mg_informers_wait_synced(mg_informer *const *infs, size_t n, long timeout_ms) {
    int64_t deadline = mg_clock_mono_ms() + timeout_ms;
    for (size_t i = 0; i < n; i++) {
        if (!infs[i]) continue;
        long left = timeout_ms < 0 ? -1 : (long)(deadline - mg_clock_mono_ms());
        if (timeout_ms >= 0 && left < 0) left = 0;
        if (!mg_informer_wait_synced(infs[i], left)) return false;
    }
    return true;
}

void mg_informers_stop(mg_informer *const *infs, size_t n) {
    for (size_t i = 0; i < n; i++)
        mg_informer_stop(infs[i]);
}

void mg_informers_free(mg_informer **infs, size_t n) {
    mg_informers_stop(infs, n);
    for (size_t i = 0; i < n; i++) {
        mg_informer_free(infs[i]);
        infs[i] = NULL;
    }
}

void mg_informer_stop(mg_informer *inf) {
    if (!inf) return;
    pthread_mutex_lock(&inf->mu);
    astore(&inf->stopping, 1);
    astore(&inf->interrupt, 1);
    pthread_cond_broadcast(&inf->cond);
    pthread_mutex_unlock(&inf->mu);
    if (inf->started) pthread_join(inf->thread, NULL);
    if (inf->ticker_started) pthread_join(inf->ticker, NULL);
    inf->started = false;
    inf->ticker_started = false;
}

void mg_informer_free(mg_informer *inf) {
    if (!inf) return;
    mg_informer_stop(inf);
    mg_store_free(inf->store);
    pthread_cond_destroy(&inf->cond);
    pthread_mutex_destroy(&inf->mu);
    free(inf->group);
    free(inf->version);
    free(inf->resource);
    free(inf->ns);
    free(inf->label_selector);
    free(inf->field_selector);
    free(inf->rv);
    free(inf);
}
