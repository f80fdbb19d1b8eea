/* operator/schedule — see schedule.h. */
#include "operator/schedule.h"

#include <stdlib.h>

#include "core/mem.h"

int64_t mg_sched_offset(const char *key, int64_t interval_ms) {
    if (interval_ms <= 0) return 0;
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const char *p = key; p && *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return (int64_t)(h % (uint64_t)interval_ms);
}

int64_t mg_sched_first_due(const char *key, int64_t interval_ms, int64_t now_ms) {
    if (interval_ms <= 0) return now_ms;
    int64_t offset = mg_sched_offset(key, interval_ms);
    int64_t base = now_ms - offset;
    int64_t k = base >= 0 ? base / interval_ms : -((-base + interval_ms - 1) / interval_ms);
    return (k + 1) * interval_ms + offset;
}

int64_t mg_sched_next_due(const char *key, int64_t due, int64_t interval_ms, int64_t now_ms, long *skipped) {
    if (skipped) *skipped = 0;
    int64_t next = due + interval_ms;
    if (next > now_ms) return next;
    int64_t later = mg_sched_first_due(key, interval_ms, now_ms);
    if (skipped && interval_ms > 0) *skipped = (long)((later - next) / interval_ms);
    return later;
}

void mg_sched_free(mg_schedule *s) {
    free(s->heap);
    *s = (mg_schedule){0};
}

static void put(mg_schedule *s, size_t i, mg_sched_slot *slot) {
    s->heap[i] = slot;
    slot->pos = i + 1;
}

static void sift_up(mg_schedule *s, size_t i) {
    mg_sched_slot *x = s->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (s->heap[parent]->due_ms <= x->due_ms) break;
        put(s, i, s->heap[parent]);
        i = parent;
    }
    put(s, i, x);
}

static void sift_down(mg_schedule *s, size_t i) {
    mg_sched_slot *x = s->heap[i];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        int64_t best = x->due_ms;
        if (l < s->n && s->heap[l]->due_ms < best) m = l, best = s->heap[l]->due_ms;
        if (r < s->n && s->heap[r]->due_ms < best) m = r;
        if (m == i) break;
        put(s, i, s->heap[m]);
        i = m;
    }
    put(s, i, x);
}

void mg_sched_set(mg_schedule *s, mg_sched_slot *slot, int64_t due_ms) {
    if (slot->pos) {
        int64_t old = slot->due_ms;
        slot->due_ms = due_ms;
        if (due_ms < old)
            sift_up(s, slot->pos - 1);
        else
            sift_down(s, slot->pos - 1);
        return;
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->heap = mg_xrealloc(s->heap, s->cap * sizeof(*s->heap));
    }
    slot->due_ms = due_ms;
    put(s, s->n++, slot);
    sift_up(s, s->n - 1);
}

void mg_sched_remove(mg_schedule *s, mg_sched_slot *slot) {
    if (!slot->pos) return;
    size_t i = slot->pos - 1;
    slot->pos = 0;
    mg_sched_slot *last = s->heap[--s->n];
    if (i == s->n) return;
    put(s, i, last);
    if (i > 0 && s->heap[(i - 1) / 2]->due_ms > last->due_ms)
        sift_up(s, i);
    else
        sift_down(s, i);
}

mg_sched_slot *mg_sched_peek(const mg_schedule *s) { return s->n ? s->heap[0] : NULL; }

mg_sched_slot *mg_sched_pop_due(mg_schedule *s, int64_t now_ms) {
    if (!s->n || s->heap[0]->due_ms > now_ms) return NULL;
    mg_sched_slot *top = s->heap[0];
    mg_sched_remove(s, top);
    return top;
}
