/* `dataset hash FILE...`: streamed SHA-256 digest and size of each file. */
#include <jansson.h>
#include <stdio.h>

#include "data/digest.h"
#include "plugin/cli.h"
#include "plugin/commands.h"

static const char help[] =
    "Usage: kubectl modelgov dataset hash FILE... [-o table|json|yaml]\n"
    "\n"
    "Prints the SHA-256 content digest (\"sha256:<64 lowercase hex>\", the form used by\n"
    "DatasetVersion spec.digest) and the size in bytes of each FILE. Files are read in 1 MiB\n"
    "chunks, so memory does not depend on their size. \"-\" reads standard input.\n"
    "\n"
    "Output: table (DIGEST SIZE FILE); -o json: [{\"file\",\"digest\",\"sizeBytes\"}].\n"
    "\n"
    "Examples:\n"
    "  kubectl modelgov dataset hash loans-2026-10.csv\n"
    "  kubectl modelgov dataset hash data/*.csv -o json\n";

int mg_cmd_dataset_hash(int argc, char **argv) {
    mg_global g = {0};
    mg_strvec files = {0};
    static const mg_opt opts[] = {{NULL, 0, 0, NULL}};
    int rc = mg_cli_parse(argc, argv, opts, &g, &files, argv[0]);
    if (rc || g.help) {
        if (g.help) mg_cli_help(stdout, help);
        mg_strvec_free(&files);
        return rc;
    }
    if (files.n == 0) {
        mg_strvec_free(&files);
        return mg_cli_usage_error(argv[0], "at least one FILE is required");
    }
    json_t *arr = json_array();
    int exit_code = 0;
    for (size_t i = 0; i < files.n; i++) {
        char digest[72];
        uint64_t size = 0;
        mg_error err = {0};
        if (mg_file_sha256(files.v[i], digest, &size, &err)) {
            exit_code = mg_cli_fail(argv[0], &err, MG_EXIT_DATA);
            continue;
        }
        json_array_append_new(arr, json_pack("{s:s,s:s,s:I}", "file", files.v[i], "digest", digest,
                                             "sizeBytes", (json_int_t)size));
    }
    if (g.out == MG_OUT_TABLE) {
        static const char *const hdr[] = {"digest", "size", "file"};
        mg_table t;
        mg_table_init(&t, 3, hdr);
        size_t i;
        json_t *x;
        json_array_foreach(arr, i, x) {
            char sz[32];
            snprintf(sz, sizeof sz, "%lld", (long long)json_integer_value(json_object_get(x, "sizeBytes")));
            const char *row[] = {json_string_value(json_object_get(x, "digest")), sz,
                                 json_string_value(json_object_get(x, "file"))};
            mg_table_add(&t, row);
        }
        mg_table_print(&t, stdout);
        mg_table_free(&t);
    } else {
        mg_cli_print(arr, g.out);
    }
    json_decref(arr);
    mg_strvec_free(&files);
    return exit_code;
}
