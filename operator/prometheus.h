/* operator/prometheus — monitoring.source prometheus: the PromQL queries that give a window of
 * the metric contract from a Prometheus server, and the reading of their answers.
 *
 * Owns: no state; pure functions (the HTTP requests go through operator/fetch). For each contract
 * metric, `sum by (<its contract labels>) (increase(<metric><selector>[<window>]))` over the
 * HTTP API's /api/v1/query; the vector answers are fed into an mg_model_metrics as if the window
 * had been scraped. selector is a PromQL label matcher set like `{namespace="ns",
 * pod=~"name-.*"}`; window a PromQL duration ("600s"). */
#ifndef MG_OPERATOR_PROMETHEUS_H
#define MG_OPERATOR_PROMETHEUS_H
#include <stddef.h>

#include "core/error.h"
#include "promtext/promtext.h"

/* The number of queries one window takes. */
#define MG_PROM_QUERIES 4

/* The URL of query i (0 <= i < MG_PROM_QUERIES) against base_url (no trailing slash needed): a
 * new heap string, the query percent-encoded. */
char *mg_prom_query_url(const char *base_url, const char *selector, const char *window, int i);
/* Adds the vector answer of query i (the HTTP body) to out. MG_EPARSE when the body is not the
 * API's JSON, MG_EHTTP when Prometheus reports an error (err says which). */
int mg_prom_answer_add(int i, const char *body, size_t len, mg_model_metrics *out, mg_error *err);

#endif
