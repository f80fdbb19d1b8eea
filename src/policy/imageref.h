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
 * read as another registry ("docker.io/example.com/x" stays full; Go shortens it ambiguously).
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

typedef struct mg_imageref {
    char domain[MG_IMAGEREF_NAME_MAX + 1];   /* "docker.io", "registry.example.com:5000", "[::1]:5000" */
    char path[MG_IMAGEREF_NAME_MAX + 1];     /* "library/ubuntu", "models/fraud-detector" */
    char name[MG_IMAGEREF_NAME_MAX + 1];     /* full normalised name: domain "/" path */
    char familiar[MG_IMAGEREF_NAME_MAX + 1]; /* "ubuntu", "myorg/app", or the full name off Docker Hub */
    char tag[MG_IMAGEREF_TAG_MAX + 1];       /* "" when there is no tag */
    char digest[MG_IMAGEREF_DIGEST_MAX + 1]; /* "" or "sha256:<64 hex>" */
} mg_imageref;

/* Parses s into *out. Returns 0, or MG_EINVAL with err->message saying what is wrong
 * ("invalid reference format: ...", "repository name must be lowercase", "digest ... has the wrong
 * length", ...). On error *out is zeroed. */
int mg_imageref_parse(const char *s, mg_imageref *out, mg_error *err);

/* Writes the reference as a string: full ("docker.io/library/ubuntu:22.04@sha256:...") or familiar
 * ("ubuntu:22.04@sha256:..."). Returns the length that was needed (snprintf-style). */
size_t mg_imageref_format(const mg_imageref *ref, bool familiar, char *out, size_t outlen);

/* Normalises a repository (an image without tag or digest, e.g. ModelVersion.spec.image) into its
 * full name. Returns 0, or MG_EINVAL when it does not parse or carries a tag/digest. */
int mg_imageref_normalize_repo(const char *repo, char *out, size_t outlen, mg_error *err);

/* True when a digest string is "sha256:" followed by exactly 64 lowercase hex digits. */
bool mg_imageref_is_sha256_digest(const char *digest);

/* True when ref's repository lies under prefix (a `modelRepositories` entry). The prefix is a
 * domain optionally followed by a path ("registry.example.com/models/", "localhost:5000",
 * "docker.io/myorg"); trailing slashes are ignored; a first component without '.'/':' that is not
 * `localhost` means a Docker Hub path ("myorg/" = "docker.io/myorg/"; no `library/` is added).
 * Matching is on whole path components: "r.io/models" matches r.io/models and r.io/models/x, never
 * r.io/models-old. Domains compare case-insensitively. An invalid prefix matches nothing. */
bool mg_imageref_under_prefix(const mg_imageref *ref, const char *prefix);
/* True when prefix is a usable modelRepositories entry (see above). */
bool mg_imageref_prefix_valid(const char *prefix);

#endif
