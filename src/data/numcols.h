/* data/numcols — reads chosen CSV columns of a file as numbers (one streamed pass).
 *
 * Owns: the value arrays of one read (mg_numcols_free releases them). Memory is 8 bytes per
 * non-empty value of each chosen column: exact quantiles, KS and Wasserstein need every value
 * (the trade-off is documented in `baseline --help`); the total is capped by max_values and
 * exceeding it is MG_ETOOBIG with a message. Values are parsed with strtod after trimming
 * spaces; empty fields are missing and skipped; anything else that is not a finite number is
 * MG_EPARSE naming the line and column (or, with skip_non_numeric, marks the column
 * non-numeric and stops collecting it). Single-threaded. */
#ifndef MG_DATA_NUMCOLS_H
#define MG_DATA_NUMCOLS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "csv/reader.h"

typedef struct mg_numcol {
    char *name;
    double *v;
    size_t n, cap;
    bool non_numeric; /* only with skip_non_numeric */
} mg_numcol;

typedef struct mg_numcols {
    mg_numcol *col;
    size_t ncol;
    uint64_t rows;
    char digest[72];
} mg_numcols;

/* names[0..nnames): the columns to read (borrowed); names NULL means every column of the header.
 * Extra per-row work can be hooked with row_fn (called for every record, header included,
 * after the numbers). A file without data rows is not an error here (rows is 0). */
int mg_numcols_read(const char *path, const char *const *names, size_t nnames, bool skip_non_numeric,
                    size_t max_values, mg_csv_row_fn row_fn, void *row_ud, mg_numcols *out, mg_error *err);
void mg_numcols_free(mg_numcols *nc);
/* Parses a trimmed finite number; 1 = number, 0 = empty, -1 = not a number. */
int mg_parse_num(const char *s, size_t n, double *out);

#endif
