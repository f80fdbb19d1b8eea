/* operator/inflight — the creates the operator has sent and its caches have not shown yet.
 *
 * Owns: for each object key ("resource/namespace/name") created and not yet observed, when the
 * create was sent (a strmap of heap int64s, behind its own mutex: workers and informer threads
 * call it concurrently).
 *
 * Why: a create's answer usually comes back before the watch event that puts the object in the
 * informer's cache. A second reconcile of the owner in that gap (its own status write wakes it)
 * would find no object and create it again: a wasted write answered 409. Kubernetes' own
 * controllers keep "expectations" for this. A key is pending from just before the create until an
 * informer event for that key arrives (add, update or delete) or the create fails; while pending,
 * the owner's reconcile leaves the object alone, and the event that clears the key wakes the owner.
 * A pending key expires after the TTL, so a lost event costs one duplicate create (409, retried
 * with backoff), never a stalled owner. */
#ifndef MG_OPERATOR_INFLIGHT_H
#define MG_OPERATOR_INFLIGHT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How long a create waits for its informer event before the operator may send it again. */
#define MG_OPERATOR_INFLIGHT_TTL_MS 30000

typedef struct mg_inflight mg_inflight;

mg_inflight *mg_inflight_new(long ttl_ms);
/* "resource/namespace/name" into out (truncated to outlen). */
void mg_inflight_key(const char *resource, const char *ns, const char *name, char *out, size_t outlen);
/* A create of key is about to be sent at now_ms (monotonic). */
void mg_inflight_begin(mg_inflight *f, const char *key, int64_t now_ms);
/* True while a create of key was sent less than the TTL before now_ms and not yet observed. */
bool mg_inflight_pending(mg_inflight *f, const char *key, int64_t now_ms);
/* The create failed, or an informer event for key arrived: nothing pending. */
void mg_inflight_end(mg_inflight *f, const char *key);
/* Keys pending (tests, leak checks). */
unsigned long mg_inflight_count(mg_inflight *f);
/* NULL: nothing. */
void mg_inflight_free(mg_inflight *f);

#endif
