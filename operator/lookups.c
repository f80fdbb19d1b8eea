#include "operator/lookups.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "k8s/strmap.h"

typedef struct answer {
    mg_lookup_answer a;
    long long md_gen;
    int64_t at_ms;
    char md_uid[]; /* the ModelDeployment's uid ("" when unknown) */
} answer;

struct mg_lookups {
    pthread_mutex_t mu;
    mg_strmap *answers; /* key -> answer* (heap) */
    long recheck_ms;
};

mg_lookups *mg_lookups_new(long recheck_ms) {
    mg_lookups *l = mg_xcalloc(1, sizeof(*l));
    pthread_mutex_init(&l->mu, NULL);
    l->answers = mg_strmap_new();
    l->recheck_ms = recheck_ms;
    return l;
}

mg_lookup_answer mg_lookups_get(mg_lookups *l, const char *key, const char *md_uid, long long md_gen,
                                int64_t now_ms) {
    pthread_mutex_lock(&l->mu);
    answer *r = mg_strmap_get(l->answers, key);
    bool holds = r && r->md_gen == md_gen && !strcmp(r->md_uid, md_uid ? md_uid : "") &&
                 now_ms - r->at_ms < l->recheck_ms;
    mg_lookup_answer a = holds ? r->a : MG_LOOKUP_UNKNOWN;
    if (r && !holds) free(mg_strmap_del(l->answers, key)); /* stale: the next GET replaces it */
    pthread_mutex_unlock(&l->mu);
    return a;
}

void mg_lookups_put(mg_lookups *l, const char *key, mg_lookup_answer a, const char *md_uid, long long md_gen,
                    int64_t now_ms) {
    if (a == MG_LOOKUP_UNKNOWN) {
        mg_lookups_forget(l, key);
        return;
    }
    const char *uid = md_uid ? md_uid : "";
    answer *r = mg_xmalloc(sizeof(*r) + strlen(uid) + 1);
    r->a = a;
    r->md_gen = md_gen;
    r->at_ms = now_ms;
    memcpy(r->md_uid, uid, strlen(uid) + 1);
    pthread_mutex_lock(&l->mu);
    free(mg_strmap_put(l->answers, key, r));
    pthread_mutex_unlock(&l->mu);
}

void mg_lookups_forget(mg_lookups *l, const char *key) {
    pthread_mutex_lock(&l->mu);
    free(mg_strmap_del(l->answers, key));
    pthread_mutex_unlock(&l->mu);
}

size_t mg_lookups_count(mg_lookups *l) {
    pthread_mutex_lock(&l->mu);
    size_t n = mg_strmap_len(l->answers);
    pthread_mutex_unlock(&l->mu);
    return n;
}

void mg_lookups_free(mg_lookups *l) {
    if (!l) return;
    mg_strmap_free(l->answers, free);
    pthread_mutex_destroy(&l->mu);
    free(l);
}
