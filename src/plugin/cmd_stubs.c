#include <stdio.h>

#include "plugin/cli.h"
#include "plugin/commands.h"

int mg_cmd_bias_scan(int argc, char **argv) { (void)argc; fprintf(stderr, "%s: not implemented yet\n", argv[0]); return 2; }
int mg_cmd_baseline(int argc, char **argv) { (void)argc; fprintf(stderr, "%s: not implemented yet\n", argv[0]); return 2; }
int mg_cmd_drift(int argc, char **argv) { (void)argc; fprintf(stderr, "%s: not implemented yet\n", argv[0]); return 2; }
