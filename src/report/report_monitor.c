/* report — monitoring (baseline, latest evaluation against every threshold), incidents and
 * retraining. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/json.h"
#include "core/mem.h"
#include "report/internal.h"
#include "report/report.h"

/* An Event written right after a deployment stopped serving the version (the quarantine's own
 * Warning, a second later than the history entry it closed) is still about that version. */
#define EVENT_SLACK_MS 5000

/* The thresholds of spec.monitoring.{warn,quarantine} (operator/evaluate.h) in its order. */
const mg_rp_threshold mg_rp_thresholds[] = {
    {"minAccuracy", "accuracy", NULL, true},
    {"minF1", "f1", NULL, true},
    {"maxAccuracyDrop", "accuracyDrop", NULL, false},
    {"maxPSI", "psi", "feature", false},
    {"maxKS", "ks", "feature", false},
    {"maxJSDistance", "js", "feature", false},
    {"maxDemographicParityDiff", "demographicParityDiff", "attribute", false},
    {"minDisparateImpact", "disparateImpact", "attribute", true},
    {"maxEqualOpportunityDiff", "equalOpportunityDiff", "attribute", false},
};
const size_t mg_rp_nthresholds = sizeof mg_rp_thresholds / sizeof *mg_rp_thresholds;

const mg_rp_threshold *mg_rp_threshold_find(const char *name) {
    for (size_t i = 0; name && i < mg_rp_nthresholds; i++)
        if (!strcmp(mg_rp_thresholds[i].name, name)) return &mg_rp_thresholds[i];
    return NULL;
}

/* ---- baseline ---- */

/* Rates of one protected attribute's groups in the baseline. */
typedef struct rates {
    double pr_lo, pr_hi, tpr_lo, tpr_hi;
    size_t npr, ntpr;
} rates;

static void rates_add(rates *r, double pr, double tpr) {
    if (isfinite(pr)) {
        r->pr_lo = r->npr ? fmin(r->pr_lo, pr) : pr;
        r->pr_hi = r->npr ? fmax(r->pr_hi, pr) : pr;
        r->npr++;
    }
    if (isfinite(tpr)) {
        r->tpr_lo = r->ntpr ? fmin(r->tpr_lo, tpr) : tpr;
        r->tpr_hi = r->ntpr ? fmax(r->tpr_hi, tpr) : tpr;
        r->ntpr++;
    }
}

/* Per protected attribute, the baseline's fairness figures from its group rates, the way the
 * operator computes the live ones (min/max rate, max-min difference). */
static json_t *baseline_fairness(const json_t *groups) {
    json_t *out = json_object();
    size_t i, k;
    json_t *g, *h;
    json_array_foreach(groups, i, g) {
        const char *attr = mg_json_str(g, "attribute", NULL);
        if (!attr || json_object_get(out, attr)) continue;
        rates r = {0};
        json_array_foreach(groups, k, h) {
            const char *a2 = mg_json_str(h, "attribute", NULL);
            if (a2 && !strcmp(a2, attr))
                rates_add(&r, mg_json_num(h, NAN, "positiveRate", NULL),
                          mg_json_num(h, NAN, "truePositiveRate", NULL));
        }
        json_t *f = json_object();
        if (r.npr) mg_json_set_real(f, "demographicParityDiff", r.pr_hi - r.pr_lo);
        if (r.npr && r.pr_hi > 0) mg_json_set_real(f, "disparateImpact", r.pr_lo / r.pr_hi);
        if (r.ntpr) mg_json_set_real(f, "equalOpportunityDiff", r.tpr_hi - r.tpr_lo);
        json_object_set_new(out, attr, f);
    }
    return out;
}

/* One feature of a baseline: its name, bin edges and proportions. */
static json_t *baseline_feature(const json_t *f) {
    json_t *e = json_object();
    mg_json_set_str(e, "name", mg_json_str(f, "name", NULL));
    static const char *const bins[] = {"edges", "proportions"};
    mg_rp_copy_members(e, f, bins, sizeof bins / sizeof *bins);
    return e;
}

static json_t *baseline(const json_t *mv) {
    json_t *b = mg_json_get(mv, "spec", "baseline", NULL);
    if (!json_is_object(b)) return json_null();
    json_t *o = json_object();
    static const char *const figures[] = {"samples", "accuracy", "f1"};
    mg_rp_copy_members(o, b, figures, sizeof figures / sizeof *figures);
    json_object_set_new(o, "features", mg_rp_map(json_object_get(b, "features"), baseline_feature));
    json_t *groups = json_object_get(b, "groups");
    json_object_set_new(o, "groups", json_is_array(groups) ? json_deep_copy(groups) : json_array());
    json_object_set_new(o, "fairness", baseline_fairness(groups));
    return o;
}

/* ---- checks: the latest evaluation against every configured threshold ---- */

static const char *judge(const mg_rp_threshold *t, const json_t *value, const json_t *warn,
                         const json_t *quar) {
    if (!json_is_number(value)) return "not evaluated";
    double v = json_number_value(value);
#define CROSSES(th)                                                                                          \
    (json_is_number(th) && (t->is_min ? v < json_number_value(th) : v > json_number_value(th)))
    if (CROSSES(quar)) return "quarantine";
    if (CROSSES(warn)) return "warn";
#undef CROSSES
    return "ok";
}

static void add_check(json_t *checks, const mg_rp_threshold *t, const char *subject, const json_t *value,
                      const json_t *base, const json_t *warn, const json_t *quar) {
    json_t *c = json_pack("{s:s}", "metric", t->name);
    mg_json_set_str(c, "subject", subject);
    mg_json_set_opt(c, "value", json_is_number(value) ? value : NULL);
    mg_json_set_opt(c, "baseline", json_is_number(base) ? base : NULL);
    mg_json_set_opt(c, "warn", warn);
    mg_json_set_opt(c, "quarantine", quar);
    json_object_set_new(c, "status", json_string(judge(t, value, warn, quar)));
    json_array_append_new(checks, c);
}

/* One threshold against the evaluation ev (NULL: none), per subject. */
static void threshold_checks(json_t *checks, const mg_rp_threshold *t, const json_t *ev, const json_t *base,
                             const json_t *warn, const json_t *quar) {
    size_t n = 0;
    if (!t->subject) {
        add_check(checks, t, NULL, json_object_get(ev, t->eval), json_object_get(base, t->eval), warn, quar);
        return;
    }
    if (!strcmp(t->subject, "feature")) {
        size_t i;
        json_t *f;
        json_array_foreach(json_object_get(ev, "features"), i, f) {
            add_check(checks, t, mg_json_str(f, "name", NULL), json_object_get(f, t->eval), NULL, warn, quar);
            n++;
        }
    } else {
        const char *attr;
        json_t *f;
        json_object_foreach(json_object_get(ev, "fairness"), attr, f) {
            add_check(checks, t, attr, json_object_get(f, t->eval),
                      mg_json_get(base, "fairness", attr, t->eval, NULL), warn, quar);
            n++;
        }
    }
    if (!n) add_check(checks, t, NULL, NULL, NULL, warn, quar);
}

static json_t *checks(const json_t *spec_mon, const json_t *ev, const json_t *base) {
    json_t *out = json_array();
    for (size_t i = 0; i < mg_rp_nthresholds; i++) {
        const mg_rp_threshold *t = &mg_rp_thresholds[i];
        json_t *warn = mg_json_get(spec_mon, "warn", t->name, NULL);
        json_t *quar = mg_json_get(spec_mon, "quarantine", t->name, NULL);
        if (json_is_number(warn) || json_is_number(quar)) threshold_checks(out, t, ev, base, warn, quar);
    }
    return out;
}

static json_t *monitored_deployment(const json_t *md, const json_t *entry, const json_t *base) {
    json_t *mon = mg_json_get(md, "spec", "monitoring", NULL);
    json_t *o = json_object();
    mg_json_set_str(o, "name", mg_json_str(md, "metadata", "name", NULL));
    static const char *const settings[] = {"source", "interval", "window", "minSamples", "consecutive"};
    for (size_t i = 0; i < sizeof settings / sizeof *settings; i++)
        mg_json_set_opt(o, settings[i], json_object_get(mon, settings[i]));
    json_t *w = json_object_get(mon, "warn"), *q = json_object_get(mon, "quarantine");
    json_object_set_new(o, "warn", json_is_object(w) ? json_deep_copy(w) : json_object());
    json_object_set_new(o, "quarantine", json_is_object(q) ? json_deep_copy(q) : json_object());
    /* lastEvaluation belongs to whatever the deployment runs now: only then is it this version's */
    json_t *ev = json_is_true(json_object_get(entry, "servingNow"))
                     ? mg_json_get(md, "status", "lastEvaluation", NULL)
                     : NULL;
    json_object_set_new(o, "lastEvaluation", ev ? json_deep_copy(ev) : json_null());
    if (!ev)
        json_object_set_new(o, "evaluationNote",
                            json_string(json_is_true(json_object_get(entry, "servingNow"))
                                            ? "not evaluated yet"
                                            : "the deployment does not serve this version now"));
    json_object_set_new(o, "checks", checks(mon, ev, base));
    json_t *br = ev ? mg_json_get(md, "status", "breaches", NULL) : NULL;
    json_object_set_new(o, "breaches", json_is_array(br) ? json_deep_copy(br) : json_array());
    return o;
}

json_t *mg_rp_monitoring(const mg_report_input *in, const json_t *doc) {
    json_t *base = baseline(in->mv);
    json_t *deps = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(doc, "deployments"), i, e) {
        const json_t *md = mg_rp_find_object(in->deployments, mg_json_str(e, "name", NULL));
        if (md) json_array_append_new(deps, monitored_deployment(md, e, base));
    }
    return json_pack("{s:o, s:o}", "baseline", base, "deployments", deps);
}

/* ---- incidents ---- */

static const char *event_time(const json_t *ev) {
    static const char *const keys[] = {"lastTimestamp", "eventTime", "firstTimestamp"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (mg_json_str(ev, keys[i], NULL)) return mg_json_str(ev, keys[i], NULL);
    return mg_json_str(ev, "metadata", "creationTimestamp", NULL);
}

/* Whether an Event is about this version: on the ModelVersion itself, or a Warning on a
 * deployment while it served the version. */
static bool event_of(const json_t *ev, const char *mv_uid, const json_t *doc, int64_t now_ms) {
    const char *uid = mg_json_str(ev, "involvedObject", "uid", NULL);
    if (mv_uid && uid && !strcmp(uid, mv_uid)) return true;
    const char *kind = mg_json_str(ev, "involvedObject", "kind", NULL), *type = mg_json_str(ev, "type", NULL);
    if (!kind || strcmp(kind, MG_KIND_MODELDEPLOYMENT) || !type || strcmp(type, "Warning")) return false;
    json_t *d = mg_rp_doc_deployment(doc, mg_json_str(ev, "involvedObject", "name", NULL));
    int64_t t = mg_rp_time(event_time(ev));
    return d && t >= 0 &&
           (mg_rp_in_served(json_object_get(d, "served"), t, now_ms) ||
            mg_rp_in_served(json_object_get(d, "served"), t - EVENT_SLACK_MS, now_ms));
}

static void add_events(json_t *out, const mg_report_input *in, const json_t *doc) {
    const char *mv_uid = mg_json_str(in->mv, "metadata", "uid", NULL);
    size_t i;
    json_t *ev;
    json_array_foreach(in->events, i, ev) {
        if (!event_of(ev, mv_uid, doc, in->now_ms)) continue;
        const char *type = mg_json_str(ev, "type", NULL);
        char *source = mg_xasprintf("%s/%s", mg_json_str(ev, "involvedObject", "kind", NULL) ?: "?",
                                    mg_json_str(ev, "involvedObject", "name", NULL) ?: "?");
        json_t *o =
            json_pack("{s:s*, s:s, s:s, s:s*, s:s*, s:s*}", "time", event_time(ev), "type",
                      type && !strcmp(type, "Warning") ? "alert" : "event", "source", source, "reason",
                      mg_json_str(ev, "reason", NULL), "message", mg_json_str(ev, "message", NULL), "who",
                      mg_json_str(ev, "source", "component", NULL));
        mg_json_set_opt(o, "count", json_object_get(ev, "count"));
        json_array_append_new(out, o);
        free(source);
    }
}

static const char *condition_time(const json_t *obj, const char *type) {
    size_t i;
    json_t *c;
    json_array_foreach(mg_json_get(obj, "status", "conditions", NULL), i, c) {
        const char *t = mg_json_str(c, "type", NULL);
        if (t && !strcmp(t, type)) return mg_json_str(c, "lastTransitionTime", NULL);
    }
    return NULL;
}

json_t *mg_rp_incidents(const mg_report_input *in, const json_t *doc) {
    json_t *out = json_array();
    add_events(out, in, doc);
    if (mg_json_bool(in->mv, false, "status", "quarantined", NULL)) {
        char *source = mg_xasprintf("ModelVersion/%s", mg_json_str(in->mv, "metadata", "name", NULL) ?: "?");
        json_t *o = json_pack("{s:s*, s:s, s:s, s:s, s:s*}", "time", condition_time(in->mv, "Quarantined"),
                              "type", "quarantine", "source", source, "reason", "Quarantined", "message",
                              mg_json_str(in->mv, "status", "quarantineReason", NULL));
        mg_json_set_opt(o, "evidence", mg_json_get(in->mv, "status", "quarantineEvidence", NULL));
        json_array_append_new(out, o);
        free(source);
    }
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(doc, "reviews"), i, r) {
        const char *kind = mg_json_str(r, "kind", NULL);
        if (!kind || strcmp(kind, "incident")) continue;
        const char *md = mg_json_str(r, "deployment", NULL);
        char *source = md ? mg_xasprintf("ModelDeployment/%s", md)
                          : mg_xasprintf("ModelReview/%s", mg_json_str(r, "name", NULL) ?: "?");
        json_array_append_new(
            out, json_pack("{s:s*, s:s, s:s, s:s*, s:s*, s:s*}", "time", mg_json_str(r, "time", NULL), "type",
                           "review", "source", source, "reason", mg_json_str(r, "verdict", NULL), "message",
                           mg_json_str(r, "comment", NULL), "who", mg_json_str(r, "reviewer", NULL)));
        free(source);
    }
    return mg_rp_sorted(out);
}

/* ---- retraining ---- */

static json_t *promoted_on(const json_t *deployments, const char *mv_name) {
    json_t *out = json_array();
    size_t i, k;
    json_t *md, *h;
    json_array_foreach(deployments, i, md) {
        json_array_foreach(mg_json_get(md, "status", "history", NULL), k, h) {
            const char *mv = mg_json_str(h, "modelVersion", NULL), *reason = mg_json_str(h, "reason", NULL);
            if (mv && reason && !strcmp(mv, mv_name) && !strcmp(reason, "Promoted")) {
                json_array_append_new(out, json_pack("{s:s*, s:s*}", "deployment",
                                                     mg_json_str(md, "metadata", "name", NULL), "time",
                                                     mg_json_str(h, "from", NULL)));
                break;
            }
        }
    }
    return out;
}

static json_t *produced(const mg_report_input *in, const char *tr_name) {
    json_t *out = json_array();
    size_t i;
    json_t *mv;
    json_array_foreach(in->model_versions, i, mv) {
        const char *tr = mg_json_str(mv, "spec", "trainingRun", NULL),
                   *name = mg_json_str(mv, "metadata", "name", NULL);
        if (!tr || !name || strcmp(tr, tr_name)) continue;
        json_array_append_new(out,
                              json_pack("{s:s, s:s*, s:b, s:b, s:o}", "name", name, "version",
                                        mg_json_str(mv, "spec", "version", NULL), "approved",
                                        mg_json_bool(mv, false, "status", "approved", NULL), "quarantined",
                                        mg_json_bool(mv, false, "status", "quarantined", NULL), "promotedOn",
                                        promoted_on(in->deployments, name)));
    }
    return out;
}

json_t *mg_rp_retraining(const mg_report_input *in) {
    json_t *origin = json_null();
    const char *of = mg_json_str(in->training_run, "metadata", "labels", MG_LABEL_RETRAINING_OF, NULL);
    if (of)
        origin = json_pack(
            "{s:s*, s:s, s:s*, s:s*}", "trainingRun", mg_json_str(in->training_run, "metadata", "name", NULL),
            "retrainingOf", of, "deployment",
            mg_json_str(in->training_run, "metadata", "labels", MG_LABEL_MODELDEPLOYMENT, NULL),
            "datasetVersion", mg_json_str(in->training_run, "spec", "datasetVersion", NULL));
    json_t *followed = json_array();
    size_t i;
    json_t *tr;
    json_array_foreach(in->retraining_runs, i, tr) {
        const char *name = mg_json_str(tr, "metadata", "name", NULL);
        if (!name) continue;
        json_t *o = json_pack("{s:s, s:s*, s:s*, s:s*, s:s*}", "trainingRun", name, "deployment",
                              mg_json_str(tr, "metadata", "labels", MG_LABEL_MODELDEPLOYMENT, NULL),
                              "datasetVersion", mg_json_str(tr, "spec", "datasetVersion", NULL), "phase",
                              mg_json_str(tr, "status", "phase", NULL), "time",
                              mg_json_str(tr, "metadata", "creationTimestamp", NULL));
        json_object_set_new(o, "modelVersions", produced(in, name));
        json_array_append_new(followed, o);
    }
    return json_pack("{s:o, s:o}", "origin", origin, "followed", mg_rp_sorted(followed));
}
