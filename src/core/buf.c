#include "core/buf.h"

#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "core/mem.h"

void mg_buf_init(mg_buf *b, size_t max) {
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
    b->err = 0;
}

static int ensure(mg_buf *b, size_t extra) {
    if (b->err) return b->err;
    if (extra > b->max || b->len > b->max - extra) return b->err = MG_ETOOBIG;
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    b->data = mg_xrealloc(b->data, cap);
    b->cap = cap;
    return 0;
}

int mg_buf_append(mg_buf *b, const void *p, size_t n) {
    int rc = ensure(b, n);
    if (rc) return rc;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int mg_buf_append_str(mg_buf *b, const char *s) { return mg_buf_append(b, s, strlen(s)); }

int mg_buf_printf(mg_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return MG_EINVAL;
    int rc = ensure(b, (size_t)n);
    if (rc) return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void mg_buf_consume(mg_buf *b, size_t n) {
    if (n >= b->len) {
        mg_buf_reset(b);
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = '\0';
}

void mg_buf_reset(mg_buf *b) {
    b->len = 0;
    b->err = 0;
    if (b->data) b->data[0] = '\0';
}

void mg_buf_free(mg_buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->err = 0;
}

char *mg_buf_steal(mg_buf *b) {
    char *s = b->data ? b->data : mg_xstrdup("");
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->err = 0;
    return s;
}
