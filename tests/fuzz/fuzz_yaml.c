/* libFuzzer target for core/yaml: every document of the input is loaded; whatever loads must
 * dump to YAML that loads back to an equal tree (the dumper's quoting rules), and errors must
 * carry a message. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    json_t *docs = NULL;
    mg_error err;
    int rc = mg_yaml_load_all((const char *)data, size, "fuzz", &docs, &err);
    if (rc) {
        if (!err.message[0] || docs) abort();
        return 0;
    }
    size_t i;
    json_t *doc;
    json_array_foreach(docs, i, doc) {
        char *y = mg_yaml_dump(doc);
        if (!y) continue; /* nesting beyond the dumper's cap */
        json_t *back = NULL;
        if (mg_yaml_load(y, strlen(y), "dump", &back, &err)) abort();
        if (!json_equal(doc, back)) abort();
        json_decref(back);
        free(y);
    }
    json_decref(docs);
    return 0;
}
