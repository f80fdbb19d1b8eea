#include "core/log.h"

#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/error.h"

/* A line at most this long, so that one huge value (an API server's message, a body) cannot
 * flood the log; a longer one loses its fields and says so. */
#define LOG_LINE_MAX (64u << 10)
#define LOG_LINE_MAX_TEXT "64 KiB"

static const char *const level_names[] = {"debug", "info", "warn", "error"};
static const char *const level_upper[] = {"DEBUG", "INFO", "WARN", "ERROR"};
#define N_LEVELS (sizeof level_names / sizeof *level_names)

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
    for (size_t i = 0; i < N_LEVELS; i++)
        if (!strcmp(s, level_names[i])) {
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

/* A line in pieces: head, any number of fields, tail. Appends past LOG_LINE_MAX are refused and
 * the refusal sticks in b->err (core/buf); mg_log checks it once, at the end. */
static void line_head(mg_buf *b, mg_log_level level, const char *ts, const char *msg) {
    if (g_format == MG_LOG_JSON) {
        mg_buf_printf(b, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":", ts, level_names[level]);
        json_escape(b, msg);
    } else {
        mg_buf_printf(b, "%s %-5s %s", ts, level_upper[level], msg);
    }
}

static void line_field(mg_buf *b, const char *k, const char *v) {
    if (g_format == MG_LOG_JSON) {
        mg_buf_append(b, ",", 1);
        json_escape(b, k);
        mg_buf_append(b, ":", 1);
        json_escape(b, v ? v : "");
    } else if (v && strpbrk(v, " \t\"=")) {
        mg_buf_printf(b, " %s=", k);
        json_escape(b, v);
    } else {
        mg_buf_printf(b, " %s=%s", k, v ? v : "");
    }
}

static void line_tail(mg_buf *b) {
    if (g_format == MG_LOG_JSON)
        mg_buf_append(b, "}\n", 2);
    else
        mg_buf_append(b, "\n", 1);
}

void mg_log(mg_log_level level, const char *msg, ...) {
    if (level < g_level) return;
    char ts[40];
    mg_clock_rfc3339_ms(mg_clock_wall_ms(), ts, sizeof(ts));
    mg_buf b;
    mg_buf_init(&b, LOG_LINE_MAX);
    line_head(&b, level, ts, msg);
    va_list ap;
    va_start(ap, msg);
    for (const char *k; (k = va_arg(ap, const char *));) {
        const char *v = va_arg(ap, const char *);
        line_field(&b, k, v);
    }
    va_end(ap);
    line_tail(&b);
    if (b.err) { /* too long: the message without the fields, and a word that they were dropped */
        mg_buf_reset(&b);
        line_head(&b, level, ts, msg);
        line_field(&b, "fieldsDropped", "the line was longer than " LOG_LINE_MAX_TEXT);
        line_tail(&b);
    }
    if (b.err) { /* the message alone is too long */
        mg_buf_reset(&b);
        line_head(&b, level, ts, "a log message longer than " LOG_LINE_MAX_TEXT " was dropped");
        line_tail(&b);
    }
    ssize_t ignored = write(STDERR_FILENO, b.data, b.len);
    (void)ignored; /* nowhere left to report a failed write to stderr */
    mg_buf_free(&b);
}
