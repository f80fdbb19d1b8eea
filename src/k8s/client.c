/* k8s/client — REST over libcurl. See client.h for the contract.
 *
 * Each request takes an easy handle from a small pool (core/curlpool: reset, then configured
 * from scratch), so one request's options never leak into the next; connections, DNS answers
 * and TLS sessions live in the pool's CURLSH share, which is what keeps keep-alive connections
 * reused across handles and threads. */
#include "k8s/client.h"
#include "k8s/jsonparse.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/curlpool.h"
#include "core/json.h"
#include "core/log.h"
#include "core/mem.h"
#include "k8s/linesplit.h"

#ifndef MG_VERSION
#define MG_VERSION "0.0.0"
#endif

#define POOL_MAX 16
#define DEFAULT_MAX_RESPONSE ((size_t)64 << 20)
#define DEFAULT_TIMEOUT_MS 30000L
#define CONNECT_TIMEOUT_MS 10000L
#define ERROR_BODY_MAX ((size_t)1 << 20)
#define DEFAULT_MAX_LINE ((size_t)16 << 20)
#define TOKEN_REREAD_MS 60000
#define EXEC_EXPIRY_MARGIN_MS 5000 /* an exec credential this close to its expiry is renewed first */
#define TOKEN_MAX_BYTES (1u << 20)

struct mg_client {
    char *server;   /* as configured, for messages */
    char *base_url; /* scheme://host:port used in request URLs (the TLS name when overridden) */
    struct curl_slist *connect_to;
    char *proxy_url; /* the kubeconfig's proxy-url, or NULL (libcurl then reads https_proxy/no_proxy) */
    char *ca;
    size_t ca_len;
    char *cert;
    size_t cert_len;
    char *key;
    size_t key_len;
    bool insecure;
    char *user_agent;
    size_t max_response;
    long timeout_ms;

    mg_curlpool *pool; /* easy handles and the connection share */

    pthread_mutex_t token_lock;
    char *static_token;
    char *token_file;
    char *file_token; /* last good token read from token_file */
    struct stat token_st;
    int64_t token_read_ms;
    bool token_stale;             /* force a re-read (after a 401) */
    mg_exec_config *exec;         /* exec credential plugin, or NULL */
    mg_exec_credential exec_cred; /* its last credential (exec_have) */
    bool exec_have;
};

/* ---- configuration ---- */

static char *blob_dup(const char *p, size_t n) {
    if (!p) return NULL;
    char *q = mg_xmalloc(n + 1);
    memcpy(q, p, n);
    q[n] = '\0';
    return q;
}

/* Splits the server URL; with a TLS server name, requests go to https://NAME:PORT and
 * CURLOPT_CONNECT_TO sends them to the real host (SNI and verification use NAME). */
static int setup_endpoint(mg_client *c, const mg_rest_config *cfg, mg_error *err) {
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL;
    int rc = 0;
    if (curl_url_set(u, CURLUPART_URL, cfg->server, 0) || curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT)) {
        rc = mg_error_set(err, MG_EINVAL, "server \"%s\" is not a valid URL", cfg->server);
        goto out;
    }
    char *path = NULL;
    if (curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK && path && strcmp(path, "/") && *path) {
        /* A path prefix (API server behind a proxy) is kept. */
        size_t pl = strlen(path);
        while (pl && path[pl - 1] == '/')
            path[--pl] = '\0';
    } else if (path) {
        path[0] = '\0';
    }
    if (cfg->tls_server_name && *cfg->tls_server_name) {
        c->base_url = mg_xasprintf("%s://%s:%s%s", scheme, cfg->tls_server_name, port, path ? path : "");
        char *ct = mg_xasprintf("%s:%s:%s:%s", cfg->tls_server_name, port, host, port);
        c->connect_to = curl_slist_append(NULL, ct);
        free(ct);
    } else {
        c->base_url = mg_xasprintf("%s://%s:%s%s", scheme, host, port, path ? path : "");
    }
    curl_free(path);
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return rc;
}

int mg_client_new(const mg_rest_config *cfg, mg_client **out, mg_error *err) {
    *out = NULL;
    if (!cfg || !cfg->server) return mg_error_set(err, MG_EINVAL, "client: no server configured");
    mg_curl_global_init();
    mg_client *c = mg_xcalloc(1, sizeof(*c));
    c->server = mg_xstrdup(cfg->server);
    int rc = setup_endpoint(c, cfg, err);
    if (rc) {
        free(c->server);
        free(c);
        return rc;
    }
    c->ca = blob_dup(cfg->ca_pem, cfg->ca_pem_len);
    c->ca_len = cfg->ca_pem_len;
    c->cert = blob_dup(cfg->client_cert_pem, cfg->client_cert_pem_len);
    c->cert_len = cfg->client_cert_pem_len;
    c->key = blob_dup(cfg->client_key_pem, cfg->client_key_pem_len);
    c->key_len = cfg->client_key_pem_len;
    c->insecure = cfg->insecure_skip_tls_verify;
    c->proxy_url = mg_xstrdup(cfg->proxy_url);
    c->static_token = mg_xstrdup(cfg->token);
    c->token_file = mg_xstrdup(cfg->token_file);
    c->exec = mg_exec_config_dup(cfg->exec);
    c->user_agent = mg_xstrdup("modelgov/" MG_VERSION);
    c->max_response = DEFAULT_MAX_RESPONSE;
    c->timeout_ms = DEFAULT_TIMEOUT_MS;
    pthread_mutex_init(&c->token_lock, NULL);
    c->pool = mg_curlpool_new(POOL_MAX);
    *out = c;
    return 0;
}

void mg_client_free(mg_client *c) {
    if (!c) return;
    mg_curlpool_free(c->pool);
    pthread_mutex_destroy(&c->token_lock);
    curl_slist_free_all(c->connect_to);
    free(c->proxy_url);
    free(c->server);
    free(c->base_url);
    free(c->ca);
    if (c->key) memset(c->key, 0, c->key_len);
    free(c->cert);
    free(c->key);
    if (c->static_token) memset(c->static_token, 0, strlen(c->static_token));
    if (c->file_token) memset(c->file_token, 0, strlen(c->file_token));
    free(c->static_token);
    free(c->file_token);
    free(c->token_file);
    mg_exec_config_free(c->exec);
    mg_exec_credential_free(&c->exec_cred);
    free(c->user_agent);
    free(c);
}

void mg_client_set_max_response(mg_client *c, size_t max_bytes) { c->max_response = max_bytes; }
void mg_client_set_timeout(mg_client *c, long timeout_ms) { c->timeout_ms = timeout_ms; }

/* ---- bearer token (re-read on rotation) ---- */

static bool same_file(const struct stat *a, const struct stat *b) {
    return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
           a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static char *read_token_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    mg_buf b;
    mg_buf_init(&b, TOKEN_MAX_BYTES);
    char chunk[4096];
    size_t n;
    bool ok = true;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (mg_buf_append(&b, chunk, n)) ok = false;
    fclose(f);
    if (!ok || !b.data) {
        mg_buf_free(&b);
        return NULL;
    }
    char *t = mg_buf_steal(&b);
    size_t len = strlen(t);
    while (len && strchr(" \t\r\n", t[len - 1]))
        t[--len] = '\0';
    size_t i = strspn(t, " \t\r\n");
    if (i) memmove(t, t + i, len - i + 1);
    if (!*t || strpbrk(t, "\r\n")) { /* a header value must be one line */
        free(t);
        return NULL;
    }
    return t;
}

/* Returns a heap copy of the token to send now, or NULL for none. The file wins over the static
 * token (client-go's rule); the last good file token is kept when a re-read fails. */
static char *current_token(mg_client *c) {
    pthread_mutex_lock(&c->token_lock);
    if (c->token_file) {
        struct stat st;
        int64_t now = mg_clock_mono_ms();
        bool changed = stat(c->token_file, &st) == 0 && !same_file(&st, &c->token_st);
        if (!c->file_token || changed || c->token_stale || now - c->token_read_ms >= TOKEN_REREAD_MS) {
            char *t = read_token_file(c->token_file);
            if (t) {
                if (c->file_token) memset(c->file_token, 0, strlen(c->file_token));
                free(c->file_token);
                c->file_token = t;
                if (stat(c->token_file, &st) == 0) c->token_st = st;
                c->token_read_ms = now;
                c->token_stale = false;
            } else {
                mg_log(MG_LOG_WARN, "cannot read bearer token file; keeping the previous token", "file",
                       c->token_file, NULL);
            }
        }
    }
    char *tok = mg_xstrdup(c->file_token ? c->file_token : c->static_token);
    pthread_mutex_unlock(&c->token_lock);
    return tok;
}

static void token_mark_stale(mg_client *c) {
    pthread_mutex_lock(&c->token_lock);
    c->token_stale = true;
    pthread_mutex_unlock(&c->token_lock);
}

/* What one request authenticates with (heap copies; auth_clear wipes them). */
typedef struct auth_now {
    char *token;
    char *cert, *key; /* from the exec plugin; else c->cert and c->key are used */
    size_t cert_len, key_len;
} auth_now;

static void auth_clear(auth_now *a) {
    if (a->token) memset(a->token, 0, strlen(a->token));
    if (a->key) memset(a->key, 0, a->key_len);
    free(a->token);
    free(a->cert);
    free(a->key);
    memset(a, 0, sizeof *a);
}

/* With an exec plugin: its credential, run again when there is none yet, when it expires within
 * EXEC_EXPIRY_MARGIN_MS or after the API server refused it (401), one run at a time (the others
 * wait for its answer). A failed run fails the request with the plugin's error. Without one: the
 * token (file or static). */
static int current_auth(mg_client *c, auth_now *a, mg_error *err) {
    memset(a, 0, sizeof *a);
    if (!c->exec) {
        a->token = current_token(c);
        return 0;
    }
    pthread_mutex_lock(&c->token_lock);
    int rc = 0;
    int64_t expires = c->exec_cred.expires_ms;
    if (!c->exec_have || c->token_stale ||
        (expires && mg_clock_wall_ms() >= expires - EXEC_EXPIRY_MARGIN_MS)) {
        mg_exec_credential fresh;
        rc = mg_exec_credential_get(c->exec, &fresh, err);
        if (!rc) {
            mg_exec_credential_free(&c->exec_cred);
            c->exec_cred = fresh;
            c->exec_have = true;
            c->token_stale = false;
        }
    }
    if (!rc) {
        a->token = mg_xstrdup(c->exec_cred.token);
        a->cert = c->exec_cred.cert_pem ? mg_xstrdup(c->exec_cred.cert_pem) : NULL;
        a->cert_len = c->exec_cred.cert_len;
        a->key = c->exec_cred.key_pem ? mg_xstrdup(c->exec_cred.key_pem) : NULL;
        a->key_len = c->exec_cred.key_len;
    }
    pthread_mutex_unlock(&c->token_lock);
    return rc;
}

/* ---- paths ---- */

static void append_escaped(mg_buf *b, const char *s) {
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char ch = *p;
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
            ch == '.' || ch == '_' || ch == '~') {
            mg_buf_append(b, p, 1);
        } else {
            char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            mg_buf_append(b, e, 3);
        }
    }
}

char *mg_k8s_path(const mg_gvr *gvr, const char *ns, const char *name, const char *subresource) {
    mg_buf b;
    mg_buf_init(&b, MG_BUF_UNCAPPED); /* a pure function of its arguments */
    if (!gvr->group || !*gvr->group) {
        mg_buf_append_str(&b, "/api/");
    } else {
        mg_buf_append_str(&b, "/apis/");
        append_escaped(&b, gvr->group);
        mg_buf_append_str(&b, "/");
    }
    append_escaped(&b, gvr->version);
    if (ns && *ns && gvr->namespaced) {
        mg_buf_append_str(&b, "/namespaces/");
        append_escaped(&b, ns);
    }
    mg_buf_append_str(&b, "/");
    append_escaped(&b, gvr->resource);
    if (name && *name) {
        mg_buf_append_str(&b, "/");
        append_escaped(&b, name);
        if (subresource && *subresource) {
            mg_buf_append_str(&b, "/");
            append_escaped(&b, subresource);
        }
    }
    return mg_buf_steal(&b);
}

static void query_add(mg_buf *b, const char *key, const char *value) {
    if (!value || !*value) return;
    mg_buf_append_str(b, strchr(b->data ? b->data : "", '?') ? "&" : "?");
    mg_buf_append_str(b, key);
    mg_buf_append_str(b, "=");
    append_escaped(b, value);
}

/* ---- errors ---- */

static const char *reason_for(long status) {
    switch (status) {
    case 400: return "BadRequest";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 405: return "MethodNotAllowed";
    case 406: return "NotAcceptable";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "RequestEntityTooLarge";
    case 415: return "UnsupportedMediaType";
    case 422: return "Invalid";
    case 429: return "TooManyRequests";
    case 500: return "InternalError";
    case 503: return "ServiceUnavailable";
    case 504: return "Timeout";
    default: return "";
    }
}

int mg_k8s_status_to_error(long http_status, const char *body, size_t len, long retry_after_s,
                           mg_error *err) {
    int code = MG_EHTTP;
    if (http_status == 404)
        code = MG_ENOTFOUND;
    else if (http_status == 409)
        code = MG_ECONFLICT;
    else if (http_status == 410)
        code = MG_EGONE;
    bool retryable = http_status == 429 || (http_status >= 500 && http_status <= 599);
    if (!err) return code;
    mg_error_clear(err);
    err->code = code;
    err->http_status = (int)http_status;
    err->retryable = retryable;
    json_t *st = (body && len) ? json_loadb(body, len, 0, NULL) : NULL;
    const char *reason = NULL, *message = NULL;
    long details_retry = -1;
    if (json_is_object(st)) {
        json_t *r = json_object_get(st, "reason");
        json_t *m = json_object_get(st, "message");
        if (json_is_string(r)) reason = json_string_value(r);
        if (json_is_string(m)) message = json_string_value(m);
        json_t *ras = json_object_get(json_object_get(st, "details"), "retryAfterSeconds");
        if (json_is_integer(ras)) details_retry = (long)json_integer_value(ras);
    }
    snprintf(err->reason, sizeof(err->reason), "%s", reason && *reason ? reason : reason_for(http_status));
    if (message && *message) {
        snprintf(err->message, sizeof(err->message), "%s", message);
    } else if (body && len && !json_is_object(st)) {
        /* Not a Status (a proxy's HTML, plain text): keep a printable excerpt. */
        char excerpt[256];
        size_t n = 0;
        for (size_t i = 0; i < len && n < sizeof(excerpt) - 1; i++) {
            unsigned char ch = (unsigned char)body[i];
            excerpt[n++] = (ch >= 0x20 && ch != 0x7f) ? (char)ch : ' ';
        }
        excerpt[n] = '\0';
        snprintf(err->message, sizeof(err->message), "HTTP %ld: %s%s", http_status, excerpt,
                 len > n ? "..." : "");
    } else {
        snprintf(err->message, sizeof(err->message), "HTTP %ld%s%s", http_status, *err->reason ? " " : "",
                 err->reason);
    }
    if (retry_after_s < 0 && retryable) retry_after_s = details_retry;
    if (retry_after_s >= 0 && retryable) err->retry_after_ms = retry_after_s * 1000;
    json_decref(st);
    return code;
}

static int curl_to_error(CURLcode cc, const char *errbuf, const char *method, const char *url,
                         mg_error *err) {
    int code;
    bool retryable = true;
    switch (cc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT: code = MG_ECONNECT; break;
    case CURLE_OPERATION_TIMEDOUT: code = MG_ETIMEOUT; break;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_USE_SSL_FAILED:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
        code = MG_ETLS;
        retryable = false;
        break;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        code = MG_EINVAL;
        retryable = false;
        break;
    default: code = MG_EIO; break;
    }
    mg_error_set(err, code, "%s %s: %s", method, url, errbuf && *errbuf ? errbuf : curl_easy_strerror(cc));
    if (err) err->retryable = retryable;
    return code;
}

typedef struct xfer {
    mg_client *c;
    CURL *h;
    mg_buf body; /* 2xx body, or the error body when streaming */
    bool too_big;
    /* streaming */
    bool streaming;
    bool status_checked;
    bool stream_ok; /* 2xx: bytes go to the splitter */
    mg_linesplit ls;
    mg_watch_line_fn on_line;
    void *ud;
    int cb_rc; /* non-zero from the splitter/handler */
    volatile int *stop;
    void (*on_poll)(void *ud);
    void *poll_ud;
    long stall_ms;
    int64_t last_data_ms;
    int abort_code; /* MG_ECANCELED / MG_ETIMEOUT from the progress callback */
} xfer;

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *ud) {
    xfer *x = ud;
    size_t n = size * nmemb;
    if (x->streaming) {
        x->last_data_ms = mg_clock_mono_ms();
        if (!x->status_checked) {
            long status = 0;
            curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
            x->stream_ok = status >= 200 && status < 300;
            x->status_checked = true;
        }
        if (x->stream_ok) {
            int rc = mg_linesplit_feed(&x->ls, ptr, n, (mg_line_fn)x->on_line, x->ud);
            if (rc) {
                x->cb_rc = rc;
                return 0;
            }
            return n;
        }
    }
    if (mg_buf_append(&x->body, ptr, n)) {
        x->too_big = true;
        return 0;
    }
    return n;
}

static int progress_cb(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow) {
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    xfer *x = ud;
    if (x->stop && *x->stop) {
        x->abort_code = MG_ECANCELED;
        return 1;
    }
    if (x->stall_ms > 0 && mg_clock_mono_ms() - x->last_data_ms > x->stall_ms) {
        x->abort_code = MG_ETIMEOUT;
        return 1;
    }
    return 0;
}

/* Sets the options every request shares. headers is filled with the list to free later. */
static void configure(mg_client *c, CURL *h, const char *method, const char *url, const char *content_type,
                      const char *body, size_t body_len, const auth_now *auth, struct curl_slist **headers,
                      char *errbuf) {
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
    if (c->connect_to) curl_easy_setopt(h, CURLOPT_CONNECT_TO, c->connect_to);
    if (c->proxy_url) { /* as client-go: the kubeconfig's proxy, whatever NO_PROXY says */
        curl_easy_setopt(h, CURLOPT_PROXY, c->proxy_url);
        curl_easy_setopt(h, CURLOPT_NOPROXY, "");
    }
    /* TLS: verification is on unless the kubeconfig said insecure-skip-tls-verify. */
    if (c->insecure) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    } else {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    }
    if (c->ca) {
        struct curl_blob blob = {c->ca, c->ca_len, CURL_BLOB_COPY};
        curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
        /* Trust the cluster CA only, not the system store as well. */
        curl_easy_setopt(h, CURLOPT_CAINFO, NULL);
        curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
    }
    char *cert = auth->cert ? auth->cert : c->cert, *key = auth->cert ? auth->key : c->key;
    size_t cert_len = auth->cert ? auth->cert_len : c->cert_len,
           key_len = auth->cert ? auth->key_len : c->key_len;
    if (cert && key) {
        struct curl_blob cb = {cert, cert_len, CURL_BLOB_COPY};
        struct curl_blob kb = {key, key_len, CURL_BLOB_COPY};
        curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cb);
        curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
        curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &kb);
        curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
    }
    struct curl_slist *hl = NULL;
    hl = curl_slist_append(hl, "Accept: application/json");
    if (auth->token) {
        char *line = mg_xasprintf("Authorization: Bearer %s", auth->token);
        hl = curl_slist_append(hl, line);
        memset(line, 0, strlen(line));
        free(line);
    }
    if (body) {
        char *ct = mg_xasprintf("Content-Type: %s", content_type ? content_type : "application/json");
        hl = curl_slist_append(hl, ct);
        free(ct);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
        hl = curl_slist_append(hl, "Expect:");
    }
    if (!strcmp(method, "GET"))
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    else if (!strcmp(method, "POST") && body)
        curl_easy_setopt(h, CURLOPT_POST, 1L);
    else
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    *headers = hl;
}

static long retry_after_seconds(CURL *h) {
    struct curl_header *hd = NULL;
    if (curl_easy_header(h, "Retry-After", 0, CURLH_HEADER, -1, &hd) != CURLHE_OK || !hd) return -1;
    char *end;
    errno = 0;
    long v = strtol(hd->value, &end, 10);
    if (errno || end == hd->value || v < 0) return -1; /* HTTP-date form: not used by the API server */
    return v;
}

/* How a response body is read: k8s/jsonparse's strip mode (a LIST page's items lose managedFields
 * and the last-applied annotation while they are parsed: on a real API server they are half of
 * every object) and its skip report (NULL: none). */
typedef struct body_reading {
    mg_json_strip strip;
    mg_json_skip_fn skipped;
    void *ud;
} body_reading;

/* Runs one request. With out == NULL the body is discarded (still capped). */
static int perform_once(mg_client *c, const char *method, const char *path_and_query,
                        const char *content_type, const char *body, size_t body_len, const body_reading *rd,
                        json_t **out, mg_error *err) {
    if (out) *out = NULL;
    mg_error_clear(err);
    auth_now auth;
    int rc = current_auth(c, &auth, err);
    if (rc) return rc;
    char *url = mg_xasprintf("%s%s", c->base_url, path_and_query);
    char errbuf[CURL_ERROR_SIZE] = "";
    xfer x;
    memset(&x, 0, sizeof(x));
    x.c = c;
    x.h = mg_curlpool_take(c->pool); /* reset, share attached */
    mg_buf_init(&x.body, c->max_response);
    struct curl_slist *headers = NULL;
    configure(c, x.h, method, url, content_type, body, body_len, &auth, &headers, errbuf);
    auth_clear(&auth);
    curl_easy_setopt(x.h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
    curl_easy_setopt(x.h, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(x.h, CURLOPT_WRITEDATA, &x);
    CURLcode cc = curl_easy_perform(x.h);
    long status = 0;
    curl_easy_getinfo(x.h, CURLINFO_RESPONSE_CODE, &status);
    if (x.too_big) {
        rc = mg_error_set(err, MG_ETOOBIG, "%s %s: response larger than %zu bytes", method, url,
                          c->max_response);
    } else if (cc != CURLE_OK) {
        rc = curl_to_error(cc, errbuf, method, url, err);
    } else if (status < 200 || status > 299) {
        rc = mg_k8s_status_to_error(status, x.body.data, x.body.len, retry_after_seconds(x.h), err);
        if (status == 401) token_mark_stale(c);
    } else if (out) {
        if (x.body.len == 0) {
            *out = json_object();
        } else {
            /* k8s/jsonparse: strict grammar, ~4x faster than jansson on API objects (LIST pages) */
            mg_error perr;
            *out = mg_k8s_json_parse_ex(x.body.data, x.body.len, rd->strip, rd->skipped, rd->ud, &perr);
            if (!*out)
                rc = mg_error_set(err, MG_EPARSE, "%s %s: invalid JSON in response: %s", method, url,
                                  perr.message);
        }
    }
    curl_slist_free_all(headers);
    mg_curlpool_give(c->pool, x.h);
    mg_buf_free(&x.body);
    free(url);
    return rc;
}

/* Runs one request; with an exec plugin, a 401 runs the plugin again and the request once more
 * (its credential was revoked or expired early: the request was not carried out). */
static int perform_read(mg_client *c, const char *method, const char *path_and_query,
                        const char *content_type, const char *body, size_t body_len, const body_reading *rd,
                        json_t **out, mg_error *err) {
    int rc = perform_once(c, method, path_and_query, content_type, body, body_len, rd, out, err);
    if (rc && c->exec && err && err->http_status == 401)
        rc = perform_once(c, method, path_and_query, content_type, body, body_len, rd, out, err);
    return rc;
}

static int perform(mg_client *c, const char *method, const char *path_and_query, const char *content_type,
                   const char *body, size_t body_len, mg_json_strip strip, json_t **out, mg_error *err) {
    body_reading rd = {strip, NULL, NULL};
    return perform_read(c, method, path_and_query, content_type, body, body_len, &rd, out, err);
}

int mg_k8s_request(mg_client *c, const char *method, const char *path_and_query, const char *content_type,
                   const char *body, size_t body_len, json_t **out, mg_error *err) {
    return perform(c, method, path_and_query, content_type, body, body_len, MG_JSON_STRIP_NONE, out, err);
}

/* Serialises obj and sends it. */
static int send_json(mg_client *c, const char *method, const char *path, const char *content_type,
                     const json_t *obj, json_t **out, mg_error *err) {
    char *body = json_dumps(obj, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!body) return mg_error_set(err, MG_EINVAL, "%s %s: object cannot be serialised", method, path);
    int rc = perform(c, method, path, content_type, body, strlen(body), MG_JSON_STRIP_NONE, out, err);
    free(body);
    return rc;
}

static const char *meta_str(const json_t *obj, const char *key) {
    return json_string_value(json_object_get(json_object_get(obj, "metadata"), key));
}

int mg_k8s_get(mg_client *c, const mg_gvr *gvr, const char *ns, const char *name, const char *subresource,
               json_t **out, mg_error *err) {
    if (!name || !*name) return mg_error_set(err, MG_EINVAL, "get %s: no name", gvr->resource);
    char *path = mg_k8s_path(gvr, ns, name, subresource);
    int rc = perform(c, "GET", path, NULL, NULL, 0, MG_JSON_STRIP_NONE, out, err);
    free(path);
    return rc;
}

int mg_k8s_list(mg_client *c, const mg_gvr *gvr, const char *ns, const mg_list_opts *opts, json_t **out,
                mg_error *err) {
    mg_buf q;
    mg_buf_init(&q, MG_BUF_UNCAPPED);
    char *path = mg_k8s_path(gvr, ns, NULL, NULL);
    mg_buf_append_str(&q, path);
    free(path);
    if (opts) {
        query_add(&q, "labelSelector", opts->label_selector);
        query_add(&q, "fieldSelector", opts->field_selector);
        if (opts->limit > 0) {
            char n[32];
            snprintf(n, sizeof(n), "%ld", opts->limit);
            query_add(&q, "limit", n);
        }
        query_add(&q, "continue", opts->continue_token);
        query_add(&q, "resourceVersion", opts->resource_version);
    }
    body_reading rd = {MG_JSON_STRIP_LIST, opts ? opts->skipped : NULL, opts ? opts->skipped_ud : NULL};
    int rc = perform_read(c, "GET", q.data, NULL, NULL, 0, &rd, out, err);
    mg_buf_free(&q);
    return rc;
}

int mg_k8s_list_items(mg_client *c, const mg_gvr *gvr, const char *ns, const mg_list_opts *opts,
                      json_t **items, mg_error *err) {
    mg_list_opts page = opts ? *opts : (mg_list_opts){0};
    page.resource_version = NULL;
    page.continue_token = NULL;
    if (page.limit <= 0) page.limit = MG_K8S_LIST_PAGE;
    json_t *all = json_array();
    char *cont = NULL;
    int rc;
    do {
        json_t *list = NULL;
        page.continue_token = cont;
        rc = mg_k8s_list(c, gvr, ns, &page, &list, err);
        free(cont);
        cont = NULL;
        if (rc) break;
        json_t *got = json_object_get(list, "items");
        if (json_is_array(got)) json_array_extend(all, got);
        const char *next = mg_json_str(list, "metadata", "continue", NULL);
        if (next && *next) cont = mg_xstrdup(next);
        json_decref(list);
    } while (cont);
    if (rc) {
        json_decref(all);
        all = NULL;
    }
    *items = all;
    return rc;
}

int mg_k8s_create(mg_client *c, const mg_gvr *gvr, const char *ns, const json_t *obj, json_t **out,
                  mg_error *err) {
    if (!ns || !*ns) ns = meta_str(obj, "namespace");
    if (gvr->namespaced && (!ns || !*ns))
        return mg_error_set(err, MG_EINVAL, "create %s: no namespace", gvr->resource);
    char *path = mg_k8s_path(gvr, ns, NULL, NULL);
    int rc = send_json(c, "POST", path, NULL, obj, out, err);
    free(path);
    return rc;
}

int mg_k8s_update(mg_client *c, const mg_gvr *gvr, const char *ns, const char *name, const char *subresource,
                  const json_t *obj, json_t **out, mg_error *err) {
    if (!ns || !*ns) ns = meta_str(obj, "namespace");
    if (!name || !*name) name = meta_str(obj, "name");
    if (!name || !*name) return mg_error_set(err, MG_EINVAL, "update %s: no name", gvr->resource);
    char *path = mg_k8s_path(gvr, ns, name, subresource);
    int rc = send_json(c, "PUT", path, NULL, obj, out, err);
    free(path);
    return rc;
}

static int patch(mg_client *c, const mg_gvr *gvr, const char *ns, const char *name, const char *subresource,
                 const char *ct, const json_t *p, json_t **out, mg_error *err) {
    if (!name || !*name) return mg_error_set(err, MG_EINVAL, "patch %s: no name", gvr->resource);
    char *path = mg_k8s_path(gvr, ns, name, subresource);
    int rc = send_json(c, "PATCH", path, ct, p, out, err);
    free(path);
    return rc;
}

int mg_k8s_merge_patch(mg_client *c, const mg_gvr *gvr, const char *ns, const char *name,
                       const char *subresource, const json_t *p, json_t **out, mg_error *err) {
    if (!json_is_object(p)) return mg_error_set(err, MG_EINVAL, "merge patch: not a JSON object");
    return patch(c, gvr, ns, name, subresource, "application/merge-patch+json", p, out, err);
}

int mg_k8s_delete(mg_client *c, const mg_gvr *gvr, const char *ns, const char *name, const char *propagation,
                  mg_error *err) {
    if (!name || !*name) return mg_error_set(err, MG_EINVAL, "delete %s: no name", gvr->resource);
    char *path = mg_k8s_path(gvr, ns, name, NULL);
    int rc;
    if (propagation && *propagation) {
        json_t *opts = json_pack("{s:s,s:s,s:s}", "kind", "DeleteOptions", "apiVersion", "v1",
                                 "propagationPolicy", propagation);
        rc = send_json(c, "DELETE", path, NULL, opts, NULL, err);
        json_decref(opts);
    } else {
        rc = perform(c, "DELETE", path, NULL, NULL, 0, MG_JSON_STRIP_NONE, NULL, err);
    }
    free(path);
    return rc;
}

/* ---- watch ---- */

#define WATCH_POLL_MS 100

/* Drives one streaming transfer through a private multi handle so *stop, the watchdog and
 * on_poll are run every WATCH_POLL_MS even when no byte arrives (the easy interface's progress
 * callback only runs about once a second when idle). The connection still comes from, and
 * returns to, the client's shared connection cache. */
static CURLcode run_stream(xfer *x) {
    CURLM *m = curl_multi_init();
    if (!m) return CURLE_OUT_OF_MEMORY;
    curl_multi_add_handle(m, x->h);
    CURLcode cc = CURLE_OK;
    int running = 1;
    while (running) {
        CURLMcode mc = curl_multi_perform(m, &running);
        if (mc != CURLM_OK) {
            cc = CURLE_RECV_ERROR;
            break;
        }
        if (!running) break;
        if (progress_cb(x, 0, 0, 0, 0)) {
            cc = CURLE_ABORTED_BY_CALLBACK;
            break;
        }
        if (x->on_poll) x->on_poll(x->poll_ud);
        curl_multi_poll(m, NULL, 0, WATCH_POLL_MS, NULL);
    }
    if (!running) {
        int left;
        CURLMsg *msg;
        while ((msg = curl_multi_info_read(m, &left)) != NULL)
            if (msg->msg == CURLMSG_DONE && msg->easy_handle == x->h) cc = msg->data.result;
    }
    curl_multi_remove_handle(m, x->h);
    curl_multi_cleanup(m);
    return cc;
}

/* The watch request's URL (heap). */
static char *watch_url(const mg_client *c, const mg_gvr *gvr, const char *ns, const mg_watch_opts *opts) {
    mg_buf q;
    mg_buf_init(&q, MG_BUF_UNCAPPED);
    char *path = mg_k8s_path(gvr, ns, NULL, NULL);
    mg_buf_append_str(&q, path);
    free(path);
    mg_buf_append_str(&q, "?watch=1");
    query_add(&q, "labelSelector", opts->label_selector);
    query_add(&q, "fieldSelector", opts->field_selector);
    query_add(&q, "resourceVersion", opts->resource_version);
    if (opts->allow_bookmarks) query_add(&q, "allowWatchBookmarks", "true");
    if (opts->timeout_seconds > 0) {
        char n[32];
        snprintf(n, sizeof(n), "%ld", opts->timeout_seconds);
        query_add(&q, "timeoutSeconds", n);
    }
    char *url = mg_xasprintf("%s%s", c->base_url, q.data);
    mg_buf_free(&q);
    return url;
}

/* How a watch that ran ended, as 0 or an error: the handler's word first, then a stop or a
 * stall, an oversized error body, the API server's Status, a transfer error, a cut event. */
static int watch_result(const xfer *x, CURLcode cc, const char *url, const char *errbuf, mg_error *err) {
    long status = 0;
    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
    int rc = 0;
    if (x->cb_rc == MG_ETOOBIG) {
        rc = mg_error_set(err, MG_ETOOBIG, "GET %s: watch event longer than %zu bytes", url, x->ls.max_line);
    } else if (x->cb_rc < 0) {
        rc = mg_error_set(err, x->cb_rc, "GET %s: watch ended by its handler (%s)", url,
                          mg_strerror(x->cb_rc));
    } else if (x->cb_rc > 0) {
        rc = 0; /* the handler asked to stop */
    } else if (x->abort_code == MG_ECANCELED) {
        rc = mg_error_set(err, MG_ECANCELED, "GET %s: watch stopped", url);
    } else if (x->abort_code == MG_ETIMEOUT) {
        rc = mg_error_set(err, MG_ETIMEOUT, "GET %s: watch silent for %ld ms", url, x->stall_ms);
        if (err) err->retryable = true;
    } else if (x->too_big) {
        rc = mg_error_set(err, MG_ETOOBIG, "GET %s: error response larger than %zu bytes", url,
                          ERROR_BODY_MAX);
    } else if (status != 0 && (status < 200 || status > 299) && (cc == CURLE_OK || x->body.len)) {
        rc = mg_k8s_status_to_error(status, x->body.data, x->body.len, retry_after_seconds(x->h), err);
        if (status == 401) token_mark_stale(x->c);
    } else if (cc != CURLE_OK) {
        rc = curl_to_error(cc, errbuf, "GET", url, err);
    } else if (mg_linesplit_pending(&x->ls) > 0) {
        rc = mg_error_set(err, MG_EIO, "GET %s: watch stream ended inside an event", url);
        if (err) err->retryable = true;
    }
    return rc;
}

int mg_k8s_watch(mg_client *c, const mg_gvr *gvr, const char *ns, const mg_watch_opts *opts,
                 mg_watch_line_fn on_line, void *ud, mg_error *err) {
    mg_watch_opts none;
    memset(&none, 0, sizeof(none));
    mg_error_clear(err);
    if (!opts) opts = &none;
    char *url = watch_url(c, gvr, ns, opts);
    char errbuf[CURL_ERROR_SIZE] = "";
    xfer x;
    memset(&x, 0, sizeof(x));
    x.c = c;
    x.h = mg_curlpool_take(c->pool); /* reset, share attached */
    x.streaming = true;
    x.on_line = on_line;
    x.ud = ud;
    x.stop = opts->stop;
    x.on_poll = opts->on_poll;
    x.poll_ud = opts->poll_ud;
    x.stall_ms = opts->stall_timeout_ms;
    x.last_data_ms = mg_clock_mono_ms();
    mg_buf_init(&x.body, ERROR_BODY_MAX);
    mg_linesplit_init(&x.ls, opts->max_line_bytes ? opts->max_line_bytes : DEFAULT_MAX_LINE);
    struct curl_slist *headers = NULL;
    auth_now auth;
    int rc = current_auth(c, &auth, err);
    if (rc) goto out;
    configure(c, x.h, "GET", url, NULL, NULL, 0, &auth, &headers, errbuf);
    auth_clear(&auth);
    curl_easy_setopt(x.h, CURLOPT_TIMEOUT_MS, 0L);
    curl_easy_setopt(x.h, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(x.h, CURLOPT_WRITEDATA, &x);
    if (x.stop && *x.stop) {
        rc = mg_error_set(err, MG_ECANCELED, "GET %s: watch stopped", url);
        goto out;
    }
    rc = watch_result(&x, run_stream(&x), url, errbuf, err);
out:
    curl_slist_free_all(headers);
    mg_curlpool_give(c->pool, x.h);
    mg_linesplit_free(&x.ls);
    mg_buf_free(&x.body);
    free(url);
    return rc;
}
