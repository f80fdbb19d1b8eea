/* promapi — the Prometheus HTTP API's range queries (GET /api/v1/query_range) and the parser of
 * their answers.
 *
 * Owns: mg_prom_matrix (a plain value owned by its caller; mg_prom_matrix_free releases it) and
 * the HTTP request of mg_prom_query_range (one libcurl easy handle per call, no shared state, so
 * calls from different threads are independent).
 *
 * The parser takes the answer exactly as Prometheus documents it:
 *   {"status":"success","data":{"resultType":"matrix","result":[
 *     {"metric":{"__name__":"x","namespace":"ns"},"values":[[1700000000.5,"0.91"],...]}]}}
 * and on failure {"status":"error","errorType":"bad_data","error":"..."}. Values are strings
 * ("NaN", "+Inf" and "-Inf" included, as Prometheus writes them); timestamps are Unix seconds
 * with up to millisecond precision. Anything else (another result type, a value that is not a
 * [number, string] pair, a series over the caps below) is an MG_EPARSE / MG_ETOOBIG error that
 * names what was wrong; nothing partial is returned. Points keep the answer's order (Prometheus
 * sends them by increasing time). */
#ifndef MG_PROMAPI_PROMAPI_H
#define MG_PROMAPI_PROMAPI_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* A range query answer is bounded: Prometheus itself refuses more than 11,000 points per series;
 * the caps keep a hostile or misconfigured server from exhausting memory. */
#define MG_PROM_MAX_SERIES 1000
#define MG_PROM_MAX_POINTS 11000
#define MG_PROM_MAX_BODY (32u << 20)

typedef struct mg_prom_series {
    json_t *labels; /* object label → string value (new reference, owned) */
    size_t n;
    int64_t *t_ms; /* heap, n entries: Unix time in ms */
    double *v;     /* heap, n entries */
} mg_prom_series;

typedef struct mg_prom_matrix {
    mg_prom_series *series; /* heap, n entries */
    size_t n;
} mg_prom_matrix;

/* Parses a query_range answer (len bytes, need not be NUL-terminated) into *out (which must be
 * zeroed or freed). Returns 0, MG_EHTTP for an answer with status "error" (err carries its
 * errorType and error), MG_EPARSE or MG_ETOOBIG. On failure *out is left empty. */
int mg_prom_parse_matrix(const char *body, size_t len, mg_prom_matrix *out, mg_error *err);
void mg_prom_matrix_free(mg_prom_matrix *m);

/* GET base_url/api/v1/query_range?query=Q&start=S&end=E&step=STEP (seconds, query-encoded) and
 * parses the answer. base_url is http(s)://host:port[/prefix] without a trailing slash needed.
 * timeout_ms bounds the whole request. Returns 0 or MG_ECONNECT (unreachable), MG_EHTTP
 * (a non-2xx answer without the API's error JSON, or a query error), MG_EPARSE, MG_ETOOBIG;
 * err names the server and the query. */
int mg_prom_query_range(const char *base_url, const char *query, int64_t start_ms, int64_t end_ms,
                        int64_t step_ms, long timeout_ms, mg_prom_matrix *out, mg_error *err);

#endif
