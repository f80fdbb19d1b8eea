/* data/anon — k-anonymity of a file over quasi-identifier columns: rows grouped by the tuple
 * of their quasi-identifier values (an equivalence class, exact bytes; an empty value is a value
 * like any other), in one streamed pass; k is the size of the smallest class.
 *
 * Owns: the class map of one count (mg_anon_counts_free releases it). A class key is, for each
 * value, its length as 4 bytes then its bytes, so any content is unambiguous; mg_anon_value
 * decodes it. Memory is one map entry per class, never per row. Counting a file of 32 MiB or
 * more may use a second thread internally; the calls are made from one thread. */
#ifndef MG_DATA_ANON_H
#define MG_DATA_ANON_H
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "data/cmap.h"

typedef struct mg_anon_counts {
    mg_cmap map; /* class key -> a = rows */
    uint64_t rows;
} mg_anon_counts;

/* Counts the classes of path ("-": stdin) over quasi[0..nquasi) (borrowed). Returns 0, a reader
 * error, or MG_EINVAL for a column missing from the header or a file without data rows. */
int mg_anon_count_file(const char *path, const char *const *quasi, size_t nquasi, mg_anon_counts *out,
                       mg_error *err);
void mg_anon_counts_free(mg_anon_counts *c);

/* Appends the class key of values[0..n) (lengths lens) to *key (a growable heap buffer of
 * capacity *cap); returns the key's length. */
size_t mg_anon_key(const char *const *values, const size_t *lens, size_t n, char **key, size_t *cap);
/* The q-th value of a class key (borrowed pointer into the key). */
const char *mg_anon_value(const mg_cmap_entry *e, size_t q, size_t *len);
/* The classes smallest first (by count, then key bytes): a new array of m->n borrowed
 * pointers (caller frees the array); k is list[0]->a. */
mg_cmap_entry **mg_anon_classes(const mg_cmap *m);

#endif
