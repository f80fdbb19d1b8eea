/* report — plots of the operator's per-model gauges (operator/monitor.c exports them per
 * namespace and modeldeployment), from Prometheus range queries. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/mem.h"
#include "report/internal.h"
#include "report/report.h"

/* Drift plots show the features that drifted most; more lines would hide each other. */
#define PSI_TOP_FEATURES 3

static const struct figure {
    const char *id, *title, *metric, *threshold;
} figures[MG_REPORT_FIG_COUNT] = {
    [MG_REPORT_FIG_ACCURACY] = {"accuracy", "Accuracy", "modelgov_model_accuracy", "minAccuracy"},
    [MG_REPORT_FIG_F1] = {"f1", "F1", "modelgov_model_f1", "minF1"},
    [MG_REPORT_FIG_PSI] = {"psi", "Data drift: PSI of the worst features", "modelgov_model_psi", "maxPSI"},
    [MG_REPORT_FIG_FAIRNESS] = {"fairness", "Fairness", "modelgov_model_fairness", NULL},
};

/* The fairness gauge's metric label values and the threshold each is judged by. */
static const struct fairness_metric {
    const char *label, *id, *title, *threshold;
} fairness_metrics[] = {
    {"disparate_impact", "disparate-impact", "Fairness: disparate impact", "minDisparateImpact"},
    {"demographic_parity_diff", "demographic-parity", "Fairness: demographic parity difference",
     "maxDemographicParityDiff"},
    {"equal_opportunity_diff", "equal-opportunity", "Fairness: equal opportunity difference",
     "maxEqualOpportunityDiff"},
};

static bool overlaps(const json_t *served, int64_t start, int64_t end) {
    size_t i;
    json_t *e;
    json_array_foreach(served, i, e) {
        int64_t from = mg_rp_time(mg_json_str(e, "from", NULL));
        int64_t to = json_object_get(e, "to") ? mg_rp_time(mg_json_str(e, "to", NULL)) : end;
        if (from >= 0 && from <= end && to >= start) return true;
    }
    return false;
}

size_t mg_report_plot_deployments(const json_t *doc, const char **names, size_t max) {
    int64_t start = mg_rp_time(mg_json_str(doc, "range", "start", NULL));
    int64_t end = mg_rp_time(mg_json_str(doc, "range", "end", NULL));
    size_t n = 0, i;
    json_t *d;
    json_array_foreach(json_object_get(doc, "deployments"), i, d) {
        if (n < max && overlaps(json_object_get(d, "served"), start, end))
            names[n++] = mg_json_str(d, "name", NULL);
    }
    return n;
}

int64_t mg_report_plot_step_ms(const json_t *doc) {
    int64_t start = mg_rp_time(mg_json_str(doc, "range", "start", NULL));
    int64_t end = mg_rp_time(mg_json_str(doc, "range", "end", NULL));
    int64_t span = end > start ? end - start : 0;
    int64_t step_s = (span / MG_REPORT_PLOT_POINTS + MG_MS_PER_S - 1) / MG_MS_PER_S;
    return (step_s < 1 ? 1 : step_s) * MG_MS_PER_S;
}

/* A PromQL string literal's content: backslash and double quote escaped. */
static void promql_string(mg_rp_out *b, const char *s) {
    for (; s && *s; s++) {
        if (*s == '\\' || *s == '"') mg_rp_putn(b, "\\", 1);
        mg_rp_putn(b, s, 1);
    }
}

char *mg_report_plot_query(const json_t *doc, const char *deployment, mg_report_figure f) {
    mg_rp_out b;
    mg_rp_out_init(&b);
    mg_rp_putf(&b, "%s{namespace=\"", figures[f].metric);
    promql_string(&b, mg_json_str(doc, "namespace", NULL));
    mg_rp_put(&b, "\",modeldeployment=\"");
    promql_string(&b, deployment);
    mg_rp_put(&b, "\",modelversion=\"");
    promql_string(&b, mg_json_str(doc, "identity", "name", NULL));
    mg_rp_put(&b, "\"}");
    return mg_rp_out_steal(&b);
}

void mg_report_set_plots_note(json_t *doc, const char *note) { mg_json_set_str(doc, "plotsNote", note); }

/* The points of s inside the served intervals, as [[unix seconds, value]...] (finite only). */
static json_t *served_points(const mg_prom_series *s, const json_t *served, int64_t end_ms) {
    json_t *pts = json_array();
    for (size_t i = 0; i < s->n; i++) {
        if (!isfinite(s->v[i]) || !mg_rp_in_served(served, s->t_ms[i], end_ms)) continue;
        json_array_append_new(pts, json_pack("[f,f]", (double)s->t_ms[i] / MG_MS_PER_S, s->v[i]));
    }
    return pts;
}

/* {points, min, max, last, beyondWarn, beyondQuarantine}: beyond counts the points on the
 * breaching side of each set threshold. */
static json_t *summary(const json_t *pts, const json_t *thresholds, bool is_min) {
    size_t n = json_array_size(pts), bw = 0, bq = 0;
    double lo = INFINITY, hi = -INFINITY;
    json_t *warn = json_object_get(thresholds, "warn"), *quar = json_object_get(thresholds, "quarantine");
    for (size_t i = 0; i < n; i++) {
        double v = json_real_value(json_array_get(json_array_get(pts, i), 1));
        lo = fmin(lo, v);
        hi = fmax(hi, v);
        if (warn && (is_min ? v < json_number_value(warn) : v > json_number_value(warn))) bw++;
        if (quar && (is_min ? v < json_number_value(quar) : v > json_number_value(quar))) bq++;
    }
    json_t *o = json_pack("{s:i}", "points", (json_int_t)n);
    if (n) {
        json_object_set_new(o, "min", json_real(lo));
        json_object_set_new(o, "max", json_real(hi));
        json_object_set_new(o, "last",
                            json_real(json_real_value(json_array_get(json_array_get(pts, n - 1), 1))));
    }
    if (warn) json_object_set_new(o, "beyondWarn", json_integer((json_int_t)bw));
    if (quar) json_object_set_new(o, "beyondQuarantine", json_integer((json_int_t)bq));
    return o;
}

static json_t *new_plot(const json_t *doc, const char *deployment, const char *id, const char *title,
                        const char *threshold, const char *query) {
    const mg_rp_threshold *t = mg_rp_threshold_find(threshold);
    json_t *mon = mg_rp_doc_monitoring(doc, deployment);
    json_t *th = json_object();
    if (t) {
        mg_json_set_opt(th, "warn", mg_json_get(mon, "warn", threshold, NULL));
        mg_json_set_opt(th, "quarantine", mg_json_get(mon, "quarantine", threshold, NULL));
    }
    char *pid = mg_xasprintf("%s-%s", deployment, id);
    json_t *p = json_pack("{s:s, s:s, s:s, s:s, s:s*, s:s, s:o, s:[]}", "id", pid, "deployment", deployment,
                          "figure", id, "title", title, "threshold", threshold, "direction",
                          t && t->is_min ? "min" : "max", "thresholds", th, "series");
    mg_json_set_str(p, "query", query);
    free(pid);
    return p;
}

static void add_series(json_t *plot, const char *name, json_t *pts) {
    bool is_min = !strcmp(mg_json_str(plot, "direction", NULL), "min");
    json_t *s = json_pack("{s:s, s:o}", "name", name ? name : "", "points", pts);
    json_object_set_new(s, "summary", summary(pts, json_object_get(plot, "thresholds"), is_min));
    json_array_append_new(json_object_get(plot, "series"), s);
}

static double max_of(const json_t *pts) {
    double m = -INFINITY;
    size_t i;
    json_t *p;
    json_array_foreach(pts, i, p) m = fmax(m, json_real_value(json_array_get(p, 1)));
    return m;
}

/* The PSI plot: the PSI_TOP_FEATURES features with the highest PSI in the range. */
static void psi_plot(json_t *plot, const mg_prom_matrix *m, const json_t *served, int64_t end) {
    json_t *all = json_array();
    for (size_t i = 0; i < m->n; i++) {
        json_t *pts = served_points(&m->series[i], served, end);
        if (json_array_size(pts))
            json_array_append_new(
                all, json_pack("{s:s*, s:o, s:f}", "name",
                               json_string_value(json_object_get(m->series[i].labels, "feature")), "points",
                               pts, "max", max_of(pts)));
        else
            json_decref(pts);
    }
    size_t total = json_array_size(all);
    for (size_t k = 0; k < PSI_TOP_FEATURES && json_array_size(all); k++) {
        size_t best = 0;
        for (size_t i = 1; i < json_array_size(all); i++)
            if (mg_json_num(json_array_get(all, i), 0, "max", NULL) >
                mg_json_num(json_array_get(all, best), 0, "max", NULL))
                best = i;
        json_t *e = json_array_get(all, best);
        add_series(plot, mg_json_str(e, "name", NULL), json_incref(json_object_get(e, "points")));
        json_array_remove(all, best);
    }
    if (total > PSI_TOP_FEATURES)
        json_object_set_new(
            plot, "note",
            json_sprintf("%zu more features with a lower PSI are not drawn", total - PSI_TOP_FEATURES));
    json_decref(all);
}

static void fairness_plots(json_t *doc, const char *dep, const mg_prom_matrix *m, const json_t *served,
                           int64_t end, const char *query) {
    for (size_t f = 0; f < sizeof fairness_metrics / sizeof *fairness_metrics; f++) {
        const struct fairness_metric *fm = &fairness_metrics[f];
        json_t *plot = new_plot(doc, dep, fm->id, fm->title, fm->threshold, query);
        for (size_t i = 0; i < m->n; i++) {
            const char *metric = json_string_value(json_object_get(m->series[i].labels, "metric"));
            if (!metric || strcmp(metric, fm->label)) continue;
            json_t *pts = served_points(&m->series[i], served, end);
            add_series(plot, json_string_value(json_object_get(m->series[i].labels, "attribute")), pts);
        }
        /* a fairness figure nobody set a threshold for and nobody measured says nothing */
        if (json_array_size(json_object_get(plot, "series")) ||
            json_object_size(json_object_get(plot, "thresholds")))
            json_array_append(json_object_get(doc, "plots"), plot);
        json_decref(plot);
    }
}

void mg_report_add_plots(json_t *doc, const char *deployment, mg_report_figure f, const mg_prom_matrix *m) {
    json_t *dep = mg_rp_doc_deployment(doc, deployment);
    if (!dep || f < 0 || f >= MG_REPORT_FIG_COUNT) return;
    json_t *served = json_object_get(dep, "served");
    int64_t end = mg_rp_time(mg_json_str(doc, "range", "end", NULL));
    char *query = mg_report_plot_query(doc, deployment, f);
    if (f == MG_REPORT_FIG_FAIRNESS) {
        fairness_plots(doc, deployment, m, served, end, query);
    } else {
        json_t *plot =
            new_plot(doc, deployment, figures[f].id, figures[f].title, figures[f].threshold, query);
        if (f == MG_REPORT_FIG_PSI)
            psi_plot(plot, m, served, end);
        else
            for (size_t i = 0; i < m->n; i++)
                add_series(plot, figures[f].id, served_points(&m->series[i], served, end));
        json_array_append_new(json_object_get(doc, "plots"), plot);
    }
    json_object_del(doc, "plotsNote");
    free(query);
}
