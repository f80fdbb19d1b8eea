/* operator/alerts — see alerts.h. */
#include "operator/alerts.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/mem.h"

static void set_if(json_t *obj, const char *key, const char *value) {
    if (value && *value) json_object_set_new(obj, key, json_string(value));
}

json_t *mg_alert_json(const mg_alert_fields *f) {
    json_t *labels = json_object();
    set_if(labels, "alertname", f->alertname);
    set_if(labels, "namespace", f->namespace);
    set_if(labels, "modeldeployment", f->modeldeployment);
    set_if(labels, "model", f->model);
    set_if(labels, "version", f->version);
    set_if(labels, "metric", f->metric);
    set_if(labels, "subject", f->subject);
    set_if(labels, "severity", f->severity);
    char value[64], threshold[64];
    snprintf(value, sizeof(value), "%.6g", f->value);
    snprintf(threshold, sizeof(threshold), "%.6g", f->threshold);
    json_t *ann = json_object();
    json_object_set_new(ann, "value", json_string(value));
    json_object_set_new(ann, "threshold", json_string(threshold));
    set_if(ann, "summary", f->summary);
    json_t *a = json_object();
    json_object_set_new(a, "labels", labels);
    json_object_set_new(a, "annotations", ann);
    set_if(a, "startsAt", f->starts_at);
    set_if(a, "endsAt", f->ends_at);
    set_if(a, "generatorURL", f->generator_url);
    return a;
}

static void alert_key(const mg_breach_state *b, char *out, size_t n) {
    snprintf(out, n, "%s/%s/%s", mg_eval_metric_name(b->metric), mg_eval_level_name(b->level),
             b->subject ? b->subject : "");
}

static json_t *alert_for(const mg_alert_subject *about, const mg_breach_state *b, const char *starts) {
    static const char *const names[MG_COND_COUNT] = {"ModelPerformanceDegraded", "ModelDataDrift",
                                                     "ModelBiasDrift"};
    char summary[512];
    snprintf(summary, sizeof(summary), "%s %s%s%s: %.4g breaches %.4g (%s threshold)",
             mg_eval_metric_name(b->metric), b->subject ? mg_eval_metric_subject_kind(b->metric) : "",
             b->subject ? " " : "", b->subject ? b->subject : "", b->value, b->threshold,
             mg_eval_level_name(b->level));
    mg_alert_fields f = {.alertname = names[mg_eval_metric_condition(b->metric)],
                         .namespace = about->namespace,
                         .modeldeployment = about->modeldeployment,
                         .model = about->model,
                         .version = about->version,
                         .metric = mg_eval_metric_name(b->metric),
                         .subject = b->subject,
                         .severity = b->level == MG_LEVEL_QUARANTINE ? "critical" : "warning",
                         .value = b->value,
                         .threshold = b->threshold,
                         .summary = summary,
                         .starts_at = starts};
    return mg_alert_json(&f);
}

static bool still_active(const mg_breach_tracker *t, const char *key) {
    for (size_t i = 0; i < t->n; i++) {
        char k[600];
        alert_key(&t->items[i], k, sizeof(k));
        if (t->items[i].active && !strcmp(k, key)) return true;
    }
    return false;
}

json_t *mg_alerts_sync(json_t **firing, const mg_breach_tracker *t, const mg_alert_subject *about,
                       const char *now) {
    json_t *batch = json_array();
    json_t *active = json_object();
    for (size_t i = 0; i < t->n; i++) {
        const mg_breach_state *b = &t->items[i];
        if (!b->active) continue;
        char key[600], since[40];
        alert_key(b, key, sizeof(key));
        mg_clock_rfc3339(b->since_ms ? b->since_ms : mg_clock_wall_ms(), since, sizeof(since));
        json_t *a = alert_for(about, b, since);
        json_array_append(batch, a);
        json_object_set_new(active, key, a);
    }
    const char *k;
    json_t *a;
    json_object_foreach(*firing, k, a) {
        if (still_active(t, k)) continue;
        json_t *resolved = json_deep_copy(a);
        json_object_set_new(resolved, "endsAt", json_string(now));
        json_array_append_new(batch, resolved);
    }
    json_decref(*firing);
    *firing = json_object_size(active) ? active : NULL;
    if (!*firing) json_decref(active);
    return batch;
}
