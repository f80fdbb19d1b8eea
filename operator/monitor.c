#include "operator/monitor.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "core/mem.h"
#include "k8s/conditions.h"
#include "operator/alerts.h"
#include "operator/collect.h"
#include "operator/evaluate.h"
#include "operator/opctx.h"
#include "operator/plan.h"
#include "operator/resources.h"

typedef struct md_state {
    char *key;
    char *mv_name; /* the ModelVersion this state judges; a change resets it */
    mg_window *window;
    mg_breach_tracker tracker;
    int64_t next_due_ms;
    int64_t last_release_ms; /* newest release review already taken into account */
    bool releases_seen;      /* last_release_ms initialised */
    bool live;               /* was serving at the last tick */
    json_t *firing;          /* alert key -> posted alert */
    mg_monitor_verdict verdict;
    bool seen; /* present in the cache this tick */
} md_state;

struct mg_monitor {
    mg_operator *op;
    char *am_url;
    pthread_t thread;
    bool started;
    atomic_bool stop;
    pthread_mutex_t lock; /* guards states[] and their verdicts */
    md_state **states;
    size_t n;
    mg_metric_family *g_psi, *g_acc, *g_f1, *g_samples, *g_fair, *g_breaches;
    mg_metric_family *c_evals;
};

/* ---- state table ------------------------------------------------------------------------------ */

static md_state *state_of(mg_monitor *m, const char *key) {
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->states[i]->key, key)) return m->states[i];
    md_state *s = mg_xcalloc(1, sizeof(*s));
    s->key = mg_xstrdup(key);
    s->window = mg_window_new();
    s->firing = json_object();
    m->states = mg_xrealloc(m->states, (m->n + 1) * sizeof(*m->states));
    m->states[m->n++] = s;
    return s;
}

static void state_free(md_state *s) {
    free(s->key);
    free(s->mv_name);
    mg_window_free(s->window);
    mg_breach_tracker_free(&s->tracker);
    json_decref(s->firing);
    mg_monitor_verdict_clear(&s->verdict);
    free(s);
}

static void state_reset(md_state *s) {
    mg_window_free(s->window);
    s->window = mg_window_new();
    mg_breach_tracker_clear(&s->tracker);
    mg_monitor_verdict_clear(&s->verdict);
}

void mg_monitor_verdict_clear(mg_monitor_verdict *v) {
    json_decref(v->last_evaluation);
    json_decref(v->breaches);
    memset(v, 0, sizeof(*v));
}

void mg_monitor_verdict_get(mg_monitor *m, const char *key, mg_monitor_verdict *out) {
    memset(out, 0, sizeof(*out));
    if (!m) return;
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < m->n; i++) {
        if (strcmp(m->states[i]->key, key)) continue;
        *out = m->states[i]->verdict;
        out->last_evaluation = json_deep_copy(out->last_evaluation);
        out->breaches = json_deep_copy(out->breaches);
        break;
    }
    pthread_mutex_unlock(&m->lock);
}

/* ---- alerts ------------------------------------------------------------------------------------ */

static void post_alerts(mg_monitor *m, json_t *alerts, const char *key) {
    if (!m->am_url || !json_array_size(alerts)) return;
    mg_error err;
    if (mg_alerts_post(m->am_url, alerts, 3000, &err))
        mg_log(MG_LOG_WARN, "alerts not delivered to Alertmanager", "modeldeployment", key, "error",
               err.message, NULL);
}

static void alert_key(const mg_breach_state *b, char *out, size_t n) {
    snprintf(out, n, "%s/%s/%s", mg_eval_metric_name(b->metric), mg_eval_level_name(b->level),
             b->subject ? b->subject : "");
}

static json_t *alert_for(const json_t *md, const json_t *mv, const mg_breach_state *b, const char *starts,
                         const char *ends) {
    char summary[512];
    snprintf(summary, sizeof(summary), "%s %s%s%s: %.4g breaches %.4g (%s threshold)",
             mg_eval_metric_name(b->metric), b->subject ? mg_eval_metric_subject_kind(b->metric) : "",
             b->subject ? " " : "", b->subject ? b->subject : "", b->value, b->threshold,
             mg_eval_level_name(b->level));
    static const char *const names[3] = {"ModelPerformanceDegraded", "ModelDataDrift", "ModelBiasDrift"};
    mg_alert_fields f = {.alertname = names[mg_eval_metric_condition(b->metric)],
                         .namespace = mg_json_str(md, "metadata", "namespace", NULL),
                         .modeldeployment = mg_json_str(md, "metadata", "name", NULL),
                         .model = mg_json_str(mv, "spec", "model", NULL),
                         .version = mg_json_str(mv, "spec", "version", NULL),
                         .metric = mg_eval_metric_name(b->metric),
                         .subject = b->subject,
                         .severity = b->level == MG_LEVEL_QUARANTINE ? "critical" : "warning",
                         .value = b->value,
                         .threshold = b->threshold,
                         .summary = summary,
                         .starts_at = starts,
                         .ends_at = ends};
    return mg_alert_json(&f);
}

/* Posts every active breach (re-sent while firing) and resolves the ones that cleared. */
static void sync_alerts(mg_monitor *m, md_state *s, const json_t *md, const json_t *mv, const char *now) {
    json_t *batch = json_array();
    for (size_t i = 0; i < s->tracker.n; i++) {
        const mg_breach_state *b = &s->tracker.items[i];
        if (!b->active) continue;
        char key[600], since[40];
        alert_key(b, key, sizeof(key));
        mg_clock_rfc3339(b->since_ms ? b->since_ms : mg_clock_wall_ms(), since, sizeof(since));
        json_t *a = alert_for(md, mv, b, since, NULL);
        json_array_append(batch, a);
        json_object_set_new(s->firing, key, a);
    }
    /* anything firing that is no longer active: resolved now */
    const char *k;
    json_t *a, *tmp;
    json_object_foreach_safe(s->firing, tmp, k, a) {
        bool still = false;
        for (size_t i = 0; i < s->tracker.n && !still; i++) {
            char key[600];
            alert_key(&s->tracker.items[i], key, sizeof(key));
            still = s->tracker.items[i].active && !strcmp(key, k);
        }
        if (still) continue;
        json_t *resolved = json_deep_copy(a);
        json_object_set_new(resolved, "endsAt", json_string(now));
        json_array_append_new(batch, resolved);
        json_object_del(s->firing, k);
    }
    post_alerts(m, batch, s->key);
    json_decref(batch);
}

/* ---- quarantine ---------------------------------------------------------------------------------- */

static int quarantine(mg_monitor *m, const json_t *mv, const json_t *md, const mg_breach_tracker *t,
                      const json_t *evaluation, const char *now) {
    const mg_breach_state *q = NULL;
    for (size_t i = 0; i < t->n && !q; i++)
        if (t->items[i].active && t->items[i].level == MG_LEVEL_QUARANTINE) q = &t->items[i];
    if (!q) return 0;
    char reason[512];
    snprintf(reason, sizeof(reason),
             "monitoring of ModelDeployment %s: %s%s%s %.4g breaches the quarantine threshold %.4g",
             mg_json_str(md, "metadata", "name", NULL), mg_eval_metric_name(q->metric),
             q->subject ? " of " : "", q->subject ? q->subject : "", q->value, q->threshold);
    json_t *copy = json_deep_copy(mv);
    json_t *status = mg_json_obj_ensure(copy, "status");
    json_object_set_new(status, "quarantined", json_true());
    json_object_set_new(status, "quarantineReason", json_string(reason));
    json_object_set_new(status, "quarantineEvidence",
                        json_pack("{s:s, s:O, s:o}", "modelDeployment",
                                  mg_json_str(md, "metadata", "name", NULL), "evaluation", evaluation,
                                  "breaches", mg_breach_tracker_status_json(t)));
    json_t *conds = json_object_get(status, "conditions");
    if (!json_is_array(conds)) json_object_set_new(status, "conditions", conds = json_array());
    mg_condition_set(conds, "Quarantined", "True", "QuarantineThreshold", reason,
                     mg_json_int(mv, 0, "metadata", "generation", NULL), now);
    mg_error err;
    int rc =
        mg_k8s_update(m->op->client, &MG_GVR_MODELVERSIONS, mg_json_str(mv, "metadata", "namespace", NULL),
                      mg_json_str(mv, "metadata", "name", NULL), "status", copy, NULL, &err);
    json_decref(copy);
    if (rc) {
        mg_log(MG_LOG_WARN, "quarantine not written, retrying next evaluation", "modelversion",
               mg_json_str(mv, "metadata", "name", NULL), "error", err.message, NULL);
        return rc;
    }
    mg_op_count_write(m->op);
    mg_op_event(m->op, md, "Warning", "QuarantineThreshold", reason);
    mg_log(MG_LOG_WARN, "model quarantined by monitoring", "modelversion",
           mg_json_str(mv, "metadata", "name", NULL), "reason", reason, NULL);
    return 0;
}

/* ---- one evaluation -------------------------------------------------------------------------------- */

static bool pod_ready(const json_t *pod) {
    size_t i;
    json_t *c;
    json_array_foreach(mg_json_get(pod, "status", "conditions", NULL), i, c) {
        const char *t = mg_json_str(c, "type", NULL), *st = mg_json_str(c, "status", NULL);
        if (t && st && !strcmp(t, "Ready")) return !strcmp(st, "True");
    }
    return false;
}

static int collect_window(mg_monitor *m, md_state *s, const json_t *md, const mg_monitor_spec *spec,
                          int64_t now_ms, mg_model_metrics *out, char *problem, size_t plen) {
    const char *ns = mg_json_str(md, "metadata", "namespace", NULL);
    const char *name = mg_json_str(md, "metadata", "name", NULL);
    if (spec->source == MG_MONITOR_PROMETHEUS) {
        if (!spec->prometheus_url) {
            snprintf(problem, plen, "spec.monitoring.prometheusURL is required with source prometheus");
            return MG_EINVAL;
        }
        char *sel = spec->prometheus_selector ? mg_xstrdup(spec->prometheus_selector)
                                              : mg_xasprintf("{namespace=\"%s\",pod=~\"%s-.*\"}", ns, name);
        char window[32];
        snprintf(window, sizeof(window), "%llds",
                 (long long)(spec->window_ms / 1000 > 0 ? spec->window_ms / 1000 : 1));
        mg_error err;
        int rc = mg_prometheus_window(spec->prometheus_url, sel, window, 5000, out, &err);
        free(sel);
        if (rc) snprintf(problem, plen, "%s", err.message);
        return rc;
    }
    json_t *pods = mg_op_by_index(m->op, INF_POD, "md", name, ns);
    long long port = mg_plan_port(md);
    size_t n = 0;
    mg_scrape_target *targets = mg_xcalloc(json_array_size(pods) + 1, sizeof(*targets));
    char **urls = mg_xcalloc(json_array_size(pods) + 1, sizeof(char *));
    size_t i;
    json_t *pod;
    json_array_foreach(pods, i, pod) {
        const char *owner = mg_json_str(pod, "metadata", "labels", MG_LABEL_MODELDEPLOYMENT, NULL);
        const char *ip = mg_json_str(pod, "status", "podIP", NULL);
        if (!owner || strcmp(owner, name) || !ip || !pod_ready(pod)) continue;
        bool v6 = strchr(ip, ':') != NULL;
        urls[n] = mg_xasprintf("http://%s%s%s:%lld%s", v6 ? "[" : "", ip, v6 ? "]" : "", port, spec->path);
        const char *uid = mg_json_str(pod, "metadata", "uid", NULL);
        targets[n] = (mg_scrape_target){uid ? uid : mg_json_str(pod, "metadata", "name", NULL), urls[n]};
        n++;
    }
    mg_scrape_result *res = mg_xcalloc(n + 1, sizeof(*res));
    long timeout = spec->interval_ms < 5000 ? (long)spec->interval_ms : 5000;
    mg_scrape_all(targets, n, timeout, 0, res);
    size_t ok = 0;
    for (size_t k = 0; k < n; k++) {
        if (res[k].rc == 0) {
            mg_window_observe(s->window, targets[k].pod, &res[k].metrics, now_ms);
            ok++;
        } else if (!*problem) {
            snprintf(problem, plen, "%s", res[k].error);
        }
    }
    mg_window_tick(s->window, now_ms, spec->window_ms, out);
    if (n && !ok)
        mg_log(MG_LOG_WARN, "no pod could be scraped", "modeldeployment", s->key, "error", problem, NULL);
    mg_scrape_results_free(res, n);
    free(res);
    for (size_t k = 0; k < n; k++)
        free(urls[k]);
    free(urls);
    free(targets);
    json_decref(pods);
    return 0;
}

/* Newest release review (incident/release) aimed at md or its ModelVersion. */
static int64_t newest_release_ms(mg_monitor *m, const json_t *md, const char *mv_name) {
    const char *ns = mg_json_str(md, "metadata", "namespace", NULL);
    const char *name = mg_json_str(md, "metadata", "name", NULL);
    json_t *reviews = mg_op_list_ns(m->op, INF_MREV, ns);
    int64_t newest = 0;
    size_t i;
    json_t *r;
    json_array_foreach(reviews, i, r) {
        const char *kind = mg_json_str(r, "spec", "kind", NULL),
                   *verdict = mg_json_str(r, "spec", "verdict", NULL);
        if (!kind || !verdict || strcmp(kind, "incident") || strcmp(verdict, "release")) continue;
        const char *rmd = mg_json_str(r, "spec", "modelDeployment", NULL),
                   *rmv = mg_json_str(r, "spec", "modelVersion", NULL);
        if (!((rmd && !strcmp(rmd, name)) || (rmv && mv_name && !strcmp(rmv, mv_name)))) continue;
        int64_t t = 0;
        const char *ts = mg_json_str(r, "metadata", "creationTimestamp", NULL);
        if (ts && mg_clock_parse_rfc3339(ts, &t) == 0 && t > newest) newest = t;
    }
    json_decref(reviews);
    return newest;
}

/* The per-model gauges carry the ModelVersion evaluated (mv), so the history of one version
 * (kubectl modelgov report's plots) never mixes with the figures of the version before it. */
static void set_gauges(mg_monitor *m, const json_t *md, const char *mv, const mg_eval_result *r) {
    if (!m->g_psi) return;
    const char *ns = mg_json_str(md, "metadata", "namespace", NULL),
               *name = mg_json_str(md, "metadata", "name", NULL);
    mg_metric_set(mg_metric_with(m->g_samples, ns, name, mv, NULL), r->samples);
    if (r->has_accuracy) mg_metric_set(mg_metric_with(m->g_acc, ns, name, mv, NULL), r->accuracy);
    if (r->has_f1) mg_metric_set(mg_metric_with(m->g_f1, ns, name, mv, NULL), r->f1);
    for (size_t i = 0; i < r->nfeatures; i++)
        if (r->features[i].ok)
            mg_metric_set(mg_metric_with(m->g_psi, ns, name, mv, r->features[i].name, NULL),
                          r->features[i].psi);
    for (size_t i = 0; i < r->nfairness; i++) {
        const mg_eval_fairness *f = &r->fairness[i];
        if (f->has_dp)
            mg_metric_set(
                mg_metric_with(m->g_fair, ns, name, mv, f->attribute, "demographic_parity_diff", NULL),
                f->dp_diff);
        if (f->has_di)
            mg_metric_set(mg_metric_with(m->g_fair, ns, name, mv, f->attribute, "disparate_impact", NULL),
                          f->disparate_impact);
        if (f->has_eo)
            mg_metric_set(
                mg_metric_with(m->g_fair, ns, name, mv, f->attribute, "equal_opportunity_diff", NULL),
                f->eo_diff);
    }
}

static void evaluate(mg_monitor *m, md_state *s, const json_t *md, int64_t now_ms) {
    const char *ns = mg_json_str(md, "metadata", "namespace", NULL);
    const char *phase = mg_json_str(md, "status", "phase", NULL);
    const char *serving = mg_json_str(md, "status", "servingModelVersion", NULL);
    bool live = phase && serving && (!strcmp(phase, "Serving") || !strcmp(phase, "AwaitingReview"));
    json_t *mv = live ? mg_op_get(m->op, INF_MV, ns, serving) : NULL;
    char now[40];
    mg_clock_rfc3339(now_ms, now, sizeof(now));
    mg_monitor_spec spec = {0};
    mg_baseline base = {0};
    mg_error err;
    if (mg_monitor_spec_parse(mg_json_get(md, "spec", "monitoring", NULL), &spec, &err)) {
        pthread_mutex_lock(&m->lock);
        mg_monitor_verdict_clear(&s->verdict);
        s->verdict.known = s->verdict.config_error = true;
        snprintf(s->verdict.message[0], sizeof(s->verdict.message[0]), "%s", err.message);
        pthread_mutex_unlock(&m->lock);
        s->next_due_ms = now_ms + MG_MONITOR_DEFAULT_INTERVAL_MS;
        json_decref(mv);
        return;
    }
    s->next_due_ms = now_ms + spec.interval_ms;
    if (!live || !mv) {
        s->live = false;
        json_decref(mv);
        mg_monitor_spec_free(&spec);
        return;
    }
    if (!s->live || !s->mv_name || strcmp(s->mv_name, serving)) {
        /* (re)entering service, or another version: judge it from a clean slate */
        pthread_mutex_lock(&m->lock);
        state_reset(s);
        pthread_mutex_unlock(&m->lock);
        free(s->mv_name);
        s->mv_name = mg_xstrdup(serving);
        s->releases_seen = false;
        sync_alerts(m, s, md, mv, now); /* resolves whatever still fired */
    }
    s->live = true;
    if (mg_baseline_parse(mg_json_get(mv, "spec", "baseline", NULL), &base, &err)) {
        pthread_mutex_lock(&m->lock);
        mg_monitor_verdict_clear(&s->verdict);
        s->verdict.known = s->verdict.config_error = true;
        snprintf(s->verdict.message[0], sizeof(s->verdict.message[0]), "ModelVersion %s: %s", serving,
                 err.message);
        pthread_mutex_unlock(&m->lock);
        mg_op_enqueue(m->op, Q_MD, ns, mg_json_str(md, "metadata", "name", NULL));
        goto out;
    }

    mg_model_metrics window = {0};
    char problem[256] = "";
    if (collect_window(m, s, md, &spec, now_ms, &window, problem, sizeof(problem)) == 0) {
        mg_eval_result r = {0};
        mg_eval_window(&base, &window, &spec, &r);
        mg_breach_tracker_update(&s->tracker, &r, spec.consecutive, now_ms);
        /* a human release acknowledges the warn breaches active when it arrives */
        int64_t rel = newest_release_ms(m, md, serving);
        if (s->releases_seen && rel > s->last_release_ms) mg_breach_tracker_acknowledge(&s->tracker);
        s->last_release_ms = rel > s->last_release_ms ? rel : s->last_release_ms;
        s->releases_seen = true;
        mg_breach_summary sum;
        mg_breach_tracker_summary(&s->tracker, &sum);
        json_t *evaluation = mg_eval_result_json(&r, now);
        if (sum.quarantine_active && !mg_json_bool(mv, false, "status", "quarantined", NULL))
            quarantine(m, mv, md, &s->tracker, evaluation, now);
        sync_alerts(m, s, md, mv, now);
        set_gauges(m, md, serving, &r);
        if (m->c_evals) mg_metric_inc(mg_metric_with(m->c_evals, r.judged ? "judged" : "not_judged", NULL));
        pthread_mutex_lock(&m->lock);
        mg_monitor_verdict_clear(&s->verdict);
        s->verdict.known = true;
        s->verdict.awaiting_review = sum.warn_active && !sum.quarantine_active;
        s->verdict.last_evaluation = evaluation;
        s->verdict.breaches = mg_breach_tracker_status_json(&s->tracker);
        for (int c = 0; c < 3; c++) {
            s->verdict.condition[c] = sum.condition[c];
            snprintf(s->verdict.message[c], sizeof(s->verdict.message[c]), "%s", sum.message[c]);
        }
        pthread_mutex_unlock(&m->lock);
        mg_eval_result_free(&r);
        mg_op_enqueue(m->op, Q_MD, ns, mg_json_str(md, "metadata", "name", NULL));
    } else {
        mg_log(MG_LOG_WARN, "monitoring: cannot collect metrics", "modeldeployment", s->key, "error", problem,
               NULL);
    }
    mg_model_metrics_free(&window);
out:
    mg_baseline_free(&base);
    mg_monitor_spec_free(&spec);
    json_decref(mv);
}

/* ---- the loop ------------------------------------------------------------------------------------------ */

static void *loop(void *p) {
    mg_monitor *m = p;
    while (!atomic_load(&m->stop)) {
        int64_t now = mg_clock_wall_ms();
        json_t *mds = mg_store_by_index(mg_informer_store(m->op->inf[INF_MD]), "monitored", "true");
        for (size_t i = 0; i < m->n; i++)
            m->states[i]->seen = false;
        size_t i;
        json_t *md;
        json_array_foreach(mds, i, md) {
            if (!json_is_object(mg_json_get(md, "spec", "monitoring", NULL))) continue;
            char key[512];
            mg_op_key_of(mg_json_str(md, "metadata", "namespace", NULL),
                         mg_json_str(md, "metadata", "name", NULL), key, sizeof(key));
            pthread_mutex_lock(&m->lock);
            md_state *s = state_of(m, key);
            pthread_mutex_unlock(&m->lock);
            s->seen = true;
            if (now >= s->next_due_ms) evaluate(m, s, md, now);
        }
        json_decref(mds);
        /* forget ModelDeployments that are gone */
        pthread_mutex_lock(&m->lock);
        size_t keep = 0;
        for (size_t k = 0; k < m->n; k++) {
            if (m->states[k]->seen)
                m->states[keep++] = m->states[k];
            else
                state_free(m->states[k]);
        }
        m->n = keep;
        pthread_mutex_unlock(&m->lock);
        for (int t = 0; t < 5 && !atomic_load(&m->stop); t++)
            mg_sleep_ms(100);
    }
    return NULL;
}

mg_monitor *mg_monitor_new(mg_operator *op, const char *alertmanager_url) {
    mg_monitor *m = mg_xcalloc(1, sizeof(*m));
    m->op = op;
    m->am_url = alertmanager_url && *alertmanager_url ? mg_xstrdup(alertmanager_url) : NULL;
    if (m->am_url && m->am_url[strlen(m->am_url) - 1] == '/') m->am_url[strlen(m->am_url) - 1] = '\0';
    pthread_mutex_init(&m->lock, NULL);
    if (op->metrics) {
        static const char *const md_l[] = {"namespace", "modeldeployment", "modelversion", NULL};
        static const char *const feat_l[] = {"namespace", "modeldeployment", "modelversion", "feature", NULL};
        static const char *const fair_l[] = {"namespace", "modeldeployment", "modelversion",
                                             "attribute", "metric",          NULL};
        static const char *const res_l[] = {"result", NULL};
        m->g_psi =
            mg_metrics_gauge(op->metrics, "modelgov_model_psi", "PSI of a feature over the window.", feat_l);
        m->g_acc =
            mg_metrics_gauge(op->metrics, "modelgov_model_accuracy", "Accuracy over the window.", md_l);
        m->g_f1 = mg_metrics_gauge(op->metrics, "modelgov_model_f1", "F1 over the window.", md_l);
        m->g_samples = mg_metrics_gauge(op->metrics, "modelgov_model_window_samples",
                                        "Predictions in the window.", md_l);
        m->g_fair = mg_metrics_gauge(op->metrics, "modelgov_model_fairness",
                                     "Fairness figures per protected attribute.", fair_l);
        m->c_evals = mg_metrics_counter(op->metrics, "modelgov_operator_evaluations_total",
                                        "Monitoring evaluations, judged or not (below minSamples).", res_l);
        if (!m->g_psi || !m->g_acc || !m->g_f1 || !m->g_samples || !m->g_fair || !m->c_evals) m->g_psi = NULL;
    }
    return m;
}

void mg_monitor_start(mg_monitor *m) {
    if (m->started) return;
    m->started = true;
    pthread_create(&m->thread, NULL, loop, m);
}

void mg_monitor_stop(mg_monitor *m) {
    if (!m || !m->started) return;
    atomic_store(&m->stop, true);
    pthread_join(m->thread, NULL);
    m->started = false;
}

void mg_monitor_free(mg_monitor *m) {
    if (!m) return;
    mg_monitor_stop(m);
    for (size_t i = 0; i < m->n; i++)
        state_free(m->states[i]);
    free(m->states);
    free(m->am_url);
    pthread_mutex_destroy(&m->lock);
    free(m);
}
