#include "webhook/review_load.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

#define MAX_DEPTH 512

/* Where a value sits, which decides what of it is kept. */
typedef enum {
    C_FULL,       /* keep everything below */
    C_ROOT,       /* the AdmissionReview */
    C_REQUEST,    /* .request */
    C_USER,       /* .request.userInfo */
    C_OBJECT,     /* .request.object / .oldObject */
    C_META,       /* an object's metadata */
    C_ANNOT,      /* metadata.annotations */
    C_WL_SPEC,    /* spec of Deployment, ReplicaSet, StatefulSet, DaemonSet, Job */
    C_CRON_SPEC,  /* spec of CronJob */
    C_JOB_TMPL,   /* CronJob spec.jobTemplate */
    C_POD_TMPL,   /* a workload's spec.template */
    C_POD_SPEC,   /* a pod spec */
    C_CONTAINERS, /* containers / initContainers / ephemeralContainers */
    C_CONTAINER,  /* one container */
} ctx;

typedef struct parser {
    const char *start, *p, *end;
    int depth;
    const char *err_at;
    char why[160];
    char *scratch; /* decoded string / key */
    size_t scap;
} parser;

static bool fail(parser *ps, const char *at, const char *why) {
    if (!ps->err_at) {
        ps->err_at = at;
        snprintf(ps->why, sizeof ps->why, "%s", why);
    }
    return false;
}

static void ws(parser *ps) {
    const char *p = ps->p;
    while (p < ps->end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    ps->p = p;
}

static void scratch_need(parser *ps, size_t n) {
    if (n <= ps->scap) return;
    size_t c = ps->scap ? ps->scap : 256;
    while (c < n)
        c *= 2;
    ps->scratch = mg_xrealloc(ps->scratch, c);
    ps->scap = c;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bool read_hex4(parser *ps, const char *p, unsigned *out) {
    if (ps->end - p < 4) return fail(ps, p, "invalid \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0) return fail(ps, p, "invalid \\u escape");
        v = v << 4 | (unsigned)h;
    }
    *out = v;
    return true;
}

/* Length of a valid UTF-8 sequence starting at p (non-ASCII lead byte), or 0. */
static int utf8_seq(const unsigned char *p, const unsigned char *end) {
    unsigned c = p[0];
    int n;
    unsigned min;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (end - p < n) return 0;
    unsigned cp = c & (0xFF >> (n + 1));
    for (int i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

static size_t put_utf8(char *o, unsigned cp) {
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

/* Parses a string at ps->p (which is '"'). With decode, the content goes NUL-terminated into
 * ps->scratch and *len; otherwise it is only validated. */
static bool parse_string(parser *ps, bool decode, size_t *len) {
    const char *p = ps->p + 1, *end = ps->end;
    size_t o = 0;
    if (decode) scratch_need(ps, 64);
    for (;;) {
        /* Fast run of plain ASCII, eight bytes at a time: flag bytes that are '"', '\\', a
         * control character or non-ASCII; the lowest flag is always a real one (borrows only
         * spill upwards), so it is where the run ends. */
        const char *run = p;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        while (end - p >= 8) {
            uint64_t v;
            memcpy(&v, p, 8);
            const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
            uint64_t q = v ^ (ones * '"'), b = v ^ (ones * '\\');
            uint64_t special = (((q - ones) & ~q) | ((b - ones) & ~b) | ((v - ones * 0x20) & ~v) | v) & highs;
            if (special) {
                p += __builtin_ctzll(special) >> 3;
                goto run_done;
            }
            p += 8;
        }
#endif
        while (p < end && (unsigned char)*p >= 0x20 && *p != '"' && *p != '\\' && (unsigned char)*p < 0x80)
            p++;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    run_done:
#endif
        if (decode && p > run) {
            scratch_need(ps, o + (size_t)(p - run) + 8);
            memcpy(ps->scratch + o, run, (size_t)(p - run));
            o += (size_t)(p - run);
        }
        if (p >= end) return fail(ps, p, "premature end of input in a string");
        unsigned char c = (unsigned char)*p;
        if (c == '"') {
            p++;
            break;
        }
        if (c < 0x20) return fail(ps, p, "control character in a string");
        if (c >= 0x80) {
            int n = utf8_seq((const unsigned char *)p, (const unsigned char *)end);
            if (!n) return fail(ps, p, "invalid UTF-8 in a string");
            if (decode) {
                scratch_need(ps, o + 8);
                memcpy(ps->scratch + o, p, (size_t)n);
                o += (size_t)n;
            }
            p += n;
            continue;
        }
        /* backslash escape */
        if (end - p < 2) return fail(ps, p, "premature end of input in a string");
        char e = p[1];
        unsigned cp;
        switch (e) {
        case '"': cp = '"'; break;
        case '\\': cp = '\\'; break;
        case '/': cp = '/'; break;
        case 'b': cp = '\b'; break;
        case 'f': cp = '\f'; break;
        case 'n': cp = '\n'; break;
        case 'r': cp = '\r'; break;
        case 't': cp = '\t'; break;
        case 'u': {
            if (!read_hex4(ps, p + 2, &cp)) return false;
            p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (end - p < 8 || p[2] != '\\' || p[3] != 'u' || !read_hex4(ps, p + 4, &lo) || lo < 0xDC00 ||
                    lo > 0xDFFF)
                    return fail(ps, p, "invalid Unicode surrogate pair");
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p += 6;
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return fail(ps, p, "invalid Unicode surrogate pair");
            }
            if (cp == 0) return fail(ps, p, "\\u0000 is not allowed");
            break;
        }
        default: return fail(ps, p, "invalid escape");
        }
        if (decode) {
            scratch_need(ps, o + 8);
            o += put_utf8(ps->scratch + o, cp);
        }
        p += 2;
    }
    if (decode) {
        scratch_need(ps, o + 1);
        ps->scratch[o] = '\0';
        *len = o;
    }
    ps->p = p;
    return true;
}

/* Parses a number; with build, *out gets a json_integer or json_real like jansson would. */
static bool parse_number(parser *ps, json_t **out) {
    const char *p = ps->p, *end = ps->end, *s = p;
    bool real = false;
    if (p < end && *p == '-') p++;
    if (p >= end) return fail(ps, p, "invalid number");
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    } else {
        return fail(ps, p, "invalid token");
    }
    if (p < end && *p == '.') {
        real = true;
        p++;
        if (p >= end || *p < '0' || *p > '9') return fail(ps, p, "invalid number");
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        real = true;
        p++;
        if (p < end && (*p == '+' || *p == '-')) p++;
        if (p >= end || *p < '0' || *p > '9') return fail(ps, p, "invalid number");
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    ps->p = p;
    size_t n = (size_t)(p - s);
    /* Validating only: short numbers cannot overflow, so skip the conversion. */
    if (!out && ((!real && n <= 18) || (real && n <= 300 && !memchr(s, 'e', n) && !memchr(s, 'E', n))))
        return true;
    char buf[128];
    char *num = n < sizeof buf ? buf : mg_xmalloc(n + 1);
    memcpy(num, s, n);
    num[n] = '\0';
    bool ok = true;
    errno = 0;
    if (!real) {
        long long v = strtoll(num, NULL, 10);
        if (errno == ERANGE)
            ok = fail(ps, s, "too big integer");
        else if (out)
            *out = json_integer(v);
    } else {
        double v = strtod(num, NULL);
        if (errno == ERANGE && isinf(v))
            ok = fail(ps, s, "real number overflow");
        else if (out)
            *out = json_real(v);
    }
    if (num != buf) free(num);
    return ok;
}

static bool literal(parser *ps, const char *word, size_t n) {
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) return fail(ps, ps->p, "invalid token");
    ps->p += n;
    return true;
}

static bool skip_value(parser *ps);
static json_t *build_value(parser *ps, ctx c);

#define WS(p, end)                                                                                           \
    while ((p) < (end) && (*(p) == ' ' || *(p) == '\n' || *(p) == '\r' || *(p) == '\t'))                     \
    (p)++

/* Validates one value without building it: an iterative state machine with an explicit stack
 * of open containers (the hot path for the dropped parts of a review). */
static bool skip_value(parser *ps) {
    char stack[MAX_DEPTH];
    int sp = 0;
    const char *end = ps->end;
    for (;;) {
        /* expecting a value */
        WS(ps->p, end);
        if (ps->p >= end) return fail(ps, ps->p, "premature end of input");
        switch (*ps->p) {
        case '{':
            if (ps->depth + sp + 1 > MAX_DEPTH) return fail(ps, ps->p, "maximum nesting depth exceeded");
            stack[sp++] = '}';
            ps->p++;
            WS(ps->p, end);
            if (ps->p < end && *ps->p == '}') {
                ps->p++;
                sp--;
                goto after_value;
            }
            goto key;
        case '[':
            if (ps->depth + sp + 1 > MAX_DEPTH) return fail(ps, ps->p, "maximum nesting depth exceeded");
            stack[sp++] = ']';
            ps->p++;
            WS(ps->p, end);
            if (ps->p < end && *ps->p == ']') {
                ps->p++;
                sp--;
                goto after_value;
            }
            continue;
        case '"':
            if (!parse_string(ps, false, NULL)) return false;
            goto after_value;
        case 't':
            if (!literal(ps, "true", 4)) return false;
            goto after_value;
        case 'f':
            if (!literal(ps, "false", 5)) return false;
            goto after_value;
        case 'n':
            if (!literal(ps, "null", 4)) return false;
            goto after_value;
        default:
            if (!parse_number(ps, NULL)) return false;
            goto after_value;
        }
    key:
        if (ps->p >= end || *ps->p != '"') return fail(ps, ps->p, "string or '}' expected");
        if (!parse_string(ps, false, NULL)) return false;
        WS(ps->p, end);
        if (ps->p >= end || *ps->p != ':') return fail(ps, ps->p, "':' expected");
        ps->p++;
        continue;
    after_value:
        for (;;) {
            if (sp == 0) return true;
            WS(ps->p, end);
            if (ps->p < end && *ps->p == ',') {
                ps->p++;
                if (stack[sp - 1] == '}') {
                    WS(ps->p, end);
                    goto key;
                }
                break; /* next array item */
            }
            if (ps->p < end && *ps->p == stack[sp - 1]) {
                ps->p++;
                sp--;
                continue;
            }
            return fail(ps, ps->p, stack[sp - 1] == '}' ? "',' or '}' expected" : "',' or ']' expected");
        }
    }
}

/* The built-in kinds whose pod specs and status are pruned. */
typedef enum { K_OTHER = 0, K_POD, K_WORKLOAD, K_CRONJOB } kind_class;

static kind_class classify(const char *api, const char *kind) {
    if (!api || !kind) return K_OTHER;
    if (!strcmp(api, "v1") && !strcmp(kind, "Pod")) return K_POD;
    if (!strcmp(api, "apps/v1") && (!strcmp(kind, "Deployment") || !strcmp(kind, "ReplicaSet") ||
                                    !strcmp(kind, "StatefulSet") || !strcmp(kind, "DaemonSet")))
        return K_WORKLOAD;
    if (!strcmp(api, "batch/v1") && !strcmp(kind, "Job")) return K_WORKLOAD;
    if (!strcmp(api, "batch/v1") && !strcmp(kind, "CronJob")) return K_CRONJOB;
    return K_OTHER;
}

#define SKIP ((ctx)-1)

/* What to do with key `k` (value starting at ps->p) inside an object of context c. */
static ctx child_ctx(ctx c, const char *k, kind_class kc) {
    switch (c) {
    case C_ROOT: return !strcmp(k, "request") ? C_REQUEST : C_FULL;
    case C_REQUEST:
        if (!strcmp(k, "object") || !strcmp(k, "oldObject")) return C_OBJECT;
        if (!strcmp(k, "userInfo")) return C_USER;
        if (!strcmp(k, "options") || !strcmp(k, "requestKind") || !strcmp(k, "requestResource") ||
            !strcmp(k, "requestSubResource"))
            return SKIP;
        return C_FULL;
    case C_USER: return (!strcmp(k, "username") || !strcmp(k, "groups")) ? C_FULL : SKIP;
    case C_OBJECT:
        if (!strcmp(k, "metadata")) return C_META;
        if (!strcmp(k, "spec"))
            return kc == K_POD        ? C_POD_SPEC
                   : kc == K_WORKLOAD ? C_WL_SPEC
                   : kc == K_CRONJOB  ? C_CRON_SPEC
                                      : C_FULL;
        if (!strcmp(k, "status") && kc != K_OTHER) return SKIP;
        return C_FULL;
    case C_META:
        if (!strcmp(k, "managedFields")) return SKIP;
        if (!strcmp(k, "annotations")) return C_ANNOT;
        return C_FULL;
    case C_ANNOT: return !strcmp(k, "kubectl.kubernetes.io/last-applied-configuration") ? SKIP : C_FULL;
    case C_WL_SPEC: return !strcmp(k, "template") ? C_POD_TMPL : C_FULL;
    case C_CRON_SPEC: return !strcmp(k, "jobTemplate") ? C_JOB_TMPL : C_FULL;
    case C_JOB_TMPL:
        if (!strcmp(k, "metadata")) return C_META;
        return !strcmp(k, "spec") ? C_WL_SPEC : C_FULL;
    case C_POD_TMPL:
        if (!strcmp(k, "metadata")) return C_META;
        return !strcmp(k, "spec") ? C_POD_SPEC : C_FULL;
    case C_POD_SPEC:
        if (!strcmp(k, "containers") || !strcmp(k, "initContainers") || !strcmp(k, "ephemeralContainers"))
            return C_CONTAINERS;
        return !strcmp(k, "serviceAccountName") ? C_FULL : SKIP;
    case C_CONTAINER: return (!strcmp(k, "name") || !strcmp(k, "image")) ? C_FULL : SKIP;
    default: return C_FULL;
    }
}

static json_t *build_object(parser *ps, ctx c) {
    if (++ps->depth > MAX_DEPTH) {
        fail(ps, ps->p, "maximum nesting depth exceeded");
        return NULL;
    }
    json_t *obj = json_object();
    const char *api = NULL, *kind = NULL; /* C_OBJECT: borrowed from obj */
    ps->p++;
    ws(ps);
    if (ps->p < ps->end && *ps->p == '}') {
        ps->p++;
        ps->depth--;
        return obj;
    }
    for (;;) {
        if (ps->p >= ps->end || *ps->p != '"') {
            fail(ps, ps->p, "string or '}' expected");
            goto err;
        }
        const char *key_at = ps->p;
        size_t klen;
        if (!parse_string(ps, true, &klen)) goto err;
        if (memchr(ps->scratch, '\0', klen)) {
            fail(ps, key_at, "NUL byte in object key");
            goto err;
        }
        ws(ps);
        if (ps->p >= ps->end || *ps->p != ':') {
            fail(ps, ps->p, "':' expected");
            goto err;
        }
        ps->p++;
        ws(ps);
        if (ps->p >= ps->end) {
            fail(ps, ps->p, "premature end of input");
            goto err;
        }
        kind_class kc = c == C_OBJECT ? classify(api, kind) : K_OTHER;
        ctx cc = c == C_FULL ? C_FULL : child_ctx(c, ps->scratch, kc);
        if (cc == SKIP) {
            if (!skip_value(ps)) goto err;
        } else {
            /* The key is in scratch, which the value's parse reuses: keep a copy. */
            char kbuf[128];
            char *key = klen < sizeof kbuf ? kbuf : mg_xmalloc(klen + 1);
            memcpy(key, ps->scratch, klen + 1);
            json_t *v = build_value(ps, cc);
            if (v) {
                /* A duplicate key replaces the earlier member: the size tells (cheaper than a
                 * lookup before every insert). */
                size_t before = json_object_size(obj);
                json_object_set_new_nocheck(obj, key, v);
                if (json_object_size(obj) == before) {
                    if (key != kbuf) free(key);
                    fail(ps, key_at, "duplicate object key");
                    goto err;
                }
            }
            if (v && c == C_OBJECT && json_is_string(v)) {
                if (!strcmp(key, "apiVersion")) api = json_string_value(v);
                if (!strcmp(key, "kind")) kind = json_string_value(v);
            }
            if (key != kbuf) free(key);
            if (!v) goto err;
        }
        ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            ws(ps);
            continue;
        }
        if (ps->p < ps->end && *ps->p == '}') {
            ps->p++;
            ps->depth--;
            return obj;
        }
        fail(ps, ps->p, "',' or '}' expected");
        goto err;
    }
err:
    json_decref(obj);
    return NULL;
}

static json_t *build_array(parser *ps, ctx c) {
    if (++ps->depth > MAX_DEPTH) {
        fail(ps, ps->p, "maximum nesting depth exceeded");
        return NULL;
    }
    json_t *arr = json_array();
    ctx item = c == C_CONTAINERS ? C_CONTAINER : C_FULL;
    ps->p++;
    ws(ps);
    if (ps->p < ps->end && *ps->p == ']') {
        ps->p++;
        ps->depth--;
        return arr;
    }
    for (;;) {
        json_t *v = build_value(ps, item);
        if (!v) goto err;
        json_array_append_new(arr, v);
        ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            ws(ps);
            continue;
        }
        if (ps->p < ps->end && *ps->p == ']') {
            ps->p++;
            ps->depth--;
            return arr;
        }
        fail(ps, ps->p, "',' or ']' expected");
        goto err;
    }
err:
    json_decref(arr);
    return NULL;
}

static json_t *build_value(parser *ps, ctx c) {
    if (ps->p >= ps->end) {
        fail(ps, ps->p, "premature end of input");
        return NULL;
    }
    json_t *v = NULL;
    size_t len;
    switch (*ps->p) {
    case '{': return build_object(ps, c == C_CONTAINERS ? C_FULL : c);
    case '[': return build_array(ps, c);
    case '"':
        if (!parse_string(ps, true, &len)) return NULL;
        return json_stringn_nocheck(ps->scratch, len);
    case 't': return literal(ps, "true", 4) ? json_true() : NULL;
    case 'f': return literal(ps, "false", 5) ? json_false() : NULL;
    case 'n': return literal(ps, "null", 4) ? json_null() : NULL;
    default: return parse_number(ps, &v) ? v : NULL;
    }
}

int mg_review_load(const char *text, size_t len, json_t **out, mg_error *err) {
    *out = NULL;
    parser ps = {.start = text, .p = text, .end = text + len};
    ws(&ps);
    json_t *root = NULL;
    if (ps.p >= ps.end)
        fail(&ps, ps.p, "'[' or '{' expected near end of file");
    else if (*ps.p != '{' && *ps.p != '[')
        fail(&ps, ps.p, "'[' or '{' expected");
    else
        root = build_value(&ps, C_ROOT);
    if (root) {
        ws(&ps);
        if (ps.p != ps.end) {
            fail(&ps, ps.p, "end of file expected");
            json_decref(root);
            root = NULL;
        }
    }
    free(ps.scratch);
    if (!root) {
        int line = 1, col = 1;
        for (const char *q = text; q < ps.err_at && q < ps.end; q++) {
            if (*q == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        return mg_error_set(err, MG_EPARSE, "line %d column %d: %s", line, col, ps.why);
    }
    *out = root;
    return 0;
}
