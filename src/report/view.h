/* report/view — the document laid out for people: titled sections made of blocks, shared by
 * the HTML and the Markdown renderers so both always show the same content.
 *
 * Owns: nothing; builds new JSON values (owned by the caller). Pure and reentrant.
 *
 * A view is {title, subtitle, badges:[{text, tone}], sections:[{id, title, blocks:[...]}]}; a
 * block is one of
 *   {type:"p", text, tone?}                  a paragraph
 *   {type:"h3", text}                        a sub-heading
 *   {type:"kv", rows:[[key, cell]...]}       a key/value list
 *   {type:"table", caption?, columns:[...], rows:[[cell...]...]}
 *   {type:"plot", index}                     doc.plots[index]
 * and a cell is a string or {text, tone}; tones are ok, warn, bad and muted. */
#ifndef MG_REPORT_VIEW_H
#define MG_REPORT_VIEW_H
#include <jansson.h>

/* Block builders (append to blocks, an array; return what the caller fills in). */
void mg_view_p(json_t *blocks, const char *tone, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void mg_view_h3(json_t *blocks, const char *text);
json_t *mg_view_kv(json_t *blocks); /* the rows array */
void mg_view_kv_add(json_t *rows, const char *key, json_t *cell);
json_t *mg_view_table(json_t *blocks, const char *caption, const char *const *columns, size_t ncols);
/* Appends one row of n cells (each stolen). */
void mg_view_row(json_t *rows, size_t n, ...);
json_t *mg_view_cell(const char *text, const char *tone); /* {text, tone} or a plain string */
json_t *mg_view_str(const char *s);                       /* s, or an em dash when NULL */
json_t *mg_view_num(const json_t *v);                     /* a number for people, or a dash */
json_t *mg_view_digest(const char *d);                    /* "sha256:0123456789ab…" */
json_t *mg_view_section(json_t *sections, const char *id, const char *title); /* its blocks */

/* A column of a table drawn from one member of each row object: its string, its number, or its
 * string shown with the tone tone(value) gives. */
typedef enum { MG_VIEW_STR, MG_VIEW_NUM, MG_VIEW_TONED } mg_view_kind;
typedef struct mg_view_column {
    const char *title, *member;
    mg_view_kind kind;
    const char *(*tone)(const char *value); /* MG_VIEW_TONED only */
} mg_view_column;
/* A table with one row per object of items (a JSON array). */
void mg_view_table_of(json_t *blocks, const char *caption, const mg_view_column *cols, size_t ncols,
                      const json_t *items);

/* The sections about running the version: deployments, monitoring, incidents, retraining. */
void mg_view_operations(json_t *sections, const json_t *doc);

#endif
