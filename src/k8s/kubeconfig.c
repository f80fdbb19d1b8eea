/* k8s/kubeconfig — kubeconfig files and in-cluster configuration → mg_rest_config.
 *
 * Several files ($KUBECONFIG=a:b) are merged the way kubectl does: the first file that sets
 * current-context wins, and for each named cluster/context/user the first file defining it
 * wins. Relative file paths in an entry resolve against the directory of the file that
 * defined the entry; every error names that file and the field. */
#include "k8s/kubeconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/base64.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/yaml.h"

#define KC_MAX_FILE_BYTES (4u << 20)
#define SA_DIR_DEFAULT "/var/run/secrets/kubernetes.io/serviceaccount"

typedef struct kc_file {
    char *path;
    char *dir;
    json_t *root;
} kc_file;

typedef struct kc_set {
    kc_file *files;
    size_t n;
} kc_set;

static void set_free(kc_set *s) {
    for (size_t i = 0; i < s->n; i++) {
        free(s->files[i].path);
        free(s->files[i].dir);
        json_decref(s->files[i].root);
    }
    free(s->files);
    s->files = NULL;
    s->n = 0;
}

static char *dir_of(const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) return mg_xstrdup(".");
    if (slash == path) return mg_xstrdup("/");
    return mg_xstrndup(path, (size_t)(slash - path));
}

static char *resolve_path(const char *dir, const char *p) {
    if (p[0] == '/' || !dir) return mg_xstrdup(p);
    return mg_xasprintf("%s/%s", dir, p);
}

/* Reads a whole (small) file into a NUL-terminated heap buffer. Messages start with
 * "WHAT: PATH: ..." or, when what is NULL, "PATH: ...". */
static int slurp(const char *path, char **out, size_t *len, const char *what, mg_error *err) {
    *out = NULL;
    const char *sep = what ? ": " : "";
    if (!what) what = "";
    FILE *f = fopen(path, "rb");
    if (!f) return mg_error_set(err, MG_EIO, "%s%s%s: %s", what, sep, path, strerror(errno));
    mg_buf b;
    mg_buf_init(&b, KC_MAX_FILE_BYTES);
    char chunk[8192];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (mg_buf_append(&b, chunk, n)) {
            rc = mg_error_set(err, MG_ETOOBIG, "%s%s%s: larger than %u bytes", what, sep, path,
                              KC_MAX_FILE_BYTES);
            break;
        }
    }
    if (!rc && ferror(f)) rc = mg_error_set(err, MG_EIO, "%s%s%s: read error", what, sep, path);
    fclose(f);
    if (rc) {
        mg_buf_free(&b);
        return rc;
    }
    *len = b.len;
    *out = mg_buf_steal(&b);
    return 0;
}

/* Standard base64 (padding optional, whitespace ignored). Returns NULL on invalid input. */
static char *b64_decode(const char *s, size_t *outlen) {
    size_t n = strlen(s);
    char *out = mg_xmalloc(n / 4 * 3 + 4);
    unsigned acc = 0;
    int bits = 0;
    size_t o = 0;
    size_t pad = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int v;
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
        if (c == '=') {
            pad++;
            continue;
        }
        if (pad) goto bad; /* data after padding */
        if (c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if (c >= 'a' && c <= 'z')
            v = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            v = c - '0' + 52;
        else if (c == '+')
            v = 62;
        else if (c == '/')
            v = 63;
        else
            goto bad;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    if (bits >= 6 || pad > 2) goto bad; /* a lone 6-bit group cannot encode a byte */
    if (bits && (acc & ((1u << bits) - 1))) goto bad;
    out[o] = '\0';
    *outlen = o;
    return out;
bad:
    free(out);
    return NULL;
}

static int load_file(kc_set *s, const char *path, mg_error *err) {
    json_t *root = NULL;
    int rc = mg_yaml_load_file(path, &root, err);
    if (rc) {
        if (err) mg_error_wrap(err, "kubeconfig");
        return rc;
    }
    if (json_is_null(root)) {
        json_decref(root);
        root = json_object();
    }
    if (!json_is_object(root)) {
        json_decref(root);
        return mg_error_set(err, MG_EPARSE, "kubeconfig %s: not a YAML mapping", path);
    }
    static const char *const lists[] = {"clusters", "contexts", "users"};
    for (size_t i = 0; i < 3; i++) {
        json_t *l = json_object_get(root, lists[i]);
        if (l && !json_is_array(l) && !json_is_null(l)) {
            json_decref(root);
            return mg_error_set(err, MG_EPARSE, "kubeconfig %s: %s: must be a list", path, lists[i]);
        }
    }
    json_t *cc = json_object_get(root, "current-context");
    if (cc && !json_is_string(cc) && !json_is_null(cc)) {
        json_decref(root);
        return mg_error_set(err, MG_EPARSE, "kubeconfig %s: current-context: must be a string", path);
    }
    s->files = mg_xrealloc(s->files, (s->n + 1) * sizeof(*s->files));
    s->files[s->n++] = (kc_file){mg_xstrdup(path), dir_of(path), root};
    return 0;
}

/* Finds the first entry named name in list ("contexts"...) over all files. */
static json_t *find_named(const kc_set *s, const char *list, const char *name, size_t *file, size_t *index) {
    for (size_t f = 0; f < s->n; f++) {
        json_t *l = json_object_get(s->files[f].root, list);
        size_t i;
        json_t *e;
        json_array_foreach(l, i, e) {
            json_t *nm = json_object_get(e, "name");
            if (json_is_string(nm) && !strcmp(json_string_value(nm), name)) {
                *file = f;
                *index = i;
                return e;
            }
        }
    }
    return NULL;
}

/* Field access with type checks. The where-prefix is e.g. "users[0].user". */
typedef struct field_ctx {
    const char *path;  /* kubeconfig file */
    const char *where; /* "clusters[2].cluster" */
    mg_error *err;
} field_ctx;

static int get_str(const field_ctx *fc, const json_t *obj, const char *key, const char **out) {
    *out = NULL;
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_string(v))
        return mg_error_set(fc->err, MG_EPARSE, "kubeconfig %s: %s.%s: must be a string", fc->path, fc->where,
                            key);
    if (json_string_length(v) == 0) return 0;
    *out = json_string_value(v);
    return 0;
}

static int get_bool(const field_ctx *fc, const json_t *obj, const char *key, bool *out) {
    *out = false;
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_boolean(v))
        return mg_error_set(fc->err, MG_EPARSE, "kubeconfig %s: %s.%s: must be true or false", fc->path,
                            fc->where, key);
    *out = json_is_true(v);
    return 0;
}

static bool looks_pem(const char *p, size_t n) { return memmem(p, n, "-----BEGIN ", 11) != NULL; }

/* Loads PEM material from KEY-data (inline base64) or KEY (file). */
static int get_pem(const field_ctx *fc, const json_t *obj, const char *key, const char *dir, char **out,
                   size_t *outlen) {
    *out = NULL;
    *outlen = 0;
    char datakey[64];
    snprintf(datakey, sizeof(datakey), "%s-data", key);
    const char *data, *file;
    int rc = get_str(fc, obj, datakey, &data);
    if (!rc) rc = get_str(fc, obj, key, &file);
    if (rc) return rc;
    const char *used = data ? datakey : key;
    if (data) {
        *out = b64_decode(data, outlen);
        if (!*out)
            return mg_error_set(fc->err, MG_EPARSE, "kubeconfig %s: %s.%s: invalid base64", fc->path,
                                fc->where, datakey);
    } else if (file) {
        char *p = resolve_path(dir, file);
        mg_error e;
        rc = slurp(p, out, outlen, NULL, &e);
        free(p);
        if (rc)
            return mg_error_set(fc->err, rc, "kubeconfig %s: %s.%s: %s", fc->path, fc->where, key, e.message);
    } else {
        return 0;
    }
    if (!looks_pem(*out, *outlen)) {
        free(*out);
        *out = NULL;
        return mg_error_set(fc->err, MG_EPARSE, "kubeconfig %s: %s.%s: not PEM data", fc->path, fc->where,
                            used);
    }
    return 0;
}

static char *trim_token(char *t) {
    size_t n = strlen(t);
    while (n && (t[n - 1] == '\n' || t[n - 1] == '\r' || t[n - 1] == ' ' || t[n - 1] == '\t'))
        t[--n] = '\0';
    size_t i = 0;
    while (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')
        i++;
    if (i) memmove(t, t + i, n - i + 1);
    return t;
}

static int fill_cluster(const kc_set *s, const char *name, mg_rest_config *cfg, const char *ctx_where,
                        const char *ctx_path, mg_error *err) {
    size_t fi, ii;
    json_t *entry = find_named(s, "clusters", name, &fi, &ii);
    if (!entry)
        return mg_error_set(err, MG_ENOTFOUND, "kubeconfig %s: %s.cluster: cluster \"%s\" not found",
                            ctx_path, ctx_where, name);
    char where[64];
    snprintf(where, sizeof(where), "clusters[%zu].cluster", ii);
    field_ctx fc = {s->files[fi].path, where, err};
    json_t *c = json_object_get(entry, "cluster");
    if (!json_is_object(c))
        return mg_error_set(err, MG_EPARSE, "kubeconfig %s: %s: missing or not a mapping", fc.path, where);
    const char *server, *sni, *proxy;
    int rc = get_str(&fc, c, "server", &server);
    if (!rc) rc = get_str(&fc, c, "tls-server-name", &sni);
    if (!rc) rc = get_str(&fc, c, "proxy-url", &proxy);
    if (!rc) rc = get_bool(&fc, c, "insecure-skip-tls-verify", &cfg->insecure_skip_tls_verify);
    if (rc) return rc;
    if (!server) return mg_error_set(err, MG_EPARSE, "kubeconfig %s: %s.server: missing", fc.path, where);
    if (strncmp(server, "https://", 8) && strncmp(server, "http://", 7))
        return mg_error_set(err, MG_EPARSE, "kubeconfig %s: %s.server: \"%s\" is not an http(s) URL", fc.path,
                            where, server);
    cfg->server = mg_xstrdup(server);
    size_t sl = strlen(cfg->server);
    while (sl > 8 && cfg->server[sl - 1] == '/')
        cfg->server[--sl] = '\0';
    cfg->tls_server_name = mg_xstrdup(sni);
    /* client-go's schemes; socks5 resolves names at the proxy there, so socks5h for libcurl */
    if (proxy && strncmp(proxy, "http://", 7) && strncmp(proxy, "https://", 8) &&
        strncmp(proxy, "socks5://", 9))
        return mg_error_set(err, MG_EPARSE,
                            "kubeconfig %s: %s.proxy-url: \"%s\" is not an http, https or socks5 URL",
                            fc.path, where, proxy);
    cfg->proxy_url = !proxy                           ? NULL
                     : strncmp(proxy, "socks5://", 9) ? mg_xstrdup(proxy)
                                                      : mg_xasprintf("socks5h://%s", proxy + 9);
    return get_pem(&fc, c, "certificate-authority", s->files[fi].dir, &cfg->ca_pem, &cfg->ca_pem_len);
}

/* ---- exec credential plugins (k8s/execcred runs them) ---- */

/* A list of strings at obj[key] into a new array (*n entries); MG_EPARSE when it is not one. */
static int get_strings(const field_ctx *fc, const json_t *obj, const char *key, char ***out, size_t *n) {
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    *n = 0;
    if (!v || json_is_null(v)) return 0;
    if (!json_is_array(v))
        return mg_error_set(fc->err, MG_EPARSE, "kubeconfig %s: %s.%s: must be a list of strings", fc->path,
                            fc->where, key);
    *out = mg_xcalloc(json_array_size(v) + 1, sizeof **out);
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item) {
        if (!json_is_string(item))
            return mg_error_set(fc->err, MG_EPARSE, "kubeconfig %s: %s.%s[%zu]: must be a string", fc->path,
                                fc->where, key, i);
        (*out)[(*n)++] = mg_xstrdup(json_string_value(item));
    }
    return 0;
}

/* exec.env: a list of {name, value} into "name=value" strings. */
static int get_exec_env(const field_ctx *fc, const json_t *ex, mg_exec_config *e) {
    json_t *v = json_object_get(ex, "env");
    if (!v || json_is_null(v)) return 0;
    if (!json_is_array(v))
        return mg_error_set(fc->err, MG_EPARSE, "kubeconfig %s: %s.env: must be a list", fc->path, fc->where);
    e->env = mg_xcalloc(json_array_size(v) + 1, sizeof *e->env);
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item) {
        const char *name = json_string_value(json_object_get(item, "name"));
        const char *value = json_string_value(json_object_get(item, "value"));
        if (!name || !*name || strchr(name, '=') || !value)
            return mg_error_set(fc->err, MG_EPARSE,
                                "kubeconfig %s: %s.env[%zu]: needs a name (without '=') and a string value",
                                fc->path, fc->where, i);
        e->env[e->nenv++] = mg_xasprintf("%s=%s", name, value);
    }
    return 0;
}

/* What KUBERNETES_EXEC_INFO's spec.cluster says with provideClusterInfo (heap JSON text). */
static char *exec_cluster_json(const mg_rest_config *cfg) {
    json_t *c = json_pack("{s:s}", "server", cfg->server);
    if (cfg->tls_server_name) json_object_set_new(c, "tls-server-name", json_string(cfg->tls_server_name));
    if (cfg->insecure_skip_tls_verify) json_object_set_new(c, "insecure-skip-tls-verify", json_true());
    if (cfg->proxy_url) json_object_set_new(c, "proxy-url", json_string(cfg->proxy_url));
    if (cfg->ca_pem) {
        char *b64 = mg_base64_encode(cfg->ca_pem, cfg->ca_pem_len);
        json_object_set_new(c, "certificate-authority-data", json_string(b64));
        free(b64);
    }
    char *s = json_dumps(c, JSON_COMPACT);
    json_decref(c);
    if (!s) abort(); /* out of memory */
    return s;
}

/* users[].user.exec, as client-go reads it: apiVersion (v1 or v1beta1) and command required, a
 * command with a slash but not absolute relative to the kubeconfig's directory (a bare name is
 * looked up in PATH when run), interactiveMode required by v1 (IfAvailable for v1beta1). */
static int load_exec(const field_ctx *fc, const json_t *ex, const char *dir, mg_rest_config *cfg) {
    if (!json_is_object(ex))
        return mg_error_set(fc->err, MG_EPARSE, "kubeconfig %s: %s: must be a mapping", fc->path, fc->where);
    const char *api, *command, *mode, *hint;
    bool cluster_info;
    int rc = get_str(fc, ex, "apiVersion", &api);
    if (!rc) rc = get_str(fc, ex, "command", &command);
    if (!rc) rc = get_str(fc, ex, "interactiveMode", &mode);
    if (!rc) rc = get_str(fc, ex, "installHint", &hint);
    if (!rc) rc = get_bool(fc, ex, "provideClusterInfo", &cluster_info);
    if (rc) return rc;
    bool v1 = api && !strcmp(api, "client.authentication.k8s.io/v1");
    if (!v1 && !(api && !strcmp(api, "client.authentication.k8s.io/v1beta1")))
        return mg_error_set(fc->err, MG_EPARSE,
                            "kubeconfig %s: %s.apiVersion: %s%s is not supported; use "
                            "client.authentication.k8s.io/v1 (or v1beta1)",
                            fc->path, fc->where, api ? api : "(missing)",
                            api && strstr(api, "v1alpha1") ? " (removed in Kubernetes 1.24)" : "");
    if (!command)
        return mg_error_set(fc->err, MG_EPARSE, "kubeconfig %s: %s.command: missing", fc->path, fc->where);
    if (!mode && v1)
        return mg_error_set(fc->err, MG_EPARSE,
                            "kubeconfig %s: %s.interactiveMode: missing (required by %s: Never, IfAvailable "
                            "or Always)",
                            fc->path, fc->where, api);
    if (mode && strcmp(mode, "Never") && strcmp(mode, "IfAvailable") && strcmp(mode, "Always"))
        return mg_error_set(fc->err, MG_EPARSE,
                            "kubeconfig %s: %s.interactiveMode: %s is not Never, IfAvailable or Always",
                            fc->path, fc->where, mode);
    mg_exec_config *e = mg_xcalloc(1, sizeof *e);
    cfg->exec = e;
    e->command = strchr(command, '/') ? resolve_path(dir, command) : mg_xstrdup(command);
    e->api_version = mg_xstrdup(api);
    e->interactive_mode = mg_xstrdup(mode ? mode : "IfAvailable");
    e->install_hint = mg_xstrdup(hint);
    if (cluster_info) e->cluster_json = exec_cluster_json(cfg);
    rc = get_strings(fc, ex, "args", &e->args, &e->nargs);
    if (!rc) rc = get_exec_env(fc, ex, e);
    return rc;
}

static int fill_user(const kc_set *s, const char *name, mg_rest_config *cfg, const char *ctx_where,
                     const char *ctx_path, mg_error *err) {
    size_t fi, ii;
    json_t *entry = find_named(s, "users", name, &fi, &ii);
    if (!entry)
        return mg_error_set(err, MG_ENOTFOUND, "kubeconfig %s: %s.user: user \"%s\" not found", ctx_path,
                            ctx_where, name);
    char where[64];
    snprintf(where, sizeof(where), "users[%zu].user", ii);
    field_ctx fc = {s->files[fi].path, where, err};
    json_t *u = json_object_get(entry, "user");
    if (json_is_null(u) || !u) return 0; /* anonymous */
    if (!json_is_object(u))
        return mg_error_set(err, MG_EPARSE, "kubeconfig %s: %s: must be a mapping", fc.path, where);
    int rc = get_pem(&fc, u, "client-certificate", s->files[fi].dir, &cfg->client_cert_pem,
                     &cfg->client_cert_pem_len);
    if (!rc)
        rc = get_pem(&fc, u, "client-key", s->files[fi].dir, &cfg->client_key_pem, &cfg->client_key_pem_len);
    if (rc) return rc;
    if (!cfg->client_cert_pem != !cfg->client_key_pem)
        return mg_error_set(err, MG_EPARSE,
                            "kubeconfig %s: %s.%s: missing (a client certificate needs a key)", fc.path,
                            where, cfg->client_cert_pem ? "client-key" : "client-certificate");
    const char *token, *token_file;
    rc = get_str(&fc, u, "token", &token);
    if (!rc) rc = get_str(&fc, u, "tokenFile", &token_file);
    if (rc) return rc;
    if (token) cfg->token = mg_xstrdup(token);
    if (token_file) {
        cfg->token_file = resolve_path(s->files[fi].dir, token_file);
        char *t;
        size_t tl;
        mg_error e;
        rc = slurp(cfg->token_file, &t, &tl, NULL, &e);
        if (rc) return mg_error_set(err, rc, "kubeconfig %s: %s.tokenFile: %s", fc.path, where, e.message);
        bool empty = trim_token(t)[0] == '\0';
        free(t);
        if (empty)
            return mg_error_set(err, MG_EPARSE, "kubeconfig %s: %s.tokenFile: %s is empty", fc.path, where,
                                cfg->token_file);
    }
    bool has_cred = cfg->client_cert_pem || cfg->token || cfg->token_file;
    json_t *ex = json_object_get(u, "exec");
    if (!has_cred && ex && !json_is_null(ex)) { /* a credential of the kubeconfig's own wins */
        char exwhere[80];
        snprintf(exwhere, sizeof exwhere, "%s.exec", where);
        field_ctx exfc = {fc.path, exwhere, err};
        return load_exec(&exfc, ex, s->files[fi].dir, cfg);
    }
    if (!has_cred && json_object_get(u, "auth-provider"))
        return mg_error_set(
            err, MG_EINVAL,
            "kubeconfig %s: %s.auth-provider: auth-provider plugins are not supported (kubectl "
            "dropped them too); use an exec credential plugin",
            fc.path, where);
    if (!has_cred && (json_object_get(u, "username") || json_object_get(u, "password")))
        return mg_error_set(err, MG_EINVAL,
                            "kubeconfig %s: %s.username: basic authentication is not supported", fc.path,
                            where);
    return 0;
}

static int load_set(kc_set *s, const char *context, mg_rest_config *cfg, mg_error *err) {
    const char *ctxname = context;
    const char *cc_path = s->files[0].path;
    if (!ctxname) {
        for (size_t f = 0; f < s->n && !ctxname; f++) {
            json_t *cc = json_object_get(s->files[f].root, "current-context");
            if (json_is_string(cc) && json_string_length(cc)) {
                ctxname = json_string_value(cc);
                cc_path = s->files[f].path;
            }
        }
        if (!ctxname)
            return mg_error_set(err, MG_EINVAL,
                                "kubeconfig %s: current-context is not set and no context was given",
                                s->files[0].path);
    }
    size_t fi, ii;
    json_t *entry = find_named(s, "contexts", ctxname, &fi, &ii);
    if (!entry) {
        if (context)
            return mg_error_set(err, MG_ENOTFOUND, "kubeconfig %s: context \"%s\" not found",
                                s->files[0].path, ctxname);
        return mg_error_set(err, MG_ENOTFOUND, "kubeconfig %s: current-context: context \"%s\" not found",
                            cc_path, ctxname);
    }
    char where[64];
    snprintf(where, sizeof(where), "contexts[%zu].context", ii);
    field_ctx fc = {s->files[fi].path, where, err};
    json_t *c = json_object_get(entry, "context");
    if (!json_is_object(c))
        return mg_error_set(err, MG_EPARSE, "kubeconfig %s: %s: missing or not a mapping", fc.path, where);
    const char *cluster, *user, *ns;
    int rc = get_str(&fc, c, "cluster", &cluster);
    if (!rc) rc = get_str(&fc, c, "user", &user);
    if (!rc) rc = get_str(&fc, c, "namespace", &ns);
    if (rc) return rc;
    if (!cluster) return mg_error_set(err, MG_EPARSE, "kubeconfig %s: %s.cluster: missing", fc.path, where);
    cfg->context = mg_xstrdup(ctxname);
    cfg->namespace = mg_xstrdup(ns);
    rc = fill_cluster(s, cluster, cfg, where, fc.path, err);
    if (rc) return rc;
    if (user) {
        cfg->user = mg_xstrdup(user);
        rc = fill_user(s, user, cfg, where, fc.path, err);
    }
    return rc;
}

/* Default kubeconfig path list: $KUBECONFIG entries, else ~/.kube/config. */
static int default_paths(char ***paths, size_t *n) {
    *paths = NULL;
    *n = 0;
    const char *env = getenv("KUBECONFIG");
    if (env && *env) {
        const char *p = env;
        while (*p) {
            const char *colon = strchr(p, ':');
            size_t len = colon ? (size_t)(colon - p) : strlen(p);
            if (len) {
                *paths = mg_xrealloc(*paths, (*n + 1) * sizeof(char *));
                (*paths)[(*n)++] = mg_xstrndup(p, len);
            }
            p += len;
            if (*p == ':') p++;
        }
        if (*n) return 0;
    }
    const char *home = getenv("HOME");
    if (!home || !*home) return MG_ENOTFOUND;
    *paths = mg_xmalloc(sizeof(char *));
    (*paths)[0] = mg_xasprintf("%s/.kube/config", home);
    *n = 1;
    return 0;
}

static void free_paths(char **paths, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
}

int mg_kubeconfig_load(const char *path, const char *context, mg_rest_config *cfg, mg_error *err) {
    memset(cfg, 0, sizeof(*cfg));
    kc_set s = {0};
    int rc = 0;
    if (path) {
        rc = load_file(&s, path, err);
    } else {
        char **paths;
        size_t n;
        if (default_paths(&paths, &n))
            return mg_error_set(err, MG_ENOTFOUND, "kubeconfig: neither $KUBECONFIG nor $HOME is set");
        /* Missing files in $KUBECONFIG are skipped, as kubectl does; broken ones are errors. */
        for (size_t i = 0; i < n && !rc; i++) {
            struct stat st;
            if (n > 1 && stat(paths[i], &st) != 0) continue;
            rc = load_file(&s, paths[i], err);
        }
        if (!rc && s.n == 0)
            rc = mg_error_set(err, MG_ENOTFOUND, "kubeconfig %s: no such file", n ? paths[0] : "?");
        free_paths(paths, n);
    }
    if (!rc) rc = load_set(&s, context, cfg, err);
    set_free(&s);
    if (rc) mg_rest_config_free(cfg);
    return rc;
}

int mg_incluster_load(const char *sa_dir, mg_rest_config *cfg, mg_error *err) {
    memset(cfg, 0, sizeof(*cfg));
    const char *dir = sa_dir ? sa_dir : SA_DIR_DEFAULT;
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    const char *port = getenv("KUBERNETES_SERVICE_PORT");
    if (!host || !*host || !port || !*port)
        return mg_error_set(err, MG_ENOTFOUND,
                            "in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set");
    for (const char *p = port; *p; p++)
        if (*p < '0' || *p > '9')
            return mg_error_set(err, MG_EINVAL, "in-cluster: KUBERNETES_SERVICE_PORT \"%s\" is not a port",
                                port);
    bool v6 = strchr(host, ':') != NULL && host[0] != '[';
    cfg->server = mg_xasprintf("https://%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "", port);
    int rc = 0;
    char *tok = NULL;
    size_t len;
    cfg->token_file = mg_xasprintf("%s/token", dir);
    rc = slurp(cfg->token_file, &tok, &len, "in-cluster: service-account token", err);
    if (!rc && trim_token(tok)[0] == '\0')
        rc = mg_error_set(err, MG_EINVAL, "in-cluster: service-account token %s is empty", cfg->token_file);
    free(tok);
    if (!rc) {
        char *ca_path = mg_xasprintf("%s/ca.crt", dir);
        rc = slurp(ca_path, &cfg->ca_pem, &cfg->ca_pem_len, "in-cluster: service-account CA", err);
        if (!rc && !looks_pem(cfg->ca_pem, cfg->ca_pem_len))
            rc = mg_error_set(err, MG_EPARSE, "in-cluster: service-account CA %s: not PEM data", ca_path);
        free(ca_path);
    }
    if (!rc) {
        char *ns_path = mg_xasprintf("%s/namespace", dir);
        char *ns = NULL;
        if (slurp(ns_path, &ns, &len, "namespace", NULL) == 0) {
            if (trim_token(ns)[0])
                cfg->namespace = ns;
            else
                free(ns);
        }
        free(ns_path);
    }
    if (rc) mg_rest_config_free(cfg);
    return rc;
}

int mg_rest_config_auto(const char *kubeconfig, const char *context, mg_rest_config *cfg, mg_error *err) {
    if (kubeconfig && *kubeconfig) return mg_kubeconfig_load(kubeconfig, context, cfg, err);
    const char *env = getenv("KUBECONFIG");
    if (env && *env) return mg_kubeconfig_load(NULL, context, cfg, err);
    const char *home = getenv("HOME");
    if (home && *home) {
        char *p = mg_xasprintf("%s/.kube/config", home);
        struct stat st;
        bool exists = stat(p, &st) == 0;
        int rc = exists ? mg_kubeconfig_load(p, context, cfg, err) : 0;
        free(p);
        if (exists) return rc;
    }
    if (context) {
        memset(cfg, 0, sizeof(*cfg));
        return mg_error_set(err, MG_ENOTFOUND, "context \"%s\" given but no kubeconfig was found", context);
    }
    int rc = mg_incluster_load(NULL, cfg, err);
    if (rc == MG_ENOTFOUND && err && !getenv("KUBERNETES_SERVICE_HOST"))
        mg_error_set(
            err, MG_ENOTFOUND,
            "no kubeconfig (--kubeconfig, $KUBECONFIG, ~/.kube/config) and not running in a cluster");
    return rc;
}

void mg_rest_config_free(mg_rest_config *cfg) {
    if (!cfg) return;
    free(cfg->server);
    free(cfg->tls_server_name);
    free(cfg->proxy_url);
    free(cfg->ca_pem);
    free(cfg->client_cert_pem);
    free(cfg->client_key_pem);
    if (cfg->token) memset(cfg->token, 0, strlen(cfg->token));
    free(cfg->token);
    free(cfg->token_file);
    free(cfg->namespace);
    free(cfg->context);
    free(cfg->user);
    mg_exec_config_free(cfg->exec);
    memset(cfg, 0, sizeof(*cfg));
}
