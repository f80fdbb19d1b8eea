/* policy/imageref — see imageref.h for the grammar and the normalisation rules. */
#include "policy/imageref.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_DOMAIN "docker.io"
#define LEGACY_DOMAIN "index.docker.io"
#define OFFICIAL_PREFIX "library/"
#define LOOPBACK_HOST "localhost"
#define HTTPS_PORT 443
#define HTTP_PORT 80
#define PORT_DIGITS_MAX 5 /* a port above 99999 is kept as written: nothing listens there */

/* Docker Hub's names: its registry answers at registry-1.docker.io. */
static const char *const hub_hosts[] = {"docker.io", "index.docker.io", "registry-1.docker.io",
                                        "registry.hub.docker.com"};

static bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
static bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }
static bool is_word(char c) { return is_alnum(c) || c == '_'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_xdigit(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
static bool is_lower_xdigit(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }
static bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }

static bool has_upper(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (is_upper(s[i])) return true;
    return false;
}

/* pathComponent = [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )* */
static bool valid_path_component(const char *s, size_t n) {
    size_t i = 0;
    if (n == 0 || !is_lower_alnum(s[0])) return false;
    while (i < n) {
        if (is_lower_alnum(s[i])) {
            i++;
            continue;
        }
        size_t start = i;
        if (s[i] == '.') {
            i++;
        } else if (s[i] == '_') {
            i++;
            if (i < n && s[i] == '_') i++;
        } else if (s[i] == '-') {
            while (i < n && s[i] == '-')
                i++;
        } else {
            return false;
        }
        if (i == start || i >= n || !is_lower_alnum(s[i])) return false;
    }
    return true;
}

/* remoteName = pathComponent ( "/" pathComponent )* ; an empty string is not a path. */
static bool valid_path(const char *s, size_t n) {
    size_t start = 0;
    if (n == 0) return false;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '/') {
            if (!valid_path_component(s + start, i - start)) return false;
            start = i + 1;
        }
    }
    return true;
}

/* domainNameComponent = [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9] */
static bool valid_domain_component(const char *s, size_t n) {
    if (n == 0 || !is_alnum(s[0]) || !is_alnum(s[n - 1])) return false;
    for (size_t i = 0; i < n; i++)
        if (!is_alnum(s[i]) && s[i] != '-') return false;
    return true;
}

/* domainAndPort = ( domainName | "[" [a-fA-F0-9:]+ "]" ) ( ":" [0-9]+ )? */
static bool valid_domain(const char *s, size_t n) {
    size_t hostlen;
    if (n == 0) return false;
    if (s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close || close == s + 1) return false;
        for (const char *p = s + 1; p < close; p++)
            if (!is_xdigit(*p) && *p != ':') return false;
        hostlen = (size_t)(close - s) + 1;
    } else {
        const char *colon = memchr(s, ':', n);
        hostlen = colon ? (size_t)(colon - s) : n;
        size_t start = 0;
        if (hostlen == 0) return false;
        for (size_t i = 0; i <= hostlen; i++) {
            if (i == hostlen || s[i] == '.') {
                if (!valid_domain_component(s + start, i - start)) return false;
                start = i + 1;
            }
        }
    }
    if (hostlen == n) return true;
    if (s[hostlen] != ':' || hostlen + 1 == n) return false;
    for (size_t i = hostlen + 1; i < n; i++)
        if (!is_digit(s[i])) return false;
    return true;
}

/* tag = [\w][\w.-]{0,127} */
static bool valid_tag(const char *s, size_t n) {
    if (n == 0 || n > MG_IMAGEREF_TAG_MAX || !is_word(s[0])) return false;
    for (size_t i = 1; i < n; i++)
        if (!is_word(s[i]) && s[i] != '.' && s[i] != '-') return false;
    return true;
}

/* digest grammar: [A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)* ":" [[:xdigit:]]{32,}; then the
 * algorithm must be one we know, with its exact lowercase hex length (go-digest's Validate). */
static int check_digest(const char *s, size_t n, mg_error *err) {
    const char *colon = memchr(s, ':', n);
    if (!colon) return mg_error_set(err, MG_EINVAL, "invalid reference format: digest has no algorithm");
    size_t alen = (size_t)(colon - s), hlen = n - alen - 1;
    const char *hex = colon + 1;
    bool need_alpha = true;
    for (size_t i = 0; i < alen; i++) {
        char c = s[i];
        if (need_alpha) {
            if (!((c >= 'a' && c <= 'z') || is_upper(c))) goto bad;
            need_alpha = false;
        } else if (c == '-' || c == '_' || c == '+' || c == '.') {
            need_alpha = true;
        } else if (!is_alnum(c)) {
            goto bad;
        }
    }
    if (alen == 0 || need_alpha || hlen < 32) goto bad;
    for (size_t i = 0; i < hlen; i++)
        if (!is_xdigit(hex[i])) goto bad;
    size_t want;
    if (alen == 6 && memcmp(s, "sha256", 6) == 0)
        want = 64;
    else if (alen == 6 && memcmp(s, "sha384", 6) == 0)
        want = 96;
    else if (alen == 6 && memcmp(s, "sha512", 6) == 0)
        want = 128;
    else
        return mg_error_set(err, MG_EINVAL, "unsupported digest algorithm '%.*s'", (int)alen, s);
    if (hlen != want)
        return mg_error_set(err, MG_EINVAL, "invalid digest length: %.*s needs %zu hex digits, got %zu",
                            (int)alen, s, want, hlen);
    for (size_t i = 0; i < hlen; i++)
        if (!is_lower_xdigit(hex[i]))
            return mg_error_set(err, MG_EINVAL, "invalid digest: hex digits must be lowercase");
    return 0;
bad:
    return mg_error_set(err, MG_EINVAL, "invalid reference format: malformed digest '%.*s'",
                        (int)(n > 80 ? 80 : n), s);
}

/* Copies n bytes of s into a fixed buffer of size cap (n < cap is checked by the caller). */
static void put(char *dst, size_t cap, const char *s, size_t n) {
    if (n >= cap) n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* Docker's splitDockerDomain: decides whether the first component is a registry domain. */
static bool looks_like_domain(const char *s, size_t n) {
    if (n == 9 && memcmp(s, "localhost", 9) == 0) return true;
    if (memchr(s, '.', n) || memchr(s, ':', n)) return true;
    return has_upper(s, n);
}

static bool is_hex64(const char *s) {
    size_t n = strlen(s);
    if (n != 64) return false;
    for (size_t i = 0; i < n; i++)
        if (!is_lower_xdigit(s[i])) return false;
    return true;
}

/* ---- canonical identity ------------------------------------------------------------------------ */

/* An IPv4 address as the canonical host: loopback and unspecified → localhost, else dotted. */
static void canon_ipv4(struct in_addr a, char *out, size_t cap) {
    uint32_t h = ntohl(a.s_addr);
    if ((h >> 24) == 127 || h == 0)
        snprintf(out, cap, "%s", LOOPBACK_HOST);
    else
        snprintf(out, cap, "%u.%u.%u.%u", h >> 24, (h >> 16) & 0xff, (h >> 8) & 0xff, h & 0xff);
}

/* RFC 5952 text of an IPv6 address: lower-case hex groups, the longest run of two or more zero
 * groups (the first of equal runs) as "::". Unlike inet_ntop, never the dotted IPv4 tail, which
 * the reference grammar does not allow inside brackets. */
static void format_ipv6(const struct in6_addr *a, char *out, size_t cap) {
    unsigned g[8];
    for (int i = 0; i < 8; i++)
        g[i] = (unsigned)a->s6_addr[2 * i] << 8 | a->s6_addr[2 * i + 1];
    int best = -1, best_len = 1;
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && g[j] == 0)
            j++;
        if (j - i > best_len) {
            best = i;
            best_len = j - i;
        }
        i = j > i ? j : i + 1;
    }
    size_t n = 0;
    for (int i = 0; i < 8 && n < cap; i++) {
        if (i == best) {
            n += (size_t)snprintf(out + n, cap - n, "::");
            i += best_len - 1;
            continue;
        }
        bool after_gap = n > 0 && out[n - 1] == ':';
        n += (size_t)snprintf(out + n, cap - n, "%s%x", n && !after_gap ? ":" : "", g[i]);
    }
}

/* The canonical form of the host part (no port), lower-cased already. */
static void canon_hostpart(const char *host, char *out, size_t cap) {
    size_t n = strlen(host);
    if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
        char inner[64];
        struct in6_addr a6;
        if (n - 2 < sizeof inner) {
            memcpy(inner, host + 1, n - 2);
            inner[n - 2] = '\0';
            if (inet_pton(AF_INET6, inner, &a6) == 1) {
                if (IN6_IS_ADDR_V4MAPPED(&a6)) {
                    struct in_addr a4;
                    memcpy(&a4.s_addr, a6.s6_addr + 12, 4);
                    return canon_ipv4(a4, out, cap);
                }
                if (IN6_IS_ADDR_LOOPBACK(&a6) || IN6_IS_ADDR_UNSPECIFIED(&a6)) {
                    snprintf(out, cap, "%s", LOOPBACK_HOST);
                    return;
                }
                char text[INET6_ADDRSTRLEN];
                format_ipv6(&a6, text, sizeof text);
                snprintf(out, cap, "[%s]", text);
                return;
            }
        }
        snprintf(out, cap, "%s", host);
        return;
    }
    struct in_addr a4;
    if (inet_aton(host, &a4) == 1) return canon_ipv4(a4, out, cap);
    for (size_t i = 0; i < sizeof hub_hosts / sizeof hub_hosts[0]; i++)
        if (!strcmp(host, hub_hosts[i])) {
            snprintf(out, cap, "%s", DEFAULT_DOMAIN);
            return;
        }
    snprintf(out, cap, "%s", host);
}

/* canonical host of domain[0..n) (a valid domain) into out */
static int canon_host_n(const char *domain, size_t n, char *out, size_t cap) {
    char host[MG_IMAGEREF_NAME_MAX + 1], hc[MG_IMAGEREF_CANON_MAX + 1];
    size_t hl = n;
    if (domain[0] == '[') {
        const char *close = memchr(domain, ']', n);
        hl = (size_t)(close - domain) + 1;
    } else {
        const char *colon = memchr(domain, ':', n);
        if (colon) hl = (size_t)(colon - domain);
    }
    if (hl > MG_IMAGEREF_NAME_MAX) return MG_EINVAL;
    for (size_t i = 0; i < hl; i++)
        host[i] = (char)(is_upper(domain[i]) ? domain[i] - 'A' + 'a' : domain[i]);
    host[hl] = '\0';
    canon_hostpart(host, hc, sizeof hc);
    const char *port = hl < n ? domain + hl + 1 : NULL;
    size_t pl = port ? n - hl - 1 : 0;
    while (pl > 1 && port[0] == '0') {
        port++;
        pl--;
    }
    long value = -1;
    if (port && pl <= PORT_DIGITS_MAX) value = strtol(port, NULL, 10);
    int w = (!port || value == HTTPS_PORT || value == HTTP_PORT)
                ? snprintf(out, cap, "%s", hc)
                : snprintf(out, cap, "%s:%.*s", hc, (int)pl, port);
    return w < 0 || (size_t)w >= cap ? MG_ETOOBIG : 0;
}

int mg_imageref_canonical_host(const char *domain, char *out, size_t outlen) {
    if (!domain || !valid_domain(domain, strlen(domain))) return MG_EINVAL;
    return canon_host_n(domain, strlen(domain), out, outlen);
}

/* canonical host "/" path; a single component on Docker Hub is an official image. */
static int canonical_name(const char *domain, const char *path, char *out, size_t cap) {
    char host[MG_IMAGEREF_CANON_MAX + 1];
    int rc = canon_host_n(domain, strlen(domain), host, sizeof host);
    if (rc) return rc;
    bool official = !strcmp(host, DEFAULT_DOMAIN) && !strchr(path, '/');
    int w = snprintf(out, cap, "%s/%s%s", host, official ? OFFICIAL_PREFIX : "", path);
    return w < 0 || (size_t)w >= cap ? MG_ETOOBIG : 0;
}

/* out->familiar from out's domain, path and name: Docker Hub's names without docker.io/ and
 * library/, every other name in full. */
static void set_familiar(mg_imageref *out) {
    if (strcmp(out->domain, DEFAULT_DOMAIN) != 0) {
        snprintf(out->familiar, sizeof(out->familiar), "%s", out->name);
        return;
    }
    const char *p = out->path;
    if (strncmp(p, OFFICIAL_PREFIX, strlen(OFFICIAL_PREFIX)) == 0 &&
        !strchr(p + strlen(OFFICIAL_PREFIX), '/'))
        p += strlen(OFFICIAL_PREFIX);
    /* stay unambiguous: "docker.io/example.com/x" must not shorten to "example.com/x" (Go's
     * FamiliarName does; its result then parses as another registry) */
    const char *slash = strchr(p, '/');
    size_t first = slash ? (size_t)(slash - p) : strlen(p);
    if (slash && looks_like_domain(p, first)) p = out->name;
    /* nor to a 64-hex string, which reads as an image ID and does not parse as a name */
    if (is_hex64(p)) p = out->name;
    snprintf(out->familiar, sizeof(out->familiar), "%s", p);
}

/* The registry domain of s (docker.io when s names none; index.docker.io is docker.io) and the rest
 * after it. A first component is a domain when it looks like one (a dot, a port, localhost). */
static void split_domain(const char *s, const char **domain, size_t *dlen, const char **rest) {
    *domain = DEFAULT_DOMAIN;
    *dlen = strlen(DEFAULT_DOMAIN);
    *rest = s;
    const char *slash = strchr(s, '/');
    if (!slash || !looks_like_domain(s, (size_t)(slash - s))) return;
    *rest = slash + 1;
    if ((size_t)(slash - s) == strlen(LEGACY_DOMAIN) && memcmp(s, LEGACY_DOMAIN, strlen(LEGACY_DOMAIN)) == 0)
        return;
    *domain = s;
    *dlen = (size_t)(slash - s);
}

/* The digest after '@' (dg), checked, into out->digest. */
static int parse_digest(const char *dg, mg_imageref *out, mg_error *err) {
    size_t glen = strlen(dg);
    if (memchr(dg, '@', glen))
        return mg_error_set(err, MG_EINVAL, "invalid reference format: more than one '@'");
    int rc = check_digest(dg, glen, err);
    if (rc == 0) put(out->digest, sizeof(out->digest), dg, glen);
    return rc;
}

/* How much of a bad part an error message quotes. */
#define QUOTE_MAX 80
#define QUOTE_TAG_MAX 140

int mg_imageref_parse(const char *s, mg_imageref *out, mg_error *err) {
    memset(out, 0, sizeof(*out));
    if (!s || !*s) return mg_error_set(err, MG_EINVAL, "repository name must have at least one component");
    size_t len = strlen(s);
    if (len > MG_IMAGEREF_INPUT_MAX)
        return mg_error_set(err, MG_EINVAL, "image reference is longer than %d bytes", MG_IMAGEREF_INPUT_MAX);
    if (is_hex64(s))
        return mg_error_set(err, MG_EINVAL,
                            "invalid repository name (%s), cannot specify 64-byte hexadecimal strings", s);

    const char *domain, *rest;
    size_t dlen;
    split_domain(s, &domain, &dlen, &rest);
    bool add_library;

    /* rest = path [":" tag] ["@" digest] */
    const char *at = strchr(rest, '@');
    size_t before = at ? (size_t)(at - rest) : strlen(rest);
    const char *colon = memchr(rest, ':', before);
    size_t plen = colon ? (size_t)(colon - rest) : before;
    const char *tag = colon ? colon + 1 : NULL;
    size_t tlen = colon ? before - plen - 1 : 0;

    if (has_upper(rest, plen)) {
        mg_error_set(err, MG_EINVAL, "invalid reference format: repository name (%.*s) must be lowercase",
                     (int)plen, rest);
        goto fail;
    }
    if (!valid_path(rest, plen)) {
        mg_error_set(err, MG_EINVAL, "invalid reference format: bad repository path '%.*s'",
                     (int)(plen > QUOTE_MAX ? QUOTE_MAX : plen), rest);
        goto fail;
    }
    if (!valid_domain(domain, dlen)) {
        mg_error_set(err, MG_EINVAL, "invalid reference format: bad registry domain '%.*s'",
                     (int)(dlen > QUOTE_MAX ? QUOTE_MAX : dlen), domain);
        goto fail;
    }
    /* a single component on Docker Hub is an official image: library/NAME */
    add_library = dlen == strlen(DEFAULT_DOMAIN) && memcmp(domain, DEFAULT_DOMAIN, dlen) == 0 &&
                  !memchr(rest, '/', plen);
    size_t full_path = plen + (add_library ? strlen(OFFICIAL_PREFIX) : 0);
    if (dlen + 1 + full_path > MG_IMAGEREF_NAME_MAX) {
        mg_error_set(err, MG_EINVAL, "repository name must not be more than %d characters",
                     MG_IMAGEREF_NAME_MAX);
        goto fail;
    }
    if (colon && !valid_tag(tag, tlen)) {
        mg_error_set(err, MG_EINVAL, "invalid reference format: bad tag '%.*s'",
                     (int)(tlen > QUOTE_TAG_MAX ? QUOTE_TAG_MAX : tlen), tag);
        goto fail;
    }
    if (at && parse_digest(at + 1, out, err) != 0) goto fail;
    put(out->domain, sizeof(out->domain), domain, dlen);
    snprintf(out->path, sizeof(out->path), "%s%.*s", add_library ? OFFICIAL_PREFIX : "", (int)plen, rest);
    snprintf(out->name, sizeof(out->name), "%s/%s", out->domain, out->path);
    if (colon) put(out->tag, sizeof(out->tag), tag, tlen);
    set_familiar(out);
    if (canonical_name(out->domain, out->path, out->canonical, sizeof(out->canonical)) != 0) {
        mg_error_set(err, MG_EINVAL, "invalid reference format: bad registry domain '%s'", out->domain);
        goto fail;
    }
    return 0;
fail:
    memset(out, 0, sizeof(*out));
    return MG_EINVAL;
}

size_t mg_imageref_format(const mg_imageref *ref, bool familiar, char *out, size_t outlen) {
    int n = snprintf(out, outlen, "%s%s%s%s%s", familiar ? ref->familiar : ref->name, ref->tag[0] ? ":" : "",
                     ref->tag, ref->digest[0] ? "@" : "", ref->digest);
    return n < 0 ? 0 : (size_t)n;
}

int mg_imageref_normalize_repo(const char *repo, char *out, size_t outlen, mg_error *err) {
    mg_imageref r;
    int rc = mg_imageref_parse(repo, &r, err);
    if (rc != 0) return rc;
    if (r.tag[0] || r.digest[0])
        return mg_error_set(err, MG_EINVAL, "repository '%s' must not carry a tag or digest", repo);
    if ((size_t)snprintf(out, outlen, "%s", r.canonical) >= outlen)
        return mg_error_set(err, MG_ETOOBIG, "buffer too small");
    return 0;
}

bool mg_imageref_is_sha256_digest(const char *d) {
    if (!d || strncmp(d, "sha256:", 7) != 0) return false;
    return is_hex64(d + 7);
}

/* Splits a modelRepositories prefix into domain and path prefix (see the header). */
static bool split_prefix(const char *prefix, char *domain, size_t dcap, char *path, size_t pcap) {
    if (!prefix) return false;
    size_t n = strlen(prefix);
    while (n > 0 && prefix[n - 1] == '/')
        n--;
    if (n == 0 || n > MG_IMAGEREF_NAME_MAX) return false;
    const char *slash = memchr(prefix, '/', n);
    size_t first = slash ? (size_t)(slash - prefix) : n;
    const char *d = DEFAULT_DOMAIN, *p = prefix;
    size_t dl = strlen(DEFAULT_DOMAIN), pl = n;
    if (looks_like_domain(prefix, first)) {
        d = prefix;
        dl = first;
        p = slash ? slash + 1 : prefix + n;
        pl = slash ? n - first - 1 : 0;
    }
    if (!valid_domain(d, dl)) return false;
    if (pl > 0 && !valid_path(p, pl)) return false;
    if (canon_host_n(d, dl, domain, dcap) != 0) return false;
    put(path, pcap, p, pl);
    return true;
}

bool mg_imageref_split_prefix(const char *prefix, char *canon_host, size_t hostlen, char *path,
                              size_t pathlen) {
    return split_prefix(prefix, canon_host, hostlen, path, pathlen);
}

bool mg_imageref_prefix_valid(const char *prefix) {
    char d[MG_IMAGEREF_CANON_MAX + 1], p[MG_IMAGEREF_NAME_MAX + 1];
    return split_prefix(prefix, d, sizeof(d), p, sizeof(p));
}

bool mg_imageref_path_under(const char *registry, const char *path, const char *prefix) {
    size_t pl = strlen(prefix);
    if (pl == 0) return true;
    if (strncmp(path, prefix, pl) == 0 && (path[pl] == '\0' || path[pl] == '/')) return true;
    /* On Docker Hub a one-component prefix may mean a namespace ("myorg") or an official image
     * ("busybox" = library/busybox): it covers both. */
    size_t ol = strlen(OFFICIAL_PREFIX);
    return !strcmp(registry, DEFAULT_DOMAIN) && !strchr(prefix, '/') && !strncmp(path, OFFICIAL_PREFIX, ol) &&
           !strcmp(path + ol, prefix);
}

bool mg_imageref_under_canonical(const mg_imageref *ref, const char *canon_host, const char *path) {
    if (!ref || !ref->canonical[0]) return false;
    size_t hl = strlen(canon_host);
    if (strncmp(ref->canonical, canon_host, hl) != 0 || ref->canonical[hl] != '/') return false;
    return mg_imageref_path_under(canon_host, ref->canonical + hl + 1, path);
}

bool mg_imageref_under_prefix(const mg_imageref *ref, const char *prefix) {
    char d[MG_IMAGEREF_CANON_MAX + 1], p[MG_IMAGEREF_NAME_MAX + 1];
    if (!split_prefix(prefix, d, sizeof(d), p, sizeof(p))) return false;
    return mg_imageref_under_canonical(ref, d, p);
}
