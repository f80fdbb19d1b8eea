/* core/base64 — see base64.h. */
#include "core/base64.h"

#include <openssl/evp.h>

#include "core/mem.h"

/* every 3 input bytes become 4 characters, the last group padded */
#define B64_GROUP_IN 3
#define B64_GROUP_OUT 4

char *mg_base64_encode(const void *data, size_t n) {
    char *out = mg_xmalloc(B64_GROUP_OUT * ((n + B64_GROUP_IN - 1) / B64_GROUP_IN) + 1);
    EVP_EncodeBlock((unsigned char *)out, data, (int)n);
    return out;
}
