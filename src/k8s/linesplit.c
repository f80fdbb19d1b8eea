/* k8s/linesplit — see linesplit.h. Chunks are appended to one buffer, complete lines are cut
 * in place (the "\n" becomes the NUL terminator) and the consumed prefix is dropped once per
 * chunk, so each byte is copied once and scanned once. */
#include "k8s/linesplit.h"

#include <stdint.h>
#include <string.h>

#include "core/error.h"

void mg_linesplit_init(mg_linesplit *ls, size_t max_line) {
    mg_buf_init(&ls->buf, SIZE_MAX / 2);
    ls->max_line = max_line;
}

int mg_linesplit_feed(mg_linesplit *ls, const char *data, size_t n, mg_line_fn fn, void *ud) {
    size_t old = ls->buf.len;
    /* The pending part never holds a "\n", so scanning starts at the new bytes. */
    if (!memchr(data, '\n', n)) {
        if (old + n > ls->max_line) return MG_ETOOBIG;
        return mg_buf_append(&ls->buf, data, n);
    }
    int rc = mg_buf_append(&ls->buf, data, n);
    if (rc) return rc;
    char *base = ls->buf.data;
    size_t start = 0;
    size_t pos = old;
    char *nl;
    while ((nl = memchr(base + pos, '\n', ls->buf.len - pos)) != NULL) {
        size_t end = (size_t)(nl - base);
        size_t len = end - start;
        if (len > ls->max_line) return MG_ETOOBIG;
        if (len && base[start + len - 1] == '\r') len--;
        base[start + len] = '\0';
        if (len) {
            rc = fn(base + start, len, ud);
            if (rc) return rc;
        }
        start = end + 1;
        pos = start;
    }
    mg_buf_consume(&ls->buf, start);
    if (ls->buf.len > ls->max_line) return MG_ETOOBIG;
    return 0;
}

size_t mg_linesplit_pending(const mg_linesplit *ls) { return ls->buf.len; }

void mg_linesplit_reset(mg_linesplit *ls) { mg_buf_reset(&ls->buf); }

void mg_linesplit_free(mg_linesplit *ls) { mg_buf_free(&ls->buf); }
