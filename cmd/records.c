/* SPDX-License-Identifier: Apache-2.0
 *
 * records.c - the read side an engineer uses: `srr risks list|show`,
 * `srr backlog list|show`, `srr investigations list`, and the dispatch of
 * the changes (cmd/workflow.c). `show` lays a risk out as the SRR detail
 * page (overview, log from recognition to cause, cause, countermeasure
 * policy, countermeasure log, next action, properties, the thing's value
 * window by window with its members, evidence with a sparkline of
 * occurrences per week and the sample log messages each sighting kept);
 * `srr investigations show` an investigation.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "store.h"
#include "workflow.h"

#define SPARK_WEEKS 12

typedef struct read_opts {
    const char *config;
    const char *status;
    const char *label;
    srr_format fmt;
    const char *id;
} read_opts;

/* Parses [-c FILE] [--status S] [--label L] [--format F] [ID]; `want_id`
 * says whether one positional ID is required. Returns 0, or an exit code + 1. */
static int parse_read(int argc, char **argv, int want_id, const char *usage, read_opts *o)
{
    static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
                                             {"status", required_argument, NULL, 's'},
                                             {"label", required_argument, NULL, 'l'},
                                             {"format", required_argument, NULL, 'f'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int c;
    memset(o, 0, sizeof(*o));
    optind = 1;
    while ((c = srr_getopt_long(argc, argv, "c:s:f:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': o->config = optarg; break;
        case 's': o->status = optarg; break;
        case 'l': o->label = optarg; break;
        case 'f':
            if (srr_cli_format(optarg, &o->fmt) != 0)
                return SRR_EXIT_USAGE + 1;
            break;
        case 'h': printf("usage: %s\n", usage); return SRR_EXIT_OK + 1;
        default: srr_say_error("usage: %s\n", usage); return SRR_EXIT_USAGE + 1;
        }
    }
    if (want_id) {
        if (optind + 1 != argc) {
            srr_say_error("usage: %s\n", usage);
            return SRR_EXIT_USAGE + 1;
        }
        o->id = argv[optind];
    } else if (optind != argc) {
        srr_say_error("srr: unexpected argument '%s'\nusage: %s\n", argv[optind], usage);
        return SRR_EXIT_USAGE + 1;
    }
    return 0;
}

/* Opens the config and the store; prints the error and returns NULL. */
static srr_store *open_store(const read_opts *o, srr_config **cfg, int *code)
{
    return srr_cli_open_store(o->config, cfg, code);
}

typedef srr_rc (*list_fn)(srr_store *, const char *, json_t **, srr_error *);
typedef srr_rc (*get_fn)(srr_store *, const char *, json_t **, srr_error *);

static int run_list(int argc, char **argv, const char *usage, list_fn fn, const srr_column *cols,
                    const char *empty, const char *const *statuses)
{
    read_opts o;
    srr_config *cfg = NULL;
    srr_store *st;
    json_t *arr = NULL;
    srr_error err = {0};
    int code = parse_read(argc, argv, 0, usage, &o);
    if (code)
        return code - 1;
    if (srr_cli_choice("--status", o.status, statuses) != 0)
        return SRR_EXIT_USAGE;
    st = open_store(&o, &cfg, &code);
    if (!st)
        return code;
    if (fn(st, o.status, &arr, &err) != SRR_OK) {
        srr_say_error("srr: %s\n", err.msg);
        code = SRR_EXIT_FAIL;
    } else {
        if (o.label)
            srr_cli_keep_label(arr, o.label);
        srr_cli_print_list(stdout, arr, cols, o.fmt, empty);
    }
    json_decref(arr);
    srr_store_close(&st);
    srr_config_destroy(cfg);
    return code;
}

/* Prints "## Heading" then the text (multi-line, made safe), or a
 * placeholder when empty. */
static void section(FILE *out, const char *heading, const char *text, const char *none,
                    srr_format fmt)
{
    size_t n = text ? strlen(text) : 0;
    while (n > 0 && text[n - 1] == '\n')
        n--;
    if (n == 0) {
        fprintf(out, "\n## %s\n%s\n", heading, none);
    } else {
        char *cut = srr_strndup(text, n);
        fprintf(out, "\n## %s\n%s\n", heading, srr_cli_safe(cut, fmt, 1));
        free(cut);
    }
}

static void log_section(FILE *out, const char *heading, const json_t *log, const char *none,
                        srr_format fmt)
{
    size_t i;
    fprintf(out, "\n## %s\n", heading);
    if (json_array_size(log) == 0) {
        fprintf(out, "%s\n", none);
        return;
    }
    for (i = 0; i < json_array_size(log); i++) {
        const json_t *e = json_array_get(log, i);
        fprintf(out, "- %s (%s) %s\n", srr_cli_field(e, "at", fmt), srr_cli_field(e, "author", fmt),
                srr_cli_field(e, "text", fmt));
    }
}

static void prop(FILE *out, const char *name, const json_t *rec, const char *key, srr_format fmt)
{
    const char *v = srr_cli_field(rec, key, fmt);
    char *cell = NULL;
    if (strchr(v, '|')) { /* a | would end the table cell */
        srr_buf b;
        srr_buf_init(&b, 0);
        for (; *v; v++)
            srr_buf_append(&b, *v == '|' ? "\\|" : v, *v == '|' ? 2 : 1);
        cell = srr_buf_steal(&b);
        v = cell;
    }
    fprintf(out, "| %s | %s |\n", name, *v ? v : "—");
    free(cell);
}

static void evidence_section(FILE *out, const json_t *rec, srr_format fmt)
{
    const json_t *ev = json_object_get(rec, "evidence");
    const json_t *recent = json_object_get(ev, "recent");
    size_t i;
    fprintf(out, "\n## Evidence\n");
    fprintf(out, "First seen %s, last seen %s, %s occurrence(s).\n",
            srr_cli_field(ev, "first_seen", fmt), srr_cli_field(ev, "last_seen", fmt),
            srr_cli_field(ev, "occurrences", fmt));
    if (json_object_get(ev, "sparkline"))
        fprintf(out, "Occurrences per week (last %zu weeks, oldest first): %s\n",
                json_array_size(json_object_get(ev, "weekly")), srr_cli_field(ev, "sparkline", fmt));
    for (i = 0; i < json_array_size(recent); i++) {
        const json_t *e = json_array_get(recent, i);
        fprintf(out, "- %s %s: %s\n", srr_cli_field(e, "observed_at", fmt),
                srr_cli_field(e, "status", fmt), srr_cli_field(e, "summary", fmt));
        srr_cli_print_samples(out, json_object_get(e, "evidence"), "    ", fmt);
    }
}

void srr_cli_print_samples(FILE *out, const json_t *evidence, const char *indent,
                           srr_format fmt)
{
    const json_t *samples = json_object_get(evidence, "samples");
    size_t i;
    const json_t *smp;
    json_array_foreach(samples, i, smp)
    {
        const char *ts = json_string_value(json_object_get(smp, "timestamp"));
        const char *msg = json_string_value(json_object_get(smp, "message"));
        char *line;
        if (!msg)
            continue;
        /* One line per sample: a message's own line breaks would break the
         * page's layout; its control characters are shown, not obeyed. */
        line = srr_strdup(msg);
        for (char *p = line; *p; p++)
            if (*p == '\n' || *p == '\r')
                *p = ' ';
        fprintf(out, "%s> %s%s%s\n", indent, ts ? srr_cli_safe(ts, fmt, 0) : "", ts ? " " : "",
                srr_cli_safe(line, fmt, 0));
        free(line);
    }
}

/* Text of a number member of o ("" when absent). */
static const char *num_text(const json_t *o, const char *key, char *buf, size_t n)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_number(v))
        return "";
    snprintf(buf, n, "%.0f", json_number_value(v));
    return buf;
}

/* One row of a page's property table: its label and the record's key. */
typedef struct {
    const char *label, *key;
} page_prop;

/* A record page's title and its property table, the rows of `props` (up
 * to the row whose label is NULL) in order. */
static void page_head(FILE *out, const json_t *rec, const page_prop *props, srr_format fmt)
{
    fprintf(out, "# %s: %s\n", srr_cli_field(rec, "id", fmt), srr_cli_field(rec, "title", fmt));
    fprintf(out, "\n| property | value |\n|---|---|\n");
    for (; props->label; props++)
        prop(out, props->label, rec, props->key, fmt);
}

/* The thing a record follows and its value window by window (DESIGN.md
 * section 3): group, members, a chart of the values, latest and worst,
 * then a table, oldest first. */
static void thing_section(FILE *out, const json_t *rec, srr_format fmt)
{
    const json_t *th = json_object_get(rec, "thing"), *wins = json_object_get(th, "windows");
    const json_t *mem = json_object_get(th, "members");
    char days[32];
    size_t i;
    if (!th)
        return;
    fprintf(out, "\n## The thing, window by window\n");
    fprintf(out, "%s (%s", srr_cli_field(th, "check", fmt), srr_cli_field(th, "source", fmt));
    if (*srr_cli_field(th, "group", fmt))
        fprintf(out, ", %s", srr_cli_field(th, "group", fmt));
    fprintf(out, ")");
    if (json_array_size(mem)) {
        fprintf(out, "; %zu member(s):", json_array_size(mem));
        for (i = 0; i < json_array_size(mem) && i < 10; i++)
            fprintf(out, "%s %s", i ? "," : "", srr_cli_safe(json_string_value(json_array_get(mem, i)), fmt, 0));
        if (json_array_size(mem) > 10)
            fprintf(out, ", ...");
    }
    fprintf(out, "\n");
    if (json_array_size(wins) == 0) {
        fprintf(out, "(not observed yet)\n");
        return;
    }
    fprintf(out, "Value, oldest first: %s  latest %s, worst %s", srr_cli_field(th, "chart", fmt),
            *srr_cli_field(th, "latest_text", fmt) ? srr_cli_field(th, "latest_text", fmt) : "-",
            *srr_cli_field(th, "worst_text", fmt) ? srr_cli_field(th, "worst_text", fmt) : "-");
    if (*srr_cli_field(th, "clear_since", fmt) &&
        json_integer_value(json_object_get(th, "clear_windows")))
        fprintf(out, "; clear since %s (%s window(s) observed clear)",
                srr_cli_field(th, "clear_since", fmt), srr_cli_field(th, "clear_windows", fmt));
    fprintf(out, "\n\n| observed | status | value | members firing | days to limit |\n"
                 "|---|---|---|---|---|\n");
    for (i = 0; i < json_array_size(wins); i++) {
        const json_t *w = json_array_get(wins, i);
        char at[64];
        snprintf(at, sizeof at, "%s", srr_cli_field(w, "at", fmt));
        fprintf(out, "| %s | %s | %s | %s of %s | %s |\n", at, srr_cli_field(w, "status", fmt),
                *srr_cli_field(w, "value_text", fmt) ? srr_cli_field(w, "value_text", fmt) : "no data",
                srr_cli_field(w, "firing_members", fmt), srr_cli_field(w, "members", fmt),
                *num_text(w, "days_to_limit", days, sizeof days) ? days : "—");
    }
}

static const page_prop RISK_PROPS[] = {
    {"Status", "status"},
    {"Urgency", "urgency"},
    {"Impact", "impact"},
    {"Likelihood", "likelihood"},
    {"Assignee", "assignee"},
    {"Labels", "labels"},
    {"Service", "service"},
    {"Env", "env"},
    {"Datadog", "datadog_url"},
    {"Backlog item", "backlog_link"},
    {"Postmortem actions", "postmortem_link"},
    {"Rule", "rule"},
    {"Reopened from", "reopened_from"},
    {"Merged into", "merged_into"},
    {"Approved by", "approved_by"},
    {"Approved at", "approved_at"},
    {"Next review", "next_review_at"},
    {"Created", "created_at"},
    {"Updated", "updated_at"},
    {NULL, NULL}};

/* The SRR detail page of a risk (markdown, readable as plain text too).
 * Every value from the record is made safe for fmt (cli.h). */
void srr_cli_print_risk_page(FILE *out, const json_t *r, srr_format fmt)
{
    page_head(out, r, RISK_PROPS, fmt);
    section(out, "Overview", srr_cli_text(r, "overview"), "(none)", fmt);
    log_section(out, "Log from recognition to cause", json_object_get(r, "recognition_log"),
                "(no entries)", fmt);
    section(out, "Cause", srr_cli_text(r, "cause"), "(unknown yet)", fmt);
    section(out, "Countermeasure policy", srr_cli_text(r, "countermeasure_policy"),
            "(not decided yet)", fmt);
    log_section(out, "Countermeasure log", json_object_get(r, "countermeasure_log"),
                "(no entries)", fmt);
    section(out, "Next action", srr_cli_text(r, "next_action"), "(none)", fmt);
    section(out, "Why srr drafted it", srr_cli_text(r, "reason"), "(no reason recorded)", fmt);
    thing_section(out, r, fmt);
    evidence_section(out, r, fmt);
}

static const page_prop BACKLOG_PROPS[] = {
    {"Status", "status"},
    {"Urgency", "urgency"},
    {"Assignee", "assignee"},
    {"Labels", "labels"},
    {"Service", "service"},
    {"Env", "env"},
    {"Ticket", "ticket_link"},
    {"Datadog", "datadog_url"},
    {"Rule", "rule"},
    {"Created", "created_at"},
    {"Updated", "updated_at"},
    {NULL, NULL}};

void srr_cli_print_backlog_page(FILE *out, const json_t *b, srr_format fmt)
{
    page_head(out, b, BACKLOG_PROPS, fmt);
    section(out, "Description", srr_cli_text(b, "description"), "(none)", fmt);
    section(out, "Why srr drafted it", srr_cli_text(b, "reason"), "(no reason recorded)", fmt);
    thing_section(out, b, fmt);
    evidence_section(out, b, fmt);
}

static const page_prop INV_PROPS[] = {
    {"Status", "status"},
    {"Urgency", "urgency"},
    {"Assignee", "assignee"},
    {"Service", "service"},
    {"Env", "env"},
    {"Opened", "opened_at"},
    {"Deadline", "deadline"},
    {"Thing now", "last_status"},
    {"Outcome", "outcome"},
    {"Risk", "risk_id"},
    {"Resolved by", "resolved_by"},
    {"Datadog", "datadog_url"},
    {"Rule", "rule"},
    {NULL, NULL}};

/* The page of an investigation: what it looks at, its time-box, how it
 * ended, its log, the thing's value window by window and its evidence. */
static void print_investigation_page(FILE *out, const json_t *v, srr_format fmt)
{
    page_head(out, v, INV_PROPS, fmt);
    section(out, "Why it is investigated", srr_cli_text(v, "reason"), "(no reason recorded)", fmt);
    log_section(out, "Log", json_object_get(v, "recognition_log"), "(no entries)", fmt);
    thing_section(out, v, fmt);
    evidence_section(out, v, fmt);
}

/* Adds evidence.weekly (occurrences per week, the SPARK_WEEKS weeks up to
 * today, oldest first: a thing that went quiet shows its quiet weeks) and
 * evidence.sparkline to a record. */
static srr_rc add_weekly(srr_store *st, json_t *rec, srr_error *err)
{
    int counts[SPARK_WEEKS], i;
    json_t *ev = json_object_get(rec, "evidence"), *weekly;
    char *spark;
    srr_rc rc;
    rc = srr_wf_weekly(st, srr_cli_text(rec, "id"), SPARK_WEEKS, srr_now(), counts, err);
    if (rc != SRR_OK || !ev)
        return rc;
    weekly = json_array();
    for (i = 0; i < SPARK_WEEKS; i++)
        json_array_append_new(weekly, json_integer(counts[i]));
    spark = srr_wf_sparkline(counts, SPARK_WEEKS);
    json_object_set_new(ev, "weekly", weekly);
    json_object_set_new(ev, "sparkline", json_string(spark));
    free(spark);
    return SRR_OK;
}

static int run_show(int argc, char **argv, const char *usage, get_fn fn,
                    void (*page)(FILE *, const json_t *, srr_format))
{
    read_opts o;
    srr_config *cfg = NULL;
    srr_store *st;
    json_t *rec = NULL;
    srr_error err = {0};
    srr_rc rc;
    int code = parse_read(argc, argv, 1, usage, &o);
    if (code)
        return code - 1;
    st = open_store(&o, &cfg, &code);
    if (!st)
        return code;
    rc = fn(st, o.id, &rec, &err);
    if (rc == SRR_OK)
        rc = add_weekly(st, rec, &err);
    if (rc != SRR_OK) {
        srr_say_error("srr: %s\n", err.msg);
        code = rc == SRR_ENOTFOUND || rc == SRR_EINVAL ? SRR_EXIT_USAGE : SRR_EXIT_FAIL;
    } else if (o.fmt == SRR_FMT_JSON) {
        char *s = json_dumps(rec, JSON_INDENT(2));
        printf("%s\n", s);
        free(s);
    } else {
        page(stdout, rec, o.fmt);
    }
    json_decref(rec);
    srr_store_close(&st);
    srr_config_destroy(cfg);
    return code;
}

static const srr_column backlog_cols[] = {{"ID", "id", 0},
                                          {"STATUS", "status", 0},
                                          {"URGENCY", "urgency", 0},
                                          {"SERVICE", "service", 20},
                                          {"TITLE", "title", 60},
                                          {"LABELS", "labels", 24},
                                          {"TICKET", "ticket_link", 40},
                                          {NULL, NULL, 0}};
static const srr_column inv_cols[] = {{"ID", "id", 0},
                                      {"STATUS", "status", 0},
                                      {"URGENCY", "urgency", 0},
                                      {"SERVICE", "service", 20},
                                      {"TITLE", "title", 60},
                                      {"LABELS", "labels", 24},
                                      {"DEADLINE", "deadline", 0},
                                      {"SIGNAL", "last_status", 0},
                                      {NULL, NULL, 0}};

static int sub_usage(const char *what, const char *subs)
{
    srr_say_error("usage: srr %s %s\n", what, subs);
    return SRR_EXIT_USAGE;
}

/* srr risks list with its filters (--urgency, --assignee, --service,
 * --stale DURATION: open risks with no human change for that long). */
static int risks_list(int argc, char **argv)
{
    static const char usage[] = "srr risks list [-c FILE] [--status S] [--urgency U]"
                                " [--assignee A] [--service S] [--label L] [--stale 30d]"
                                " [--format table|json|md]";
    static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
                                             {"status", required_argument, NULL, 's'},
                                             {"urgency", required_argument, NULL, 'u'},
                                             {"assignee", required_argument, NULL, 'a'},
                                             {"service", required_argument, NULL, 'S'},
                                             {"label", required_argument, NULL, 'l'},
                                             {"stale", required_argument, NULL, 'x'},
                                             {"format", required_argument, NULL, 'f'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    static const srr_column cols[] = {{"ID", "id", 0},
                                      {"STATUS", "status", 0},
                                      {"URGENCY", "urgency", 0},
                                      {"SERVICE", "service", 20},
                                      {"ASSIGNEE", "assignee", 16},
                                      {"TITLE", "title", 60},
                                      {"LABELS", "labels", 24},
                                      {"LAST SEEN", "last_seen", 0},
                                      {NULL, NULL, 0}};
    srr_wf_filter f;
    srr_format fmt = SRR_FMT_TABLE;
    const char *config = NULL;
    srr_config *cfg = NULL;
    srr_store *st;
    json_t *arr = NULL;
    srr_error err = {0};
    srr_rc rc;
    int c, code;
    memset(&f, 0, sizeof(f));
    optind = 1;
    while ((c = srr_getopt_long(argc, argv, "c:s:f:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 's': f.status = optarg; break;
        case 'u': f.urgency = optarg; break;
        case 'a': f.assignee = optarg; break;
        case 'S': f.service = optarg; break;
        case 'l': f.label = optarg; break;
        case 'x':
            if (srr_cli_duration("--stale", optarg, 3600, 3650 * 86400LL, &f.stale_s) != 0)
                return SRR_EXIT_USAGE;
            break;
        case 'f':
            if (srr_cli_format(optarg, &fmt) != 0)
                return SRR_EXIT_USAGE;
            break;
        case 'h': printf("usage: %s\n", usage); return SRR_EXIT_OK;
        default: srr_say_error("usage: %s\n", usage); return SRR_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        srr_say_error("srr: unexpected argument '%s'\nusage: %s\n", argv[optind], usage);
        return SRR_EXIT_USAGE;
    }
    /* an unknown value would match nothing and look like an empty list */
    if (srr_cli_choice("--status", f.status, SRR_CLI_RISK_STATUSES) != 0 ||
        srr_cli_choice("--urgency", f.urgency, SRR_CLI_URGENCIES) != 0)
        return SRR_EXIT_USAGE;
    f.now = srr_now();
    st = srr_cli_open_store(config, &cfg, &code);
    if (!st)
        return code;
    rc = srr_wf_risks_list(st, &f, &arr, &err);
    if (rc != SRR_OK) {
        srr_say_error("srr: %s\n", err.msg);
        code = srr_cli_exit_of(rc);
    } else {
        srr_cli_print_list(stdout, arr, cols, fmt, "no risks");
        code = SRR_EXIT_OK;
    }
    json_decref(arr);
    srr_store_close(&st);
    srr_config_destroy(cfg);
    return code;
}

static const char RISK_SUBS[] =
    "list|show|approve|reject|merge|assign|log|set|resolve|accept|reopen ...";

int srr_cmd_risks(int argc, char **argv)
{
    static const char *const changes[] = {"approve", "reject",  "merge",  "assign", "log",
                                          "set",     "resolve", "accept", "reopen", NULL};
    int i;
    if (argc < 2)
        return sub_usage("risks", RISK_SUBS);
    if (strcmp(argv[1], "list") == 0)
        return risks_list(argc - 1, argv + 1);
    if (strcmp(argv[1], "show") == 0)
        return run_show(argc - 1, argv + 1, "srr risks show [-c FILE] [--format table|json|md] ID",
                        srr_store_risk_get, srr_cli_print_risk_page);
    for (i = 0; changes[i]; i++)
        if (strcmp(argv[1], changes[i]) == 0)
            return srr_cmd_risk_change(argc - 1, argv + 1);
    srr_say_error("srr risks: unknown subcommand '%s'\n", argv[1]);
    return sub_usage("risks", RISK_SUBS);
}

int srr_cmd_backlog(int argc, char **argv)
{
    static const char subs[] = "list|show|accept|done|reject|assign ...";
    if (argc < 2)
        return sub_usage("backlog", subs);
    if (strcmp(argv[1], "list") == 0)
        return run_list(argc - 1, argv + 1,
                        "srr backlog list [-c FILE] [--status S] [--label L] [--format table|json|md]",
                        srr_store_backlog_list, backlog_cols, "no backlog items",
                        SRR_CLI_BACKLOG_STATUSES);
    if (strcmp(argv[1], "show") == 0)
        return run_show(argc - 1, argv + 1,
                        "srr backlog show [-c FILE] [--format table|json|md] ID",
                        srr_store_backlog_get, srr_cli_print_backlog_page);
    if (strcmp(argv[1], "accept") == 0 || strcmp(argv[1], "done") == 0 ||
        strcmp(argv[1], "reject") == 0 || strcmp(argv[1], "assign") == 0)
        return srr_cmd_backlog_change(argc - 1, argv + 1);
    srr_say_error("srr backlog: unknown subcommand '%s'\n", argv[1]);
    return sub_usage("backlog", subs);
}

int srr_cmd_investigations(int argc, char **argv)
{
    static const char subs[] =
        "list [--status S] | show ID | resolve ID --outcome fixed|backlog|noise";
    if (argc >= 2 && strcmp(argv[1], "resolve") == 0)
        return srr_cmd_investigation_resolve(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "show") == 0)
        return run_show(argc - 1, argv + 1,
                        "srr investigations show [-c FILE] [--format table|json|md] ID",
                        srr_store_investigation_get, print_investigation_page);
    if (argc < 2 || strcmp(argv[1], "list") != 0)
        return sub_usage("investigations", subs);
    return run_list(argc - 1, argv + 1,
                    "srr investigations list [-c FILE] [--status S] [--label L] [--format table|json|md]",
                    srr_store_investigations_list, inv_cols, "no investigations",
                    SRR_CLI_INV_STATUSES);
}
