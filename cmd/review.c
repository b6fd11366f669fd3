/* SPDX-License-Identifier: Apache-2.0
 *
 * review.c - `srr review [--month YYYY-MM | --last DUR | --from DATE
 * [--to DATE]] [--format table|md|html|json] [-o FILE]`: renders the review
 * of store/reports/review.h for the meeting. The sections (review_render.h) in
 * the order the meeting walks through them, the load per person and the
 * status history, then every record the sections name with its links
 * (Notion page, Datadog) and its value over the windows. Table and
 * Markdown print every section through srr_cli_print_list; JSON is the
 * report itself; HTML is cmd/review_html.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "review.h" /* store/reports: the report's data */
#include "review_render.h"
#include "store.h"

static long long jint(const json_t *o, const char *k)
{
    return (long long)json_integer_value(json_object_get(o, k));
}

/* A link for a table cell: in Markdown [text](url) for an http(s) URL
 * (CommonMark reads the entities the cell's escaping writes back), else
 * the URL as it is. */
static json_t *link_cell(const json_t *url, const char *text, srr_format fmt)
{
    const char *u = json_string_value(url);
    if (!u || !*u)
        return json_null();
    if (fmt == SRR_FMT_MD &&
        (strncasecmp(u, "https://", 8) == 0 || strncasecmp(u, "http://", 7) == 0))
        return json_sprintf("[%s](%s)", text, u);
    return json_string(u);
}

/* The records the report names, one row each, for a table: its links
 * and its value over the windows beside its status and next step. */
static json_t *record_rows(const json_t *rep, srr_format fmt)
{
    json_t *rows = json_array();
    const char *id;
    const json_t *r;
    json_object_foreach((json_t *)json_object_get(rep, "records"), id, r)
    {
        const json_t *th = json_object_get(r, "thing");
        json_array_append_new(
            rows,
            json_pack("{s:s, s:O, s:O, s:O, s:O, s:o, s:o, s:O, s:O, s:O}", "id", id, "status",
                      json_object_get(r, "status"), "urgency", json_object_get(r, "urgency"),
                      "assignee", json_object_get(r, "assignee"), "next_action",
                      json_object_get(r, "next_action"), "notion",
                      link_cell(json_object_get(r, "notion_url"), "Notion page", fmt), "datadog",
                      link_cell(json_object_get(r, "datadog_url"), "Datadog", fmt), "chart",
                      th ? json_object_get(th, "chart") : json_null(), "latest",
                      th ? json_object_get(th, "latest_text") : json_null(), "title",
                      json_object_get(r, "title")));
    }
    return rows;
}

static void print_text(FILE *out, const json_t *rep, srr_format fmt)
{
    const json_t *c = json_object_get(rep, "counts");
    int i;
    int md = fmt == SRR_FMT_MD;
    char heading[128], title[128];
    static const srr_column rcols[] = {{"ID", "id", 0},
                                       {"STATUS", "status", 0},
                                       {"URGENCY", "urgency", 0},
                                       {"ASSIGNEE", "assignee", 16},
                                       {"NEXT ACTION", "next_action", 32},
                                       {"NOTION", "notion", 0},
                                       {"DATADOG", "datadog", 0},
                                       {"VALUES", "chart", 0},
                                       {"LATEST", "latest", 0},
                                       {"TITLE", "title", 48},
                                       {NULL, NULL, 0}};
    fprintf(out, "%s%s\n", md ? "# " : "", srr_review_heading(rep, heading, sizeof heading));
    fprintf(out,
            "%sFrom %s to %s. %lld open or mitigating risk(s), %lld draft(s) "
            "waiting, %lld open risk(s) nobody owns; %lld new, %lld resolved, %lld accepted; "
            "investigations: %lld opened, %lld promoted, %lld closed; %lld stale, %lld quiet, "
            "%lld past review, %lld to retire.\n",
            md ? "\n" : "", srr_cli_text(rep, "from"), srr_cli_text(rep, "as_of"),
            jint(c, "open_risks"), jint(c, "drafts"), jint(c, "unowned"), jint(c, "new"),
            jint(c, "resolved"), jint(c, "accepted"), jint(c, "investigations_opened"),
            jint(c, "investigations_promoted"), jint(c, "investigations_closed"), jint(c, "stale"),
            jint(c, "quiet"), jint(c, "review_due"), jint(c, "retire"));
    for (i = 0; SRR_REVIEW_SECTIONS[i].title; i++) {
        const srr_review_section *sec = &SRR_REVIEW_SECTIONS[i];
        fprintf(out, md ? "\n## %s\n\n" : "\n== %s ==\n",
                srr_review_title(sec, rep, title, sizeof title));
        if (sec->hint && json_array_size(json_object_get(rep, sec->key)))
            fprintf(out, md ? "_%s_\n\n" : "%s\n", sec->hint);
        srr_cli_print_list(out, json_object_get(rep, sec->key), sec->cols, fmt, "(none)");
    }
    fprintf(out, md ? "\n## Load per person\n\n" : "\n== Load per person ==\n");
    srr_cli_print_load(out, json_object_get(rep, "load"), fmt);
    fprintf(out,
            md ? "\n## Risks by status at the end of each %s\n\n"
               : "\n== Risks by status at the end of each %s ==\n",
            srr_review_is_month(rep) ? "month" : "period");
    {
        static const srr_column hcols[] = {{"END", "label", 0},
                                           {"DRAFT", "draft", 0},
                                           {"OPEN", "open", 0},
                                           {"MITIGATING", "mitigating", 0},
                                           {"ACCEPTED", "accepted", 0},
                                           {"RESOLVED", "resolved", 0},
                                           {NULL, NULL, 0}};
        srr_cli_print_list(out, json_object_get(rep, "history"), hcols, fmt, "(none)");
    }
    fprintf(out, md ? "\n## Records in this review\n\n" : "\n== Records in this review ==\n");
    fprintf(out, md ? "_%s_\n\n" : "%s\n",
            "Each record's page in Notion (when synced), its Datadog link and its value over "
            "its last windows, oldest first");
    {
        json_t *rows = record_rows(rep, fmt);
        srr_cli_print_list(out, rows, rcols, fmt, "(none)");
        json_decref(rows);
    }
}

/* Checks the period options and fills ro; prints the error. Returns 0 or
 * an exit code. */
static int parse_period(const char *from, const char *to, const char *last, srr_review_opts *ro)
{
    int given = (ro->month != NULL) + (last != NULL) + (from != NULL);
    if (given > 1) {
        srr_say_error("srr: --month, --last and --from each name the period: give one\n");
        return SRR_EXIT_USAGE;
    }
    if (to && !from) {
        srr_say_error("srr: --to needs --from (or use --last DUR)\n");
        return SRR_EXIT_USAGE;
    }
    if (ro->month) {
        int64_t a, b;
        if (srr_review_month(ro->month, &a, &b) != SRR_OK) {
            srr_say_error("srr: --month '%s' is not YYYY-MM\n",
                          srr_cli_safe(ro->month, SRR_FMT_TABLE, 0));
            return SRR_EXIT_USAGE;
        }
    }
    if (last && srr_cli_duration("--last", last, 86400, 3660LL * 86400, &ro->last_s) != 0)
        return SRR_EXIT_USAGE;
    if (from && srr_review_day(from, 0, &ro->from) != SRR_OK) {
        srr_say_error("srr: --from '%s' is not a date (YYYY-MM-DD) or an ISO-8601 time\n",
                      srr_cli_safe(from, SRR_FMT_TABLE, 0));
        return SRR_EXIT_USAGE;
    }
    if (to && srr_review_day(to, 1, &ro->to) != SRR_OK) {
        srr_say_error("srr: --to '%s' is not a date (YYYY-MM-DD) or an ISO-8601 time\n",
                      srr_cli_safe(to, SRR_FMT_TABLE, 0));
        return SRR_EXIT_USAGE;
    }
    if (from && to && ro->to <= ro->from) {
        srr_say_error("srr: --to is not after --from\n");
        return SRR_EXIT_USAGE;
    }
    return 0;
}

/* Writes the report in its format to outpath (NULL: stdout). Returns an
 * exit code. */
static int write_report(const json_t *rep, int html, srr_format fmt, const char *outpath)
{
    FILE *out = outpath ? fopen(outpath, "w") : stdout;
    if (!out) {
        srr_say_error("srr: cannot write %s\n", outpath);
        return SRR_EXIT_FAIL;
    }
    if (html) {
        srr_review_print_html(out, rep);
    } else if (fmt == SRR_FMT_JSON) {
        char *s = json_dumps(rep, JSON_INDENT(2));
        fprintf(out, "%s\n", s);
        free(s);
    } else {
        print_text(out, rep, fmt);
    }
    if (out == stdout)
        return SRR_EXIT_OK;
    if (fclose(out) != 0) {
        srr_say_error("srr: writing %s failed\n", outpath);
        return SRR_EXIT_FAIL;
    }
    srr_say_info("srr: wrote %s\n", outpath);
    return SRR_EXIT_OK;
}

int srr_cmd_review(int argc, char **argv)
{
    static const char usage[] =
        "srr review [-c FILE] [--month YYYY-MM | --last DUR | --from DATE [--to DATE]]"
        " [--quiet-weeks N] [--format table|md|html|json] [-o FILE]";
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'}, {"month", required_argument, NULL, 'm'},
        {"from", required_argument, NULL, 'F'},   {"to", required_argument, NULL, 'T'},
        {"last", required_argument, NULL, 'L'},   {"format", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'}, {"quiet-weeks", required_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    const char *config = NULL, *outpath = NULL, *format = "table";
    const char *from = NULL, *to = NULL, *last = NULL;
    srr_review_opts ro;
    srr_config *cfg = NULL;
    srr_store *st = NULL;
    json_t *rep = NULL;
    srr_error err = {0};
    srr_format fmt = SRR_FMT_TABLE;
    int c, code, html = 0;
    srr_rc rc;
    memset(&ro, 0, sizeof(ro));
    optind = 1;
    while ((c = srr_getopt_long(argc, argv, "c:m:f:o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'm': ro.month = optarg; break;
        case 'F': from = optarg; break;
        case 'T': to = optarg; break;
        case 'L': last = optarg; break;
        case 'f': format = optarg; break;
        case 'o': outpath = optarg; break;
        case 'q': {
            long long w = 0;
            if (srr_cli_count("--quiet-weeks", optarg, 1, 520, &w) != 0)
                return SRR_EXIT_USAGE;
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
    code = parse_period(from, to, last, &ro);
    if (code)
        return code;
    ro.now = srr_now();
    if (from && !to && ro.from > ro.now) {
        srr_say_error("srr: --from is in the future\n");
        return SRR_EXIT_USAGE;
    }
    st = srr_cli_open_store(config, &cfg, &code);
    if (!st)
        return code;
    rc = srr_review_build(st, &cfg->team, &ro, &rep, &err);
    if (rc != SRR_OK) {
        srr_say_error("srr: %s\n", err.msg);
        code = srr_cli_exit_of(rc);
        goto done;
    }
    code = write_report(rep, html, fmt, outpath);
done:
    json_decref(rep);
    srr_store_close(&st);
    srr_config_destroy(cfg);
    return code;
}
