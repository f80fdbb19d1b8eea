/* http/server — the HTTP/1.1 (TLS or plain) server both daemons use, on libwebsockets + OpenSSL.
 *
 * What it does: listens on HOST:PORT (port 0 picks a free port; mg_http_server_port() tells
 * which), routes (method, exact path) to handler callbacks, buffers each request body fully up to
 * a cap (a Content-Length above the cap is answered 413 at once, before any of the body is read,
 * and the connection is closed; a chunked body is answered 411), keeps connections alive between
 * requests, and times out slow clients (headers, body, idle keep-alive) without blocking anyone
 * else. With TLS (1.2 or newer, ALPN http/1.1) the certificate and key files are watched (stat
 * of both files every cert_poll_ms: device, inode, size, mtime, so a Kubernetes Secret volume's
 * symlink swap counts) and, once both parse and match, installed into every service thread's
 * SSL_CTX: new handshakes get the new certificate, established connections keep theirs and stay
 * up. A pair that fails to load (half-written, key not matching) is logged and retried when the
 * files change again; the old certificate stays in service meanwhile.
 *
 * Threads: the server runs `threads` libwebsockets contexts (lws is built with one service
 * thread per context), each on its own thread with its own listening socket on the same port
 * (SO_REUSEPORT: the kernel spreads new connections over them), plus one certificate watcher
 * thread when TLS is on. Handlers of mg_http_server_route run on the service threads, several at
 * once, so a handler must be thread-safe; it must also be quick and never block (it holds up
 * every other connection of its thread). A handler that may block (a network call) is routed with
 * mg_http_server_route_blocking instead: it runs on one of `workers` worker threads
 * (http/pool.h: requests with a body up to 64 KiB are taken first, and at most workers - 1 workers
 * take larger ones, so small requests are answered while large ones are decided), and the service
 * thread writes its answer. The mg_http_request a handler receives and everything it points to
 * is borrowed for the duration of the call.
 *
 * Memory of request bodies: each body is allocated whole once its Content-Length is known (at
 * most max_body_bytes), and all bodies being read or handled together are capped by
 * max_inflight_body_bytes: a request whose body would pass that budget is answered 429 with
 * Retry-After at once, before any of its body is read, and the connection is closed.
 *
 * Ownership: the server owns its contexts, threads, sockets, certificates and the copies of the
 * config strings; route args are borrowed and must outlive the server. Lifecycle:
 * mg_http_server_new → mg_http_server_route (any number) → mg_http_server_start →
 * mg_http_server_stop (from any thread except a service thread; idempotent) →
 * mg_http_server_free. Signals are the caller's business: block SIGTERM/SIGINT before start
 * (threads inherit the mask), wait for them in main, then call mg_http_server_stop.
 *
 * Stop is graceful: the service threads finish the requests they are reading or answering
 * (up to grace_ms), answer them with `Connection: close`, then close every connection. */
#ifndef MG_HTTP_SERVER_H
#define MG_HTTP_SERVER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "metrics/registry.h"

typedef struct mg_http_server mg_http_server;

typedef struct mg_http_request {
    const char *method;          /* "GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD" */
    const char *path;            /* decoded path without the query, e.g. "/validate" */
    const char *query;           /* query string without '?', "" when none, e.g. "timeout=5s" */
    const char *content_type;    /* Content-Type header, "" when absent */
    const char *accept_encoding; /* Accept-Encoding header, "" when absent */
    long long content_length;    /* Content-Length header, -1 when absent */
    const char *body;            /* NUL-terminated (the NUL is not counted); "" when none */
    size_t body_len;
    int thread_index; /* which service thread runs the handler (0..threads-1) */
} mg_http_request;

typedef struct mg_http_response {
    int status;             /* default 200 */
    char content_type[128]; /* default "text/plain; charset=utf-8" */
    mg_buf body;            /* append the body here; past max_response_bytes the answer is a 500 */
    mg_buf headers;         /* extra header lines, added with mg_http_response_header */
} mg_http_response;

/* Fills status, content type and body (replacing any body so far). Returns 0 or MG_ETOOBIG. */
int mg_http_response_set(mg_http_response *resp, int status, const char *content_type, const char *body,
                         size_t len);
/* Adds "Name: value". Rejects CR/LF in either (MG_EINVAL). */
int mg_http_response_header(mg_http_response *resp, const char *name, const char *value);

/* A handler fills resp. It runs on a service thread (thread-safe, quick, non-blocking), or on a
 * worker thread when routed with mg_http_server_route_blocking (thread-safe, may block). */
typedef void (*mg_http_handler_fn)(const mg_http_request *req, mg_http_response *resp, void *arg);

typedef struct mg_http_server_config {
    const char *listen;        /* "HOST:PORT", "[v6]:PORT" or ":PORT" (all addresses); port 0 = free port */
    const char *tls_cert_file; /* PEM certificate (leaf first, then chain); NULL with key = plain HTTP */
    const char *tls_key_file;  /* PEM private key */
    int threads;               /* service threads; 0 = number of online CPUs */
    size_t max_body_bytes;     /* request body cap; 0 = 1 MiB */
    size_t max_response_bytes; /* response body cap; 0 = 16 MiB */
    int header_timeout_s;      /* time to receive a request's headers; 0 = 10 */
    int body_timeout_s;        /* time to receive a request's body; 0 = 10 */
    int idle_timeout_s;        /* keep-alive idle time; 0 = 90 (Go's client keeps 90 s) */
    int cert_poll_ms;          /* certificate file check period; 0 = 2000 */
    int workers;               /* worker threads for blocking routes; 0 = 2 per service thread */
    size_t max_inflight_body_bytes; /* all bodies being read or handled together; 0 = no cap */
    /* Optional: registers <metrics_namespace>_http_server_threads,
     * <ns>_http_server_requests_total{thread}, <ns>_http_responses_total{code}, with a body
     * budget <ns>_http_inflight_body_bytes, and with TLS
     * <ns>_tls_certificate_not_after_seconds and <ns>_tls_certificate_reloads_total{result} in this registry
     * (borrowed). */
    mg_metrics *metrics;
    const char *metrics_namespace; /* default "modelgov" */
} mg_http_server_config;

/* Validates cfg and, with TLS, loads the certificate and key (an error names the file). Nothing
 * listens yet. Returns 0 and *out, or a negative code and err. */
int mg_http_server_new(const mg_http_server_config *cfg, mg_http_server **out, mg_error *err);
/* Routes (method, path) to fn. Call before start. A path with routes but another method answers
 * 405; an unknown path 404. Returns 0 or MG_EINVAL (started, or same route twice). */
int mg_http_server_route(mg_http_server *s, const char *method, const char *path, mg_http_handler_fn fn,
                         void *arg);
/* The same for a handler that may block: it runs on a worker thread (see above). */
int mg_http_server_route_blocking(mg_http_server *s, const char *method, const char *path,
                                  mg_http_handler_fn fn, void *arg);
/* Binds, listens and starts the threads. Returns 0, or MG_EIO (bind/listen failed), MG_ETLS. */
int mg_http_server_start(mg_http_server *s, mg_error *err);
/* The port listened on (the one picked when the config said 0); 0 before start. */
int mg_http_server_port(const mg_http_server *s);
/* Stops accepting work, lets in-flight requests finish for up to grace_ms, closes everything and
 * joins the threads. Safe to call twice. */
void mg_http_server_stop(mg_http_server *s, int grace_ms);
/* Stops if needed, then frees (NULL is fine). */
void mg_http_server_free(mg_http_server *s);

/* Checks the certificate files now instead of waiting for the next poll; installs a changed
 * pair. Returns 0 (unchanged or installed) or the load error. Thread-safe. */
int mg_http_server_check_certs(mg_http_server *s, mg_error *err);

/* Splits "HOST:PORT" ("[v6]:PORT", ":PORT") into host (may be "") and port. 0 or MG_EINVAL. */
int mg_http_parse_listen(const char *listen, char *host, size_t hostlen, int *port);

#endif
