/* core/base64 — standard base64 (RFC 4648 §4, with padding) of bytes, as Kubernetes carries
 * binary fields in JSON (an AdmissionReview's response.patch, a Secret's data) and registries
 * carry basic credentials.
 *
 * Owns: no state; pure functions, safe from any thread. */
#ifndef MG_CORE_BASE64_H
#define MG_CORE_BASE64_H
#include <stddef.h>

/* The base64 text of the n bytes at data: a new NUL-terminated heap string (free it). */
char *mg_base64_encode(const void *data, size_t n);

#endif
