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

typedef struct reader {
    const char *path;
    mg_csv_row_fn fn;
    void *ud;
    mg_error *err;
    int rc;            /* first non-zero result; later callbacks are ignored */
    uint64_t nl;       /* line breaks consumed by completed fields/records */
    uint64_t rec_line; /* line where the current record starts */
    bool pending_cr;   /* the last record ended with CR: a following LF is its partner */
    uint64_t record;   /* next record number (0 = header) */
    size_t header_n;   /* field count of the header */
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

static int keep_spaces(unsigned char c) {
    (void)c;
    return 0;
}

static void on_field(void *s, size_t n, void *data) {
    reader *r = data;
    if (r->rc) return;
    const char *f = s;
    if (n && memchr(f, '\n', n)) {
        for (size_t i = 0; i < n; i++)
            if (f[i] == '\n') r->nl++;
    }
    if (r->arena_len + n + 1 > MG_CSV_MAX_RECORD) {
        r->rc = mg_error_set(r->err, MG_ETOOBIG, "%s: line %llu: record larger than %u bytes", r->path,
                             (unsigned long long)r->rec_line, MG_CSV_MAX_RECORD);
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
    if (n) memcpy(r->arena + r->arena_len, f, n);
    r->arena[r->arena_len + n] = '\0';
    r->off[r->nf] = r->arena_len;
    r->len[r->nf] = n;
    r->nf++;
    r->arena_len += n + 1;
}

static void on_row(int c, void *data) {
    reader *r = data;
    if (r->rc) return;
    if (c == '\n' && r->pending_cr && r->nf == 0) { /* the LF of a CRLF */
        r->pending_cr = false;
        r->rec_line = r->nl + 1;
        return;
    }
    r->pending_cr = (c == '\r');
    if (c == '\r' || c == '\n') r->nl++;
    if (r->nf > 0) {
        if (r->record == 0) {
            r->header_n = r->nf;
        } else if (r->nf != r->header_n) {
            r->rc =
                mg_error_set(r->err, MG_EPARSE, "%s: line %llu: record has %zu fields, the header has %zu",
                             r->path, (unsigned long long)r->rec_line, r->nf, r->header_n);
            return;
        }
        for (size_t i = 0; i < r->nf; i++)
            r->ptr[i] = r->arena + r->off[i];
        mg_csv_row row = {.n = r->nf,
                          .field = (const char *const *)r->ptr,
                          .len = r->len,
                          .line = r->rec_line,
                          .record = r->record};
        int rc = r->fn(&row, r->ud, r->err);
        if (rc) {
            r->rc = rc;
            return;
        }
        r->record++;
    }
    r->nf = 0;
    r->arena_len = 0;
    r->rec_line = r->nl + 1;
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
    csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL);
    csv_set_space_func(&p, keep_spaces);
    csv_set_realloc_func(&p, capped_realloc);
    csv_set_blk_size(&p, 4096);
    reader r = {.path = path, .fn = fn, .ud = ud, .err = err, .rec_line = 1};
    EVP_MD_CTX *md = NULL;
    if (want_digest) {
        md = EVP_MD_CTX_new();
        if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) abort();
    }
    char *buf = mg_xmalloc(MG_CSV_CHUNK);
    int rc = 0;
    for (;;) {
        ssize_t n = read(fd, buf, MG_CSV_CHUNK);
        if (n < 0) {
            if (errno == EINTR) continue;
            rc = mg_error_set(err, MG_EIO, "%s: read: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0) break;
        if (md) EVP_DigestUpdate(md, buf, (size_t)n);
        size_t done = csv_parse(&p, buf, (size_t)n, on_field, on_row, &r);
        if (r.rc) {
            rc = r.rc;
            goto out;
        }
        if (done < (size_t)n) {
            int e = csv_error(&p);
            if (e == CSV_EPARSE) {
                uint64_t line = line_of_offset(path, res->bytes + done);
                rc = mg_error_set(err, MG_EPARSE, "%s: line %llu: malformed CSV (stray or unescaped quote)",
                                  path, (unsigned long long)(line ? line : r.rec_line));
            } else {
                rc = mg_error_set(err, MG_ETOOBIG, "%s: line %llu: field larger than %u bytes", path,
                                  (unsigned long long)r.rec_line, MG_CSV_MAX_FIELD);
            }
            goto out;
        }
        res->bytes += (uint64_t)n;
    }
    if (csv_fini(&p, on_field, on_row, &r) != 0) {
        rc = mg_error_set(err, MG_EPARSE, "%s: line %llu: unterminated quoted field", path,
                          (unsigned long long)r.rec_line);
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
    if (md) {
        unsigned char d[EVP_MAX_MD_SIZE];
        unsigned int dl = 0;
        EVP_DigestFinal_ex(md, d, &dl);
        memcpy(res->digest, "sha256:", 7);
        for (unsigned i = 0; i < dl; i++)
            snprintf(res->digest + 7 + 2 * i, 3, "%02x", d[i]);
    }
out:
    csv_free(&p);
    EVP_MD_CTX_free(md);
    free(buf);
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
