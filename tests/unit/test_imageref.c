/* Unit tests for policy/imageref: a table of tricky references, most taken from
 * distribution/reference's reference_test.go and normalize_test.go, checked against the
 * normalised (ParseNormalizedNamed) semantics, plus modelRepositories prefix matching. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "policy/imageref.h"

#define F64 "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
#define D64 "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c"

typedef struct {
    const char *in;
    const char *name;     /* NULL: must fail */
    const char *tag;      /* "" when none */
    const char *digest;   /* "" when none */
    const char *familiar; /* NULL: not checked */
    const char *domain;   /* NULL: not checked */
} ref_case;

static const ref_case cases[] = {
    /* reference_test.go TestReferenceParse, normalised */
    {"test_com", "docker.io/library/test_com", "", "", "test_com", "docker.io"},
    {"test.com:tag", "docker.io/library/test.com", "tag", "", "test.com", "docker.io"},
    {"test.com:5000", "docker.io/library/test.com", "5000", "", "test.com", "docker.io"},
    {"test.com/repo:tag", "test.com/repo", "tag", "", "test.com/repo", "test.com"},
    {"test:5000/repo", "test:5000/repo", "", "", "test:5000/repo", "test:5000"},
    {"test:5000/repo:tag", "test:5000/repo", "tag", "", NULL, "test:5000"},
    {"test:5000/repo@sha256:" F64, "test:5000/repo", "", "sha256:" F64, NULL, NULL},
    {"test:5000/repo:tag@sha256:" F64, "test:5000/repo", "tag", "sha256:" F64, NULL, NULL},
    {"", NULL, "", "", NULL, NULL},
    {":justtag", NULL, "", "", NULL, NULL},
    {"@sha256:" F64, NULL, "", "", NULL, NULL},
    {"repo@sha256:ffffffffffffffffffffffffffffffffff", NULL, "", "", NULL, NULL},
    {"validname@invaliddigest:" F64, NULL, "", "", NULL, NULL},
    {"Uppercase:tag", NULL, "", "", NULL, NULL},
    {"test:5000/Uppercase/lowercase:tag", NULL, "", "", NULL, NULL},
    {"lowercase:Uppercase", "docker.io/library/lowercase", "Uppercase", "", "lowercase", NULL},
    {"aa/asdf$$^/aa", NULL, "", "", NULL, NULL},
    {"sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com/bar/baz/quux", "", "", NULL, "sub-dom1.foo.com"},
    {"sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com/bar/baz/quux", "some-long-tag", "",
     NULL, NULL},
    {"b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io/test.example.com/my-app",
     "test.example.com", "", NULL, "b.gcr.io"},
    {"xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com/myimage", "xn--n3h.com", "", NULL, "xn--n3h.com"},
    {"xn--7o8h.com/myimage:xn--7o8h.com@sha512:" F64 F64, "xn--7o8h.com/myimage", "xn--7o8h.com",
     "sha512:" F64 F64, NULL, NULL},
    {"foo_bar.com:8080", "docker.io/library/foo_bar.com", "8080", "", "foo_bar.com", NULL},
    {"foo/foo_bar.com:8080", "docker.io/foo/foo_bar.com", "8080", "", "foo/foo_bar.com", "docker.io"},
    {"192.168.1.1", "docker.io/library/192.168.1.1", "", "", NULL, NULL},
    {"192.168.1.1:tag", "docker.io/library/192.168.1.1", "tag", "", NULL, NULL},
    {"192.168.1.1:5000", "docker.io/library/192.168.1.1", "5000", "", NULL, NULL},
    {"192.168.1.1/repo", "192.168.1.1/repo", "", "", NULL, "192.168.1.1"},
    {"192.168.1.1:5000/repo", "192.168.1.1:5000/repo", "", "", NULL, "192.168.1.1:5000"},
    {"192.168.1.1:5000/repo:5050", "192.168.1.1:5000/repo", "5050", "", NULL, NULL},
    {"[2001:db8::1]", NULL, "", "", NULL, NULL},
    {"[2001:db8::1]:5000", NULL, "", "", NULL, NULL},
    {"[2001:db8::1]:tag", NULL, "", "", NULL, NULL},
    {"[2001:db8::1]/repo", "[2001:db8::1]/repo", "", "", NULL, "[2001:db8::1]"},
    {"[2001:db8:1:2:3:4:5:6]/repo:tag", "[2001:db8:1:2:3:4:5:6]/repo", "tag", "", NULL, NULL},
    {"[2001:db8::1]:5000/repo", "[2001:db8::1]:5000/repo", "", "", NULL, "[2001:db8::1]:5000"},
    {"[2001:db8::1]:5000/repo:tag", "[2001:db8::1]:5000/repo", "tag", "", NULL, NULL},
    {"[2001:db8::1]:5000/repo@sha256:" F64, "[2001:db8::1]:5000/repo", "", "sha256:" F64, NULL, NULL},
    {"[2001:db8::1]:5000/repo:tag@sha256:" F64, "[2001:db8::1]:5000/repo", "tag", "sha256:" F64, NULL, NULL},
    {"[2001:db8::]:5000/repo", "[2001:db8::]:5000/repo", "", "", NULL, NULL},
    {"[::1]:5000/repo", "[::1]:5000/repo", "", "", NULL, "[::1]:5000"},
    {"[fe80::1%eth0]:5000/repo", NULL, "", "", NULL, NULL},
    {"[fe80::1%@invalidzone]:5000/repo", NULL, "", "", NULL, NULL},
    /* normalize_test.go TestValidateReferenceName */
    {"docker/docker", "docker.io/docker/docker", "", "", "docker/docker", NULL},
    {"library/debian", "docker.io/library/debian", "", "", "debian", NULL},
    {"debian", "docker.io/library/debian", "", "", "debian", NULL},
    {"docker.io/docker/docker", "docker.io/docker/docker", "", "", "docker/docker", NULL},
    {"docker.io/library/debian", "docker.io/library/debian", "", "", "debian", NULL},
    {"docker.io/debian", "docker.io/library/debian", "", "", "debian", NULL},
    {"index.docker.io/docker/docker", "docker.io/docker/docker", "", "", NULL, "docker.io"},
    {"index.docker.io/library/debian", "docker.io/library/debian", "", "", "debian", NULL},
    {"index.docker.io/debian", "docker.io/library/debian", "", "", "debian", NULL},
    {"127.0.0.1:5000/docker/docker", "127.0.0.1:5000/docker/docker", "", "", "127.0.0.1:5000/docker/docker",
     NULL},
    {"127.0.0.1:5000/library/debian", "127.0.0.1:5000/library/debian", "", "",
     "127.0.0.1:5000/library/debian", NULL},
    {"127.0.0.1:5000/debian", "127.0.0.1:5000/debian", "", "", NULL, NULL},
    {"192.168.0.1", "docker.io/library/192.168.0.1", "", "", NULL, NULL},
    {"192.168.0.1:80", "docker.io/library/192.168.0.1", "80", "", NULL, NULL},
    {"192.168.0.1:8/debian", "192.168.0.1:8/debian", "", "", NULL, NULL},
    {"thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
     "docker.io/library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev", "", "", NULL,
     NULL},
    {"[fc00::1]:5000/docker", "[fc00::1]:5000/docker", "", "", NULL, NULL},
    {"[fc00::1]:5000/docker/docker", "[fc00::1]:5000/docker/docker", "", "", NULL, NULL},
    {"[fc00:1:2:3:4:5:6:7]:5000/library/debian", "[fc00:1:2:3:4:5:6:7]:5000/library/debian", "", "", NULL,
     NULL},
    {"docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
     "docker.io/library/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", "", "", NULL,
     NULL},
    {"Docker/docker", "Docker/docker", "", "", "Docker/docker", "Docker"},
    {"DOCKER/docker", "DOCKER/docker", "", "", NULL, "DOCKER"},
    {"https://github.com/docker/docker", NULL, "", "", NULL, NULL},
    {"docker/Docker", NULL, "", "", NULL, NULL},
    {"-docker", NULL, "", "", NULL, NULL},
    {"-docker/docker", NULL, "", "", NULL, NULL},
    {"-docker.io/docker/docker", NULL, "", "", NULL, NULL},
    {"docker///docker", NULL, "", "", NULL, NULL},
    {"docker.io/docker/Docker", NULL, "", "", NULL, NULL},
    {"docker.io/docker///docker", NULL, "", "", NULL, NULL},
    {"[fc00::1]", NULL, "", "", NULL, NULL},
    {"[fc00::1]:5000", NULL, "", "", NULL, NULL},
    {"fc00::1:5000/debian", NULL, "", "", NULL, NULL},
    {"[fe80::1%eth0]:5000/debian", NULL, "", "", NULL, NULL},
    {"[2001:db8:3:4::192.0.2.33]:5000/debian", NULL, "", "", NULL, NULL},
    {"1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", NULL, "", "", NULL, NULL},
    /* TestValidateRemoteName */
    {"docker-rules/docker", "docker.io/docker-rules/docker", "", "", NULL, NULL},
    {"docker---rules/docker", "docker.io/docker---rules/docker", "", "", NULL, NULL},
    {"d/docker", "docker.io/d/docker", "", "", NULL, NULL},
    {"jess/t", "docker.io/jess/t", "", "", NULL, NULL},
    {"dock__er/docker", "docker.io/dock__er/docker", "", "", NULL, NULL},
    {"docker-/docker", NULL, "", "", NULL, NULL},
    {"-docker-/docker", NULL, "", "", NULL, NULL},
    {"____/____", NULL, "", "", NULL, NULL},
    {"_docker/_docker", NULL, "", "", NULL, NULL},
    {"dock..er/docker", NULL, "", "", NULL, NULL},
    {"dock_.er/docker", NULL, "", "", NULL, NULL},
    {"dock-.er/docker", NULL, "", "", NULL, NULL},
    {"dock___er/docker", NULL, "", "", NULL, NULL},
    {"docker/", NULL, "", "", NULL, NULL},
    {"this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_"
     "because_"
     "its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_"
     "is_"
     "not_a_valid_namespace_because_its_lenth_is_greater_than_255/docker",
     NULL, "", "", NULL, NULL},
    /* TestParseRepositoryInfo / ParseAnyReference */
    {"library/ubuntu-12.04-base", "docker.io/library/ubuntu-12.04-base", "", "", "ubuntu-12.04-base", NULL},
    {"library/foo/bar", "docker.io/library/foo/bar", "", "", "library/foo/bar", NULL},
    {"docker.io/library/foo/bar", "docker.io/library/foo/bar", "", "", "library/foo/bar", NULL},
    {"other/library", "docker.io/other/library", "", "", "other/library", NULL},
    {"store/foo/bar", "docker.io/store/foo/bar", "", "", "store/foo/bar", NULL},
    {"Foo/bar", "Foo/bar", "", "", "Foo/bar", "Foo"},
    {"example.com:8000/privatebasee", "example.com:8000/privatebasee", "", "",
     "example.com:8000/privatebasee", NULL},
    {"busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa",
     "docker.io/library/busybox", "latest",
     "sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa", "busybox", NULL},
    {"redis@sha256:" D64, "docker.io/library/redis", "", "sha256:" D64, "redis", NULL},
    {"dmcgowan/myapp:latest", "docker.io/dmcgowan/myapp", "latest", "", "dmcgowan/myapp", NULL},
    {"dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9",
     "docker.io/library/dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9", "", "", NULL, NULL},
    {"sha256:" D64, "docker.io/library/sha256", D64, "", NULL,
     NULL}, /* as ParseNormalizedNamed: a name and tag */
    {"localhost/foo", "localhost/foo", "", "", "localhost/foo", "localhost"},
    {"localhost:5000/foo/bar:1.0", "localhost:5000/foo/bar", "1.0", "", NULL, "localhost:5000"},
    {"localhost", "docker.io/library/localhost", "", "", "localhost", NULL},
    {"test-com:8080/foo", "test-com:8080/foo", "", "", NULL, "test-com:8080"},
    /* digests and tags at their limits */
    {"repo@sha256:" F64 "f", NULL, "", "", NULL, NULL},
    {"repo@sha256:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", NULL, "", "", NULL,
     NULL},
    {"repo@sha384:" F64 "ffffffffffffffffffffffffffffffff", "docker.io/library/repo", "",
     "sha384:" F64 "ffffffffffffffffffffffffffffffff", NULL, NULL},
    {"repo@sha256:" F64 "@sha256:" F64, NULL, "", "", NULL, NULL},
    {"repo@", NULL, "", "", NULL, NULL},
    {"repo:", NULL, "", "", NULL, NULL},
    {"repo:-tag", NULL, "", "", NULL, NULL},
    {"repo:.tag", NULL, "", "", NULL, NULL},
    {"repo:_tag", "docker.io/library/repo", "_tag", "", NULL, NULL},
    {"repo:a:b", NULL, "", "", NULL, NULL},
    {"repo:tag/x", NULL, "", "", NULL, NULL},
    {"repo :tag", NULL, "", "", NULL, NULL},
    {"registry.example.com/models/fraud-detector:1.4.0", "registry.example.com/models/fraud-detector",
     "1.4.0", "", "registry.example.com/models/fraud-detector", "registry.example.com"},
    {"registry.example.com:443/models/fraud-detector@sha256:" D64,
     "registry.example.com:443/models/fraud-detector", "", "sha256:" D64, NULL, "registry.example.com:443"},
    {"docker.io/registry.example.com/x", "docker.io/registry.example.com/x", "", "",
     "docker.io/registry.example.com/x", NULL},
    {"foo_bar.com/x", NULL, "", "", NULL, NULL}, /* Go drops the domain here; we refuse */
    {"example.com./x", NULL, "", "", NULL, NULL},
    {"example.com:/x", NULL, "", "", NULL, NULL},
    {"example.com:80a/x", NULL, "", "", NULL, NULL},
    {"[]/x", NULL, "", "", NULL, NULL},
    {"[::1/x", NULL, "", "", NULL, NULL},
    {"a/b/", NULL, "", "", NULL, NULL},
    {"/a", NULL, "", "", NULL, NULL},
};

static void test_table(void **state) {
    (void)state;
    int failures = 0;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const ref_case *c = &cases[i];
        mg_imageref r;
        mg_error e;
        int rc = mg_imageref_parse(c->in, &r, &e);
        if (!c->name) {
            if (rc == 0) {
                printf("case %zu '%s': parsed as %s but must fail\n", i, c->in, r.name);
                failures++;
            } else if (e.message[0] == '\0') {
                printf("case %zu '%s': error without message\n", i, c->in);
                failures++;
            }
            continue;
        }
        if (rc != 0) {
            printf("case %zu '%s': unexpected error: %s\n", i, c->in, e.message);
            failures++;
            continue;
        }
        if (strcmp(r.name, c->name) || strcmp(r.tag, c->tag) || strcmp(r.digest, c->digest) ||
            (c->familiar && strcmp(r.familiar, c->familiar)) || (c->domain && strcmp(r.domain, c->domain))) {
            printf("case %zu '%s': got name=%s tag=%s digest=%s familiar=%s domain=%s\n", i, c->in, r.name,
                   r.tag, r.digest, r.familiar, r.domain);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

static void test_lengths(void **state) {
    (void)state;
    char buf[600];
    mg_imageref r;
    /* "a/" * 128 + "a:tag": 257 characters of name -> too long */
    size_t n = 0;
    for (int i = 0; i < 128; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "a/");
    snprintf(buf + n, sizeof(buf) - n, "a:tag");
    assert_int_equal(mg_imageref_parse(buf, &r, NULL), MG_EINVAL);
    /* "a/" * 127 + "a" is 255 characters on docker.io: docker.io/ pushes it over */
    n = 0;
    for (int i = 0; i < 122; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "a/");
    snprintf(buf + n, sizeof(buf) - n, "a:tag-puts-this-over-max");
    assert_int_equal(mg_imageref_parse(buf, &r, NULL), 0); /* 10 + 245 = 255 */
    assert_int_equal(strlen(r.name), 255);
    n = 0;
    for (int i = 0; i < 123; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "a/");
    snprintf(buf + n, sizeof(buf) - n, "a");
    assert_int_equal(mg_imageref_parse(buf, &r, NULL), MG_EINVAL);
    /* tag of 128 is fine, 129 is not */
    n = (size_t)snprintf(buf, sizeof(buf), "repo:");
    memset(buf + n, 't', 128);
    buf[n + 128] = '\0';
    assert_int_equal(mg_imageref_parse(buf, &r, NULL), 0);
    assert_int_equal(strlen(r.tag), 128);
    buf[n + 128] = 't';
    buf[n + 129] = '\0';
    assert_int_equal(mg_imageref_parse(buf, &r, NULL), MG_EINVAL);
    /* inputs over the cap are refused before parsing */
    char big[MG_IMAGEREF_INPUT_MAX + 10];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(mg_imageref_parse(big, &r, NULL), MG_EINVAL);
    assert_int_equal(mg_imageref_parse(NULL, &r, NULL), MG_EINVAL);
}

static void test_errors_say_why(void **state) {
    (void)state;
    mg_imageref r;
    mg_error e;
    assert_int_equal(mg_imageref_parse("repo@sha256:ffffffffffffffffffffffffffffffffff", &r, &e), MG_EINVAL);
    assert_non_null(strstr(e.message, "length"));
    assert_int_equal(mg_imageref_parse("validname@invaliddigest:" F64, &r, &e), MG_EINVAL);
    assert_non_null(strstr(e.message, "unsupported"));
    assert_int_equal(mg_imageref_parse("Uppercase:tag", &r, &e), MG_EINVAL);
    assert_non_null(strstr(e.message, "lowercase"));
    assert_int_equal(mg_imageref_parse("", &r, &e), MG_EINVAL);
    assert_non_null(strstr(e.message, "at least one component"));
}

static void test_format(void **state) {
    (void)state;
    mg_imageref r;
    char out[512];
    assert_int_equal(mg_imageref_parse("busybox:1.36@sha256:" D64, &r, NULL), 0);
    mg_imageref_format(&r, false, out, sizeof(out));
    assert_string_equal(out, "docker.io/library/busybox:1.36@sha256:" D64);
    mg_imageref_format(&r, true, out, sizeof(out));
    assert_string_equal(out, "busybox:1.36@sha256:" D64);
    assert_int_equal(mg_imageref_parse("localhost:5000/m/x", &r, NULL), 0);
    size_t need = mg_imageref_format(&r, true, out, 5);
    assert_int_equal(need, strlen("localhost:5000/m/x"));
    assert_string_equal(out, "loca");
    assert_int_equal(mg_imageref_normalize_repo("ubuntu", out, sizeof(out), NULL), 0);
    assert_string_equal(out, "docker.io/library/ubuntu");
    assert_int_equal(mg_imageref_normalize_repo("index.docker.io/org/x", out, sizeof(out), NULL), 0);
    assert_string_equal(out, "docker.io/org/x");
    assert_int_equal(mg_imageref_normalize_repo("r.io/m/x:1", out, sizeof(out), NULL), MG_EINVAL);
    assert_true(mg_imageref_is_sha256_digest("sha256:" D64));
    assert_false(mg_imageref_is_sha256_digest("sha256:" D64 "0"));
    assert_false(mg_imageref_is_sha256_digest("sha512:" D64));
    assert_false(mg_imageref_is_sha256_digest(NULL));
}

typedef struct {
    const char *image, *prefix;
    int expect; /* 1 under, 0 not */
} prefix_case;

static const prefix_case pcases[] = {
    {"registry.example.com/models/fraud:1", "registry.example.com/models/", 1},
    {"registry.example.com/models/fraud:1", "registry.example.com/models", 1},
    {"registry.example.com/models/fraud:1", "registry.example.com/models//", 1},
    {"registry.example.com/models/a/b@sha256:" D64, "registry.example.com/models/", 1},
    {"registry.example.com/models-old/fraud:1", "registry.example.com/models/", 0},
    {"registry.example.com/models", "registry.example.com/models/", 1},
    {"registry.example.com/model/x", "registry.example.com/models/", 0},
    {"REGISTRY.example.com/models/x", "registry.example.com/models/", 1}, /* domains are case-insensitive */
    {"registry.example.com:5000/models/x", "registry.example.com/models/", 0},
    {"registry.example.com/models/x", "registry.example.com", 1},
    {"other.example.com/models/x", "registry.example.com", 0},
    {"localhost:5000/m/x:1", "localhost:5000", 1},
    {"localhost:5000/m/x:1", "localhost:5000/m/", 1},
    {"localhost:5001/m/x:1", "localhost:5000/m/", 0},
    {"myorg/model:1", "myorg/", 1},
    {"docker.io/myorg/model:1", "myorg", 1},
    {"index.docker.io/myorg/model:1", "docker.io/myorg/", 1},
    {"myorg/model:1", "index.docker.io/myorg", 1},
    {"myorgx/model:1", "myorg/", 0},
    {"ubuntu", "library/", 1},
    {"[::1]:5000/models/x", "[::1]:5000/models/", 1},
    {"registry.example.com/models/x", "", 0},
    {"registry.example.com/models/x", "/", 0},
    {"registry.example.com/models/x", "bad_domain.com/models", 0},
    {"registry.example.com/models/x", "registry.example.com/Models", 0},
};

static void test_prefix(void **state) {
    (void)state;
    int failures = 0;
    for (size_t i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++) {
        mg_imageref r;
        assert_int_equal(mg_imageref_parse(pcases[i].image, &r, NULL), 0);
        bool got = mg_imageref_under_prefix(&r, pcases[i].prefix);
        if ((int)got != pcases[i].expect) {
            printf("prefix case %zu: %s under %s: got %d\n", i, pcases[i].image, pcases[i].prefix, (int)got);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
    assert_true(mg_imageref_prefix_valid("registry.example.com/models/"));
    assert_false(mg_imageref_prefix_valid(""));
    assert_false(mg_imageref_prefix_valid("https://registry.example.com/models"));
    assert_false(mg_imageref_under_prefix(NULL, "x"));
}

/* Canonical identity: each spelling names the registry (and repository) of the expected form. */
static const struct {
    const char *in, *canonical;
} canon_cases[] = {
    {"localhost:5000/models/x", "localhost:5000/models/x"},
    {"127.0.0.1:5000/models/x", "localhost:5000/models/x"},
    {"127.0.0.2:5000/models/x", "localhost:5000/models/x"},
    {"127.1:5000/models/x", "localhost:5000/models/x"},
    {"0x7f.0.0.1:5000/models/x", "localhost:5000/models/x"},
    {"2130706433:5000/models/x", "localhost:5000/models/x"},
    {"0177.0.0.1:5000/models/x", "localhost:5000/models/x"},
    {"0.0.0.0:5000/models/x", "localhost:5000/models/x"},
    {"[::1]:5000/models/x", "localhost:5000/models/x"},
    {"[0:0:0:0:0:0:0:1]:5000/models/x", "localhost:5000/models/x"},
    {"[::ffff:7f00:1]:5000/models/x", "localhost:5000/models/x"},
    {"[::]:5000/models/x", "localhost:5000/models/x"},
    {"LocalHost:5000/models/x", "localhost:5000/models/x"},
    {"localhost:05000/models/x", "localhost:5000/models/x"},
    {"localhost:0005000/models/x@sha256:" D64, "localhost:5000/models/x"},
    {"Registry.Example.COM/models/x:1", "registry.example.com/models/x"},
    {"registry.example.com:443/models/x", "registry.example.com/models/x"},
    {"registry.example.com:0443/models/x", "registry.example.com/models/x"},
    {"registry.example.com:80/models/x", "registry.example.com/models/x"},
    {"registry.example.com:8443/models/x", "registry.example.com:8443/models/x"},
    {"registry.example.com:0/models/x", "registry.example.com:0/models/x"},
    {"registry.example.com:999999/models/x", "registry.example.com:999999/models/x"},
    {"10.1:5000/models/x", "10.0.0.1:5000/models/x"},
    {"10.0.0.1/models/x", "10.0.0.1/models/x"},
    {"[2001:DB8:0:0::1]:5000/m/x", "[2001:db8::1]:5000/m/x"},
    {"[::ffff:a00:1]/m/x", "10.0.0.1/m/x"},
    {"[::ffff:a00]/m/x", "[::ffff:a00]/m/x"},
    {"[0:0:1:0:0:0:1:0]/m/x", "[0:0:1::1:0]/m/x"},
    {"[1:0:0:1:0:0:1:1]/m/x", "[1::1:0:0:1:1]/m/x"},
    {"[fe80:0:0:0:0:0:0:0]/m/x", "[fe80::]/m/x"},
    {"[1:2:3:4:5:6:7:8]/m/x", "[1:2:3:4:5:6:7:8]/m/x"},
    {"[1:0:2:3:4:5:6:7]/m/x", "[1:0:2:3:4:5:6:7]/m/x"},
    {"busybox", "docker.io/library/busybox"},
    {"docker.io/busybox", "docker.io/library/busybox"},
    {"index.docker.io/library/busybox", "docker.io/library/busybox"},
    {"registry-1.docker.io/library/busybox", "docker.io/library/busybox"},
    {"registry-1.docker.io/busybox", "docker.io/library/busybox"},
    {"Registry.Hub.Docker.com/myorg/app", "docker.io/myorg/app"},
    {"docker.io:443/myorg/app", "docker.io/myorg/app"},
    {"deadbeef.example/x", "deadbeef.example/x"},
    {"1.2.3.4.example/x", "1.2.3.4.example/x"},
};

static void test_canonical(void **state) {
    (void)state;
    int failures = 0;
    for (size_t i = 0; i < sizeof(canon_cases) / sizeof(canon_cases[0]); i++) {
        mg_imageref r;
        mg_error err;
        if (mg_imageref_parse(canon_cases[i].in, &r, &err) != 0) {
            printf("canonical case %s: does not parse: %s\n", canon_cases[i].in, err.message);
            failures++;
            continue;
        }
        if (strcmp(r.canonical, canon_cases[i].canonical) != 0) {
            printf("canonical case %s: got %s, want %s\n", canon_cases[i].in, r.canonical,
                   canon_cases[i].canonical);
            failures++;
        }
        /* idempotent: the canonical name is its own canonical name */
        mg_imageref again;
        if (mg_imageref_parse(r.canonical, &again, NULL) != 0 || strcmp(again.canonical, r.canonical) != 0) {
            printf("canonical case %s: %s is not stable\n", canon_cases[i].in, r.canonical);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
    char host[MG_IMAGEREF_CANON_MAX + 1];
    assert_int_equal(mg_imageref_canonical_host("LOCALHOST:00080", host, sizeof host), 0);
    assert_string_equal(host, "localhost");
    assert_int_equal(mg_imageref_canonical_host("bad_host", host, sizeof host), MG_EINVAL);
    assert_int_equal(mg_imageref_canonical_host("registry.example.com", host, 4), MG_ETOOBIG);
    /* prefixes compare by canonical host */
    mg_imageref r;
    assert_int_equal(mg_imageref_parse("127.0.0.1:05000/models/fraud:1", &r, NULL), 0);
    assert_true(mg_imageref_under_prefix(&r, "localhost:5000/models/"));
    assert_true(mg_imageref_under_prefix(&r, "[::1]:5000/models"));
    assert_false(mg_imageref_under_prefix(&r, "localhost:5001/models"));
    assert_int_equal(mg_imageref_parse("REGISTRY.example.com:443/models/fraud:1", &r, NULL), 0);
    assert_true(mg_imageref_under_prefix(&r, "registry.example.com/models/"));
    assert_int_equal(mg_imageref_parse("index.docker.io/myorg/m", &r, NULL), 0);
    assert_true(mg_imageref_under_prefix(&r, "myorg/"));
    assert_true(mg_imageref_under_prefix(&r, "registry-1.docker.io/myorg"));
}

/* The fuzzer's finding: "docker.io/" + 64 hex parsed while its familiar form did not. */
static void test_hex64_familiar(void **state) {
    (void)state;
    mg_imageref r, back;
    char fam[600];
    assert_int_equal(mg_imageref_parse("docker.io/" D64, &r, NULL), 0);
    assert_string_equal(r.name, "docker.io/library/" D64);
    assert_string_equal(r.familiar, "docker.io/library/" D64);
    mg_imageref_format(&r, true, fam, sizeof fam);
    assert_int_equal(mg_imageref_parse(fam, &back, NULL), 0);
    assert_string_equal(back.name, r.name);
    assert_int_equal(mg_imageref_parse("docker.io/library/" D64 ":v1", &r, NULL), 0);
    mg_imageref_format(&r, true, fam, sizeof fam);
    assert_int_equal(mg_imageref_parse(fam, &back, NULL), 0);
    assert_string_equal(back.familiar, r.familiar);
    assert_int_not_equal(mg_imageref_parse(D64, &r, NULL), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),          cmocka_unit_test(test_lengths),
        cmocka_unit_test(test_errors_say_why), cmocka_unit_test(test_format),
        cmocka_unit_test(test_prefix),         cmocka_unit_test(test_canonical),
        cmocka_unit_test(test_hex64_familiar),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
