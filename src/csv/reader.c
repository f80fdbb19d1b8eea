#include "csv/reader.h"

#include <csv.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"
#include "core/bgq.h"

#define NBUFS 4
#define STOP_HEADER 1000    /* internal: the header-only parse is done */
#define PAR_MIN (32u << 20) /* files smaller than this are parsed on one thread */

typedef struct reader {
    const char *path;
    mg_csv_row_fn fn;
    void *ud;
    mg_error *err;
    int rc;              /* first non-zero result; later callbacks are ignored */
    bool header_only;    /* stop (rc = STOP_HEADER) once the header has been delivered */
    unsigned char *skip; /* per column: 1 = deliver it empty (mg_csv_keep_columns) */
    size_t nskip;
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
    if (r->nf < r->nskip && r->skip[r->nf]) { /* unread column: no copy */
        r->off[r->nf] = SIZE_MAX;
        r->len[r->nf++] = 0;
        return;
    }
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
        r->ptr[i] = r->off[i] == SIZE_MAX ? "" : r->arena + r->off[i];
    mg_csv_row row = {.n = r->nf,
                      .field = (const char *const *)r->ptr,
                      .len = r->len,
                      .record = r->record,
                      .path = r->path,
                      .reader_ = r};
    int rc = r->fn(&row, r->ud, r->err);
    if (rc) {
        r->rc = rc;
        return;
    }
    r->record++;
    r->nf = 0;
    r->arena_len = 0;
    if (r->header_only) r->rc = STOP_HEADER;
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
    free(r.skip);
    free(r.arena);
    free(r.off);
    free(r.len);
    free(r.ptr);
    if (fd > 0) close(fd);
    return rc;
}

void mg_csv_keep_columns(const mg_csv_row *header, const int *cols, size_t n) {
    reader *r = header->reader_;
    free(r->skip);
    r->nskip = header->n;
    r->skip = mg_xmalloc(header->n);
    memset(r->skip, 1, header->n);
    for (size_t i = 0; i < n; i++)
        if (cols[i] >= 0 && (size_t)cols[i] < header->n) r->skip[cols[i]] = 0;
}

int mg_csv_find_column(const mg_csv_row *header, const char *name) {
    size_t n = strlen(name);
    for (size_t i = 0; i < header->n; i++)
        if (header->len[i] == n && !memcmp(header->field[i], name, n)) return (int)i;
    return -1;
}

/* ---- two-thread parse of a regular file ---- */

/* Parses bytes [from, to) of fd (pread) into r/p. Returns 0 or an error (err filled). */
static int parse_range(reader *r, struct csv_parser *p, int fd, uint64_t from, uint64_t to, char *buf,
                       const atomic_bool *cancel, mg_error *err) {
    while (from < to) {
        if (cancel && atomic_load(cancel)) return MG_ECANCELED;
        size_t want = to - from < MG_CSV_CHUNK ? (size_t)(to - from) : MG_CSV_CHUNK;
        ssize_t n = pread(fd, buf, want, (off_t)from);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return mg_error_set(err, MG_EIO, "%s: read: %s", r->path, strerror(errno));
        if (n == 0) break;
        size_t done = csv_parse(p, buf, (size_t)n, on_field, on_row, r);
        if (r->rc) return r->rc;
        if (done < (size_t)n) {
            char w[64];
            if (csv_error(p) == CSV_EPARSE) {
                snprintf(w, sizeof w, "line %llu", (unsigned long long)line_of_offset(r->path, from + done));
                return mg_error_set(err, MG_EPARSE, "%s: %s: malformed CSV (stray or unescaped quote)",
                                    r->path, w);
            }
            where(r->path, r->record, w, sizeof w);
            return mg_error_set(err, MG_ETOOBIG, "%s: %s: field larger than %u bytes", r->path, w,
                                MG_CSV_MAX_FIELD);
        }
        from += (uint64_t)n;
    }
    return 0;
}

typedef struct half {
    reader r;
    struct csv_parser p;
    int fd;
    uint64_t from, to;
    atomic_bool cancel;
    mg_error err;
    int rc;
} half;

/* The second half: header (for the consumer's column lookup), then [from, to) and fini. */
static void *second_half(void *arg) {
    half *h = arg;
    char *buf = mg_xmalloc(MG_CSV_CHUNK);
    h->r.header_only = true;
    int rc = parse_range(&h->r, &h->p, h->fd, 0, h->to, buf, &h->cancel, &h->err);
    if (rc == STOP_HEADER) {
        csv_free(&h->p);
        init_parser(&h->p, false);
        h->r.header_only = false;
        h->r.rc = 0;
        h->r.nf = 0;
        h->r.arena_len = 0;
        rc = parse_range(&h->r, &h->p, h->fd, h->from, h->to, buf, &h->cancel, &h->err);
        if (!rc && csv_fini(&h->p, on_field, on_row, &h->r) != 0) rc = MG_EPARSE;
        if (!rc) rc = h->r.rc;
    } else if (!rc) {
        rc = MG_EPARSE; /* no header: let the first half report it */
    }
    h->rc = rc;
    free(buf);
    return NULL;
}

typedef struct hasher {
    int fd;
    uint64_t size;
    EVP_MD_CTX *md;
    int rc;
} hasher;

static void *hash_file(void *arg) {
    hasher *h = arg;
    size_t cap = 1u << 20;
    char *buf = mg_xmalloc(cap);
    for (uint64_t off = 0; off < h->size;) {
        ssize_t n = pread(h->fd, buf, cap, (off_t)off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            h->rc = MG_EIO;
            break;
        }
        EVP_DigestUpdate(h->md, buf, (size_t)n);
        off += (uint64_t)n;
    }
    free(buf);
    return NULL;
}

int mg_csv_stream2(const char *path, bool want_digest, mg_csv_row_fn fn, void *ud, void *ud2, bool *used2,
                   mg_csv_result *res, mg_error *err) {
    *used2 = false;
    struct stat st;
    int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size < PAR_MIN) {
        if (fd >= 0) close(fd);
        return mg_csv_stream(path, want_digest, fn, ud, res, err);
    }
    uint64_t size = (uint64_t)st.st_size, split = 0;
    char *buf = mg_xmalloc(MG_CSV_CHUNK);
    for (uint64_t off = size / 2; off < size && !split;) { /* first LF after the middle */
        ssize_t n = pread(fd, buf, MG_CSV_CHUNK, (off_t)off);
        if (n <= 0) break;
        char *nl = memchr(buf, '\n', (size_t)n);
        if (nl) split = off + (uint64_t)(nl - buf) + 1;
        off += (uint64_t)n;
    }
    if (!split || split >= size) {
        free(buf);
        close(fd);
        return mg_csv_stream(path, want_digest, fn, ud, res, err);
    }
    mg_csv_result local;
    if (!res) res = &local;
    memset(res, 0, sizeof *res);
    hasher hs = {.fd = fd, .size = size};
    pthread_t hth, sth;
    if (want_digest) {
        hs.md = EVP_MD_CTX_new();
        if (!hs.md || !EVP_DigestInit_ex(hs.md, EVP_sha256(), NULL)) abort();
        if (pthread_create(&hth, NULL, hash_file, &hs) != 0) abort();
    }
    half *h2 = mg_xcalloc(1, sizeof *h2);
    h2->r = (reader){.path = path, .fn = fn, .ud = ud2, .err = &h2->err};
    init_parser(&h2->p, false);
    h2->fd = fd;
    h2->from = split;
    h2->to = size;
    atomic_init(&h2->cancel, false);
    if (pthread_create(&sth, NULL, second_half, h2) != 0) abort();

    struct csv_parser p;
    init_parser(&p, false);
    reader r = {.path = path, .fn = fn, .ud = ud, .err = err};
    int rc = parse_range(&r, &p, fd, 0, split, buf, NULL, err);
    /* the speculation holds when the first half ends exactly at a record boundary */
    bool boundary = !rc && p.pstate == 0 && r.nf == 0 && r.record > 0;
    if (!boundary) atomic_store(&h2->cancel, true);
    pthread_join(sth, NULL);
    if (!rc && boundary && h2->rc == 0) {
        *used2 = true;
        r.record += h2->r.record - 1; /* the second half counted its header too */
    } else if (!rc) {
        /* not a boundary, or an error in the second half: parse it here, in order, so that
         * any error is reported with the right position */
        rc = parse_range(&r, &p, fd, split, size, buf, NULL, err);
        if (!rc && csv_fini(&p, on_field, on_row, &r) != 0) {
            char w[64];
            where(path, r.record, w, sizeof w);
            rc = mg_error_set(err, MG_EPARSE, "%s: %s: unterminated quoted field", path, w);
        }
        if (!rc) rc = r.rc;
    }
    if (!rc && r.record == 0) rc = mg_error_set(err, MG_EPARSE, "%s: no header row", path);
    if (want_digest) pthread_join(hth, NULL);
    if (!rc) {
        res->records = r.record - 1;
        res->bytes = size;
        if (want_digest) {
            if (hs.rc) {
                rc = mg_error_set(err, MG_EIO, "%s: read failed while hashing", path);
            } else {
                unsigned char d[EVP_MAX_MD_SIZE];
                unsigned int dl = 0;
                EVP_DigestFinal_ex(hs.md, d, &dl);
                memcpy(res->digest, "sha256:", 7);
                for (unsigned i = 0; i < dl; i++)
                    snprintf(res->digest + 7 + 2 * i, 3, "%02x", d[i]);
            }
        }
    }
    EVP_MD_CTX_free(hs.md);
    csv_free(&p);
    csv_free(&h2->p);
    free(h2->r.skip);
    free(h2->r.arena);
    free(h2->r.off);
    free(h2->r.len);
    free(h2->r.ptr);
    free(h2);
    free(r.skip);
    free(r.arena);
    free(r.off);
    free(r.len);
    free(r.ptr);
    free(buf);
    close(fd);
    return rc;
}
