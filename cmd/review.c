/* SPDX-License-Identifier: Apache-2.0
 *
 * review.c - `srr review [--month YYYY-MM] [--format table|md|html|json]
 * [-o FILE]`: renders the monthly review of store/reports/review.h. The HTML page
 * is one self-contained file (inline CSS, inline SVG charts, no script, no
 * external asset) that reads well on screen and printed: risks by status at
 * the end of each of the last months (stacked bars) and the load per person
 * against the mean and the skew threshold (horizontal bars).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "review.h"
#include "store.h"
#include "textsafe.h"

static const char *const CHART_STATUSES[] = {"draft",    "open",     "mitigating",
                                             "accepted", "resolved", NULL};
static const char *const CHART_COLORS[] = {"#9aa5b1", "#d64545", "#f0b429",
                                           "#7e57c2", "#3ebd93", NULL};

/* One section of the report: heading, the array key, its columns. */
typedef struct section {
    const char *title, *key, *hint;
    srr_column cols[9];
} section;

static const section SECTIONS[] = {
    {"Drafts waiting for a decision",
     "drafts",
     "Approve, reject or merge: srr risks approve|reject|merge ID",
     {{"ID", "id", 0},
      {"AGE (DAYS)", "age_days", 0},
      {"URGENCY", "urgency", 0},
      {"SERVICE", "service", 20},
      {"TITLE", "title", 60},
      {NULL, NULL, 0}}},
    {"Open risks nobody owns",
     "unowned",
     "Nobody is assigned: srr risks assign ID --suggest (or WHO)",
     {{"ID", "id", 0},
      {"STATUS", "status", 0},
      {"URGENCY", "urgency", 0},
      {"SERVICE", "service", 20},
      {"APPROVED BY", "approved_by", 16},
      {"TITLE", "title", 60},
      {NULL, NULL, 0}}},
    {"Open risks with no update",
     "stale",
     "Nobody changed these within the staleness limit: ask the assignee or reassign",
     {{"ID", "id", 0},
      {"STATUS", "status", 0},
      {"ASSIGNEE", "assignee", 16},
      {"LAST TOUCHED", "last_touched", 0},
      {"TITLE", "title", 60},
      {NULL, NULL, 0}}},
    {"Signal quiet: suggest resolve or accept",
     "quiet",
     "Observed clear for weeks since it last fired: srr risks resolve ID, or accept ID "
     "--review-in 90d",
     {{"ID", "id", 0},
      {"QUIET (WEEKS)", "quiet_weeks", 0},
      {"CLEAR SINCE", "clear_since", 0},
      {"CLEAR WINDOWS", "clear_windows", 0},
      {"LAST SEEN", "last_seen", 0},
      {"ASSIGNEE", "assignee", 16},
      {"TITLE", "title", 60},
      {NULL, NULL, 0}}},
    {"Things at risk, window by window",
     "things",
     "Each active record's measured value per window, oldest first",
     {{"ID", "id", 0},
      {"VALUES", "chart", 0},
      {"LATEST", "latest", 0},
      {"WORST", "worst", 0},
      {"LAST FIRED", "last_fired", 0},
      {"MEMBERS", "members", 0},
      {"TITLE", "title", 50},
      {NULL, NULL, 0}}},
    {"Accepted risks past their review date",
     "review_due",
     "Renew (srr risks accept ID --review-in 90d --reason ...) or reopen",
     {{"ID", "id", 0},
      {"REVIEW DUE", "next_review_at", 0},
      {"OVERDUE (DAYS)", "overdue_days", 0},
      {"ASSIGNEE", "assignee", 16},
      {"TITLE", "title", 60},
      {NULL, NULL, 0}}},
    {"Low urgency, untouched: suggest retire",
     "retire",
     "No longer worth watching? srr risks resolve ID --note retired / srr backlog reject ID",
     {{"ID", "id", 0},
      {"STATUS", "status", 0},
      {"CREATED", "created_at", 0},
      {"LAST TOUCHED", "last_touched", 0},
      {"TITLE", "title", 60},
      {NULL, NULL, 0}}},
    {"New this month",
     "new",
     NULL,
     {{"ID", "id", 0},
      {"STATUS", "status", 0},
      {"URGENCY", "urgency", 0},
      {"SERVICE", "service", 20},
      {"TITLE", "title", 60},
      {NULL, NULL, 0}}},
    {"Resolved this month",
     "resolved",
     NULL,
     {{"ID", "id", 0},
      {"RESOLVED", "resolved_at", 0},
      {"BY", "resolved_by", 16},
      {"TITLE", "title", 60},
      {NULL, NULL, 0}}},
    {"Accepted this month",
     "accepted",
     NULL,
     {{"ID", "id", 0},
      {"NEXT REVIEW", "next_review_at", 0},
      {"WHY", "why", 50},
      {"TITLE", "title", 50},
      {NULL, NULL, 0}}},
    {"Risks by service (roadmap planning)",
     "by_service",
     NULL,
     {{"SERVICE", "service", 24},
      {"DRAFT", "draft", 0},
      {"OPEN", "open", 0},
      {"MITIGATING", "mitigating", 0},
      {"ACCEPTED", "accepted", 0},
      {"RESOLVED", "resolved", 0},
      {"ACTIVE", "active", 0},
      {NULL, NULL, 0}}},
    {NULL, NULL, NULL, {{NULL, NULL, 0}}},
};

static long long jint(const json_t *o, const char *k)
{
    return (long long)json_integer_value(json_object_get(o, k));
}

static void print_text(FILE *out, const json_t *rep, srr_format fmt)
{
    const json_t *c = json_object_get(rep, "counts");
    int i;
    int md = fmt == SRR_FMT_MD;
    fprintf(out, "%sMonthly review %s%s\n", md ? "# " : "", srr_cli_text(rep, "month"),
            md ? "" : "");
    fprintf(out,
            "%sAs of %s. %lld draft(s) waiting, %lld open risk(s) nobody owns, %lld new, %lld "
            "resolved, %lld accepted this month; %lld stale, %lld quiet, %lld past review, "
            "%lld to retire.\n",
            md ? "\n" : "", srr_cli_text(rep, "as_of"), jint(c, "drafts"), jint(c, "unowned"),
            jint(c, "new"),
            jint(c, "resolved"), jint(c, "accepted"), jint(c, "stale"), jint(c, "quiet"),
            jint(c, "review_due"), jint(c, "retire"));
    for (i = 0; SECTIONS[i].title; i++) {
        fprintf(out, md ? "\n## %s\n\n" : "\n== %s ==\n", SECTIONS[i].title);
        if (SECTIONS[i].hint && json_array_size(json_object_get(rep, SECTIONS[i].key)))
            fprintf(out, md ? "_%s_\n\n" : "%s\n", SECTIONS[i].hint);
        srr_cli_print_list(out, json_object_get(rep, SECTIONS[i].key), SECTIONS[i].cols, fmt,
                           "(none)");
    }
    fprintf(out, md ? "\n## Load per person\n\n" : "\n== Load per person ==\n");
    srr_cli_print_load(out, json_object_get(rep, "load"), fmt);
    fprintf(out, md ? "\n## Risks by status at month end\n\n"
                    : "\n== Risks by status at month end ==\n");
    {
        static const srr_column hcols[] = {{"MONTH", "month", 0},
                                           {"DRAFT", "draft", 0},
                                           {"OPEN", "open", 0},
                                           {"MITIGATING", "mitigating", 0},
                                           {"ACCEPTED", "accepted", 0},
                                           {"RESOLVED", "resolved", 0},
                                           {NULL, NULL, 0}};
        srr_cli_print_list(out, json_object_get(rep, "history"), hcols, fmt, "(none)");
    }
}

/* ---- HTML ---------------------------------------------------------------- */

/* HTML text: control characters shown as escapes first (textsafe.h; the
 * page may be printed to a terminal), then & < > " ' as entities. */
static void html_esc(FILE *out, const char *text)
{
    char *safe = srr_text_safe(text, SRR_TEXT_MULTILINE);
    const char *s = safe;
    for (; s && *s; s++) {
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

static void html_table(FILE *out, const json_t *arr, const srr_column *cols)
{
    size_t i, j;
    if (json_array_size(arr) == 0) {
        fputs("<p class=\"none\">None.</p>\n", out);
        return;
    }
    fputs("<table><thead><tr>", out);
    for (j = 0; cols[j].header; j++) {
        fputs("<th>", out);
        html_esc(out, cols[j].header);
        fputs("</th>", out);
    }
    fputs("</tr></thead><tbody>\n", out);
    for (i = 0; i < json_array_size(arr); i++) {
        fputs("<tr>", out);
        for (j = 0; cols[j].header; j++) {
            fputs("<td>", out);
            html_esc(out, srr_cli_text(json_array_get(arr, i), cols[j].key));
            fputs("</td>", out);
        }
        fputs("</tr>\n", out);
    }
    fputs("</tbody></table>\n", out);
}

/* Stacked bars: risks by status at the end of each month. */
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
            " aria-label=\"Risks by status at month end\">\n",
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
                    CHART_STATUSES[s], x, y, bw * 0.7, bh, CHART_COLORS[s],
                    srr_cli_text(h, "month"), CHART_STATUSES[s], v);
        }
        fprintf(out, "<text x=\"%.1f\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">",
                x + bw * 0.35, H - B + 18);
        html_esc(out, srr_cli_text(h, "month"));
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

static void print_html(FILE *out, const json_t *rep)
{
    const json_t *c = json_object_get(rep, "counts"), *load = json_object_get(rep, "load");
    static const struct {
        const char *label, *key;
    } cards[] = {{"drafts waiting", "drafts"},  {"nobody owns", "unowned"},
                 {"new", "new"},                {"resolved", "resolved"},
                 {"accepted", "accepted"},      {"stale", "stale"},      {"signal quiet", "quiet"},
                 {"past review", "review_due"}, {"to retire", "retire"}, {NULL, NULL}};
    int i;
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>srr monthly "
          "review ",
          out);
    html_esc(out, srr_cli_text(rep, "month"));
    fputs("</title>\n<style>\n"
          "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;"
          "max-width:1100px;color:#1f2933;padding:0 16px}\n"
          "h1{margin-bottom:4px}h2{border-bottom:2px solid #e4e7eb;padding-bottom:4px;"
          "margin-top:32px}\n.meta{color:#616e7c}\n"
          ".cards{display:flex;flex-wrap:wrap;gap:10px;margin:16px 0}\n"
          ".card{border:1px solid #cbd2d9;border-radius:6px;padding:8px 14px;min-width:90px}\n"
          ".card b{display:block;font-size:24px}\n"
          "table{border-collapse:collapse;width:100%;font-size:13px}\n"
          "th,td{border:1px solid #e4e7eb;padding:4px 8px;text-align:left;vertical-align:top}\n"
          "th{background:#f5f7fa}\n.none{color:#9aa5b1}\n.hint{color:#616e7c;font-style:italic}\n"
          ".skew{color:#d64545;font-weight:bold}\n.chart{max-width:100%;height:auto}\n"
          "@media print{body{margin:0;max-width:none}h2{page-break-after:avoid}"
          "table,svg{page-break-inside:avoid}}\n"
          "</style></head><body>\n<h1>Monthly review ",
          out);
    html_esc(out, srr_cli_text(rep, "month"));
    fputs("</h1>\n<p class=\"meta\">System Risk Records, as of ", out);
    html_esc(out, srr_cli_text(rep, "as_of"));
    fputs(". Generated by srr.</p>\n<div class=\"cards\">\n", out);
    for (i = 0; cards[i].label; i++)
        fprintf(out, "<div class=\"card\" id=\"count-%s\"><b>%lld</b>%s</div>\n", cards[i].key,
                jint(c, cards[i].key), cards[i].label);
    fputs("</div>\n<h2>Risks by status at month end</h2>\n", out);
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
        html_table(out, json_object_get(load, "people"), lcols);
    }
    for (i = 0; SECTIONS[i].title; i++) {
        fputs("<h2>", out);
        html_esc(out, SECTIONS[i].title);
        fputs("</h2>\n", out);
        if (SECTIONS[i].hint && json_array_size(json_object_get(rep, SECTIONS[i].key))) {
            fputs("<p class=\"hint\">", out);
            html_esc(out, SECTIONS[i].hint);
            fputs("</p>\n", out);
        }
        html_table(out, json_object_get(rep, SECTIONS[i].key), SECTIONS[i].cols);
    }
    fputs("</body></html>\n", out);
}

int srr_cmd_review(int argc, char **argv)
{
    static const char usage[] = "srr review [-c FILE] [--month YYYY-MM] [--quiet-weeks N]"
                                " [--format table|md|html|json] [-o FILE]";
    static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
                                             {"month", required_argument, NULL, 'm'},
                                             {"format", required_argument, NULL, 'f'},
                                             {"output", required_argument, NULL, 'o'},
                                             {"quiet-weeks", required_argument, NULL, 'q'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *config = NULL, *outpath = NULL, *format = "table";
    srr_review_opts ro;
    srr_config *cfg = NULL;
    srr_store *st = NULL;
    json_t *rep = NULL;
    srr_error err = {0};
    srr_format fmt = SRR_FMT_TABLE;
    int c, code, html = 0;
    FILE *out = stdout;
    srr_rc rc;
    memset(&ro, 0, sizeof(ro));
    optind = 1;
    while ((c = srr_getopt_long(argc, argv, "c:m:f:o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'm': ro.month = optarg; break;
        case 'f': format = optarg; break;
        case 'o': outpath = optarg; break;
        case 'q': {
            char *end = NULL;
            long long w = strtoll(optarg, &end, 10);
            if (!end || *end || w <= 0 || w > 520) {
                srr_say_error("srr: --quiet-weeks must be 1..520\n");
                return SRR_EXIT_USAGE;
            }
            ro.quiet_s = (int64_t)w * 7 * 86400;
            break;
        }
        case 'h': printf("usage: %s\n", usage); return SRR_EXIT_OK;
        default: srr_say_error("usage: %s\n", usage); return SRR_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        srr_say_error("usage: %s\n", usage);
        return SRR_EXIT_USAGE;
    }
    {
        static const char *const formats[] = {"table", "md", "markdown", "html", "json", NULL};
        if (srr_cli_choice("--format", format, formats) != 0)
            return SRR_EXIT_USAGE;
    }
    if (strcmp(format, "html") == 0)
        html = 1;
    else if (srr_cli_format(format, &fmt) != 0)
        return SRR_EXIT_USAGE;
    if (ro.month) {
        int64_t a, b;
        if (srr_review_month(ro.month, &a, &b) != SRR_OK) {
            srr_say_error("srr: --month '%s' is not YYYY-MM\n", ro.month);
            return SRR_EXIT_USAGE;
        }
    }
    ro.now = srr_now();
    st = srr_cli_open_store(config, &cfg, &code);
    if (!st)
        return code;
    rc = srr_review_build(st, &cfg->team, &ro, &rep, &err);
    if (rc != SRR_OK) {
        srr_say_error("srr: %s\n", err.msg);
        code = srr_cli_exit_of(rc);
        goto done;
    }
    if (outpath) {
        out = fopen(outpath, "w");
        if (!out) {
            srr_say_error("srr: cannot write %s\n", outpath);
            out = stdout;
            code = SRR_EXIT_FAIL;
            goto done;
        }
    }
    if (html) {
        print_html(out, rep);
    } else if (fmt == SRR_FMT_JSON) {
        char *s = json_dumps(rep, JSON_INDENT(2));
        fprintf(out, "%s\n", s);
        free(s);
    } else {
        print_text(out, rep, fmt);
    }
    code = SRR_EXIT_OK;
    if (out != stdout) {
        if (fclose(out) != 0) {
            srr_say_error("srr: writing %s failed\n", outpath);
            code = SRR_EXIT_FAIL;
        } else {
            srr_say_info("srr: wrote %s\n", outpath);
        }
        out = stdout;
    }
done:
    json_decref(rep);
    srr_store_close(&st);
    srr_config_destroy(cfg);
    return code;
}
