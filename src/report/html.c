/* report/html — the view as one self-contained HTML page: inline CSS (screen and print), inline
 * SVG plots, no script, no external asset, so it reads offline and prints as it shows. */
#include <string.h>

#include "core/json.h"
#include "report/internal.h"
#include "report/report.h"

static const char css[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;color:#1d2330;"
    "margin:0 auto;max-width:1060px;padding:24px 28px;background:#fff}\n"
    "header{border-bottom:3px solid #1d2330;padding-bottom:10px;margin-bottom:8px}\n"
    "h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 8px;border-bottom:1px solid #ccd;"
    "padding-bottom:3px}h3{font-size:15px;margin:18px 0 6px}\n"
    ".subtitle{color:#556;margin:0 0 8px}.badge{display:inline-block;border-radius:10px;padding:1px 10px;"
    "margin-right:6px;font-size:12px;font-weight:600;border:1px solid}\n"
    ".ok{color:#11602f}.warn{color:#8a5300}.bad{color:#a31515}.muted{color:#6b7280}\n"
    ".badge.ok{background:#e6f4ea}.badge.warn{background:#fff4e0}.badge.bad{background:#fde8e8}\n"
    "nav{font-size:13px;margin:6px 0 0}nav a{margin-right:12px;color:#1d4ed8;text-decoration:none}\n"
    "table{border-collapse:collapse;margin:6px 0 12px;width:100%;font-size:13px}caption{text-align:left;"
    "font-weight:600;padding:4px 0}th,td{border:1px solid #d5d9e0;padding:3px 7px;text-align:left;"
    "vertical-align:top;overflow-wrap:break-word}th{background:#f1f3f7}\n"
    "table.kv th{width:170px;background:#f7f8fa;font-weight:600}\n"
    "td.ok,td.warn,td.bad{font-weight:600}td.ok{background:#f0f9f2}td.warn{background:#fff7e8}"
    "td.bad{background:#fdeeee}\n"
    ".plots{display:grid;grid-template-columns:repeat(auto-fill,minmax(470px,1fr));gap:4px 18px}\n"
    "figure{margin:6px 0 12px;page-break-inside:avoid;break-inside:avoid}figcaption{font-weight:600;"
    "margin-bottom:2px}figcaption small{font-weight:400;color:#6b7280}\n"
    "svg.plot{width:100%;height:auto;font:13px 'DejaVu Sans',sans-serif}svg .frame{fill:none;stroke:#9aa3b2}"
    "svg .grid{stroke:#e3e6eb;stroke-width:1}svg .tick,svg .axis{fill:#4b5563}svg .legend{fill:#1d2330}"
    "svg .threshold-label{font-weight:600}svg .nodata{fill:#6b7280;font-size:14px}\n"
    "footer{margin-top:30px;color:#6b7280;font-size:12px;border-top:1px solid #ccd;padding-top:6px}\n"
    "@page{size:A4;margin:14mm}@media print{body{padding:0;max-width:none;font-size:11px}nav{display:none}"
    "h2{page-break-after:avoid;break-after:avoid}table,tr{page-break-inside:avoid;break-inside:avoid}"
    "a{color:inherit}}\n";

/* A cell: a string, or {text, tone} drawn with the tone's class. */
static void cell(mg_rp_out *b, const char *tag, const json_t *c) {
    const char *tone = json_is_object(c) ? mg_json_str(c, "tone", NULL) : NULL;
    const char *text = json_is_object(c) ? mg_json_str(c, "text", NULL) : json_string_value(c);
    mg_rp_putf(b, "<%s%s%s%s>", tag, tone ? " class=\"" : "", tone ? tone : "", tone ? "\"" : "");
    mg_rp_put_html(b, text);
    mg_rp_putf(b, "</%s>", tag);
}

static void table(mg_rp_out *b, const json_t *blk) {
    mg_rp_put(b, "<table>");
    if (mg_json_str(blk, "caption", NULL)) {
        mg_rp_put(b, "<caption>");
        mg_rp_put_html(b, mg_json_str(blk, "caption", NULL));
        mg_rp_put(b, "</caption>");
    }
    mg_rp_put(b, "<thead><tr>");
    size_t i, k;
    json_t *c, *row;
    json_array_foreach(json_object_get(blk, "columns"), i, c) cell(b, "th", c);
    mg_rp_put(b, "</tr></thead>\n<tbody>\n");
    json_array_foreach(json_object_get(blk, "rows"), i, row) {
        mg_rp_put(b, "<tr>");
        json_array_foreach(row, k, c) cell(b, "td", c);
        mg_rp_put(b, "</tr>\n");
    }
    mg_rp_put(b, "</tbody></table>\n");
}

static void kv(mg_rp_out *b, const json_t *blk) {
    mg_rp_put(b, "<table class=\"kv\"><tbody>\n");
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(blk, "rows"), i, row) {
        mg_rp_put(b, "<tr>");
        cell(b, "th", json_array_get(row, 0));
        cell(b, "td", json_array_get(row, 1));
        mg_rp_put(b, "</tr>\n");
    }
    mg_rp_put(b, "</tbody></table>\n");
}

static void plot(mg_rp_out *b, const json_t *p) {
    mg_rp_put(b, "<figure class=\"plot\" id=\"plot-");
    mg_rp_put_html(b, mg_json_str(p, "id", NULL));
    mg_rp_put(b, "\"><figcaption>");
    mg_rp_put_html(b, mg_json_str(p, "title", NULL));
    mg_rp_put(b, " — ");
    mg_rp_put_html(b, mg_json_str(p, "deployment", NULL));
    if (mg_json_str(p, "note", NULL)) {
        mg_rp_put(b, " <small>(");
        mg_rp_put_html(b, mg_json_str(p, "note", NULL));
        mg_rp_put(b, ")</small>");
    }
    mg_rp_put(b, "</figcaption>\n");
    mg_rp_svg(b, p);
    mg_rp_put(b, "</figure>\n");
}

static void block(mg_rp_out *b, const json_t *blk, const json_t *doc) {
    const char *type = mg_json_str(blk, "type", NULL);
    if (!strcmp(type, "p")) {
        const char *tone = mg_json_str(blk, "tone", NULL);
        mg_rp_putf(b, "<p%s%s%s>", tone ? " class=\"" : "", tone ? tone : "", tone ? "\"" : "");
        mg_rp_put_html(b, mg_json_str(blk, "text", NULL));
        mg_rp_put(b, "</p>\n");
    } else if (!strcmp(type, "h3")) {
        mg_rp_put(b, "<h3>");
        mg_rp_put_html(b, mg_json_str(blk, "text", NULL));
        mg_rp_put(b, "</h3>\n");
    } else if (!strcmp(type, "kv")) {
        kv(b, blk);
    } else if (!strcmp(type, "table")) {
        table(b, blk);
    } else if (!strcmp(type, "plot")) {
        plot(b, json_array_get(json_object_get(doc, "plots"),
                               (size_t)json_integer_value(json_object_get(blk, "index"))));
    }
}

static void head(mg_rp_out *b, const json_t *view) {
    mg_rp_put(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                 "<meta name=\"generator\" content=\"kubectl-modelgov report\">\n<title>");
    mg_rp_put_html(b, mg_json_str(view, "title", NULL));
    mg_rp_put(b, " — modelgov governance report</title>\n<style>\n");
    mg_rp_put(b, css);
    mg_rp_put(b, "</style>\n</head>\n<body>\n<header>\n<h1>");
    mg_rp_put_html(b, mg_json_str(view, "title", NULL));
    mg_rp_put(b, "</h1>\n<p class=\"subtitle\">");
    mg_rp_put_html(b, mg_json_str(view, "subtitle", NULL));
    mg_rp_put(b, "</p>\n<div class=\"badges\">");
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(view, "badges"), i, x) {
        mg_rp_putf(b, "<span class=\"badge %s\">", mg_json_str(x, "tone", NULL) ?: "muted");
        mg_rp_put_html(b, mg_json_str(x, "text", NULL));
        mg_rp_put(b, "</span>");
    }
    mg_rp_put(b, "</div>\n<nav>");
    json_array_foreach(json_object_get(view, "sections"), i, x) {
        mg_rp_putf(b, "<a href=\"#%s\">", mg_json_str(x, "id", NULL));
        mg_rp_put_html(b, mg_json_str(x, "title", NULL));
        mg_rp_put(b, "</a>");
    }
    mg_rp_put(b, "</nav>\n</header>\n");
}

char *mg_report_html(const json_t *doc) {
    json_t *view = mg_rp_view(doc);
    mg_rp_out b;
    mg_rp_out_init(&b);
    head(&b, view);
    size_t i, k;
    json_t *sec, *blk;
    json_array_foreach(json_object_get(view, "sections"), i, sec) {
        mg_rp_putf(&b, "<section id=\"%s\">\n<h2>", mg_json_str(sec, "id", NULL));
        mg_rp_put_html(&b, mg_json_str(sec, "title", NULL));
        mg_rp_put(&b, "</h2>\n");
        bool in_plots = false; /* consecutive plots share a grid */
        json_array_foreach(json_object_get(sec, "blocks"), k, blk) {
            bool plot = !strcmp(mg_json_str(blk, "type", NULL), "plot");
            if (plot != in_plots) mg_rp_put(&b, plot ? "<div class=\"plots\">\n" : "</div>\n");
            in_plots = plot;
            block(&b, blk, doc);
        }
        mg_rp_put(&b, in_plots ? "</div>\n</section>\n" : "</section>\n");
    }
    mg_rp_put(&b, "<footer>Schema ");
    mg_rp_put_html(&b, mg_json_str(doc, "schema", NULL));
    mg_rp_put(&b, ". The same content: <code>kubectl modelgov report -o json</code> or <code>-o md</code>."
                  "</footer>\n</body>\n</html>\n");
    json_decref(view);
    return mg_rp_out_steal(&b);
}
