#include "csv/reader.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/bgq.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/utf8.h"
#include "csv/record.h"

/* A slot is [carry][chunk][MG_CSV_PAD]: the unfinished record of the previous slot is
 * copied in front of the new bytes so the parser sees one contiguous region. A longer unfinished
 * record moves to a growable heap buffer (rare: records of 64 KiB and more). */
#define CARRY_MAX (64u * 1024u)
#define SMALL_CHUNK 4096u        /* the smallest read size: a small file gets small slots */
#define DIGEST_SLOTS 4           /* read buffers in flight to the digest thread */
#define PAR_MIN (32u << 20)      /* files smaller than this are parsed on one thread */
#define LINE_CHUNK (64u * 1024u) /* error paths only: a small buffer keeps a refused input cheap */
#define WHERE_LEN 64

/* ---- exact line numbers, on demand (error paths) ---- */

/* Line-number scan state: line ends outside quotes are CR, LF or CRLF; inside a quoted field
 * each LF counts. It follows the parser's rules just far enough to find record starts. */
typedef struct lscan {
    uint64_t nl, rec_line, record, target, found;
    bool pending_cr, row_begun, quoted, quote_seen, in_field, stop;
    uint64_t field_lf;
} lscan;

static void ls_row_end(lscan *l, char c) {
    if (c == '\n' && l->pending_cr && !l->row_begun) { /* the LF of a CRLF */
        l->pending_cr = false;
        l->rec_line = l->nl + 1;
        return;
    }
    l->pending_cr = c == '\r';
    l->nl++;
    if (l->row_begun) {
        if (l->record == l->target && !l->found) l->found = l->rec_line;
        l->record++;
    }
    l->row_begun = false;
    l->rec_line = l->nl + 1;
}

static void ls_field_end(lscan *l) {
    l->nl += l->field_lf;
    l->field_lf = 0;
    l->in_field = l->quoted = l->quote_seen = false;
    l->row_begun = true;
}

static void ls_byte(lscan *l, char c) {
    bool term = c == '\r' || c == '\n';
    if (l->in_field && l->quoted && !l->quote_seen) {
        if (c == '"') l->quote_seen = true;
        l->field_lf += c == '\n';
        return;
    }
    if (l->quote_seen && c == '"') {
        l->quote_seen = false;
        return;
    }
    if (l->in_field && (term || c == ',')) {
        ls_field_end(l);
    } else if (l->in_field) {
        l->stop = c == '"' || l->quote_seen; /* malformed: the parse stops here too */
        return;
    } else if (c == ',' || (term && l->row_begun)) {
        ls_field_end(l);
    } else if (!term) {
        l->in_field = true;
        l->quoted = c == '"';
        return;
    }
    if (term) ls_row_end(l, c);
}

/* Line where record `target` starts (or where the unfinished last record starts); 0 for stdin
 * or an unreadable file. */
static uint64_t line_of_record(const char *path, uint64_t target) {
    if (!strcmp(path, "-")) return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    lscan l = {.rec_line = 1, .target = target};
    char *buf = mg_xmalloc(LINE_CHUNK);
    ssize_t n, from = 0;
    if ((n = read(fd, buf, LINE_CHUNK)) >= (ssize_t)MG_CSV_UTF8_BOM_LEN &&
        !memcmp(buf, MG_CSV_UTF8_BOM, MG_CSV_UTF8_BOM_LEN))
        from = MG_CSV_UTF8_BOM_LEN; /* the parser skips it */
    for (; n > 0 && !l.found && !l.stop; n = read(fd, buf, LINE_CHUNK), from = 0)
        for (ssize_t i = from; i < n && !l.found && !l.stop; i++)
            ls_byte(&l, buf[i]);
    free(buf);
    close(fd);
    return l.found ? l.found : l.rec_line;
}

/* Line number (1-based) of absolute byte offset off in path, by counting LFs; 0 if unknown. */
static uint64_t line_of_offset(const char *path, uint64_t off) {
    if (!strcmp(path, "-")) return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    char *buf = mg_xmalloc(LINE_CHUNK);
    uint64_t line = 1, pos = 0;
    ssize_t n;
    while (pos < off && (n = read(fd, buf, LINE_CHUNK)) > 0) {
        size_t k = off - pos < (uint64_t)n ? (size_t)(off - pos) : (size_t)n;
        for (const char *p = buf, *e = buf + k; (p = memchr(p, '\n', (size_t)(e - p))); p++)
            line++;
        pos += (uint64_t)n;
    }
    free(buf);
    close(fd);
    return line;
}

void mg_csv_where(const char *path, uint64_t record, char *buf, size_t n) {
    uint64_t line = line_of_record(path, record);
    if (line)
        snprintf(buf, n, "line %llu", (unsigned long long)line);
    else
        snprintf(buf, n, "record %llu", (unsigned long long)record + 1);
}

void mg_csv_where_offset(const char *path, uint64_t off, uint64_t record, char *buf, size_t n) {
    uint64_t line = line_of_offset(path, off);
    if (line)
        snprintf(buf, n, "line %llu", (unsigned long long)line);
    else
        snprintf(buf, n, "record %llu", (unsigned long long)record + 1);
}

void mg_csv_row_where(const mg_csv_row *row, char *buf, size_t n) {
    mg_csv_where(row->path, row->record, buf, n);
}

void mg_csv_keep_columns(const mg_csv_row *header, const int *cols, size_t n) {
    mg_csv_parser *p = header->reader_;
    free(p->skip);
    p->nskip = header->n;
    p->skip = mg_xmalloc(header->n);
    memset(p->skip, 1, header->n);
    for (size_t i = 0; i < n; i++)
        if (cols[i] >= 0 && (size_t)cols[i] < header->n) p->skip[cols[i]] = 0;
}

#define COLUMN_LIST_MAX 200 /* bytes of column names an error lists */
#define COLUMN_NAME_MAX 48  /* bytes of one column name it shows */

/* Appends column f[0..n) to the list in b: as it is, or quoted with escapes when it would not
 * read back unambiguously (spaces at either end, a comma, a quote, a control byte, bytes that
 * are not UTF-8, empty); a long name is cut (at a character boundary) and ends in "...". */
static void list_column(mg_buf *b, const char *f, size_t n) {
    size_t shown = n > COLUMN_NAME_MAX ? COLUMN_NAME_MAX : n;
    for (int back = 0; shown < n && back < 3 && ((unsigned char)f[shown] & 0xC0) == 0x80; back++)
        shown--;
    bool plain = n > 0 && f[0] != ' ' && f[n - 1] != ' ' && mg_utf8_valid_prefix(f, shown) == shown;
    for (size_t i = 0; plain && i < shown; i++)
        plain = (unsigned char)f[i] >= 0x20 && f[i] != 0x7f && f[i] != ',' && f[i] != '"';
    if (!plain) mg_buf_append(b, "\"", 1);
    for (size_t i = 0; i < shown;) {
        size_t valid = mg_utf8_valid_prefix(f + i, shown - i);
        for (size_t end = i + valid; i < end; i++) {
            unsigned char c = (unsigned char)f[i];
            if (plain || (c >= 0x20 && c != 0x7f && c != '"'))
                mg_buf_append(b, f + i, 1);
            else if (c == '"')
                mg_buf_append(b, "\\\"", 2);
            else
                mg_buf_printf(b, "\\x%02x", c);
        }
        if (i < shown) mg_buf_printf(b, "\\x%02x", (unsigned char)f[i++]); /* not UTF-8 */
    }
    if (shown < n) mg_buf_append(b, "...", 3);
    if (!plain) mg_buf_append(b, "\"", 1);
}

/* Whether header field f[0..n) is name with spaces around it. */
static bool is_name_with_spaces(const char *f, size_t n, const char *name, size_t name_len) {
    size_t lead = 0, trail = 0;
    while (lead < n && f[lead] == ' ')
        lead++;
    while (trail < n - lead && f[n - 1 - trail] == ' ')
        trail++;
    return lead + trail > 0 && n - lead - trail == name_len && !memcmp(f + lead, name, name_len);
}

int mg_csv_column(const mg_csv_row *header, const char *role, const char *name, int *idx, mg_error *err) {
    size_t name_len = strlen(name), count = 0, listed = 0;
    for (size_t i = 0; i < header->n; i++)
        if (header->len[i] == name_len && !memcmp(header->field[i], name, name_len) && count++ == 0)
            *idx = (int)i;
    mg_buf at; /* "2, 5 and 9" */
    mg_buf_init(&at, MG_BUF_UNCAPPED);
    for (size_t i = 0; i < header->n && count > 1; i++)
        if (header->len[i] == name_len && !memcmp(header->field[i], name, name_len))
            mg_buf_printf(&at, "%s%zu", !listed++ ? "" : listed == count ? " and " : ", ", i + 1);
    int rc = 0;
    if (count == 0)
        rc = mg_csv_missing_column(header, role, name, err);
    else if (count > 1)
        rc =
            mg_error_set(err, MG_EINVAL,
                         "%s %s is in the header %zu times (columns %s, counting from 1): rename all but one",
                         role, name, count, at.data);
    mg_buf_free(&at);
    return rc;
}

int mg_csv_missing_column(const mg_csv_row *header, const char *role, const char *name, mg_error *err) {
    size_t name_len = strlen(name);
    mg_buf b;
    mg_buf_init(&b, MG_BUF_UNCAPPED);
    int rc = 0;
    for (size_t i = 0; i < header->n && !rc; i++) /* the common slip: "a, b" names its second column " b" */
        if (is_name_with_spaces(header->field[i], header->len[i], name, name_len)) {
            list_column(&b, header->field[i], header->len[i]);
            rc = mg_error_set(err, MG_EINVAL,
                              "%s %s is not in the header; its column %s has spaces around the name (in CSV "
                              "they are part of it)",
                              role, name, b.data);
        }
    if (!rc) {
        size_t i = 0;
        for (; i < header->n && b.len < COLUMN_LIST_MAX; i++) {
            if (i) mg_buf_append(&b, ", ", 2);
            list_column(&b, header->field[i], header->len[i]);
        }
        if (i < header->n) mg_buf_printf(&b, ", and %zu more", header->n - i);
        /* one column holding the others: a spreadsheet's export with another separator */
        const char *sep = NULL;
        if (header->n == 1 && memchr(header->field[0], ';', header->len[0])) sep = "semicolons";
        if (header->n == 1 && memchr(header->field[0], '\t', header->len[0])) sep = "tabs";
        rc = mg_error_set(err, MG_EINVAL, "%s %s is not in the header (its columns: %s)%s%s%s", role, name,
                          b.data ? b.data : "", sep ? "; the file seems to separate its fields with " : "",
                          sep ? sep : "", sep ? ", and CSV here means commas" : "");
    }
    mg_buf_free(&b);
    return rc;
}

/* ---- reading: slots, the carried record, the digest ---- */

typedef struct source {
    int fd;
    size_t chunk, carry_max; /* read size and the carry area in front of it */
    bool ranged;             /* pread [off, end) instead of read() */
    uint64_t off, end, bytes;
    mg_bgq *q;           /* digest thread, or NULL: then the two slots alternate */
    EVP_MD_CTX *md_here; /* digest computed on the calling thread (a file of one read) */
    char *slot[2];       /* without q */
    int cur;
    char *carry; /* the unfinished record: in the previous slot or in big */
    size_t carry_len;
    char *big; /* region for long unfinished records */
    size_t big_cap, checked;
    mg_csv_bytes_fn bytes_fn; /* optional: sees every piece read, in order */
    void *bytes_ud;
} source;

static int digest_fn(void *ud, const char *p, size_t n) { return EVP_DigestUpdate(ud, p, n) ? 0 : MG_EIO; }

static ssize_t read_some(source *s, char *dst) {
    for (;;) {
        ssize_t n;
        if (s->ranged) {
            size_t want = s->end - s->off < s->chunk ? (size_t)(s->end - s->off) : s->chunk;
            n = want ? pread(s->fd, dst, want, (off_t)s->off) : 0;
        } else {
            n = read(s->fd, dst, s->chunk);
        }
        if (n >= 0 || errno != EINTR) {
            if (n > 0) s->off += (uint64_t)n;
            return n;
        }
    }
}

/* Puts the carried record and n new bytes (at slot + carry_max) into one region; returns its
 * start. */
static char *join(source *s, char *slot, size_t n) {
    char *fresh = slot + s->carry_max;
    if (s->carry_len <= s->carry_max) {
        if (s->carry_len) memcpy(fresh - s->carry_len, s->carry, s->carry_len);
        return fresh - s->carry_len;
    }
    size_t need = s->carry_len + n + MG_CSV_PAD;
    bool inside = s->big && s->carry >= s->big && s->carry < s->big + s->big_cap;
    if (need > s->big_cap) {
        char *nb = mg_xmalloc(need * 2);
        memcpy(nb, s->carry, s->carry_len);
        free(s->big);
        s->big = nb;
        s->big_cap = need * 2;
    } else if (inside) {
        memmove(s->big, s->carry, s->carry_len);
    } else {
        memcpy(s->big, s->carry, s->carry_len);
    }
    memcpy(s->big + s->carry_len, fresh, n);
    return s->big;
}

/* A long unfinished record is checked with the reference rules each time it doubles, so an
 * early stray quote is reported as such rather than as an oversized record. */
static int check_carry(mg_csv_parser *p, source *s) {
    if (s->carry_len <= s->carry_max) {
        s->checked = 0;
        return 0;
    }
    p->offset = s->off - s->carry_len;
    int rc = 0;
    if (s->carry_len >= 2 * s->checked) {
        s->checked = s->carry_len;
        rc = mg_csv_check_unfinished(p, s->carry, s->carry_len);
    }
    if (!rc && s->carry_len > MG_CSV_MAX_RAW_RECORD) {
        char w[WHERE_LEN];
        mg_csv_where(p->path, p->record, w, sizeof w);
        rc = mg_error_set(p->err, MG_ETOOBIG, "%s: %s: record larger than %u bytes", p->path, w,
                          MG_CSV_MAX_RAW_RECORD);
    }
    return rc;
}

/* Reads and parses until the source ends; the last region is parsed as the end of the input
 * when final (else the unfinished record stays carried for a later call). */
static int pump(mg_csv_parser *p, source *s, bool final, mg_error *err) {
    for (;;) {
        char *slot = s->q ? mg_bgq_acquire(s->q) : s->slot[s->cur ^= 1];
        ssize_t n = read_some(s, slot + s->carry_max);
        if (n < 0) return mg_error_set(err, MG_EIO, "%s: read: %s", p->path, strerror(errno));
        if (s->q) mg_bgq_submit(s->q, slot + s->carry_max, (size_t)n); /* every acquired slot, in order */
        if (s->md_here && n > 0 && !EVP_DigestUpdate(s->md_here, slot + s->carry_max, (size_t)n))
            return mg_error_set(err, MG_EIO, "%s: hashing failed", p->path);
        if (s->bytes_fn && n > 0) s->bytes_fn(s->bytes_ud, slot + s->carry_max, (size_t)n);
        if (n == 0 && !final) return 0;
        s->bytes += (uint64_t)n;
        char *base = join(s, slot, (size_t)n);
        size_t len = s->carry_len + (size_t)n, used = 0;
        p->offset = s->off - len;
        int rc = mg_csv_parse_region(p, base, len, n == 0, &used);
        if (rc || n == 0) return rc;
        s->carry = base + used;
        s->carry_len = len - used;
        if ((rc = check_carry(p, s))) return rc;
    }
}

static void source_free(source *s) {
    free(s->slot[0]);
    free(s->slot[1]);
    free(s->big);
}

static size_t slot_size(const source *s) { return s->carry_max + s->chunk + MG_CSV_PAD; }

static _Atomic size_t forced_read_size; /* mg_csv_set_read_size; 0: the default */

size_t mg_csv_set_read_size(size_t n) { return atomic_exchange(&forced_read_size, n); }

/* Read size: MG_CSV_CHUNK, or less for a smaller regular file (a few KiB for most test
 * inputs), rounded up to SMALL_CHUNK. Returns true when the whole file fits one read. */
static bool source_size(source *s) {
    struct stat st;
    bool one_read = false;
    s->chunk = MG_CSV_CHUNK;
    if (fstat(s->fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size < MG_CSV_CHUNK) {
        s->chunk = ((size_t)st.st_size / SMALL_CHUNK + 1) * SMALL_CHUNK;
        one_read = true;
    }
    size_t forced = atomic_load(&forced_read_size);
    if (forced) {
        s->chunk = forced;
        one_read = false;
    }
    s->carry_max = s->chunk < CARRY_MAX ? s->chunk : CARRY_MAX;
    return one_read;
}

static void alloc_slots(source *s) {
    s->slot[0] = mg_xmalloc(slot_size(s));
    s->slot[1] = mg_xmalloc(slot_size(s));
}

static void source_slots(source *s) {
    source_size(s);
    alloc_slots(s);
}

static void finish_digest(EVP_MD_CTX *md, char out[MG_DIGEST_STR]) {
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int dl = 0;
    if (!EVP_DigestFinal_ex(md, d, &dl)) abort();
    mg_digest_format(d, out);
}

int mg_csv_stream(const char *path, bool want_digest, mg_csv_row_fn fn, void *ud, mg_csv_result *res,
                  mg_error *err) {
    return mg_csv_stream_bytes(path, want_digest, NULL, NULL, fn, ud, res, err);
}

int mg_csv_stream_bytes(const char *path, bool want_digest, mg_csv_bytes_fn bytes_fn, void *bytes_ud,
                        mg_csv_row_fn fn, void *ud, mg_csv_result *res, mg_error *err) {
    mg_csv_result local;
    if (!res) res = &local;
    memset(res, 0, sizeof *res);
    int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
    if (fd < 0) return mg_error_set(err, MG_EIO, "%s: %s", path, strerror(errno));
#ifdef POSIX_FADV_SEQUENTIAL
    if (fd > 0) (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    mg_csv_parser p;
    mg_csv_parser_init(&p, path, fn, ud, err);
    source s = {.fd = fd, .bytes_fn = bytes_fn, .bytes_ud = bytes_ud};
    EVP_MD_CTX *md = NULL;
    bool one_read = source_size(&s);
    if (want_digest) {
        md = EVP_MD_CTX_new();
        if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) abort();
        /* a file of one read is hashed here: starting a thread would cost more than the hash */
        if (one_read)
            s.md_here = md;
        else
            s.q = mg_bgq_new(DIGEST_SLOTS, slot_size(&s), digest_fn, md);
    }
    if (!s.q) alloc_slots(&s);
    int rc = pump(&p, &s, true, err);
    int qrc = s.q ? mg_bgq_finish(s.q) : 0;
    if (!rc && qrc) rc = mg_error_set(err, MG_EIO, "%s: hashing failed", path);
    if (!rc && p.record == 0) rc = mg_error_set(err, MG_EPARSE, "%s: no header row", path);
    if (!rc) {
        res->records = p.record - 1;
        res->bytes = s.bytes;
        if (md) finish_digest(md, res->digest);
    }
    EVP_MD_CTX_free(md);
    source_free(&s);
    mg_csv_parser_free(&p);
    if (fd > 0) close(fd);
    return rc;
}

/* ---- two-thread parse of a regular file ---- */

typedef struct half {
    mg_csv_parser p;
    source s;
    mg_error err;
    int rc;
} half;

/* The second half: the header (for the consumer's column lookup), then its range to the end. */
static void *second_half(void *arg) {
    half *h = arg;
    uint64_t from = h->s.off, to = h->s.end;
    h->s.off = 0;
    h->p.header_only = true;
    int rc = pump(&h->p, &h->s, true, &h->err);
    if (rc == MG_CSV_STOP_HEADER) {
        h->p.header_only = false;
        h->s = (source){.fd = h->s.fd,
                        .chunk = h->s.chunk,
                        .carry_max = h->s.carry_max,
                        .ranged = true,
                        .off = from,
                        .end = to,
                        .slot = {h->s.slot[0], h->s.slot[1]},
                        .big = h->s.big,
                        .big_cap = h->s.big_cap};
        rc = pump(&h->p, &h->s, true, &h->err);
    } else if (!rc) {
        rc = MG_EPARSE; /* no header: let the first half report it */
    }
    h->rc = rc;
    return NULL;
}

/* First line end at or after the middle of the file, + 1; 0 when there is none. */
static uint64_t split_point(int fd, uint64_t size, char *buf) {
    for (uint64_t off = size / 2; off < size;) {
        ssize_t n = pread(fd, buf, MG_CSV_CHUNK, (off_t)off);
        if (n <= 0) return 0;
        char *nl = memchr(buf, '\n', (size_t)n);
        if (nl) return off + (uint64_t)(nl - buf) + 1;
        off += (uint64_t)n;
    }
    return 0;
}

static int two_halves(const char *path, int fd, uint64_t size, uint64_t split, mg_csv_row_fn fn, void *ud,
                      void *ud2, bool *used2, mg_csv_result *res, mg_error *err) {
    half *h2 = mg_xcalloc(1, sizeof *h2);
    mg_csv_parser_init(&h2->p, path, fn, ud2, &h2->err);
    h2->s = (source){.fd = fd, .ranged = true, .off = split, .end = size};
    source_slots(&h2->s);
    pthread_t th;
    if (pthread_create(&th, NULL, second_half, h2) != 0) abort();
    mg_csv_parser p;
    mg_csv_parser_init(&p, path, fn, ud, err);
    source s = {.fd = fd, .ranged = true, .end = split};
    source_slots(&s);
    int rc = pump(&p, &s, false, err);
    /* the speculation holds when the first half ends exactly at a record boundary */
    bool boundary = !rc && s.carry_len == 0 && p.record > 0;
    pthread_join(th, NULL);
    if (boundary && h2->rc == 0) {
        *used2 = true;
        p.record += h2->p.record - 1; /* the second half counted its header too */
        s.bytes = size;
    } else if (!rc) {
        /* not a boundary, or an error in the second half: parse it here, in order, so that any
         * error is reported with the right position */
        s.end = size;
        rc = pump(&p, &s, true, err);
    }
    if (!rc && p.record == 0) rc = mg_error_set(err, MG_EPARSE, "%s: no header row", path);
    if (!rc) {
        res->records = p.record - 1;
        res->bytes = size;
    }
    source_free(&s);
    source_free(&h2->s);
    mg_csv_parser_free(&p);
    mg_csv_parser_free(&h2->p);
    free(h2);
    return rc;
}

int mg_csv_stream2(const char *path, bool want_digest, mg_csv_row_fn fn, void *ud, void *ud2, bool *used2,
                   mg_csv_result *res, mg_error *err) {
    *used2 = false;
    struct stat st;
    int fd = strcmp(path, "-") && !want_digest ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size < PAR_MIN) {
        if (fd >= 0) close(fd);
        return mg_csv_stream(path, want_digest, fn, ud, res, err);
    }
    uint64_t size = (uint64_t)st.st_size;
    char *buf = mg_xmalloc(MG_CSV_CHUNK);
    uint64_t split = split_point(fd, size, buf);
    free(buf);
    mg_csv_result local;
    if (!res) res = &local;
    memset(res, 0, sizeof *res);
    int rc = split && split < size ? two_halves(path, fd, size, split, fn, ud, ud2, used2, res, err)
                                   : mg_csv_stream(path, false, fn, ud, res, err);
    close(fd);
    return rc;
}
