/* Unit tests for metrics/registry: registration rules, label series, histogram buckets, escaping,
 * number formatting, callback metrics, and concurrent updates from several threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "metrics/registry.h"

static char *render(mg_metrics *r) {
    mg_buf b;
    mg_buf_init(&b, 1 << 20);
    assert_int_equal(mg_metrics_render(r, &b), 0);
    return mg_buf_steal(&b);
}

static void test_counter_gauge_labels(void **state) {
    (void)state;
    mg_metrics *r = mg_metrics_new();
    const char *labels[] = {"decision", "resource", NULL};
    mg_metric_family *req = mg_metrics_counter(r, "mg_requests_total", "Requests.", labels);
    assert_non_null(req);
    mg_metric *a = mg_metric_with(req, "allowed", "pods", NULL);
    mg_metric *b = mg_metric_with(req, "denied", "pods", NULL);
    assert_ptr_equal(a, mg_metric_with(req, "allowed", "pods", NULL));
    assert_ptr_not_equal(a, b);
    assert_null(mg_metric_with(req, "allowed", NULL));                  /* too few values */
    assert_null(mg_metric_with(req, "allowed", "pods", "extra", NULL)); /* too many */
    mg_metric_inc(a);
    mg_metric_add(a, 2.5);
    mg_metric_add(a, -1);  /* counters never go down */
    mg_metric_set(a, 100); /* not a gauge: ignored */
    assert_true(mg_metric_value(a) == 3.5);

    mg_metric_family *g = mg_metrics_gauge(r, "mg_ready", "Readiness.", NULL);
    mg_metric *gm = mg_metric_with(g, NULL);
    mg_metric_set(gm, 1);
    mg_metric_add(gm, -3);
    assert_true(mg_metric_value(gm) == -2);

    char *text = render(r);
    assert_string_equal(text, "# HELP mg_requests_total Requests.\n"
                              "# TYPE mg_requests_total counter\n"
                              "mg_requests_total{decision=\"allowed\",resource=\"pods\"} 3.5\n"
                              "mg_requests_total{decision=\"denied\",resource=\"pods\"} 0\n"
                              "# HELP mg_ready Readiness.\n"
                              "# TYPE mg_ready gauge\n"
                              "mg_ready -2\n");
    free(text);
    mg_metrics_free(r);
}

static void test_registration_rules(void **state) {
    (void)state;
    mg_metrics *r = mg_metrics_new();
    assert_non_null(mg_metrics_counter(r, "ok:name_1", "h", NULL));
    assert_null(mg_metrics_counter(r, "ok:name_1", "dup", NULL));
    assert_null(mg_metrics_gauge(r, "1bad", "h", NULL));
    assert_null(mg_metrics_gauge(r, "bad-name", "h", NULL));
    assert_null(mg_metrics_gauge(r, "", "h", NULL));
    const char *bad1[] = {"__reserved", NULL};
    assert_null(mg_metrics_gauge(r, "g1", "h", bad1));
    const char *bad2[] = {"a:b", NULL};
    assert_null(mg_metrics_gauge(r, "g2", "h", bad2));
    const char *dup[] = {"x", "x", NULL};
    assert_null(mg_metrics_gauge(r, "g3", "h", dup));
    const char *le[] = {"le", NULL};
    assert_null(mg_metrics_histogram(r, "h1", "h", le, NULL, 0));
    assert_non_null(mg_metrics_gauge(r, "g4", "h", le)); /* "le" is fine outside histograms */
    double unsorted[] = {1, 0.5};
    assert_null(mg_metrics_histogram(r, "h2", "h", NULL, unsorted, 2));
    double inf[] = {1, INFINITY};
    assert_null(mg_metrics_histogram(r, "h3", "h", NULL, inf, 2));
    assert_int_equal(mg_metrics_func(r, MG_METRIC_HISTOGRAM, "f", "h", NULL, NULL), MG_EINVAL);
    mg_metrics_free(r);
}

static void test_histogram(void **state) {
    (void)state;
    mg_metrics *r = mg_metrics_new();
    const double buckets[] = {0.1, 1, 10};
    const char *labels[] = {"route", NULL};
    mg_metric_family *h = mg_metrics_histogram(r, "mg_latency_seconds", "Latency.", labels, buckets, 3);
    mg_metric *m = mg_metric_with(h, "/validate", NULL);
    mg_metric_observe(m, 0.05);
    mg_metric_observe(m, 0.1); /* le is inclusive */
    mg_metric_observe(m, 0.5);
    mg_metric_observe(m, 100);
    mg_metric_observe(m, NAN); /* ignored */
    assert_int_equal(mg_metric_count(m), 4);
    assert_true(fabs(mg_metric_value(m) - 100.65) < 1e-9);
    char *text = render(r);
    assert_string_equal(text, "# HELP mg_latency_seconds Latency.\n"
                              "# TYPE mg_latency_seconds histogram\n"
                              "mg_latency_seconds_bucket{route=\"/validate\",le=\"0.1\"} 2\n"
                              "mg_latency_seconds_bucket{route=\"/validate\",le=\"1\"} 3\n"
                              "mg_latency_seconds_bucket{route=\"/validate\",le=\"10\"} 3\n"
                              "mg_latency_seconds_bucket{route=\"/validate\",le=\"+Inf\"} 4\n"
                              "mg_latency_seconds_sum{route=\"/validate\"} 100.65\n"
                              "mg_latency_seconds_count{route=\"/validate\"} 4\n");
    free(text);

    /* Unlabelled histogram with default buckets. */
    mg_metric_family *d = mg_metrics_histogram(r, "mg_d", "D.", NULL, NULL, 0);
    mg_metric_observe(mg_metric_with(d, NULL), 0.2);
    text = render(r);
    assert_non_null(strstr(text, "mg_d_bucket{le=\"0.005\"} 0\n"));
    assert_non_null(strstr(text, "mg_d_bucket{le=\"0.25\"} 1\n"));
    assert_non_null(strstr(text, "mg_d_bucket{le=\"+Inf\"} 1\n"));
    assert_non_null(strstr(text, "mg_d_count 1\n"));
    free(text);
    mg_metrics_free(r);
}

static void test_escaping_and_numbers(void **state) {
    (void)state;
    mg_metrics *r = mg_metrics_new();
    const char *labels[] = {"v", NULL};
    mg_metric_family *g = mg_metrics_gauge(r, "mg_esc", "Back\\slash and\nnewline \"quoted\".", labels);
    mg_metric_set(mg_metric_with(g, "a\"b\\c\nd", NULL), 0.1);
    mg_metric_set(mg_metric_with(g, "big", NULL), 1e20);
    mg_metric_set(mg_metric_with(g, "inf", NULL), -INFINITY);
    mg_metric_set(mg_metric_with(g, "nan", NULL), NAN);
    mg_metric_set(mg_metric_with(g, "third", NULL), 1.0 / 3.0);
    char *text = render(r);
    assert_non_null(strstr(text, "# HELP mg_esc Back\\\\slash and\\nnewline \"quoted\".\n"));
    assert_non_null(strstr(text, "mg_esc{v=\"a\\\"b\\\\c\\nd\"} 0.1\n"));
    assert_non_null(strstr(text, "mg_esc{v=\"big\"} 1e+20\n"));
    assert_non_null(strstr(text, "mg_esc{v=\"inf\"} -Inf\n"));
    assert_non_null(strstr(text, "mg_esc{v=\"nan\"} NaN\n"));
    assert_non_null(strstr(text, "mg_esc{v=\"third\"} 0.33333333333333331\n"));
    free(text);
    mg_metrics_free(r);
}

static double fn_value(void *arg) { return *(double *)arg; }

static void test_func_metrics(void **state) {
    (void)state;
    mg_metrics *r = mg_metrics_new();
    double v = 42;
    assert_int_equal(mg_metrics_func(r, MG_METRIC_GAUGE, "mg_cert_expiry", "Expiry.", fn_value, &v), 0);
    assert_int_not_equal(mg_metrics_func(r, MG_METRIC_GAUGE, "mg_cert_expiry", "dup", fn_value, &v), 0);
    char *text = render(r);
    assert_non_null(strstr(text, "mg_cert_expiry 42\n"));
    free(text);
    v = NAN; /* omitted sample, family still declared */
    text = render(r);
    assert_non_null(strstr(text, "# TYPE mg_cert_expiry gauge\n"));
    assert_null(strstr(text, "mg_cert_expiry NaN"));
    free(text);
    mg_metrics_free(r);
}

static void test_render_cap(void **state) {
    (void)state;
    mg_metrics *r = mg_metrics_new();
    mg_metric_inc(
        mg_metric_with(mg_metrics_counter(r, "mg_x_total", "A counter with a long help.", NULL), NULL));
    mg_buf b;
    mg_buf_init(&b, 16);
    assert_int_equal(mg_metrics_render(r, &b), MG_ETOOBIG);
    mg_buf_free(&b);
    mg_metrics_free(r);
}

typedef struct {
    mg_metric_family *c, *h;
} thr_arg;

static void *hammer(void *p) {
    thr_arg *a = p;
    char label[8];
    for (int i = 0; i < 20000; i++) {
        snprintf(label, sizeof label, "l%d", i % 4);
        mg_metric_inc(mg_metric_with(a->c, label, NULL));
        mg_metric_observe(mg_metric_with(a->h, NULL), (i % 10) * 0.01);
    }
    return NULL;
}

static void test_concurrency(void **state) {
    (void)state;
    mg_metrics *r = mg_metrics_new();
    const char *labels[] = {"l", NULL};
    thr_arg a = {mg_metrics_counter(r, "mg_c_total", "c", labels),
                 mg_metrics_histogram(r, "mg_h", "h", NULL, NULL, 0)};
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, hammer, &a);
    for (int i = 0; i < 3; i++)
        free(render(r)); /* renders race with updates */
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    double total = 0;
    for (int i = 0; i < 4; i++) {
        char label[8];
        snprintf(label, sizeof label, "l%d", i);
        total += mg_metric_value(mg_metric_with(a.c, label, NULL));
    }
    assert_true(total == 80000);
    assert_int_equal(mg_metric_count(mg_metric_with(a.h, NULL)), 80000);
    mg_metrics_free(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter_gauge_labels),
        cmocka_unit_test(test_registration_rules),
        cmocka_unit_test(test_histogram),
        cmocka_unit_test(test_escaping_and_numbers),
        cmocka_unit_test(test_func_metrics),
        cmocka_unit_test(test_render_cap),
        cmocka_unit_test(test_concurrency),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
