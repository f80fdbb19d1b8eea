/* oci/registry — see registry.h. */
#include "oci/registry.h"

#include <ctype.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/base64.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/curlpool.h"
#include "core/mem.h"
#include "k8s/strmap.h"

#define MAX_BODY (4u << 20) /* manifests are small; a registry sending more is misbehaving */
#define MAX_TOKEN_BODY (1u << 20)
#define POOL_MAX 8
/* Defaults of mg_oci_options (registry.h): admission must never wait long on a registry, and a
 * tag's digest rarely moves within minutes; "not found" is kept briefly so a push is seen soon. */
#define DEFAULT_TIMEOUT_MS 2000
#define DEFAULT_CACHE_TTL_S 300
#define DEFAULT_NEGATIVE_TTL_S 10
#define DEFAULT_MAX_ENTRIES 10000
/* A token answer without expires_in lives 60 s (the distribution token spec's default); a token
 * is dropped TOKEN_MARGIN_S before it expires so none is sent about to expire. */
#define TOKEN_DEFAULT_TTL_S 60
#define TOKEN_MARGIN_S 5
#define TOKEN_MARGIN_MIN_TTL_S 10
/* A waiter for another thread's lookup gives up a little after that lookup's own timeout. */
#define WAIT_SLACK_MS 100

typedef struct reg {
    char *host;
    mg_strlist names; /* canonical hosts this entry answers for (policy/config.h) */
    char *ca_file;
    bool plain_http;
    char *basic; /* base64(user:password) or NULL */
} reg;

typedef struct token {
    char *key; /* "host|scope" */
    char *value;
    int64_t expires_ms;
    struct token *next;
} token;

typedef struct entry {
    int rc; /* 0, MG_ENOTFOUND, or another error */
    char digest[MG_IMAGEREF_DIGEST_MAX + 1];
    char message[512];
    int http_status;
    int64_t expires_ms;
    bool pending; /* a lookup is in flight; waiters sleep on c->settled */
    int refs;
} entry;

struct mg_oci_client {
    reg *regs;
    size_t n_regs;
    long timeout_ms;
    int ttl_s, neg_ttl_s, err_ttl_s;
    size_t max_entries;
    void (*observer)(void *ud, mg_oci_event ev);
    void *observer_ud;

    pthread_mutex_t mu;     /* cache, tokens */
    pthread_cond_t settled; /* a pending entry got its answer */
    mg_strmap *cache;
    token *tokens;
    mg_curlpool *pool; /* easy handles and the connection share */

    atomic_ulong lookups, hits, misses, not_found, errors;
};

/* ---------------------------------------------------------------- helpers */

const char *mg_oci_endpoint_host(const char *domain) {
    return strcmp(domain, "docker.io") == 0 ? "registry-1.docker.io" : domain;
}

static bool is_digest(const char *d) {
    size_t hex;
    if (!strncmp(d, "sha256:", 7))
        hex = 64;
    else if (!strncmp(d, "sha512:", 7))
        hex = 128;
    else
        return false;
    const char *p = d + 7;
    for (size_t i = 0; i < hex; i++)
        if (!isxdigit((unsigned char)p[i]) || isupper((unsigned char)p[i])) return false;
    return p[hex] == '\0';
}

/* Copies the value of one auth-param (quoted with \-escapes, or a token) from *pp into out. */
static void param_value(const char **pp, char *out, size_t outlen) {
    const char *p = *pp;
    size_t n = 0;
    if (*p == '"') {
        p++;
        while (*p && *p != '"') {
            if (*p == '\\' && p[1]) p++;
            if (n + 1 < outlen) out[n++] = *p;
            p++;
        }
        if (*p == '"') p++;
    } else {
        while (*p && *p != ',' && !isspace((unsigned char)*p)) {
            if (n + 1 < outlen) out[n++] = *p;
            p++;
        }
    }
    if (outlen) out[n] = '\0';
    *pp = p;
}

int mg_oci_parse_challenge(const char *value, char *scheme, size_t scheme_len, char *realm, size_t realm_len,
                           char *service, size_t service_len, char *scope, size_t scope_len) {
    realm[0] = service[0] = scope[0] = scheme[0] = '\0';
    const char *p = value;
    while (isspace((unsigned char)*p))
        p++;
    size_t n = 0;
    while (*p && !isspace((unsigned char)*p)) {
        if (n + 1 < scheme_len) scheme[n++] = *p;
        p++;
    }
    scheme[n] = '\0';
    if (n == 0) return MG_EPARSE;
    for (;;) {
        while (*p == ',' || isspace((unsigned char)*p))
            p++;
        if (!*p) break;
        const char *k = p;
        while (*p && *p != '=' && *p != ',' && !isspace((unsigned char)*p))
            p++;
        size_t klen = (size_t)(p - k);
        while (isspace((unsigned char)*p))
            p++;
        if (*p != '=') return MG_EPARSE;
        p++;
        while (isspace((unsigned char)*p))
            p++;
        char tmp[8];
        char *out = tmp;
        size_t outlen = sizeof tmp;
        if (klen == 5 && !strncasecmp(k, "realm", 5)) {
            out = realm;
            outlen = realm_len;
        } else if (klen == 7 && !strncasecmp(k, "service", 7)) {
            out = service;
            outlen = service_len;
        } else if (klen == 5 && !strncasecmp(k, "scope", 5)) {
            out = scope;
            outlen = scope_len;
        }
        param_value(&p, out, outlen);
    }
    return 0;
}

static void observe(mg_oci_client *c, mg_oci_event ev) {
    if (c->observer) c->observer(c->observer_ud, ev);
}

/* ---------------------------------------------------------------- credentials */

/* Decodes base64 text into a new NUL-terminated string, or NULL when it is not base64. */
static char *b64_decode(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n % 4) return NULL;
    unsigned char *out = mg_xmalloc(n / 4 * 3 + 1);
    int len = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
    if (len < 0) {
        free(out);
        return NULL;
    }
    if (n >= 1 && s[n - 1] == '=') len--;
    if (n >= 2 && s[n - 2] == '=') len--;
    out[len] = '\0';
    if (strlen((char *)out) != (size_t)len) { /* embedded NUL */
        free(out);
        return NULL;
    }
    return (char *)out;
}

static const json_t *auth_entry(const json_t *auths, const char *host) {
    const char *hub[] = {"https://index.docker.io/v1/", "index.docker.io", "docker.io",
                         "registry-1.docker.io"};
    char key[600];
    const json_t *e = json_object_get(auths, host);
    if (e) return e;
    snprintf(key, sizeof key, "https://%s", host);
    if ((e = json_object_get(auths, key))) return e;
    snprintf(key, sizeof key, "http://%s", host);
    if ((e = json_object_get(auths, key))) return e;
    if (!strcasecmp(host, "docker.io") || !strcasecmp(host, "index.docker.io") ||
        !strcasecmp(host, "registry-1.docker.io"))
        for (size_t i = 0; i < sizeof hub / sizeof hub[0]; i++)
            if ((e = json_object_get(auths, hub[i]))) return e;
    return NULL;
}

/* Reads r->basic from a dockerconfigjson file. */
static int load_credentials(reg *r, const char *path, mg_error *err) {
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    if (!doc) {
        FILE *f = fopen(path, "r");
        if (!f)
            return mg_error_set(err, MG_EIO, "registry %s: credentialsFile %s: cannot read it", r->host,
                                path);
        fclose(f);
        return mg_error_set(err, MG_EPARSE, "registry %s: credentialsFile %s: line %d: %s", r->host, path,
                            je.line, je.text);
    }
    int rc = 0;
    const json_t *e = auth_entry(json_object_get(doc, "auths"), r->host);
    if (!json_is_object(e)) {
        rc = mg_error_set(err, MG_EPARSE, "registry %s: credentialsFile %s: no auths entry for %s", r->host,
                          path, r->host);
        goto out;
    }
    const char *auth = json_string_value(json_object_get(e, "auth"));
    const char *user = json_string_value(json_object_get(e, "username"));
    const char *pass = json_string_value(json_object_get(e, "password"));
    if (auth && *auth) {
        char *plain = b64_decode(auth);
        if (!plain || !strchr(plain, ':')) {
            free(plain);
            rc =
                mg_error_set(err, MG_EPARSE,
                             "registry %s: credentialsFile %s: auths[%s].auth is not base64 of user:password",
                             r->host, path, r->host);
            goto out;
        }
        r->basic = mg_base64_encode(plain, strlen(plain));
        free(plain);
    } else if (user && pass) {
        char *plain = mg_xasprintf("%s:%s", user, pass);
        r->basic = mg_base64_encode(plain, strlen(plain));
        free(plain);
    } else {
        rc = mg_error_set(
            err, MG_EPARSE,
            "registry %s: credentialsFile %s: auths[%s] has neither auth nor username and password", r->host,
            path, r->host);
    }
out:
    json_decref(doc);
    return rc;
}

/* ---------------------------------------------------------------- curl plumbing */

typedef struct response {
    long status;
    mg_buf body;
    char digest[160];
    char www_auth[1024];
} response;

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud) {
    response *r = ud;
    size_t n = size * nmemb;
    if (n >= 5 && !strncmp(data, "HTTP/", 5)) { /* a new response (after 100 or a redirect) */
        r->digest[0] = r->www_auth[0] = '\0';
        return n;
    }
    const char *colon = memchr(data, ':', n);
    if (!colon) return n;
    size_t klen = (size_t)(colon - data);
    const char *v = colon + 1;
    const char *end = data + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    size_t vlen = (size_t)(end - v);
    char *dst = NULL;
    size_t cap = 0;
    if (klen == 21 && !strncasecmp(data, "Docker-Content-Digest", klen)) {
        dst = r->digest;
        cap = sizeof r->digest;
    } else if (klen == 16 && !strncasecmp(data, "WWW-Authenticate", klen)) {
        dst = r->www_auth;
        cap = sizeof r->www_auth;
    }
    if (dst) {
        if (vlen >= cap) vlen = cap - 1;
        memcpy(dst, v, vlen);
        dst[vlen] = '\0';
    }
    return n;
}

/* One request. method "HEAD" or "GET"; auth is a full header line or NULL. Fills *resp (caller
 * frees resp->body). Returns 0 whatever the HTTP status, or a transport error. */
static int request(mg_oci_client *c, const reg *r, const char *method, const char *url, const char *accept,
                   const char *auth, int64_t deadline, size_t max_body, response *resp, const char *what,
                   mg_error *err) {
    memset(resp, 0, sizeof *resp);
    mg_buf_init(&resp->body, max_body);
    int64_t left = deadline - mg_clock_mono_ms();
    if (left <= 0) return mg_error_set(err, MG_ETIMEOUT, "%s: no answer within %ld ms", what, c->timeout_ms);
    CURL *h = mg_curlpool_take(c->pool); /* reset, share attached */
    struct curl_slist *hdr = NULL;
    if (accept) {
        char line[512];
        snprintf(line, sizeof line, "Accept: %s", accept);
        hdr = curl_slist_append(hdr, line);
    }
    if (auth) hdr = curl_slist_append(hdr, auth);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "modelgov/" MG_VERSION);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)left);
    long connect_ms = c->timeout_ms / 2 < left ? c->timeout_ms / 2 : (long)left;
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms > 0 ? connect_ms : 1L);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, resp);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, mg_curl_write_buf);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp->body);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (!strcmp(method, "HEAD")) curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    if (r && r->ca_file) curl_easy_setopt(h, CURLOPT_CAINFO, r->ca_file);
    CURLcode cc = curl_easy_perform(h);
    int rc = 0;
    if (cc == CURLE_OK) {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
    } else {
        int code;
        switch (cc) {
        case CURLE_OPERATION_TIMEDOUT: code = MG_ETIMEOUT; break;
        case CURLE_COULDNT_CONNECT:
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY: code = MG_ECONNECT; break;
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CERTPROBLEM: code = MG_ETLS; break;
        case CURLE_WRITE_ERROR: code = MG_ETOOBIG; break;
        default: code = MG_EIO; break;
        }
        rc = mg_error_set(err, code, "%s: %s", what, curl_easy_strerror(cc));
        if (err) err->retryable = true;
    }
    curl_slist_free_all(hdr);
    mg_curlpool_give(c->pool, h);
    return rc;
}

/* ---------------------------------------------------------------- tokens */

static char *token_get(mg_oci_client *c, const char *key) {
    char *out = NULL;
    int64_t now = mg_clock_mono_ms();
    pthread_mutex_lock(&c->mu);
    for (token *t = c->tokens; t; t = t->next)
        if (!strcmp(t->key, key) && t->expires_ms > now) {
            out = mg_xstrdup(t->value);
            break;
        }
    pthread_mutex_unlock(&c->mu);
    return out;
}

static void token_put(mg_oci_client *c, const char *key, const char *value, int64_t expires_ms) {
    pthread_mutex_lock(&c->mu);
    token **pp = &c->tokens;
    while (*pp) { /* drop the old token for this key and any expired one */
        token *t = *pp;
        if (!strcmp(t->key, key) || t->expires_ms <= mg_clock_mono_ms()) {
            *pp = t->next;
            free(t->key);
            free(t->value);
            free(t);
        } else {
            pp = &t->next;
        }
    }
    token *t = mg_xcalloc(1, sizeof *t);
    t->key = mg_xstrdup(key);
    t->value = mg_xstrdup(value);
    t->expires_ms = expires_ms;
    t->next = c->tokens;
    c->tokens = t;
    pthread_mutex_unlock(&c->mu);
}

/* The token flow for a Bearer challenge: returns a new "Authorization: Bearer ..." line. */
static int fetch_token(mg_oci_client *c, const reg *r, const char *host, const char *path,
                       const char *challenge, int64_t deadline, const char *what, char **auth_line,
                       mg_error *err) {
    char scheme[16], realm[512], service[256], scope[512];
    if (mg_oci_parse_challenge(challenge, scheme, sizeof scheme, realm, sizeof realm, service, sizeof service,
                               scope, sizeof scope) != 0 ||
        !realm[0])
        return mg_error_set(err, MG_EPARSE, "%s: unusable WWW-Authenticate challenge: %s", what, challenge);
    if (!scope[0]) snprintf(scope, sizeof scope, "repository:%s:pull", path);
    CURL *esc = curl_easy_init();
    if (!esc) abort();
    char *e_service = curl_easy_escape(esc, service, 0);
    char *e_scope = curl_easy_escape(esc, scope, 0);
    char *url = mg_xasprintf("%s%s%s%s%sscope=%s", realm, strchr(realm, '?') ? "&" : "?",
                             service[0] ? "service=" : "", service[0] ? e_service : "", service[0] ? "&" : "",
                             e_scope);
    curl_free(e_service);
    curl_free(e_scope);
    curl_easy_cleanup(esc);
    char *basic = r && r->basic ? mg_xasprintf("Authorization: Basic %s", r->basic) : NULL;
    response resp;
    int rc = request(c, r, "GET", url, "application/json", basic, deadline, MAX_TOKEN_BODY, &resp, what, err);
    free(basic);
    free(url);
    if (rc) goto out;
    if (resp.status != 200) {
        rc = mg_error_set(err, MG_EHTTP, "%s: token request to %s answered HTTP %ld", what, realm,
                          resp.status);
        if (err) err->http_status = (int)resp.status;
        goto out;
    }
    json_t *doc = json_loadb(resp.body.data ? resp.body.data : "", resp.body.len, 0, NULL);
    const char *tok = json_string_value(json_object_get(doc, "token"));
    if (!tok || !*tok) tok = json_string_value(json_object_get(doc, "access_token"));
    if (!tok || !*tok) {
        json_decref(doc);
        rc = mg_error_set(err, MG_EPARSE, "%s: token answer from %s carries no token", what, realm);
        goto out;
    }
    long long expires = json_integer_value(json_object_get(doc, "expires_in"));
    if (expires <= 0) expires = TOKEN_DEFAULT_TTL_S;
    if (expires > TOKEN_MARGIN_MIN_TTL_S) expires -= TOKEN_MARGIN_S;
    char key[1024];
    snprintf(key, sizeof key, "%s|%s", host, scope);
    token_put(c, key, tok, mg_clock_mono_ms() + expires * MG_MS_PER_S);
    *auth_line = mg_xasprintf("Authorization: Bearer %s", tok);
    json_decref(doc);
out:
    mg_buf_free(&resp.body);
    return rc;
}

/* ---------------------------------------------------------------- resolution */

/* The entry for a reference's domain, by canonical host (so 127.0.0.1:05000 finds the entry of
 * localhost:5000, and docker.io the one of index.docker.io). */
static const reg *find_reg(const mg_oci_client *c, const char *domain) {
    char canon[MG_IMAGEREF_CANON_MAX + 1];
    if (mg_imageref_canonical_host(domain, canon, sizeof canon) != 0) return NULL;
    for (size_t i = 0; i < c->n_regs; i++)
        if (mg_strlist_contains(&c->regs[i].names, canon)) return &c->regs[i];
    return NULL;
}

static int sha256_digest(const mg_buf *b, char *digest, size_t digest_len) {
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)(b->data ? b->data : ""), b->len, md);
    if (digest_len < 7 + 2 * SHA256_DIGEST_LENGTH + 1) return MG_EINVAL;
    memcpy(digest, "sha256:", 7);
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
        snprintf(digest + 7 + 2 * i, 3, "%02x", md[i]);
    return 0;
}

/* A 401's challenge answered: *auth becomes the Authorization line to send again with (a Bearer
 * token fetched for it, or the configured Basic credentials). */
static int answer_challenge(mg_oci_client *c, const reg *r, const char *host, const char *path,
                            const char *www_auth, int64_t deadline, const char *what, char **auth,
                            mg_error *err) {
    char scheme[16], realm[8], service[8], scope[8];
    if (mg_oci_parse_challenge(www_auth, scheme, sizeof scheme, realm, sizeof realm, service, sizeof service,
                               scope, sizeof scope) != 0) {
        int rc =
            mg_error_set(err, MG_EHTTP, "%s: HTTP 401 without a usable WWW-Authenticate challenge", what);
        if (err) err->http_status = 401;
        return rc;
    }
    free(*auth);
    *auth = NULL;
    if (!strcasecmp(scheme, "Bearer"))
        return fetch_token(c, r, host, path, www_auth, deadline, what, auth, err);
    if (!strcasecmp(scheme, "Basic") && r && r->basic) {
        *auth = mg_xasprintf("Authorization: Basic %s", r->basic);
        return 0;
    }
    int rc = mg_error_set(err, MG_EHTTP,
                          "%s: the registry wants %s authentication and no credentials are configured", what,
                          scheme);
    if (err) err->http_status = 401;
    return rc;
}

/* The manifest's digest from the registry's final answer, or the error that answer means. */
static int digest_of_answer(const response *resp, const char *what, char *digest, size_t digest_len,
                            mg_error *err) {
    int rc;
    if (resp->status == 404) {
        rc = mg_error_set(err, MG_ENOTFOUND, "%s: the registry has no such tag", what);
        if (err) err->http_status = 404;
    } else if (resp->status != 200) {
        rc = mg_error_set(err, MG_EHTTP, "%s: the registry answered HTTP %ld", what, resp->status);
        if (err) {
            err->http_status = (int)resp->status;
            err->retryable = resp->status >= 500 || resp->status == 429;
        }
    } else if (!is_digest(resp->digest)) {
        rc = mg_error_set(err, MG_EPARSE, "%s: the registry sent an invalid digest \"%.100s\"", what,
                          resp->digest);
    } else if (strlen(resp->digest) >= digest_len) {
        rc = mg_error_set(err, MG_EINVAL, "%s: digest buffer too small", what);
    } else {
        memcpy(digest, resp->digest, strlen(resp->digest) + 1);
        rc = 0;
        if (err) mg_error_clear(err);
    }
    return rc;
}

int mg_oci_resolve_uncached(mg_oci_client *c, const mg_imageref *ref, char *digest, size_t digest_len,
                            mg_error *err) {
    char what[MG_IMAGEREF_NAME_MAX + MG_IMAGEREF_TAG_MAX + 64];
    snprintf(what, sizeof what, "resolving %s:%s", ref->name, ref->tag);
    if (!ref->tag[0]) return mg_error_set(err, MG_EINVAL, "%s: the reference has no tag", what);
    const reg *r = find_reg(c, ref->domain);
    const char *host = mg_oci_endpoint_host(ref->domain);
    char *url = mg_xasprintf("%s://%s/v2/%s/manifests/%s", r && r->plain_http ? "http" : "https", host,
                             ref->path, ref->tag);
    int64_t deadline = mg_clock_mono_ms() + c->timeout_ms;
    char key[1024];
    snprintf(key, sizeof key, "%s|repository:%s:pull", host, ref->path);
    char *tok = token_get(c, key);
    char *auth = tok ? mg_xasprintf("Authorization: Bearer %s", tok) : NULL;
    free(tok);
    response resp;
    memset(&resp, 0, sizeof resp);
    int rc = request(c, r, "HEAD", url, MG_OCI_ACCEPT, auth, deadline, MAX_BODY, &resp, what, err);
    if (rc == 0 && resp.status == 401) {
        char challenge[sizeof resp.www_auth];
        snprintf(challenge, sizeof challenge, "%s", resp.www_auth);
        rc = answer_challenge(c, r, host, ref->path, challenge, deadline, what, &auth, err);
        mg_buf_free(&resp.body);
        if (rc == 0)
            rc = request(c, r, "HEAD", url, MG_OCI_ACCEPT, auth, deadline, MAX_BODY, &resp, what, err);
    }
    if (rc == 0 && resp.status == 200 && !resp.digest[0]) { /* no Docker-Content-Digest: hash the manifest */
        mg_buf_free(&resp.body);
        rc = request(c, r, "GET", url, MG_OCI_ACCEPT, auth, deadline, MAX_BODY, &resp, what, err);
        if (rc == 0 && resp.status == 200 && !resp.digest[0])
            sha256_digest(&resp.body, resp.digest, sizeof resp.digest);
    }
    if (rc == 0) rc = digest_of_answer(&resp, what, digest, digest_len, err);
    mg_buf_free(&resp.body);
    free(auth);
    free(url);
    return rc;
}

/* ---------------------------------------------------------------- cache */

/* Entries are reference counted: the map holds one reference, and so does every thread working
 * on (owner) or waiting for (waiters) a pending entry. All under c->mu. */
static void entry_unref(entry *e) {
    if (--e->refs == 0) free(e);
}

static void map_drop(mg_oci_client *c, const char *key) {
    entry *e = mg_strmap_del(c->cache, key);
    if (e) entry_unref(e);
}

static int answer_from(const entry *e, char *digest, size_t digest_len, mg_error *err) {
    if (e->rc == 0) {
        if (strlen(e->digest) >= digest_len) return mg_error_set(err, MG_EINVAL, "digest buffer too small");
        memcpy(digest, e->digest, strlen(e->digest) + 1);
        if (err) mg_error_clear(err);
        return 0;
    }
    mg_error_set(err, e->rc, "%s", e->message);
    if (err) err->http_status = e->http_status;
    return e->rc;
}

/* Drops expired entries; with the cache still full, every settled entry. Called under c->mu. */
static void make_room(mg_oci_client *c, int64_t now) {
    if (mg_strmap_len(c->cache) < c->max_entries) return;
    for (int pass = 0; pass < 2 && mg_strmap_len(c->cache) >= c->max_entries; pass++) {
        json_t *dead = json_array();
        mg_strmap_iter it = {0};
        const char *k;
        void *v;
        while (mg_strmap_next(c->cache, &it, &k, &v)) {
            entry *e = v;
            if (!e->pending && (pass == 1 || e->expires_ms <= now))
                json_array_append_new(dead, json_string(k));
        }
        size_t i;
        json_t *js;
        json_array_foreach(dead, i, js) map_drop(c, json_string_value(js));
        json_decref(dead);
    }
}

/* Another thread's answer for e, settled and fresh or still being asked for (single flight: a
 * burst of pods on a cold cache costs one registry request). Called under c->mu; unlocks it. */
static int shared_answer(mg_oci_client *c, entry *e, const mg_imageref *ref, char *digest, size_t digest_len,
                         mg_error *err) {
    e->refs++;
    struct timespec ts = mg_clock_deadline(CLOCK_MONOTONIC, c->timeout_ms + WAIT_SLACK_MS);
    while (e->pending)
        if (pthread_cond_timedwait(&c->settled, &c->mu, &ts) != 0) break;
    entry copy = *e;
    entry_unref(e);
    pthread_mutex_unlock(&c->mu);
    if (copy.pending) {
        atomic_fetch_add(&c->errors, 1);
        return mg_error_set(err, MG_ETIMEOUT, "resolving %s:%s: no answer within %ld ms", ref->name, ref->tag,
                            c->timeout_ms);
    }
    atomic_fetch_add(&c->hits, 1);
    observe(c, MG_OCI_CACHE_HIT);
    return answer_from(&copy, digest, digest_len, err);
}

/* How long an answer is kept, by what it was; counts and observes it. */
static int answer_ttl(mg_oci_client *c, int rc) {
    if (rc == 0) {
        observe(c, MG_OCI_FOUND);
        return c->ttl_s;
    }
    if (rc == MG_ENOTFOUND) {
        atomic_fetch_add(&c->not_found, 1);
        observe(c, MG_OCI_NOT_FOUND);
        return c->neg_ttl_s;
    }
    atomic_fetch_add(&c->errors, 1);
    observe(c, MG_OCI_ERROR);
    return c->err_ttl_s;
}

/* The pending entry e gets its answer and its waiters are woken. Takes c->mu. */
static void settle(mg_oci_client *c, const char *key, entry *e, int rc, const char *digest,
                   const mg_error *local) {
    int ttl = answer_ttl(c, rc);
    pthread_mutex_lock(&c->mu);
    e->rc = rc;
    if (rc == 0) snprintf(e->digest, sizeof e->digest, "%s", digest);
    snprintf(e->message, sizeof e->message, "%s", rc ? local->message : "");
    e->http_status = rc ? local->http_status : 0;
    e->expires_ms = mg_clock_mono_ms() + (int64_t)ttl * MG_MS_PER_S;
    e->pending = false;
    /* waiters got their answer; with no TTL for it the entry leaves the map */
    if (ttl <= 0 && mg_strmap_get(c->cache, key) == e) map_drop(c, key);
    pthread_cond_broadcast(&c->settled);
    entry_unref(e);
    pthread_mutex_unlock(&c->mu);
}

int mg_oci_resolve(mg_oci_client *c, const mg_imageref *ref, char *digest, size_t digest_len, mg_error *err) {
    atomic_fetch_add(&c->lookups, 1);
    char key[MG_IMAGEREF_NAME_MAX + MG_IMAGEREF_TAG_MAX + 2];
    snprintf(key, sizeof key, "%s:%s", ref->name, ref->tag);
    int64_t now = mg_clock_mono_ms();
    pthread_mutex_lock(&c->mu);
    entry *e = mg_strmap_get(c->cache, key);
    if (e && (e->pending || e->expires_ms > now)) return shared_answer(c, e, ref, digest, digest_len, err);
    if (e) map_drop(c, key); /* expired */
    make_room(c, now);
    e = mg_xcalloc(1, sizeof *e);
    e->pending = true;
    e->refs = 2; /* the map's and ours */
    mg_strmap_put(c->cache, key, e);
    pthread_mutex_unlock(&c->mu);

    atomic_fetch_add(&c->misses, 1);
    observe(c, MG_OCI_CACHE_MISS);
    mg_error local;
    int rc = mg_oci_resolve_uncached(c, ref, digest, digest_len, &local);
    settle(c, key, e, rc, digest, &local);
    if (err) *err = local;
    return rc;
}

int mg_oci_resolve_tag_cb(void *ctx, const mg_imageref *ref, char *digest, size_t digest_len, mg_error *err) {
    return mg_oci_resolve(ctx, ref, digest, digest_len, err);
}

static void drop_all(mg_oci_client *c) {
    json_t *keys = json_array();
    mg_strmap_iter it = {0};
    const char *k;
    void *v;
    while (mg_strmap_next(c->cache, &it, &k, &v))
        json_array_append_new(keys, json_string(k));
    size_t i;
    json_t *js;
    json_array_foreach(keys, i, js) map_drop(c, json_string_value(js));
    json_decref(keys);
}

void mg_oci_cache_clear(mg_oci_client *c) {
    pthread_mutex_lock(&c->mu);
    drop_all(c);
    pthread_mutex_unlock(&c->mu);
}

void mg_oci_stats_get(mg_oci_client *c, mg_oci_stats *out) {
    out->lookups = atomic_load(&c->lookups);
    out->hits = atomic_load(&c->hits);
    out->misses = atomic_load(&c->misses);
    out->not_found = atomic_load(&c->not_found);
    out->errors = atomic_load(&c->errors);
}

/* ---------------------------------------------------------------- lifecycle */

int mg_oci_client_new(const mg_oci_options *opt, mg_oci_client **out, mg_error *err) {
    *out = NULL;
    mg_curl_global_init();
    mg_oci_client *c = mg_xcalloc(1, sizeof *c);
    c->timeout_ms = opt->timeout_ms > 0 ? opt->timeout_ms : DEFAULT_TIMEOUT_MS;
    c->ttl_s = opt->cache_ttl_s < 0 ? DEFAULT_CACHE_TTL_S : opt->cache_ttl_s;
    c->neg_ttl_s = opt->negative_ttl_s >= 0            ? opt->negative_ttl_s
                   : c->ttl_s < DEFAULT_NEGATIVE_TTL_S ? c->ttl_s
                                                       : DEFAULT_NEGATIVE_TTL_S;
    c->err_ttl_s = opt->error_ttl_s >= 0 ? opt->error_ttl_s : (c->ttl_s > 0 ? 1 : 0);
    c->max_entries = opt->max_entries ? opt->max_entries : DEFAULT_MAX_ENTRIES;
    c->observer = opt->observer;
    c->observer_ud = opt->observer_ud;
    pthread_mutex_init(&c->mu, NULL);
    mg_clock_cond_init(&c->settled);
    c->cache = mg_strmap_new();
    c->pool = mg_curlpool_new(POOL_MAX);
    c->n_regs = opt->n_registries;
    c->regs = mg_xcalloc(c->n_regs ? c->n_regs : 1, sizeof *c->regs);
    for (size_t i = 0; i < c->n_regs; i++) {
        const mg_registry_config *rc = &opt->registries[i];
        c->regs[i].host = mg_xstrdup(rc->host ? rc->host : "");
        for (size_t k = 0; k < rc->names.len; k++)
            mg_strlist_push(&c->regs[i].names, rc->names.items[k]);
        char canon[MG_IMAGEREF_CANON_MAX + 1];
        if (rc->host && mg_imageref_canonical_host(rc->host, canon, sizeof canon) == 0 &&
            !mg_strlist_contains(&c->regs[i].names, canon))
            mg_strlist_push(&c->regs[i].names, canon);
        c->regs[i].ca_file = rc->ca_file ? mg_xstrdup(rc->ca_file) : NULL;
        c->regs[i].plain_http = rc->plain_http;
        int lrc = rc->credentials_file ? load_credentials(&c->regs[i], rc->credentials_file, err) : 0;
        if (lrc != 0) {
            mg_oci_client_free(c);
            return lrc;
        }
    }
    *out = c;
    return 0;
}

void mg_oci_client_free(mg_oci_client *c) {
    if (!c) return;
    mg_curlpool_free(c->pool);
    drop_all(c);
    mg_strmap_free(c->cache, NULL);
    pthread_cond_destroy(&c->settled);
    pthread_mutex_destroy(&c->mu);
    while (c->tokens) {
        token *t = c->tokens;
        c->tokens = t->next;
        free(t->key);
        free(t->value);
        free(t);
    }
    for (size_t i = 0; i < c->n_regs; i++) {
        free(c->regs[i].host);
        mg_strlist_free(&c->regs[i].names);
        free(c->regs[i].ca_file);
        free(c->regs[i].basic);
    }
    free(c->regs);
    free(c);
}
