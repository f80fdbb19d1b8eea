/* `pseudonymize`: keyed HMAC-SHA256 tokens for chosen columns, dropped columns, and a report
 * whose digest is the DatasetVersion's spec.privacy.reportDigest.
 *
 * HMAC is computed with OpenSSL's SHA-256 block function directly: the inner and outer key
 * blocks are hashed once, and each field costs two more compressions (a struct copy instead of
 * a provider context per call). The low-level SHA256_* calls are deprecated in OpenSSL 3 but are
 * the only allocation-free way to reuse a keyed midstate; the result is checked against
 * Python's hmac module by the golden tests. */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/mem.h"
#include "plugin/bgq.h"
#include "plugin/cli.h"
#include "plugin/commands.h"
#include "plugin/csvstream.h"

#define KEY_MIN 32
#define KEY_MAX (1u << 20)
#define OUT_BUF (256u * 1024u)
#define SIDE_BUF (128u * 1024u)
#define FINGERPRINT_LABEL "modelgov-key-fingerprint-v1:"

static const char help[] =
    "Usage: kubectl modelgov pseudonymize --key-file KEY --columns a,b [--drop c,d] [--report FILE] IN OUT\n"
    "\n"
    "Reads the CSV file IN (header row required; RFC 4180 quoting) and writes OUT with every value\n"
    "of the --columns replaced by a keyed token and the --drop columns removed. Other columns are\n"
    "copied unchanged. The same key always gives the same token for the same value, so joins on\n"
    "pseudonymized columns still work; a different key gives unrelated tokens.\n"
    "\n"
    "Token format: the 64 lowercase hex digits of HMAC-SHA256(key, value), where value is the\n"
    "field's bytes exactly as in the file after CSV unquoting (UTF-8 is not normalized). An empty\n"
    "field stays empty (a missing value stays missing).\n"
    "\n"
    "Key: the raw bytes of the key file, all of them (no trimming of newlines; any bytes, NUL\n"
    "included), at least 32 bytes (e.g. `head -c 32 /dev/urandom > key`). The key is never printed.\n"
    "Key fingerprint (in the report): \"sha256:\" + hex SHA-256(\"" FINGERPRINT_LABEL "\" || key).\n"
    "It identifies which key was used without being usable as the key or as any token: the\n"
    "label separates it from a plain sha256sum of the key file and from HMAC tokens.\n"
    "\n"
    "OUT is written as CSV with CRLF line ends, fields quoted only when needed (comma, quote, CR\n"
    "or LF inside); it is written to a temporary file next to OUT and renamed into place when\n"
    "complete (a failed run leaves no partial OUT).\n"
    "\n"
    "Report: JSON written to OUT.report.json (or --report FILE): tool {name, version}, createdAt,\n"
    "algorithm, tokenFormat, keyFingerprint, input/output {file, digest, sizeBytes},\n"
    "columnsPseudonymized, columnsDropped, rows. The command prints the report's digest\n"
    "(\"sha256:<hex>\", for DatasetVersion spec.privacy.reportDigest); -o json/yaml prints\n"
    "{\"report\", \"reportDigest\", \"rows\"}.\n"
    "\n"
    "Flags:\n"
    "      --key-file FILE     HMAC key (required)\n"
    "      --columns a,b       columns to pseudonymize (required; repeatable)\n"
    "      --drop c,d          columns to remove (repeatable)\n"
    "      --report FILE       where to write the report (default OUT.report.json)\n";

enum { KEEP = 0, PSEUDO = 1, DROP = 2 };

typedef struct pctx {
    const char *cmd;
    const mg_strvec *cols, *drop;
    unsigned char *action; /* per input column */
    size_t ncols;
    SHA256_CTX inner, outer; /* keyed midstates */
    int fd;
    mg_bgq *q;          /* output worker */
    unsigned char *buf; /* the buffer being filled (owned by q): OUT_BUF output, then the side area */
    size_t blen, slen;
    EVP_MD_CTX *md;   /* output digest: used by the worker only until mg_bgq_finish */
    uint64_t written; /* worker only */
    int io_errno;     /* worker only */
} pctx;

/* Output worker (plugin/bgq): hashes and writes each full buffer on its own thread. */
static void hmac_hex(const pctx *c, const char *f, size_t n, unsigned char *o);

static int out_fn(void *ud, const char *p, size_t n) {
    pctx *c = ud;
    uint64_t sl;
    memcpy(&sl, p + OUT_BUF, 8);
    for (const char *e = p + OUT_BUF + 8, *end = e + sl; e < end;) {
        uint32_t off, len;
        memcpy(&off, e, 4);
        memcpy(&len, e + 4, 4);
        hmac_hex(c, e + 8, len, (unsigned char *)p + off);
        e += 8 + len;
    }
    EVP_DigestUpdate(c->md, p, n);
    for (size_t off = 0; off < n;) {
        ssize_t w = write(c->fd, p + off, n - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            c->io_errno = errno;
            return -1;
        }
        off += (size_t)w;
    }
    c->written += n;
    return 0;
}

static void submit_buf(pctx *c) {
    uint64_t sl = c->slen;
    memcpy(c->buf + OUT_BUF, &sl, 8);
    mg_bgq_submit(c->q, (char *)c->buf, c->blen);
}

static void next_buf(pctx *c) {
    submit_buf(c);
    c->buf = (unsigned char *)mg_bgq_acquire(c->q);
    c->blen = 0;
    c->slen = 0;
}

static inline void reserve(pctx *c, size_t n) {
    if (c->blen + n > OUT_BUF) next_buf(c);
}

static void out_bytes(pctx *c, const char *p, size_t n) {
    while (n) {
        if (c->blen == OUT_BUF) next_buf(c);
        size_t k = OUT_BUF - c->blen < n ? OUT_BUF - c->blen : n;
        memcpy(c->buf + c->blen, p, k);
        c->blen += k;
        p += k;
        n -= k;
    }
}

/* 1 for bytes that force quoting. */
static unsigned char needs_quote[256];

static void put_field(pctx *c, const char *f, size_t n) {
    bool q = false;
    for (size_t i = 0; i < n; i++)
        if (needs_quote[(unsigned char)f[i]]) {
            q = true;
            break;
        }
    if (!q) {
        out_bytes(c, f, n);
        return;
    }
    reserve(c, 1);
    c->buf[c->blen++] = '"';
    for (size_t i = 0; i < n; i++) {
        reserve(c, 2);
        if (f[i] == '"') c->buf[c->blen++] = '"';
        c->buf[c->blen++] = (unsigned char)f[i];
    }
    reserve(c, 1);
    c->buf[c->blen++] = '"';
}

static void hmac_hex(const pctx *c, const char *f, size_t n, unsigned char *o) {
    unsigned char ih[SHA256_DIGEST_LENGTH], oh[SHA256_DIGEST_LENGTH];
    SHA256_CTX x = c->inner;
    SHA256_Update(&x, f, n);
    SHA256_Final(ih, &x);
    x = c->outer;
    SHA256_Update(&x, ih, sizeof ih);
    SHA256_Final(oh, &x);
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        o[2 * i] = (unsigned char)hx[oh[i] >> 4];
        o[2 * i + 1] = (unsigned char)hx[oh[i] & 15];
    }
}

/* Tokens are computed by the output worker: the row gets a 64-byte placeholder and the field
 * goes to the buffer's side area as {uint32 offset, uint32 length, bytes}; the worker fills
 * the placeholders before hashing and writing the buffer. Huge fields are done inline. */
static void put_token(pctx *c, const char *f, size_t n) {
    if (n == 0) return;
    if (n > SIDE_BUF / 4) {
        reserve(c, 64);
        hmac_hex(c, f, n, c->buf + c->blen);
        c->blen += 64;
        return;
    }
    if (c->slen + 8 + n > SIDE_BUF - 8) next_buf(c);
    reserve(c, 64);
    unsigned char *side = c->buf + OUT_BUF + 8 + c->slen;
    uint32_t off = (uint32_t)c->blen, len = (uint32_t)n;
    memcpy(side, &off, 4);
    memcpy(side + 4, &len, 4);
    memcpy(side + 8, f, n);
    c->slen += 8 + n;
    c->blen += 64;
}

static int on_row(const mg_csv_row *row, void *ud, mg_error *err) {
    pctx *c = ud;
    if (row->record == 0) {
        c->ncols = row->n;
        c->action = mg_xcalloc(row->n, 1);
        for (int pass = 0; pass < 2; pass++) {
            const mg_strvec *list = pass ? c->drop : c->cols;
            for (size_t i = 0; i < list->n; i++) {
                int k = mg_csv_find_column(row, list->v[i]);
                if (k < 0) return mg_error_set(err, MG_EINVAL, "column %s is not in the header", list->v[i]);
                c->action[k] = pass ? DROP : PSEUDO;
            }
        }
        int *keep = mg_xmalloc(row->n * sizeof *keep);
        size_t nk = 0;
        for (size_t i = 0; i < row->n; i++)
            if (c->action[i] != DROP) keep[nk++] = (int)i;
        mg_csv_keep_columns(row, keep, nk);
        free(keep);
    }
    bool first = true;
    size_t kept = 0;
    for (size_t i = 0; i < row->n; i++) {
        if (c->action[i] == DROP) continue;
        if (!first) {
            reserve(c, 1);
            c->buf[c->blen++] = ',';
        }
        first = false;
        kept++;
        if (c->action[i] == PSEUDO && row->record > 0)
            put_token(c, row->field[i], row->len[i]);
        else
            put_field(c, row->field[i], row->len[i]);
    }
    /* a record made of one empty field must not become a blank line (readers skip those) */
    if (kept == 1) {
        size_t k = 0;
        while (k < row->n && c->action[k] == DROP)
            k++;
        if (k < row->n && (row->len[k] == 0)) {
            reserve(c, 2);
            c->buf[c->blen++] = '"';
            c->buf[c->blen++] = '"';
        }
    }
    reserve(c, 2);
    c->buf[c->blen++] = '\r';
    c->buf[c->blen++] = '\n';
    if ((row->record & 1023) == 0 && mg_bgq_failed(c->q)) return MG_EIO; /* message set after finish */
    return 0;
}

/* Reads the whole key file (raw bytes, capped). Returns 0 or fills err. */
static int read_key(const char *path, unsigned char **key, size_t *klen, mg_error *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return mg_error_set(err, MG_EIO, "key file %s: %s", path, strerror(errno));
    unsigned char *k = mg_xmalloc(KEY_MAX + 1);
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, k + n, KEY_MAX + 1 - n);
        if (r < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            close(fd);
            OPENSSL_cleanse(k, KEY_MAX + 1);
            free(k);
            return mg_error_set(err, MG_EIO, "key file %s: %s", path, strerror(e));
        }
        if (r == 0) break;
        n += (size_t)r;
        if (n > KEY_MAX) break;
    }
    close(fd);
    if (n < KEY_MIN || n > KEY_MAX) {
        OPENSSL_cleanse(k, KEY_MAX + 1);
        free(k);
        if (n < KEY_MIN)
            return mg_error_set(err, MG_EINVAL,
                                "key file %s holds %zu bytes; a key must have at least %d bytes "
                                "(e.g. head -c 32 /dev/urandom > KEY)",
                                path, n, KEY_MIN);
        return mg_error_set(err, MG_EINVAL, "key file %s is larger than %u bytes", path, KEY_MAX);
    }
    *key = k;
    *klen = n;
    return 0;
}

/* RFC 2104: keys longer than the block are hashed first; then the ipad/opad midstates. */
static void hmac_init(pctx *c, const unsigned char *key, size_t klen) {
    unsigned char block[SHA256_CBLOCK] = {0};
    if (klen > SHA256_CBLOCK) {
        SHA256(key, klen, block);
    } else {
        memcpy(block, key, klen);
    }
    unsigned char pad[SHA256_CBLOCK];
    for (int i = 0; i < SHA256_CBLOCK; i++)
        pad[i] = block[i] ^ 0x36;
    SHA256_Init(&c->inner);
    SHA256_Update(&c->inner, pad, sizeof pad);
    for (int i = 0; i < SHA256_CBLOCK; i++)
        pad[i] = block[i] ^ 0x5c;
    SHA256_Init(&c->outer);
    SHA256_Update(&c->outer, pad, sizeof pad);
    OPENSSL_cleanse(block, sizeof block);
    OPENSSL_cleanse(pad, sizeof pad);
}

static void key_fingerprint(const unsigned char *key, size_t klen, char out[72]) {
    unsigned char d[SHA256_DIGEST_LENGTH];
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) abort();
    EVP_DigestUpdate(md, FINGERPRINT_LABEL, strlen(FINGERPRINT_LABEL));
    EVP_DigestUpdate(md, key, klen);
    EVP_DigestFinal_ex(md, d, NULL);
    EVP_MD_CTX_free(md);
    memcpy(out, "sha256:", 7);
    mg_hex(d, sizeof d, out + 7);
}

static json_t *strvec_json(const mg_strvec *s) {
    json_t *a = json_array();
    for (size_t i = 0; i < s->n; i++)
        json_array_append_new(a, json_string(s->v[i]));
    return a;
}

static int split_lists(const char *cmd, const mg_strvec *raw, mg_strvec *out, const char *flag) {
    for (size_t i = 0; i < raw->n; i++)
        if (mg_strvec_split(out, raw->v[i]))
            return mg_cli_usage_error(cmd, "--%s: empty column name in \"%s\"", flag, raw->v[i]);
    return 0;
}

int mg_cmd_pseudonymize(int argc, char **argv) {
    const char *cmd = argv[0];
    mg_global g = {0};
    mg_strvec ops = {0}, rawcols = {0}, rawdrop = {0}, cols = {0}, drop = {0};
    const char *key_file = NULL, *report_path = NULL;
    const mg_opt opts[] = {
        {"key-file", 0, MG_OPT_VALUE, &key_file},
        {"columns", 0, MG_OPT_LIST, &rawcols},
        {"drop", 0, MG_OPT_LIST, &rawdrop},
        {"report", 0, MG_OPT_VALUE, &report_path},
        {NULL, 0, 0, NULL},
    };
    int rc = mg_cli_parse(argc, argv, opts, &g, &ops, cmd);
    char *tmp = NULL, *report_default = NULL;
    unsigned char *key = NULL;
    size_t klen = 0;
    pctx c = {.cmd = cmd, .cols = &cols, .drop = &drop, .fd = -1};
    if (rc) goto out;
    if (g.help) {
        mg_cli_help(stdout, help);
        goto out;
    }
    if ((rc = split_lists(cmd, &rawcols, &cols, "columns")) ||
        (rc = split_lists(cmd, &rawdrop, &drop, "drop")))
        goto out;
    if (!key_file) {
        rc = mg_cli_usage_error(cmd, "--key-file is required");
        goto out;
    }
    if (cols.n == 0) {
        rc = mg_cli_usage_error(cmd, "--columns is required");
        goto out;
    }
    if (ops.n != 2) {
        rc = mg_cli_usage_error(cmd, "expected IN and OUT, got %zu operand(s)", ops.n);
        goto out;
    }
    for (size_t i = 0; i < cols.n; i++)
        for (size_t j = 0; j < drop.n; j++)
            if (!strcmp(cols.v[i], drop.v[j])) {
                rc = mg_cli_usage_error(cmd, "column %s is both in --columns and --drop", cols.v[i]);
                goto out;
            }
    const char *in = ops.v[0], *outp = ops.v[1];
    struct stat si, so;
    if (!strcmp(outp, "-")) {
        rc = mg_cli_usage_error(cmd, "OUT must be a file (the report records its digest)");
        goto out;
    }
    if (stat(in, &si) == 0 && stat(outp, &so) == 0 && si.st_dev == so.st_dev && si.st_ino == so.st_ino) {
        rc = mg_cli_usage_error(cmd, "IN and OUT are the same file");
        goto out;
    }
    if (!report_path) report_path = report_default = mg_xasprintf("%s.report.json", outp);
    mg_error err = {0};
    if (read_key(key_file, &key, &klen, &err)) {
        rc = mg_cli_fail(cmd, &err, MG_EXIT_DATA);
        goto out;
    }
    hmac_init(&c, key, klen);
    char fingerprint[72];
    key_fingerprint(key, klen, fingerprint);
    OPENSSL_cleanse(key, klen);

    for (int i = 0; i < 256; i++)
        needs_quote[i] = (i == ',' || i == '"' || i == '\r' || i == '\n');
    tmp = mg_xasprintf("%s.tmp.XXXXXX", outp);
    c.fd = mkstemp(tmp);
    if (c.fd < 0) {
        mg_error_set(&err, MG_EIO, "%s: %s", outp, strerror(errno));
        rc = mg_cli_fail(cmd, &err, MG_EXIT_DATA);
        free(tmp);
        tmp = NULL;
        goto out;
    }
    mode_t um = umask(0);
    umask(um);
    (void)fchmod(c.fd, 0666 & ~um);
    c.md = EVP_MD_CTX_new();
    if (!c.md || !EVP_DigestInit_ex(c.md, EVP_sha256(), NULL)) abort();
    c.q = mg_bgq_new(4, OUT_BUF + SIDE_BUF, out_fn, &c);
    c.buf = (unsigned char *)mg_bgq_acquire(c.q);
    mg_csv_result res;
    int src = mg_csv_stream(in, true, on_row, &c, &res, &err);
    if (!src) submit_buf(&c);
    c.buf = NULL;
    int qrc = mg_bgq_finish(c.q);
    c.q = NULL;
    if (qrc || c.io_errno) src = mg_error_set(&err, MG_EIO, "writing %s: %s", outp, strerror(c.io_errno));
    if (src) {
        rc = mg_cli_fail(cmd, &err, MG_EXIT_DATA);
        goto out;
    }
    close(c.fd);
    c.fd = -1;
    if (rename(tmp, outp) != 0) {
        mg_error_set(&err, MG_EIO, "rename to %s: %s", outp, strerror(errno));
        rc = mg_cli_fail(cmd, &err, MG_EXIT_DATA);
        goto out;
    }
    free(tmp);
    tmp = NULL;
    unsigned char od[SHA256_DIGEST_LENGTH];
    EVP_DigestFinal_ex(c.md, od, NULL);
    char out_digest[72] = "sha256:";
    mg_hex(od, sizeof od, out_digest + 7);

    char now[40];
    mg_clock_rfc3339(mg_clock_wall_ms(), now, sizeof now);
    json_t *rep = json_pack(
        "{s:{s:s,s:s},s:s,s:s,s:s,s:s,s:{s:s,s:s,s:I},s:{s:s,s:s,s:I},s:o,s:o,s:I}", "tool", "name",
        "kubectl-modelgov", "version", MG_VERSION, "createdAt", now, "algorithm", "HMAC-SHA256",
        "tokenFormat",
        "lowercase hex of HMAC-SHA256(key, field bytes after CSV unquoting); empty fields stay empty",
        "keyFingerprint", fingerprint, "input", "file", in, "digest", res.digest, "sizeBytes",
        (json_int_t)res.bytes, "output", "file", outp, "digest", out_digest, "sizeBytes",
        (json_int_t)c.written, "columnsPseudonymized", strvec_json(&cols), "columnsDropped",
        strvec_json(&drop), "rows", (json_int_t)res.records);
    char *text = json_dumps(rep, JSON_INDENT(2));
    json_decref(rep);
    size_t tlen = strlen(text);
    text = mg_xrealloc(text, tlen + 2);
    text[tlen++] = '\n';
    text[tlen] = '\0';
    FILE *rf = fopen(report_path, "wb");
    if (!rf || fwrite(text, 1, tlen, rf) != tlen || fclose(rf) != 0) {
        mg_error_set(&err, MG_EIO, "writing report %s: %s", report_path, strerror(errno));
        free(text);
        rc = mg_cli_fail(cmd, &err, MG_EXIT_DATA);
        goto out;
    }
    unsigned char rd[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)text, tlen, rd);
    free(text);
    char rdigest[72] = "sha256:";
    mg_hex(rd, sizeof rd, rdigest + 7);
    if (g.out == MG_OUT_TABLE) {
        printf("%s\n", rdigest);
        fprintf(stderr, "pseudonymized %zu column(s), dropped %zu, %llu rows: %s → %s (report %s)\n", cols.n,
                drop.n, (unsigned long long)res.records, in, outp, report_path);
    } else {
        json_t *o = json_pack("{s:s,s:s,s:I}", "report", report_path, "reportDigest", rdigest, "rows",
                              (json_int_t)res.records);
        mg_cli_print(o, g.out);
        json_decref(o);
    }
    rc = 0;
out:
    if (c.fd >= 0) close(c.fd);
    if (tmp) {
        unlink(tmp);
        free(tmp);
    }
    if (key) {
        OPENSSL_cleanse(key, klen);
        free(key);
    }
    OPENSSL_cleanse(&c.inner, sizeof c.inner);
    OPENSSL_cleanse(&c.outer, sizeof c.outer);
    if (c.q) mg_bgq_finish(c.q);
    EVP_MD_CTX_free(c.md);
    free(c.action);
    free(report_default);
    mg_strvec_free(&ops);
    mg_strvec_free(&rawcols);
    mg_strvec_free(&rawdrop);
    mg_strvec_free(&cols);
    mg_strvec_free(&drop);
    return rc;
}
