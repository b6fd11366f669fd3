/* SPDX-License-Identifier: Apache-2.0
 *
 * test_hardening.c - the smaller holes: durations and counts from a person
 * are overflow-checked and bounded (--review-in 99999999999d is refused);
 * an unknown status, urgency, kind or format of a list or export is
 * refused with the allowed values (exit 2) instead of printing nothing;
 * core dumps are off once the secrets are loaded (srr doctor says so,
 * serve's core size limit is 0, the units say LimitCORE=0); the spool, the
 * store, its lock and backups are created owner-only even under umask 022;
 * any run of 8+ characters of a registered secret is redacted.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "srr.h"
#include "testutil.h"
#include "webhook_client.h"

static char *dir, *cfg;

static void setup(void)
{
    char *demo = NULL;
    size_t len;
    dir = tu_mkdtemp();
    /* the demo's checks and policy, with the store and spool here */
    cr_assert_eq(srr_file_read(SRR_SOURCE_DIR "/examples/srr.yaml", 0, &demo, &len, NULL), SRR_OK);
    cfg = tu_write_file(dir, "srr.yaml", demo);
    free(demo);
}

static void teardown(void)
{
    tu_rmdir_r(dir);
    free(dir);
    free(cfg);
}

TestSuite(hardening, .init = setup, .fini = teardown, .timeout = 60);

static void run(tu_run *r, const char *const *args)
{
    const char *env[] = {"SRR_NOW=1795392000", "SRR_WEBHOOK_TOKEN=", "SRR_WEBHOOK_PASSWORD=", NULL};
    tu_srr_args(r, SRR_BIN, args, NULL, env, dir);
}

/* Runs args expecting exit 2 and every `want` string on stderr. */
static void refused(const char *const *args, const char *want1, const char *want2)
{
    tu_run r;
    run(&r, args);
    cr_assert_eq(r.status, 2, "%s %s: exit %d\n%s%s", args[0], args[1], r.status, r.out, r.err);
    cr_assert(strstr(r.err, want1), "%s %s: %s", args[0], args[1], r.err);
    if (want2)
        cr_assert(strstr(r.err, want2), "%s %s: %s", args[0], args[1], r.err);
    cr_assert_eq(r.out[0], '\0', "printed as if it were an answer: %s", r.out);
    tu_run_free(&r);
}

Test(hardening, durations_and_counts_are_bounded)
{
    const char *accept[] = {"risks",    "accept", "SRR-1", "--review-in", "99999999999d",
                            "--reason", "x",      "-c",    cfg,           NULL};
    const char *accept2[] = {"risks",    "accept", "SRR-1", "--review-in", "3651d",
                             "--reason", "x",      "-c",    cfg,           NULL};
    const char *stale[] = {"risks", "list", "--stale", "9999999999999999999d", "-c", cfg, NULL};
    const char *limit[] = {"audit", "--limit", "99999999999999999999", "-c", cfg, NULL};
    int64_t v = 0;
    refused(accept, "--review-in '99999999999d'", "3650d");
    refused(accept2, "out of range", "3650d");
    refused(stale, "--stale", NULL);
    refused(limit, "--limit", "between 0 and");
    cr_assert_eq(srr_duration_parse("99999999999d", &v), SRR_EINVAL);
    cr_assert_eq(srr_duration_parse("106751991167301d", &v), SRR_EINVAL); /* past int64 */
    cr_assert_eq(srr_duration_parse("90d", &v), SRR_OK);
    cr_assert_eq(v, 90 * 86400);
}

Test(hardening, unknown_filter_values_are_refused_with_the_allowed_ones)
{
    const char *a[] = {"risks", "list", "--status", "opn", "-c", cfg, NULL};
    const char *b[] = {"risks", "list", "--status", "x' OR '1'='1", "-c", cfg, NULL};
    const char *c[] = {"risks", "list", "--urgency", "urgent", "-c", cfg, NULL};
    const char *d[] = {"backlog", "list", "--status", "open", "-c", cfg, NULL};
    const char *e[] = {"investigations", "list", "--status", "opne", "-c", cfg, NULL};
    const char *f[] = {"export", "--format", "csv", "--status", "x", "-c", cfg, NULL};
    const char *g[] = {"export", "--format", "xml", "-c", cfg, NULL};
    const char *h[] = {"export", "--format", "csv", "--kind", "risk", "-c", cfg, NULL};
    const char *i[] = {"review", "--format", "pdf", "-c", cfg, NULL};
    refused(a, "unknown --status 'opn'", "draft, open, mitigating, resolved, accepted");
    refused(b, "unknown --status", "expected one of");
    refused(c, "unknown --urgency 'urgent'", "low, medium, high, critical");
    refused(d, "unknown --status 'open'", "draft, accepted, done, rejected");
    refused(e, "unknown --status 'opne'", "open, promoted, closed");
    refused(f, "unknown --status 'x'", "draft");
    refused(g, "unknown --format 'xml'", "csv, json, md");
    refused(h, "unknown --kind 'risk'", "risks, backlog, all");
    refused(i, "unknown --format 'pdf'", "html");
}

/* dir/name exists and others cannot read it. */
static void assert_private(const char *name)
{
    struct stat sb;
    char *path = srr_asprintf("%s/%s", dir, name);
    cr_assert_eq(stat(path, &sb), 0, "%s is missing", path);
    cr_assert_eq(sb.st_mode & 0007, 0, "%s is readable by others: %o", path,
                 (unsigned)(sb.st_mode & 0777));
    free(path);
}

Test(hardening, spool_store_and_backups_are_owner_only_and_no_core_dumps)
{
    const char *sweep[] = {"sweep", "-c", cfg, "--replay", SRR_SOURCE_DIR "/examples/demo-week",
                           NULL};
    const char *backup[] = {"backup", "-c", cfg, "copy.db", NULL};
    const char *doctor[] = {"doctor", "--offline", "-c", cfg, NULL};
    char *p;
    tu_run r;
    struct stat sb;
    mode_t old = umask(022); /* what a shell usually has */
    run(&r, sweep);
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    tu_run_free(&r);
    run(&r, backup);
    cr_assert_eq(r.status, 0, "%s", r.err);
    tu_run_free(&r);
    umask(old);
    assert_private("srr.db");
    assert_private("srr.db.lock");
    p = srr_asprintf("%s/copy.db", dir);
    cr_assert_eq(stat(p, &sb), 0);
    cr_assert_eq(sb.st_mode & 0077, 0, "a backup is owner-only: %o", (unsigned)(sb.st_mode & 0777));
    free(p);
    assert_private("srr-spool/00000000000000000000.seg");
    assert_private("srr-spool/consumer.offset");
    assert_private("srr-spool/spool.lock");

    run(&r, doctor);
    cr_assert(strstr(r.out, "ok    process   core dumps off"), "%s", r.out);
    tu_run_free(&r);
}

Test(hardening, serve_runs_with_no_core_dumps_and_the_units_say_so)
{
    const char *const env[] = {"SRR_WEBHOOK_TOKEN=core-test-token", NULL};
    char *yaml = tu_write_file(dir, "serve.yaml",
                               "store: {path: srr.db}\nqueue: {spool_dir: spool}\n"
                               "webhook: {listen: '127.0.0.1:0', quarantine_dir: q}\n");
    static const char *const units[] = {"srr-serve.service", "srr-drain.service",
                                        "srr-sweep.service", NULL};
    char *limits = NULL, *path;
    wh_proc p;
    cr_assert_eq(wh_proc_start(SRR_BIN, yaml, NULL, env, &p), 0, "%s", p.log);
    path = srr_asprintf("/proc/%d/limits", (int)p.pid);
    cr_assert_eq(srr_file_read(path, 0, &limits, NULL, NULL), SRR_OK);
    {
        const char *line = strstr(limits, "Max core file size");
        unsigned long long soft = 1, hard = 1;
        cr_assert_not_null(line, "%s", limits);
        cr_assert_eq(sscanf(line + strlen("Max core file size"), " %llu %llu", &soft, &hard), 2,
                     "%s", line);
        cr_assert_eq(soft, 0, "%s", line);
    }
    cr_assert_eq(wh_proc_stop(&p), 0, "%s", p.log);
    wh_proc_free(&p);
    free(limits);
    free(path);
    for (int i = 0; units[i]; i++) {
        char *text = NULL, *u = srr_asprintf("%s/deploy/systemd/%s", SRR_SOURCE_DIR, units[i]);
        cr_assert_eq(srr_file_read(u, 0, &text, NULL, NULL), SRR_OK);
        cr_assert(strstr(text, "\nLimitCORE=0\n"), "%s lacks LimitCORE=0", units[i]);
        cr_assert(strstr(text, "\nUMask=0027\n"), "%s lacks UMask=0027", units[i]);
        free(text);
        free(u);
    }
    free(yaml);
}

Test(hardening, pieces_of_a_secret_are_redacted)
{
    char line[256];
    srr_secret_register("dd-api-0123456789abcdef");
    snprintf(line, sizeof line,
             "Datadog: key 0123456789ab is invalid; whole dd-api-0123456789abcdef");
    srr_redact(line, sizeof line);
    cr_assert_null(strstr(line, "01234567"), "%s", line);
    cr_assert(strstr(line, "Datadog: key [REDACTED] is invalid"), "%s", line);
    snprintf(line, sizeof line, "short run 0123456 stays");
    srr_redact(line, sizeof line);
    cr_assert_str_eq(line, "short run 0123456 stays");
}
