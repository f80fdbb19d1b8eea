/* http/pool — the worker threads that run the server's blocking handlers (src/http/server.h).
 *
 * Owns: a fixed number of worker threads and a queue of jobs in two lanes. Small jobs are taken
 * first, and large ones by at most workers - 1 threads at a time, so that one thread is always
 * free for small requests while large ones are decided: a burst of large requests never makes a
 * small one wait for all of them.
 *
 * A job is the caller's struct with an mg_http_job as its first member; the pool never allocates
 * or frees jobs. mg_http_job.run is called exactly once on a worker thread for each submitted
 * job, unless the pool is stopped first: mg_http_pool_stop returns the jobs still queued (never
 * run) so that their owner can free them.
 *
 * Thread rules: submit from any thread; stop and free from one thread, after every submitter
 * has stopped submitting. Lifecycle: new → start → submit* → stop → free. */
#ifndef MG_HTTP_POOL_H
#define MG_HTTP_POOL_H
#include <stdbool.h>

#include "core/error.h"

typedef struct mg_http_job {
    struct mg_http_job *next; /* the pool's link; the owner must not touch it while queued */
    bool large;               /* which lane */
    void (*run)(struct mg_http_job *job);
} mg_http_job;

typedef struct mg_http_pool mg_http_pool;

/* workers >= 1 (a value < 1 counts as 1). */
mg_http_pool *mg_http_pool_new(int workers);
/* Starts the threads. 0, or MG_EIO when a thread cannot be created (those started are stopped). */
int mg_http_pool_start(mg_http_pool *p, mg_error *err);
void mg_http_pool_submit(mg_http_pool *p, mg_http_job *job);
/* Lets running jobs finish, joins the threads and returns the queued jobs that never ran (a
 * list through ->next; NULL when none). Safe to call twice. */
mg_http_job *mg_http_pool_stop(mg_http_pool *p);
/* Stops if needed (dropping the list of queued jobs: stop first to free them) and frees. NULL is
 * fine. */
void mg_http_pool_free(mg_http_pool *p);

#endif
