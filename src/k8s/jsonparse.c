/* k8s/jsonparse — see jsonparse.h. A recursive-descent builder over a byte range, with an
 * iterative validator for the values it does not build (skipped members, and isolated values
 * that hit a limit). Strings without escapes go to jansson straight from the input (after our
 * own UTF-8 check); escaped ones are decoded into a scratch buffer. This file is a parser of
 * outside input and keeps its grammar in few, longer functions so that each rule is stated once. */
#include "k8s/jsonparse.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

#define SCRATCH_MIN 256
#define WHY_MAX 160
#define KEY_STACK_BUF 128   /* keys up to this length are copied on the stack */
#define NUM_STACK_BUF 64    /* numbers up to this length are converted from the stack */
#define SKIP_STACK_WORDS 64 /* the validator's open-container bit stack: 4096 levels before it grows */

typedef struct parser {
    const char *start, *p, *end;
    int depth;
    const mg_json_opts *o;
    char *scratch;
    size_t scap;
    const char *err_at; /* first error; NULL when none */
    bool soft;          /* that error is a limit (an isolated value may be left out) */
    char why[WHY_MAX];
} parser;

/* Returned for a left-out isolated value: never dereferenced or released. */
static json_t left_out_marker;
#define LEFT_OUT (&left_out_marker)

static bool fail_at(parser *ps, const char *at, bool soft, const char *why) {
    if (!ps->err_at) {
        ps->err_at = at;
        ps->soft = soft;
        snprintf(ps->why, sizeof ps->why, "%s", why);
    }
    return false;
}
static bool fail(parser *ps, const char *why) { return fail_at(ps, ps->p, false, why); }
static bool limit(parser *ps, const char *at, const char *why) { return fail_at(ps, at, true, why); }

static inline void ws(parser *ps) {
    const char *p = ps->p;
    while (p < ps->end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    ps->p = p;
}

static void scratch_need(parser *ps, size_t n) {
    if (n <= ps->scap) return;
    size_t c = ps->scap ? ps->scap : SCRATCH_MIN;
    while (c < n)
        c *= 2;
    ps->scratch = mg_xrealloc(ps->scratch, c);
    ps->scap = c;
}

/* Length of a valid UTF-8 sequence starting at s (lead byte >= 0x80), or 0. */
static size_t utf8_seq(const unsigned char *s, const unsigned char *end) {
    unsigned c = s[0];
    size_t n;
    uint32_t cp, min;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2, cp = c & 0x1F, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, cp = c & 0x0F, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, cp = c & 0x07, min = 0x10000;
    else
        return 0;
    if ((size_t)(end - s) < n) return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
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

static size_t put_utf8(char *o, uint32_t cp) {
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The first byte at or after p that is '"', '\\', a control character or non-ASCII. Eight bytes
 * at a time: each flagged byte sets its high bit; the lowest flag is always a real one (borrows
 * only spill upwards), so it is where the plain run ends. */
static inline const char *plain_run(const char *p, const char *end) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    while (end - p >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        uint64_t q = v ^ (ones * '"'), b = v ^ (ones * '\\');
        uint64_t special = (((q - ones) & ~q) | ((b - ones) & ~b) | ((v - ones * 0x20) & ~v) | v) & highs;
        if (special) return p + (__builtin_ctzll(special) >> 3);
        p += 8;
    }
#endif
    while (p < end && (unsigned char)*p >= 0x20 && *p != '"' && *p != '\\' && (unsigned char)*p < 0x80)
        p++;
    return p;
}

/* One escape at p (on the backslash) into *cp; advances p past it. False after failing. */
static bool escape(parser *ps, const char **pp, uint32_t *cp) {
    const char *p = *pp;
    if (ps->end - p < 2) return fail_at(ps, p, false, "premature end of input in a string");
    switch (p[1]) {
    case '"': *cp = '"'; break;
    case '\\': *cp = '\\'; break;
    case '/': *cp = '/'; break;
    case 'b': *cp = '\b'; break;
    case 'f': *cp = '\f'; break;
    case 'n': *cp = '\n'; break;
    case 'r': *cp = '\r'; break;
    case 't': *cp = '\t'; break;
    case 'u': {
        if (ps->end - p < 6 || hex4(p + 2, cp)) return fail_at(ps, p, false, "invalid \\u escape");
        if (*cp >= 0xD800 && *cp <= 0xDBFF) {
            uint32_t lo;
            if (ps->end - p < 12 || p[6] != '\\' || p[7] != 'u' || hex4(p + 8, &lo) || lo < 0xDC00 ||
                lo > 0xDFFF)
                return fail_at(ps, p, false, "invalid Unicode surrogate pair");
            *cp = 0x10000 + ((*cp - 0xD800) << 10) + (lo - 0xDC00);
            p += 6;
        } else if (*cp >= 0xDC00 && *cp <= 0xDFFF) {
            return fail_at(ps, p, false, "invalid Unicode surrogate pair");
        }
        p += 4;
        break;
    }
    default: return fail_at(ps, p, false, "invalid escape");
    }
    *pp = p + 2;
    return true;
}

/* Parses the string at ps->p (on its quote). With out, out and len receive the content: a slice
 * of the input when it has no escape, else the scratch buffer (valid until the next string); nul
 * (may be NULL) tells whether it holds a NUL. Without out it is only validated. "\u0000" is an
 * error unless allow_nul. */
static bool parse_string(parser *ps, const char **out, size_t *len, bool *nul) {
    const char *p = ps->p + 1, *end = ps->end, *seg = p;
    size_t o = 0;
    bool escaped = false, has_nul = false;
    for (;;) {
        p = plain_run(p, end);
        if (p >= end) return fail_at(ps, p, false, "premature end of input in a string");
        unsigned char c = (unsigned char)*p;
        if (c == '"') break;
        if (c < 0x20) return fail_at(ps, p, false, "control character in a string");
        if (c >= 0x80) {
            size_t n = utf8_seq((const unsigned char *)p, (const unsigned char *)end);
            if (!n) return fail_at(ps, p, false, "invalid UTF-8 in a string");
            p += n;
            continue;
        }
        /* backslash: flush the plain segment, decode the escape */
        if (out) {
            scratch_need(ps, o + (size_t)(p - seg) + 8);
            memcpy(ps->scratch + o, seg, (size_t)(p - seg));
            o += (size_t)(p - seg);
        }
        escaped = true;
        uint32_t cp;
        const char *at = p;
        if (!escape(ps, &p, &cp)) return false;
        if (cp == 0) {
            if (!ps->o->allow_nul) return fail_at(ps, at, false, "\\u0000 is not allowed");
            has_nul = true;
        }
        if (out) o += put_utf8(ps->scratch + o, cp);
        seg = p;
    }
    if (out) {
        if (!escaped) {
            *out = seg;
            *len = (size_t)(p - seg);
        } else {
            scratch_need(ps, o + (size_t)(p - seg) + 1);
            memcpy(ps->scratch + o, seg, (size_t)(p - seg));
            o += (size_t)(p - seg);
            ps->scratch[o] = '\0';
            *out = ps->scratch;
            *len = o;
        }
    }
    if (nul) *nul = has_nul;
    ps->p = p + 1;
    return true;
}

/* Parses a number; with out, *out gets a json_integer or json_real as jansson would build it. */
static bool parse_number(parser *ps, json_t **out) {
    const char *s = ps->p, *q = s, *end = ps->end;
    if (q < end && *q == '-') q++;
    if (q >= end) return fail(ps, "invalid number");
    if (*q == '0') {
        q++;
    } else if (*q >= '1' && *q <= '9') {
        while (q < end && *q >= '0' && *q <= '9')
            q++;
    } else {
        return fail(ps, "invalid token");
    }
    bool real = false;
    if (q < end && *q == '.') {
        real = true;
        q++;
        if (q >= end || *q < '0' || *q > '9') return fail_at(ps, q, false, "invalid number");
        while (q < end && *q >= '0' && *q <= '9')
            q++;
    }
    if (q < end && (*q == 'e' || *q == 'E')) {
        real = true;
        q++;
        if (q < end && (*q == '+' || *q == '-')) q++;
        if (q >= end || *q < '0' || *q > '9') return fail_at(ps, q, false, "invalid number");
        while (q < end && *q >= '0' && *q <= '9')
            q++;
    }
    ps->p = q;
    if (!real) {
        /* accumulate negatively so that INT64_MIN fits */
        bool neg = *s == '-', big = false;
        json_int_t v = 0;
        for (const char *d = neg ? s + 1 : s; d < q && !big; d++) {
            int digit = *d - '0';
            if (v < (INT64_MIN + digit) / 10)
                big = true;
            else
                v = v * 10 - digit;
        }
        if (!big && !neg && v == INT64_MIN) big = true;
        if (!big) {
            if (out) *out = json_integer(neg ? v : -v);
            return true;
        }
        if (!ps->o->big_int_as_real) return limit(ps, s, "integer beyond int64");
        if (!out) return true; /* as a real it is always finite: at most ~1e308 digits fit */
    } else if (!out && (size_t)(q - s) <= NUM_STACK_BUF && !memchr(s, 'e', (size_t)(q - s)) &&
               !memchr(s, 'E', (size_t)(q - s))) {
        return true; /* validating: a short real without exponent cannot overflow */
    }
    char buf[NUM_STACK_BUF + 1];
    size_t n = (size_t)(q - s);
    char *num = n < sizeof buf ? buf : mg_xmalloc(n + 1);
    memcpy(num, s, n);
    num[n] = '\0';
    double d = strtod(num, NULL);
    if (num != buf) free(num);
    if (!isfinite(d)) return limit(ps, s, "real number overflow");
    if (out) *out = json_real(d);
    return true;
}

static bool literal(parser *ps, const char *word, size_t n) {
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) return fail(ps, "invalid token");
    ps->p += n;
    return true;
}

/* Records an open container at depth sp in skip_value's bit stack (set: object), growing the
 * stack when it is full; returns the stack, which the caller frees unless it is small. */
static uint64_t *push_container(uint64_t *stack, const uint64_t *small, size_t *words, size_t sp,
                                bool object) {
    if (sp / 64 >= *words) {
        uint64_t *bigger = mg_xmalloc(2 * *words * sizeof *bigger);
        memcpy(bigger, stack, *words * sizeof *bigger);
        if (stack != small) free(stack);
        stack = bigger;
        *words *= 2;
    }
    uint64_t bit = 1ULL << (sp % 64);
    stack[sp / 64] = object ? stack[sp / 64] | bit : stack[sp / 64] & ~bit;
    return stack;
}

/* Validates one value without building it: an iterative state machine whose open containers
 * are bits of a stack that grows as needed. max_depth bounds the nesting (a limit); SIZE_MAX
 * for none, which is how an isolated value that hit a limit is stepped over. What is not built
 * cannot be out of range: a NUL in a key (with allow_nul) and numbers beyond int64 or double
 * are valid JSON and pass. Long on purpose: one loop with its three states (value, after a
 * value, key) reads as the grammar; split, the states would pass the stack between functions. */
static bool skip_value(parser *ps, size_t max_depth) {
    uint64_t small[SKIP_STACK_WORDS], *stack = small; /* bit set: '}' expected, clear: ']' */
    size_t words = SKIP_STACK_WORDS, sp = 0;
    const char *end = ps->end;
    bool ok = false;
    for (;;) {
        ws(ps); /* expecting a value */
        if (ps->p >= end) {
            fail(ps, "premature end of input");
            goto out;
        }
        char c = *ps->p;
        if (c == '{' || c == '[') {
            if (sp + 1 > max_depth) {
                limit(ps, ps->p, "maximum nesting depth exceeded");
                goto out;
            }
            stack = push_container(stack, small, &words, sp++, c == '{');
            ps->p++;
            ws(ps);
            if (ps->p < end && *ps->p == (c == '{' ? '}' : ']')) {
                ps->p++;
                sp--;
                goto after_value;
            }
            if (c == '[') continue;
            goto key;
        }
        bool good = c == '"'   ? parse_string(ps, NULL, NULL, NULL)
                    : c == 't' ? literal(ps, "true", 4)
                    : c == 'f' ? literal(ps, "false", 5)
                    : c == 'n' ? literal(ps, "null", 4)
                               : parse_number(ps, NULL);
        if (!good) {
            if (ps->soft) { /* a number out of range is still valid JSON */
                ps->err_at = NULL;
                ps->soft = false;
            } else {
                goto out;
            }
        }
    after_value:
        for (;;) {
            if (sp == 0) {
                ok = true;
                goto out;
            }
            bool in_obj = stack[(sp - 1) / 64] >> ((sp - 1) % 64) & 1;
            ws(ps);
            if (ps->p < end && *ps->p == ',') {
                ps->p++;
                if (!in_obj) break; /* next array item */
                ws(ps);
                goto key;
            }
            if (ps->p < end && *ps->p == (in_obj ? '}' : ']')) {
                ps->p++;
                sp--;
                continue;
            }
            fail(ps, in_obj ? "',' or '}' expected" : "',' or ']' expected");
            goto out;
        }
        continue;
    key:
        if (ps->p >= end || *ps->p != '"') {
            fail(ps, "string or '}' expected");
            goto out;
        }
        if (!parse_string(ps, NULL, NULL, NULL)) goto out;
        ws(ps);
        if (ps->p >= end || *ps->p != ':') {
            fail(ps, "':' expected");
            goto out;
        }
        ps->p++;
    }
out:
    if (stack != small) free(stack);
    return ok;
}

static json_t *build_value(parser *ps, int ctx);

static int child_of(parser *ps, int ctx, const char *k, size_t klen, const json_t *obj) {
    if (ctx == MG_JSON_PLAIN) return MG_JSON_PLAIN;
    return ps->o->member ? ps->o->member(ps->o->ud, MG_JSON_CTX(ctx), k, klen, obj) : MG_JSON_PLAIN;
}

/* Adds member key=v to obj (v stolen), or fails on a duplicate when asked to. */
static bool put_member(parser *ps, json_t *obj, const char *key, size_t klen, json_t *v, int child,
                       const char *key_at) {
    if ((child & MG_JSON_DROP_EMPTY) && json_is_object(v) && json_object_size(v) == 0) {
        json_decref(v);
        return true;
    }
    size_t before = json_object_size(obj);
    json_object_setn_new_nocheck(obj, key, klen, v);
    /* a duplicate key replaced the earlier member: the size tells (cheaper than a lookup first) */
    if (ps->o->reject_duplicates && json_object_size(obj) == before)
        return fail_at(ps, key_at, false, "duplicate object key");
    return true;
}

/* At the close character of the container being built: consumes it and leaves its depth. */
static bool close_here(parser *ps, char close) {
    if (ps->p >= ps->end || *ps->p != close) return false;
    ps->p++;
    ps->depth--;
    return true;
}

enum { NEXT_MORE, NEXT_DONE, NEXT_FAILED };

/* After a member or item of the container closed by close: a ',' (and the blanks after it) means
 * another follows, the close character ends the container, anything else is an error. */
static int next_in(parser *ps, char close) {
    ws(ps);
    if (ps->p < ps->end && *ps->p == ',') {
        ps->p++;
        ws(ps);
        return NEXT_MORE;
    }
    if (close_here(ps, close)) return NEXT_DONE;
    fail(ps, close == '}' ? "',' or '}' expected" : "',' or ']' expected");
    return NEXT_FAILED;
}

static json_t *build_object(parser *ps, int ctx) {
    if (ps->depth >= MG_JSON_MAX_DEPTH) return limit(ps, ps->p, "maximum nesting depth exceeded"), NULL;
    ps->depth++;
    json_t *obj = json_object();
    ps->p++;
    ws(ps);
    if (close_here(ps, '}')) return obj;
    for (;;) {
        if (ps->p >= ps->end || *ps->p != '"') {
            fail(ps, "string or '}' expected");
            break;
        }
        const char *key_at = ps->p, *k;
        size_t klen;
        bool nul;
        if (!parse_string(ps, &k, &klen, &nul)) break;
        ws(ps);
        if (ps->p >= ps->end || *ps->p != ':') {
            fail(ps, "':' expected");
            break;
        }
        ps->p++;
        ws(ps);
        int child = nul ? MG_JSON_PLAIN : child_of(ps, ctx, k, klen, obj);
        if (child == MG_JSON_SKIP) {
            if (!skip_value(ps, (size_t)(MG_JSON_MAX_DEPTH - ps->depth))) break;
        } else {
            if (nul) {
                limit(ps, key_at, "NUL in an object key");
                break;
            }
            /* a key in the scratch buffer would be overwritten by the value's strings */
            char kbuf[KEY_STACK_BUF], *heap = NULL;
            const char *key = k;
            if (k == ps->scratch) {
                char *copy = klen < sizeof kbuf ? kbuf : (heap = mg_xmalloc(klen + 1));
                memcpy(copy, k, klen);
                key = copy;
            }
            json_t *v = build_value(ps, child);
            bool ok = v && (v == LEFT_OUT || put_member(ps, obj, key, klen, v, child, key_at));
            free(heap);
            if (!ok) break;
        }
        int next = next_in(ps, '}');
        if (next == NEXT_DONE) return obj;
        if (next == NEXT_FAILED) break;
    }
    json_decref(obj);
    return NULL;
}

static json_t *build_array(parser *ps, int ctx) {
    if (ps->depth >= MG_JSON_MAX_DEPTH) return limit(ps, ps->p, "maximum nesting depth exceeded"), NULL;
    ps->depth++;
    json_t *arr = json_array();
    int item =
        ctx == MG_JSON_PLAIN || !ps->o->item ? MG_JSON_PLAIN : ps->o->item(ps->o->ud, MG_JSON_CTX(ctx));
    ps->p++;
    ws(ps);
    if (close_here(ps, ']')) return arr;
    for (;;) {
        if (item == MG_JSON_SKIP) {
            if (!skip_value(ps, (size_t)(MG_JSON_MAX_DEPTH - ps->depth))) break;
        } else {
            json_t *v = build_value(ps, item);
            if (!v) break;
            if (v != LEFT_OUT) json_array_append_new(arr, v);
        }
        int next = next_in(ps, ']');
        if (next == NEXT_DONE) return arr;
        if (next == NEXT_FAILED) break;
    }
    json_decref(arr);
    return NULL;
}

static json_t *build_plain(parser *ps, int ctx) {
    if (ps->p >= ps->end) return fail(ps, "premature end of input"), NULL;
    const char *s;
    size_t len;
    json_t *v = NULL;
    switch (*ps->p) {
    case '{': return build_object(ps, ctx);
    case '[': return build_array(ps, ctx);
    case '"': return parse_string(ps, &s, &len, NULL) ? json_stringn_nocheck(s, len) : NULL;
    case 't': return literal(ps, "true", 4) ? json_true() : NULL;
    case 'f': return literal(ps, "false", 5) ? json_false() : NULL;
    case 'n': return literal(ps, "null", 4) ? json_null() : NULL;
    default: return parse_number(ps, &v) ? v : NULL;
    }
}

/* Builds a value; an isolated one that hits a limit is stepped over and reported (LEFT_OUT). */
static json_t *build_value(parser *ps, int ctx) {
    if (!(ctx & MG_JSON_ISOLATE)) return build_plain(ps, ctx);
    const char *at = ps->p;
    int depth = ps->depth;
    json_t *v = build_plain(ps, ctx);
    if (v || !ps->soft) return v;
    char why[WHY_MAX];
    snprintf(why, sizeof why, "%s at byte %zu", ps->why, (size_t)(ps->err_at - ps->start));
    ps->err_at = NULL;
    ps->soft = false;
    ps->p = at;
    ps->depth = depth;
    if (!skip_value(ps, SIZE_MAX)) return NULL;
    if (ps->o->on_skip) ps->o->on_skip(ps->o->ud, MG_JSON_CTX(ctx), (size_t)(at - ps->start), why);
    return LEFT_OUT;
}

json_t *mg_json_parse(const char *text, size_t len, const mg_json_opts *opts, mg_error *err) {
    static const mg_json_opts plain = {0};
    parser ps = {.start = text, .p = text, .end = text + len, .o = opts ? opts : &plain};
    ws(&ps);
    json_t *v = NULL;
    if (ps.o->container_root && (ps.p >= ps.end || (*ps.p != '{' && *ps.p != '[')))
        fail(&ps, "'[' or '{' expected");
    else
        v = build_value(&ps, ps.o->root_ctx & ~MG_JSON_ISOLATE);
    if (v) {
        ws(&ps);
        if (ps.p != ps.end) {
            json_decref(v);
            v = NULL;
            fail(&ps, "end of input expected after the value");
        }
    }
    free(ps.scratch);
    if (v) return v;
    int line = 1, col = 1;
    for (const char *q = text; q < ps.err_at && q < ps.end; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    mg_error_set(err, MG_EPARSE, "line %d column %d (byte %zu): %s", line, col, (size_t)(ps.err_at - text),
                 ps.why);
    return NULL;
}

/* ---- Kubernetes objects -------------------------------------------------------------------- */

enum role { R_NONE = 1, R_OBJ, R_META, R_ANN, R_EVENT, R_LIST, R_ITEMS };

#define KEY_IS(lit) (klen == sizeof(lit) - 1 && !memcmp(key, lit, sizeof(lit) - 1))

static int k8s_member(void *ud, int ctx, const char *key, size_t klen, const json_t *obj) {
    (void)ud;
    (void)obj;
    switch (ctx) {
    case R_OBJ: return KEY_IS("metadata") ? R_META : MG_JSON_PLAIN;
    case R_META:
        if (KEY_IS("managedFields")) return MG_JSON_SKIP;
        return KEY_IS("annotations") ? R_ANN | MG_JSON_DROP_EMPTY : MG_JSON_PLAIN;
    case R_ANN:
        return KEY_IS("kubectl.kubernetes.io/last-applied-configuration") ? MG_JSON_SKIP : MG_JSON_PLAIN;
    case R_EVENT: return KEY_IS("object") ? R_OBJ | MG_JSON_ISOLATE : MG_JSON_PLAIN;
    case R_LIST: return KEY_IS("items") ? R_ITEMS : MG_JSON_PLAIN;
    default: return MG_JSON_PLAIN;
    }
}

static int k8s_item(void *ud, int ctx) {
    (void)ud;
    return ctx == R_ITEMS ? R_OBJ | MG_JSON_ISOLATE : MG_JSON_PLAIN;
}

typedef struct k8s_skip {
    mg_json_skip_fn fn;
    void *ud;
} k8s_skip;

static void k8s_on_skip(void *ud, int ctx, size_t offset, const char *why) {
    (void)ctx;
    const k8s_skip *k = ud;
    if (k->fn) k->fn(k->ud, offset, why);
}

json_t *mg_k8s_json_parse_ex(const char *text, size_t len, mg_json_strip strip, mg_json_skip_fn skipped,
                             void *ud, mg_error *err) {
    k8s_skip k = {skipped, ud};
    mg_json_opts o = {.allow_nul = true,
                      .big_int_as_real = true,
                      .root_ctx = strip == MG_JSON_STRIP_OBJECT  ? R_OBJ
                                  : strip == MG_JSON_STRIP_EVENT ? R_EVENT
                                  : strip == MG_JSON_STRIP_LIST  ? R_LIST
                                                                 : MG_JSON_PLAIN,
                      .member = k8s_member,
                      .item = k8s_item,
                      .on_skip = k8s_on_skip,
                      .ud = &k};
    return mg_json_parse(text, len, &o, err);
}

json_t *mg_k8s_json_parse(const char *text, size_t len, mg_json_strip strip, mg_error *err) {
    return mg_k8s_json_parse_ex(text, len, strip, NULL, NULL, err);
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
