/* operator/window — see window.h.
 *
 * Layout: every series the model exported so far has a dense index. Histogram buckets of one
 * feature are consecutive (laid out together when the feature is first seen), its _count gets
 * an index when first seen. Label strings live once in `blob` (NUL-separated); `keys` are the
 * lookup entries (a feature, or a predictions / feedback series) found through an
 * open-addressing table of key numbers. Vectors (a pod's last reading, an evaluation's
 * increase) are indexed by series and may be shorter than the layout: series laid out later
 * are absent from them. */
#include "operator/window.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

#define NONE UINT32_MAX
#define TABLE_MIN 16

enum { K_HIST, K_PRED, K_FEEDBACK }; /* kinds of lookup keys, with 1, 3 and 4 label strings */
static const int KEY_STRINGS[] = {1, 3, 4};

typedef struct key {
    uint32_t blob;  /* offset of the label strings */
    uint32_t value; /* K_HIST: index in hists; else the series index */
    uint8_t kind;
} key;

typedef struct hist_layout {
    uint32_t name;  /* blob offset */
    uint32_t first; /* series index of the first bucket */
    uint32_t count; /* series index of _count, or NONE */
    uint32_t nbuckets;
    double *le;
} hist_layout;

typedef struct series {
    uint32_t labels; /* K_PRED / K_FEEDBACK: blob offset; buckets and counts: NONE */
    uint32_t hist;   /* buckets and counts: their histogram; else NONE */
    uint8_t kind;    /* K_HIST for buckets and counts */
} series;

typedef struct pod_reading {
    char *name;
    double *last; /* n values, NaN where the series was absent */
    uint32_t n;
    int64_t seen_ms;
} pod_reading;

typedef struct tick {
    int64_t time_ms;
    uint32_t n;
    float *inc;       /* n increases */
    uint8_t *present; /* n bits */
} tick;

struct mg_window {
    char *blob;
    size_t blob_len, blob_cap;
    key *keys;
    size_t nkeys;
    uint32_t *table; /* key number + 1, 0 = empty; size a power of two >= 2 * nkeys */
    size_t table_cap;
    hist_layout *hists;
    size_t nhists;
    series *series;
    size_t nseries;
    pod_reading *pods;
    size_t npods;
    tick *ticks;
    size_t nticks;
    double *pending; /* the open evaluation's increases (nseries_pending of them) */
    uint8_t *pending_present;
    size_t npending;
    size_t problems;
};

mg_window *mg_window_new(void) { return mg_xcalloc(1, sizeof(mg_window)); }

void mg_window_free(mg_window *w) {
    if (!w) return;
    for (size_t i = 0; i < w->nhists; i++)
        free(w->hists[i].le);
    for (size_t i = 0; i < w->npods; i++) {
        free(w->pods[i].name);
        free(w->pods[i].last);
    }
    for (size_t i = 0; i < w->nticks; i++)
        free(w->ticks[i].inc); /* present lives in the same allocation */
    free(w->blob);
    free(w->keys);
    free(w->table);
    free(w->hists);
    free(w->series);
    free(w->pods);
    free(w->ticks);
    free(w->pending);
    free(w->pending_present);
    free(w);
}

size_t mg_window_problems(const mg_window *w) { return w->problems; }

size_t mg_window_bytes(const mg_window *w) {
    size_t b = sizeof(*w) + w->blob_cap + w->nkeys * sizeof(key) + w->table_cap * sizeof(uint32_t) +
               w->nhists * sizeof(hist_layout) + w->nseries * sizeof(series) +
               w->npods * sizeof(pod_reading) + w->npending * (sizeof(double) + 1);
    for (size_t i = 0; i < w->nhists; i++)
        b += w->hists[i].nbuckets * sizeof(double);
    for (size_t i = 0; i < w->npods; i++)
        b += w->pods[i].n * sizeof(double) + strlen(w->pods[i].name) + 1;
    for (size_t i = 0; i < w->nticks; i++)
        b += sizeof(tick) + w->ticks[i].n * sizeof(float) + (w->ticks[i].n + 7) / 8;
    return b;
}

/* ---- layout ---------------------------------------------------------------------------------- */

static uint64_t hash_labels(int kind, const char *const *labels) {
    uint64_t h = 1469598103934665603ull ^ (uint64_t)kind;
    for (int i = 0; i < KEY_STRINGS[kind]; i++) {
        for (const char *p = labels[i]; *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ull;
        h = (h ^ 0xff) * 1099511628211ull; /* separator: ("ab","c") differs from ("a","bc") */
    }
    return h;
}

static bool key_equals(const mg_window *w, const key *k, int kind, const char *const *labels) {
    if (k->kind != kind) return false;
    const char *p = w->blob + k->blob;
    for (int i = 0; i < KEY_STRINGS[kind]; i++) {
        if (strcmp(p, labels[i])) return false;
        p += strlen(p) + 1;
    }
    return true;
}

static uint32_t blob_add(mg_window *w, int kind, const char *const *labels) {
    uint32_t at = (uint32_t)w->blob_len;
    for (int i = 0; i < KEY_STRINGS[kind]; i++) {
        size_t n = strlen(labels[i]) + 1;
        if (w->blob_len + n > w->blob_cap) {
            w->blob_cap = (w->blob_len + n) * 2;
            w->blob = mg_xrealloc(w->blob, w->blob_cap);
        }
        memcpy(w->blob + w->blob_len, labels[i], n);
        w->blob_len += n;
    }
    return at;
}

static void table_insert(mg_window *w, uint32_t keyno, uint64_t h) {
    size_t mask = w->table_cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask)
        if (!w->table[i]) {
            w->table[i] = keyno + 1;
            return;
        }
}

static void table_grow(mg_window *w) {
    free(w->table);
    w->table_cap = w->table_cap ? w->table_cap * 2 : TABLE_MIN;
    w->table = mg_xcalloc(w->table_cap, sizeof(uint32_t));
    for (size_t k = 0; k < w->nkeys; k++) {
        const char *labels[4];
        const char *p = w->blob + w->keys[k].blob;
        for (int i = 0; i < KEY_STRINGS[w->keys[k].kind]; i++, p += strlen(p) + 1)
            labels[i] = p;
        table_insert(w, (uint32_t)k, hash_labels(w->keys[k].kind, labels));
    }
}

/* The key for (kind, labels), or NULL. */
static key *key_find(mg_window *w, int kind, const char *const *labels) {
    if (!w->table_cap) return NULL;
    size_t mask = w->table_cap - 1;
    for (size_t i = (size_t)hash_labels(kind, labels) & mask; w->table[i]; i = (i + 1) & mask)
        if (key_equals(w, &w->keys[w->table[i] - 1], kind, labels)) return &w->keys[w->table[i] - 1];
    return NULL;
}

static key *key_add(mg_window *w, int kind, const char *const *labels, uint32_t value) {
    if ((w->nkeys + 1) * 2 > w->table_cap) table_grow(w);
    w->keys = mg_xrealloc(w->keys, (w->nkeys + 1) * sizeof(key));
    key *k = &w->keys[w->nkeys];
    *k = (key){.blob = blob_add(w, kind, labels), .value = value, .kind = (uint8_t)kind};
    table_insert(w, (uint32_t)w->nkeys, hash_labels(kind, labels));
    w->nkeys++;
    return k;
}

static uint32_t series_add(mg_window *w, uint8_t kind, uint32_t labels, uint32_t hist) {
    w->series = mg_xrealloc(w->series, (w->nseries + 1) * sizeof(series));
    w->series[w->nseries] = (series){.labels = labels, .hist = hist, .kind = kind};
    return (uint32_t)w->nseries++;
}

/* The histogram of h's feature, laid out on first sight; NONE when its le set differs from
 * the one laid out. */
static uint32_t hist_for(mg_window *w, const mg_feature_hist *h) {
    const char *labels[1] = {h->feature};
    key *k = key_find(w, K_HIST, labels);
    if (k) {
        hist_layout *x = &w->hists[k->value];
        bool same = x->nbuckets == h->nbuckets && !memcmp(x->le, h->le, h->nbuckets * sizeof(double));
        if (!same) w->problems++;
        if (same && h->has_count && x->count == NONE) x->count = series_add(w, K_HIST, NONE, k->value);
        return same ? k->value : NONE;
    }
    uint32_t hi = (uint32_t)w->nhists;
    k = key_add(w, K_HIST, labels, hi);
    w->hists = mg_xrealloc(w->hists, (w->nhists + 1) * sizeof(hist_layout));
    hist_layout *x = &w->hists[w->nhists++];
    *x = (hist_layout){
        .name = k->blob, .first = (uint32_t)w->nseries, .count = NONE, .nbuckets = (uint32_t)h->nbuckets};
    x->le = mg_xmalloc((h->nbuckets ? h->nbuckets : 1) * sizeof(double));
    if (h->nbuckets) memcpy(x->le, h->le, h->nbuckets * sizeof(double));
    for (size_t b = 0; b < h->nbuckets; b++)
        series_add(w, K_HIST, NONE, hi);
    if (h->has_count) w->hists[hi].count = series_add(w, K_HIST, NONE, hi);
    return hi;
}

static uint32_t series_for(mg_window *w, int kind, const char *const *labels) {
    key *k = key_find(w, kind, labels);
    if (k) return k->value;
    k = key_add(w, kind, labels, NONE);
    k->value = series_add(w, (uint8_t)kind, k->blob, NONE);
    return k->value;
}

/* ---- readings -------------------------------------------------------------------------------- */

/* The reading as a dense vector over the layout (extended as needed); NaN where absent. */
static double *dense_reading(mg_window *w, const mg_model_metrics *r) {
    uint32_t *fh = mg_xmalloc((r->nfeatures ? r->nfeatures : 1) * sizeof(uint32_t));
    uint32_t *ps = mg_xmalloc((r->npredictions ? r->npredictions : 1) * sizeof(uint32_t));
    uint32_t *fs = mg_xmalloc((r->nfeedback ? r->nfeedback : 1) * sizeof(uint32_t));
    for (size_t i = 0; i < r->nfeatures; i++)
        fh[i] = hist_for(w, &r->features[i]);
    for (size_t i = 0; i < r->npredictions; i++) {
        const mg_pred_series *s = &r->predictions[i];
        ps[i] = series_for(w, K_PRED, (const char *[]){s->attribute, s->group, s->prediction});
    }
    for (size_t i = 0; i < r->nfeedback; i++) {
        const mg_feedback_series *s = &r->feedback[i];
        fs[i] = series_for(w, K_FEEDBACK, (const char *[]){s->attribute, s->group, s->actual, s->predicted});
    }
    double *v = mg_xmalloc((w->nseries ? w->nseries : 1) * sizeof(double));
    for (size_t i = 0; i < w->nseries; i++)
        v[i] = NAN;
    for (size_t i = 0; i < r->nfeatures; i++) {
        if (fh[i] == NONE) continue;
        const hist_layout *x = &w->hists[fh[i]];
        memcpy(v + x->first, r->features[i].cum, x->nbuckets * sizeof(double));
        if (r->features[i].has_count) v[x->count] = r->features[i].count;
    }
    for (size_t i = 0; i < r->npredictions; i++)
        v[ps[i]] = r->predictions[i].value;
    for (size_t i = 0; i < r->nfeedback; i++)
        v[fs[i]] = r->feedback[i].value;
    free(fh);
    free(ps);
    free(fs);
    return v;
}

static double at(const double *v, uint32_t n, uint32_t i) { return i < n ? v[i] : NAN; }

static void pending_add(mg_window *w, uint32_t i, double inc) {
    if (i >= w->npending) {
        w->pending = mg_xrealloc(w->pending, w->nseries * sizeof(double));
        w->pending_present = mg_xrealloc(w->pending_present, w->nseries);
        memset(w->pending + w->npending, 0, (w->nseries - w->npending) * sizeof(double));
        memset(w->pending_present + w->npending, 0, w->nseries - w->npending);
        w->npending = w->nseries;
    }
    w->pending[i] += inc;
    w->pending_present[i] = 1;
}

/* One feature histogram: the increase since prev, or the whole of cur when there was no
 * previous reading of it or it went backwards (reset as one). */
/* Whether v (n values) holds the histogram: its first bucket, or its _count when it has none. */
static bool hist_in(const hist_layout *x, const double *v, uint32_t n) {
    uint32_t i = x->nbuckets ? x->first : x->count;
    return i != NONE && !isnan(at(v, n, i));
}

static void hist_increase(mg_window *w, const hist_layout *x, const double *prev, uint32_t pn,
                          const double *cur) {
    if (!hist_in(x, cur, (uint32_t)w->nseries)) return;
    bool reset = !hist_in(x, prev, pn);
    for (uint32_t b = 0; b < x->nbuckets && !reset; b++)
        reset = cur[x->first + b] < at(prev, pn, x->first + b);
    bool has_count = x->count != NONE && !isnan(cur[x->count]);
    double prev_count = x->count != NONE ? at(prev, pn, x->count) : NAN;
    if (has_count && !isnan(prev_count) && cur[x->count] < prev_count) reset = true;
    for (uint32_t b = 0; b < x->nbuckets; b++)
        pending_add(w, x->first + b, cur[x->first + b] - (reset ? 0 : prev[x->first + b]));
    if (has_count) pending_add(w, x->count, cur[x->count] - (reset || isnan(prev_count) ? 0 : prev_count));
}

/* Adds cur (a dense reading, taken) as pod's latest. */
static void observe_dense(mg_window *w, const char *name, double *cur, int64_t now_ms) {
    pod_reading *p = NULL;
    for (size_t i = 0; i < w->npods && !p; i++)
        if (!strcmp(w->pods[i].name, name)) p = &w->pods[i];
    if (!p) { /* first reading: only the baseline */
        w->pods = mg_xrealloc(w->pods, (w->npods + 1) * sizeof(pod_reading));
        p = &w->pods[w->npods++];
        *p = (pod_reading){.name = mg_xstrdup(name)};
    } else {
        for (size_t h = 0; h < w->nhists; h++)
            hist_increase(w, &w->hists[h], p->last, p->n, cur);
        for (uint32_t i = 0; i < w->nseries; i++)
            if (w->series[i].kind != K_HIST && !isnan(cur[i]))
                pending_add(w, i, mg_prom_increase(at(p->last, p->n, i), cur[i]));
    }
    free(p->last);
    p->last = cur;
    p->n = (uint32_t)w->nseries;
    p->seen_ms = now_ms;
}

void mg_window_observe(mg_window *w, const char *name, const mg_model_metrics *reading, int64_t now_ms) {
    observe_dense(w, name, dense_reading(w, reading), now_ms);
}

/* ---- readings straight from the exposition text ------------------------------------------------
 * The series already laid out are written into the dense vector as the parser delivers them; a
 * feature seen for the first time is collected the ordinary way (into an mg_model_metrics) and
 * laid out once the text is read. */

typedef struct text_reading {
    mg_window *w;
    double *cur; /* ncur values, NaN where not seen */
    size_t ncur;
    uint32_t *matched; /* per histogram: buckets seen in this reading */
    bool *seen;        /* per histogram: any bucket or _count seen */
    bool *mismatch;    /* per histogram: a bucket the layout does not have */
    size_t nh;
    mg_model_metrics fresh; /* features not laid out yet */
} text_reading;

static void grow_cur(text_reading *t) {
    if (t->ncur >= t->w->nseries) return;
    t->cur = mg_xrealloc(t->cur, t->w->nseries * sizeof(double));
    for (size_t i = t->ncur; i < t->w->nseries; i++)
        t->cur[i] = NAN;
    t->ncur = t->w->nseries;
}

static void add_at(text_reading *t, uint32_t i, double v) {
    grow_cur(t);
    t->cur[i] = isnan(t->cur[i]) ? v : t->cur[i] + v;
}

/* A bucket or _count of a laid-out histogram; false when the feature is not laid out. */
static bool hist_sample(text_reading *t, const char *feature, bool bucket, const char *le_text, double v) {
    key *k = key_find(t->w, K_HIST, (const char *[]){feature});
    if (!k) return false;
    hist_layout *x = &t->w->hists[k->value];
    t->seen[k->value] = true;
    if (!bucket) {
        if (x->count == NONE) x->count = series_add(t->w, K_HIST, NONE, k->value);
        add_at(t, x->count, v);
        return true;
    }
    double le = strcmp(le_text, "+Inf") ? strtod(le_text, NULL) : INFINITY;
    uint32_t b = 0;
    while (b < x->nbuckets && x->le[b] != le)
        b++;
    if (b == x->nbuckets) {
        t->mismatch[k->value] = true;
        return true;
    }
    grow_cur(t);
    if (isnan(t->cur[x->first + b])) t->matched[k->value]++;
    add_at(t, x->first + b, v);
    return true;
}

static int text_sample(const mg_prom_sample *s, void *ud) {
    text_reading *t = ud;
    if (strncmp(s->name, "modelgov_", 9)) return 0;
    const char *n = s->name + 9;
    bool bucket = !strcmp(n, "feature_bucket"), count = !strcmp(n, "feature_count");
    bool pred = !strcmp(n, "predictions_total"), fb = !strcmp(n, "feedback_total");
    if (!bucket && !count && !pred && !fb) return 0; /* _sum is not judged */
    if (!isfinite(s->value) || s->value < 0)
        return mg_model_metrics_on_sample(s, &t->fresh); /* counted there */
    const char *a = mg_prom_label_get(s, "attribute"), *g = mg_prom_label_get(s, "group");
    if (pred || fb) {
        const char *p1 = mg_prom_label_get(s, pred ? "prediction" : "actual");
        const char *p2 = fb ? mg_prom_label_get(s, "predicted") : "";
        if (!a || !g || !p1 || !p2) return mg_model_metrics_on_sample(s, &t->fresh);
        uint32_t i = pred ? series_for(t->w, K_PRED, (const char *[]){a, g, p1})
                          : series_for(t->w, K_FEEDBACK, (const char *[]){a, g, p1, p2});
        add_at(t, i, s->value);
        return 0;
    }
    const char *feature = mg_prom_label_get(s, "feature"), *le = mg_prom_label_get(s, "le");
    if (!feature || (bucket && !le) || !hist_sample(t, feature, bucket, bucket ? le : NULL, s->value))
        mg_model_metrics_on_sample(s, &t->fresh);
    return 0;
}

int mg_window_observe_text(mg_window *w, const char *pod, const char *text, size_t len, int64_t now_ms,
                           mg_error *err) {
    text_reading t = {.w = w, .nh = w->nhists};
    t.matched = mg_xcalloc(t.nh + 1, sizeof(uint32_t));
    t.mismatch = mg_xcalloc(t.nh + 1, sizeof(bool));
    t.seen = mg_xcalloc(t.nh + 1, sizeof(bool));
    int rc = mg_prom_parse(text, len, NULL, text_sample, NULL, &t, err);
    if (rc == 0) {
        /* a laid-out feature must come with exactly its buckets, as mg_window_observe requires */
        for (size_t h = 0; h < t.nh; h++) {
            hist_layout *x = &w->hists[h];
            if (!t.seen[h] || (!t.mismatch[h] && t.matched[h] == x->nbuckets)) continue;
            w->problems++;
            grow_cur(&t);
            for (uint32_t b = 0; b < x->nbuckets; b++)
                t.cur[x->first + b] = NAN;
            if (x->count != NONE) t.cur[x->count] = NAN;
        }
        double *fresh = dense_reading(w, &t.fresh); /* lays out the new features */
        grow_cur(&t);
        for (size_t i = 0; i < w->nseries; i++)
            if (!isnan(fresh[i]) && isnan(t.cur[i])) t.cur[i] = fresh[i];
        free(fresh);
        observe_dense(w, pod, t.cur, now_ms);
        t.cur = NULL;
    }
    free(t.cur);
    free(t.matched);
    free(t.mismatch);
    free(t.seen);
    mg_model_metrics_free(&t.fresh);
    return rc;
}

/* ---- evaluations ----------------------------------------------------------------------------- */

static void close_pending(mg_window *w, int64_t now_ms) {
    uint32_t n = (uint32_t)w->npending;
    float *inc = mg_xmalloc(n * sizeof(float) + (n + 7) / 8 + 1);
    uint8_t *present = (uint8_t *)(inc + n);
    memset(present, 0, (n + 7) / 8);
    for (uint32_t i = 0; i < n; i++) {
        inc[i] = (float)w->pending[i];
        if (w->pending_present[i]) present[i / 8] |= (uint8_t)(1u << (i % 8));
    }
    if (n) {
        memset(w->pending, 0, n * sizeof(double));
        memset(w->pending_present, 0, n);
    }
    w->ticks = mg_xrealloc(w->ticks, (w->nticks + 1) * sizeof(tick));
    w->ticks[w->nticks++] = (tick){.time_ms = now_ms, .n = n, .inc = inc, .present = present};
}

static void expire(mg_window *w, int64_t now_ms, int64_t window_ms) {
    size_t drop = 0;
    while (drop < w->nticks && w->ticks[drop].time_ms <= now_ms - window_ms)
        free(w->ticks[drop++].inc);
    memmove(w->ticks, w->ticks + drop, (w->nticks - drop) * sizeof(tick));
    w->nticks -= drop;
    size_t keep = 0; /* pods not seen for a whole window are gone */
    for (size_t i = 0; i < w->npods; i++) {
        if (w->pods[i].seen_ms > now_ms - window_ms) {
            w->pods[keep++] = w->pods[i];
        } else {
            free(w->pods[i].name);
            free(w->pods[i].last);
        }
    }
    w->npods = keep;
}

/* The window's sums into out: a series is there when some evaluation in the window had it. */
static void sum_into(const mg_window *w, mg_model_metrics *out) {
    size_t n = w->nseries;
    double *sum = mg_xcalloc(n ? n : 1, sizeof(double));
    bool *present = mg_xcalloc(n ? n : 1, sizeof(bool));
    for (size_t t = 0; t < w->nticks; t++)
        for (uint32_t i = 0; i < w->ticks[t].n; i++)
            if (w->ticks[t].present[i / 8] & (1u << (i % 8))) {
                sum[i] += w->ticks[t].inc[i];
                present[i] = true;
            }
    for (size_t h = 0; h < w->nhists; h++) {
        const hist_layout *x = &w->hists[h];
        if (!present[x->nbuckets ? x->first : (x->count != NONE ? x->count : 0)] ||
            (!x->nbuckets && x->count == NONE))
            continue;
        out->features = mg_xrealloc(out->features, (out->nfeatures + 1) * sizeof(mg_feature_hist));
        mg_feature_hist *f = &out->features[out->nfeatures++];
        *f = (mg_feature_hist){.feature = mg_xstrdup(w->blob + x->name), .nbuckets = x->nbuckets};
        f->le = mg_xmalloc((x->nbuckets ? x->nbuckets : 1) * sizeof(double));
        f->cum = mg_xmalloc((x->nbuckets ? x->nbuckets : 1) * sizeof(double));
        if (x->nbuckets) {
            memcpy(f->le, x->le, x->nbuckets * sizeof(double));
            memcpy(f->cum, sum + x->first, x->nbuckets * sizeof(double));
        }
        f->has_count = x->count != NONE && present[x->count];
        f->count = f->has_count ? sum[x->count] : 0;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (!present[i] || w->series[i].kind == K_HIST) continue;
        const char *l[4], *p = w->blob + w->series[i].labels;
        for (int k = 0; k < KEY_STRINGS[w->series[i].kind]; k++, p += strlen(p) + 1)
            l[k] = p;
        if (w->series[i].kind == K_PRED) {
            out->predictions =
                mg_xrealloc(out->predictions, (out->npredictions + 1) * sizeof(mg_pred_series));
            out->predictions[out->npredictions++] =
                (mg_pred_series){mg_xstrdup(l[0]), mg_xstrdup(l[1]), mg_xstrdup(l[2]), sum[i]};
        } else {
            out->feedback = mg_xrealloc(out->feedback, (out->nfeedback + 1) * sizeof(mg_feedback_series));
            out->feedback[out->nfeedback++] = (mg_feedback_series){
                mg_xstrdup(l[0]), mg_xstrdup(l[1]), mg_xstrdup(l[2]), mg_xstrdup(l[3]), sum[i]};
        }
    }
    free(sum);
    free(present);
}

size_t mg_window_tick(mg_window *w, int64_t now_ms, int64_t window_ms, mg_model_metrics *out) {
    close_pending(w, now_ms);
    expire(w, now_ms, window_ms);
    mg_model_metrics_free(out);
    sum_into(w, out);
    return w->nticks;
}
