/* SPDX-License-Identifier: Apache-2.0
 *
 * test_textsafe.c - text from outside never drives a person's terminal:
 * the one function (core/textsafe.h) on every kind of control character,
 * invalid UTF-8 and HTML in Markdown; then the commands that print records
 * (risks list and show, backlog list, export md and csv, audit) given an
 * alert titled with an OSC title change, a screen clear and fake colours:
 * no raw control byte reaches stdout in table or Markdown output, the
 * escapes are visible, Markdown has no live HTML, and JSON stays exact.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srr.h"
#include "store.h"
#include "store_fixtures.h"
#include "testutil.h"
#include "textsafe.h"

#define EVIL_TITLE                                                                                 \
    "\x1b]0;pwned\x07\x1b[2J\x1b[31mFAKE OK <script>alert(1)</script> \xc2\x9b"                    \
    "1m \xe2\x80\xae"                                                                              \
    "evil"

static void check(const char *in, unsigned flags, const char *want)
{
    char *got = srr_text_safe(in, flags);
    cr_assert_str_eq(got, want, "for flags %u", flags);
    free(got);
}

Test(textsafe, each_kind_of_control_is_shown)
{
    check("plain text, ünïcødé ✓ → …", 0, "plain text, ünïcødé ✓ → …");
    check("\x1b[31mred\x07", 0, "\\x1b[31mred\\x07");
    check("a\tb", 0, "a\tb");
    check("line\nnext", 0, "line\\x0anext");
    check("line\nnext", SRR_TEXT_MULTILINE, "line\nnext");
    check("line\r\nnext", SRR_TEXT_MULTILINE, "line\r\nnext");
    check("over\rwrite", SRR_TEXT_MULTILINE, "over\\x0dwrite");
    check("del\x7f", 0, "del\\x7f");
    check("c1 \xc2\x9b"
          "31m",
          0, "c1 \\u009b31m");
    check("raw \x9b"
          "31m \xff",
          0, "raw \\x9b31m \\xff");
    check("bidi \xe2\x80\xae"
          "txt",
          0, "bidi \\u202etxt");
    check("cut \xe2\x80", 0, "cut \\xe2\\x80");
    check("<b>&</b>", 0, "<b>&</b>");
    check("<img src=x onerror=alert(1)> & co", SRR_TEXT_MARKDOWN,
          "&lt;img src=x onerror=alert(1)&gt; &amp; co");
    {
        char buf[12] = "\x1b\x1b\x1b\x1b";
        srr_text_safe_inplace(buf, sizeof buf, 0); /* cut on a whole escape's bytes */
        cr_assert_str_eq(buf, "\\x1b\\x1b");
    }
}

static char *dir, *db, *cfg;

static void setup(void)
{
    srr_store *st = NULL;
    srr_error err = {0};
    srr_candidate c;
    dir = tu_mkdtemp();
    db = srr_asprintf("%s/srr.db", dir);
    cfg = tu_write_file(dir, "srr.yaml", "store:\n  path: srr.db\nqueue:\n  spool_dir: spool\n");
    cr_assert_eq(srr_store_open(db, &st, &err), SRR_OK, "%s", err.msg);
    memset(&c, 0, sizeof c);
    sf_candidate(&c, "evil-1", "fp-evil", SRR_ACTION_RISK, SRR_STATUS_FIRING, 1795392000);
    free(c.title);
    c.title = srr_strdup(EVIL_TITLE);
    cr_assert_eq(srr_store_apply(st, &c, 1, 1795392000, NULL, &err), SRR_OK, "%s", err.msg);
    srr_candidate_clear(&c);
    srr_store_close(&st);
}

static void teardown(void)
{
    tu_rmdir_r(dir);
    free(dir);
    free(db);
    free(cfg);
}

/* No byte that drives a terminal: C0 but newline and tab, DEL, and the
 * C1 / bidi sequences. */
static void assert_inert(const char *what, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        cr_assert(!(*p < 0x20 && *p != '\n' && *p != '\t' && *p != '\r') && *p != 0x7f,
                  "%s: raw control byte 0x%02x at %zu", what, *p,
                  (size_t)(p - (const unsigned char *)s));
        cr_assert(!(p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f), "%s: raw C1", what);
        cr_assert(!(p[0] == 0xe2 && p[1] == 0x80 && p[2] == 0xae), "%s: raw bidi override", what);
    }
    cr_assert(strstr(s, "\\x1b]0;pwned\\x07"), "%s: the escape is not visible: %s", what, s);
}

static void run(tu_run *r, const char *const *args)
{
    tu_srr_args(r, SRR_BIN, args, NULL, NULL, dir);
    cr_assert_eq(r->status, 0, "%s: %s", args[0], r->err);
}

/* Runs args (which must succeed) and asserts what it prints is inert. */
static void run_inert(const char *const *args, const char *what)
{
    tu_run r;
    run(&r, args);
    assert_inert(what, r.out);
    tu_run_free(&r);
}

Test(textsafe, commands_print_no_raw_control_bytes, .init = setup, .fini = teardown, .timeout = 60)
{
    tu_run r;
    const char *list[] = {"risks", "list", "-c", cfg, NULL};
    const char *list_md[] = {"risks", "list", "-c", cfg, "--format", "md", NULL};
    const char *show[] = {"risks", "show", "SRR-1", "-c", cfg, NULL};
    const char *show_md[] = {"risks", "show", "SRR-1", "-c", cfg, "--format", "md", NULL};
    const char *audit[] = {"audit", "-c", cfg, NULL};
    const char *csv[] = {"export", "--format", "csv", "-c", cfg, NULL};
    const char *md[] = {"export", "--format", "md", "-c", cfg, "-o", "wiki", NULL};
    const char *json[] = {"risks", "list", "-c", cfg, "--format", "json", NULL};

    run_inert(list, "risks list");
    run(&r, show);
    assert_inert("risks show", r.out);
    cr_assert(strstr(r.out, "<script>"), "a terminal page keeps < as it is: %s", r.out);
    tu_run_free(&r);
    run(&r, list_md);
    assert_inert("risks list --format md", r.out);
    cr_assert_null(strstr(r.out, "<script"), "live HTML in Markdown: %s", r.out);
    cr_assert(strstr(r.out, "&lt;script&gt;"), "%s", r.out);
    tu_run_free(&r);
    run(&r, show_md);
    assert_inert("risks show --format md", r.out);
    cr_assert_null(strstr(r.out, "<script"), "live HTML in Markdown: %s", r.out);
    tu_run_free(&r);
    run_inert(audit, "audit");
    run_inert(csv, "export csv");
    run(&r, md);
    tu_run_free(&r);
    {
        char *page = NULL, *p = srr_asprintf("%s/wiki/SRR-1.md", dir);
        cr_assert_eq(srr_file_read(p, 0, &page, NULL, NULL), SRR_OK);
        assert_inert("SRR-1.md", page);
        cr_assert_null(strstr(page, "<script"), "live HTML in the wiki page: %s", page);
        free(page);
        free(p);
        p = srr_asprintf("%s/wiki/index.md", dir);
        cr_assert_eq(srr_file_read(p, 0, &page, NULL, NULL), SRR_OK);
        assert_inert("index.md", page);
        free(page);
        free(p);
    }
    /* JSON stays exact: parsed back, the title is what was received */
    run(&r, json);
    {
        json_t *j = json_loads(r.out, 0, NULL);
        cr_assert_not_null(j, "%s", r.out);
        cr_assert_str_eq(json_string_value(json_object_get(json_array_get(j, 0), "title")),
                         EVIL_TITLE);
        json_decref(j);
    }
    tu_run_free(&r);
}

Test(textsafe, log_lines_and_errors_are_inert)
{
    srr_error err = {0};
    srr_error_set(&err, SRR_EINVAL, "Datadog said: %s", "\x1b[2Jcleared\x07");
    cr_assert_str_eq(err.msg, "Datadog said: \\x1b[2Jcleared\\x07");
}
