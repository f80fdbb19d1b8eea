/* operator/collect — the live traffic of a ModelDeployment over a sliding window, from the
 * model servers' /metrics (monitoring.source: scrape) or from a Prometheus server
 * (monitoring.source: prometheus).
 *
 * Owns: mg_window (one per ModelDeployment, owned by its caller): the last reading of each pod
 * and a ring of per-tick increases. Each tick the caller scrapes every ready pod, feeds each
 * reading with mg_window_observe (the increase since that pod's previous reading is taken series
 * by series, counter resets handled by mg_model_metrics_delta; a pod's first reading only sets
 * its baseline, as Prometheus' increase() does), then mg_window_tick closes the tick and returns
 * the sum over the last `window`. Pods that come and go are handled: a vanished pod's past
 * increases stay in the window until they age out, and its last reading is forgotten. Not
 * thread-safe: one window, one thread at a time.
 *
 * mg_scrape_all fetches many pods concurrently (libcurl multi), each bounded by a timeout, and
 * never fails as a whole: each target gets its own result. */
#ifndef MG_OPERATOR_COLLECT_H
#define MG_OPERATOR_COLLECT_H
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "promtext/promtext.h"

typedef struct mg_scrape_target {
    const char *pod; /* identity of the series source (pod uid or name) */
    const char *url; /* http://IP:PORT/path */
} mg_scrape_target;

typedef struct mg_scrape_result {
    int rc;                   /* 0 or an MG_E* code */
    mg_model_metrics metrics; /* valid when rc == 0; free with mg_model_metrics_free */
    char error[256];
} mg_scrape_result;

/* Scrapes n targets concurrently; out has n entries (zero-initialised by the call). Responses
 * are capped at max_bytes (0: 16 MiB). */
void mg_scrape_all(const mg_scrape_target *targets, size_t n, long timeout_ms, size_t max_bytes,
                   mg_scrape_result *out);
void mg_scrape_results_free(mg_scrape_result *r, size_t n);

typedef struct mg_window mg_window;
mg_window *mg_window_new(void);
void mg_window_free(mg_window *w);
/* Adds the increase of pod's counters since its previous reading to the current tick. */
void mg_window_observe(mg_window *w, const char *pod, const mg_model_metrics *reading, int64_t now_ms);
/* Closes the current tick at now_ms, drops ticks older than window_ms and writes the sum of the
 * remaining ticks into *out (old contents freed). Returns the number of ticks in the window. */
size_t mg_window_tick(mg_window *w, int64_t now_ms, int64_t window_ms, mg_model_metrics *out);

/* monitoring.source prometheus: the same window sums from a Prometheus server's HTTP API,
 * `sum by (...) (increase(<metric><selector>[<window>]))` for each contract metric. selector is
 * a PromQL label matcher set like `{namespace="ns", pod=~"name-.*"}`; window a PromQL duration.
 * Fills *out (old contents freed). */
int mg_prometheus_window(const char *base_url, const char *selector, const char *window, long timeout_ms,
                         mg_model_metrics *out, mg_error *err);

#endif
