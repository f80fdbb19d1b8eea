/* Unit tests for core/: buf, error, clock (durations, RFC 3339, backoff). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/error.h"

static void test_buf_cap(void **state) {
    (void)state;
    mg_buf b;
    mg_buf_init(&b, 10);
    assert_int_equal(mg_buf_append_str(&b, "hello"), 0);
    assert_int_equal(mg_buf_append_str(&b, "world"), 0);
    assert_int_equal(mg_buf_append_str(&b, "!"), MG_ETOOBIG);
    assert_string_equal(b.data, "helloworld");
    mg_buf_consume(&b, 5);
    assert_string_equal(b.data, "world");
    assert_int_equal(mg_buf_printf(&b, "%d", 12345), 0);
    assert_string_equal(b.data, "world12345");
    assert_int_equal(mg_buf_printf(&b, "x"), MG_ETOOBIG);
    mg_buf_free(&b);
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
        cmocka_unit_test(test_buf_cap), cmocka_unit_test(test_error_wrap), cmocka_unit_test(test_durations),
        cmocka_unit_test(test_rfc3339), cmocka_unit_test(test_backoff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
