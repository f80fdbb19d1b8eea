/* k8s/linesplit — newline framing for streamed bodies (WATCH events are one JSON per line).
 *
 * Owns: the bytes of an incomplete line carried between chunks. Bytes are fed in chunks of
 * any size and split anywhere; each complete line is handed to the callback once, without its
 * "\n" (and without a trailing "\r"), NUL-terminated; empty lines are skipped. A line (complete
 * or still pending) longer than max_line bytes fails with MG_ETOOBIG. Not thread-safe: one
 * stream, one owner. */
#ifndef MG_K8S_LINESPLIT_H
#define MG_K8S_LINESPLIT_H
#include <stddef.h>

#include "core/buf.h"

/* Called per complete line; line is valid only during the call. Non-zero stops feeding and is
 * returned by mg_linesplit_feed. */
typedef int (*mg_line_fn)(const char *line, size_t len, void *ud);

typedef struct mg_linesplit {
    mg_buf buf;      /* pending bytes (no complete line stays here between calls) */
    size_t max_line; /* cap on one line */
} mg_linesplit;

void mg_linesplit_init(mg_linesplit *ls, size_t max_line);
/* Splits data into lines. Returns 0, the callback's non-zero value, or MG_ETOOBIG. After a
 * non-zero return the splitter must not be fed again (reset it first). */
int mg_linesplit_feed(mg_linesplit *ls, const char *data, size_t n, mg_line_fn fn, void *ud);
/* Bytes of the incomplete last line (e.g. a stream that ended mid-line). */
size_t mg_linesplit_pending(const mg_linesplit *ls);
void mg_linesplit_reset(mg_linesplit *ls);
void mg_linesplit_free(mg_linesplit *ls);

#endif
