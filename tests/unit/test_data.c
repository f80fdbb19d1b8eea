/* Unit tests for the data modules' pure parts (src/data): the bias-scan group table (rates,
 * disparate impact through mg_stats_disparate_impact, four-fifths verdict, value order), the
 * k-anonymity class keys and order, baseline bins and group rates, drift breaches and column
 * pairing, and the counter map's merge. Expected values are small exact fractions worked out by
 * hand in the tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "data/anon.h"
#include "data/baseline.h"
#include "data/bias.h"
#include "data/cmap.h"
#include "data/drift.h"
#include "data/hmac.h"

#include <openssl/hmac.h>

/* |got - want| <= tol, with the values in the failure message */
#define assert_double_equal(got, want, tol) assert_close((got), (want), (tol), __FILE__, __LINE__)
static void assert_close(double got, double want, double tol, const char *file, int line) {
    if (!(fabs(got - want) <= tol)) fail_msg("%s:%d: got %.17g, want %.17g", file, line, got, want);
}

typedef struct group_in {
    const char *value;
    uint64_t count, positives;
} group_in;

typedef struct bias_case {
    const char *name;
    group_in in[4];
    uint64_t rows;
    /* expected, in value order */
    const char *order[4];
    double rate[4], di[4];
    bool pass[4], all_pass;
} bias_case;

static const bias_case bias_cases[] = {
    {"two groups, 0.25 vs 0.5: DI 0.5 fails",
     {{"m", 4, 1}, {"f", 10, 5}},
     14,
     {"f", "m"},
     {0.5, 0.25},
     {1.0, 0.5},
     {true, false},
     false},
    {"four fifths exactly passes",
     {{"b", 10, 4}, {"a", 10, 5}},
     20,
     {"a", "b"},
     {0.5, 0.4},
     {1.0, 0.8},
     {true, true},
     true},
    {"all rates 0: DI 1 everywhere",
     {{"x", 3, 0}, {"", 2, 0}, {"y", 1, 0}},
     6,
     {"", "x", "y"},
     {0, 0, 0},
     {1.0, 1.0, 1.0},
     {true, true, true},
     true},
    {"one group", {{"only", 5, 5}}, 5, {"only"}, {1.0}, {1.0}, {true}, true},
};

static void test_bias_groups(void **state) {
    (void)state;
    for (size_t c = 0; c < sizeof bias_cases / sizeof *bias_cases; c++) {
        const bias_case *t = &bias_cases[c];
        mg_cmap m;
        mg_cmap_init(&m);
        size_t n = 0;
        for (; n < 4 && t->in[n].value; n++) {
            mg_cmap_entry *e = mg_cmap_get(&m, t->in[n].value, strlen(t->in[n].value));
            e->a = t->in[n].count;
            e->b = t->in[n].positives;
        }
        mg_bias_group out[4];
        bool all = mg_bias_groups(&m, t->rows, out);
        if (all != t->all_pass) fail_msg("%s: passed %d", t->name, all);
        for (size_t k = 0; k < n; k++) {
            if (out[k].vlen != strlen(t->order[k]) || memcmp(out[k].value, t->order[k], out[k].vlen))
                fail_msg("%s: group %zu is %.*s, want %s", t->name, k, (int)out[k].vlen, out[k].value,
                         t->order[k]);
            assert_double_equal(out[k].positive_rate, t->rate[k], 1e-15);
            assert_double_equal(out[k].disparate_impact, t->di[k], 1e-15);
            assert_double_equal(out[k].share, (double)out[k].count / (double)t->rows, 1e-15);
            if (out[k].pass != t->pass[k]) fail_msg("%s: group %zu pass %d", t->name, k, out[k].pass);
        }
        mg_cmap_free(&m);
    }
}

static void test_anon_keys_and_order(void **state) {
    (void)state;
    /* rows of (age, zip); the empty value and a value holding a comma/NUL are values too */
    static const char *const rows[][2] = {{"34", "1012"}, {"34", "1012"}, {"", "1012"}, {"3", "41012"},
                                          {"34", "1012"}, {"", "1012"},   {"a\0b", "x"}};
    static const size_t lens[][2] = {{2, 4}, {2, 4}, {0, 4}, {1, 5}, {2, 4}, {0, 4}, {3, 1}};
    mg_cmap m;
    mg_cmap_init(&m);
    char *key = NULL;
    size_t cap = 0;
    for (size_t r = 0; r < sizeof rows / sizeof *rows; r++) {
        size_t klen = mg_anon_key(rows[r], lens[r], 2, &key, &cap);
        mg_cmap_get(&m, key, klen)->a++;
    }
    free(key);
    assert_int_equal(m.n, 4); /* "3","41012" differs from "34","1012" */
    mg_cmap_entry **list = mg_anon_classes(&m);
    size_t len;
    /* smallest first: the two singletons by key bytes (length prefix first), then 2, then 3 */
    assert_int_equal(list[0]->a, 1);
    assert_int_equal(list[1]->a, 1);
    const char *v = mg_anon_value(list[0], 0, &len);
    assert_int_equal(len, 1);
    assert_memory_equal(v, "3", 1);
    v = mg_anon_value(list[1], 0, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(v, "a\0b", 3);
    v = mg_anon_value(list[1], 1, &len);
    assert_int_equal(len, 1);
    assert_memory_equal(v, "x", 1);
    assert_int_equal(list[2]->a, 2);
    v = mg_anon_value(list[2], 0, &len);
    assert_int_equal(len, 0);
    assert_int_equal(list[3]->a, 3);
    free(list);
    mg_cmap_free(&m);
}

static void test_cmap_merge(void **state) {
    (void)state;
    mg_cmap a, b;
    mg_cmap_init(&a);
    mg_cmap_init(&b);
    mg_cmap_get(&a, "x", 1)->a = 2;
    mg_cmap_entry *e = mg_cmap_get(&b, "x", 1);
    e->a = 3;
    e->b = 1;
    mg_cmap_get(&b, "y", 1)->a = 7;
    mg_cmap_merge(&a, &b);
    assert_int_equal(a.n, 2);
    assert_int_equal(mg_cmap_get(&a, "x", 1)->a, 5);
    assert_int_equal(mg_cmap_get(&a, "x", 1)->b, 1);
    assert_int_equal(mg_cmap_get(&a, "y", 1)->a, 7);
    mg_cmap_free(&a);
    mg_cmap_free(&b);
}

static void test_baseline_bins(void **state) {
    (void)state;
    /* 1..8 in 4 bins: numpy.quantile([1..8], [.25,.5,.75]) = 2.75, 4.5, 6.25; two values each */
    double v[] = {8, 1, 7, 2, 6, 3, 5, 4};
    double edges[3], props[4];
    size_t ne = 0;
    assert_int_equal(mg_baseline_bins(v, 8, 4, edges, &ne, props), 0);
    assert_int_equal(ne, 3);
    assert_double_equal(edges[0], 2.75, 1e-12);
    assert_double_equal(edges[1], 4.5, 1e-12);
    assert_double_equal(edges[2], 6.25, 1e-12);
    for (int i = 0; i < 4; i++)
        assert_double_equal(props[i], 0.25, 1e-15);
    /* all values equal: one edge, everything in the first bin */
    double same[] = {3, 3, 3};
    assert_int_equal(mg_baseline_bins(same, 3, 4, edges, &ne, props), 0);
    assert_int_equal(ne, 1);
    assert_double_equal(props[0], 1.0, 0);
    assert_double_equal(props[1], 0.0, 0);
    double bad[] = {1, NAN};
    assert_int_not_equal(mg_baseline_bins(bad, 2, 4, edges, &ne, props), 0);

    mg_baseline_group g = {.n = 8, .pred_pos = 2, .label_pos = 4, .tp = 1};
    double rate = -1, tpr = -1;
    assert_true(mg_baseline_group_rates(&g, &rate, &tpr));
    assert_double_equal(rate, 0.25, 0);
    assert_double_equal(tpr, 0.25, 0);
    g.label_pos = 0;
    tpr = -1;
    assert_false(mg_baseline_group_rates(&g, &rate, &tpr));
    assert_double_equal(tpr, -1, 0);
}

static void test_drift_breaches(void **state) {
    (void)state;
    mg_drift_metrics m = {
        .ks = 0.3, .wasserstein = 2, .psi = 0.15, .js = 0.1, .chi2 = 9, .chi2_pvalue = 0.01, .chi2_ok = true};
    mg_drift_thresholds none = {NAN, NAN, NAN, NAN, NAN}, t = {0.1, 0.5, 0.2, 2, 0.05};
    mg_drift_breach br[MG_DRIFT_NCHECKS];
    assert_int_equal(mg_drift_breaches(&m, &none, br), 0);
    /* psi 0.15 > 0.1, ks 0.3 <= 0.5, js 0.1 <= 0.2, wasserstein 2 is not above 2, p 0.01 < 0.05 */
    assert_int_equal(mg_drift_breaches(&m, &t, br), 2);
    assert_string_equal(br[0].metric, "psi");
    assert_double_equal(br[0].value, 0.15, 0);
    assert_double_equal(br[0].threshold, 0.1, 0);
    assert_string_equal(br[1].metric, "chi2PValue");
    m.chi2_ok = false; /* an undefined p-value never breaches */
    assert_int_equal(mg_drift_breaches(&m, &t, br), 1);
}

static void test_drift_compare(void **state) {
    (void)state;
    double ra[] = {1, 2, 3, 4}, rb[] = {1, 2, 3, 4}, ca[] = {1, 2, 3, 4}, cb[] = {5};
    mg_numcol acol[] = {
        {.name = "x", .v = ra, .n = 4}, {.name = "y", .v = rb, .n = 4}, {.name = "t", .non_numeric = true}};
    mg_numcol bcol[] = {{.name = "y", .v = cb, .n = 1}, {.name = "x", .v = ca, .n = 4}};
    mg_numcols A = {.col = acol, .ncol = 3}, B = {.col = bcol, .ncol = 2};
    mg_drift_result *r = NULL;
    size_t n = 0;
    mg_error err;
    /* all columns: t is skipped; x identical (KS 0), y fully shifted (KS 1) */
    assert_int_equal(mg_drift_compare(&A, &B, true, 4, "ref", "cur", &r, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(r[0].ref->name, "x");
    assert_double_equal(r[0].m.ks, 0, 0);
    assert_double_equal(r[0].m.psi, 0, 1e-15);
    assert_string_equal(r[1].cur->name, "y");
    assert_double_equal(r[1].m.ks, 1, 0);
    assert_double_equal(r[1].m.wasserstein, 2.5, 1e-12); /* mean |5 - v| over 1..4 */
    free(r);
    /* named columns: t has no values in the current file -> error naming it */
    A.ncol = 3;
    assert_int_equal(mg_drift_compare(&A, &B, false, 4, "ref", "cur", &r, &n, &err), MG_EINVAL);
    assert_string_equal(err.message, "cur: column t is not in the header");
    A.ncol = 0;
    assert_int_equal(mg_drift_compare(&A, &B, true, 4, "ref", "cur", &r, &n, &err), MG_EINVAL);
    assert_string_equal(err.message, "no numeric feature common to ref and cur");
}

/* RFC 4231 test case 2, then every message length 0..130 (one block, two blocks, the 55/56
 * boundary) against OpenSSL's HMAC(), with the SHA extensions and without, one and two at a time, and a key
 * longer than the block (hashed first). */
static void test_hmac(void **state) {
    (void)state;
    mg_hmac_key k;
    unsigned char tok[MG_HMAC_HEX_LEN];
    mg_hmac_init(&k, (const unsigned char *)"Jefe", 4);
    mg_hmac_hex(&k, "what do ya want for nothing?", 28, tok);
    assert_memory_equal(tok, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
                        MG_HMAC_HEX_LEN);
    unsigned char key[100], msg[131], d[MG_SHA256_LEN];
    char want[MG_HMAC_HEX_LEN + 1];
    for (size_t i = 0; i < sizeof key; i++)
        key[i] = (unsigned char)(i * 7 + 1);
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (unsigned char)(i * 13 + 5);
    for (size_t klen = 32; klen <= sizeof key; klen += sizeof key - 32) {
        mg_hmac_init(&k, key, klen);
        bool ni = k.ni;
        for (int pass = 0; pass < 2; pass++) {
            k.ni = pass ? false : ni;
            for (size_t n = 0; n < sizeof msg; n++) {
                HMAC(EVP_sha256(), key, (int)klen, msg, n, d, NULL);
                mg_hex(d, sizeof d, want);
                mg_hmac_hex(&k, msg, n, tok);
                if (memcmp(tok, want, MG_HMAC_HEX_LEN)) fail_msg("key %zu, %zu bytes, ni %d", klen, n, k.ni);
                /* a batch of 1..4 whose first message is this one, the others of other lengths
                 * (one-block and longer mixed, so every grouping of the batch is taken) */
                size_t count = 1 + n % MG_HMAC_BATCH;
                const void *msgs[MG_HMAC_BATCH];
                size_t lens[MG_HMAC_BATCH];
                unsigned char toks[MG_HMAC_BATCH][MG_HMAC_HEX_LEN], *outs[MG_HMAC_BATCH];
                for (size_t b = 0; b < count; b++) {
                    size_t spread = n % 3 ? 56 : sizeof msg - b; /* one-block only, or any length */
                    lens[b] = b ? (n * 7 + b * 29) % spread : n;
                    msgs[b] = msg + b;
                    outs[b] = toks[b];
                }
                mg_hmac_hex_batch(&k, count, msgs, lens, outs);
                for (size_t b = 0; b < count; b++) {
                    HMAC(EVP_sha256(), key, (int)klen, msgs[b], lens[b], d, NULL);
                    mg_hex(d, sizeof d, want);
                    if (memcmp(toks[b], want, MG_HMAC_HEX_LEN))
                        fail_msg("batch of %zu, token %zu of %zu bytes, ni %d", count, b, lens[b], k.ni);
                }
            }
        }
        mg_hmac_cleanse(&k);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bias_groups),    cmocka_unit_test(test_anon_keys_and_order),
        cmocka_unit_test(test_cmap_merge),     cmocka_unit_test(test_baseline_bins),
        cmocka_unit_test(test_drift_breaches), cmocka_unit_test(test_drift_compare),
        cmocka_unit_test(test_hmac),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
