/* operator/schedule — when each monitored ModelDeployment is evaluated next.
 *
 * Owns: a binary min-heap of slots ordered by due time; the slots themselves are embedded in
 * their owners' state (the heap only points at them; a slot knows its position, so removing or
 * moving one is O(log n)). Not thread-safe: the monitor's thread only.
 *
 * Phase: every key evaluates at a fixed offset within its interval, taken from a hash of the key
 * (Prometheus spreads its scrape targets the same way), so 10,000 ModelDeployments with a 30 s
 * interval are spread evenly over those 30 s instead of all evaluated at one tick, and each one
 * keeps the same phase across restarts and on whichever replica owns it. */
#ifndef MG_OPERATOR_SCHEDULE_H
#define MG_OPERATOR_SCHEDULE_H
#include <stddef.h>
#include <stdint.h>

typedef struct mg_sched_slot {
    int64_t due_ms; /* wall ms */
    size_t pos;     /* position in the heap + 1; 0 when not scheduled */
    void *owner;
} mg_sched_slot;

typedef struct mg_schedule {
    mg_sched_slot **heap;
    size_t n, cap;
} mg_schedule;

/* The key's offset within interval_ms, in [0, interval_ms). */
int64_t mg_sched_offset(const char *key, int64_t interval_ms);
/* The first due time after now_ms (strictly later) on the key's phase. */
int64_t mg_sched_first_due(const char *key, int64_t interval_ms, int64_t now_ms);
/* The due time after `due` for the next evaluation: due + interval, or, when that has already
 * passed by now_ms (the evaluation fell a whole interval behind), the next one on the phase after
 * now_ms; *skipped (may be NULL) gets how many were skipped. */
int64_t mg_sched_next_due(const char *key, int64_t due, int64_t interval_ms, int64_t now_ms, long *skipped);

/* A zeroed mg_schedule ({0}) is empty and ready. */
void mg_sched_free(mg_schedule *s);
/* Puts the slot in at due_ms, or moves it there when already in. */
void mg_sched_set(mg_schedule *s, mg_sched_slot *slot, int64_t due_ms);
void mg_sched_remove(mg_schedule *s, mg_sched_slot *slot); /* not scheduled: nothing */
/* The earliest slot, or NULL when empty. */
mg_sched_slot *mg_sched_peek(const mg_schedule *s);
/* Takes out and returns the earliest slot when it is due at or before now_ms, else NULL. */
mg_sched_slot *mg_sched_pop_due(mg_schedule *s, int64_t now_ms);

#endif
