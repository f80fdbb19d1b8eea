/* data/pseudo — pseudonymization of a CSV file: every value of the chosen columns replaced by
 * the 64 lowercase hex digits of HMAC-SHA256(key, value) (an empty value stays empty), the
 * dropped columns removed, the other columns copied; the output written as CSV with CRLF line
 * ends, fields quoted only when needed (comma, quote, CR or LF inside), with IN's UTF-8 byte
 * order mark first when it has one.
 *
 * Owns: the key bytes read by mg_pseudo_read_key (the caller wipes and frees them) and, during
 * mg_pseudonymize_file, a temporary output file next to OUT (renamed into place when complete,
 * removed on any failure, so a failed run leaves no partial OUT) and its worker thread(s).
 * Memory is a fixed set of buffers whatever the file size. Called from one thread. */
#ifndef MG_DATA_PSEUDO_H
#define MG_DATA_PSEUDO_H
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "data/digest.h"
#include "data/hmac.h"

#define MG_PSEUDO_KEY_MIN 32
#define MG_PSEUDO_KEY_MAX (1u << 20)
/* The fingerprint is SHA-256(label || key): it names the key without being usable as the key
 * or as a token (the label separates it from a plain sha256sum of the key file). */
#define MG_PSEUDO_FINGERPRINT_LABEL "modelgov-key-fingerprint-v1:"

typedef struct mg_pseudo_spec {
    const char *const *columns; /* columns to pseudonymize (borrowed) */
    size_t ncolumns;
    const char *const *drop; /* columns to remove (borrowed) */
    size_t ndrop;
} mg_pseudo_spec;

typedef struct mg_pseudo_result {
    uint64_t rows; /* data rows */
    char in_digest[MG_DIGEST_STR], out_digest[MG_DIGEST_STR];
    uint64_t in_bytes, out_bytes;
} mg_pseudo_result;

/* Reads every byte of the key file (no trimming; any bytes). Between MG_PSEUDO_KEY_MIN and
 * MG_PSEUDO_KEY_MAX bytes, else MG_EINVAL; unreadable: MG_EIO. *key is a new heap buffer. */
int mg_pseudo_read_key(const char *path, unsigned char **key, size_t *klen, mg_error *err);
/* "sha256:<hex>" of SHA-256(MG_PSEUDO_FINGERPRINT_LABEL || key). */
void mg_pseudo_fingerprint(const unsigned char *key, size_t klen, char out[MG_DIGEST_STR]);

/* Pseudonymizes in ("-": stdin) into the file out. Returns 0, a reader error, MG_EINVAL (a
 * column missing from the header) or MG_EIO (writing or renaming the output). */
int mg_pseudonymize_file(const char *in, const char *out, const mg_hmac_key *key, const mg_pseudo_spec *spec,
                         mg_pseudo_result *res, mg_error *err);

#endif
