/* http/server — see server.h. Layout of this file: config and listen parsing; certificate
 * loading and watching; per-connection request state machine (lws callbacks); service threads;
 * public lifecycle. */
#include "http/server.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <libwebsockets.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "http/pool.h"

#define DEFAULT_MAX_BODY (1u << 20)
#define DEFAULT_MAX_RESPONSE (16u << 20)
#define DEFAULT_HEADER_TIMEOUT_S 10
#define DEFAULT_BODY_TIMEOUT_S 10
#define DEFAULT_IDLE_TIMEOUT_S 90 /* Go's HTTP client keeps idle connections 90 s */
#define DEFAULT_CERT_POLL_MS 2000
/* The kernel's queue of connections not yet accepted (the kernel caps it at somaxconn). */
#define LISTEN_BACKLOG 1024
/* lws's per-thread buffer for reads and writes of one service pass. */
#define SERVICE_BUFFER_BYTES 32768
/* Room for the status line and the fixed headers of an answer. */
#define FIXED_HEADERS_BYTES 512
/* Service threads at the most, whatever the CPU count: each holds an lws context. */
#define MAX_THREADS 64
#define MAX_HEADER_BLOCK (16u << 10)
/* What lws keeps of a request's headers, the URI with its query among them. */
#define MAX_HTTP_HEADER_DATA 8192
#define WRITE_CHUNK 65536
/* A request body up to this size goes to the workers' small-request lane (http/pool.h). */
#define SMALL_BODY_MAX (64u << 10)
#define RETRY_AFTER_SECONDS "1"
#define WORKERS_PER_THREAD 2 /* default workers for blocking routes, per service thread */

typedef struct route {
    char *method;
    char *path;
    mg_http_handler_fn fn;
    void *arg;
    bool blocking; /* runs on a worker thread (mg_http_server_route_blocking) */
} route;

typedef struct job job;

/* A certificate, its chain and its key, loaded and checked to match. */
typedef struct cert_bundle {
    X509 *leaf;
    STACK_OF(X509) * chain;
    EVP_PKEY *key;
    int64_t not_after;
    char serial[80];
} cert_bundle;

/* What identifies a version of the cert/key files on disk. */
typedef struct file_sig {
    dev_t dev[2];
    ino_t ino[2];
    off_t size[2];
    struct timespec mtime[2];
    bool valid;
} file_sig;

typedef struct svc_thread {
    mg_http_server *srv;
    int index;
    struct lws_context *ctx;
    SSL_CTX *ssl_ctx;          /* owned by lws; touched only on this thread after start */
    uint64_t cert_gen_applied; /* bundle generation installed in ssl_ctx */
    pthread_t tid;
    bool started;
    atomic_bool exited;
    int inflight;          /* requests being read or answered; this thread only */
    int listen_fd;         /* this thread's SO_REUSEPORT listening socket, -1 when none */
    struct lws *listener;  /* the listening socket adopted into lws as a raw file */
    bool listen_adopted;   /* lws owns (and closes) listen_fd */
    mg_metric *m_requests; /* requests answered by this thread */
    struct lws_vhost *vh;
    pthread_mutex_t done_mu; /* guards done: workers push, this thread drains */
    job *done;               /* answered blocking requests waiting to be written */
} svc_thread;

struct mg_http_server {
    /* config (copied) */
    char host[256];
    int cfg_port;
    char *cert_file, *key_file;
    bool tls;
    int nthreads;
    size_t max_body, max_response;
    int header_timeout_s, body_timeout_s, idle_timeout_s, cert_poll_ms;
    mg_metrics *metrics;
    char ns[64];

    route *routes;
    size_t nroutes;

    svc_thread *threads;
    int port;
    bool started, stopped;
    atomic_bool stopping;
    atomic_int grace_ms;

    /* certificates: cert_mu guards cur and cert_gen; check_mu serialises file checks and
     * guards ctx_alive (whether lws_cancel_service may be called on the contexts). */
    pthread_mutex_t cert_mu, check_mu;
    cert_bundle cur;
    _Atomic uint64_t cert_gen;
    file_sig applied_sig, failed_sig;
    bool ctx_alive;
    _Atomic int64_t not_after;

    /* watcher thread */
    pthread_t watcher;
    bool watcher_started, watcher_stop;
    pthread_mutex_t wmu;
    pthread_cond_t wcv;

    mg_metric_family *m_responses;
    mg_metric *m_reload_ok, *m_reload_fail;

    /* blocking handlers and the in-flight body budget */
    int nworkers;
    mg_http_pool *pool;
    size_t max_inflight_body;
    _Atomic size_t inflight_body; /* bytes reserved by bodies being read or handled */
};

/* ---------------------------------------------------------------- listen parsing */

int mg_http_parse_listen(const char *listen, char *host, size_t hostlen, int *port) {
    if (!listen || !host || hostlen == 0) return MG_EINVAL;
    const char *colon;
    const char *h = listen;
    size_t hl;
    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');
        if (!close || close[1] != ':') return MG_EINVAL;
        h = listen + 1;
        hl = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(listen, ':');
        if (!colon || memchr(listen, ':', (size_t)(colon - listen))) return MG_EINVAL;
        hl = (size_t)(colon - listen);
    }
    if (hl >= hostlen) return MG_EINVAL;
    const char *p = colon + 1;
    if (!*p || strlen(p) > 5) return MG_EINVAL;
    long v = 0;
    for (; *p; p++) {
        if (!isdigit((unsigned char)*p)) return MG_EINVAL;
        v = v * 10 + (*p - '0');
    }
    if (v > UINT16_MAX) return MG_EINVAL;
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = (int)v;
    return 0;
}

/* ---------------------------------------------------------------- certificates */

static void openssl_reason(char *out, size_t n) {
    unsigned long e = ERR_get_error();
    if (!e) {
        snprintf(out, n, "unknown error");
        return;
    }
    ERR_error_string_n(e, out, n);
    ERR_clear_error();
}

static void bundle_free(cert_bundle *b) {
    X509_free(b->leaf);
    if (b->chain) sk_X509_pop_free(b->chain, X509_free);
    EVP_PKEY_free(b->key);
    memset(b, 0, sizeof *b);
}

static int load_bundle(const char *cert_file, const char *key_file, cert_bundle *out, mg_error *err) {
    char why[256];
    memset(out, 0, sizeof *out);
    BIO *bio = BIO_new_file(cert_file, "r");
    if (!bio) return mg_error_set(err, MG_ETLS, "reading certificate %s: %s", cert_file, strerror(errno));
    out->leaf = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    if (!out->leaf) {
        BIO_free(bio);
        openssl_reason(why, sizeof why);
        return mg_error_set(err, MG_ETLS, "certificate %s: no PEM certificate (%s)", cert_file, why);
    }
    out->chain = sk_X509_new_null();
    X509 *x;
    while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
        sk_X509_push(out->chain, x);
    ERR_clear_error(); /* the loop ends on "no start line" */
    BIO_free(bio);
    bio = BIO_new_file(key_file, "r");
    if (!bio) {
        int e = errno;
        bundle_free(out);
        return mg_error_set(err, MG_ETLS, "reading private key %s: %s", key_file, strerror(e));
    }
    out->key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (!out->key) {
        openssl_reason(why, sizeof why);
        bundle_free(out);
        return mg_error_set(err, MG_ETLS, "private key %s: no PEM key (%s)", key_file, why);
    }
    if (X509_check_private_key(out->leaf, out->key) != 1) {
        ERR_clear_error();
        bundle_free(out);
        return mg_error_set(err, MG_ETLS, "private key %s does not match certificate %s", key_file,
                            cert_file);
    }
    struct tm tm;
    if (ASN1_TIME_to_tm(X509_get0_notAfter(out->leaf), &tm) == 1) out->not_after = (int64_t)timegm(&tm);
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(out->leaf), NULL);
    if (bn) {
        char *hex = BN_bn2hex(bn);
        if (hex) snprintf(out->serial, sizeof out->serial, "%s", hex);
        OPENSSL_free(hex);
        BN_free(bn);
    }
    return 0;
}

static int stat_sig(const mg_http_server *s, file_sig *sig) {
    const char *files[2] = {s->cert_file, s->key_file};
    memset(sig, 0, sizeof *sig);
    for (int i = 0; i < 2; i++) {
        struct stat st;
        if (stat(files[i], &st) != 0) return MG_EIO;
        sig->dev[i] = st.st_dev;
        sig->ino[i] = st.st_ino;
        sig->size[i] = st.st_size;
        sig->mtime[i] = st.st_mtim;
    }
    sig->valid = true;
    return 0;
}

static bool sig_equal(const file_sig *a, const file_sig *b) {
    if (!a->valid || !b->valid) return false;
    for (int i = 0; i < 2; i++)
        if (a->dev[i] != b->dev[i] || a->ino[i] != b->ino[i] || a->size[i] != b->size[i] ||
            a->mtime[i].tv_sec != b->mtime[i].tv_sec || a->mtime[i].tv_nsec != b->mtime[i].tv_nsec)
            return false;
    return true;
}

/* Installs the current bundle into t's SSL_CTX when it is newer. Runs on t's service thread (or
 * during context creation, before the thread starts). */
static void apply_cert(svc_thread *t) {
    mg_http_server *s = t->srv;
    if (!t->ssl_ctx || atomic_load(&s->cert_gen) == t->cert_gen_applied) return;
    pthread_mutex_lock(&s->cert_mu);
    if (SSL_CTX_use_cert_and_key(t->ssl_ctx, s->cur.leaf, s->cur.key, s->cur.chain, 1) != 1) {
        char why[256];
        openssl_reason(why, sizeof why);
        mg_log(MG_LOG_ERROR, "tls: installing certificate failed", "reason", why, NULL);
    }
    t->cert_gen_applied = atomic_load(&s->cert_gen);
    pthread_mutex_unlock(&s->cert_mu);
}

int mg_http_server_check_certs(mg_http_server *s, mg_error *err) {
    if (!s->tls) return 0;
    pthread_mutex_lock(&s->check_mu);
    int rc = 0;
    file_sig sig, after;
    if (stat_sig(s, &sig) != 0) {
        struct stat st;
        const char *missing = stat(s->cert_file, &st) != 0 ? s->cert_file : s->key_file;
        rc = mg_error_set(err, MG_ETLS, "reading %s: %s", missing, strerror(errno));
        goto out;
    }
    if (sig_equal(&sig, &s->applied_sig)) goto out;
    cert_bundle nb;
    mg_error lerr;
    rc = load_bundle(s->cert_file, s->key_file, &nb, &lerr);
    if (rc == 0 && (stat_sig(s, &after) != 0 || !sig_equal(&sig, &after))) {
        /* Changed while we read it: try again at the next check. */
        bundle_free(&nb);
        goto out;
    }
    if (rc) {
        if (!sig_equal(&sig, &s->failed_sig)) {
            mg_log(MG_LOG_WARN, "tls: new certificate files not usable, keeping the current one", "error",
                   lerr.message, NULL);
            mg_metric_inc(s->m_reload_fail);
        }
        s->failed_sig = sig;
        if (err) *err = lerr;
        goto out;
    }
    pthread_mutex_lock(&s->cert_mu);
    bundle_free(&s->cur);
    s->cur = nb;
    atomic_fetch_add(&s->cert_gen, 1);
    pthread_mutex_unlock(&s->cert_mu);
    s->applied_sig = sig;
    atomic_store(&s->not_after, nb.not_after);
    if (s->ctx_alive) {
        mg_metric_inc(s->m_reload_ok);
        char na[40];
        mg_clock_rfc3339(nb.not_after * 1000, na, sizeof na);
        mg_log(MG_LOG_INFO, "tls: certificate reloaded", "cert", s->cert_file, "serial", nb.serial,
               "notAfter", na, NULL);
        for (int i = 0; i < s->nthreads; i++)
            if (s->threads[i].ctx) lws_cancel_service(s->threads[i].ctx);
    }
out:
    pthread_mutex_unlock(&s->check_mu);
    return rc;
}

static void *watch_main(void *arg) {
    mg_http_server *s = arg;
    pthread_mutex_lock(&s->wmu);
    while (!s->watcher_stop) {
        struct timespec ts = mg_clock_deadline(CLOCK_MONOTONIC, s->cert_poll_ms);
        pthread_cond_timedwait(&s->wcv, &s->wmu, &ts);
        if (s->watcher_stop) break;
        pthread_mutex_unlock(&s->wmu);
        mg_http_server_check_certs(s, NULL);
        pthread_mutex_lock(&s->wmu);
    }
    pthread_mutex_unlock(&s->wmu);
    return NULL;
}

/* ---------------------------------------------------------------- responses */

int mg_http_response_set(mg_http_response *resp, int status, const char *content_type, const char *body,
                         size_t len) {
    resp->status = status;
    if (content_type) snprintf(resp->content_type, sizeof resp->content_type, "%s", content_type);
    mg_buf_reset(&resp->body);
    return len ? mg_buf_append(&resp->body, body, len) : 0;
}

static bool has_crlf(const char *s) { return strpbrk(s, "\r\n") != NULL; }

int mg_http_response_header(mg_http_response *resp, const char *name, const char *value) {
    if (!name || !value || !*name || has_crlf(name) || has_crlf(value) || strchr(name, ':')) return MG_EINVAL;
    return mg_buf_printf(&resp->headers, "%s: %s\r\n", name, value);
}

static const char *reason_phrase(int status) {
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
}

/* ---------------------------------------------------------------- connections */

/* What the server reads of a request: the connection's, then a job's when a worker handles it. */
typedef struct req_fields {
    char method[8];
    char *path, *query;
    char content_type[256];
    char accept_encoding[128];
    long long content_length;
    mg_buf body;
} req_fields;

typedef struct conn {
    bool active;     /* a request is being read or answered (counted in inflight) */
    bool responding; /* out holds a response being written */
    bool close_after;
    bool discard_body; /* body bytes are read and dropped (request already rejected) */
    bool head;
    const route *rt;
    int reject_status;
    char reject_reason[200];
    req_fields rq;
    mg_buf out; /* LWS_PRE spare bytes, then status line, headers and body */
    size_t wpos;
    int64_t start_ms;
    size_t reserved; /* bytes of the in-flight body budget this request holds */
    job *pending;    /* the request is with a worker (blocking route) */
} conn;

/* ---------------------------------------------------------------- in-flight body budget */

/* Reserves n bytes of the budget shared by every request body being read or handled; false when
 * they would not fit (the request is then answered 429). */
static bool budget_take(mg_http_server *s, size_t n) {
    if (!s->max_inflight_body) return true;
    size_t cur = atomic_load(&s->inflight_body);
    do {
        if (cur + n > s->max_inflight_body) return false;
    } while (!atomic_compare_exchange_weak(&s->inflight_body, &cur, cur + n));
    return true;
}

static void budget_give(mg_http_server *s, size_t n) {
    if (n && s->max_inflight_body) atomic_fetch_sub(&s->inflight_body, n);
}

/* ---------------------------------------------------------------- blocking handlers */

/* A request handed to a worker: owns copies of everything its handler reads, and the answer. */
struct job {
    mg_http_job base; /* first: what the pool sees */
    svc_thread *t;    /* whose service thread writes the answer */
    struct lws *wsi;  /* NULL once the connection closed; touched on t's thread only */
    const route *rt;
    req_fields rq;       /* its own copies: the connection may go away meanwhile */
    mg_http_request req; /* over rq */
    size_t reserved;
    mg_http_response resp;
    job *done_next;
};

static void job_free(job *j) {
    budget_give(j->t->srv, j->reserved);
    free(j->rq.path);
    free(j->rq.query);
    mg_buf_free(&j->rq.body);
    mg_buf_free(&j->resp.body);
    mg_buf_free(&j->resp.headers);
    free(j);
}

/* The request as a handler sees it, borrowing from rq. */
static mg_http_request request_of(const req_fields *rq, int thread_index) {
    return (mg_http_request){.method = rq->method,
                             .path = rq->path ? rq->path : "/",
                             .query = rq->query ? rq->query : "",
                             .content_type = rq->content_type,
                             .accept_encoding = rq->accept_encoding,
                             .content_length = rq->content_length,
                             .body = rq->body.data ? rq->body.data : "",
                             .body_len = rq->body.len,
                             .thread_index = thread_index};
}

/* Runs the route's handler; a status outside 100..599 becomes 500. */
static void run_handler(const route *rt, const mg_http_request *req, mg_http_response *resp) {
    rt->fn(req, resp, rt->arg);
    if (resp->status < 100 || resp->status > 599) resp->status = 500;
}

/* On a worker: runs the handler, then gives the answer to the service thread. */
static void job_run(mg_http_job *base) {
    job *j = (job *)base;
    svc_thread *t = j->t;
    run_handler(j->rt, &j->req, &j->resp);
    mg_buf_free(&j->rq.body);
    budget_give(t->srv, j->reserved);
    j->reserved = 0;
    pthread_mutex_lock(&t->done_mu);
    j->done_next = t->done;
    t->done = j;
    pthread_mutex_unlock(&t->done_mu);
    lws_cancel_service(t->ctx); /* the service thread drains t->done (LWS_CALLBACK_EVENT_WAIT_CANCELLED) */
}

static void conn_release(svc_thread *t, conn *c) {
    if (c->active && t) t->inflight--;
    if (c->pending) c->pending->wsi = NULL; /* the worker's answer has nowhere to go */
    if (t) budget_give(t->srv, c->reserved);
    free(c->rq.path);
    free(c->rq.query);
    mg_buf_free(&c->rq.body);
    mg_buf_free(&c->out);
    memset(c, 0, sizeof *c);
}

static void reject(conn *c, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void reject(conn *c, int status, const char *fmt, ...) {
    if (c->reject_status) return;
    c->reject_status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->reject_reason, sizeof c->reject_reason, fmt, ap);
    va_end(ap);
}

static void count_response(svc_thread *t, int status) {
    mg_http_server *s = t->srv;
    if (!s->m_responses) return;
    char code[8];
    snprintf(code, sizeof code, "%d", status);
    mg_metric_inc(mg_metric_with(s->m_responses, code, NULL));
}

/* The status line, headers and body of resp into out, after LWS_PRE bytes of room for lws.
 * 0, or the error of the first piece that did not fit (out's error sticks; so does the
 * handler's, when it appended past max_response to resp's body or headers). */
static int put_response(mg_buf *out, const conn *c, const mg_http_response *resp) {
    static const char pre[LWS_PRE] = {0};
    if (resp->body.err || resp->headers.err) return MG_ETOOBIG;
    mg_buf_append(out, pre, LWS_PRE);
    mg_buf_printf(out,
                  "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                  "Cache-Control: no-store\r\n%s",
                  resp->status, reason_phrase(resp->status), resp->content_type, resp->body.len,
                  c->close_after ? "Connection: close\r\n" : "");
    if (resp->headers.len) mg_buf_append(out, resp->headers.data, resp->headers.len);
    mg_buf_append_str(out, "\r\n");
    if (!c->head && resp->body.len) mg_buf_append(out, resp->body.data, resp->body.len);
    return out->err;
}

/* Builds c->out from resp and asks for a writable callback. */
static void queue_response(struct lws *wsi, svc_thread *t, conn *c, mg_http_response *resp) {
    mg_http_server *s = t->srv;
    if (atomic_load(&s->stopping)) c->close_after = true;
    mg_buf_init(&c->out, LWS_PRE + MAX_HEADER_BLOCK + s->max_response);
    c->out.cap = LWS_PRE + FIXED_HEADERS_BYTES + resp->headers.len + resp->body.len;
    c->out.data = mg_xmalloc(c->out.cap);
    if (put_response(&c->out, c, resp)) {
        mg_log(MG_LOG_ERROR, "http: response too large", "path", c->rq.path ? c->rq.path : "", NULL);
        static const char pre[LWS_PRE] = {0};
        static const char fail[] = "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\n"
                                   "Content-Length: 20\r\nConnection: close\r\n\r\nresponse too large\r\n";
        _Static_assert(sizeof fail <= MAX_HEADER_BLOCK, "the fallback answer fits any response cap");
        mg_buf_reset(&c->out);
        mg_buf_append(&c->out, pre, LWS_PRE);
        mg_buf_append(&c->out, fail, sizeof fail - 1);
        c->close_after = true;
        resp->status = 500;
    }
    count_response(t, resp->status);
    mg_metric_inc(t->m_requests);
    c->wpos = 0;
    c->responding = true;
    lws_callback_on_writable(wsi);
}

static void response_init(mg_http_response *resp, size_t max_body) {
    memset(resp, 0, sizeof *resp);
    resp->status = 200;
    snprintf(resp->content_type, sizeof resp->content_type, "text/plain; charset=utf-8");
    mg_buf_init(&resp->body, max_body);
    mg_buf_init(&resp->headers, MAX_HEADER_BLOCK / 2);
}

/* Moves a request of a blocking route to a worker; its answer comes back through t->done. */
static void hand_off(struct lws *wsi, svc_thread *t, conn *c) {
    lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
    lws_set_timer_usecs(wsi, LWS_SET_TIMER_USEC_CANCEL);
    job *j = mg_xcalloc(1, sizeof *j);
    j->base.run = job_run;
    j->base.large = c->rq.body.len > SMALL_BODY_MAX;
    j->t = t;
    j->wsi = wsi;
    j->rt = c->rt;
    j->rq = c->rq; /* the body moves: the connection no longer owns it; path and query are copied */
    j->rq.path = mg_xstrdup(c->rq.path ? c->rq.path : "/");
    j->rq.query = c->rq.query ? mg_xstrdup(c->rq.query) : NULL;
    memset(&c->rq.body, 0, sizeof c->rq.body);
    j->req = request_of(&j->rq, t->index);
    j->reserved = c->reserved;
    c->reserved = 0;
    response_init(&j->resp, t->srv->max_response);
    c->pending = j;
    mg_http_pool_submit(t->srv->pool, &j->base);
}

/* On the service thread: writes the answers the workers finished. */
static void drain_done(svc_thread *t) {
    pthread_mutex_lock(&t->done_mu);
    job *list = t->done;
    t->done = NULL;
    pthread_mutex_unlock(&t->done_mu);
    while (list) {
        job *j = list;
        list = j->done_next;
        if (j->wsi) {
            conn *c = lws_wsi_user(j->wsi);
            c->pending = NULL;
            queue_response(j->wsi, t, c, &j->resp);
        }
        job_free(j);
    }
}

/* Runs the handler (or builds the rejection) and queues the answer; a blocking route's request
 * goes to a worker instead. */
static void dispatch(struct lws *wsi, svc_thread *t, conn *c) {
    mg_http_server *s = t->srv;
    if (!c->reject_status && c->rt->blocking) return hand_off(wsi, t, c);
    mg_http_response resp;
    response_init(&resp, s->max_response);
    lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
    lws_set_timer_usecs(wsi, LWS_SET_TIMER_USEC_CANCEL);
    if (c->reject_status) {
        /* over max_response, the body's error makes the answer a 500 (put_response) */
        mg_http_response_set(&resp, c->reject_status, "text/plain; charset=utf-8", c->reject_reason,
                             strlen(c->reject_reason));
        mg_buf_append_str(&resp.body, "\n");
        if (c->reject_status == 405 && c->rt == NULL) {
            /* Allow header: the methods routed for this path. */
            char allow[128] = "";
            size_t n = 0;
            for (size_t i = 0; i < s->nroutes; i++)
                if (c->rq.path && !strcmp(s->routes[i].path, c->rq.path))
                    n += (size_t)snprintf(allow + n, n < sizeof allow ? sizeof allow - n : 0, "%s%s",
                                          n ? ", " : "", s->routes[i].method);
            if (n && n < sizeof allow) mg_http_response_header(&resp, "Allow", allow);
        }
        if (c->reject_status == 429) mg_http_response_header(&resp, "Retry-After", RETRY_AFTER_SECONDS);
    } else {
        mg_http_request req = request_of(&c->rq, t->index);
        run_handler(c->rt, &req, &resp);
    }
    mg_buf_free(&c->rq.body);
    queue_response(wsi, t, c, &resp);
    mg_buf_free(&resp.body);
    mg_buf_free(&resp.headers);
}

/* Writes as much of c->out as the socket takes. Returns 1 when all is written, 0 when waiting
 * for writability, -1 on error. */
static int write_pending(struct lws *wsi, conn *c) {
    size_t total = c->out.len - LWS_PRE;
    while (c->wpos < total) {
        size_t n = total - c->wpos;
        if (n > WRITE_CHUNK) n = WRITE_CHUNK;
        unsigned char *p = (unsigned char *)c->out.data + LWS_PRE + c->wpos;
        if (lws_write(wsi, p, n, LWS_WRITE_HTTP) < 0) return -1;
        c->wpos += n;
        if (c->wpos < total && lws_send_pipe_choked(wsi)) {
            lws_callback_on_writable(wsi);
            return 0;
        }
    }
    return 1;
}

static const char *const method_names[] = {"GET",   "POST",   "OPTIONS", "PUT",
                                           "PATCH", "DELETE", "CONNECT", "HEAD"};

static void copy_header(struct lws *wsi, enum lws_token_indexes tok, char *out, size_t n) {
    out[0] = '\0';
    if (lws_hdr_total_length(wsi, tok) <= 0) return;
    if (lws_hdr_copy(wsi, out, (int)n, tok) < 0) out[0] = '\0';
}

/* The query as the client sent it, fragments joined with '&' (lws splits on '&'). Uncapped and
 * whole: lws holds no more than MAX_HTTP_HEADER_DATA bytes of it, so every fragment fits frag and
 * lws_hdr_copy_fragment fails only past the last one. */
static char *copy_query(struct lws *wsi) {
    mg_buf q;
    mg_buf_init(&q, MG_BUF_UNCAPPED);
    char frag[MAX_HTTP_HEADER_DATA + 1];
    for (int i = 0;; i++) {
        int n = lws_hdr_copy_fragment(wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i);
        if (n < 0) break;
        if (i) mg_buf_append_str(&q, "&");
        mg_buf_append(&q, frag, (size_t)n);
    }
    return mg_buf_steal(&q);
}

static bool contains_token(const char *list, const char *token) {
    size_t tl = strlen(token);
    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        const char *e = p;
        while (*e && *e != ',')
            e++;
        const char *te = e;
        while (te > p && (te[-1] == ' ' || te[-1] == '\t'))
            te--;
        if ((size_t)(te - p) == tl && !strncasecmp(p, token, tl)) return true;
        p = e;
    }
    return false;
}

/* Rejects with the reason already noted and answers at once: the body (or what is left of it)
 * is never read, and the connection closes after the answer. */
static void answer_now(struct lws *wsi, svc_thread *t, conn *c) {
    c->close_after = true;
    c->discard_body = true;
    dispatch(wsi, t, c);
}

/* Method, path, query and the headers the server reads, into c; what is wrong with them is noted
 * as c's rejection (the first one wins), a framing problem also closes the connection. */
static void read_head(struct lws *wsi, conn *c, const char *in, size_t len) {
    char *uri = NULL;
    int ulen = 0;
    int m = lws_http_get_uri_and_method(wsi, &uri, &ulen);
    if (m >= 0 && m < (int)(sizeof method_names / sizeof method_names[0]))
        snprintf(c->rq.method, sizeof c->rq.method, "%s", method_names[m]);
    c->head = m == LWSHUMETH_HEAD;
    c->rq.path = mg_xstrndup(in ? in : "/", in ? len : 1);
    c->rq.query = copy_query(wsi);
    copy_header(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, c->rq.content_type, sizeof c->rq.content_type);
    copy_header(wsi, WSI_TOKEN_HTTP_ACCEPT_ENCODING, c->rq.accept_encoding, sizeof c->rq.accept_encoding);
    char tmp[256];
    copy_header(wsi, WSI_TOKEN_CONNECTION, tmp, sizeof tmp);
    if (contains_token(tmp, "close")) c->close_after = true;

    if (!c->rq.method[0]) reject(c, 400, "unsupported HTTP method");
    copy_header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, tmp, sizeof tmp);
    if (tmp[0]) {
        char *end;
        errno = 0;
        long long v = strtoll(tmp, &end, 10);
        if (errno || *end || v < 0 || end == tmp) {
            reject(c, 400, "invalid Content-Length");
            c->close_after = true;
        } else {
            c->rq.content_length = v;
        }
    }
    copy_header(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING, tmp, sizeof tmp);
    if (tmp[0] && strcasecmp(tmp, "identity")) {
        reject(c, 411, "a request body needs a Content-Length (chunked transfer encoding is not accepted)");
        c->close_after = true;
    }
}

/* The route for c's method and path (HEAD takes a GET route), or a 405 or 404 rejection. */
static void find_route(const mg_http_server *s, conn *c) {
    bool path_known = false;
    for (size_t i = 0; i < s->nroutes && !c->rt; i++) {
        if (strcmp(s->routes[i].path, c->rq.path)) continue;
        path_known = true;
        if (!strcmp(s->routes[i].method, c->rq.method) || (c->head && !strcmp(s->routes[i].method, "GET")))
            c->rt = &s->routes[i];
    }
    if (!c->rt) {
        if (path_known)
            reject(c, 405, "method %s not allowed on %s", c->rq.method, c->rq.path);
        else
            reject(c, 404, "no handler for %s", c->rq.path);
    }
}

/* Readies c for a body of Content-Length bytes (within the cap): the buffer sized once, a
 * 100 Continue when asked for, and the body's deadline. 0, or -1 when the connection failed. */
static int expect_body(struct lws *wsi, const mg_http_server *s, conn *c) {
    if (c->reject_status) c->discard_body = true;
    mg_buf_init(&c->rq.body, s->max_body);
    c->rq.body.data = mg_xmalloc((size_t)c->rq.content_length + 1);
    c->rq.body.cap = (size_t)c->rq.content_length + 1;
    c->rq.body.data[0] = '\0';
    char expect[256];
    copy_header(wsi, WSI_TOKEN_HTTP_EXPECT, expect, sizeof expect);
    if (!strcasecmp(expect, "100-continue") && !c->reject_status) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        unsigned char buf[LWS_PRE + sizeof cont];
        memcpy(buf + LWS_PRE, cont, sizeof cont - 1);
        if (lws_write(wsi, buf + LWS_PRE, sizeof cont - 1, LWS_WRITE_HTTP) < 0) return -1;
    }
    /* lws re-arms its content timeout on every chunk, so a client trickling bytes would
     * never time out: a one-shot timer bounds the whole body instead. */
    lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, s->body_timeout_s);
    lws_set_timer_usecs(wsi, (lws_usec_t)s->body_timeout_s * LWS_US_PER_SEC);
    return 0; /* the body arrives in LWS_CALLBACK_HTTP_BODY */
}

static int on_http(struct lws *wsi, svc_thread *t, conn *c, const char *in, size_t len) {
    mg_http_server *s = t->srv;
    conn_release(t, c);
    c->active = true;
    t->inflight++;
    c->start_ms = mg_clock_mono_ms();
    c->rq.content_length = -1;
    read_head(wsi, c, in, len);
    find_route(s, c);
    if (c->rq.content_length > (long long)s->max_body) {
        /* Answer now; never read a body above the cap. */
        c->reject_status = 0;
        reject(c, 413, "request body of %lld bytes exceeds the limit of %zu bytes", c->rq.content_length,
               s->max_body);
        answer_now(wsi, t, c);
        return 0;
    }
    if (c->close_after && c->reject_status) {
        answer_now(wsi, t, c);
        return 0;
    }
    if (c->rq.content_length > 0 && !c->reject_status) {
        if (!budget_take(s, (size_t)c->rq.content_length)) {
            reject(c, 429, "too many request bodies in flight (at most %zu bytes together): retry later",
                   s->max_inflight_body);
            answer_now(wsi, t, c);
            return 0;
        }
        c->reserved = (size_t)c->rq.content_length;
    }
    if (c->rq.content_length > 0) return expect_body(wsi, s, c);
    dispatch(wsi, t, c);
    return 0;
}

static int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                         size_t len) {
    struct lws_context *ctx = lws_get_context(wsi);
    svc_thread *t = ctx ? lws_context_user(ctx) : NULL;
    conn *c = user;
    switch (reason) {
    case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS:
        if (t && t->srv->tls) {
            t->ssl_ctx = (SSL_CTX *)user;
            SSL_CTX_set_min_proto_version(t->ssl_ctx, TLS1_2_VERSION);
            SSL_CTX_set_options(t->ssl_ctx, SSL_OP_NO_RENEGOTIATION);
            apply_cert(t);
        }
        return 0;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        if (t) {
            apply_cert(t);
            drain_done(t);
        }
        return 0;
    case LWS_CALLBACK_HTTP:
        if (!t || !c) return -1;
        return on_http(wsi, t, c, in, len);
    case LWS_CALLBACK_HTTP_BODY:
        if (!t || !c || !c->active || c->responding || c->pending) return 0;
        if (c->discard_body) return 0;
        if (mg_buf_append(&c->rq.body, in, len) != 0) {
            reject(c, 413, "request body exceeds the limit of %zu bytes", t->srv->max_body);
            answer_now(wsi, t, c);
        }
        return 0;
    case LWS_CALLBACK_TIMER: /* the body deadline passed */
        if (!t || !c || !c->active || c->responding || c->pending) return 0;
        c->reject_status = 0;
        reject(c, 408, "request body not received within %d s", t->srv->body_timeout_s);
        answer_now(wsi, t, c);
        return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        if (!t || !c || !c->active || c->responding || c->pending) return 0;
        dispatch(wsi, t, c);
        return 0;
    case LWS_CALLBACK_HTTP_WRITEABLE: {
        if (!t || !c || !c->responding) return 0;
        int r = write_pending(wsi, c);
        if (r < 0) return -1;
        if (r == 0) return 0;
        bool close = c->close_after || atomic_load(&t->srv->stopping);
        conn_release(t, c);
        if (close) return -1;
        if (lws_http_transaction_completed(wsi)) return -1;
        return 0;
    }
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        if (c) conn_release(t, c);
        return 0;
    default: break;
    }
    return 0;
}

/* The listening socket lives in the service loop as a raw file descriptor: when it is readable,
 * accept what is queued and hand each connection to lws as an HTTP(S) server socket. */
static int listener_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                             size_t len) {
    struct lws_context *ctx = lws_get_context(wsi);
    svc_thread *t = ctx ? lws_context_user(ctx) : NULL;
    switch (reason) {
    case LWS_CALLBACK_RAW_RX_FILE:
        if (!t || t->listen_fd < 0) return 0;
        for (int i = 0; i < 64; i++) {
            int fd = accept4(t->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) break; /* EAGAIN, or a transient error (EMFILE, ECONNABORTED) */
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            lws_adopt_socket_vhost(t->vh, fd); /* on failure lws closes fd itself */
        }
        return 0;
    case LWS_CALLBACK_RAW_CLOSE_FILE:
        if (t) t->listener = NULL;
        return 0;
    default: break;
    }
    return 0;
}

static const struct lws_protocols protocols[] = {
    {"http", http_callback, sizeof(conn), 0, 0, NULL, 0},
    {"mg-listener", listener_callback, 0, 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* ---------------------------------------------------------------- threads and lifecycle */

static void lws_log_emit(int level, const char *line) {
    char msg[512];
    snprintf(msg, sizeof msg, "%s", line);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    mg_log(level == LLL_ERR ? MG_LOG_WARN : MG_LOG_DEBUG, "libwebsockets", "detail", msg, NULL);
}

static pthread_once_t lws_log_once = PTHREAD_ONCE_INIT;
static void lws_log_init(void) { lws_set_log_level(LLL_ERR, lws_log_emit); }

static void *service_main(void *arg) {
    svc_thread *t = arg;
    mg_http_server *s = t->srv;
    int64_t deadline = 0;
    for (;;) {
        if (atomic_load(&s->stopping)) {
            int64_t now = mg_clock_mono_ms();
            if (!deadline) {
                deadline = now + atomic_load(&s->grace_ms);
                /* Stop accepting: close this thread's listening socket. */
                if (t->listener) lws_set_timeout(t->listener, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC);
                t->listener = NULL;
            }
            if (t->inflight <= 0 || now >= deadline) break;
        }
        if (lws_service(t->ctx, 0) < 0) break;
    }
    atomic_store(&t->exited, true);
    return NULL;
}

static double threads_metric(void *arg) { return (double)((mg_http_server *)arg)->nthreads; }
static double not_after_metric(void *arg) { return (double)atomic_load(&((mg_http_server *)arg)->not_after); }
static double inflight_metric(void *arg) {
    return (double)atomic_load(&((mg_http_server *)arg)->inflight_body);
}

/* A server from cfg (defaults filled in), its locks and its threads' records; nothing started. */
static mg_http_server *new_server(const mg_http_server_config *cfg, const char *host, int port) {
    mg_http_server *s = mg_xcalloc(1, sizeof *s);
    snprintf(s->host, sizeof s->host, "%s", host);
    s->cfg_port = port;
    s->tls = cfg->tls_cert_file != NULL;
    s->cert_file = mg_xstrdup(cfg->tls_cert_file);
    s->key_file = mg_xstrdup(cfg->tls_key_file);
    s->nthreads = cfg->threads > 0 ? cfg->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (s->nthreads < 1) s->nthreads = 1;
    if (s->nthreads > MAX_THREADS) s->nthreads = MAX_THREADS;
    s->max_body = cfg->max_body_bytes ? cfg->max_body_bytes : DEFAULT_MAX_BODY;
    s->max_response = cfg->max_response_bytes ? cfg->max_response_bytes : DEFAULT_MAX_RESPONSE;
    s->header_timeout_s = cfg->header_timeout_s > 0 ? cfg->header_timeout_s : DEFAULT_HEADER_TIMEOUT_S;
    s->body_timeout_s = cfg->body_timeout_s > 0 ? cfg->body_timeout_s : DEFAULT_BODY_TIMEOUT_S;
    s->idle_timeout_s = cfg->idle_timeout_s > 0 ? cfg->idle_timeout_s : DEFAULT_IDLE_TIMEOUT_S;
    s->cert_poll_ms = cfg->cert_poll_ms > 0 ? cfg->cert_poll_ms : DEFAULT_CERT_POLL_MS;
    s->metrics = cfg->metrics;
    snprintf(s->ns, sizeof s->ns, "%s", cfg->metrics_namespace ? cfg->metrics_namespace : "modelgov");
    s->nworkers = cfg->workers > 0 ? cfg->workers : WORKERS_PER_THREAD * s->nthreads;
    s->max_inflight_body = cfg->max_inflight_body_bytes;
    pthread_mutex_init(&s->cert_mu, NULL);
    pthread_mutex_init(&s->check_mu, NULL);
    pthread_mutex_init(&s->wmu, NULL);
    mg_clock_cond_init(&s->wcv);
    s->threads = mg_xcalloc((size_t)s->nthreads, sizeof *s->threads);
    for (int i = 0; i < s->nthreads; i++) {
        s->threads[i].srv = s;
        s->threads[i].index = i;
        pthread_mutex_init(&s->threads[i].done_mu, NULL);
    }
    return s;
}

/* The server's metrics (see server.h), registered with cfg->metrics. */
static void register_metrics(mg_http_server *s) {
    char name[160];
    snprintf(name, sizeof name, "%s_http_server_threads", s->ns);
    mg_metrics_func(s->metrics, MG_METRIC_GAUGE, name, "HTTP service threads (one event loop each).",
                    threads_metric, s);
    const char *codes[] = {"code", NULL};
    const char *thr[] = {"thread", NULL};
    snprintf(name, sizeof name, "%s_http_server_requests_total", s->ns);
    mg_metric_family *per =
        mg_metrics_counter(s->metrics, name, "HTTP requests answered, by service thread.", thr);
    for (int i = 0; i < s->nthreads; i++) {
        char idx[12];
        snprintf(idx, sizeof idx, "%d", i);
        s->threads[i].m_requests = mg_metric_with(per, idx, NULL);
    }
    if (s->max_inflight_body) {
        snprintf(name, sizeof name, "%s_http_inflight_body_bytes", s->ns);
        mg_metrics_func(s->metrics, MG_METRIC_GAUGE, name,
                        "Request body bytes being read or handled (capped by the in-flight budget).",
                        inflight_metric, s);
    }
    snprintf(name, sizeof name, "%s_http_responses_total", s->ns);
    s->m_responses = mg_metrics_counter(s->metrics, name, "HTTP responses sent, by status code.", codes);
    if (s->tls) {
        snprintf(name, sizeof name, "%s_tls_certificate_not_after_seconds", s->ns);
        mg_metrics_func(s->metrics, MG_METRIC_GAUGE, name,
                        "Expiry (notAfter, Unix seconds) of the serving certificate in use.",
                        not_after_metric, s);
        const char *res[] = {"result", NULL};
        snprintf(name, sizeof name, "%s_tls_certificate_reloads_total", s->ns);
        mg_metric_family *f =
            mg_metrics_counter(s->metrics, name, "Serving certificate changes seen on disk, by result.", res);
        s->m_reload_ok = mg_metric_with(f, "success", NULL);
        s->m_reload_fail = mg_metric_with(f, "failure", NULL);
    }
}

int mg_http_server_new(const mg_http_server_config *cfg, mg_http_server **out, mg_error *err) {
    *out = NULL;
    char host[256];
    int port;
    if (!cfg || mg_http_parse_listen(cfg->listen, host, sizeof host, &port) != 0)
        return mg_error_set(err, MG_EINVAL, "listen address %s: want HOST:PORT",
                            cfg && cfg->listen ? cfg->listen : "(none)");
    if ((cfg->tls_cert_file == NULL) != (cfg->tls_key_file == NULL))
        return mg_error_set(err, MG_EINVAL, "TLS needs both a certificate and a key file");
    mg_http_server *s = new_server(cfg, host, port);
    if (s->tls) {
        int rc = mg_http_server_check_certs(s, err);
        if (rc) {
            mg_http_server_free(s);
            return rc;
        }
    }
    if (s->metrics) register_metrics(s);
    *out = s;
    return 0;
}

static int add_route(mg_http_server *s, const char *method, const char *path, mg_http_handler_fn fn,
                     void *arg, bool blocking) {
    if (!s || s->started || !method || !path || !fn || path[0] != '/') return MG_EINVAL;
    for (size_t i = 0; i < s->nroutes; i++)
        if (!strcmp(s->routes[i].method, method) && !strcmp(s->routes[i].path, path)) return MG_EINVAL;
    s->routes = mg_xrealloc(s->routes, (s->nroutes + 1) * sizeof *s->routes);
    s->routes[s->nroutes++] = (route){mg_xstrdup(method), mg_xstrdup(path), fn, arg, blocking};
    return 0;
}

int mg_http_server_route(mg_http_server *s, const char *method, const char *path, mg_http_handler_fn fn,
                         void *arg) {
    return add_route(s, method, path, fn, arg, false);
}

int mg_http_server_route_blocking(mg_http_server *s, const char *method, const char *path,
                                  mg_http_handler_fn fn, void *arg) {
    return add_route(s, method, path, fn, arg, true);
}

static void set_port(struct sockaddr_storage *ss, int port) {
    if (ss->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
}

/* Resolves the host part of the listen address into a socket address with the given port.
 * "" and "*" mean every address (IPv6 wildcard, dual-stack); "0.0.0.0" every IPv4 address. */
static int resolve_listen(const char *host, int port, struct sockaddr_storage *ss, socklen_t *sl,
                          mg_error *err) {
    memset(ss, 0, sizeof *ss);
    if (!host[0] || !strcmp(host, "*")) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_any;
        a->sin6_port = htons((uint16_t)port);
        *sl = sizeof *a;
        return 0;
    }
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0 || !res) return mg_error_set(err, MG_EINVAL, "listen host %s: %s", host, gai_strerror(rc));
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *sl = res->ai_addrlen;
    freeaddrinfo(res);
    set_port(ss, port);
    return 0;
}

/* One listening socket with SO_REUSEPORT, so every service thread can have its own on the same
 * port and the kernel spreads connections over them. Returns the fd or -1 (errno set). */
static int open_listener(const struct sockaddr_storage *ss, socklen_t sl) {
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1, zero = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
        (ss->ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero) != 0) ||
        bind(fd, (const struct sockaddr *)ss, sl) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static int start_fail(mg_http_server *s, int rc) {
    mg_http_server_stop(s, 0);
    return rc;
}

/* The thread's libwebsockets context: no listener of its own (it serves the sockets we adopt),
 * TLS from the server's certificate, the server's header and idle timeouts. */
static int create_context(mg_http_server *s, svc_thread *t, int i, mg_error *err) {
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN_SERVER;
    info.protocols = protocols;
    info.user = t;
    info.gid = -1;
    info.uid = -1;
    if (s->tls) info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_CREATE_VHOST_SSL_CTX;
    info.alpn = "http/1.1";
    info.max_http_header_data = MAX_HTTP_HEADER_DATA;
    info.pt_serv_buf_size = SERVICE_BUFFER_BYTES;
    info.timeout_secs = (unsigned)s->header_timeout_s;
    info.timeout_secs_ah_idle = (unsigned)s->header_timeout_s;
    info.keepalive_timeout = s->idle_timeout_s;
    t->ctx = lws_create_context(&info);
    if (!t->ctx) return mg_error_set(err, MG_EIO, "cannot create the HTTP service (thread %d)", i);
    t->vh = lws_get_vhost_by_name(t->ctx, "default");
    if (!t->vh) return mg_error_set(err, MG_EIO, "HTTP service has no vhost");
    if (s->tls && !t->ssl_ctx)
        return mg_error_set(err, MG_ETLS, "libwebsockets did not create a TLS context");
    return 0;
}

/* Service thread i's listening socket and context, the socket adopted into the context. The first
 * thread's socket picks the port (cfg_port 0: any free one) and *ss gets it for the others. */
static int prepare_thread(mg_http_server *s, int i, struct sockaddr_storage *ss, socklen_t sl,
                          mg_error *err) {
    svc_thread *t = &s->threads[i];
    t->listen_fd = open_listener(ss, sl);
    if (t->listen_fd < 0)
        return mg_error_set(err, MG_EIO, "cannot listen on %s:%d: %s", s->host, i ? s->port : s->cfg_port,
                            strerror(errno));
    if (i == 0) {
        struct sockaddr_storage got;
        socklen_t gl = sizeof got;
        if (getsockname(t->listen_fd, (struct sockaddr *)&got, &gl) != 0)
            return mg_error_set(err, MG_EIO, "cannot read the listening port: %s", strerror(errno));
        s->port = ntohs(got.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&got)->sin6_port
                                                  : ((struct sockaddr_in *)&got)->sin_port);
        set_port(ss, s->port);
    }
    int rc = create_context(s, t, i, err);
    if (rc) return rc;
    lws_sock_file_fd_type fdt;
    fdt.filefd = t->listen_fd;
    t->listener = lws_adopt_descriptor_vhost(t->vh, LWS_ADOPT_RAW_FILE_DESC, fdt, "mg-listener", NULL);
    if (!t->listener) return mg_error_set(err, MG_EIO, "cannot watch the listening socket");
    t->listen_adopted = true;
    return 0;
}

/* The worker pool, started only when some route may block (http/server.h). */
static int start_pool(mg_http_server *s, mg_error *err) {
    bool blocking = false;
    for (size_t i = 0; i < s->nroutes; i++)
        blocking = blocking || s->routes[i].blocking;
    if (!blocking) return 0;
    s->pool = mg_http_pool_new(s->nworkers);
    return mg_http_pool_start(s->pool, err);
}

int mg_http_server_start(mg_http_server *s, mg_error *err) {
    if (s->started) return mg_error_set(err, MG_EINVAL, "server already started");
    pthread_once(&lws_log_once, lws_log_init);
    signal(SIGPIPE, SIG_IGN);
    struct sockaddr_storage ss;
    socklen_t sl = 0;
    int rc = resolve_listen(s->host, s->cfg_port, &ss, &sl, err);
    if (rc) return rc;
    s->started = true;
    for (int i = 0; i < s->nthreads; i++)
        s->threads[i].listen_fd = -1;
    rc = start_pool(s, err);
    for (int i = 0; rc == 0 && i < s->nthreads; i++)
        rc = prepare_thread(s, i, &ss, sl, err);
    if (rc) return start_fail(s, rc);
    for (int i = 0; i < s->nthreads; i++) {
        svc_thread *t = &s->threads[i];
        if (pthread_create(&t->tid, NULL, service_main, t) != 0)
            return start_fail(s, mg_error_set(err, MG_EIO, "cannot start service thread"));
        t->started = true;
    }
    pthread_mutex_lock(&s->check_mu);
    s->ctx_alive = true;
    pthread_mutex_unlock(&s->check_mu);
    if (s->tls) {
        if (pthread_create(&s->watcher, NULL, watch_main, s) != 0)
            return start_fail(s, mg_error_set(err, MG_EIO, "cannot start the certificate watcher"));
        s->watcher_started = true;
    }
    return 0;
}

int mg_http_server_port(const mg_http_server *s) { return s ? s->port : 0; }

void mg_http_server_stop(mg_http_server *s, int grace_ms) {
    if (!s || s->stopped) return;
    s->stopped = true;
    if (s->watcher_started) {
        pthread_mutex_lock(&s->wmu);
        s->watcher_stop = true;
        pthread_cond_signal(&s->wcv);
        pthread_mutex_unlock(&s->wmu);
        pthread_join(s->watcher, NULL);
        s->watcher_started = false;
    }
    pthread_mutex_lock(&s->check_mu);
    s->ctx_alive = false;
    pthread_mutex_unlock(&s->check_mu);
    atomic_store(&s->grace_ms, grace_ms < 0 ? 0 : grace_ms);
    atomic_store(&s->stopping, true);
    /* Wake the service threads until each has left its loop (lws_service may otherwise sleep
     * until the next socket event or timer). */
    for (;;) {
        bool all = true;
        for (int i = 0; i < s->nthreads; i++) {
            svc_thread *t = &s->threads[i];
            if (t->started && !atomic_load(&t->exited)) {
                all = false;
                lws_cancel_service(t->ctx);
            }
        }
        if (all) break;
        mg_sleep_ms(20);
    }
    for (int i = 0; i < s->nthreads; i++) {
        svc_thread *t = &s->threads[i];
        if (t->started) pthread_join(t->tid, NULL);
        t->started = false;
    }
    /* Workers still running wake the (stopped) service threads' contexts: stop them before the
     * contexts go. Jobs never run (and answers never written) are freed after the contexts, whose
     * connections still point at them while closing. */
    mg_http_job *left = mg_http_pool_stop(s->pool);
    for (int i = 0; i < s->nthreads; i++) {
        svc_thread *t = &s->threads[i];
        if (t->ctx) lws_context_destroy(t->ctx);
        t->ctx = NULL;
        if (t->listen_fd >= 0 && !t->listen_adopted) close(t->listen_fd); /* else lws closed it */
        t->listen_fd = -1;
        t->ssl_ctx = NULL;
        while (t->done) {
            job *j = t->done;
            t->done = j->done_next;
            job_free(j);
        }
    }
    for (mg_http_job *next; left; left = next) {
        next = left->next;
        job_free((job *)left);
    }
}

void mg_http_server_free(mg_http_server *s) {
    if (!s) return;
    mg_http_server_stop(s, 0);
    for (size_t i = 0; i < s->nroutes; i++) {
        free(s->routes[i].method);
        free(s->routes[i].path);
    }
    free(s->routes);
    mg_http_pool_free(s->pool);
    for (int i = 0; i < s->nthreads; i++)
        pthread_mutex_destroy(&s->threads[i].done_mu);
    free(s->threads);
    bundle_free(&s->cur);
    free(s->cert_file);
    free(s->key_file);
    pthread_mutex_destroy(&s->cert_mu);
    pthread_mutex_destroy(&s->check_mu);
    pthread_mutex_destroy(&s->wmu);
    pthread_cond_destroy(&s->wcv);
    free(s);
}
