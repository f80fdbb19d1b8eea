/* data/bias — the bias scan of a training file: per protected attribute and group (distinct
 * value, exact bytes), the row count and the rows whose label is the positive value, in one
 * streamed pass; then per group the share, positive rate, disparate impact against the
 * attribute's most favoured group and the four-fifths verdict.
 *
 * Owns: the counter maps of one scan (mg_bias_counts_free releases them) and nothing else;
 * mg_bias_groups is pure (no I/O, no allocation beyond its result). Counting a file of 32 MiB or
 * more may use a second thread internally (csv/reader's two-half parse); the calls themselves
 * are made from one thread. Memory is one map entry per distinct (attribute, group). */
#ifndef MG_DATA_BIAS_H
#define MG_DATA_BIAS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "data/cmap.h"
#include "data/digest.h"

/* The EEOC four-fifths rule: a group passes when its disparate impact is at least this. */
#define MG_BIAS_FOUR_FIFTHS 0.8

typedef struct mg_bias_spec {
    const char *const *attrs; /* protected attribute columns (borrowed) */
    size_t nattrs;
    const char *label;    /* label column */
    const char *positive; /* label value counted as positive (exact match) */
} mg_bias_spec;

typedef struct mg_bias_counts {
    mg_cmap *maps; /* one per attribute: group value -> a = rows, b = positive rows */
    size_t nattrs;
    uint64_t rows;
    char digest[MG_DIGEST_STR]; /* the file's "sha256:<hex>" */
} mg_bias_counts;

/* Counts path ("-": stdin) into out (zeroed first). Returns 0, MG_EIO/MG_EPARSE/MG_ETOOBIG from
 * the reader, or MG_EINVAL for a column missing from the header or a file without data rows. */
int mg_bias_count_file(const char *path, const mg_bias_spec *spec, mg_bias_counts *out, mg_error *err);
void mg_bias_counts_free(mg_bias_counts *c);

typedef struct mg_bias_group {
    const char *value; /* borrowed from the map's key */
    size_t vlen;
    uint64_t count;
    double share;            /* count / rows */
    double positive_rate;    /* positives / count */
    double disparate_impact; /* positive_rate / the attribute's highest rate; 1 when all are 0 */
    bool pass;               /* disparate_impact >= MG_BIAS_FOUR_FIFTHS */
} mg_bias_group;

/* The groups of one attribute from its map (a = count > 0, b = positives <= a), sorted by
 * value bytewise, into out (m->n entries, borrowed pointers into m). rows is the file's row
 * count (share's denominator). Returns true when every group passes. */
bool mg_bias_groups(const mg_cmap *m, uint64_t rows, mg_bias_group *out);

#endif
