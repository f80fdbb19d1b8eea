#include "core/utf8.h"

#include <string.h>

/* The length of the valid character at s (n bytes available), or 0 when it is not one. */
static size_t char_len(const unsigned char *s, size_t n) {
    unsigned char c = s[0];
    if (c < 0x80) return 1;
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF; /* the range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0; /* overlong */
        if (c == 0xED) hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90; /* overlong */
        if (c == 0xF4) hi = 0x8F; /* above U+10FFFF */
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    return len;
}

size_t mg_utf8_valid_prefix(const char *s, size_t n) {
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t len = char_len(u + i, n - i);
        if (!len) break;
        i += len;
    }
    return i;
}

void mg_utf8_trim(char *s) {
    size_t n = strlen(s);
    /* a character is at most 4 bytes: only the last 3 can start a cut one */
    size_t from = n > 3 ? n - 3 : 0;
    size_t i = from;
    while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
        i--;
    size_t ok = i + mg_utf8_valid_prefix(s + i, n - i);
    if (ok == n) return;
    /* a cut character: a lead byte and fewer continuation bytes than it announces, up to the end */
    const unsigned char *u = (const unsigned char *)s + ok;
    size_t rest = n - ok, need = u[0] >= 0xF0 ? 4 : u[0] >= 0xE0 ? 3 : 2;
    if (u[0] < 0xC2 || u[0] > 0xF4 || rest >= need) return;
    for (size_t k = 1; k < rest; k++)
        if ((u[k] & 0xC0) != 0x80) return;
    s[ok] = '\0';
}
