/* plugin/commands — the kubectl-modelgov subcommands.
 *
 * Owns: nothing shared. Each mg_cmd_* takes the command's argv (argv[0] = the command name,
 * then every other argument in the original order, global flags included) and returns the
 * process exit code (MG_EXIT_*). Single-threaded. */
#ifndef MG_PLUGIN_COMMANDS_H
#define MG_PLUGIN_COMMANDS_H

int mg_cmd_dataset_hash(int argc, char **argv);
int mg_cmd_pseudonymize(int argc, char **argv);
int mg_cmd_anonymity(int argc, char **argv);
int mg_cmd_bias_scan(int argc, char **argv);
int mg_cmd_baseline(int argc, char **argv);
int mg_cmd_drift(int argc, char **argv);
int mg_cmd_dataset_register(int argc, char **argv);
int mg_cmd_review(int argc, char **argv);
int mg_cmd_quarantine(int argc, char **argv);
int mg_cmd_release(int argc, char **argv);
int mg_cmd_status(int argc, char **argv);
int mg_cmd_lineage(int argc, char **argv);
int mg_cmd_history(int argc, char **argv);
int mg_cmd_report(int argc, char **argv);
int mg_cmd_completion(int argc, char **argv);
int mg_cmd_complete(int argc, char **argv); /* __complete: the shells' and kubectl's completion protocol */

struct mg_rest_config;
struct mg_client;
struct mg_global;
struct mg_error;
/* Loads the rest config from the global flags, creates the client and picks the namespace
 * (-n, else the context's, else "default"; borrowed). The caller frees cfg and c. */
int mg_plugin_connect(const struct mg_global *g, struct mg_rest_config *cfg, struct mg_client **c,
                      const char **ns, struct mg_error *err);

/* Removes argv[idx] (the command word) and puts `name` in argv[0]; returns the new argc.
 * argv is modified in place. */
int mg_cmd_shift(int argc, char **argv, int idx, char *name);
/* Index of the first operand (non-flag word) at or after from, skipping global flags and
 * their values; -1 when none. */
int mg_cmd_find_word(int argc, char **argv, int from);

#endif
