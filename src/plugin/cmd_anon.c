/* `anonymity`: k-anonymity over quasi-identifier columns. Parse the command line, count the
 * equivalence classes (data/anon), render as a table or JSON/YAML. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "data/anon.h"
#include "plugin/cli.h"
#include "plugin/commands.h"

#define DEFAULT_SHOW 10

static const char help[] =
    "Usage: kubectl modelgov anonymity --quasi age,zip [--k N] [--show N] IN\n"
    "\n"
    "Groups the rows of the CSV file IN by the tuple of quasi-identifier values (an equivalence\n"
    "class) and reports k, the size of the smallest class: every row shares its quasi-identifier\n"
    "values with at least k-1 other rows. Values are compared as exact bytes; an empty value is a\n"
    "value like any other. Lists the smallest classes (by count, then values).\n"
    "\n"
    "Output: table; -o json|yaml: {\"quasiIdentifiers\": [...], \"rows\": n, \"classes\": n, \"k\": n,\n"
    "\"smallestClasses\": [{\"values\": {\"age\": \"34\", \"zip\": \"1012\"}, \"count\": n}, ...]}, plus\n"
    "\"requiredK\" and \"passed\" when --k is given. A file without data rows is an input error.\n"
    "\n"
    "Flags:\n"
    "      --quasi a,b     quasi-identifier columns (required; repeatable)\n"
    "      --k N           exit 1 when k < N\n"
    "      --show N        how many smallest classes to list (default 10; 0 = none)\n"
    "\n"
    "Examples:\n"
    "  kubectl modelgov anonymity --quasi age,zip --k 5 loans.csv\n"
    "  kubectl modelgov anonymity --quasi age,zip,sex loans.csv -o json\n";

typedef struct anon_args {
    mg_global g;
    mg_strvec ops, raw, quasi;
    long long want_k; /* -1: no --k */
    long long show;
} anon_args;

static void anon_args_free(anon_args *a) {
    mg_strvec_free(&a->ops);
    mg_strvec_free(&a->raw);
    mg_strvec_free(&a->quasi);
}

/* Parses a decimal integer >= min; false for anything else. */
static bool parse_int(const char *s, long long min, long long *out) {
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end || end == s || v < min) return false;
    *out = v;
    return true;
}

/* Returns true to go on; false with *rc the exit code (help shown or usage error printed). */
static bool parse_args(int argc, char **argv, anon_args *a, int *rc) {
    const char *cmd = argv[0], *kstr = NULL, *showstr = NULL;
    a->want_k = -1;
    a->show = DEFAULT_SHOW;
    const mg_opt opts[] = {
        {"quasi", 0, MG_OPT_LIST, &a->raw},
        {"k", 0, MG_OPT_VALUE, &kstr},
        {"show", 0, MG_OPT_VALUE, &showstr},
        {NULL, 0, 0, NULL},
    };
    if (!mg_cli_start(argc, argv, opts, &a->g, &a->ops, help, rc)) return false;
    if ((*rc = mg_cli_split_columns(cmd, &a->raw, &a->quasi, "quasi"))) return false;
    if (a->quasi.n == 0) {
        *rc = mg_cli_usage_error(cmd, "--quasi is required");
        return false;
    }
    if ((*rc = mg_cli_operands(cmd, &a->ops, 1, 1, "one input file"))) return false;
    if (kstr && !parse_int(kstr, 1, &a->want_k)) {
        *rc = mg_cli_usage_error(cmd, "--k must be a positive integer, not \"%s\"", kstr);
        return false;
    }
    if (showstr && !parse_int(showstr, 0, &a->show)) {
        *rc = mg_cli_usage_error(cmd, "--show must be a non-negative integer, not \"%s\"", showstr);
        return false;
    }
    return true;
}

/* {"quasiIdentifiers", "rows", "classes", "k", "smallestClasses" [, "requiredK", "passed"]}
 * (new reference) from the classes sorted smallest first. */
static json_t *result_json(const anon_args *a, const mg_anon_counts *c, mg_cmap_entry **list) {
    size_t n = c->map.n;
    json_t *qs = json_array(), *classes = json_array();
    for (size_t i = 0; i < a->quasi.n; i++)
        json_array_append_new(qs, json_string(a->quasi.v[i]));
    for (size_t i = 0; i < n && i < (size_t)a->show; i++) {
        json_t *vals = json_object();
        for (size_t q = 0; q < a->quasi.n; q++) {
            size_t len;
            const char *v = mg_anon_value(list[i], q, &len);
            json_object_set_new(vals, a->quasi.v[q], mg_json_bytes(v, len));
        }
        json_array_append_new(classes,
                              json_pack("{s:o,s:I}", "values", vals, "count", (json_int_t)list[i]->a));
    }
    json_t *o = json_pack("{s:o,s:I,s:I,s:I,s:o}", "quasiIdentifiers", qs, "rows", (json_int_t)c->rows,
                          "classes", (json_int_t)n, "k", (json_int_t)list[0]->a, "smallestClasses", classes);
    if (a->want_k >= 0) {
        json_object_set_new(o, "requiredK", json_integer(a->want_k));
        json_object_set_new(o, "passed", json_boolean((long long)list[0]->a >= a->want_k));
    }
    return o;
}

static void print_classes(const anon_args *a, const json_t *classes) {
    printf("\nsmallest classes:\n");
    const char **cells = mg_xmalloc((a->quasi.n + 1) * sizeof *cells);
    cells[0] = "count";
    for (size_t i = 0; i < a->quasi.n; i++)
        cells[i + 1] = a->quasi.v[i];
    mg_table t;
    mg_table_init(&t, a->quasi.n + 1, cells);
    size_t i;
    json_t *x;
    json_array_foreach(classes, i, x) {
        char cnt[32];
        snprintf(cnt, sizeof cnt, "%lld", (long long)json_integer_value(json_object_get(x, "count")));
        cells[0] = cnt;
        for (size_t q = 0; q < a->quasi.n; q++)
            cells[q + 1] = json_string_value(json_object_get(json_object_get(x, "values"), a->quasi.v[q]));
        mg_table_add(&t, cells);
    }
    mg_table_print(&t, stdout);
    mg_table_free(&t);
    free(cells);
}

static void print_table(const anon_args *a, const json_t *o, bool passed) {
    printf("k = %llu over (", (unsigned long long)json_integer_value(json_object_get(o, "k")));
    for (size_t i = 0; i < a->quasi.n; i++)
        printf("%s%s", i ? ", " : "", a->quasi.v[i]);
    printf("): %llu rows in %zu classes", (unsigned long long)json_integer_value(json_object_get(o, "rows")),
           (size_t)json_integer_value(json_object_get(o, "classes")));
    if (a->want_k >= 0) printf("; required k >= %lld: %s", a->want_k, passed ? "PASS" : "FAIL");
    printf("\n");
    json_t *classes = json_object_get(o, "smallestClasses");
    if (json_array_size(classes)) print_classes(a, classes);
}

int mg_cmd_anonymity(int argc, char **argv) {
    anon_args a = {0};
    mg_anon_counts counts = {0};
    mg_cmap_entry **list = NULL;
    json_t *o = NULL;
    int rc;
    if (!parse_args(argc, argv, &a, &rc)) goto out;
    mg_error err = {0};
    if (mg_anon_count_file(a.ops.v[0], a.quasi.v, a.quasi.n, &counts, &err)) {
        rc = mg_cli_fail(argv[0], &err, MG_EXIT_DATA);
        goto out;
    }
    list = mg_anon_classes(&counts.map);
    o = result_json(&a, &counts, list);
    bool passed = a.want_k < 0 || (long long)list[0]->a >= a.want_k;
    if (a.g.out == MG_OUT_TABLE)
        print_table(&a, o, passed);
    else
        mg_cli_print(o, a.g.out);
    rc = passed ? 0 : MG_EXIT_POLICY;
out:
    json_decref(o);
    free(list);
    mg_anon_counts_free(&counts);
    anon_args_free(&a);
    return rc;
}
