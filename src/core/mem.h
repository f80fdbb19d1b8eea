/* core/mem — allocation that never returns NULL.
 *
 * Owns: the project's allocation policy. Out of memory is not a recoverable condition for a
 * daemon (redis's zmalloc does the same): these wrappers abort with a message instead of
 * returning NULL, so callers never check for NULL after allocating. mg_mem_init() installs the
 * same policy into jansson. Thread-safe. */
#ifndef MG_CORE_MEM_H
#define MG_CORE_MEM_H
#include <stddef.h>

void *mg_xmalloc(size_t n);
void *mg_xcalloc(size_t count, size_t n);
void *mg_xrealloc(void *p, size_t n);
/* Returns a new heap copy of s (NULL stays NULL). Caller frees. */
char *mg_xstrdup(const char *s);
char *mg_xstrndup(const char *s, size_t n);
/* printf into a new heap string. Caller frees. */
char *mg_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Makes jansson allocate through mg_xmalloc. Call once at program start. */
void mg_mem_init(void);

#endif
