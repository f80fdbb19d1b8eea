#include "operator/inflight.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/mem.h"
#include "k8s/strmap.h"

struct mg_inflight {
    pthread_mutex_t mu;
    mg_strmap *sent; /* key -> int64_t* (heap): when its create was sent */
    long ttl_ms;
};

mg_inflight *mg_inflight_new(long ttl_ms) {
    mg_inflight *f = mg_xcalloc(1, sizeof(*f));
    pthread_mutex_init(&f->mu, NULL);
    f->sent = mg_strmap_new();
    f->ttl_ms = ttl_ms;
    return f;
}

void mg_inflight_key(const char *resource, const char *ns, const char *name, char *out, size_t outlen) {
    snprintf(out, outlen, "%s/%s/%s", resource ? resource : "", ns ? ns : "", name ? name : "");
}

void mg_inflight_begin(mg_inflight *f, const char *key, int64_t now_ms) {
    pthread_mutex_lock(&f->mu);
    int64_t *sent = mg_strmap_get(f->sent, key);
    if (!sent) {
        sent = mg_xmalloc(sizeof(*sent));
        mg_strmap_put(f->sent, key, sent);
    }
    *sent = now_ms;
    pthread_mutex_unlock(&f->mu);
}

bool mg_inflight_pending(mg_inflight *f, const char *key, int64_t now_ms) {
    pthread_mutex_lock(&f->mu);
    int64_t *sent = mg_strmap_get(f->sent, key);
    bool pending = sent && now_ms - *sent < f->ttl_ms;
    if (sent && !pending) free(mg_strmap_del(f->sent, key)); /* expired: the next create may go */
    pthread_mutex_unlock(&f->mu);
    return pending;
}

void mg_inflight_end(mg_inflight *f, const char *key) {
    pthread_mutex_lock(&f->mu);
    free(mg_strmap_del(f->sent, key));
    pthread_mutex_unlock(&f->mu);
}

unsigned long mg_inflight_count(mg_inflight *f) {
    pthread_mutex_lock(&f->mu);
    unsigned long n = (unsigned long)mg_strmap_len(f->sent);
    pthread_mutex_unlock(&f->mu);
    return n;
}

void mg_inflight_free(mg_inflight *f) {
    if (!f) return;
    mg_strmap_free(f->sent, free);
    pthread_mutex_destroy(&f->mu);
    free(f);
}
