/* policy/imageref — container image references, Docker/OCI grammar (distribution/reference).
 *
 * Owns: parsing and normalising image references exactly as the container runtimes do
 * (ParseNormalizedNamed): an optional registry domain (DNS name, IPv4, or [IPv6], with an optional
 * :port; `localhost` is always a domain), one or more lowercase path components, an optional
 * `:tag` (`[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`) and an optional `@algorithm:hex` digest (sha256,
 * sha384 and sha512 with their exact lowercase hex lengths). A first component is a domain only
 * when it contains '.' or ':', is `localhost`, or has an uppercase letter; otherwise the domain is
 * `docker.io`, and a single-component path on docker.io gains `library/`. `index.docker.io` is
 * rewritten to `docker.io`. The full name (domain/path) is at most 255 characters.
 *
 * Familiar names drop "docker.io/" (and "library/" for official images) unless the result would
 * read as another registry ("docker.io/example.com/x" stays full; Go shortens it ambiguously) or
 * as a 64-hex image ID ("docker.io/library/<64 hex>" stays full: the short form does not parse).
 *
 * Canonical identity (`canonical`): several spellings reach the same registry, and a policy that
 * compares names must not be escaped by respelling one. The canonical host is the domain with
 * the host in lower case; a port without leading zeros, dropped when it is 443 or 80 (the
 * defaults of https and http); an IPv4 address in any form the resolver accepts (inet_aton:
 * "127.1", "0x7f.0.0.1", "2130706433") as a dotted quad; an IPv6 address compressed
 * (inet_ntop), IPv4-mapped ones as IPv4; every loopback or unspecified address (127.0.0.0/8,
 * 0.0.0.0, ::1, ::) and `localhost` as "localhost"; and Docker Hub's names (docker.io,
 * index.docker.io, registry-1.docker.io, registry.hub.docker.com) as "docker.io", where a
 * single-component path gains "library/". Merging two spellings is always the safe direction
 * here: admission decides by content (digests), so a merge never admits other bytes, while a
 * missed merge would let a model image pass as an ordinary one. Host names that the resolver may
 * map to the same address cannot be known without DNS: the policy's per-registry aliases cover
 * those (policy/identity.h).
 * Deliberate difference from Go: a first component that is chosen as a domain but does not match
 * the domain grammar (e.g. `foo_bar.com/x`) is an error here, where Go silently drops the domain.
 *
 * Memory: mg_imageref is a plain value with fixed-size buffers, owned by the caller (about 1.3 KB;
 * fine on the stack). No allocation, no global state: thread-safe. */
#ifndef MG_POLICY_IMAGEREF_H
#define MG_POLICY_IMAGEREF_H
#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

#define MG_IMAGEREF_NAME_MAX 255   /* longest full name (domain + '/' + path) */
#define MG_IMAGEREF_TAG_MAX 128    /* longest tag */
#define MG_IMAGEREF_DIGEST_MAX 135 /* "sha512:" + 128 hex */
#define MG_IMAGEREF_INPUT_MAX 1024 /* longer inputs are refused before parsing */
/* A canonical host is at most 6 bytes longer than its domain ("1" → "0.0.0.1"). */
#define MG_IMAGEREF_CANON_MAX (MG_IMAGEREF_NAME_MAX + 16)

typedef struct mg_imageref {
    char domain[MG_IMAGEREF_NAME_MAX + 1];     /* "docker.io", "registry.example.com:5000", "[::1]:5000" */
    char path[MG_IMAGEREF_NAME_MAX + 1];       /* "library/ubuntu", "models/fraud-detector" */
    char name[MG_IMAGEREF_NAME_MAX + 1];       /* full normalised name: domain "/" path */
    char familiar[MG_IMAGEREF_NAME_MAX + 1];   /* "ubuntu", "myorg/app", or the full name off Docker Hub */
    char canonical[MG_IMAGEREF_CANON_MAX + 1]; /* canonical host "/" path: "localhost:5000/models/x" */
    char tag[MG_IMAGEREF_TAG_MAX + 1];         /* "" when there is no tag */
    char digest[MG_IMAGEREF_DIGEST_MAX + 1];   /* "" or "sha256:<64 hex>" */
} mg_imageref;

/* Parses s into *out. Returns 0, or MG_EINVAL with err->message saying what is wrong
 * ("invalid reference format: ...", "repository name must be lowercase", "digest ... has the wrong
 * length", ...). On error *out is zeroed. */
int mg_imageref_parse(const char *s, mg_imageref *out, mg_error *err);

/* Writes the reference as a string: full ("docker.io/library/ubuntu:22.04@sha256:...") or familiar
 * ("ubuntu:22.04@sha256:..."). Returns the length that was needed (snprintf-style). */
size_t mg_imageref_format(const mg_imageref *ref, bool familiar, char *out, size_t outlen);

/* Normalises a repository (an image without tag or digest, e.g. ModelVersion.spec.image) into its
 * canonical name (see above). Returns 0, or MG_EINVAL when it does not parse or carries a
 * tag/digest. */
int mg_imageref_normalize_repo(const char *repo, char *out, size_t outlen, mg_error *err);

/* True when a digest string is "sha256:" followed by exactly 64 lowercase hex digits. */
bool mg_imageref_is_sha256_digest(const char *digest);

/* The canonical host (see above) of a registry domain ("LocalHost:05000" → "localhost:5000"),
 * NUL-terminated into out. Returns 0, or MG_EINVAL when domain is not a valid registry domain,
 * MG_ETOOBIG when out is too small (MG_IMAGEREF_CANON_MAX + 1 is always enough). */
int mg_imageref_canonical_host(const char *domain, char *out, size_t outlen);

/* True when ref's repository lies under prefix (a `modelRepositories` entry). The prefix is a
 * domain optionally followed by a path ("registry.example.com/models/", "localhost:5000",
 * "docker.io/myorg"); trailing slashes are ignored; a first component without '.'/':' that is not
 * `localhost` means a Docker Hub path ("myorg/" = "docker.io/myorg/"; no `library/` is added, but a
 * one-component Docker Hub prefix also covers the official image of that name: "busybox" covers
 * docker.io/library/busybox as well as docker.io/busybox/...).
 * Matching is on whole path components: "r.io/models" matches r.io/models and r.io/models/x, never
 * r.io/models-old. Hosts compare by their canonical form (127.0.0.1:5000 is localhost:5000). An
 * invalid prefix matches nothing. */
bool mg_imageref_under_prefix(const mg_imageref *ref, const char *prefix);
/* The same with the prefix already split: canon_host a canonical host, path the path prefix ("" =
 * the whole registry). */
bool mg_imageref_under_canonical(const mg_imageref *ref, const char *canon_host, const char *path);
/* The path comparison of the above: path (a canonical repository path) lies under the prefix path
 * on the registry whose canonical host is registry. */
bool mg_imageref_path_under(const char *registry, const char *path, const char *prefix);
/* Splits a modelRepositories prefix into its canonical host and path prefix (see above). Returns
 * false for an invalid prefix. */
bool mg_imageref_split_prefix(const char *prefix, char *canon_host, size_t hostlen, char *path,
                              size_t pathlen);
/* True when prefix is a usable modelRepositories entry (see above). */
bool mg_imageref_prefix_valid(const char *prefix);

#endif
