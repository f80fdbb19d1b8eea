/* libFuzzer target for policy/imageref: parse any string; on success the normalised reference
 * must round-trip (full and familiar forms parse back to the same name, tag and digest, and the
 * same canonical name), respect the length caps, and prefix matching must agree with the
 * reference's own name. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/imageref.h"

static void check_same(const mg_imageref *a, const char *text) {
    mg_imageref b;
    if (mg_imageref_parse(text, &b, NULL) != 0) abort();
    if (strcmp(a->name, b.name) || strcmp(a->tag, b.tag) || strcmp(a->digest, b.digest) ||
        strcmp(a->familiar, b.familiar) || strcmp(a->canonical, b.canonical))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 4096) return 0;
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    mg_imageref r;
    mg_error err;
    if (mg_imageref_parse(s, &r, &err) == 0) {
        if (strlen(r.name) > MG_IMAGEREF_NAME_MAX || strlen(r.tag) > MG_IMAGEREF_TAG_MAX ||
            strlen(r.canonical) > MG_IMAGEREF_CANON_MAX)
            abort();
        char full[1024], fam[1024];
        mg_imageref_format(&r, false, full, sizeof(full));
        mg_imageref_format(&r, true, fam, sizeof(fam));
        check_same(&r, full);
        check_same(&r, fam);
        if (!mg_imageref_under_prefix(&r, r.name)) abort();   /* a name lies under itself */
        if (!mg_imageref_under_prefix(&r, r.domain)) abort(); /* and under its registry */
        char repo[MG_IMAGEREF_CANON_MAX + 1];
        if (mg_imageref_normalize_repo(r.name, repo, sizeof(repo), NULL) != 0 ||
            strcmp(repo, r.canonical) != 0)
            abort();
    } else if (err.message[0] == '\0') {
        abort();
    }
    /* the input as a prefix: must not crash, and must be consistent with prefix_valid */
    mg_imageref self;
    if (mg_imageref_parse("registry.example.com/models/x:1", &self, NULL) != 0) abort();
    if (mg_imageref_under_prefix(&self, s) && !mg_imageref_prefix_valid(s)) abort();
    free(s);
    return 0;
}
