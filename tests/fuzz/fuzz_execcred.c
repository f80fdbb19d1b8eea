/* libFuzzer target for k8s/execcred's reading of an exec credential plugin's output (outside
 * input: whatever the plugin prints). Every answer is refused with a message or taken with a
 * token or a whole certificate and key pair, their lengths right. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "k8s/execcred.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    mg_exec_credential cred;
    mg_error err;
    int rc =
        mg_exec_credential_parse("client.authentication.k8s.io/v1", (const char *)data, size, &cred, &err);
    if (rc) {
        if (rc != MG_EINVAL || !err.message[0] || cred.token || cred.cert_pem || cred.key_pem) abort();
        return 0;
    }
    if (!cred.token && !cred.cert_pem) abort();
    if (!cred.cert_pem != !cred.key_pem) abort();
    if (cred.cert_pem && (cred.cert_len != strlen(cred.cert_pem) || cred.key_len != strlen(cred.key_pem)))
        abort();
    if (cred.token && !cred.token[0]) abort();
    mg_exec_credential_free(&cred);
    return 0;
}
