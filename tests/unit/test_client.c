/* Tests for k8s/client and k8s/linesplit. Pure parts (Status → error, paths, the line framer)
 * are tested directly; the rest talks HTTPS to tests/support/responder.py, started once for
 * the group (127.0.0.1, port chosen by the OS), whose request log is asserted on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/mem.h"
#include "k8s/client.h"
#include "k8s/kubeconfig.h"
#include "k8s/linesplit.h"
#include "responder_support.h"

static const mg_gvr CM = {"", "v1", "configmaps", true};
static const mg_gvr DEPLOY = {"apps", "v1", "deployments", true};
static const mg_gvr NODES = {"", "v1", "nodes", false};

/* ---------------------------------------------------------------- pure parts */

static void test_status_to_error(void **state) {
    (void)state;
    mg_error e;
    const char *nf = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
                     "\"message\":\"configmaps \\\"x\\\" not found\",\"reason\":\"NotFound\","
                     "\"details\":{\"name\":\"x\",\"kind\":\"configmaps\"},\"code\":404}";
    assert_int_equal(mg_k8s_status_to_error(404, nf, strlen(nf), -1, &e), MG_ENOTFOUND);
    assert_int_equal(e.code, MG_ENOTFOUND);
    assert_int_equal(e.http_status, 404);
    assert_false(e.retryable);
    assert_string_equal(e.reason, "NotFound");
    assert_string_equal(e.message, "configmaps \"x\" not found");

    const char *ae = "{\"kind\":\"Status\",\"reason\":\"AlreadyExists\",\"message\":\"configmaps \\\"a\\\" "
                     "already exists\",\"code\":409}";
    assert_int_equal(mg_k8s_status_to_error(409, ae, strlen(ae), -1, &e), MG_ECONFLICT);
    assert_string_equal(e.reason, "AlreadyExists");
    assert_false(e.retryable);

    const char *gone =
        "{\"kind\":\"Status\",\"reason\":\"Expired\",\"message\":\"too old resource version: 1 "
        "(5)\",\"code\":410}";
    assert_int_equal(mg_k8s_status_to_error(410, gone, strlen(gone), -1, &e), MG_EGONE);
    assert_string_equal(e.reason, "Expired");
    assert_string_equal(e.message, "too old resource version: 1 (5)");

    const char *inv = "{\"kind\":\"Status\",\"reason\":\"Invalid\",\"message\":\"ConfigMap \\\"B\\\" is "
                      "invalid: metadata.name: Invalid value: \\\"B\\\"\",\"code\":422}";
    assert_int_equal(mg_k8s_status_to_error(422, inv, strlen(inv), -1, &e), MG_EHTTP);
    assert_string_equal(e.reason, "Invalid");
    assert_string_equal(e.message, "ConfigMap \"B\" is invalid: metadata.name: Invalid value: \"B\"");
    assert_false(e.retryable);

    const char *unauth = "{\"kind\":\"Status\",\"status\":\"Failure\",\"message\":\"Unauthorized\","
                         "\"reason\":\"Unauthorized\",\"code\":401}";
    assert_int_equal(mg_k8s_status_to_error(401, unauth, strlen(unauth), -1, &e), MG_EHTTP);
    assert_string_equal(e.reason, "Unauthorized");
    assert_false(e.retryable);

    const char *forb = "{\"kind\":\"Status\",\"message\":\"configmaps is forbidden: User \\\"bob\\\" cannot "
                       "list resource \\\"configmaps\\\"\",\"reason\":\"Forbidden\",\"code\":403}";
    assert_int_equal(mg_k8s_status_to_error(403, forb, strlen(forb), -1, &e), MG_EHTTP);
    assert_string_equal(e.reason, "Forbidden");
    assert_non_null(strstr(e.message, "User \"bob\" cannot list"));

    const char *tmr = "{\"kind\":\"Status\",\"reason\":\"TooManyRequests\",\"message\":\"slow down\","
                      "\"details\":{\"retryAfterSeconds\":7},\"code\":429}";
    assert_int_equal(mg_k8s_status_to_error(429, tmr, strlen(tmr), 3, &e), MG_EHTTP);
    assert_true(e.retryable);
    assert_int_equal(e.retry_after_ms, 3000); /* the header wins */
    assert_int_equal(mg_k8s_status_to_error(429, tmr, strlen(tmr), -1, &e), MG_EHTTP);
    assert_int_equal(e.retry_after_ms, 7000); /* else the Status details */

    assert_int_equal(
        mg_k8s_status_to_error(500, "{\"kind\":\"Status\",\"message\":\"etcd down\"}", 39, -1, &e), MG_EHTTP);
    assert_true(e.retryable);
    assert_string_equal(e.reason, "InternalError");
    assert_string_equal(e.message, "etcd down");

    const char *html = "<html>\n<body>502 Bad Gateway</body></html>";
    assert_int_equal(mg_k8s_status_to_error(502, html, strlen(html), -1, &e), MG_EHTTP);
    assert_true(e.retryable);
    assert_string_equal(e.message, "HTTP 502: <html> <body>502 Bad Gateway</body></html>");

    assert_int_equal(mg_k8s_status_to_error(503, NULL, 0, -1, &e), MG_EHTTP);
    assert_true(e.retryable);
    assert_string_equal(e.reason, "ServiceUnavailable");
    assert_string_equal(e.message, "HTTP 503 ServiceUnavailable");

    assert_int_equal(mg_k8s_status_to_error(400, "[1,2]", 5, 9, &e), MG_EHTTP);
    assert_false(e.retryable);
    assert_int_equal(e.retry_after_ms, 0);
    assert_string_equal(e.reason, "BadRequest");
    assert_int_equal(mg_k8s_status_to_error(418, "not json", 8, -1, NULL), MG_EHTTP);
}

static void test_paths(void **state) {
    (void)state;
    char *p = mg_k8s_path(&CM, "default", "x", NULL);
    assert_string_equal(p, "/api/v1/namespaces/default/configmaps/x");
    free(p);
    p = mg_k8s_path(&CM, NULL, NULL, NULL);
    assert_string_equal(p, "/api/v1/configmaps");
    free(p);
    p = mg_k8s_path(&DEPLOY, "team a", "web/../x?y#z%", "scale");
    assert_string_equal(p, "/apis/apps/v1/namespaces/team%20a/deployments/web%2F..%2Fx%3Fy%23z%25/scale");
    free(p);
    p = mg_k8s_path(&NODES, "ignored", "n1", "status");
    assert_string_equal(p, "/api/v1/nodes/n1/status");
    free(p);
    mg_gvr crd = {"mlops.example.io", "v1alpha1", "modeldeployments", true};
    p = mg_k8s_path(&crd, "ns", "m.é", NULL);
    assert_string_equal(p, "/apis/mlops.example.io/v1alpha1/namespaces/ns/modeldeployments/m.%C3%A9");
    free(p);
}

typedef struct lines {
    char *all[64];
    int n;
    int stop_after; /* return 1 after this many lines (0: never) */
} lines;

static int collect(const char *line, size_t len, void *ud) {
    lines *l = ud;
    assert_int_equal(strlen(line), len);
    if (l->n < 64) l->all[l->n++] = mg_xstrndup(line, len);
    return (l->stop_after && l->n >= l->stop_after) ? 1 : 0;
}

static void lines_free(lines *l) {
    for (int i = 0; i < l->n; i++)
        free(l->all[i]);
    l->n = 0;
}

static void test_linesplit(void **state) {
    (void)state;
    const char *stream =
        "{\"type\":\"ADDED\"}\n{\"type\":\"MODIFIED\",\"x\":\"a\\nb\"}\r\n\n{\"type\":\"DELETED\"}\n";
    size_t n = strlen(stream);
    /* every split into three pieces gives the same lines */
    for (size_t i = 0; i <= n; i++) {
        for (size_t j = i; j <= n; j++) {
            mg_linesplit ls;
            mg_linesplit_init(&ls, 100);
            lines l = {0};
            assert_int_equal(mg_linesplit_feed(&ls, stream, i, collect, &l), 0);
            assert_int_equal(mg_linesplit_feed(&ls, stream + i, j - i, collect, &l), 0);
            assert_int_equal(mg_linesplit_feed(&ls, stream + j, n - j, collect, &l), 0);
            assert_int_equal(l.n, 3);
            assert_string_equal(l.all[0], "{\"type\":\"ADDED\"}");
            assert_string_equal(l.all[1], "{\"type\":\"MODIFIED\",\"x\":\"a\\nb\"}");
            assert_string_equal(l.all[2], "{\"type\":\"DELETED\"}");
            assert_int_equal(mg_linesplit_pending(&ls), 0);
            lines_free(&l);
            mg_linesplit_free(&ls);
        }
    }
    /* byte by byte, and a pending tail */
    mg_linesplit ls;
    mg_linesplit_init(&ls, 100);
    lines l = {0};
    for (size_t i = 0; i < n; i++)
        assert_int_equal(mg_linesplit_feed(&ls, stream + i, 1, collect, &l), 0);
    assert_int_equal(l.n, 3);
    assert_int_equal(mg_linesplit_feed(&ls, "{\"partial", 9, collect, &l), 0);
    assert_int_equal(mg_linesplit_pending(&ls), 9);
    lines_free(&l);
    mg_linesplit_free(&ls);

    /* over-long lines: complete, pending across chunks, and exactly at the cap */
    mg_linesplit_init(&ls, 10);
    assert_int_equal(mg_linesplit_feed(&ls, "0123456789\n", 11, collect, &l), 0);
    assert_int_equal(l.n, 1);
    assert_int_equal(mg_linesplit_feed(&ls, "0123456789A\n", 12, collect, &l), MG_ETOOBIG);
    mg_linesplit_reset(&ls);
    assert_int_equal(mg_linesplit_feed(&ls, "012345", 6, collect, &l), 0);
    assert_int_equal(mg_linesplit_feed(&ls, "6789AB", 6, collect, &l), MG_ETOOBIG);
    mg_linesplit_reset(&ls);
    assert_int_equal(mg_linesplit_feed(&ls, "ok\n0123456789ABC", 16, collect, &l), MG_ETOOBIG);
    mg_linesplit_reset(&ls);
    /* the callback's non-zero value stops the feed */
    lines_free(&l);
    l.stop_after = 1;
    assert_int_equal(mg_linesplit_feed(&ls, "a\nb\nc\n", 6, collect, &l), 1);
    assert_int_equal(l.n, 1);
    lines_free(&l);
    mg_linesplit_free(&ls);
}

/* ---------------------------------------------------------------- responder */

static rs_responder R;

/* Installs a new script and empties the request log. */
static void script(const char *json) {
    json_error_t je;
    json_t *check = json_loads(json, 0, &je);
    if (!check) fail_msg("bad test script: %s", je.text);
    json_decref(check);
    rs_script_text(&R, json);
}

/* The request log as a JSON array. */
static json_t *requests(void) { return rs_requests(&R, true); }

static int group_setup(void **state) {
    (void)state;
    return rs_start(&R, "/tmp/mg-client-XXXXXX", "api.test");
}

static int group_teardown(void **state) {
    (void)state;
    return rs_stop(&R);
}

/* A client for the responder with CA + static token. */
static mg_client *new_client(const char *token, const char *token_file) {
    mg_rest_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.server = mg_xasprintf("https://127.0.0.1:%d", R.port);
    cfg.ca_pem = R.ca;
    cfg.ca_pem_len = R.ca_len;
    cfg.token = (char *)token;
    cfg.token_file = (char *)token_file;
    mg_client *c = NULL;
    mg_error e;
    assert_int_equal(mg_client_new(&cfg, &c, &e), 0);
    free(cfg.server);
    return c;
}

static void test_get_headers_and_reuse(void **state) {
    (void)state;
    script("[{\"method\":\"GET\",\"path\":\"/api/v1/namespaces/default/configmaps/x\","
           "\"body\":{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\",\"resourceVersion\":\"7\"}}}]");
    mg_client *c = new_client("sekret", NULL);
    mg_error e;
    for (int i = 0; i < 5; i++) {
        json_t *obj = NULL;
        assert_int_equal(mg_k8s_get(c, &CM, "default", "x", NULL, &obj, &e), 0);
        assert_string_equal(json_string_value(json_object_get(json_object_get(obj, "metadata"), "name")),
                            "x");
        json_decref(obj);
    }
    json_t *reqs = requests();
    assert_int_equal(json_array_size(reqs), 5);
    assert_string_equal(rs_req_header(reqs, 0, "authorization"), "Bearer sekret");
    assert_string_equal(rs_req_header(reqs, 0, "accept"), "application/json");
    /* "modelgov/VERSION" (the library object may carry an older VERSION than this test) */
    const char *ua = rs_req_header(reqs, 0, "user-agent");
    assert_non_null(ua);
    assert_int_equal(strncmp(ua, "modelgov/", 9), 0);
    assert_true(strlen(ua) > 9 && !strchr(ua, ' '));
    /* keep-alive: every request came over the first connection */
    json_int_t conn0 = json_integer_value(json_object_get(json_array_get(reqs, 0), "conn"));
    for (size_t i = 1; i < 5; i++)
        assert_int_equal(json_integer_value(json_object_get(json_array_get(reqs, i), "conn")), conn0);
    json_decref(reqs);
    mg_client_free(c);
}

static void test_encoding_on_the_wire(void **state) {
    (void)state;
    script("[{\"path\":\"/\",\"body\":{\"kind\":\"List\",\"items\":[]}}]");
    mg_client *c = new_client(NULL, NULL);
    mg_error e;
    json_t *obj = NULL;
    assert_int_equal(mg_k8s_get(c, &CM, "team a", "we/ird?x=1#&%", NULL, &obj, &e), 0);
    json_decref(obj);
    mg_list_opts lo = {.label_selector = "app in (a,b),tier!=db",
                       .field_selector = "metadata.name=x&y",
                       .limit = 50,
                       .continue_token = "eyJ2Ijo+/=",
                       .resource_version = "0"};
    assert_int_equal(mg_k8s_list(c, &DEPLOY, "prod", &lo, &obj, &e), 0);
    json_decref(obj);
    assert_int_equal(mg_k8s_list(c, &NODES, NULL, NULL, &obj, &e), 0);
    json_decref(obj);
    json_t *reqs = requests();
    assert_string_equal(rs_req_str(reqs, 0, "path"),
                        "/api/v1/namespaces/team%20a/configmaps/we%2Fird%3Fx%3D1%23%26%25");
    assert_string_equal(
        rs_req_str(reqs, 1, "path"),
        "/apis/apps/v1/namespaces/prod/deployments?labelSelector=app%20in%20%28a%2Cb%29%2Ctier%21%3Ddb"
        "&fieldSelector=metadata.name%3Dx%26y&limit=50&continue=eyJ2Ijo%2B%2F%3D&resourceVersion=0");
    assert_string_equal(rs_req_str(reqs, 2, "path"), "/api/v1/nodes");
    assert_null(rs_req_header(reqs, 0, "authorization"));
    json_decref(reqs);
    mg_client_free(c);
}

static void test_writes(void **state) {
    (void)state;
    script("[{\"path\":\"/\",\"body\":{\"kind\":\"Thing\"}}]");
    mg_client *c = new_client("t", NULL);
    mg_error e;
    json_t *obj = json_pack("{s:s,s:s,s:{s:s,s:s,s:s}}", "apiVersion", "apps/v1", "kind", "Deployment",
                            "metadata", "name", "web", "namespace", "prod", "resourceVersion", "12");
    json_t *out = NULL;
    assert_int_equal(mg_k8s_create(c, &DEPLOY, NULL, obj, &out, &e), 0);
    json_decref(out);
    assert_int_equal(mg_k8s_update(c, &DEPLOY, NULL, NULL, NULL, obj, &out, &e), 0);
    json_decref(out);
    assert_int_equal(mg_k8s_update(c, &DEPLOY, "prod", "web", "status", obj, &out, &e), 0);
    json_decref(out);
    json_t *scale = json_pack("{s:{s:i}}", "spec", "replicas", 3);
    assert_int_equal(mg_k8s_update(c, &DEPLOY, "prod", "web", "scale", scale, &out, &e), 0);
    json_decref(out);
    json_t *mp = json_pack("{s:{s:{s:n}}}", "metadata", "labels", "gone");
    assert_int_equal(mg_k8s_merge_patch(c, &DEPLOY, "prod", "web", NULL, mp, &out, &e), 0);
    json_decref(out);
    json_t *jp = json_pack("[{s:s,s:s,s:i}]", "op", "replace", "path", "/spec/replicas", "value", 2);
    assert_int_equal(mg_k8s_merge_patch(c, &DEPLOY, "prod", "web", NULL, jp, &out, &e), MG_EINVAL);
    assert_int_equal(mg_k8s_delete(c, &DEPLOY, "prod", "web", "Foreground", &e), 0);
    assert_int_equal(mg_k8s_delete(c, &DEPLOY, "prod", "web", NULL, &e), 0);
    assert_int_equal(mg_k8s_request(c, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                                    "application/json", "{}", 2, &out, &e),
                     0);
    json_decref(out);
    json_t *reqs = requests();
    assert_int_equal(json_array_size(reqs), 8); /* the rejected merge patch was never sent */
    const char *base = "/apis/apps/v1/namespaces/prod/deployments";
    struct {
        const char *method, *suffix, *ct;
    } want[] = {
        {"POST", "", "application/json"},
        {"PUT", "/web", "application/json"},
        {"PUT", "/web/status", "application/json"},
        {"PUT", "/web/scale", "application/json"},
        {"PATCH", "/web", "application/merge-patch+json"},
        {"DELETE", "/web", "application/json"},
        {"DELETE", "/web", NULL},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        char *p = mg_xasprintf("%s%s", base, want[i].suffix);
        assert_string_equal(rs_req_str(reqs, i, "method"), want[i].method);
        assert_string_equal(rs_req_str(reqs, i, "path"), p);
        if (want[i].ct)
            assert_string_equal(rs_req_header(reqs, i, "content-type"), want[i].ct);
        else
            assert_null(rs_req_header(reqs, i, "content-type"));
        free(p);
    }
    json_t *b = json_loads(rs_req_str(reqs, 0, "body"), 0, NULL);
    assert_true(json_equal(b, obj));
    json_decref(b);
    b = json_loads(rs_req_str(reqs, 4, "body"), 0, NULL);
    assert_true(json_equal(b, mp));
    json_decref(b);
    b = json_loads(rs_req_str(reqs, 5, "body"), 0, NULL);
    assert_string_equal(json_string_value(json_object_get(b, "propagationPolicy")), "Foreground");
    assert_string_equal(json_string_value(json_object_get(b, "kind")), "DeleteOptions");
    json_decref(b);
    assert_string_equal(rs_req_str(reqs, 6, "body"), "");
    assert_string_equal(rs_req_str(reqs, 7, "method"), "POST");
    json_decref(reqs);
    json_decref(obj);
    json_decref(scale);
    json_decref(mp);
    json_decref(jp);
    mg_client_free(c);
}

static void test_error_answers(void **state) {
    (void)state;
    script("["
           "{\"path\":\"/api/v1/namespaces/d/configmaps/nf\",\"status\":404,\"body\":{\"kind\":\"Status\","
           "\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\"configmaps \\\"nf\\\" not found\","
           "\"reason\":\"NotFound\",\"code\":404}},"
           "{\"path\":\"/api/v1/namespaces/d/configmaps/"
           "busy\",\"status\":429,\"headers\":{\"Retry-After\":\"3\"},"
           "\"body\":{\"kind\":\"Status\",\"reason\":\"TooManyRequests\",\"message\":\"too many requests\"}},"
           "{\"path\":\"/api/v1/namespaces/d/configmaps/proxy\",\"status\":502,\"headers\":{\"Content-Type\":"
           "\"text/html\"},\"body\":\"<h1>Bad Gateway</h1>\"},"
           "{\"path\":\"/api/v1/namespaces/d/configmaps/unavail\",\"status\":503,\"body\":\"\"},"
           "{\"path\":\"/api/v1/namespaces/d/configmaps/old\",\"status\":410,\"body\":{\"kind\":\"Status\","
           "\"reason\":\"Expired\",\"message\":\"too old resource version\"}},"
           "{\"path\":\"/api/v1/namespaces/d/configmaps/c\",\"method\":\"PUT\",\"status\":409,\"body\":"
           "{\"kind\":\"Status\",\"reason\":\"Conflict\",\"message\":\"the object has been modified; please "
           "apply "
           "your changes to the latest version and try again\"}},"
           "{\"path\":\"/api/v1/namespaces/d/configmaps/garbage\",\"body\":\"{not json\"},"
           "{\"path\":\"/api/v1/namespaces/d/configmaps/who\",\"status\":401,\"body\":{\"kind\":\"Status\","
           "\"reason\":\"Unauthorized\",\"message\":\"Unauthorized\"}}"
           "]");
    mg_client *c = new_client("t", NULL);
    mg_error e;
    json_t *out = (json_t *)1;
    assert_int_equal(mg_k8s_get(c, &CM, "d", "nf", NULL, &out, &e), MG_ENOTFOUND);
    assert_null(out);
    assert_int_equal(e.http_status, 404);
    assert_string_equal(e.reason, "NotFound");
    assert_string_equal(e.message, "configmaps \"nf\" not found");
    assert_false(e.retryable);
    assert_int_equal(mg_k8s_get(c, &CM, "d", "busy", NULL, &out, &e), MG_EHTTP);
    assert_int_equal(e.http_status, 429);
    assert_true(e.retryable);
    assert_int_equal(e.retry_after_ms, 3000);
    assert_string_equal(e.message, "too many requests");
    assert_int_equal(mg_k8s_get(c, &CM, "d", "proxy", NULL, &out, &e), MG_EHTTP);
    assert_true(e.retryable);
    assert_string_equal(e.message, "HTTP 502: <h1>Bad Gateway</h1>");
    assert_int_equal(mg_k8s_get(c, &CM, "d", "unavail", NULL, &out, &e), MG_EHTTP);
    assert_int_equal(e.http_status, 503);
    assert_true(e.retryable);
    assert_int_equal(mg_k8s_get(c, &CM, "d", "old", NULL, &out, &e), MG_EGONE);
    assert_string_equal(e.reason, "Expired");
    json_t *obj = json_pack("{s:{s:s}}", "metadata", "name", "c");
    assert_int_equal(mg_k8s_update(c, &CM, "d", NULL, NULL, obj, &out, &e), MG_ECONFLICT);
    assert_int_equal(e.http_status, 409);
    assert_non_null(strstr(e.message, "the object has been modified"));
    json_decref(obj);
    assert_int_equal(mg_k8s_get(c, &CM, "d", "garbage", NULL, &out, &e), MG_EPARSE);
    assert_null(out);
    assert_int_equal(mg_k8s_get(c, &CM, "d", "who", NULL, &out, &e), MG_EHTTP);
    assert_int_equal(e.http_status, 401);
    assert_false(e.retryable);
    /* Unmatched paths get the responder's own 404 Status. */
    assert_int_equal(mg_k8s_get(c, &CM, "d", "other", NULL, &out, &e), MG_ENOTFOUND);
    assert_non_null(strstr(e.message, "responder: no rule"));
    mg_client_free(c);
}

static void test_response_cap(void **state) {
    (void)state;
    script("[{\"path\":\"/api/v1/namespaces/d/configmaps/big\",\"body\":\"x\",\"repeat\":100000},"
           "{\"path\":\"/api/v1/namespaces/d/configmaps/small\",\"body\":{\"a\":1}}]");
    mg_client *c = new_client(NULL, NULL);
    mg_client_set_max_response(c, 1000);
    mg_error e;
    json_t *out = NULL;
    assert_int_equal(mg_k8s_get(c, &CM, "d", "big", NULL, &out, &e), MG_ETOOBIG);
    assert_null(out);
    assert_non_null(strstr(e.message, "larger than 1000 bytes"));
    assert_int_equal(mg_k8s_get(c, &CM, "d", "small", NULL, &out, &e), 0);
    json_decref(out);
    mg_client_free(c);
}

static void test_token_file_rotation(void **state) {
    (void)state;
    script("[{\"path\":\"/\",\"body\":{}}]");
    char *tf = mg_xasprintf("%s/token", R.dir);
    rs_write_text(tf, "first-token\n");
    mg_client *c = new_client("static-token", tf);
    mg_error e;
    json_t *out;
    assert_int_equal(mg_k8s_get(c, &CM, "d", "a", NULL, &out, &e), 0);
    json_decref(out);
    assert_int_equal(mg_k8s_get(c, &CM, "d", "a", NULL, &out, &e), 0);
    json_decref(out);
    rs_write_text(tf, "second-token-which-is-longer\n"); /* rename: new inode, as kubelet's ..data swap */
    assert_int_equal(mg_k8s_get(c, &CM, "d", "a", NULL, &out, &e), 0);
    json_decref(out);
    /* same size, rewritten in place */
    FILE *f = fopen(tf, "r+");
    fputs("third--token-which-is-longer\n", f);
    fclose(f);
    struct timespec ts[2] = {{0, UTIME_NOW}, {0, 0}};
    clock_gettime(CLOCK_REALTIME, &ts[1]);
    ts[1].tv_sec += 5; /* a coarse clock must not hide the change */
    utimensat(AT_FDCWD, tf, ts, 0);
    assert_int_equal(mg_k8s_get(c, &CM, "d", "a", NULL, &out, &e), 0);
    json_decref(out);
    /* unreadable file: the last good token stays */
    unlink(tf);
    assert_int_equal(mg_k8s_get(c, &CM, "d", "a", NULL, &out, &e), 0);
    json_decref(out);
    json_t *reqs = requests();
    assert_int_equal(json_array_size(reqs), 5);
    assert_string_equal(rs_req_header(reqs, 0, "authorization"), "Bearer first-token");
    assert_string_equal(rs_req_header(reqs, 1, "authorization"), "Bearer first-token");
    assert_string_equal(rs_req_header(reqs, 2, "authorization"), "Bearer second-token-which-is-longer");
    assert_string_equal(rs_req_header(reqs, 3, "authorization"), "Bearer third--token-which-is-longer");
    assert_string_equal(rs_req_header(reqs, 4, "authorization"), "Bearer third--token-which-is-longer");
    json_decref(reqs);
    mg_client_free(c);
    free(tf);
}

static char *b64_file(const char *name) {
    char *p = mg_xasprintf("%s/%s", R.dir, name);
    size_t n;
    char *raw = rs_slurp(p, &n);
    free(p);
    assert_non_null(raw);
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *o = mg_xmalloc(n / 3 * 4 + 5);
    size_t j = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)raw[i] << 16;
        if (i + 1 < n) v |= (unsigned char)raw[i + 1] << 8;
        if (i + 2 < n) v |= (unsigned char)raw[i + 2];
        o[j++] = tbl[(v >> 18) & 63];
        o[j++] = tbl[(v >> 12) & 63];
        o[j++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
        o[j++] = i + 2 < n ? tbl[v & 63] : '=';
    }
    o[j] = '\0';
    free(raw);
    return o;
}

/* Loads a kubeconfig with everything inline and checks the server saw the client certificate. */
static void test_kubeconfig_inline_client_cert(void **state) {
    (void)state;
    script("[{\"path\":\"/\",\"body\":{}}]");
    char *ca = b64_file("ca.crt"), *cert = b64_file("client.crt"), *key = b64_file("client.key");
    char *kc =
        mg_xasprintf("apiVersion: v1\nkind: Config\ncurrent-context: alice\nclusters:\n- name: r\n"
                     "  cluster:\n    server: https://127.0.0.1:%d\n    certificate-authority-data: %s\n"
                     "- name: r-sni\n  cluster:\n    server: https://127.0.0.1:%d\n"
                     "    certificate-authority-data: %s\n    tls-server-name: api.test\n"
                     "- name: r-badname\n  cluster:\n    server: https://127.0.0.1:%d\n"
                     "    certificate-authority-data: %s\n    tls-server-name: other.test\n"
                     "- name: r-noca\n  cluster:\n    server: https://127.0.0.1:%d\n"
                     "- name: r-insecure\n  cluster:\n    server: https://127.0.0.1:%d\n"
                     "    insecure-skip-tls-verify: true\n"
                     "contexts:\n- name: alice\n  context: {cluster: r, user: alice}\n"
                     "- name: sni\n  context: {cluster: r-sni, user: alice}\n"
                     "- name: badname\n  context: {cluster: r-badname, user: alice}\n"
                     "- name: noca\n  context: {cluster: r-noca, user: alice}\n"
                     "- name: insecure\n  context: {cluster: r-insecure}\n"
                     "users:\n- name: alice\n  user:\n    client-certificate-data: %s\n"
                     "    client-key-data: %s\n",
                     R.port, ca, R.port, ca, R.port, ca, R.port, R.port, cert, key);
    char *kcpath = mg_xasprintf("%s/kubeconfig", R.dir);
    rs_write_text(kcpath, kc);
    const char *ctxs[] = {"alice", "sni", "badname", "noca", "insecure"};
    int want[] = {0, 0, MG_ETLS, MG_ETLS, 0};
    for (size_t i = 0; i < 5; i++) {
        mg_rest_config cfg;
        mg_error e;
        if (mg_kubeconfig_load(kcpath, ctxs[i], &cfg, &e)) fail_msg("%s", e.message);
        mg_client *c = NULL;
        assert_int_equal(mg_client_new(&cfg, &c, &e), 0);
        json_t *out = NULL;
        int rc = mg_k8s_get(c, &CM, "d", ctxs[i], NULL, &out, &e);
        if (rc != want[i]) fail_msg("context %s: rc %d (%s), want %d", ctxs[i], rc, e.message, want[i]);
        if (rc) assert_false(e.retryable);
        json_decref(out);
        mg_client_free(c);
        mg_rest_config_free(&cfg);
    }
    json_t *reqs = requests();
    assert_int_equal(json_array_size(reqs), 3); /* the TLS failures never reached HTTP */
    assert_string_equal(rs_req_str(reqs, 0, "client_cn"), "alice");
    assert_string_equal(rs_req_str(reqs, 1, "client_cn"), "alice");
    assert_non_null(strstr(rs_req_header(reqs, 1, "host"), "api.test"));
    assert_null(json_string_value(json_object_get(json_array_get(reqs, 2), "client_cn")));
    json_decref(reqs);
    free(kcpath);
    free(kc);
    free(ca);
    free(cert);
    free(key);
}

/* In-cluster: service-account files laid out as the kubelet does (token -> ..data/token, and
 * ..data a symlink swapped atomically on rotation); the next request carries the new token. */
static void test_incluster_token_rotation(void **state) {
    (void)state;
    script("[{\"path\":\"/\",\"body\":{}}]");
    char *sa = mg_xasprintf("%s/sa", R.dir);
    char *cmd =
        mg_xasprintf("set -e; mkdir -p '%s/..v1'; cd '%s'; printf 'sa-token-1\\n' > ..v1/token; "
                     "cp ../ca.crt ..v1/ca.crt; printf 'ns1' > ..v1/namespace; ln -s ..v1 ..data; "
                     "ln -s ..data/token token; ln -s ..data/ca.crt ca.crt; ln -s ..data/namespace namespace",
                     sa, sa);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    char port[16];
    snprintf(port, sizeof(port), "%d", R.port);
    setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", port, 1);
    mg_rest_config cfg;
    mg_error e;
    assert_int_equal(mg_incluster_load(sa, &cfg, &e), 0);
    assert_string_equal(cfg.namespace, "ns1");
    mg_client *c;
    assert_int_equal(mg_client_new(&cfg, &c, &e), 0);
    json_t *out;
    assert_int_equal(mg_k8s_get(c, &CM, cfg.namespace, "a", NULL, &out, &e), 0);
    json_decref(out);
    cmd = mg_xasprintf(
        "set -e; cd '%s'; mkdir ..v2; printf 'sa-token-2\\n' > ..v2/token; cp ..v1/ca.crt ..v2/; "
        "ln -s ..v2 ..data_tmp; mv -T ..data_tmp ..data",
        sa);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    assert_int_equal(mg_k8s_get(c, &CM, cfg.namespace, "a", NULL, &out, &e), 0);
    json_decref(out);
    json_t *reqs = requests();
    assert_int_equal(json_array_size(reqs), 2);
    assert_string_equal(rs_req_str(reqs, 0, "path"), "/api/v1/namespaces/ns1/configmaps/a");
    assert_string_equal(rs_req_header(reqs, 0, "authorization"), "Bearer sa-token-1");
    assert_string_equal(rs_req_header(reqs, 1, "authorization"), "Bearer sa-token-2");
    json_decref(reqs);
    mg_client_free(c);
    mg_rest_config_free(&cfg);
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
    free(sa);
}

static void test_connect_failure(void **state) {
    (void)state;
    /* a port that was free a moment ago */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t al = sizeof(a);
    getsockname(s, (struct sockaddr *)&a, &al);
    close(s);
    mg_rest_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.server = mg_xasprintf("https://127.0.0.1:%d", ntohs(a.sin_port));
    mg_client *c;
    mg_error e;
    assert_int_equal(mg_client_new(&cfg, &c, &e), 0);
    json_t *out;
    assert_int_equal(mg_k8s_get(c, &CM, "d", "x", NULL, &out, &e), MG_ECONNECT);
    assert_true(e.retryable);
    assert_int_equal(e.http_status, 0);
    assert_non_null(strstr(e.message, "GET https://127.0.0.1:"));
    mg_client_free(c);
    free(cfg.server);
    cfg.server = "not a url";
    assert_int_equal(mg_client_new(&cfg, &c, &e), MG_EINVAL);
}

typedef struct thread_arg {
    mg_client *c;
    int ok;
} thread_arg;

static void *hammer(void *p) {
    thread_arg *a = p;
    for (int i = 0; i < 10; i++) {
        json_t *out = NULL;
        if (mg_k8s_get(a->c, &CM, "d", "x", NULL, &out, NULL) == 0) a->ok++;
        json_decref(out);
    }
    return NULL;
}

static void test_concurrent_requests(void **state) {
    (void)state;
    script("[{\"path\":\"/\",\"body\":{\"kind\":\"ConfigMap\"}}]");
    mg_client *c = new_client("t", NULL);
    pthread_t th[4];
    thread_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (thread_arg){c, 0};
        pthread_create(&th[i], NULL, hammer, &args[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].ok, 10);
    }
    json_t *reqs = requests();
    assert_int_equal(json_array_size(reqs), 40);
    /* at most one connection per thread (pooled handles + shared connection cache) */
    json_int_t maxconn = 0, minconn = 1 << 30;
    size_t i;
    json_t *r;
    json_array_foreach(reqs, i, r) {
        json_int_t cn = json_integer_value(json_object_get(r, "conn"));
        if (cn > maxconn) maxconn = cn;
        if (cn < minconn) minconn = cn;
    }
    assert_true(maxconn - minconn + 1 <= 4);
    json_decref(reqs);
    mg_client_free(c);
}

/* ---------------------------------------------------------------- watch */

typedef struct watch_state {
    lines l;
    volatile int stop;
    int stop_at; /* set stop after this many lines */
} watch_state;

static int on_event(const char *line, size_t len, void *ud) {
    watch_state *w = ud;
    collect(line, len, &w->l);
    if (w->stop_at && w->l.n >= w->stop_at) w->stop = 1;
    return (w->l.stop_after && w->l.n >= w->l.stop_after) ? 1 : 0;
}

static void test_watch_framing(void **state) {
    (void)state;
    script(
        "[{\"path\":\"/api/v1/namespaces/d/configmaps?watch=1\",\"chunks\":["
        "{\"data\":\"{\\\"type\\\":\\\"ADDED\\\",\\\"object\\\":{\\\"metadata\\\":{\\\"na\"},"
        "{\"data\":\"me\\\":\\\"a\\\"}}}\\n{\\\"type\\\":\\\"MODIFIED\\\",\\\"object\\\":{}}\",\"delay_ms\":"
        "20},"
        "{\"data\":\"\\r\\n\",\"delay_ms\":20},"
        "{\"data\":\"{\\\"type\\\":\\\"BOOKMARK\\\"}\\n{\\\"type\\\":\\\"DELETED\\\"}\\n\",\"delay_ms\":20}"
        "]}]");
    mg_client *c = new_client("t", NULL);
    watch_state w = {0};
    mg_watch_opts wo = {
        .resource_version = "123", .allow_bookmarks = true, .timeout_seconds = 300, .label_selector = "a=b"};
    mg_error e;
    int rc = mg_k8s_watch(c, &CM, "d", &wo, on_event, &w, &e);
    if (rc) fail_msg("watch: %s", e.message);
    assert_int_equal(w.l.n, 4);
    assert_string_equal(w.l.all[0], "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\"}}}");
    assert_string_equal(w.l.all[1], "{\"type\":\"MODIFIED\",\"object\":{}}");
    assert_string_equal(w.l.all[2], "{\"type\":\"BOOKMARK\"}");
    assert_string_equal(w.l.all[3], "{\"type\":\"DELETED\"}");
    lines_free(&w.l);
    json_t *reqs = requests();
    assert_string_equal(rs_req_str(reqs, 0, "path"),
                        "/api/v1/namespaces/d/configmaps?watch=1&labelSelector=a%3Db"
                        "&resourceVersion=123&allowWatchBookmarks=true&timeoutSeconds=300");
    json_decref(reqs);
    mg_client_free(c);
}

static void test_watch_errors(void **state) {
    (void)state;
    script("["
           "{\"path\":\"/api/v1/namespaces/long/"
           "configmaps?watch=1\",\"chunks\":[{\"data\":\"{\\\"a\\\":1}\\n\"},"
           "{\"data\":\"{\\\"type\\\":\\\"ADDED\\\",\\\"pad\\\":"
           "\\\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
           "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}],\"hold_ms\":5000},"
           "{\"path\":\"/api/v1/namespaces/gone/"
           "configmaps?watch=1\",\"status\":410,\"body\":{\"kind\":\"Status\","
           "\"reason\":\"Expired\",\"message\":\"too old resource version: 5 (90)\",\"code\":410}},"
           "{\"path\":\"/api/v1/namespaces/busy/"
           "configmaps?watch=1\",\"status\":429,\"headers\":{\"Retry-After\":"
           "\"2\"},\"body\":{\"kind\":\"Status\",\"message\":\"busy\"}},"
           "{\"path\":\"/api/v1/namespaces/drop/"
           "configmaps?watch=1\",\"chunks\":[{\"data\":\"{\\\"a\\\":1}\\n{\\\"b\"}],"
           "\"close\":true},"
           "{\"path\":\"/api/v1/namespaces/stall/"
           "configmaps?watch=1\",\"chunks\":[{\"data\":\"{\\\"a\\\":1}\\n\"}],"
           "\"hold_ms\":8000},"
           "{\"path\":\"/api/v1/namespaces/stop/"
           "configmaps?watch=1\",\"chunks\":[{\"data\":\"{\\\"a\\\":1}\\n\"},"
           "{\"data\":\"{\\\"a\\\":2}\\n\"}],\"hold_ms\":8000}"
           "]");
    mg_client *c = new_client("t", NULL);
    mg_error e;
    watch_state w = {0};
    mg_watch_opts wo = {.max_line_bytes = 64};
    assert_int_equal(mg_k8s_watch(c, &CM, "long", &wo, on_event, &w, &e), MG_ETOOBIG);
    assert_int_equal(w.l.n, 1);
    assert_non_null(strstr(e.message, "longer than 64 bytes"));
    lines_free(&w.l);

    assert_int_equal(mg_k8s_watch(c, &CM, "gone", NULL, on_event, &w, &e), MG_EGONE);
    assert_int_equal(e.http_status, 410);
    assert_string_equal(e.reason, "Expired");
    assert_string_equal(e.message, "too old resource version: 5 (90)");
    assert_int_equal(w.l.n, 0);

    assert_int_equal(mg_k8s_watch(c, &CM, "busy", NULL, on_event, &w, &e), MG_EHTTP);
    assert_true(e.retryable);
    assert_int_equal(e.retry_after_ms, 2000);

    assert_int_equal(mg_k8s_watch(c, &CM, "drop", NULL, on_event, &w, &e), MG_EIO);
    assert_true(e.retryable);
    assert_int_equal(w.l.n, 1);
    lines_free(&w.l);

    mg_watch_opts stall = {.stall_timeout_ms = 1500};
    assert_int_equal(mg_k8s_watch(c, &CM, "stall", &stall, on_event, &w, &e), MG_ETIMEOUT);
    assert_true(e.retryable);
    assert_int_equal(w.l.n, 1);
    assert_non_null(strstr(e.message, "silent for 1500 ms"));
    lines_free(&w.l);

    /* *stop set from the handler (as another thread would): the watch ends while the server holds */
    w.stop_at = 2;
    mg_watch_opts so = {.stop = &w.stop};
    assert_int_equal(mg_k8s_watch(c, &CM, "stop", &so, on_event, &w, &e), MG_ECANCELED);
    assert_int_equal(w.l.n, 2);
    lines_free(&w.l);
    /* already stopped: no request at all */
    assert_int_equal(mg_k8s_watch(c, &CM, "stop", &so, on_event, &w, &e), MG_ECANCELED);
    w.stop = 0;
    w.stop_at = 0;
    /* the handler returning 1 ends the watch with 0 */
    w.l.stop_after = 1;
    assert_int_equal(mg_k8s_watch(c, &CM, "stop", NULL, on_event, &w, &e), 0);
    assert_int_equal(w.l.n, 1);
    lines_free(&w.l);
    json_t *reqs = requests();
    assert_int_equal(json_array_size(reqs), 7);
    json_decref(reqs);
    mg_client_free(c);
}

int main(void) {
    mg_mem_init();
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(test_status_to_error),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_linesplit),
    };
    const struct CMUnitTest wire[] = {
        cmocka_unit_test(test_get_headers_and_reuse),
        cmocka_unit_test(test_encoding_on_the_wire),
        cmocka_unit_test(test_writes),
        cmocka_unit_test(test_error_answers),
        cmocka_unit_test(test_response_cap),
        cmocka_unit_test(test_token_file_rotation),
        cmocka_unit_test(test_kubeconfig_inline_client_cert),
        cmocka_unit_test(test_incluster_token_rotation),
        cmocka_unit_test(test_connect_failure),
        cmocka_unit_test(test_concurrent_requests),
        cmocka_unit_test(test_watch_framing),
        cmocka_unit_test(test_watch_errors),
    };
    int failed = cmocka_run_group_tests_name("client-pure", pure, NULL, NULL);
    failed += cmocka_run_group_tests_name("client-wire", wire, group_setup, group_teardown);
    return failed ? 1 : 0;
}
