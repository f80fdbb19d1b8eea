/* operator/window — the live traffic of one ModelDeployment over a sliding window, from the
 * readings of its pods' /metrics (monitoring.source: scrape).
 *
 * Owns: mg_window (one per ModelDeployment, owned by the monitor's state for it): the last reading
 * of each pod and a ring of per-evaluation increases. Each evaluation feeds every pod's reading
 * with mg_window_observe (the increase since that pod's previous reading is taken series by
 * series; a counter that went down restarted and counts whole; a feature histogram resets as
 * one; a pod's first reading only sets its baseline, as Prometheus' increase() does), then
 * mg_window_tick closes the evaluation and returns the sum over the last `window`. Pods that
 * come and go are handled: a vanished pod's past increases stay in the window until they age
 * out, and its last reading is forgotten after a whole window unseen.
 *
 * Memory: the series a model exports are laid out once per window (label strings stored once,
 * found through a small open-addressing index); a pod's last reading is one double per series
 * and each evaluation's increase one float per series plus a presence bit, so 10,000 models of
 * ~150 series with 20 evaluations per window cost ~15 KB each, not the ~100 KB that a parsed
 * reading per evaluation would. Increases are exact up to 2^24 per series per evaluation.
 * A feature's `le` set is fixed by the first reading that has the feature; a pod exporting
 * other bounds for it is skipped for that feature and counted in mg_window_problems (summing
 * histograms with different buckets would be meaningless). _sum series are not kept: nothing
 * is judged on them.
 *
 * Not thread-safe: one window, one thread at a time. */
#ifndef MG_OPERATOR_WINDOW_H
#define MG_OPERATOR_WINDOW_H
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "promtext/promtext.h"

typedef struct mg_window mg_window;

mg_window *mg_window_new(void);
void mg_window_free(mg_window *w); /* NULL: nothing */
/* Adds the increase of pod's counters since its previous reading to the current evaluation. */
void mg_window_observe(mg_window *w, const char *pod, const mg_model_metrics *reading, int64_t now_ms);
/* The same from a scrape's exposition text, parsed straight into the window (no reading is
 * built: the series already laid out are found by their labels as the text is read). Returns 0,
 * or the parser's MG_EPARSE / MG_ETOOBIG with err (the reading is then ignored). */
int mg_window_observe_text(mg_window *w, const char *pod, const char *text, size_t len, int64_t now_ms,
                           mg_error *err);
/* Closes the current evaluation at now_ms, drops the ones at or before now_ms - window_ms and
 * writes the sum of the remaining ones into *out (old contents freed). Returns how many
 * evaluations the window holds. */
size_t mg_window_tick(mg_window *w, int64_t now_ms, int64_t window_ms, mg_model_metrics *out);
/* Readings (pod, feature) skipped so far because their le bounds differed from the window's. */
size_t mg_window_problems(const mg_window *w);
/* Bytes the window holds (for the memory figures). */
size_t mg_window_bytes(const mg_window *w);

#endif
