/* Unit tests for plugin/complete: partial kubectl-modelgov command lines → the candidates and
 * the cobra directive, with object names from a fake lister (and one that fails, like a
 * missing cluster). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "plugin/complete.h"

static int fake_list(void *ud, const char *resource, mg_strvec *out) {
    static const struct {
        const char *resource, *names;
    } objs[] = {{"modelversions", "credit-1-0-0 credit-1-1-0 fraud-2-0-0"},
                {"modeldeployments", "credit fraud"},
                {"datasetversions", "loans-2026-10 loans-2026-11"},
                {"namespaces", "default ml ml-prod"}};
    (*(int *)ud)++;
    for (size_t i = 0; i < sizeof objs / sizeof *objs; i++) {
        if (strcmp(objs[i].resource, resource)) continue;
        char *copy = mg_xstrdup(objs[i].names), *save = NULL;
        for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save))
            mg_strvec_push(out, t);
        free(copy);
        return 0;
    }
    return -1;
}

static int no_cluster(void *ud, const char *resource, mg_strvec *out) {
    (void)ud, (void)resource, (void)out;
    return -1;
}

typedef struct {
    const char *line; /* the words after "modelgov", '|' separated; the last is under the cursor */
    const char *want; /* candidates, space separated */
    int directive;
} comp_case;

static const comp_case cases[] = {
    {"",
     "dataset pseudonymize anonymity bias-scan baseline drift review quarantine release status lineage "
     "history report completion version",
     4},
    {"re", "review release report", 4},
    {"-n|ml|rev", "review", 4}, /* global flags before the command */
    {"--context=alice|st", "status", 4},
    {"dataset|", "hash register", 4},
    {"dataset|hash|", "", 0}, /* files: the shell completes them */
    {"dataset|register|--source-type|s", "synthetic", 4},
    {"dataset|register|--privacy|", "anonymized pseudonymized none", 4},
    {"review|", "credit-1-0-0 credit-1-1-0 fraud-2-0-0", 4},
    {"review|cr", "credit-1-0-0 credit-1-1-0", 4},
    {"review|credit-1-0-0|", "", 4}, /* one operand only */
    {"review|credit-1-0-0|--kind|", "security performance bias", 4},
    {"review|--kind|b", "bias", 4},
    {"review|--kind=bias|-m|", "", 4}, /* free text */
    {"review|--a", "--approve", 4},
    {"release|", "credit fraud", 4},
    {"history|f", "fraud", 4},
    {"report|", "md/ credit-1-0-0 credit-1-1-0 fraud-2-0-0", 4},
    {"report|md", "md/", 6},
    {"report|md/", "md/credit md/fraud", 4},
    {"report|-o|", "html md json yaml", 4},
    {"report|--since|3", "30d", 4},
    {"report|--until|", "", 4}, /* a time: free text */
    {"report|--unt", "--until", 4},
    {"report|--from-file|", "", 0},
    {"status|-o|", "table json yaml", 4},
    {"status|--namespace|ml", "ml ml-prod", 4},
    {"bias-scan|--apply|", "dsv/", 6},
    {"bias-scan|--apply|dsv/", "dsv/loans-2026-10 dsv/loans-2026-11", 4},
    {"bias-scan|--apply=x|", "", 0},
    {"bias-scan|--pro", "--protected", 4},
    {"pseudonymize|--key-file|", "", 0},
    {"pseudonymize|a.csv|", "", 0}, /* files repeat */
    {"completion|", "bash zsh", 4},
    {"nonsense|", "", 4},
    {"--|review|", "credit-1-0-0 credit-1-1-0 fraud-2-0-0", 4},
};

static char *complete_line(const char *line, mg_comp_lister list, int *directive, int *calls) {
    char *copy = mg_xstrdup(line);
    const char *words[32];
    size_t n = 0;
    for (char *p = copy;; p++) {
        words[n++] = p;
        p = strchr(p, '|');
        if (!p) break;
        *p = '\0';
    }
    mg_strvec out = {0};
    *directive = mg_complete(words, n, list, calls, &out);
    char *joined = mg_xstrdup("");
    for (size_t i = 0; i < out.n; i++) {
        char *j = mg_xasprintf("%s%s%s", joined, i ? " " : "", out.v[i]);
        free(joined);
        joined = j;
    }
    mg_strvec_free(&out);
    free(copy);
    return joined;
}

static void test_table(void **state) {
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int directive, calls = 0;
        char *got = complete_line(cases[i].line, fake_list, &directive, &calls);
        if (strcmp(got, cases[i].want) || directive != cases[i].directive)
            fail_msg("\"%s\": got \"%s\" :%d, want \"%s\" :%d", cases[i].line, got, directive, cases[i].want,
                     cases[i].directive);
        free(got);
    }
}

/* Without a cluster: no names, never file names instead of objects. */
static void test_no_cluster(void **state) {
    int directive, calls = 0;
    char *got = complete_line("review|", no_cluster, &directive, &calls);
    assert_string_equal(got, "");
    assert_int_equal(directive, 4);
    free(got);
    /* commands and flags need no cluster: the lister is never asked */
    got = complete_line("review|--", fake_list, &directive, &calls);
    assert_non_null(strstr(got, "--kind"));
    assert_int_equal(calls, 0);
    free(got);
}

/* The flag list of every command names the flags the command takes (globals included). */
static void test_flags(void **state) {
    const char *flags[64];
    size_t n = mg_complete_flags("review", flags, 64);
    const char *want[] = {"kind",       "approve", "reject",    "message", "reviewer",
                          "kubeconfig", "context", "namespace", "output",  "help"};
    assert_int_equal(n, sizeof want / sizeof *want);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(flags[i], want[i]);
    n = mg_complete_flags("status", flags, 64);
    assert_true(n > 0);
    assert_string_equal(flags[0], "all-namespaces");
    assert_int_equal(mg_complete_flags("nonsense", flags, 64), 0);
    size_t ncmd = 0;
    for (const char *const *c = mg_complete_commands(); *c; c++)
        ncmd++;
    assert_int_equal(ncmd, 16);
}

int main(void) {
    mg_mem_init();
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_table), cmocka_unit_test(test_no_cluster),
                                       cmocka_unit_test(test_flags)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
