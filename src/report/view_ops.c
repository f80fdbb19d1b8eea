/* report/view — the sections about running the version: where it ran, monitoring (with the
 * plots), incidents, retraining. See view.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/mem.h"
#include "report/internal.h"
#include "report/view.h"

#define NUM_BUF 32

static void deployments(json_t *sections, const json_t *doc) {
    json_t *b = mg_view_section(sections, "deployments", "Where and when it ran");
    json_t *deps = json_object_get(doc, "deployments");
    if (!json_array_size(deps)) {
        mg_view_p(b, NULL, "No ModelDeployment has run or names this version.");
        return;
    }
    static const char *const cols[] = {"ModelDeployment", "from", "to", "started because", "ended because"};
    json_t *rows = mg_view_table(b, "Serving history (status.history of each ModelDeployment)", cols, 5);
    size_t i, k;
    json_t *d, *s;
    json_array_foreach(deps, i, d) {
        json_array_foreach(json_object_get(d, "served"), k, s) {
            mg_view_row(
                rows, 5, mg_view_str(mg_json_str(d, "name", NULL)), mg_view_str(mg_json_str(s, "from", NULL)),
                json_object_get(s, "to") ? mg_view_str(mg_json_str(s, "to", NULL))
                                         : mg_view_cell("now", "ok"),
                mg_view_str(mg_json_str(s, "reason", NULL)), mg_view_str(mg_json_str(s, "endReason", NULL)));
        }
        if (!json_array_size(json_object_get(d, "served")))
            mg_view_p(b, NULL, "%s names this version (%s) but never ran it.", mg_json_str(d, "name", NULL),
                      mg_json_str(d, "fallbackModelVersion", NULL) ? "as spec.modelVersion or fallback"
                                                                   : "spec.modelVersion");
    }
    json_array_foreach(deps, i, d) {
        mg_view_p(b, NULL, "%s: phase %s, %lld/%lld replicas ready%s.", mg_json_str(d, "name", NULL),
                  mg_json_str(d, "phase", NULL) ?: "unknown",
                  json_integer_value(json_object_get(d, "readyReplicas")),
                  json_integer_value(json_object_get(d, "replicas")),
                  json_is_true(json_object_get(d, "servingNow")) ? ", serving this version now" : "");
    }
}

static void baseline(json_t *b, const json_t *base) {
    mg_view_h3(b, "Baseline (ModelVersion spec.baseline)");
    if (!json_is_object(base)) {
        mg_view_p(b, "warn", "No baseline: monitoring cannot judge drift or decay.");
        return;
    }
    json_t *kv = mg_view_kv(b);
    mg_view_kv_add(kv, "Samples", mg_view_num(json_object_get(base, "samples")));
    mg_view_kv_add(kv, "Accuracy", mg_view_num(json_object_get(base, "accuracy")));
    mg_view_kv_add(kv, "F1", mg_view_num(json_object_get(base, "f1")));
    mg_rp_out f;
    mg_rp_out_init(&f);
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(base, "features"), i, e)
        mg_rp_putf(&f, "%s%s (%zu bins)", f.b.len ? ", " : "", mg_json_str(e, "name", NULL) ?: "?",
                   json_array_size(json_object_get(e, "proportions")));
    char *fs = mg_rp_out_steal(&f);
    mg_view_kv_add(kv, "Features", mg_view_str(fs));
    free(fs);
    const char *attr;
    json_t *fair;
    json_object_foreach(json_object_get(base, "fairness"), attr, fair) {
        char num[3][NUM_BUF];
        json_t *di = json_object_get(fair, "disparateImpact"),
               *dp = json_object_get(fair, "demographicParityDiff"),
               *eo = json_object_get(fair, "equalOpportunityDiff");
        char *v = mg_xasprintf(
            "disparate impact %s, demographic parity difference %s, equal opportunity difference %s",
            di ? mg_rp_num(json_number_value(di), num[0], NUM_BUF) : "—",
            dp ? mg_rp_num(json_number_value(dp), num[1], NUM_BUF) : "—",
            eo ? mg_rp_num(json_number_value(eo), num[2], NUM_BUF) : "—");
        char *k = mg_xasprintf("Fairness by %s", attr);
        mg_view_kv_add(kv, k, json_string(v));
        free(k);
        free(v);
    }
}

static const char *status_tone(const char *s) {
    if (!s) return NULL;
    if (!strcmp(s, "ok")) return "ok";
    if (!strcmp(s, "warn")) return "warn";
    if (!strcmp(s, "quarantine")) return "bad";
    return "muted";
}

static void evaluation(json_t *b, const json_t *m) {
    json_t *ev = json_object_get(m, "lastEvaluation");
    if (!json_is_object(ev)) {
        mg_view_p(b, "muted", "Latest evaluation: none (%s).",
                  mg_json_str(m, "evaluationNote", NULL) ?: "none");
    } else {
        char num[2][NUM_BUF];
        mg_view_p(b, json_is_true(json_object_get(ev, "judged")) ? NULL : "warn",
                  "Latest evaluation at %s: %lld samples, %s; accuracy %s, max PSI %s (%s).",
                  mg_json_str(ev, "time", NULL) ?: "?", json_integer_value(json_object_get(ev, "samples")),
                  json_is_true(json_object_get(ev, "judged")) ? "judged" : "not judged (below minSamples)",
                  json_is_number(json_object_get(ev, "accuracy"))
                      ? mg_rp_num(json_number_value(json_object_get(ev, "accuracy")), num[0], NUM_BUF)
                      : "—",
                  json_is_number(json_object_get(ev, "maxPSI"))
                      ? mg_rp_num(json_number_value(json_object_get(ev, "maxPSI")), num[1], NUM_BUF)
                      : "—",
                  mg_json_str(ev, "worstFeature", NULL) ?: "no feature");
    }
    static const mg_view_column cols[] = {
        {"threshold", "metric", MG_VIEW_STR, NULL},
        {"subject", "subject", MG_VIEW_STR, NULL},
        {"baseline", "baseline", MG_VIEW_NUM, NULL},
        {"latest", "value", MG_VIEW_NUM, NULL},
        {"warn", "warn", MG_VIEW_NUM, NULL},
        {"quarantine", "quarantine", MG_VIEW_NUM, NULL},
        {"status", "status", MG_VIEW_TONED, status_tone},
    };
    mg_view_table_of(b, "Latest evaluation against every configured threshold", cols,
                     sizeof cols / sizeof *cols, json_object_get(m, "checks"));
    if (!json_array_size(json_object_get(m, "checks"))) mg_view_p(b, "warn", "No threshold is configured.");
}

static void breaches(json_t *b, const json_t *m) {
    json_t *br = json_object_get(m, "breaches");
    if (!json_array_size(br)) return;
    static const char *const cols[] = {"metric",    "level", "subject",     "value",
                                       "threshold", "since", "acknowledged"};
    json_t *rows = mg_view_table(b, "Active breaches", cols, 7);
    size_t i;
    json_t *e;
    json_array_foreach(br, i, e) {
        const char *lvl = mg_json_str(e, "level", NULL);
        const char *subj = mg_json_str(e, "feature", NULL) ?: mg_json_str(e, "attribute", NULL);
        mg_view_row(rows, 7, mg_view_str(mg_json_str(e, "metric", NULL)),
                    mg_view_cell(lvl, lvl && !strcmp(lvl, "quarantine") ? "bad" : "warn"), mg_view_str(subj),
                    mg_view_num(json_object_get(e, "value")), mg_view_num(json_object_get(e, "threshold")),
                    mg_view_str(mg_json_str(e, "since", NULL)),
                    mg_view_str(json_is_true(json_object_get(e, "acknowledged")) ? "yes" : "no"));
    }
}

static void plots(json_t *b, const json_t *doc) {
    mg_view_h3(b, "Over time (operator gauges from Prometheus)");
    json_t *ps = json_object_get(doc, "plots");
    if (!json_array_size(ps)) {
        mg_view_p(b, "muted", "No plots: %s.", mg_json_str(doc, "plotsNote", NULL) ?: "no data");
        return;
    }
    mg_view_p(b, "muted",
              "From %s to %s; only while a deployment served this version. Dashed lines: warn and "
              "quarantine thresholds.",
              mg_json_str(doc, "range", "start", NULL), mg_json_str(doc, "range", "end", NULL));
    for (size_t i = 0; i < json_array_size(ps); i++)
        json_array_append_new(b, json_pack("{s:s, s:i}", "type", "plot", "index", (json_int_t)i));
}

static void monitoring(json_t *sections, const json_t *doc) {
    json_t *b = mg_view_section(sections, "monitoring", "Monitoring");
    baseline(b, mg_json_get(doc, "monitoring", "baseline", NULL));
    size_t i;
    json_t *m;
    json_array_foreach(mg_json_get(doc, "monitoring", "deployments", NULL), i, m) {
        char *h = mg_xasprintf("ModelDeployment %s", mg_json_str(m, "name", NULL));
        mg_view_h3(b, h);
        free(h);
        mg_view_p(b, "muted",
                  "Monitoring: source %s, every %s over a %s window, judged from %lld samples, a breach "
                  "counts after "
                  "%lld consecutive evaluations.",
                  mg_json_str(m, "source", NULL) ?: "scrape", mg_json_str(m, "interval", NULL) ?: "(default)",
                  mg_json_str(m, "window", NULL) ?: "(default)", mg_json_int(m, 0, "minSamples", NULL),
                  mg_json_int(m, 1, "consecutive", NULL));
        evaluation(b, m);
        breaches(b, m);
    }
    plots(b, doc);
}

static const char *incident_tone(const json_t *e) {
    const char *type = mg_json_str(e, "type", NULL), *reason = mg_json_str(e, "reason", NULL);
    if (!type) return NULL;
    if (!strcmp(type, "quarantine") || (reason && !strcmp(reason, "confirm"))) return "bad";
    if (!strcmp(type, "alert")) return "warn";
    if (reason && !strcmp(reason, "release")) return "ok";
    return NULL;
}

static void incidents(json_t *sections, const json_t *doc) {
    json_t *b = mg_view_section(sections, "incidents", "Incidents");
    json_t *list = json_object_get(doc, "incidents");
    if (!json_array_size(list)) {
        mg_view_p(b, "ok", "None: no alert, quarantine or incident review.");
        return;
    }
    static const char *const cols[] = {"time", "what", "where", "reason", "who", "details"};
    json_t *rows = mg_view_table(
        b, "Alerts (Warning Events), quarantines with their evidence, incident reviews", cols, 6);
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) {
        json_t *evd = json_object_get(e, "evidence");
        char *ev = json_is_object(evd) ? mg_rp_join(evd) : NULL;
        char *details = mg_xasprintf("%s%s%s", mg_json_str(e, "message", NULL) ?: "",
                                     ev ? "; evidence: " : "", ev ? ev : "");
        mg_view_row(rows, 6, mg_view_str(mg_json_str(e, "time", NULL)),
                    mg_view_cell(mg_json_str(e, "type", NULL), incident_tone(e)),
                    mg_view_str(mg_json_str(e, "source", NULL)), mg_view_str(mg_json_str(e, "reason", NULL)),
                    mg_view_str(mg_json_str(e, "who", NULL)), mg_view_str(details));
        free(details);
        free(ev);
    }
}

static char *produced_text(const json_t *mvs) {
    mg_rp_out b;
    mg_rp_out_init(&b);
    size_t i;
    json_t *mv;
    json_array_foreach(mvs, i, mv) {
        json_t *promo = json_object_get(mv, "promotedOn");
        mg_rp_putf(&b, "%s%s (%s)%s%s%s", b.b.len ? "; " : "", mg_json_str(mv, "name", NULL),
                   mg_json_str(mv, "version", NULL) ?: "?",
                   json_is_true(json_object_get(mv, "approved")) ? ", approved" : ", not approved",
                   json_array_size(promo) ? ", promoted on " : "",
                   json_array_size(promo) ? mg_json_str(json_array_get(promo, 0), "deployment", NULL) : "");
    }
    return mg_rp_out_steal(&b);
}

static void retraining(json_t *sections, const json_t *doc) {
    json_t *b = mg_view_section(sections, "retraining", "Retraining");
    json_t *o = mg_json_get(doc, "retraining", "origin", NULL);
    if (json_is_object(o))
        mg_view_p(b, NULL,
                  "This version comes from retraining: the operator started TrainingRun %s for "
                  "ModelDeployment %s after "
                  "%s was quarantined, on DatasetVersion %s.",
                  mg_json_str(o, "trainingRun", NULL) ?: "?", mg_json_str(o, "deployment", NULL) ?: "?",
                  mg_json_str(o, "retrainingOf", NULL) ?: "?", mg_json_str(o, "datasetVersion", NULL) ?: "?");
    json_t *f = mg_json_get(doc, "retraining", "followed", NULL);
    if (!json_array_size(f)) {
        mg_view_p(b, NULL, "No retraining followed this version.");
        return;
    }
    static const char *const cols[] = {"started", "TrainingRun", "for", "on dataset", "phase", "produced"};
    json_t *rows = mg_view_table(b, "Retraining that followed this version's quarantine", cols, 6);
    size_t i;
    json_t *e;
    json_array_foreach(f, i, e) {
        char *p = produced_text(json_object_get(e, "modelVersions"));
        mg_view_row(rows, 6, mg_view_str(mg_json_str(e, "time", NULL)),
                    mg_view_str(mg_json_str(e, "trainingRun", NULL)),
                    mg_view_str(mg_json_str(e, "deployment", NULL)),
                    mg_view_str(mg_json_str(e, "datasetVersion", NULL)),
                    mg_view_str(mg_json_str(e, "phase", NULL)), mg_view_str(p));
        free(p);
    }
}

void mg_view_operations(json_t *sections, const json_t *doc) {
    deployments(sections, doc);
    monitoring(sections, doc);
    incidents(sections, doc);
    retraining(sections, doc);
}
