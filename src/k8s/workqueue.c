/* k8s/workqueue — see workqueue.h. Mirrors client-go's workqueue: `queue` holds keys in FIFO
 * order, `dirty` the keys that need processing (queued or re-added while processing),
 * `processing` the keys handed out by get and not yet done. Delayed keys wait in a min-heap
 * (deduplicated: a key keeps its earliest ready time); getters sleep with a timed wait until the
 * next one is due, and every call moves due keys into the queue, so no timer thread is needed.
 * One mutex guards everything; a key is never handed to two workers at once. */
#include "k8s/workqueue.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/mem.h"
#include "k8s/strmap.h"

/* client-go's DefaultControllerRateLimiter: per-item backoff from 5 ms to 1000 s, and a bucket
 * of 10 qps with a burst of 100 over all items. */
#define DEFAULT_BASE_DELAY_MS 5
#define DEFAULT_MAX_DELAY_MS 1000000
#define DEFAULT_QPS 10
#define DEFAULT_BURST 100

typedef struct delayed {
    int64_t ready_us;
    uint64_t seq; /* FIFO among equal ready times */
    char *key;
} delayed;

struct mg_workqueue {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    /* FIFO ring of owned key strings */
    char **ring;
    size_t head, count, cap;
    mg_strmap *dirty;      /* set */
    mg_strmap *processing; /* set */
    bool shutting_down;
    /* delays */
    delayed *heap;
    size_t nheap, capheap;
    uint64_t seq;
    mg_strmap *waiting; /* key → (int64_t *) earliest ready time in the heap */
    /* rate limiting */
    mg_strmap *failures; /* key → mg_backoff * */
    long base_delay_ms, max_delay_ms;
    double qps;
    double burst;
    double tokens;
    int64_t tokens_at_us;
};

static int64_t now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

mg_workqueue *mg_wq_new(const mg_wq_opts *opts) {
    mg_workqueue *q = mg_xcalloc(1, sizeof(*q));
    pthread_mutex_init(&q->mu, NULL);
    mg_clock_cond_init(&q->cond);
    q->dirty = mg_strmap_new();
    q->processing = mg_strmap_new();
    q->waiting = mg_strmap_new();
    q->failures = mg_strmap_new();
    q->base_delay_ms = opts && opts->base_delay_ms > 0 ? opts->base_delay_ms : DEFAULT_BASE_DELAY_MS;
    q->max_delay_ms = opts && opts->max_delay_ms > 0 ? opts->max_delay_ms : DEFAULT_MAX_DELAY_MS;
    q->qps = opts && opts->qps > 0 ? opts->qps : DEFAULT_QPS;
    q->burst = opts && opts->burst > 0 ? opts->burst : DEFAULT_BURST;
    q->tokens = q->burst;
    q->tokens_at_us = now_us();
    return q;
}

void mg_wq_free(mg_workqueue *q) {
    if (!q) return;
    for (size_t i = 0; i < q->count; i++)
        free(q->ring[(q->head + i) % q->cap]);
    free(q->ring);
    for (size_t i = 0; i < q->nheap; i++)
        free(q->heap[i].key);
    free(q->heap);
    mg_strmap_free(q->dirty, NULL);
    mg_strmap_free(q->processing, NULL);
    mg_strmap_free(q->waiting, free);
    mg_strmap_free(q->failures, free);
    pthread_cond_destroy(&q->cond);
    pthread_mutex_destroy(&q->mu);
    free(q);
}

static void push(mg_workqueue *q, const char *key) {
    if (q->count == q->cap) {
        size_t ncap = q->cap ? q->cap * 2 : 16;
        char **r = mg_xmalloc(ncap * sizeof(char *));
        for (size_t i = 0; i < q->count; i++)
            r[i] = q->ring[(q->head + i) % q->cap];
        free(q->ring);
        q->ring = r;
        q->cap = ncap;
        q->head = 0;
    }
    q->ring[(q->head + q->count) % q->cap] = mg_xstrdup(key);
    q->count++;
}

static char *pop(mg_workqueue *q) {
    char *k = q->ring[q->head];
    q->head = (q->head + 1) % q->cap;
    q->count--;
    return k;
}

/* client-go Type.Add, with the mutex held. */
static void add_locked(mg_workqueue *q, const char *key) {
    if (q->shutting_down || mg_strmap_has(q->dirty, key)) return;
    mg_strmap_put(q->dirty, key, NULL);
    if (mg_strmap_has(q->processing, key)) return;
    push(q, key);
    pthread_cond_signal(&q->cond);
}

static bool heap_less(const delayed *a, const delayed *b) {
    return a->ready_us < b->ready_us || (a->ready_us == b->ready_us && a->seq < b->seq);
}

static void heap_push(mg_workqueue *q, delayed d) {
    if (q->nheap == q->capheap) {
        q->capheap = q->capheap ? q->capheap * 2 : 16;
        q->heap = mg_xrealloc(q->heap, q->capheap * sizeof(delayed));
    }
    size_t i = q->nheap++;
    q->heap[i] = d;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!heap_less(&q->heap[i], &q->heap[p])) break;
        delayed t = q->heap[i];
        q->heap[i] = q->heap[p];
        q->heap[p] = t;
        i = p;
    }
}

static delayed heap_pop(mg_workqueue *q) {
    delayed top = q->heap[0];
    q->heap[0] = q->heap[--q->nheap];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < q->nheap && heap_less(&q->heap[l], &q->heap[m])) m = l;
        if (r < q->nheap && heap_less(&q->heap[r], &q->heap[m])) m = r;
        if (m == i) break;
        delayed t = q->heap[i];
        q->heap[i] = q->heap[m];
        q->heap[m] = t;
        i = m;
    }
    return top;
}

/* Moves every due delayed key into the queue. Heap entries superseded by an earlier ready
 * time for the same key are stale and dropped. */
static void promote_due(mg_workqueue *q, int64_t now) {
    while (q->nheap && q->heap[0].ready_us <= now) {
        delayed d = heap_pop(q);
        int64_t *want = mg_strmap_get(q->waiting, d.key);
        if (want && *want == d.ready_us) {
            free(mg_strmap_del(q->waiting, d.key));
            add_locked(q, d.key);
        }
        free(d.key);
    }
}

static void add_after_locked(mg_workqueue *q, const char *key, int64_t delay_us) {
    if (q->shutting_down) return;
    if (delay_us <= 0) {
        add_locked(q, key);
        return;
    }
    int64_t ready = now_us() + delay_us;
    int64_t *want = mg_strmap_get(q->waiting, key);
    if (want) {
        if (*want <= ready) return; /* already due earlier */
        *want = ready;
    } else {
        want = mg_xmalloc(sizeof(*want));
        *want = ready;
        mg_strmap_put(q->waiting, key, want);
    }
    heap_push(q, (delayed){.ready_us = ready, .seq = q->seq++, .key = mg_xstrdup(key)});
    pthread_cond_broadcast(&q->cond); /* a getter may need an earlier wake-up */
}

void mg_wq_add(mg_workqueue *q, const char *key) {
    pthread_mutex_lock(&q->mu);
    promote_due(q, now_us());
    add_locked(q, key);
    pthread_mutex_unlock(&q->mu);
}

void mg_wq_add_after(mg_workqueue *q, const char *key, long delay_ms) {
    pthread_mutex_lock(&q->mu);
    promote_due(q, now_us());
    add_after_locked(q, key, (int64_t)delay_ms * 1000);
    pthread_mutex_unlock(&q->mu);
}

/* client-go's MaxOfRateLimiter(ItemExponentialFailureRateLimiter, BucketRateLimiter). The
 * bucket reserves a token even when it has to wait for it, as rate.Limiter.Reserve does. */
static int64_t when_locked(mg_workqueue *q, const char *key) {
    mg_backoff *b = mg_strmap_get(q->failures, key);
    if (!b) {
        b = mg_xmalloc(sizeof(*b));
        mg_backoff_init(b, q->base_delay_ms, q->max_delay_ms, 2.0, 0.0);
        mg_strmap_put(q->failures, key, b);
    }
    int64_t item_us = mg_backoff_next(b) * 1000;

    int64_t now = now_us();
    q->tokens += (double)(now - q->tokens_at_us) / 1e6 * q->qps;
    if (q->tokens > q->burst) q->tokens = q->burst;
    q->tokens_at_us = now;
    q->tokens -= 1.0;
    int64_t bucket_us = q->tokens >= 0 ? 0 : (int64_t)(-q->tokens / q->qps * 1e6);
    return item_us > bucket_us ? item_us : bucket_us;
}

void mg_wq_add_rate_limited(mg_workqueue *q, const char *key) {
    pthread_mutex_lock(&q->mu);
    promote_due(q, now_us());
    if (!q->shutting_down) add_after_locked(q, key, when_locked(q, key));
    pthread_mutex_unlock(&q->mu);
}

long mg_wq_when(mg_workqueue *q, const char *key) {
    pthread_mutex_lock(&q->mu);
    int64_t us = when_locked(q, key);
    pthread_mutex_unlock(&q->mu);
    return (long)(us / 1000);
}

void mg_wq_forget(mg_workqueue *q, const char *key) {
    pthread_mutex_lock(&q->mu);
    free(mg_strmap_del(q->failures, key));
    pthread_mutex_unlock(&q->mu);
}

int mg_wq_num_requeues(mg_workqueue *q, const char *key) {
    pthread_mutex_lock(&q->mu);
    mg_backoff *b = mg_strmap_get(q->failures, key);
    int n = b ? (int)b->attempt : 0;
    pthread_mutex_unlock(&q->mu);
    return n;
}

char *mg_wq_get(mg_workqueue *q) {
    pthread_mutex_lock(&q->mu);
    for (;;) {
        int64_t now = now_us();
        promote_due(q, now);
        if (q->count || q->shutting_down) break;
        if (q->nheap) {
            /* rounded up to whole ms so the wait never ends just before the key is due */
            struct timespec ts = mg_clock_deadline(CLOCK_MONOTONIC, (q->heap[0].ready_us - now + 999) / 1000);
            pthread_cond_timedwait(&q->cond, &q->mu, &ts);
        } else {
            pthread_cond_wait(&q->cond, &q->mu);
        }
    }
    char *key = NULL;
    if (q->count) { /* after shutdown the queued keys still drain, as in client-go */
        key = pop(q);
        mg_strmap_put(q->processing, key, NULL);
        mg_strmap_del(q->dirty, key);
    }
    pthread_mutex_unlock(&q->mu);
    return key;
}

void mg_wq_done(mg_workqueue *q, const char *key) {
    pthread_mutex_lock(&q->mu);
    mg_strmap_del(q->processing, key);
    if (mg_strmap_has(q->dirty, key)) {
        push(q, key);
        pthread_cond_signal(&q->cond);
    }
    pthread_mutex_unlock(&q->mu);
}

size_t mg_wq_len(mg_workqueue *q) {
    pthread_mutex_lock(&q->mu);
    promote_due(q, now_us());
    size_t n = q->count;
    pthread_mutex_unlock(&q->mu);
    return n;
}

void mg_wq_shutdown(mg_workqueue *q) {
    pthread_mutex_lock(&q->mu);
    q->shutting_down = true;
    pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->mu);
}

bool mg_wq_shutting_down(mg_workqueue *q) {
    pthread_mutex_lock(&q->mu);
    bool s = q->shutting_down;
    pthread_mutex_unlock(&q->mu);
    return s;
}

/* ------------------------------------------------------------------ worker pool */

struct mg_wq_workers {
    mg_workqueue *q;
    mg_wq_process_fn fn;
    void *ud;
    int n;
    pthread_t *threads;
};

static void *worker_main(void *p) {
    mg_wq_workers *w = p;
    char *key;
    while ((key = mg_wq_get(w->q))) {
        long after_ms = 0;
        int rc = w->fn(key, w->ud, &after_ms);
        if (rc < 0) {
            long backoff = mg_wq_when(w->q, key);
            mg_wq_add_after(w->q, key, after_ms > backoff ? after_ms : backoff);
        } else {
            mg_wq_forget(w->q, key);
            if (after_ms > 0) mg_wq_add_after(w->q, key, after_ms);
        }
        mg_wq_done(w->q, key);
        free(key);
    }
    return NULL;
}

int mg_wq_workers_start(mg_workqueue *q, int n, mg_wq_process_fn fn, void *ud, mg_wq_workers **out) {
    *out = NULL;
    if (n < 1 || !fn) return MG_EINVAL;
    mg_wq_workers *w = mg_xcalloc(1, sizeof(*w));
    w->q = q;
    w->fn = fn;
    w->ud = ud;
    w->threads = mg_xcalloc((size_t)n, sizeof(pthread_t));
    for (int i = 0; i < n; i++) {
        if (pthread_create(&w->threads[i], NULL, worker_main, w)) {
            mg_wq_shutdown(q);
            for (int j = 0; j < i; j++)
                pthread_join(w->threads[j], NULL);
            free(w->threads);
            free(w);
            return MG_EIO;
        }
        w->n++;
    }
    *out = w;
    return 0;
}

void mg_wq_workers_stop(mg_wq_workers *w) {
    if (!w) return;
    mg_wq_shutdown(w->q);
    for (int i = 0; i < w->n; i++)
        pthread_join(w->threads[i], NULL);
    free(w->threads);
    free(w);
}
