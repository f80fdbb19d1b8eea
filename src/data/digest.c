#include "data/digest.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"

#define FILE_CHUNK (1u << 20)

void mg_hex(const unsigned char *in, size_t n, char *out) {
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[in[i] >> 4];
        out[2 * i + 1] = hx[in[i] & 15];
    }
    out[2 * n] = '\0';
}

void mg_digest_format(const unsigned char d[MG_SHA256_LEN], char out[MG_DIGEST_STR]) {
    memcpy(out, "sha256:", 7);
    mg_hex(d, MG_SHA256_LEN, out + 7);
}

int mg_file_sha256(const char *path, char digest[MG_DIGEST_STR], uint64_t *size, mg_error *err) {
    int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
    if (fd < 0) return mg_error_set(err, MG_EIO, "%s: %s", path, strerror(errno));
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) abort();
    char *buf = mg_xmalloc(FILE_CHUNK);
    uint64_t total = 0;
    int rc = 0;
    for (;;) {
        ssize_t n = read(fd, buf, FILE_CHUNK);
        if (n < 0) {
            if (errno == EINTR) continue;
            rc = mg_error_set(err, MG_EIO, "%s: read: %s", path, strerror(errno));
            break;
        }
        if (n == 0) break;
        EVP_DigestUpdate(md, buf, (size_t)n);
        total += (uint64_t)n;
    }
    if (!rc) {
        unsigned char d[EVP_MAX_MD_SIZE];
        unsigned int dl = 0;
        EVP_DigestFinal_ex(md, d, &dl);
        mg_digest_format(d, digest);
        if (size) *size = total;
    }
    EVP_MD_CTX_free(md);
    free(buf);
    if (fd > 0) close(fd);
    return rc;
}
