#include "data/pseudo.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/bgq.h"
#include "core/mem.h"
#include "csv/reader.h"

/* An output buffer: [OUT_BUF output][SIDE_BUF fields to tokenize][MG_CSV_CHUNK input copy]. The
 * input bytes read while it was current ride along, so the in-order stage can digest input and
 * output together (two SHA-256 streams interleaved). */
#define OUT_BUF (256u * 1024u)
#define SIDE_BUF (128u * 1024u)
#define IN_BUF MG_CSV_CHUNK
#define BLOCK_SIZE (OUT_BUF + SIDE_BUF + IN_BUF)
#define SIDE_HDR 16                 /* the side area starts with its used length and the input's */
#define SIDE_ENTRY_HDR 8            /* each field: uint32 offset in the output, uint32 length */
#define INLINE_FIELD (SIDE_BUF / 4) /* larger fields are hashed on the parsing thread */
#define BUFS_PER_WORKER 3           /* output buffers in flight per token worker */
#define FAIL_CHECK_MASK 1023u       /* how often (records) the parser looks for a failed writer */
#define OUT_MODE 0666

enum { KEEP = 0, PSEUDO = 1, DROP = 2 };

typedef struct pctx {
    const mg_pseudo_spec *spec;
    const mg_hmac_key *key;
    unsigned char *action; /* per input column */
    int fd;
    mg_bgq *q;          /* token workers, then the in-order digest and write */
    unsigned char *buf; /* the buffer being filled (owned by q) */
    size_t blen, slen, ilen;
    /* input and output digests, used by the emitting worker only until mg_bgq_finish: two
     * interleaved streams on the SHA extensions, else two EVP contexts */
    bool ni;
    mg_sha256_stream in_sha, out_sha;
    EVP_MD_CTX *imd, *md;
    uint64_t written; /* emit only */
    int io_errno;     /* emit only */
} pctx;

/* One side-area entry at e: the field's bytes, their length and the placeholder's offset;
 * returns the next entry. */
static const char *side_entry(const char *e, const char **f, uint32_t *len, uint32_t *off) {
    memcpy(off, e, 4);
    memcpy(len, e + 4, 4);
    *f = e + SIDE_ENTRY_HDR;
    return *f + *len;
}

/* Work (any worker, several buffers at once): fills the token placeholders of one buffer from
 * its side area, MG_HMAC_BATCH tokens at a time. */
static int tokens_fn(void *ud, char *p, size_t n) {
    pctx *c = ud;
    (void)n;
    uint64_t sl;
    memcpy(&sl, p + OUT_BUF, sizeof sl);
    const void *msgs[MG_HMAC_BATCH];
    size_t lens[MG_HMAC_BATCH];
    unsigned char *outs[MG_HMAC_BATCH];
    size_t batch = 0;
    for (const char *e = p + OUT_BUF + SIDE_HDR, *end = e + sl; e < end;) {
        const char *f;
        uint32_t len, off;
        e = side_entry(e, &f, &len, &off);
        msgs[batch] = f;
        lens[batch] = len;
        outs[batch] = (unsigned char *)p + off;
        if (++batch == MG_HMAC_BATCH) {
            mg_hmac_hex_batch(c->key, batch, msgs, lens, outs);
            batch = 0;
        }
    }
    if (batch) mg_hmac_hex_batch(c->key, batch, msgs, lens, outs);
    return 0;
}

/* Emit (in order, one buffer at a time): digest the input that rode along and the finished
 * output, and write the output. */
static int out_fn(void *ud, const char *p, size_t n) {
    pctx *c = ud;
    uint64_t il;
    memcpy(&il, p + OUT_BUF + sizeof il, sizeof il);
    const char *in = p + OUT_BUF + SIDE_BUF;
    if (c->ni)
        mg_sha256_stream_update2(&c->in_sha, in, (size_t)il, &c->out_sha, p, n);
    else if (!EVP_DigestUpdate(c->imd, in, (size_t)il) || !EVP_DigestUpdate(c->md, p, n))
        return MG_EIO;
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
    uint64_t sl = c->slen, il = c->ilen;
    memcpy(c->buf + OUT_BUF, &sl, sizeof sl);
    memcpy(c->buf + OUT_BUF + sizeof sl, &il, sizeof il);
    mg_bgq_submit(c->q, (char *)c->buf, c->blen);
}

static void next_buf(pctx *c) {
    submit_buf(c);
    c->buf = (unsigned char *)mg_bgq_acquire(c->q);
    c->blen = c->slen = c->ilen = 0;
}

/* The reader's hook: each piece of the input, as read, joins the current buffer. */
static void attach_input(void *ud, const char *p, size_t n) {
    pctx *c = ud;
    if (c->ilen + n > IN_BUF) next_buf(c);
    memcpy(c->buf + OUT_BUF + SIDE_BUF + c->ilen, p, n);
    c->ilen += n;
}

static inline void reserve(pctx *c, size_t n) {
    if (c->blen + n > OUT_BUF) next_buf(c);
}

static void out_bytes(pctx *c, const char *p, size_t n) {
    if (c->blen + n <= OUT_BUF) {
        memcpy(c->buf + c->blen, p, n);
        c->blen += n;
        return;
    }
    while (n) {
        if (c->blen == OUT_BUF) next_buf(c);
        size_t k = OUT_BUF - c->blen < n ? OUT_BUF - c->blen : n;
        memcpy(c->buf + c->blen, p, k);
        c->blen += k;
        p += k;
        n -= k;
    }
}

static bool needs_quote(const char *f, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (f[i] == ',' || f[i] == '"' || f[i] == '\r' || f[i] == '\n') return true;
    return false;
}

static void put_field(pctx *c, const char *f, size_t n) {
    if (!needs_quote(f, n)) {
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

/* Tokens are computed by the workers: the row gets a 64-byte placeholder and the field goes to
 * the buffer's side area as {uint32 offset, uint32 length, bytes}; a worker fills the
 * placeholders before the buffer is hashed and written. Huge fields are done inline. */
static void put_token(pctx *c, const char *f, size_t n) {
    if (n == 0) return;
    if (n > INLINE_FIELD) {
        reserve(c, MG_HMAC_HEX_LEN);
        mg_hmac_hex(c->key, f, n, c->buf + c->blen);
        c->blen += MG_HMAC_HEX_LEN;
        return;
    }
    if (c->slen + SIDE_ENTRY_HDR + n > SIDE_BUF - SIDE_HDR) next_buf(c);
    reserve(c, MG_HMAC_HEX_LEN);
    unsigned char *side = c->buf + OUT_BUF + SIDE_HDR + c->slen;
    uint32_t off = (uint32_t)c->blen, len = (uint32_t)n;
    memcpy(side, &off, 4);
    memcpy(side + 4, &len, 4);
    memcpy(side + SIDE_ENTRY_HDR, f, n);
    c->slen += SIDE_ENTRY_HDR + n;
    c->blen += MG_HMAC_HEX_LEN;
}

static int on_header(pctx *c, const mg_csv_row *row, mg_error *err) {
    c->action = mg_xcalloc(row->n, 1);
    for (int pass = 0; pass < 2; pass++) {
        const char *const *list = pass ? c->spec->drop : c->spec->columns;
        size_t n = pass ? c->spec->ndrop : c->spec->ncolumns;
        for (size_t i = 0; i < n; i++) { /* every column of that name: a second "email" must not leak */
            size_t len = strlen(list[i]), found = 0;
            for (size_t k = 0; k < row->n; k++)
                if (row->len[k] == len && !memcmp(row->field[k], list[i], len)) {
                    c->action[k] = pass ? DROP : PSEUDO;
                    found++;
                }
            if (!found) return mg_csv_missing_column(row, "column", list[i], err);
        }
    }
    int *keep = mg_xmalloc(row->n * sizeof *keep);
    size_t nk = 0;
    for (size_t i = 0; i < row->n; i++)
        if (c->action[i] != DROP) keep[nk++] = (int)i;
    mg_csv_keep_columns(row, keep, nk);
    free(keep);
    return 0;
}

/* Fields i.. that are copied as they are and already in canonical form form one run whose
 * bytes in the file (separating commas included) are the output; returns its last field. */
static size_t copy_run(pctx *c, const mg_csv_row *row, size_t i) {
    size_t j = i;
    while (j + 1 < row->n && c->action[j + 1] != DROP && (c->action[j + 1] == KEEP || row->record == 0) &&
           row->canon[j + 1])
        j++;
    out_bytes(c, row->raw[i], (size_t)(row->raw[j] + row->rawlen[j] - row->raw[i]));
    return j;
}

static int on_row(const mg_csv_row *row, void *ud, mg_error *err) {
    pctx *c = ud;
    int rc;
    if (row->record == 0 && (rc = on_header(c, row, err))) return rc;
    if (row->bom) out_bytes(c, MG_CSV_UTF8_BOM, MG_CSV_UTF8_BOM_LEN); /* as readable by spreadsheets */
    bool first = true;
    size_t kept = 0, last = 0;
    for (size_t i = 0; i < row->n; i++) {
        if (c->action[i] == DROP) continue;
        if (!first) {
            reserve(c, 1);
            c->buf[c->blen++] = ',';
        }
        first = false;
        kept++;
        last = i;
        if (c->action[i] == PSEUDO && row->record > 0) {
            put_token(c, row->field[i], row->len[i]);
        } else if (row->canon[i]) {
            size_t j = copy_run(c, row, i);
            kept += j - i;
            last = i = j;
        } else {
            put_field(c, row->field[i], row->len[i]);
        }
    }
    /* a record made of one empty field must not become a blank line (readers skip those) */
    if (kept == 1 && row->len[last] == 0) {
        reserve(c, 2);
        c->buf[c->blen++] = '"';
        c->buf[c->blen++] = '"';
    }
    reserve(c, 2);
    c->buf[c->blen++] = '\r';
    c->buf[c->blen++] = '\n';
    if ((row->record & FAIL_CHECK_MASK) == 0 && mg_bgq_failed(c->q)) return MG_EIO; /* message set later */
    return 0;
}

int mg_pseudo_read_key(const char *path, unsigned char **key, size_t *klen, mg_error *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return mg_error_set(err, MG_EIO, "key file %s: %s", path, strerror(errno));
    unsigned char *k = mg_xmalloc(MG_PSEUDO_KEY_MAX + 1);
    size_t n = 0;
    int rc = 0;
    while (n <= MG_PSEUDO_KEY_MAX) {
        ssize_t r = read(fd, k + n, MG_PSEUDO_KEY_MAX + 1 - n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            rc = mg_error_set(err, MG_EIO, "key file %s: %s", path, strerror(errno));
            break;
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    close(fd);
    if (!rc && n < MG_PSEUDO_KEY_MIN)
        rc = mg_error_set(err, MG_EINVAL,
                          "key file %s holds %zu bytes; a key must have at least %d bytes "
                          "(e.g. head -c 32 /dev/urandom > KEY)",
                          path, n, MG_PSEUDO_KEY_MIN);
    else if (!rc && n > MG_PSEUDO_KEY_MAX)
        rc = mg_error_set(err, MG_EINVAL, "key file %s is larger than %u bytes", path, MG_PSEUDO_KEY_MAX);
    if (rc) {
        OPENSSL_cleanse(k, MG_PSEUDO_KEY_MAX + 1);
        free(k);
        return rc;
    }
    *key = k;
    *klen = n;
    return 0;
}

void mg_pseudo_fingerprint(const unsigned char *key, size_t klen, char out[MG_DIGEST_STR]) {
    unsigned char d[MG_SHA256_LEN];
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) abort();
    EVP_DigestUpdate(md, MG_PSEUDO_FINGERPRINT_LABEL, strlen(MG_PSEUDO_FINGERPRINT_LABEL));
    EVP_DigestUpdate(md, key, klen);
    EVP_DigestFinal_ex(md, d, NULL);
    EVP_MD_CTX_free(md);
    mg_digest_format(d, out);
}

static void digests_init(pctx *c) {
    c->ni = mg_sha256ni_available();
    if (c->ni) {
        mg_sha256_stream_init(&c->in_sha);
        mg_sha256_stream_init(&c->out_sha);
        return;
    }
    c->imd = EVP_MD_CTX_new();
    c->md = EVP_MD_CTX_new();
    if (!c->imd || !c->md || !EVP_DigestInit_ex(c->imd, EVP_sha256(), NULL) ||
        !EVP_DigestInit_ex(c->md, EVP_sha256(), NULL))
        abort();
}

static void digests_final(pctx *c, mg_pseudo_result *res) {
    unsigned char d[MG_SHA256_LEN];
    if (c->ni)
        mg_sha256_stream_final(&c->in_sha, d);
    else if (!EVP_DigestFinal_ex(c->imd, d, NULL))
        abort();
    mg_digest_format(d, res->in_digest);
    if (c->ni)
        mg_sha256_stream_final(&c->out_sha, d);
    else if (!EVP_DigestFinal_ex(c->md, d, NULL))
        abort();
    mg_digest_format(d, res->out_digest);
}

/* Streams in through on_row into c->fd; the output workers are finished before returning. */
static int stream(pctx *c, const char *in, const char *out, mg_pseudo_result *res, mg_error *err) {
    digests_init(c);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    size_t workers = cores > 0 ? (size_t)cores : 1;
    c->q = mg_bgq_new_workers(BUFS_PER_WORKER * workers + 1, BLOCK_SIZE, workers, tokens_fn, out_fn, c);
    c->buf = (unsigned char *)mg_bgq_acquire(c->q);
    mg_csv_result r;
    int rc = mg_csv_stream_bytes(in, false, attach_input, c, on_row, c, &r, err);
    if (!rc) submit_buf(c);
    c->buf = NULL;
    int qrc = mg_bgq_finish(c->q);
    c->q = NULL;
    if (qrc || c->io_errno) rc = mg_error_set(err, MG_EIO, "writing %s: %s", out, strerror(c->io_errno));
    if (rc) return rc;
    digests_final(c, res);
    res->out_bytes = c->written;
    res->rows = r.records;
    res->in_bytes = r.bytes;
    return 0;
}

int mg_pseudonymize_file(const char *in, const char *out, const mg_hmac_key *key, const mg_pseudo_spec *spec,
                         mg_pseudo_result *res, mg_error *err) {
    memset(res, 0, sizeof *res);
    char *tmp = mg_xasprintf("%s.tmp.XXXXXX", out);
    pctx c = {.spec = spec, .key = key, .fd = mkstemp(tmp)};
    if (c.fd < 0) {
        int rc = mg_error_set(err, MG_EIO, "%s: %s", out, strerror(errno));
        free(tmp);
        return rc;
    }
    mode_t um = umask(0);
    umask(um);
    (void)fchmod(c.fd, OUT_MODE & ~um); /* as a plain create would; mkstemp makes it 0600 */
    int rc = stream(&c, in, out, res, err);
    if (close(c.fd) != 0 && !rc) rc = mg_error_set(err, MG_EIO, "writing %s: %s", out, strerror(errno));
    if (!rc && rename(tmp, out) != 0)
        rc = mg_error_set(err, MG_EIO, "rename to %s: %s", out, strerror(errno));
    if (rc) unlink(tmp);
    free(tmp);
    EVP_MD_CTX_free(c.imd);
    EVP_MD_CTX_free(c.md);
    free(c.action);
    return rc;
}
