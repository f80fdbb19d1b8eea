#include "data/anon.h"

#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "csv/reader.h"

#define KEY_LEN_BYTES 4

typedef struct actx {
    const char *const *quasi;
    size_t nquasi;
    int *idx;
    mg_cmap *map;
    const char **vals; /* the current row's values and lengths */
    size_t *lens;
    char *key;
    size_t kcap;
} actx;

size_t mg_anon_key(const char *const *values, const size_t *lens, size_t n, char **key, size_t *cap) {
    size_t need = 0;
    for (size_t i = 0; i < n; i++)
        need += KEY_LEN_BYTES + lens[i];
    if (need > *cap) {
        *cap = need * 2;
        *key = mg_xrealloc(*key, *cap);
    }
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t l = (uint32_t)lens[i];
        memcpy(*key + off, &l, KEY_LEN_BYTES);
        memcpy(*key + off + KEY_LEN_BYTES, values[i], l);
        off += KEY_LEN_BYTES + l;
    }
    return off;
}

const char *mg_anon_value(const mg_cmap_entry *e, size_t q, size_t *len) {
    size_t off = 0;
    uint32_t l;
    for (size_t i = 0;; i++) {
        memcpy(&l, e->key + off, KEY_LEN_BYTES);
        if (i == q) break;
        off += KEY_LEN_BYTES + l;
    }
    *len = l;
    return e->key + off + KEY_LEN_BYTES;
}

static int on_row(const mg_csv_row *row, void *ud, mg_error *err) {
    actx *a = ud;
    if (row->record == 0) {
        a->idx = mg_xcalloc(a->nquasi, sizeof *a->idx);
        for (size_t i = 0; i < a->nquasi; i++) {
            int rc = mg_csv_column(row, "column", a->quasi[i], &a->idx[i], err);
            if (rc) return rc;
        }
        mg_csv_keep_columns(row, a->idx, a->nquasi);
        return 0;
    }
    for (size_t i = 0; i < a->nquasi; i++) {
        a->vals[i] = row->field[a->idx[i]];
        a->lens[i] = row->len[a->idx[i]];
    }
    size_t klen = mg_anon_key(a->vals, a->lens, a->nquasi, &a->key, &a->kcap);
    mg_cmap_get(a->map, a->key, klen)->a++;
    return 0;
}

static void actx_free(actx *a) {
    free(a->idx);
    free(a->vals);
    free(a->lens);
    free(a->key);
}

int mg_anon_count_file(const char *path, const char *const *quasi, size_t nquasi, mg_anon_counts *out,
                       mg_error *err) {
    memset(out, 0, sizeof *out);
    mg_cmap map2;
    mg_cmap_init(&map2);
    actx a = {.quasi = quasi, .nquasi = nquasi, .map = &out->map}, a2 = a;
    a2.map = &map2;
    a.vals = mg_xcalloc(nquasi, sizeof *a.vals);
    a.lens = mg_xcalloc(nquasi, sizeof *a.lens);
    a2.vals = mg_xcalloc(nquasi, sizeof *a2.vals);
    a2.lens = mg_xcalloc(nquasi, sizeof *a2.lens);
    /* large files: two threads, each with its own classes, merged below */
    bool used2 = false;
    mg_csv_result res;
    int rc = mg_csv_stream2(path, false, on_row, &a, &a2, &used2, &res, err);
    if (!rc && used2) mg_cmap_merge(&out->map, &map2);
    mg_cmap_free(&map2);
    actx_free(&a);
    actx_free(&a2);
    if (rc) return rc;
    if (res.records == 0) return mg_error_set(err, MG_EINVAL, "%s: no data rows", path);
    out->rows = res.records;
    return 0;
}

void mg_anon_counts_free(mg_anon_counts *c) {
    mg_cmap_free(&c->map);
    c->rows = 0;
}

static int cmp_class(const void *x, const void *y) {
    const mg_cmap_entry *a = *(const mg_cmap_entry *const *)x, *b = *(const mg_cmap_entry *const *)y;
    if (a->a != b->a) return a->a < b->a ? -1 : 1;
    return mg_cmap_entry_key_cmp(x, y);
}

mg_cmap_entry **mg_anon_classes(const mg_cmap *m) { return mg_cmap_sorted(m, cmp_class); }
