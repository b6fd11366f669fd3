/* SPDX-License-Identifier: Apache-2.0
 *
 * test_cli.c - the command table is the one source of help: `srr help CMD`
 * and `srr CMD --help` print the same text for every command, the man pages
 * are written from it, and --version names every library. With
 * --log-format json every line srr writes on stderr (errors, usage, bad
 * options, config errors) and doctor's report is one JSON object.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srr.h"
#include "testutil.h"

static void run(tu_run *r, const char *a1, const char *a2, const char *a3)
{
    const char *argv[] = {SRR_BIN, a1, a2, a3, NULL};
    tu_exec(argv, NULL, NULL, r);
}

Test(cli, every_command_has_the_same_help_both_ways)
{
    tu_run list;
    run(&list, "help", NULL, NULL);
    cr_assert_eq(list.status, 0);
    /* Each command line of the usage: "  NAME   summary". */
    size_t n = 0;
    char *save = NULL;
    for (char *line = strtok_r(list.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char name[32];
        if (strncmp(line, "  ", 2) != 0 || sscanf(line + 2, "%31s", name) != 1)
            continue;
        tu_run a, b;
        run(&a, "help", name, NULL);
        run(&b, name, "--help", NULL);
        cr_assert_eq(a.status, 0, "srr help %s: %s", name, a.err);
        cr_assert_eq(b.status, 0, "srr %s --help: %s", name, b.err);
        cr_assert_str_eq(a.out, b.out, "help for %s differs", name);
        cr_assert(strstr(a.out, "usage: srr ") == a.out, "%s", a.out);
        tu_run_free(&a);
        tu_run_free(&b);
        n++;
    }
    cr_assert_geq(n, 15, "only %zu commands listed", n);
    tu_run_free(&list);
}

Test(cli, man_pages_are_written_from_the_tables)
{
    tu_run r;
    run(&r, "man", "1", NULL);
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, ".TH SRR 1") != NULL);
    cr_assert(strstr(r.out, ".B srr sweep") != NULL);
    cr_assert(strstr(r.out, ".B srr doctor") != NULL);
    tu_run_free(&r);
    run(&r, "man", "5", NULL);
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, ".TH SRR.YAML 5") != NULL);
    cr_assert(strstr(r.out, ".B datadog.api_url") != NULL);
    cr_assert(strstr(r.out, ".B webhook.token_header") != NULL);
    tu_run_free(&r);
    run(&r, "man", "7", NULL);
    cr_assert_eq(r.status, 2);
    tu_run_free(&r);
}

/* The README's configuration reference is `srr config reference`, whole:
 * the core options, the sinks' sections and the keys, conditions and
 * notes of core/reference.c. */
Test(cli, readme_has_the_whole_config_reference)
{
    tu_run r;
    char *readme = NULL;
    size_t len = 0;
    run(&r, "config", "reference", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "| `notion.database_id` |"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "#### Conditions"), "%s", r.out);
    cr_assert_eq(srr_file_read(SRR_SOURCE_DIR "/README.md", 0, &readme, &len, NULL), SRR_OK);
    cr_assert_not_null(strstr(readme, r.out),
                       "README.md's reference differs from `srr config reference`: regenerate "
                       "the block between its markers");
    free(readme);
    tu_run_free(&r);
}

Test(cli, version_names_the_libraries)
{
    tu_run r;
    run(&r, "--version", NULL, NULL);
    cr_assert_eq(r.status, 0);
    for (const char *lib = "libcurl\0librdkafka\0SQLite\0jansson\0libmicrohttpd\0"; *lib;
         lib += strlen(lib) + 1)
        cr_assert(strstr(r.out, lib) != NULL, "no %s in: %s", lib, r.out);
    tu_run_free(&r);
}

/* Every non-empty line of `text` is a JSON object with ts, level and msg;
 * returns how many lines there were. */
static size_t all_json(const char *text, const char *what)
{
    char *copy = srr_strdup(text), *save = NULL;
    size_t n = 0;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_error_t e;
        json_t *o = json_loads(line, 0, &e);
        cr_assert(json_is_object(o), "%s: not a JSON line: %s", what, line);
        cr_assert(json_is_string(json_object_get(o, "ts")) &&
                      json_is_string(json_object_get(o, "level")) &&
                      json_is_string(json_object_get(o, "msg")),
                  "%s: %s", what, line);
        json_decref(o);
        n++;
    }
    free(copy);
    return n;
}

Test(cli, json_log_format_holds_for_every_line)
{
    char *dir = tu_mkdtemp();
    char *bad = tu_write_file(dir, "bad.yaml", "store:\n  pathh: x.db\n");
    char *good = tu_write_file(dir, "good.yaml", "store:\n  path: srr.db\n");
    const char *cases[][8] = {
        {"nope", NULL},
        {"risks", "list", "--bogus", NULL},
        {"risks", "list", "--status", NULL},
        {"risks", "frobnicate", NULL},
        {"config", "check", "-c", bad, NULL},
        {"risks", "show", "SRR-99", "-c", good, NULL},
        {"risks", "resolve", "-c", good, NULL},
        {"export", "--format", "table", "-c", good, NULL},
        {"doctor", "-c", good, "--role", "dance", NULL},
        {"policy", "explain", "-c", good, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *argv[12] = {SRR_BIN, "--log-format", "json"};
        size_t n = 3;
        for (size_t k = 0; cases[i][k]; k++)
            argv[n++] = cases[i][k];
        argv[n] = NULL;
        tu_run r;
        tu_exec(argv, NULL, dir, &r);
        cr_assert_neq(r.status, 0, "%s %s succeeded", cases[i][0], cases[i][1]);
        cr_assert_geq(all_json(r.err, cases[i][0]), 1, "%s: nothing on stderr", cases[i][0]);
        tu_run_free(&r);
    }
    /* Doctor's report is JSON on stdout, one object per check. */
    const char *doc[] = {SRR_BIN, "--log-format", "json", "doctor", "-c", good, "--offline",
                         "--role", "serve", NULL};
    const char *env[] = {"SRR_WEBHOOK_TOKEN=", NULL};
    tu_run r;
    tu_exec(doc, env, dir, &r);
    cr_assert_eq(r.status, 1);
    cr_assert_geq(all_json(r.out, "doctor"), 5, "%s", r.out);
    cr_assert(strstr(r.out, "\"check\":\"webhook\",\"result\":\"FAIL\"") != NULL, "%s", r.out);
    all_json(r.err, "doctor stderr");
    tu_run_free(&r);
    /* The same in text stays text, as before. */
    const char *txt[] = {SRR_BIN, "risks", "list", "--bogus", NULL};
    tu_exec(txt, NULL, dir, &r);
    cr_assert(strncmp(r.err, "srr: unrecognized option '--bogus'\nusage: srr risks list", 52) == 0,
              "%s", r.err);
    tu_run_free(&r);
    free(bad);
    free(good);
    tu_rmdir_r(dir);
    free(dir);
}
