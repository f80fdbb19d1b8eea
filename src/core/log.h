/* core/log — structured logging to stderr as JSON lines or human text.
 *
 * Owns: the process-wide log format and level (set once at start-up, before threads).
 * mg_log() takes a message and then key/value string pairs ending with NULL:
 *   mg_log(MG_LOG_INFO, "lease acquired", "lease", name, "holder", id, NULL);
 * JSON: {"ts":"2026-11-26T11:40:09.123Z","level":"info","msg":"lease acquired","lease":"..."}
 * Text: 2026-11-26T11:40:09.123Z INFO lease acquired lease=... holder=...
 * Each line is written with one write(2), so lines from threads never interleave. */
#ifndef MG_CORE_LOG_H
#define MG_CORE_LOG_H

typedef enum { MG_LOG_DEBUG = 0, MG_LOG_INFO, MG_LOG_WARN, MG_LOG_ERROR } mg_log_level;
typedef enum { MG_LOG_TEXT = 0, MG_LOG_JSON } mg_log_format;

void mg_log_configure(mg_log_format format, mg_log_level min_level);
/* Parses "json"|"text" and "debug"|"info"|"warn"|"error"; returns 0 or MG_EINVAL. */
int mg_log_parse_format(const char *s, mg_log_format *out);
int mg_log_parse_level(const char *s, mg_log_level *out);
void mg_log(mg_log_level level, const char *msg, ...) __attribute__((sentinel));

#endif
