/* data/digest — SHA-256 content digests in the form DatasetVersion spec.digest uses,
 * "sha256:<64 lowercase hex>", and lowercase hex by table.
 *
 * Owns: nothing beyond one call. mg_file_sha256 streams a file (or stdin for "-") in fixed
 * chunks, so memory does not depend on the file's size. Thread-safe (no shared state). */
#ifndef MG_DATA_DIGEST_H
#define MG_DATA_DIGEST_H
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define MG_SHA256_LEN 32
/* "sha256:" + 64 hex digits + NUL, rounded up */
#define MG_DIGEST_STR 72

/* Lowercase hex of n bytes into out (2n chars, then a NUL). */
void mg_hex(const unsigned char *in, size_t n, char *out);
/* "sha256:<hex of d>" into out (MG_DIGEST_STR bytes). */
void mg_digest_format(const unsigned char d[MG_SHA256_LEN], char out[MG_DIGEST_STR]);
/* Digest and size of a file ("-": stdin). Returns 0 or MG_EIO (err names the file). */
int mg_file_sha256(const char *path, char digest[MG_DIGEST_STR], uint64_t *size, mg_error *err);

#endif
