/* Unit tests for core/: buf, log, error, clock (durations, RFC 3339, backoff). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"

static void test_buf_cap(void **state) {
    (void)state;
    mg_buf b;
    mg_buf_init(&b, 10);
    assert_int_equal(mg_buf_append_str(&b, "hello"), 0);
    assert_int_equal(mg_buf_append_str(&b, "world"), 0);
    assert_int_equal(mg_buf_append_str(&b, "!"), MG_ETOOBIG);
    assert_string_equal(b.data, "helloworld");
    assert_int_equal(b.err, MG_ETOOBIG);
    mg_buf_consume(&b, 5);
    assert_string_equal(b.data, "world");
    /* the failure sticks: no later piece lands after the one that was refused */
    assert_int_equal(mg_buf_printf(&b, "%d", 1), MG_ETOOBIG);
    assert_int_equal(mg_buf_append(&b, "", 0), MG_ETOOBIG);
    assert_string_equal(b.data, "world");
    mg_buf_reset(&b);
    assert_int_equal(b.err, 0);
    assert_int_equal(mg_buf_append_str(&b, "world"), 0);
    assert_int_equal(mg_buf_printf(&b, "%d", 12345), 0);
    assert_string_equal(b.data, "world12345");
    assert_int_equal(mg_buf_printf(&b, "x"), MG_ETOOBIG);
    mg_buf_free(&b);
    assert_int_equal(b.err, 0);
}

static void test_buf_uncapped(void **state) {
    (void)state;
    mg_buf b;
    mg_buf_init(&b, MG_BUF_UNCAPPED);
    for (int i = 0; i < 100000; i++)
        assert_int_equal(mg_buf_append_str(&b, "0123456789"), 0);
    assert_int_equal(b.len, 1000000);
    char *s = mg_buf_steal(&b);
    assert_int_equal(strlen(s), 1000000);
    free(s);
}

/* The lines mg_log writes while fn runs, read back from a temporary file standing in for stderr. */
static char *captured_log(void (*fn)(void)) {
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    dup2(fileno(tmp), STDERR_FILENO);
    fn();
    dup2(saved, STDERR_FILENO);
    close(saved);
    long n = ftell(tmp);
    char *out = calloc(1, (size_t)n + 1);
    rewind(tmp);
    assert_int_equal(fread(out, 1, (size_t)n, tmp), (size_t)n);
    fclose(tmp);
    return out;
}

static char *huge_value(void) {
    static char v[100 * 1024];
    memset(v, 'x', sizeof v - 1);
    return v;
}

static void log_normal(void) { mg_log(MG_LOG_WARN, "lease lost", "lease", "a b", "holder", "me", NULL); }
static void log_huge_field(void) { mg_log(MG_LOG_ERROR, "request failed", "body", huge_value(), NULL); }
static void log_huge_msg(void) { mg_log(MG_LOG_ERROR, huge_value(), NULL); }

static void test_log_lines(void **state) {
    (void)state;
    mg_log_configure(MG_LOG_JSON, MG_LOG_DEBUG);
    char *line = captured_log(log_normal);
    json_t *j = json_loads(line, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "msg")), "lease lost");
    assert_string_equal(json_string_value(json_object_get(j, "lease")), "a b");
    json_decref(j);
    free(line);

    /* a line over the cap keeps its message, says its fields went, and stays one JSON line */
    line = captured_log(log_huge_field);
    assert_non_null(strchr(line, '\n'));
    assert_int_equal(strchr(line, '\n')[1], '\0');
    j = json_loads(line, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "msg")), "request failed");
    assert_null(json_object_get(j, "body"));
    assert_non_null(json_object_get(j, "fieldsDropped"));
    json_decref(j);
    free(line);

    line = captured_log(log_huge_msg);
    j = json_loads(line, 0, NULL);
    assert_non_null(j);
    assert_non_null(strstr(json_string_value(json_object_get(j, "msg")), "was dropped"));
    json_decref(j);
    free(line);

    mg_log_configure(MG_LOG_TEXT, MG_LOG_DEBUG);
    line = captured_log(log_huge_field);
    assert_non_null(strstr(line, " ERROR request failed fieldsDropped="));
    free(line);
    mg_log_configure(MG_LOG_TEXT, MG_LOG_INFO);
}

static void test_error_wrap(void **state) {
    (void)state;
    mg_error e;
    assert_int_equal(mg_error_set(&e, MG_EPARSE, "bad %s", "thing"), MG_EPARSE);
    mg_error_wrap(&e, "reading %s", "f.yaml");
    assert_string_equal(e.message, "reading f.yaml: bad thing");
    assert_int_equal(mg_error_set(NULL, MG_EIO, "x"), MG_EIO);
}

static void test_durations(void **state) {
    (void)state;
    int64_t ms;
    assert_int_equal(mg_clock_parse_duration("30s", &ms), 0);
    assert_int_equal(ms, 30000);
    assert_int_equal(mg_clock_parse_duration("1h30m", &ms), 0);
    assert_int_equal(ms, 5400000);
    assert_int_equal(mg_clock_parse_duration("500ms", &ms), 0);
    assert_int_equal(ms, 500);
    assert_int_equal(mg_clock_parse_duration("1.5m", &ms), 0);
    assert_int_equal(ms, 90000);
    assert_int_equal(mg_clock_parse_duration("10", &ms), MG_EINVAL);
    assert_int_equal(mg_clock_parse_duration("", &ms), MG_EINVAL);
    assert_int_equal(mg_clock_parse_duration("5x", &ms), MG_EINVAL);
}

static void test_rfc3339(void **state) {
    (void)state;
    int64_t ms;
    assert_int_equal(mg_clock_parse_rfc3339("2026-11-26T11:40:09Z", &ms), 0);
    char out[40];
    mg_clock_rfc3339(ms, out, sizeof(out));
    assert_string_equal(out, "2026-11-26T11:40:09Z");
    assert_int_equal(mg_clock_parse_rfc3339("2026-11-26T12:40:09.5+01:00", &ms), 0);
    mg_clock_rfc3339_ms(ms, out, sizeof(out));
    assert_string_equal(out, "2026-11-26T11:40:09.500Z");
    assert_int_equal(mg_clock_parse_rfc3339("2026-11-26 11:40:09", &ms), MG_EINVAL);
}

static void test_backoff(void **state) {
    (void)state;
    mg_backoff b;
    mg_backoff_init(&b, 5, 1000, 2.0, 0.0);
    assert_int_equal(mg_backoff_next(&b), 5);
    assert_int_equal(mg_backoff_next(&b), 10);
    assert_int_equal(mg_backoff_next(&b), 20);
    for (int i = 0; i < 100; i++)
        mg_backoff_next(&b);
    assert_int_equal(mg_backoff_next(&b), 1000);
    mg_backoff_reset(&b);
    assert_int_equal(mg_backoff_next(&b), 5);
    mg_backoff_init(&b, 100, 1000, 2.0, 0.5);
    for (int i = 0; i < 50; i++) {
        mg_backoff_reset(&b);
        int64_t d = mg_backoff_next(&b);
        assert_true(d >= 50 && d <= 100);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_cap),   cmocka_unit_test(test_buf_uncapped),
        cmocka_unit_test(test_log_lines), cmocka_unit_test(test_error_wrap),
        cmocka_unit_test(test_durations), cmocka_unit_test(test_rfc3339),
        cmocka_unit_test(test_backoff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
