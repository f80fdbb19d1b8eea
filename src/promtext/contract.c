/* promtext — collection of the modelgov metric contract and counter arithmetic. See
 * promtext.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "promtext/promtext.h"

static void note_problem(mg_model_metrics *m, size_t line, const char *what, const char *name) {
    m->malformed++;
    if (m->problem[0]) return;
    snprintf(m->problem, sizeof(m->problem), "line %zu: %s: %s", line, name, what);
}

static bool str_eq(const char *a, const char *b) { return a && b && !strcmp(a, b); }

static mg_feature_hist *feature_get(mg_model_metrics *m, const char *feature, bool create) {
    for (size_t i = 0; i < m->nfeatures; i++)
        if (!strcmp(m->features[i].feature, feature)) return &m->features[i];
    if (!create) return NULL;
    m->features = mg_xrealloc(m->features, (m->nfeatures + 1) * sizeof(*m->features));
    mg_feature_hist *h = &m->features[m->nfeatures++];
    memset(h, 0, sizeof(*h));
    h->feature = mg_xstrdup(feature);
    return h;
}

/* Inserts (or adds to) the bucket le, keeping buckets sorted by le. */
static void bucket_add(mg_feature_hist *h, double le, double v) {
    size_t i = 0;
    while (i < h->nbuckets && h->le[i] < le)
        i++;
    if (i < h->nbuckets && h->le[i] == le) {
        h->cum[i] += v;
        return;
    }
    h->le = mg_xrealloc(h->le, (h->nbuckets + 1) * sizeof(double));
    h->cum = mg_xrealloc(h->cum, (h->nbuckets + 1) * sizeof(double));
    memmove(h->le + i + 1, h->le + i, (h->nbuckets - i) * sizeof(double));
    memmove(h->cum + i + 1, h->cum + i, (h->nbuckets - i) * sizeof(double));
    h->le[i] = le;
    h->cum[i] = v;
    h->nbuckets++;
}

static void pred_add(mg_model_metrics *m, const char *a, const char *g, const char *p, double v) {
    for (size_t i = 0; i < m->npredictions; i++) {
        mg_pred_series *s = &m->predictions[i];
        if (!strcmp(s->attribute, a) && !strcmp(s->group, g) && !strcmp(s->prediction, p)) {
            s->value += v;
            return;
        }
    }
    m->predictions = mg_xrealloc(m->predictions, (m->npredictions + 1) * sizeof(*m->predictions));
    m->predictions[m->npredictions++] = (mg_pred_series){mg_xstrdup(a), mg_xstrdup(g), mg_xstrdup(p), v};
}

static void feedback_add(mg_model_metrics *m, const char *a, const char *g, const char *ac, const char *pr,
                         double v) {
    for (size_t i = 0; i < m->nfeedback; i++) {
        mg_feedback_series *s = &m->feedback[i];
        if (!strcmp(s->attribute, a) && !strcmp(s->group, g) && !strcmp(s->actual, ac) &&
            !strcmp(s->predicted, pr)) {
            s->value += v;
            return;
        }
    }
    m->feedback = mg_xrealloc(m->feedback, (m->nfeedback + 1) * sizeof(*m->feedback));
    m->feedback[m->nfeedback++] =
        (mg_feedback_series){mg_xstrdup(a), mg_xstrdup(g), mg_xstrdup(ac), mg_xstrdup(pr), v};
}

/* Prometheus `le` values: a float, "+Inf". */
static bool parse_le(const char *s, double *out) {
    if (!s || !*s) return false;
    if (!strcmp(s, "+Inf") || !strcmp(s, "Inf") || !strcmp(s, "inf") || !strcmp(s, "+inf")) {
        *out = INFINITY;
        return true;
    }
    char *end;
    double v = strtod(s, &end);
    if (*end || isnan(v)) return false;
    *out = v;
    return true;
}

int mg_model_metrics_on_sample(const mg_prom_sample *s, void *ud) {
    mg_model_metrics *m = ud;
    const char *n = s->name;
    if (strncmp(n, "modelgov_", 9) != 0) return 0;
    n += 9;
    bool bucket = !strcmp(n, "feature_bucket"), sum = !strcmp(n, "feature_sum"),
         count = !strcmp(n, "feature_count");
    bool pred = !strcmp(n, "predictions_total"), fb = !strcmp(n, "feedback_total");
    if (!bucket && !sum && !count && !pred && !fb) return 0;
    double v = s->value;
    /* _sum may be negative (negative observations); counts may not */
    if (isnan(v) || isinf(v) || (!sum && v < 0)) {
        note_problem(m, s->line, "value is not a finite count", s->name);
        return 0;
    }
    if (bucket || sum || count) {
        const char *feature = mg_prom_label_get(s, "feature");
        if (!feature) {
            note_problem(m, s->line, "no feature label", s->name);
            return 0;
        }
        double le = 0;
        if (bucket && !parse_le(mg_prom_label_get(s, "le"), &le)) {
            note_problem(m, s->line, "missing or invalid le label", s->name);
            return 0;
        }
        mg_feature_hist *h = feature_get(m, feature, true);
        if (bucket) {
            bucket_add(h, le, v);
        } else if (sum) {
            h->sum += v;
            h->has_sum = true;
        } else {
            h->count += v;
            h->has_count = true;
        }
        return 0;
    }
    const char *a = mg_prom_label_get(s, "attribute"), *g = mg_prom_label_get(s, "group");
    if (pred) {
        const char *p = mg_prom_label_get(s, "prediction");
        if (!a || !g || !p) {
            note_problem(m, s->line, "needs attribute, group and prediction labels", s->name);
            return 0;
        }
        pred_add(m, a, g, p, v);
        return 0;
    }
    const char *ac = mg_prom_label_get(s, "actual"), *pr = mg_prom_label_get(s, "predicted");
    if (!a || !g || !ac || !pr) {
        note_problem(m, s->line, "needs attribute, group, actual and predicted labels", s->name);
        return 0;
    }
    feedback_add(m, a, g, ac, pr, v);
    return 0;
}

int mg_model_metrics_parse(const char *text, size_t len, const mg_prom_limits *limits, mg_model_metrics *out,
                           mg_error *err) {
    mg_model_metrics_free(out);
    int rc = mg_prom_parse(text, len, limits, mg_model_metrics_on_sample, NULL, out, err);
    if (rc) mg_model_metrics_free(out);
    return rc;
}

static void hist_free(mg_feature_hist *h) {
    free(h->feature);
    free(h->le);
    free(h->cum);
    memset(h, 0, sizeof(*h));
}

void mg_model_metrics_free(mg_model_metrics *m) {
    if (!m) return;
    for (size_t i = 0; i < m->nfeatures; i++)
        hist_free(&m->features[i]);
    for (size_t i = 0; i < m->npredictions; i++) {
        free(m->predictions[i].attribute);
        free(m->predictions[i].group);
        free(m->predictions[i].prediction);
    }
    for (size_t i = 0; i < m->nfeedback; i++) {
        free(m->feedback[i].attribute);
        free(m->feedback[i].group);
        free(m->feedback[i].actual);
        free(m->feedback[i].predicted);
    }
    free(m->features);
    free(m->predictions);
    free(m->feedback);
    memset(m, 0, sizeof(*m));
}

static void hist_copy(mg_feature_hist *dst, const mg_feature_hist *src) {
    *dst = *src;
    dst->feature = mg_xstrdup(src->feature);
    size_t n = src->nbuckets ? src->nbuckets : 1;
    dst->le = mg_xmalloc(n * sizeof(double));
    dst->cum = mg_xmalloc(n * sizeof(double));
    if (src->nbuckets) {
        memcpy(dst->le, src->le, src->nbuckets * sizeof(double));
        memcpy(dst->cum, src->cum, src->nbuckets * sizeof(double));
    }
}

static void append_hist(mg_model_metrics *m, const mg_feature_hist *h) {
    m->features = mg_xrealloc(m->features, (m->nfeatures + 1) * sizeof(*m->features));
    hist_copy(&m->features[m->nfeatures++], h);
}

void mg_model_metrics_copy(mg_model_metrics *dst, const mg_model_metrics *src) {
    if (dst == src) return;
    mg_model_metrics_free(dst);
    for (size_t i = 0; i < src->nfeatures; i++)
        append_hist(dst, &src->features[i]);
    for (size_t i = 0; i < src->npredictions; i++) {
        const mg_pred_series *s = &src->predictions[i];
        pred_add(dst, s->attribute, s->group, s->prediction, s->value);
    }
    for (size_t i = 0; i < src->nfeedback; i++) {
        const mg_feedback_series *s = &src->feedback[i];
        feedback_add(dst, s->attribute, s->group, s->actual, s->predicted, s->value);
    }
    dst->malformed = src->malformed;
    memcpy(dst->problem, src->problem, sizeof(dst->problem));
}

double mg_prom_increase(double prev, double cur) {
    if (isnan(cur) || cur < 0) return 0;
    if (isnan(prev) || prev < 0) prev = 0;
    return cur >= prev ? cur - prev : cur;
}

const mg_feature_hist *mg_model_metrics_feature(const mg_model_metrics *m, const char *feature) {
    return feature_get((mg_model_metrics *)m, feature, false);
}

/* True when cur is not a continuation of prev: a bucket or the count went down, or the le
 * set changed. */
static bool hist_reset(const mg_feature_hist *prev, const mg_feature_hist *cur) {
    if (prev->nbuckets != cur->nbuckets) return true;
    for (size_t i = 0; i < cur->nbuckets; i++)
        if (prev->le[i] != cur->le[i] || cur->cum[i] < prev->cum[i]) return true;
    if (prev->has_count && cur->has_count && cur->count < prev->count) return true;
    return false;
}

void mg_model_metrics_delta(const mg_model_metrics *prev, const mg_model_metrics *cur,
                            mg_model_metrics *out) {
    mg_model_metrics_free(out);
    for (size_t i = 0; i < cur->nfeatures; i++) {
        const mg_feature_hist *c = &cur->features[i];
        const mg_feature_hist *p = prev ? mg_model_metrics_feature(prev, c->feature) : NULL;
        append_hist(out, c);
        if (!p || hist_reset(p, c)) continue;
        mg_feature_hist *o = &out->features[out->nfeatures - 1];
        for (size_t b = 0; b < o->nbuckets; b++)
            o->cum[b] = c->cum[b] - p->cum[b];
        if (p->has_sum) o->sum = c->sum - p->sum;
        if (p->has_count && c->has_count) o->count = c->count - p->count;
    }
    for (size_t i = 0; i < cur->npredictions; i++) {
        const mg_pred_series *c = &cur->predictions[i];
        double prevv = NAN;
        for (size_t k = 0; prev && k < prev->npredictions; k++) {
            const mg_pred_series *p = &prev->predictions[k];
            if (str_eq(p->attribute, c->attribute) && str_eq(p->group, c->group) &&
                str_eq(p->prediction, c->prediction))
                prevv = p->value;
        }
        pred_add(out, c->attribute, c->group, c->prediction, mg_prom_increase(prevv, c->value));
    }
    for (size_t i = 0; i < cur->nfeedback; i++) {
        const mg_feedback_series *c = &cur->feedback[i];
        double prevv = NAN;
        for (size_t k = 0; prev && k < prev->nfeedback; k++) {
            const mg_feedback_series *p = &prev->feedback[k];
            if (str_eq(p->attribute, c->attribute) && str_eq(p->group, c->group) &&
                str_eq(p->actual, c->actual) && str_eq(p->predicted, c->predicted))
                prevv = p->value;
        }
        feedback_add(out, c->attribute, c->group, c->actual, c->predicted, mg_prom_increase(prevv, c->value));
    }
}

int mg_model_metrics_add(mg_model_metrics *acc, const mg_model_metrics *x) {
    int rc = 0;
    for (size_t i = 0; i < x->nfeatures; i++) {
        const mg_feature_hist *h = &x->features[i];
        mg_feature_hist *a = feature_get(acc, h->feature, false);
        if (!a) {
            append_hist(acc, h);
            continue;
        }
        bool same = a->nbuckets == h->nbuckets;
        for (size_t b = 0; same && b < h->nbuckets; b++)
            same = a->le[b] == h->le[b];
        if (!same) {
            acc->malformed++;
            if (!acc->problem[0])
                snprintf(acc->problem, sizeof(acc->problem), "feature %s: le buckets differ between pods",
                         h->feature);
            rc = MG_EINVAL;
            continue;
        }
        for (size_t b = 0; b < h->nbuckets; b++)
            a->cum[b] += h->cum[b];
        a->sum += h->sum;
        a->count += h->count;
        a->has_sum |= h->has_sum;
        a->has_count |= h->has_count;
    }
    for (size_t i = 0; i < x->npredictions; i++) {
        const mg_pred_series *s = &x->predictions[i];
        pred_add(acc, s->attribute, s->group, s->prediction, s->value);
    }
    for (size_t i = 0; i < x->nfeedback; i++) {
        const mg_feedback_series *s = &x->feedback[i];
        feedback_add(acc, s->attribute, s->group, s->actual, s->predicted, s->value);
    }
    return rc;
}

int mg_feature_hist_bins(const mg_feature_hist *h, const double *edges, size_t k, double *counts,
                         mg_error *err) {
    if (!h || (k && !edges) || !counts) return mg_error_set(err, MG_EINVAL, "no histogram");
    double prev = 0;
    size_t b = 0;
    for (size_t i = 0; i < k; i++) {
        while (b < h->nbuckets && h->le[b] < edges[i])
            b++;
        if (b >= h->nbuckets || h->le[b] != edges[i])
            return mg_error_set(err, MG_EINVAL, "feature %s: no bucket le=%g for baseline edge %zu",
                                h->feature, edges[i], i);
        double c = h->cum[b];
        counts[i] = c > prev ? c - prev : 0;
        if (c > prev) prev = c;
    }
    double total;
    if (h->nbuckets && isinf(h->le[h->nbuckets - 1]) && h->le[h->nbuckets - 1] > 0)
        total = h->cum[h->nbuckets - 1];
    else if (h->has_count)
        total = h->count;
    else
        return mg_error_set(err, MG_EINVAL, "feature %s: neither a +Inf bucket nor _count", h->feature);
    counts[k] = total > prev ? total - prev : 0;
    return 0;
}

int mg_model_metrics_confusion(const mg_model_metrics *m, const char *attribute, const char *group,
                               const char *positive, mg_confusion *out) {
    if (!attribute && m->nfeedback) attribute = m->feedback[0].attribute;
    mg_confusion c = {0, 0, 0, 0};
    size_t matched = 0;
    for (size_t i = 0; i < m->nfeedback; i++) {
        const mg_feedback_series *s = &m->feedback[i];
        if (!str_eq(s->attribute, attribute) || (group && !str_eq(s->group, group))) continue;
        matched++;
        bool ap = str_eq(s->actual, positive), pp = str_eq(s->predicted, positive);
        if (ap && pp)
            c.tp += s->value;
        else if (!ap && pp)
            c.fp += s->value;
        else if (ap && !pp)
            c.fn += s->value;
        else
            c.tn += s->value;
    }
    if (!matched) return MG_ENOTFOUND;
    *out = c;
    return 0;
}

void mg_group_rates_free(mg_group_rates *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n; i++)
        free(r->groups[i]);
    free(r->groups);
    free(r->sel_num);
    free(r->sel_den);
    free(r->tp);
    free(r->pos);
    memset(r, 0, sizeof(*r));
}

/* Index of group g in r (sorted insert when missing). */
static size_t rates_slot(mg_group_rates *r, const char *g) {
    size_t i = 0;
    while (i < r->n && strcmp(r->groups[i], g) < 0)
        i++;
    if (i < r->n && !strcmp(r->groups[i], g)) return i;
    size_t n = r->n + 1, tail = r->n - i;
    r->groups = mg_xrealloc(r->groups, n * sizeof(char *));
    double **cols[4] = {&r->sel_num, &r->sel_den, &r->tp, &r->pos};
    memmove(r->groups + i + 1, r->groups + i, tail * sizeof(char *));
    r->groups[i] = mg_xstrdup(g);
    for (int c = 0; c < 4; c++) {
        *cols[c] = mg_xrealloc(*cols[c], n * sizeof(double));
        memmove(*cols[c] + i + 1, *cols[c] + i, tail * sizeof(double));
        (*cols[c])[i] = 0;
    }
    r->n = n;
    return i;
}

int mg_model_metrics_group_rates(const mg_model_metrics *m, const char *attribute, const char *positive,
                                 mg_group_rates *out) {
    mg_group_rates_free(out);
    for (size_t i = 0; i < m->npredictions; i++) {
        const mg_pred_series *s = &m->predictions[i];
        if (!str_eq(s->attribute, attribute)) continue;
        size_t k = rates_slot(out, s->group);
        out->sel_den[k] += s->value;
        if (str_eq(s->prediction, positive)) out->sel_num[k] += s->value;
    }
    for (size_t i = 0; i < m->nfeedback; i++) {
        const mg_feedback_series *s = &m->feedback[i];
        if (!str_eq(s->attribute, attribute)) continue;
        size_t k = rates_slot(out, s->group);
        if (str_eq(s->actual, positive)) {
            out->pos[k] += s->value;
            if (str_eq(s->predicted, positive)) out->tp[k] += s->value;
        }
    }
    return out->n ? 0 : MG_ENOTFOUND;
}

size_t mg_model_metrics_attributes(const mg_model_metrics *m, const char **out, size_t max) {
    size_t n = 0;
    for (size_t pass = 0; pass < 2; pass++) {
        size_t count = pass ? m->nfeedback : m->npredictions;
        for (size_t i = 0; i < count; i++) {
            const char *a = pass ? m->feedback[i].attribute : m->predictions[i].attribute;
            bool seen = false;
            /* compare against the ones already counted: those stored, and, past max, a rescan */
            for (size_t p = 0; p < 2 && !seen; p++) {
                size_t c2 = p ? m->nfeedback : m->npredictions;
                for (size_t j = 0; j < c2 && !seen; j++) {
                    if (p > pass || (p == pass && j >= i)) break;
                    const char *b = p ? m->feedback[j].attribute : m->predictions[j].attribute;
                    seen = !strcmp(a, b);
                }
            }
            if (seen) continue;
            if (n < max) out[n] = a;
            n++;
        }
    }
    return n;
}
