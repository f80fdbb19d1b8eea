/* Unit tests for operator/collect's sliding window: increases per pod, counter resets, pods
 * coming and going, ageing out of the window. (Scraping itself is exercised end to end by
 * tests/integration/monitoring.sh against the test model server.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "operator/collect.h"

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
    mg_model_metrics_free(&r);
    mg_model_metrics_free(&sum);
    mg_window_free(w);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_window)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
