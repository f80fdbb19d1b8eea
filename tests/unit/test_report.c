/* Unit tests for src/report and src/promapi: a namespace of governance objects
 * (data/report/namespace.json) → the report document, checked path by path against tables of
 * expected values worked out by hand from that file; plots from range-query answers; the SVG,
 * HTML and Markdown renderings; the query_range answer parser on good and bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/mem.h"
#include "promapi/promapi.h"
#include "report/internal.h"
#include "report/report.h"

#define FIXTURE "tests/unit/data/report/namespace.json"

static json_t *fixture(void) {
    json_error_t e;
    json_t *f = json_load_file(FIXTURE, 0, &e);
    if (!f) fail_msg("%s: %s", FIXTURE, e.text);
    return f;
}

static int64_t at(const char *ts) {
    int64_t ms = 0;
    assert_int_equal(mg_clock_parse_rfc3339(ts, &ms), 0);
    return ms;
}

/* The document of one version of the fixture's namespace, now = 11:00. */
static json_t *build(const json_t *f, const char *mv_key, const char *tr_key) {
    json_t *events = json_object_get(f, "events");
    json_t *retrain = json_pack("[O]", json_object_get(f, "retrainRun"));
    json_t *mvs = json_pack("[O,O]", json_object_get(f, "mv1"), json_object_get(f, "mv2"));
    bool first = !strcmp(mv_key, "mv1");
    mg_report_input in = {
        .namespace_ = "credit-ns",
        .mv = json_object_get(f, mv_key),
        .training_run = json_object_get(f, tr_key),
        .datasets = json_object_get(f, "datasets"),
        .reviews = json_object_get(f, "reviews"),
        .deployments = json_object_get(f, "deployments"),
        .events = events,
        .retraining_runs = first ? retrain : NULL,
        .model_versions = mvs,
        .generator = "kubectl-modelgov test",
        .now_ms = at("2026-11-01T11:00:00Z"),
        .start_ms = at("2026-11-01T10:00:00Z"),
    };
    json_t *doc = mg_report_build(&in);
    json_decref(retrain);
    json_decref(mvs);
    return doc;
}

/* The value at "a/b/0/c" (numbers index arrays); NULL when missing. */
static json_t *path(json_t *doc, const char *p) {
    char *copy = mg_xstrdup(p), *save = NULL;
    json_t *v = doc;
    for (char *tok = strtok_r(copy, "/", &save); tok && v; tok = strtok_r(NULL, "/", &save))
        v = json_is_array(v) ? json_array_get(v, strtoul(tok, NULL, 10)) : json_object_get(v, tok);
    free(copy);
    return v;
}

typedef struct {
    const char *path;
    const char *want; /* a JSON text; "#N" means an array or object of size N; NULL means absent */
} expect;

static void check(json_t *doc, const expect *e, size_t n) {
    for (size_t i = 0; i < n; i++) {
        json_t *got = path(doc, e[i].path);
        char *g = got ? json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY) : mg_xstrdup("(absent)");
        if (!e[i].want) {
            if (got) fail_msg("%s: want absent, got %s", e[i].path, g);
        } else if (e[i].want[0] == '#') {
            size_t size = json_is_array(got) ? json_array_size(got) : json_object_size(got);
            if (!got || size != strtoul(e[i].want + 1, NULL, 10))
                fail_msg("%s: want size %s, got %s", e[i].path, e[i].want + 1, g);
        } else {
            json_t *want = json_loads(e[i].want, JSON_DECODE_ANY, NULL);
            if (!want) fail_msg("bad expectation %s", e[i].want);
            if (!got || !json_equal(want, got)) fail_msg("%s: want %s, got %s", e[i].path, e[i].want, g);
            json_decref(want);
        }
        free(g);
    }
}

static const expect quarantined_version[] = {
    {"schema", "\"modelgov.io/report/v1\""},
    {"range/start", "\"2026-11-01T10:00:00Z\""},
    {"identity/author", "\"bob\""},
    {"identity/digest", "\"sha256:aaaa\""},
    {"identity/quarantined", "true"},
    {"identity/quarantineEvidence/maxPSI", "2.1"},
    /* lineage: breadth-first from the trained-on dataset; a missing parent is listed, not lost */
    {"lineage/trainingRun/params/lr", "\"0.05\""},
    {"lineage/trainingRun/metrics/accuracy", "0.91"},
    {"lineage/trainingRun/codeRevision", "\"9f2c1e7\""},
    {"lineage/datasets", "#3"},
    {"lineage/datasets/0/name", "\"loans-2026-10\""},
    {"lineage/datasets/0/depth", "0"},
    {"lineage/datasets/1/name", "\"loans-2026-09\""},
    {"lineage/datasets/1/parentOf", "\"loans-2026-10\""},
    {"lineage/datasets/1/privacy/k", "5"},
    {"lineage/datasets/2/name", "\"loans-missing\""},
    {"lineage/datasets/2/found", "false"},
    {"lineage/datasets/0/biasScan/fileDigestMatches", "true"},
    {"lineage/datasets/0/biasScan/groups/0/fourFifths", "\"fail\""},
    {"lineage/datasets/0/biasScan/groups/1/fourFifths", "\"pass\""},
    {"lineage/datasets/1/biasScan", "null"},
    /* reviews: bound to the object: its own four and the release on credit while credit ran it
     * (not r5 or r7, bound to other objects; r9 names it but is bound to a deleted one) */
    {"reviews", "#5"},
    {"reviews/0/name", "\"r1\""},
    {"reviews/0/latest", "false"},
    {"reviews/0/comment", "\"CVE-2026-1 | open\""},
    {"reviews/1/latest", "true"},
    {"reviews/4/name", "\"r6\""},
    {"reviews/4/deployment", "\"credit\""},
    {"approval/approved", "true"},
    {"approval/approvedAt", "\"2026-11-01T10:04:00Z\""},
    {"approval/deciding", "#4"},
    {"approval/unboundReviews", "1"},
    {"approval/quarantined", "true"},
    /* deployments: credit ran it 10:05-10:30; other never did */
    {"deployments", "#1"},
    {"deployments/0/servingNow", "false"},
    {"deployments/0/served", "#1"},
    {"deployments/0/served/0/endReason", "\"Quarantined\""},
    /* monitoring: credit's latest evaluation is 1.1.0's, so none for this version */
    {"monitoring/baseline/fairness/sex/disparateImpact", "0.8"},
    {"monitoring/deployments/0/lastEvaluation", "null"},
    {"monitoring/deployments/0/evaluationNote", "\"the deployment does not serve this version now\""},
    {"monitoring/deployments/0/checks", "#3"},
    {"monitoring/deployments/0/checks/0/status", "\"not evaluated\""},
    {"monitoring/deployments/0/breaches", "#0"},
    {"plots", "#0"},
    /* incidents, by time: e1, r6, the quarantine, e2 (2 s after the interval), e4 (on the version) */
    {"incidents", "#5"},
    {"incidents/0/reason", "\"AwaitingReview\""},
    {"incidents/0/type", "\"alert\""},
    {"incidents/1/type", "\"review\""},
    {"incidents/1/who", "\"alice\""},
    {"incidents/2/type", "\"quarantine\""},
    {"incidents/2/evidence/feature", "\"age\""},
    {"incidents/3/reason", "\"Quarantined\""},
    {"incidents/4/type", "\"event\""},
    {"retraining/origin", "null"},
    {"retraining/followed/0/trainingRun", "\"credit-retrain-1\""},
    {"retraining/followed/0/modelVersions/0/name", "\"credit-1-1-0\""},
    {"retraining/followed/0/modelVersions/0/promotedOn/0/deployment", "\"credit\""},
};

static const expect retrained_version[] = {
    {"identity/quarantined", "false"},
    {"lineage/trainingRun/retrainingOf", "\"credit-1-0-0\""},
    {"lineage/datasets/0/name", "\"loans-2026-11\""},
    {"lineage/datasets/0/found", "false"},
    {"reviews", "#2"}, /* r8 and r7 (a release on credit while it runs 1.1.0) */
    {"approval/approved", "false"},
    {"deployments/0/servingNow", "true"},
    {"deployments/0/served/0/to", NULL},
    /* every configured threshold against the latest evaluation, in the operator's order */
    {"monitoring/deployments/0/checks", "#4"},
    {"monitoring/deployments/0/checks/0/metric", "\"minAccuracy\""},
    {"monitoring/deployments/0/checks/0/status", "\"ok\""},
    {"monitoring/deployments/0/checks/0/baseline", "0.9"},
    {"monitoring/deployments/0/checks/1/subject", "\"age\""},
    {"monitoring/deployments/0/checks/1/status", "\"warn\""},
    {"monitoring/deployments/0/checks/1/quarantine", "1.5"},
    {"monitoring/deployments/0/checks/2/subject", "\"income\""},
    {"monitoring/deployments/0/checks/2/status", "\"ok\""},
    {"monitoring/deployments/0/checks/3/metric", "\"minDisparateImpact\""},
    {"monitoring/deployments/0/checks/3/status", "\"warn\""},
    {"monitoring/deployments/0/checks/3/baseline", "0.8"},
    {"monitoring/deployments/0/breaches", "#1"},
    {"incidents", "#2"}, /* e3 and r7 */
    {"retraining/origin/retrainingOf", "\"credit-1-0-0\""},
    {"retraining/origin/deployment", "\"credit\""},
    {"retraining/followed", "#0"},
};

static void test_document(void **state) {
    json_t *f = fixture();
    json_t *doc = build(f, "mv1", "trainingRun");
    check(doc, quarantined_version, sizeof quarantined_version / sizeof *quarantined_version);
    json_decref(doc);
    doc = build(f, "mv2", "retrainRun");
    check(doc, retrained_version, sizeof retrained_version / sizeof *retrained_version);
    json_decref(doc);
    json_decref(f);
}

/* Same input, same bytes: the document and both renderings are deterministic. */
static void test_deterministic(void **state) {
    json_t *f = fixture();
    json_t *a = build(f, "mv1", "trainingRun"), *b = build(f, "mv1", "trainingRun");
    char *ja = json_dumps(a, JSON_COMPACT), *jb = json_dumps(b, JSON_COMPACT);
    assert_string_equal(ja, jb);
    char *ha = mg_report_html(a), *hb = mg_report_html(b);
    assert_string_equal(ha, hb);
    free(ja), free(jb), free(ha), free(hb);
    json_decref(a), json_decref(b), json_decref(f);
}

/* ---- plots ---- */

/* A matrix of series (label key/value, then n points (t, v) over a time base). */
static void add_series(mg_prom_matrix *m, const char *k1, const char *v1, const char *k2, const char *v2,
                       const char *t0, const double *dt_s, const double *v, size_t n) {
    m->series = mg_xrealloc(m->series, (m->n + 1) * sizeof *m->series);
    mg_prom_series *s = &m->series[m->n++];
    s->labels = json_object();
    if (k1) json_object_set_new(s->labels, k1, json_string(v1));
    if (k2) json_object_set_new(s->labels, k2, json_string(v2));
    s->n = n;
    s->t_ms = mg_xcalloc(n, sizeof *s->t_ms);
    s->v = mg_xcalloc(n, sizeof *s->v);
    for (size_t i = 0; i < n; i++)
        s->t_ms[i] = at(t0) + (int64_t)(dt_s[i] * 1000), s->v[i] = v[i];
}

static void test_plots(void **state) {
    json_t *f = fixture();
    json_t *doc = build(f, "mv1", "trainingRun");
    const char *deps[4];
    assert_int_equal(mg_report_plot_deployments(doc, deps, 4), 1);
    assert_string_equal(deps[0], "credit");
    assert_int_equal(mg_report_plot_step_ms(doc), 15000); /* 3600 s / 240 points */
    char *q = mg_report_plot_query(doc, "credit", MG_REPORT_FIG_PSI);
    assert_string_equal(q, "modelgov_model_psi{namespace=\"credit-ns\",modeldeployment=\"credit\","
                           "modelversion=\"credit-1-0-0\"}");
    free(q);
    /* served 10:05-10:30: the points at 10:01 and 10:45 are not this version's */
    static const double dt[] = {-240, 60, 120, 900, 2400};
    static const double acc[] = {0.99, 0.9, 0.85, 0.7, 0.99};
    mg_prom_matrix m = {0};
    add_series(&m, NULL, NULL, NULL, NULL, "2026-11-01T10:05:00Z", dt, acc, 5);
    mg_report_add_plots(doc, "credit", MG_REPORT_FIG_ACCURACY, &m);
    mg_prom_matrix_free(&m);
    static const double psi[4][5] = {{0.01, 0.3, 0.5, 2.0, 0},
                                     {0.01, 0.02, 0.03, 0.04, 0},
                                     {0.1, 0.1, 0.1, 0.1, 0},
                                     {0.2, 0.2, 0.2, 0.25, 0}};
    static const char *const feats[] = {"age", "zip", "income", "tenure"};
    for (int i = 0; i < 4; i++)
        add_series(&m, "feature", feats[i], NULL, NULL, "2026-11-01T10:05:00Z", dt + 1, psi[i], 4);
    mg_report_add_plots(doc, "credit", MG_REPORT_FIG_PSI, &m);
    mg_prom_matrix_free(&m);
    static const double di[] = {0.9, 0.75, 0.7, 0.6};
    add_series(&m, "attribute", "sex", "metric", "disparate_impact", "2026-11-01T10:05:00Z", dt + 1, di, 4);
    add_series(&m, "attribute", "sex", "metric", "demographic_parity_diff", "2026-11-01T10:05:00Z", dt + 1,
               di, 4);
    mg_report_add_plots(doc, "credit", MG_REPORT_FIG_FAIRNESS, &m);
    mg_prom_matrix_free(&m);
    static const expect e[] = {
        {"plotsNote", NULL},
        {"plots", "#4"}, /* accuracy, psi, disparate impact, demographic parity (no EO data, no threshold) */
        {"plots/0/figure", "\"accuracy\""},
        {"plots/0/thresholds/warn", "0.8"},
        {"plots/0/thresholds/quarantine", NULL},
        {"plots/0/direction", "\"min\""},
        {"plots/0/series/0/points", "#3"},
        {"plots/0/series/0/points/0", "[1793527560.0, 0.9]"},
        {"plots/0/series/0/summary/min", "0.7"},
        {"plots/0/series/0/summary/beyondWarn", "1"},
        {"plots/1/figure", "\"psi\""},
        {"plots/1/series", "#3"},
        {"plots/1/series/0/name", "\"age\""},
        {"plots/1/series/1/name", "\"tenure\""},
        {"plots/1/series/2/name", "\"income\""},
        {"plots/1/note", "\"1 more features with a lower PSI are not drawn\""},
        {"plots/1/thresholds/quarantine", "1.5"},
        {"plots/1/series/0/summary/beyondWarn", "2"},
        {"plots/1/series/0/summary/beyondQuarantine", "0"},
        {"plots/2/figure", "\"disparate-impact\""},
        {"plots/2/thresholds/warn", "0.8"},
        {"plots/2/series/0/name", "\"sex\""},
        {"plots/2/series/0/summary/beyondWarn", "2"},
        {"plots/3/figure", "\"demographic-parity\""},
        {"plots/3/thresholds", "#0"},
    };
    check(doc, e, sizeof e / sizeof *e);
    json_decref(doc);
    json_decref(f);
}

/* ---- rendering ---- */

static int count(const char *hay, const char *needle) {
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* The SVG of one plot (a new string). */
static char *svg_of(const json_t *plot) {
    mg_rp_out o;
    mg_rp_out_init(&o);
    mg_rp_svg(&o, plot);
    return mg_rp_out_steal(&o);
}

static void test_svg(void **state) {
    /* a gap (10:02 → 10:10) splits the line; a lone point is a dot; names are escaped */
    json_t *plot =
        json_loads("{\"id\":\"x\",\"title\":\"T <1>\",\"direction\":\"max\","
                   "\"thresholds\":{\"warn\":0.2,\"quarantine\":1.5},\"series\":["
                   "{\"name\":\"a<b\",\"points\":[[1000,0.1],[1060,0.3],[1120,0.4],[1600,0.5],[1660,0.6]]},"
                   "{\"name\":\"c\",\"points\":[[1300,0.05]]}]}",
                   0, NULL);
    char *svg = svg_of(plot);
    assert_non_null(svg);
    assert_int_equal(count(svg, "<polyline"), 2);
    assert_int_equal(count(svg, "<circle"), 1);
    assert_int_equal(count(svg, "class=\"threshold warn\" data-value=\"0.2\""), 1);
    assert_int_equal(count(svg, "class=\"threshold quarantine\" data-value=\"1.5\""), 1);
    assert_non_null(strstr(svg, "data-series=\"a&lt;b\""));
    assert_non_null(strstr(svg, "<title>T &lt;1&gt;</title>"));
    assert_null(strstr(svg, "a<b"));
    free(svg);
    json_decref(plot);
    plot = json_loads(
        "{\"id\":\"y\",\"title\":\"empty\",\"direction\":\"min\",\"thresholds\":{},\"series\":[]}", 0, NULL);
    svg = svg_of(plot);
    assert_non_null(strstr(svg, "no data in the range"));
    free(svg);
    json_decref(plot);
    /* a time past year 9999 (a damaged saved report): labelled in seconds, never cast to time_t */
    plot = json_loads("{\"id\":\"z\",\"title\":\"far\",\"direction\":\"max\",\"thresholds\":{},\"series\":["
                      "{\"name\":\"a\",\"points\":[[1700000000,0.1],[17e60,0.3]]}]}",
                      0, NULL);
    svg = svg_of(plot);
    assert_non_null(strstr(svg, "e+61 s</text>"));
    free(svg);
    json_decref(plot);
}

static void test_html_markdown(void **state) {
    json_t *f = fixture();
    json_t *doc = build(f, "mv1", "trainingRun");
    char *html = mg_report_html(doc);
    assert_non_null(html);
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "<link"));
    assert_null(strstr(html, "src="));
    static const char *const sections[] = {"identity",   "lineage",   "reviews",   "deployments",
                                           "monitoring", "incidents", "retraining"};
    for (size_t i = 0; i < sizeof sections / sizeof *sections; i++) {
        char *id = mg_xasprintf("<section id=\"%s\">", sections[i]);
        assert_non_null(strstr(html, id));
        free(id);
    }
    assert_non_null(strstr(html, "patched &lt;ok&gt;")); /* a review comment, escaped */
    assert_non_null(strstr(html, "<td class=\"bad\">fail</td>"));
    assert_non_null(strstr(html, "No plots: no Prometheus URL given"));
    char *md = mg_report_markdown(doc);
    assert_non_null(md);
    assert_non_null(strstr(md, "## Reviews and approval"));
    assert_non_null(strstr(md, "CVE-2026-1 \\| open")); /* the cell border escaped */
    assert_non_null(strstr(md, "patched &lt;ok&gt;"));
    assert_non_null(strstr(md, "\u2717 fail"));
    free(html);
    free(md);
    json_decref(doc);
    json_decref(f);
}

/* ---- promapi ---- */

typedef struct {
    const char *body;
    int rc;
    size_t series, points0;
    const char *err; /* a substring of the message */
} prom_case;

static const prom_case prom_cases[] = {
    {"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{\"feature\":"
     "\"age\"},"
     "\"values\":[[1700000000.5,\"0.25\"],[1700000001,\"NaN\"],[1700000002,\"+Inf\"]]}]}}",
     0, 1, 3, NULL},
    {"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}}", 0, 0, 0, NULL},
    {"{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"parse error at char 3\"}", MG_EHTTP, 0, 0,
     "bad_data: parse error"},
    {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}", MG_EPARSE, 0, 0,
     "want matrix"},
    {"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{},\"values\":[[1,"
     "0.5]]}]}}",
     MG_EPARSE, 0, 0, "point 0"},
    {"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{},\"values\":[[1,"
     "\"x1\"]]}]}}",
     MG_EPARSE, 0, 0, "point 0"},
    {"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{\"a\":1},"
     "\"values\":[]}]}}",
     MG_EPARSE, 0, 0, "label a"},
    {"{\"status\":\"success\",\"status\":\"error\"}", MG_EPARSE, 0, 0, "not JSON"},
    {"<html>502 Bad Gateway</html>", MG_EPARSE, 0, 0, "not JSON"},
    {"{\"data\":{}}", MG_EPARSE, 0, 0, "no status"},
};

static void test_promapi(void **state) {
    for (size_t i = 0; i < sizeof prom_cases / sizeof *prom_cases; i++) {
        const prom_case *c = &prom_cases[i];
        mg_prom_matrix m;
        mg_error err = {0};
        int rc = mg_prom_parse_matrix(c->body, strlen(c->body), &m, &err);
        if (rc != c->rc) fail_msg("case %zu: rc %d, want %d (%s)", i, rc, c->rc, err.message);
        assert_int_equal(m.n, c->series);
        if (c->series) assert_int_equal(m.series[0].n, c->points0);
        if (c->err && !strstr(err.message, c->err))
            fail_msg("case %zu: message '%s' lacks '%s'", i, err.message, c->err);
        mg_prom_matrix_free(&m);
    }
    /* values as Prometheus writes them */
    const char *b = prom_cases[0].body;
    mg_prom_matrix m;
    assert_int_equal(mg_prom_parse_matrix(b, strlen(b), &m, NULL), 0);
    assert_int_equal(m.series[0].t_ms[0], 1700000000500);
    assert_true(m.series[0].v[0] == 0.25 && m.series[0].v[1] != m.series[0].v[1] && m.series[0].v[2] > 1e308);
    assert_string_equal(json_string_value(json_object_get(m.series[0].labels, "feature")), "age");
    mg_prom_matrix_free(&m);
    /* unreachable server: a connect error naming it */
    mg_error err;
    assert_int_equal(mg_prom_query_range("http://127.0.0.1:1", "up", 0, 1000, 1000, 2000, &m, &err),
                     MG_ECONNECT);
    assert_non_null(strstr(err.message, "127.0.0.1:1"));
}

int main(void) {
    mg_mem_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_document), cmocka_unit_test(test_deterministic), cmocka_unit_test(test_plots),
        cmocka_unit_test(test_svg),      cmocka_unit_test(test_html_markdown), cmocka_unit_test(test_promapi),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
