/* `anonymity`: k-anonymity over quasi-identifier columns. One pass; memory is one hash-map
 * entry per distinct quasi-identifier tuple (equivalence class), never per row. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "plugin/cli.h"
#include "plugin/commands.h"
#include "plugin/csvstream.h"

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
    "      --show N        how many smallest classes to list (default 10; 0 = none)\n";

typedef struct actx {
    const mg_strvec *quasi;
    int *idx;
    mg_cmap map;
    char *key;
    size_t kcap;
} actx;

/* Key: for each value, its length as 4 bytes then its bytes (unambiguous with any content). */
static int on_row(const mg_csv_row *row, void *ud, mg_error *err) {
    actx *a = ud;
    if (row->record == 0) {
        a->idx = mg_xcalloc(a->quasi->n, sizeof *a->idx);
        for (size_t i = 0; i < a->quasi->n; i++) {
            a->idx[i] = mg_csv_find_column(row, a->quasi->v[i]);
            if (a->idx[i] < 0)
                return mg_error_set(err, MG_EINVAL, "column %s is not in the header", a->quasi->v[i]);
        }
        mg_csv_keep_columns(row, a->idx, a->quasi->n);
        return 0;
    }
    size_t need = 0;
    for (size_t i = 0; i < a->quasi->n; i++)
        need += 4 + row->len[a->idx[i]];
    if (need > a->kcap) {
        a->kcap = need * 2;
        a->key = mg_xrealloc(a->key, a->kcap);
    }
    size_t off = 0;
    for (size_t i = 0; i < a->quasi->n; i++) {
        uint32_t l = (uint32_t)row->len[a->idx[i]];
        memcpy(a->key + off, &l, 4);
        memcpy(a->key + off + 4, row->field[a->idx[i]], l);
        off += 4 + l;
    }
    mg_cmap_get(&a->map, a->key, off)->a++;
    return 0;
}

static int cmp_class(const void *x, const void *y) {
    const mg_cmap_entry *a = *(const mg_cmap_entry *const *)x, *b = *(const mg_cmap_entry *const *)y;
    if (a->a != b->a) return a->a < b->a ? -1 : 1;
    return mg_cmap_entry_key_cmp(x, y);
}

int mg_cmd_anonymity(int argc, char **argv) {
    const char *cmd = argv[0];
    mg_global g = {0};
    mg_strvec ops = {0}, raw = {0}, quasi = {0};
    const char *kstr = NULL, *showstr = NULL;
    const mg_opt opts[] = {
        {"quasi", 0, MG_OPT_LIST, &raw},
        {"k", 0, MG_OPT_VALUE, &kstr},
        {"show", 0, MG_OPT_VALUE, &showstr},
        {NULL, 0, 0, NULL},
    };
    actx a = {.quasi = &quasi};
    mg_cmap_init(&a.map);
    actx a2 = {.quasi = &quasi};
    mg_cmap_init(&a2.map);
    mg_cmap_entry **list = NULL;
    json_t *o = NULL;
    int rc = mg_cli_parse(argc, argv, opts, &g, &ops, cmd);
    if (rc) goto out;
    if (g.help) {
        mg_cli_help(stdout, help);
        goto out;
    }
    if ((rc = mg_cli_split_columns(cmd, &raw, &quasi, "quasi"))) goto out;
    if (quasi.n == 0) {
        rc = mg_cli_usage_error(cmd, "--quasi is required");
        goto out;
    }
    if (ops.n != 1) {
        rc = mg_cli_usage_error(cmd, "expected one input file, got %zu operand(s)", ops.n);
        goto out;
    }
    long long want_k = -1, show = 10;
    char *end;
    if (kstr) {
        want_k = strtoll(kstr, &end, 10);
        if (*end || end == kstr || want_k < 1) {
            rc = mg_cli_usage_error(cmd, "--k must be a positive integer, not \"%s\"", kstr);
            goto out;
        }
    }
    if (showstr) {
        show = strtoll(showstr, &end, 10);
        if (*end || end == showstr || show < 0) {
            rc = mg_cli_usage_error(cmd, "--show must be a non-negative integer, not \"%s\"", showstr);
            goto out;
        }
    }
    mg_error err = {0};
    mg_csv_result res;
    /* large files: two threads, each with its own classes, merged below */
    bool used2 = false;
    if (mg_csv_stream2(ops.v[0], false, on_row, &a, &a2, &used2, &res, &err)) {
        rc = mg_cli_fail(cmd, &err, MG_EXIT_DATA);
        goto out;
    }
    if (res.records == 0) {
        mg_error_set(&err, MG_EINVAL, "%s: no data rows", ops.v[0]);
        rc = mg_cli_fail(cmd, &err, MG_EXIT_DATA);
        goto out;
    }
    for (size_t k = 0; used2 && k < a2.map.cap; k++)
        if (a2.map.slots[k].hash)
            mg_cmap_get(&a.map, a2.map.slots[k].key, a2.map.slots[k].klen)->a += a2.map.slots[k].a;
    mg_cmap_free(&a2.map);
    list = mg_xmalloc(a.map.n * sizeof *list);
    size_t n = 0;
    for (size_t i = 0; i < a.map.cap; i++)
        if (a.map.slots[i].hash) list[n++] = &a.map.slots[i];
    qsort(list, n, sizeof *list, cmp_class);
    uint64_t k = list[0]->a;
    json_t *qs = json_array(), *classes = json_array();
    for (size_t i = 0; i < quasi.n; i++)
        json_array_append_new(qs, json_string(quasi.v[i]));
    for (size_t i = 0; i < n && i < (size_t)show; i++) {
        json_t *vals = json_object();
        size_t off = 0;
        for (size_t q = 0; q < quasi.n; q++) {
            uint32_t l;
            memcpy(&l, list[i]->key + off, 4);
            json_object_set_new(vals, quasi.v[q], mg_json_bytes(list[i]->key + off + 4, l));
            off += 4 + l;
        }
        json_array_append_new(classes,
                              json_pack("{s:o,s:I}", "values", vals, "count", (json_int_t)list[i]->a));
    }
    o = json_pack("{s:o,s:I,s:I,s:I,s:o}", "quasiIdentifiers", qs, "rows", (json_int_t)res.records, "classes",
                  (json_int_t)n, "k", (json_int_t)k, "smallestClasses", classes);
    bool passed = want_k < 0 || (long long)k >= want_k;
    if (want_k >= 0) {
        json_object_set_new(o, "requiredK", json_integer(want_k));
        json_object_set_new(o, "passed", json_boolean(passed));
    }
    if (g.out == MG_OUT_TABLE) {
        printf("k = %llu over (", (unsigned long long)k);
        for (size_t i = 0; i < quasi.n; i++)
            printf("%s%s", i ? ", " : "", quasi.v[i]);
        printf("): %llu rows in %zu classes", (unsigned long long)res.records, n);
        if (want_k >= 0) printf("; required k >= %lld: %s", want_k, passed ? "PASS" : "FAIL");
        printf("\n");
        if (json_array_size(classes)) {
            printf("\nsmallest classes:\n");
            const char **hdr = mg_xmalloc((quasi.n + 1) * sizeof *hdr);
            hdr[0] = "count";
            for (size_t i = 0; i < quasi.n; i++)
                hdr[i + 1] = quasi.v[i];
            mg_table t;
            mg_table_init(&t, quasi.n + 1, hdr);
            size_t i;
            json_t *x;
            json_array_foreach(classes, i, x) {
                char cnt[32];
                snprintf(cnt, sizeof cnt, "%lld", (long long)json_integer_value(json_object_get(x, "count")));
                hdr[0] = cnt;
                for (size_t q = 0; q < quasi.n; q++)
                    hdr[q + 1] = json_string_value(json_object_get(json_object_get(x, "values"), quasi.v[q]));
                mg_table_add(&t, hdr);
            }
            mg_table_print(&t, stdout);
            mg_table_free(&t);
            free(hdr);
        }
    } else {
        mg_cli_print(o, g.out);
    }
    rc = passed ? 0 : MG_EXIT_POLICY;
out:
    json_decref(o);
    free(list);
    free(a.idx);
    free(a.key);
    free(a2.idx);
    free(a2.key);
    mg_cmap_free(&a.map);
    mg_cmap_free(&a2.map);
    mg_strvec_free(&ops);
    mg_strvec_free(&raw);
    mg_strvec_free(&quasi);
    return rc;
}
