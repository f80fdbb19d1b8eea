#include "core/flags.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const mg_flag *find(const mg_flag *flags, size_t n, const char *name, size_t len) {
    for (size_t i = 0; i < n; i++)
        if (strlen(flags[i].name) == len && !strncmp(flags[i].name, name, len)) return &flags[i];
    return NULL;
}

static int set_value(const mg_flag *f, const char *value, mg_error *err) {
    switch (f->type) {
    case MG_FLAG_STRING: *(const char **)f->target = value; return 0;
    case MG_FLAG_BOOL:
        if (!strcmp(value, "true") || !strcmp(value, "1"))
            *(bool *)f->target = true;
        else if (!strcmp(value, "false") || !strcmp(value, "0"))
            *(bool *)f->target = false;
        else
            return mg_error_set(err, MG_EINVAL, "flag --%s: want true or false, got \"%s\"", f->name, value);
        return 0;
    case MG_FLAG_INT: {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (errno || end == value || *end)
            return mg_error_set(err, MG_EINVAL, "flag --%s: want an integer, got \"%s\"", f->name, value);
        *(long *)f->target = v;
        return 0;
    }
    }
    return MG_EINVAL;
}

int mg_flags_parse(int argc, char **argv, const mg_flag *flags, size_t n, mg_error *err) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return MG_FLAGS_HELP;
        if (!strcmp(a, "--version")) return MG_FLAGS_VERSION;
        if (strncmp(a, "--", 2) || !a[2])
            return mg_error_set(err, MG_EINVAL, "unexpected argument \"%s\" (flags look like --name=value)",
                                a);
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const mg_flag *f = find(flags, n, name, len);
        if (!f) return mg_error_set(err, MG_EINVAL, "unknown flag --%.*s", (int)len, name);
        if (eq) {
            int rc = set_value(f, eq + 1, err);
            if (rc) return rc;
        } else if (f->type == MG_FLAG_BOOL) {
            *(bool *)f->target = true;
        } else {
            if (i + 1 >= argc) return mg_error_set(err, MG_EINVAL, "flag --%s needs a value", f->name);
            int rc = set_value(f, argv[++i], err);
            if (rc) return rc;
        }
    }
    return 0;
}

void mg_flags_usage(FILE *f, const char *usage_line, const mg_flag *flags, size_t n) {
    fprintf(f, "%s\n\nFlags:\n", usage_line);
    for (size_t i = 0; i < n; i++) {
        char left[64];
        snprintf(left, sizeof(left), "--%s%s", flags[i].name,
                 flags[i].type == MG_FLAG_STRING ? " string"
                 : flags[i].type == MG_FLAG_INT  ? " int"
                                                 : "");
        fprintf(f, "  %-30s %s", left, flags[i].help);
        if (flags[i].type == MG_FLAG_STRING && *(const char **)flags[i].target)
            fprintf(f, " (default \"%s\")", *(const char **)flags[i].target);
        else if (flags[i].type == MG_FLAG_INT)
            fprintf(f, " (default %ld)", *(long *)flags[i].target);
        else if (flags[i].type == MG_FLAG_BOOL && *(bool *)flags[i].target)
            fprintf(f, " (default true)");
        fputc('\n', f);
    }
    fprintf(f, "  %-30s %s\n  %-30s %s\n", "--help", "show this help", "--version", "print the version");
}
