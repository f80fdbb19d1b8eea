/* data/baseline — the ModelVersion spec.baseline of a training file (README, metric
 * contract): per numeric feature the quantile edges and bin proportions, accuracy and F1 of a
 * prediction column against a label column, and per protected group the positive-prediction
 * and true-positive rates. Bins come from src/stats, so the operator compares live traffic with
 * bins built by the same code.
 *
 * Owns: the values and group tables of one read (mg_baseline_data_free releases them). Exact
 * quantiles need every value: 8 bytes per value per feature, capped by max_values (data/numcols).
 * mg_baseline_bins and mg_baseline_group_rates are pure. Single-threaded. */
#ifndef MG_DATA_BASELINE_H
#define MG_DATA_BASELINE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "data/cmap.h"
#include "data/numcols.h"
#include "stats/stats.h"

typedef struct mg_baseline_spec {
    const char *const *features; /* numeric feature columns (borrowed) */
    size_t nfeatures;
    const char *label, *prediction; /* optional (NULL) */
    const char *positive;           /* the positive class of both columns */
    const char *const *attrs;       /* protected attributes (borrowed), used with a prediction */
    size_t nattrs;
    size_t max_values;
} mg_baseline_spec;

typedef struct mg_baseline_group {
    uint64_t n, pred_pos, label_pos, tp;
} mg_baseline_group;

typedef struct mg_baseline_data {
    mg_numcols values;
    mg_confusion cm;            /* with label and prediction */
    mg_cmap *maps;              /* per attribute: group value -> a = 1-based index into groups */
    mg_baseline_group **groups; /* per attribute, in first-seen order */
    size_t *ngroups, nattrs;
} mg_baseline_data;

/* Reads path ("-": stdin). Returns 0, a reader or numcols error, or MG_EINVAL for a missing
 * column or a file without data rows. */
int mg_baseline_read(const char *path, const mg_baseline_spec *spec, mg_baseline_data *out, mg_error *err);
void mg_baseline_data_free(mg_baseline_data *d);

/* Bins of one feature's n values: edges (at most bins-1, *nedges written) and the bins+1
 * proportions of the `le` bins (proportions must hold bins entries; nedges+1 are written).
 * Returns 0 or MG_EINVAL (no values, non-finite values). */
int mg_baseline_bins(const double *v, size_t n, size_t bins, double *edges, size_t *nedges,
                     double *proportions);

/* Rates of one group: positive predictions / rows, and TP / positive labels (returns false,
 * tpr untouched, when the group has no positive label). */
bool mg_baseline_group_rates(const mg_baseline_group *g, double *positive_rate, double *tpr);

#endif
