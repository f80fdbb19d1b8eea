/* operator/settle — holds back status writes that would only mirror a passing pod count.
 *
 * Owns: for each ModelDeployment key with such a change pending, when it was first held (a
 * strmap of heap int64s, behind its own mutex: workers call it concurrently).
 *
 * Why: while a Deployment rolls out, its status.replicas (pods created) moves through values
 * the next moment replaces; mirroring each into the ModelDeployment's status is a write per
 * pod that no phase, condition or readiness needs. A change confined to status.replicas waits
 * up to the hold time and goes out with the next other change (readiness, the phase) or when
 * the hold has passed, so a reader sees the count at most that late and the rollout of one
 * replica costs one status write per phase. */
#ifndef MG_OPERATOR_SETTLE_H
#define MG_OPERATOR_SETTLE_H
#include <stdint.h>

/* How long the operator holds a count-only change back. */
#define MG_OPERATOR_COUNT_HOLD_MS 1000

typedef struct mg_settle mg_settle;

mg_settle *mg_settle_new(long hold_ms);
/* For a count-only change of key at now_ms (monotonic): milliseconds still to hold it (the first
 * call starts the hold), or 0 when the hold has passed: write now (key is forgotten). */
long mg_settle_wait(mg_settle *s, const char *key, int64_t now_ms);
/* Key wrote its status, has nothing to write, or is gone: no hold pending. */
void mg_settle_forget(mg_settle *s, const char *key);
/* Keys with a hold pending (tests, leak checks). */
unsigned long mg_settle_pending(mg_settle *s);
/* NULL: nothing. */
void mg_settle_free(mg_settle *s);

#endif
