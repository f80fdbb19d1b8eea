/* k8s/client — REST access to a Kubernetes API server over libcurl.
 *
 * Owns: a connection pool (one CURLSH share of connections, DNS and TLS sessions) and the
 * credentials of one cluster. Thread-safe: any thread may issue requests concurrently; each call
 * uses its own easy handle taken from a small pool, so keep-alive connections are reused.
 * The bearer token is re-read from tokenFile / the service-account file when it changes on disk.
 *
 * Every call returns 0 or a negative MG_E* code. On a non-2xx answer the body is parsed as a
 * metav1.Status and err gets http_status, reason and the Status message verbatim; 429 (with
 * Retry-After), 5xx and connection failures are retryable, other 4xx are not. 404 → MG_ENOTFOUND,
 * 409 → MG_ECONFLICT, 410 → MG_EGONE. Responses above max_response_bytes fail with MG_ETOOBIG.
 * Returned json_t objects are new references owned by the caller; on failure *out is NULL.
 * err (optional) is cleared at the start of every call, so it is all zero after a success.
 *
 * TLS: verification is always on (cluster CA only when one is configured, else the system
 * store) unless the config says insecure-skip-tls-verify; tls_server_name is used for SNI and
 * verification (the request still goes to the configured host). Client certificate and key are
 * passed from memory. Requests use HTTP/1.1 with keep-alive and send User-Agent
 * "modelgov/VERSION". A token file wins over a static token (client-go's rule); it is re-read
 * when its inode/size/mtime/ctime change, at least every minute, and after a 401; if a re-read
 * fails the last good token is kept. create/update take the namespace (and update the name)
 * from obj's metadata when the arguments are NULL. */
#ifndef MG_K8S_CLIENT_H
#define MG_K8S_CLIENT_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "k8s/kubeconfig.h"

typedef struct mg_client mg_client;

/* A resource type: group "" is the core API. resource is the plural ("deployments"). */
typedef struct mg_gvr {
    const char *group;
    const char *version;
    const char *resource;
    bool namespaced;
} mg_gvr;

typedef struct mg_list_opts {
    const char *label_selector; /* NULL: none */
    const char *field_selector;
    long limit; /* 0: server default */
    const char *continue_token;
    const char *resource_version;
    /* With skipped set, the page is read as a Kubernetes List (k8s/jsonparse MG_JSON_STRIP_LIST):
     * items are stripped, and an item that cannot be represented (nesting, a NUL in a key, a
     * number beyond double) is left out and reported to skipped instead of failing the page. */
    void (*skipped)(void *ud, size_t offset, const char *why);
    void *skipped_ud;
} mg_list_opts;

/* Creates a client from a loaded rest config (borrowed; the client copies what it needs). */
int mg_client_new(const mg_rest_config *cfg, mg_client **out, mg_error *err);
void mg_client_free(mg_client *c);
/* Cap on response bodies; default 64 MiB. */
void mg_client_set_max_response(mg_client *c, size_t max_bytes);
/* Per-request timeout in ms for non-watch calls (default 30 s). */
void mg_client_set_timeout(mg_client *c, long timeout_ms);

/* Builds "/apis/G/V/namespaces/NS/RES/NAME/SUB" (or /api/v1/... for the core group), every
 * segment percent-encoded. ns/name/subresource may be NULL. Returns a new heap string. */
char *mg_k8s_path(const mg_gvr *gvr, const char *ns, const char *name, const char *subresource);

int mg_k8s_get(mg_client *c, const mg_gvr *gvr, const char *ns, const char *name, const char *subresource,
               json_t **out, mg_error *err);
/* One page of a LIST. out is the List object (items, metadata.continue, resourceVersion). */
int mg_k8s_list(mg_client *c, const mg_gvr *gvr, const char *ns, const mg_list_opts *opts, json_t **out,
                mg_error *err);
/* Every item of a LIST (ns NULL: all namespaces), read in pages as kubectl reads them (limit
 * opts->limit, 0 meaning MG_K8S_LIST_PAGE; each next page by metadata.continue), as one new array
 * in *items. opts may be NULL; its selectors and skipped apply, its continue_token and
 * resource_version are ignored. A continue token that expired between pages (410) fails the
 * call, as in kubectl: the pages would not be one snapshot. */
#define MG_K8S_LIST_PAGE 500
int mg_k8s_list_items(mg_client *c, const mg_gvr *gvr, const char *ns, const mg_list_opts *opts,
                      json_t **items, mg_error *err);
int mg_k8s_create(mg_client *c, const mg_gvr *gvr, const char *ns, const json_t *obj, json_t **out,
                  mg_error *err);
/* PUT of obj (its metadata.resourceVersion makes it a compare-and-swap). subresource may be
 * NULL, "status" or "scale". */
int mg_k8s_update(mg_client *c, const mg_gvr *gvr, const char *ns, const char *name, const char *subresource,
                  const json_t *obj, json_t **out, mg_error *err);
/* PATCH with application/merge-patch+json (RFC 7386). */
int mg_k8s_merge_patch(mg_client *c, const mg_gvr *gvr, const char *ns, const char *name,
                       const char *subresource, const json_t *patch, json_t **out, mg_error *err);
/* DELETE; propagation is NULL (server default), "Background", "Foreground" or "Orphan". */
int mg_k8s_delete(mg_client *c, const mg_gvr *gvr, const char *ns, const char *name, const char *propagation,
                  mg_error *err);

/* Streaming WATCH (?watch=1 plus the options below, all percent-encoded). on_line is called
 * once per complete newline-framed event (the JSON text, NUL-terminated, without the newline;
 * framing survives any chunk boundary, see k8s/linesplit.h). on_line returning > 0 ends the
 * watch and the call returns 0; returning < 0 ends it and the call returns that code.
 * Returns 0 when the server ends the stream cleanly; MG_ETOOBIG for a line longer than
 * max_line_bytes; MG_ECANCELED when *stop becomes non-zero (polled every 100 ms and before the
 * request); MG_ETIMEOUT (retryable) when the stream stays silent for stall_timeout_ms;
 * MG_EIO (retryable) when the connection drops, also mid-event; a non-2xx answer is parsed like
 * any other (410 → MG_EGONE). No overall deadline applies: use timeout_seconds to have the
 * server end the stream. on_poll, when set, runs on the calling thread after each round of
 * received bytes and at least every 100 ms while the stream is open, outside curl's callbacks
 * (it may take its time and make requests of its own; bytes that arrive meanwhile wait in the
 * socket): work due on the watching thread without ending the stream. */
typedef int (*mg_watch_line_fn)(const char *line, size_t len, void *ud);
typedef struct mg_watch_opts {
    const char *label_selector;
    const char *field_selector;
    const char *resource_version;
    bool allow_bookmarks;
    long timeout_seconds;      /* server-side timeoutSeconds; 0: omit */
    long stall_timeout_ms;     /* 0: no watchdog */
    size_t max_line_bytes;     /* 0: 16 MiB */
    volatile int *stop;        /* may be NULL */
    void (*on_poll)(void *ud); /* may be NULL; ud is poll_ud */
    void *poll_ud;
} mg_watch_opts;
int mg_k8s_watch(mg_client *c, const mg_gvr *gvr, const char *ns, const mg_watch_opts *opts,
                 mg_watch_line_fn on_line, void *ud, mg_error *err);

/* Low level: any method/path(+query)/body; body may be NULL. content_type defaults to JSON.
 * path_and_query must already be encoded (mg_k8s_path does the path part). out may be NULL;
 * an empty 2xx body gives an empty object. */
int mg_k8s_request(mg_client *c, const char *method, const char *path_and_query, const char *content_type,
                   const char *body, size_t body_len, json_t **out, mg_error *err);

/* Parses a non-2xx answer (status code + body bytes + Retry-After seconds or -1) into err
 * and returns the matching MG_E* code. Exposed for tests and other HTTP clients. */
int mg_k8s_status_to_error(long http_status, const char *body, size_t len, long retry_after_s, mg_error *err);

#endif
