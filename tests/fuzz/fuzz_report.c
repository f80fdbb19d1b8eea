/* libFuzzer target for the report renderers: `kubectl modelgov report --from-file` renders a
 * saved document it did not write, so any JSON object must render as HTML and Markdown without
 * a crash, and the HTML must stay free of script whatever the strings hold. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    json_t *doc = json_loadb((const char *)data, size, 0, NULL);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return 0;
    }
    char *html = mg_report_html(doc);
    if (html && strstr(html, "<script")) abort();
    char *md = mg_report_markdown(doc);
    free(html);
    free(md);
    json_decref(doc);
    return 0;
}
