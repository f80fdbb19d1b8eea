#include "plugin/csvstream.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"
#include "plugin/bgq.h"

#define NBUFS 4

typedef struct reader {
    const char *path;
    mg_csv_row_fn fn;
    void *ud;
    mg_error *err;
    int rc;          /* first non-zero result; later callbacks are ignored */
    uint64_t record; /* next record number (0 = header) */
    size_t header_n; /* field count of the header */
    /* the current record */
    char *arena;
    size_t arena_len, arena_cap;
    size_t *off, *len;
    const char **ptr;
    size_t nf, fcap;
} reader;

static void *capped_realloc(void *p, size_t n) {
    if (n > MG_CSV_MAX_FIELD + 64) return NULL;
    return realloc(p, n);
}

/* RFC 4180: spaces are part of a field (libcsv trims them unless told otherwise). */
static int keep_spaces(unsigned char c) {
    (void)c;
    return 0;
}

/* repall: report every line end (the line scanner needs them; the streaming parse does not). */
static void init_parser(struct csv_parser *p, bool repall) {
    csv_init(p, CSV_STRICT | CSV_STRICT_FINI | (repall ? CSV_REPALL_NL : 0));
    csv_set_space_func(p, keep_spaces);
    csv_set_realloc_func(p, capped_realloc);
    csv_set_blk_size(p, 4096);
}

/* ---- exact line numbers, on demand (error paths) ---- */

typedef struct lscan {
    uint64_t nl, rec_line, record, target, found;
    bool pending_cr;
    size_t nf;
} lscan;

static void ls_field(void *s, size_t n, void *d) {
    lscan *l = d;
    const char *f = s;
    l->nf++;
    for (size_t i = 0; i < n; i++)
        l->nl += f[i] == '\n';
}

static void ls_row(int c, void *d) {
    lscan *l = d;
    if (c == '\n' && l->pending_cr && l->nf == 0) { /* the LF of a CRLF */
        l->pending_cr = false;
        l->rec_line = l->nl + 1;
        return;
    }
    l->pending_cr = (c == '\r');
    if (c == '\r' || c == '\n') l->nl++;
    if (l->nf > 0) {
        if (l->record == l->target && !l->found) l->found = l->rec_line;
        l->record++;
    }
    l->nf = 0;
    l->rec_line = l->nl + 1;
}

/* Line where record `target` starts (or where the unfinished last record starts); 0 for stdin
 * or an unreadable file. */
static uint64_t line_of_record(const char *path, uint64_t target) {
    if (!strcmp(path, "-")) return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    struct csv_parser p;
    init_parser(&p, true);
    lscan l = {.rec_line = 1, .target = target};
    char *buf = mg_xmalloc(MG_CSV_CHUNK);
    ssize_t n;
    while (!l.found && (n = read(fd, buf, MG_CSV_CHUNK)) > 0)
        if (csv_parse(&p, buf, (size_t)n, ls_field, ls_row, &l) < (size_t)n) break;
    free(buf);
    csv_free(&p);
    close(fd);
    return l.found ? l.found : l.rec_line;
}

/* Line number (1-based) of absolute byte offset off in path, by counting LFs; 0 if unknown. */
static uint64_t line_of_offset(const char *path, uint64_t off) {
    if (!strcmp(path, "-")) return 0;
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    uint64_t line = 1, pos = 0;
    int ch;
    while (pos < off && (ch = getc(f)) != EOF) {
        if (ch == '\n') line++;
        pos++;
    }
    fclose(f);
    return line;
}

static void where(const char *path, uint64_t record, char *buf, size_t n) {
    uint64_t line = line_of_record(path, record);
    if (line)
        snprintf(buf, n, "line %llu", (unsigned long long)line);
    else
        snprintf(buf, n, "record %llu", (unsigned long long)record + 1);
}

void mg_csv_row_where(const mg_csv_row *row, char *buf, size_t n) { where(row->path, row->record, buf, n); }

/* ---- the streaming parse ---- */

static void on_field(void *s, size_t n, void *data) {
    reader *r = data;
    if (r->rc) return;
    if (r->arena_len + n + 1 > MG_CSV_MAX_RECORD) {
        char w[64];
        where(r->path, r->record, w, sizeof w);
        r->rc = mg_error_set(r->err, MG_ETOOBIG, "%s: %s: record larger than %u bytes", r->path, w,
                             MG_CSV_MAX_RECORD);
        return;
    }
    if (r->arena_len + n + 1 > r->arena_cap) {
        size_t c = r->arena_cap ? r->arena_cap : 4096;
        while (c < r->arena_len + n + 1)
            c *= 2;
        r->arena = mg_xrealloc(r->arena, c);
        r->arena_cap = c;
    }
    if (r->nf == r->fcap) {
        r->fcap = r->fcap ? r->fcap * 2 : 32;
        r->off = mg_xrealloc(r->off, r->fcap * sizeof *r->off);
        r->len = mg_xrealloc(r->len, r->fcap * sizeof *r->len);
        r->ptr = mg_xrealloc(r->ptr, r->fcap * sizeof *r->ptr);
    }
    if (n) memcpy(r->arena + r->arena_len, s, n);
    r->arena[r->arena_len + n] = '\0';
    r->off[r->nf] = r->arena_len;
    r->len[r->nf] = n;
    r->nf++;
    r->arena_len += n + 1;
}

static void on_row(int c, void *data) {
    reader *r = data;
    (void)c;
    if (r->rc || r->nf == 0) return; /* blank lines (and the LF of CRLF) */
    if (r->record == 0) {
        r->header_n = r->nf;
    } else if (r->nf != r->header_n) {
        char w[64];
        where(r->path, r->record, w, sizeof w);
        r->rc = mg_error_set(r->err, MG_EPARSE, "%s: %s: record has %zu fields, the header has %zu", r->path,
                             w, r->nf, r->header_n);
        return;
    }
    for (size_t i = 0; i < r->nf; i++)
        r->ptr[i] = r->arena + r->off[i];
    mg_csv_row row = {.n = r->nf,
                      .field = (const char *const *)r->ptr,
                      .len = r->len,
                      .record = r->record,
                      .path = r->path};
    int rc = r->fn(&row, r->ud, r->err);
    if (rc) {
        r->rc = rc;
        return;
    }
    r->record++;
    r->nf = 0;
    r->arena_len = 0;
}

static int digest_fn(void *ud, const char *p, size_t n) {
    EVP_DigestUpdate(ud, p, n);
    return 0;
}

int mg_csv_stream(const char *path, bool want_digest, mg_csv_row_fn fn, void *ud, mg_csv_result *res,
                  mg_error *err) {
    mg_csv_result local;
    if (!res) res = &local;
    memset(res, 0, sizeof *res);
    int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
    if (fd < 0) return mg_error_set(err, MG_EIO, "%s: %s", path, strerror(errno));
#ifdef POSIX_FADV_SEQUENTIAL
    if (fd > 0) (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    struct csv_parser p;
    init_parser(&p, false);
    reader r = {.path = path, .fn = fn, .ud = ud, .err = err};
    EVP_MD_CTX *md = NULL;
    mg_bgq *q = NULL;
    char *single = NULL;
    if (want_digest) {
        md = EVP_MD_CTX_new();
        if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) abort();
        q = mg_bgq_new(NBUFS, MG_CSV_CHUNK, digest_fn, md);
    } else {
        single = mg_xmalloc(MG_CSV_CHUNK);
    }
    int rc = 0;
    for (;;) {
        char *buf = q ? mg_bgq_acquire(q) : single;
        ssize_t n;
        do
            n = read(fd, buf, MG_CSV_CHUNK);
        while (n < 0 && errno == EINTR);
        if (n < 0) {
            rc = mg_error_set(err, MG_EIO, "%s: read: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0) break;
        if (q) mg_bgq_submit(q, buf, (size_t)n);
        size_t done = csv_parse(&p, buf, (size_t)n, on_field, on_row, &r);
        if (r.rc) {
            rc = r.rc;
            goto out;
        }
        if (done < (size_t)n) {
            if (csv_error(&p) == CSV_EPARSE) {
                uint64_t line = line_of_offset(path, res->bytes + done);
                char w[64];
                if (line)
                    snprintf(w, sizeof w, "line %llu", (unsigned long long)line);
                else
                    snprintf(w, sizeof w, "record %llu", (unsigned long long)r.record + 1);
                rc =
                    mg_error_set(err, MG_EPARSE, "%s: %s: malformed CSV (stray or unescaped quote)", path, w);
            } else {
                char w[64];
                where(path, r.record, w, sizeof w);
                rc = mg_error_set(err, MG_ETOOBIG, "%s: %s: field larger than %u bytes", path, w,
                                  MG_CSV_MAX_FIELD);
            }
            goto out;
        }
        res->bytes += (uint64_t)n;
    }
    if (csv_fini(&p, on_field, on_row, &r) != 0) {
        char w[64];
        where(path, r.record, w, sizeof w);
        rc = mg_error_set(err, MG_EPARSE, "%s: %s: unterminated quoted field", path, w);
        goto out;
    }
    if (r.rc) {
        rc = r.rc;
        goto out;
    }
    if (r.record == 0) {
        rc = mg_error_set(err, MG_EPARSE, "%s: no header row", path);
        goto out;
    }
    res->records = r.record - 1;
out:
    if (q) mg_bgq_finish(q);
    if (md && !rc) {
        unsigned char d[EVP_MAX_MD_SIZE];
        unsigned int dl = 0;
        EVP_DigestFinal_ex(md, d, &dl);
        memcpy(res->digest, "sha256:", 7);
        for (unsigned i = 0; i < dl; i++)
            snprintf(res->digest + 7 + 2 * i, 3, "%02x", d[i]);
    }
    csv_free(&p);
    EVP_MD_CTX_free(md);
    free(single);
    free(r.arena);
    free(r.off);
    free(r.len);
    free(r.ptr);
    if (fd > 0) close(fd);
    return rc;
}

int mg_csv_find_column(const mg_csv_row *header, const char *name) {
    size_t n = strlen(name);
    for (size_t i = 0; i < header->n; i++)
        if (header->len[i] == n && !memcmp(header->field[i], name, n)) return (int)i;
    return -1;
}
