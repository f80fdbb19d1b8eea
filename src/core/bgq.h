/* core/bgq — background workers over a ring of fixed-size buffers, with an in-order last stage:
 * the SHA-256 of a file's bytes while they are parsed, or the output of pseudonymize (tokens
 * computed in parallel, then hashed and written in order) while the next rows are produced.
 *
 * Owns: nbufs buffers of bufsize bytes and nthreads threads. Protocol (one producer thread):
 * mg_bgq_acquire() hands out the next buffer, waiting until the workers are done with it; the
 * producer fills it and mg_bgq_submit()s a range of it (buf may point anywhere inside the
 * acquired buffer; every acquired buffer is submitted, in order); the producer may keep READING
 * a submitted buffer until it acquires that buffer again nbufs rounds later, as long as work is
 * NULL (work may change the buffer). work (optional) runs on any worker, on several buffers at
 * once; emit runs once per buffer, strictly in submission order, one at a time, after that
 * buffer's work. The first non-zero return of either is kept (later buffers are then skipped)
 * and returned by mg_bgq_finish(), which waits for the queue to drain, joins the threads and
 * frees everything. Thread creation failure aborts (like out of memory). */
#ifndef MG_CORE_BGQ_H
#define MG_CORE_BGQ_H
#include <stdbool.h>
#include <stddef.h>

typedef int (*mg_bgq_fn)(void *ud, const char *p, size_t n);
typedef int (*mg_bgq_work_fn)(void *ud, char *p, size_t n);
typedef struct mg_bgq mg_bgq;

/* One thread, emit only. */
mg_bgq *mg_bgq_new(size_t nbufs, size_t bufsize, mg_bgq_fn emit, void *ud);
/* nthreads threads sharing work and the in-order emit. */
mg_bgq *mg_bgq_new_workers(size_t nbufs, size_t bufsize, size_t nthreads, mg_bgq_work_fn work, mg_bgq_fn emit,
                           void *ud);
char *mg_bgq_acquire(mg_bgq *q);
void mg_bgq_submit(mg_bgq *q, char *buf, size_t len);
/* True once work or emit has failed (the producer may stop early). */
bool mg_bgq_failed(mg_bgq *q);
int mg_bgq_finish(mg_bgq *q);

#endif
