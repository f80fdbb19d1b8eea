/* operator/collect — see collect.h. A collection counts its outstanding requests; the last
 * answer closes it. */
#include "operator/collect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "operator/prometheus.h"

typedef struct collection collection;

typedef struct part {
    collection *c;
    int index; /* Prometheus: the query */
    char *pod; /* scrape: the series source */
} part;

struct collection {
    mg_window *w; /* scrape; NULL for Prometheus */
    int64_t now_ms, window_ms;
    int pending;
    part *parts;
    size_t nparts;
    mg_collected out;
    mg_collect_done_fn done;
    void *ud;
};

static void note(collection *c, const char *problem) {
    if (!c->out.problem[0]) snprintf(c->out.problem, sizeof(c->out.problem), "%s", problem);
}

static void close_collection(collection *c) {
    if (c->w) mg_window_tick(c->w, c->now_ms, c->window_ms, &c->out.window);
    c->done(c->ud, &c->out);
    mg_model_metrics_free(&c->out.window);
    for (size_t i = 0; i < c->nparts; i++)
        free(c->parts[i].pod);
    free(c->parts);
    free(c);
}

static void on_scrape(void *ud, const mg_fetch_result *r) {
    part *p = ud;
    collection *c = p->c;
    mg_error err;
    if (r->rc == 0) {
        if (mg_window_observe_text(c->w, p->pod, r->body, r->len, c->now_ms, &err)) {
            c->out.failed++;
            char msg[300];
            snprintf(msg, sizeof(msg), "pod %.60s: %.200s", p->pod, err.message);
            note(c, msg);
        }
    } else {
        c->out.failed++;
        note(c, r->error);
    }
    if (--c->pending == 0) close_collection(c);
}

void mg_collect_scrape(mg_fetch *f, mg_window *w, const mg_scrape_target *targets, size_t n, long timeout_ms,
                       bool keep_alive, int64_t now_ms, int64_t window_ms, mg_collect_done_fn done,
                       void *ud) {
    collection *c = mg_xcalloc(1, sizeof(*c));
    *c = (collection){.w = w, .now_ms = now_ms, .window_ms = window_ms, .done = done, .ud = ud};
    c->out.targets = (int)n;
    if (!n) {
        close_collection(c);
        return;
    }
    c->parts = mg_xcalloc(n, sizeof(part));
    c->nparts = n;
    c->pending = (int)n;
    for (size_t i = 0; i < n; i++)
        c->parts[i] = (part){.c = c, .pod = mg_xstrdup(targets[i].pod)};
    for (size_t i = 0; i < n; i++)
        mg_fetch_request(f, targets[i].url, NULL, timeout_ms, keep_alive, on_scrape, &c->parts[i]);
}

static void on_query(void *ud, const mg_fetch_result *r) {
    part *p = ud;
    collection *c = p->c;
    mg_error err;
    if (r->rc) {
        c->out.rc = r->rc;
        note(c, r->error);
    } else if (mg_prom_answer_add(p->index, r->body, r->len, &c->out.window, &err)) {
        c->out.rc = err.code;
        note(c, err.message);
    }
    if (--c->pending == 0) {
        if (c->out.rc) mg_model_metrics_free(&c->out.window);
        close_collection(c);
    }
}

void mg_collect_prometheus(mg_fetch *f, const char *base_url, const char *selector, int64_t window_ms,
                           long timeout_ms, mg_collect_done_fn done, void *ud) {
    collection *c = mg_xcalloc(1, sizeof(*c));
    *c = (collection){.done = done, .ud = ud, .pending = MG_PROM_QUERIES, .nparts = MG_PROM_QUERIES};
    c->parts = mg_xcalloc(MG_PROM_QUERIES, sizeof(part));
    char window[32];
    snprintf(window, sizeof(window), "%llds", (long long)(window_ms / 1000 > 0 ? window_ms / 1000 : 1));
    for (int i = 0; i < MG_PROM_QUERIES; i++)
        c->parts[i] = (part){.c = c, .index = i};
    for (int i = 0; i < MG_PROM_QUERIES; i++) {
        char *url = mg_prom_query_url(base_url, selector, window, i);
        mg_fetch_request(f, url, NULL, timeout_ms, true, on_query, &c->parts[i]);
        free(url);
    }
}
