/* kubectl modelgov completion bash|zsh (the shell scripts) and the hidden __complete command
 * they, kubectl and the kubectl_complete-modelgov helper call (plugin/complete's decision, with
 * object names listed from the cluster the command line names). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/json.h"
#include "core/mem.h"
#include "k8s/client.h"
#include "k8s/kubeconfig.h"
#include "plugin/cli.h"
#include "plugin/commands.h"
#include "plugin/complete.h"

/* Completion runs while a person waits at the prompt: a slow cluster gives no names, fast. */
#define COMPLETE_TIMEOUT_MS 3000

static const char completion_help[] =
    "Usage: kubectl modelgov completion bash|zsh\n"
    "\n"
    "Prints a shell script that completes kubectl-modelgov's commands, flags, flag values and the\n"
    "names of ModelVersions, ModelDeployments and DatasetVersions (listed from the cluster of the\n"
    "command line's --kubeconfig/--context/-n). For `kubectl modelgov <TAB>` itself, put the\n"
    "kubectl_complete-modelgov helper (shipped next to kubectl-modelgov) on your PATH and load\n"
    "kubectl's own completion: kubectl (1.26 and later) asks the helper.\n"
    "\n"
    "Examples:\n"
    "  source <(kubectl modelgov completion bash)          # in ~/.bashrc\n"
    "  kubectl modelgov completion zsh > \"${fpath[1]}/_kubectl-modelgov\"\n"
    "  source <(kubectl completion bash)                   # kubectl modelgov <TAB> via the helper\n";

static const char bash_script[] =
    "# bash completion for kubectl-modelgov (kubectl modelgov completion bash)\n"
    "_kubectl_modelgov() {\n"
    "  local out directive line\n"
    "  out=$(\"${COMP_WORDS[0]}\" __complete \"${COMP_WORDS[@]:1:COMP_CWORD}\" 2>/dev/null) || return\n"
    "  directive=${out##*:}\n"
    "  COMPREPLY=()\n"
    "  while IFS= read -r line; do\n"
    "    case $line in :*|'') ;; *) COMPREPLY+=(\"${line%%$'\\t'*}\") ;; esac\n"
    "  done <<<\"$out\"\n"
    "  (( directive & 2 )) && compopt -o nospace\n"
    "  if (( ${#COMPREPLY[@]} == 0 )) && (( directive & 4 )); then compopt +o default; fi\n"
    "  return 0\n"
    "}\n"
    "complete -o default -F _kubectl_modelgov kubectl-modelgov\n";

static const char zsh_script[] =
    "#compdef kubectl-modelgov\n"
    "# zsh completion for kubectl-modelgov (kubectl modelgov completion zsh)\n"
    "_kubectl_modelgov() {\n"
    "  local out directive\n"
    "  local -a lines cands\n"
    "  out=$(\"${words[1]}\" __complete \"${(@)words[2,CURRENT]}\" 2>/dev/null) || return 1\n"
    "  lines=(\"${(@f)out}\")\n"
    "  directive=${lines[-1]#:}\n"
    "  cands=(\"${(@)lines[1,-2]}\")\n"
    "  if (( ${#cands} )); then\n"
    "    if (( directive & 2 )); then compadd -S '' -- \"${(@)cands%%$'\\t'*}\"; else compadd -- "
    "\"${(@)cands%%$'\\t'*}\"; fi\n"
    "  elif (( ! (directive & 4) )); then\n"
    "    _files\n"
    "  fi\n"
    "}\n"
    "compdef _kubectl_modelgov kubectl-modelgov\n";

int mg_cmd_completion(int argc, char **argv) {
    const mg_opt opts[] = {{NULL, 0, 0, NULL}};
    mg_global g = {0};
    mg_strvec ops = {0};
    int rc = mg_cli_parse(argc, argv, opts, &g, &ops, argv[0]);
    if (!rc && g.help) {
        mg_cli_help(stdout, completion_help);
    } else if (!rc && ops.n == 1 && !strcmp(ops.v[0], "bash")) {
        fputs(bash_script, stdout);
    } else if (!rc && ops.n == 1 && !strcmp(ops.v[0], "zsh")) {
        fputs(zsh_script, stdout);
    } else if (!rc) {
        rc = mg_cli_usage_error(argv[0], "expected bash or zsh");
    }
    mg_strvec_free(&ops);
    return rc;
}

/* ---- __complete ---- */

typedef struct cluster {
    mg_global g; /* --kubeconfig, --context, -n as the command line gives them */
    mg_rest_config cfg;
    mg_client *c;
    const char *ns;
    bool tried;
} cluster;

/* The global flags among the words (kubectl's spelling: --flag value, --flag=value, -n value). */
static void read_globals(const char *const *args, size_t n, mg_global *g) {
    static const struct {
        const char *lng, *shrt;
        size_t off;
    } keys[] = {{"--kubeconfig", NULL, offsetof(mg_global, kubeconfig)},
                {"--context", NULL, offsetof(mg_global, context)},
                {"--namespace", "-n", offsetof(mg_global, namespace_)}};
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
            const char **dest = (const char **)((char *)g + keys[k].off);
            size_t l = strlen(keys[k].lng);
            if (!strncmp(args[i], keys[k].lng, l) && args[i][l] == '=')
                *dest = args[i] + l + 1;
            else if ((!strcmp(args[i], keys[k].lng) || (keys[k].shrt && !strcmp(args[i], keys[k].shrt))) &&
                     i + 1 < n)
                *dest = args[i + 1];
        }
}

static int list_names(void *ud, const char *resource, mg_strvec *out) {
    cluster *cl = ud;
    if (!cl->tried) {
        cl->tried = true;
        if (mg_plugin_connect(&cl->g, &cl->cfg, &cl->c, &cl->ns, NULL)) {
            mg_client_free(cl->c);
            cl->c = NULL;
        } else {
            mg_client_set_timeout(cl->c, COMPLETE_TIMEOUT_MS);
        }
    }
    if (!cl->c) return -1;
    bool core = !strcmp(resource, MG_GVR_NAMESPACES.resource);
    mg_gvr gvr = core ? MG_GVR_NAMESPACES : (mg_gvr){MG_API_GROUP, MG_API_VERSION, resource, true};
    json_t *list = NULL;
    if (mg_k8s_list(cl->c, &gvr, core ? NULL : cl->ns, NULL, &list, NULL)) return -1;
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(list, "items"), i, o) {
        const char *name = mg_json_str(o, "metadata", "name", NULL);
        if (name) mg_strvec_push(out, name); /* copied: out owns its strings */
    }
    json_decref(list);
    return 0;
}

/* argv: "__complete" and the words after "modelgov", the last one under the cursor. Never
 * fails: a problem means no candidates. */
int mg_cmd_complete(int argc, char **argv) {
    const char *const *args = (const char *const *)argv + 1;
    size_t n = argc > 1 ? (size_t)argc - 1 : 0;
    const char *empty[] = {""};
    if (!n) args = empty, n = 1;
    cluster cl;
    memset(&cl, 0, sizeof cl);
    read_globals(args, n - 1, &cl.g);
    mg_strvec out = {0};
    int directive = mg_complete(args, n, list_names, &cl, &out);
    for (size_t i = 0; i < out.n; i++)
        printf("%s\n", out.v[i]);
    printf(":%d\n", directive);
    mg_strvec_free(&out);
    mg_client_free(cl.c);
    mg_rest_config_free(&cl.cfg);
    return 0;
}
