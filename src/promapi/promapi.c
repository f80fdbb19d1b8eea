#include "promapi/promapi.h"

#include <curl/curl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/curlpool.h"
#include "core/mem.h"

/* 10000-01-01T00:00:00Z in Unix seconds: the first time RFC 3339 cannot write. */
#define YEAR_10000_S 253402300800.0

void mg_prom_matrix_free(mg_prom_matrix *m) {
    if (!m) return;
    for (size_t i = 0; i < m->n; i++) {
        json_decref(m->series[i].labels);
        free(m->series[i].t_ms);
        free(m->series[i].v);
    }
    free(m->series);
    m->series = NULL;
    m->n = 0;
}

/* A sample value as Prometheus writes it: a decimal, "NaN", "+Inf" or "-Inf". */
static int parse_value(const char *s, double *out) {
    if (!s || !*s) return -1;
    char *end = NULL;
    *out = strtod(s, &end);
    return *end ? -1 : 0;
}

/* One [time, "value"] pair. */
static int parse_point(const json_t *p, int64_t *t_ms, double *v) {
    if (!json_is_array(p) || json_array_size(p) != 2) return -1;
    json_t *t = json_array_get(p, 0);
    if (!json_is_number(t)) return -1;
    double secs = json_number_value(t);
    /* a time before 1970 or past year 9999 is no Prometheus timestamp */
    if (!(secs >= 0 && secs < YEAR_10000_S)) return -1;
    *t_ms = (int64_t)llround(secs * MG_MS_PER_S);
    return parse_value(json_string_value(json_array_get(p, 1)), v);
}

static int parse_series(const json_t *r, size_t idx, mg_prom_series *s, mg_error *err) {
    json_t *metric = json_object_get(r, "metric"), *values = json_object_get(r, "values");
    if (!json_is_object(metric) || !json_is_array(values))
        return mg_error_set(err, MG_EPARSE,
                            "prometheus answer: result[%zu] has no metric object or values array", idx);
    const char *k;
    json_t *lv;
    json_object_foreach(metric, k, lv) {
        if (!json_is_string(lv))
            return mg_error_set(err, MG_EPARSE, "prometheus answer: result[%zu] label %s is not a string",
                                idx, k);
    }
    size_t n = json_array_size(values);
    if (n > MG_PROM_MAX_POINTS)
        return mg_error_set(err, MG_ETOOBIG, "prometheus answer: result[%zu] has %zu points (at most %d)",
                            idx, n, MG_PROM_MAX_POINTS);
    s->labels = json_incref(metric);
    s->t_ms = mg_xcalloc(n ? n : 1, sizeof *s->t_ms);
    s->v = mg_xcalloc(n ? n : 1, sizeof *s->v);
    for (size_t i = 0; i < n; i++) {
        if (parse_point(json_array_get(values, i), &s->t_ms[i], &s->v[i]))
            return mg_error_set(err, MG_EPARSE,
                                "prometheus answer: result[%zu] point %zu is not [unix-seconds, \"value\"]",
                                idx, i);
        s->n++;
    }
    return 0;
}

/* The data member of a successful answer. */
static int parse_data(const json_t *data, mg_prom_matrix *out, mg_error *err) {
    const char *type = json_string_value(json_object_get(data, "resultType"));
    json_t *result = json_object_get(data, "result");
    if (!type || !json_is_array(result))
        return mg_error_set(err, MG_EPARSE, "prometheus answer: data has no resultType or result array");
    if (strcmp(type, "matrix"))
        return mg_error_set(err, MG_EPARSE, "prometheus answer: resultType %.32s, want matrix", type);
    size_t n = json_array_size(result);
    if (n > MG_PROM_MAX_SERIES)
        return mg_error_set(err, MG_ETOOBIG, "prometheus answer: %zu series (at most %d)", n,
                            MG_PROM_MAX_SERIES);
    out->series = mg_xcalloc(n ? n : 1, sizeof *out->series);
    for (size_t i = 0; i < n; i++) {
        json_t *r = json_array_get(result, i);
        out->n++;
        int rc = parse_series(r, i, &out->series[i], err);
        if (rc) return rc;
    }
    return 0;
}

int mg_prom_parse_matrix(const char *body, size_t len, mg_prom_matrix *out, mg_error *err) {
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    json_t *doc = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc)
        return mg_error_set(err, MG_EPARSE, "prometheus answer is not JSON: %s (line %d)", jerr.text,
                            jerr.line);
    const char *status = json_string_value(json_object_get(doc, "status"));
    int rc;
    if (!status) {
        rc = mg_error_set(err, MG_EPARSE, "prometheus answer has no status");
    } else if (!strcmp(status, "error")) {
        const char *etype = json_string_value(json_object_get(doc, "errorType"));
        const char *e = json_string_value(json_object_get(doc, "error"));
        rc = mg_error_set(err, MG_EHTTP, "prometheus: %s: %s", etype ? etype : "error",
                          e ? e : "(no message)");
    } else if (strcmp(status, "success")) {
        rc = mg_error_set(err, MG_EPARSE, "prometheus answer: status %.32s", status);
    } else {
        rc = parse_data(json_object_get(doc, "data"), out, err);
    }
    json_decref(doc);
    if (rc) mg_prom_matrix_free(out);
    return rc;
}

/* ---- HTTP ---- */

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
    /* a failed append (over the cap) makes libcurl stop with CURLE_WRITE_ERROR */
    return mg_buf_append(ud, p, size * n) ? 0 : size * n;
}

static char *range_url(CURL *curl, const char *base_url, const char *query, int64_t start_ms, int64_t end_ms,
                       int64_t step_ms) {
    char *q = curl_easy_escape(curl, query, 0);
    size_t bl = strlen(base_url);
    while (bl && base_url[bl - 1] == '/')
        bl--;
    char *url = mg_xasprintf("%.*s/api/v1/query_range?query=%s&start=%.3f&end=%.3f&step=%.3f", (int)bl,
                             base_url, q, (double)start_ms / MG_MS_PER_S, (double)end_ms / MG_MS_PER_S,
                             (double)step_ms / MG_MS_PER_S);
    curl_free(q);
    return url;
}

int mg_prom_query_range(const char *base_url, const char *query, int64_t start_ms, int64_t end_ms,
                        int64_t step_ms, long timeout_ms, mg_prom_matrix *out, mg_error *err) {
    memset(out, 0, sizeof *out);
    mg_curl_global_init();
    CURL *curl = curl_easy_init();
    if (!curl) abort(); /* libcurl could not allocate: out of memory, the project's policy */
    char *url = range_url(curl, base_url, query, start_ms, end_ms, step_ms);
    mg_buf body;
    mg_buf_init(&body, MG_PROM_MAX_BODY);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "kubectl-modelgov");
    CURLcode cc = curl_easy_perform(curl);
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    int rc;
    if (cc == CURLE_WRITE_ERROR) {
        rc = mg_error_set(err, MG_ETOOBIG, "prometheus %s: answer larger than %u bytes", base_url,
                          MG_PROM_MAX_BODY);
    } else if (cc != CURLE_OK) {
        rc = mg_error_set(err, MG_ECONNECT, "prometheus %s: %s", base_url, curl_easy_strerror(cc));
    } else {
        /* 4xx/5xx answers of the API carry the error JSON; the parser reports its message */
        rc = mg_prom_parse_matrix(body.data, body.len, out, err);
        if (rc == MG_EPARSE && (code < 200 || code > 299))
            rc = mg_error_set(err, MG_EHTTP, "prometheus %s: HTTP %ld", base_url, code);
        if (rc) mg_error_wrap(err, "query %s", query);
    }
    mg_buf_free(&body);
    free(url);
    curl_easy_cleanup(curl);
    return rc;
}
