#include "data/baseline.h"

#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "csv/reader.h"

typedef struct blctx {
    const mg_baseline_spec *spec;
    size_t poslen;
    int lidx, pidx;
    int *gidx;
    mg_baseline_data *d;
} blctx;

static bool is_pos(const blctx *b, const mg_csv_row *row, int i) {
    return row->len[i] == b->poslen && !memcmp(row->field[i], b->spec->positive, b->poslen);
}

static int on_header(blctx *b, const mg_csv_row *row, mg_error *err) {
    const mg_baseline_spec *s = b->spec;
    b->lidx = b->pidx = -1;
    int rc = 0;
    if (s->label && (rc = mg_csv_column(row, "label column", s->label, &b->lidx, err))) return rc;
    if (s->prediction && (rc = mg_csv_column(row, "prediction column", s->prediction, &b->pidx, err)))
        return rc;
    b->gidx = mg_xcalloc(s->nattrs + 1, sizeof *b->gidx);
    for (size_t i = 0; i < s->nattrs && !rc; i++)
        rc = mg_csv_column(row, "column", s->attrs[i], &b->gidx[i], err);
    return rc;
}

static void count_confusion(mg_confusion *cm, bool lp, bool pp) {
    if (lp && pp)
        cm->tp++;
    else if (!lp && pp)
        cm->fp++;
    else if (lp && !pp)
        cm->fn++;
    else
        cm->tn++;
}

static int on_row(const mg_csv_row *row, void *ud, mg_error *err) {
    blctx *b = ud;
    mg_baseline_data *d = b->d;
    if (row->record == 0) return on_header(b, row, err);
    bool lp = b->lidx >= 0 && is_pos(b, row, b->lidx);
    bool pp = b->pidx >= 0 && is_pos(b, row, b->pidx);
    if (b->lidx >= 0 && b->pidx >= 0) count_confusion(&d->cm, lp, pp);
    if (b->pidx < 0) return 0;
    for (size_t i = 0; i < d->nattrs; i++) {
        mg_cmap_entry *e = mg_cmap_get(&d->maps[i], row->field[b->gidx[i]], row->len[b->gidx[i]]);
        if (e->a == 0) { /* new group: a = 1-based index */
            d->groups[i] = mg_xrealloc(d->groups[i], (d->ngroups[i] + 1) * sizeof **d->groups);
            memset(&d->groups[i][d->ngroups[i]], 0, sizeof **d->groups);
            e->a = ++d->ngroups[i];
        }
        mg_baseline_group *g = &d->groups[i][e->a - 1];
        g->n++;
        g->pred_pos += pp;
        g->label_pos += lp;
        g->tp += lp && pp;
    }
    return 0;
}

int mg_baseline_read(const char *path, const mg_baseline_spec *spec, mg_baseline_data *out, mg_error *err) {
    memset(out, 0, sizeof *out);
    out->nattrs = spec->nattrs;
    out->maps = mg_xcalloc(spec->nattrs + 1, sizeof *out->maps);
    out->groups = mg_xcalloc(spec->nattrs + 1, sizeof *out->groups);
    out->ngroups = mg_xcalloc(spec->nattrs + 1, sizeof *out->ngroups);
    blctx b = {.spec = spec, .poslen = strlen(spec->positive), .d = out};
    int rc = mg_numcols_read(path, spec->features, spec->nfeatures, false, spec->max_values, on_row, &b,
                             &out->values, err);
    free(b.gidx);
    if (rc) return rc;
    if (out->values.rows == 0) return mg_error_set(err, MG_EINVAL, "%s: no data rows", path);
    return 0;
}

void mg_baseline_data_free(mg_baseline_data *d) {
    mg_numcols_free(&d->values);
    for (size_t i = 0; d->maps && i < d->nattrs; i++) {
        mg_cmap_free(&d->maps[i]);
        free(d->groups[i]);
    }
    free(d->maps);
    free(d->groups);
    free(d->ngroups);
    memset(d, 0, sizeof *d);
}

int mg_baseline_bins(const double *v, size_t n, size_t bins, double *edges, size_t *nedges,
                     double *proportions) {
    size_t ne = 0;
    int rc = mg_stats_quantile_edges(v, n, bins, edges, &ne);
    if (rc) return rc;
    memset(proportions, 0, (ne + 1) * sizeof *proportions);
    if ((rc = mg_stats_histogram(v, n, edges, ne, proportions))) return rc;
    if ((rc = mg_stats_normalize(proportions, ne + 1, proportions))) return rc;
    *nedges = ne;
    return 0;
}

bool mg_baseline_group_rates(const mg_baseline_group *g, double *positive_rate, double *tpr) {
    *positive_rate = (double)g->pred_pos / (double)g->n;
    if (!g->label_pos) return false;
    *tpr = (double)g->tp / (double)g->label_pos;
    return true;
}
