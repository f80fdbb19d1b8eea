/* Unit tests for k8s/kubeconfig: many valid variants, $KUBECONFIG merging, in-cluster, and broken
 * files whose errors must name the file and the field. Fixtures are written at test time into
 * a fresh temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "core/error.h"
#include "core/mem.h"
#include "k8s/kubeconfig.h"
#include "tests/unit/tmpdir_support.h"

#define CA_PEM "-----BEGIN CERTIFICATE-----\nQ0EgY2VydA==\n-----END CERTIFICATE-----\n"
#define CERT_PEM "-----BEGIN CERTIFICATE-----\nY2xpZW50\n-----END CERTIFICATE-----\n"
#define KEY_PEM "-----BEGIN EC PRIVATE KEY-----\nc2VjcmV0\n-----END EC PRIVATE KEY-----\n"

static char dir[64];

static char *b64(const char *s) {
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(s);
    char *o = mg_xmalloc(n / 3 * 4 + 5);
    size_t j = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)s[i] << 16;
        if (i + 1 < n) v |= (unsigned char)s[i + 1] << 8;
        if (i + 2 < n) v |= (unsigned char)s[i + 2];
        o[j++] = tbl[(v >> 18) & 63];
        o[j++] = tbl[(v >> 12) & 63];
        o[j++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
        o[j++] = i + 2 < n ? tbl[v & 63] : '=';
    }
    o[j] = '\0';
    return o;
}

static char *path_in(const char *name) { return mg_xasprintf("%s/%s", dir, name); }

static char *write_file(const char *name, const char *text) {
    char *p = path_in(name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return p;
}

static int setup(void **state) {
    (void)state;
    if (tmpdir_make(dir, sizeof dir, "mg-kc")) return -1;
    unsetenv("KUBECONFIG");
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
    return 0;
}

static int teardown(void **state) {
    (void)state;
    return tmpdir_remove(dir);
}

/* Loads text as a kubeconfig; expects failure with code and a message containing each part
 * (the literal "@" in a part is replaced by the kubeconfig's path). */
static void expect_fail(const char *text, const char *context, int code, const char *part) {
    char *p = write_file("broken", text);
    mg_rest_config cfg;
    mg_error e;
    int rc = mg_kubeconfig_load(p, context, &cfg, &e);
    if (rc != code) fail_msg("rc %d (%s) want %d for:\n%s", rc, e.message, code, text);
    char want[1024];
    const char *at = strchr(part, '@');
    if (at)
        snprintf(want, sizeof(want), "%.*s%s%s", (int)(at - part), part, p, at + 1);
    else
        snprintf(want, sizeof(want), "%s", part);
    if (!strstr(e.message, want)) fail_msg("message \"%s\" lacks \"%s\"", e.message, want);
    assert_null(cfg.server);
    free(p);
}

static void test_inline_data_current_context(void **state) {
    (void)state;
    char *ca = b64(CA_PEM), *cert = b64(CERT_PEM), *key = b64(KEY_PEM);
    char *text = mg_xasprintf("apiVersion: v1\nkind: Config\ncurrent-context: dev\n"
                              "clusters:\n- name: other\n  cluster: {server: 'https://wrong:1'}\n"
                              "- name: c1\n  cluster:\n    server: https://10.0.0.1:6443/\n"
                              "    certificate-authority-data: %s\n    tls-server-name: api.internal\n"
                              "contexts:\n- name: prod\n  context: {cluster: other, user: u1}\n"
                              "- name: dev\n  context: {cluster: c1, user: u1, namespace: team-a}\n"
                              "users:\n- name: u1\n  user:\n    client-certificate-data: %s\n"
                              "    client-key-data: %s\n",
                              ca, cert, key);
    char *p = write_file("config", text);
    mg_rest_config cfg;
    mg_error e;
    assert_int_equal(mg_kubeconfig_load(p, NULL, &cfg, &e), 0);
    assert_string_equal(cfg.server, "https://10.0.0.1:6443");
    assert_string_equal(cfg.tls_server_name, "api.internal");
    assert_int_equal(cfg.ca_pem_len, strlen(CA_PEM));
    assert_memory_equal(cfg.ca_pem, CA_PEM, cfg.ca_pem_len);
    assert_int_equal(cfg.client_cert_pem_len, strlen(CERT_PEM));
    assert_memory_equal(cfg.client_cert_pem, CERT_PEM, cfg.client_cert_pem_len);
    assert_int_equal(cfg.client_key_pem_len, strlen(KEY_PEM));
    assert_memory_equal(cfg.client_key_pem, KEY_PEM, cfg.client_key_pem_len);
    assert_string_equal(cfg.namespace, "team-a");
    assert_string_equal(cfg.context, "dev");
    assert_string_equal(cfg.user, "u1");
    assert_false(cfg.insecure_skip_tls_verify);
    assert_null(cfg.token);
    assert_null(cfg.token_file);
    mg_rest_config_free(&cfg);
    /* explicit context overrides current-context */
    assert_int_equal(mg_kubeconfig_load(p, "prod", &cfg, &e), 0);
    assert_string_equal(cfg.server, "https://wrong:1");
    assert_null(cfg.namespace);
    assert_null(cfg.ca_pem);
    mg_rest_config_free(&cfg);
    free(p);
    free(text);
    free(ca);
    free(cert);
    free(key);
}

static void test_files_relative_to_kubeconfig(void **state) {
    (void)state;
    char *sub = path_in("sub");
    mkdir(sub, 0700);
    char *pki = path_in("sub/pki");
    mkdir(pki, 0700);
    free(write_file("sub/pki/ca.crt", CA_PEM));
    free(write_file("sub/pki/client.crt", CERT_PEM));
    free(write_file("sub/pki/client.key", KEY_PEM));
    free(write_file("sub/token", "  tok-from-file\n"));
    char *abs_ca = path_in("sub/pki/ca.crt");
    char *text = mg_xasprintf("current-context: a\nclusters:\n- name: c\n  cluster:\n"
                              "    server: https://[::1]:8443\n    certificate-authority: %s\n"
                              "    insecure-skip-tls-verify: false\n"
                              "contexts:\n- name: a\n  context: {cluster: c, user: files}\n"
                              "- name: b\n  context: {cluster: c, user: tf}\n"
                              "users:\n- name: files\n  user:\n    client-certificate: pki/client.crt\n"
                              "    client-key: pki/client.key\n"
                              "- name: tf\n  user:\n    tokenFile: token\n    token: static\n",
                              abs_ca);
    char *p = write_file("sub/kc.yaml", text);
    mg_rest_config cfg;
    mg_error e;
    assert_int_equal(mg_kubeconfig_load(p, NULL, &cfg, &e), 0);
    assert_string_equal(cfg.server, "https://[::1]:8443");
    assert_memory_equal(cfg.ca_pem, CA_PEM, strlen(CA_PEM));
    assert_memory_equal(cfg.client_cert_pem, CERT_PEM, strlen(CERT_PEM));
    assert_memory_equal(cfg.client_key_pem, KEY_PEM, strlen(KEY_PEM));
    assert_null(cfg.tls_server_name);
    mg_rest_config_free(&cfg);
    assert_int_equal(mg_kubeconfig_load(p, "b", &cfg, &e), 0);
    char *want_tf = path_in("sub/token");
    assert_string_equal(cfg.token_file, want_tf);
    assert_string_equal(cfg.token, "static");
    mg_rest_config_free(&cfg);
    /* a relative kubeconfig path resolves relative to the current directory */
    char cwd[512];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(dir), 0);
    assert_int_equal(mg_kubeconfig_load("sub/kc.yaml", "b", &cfg, &e), 0);
    assert_string_equal(cfg.token_file, "sub/token");
    mg_rest_config_free(&cfg);
    assert_int_equal(chdir(cwd), 0);
    free(want_tf);
    free(p);
    free(text);
    free(abs_ca);
    free(sub);
    free(pki);
}

static void test_insecure_and_anonymous(void **state) {
    (void)state;
    char *p = write_file("insecure", "current-context: x\nclusters:\n- name: c\n  cluster:\n"
                                     "    server: http://127.0.0.1:8080\n    insecure-skip-tls-verify: true\n"
                                     "contexts:\n- name: x\n  context:\n    cluster: c\n");
    mg_rest_config cfg;
    mg_error e;
    assert_int_equal(mg_kubeconfig_load(p, NULL, &cfg, &e), 0);
    assert_true(cfg.insecure_skip_tls_verify);
    assert_null(cfg.user);
    assert_null(cfg.token);
    mg_rest_config_free(&cfg);
    free(p);
}

static void test_kubeconfig_env_merge(void **state) {
    (void)state;
    char *a = write_file("a.yaml", "current-context: ctx-b\nclusters:\n- name: shared\n"
                                   "  cluster: {server: 'https://first:1'}\n"
                                   "users:\n- name: u\n  user: {token: tok-a}\n");
    char *b = write_file("b.yaml", "current-context: ignored\nclusters:\n- name: shared\n"
                                   "  cluster: {server: 'https://second:2'}\n"
                                   "contexts:\n- name: ctx-b\n  context: {cluster: shared, user: u}\n"
                                   "users:\n- name: u\n  user: {token: tok-b}\n");
    char *missing = path_in("missing.yaml");
    char *env = mg_xasprintf("%s::%s:%s", missing, a, b);
    setenv("KUBECONFIG", env, 1);
    mg_rest_config cfg;
    mg_error e;
    assert_int_equal(mg_kubeconfig_load(NULL, NULL, &cfg, &e), 0);
    assert_string_equal(cfg.context, "ctx-b");
    assert_string_equal(cfg.server, "https://first:1"); /* first definition wins */
    assert_string_equal(cfg.token, "tok-a");
    mg_rest_config_free(&cfg);
    assert_int_equal(mg_rest_config_auto(NULL, NULL, &cfg, &e), 0);
    assert_string_equal(cfg.server, "https://first:1");
    mg_rest_config_free(&cfg);
    /* explicit path ignores $KUBECONFIG */
    assert_int_equal(mg_rest_config_auto(b, NULL, &cfg, &e), MG_ENOTFOUND);
    unsetenv("KUBECONFIG");
    free(a);
    free(b);
    free(missing);
    free(env);
}

static void test_broken_files(void **state) {
    (void)state;
    const char *good_tail = "clusters:\n- name: c\n  cluster: {server: 'https://h:1'}\n"
                            "users:\n- name: u\n  user: {token: t}\n";
    char *t;
    t = mg_xasprintf("current-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\n%s",
                     good_tail);
    expect_fail(t, "foo", MG_ENOTFOUND, "kubeconfig @: context \"foo\" not found");
    free(t);
    t = mg_xasprintf("contexts:\n- name: a\n  context: {cluster: c, user: u}\n%s", good_tail);
    expect_fail(t, NULL, MG_EINVAL, "kubeconfig @: current-context is not set and no context was given");
    free(t);
    t = mg_xasprintf("current-context: gone\ncontexts: []\n%s", good_tail);
    expect_fail(t, NULL, MG_ENOTFOUND, "kubeconfig @: current-context: context \"gone\" not found");
    free(t);
    t = mg_xasprintf("current-context: a\ncontexts:\n- name: a\n  context: {cluster: nope, user: u}\n%s",
                     good_tail);
    expect_fail(t, NULL, MG_ENOTFOUND,
                "kubeconfig @: contexts[0].context.cluster: cluster \"nope\" not found");
    free(t);
    t = mg_xasprintf("current-context: a\ncontexts:\n- name: z\n  context: {cluster: c}\n"
                     "- name: a\n  context: {cluster: c, user: who}\n%s",
                     good_tail);
    expect_fail(t, NULL, MG_ENOTFOUND, "kubeconfig @: contexts[1].context.user: user \"who\" not found");
    free(t);
    expect_fail("current-context: a\ncontexts:\n- name: a\n  context: {user: u}\n", NULL, MG_EPARSE,
                "kubeconfig @: contexts[0].context.cluster: missing");
    expect_fail("current-context: a\ncontexts:\n- name: a\n  context: {cluster: c}\n"
                "clusters:\n- name: c\n  cluster: {certificate-authority-data: eA==}\n",
                NULL, MG_EPARSE, "kubeconfig @: clusters[0].cluster.server: missing");
    expect_fail("current-context: a\ncontexts:\n- name: a\n  context: {cluster: c}\n"
                "clusters:\n- name: c\n  cluster: {server: 'ftp://x'}\n",
                NULL, MG_EPARSE,
                "kubeconfig @: clusters[0].cluster.server: \"ftp://x\" is not an http(s) URL");
    expect_fail(
        "current-context: a\ncontexts:\n- name: a\n  context: {cluster: c}\n"
        "clusters:\n- name: c\n  cluster: {server: 'https://h', certificate-authority-data: 'not*b64'}\n",
        NULL, MG_EPARSE, "kubeconfig @: clusters[0].cluster.certificate-authority-data: invalid base64");
    expect_fail(
        "current-context: a\ncontexts:\n- name: a\n  context: {cluster: c}\n"
        "clusters:\n- name: c\n  cluster: {server: 'https://h', certificate-authority-data: aGVsbG8=}\n",
        NULL, MG_EPARSE, "kubeconfig @: clusters[0].cluster.certificate-authority-data: not PEM data");
    expect_fail(
        "current-context: a\ncontexts:\n- name: a\n  context: {cluster: c}\n"
        "clusters:\n- name: c\n  cluster: {server: 'https://h', certificate-authority: /nonexistent/ca}\n",
        NULL, MG_EIO,
        "kubeconfig @: clusters[0].cluster.certificate-authority: /nonexistent/ca: No such file");
    expect_fail("current-context: a\ncontexts:\n- name: a\n  context: {cluster: c}\n"
                "clusters:\n- name: c\n  cluster: {server: 'https://h', insecure-skip-tls-verify: 'yes'}\n",
                NULL, MG_EPARSE,
                "kubeconfig @: clusters[0].cluster.insecure-skip-tls-verify: must be true or false");
    t = mg_xasprintf(
        "current-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\n"
        "clusters:\n- name: c\n  cluster: {server: 'https://h:1'}\n"
        "users:\n- name: u\n  user:\n    client-certificate-data: %s\n    client-key-data: '%%%%'\n",
        "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==");
    expect_fail(t, NULL, MG_EPARSE, "kubeconfig @: users[0].user.client-key-data: invalid base64");
    free(t);
    expect_fail(
        "current-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\n"
        "clusters:\n- name: c\n  cluster: {server: 'https://h:1'}\n"
        "users:\n- name: u\n  user:\n    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==\n",
        NULL, MG_EPARSE,
        "kubeconfig @: users[0].user.client-key: missing (a client certificate needs a key)");
    expect_fail(
        "current-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\n"
        "clusters:\n- name: c\n  cluster: {server: 'https://h:1'}\n"
        "users:\n- name: u\n  user:\n    client-certificate: nofile.crt\n    client-key: nofile.key\n",
        NULL, MG_EIO, "kubeconfig @: users[0].user.client-certificate: ");
    expect_fail("current-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\n"
                "clusters:\n- name: c\n  cluster: {server: 'https://h:1'}\n"
                "users:\n- name: u\n  user: {tokenFile: /nonexistent/token}\n",
                NULL, MG_EIO, "kubeconfig @: users[0].user.tokenFile: /nonexistent/token: No such file");
#define EXEC_KC(user)                                                                                        \
    "current-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\n"                           \
    "clusters:\n- name: c\n  cluster: {server: 'https://h:1'}\n"                                             \
    "users:\n- name: u\n  user:\n    exec: " user "\n"
    expect_fail(EXEC_KC("{command: aws}"), NULL, MG_EPARSE,
                "kubeconfig @: users[0].user.exec.apiVersion: (missing) is not supported; use "
                "client.authentication.k8s.io/v1 (or v1beta1)");
    expect_fail(EXEC_KC("{apiVersion: client.authentication.k8s.io/v1alpha1, command: aws}"), NULL, MG_EPARSE,
                "exec.apiVersion: client.authentication.k8s.io/v1alpha1 (removed in Kubernetes 1.24) is not "
                "supported");
    expect_fail(EXEC_KC("{apiVersion: client.authentication.k8s.io/v1, interactiveMode: Never}"), NULL,
                MG_EPARSE, "kubeconfig @: users[0].user.exec.command: missing");
    expect_fail(EXEC_KC("{apiVersion: client.authentication.k8s.io/v1, command: aws}"), NULL, MG_EPARSE,
                "users[0].user.exec.interactiveMode: missing (required by client.authentication.k8s.io/v1");
    expect_fail(
        EXEC_KC(
            "{apiVersion: client.authentication.k8s.io/v1beta1, command: aws, interactiveMode: Sometimes}"),
        NULL, MG_EPARSE, "users[0].user.exec.interactiveMode: Sometimes is not Never, IfAvailable or Always");
    expect_fail(
        EXEC_KC("{apiVersion: client.authentication.k8s.io/v1beta1, command: aws, env: [{value: x}]}"), NULL,
        MG_EPARSE, "users[0].user.exec.env[0]: needs a name");
    expect_fail(EXEC_KC("{apiVersion: client.authentication.k8s.io/v1beta1, command: aws, args: [--ok, {}]}"),
                NULL, MG_EPARSE, "users[0].user.exec.args[1]: must be a string");
    expect_fail("current-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\n"
                "clusters:\n- name: c\n  cluster: {server: 'https://h:1'}\n"
                "users:\n- name: u\n  user:\n    auth-provider: {name: gcp}\n",
                NULL, MG_EINVAL,
                "kubeconfig @: users[0].user.auth-provider: auth-provider plugins are not supported");
    expect_fail("current-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\n"
                "clusters:\n- name: c\n  cluster: {server: 'https://h:1'}\n"
                "users:\n- name: u\n  user: {token: [1]}\n",
                NULL, MG_EPARSE, "kubeconfig @: users[0].user.token: must be a string");
    expect_fail("current-context: a\nclusters: {c: 1}\n", NULL, MG_EPARSE,
                "kubeconfig @: clusters: must be a list");
    expect_fail("current-context: [x]\n", NULL, MG_EPARSE, "kubeconfig @: current-context: must be a string");
    expect_fail("- just\n- a list\n", NULL, MG_EPARSE, "kubeconfig @: not a YAML mapping");
    expect_fail("current-context: a\nclusters:\n  - name: c\n   bad: indent\n", NULL, MG_EPARSE,
                "kubeconfig: @:4:");
    expect_fail("current-context: a\ncurrent-context: b\n", NULL, MG_EPARSE,
                "kubeconfig: @:2:1: duplicate key");
    expect_fail("", NULL, MG_EINVAL, "kubeconfig @: current-context is not set");
    mg_rest_config cfg;
    mg_error e;
    assert_int_equal(mg_kubeconfig_load("/nonexistent/kubeconfig", NULL, &cfg, &e), MG_EIO);
    assert_non_null(strstr(e.message, "/nonexistent/kubeconfig"));
}

/* An exec credential plugin as client-go reads it: a command with a slash is relative to the
 * kubeconfig's directory, a bare one is left for PATH; args, env, v1beta1's default interactive
 * mode, the cluster for KUBERNETES_EXEC_INFO; a credential of the user's own wins over it. */
static void test_exec_plugin_config(void **state) {
    (void)state;
    char *ca = b64(CA_PEM);
    char *text = mg_xasprintf(
        "current-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\n"
        "- name: b\n  context: {cluster: c, user: v}\n- name: t\n  context: {cluster: c, user: w}\n"
        "clusters:\n- name: c\n  cluster: {server: 'https://h:1', certificate-authority-data: %s, "
        "tls-server-name: api.example}\n"
        "users:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
        "      command: ./bin/get-token\n      args: [--cluster, prod]\n"
        "      env: [{name: REGION, value: eu-west-1}]\n      interactiveMode: Never\n"
        "      provideClusterInfo: true\n      installHint: install get-token\n"
        "- name: v\n  user:\n    exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: aws}\n"
        "- name: w\n  user:\n    token: mine\n    exec: {apiVersion: client.authentication.k8s.io/v1beta1, "
        "command: aws}\n",
        ca);
    char *p = write_file("exec", text);
    mg_rest_config cfg;
    mg_error e;
    assert_int_equal(mg_kubeconfig_load(p, NULL, &cfg, &e), 0);
    assert_non_null(cfg.exec);
    char *want = mg_xasprintf("%s/./bin/get-token", dir);
    assert_string_equal(cfg.exec->command, want);
    free(want);
    assert_int_equal(cfg.exec->nargs, 2);
    assert_string_equal(cfg.exec->args[1], "prod");
    assert_int_equal(cfg.exec->nenv, 1);
    assert_string_equal(cfg.exec->env[0], "REGION=eu-west-1");
    assert_string_equal(cfg.exec->interactive_mode, "Never");
    assert_string_equal(cfg.exec->install_hint, "install get-token");
    json_t *cluster = json_loads(cfg.exec->cluster_json, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(cluster, "server")), "https://h:1");
    assert_string_equal(json_string_value(json_object_get(cluster, "tls-server-name")), "api.example");
    assert_string_equal(json_string_value(json_object_get(cluster, "certificate-authority-data")), ca);
    json_decref(cluster);
    assert_null(cfg.token);
    mg_rest_config_free(&cfg);
    assert_int_equal(mg_kubeconfig_load(p, "b", &cfg, &e), 0);
    assert_string_equal(cfg.exec->command, "aws"); /* bare: PATH */
    assert_string_equal(cfg.exec->interactive_mode, "IfAvailable");
    assert_null(cfg.exec->cluster_json);
    mg_rest_config_free(&cfg);
    assert_int_equal(mg_kubeconfig_load(p, "t", &cfg, &e), 0);
    assert_null(cfg.exec);
    assert_string_equal(cfg.token, "mine");
    mg_rest_config_free(&cfg);
    free(p);
    free(text);
    free(ca);
}

/* proxy-url: http and https as they are, socks5 resolving at the proxy (socks5h, as client-go
 * does), anything else refused; given to an exec plugin with the cluster. */
static void test_proxy_url(void **state) {
    (void)state;
    static const char *const in[] = {"http://proxy:3128", "https://proxy:443", "socks5://proxy:1080"};
    static const char *const want[] = {"http://proxy:3128", "https://proxy:443", "socks5h://proxy:1080"};
    for (int i = 0; i < 3; i++) {
        char *text =
            mg_xasprintf("current-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\n"
                         "clusters:\n- name: c\n  cluster: {server: 'https://h:1', proxy-url: '%s'}\n"
                         "users:\n- name: u\n  user:\n    exec: {apiVersion: client.authentication.k8s.io/"
                         "v1beta1, command: aws, provideClusterInfo: true}\n",
                         in[i]);
        char *p = write_file("proxy", text);
        mg_rest_config cfg;
        mg_error e;
        assert_int_equal(mg_kubeconfig_load(p, NULL, &cfg, &e), 0);
        assert_string_equal(cfg.proxy_url, want[i]);
        assert_non_null(strstr(cfg.exec->cluster_json, want[i]));
        mg_rest_config_free(&cfg);
        free(p);
        free(text);
    }
    expect_fail(
        "current-context: a\ncontexts:\n- name: a\n  context: {cluster: c}\n"
        "clusters:\n- name: c\n  cluster: {server: 'https://h:1', proxy-url: 'ftp://p:21'}\n",
        NULL, MG_EPARSE,
        "kubeconfig @: clusters[0].cluster.proxy-url: \"ftp://p:21\" is not an http, https or socks5 URL");
}

static void test_incluster(void **state) {
    (void)state;
    char *sa = path_in("sa");
    mkdir(sa, 0700);
    mg_rest_config cfg;
    mg_error e;
    assert_int_equal(mg_incluster_load(sa, &cfg, &e), MG_ENOTFOUND);
    assert_non_null(strstr(e.message, "KUBERNETES_SERVICE_HOST"));
    setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    assert_int_equal(mg_incluster_load(sa, &cfg, &e), MG_EIO);
    char *want = mg_xasprintf("in-cluster: service-account token: %s/token: No such file", sa);
    if (!strstr(e.message, want)) fail_msg("%s lacks %s", e.message, want);
    free(want);
    free(write_file("sa/token", "sa-token\n"));
    assert_int_equal(mg_incluster_load(sa, &cfg, &e), MG_EIO);
    assert_non_null(strstr(e.message, "ca.crt"));
    free(write_file("sa/ca.crt", CA_PEM));
    assert_int_equal(mg_incluster_load(sa, &cfg, &e), 0);
    assert_string_equal(cfg.server, "https://10.96.0.1:443");
    char *tf = mg_xasprintf("%s/token", sa);
    assert_string_equal(cfg.token_file, tf);
    free(tf);
    assert_null(cfg.token);
    assert_null(cfg.namespace);
    assert_memory_equal(cfg.ca_pem, CA_PEM, strlen(CA_PEM));
    mg_rest_config_free(&cfg);
    free(write_file("sa/namespace", "modelgov-system\n"));
    setenv("KUBERNETES_SERVICE_HOST", "fd00:10:96::1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "6443", 1);
    assert_int_equal(mg_incluster_load(sa, &cfg, &e), 0);
    assert_string_equal(cfg.server, "https://[fd00:10:96::1]:6443");
    assert_string_equal(cfg.namespace, "modelgov-system");
    mg_rest_config_free(&cfg);
    setenv("KUBERNETES_SERVICE_PORT", "https", 1);
    assert_int_equal(mg_incluster_load(sa, &cfg, &e), MG_EINVAL);
    free(write_file("sa/token", "\n"));
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    assert_int_equal(mg_incluster_load(sa, &cfg, &e), MG_EINVAL);
    assert_non_null(strstr(e.message, "empty"));
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
    free(sa);
}

static void test_auto(void **state) {
    (void)state;
    char *home = path_in("home");
    mkdir(home, 0700);
    char *old_home = getenv("HOME") ? mg_xstrdup(getenv("HOME")) : NULL;
    setenv("HOME", home, 1);
    mg_rest_config cfg;
    mg_error e;
    assert_int_equal(mg_rest_config_auto(NULL, NULL, &cfg, &e), MG_ENOTFOUND);
    assert_non_null(strstr(e.message, "not running in a cluster"));
    assert_int_equal(mg_rest_config_auto(NULL, "ctx", &cfg, &e), MG_ENOTFOUND);
    char *kdir = path_in("home/.kube");
    mkdir(kdir, 0700);
    free(write_file("home/.kube/config", "current-context: h\ncontexts:\n- name: h\n  context: {cluster: c}\n"
                                         "clusters:\n- name: c\n  cluster: {server: 'https://home:1'}\n"));
    assert_int_equal(mg_rest_config_auto(NULL, NULL, &cfg, &e), 0);
    assert_string_equal(cfg.server, "https://home:1");
    mg_rest_config_free(&cfg);
    if (old_home) setenv("HOME", old_home, 1);
    free(old_home);
    free(kdir);
    free(home);
}

int main(void) {
    mg_mem_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inline_data_current_context),
        cmocka_unit_test(test_files_relative_to_kubeconfig),
        cmocka_unit_test(test_insecure_and_anonymous),
        cmocka_unit_test(test_kubeconfig_env_merge),
        cmocka_unit_test(test_broken_files),
        cmocka_unit_test(test_exec_plugin_config),
        cmocka_unit_test(test_proxy_url),
        cmocka_unit_test(test_incluster),
        cmocka_unit_test(test_auto),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
