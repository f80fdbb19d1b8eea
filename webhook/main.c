/* modelgov-webhook entry point. See README.md. */
#include <stdio.h>
#include <string.h>

#include "core/mem.h"

static void usage(FILE *f) {
    fprintf(f, "Usage: modelgov-webhook [flags]\n"
               "  --help       show this help\n"
               "  --version    print the version\n");
}

int main(int argc, char **argv) {
    mg_mem_init();
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--version")) {
            printf("modelgov-webhook %s\n", MG_VERSION);
            return 0;
        }
        fprintf(stderr, "modelgov-webhook: unknown flag %s\n", argv[i]);
        usage(stderr);
        return 2;
    }
    return 0;
}
