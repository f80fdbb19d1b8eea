/* Unit tests for policy/config: defaults, every key, and errors that name the key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"
#include "core/yaml.h"
#include "policy/config.h"

static int load(const char *yaml, mg_policy_config *cfg, mg_error *err) {
    json_t *doc = NULL;
    int rc = mg_yaml_load(yaml, strlen(yaml), "test.yaml", &doc, err);
    if (rc != 0) return rc;
    rc = mg_policy_config_from_json(doc, "test.yaml", cfg, err);
    json_decref(doc);
    return rc;
}

static void test_defaults(void **state) {
    (void)state;
    mg_policy_config c;
    mg_error e;
    assert_int_equal(load("", &c, &e), 0);
    assert_int_equal(c.mode, MG_POLICY_ENFORCE);
    assert_false(c.require_digest);
    assert_false(c.require_model_deployment);
    assert_int_equal(c.cache_ttl_seconds, 300);
    assert_int_equal(c.model_repositories.len, 0);
    assert_int_equal(c.approved_scan_tools.len, 1);
    assert_string_equal(c.approved_scan_tools.items[0], "kubectl-modelgov");
    for (int k = 0; k < MG_REVIEW_KIND_COUNT; k++)
        assert_int_equal(c.reviewer_groups[k].len, 0);
    /* secure defaults: nobody is the operator, scans and record deletion are nobody's */
    assert_null(c.operator_service_account);
    assert_false(mg_policy_config_is_operator(&c, "admin"));
    assert_int_equal(c.scanner_groups.len, 0);
    assert_int_equal(c.records_admin_groups.len, 0);
    mg_policy_config_free(&c);
    assert_int_equal(load("{}", &c, &e), 0);
    mg_policy_config_free(&c);
}

static const char full[] =
    "modelRepositories: [registry.example.com/models/, 'localhost:5000/m']\n"
    "requireDigest: true\n"
    "mode: audit\n"
    "registries:\n"
    "- host: localhost:5000\n"
    "  plainHTTP: true\n"
    "- {host: registry.example.com, aliases: ['10.0.0.5', registry.internal], caFile: /etc/ca.pem, "
    "credentialsFile: /etc/docker.json}\n"
    "cacheTTLSeconds: 60\n"
    "exemptNamespaces: [kube-system, modelgov-system]\n"
    "exemptServiceAccounts: ['modelgov-system:modelgov-operator', 'ci/deployer']\n"
    "reviewerGroups: {security: sec-team, bias: [ethics, modelgov:reviewers]}\n"
    "requireModelDeployment: true\n"
    "approvedScanTools: [kubectl-modelgov, fairlearn]\n"
    "operatorServiceAccount: modelgov-system/modelgov-operator\n"
    "scannerGroups: [modelgov:scanners]\n"
    "recordsAdminGroups: [compliance]\n";

static void test_full(void **state) {
    (void)state;
    mg_policy_config c;
    mg_error e;
    assert_int_equal(load(full, &c, &e), 0);
    assert_int_equal(c.model_repositories.len, 2);
    assert_string_equal(c.model_repositories.items[1], "localhost:5000/m");
    assert_true(c.require_digest);
    assert_int_equal(c.mode, MG_POLICY_AUDIT);
    assert_int_equal(c.n_registries, 2);
    assert_true(c.registries[0].plain_http);
    assert_null(c.registries[0].ca_file);
    assert_string_equal(c.registries[1].credentials_file, "/etc/docker.json");
    assert_ptr_equal(mg_policy_config_registry(&c, "LOCALHOST:5000"), &c.registries[0]);
    assert_ptr_equal(mg_policy_config_registry(&c, "127.0.0.1:05000"), &c.registries[0]);
    assert_ptr_equal(mg_policy_config_registry(&c, "10.0.0.5"), &c.registries[1]);
    assert_ptr_equal(mg_policy_config_registry(&c, "REGISTRY.internal:443"), &c.registries[1]);
    assert_string_equal(mg_policy_config_registry_host(&c, "10.0.0.5"), "registry.example.com");
    assert_string_equal(mg_policy_config_registry_host(&c, "other.io"), "other.io");
    assert_null(mg_policy_config_registry(&c, "localhost:5001"));
    assert_int_equal(c.cache_ttl_seconds, 60);
    assert_true(mg_strlist_contains(&c.exempt_namespaces, "kube-system"));
    assert_false(mg_strlist_contains(&c.exempt_namespaces, "default"));
    assert_true(mg_policy_config_sa_exempt(&c, "system:serviceaccount:modelgov-system:modelgov-operator"));
    assert_true(mg_policy_config_sa_exempt(&c, "system:serviceaccount:ci:deployer"));
    assert_true(mg_policy_config_sa_exempt(&c, "modelgov-system:modelgov-operator"));
    assert_false(mg_policy_config_sa_exempt(&c, "system:serviceaccount:ci:deployer2"));
    assert_false(mg_policy_config_sa_exempt(&c, "deployer"));
    assert_false(mg_policy_config_sa_exempt(&c, NULL));
    assert_int_equal(c.reviewer_groups[MG_REVIEW_SECURITY].len, 1);
    assert_string_equal(c.reviewer_groups[MG_REVIEW_SECURITY].items[0], "sec-team");
    assert_int_equal(c.reviewer_groups[MG_REVIEW_BIAS].len, 2);
    assert_int_equal(c.reviewer_groups[MG_REVIEW_PERFORMANCE].len, 0);
    assert_true(c.require_model_deployment);
    assert_int_equal(c.approved_scan_tools.len, 2);
    assert_true(mg_policy_config_is_operator(&c, "system:serviceaccount:modelgov-system:modelgov-operator"));
    assert_false(mg_policy_config_is_operator(&c, "system:serviceaccount:modelgov-system:modelgov-webhook"));
    assert_false(
        mg_policy_config_is_operator(&c, "system:serviceaccount:ci:deployer")); /* exempt is not operator */
    assert_false(mg_policy_config_is_operator(&c, ""));
    assert_true(mg_strlist_contains(&c.scanner_groups, "modelgov:scanners"));
    assert_true(mg_strlist_contains(&c.records_admin_groups, "compliance"));
    mg_policy_config_free(&c);
}

typedef struct {
    const char *yaml, *needle;
} bad_case;

static const bad_case bad[] = {
    {"modelRepository: [x]", "modelRepository: unknown key"},
    {"x: 1", "x: unknown key (known: modelRepositories, requireDigest, mode, registries, cacheTTLSeconds, "
             "exemptNamespaces, exemptServiceAccounts, reviewerGroups, requireModelDeployment, "
             "approvedScanTools, operatorServiceAccount, scannerGroups, recordsAdminGroups)"},
    {"requireDigest: yes", "requireDigest: expected a boolean"},
    {"requireDigest: 'true'", "requireDigest: expected a boolean"},
    {"mode: permissive", "mode: expected enforce or audit"},
    {"mode: 1", "mode: expected"},
    {"registries: {host: x}", "registries: expected a list"},
    {"registries: [{host: x, plainHttp: true}]", "registries[0].plainHttp: unknown key"},
    {"registries: [{host: x}, {caFile: /a}]", "registries[1].host: required"},
    {"registries: [{host: x, plainHTTP: 1}]", "registries[0].plainHTTP: expected a boolean"},
    {"registries: [x]", "registries[0]: expected a mapping"},
    {"cacheTTLSeconds: -1", "cacheTTLSeconds"},
    {"cacheTTLSeconds: 604801", "cacheTTLSeconds: expected an integer from 0 to 604800"},
    {"cacheTTLSeconds: 1.5", "cacheTTLSeconds"},
    {"cacheTTLSeconds: '60'", "cacheTTLSeconds"},
    {"exemptNamespaces: kube-system", "exemptNamespaces: expected a list"},
    {"exemptNamespaces: [a, 1]", "exemptNamespaces[1]"},
    {"exemptServiceAccounts: [a, '']", "exemptServiceAccounts[1]"},
    {"reviewerGroups: [a]", "reviewerGroups: expected a mapping"},
    {"reviewerGroups: {style: a}", "reviewerGroups.style: unknown review kind"},
    {"reviewerGroups: {bias: 3}", "reviewerGroups.bias"},
    {"requireModelDeployment: null", "requireModelDeployment: expected a boolean"},
    {"approvedScanTools: {a: b}", "approvedScanTools: expected a list"},
    {"modelRepositories: ['https://r.io/m']", "modelRepositories[0]"},
    {"registries: [{host: 'https://r.io'}]", "registries[0].host: 'https://r.io' is not a registry host"},
    {"registries: [{host: r.io, aliases: r2.io}]", "registries[0].aliases: expected a list"},
    {"registries: [{host: r.io, aliases: ['bad_host']}]", "registries[0].aliases[0]: 'bad_host' is not"},
    {"registries: [{host: r.io}, {host: 'R.IO:443'}]",
     "registries[1].host: 'R.IO:443' is also a name of registry r.io"},
    {"registries: [{host: r.io, aliases: ['10.0.0.5']}, {host: s.io, aliases: ['10.0.0.05']}]",
     "registries[1].aliases[0]: '10.0.0.05' is also a name of registry r.io"},
    {"registries: [{host: r.io, aliases: [a.io, b.io, c.io, d.io, e.io, f.io, g.io, h.io]}]",
     "at most 7 aliases"},
    {"- a\n- b", "must be a mapping"},
    {"operatorServiceAccount: [a]", "operatorServiceAccount: expected a non-empty string"},
    {"operatorServiceAccount: ''", "operatorServiceAccount: expected a non-empty string"},
    {"scannerGroups: scanners", "scannerGroups: expected a list"},
    {"recordsAdminGroups: [1]", "recordsAdminGroups[0]"},
};

static void test_errors(void **state) {
    (void)state;
    int failures = 0;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        mg_policy_config c;
        mg_error e;
        memset(&e, 0, sizeof(e));
        int rc = load(bad[i].yaml, &c, &e);
        if (rc == 0 || !strstr(e.message, bad[i].needle) || !strstr(e.message, "test.yaml")) {
            printf("bad case '%s': rc=%d message=%s\n", bad[i].yaml, rc, e.message);
            failures++;
        }
        if (rc == 0)
            mg_policy_config_free(&c);
        else
            assert_null(c.approved_scan_tools.items); /* nothing leaks, nothing dangles */
    }
    assert_int_equal(failures, 0);
}

static void test_file(void **state) {
    (void)state;
    char path[] = "/tmp/mg-policy-config-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, full, sizeof(full) - 1), (ssize_t)(sizeof(full) - 1));
    close(fd);
    mg_policy_config c;
    mg_error e;
    assert_int_equal(mg_policy_config_load_file(path, &c, &e), 0);
    assert_int_equal(c.mode, MG_POLICY_AUDIT);
    mg_policy_config_free(&c);
    unlink(path);
    assert_int_not_equal(mg_policy_config_load_file(path, &c, &e), 0);
    assert_non_null(strstr(e.message, path));
    mg_policy_config_free(&c);
}

int main(void) {
    mg_mem_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
