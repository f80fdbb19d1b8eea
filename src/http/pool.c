/* http/pool — see pool.h. */
#include "http/pool.h"

#include <pthread.h>
#include <stdlib.h>

#include "core/mem.h"

typedef struct lane {
    mg_http_job *head, *tail;
} lane;

struct mg_http_pool {
    int nworkers, started;
    pthread_t *threads;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    lane small, large;
    int large_running; /* workers running a large job (at most nworkers - 1, unless 1 worker) */
    bool stopping;
};

static void push(lane *l, mg_http_job *j) {
    j->next = NULL;
    if (l->tail)
        l->tail->next = j;
    else
        l->head = j;
    l->tail = j;
}

static mg_http_job *pop(lane *l) {
    mg_http_job *j = l->head;
    if (j) {
        l->head = j->next;
        if (!l->head) l->tail = NULL;
        j->next = NULL;
    }
    return j;
}

static bool may_take_large(const mg_http_pool *p) {
    return p->large.head && (p->nworkers == 1 || p->large_running < p->nworkers - 1);
}

static void *worker_main(void *arg) {
    mg_http_pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stopping && !p->small.head && !may_take_large(p))
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->stopping) break;
        mg_http_job *j = pop(&p->small);
        bool large = !j;
        if (large) {
            j = pop(&p->large);
            p->large_running++;
        }
        pthread_mutex_unlock(&p->mu);
        j->run(j); /* may free j */
        pthread_mutex_lock(&p->mu);
        if (large) {
            p->large_running--;
            pthread_cond_signal(&p->cv); /* a large job queued behind the limit may go now */
        }
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

mg_http_pool *mg_http_pool_new(int workers) {
    mg_http_pool *p = mg_xcalloc(1, sizeof *p);
    p->nworkers = workers < 1 ? 1 : workers;
    p->threads = mg_xcalloc((size_t)p->nworkers, sizeof *p->threads);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    return p;
}

int mg_http_pool_start(mg_http_pool *p, mg_error *err) {
    for (int i = 0; i < p->nworkers; i++) {
        if (pthread_create(&p->threads[i], NULL, worker_main, p) != 0) {
            mg_http_pool_stop(p);
            return mg_error_set(err, MG_EIO, "cannot start HTTP worker thread %d", i);
        }
        p->started++;
    }
    return 0;
}

void mg_http_pool_submit(mg_http_pool *p, mg_http_job *job) {
    pthread_mutex_lock(&p->mu);
    push(job->large ? &p->large : &p->small, job);
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

mg_http_job *mg_http_pool_stop(mg_http_pool *p) {
    if (!p) return NULL;
    pthread_mutex_lock(&p->mu);
    p->stopping = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->started; i++)
        pthread_join(p->threads[i], NULL);
    p->started = 0;
    mg_http_job *left = NULL, *j;
    while ((j = pop(&p->small)) || (j = pop(&p->large))) {
        j->next = left;
        left = j;
    }
    return left;
}

void mg_http_pool_free(mg_http_pool *p) {
    if (!p) return;
    mg_http_pool_stop(p);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->threads);
    free(p);
}
