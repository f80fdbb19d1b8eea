/* webhook/webhook — the serving side of modelgov-webhook: the HTTPS server with POST /validate,
 * POST /mutate (mg_admission_mutate: pins admitted model tags to their approved digests),
 * /healthz, /readyz and /metrics, the admission metrics, and the readiness flag.
 *
 * Owns: the http server (src/http/server.h), the metrics registry, the readiness flag and the
 * metric families below. Decisions: mg_admission_decide (src/policy/admission.h) with the policy
 * configuration and the admission index (the interface over the watch-fed caches), both
 * borrowed. The body is parsed by webhook/review_load (fast, keeps only what decisions read)
 * and checked by mg_admission_review_from_json.
 *
 * /validate runs on the server's worker threads (it may wait on a registry: http/server.h); a
 * body that does not fit the in-flight budget (MG_WEBHOOK_INFLIGHT_BODY_MAX) is answered 429.
 * /validate answers an AdmissionReview (admission.k8s.io/v1) with HTTP 200 and a review whose
 * response.uid echoes request.uid (allowed, or denied with status.message saying why). A body that is not a
 * well-formed AdmissionReview (not JSON, wrong kind/apiVersion, no request or uid, wrong Content-Type, empty)
 * is answered 400 with an AdmissionReview whose response.status.message says why (and the uid when it could
 * be read); a body above max_body is answered 413 by the server before it is read. Any query string is
 * accepted (the API server adds ?timeout=10s).
 *
 * Metrics (namespace modelgov_webhook):
 *   _admission_requests_total{decision="allowed|denied|error" (/validate), "pinned|unchanged"
 *       (/mutate), resource}  resource is
 *       "<resource>[/<subresource>]" of the request, "unknown" when unreadable;
 *   _admission_duration_seconds{resource}  time to decide, parse to response built;
 *   _registry_lookups_total{result="found|not_found|error"}  (mg_webhook_count_registry_lookup);
 *   _tag_cache_requests_total{result="hit|miss"} and _tag_cache_hit_ratio
 *       (mg_webhook_count_tag_cache);
 *   _ready (1 when caches synced), plus the server's _http_* and _tls_certificate_* metrics.
 *
 * Thread rules: handlers run on the server's service and worker threads concurrently; the readiness flag
 * and the counting hooks are atomic and may be called from any thread. Every decision is logged
 * as one JSON audit line (msg "admission"; uid, user, operation, resource, namespace, name,
 * decision, reason, rule, dryRun). */
#ifndef MG_WEBHOOK_WEBHOOK_H
#define MG_WEBHOOK_WEBHOOK_H
#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "http/server.h"
#include "metrics/registry.h"
#include "policy/admission.h"
#include "policy/config.h"

/* The body cap: the API server sends at most 3 MiB, plus room for the envelope. */
#define MG_WEBHOOK_MAX_BODY (3u * 1024u * 1024u + 64u * 1024u)
/* All request bodies being read or decided together: ten of the largest reviews. Past it the
 * webhook answers 429 (the API server's request then fails by the webhook's failurePolicy), so
 * that a flood of big reviews cannot push the process past its memory limit. */
#define MG_WEBHOOK_INFLIGHT_BODY_MAX (10u * MG_WEBHOOK_MAX_BODY)
/* Worker threads for /validate and /mutate, which may wait on the registry (tag lookups). */
#define MG_WEBHOOK_WORKERS 4

typedef struct mg_webhook mg_webhook;

typedef struct mg_webhook_options {
    const char *listen;   /* HOST:PORT; port 0 picks a free port */
    const char *tls_cert; /* NULL with tls_key: plain HTTP (for local tests only) */
    const char *tls_key;
    int threads;      /* 0: one per CPU */
    int cert_poll_ms; /* 0: server default */
    size_t max_body;  /* 0: MG_WEBHOOK_MAX_BODY */
    bool audit_json;  /* logs are JSON (--log-format json): audit lines take a fast path */
    /* The policy and the admission index (lookups over the watch-fed caches). Both borrowed,
     * required, and must outlive the webhook; the index's functions run on service threads. */
    const mg_policy_config *policy;
    const mg_admission_index *index;
} mg_webhook_options;

int mg_webhook_new(const mg_webhook_options *opt, mg_webhook **out, mg_error *err);
int mg_webhook_start(mg_webhook *wh, mg_error *err);
int mg_webhook_port(const mg_webhook *wh);
/* /readyz answers 200 only after this was set true (caches synced). Thread-safe. */
void mg_webhook_set_ready(mg_webhook *wh, bool ready);
/* Counting hooks for the registry client and its tag cache. Thread-safe. result: "found",
 * "not_found" or "error". */
void mg_webhook_count_registry_lookup(mg_webhook *wh, const char *result);
void mg_webhook_count_tag_cache(mg_webhook *wh, bool hit);
mg_metrics *mg_webhook_metrics(mg_webhook *wh);
/* Graceful stop (in-flight requests finish, up to grace_ms), then free. NULL is fine. */
void mg_webhook_stop(mg_webhook *wh, int grace_ms);
void mg_webhook_free(mg_webhook *wh);

#endif
