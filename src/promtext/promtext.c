/* promtext — the Prometheus text-format parser. See promtext.h. */
#include "promtext/promtext.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/mem.h"
#include "core/utf8.h"

struct mg_prom_parser {
    mg_prom_limits lim;
    mg_prom_sample_fn on_sample;
    mg_prom_meta_fn on_meta;
    void *ud;
    char *line; /* max_line + 1 bytes */
    size_t linelen;
    size_t lineno; /* lines completed so far */
    size_t bytes;
    size_t samples;
    mg_prom_label *labels;
    char *family; /* name of the latest # TYPE line, or NULL */
    mg_prom_type family_type;
    int failed; /* sticky error code */
    char failmsg[256];
};

static bool is_blank(char c) { return c == ' ' || c == '\t'; }
static bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

static int fail(mg_prom_parser *p, mg_error *err, int code, const char *msg, const char *detail) {
    size_t n = p->lineno + 1;
    if (!p->failed) {
        p->failed = code;
        /* keep the message so later calls report the same thing */
        char *m = mg_xasprintf("line %zu: %s%s%s", n, msg, detail ? ": " : "", detail ? detail : "");
        size_t len = strlen(m);
        if (len >= sizeof(p->failmsg)) len = sizeof(p->failmsg) - 1;
        memcpy(p->failmsg, m, len);
        p->failmsg[len] = '\0';
        free(m);
    }
    mg_error_set(err, p->failed, "prometheus text: %s", p->failmsg);
    return p->failed;
}

static size_t skip_blanks(const char *s, size_t i, size_t n) {
    while (i < n && is_blank(s[i]))
        i++;
    return i;
}

/* Metric names allow ':' too. Returns the end index (== i when there is no name). */
static size_t scan_name(const char *s, size_t i, size_t n, bool metric) {
    if (i >= n || !(is_name_start(s[i]) || (metric && s[i] == ':'))) return i;
    i++;
    while (i < n && (is_name_char(s[i]) || (metric && s[i] == ':')))
        i++;
    return i;
}

/* Strict UTF-8 check (no overlongs, no surrogates, <= U+10FFFF). */
static bool valid_utf8(const char *s, size_t n) { return mg_utf8_valid_prefix(s, n) == n; }

/* Go's strconv.ParseFloat as the Prometheus parser uses it: decimal (and hex) floats, Inf,
 * Infinity, NaN in any case, with an optional sign. The token is NUL-terminated. */
static bool parse_value(const char *tok, double *out) {
    if (!*tok) return false;
    const char *t = tok;
    if (*t == '+' || *t == '-') t++;
    if (!strcasecmp(t, "nan")) {
        if (t != tok) return false; /* Go rejects a signed NaN */
        *out = NAN;
        return true;
    }
    if (!strcasecmp(t, "inf") || !strcasecmp(t, "infinity")) {
        *out = tok[0] == '-' ? -INFINITY : INFINITY;
        return true;
    }
    /* strtod would also take "nan(...)", "infinit" prefixes and leading blanks: only digits,
     * '.', exponent and hex forms reach it here */
    if (!(*t == '.' || (*t >= '0' && *t <= '9'))) return false;
    char *end;
    errno = 0;
    double v = strtod(tok, &end);
    if (*end != '\0' || end == tok) return false;
    /* ERANGE: overflow gives +-HUGE_VAL (Go: +-Inf with an error → rejected); underflow is
     * fine (Go returns the nearest value, 0 or subnormal) */
    if (errno == ERANGE && isinf(v)) return false;
    *out = v;
    return true;
}

static bool parse_timestamp(const char *tok, int64_t *out) {
    const char *t = tok;
    if (*t == '+' || *t == '-') t++;
    if (!(*t >= '0' && *t <= '9')) return false;
    char *end;
    errno = 0;
    long long v = strtoll(tok, &end, 10);
    if (*end != '\0' || errno == ERANGE) return false;
    *out = (int64_t)v;
    return true;
}

static int parse_type_word(const char *w, mg_prom_type *t) {
    static const char *const names[] = {"untyped", "counter", "gauge", "histogram", "summary"};
    for (int i = 0; i < 5; i++)
        if (!strcmp(w, names[i])) {
            *t = (mg_prom_type)i;
            return 0;
        }
    return -1;
}

static mg_prom_type type_of(const mg_prom_parser *p, const char *name) {
    if (!p->family) return MG_PROM_UNTYPED;
    size_t fl = strlen(p->family);
    if (strncmp(name, p->family, fl) != 0) return MG_PROM_UNTYPED;
    const char *suffix = name + fl;
    if (!*suffix) return p->family_type;
    if (p->family_type == MG_PROM_HISTOGRAM &&
        (!strcmp(suffix, "_bucket") || !strcmp(suffix, "_sum") || !strcmp(suffix, "_count")))
        return MG_PROM_HISTOGRAM;
    if (p->family_type == MG_PROM_SUMMARY && (!strcmp(suffix, "_sum") || !strcmp(suffix, "_count")))
        return MG_PROM_SUMMARY;
    return MG_PROM_UNTYPED;
}

/* `# ...` line; s[0] == '#'. */
static int parse_comment(mg_prom_parser *p, char *s, size_t n, mg_error *err) {
    size_t i = skip_blanks(s, 1, n);
    size_t kw = i;
    while (i < n && !is_blank(s[i]))
        i++;
    size_t kwlen = i - kw;
    bool help = kwlen == 4 && !memcmp(s + kw, "HELP", 4);
    bool type = kwlen == 4 && !memcmp(s + kw, "TYPE", 4);
    if (!help && !type) return 0; /* a plain comment */
    if (i < n && !is_blank(s[i])) return 0;
    i = skip_blanks(s, i, n);
    size_t ns = i, ne = scan_name(s, i, n, true);
    if (ne == ns)
        return fail(p, err, MG_EPARSE, help ? "HELP without a metric name" : "TYPE without a metric name",
                    NULL);
    if (ne < n && !is_blank(s[ne])) return fail(p, err, MG_EPARSE, "invalid metric name in comment", NULL);
    i = skip_blanks(s, ne, n);
    s[ne] = '\0';
    const char *name = s + ns;
    if (type) {
        size_t ts = i;
        while (i < n && !is_blank(s[i]))
            i++;
        size_t te = i;
        if (skip_blanks(s, i, n) != n) return fail(p, err, MG_EPARSE, "trailing text after TYPE", NULL);
        s[te] = '\0';
        mg_prom_type t;
        if (te == ts) return fail(p, err, MG_EPARSE, "TYPE without a type", name);
        if (parse_type_word(s + ts, &t)) return fail(p, err, MG_EPARSE, "unknown metric type", s + ts);
        if (p->family && !strcmp(p->family, name))
            return fail(p, err, MG_EPARSE, "second TYPE line for metric", name);
        free(p->family);
        p->family = mg_xstrdup(name);
        p->family_type = t;
        if (p->on_meta) {
            int rc = p->on_meta(true, name, s + ts, p->lineno + 1, p->ud);
            if (rc) return fail(p, err, rc, "stopped by the metadata callback", NULL);
        }
        return 0;
    }
    /* HELP text: the rest of the line, escapes \\ and \n */
    size_t w = i;
    for (size_t r = i; r < n; r++) {
        char c = s[r];
        if (c == '\\') {
            if (r + 1 >= n) return fail(p, err, MG_EPARSE, "HELP text ends with a backslash", NULL);
            char e = s[++r];
            if (e == '\\')
                c = '\\';
            else if (e == 'n')
                c = '\n';
            else
                return fail(p, err, MG_EPARSE, "invalid escape sequence in HELP text", NULL);
        }
        s[w++] = c;
    }
    s[w] = '\0';
    if (!valid_utf8(s + i, w - i)) return fail(p, err, MG_EPARSE, "HELP text is not valid UTF-8", NULL);
    if (p->on_meta) {
        int rc = p->on_meta(false, name, s + i, p->lineno + 1, p->ud);
        if (rc) return fail(p, err, rc, "stopped by the metadata callback", NULL);
    }
    return 0;
}

/* A quoted label value at s[*i] (just after the opening '"'), unescaped in place and
 * NUL-terminated; *i moves past the closing '"'. ns is the metric name, for messages. */
static int parse_label_value(mg_prom_parser *p, char *s, size_t *i, size_t n, size_t ns, mg_error *err) {
    size_t vs = *i, w = *i, k = *i;
    bool closed = false;
    while (k < n) {
        char c = s[k++];
        if (c == '"') {
            closed = true;
            break;
        }
        if (c == '\\') {
            if (k >= n) break;
            char e = s[k++];
            if (e == '\\' || e == '"')
                c = e;
            else if (e == 'n')
                c = '\n';
            else
                return fail(p, err, MG_EPARSE, "invalid escape sequence in label value", s + ns);
        }
        s[w++] = c;
    }
    if (!closed) return fail(p, err, MG_EPARSE, "unterminated label value", s + ns);
    s[w] = '\0';
    if (!valid_utf8(s + vs, w - vs)) return fail(p, err, MG_EPARSE, "label value is not valid UTF-8", s + ns);
    *i = k;
    return 0;
}

/* The labels between '{' and '}' (*i just after the '{'), into p->labels; *i moves past the
 * '}' and *nl counts them. */
static int parse_labels(mg_prom_parser *p, char *s, size_t *i, size_t n, size_t ns, size_t *nl,
                        mg_error *err) {
    for (;;) {
        *i = skip_blanks(s, *i, n);
        if (*i < n && s[*i] == '}') break;
        size_t ls = *i, le = scan_name(s, *i, n, false);
        if (le == ls) return fail(p, err, MG_EPARSE, "expected a label name or '}'", s + ns);
        *i = skip_blanks(s, le, n);
        if (*i >= n || s[*i] != '=') return fail(p, err, MG_EPARSE, "expected '=' after label name", s + ns);
        s[le] = '\0';
        *i = skip_blanks(s, *i + 1, n);
        if (*i >= n || s[*i] != '"')
            return fail(p, err, MG_EPARSE, "expected '\"' to open a label value", s + ns);
        size_t vs = ++*i;
        int rc = parse_label_value(p, s, i, n, ns, err);
        if (rc) return rc;
        if (*nl >= p->lim.max_labels) return fail(p, err, MG_ETOOBIG, "too many labels", s + ns);
        for (size_t k = 0; k < *nl; k++)
            if (!strcmp(p->labels[k].name, s + ls))
                return fail(p, err, MG_EPARSE, "duplicate label name", s + ls);
        p->labels[*nl].name = s + ls;
        p->labels[*nl].value = s + vs;
        (*nl)++;
        *i = skip_blanks(s, *i, n);
        if (*i < n && s[*i] == ',') {
            (*i)++;
            continue;
        }
        if (*i < n && s[*i] == '}') break;
        return fail(p, err, MG_EPARSE, "expected ',' or '}' after a label", s + ns);
    }
    (*i)++; /* the '}' */
    return 0;
}

static int parse_sample(mg_prom_parser *p, char *s, size_t n, mg_error *err) {
    size_t ns = 0, ne = scan_name(s, 0, n, true);
    if (ne == ns) return fail(p, err, MG_EPARSE, "expected a metric name", NULL);
    size_t i = skip_blanks(s, ne, n);
    size_t nl = 0;
    if (i < n && s[i] == '{') {
        s[ne] = '\0';
        i++;
        int rc = parse_labels(p, s, &i, n, ns, &nl, err);
        if (rc) return rc;
        i = skip_blanks(s, i, n);
    } else {
        if (ne < n && !is_blank(s[ne]))
            return fail(p, err, MG_EPARSE, "invalid character in metric name", NULL);
        s[ne] = '\0';
    }
    size_t vs = i;
    while (i < n && !is_blank(s[i]))
        i++;
    size_t ve = i;
    if (ve == vs) return fail(p, err, MG_EPARSE, "missing value", s + ns);
    i = skip_blanks(s, i, n);
    s[ve] = '\0';
    mg_prom_sample smp = {.name = s + ns, .labels = p->labels, .nlabels = nl, .line = p->lineno + 1};
    if (!parse_value(s + vs, &smp.value)) return fail(p, err, MG_EPARSE, "invalid value", s + vs);
    if (i < n) {
        size_t ts = i;
        while (i < n && !is_blank(s[i]))
            i++;
        size_t te = i;
        if (skip_blanks(s, i, n) != n)
            return fail(p, err, MG_EPARSE, "trailing text after timestamp", s + ns);
        s[te] = '\0';
        if (!parse_timestamp(s + ts, &smp.timestamp_ms))
            return fail(p, err, MG_EPARSE, "invalid timestamp", s + ts);
        smp.has_timestamp = true;
    }
    if (p->samples >= p->lim.max_samples) return fail(p, err, MG_ETOOBIG, "too many samples", NULL);
    p->samples++;
    smp.type = type_of(p, smp.name);
    int rc = p->on_sample ? p->on_sample(&smp, p->ud) : 0;
    if (rc) return fail(p, err, rc, "stopped by the sample callback", NULL);
    return 0;
}

/* One complete line in p->line[0..linelen) (line end removed). */
static int parse_line(mg_prom_parser *p, mg_error *err) {
    char *s = p->line;
    size_t n = p->linelen;
    if (n && s[n - 1] == '\r') n--;
    s[n] = '\0';
    if (memchr(s, '\0', n)) return fail(p, err, MG_EPARSE, "NUL byte in input", NULL);
    size_t i = skip_blanks(s, 0, n);
    if (i == n) return 0;
    if (s[i] == '#') return parse_comment(p, s + i, n - i, err);
    return parse_sample(p, s + i, n - i, err);
}

mg_prom_parser *mg_prom_parser_new(const mg_prom_limits *limits, mg_prom_sample_fn on_sample,
                                   mg_prom_meta_fn on_meta, void *ud) {
    mg_prom_parser *p = mg_xcalloc(1, sizeof(*p));
    if (limits) p->lim = *limits;
    if (!p->lim.max_line) p->lim.max_line = MG_PROM_DEFAULT_MAX_LINE;
    if (!p->lim.max_labels) p->lim.max_labels = MG_PROM_DEFAULT_MAX_LABELS;
    if (!p->lim.max_samples) p->lim.max_samples = MG_PROM_DEFAULT_MAX_SAMPLES;
    if (!p->lim.max_bytes) p->lim.max_bytes = MG_PROM_DEFAULT_MAX_BYTES;
    p->on_sample = on_sample;
    p->on_meta = on_meta;
    p->ud = ud;
    /* +1 for a CR that the cap does not count, +1 for the NUL */
    p->line = mg_xmalloc(p->lim.max_line + 2);
    p->labels = mg_xcalloc(p->lim.max_labels, sizeof(mg_prom_label));
    return p;
}

int mg_prom_parser_feed(mg_prom_parser *p, const char *data, size_t len, mg_error *err) {
    if (p->failed) return fail(p, err, p->failed, "", NULL);
    if (len > p->lim.max_bytes - p->bytes) return fail(p, err, MG_ETOOBIG, "input larger than the cap", NULL);
    p->bytes += len;
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(data + i, '\n', len - i);
        size_t chunk = nl ? (size_t)(nl - (data + i)) : len - i;
        if (chunk > p->lim.max_line + 1 - p->linelen)
            return fail(p, err, MG_ETOOBIG, "line longer than the cap", NULL);
        memcpy(p->line + p->linelen, data + i, chunk);
        p->linelen += chunk;
        i += chunk;
        if (!nl) break;
        i++; /* the '\n' */
        /* the cap does not count a CR before the LF */
        if (p->linelen > p->lim.max_line && p->line[p->linelen - 1] != '\r')
            return fail(p, err, MG_ETOOBIG, "line longer than the cap", NULL);
        int rc = parse_line(p, err);
        if (rc) return rc;
        p->linelen = 0;
        p->lineno++;
    }
    return 0;
}

int mg_prom_parser_finish(mg_prom_parser *p, mg_error *err) {
    if (p->failed) return fail(p, err, p->failed, "", NULL);
    if (p->linelen == 0) return 0;
    if (p->linelen > p->lim.max_line) return fail(p, err, MG_ETOOBIG, "line longer than the cap", NULL);
    int rc = parse_line(p, err);
    if (rc) return rc;
    p->linelen = 0;
    p->lineno++;
    return 0;
}

void mg_prom_parser_free(mg_prom_parser *p) {
    if (!p) return;
    free(p->line);
    free(p->labels);
    free(p->family);
    free(p);
}

int mg_prom_parse(const char *text, size_t len, const mg_prom_limits *limits, mg_prom_sample_fn on_sample,
                  mg_prom_meta_fn on_meta, void *ud, mg_error *err) {
    mg_prom_parser *p = mg_prom_parser_new(limits, on_sample, on_meta, ud);
    int rc = mg_prom_parser_feed(p, text, len, err);
    if (!rc) rc = mg_prom_parser_finish(p, err);
    mg_prom_parser_free(p);
    return rc;
}

const char *mg_prom_label_get(const mg_prom_sample *s, const char *name) {
    for (size_t i = 0; i < s->nlabels; i++)
        if (!strcmp(s->labels[i].name, name)) return s->labels[i].value;
    return NULL;
}
