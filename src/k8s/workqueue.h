/* k8s/workqueue — rate-limited work queue of string keys (client-go's workqueue semantics).
 *
 * Owns: copies of the keys queued. A key is at most once in the queue; a key added while it is
 * being processed is marked dirty and queued again when mg_wq_done is called. Per-item
 * exponential backoff (base 5 ms, cap 1000 s) combined with a global token bucket (10 qps,
 * burst 100) decides the delay of mg_wq_add_rate_limited; mg_wq_forget resets an item's
 * backoff. mg_wq_add_after queues after a delay (a key already waiting keeps the earlier time).
 * mg_wq_shutdown wakes all getters; adds are ignored from then on; keys already queued are
 * still handed out (client-go drains them too), after which mg_wq_get returns NULL. Delayed
 * keys are moved into the queue by getters' timed waits (no timer thread). Thread-safe.
 * Added by k8s-informer: mg_wq_when (the rate limiter's next delay, for tests and logs). */
#ifndef MG_K8S_WORKQUEUE_H
#define MG_K8S_WORKQUEUE_H
#include <stdbool.h>
#include <stddef.h>

typedef struct mg_workqueue mg_workqueue;

typedef struct mg_wq_opts {
    long base_delay_ms; /* default 5 */
    long max_delay_ms;  /* default 1000000 */
    double qps;         /* default 10 */
    int burst;          /* default 100 */
} mg_wq_opts;

mg_workqueue *mg_wq_new(const mg_wq_opts *opts); /* opts may be NULL: defaults */
void mg_wq_free(mg_workqueue *q);                /* after shutdown and after workers joined */
void mg_wq_add(mg_workqueue *q, const char *key);
void mg_wq_add_after(mg_workqueue *q, const char *key, long delay_ms);
void mg_wq_add_rate_limited(mg_workqueue *q, const char *key);
void mg_wq_forget(mg_workqueue *q, const char *key);
/* Counts a failure of key and returns the delay in ms that mg_wq_add_rate_limited would use now
 * (max of the item's backoff and the token bucket; consumes a token like it). */
long mg_wq_when(mg_workqueue *q, const char *key);
int mg_wq_num_requeues(mg_workqueue *q, const char *key);
/* Blocks until a key is available; returns a new heap string the caller frees after
 * mg_wq_done(q, key), or NULL after shutdown. */
char *mg_wq_get(mg_workqueue *q);
void mg_wq_done(mg_workqueue *q, const char *key);
size_t mg_wq_len(mg_workqueue *q);
void mg_wq_shutdown(mg_workqueue *q);
bool mg_wq_shutting_down(mg_workqueue *q);

/* ---- Worker pool: the one processNextWorkItem loop (client-go's) ----
 * fn is called with each key, never with the same key on two workers at once. *after_ms starts
 * at 0; the result decides what happens to the key:
 *   0   success: the key's backoff is forgotten; with *after_ms > 0 it is looked at again after
 *       that long (controller-runtime's RequeueAfter);
 *   < 0 failure (an MG_E* code): the key is retried after its exponential backoff combined with
 *       the token bucket (mg_wq_when), or after *after_ms when that is longer (a server's
 *       Retry-After). */
typedef int (*mg_wq_process_fn)(const char *key, void *ud, long *after_ms);
typedef struct mg_wq_workers mg_wq_workers;
/* Starts n (>= 1) threads on q. Returns 0, or MG_EINVAL / MG_EIO (a thread could not be
 * created: the ones already started are stopped and joined, q is shut down, nothing runs). */
int mg_wq_workers_start(mg_workqueue *q, int n, mg_wq_process_fn fn, void *ud, mg_wq_workers **out);
/* Shuts q down, lets the workers finish (keys already queued are still processed), joins them
 * and frees the pool (not the queue). NULL: nothing. */
void mg_wq_workers_stop(mg_wq_workers *w);

#endif
