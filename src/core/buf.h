/* core/buf — growable byte buffer with a hard size cap fixed at init (curl's dynbuf).
 *
 * Owns: the bytes in data. The buffer keeps data NUL-terminated (one spare byte past len) so
 * it can be handed to string functions. Not thread-safe: one owner at a time.
 *
 * Errors: out of memory aborts (core/mem), so a buffer made with MG_BUF_UNCAPPED never fails
 * and its callers do not check. Over a cap, an append fails with MG_ETOOBIG, leaves the content
 * unchanged and is remembered in err: every later append fails too, until mg_buf_reset. A text
 * built from several appends is therefore whole or visibly failed, never missing a piece in the
 * middle; check each result, or err once at the end (as with ferror). A capped buffer is for
 * outside input and for output that must stay bounded; its results are always checked. */
#ifndef MG_CORE_BUF_H
#define MG_CORE_BUF_H
#include <stddef.h>
#include <stdint.h>

/* The max of a buffer built only from pieces the program bounds itself. */
#define MG_BUF_UNCAPPED SIZE_MAX

typedef struct mg_buf {
    char *data; /* NULL until the first append; NUL-terminated after it */
    size_t len;
    size_t cap;
    size_t max; /* hard cap on len */
    int err;    /* 0, or MG_ETOOBIG once an append passed max (sticky until mg_buf_reset) */
} mg_buf;

void mg_buf_init(mg_buf *b, size_t max);
/* 0, or MG_ETOOBIG (now or earlier: see err), or MG_EINVAL for a format vsnprintf refuses. */
int mg_buf_append(mg_buf *b, const void *p, size_t n);
int mg_buf_append_str(mg_buf *b, const char *s);
int mg_buf_printf(mg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drops the first n bytes (n <= len), keeping the rest; used by stream framers. */
void mg_buf_consume(mg_buf *b, size_t n);
void mg_buf_reset(mg_buf *b); /* len = 0 and err = 0, memory kept */
void mg_buf_free(mg_buf *b);  /* frees memory and clears err, keeps max */
/* Hands the heap string to the caller (never NULL: "" when empty) and resets b (err too). */
char *mg_buf_steal(mg_buf *b);

#endif
