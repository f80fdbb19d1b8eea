/* Unit tests for operator/evaluate: spec.monitoring and spec.baseline parsing (defaults, errors
 * that name the field), one window's figures against hand-checked numbers, thresholds (unset
 * ones never breach, equality does not breach, minSamples, zero traffic), the JSON rendering's
 * determinism, and the breach tracker (consecutive windows, clearing, acknowledgement, the
 * quarantine level beating an acknowledgement, serialization).
 *
 * Expected drift figures were computed at authoring time with Debian's numpy/scipy:
 *   e = [0.05,0.2,0.3,0.25,0.15,0.05]; a = [5,20,50,60,50,15]/200
 *   PSI (eps 1e-4) = sum((a-e)*log(a/e))             = 0.166094743329
 *   KS = max|cumsum(e)-cumsum(a)|                     = 0.175
 *   scipy.spatial.distance.jensenshannon(e, a, base=2) = 0.171847903869
 *   e2 = [0.1,0.3,0.35,0.2,0.05]; a2 = [0,10,20,30,40]/100 (an empty bin: a2 raised to 1e-4)
 *   PSI = 1.76210062869, KS = 0.45, JS = 0.470868365262
 * Fairness and accuracy by hand from the counts in WINDOW below:
 *   sex: f 40/100, m 30/100 -> DP 0.1, DI 0.75; race: a 32/80 = 0.4, b 38/120 = 0.316667
 *   -> DP 0.0833333, DI 0.791667; feedback (sex): f tp30 fn10 fp5 tn55, m tp20 fn5 fp10 tn65
 *   -> TPR f 0.75, m 0.8, EO 0.05; accuracy 170/200 = 0.85; F1 = 100/130 = 0.769231;
 *   drop vs baseline 0.91 = 0.06. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "operator/evaluate.h"

#define NEAR(a, b) assert_true(fabs((a) - (b)) < 1e-9)

static json_t *J(const char *text) {
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j) fail_msg("bad test JSON: %s: %s", e.text, text);
    return j;
}

static const char *BASELINE = "{\"samples\": 50000, \"accuracy\": 0.91, \"f1\": 0.88,"
                              " \"features\": ["
                              "  {\"name\": \"age\", \"edges\": [20, 30, 40, 50, 60], \"proportions\": "
                              "[0.05, 0.2, 0.3, 0.25, 0.15, 0.05]},"
                              "  {\"name\": \"income\", \"edges\": [1000, 2000, 4000, 8000], "
                              "\"proportions\": [0.1, 0.3, 0.35, 0.2, 0.05]},"
                              "  {\"name\": \"zip\", \"edges\": [1], \"proportions\": [0.5, 0.5]}],"
                              " \"groups\": [{\"attribute\": \"sex\", \"group\": \"f\", \"positiveRate\": "
                              "0.41, \"truePositiveRate\": 0.80},"
                              "            {\"attribute\": \"sex\", \"group\": \"m\", \"positiveRate\": "
                              "0.44, \"truePositiveRate\": 0.82}]}";

/* One window's increases. age drifted (PSI 0.166), income strongly drifted (PSI 1.76), zip
 * has no live histogram; a finer scraped bucket (le=35) must be merged. */
static const char *WINDOW =
    "modelgov_feature_bucket{feature=\"age\",le=\"20\"} 5\n"
    "modelgov_feature_bucket{feature=\"age\",le=\"30\"} 25\n"
    "modelgov_feature_bucket{feature=\"age\",le=\"35\"} 50\n"
    "modelgov_feature_bucket{feature=\"age\",le=\"40\"} 75\n"
    "modelgov_feature_bucket{feature=\"age\",le=\"50\"} 135\n"
    "modelgov_feature_bucket{feature=\"age\",le=\"60\"} 185\n"
    "modelgov_feature_bucket{feature=\"age\",le=\"+Inf\"} 200\n"
    "modelgov_feature_count{feature=\"age\"} 200\n"
    "modelgov_feature_bucket{feature=\"income\",le=\"1000\"} 0\n"
    "modelgov_feature_bucket{feature=\"income\",le=\"2000\"} 10\n"
    "modelgov_feature_bucket{feature=\"income\",le=\"4000\"} 30\n"
    "modelgov_feature_bucket{feature=\"income\",le=\"8000\"} 60\n"
    "modelgov_feature_bucket{feature=\"income\",le=\"+Inf\"} 100\n"
    "modelgov_predictions_total{attribute=\"sex\",group=\"f\",prediction=\"1\"} 40\n"
    "modelgov_predictions_total{attribute=\"sex\",group=\"f\",prediction=\"0\"} 60\n"
    "modelgov_predictions_total{attribute=\"sex\",group=\"m\",prediction=\"1\"} 30\n"
    "modelgov_predictions_total{attribute=\"sex\",group=\"m\",prediction=\"0\"} 70\n"
    "modelgov_predictions_total{attribute=\"race\",group=\"a\",prediction=\"1\"} 32\n"
    "modelgov_predictions_total{attribute=\"race\",group=\"a\",prediction=\"0\"} 48\n"
    "modelgov_predictions_total{attribute=\"race\",group=\"b\",prediction=\"1\"} 38\n"
    "modelgov_predictions_total{attribute=\"race\",group=\"b\",prediction=\"0\"} 82\n"
    "modelgov_feedback_total{attribute=\"sex\",group=\"f\",actual=\"1\",predicted=\"1\"} 30\n"
    "modelgov_feedback_total{attribute=\"sex\",group=\"f\",actual=\"1\",predicted=\"0\"} 10\n"
    "modelgov_feedback_total{attribute=\"sex\",group=\"f\",actual=\"0\",predicted=\"1\"} 5\n"
    "modelgov_feedback_total{attribute=\"sex\",group=\"f\",actual=\"0\",predicted=\"0\"} 55\n"
    "modelgov_feedback_total{attribute=\"sex\",group=\"m\",actual=\"1\",predicted=\"1\"} 20\n"
    "modelgov_feedback_total{attribute=\"sex\",group=\"m\",actual=\"1\",predicted=\"0\"} 5\n"
    "modelgov_feedback_total{attribute=\"sex\",group=\"m\",actual=\"0\",predicted=\"1\"} 10\n"
    "modelgov_feedback_total{attribute=\"sex\",group=\"m\",actual=\"0\",predicted=\"0\"} 65\n";

static void load_window(const char *text, mg_model_metrics *m) {
    memset(m, 0, sizeof(*m));
    mg_error e = {0};
    if (mg_model_metrics_parse(text, strlen(text), NULL, m, &e) != 0) fail_msg("window: %s", e.message);
    assert_int_equal(m->malformed, 0);
}

static void load_baseline(mg_baseline *b) {
    json_t *j = J(BASELINE);
    mg_error e = {0};
    if (mg_baseline_parse(j, b, &e) != 0) fail_msg("baseline: %s", e.message);
    json_decref(j);
}

static void load_spec(const char *text, mg_monitor_spec *s) {
    json_t *j = J(text);
    mg_error e = {0};
    if (mg_monitor_spec_parse(j, s, &e) != 0) fail_msg("spec: %s", e.message);
    json_decref(j);
}

/* ---- parsing ------------------------------------------------------------------------------ */

static void test_monitor_spec_parse(void **state) {
    (void)state;
    mg_monitor_spec s;
    mg_error e = {0};
    /* the README example */
    load_spec(
        "{\"source\": \"prometheus\", \"prometheusURL\": \"http://prometheus:9090\","
        " \"prometheusSelector\": \"{namespace=\\\"ns\\\"}\", \"path\": \"/m\", \"interval\": \"1m30s\","
        " \"window\": \"10m\", \"minSamples\": 500, \"consecutive\": 3,"
        " \"warn\": {\"maxPSI\": 0.1, \"maxKS\": 0.1, \"maxJSDistance\": 0.1, \"minAccuracy\": 0.85,"
        "  \"minF1\": 0.8, \"maxAccuracyDrop\": 0.05, \"maxDemographicParityDiff\": 0.1,"
        "  \"minDisparateImpact\": 0.8, \"maxEqualOpportunityDiff\": 0.1},"
        " \"quarantine\": {\"maxPSI\": 0.25, \"minAccuracy\": 0}}",
        &s);
    assert_true(s.present);
    assert_int_equal(s.source, MG_MONITOR_PROMETHEUS);
    assert_string_equal(s.prometheus_url, "http://prometheus:9090");
    assert_string_equal(s.prometheus_selector, "{namespace=\"ns\"}");
    assert_string_equal(s.path, "/m");
    assert_int_equal(s.interval_ms, 90000);
    assert_int_equal(s.window_ms, 600000);
    assert_true(s.min_samples == 500);
    assert_int_equal(s.consecutive, 3);
    for (int m = 0; m < MG_METRIC_COUNT; m++)
        assert_true(s.warn.set[m]);
    assert_true(s.warn.value[MG_METRIC_MIN_DISPARATE_IMPACT] == 0.8);
    assert_true(s.quarantine.set[MG_METRIC_MAX_PSI] && s.quarantine.value[MG_METRIC_MAX_PSI] == 0.25);
    assert_true(s.quarantine.set[MG_METRIC_MIN_ACCURACY] && s.quarantine.value[MG_METRIC_MIN_ACCURACY] == 0);
    assert_false(s.quarantine.set[MG_METRIC_MAX_KS]);
    assert_ptr_equal(mg_monitor_thresholds(&s, MG_LEVEL_QUARANTINE), &s.quarantine);
    mg_monitor_spec_free(&s);

    /* defaults: no thresholds at all */
    load_spec("{}", &s);
    assert_true(s.present);
    assert_int_equal(s.source, MG_MONITOR_SCRAPE);
    assert_null(s.prometheus_url);
    assert_string_equal(s.path, "/metrics");
    assert_int_equal(s.interval_ms, 30000);
    assert_int_equal(s.window_ms, 600000);
    assert_true(s.min_samples == 0);
    assert_int_equal(s.consecutive, 2);
    for (int m = 0; m < MG_METRIC_COUNT; m++)
        assert_false(s.warn.set[m] || s.quarantine.set[m]);
    mg_monitor_spec_free(&s);
    assert_int_equal(mg_monitor_spec_parse(NULL, &s, NULL), 0);
    assert_false(s.present);
    assert_string_equal(s.path, "/metrics");
    mg_monitor_spec_free(&s);

    static const struct {
        const char *json, *message;
    } bad[] = {
        {"{\"interval\": \"10x\"}", "spec.monitoring.interval: \"10x\" is not a duration"},
        {"{\"window\": \"0s\"}", "spec.monitoring.window: \"0s\" is not a duration"},
        {"{\"window\": \"inf s\"}", "spec.monitoring.window: \"inf s\" is not a duration"},
        {"{\"interval\": 30}", "spec.monitoring.interval: not a string"},
        {"{\"source\": \"push\"}", "spec.monitoring.source: must be scrape or prometheus"},
        {"{\"consecutive\": 0}", "spec.monitoring.consecutive: not an integer >= 1"},
        {"{\"consecutive\": 1.5}", "spec.monitoring.consecutive: not an integer >= 1"},
        {"{\"minSamples\": -1}", "spec.monitoring.minSamples: not a non-negative number"},
        {"{\"path\": 1}", "spec.monitoring.path: not a string"},
        {"{\"warn\": []}", "spec.monitoring.warn: not an object"},
        {"{\"warn\": {\"maxPsi\": 0.1}}", "spec.monitoring.warn.maxPsi: unknown threshold"},
        {"{\"quarantine\": {\"maxPSI\": \"0.1\"}}",
         "spec.monitoring.quarantine.maxPSI: not a non-negative number"},
        {"{\"quarantine\": {\"minF1\": -0.5}}",
         "spec.monitoring.quarantine.minF1: not a non-negative number"},
        {"[]", "spec.monitoring: not an object"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *j = J(bad[i].json);
        memset(&s, 0x5a, sizeof(s));
        assert_int_equal(mg_monitor_spec_parse(j, &s, &e), MG_EINVAL);
        assert_string_equal(e.message, bad[i].message);
        assert_null(s.path); /* left empty */
        json_decref(j);
    }
}

static void test_baseline_parse(void **state) {
    (void)state;
    mg_baseline b;
    load_baseline(&b);
    assert_true(b.present);
    assert_true(b.samples == 50000 && b.has_accuracy && b.accuracy == 0.91 && b.has_f1 && b.f1 == 0.88);
    assert_int_equal(b.nfeatures, 3);
    assert_string_equal(b.features[1].name, "income");
    assert_int_equal(b.features[1].nedges, 4);
    assert_true(b.features[1].edges[3] == 8000 && b.features[1].proportions[4] == 0.05);
    assert_int_equal(b.ngroups, 2);
    assert_string_equal(b.groups[1].group, "m");
    assert_true(b.groups[1].has_true_positive_rate && b.groups[1].true_positive_rate == 0.82);
    mg_baseline_free(&b);
    assert_int_equal(mg_baseline_parse(NULL, &b, NULL), 0);
    assert_false(b.present);
    assert_int_equal(b.nfeatures, 0);

    static const struct {
        const char *json, *message;
    } bad[] = {
        {"{\"features\": [{\"name\": \"a\", \"edges\": [1, 2, 3, 4], \"proportions\": [0.2, 0.2, 0.2, 0.2, "
         "0.1, 0.1]}]}",
         "spec.baseline.features[0].proportions: 6 entries, want 5 (edges + 1)"},
        {"{\"features\": [{\"name\": \"a\", \"edges\": [1, 1], \"proportions\": [0.5, 0, 0.5]}]}",
         "spec.baseline.features[0].edges: not strictly increasing at [1]"},
        {"{\"features\": [{\"name\": \"a\", \"edges\": [1]}]}",
         "spec.baseline.features[0].proportions: missing"},
        {"{\"features\": [{\"name\": \"a\", \"proportions\": [1]}, {\"name\": \"a\", \"proportions\": [1]}]}",
         "spec.baseline.features[1].name: duplicate \"a\""},
        {"{\"features\": [{\"edges\": [1], \"proportions\": [0.5, 0.5]}]}",
         "spec.baseline.features[0].name: missing"},
        {"{\"features\": [{\"name\": \"a\", \"edges\": [1, \"x\"], \"proportions\": [1, 0, 0]}]}",
         "spec.baseline.features[0].edges[1]: not a number"},
        {"{\"features\": [{\"name\": \"a\", \"edges\": [1], \"proportions\": [0, 0]}]}",
         "spec.baseline.features[0].proportions: all zero"},
        {"{\"features\": [{\"name\": \"a\", \"edges\": [1], \"proportions\": [-0.5, 1.5]}]}",
         "spec.baseline.features[0].proportions[0]: negative"},
        {"{\"accuracy\": 1.5}", "spec.baseline.accuracy: not a number in [0, 1]"},
        {"{\"groups\": [{\"attribute\": \"sex\"}]}",
         "spec.baseline.groups[0]: needs attribute and group strings"},
        {"{\"groups\": [{\"attribute\": \"sex\", \"group\": \"f\", \"positiveRate\": 2}]}",
         "spec.baseline.groups[0].positiveRate: not a number in [0, 1]"},
    };
    mg_error e = {0};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *j = J(bad[i].json);
        assert_int_equal(mg_baseline_parse(j, &b, &e), MG_EINVAL);
        assert_string_equal(e.message, bad[i].message);
        assert_int_equal(b.nfeatures, 0);
        json_decref(j);
    }
}

/* ---- one window ------------------------------------------------------------------------------ */

static const mg_eval_breach *find_breach(const mg_eval_result *r, mg_eval_metric m, mg_level l,
                                         const char *subject) {
    for (size_t i = 0; i < r->nbreaches; i++) {
        const mg_eval_breach *b = &r->breaches[i];
        if (b->metric == m && b->level == l &&
            ((!subject && !b->subject) || (subject && b->subject && !strcmp(subject, b->subject))))
            return b;
    }
    return NULL;
}

static void test_window_figures(void **state) {
    (void)state;
    mg_baseline b;
    load_baseline(&b);
    mg_model_metrics w;
    load_window(WINDOW, &w);
    mg_monitor_spec s;
    load_spec("{\"minSamples\": 200,"
              " \"warn\": {\"maxPSI\": 0.1, \"maxKS\": 0.5, \"minAccuracy\": 0.85, \"minF1\": 0.8,"
              "  \"maxAccuracyDrop\": 0.05, \"maxDemographicParityDiff\": 0.09, \"minDisparateImpact\": 0.8,"
              "  \"maxEqualOpportunityDiff\": 0.1},"
              " \"quarantine\": {\"maxPSI\": 0.25, \"minAccuracy\": 0.75, \"maxJSDistance\": 0.4}}",
              &s);
    mg_eval_result r;
    mg_eval_window(&b, &w, &s, &r);

    assert_true(r.samples == 200); /* race (alphabetically first): 80 + 120 */
    assert_true(r.judged);         /* 200 >= minSamples 200 */
    assert_true(r.has_accuracy && r.has_f1 && r.has_accuracy_drop);
    NEAR(r.accuracy, 0.85);
    NEAR(r.f1, 100.0 / 130.0);
    NEAR(r.accuracy_drop, 0.06);
    assert_true(r.feedback == 200);

    assert_int_equal(r.nfeatures, 3);
    assert_true(r.features[0].ok);
    assert_string_equal(r.features[0].name, "age");
    NEAR(r.features[0].psi, 0.166094743329);
    NEAR(r.features[0].ks, 0.175);
    NEAR(r.features[0].js, 0.171847903869);
    assert_true(r.features[1].ok);
    NEAR(r.features[1].psi, 1.76210062869);
    NEAR(r.features[1].ks, 0.45);
    NEAR(r.features[1].js, 0.470868365262);
    assert_false(r.features[2].ok);
    assert_string_equal(r.features[2].error, "no live histogram");
    assert_true(r.has_max_psi);
    NEAR(r.max_psi, 1.76210062869);
    assert_string_equal(r.worst_feature, "income");

    assert_int_equal(r.nfairness, 2);
    assert_string_equal(r.fairness[0].attribute, "race");
    assert_true(r.fairness[0].has_dp && r.fairness[0].has_di && !r.fairness[0].has_eo); /* no feedback */
    NEAR(r.fairness[0].dp_diff, 0.4 - 38.0 / 120.0);
    NEAR(r.fairness[0].disparate_impact, (38.0 / 120.0) / 0.4);
    assert_string_equal(r.fairness[1].attribute, "sex");
    NEAR(r.fairness[1].dp_diff, 0.1);
    NEAR(r.fairness[1].disparate_impact, 0.75);
    assert_true(r.fairness[1].has_eo);
    NEAR(r.fairness[1].eo_diff, 0.05);

    /* breaches, in order: quarantine first, then metric order, then subject */
    static const struct {
        mg_eval_metric m;
        mg_level l;
        const char *subject;
        double thr;
    } want[] = {
        {MG_METRIC_MAX_PSI, MG_LEVEL_QUARANTINE, "income", 0.25},
        {MG_METRIC_MAX_JS, MG_LEVEL_QUARANTINE, "income", 0.4},
        {MG_METRIC_MIN_F1, MG_LEVEL_WARN, NULL, 0.8},
        {MG_METRIC_MAX_ACCURACY_DROP, MG_LEVEL_WARN, NULL, 0.05},
        {MG_METRIC_MAX_PSI, MG_LEVEL_WARN, "age", 0.1},
        {MG_METRIC_MAX_PSI, MG_LEVEL_WARN, "income", 0.1},
        {MG_METRIC_MAX_DP_DIFF, MG_LEVEL_WARN, "sex", 0.09},
        {MG_METRIC_MIN_DISPARATE_IMPACT, MG_LEVEL_WARN, "race", 0.8},
        {MG_METRIC_MIN_DISPARATE_IMPACT, MG_LEVEL_WARN, "sex", 0.8},
    };
    assert_int_equal(r.nbreaches, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < r.nbreaches; i++) {
        assert_int_equal(r.breaches[i].metric, want[i].m);
        assert_int_equal(r.breaches[i].level, want[i].l);
        if (want[i].subject)
            assert_string_equal(r.breaches[i].subject, want[i].subject);
        else
            assert_null(r.breaches[i].subject);
        assert_true(r.breaches[i].threshold == want[i].thr);
    }
    NEAR(find_breach(&r, MG_METRIC_MAX_PSI, MG_LEVEL_WARN, "age")->value, 0.166094743329);
    /* minAccuracy 0.85 with accuracy 0.85: equality does not breach; maxKS 0.5 not reached
     * (0.45); race has no feedback, but sex's EO was evaluated */
    assert_null(find_breach(&r, MG_METRIC_MIN_ACCURACY, MG_LEVEL_WARN, NULL));
    for (int lv = 0; lv < MG_LEVEL_COUNT; lv++)
        for (int m = 0; m < MG_METRIC_COUNT; m++)
            assert_false(r.not_evaluated[lv][m]);

    /* JSON: deterministic, rounded, time optional */
    json_t *j1 = mg_eval_result_json(&r, "2026-11-26T12:00:00Z");
    json_t *j2 = mg_eval_result_json(&r, "2026-11-26T12:00:00Z");
    char *d1 = json_dumps(j1, JSON_COMPACT), *d2 = json_dumps(j2, JSON_COMPACT);
    assert_string_equal(d1, d2);
    assert_string_equal(json_string_value(json_object_get(j1, "time")), "2026-11-26T12:00:00Z");
    assert_int_equal(json_integer_value(json_object_get(j1, "samples")), 200);
    assert_true(json_is_true(json_object_get(j1, "judged")));
    assert_true(json_real_value(json_object_get(j1, "f1")) == 0.769231);
    assert_true(json_real_value(json_object_get(j1, "maxPSI")) == 1.7621);
    assert_string_equal(json_string_value(json_object_get(j1, "worstFeature")), "income");
    json_t *f0 = json_array_get(json_object_get(j1, "features"), 0);
    assert_string_equal(json_string_value(json_object_get(f0, "name")), "age");
    assert_true(json_real_value(json_object_get(f0, "psi")) == 0.166095);
    assert_true(json_real_value(json_object_get(f0, "js")) == 0.171848);
    json_t *f2 = json_array_get(json_object_get(j1, "features"), 2);
    assert_string_equal(json_string_value(json_object_get(f2, "error")), "no live histogram");
    assert_null(json_object_get(f2, "psi"));
    json_t *race = json_object_get(json_object_get(j1, "fairness"), "race");
    assert_true(json_real_value(json_object_get(race, "demographicParityDiff")) == 0.0833333);
    assert_true(json_real_value(json_object_get(race, "disparateImpact")) == 0.791667);
    assert_null(json_object_get(race, "equalOpportunityDiff"));
    assert_null(json_object_get(j1, "notEvaluated"));
    json_t *j3 = mg_eval_result_json(&r, NULL);
    assert_null(json_object_get(j3, "time"));
    json_decref(j1);
    json_decref(j2);
    json_decref(j3);
    free(d1);
    free(d2);

    /* the same window evaluated again gives byte-identical JSON */
    mg_eval_result r2;
    mg_eval_window(&b, &w, &s, &r2);
    j1 = mg_eval_result_json(&r, NULL);
    j2 = mg_eval_result_json(&r2, NULL);
    d1 = json_dumps(j1, JSON_COMPACT);
    d2 = json_dumps(j2, JSON_COMPACT);
    assert_string_equal(d1, d2);
    free(d1);
    free(d2);
    json_decref(j1);
    json_decref(j2);
    mg_eval_result_free(&r2);

    /* the series in another order (another scrape, other pods first): the same JSON */
    char *rev = strdup(WINDOW), *lines[64];
    size_t nl = 0;
    for (char *save = NULL, *l = strtok_r(rev, "\n", &save); l && nl < 64; l = strtok_r(NULL, "\n", &save))
        lines[nl++] = l;
    char text[8192];
    size_t off = 0;
    for (size_t i = nl; i-- > 0;)
        off += (size_t)snprintf(text + off, sizeof(text) - off, "%s\n", lines[i]);
    assert_true(off < sizeof(text));
    free(rev);
    mg_model_metrics w2;
    load_window(text, &w2);
    assert_string_equal(w2.predictions[0].attribute, "race"); /* really reordered: race first now */
    mg_eval_window(&b, &w2, &s, &r2);
    j1 = mg_eval_result_json(&r, NULL);
    j2 = mg_eval_result_json(&r2, NULL);
    d1 = json_dumps(j1, JSON_COMPACT);
    d2 = json_dumps(j2, JSON_COMPACT);
    assert_string_equal(d1, d2);
    assert_int_equal(r2.nbreaches, r.nbreaches);
    free(d1);
    free(d2);
    json_decref(j1);
    json_decref(j2);
    mg_eval_result_free(&r2);
    mg_model_metrics_free(&w2);

    mg_eval_result_free(&r);
    mg_monitor_spec_free(&s);
    mg_model_metrics_free(&w);
    mg_baseline_free(&b);
}

static void test_unset_and_unjudged(void **state) {
    (void)state;
    mg_baseline b;
    load_baseline(&b);
    mg_model_metrics w;
    load_window(WINDOW, &w);
    mg_eval_result r;

    /* no thresholds: never a breach, however bad the figures */
    mg_monitor_spec s;
    load_spec("{}", &s);
    mg_eval_window(&b, &w, &s, &r);
    assert_true(r.judged);
    assert_int_equal(r.nbreaches, 0);
    mg_eval_result_free(&r);
    mg_eval_window(&b, &w, NULL, &r); /* no spec at all */
    assert_true(r.judged);
    assert_int_equal(r.nbreaches, 0);
    mg_eval_result_free(&r);
    mg_monitor_spec_free(&s);

    /* below minSamples: figures reported, nothing judged */
    load_spec("{\"minSamples\": 201, \"quarantine\": {\"maxPSI\": 0.25}}", &s);
    mg_eval_window(&b, &w, &s, &r);
    assert_true(r.samples == 200);
    assert_false(r.judged);
    assert_int_equal(r.nbreaches, 0);
    NEAR(r.max_psi, 1.76210062869);
    json_t *j = mg_eval_result_json(&r, NULL);
    assert_true(json_is_false(json_object_get(j, "judged")));
    json_decref(j);
    mg_eval_result_free(&r);
    mg_monitor_spec_free(&s);

    /* zero traffic in the window: never judged, even with minSamples 0; nothing computable */
    load_spec("{\"warn\": {\"maxPSI\": 0.1, \"minAccuracy\": 0.5, \"minDisparateImpact\": 0.8}}", &s);
    mg_model_metrics z;
    load_window("modelgov_feature_bucket{feature=\"age\",le=\"20\"} 0\n"
                "modelgov_feature_bucket{feature=\"age\",le=\"30\"} 0\n"
                "modelgov_feature_bucket{feature=\"age\",le=\"40\"} 0\n"
                "modelgov_feature_bucket{feature=\"age\",le=\"50\"} 0\n"
                "modelgov_feature_bucket{feature=\"age\",le=\"60\"} 0\n"
                "modelgov_feature_bucket{feature=\"age\",le=\"+Inf\"} 0\n"
                "modelgov_predictions_total{attribute=\"sex\",group=\"f\",prediction=\"1\"} 0\n",
                &z);
    mg_eval_window(&b, &z, &s, &r);
    assert_true(r.samples == 0);
    assert_false(r.judged);
    assert_int_equal(r.nbreaches, 0);
    assert_false(r.features[0].ok);
    assert_string_equal(r.features[0].error, "no traffic in the window");
    assert_true(r.not_evaluated[MG_LEVEL_WARN][MG_METRIC_MAX_PSI]);
    assert_true(r.not_evaluated[MG_LEVEL_WARN][MG_METRIC_MIN_ACCURACY]);
    assert_true(r.not_evaluated[MG_LEVEL_WARN][MG_METRIC_MIN_DISPARATE_IMPACT]); /* all rates 0 */
    j = mg_eval_result_json(&r, NULL);
    char *d = json_dumps(json_object_get(j, "notEvaluated"), JSON_COMPACT);
    assert_string_equal(d, "[\"warn/minAccuracy\",\"warn/maxPSI\",\"warn/minDisparateImpact\"]");
    free(d);
    json_decref(j);
    mg_eval_result_free(&r);
    mg_model_metrics_free(&z);
    mg_eval_window(&b, NULL, &s, &r); /* no metrics at all */
    assert_false(r.judged);
    assert_int_equal(r.nfairness, 0);
    mg_eval_result_free(&r);
    mg_monitor_spec_free(&s);

    /* traffic but no feedback yet: accuracy thresholds are not evaluated, not breached;
     * samples from the histograms when the model exports no predictions */
    load_spec("{\"warn\": {\"minAccuracy\": 0.99, \"minF1\": 0.99, \"maxAccuracyDrop\": 0, \"maxPSI\": 0.1}}",
              &s);
    mg_model_metrics h;
    load_window("modelgov_feature_bucket{feature=\"income\",le=\"1000\"} 0\n"
                "modelgov_feature_bucket{feature=\"income\",le=\"2000\"} 10\n"
                "modelgov_feature_bucket{feature=\"income\",le=\"4000\"} 30\n"
                "modelgov_feature_bucket{feature=\"income\",le=\"8000\"} 60\n"
                "modelgov_feature_count{feature=\"income\"} 100\n",
                &h);
    mg_eval_window(&b, &h, &s, &r);
    assert_true(r.samples == 100);
    assert_true(r.judged);
    assert_false(r.has_accuracy || r.has_f1 || r.has_accuracy_drop);
    assert_true(r.not_evaluated[MG_LEVEL_WARN][MG_METRIC_MIN_ACCURACY]);
    assert_true(r.not_evaluated[MG_LEVEL_WARN][MG_METRIC_MIN_F1]);
    assert_true(r.not_evaluated[MG_LEVEL_WARN][MG_METRIC_MAX_ACCURACY_DROP]);
    assert_false(r.not_evaluated[MG_LEVEL_WARN][MG_METRIC_MAX_PSI]);
    assert_int_equal(r.nbreaches, 1);
    assert_int_equal(r.breaches[0].metric, MG_METRIC_MAX_PSI);
    assert_string_equal(r.breaches[0].subject, "income");
    mg_eval_result_free(&r);
    mg_model_metrics_free(&h);
    mg_monitor_spec_free(&s);

    /* baseline edges missing from the live buckets: that feature is not evaluated */
    load_spec("{\"warn\": {\"maxPSI\": 0.1}}", &s);
    load_window("modelgov_feature_bucket{feature=\"age\",le=\"25\"} 1\n"
                "modelgov_feature_bucket{feature=\"age\",le=\"+Inf\"} 2\n"
                "modelgov_predictions_total{attribute=\"sex\",group=\"f\",prediction=\"1\"} 2\n",
                &h);
    mg_eval_window(&b, &h, &s, &r);
    assert_true(r.judged);
    assert_false(r.features[0].ok);
    assert_non_null(strstr(r.features[0].error, "no bucket le=20"));
    assert_true(r.not_evaluated[MG_LEVEL_WARN][MG_METRIC_MAX_PSI]);
    assert_int_equal(r.nbreaches, 0);
    mg_eval_result_free(&r);
    mg_model_metrics_free(&h);
    mg_monitor_spec_free(&s);

    mg_model_metrics_free(&w);
    mg_baseline_free(&b);
}

/* ---- breach tracking --------------------------------------------------------------------- */

/* A minimal judged result with the given breaches (subject may be NULL). */
typedef struct {
    mg_eval_metric m;
    mg_level l;
    const char *subject;
    double value, thr;
} fake_breach;

static void fake_result(mg_eval_result *r, bool judged, const fake_breach *fb, size_t n) {
    memset(r, 0, sizeof(*r));
    r->judged = judged;
    r->samples = judged ? 1000 : 0;
    r->breaches = calloc(n ? n : 1, sizeof(*r->breaches));
    for (size_t i = 0; i < n; i++)
        r->breaches[i] = (mg_eval_breach){fb[i].m, fb[i].l, fb[i].subject ? strdup(fb[i].subject) : NULL,
                                          fb[i].value, fb[i].thr};
    r->nbreaches = n;
}

static bool feed(mg_breach_tracker *t, bool judged, const fake_breach *fb, size_t n, int consecutive,
                 int64_t now) {
    mg_eval_result r;
    fake_result(&r, judged, fb, n);
    bool changed = mg_breach_tracker_update(t, &r, consecutive, now);
    mg_eval_result_free(&r);
    return changed;
}

static void test_tracker_consecutive(void **state) {
    (void)state;
    mg_breach_tracker t = {0};
    mg_breach_summary s;
    const fake_breach psi[] = {{MG_METRIC_MAX_PSI, MG_LEVEL_WARN, "age", 0.2, 0.1}};
    /* one noisy window, then a clean one: never active */
    assert_false(feed(&t, true, psi, 1, 2, 1000));
    mg_breach_tracker_summary(&t, &s);
    assert_false(s.warn_active || s.condition[MG_COND_DRIFTED]);
    assert_int_equal(t.n, 1);
    assert_int_equal(t.items[0].streak, 1);
    assert_false(feed(&t, true, NULL, 0, 2, 2000));
    assert_int_equal(t.n, 0);
    /* unjudged windows leave a pending streak alone */
    feed(&t, true, psi, 1, 2, 3000);
    assert_false(feed(&t, false, NULL, 0, 2, 4000));
    assert_int_equal(t.items[0].streak, 1);
    /* the second consecutive breaching window activates it */
    assert_true(feed(&t, true, psi, 1, 2, 5000));
    assert_true(t.items[0].active && t.items[0].fresh);
    assert_int_equal(t.items[0].since_ms, 5000);
    mg_breach_tracker_summary(&t, &s);
    assert_true(s.warn_active && !s.quarantine_active);
    assert_true(s.condition[MG_COND_DRIFTED] && !s.condition[MG_COND_DEGRADED] &&
                !s.condition[MG_COND_BIAS_DRIFT]);
    assert_string_equal(s.message[MG_COND_DRIFTED], "maxPSI warn: feature age 0.2 > 0.1");
    assert_string_equal(s.message[MG_COND_DEGRADED], "");
    /* still breaching: nothing changes but the value; unjudged: still active */
    const fake_breach psi2[] = {{MG_METRIC_MAX_PSI, MG_LEVEL_WARN, "age", 0.3, 0.1}};
    assert_false(feed(&t, true, psi2, 1, 2, 6000));
    assert_false(t.items[0].fresh);
    assert_true(t.items[0].value == 0.3 && t.items[0].since_ms == 5000 && t.items[0].streak == 3);
    assert_false(feed(&t, false, NULL, 0, 2, 7000));
    mg_breach_tracker_summary(&t, &s);
    assert_true(s.warn_active);
    /* status.breaches */
    json_t *a = mg_breach_tracker_status_json(&t);
    char *d = json_dumps(a, JSON_COMPACT);
    assert_string_equal(d, "[{\"metric\":\"maxPSI\",\"level\":\"warn\",\"condition\":\"Drifted\",\"feature\":"
                           "\"age\",\"value\":0.29999999999999999,\"threshold\":0.10000000000000001,"
                           "\"since\":\"1970-01-01T00:00:05Z\",\"acknowledged\":false}]");
    free(d);
    json_decref(a);
    /* one non-breaching judged window clears it, and reports it cleared */
    assert_true(feed(&t, true, NULL, 0, 2, 8000));
    assert_int_equal(t.n, 0);
    assert_int_equal(t.ncleared, 1);
    assert_int_equal(t.cleared[0].metric, MG_METRIC_MAX_PSI);
    assert_string_equal(t.cleared[0].subject, "age");
    mg_breach_tracker_summary(&t, &s);
    assert_false(s.warn_active || s.condition[MG_COND_DRIFTED]);
    /* consecutive 1: active at once; a different subject is a different key */
    const fake_breach two[] = {{MG_METRIC_MIN_ACCURACY, MG_LEVEL_WARN, NULL, 0.7, 0.8},
                               {MG_METRIC_MAX_PSI, MG_LEVEL_WARN, "income", 0.2, 0.1}};
    assert_true(feed(&t, true, two, 2, 1, 9000));
    assert_int_equal(t.ncleared, 0);
    mg_breach_tracker_summary(&t, &s);
    assert_true(s.condition[MG_COND_DEGRADED] && s.condition[MG_COND_DRIFTED]);
    assert_string_equal(s.message[MG_COND_DEGRADED], "minAccuracy warn: 0.7 < 0.8");
    const fake_breach other[] = {{MG_METRIC_MAX_PSI, MG_LEVEL_WARN, "age", 0.2, 0.1}};
    assert_true(feed(&t, true, other, 1, 2, 10000)); /* income and accuracy cleared, age pending */
    assert_int_equal(t.ncleared, 2);
    mg_breach_tracker_summary(&t, &s);
    assert_false(s.warn_active);
    mg_breach_tracker_free(&t);
}

static void test_tracker_acknowledge(void **state) {
    (void)state;
    mg_breach_tracker t = {0};
    mg_breach_summary s;
    const fake_breach warn[] = {{MG_METRIC_MAX_DP_DIFF, MG_LEVEL_WARN, "sex", 0.15, 0.1}};
    const fake_breach both[] = {{MG_METRIC_MAX_DP_DIFF, MG_LEVEL_QUARANTINE, "sex", 0.35, 0.3},
                                {MG_METRIC_MAX_DP_DIFF, MG_LEVEL_WARN, "sex", 0.35, 0.1}};
    /* nothing active: nothing to acknowledge */
    feed(&t, true, warn, 1, 2, 1000);
    assert_int_equal(mg_breach_tracker_acknowledge(&t), 0);
    feed(&t, true, warn, 1, 2, 2000);
    mg_breach_tracker_summary(&t, &s);
    assert_true(s.warn_active);
    /* a human releases: the breach stays (condition true) but no longer asks for review */
    assert_int_equal(mg_breach_tracker_acknowledge(&t), 1);
    mg_breach_tracker_summary(&t, &s);
    assert_false(s.warn_active);
    assert_true(s.condition[MG_COND_BIAS_DRIFT]);
    assert_string_equal(s.message[MG_COND_BIAS_DRIFT],
                        "maxDemographicParityDiff warn: attribute sex 0.15 > 0.1 "
                        "(acknowledged)");
    /* it keeps breaching: still acknowledged */
    assert_false(feed(&t, true, warn, 1, 2, 3000));
    mg_breach_tracker_summary(&t, &s);
    assert_false(s.warn_active);
    /* a round-trip through JSON keeps it all */
    json_t *j = mg_breach_tracker_to_json(&t);
    mg_breach_tracker t2 = {0};
    assert_int_equal(mg_breach_tracker_from_json(&t2, j, NULL), 0);
    json_t *j2 = mg_breach_tracker_to_json(&t2);
    assert_true(json_equal(j, j2));
    json_decref(j);
    json_decref(j2);
    assert_true(t2.n == 1 && t2.items[0].acknowledged && t2.items[0].active && t2.items[0].streak == 3);
    mg_breach_tracker_free(&t2);
    /* the metric reaches the quarantine level: pending quarantine keeps the ack, active one ends it */
    assert_false(feed(&t, true, both, 2, 2, 4000));
    mg_breach_tracker_summary(&t, &s);
    assert_false(s.warn_active || s.quarantine_active);
    assert_true(feed(&t, true, both, 2, 2, 5000));
    mg_breach_tracker_summary(&t, &s);
    assert_true(s.quarantine_active);
    assert_true(s.warn_active); /* quarantine level beats the acknowledgement */
    json_t *a = mg_breach_tracker_status_json(&t);
    assert_int_equal(json_array_size(a), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(a, 0), "level")), "quarantine");
    assert_true(json_is_false(json_object_get(json_array_get(a, 1), "acknowledged")));
    json_decref(a);
    /* acknowledge does not touch quarantine breaches */
    assert_int_equal(mg_breach_tracker_acknowledge(&t), 1);
    mg_breach_tracker_summary(&t, &s);
    assert_true(s.quarantine_active && !s.warn_active);
    mg_breach_tracker_clear(&t);
    /* recovery clears the acknowledgement: the next breach asks for review again */
    feed(&t, true, warn, 1, 1, 6000);
    mg_breach_tracker_acknowledge(&t);
    feed(&t, true, NULL, 0, 1, 7000);
    feed(&t, true, warn, 1, 1, 8000);
    mg_breach_tracker_summary(&t, &s);
    assert_true(s.warn_active);
    mg_breach_tracker_free(&t);
}

static void test_tracker_json_errors(void **state) {
    (void)state;
    mg_breach_tracker t = {0};
    mg_error e = {0};
    static const char *bad[] = {
        "[]",
        "{\"version\": 2, \"breaches\": []}",
        "{\"version\": 1, \"breaches\": [{\"metric\": \"maxFoo\", \"level\": \"warn\", \"streak\": 1, "
        "\"active\": "
        "false, \"acknowledged\": false, \"value\": 1, \"threshold\": 0, \"since\": 0}]}",
        "{\"version\": 1, \"breaches\": [{\"metric\": \"maxPSI\", \"level\": \"warn\", \"streak\": 0, "
        "\"active\": "
        "false, \"acknowledged\": false, \"value\": 1, \"threshold\": 0, \"since\": 0}]}",
        "{\"version\": 1, \"breaches\": [{\"metric\": \"maxPSI\", \"level\": \"warn\", \"streak\": 1, "
        "\"active\": "
        "false, \"acknowledged\": false, \"value\": 1, \"threshold\": 0, \"since\": 0}, {\"metric\": "
        "\"maxPSI\", "
        "\"level\": \"warn\", \"streak\": 2, \"active\": false, \"acknowledged\": false, \"value\": 1, "
        "\"threshold\": 0, \"since\": 0}]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *j = J(bad[i]);
        assert_int_equal(mg_breach_tracker_from_json(&t, j, &e), MG_EINVAL);
        assert_int_equal(t.n, 0);
        json_decref(j);
    }
    mg_breach_tracker_free(&t);
}

/* End to end: the same drifted window three times with consecutive 2 activates on the
 * second; a healthy window clears. */
static void test_window_to_tracker(void **state) {
    (void)state;
    mg_baseline b;
    load_baseline(&b);
    mg_model_metrics w;
    load_window(WINDOW, &w);
    mg_monitor_spec s;
    load_spec("{\"warn\": {\"maxPSI\": 0.1}, \"quarantine\": {\"maxPSI\": 1.0}}", &s);
    mg_breach_tracker t = {0};
    mg_breach_summary sum;
    mg_eval_result r;
    for (int i = 0; i < 2; i++) {
        mg_eval_window(&b, &w, &s, &r);
        bool changed = mg_breach_tracker_update(&t, &r, s.consecutive, 1000 * (i + 1));
        assert_true(changed == (i == 1));
        mg_eval_result_free(&r);
    }
    mg_breach_tracker_summary(&t, &sum);
    assert_true(sum.warn_active && sum.quarantine_active);
    assert_string_equal(
        sum.message[MG_COND_DRIFTED],
        "maxPSI quarantine: feature income 1.7621 > 1; maxPSI warn: feature age 0.166095 > 0.1; "
        "maxPSI warn: feature income 1.7621 > 0.1");
    /* healthy window: the age histogram matches the baseline exactly, income not exported */
    mg_model_metrics h;
    load_window("modelgov_feature_bucket{feature=\"age\",le=\"20\"} 10\n"
                "modelgov_feature_bucket{feature=\"age\",le=\"30\"} 50\n"
                "modelgov_feature_bucket{feature=\"age\",le=\"40\"} 110\n"
                "modelgov_feature_bucket{feature=\"age\",le=\"50\"} 160\n"
                "modelgov_feature_bucket{feature=\"age\",le=\"60\"} 190\n"
                "modelgov_feature_bucket{feature=\"age\",le=\"+Inf\"} 200\n",
                &h);
    mg_eval_window(&b, &h, &s, &r);
    NEAR(r.features[0].psi, 0);
    assert_true(mg_breach_tracker_update(&t, &r, s.consecutive, 3000));
    assert_int_equal(t.ncleared, 3);
    mg_breach_tracker_summary(&t, &sum);
    assert_false(sum.warn_active || sum.quarantine_active || sum.condition[MG_COND_DRIFTED]);
    mg_eval_result_free(&r);
    mg_model_metrics_free(&h);
    mg_breach_tracker_free(&t);
    mg_monitor_spec_free(&s);
    mg_model_metrics_free(&w);
    mg_baseline_free(&b);
}

static void test_names(void **state) {
    (void)state;
    for (int m = 0; m < MG_METRIC_COUNT; m++) {
        mg_eval_metric back;
        assert_int_equal(mg_eval_metric_parse(mg_eval_metric_name((mg_eval_metric)m), &back), 0);
        assert_int_equal(back, m);
    }
    assert_string_equal(mg_eval_metric_name(MG_METRIC_MAX_JS), "maxJSDistance");
    assert_string_equal(mg_eval_condition_name(mg_eval_metric_condition(MG_METRIC_MAX_ACCURACY_DROP)),
                        "Degraded");
    assert_string_equal(mg_eval_condition_name(mg_eval_metric_condition(MG_METRIC_MAX_KS)), "Drifted");
    assert_string_equal(mg_eval_condition_name(mg_eval_metric_condition(MG_METRIC_MIN_DISPARATE_IMPACT)),
                        "BiasDrift");
    assert_null(mg_eval_metric_subject_kind(MG_METRIC_MIN_F1));
    assert_true(mg_eval_round6(0.1234567891) == 0.123457);
    assert_true(mg_eval_round6(123456789.0) == 123457000.0);
    assert_true(mg_eval_round6(-0.0) == 0 && !signbit(mg_eval_round6(-0.0)));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_monitor_spec_parse),
        cmocka_unit_test(test_baseline_parse),
        cmocka_unit_test(test_window_figures),
        cmocka_unit_test(test_unset_and_unjudged),
        cmocka_unit_test(test_tracker_consecutive),
        cmocka_unit_test(test_tracker_acknowledge),
        cmocka_unit_test(test_tracker_json_errors),
        cmocka_unit_test(test_window_to_tracker),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
