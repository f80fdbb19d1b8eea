/* Unit tests for http/server over plain HTTP on 127.0.0.1 with a free port, driven by libcurl:
 * routing (200/404/405), query and header passing, body buffering and the body cap (413 before
 * the body is read), keep-alive reuse, Expect: 100-continue, concurrent clients, graceful stop,
 * and listen-address parsing. TLS and certificate reload are covered by
 * tests/integration/webhook-server.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "http/server.h"
#include "metrics/registry.h"

static void hello(const mg_http_request *req, mg_http_response *resp, void *arg) {
    (void)req;
    (void)arg;
    mg_http_response_set(resp, 200, "text/plain", "hello", 5);
    mg_http_response_header(resp, "X-Test", "yes");
    assert_int_equal(mg_http_response_header(resp, "X-Bad", "a\r\nInjected: 1"), MG_EINVAL);
}

/* Echoes what the server parsed, one field per line, then the body. */
static void echo(const mg_http_request *req, mg_http_response *resp, void *arg) {
    (void)arg;
    resp->status = 201;
    snprintf(resp->content_type, sizeof resp->content_type, "application/x-echo");
    mg_buf_printf(&resp->body, "method=%s\npath=%s\nquery=%s\nct=%s\nae=%s\ncl=%lld\nlen=%zu\n", req->method,
                  req->path, req->query, req->content_type, req->accept_encoding, req->content_length,
                  req->body_len);
    mg_buf_append(&resp->body, req->body, req->body_len);
}

/* Appends past the response cap (RESPONSE_CAP) piece by piece, then a small piece that would fit
 * on its own: the server must answer 500, never the pieces that fitted. */
#define RESPONSE_CAP 8192
static void too_big(const mg_http_request *req, mg_http_response *resp, void *arg) {
    (void)req;
    (void)arg;
    char chunk[RESPONSE_CAP / 3];
    memset(chunk, 'x', sizeof chunk);
    for (int i = 0; i < 4; i++)
        mg_buf_append(&resp->body, chunk, sizeof chunk);
    mg_buf_append_str(&resp->body, "end");
}

typedef struct {
    long status;
    char *body;
    size_t len;
    char headers[4096];
    long connects;
} result;

static size_t on_body(char *p, size_t sz, size_t n, void *u) {
    result *r = u;
    r->body = mg_xrealloc(r->body, r->len + sz * n + 1);
    memcpy(r->body + r->len, p, sz * n);
    r->len += sz * n;
    r->body[r->len] = '\0';
    return sz * n;
}

static size_t on_header(char *p, size_t sz, size_t n, void *u) {
    result *r = u;
    size_t have = strlen(r->headers);
    if (have + sz * n < sizeof r->headers) {
        memcpy(r->headers + have, p, sz * n);
        r->headers[have + sz * n] = '\0';
    }
    return sz * n;
}

/* Performs one request on h (reusing its connection when it can). */
static CURLcode request(CURL *h, int port, const char *method, const char *path, const char *body, long blen,
                        struct curl_slist *hdrs, result *r) {
    char url[4096];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    memset(r, 0, sizeof *r);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
    if (body) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 0L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, blen);
    } else {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(h, CURLOPT_NOBODY, strcmp(method, "HEAD") ? 0L : 1L);
    }
    CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &r->connects);
    return rc;
}

static mg_http_server *start(mg_metrics *m, size_t cap) {
    mg_http_server_config cfg = {.listen = "127.0.0.1:0",
                                 .threads = 2,
                                 .max_body_bytes = cap,
                                 .max_response_bytes = RESPONSE_CAP,
                                 .metrics = m,
                                 .metrics_namespace = "test"};
    mg_http_server *s = NULL;
    mg_error err;
    assert_int_equal(mg_http_server_new(&cfg, &s, &err), 0);
    assert_int_equal(mg_http_server_route(s, "GET", "/hello", hello, NULL), 0);
    assert_int_equal(mg_http_server_route(s, "POST", "/echo", echo, NULL), 0);
    assert_int_equal(mg_http_server_route(s, "POST", "/echo", echo, NULL), MG_EINVAL);
    assert_int_equal(mg_http_server_route(s, "GET", "/too-big", too_big, NULL), 0);
    assert_int_equal(mg_http_server_start(s, &err), 0);
    assert_true(mg_http_server_port(s) > 0);
    assert_int_equal(mg_http_server_route(s, "GET", "/late", hello, NULL), MG_EINVAL);
    return s;
}

static void test_routes_and_keepalive(void **state) {
    (void)state;
    mg_metrics *m = mg_metrics_new();
    mg_http_server *s = start(m, 1024);
    int port = mg_http_server_port(s);
    CURL *h = curl_easy_init();
    result r;

    assert_int_equal(request(h, port, "GET", "/hello", NULL, 0, NULL, &r), CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "hello");
    assert_non_null(strstr(r.headers, "X-Test: yes"));
    assert_null(strstr(r.headers, "Injected"));
    assert_int_equal(r.connects, 1);
    free(r.body);

    /* HEAD on a GET route: headers only. */
    assert_int_equal(request(h, port, "HEAD", "/hello", NULL, 0, NULL, &r), CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.headers, "Content-Length: 5"));
    assert_null(r.body);

    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    hdrs = curl_slist_append(hdrs, "Accept-Encoding: gzip");
    assert_int_equal(request(h, port, "POST", "/echo?timeout=5s&x=y", "{\"a\":1}", 7, hdrs, &r), CURLE_OK);
    assert_int_equal(r.status, 201);
    assert_string_equal(r.body,
                        "method=POST\npath=/echo\nquery=timeout=5s&x=y\nct=application/json\nae=gzip\n"
                        "cl=7\nlen=7\n{\"a\":1}");
    assert_int_equal(r.connects, 0); /* keep-alive: the connection was reused */
    assert_non_null(strstr(r.headers, "Content-Type: application/x-echo"));
    free(r.body);

    /* Empty POST body. */
    assert_int_equal(request(h, port, "POST", "/echo", "", 0, hdrs, &r), CURLE_OK);
    assert_int_equal(r.status, 201);
    assert_non_null(strstr(r.body, "cl=0\nlen=0\n"));
    free(r.body);

    assert_int_equal(request(h, port, "GET", "/nope", NULL, 0, NULL, &r), CURLE_OK);
    assert_int_equal(r.status, 404);
    assert_non_null(strstr(r.body, "no handler for /nope"));
    free(r.body);

    assert_int_equal(request(h, port, "GET", "/echo", NULL, 0, NULL, &r), CURLE_OK);
    assert_int_equal(r.status, 405);
    assert_non_null(strstr(r.headers, "Allow: POST"));
    free(r.body);

    /* A rejected request with a body still keeps the connection usable. */
    assert_int_equal(request(h, port, "POST", "/nope", "abc", 3, hdrs, &r), CURLE_OK);
    assert_int_equal(r.status, 404);
    free(r.body);
    assert_int_equal(request(h, port, "GET", "/hello", NULL, 0, NULL, &r), CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.connects, 0);
    free(r.body);

    /* Body at the cap is fine; one byte more is 413 with a reason. */
    char *big = mg_xmalloc(1025);
    memset(big, 'x', 1025);
    assert_int_equal(request(h, port, "POST", "/echo", big, 1024, hdrs, &r), CURLE_OK);
    assert_int_equal(r.status, 201);
    assert_non_null(strstr(r.body, "len=1024\n"));
    free(r.body);
    assert_int_equal(request(h, port, "POST", "/echo", big, 1025, hdrs, &r), CURLE_OK);
    assert_int_equal(r.status, 413);
    assert_non_null(strstr(r.body, "exceeds the limit of 1024 bytes"));
    assert_non_null(strstr(r.headers, "Connection: close"));
    free(r.body);
    free(big);

    /* Expect: 100-continue is answered. */
    struct curl_slist *exp = curl_slist_append(NULL, "Expect: 100-continue");
    assert_int_equal(request(h, port, "POST", "/echo", "12345", 5, exp, &r), CURLE_OK);
    assert_int_equal(r.status, 201);
    assert_non_null(strstr(r.body, "len=5\n12345"));
    free(r.body);
    curl_slist_free_all(exp);

    /* A query longer than any one buffer of lws reaches the handler whole. */
    char path[sizeof "/echo?q=" + 3000];
    snprintf(path, sizeof path, "/echo?q=%03000d", 7);
    assert_int_equal(request(h, port, "POST", path, "", 0, hdrs, &r), CURLE_OK);
    assert_int_equal(r.status, 201);
    assert_non_null(strstr(r.body, path + sizeof "/echo"));
    free(r.body);

    /* A handler that wrote past the response cap gets a 500, not the part that fitted. */
    assert_int_equal(request(h, port, "GET", "/too-big", NULL, 0, NULL, &r), CURLE_OK);
    assert_int_equal(r.status, 500);
    assert_string_equal(r.body, "response too large\r\n");
    free(r.body);

    /* Still serving. */
    assert_int_equal(request(h, port, "GET", "/hello", NULL, 0, NULL, &r), CURLE_OK);
    assert_int_equal(r.status, 200);
    free(r.body);

    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);

    mg_buf text;
    mg_buf_init(&text, 1 << 20);
    mg_metrics_render(m, &text);
    assert_non_null(strstr(text.data, "test_http_server_threads 2\n"));
    assert_non_null(strstr(text.data, "test_http_responses_total{code=\"413\"} 1\n"));
    assert_non_null(strstr(text.data, "test_http_responses_total{code=\"404\"} 2\n"));
    mg_buf_free(&text);
    mg_http_server_stop(s, 1000);
    mg_http_server_stop(s, 1000); /* idempotent */
    mg_http_server_free(s);
    mg_metrics_free(m);
}

typedef struct {
    int port;
    int ok;
} client_arg;

static void *client(void *p) {
    client_arg *a = p;
    CURL *h = curl_easy_init();
    for (int i = 0; i < 50; i++) {
        result r;
        char body[64];
        int n = snprintf(body, sizeof body, "req-%d", i);
        if (request(h, a->port, "POST", "/echo", body, n, NULL, &r) == CURLE_OK && r.status == 201 &&
            r.body && strstr(r.body, body))
            a->ok++;
        free(r.body);
    }
    curl_easy_cleanup(h);
    return NULL;
}

static void test_concurrent_clients(void **state) {
    (void)state;
    mg_http_server *s = start(NULL, 0);
    client_arg args[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (client_arg){mg_http_server_port(s), 0};
        pthread_create(&th[i], NULL, client, &args[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].ok, 50);
    }
    mg_http_server_free(s);
}

static void test_bind_conflict(void **state) {
    (void)state;
    mg_http_server *a = start(NULL, 0);
    /* Another server on the same port without SO_REUSEPORT sharing would be refused; ours shares
     * only with itself, so instead check a bad address fails cleanly. */
    mg_http_server_config cfg = {.listen = "203.0.113.1:0", .threads = 1};
    mg_http_server *b = NULL;
    mg_error err;
    assert_int_equal(mg_http_server_new(&cfg, &b, &err), 0);
    assert_int_equal(mg_http_server_start(b, &err), MG_EIO);
    mg_http_server_free(b);
    mg_http_server_free(a);
}

static void test_parse_listen(void **state) {
    (void)state;
    char host[64];
    int port;
    assert_int_equal(mg_http_parse_listen("127.0.0.1:8443", host, sizeof host, &port), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 8443);
    assert_int_equal(mg_http_parse_listen(":0", host, sizeof host, &port), 0);
    assert_string_equal(host, "");
    assert_int_equal(port, 0);
    assert_int_equal(mg_http_parse_listen("[::1]:9", host, sizeof host, &port), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(mg_http_parse_listen("localhost:65535", host, sizeof host, &port), 0);
    assert_int_equal(mg_http_parse_listen("localhost:65536", host, sizeof host, &port), MG_EINVAL);
    assert_int_equal(mg_http_parse_listen("localhost", host, sizeof host, &port), MG_EINVAL);
    assert_int_equal(mg_http_parse_listen("::1:80", host, sizeof host, &port), MG_EINVAL);
    assert_int_equal(mg_http_parse_listen("h:", host, sizeof host, &port), MG_EINVAL);
    assert_int_equal(mg_http_parse_listen("h:8x", host, sizeof host, &port), MG_EINVAL);
    assert_int_equal(mg_http_parse_listen(NULL, host, sizeof host, &port), MG_EINVAL);

    mg_http_server_config cfg = {.listen = "nope"};
    mg_http_server *s = NULL;
    mg_error err;
    assert_int_equal(mg_http_server_new(&cfg, &s, &err), MG_EINVAL);
    assert_null(s);
    cfg = (mg_http_server_config){
        .listen = "127.0.0.1:0", .tls_cert_file = "/nonexistent.crt", .tls_key_file = "/nonexistent.key"};
    assert_int_equal(mg_http_server_new(&cfg, &s, &err), MG_ETLS);
    assert_non_null(strstr(err.message, "/nonexistent.crt"));
    cfg.tls_key_file = NULL;
    assert_int_equal(mg_http_server_new(&cfg, &s, &err), MG_EINVAL);
}

int main(void) {
    mg_mem_init();
    curl_global_init(CURL_GLOBAL_ALL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_listen),
        cmocka_unit_test(test_routes_and_keepalive),
        cmocka_unit_test(test_concurrent_clients),
        cmocka_unit_test(test_bind_conflict),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
