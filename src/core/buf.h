/* core/buf — growable byte buffer with a hard size cap fixed at init (curl's dynbuf).
 *
 * Owns: the bytes in data. The buffer keeps data NUL-terminated (one spare byte past len) so
 * it can be handed to string functions. Appends that would pass max fail with MG_ETOOBIG and
 * leave the content unchanged. Not thread-safe: one owner at a time. */
#ifndef MG_CORE_BUF_H
#define MG_CORE_BUF_H
#include <stddef.h>

typedef struct mg_buf {
    char *data; /* NULL until the first append; NUL-terminated after it */
    size_t len;
    size_t cap;
    size_t max; /* hard cap on len */
} mg_buf;

void mg_buf_init(mg_buf *b, size_t max);
int mg_buf_append(mg_buf *b, const void *p, size_t n);
int mg_buf_append_str(mg_buf *b, const char *s);
int mg_buf_printf(mg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drops the first n bytes (n <= len), keeping the rest; used by stream framers. */
void mg_buf_consume(mg_buf *b, size_t n);
void mg_buf_reset(mg_buf *b); /* len = 0, memory kept */
void mg_buf_free(mg_buf *b);  /* frees memory, keeps max */
/* Hands the heap string to the caller (never NULL: "" when empty) and resets b. */
char *mg_buf_steal(mg_buf *b);

#endif
