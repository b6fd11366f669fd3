/* SPDX-License-Identifier: Apache-2.0
 *
 * review_html.c - the review as one self-contained HTML page
 * (review_render.h): inline CSS, inline SVG charts, no script, nothing
 * fetched, reads well on screen and printed. Risks by status at the end
 * of each of the last months or periods (stacked bars), the load per
 * person against the mean and the skew threshold (horizontal bars), every
 * section of the report with each record's id linked to its Notion page
 * (when the Notion sink made one) or to its detail further down the page,
 * its Datadog link, and its value over its last windows as a small line
 * chart (store/values.c's windows, drawn, not recomputed); then the
 * detail of every record named: its status and next step, its links, a
 * larger chart and the windows as a table.
 *
 * Everything from the store is outside text (alert titles, names, notes,
 * URLs): it is HTML-escaped, in text and in attributes, and an href is
 * written only for http(s) URLs and the page's own anchors.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "review_render.h"
#include "textsafe.h"

static const char *const CHART_STATUSES[] = {"draft",    "open",     "mitigating",
                                             "accepted", "resolved", NULL};
static const char *const CHART_COLORS[] = {"#9aa5b1", "#d64545", "#f0b429",
                                           "#7e57c2", "#3ebd93", NULL};

#define TREND_COLOR "#0f766e"  /* the value line */
#define FIRING_COLOR "#d64545" /* a window where it fired */
#define CLEAR_COLOR "#3ebd93"  /* a window observed clear */
#define TREND_W 160            /* the small chart in a table */
#define TREND_H 36
#define DETAIL_W 480 /* the chart in a record's detail */
#define DETAIL_H 120

static long long jint(const json_t *o, const char *k)
{
    return (long long)json_integer_value(json_object_get(o, k));
}

/* HTML text: control characters shown as escapes first (textsafe.h; the
 * page may be printed to a terminal), then & < > " ' as entities, so it is
 * safe in text and in attribute values alike. */
static void html_esc(FILE *out, const char *text)
{
    char *safe = srr_text_safe(text, SRR_TEXT_MULTILINE);
    for (const char *s = safe; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fputc(*s, out);
        }
    }
    free(safe);
}

/* Whether url may be an href: an http(s) URL, or an anchor in this page. */
static int linkable(const char *url)
{
    return url && (strncasecmp(url, "https://", 8) == 0 || strncasecmp(url, "http://", 7) == 0 ||
                   (url[0] == '#' && url[1]));
}

/* <a href="url">text</a>, or the text alone when url may not be followed. */
static void html_link(FILE *out, const char *url, const char *text, const char *cls)
{
    if (!linkable(url)) {
        html_esc(out, text);
        return;
    }
    fputs("<a href=\"", out);
    html_esc(out, url);
    if (cls)
        fprintf(out, "\" class=\"%s", cls);
    fputs("\">", out);
    html_esc(out, text);
    fputs("</a>", out);
}

static const char *hlabel(const json_t *h)
{
    const char *l = srr_cli_text(h, "label");
    return *l ? l : srr_cli_text(h, "month");
}

static const json_t *record_of(const json_t *rep, const char *id)
{
    return id ? json_object_get(json_object_get(rep, "records"), id) : NULL;
}

/* The x of window i of n in a plot from x0, pw wide. */
static double trend_x(int x0, double pw, size_t i, size_t n)
{
    return x0 + (n > 1 ? pw * (double)i / (double)(n - 1) : pw / 2);
}

/* The line of a chart: the windows' values, in segments between windows
 * with no value. */
static void trend_line(FILE *out, const json_t *wins, int x0, double pw, double y0, double ph,
                       double lo, double hi)
{
    size_t n = json_array_size(wins), i;
    int open = 0;
    for (i = 0; i <= n; i++) {
        const json_t *v = i < n ? json_object_get(json_array_get(wins, i), "value") : NULL;
        if (v && json_is_number(v)) {
            if (!open)
                fputs("<polyline class=\"value\" fill=\"none\" stroke=\"" TREND_COLOR
                      "\" stroke-width=\"2\" points=\"",
                      out);
            fprintf(out, "%s%.1f,%.1f", open ? " " : "", trend_x(x0, pw, i, n),
                    y0 + ph - ph * (json_number_value(v) - lo) / (hi - lo));
            open = 1;
        } else if (open) {
            fputs("\"/>", out);
            open = 0;
        }
    }
}

/* A record's value over its windows as a line chart of w x h: the line
 * (windows with no value break it), a dot per window - red fired, green
 * clear; on the baseline when it had no value (a monitor's alerts), so
 * flapping shows too - and with `axes` the highest value shown and the
 * first and last dates. The windows are the report's (store/values.c),
 * oldest first; the scale runs from 0 (or a lower negative value). */
static void svg_trend(FILE *out, const char *id, const json_t *thing, int w, int h, int axes)
{
    const json_t *wins = json_object_get(thing, "windows"), *top = NULL;
    size_t n = json_array_size(wins), i;
    double lo = 0, hi = -INFINITY;
    int pad_l = axes ? 96 : 4, pad_r = 4, pad_t = 4, pad_b = axes ? 18 : 4;
    double pw = w - pad_l - pad_r, ph = h - pad_t - pad_b;
    fprintf(out,
            "<svg class=\"trend\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\""
            " width=\"%d\" height=\"%d\" data-windows=\"%zu\" role=\"img\" aria-label=\"",
            w, h, w, h, n);
    html_esc(out, id);
    fputs(": value over its last windows\">", out);
    if (n == 0) {
        fprintf(out,
                "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#616e7c\">not observed</text>"
                "</svg>",
                pad_l, h / 2 + 4);
        return;
    }
    for (i = 0; i < n; i++) {
        const json_t *v = json_object_get(json_array_get(wins, i), "value");
        if (json_is_number(v)) {
            double x = json_number_value(v);
            lo = x < lo ? x : lo;
            if (x > hi) {
                hi = x;
                top = json_array_get(wins, i);
            }
        }
    }
    if (!isfinite(hi) || hi <= lo)
        hi = lo + 1;
    fprintf(out, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#cbd2d9\"/>", pad_l,
            pad_t + ph, w - pad_r, pad_t + ph);
    trend_line(out, wins, pad_l, pw, pad_t, ph, lo, hi);
    for (i = 0; i < n; i++) {
        const json_t *win = json_array_get(wins, i), *v = json_object_get(win, "value");
        int fired = strcmp(srr_cli_text(win, "status"), "firing") == 0;
        double y = json_is_number(v) ? pad_t + ph - ph * (json_number_value(v) - lo) / (hi - lo)
                                     : pad_t + ph;
        fprintf(out, "<circle class=\"w %s\" cx=\"%.1f\" cy=\"%.1f\" r=\"%s\" fill=\"%s\"><title>",
                fired ? "firing" : "clear", trend_x(pad_l, pw, i, n), y, axes ? "3.5" : "2.5",
                fired ? FIRING_COLOR : CLEAR_COLOR);
        html_esc(out, srr_cli_text(win, "at"));
        fputs(": ", out);
        html_esc(out, json_is_number(v) ? srr_cli_text(win, "value_text") : "no value");
        fprintf(out, " (%s)</title></circle>", fired ? "firing" : "clear");
    }
    if (axes) {
        char day[16];
        if (top) {
            fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">", pad_l - 6,
                    pad_t + 10);
            html_esc(out, srr_cli_text(top, "value_text"));
            fputs("</text>", out);
        }
        snprintf(day, sizeof day, "%.10s", srr_cli_text(json_array_get(wins, 0), "at"));
        fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"11\">", pad_l, h - 4);
        html_esc(out, day);
        snprintf(day, sizeof day, "%.10s", srr_cli_text(json_array_get(wins, n - 1), "at"));
        fprintf(out, "</text><text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">",
                w - pad_r, h - 4);
        html_esc(out, day);
        fputs("</text>", out);
    }
    fputs("</svg>", out);
}

/* One cell of a section's table: an id linked to the record's page or
 * detail, a chart drawn, anything else escaped. */
static void html_cell(FILE *out, const json_t *rep, const json_t *row, const srr_column *col)
{
    const char *v = srr_cli_text(row, col->key);
    if (strcmp(col->key, "id") == 0 || strcmp(col->key, "risk") == 0) {
        const json_t *rec = record_of(rep, v);
        html_link(out, rec ? srr_cli_text(rec, "link") : NULL, v, "rec");
    } else if (strcmp(col->key, "chart") == 0) {
        const json_t *rec = record_of(rep, srr_cli_text(row, "id"));
        if (json_object_get(rec, "thing"))
            svg_trend(out, srr_cli_text(rec, "id"), json_object_get(rec, "thing"), TREND_W, TREND_H,
                      0);
    } else {
        html_esc(out, v);
    }
}

/* A section's rows as a table; rows naming records get a Datadog column. */
static void html_table(FILE *out, const json_t *rep, const json_t *arr, const srr_column *cols)
{
    size_t i, j;
    int links = 0;
    if (json_array_size(arr) == 0) {
        fputs("<p class=\"none\">None.</p>\n", out);
        return;
    }
    for (i = 0; i < json_array_size(arr) && !links; i++)
        links = record_of(rep, srr_cli_text(json_array_get(arr, i), "id")) != NULL;
    fputs("<table><thead><tr>", out);
    for (j = 0; cols[j].header; j++) {
        fputs("<th>", out);
        html_esc(out, cols[j].header);
        fputs("</th>", out);
    }
    fputs(links ? "<th>DATADOG</th></tr></thead><tbody>\n" : "</tr></thead><tbody>\n", out);
    for (i = 0; i < json_array_size(arr); i++) {
        const json_t *row = json_array_get(arr, i);
        fputs("<tr>", out);
        for (j = 0; cols[j].header; j++) {
            fputs(strcmp(cols[j].key, "chart") == 0 ? "<td class=\"chart\">" : "<td>", out);
            html_cell(out, rep, row, &cols[j]);
            fputs("</td>", out);
        }
        if (links) {
            const char *dd = srr_cli_text(record_of(rep, srr_cli_text(row, "id")), "datadog_url");
            fputs("<td>", out);
            if (*dd)
                html_link(out, dd, "Datadog", "dd");
            fputs("</td>", out);
        }
        fputs("</tr>\n", out);
    }
    fputs("</tbody></table>\n", out);
}

/* Stacked bars: risks by status at the end of each month (or period). */
static void svg_history(FILE *out, const json_t *hist)
{
    const int W = 760, H = 300, L = 50, B = 40, T = 20, R = 150;
    size_t n = json_array_size(hist), i;
    long long max = 1;
    double bw, plot_h = H - B - T;
    int s, tick;
    for (i = 0; i < n; i++) {
        long long tot = 0;
        for (s = 0; CHART_STATUSES[s]; s++)
            tot += jint(json_array_get(hist, i), CHART_STATUSES[s]);
        if (tot > max)
            max = tot;
    }
    bw = n ? (double)(W - L - R) / (double)n : 0;
    fprintf(out,
            "<svg id=\"chart-status\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\""
            " viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\""
            " aria-label=\"Risks by status at the end of each period\">\n",
            W, H, W, H);
    fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n", L, H - B,
            W - R, H - B);
    max = (max + 3) / 4 * 4; /* four whole steps */
    for (tick = 0; tick <= 4; tick++) {
        long long v = max / 4 * tick;
        double y = H - B - plot_h * (double)v / (double)max;
        fprintf(out,
                "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%lld</text>\n",
                L, y, W - R, y, L - 6, y + 4, v);
    }
    for (i = 0; i < n; i++) {
        const json_t *h = json_array_get(hist, i);
        double x = L + bw * (double)i + bw * 0.15, y = H - B;
        for (s = 0; CHART_STATUSES[s]; s++) {
            long long v = jint(h, CHART_STATUSES[s]);
            double bh = plot_h * (double)v / (double)max;
            if (v <= 0)
                continue;
            y -= bh;
            fprintf(out,
                    "<rect class=\"bar\" data-status=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\""
                    " height=\"%.1f\" fill=\"%s\"><title>%s %s: %lld</title></rect>\n",
                    CHART_STATUSES[s], x, y, bw * 0.7, bh, CHART_COLORS[s], hlabel(h),
                    CHART_STATUSES[s], v);
        }
        fprintf(out, "<text x=\"%.1f\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">",
                x + bw * 0.35, H - B + 18);
        html_esc(out, hlabel(h));
        fputs("</text>\n", out);
    }
    for (s = 0; CHART_STATUSES[s]; s++)
        fprintf(out,
                "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"14\" fill=\"%s\"/>"
                "<text x=\"%d\" y=\"%d\" font-size=\"12\">%s</text>\n",
                W - R + 20, T + s * 22, CHART_COLORS[s], W - R + 40, T + s * 22 + 12,
                CHART_STATUSES[s]);
    fputs("</svg>\n", out);
}

/* Horizontal bars: weighted load per person, the mean and the threshold. */
static void svg_load(FILE *out, const json_t *load)
{
    const json_t *people = json_object_get(load, "people");
    size_t n = json_array_size(people), i;
    const int W = 760, L = 140, R = 60, T = 10, ROW = 28;
    int H = T + (int)(n ? n : 1) * ROW + 40;
    double mean = json_real_value(json_object_get(load, "mean"));
    double limit = mean * (double)jint(load, "skew_percent") / 100.0;
    double max = 1, x;
    for (i = 0; i < n; i++)
        if ((double)jint(json_array_get(people, i), "load") > max)
            max = (double)jint(json_array_get(people, i), "load");
    if (limit > max)
        max = limit;
    fprintf(out,
            "<svg id=\"chart-load\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\""
            " viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\""
            " aria-label=\"Open load per person\">\n",
            W, H, W, H);
    for (i = 0; i < n; i++) {
        const json_t *p = json_array_get(people, i);
        double l = (double)jint(p, "load"), w = (W - L - R) * l / max;
        int y = T + (int)i * ROW;
        fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"end\">", L - 8,
                y + 16);
        html_esc(out, srr_cli_text(p, "name"));
        fprintf(out,
                "</text><rect class=\"bar\" data-person=\"\" x=\"%d\" y=\"%d\" width=\"%.1f\""
                " height=\"18\" fill=\"%s\"><title>load %.0f, %lld open</title></rect>"
                "<text x=\"%.1f\" y=\"%d\" font-size=\"11\">%.0f</text>\n",
                L, y + 3, w > 0 ? w : 0.5, limit > 0 && l > limit ? "#d64545" : "#4098d7", l,
                jint(p, "records"), L + w + 4, y + 16, l);
    }
    x = L + (W - L - R) * mean / max;
    fprintf(out,
            "<line class=\"mean\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#333\""
            " stroke-dasharray=\"4 3\"/><text x=\"%.1f\" y=\"%d\" font-size=\"11\""
            " text-anchor=\"middle\">mean %.1f</text>\n",
            x, T, x, H - 30, x, H - 16, mean);
    if (limit > 0) {
        x = L + (W - L - R) * limit / max;
        fprintf(out,
                "<line class=\"limit\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\""
                " stroke=\"#d64545\" stroke-dasharray=\"2 2\"/><text x=\"%.1f\" y=\"%d\""
                " font-size=\"11\" text-anchor=\"middle\" fill=\"#d64545\">skew limit</text>\n",
                x, T, x, H - 30, x, H - 4);
    }
    fputs("</svg>\n", out);
}

/* One property line of a record's detail (nothing when empty). */
static void detail_prop(FILE *out, const char *name, const char *value)
{
    if (!value || !*value)
        return;
    fprintf(out, "<dt>%s</dt><dd>", name);
    html_esc(out, value);
    fputs("</dd>", out);
}

/* The detail of one record, anchored by its id: its properties and links
 * beside its value over the windows (a chart and a table). */
static void html_record(FILE *out, const json_t *r)
{
    const json_t *th = json_object_get(r, "thing"), *wins = json_object_get(th, "windows");
    const struct {
        const char *key, *text, *cls;
    } links[] = {{"notion_url", "Notion page", "notion"},
                 {"datadog_url", "Datadog", "dd"},
                 {"tracker_url", "Tracker", "tracker"},
                 {NULL, NULL, NULL}};
    int nl = 0;
    size_t i;
    fputs("<section class=\"record\" id=\"", out);
    html_esc(out, srr_cli_text(r, "id"));
    fputs("\"><h3>", out);
    html_esc(out, srr_cli_text(r, "id"));
    fputs(": ", out);
    html_esc(out, srr_cli_text(r, "title"));
    fputs("</h3>\n<div class=\"body\"><div><dl>", out);
    detail_prop(out, "Status", srr_cli_text(r, "status"));
    detail_prop(out, "Urgency", srr_cli_text(r, "urgency"));
    detail_prop(out, "Assignee", srr_cli_text(r, "assignee"));
    detail_prop(out, "Service", srr_cli_text(r, "service"));
    detail_prop(out, "Next action", srr_cli_text(r, "next_action"));
    fputs("</dl>\n<p class=\"links\">", out);
    for (i = 0; links[i].key; i++)
        if (*srr_cli_text(r, links[i].key)) {
            fputs(nl++ ? " · " : "", out);
            html_link(out, srr_cli_text(r, links[i].key), links[i].text, links[i].cls);
        }
    fputs("</p>\n", out);
    if (!th) {
        fputs("<p class=\"none\">Follows no thing srr observes (stored before things "
              "existed).</p></div></div></section>\n",
              out);
        return;
    }
    fputs("<p class=\"meta\">", out);
    html_esc(out, srr_cli_text(th, "check"));
    if (*srr_cli_text(th, "group")) {
        fputs(" (", out);
        html_esc(out, srr_cli_text(th, "group"));
        fputs(")", out);
    }
    fputs(": latest ", out);
    html_esc(out, *srr_cli_text(th, "latest_text") ? srr_cli_text(th, "latest_text") : "-");
    fputs(", worst ", out);
    html_esc(out, *srr_cli_text(th, "worst_text") ? srr_cli_text(th, "worst_text") : "-");
    fputs("</p></div>\n<div>", out);
    svg_trend(out, srr_cli_text(r, "id"), th, DETAIL_W, DETAIL_H, 1);
    fputs("\n<table class=\"windows\"><thead><tr><th>Observed</th><th>Status</th><th>Value</th>"
          "<th>Members firing</th></tr></thead><tbody>\n",
          out);
    for (i = 0; i < json_array_size(wins); i++) {
        const json_t *w = json_array_get(wins, i);
        fputs("<tr><td>", out);
        html_esc(out, srr_cli_text(w, "at"));
        fputs("</td><td>", out);
        html_esc(out, srr_cli_text(w, "status"));
        fputs("</td><td>", out);
        html_esc(out, *srr_cli_text(w, "value_text") ? srr_cli_text(w, "value_text") : "no data");
        fprintf(out, "</td><td>%lld of %lld</td></tr>\n", jint(w, "firing_members"),
                jint(w, "members"));
    }
    fputs("</tbody></table></div></div></section>\n", out);
}

static const char STYLE[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;"
    "max-width:1100px;color:#1f2933;padding:0 16px}\n"
    "h1{margin-bottom:4px}h2{border-bottom:2px solid #e4e7eb;padding-bottom:4px;"
    "margin-top:32px}\nh3{margin:20px 0 4px}\n.meta{color:#616e7c}\n"
    ".cards{display:flex;flex-wrap:wrap;gap:10px;margin:16px 0}\n"
    ".card{border:1px solid #cbd2d9;border-radius:6px;padding:8px 14px;min-width:90px}\n"
    ".card b{display:block;font-size:24px}\n"
    "table{border-collapse:collapse;width:100%;font-size:13px}\n"
    "th,td{border:1px solid #e4e7eb;padding:4px 8px;text-align:left;vertical-align:top}\n"
    "td.chart{padding:2px 4px;width:164px}\n"
    "th{background:#f5f7fa}\n.none{color:#9aa5b1}\n.hint{color:#616e7c;font-style:italic}\n"
    ".skew{color:#d64545;font-weight:bold}\n.chart{max-width:100%;height:auto}\n"
    "a{color:#2457a6}a.rec{white-space:nowrap}\n.record{border-top:1px solid "
    "#e4e7eb;margin-top:12px}\n"
    "dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px;margin:6px 0}\n"
    "dt{color:#616e7c}dd{margin:0}\ntable.windows{width:auto;margin-top:6px}\n"
    ".record .body{display:flex;flex-wrap:wrap;gap:8px 32px}.record .body>div{min-width:300px}\n"
    "@media print{body{margin:0;max-width:none}h2{page-break-after:avoid}"
    "table,svg,.record{page-break-inside:avoid}}\n";

/* The cards and the two charts at the top of the page. */
static void html_overview(FILE *out, const json_t *rep)
{
    const json_t *c = json_object_get(rep, "counts"), *load = json_object_get(rep, "load");
    static const struct {
        const char *label, *key;
    } cards[] = {{"open or mitigating", "open_risks"},
                 {"drafts waiting", "drafts"},
                 {"nobody owns", "unowned"},
                 {"new", "new"},
                 {"resolved", "resolved"},
                 {"accepted", "accepted"},
                 {"investigations opened", "investigations_opened"},
                 {"promoted", "investigations_promoted"},
                 {"closed", "investigations_closed"},
                 {"stale", "stale"},
                 {"signal quiet", "quiet"},
                 {"past review", "review_due"},
                 {"to retire", "retire"},
                 {NULL, NULL}};
    int month = strcmp(srr_cli_text(json_object_get(rep, "period"), "kind"), "month") == 0;
    fputs("<div class=\"cards\">\n", out);
    for (int i = 0; cards[i].label; i++)
        fprintf(out, "<div class=\"card\" id=\"count-%s\"><b>%lld</b>%s</div>\n", cards[i].key,
                jint(c, cards[i].key), cards[i].label);
    fprintf(out, "</div>\n<h2>Risks by status at the end of each %s</h2>\n",
            month ? "month" : "period");
    svg_history(out, json_object_get(rep, "history"));
    fputs("<h2>Load per person</h2>\n", out);
    svg_load(out, load);
    fprintf(out,
            "<p class=\"%s\">Load = open records weighted low 1, medium 2, high 3, critical 5. "
            "Mean %.1f, busiest/mean %.2f (flagged above %.2f)%s",
            json_is_true(json_object_get(load, "skewed")) ? "skew" : "meta",
            json_real_value(json_object_get(load, "mean")),
            json_real_value(json_object_get(load, "ratio")),
            (double)jint(load, "skew_percent") / 100.0,
            json_is_true(json_object_get(load, "skewed")) ? ": SKEWED, " : ".");
    if (json_is_true(json_object_get(load, "skewed"))) {
        html_esc(out, srr_cli_text(load, "busiest"));
        fputs(" carries too much; suggest new work to others (srr risks assign ID --suggest).",
              out);
    }
    fputs("</p>\n", out);
    {
        static const srr_column lcols[] = {{"Person", "name", 0}, {"Critical", "critical", 0},
                                           {"High", "high", 0},   {"Medium", "medium", 0},
                                           {"Low", "low", 0},     {"Open", "records", 0},
                                           {"Load", "load", 0},   {NULL, NULL, 0}};
        html_table(out, rep, json_object_get(load, "people"), lcols);
    }
}

void srr_review_print_html(FILE *out, const json_t *rep)
{
    char heading[128], title[128];
    const char *id;
    const json_t *r;
    srr_review_heading(rep, heading, sizeof heading);
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>srr ", out);
    html_esc(out, heading);
    fprintf(out, "</title>\n<style>\n%s</style></head><body>\n<h1>", STYLE);
    html_esc(out, heading);
    fputs("</h1>\n<p class=\"meta\" id=\"period\">System Risk Records from ", out);
    html_esc(out, srr_cli_text(rep, "from"));
    fputs(" to ", out);
    html_esc(out, srr_cli_text(rep, "as_of"));
    fputs(". Generated by srr. Each id links to the record's Notion page when it is synced, "
          "else to its detail at the end of this page.</p>\n",
          out);
    html_overview(out, rep);
    for (int i = 0; SRR_REVIEW_SECTIONS[i].title; i++) {
        const srr_review_section *sec = &SRR_REVIEW_SECTIONS[i];
        fprintf(out, "<h2 id=\"section-%s\">", sec->key);
        html_esc(out, srr_review_title(sec, rep, title, sizeof title));
        fputs("</h2>\n", out);
        if (sec->hint && json_array_size(json_object_get(rep, sec->key))) {
            fputs("<p class=\"hint\">", out);
            html_esc(out, sec->hint);
            fputs("</p>\n", out);
        }
        html_table(out, rep, json_object_get(rep, sec->key), sec->cols);
    }
    fputs("<h2 id=\"records\">Records in this review</h2>\n", out);
    json_object_foreach((json_t *)json_object_get(rep, "records"), id, r) html_record(out, r);
    fputs("</body></html>\n", out);
}
