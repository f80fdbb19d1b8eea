#include "core/bgq.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/mem.h"

enum { SUBMITTED = 1, WORKING, WORKED };

struct mg_bgq {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t *th;
    size_t nth;
    mg_bgq_work_fn work;
    mg_bgq_fn emit;
    void *ud;
    size_t nbufs;
    char **buf;
    char **ptr; /* the submitted range of each buffer */
    size_t *len;
    unsigned char *state;
    uint64_t acquired, submitted, taken, emitted; /* sequence numbers */
    bool emitting, closing;
    int rc;
};

/* Emits the next buffer in order if its work is done and nobody is emitting. Called and
 * returns with mu held. */
static bool try_emit(mg_bgq *q) {
    if (q->emitting || q->emitted == q->submitted) return false;
    size_t i = q->emitted % q->nbufs;
    if (q->state[i] != WORKED) return false;
    q->emitting = true;
    int rc = q->rc;
    pthread_mutex_unlock(&q->mu);
    if (!rc) rc = q->emit(q->ud, q->ptr[i], q->len[i]);
    pthread_mutex_lock(&q->mu);
    if (rc && !q->rc) q->rc = rc;
    q->state[i] = 0;
    q->emitted++;
    q->emitting = false;
    pthread_cond_broadcast(&q->cv);
    return true;
}

static bool try_work(mg_bgq *q) {
    if (q->taken == q->submitted) return false;
    size_t i = q->taken++ % q->nbufs;
    q->state[i] = WORKING;
    int rc = q->rc;
    pthread_mutex_unlock(&q->mu);
    if (!rc) rc = q->work(q->ud, q->ptr[i], q->len[i]);
    pthread_mutex_lock(&q->mu);
    if (rc && !q->rc) q->rc = rc;
    q->state[i] = WORKED;
    pthread_cond_broadcast(&q->cv);
    return true;
}

static void *worker(void *arg) {
    mg_bgq *q = arg;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        if (try_emit(q) || try_work(q)) continue;
        if (q->closing && q->emitted == q->submitted) break; /* closing and drained */
        pthread_cond_wait(&q->cv, &q->mu);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

mg_bgq *mg_bgq_new_workers(size_t nbufs, size_t bufsize, size_t nthreads, mg_bgq_work_fn work, mg_bgq_fn emit,
                           void *ud) {
    mg_bgq *q = mg_xcalloc(1, sizeof *q);
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    q->work = work;
    q->emit = emit;
    q->ud = ud;
    q->nbufs = nbufs;
    q->buf = mg_xcalloc(nbufs, sizeof *q->buf);
    q->ptr = mg_xcalloc(nbufs, sizeof *q->ptr);
    q->len = mg_xcalloc(nbufs, sizeof *q->len);
    q->state = mg_xcalloc(nbufs, 1);
    for (size_t i = 0; i < nbufs; i++)
        q->buf[i] = mg_xmalloc(bufsize);
    q->nth = nthreads ? nthreads : 1;
    q->th = mg_xcalloc(q->nth, sizeof *q->th);
    for (size_t i = 0; i < q->nth; i++)
        if (pthread_create(&q->th[i], NULL, worker, q) != 0) abort();
    return q;
}

mg_bgq *mg_bgq_new(size_t nbufs, size_t bufsize, mg_bgq_fn emit, void *ud) {
    return mg_bgq_new_workers(nbufs, bufsize, 1, NULL, emit, ud);
}

char *mg_bgq_acquire(mg_bgq *q) {
    pthread_mutex_lock(&q->mu);
    /* buffer acquired % nbufs was last submitted as number acquired - nbufs */
    while (q->acquired >= q->nbufs && q->emitted < q->acquired - q->nbufs + 1)
        pthread_cond_wait(&q->cv, &q->mu);
    char *b = q->buf[q->acquired % q->nbufs];
    q->acquired++;
    pthread_mutex_unlock(&q->mu);
    return b;
}

void mg_bgq_submit(mg_bgq *q, char *buf, size_t len) {
    pthread_mutex_lock(&q->mu);
    size_t i = q->submitted % q->nbufs;
    q->ptr[i] = buf; /* inside the most recently acquired buffer */
    q->len[i] = len;
    q->state[i] = q->work ? SUBMITTED : WORKED;
    q->submitted++;
    if (!q->work) q->taken = q->submitted;
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
    for (size_t i = 0; i < q->nth; i++)
        pthread_join(q->th[i], NULL);
    int rc = q->rc;
    for (size_t i = 0; i < q->nbufs; i++)
        free(q->buf[i]);
    free(q->buf);
    free(q->ptr);
    free(q->len);
    free(q->state);
    free(q->th);
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cv);
    free(q);
    return rc;
}
