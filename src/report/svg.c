/* report/svg — one plot of the report as an inline SVG element: time on x (UTC), the figure on
 * y, one line per series (broken where the data has a gap), the warn and quarantine thresholds
 * as dashed lines over a tinted breach zone, a legend. No script, no external reference. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/json.h"
#include "report/internal.h"

/* Geometry in SVG user units (the viewBox; the page scales it). */
#define W 640.0
#define H 270.0
#define ML 56.0  /* left margin: y tick labels */
#define MR 130.0 /* right margin: legend and threshold labels */
#define MT 14.0
#define MB 42.0
#define Y_TICKS 5
#define X_TICKS_MAX 5
/* no axis draws more ticks than this, whatever the document's numbers */
#define AXIS_TICKS_CAP 64
#define Y_PAD 0.08     /* share of the y span added above and below */
#define FLAT_PAD 0.05  /* y half-span around a flat series */
#define GAP_FACTOR 3.0 /* a step this many times the typical one breaks the line */
#define LEGEND_ROW 18.0
#define NUM_BUF 32
#define TIME_LABEL 32
#define CALENDAR_FIRST (-62167219200.0) /* 0000-01-01T00:00:00Z */
#define CALENDAR_LAST 253402300799.0    /* 9999-12-31T23:59:59Z */

static const char *const palette[] = {"#0072b2", "#009e73", "#cc79a7", "#56b4e9", "#8c564b", "#332288"};
#define WARN_COLOR "#e69f00"
#define QUAR_COLOR "#d55e00"

typedef struct frame {
    double t0, t1; /* seconds */
    double y0, y1;
} frame;

static double px(const frame *f, double t) { return ML + (t - f->t0) / (f->t1 - f->t0) * (W - ML - MR); }
static double py(const frame *f, double v) { return H - MB - (v - f->y0) / (f->y1 - f->y0) * (H - MT - MB); }

/* Extent of every point and set threshold. Returns the number of points. */
static size_t extent(const json_t *plot, frame *f) {
    size_t n = 0, i, k;
    json_t *s, *p;
    f->t0 = f->y0 = INFINITY;
    f->t1 = f->y1 = -INFINITY;
    json_array_foreach(json_object_get(plot, "series"), i, s) {
        json_array_foreach(json_object_get(s, "points"), k, p) {
            double t = json_number_value(json_array_get(p, 0)), v = json_number_value(json_array_get(p, 1));
            f->t0 = fmin(f->t0, t), f->t1 = fmax(f->t1, t);
            f->y0 = fmin(f->y0, v), f->y1 = fmax(f->y1, v);
            n++;
        }
    }
    const char *lv;
    json_t *th;
    json_object_foreach(json_object_get(plot, "thresholds"), lv, th) {
        f->y0 = fmin(f->y0, json_number_value(th));
        f->y1 = fmax(f->y1, json_number_value(th));
    }
    if (!isfinite(f->y0)) f->y0 = 0, f->y1 = 1;
    double span = f->y1 - f->y0;
    double pad = span > 0 ? span * Y_PAD : fmax(FLAT_PAD, fabs(f->y0) * FLAT_PAD);
    f->y0 -= pad, f->y1 += pad;
    if (!n) f->t0 = 0, f->t1 = 1;
    if (f->t1 <= f->t0) f->t0 -= 1, f->t1 += 1;
    return n;
}

static double nice_step(double raw) {
    double p = pow(10, floor(log10(raw))), m = raw / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

static void y_axis(mg_rp_out *b, const frame *f) {
    double step = nice_step((f->y1 - f->y0) / Y_TICKS), start = ceil(f->y0 / step) * step;
    char num[NUM_BUF];
    /* counted, not v += step: where step is below the values' precision the sum stands still */
    for (int i = 0; i <= AXIS_TICKS_CAP; i++) {
        double v = start + i * step;
        if (v > f->y1) break;
        double y = py(f, v);
        mg_rp_putf(b,
                   "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                   "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                   ML, y, W - MR, y, ML - 6, y + 4, mg_rp_num(fabs(v) < step / 1e6 ? 0 : v, num, sizeof num));
    }
}

/* The tick label of t (unix seconds) in the style x_axis chose. A time the calendar cannot name
 * (outside years 0000..9999: only a damaged or hand-made document has one) is labelled with its
 * number of seconds: converting it to time_t could overflow. */
static void time_label(double t, int style, char label[TIME_LABEL]) {
    if (!(t >= CALENDAR_FIRST && t <= CALENDAR_LAST)) {
        snprintf(label, TIME_LABEL, "%.6g s", t);
        return;
    }
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    if (style == 0)
        strftime(label, TIME_LABEL, "%H:%M:%S", &tm);
    else if (style == 1)
        strftime(label, TIME_LABEL, "%H:%M", &tm);
    else
        strftime(label, TIME_LABEL, "%Y-%m-%d", &tm);
}

static void x_axis(mg_rp_out *b, const frame *f) {
    static const double steps[] = {1,    2,    5,    10,    15,    30,    60,    120,    300,    600,    900,
                                   1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 2592000};
    double span = f->t1 - f->t0, longest = steps[sizeof steps / sizeof *steps - 1];
    /* beyond the longest step (a document spanning centuries): a multiple of it */
    double step = ceil(span / X_TICKS_MAX / longest) * longest;
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++)
        if (span / steps[i] <= X_TICKS_MAX) {
            step = steps[i];
            break;
        }
    /* seconds only when ticks are under a minute apart, the date only when days apart */
    int style = step < 60 ? 0 : step < 86400 ? 1 : 2;
    double start = ceil(f->t0 / step) * step;
    for (int i = 0; i <= AXIS_TICKS_CAP; i++) {
        double t = start + i * step;
        if (t > f->t1) break;
        char label[TIME_LABEL];
        time_label(t, style, label);
        double x = px(f, t);
        mg_rp_putf(b,
                   "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                   "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                   x, MT, x, H - MB, x, H - MB + 16, label);
    }
    mg_rp_putf(b, "<text class=\"axis\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">time (UTC)</text>\n",
               (ML + W - MR) / 2, H - 6);
}

/* The dashed threshold line, its label, and the tinted zone beyond it. */
static void threshold(mg_rp_out *b, const frame *f, const char *level, double v, bool is_min, int slot) {
    const char *color = !strcmp(level, "warn") ? WARN_COLOR : QUAR_COLOR;
    double y = py(f, v), top = is_min ? y : MT, h = is_min ? H - MB - y : y - MT;
    char num[NUM_BUF];
    mg_rp_putf(b,
               "<rect class=\"zone %s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
               "fill-opacity=\"0.10\"/>\n"
               "<line class=\"threshold %s\" data-value=\"%.6g\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
               "y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>\n"
               "<text class=\"threshold-label\" x=\"%.1f\" y=\"%.1f\" fill=\"%s\">%s %s %s</text>\n",
               level, ML, top, W - MR - ML, h > 0 ? h : 0, color, level, v, ML, y, W - MR, y, color,
               W - MR + 6, slot ? y + 12 : y - 4, color, level, is_min ? "&lt;" : "&gt;",
               mg_rp_num(v, num, sizeof num));
}

/* The smallest positive time step in the series: the scrape/query resolution. */
static double typical_step(const json_t *pts) {
    double best = INFINITY;
    for (size_t i = 1; i < json_array_size(pts); i++) {
        double dt = json_number_value(json_array_get(json_array_get(pts, i), 0)) -
                    json_number_value(json_array_get(json_array_get(pts, i - 1), 0));
        if (dt > 0) best = fmin(best, dt);
    }
    return best;
}

static void series(mg_rp_out *b, const frame *f, const json_t *s, const char *color) {
    json_t *pts = json_object_get(s, "points");
    double gap = typical_step(pts) * GAP_FACTOR;
    mg_rp_putf(b, "<g class=\"series\" data-series=\"");
    mg_rp_put_html(b, mg_json_str(s, "name", NULL) ?: "");
    mg_rp_putf(b, "\" data-points=\"%zu\" stroke=\"%s\" fill=\"%s\">", json_array_size(pts), color, color);
    size_t start = 0, n = json_array_size(pts);
    for (size_t i = 1; i <= n; i++) {
        double t = i < n ? json_number_value(json_array_get(json_array_get(pts, i), 0)) : 0;
        double prev = json_number_value(json_array_get(json_array_get(pts, i - 1), 0));
        if (i < n && !(t - prev > gap)) continue;
        if (i - start == 1) {
            json_t *p = json_array_get(pts, start);
            mg_rp_putf(b, "<circle r=\"2.5\" cx=\"%.1f\" cy=\"%.1f\"/>",
                       px(f, json_number_value(json_array_get(p, 0))),
                       py(f, json_number_value(json_array_get(p, 1))));
        } else {
            mg_rp_put(b, "<polyline fill=\"none\" stroke-width=\"1.8\" points=\"");
            for (size_t k = start; k < i; k++) {
                json_t *p = json_array_get(pts, k);
                mg_rp_putf(b, "%s%.1f,%.1f", k > start ? " " : "",
                           px(f, json_number_value(json_array_get(p, 0))),
                           py(f, json_number_value(json_array_get(p, 1))));
            }
            mg_rp_put(b, "\"/>");
        }
        start = i;
    }
    mg_rp_put(b, "</g>\n");
}

static void legend(mg_rp_out *b, const json_t *plot) {
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(plot, "series"), i, s) {
        double y = MT + 40 + LEGEND_ROW * (double)i;
        const char *color = palette[i % (sizeof palette / sizeof *palette)];
        mg_rp_putf(b,
                   "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"3\"/>"
                   "<text class=\"legend\" x=\"%.1f\" y=\"%.1f\">",
                   W - MR + 8, y, W - MR + 26, y, color, W - MR + 30, y + 4);
        mg_rp_put_html(b, mg_json_str(s, "name", NULL) ?: "");
        mg_rp_put(b, "</text>\n");
    }
}

void mg_rp_svg(mg_rp_out *b, const json_t *plot) {
    frame f;
    size_t npts = extent(plot, &f);
    bool is_min = !strcmp(mg_json_str(plot, "direction", NULL) ?: "max", "min");
    mg_rp_putf(b,
               "<svg class=\"plot\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" "
               "role=\"img\" data-plot=\"",
               W, H);
    mg_rp_put_html(b, mg_json_str(plot, "id", NULL) ?: "");
    mg_rp_put(b, "\"><title>");
    mg_rp_put_html(b, mg_json_str(plot, "title", NULL) ?: "");
    mg_rp_putf(b, "</title>\n<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n",
               ML, MT, W - ML - MR, H - MT - MB);
    y_axis(b, &f);
    if (npts) x_axis(b, &f);
    static const char *const levels[] = {"warn", "quarantine"};
    for (int l = 0; l < 2; l++) {
        json_t *th = json_object_get(json_object_get(plot, "thresholds"), levels[l]);
        if (json_is_number(th)) threshold(b, &f, levels[l], json_number_value(th), is_min, l);
    }
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(plot, "series"), i, s) {
        series(b, &f, s, palette[i % (sizeof palette / sizeof *palette)]);
    }
    legend(b, plot);
    if (!npts)
        mg_rp_putf(b,
                   "<text class=\"nodata\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">no data in the "
                   "range</text>\n",
                   (ML + W - MR) / 2, (MT + H - MB) / 2);
    mg_rp_put(b, "</svg>\n");
}
