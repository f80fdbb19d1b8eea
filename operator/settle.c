#include "operator/settle.h"

#include <pthread.h>
#include <stdlib.h>

#include "core/mem.h"
#include "k8s/strmap.h"

struct mg_settle {
    pthread_mutex_t mu;
    mg_strmap *since; /* key -> int64_t* (heap): when its hold started */
    long hold_ms;
};

mg_settle *mg_settle_new(long hold_ms) {
    mg_settle *s = mg_xcalloc(1, sizeof(*s));
    pthread_mutex_init(&s->mu, NULL);
    s->since = mg_strmap_new();
    s->hold_ms = hold_ms;
    return s;
}

long mg_settle_wait(mg_settle *s, const char *key, int64_t now_ms) {
    long wait;
    pthread_mutex_lock(&s->mu);
    int64_t *since = mg_strmap_get(s->since, key);
    if (!since) {
        since = mg_xmalloc(sizeof(*since));
        *since = now_ms;
        mg_strmap_put(s->since, key, since);
    }
    int64_t left = *since + s->hold_ms - now_ms;
    if (left > 0) {
        wait = (long)left;
    } else {
        free(mg_strmap_del(s->since, key));
        wait = 0;
    }
    pthread_mutex_unlock(&s->mu);
    return wait;
}

void mg_settle_forget(mg_settle *s, const char *key) {
    pthread_mutex_lock(&s->mu);
    free(mg_strmap_del(s->since, key));
    pthread_mutex_unlock(&s->mu);
}

unsigned long mg_settle_pending(mg_settle *s) {
    pthread_mutex_lock(&s->mu);
    unsigned long n = (unsigned long)mg_strmap_len(s->since);
    pthread_mutex_unlock(&s->mu);
    return n;
}

void mg_settle_free(mg_settle *s) {
    if (!s) return;
    mg_strmap_free(s->since, free);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
