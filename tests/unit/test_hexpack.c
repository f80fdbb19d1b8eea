/* Unit tests for k8s/hexpack: what is packed (canonical lowercase UUIDs, runs of 32 or more
 * lowercase hex digits) and how small, exact round trips for texts of every shape (random ones
 * from a fixed seed included), and unpacking that refuses what is cut short or does not fit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "k8s/hexpack.h"

/* Packs text and checks the round trip; returns the packed length. */
static size_t round_trip(const char *text, size_t len) {
    assert_true(mg_hexpack_fits(text, len));
    char *packed = malloc(len + 1), *back = malloc(len + 1);
    memcpy(packed, text, len);
    size_t plen = mg_hexpack(packed, len);
    assert_true(plen <= len);
    assert_int_equal(mg_hexunpack(packed, plen, back, len), len);
    assert_memory_equal(back, text, len);
    if (len) assert_int_equal(mg_hexunpack(packed, plen, back, len - 1), (size_t)-1); /* no room */
    free(packed);
    free(back);
    return plen;
}

static size_t rt(const char *text) { return round_trip(text, strlen(text)); }

static void test_what_is_packed(void **state) {
    (void)state;
    /* a uid: 36 digits and dashes become a marker and 16 bytes */
    assert_int_equal(rt("\"uid\":\"365c32d3-85f1-4bdf-86ec-5899d250403e\""), 7 + 17 + 1);
    /* a digest: 64 digits become a marker, a count and 32 bytes */
    assert_int_equal(rt("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"), 7 + 34);
    /* not worth it, or not hex as the packing spells it: left as they are */
    const char *kept[] = {
        "0123456789abcdef0123456789abcde",      /* 31 digits */
        "365C32D3-85F1-4BDF-86EC-5899D250403E", /* capitals */
        "365c32d3-85f1-4bdf-86ec-5899d250403",  /* one digit short */
        "365c32d385f14bdf86ec5899d250403e",     /* no dashes: 32 digits, packed as a run below */
    };
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(rt(kept[i]), strlen(kept[i]));
    assert_int_equal(rt(kept[3]), 2 + 16);
    /* an odd run keeps its last digit as text; a run longer than one marker holds is split */
    assert_int_equal(rt("0123456789abcdef0123456789abcdef0"), 2 + 16 + 1);
    char longrun[1201];
    for (size_t i = 0; i < 1200; i++)
        longrun[i] = "0123456789abcdef"[i * 7 % 16];
    longrun[1200] = '\0';
    assert_int_equal(rt(longrun), 2 * (2 + 255) + 2 + 90); /* 510 + 510 + 180 digits */
    /* numbers are digits too: packed, and given back exactly */
    rt("{\"n\":123456789012345678901234567890123456}");
    rt("");
}

static void test_markers_and_malformed(void **state) {
    (void)state;
    const char with_marker[] = "a\x01"
                               "b";
    assert_false(mg_hexpack_fits(with_marker, 3));
    assert_false(mg_hexpack_fits("\x02", 1));
    char out[64];
    assert_int_equal(mg_hexunpack("\x01"
                                  "0123456789",
                                  11, out, sizeof(out)),
                     (size_t)-1); /* a uid cut short */
    assert_int_equal(mg_hexunpack("\x02", 1, out, sizeof(out)), (size_t)-1);
    assert_int_equal(mg_hexunpack("\x02\x05"
                                  "ab",
                                  4, out, sizeof(out)),
                     (size_t)-1); /* a run cut short */
}

static void test_random_round_trips(void **state) {
    (void)state;
    /* texts drawn mostly from hex digits and dashes, so uids and runs of every length meet */
    static const char alphabet[] = "0123456789abcdef0123456789abcdef-\"xA:";
    srand(4181);
    char text[1500];
    for (int n = 0; n < 20000; n++) {
        size_t len = (size_t)rand() % sizeof(text);
        for (size_t i = 0; i < len; i++) {
            text[i] = alphabet[rand() % (int)(sizeof(alphabet) - 1)];
            if (rand() % 64 == 0 && len - i >= 36) { /* now and then a uid */
                for (size_t k = 0; k < 36; k++)
                    text[i + k] = k == 8 || k == 13 || k == 18 || k == 23 ? '-' : alphabet[rand() % 16];
                i += 35;
            }
        }
        round_trip(text, len);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_what_is_packed),
        cmocka_unit_test(test_markers_and_malformed),
        cmocka_unit_test(test_random_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
