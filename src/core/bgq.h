/* plugin/bgq — a background worker that consumes a ring of fixed-size buffers in order
 * (SHA-256 of the input while it is parsed; SHA-256 + write(2) of the output while the next
 * rows are produced). It takes the hashing and the write syscalls off the parsing thread, so a
 * streamed command uses two cores.
 *
 * Owns: nbufs buffers of bufsize bytes and one thread. Protocol (one producer thread):
 * mg_bgq_acquire() hands out the next buffer, waiting until the worker has finished with it;
 * the producer fills it and mg_bgq_submit()s it; the producer may keep READING a submitted
 * buffer (the worker only reads it too) until it acquires that buffer again nbufs rounds later.
 * fn runs on the worker, once per submitted buffer, in submission order; its first non-zero
 * return is kept (later buffers are then skipped) and returned by mg_bgq_finish(), which
 * waits for the queue to drain, joins the thread and frees everything. */
#ifndef MG_CORE_BGQ_H
#define MG_CORE_BGQ_H
#include <stdbool.h>
#include <stddef.h>

typedef int (*mg_bgq_fn)(void *ud, const char *p, size_t n);
typedef struct mg_bgq mg_bgq;

mg_bgq *mg_bgq_new(size_t nbufs, size_t bufsize, mg_bgq_fn fn, void *ud);
char *mg_bgq_acquire(mg_bgq *q);
void mg_bgq_submit(mg_bgq *q, char *buf, size_t len);
/* True once fn has failed (the producer may stop early). */
bool mg_bgq_failed(mg_bgq *q);
int mg_bgq_finish(mg_bgq *q);

#endif
