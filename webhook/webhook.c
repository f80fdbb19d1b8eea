#include "webhook/webhook.h"

#include <jansson.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "policy/review.h"
#include "webhook/review_load.h"

#define NS "modelgov_webhook"

struct mg_webhook {
    mg_http_server *srv;
    mg_metrics *metrics;
    atomic_bool ready;
    bool audit_json;
    const mg_policy_config *policy;  /* borrowed */
    const mg_admission_index *index; /* borrowed */
    mg_metric_family *m_requests, *m_duration, *m_lookups;
    mg_metric *m_ready;
    mg_metric *m_cache_hit, *m_cache_miss;
};

/* Latency buckets for an in-memory decision: 100 µs .. 1 s. */
static const double duration_buckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                          0.01,   0.025,   0.05,   0.1,   0.25,   1.0};

/* ---------------------------------------------------------------- audit lines */

/* Appends s JSON-escaped (without quotes) to out[*n..cap); false when it does not fit. */
static bool esc(char *out, size_t *n, size_t cap, const char *s) {
    size_t o = *n;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        const unsigned char *run = p;
        while (*p >= 0x20 && *p != '"' && *p != '\\')
            p++;
        size_t len = (size_t)(p - run);
        if (o + len + 8 > cap) return false;
        memcpy(out + o, run, len);
        o += len;
        if (!*p) break;
        if (*p == '"' || *p == '\\') {
            out[o++] = '\\';
            out[o++] = (char)*p;
        } else {
            o += (size_t)snprintf(out + o, cap - o, "\\u%04x", *p);
        }
        p++;
    }
    *n = o;
    return true;
}

/* One audit line per decision. With JSON logs it is formatted here (the same shape as
 * mg_log's JSON, one write(2)) because mg_log's generic escaping costs more than the decision;
 * text logs go through mg_log. */
static void audit(const mg_webhook *wh, const char *uid, const char *user, const char *op,
                  const char *resource, const char *ns, const char *name, const char *decision,
                  const char *reason, const char *rule, bool dry_run) {
    const char *dr = dry_run ? "true" : "false";
    if (wh->audit_json) {
        char line[4096], ts[40];
        mg_clock_rfc3339_ms(mg_clock_wall_ms(), ts, sizeof ts);
        size_t n = (size_t)snprintf(line, sizeof line,
                                    "{\"ts\":\"%s\",\"level\":\"info\",\"msg\":\"admission\"", ts);
        const char *kv[][2] = {{"uid", uid},           {"user", user},     {"operation", op},
                               {"resource", resource}, {"namespace", ns},  {"name", name},
                               {"decision", decision}, {"reason", reason}, {"rule", rule},
                               {"dryRun", dr}};
        bool fits = true;
        for (size_t i = 0; fits && i < sizeof kv / sizeof kv[0]; i++) {
            fits = n + strlen(kv[i][0]) + 8 < sizeof line;
            if (!fits) break;
            n += (size_t)snprintf(line + n, sizeof line - n, ",\"%s\":\"", kv[i][0]);
            fits = esc(line, &n, sizeof line - 4, kv[i][1] ? kv[i][1] : "");
            if (fits) line[n++] = '"';
        }
        if (fits) {
            line[n++] = '}';
            line[n++] = '\n';
            ssize_t ignored = write(STDERR_FILENO, line, n);
            (void)ignored; /* nowhere left to report a failed write to stderr */
            return;
        }
    }
    mg_log(MG_LOG_INFO, "admission", "uid", uid, "user", user, "operation", op, "resource", resource,
           "namespace", ns, "name", name, "decision", decision, "reason", reason, "dryRun", dr, NULL);
}

/* ---------------------------------------------------------------- /validate */

static void count(mg_webhook *wh, const char *decision, const char *resource, int64_t start_ns) {
    mg_metric_inc(mg_metric_with(wh->m_requests, decision, resource, NULL));
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
    mg_metric_observe(mg_metric_with(wh->m_duration, resource, NULL), (double)(now - start_ns) / 1e9);
}

/* Answers a malformed review: HTTP 400 and an AdmissionReview that says why. */
static void bad_request(mg_http_response *resp, const char *uid, const char *why) {
    json_t *out = json_pack("{s:s,s:s,s:{s:s,s:b,s:{s:i,s:s,s:s}}}", "apiVersion", "admission.k8s.io/v1",
                            "kind", "AdmissionReview", "response", "uid", uid ? uid : "", "allowed", 0,
                            "status", "code", 400, "reason", "BadRequest", "message", why);
    char *text = json_dumps(out, JSON_COMPACT);
    json_decref(out);
    mg_http_response_set(resp, 400, "application/json", text, strlen(text));
    free(text);
}

/* Content-Type must be application/json (parameters such as charset allowed). */
static bool json_content_type(const char *ct) {
    size_t n = strlen("application/json");
    return !strncasecmp(ct, "application/json", n) && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* /validate and /mutate: the same parsing, then mg_admission_decide or mg_admission_mutate. */
static void answer_review(const mg_http_request *req, mg_http_response *resp, mg_webhook *wh, bool mutate) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t start_ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
    char why[600];
    mg_admission_request ar;
    memset(&ar, 0, sizeof ar);

    if (!json_content_type(req->content_type)) {
        snprintf(why, sizeof why, "Content-Type %s is not accepted: send application/json",
                 req->content_type[0] ? req->content_type : "(none)");
        goto malformed;
    }
    if (req->body_len == 0) {
        snprintf(why, sizeof why, "request body is empty: expected an AdmissionReview");
        goto malformed;
    }
    json_t *root = NULL;
    mg_error perr;
    if (mg_review_load(req->body, req->body_len, &root, &perr) != 0) {
        snprintf(why, sizeof why, "request body is not valid JSON: %s", perr.message);
        goto malformed;
    }
    if (mg_admission_review_from_json(root, &ar, &perr) != 0) {
        snprintf(why, sizeof why, "%s", perr.message);
        goto malformed;
    }
    char rlabel[160];
    snprintf(rlabel, sizeof rlabel, "%.64s%s%.64s", ar.resource, ar.subresource[0] ? "/" : "",
             ar.subresource);

    mg_admission_decision d;
    mg_admission_decision_init(&d);
    mg_admission_input in = {.req = &ar, .cfg = wh->policy, .index = wh->index, .group = NULL};
    if (mutate)
        mg_admission_mutate(&in, &d);
    else
        mg_admission_decide(&in, &d);
    char *text = mg_admission_response_json(ar.uid, &d);
    mg_http_response_set(resp, 200, "application/json", text, strlen(text));
    free(text);
    const char *decision = mutate ? (d.patch ? "pinned" : "unchanged") : d.allowed ? "allowed" : "denied";
    count(wh, decision, rlabel, start_ns);
    audit(wh, ar.uid, ar.username, ar.operation, rlabel, ar.namespace_, ar.name, decision,
          d.message ? d.message : "", d.rule ? d.rule : "", ar.dry_run);
    mg_admission_decision_free(&d);
    mg_admission_request_free(&ar);
    return;

malformed:
    bad_request(resp, ar.uid, why);
    count(wh, "error", "unknown", start_ns);
    mg_log(MG_LOG_WARN, "admission: malformed review", "uid", ar.uid ? ar.uid : "", "decision", "error",
           "reason", why, NULL);
    mg_admission_request_free(&ar);
}

static void handle_validate(const mg_http_request *req, mg_http_response *resp, void *arg) {
    answer_review(req, resp, arg, false);
}

static void handle_mutate(const mg_http_request *req, mg_http_response *resp, void *arg) {
    answer_review(req, resp, arg, true);
}

/* ---------------------------------------------------------------- health and metrics */

static void handle_healthz(const mg_http_request *req, mg_http_response *resp, void *arg) {
    (void)req;
    (void)arg;
    mg_http_response_set(resp, 200, "text/plain; charset=utf-8", "ok\n", 3);
}

static void handle_readyz(const mg_http_request *req, mg_http_response *resp, void *arg) {
    (void)req;
    mg_webhook *wh = arg;
    if (atomic_load(&wh->ready))
        mg_http_response_set(resp, 200, "text/plain; charset=utf-8", "ok\n", 3);
    else
        mg_http_response_set(resp, 503, "text/plain; charset=utf-8", "caches not synced yet\n", 22);
}

static void handle_metrics(const mg_http_request *req, mg_http_response *resp, void *arg) {
    (void)req;
    mg_webhook *wh = arg;
    snprintf(resp->content_type, sizeof resp->content_type, "%s", MG_METRICS_CONTENT_TYPE);
    if (mg_metrics_render(wh->metrics, &resp->body) != 0)
        mg_http_response_set(resp, 500, "text/plain; charset=utf-8", "metrics too large\n", 18);
}

static double hit_ratio(void *arg) {
    mg_webhook *wh = arg;
    double h = mg_metric_value(wh->m_cache_hit), m = mg_metric_value(wh->m_cache_miss);
    return h + m > 0 ? h / (h + m) : NAN;
}

/* ---------------------------------------------------------------- lifecycle */

int mg_webhook_new(const mg_webhook_options *opt, mg_webhook **out, mg_error *err) {
    *out = NULL;
    mg_webhook *wh = mg_xcalloc(1, sizeof *wh);
    wh->audit_json = opt->audit_json;
    wh->policy = opt->policy;
    wh->index = opt->index;
    wh->metrics = mg_metrics_new();
    const char *req_labels[] = {"decision", "resource", NULL};
    const char *res_labels[] = {"resource", NULL};
    const char *result[] = {"result", NULL};
    wh->m_requests =
        mg_metrics_counter(wh->metrics, NS "_admission_requests_total",
                           "AdmissionReview requests answered, by decision and resource.", req_labels);
    wh->m_duration =
        mg_metrics_histogram(wh->metrics, NS "_admission_duration_seconds",
                             "Time to decide one AdmissionReview, from body to response.", res_labels,
                             duration_buckets, sizeof duration_buckets / sizeof duration_buckets[0]);
    wh->m_lookups = mg_metrics_counter(wh->metrics, NS "_registry_lookups_total",
                                       "Registry tag-to-digest lookups, by result.", result);
    mg_metric_family *cache = mg_metrics_counter(wh->metrics, NS "_tag_cache_requests_total",
                                                 "Tag-to-digest cache requests, by result.", result);
    wh->m_cache_hit = mg_metric_with(cache, "hit", NULL);
    wh->m_cache_miss = mg_metric_with(cache, "miss", NULL);
    mg_metrics_func(wh->metrics, MG_METRIC_GAUGE, NS "_tag_cache_hit_ratio",
                    "Share of tag-to-digest cache requests answered from the cache.", hit_ratio, wh);
    wh->m_ready =
        mg_metric_with(mg_metrics_gauge(wh->metrics, NS "_ready",
                                        "1 when the caches have synced and decisions are served.", NULL),
                       NULL);
    mg_http_server_config cfg = {
        .listen = opt->listen,
        .tls_cert_file = opt->tls_cert,
        .tls_key_file = opt->tls_key,
        .threads = opt->threads,
        .max_body_bytes = opt->max_body ? opt->max_body : MG_WEBHOOK_MAX_BODY,
        .max_inflight_body_bytes = MG_WEBHOOK_INFLIGHT_BODY_MAX,
        .workers = MG_WEBHOOK_WORKERS,
        .cert_poll_ms = opt->cert_poll_ms,
        .metrics = wh->metrics,
        .metrics_namespace = NS,
    };
    int rc = mg_http_server_new(&cfg, &wh->srv, err);
    if (!rc) rc = mg_http_server_route_blocking(wh->srv, "POST", "/validate", handle_validate, wh);
    if (!rc) rc = mg_http_server_route_blocking(wh->srv, "POST", "/mutate", handle_mutate, wh);
    if (!rc) rc = mg_http_server_route(wh->srv, "GET", "/healthz", handle_healthz, wh);
    if (!rc) rc = mg_http_server_route(wh->srv, "GET", "/readyz", handle_readyz, wh);
    if (!rc) rc = mg_http_server_route(wh->srv, "GET", "/metrics", handle_metrics, wh);
    if (rc) {
        mg_webhook_free(wh);
        return rc;
    }
    *out = wh;
    return 0;
}

int mg_webhook_start(mg_webhook *wh, mg_error *err) { return mg_http_server_start(wh->srv, err); }
int mg_webhook_port(const mg_webhook *wh) { return mg_http_server_port(wh->srv); }

void mg_webhook_set_ready(mg_webhook *wh, bool ready) {
    atomic_store(&wh->ready, ready);
    mg_metric_set(wh->m_ready, ready ? 1 : 0);
}

void mg_webhook_count_registry_lookup(mg_webhook *wh, const char *result) {
    mg_metric_inc(mg_metric_with(wh->m_lookups, result, NULL));
}

void mg_webhook_count_tag_cache(mg_webhook *wh, bool hit) {
    mg_metric_inc(hit ? wh->m_cache_hit : wh->m_cache_miss);
}

mg_metrics *mg_webhook_metrics(mg_webhook *wh) { return wh->metrics; }

void mg_webhook_stop(mg_webhook *wh, int grace_ms) {
    if (wh) mg_http_server_stop(wh->srv, grace_ms);
}

void mg_webhook_free(mg_webhook *wh) {
    if (!wh) return;
    mg_http_server_free(wh->srv);
    mg_metrics_free(wh->metrics);
    free(wh);
}
