/* tests/unit/tmpdir_support — a scratch directory for a test binary: made under /tmp, removed
 * with everything in it. Header-only test support (include after cmocka and core/mem.h). */
#ifndef MG_TESTS_TMPDIR_SUPPORT_H
#define MG_TESTS_TMPDIR_SUPPORT_H
#include <stdio.h>
#include <stdlib.h>

/* Makes /tmp/NAME-XXXXXX into dir (n bytes); 0 or -1. */
static inline int tmpdir_make(char *dir, size_t n, const char *name) {
    snprintf(dir, n, "/tmp/%s-XXXXXX", name);
    return mkdtemp(dir) ? 0 : -1;
}

/* Removes dir and everything in it; 0 or the shell's status. */
static inline int tmpdir_remove(const char *dir) {
    char *cmd = mg_xasprintf("rm -rf '%s'", dir);
    int rc = system(cmd);
    free(cmd);
    return rc;
}

#endif
