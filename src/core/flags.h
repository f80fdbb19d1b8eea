/* core/flags — GNU-style long flags for the daemons: `--name value`, `--name=value`, and for
 * booleans `--name`, `--name=true|false`.
 *
 * Owns: no state. Targets are caller-owned variables; string targets receive borrowed argv
 * pointers. Unknown flags, missing values, bad numbers and stray operands are errors that name
 * the flag. `--help`/`-h` and `--version` are reported through the return code so each main
 * prints its own text. */
#ifndef MG_CORE_FLAGS_H
#define MG_CORE_FLAGS_H
#include <stddef.h>
#include <stdio.h>

#include "core/error.h"

typedef enum { MG_FLAG_STRING, MG_FLAG_BOOL, MG_FLAG_INT } mg_flag_type;

typedef struct mg_flag {
    const char *name; /* without the leading "--" */
    mg_flag_type type;
    void *target;           /* const char ** / bool * / long * */
    const char *help;       /* one line; the default is printed from the target's initial value */
    const char *config_key; /* the same setting's key in a program's config file, or NULL */
} mg_flag;

enum { MG_FLAGS_HELP = 1, MG_FLAGS_VERSION = 2 };

/* Returns 0, MG_FLAGS_HELP, MG_FLAGS_VERSION, or MG_EINVAL with err naming the problem. */
int mg_flags_parse(int argc, char **argv, const mg_flag *flags, size_t n, mg_error *err);
void mg_flags_usage(FILE *f, const char *usage_line, const mg_flag *flags, size_t n);

#endif
