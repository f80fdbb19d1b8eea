/* operator/fetch — monitoring's HTTP engine: many requests at once on one thread, none of them
 * ever blocking that thread or another request (libcurl multi).
 *
 * Owns: the multi handle and the keep-alive connections it keeps (at most max_idle_connections,
 * least recently used dropped first), the requests waiting for a slot (FIFO), the transfers in
 * flight and their bodies, and the easy handles, taken from a core/curlpool of its own (whose
 * share keeps DNS answers and TLS sessions). A request asks for keep-alive or not: Prometheus
 * and Alertmanager are asked again and again over one connection; a pod is scraped once per
 * interval, so keeping a connection for each of 20,000 pods would cost more than reconnecting
 * (libcurl 7.88 walks its whole connection cache as transfers end: at 6,000 cached pod
 * connections an evaluation cost twice the CPU of one that reconnects), and the monitor asks for
 * keep-alive only while its pods fit the cache.
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
#include <stdbool.h>
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
void mg_fetch_free(mg_fetch *f);                   /* NULL: nothing */

/* Queues a GET of url, or a POST of post_json (copied; Content-Type application/json) when it
 * is not NULL; keep_alive false closes the connection after the answer. done runs exactly once,
 * from mg_fetch_run (or mg_fetch_free). */
void mg_fetch_request(mg_fetch *f, const char *url, const char *post_json, long timeout_ms, bool keep_alive,
                      mg_fetch_done_fn done, void *ud);
/* The keep-alive connections kept at most. */
long mg_fetch_max_idle(const mg_fetch *f);
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
