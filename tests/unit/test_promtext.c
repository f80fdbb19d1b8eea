/* Unit tests for promtext/: the Prometheus text parser (syntax, escapes, special values,
 * streaming in arbitrary chunks, errors with line numbers, caps) and the metric-contract
 * collection with counter increases, resets, deltas and sums over pods. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "promtext/promtext.h"

/* Renders every sample as one line "name{a=v,...} value ts type line" for comparisons. */
static int render(const mg_prom_sample *s, void *ud) {
    mg_buf *b = ud;
    mg_buf_append_str(b, s->name);
    mg_buf_append_str(b, "{");
    for (size_t i = 0; i < s->nlabels; i++)
        mg_buf_printf(b, "%s%s=[%s]", i ? "," : "", s->labels[i].name, s->labels[i].value);
    mg_buf_printf(b, "} %.17g", s->value);
    if (s->has_timestamp) mg_buf_printf(b, " @%lld", (long long)s->timestamp_ms);
    mg_buf_printf(b, " t%d L%zu\n", (int)s->type, s->line);
    return 0;
}

static int render_meta(bool is_type, const char *name, const char *text, size_t line, void *ud) {
    mg_buf *b = ud;
    mg_buf_printf(b, "%s %s [%s] L%zu\n", is_type ? "TYPE" : "HELP", name, text, line);
    return 0;
}

static const char *EXPO =
    "# HELP modelgov_feature Input feature values.\\nSecond line with a \\\\ backslash\n"
    "# TYPE modelgov_feature histogram\n"
    "modelgov_feature_bucket{feature=\"age\",le=\"30\"} 12\n"
    "modelgov_feature_bucket{feature=\"age\",le=\"+Inf\"} 20 1700000000000\n"
    "modelgov_feature_sum{feature=\"age\"} 612.5\n"
    "modelgov_feature_count{feature=\"age\"} 20\n"
    "\n"
    "   # just a comment\n"
    "#\n"
    "weird_value{a=\"x\\\"y\\\\z\\nw\", b = \"\" , } NaN\n"
    "inf_up +Inf -12\r\n"
    "inf_down\t-Inf\n"
    "expo:ratio 1.5e-3\n"
    "big 2E+10\n"
    "empty_labels{} 7\n"
    "utf{v=\"h\xc3\xa9llo \xe2\x82\xac\"} 1\n"
    "last_line_without_newline 42";

static const char *EXPO_WANT = "modelgov_feature_bucket{feature=[age],le=[30]} 12 t3 L3\n"
                               "modelgov_feature_bucket{feature=[age],le=[+Inf]} 20 @1700000000000 t3 L4\n"
                               "modelgov_feature_sum{feature=[age]} 612.5 t3 L5\n"
                               "modelgov_feature_count{feature=[age]} 20 t3 L6\n"
                               "weird_value{a=[x\"y\\z\nw],b=[]} nan t0 L10\n"
                               "inf_up{} inf @-12 t0 L11\n"
                               "inf_down{} -inf t0 L12\n"
                               "expo:ratio{} 0.0015 t0 L13\n"
                               "big{} 20000000000 t0 L14\n"
                               "empty_labels{} 7 t0 L15\n"
                               "utf{v=[h\xc3\xa9llo \xe2\x82\xac]} 1 t0 L16\n"
                               "last_line_without_newline{} 42 t0 L17\n";

static void test_parse_all_forms(void **state) {
    (void)state;
    mg_buf b, meta;
    mg_buf_init(&b, 1 << 20);
    mg_buf_init(&meta, 1 << 20);
    mg_error err;
    mg_prom_parser *p = mg_prom_parser_new(NULL, render, NULL, &b);
    assert_int_equal(mg_prom_parser_feed(p, EXPO, strlen(EXPO), &err), 0);
    assert_int_equal(mg_prom_parser_finish(p, &err), 0);
    mg_prom_parser_free(p);
    assert_string_equal(b.data, EXPO_WANT);
    /* metadata */
    assert_int_equal(mg_prom_parse(EXPO, strlen(EXPO), NULL, NULL, render_meta, &meta, &err), 0);
    assert_string_equal(meta.data,
                        "HELP modelgov_feature [Input feature values.\nSecond line with a \\ backslash] L1\n"
                        "TYPE modelgov_feature [histogram] L2\n");
    mg_buf_free(&b);
    mg_buf_free(&meta);
}

/* Any chunking gives the same samples: byte by byte, and every 2-way split. */
static void test_streaming_chunks(void **state) {
    (void)state;
    size_t n = strlen(EXPO);
    mg_buf b;
    mg_buf_init(&b, 1 << 20);
    mg_prom_parser *p = mg_prom_parser_new(NULL, render, NULL, &b);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(mg_prom_parser_feed(p, EXPO + i, 1, NULL), 0);
    assert_int_equal(mg_prom_parser_finish(p, NULL), 0);
    mg_prom_parser_free(p);
    assert_string_equal(b.data, EXPO_WANT);
    for (size_t cut = 0; cut <= n; cut += 7) {
        mg_buf_reset(&b);
        p = mg_prom_parser_new(NULL, render, NULL, &b);
        assert_int_equal(mg_prom_parser_feed(p, EXPO, cut, NULL), 0);
        assert_int_equal(mg_prom_parser_feed(p, EXPO + cut, n - cut, NULL), 0);
        assert_int_equal(mg_prom_parser_finish(p, NULL), 0);
        mg_prom_parser_free(p);
        assert_string_equal(b.data, EXPO_WANT);
    }
    mg_buf_free(&b);
}

static void expect_error(const char *text, int code, const char *where) {
    mg_error err;
    mg_error_clear(&err);
    int rc = mg_prom_parse(text, strlen(text), NULL, NULL, NULL, NULL, &err);
    if (rc != code) fail_msg("input %s: got rc %d (%s), want %d", text, rc, err.message, code);
    if (!strstr(err.message, where)) fail_msg("input %s: message '%s' lacks '%s'", text, err.message, where);
}

static void test_errors(void **state) {
    (void)state;
    expect_error("ok 1\nbad{a=\"x} 1\n", MG_EPARSE, "line 2: unterminated label value");
    expect_error("x{a=\"\\t\"} 1\n", MG_EPARSE, "line 1: invalid escape");
    expect_error("\n\nx{a=\"1\",a=\"2\"} 1\n", MG_EPARSE, "line 3: duplicate label name");
    expect_error("x{1a=\"1\"} 1\n", MG_EPARSE, "expected a label name");
    expect_error("x{a\"1\"} 1\n", MG_EPARSE, "expected '='");
    expect_error("x{a=1} 1\n", MG_EPARSE, "expected '\"'");
    expect_error("x{a=\"1\" b=\"2\"} 1\n", MG_EPARSE, "expected ',' or '}'");
    expect_error("x\n", MG_EPARSE, "missing value");
    expect_error("x{a=\"1\"}\n", MG_EPARSE, "missing value");
    expect_error("x abc\n", MG_EPARSE, "invalid value");
    expect_error("x 1e999\n", MG_EPARSE, "invalid value");
    expect_error("x -nan\n", MG_EPARSE, "invalid value");
    expect_error("x  nan(1)\n", MG_EPARSE, "invalid value");
    expect_error("x 1 2.5\n", MG_EPARSE, "invalid timestamp");
    expect_error("x 1 99999999999999999999\n", MG_EPARSE, "invalid timestamp");
    expect_error("x 1 2 3\n", MG_EPARSE, "trailing text");
    expect_error("9x 1\n", MG_EPARSE, "expected a metric name");
    expect_error("x-y 1\n", MG_EPARSE, "invalid character in metric name");
    expect_error("# TYPE x flavour\n", MG_EPARSE, "unknown metric type");
    expect_error("# TYPE x\n", MG_EPARSE, "TYPE without a type");
    expect_error("# TYPE\n", MG_EPARSE, "TYPE without a metric name");
    expect_error("# TYPE x counter\n# TYPE x counter\n", MG_EPARSE, "line 2: second TYPE");
    expect_error("# HELP x bad \\q escape\n", MG_EPARSE, "invalid escape sequence in HELP");
    expect_error("x{a=\"\xff\"} 1\n", MG_EPARSE, "not valid UTF-8");
    expect_error("x{a=\"\xc0\xaf\"} 1\n", MG_EPARSE, "not valid UTF-8"); /* overlong */
    const char nul[] = "x 1\ny\0 2\n";
    mg_error err;
    assert_int_equal(mg_prom_parse(nul, sizeof(nul) - 1, NULL, NULL, NULL, NULL, &err), MG_EPARSE);
    assert_non_null(strstr(err.message, "line 2: NUL byte"));
    /* plain comments and other # words are not HELP/TYPE */
    assert_int_equal(mg_prom_parse("# HELPFUL x\n# EOF\n#TYPE_x y\n", 28, NULL, NULL, NULL, NULL, NULL), 0);
}

static int stop_at_second(const mg_prom_sample *s, void *ud) {
    int *count = ud;
    (void)s;
    return ++*count == 2 ? 99 : 0;
}

static void test_caps_and_stop(void **state) {
    (void)state;
    mg_error err;
    mg_prom_limits lim = {.max_line = 16};
    const char *longline = "a_metric_name_longer 1\n";
    assert_int_equal(mg_prom_parse(longline, strlen(longline), &lim, NULL, NULL, NULL, &err), MG_ETOOBIG);
    assert_non_null(strstr(err.message, "line 1: line longer"));
    /* exactly at the cap passes, with or without a CR */
    assert_int_equal(mg_prom_parse("abcdefghijklmn 1\r\n", 18, &lim, NULL, NULL, NULL, &err), 0);
    assert_int_equal(mg_prom_parse("abcdefghijklmn 12", 17, &lim, NULL, NULL, NULL, &err), MG_ETOOBIG);
    mg_prom_limits lim2 = {.max_labels = 2};
    const char *three = "x{a=\"1\",b=\"2\",c=\"3\"} 1\n";
    assert_int_equal(mg_prom_parse(three, strlen(three), &lim2, NULL, NULL, NULL, &err), MG_ETOOBIG);
    assert_non_null(strstr(err.message, "too many labels"));
    mg_prom_limits lim3 = {.max_samples = 2};
    assert_int_equal(mg_prom_parse("a 1\nb 2\nc 3\n", 12, &lim3, NULL, NULL, NULL, &err), MG_ETOOBIG);
    assert_non_null(strstr(err.message, "line 3: too many samples"));
    mg_prom_limits lim4 = {.max_bytes = 10};
    mg_prom_parser *p = mg_prom_parser_new(&lim4, NULL, NULL, NULL);
    assert_int_equal(mg_prom_parser_feed(p, "a 1\n", 4, NULL), 0);
    assert_int_equal(mg_prom_parser_feed(p, "b 2\nc 3\n", 8, &err), MG_ETOOBIG);
    /* sticky */
    assert_int_equal(mg_prom_parser_feed(p, "d 4\n", 4, &err), MG_ETOOBIG);
    assert_int_equal(mg_prom_parser_finish(p, &err), MG_ETOOBIG);
    mg_prom_parser_free(p);
    int count = 0;
    assert_int_equal(mg_prom_parse("a 1\nb 2\nc 3\n", 12, NULL, stop_at_second, NULL, &count, &err), 99);
    assert_int_equal(count, 2);
}

static void test_types(void **state) {
    (void)state;
    mg_buf b;
    mg_buf_init(&b, 1 << 16);
    const char *t = "# TYPE s summary\ns{quantile=\"0.5\"} 1\ns_sum 2\ns_count 3\ns_bucket 4\n"
                    "# TYPE c counter\nc_total 5\nc 6\n";
    assert_int_equal(mg_prom_parse(t, strlen(t), NULL, render, NULL, &b, NULL), 0);
    assert_string_equal(b.data, "s{quantile=[0.5]} 1 t4 L2\ns_sum{} 2 t4 L3\ns_count{} 3 t4 L4\n"
                                "s_bucket{} 4 t0 L5\nc_total{} 5 t0 L7\nc{} 6 t1 L8\n");
    mg_buf_free(&b);
}

/* ---- contract ---------------------------------------------------------------------------- */

static const char *POD_A =
    "# TYPE modelgov_feature histogram\n"
    "modelgov_feature_bucket{feature=\"age\",le=\"20\"} 5\n"
    "modelgov_feature_bucket{feature=\"age\",le=\"30\"} 15\n"
    "modelgov_feature_bucket{feature=\"age\",le=\"25\"} 9\n"
    "modelgov_feature_bucket{feature=\"age\",le=\"+Inf\"} 20\n"
    "modelgov_feature_sum{feature=\"age\"} 500\n"
    "modelgov_feature_count{feature=\"age\"} 20\n"
    "modelgov_predictions_total{attribute=\"sex\",group=\"f\",prediction=\"1\"} 4\n"
    "modelgov_predictions_total{attribute=\"sex\",group=\"f\",prediction=\"0\"} 6\n"
    "modelgov_predictions_total{attribute=\"sex\",group=\"m\",prediction=\"1\",pod=\"a\"} 3\n"
    "modelgov_predictions_total{attribute=\"sex\",group=\"m\",prediction=\"1\",pod=\"b\"} 2\n"
    "modelgov_feedback_total{attribute=\"sex\",group=\"f\",actual=\"1\",predicted=\"1\"} 3\n"
    "modelgov_feedback_total{attribute=\"sex\",group=\"f\",actual=\"0\",predicted=\"1\"} 1\n"
    "modelgov_feedback_total{attribute=\"sex\",group=\"m\",actual=\"1\",predicted=\"0\"} 2\n"
    "modelgov_feedback_total{attribute=\"sex\",group=\"m\",actual=\"0\",predicted=\"0\"} 4\n"
    "modelgov_feature_bucket{feature=\"x\"} 1\n"
    "modelgov_predictions_total{attribute=\"sex\"} 1\n"
    "modelgov_feedback_total{attribute=\"sex\",group=\"m\",actual=\"0\",predicted=\"0\"} NaN\n"
    "other_metric 17\n";

static void test_contract_collect(void **state) {
    (void)state;
    mg_model_metrics m = {0};
    mg_error err;
    assert_int_equal(mg_model_metrics_parse(POD_A, strlen(POD_A), NULL, &m, &err), 0);
    assert_int_equal(m.nfeatures, 1);
    const mg_feature_hist *h = mg_model_metrics_feature(&m, "age");
    assert_non_null(h);
    assert_int_equal(h->nbuckets, 4);
    assert_true(h->le[0] == 20 && h->le[1] == 25 && h->le[2] == 30 && isinf(h->le[3]));
    assert_true(h->cum[0] == 5 && h->cum[1] == 9 && h->cum[2] == 15 && h->cum[3] == 20);
    assert_true(h->has_sum && h->sum == 500 && h->has_count && h->count == 20);
    assert_int_equal(m.npredictions, 3); /* the two pod-labelled m/1 series are summed */
    assert_true(m.predictions[2].value == 5);
    assert_int_equal(m.nfeedback, 4);
    assert_int_equal(m.malformed, 3);
    assert_non_null(strstr(m.problem, "line 16"));
    /* baseline edges 20, 30: the finer 25 bucket merges */
    double edges[2] = {20, 30}, counts[3];
    assert_int_equal(mg_feature_hist_bins(h, edges, 2, counts, &err), 0);
    assert_true(counts[0] == 5 && counts[1] == 10 && counts[2] == 5);
    double bad[2] = {20, 35};
    assert_int_equal(mg_feature_hist_bins(h, bad, 2, counts, &err), MG_EINVAL);
    assert_non_null(strstr(err.message, "le=35"));
    mg_confusion c;
    assert_int_equal(mg_model_metrics_confusion(&m, NULL, NULL, "1", &c), 0);
    assert_true(c.tp == 3 && c.fp == 1 && c.fn == 2 && c.tn == 4);
    assert_int_equal(mg_model_metrics_confusion(&m, "sex", "m", "1", &c), 0);
    assert_true(c.tp == 0 && c.fn == 2 && c.tn == 4);
    assert_int_equal(mg_model_metrics_confusion(&m, "race", NULL, "1", &c), MG_ENOTFOUND);
    mg_group_rates r = {0};
    assert_int_equal(mg_model_metrics_group_rates(&m, "sex", "1", &r), 0);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.groups[0], "f");
    assert_string_equal(r.groups[1], "m");
    assert_true(r.sel_num[0] == 4 && r.sel_den[0] == 10 && r.sel_num[1] == 5 && r.sel_den[1] == 5);
    assert_true(r.tp[0] == 3 && r.pos[0] == 3 && r.tp[1] == 0 && r.pos[1] == 2);
    assert_int_equal(mg_model_metrics_group_rates(&m, "race", "1", &r), MG_ENOTFOUND);
    mg_group_rates_free(&r);
    const char *attrs[4];
    assert_int_equal(mg_model_metrics_attributes(&m, attrs, 4), 1);
    assert_string_equal(attrs[0], "sex");
    const char *two = "modelgov_predictions_total{attribute=\"a\",group=\"x\",prediction=\"1\"} 1\n"
                      "modelgov_predictions_total{attribute=\"b\",group=\"x\",prediction=\"1\"} 1\n"
                      "modelgov_predictions_total{attribute=\"a\",group=\"y\",prediction=\"1\"} 1\n"
                      "modelgov_feedback_total{attribute=\"b\",group=\"x\",actual=\"1\",predicted=\"1\"} 1\n"
                      "modelgov_feedback_total{attribute=\"c\",group=\"x\",actual=\"1\",predicted=\"1\"} 1\n";
    mg_model_metrics m2 = {0};
    assert_int_equal(mg_model_metrics_parse(two, strlen(two), NULL, &m2, NULL), 0);
    assert_int_equal(mg_model_metrics_attributes(&m2, attrs, 2), 3);
    assert_string_equal(attrs[0], "a");
    assert_string_equal(attrs[1], "b");
    assert_int_equal(mg_model_metrics_attributes(&m2, attrs, 4), 3);
    assert_string_equal(attrs[2], "c");
    mg_model_metrics_free(&m2);
    mg_model_metrics copy = {0};
    mg_model_metrics_copy(&copy, &m);
    assert_int_equal(copy.nfeedback, 4);
    mg_model_metrics_free(&copy);
    mg_model_metrics_free(&m);
    assert_int_equal(m.nfeatures, 0);
    /* a parse error leaves the struct empty */
    assert_int_equal(mg_model_metrics_parse("modelgov_predictions_total{a=\"x 1\n", 34, NULL, &m, &err),
                     MG_EPARSE);
    assert_int_equal(m.npredictions, 0);
}

static void test_increase(void **state) {
    (void)state;
    assert_true(mg_prom_increase(10, 15) == 5);
    assert_true(mg_prom_increase(10, 10) == 0);
    assert_true(mg_prom_increase(10, 3) == 3); /* reset */
    assert_true(mg_prom_increase(NAN, 3) == 3);
    assert_true(mg_prom_increase(1, NAN) == 0);
    assert_true(mg_prom_increase(1, -5) == 0);
}

static const char *hist_text(double b20, double b30, double inf, double cnt, double pred) {
    static char buf[1024];
    snprintf(buf, sizeof(buf),
             "modelgov_feature_bucket{feature=\"age\",le=\"20\"} %g\n"
             "modelgov_feature_bucket{feature=\"age\",le=\"30\"} %g\n"
             "modelgov_feature_bucket{feature=\"age\",le=\"+Inf\"} %g\n"
             "modelgov_feature_count{feature=\"age\"} %g\n"
             "modelgov_predictions_total{attribute=\"sex\",group=\"f\",prediction=\"1\"} %g\n",
             b20, b30, inf, cnt, pred);
    return buf;
}

static void test_delta_and_sum(void **state) {
    (void)state;
    mg_model_metrics a0 = {0}, a1 = {0}, a2 = {0}, b1 = {0}, d = {0}, acc = {0};
    const char *t;
    t = hist_text(5, 10, 12, 12, 100);
    assert_int_equal(mg_model_metrics_parse(t, strlen(t), NULL, &a0, NULL), 0);
    t = hist_text(7, 15, 20, 20, 130);
    assert_int_equal(mg_model_metrics_parse(t, strlen(t), NULL, &a1, NULL), 0);
    mg_model_metrics_delta(&a0, &a1, &d);
    const mg_feature_hist *h = mg_model_metrics_feature(&d, "age");
    assert_true(h->cum[0] == 2 && h->cum[1] == 5 && h->cum[2] == 8 && h->count == 8);
    assert_true(d.predictions[0].value == 30);
    /* pod restarted: counters went down, the whole histogram counts from zero */
    t = hist_text(1, 2, 3, 3, 4);
    assert_int_equal(mg_model_metrics_parse(t, strlen(t), NULL, &a2, NULL), 0);
    mg_model_metrics_delta(&a1, &a2, &d);
    h = mg_model_metrics_feature(&d, "age");
    assert_true(h->cum[0] == 1 && h->cum[1] == 2 && h->cum[2] == 3 && h->count == 3);
    assert_true(d.predictions[0].value == 4);
    /* partial reset: only the +Inf bucket went down → still the whole histogram resets */
    t = hist_text(7, 15, 16, 16, 130);
    mg_model_metrics part = {0};
    assert_int_equal(mg_model_metrics_parse(t, strlen(t), NULL, &part, NULL), 0);
    mg_model_metrics_delta(&a1, &part, &d);
    h = mg_model_metrics_feature(&d, "age");
    assert_true(h->cum[0] == 7 && h->cum[2] == 16);
    mg_model_metrics_free(&part);
    /* first scrape of a pod: all counts */
    mg_model_metrics_delta(NULL, &a0, &d);
    assert_true(mg_model_metrics_feature(&d, "age")->cum[2] == 12);
    /* sum over pods */
    t = hist_text(1, 1, 1, 1, 1);
    assert_int_equal(mg_model_metrics_parse(t, strlen(t), NULL, &b1, NULL), 0);
    assert_int_equal(mg_model_metrics_add(&acc, &a1), 0);
    assert_int_equal(mg_model_metrics_add(&acc, &b1), 0);
    h = mg_model_metrics_feature(&acc, "age");
    assert_true(h->cum[0] == 8 && h->cum[1] == 16 && h->cum[2] == 21 && h->count == 21);
    assert_true(acc.predictions[0].value == 131);
    /* a pod with other le bounds cannot be added */
    const char *other = "modelgov_feature_bucket{feature=\"age\",le=\"50\"} 1\n";
    mg_model_metrics o = {0};
    assert_int_equal(mg_model_metrics_parse(other, strlen(other), NULL, &o, NULL), 0);
    assert_int_equal(mg_model_metrics_add(&acc, &o), MG_EINVAL);
    assert_non_null(strstr(acc.problem, "le buckets differ"));
    assert_true(mg_model_metrics_feature(&acc, "age")->cum[0] == 8);
    /* histogram without +Inf: the last bin comes from _count */
    const char *noinf =
        "modelgov_feature_bucket{feature=\"f\",le=\"1\"} 2\nmodelgov_feature_count{feature=\"f\"} 5\n";
    mg_model_metrics ni = {0};
    assert_int_equal(mg_model_metrics_parse(noinf, strlen(noinf), NULL, &ni, NULL), 0);
    double e1 = 1, counts[2];
    assert_int_equal(mg_feature_hist_bins(mg_model_metrics_feature(&ni, "f"), &e1, 1, counts, NULL), 0);
    assert_true(counts[0] == 2 && counts[1] == 3);
    mg_model_metrics_free(&ni);
    mg_model_metrics_free(&o);
    mg_model_metrics_free(&a0);
    mg_model_metrics_free(&a1);
    mg_model_metrics_free(&a2);
    mg_model_metrics_free(&b1);
    mg_model_metrics_free(&d);
    mg_model_metrics_free(&acc);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_all_forms), cmocka_unit_test(test_streaming_chunks),
        cmocka_unit_test(test_errors),          cmocka_unit_test(test_caps_and_stop),
        cmocka_unit_test(test_types),           cmocka_unit_test(test_contract_collect),
        cmocka_unit_test(test_increase),        cmocka_unit_test(test_delta_and_sum),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
