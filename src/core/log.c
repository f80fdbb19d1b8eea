#include "core/log.h"

#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/error.h"

static mg_log_format g_format = MG_LOG_TEXT;
static mg_log_level g_level = MG_LOG_INFO;

void mg_log_configure(mg_log_format format, mg_log_level min_level) {
    g_format = format;
    g_level = min_level;
}

int mg_log_parse_format(const char *s, mg_log_format *out) {
    if (!strcmp(s, "json"))
        *out = MG_LOG_JSON;
    else if (!strcmp(s, "text"))
        *out = MG_LOG_TEXT;
    else
        return MG_EINVAL;
    return 0;
}

int mg_log_parse_level(const char *s, mg_log_level *out) {
    static const char *names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(s, names[i])) {
            *out = (mg_log_level)i;
            return 0;
        }
    return MG_EINVAL;
}

static void json_escape(mg_buf *b, const char *s) {
    mg_buf_append(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            char esc[2] = {'\\', (char)*p};
            mg_buf_append(b, esc, 2);
        } else if (*p < 0x20) {
            mg_buf_printf(b, "\\u%04x", *p);
        } else {
            mg_buf_append(b, p, 1);
        }
    }
    mg_buf_append(b, "\"", 1);
}

void mg_log(mg_log_level level, const char *msg, ...) {
    static const char *names[] = {"debug", "info", "warn", "error"};
    static const char *upper[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    if (level < g_level) return;
    char ts[40];
    mg_clock_rfc3339_ms(mg_clock_wall_ms(), ts, sizeof(ts));
    mg_buf b;
    mg_buf_init(&b, 64 * 1024);
    va_list ap;
    va_start(ap, msg);
    if (g_format == MG_LOG_JSON) {
        mg_buf_printf(&b, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":", ts, names[level]);
        json_escape(&b, msg);
        for (const char *k; (k = va_arg(ap, const char *));) {
            const char *v = va_arg(ap, const char *);
            mg_buf_append(&b, ",", 1);
            json_escape(&b, k);
            mg_buf_append(&b, ":", 1);
            json_escape(&b, v ? v : "");
        }
        mg_buf_append(&b, "}\n", 2);
    } else {
        mg_buf_printf(&b, "%s %-5s %s", ts, upper[level], msg);
        for (const char *k; (k = va_arg(ap, const char *));) {
            const char *v = va_arg(ap, const char *);
            if (v && strpbrk(v, " \t\"=")) {
                mg_buf_printf(&b, " %s=", k);
                json_escape(&b, v);
            } else {
                mg_buf_printf(&b, " %s=%s", k, v ? v : "");
            }
        }
        mg_buf_append(&b, "\n", 1);
    }
    va_end(ap);
    if (b.data) {
        ssize_t ignored = write(STDERR_FILENO, b.data, b.len);
        (void)ignored; /* nowhere left to report a failed write to stderr */
    }
    mg_buf_free(&b);
}
