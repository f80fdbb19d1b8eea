/* libFuzzer target for canonical image identity (policy/imageref canonical names, policy/identity
 * with a registry alias): for any reference that parses,
 *  - its canonical name is a fixed point (parses, and canonicalises to itself) when it is a
 *    reference at all (not past the name length cap, see single_label_host);
 *  - respelling its registry the ways issue-free clients do (host letters in other case, the port
 *    zero-padded, the default port written out, loopback written as 127.0.0.1 or [::1]) never
 *    changes the canonical name;
 *  - with a registry configured whose alias is "alias.fuzz.example:5000", the reference spelled
 *    through the alias is known under the reference's own canonical name, and both lie under a
 *    modelRepositories prefix made of the reference's name. */
#include <ctype.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/config.h"
#include "policy/identity.h"
#include "policy/imageref.h"

#define ALIAS "alias.fuzz.example:5000"

/* The canonical name of text, or abort when it does not parse. */
static void canonical_of(const char *text, char *out, size_t cap) {
    mg_imageref r;
    if (mg_imageref_parse(text, &r, NULL) != 0) abort();
    snprintf(out, cap, "%s", r.canonical);
}

/* Splits "host[:port]" into host and port ("" when none). */
static void split_domain(const char *domain, char *host, size_t hcap, char *port, size_t pcap) {
    const char *colon = domain[0] == '[' ? strstr(domain, "]:") : strrchr(domain, ':');
    if (colon && domain[0] == '[') colon++;
    size_t hl = colon ? (size_t)(colon - domain) : strlen(domain);
    snprintf(host, hcap, "%.*s", (int)hl, domain);
    snprintf(port, pcap, "%s", colon ? colon + 1 : "");
}

static bool single_label_host(const mg_imageref *r) {
    const char *slash = strchr(r->canonical, '/');
    size_t n = (size_t)(slash - r->canonical);
    return !memchr(r->canonical, '.', n) && !memchr(r->canonical, ':', n) &&
           strncmp(r->canonical, "localhost/", 10);
}

static void respelled(const mg_imageref *r, const char *domain, const char *want) {
    char text[2048], got[MG_IMAGEREF_CANON_MAX + 1];
    snprintf(text, sizeof text, "%s/%s%s%s", domain, r->path, r->tag[0] ? ":" : "", r->tag);
    mg_imageref again;
    if (mg_imageref_parse(text, &again, NULL) != 0) return; /* e.g. a longer name past the cap */
    canonical_of(text, got, sizeof got);
    if (strcmp(got, want) != 0) abort();
}

static void respellings(const mg_imageref *r) {
    if (strcmp(r->domain, "docker.io") == 0) return; /* the domain was implied, not written */
    char host[300], port[300], d[700];
    split_domain(r->domain, host, sizeof host, port, sizeof port);
    for (char *p = host; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    snprintf(d, sizeof d, "%s%s%s", host, port[0] ? ":" : "", port);
    respelled(r, d, r->canonical);
    for (char *p = host; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    snprintf(d, sizeof d, "%s:00%s", host, port[0] ? port : "443");
    respelled(r, d, r->canonical);
    const char *slash = strchr(r->canonical, '/');
    if (strncmp(r->canonical, "localhost", 9) == 0 && (r->canonical[9] == '/' || r->canonical[9] == ':')) {
        const char *rest = r->canonical + 9; /* ":port/path" or "/path" */
        size_t pl = (size_t)(slash - rest);
        snprintf(d, sizeof d, "127.0.0.1%.*s", (int)pl, rest);
        respelled(r, d, r->canonical);
        snprintf(d, sizeof d, "[::1]%.*s", (int)pl, rest);
        respelled(r, d, r->canonical);
    }
}

static void through_alias(const mg_imageref *r) {
    char host[MG_IMAGEREF_CANON_MAX + 1];
    const char *slash = strchr(r->canonical, '/');
    snprintf(host, sizeof host, "%.*s", (int)(slash - r->canonical), r->canonical);
    if (strcmp(host, ALIAS) == 0) return;
    /* the prefix and host as written: a canonical name need not parse back (single_label_host) */
    json_t *doc = json_pack("{s:[s], s:[{s:s, s:[s]}]}", "modelRepositories", r->name, "registries", "host",
                            r->domain, "aliases", ALIAS);
    mg_policy_config cfg;
    mg_error err;
    int rc = mg_policy_config_from_json(doc, "fuzz", &cfg, &err);
    json_decref(doc);
    if (rc != 0) return; /* e.g. the canonical name is not a valid prefix (too long) */
    char text[2048];
    snprintf(text, sizeof text, "%s/%s%s%s", ALIAS, slash + 1, r->tag[0] ? ":" : "", r->tag);
    mg_identity id;
    if (mg_identity_parse(&cfg, text, &id, NULL) == 0) {
        bool known = false;
        for (size_t i = 0; i < id.n; i++)
            known = known || strcmp(id.names[i], r->canonical) == 0;
        if (!known || !mg_identity_is_model_repository(&cfg, &id.ref)) abort();
    }
    if (!mg_identity_is_model_repository(&cfg, r)) abort();
    mg_policy_config_free(&cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 1024) return 0;
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    mg_imageref r;
    if (mg_imageref_parse(s, &r, NULL) == 0) {
        /* a one-label host made a domain only by its capitals ("Registry/x", "[EEEE]/x") reads as
         * a Docker Hub path once lower-cased: the canonical name is a key, not a reference, there */
        if (!single_label_host(&r) && strlen(r.canonical) <= MG_IMAGEREF_NAME_MAX) {
            char again[MG_IMAGEREF_CANON_MAX + 1];
            canonical_of(r.canonical, again, sizeof again);
            if (strcmp(again, r.canonical) != 0) abort();
        }
        respellings(&r);
        through_alias(&r);
    }
    free(s);
    return 0;
}
