/* Tests for oci/registry: the challenge parser, and tag resolution against the scripted HTTPS
 * responder (tests/support/responder.py): media types on the wire, missing Docker-Content-Digest
 * (GET + sha256), 404, 5xx, unreachable, slow, bearer-token and basic auth flows with a
 * dockerconfigjson file, token reuse, connection reuse, and the cache (positive, negative, off). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <netinet/in.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/mem.h"
#include "oci/registry.h"
#include "responder_support.h"

static rs_responder R;
static struct {
    char creds[128]; /* R.dir/config.json */
    char host[64];   /* 127.0.0.1:port */
} O;

/* Installs a script (a JSON array built by the caller) and empties the request log. */
static void script(json_t *rules) {
    char *text = json_dumps(rules, 0);
    json_decref(rules);
    rs_script_text(&R, text);
    free(text);
    usleep(20000); /* the responder re-reads the script by mtime */
}

static json_t *requests(void) { return rs_requests(&R, true); }

static int group_setup(void **state) {
    (void)state;
    if (rs_start(&R, "/tmp/mg-oci-XXXXXX", NULL)) return -1;
    snprintf(O.creds, sizeof O.creds, "%s/config.json", R.dir);
    snprintf(O.host, sizeof O.host, "127.0.0.1:%d", R.port);
    /* Credentials for the responder, in dockerconfigjson form (auth = base64("robot:s3cret")). */
    char *creds = mg_xasprintf("{\"auths\": {\"%s\": {\"auth\": \"cm9ib3Q6czNjcmV0\"}}}", O.host);
    rs_write_text(O.creds, creds);
    free(creds);
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    return rs_stop(&R);
}

static mg_oci_client *client(int ttl, bool creds, long timeout_ms) {
    mg_registry_config rc = {
        .host = O.host, .ca_file = R.ca_file, .credentials_file = creds ? O.creds : NULL};
    mg_oci_options o = {.registries = &rc,
                        .n_registries = 1,
                        .timeout_ms = timeout_ms,
                        .cache_ttl_s = ttl,
                        .negative_ttl_s = -1,
                        .error_ttl_s = 0};
    mg_oci_client *c = NULL;
    mg_error err;
    if (mg_oci_client_new(&o, &c, &err) != 0) fail_msg("client: %s", err.message);
    return c;
}

static void ref_of(const char *s, mg_imageref *ref) {
    mg_error err;
    if (mg_imageref_parse(s, ref, &err) != 0) fail_msg("%s: %s", s, err.message);
}

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"

/* A HEAD rule answering 200 with a digest header for path. */
static json_t *head_ok(const char *path, const char *digest) {
    return json_pack("{s:s,s:s,s:{s:s},s:s}", "method", "HEAD", "path", path, "headers",
                     "Docker-Content-Digest", digest, "body", "");
}

/* ---------------------------------------------------------------- pure */

static void test_challenge(void **state) {
    (void)state;
    char scheme[16], realm[128], service[64], scope[128];
    assert_int_equal(
        mg_oci_parse_challenge("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
                               "scope=\"repository:library/ubuntu:pull\"",
                               scheme, sizeof scheme, realm, sizeof realm, service, sizeof service, scope,
                               sizeof scope),
        0);
    assert_string_equal(scheme, "Bearer");
    assert_string_equal(realm, "https://auth.docker.io/token");
    assert_string_equal(service, "registry.docker.io");
    assert_string_equal(scope, "repository:library/ubuntu:pull");
    /* unquoted values, spaces, other params, case of the names */
    assert_int_equal(mg_oci_parse_challenge(
                         "  bearer Realm=https://r/t , error=\"insufficient_scope\", Service=s", scheme,
                         sizeof scheme, realm, sizeof realm, service, sizeof service, scope, sizeof scope),
                     0);
    assert_string_equal(scheme, "bearer");
    assert_string_equal(realm, "https://r/t");
    assert_string_equal(service, "s");
    assert_string_equal(scope, "");
    assert_int_equal(mg_oci_parse_challenge("Basic realm=\"Registry \\\"x\\\"\"", scheme, sizeof scheme,
                                            realm, sizeof realm, service, sizeof service, scope,
                                            sizeof scope),
                     0);
    assert_string_equal(scheme, "Basic");
    assert_string_equal(realm, "Registry \"x\"");
    assert_int_equal(mg_oci_parse_challenge("", scheme, sizeof scheme, realm, sizeof realm, service,
                                            sizeof service, scope, sizeof scope),
                     MG_EPARSE);
    assert_int_equal(mg_oci_parse_challenge("Bearer realm", scheme, sizeof scheme, realm, sizeof realm,
                                            service, sizeof service, scope, sizeof scope),
                     MG_EPARSE);
    assert_string_equal(mg_oci_endpoint_host("docker.io"), "registry-1.docker.io");
    assert_string_equal(mg_oci_endpoint_host("localhost:5000"), "localhost:5000");
}

static void test_bad_credentials(void **state) {
    (void)state;
    char path[160];
    snprintf(path, sizeof path, "%s/bad.json", R.dir);
    mg_registry_config rc = {.host = "other.example.com", .credentials_file = O.creds};
    mg_oci_options o = {
        .registries = &rc, .n_registries = 1, .cache_ttl_s = -1, .negative_ttl_s = -1, .error_ttl_s = -1};
    mg_oci_client *c = NULL;
    mg_error err;
    assert_int_equal(mg_oci_client_new(&o, &c, &err), MG_EPARSE);
    assert_null(c);
    assert_non_null(strstr(err.message, "no auths entry for other.example.com"));
    rs_write_text(path, "{\"auths\": {\"other.example.com\": {\"auth\": \"bm9jb2xvbg==\"}}}"); /* "nocolon" */
    rc.credentials_file = path;
    assert_int_equal(mg_oci_client_new(&o, &c, &err), MG_EPARSE);
    assert_non_null(strstr(err.message, "not base64 of user:password"));
    rs_write_text(path,
                  "{\"auths\": {\"https://other.example.com\": {\"username\": \"u\", \"password\": \"p\"}}}");
    assert_int_equal(mg_oci_client_new(&o, &c, &err), 0);
    mg_oci_client_free(c);
    rc.credentials_file = "/nonexistent/config.json";
    assert_int_equal(mg_oci_client_new(&o, &c, &err), MG_EIO);
    assert_non_null(strstr(err.message, "/nonexistent/config.json"));
}

/* ---------------------------------------------------------------- wire */

static void test_head_media_types_and_reuse(void **state) {
    (void)state;
    script(json_pack("[o]", head_ok("/v2/models/fraud/manifests/1.4.0", D1)));
    mg_oci_client *c = client(0, false, 2000);
    mg_imageref ref;
    char d[80];
    mg_error err;
    snprintf(d, sizeof d, "x");
    char *img = mg_xasprintf("%s/models/fraud:1.4.0", O.host);
    ref_of(img, &ref);
    free(img);
    assert_int_equal(mg_oci_resolve(c, &ref, d, sizeof d, &err), 0);
    assert_string_equal(d, D1);
    assert_int_equal(mg_oci_resolve(c, &ref, d, sizeof d, &err), 0);
    json_t *reqs = requests();
    assert_int_equal(json_array_size(reqs), 2);
    assert_string_equal(rs_req_str(reqs, 0, "method"), "HEAD");
    assert_string_equal(rs_req_str(reqs, 0, "path"), "/v2/models/fraud/manifests/1.4.0");
    const char *accept = rs_req_header(reqs, 0, "accept");
    assert_non_null(accept);
    assert_non_null(strstr(accept, "application/vnd.oci.image.manifest.v1+json"));
    assert_non_null(strstr(accept, "application/vnd.oci.image.index.v1+json"));
    assert_non_null(strstr(accept, "application/vnd.docker.distribution.manifest.v2+json"));
    assert_non_null(strstr(accept, "application/vnd.docker.distribution.manifest.list.v2+json"));
    assert_null(rs_req_header(reqs, 0, "authorization"));
    /* keep-alive: both lookups on one connection */
    assert_int_equal(json_integer_value(json_object_get(json_array_get(reqs, 0), "conn")),
                     json_integer_value(json_object_get(json_array_get(reqs, 1), "conn")));
    json_decref(reqs);
    mg_oci_stats st;
    mg_oci_stats_get(c, &st);
    assert_int_equal(st.lookups, 2);
    assert_int_equal(st.hits, 0); /* ttl 0: no cache */
    mg_oci_client_free(c);
}

static void test_missing_digest_header(void **state) {
    (void)state;
    const char *manifest =
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"}";
    script(json_pack("[{s:s,s:s,s:s},{s:s,s:s,s:s,s:{s:s}}]", "method", "HEAD", "path", "/v2/m/manifests/v1",
                     "body", "", "method", "GET", "path", "/v2/m/manifests/v1", "body", manifest, "headers",
                     "Content-Type", "application/vnd.oci.image.manifest.v1+json"));
    mg_oci_client *c = client(0, false, 2000);
    mg_imageref ref;
    char *img = mg_xasprintf("%s/m:v1", O.host);
    ref_of(img, &ref);
    free(img);
    char d[80], want[80];
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)manifest, strlen(manifest), md);
    memcpy(want, "sha256:", 7);
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
        snprintf(want + 7 + 2 * i, 3, "%02x", md[i]);
    mg_error err;
    assert_int_equal(mg_oci_resolve(c, &ref, d, sizeof d, &err), 0);
    assert_string_equal(d, want);
    json_t *reqs = requests();
    assert_int_equal(json_array_size(reqs), 2);
    assert_string_equal(rs_req_str(reqs, 1, "method"), "GET");
    assert_non_null(strstr(rs_req_header(reqs, 1, "accept"), "application/vnd.oci.image.manifest.v1+json"));
    json_decref(reqs);
    /* a malformed header digest is an error, not a digest */
    script(json_pack("[o]", head_ok("/v2/m/manifests/v1", "sha256:XYZ")));
    assert_int_equal(mg_oci_resolve(c, &ref, d, sizeof d, &err), MG_EPARSE);
    mg_oci_client_free(c);
}

static void test_errors(void **state) {
    (void)state;
    script(json_pack("[{s:s,s:s,s:i,s:s},{s:s,s:s,s:i,s:s},{s:s,s:s,s:i,s:s}]", "method", "HEAD", "path",
                     "/v2/m/manifests/gone", "status", 404, "body", "", "method", "HEAD", "path",
                     "/v2/m/manifests/broken", "status", 503, "body", "", "method", "HEAD", "path",
                     "/v2/m/manifests/slow", "delay_ms", 3000, "body", ""));
    mg_oci_client *c = client(0, false, 500);
    mg_imageref ref;
    char d[80], img[128];
    mg_error err;
    snprintf(img, sizeof img, "%s/m:gone", O.host);
    ref_of(img, &ref);
    assert_int_equal(mg_oci_resolve(c, &ref, d, sizeof d, &err), MG_ENOTFOUND);
    assert_non_null(strstr(err.message, "m:gone"));
    snprintf(img, sizeof img, "%s/m:broken", O.host);
    ref_of(img, &ref);
    assert_int_equal(mg_oci_resolve(c, &ref, d, sizeof d, &err), MG_EHTTP);
    assert_int_equal(err.http_status, 503);
    assert_true(err.retryable);
    assert_non_null(strstr(err.message, "HTTP 503"));
    snprintf(img, sizeof img, "%s/m:slow", O.host);
    ref_of(img, &ref);
    assert_int_equal(mg_oci_resolve(c, &ref, d, sizeof d, &err), MG_ETIMEOUT);
    mg_oci_stats st;
    mg_oci_stats_get(c, &st);
    assert_int_equal(st.not_found, 1);
    assert_int_equal(st.errors, 2);
    mg_oci_client_free(c);

    /* unreachable: a port nobody listens on (bound, never listening) */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t alen = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &alen);
    mg_oci_options o = {.cache_ttl_s = 0, .negative_ttl_s = -1, .error_ttl_s = -1};
    assert_int_equal(mg_oci_client_new(&o, &c, &err), 0);
    snprintf(img, sizeof img, "127.0.0.1:%d/m:v1", ntohs(a.sin_port));
    ref_of(img, &ref);
    assert_int_equal(mg_oci_resolve(c, &ref, d, sizeof d, &err), MG_ECONNECT);
    /* TLS with an unknown CA (no caFile for this host) */
    snprintf(img, sizeof img, "%s/m:v1", O.host);
    ref_of(img, &ref);
    assert_int_equal(mg_oci_resolve(c, &ref, d, sizeof d, &err), MG_ETLS);
    /* a reference without a tag */
    snprintf(img, sizeof img, "%s/m", O.host);
    ref_of(img, &ref);
    assert_int_equal(mg_oci_resolve_uncached(c, &ref, d, sizeof d, &err), MG_EINVAL);
    mg_oci_client_free(c);
    close(fd);
}

static void test_bearer_flow(void **state) {
    (void)state;
    /* 401 once (the responder cannot match on headers), then 200 */
    char *challenge = mg_xasprintf("Bearer realm=\"https://%s/token\",service=\"reg.test\","
                                   "scope=\"repository:models/fraud:pull\"",
                                   O.host);
    script(json_pack("[{s:s,s:s,s:i,s:i,s:{s:s},s:s},o,{s:s,s:s,s:{s:s,s:i}}]", "method", "HEAD", "path",
                     "/v2/", "times", 1, "status", 401, "headers", "WWW-Authenticate", challenge, "body", "",
                     head_ok("/v2/models/fraud/manifests/1.4.0", D2), "method", "GET", "path", "/token?",
                     "body", "token", "tok-123", "expires_in", 300));
    free(challenge);
    mg_oci_client *c = client(0, true, 2000);
    mg_imageref ref;
    char d[80], img[128];
    mg_error err;
    snprintf(img, sizeof img, "%s/models/fraud:1.4.0", O.host);
    ref_of(img, &ref);
    if (mg_oci_resolve(c, &ref, d, sizeof d, &err) != 0) fail_msg("%s", err.message);
    assert_string_equal(d, D2);
    json_t *reqs = requests();
    assert_int_equal(json_array_size(reqs), 3);
    assert_null(rs_req_header(reqs, 0, "authorization"));
    assert_string_equal(rs_req_str(reqs, 1, "method"), "GET");
    assert_string_equal(rs_req_str(reqs, 1, "path"),
                        "/token?service=reg.test&scope=repository%3Amodels%2Ffraud%3Apull");
    assert_string_equal(rs_req_header(reqs, 1, "authorization"), "Basic cm9ib3Q6czNjcmV0");
    assert_string_equal(rs_req_header(reqs, 2, "authorization"), "Bearer tok-123");
    json_decref(reqs);
    /* the token is reused for the next lookup of that repository: one request */
    script(json_pack("[o]", head_ok("/v2/models/fraud/manifests/1.4.0", D2)));
    assert_int_equal(mg_oci_resolve(c, &ref, d, sizeof d, &err), 0);
    reqs = requests();
    assert_int_equal(json_array_size(reqs), 1);
    assert_string_equal(rs_req_header(reqs, 0, "authorization"), "Bearer tok-123");
    json_decref(reqs);
    /* a token endpoint that refuses → error naming it */
    mg_oci_client_free(c);
    c = client(0, false, 2000);
    challenge = mg_xasprintf("Bearer realm=\"https://%s/token\"", O.host);
    script(json_pack("[{s:s,s:s,s:i,s:{s:s},s:s},{s:s,s:s,s:i,s:s}]", "method", "HEAD", "path", "/v2/",
                     "status", 401, "headers", "WWW-Authenticate", challenge, "body", "", "method", "GET",
                     "path", "/token", "status", 401, "body", "{}"));
    free(challenge);
    assert_int_equal(mg_oci_resolve(c, &ref, d, sizeof d, &err), MG_EHTTP);
    assert_non_null(strstr(err.message, "token request"));
    reqs = requests();
    /* no credentials configured: the token request is anonymous, with the default scope */
    assert_null(rs_req_header(reqs, 1, "authorization"));
    assert_string_equal(rs_req_str(reqs, 1, "path"), "/token?scope=repository%3Amodels%2Ffraud%3Apull");
    json_decref(reqs);
    mg_oci_client_free(c);
}

static void test_basic_flow(void **state) {
    (void)state;
    script(json_pack("[{s:s,s:s,s:i,s:i,s:{s:s},s:s},o]", "method", "HEAD", "path", "/v2/", "times", 1,
                     "status", 401, "headers", "WWW-Authenticate", "Basic realm=\"Registry\"", "body", "",
                     head_ok("/v2/m/manifests/v1", D1)));
    mg_oci_client *c = client(0, true, 2000);
    mg_imageref ref;
    char d[80], img[128];
    mg_error err;
    snprintf(img, sizeof img, "%s/m:v1", O.host);
    ref_of(img, &ref);
    assert_int_equal(mg_oci_resolve(c, &ref, d, sizeof d, &err), 0);
    assert_string_equal(d, D1);
    json_t *reqs = requests();
    assert_int_equal(json_array_size(reqs), 2);
    assert_string_equal(rs_req_header(reqs, 1, "authorization"), "Basic cm9ib3Q6czNjcmV0");
    json_decref(reqs);
    mg_oci_client_free(c);
    /* Basic challenge without credentials: an error that says so */
    c = client(0, false, 2000);
    script(json_pack("[{s:s,s:s,s:i,s:{s:s},s:s}]", "method", "HEAD", "path", "/v2/", "status", 401,
                     "headers", "WWW-Authenticate", "Basic realm=\"Registry\"", "body", ""));
    assert_int_equal(mg_oci_resolve(c, &ref, d, sizeof d, &err), MG_EHTTP);
    assert_non_null(strstr(err.message, "no credentials"));
    mg_oci_client_free(c);
}

static void observer(void *ud, mg_oci_event ev) { ((int *)ud)[ev]++; }

static void test_cache(void **state) {
    (void)state;
    script(json_pack("[o,{s:s,s:s,s:i,s:s}]", head_ok("/v2/m/manifests/v1", D1), "method", "HEAD", "path",
                     "/v2/m/manifests/nope", "status", 404, "body", ""));
    int events[5] = {0};
    mg_registry_config rc = {.host = O.host, .ca_file = R.ca_file};
    mg_oci_options o = {.registries = &rc,
                        .n_registries = 1,
                        .cache_ttl_s = 300,
                        .negative_ttl_s = 300,
                        .error_ttl_s = 0,
                        .max_entries = 2};
    o.observer = observer;
    o.observer_ud = events;
    mg_oci_client *c = NULL;
    mg_error err;
    assert_int_equal(mg_oci_client_new(&o, &c, &err), 0);
    mg_imageref ref, nope;
    char d[80], img[128];
    snprintf(img, sizeof img, "%s/m:v1", O.host);
    ref_of(img, &ref);
    snprintf(img, sizeof img, "%s/m:nope", O.host);
    ref_of(img, &nope);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(mg_oci_resolve(c, &ref, d, sizeof d, &err), 0);
        assert_string_equal(d, D1);
        assert_int_equal(mg_oci_resolve(c, &nope, d, sizeof d, &err), MG_ENOTFOUND);
        assert_non_null(strstr(err.message, "no such tag"));
    }
    json_t *reqs = requests();
    assert_int_equal(json_array_size(reqs), 2); /* one per tag, the rest from the cache */
    json_decref(reqs);
    mg_oci_stats st;
    mg_oci_stats_get(c, &st);
    assert_int_equal(st.lookups, 6);
    assert_int_equal(st.hits, 4);
    assert_int_equal(st.misses, 2);
    assert_int_equal(st.not_found, 1);
    assert_int_equal(events[MG_OCI_CACHE_HIT], 4);
    assert_int_equal(events[MG_OCI_CACHE_MISS], 2);
    assert_int_equal(events[MG_OCI_FOUND], 1);
    assert_int_equal(events[MG_OCI_NOT_FOUND], 1);
    /* the tag moves: the cache keeps the old digest until cleared */
    script(json_pack("[o]", head_ok("/v2/m/manifests/v1", D2)));
    assert_int_equal(mg_oci_resolve(c, &ref, d, sizeof d, &err), 0);
    assert_string_equal(d, D1);
    mg_oci_cache_clear(c);
    assert_int_equal(mg_oci_resolve(c, &ref, d, sizeof d, &err), 0);
    assert_string_equal(d, D2);
    /* max_entries 2: a third tag makes room instead of growing */
    snprintf(img, sizeof img, "%s/m:other", O.host);
    mg_imageref other;
    ref_of(img, &other);
    script(json_pack("[o]", head_ok("/v2/m/manifests/", D1)));
    assert_int_equal(mg_oci_resolve(c, &nope, d, sizeof d, &err), 0);
    assert_int_equal(mg_oci_resolve(c, &other, d, sizeof d, &err), 0);
    mg_oci_client_free(c);
}

typedef struct flight {
    mg_oci_client *c;
    mg_imageref ref;
    int rc;
    char digest[80];
} flight;

static void *flight_main(void *arg) {
    flight *f = arg;
    f->rc = mg_oci_resolve(f->c, &f->ref, f->digest, sizeof f->digest, NULL);
    return NULL;
}

/* Eight threads ask for one tag on a cold cache while the registry is slow: one request. */
static void test_single_flight(void **state) {
    (void)state;
    script(json_pack("[{s:s,s:s,s:i,s:{s:s},s:s}]", "method", "HEAD", "path", "/v2/m/manifests/v1",
                     "delay_ms", 300, "headers", "Docker-Content-Digest", D1, "body", ""));
    mg_oci_client *c = client(0, false, 2000); /* no TTL: the in-flight answer is still shared */
    flight f[8];
    pthread_t t[8];
    char img[128];
    snprintf(img, sizeof img, "%s/m:v1", O.host);
    for (int i = 0; i < 8; i++) {
        f[i].c = c;
        ref_of(img, &f[i].ref);
        assert_int_equal(pthread_create(&t[i], NULL, flight_main, &f[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(f[i].rc, 0);
        assert_string_equal(f[i].digest, D1);
    }
    json_t *reqs = requests();
    mg_oci_stats st;
    mg_oci_stats_get(c, &st);
    /* threads that started after the answer came (unlikely with 300 ms) ask again: ttl is 0 */
    assert_int_equal(json_array_size(reqs), st.misses);
    assert_true(st.misses < 8);
    assert_int_equal(st.hits + st.misses, 8);
    json_decref(reqs);
    mg_oci_client_free(c);
}

int main(void) {
    mg_mem_init();
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(test_challenge),
    };
    const struct CMUnitTest wire[] = {
        cmocka_unit_test(test_bad_credentials),
        cmocka_unit_test(test_head_media_types_and_reuse),
        cmocka_unit_test(test_missing_digest_header),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_bearer_flow),
        cmocka_unit_test(test_basic_flow),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_single_flight),
    };
    int failed = cmocka_run_group_tests_name("oci-pure", pure, NULL, NULL);
    failed += cmocka_run_group_tests_name("oci-wire", wire, group_setup, group_teardown);
    return failed ? 1 : 0;
}
