#include "core/bgq.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/mem.h"

struct mg_bgq {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t th;
    mg_bgq_fn fn;
    void *ud;
    size_t nbufs;
    char **buf;
    size_t *len;
    uint64_t acquired, submitted, done; /* sequence numbers */
    bool closing;
    int rc;
};

static void *worker(void *arg) {
    mg_bgq *q = arg;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (q->done == q->submitted && !q->closing)
            pthread_cond_wait(&q->cv, &q->mu);
        if (q->done == q->submitted) break; /* closing and drained */
        size_t i = q->done % q->nbufs;
        int rc = q->rc;
        pthread_mutex_unlock(&q->mu);
        if (!rc) rc = q->fn(q->ud, q->buf[i], q->len[i]);
        pthread_mutex_lock(&q->mu);
        if (rc && !q->rc) q->rc = rc;
        q->done++;
        pthread_cond_broadcast(&q->cv);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

mg_bgq *mg_bgq_new(size_t nbufs, size_t bufsize, mg_bgq_fn fn, void *ud) {
    mg_bgq *q = mg_xcalloc(1, sizeof *q);
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    q->fn = fn;
    q->ud = ud;
    q->nbufs = nbufs;
    q->buf = mg_xcalloc(nbufs, sizeof *q->buf);
    q->len = mg_xcalloc(nbufs, sizeof *q->len);
    for (size_t i = 0; i < nbufs; i++)
        q->buf[i] = mg_xmalloc(bufsize);
    if (pthread_create(&q->th, NULL, worker, q) != 0) abort();
    return q;
}

char *mg_bgq_acquire(mg_bgq *q) {
    pthread_mutex_lock(&q->mu);
    /* buffer acquired % nbufs was last submitted as number acquired - nbufs */
    while (q->acquired >= q->nbufs && q->done < q->acquired - q->nbufs + 1)
        pthread_cond_wait(&q->cv, &q->mu);
    char *b = q->buf[q->acquired % q->nbufs];
    q->acquired++;
    pthread_mutex_unlock(&q->mu);
    return b;
}

void mg_bgq_submit(mg_bgq *q, char *buf, size_t len) {
    pthread_mutex_lock(&q->mu);
    size_t i = q->submitted % q->nbufs;
    (void)buf; /* always the most recently acquired buffer */
    q->len[i] = len;
    q->submitted++;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

bool mg_bgq_failed(mg_bgq *q) {
    pthread_mutex_lock(&q->mu);
    bool f = q->rc != 0;
    pthread_mutex_unlock(&q->mu);
    return f;
}

int mg_bgq_finish(mg_bgq *q) {
    pthread_mutex_lock(&q->mu);
    q->closing = true;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
    pthread_join(q->th, NULL);
    int rc = q->rc;
    for (size_t i = 0; i < q->nbufs; i++)
        free(q->buf[i]);
    free(q->buf);
    free(q->len);
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cv);
    free(q);
    return rc;
}
