/* Integration driver for k8s/client against the test API server (hack/testcluster): loads its
 * kubeconfig and exercises CRUD, selectors, pagination, optimistic concurrency, both patch
 * types, the scale subresource, watch and the Status errors through the real interfaces.
 * Usage: k8s-client-driver KUBECONFIG. Prints "ok NAME" / "FAIL NAME: why" and
 * "N passed, N failed"; exits 1 when anything failed. Built by tests/integration/k8s-client.sh. */
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "core/base64.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/mem.h"
#include "k8s/client.h"
#include "k8s/kubeconfig.h"

/* read-modify-write attempts of a Scale before a 409 counts as a failure */
enum { SCALE_ATTEMPTS = 5 };

static const mg_gvr NS = {"", "v1", "namespaces", false};
static const mg_gvr CM = {"", "v1", "configmaps", true};
static const mg_gvr DEPLOY = {"apps", "v1", "deployments", true};

static int passed, failed;

static void check(bool cond, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void check(bool cond, const char *name, const char *fmt, ...) {
    if (cond) {
        passed++;
        printf("ok   %s\n", name);
        return;
    }
    failed++;
    printf("FAIL %s: ", name);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

static const char *str_at(const json_t *o, const char *a, const char *b) {
    json_t *v = json_object_get(o, a);
    if (b) v = json_object_get(v, b);
    return json_string_value(v);
}

static json_t *configmap(const char *name, const char *app, const char *n, const char *value) {
    json_t *labels = json_object();
    if (app) json_object_set_new(labels, "app", json_string(app));
    if (n) json_object_set_new(labels, "n", json_string(n));
    return json_pack("{s:s,s:s,s:{s:s,s:o},s:{s:s}}", "apiVersion", "v1", "kind", "ConfigMap", "metadata",
                     "name", name, "labels", labels, "data", "k", value);
}

/* ---- watch in a thread ---- */

typedef struct watcher {
    mg_client *c;
    const char *ns;
    char rv[64];
    volatile int stop;
    pthread_mutex_t mu;
    char events[4096]; /* "ADDED cfg-w,MODIFIED cfg-w,..." */
    int rc;
    mg_error err;
    bool started;
} watcher;

static int on_line(const char *line, size_t len, void *ud) {
    watcher *w = ud;
    json_t *ev = json_loadb(line, len, 0, NULL);
    const char *type = json_string_value(json_object_get(ev, "type"));
    const char *name = str_at(json_object_get(ev, "object"), "metadata", "name");
    if (type && strcmp(type, "BOOKMARK")) {
        pthread_mutex_lock(&w->mu);
        size_t l = strlen(w->events);
        snprintf(w->events + l, sizeof(w->events) - l, "%s%s %s", l ? "," : "", type, name ? name : "?");
        pthread_mutex_unlock(&w->mu);
    }
    json_decref(ev);
    return 0;
}

static void *watch_main(void *p) {
    watcher *w = p;
    mg_watch_opts wo = {.resource_version = w->rv,
                        .allow_bookmarks = true,
                        .timeout_seconds = 60,
                        .stall_timeout_ms = 90000,
                        .stop = &w->stop};
    w->rc = mg_k8s_watch(w->c, &CM, w->ns, &wo, on_line, w, &w->err);
    return NULL;
}

static bool events_have(watcher *w, const char *want) {
    pthread_mutex_lock(&w->mu);
    bool ok = strstr(w->events, want) != NULL;
    pthread_mutex_unlock(&w->mu);
    return ok;
}

/* ---- an exec credential plugin (kubeconfig users[].user.exec), as EKS, GKE and AKS use ---- */

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (!f) abort();
    fputs(text, f);
    fclose(f);
}

static int count_runs(const char *dir) {
    char *p = mg_xasprintf("%s/count", dir);
    FILE *f = fopen(p, "r");
    int n = 0;
    if (f && fscanf(f, "%d", &n) != 1) n = -1;
    if (f) fclose(f);
    free(p);
    return n;
}

/* Starts a phase: the plugin's mode, its run count back to 0, a new client from the kubeconfig. */
static mg_client *exec_phase(const char *dir, const char *kc, const char *mode) {
    char *p = mg_xasprintf("%s/mode", dir);
    write_text(p, mode);
    free(p);
    p = mg_xasprintf("%s/count", dir);
    unlink(p);
    free(p);
    mg_rest_config cfg;
    mg_error e;
    mg_client *c = NULL;
    if (mg_kubeconfig_load(kc, NULL, &cfg, &e) || mg_client_new(&cfg, &c, &e)) {
        check(false, "exec kubeconfig loads", "%s", e.message);
        c = NULL;
    }
    mg_rest_config_free(&cfg);
    return c;
}

/* The admin's own credential (token, token file or client certificate) as an ExecCredential
 * status, with an expiry. */
static json_t *admin_status(const mg_rest_config *admin, const char *expiry) {
    json_t *st = json_pack("{s:s}", "expirationTimestamp", expiry);
    if (admin->client_cert_pem) {
        json_object_set_new(st, "clientCertificateData",
                            json_stringn(admin->client_cert_pem, admin->client_cert_pem_len));
        json_object_set_new(st, "clientKeyData",
                            json_stringn(admin->client_key_pem, admin->client_key_pem_len));
    }
    char *tok = admin->token ? mg_xstrdup(admin->token) : NULL;
    if (!tok && admin->token_file) {
        FILE *f = fopen(admin->token_file, "r");
        char buf[4096] = "";
        if (f && fgets(buf, sizeof buf, f)) buf[strcspn(buf, "\r\n")] = 0;
        if (f) fclose(f);
        tok = mg_xstrdup(buf);
    }
    if (tok) json_object_set_new(st, "token", json_string(tok));
    free(tok);
    return st;
}

static void write_credential(const char *dir, const char *name, json_t *status) {
    json_t *cred = json_pack("{s:s,s:s,s:o}", "apiVersion", "client.authentication.k8s.io/v1", "kind",
                             "ExecCredential", "status", status);
    char *p = mg_xasprintf("%s/%s", dir, name);
    if (json_dump_file(cred, p, 0)) abort();
    free(p);
    json_decref(cred);
}

/* The cluster's proxy-url (corporate proxies): requests go through it, NO_PROXY or not. */
static void proxy_checks(const mg_rest_config *admin, const char *ns) {
    const char *proxy = getenv("MG_TEST_PROXY"), *log = getenv("MG_TEST_PROXY_LOG");
    if (!proxy || !log) {
        check(false, "proxy-url: the test proxy runs", "MG_TEST_PROXY and MG_TEST_PROXY_LOG unset");
        return;
    }
    char dir[] = "/tmp/mg-proxy-it-XXXXXX";
    if (!mkdtemp(dir)) abort();
    char *ca = admin->ca_pem ? mg_base64_encode(admin->ca_pem, admin->ca_pem_len) : NULL;
    json_t *user = json_object();
    if (admin->token) json_object_set_new(user, "token", json_string(admin->token));
    if (admin->token_file) json_object_set_new(user, "tokenFile", json_string(admin->token_file));
    if (admin->client_cert_pem) {
        char *cert = mg_base64_encode(admin->client_cert_pem, admin->client_cert_pem_len);
        char *key = mg_base64_encode(admin->client_key_pem, admin->client_key_pem_len);
        json_object_set_new(user, "client-certificate-data", json_string(cert));
        json_object_set_new(user, "client-key-data", json_string(key));
        free(cert);
        free(key);
    }
    json_t *cluster = json_pack("{s:s,s:s}", "server", admin->server, "proxy-url", proxy);
    if (ca) json_object_set_new(cluster, "certificate-authority-data", json_string(ca));
    if (admin->insecure_skip_tls_verify)
        json_object_set_new(cluster, "insecure-skip-tls-verify", json_true());
    json_t *kcj = json_pack("{s:s,s:[{s:s,s:{s:s,s:s}}],s:[{s:s,s:o}],s:[{s:s,s:o}]}", "current-context", "p",
                            "contexts", "name", "p", "context", "cluster", "c", "user", "u", "clusters",
                            "name", "c", "cluster", cluster, "users", "name", "u", "user", user);
    char *kc = mg_xasprintf("%s/kubeconfig", dir);
    if (json_dump_file(kcj, kc, 0)) abort();
    json_decref(kcj);
    unlink(log);
    setenv("NO_PROXY", "127.0.0.1,localhost", 1); /* the kubeconfig's proxy still applies (client-go) */
    mg_rest_config cfg;
    mg_error e;
    mg_client *c = NULL;
    int rc = mg_kubeconfig_load(kc, NULL, &cfg, &e);
    if (!rc) rc = mg_client_new(&cfg, &c, &e);
    json_t *out = NULL;
    if (!rc) rc = mg_k8s_get(c, &CM, ns, "cfg-2", NULL, &out, &e);
    json_decref(out);
    unsetenv("NO_PROXY");
    FILE *f = fopen(log, "r");
    char line[256] = "";
    if (f && !fgets(line, sizeof line, f)) line[0] = 0;
    if (f) fclose(f);
    check(rc == 0 && !strncmp(line, "CONNECT ", 8), "proxy-url: the request goes through the proxy",
          "rc %d (%s), proxy log: %s", rc, rc ? e.message : "", line[0] ? line : "(empty)");
    mg_client_free(c);
    mg_rest_config_free(&cfg); /* zeroed when the load failed */
    unlink(kc);
    rmdir(dir);
    free(kc);
    free(ca);
}

static void exec_plugin_checks(const mg_rest_config *admin, const char *ns) {
    char dir[] = "/tmp/mg-exec-it-XXXXXX";
    if (!mkdtemp(dir)) abort();
    write_credential(dir, "good.json", admin_status(admin, "2099-01-01T00:00:00Z"));
    write_credential(dir, "expired.json", admin_status(admin, "2001-01-01T00:00:00Z"));
    write_credential(dir, "bad.json", json_pack("{s:s}", "token", "not-a-valid-token"));
    /* mode good: its credential; bad-once: a refused token on its first run; expired: a credential
     * already past its expiry; fail: an error on stderr and exit code 4 */
    char *script = mg_xasprintf(
        "#!/bin/sh\nd=%s\nn=$(( $(cat $d/count 2>/dev/null || echo 0) + 1 )); echo $n > $d/count\n"
        "printf '%%s' \"$KUBERNETES_EXEC_INFO\" > $d/info\nmode=$(cat $d/mode)\n"
        "[ \"$mode\" = fail ] && { echo 'token service unavailable' >&2; exit 4; }\n"
        "[ \"$mode\" = bad-once ] && [ $n = 1 ] && exec cat $d/bad.json\n"
        "[ \"$mode\" = expired ] && exec cat $d/expired.json\nexec cat $d/good.json\n",
        dir);
    char *plugin = mg_xasprintf("%s/get-credential", dir);
    write_text(plugin, script);
    chmod(plugin, 0755);
    char *ca = admin->ca_pem ? mg_base64_encode(admin->ca_pem, admin->ca_pem_len) : NULL;
    char *kc_text = mg_xasprintf(
        "apiVersion: v1\nkind: Config\ncurrent-context: x\ncontexts:\n- name: x\n  context: {cluster: c, "
        "user: u}\n"
        "clusters:\n- name: c\n  cluster:\n    server: %s\n%s%s%s%s"
        "users:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
        "      command: ./get-credential\n      interactiveMode: Never\n      provideClusterInfo: true\n",
        admin->server, ca ? "    certificate-authority-data: " : "", ca ? ca : "", ca ? "\n" : "",
        admin->insecure_skip_tls_verify ? "    insecure-skip-tls-verify: true\n" : "");
    char *kc = mg_xasprintf("%s/kubeconfig", dir);
    write_text(kc, kc_text);
    mg_error e;
    json_t *out = NULL;

    mg_client *c = exec_phase(dir, kc, "good");
    int rc1 = c ? mg_k8s_get(c, &CM, ns, "cfg-2", NULL, &out, &e) : -1;
    json_decref(out);
    int rc2 = c ? mg_k8s_list(c, &CM, ns, NULL, &out, &e) : -1;
    json_decref(out);
    check(rc1 == 0 && rc2 == 0, "exec plugin: its credential reads", "rc %d %d: %s", rc1, rc2, e.message);
    check(count_runs(dir) == 1, "exec plugin: run once while its credential lasts", "ran %d times",
          count_runs(dir));
    char *info_path = mg_xasprintf("%s/info", dir);
    json_t *info = json_load_file(info_path, 0, NULL);
    const char *server = json_string_value(
        json_object_get(json_object_get(json_object_get(info, "spec"), "cluster"), "server"));
    check(server && !strcmp(server, admin->server) &&
              json_is_false(json_object_get(json_object_get(info, "spec"), "interactive")),
          "exec plugin: KUBERNETES_EXEC_INFO has the cluster, interactive false", "%s",
          server ? server : "-");
    json_decref(info);
    free(info_path);
    mg_client_free(c);

    c = exec_phase(dir, kc, "bad-once");
    rc1 = c ? mg_k8s_get(c, &CM, ns, "cfg-2", NULL, &out, &e) : -1;
    json_decref(out);
    check(rc1 == 0 && count_runs(dir) == 2, "exec plugin: a 401 runs it again and the request once more",
          "rc %d, ran %d times: %s", rc1, count_runs(dir), e.message);
    mg_client_free(c);

    c = exec_phase(dir, kc, "expired");
    rc1 = c ? mg_k8s_get(c, &CM, ns, "cfg-2", NULL, &out, &e) : -1;
    json_decref(out);
    rc2 = c ? mg_k8s_get(c, &CM, ns, "cfg-2", NULL, &out, &e) : -1;
    json_decref(out);
    check(rc1 == 0 && rc2 == 0 && count_runs(dir) == 2, "exec plugin: an expired credential is renewed first",
          "rc %d %d, ran %d times", rc1, rc2, count_runs(dir));
    mg_client_free(c);

    c = exec_phase(dir, kc, "fail");
    rc1 = c ? mg_k8s_get(c, &CM, ns, "cfg-2", NULL, &out, &e) : -1;
    check(rc1 == MG_EIO && strstr(e.message, "get-credential: failed with exit code 4"),
          "exec plugin: its failure fails the request, named", "rc %d: %s", rc1, e.message);
    mg_client_free(c);

    char *cmd = mg_xasprintf("rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    free(cmd);
    free(kc);
    free(kc_text);
    free(ca);
    free(plugin);
    free(script);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s KUBECONFIG\n", argv[0]);
        return 2;
    }
    mg_mem_init();
    const char *kc = argv[1];
    mg_rest_config cfg;
    mg_error e;
    if (mg_kubeconfig_load(kc, NULL, &cfg, &e)) {
        printf("FAIL load kubeconfig: %s\n", e.message);
        return 1;
    }
    check(cfg.context && !strcmp(cfg.context, "admin"), "current-context is admin", "got %s",
          cfg.context ? cfg.context : "(null)");
    mg_client *c;
    if (mg_client_new(&cfg, &c, &e)) {
        printf("FAIL client: %s\n", e.message);
        return 1;
    }
    json_t *out = NULL, *obj;
    int rc;
    char ns[64];
    snprintf(ns, sizeof(ns), "mgc-%d", (int)getpid());

    obj = json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", "v1", "kind", "Namespace", "metadata", "name", ns);
    rc = mg_k8s_create(c, &NS, NULL, obj, &out, &e);
    check(rc == 0, "create namespace", "%s", e.message);
    json_decref(obj);
    json_decref(out);

    /* create, duplicate create, get, missing get */
    obj = configmap("cfg-1", "mgc", "1", "v");
    rc = mg_k8s_create(c, &CM, ns, obj, &out, &e);
    check(rc == 0 && str_at(out, "metadata", "uid") && str_at(out, "metadata", "resourceVersion"),
          "create configmap", "rc %d %s", rc, e.message);
    char rv1[64] = "";
    snprintf(rv1, sizeof(rv1), "%s", rc == 0 ? str_at(out, "metadata", "resourceVersion") : "");
    json_decref(out);
    rc = mg_k8s_create(c, &CM, ns, obj, &out, &e);
    check(rc == MG_ECONFLICT && e.http_status == 409 && !strcmp(e.reason, "AlreadyExists") &&
              !strcmp(e.message, "configmaps \"cfg-1\" already exists"),
          "duplicate create is 409 AlreadyExists", "rc %d status %d reason %s message %s", rc, e.http_status,
          e.reason, e.message);
    json_decref(obj);
    rc = mg_k8s_get(c, &CM, ns, "cfg-1", NULL, &out, &e);
    check(rc == 0 && str_at(out, "data", "k") && !strcmp(str_at(out, "data", "k"), "v"), "get configmap",
          "%s", e.message);
    json_t *got = out;
    rc = mg_k8s_get(c, &CM, ns, "nope", NULL, &out, &e);
    check(rc == MG_ENOTFOUND && e.http_status == 404 && !strcmp(e.reason, "NotFound") &&
              !strcmp(e.message, "configmaps \"nope\" not found") && !e.retryable,
          "missing get is 404 NotFound", "rc %d reason %s message %s", rc, e.reason, e.message);

    /* selectors and pagination */
    obj = configmap("cfg-2", "mgc", "2", "v");
    mg_k8s_create(c, &CM, ns, obj, NULL, &e);
    json_decref(obj);
    obj = configmap("cfg-3", "other", NULL, "v");
    mg_k8s_create(c, &CM, ns, obj, NULL, &e);
    json_decref(obj);
    mg_list_opts lo = {.label_selector = "app=mgc"};
    rc = mg_k8s_list(c, &CM, ns, &lo, &out, &e);
    check(rc == 0 && json_array_size(json_object_get(out, "items")) == 2, "list app=mgc", "rc %d n %zu %s",
          rc, json_array_size(json_object_get(out, "items")), e.message);
    json_decref(out);
    lo.label_selector = "app in (mgc,other),n!=2";
    rc = mg_k8s_list(c, &CM, ns, &lo, &out, &e);
    json_t *items = json_object_get(out, "items");
    check(rc == 0 && json_array_size(items) == 2 &&
              !strcmp(str_at(json_array_get(items, 0), "metadata", "name"), "cfg-1") &&
              !strcmp(str_at(json_array_get(items, 1), "metadata", "name"), "cfg-3"),
          "list with set-based selector (encoded)", "rc %d n %zu %s", rc, json_array_size(items), e.message);
    json_decref(out);
    mg_list_opts fo = {.field_selector = "metadata.name=cfg-2"};
    rc = mg_k8s_list(c, &CM, ns, &fo, &out, &e);
    check(rc == 0 && json_array_size(json_object_get(out, "items")) == 1, "list by field selector",
          "rc %d %s", rc, e.message);
    json_decref(out);
    char seen[256] = "";
    char cont[2048] = "";
    int pages = 0;
    do {
        mg_list_opts po = {.label_selector = "app", .limit = 1, .continue_token = cont[0] ? cont : NULL};
        rc = mg_k8s_list(c, &CM, ns, &po, &out, &e);
        if (rc) break;
        pages++;
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(out, "items"), i, it) {
            size_t l = strlen(seen);
            snprintf(seen + l, sizeof(seen) - l, "%s ", str_at(it, "metadata", "name"));
        }
        const char *next = str_at(out, "metadata", "continue");
        snprintf(cont, sizeof(cont), "%s", next ? next : "");
        json_decref(out);
    } while (cont[0] && pages < 10);
    /* three objects over pages of one: a server may end with an empty page carrying the last
     * continue token (kube-apiserver does when the selector is checked after reading) */
    check(rc == 0 && (pages == 3 || pages == 4) && !strcmp(seen, "cfg-1 cfg-2 cfg-3 "),
          "paginated list (limit/continue)", "rc %d pages %d seen '%s' %s", rc, pages, seen, e.message);
    /* the same through mg_k8s_list_items: every page joined, in order */
    mg_list_opts one_per_page = {.label_selector = "app", .limit = 1};
    json_t *joined_items = NULL;
    rc = mg_k8s_list_items(c, &CM, ns, &one_per_page, &joined_items, &e);
    char joined[256] = "";
    size_t ii;
    json_t *it;
    json_array_foreach(joined_items, ii, it) {
        size_t l = strlen(joined);
        snprintf(joined + l, sizeof(joined) - l, "%s ", str_at(it, "metadata", "name"));
    }
    check(rc == 0 && !strcmp(joined, "cfg-1 cfg-2 cfg-3 "), "list_items joins the pages (limit 1)",
          "rc %d joined_items '%s' %s", rc, joined, e.message);
    json_decref(joined_items);
    rc = mg_k8s_list_items(c, &CM, ns, &(mg_list_opts){.label_selector = "app=mgc"}, &joined_items, &e);
    check(rc == 0 && json_array_size(joined_items) == 2, "list_items with a selector, default page",
          "rc %d n %zu %s", rc, json_array_size(joined_items), e.message);
    json_decref(joined_items);

    /* update and optimistic concurrency */
    json_t *upd = json_deep_copy(got);
    json_object_set_new(json_object_get(upd, "data"), "k", json_string("v2"));
    rc = mg_k8s_update(c, &CM, ns, NULL, NULL, upd, &out, &e);
    check(rc == 0 && !strcmp(str_at(out, "data", "k"), "v2") &&
              strcmp(str_at(out, "metadata", "resourceVersion"), rv1),
          "update with resourceVersion", "rc %d %s", rc, e.message);
    json_decref(out);
    rc = mg_k8s_update(c, &CM, ns, "cfg-1", NULL, upd, &out, &e);
    check(rc == MG_ECONFLICT && e.http_status == 409 && !strcmp(e.reason, "Conflict") &&
              strstr(e.message, "the object has been modified"),
          "stale update is 409 Conflict", "rc %d reason %s message %s", rc, e.reason, e.message);
    json_decref(upd);
    json_decref(got);

    /* patches */
    json_t *mp = json_pack("{s:{s:s,s:n}}", "data", "k2", "x", "k");
    rc = mg_k8s_merge_patch(c, &CM, ns, "cfg-1", NULL, mp, &out, &e);
    check(rc == 0 && !json_object_get(json_object_get(out, "data"), "k") &&
              !strcmp(str_at(out, "data", "k2"), "x"),
          "merge patch", "rc %d %s", rc, e.message);
    json_decref(out);
    json_decref(mp);

    obj = configmap("Bad_Name", NULL, NULL, "v");
    rc = mg_k8s_create(c, &CM, ns, obj, &out, &e);
    check(rc == MG_EHTTP && e.http_status == 422 && !strcmp(e.reason, "Invalid") &&
              strstr(e.message, "ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value"),
          "invalid name is 422 Invalid", "rc %d reason %s message %s", rc, e.reason, e.message);
    json_decref(obj);
    json_decref(out);
    out = NULL;

    /* scale subresource */
    json_t *dep =
        json_loads("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\"},"
                   "\"spec\":{\"replicas\":1,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"
                   "\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":"
                   "[{\"name\":\"web\",\"image\":\"nginx:1.25\"}]}}}}",
                   0, NULL);
    rc = mg_k8s_create(c, &DEPLOY, ns, dep, NULL, &e);
    check(rc == 0, "create deployment", "%s", e.message);
    json_decref(dep);
    /* read-modify-write of the Scale, again on 409: the deployment controller writes the
     * Deployment (status) meanwhile on a real cluster */
    json_t *s2 = NULL;
    bool got_scale = false;
    for (int attempt = 0; attempt < SCALE_ATTEMPTS; attempt++) {
        json_decref(out);
        out = NULL;
        rc = mg_k8s_get(c, &DEPLOY, ns, "web", "scale", &out, &e);
        if (rc) break;
        got_scale = !strcmp(str_at(out, "kind", NULL), "Scale");
        json_object_set_new(json_object_get(out, "spec"), "replicas", json_integer(3));
        rc = mg_k8s_update(c, &DEPLOY, ns, "web", "scale", out, &s2, &e);
        if (rc != MG_ECONFLICT) break;
    }
    check(got_scale, "get scale", "rc %d %s", rc, e.message);
    check(rc == 0 && json_integer_value(json_object_get(json_object_get(s2, "spec"), "replicas")) == 3,
          "update scale", "rc %d %s", rc, e.message);
    json_decref(s2);
    json_decref(out);
    out = NULL;
    rc = mg_k8s_get(c, &DEPLOY, ns, "web", NULL, &out, &e);
    check(rc == 0 && json_integer_value(json_object_get(json_object_get(out, "spec"), "replicas")) == 3,
          "scale reached the deployment", "rc %d %s", rc, e.message);
    json_decref(out);

    /* watch from the list's resourceVersion */
    watcher w;
    memset(&w, 0, sizeof(w));
    pthread_mutex_init(&w.mu, NULL);
    w.c = c;
    w.ns = ns;
    rc = mg_k8s_list(c, &CM, ns, NULL, &out, &e);
    snprintf(w.rv, sizeof(w.rv), "%s", rc == 0 ? str_at(out, "metadata", "resourceVersion") : "0");
    json_decref(out);
    pthread_t th;
    pthread_create(&th, NULL, watch_main, &w);
    mg_sleep_ms(300);
    obj = configmap("cfg-w", "mgc", "w", "1");
    rc = mg_k8s_create(c, &CM, ns, obj, NULL, &e);
    json_decref(obj);
    mp = json_pack("{s:{s:s}}", "data", "k", "2");
    if (!rc) rc = mg_k8s_merge_patch(c, &CM, ns, "cfg-w", NULL, mp, NULL, &e);
    json_decref(mp);
    if (!rc) rc = mg_k8s_delete(c, &CM, ns, "cfg-w", "Background", &e);
    check(rc == 0, "create, patch, delete cfg-w", "%s", e.message);
    const char *want = "ADDED cfg-w,MODIFIED cfg-w,DELETED cfg-w";
    for (int i = 0; i < 100 && !events_have(&w, want); i++)
        mg_sleep_ms(100);
    w.stop = 1;
    pthread_join(th, NULL);
    check(events_have(&w, want), "watch saw ADDED, MODIFIED, DELETED in order", "events: %s", w.events);
    check(w.rc == MG_ECANCELED, "watch ends on stop", "rc %d %s", w.rc, w.err.message);

    /* delete */
    rc = mg_k8s_delete(c, &CM, ns, "cfg-1", "Background", &e);
    check(rc == 0, "delete configmap", "%s", e.message);
    rc = mg_k8s_get(c, &CM, ns, "cfg-1", NULL, &out, &e);
    check(rc == MG_ENOTFOUND, "deleted configmap is gone", "rc %d", rc);
    rc = mg_k8s_delete(c, &CM, ns, "cfg-1", NULL, &e);
    check(rc == MG_ENOTFOUND, "second delete is 404", "rc %d", rc);

    /* other users (a token on the test server, a client certificate on a real one), and a
     * wrong token */
    mg_rest_config acfg;
    rc = mg_kubeconfig_load(kc, "alice", &acfg, &e);
    check(rc == 0 && (acfg.token || acfg.token_file || acfg.client_cert_pem), "load context alice", "%s",
          e.message);
    if (rc == 0) {
        mg_client *ac;
        mg_client_new(&acfg, &ac, &e);
        rc = mg_k8s_get(ac, &CM, ns, "cfg-2", NULL, &out, &e);
        check(rc == 0, "alice reads a configmap", "%s", e.message);
        json_decref(out);
        mg_client_free(ac);
        free(acfg.token);
        free(acfg.token_file);
        free(acfg.client_cert_pem);
        free(acfg.client_key_pem);
        acfg.client_cert_pem = acfg.client_key_pem = NULL;
        acfg.client_cert_pem_len = acfg.client_key_pem_len = 0;
        acfg.token_file = NULL;
        acfg.token = mg_xstrdup("not-a-valid-token");
        mg_client_new(&acfg, &ac, &e);
        rc = mg_k8s_get(ac, &CM, ns, "cfg-2", NULL, &out, &e);
        check(rc == MG_EHTTP && e.http_status == 401 && !e.retryable, "wrong token is 401", "rc %d status %d",
              rc, e.http_status);
        mg_client_free(ac);
        mg_rest_config_free(&acfg);
    }

    exec_plugin_checks(&cfg, ns);
    proxy_checks(&cfg, ns);

    mg_k8s_delete(c, &NS, NULL, ns, NULL, NULL);
    mg_client_free(c);
    mg_rest_config_free(&cfg);
    pthread_mutex_destroy(&w.mu);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
