/* plugin/complete — see complete.h. */
#include "plugin/complete.h"

#include <stdbool.h>
#include <string.h>

#include "api/api.h"
#include "core/mem.h"

#define MAX_FLAGS 32

typedef struct flag {
    const char *name;  /* long name without "--" */
    char short_name;   /* 0 when none */
    bool takes_value;  /* --flag VALUE */
    mg_arg_kind value; /* what the value is */
    const char *words; /* MG_ARG_WORDS: space-separated */
} flag;

typedef struct command {
    const char *name; /* "review", "dataset hash" */
    mg_arg_kind operand;
    const char *operand_words; /* MG_ARG_WORDS */
    bool many;                 /* operands repeat (files) */
    const char *formats;       /* -o values */
    flag flags[MAX_FLAGS];
} command;

#define OUT_FORMATS "table json yaml"
#define V(n)                                                                                                 \
    { n, 0, true, MG_ARG_NONE, NULL }
#define F(n)                                                                                                 \
    { n, 0, true, MG_ARG_FILE, NULL }

static const flag global_flags[] = {
    {"kubeconfig", 0, true, MG_ARG_FILE, NULL},       {"context", 0, true, MG_ARG_NONE, NULL},
    {"namespace", 'n', true, MG_ARG_NAMESPACE, NULL}, {"output", 'o', true, MG_ARG_WORDS, NULL},
    {"help", 'h', false, MG_ARG_NONE, NULL},
};

static const command commands[] = {
    {"dataset hash", MG_ARG_FILE, NULL, true, OUT_FORMATS, {{0}}},
    {"dataset register",
     MG_ARG_FILE,
     NULL,
     false,
     OUT_FORMATS,
     {V("name"),
      V("version"),
      {"source-type", 0, true, MG_ARG_WORDS, "anonymized-client licensed-public synthetic internal"},
      V("license"),
      V("origin"),
      V("uri"),
      {"parent", 0, true, MG_ARG_DSV_REF, NULL},
      {"privacy", 0, true, MG_ARG_WORDS, "anonymized pseudonymized none"},
      V("report-digest"),
      V("quasi"),
      V("k"),
      V("label"),
      V("object-name")}},
    {"pseudonymize",
     MG_ARG_FILE,
     NULL,
     true,
     OUT_FORMATS,
     {F("key-file"), V("columns"), V("drop"), F("report")}},
    {"anonymity", MG_ARG_FILE, NULL, false, OUT_FORMATS, {V("quasi"), V("k"), V("show")}},
    {"bias-scan",
     MG_ARG_FILE,
     NULL,
     false,
     OUT_FORMATS,
     {V("protected"), V("label"), V("positive"), {"apply", 0, true, MG_ARG_DSV_REF, NULL}}},
    {"baseline",
     MG_ARG_FILE,
     NULL,
     false,
     OUT_FORMATS,
     {V("features"), V("bins"), V("label"), V("prediction"), V("protected"), V("positive"), V("max-values")}},
    {"drift",
     MG_ARG_NONE,
     NULL,
     false,
     OUT_FORMATS,
     {F("reference"), F("current"), V("features"), V("bins"), V("max-psi"), V("max-ks"), V("max-js"),
      V("max-wasserstein"), V("min-chi2-pvalue"), V("max-values")}},
    {"review",
     MG_ARG_MV,
     NULL,
     false,
     OUT_FORMATS,
     {{"kind", 0, true, MG_ARG_WORDS, "security performance bias"},
      {"approve", 0, false, MG_ARG_NONE, NULL},
      {"reject", 0, false, MG_ARG_NONE, NULL},
      {"message", 'm', true, MG_ARG_NONE, NULL},
      V("reviewer")}},
    {"quarantine",
     MG_ARG_MV,
     NULL,
     false,
     OUT_FORMATS,
     {V("reason"), {"message", 'm', true, MG_ARG_NONE, NULL}, V("reviewer")}},
    {"release",
     MG_ARG_MD,
     NULL,
     false,
     OUT_FORMATS,
     {{"message", 'm', true, MG_ARG_NONE, NULL}, V("reviewer")}},
    {"status", MG_ARG_MD, NULL, false, OUT_FORMATS, {{"all-namespaces", 'A', false, MG_ARG_NONE, NULL}}},
    {"lineage", MG_ARG_MV, NULL, false, OUT_FORMATS, {{0}}},
    {"history", MG_ARG_MD, NULL, false, OUT_FORMATS, {{0}}},
    {"report",
     MG_ARG_REPORT,
     NULL,
     false,
     "html md json yaml",
     {V("prometheus-url"),
      {"since", 0, true, MG_ARG_WORDS, "1h 12h 7d 30d 90d"},
      V("until"),
      F("from-file")}},
    {"completion", MG_ARG_WORDS, "bash zsh", false, OUT_FORMATS, {{0}}},
    {"version", MG_ARG_NONE, NULL, false, OUT_FORMATS, {{0}}},
};
#define NCOMMANDS (sizeof commands / sizeof *commands)

const char *const *mg_complete_commands(void) {
    static const char *names[NCOMMANDS + 1];
    for (size_t i = 0; i < NCOMMANDS; i++)
        names[i] = commands[i].name;
    return names;
}

static const command *find_command(const char *name) {
    for (size_t i = 0; name && i < NCOMMANDS; i++)
        if (!strcmp(commands[i].name, name)) return &commands[i];
    return NULL;
}

size_t mg_complete_flags(const char *cmd, const char **out, size_t max) {
    const command *c = find_command(cmd);
    size_t n = 0;
    for (size_t i = 0; c && i < MAX_FLAGS && c->flags[i].name && n < max; i++)
        out[n++] = c->flags[i].name;
    for (size_t i = 0; c && i < sizeof global_flags / sizeof *global_flags && n < max; i++)
        out[n++] = global_flags[i].name;
    return n;
}

/* The flag a word names (--name, --name=..., -x), in the command's table or the global one. */
static const flag *find_flag(const command *c, const char *word) {
    const char *name = word[1] == '-' ? word + 2 : NULL;
    size_t len = name ? strcspn(name, "=") : 0;
    for (int pass = 0; pass < 2; pass++) {
        const flag *t = pass ? global_flags : c ? c->flags : NULL;
        size_t n = pass ? sizeof global_flags / sizeof *global_flags : c ? MAX_FLAGS : 0;
        for (size_t i = 0; i < n && t[i].name; i++) {
            if (name ? strlen(t[i].name) == len && !strncmp(t[i].name, name, len)
                     : t[i].short_name && t[i].short_name == word[1])
                return &t[i];
        }
    }
    return NULL;
}

static bool has_prefix(const char *s, const char *prefix) { return !strncmp(s, prefix, strlen(prefix)); }

static void add(mg_strvec *out, const char *cur, const char *cand) {
    if (has_prefix(cand, cur)) mg_strvec_push(out, cand); /* owned: the vector copies */
}

static void add_words(mg_strvec *out, const char *cur, const char *words) {
    for (const char *p = words; p && *p;) {
        size_t n = strcspn(p, " ");
        char *w = mg_xstrndup(p, n);
        add(out, cur, w);
        free(w);
        p += n + (p[n] == ' ');
    }
}

/* Cluster names of a resource, each as prefix+name, filtered by cur. */
static int add_names(mg_strvec *out, const char *cur, mg_comp_lister list, void *ud, const char *resource,
                     const char *prefix) {
    mg_strvec names = {.owned = true};
    if (!list || list(ud, resource, &names)) {
        mg_strvec_free(&names);
        return MG_COMP_NO_FILE_COMP;
    }
    for (size_t i = 0; i < names.n; i++) {
        char *c = mg_xasprintf("%s%s", prefix, names.v[i]);
        add(out, cur, c);
        free(c);
    }
    mg_strvec_free(&names);
    return MG_COMP_NO_FILE_COMP;
}

/* kind/NAME words: the kind alone first (continued without a space), then the names. */
static int typed_names(mg_strvec *out, const char *cur, mg_comp_lister list, void *ud, const char *resource,
                       const char *prefix) {
    if (has_prefix(cur, prefix)) return add_names(out, cur, list, ud, resource, prefix);
    add(out, cur, prefix);
    return MG_COMP_NO_FILE_COMP | MG_COMP_NO_SPACE;
}

static int complete_kind(mg_arg_kind kind, const char *words, const char *cur, mg_comp_lister list, void *ud,
                         mg_strvec *out) {
    switch (kind) {
    case MG_ARG_FILE: return MG_COMP_DEFAULT;
    case MG_ARG_MV: return add_names(out, cur, list, ud, MG_RES_MODELVERSIONS, "");
    case MG_ARG_MD: return add_names(out, cur, list, ud, MG_RES_MODELDEPLOYMENTS, "");
    case MG_ARG_NAMESPACE: return add_names(out, cur, list, ud, "namespaces", "");
    case MG_ARG_DSV_REF: return typed_names(out, cur, list, ud, MG_RES_DATASETVERSIONS, "dsv/");
    case MG_ARG_REPORT:
        if (has_prefix(cur, "md/")) return add_names(out, cur, list, ud, MG_RES_MODELDEPLOYMENTS, "md/");
        add(out, cur, "md/");
        return add_names(out, cur, list, ud, MG_RES_MODELVERSIONS, "") |
               (out->n == 1 && !strcmp(out->v[0], "md/") ? MG_COMP_NO_SPACE : 0);
    case MG_ARG_WORDS: add_words(out, cur, words); return MG_COMP_NO_FILE_COMP;
    default: return MG_COMP_NO_FILE_COMP;
    }
}

static int complete_flags(const command *c, const char *cur, mg_strvec *out) {
    for (int pass = 0; pass < 2; pass++) {
        const flag *t = pass ? global_flags : c ? c->flags : NULL;
        size_t n = pass ? sizeof global_flags / sizeof *global_flags : c ? MAX_FLAGS : 0;
        for (size_t i = 0; i < n && t[i].name; i++) {
            char *w = mg_xasprintf("--%s", t[i].name);
            add(out, cur, w);
            free(w);
        }
    }
    return MG_COMP_NO_FILE_COMP;
}

/* What the words before the cursor say: the command, its operands so far, and whether the
 * last word is a flag still waiting for its value. */
typedef struct line {
    const command *cmd;
    const char *word; /* the command word when it is not (yet) a known command */
    size_t operands;
    const flag *pending; /* the value of this flag is under the cursor */
} line;

static void read_line(const char *const *args, size_t n, line *l) {
    memset(l, 0, sizeof *l);
    bool only_operands = false;
    for (size_t i = 0; i < n; i++) {
        const char *a = args[i];
        if (!only_operands && !strcmp(a, "--")) {
            only_operands = true;
            continue;
        }
        if (!only_operands && a[0] == '-' && a[1]) {
            const flag *f = find_flag(l->cmd, a);
            bool inline_value = a[1] == '-' ? strchr(a, '=') != NULL : a[2] != '\0';
            if (f && f->takes_value && !inline_value) {
                if (i + 1 == n) l->pending = f;
                i++;
            }
            continue;
        }
        if (l->cmd) {
            l->operands++;
        } else if (l->word && !strcmp(l->word, "dataset")) {
            char *two = mg_xasprintf("dataset %s", a);
            l->cmd = find_command(two);
            free(two);
            l->word = l->cmd ? NULL : a;
        } else {
            l->cmd = find_command(a);
            l->word = a;
        }
    }
}

int mg_complete(const char *const *args, size_t n, mg_comp_lister list, void *ud, mg_strvec *out) {
    out->owned = true;
    if (!n) return MG_COMP_ERROR;
    const char *cur = args[n - 1];
    line l;
    read_line(args, n - 1, &l);
    if (l.pending) {
        const char *words = l.pending->value == MG_ARG_WORDS && !l.pending->words
                                ? (l.cmd ? l.cmd->formats : OUT_FORMATS)
                                : l.pending->words;
        return complete_kind(l.pending->value, words, cur, list, ud, out);
    }
    if (cur[0] == '-') return complete_flags(l.cmd, cur, out);
    if (!l.cmd && l.word && !strcmp(l.word, "dataset")) {
        add_words(out, cur, "hash register");
        return MG_COMP_NO_FILE_COMP;
    }
    if (!l.cmd) {
        if (l.word) return MG_COMP_NO_FILE_COMP; /* an unknown command: nothing sensible follows */
        for (size_t i = 0; i < NCOMMANDS; i++) {
            const char *name = commands[i].name;
            if (has_prefix(name, "dataset ")) name = "dataset";
            if (!(i && has_prefix(commands[i - 1].name, "dataset ") && !strcmp(name, "dataset")))
                add(out, cur, name);
        }
        return MG_COMP_NO_FILE_COMP;
    }
    if (l.operands && !l.cmd->many) return MG_COMP_NO_FILE_COMP;
    return complete_kind(l.cmd->operand, l.cmd->operand_words, cur, list, ud, out);
}
