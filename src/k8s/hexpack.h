/* k8s/hexpack — a reversible packing of the hex in API objects' JSON text, done by the compact
 * store (k8s/store) before it deflates an object. Canonical lowercase UUIDs (metadata.uid, the
 * uids objects name) become a marker byte and their 16 bytes; runs of 32 or more lowercase hex
 * digits (sha256 digests) a marker, a byte count and the bytes. Deflating a small object, zlib
 * spends a literal of 8 or 9 bits on each random hex digit; packed, each byte holds two digits
 * (a ModelReview with its two uids: 98 deflated bytes become 72).
 *
 * Owns: nothing; the caller's buffers. Text holding the marker bytes (0x01, 0x02) cannot be
 * packed (mg_hexpack_fits says so); JSON text never holds them (control characters in strings
 * are escaped). Thread-safe (no state). */
#ifndef MG_K8S_HEXPACK_H
#define MG_K8S_HEXPACK_H
#include <stdbool.h>
#include <stddef.h>

/* True when text[len] holds no marker byte, so that mg_hexpack may pack it. */
bool mg_hexpack_fits(const char *text, size_t len);
/* Packs text[len] in place (packing never lengthens); returns the packed length. */
size_t mg_hexpack(char *text, size_t len);
/* Unpacks packed[plen] into out, which has room for cap bytes (no NUL is added). Returns the
 * unpacked length, or (size_t)-1 when out is too small or packed is not a packing (a marker cut
 * short). */
size_t mg_hexunpack(const char *packed, size_t plen, char *out, size_t cap);

#endif
