/* Unit tests for k8s/workqueue: client-go semantics (de-dup, re-add while processing, backoff
 * growth and forget, token bucket, delayed adds in order, shutdown), including several
 * producers and workers at once. No assertion depends on how fast the machine is: delays are
 * only checked from below, orders and counts are exact. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/mem.h"
#include "k8s/workqueue.h"

static void get_expect(mg_workqueue *q, const char *want) {
    char *k = mg_wq_get(q);
    assert_non_null(k);
    assert_string_equal(k, want);
    mg_wq_done(q, k);
    free(k);
}

static void test_dedup_fifo(void **state) {
    (void)state;
    mg_workqueue *q = mg_wq_new(NULL);
    mg_wq_add(q, "ns/a");
    mg_wq_add(q, "ns/b");
    mg_wq_add(q, "ns/a");
    mg_wq_add(q, "ns/c");
    mg_wq_add(q, "ns/b");
    assert_int_equal(mg_wq_len(q), 3);
    get_expect(q, "ns/a");
    get_expect(q, "ns/b");
    get_expect(q, "ns/c");
    assert_int_equal(mg_wq_len(q), 0);
    mg_wq_shutdown(q);
    mg_wq_free(q);
}

static void test_readd_while_processing(void **state) {
    (void)state;
    mg_workqueue *q = mg_wq_new(NULL);
    mg_wq_add(q, "a");
    char *k = mg_wq_get(q);
    assert_string_equal(k, "a");
    /* re-added while processing: not handed out again before done */
    mg_wq_add(q, "a");
    mg_wq_add(q, "a");
    assert_int_equal(mg_wq_len(q), 0);
    mg_wq_add(q, "b");
    assert_int_equal(mg_wq_len(q), 1);
    mg_wq_done(q, k);
    free(k);
    assert_int_equal(mg_wq_len(q), 2);
    get_expect(q, "b");
    get_expect(q, "a");
    /* done without a re-add does not requeue */
    assert_int_equal(mg_wq_len(q), 0);
    mg_wq_shutdown(q);
    mg_wq_free(q);
}

static void test_backoff_and_forget(void **state) {
    (void)state;
    mg_workqueue *q =
        mg_wq_new(&(mg_wq_opts){.base_delay_ms = 5, .max_delay_ms = 1000000, .qps = 10, .burst = 100});
    long want[] = {5, 10, 20, 40, 80, 160};
    for (int i = 0; i < 6; i++) {
        assert_int_equal(mg_wq_when(q, "x"), want[i]);
        assert_int_equal(mg_wq_num_requeues(q, "x"), i + 1);
    }
    /* per item: another key starts from the base */
    assert_int_equal(mg_wq_when(q, "y"), 5);
    mg_wq_forget(q, "x");
    assert_int_equal(mg_wq_num_requeues(q, "x"), 0);
    assert_int_equal(mg_wq_when(q, "x"), 5);
    mg_wq_free(q);

    /* cap */
    q = mg_wq_new(&(mg_wq_opts){.base_delay_ms = 1, .max_delay_ms = 8, .qps = 1000, .burst = 1000});
    long capped[] = {1, 2, 4, 8, 8, 8};
    for (int i = 0; i < 6; i++)
        assert_int_equal(mg_wq_when(q, "z"), capped[i]);
    mg_wq_free(q);

    /* defaults: 5 ms ... 1000 s */
    q = mg_wq_new(NULL);
    long last = 0;
    for (int i = 0; i < 40; i++)
        last = mg_wq_when(q, "d");
    assert_int_equal(last, 1000000);
    mg_wq_free(q);
}

static void test_token_bucket(void **state) {
    (void)state;
    /* burst 3 at 0.1 qps: the 4th and 5th distinct keys wait for the bucket (~10 s, ~20 s), far
     * longer than their own 1 ms backoff; the maximum of the two wins. */
    mg_workqueue *q =
        mg_wq_new(&(mg_wq_opts){.base_delay_ms = 1, .max_delay_ms = 1000, .qps = 0.1, .burst = 3});
    assert_int_equal(mg_wq_when(q, "k1"), 1);
    assert_int_equal(mg_wq_when(q, "k2"), 1);
    assert_int_equal(mg_wq_when(q, "k3"), 1);
    long d4 = mg_wq_when(q, "k4");
    long d5 = mg_wq_when(q, "k5");
    /* refill during the test can only shorten them; bounded from below with a wide margin */
    assert_true(d4 > 5000 && d4 <= 10000);
    assert_true(d5 > 15000 && d5 <= 20000);
    mg_wq_free(q);
}

static void test_add_after_order(void **state) {
    (void)state;
    mg_workqueue *q = mg_wq_new(NULL);
    int64_t t0 = mg_clock_mono_ms();
    mg_wq_add_after(q, "c", 300);
    mg_wq_add_after(q, "a", 100);
    mg_wq_add_after(q, "b", 200);
    mg_wq_add_after(q, "later", 3600 * 1000);
    /* the same key again with an earlier time wins; a later time is ignored */
    mg_wq_add_after(q, "d", 3600 * 1000);
    mg_wq_add_after(q, "d", 400);
    mg_wq_add_after(q, "a", 5000);
    mg_wq_add_after(q, "now", 0); /* no delay: queued at once */
    assert_int_equal(mg_wq_len(q), 1);
    get_expect(q, "now");
    get_expect(q, "a");
    assert_true(mg_clock_mono_ms() - t0 >= 100);
    get_expect(q, "b");
    get_expect(q, "c");
    get_expect(q, "d");
    assert_true(mg_clock_mono_ms() - t0 >= 400);
    assert_int_equal(mg_wq_len(q), 0);
    /* a delayed add of a key already queued does not duplicate it */
    mg_wq_add(q, "e");
    mg_wq_add_after(q, "e", 10);
    get_expect(q, "e");
    mg_wq_shutdown(q); /* "later" is dropped; get does not wait for it */
    assert_null(mg_wq_get(q));
    mg_wq_free(q);
}

static void test_rate_limited_delivers(void **state) {
    (void)state;
    mg_workqueue *q = mg_wq_new(NULL);
    for (int i = 0; i < 4; i++) {
        mg_wq_add_rate_limited(q, "r");
        get_expect(q, "r");
    }
    assert_int_equal(mg_wq_num_requeues(q, "r"), 4);
    mg_wq_forget(q, "r");
    assert_int_equal(mg_wq_num_requeues(q, "r"), 0);
    mg_wq_shutdown(q);
    mg_wq_free(q);
}

static void *getter(void *p) { return mg_wq_get(p); }

static void test_shutdown_wakes_getters(void **state) {
    (void)state;
    mg_workqueue *q = mg_wq_new(NULL);
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&th[i], NULL, getter, q);
    mg_sleep_ms(20); /* let them block (not needed for correctness) */
    assert_false(mg_wq_shutting_down(q));
    mg_wq_shutdown(q);
    assert_true(mg_wq_shutting_down(q));
    for (int i = 0; i < 3; i++) {
        void *ret = (void *)1;
        pthread_join(th[i], &ret);
        assert_null(ret);
    }
    mg_wq_add(q, "ignored");
    mg_wq_add_rate_limited(q, "ignored");
    assert_int_equal(mg_wq_len(q), 0);
    assert_null(mg_wq_get(q));
    mg_wq_free(q);

    /* keys queued before shutdown are still handed out, then NULL */
    q = mg_wq_new(NULL);
    mg_wq_add(q, "x");
    mg_wq_shutdown(q);
    get_expect(q, "x");
    assert_null(mg_wq_get(q));
    mg_wq_free(q);
}

/* Several producers and workers. Every add bumps the key's generation before adding; a
 * worker records the generation it saw when it got the key. After everything drains, each
 * key's last processing must have started after its last add (seen == added), and no key was
 * ever processed by two workers at once. */
#define NKEYS 64
#define NPROD 3
#define NWORK 4
#define ROUNDS 300

typedef struct conc {
    mg_workqueue *q;
    int added[NKEYS];
    int seen[NKEYS];
    int busy[NKEYS];
    long overlaps;
    long processed;
    int prod_id;
} conc;

static void *producer(void *p) {
    conc *c = p;
    int id = __atomic_fetch_add(&c->prod_id, 1, __ATOMIC_SEQ_CST);
    char key[16];
    for (int r = 0; r < ROUNDS; r++) {
        int k = (r * 7 + id * 13) % NKEYS;
        __atomic_fetch_add(&c->added[k], 1, __ATOMIC_SEQ_CST);
        snprintf(key, sizeof(key), "k%d", k);
        mg_wq_add(c->q, key);
        if (r % 50 == 0) sched_yield();
    }
    return NULL;
}

static void *worker(void *p) {
    conc *c = p;
    char *key;
    while ((key = mg_wq_get(c->q))) {
        int k = atoi(key + 1);
        if (__atomic_exchange_n(&c->busy[k], 1, __ATOMIC_SEQ_CST))
            __atomic_fetch_add(&c->overlaps, 1, __ATOMIC_SEQ_CST);
        int gen = __atomic_load_n(&c->added[k], __ATOMIC_SEQ_CST);
        __atomic_store_n(&c->seen[k], gen, __ATOMIC_SEQ_CST);
        if (k % 5 == 0) sched_yield(); /* widen the window for re-adds while processing */
        __atomic_store_n(&c->busy[k], 0, __ATOMIC_SEQ_CST);
        __atomic_fetch_add(&c->processed, 1, __ATOMIC_SEQ_CST);
        mg_wq_done(c->q, key);
        free(key);
    }
    return NULL;
}

static void test_concurrent_workers(void **state) {
    (void)state;
    conc *c = mg_xcalloc(1, sizeof(*c));
    c->q = mg_wq_new(NULL);
    pthread_t prod[NPROD], work[NWORK];
    for (int i = 0; i < NWORK; i++)
        pthread_create(&work[i], NULL, worker, c);
    for (int i = 0; i < NPROD; i++)
        pthread_create(&prod[i], NULL, producer, c);
    for (int i = 0; i < NPROD; i++)
        pthread_join(prod[i], NULL);
    mg_wq_shutdown(c->q); /* drains: queued and dirty keys still run */
    for (int i = 0; i < NWORK; i++)
        pthread_join(work[i], NULL);
    assert_int_equal(c->overlaps, 0);
    int total = 0;
    for (int k = 0; k < NKEYS; k++) {
        total += c->added[k];
        if (c->added[k]) assert_int_equal(c->seen[k], c->added[k]);
    }
    assert_int_equal(total, NPROD * ROUNDS);
    /* de-dup: never more runs than adds */
    assert_true(c->processed <= total);
    assert_true(c->processed >= 1);
    mg_wq_free(c->q);
    free(c);
}

/* The pool: failures are retried with backoff until they succeed (no sooner than the delay a
 * failure asks for), successes are forgotten, a success with a delay requeues after it. */
typedef struct pool_state {
    pthread_mutex_t mu;
    int calls_fail; /* "flaky" fails twice, then succeeds */
    int calls_ok;
    int calls_repeat; /* "repeat" asks to be looked at again twice */
    int calls_retry_after;
    int64_t retry_after_at[2]; /* when "retry-after" ran the first and the second time */
    int concurrent, max_concurrent;
} pool_state;

static int process(const char *key, void *ud, long *after_ms) {
    pool_state *p = ud;
    pthread_mutex_lock(&p->mu);
    if (++p->concurrent > p->max_concurrent) p->max_concurrent = p->concurrent;
    int rc = 0;
    if (!strcmp(key, "flaky"))
        rc = ++p->calls_fail <= 2 ? -1 : 0;
    else if (!strcmp(key, "repeat"))
        *after_ms = ++p->calls_repeat < 3 ? 5 : 0;
    else if (!strcmp(key, "retry-after")) { /* fails once asking for 30 ms, then succeeds */
        if (p->calls_retry_after < 2) p->retry_after_at[p->calls_retry_after] = mg_clock_mono_ms();
        rc = (*after_ms = ++p->calls_retry_after == 1 ? 30 : 0) ? -1 : 0;
    } else
        p->calls_ok++;
    p->concurrent--;
    pthread_mutex_unlock(&p->mu);
    return rc;
}

static void test_worker_pool(void **state) {
    (void)state;
    mg_workqueue *q = mg_wq_new(NULL);
    pool_state p = {.mu = PTHREAD_MUTEX_INITIALIZER};
    mg_wq_workers *w = NULL;
    assert_int_equal(mg_wq_workers_start(q, 0, process, &p, &w), MG_EINVAL);
    assert_null(w);
    assert_int_equal(mg_wq_workers_start(q, 3, process, &p, &w), 0);
    mg_wq_add(q, "flaky");
    mg_wq_add(q, "repeat");
    mg_wq_add(q, "retry-after");
    char key[16];
    for (int i = 0; i < 50; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        mg_wq_add(q, key);
    }
    for (int i = 0; i < 2000; i++) {
        pthread_mutex_lock(&p.mu);
        bool done = p.calls_fail >= 3 && p.calls_repeat >= 3 && p.calls_ok >= 50 && p.calls_retry_after >= 2;
        pthread_mutex_unlock(&p.mu);
        if (done) break;
        mg_sleep_ms(5);
    }
    mg_wq_workers_stop(w);
    assert_int_equal(p.calls_fail, 3);
    assert_int_equal(p.calls_repeat, 3);
    assert_int_equal(p.calls_ok, 50);
    assert_int_equal(p.calls_retry_after, 2);
    /* the failure's own delay won over the 5 ms backoff */
    assert_true(p.retry_after_at[1] - p.retry_after_at[0] >= 30);
    assert_int_equal(mg_wq_num_requeues(q, "flaky"), 0); /* forgotten after success */
    assert_true(p.max_concurrent <= 3);
    assert_true(mg_wq_shutting_down(q));
    mg_wq_free(q);
}

int main(void) {
    mg_mem_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dedup_fifo),
        cmocka_unit_test(test_readd_while_processing),
        cmocka_unit_test(test_backoff_and_forget),
        cmocka_unit_test(test_token_bucket),
        cmocka_unit_test(test_add_after_order),
        cmocka_unit_test(test_rate_limited_delivers),
        cmocka_unit_test(test_shutdown_wakes_getters),
        cmocka_unit_test(test_concurrent_workers),
        cmocka_unit_test(test_worker_pool),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
