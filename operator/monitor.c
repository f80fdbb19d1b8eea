/* operator/monitor — see monitor.h.
 *
 * One thread owns everything but the verdicts and the map's membership (both under `lock`, which
 * the reconcilers take to read a verdict) and the inbox (under `inbox_mu`, filled by the
 * informers' threads). The loop: take the inbox → start the evaluations whose start time came (the
 * due time minus the scrape timeout: lead_of) → run the fetch engine until the next start time
 * (its callbacks finish evaluations). */
#include "operator/monitor.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "core/mem.h"
#include "k8s/strmap.h"
#include "operator/alerts.h"
#include "operator/collect.h"
#include "operator/fetch.h"
#include "operator/plan.h"
#include "operator/schedule.h"
#include "operator/window.h"

#define DEFAULT_SCRAPE_TIMEOUT_MS 5000
#define ALERT_TIMEOUT_MS 3000
#define LOOP_MAX_WAIT_MS 1000 /* the loop looks at its inbox at least this often */
#define MESSAGE_MAX 512
#define BASELINE_TTL_MS (10 * 60 * 1000)

/* A verdict as kept between evaluations: its JSON as compact text (a tree per model would cost
 * several KB each at 10,000 models; a reconcile parses it once). */
typedef struct stored_verdict {
    bool known, awaiting_review, quarantine, config_error;
    bool condition[MG_COND_COUNT];
    char *message[MG_COND_COUNT]; /* heap or NULL */
    char *last_evaluation;        /* compact JSON or NULL */
    char *breaches;
    char *model_version; /* the ModelVersion judged (heap), NULL for a configuration error */
} stored_verdict;

typedef struct md_state {
    mg_sched_slot slot; /* owner = this state */
    char *key;
    int64_t interval_ms;
    int64_t lead_ms;      /* the slot holds the due time minus this: when the evaluation starts */
    mg_monitor_spec spec; /* spec.monitoring as parsed at spec_generation */
    long long spec_generation;
    bool spec_parsed;
    bool owned;    /* this replica monitored it at the last look */
    bool busy;     /* an evaluation is in flight */
    bool gone;     /* untracked while busy: freed when the evaluation ends */
    bool live;     /* was serving at the last evaluation */
    char *mv_name; /* the ModelVersion judged; another one starts from a clean slate */
    mg_window *window;
    size_t window_bytes;
    mg_breach_tracker tracker;
    int64_t last_release_ms;
    bool releases_seen;
    json_t *firing;     /* alerts firing, or NULL */
    size_t targets;     /* pods scraped at the last evaluation */
    mg_metric **gauges; /* the per-model series this state set (removed with it) */
    size_t ngauges;
    stored_verdict verdict; /* under m->lock */
} md_state;

/* What the informers asked about a key since the loop last looked (the latest ask wins, so the
 * inbox never holds more than one entry per ModelDeployment, also while the loop is not running
 * on a standby replica). */
typedef struct inbox_item {
    bool track; /* else untrack */
    int64_t interval_ms;
} inbox_item;

struct mg_monitor {
    mg_monitor_deps d;
    char *am_url;
    long scrape_timeout_ms;
    mg_fetch *fetch;
    mg_schedule sched;
    size_t targets;       /* pods of every monitored model: keep-alive while they fit the cache */
    pthread_mutex_t lock; /* verdicts, and membership of states */
    mg_strmap *states;    /* key → md_state */
    mg_strmap *baselines; /* ModelVersion key → baseline_entry (the monitor's thread only) */
    int64_t baselines_swept_ms;
    pthread_mutex_t inbox_mu;
    mg_strmap *inbox; /* key → inbox_item */
    bool rescan_asked;
    pthread_t thread;
    bool started;
    atomic_bool stop;
    atomic_ulong evaluations, skipped, scrapes, scrape_failures;
    atomic_size_t window_bytes;
    mg_metric_family *g_psi, *g_acc, *g_f1, *g_samples, *g_fair;
    mg_metric_family *c_evals, *c_skipped, *h_lateness;
};

/* A ModelVersion's parsed baseline, shared by the models that run it (100 ModelVersions behind
 * 10,000 models parse 100 times, not 10,000 times an interval); replaced when the ModelVersion
 * changes, freed when unused for BASELINE_TTL_MS. */
typedef struct baseline_entry {
    char *rv; /* the ModelVersion's resourceVersion it was parsed from */
    mg_baseline base;
    char *error; /* the parse error, or NULL */
    int refs;    /* the cache's own + one per evaluation in flight */
    int64_t used_ms;
} baseline_entry;

/* One evaluation in flight. */
typedef struct job {
    mg_monitor *m;
    md_state *s;
    json_t *md, *mv;
    const mg_monitor_spec *spec; /* the state's (a busy state's spec does not change) */
    baseline_entry *base;
    int64_t due_ms, started_ms;
} job;

/* ---- verdicts ---------------------------------------------------------------------------------- */

static void stored_clear(stored_verdict *v) {
    for (int c = 0; c < MG_COND_COUNT; c++)
        free(v->message[c]);
    free(v->last_evaluation);
    free(v->breaches);
    free(v->model_version);
    memset(v, 0, sizeof(*v));
}

void mg_monitor_verdict_clear(mg_monitor_verdict *v) {
    json_decref(v->last_evaluation);
    json_decref(v->breaches);
    memset(v, 0, sizeof(*v));
}

static json_t *load_text(const char *text) { return text ? json_loads(text, 0, NULL) : NULL; }

void mg_monitor_verdict_get(mg_monitor *m, const char *key, mg_monitor_verdict *out) {
    memset(out, 0, sizeof(*out));
    if (!m) return;
    pthread_mutex_lock(&m->lock);
    md_state *s = mg_strmap_get(m->states, key);
    if (s && s->verdict.known) {
        const stored_verdict *v = &s->verdict;
        out->known = true;
        out->awaiting_review = v->awaiting_review;
        out->quarantine = v->quarantine;
        out->config_error = v->config_error;
        for (int c = 0; c < MG_COND_COUNT; c++) {
            out->condition[c] = v->condition[c];
            snprintf(out->message[c], sizeof(out->message[c]), "%s", v->message[c] ? v->message[c] : "");
        }
        out->last_evaluation = load_text(v->last_evaluation);
        out->breaches = load_text(v->breaches);
        snprintf(out->model_version, sizeof(out->model_version), "%s",
                 v->model_version ? v->model_version : "");
    }
    pthread_mutex_unlock(&m->lock);
}

/* Publishes a configuration problem as the verdict. */
static void publish_config_error(mg_monitor *m, md_state *s, const char *message) {
    pthread_mutex_lock(&m->lock);
    bool same = s->verdict.config_error && s->verdict.message[0] && !strcmp(s->verdict.message[0], message);
    if (!same) {
        stored_clear(&s->verdict);
        s->verdict.known = s->verdict.config_error = true;
        s->verdict.message[0] = mg_xstrdup(message);
    }
    pthread_mutex_unlock(&m->lock);
    if (!same) m->d.enqueue(m->d.ud, s->key);
}

/* ---- per-model gauges -------------------------------------------------------------------------- */

static void gauge(md_state *s, mg_metric_family *f, const char *const *labels, double v) {
    mg_metric *g = mg_metric_withv(f, labels);
    if (!g) return;
    mg_metric_set(g, v);
    for (size_t i = 0; i < s->ngauges; i++)
        if (s->gauges[i] == g) return;
    s->gauges = mg_xrealloc(s->gauges, (s->ngauges + 1) * sizeof(*s->gauges));
    s->gauges[s->ngauges++] = g;
}

static void drop_gauges(md_state *s) {
    for (size_t i = 0; i < s->ngauges; i++)
        mg_metric_remove(s->gauges[i]);
    free(s->gauges);
    s->gauges = NULL;
    s->ngauges = 0;
}

/* The per-model gauges carry the ModelVersion evaluated, so the history of one version (kubectl
 * modelgov report's plots) never mixes with the figures of the version before it. */
static void set_gauges(mg_monitor *m, md_state *s, const json_t *md, const mg_eval_result *r) {
    if (!m->g_psi) return;
    const char *ns = mg_json_str(md, "metadata", "namespace", NULL),
               *name = mg_json_str(md, "metadata", "name", NULL);
    const char *mv = s->mv_name;
    gauge(s, m->g_samples, (const char *[]){ns, name, mv}, r->samples);
    if (r->has_accuracy) gauge(s, m->g_acc, (const char *[]){ns, name, mv}, r->accuracy);
    if (r->has_f1) gauge(s, m->g_f1, (const char *[]){ns, name, mv}, r->f1);
    for (size_t i = 0; i < r->nfeatures; i++)
        if (r->features[i].ok)
            gauge(s, m->g_psi, (const char *[]){ns, name, mv, r->features[i].name}, r->features[i].psi);
    for (size_t i = 0; i < r->nfairness; i++) {
        const mg_eval_fairness *f = &r->fairness[i];
        if (f->has_dp)
            gauge(s, m->g_fair, (const char *[]){ns, name, mv, f->attribute, "demographic_parity_diff"},
                  f->dp_diff);
        if (f->has_di)
            gauge(s, m->g_fair, (const char *[]){ns, name, mv, f->attribute, "disparate_impact"},
                  f->disparate_impact);
        if (f->has_eo)
            gauge(s, m->g_fair, (const char *[]){ns, name, mv, f->attribute, "equal_opportunity_diff"},
                  f->eo_diff);
    }
}

static void register_metrics(mg_monitor *m, mg_metrics *r) {
    static const char *const md_l[] = {"namespace", "modeldeployment", "modelversion", NULL};
    static const char *const feat_l[] = {"namespace", "modeldeployment", "modelversion", "feature", NULL};
    static const char *const fair_l[] = {"namespace", "modeldeployment", "modelversion",
                                         "attribute", "metric",          NULL};
    static const char *const res_l[] = {"result", NULL};
    static const double lateness[] = {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
    m->g_psi = mg_metrics_gauge(r, "modelgov_model_psi", "PSI of a feature over the window.", feat_l);
    m->g_acc = mg_metrics_gauge(r, "modelgov_model_accuracy", "Accuracy over the window.", md_l);
    m->g_f1 = mg_metrics_gauge(r, "modelgov_model_f1", "F1 over the window.", md_l);
    m->g_samples = mg_metrics_gauge(r, "modelgov_model_window_samples", "Predictions in the window.", md_l);
    m->g_fair =
        mg_metrics_gauge(r, "modelgov_model_fairness", "Fairness figures per protected attribute.", fair_l);
    m->c_evals = mg_metrics_counter(r, "modelgov_operator_evaluations_total",
                                    "Monitoring evaluations, judged or not (below minSamples).", res_l);
    m->c_skipped =
        mg_metrics_counter(r, "modelgov_operator_evaluations_skipped_total",
                           "Evaluations skipped because the previous one of the model still ran.", NULL);
    m->h_lateness = mg_metrics_histogram(r, "modelgov_operator_evaluation_lateness_seconds",
                                         "Time from an evaluation's due time to its verdict.", NULL, lateness,
                                         sizeof(lateness) / sizeof(lateness[0]));
    if (!m->g_psi || !m->g_acc || !m->g_f1 || !m->g_samples || !m->g_fair || !m->c_evals || !m->c_skipped ||
        !m->h_lateness)
        m->g_psi = NULL; /* a registration failed (logged by the registry): run without metrics */
}

/* ---- states ------------------------------------------------------------------------------------ */

static void account_window(mg_monitor *m, md_state *s) {
    size_t now = s->window ? mg_window_bytes(s->window) : 0;
    if (now >= s->window_bytes)
        atomic_fetch_add(&m->window_bytes, now - s->window_bytes);
    else
        atomic_fetch_sub(&m->window_bytes, s->window_bytes - now);
    s->window_bytes = now;
}

/* Forgets what was learnt about the model (another ModelVersion, or no longer ours). */
static void reset_judgement(mg_monitor *m, md_state *s) {
    drop_gauges(s); /* the gauges of the version judged until now */
    mg_window_free(s->window);
    s->window = NULL;
    account_window(m, s);
    mg_breach_tracker_clear(&s->tracker);
    pthread_mutex_lock(&m->lock);
    stored_clear(&s->verdict);
    pthread_mutex_unlock(&m->lock);
}

/* Another replica monitors it now: drop everything heavy (the new owner re-posts the alerts
 * still firing and resolves them when they clear). */
static void release_state(mg_monitor *m, md_state *s) {
    reset_judgement(m, s);
    mg_breach_tracker_free(&s->tracker);
    json_decref(s->firing);
    s->firing = NULL;
    drop_gauges(s);
    m->targets -= s->targets;
    s->targets = 0;
    free(s->mv_name);
    s->mv_name = NULL;
    s->live = s->releases_seen = false;
}

static void state_free(mg_monitor *m, md_state *s) {
    release_state(m, s);
    mg_monitor_spec_free(&s->spec);
    stored_clear(&s->verdict);
    free(s->key);
    free(s);
}

/* Takes s out of the map and the schedule; frees it unless an evaluation still holds it. */
static void state_drop(mg_monitor *m, md_state *s) {
    pthread_mutex_lock(&m->lock);
    mg_strmap_del(m->states, s->key);
    pthread_mutex_unlock(&m->lock);
    mg_sched_remove(&m->sched, &s->slot);
    if (s->busy)
        s->gone = true;
    else
        state_free(m, s);
}

/* How far ahead of its due time an evaluation starts: its scrape timeout (never more than the
 * interval), so its verdict is ready by the due time even when a pod answers only at the end of
 * its timeout or never. A pod still gets its whole timeout, and the cadence stays the interval. */
static int64_t lead_of(const mg_monitor *m, int64_t interval_ms) {
    return interval_ms < m->scrape_timeout_ms ? interval_ms : m->scrape_timeout_ms;
}

/* Puts s in the schedule for the evaluation due at `due`. */
static void schedule_due(mg_monitor *m, md_state *s, int64_t due) {
    s->lead_ms = lead_of(m, s->interval_ms);
    mg_sched_set(&m->sched, &s->slot, due - s->lead_ms);
}

static void track(mg_monitor *m, const char *key, int64_t interval_ms, int64_t now) {
    md_state *s = mg_strmap_get(m->states, key);
    if (s && s->interval_ms == interval_ms) return;
    if (!s) {
        s = mg_xcalloc(1, sizeof(*s));
        s->key = mg_xstrdup(key);
        s->slot.owner = s;
        pthread_mutex_lock(&m->lock);
        mg_strmap_put(m->states, key, s);
        pthread_mutex_unlock(&m->lock);
    }
    s->interval_ms = interval_ms;
    if (!s->busy) schedule_due(m, s, mg_sched_first_due(key, interval_ms, now));
}

static void rescan(mg_monitor *m) {
    mg_strmap_iter it = {0};
    void *v;
    while (mg_strmap_next(m->states, &it, NULL, &v)) {
        md_state *s = v;
        if (!s->owned || !m->d.owns || m->d.owns(m->d.ud, s->key)) continue;
        if (!s->busy) release_state(m, s); /* else the evaluation's end releases it */
        s->owned = false;
    }
}

/* ---- inbox (any thread) ------------------------------------------------------------------------ */

static void post(mg_monitor *m, const char *key, bool track_it, int64_t interval_ms) {
    pthread_mutex_lock(&m->inbox_mu);
    bool first = !mg_strmap_len(m->inbox) && !m->rescan_asked;
    if (key) {
        inbox_item *it = mg_strmap_get(m->inbox, key);
        if (!it) mg_strmap_put(m->inbox, key, it = mg_xmalloc(sizeof(*it)));
        *it = (inbox_item){track_it, interval_ms};
    } else {
        m->rescan_asked = true;
    }
    pthread_mutex_unlock(&m->inbox_mu);
    if (first) mg_fetch_wakeup(m->fetch);
}

void mg_monitor_track(mg_monitor *m, const json_t *md) {
    char key[512];
    mg_store_key_of(md, key, sizeof(key));
    const json_t *mon = mg_json_get(md, "spec", "monitoring", NULL);
    if (!json_is_object(mon)) {
        post(m, key, false, 0);
        return;
    }
    int64_t interval = MG_MONITOR_DEFAULT_INTERVAL_MS;
    const char *iv = mg_json_str(mon, "interval", NULL);
    /* an invalid interval is reported by the evaluation (spec parse); schedule with the default */
    if (iv && (mg_clock_parse_duration(iv, &interval) || interval <= 0))
        interval = MG_MONITOR_DEFAULT_INTERVAL_MS;
    post(m, key, true, interval);
}

void mg_monitor_untrack(mg_monitor *m, const char *key) { post(m, key, false, 0); }
void mg_monitor_rescan(mg_monitor *m) { post(m, NULL, false, 0); }

static void take_inbox(mg_monitor *m, int64_t now) {
    pthread_mutex_lock(&m->inbox_mu);
    mg_strmap *items = m->inbox;
    bool rescan_asked = m->rescan_asked;
    m->inbox = mg_strmap_new();
    m->rescan_asked = false;
    pthread_mutex_unlock(&m->inbox_mu);
    mg_strmap_iter it = {0};
    const char *key;
    void *v;
    while (mg_strmap_next(items, &it, &key, &v)) {
        const inbox_item *item = v;
        md_state *s = mg_strmap_get(m->states, key);
        if (item->track)
            track(m, key, item->interval_ms, now);
        else if (s)
            state_drop(m, s);
    }
    mg_strmap_free(items, free);
    if (rescan_asked) rescan(m);
}

/* ---- one evaluation ---------------------------------------------------------------------------- */

static void baseline_unref(baseline_entry *b) {
    if (!b || --b->refs) return;
    mg_baseline_free(&b->base);
    free(b->rv);
    free(b->error);
    free(b);
}

static void free_baseline_value(void *b) { baseline_unref(b); }

/* The parsed baseline of mv (a new reference), parsed again only when mv changed. */
static baseline_entry *baseline_of(mg_monitor *m, const char *key, const json_t *mv, int64_t now) {
    const char *rv = mg_json_str(mv, "metadata", "resourceVersion", NULL);
    baseline_entry *b = mg_strmap_get(m->baselines, key);
    if (!b || !rv || !b->rv || strcmp(b->rv, rv)) {
        b = mg_xcalloc(1, sizeof(*b));
        b->rv = mg_xstrdup(rv);
        b->refs = 1;
        mg_error err;
        if (mg_baseline_parse(mg_json_get(mv, "spec", "baseline", NULL), &b->base, &err))
            b->error = mg_xstrdup(err.message);
        baseline_unref(mg_strmap_put(m->baselines, key, b));
    }
    b->used_ms = now;
    b->refs++;
    return b;
}

/* Drops the baselines nobody used for a while (ModelVersions deleted or no longer served). */
static void sweep_baselines(mg_monitor *m, int64_t now) {
    if (now - m->baselines_swept_ms < BASELINE_TTL_MS) return;
    m->baselines_swept_ms = now;
    json_t *stale = json_array();
    mg_strmap_iter it = {0};
    const char *k;
    void *v;
    while (mg_strmap_next(m->baselines, &it, &k, &v))
        if (now - ((baseline_entry *)v)->used_ms > BASELINE_TTL_MS)
            json_array_append_new(stale, json_string(k));
    size_t i;
    json_t *key;
    json_array_foreach(stale, i, key) baseline_unref(mg_strmap_del(m->baselines, json_string_value(key)));
    json_decref(stale);
}

static void job_free(job *j) {
    json_decref(j->md);
    json_decref(j->mv);
    baseline_unref(j->base);
    free(j);
}

static bool pod_ready(const json_t *pod) {
    size_t i;
    json_t *c;
    json_array_foreach(mg_json_get(pod, "status", "conditions", NULL), i, c) {
        const char *t = mg_json_str(c, "type", NULL), *st = mg_json_str(c, "status", NULL);
        if (t && st && !strcmp(t, "Ready")) return !strcmp(st, "True");
    }
    return false;
}

static void on_collected(void *ud, mg_collected *c);

static void on_alerts_posted(void *ud, const mg_fetch_result *r) {
    (void)ud;
    if (r->rc && r->rc != MG_ECANCELED)
        mg_log(MG_LOG_WARN, "alerts not delivered to Alertmanager", "error", r->error, NULL);
}

/* Posts batch (taken) to Alertmanager, off the evaluation path. */
static void post_alerts(mg_monitor *m, json_t *batch) {
    if (m->am_url && json_array_size(batch)) {
        char *body = json_dumps(batch, JSON_COMPACT);
        char *url = mg_xasprintf("%s%s", m->am_url, MG_ALERTS_PATH);
        mg_fetch_request(m->fetch, url, body ? body : "[]", ALERT_TIMEOUT_MS, true, on_alerts_posted, NULL);
        free(url);
        free(body);
    }
    json_decref(batch);
}

/* A pod's (or a query's) timeout: the configured one, never more than the interval. */
static long timeout_of(const mg_monitor *m, const job *j) { return (long)lead_of(m, j->spec->interval_ms); }

/* Scrapes the ready pods of the ModelDeployment (the pods cache, by its label). */
static void collect_pods(mg_monitor *m, job *j, const char *ns, const char *name) {
    json_t *pods = mg_store_by_index(m->d.pods, "md", name);
    long long port = mg_plan_port(j->md);
    size_t n = 0, cap = json_array_size(pods);
    mg_scrape_target *targets = mg_xcalloc(cap + 1, sizeof(*targets));
    char **urls = mg_xcalloc(cap + 1, sizeof(char *));
    size_t i;
    json_t *pod;
    json_array_foreach(pods, i, pod) {
        const char *pns = mg_json_str(pod, "metadata", "namespace", NULL);
        const char *ip = mg_json_str(pod, "status", "podIP", NULL);
        if (!pns || strcmp(pns, ns) || !ip || !pod_ready(pod)) continue;
        bool v6 = strchr(ip, ':') != NULL;
        urls[n] = mg_xasprintf("http://%s%s%s:%lld%s", v6 ? "[" : "", ip, v6 ? "]" : "", port, j->spec->path);
        const char *uid = mg_json_str(pod, "metadata", "uid", NULL);
        targets[n] = (mg_scrape_target){uid ? uid : mg_json_str(pod, "metadata", "name", NULL), urls[n]};
        n++;
    }
    if (!j->s->window) j->s->window = mg_window_new();
    atomic_fetch_add(&m->scrapes, n);
    m->targets += n - j->s->targets; /* the pods of every model, as last seen */
    j->s->targets = n;
    bool keep_alive = m->targets <= (size_t)mg_fetch_max_idle(m->fetch);
    mg_collect_scrape(m->fetch, j->s->window, targets, n, timeout_of(m, j), keep_alive, j->started_ms,
                      j->spec->window_ms, on_collected, j);
    for (size_t k = 0; k < n; k++)
        free(urls[k]);
    free(urls);
    free(targets);
    json_decref(pods);
}

static void collect_prometheus(mg_monitor *m, job *j, const char *ns, const char *name) {
    char *sel = j->spec->prometheus_selector ? mg_xstrdup(j->spec->prometheus_selector)
                                             : mg_xasprintf("{namespace=\"%s\",pod=~\"%s-.*\"}", ns, name);
    mg_collect_prometheus(m->fetch, j->spec->prometheus_url, sel, j->spec->window_ms, timeout_of(m, j),
                          on_collected, j);
    free(sel);
}

/* The ModelDeployment serves: judge the ModelVersion it runs. Takes md. */
static void start_judging(mg_monitor *m, md_state *s, json_t *md, int64_t due, int64_t now) {
    const char *ns = mg_json_str(md, "metadata", "namespace", NULL);
    const char *serving = mg_json_str(md, "status", "servingModelVersion", NULL);
    char key[512];
    snprintf(key, sizeof(key), "%s/%s", ns ? ns : "", serving);
    json_t *mv = mg_store_get(m->d.modelversions, key);
    if (!mv) {
        s->live = false;
        json_decref(md);
        return;
    }
    job *j = mg_xcalloc(1, sizeof(*j));
    *j = (job){.m = m, .s = s, .md = md, .mv = mv, .spec = &s->spec, .due_ms = due, .started_ms = now};
    if (!s->live || !s->mv_name || strcmp(s->mv_name, serving)) {
        /* (re)entering service, or another version: judge it from a clean slate, and resolve what
         * still fired */
        reset_judgement(m, s);
        free(s->mv_name);
        s->mv_name = mg_xstrdup(serving);
        s->releases_seen = false;
        if (s->firing) {
            mg_breach_tracker none = {0};
            char stamp[40];
            mg_clock_rfc3339(now, stamp, sizeof(stamp));
            mg_alert_subject about = {ns, mg_json_str(md, "metadata", "name", NULL), NULL, NULL};
            post_alerts(m, mg_alerts_sync(&s->firing, &none, &about, stamp));
        }
    }
    s->live = true;
    j->base = baseline_of(m, key, mv, now);
    if (j->base->error) {
        char msg[MESSAGE_MAX];
        snprintf(msg, sizeof(msg), "ModelVersion %s: %s", serving, j->base->error);
        publish_config_error(m, s, msg);
        job_free(j);
        return;
    }
    if (j->spec->source == MG_MONITOR_PROMETHEUS && !j->spec->prometheus_url) {
        publish_config_error(m, s, "spec.monitoring.prometheusURL is required with source prometheus");
        job_free(j);
        return;
    }
    s->busy = true;
    const char *name = mg_json_str(md, "metadata", "name", NULL);
    if (j->spec->source == MG_MONITOR_PROMETHEUS)
        collect_prometheus(m, j, ns, name);
    else
        collect_pods(m, j, ns, name);
}

/* s is due at `due`: schedule the next one, then evaluate unless it is not ours or not serving. */
static void start_evaluation(mg_monitor *m, md_state *s, int64_t due, int64_t now) {
    long skipped = 0;
    schedule_due(m, s, mg_sched_next_due(s->key, due, s->interval_ms, now, &skipped));
    if (skipped && m->c_skipped) mg_metric_add(mg_metric_with(m->c_skipped, NULL), (double)skipped);
    if (s->busy) {
        atomic_fetch_add(&m->skipped, 1);
        if (m->c_skipped) mg_metric_inc(mg_metric_with(m->c_skipped, NULL));
        return;
    }
    if (m->d.owns && !m->d.owns(m->d.ud, s->key)) {
        if (s->owned) release_state(m, s);
        s->owned = false;
        return;
    }
    s->owned = true;
    json_t *md = mg_store_get(m->d.modeldeployments, s->key);
    if (!md) {
        state_drop(m, s);
        return;
    }
    long long gen = mg_json_int(md, -1, "metadata", "generation", NULL);
    if (!s->spec_parsed || gen != s->spec_generation) { /* spec.monitoring changes bump the generation */
        mg_monitor_spec_free(&s->spec);
        mg_error err;
        s->spec_parsed =
            mg_monitor_spec_parse(mg_json_get(md, "spec", "monitoring", NULL), &s->spec, &err) == 0;
        s->spec_generation = gen;
        if (!s->spec_parsed) {
            publish_config_error(m, s, err.message);
            json_decref(md);
            return;
        }
    }
    if (s->spec.interval_ms != s->interval_ms) { /* the informer's view was older: keep to the spec */
        s->interval_ms = s->spec.interval_ms;
        schedule_due(m, s, mg_sched_first_due(s->key, s->interval_ms, now));
    }
    const char *phase = mg_json_str(md, "status", "phase", NULL);
    const char *serving = mg_json_str(md, "status", "servingModelVersion", NULL);
    bool live = phase && serving && (!strcmp(phase, "Serving") || !strcmp(phase, "AwaitingReview"));
    if (!live) {
        s->live = false;
        json_decref(md);
        return;
    }
    start_judging(m, s, md, due, now);
}

/* The verdict of a judged window, published for the reconcile. */
static void publish(mg_monitor *m, md_state *s, json_t *evaluation, const mg_breach_summary *sum) {
    json_t *breaches = mg_breach_tracker_status_json(&s->tracker);
    stored_verdict v = {.known = true,
                        .awaiting_review = sum->warn_active && !sum->quarantine_active,
                        .quarantine = sum->quarantine_active,
                        .last_evaluation = json_dumps(evaluation, JSON_COMPACT),
                        .breaches = json_dumps(breaches, JSON_COMPACT),
                        .model_version = mg_xstrdup(s->mv_name)};
    for (int c = 0; c < MG_COND_COUNT; c++) {
        v.condition[c] = sum->condition[c];
        v.message[c] = sum->message[c][0] ? mg_xstrdup(sum->message[c]) : NULL;
    }
    json_decref(breaches);
    pthread_mutex_lock(&m->lock);
    stored_clear(&s->verdict);
    s->verdict = v;
    pthread_mutex_unlock(&m->lock);
    m->d.enqueue(m->d.ud, s->key);
}

/* Judges the window: breaches, releases, alerts, gauges, verdict. */
static void judge(mg_monitor *m, job *j, const mg_model_metrics *window) {
    md_state *s = j->s;
    mg_eval_result r = {0};
    mg_eval_window(&j->base->base, window, j->spec, &r);
    mg_breach_tracker_update(&s->tracker, &r, j->spec->consecutive, j->started_ms);
    /* a human release acknowledges the warn breaches active when it arrives */
    int64_t rel = m->d.newest_release_ms ? m->d.newest_release_ms(m->d.ud, j->md, j->mv) : 0;
    if (s->releases_seen && rel > s->last_release_ms) mg_breach_tracker_acknowledge(&s->tracker);
    if (rel > s->last_release_ms) s->last_release_ms = rel;
    s->releases_seen = true;
    mg_breach_summary sum;
    mg_breach_tracker_summary(&s->tracker, &sum);
    char now[40];
    mg_clock_rfc3339(j->started_ms, now, sizeof(now));
    json_t *evaluation = mg_eval_result_json(&r, now);
    mg_alert_subject about = {
        mg_json_str(j->md, "metadata", "namespace", NULL), mg_json_str(j->md, "metadata", "name", NULL),
        mg_json_str(j->mv, "spec", "model", NULL), mg_json_str(j->mv, "spec", "version", NULL)};
    if (m->am_url) post_alerts(m, mg_alerts_sync(&s->firing, &s->tracker, &about, now));
    set_gauges(m, s, j->md, &r);
    if (m->c_evals) mg_metric_inc(mg_metric_with(m->c_evals, r.judged ? "judged" : "not_judged", NULL));
    publish(m, s, evaluation, &sum);
    json_decref(evaluation);
    mg_eval_result_free(&r);
}

static void on_collected(void *ud, mg_collected *c) {
    job *j = ud;
    mg_monitor *m = j->m;
    md_state *s = j->s;
    s->busy = false;
    atomic_fetch_add(&m->scrape_failures, (unsigned long)c->failed);
    account_window(m, s);
    if (s->gone || atomic_load(&m->stop)) {
        if (s->gone) state_free(m, s);
        job_free(j);
        return;
    }
    if (!s->owned) { /* the shard moved while this ran */
        release_state(m, s);
        job_free(j);
        return;
    }
    if (c->targets && c->failed == c->targets)
        mg_log(MG_LOG_WARN, "no pod could be scraped", "modeldeployment", s->key, "error", c->problem, NULL);
    if (c->rc) {
        mg_log(MG_LOG_WARN, "monitoring: cannot collect metrics", "modeldeployment", s->key, "error",
               c->problem, NULL);
    } else {
        judge(m, j, &c->window);
    }
    int64_t done = mg_clock_wall_ms();
    atomic_fetch_add(&m->evaluations, 1);
    mg_monitor_timing t = {.key = s->key,
                           .due_ms = j->due_ms,
                           .started_ms = j->started_ms,
                           .done_ms = done,
                           .targets = c->targets,
                           .failed = c->failed,
                           .judged = c->rc == 0};
    if (m->h_lateness)
        mg_metric_observe(mg_metric_with(m->h_lateness, NULL), (double)mg_monitor_lateness_ms(&t) / 1000.0);
    if (m->d.evaluated) m->d.evaluated(m->d.ud, &t);
    job_free(j);
}

/* ---- the loop ---------------------------------------------------------------------------------- */

static void *loop(void *p) {
    mg_monitor *m = p;
    while (!atomic_load(&m->stop)) {
        int64_t now = mg_clock_wall_ms();
        take_inbox(m, now);
        sweep_baselines(m, now);
        for (mg_sched_slot *slot; (slot = mg_sched_pop_due(&m->sched, now));) {
            md_state *s = slot->owner;
            start_evaluation(m, s, slot->due_ms + s->lead_ms, now);
        }
        mg_sched_slot *next = mg_sched_peek(&m->sched);
        long wait = LOOP_MAX_WAIT_MS;
        if (next && next->due_ms - now < wait) wait = (long)(next->due_ms - now);
        mg_fetch_run(m->fetch, wait > 0 ? wait : 0);
    }
    return NULL;
}

int mg_monitor_new(const mg_monitor_deps *deps, mg_monitor **out, mg_error *err) {
    *out = NULL;
    if (!deps || !deps->modeldeployments || !deps->modelversions || !deps->pods || !deps->enqueue)
        return mg_error_set(err, MG_EINVAL,
                            "monitor: the ModelDeployment, ModelVersion and Pod stores and an "
                            "enqueue callback are required");
    mg_monitor *m = mg_xcalloc(1, sizeof(*m));
    m->d = *deps;
    m->d.alertmanager_url = NULL;
    const char *am = deps->alertmanager_url;
    if (am && *am) {
        m->am_url = mg_xstrdup(am);
        size_t n = strlen(m->am_url);
        while (n && m->am_url[n - 1] == '/')
            m->am_url[--n] = '\0';
    }
    m->scrape_timeout_ms = deps->scrape_timeout_ms > 0 ? deps->scrape_timeout_ms : DEFAULT_SCRAPE_TIMEOUT_MS;
    mg_fetch_opts fo = {.max_in_flight = deps->max_in_flight,
                        .max_idle_connections = deps->max_idle_connections};
    m->fetch = mg_fetch_new(&fo);
    m->states = mg_strmap_new();
    m->inbox = mg_strmap_new();
    m->baselines = mg_strmap_new();
    pthread_mutex_init(&m->lock, NULL);
    pthread_mutex_init(&m->inbox_mu, NULL);
    if (deps->metrics) register_metrics(m, deps->metrics);
    *out = m;
    return 0;
}

int mg_monitor_start(mg_monitor *m, mg_error *err) {
    if (m->started) return 0;
    atomic_store(&m->stop, false);
    if (pthread_create(&m->thread, NULL, loop, m))
        return mg_error_set(err, MG_EIO, "monitor: cannot start its thread");
    m->started = true;
    return 0;
}

void mg_monitor_stop(mg_monitor *m) {
    if (!m || !m->started) return;
    atomic_store(&m->stop, true);
    mg_fetch_wakeup(m->fetch);
    pthread_join(m->thread, NULL);
    m->started = false;
}

static void free_state_value(void *p) { free(p); }

void mg_monitor_free(mg_monitor *m) {
    if (!m) return;
    mg_monitor_stop(m);
    atomic_store(&m->stop, true);
    mg_fetch_free(m->fetch); /* evaluations in flight end (canceled) and let go of their state */
    mg_strmap_iter it = {0};
    void *v;
    while (mg_strmap_next(m->states, &it, NULL, &v)) {
        md_state *s = v;
        release_state(m, s);
        mg_monitor_spec_free(&s->spec);
        stored_clear(&s->verdict);
        free(s->key);
    }
    mg_strmap_free(m->states, free_state_value);
    mg_strmap_free(m->inbox, free);
    mg_strmap_free(m->baselines, free_baseline_value);
    mg_sched_free(&m->sched);
    pthread_mutex_destroy(&m->lock);
    pthread_mutex_destroy(&m->inbox_mu);
    free(m->am_url);
    free(m);
}

void mg_monitor_get_stats(mg_monitor *m, mg_monitor_stats *out) {
    mg_fetch_stats fs;
    mg_fetch_get_stats(m->fetch, &fs);
    pthread_mutex_lock(&m->lock);
    size_t tracked = mg_strmap_len(m->states);
    pthread_mutex_unlock(&m->lock);
    *out = (mg_monitor_stats){.tracked = tracked,
                              .evaluations = atomic_load(&m->evaluations),
                              .skipped = atomic_load(&m->skipped),
                              .scrapes = atomic_load(&m->scrapes),
                              .scrape_failures = atomic_load(&m->scrape_failures),
                              .connections = fs.connections,
                              .window_bytes = atomic_load(&m->window_bytes)};
}
