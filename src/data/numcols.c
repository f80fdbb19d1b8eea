#include "data/numcols.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

/* Values a column holds before its first growth; it doubles from there. */
#define FIRST_COLUMN_CAP 1024

typedef struct nctx {
    const char *const *names;
    size_t nnames;
    bool skip;
    size_t max_values, total;
    int *idx;
    mg_numcols *out;
    mg_csv_row_fn row_fn;
    void *row_ud;
} nctx;

int mg_parse_num(const char *s, size_t n, double *out) {
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (!n) return 0;
    char tmp[64];
    if (n >= sizeof tmp) return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    char *end;
    double x = strtod(tmp, &end);
    if (*end || !isfinite(x)) return -1;
    *out = x;
    return 1;
}

static int on_row(const mg_csv_row *row, void *ud, mg_error *err) {
    nctx *c = ud;
    mg_numcols *o = c->out;
    if (row->record == 0) {
        size_t n = c->names ? c->nnames : row->n;
        o->col = mg_xcalloc(n, sizeof *o->col);
        o->ncol = n;
        c->idx = mg_xcalloc(n, sizeof *c->idx);
        for (size_t i = 0; i < n; i++) {
            if (c->names) {
                int rc = mg_csv_column(row, "column", c->names[i], &c->idx[i], err);
                if (rc) return rc;
                o->col[i].name = mg_xstrdup(c->names[i]);
            } else {
                c->idx[i] = (int)i;
                o->col[i].name = mg_xstrndup(row->field[i], row->len[i]);
            }
        }
    } else {
        for (size_t i = 0; i < o->ncol; i++) {
            mg_numcol *col = &o->col[i];
            if (col->non_numeric) continue;
            double x;
            int r = mg_parse_num(row->field[c->idx[i]], row->len[c->idx[i]], &x);
            if (r == 0) continue;
            if (r < 0) {
                if (c->skip) {
                    col->non_numeric = true;
                    c->total -= col->n;
                    free(col->v);
                    col->v = NULL;
                    col->n = col->cap = 0;
                    continue;
                }
                char where[64];
                mg_csv_row_where(row, where, sizeof where);
                return mg_error_set(err, MG_EPARSE, "%s: %s: column %s: \"%.*s\" is not a number", row->path,
                                    where, col->name,
                                    (int)(row->len[c->idx[i]] > 40 ? 40 : row->len[c->idx[i]]),
                                    row->field[c->idx[i]]);
            }
            if (++c->total > c->max_values)
                return mg_error_set(
                    err, MG_ETOOBIG,
                    "more than %zu numeric values to hold in memory (exact quantiles/KS need all "
                    "of them); raise --max-values or sample the file",
                    c->max_values);
            if (col->n == col->cap) {
                col->cap = col->cap ? col->cap * 2 : FIRST_COLUMN_CAP;
                col->v = mg_xrealloc(col->v, col->cap * sizeof *col->v);
            }
            col->v[col->n++] = x;
        }
    }
    if (c->row_fn) return c->row_fn(row, c->row_ud, err);
    return 0;
}

int mg_numcols_read(const char *path, const char *const *names, size_t nnames, bool skip_non_numeric,
                    size_t max_values, mg_csv_row_fn row_fn, void *row_ud, mg_numcols *out, mg_error *err) {
    memset(out, 0, sizeof *out);
    nctx c = {.names = names,
              .nnames = nnames,
              .skip = skip_non_numeric,
              .max_values = max_values,
              .out = out,
              .row_fn = row_fn,
              .row_ud = row_ud};
    mg_csv_result res;
    int rc = mg_csv_stream(path, true, on_row, &c, &res, err);
    free(c.idx);
    if (rc) return rc;
    out->rows = res.records;
    memcpy(out->digest, res.digest, sizeof out->digest);
    return 0;
}

void mg_numcols_free(mg_numcols *nc) {
    for (size_t i = 0; i < nc->ncol; i++) {
        free(nc->col[i].name);
        free(nc->col[i].v);
    }
    free(nc->col);
    memset(nc, 0, sizeof *nc);
}
