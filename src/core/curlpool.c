/* core/curlpool — see curlpool.h. */
#include "core/curlpool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/buf.h"
#include "core/mem.h"

struct mg_curlpool {
    CURLSH *share;
    pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
    pthread_mutex_t lock; /* idle, n_idle */
    CURL **idle;
    size_t n_idle;
    size_t max_idle;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

void mg_curl_global_init(void) { pthread_once(&curl_once, curl_init_once); }

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *ud) {
    (void)h;
    (void)access;
    mg_curlpool *p = ud;
    pthread_mutex_lock(&p->share_locks[data < CURL_LOCK_DATA_LAST ? data : 0]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *ud) {
    (void)h;
    mg_curlpool *p = ud;
    pthread_mutex_unlock(&p->share_locks[data < CURL_LOCK_DATA_LAST ? data : 0]);
}

static mg_curlpool *pool_new(size_t max_idle, bool share_connections) {
    mg_curl_global_init();
    mg_curlpool *p = mg_xcalloc(1, sizeof(*p));
    p->max_idle = max_idle;
    p->idle = mg_xcalloc(max_idle ? max_idle : 1, sizeof(*p->idle));
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&p->share_locks[i], NULL);
    pthread_mutex_init(&p->lock, NULL);
    p->share = curl_share_init();
    if (!p->share) {
        fprintf(stderr, "modelgov: curl_share_init failed\n");
        abort();
    }
    curl_share_setopt(p->share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(p->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(p->share, CURLSHOPT_USERDATA, p);
    if (share_connections) curl_share_setopt(p->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    curl_share_setopt(p->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(p->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    return p;
}

mg_curlpool *mg_curlpool_new(size_t max_idle) { return pool_new(max_idle, true); }
mg_curlpool *mg_curlpool_new_for_multi(size_t max_idle) { return pool_new(max_idle, false); }

void mg_curlpool_free(mg_curlpool *p) {
    if (!p) return;
    for (size_t i = 0; i < p->n_idle; i++)
        curl_easy_cleanup(p->idle[i]);
    curl_share_cleanup(p->share);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&p->share_locks[i]);
    pthread_mutex_destroy(&p->lock);
    free(p->idle);
    free(p);
}

CURL *mg_curlpool_take(mg_curlpool *p) {
    CURL *h = NULL;
    pthread_mutex_lock(&p->lock);
    if (p->n_idle > 0) h = p->idle[--p->n_idle];
    pthread_mutex_unlock(&p->lock);
    if (!h) h = curl_easy_init();
    if (!h) {
        fprintf(stderr, "modelgov: curl_easy_init failed\n");
        abort();
    }
    curl_easy_setopt(h, CURLOPT_SHARE, p->share);
    return h;
}

void mg_curlpool_give(mg_curlpool *p, CURL *h) {
    if (!h) return;
    curl_easy_reset(h);
    pthread_mutex_lock(&p->lock);
    if (p->n_idle < p->max_idle) {
        p->idle[p->n_idle++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&p->lock);
    if (h) curl_easy_cleanup(h);
}

size_t mg_curl_write_buf(char *data, size_t size, size_t nmemb, void *buf) {
    size_t n = size * nmemb;
    return mg_buf_append(buf, data, n) == 0 ? n : 0;
}
