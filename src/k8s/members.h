/* k8s/members — replicas sharing work through coordination.k8s.io/v1 Leases: each replica holds a
 * Lease of its own, the live Leases of its group are the members, and a consistent hash of a key
 * over the members names the one replica that handles it.
 *
 * Owns: one thread that, every retry period, renews this replica's Lease (named
 * "<group>-<identity>", lower-cased with other characters than letters, digits, '-' and '.'
 * made '-'; holderIdentity is the identity as given; labelled mlops.modelgov.io/member-of=<group>, created
 * when missing) and lists the group's Leases; and the member view that listing gives. Callbacks run on that
 * thread.
 *
 * Membership. A Lease is live while its record keeps changing: one that has not changed for
 * expiry = lease duration - 2 x retry period on this replica's own monotonic clock is dead
 * (client-go's observed-record rule: clocks of different machines are never compared). The
 * lease duration counts from the dead replica's last renewal: the observer saw that renewal at
 * most one retry period later, and looks again at most one retry period after the expiry, so the
 * keys of a replica that dies move to the others within one lease duration. A deleted Lease (a
 * replica that stopped cleanly) leaves at the next listing.
 *
 * Ownership: rendezvous hashing (highest random weight) of key over the members' identities, so
 * a member that comes or goes moves only its own share of keys.
 *
 * Fencing: a replica may act on a key only while (a) its own Lease was renewed within the renew
 * deadline, (b) its member view is younger than the renew deadline, and (c) the key hashes to
 * it. mg_members_owns checks all three; call it before every write, not only before starting the
 * work. Why it is safe: a replica that cannot renew stops acting after the renew deadline (less
 * than the expiry after which the others take its keys); a replica that joins takes no key until
 * the renew deadline has passed since its Lease was created, by which time every other member has
 * either listed it (and stopped acting on the keys that move to it) or fenced itself. What stays
 * is a write already in flight when the fence closes; the operator's status writes carry the
 * resourceVersion they read (compare-and-swap), so two writers cannot both succeed.
 *
 * Lifecycle: start → (owns / count from any thread) → stop, which deletes this replica's Lease so
 * the others take its keys at their next listing. Stop the work first. */
#ifndef MG_K8S_MEMBERS_H
#define MG_K8S_MEMBERS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/api.h"
#include "k8s/client.h"

/* On each member Lease: the group it is a member of. */
#define MG_MEMBERS_LABEL MG_LABEL_MEMBER_OF

typedef struct mg_members mg_members;

typedef struct mg_members_opts {
    const char *namespace;  /* of the Leases */
    const char *group;      /* the replicas sharing the work (label value, Lease name prefix) */
    const char *identity;   /* this replica (unique in the group) */
    long lease_duration_ms; /* default 15000 */
    long renew_deadline_ms; /* default 10000 */
    long retry_period_ms;   /* default 2000 */
    /* The keys this replica owns may have changed (a member came or went, this replica became
     * active or stopped being able to act). Runs on the members thread; keep it short. */
    void (*on_change)(void *ud);
    void *ud;
} mg_members_opts;

/* Starts the thread (MG_EINVAL for missing names or lease timings that do not satisfy
 * duration - 2 x retry >= renew deadline > retry > 0). */
int mg_members_start(mg_client *c, const mg_members_opts *opts, mg_members **out, mg_error *err);
/* True when this replica may act on key now (see Fencing). Thread-safe. */
bool mg_members_owns(mg_members *m, const char *key);
/* Live members in the current view (0 before the first listing). Thread-safe. */
size_t mg_members_count(mg_members *m);
/* True when this replica is active: its Lease held long enough to take keys and fresh. */
bool mg_members_active(mg_members *m);
/* Stops the thread and deletes this replica's Lease; frees. NULL: nothing. */
void mg_members_stop(mg_members *m);

/* Pure: the member (index into ids) that owns key by rendezvous hashing; -1 when n is 0. */
int mg_members_owner(const char *const *ids, size_t n, const char *key);

#endif
