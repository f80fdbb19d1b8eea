#include "operator/alerts.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"

static void set_if(json_t *obj, const char *key, const char *value) {
    if (value && *value) json_object_set_new(obj, key, json_string(value));
}

json_t *mg_alert_json(const mg_alert_fields *f) {
    json_t *labels = json_object();
    set_if(labels, "alertname", f->alertname);
    set_if(labels, "namespace", f->namespace);
    set_if(labels, "modeldeployment", f->modeldeployment);
    set_if(labels, "model", f->model);
    set_if(labels, "version", f->version);
    set_if(labels, "metric", f->metric);
    set_if(labels, "subject", f->subject);
    set_if(labels, "severity", f->severity);
    char value[64], threshold[64];
    snprintf(value, sizeof(value), "%.6g", f->value);
    snprintf(threshold, sizeof(threshold), "%.6g", f->threshold);
    json_t *ann = json_pack("{s:s, s:s}", "value", value, "threshold", threshold);
    set_if(ann, "summary", f->summary);
    json_t *a = json_pack("{s:o, s:o}", "labels", labels, "annotations", ann);
    set_if(a, "startsAt", f->starts_at);
    set_if(a, "endsAt", f->ends_at);
    set_if(a, "generatorURL", f->generator_url);
    return a;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
    return mg_buf_append(ud, p, size * n) == 0 ? size * n : 0;
}

int mg_alerts_post(const char *base_url, const json_t *alerts, long timeout_ms, mg_error *err) {
    char *url = mg_xasprintf("%s/api/v2/alerts", base_url);
    char *body = json_dumps(alerts, JSON_COMPACT);
    mg_buf resp;
    mg_buf_init(&resp, 64 * 1024);
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    CURLcode cc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    int rc = 0;
    if (cc != CURLE_OK)
        rc = mg_error_set(err, MG_ECONNECT, "alertmanager %s: %s", base_url, curl_easy_strerror(cc));
    else if (code < 200 || code > 299) {
        rc = mg_error_set(err, MG_EHTTP, "alertmanager %s: HTTP %ld: %.300s", base_url, code,
                          resp.data ? resp.data : "");
        if (err) {
            err->http_status = (int)code;
            err->retryable = code >= 500;
        }
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    mg_buf_free(&resp);
    free(body);
    free(url);
    return rc;
}
