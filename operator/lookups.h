/* operator/lookups — what a GET by name found when a ModelDeployment's Deployment or Service was
 * missing from the caches.
 *
 * Owns: for each object key ("resource/namespace/name", as mg_inflight_key spells it) the last
 * answer — no such object, or someone else's object of that name — with the uid and generation
 * of the ModelDeployment it was asked for and when (a strmap of heap records behind its own
 * mutex: workers and informer threads call it concurrently).
 *
 * Why: the informers see only objects labelled as managed by the operator. One of ours whose
 * label was removed, or a user's object of the same name, is found only by asking the API
 * server. The answer is kept so that a ModelDeployment left in conflict costs one GET per
 * recheck period, not one per resync. An answer no longer holds once the ModelDeployment's spec
 * changes (its generation), once an informer event for that key arrives, or after the recheck
 * period; the ModelDeployment's deletion forgets it. */
#ifndef MG_OPERATOR_LOOKUPS_H
#define MG_OPERATOR_LOOKUPS_H
#include <stddef.h>
#include <stdint.h>

/* How long an answer holds (a user who removes a conflicting object without touching the
 * ModelDeployment waits at most this long): longer than the default resync (10 min). */
#define MG_OPERATOR_LOOKUP_RECHECK_MS (30L * 60 * 1000)

typedef enum mg_lookup_answer {
    MG_LOOKUP_UNKNOWN = 0, /* nothing that holds: ask the API server */
    MG_LOOKUP_ABSENT,      /* no object of that name */
    MG_LOOKUP_FOREIGN,     /* an object not controlled by the ModelDeployment */
} mg_lookup_answer;

typedef struct mg_lookups mg_lookups;

mg_lookups *mg_lookups_new(long recheck_ms);
/* The answer recorded for key and this ModelDeployment (uid, generation), if less than the
 * recheck period old at now_ms (monotonic); else MG_LOOKUP_UNKNOWN. */
mg_lookup_answer mg_lookups_get(mg_lookups *l, const char *key, const char *md_uid, long long md_gen,
                                int64_t now_ms);
/* Records an answer (MG_LOOKUP_UNKNOWN forgets the key). */
void mg_lookups_put(mg_lookups *l, const char *key, mg_lookup_answer a, const char *md_uid, long long md_gen,
                    int64_t now_ms);
void mg_lookups_forget(mg_lookups *l, const char *key);
/* Keys recorded (tests, leak checks). */
size_t mg_lookups_count(mg_lookups *l);
/* NULL: nothing. */
void mg_lookups_free(mg_lookups *l);

#endif
