/* report/out — the renderers' sticky-error output buffer. See internal.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/error.h"
#include "core/mem.h"
#include "report/internal.h"

void mg_rp_out_init(mg_rp_out *o) {
    mg_buf_init(&o->b, MG_REPORT_MAX_BYTES);
    o->rc = 0;
}

void mg_rp_putn(mg_rp_out *o, const char *s, size_t n) {
    if (!o->rc) o->rc = mg_buf_append(&o->b, s, n);
}

void mg_rp_put(mg_rp_out *o, const char *s) {
    if (!o->rc && s) o->rc = mg_buf_append_str(&o->b, s);
}

void mg_rp_putf(mg_rp_out *o, const char *fmt, ...) {
    if (o->rc) return;
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) abort(); /* vasprintf fails only when it cannot allocate: the project's OOM policy */
    mg_rp_putn(o, s, (size_t)n);
    free(s);
}

void mg_rp_put_html(mg_rp_out *o, const char *s) {
    const char *run = s ? s : "";
    for (const char *p = run; *p; p++) {
        const char *rep = *p == '&'    ? "&amp;"
                          : *p == '<'  ? "&lt;"
                          : *p == '>'  ? "&gt;"
                          : *p == '"'  ? "&quot;"
                          : *p == '\'' ? "&#39;"
                                       : NULL;
        if (!rep) continue;
        mg_rp_putn(o, run, (size_t)(p - run));
        mg_rp_put(o, rep);
        run = p + 1;
    }
    mg_rp_put(o, run);
}

char *mg_rp_out_steal(mg_rp_out *o) {
    char *s = mg_buf_steal(&o->b);
    if (o->rc) {
        free(s);
        s = NULL;
    }
    o->rc = 0;
    return s;
}
