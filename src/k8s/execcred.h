/* k8s/execcred — exec credential plugins (kubeconfig users[].user.exec), the way kubectl gets
 * credentials for managed clusters: EKS (aws eks get-token), GKE (gke-gcloud-auth-plugin), AKS
 * and OIDC (kubelogin), Teleport and others.
 *
 * Owns: mg_exec_config (the exec stanza as loaded from a kubeconfig) and one run of its plugin.
 * A run follows client.authentication.k8s.io v1 and v1beta1 (v1alpha1 is gone since Kubernetes
 * 1.24): the command (a bare name is looked up in PATH; one with a slash was resolved against its
 * kubeconfig's directory when loaded) gets its args, the process's environment plus its env
 * entries and KUBERNETES_EXEC_INFO (an ExecCredential saying the apiVersion, whether it may talk
 * to the user and, with provideClusterInfo, the cluster); its stdin is ours only when its
 * interactiveMode allows it and stdin is a terminal (else /dev/null: a plugin that must prompt
 * then fails instead of hanging), its stderr is ours (prompts, explanations), and its stdout
 * (at most 1 MiB) must be an ExecCredential of the same apiVersion whose status holds a token
 * or a client certificate and key, and optionally expirationTimestamp (RFC 3339). Anything else
 * is an error naming the command: not found (with its installHint), a failed exit, a signal,
 * output that is not such an object. There is no timeout (an interactive login takes what the
 * user takes, as with kubectl).
 *
 * Thread safety: pure functions over their arguments; k8s/client serializes the runs of one
 * client and caches the credential until it expires or the API server answers 401. */
#ifndef MG_K8S_EXECCRED_H
#define MG_K8S_EXECCRED_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef struct mg_exec_config {
    char *command; /* as run: a bare name (PATH) or a path */
    char **args;   /* nargs strings */
    size_t nargs;
    char **env; /* nenv "NAME=value" strings, added to (and overriding) the environment */
    size_t nenv;
    char *api_version;      /* client.authentication.k8s.io/v1 or /v1beta1 */
    char *interactive_mode; /* Never, IfAvailable or Always */
    char *install_hint;     /* shown when the command is not found, or NULL */
    char *cluster_json;     /* spec.cluster for KUBERNETES_EXEC_INFO (provideClusterInfo), or NULL */
} mg_exec_config;

typedef struct mg_exec_credential {
    char *token;              /* bearer token, or NULL */
    char *cert_pem, *key_pem; /* client certificate and key, or NULL */
    size_t cert_len, key_len;
    int64_t expires_ms; /* wall-clock ms from expirationTimestamp; 0: valid until a 401 */
} mg_exec_credential;

/* Runs the plugin once and fills *out (the caller frees it with mg_exec_credential_free). Returns
 * 0, MG_ENOTFOUND (no such command), MG_EIO (it cannot be run, fails or is killed) or MG_EINVAL
 * (its answer is unusable, or it needs a terminal we do not have); err names the command. */
int mg_exec_credential_get(const mg_exec_config *cfg, mg_exec_credential *out, mg_error *err);
/* Parses a plugin's stdout (exposed for tests and fuzzing): 0 or MG_EINVAL with err saying why. */
int mg_exec_credential_parse(const char *api_version, const char *text, size_t len, mg_exec_credential *out,
                             mg_error *err);
void mg_exec_credential_free(mg_exec_credential *c); /* wipes the secrets; c itself is not freed */

mg_exec_config *mg_exec_config_dup(const mg_exec_config *cfg); /* NULL for NULL */
void mg_exec_config_free(mg_exec_config *cfg);                 /* frees cfg too */

#endif
