/* plugin/csvstream — streaming, bounded-memory CSV reader on top of libcsv (RFC 4180).
 *
 * Owns: one parse of one file (or stdin for "-"). The file is read in fixed 256 KiB chunks
 * and handed to libcsv in strict mode (a quote inside an unquoted field, text after a closing
 * quote and an unterminated quoted field are errors); spaces are kept as field content (libcsv
 * trims them by default, RFC 4180 does not). LF, CRLF and CR line ends are accepted, also inside
 * quoted fields (kept verbatim). Blank lines are skipped. Bytes pass through unchanged (UTF-8 or
 * not). The first record is the header; every later record must have as many fields as it.
 *
 * Memory: a few read chunks plus one record (fields copied into a per-record arena); one field
 * is capped at MG_CSV_MAX_FIELD bytes and one record at MG_CSV_MAX_RECORD bytes, so memory never
 * depends on the file size.
 *
 * Line numbers: errors name the 1-based line where the offending record starts (or, for a
 * stray quote, the line of the quote). Counting lines inside every field would cost ~15% of a
 * parse, so they are computed only when needed: mg_csv_row_where() re-reads the file up to the
 * record (error paths only). For standard input, which cannot be re-read, the record number is
 * named instead.
 *
 * Ownership: the mg_csv_row handed to the callback and every string in it are borrowed and valid
 * only during that callback. Optionally the reader computes the SHA-256 and size of the raw
 * bytes it read (the file's digest) in the same pass, on a second thread (plugin/bgq). The
 * callback always runs on the calling thread; one reader per thread. */
#ifndef MG_CSV_READER_H
#define MG_CSV_READER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define MG_CSV_CHUNK (256u * 1024u)
#define MG_CSV_MAX_FIELD (1u << 20)  /* 1 MiB */
#define MG_CSV_MAX_RECORD (4u << 20) /* 4 MiB */

typedef struct mg_csv_row {
    size_t n;                 /* number of fields */
    const char *const *field; /* NUL-terminated copies (a field may itself contain NUL bytes) */
    const size_t *len;        /* byte length of each field */
    uint64_t record;          /* 0 for the header, then 1, 2, ... for data records */
    const char *path;         /* the file being read (for mg_csv_row_where) */
    void *reader_;            /* private */
} mg_csv_row;

/* Called once per record, header first. Return 0 to go on; a non-zero return stops the parse
 * and is returned by mg_csv_stream (fill err before returning MG_E*). */
typedef int (*mg_csv_row_fn)(const mg_csv_row *row, void *ud, mg_error *err);

typedef struct mg_csv_result {
    uint64_t records; /* data records (header excluded) */
    uint64_t bytes;   /* bytes read */
    char digest[72];  /* "sha256:<64 hex>" when want_digest, else "" */
} mg_csv_result;

/* Parses path ("-": stdin). Returns 0, the callback's non-zero value, MG_EIO (cannot read),
 * MG_EPARSE (malformed CSV, wrong field count, no header) or MG_ETOOBIG (field/record cap). */
int mg_csv_stream(const char *path, bool want_digest, mg_csv_row_fn fn, void *ud, mg_csv_result *res,
                  mg_error *err);

/* Like mg_csv_stream, but a regular file of 32 MiB or more is parsed by two threads: the
 * second half (from the first line end after the middle) runs on a second thread with ud2 — it
 * gets the header first, then that half's records — speculating that the half starts at a
 * record boundary. When the first half ends exactly there, *used2 is set and the caller merges
 * ud2's results into ud's (the records of the two halves are not interleaved in any defined
 * order: only for order-free aggregates). Otherwise (a quoted field spans the split, or the
 * second half failed) ud2's results are to be ignored and the rest is parsed in order on the
 * calling thread, so errors name the right line. The digest is computed on a third thread.
 * fn may run on two threads at once, each with its own ud. */
int mg_csv_stream2(const char *path, bool want_digest, mg_csv_row_fn fn, void *ud, void *ud2, bool *used2,
                   mg_csv_result *res, mg_error *err);

/* Writes "line N" (the line where the record starts; re-reads the file) or, for stdin,
 * "record N" into buf. */
void mg_csv_row_where(const mg_csv_row *row, char *buf, size_t n);

/* Called from the header's callback: only the columns listed (indexes into the header) are
 * delivered from now on; every other field arrives empty (its count is still checked). Saves
 * copying fields nobody reads. */
void mg_csv_keep_columns(const mg_csv_row *header, const int *cols, size_t n);

/* Index of name in the header row, or -1. */
int mg_csv_find_column(const mg_csv_row *header, const char *name);

#endif
