/* operator/fetch — see fetch.h. Requests wait in a FIFO until a slot is free; a transfer is an
 * easy handle from the pool, added to the multi handle with its own timeout and linked into the
 * in-flight list (so freeing the engine can cancel it); finished ones come out of
 * curl_multi_info_read, their handle goes back to the pool, their callback runs. */
#include "operator/fetch.h"

#include <curl/curl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/curlpool.h"
#include "core/error.h"
#include "core/mem.h"

#define DEFAULT_IN_FLIGHT 256
#define DEFAULT_IDLE_CONNECTIONS 1024
#define DEFAULT_MAX_BODY ((size_t)16 << 20)

typedef struct request {
    struct request *next, *prev; /* the waiting FIFO, or the in-flight list */
    char *url;
    char *post; /* NULL for a GET */
    long timeout_ms;
    bool keep_alive;
    mg_fetch_done_fn done;
    void *ud;
    CURL *h; /* set while in flight */
    struct curl_slist *headers;
    mg_buf body;
    char errbuf[CURL_ERROR_SIZE];
} request;

struct mg_fetch {
    CURLM *multi;
    mg_curlpool *pool;
    int max_in_flight;
    long max_idle;
    size_t max_body;
    request *head, *tail; /* waiting for a slot */
    request *flying;      /* in flight (doubly linked) */
    atomic_size_t queued, in_flight;
    atomic_ulong done, timeouts, errors, connections;
};

mg_fetch *mg_fetch_new(const mg_fetch_opts *opts) {
    mg_fetch_opts o = opts ? *opts : (mg_fetch_opts){0};
    mg_fetch *f = mg_xcalloc(1, sizeof(*f));
    f->max_in_flight = o.max_in_flight > 0 ? o.max_in_flight : DEFAULT_IN_FLIGHT;
    f->max_body = o.max_body ? o.max_body : DEFAULT_MAX_BODY;
    f->pool = mg_curlpool_new_for_multi((size_t)f->max_in_flight);
    f->multi = curl_multi_init();
    if (!f->multi) {
        fprintf(stderr, "modelgov: curl_multi_init failed\n");
        abort();
    }
    /* The multi handle keeps the connections (the pool's share only DNS and TLS sessions). */
    f->max_idle = o.max_idle_connections > 0 ? o.max_idle_connections : (long)DEFAULT_IDLE_CONNECTIONS;
    curl_multi_setopt(f->multi, CURLMOPT_MAXCONNECTS, f->max_idle);
    return f;
}

long mg_fetch_max_idle(const mg_fetch *f) { return f->max_idle; }

/* Runs the callback and frees the request (its handle back to the pool). */
static void finish(mg_fetch *f, request *r, const mg_fetch_result *res) {
    r->done(r->ud, res);
    if (r->h) {
        curl_multi_remove_handle(f->multi, r->h);
        curl_slist_free_all(r->headers);
        mg_curlpool_give(f->pool, r->h);
    }
    mg_buf_free(&r->body);
    free(r->url);
    free(r->post);
    free(r);
}

static void cancel(mg_fetch *f, request *r) {
    char msg[300];
    snprintf(msg, sizeof(msg), "%s %.200s: canceled", r->post ? "POST" : "GET", r->url);
    mg_fetch_result res = {.rc = MG_ECANCELED, .body = "", .error = msg};
    finish(f, r, &res);
}

void mg_fetch_free(mg_fetch *f) {
    if (!f) return;
    for (request *r = f->head, *next; r; r = next) {
        next = r->next;
        cancel(f, r);
    }
    for (request *r = f->flying, *next; r; r = next) {
        next = r->next;
        cancel(f, r);
    }
    curl_multi_cleanup(f->multi);
    mg_curlpool_free(f->pool);
    free(f);
}

void mg_fetch_request(mg_fetch *f, const char *url, const char *post_json, long timeout_ms, bool keep_alive,
                      mg_fetch_done_fn done, void *ud) {
    request *r = mg_xcalloc(1, sizeof(*r));
    r->keep_alive = keep_alive;
    r->url = mg_xstrdup(url);
    r->post = mg_xstrdup(post_json);
    r->timeout_ms = timeout_ms > 0 ? timeout_ms : 1;
    r->done = done;
    r->ud = ud;
    mg_buf_init(&r->body, f->max_body);
    if (f->tail)
        f->tail->next = r;
    else
        f->head = r;
    f->tail = r;
    atomic_fetch_add(&f->queued, 1);
}

/* True when url's host is an IPv4 or bracketed IPv6 literal (a pod address). */
static bool ip_literal(const char *url) {
    const char *h = strstr(url, "://");
    h = h ? h + 3 : url;
    if (*h == '[') return true;
    size_t digits = strspn(h, "0123456789.");
    return digits > 0 && (h[digits] == ':' || h[digits] == '/' || !h[digits]);
}

static void start(mg_fetch *f, request *r) {
    CURL *h = r->h = mg_curlpool_take(f->pool);
    /* An address needs no name lookup, and libcurl would keep one DNS cache entry per pod and walk
     * them all on every lookup: thousands of pods made every request O(pods). */
    if (ip_literal(r->url)) curl_easy_setopt(h, CURLOPT_DNS_CACHE_TIMEOUT, 0L);
    if (!r->keep_alive) curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(h, CURLOPT_URL, r->url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, r->timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, r->timeout_ms);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "modelgov-operator/" MG_VERSION);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, mg_curl_write_buf);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &r->body);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, r->errbuf);
    curl_easy_setopt(h, CURLOPT_PRIVATE, (char *)r);
    if (r->post) {
        r->headers = curl_slist_append(NULL, "Content-Type: application/json");
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, r->headers);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->post);
    }
    r->prev = NULL;
    r->next = f->flying;
    if (f->flying) f->flying->prev = r;
    f->flying = r;
    atomic_fetch_add(&f->in_flight, 1);
    curl_multi_add_handle(f->multi, h);
}

static void start_waiting(mg_fetch *f) {
    while (f->head && atomic_load(&f->in_flight) < (size_t)f->max_in_flight) {
        request *r = f->head;
        f->head = r->next;
        if (!f->head) f->tail = NULL;
        atomic_fetch_sub(&f->queued, 1);
        start(f, r);
    }
}

static int code_of(CURLcode cc) {
    if (cc == CURLE_OPERATION_TIMEDOUT) return MG_ETIMEOUT;
    if (cc == CURLE_WRITE_ERROR) return MG_ETOOBIG;
    return MG_ECONNECT;
}

static void completed(mg_fetch *f, CURL *h, CURLcode cc) {
    char *priv = NULL;
    curl_easy_getinfo(h, CURLINFO_PRIVATE, &priv);
    request *r = (request *)priv;
    if (r->prev)
        r->prev->next = r->next;
    else
        f->flying = r->next;
    if (r->next) r->next->prev = r->prev;
    atomic_fetch_sub(&f->in_flight, 1);
    long status = 0, connects = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
    atomic_fetch_add(&f->connections, (unsigned long)connects);
    char msg[400];
    mg_fetch_result res = {.status = status, .body = r->body.data ? r->body.data : "", .len = r->body.len};
    const char *method = r->post ? "POST" : "GET";
    if (cc != CURLE_OK) {
        res.rc = code_of(cc);
        snprintf(msg, sizeof(msg), "%s %.200s: %s", method, r->url,
                 cc == CURLE_WRITE_ERROR ? "response body too large"
                 : r->errbuf[0]          ? r->errbuf
                                         : curl_easy_strerror(cc));
        res.error = msg;
        atomic_fetch_add(res.rc == MG_ETIMEOUT ? &f->timeouts : &f->errors, 1);
    } else if (status < 200 || status > 299) {
        res.rc = MG_EHTTP;
        snprintf(msg, sizeof(msg), "%s %.200s: HTTP %ld", method, r->url, status);
        res.error = msg;
        atomic_fetch_add(&f->errors, 1);
    }
    atomic_fetch_add(&f->done, 1);
    finish(f, r, &res);
}

void mg_fetch_run(mg_fetch *f, long wait_ms) {
    start_waiting(f);
    int running = 0;
    curl_multi_perform(f->multi, &running);
    bool any = false;
    for (int left = 0;;) {
        CURLMsg *m = curl_multi_info_read(f->multi, &left);
        if (!m) break;
        if (m->msg != CURLMSG_DONE) continue;
        completed(f, m->easy_handle, m->data.result);
        any = true;
    }
    if (any) {
        start_waiting(f); /* slots were freed, and callbacks may have queued more */
        return;
    }
    curl_multi_poll(f->multi, NULL, 0, wait_ms > 0 ? (int)wait_ms : 0, NULL);
}

void mg_fetch_wakeup(mg_fetch *f) { curl_multi_wakeup(f->multi); }

void mg_fetch_get_stats(mg_fetch *f, mg_fetch_stats *out) {
    *out = (mg_fetch_stats){.queued = atomic_load(&f->queued),
                            .in_flight = atomic_load(&f->in_flight),
                            .done = atomic_load(&f->done),
                            .timeouts = atomic_load(&f->timeouts),
                            .errors = atomic_load(&f->errors),
                            .connections = atomic_load(&f->connections)};
}
