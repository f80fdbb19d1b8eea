/* operator/collect — one evaluation's window of live traffic, gathered without blocking: every
 * ready pod's /metrics scraped at once into the ModelDeployment's operator/window
 * (monitoring.source: scrape), or the window's increases asked from Prometheus
 * (monitoring.source: prometheus, operator/prometheus).
 *
 * Owns: each collection in progress (its targets, its partial result) until its callback has
 * run. The requests go through the caller's operator/fetch engine, so the callback runs on the
 * thread that drives that engine, exactly once, after every request answered, failed or timed
 * out (each bounded by timeout_ms): a pod that hangs delays only its own ModelDeployment, by at
 * most the timeout. The window (scrape) is borrowed and must stay alive until the callback. */
#ifndef MG_OPERATOR_COLLECT_H
#define MG_OPERATOR_COLLECT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "operator/fetch.h"
#include "operator/window.h"
#include "promtext/promtext.h"

typedef struct mg_scrape_target {
    const char *pod; /* identity of the series source (pod uid or name) */
    const char *url; /* http://IP:PORT/path */
} mg_scrape_target;

typedef struct mg_collected {
    int rc;                  /* 0, or why no window could be had (Prometheus failed) */
    mg_model_metrics window; /* the window's sums (valid when rc == 0) */
    int targets, failed;     /* pods asked, pods that failed (scrape) */
    char problem[256];       /* the first failure, "" when none */
} mg_collected;

/* Called once when the collection is complete; c is borrowed for the call (the window's
 * contents may be moved out: set them to {0} after taking them). */
typedef void (*mg_collect_done_fn)(void *ud, mg_collected *c);

/* Scrapes targets (strings copied) concurrently (keeping the connections when keep_alive);
 * each reading goes into w under its pod, then the window closes at now_ms over window_ms. With
 * no target the window closes at once (the callback then runs before this returns). */
void mg_collect_scrape(mg_fetch *f, mg_window *w, const mg_scrape_target *targets, size_t n, long timeout_ms,
                       bool keep_alive, int64_t now_ms, int64_t window_ms, mg_collect_done_fn done, void *ud);
/* Asks base_url for the window's increases of the series matching selector over window_ms. */
void mg_collect_prometheus(mg_fetch *f, const char *base_url, const char *selector, int64_t window_ms,
                           long timeout_ms, mg_collect_done_fn done, void *ud);

#endif
