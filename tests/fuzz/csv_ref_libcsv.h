/* The CSV reading rules of csv/reader, implemented on libcsv (strict mode, spaces kept, capped
 * field buffer): the reference the differential fuzz target (fuzz_csv_diff) and the CSV
 * benchmark (tests/bench/bench_csv.c) hold src/csv against. Test support only: one parse of a
 * whole in-memory input, single-threaded. For each record it calls fn with the fields (copies,
 * valid during the call) exactly as csv/reader would deliver them, and it reports the same
 * errors, with the line numbers computed by re-scanning the input with libcsv (a UTF-8 byte order
 * mark at the start is skipped, as csv/reader does; it holds no line end). */
#ifndef MG_TESTS_CSV_REF_LIBCSV_H
#define MG_TESTS_CSV_REF_LIBCSV_H
#include <csv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "csv/reader.h"

#define REF_BLK 4096

typedef int (*ref_row_fn)(uint64_t record, size_t n, char **field, const size_t *len, void *ud);

typedef struct ref_reader {
    const char *path, *data;
    size_t size;
    ref_row_fn fn;
    void *ud;
    mg_error *err;
    int rc;
    uint64_t record;
    size_t header_n;
    char **f;
    size_t *len, nf, fcap, arena_len;
} ref_reader;

static void *ref_capped_realloc(void *p, size_t n) {
    return n > MG_CSV_MAX_FIELD + 64 ? NULL : realloc(p, n);
}
static int ref_no_space(unsigned char c) {
    (void)c;
    return 0;
}
static void ref_init(struct csv_parser *p, int extra) {
    csv_init(p, CSV_STRICT | CSV_STRICT_FINI | extra);
    csv_set_space_func(p, ref_no_space);
    csv_set_realloc_func(p, ref_capped_realloc);
    csv_set_blk_size(p, REF_BLK);
}

typedef struct ref_lscan {
    uint64_t nl, rec_line, record, target, found;
    int pending_cr;
    size_t nf;
} ref_lscan;

static void ref_ls_field(void *s, size_t n, void *d) {
    ref_lscan *l = d;
    l->nf++;
    for (size_t i = 0; i < n; i++)
        l->nl += ((const char *)s)[i] == '\n';
}

static void ref_ls_row(int c, void *d) {
    ref_lscan *l = d;
    if (c == '\n' && l->pending_cr && l->nf == 0) {
        l->pending_cr = 0;
        l->rec_line = l->nl + 1;
        return;
    }
    l->pending_cr = c == '\r';
    if (c == '\r' || c == '\n') l->nl++;
    if (l->nf > 0) {
        if (l->record == l->target && !l->found) l->found = l->rec_line;
        l->record++;
    }
    l->nf = 0;
    l->rec_line = l->nl + 1;
}

static void ref_where(const ref_reader *r, uint64_t target, char *buf, size_t n) {
    struct csv_parser p;
    ref_init(&p, CSV_REPALL_NL);
    ref_lscan l = {.rec_line = 1, .target = target};
    csv_parse(&p, r->data, r->size, ref_ls_field, ref_ls_row, &l);
    csv_free(&p);
    snprintf(buf, n, "line %llu", (unsigned long long)(l.found ? l.found : l.rec_line));
}

static void ref_on_field(void *s, size_t n, void *d) {
    ref_reader *r = d;
    if (r->rc) return;
    if (r->arena_len + n + 1 > MG_CSV_MAX_RECORD) {
        char w[64];
        ref_where(r, r->record, w, sizeof w);
        r->rc = mg_error_set(r->err, MG_ETOOBIG, "%s: %s: record larger than %u bytes", r->path, w,
                             MG_CSV_MAX_RECORD);
        return;
    }
    if (r->nf == r->fcap) {
        r->fcap = r->fcap ? 2 * r->fcap : 32;
        r->f = realloc(r->f, r->fcap * sizeof *r->f);
        r->len = realloc(r->len, r->fcap * sizeof *r->len);
    }
    r->f[r->nf] = malloc(n + 1);
    if (n) memcpy(r->f[r->nf], s, n);
    r->len[r->nf++] = n;
    r->arena_len += n + 1;
}

static void ref_free_fields(ref_reader *r) {
    for (size_t i = 0; i < r->nf; i++)
        free(r->f[i]);
    r->nf = 0;
    r->arena_len = 0;
}

static void ref_on_row(int c, void *d) {
    ref_reader *r = d;
    (void)c;
    if (r->rc || r->nf == 0) return;
    if (r->record == 0) {
        r->header_n = r->nf;
    } else if (r->nf != r->header_n) {
        char w[64];
        ref_where(r, r->record, w, sizeof w);
        r->rc = mg_error_set(r->err, MG_EPARSE, "%s: %s: record has %zu fields, the header has %zu", r->path,
                             w, r->nf, r->header_n);
        return;
    }
    r->rc = r->fn(r->record, r->nf, r->f, r->len, r->ud);
    ref_free_fields(r);
    r->record++;
}

/* Parses data[0..size) as the file path; returns 0 or the error (err filled) like mg_csv_stream. */
static int ref_csv_parse(const char *path, const char *data, size_t size, ref_row_fn fn, void *ud,
                         uint64_t *records, mg_error *err) {
    struct csv_parser p;
    ref_init(&p, 0);
    int refused = mg_csv_refuse_not_text(path, data, size, err); /* the reader's own check */
    if (refused) {
        csv_free(&p);
        if (records) *records = 0;
        return refused;
    }
    if (size >= MG_CSV_UTF8_BOM_LEN && !memcmp(data, MG_CSV_UTF8_BOM, MG_CSV_UTF8_BOM_LEN)) { /* skipped */
        data += MG_CSV_UTF8_BOM_LEN;
        size -= MG_CSV_UTF8_BOM_LEN;
    }
    ref_reader r = {.path = path, .data = data, .size = size, .fn = fn, .ud = ud, .err = err};
    char w[64];
    size_t done = csv_parse(&p, data, size, ref_on_field, ref_on_row, &r);
    if (!r.rc && done < size) {
        if (csv_error(&p) == CSV_EPARSE) {
            uint64_t line = 1;
            for (size_t i = 0; i < done; i++)
                line += data[i] == '\n';
            r.rc = mg_error_set(err, MG_EPARSE, "%s: line %llu: malformed CSV (stray or unescaped quote)",
                                path, (unsigned long long)line);
        } else {
            ref_where(&r, r.record, w, sizeof w);
            r.rc = mg_error_set(err, MG_ETOOBIG, "%s: %s: field larger than %u bytes", path, w,
                                MG_CSV_MAX_FIELD);
        }
    }
    if (!r.rc && csv_fini(&p, ref_on_field, ref_on_row, &r) != 0) {
        ref_where(&r, r.record, w, sizeof w);
        r.rc = mg_error_set(err, MG_EPARSE, "%s: %s: unterminated quoted field", path, w);
    }
    if (!r.rc && r.record == 0) r.rc = mg_error_set(err, MG_EPARSE, "%s: no header row", path);
    if (records) *records = r.record ? r.record - 1 : 0;
    ref_free_fields(&r);
    free(r.f);
    free(r.len);
    csv_free(&p);
    return r.rc;
}

#endif
