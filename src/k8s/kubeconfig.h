/* k8s/kubeconfig — where the API server is and who we are: kubeconfig files and in-cluster.
 *
 * Owns: mg_rest_config, a plain description (server URL, TLS material in memory, credentials)
 * produced from a kubeconfig (current-context or an explicit context) or from the in-cluster
 * service-account environment. Inline *-data fields are decoded into memory; file fields are read
 * at load time, except token files, which the client re-reads when they change (rotation; the
 * file must be readable and non-empty at load). Relative paths resolve against the directory of
 * the kubeconfig that defines the entry. Several $KUBECONFIG entries are merged as kubectl does
 * (first current-context, first definition of each name; missing files skipped). An exec
 * credential plugin (users[].user.exec) is loaded into cfg->exec and run by k8s/client when it
 * needs credentials (k8s/execcred); auth-provider plugins and basic auth are not supported (an
 * error when they are the only credential). Errors name the file and the field, e.g.
 *   kubeconfig /x/config: context "foo" not found
 *   kubeconfig /x/config: users[0].user.client-key-data: invalid base64
 * Codes: MG_ENOTFOUND (no such context/cluster/user, no kubeconfig), MG_EPARSE (malformed),
 * MG_EIO (unreadable file), MG_EINVAL. On failure *cfg is left zeroed. Not shared across
 * threads while being loaded. */
#ifndef MG_K8S_KUBECONFIG_H
#define MG_K8S_KUBECONFIG_H
#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "k8s/execcred.h"

typedef struct mg_rest_config {
    char *server;          /* https://host:port (IPv6 hosts in brackets) */
    char *tls_server_name; /* SNI / verification name override, or NULL */
    char *proxy_url;       /* the cluster's proxy-url (http, https or socks5h), or NULL: the environment's */
    char *ca_pem;          /* CA bundle PEM bytes, or NULL for the system store */
    size_t ca_pem_len;
    char *client_cert_pem; /* client certificate PEM, or NULL */
    size_t client_cert_pem_len;
    char *client_key_pem; /* client key PEM, or NULL */
    size_t client_key_pem_len;
    char *token;      /* static bearer token, or NULL */
    char *token_file; /* bearer token file re-read on change, or NULL */
    bool insecure_skip_tls_verify;
    char *namespace;      /* context namespace or in-cluster namespace file, or NULL */
    char *context;        /* name of the context used, or NULL in-cluster */
    char *user;           /* name of the kubeconfig user entry, or NULL */
    mg_exec_config *exec; /* the user's exec credential plugin (when it has no other credential) */
} mg_rest_config;

/* Loads path (NULL: $KUBECONFIG's first entry, else ~/.kube/config); context NULL means the
 * current-context. Fills *cfg (caller calls mg_rest_config_free). */
int mg_kubeconfig_load(const char *path, const char *context, mg_rest_config *cfg, mg_error *err);
/* In-cluster: KUBERNETES_SERVICE_HOST/PORT and /var/run/secrets/kubernetes.io/serviceaccount/
 * (root overridable for tests; NULL means the real path). */
int mg_incluster_load(const char *sa_dir, mg_rest_config *cfg, mg_error *err);
/* kubeconfig path/context if given or $KUBECONFIG set or ~/.kube/config exists; else in-cluster. */
int mg_rest_config_auto(const char *kubeconfig, const char *context, mg_rest_config *cfg, mg_error *err);
void mg_rest_config_free(mg_rest_config *cfg);

#endif
