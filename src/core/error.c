#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/utf8.h"

void mg_error_clear(mg_error *err) {
    if (err) memset(err, 0, sizeof(*err));
}

int mg_error_set(mg_error *err, int code, const char *fmt, ...) {
    if (!err) return code;
    mg_error_clear(err);
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    mg_utf8_trim(err->message); /* the message may end up in JSON: never a cut character */
    return code;
}

int mg_error_wrap(mg_error *err, const char *fmt, ...) {
    if (!err) return MG_EINVAL;
    char prefix[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    char old[sizeof(err->message)];
    memcpy(old, err->message, sizeof(old));
    snprintf(err->message, sizeof(err->message), "%s: %s", prefix, old);
    mg_utf8_trim(err->message);
    return err->code;
}

const char *mg_strerror(int code) {
    switch (code) {
    case MG_OK: return "OK";
    case MG_EINVAL: return "EINVAL";
    case MG_EIO: return "EIO";
    case MG_EHTTP: return "EHTTP";
    case MG_EPARSE: return "EPARSE";
    case MG_ENOTFOUND: return "ENOTFOUND";
    case MG_ECONFLICT: return "ECONFLICT";
    case MG_ETOOBIG: return "ETOOBIG";
    case MG_ETIMEOUT: return "ETIMEOUT";
    case MG_ECANCELED: return "ECANCELED";
    case MG_ETLS: return "ETLS";
    case MG_EGONE: return "EGONE";
    case MG_ECONNECT: return "ECONNECT";
    default: return "EUNKNOWN";
    }
}
