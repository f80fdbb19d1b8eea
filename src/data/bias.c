#include "data/bias.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "csv/reader.h"
#include "stats/stats.h"

typedef struct bctx {
    const mg_bias_spec *spec;
    size_t poslen;
    int *idx; /* column of each attribute */
    int lidx; /* label column */
    mg_cmap *maps;
} bctx;

static int on_header(bctx *b, const mg_csv_row *row, mg_error *err) {
    b->idx = mg_xcalloc(b->spec->nattrs + 1, sizeof *b->idx);
    for (size_t i = 0; i < b->spec->nattrs; i++) {
        int rc = mg_csv_column(row, "column", b->spec->attrs[i], &b->idx[i], err);
        if (rc) return rc;
    }
    int rc = mg_csv_column(row, "label column", b->spec->label, &b->lidx, err);
    if (rc) return rc;
    b->idx[b->spec->nattrs] = b->lidx; /* the columns to deliver: attributes and label */
    mg_csv_keep_columns(row, b->idx, b->spec->nattrs + 1);
    return 0;
}

/* Label values are a byte or two: a plain loop beats a call to memcmp. */
static bool is_positive(const bctx *b, const char *v, size_t n) {
    if (n != b->poslen) return false;
    for (size_t i = 0; i < n; i++)
        if (v[i] != b->spec->positive[i]) return false;
    return true;
}

static int on_row(const mg_csv_row *row, void *ud, mg_error *err) {
    bctx *b = ud;
    if (row->record == 0) return on_header(b, row, err);
    bool pos = is_positive(b, row->field[b->lidx], row->len[b->lidx]);
    for (size_t i = 0; i < b->spec->nattrs; i++) {
        mg_cmap_entry *e = mg_cmap_get(&b->maps[i], row->field[b->idx[i]], row->len[b->idx[i]]);
        e->a++;
        e->b += pos;
    }
    return 0;
}

int mg_bias_count_file(const char *path, const mg_bias_spec *spec, mg_bias_counts *out, mg_error *err) {
    memset(out, 0, sizeof *out);
    out->nattrs = spec->nattrs;
    out->maps = mg_xcalloc(spec->nattrs, sizeof *out->maps);
    /* large files: two threads, each with its own counters, merged below */
    bctx b = {.spec = spec, .poslen = strlen(spec->positive), .maps = out->maps};
    bctx b2 = b;
    b2.maps = mg_xcalloc(spec->nattrs, sizeof *b2.maps);
    bool used2 = false;
    mg_csv_result res;
    int rc = mg_csv_stream2(path, true, on_row, &b, &b2, &used2, &res, err);
    for (size_t i = 0; i < spec->nattrs; i++) {
        if (!rc && used2) mg_cmap_merge(&out->maps[i], &b2.maps[i]);
        mg_cmap_free(&b2.maps[i]);
    }
    free(b2.maps);
    free(b2.idx);
    free(b.idx);
    if (rc) return rc;
    if (res.records == 0) return mg_error_set(err, MG_EINVAL, "%s: no data rows", path);
    out->rows = res.records;
    memcpy(out->digest, res.digest, sizeof out->digest);
    return 0;
}

void mg_bias_counts_free(mg_bias_counts *c) {
    for (size_t i = 0; c->maps && i < c->nattrs; i++)
        mg_cmap_free(&c->maps[i]);
    free(c->maps);
    memset(c, 0, sizeof *c);
}

bool mg_bias_groups(const mg_cmap *m, uint64_t rows, mg_bias_group *out) {
    mg_cmap_entry **list = mg_cmap_sorted(m, mg_cmap_entry_key_cmp);
    size_t best = 0; /* the most favoured group: the first with the highest rate */
    for (size_t k = 1; k < m->n; k++)
        if ((double)list[k]->b / (double)list[k]->a > (double)list[best]->b / (double)list[best]->a) best = k;
    bool passed = true;
    for (size_t k = 0; k < m->n; k++) {
        const mg_cmap_entry *e = list[k];
        /* the ratio of this group's rate to the best one's, as Fairlearn's min/max ratio of the
         * pair; NaN (every rate 0) means no group is disfavoured */
        double num[2] = {(double)e->b, (double)list[best]->b}, den[2] = {(double)e->a, (double)list[best]->a};
        double di = NAN;
        if (mg_stats_disparate_impact(num, den, 2, &di) || isnan(di)) di = 1.0;
        out[k] = (mg_bias_group){.value = e->key,
                                 .vlen = e->klen,
                                 .count = e->a,
                                 .share = (double)e->a / (double)rows,
                                 .positive_rate = (double)e->b / (double)e->a,
                                 .disparate_impact = di,
                                 .pass = di >= MG_BIAS_FOUR_FIFTHS};
        passed = passed && out[k].pass;
    }
    free(list);
    return passed;
}
