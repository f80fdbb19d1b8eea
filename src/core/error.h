/* core/error — the one error type every fallible call fills in.
 *
 * Owns: error codes and mg_error. Convention (libuv/jansson style): a function returns 0 on
 * success or a negative MG_E* code, and, when the caller passes a non-NULL mg_error *, fills it
 * with the HTTP status (0 when none), whether retrying may help, the Kubernetes Status reason
 * and a message fit for a user. Passing NULL means "I only need the code". Plain value type: no
 * allocation, safe to copy, thread-agnostic. */
#ifndef MG_CORE_ERROR_H
#define MG_CORE_ERROR_H
#include <stdbool.h>

enum mg_errcode {
    MG_OK = 0,
    MG_EINVAL = -1,    /* bad argument or invalid input */
    MG_EIO = -2,       /* file or socket I/O failed */
    MG_EHTTP = -3,     /* the peer answered with a non-2xx HTTP status */
    MG_EPARSE = -4,    /* malformed JSON/YAML/text */
    MG_ENOTFOUND = -5, /* the thing asked for does not exist */
    MG_ECONFLICT = -6, /* optimistic concurrency failed (409 Conflict / AlreadyExists) */
    MG_ETOOBIG = -7,   /* a size cap was hit */
    MG_ETIMEOUT = -8,  /* deadline passed */
    MG_ECANCELED = -9, /* shutdown requested */
    MG_ETLS = -10,     /* TLS or certificate problem */
    MG_EGONE = -11,    /* 410 Gone / Expired: resourceVersion too old */
    MG_ECONNECT = -12, /* could not reach the peer */
};

typedef struct mg_error {
    int code;            /* an mg_errcode */
    int http_status;     /* HTTP status when the error came from a peer's answer, else 0 */
    bool retryable;      /* true when the same call may succeed later (429, 5xx, connect) */
    long retry_after_ms; /* from Retry-After, or 0 */
    char reason[64];     /* Kubernetes Status reason ("NotFound", "Conflict"...) or "" */
    char message[1024];  /* for a human: what failed and why; cut at a character boundary */
} mg_error;

/* Fills err (when not NULL) with code and a printf-formatted message, clears the other fields,
 * and returns code so callers can write `return mg_error_set(err, MG_EINVAL, "...")`. */
int mg_error_set(mg_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prefixes err->message with printf-formatted context ("reading kubeconfig x: ..."). Returns
 * err->code, or MG_EINVAL when err is NULL. */
int mg_error_wrap(mg_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mg_error_clear(mg_error *err);
/* Short stable name of a code, e.g. "EINVAL". Never NULL. */
const char *mg_strerror(int code);

#endif
