#include "metrics/registry.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/log.h"
#include "core/mem.h"
#include "k8s/strmap.h"

const double mg_metrics_default_buckets[11] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0};

/* A double kept as its bit pattern so it can be updated with compare-and-swap. */
typedef _Atomic uint64_t atomic_f64;

static double f64_load(const atomic_f64 *a) {
    uint64_t bits = atomic_load_explicit(a, memory_order_relaxed);
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

static void f64_store(atomic_f64 *a, double v) {
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    atomic_store_explicit(a, bits, memory_order_relaxed);
}

static void f64_add(atomic_f64 *a, double v) {
    uint64_t old = atomic_load_explicit(a, memory_order_relaxed), nbits;
    do {
        double cur;
        memcpy(&cur, &old, sizeof cur);
        cur += v;
        memcpy(&nbits, &cur, sizeof nbits);
    } while (
        !atomic_compare_exchange_weak_explicit(a, &old, nbits, memory_order_relaxed, memory_order_relaxed));
}

struct mg_metric {
    mg_metric_family *family;
    char **values;          /* label values, family->nlabels of them */
    atomic_f64 value;       /* counter/gauge value, or histogram sum */
    _Atomic uint64_t *hist; /* histogram: nbuckets + 1 non-cumulative counts (last: +Inf) */
    mg_metric *next, *prev;
};

struct mg_metric_family {
    mg_metric_type type;
    char *name;
    char *help;
    char **labels;
    size_t nlabels;
    double *buckets;
    size_t nbuckets;
    double (*fn)(void *arg); /* callback metric when non-NULL */
    void *fn_arg;
    pthread_mutex_t mu; /* guards the series list and its index */
    mg_metric *head, *tail;
    mg_strmap *index; /* series_key(values) -> series: O(1) lookups with many series */
    mg_metric_family *next;
};

struct mg_metrics {
    pthread_mutex_t mu; /* guards the family list */
    mg_metric_family *head, *tail;
};

mg_metrics *mg_metrics_new(void) {
    mg_metrics *r = mg_xcalloc(1, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    return r;
}

static void free_series(mg_metric *m, size_t nlabels) {
    for (size_t i = 0; i < nlabels; i++)
        free(m->values[i]);
    free(m->values);
    free((void *)m->hist);
    free(m);
}

static void free_family(mg_metric_family *f) {
    mg_metric *m = f->head;
    while (m) {
        mg_metric *next = m->next;
        free_series(m, f->nlabels);
        m = next;
    }
    for (size_t i = 0; i < f->nlabels; i++)
        free(f->labels[i]);
    mg_strmap_free(f->index, NULL);
    free(f->labels);
    free(f->buckets);
    free(f->name);
    free(f->help);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

void mg_metrics_free(mg_metrics *r) {
    if (!r) return;
    mg_metric_family *f = r->head;
    while (f) {
        mg_metric_family *next = f->next;
        free_family(f);
        f = next;
    }
    pthread_mutex_destroy(&r->mu);
    free(r);
}

static bool valid_name(const char *s, bool allow_colon) {
    if (!s || !*s) return false;
    for (const char *p = s; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':') ||
                  (p != s && c >= '0' && c <= '9');
        if (!ok) return false;
    }
    return true;
}

static bool valid_label(const char *s, mg_metric_type type) {
    if (!valid_name(s, false)) return false;
    if (s[0] == '_' && s[1] == '_') return false;
    if (type == MG_METRIC_HISTOGRAM && !strcmp(s, "le")) return false;
    return true;
}

/* Validates and links a new family; returns NULL (and frees f) when invalid or taken. */
static mg_metric_family *add_family(mg_metrics *r, mg_metric_family *f) {
    const char *why = NULL;
    if (!valid_name(f->name, true)) why = "invalid metric name";
    for (size_t i = 0; !why && i < f->nlabels; i++) {
        if (!valid_label(f->labels[i], f->type)) why = "invalid label name";
        for (size_t j = 0; !why && j < i; j++)
            if (!strcmp(f->labels[i], f->labels[j])) why = "duplicate label name";
    }
    for (size_t i = 1; !why && i < f->nbuckets; i++)
        if (!(f->buckets[i] > f->buckets[i - 1])) why = "histogram buckets not increasing";
    for (size_t i = 0; !why && i < f->nbuckets; i++)
        if (isnan(f->buckets[i]) || isinf(f->buckets[i])) why = "histogram bucket not finite";
    pthread_mutex_lock(&r->mu);
    for (mg_metric_family *o = r->head; !why && o; o = o->next)
        if (!strcmp(o->name, f->name)) why = "metric already registered";
    if (!why) {
        if (r->tail)
            r->tail->next = f;
        else
            r->head = f;
        r->tail = f;
    }
    pthread_mutex_unlock(&r->mu);
    if (why) {
        mg_log(MG_LOG_ERROR, "metrics: registration refused", "metric", f->name, "reason", why, NULL);
        free_family(f);
        return NULL;
    }
    return f;
}

static mg_metric_family *new_family(mg_metric_type type, const char *name, const char *help,
                                    const char *const *label_names) {
    mg_metric_family *f = mg_xcalloc(1, sizeof *f);
    f->type = type;
    f->name = mg_xstrdup(name ? name : "");
    f->help = mg_xstrdup(help ? help : "");
    while (label_names && label_names[f->nlabels])
        f->nlabels++;
    if (f->nlabels) {
        f->labels = mg_xcalloc(f->nlabels, sizeof *f->labels);
        for (size_t i = 0; i < f->nlabels; i++)
            f->labels[i] = mg_xstrdup(label_names[i]);
    }
    pthread_mutex_init(&f->mu, NULL);
    f->index = mg_strmap_new();
    return f;
}

mg_metric_family *mg_metrics_counter(mg_metrics *r, const char *name, const char *help,
                                     const char *const *label_names) {
    return add_family(r, new_family(MG_METRIC_COUNTER, name, help, label_names));
}

mg_metric_family *mg_metrics_gauge(mg_metrics *r, const char *name, const char *help,
                                   const char *const *label_names) {
    return add_family(r, new_family(MG_METRIC_GAUGE, name, help, label_names));
}

mg_metric_family *mg_metrics_histogram(mg_metrics *r, const char *name, const char *help,
                                       const char *const *label_names, const double *buckets,
                                       size_t nbuckets) {
    mg_metric_family *f = new_family(MG_METRIC_HISTOGRAM, name, help, label_names);
    if (!buckets || !nbuckets) {
        buckets = mg_metrics_default_buckets;
        nbuckets = sizeof mg_metrics_default_buckets / sizeof mg_metrics_default_buckets[0];
    }
    f->buckets = mg_xcalloc(nbuckets, sizeof *f->buckets);
    memcpy(f->buckets, buckets, nbuckets * sizeof *buckets);
    f->nbuckets = nbuckets;
    return add_family(r, f);
}

int mg_metrics_func(mg_metrics *r, mg_metric_type type, const char *name, const char *help,
                    double (*fn)(void *arg), void *arg) {
    if (!fn || type == MG_METRIC_HISTOGRAM) return MG_EINVAL;
    mg_metric_family *f = new_family(type, name, help, NULL);
    f->fn = fn;
    f->fn_arg = arg;
    return add_family(r, f) ? 0 : MG_EINVAL;
}

/* The index key of a combination of label values: each value with its length in front, so no
 * value can be mistaken for two. */
static void series_key(const mg_metric_family *f, const char *const *values, mg_buf *out) {
    for (size_t i = 0; i < f->nlabels; i++)
        mg_buf_printf(out, "%zu:%s", strlen(values[i]), values[i]);
    if (!f->nlabels) mg_buf_append(out, "", 0);
}

mg_metric *mg_metric_withv(mg_metric_family *f, const char *const *values) {
    if (!f || f->fn) return NULL;
    for (size_t i = 0; i < f->nlabels; i++)
        if (!values || !values[i]) return NULL;
    mg_buf key;
    mg_buf_init(&key, MG_BUF_UNCAPPED);
    series_key(f, values, &key);
    pthread_mutex_lock(&f->mu);
    mg_metric *m = mg_strmap_get(f->index, key.data);
    if (!m) {
        m = mg_xcalloc(1, sizeof *m);
        m->family = f;
        if (f->nlabels) {
            m->values = mg_xcalloc(f->nlabels, sizeof *m->values);
            for (size_t i = 0; i < f->nlabels; i++)
                m->values[i] = mg_xstrdup(values[i]);
        }
        f64_store(&m->value, 0.0);
        if (f->type == MG_METRIC_HISTOGRAM) {
            m->hist = mg_xcalloc(f->nbuckets + 1, sizeof *m->hist);
            for (size_t i = 0; i <= f->nbuckets; i++)
                atomic_init(&m->hist[i], 0);
        }
        m->prev = f->tail;
        if (f->tail)
            f->tail->next = m;
        else
            f->head = m;
        f->tail = m;
        mg_strmap_put(f->index, key.data, m);
    }
    pthread_mutex_unlock(&f->mu);
    mg_buf_free(&key);
    return m;
}

void mg_metric_remove(mg_metric *m) {
    if (!m) return;
    mg_metric_family *f = m->family;
    mg_buf key;
    mg_buf_init(&key, MG_BUF_UNCAPPED);
    series_key(f, (const char *const *)m->values, &key);
    pthread_mutex_lock(&f->mu);
    if (mg_strmap_get(f->index, key.data) == m) {
        mg_strmap_del(f->index, key.data);
        if (m->prev)
            m->prev->next = m->next;
        else
            f->head = m->next;
        if (m->next)
            m->next->prev = m->prev;
        else
            f->tail = m->prev;
        free_series(m, f->nlabels);
    }
    pthread_mutex_unlock(&f->mu);
    mg_buf_free(&key);
}

mg_metric *mg_metric_with(mg_metric_family *f, ...) {
    if (!f) return NULL;
    const char *vals[16];
    size_t n = 0;
    va_list ap;
    va_start(ap, f);
    const char *v;
    while ((v = va_arg(ap, const char *)) != NULL) {
        if (n == sizeof vals / sizeof vals[0]) {
            va_end(ap);
            return NULL;
        }
        vals[n++] = v;
    }
    va_end(ap);
    if (n != f->nlabels) return NULL;
    return mg_metric_withv(f, vals);
}

void mg_metric_inc(mg_metric *m) { mg_metric_add(m, 1.0); }

void mg_metric_add(mg_metric *m, double v) {
    if (!m || m->family->type == MG_METRIC_HISTOGRAM) return;
    if (m->family->type == MG_METRIC_COUNTER && !(v >= 0)) return;
    f64_add(&m->value, v);
}

void mg_metric_set(mg_metric *m, double v) {
    if (!m || m->family->type != MG_METRIC_GAUGE) return;
    f64_store(&m->value, v);
}

void mg_metric_observe(mg_metric *m, double v) {
    if (!m || m->family->type != MG_METRIC_HISTOGRAM || isnan(v)) return;
    const mg_metric_family *f = m->family;
    size_t i = 0;
    while (i < f->nbuckets && v > f->buckets[i])
        i++;
    f64_add(&m->value, v);
    atomic_fetch_add_explicit(&m->hist[i], 1, memory_order_relaxed);
}

double mg_metric_value(const mg_metric *m) { return m ? f64_load(&m->value) : 0.0; }

uint64_t mg_metric_count(const mg_metric *m) {
    if (!m || !m->hist) return 0;
    uint64_t n = 0;
    for (size_t i = 0; i <= m->family->nbuckets; i++)
        n += atomic_load_explicit(&m->hist[i], memory_order_relaxed);
    return n;
}

/* ---- rendering ---- */

/* Formats v the way Prometheus parses floats: shortest round-tripping decimal, +Inf/-Inf/NaN. */
static void fmt_double(double v, char *out, size_t n) {
    if (isnan(v)) {
        snprintf(out, n, "NaN");
    } else if (isinf(v)) {
        snprintf(out, n, v > 0 ? "+Inf" : "-Inf");
    } else {
        snprintf(out, n, "%.15g", v);
        if (strtod(out, NULL) != v) snprintf(out, n, "%.17g", v);
    }
}

/* HELP text escapes backslash and newline; label values also escape the double quote. */
static int append_escaped(mg_buf *out, const char *s, bool quote) {
    int rc = 0;
    const char *run = s;
    for (const char *p = s; *p && !rc; p++) {
        const char *rep = NULL;
        if (*p == '\\')
            rep = "\\\\";
        else if (*p == '\n')
            rep = "\\n";
        else if (quote && *p == '"')
            rep = "\\\"";
        if (!rep) continue;
        rc = mg_buf_append(out, run, (size_t)(p - run));
        if (!rc) rc = mg_buf_append_str(out, rep);
        run = p + 1;
    }
    if (!rc) rc = mg_buf_append_str(out, run);
    return rc;
}

/* Writes `name{l1="v1",...,extra}` (braces omitted when there are no labels at all). */
static int append_series_name(mg_buf *out, const mg_metric_family *f, const char *suffix, const mg_metric *m,
                              const char *extra_name, const char *extra_val) {
    int rc = mg_buf_append_str(out, f->name);
    if (!rc && suffix) rc = mg_buf_append_str(out, suffix);
    size_t n = m ? f->nlabels : 0;
    if (rc || (n == 0 && !extra_name)) return rc;
    rc = mg_buf_append_str(out, "{");
    for (size_t i = 0; !rc && i < n; i++) {
        rc = mg_buf_printf(out, "%s%s=\"", i ? "," : "", f->labels[i]);
        if (!rc) rc = append_escaped(out, m->values[i], true);
        if (!rc) rc = mg_buf_append_str(out, "\"");
    }
    if (!rc && extra_name) {
        rc = mg_buf_printf(out, "%s%s=\"", n ? "," : "", extra_name);
        if (!rc) rc = append_escaped(out, extra_val, true);
        if (!rc) rc = mg_buf_append_str(out, "\"");
    }
    if (!rc) rc = mg_buf_append_str(out, "}");
    return rc;
}

static int append_sample_value(mg_buf *out, double v) {
    char num[40];
    fmt_double(v, num, sizeof num);
    return mg_buf_printf(out, " %s\n", num);
}

static int render_family(mg_buf *out, mg_metric_family *f) {
    static const char *const type_names[] = {"counter", "gauge", "histogram"};
    int rc = mg_buf_printf(out, "# HELP %s ", f->name);
    if (!rc) rc = append_escaped(out, f->help, false);
    if (!rc) rc = mg_buf_printf(out, "\n# TYPE %s %s\n", f->name, type_names[f->type]);
    if (rc) return rc;
    if (f->fn) {
        double v = f->fn(f->fn_arg);
        if (isnan(v)) return 0;
        rc = append_series_name(out, f, NULL, NULL, NULL, NULL);
        return rc ? rc : append_sample_value(out, v);
    }
    pthread_mutex_lock(&f->mu);
    for (mg_metric *m = f->head; m && !rc; m = m->next) {
        if (f->type != MG_METRIC_HISTOGRAM) {
            rc = append_series_name(out, f, NULL, m, NULL, NULL);
            if (!rc) rc = append_sample_value(out, f64_load(&m->value));
            continue;
        }
        uint64_t cum = 0;
        for (size_t i = 0; i <= f->nbuckets && !rc; i++) {
            cum += atomic_load_explicit(&m->hist[i], memory_order_relaxed);
            char le[40];
            fmt_double(i < f->nbuckets ? f->buckets[i] : INFINITY, le, sizeof le);
            rc = append_series_name(out, f, "_bucket", m, "le", le);
            if (!rc) rc = mg_buf_printf(out, " %llu\n", (unsigned long long)cum);
        }
        if (!rc) rc = append_series_name(out, f, "_sum", m, NULL, NULL);
        if (!rc) rc = append_sample_value(out, f64_load(&m->value));
        if (!rc) rc = append_series_name(out, f, "_count", m, NULL, NULL);
        if (!rc) rc = mg_buf_printf(out, " %llu\n", (unsigned long long)cum);
    }
    pthread_mutex_unlock(&f->mu);
    return rc;
}

int mg_metrics_render(mg_metrics *r, mg_buf *out) {
    int rc = 0;
    pthread_mutex_lock(&r->mu);
    for (mg_metric_family *f = r->head; f && !rc; f = f->next)
        rc = render_family(out, f);
    pthread_mutex_unlock(&r->mu);
    return rc;
}
