/* plugin/complete — shell completion of kubectl-modelgov: what may come next on a command line.
 *
 * Owns: the table of commands, their flags, what each flag's value and each operand is (a file,
 * a ModelVersion, a ModelDeployment, a fixed word), and the decision for a partial command line.
 * The decision is pure: cluster names come through a lister callback, so it is table-tested
 * without a cluster. Single-threaded; nothing here keeps state.
 *
 * The protocol is cobra's `__complete` (what kubectl itself speaks, and what kubectl runs the
 * kubectl_complete-modelgov helper for): one candidate per line, then ":N" where N is a bitmask
 * of MG_COMP_* directives. The shells' scripts (`kubectl modelgov completion bash|zsh`) read it. */
#ifndef MG_PLUGIN_COMPLETE_H
#define MG_PLUGIN_COMPLETE_H
#include <stddef.h>

#include "plugin/cli.h"

/* cobra's ShellCompDirective bits */
enum {
    MG_COMP_DEFAULT = 0,      /* the shell may complete file names when there is no candidate */
    MG_COMP_ERROR = 1,        /* something failed: complete nothing */
    MG_COMP_NO_SPACE = 2,     /* no space after the candidate (e.g. "md/" continues) */
    MG_COMP_NO_FILE_COMP = 4, /* never fall back to file names */
};

/* What a value or operand is. */
typedef enum {
    MG_ARG_NONE = 0,  /* nothing to complete (free text) */
    MG_ARG_FILE,      /* a file name: the shell completes it */
    MG_ARG_MV,        /* a ModelVersion name */
    MG_ARG_MD,        /* a ModelDeployment name */
    MG_ARG_REPORT,    /* a ModelVersion name, or md/ and a ModelDeployment name */
    MG_ARG_DSV_REF,   /* dsv/ and a DatasetVersion name */
    MG_ARG_NAMESPACE, /* a namespace */
    MG_ARG_WORDS,     /* one of a fixed list of words */
} mg_arg_kind;

/* Names of one kind of object in the namespace, for completion: resource is "modelversions",
 * "modeldeployments", "datasetversions" or "namespaces". Pushes owned copies into out; returns 0
 * or -1 when they cannot be listed (no cluster: the completion then offers nothing). */
typedef int (*mg_comp_lister)(void *ud, const char *resource, mg_strvec *out);

/* Completes args[n-1] (the word under the cursor, possibly "") after args[0..n-1) (the words
 * after "modelgov"). Candidates go to out (owned copies); returns the directive bits. */
int mg_complete(const char *const *args, size_t n, mg_comp_lister list, void *ud, mg_strvec *out);

/* The commands ("dataset hash" for a subcommand) in help order, and one command's long flags
 * ("--kind"), global ones included; NULL-terminated static arrays (NULL for an unknown command).
 * The integration test checks that every flag offered is one the command accepts. */
const char *const *mg_complete_commands(void);
/* Writes up to max flag names of cmd into out; returns how many. */
size_t mg_complete_flags(const char *cmd, const char **out, size_t max);

#endif
