/* Unit tests for src/csv: the three classification implementations give the same masks; the
 * reader's RFC 4180 rules (quoting, CRLF/LF/CR, embedded newlines, NUL bytes, spaces kept, blank
 * lines, field-count and quote errors naming the line, digest, kept columns, raw/canonical
 * field spans); and a seeded differential run against the same rules on libcsv
 * (tests/fuzz/csv_ref_libcsv.h) over files of MiBs, so records cross read buffers, long
 * records take the carried path and the size caps are reached — sizes the fuzz targets do not
 * get to. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"
#include "csv/reader.h"
#include "csv/scan.h"
#include "plugin/cli.h"
#include "tests/fuzz/csv_ref_libcsv.h"

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void test_scan_impls_agree(void **state) {
    (void)state;
    enum { BLOCKS = 512 };
    static const char alphabet[] = "\",\r\nab \"x";
    unsigned char *buf = mg_xmalloc(BLOCKS * MG_CSV_BLOCK);
    mg_csv_block want[BLOCKS], got[BLOCKS];
    for (int round = 0; round < 20; round++) {
        for (size_t i = 0; i < BLOCKS * MG_CSV_BLOCK; i++)
            buf[i] =
                (unsigned char)(next_rand() % 4
                                    ? (uint64_t)(unsigned char)alphabet[next_rand() % (sizeof alphabet - 1)]
                                    : next_rand());
        mg_csv_set_impl(MG_CSV_IMPL_PORTABLE);
        mg_csv_classify(buf, BLOCKS, want);
        for (mg_csv_impl k = MG_CSV_IMPL_SSE2; k <= MG_CSV_IMPL_AVX2; k++) {
            if (mg_csv_set_impl(k) != k) continue;
            mg_csv_classify(buf, BLOCKS, got);
            assert_memory_equal(want, got, sizeof want);
        }
    }
    /* the portable masks themselves: quotes toggle the inside, commas inside are not structural */
    memset(buf, 'a', MG_CSV_BLOCK * 2);
    memcpy(buf, "a,\"b,c\",d\n", 10);
    buf[MG_CSV_BLOCK - 1] = '"'; /* opens a quote that runs into the next block */
    buf[MG_CSV_BLOCK + 1] = ',';
    mg_csv_set_impl(MG_CSV_IMPL_PORTABLE);
    mg_csv_classify(buf, 2, want);
    assert_int_equal(want[0].structural, (1ull << 1) | (1ull << 7) | (1ull << 9));
    assert_int_equal(want[0].special, (1ull << 1) | (1ull << 2) | (1ull << 4) | (1ull << 6) | (1ull << 7) |
                                          (1ull << 9) | (1ull << 63));
    assert_int_equal(want[1].structural, 0);
    assert_int_equal(want[1].special, 1ull << 1);
    mg_csv_set_impl(MG_CSV_IMPL_AUTO);
    free(buf);
}

static char *write_tmp(const void *data, size_t n) {
    char *path = mg_xstrdup("/tmp/test_csv_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, n), (ssize_t)n);
    close(fd);
    return path;
}

typedef struct collected {
    mg_strvec cells; /* "record:field=value" */
} collected;

static int collect(const mg_csv_row *row, void *ud, mg_error *err) {
    collected *c = ud;
    c->cells.owned = true;
    for (size_t i = 0; i < row->n; i++) {
        char *s = mg_xasprintf("%llu:%zu=%.*s", (unsigned long long)row->record, i, (int)row->len[i],
                               row->field[i]);
        mg_strvec_push(&c->cells, s);
        free(s);
    }
    return 0;
}

/* Quoted commas, doubled quotes, a quoted CRLF, a blank line, spaces, UTF-8, no final newline. */
#define RFC4180_TEXT                                                                                         \
    "a,b,c\r\n"                                                                                              \
    "\"x, y\",\"say \"\"hi\"\"\",\"l1\r\nl2\"\r\n"                                                           \
    "\r\n"                                                                                                   \
    " sp ,,Zo\xc3\xab\n"                                                                                     \
    "q,\"\",last"

static void test_csv_rfc4180(void **state) {
    (void)state;
    char *p = write_tmp(RFC4180_TEXT, sizeof RFC4180_TEXT - 1);
    collected c = {0};
    mg_csv_result res;
    mg_error err;
    assert_int_equal(mg_csv_stream(p, true, collect, &c, &res, &err), 0);
    assert_int_equal(res.records, 3);
    assert_int_equal(res.bytes, sizeof RFC4180_TEXT - 1);
    assert_int_equal(strncmp(res.digest, "sha256:", 7), 0);
    assert_int_equal(c.cells.n, 12);
    assert_string_equal(c.cells.v[3], "1:0=x, y");
    assert_string_equal(c.cells.v[4], "1:1=say \"hi\"");
    assert_string_equal(c.cells.v[5], "1:2=l1\r\nl2");
    assert_string_equal(c.cells.v[6], "2:0= sp "); /* spaces are data */
    assert_string_equal(c.cells.v[7], "2:1=");
    assert_string_equal(c.cells.v[8], "2:2=Zo\xc3\xab");
    assert_string_equal(c.cells.v[11], "3:2=last");
    mg_strvec_free(&c.cells);
    unlink(p);
    free(p);
}

/* The same records and the same digest whatever the read size: a file of one read is hashed on
 * the calling thread, a file of many reads on the digest thread; records carried across small
 * reads keep their fields. */
static void test_csv_read_sizes(void **state) {
    (void)state;
    char *p = write_tmp(RFC4180_TEXT, sizeof RFC4180_TEXT - 1);
    static const size_t sizes[] = {0, 1, 7, 64};
    collected first = {0};
    char digest[MG_DIGEST_STR] = "";
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        mg_csv_set_read_size(sizes[k]);
        collected c = {0};
        mg_csv_result res;
        mg_error err;
        assert_int_equal(mg_csv_stream(p, true, collect, &c, &res, &err), 0);
        assert_int_equal(res.records, 3);
        assert_int_equal(res.bytes, sizeof RFC4180_TEXT - 1);
        if (k == 0) {
            first = c;
            memcpy(digest, res.digest, sizeof digest);
            continue;
        }
        assert_string_equal(res.digest, digest);
        assert_int_equal(c.cells.n, first.cells.n);
        for (size_t i = 0; i < c.cells.n; i++)
            assert_string_equal(c.cells.v[i], first.cells.v[i]);
        mg_strvec_free(&c.cells);
    }
    mg_csv_set_read_size(0);
    /* the whole file's sha256, read apart from the parser */
    char want[MG_DIGEST_STR];
    mg_error err;
    assert_int_equal(mg_file_sha256(p, want, NULL, &err), 0);
    assert_string_equal(digest, want);
    mg_strvec_free(&first.cells);
    unlink(p);
    free(p);
}

static void expect_error(const char *text, int code, const char *needle) {
    char *p = write_tmp(text, strlen(text));
    collected c = {0};
    mg_error err;
    assert_int_equal(mg_csv_stream(p, false, collect, &c, NULL, &err), code);
    if (!strstr(err.message, needle)) fail_msg("\"%s\" not in \"%s\"", needle, err.message);
    mg_strvec_free(&c.cells);
    unlink(p);
    free(p);
}

static void test_csv_errors(void **state) {
    (void)state;
    expect_error("a,b\n\"x\ny\nz\",1\n2,3,4\n", MG_EPARSE, "line 5: record has 3 fields");
    expect_error("a,b\r\n1,2\r\n\"m\r\nl\",3\r\n4,x\"y\r\n", MG_EPARSE, "line 5: malformed");
    expect_error("a,b\n1,2\n3,\"open\n4,5\n", MG_EPARSE, "line 3: unterminated");
    expect_error("a,b\n\"ab\"c,1\n", MG_EPARSE, "line 2: malformed");
    expect_error("", MG_EPARSE, "no header");
    expect_error("a\n", 0, ""); /* header only: fine, 0 records */
}

static void test_csv_nul_bytes(void **state) {
    (void)state;
    static const char text[] = "k,v\n\"a\0b\",2\n";
    char *p = write_tmp(text, sizeof text - 1);
    collected c = {0};
    mg_error err;
    assert_int_equal(mg_csv_stream(p, false, collect, &c, NULL, &err), 0);
    assert_int_equal(c.cells.n, 4);
    assert_int_equal(memcmp(c.cells.v[2], "1:0=a", 6), 0); /* the field holds a NUL */
    mg_strvec_free(&c.cells);
    unlink(p);
    free(p);
}

typedef struct bom_seen {
    collected c;
    int header_bom, data_bom; /* rows that said bom */
} bom_seen;

static int collect_bom(const mg_csv_row *row, void *ud, mg_error *err) {
    bom_seen *b = ud;
    if (row->bom) *(row->record == 0 ? &b->header_bom : &b->data_bom) += 1;
    return collect(row, &b->c, err);
}

/* Parses text at every read size (1 and 2 split the mark across reads), expecting records
 * records, the header's first field first and whether a mark was reported. */
static void expect_bom(const char *text, size_t n, uint64_t records, const char *first, bool bom) {
    char *p = write_tmp(text, n);
    static const size_t sizes[] = {0, 1, 2, 3, 5};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        mg_csv_set_read_size(sizes[k]);
        bom_seen b = {0};
        mg_csv_result res;
        mg_error err;
        assert_int_equal(mg_csv_stream(p, true, collect_bom, &b, &res, &err), 0);
        assert_int_equal(res.records, records);
        assert_int_equal(res.bytes, n); /* the digest and size cover the mark */
        assert_string_equal(b.c.cells.v[0], first);
        assert_int_equal(b.header_bom, bom ? 1 : 0);
        assert_int_equal(b.data_bom, 0);
        mg_strvec_free(&b.c.cells);
    }
    mg_csv_set_read_size(0);
    unlink(p);
    free(p);
}

/* A UTF-8 byte order mark (what spreadsheets put first when they export UTF-8) is skipped at
 * the start of the file only, whatever the read size; it lets a quoted first field be quoted;
 * a part of one, or one anywhere else, is data; errors after it name the right lines. */
static void test_csv_byte_order_mark(void **state) {
    (void)state;
    static const char plain[] = "\xEF\xBB\xBFsex,age\r\nf,30\r\nm,40\r\n";
    expect_bom(plain, sizeof plain - 1, 2, "0:0=sex", true);
    static const char quoted[] = "\xEF\xBB\xBF\"sex\",\"a,ge\"\nf,30\n";
    expect_bom(quoted, sizeof quoted - 1, 1, "0:0=sex", true);
    static const char later[] = "sex\n\xEF\xBB\xBF"
                                "f\n";
    expect_bom(later, sizeof later - 1, 1, "0:0=sex", false);
    char *p = write_tmp(later, sizeof later - 1);
    collected c = {0};
    mg_error err;
    assert_int_equal(mg_csv_stream(p, false, collect, &c, NULL, &err), 0);
    assert_string_equal(c.cells.v[1], "1:0=\xEF\xBB\xBF"
                                      "f"); /* not at the start: data */
    mg_strvec_free(&c.cells);
    unlink(p);
    free(p);
    static const char part[] = "\xEF\xBB,x\n1,2\n"; /* two bytes of a mark are a field's bytes */
    expect_bom(part, sizeof part - 1, 1, "0:0=\xEF\xBB", false);
    static const char two[] = "\xEF\xBB";
    expect_bom(two, sizeof two - 1, 0, "0:0=\xEF\xBB", false);
    expect_error("\xEF\xBB\xBF", MG_EPARSE, "no header");
    expect_error("\xEF\xBB\xBF\"a\",b\n1,2\n3,4,5\n", MG_EPARSE, "line 3: record has 3 fields");
    expect_error("\xEF\xBB\xBF"
                 "a,b\n1,x\"y\n",
                 MG_EPARSE, "line 2: malformed");
    expect_error("\xEF\xBB\xBF\xEF\xBB\xBF\"a\"\n", MG_EPARSE, "line 1: malformed"); /* only one is skipped */
}

static void expect_not_text(const char *text, size_t n, const char *want) {
    char *p = write_tmp(text, n);
    static const size_t sizes[] = {0, 1, 3};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        mg_csv_set_read_size(sizes[k]);
        collected c = {0};
        mg_error err;
        int rc = mg_csv_stream(p, true, collect, &c, NULL, &err);
        mg_csv_set_read_size(0);
        assert_int_equal(rc, MG_EPARSE);
        if (!strstr(err.message, want)) fail_msg("\"%s\" not in \"%s\"", want, err.message);
        assert_int_equal(c.cells.n, 0); /* refused before any record */
        mg_strvec_free(&c.cells);
    }
    unlink(p);
    free(p);
}

/* Compressed files, zip archives (.xlsx), Parquet and UTF-16 text are refused by what they are,
 * with the command that makes CSV of them, whatever the read size; CSV that only looks like
 * one (and any file shorter than a signature) is still CSV. */
static void test_csv_not_text(void **state) {
    (void)state;
    static const char gz[] = "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03";
    expect_not_text(
        gz, sizeof gz - 1,
        "not CSV text: gzip-compressed data; the commands read CSV from standard input as -, e.g. "
        "gzip -dc /tmp/test_csv_");
    expect_not_text("\x28\xb5\x2f\xfd\x24\x05", 6, "zstd-compressed data");
    expect_not_text("\xfd"
                    "7zXZ\x00\x00\x04",
                    8, "xz-compressed data");
    expect_not_text("BZh91AY&SY\x01\x02", 12,
                    "bzip2-compressed data; the commands read CSV from standard input");
    expect_not_text("PK\x03\x04\x14\x00\x06\x00", 8, "not CSV text: a zip archive (an .xlsx workbook is one");
    expect_not_text("PAR1\x15\x04\x15\x80", 8, "a Parquet file");
    expect_not_text("\xff\xfe"
                    "a\x00,\x00"
                    "b\x00",
                    8, "UTF-16 text; the commands read CSV from standard input");
    expect_not_text("\xfe\xff\x00"
                    "a",
                    4, "UTF-16 text");
    expect_not_text("\x1f\x8b", 2, "gzip-compressed data");
    static const char *const csv[] = {"BZhello,x\n1,2\n",
                                      "BZh0AY&SY,x\n1,2\n",
                                      "BZh91AY\n1\n",
                                      "PAR1,x\n1,2\n",
                                      "PK,x\n1,2\n",
                                      "\xEF\xBB"
                                      "a\n1\n",
                                      "a\n1\n",
                                      "a",
                                      "PK"};
    for (size_t i = 0; i < sizeof csv / sizeof *csv; i++) {
        char *p = write_tmp(csv[i], strlen(csv[i]));
        for (size_t size = 0; size < 4; size++) {
            mg_csv_set_read_size(size);
            collected c = {0};
            mg_error err;
            int rc = mg_csv_stream(p, false, collect, &c, NULL, &err);
            mg_csv_set_read_size(0);
            if (rc) fail_msg("%s: %s", csv[i], err.message);
            assert_true(c.cells.n > 0);
            assert_int_equal(strncmp(c.cells.v[0], "0:0=", 4), 0);
            assert_int_equal(c.cells.v[0][4], csv[i][0]); /* the first byte is the first field's */
            mg_strvec_free(&c.cells);
        }
        unlink(p);
        free(p);
    }
}

static int header_column(const mg_csv_row *row, void *ud, mg_error *err) {
    int idx = -1;
    return row->record == 0 ? mg_csv_column(row, "column", ud, &idx, err) : 0;
}

static void expect_missing(const char *text, const char *name, const char *want) {
    char *p = write_tmp(text, strlen(text));
    mg_error err;
    assert_int_equal(mg_csv_stream(p, false, header_column, (void *)name, NULL, &err), MG_EINVAL);
    assert_string_equal(err.message, want);
    unlink(p);
    free(p);
}

/* A name the header lacks: the error lists the columns (quoted when spaces, commas, quotes or
 * control bytes would hide what they are; long names and long lists cut), or points at the
 * column that is the name with spaces around it. */
static void test_csv_missing_column(void **state) {
    (void)state;
    expect_missing("sex,age\n", "race", "column race is not in the header (its columns: sex, age)");
    expect_missing("\xEF\xBB\xBFsex,age\n", "race",
                   "column race is not in the header (its columns: sex, age)");
    expect_missing(
        "sex, age, approved\n", "age",
        "column age is not in the header; its column \" age\" has spaces around the name (in CSV they "
        "are part of it)");
    expect_missing("\"a,b\",\"q\"\"t\",\"\",\"x\ty\",Gr\xC3\xB6\xC3\x9F"
                   "e\n",
                   "c",
                   "column c is not in the header (its columns: \"a,b\", \"q\\\"t\", \"\", \"x\\x09y\", "
                   "Gr\xC3\xB6\xC3\x9F"
                   "e)");
    char wide[2048] = "";
    for (int i = 0; i < 100; i++)
        snprintf(wide + strlen(wide), sizeof wide - strlen(wide), "%scol%02d", i ? "," : "", i);
    snprintf(wide + strlen(wide), sizeof wide - strlen(wide), "\n");
    char want[512];
    snprintf(want, sizeof want, "column c is not in the header (its columns: ");
    for (int i = 0; i < 29; i++)
        snprintf(want + strlen(want), sizeof want - strlen(want), "%scol%02d", i ? ", " : "", i);
    snprintf(want + strlen(want), sizeof want - strlen(want), ", and 71 more)");
    expect_missing(wide, "c", want);
    char longname[128];
    snprintf(longname, sizeof longname, "%.47s\xC3\xA9tail,b\n", /* a two-byte character across the cut */
             "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn");
    char want2[256];
    snprintf(want2, sizeof want2, "column c is not in the header (its columns: %.47s..., b)", longname);
    expect_missing(longname, "c", want2);
    expect_missing("caf\xE9,Gr\xC3\xB6\xC3\x9F"
                   "e\n",
                   "c", /* not UTF-8: escaped, the rest as it is */
                   "column c is not in the header (its columns: \"caf\\xe9\", Gr\xC3\xB6\xC3\x9F"
                   "e)");
    expect_missing(
        "sex;age;approved\n", "age", /* a European spreadsheet's export */
        "column age is not in the header (its columns: sex;age;approved); the file seems to separate "
        "its fields with semicolons, and CSV here means commas");
    expect_missing(
        "sex\tage\n", "age",
        "column age is not in the header (its columns: \"sex\\x09age\"); the file seems to separate its "
        "fields with tabs, and CSV here means commas");
    /* a name twice or more: a reader of that column must not pick one silently */
    expect_missing(
        "email,id,email,x,email\n", "email",
        "column email is in the header 3 times (columns 1, 3 and 5, counting from 1): rename all but one");
    expect_missing(
        "a,b,a\n", "a",
        "column a is in the header 2 times (columns 1 and 3, counting from 1): rename all but one");
    char *p = write_tmp("a,b,c\n", 6);
    mg_error err;
    assert_int_equal(mg_csv_stream(p, false, header_column, "c", NULL, &err), 0);
    unlink(p);
    free(p);
}

static int keep_second(const mg_csv_row *row, void *ud, mg_error *err) {
    if (row->record == 0) {
        int col = 1;
        mg_csv_keep_columns(row, &col, 1);
    }
    return collect(row, ud, err);
}

static void test_csv_keep_columns(void **state) {
    (void)state;
    static const char text[] = "a,b,c\n1,2,3\n4,5,6\n";
    char *p = write_tmp(text, sizeof text - 1);
    collected c = {0};
    mg_error err;
    assert_int_equal(mg_csv_stream(p, false, keep_second, &c, NULL, &err), 0);
    assert_int_equal(c.cells.n, 9);
    assert_string_equal(c.cells.v[3], "1:0=");
    assert_string_equal(c.cells.v[4], "1:1=2");
    assert_string_equal(c.cells.v[5], "1:2=");
    mg_strvec_free(&c.cells);
    /* a small file: the two-thread entry point parses it on one thread, with ud */
    bool used2 = true;
    collected c2 = {0};
    assert_int_equal(mg_csv_stream2(p, true, collect, &c, &c2, &used2, NULL, &err), 0);
    assert_false(used2);
    assert_int_equal(c.cells.n, 9);
    assert_int_equal(c2.cells.n, 0);
    mg_strvec_free(&c.cells);
    unlink(p);
    free(p);
}

static int check_raw(const mg_csv_row *row, void *ud, mg_error *err) {
    (void)err;
    mg_strvec *out = ud;
    out->owned = true;
    for (size_t i = 0; i < row->n; i++) {
        char *s = mg_xasprintf("%d|%.*s", row->canon[i], (int)row->rawlen[i], row->raw[i]);
        mg_strvec_push(out, s);
        free(s);
    }
    return 0;
}

static void test_csv_raw_spans(void **state) {
    (void)state;
    static const char text[] = "a,\"b\",\"c,d\",\"e\"\"f\",\"\"\n";
    char *p = write_tmp(text, sizeof text - 1);
    mg_strvec got = {0};
    mg_error err;
    assert_int_equal(mg_csv_stream(p, false, check_raw, &got, NULL, &err), 0);
    assert_int_equal(got.n, 5);
    assert_string_equal(got.v[0], "1|a");
    assert_string_equal(got.v[1], "0|\"b\"");      /* quotes not needed: not canonical */
    assert_string_equal(got.v[2], "1|\"c,d\"");    /* needed: copied as is */
    assert_string_equal(got.v[3], "1|\"e\"\"f\""); /* a doubled quote stays in the raw span */
    assert_string_equal(got.v[4], "0|\"\"");
    mg_strvec_free(&got);
    unlink(p);
    free(p);
}

/* ---- differential run on generated files against libcsv ---- */

typedef struct diffsum {
    uint64_t h, rows;
} diffsum;

static uint64_t mix(uint64_t h, const void *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        h ^= ((const unsigned char *)p)[i];
        h *= 1099511628211ull;
    }
    return h;
}

static uint64_t fold(uint64_t h, uint64_t record, size_t n, const char *const *f, const size_t *len) {
    h = mix(h, &record, sizeof record);
    for (size_t i = 0; i < n; i++) {
        h = mix(h, &len[i], sizeof len[i]);
        h = mix(h, f[i], len[i]);
    }
    return h;
}

static int diff_ref_row(uint64_t record, size_t n, char **f, const size_t *len, void *ud) {
    diffsum *d = ud;
    d->h = fold(d->h, record, n, (const char *const *)f, len);
    d->rows++;
    return 0;
}

static int diff_new_row(const mg_csv_row *row, void *ud, mg_error *err) {
    (void)err;
    diffsum *d = ud;
    d->h = fold(d->h, row->record, row->n, row->field, row->len);
    d->rows++;
    return 0;
}

typedef struct gbuf {
    char *p;
    size_t n, cap;
} gbuf;

static void gen_put(gbuf *b, char c) {
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 1 << 16;
        b->p = mg_xrealloc(b->p, b->cap);
    }
    b->p[b->n++] = c;
}

static void gen_str(gbuf *b, const char *s) {
    while (*s)
        gen_put(b, *s++);
}

/* Appends one field of roughly `size` bytes in a random style (plain, quoted, with doubled
 * quotes and embedded line ends). */
static void gen_field(gbuf *b, size_t size) {
    int style = (int)(next_rand() % 4);
    if (style == 0) {
        for (size_t i = 0; i < size; i++)
            gen_put(b, (char)('a' + next_rand() % 26));
        return;
    }
    gen_put(b, '"');
    for (size_t i = 0; i < size; i++) {
        uint64_t r = next_rand() % 40;
        gen_put(b, r == 0 && style >= 2   ? '"'
                   : r == 1 && style == 3 ? '\n'
                   : r == 2               ? ','
                                          : (char)('a' + r % 26));
        if (r == 0 && style >= 2) gen_put(b, '"');
    }
    gen_put(b, '"');
}

static const char *const line_ends[] = {"\n", "\r\n", "\r"};

/* A file of about `bytes` bytes: a 5-column header, then records of 5 fields whose sizes are
 * mostly small and sometimes up to max_field; random line ends, some blank lines. */
static void gen_file(gbuf *b, size_t bytes, size_t max_field) {
    gen_str(b, "c1,c2,c3,c4,c5\n");
    while (b->n < bytes) {
        for (int f = 0; f < 5; f++) {
            if (f) gen_put(b, ',');
            size_t size = next_rand() % 50 ? next_rand() % 20 : next_rand() % (max_field + 1);
            gen_field(b, size);
        }
        gen_str(b, line_ends[next_rand() % 3]);
        if (next_rand() % 50 == 0) gen_str(b, line_ends[next_rand() % 3]);
    }
}

/* Both readers on b: same result code, message, records and fields; with every classification
 * implementation when all_impls, else with the one the CPU picks (keeps the sanitizer run short). */
static void diff_check(const char *name, const gbuf *b, bool all_impls) {
    char *p = write_tmp(b->p, b->n);
    mg_error want_err = {0}, got_err = {0};
    diffsum want = {0}, got = {0};
    uint64_t want_rows = 0;
    int want_rc = ref_csv_parse(p, b->p, b->n, diff_ref_row, &want, &want_rows, &want_err);
    for (mg_csv_impl k = all_impls ? MG_CSV_IMPL_PORTABLE : MG_CSV_IMPL_AVX2; k <= MG_CSV_IMPL_AVX2; k++) {
        mg_csv_set_impl(all_impls ? k : MG_CSV_IMPL_AUTO);
        memset(&got, 0, sizeof got);
        mg_csv_result res;
        int got_rc = mg_csv_stream(p, k == MG_CSV_IMPL_AVX2, diff_new_row, &got, &res, &got_err);
        if (got_rc != want_rc || got.h != want.h || got.rows != want.rows)
            fail_msg("%s (%s): rc %d/%d, rows %llu/%llu, fields %s; \"%s\" vs \"%s\"", name,
                     mg_csv_impl_name(), got_rc, want_rc, (unsigned long long)got.rows,
                     (unsigned long long)want.rows, got.h == want.h ? "same" : "differ", got_err.message,
                     want_err.message);
        if (want_rc && strcmp(got_err.message, want_err.message))
            fail_msg("%s: \"%s\" vs \"%s\"", name, got_err.message, want_err.message);
        if (!want_rc) assert_int_equal(res.bytes, b->n);
    }
    mg_csv_set_impl(MG_CSV_IMPL_AUTO);
    unlink(p);
    free(p);
}

static void test_csv_differential_large(void **state) {
    (void)state;
    gbuf b = {0};
    /* many records across 256 KiB reads, some longer than the 64 KiB carry area */
    gen_file(&b, 3u << 19, 200000);
    diff_check("mixed 1.5 MiB", &b, true);
    size_t clean = b.n;
    /* late errors: a stray quote, a short record, an unterminated quoted field */
    static const char *const tails[] = {"x,y\"z,1,2,3\n", "1,2\n", "\"open,2,3,4,5\n6,7"};
    for (size_t t = 0; t < sizeof tails / sizeof *tails; t++) {
        b.n = clean;
        gen_str(&b, tails[t]);
        diff_check(tails[t], &b, false);
    }
    /* a quote error inside a record that spans reads */
    b.n = clean;
    gen_str(&b, "\"");
    for (int i = 0; i < 300000; i++)
        gen_put(&b, i % 1000 ? 'q' : '\n');
    gen_str(&b, "\"x,2,3,4,5\n");
    diff_check("after-quote error in a long record", &b, false);
    free(b.p);
}

static void test_csv_caps(void **state) {
    (void)state;
    /* fields around the field cap (quoted and not, at the end of the input and not), and a
     * record over the record cap */
    static const long deltas[] = {-2, -1, 0, 1};
    for (int quoted = 0; quoted < 2; quoted++)
        for (int at_end = 0; at_end < 2; at_end++)
            for (size_t d = 0; d < sizeof deltas / sizeof *deltas; d++) {
                gbuf b = {0};
                gen_str(&b, "h,k\n");
                if (quoted) gen_put(&b, '"');
                size_t n = (size_t)((long)MG_CSV_MAX_FIELD + 64 + deltas[d]);
                for (size_t i = 0; i < n; i++)
                    gen_put(&b, i % 97 == 5 && quoted ? ',' : 'v');
                if (quoted) gen_put(&b, '"');
                gen_str(&b, at_end ? ",1" : ",1\n2,3\n");
                char name[64];
                snprintf(name, sizeof name, "field cap %+ld quoted %d end %d", deltas[d], quoted, at_end);
                diff_check(name, &b, false);
                free(b.p);
            }
    gbuf b = {0};
    gen_str(&b, "a,b,c,d,e\n");
    for (int f = 0; f < 5; f++) {
        if (f) gen_put(&b, ',');
        for (size_t i = 0; i < MG_CSV_MAX_FIELD - 10; i++)
            gen_put(&b, 'r');
    }
    gen_put(&b, '\n');
    diff_check("record cap", &b, false);
    free(b.p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_impls_agree),   cmocka_unit_test(test_csv_rfc4180),
        cmocka_unit_test(test_csv_read_sizes),     cmocka_unit_test(test_csv_errors),
        cmocka_unit_test(test_csv_nul_bytes),      cmocka_unit_test(test_csv_keep_columns),
        cmocka_unit_test(test_csv_raw_spans),      cmocka_unit_test(test_csv_differential_large),
        cmocka_unit_test(test_csv_caps),           cmocka_unit_test(test_csv_byte_order_mark),
        cmocka_unit_test(test_csv_missing_column), cmocka_unit_test(test_csv_not_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
