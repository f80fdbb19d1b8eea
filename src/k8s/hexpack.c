/* k8s/hexpack — see hexpack.h. */
#include "k8s/hexpack.h"

#include <stdint.h>
#include <string.h>

enum {
    MARK_UUID = 0x01, /* then 16 bytes: xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx */
    MARK_HEX = 0x02,  /* then a count n (16..255) and n bytes: 2n hex digits */
    UUID_LEN = 36,
    HEX_RUN_MIN = 32,       /* shorter runs (or a short run's bytes) are not worth a marker */
    HEX_CHUNK_MAX = 2 * 255 /* digits one MARK_HEX holds */
};

static const char HEX[] = "0123456789abcdef";

/* 0..15 for a lowercase hex digit, -1 otherwise. */
static int nibble(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

static bool is_uuid(const unsigned char *p, size_t avail) {
    if (avail < UUID_LEN) return false;
    for (size_t i = 0; i < UUID_LEN; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? p[i] != '-' : nibble(p[i]) < 0) return false;
    }
    return true;
}

/* Writes the bytes of the hex digits in[2n] to out[n]. */
static void hex_to_bytes(const unsigned char *in, size_t n, unsigned char *out) {
    for (size_t i = 0; i < n; i++)
        out[i] = (unsigned char)(nibble(in[2 * i]) << 4 | nibble(in[2 * i + 1]));
}

static void bytes_to_hex(const unsigned char *in, size_t n, char *out) {
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = HEX[in[i] >> 4];
        out[2 * i + 1] = HEX[in[i] & 15];
    }
}

bool mg_hexpack_fits(const char *text, size_t len) {
    return !memchr(text, MARK_UUID, len) && !memchr(text, MARK_HEX, len);
}

/* In place: the write position w never passes the read position r (a UUID's 36 digits become 17
 * bytes, a run of 2n digits n + 2 with n >= 16), so each step reads its input before writing. */
size_t mg_hexpack(char *text, size_t len) {
    unsigned char *t = (unsigned char *)text;
    size_t r = 0, w = 0;
    while (r < len) {
        if (nibble(t[r]) < 0) {
            t[w++] = t[r++];
            continue;
        }
        if (is_uuid(t + r, len - r)) {
            unsigned char raw[16], digits[32];
            for (size_t i = 0, d = 0; i < UUID_LEN; i++)
                if (t[r + i] != '-') digits[d++] = t[r + i];
            hex_to_bytes(digits, 16, raw);
            t[w++] = MARK_UUID;
            memcpy(t + w, raw, 16);
            w += 16;
            r += UUID_LEN;
            continue;
        }
        size_t run = 0;
        while (r + run < len && nibble(t[r + run]) >= 0)
            run++;
        while (run >= HEX_RUN_MIN) { /* chunks of up to 255 bytes; a last odd digit stays text */
            size_t digits = run < HEX_CHUNK_MAX ? run & ~(size_t)1 : HEX_CHUNK_MAX;
            unsigned char raw[255];
            hex_to_bytes(t + r, digits / 2, raw);
            t[w++] = MARK_HEX;
            t[w++] = (unsigned char)(digits / 2);
            memcpy(t + w, raw, digits / 2);
            w += digits / 2;
            r += digits;
            run -= digits;
        }
        memmove(t + w, t + r, run); /* a short run, or what is left of a long one */
        w += run;
        r += run;
    }
    return w;
}

size_t mg_hexunpack(const char *packed, size_t plen, char *out, size_t cap) {
    const unsigned char *p = (const unsigned char *)packed;
    size_t r = 0, w = 0;
    while (r < plen) {
        unsigned char c = p[r];
        if (c == MARK_UUID) {
            if (plen - r < 17 || cap - w < UUID_LEN) return (size_t)-1;
            char digits[32];
            bytes_to_hex(p + r + 1, 16, digits);
            static const size_t groups[] = {8, 4, 4, 4, 12};
            for (size_t g = 0, d = 0; g < 5; g++) {
                if (g) out[w++] = '-';
                memcpy(out + w, digits + d, groups[g]);
                w += groups[g];
                d += groups[g];
            }
            r += 17;
        } else if (c == MARK_HEX) {
            if (plen - r < 2) return (size_t)-1;
            size_t n = p[r + 1];
            if (plen - r - 2 < n || cap - w < 2 * n) return (size_t)-1;
            bytes_to_hex(p + r + 2, n, out + w);
            w += 2 * n;
            r += 2 + n;
        } else {
            if (w == cap) return (size_t)-1;
            out[w++] = (char)c;
            r++;
        }
    }
    return w;
}
