/* SPDX-License-Identifier: Apache-2.0
 *
 * cli.c - shared helpers of the srr subcommands: config loading with exit
 * codes, and list printing as table, JSON or markdown.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "backup.h"
#include "queue.h"
#include "rules.h"
#include "srr.h"
#include "store.h"
#include "store_tune.h"
#include "textsafe.h"
#include "writer.h"

int srr_getopt_long(int argc, char *const *argv, const char *optstring,
                    const struct option *longopts, int *longindex)
{
    char quiet[64];
    size_t lead = optstring[0] == '+' || optstring[0] == '-';
    int c, saved = opterr;
    /* A ':' first (after any '+') tells a missing argument (':') from an
     * unknown option ('?'), and keeps getopt quiet. */
    snprintf(quiet, sizeof(quiet), "%.*s:%s", (int)lead, optstring, optstring + lead);
    opterr = 0;
    c = getopt_long(argc, argv, quiet, longopts, longindex);
    opterr = saved;
    if (c == '?' || c == ':') {
        const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
        if (c == ':')
            srr_say_error("srr: option '%s' requires an argument", arg);
        else if (optopt && strncmp(arg, "--", 2) != 0)
            srr_say_error("srr: invalid option -- '%c'", optopt);
        else
            srr_say_error("srr: unrecognized option '%s'", arg);
        return '?';
    }
    return c;
}

int srr_cli_sub_config(int argc, char **argv, const char **config)
{
    static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
                                             {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = srr_getopt_long(argc - 1, argv + 1, "c:", longopts, NULL)) != -1) {
        if (c == 'c')
            *config = optarg;
        else
            return SRR_EXIT_USAGE;
    }
    return SRR_EXIT_OK;
}

int srr_cli_format(const char *s, srr_format *out)
{
    if (strcmp(s, "table") == 0)
        *out = SRR_FMT_TABLE;
    else if (strcmp(s, "json") == 0)
        *out = SRR_FMT_JSON;
    else if (strcmp(s, "md") == 0 || strcmp(s, "markdown") == 0)
        *out = SRR_FMT_MD;
    else {
        srr_say_error("srr: unknown --format '%s' (expected table, json or md)\n", s);
        return -1;
    }
    return 0;
}

const char *const SRR_CLI_RISK_STATUSES[] = {"draft",    "open",     "mitigating", "resolved",
                                             "accepted", "rejected", "merged",     NULL};
const char *const SRR_CLI_BACKLOG_STATUSES[] = {"draft", "accepted", "done", "rejected", NULL};
const char *const SRR_CLI_INV_STATUSES[] = {"open", "promoted", "closed", NULL};
const char *const SRR_CLI_URGENCIES[] = {"low", "medium", "high", "critical", NULL};

int srr_cli_choice(const char *option, const char *value, const char *const *allowed)
{
    srr_buf b;
    size_t i;
    if (!value)
        return 0;
    for (i = 0; allowed[i]; i++)
        if (strcmp(value, allowed[i]) == 0)
            return 0;
    srr_buf_init(&b, 0);
    srr_buf_printf(&b, "srr: unknown %s '%s' (expected one of:", option,
                   srr_cli_safe(value, SRR_FMT_TABLE, 0));
    for (i = 0; allowed[i]; i++)
        srr_buf_printf(&b, "%s %s", i ? "," : "", allowed[i]);
    srr_say_error("%s)\n", b.data);
    srr_buf_free(&b);
    return -1;
}

/* "90d" or "3650d" for messages. */
static void duration_text(int64_t s, char *buf, size_t cap)
{
    if (s % 86400 == 0)
        snprintf(buf, cap, "%lldd", (long long)(s / 86400));
    else if (s % 3600 == 0)
        snprintf(buf, cap, "%lldh", (long long)(s / 3600));
    else
        snprintf(buf, cap, "%llds", (long long)s);
}

int srr_cli_duration(const char *option, const char *text, int64_t min_s, int64_t max_s,
                     int64_t *out)
{
    char lo[32], hi[32];
    int64_t v = 0;
    duration_text(min_s, lo, sizeof lo);
    duration_text(max_s, hi, sizeof hi);
    if (srr_duration_parse(text, &v) != SRR_OK) {
        srr_say_error("srr: %s '%s' is not a duration between %s and %s (e.g. 90d, 12h)\n",
                      option, srr_cli_safe(text, 0, 0), lo, hi);
        return -1;
    }
    if (v < min_s || v > max_s) {
        srr_say_error("srr: %s '%s' is out of range: between %s and %s\n", option,
                      srr_cli_safe(text, 0, 0), lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

int srr_cli_count(const char *option, const char *text, long long min, long long max,
                  long long *out)
{
    char *end = NULL;
    long long v;
    errno = 0;
    v = strtoll(text, &end, 10);
    if (errno || end == text || *end || v < min || v > max) {
        srr_say_error("srr: %s '%s' must be a whole number between %lld and %lld\n", option,
                      srr_cli_safe(text, 0, 0), min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int srr_cli_no_core_dumps(void)
{
    struct rlimit none = {0, 0};
    int ok = prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0;
    ok &= setrlimit(RLIMIT_CORE, &none) == 0;
    return ok ? 0 : -1;
}

srr_config *srr_cli_load_config(const char *path, int *exit_code)
{
    srr_config *cfg = NULL;
    srr_error err = {0};
    const char *p = srr_config_locate(path);
    srr_rc rc = srr_config_load(p, &cfg, &err);
    if (rc != SRR_OK) {
        srr_say_error("srr: %s\n", err.msg);
        *exit_code = rc == SRR_EINVAL ? SRR_EXIT_USAGE : SRR_EXIT_FAIL;
        return NULL;
    }
    /* The Datadog keys and the webhook secret are in memory from here on:
     * no core dump may carry them, and no other process of this user may
     * read this one's memory. */
    if (srr_cli_no_core_dumps() != 0)
        srr_say_error("srr: warning: cannot turn core dumps off\n");
    return cfg;
}

srr_config *srr_cli_load_policy(const char *path, srr_ruleset **rs, int *exit_code)
{
    srr_error err = {0};
    srr_config *cfg = srr_cli_load_config(path, exit_code);
    *rs = NULL;
    if (cfg && srr_rules_compile(cfg, rs, &err) != SRR_OK) {
        srr_say_error("srr: %s\n", err.msg);
        *exit_code = SRR_EXIT_USAGE;
        srr_config_destroy(cfg);
        return NULL;
    }
    return cfg;
}

const char *srr_cli_text(const json_t *obj, const char *key)
{
    static char buf[512];
    const json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return "";
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_array(v)) { /* labels: "capacity, postgres" */
        size_t i, len = 0;
        buf[0] = '\0';
        for (i = 0; i < json_array_size(v) && len < sizeof(buf); i++) {
            const char *e = json_string_value(json_array_get(v, i));
            len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? ", " : "",
                                    e ? e : "…");
        }
        return buf;
    }
    if (json_is_integer(v)) {
        snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
        return buf;
    }
    if (json_is_real(v)) {
        snprintf(buf, sizeof(buf), "%g", json_real_value(v));
        return buf;
    }
    if (json_is_true(v))
        return "yes";
    if (json_is_false(v))
        return "no";
    return "…";
}

void srr_cli_keep_label(json_t *arr, const char *label)
{
    size_t i = 0, j;
    while (i < json_array_size(arr)) {
        const json_t *labels = json_object_get(json_array_get(arr, i), "labels");
        int hit = 0;
        for (j = 0; j < json_array_size(labels) && !hit; j++)
            hit = json_is_string(json_array_get(labels, j)) &&
                  strcmp(json_string_value(json_array_get(labels, j)), label) == 0;
        if (hit)
            i++;
        else
            json_array_remove(arr, i);
    }
}

const char *srr_cli_safe(const char *s, srr_format fmt, int multiline)
{
    /* a ring, so one printf can show several fields */
    static char *ring[SRR_CLI_SAFE_RING];
    static unsigned next;
    unsigned slot = next++ % SRR_CLI_SAFE_RING;
    free(ring[slot]);
    ring[slot] = srr_text_safe(s, (multiline ? SRR_TEXT_MULTILINE : 0) |
                                      (fmt == SRR_FMT_MD ? SRR_TEXT_MARKDOWN : 0));
    return ring[slot];
}

const char *srr_cli_field(const json_t *obj, const char *key, srr_format fmt)
{
    return srr_cli_safe(srr_cli_text(obj, key), fmt, 0);
}

/* Copies a cell, replacing newlines and tabs by spaces, showing control
 * characters as escapes (textsafe.h; in Markdown also escaping HTML and
 * the cell separator) and cutting it to max_width code points. Caller
 * frees. */
static char *cell(const json_t *row, const srr_column *c, srr_format fmt)
{
    char *raw = srr_strdup(srr_cli_text(row, c->key)), *s;
    size_t i;
    for (i = 0; raw[i]; i++)
        if (raw[i] == '\n' || raw[i] == '\t' || raw[i] == '\r' ||
            (c->max_width && fmt != SRR_FMT_MD && raw[i] == '|'))
            raw[i] = ' ';
    s = srr_text_safe(raw, fmt == SRR_FMT_MD ? SRR_TEXT_MARKDOWN : 0);
    free(raw);
    if (fmt == SRR_FMT_MD && strchr(s, '|')) { /* a | would end the cell */
        srr_buf b;
        srr_buf_init(&b, 0);
        for (i = 0; s[i]; i++)
            srr_buf_append(&b, s[i] == '|' ? "\\|" : &s[i], s[i] == '|' ? 2 : 1);
        free(s);
        s = srr_buf_steal(&b);
    }
    if (c->max_width && srr_u8_chars(s) > (size_t)c->max_width) {
        size_t cut = srr_u8_prefix(s, (size_t)c->max_width - 1);
        char *t = srr_asprintf("%.*s…", (int)cut, s);
        free(s);
        s = t;
    }
    return s;
}

void srr_cli_print_list(FILE *out, const json_t *arr, const srr_column *cols, srr_format fmt,
                        const char *empty)
{
    size_t ncol = 0, i, j, n = json_array_size(arr);
    size_t *width;
    if (fmt == SRR_FMT_JSON) {
        char *s = json_dumps(arr, JSON_INDENT(2));
        fprintf(out, "%s\n", s);
        free(s);
        return;
    }
    if (n == 0) {
        fprintf(out, "%s\n", empty);
        return;
    }
    while (cols[ncol].header)
        ncol++;
    /* Widths in code points: good enough for the Latin, symbol and
     * sparkline characters srr prints. */
    width = srr_calloc(ncol, sizeof(size_t));
    for (j = 0; j < ncol; j++)
        width[j] = srr_u8_chars(cols[j].header);
    for (i = 0; i < n; i++) {
        for (j = 0; j < ncol; j++) {
            char *c = cell(json_array_get(arr, i), &cols[j], fmt);
            size_t w = srr_u8_chars(c);
            if (w > width[j])
                width[j] = w;
            free(c);
        }
    }
    for (j = 0; j < ncol; j++) {
        if (fmt == SRR_FMT_MD)
            fprintf(out, "| %s ", cols[j].header);
        else
            fprintf(out, "%-*s%s", j + 1 < ncol ? (int)width[j] : 0, cols[j].header,
                    j + 1 < ncol ? "  " : "\n");
    }
    if (fmt == SRR_FMT_MD) {
        fprintf(out, "|\n");
        for (j = 0; j < ncol; j++)
            fprintf(out, "|---");
        fprintf(out, "|\n");
    }
    for (i = 0; i < n; i++) {
        srr_buf line;
        srr_buf_init(&line, 0);
        for (j = 0; j < ncol; j++) {
            char *c = cell(json_array_get(arr, i), &cols[j], fmt);
            if (fmt == SRR_FMT_MD) {
                srr_buf_printf(&line, "| %s ", c);
            } else {
                size_t w = srr_u8_chars(c);
                srr_buf_printf(&line, "%s", c);
                if (j + 1 < ncol)
                    srr_buf_printf(&line, "%*s", (int)(width[j] - w + 2), "");
            }
            free(c);
        }
        /* No trailing blanks when the last cells are empty. */
        while (fmt != SRR_FMT_MD && line.len > 0 && line.data[line.len - 1] == ' ')
            line.data[--line.len] = '\0';
        fprintf(out, "%s%s", line.data ? line.data : "", fmt == SRR_FMT_MD ? "|\n" : "\n");
        srr_buf_free(&line);
    }
    free(width);
}

static int drain(const srr_config *cfg, int once, volatile sig_atomic_t *stop, const char *who,
                 int64_t window_end, int quiet, srr_apply_stats *out)
{
    srr_store *st = NULL;
    srr_consumer *cons = NULL;
    srr_ruleset *rs = NULL;
    srr_apply_stats stats;
    srr_writer_opts wo = {500, once, 500, stop, window_end};
    srr_error err = {0};
    int code = SRR_EXIT_OK, hold;
    memset(&stats, 0, sizeof(stats));
    /* Random hash ids: a page cache sized for the writer (store_tune.h). */
    srr_store_tune_cache(SRR_STORE_WRITER_CACHE_KIB);
    /* The writer decides again, with each fingerprint's history, by the
     * same policy the producers ran (rules/final.c, DESIGN.md section 3). */
    if (srr_rules_compile(cfg, &rs, &err) != SRR_OK) {
        srr_say_error("%s: %s\n", who, err.msg);
        return SRR_EXIT_USAGE;
    }
    /* held while writing: srr restore refuses meanwhile (backup.h) */
    hold = srr_store_hold(cfg->store.path, &err);
    if (hold < 0) {
        srr_say_error("%s: %s\n", who, err.msg);
        srr_rules_destroy(rs);
        return SRR_EXIT_FAIL;
    }
    if (srr_store_open(cfg->store.path, &st, &err) == SRR_OK)
        srr_store_set_rules(st, rs);
    if (!st || srr_consumer_open(cfg, &cons, &err) != SRR_OK ||
        srr_writer_drain(cons, st, &wo, &stats, &err) != SRR_OK) {
        srr_say_error("%s: writing to the store failed: %s\n", who, err.msg);
        code = SRR_EXIT_FAIL;
    } else if (!quiet) {
        printf("store %s: %zu new draft risk(s), %zu new draft backlog item(s), "
               "%zu new investigation(s), %zu attached as evidence, %zu already stored, "
               "%zu ignored, %zu promoted, %zu closed, %zu quarantined\n",
               cfg->store.path, stats.new_risks, stats.new_backlog, stats.new_investigations,
               stats.evidence, stats.duplicates, stats.ignored, stats.promoted, stats.closed,
               stats.quarantined);
    }
    if (out)
        srr_apply_stats_add(out, &stats);
    srr_consumer_close(&cons);
    srr_store_close(&st);
    srr_rules_destroy(rs);
    close(hold);
    return code;
}

int srr_cli_drain(const srr_config *cfg, int once, volatile sig_atomic_t *stop, const char *who)
{
    return drain(cfg, once, stop, who, 0, 0, NULL);
}

int srr_cli_drain_window(const srr_config *cfg, int64_t window_end, int quiet, const char *who,
                         srr_apply_stats *stats)
{
    return drain(cfg, 1, NULL, who, window_end, quiet, stats);
}
