/* k8s/leader — leader election on a coordination.k8s.io/v1 Lease (client-go semantics).
 *
 * Owns: one thread that acquires and renews the Lease namespace/name as identity. Defaults:
 * lease 15 s, renew deadline 10 s, retry period 2 s. on_started_leading runs on that thread
 * once the lease is held; on_stopped_leading runs if renewal fails past the deadline or on
 * stop. mg_leader_stop releases the lease (holderIdentity cleared, leaseDurationSeconds 1) so a
 * successor takes over at once. Thread-safe accessors.
 *
 * Details (k8s-informer): a held lease is taken over only when leaseDurationSeconds have passed
 * on the local monotonic clock since this process last saw the Lease record change (client-go's
 * observed-record rule; clocks of other machines are never compared). Updates carry the read
 * resourceVersion, so a 409 means another candidate won the race; it is retried next period.
 * Times are metav1.MicroTime ("2026-11-26T11:40:09.123456Z"). Callbacks run on the election
 * thread and must return quickly (renewals wait for them). After losing the lease the thread
 * goes back to being a candidate. Start fails with MG_EINVAL unless lease duration > renew
 * deadline > 1.2 × retry period. */
#ifndef MG_K8S_LEADER_H
#define MG_K8S_LEADER_H
#include <stdbool.h>

#include "k8s/client.h"

typedef struct mg_leader mg_leader;

typedef struct mg_leader_opts {
    const char *namespace;
    const char *name;
    const char *identity;
    long lease_duration_ms; /* default 15000 */
    long renew_deadline_ms; /* default 10000 */
    long retry_period_ms;   /* default 2000 */
    void (*on_started_leading)(void *ud);
    void (*on_stopped_leading)(void *ud);
    void *ud;
} mg_leader_opts;

int mg_leader_start(mg_client *c, const mg_leader_opts *opts, mg_leader **out, mg_error *err);
bool mg_leader_is_leader(mg_leader *l);
/* Stops the loop, releases the lease if held, joins the thread, frees. */
void mg_leader_stop(mg_leader *l);

#endif
