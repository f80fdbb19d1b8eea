/* operator/fetch — monitoring's HTTP engine: many requests at once on one thread, none of them
 * ever blocking that thread or another request (libcurl multi).
 *
 * Owns: the multi handle, the requests waiting for a slot (FIFO), the transfers in flight and
 * their bodies, and the easy handles, taken from a core/curlpool of its own (whose share keeps
 * DNS answers, TLS sessions and keep-alive connections: a model pod, Prometheus or Alertmanager
 * scraped again is reached over the connection kept from the previous request while the cache
 * holds it, at most max_idle_connections of them, least recently used dropped first).
 *
 * At most max_in_flight transfers run at a time; the rest wait their turn. Each request's
 * timeout counts from when its transfer starts, so waiting in line never makes it time out, and
 * a pod that hangs holds one slot until its own timeout, never another request. Bodies above
 * max_body end the transfer (MG_ETOOBIG).
 *
 * Threads: mg_fetch_wakeup and the counters are safe from any thread; everything else (and
 * every callback) runs on the one thread that calls mg_fetch_run. A callback may queue new
 * requests. Lifecycle: new → request/run ... → free (requests still queued or in flight get
 * their callback with MG_ECANCELED, on the freeing thread). */
#ifndef MG_OPERATOR_FETCH_H
#define MG_OPERATOR_FETCH_H
#include <stddef.h>

typedef struct mg_fetch mg_fetch;

typedef struct mg_fetch_opts {
    int max_in_flight;         /* default 256 */
    long max_idle_connections; /* keep-alive connections kept for reuse; default 1024 */
    size_t max_body;           /* default 16 MiB */
} mg_fetch_opts;

typedef struct mg_fetch_result {
    int rc;            /* 0 (a 2xx answer), MG_EHTTP (another status), MG_ETIMEOUT, MG_ETOOBIG,
                          MG_ECONNECT, MG_ECANCELED */
    long status;       /* the HTTP status, 0 without an answer */
    const char *body;  /* NUL-terminated; borrowed for the callback's duration */
    size_t len;        /* body length */
    const char *error; /* for a human when rc != 0 ("GET http://...: Timeout was reached") */
} mg_fetch_result;

typedef void (*mg_fetch_done_fn)(void *ud, const mg_fetch_result *r);

mg_fetch *mg_fetch_new(const mg_fetch_opts *opts); /* opts may be NULL: defaults */
void mg_fetch_free(mg_fetch *f);                    /* NULL: nothing */

/* Queues a GET of url, or a POST of post_json (copied; Content-Type application/json) when it
 * is not NULL. done runs exactly once, from mg_fetch_run (or mg_fetch_free). */
void mg_fetch_request(mg_fetch *f, const char *url, const char *post_json, long timeout_ms,
                      mg_fetch_done_fn done, void *ud);
/* Starts what may start, moves the transfers along and runs the callbacks of the finished ones;
 * waits at most wait_ms for network activity (less when mg_fetch_wakeup is called). */
void mg_fetch_run(mg_fetch *f, long wait_ms);
/* Makes a waiting mg_fetch_run return now. Any thread. */
void mg_fetch_wakeup(mg_fetch *f);

typedef struct mg_fetch_stats {
    size_t queued, in_flight;
    unsigned long done, timeouts, errors;
    unsigned long connections; /* new connections made; done - connections were reused */
} mg_fetch_stats;
void mg_fetch_get_stats(mg_fetch *f, mg_fetch_stats *out); /* any thread */

#endif
