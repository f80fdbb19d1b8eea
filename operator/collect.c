#include "operator/collect.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"

/* ---- scraping ------------------------------------------------------------------------------- */

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
    mg_buf *b = ud;
    return mg_buf_append(b, p, size * n) == 0 ? size * n : 0; /* 0 aborts the transfer at the cap */
}

void mg_scrape_all(const mg_scrape_target *targets, size_t n, long timeout_ms, size_t max_bytes,
                   mg_scrape_result *out) {
    memset(out, 0, n * sizeof(*out));
    if (!n) return;
    CURLM *multi = curl_multi_init();
    CURL **easy = mg_xcalloc(n, sizeof(*easy));
    mg_buf *bodies = mg_xcalloc(n, sizeof(*bodies));
    for (size_t i = 0; i < n; i++) {
        mg_buf_init(&bodies[i], max_bytes ? max_bytes : 16u << 20);
        easy[i] = curl_easy_init();
        curl_easy_setopt(easy[i], CURLOPT_URL, targets[i].url);
        curl_easy_setopt(easy[i], CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(easy[i], CURLOPT_WRITEDATA, &bodies[i]);
        curl_easy_setopt(easy[i], CURLOPT_TIMEOUT_MS, timeout_ms);
        curl_easy_setopt(easy[i], CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
        curl_easy_setopt(easy[i], CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(easy[i], CURLOPT_USERAGENT, "modelgov-operator");
        curl_easy_setopt(easy[i], CURLOPT_HTTPHEADER, NULL);
        curl_easy_setopt(easy[i], CURLOPT_PRIVATE, (char *)(uintptr_t)i);
        curl_multi_add_handle(multi, easy[i]);
    }
    int running = 1;
    while (running) {
        if (curl_multi_perform(multi, &running) != CURLM_OK) break;
        if (running) curl_multi_poll(multi, NULL, 0, 200, NULL);
    }
    for (CURLMsg *msg; (msg = curl_multi_info_read(multi, &(int){0}));) {
        if (msg->msg != CURLMSG_DONE) continue;
        char *priv = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
        size_t i = (size_t)(uintptr_t)priv;
        long code = 0;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
        if (msg->data.result != CURLE_OK) {
            out[i].rc = msg->data.result == CURLE_OPERATION_TIMEDOUT ? MG_ETIMEOUT
                        : msg->data.result == CURLE_WRITE_ERROR      ? MG_ETOOBIG
                                                                     : MG_ECONNECT;
            snprintf(out[i].error, sizeof(out[i].error), "scraping %s: %s", targets[i].url,
                     curl_easy_strerror(msg->data.result));
        } else if (code != 200) {
            out[i].rc = MG_EHTTP;
            snprintf(out[i].error, sizeof(out[i].error), "scraping %s: HTTP %ld", targets[i].url, code);
        } else {
            mg_error err;
            out[i].rc = mg_model_metrics_parse(bodies[i].data ? bodies[i].data : "", bodies[i].len, NULL,
                                               &out[i].metrics, &err);
            if (out[i].rc)
                snprintf(out[i].error, sizeof(out[i].error), "scraping %s: %s", targets[i].url, err.message);
        }
        /* mark done so the loop below can tell untouched entries */
        easy[i] =
            (curl_multi_remove_handle(multi, msg->easy_handle), curl_easy_cleanup(msg->easy_handle), NULL);
    }
    for (size_t i = 0; i < n; i++) {
        if (easy[i]) { /* never completed (multi failed): report it */
            curl_multi_remove_handle(multi, easy[i]);
            curl_easy_cleanup(easy[i]);
            out[i].rc = MG_EIO;
            snprintf(out[i].error, sizeof(out[i].error), "scraping %s: transfer did not complete",
                     targets[i].url);
        }
        mg_buf_free(&bodies[i]);
    }
    free(bodies);
    free(easy);
    curl_multi_cleanup(multi);
}

void mg_scrape_results_free(mg_scrape_result *r, size_t n) {
    for (size_t i = 0; i < n; i++)
        mg_model_metrics_free(&r[i].metrics);
}

/* ---- the sliding window ----------------------------------------------------------------------- */

typedef struct pod_reading {
    char *pod;
    mg_model_metrics last;
    int64_t seen_ms;
} pod_reading;

typedef struct tick {
    int64_t time_ms;
    mg_model_metrics increase;
} tick;

struct mg_window {
    pod_reading *pods;
    size_t npods;
    tick *ticks;
    size_t nticks;
    mg_model_metrics pending;
};

mg_window *mg_window_new(void) { return mg_xcalloc(1, sizeof(mg_window)); }

void mg_window_free(mg_window *w) {
    if (!w) return;
    for (size_t i = 0; i < w->npods; i++) {
        free(w->pods[i].pod);
        mg_model_metrics_free(&w->pods[i].last);
    }
    for (size_t i = 0; i < w->nticks; i++)
        mg_model_metrics_free(&w->ticks[i].increase);
    mg_model_metrics_free(&w->pending);
    free(w->pods);
    free(w->ticks);
    free(w);
}

void mg_window_observe(mg_window *w, const char *pod, const mg_model_metrics *reading, int64_t now_ms) {
    pod_reading *p = NULL;
    for (size_t i = 0; i < w->npods; i++)
        if (!strcmp(w->pods[i].pod, pod)) p = &w->pods[i];
    if (!p) { /* first reading: only the baseline */
        w->pods = mg_xrealloc(w->pods, (w->npods + 1) * sizeof(*w->pods));
        p = &w->pods[w->npods++];
        memset(p, 0, sizeof(*p));
        p->pod = mg_xstrdup(pod);
    } else {
        mg_model_metrics delta = {0};
        mg_model_metrics_delta(&p->last, reading, &delta);
        mg_model_metrics_add(&w->pending, &delta); /* a feature whose buckets changed shape is skipped */
        mg_model_metrics_free(&delta);
    }
    mg_model_metrics_copy(&p->last, reading);
    p->seen_ms = now_ms;
}

size_t mg_window_tick(mg_window *w, int64_t now_ms, int64_t window_ms, mg_model_metrics *out) {
    w->ticks = mg_xrealloc(w->ticks, (w->nticks + 1) * sizeof(*w->ticks));
    w->ticks[w->nticks].time_ms = now_ms;
    w->ticks[w->nticks].increase = w->pending;
    memset(&w->pending, 0, sizeof(w->pending));
    w->nticks++;
    size_t drop = 0;
    while (drop < w->nticks && w->ticks[drop].time_ms <= now_ms - window_ms) {
        mg_model_metrics_free(&w->ticks[drop].increase);
        drop++;
    }
    memmove(w->ticks, w->ticks + drop, (w->nticks - drop) * sizeof(*w->ticks));
    w->nticks -= drop;
    /* forget pods not seen for a whole window: they are gone */
    size_t keep = 0;
    for (size_t i = 0; i < w->npods; i++) {
        if (w->pods[i].seen_ms > now_ms - window_ms) {
            w->pods[keep++] = w->pods[i];
        } else {
            free(w->pods[i].pod);
            mg_model_metrics_free(&w->pods[i].last);
        }
    }
    w->npods = keep;
    mg_model_metrics_free(out);
    for (size_t i = 0; i < w->nticks; i++)
        mg_model_metrics_add(out, &w->ticks[i].increase);
    return w->nticks;
}

/* ---- Prometheus HTTP API ------------------------------------------------------------------------ */

static int prom_query(CURL *curl, const char *base_url, const char *query, long timeout_ms, json_t **out,
                      mg_error *err) {
    char *q = curl_easy_escape(curl, query, 0);
    char *url = mg_xasprintf("%s/api/v1/query?query=%s", base_url, q);
    curl_free(q);
    mg_buf body;
    mg_buf_init(&body, 64u << 20);
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    CURLcode cc = curl_easy_perform(curl);
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    int rc = 0;
    if (cc != CURLE_OK) {
        rc = mg_error_set(err, MG_ECONNECT, "prometheus %s: %s", base_url, curl_easy_strerror(cc));
    } else {
        json_error_t jerr;
        json_t *doc = json_loadb(body.data ? body.data : "", body.len, 0, &jerr);
        const char *status = json_string_value(json_object_get(doc, "status"));
        if (!doc || !status) {
            rc = mg_error_set(err, MG_EPARSE, "prometheus %s: HTTP %ld, answer is not the API's JSON",
                              base_url, code);
        } else if (strcmp(status, "success")) {
            const char *e = json_string_value(json_object_get(doc, "error"));
            rc = mg_error_set(err, MG_EHTTP, "prometheus %s: query failed: %s", base_url, e ? e : status);
        } else {
            *out = json_incref(json_object_get(json_object_get(doc, "data"), "result"));
        }
        json_decref(doc);
    }
    mg_buf_free(&body);
    free(url);
    return rc;
}

/* Feeds a vector result into the contract collector as if it had been scraped. */
static void feed_vector(const json_t *result, const char *name, mg_model_metrics *out) {
    size_t i;
    json_t *r;
    json_array_foreach(result, i, r) {
        json_t *metric = json_object_get(r, "metric");
        const char *v = json_string_value(json_array_get(json_object_get(r, "value"), 1));
        if (!v) continue;
        mg_prom_label labels[8];
        size_t nl = 0;
        const char *k;
        json_t *lv;
        json_object_foreach(metric, k, lv) {
            if (nl < 8 && json_is_string(lv)) labels[nl++] = (mg_prom_label){k, json_string_value(lv)};
        }
        mg_prom_sample s = {
            .name = name, .labels = labels, .nlabels = nl, .value = strtod(v, NULL), .type = MG_PROM_UNTYPED};
        mg_model_metrics_on_sample(&s, out);
    }
}

int mg_prometheus_window(const char *base_url, const char *selector, const char *window, long timeout_ms,
                         mg_model_metrics *out, mg_error *err) {
    static const struct {
        const char *metric, *by;
    } q[] = {
        {"modelgov_feature_bucket", "feature, le"},
        {"modelgov_feature_count", "feature"},
        {"modelgov_predictions_total", "attribute, group, prediction"},
        {"modelgov_feedback_total", "attribute, group, actual, predicted"},
    };
    mg_model_metrics_free(out);
    CURL *curl = curl_easy_init();
    int rc = 0;
    for (size_t i = 0; i < sizeof(q) / sizeof(q[0]) && rc == 0; i++) {
        char *query = mg_xasprintf("sum by (%s) (increase(%s%s[%s]))", q[i].by, q[i].metric,
                                   selector && *selector ? selector : "", window);
        json_t *result = NULL;
        rc = prom_query(curl, base_url, query, timeout_ms, &result, err);
        free(query);
        if (rc == 0) feed_vector(result, q[i].metric, out);
        json_decref(result);
    }
    curl_easy_cleanup(curl);
    if (rc) mg_model_metrics_free(out);
    return rc;
}
