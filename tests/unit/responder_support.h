/* Shared unit-test support for the scripted HTTPS responder (tests/support/responder.py).
 *
 * Header-only (static inline) so that each tests/unit/test_*.c, built as one binary with
 * -Itests/unit, can include it without Makefile changes. Include it after <cmocka.h>.
 *
 * Owns: the responder process (started by rs_start, stopped by rs_stop), its temporary
 * directory (removed by rs_stop) and rs_responder.ca (the CA PEM, freed by rs_stop).
 * rs_slurp and rs_requests return heap objects the caller frees (free / json_decref).
 * Threads: call rs_start/rs_stop from cmocka group setup/teardown only; the other helpers
 * from the test thread. The responder re-reads the script file by mtime; scripts are
 * replaced atomically (write to a temporary file, then rename). */
#ifndef MG_TEST_RESPONDER_SUPPORT_H
#define MG_TEST_RESPONDER_SUPPORT_H

#include <jansson.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/mem.h"

extern char **environ;

typedef struct rs_responder {
    char dir[64];      /* the temporary directory, DIR */
    char script[128];  /* DIR/script.json */
    char log[128];     /* DIR/log.jsonl, one JSON request a line */
    char ca_file[128]; /* DIR/ca.crt */
    pid_t pid;
    int port; /* on 127.0.0.1, chosen by the OS */
    char *ca; /* the CA PEM (owned) */
    size_t ca_len;
} rs_responder;

/* The whole file as a NUL-terminated heap string ("" when empty), NULL when it cannot be
 * opened; *len (optional) gets its length. */
static inline char *rs_slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    mg_buf b;
    mg_buf_init(&b, (size_t)64 << 20);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        mg_buf_append(&b, chunk, n);
    fclose(f);
    if (len) *len = b.len;
    return mg_buf_steal(&b);
}

/* Replaces path atomically with text (fails the test on error). */
static inline void rs_write_text(const char *path, const char *text) {
    char *tmp = mg_xasprintf("%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(rename(tmp, path), 0);
    free(tmp);
}

/* Empties the request log. */
static inline void rs_clear_log(const rs_responder *r) {
    FILE *f = fopen(r->log, "w");
    if (f) fclose(f);
}

/* Installs a new script (JSON text) and then empties the request log. */
static inline void rs_script_text(const rs_responder *r, const char *json) {
    rs_write_text(r->script, json);
    rs_clear_log(r);
}

/* The request log as a JSON array. strict: every line must parse (fails the test otherwise);
 * else lines that do not parse (a request being written) are left out. */
static inline json_t *rs_requests(const rs_responder *r, bool strict) {
    char *text = rs_slurp(r->log, NULL);
    json_t *arr = json_array();
    char *save = NULL;
    for (char *line = text ? strtok_r(text, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
        json_t *req = json_loads(line, 0, NULL);
        if (strict) assert_non_null(req);
        json_array_append_new(arr, req);
    }
    free(text);
    return arr;
}

/* Field `field` (a string) of request i; fails the test when there is no request i. */
static inline const char *rs_req_str(json_t *reqs, size_t i, const char *field) {
    json_t *req = json_array_get(reqs, i);
    if (!req) fail_msg("no request %zu", i);
    return json_string_value(json_object_get(req, field));
}

/* Header `name` of request i, or NULL. */
static inline const char *rs_req_header(json_t *reqs, size_t i, const char *name) {
    return json_string_value(json_object_get(json_object_get(json_array_get(reqs, i), "headers"), name));
}

/* Starts the responder in a new directory made from dir_template ("/tmp/mg-x-XXXXXX") with an
 * empty script; sans (optional) is passed as --sans. Waits up to 30 s for its port, then loads
 * the CA. Returns 0, or -1 (the responder could not start, exited early or gave no CA). */
static inline int rs_start(rs_responder *r, const char *dir_template, const char *sans) {
    signal(SIGPIPE, SIG_IGN);
    snprintf(r->dir, sizeof(r->dir), "%s", dir_template);
    if (!mkdtemp(r->dir)) return -1;
    snprintf(r->script, sizeof(r->script), "%s/script.json", r->dir);
    snprintf(r->log, sizeof(r->log), "%s/log.jsonl", r->dir);
    snprintf(r->ca_file, sizeof(r->ca_file), "%s/ca.crt", r->dir);
    rs_write_text(r->script, "[]");
    const char *src = getenv("MG_SRCDIR") ? getenv("MG_SRCDIR") : ".";
    char *responder = mg_xasprintf("%s/tests/support/responder.py", src);
    char *argv[] = {"python3",    responder,  "--dir",
                    r->dir,       "--script", r->script,
                    "--log",      r->log,     sans ? "--sans" : NULL,
                    (char *)sans, NULL};
    int rc = posix_spawnp(&r->pid, "python3", NULL, NULL, argv, environ);
    free(responder);
    if (rc) {
        fprintf(stderr, "cannot start the responder: %s\n", strerror(rc));
        r->pid = 0;
        return -1;
    }
    char *port_file = mg_xasprintf("%s/port", r->dir);
    for (int i = 0; i < 600 && !r->port; i++) { /* up to 30 s on a busy machine */
        char *p = rs_slurp(port_file, NULL);
        if (p && *p) r->port = atoi(p);
        free(p);
        int status;
        if (!r->port && waitpid(r->pid, &status, WNOHANG) == r->pid) {
            fprintf(stderr, "the responder exited early (status %d)\n", status);
            r->pid = 0;
            break;
        }
        if (!r->port) usleep(50000);
    }
    free(port_file);
    r->ca = rs_slurp(r->ca_file, &r->ca_len);
    return r->port && r->ca ? 0 : -1;
}

/* Stops the responder, frees the CA and removes the directory. Returns 0, or -1 when the
 * directory could not be removed. */
static inline int rs_stop(rs_responder *r) {
    if (r->pid > 0) {
        kill(r->pid, SIGTERM);
        waitpid(r->pid, NULL, 0);
        r->pid = 0;
    }
    free(r->ca);
    r->ca = NULL;
    if (!r->dir[0]) return 0;
    char *cmd = mg_xasprintf("rm -rf '%s'", r->dir);
    int rc = system(cmd);
    free(cmd);
    return rc ? -1 : 0;
}

#endif
