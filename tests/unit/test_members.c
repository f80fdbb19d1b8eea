/* Unit tests for k8s/members' pure part: rendezvous hashing gives every key exactly one owner,
 * spreads keys evenly, and when a member comes or goes only that member's share moves. (The
 * Lease loop itself is exercised through the operator by tests/integration/sharding.sh, on the
 * test API server and on kube-apiserver.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "k8s/members.h"

#define KEYS 10000

static void test_spread_and_movement(void **state) {
    (void)state;
    const char *three[] = {"op-a", "op-b", "op-c"};
    const char *four[] = {"op-a", "op-b", "op-c", "op-d"};
    const char *two[] = {"op-a", "op-c"}; /* op-b gone */
    int count[4] = {0}, moved_add = 0, moved_other = 0, moved_remove_wrong = 0;
    for (int i = 0; i < KEYS; i++) {
        char key[32];
        snprintf(key, sizeof(key), "ns-%d/md-%05d", i % 7, i);
        int o3 = mg_members_owner(three, 3, key), o4 = mg_members_owner(four, 4, key);
        int o2 = mg_members_owner(two, 2, key);
        assert_true(o3 >= 0 && o3 < 3);
        count[o3]++;
        if (o4 != o3) {
            moved_add++;
            if (o4 != 3) moved_other++; /* a key may only move to the newcomer */
        }
        /* a key of op-a or op-c stays where it was when op-b leaves */
        if (o3 != 1 && strcmp(three[o3], two[o2])) moved_remove_wrong++;
        assert_int_equal(mg_members_owner(three, 3, key), o3); /* deterministic */
    }
    for (int m = 0; m < 3; m++)
        assert_true(count[m] > KEYS / 3 - KEYS / 20 && count[m] < KEYS / 3 + KEYS / 20);
    assert_true(moved_add > KEYS / 4 - KEYS / 20 && moved_add < KEYS / 4 + KEYS / 20);
    assert_int_equal(moved_other, 0);
    assert_int_equal(moved_remove_wrong, 0);
    assert_int_equal(mg_members_owner(NULL, 0, "x"), -1);
}

static void test_start_refuses_bad_timing(void **state) {
    (void)state;
    mg_members *m = NULL;
    mg_error err;
    mg_members_opts o = {.namespace = "ns",
                         .group = "g",
                         .identity = "me",
                         .lease_duration_ms = 10000,
                         .renew_deadline_ms = 8000,
                         .retry_period_ms = 2000};
    assert_int_equal(mg_members_start(NULL, &o, &m, &err), MG_EINVAL); /* 10 - 2 x 2 < 8 */
    assert_null(m);
    o.group = NULL;
    assert_int_equal(mg_members_start(NULL, &o, &m, &err), MG_EINVAL);
}

int main(void) {
    mg_mem_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spread_and_movement),
        cmocka_unit_test(test_start_refuses_bad_timing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
