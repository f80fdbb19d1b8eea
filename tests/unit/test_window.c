/* Unit tests for operator/window: increases per pod, counter resets, pods coming and going,
 * ageing out of the window; and a differential test against the straightforward algorithm
 * (a parsed reading per pod and per evaluation, summed with promtext's delta and add), which is
 * what the compact layout must reproduce exactly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "operator/window.h"

/* A reading with n predictions of group f (prediction 1) and an age histogram with n
 * observations in the first bucket. */
static void reading(mg_model_metrics *m, double n) {
    char text[512];
    snprintf(text, sizeof(text),
             "modelgov_predictions_total{attribute=\"sex\",group=\"f\",prediction=\"1\"} %g\n"
             "modelgov_feature_bucket{feature=\"age\",le=\"30\"} %g\n"
             "modelgov_feature_bucket{feature=\"age\",le=\"+Inf\"} %g\n"
             "modelgov_feature_count{feature=\"age\"} %g\n",
             n, n, n, n);
    mg_model_metrics_free(m);
    assert_int_equal(mg_model_metrics_parse(text, strlen(text), NULL, m, NULL), 0);
}

static double predictions(const mg_model_metrics *m) {
    double s = 0;
    for (size_t i = 0; i < m->npredictions; i++)
        s += m->predictions[i].value;
    return s;
}

static void test_window(void **state) {
    (void)state;
    mg_window *w = mg_window_new();
    mg_model_metrics r = {0}, sum = {0};
    /* t=0: first readings only set baselines */
    reading(&r, 100);
    mg_window_observe(w, "pod-a", &r, 0);
    reading(&r, 50);
    mg_window_observe(w, "pod-b", &r, 0);
    mg_window_tick(w, 0, 10000, &sum);
    assert_true(predictions(&sum) == 0);
    /* t=5s: a +20, b +30 */
    reading(&r, 120);
    mg_window_observe(w, "pod-a", &r, 5000);
    reading(&r, 80);
    mg_window_observe(w, "pod-b", &r, 5000);
    mg_window_tick(w, 5000, 10000, &sum);
    assert_true(predictions(&sum) == 50);
    assert_true(mg_model_metrics_feature(&sum, "age")->count == 50);
    /* t=10s: a restarted (reset: counts 7 since), b gone, c new (baseline only) */
    reading(&r, 7);
    mg_window_observe(w, "pod-a", &r, 10000);
    reading(&r, 1000);
    mg_window_observe(w, "pod-c", &r, 10000);
    mg_window_tick(w, 10000, 10000, &sum);
    assert_true(predictions(&sum) == 57); /* 50 from t=5s (still in the window) + 7 */
    /* t=16s: the t=5s tick ages out */
    reading(&r, 10);
    mg_window_observe(w, "pod-a", &r, 16000);
    reading(&r, 1010);
    mg_window_observe(w, "pod-c", &r, 16000);
    size_t ticks = mg_window_tick(w, 16000, 10000, &sum);
    assert_int_equal(ticks, 2);
    assert_true(predictions(&sum) == 7 + 3 + 10);
    assert_int_equal(mg_window_problems(w), 0);
    mg_model_metrics_free(&r);
    mg_model_metrics_free(&sum);
    mg_window_free(w);
}

/* A pod exporting other le bounds for a feature is skipped for it, and counted. */
static void test_le_mismatch(void **state) {
    (void)state;
    mg_window *w = mg_window_new(), *wt = mg_window_new();
    mg_model_metrics r = {0}, sum = {0}, sum_text = {0};
#define HIST(le)                                                                                             \
    "modelgov_feature_bucket{feature=\"x\",le=\"" le                                                         \
    "\"} %d\nmodelgov_feature_bucket{feature=\"x\",le=\"+Inf\"} %d\n"
    char text[256];
    for (int t = 0; t < 2; t++) {
        snprintf(text, sizeof(text), HIST("1"), 10 * t, 10 * t);
        assert_int_equal(mg_model_metrics_parse(text, strlen(text), NULL, &r, NULL), 0);
        mg_window_observe(w, "a", &r, t * 1000);
        snprintf(text, sizeof(text), HIST("2"), 100 * t, 100 * t);
        assert_int_equal(mg_model_metrics_parse(text, strlen(text), NULL, &r, NULL), 0);
        mg_window_observe(w, "b", &r, t * 1000);
        assert_int_equal(mg_window_observe_text(wt, "b", text, strlen(text), t * 1000, NULL), 0);
        snprintf(text, sizeof(text), HIST("1"), 10 * t, 10 * t);
        assert_int_equal(mg_window_observe_text(wt, "a", text, strlen(text), t * 1000, NULL), 0);
        mg_window_tick(wt, t * 1000, 60000, &sum_text);
        mg_window_tick(w, t * 1000, 60000, &sum);
    }
    const mg_feature_hist *x = mg_model_metrics_feature(&sum, "x");
    assert_non_null(x);
    assert_int_equal(x->nbuckets, 2);
    assert_true(x->le[0] == 1 && x->cum[0] == 10 && x->cum[1] == 10); /* only pod a's increase */
    assert_int_equal(mg_window_problems(w), 2);
    /* the text path laid out b's bounds first (b came first there): a's are the mismatch */
    x = mg_model_metrics_feature(&sum_text, "x");
    assert_true(x && x->le[0] == 2 && x->cum[0] == 100);
    assert_int_equal(mg_window_problems(wt), 2);
    assert_int_equal(mg_window_observe_text(wt, "a", "not{ metrics", 12, 3000, NULL), MG_EPARSE);
    mg_model_metrics_free(&r);
    mg_model_metrics_free(&sum);
    mg_model_metrics_free(&sum_text);
    mg_window_free(w);
    mg_window_free(wt);
}

/* ---- the reference: a parsed reading per pod and per evaluation --------------------------- */

#define RPODS 4
typedef struct ref_window {
    char pod[RPODS][8];
    mg_model_metrics last[RPODS];
    int64_t seen[RPODS];
    bool used[RPODS];
    mg_model_metrics ticks[64];
    int64_t tick_time[64];
    size_t nticks;
    mg_model_metrics pending;
} ref_window;

static void ref_observe(ref_window *r, const char *pod, const mg_model_metrics *cur, int64_t now) {
    int slot = -1, free_slot = -1;
    for (int i = 0; i < RPODS; i++) {
        if (r->used[i] && !strcmp(r->pod[i], pod)) slot = i;
        if (!r->used[i] && free_slot < 0) free_slot = i;
    }
    if (slot < 0) {
        slot = free_slot;
        assert_true(slot >= 0);
        r->used[slot] = true;
        snprintf(r->pod[slot], sizeof(r->pod[slot]), "%s", pod);
    } else {
        mg_model_metrics delta = {0};
        mg_model_metrics_delta(&r->last[slot], cur, &delta);
        mg_model_metrics_add(&r->pending, &delta);
        mg_model_metrics_free(&delta);
    }
    mg_model_metrics_copy(&r->last[slot], cur);
    r->seen[slot] = now;
}

static void ref_tick(ref_window *r, int64_t now, int64_t window, mg_model_metrics *out) {
    r->ticks[r->nticks] = r->pending;
    r->tick_time[r->nticks++] = now;
    memset(&r->pending, 0, sizeof(r->pending));
    size_t drop = 0;
    while (drop < r->nticks && r->tick_time[drop] <= now - window)
        mg_model_metrics_free(&r->ticks[drop++]);
    memmove(r->ticks, r->ticks + drop, (r->nticks - drop) * sizeof(r->ticks[0]));
    memmove(r->tick_time, r->tick_time + drop, (r->nticks - drop) * sizeof(r->tick_time[0]));
    r->nticks -= drop;
    for (int i = 0; i < RPODS; i++)
        if (r->used[i] && r->seen[i] <= now - window) {
            r->used[i] = false;
            mg_model_metrics_free(&r->last[i]);
        }
    mg_model_metrics_free(out);
    for (size_t t = 0; t < r->nticks; t++)
        mg_model_metrics_add(out, &r->ticks[t]);
}

static void ref_free(ref_window *r) {
    for (int i = 0; i < RPODS; i++)
        mg_model_metrics_free(&r->last[i]);
    for (size_t t = 0; t < r->nticks; t++)
        mg_model_metrics_free(&r->ticks[t]);
    mg_model_metrics_free(&r->pending);
}

/* ---- random readings -------------------------------------------------------------------------- */

typedef struct gen_pod {
    double hist[2][3], count[2]; /* two features, buckets le=10, le=20, +Inf */
    double pred[2][2];           /* group f/m, prediction 0/1 */
    double fb[2][2][2];          /* group, actual, predicted */
} gen_pod;

static unsigned rnd(unsigned *s) {
    *s = *s * 1103515245u + 12345u;
    return (*s >> 16) & 0x7fff;
}

/* Advances the pod's counters (sometimes a reset) and renders a reading, sometimes leaving a
 * feature, the _count or a series out; *text gets the exposition (static storage). */
static void gen_reading(gen_pod *p, unsigned *s, mg_model_metrics *out, const char **text_out) {
    bool reset = rnd(s) % 11 == 0;
    for (int f = 0; f < 2; f++) {
        double add[3] = {rnd(s) % 20, 0, 0};
        add[1] = add[0] + rnd(s) % 20;
        add[2] = add[1] + rnd(s) % 20;
        for (int b = 0; b < 3; b++)
            p->hist[f][b] = (reset ? 0 : p->hist[f][b]) + add[b];
        p->count[f] = p->hist[f][2];
    }
    for (int g = 0; g < 2; g++)
        for (int k = 0; k < 2; k++) {
            p->pred[g][k] = (reset ? 0 : p->pred[g][k]) + rnd(s) % 30;
            for (int a = 0; a < 2; a++)
                p->fb[g][k][a] = (reset ? 0 : p->fb[g][k][a]) + rnd(s) % 9;
        }
    static char text[4096];
    size_t len = 0;
    static const char *const le[3] = {"10", "20", "+Inf"}, *const gr[2] = {"f", "m"};
    for (int f = 0; f < 2; f++) {
        if (rnd(s) % 13 == 0) continue; /* feature missing this time */
        for (int b = 0; b < 3; b++)
            len += (size_t)snprintf(text + len, sizeof(text) - len,
                                    "modelgov_feature_bucket{feature=\"f%d\",le=\"%s\"} %.0f\n", f, le[b],
                                    p->hist[f][b]);
        if (rnd(s) % 7)
            len += (size_t)snprintf(text + len, sizeof(text) - len,
                                    "modelgov_feature_count{feature=\"f%d\"} %.0f\n", f, p->count[f]);
    }
    for (int g = 0; g < 2; g++)
        for (int k = 0; k < 2; k++) {
            if (rnd(s) % 17 == 0) continue;
            len += (size_t)snprintf(
                text + len, sizeof(text) - len,
                "modelgov_predictions_total{attribute=\"sex\",group=\"%s\",prediction=\"%d\"} "
                "%.0f\n",
                gr[g], k, p->pred[g][k]);
            for (int a = 0; a < 2; a++)
                len += (size_t)snprintf(text + len, sizeof(text) - len,
                                        "modelgov_feedback_total{attribute=\"sex\",group=\"%s\",actual=\"%"
                                        "d\",predicted=\"%d\"} %.0f\n",
                                        gr[g], k, a, p->fb[g][k][a]);
        }
    assert_int_equal(mg_model_metrics_parse(text, len, NULL, out, NULL), 0);
    *text_out = text;
}

static void assert_same(const mg_model_metrics *want, const mg_model_metrics *got) {
    assert_int_equal(got->nfeatures, want->nfeatures);
    for (size_t i = 0; i < want->nfeatures; i++) {
        const mg_feature_hist *a = &want->features[i], *b = mg_model_metrics_feature(got, a->feature);
        assert_non_null(b);
        assert_int_equal(b->nbuckets, a->nbuckets);
        for (size_t k = 0; k < a->nbuckets; k++)
            assert_true(a->le[k] == b->le[k] && a->cum[k] == b->cum[k]);
        assert_int_equal(b->has_count, a->has_count);
        if (a->has_count) assert_true(a->count == b->count);
    }
    assert_int_equal(got->npredictions, want->npredictions);
    for (size_t i = 0; i < want->npredictions; i++) {
        const mg_pred_series *a = &want->predictions[i];
        bool found = false;
        for (size_t k = 0; k < got->npredictions && !found; k++) {
            const mg_pred_series *b = &got->predictions[k];
            found = !strcmp(a->attribute, b->attribute) && !strcmp(a->group, b->group) &&
                    !strcmp(a->prediction, b->prediction) && a->value == b->value;
        }
        assert_true(found);
    }
    assert_int_equal(got->nfeedback, want->nfeedback);
    for (size_t i = 0; i < want->nfeedback; i++) {
        const mg_feedback_series *a = &want->feedback[i];
        bool found = false;
        for (size_t k = 0; k < got->nfeedback && !found; k++) {
            const mg_feedback_series *b = &got->feedback[k];
            found = !strcmp(a->group, b->group) && !strcmp(a->actual, b->actual) &&
                    !strcmp(a->predicted, b->predicted) && a->value == b->value;
        }
        assert_true(found);
    }
}

static void test_window_matches_reference(void **state) {
    (void)state;
    for (unsigned seed = 1; seed <= 40; seed++) {
        unsigned s = seed;
        mg_window *w = mg_window_new(), *wt = mg_window_new(); /* parsed readings, and text */
        ref_window ref;
        memset(&ref, 0, sizeof(ref));
        gen_pod pods[3];
        memset(pods, 0, sizeof(pods));
        mg_model_metrics r = {0}, got = {0}, want = {0}, got_text = {0};
        int64_t now = 0, window = 1000 * (2 + rnd(&s) % 6);
        for (int t = 0; t < 60; t++) {
            now += 200 + rnd(&s) % 1500;
            for (int p = 0; p < 3; p++) {
                if (rnd(&s) % 5 == 0) continue; /* not scraped this time (gone, or failed) */
                char name[16];
                snprintf(name, sizeof(name), "p%d", p);
                const char *text;
                gen_reading(&pods[p], &s, &r, &text);
                mg_window_observe(w, name, &r, now);
                assert_int_equal(mg_window_observe_text(wt, name, text, strlen(text), now, NULL), 0);
                ref_observe(&ref, name, &r, now);
            }
            size_t n = mg_window_tick(w, now, window, &got);
            assert_int_equal(mg_window_tick(wt, now, window, &got_text), n);
            ref_tick(&ref, now, window, &want);
            assert_int_equal(n, ref.nticks);
            assert_same(&want, &got);
            assert_same(&want, &got_text);
        }
        assert_true(mg_window_bytes(w) > 0);
        assert_int_equal(mg_window_problems(wt), mg_window_problems(w));
        mg_model_metrics_free(&r);
        mg_model_metrics_free(&got);
        mg_model_metrics_free(&got_text);
        mg_model_metrics_free(&want);
        ref_free(&ref);
        mg_window_free(w);
        mg_window_free(wt);
    }
}

int main(void) {
    mg_mem_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_le_mismatch),
        cmocka_unit_test(test_window_matches_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
