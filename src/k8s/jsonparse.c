/* k8s/jsonparse — see jsonparse.h. A recursive-descent parser over a byte range. Strings
 * without escapes are handed to jansson straight from the input (json_stringn_nocheck after our
 * own UTF-8 check); escaped ones are decoded into a scratch buffer. Skipped members are parsed
 * with build=false: fully checked, nothing allocated. */
#include "k8s/jsonparse.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

#define MAX_DEPTH 2048

enum role { R_NONE, R_OBJ, R_META, R_ANN, R_EVENT, R_LIST, R_ITEMS };

typedef struct parser {
    const char *start, *p, *end;
    int depth;
    char *scratch;
    size_t scap;
    mg_error *err;
    bool failed;
} parser;

/* A non-NULL marker returned by build=false parses; never dereferenced or released. */
static json_t skipped_marker;
#define SKIPPED (&skipped_marker)

static json_t *fail(parser *ps, const char *what) {
    if (!ps->failed) {
        ps->failed = true;
        mg_error_set(ps->err, MG_EPARSE, "invalid JSON at byte %zu: %s", (size_t)(ps->p - ps->start), what);
    }
    return NULL;
}

static inline void skip_ws(parser *ps) {
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t'))
        ps->p++;
}

static void scratch_put(parser *ps, size_t *n, const char *src, size_t len) {
    if (*n + len + 1 > ps->scap) {
        size_t cap = ps->scap ? ps->scap : 256;
        while (cap < *n + len + 1)
            cap *= 2;
        ps->scratch = mg_xrealloc(ps->scratch, cap);
        ps->scap = cap;
    }
    memcpy(ps->scratch + *n, src, len);
    *n += len;
}

/* Length of a valid UTF-8 sequence starting at s (bytes >= 0x80), or 0. */
static size_t utf8_seq(const unsigned char *s, const unsigned char *end) {
    unsigned c = s[0];
    size_t n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, cp = c & 0x07;
    else
        return 0;
    if ((size_t)(end - s) < n) return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

static int hex4(const char *s, uint32_t *out) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* Parses a string at ps->p (on the opening quote). On success *out and *len point either into the
 * input (no escapes) or into the scratch buffer (valid until the next string). */
static bool parse_string(parser *ps, const char **out, size_t *len) {
    ps->p++; /* opening quote */
    const char *seg = ps->p;
    size_t n = 0;
    bool escaped = false;
    while (ps->p < ps->end) {
        unsigned char c = (unsigned char)*ps->p;
        if (c == '"') {
            if (!escaped) {
                *out = seg;
                *len = (size_t)(ps->p - seg);
            } else {
                scratch_put(ps, &n, seg, (size_t)(ps->p - seg));
                *out = ps->scratch;
                *len = n;
            }
            ps->p++;
            return true;
        }
        if (c < 0x20) {
            fail(ps, "control character in string");
            return false;
        }
        if (c < 0x80) {
            if (c != '\\') {
                ps->p++;
                continue;
            }
            if (!escaped) n = 0;
            escaped = true;
            scratch_put(ps, &n, seg, (size_t)(ps->p - seg));
            if (ps->end - ps->p < 2) break;
            char e = ps->p[1];
            char ch;
            ps->p += 2;
            switch (e) {
            case '"': ch = '"'; break;
            case '\\': ch = '\\'; break;
            case '/': ch = '/'; break;
            case 'b': ch = '\b'; break;
            case 'f': ch = '\f'; break;
            case 'n': ch = '\n'; break;
            case 'r': ch = '\r'; break;
            case 't': ch = '\t'; break;
            case 'u': {
                uint32_t cp;
                if (ps->end - ps->p < 4 || hex4(ps->p, &cp)) {
                    fail(ps, "bad \\u escape");
                    return false;
                }
                ps->p += 4;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    uint32_t lo;
                    if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u' || hex4(ps->p + 2, &lo) ||
                        lo < 0xDC00 || lo > 0xDFFF) {
                        fail(ps, "unpaired surrogate in \\u escape");
                        return false;
                    }
                    ps->p += 6;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    fail(ps, "unpaired surrogate in \\u escape");
                    return false;
                }
                if (cp == 0) {
                    fail(ps, "\\u0000 is not allowed");
                    return false;
                }
                char u[4];
                size_t ul;
                if (cp < 0x80)
                    u[0] = (char)cp, ul = 1;
                else if (cp < 0x800)
                    u[0] = (char)(0xC0 | (cp >> 6)), u[1] = (char)(0x80 | (cp & 0x3F)), ul = 2;
                else if (cp < 0x10000)
                    u[0] = (char)(0xE0 | (cp >> 12)), u[1] = (char)(0x80 | ((cp >> 6) & 0x3F)),
                    u[2] = (char)(0x80 | (cp & 0x3F)), ul = 3;
                else
                    u[0] = (char)(0xF0 | (cp >> 18)), u[1] = (char)(0x80 | ((cp >> 12) & 0x3F)),
                    u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), u[3] = (char)(0x80 | (cp & 0x3F)), ul = 4;
                scratch_put(ps, &n, u, ul);
                seg = ps->p;
                continue;
            }
            default: fail(ps, "bad escape"); return false;
            }
            scratch_put(ps, &n, &ch, 1);
            seg = ps->p;
            continue;
        }
        size_t k = utf8_seq((const unsigned char *)ps->p, (const unsigned char *)ps->end);
        if (!k) {
            fail(ps, "invalid UTF-8");
            return false;
        }
        ps->p += k;
    }
    fail(ps, "unterminated string");
    return false;
}

static json_t *parse_number(parser *ps, bool build) {
    const char *s = ps->p;
    const char *q = s;
    if (q < ps->end && *q == '-') q++;
    if (q >= ps->end) return fail(ps, "bad number");
    if (*q == '0') {
        q++;
    } else if (*q >= '1' && *q <= '9') {
        while (q < ps->end && *q >= '0' && *q <= '9')
            q++;
    } else {
        return fail(ps, "bad number");
    }
    bool real = false;
    if (q < ps->end && *q == '.') {
        real = true;
        q++;
        if (q >= ps->end || *q < '0' || *q > '9') return fail(ps, "bad fraction");
        while (q < ps->end && *q >= '0' && *q <= '9')
            q++;
    }
    if (q < ps->end && (*q == 'e' || *q == 'E')) {
        real = true;
        q++;
        if (q < ps->end && (*q == '+' || *q == '-')) q++;
        if (q >= ps->end || *q < '0' || *q > '9') return fail(ps, "bad exponent");
        while (q < ps->end && *q >= '0' && *q <= '9')
            q++;
    }
    ps->p = q;
    if (!real) {
        /* accumulate negatively so INT64_MIN fits */
        const char *d = s;
        bool neg = *d == '-';
        if (neg) d++;
        json_int_t v = 0;
        for (; d < q; d++) {
            int digit = *d - '0';
            if (v < (INT64_MIN + digit) / 10) return fail(ps, "integer too big");
            v = v * 10 - digit;
        }
        if (!neg) {
            if (v == INT64_MIN) return fail(ps, "integer too big");
            v = -v;
        }
        return build ? json_integer(v) : SKIPPED;
    }
    char buf[64];
    char *tmp = buf;
    size_t len = (size_t)(q - s);
    if (len >= sizeof(buf)) tmp = mg_xmalloc(len + 1);
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    double v = strtod(tmp, NULL);
    if (tmp != buf) free(tmp);
    if (!isfinite(v)) return fail(ps, "real number overflow");
    return build ? json_real(v) : SKIPPED;
}

static json_t *parse_value(parser *ps, enum role role, bool build);

static enum role member_role(enum role parent, const char *key, size_t klen, bool *skip) {
    *skip = false;
#define KEY_IS(lit) (klen == sizeof(lit) - 1 && !memcmp(key, lit, sizeof(lit) - 1))
    switch (parent) {
    case R_OBJ: return KEY_IS("metadata") ? R_META : R_NONE;
    case R_META:
        if (KEY_IS("managedFields")) *skip = true;
        return KEY_IS("annotations") ? R_ANN : R_NONE;
    case R_ANN:
        if (KEY_IS("kubectl.kubernetes.io/last-applied-configuration")) *skip = true;
        return R_NONE;
    case R_EVENT: return KEY_IS("object") ? R_OBJ : R_NONE;
    case R_LIST: return KEY_IS("items") ? R_ITEMS : R_NONE;
    default: return R_NONE;
    }
#undef KEY_IS
}

static json_t *parse_object(parser *ps, enum role role, bool build) {
    ps->p++; /* { */
    json_t *obj = build ? json_object() : SKIPPED;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == '}') {
        ps->p++;
        return obj;
    }
    for (;;) {
        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p != '"') {
            fail(ps, "expected a member name");
            break;
        }
        const char *k;
        size_t klen;
        if (!parse_string(ps, &k, &klen)) break;
        bool skip;
        enum role r = member_role(role, k, klen, &skip);
        /* the key may live in the scratch buffer, which the value's strings reuse */
        char kbuf[128];
        char *key = NULL;
        if (build && !skip) {
            key = klen < sizeof(kbuf) ? kbuf : mg_xmalloc(klen + 1);
            memcpy(key, k, klen);
            key[klen] = '\0';
        }
        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p != ':') {
            if (key != kbuf) free(key);
            fail(ps, "expected ':'");
            break;
        }
        ps->p++;
        skip_ws(ps);
        json_t *v = parse_value(ps, r, build && !skip);
        if (!v) {
            if (key != kbuf) free(key);
            break;
        }
        if (key) {
            if (r == R_ANN && json_is_object(v) && json_object_size(v) == 0)
                json_decref(v); /* nothing left to keep */
            else
                json_object_setn_new_nocheck(obj, key, klen, v);
            if (key != kbuf) free(key);
        }
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == '}') {
            ps->p++;
            return obj;
        }
        fail(ps, "expected ',' or '}'");
        break;
    }
    if (build) json_decref(obj);
    return NULL;
}

static json_t *parse_array(parser *ps, enum role role, bool build) {
    ps->p++; /* [ */
    json_t *arr = build ? json_array() : SKIPPED;
    enum role er = role == R_ITEMS ? R_OBJ : R_NONE;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ']') {
        ps->p++;
        return arr;
    }
    for (;;) {
        skip_ws(ps);
        json_t *v = parse_value(ps, er, build);
        if (!v) break;
        if (build) json_array_append_new(arr, v);
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == ']') {
            ps->p++;
            return arr;
        }
        fail(ps, "expected ',' or ']'");
        break;
    }
    if (build) json_decref(arr);
    return NULL;
}

static bool literal(parser *ps, const char *lit, size_t n) {
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, lit, n)) return false;
    ps->p += n;
    return true;
}

static json_t *parse_value(parser *ps, enum role role, bool build) {
    if (ps->p >= ps->end) return fail(ps, "unexpected end");
    switch (*ps->p) {
    case '{':
    case '[': {
        if (++ps->depth > MAX_DEPTH) return fail(ps, "nesting too deep");
        json_t *v = *ps->p == '{' ? parse_object(ps, role, build) : parse_array(ps, role, build);
        ps->depth--;
        return v;
    }
    case '"': {
        const char *s;
        size_t len;
        if (!parse_string(ps, &s, &len)) return NULL;
        return build ? json_stringn_nocheck(s, len) : SKIPPED;
    }
    case 't':
        if (literal(ps, "true", 4)) return build ? json_true() : SKIPPED;
        return fail(ps, "bad literal");
    case 'f':
        if (literal(ps, "false", 5)) return build ? json_false() : SKIPPED;
        return fail(ps, "bad literal");
    case 'n':
        if (literal(ps, "null", 4)) return build ? json_null() : SKIPPED;
        return fail(ps, "bad literal");
    default: return parse_number(ps, build);
    }
}

json_t *mg_k8s_json_parse(const char *text, size_t len, mg_json_strip strip, mg_error *err) {
    parser ps = {.start = text, .p = text, .end = text + len, .err = err};
    enum role r = strip == MG_JSON_STRIP_OBJECT  ? R_OBJ
                  : strip == MG_JSON_STRIP_EVENT ? R_EVENT
                  : strip == MG_JSON_STRIP_LIST  ? R_LIST
                                                 : R_NONE;
    skip_ws(&ps);
    json_t *v = parse_value(&ps, r, true);
    if (v) {
        skip_ws(&ps);
        if (ps.p != ps.end) {
            json_decref(v);
            v = fail(&ps, "trailing data after the value");
        }
    }
    free(ps.scratch);
    return v;
}

/* ------------------------------------------------------------------ dump */

static int dump_string(const char *s, size_t len, mg_buf *out) {
    static const char hex[] = "0123456789abcdef";
    if (mg_buf_append(out, "\"", 1)) return MG_ETOOBIG;
    const char *seg = s;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        if (mg_buf_append(out, seg, (size_t)(s + i - seg))) return MG_ETOOBIG;
        char esc[6] = {'\\', 0};
        size_t n = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default: esc[1] = 'u', esc[2] = '0', esc[3] = '0', esc[4] = hex[c >> 4], esc[5] = hex[c & 15]; n = 6;
        }
        if (mg_buf_append(out, esc, n)) return MG_ETOOBIG;
        seg = s + i + 1;
    }
    if (mg_buf_append(out, seg, (size_t)(s + len - seg))) return MG_ETOOBIG;
    return mg_buf_append(out, "\"", 1);
}

int mg_k8s_json_dump(const json_t *v, mg_buf *out) {
    char num[40];
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        if (mg_buf_append(out, "{", 1)) return MG_ETOOBIG;
        const char *k;
        json_t *m;
        bool first = true;
        json_object_foreach((json_t *)v, k, m) {
            if (!first && mg_buf_append(out, ",", 1)) return MG_ETOOBIG;
            first = false;
            if (dump_string(k, strlen(k), out) || mg_buf_append(out, ":", 1) || mg_k8s_json_dump(m, out))
                return MG_ETOOBIG;
        }
        return mg_buf_append(out, "}", 1);
    }
    case JSON_ARRAY: {
        if (mg_buf_append(out, "[", 1)) return MG_ETOOBIG;
        size_t i;
        json_t *m;
        json_array_foreach((json_t *)v, i, m) {
            if (i && mg_buf_append(out, ",", 1)) return MG_ETOOBIG;
            if (mg_k8s_json_dump(m, out)) return MG_ETOOBIG;
        }
        return mg_buf_append(out, "]", 1);
    }
    case JSON_STRING: return dump_string(json_string_value(v), json_string_length(v), out);
    case JSON_INTEGER: {
        int n = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return mg_buf_append(out, num, (size_t)n);
    }
    case JSON_REAL: {
        double d = json_real_value(v);
        int n = snprintf(num, sizeof(num), "%.15g", d);
        if (strtod(num, NULL) != d) n = snprintf(num, sizeof(num), "%.17g", d);
        if (!strpbrk(num, ".eEn")) num[n++] = '.', num[n++] = '0', num[n] = '\0'; /* stays a real */
        return mg_buf_append(out, num, (size_t)n);
    }
    case JSON_TRUE: return mg_buf_append(out, "true", 4);
    case JSON_FALSE: return mg_buf_append(out, "false", 5);
    default: return mg_buf_append(out, "null", 4);
    }
}
