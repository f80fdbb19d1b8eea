/* operator/prometheus — see prometheus.h. */
#include "operator/prometheus.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"

static const struct {
    const char *metric, *by;
} QUERIES[MG_PROM_QUERIES] = {
    {"modelgov_feature_bucket", "feature, le"},
    {"modelgov_feature_count", "feature"},
    {"modelgov_predictions_total", "attribute, group, prediction"},
    {"modelgov_feedback_total", "attribute, group, actual, predicted"},
};

/* The contract carries at most this many labels on a series (feedback: 4). */
#define MAX_LABELS 8

static void append_escaped(mg_buf *b, const char *s) {
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p)) {
            mg_buf_append(b, p, 1);
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            mg_buf_append(b, e, 3);
        }
    }
}

char *mg_prom_query_url(const char *base_url, const char *selector, const char *window, int i) {
    size_t blen = strlen(base_url);
    while (blen && base_url[blen - 1] == '/')
        blen--;
    char *query = mg_xasprintf("sum by (%s) (increase(%s%s[%s]))", QUERIES[i].by, QUERIES[i].metric,
                               selector && *selector ? selector : "", window);
    mg_buf b;
    mg_buf_init(&b, (size_t)-1);
    mg_buf_printf(&b, "%.*s/api/v1/query?query=", (int)blen, base_url);
    append_escaped(&b, query);
    free(query);
    return mg_buf_steal(&b);
}

/* Feeds a vector result into the contract collector as if it had been scraped. */
static void feed_vector(const json_t *result, const char *name, mg_model_metrics *out) {
    size_t i;
    json_t *r;
    json_array_foreach(result, i, r) {
        json_t *metric = json_object_get(r, "metric");
        const char *v = json_string_value(json_array_get(json_object_get(r, "value"), 1));
        if (!v) continue;
        mg_prom_label labels[MAX_LABELS];
        size_t nl = 0;
        const char *k;
        json_t *lv;
        json_object_foreach(metric, k, lv) {
            if (nl < MAX_LABELS && json_is_string(lv))
                labels[nl++] = (mg_prom_label){k, json_string_value(lv)};
        }
        mg_prom_sample s = {
            .name = name, .labels = labels, .nlabels = nl, .value = strtod(v, NULL), .type = MG_PROM_UNTYPED};
        mg_model_metrics_on_sample(&s, out);
    }
}

int mg_prom_answer_add(int i, const char *body, size_t len, mg_model_metrics *out, mg_error *err) {
    json_error_t jerr;
    json_t *doc = json_loadb(body ? body : "", len, 0, &jerr);
    const char *status = json_string_value(json_object_get(doc, "status"));
    int rc = 0;
    if (!doc || !status) {
        rc = mg_error_set(err, MG_EPARSE, "prometheus: the answer is not the HTTP API's JSON");
    } else if (strcmp(status, "success")) {
        const char *e = json_string_value(json_object_get(doc, "error"));
        rc = mg_error_set(err, MG_EHTTP, "prometheus: query failed: %s", e ? e : status);
    } else {
        feed_vector(json_object_get(json_object_get(doc, "data"), "result"), QUERIES[i].metric, out);
    }
    json_decref(doc);
    return rc;
}
