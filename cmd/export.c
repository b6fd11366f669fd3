/* SPDX-License-Identifier: Apache-2.0
 *
 * export.c - `srr export --format csv|json|md [--status S] [--kind
 * risks|backlog|all] [-o FILE|DIR]`: the records for other tools. CSV for a
 * Notion database or a Google Sheet (store/reports/export.h), JSON for scripts,
 * Markdown detail pages for a wiki: one file per record (SRR-1.md, BL-2.md)
 * plus an index.md, written into a directory (-o, default ./srr-export).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "export.h"
#include "store.h"

static int write_text(const char *path, const char *text)
{
    srr_error err = {0};
    if (!path) {
        fputs(text, stdout);
        return SRR_EXIT_OK;
    }
    if (srr_file_write_atomic(path, text, strlen(text), &err) != SRR_OK) {
        srr_say_error("srr: %s\n", err.msg);
        return SRR_EXIT_FAIL;
    }
    srr_say_info("srr: wrote %s\n", path);
    return SRR_EXIT_OK;
}

/* Renders one page into a string through a memory stream. Caller frees. */
static char *render(const json_t *rec)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return srr_strdup("");
    if (strcmp(json_string_value(json_object_get(rec, "kind")), "risk") == 0)
        srr_cli_print_risk_page(f, rec, SRR_FMT_MD);
    else
        srr_cli_print_backlog_page(f, rec, SRR_FMT_MD);
    fclose(f);
    return buf ? buf : srr_strdup("");
}

static int write_markdown(const json_t *recs, const char *dir)
{
    static const srr_column cols[] = {{"ID", "id", 0},
                                      {"STATUS", "status", 0},
                                      {"URGENCY", "urgency", 0},
                                      {"SERVICE", "service", 20},
                                      {"ASSIGNEE", "assignee", 16},
                                      {"TITLE", "title", 80},
                                      {NULL, NULL, 0}};
    srr_error err = {0};
    json_t *index = json_array();
    char *buf = NULL, *path = NULL;
    size_t len = 0, i;
    FILE *f;
    int code = SRR_EXIT_OK;
    if (srr_mkdirs(dir, &err) != SRR_OK) {
        srr_say_error("srr: %s\n", err.msg);
        json_decref(index);
        return SRR_EXIT_FAIL;
    }
    for (i = 0; i < json_array_size(recs) && code == SRR_EXIT_OK; i++) {
        const json_t *r = json_array_get(recs, i);
        const char *id = json_string_value(json_object_get(r, "id"));
        char *page = render(r);
        json_t *row = json_deep_copy(r);
        char *link = srr_asprintf("[%s](%s.md)", id, id);
        json_object_set_new(row, "id", json_string(link));
        json_array_append_new(index, row);
        free(link);
        path = srr_asprintf("%s/%s.md", dir, id);
        if (srr_file_write_atomic(path, page, strlen(page), &err) != SRR_OK) {
            srr_say_error("srr: %s\n", err.msg);
            code = SRR_EXIT_FAIL;
        }
        free(path);
        free(page);
    }
    if (code == SRR_EXIT_OK) {
        f = open_memstream(&buf, &len);
        if (f) {
            fprintf(f, "# System Risk Records\n\n");
            srr_cli_print_list(f, index, cols, SRR_FMT_MD, "No records.");
            fclose(f);
        }
        path = srr_asprintf("%s/index.md", dir);
        if (srr_file_write_atomic(path, buf ? buf : "", buf ? strlen(buf) : 0, &err) != SRR_OK) {
            srr_say_error("srr: %s\n", err.msg);
            code = SRR_EXIT_FAIL;
        } else {
            srr_say_info("srr: wrote %zu page(s) and index.md into %s\n", json_array_size(recs),
                    dir);
        }
        free(path);
    }
    free(buf);
    json_decref(index);
    return code;
}

int srr_cmd_export(int argc, char **argv)
{
    static const char usage[] = "srr export --format csv|json|md [-c FILE] [--status S]"
                                " [--kind risks|backlog|all] [--label L] [-o FILE|DIR]";
    static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
                                             {"format", required_argument, NULL, 'f'},
                                             {"status", required_argument, NULL, 's'},
                                             {"kind", required_argument, NULL, 'k'},
                                             {"label", required_argument, NULL, 'l'},
                                             {"output", required_argument, NULL, 'o'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *config = NULL, *format = NULL, *status = NULL, *kind = "risks", *outpath = NULL;
    const char *label = NULL;
    srr_config *cfg = NULL;
    srr_store *st = NULL;
    json_t *recs = NULL;
    srr_error err = {0};
    int c, code;
    srr_rc rc;
    optind = 1;
    while ((c = srr_getopt_long(argc, argv, "c:f:s:k:l:o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'f': format = optarg; break;
        case 's': status = optarg; break;
        case 'k': kind = optarg; break;
        case 'l': label = optarg; break;
        case 'o': outpath = optarg; break;
        case 'h': printf("usage: %s\n", usage); return SRR_EXIT_OK;
        default: srr_say_error("usage: %s\n", usage); return SRR_EXIT_USAGE;
        }
    }
    if (optind != argc || !format) {
        srr_say_error("usage: %s\n", usage);
        return SRR_EXIT_USAGE;
    }
    {   /* unknown values are refused with the allowed ones, never matched to nothing */
        static const char *const formats[] = {"csv", "json", "md", NULL};
        static const char *const kinds[] = {"risks", "backlog", "all", NULL};
        static const char *const any[] = {"draft",    "open",     "mitigating", "resolved",
                                          "accepted", "rejected", "merged",     "done",
                                          NULL};
        const char *const *statuses = strcmp(kind, "risks") == 0     ? SRR_CLI_RISK_STATUSES
                                      : strcmp(kind, "backlog") == 0 ? SRR_CLI_BACKLOG_STATUSES
                                                                     : any;
        if (srr_cli_choice("--format", format, formats) != 0 ||
            srr_cli_choice("--kind", kind, kinds) != 0 ||
            srr_cli_choice("--status", status, statuses) != 0)
            return SRR_EXIT_USAGE;
    }
    st = srr_cli_open_store(config, &cfg, &code);
    if (!st)
        return code;
    rc = srr_export_collect(st, kind, status, &recs, &err);
    if (rc == SRR_OK && label)
        srr_cli_keep_label(recs, label);
    if (rc != SRR_OK) {
        srr_say_error("srr: %s\n", err.msg);
        code = srr_cli_exit_of(rc);
    } else if (strcmp(format, "csv") == 0) {
        char *csv = srr_export_csv(recs, &cfg->team);
        code = write_text(outpath, csv);
        free(csv);
    } else if (strcmp(format, "json") == 0) {
        char *js = json_dumps(recs, JSON_INDENT(2));
        char *text = srr_asprintf("%s\n", js ? js : "[]");
        code = write_text(outpath, text);
        free(text);
        free(js);
    } else {
        code = write_markdown(recs, outpath ? outpath : "srr-export");
    }
    json_decref(recs);
    srr_store_close(&st);
    srr_config_destroy(cfg);
    return code;
}
