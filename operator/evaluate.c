/* operator/evaluate — see evaluate.h. */
#include "operator/evaluate.h"

#include <ctype.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/mem.h"
#include "stats/stats.h"

/* ---- Metric tables ---------------------------------------------------------------------- */

static const char *const metric_names[MG_METRIC_COUNT] = {
    "minAccuracy",
    "minF1",
    "maxAccuracyDrop",
    "maxPSI",
    "maxKS",
    "maxJSDistance",
    "maxDemographicParityDiff",
    "minDisparateImpact",
    "maxEqualOpportunityDiff",
};

static bool metric_is_min(mg_eval_metric m) {
    return m == MG_METRIC_MIN_ACCURACY || m == MG_METRIC_MIN_F1 || m == MG_METRIC_MIN_DISPARATE_IMPACT;
}

const char *mg_eval_metric_name(mg_eval_metric m) {
    return (unsigned)m < MG_METRIC_COUNT ? metric_names[m] : "?";
}

int mg_eval_metric_parse(const char *name, mg_eval_metric *out) {
    for (int i = 0; name && i < MG_METRIC_COUNT; i++)
        if (!strcmp(name, metric_names[i])) {
            *out = (mg_eval_metric)i;
            return 0;
        }
    return MG_EINVAL;
}

const char *mg_eval_level_name(mg_level l) { return l == MG_LEVEL_QUARANTINE ? "quarantine" : "warn"; }

static int level_parse(const char *s, mg_level *out) {
    if (!s) return MG_EINVAL;
    if (!strcmp(s, "warn"))
        *out = MG_LEVEL_WARN;
    else if (!strcmp(s, "quarantine"))
        *out = MG_LEVEL_QUARANTINE;
    else
        return MG_EINVAL;
    return 0;
}

mg_eval_condition mg_eval_metric_condition(mg_eval_metric m) {
    if (m <= MG_METRIC_MAX_ACCURACY_DROP) return MG_COND_DEGRADED;
    if (m <= MG_METRIC_MAX_JS) return MG_COND_DRIFTED;
    return MG_COND_BIAS_DRIFT;
}

const char *mg_eval_condition_name(mg_eval_condition c) {
    switch (c) {
    case MG_COND_DEGRADED: return "Degraded";
    case MG_COND_DRIFTED: return "Drifted";
    default: return "BiasDrift";
    }
}

const char *mg_eval_metric_subject_kind(mg_eval_metric m) {
    switch (mg_eval_metric_condition(m)) {
    case MG_COND_DRIFTED: return "feature";
    case MG_COND_BIAS_DRIFT: return "attribute";
    default: return NULL;
    }
}

double mg_eval_round6(double x) {
    if (!isfinite(x) || x == 0) return x == 0 ? 0.0 : x;
    char buf[32];
    snprintf(buf, sizeof(buf), "%.6g", x);
    double r = strtod(buf, NULL);
    return r == 0 ? 0.0 : r;
}

/* ---- Small JSON readers ----------------------------------------------------------------- */

/* A JSON number (integer or real) that is finite: 1 when present, 0 when absent or null,
 * MG_EINVAL when another type. */
static int get_number(const json_t *obj, const char *key, double *out) {
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_number(v)) return MG_EINVAL;
    *out = json_number_value(v);
    return isfinite(*out) ? 1 : MG_EINVAL;
}

static int get_string(const json_t *obj, const char *key, const char **out) {
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_string(v)) return MG_EINVAL;
    *out = json_string_value(v);
    return 1;
}

/* The CRD's duration pattern ^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$, then a positive value. */
static int parse_duration(const char *s, int64_t *ms) {
    const char *p = s;
    if (!*p) return MG_EINVAL;
    while (*p) {
        if (!isdigit((unsigned char)*p)) return MG_EINVAL;
        while (isdigit((unsigned char)*p))
            p++;
        if (*p == '.') {
            p++;
            if (!isdigit((unsigned char)*p)) return MG_EINVAL;
            while (isdigit((unsigned char)*p))
                p++;
        }
        if ((p[0] == 'n' || p[0] == 'u' || p[0] == 'm') && p[1] == 's')
            p += 2;
        else if (*p == 's' || *p == 'm' || *p == 'h')
            p++;
        else
            return MG_EINVAL;
    }
    if (strlen(s) > 64) return MG_EINVAL;
    int64_t v;
    if (mg_clock_parse_duration(s, &v) != 0 || v <= 0) return MG_EINVAL;
    *ms = v;
    return 0;
}

/* ---- spec.monitoring -------------------------------------------------------------------- */

const mg_thresholds *mg_monitor_thresholds(const mg_monitor_spec *s, mg_level l) {
    return l == MG_LEVEL_QUARANTINE ? &s->quarantine : &s->warn;
}

static int parse_thresholds(const json_t *obj, const char *which, mg_thresholds *t, mg_error *err) {
    memset(t, 0, sizeof(*t));
    if (!obj || json_is_null(obj)) return 0;
    if (!json_is_object(obj)) return mg_error_set(err, MG_EINVAL, "spec.monitoring.%s: not an object", which);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        mg_eval_metric m;
        if (mg_eval_metric_parse(key, &m) != 0)
            return mg_error_set(err, MG_EINVAL, "spec.monitoring.%s.%s: unknown threshold", which, key);
        if (json_is_null(v)) continue;
        if (!json_is_number(v) || !isfinite(json_number_value(v)) || json_number_value(v) < 0)
            return mg_error_set(err, MG_EINVAL, "spec.monitoring.%s.%s: not a non-negative number", which,
                                key);
        t->set[m] = true;
        t->value[m] = json_number_value(v);
    }
    return 0;
}

static int parse_string_field(const json_t *mon, const char *key, char **out, mg_error *err) {
    const char *s = NULL;
    int rc = get_string(mon, key, &s);
    if (rc < 0) return mg_error_set(err, MG_EINVAL, "spec.monitoring.%s: not a string", key);
    if (rc > 0) *out = mg_xstrdup(s);
    return 0;
}

static int parse_duration_field(const json_t *mon, const char *key, int64_t *out, mg_error *err) {
    const char *s = NULL;
    int rc = get_string(mon, key, &s);
    if (rc < 0) return mg_error_set(err, MG_EINVAL, "spec.monitoring.%s: not a string", key);
    if (rc == 0) return 0;
    if (parse_duration(s, out) != 0)
        return mg_error_set(err, MG_EINVAL, "spec.monitoring.%s: \"%.64s\" is not a duration", key, s);
    return 0;
}

int mg_monitor_spec_parse(const json_t *mon, mg_monitor_spec *out, mg_error *err) {
    memset(out, 0, sizeof(*out));
    out->source = MG_MONITOR_SCRAPE;
    out->interval_ms = MG_MONITOR_DEFAULT_INTERVAL_MS;
    out->window_ms = MG_MONITOR_DEFAULT_WINDOW_MS;
    out->consecutive = MG_MONITOR_DEFAULT_CONSECUTIVE;
    int rc = 0;
    if (mon && !json_is_null(mon)) {
        if (!json_is_object(mon)) {
            rc = mg_error_set(err, MG_EINVAL, "spec.monitoring: not an object");
            goto fail;
        }
        out->present = true;
        const char *src = NULL;
        int r = get_string(mon, "source", &src);
        if (r < 0 || (r > 0 && strcmp(src, "scrape") && strcmp(src, "prometheus"))) {
            rc = mg_error_set(err, MG_EINVAL, "spec.monitoring.source: must be scrape or prometheus");
            goto fail;
        }
        if (r > 0 && !strcmp(src, "prometheus")) out->source = MG_MONITOR_PROMETHEUS;
        if ((rc = parse_string_field(mon, "prometheusURL", &out->prometheus_url, err)) ||
            (rc = parse_string_field(mon, "prometheusSelector", &out->prometheus_selector, err)) ||
            (rc = parse_string_field(mon, "path", &out->path, err)) ||
            (rc = parse_duration_field(mon, "interval", &out->interval_ms, err)) ||
            (rc = parse_duration_field(mon, "window", &out->window_ms, err)))
            goto fail;
        double d;
        r = get_number(mon, "minSamples", &d);
        if (r < 0 || (r > 0 && d < 0)) {
            rc = mg_error_set(err, MG_EINVAL, "spec.monitoring.minSamples: not a non-negative number");
            goto fail;
        }
        if (r > 0) out->min_samples = d;
        json_t *c = json_object_get(mon, "consecutive");
        if (c && !json_is_null(c)) {
            if (!json_is_integer(c) || json_integer_value(c) < 1 || json_integer_value(c) > 1000000) {
                rc = mg_error_set(err, MG_EINVAL, "spec.monitoring.consecutive: not an integer >= 1");
                goto fail;
            }
            out->consecutive = (int)json_integer_value(c);
        }
        if ((rc = parse_thresholds(json_object_get(mon, "warn"), "warn", &out->warn, err)) ||
            (rc = parse_thresholds(json_object_get(mon, "quarantine"), "quarantine", &out->quarantine, err)))
            goto fail;
    }
    if (!out->path) out->path = mg_xstrdup("/metrics");
    return 0;
fail:
    mg_monitor_spec_free(out);
    return rc;
}

void mg_monitor_spec_free(mg_monitor_spec *s) {
    if (!s) return;
    free(s->prometheus_url);
    free(s->prometheus_selector);
    free(s->path);
    memset(s, 0, sizeof(*s));
}

/* ---- spec.baseline ---------------------------------------------------------------------- */

static int parse_number_array(const json_t *arr, const char *path, double **out, size_t *n, mg_error *err) {
    *out = NULL;
    *n = 0;
    if (!arr || json_is_null(arr)) return 0;
    if (!json_is_array(arr)) return mg_error_set(err, MG_EINVAL, "%s: not an array", path);
    size_t len = json_array_size(arr);
    double *v = mg_xmalloc((len ? len : 1) * sizeof(double));
    for (size_t i = 0; i < len; i++) {
        json_t *x = json_array_get(arr, i);
        if (!json_is_number(x) || !isfinite(json_number_value(x))) {
            free(v);
            return mg_error_set(err, MG_EINVAL, "%s[%zu]: not a number", path, i);
        }
        v[i] = json_number_value(x);
    }
    *out = v;
    *n = len;
    return 0;
}

static int parse_feature(const json_t *f, size_t i, mg_baseline_feature *out, mg_error *err) {
    char path[96];
    if (!json_is_object(f))
        return mg_error_set(err, MG_EINVAL, "spec.baseline.features[%zu]: not an object", i);
    const char *name = NULL;
    if (get_string(f, "name", &name) <= 0 || !*name)
        return mg_error_set(err, MG_EINVAL, "spec.baseline.features[%zu].name: missing", i);
    out->name = mg_xstrdup(name);
    size_t np = 0;
    snprintf(path, sizeof(path), "spec.baseline.features[%zu].edges", i);
    int rc = parse_number_array(json_object_get(f, "edges"), path, &out->edges, &out->nedges, err);
    if (rc) return rc;
    for (size_t k = 1; k < out->nedges; k++)
        if (!(out->edges[k] > out->edges[k - 1]))
            return mg_error_set(err, MG_EINVAL, "%s: not strictly increasing at [%zu]", path, k);
    snprintf(path, sizeof(path), "spec.baseline.features[%zu].proportions", i);
    rc = parse_number_array(json_object_get(f, "proportions"), path, &out->proportions, &np, err);
    if (rc) return rc;
    if (!out->proportions) return mg_error_set(err, MG_EINVAL, "%s: missing", path);
    if (np != out->nedges + 1)
        return mg_error_set(err, MG_EINVAL, "%s: %zu entries, want %zu (edges + 1)", path, np,
                            out->nedges + 1);
    double sum = 0;
    for (size_t k = 0; k < np; k++) {
        if (out->proportions[k] < 0) return mg_error_set(err, MG_EINVAL, "%s[%zu]: negative", path, k);
        sum += out->proportions[k];
    }
    if (!(sum > 0)) return mg_error_set(err, MG_EINVAL, "%s: all zero", path);
    return 0;
}

static int parse_rate(const json_t *g, const char *key, size_t i, bool *has, double *out, mg_error *err) {
    int r = get_number(g, key, out);
    if (r < 0 || (r > 0 && (*out < 0 || *out > 1)))
        return mg_error_set(err, MG_EINVAL, "spec.baseline.groups[%zu].%s: not a number in [0, 1]", i, key);
    *has = r > 0;
    return 0;
}

int mg_baseline_parse(const json_t *b, mg_baseline *out, mg_error *err) {
    memset(out, 0, sizeof(*out));
    if (!b || json_is_null(b)) return 0;
    int rc;
    if (!json_is_object(b)) {
        rc = mg_error_set(err, MG_EINVAL, "spec.baseline: not an object");
        goto fail;
    }
    out->present = true;
    int r = get_number(b, "samples", &out->samples);
    if (r < 0 || out->samples < 0) {
        rc = mg_error_set(err, MG_EINVAL, "spec.baseline.samples: not a non-negative number");
        goto fail;
    }
    r = get_number(b, "accuracy", &out->accuracy);
    if (r < 0 || out->accuracy < 0 || out->accuracy > 1) {
        rc = mg_error_set(err, MG_EINVAL, "spec.baseline.accuracy: not a number in [0, 1]");
        goto fail;
    }
    out->has_accuracy = r > 0;
    r = get_number(b, "f1", &out->f1);
    if (r < 0 || out->f1 < 0 || out->f1 > 1) {
        rc = mg_error_set(err, MG_EINVAL, "spec.baseline.f1: not a number in [0, 1]");
        goto fail;
    }
    out->has_f1 = r > 0;
    json_t *fs = json_object_get(b, "features");
    if (fs && !json_is_null(fs)) {
        if (!json_is_array(fs)) {
            rc = mg_error_set(err, MG_EINVAL, "spec.baseline.features: not an array");
            goto fail;
        }
        size_t n = json_array_size(fs);
        out->features = mg_xcalloc(n ? n : 1, sizeof(*out->features));
        for (size_t i = 0; i < n; i++) {
            out->nfeatures = i + 1;
            if ((rc = parse_feature(json_array_get(fs, i), i, &out->features[i], err))) goto fail;
            for (size_t j = 0; j < i; j++)
                if (!strcmp(out->features[j].name, out->features[i].name)) {
                    rc = mg_error_set(err, MG_EINVAL, "spec.baseline.features[%zu].name: duplicate \"%.64s\"",
                                      i, out->features[i].name);
                    goto fail;
                }
        }
    }
    json_t *gs = json_object_get(b, "groups");
    if (gs && !json_is_null(gs)) {
        if (!json_is_array(gs)) {
            rc = mg_error_set(err, MG_EINVAL, "spec.baseline.groups: not an array");
            goto fail;
        }
        size_t n = json_array_size(gs);
        out->groups = mg_xcalloc(n ? n : 1, sizeof(*out->groups));
        for (size_t i = 0; i < n; i++) {
            json_t *g = json_array_get(gs, i);
            mg_baseline_group *o = &out->groups[i];
            out->ngroups = i + 1;
            const char *a = NULL, *gr = NULL;
            if (!json_is_object(g) || get_string(g, "attribute", &a) <= 0 ||
                get_string(g, "group", &gr) <= 0) {
                rc = mg_error_set(err, MG_EINVAL,
                                  "spec.baseline.groups[%zu]: needs attribute and group strings", i);
                goto fail;
            }
            o->attribute = mg_xstrdup(a);
            o->group = mg_xstrdup(gr);
            if ((rc = parse_rate(g, "positiveRate", i, &o->has_positive_rate, &o->positive_rate, err)) ||
                (rc = parse_rate(g, "truePositiveRate", i, &o->has_true_positive_rate, &o->true_positive_rate,
                                 err)))
                goto fail;
        }
    }
    return 0;
fail:
    mg_baseline_free(out);
    return rc;
}

void mg_baseline_free(mg_baseline *b) {
    if (!b) return;
    for (size_t i = 0; i < b->nfeatures; i++) {
        free(b->features[i].name);
        free(b->features[i].edges);
        free(b->features[i].proportions);
    }
    free(b->features);
    for (size_t i = 0; i < b->ngroups; i++) {
        free(b->groups[i].attribute);
        free(b->groups[i].group);
    }
    free(b->groups);
    memset(b, 0, sizeof(*b));
}

/* ---- Evaluation ------------------------------------------------------------------------- */

static int strcmp_null(const char *a, const char *b) {
    if (!a || !b) return a ? 1 : b ? -1 : 0;
    return strcmp(a, b);
}

static bool str_eq(const char *a, const char *b) { return strcmp_null(a, b) == 0; }

/* The alphabetically first attribute of the predictions / of the feedback (every example is
 * counted once per attribute, so one attribute's series count each example once). */
static const char *first_pred_attribute(const mg_model_metrics *w) {
    const char *best = NULL;
    for (size_t i = 0; i < w->npredictions; i++) {
        const char *a = w->predictions[i].attribute;
        if (a && (!best || strcmp(a, best) < 0)) best = a;
    }
    return best;
}

static const char *first_feedback_attribute(const mg_model_metrics *w) {
    const char *best = NULL;
    for (size_t i = 0; i < w->nfeedback; i++) {
        const char *a = w->feedback[i].attribute;
        if (a && (!best || strcmp(a, best) < 0)) best = a;
    }
    return best;
}

static double hist_total(const mg_feature_hist *h) {
    if (h->nbuckets && isinf(h->le[h->nbuckets - 1]) && h->le[h->nbuckets - 1] > 0)
        return h->cum[h->nbuckets - 1];
    return h->has_count ? h->count : 0;
}

static double window_samples(const mg_model_metrics *w) {
    if (w->npredictions) {
        const char *attr = first_pred_attribute(w);
        double s = 0;
        for (size_t i = 0; i < w->npredictions; i++)
            if (str_eq(w->predictions[i].attribute, attr)) s += w->predictions[i].value;
        return s;
    }
    double best = 0;
    for (size_t i = 0; i < w->nfeatures; i++) {
        double t = hist_total(&w->features[i]);
        if (t > best) best = t;
    }
    return best;
}

/* Per-group numerators and denominators of one attribute (small linear table). */
typedef struct group_rates {
    const char **group;
    double *num, *den;
    size_t n, cap;
} group_rates;

static void rates_add(group_rates *g, const char *group, double num, double den) {
    for (size_t i = 0; i < g->n; i++)
        if (str_eq(g->group[i], group)) {
            g->num[i] += num;
            g->den[i] += den;
            return;
        }
    if (g->n == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 8;
        g->group = mg_xrealloc(g->group, g->cap * sizeof(*g->group));
        g->num = mg_xrealloc(g->num, g->cap * sizeof(double));
        g->den = mg_xrealloc(g->den, g->cap * sizeof(double));
    }
    g->group[g->n] = group;
    g->num[g->n] = num;
    g->den[g->n] = den;
    g->n++;
}

static int cmp_str_ptr(const void *a, const void *b) {
    return strcmp_null(*(const char *const *)a, *(const char *const *)b);
}

static void eval_fairness(const mg_model_metrics *w, mg_eval_result *out) {
    size_t cap = w->npredictions + w->nfeedback;
    if (!cap) return;
    const char **attrs = mg_xmalloc(cap * sizeof(*attrs));
    size_t na = 0;
    for (size_t i = 0; i < w->npredictions; i++)
        attrs[na++] = w->predictions[i].attribute;
    for (size_t i = 0; i < w->nfeedback; i++)
        attrs[na++] = w->feedback[i].attribute;
    qsort(attrs, na, sizeof(*attrs), cmp_str_ptr);
    size_t nu = 0;
    for (size_t i = 0; i < na; i++)
        if (attrs[i] && (nu == 0 || strcmp(attrs[nu - 1], attrs[i]))) attrs[nu++] = attrs[i];
    out->fairness = mg_xcalloc(nu ? nu : 1, sizeof(*out->fairness));
    group_rates pr = {0}, tpr = {0};
    for (size_t a = 0; a < nu; a++) {
        mg_eval_fairness *f = &out->fairness[out->nfairness++];
        f->attribute = mg_xstrdup(attrs[a]);
        pr.n = tpr.n = 0;
        for (size_t i = 0; i < w->npredictions; i++) {
            const mg_pred_series *s = &w->predictions[i];
            if (!str_eq(s->attribute, attrs[a])) continue;
            rates_add(&pr, s->group, str_eq(s->prediction, "1") ? s->value : 0, s->value);
        }
        for (size_t i = 0; i < w->nfeedback; i++) {
            const mg_feedback_series *s = &w->feedback[i];
            if (!str_eq(s->attribute, attrs[a]) || !str_eq(s->actual, "1")) continue;
            rates_add(&tpr, s->group, str_eq(s->predicted, "1") ? s->value : 0, s->value);
        }
        double v;
        if (pr.n && mg_stats_demographic_parity_diff(pr.num, pr.den, pr.n, &v) == 0) {
            f->has_dp = true;
            f->dp_diff = v;
        }
        if (pr.n && mg_stats_disparate_impact(pr.num, pr.den, pr.n, &v) == 0 && !isnan(v)) {
            f->has_di = true;
            f->disparate_impact = v;
        }
        if (tpr.n && mg_stats_equal_opportunity_diff(tpr.num, tpr.den, tpr.n, &v) == 0) {
            f->has_eo = true;
            f->eo_diff = v;
        }
    }
    free(pr.group);
    free(pr.num);
    free(pr.den);
    free(tpr.group);
    free(tpr.num);
    free(tpr.den);
    free(attrs);
}

static void eval_features(const mg_baseline *base, const mg_model_metrics *w, mg_eval_result *out) {
    if (!base || !base->nfeatures) return;
    size_t maxbins = 1;
    for (size_t i = 0; i < base->nfeatures; i++)
        if (base->features[i].nedges + 1 > maxbins) maxbins = base->features[i].nedges + 1;
    double *counts = mg_xmalloc(maxbins * sizeof(double));
    out->features = mg_xcalloc(base->nfeatures, sizeof(*out->features));
    out->nfeatures = base->nfeatures;
    for (size_t i = 0; i < base->nfeatures; i++) {
        const mg_baseline_feature *bf = &base->features[i];
        mg_eval_feature *ef = &out->features[i];
        ef->name = bf->name;
        const mg_feature_hist *h = mg_model_metrics_feature(w, bf->name);
        if (!h) {
            ef->error = mg_xstrdup("no live histogram");
            continue;
        }
        mg_error e = {0};
        if (mg_feature_hist_bins(h, bf->edges, bf->nedges, counts, &e) != 0) {
            ef->error = mg_xstrdup(e.message);
            continue;
        }
        double total = 0;
        for (size_t k = 0; k <= bf->nedges; k++)
            total += counts[k];
        if (!(total > 0)) {
            ef->error = mg_xstrdup("no traffic in the window");
            continue;
        }
        size_t nb = bf->nedges + 1;
        if (mg_stats_psi(bf->proportions, counts, nb, &ef->psi) != 0 ||
            mg_stats_ks_binned(bf->proportions, counts, nb, &ef->ks) != 0 ||
            mg_stats_js_distance(bf->proportions, counts, nb, &ef->js) != 0) {
            ef->error = mg_xstrdup("invalid counts");
            continue;
        }
        ef->ok = true;
        if (!out->has_max_psi || ef->psi > out->max_psi) {
            out->has_max_psi = true;
            out->max_psi = ef->psi;
            out->worst_feature = bf->name;
        }
    }
    free(counts);
}

typedef struct breach_list {
    mg_eval_breach *v;
    size_t n, cap;
} breach_list;

static void check(breach_list *l, mg_eval_metric m, mg_level lv, double thr, const char *subject,
                  double value) {
    bool breach = metric_is_min(m) ? value < thr : value > thr;
    if (!breach) return;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 8;
        l->v = mg_xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n++] = (mg_eval_breach){
        .metric = m, .level = lv, .subject = mg_xstrdup(subject), .value = value, .threshold = thr};
}

static int key_cmp(mg_level la, mg_eval_metric ma, const char *sa, mg_level lb, mg_eval_metric mb,
                   const char *sb) {
    if (la != lb) return la > lb ? -1 : 1;
    if (ma != mb) return ma < mb ? -1 : 1;
    return strcmp_null(sa, sb);
}

static int breach_cmp(const void *a, const void *b) {
    const mg_eval_breach *x = a, *y = b;
    return key_cmp(x->level, x->metric, x->subject, y->level, y->metric, y->subject);
}

/* Checks one threshold against every subject that has a value; false when none has. */
static bool check_metric(const mg_eval_result *r, mg_eval_metric m, mg_level lv, double thr, breach_list *l,
                         bool judged) {
    bool any = false;
    switch (m) {
    case MG_METRIC_MIN_ACCURACY:
        if ((any = r->has_accuracy) && judged) check(l, m, lv, thr, NULL, r->accuracy);
        break;
    case MG_METRIC_MIN_F1:
        if ((any = r->has_f1) && judged) check(l, m, lv, thr, NULL, r->f1);
        break;
    case MG_METRIC_MAX_ACCURACY_DROP:
        if ((any = r->has_accuracy_drop) && judged) check(l, m, lv, thr, NULL, r->accuracy_drop);
        break;
    case MG_METRIC_MAX_PSI:
    case MG_METRIC_MAX_KS:
    case MG_METRIC_MAX_JS:
        for (size_t i = 0; i < r->nfeatures; i++) {
            const mg_eval_feature *f = &r->features[i];
            if (!f->ok) continue;
            any = true;
            double v = m == MG_METRIC_MAX_PSI ? f->psi : m == MG_METRIC_MAX_KS ? f->ks : f->js;
            if (judged) check(l, m, lv, thr, f->name, v);
        }
        break;
    default:
        for (size_t i = 0; i < r->nfairness; i++) {
            const mg_eval_fairness *f = &r->fairness[i];
            bool has = m == MG_METRIC_MAX_DP_DIFF            ? f->has_dp
                       : m == MG_METRIC_MIN_DISPARATE_IMPACT ? f->has_di
                                                             : f->has_eo;
            if (!has) continue;
            any = true;
            double v = m == MG_METRIC_MAX_DP_DIFF            ? f->dp_diff
                       : m == MG_METRIC_MIN_DISPARATE_IMPACT ? f->disparate_impact
                                                             : f->eo_diff;
            if (judged) check(l, m, lv, thr, f->attribute, v);
        }
        break;
    }
    return any;
}

void mg_eval_window(const mg_baseline *base, const mg_model_metrics *w, const mg_monitor_spec *spec,
                    mg_eval_result *out) {
    static const mg_model_metrics empty = {0};
    memset(out, 0, sizeof(*out));
    if (!w) w = &empty;
    out->samples = window_samples(w);
    out->judged = out->samples > 0 && out->samples >= (spec ? spec->min_samples : 0);

    const char *attr = first_feedback_attribute(w);
    mg_confusion c;
    if (attr && mg_model_metrics_confusion(w, attr, NULL, "1", &c) == 0) {
        double total = c.tp + c.fp + c.tn + c.fn;
        out->feedback = total;
        if (total > 0) {
            out->has_accuracy = true;
            out->accuracy = mg_stats_accuracy(&c);
            if (2 * c.tp + c.fp + c.fn > 0) {
                out->has_f1 = true;
                out->f1 = mg_stats_f1(&c);
            }
            if (base && base->has_accuracy) {
                out->has_accuracy_drop = true;
                out->accuracy_drop = base->accuracy - out->accuracy;
            }
        }
    }
    eval_features(base, w, out);
    eval_fairness(w, out);

    if (!spec) return;
    breach_list l = {0};
    for (int lv = 0; lv < MG_LEVEL_COUNT; lv++) {
        const mg_thresholds *t = mg_monitor_thresholds(spec, (mg_level)lv);
        for (int m = 0; m < MG_METRIC_COUNT; m++) {
            if (!t->set[m]) continue;
            if (!check_metric(out, (mg_eval_metric)m, (mg_level)lv, t->value[m], &l, out->judged))
                out->not_evaluated[lv][m] = true;
        }
    }
    if (l.n) qsort(l.v, l.n, sizeof(*l.v), breach_cmp);
    out->breaches = l.v;
    out->nbreaches = l.n;
}

void mg_eval_result_free(mg_eval_result *r) {
    if (!r) return;
    for (size_t i = 0; i < r->nfeatures; i++)
        free(r->features[i].error);
    free(r->features);
    for (size_t i = 0; i < r->nfairness; i++)
        free(r->fairness[i].attribute);
    free(r->fairness);
    for (size_t i = 0; i < r->nbreaches; i++)
        free(r->breaches[i].subject);
    free(r->breaches);
    memset(r, 0, sizeof(*r));
}

static void set_real(json_t *o, const char *key, double v) {
    if (isfinite(v)) json_object_set_new(o, key, json_real(mg_eval_round6(v)));
}

static json_int_t to_int(double v) {
    if (!(v > 0)) return 0;
    if (v > 9e18) return (json_int_t)9e18;
    return (json_int_t)llround(v);
}

json_t *mg_eval_result_json(const mg_eval_result *r, const char *time_rfc3339) {
    json_t *o = json_object();
    if (time_rfc3339) json_object_set_new(o, "time", json_string(time_rfc3339));
    json_object_set_new(o, "samples", json_integer(to_int(r->samples)));
    json_object_set_new(o, "judged", json_boolean(r->judged));
    if (r->has_accuracy) set_real(o, "accuracy", r->accuracy);
    if (r->has_f1) set_real(o, "f1", r->f1);
    if (r->has_accuracy_drop) set_real(o, "accuracyDrop", r->accuracy_drop);
    json_object_set_new(o, "feedback", json_integer(to_int(r->feedback)));
    if (r->has_max_psi) {
        set_real(o, "maxPSI", r->max_psi);
        json_object_set_new(o, "worstFeature", json_string(r->worst_feature));
    }
    json_t *fs = json_array();
    for (size_t i = 0; i < r->nfeatures; i++) {
        const mg_eval_feature *f = &r->features[i];
        json_t *fo = json_object();
        json_object_set_new(fo, "name", json_string(f->name));
        if (f->ok) {
            set_real(fo, "psi", f->psi);
            set_real(fo, "ks", f->ks);
            set_real(fo, "js", f->js);
        } else {
            json_object_set_new(fo, "error", json_string(f->error ? f->error : "not evaluated"));
        }
        json_array_append_new(fs, fo);
    }
    json_object_set_new(o, "features", fs);
    json_t *fair = json_object();
    for (size_t i = 0; i < r->nfairness; i++) {
        const mg_eval_fairness *f = &r->fairness[i];
        json_t *fo = json_object();
        if (f->has_dp) set_real(fo, "demographicParityDiff", f->dp_diff);
        if (f->has_di) set_real(fo, "disparateImpact", f->disparate_impact);
        if (f->has_eo) set_real(fo, "equalOpportunityDiff", f->eo_diff);
        json_object_set_new(fair, f->attribute, fo);
    }
    json_object_set_new(o, "fairness", fair);
    json_t *ne = NULL;
    for (int lv = MG_LEVEL_COUNT - 1; lv >= 0; lv--)
        for (int m = 0; m < MG_METRIC_COUNT; m++) {
            if (!r->not_evaluated[lv][m]) continue;
            if (!ne) ne = json_array();
            char buf[64];
            snprintf(buf, sizeof(buf), "%s/%s", mg_eval_level_name((mg_level)lv), metric_names[m]);
            json_array_append_new(ne, json_string(buf));
        }
    if (ne) json_object_set_new(o, "notEvaluated", ne);
    return o;
}

/* ---- Breach tracking -------------------------------------------------------------------- */

#define STREAK_CAP 1000000
#define STATUS_BREACHES_MAX 64

static void state_free(mg_breach_state *s) {
    free(s->subject);
    s->subject = NULL;
}

static void cleared_reset(mg_breach_tracker *t) {
    for (size_t i = 0; i < t->ncleared; i++)
        state_free(&t->cleared[i]);
    t->ncleared = 0;
}

void mg_breach_tracker_clear(mg_breach_tracker *t) {
    for (size_t i = 0; i < t->n; i++)
        state_free(&t->items[i]);
    t->n = 0;
    cleared_reset(t);
}

void mg_breach_tracker_free(mg_breach_tracker *t) {
    if (!t) return;
    mg_breach_tracker_clear(t);
    free(t->items);
    free(t->cleared);
    memset(t, 0, sizeof(*t));
}

static int state_cmp(const void *a, const void *b) {
    const mg_breach_state *x = a, *y = b;
    return key_cmp(x->level, x->metric, x->subject, y->level, y->metric, y->subject);
}

static mg_breach_state *find_state(mg_breach_tracker *t, mg_eval_metric m, mg_level l, const char *subject) {
    mg_breach_state key = {.metric = m, .level = l, .subject = (char *)subject};
    return t->n ? bsearch(&key, t->items, t->n, sizeof(*t->items), state_cmp) : NULL;
}

/* Breach b's state this round: the old state's history (marked taken) one streak longer, or a new
 * one; active once the streak reaches consecutive (*changed then). */
static mg_breach_state next_state(mg_breach_tracker *t, const mg_eval_breach *b, int consecutive,
                                  int64_t now_ms, bool *taken, bool *changed) {
    mg_breach_state *old = find_state(t, b->metric, b->level, b->subject);
    mg_breach_state s = {.metric = b->metric, .level = b->level};
    if (old) {
        s = *old; /* takes over old->subject */
        taken[old - t->items] = true;
        if (s.streak < STREAK_CAP) s.streak++;
    } else {
        s.subject = mg_xstrdup(b->subject);
        s.streak = 1;
    }
    s.value = b->value;
    s.threshold = b->threshold;
    if (!s.active && s.streak >= consecutive) {
        s.active = true;
        s.fresh = true;
        s.since_ms = now_ms;
        *changed = true;
    }
    return s;
}

/* Old states no breach took this round: an active one moves to the cleared list, the rest are
 * freed. True when one was active. */
static bool clear_untaken(mg_breach_tracker *t, const bool *taken) {
    bool changed = false;
    for (size_t i = 0; i < t->n; i++) {
        mg_breach_state *old = &t->items[i];
        if (taken[i]) continue;
        if (!old->active) {
            state_free(old);
            continue;
        }
        changed = true;
        if (t->ncleared == t->capcleared) {
            t->capcleared = t->capcleared ? 2 * t->capcleared : 4;
            t->cleared = mg_xrealloc(t->cleared, t->capcleared * sizeof(*t->cleared));
        }
        t->cleared[t->ncleared++] = *old;
    }
    return changed;
}

/* A warn acknowledgement ends when the same metric and subject is active at quarantine. */
static bool end_superseded_acks(mg_breach_tracker *t) {
    bool changed = false;
    for (size_t i = 0; i < t->n; i++) {
        mg_breach_state *s = &t->items[i];
        if (s->level != MG_LEVEL_WARN || !s->acknowledged) continue;
        mg_breach_state *q = find_state(t, s->metric, MG_LEVEL_QUARANTINE, s->subject);
        if (q && q->active) {
            s->acknowledged = false;
            changed = true;
        }
    }
    return changed;
}

bool mg_breach_tracker_update(mg_breach_tracker *t, const mg_eval_result *r, int consecutive,
                              int64_t now_ms) {
    cleared_reset(t);
    for (size_t i = 0; i < t->n; i++)
        t->items[i].fresh = false;
    if (!r->judged) return false;
    if (consecutive < 1) consecutive = 1;
    bool changed = false;
    /* r->breaches and t->items are sorted by the same key: build the new list from the
     * breaches, taking each one's history from the old list. */
    size_t cap = r->nbreaches ? r->nbreaches : 1;
    mg_breach_state *items = mg_xmalloc(cap * sizeof(*items));
    bool *taken = mg_xcalloc(t->n ? t->n : 1, sizeof(bool));
    for (size_t i = 0; i < r->nbreaches; i++)
        items[i] = next_state(t, &r->breaches[i], consecutive, now_ms, taken, &changed);
    if (clear_untaken(t, taken)) changed = true;
    free(taken);
    free(t->items);
    t->items = items;
    t->n = r->nbreaches;
    t->cap = cap;
    if (end_superseded_acks(t)) changed = true;
    return changed;
}

size_t mg_breach_tracker_acknowledge(mg_breach_tracker *t) {
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++) {
        mg_breach_state *s = &t->items[i];
        if (s->level == MG_LEVEL_WARN && s->active && !s->acknowledged) {
            s->acknowledged = true;
            n++;
        }
    }
    return n;
}

static void append(char *buf, size_t len, size_t *off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t len, size_t *off, const char *fmt, ...) {
    if (*off >= len) return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(buf + *off, len - *off, fmt, ap);
    va_end(ap);
    if (w < 0) return;
    if ((size_t)w >= len - *off) {
        *off = len;
        if (len >= 4) memcpy(buf + len - 4, "...", 4);
    } else {
        *off += (size_t)w;
    }
}

void mg_breach_tracker_summary(const mg_breach_tracker *t, mg_breach_summary *out) {
    memset(out, 0, sizeof(*out));
    size_t off[MG_COND_COUNT] = {0};
    for (size_t i = 0; i < t->n; i++) {
        const mg_breach_state *s = &t->items[i];
        if (!s->active) continue;
        if (s->level == MG_LEVEL_QUARANTINE)
            out->quarantine_active = true;
        else if (!s->acknowledged)
            out->warn_active = true;
        mg_eval_condition c = mg_eval_metric_condition(s->metric);
        out->condition[c] = true;
        const char *kind = mg_eval_metric_subject_kind(s->metric);
        append(out->message[c], sizeof(out->message[c]), &off[c], "%s%s %s: %s%s%s%s%.6g %s %.6g%s",
               off[c] ? "; " : "", metric_names[s->metric], mg_eval_level_name(s->level), kind ? kind : "",
               kind ? " " : "", kind && s->subject ? s->subject : "", kind ? " " : "", s->value,
               metric_is_min(s->metric) ? "<" : ">", s->threshold, s->acknowledged ? " (acknowledged)" : "");
    }
}

json_t *mg_breach_tracker_status_json(const mg_breach_tracker *t) {
    json_t *a = json_array();
    size_t n = 0;
    for (size_t i = 0; i < t->n && n < STATUS_BREACHES_MAX; i++) {
        const mg_breach_state *s = &t->items[i];
        if (!s->active) continue;
        json_t *o = json_object();
        json_object_set_new(o, "metric", json_string(metric_names[s->metric]));
        json_object_set_new(o, "level", json_string(mg_eval_level_name(s->level)));
        json_object_set_new(o, "condition",
                            json_string(mg_eval_condition_name(mg_eval_metric_condition(s->metric))));
        const char *kind = mg_eval_metric_subject_kind(s->metric);
        if (kind && s->subject) json_object_set_new(o, kind, json_string(s->subject));
        set_real(o, "value", s->value);
        set_real(o, "threshold", s->threshold);
        char ts[40];
        mg_clock_rfc3339(s->since_ms, ts, sizeof(ts));
        json_object_set_new(o, "since", json_string(ts));
        json_object_set_new(o, "acknowledged", json_boolean(s->acknowledged));
        json_array_append_new(a, o);
        n++;
    }
    return a;
}

json_t *mg_breach_tracker_to_json(const mg_breach_tracker *t) {
    json_t *a = json_array();
    for (size_t i = 0; i < t->n; i++) {
        const mg_breach_state *s = &t->items[i];
        json_t *o = json_pack("{s:s, s:s, s:i, s:b, s:b, s:f, s:f, s:I}", "metric", metric_names[s->metric],
                              "level", mg_eval_level_name(s->level), "streak", s->streak, "active", s->active,
                              "acknowledged", s->acknowledged, "value", s->value, "threshold", s->threshold,
                              "since", (json_int_t)s->since_ms);
        if (s->subject) json_object_set_new(o, "subject", json_string(s->subject));
        json_array_append_new(a, o);
    }
    return json_pack("{s:i, s:o}", "version", 1, "breaches", a);
}

int mg_breach_tracker_from_json(mg_breach_tracker *t, const json_t *j, mg_error *err) {
    mg_breach_tracker_clear(t);
    json_t *a = json_object_get(j, "breaches");
    if (!json_is_object(j) || json_integer_value(json_object_get(j, "version")) != 1 || !json_is_array(a))
        return mg_error_set(err, MG_EINVAL, "breach tracker: want {version: 1, breaches: [...]}");
    size_t n = json_array_size(a);
    if (n > t->cap) {
        t->items = mg_xrealloc(t->items, n * sizeof(*t->items));
        t->cap = n;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_array_get(a, i);
        mg_breach_state s = {0};
        json_t *sub = json_object_get(o, "subject");
        json_t *st = json_object_get(o, "streak"), *since = json_object_get(o, "since");
        json_t *act = json_object_get(o, "active"), *ack = json_object_get(o, "acknowledged");
        json_t *val = json_object_get(o, "value"), *thr = json_object_get(o, "threshold");
        if (!json_is_object(o) ||
            mg_eval_metric_parse(json_string_value(json_object_get(o, "metric")), &s.metric) ||
            level_parse(json_string_value(json_object_get(o, "level")), &s.level) || !json_is_integer(st) ||
            json_integer_value(st) < 1 || json_integer_value(st) > STREAK_CAP || !json_is_integer(since) ||
            !json_is_boolean(act) || !json_is_boolean(ack) || !json_is_number(val) || !json_is_number(thr) ||
            (sub && !json_is_string(sub))) {
            mg_breach_tracker_clear(t);
            return mg_error_set(err, MG_EINVAL, "breach tracker: breaches[%zu] is malformed", i);
        }
        s.streak = (int)json_integer_value(st);
        s.since_ms = json_integer_value(since);
        s.active = json_is_true(act);
        s.acknowledged = json_is_true(ack) && s.active && s.level == MG_LEVEL_WARN;
        s.value = json_number_value(val);
        s.threshold = json_number_value(thr);
        s.subject = sub ? mg_xstrdup(json_string_value(sub)) : NULL;
        t->items[t->n++] = s;
    }
    qsort(t->items, t->n, sizeof(*t->items), state_cmp);
    for (size_t i = 1; i < t->n; i++)
        if (state_cmp(&t->items[i - 1], &t->items[i]) == 0) {
            mg_breach_tracker_clear(t);
            return mg_error_set(err, MG_EINVAL, "breach tracker: duplicate breach");
        }
    return 0;
}
