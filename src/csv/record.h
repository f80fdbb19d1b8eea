/* csv/record — turns a buffer of CSV bytes into records for csv/reader (internal to src/csv).
 *
 * Owns: the state of one parse between buffers (record number, header width, kept columns) and
 * the current record's field arrays and unescape arena. mg_csv_parse_region parses the whole
 * records of one contiguous region: with the masks of csv/scan for ordinary records, and with
 * a byte-at-a-time state machine (the reference rules) for any record where something is
 * unusual, so both give the same fields and the same errors. Single-threaded: one parser per
 * thread. Pointers handed to the callback point into the region or the arena and live until
 * the callback returns. */
#ifndef MG_CSV_RECORD_H
#define MG_CSV_RECORD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "csv/reader.h"
#include "csv/scan.h"

/* The callback result the parser uses to stop after the header (header_only). */
#define MG_CSV_STOP_HEADER 1000
/* Bytes after a region that must be readable and zero (csv/scan reads whole blocks). */
#define MG_CSV_PAD MG_CSV_BLOCK

typedef struct mg_csv_parser {
    const char *path;
    mg_csv_row_fn fn;
    void *ud;
    mg_error *err;
    bool header_only;    /* stop with MG_CSV_STOP_HEADER once the header has been delivered */
    unsigned char *skip; /* per column: 1 = deliver it empty (mg_csv_keep_columns) */
    size_t nskip;
    uint64_t record; /* next record number (0 = header) */
    size_t header_n; /* field count of the header */
    uint64_t offset; /* file offset of the current region (error positions) */
    bool bom;        /* the file began with a UTF-8 byte order mark (skipped, see record.c) */
    /* the current record */
    size_t nf, fcap, rec_bytes;
    const char **ptr, **raw;
    size_t *len, *rawlen, *uoff; /* uoff: offset in unesc, or SIZE_MAX */
    unsigned char *canon;
    bool has_unesc;
    char *unesc;
    size_t unesc_len, unesc_cap;
    mg_csv_block *blk;
    size_t blk_cap;
} mg_csv_parser;

void mg_csv_parser_init(mg_csv_parser *p, const char *path, mg_csv_row_fn fn, void *ud, mg_error *err);
void mg_csv_parser_free(mg_csv_parser *p);

/* Parses the records of base[0..len) (MG_CSV_PAD readable bytes after it, which it zeroes).
 * eof: the region ends the input (the last record needs no line end). Returns 0 with
 * *consumed the start of the unfinished last record (len when none), or an error: the
 * callback's code, MG_EPARSE, MG_ETOOBIG (err filled). */
int mg_csv_parse_region(mg_csv_parser *p, char *base, size_t len, bool eof, size_t *consumed);

/* For the unfinished record base[0..len) carried between regions: the error its bytes so far
 * already hold under the reference rules (stray quote, field or record cap), else 0. */
int mg_csv_check_unfinished(mg_csv_parser *p, char *base, size_t len);

/* "line N" of record (re-reading path) or "record N+1" for stdin. */
void mg_csv_where(const char *path, uint64_t record, char *buf, size_t n);
/* "line N" of absolute byte offset off in path (LF count), or "record N+1" for stdin. */
void mg_csv_where_offset(const char *path, uint64_t off, uint64_t record, char *buf, size_t n);

#endif
