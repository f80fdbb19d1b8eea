#include "csv/record.h"

#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

/* A field is refused when its parsed bytes reach this (the cap plus room for the closing quote
 * and a little slack) and another byte follows. */
#define FIELD_LIMIT (MG_CSV_MAX_FIELD + 64u)
#define FIELDS_INITIAL 32
#define WHERE_LEN 64

enum field_kind { PLAIN, QUOTED, QUOTED_ESC };
/* internal results beside 0 and the error codes (callbacks return 0 or negative codes) */
enum { FALLBACK = 2001, NEED_MORE = 2002 };

void mg_csv_parser_init(mg_csv_parser *p, const char *path, mg_csv_row_fn fn, void *ud, mg_error *err) {
    memset(p, 0, sizeof *p);
    p->path = path;
    p->fn = fn;
    p->ud = ud;
    p->err = err;
}

void mg_csv_parser_free(mg_csv_parser *p) {
    free(p->skip);
    free(p->ptr);
    free(p->raw);
    free(p->len);
    free(p->rawlen);
    free(p->uoff);
    free(p->canon);
    free(p->unesc);
    free(p->blk);
    memset(p, 0, sizeof *p);
}

static void reset_record(mg_csv_parser *p) {
    p->nf = 0;
    p->rec_bytes = 0;
    p->has_unesc = false;
    p->unesc_len = 0;
}

static void grow_fields(mg_csv_parser *p) {
    p->fcap = p->fcap ? p->fcap * 2 : FIELDS_INITIAL;
    p->ptr = mg_xrealloc(p->ptr, p->fcap * sizeof *p->ptr);
    p->raw = mg_xrealloc(p->raw, p->fcap * sizeof *p->raw);
    p->len = mg_xrealloc(p->len, p->fcap * sizeof *p->len);
    p->rawlen = mg_xrealloc(p->rawlen, p->fcap * sizeof *p->rawlen);
    p->uoff = mg_xrealloc(p->uoff, p->fcap * sizeof *p->uoff);
    p->canon = mg_xrealloc(p->canon, p->fcap);
}

/* Undoes the doubled quotes of a quoted field's inside q[0..n) into the arena; returns its
 * offset there and the length in *out. */
static size_t unescape(mg_csv_parser *p, const char *q, size_t n, size_t *out) {
    if (p->unesc_len + n > p->unesc_cap) {
        p->unesc_cap = (p->unesc_len + n) * 2;
        p->unesc = mg_xrealloc(p->unesc, p->unesc_cap);
    }
    size_t off = p->unesc_len, k = 0;
    char *d = p->unesc + off;
    for (size_t i = 0; i < n; i++) {
        d[k++] = q[i];
        if (q[i] == '"') i++; /* the second quote of a pair */
    }
    p->unesc_len += k;
    *out = k;
    return off;
}

static int record_too_big(mg_csv_parser *p) {
    char w[WHERE_LEN];
    mg_csv_where(p->path, p->record, w, sizeof w);
    return mg_error_set(p->err, MG_ETOOBIG, "%s: %s: record larger than %u bytes", p->path, w,
                        MG_CSV_MAX_RECORD);
}

/* Adds one field: raw[0..rawlen) as in the file. Counts it against the record cap (delivered
 * fields only) and stores it unless its column is skipped (its slot holds "" already) or the
 * record already has more fields than the header (it will be refused; only the count matters). */
static inline int add_field(mg_csv_parser *p, const char *raw, size_t rawlen, enum field_kind kind,
                            bool canon) {
    size_t idx = p->nf++;
    if (idx < p->nskip && p->skip[idx]) return 0;
    const char *content = kind == PLAIN ? raw : raw + 1;
    size_t n = kind == PLAIN ? rawlen : rawlen - 2, uoff = SIZE_MAX;
    if (__builtin_expect(kind == QUOTED_ESC, 0)) uoff = unescape(p, content, n, &n);
    if (__builtin_expect(p->rec_bytes + n + 1 > MG_CSV_MAX_RECORD, 0)) return record_too_big(p);
    p->rec_bytes += n + 1;
    if (p->record > 0 && idx >= p->header_n) return 0;
    if (__builtin_expect(idx >= p->fcap, 0)) grow_fields(p);
    p->ptr[idx] = content;
    p->len[idx] = n;
    p->raw[idx] = raw;
    p->rawlen[idx] = rawlen;
    p->uoff[idx] = uoff;
    p->canon[idx] = canon;
    p->has_unesc |= uoff != SIZE_MAX;
    return 0;
}

/* After the header's callback chose the columns to keep, the skipped columns' slots are blanked
 * once; no later record writes them. */
static void blank_skipped(mg_csv_parser *p) {
    while (p->fcap < p->nskip)
        grow_fields(p);
    for (size_t i = 0; i < p->nskip; i++)
        if (p->skip[i]) {
            p->ptr[i] = p->raw[i] = "";
            p->len[i] = p->rawlen[i] = 0;
            p->uoff[i] = SIZE_MAX;
            p->canon[i] = 0;
        }
}

static int deliver_row(mg_csv_parser *p) {
    if (p->record == 0) {
        p->header_n = p->nf;
    } else if (p->nf != p->header_n) {
        char w[WHERE_LEN];
        mg_csv_where(p->path, p->record, w, sizeof w);
        return mg_error_set(p->err, MG_EPARSE, "%s: %s: record has %zu fields, the header has %zu", p->path,
                            w, p->nf, p->header_n);
    }
    for (size_t i = 0; p->has_unesc && i < p->nf; i++)
        if (p->uoff[i] != SIZE_MAX) p->ptr[i] = p->unesc + p->uoff[i];
    mg_csv_row row = {.n = p->nf,
                      .field = p->ptr,
                      .len = p->len,
                      .raw = p->raw,
                      .rawlen = p->rawlen,
                      .canon = p->canon,
                      .record = p->record,
                      .bom = p->record == 0 && p->bom,
                      .path = p->path,
                      .reader_ = p};
    int rc = p->fn(&row, p->ud, p->err);
    if (rc) return rc;
    if (p->record == 0 && p->skip) blank_skipped(p);
    p->record++;
    reset_record(p);
    return p->header_only ? MG_CSV_STOP_HEADER : 0;
}

/* ---- the reference rules, one byte at a time ---- */

enum sstate { ROW_NOT_BEGUN, FIELD_NOT_BEGUN, FIELD_BEGUN, QUOTE_SEEN };

static int malformed(mg_csv_parser *p, size_t at) {
    char w[WHERE_LEN];
    mg_csv_where_offset(p->path, p->offset + at, p->record, w, sizeof w);
    return mg_error_set(p->err, MG_EPARSE, "%s: %s: malformed CSV (stray or unescaped quote)", p->path, w);
}

static int record_error(mg_csv_parser *p, int code, const char *what) {
    char w[WHERE_LEN];
    mg_csv_where(p->path, p->record, w, sizeof w);
    if (code == MG_ETOOBIG)
        return mg_error_set(p->err, code, "%s: %s: field larger than %u bytes", p->path, w, MG_CSV_MAX_FIELD);
    return mg_error_set(p->err, code, "%s: %s: %s", p->path, w, what);
}

/* Ends the field begun at fs (state st) at position i. */
static int end_field(mg_csv_parser *p, const char *b, size_t fs, size_t i, enum sstate st, bool quoted,
                     bool esc) {
    if (st == FIELD_NOT_BEGUN) return add_field(p, b + i, 0, PLAIN, true);
    if (!quoted) return add_field(p, b + fs, i - fs, PLAIN, true);
    return add_field(p, b + fs, i - fs, esc ? QUOTED_ESC : QUOTED, false);
}

/* One record from b[at..len) under the reference rules: a quote opens a quoted field only at
 * its start; inside one, a doubled quote is a quote and a single quote must be followed by a
 * comma, a line end or the end of the input; blank lines before the record are skipped. ep
 * counts a field's parsed bytes (a pending closing quote included) to apply FIELD_LIMIT. Returns
 * 0 (record delivered, *next after it; also at a clean end of input), NEED_MORE, or an error.
 * A parser: one switch over the four states reads best whole, hence its length. */
static int scalar_record(mg_csv_parser *p, const char *b, size_t at, size_t len, bool eof, size_t *next) {
    enum sstate st = ROW_NOT_BEGUN;
    size_t fs = at, ep = 0;
    bool quoted = false, esc = false;
    int rc;
    reset_record(p);
    for (size_t i = at; i < len; i++) {
        if (ep >= FIELD_LIMIT) return record_error(p, MG_ETOOBIG, NULL);
        char c = b[i];
        bool term = c == '\r' || c == '\n';
        switch (st) {
        case ROW_NOT_BEGUN:
        case FIELD_NOT_BEGUN:
            if (term && st == ROW_NOT_BEGUN) continue; /* blank line */
            if (term || c == ',') {
                if ((rc = end_field(p, b, i, i, FIELD_NOT_BEGUN, false, false))) return rc;
                if (c == ',') {
                    st = FIELD_NOT_BEGUN;
                    continue;
                }
                *next = i + 1;
                return deliver_row(p);
            }
            st = FIELD_BEGUN;
            fs = i;
            quoted = c == '"';
            esc = false;
            ep = quoted ? 0 : 1;
            continue;
        case FIELD_BEGUN:
            if (c == '"' && !quoted) return malformed(p, i);
            if (quoted || (!term && c != ',')) {
                ep++;
                if (c == '"') st = QUOTE_SEEN;
                continue;
            }
            break; /* an unquoted field ends */
        case QUOTE_SEEN:
            if (c == '"') {
                st = FIELD_BEGUN;
                esc = true;
                continue;
            }
            if (!term && c != ',') return malformed(p, i);
            if ((rc = end_field(p, b, fs, i, FIELD_BEGUN, true, esc))) return rc; /* closing quote included */
            goto ended;
        }
        if ((rc = end_field(p, b, fs, i, st, quoted, esc))) return rc;
    ended:
        ep = 0;
        if (c == ',') {
            st = FIELD_NOT_BEGUN;
            continue;
        }
        *next = i + 1;
        return deliver_row(p);
    }
    if (!eof) return NEED_MORE;
    *next = len;
    if (st == FIELD_BEGUN && quoted) return record_error(p, MG_EPARSE, "unterminated quoted field");
    if (st == ROW_NOT_BEGUN) return 0;
    if ((rc = end_field(p, b, fs, len, st == QUOTE_SEEN ? FIELD_BEGUN : st, quoted, esc))) return rc;
    return deliver_row(p);
}

/* ---- the fast path over the masks ---- */

/* A quoted field [s, e) holding nq quotes in all: its kind, or -1 when it is not well formed
 * (the reference rules then say how). */
static int quoted_kind(const char *b, size_t s, size_t e, unsigned nq) {
    if (e - s < 2 || b[e - 1] != '"') return -1;
    if (nq == 2) return QUOTED;
    for (size_t i = s + 1; i < e - 1;) {
        const char *q = memchr(b + i, '"', e - 1 - i);
        if (!q) break;
        size_t k = (size_t)(q - b);
        if (k + 1 >= e - 1 || b[k + 1] != '"') return -1;
        i = k + 2;
    }
    return QUOTED_ESC;
}

/* One field [s, e) found by the masks: nq quotes and nsp special bytes that are not field or
 * record ends. Returns 0, an error, or FALLBACK when the reference rules must take the record. */
static int fast_field(mg_csv_parser *p, const char *b, size_t s, size_t e, unsigned nq, unsigned nsp) {
    if (e - s + 2 >= MG_CSV_MAX_FIELD) return FALLBACK; /* near the cap: exact accounting */
    if (nq == 0) return add_field(p, b + s, e - s, PLAIN, true);
    if (b[s] != '"') return FALLBACK;
    int kind = quoted_kind(b, s, e, nq);
    if (kind < 0) return FALLBACK;
    /* a quoted field is canonical when it needs its quotes: anything special inside */
    return add_field(p, b + s, e - s, (enum field_kind)kind, nsp > 2);
}

/* fast_field, with a shortcut for the common case of a plain field of a skipped column: only
 * counted (its slot already holds ""). */
static inline int take_field(mg_csv_parser *p, const char *b, size_t s, size_t e, unsigned nq, unsigned nsp) {
    if (nq == 0 && p->nf < p->nskip && p->skip[p->nf] && e - s + 2 < MG_CSV_MAX_FIELD) {
        p->nf++;
        return 0;
    }
    return fast_field(p, b, s, e, nq, nsp);
}

typedef struct walk {
    const mg_csv_block *blk;
    size_t nblk, bi;
    uint64_t w; /* special bits of block bi not yet visited */
} walk;

static void walk_seek(walk *k, size_t pos) {
    k->bi = pos / MG_CSV_BLOCK;
    k->w = k->bi < k->nblk ? k->blk[k->bi].special & (~0ull << (pos % MG_CSV_BLOCK)) : 0;
}

/* Next special byte's position, or SIZE_MAX; *structural tells whether it ends a field. */
static inline size_t walk_next(walk *k, bool *structural) {
    while (!k->w) {
        if (++k->bi >= k->nblk) return SIZE_MAX;
        k->w = k->blk[k->bi].special;
    }
    unsigned bit = (unsigned)__builtin_ctzll(k->w);
    k->w &= k->w - 1;
    *structural = (k->blk[k->bi].structural >> bit) & 1;
    return k->bi * MG_CSV_BLOCK + bit;
}

/* The reference rules take the record at pos; on success the walk resumes after it. */
static int fallback(mg_csv_parser *p, char *b, size_t len, bool eof, walk *k, size_t *pos) {
    size_t next = len;
    int rc = scalar_record(p, b, *pos, len, eof, &next);
    if (rc) return rc;
    *pos = next;
    walk_seek(k, next);
    return 0;
}

static void classify(mg_csv_parser *p, char *base, size_t len, walk *k) {
    size_t nblk = (len + MG_CSV_BLOCK - 1) / MG_CSV_BLOCK;
    memset(base + len, 0, MG_CSV_PAD);
    if (nblk > p->blk_cap) {
        p->blk_cap = nblk;
        p->blk = mg_xrealloc(p->blk, nblk * sizeof *p->blk);
    }
    mg_csv_classify((const unsigned char *)base, nblk, p->blk);
    *k = (walk){.blk = p->blk, .nblk = nblk};
    walk_seek(k, 0);
}

/* The last record at the end of the input (no line end after it), from pos; fs is where its
 * current field starts. */
static int finish_input(mg_csv_parser *p, char *b, size_t len, size_t pos, size_t fs, unsigned nq,
                        unsigned nsp) {
    if (p->nf == 0 && fs == len) return 0;
    int rc = fast_field(p, b, fs, len, nq, nsp);
    if (rc == FALLBACK) {
        size_t next;
        return scalar_record(p, b, pos, len, true, &next);
    }
    return rc ? rc : deliver_row(p);
}

static int parse_records(mg_csv_parser *p, char *b, size_t len, bool eof, size_t *consumed) {
    walk k;
    classify(p, b, len, &k);
    size_t pos = 0, fs = 0; /* start of the record, of the field */
    unsigned nq = 0, nsp = 0;
    int rc = 0;
    reset_record(p);
    for (;;) {
        bool st;
        size_t i = walk_next(&k, &st);
        if (i == SIZE_MAX) break;
        if (!st) {
            nsp++;
            if (b[i] != '"') continue;
            nq++;
            if (b[fs] == '"') continue;
            rc = FALLBACK; /* a stray quote */
        } else if (p->nf == 0 && fs == i && b[i] != ',') {
            pos = fs = i + 1; /* a blank line (or the LF of a CRLF) */
            continue;
        } else if (!(rc = take_field(p, b, fs, i, nq, nsp))) {
            nq = nsp = 0;
            fs = i + 1;
            if (b[i] != ',') {
                if ((rc = deliver_row(p))) return rc;
                pos = fs;
            }
            continue;
        }
        if (rc != FALLBACK) return rc;
        reset_record(p);
        rc = fallback(p, b, len, eof, &k, &pos);
        if (rc == NEED_MORE) break;
        if (rc) return rc;
        fs = pos;
        nq = nsp = 0;
    }
    if (!eof) {
        *consumed = pos;
        return 0;
    }
    *consumed = len;
    return finish_input(p, b, len, pos, fs, nq, nsp);
}

int mg_csv_check_unfinished(mg_csv_parser *p, char *base, size_t len) {
    size_t next;
    int rc = scalar_record(p, base, 0, len, false, &next);
    reset_record(p);
    return rc == NEED_MORE ? 0 : rc;
}

/* ---- the start of the file ---- */

#define SNIFF_LEN 10 /* the longest signature below (bzip2) */

typedef struct signature {
    const char *magic;
    size_t len;
    const char *what;   /* what the file is */
    const char *decode; /* the command that turns it into CSV text on stdout, or NULL */
} signature;

/* What is often handed to a CSV command by mistake: compressed files, archives (an .xlsx
 * workbook is a zip), Parquet, UTF-16 text. None can begin a CSV header that means anything, and
 * parsed as CSV they give a stray-quote error or a header of binary bytes. */
static const signature not_text[] = {
    {"\x1f\x8b", 2, "gzip-compressed data", "gzip -dc"},
    {"\x28\xb5\x2f\xfd", 4, "zstd-compressed data", "zstd -dc"},
    {"\xfd\x37\x7a\x58\x5a\x00", 6, "xz-compressed data", "xz -dc"},
    {"PK\x03\x04", 4, "a zip archive (an .xlsx workbook is one: save the sheet as CSV UTF-8)", NULL},
    {"PAR1\x15", 5, "a Parquet file (export it as CSV)", NULL},
    {"\xff\xfe", 2, "UTF-16 text", "iconv -f UTF-16 -t UTF-8"},
    {"\xfe\xff", 2, "UTF-16 text", "iconv -f UTF-16 -t UTF-8"},
    /* bzip2: "BZh", the block size digit (the _ matches 1-9), then the block magic (pi in BCD) */
    {"BZh_1AY&SY", SNIFF_LEN, "bzip2-compressed data", "bzip2 -dc"},
};

static bool signature_matches(const signature *sig, const char *b, size_t n) {
    if (n < sig->len) return false;
    for (size_t i = 0; i < sig->len; i++)
        if (sig->magic[i] == '_' ? b[i] < '1' || b[i] > '9' : b[i] != sig->magic[i]) return false;
    return true;
}

int mg_csv_refuse_not_text(const char *path, const char *b, size_t n, mg_error *err) {
    for (size_t i = 0; i < sizeof not_text / sizeof *not_text; i++) {
        const signature *sig = &not_text[i];
        if (!signature_matches(sig, b, n)) continue;
        if (!sig->decode) return mg_error_set(err, MG_EPARSE, "%s: not CSV text: %s", path, sig->what);
        return mg_error_set(
            err, MG_EPARSE,
            "%s: not CSV text: %s; the commands read CSV from standard input as -, e.g. %s %s | "
            "kubectl modelgov COMMAND ... -",
            path, sig->what, sig->decode, strcmp(path, "-") ? path : "FILE");
    }
    return 0;
}

/* A UTF-8 byte order mark at the very start of the file (spreadsheets write one when they
 * export UTF-8) is not part of the header's first field: pandas, DuckDB and R's readers skip it
 * too, and kept it would make that column unfindable by name and a quoted first field a stray
 * quote. Its length at b, or 0. */
static size_t bom_length(const char *b, size_t len) {
    return len >= MG_CSV_UTF8_BOM_LEN && !memcmp(b, MG_CSV_UTF8_BOM, MG_CSV_UTF8_BOM_LEN)
               ? MG_CSV_UTF8_BOM_LEN
               : 0;
}

int mg_csv_parse_region(mg_csv_parser *p, char *b, size_t len, bool eof, size_t *consumed) {
    /* The start of the file. A region ending inside a signature or a mark holds no whole record
     * (none of them holds a line end): nothing is consumed, and the next region starts here again
     * with more bytes. */
    bool at_start = p->offset == 0 && p->record == 0;
    int rc = at_start ? mg_csv_refuse_not_text(p->path, b, len, p->err) : 0;
    if (rc) return rc;
    size_t bom = at_start ? bom_length(b, len) : 0;
    if (!bom) return parse_records(p, b, len, eof, consumed);
    p->bom = true;
    p->offset += bom; /* positions in errors stay file offsets */
    rc = parse_records(p, b + bom, len - bom, eof, consumed);
    p->offset -= bom;
    if (!rc) *consumed += bom;
    return rc;
}
