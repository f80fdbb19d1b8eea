/* Unit tests for kubectl-modelgov's shared pieces (plugin/cli, linked from the plugin's
 * archive): kubectl-style option parsing (permutation, --flag=value, -nVALUE, "--", unknown
 * flags), the shared option helpers, the counter map and the background queue. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/bgq.h"
#include "core/mem.h"
#include "data/cmap.h"
#include "plugin/cli.h"

static void test_parse_permuted(void **state) {
    (void)state;
    const char *kc = NULL, *v = NULL;
    bool flag = false;
    mg_strvec list = {0}, ops = {0};
    mg_opt opts[] = {{"key", 0, MG_OPT_VALUE, &v},
                     {"flag", 0, MG_OPT_FLAG, &flag},
                     {"col", 'c', MG_OPT_LIST, &list},
                     {NULL, 0, 0, NULL}};
    char *argv[] = {"cmd",     "in.csv", "--key=K", "-nns1", "--kubeconfig", "kc",           "-c", "a",
                    "--col=b", "--flag", "-o",      "json",  "--",           "--not-a-flag", "-"};
    mg_global g = {0};
    assert_int_equal(mg_cli_parse(15, argv, opts, &g, &ops, "cmd"), 0);
    kc = g.kubeconfig;
    assert_string_equal(v, "K");
    assert_string_equal(kc, "kc");
    assert_string_equal(g.namespace_, "ns1");
    assert_int_equal(g.out, MG_OUT_JSON);
    assert_true(flag);
    assert_int_equal(list.n, 2);
    assert_string_equal(list.v[1], "b");
    assert_int_equal(ops.n, 3);
    assert_string_equal(ops.v[0], "in.csv");
    assert_string_equal(ops.v[1], "--not-a-flag");
    assert_string_equal(ops.v[2], "-");
    mg_strvec_free(&list);
    mg_strvec_free(&ops);
}

static void test_parse_errors(void **state) {
    (void)state;
    mg_opt opts[] = {{NULL, 0, 0, NULL}};
    char *a1[] = {"cmd", "--bogus"};
    char *a2[] = {"cmd", "--namespace"};
    char *a3[] = {"cmd", "-o", "xml"};
    mg_strvec ops = {0};
    mg_global g = {0};
    assert_int_equal(mg_cli_parse(2, a1, opts, &g, &ops, "cmd"), MG_EXIT_USAGE);
    memset(&g, 0, sizeof g);
    assert_int_equal(mg_cli_parse(2, a2, opts, &g, &ops, "cmd"), MG_EXIT_USAGE);
    memset(&g, 0, sizeof g);
    assert_int_equal(mg_cli_parse(3, a3, opts, &g, &ops, "cmd"), MG_EXIT_USAGE);
    mg_strvec_free(&ops);
    mg_strvec split = {0};
    assert_int_equal(mg_strvec_split(&split, "a,b"), 0);
    assert_int_equal(split.n, 2);
    assert_int_equal(mg_strvec_split(&split, "a,,b"), -1);
    mg_strvec_free(&split);
}

static void test_cmap(void **state) {
    (void)state;
    mg_cmap m;
    mg_cmap_init(&m);
    char key[16];
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(key, sizeof key, "k%d", i % 100);
        mg_cmap_get(&m, key, (size_t)n)->a++;
    }
    assert_int_equal(m.n, 100);
    assert_int_equal(mg_cmap_get(&m, "k7", 2)->a, 10);
    assert_int_equal(mg_cmap_get(&m, "k7\0x", 4)->a, 0); /* binary keys differ by length */
    mg_cmap_free(&m);
}

static void test_shared_options(void **state) {
    (void)state;
    mg_strvec raw = {0}, cols = {0};
    mg_strvec_push(&raw, "a,b");
    mg_strvec_push(&raw, "c");
    assert_int_equal(mg_cli_split_columns("cmd", &raw, &cols, "features"), 0);
    assert_int_equal(cols.n, 3);
    assert_string_equal(cols.v[2], "c");
    mg_strvec_push(&raw, "d,,e");
    assert_int_equal(mg_cli_split_columns("cmd", &raw, &cols, "features"), MG_EXIT_USAGE);
    mg_strvec_free(&raw);
    mg_strvec_free(&cols);

    long bins = 0, maxv = 0;
    assert_int_equal(mg_cli_bins_max_values("cmd", NULL, NULL, &bins, &maxv), 0);
    assert_int_equal(bins, 10);
    assert_int_equal(maxv, 50000000);
    assert_int_equal(mg_cli_bins_max_values("cmd", "1000", "7", &bins, &maxv), 0);
    assert_int_equal(bins, 1000);
    assert_int_equal(maxv, 7);
    assert_int_equal(mg_cli_bins_max_values("cmd", "1", NULL, &bins, &maxv), MG_EXIT_USAGE);
    assert_int_equal(mg_cli_bins_max_values("cmd", "1001", NULL, &bins, &maxv), MG_EXIT_USAGE);
    assert_int_equal(mg_cli_bins_max_values("cmd", "5x", NULL, &bins, &maxv), MG_EXIT_USAGE);
    assert_int_equal(mg_cli_bins_max_values("cmd", NULL, "0", &bins, &maxv), MG_EXIT_USAGE);

    mg_cmap_entry e[3] = {{.key = "b", .klen = 1}, {.key = "a\0", .klen = 2}, {.key = "a", .klen = 1}};
    mg_cmap_entry *list[3] = {&e[0], &e[1], &e[2]};
    qsort(list, 3, sizeof *list, mg_cmap_entry_key_cmp);
    assert_ptr_equal(list[0], &e[2]);
    assert_ptr_equal(list[1], &e[1]);
    assert_ptr_equal(list[2], &e[0]);
}

static int sum_fn(void *ud, const char *p, size_t n) {
    uint64_t *s = ud;
    for (size_t i = 0; i < n; i++)
        *s += (unsigned char)p[i];
    return 0;
}

static void test_bgq_order(void **state) {
    (void)state;
    uint64_t sum = 0, want = 0;
    mg_bgq *q = mg_bgq_new(3, 64, sum_fn, &sum);
    for (int i = 0; i < 1000; i++) {
        char *b = mg_bgq_acquire(q);
        memset(b, i & 0x7f, 64);
        mg_bgq_submit(q, b, 64);
        want += 64u * (unsigned)(i & 0x7f);
    }
    assert_int_equal(mg_bgq_finish(q), 0);
    assert_int_equal(sum, want);
}

/* Workers change the buffers in any order; emit sees them changed and strictly in order. */
static int add_one(void *ud, char *p, size_t n) {
    (void)ud;
    for (size_t i = 0; i < n; i++)
        p[i]++;
    return 0;
}

typedef struct seq {
    int next;
    bool ok;
} seq;

static int check_order(void *ud, const char *p, size_t n) {
    seq *s = ud;
    s->ok = s->ok && n == 4 && p[0] == (char)(s->next % 100 + 1);
    s->next++;
    return 0;
}

static void test_bgq_workers(void **state) {
    (void)state;
    seq s = {.ok = true};
    mg_bgq *q = mg_bgq_new_workers(5, 16, 3, add_one, check_order, &s);
    for (int i = 0; i < 2000; i++) {
        char *b = mg_bgq_acquire(q);
        memset(b, i % 100, 4);
        mg_bgq_submit(q, b, 4);
    }
    assert_int_equal(mg_bgq_finish(q), 0);
    assert_int_equal(s.next, 2000);
    assert_true(s.ok);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_permuted), cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_cmap),           cmocka_unit_test(test_bgq_order),
        cmocka_unit_test(test_bgq_workers),    cmocka_unit_test(test_shared_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
