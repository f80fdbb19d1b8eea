/* k8s/execcred — see execcred.h. */
#include "k8s/execcred.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/mem.h"

#define MAX_OUTPUT (1u << 20) /* an ExecCredential is a few KB; a certificate chain a few more */
#define EXEC_INFO "KUBERNETES_EXEC_INFO"

extern char **environ;

/* ---- the environment and the input it gets ---- */

/* The value of KUBERNETES_EXEC_INFO: what the plugin may assume (heap string). */
static char *exec_info(const mg_exec_config *cfg, bool interactive) {
    json_t *spec = json_pack("{s:b}", "interactive", interactive);
    if (cfg->cluster_json) {
        json_t *cluster = json_loads(cfg->cluster_json, 0, NULL);
        if (cluster) json_object_set_new(spec, "cluster", cluster);
    }
    json_t *info =
        json_pack("{s:s,s:s,s:o}", "apiVersion", cfg->api_version, "kind", "ExecCredential", "spec", spec);
    char *s = json_dumps(info, JSON_COMPACT);
    json_decref(info);
    if (!s) abort(); /* out of memory */
    return s;
}

static bool name_is(const char *entry, const char *name_eq) {
    const char *eq = strchr(name_eq, '=');
    size_t n = eq ? (size_t)(eq - name_eq) + 1 : strlen(name_eq);
    return !strncmp(entry, name_eq, n);
}

/* environ, without the names the plugin's env and KUBERNETES_EXEC_INFO set, then those (a NULL-
 * terminated array of borrowed strings, except the last one, info, which the caller frees). */
static char **plugin_env(const mg_exec_config *cfg, char *info) {
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = mg_xcalloc(n + cfg->nenv + 2, sizeof *env);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bool replaced = name_is(environ[i], EXEC_INFO "=");
        for (size_t j = 0; j < cfg->nenv && !replaced; j++)
            replaced = name_is(environ[i], cfg->env[j]);
        if (!replaced) env[k++] = environ[i];
    }
    for (size_t j = 0; j < cfg->nenv; j++)
        env[k++] = cfg->env[j];
    env[k] = info;
    return env;
}

/* Whether the plugin may use our stdin; MG_EINVAL when it must and cannot. */
static int decide_interactive(const mg_exec_config *cfg, bool *interactive, mg_error *err) {
    bool tty = isatty(STDIN_FILENO) == 1;
    const char *mode = cfg->interactive_mode ? cfg->interactive_mode : "IfAvailable";
    *interactive = strcmp(mode, "Never") != 0 && tty;
    if (!strcmp(mode, "Always") && !tty)
        return mg_error_set(err, MG_EINVAL,
                            "exec plugin %s: interactiveMode is Always and standard input is not a terminal",
                            cfg->command);
    return 0;
}

/* ---- running it ---- */

/* Reads fd to its end into out (capped; the rest is read and dropped so the plugin never blocks
 * on a full pipe). Returns 0, MG_ETOOBIG or MG_EIO. */
static int read_all(int fd, mg_buf *out) {
    char chunk[8192];
    int rc = 0;
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return MG_EIO;
        if (n == 0) return rc;
        if (!rc && mg_buf_append(out, chunk, (size_t)n)) rc = MG_ETOOBIG;
    }
}

static int wait_for(pid_t pid, int *status) {
    while (waitpid(pid, status, 0) < 0)
        if (errno != EINTR) return -1;
    return 0;
}

static int spawn(const mg_exec_config *cfg, bool interactive, int out_fd, pid_t *pid, mg_error *err) {
    char *info_json = exec_info(cfg, interactive);
    char *info = mg_xasprintf(EXEC_INFO "=%s", info_json);
    free(info_json);
    char **env = plugin_env(cfg, info);
    char **argv = mg_xcalloc(cfg->nargs + 2, sizeof *argv);
    argv[0] = cfg->command;
    for (size_t i = 0; i < cfg->nargs; i++)
        argv[i + 1] = cfg->args[i];
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (!interactive) posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    if (out_fd != STDOUT_FILENO) posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
    /* none of our descriptors (API server connections, listening sockets) reach the plugin */
    posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
    int e = posix_spawnp(pid, cfg->command, &fa, NULL, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    free(argv);
    free(env);
    free(info);
    if (e == ENOENT)
        return mg_error_set(err, MG_ENOTFOUND, "exec plugin %s: not found%s%s", cfg->command,
                            cfg->install_hint ? "\n\n" : "", cfg->install_hint ? cfg->install_hint : "");
    if (e) return mg_error_set(err, MG_EIO, "exec plugin %s: cannot run it: %s", cfg->command, strerror(e));
    return 0;
}

int mg_exec_credential_get(const mg_exec_config *cfg, mg_exec_credential *out, mg_error *err) {
    memset(out, 0, sizeof *out);
    bool interactive;
    int rc = decide_interactive(cfg, &interactive, err);
    if (rc) return rc;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return mg_error_set(err, MG_EIO, "exec plugin %s: pipe: %s", cfg->command, strerror(errno));
    pid_t pid;
    rc = spawn(cfg, interactive, fds[1], &pid, err);
    close(fds[1]);
    if (rc) {
        close(fds[0]);
        return rc;
    }
    mg_buf text;
    mg_buf_init(&text, MAX_OUTPUT);
    int read_rc = read_all(fds[0], &text);
    close(fds[0]);
    int status = 0;
    if (wait_for(pid, &status) != 0)
        rc = mg_error_set(err, MG_EIO, "exec plugin %s: wait: %s", cfg->command, strerror(errno));
    else if (WIFSIGNALED(status))
        rc = mg_error_set(err, MG_EIO, "exec plugin %s: killed by signal %d", cfg->command, WTERMSIG(status));
    else if (WEXITSTATUS(status) != 0)
        rc = mg_error_set(err, MG_EIO, "exec plugin %s: failed with exit code %d", cfg->command,
                          WEXITSTATUS(status));
    else if (read_rc == MG_ETOOBIG)
        rc = mg_error_set(err, MG_EINVAL, "exec plugin %s: output larger than %u bytes", cfg->command,
                          MAX_OUTPUT);
    else if (read_rc)
        rc = mg_error_set(err, MG_EIO, "exec plugin %s: reading its output failed", cfg->command);
    else {
        mg_error perr;
        rc = mg_exec_credential_parse(cfg->api_version, text.data ? text.data : "", text.len, out, &perr);
        if (rc) rc = mg_error_set(err, rc, "exec plugin %s: %s", cfg->command, perr.message);
    }
    if (text.data) memset(text.data, 0, text.len);
    mg_buf_free(&text);
    return rc;
}

/* ---- its answer ---- */

/* A string member of status, or NULL; MG_EINVAL when present and not a non-empty string. */
static int status_str(const json_t *status, const char *key, const char **out, mg_error *err) {
    json_t *v = json_object_get(status, key);
    *out = NULL;
    if (!v || json_is_null(v)) return 0;
    if (!json_is_string(v) || json_string_length(v) == 0)
        return mg_error_set(err, MG_EINVAL, "status.%s is not a non-empty string", key);
    *out = json_string_value(v);
    return 0;
}

int mg_exec_credential_parse(const char *api_version, const char *text, size_t len, mg_exec_credential *out,
                             mg_error *err) {
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) return mg_error_set(err, MG_EINVAL, "its output is not JSON: %s", jerr.text);
    int rc = 0;
    const char *kind = json_string_value(json_object_get(root, "kind"));
    const char *version = json_string_value(json_object_get(root, "apiVersion"));
    json_t *status = json_object_get(root, "status");
    const char *token = NULL, *cert = NULL, *key = NULL, *expiry = NULL;
    int64_t expires_ms = 0;
    if (!json_is_object(root) || !kind || strcmp(kind, "ExecCredential"))
        rc = mg_error_set(err, MG_EINVAL, "its output is not an ExecCredential");
    else if (!version || strcmp(version, api_version))
        rc = mg_error_set(err, MG_EINVAL, "it answered apiVersion %s, the kubeconfig asks for %s",
                          version ? version : "(none)", api_version);
    else if (!json_is_object(status))
        rc = mg_error_set(err, MG_EINVAL, "its ExecCredential has no status");
    if (!rc) rc = status_str(status, "token", &token, err);
    if (!rc) rc = status_str(status, "clientCertificateData", &cert, err);
    if (!rc) rc = status_str(status, "clientKeyData", &key, err);
    if (!rc) rc = status_str(status, "expirationTimestamp", &expiry, err);
    if (!rc && !cert != !key)
        rc = mg_error_set(err, MG_EINVAL, "its status has %s without %s",
                          cert ? "clientCertificateData" : "clientKeyData",
                          cert ? "clientKeyData" : "clientCertificateData");
    if (!rc && !token && !cert)
        rc = mg_error_set(err, MG_EINVAL, "its status has neither a token nor a client certificate and key");
    if (!rc && expiry && mg_clock_parse_rfc3339(expiry, &expires_ms) != 0)
        rc = mg_error_set(err, MG_EINVAL, "status.expirationTimestamp %s is not an RFC 3339 time", expiry);
    if (!rc) {
        out->token = mg_xstrdup(token);
        out->cert_pem = mg_xstrdup(cert);
        out->cert_len = cert ? strlen(cert) : 0;
        out->key_pem = mg_xstrdup(key);
        out->key_len = key ? strlen(key) : 0;
        out->expires_ms = expiry ? expires_ms : 0;
    }
    json_decref(root);
    return rc;
}

static void wipe_free(char *s) {
    if (s) memset(s, 0, strlen(s));
    free(s);
}

void mg_exec_credential_free(mg_exec_credential *c) {
    if (!c) return;
    wipe_free(c->token);
    wipe_free(c->key_pem);
    free(c->cert_pem);
    memset(c, 0, sizeof *c);
}

/* ---- the configuration ---- */

static char **dup_strings(char *const *v, size_t n) {
    char **out = mg_xcalloc(n + 1, sizeof *out);
    for (size_t i = 0; i < n; i++)
        out[i] = mg_xstrdup(v[i]);
    return out;
}

mg_exec_config *mg_exec_config_dup(const mg_exec_config *cfg) {
    if (!cfg) return NULL;
    mg_exec_config *d = mg_xcalloc(1, sizeof *d);
    d->command = mg_xstrdup(cfg->command);
    d->args = dup_strings(cfg->args, cfg->nargs);
    d->nargs = cfg->nargs;
    d->env = dup_strings(cfg->env, cfg->nenv);
    d->nenv = cfg->nenv;
    d->api_version = mg_xstrdup(cfg->api_version);
    d->interactive_mode = mg_xstrdup(cfg->interactive_mode);
    d->install_hint = mg_xstrdup(cfg->install_hint);
    d->cluster_json = mg_xstrdup(cfg->cluster_json);
    return d;
}

void mg_exec_config_free(mg_exec_config *cfg) {
    if (!cfg) return;
    free(cfg->command);
    for (size_t i = 0; i < cfg->nargs; i++)
        free(cfg->args[i]);
    free(cfg->args);
    for (size_t i = 0; i < cfg->nenv; i++)
        wipe_free(cfg->env[i]); /* env values may be secrets (client-go treats them as such) */
    free(cfg->env);
    free(cfg->api_version);
    free(cfg->interactive_mode);
    free(cfg->install_hint);
    free(cfg->cluster_json);
    free(cfg);
}
