/* libFuzzer target for promapi: the Prometheus query_range answer parser. Checks that every
 * answer either fails with an empty matrix or gives series whose points are all readable. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "promapi/promapi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    mg_prom_matrix m;
    mg_error err;
    int rc = mg_prom_parse_matrix((const char *)data, size, &m, &err);
    if (rc && (m.n || m.series)) abort();
    double sum = 0;
    for (size_t i = 0; i < m.n; i++)
        for (size_t k = 0; k < m.series[i].n; k++)
            sum += (double)m.series[i].t_ms[k] + m.series[i].v[k];
    mg_prom_matrix_free(&m);
    return sum == 0.5 ? 0 : 0; /* sum keeps the reads from being optimised away */
}
