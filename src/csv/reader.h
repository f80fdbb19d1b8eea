/* csv/reader — streaming, bounded-memory CSV reader (RFC 4180) for outside data files.
 *
 * Owns: one parse of one file (or stdin for "-"). Rules: a quote inside an unquoted field, text
 * after a closing quote and an unterminated quoted field are errors; spaces are field content;
 * LF, CRLF and CR line ends are accepted, also inside quoted fields (kept verbatim); blank lines
 * are skipped; bytes pass through unchanged (UTF-8 or not), except that a UTF-8 byte order
 * mark at the start of the file is not part of the first field (mg_csv_row.bom says it was
 * there). The first record is the header; every later record must have as many fields as it.
 *
 * How: the file is read in MG_CSV_CHUNK pieces; csv/scan classifies each piece 64 bytes at a
 * time and the reader walks only the quote, comma, CR and LF bytes. Fields are handed out as
 * pointers into the read buffer; only a quoted field holding doubled quotes is copied (to undo
 * them). A record that does not end in one piece is carried into the next. Anything unusual (a
 * stray quote, a field near the size cap) sends that one record through a byte-at-a-time
 * parser with the same rules, which produces the exact error.
 *
 * Memory: a few read buffers plus one record; a field is capped at MG_CSV_MAX_FIELD bytes, the
 * delivered fields of one record at MG_CSV_MAX_RECORD bytes and a record's bytes in the file at
 * MG_CSV_MAX_RAW_RECORD, so memory never depends on the file size.
 *
 * Line numbers: errors name the 1-based line where the offending record starts (or, for a
 * stray quote, the line of the quote). They are computed only when needed, by re-reading the
 * file up to the record (error paths only). For standard input, which cannot be re-read, the
 * record number is named instead.
 *
 * Ownership: the mg_csv_row handed to the callback and every pointer in it are borrowed and
 * valid only during that callback. Optionally the reader computes the SHA-256 and size of the
 * bytes it read (the file's digest) from the same buffers, on a second thread (core/bgq), or on
 * the calling thread for a regular file that fits one read (a thread costs more than that). The
 * callback always runs on the calling thread (mg_csv_stream2: see there); one reader per
 * thread. */
#ifndef MG_CSV_READER_H
#define MG_CSV_READER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "data/digest.h"

#define MG_CSV_CHUNK (256u * 1024u)
/* The UTF-8 byte order mark the reader skips at the start of a file (mg_csv_row.bom). */
#define MG_CSV_UTF8_BOM "\xEF\xBB\xBF"
#define MG_CSV_UTF8_BOM_LEN (sizeof MG_CSV_UTF8_BOM - 1)
#define MG_CSV_MAX_FIELD (1u << 20)       /* 1 MiB */
#define MG_CSV_MAX_RECORD (4u << 20)      /* 4 MiB of delivered fields */
#define MG_CSV_MAX_RAW_RECORD (16u << 20) /* 16 MiB of file bytes */

typedef struct mg_csv_row {
    size_t n;                 /* number of fields */
    const char *const *field; /* the field's bytes (NOT NUL-terminated; may hold NUL bytes) */
    const size_t *len;        /* byte length of each field */
    const char *const *raw;   /* the field as written in the file (quotes included) */
    const size_t *rawlen;
    /* 1 when raw is the field's canonical RFC 4180 form (what a writer quoting only when needed
     * would write): unquoted, or quoted and holding a quote, comma, CR or LF. Then raw can be
     * copied through unchanged. */
    const unsigned char *canon;
    uint64_t record;  /* 0 for the header, then 1, 2, ... for data records */
    bool bom;         /* header only: the file began with a UTF-8 byte order mark (not in field[0]) */
    const char *path; /* the file being read (for mg_csv_row_where) */
    void *reader_;    /* private */
} mg_csv_row;

/* Called once per record, header first. Return 0 to go on; a non-zero return stops the parse
 * and is returned by mg_csv_stream (fill err before returning MG_E*). */
typedef int (*mg_csv_row_fn)(const mg_csv_row *row, void *ud, mg_error *err);

typedef struct mg_csv_result {
    uint64_t records;           /* data records (header excluded) */
    uint64_t bytes;             /* bytes read */
    char digest[MG_DIGEST_STR]; /* "sha256:<64 hex>" when want_digest, else "" */
} mg_csv_result;

/* Parses path ("-": stdin). Returns 0, the callback's non-zero value, MG_EIO (cannot read),
 * MG_EPARSE (malformed CSV, wrong field count, no header) or MG_ETOOBIG (a size cap). */
int mg_csv_stream(const char *path, bool want_digest, mg_csv_row_fn fn, void *ud, mg_csv_result *res,
                  mg_error *err);

/* Like mg_csv_stream, and bytes_fn (when not NULL) sees every piece of the file as it is read,
 * in order, on the calling thread, before its records are parsed (for a digest of the caller's
 * own; the bytes are borrowed for the call). */
typedef void (*mg_csv_bytes_fn)(void *ud, const char *p, size_t n);
int mg_csv_stream_bytes(const char *path, bool want_digest, mg_csv_bytes_fn bytes_fn, void *bytes_ud,
                        mg_csv_row_fn fn, void *ud, mg_csv_result *res, mg_error *err);

/* Like mg_csv_stream. Without want_digest, a regular file of 32 MiB or more is parsed by two
 * threads: the second half (from the first line end after the middle) runs on a second thread
 * with ud2 — it gets the header first, then that half's records — speculating that the half
 * starts at a record boundary. When the first half ends exactly there, *used2 is set and the
 * caller merges ud2's results into ud's (the records of the two halves are not interleaved in
 * any defined order: only for order-free aggregates). Otherwise (a quoted field spans the
 * split, or the second half failed) ud2's results are to be ignored and the rest is parsed in
 * order on the calling thread, so errors name the right line. With want_digest the file is
 * read once, parsed on the calling thread and hashed from the same buffers on a second one.
 * fn may run on two threads at once, each with its own ud. */
int mg_csv_stream2(const char *path, bool want_digest, mg_csv_row_fn fn, void *ud, void *ud2, bool *used2,
                   mg_csv_result *res, mg_error *err);

/* Writes "line N" (the line where the record starts; re-reads the file) or, for stdin,
 * "record N" into buf. */
void mg_csv_row_where(const mg_csv_row *row, char *buf, size_t n);

/* Called from the header's callback: only the columns listed (indexes into the header) are
 * delivered from now on; every other field arrives empty (its count is still checked). Saves
 * work on fields nobody reads. */
void mg_csv_keep_columns(const mg_csv_row *header, const int *cols, size_t n);

/* Tests and fuzzing only: every later parse (any thread) reads in pieces of n bytes (0: the
 * default sizes), so that records carried across reads are exercised by small inputs. Returns
 * the previous setting. */
size_t mg_csv_set_read_size(size_t n);

/* The one column named name: 0 with *idx, or MG_EINVAL (err filled) when the header has no
 * such column (mg_csv_missing_column) or more than one (a command reading a column must not
 * pick one of two silently). role: "column", "label column", ... */
int mg_csv_column(const mg_csv_row *header, const char *role, const char *name, int *idx, mg_error *err);

/* Fills err (MG_EPARSE, naming path) when the first n bytes of a file show it is not CSV text
 * but compressed data, a zip archive (an .xlsx workbook), Parquet or UTF-16 text, saying what
 * to do instead; else returns 0. The reader applies it to every file (10 bytes suffice). */
int mg_csv_refuse_not_text(const char *path, const char *b, size_t n, mg_error *err);

/* Fills err for a name the header lacks and returns MG_EINVAL: "<role> <name> is not in the
 * header", listing the header's columns (the first ~200 bytes of them; a name is quoted when it
 * has spaces at either end, a comma, a quote or a control byte), or, when a column is the name
 * with spaces around it ("a, b" names its second column " b"), saying so. role: "column",
 * "label column", ... */
int mg_csv_missing_column(const mg_csv_row *header, const char *role, const char *name, mg_error *err);

#endif
