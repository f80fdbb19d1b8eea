/* k8s/execcred: real plugins (shell scripts) run the way kubectl runs them — what they are given
 * (args, env, KUBERNETES_EXEC_INFO, stdin) and what of their answers is taken or refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/mem.h"
#include "k8s/execcred.h"
#include "tests/unit/tmpdir_support.h"

#define V1 "client.authentication.k8s.io/v1"

static char dir[64];

static int setup(void **state) {
    (void)state;
    return tmpdir_make(dir, sizeof dir, "mg-exec");
}

static int teardown(void **state) {
    (void)state;
    return tmpdir_remove(dir);
}

/* An executable script in dir running body under /bin/sh; returns its path (free it). */
static char *plugin(const char *name, const char *body) {
    char *p = mg_xasprintf("%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\n%s\n", body);
    fclose(f);
    assert_int_equal(chmod(p, 0755), 0);
    return p;
}

static mg_exec_config config(char *command, const char *mode) {
    return (mg_exec_config){.command = command, .api_version = V1, .interactive_mode = (char *)mode};
}

static void expect_refused(const char *body, int code, const char *part) {
    char *p = plugin("refused", body);
    mg_exec_config cfg = config(p, "Never");
    mg_exec_credential cred;
    mg_error e;
    int rc = mg_exec_credential_get(&cfg, &cred, &e);
    if (rc != code || !strstr(e.message, part))
        fail_msg("rc %d want %d, \"%s\" lacks \"%s\" (plugin: %s)", rc, code, e.message, part, body);
    assert_null(cred.token);
    assert_non_null(strstr(e.message, p)); /* the error names the command */
    free(p);
}

/* The plugin gets its args, the environment plus its env entries, KUBERNETES_EXEC_INFO with the
 * apiVersion, interactive false and the cluster, and /dev/null as stdin; its token and expiry
 * are taken. */
static void test_exec_runs_plugin(void **state) {
    (void)state;
    char *seen = mg_xasprintf("%s/seen", dir);
    char *body = mg_xasprintf("printf '%%s|%%s|%%s|%%s\\n' \"$1\" \"$2\" \"$REGION\" \"$HOME\" > %s\n"
                              "printf '%%s' \"$KUBERNETES_EXEC_INFO\" > %s.info\n"
                              "if [ -t 0 ]; then echo tty >> %s; fi; cat >> %s\n"
                              "ls /proc/self/fd | wc -l > %s.fds\n"
                              "echo '{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\",\"status\":"
                              "{\"token\":\"tok-1\",\"expirationTimestamp\":\"2030-01-02T03:04:05Z\"}}'",
                              seen, seen, seen, seen, seen);
    char *p = plugin("token", body);
    char *args[] = {"--cluster", "prod one"};
    char *env[] = {"REGION=eu-west-1", "HOME=/nowhere"};
    mg_exec_config cfg = config(p, "IfAvailable");
    cfg.args = args;
    cfg.nargs = 2;
    cfg.env = env;
    cfg.nenv = 2;
    cfg.cluster_json = "{\"server\":\"https://h:1\"}";
    setenv("KUBERNETES_EXEC_INFO", "stale", 1); /* replaced, not passed on */
    mg_exec_credential cred;
    mg_error e;
    assert_int_equal(mg_exec_credential_get(&cfg, &cred, &e), 0);
    unsetenv("KUBERNETES_EXEC_INFO");
    assert_string_equal(cred.token, "tok-1");
    assert_null(cred.cert_pem);
    int64_t want;
    assert_int_equal(mg_clock_parse_rfc3339("2030-01-02T03:04:05Z", &want), 0);
    assert_int_equal(cred.expires_ms, want);
    mg_exec_credential_free(&cred);
    FILE *f = fopen(seen, "r");
    char line[256] = "";
    assert_non_null(fgets(line, sizeof line, f));
    bool tty = isatty(0) == 1; /* under make test it is not: the plugin then gets /dev/null */
    if (!tty) assert_null(fgets(line + strlen(line), (int)(sizeof line - strlen(line)), f));
    fclose(f);
    assert_string_equal(line, "--cluster|prod one|eu-west-1|/nowhere\n");
    /* descriptors: 0-2, and the one ls reads /proc/self/fd through; ours (this one) do not reach it */
    char *fds_path = mg_xasprintf("%s.fds", seen);
    FILE *open_here = fopen(seen, "r"); /* an open descriptor of ours while it runs */
    assert_non_null(open_here);
    assert_int_equal(mg_exec_credential_get(&cfg, &cred, &e), 0);
    mg_exec_credential_free(&cred);
    fclose(open_here);
    FILE *ff = fopen(fds_path, "r");
    int nfds = 0;
    assert_int_equal(fscanf(ff, "%d", &nfds), 1);
    fclose(ff);
    assert_int_equal(nfds, 4);
    free(fds_path);
    char *info_path = mg_xasprintf("%s.info", seen);
    json_t *info = json_load_file(info_path, 0, NULL);
    assert_non_null(info);
    assert_string_equal(json_string_value(json_object_get(info, "apiVersion")), V1);
    assert_string_equal(json_string_value(json_object_get(info, "kind")), "ExecCredential");
    json_t *spec = json_object_get(info, "spec");
    assert_true(json_is_boolean(json_object_get(spec, "interactive")) &&
                json_is_true(json_object_get(spec, "interactive")) == tty);
    assert_string_equal(json_string_value(json_object_get(json_object_get(spec, "cluster"), "server")),
                        "https://h:1");
    json_decref(info);
    free(info_path);
    free(p);
    free(body);
    free(seen);
}

/* A client certificate and key instead of a token; no expiry: valid until a 401. */
static void test_exec_certificate(void **state) {
    (void)state;
    char *p = plugin(
        "cert", "printf '%s\\n' '{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\",\"status\":"
                "{\"clientCertificateData\":\"-----BEGIN CERTIFICATE-----\\nQ\\n-----END "
                "CERTIFICATE-----\\n\",\"clientKeyData\":\"-----BEGIN EC PRIVATE KEY-----\\nK\\n-----END "
                "EC PRIVATE KEY-----\\n\"}}'");
    mg_exec_config cfg = config(p, "Never");
    mg_exec_credential cred;
    mg_error e;
    assert_int_equal(mg_exec_credential_get(&cfg, &cred, &e), 0);
    assert_null(cred.token);
    assert_non_null(strstr(cred.cert_pem, "BEGIN CERTIFICATE"));
    assert_int_equal(cred.cert_len, strlen(cred.cert_pem));
    assert_non_null(strstr(cred.key_pem, "PRIVATE KEY"));
    assert_int_equal(cred.expires_ms, 0);
    mg_exec_credential_free(&cred);
    free(p);
}

/* Every way a plugin can fail says so, naming the command. */
static void test_exec_failures(void **state) {
    (void)state;
    expect_refused("echo 'no creds' >&2; exit 3", MG_EIO, "failed with exit code 3");
    expect_refused("kill -9 $$", MG_EIO, "killed by signal 9");
    expect_refused("echo not json", MG_EINVAL, "its output is not JSON");
    expect_refused("echo '{\"kind\":\"Pod\"}'", MG_EINVAL, "its output is not an ExecCredential");
    expect_refused(
        "echo '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\","
        "\"status\":{\"token\":\"t\"}}'",
        MG_EINVAL,
        "it answered apiVersion client.authentication.k8s.io/v1beta1, the kubeconfig asks for " V1);
    expect_refused("echo '{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\"}'", MG_EINVAL,
                   "has no status");
    expect_refused("echo '{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\",\"status\":{}}'", MG_EINVAL,
                   "neither a token nor a client certificate and key");
    expect_refused("echo '{\"apiVersion\":\"" V1
                   "\",\"kind\":\"ExecCredential\",\"status\":{\"clientCertificateData\":\"c\"}}'",
                   MG_EINVAL, "clientCertificateData without clientKeyData");
    expect_refused("echo '{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"t\","
                   "\"expirationTimestamp\":\"tomorrow\"}}'",
                   MG_EINVAL, "expirationTimestamp tomorrow is not an RFC 3339 time");
    expect_refused("echo '{\"apiVersion\":\"" V1 "\",\"kind\":\"ExecCredential\",\"status\":{\"token\":7}}'",
                   MG_EINVAL, "status.token is not a non-empty string");
    expect_refused("head -c 2000000 /dev/zero | tr '\\0' ' '", MG_EINVAL, "output larger than 1048576 bytes");
    /* not found: the install hint follows */
    mg_exec_config cfg = config("modelgov-no-such-plugin", "Never");
    cfg.install_hint = "Install it with: apt-get install no-such-plugin";
    mg_exec_credential cred;
    mg_error e;
    assert_int_equal(mg_exec_credential_get(&cfg, &cred, &e), MG_ENOTFOUND);
    assert_string_equal(e.message,
                        "exec plugin modelgov-no-such-plugin: not found\n\nInstall it with: apt-get "
                        "install no-such-plugin");
    /* a plugin that must talk to the user, without a terminal */
    char *p = plugin("always", "echo should not run > /dev/null");
    cfg = config(p, "Always");
    if (!isatty(0)) {
        assert_int_equal(mg_exec_credential_get(&cfg, &cred, &e), MG_EINVAL);
        assert_non_null(strstr(e.message, "interactiveMode is Always and standard input is not a terminal"));
    }
    free(p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exec_runs_plugin),
        cmocka_unit_test(test_exec_certificate),
        cmocka_unit_test(test_exec_failures),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
