/* `pseudonymize`: keyed HMAC-SHA256 tokens for chosen columns, dropped columns, and a report
 * whose digest is the DatasetVersion's spec.privacy.reportDigest. Parse the command line, read
 * the key and pseudonymize (data/pseudo), then write the report and print its digest. */
#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/clock.h"
#include "core/mem.h"
#include "data/pseudo.h"
#include "plugin/cli.h"
#include "plugin/commands.h"

#define TIME_STR 40

static const char help[] =
    "Usage: kubectl modelgov pseudonymize --key-file KEY --columns a,b [--drop c,d] [--report FILE] IN OUT\n"
    "\n"
    "Reads the CSV file IN (header row required; RFC 4180 quoting) and writes OUT with every value\n"
    "of the --columns replaced by a keyed token and the --drop columns removed (every column of\n"
    "that name, when the header names two alike). Other columns are copied unchanged. The same\n"
    "key always gives the same token for the same value, so joins on pseudonymized columns still\n"
    "work; a different key gives unrelated tokens.\n"
    "\n"
    "Token format: the 64 lowercase hex digits of HMAC-SHA256(key, value), where value is the\n"
    "field's bytes exactly as in the file after CSV unquoting (UTF-8 is not normalized). An empty\n"
    "field stays empty (a missing value stays missing).\n"
    "\n"
    "Key: the raw bytes of the key file, all of them (no trimming of newlines; any bytes, NUL\n"
    "included), at least 32 bytes (e.g. `head -c 32 /dev/urandom > key`). The key is never printed.\n"
    "Key fingerprint (in the report): \"sha256:\" + hex SHA-256(\"" MG_PSEUDO_FINGERPRINT_LABEL
    "\" || key).\n"
    "It identifies which key was used without being usable as the key or as any token: the\n"
    "label separates it from a plain sha256sum of the key file and from HMAC tokens.\n"
    "\n"
    "OUT is written as CSV with CRLF line ends, fields quoted only when needed (comma, quote, CR\n"
    "or LF inside), beginning with a UTF-8 byte order mark when IN does; it is written to a\n"
    "temporary file next to OUT and renamed into place when complete (a failed run leaves no\n"
    "partial OUT).\n"
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
    "      --report FILE       where to write the report (default OUT.report.json)\n"
    "\n"
    "Examples:\n"
    "  kubectl modelgov pseudonymize --key-file pseudonym.key --columns customer_id --drop name,email "
    "raw.csv loans.csv\n"
    "  kubectl modelgov pseudonymize --key-file k.bin --columns email --report report.json in.csv out.csv\n";

typedef struct pseudo_args {
    mg_global g;
    mg_strvec ops, rawcols, rawdrop, cols, drop;
    const char *key_file, *report_path, *in, *out;
    char *report_default;
} pseudo_args;

static void pseudo_args_free(pseudo_args *a) {
    free(a->report_default);
    mg_strvec_free(&a->ops);
    mg_strvec_free(&a->rawcols);
    mg_strvec_free(&a->rawdrop);
    mg_strvec_free(&a->cols);
    mg_strvec_free(&a->drop);
}

/* Usage checks after the flags are read; returns 0 or MG_EXIT_USAGE (printed). */
static int check_args(const char *cmd, pseudo_args *a) {
    if (!a->key_file) return mg_cli_usage_error(cmd, "--key-file is required");
    if (a->cols.n == 0) return mg_cli_usage_error(cmd, "--columns is required");
    if (a->ops.n != 2) return mg_cli_usage_error(cmd, "expected IN and OUT, got %zu operand(s)", a->ops.n);
    for (size_t i = 0; i < a->cols.n; i++)
        for (size_t j = 0; j < a->drop.n; j++)
            if (!strcmp(a->cols.v[i], a->drop.v[j]))
                return mg_cli_usage_error(cmd, "column %s is both in --columns and --drop", a->cols.v[i]);
    a->in = a->ops.v[0];
    a->out = a->ops.v[1];
    if (!strcmp(a->out, "-"))
        return mg_cli_usage_error(cmd, "OUT must be a file (the report records its digest)");
    struct stat si, so;
    if (stat(a->in, &si) == 0 && stat(a->out, &so) == 0 && si.st_dev == so.st_dev && si.st_ino == so.st_ino)
        return mg_cli_usage_error(cmd, "IN and OUT are the same file");
    return 0;
}

/* Returns true to go on; false with *rc the exit code (help shown or usage error printed). */
static bool parse_args(int argc, char **argv, pseudo_args *a, int *rc) {
    const char *cmd = argv[0];
    const mg_opt opts[] = {
        {"key-file", 0, MG_OPT_VALUE, &a->key_file},
        {"columns", 0, MG_OPT_LIST, &a->rawcols},
        {"drop", 0, MG_OPT_LIST, &a->rawdrop},
        {"report", 0, MG_OPT_VALUE, &a->report_path},
        {NULL, 0, 0, NULL},
    };
    if (!mg_cli_start(argc, argv, opts, &a->g, &a->ops, help, rc)) return false;
    if ((*rc = mg_cli_split_columns(cmd, &a->rawcols, &a->cols, "columns")) ||
        (*rc = mg_cli_split_columns(cmd, &a->rawdrop, &a->drop, "drop")) || (*rc = check_args(cmd, a)))
        return false;
    if (!a->report_path) a->report_path = a->report_default = mg_xasprintf("%s.report.json", a->out);
    return true;
}

static json_t *strvec_json(const mg_strvec *s) {
    json_t *a = json_array();
    for (size_t i = 0; i < s->n; i++)
        json_array_append_new(a, json_string(s->v[i]));
    return a;
}

/* The report's text (new heap string ending in a newline). */
static char *report_text(const pseudo_args *a, const char *fingerprint, const mg_pseudo_result *r,
                         size_t *len) {
    char now[TIME_STR];
    mg_clock_rfc3339(mg_clock_wall_ms(), now, sizeof now);
    json_t *rep = json_pack(
        "{s:{s:s,s:s},s:s,s:s,s:s,s:s,s:{s:s,s:s,s:I},s:{s:s,s:s,s:I},s:o,s:o,s:I}", "tool", "name",
        "kubectl-modelgov", "version", MG_VERSION, "createdAt", now, "algorithm", "HMAC-SHA256",
        "tokenFormat",
        "lowercase hex of HMAC-SHA256(key, field bytes after CSV unquoting); empty fields stay empty",
        "keyFingerprint", fingerprint, "input", "file", a->in, "digest", r->in_digest, "sizeBytes",
        (json_int_t)r->in_bytes, "output", "file", a->out, "digest", r->out_digest, "sizeBytes",
        (json_int_t)r->out_bytes, "columnsPseudonymized", strvec_json(&a->cols), "columnsDropped",
        strvec_json(&a->drop), "rows", (json_int_t)r->rows);
    char *text = json_dumps(rep, JSON_INDENT(2));
    json_decref(rep);
    size_t tlen = strlen(text);
    text = mg_xrealloc(text, tlen + 2);
    text[tlen++] = '\n';
    text[tlen] = '\0';
    *len = tlen;
    return text;
}

/* Writes the report and its digest into rdigest. Returns 0 or MG_EIO (err filled). */
static int write_report(const pseudo_args *a, const char *fingerprint, const mg_pseudo_result *r,
                        char rdigest[MG_DIGEST_STR], mg_error *err) {
    size_t tlen;
    char *text = report_text(a, fingerprint, r, &tlen);
    FILE *rf = fopen(a->report_path, "wb");
    int rc = 0;
    bool written = rf && fwrite(text, 1, tlen, rf) == tlen;
    if (rf && fclose(rf) != 0) written = false;
    if (!written) rc = mg_error_set(err, MG_EIO, "writing report %s: %s", a->report_path, strerror(errno));
    unsigned char rd[MG_SHA256_LEN];
    EVP_Digest(text, tlen, rd, NULL, EVP_sha256(), NULL);
    mg_digest_format(rd, rdigest);
    free(text);
    return rc;
}

static void print_result(const pseudo_args *a, const char *rdigest, const mg_pseudo_result *r) {
    if (a->g.out == MG_OUT_TABLE) {
        printf("%s\n", rdigest);
        fprintf(stderr, "pseudonymized %zu column(s), dropped %zu, %llu rows: %s → %s (report %s)\n",
                a->cols.n, a->drop.n, (unsigned long long)r->rows, a->in, a->out, a->report_path);
        return;
    }
    json_t *o = json_pack("{s:s,s:s,s:I}", "report", a->report_path, "reportDigest", rdigest, "rows",
                          (json_int_t)r->rows);
    mg_cli_print(o, a->g.out);
    json_decref(o);
}

/* Reads the key and pseudonymizes; the key bytes are wiped before returning. */
static int run(const pseudo_args *a, char fingerprint[MG_DIGEST_STR], mg_pseudo_result *r, mg_error *err) {
    unsigned char *key = NULL;
    size_t klen = 0;
    int rc = mg_pseudo_read_key(a->key_file, &key, &klen, err);
    if (rc) return rc;
    mg_hmac_key hk;
    mg_hmac_init(&hk, key, klen);
    mg_pseudo_fingerprint(key, klen, fingerprint);
    OPENSSL_cleanse(key, klen);
    free(key);
    mg_pseudo_spec spec = {
        .columns = a->cols.v, .ncolumns = a->cols.n, .drop = a->drop.v, .ndrop = a->drop.n};
    rc = mg_pseudonymize_file(a->in, a->out, &hk, &spec, r, err);
    mg_hmac_cleanse(&hk);
    return rc;
}

int mg_cmd_pseudonymize(int argc, char **argv) {
    pseudo_args a = {0};
    int rc;
    if (!parse_args(argc, argv, &a, &rc)) goto out;
    mg_error err = {0};
    mg_pseudo_result r;
    char fingerprint[MG_DIGEST_STR], rdigest[MG_DIGEST_STR];
    if (run(&a, fingerprint, &r, &err) || write_report(&a, fingerprint, &r, rdigest, &err)) {
        rc = mg_cli_fail(argv[0], &err, MG_EXIT_DATA);
        goto out;
    }
    print_result(&a, rdigest, &r);
    rc = 0;
out:
    pseudo_args_free(&a);
    return rc;
}
