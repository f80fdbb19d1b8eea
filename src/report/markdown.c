/* report/markdown — the view as GitHub-flavoured Markdown: the same sections, tables and
 * paragraphs as the HTML page; each plot becomes a table summarising its series (points, range,
 * last value, points beyond each threshold), since Markdown renderers strip inline SVG. */
#include <stdio.h>
#include <string.h>

#include "core/json.h"
#include "report/internal.h"
#include "report/report.h"

#define NUM_BUF 32

/* Markdown-escaped text: characters that would start emphasis, code, HTML or a table cell
 * border are backslash-escaped; newlines become spaces (a cell is one line). */
static void md_text(mg_rp_out *o, const char *s) {
    const char *run = s ? s : "";
    for (const char *p = run; *p; p++) {
        if (!strchr("\\`*_[]<>|#\n\r", *p)) continue;
        mg_rp_putn(o, run, (size_t)(p - run));
        mg_rp_put(o, *p == '\n' || *p == '\r' ? " " : *p == '<' ? "&lt;" : *p == '>' ? "&gt;" : "\\");
        if (!strchr("\n\r<>", *p)) mg_rp_putn(o, p, 1);
        run = p + 1;
    }
    mg_rp_put(o, run);
}

static const char *tone_mark(const char *tone) {
    if (!tone) return "";
    if (!strcmp(tone, "ok")) return "\u2713 ";
    if (!strcmp(tone, "warn")) return "\u26a0 ";
    if (!strcmp(tone, "bad")) return "\u2717 ";
    return "";
}

static void cell(mg_rp_out *o, const json_t *c) {
    const char *tone = json_is_object(c) ? mg_json_str(c, "tone", NULL) : NULL;
    mg_rp_put(o, tone_mark(tone));
    md_text(o, json_is_object(c) ? mg_json_str(c, "text", NULL) : json_string_value(c));
}

static void row(mg_rp_out *o, const json_t *cells) {
    size_t i;
    json_t *c;
    mg_rp_put(o, "|");
    json_array_foreach(cells, i, c) {
        mg_rp_put(o, " ");
        cell(o, c);
        mg_rp_put(o, " |");
    }
    mg_rp_put(o, "\n");
}

static void rule(mg_rp_out *o, size_t n) {
    mg_rp_put(o, "|");
    for (size_t i = 0; i < n; i++)
        mg_rp_put(o, " --- |");
    mg_rp_put(o, "\n");
}

static void table(mg_rp_out *o, const json_t *blk) {
    if (mg_json_str(blk, "caption", NULL)) {
        mg_rp_put(o, "*");
        md_text(o, mg_json_str(blk, "caption", NULL));
        mg_rp_put(o, "*\n\n");
    }
    json_t *cols = json_object_get(blk, "columns");
    row(o, cols);
    rule(o, json_array_size(cols));
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(blk, "rows"), i, r) row(o, r);
    mg_rp_put(o, "\n");
}

static void kv(mg_rp_out *o, const json_t *blk) {
    mg_rp_put(o, "| | |\n| --- | --- |\n");
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(blk, "rows"), i, r) {
        mg_rp_put(o, "| **");
        cell(o, json_array_get(r, 0));
        mg_rp_put(o, "** | ");
        cell(o, json_array_get(r, 1));
        mg_rp_put(o, " |\n");
    }
    mg_rp_put(o, "\n");
}

static void num(mg_rp_out *o, const json_t *v) {
    char buf[NUM_BUF];
    mg_rp_put(o, json_is_number(v) ? mg_rp_num(json_number_value(v), buf, sizeof buf) : "\u2014");
}

static void plot(mg_rp_out *o, const json_t *p) {
    mg_rp_put(o, "**");
    md_text(o, mg_json_str(p, "title", NULL));
    mg_rp_put(o, " \u2014 ");
    md_text(o, mg_json_str(p, "deployment", NULL));
    mg_rp_put(o, "** (thresholds: warn ");
    num(o, mg_json_get(p, "thresholds", "warn", NULL));
    mg_rp_put(o, ", quarantine ");
    num(o, mg_json_get(p, "thresholds", "quarantine", NULL));
    mg_rp_put(o, ")\n\n| series | points | min | max | last | beyond warn | beyond quarantine |\n");
    rule(o, 7);
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(p, "series"), i, s) {
        json_t *sum = json_object_get(s, "summary");
        mg_rp_put(o, "| ");
        md_text(o, mg_json_str(s, "name", NULL));
        static const char *const keys[] = {"points", "min", "max", "last", "beyondWarn", "beyondQuarantine"};
        for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
            mg_rp_put(o, " | ");
            num(o, json_object_get(sum, keys[k]));
        }
        mg_rp_put(o, " |\n");
    }
    if (!json_array_size(json_object_get(p, "series")))
        mg_rp_put(o, "| (no data in the range) | | | | | | |\n");
    mg_rp_put(o, "\n");
}

static void block(mg_rp_out *o, const json_t *blk, const json_t *doc) {
    const char *type = mg_json_str(blk, "type", NULL);
    if (!strcmp(type, "p")) {
        mg_rp_put(o, tone_mark(mg_json_str(blk, "tone", NULL)));
        md_text(o, mg_json_str(blk, "text", NULL));
        mg_rp_put(o, "\n\n");
    } else if (!strcmp(type, "h3")) {
        mg_rp_put(o, "### ");
        md_text(o, mg_json_str(blk, "text", NULL));
        mg_rp_put(o, "\n\n");
    } else if (!strcmp(type, "kv")) {
        kv(o, blk);
    } else if (!strcmp(type, "table")) {
        table(o, blk);
    } else if (!strcmp(type, "plot")) {
        plot(o, json_array_get(json_object_get(doc, "plots"),
                               (size_t)json_integer_value(json_object_get(blk, "index"))));
    }
}

char *mg_report_markdown(const json_t *doc) {
    json_t *view = mg_rp_view(doc);
    mg_rp_out o;
    mg_rp_out_init(&o);
    mg_rp_put(&o, "# ");
    md_text(&o, mg_json_str(view, "title", NULL));
    mg_rp_put(&o, "\n\n");
    md_text(&o, mg_json_str(view, "subtitle", NULL));
    mg_rp_put(&o, "\n\n");
    size_t i, k;
    json_t *x, *blk;
    json_array_foreach(json_object_get(view, "badges"), i, x) {
        mg_rp_put(&o, i ? " \u00b7 **" : "**");
        cell(&o, x);
        mg_rp_put(&o, "**");
    }
    mg_rp_put(&o, "\n\n");
    json_array_foreach(json_object_get(view, "sections"), i, x) {
        mg_rp_put(&o, "## ");
        md_text(&o, mg_json_str(x, "title", NULL));
        mg_rp_put(&o, "\n\n");
        json_array_foreach(json_object_get(x, "blocks"), k, blk) block(&o, blk, doc);
    }
    mg_rp_put(&o, "---\nSchema ");
    md_text(&o, mg_json_str(doc, "schema", NULL));
    mg_rp_put(&o, "; the same content as HTML or JSON: `kubectl modelgov report -o html|json`.\n");
    json_decref(view);
    return mg_rp_out_steal(&o);
}
