/* oci/registry — tag → digest resolution against OCI distribution registries, with a cache.
 *
 * Owns: one libcurl connection cache (CURLSH sharing connections, DNS and TLS sessions between a
 * small pool of easy handles, so keep-alive connections are reused across threads), the registry
 * credentials (read once from each registry's dockerconfigjson file at creation), the bearer
 * tokens it obtained (cached until their expires_in), and the tag cache.
 *
 * Resolution of HOST/PATH:TAG: `HEAD /v2/PATH/manifests/TAG` with an Accept header naming the OCI
 * image manifest and index and the Docker schema 2 manifest and manifest list media types (some
 * registries answer 404 for an OCI manifest unless its type is accepted). The digest is the
 * Docker-Content-Digest header; when a registry omits it, a GET of the same URL and the sha256 of
 * the body (at most 4 MiB) are used. A 401 with `WWW-Authenticate: Bearer realm=...,service=...,
 * scope=...` triggers the token flow (GET realm?service=&scope= with basic credentials when the
 * registry has some; the JSON `token` or `access_token` is then sent as Bearer); a `Basic`
 * challenge is answered with the basic credentials. docker.io is reached at
 * registry-1.docker.io. Per registry (mg_registry_config, matched by the reference's domain):
 * caFile (else the system CAs), plainHTTP (http:// instead of https://), credentialsFile
 * (`{"auths": {HOST: {"auth": base64(user:password)} | {"username", "password"}}}`; the key may
 * also be "https://HOST", "http://HOST" or, for docker.io, "https://index.docker.io/v1/").
 *
 * Deadlines: one resolution (all its requests together, auth included) is bounded by
 * timeout_ms (default 2000; connect phase at most half of it): admission must never wait long,
 * and a registry that cannot answer in time is an error (the caller fails closed).
 *
 * Results: 0 with the digest ("sha256:<64 hex>"); MG_ENOTFOUND when the registry says the tag
 * (or repository) does not exist (404); MG_ECONNECT / MG_ETIMEOUT / MG_ETLS when it cannot be
 * reached; MG_EHTTP for another status (5xx, 401/403 after authenticating; err->http_status set);
 * MG_EPARSE for a malformed digest or token answer. err->message always names the reference.
 *
 * Cache (mg_oci_resolve): found digests live cache_ttl_s; "not found" answers live
 * negative_ttl_s (shorter, so a freshly pushed tag is seen soon); errors are remembered for
 * error_ttl_s (default 1 s) so that an unreachable registry costs one timeout per second, not one
 * per admission request. A TTL of 0 disables that part of the cache. At most max_entries
 * (expired entries are dropped first, then the whole cache when still full). Single flight:
 * while one thread asks the registry about a tag, other threads asking about the same tag wait
 * for its answer (bounded by timeout_ms) instead of sending their own request, whatever the TTLs;
 * they count as cache hits.
 *
 * Thread rules: every function may be called from any thread concurrently (one mutex guards the
 * cache and token list; no lock is held during network I/O). The observer runs on the calling
 * thread, outside every lock. Memory: the client owns everything it allocates; the options'
 * registries are copied. */
#ifndef MG_OCI_REGISTRY_H
#define MG_OCI_REGISTRY_H
#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "policy/config.h"
#include "policy/imageref.h"

#define MG_OCI_ACCEPT                                                                                        \
    "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "                  \
    "application/vnd.docker.distribution.manifest.v2+json, "                                                 \
    "application/vnd.docker.distribution.manifest.list.v2+json"

typedef struct mg_oci_client mg_oci_client;

/* What happened, for metrics: each mg_oci_resolve reports one cache event (HIT or MISS), and
 * each registry round trip (a miss) one of FOUND, NOT_FOUND, ERROR. */
typedef enum {
    MG_OCI_CACHE_HIT,
    MG_OCI_CACHE_MISS,
    MG_OCI_FOUND,
    MG_OCI_NOT_FOUND,
    MG_OCI_ERROR
} mg_oci_event;

typedef struct mg_oci_options {
    const mg_registry_config *registries; /* copied; may be NULL */
    size_t n_registries;
    long timeout_ms;    /* whole resolution; 0: 2000 */
    int cache_ttl_s;    /* positive entries; < 0: 300; 0: no positive cache */
    int negative_ttl_s; /* "not found" entries; < 0: min(cache_ttl_s, 10) */
    int error_ttl_s;    /* errors; < 0: 1 (0 when cache_ttl_s is 0) */
    size_t max_entries; /* 0: 10000 */
    void (*observer)(void *ud, mg_oci_event ev);
    void *observer_ud;
} mg_oci_options;

typedef struct mg_oci_stats {
    unsigned long lookups;   /* mg_oci_resolve calls */
    unsigned long hits;      /* answered from the cache (any kind of entry) */
    unsigned long misses;    /* went to the registry */
    unsigned long not_found; /* registry said "no such tag" */
    unsigned long errors;    /* registry could not tell */
} mg_oci_stats;

/* Creates a client. Fails (MG_EIO / MG_EPARSE, message names the file) when a credentialsFile
 * cannot be read or parsed. */
int mg_oci_client_new(const mg_oci_options *opt, mg_oci_client **out, mg_error *err);
void mg_oci_client_free(mg_oci_client *c);

/* Cached resolution of ref (which must carry a tag) into digest (buffer of digest_len >= 72). */
int mg_oci_resolve(mg_oci_client *c, const mg_imageref *ref, char *digest, size_t digest_len, mg_error *err);
/* The same without the cache (always asks the registry; counts nothing). */
int mg_oci_resolve_uncached(mg_oci_client *c, const mg_imageref *ref, char *digest, size_t digest_len,
                            mg_error *err);
/* Forgets every cached tag (tokens are kept). */
void mg_oci_cache_clear(mg_oci_client *c);
void mg_oci_stats_get(mg_oci_client *c, mg_oci_stats *out);

/* An adapter with the signature of mg_policy_stores.resolve_tag (ctx is the mg_oci_client). */
int mg_oci_resolve_tag_cb(void *ctx, const mg_imageref *ref, char *digest, size_t digest_len, mg_error *err);

/* ---- Pure helpers (exposed for tests) ---- */

/* Parses a WWW-Authenticate value: scheme ("Bearer"/"Basic", compared without case) into scheme,
 * and the realm, service and scope parameters (quoted or token values; "" when absent). Returns 0
 * or MG_EPARSE. */
int mg_oci_parse_challenge(const char *value, char *scheme, size_t scheme_len, char *realm, size_t realm_len,
                           char *service, size_t service_len, char *scope, size_t scope_len);
/* The host to connect to for a reference domain: "docker.io" → "registry-1.docker.io", else the
 * domain unchanged. */
const char *mg_oci_endpoint_host(const char *domain);

#endif
