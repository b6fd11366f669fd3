/* SPDX-License-Identifier: Apache-2.0
 *
 * test_admin.c - the operating commands: `srr doctor` passing against a
 * working local setup and failing with a clear line for each thing broken on
 * purpose; online backup taken while a writer keeps committing, and restore
 * round-tripping it; restore refusing files that are not srr stores.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backup.h"
#include "queue.h"
#include "fake_dd.h"
#include "srr.h"
#include "store.h"
#include "store_fixtures.h"
#include "testutil.h"
#include "writer.h"

FAKE_DD_FIXTURE()

static void run(tu_run *r, const char *const *args, const char *const *env)
{
    tu_srr_args(r, SRR_BIN, args, NULL, env, dir);
}

static char *config(const char *store_path, const char *spool)
{
    char *text = srr_asprintf("datadog: {api_url: '%s'}\nstore: {path: '%s'}\n"
                              "queue: {spool_dir: '%s'}\n",
                              fake_dd_url(dd), store_path, spool);
    char *p = tu_write_file(dir, "srr.yaml", text);
    free(text);
    return p;
}

Test(doctor, passes_on_a_working_setup, .init = setup, .fini = teardown, .timeout = 30)
{
    tu_run r;
    int route = fake_dd_add(dd, "GET", "/api/v1/validate", NULL, 200, NULL, "{\"valid\":true}");
    char *cfg = config("srr.db", "spool");
    const char *args[] = {"doctor", "-c", cfg, "--role", "sweep,serve,drain", NULL};
    const char *env[] = {"DD_API_KEY=key-aaaa1111", "DD_APP_KEY=app-bbbb2222",
                         "SRR_WEBHOOK_TOKEN=tok-cccc3333", "DD_SITE=", NULL};
    run(&r, args, env);
    cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
    cr_assert(strstr(r.out, "all checks passed") != NULL, "%s", r.out);
    cr_assert_eq(fake_dd_hits(dd, route), 1);
    char *k = fake_dd_last_header(dd, "DD-API-KEY");
    cr_assert_str_eq(k, "key-aaaa1111");
    free(k);
    cr_assert(strstr(r.out, "key-aaaa1111") == NULL && strstr(r.out, "tok-cccc3333") == NULL);
    tu_run_free(&r);
    free(cfg);
}

Test(doctor, names_each_broken_thing, .init = setup, .fini = teardown, .timeout = 30)
{
    tu_run r;
    fake_dd_add(dd, "GET", "/api/v1/validate", NULL, 403, NULL, "{\"errors\":[\"Forbidden\"]}");
    /* A regular file where directories should be: neither the store nor the
     * spool can be created, even as root. */
    char *blocker = tu_write_file(dir, "blocker", "not a directory\n");
    char *db = srr_asprintf("%s/sub/srr.db", blocker);
    char *spool = srr_asprintf("%s/spool", blocker);
    char *cfg = config(db, spool);
    const char *args[] = {"doctor", "-c", cfg, "--role", "sweep,serve", NULL};
    const char *env[] = {"DD_API_KEY=key-aaaa1111", "DD_APP_KEY=app-bbbb2222",
                         "SRR_WEBHOOK_TOKEN=", "DD_SITE=", NULL};
    run(&r, args, env);
    cr_assert_eq(r.status, 1, "%s", r.out);
    cr_assert(strstr(r.out, "ok    config") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "FAIL  datadog") && strstr(r.out, "refused the keys"), "%s", r.out);
    cr_assert(strstr(r.out, "FAIL  queue") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "FAIL  store") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "FAIL  webhook") && strstr(r.out, "SRR_WEBHOOK_TOKEN"), "%s", r.out);
    cr_assert(strstr(r.out, "doctor found problems") != NULL);
    tu_run_free(&r);

    /* Missing keys and an unreachable Datadog are named too. */
    fake_dd_stop(&dd);
    const char *nokeys[] = {"DD_API_KEY=", "DD_APP_KEY=", "DD_SITE=", NULL};
    run(&r, args, nokeys);
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.out, "DD_API_KEY") && strstr(r.out, "DD_APP_KEY"), "%s", r.out);
    tu_run_free(&r);
    free(blocker);
    free(db);
    free(spool);
    free(cfg);
}

/* A sweep-only install - checks, the local spool, no webhook secret, the
 * quarantine directory the package's postinst adds - passes: the roles come
 * from the config, and serve is not one of them. Asked for, serve fails on
 * the missing secret; drain needs no Datadog keys; an unknown role is a
 * usage error. */
Test(doctor, checks_the_roles_the_config_uses, .init = setup, .fini = teardown, .timeout = 30)
{
    tu_run r;
    char *text = srr_asprintf("store: {path: srr.db}\nqueue: {spool_dir: spool}\n"
                              "webhook: {quarantine_dir: quarantine}\n"
                              "checks:\n  - {name: disk, source: metrics, query: 'max:d{*}',"
                              " when: 'last > 90%%'}\n");
    char *cfg = tu_write_file(dir, "sweep-only.yaml", text);
    const char *env[] = {"DD_API_KEY=", "DD_APP_KEY=", "SRR_WEBHOOK_TOKEN=", NULL};
    const char *dflt[] = {"doctor", "-c", cfg, "--offline", NULL};
    run(&r, dflt, env);
    cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
    cr_assert(strstr(r.out, "sweep, from the config: 1 check(s), no webhook secret") != NULL,
              "%s", r.out);
    cr_assert(strstr(r.out, "ok    store") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "  webhook") == NULL, "%s", r.out);
    cr_assert(strstr(r.out, "all checks passed") != NULL, "%s", r.out);
    tu_run_free(&r);

    const char *serve[] = {"doctor", "-c", cfg, "--offline", "--role", "serve", NULL};
    run(&r, serve, env);
    cr_assert_eq(r.status, 1, "%s", r.out);
    cr_assert(strstr(r.out, "serve, as asked") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "FAIL  webhook") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "datadog") == NULL, "serve needs no Datadog keys: %s", r.out);
    tu_run_free(&r);

    const char *drain[] = {"doctor", "-c", cfg, "--role", "drain", NULL};
    run(&r, drain, env);
    cr_assert_eq(r.status, 0, "%s", r.out);
    cr_assert(strstr(r.out, "ok    queue") && strstr(r.out, "ok    store"), "%s", r.out);
    tu_run_free(&r);

    const char *bad[] = {"doctor", "-c", cfg, "--role", "sweep,dance", NULL};
    run(&r, bad, env);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "dance") != NULL, "%s", r.err);
    tu_run_free(&r);

    /* sync: asked for without a sink it fails; a notion: section makes the
     * config use it; online its token is needed. */
    const char *sync[] = {"doctor", "-c", cfg, "--offline", "--role", "sync", NULL};
    run(&r, sync, env);
    cr_assert_eq(r.status, 1, "%s", r.out);
    cr_assert(strstr(r.out, "FAIL  sinks     none configured") != NULL, "%s", r.out);
    tu_run_free(&r);
    {
        char *t2 = srr_asprintf("%snotion: {database_id: 0123456789abcdef0123456789abcdef}\n",
                                text);
        char *cfg2 = tu_write_file(dir, "with-notion.yaml", t2);
        const char *d2[] = {"doctor", "-c", cfg2, "--offline", NULL};
        const char *on[] = {"doctor", "-c", cfg2, "--offline", "--role", "sweep", NULL};
        const char *sync2[] = {"doctor", "-c", cfg2, "--role", "sync", NULL};
        const char *env2[] = {"DD_API_KEY=", "DD_APP_KEY=", "SRR_WEBHOOK_TOKEN=", "NOTION_TOKEN=",
                              NULL};
        run(&r, d2, env2);
        cr_assert_eq(r.status, 0, "%s", r.out);
        cr_assert(strstr(r.out, "sweep,sync, from the config") != NULL, "%s", r.out);
        cr_assert(strstr(r.out, "ok    sinks     notion configured (--offline") != NULL, "%s",
                  r.out);
        tu_run_free(&r);
        run(&r, on, env2);
        cr_assert(strstr(r.out, "sinks") == NULL, "%s", r.out);
        tu_run_free(&r);
        run(&r, sync2, env2);
        cr_assert_eq(r.status, 1, "%s", r.out);
        cr_assert(strstr(r.out, "FAIL  sinks") && strstr(r.out, "NOTION_TOKEN"), "%s", r.out);
        tu_run_free(&r);
        free(cfg2);
        free(t2);
    }

    /* With the secret set, the config uses serve too. */
    const char *tok[] = {"DD_API_KEY=", "DD_APP_KEY=", "SRR_WEBHOOK_TOKEN=tok-dddd4444", NULL};
    run(&r, dflt, tok);
    cr_assert_eq(r.status, 0, "%s", r.out);
    cr_assert(strstr(r.out, "sweep,serve, from the config") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "ok    webhook") != NULL, "%s", r.out);
    tu_run_free(&r);
    free(cfg);
    free(text);
}

/* Root-owned state locks the service user out: run as root, srr refuses to
 * create the store or write the spool in a directory that belongs to
 * someone else, names the owner and says to use runuser, and creates
 * nothing. (Needs root to hand a directory to another user.) */
Test(doctor, refuses_to_create_state_as_root_for_another_user, .init = setup, .fini = teardown,
     .timeout = 30)
{
    if (geteuid() != 0) {
        cr_skip_test("needs root");
        return;
    }
    tu_run r;
    char *state = srr_asprintf("%s/state", dir);
    cr_assert_eq(mkdir(state, 0755), 0);
    cr_assert_eq(chown(state, 65534, 65534), 0); /* nobody */
    char *text = srr_asprintf("store: {path: '%s/srr.db'}\nqueue: {spool_dir: '%s/spool'}\n",
                              state, state);
    char *cfg = tu_write_file(dir, "owned.yaml", text);
    const char *args[] = {"doctor", "-c", cfg, "--role", "drain", NULL};
    run(&r, args, NULL);
    cr_assert_eq(r.status, 1, "%s", r.out);
    cr_assert(strstr(r.out, "FAIL  queue") && strstr(r.out, "FAIL  store"), "%s", r.out);
    cr_assert(strstr(r.out, "refusing to write the store") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "runuser -u nobody -- srr") != NULL, "%s", r.out);
    char *db = srr_asprintf("%s/srr.db", state), *spool = srr_asprintf("%s/spool", state);
    cr_assert_neq(access(db, F_OK), 0, "root created %s", db);
    cr_assert_neq(access(spool, F_OK), 0, "root created %s", spool);
    tu_run_free(&r);
    /* A directory of root's own is fine. */
    cr_assert_eq(chown(state, 0, 0), 0);
    run(&r, args, NULL);
    cr_assert_eq(r.status, 0, "%s", r.out);
    tu_run_free(&r);
    free(db);
    free(spool);
    free(cfg);
    free(text);
    free(state);
}

/* A child that keeps committing batches of new candidates until killed. */
static void writer_loop(const char *db)
{
    srr_store *st = NULL;
    srr_error err = {0};
    if (srr_store_open(db, &st, &err) != SRR_OK)
        _exit(3);
    for (int batch = 0;; batch++) {
        srr_candidate c[50];
        for (int i = 0; i < 50; i++) {
            char id[32], fp[32];
            snprintf(id, sizeof(id), "c-%d-%d", batch, i);
            snprintf(fp, sizeof(fp), "fp-%d", (batch * 50 + i) % 700);
            memset(&c[i], 0, sizeof(c[i]));
            sf_candidate(&c[i], id, fp, SRR_ACTION_RISK, SRR_STATUS_FIRING, 1795392000 + batch);
        }
        if (srr_store_apply(st, c, 50, 1795392000 + batch, NULL, &err) != SRR_OK)
            _exit(4);
        for (int i = 0; i < 50; i++)
            srr_candidate_clear(&c[i]);
    }
}

Test(backup, is_consistent_while_the_writer_writes_and_restores, .init = setup,
     .fini = teardown, .timeout = 60)
{
    char *db = srr_asprintf("%s/live.db", dir);
    srr_store *st = NULL;
    srr_error err = {0};
    cr_assert_eq(srr_store_open(db, &st, &err), SRR_OK, "%s", err.msg);
    srr_store_close(&st);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0)
        writer_loop(db);
    /* the writer's first batch committed: the backups below run against a
     * store that keeps changing (an event, not a guess at how long that
     * takes on a busy machine) */
    for (int i = 0; i < 3000 && sf_query_int(db, "SELECT count(*) FROM candidates") == 0; i++)
        usleep(10 * 1000);
    cr_assert_gt(sf_query_int(db, "SELECT count(*) FROM candidates"), 0,
                 "the writer never committed (30 s)");
    long long last = -1;
    for (int i = 0; i < 5; i++) {
        char *bk = srr_asprintf("%s/backup-%d.db", dir, i);
        srr_rc rc = srr_store_backup(db, bk, &err);
        cr_assert_eq(rc, SRR_OK, "backup %d: %s", i, err.msg);
        /* Each backup holds whole batches only: 50 candidates per commit. */
        long long n = sf_query_int(bk, "SELECT count(*) FROM candidates");
        cr_assert_eq(n % 50, 0, "backup %d holds a partial batch (%lld)", i, n);
        cr_assert_geq(n, last, "backups go forward");
        last = n;
        free(bk);
        usleep(100 * 1000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    cr_assert_gt(last, 0, "the writer committed while we backed up");

    /* Restore the last backup over a fresh store path and read it back. */
    char *bk = srr_asprintf("%s/backup-4.db", dir);
    char *restored = srr_asprintf("%s/restored.db", dir);
    int version = 0;
    cr_assert_eq(srr_store_restore(bk, restored, &version, &err), SRR_OK, "%s", err.msg);
    cr_assert_geq(version, 1);
    cr_assert_eq(sf_query_int(restored, "SELECT count(*) FROM candidates"), last);
    cr_assert_eq(sf_query_int(restored, "SELECT count(*) FROM risks"),
                 sf_query_int(bk, "SELECT count(*) FROM risks"));
    cr_assert_eq(srr_store_open(restored, &st, &err), SRR_OK, "%s", err.msg);
    json_t *risks = NULL;
    cr_assert_eq(srr_store_risks_list(st, NULL, &risks, &err), SRR_OK);
    cr_assert_eq((long long)json_array_size(risks), sf_query_int(bk, "SELECT count(*) FROM risks"));
    json_decref(risks);
    srr_store_close(&st);
    /* A backup never overwrites an existing file. */
    cr_assert_eq(srr_store_backup(db, bk, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "already exists") != NULL, "%s", err.msg);
    free(bk);
    free(restored);
    free(db);
}

Test(backup, restore_refuses_what_is_not_an_srr_store, .init = setup, .fini = teardown)
{
    srr_error err = {0};
    char *other = srr_asprintf("%s/other.db", dir);
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open(other, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1);", NULL, NULL, NULL),
                 SQLITE_OK);
    sqlite3_close(db);
    char *target = srr_asprintf("%s/target.db", dir);
    cr_assert_eq(srr_store_restore(other, target, NULL, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "not an srr store") != NULL, "%s", err.msg);
    char *junk = tu_write_file(dir, "junk.db", "this is not a database at all, not even close....");
    cr_assert_neq(srr_store_restore(junk, target, NULL, &err), SRR_OK);
    cr_assert(access(target, F_OK) != 0 || sf_query_int(target, "PRAGMA user_version") == 0);
    free(other);
    free(target);
    free(junk);
}

Test(backup, command_line_round_trip, .init = setup, .fini = teardown, .timeout = 60)
{
    tu_run r;
    char *cfg = config("srr.db", "spool");
    const char *sweep[] = {"sweep", "-c", cfg, "--replay", SRR_SOURCE_DIR "/examples/demo-week",
                           NULL};
    const char *env[] = {"SRR_NOW=1795392000", NULL};
    /* Use the demo's checks and policy with this store. */
    char *demo = NULL;
    size_t len;
    cr_assert_eq(srr_file_read(SRR_SOURCE_DIR "/examples/srr.yaml", 0, &demo, &len, NULL), SRR_OK);
    free(tu_write_file(dir, "srr.yaml", demo));
    free(demo);
    run(&r, sweep, env);
    cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
    tu_run_free(&r);
    const char *backup[] = {"backup", "-c", cfg, "copy.db", NULL};
    run(&r, backup, env);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "integrity check ok") != NULL);
    tu_run_free(&r);
    char *db = srr_asprintf("%s/srr.db", dir);
    unlink(db);
    const char *restore[] = {"restore", "-c", cfg, "copy.db", NULL};
    run(&r, restore, env);
    cr_assert_eq(r.status, 0, "%s", r.err);
    tu_run_free(&r);
    cr_assert_eq(sf_query_int(db, "SELECT count(*) FROM risks"), 1);
    cr_assert_eq(sf_query_int(db, "SELECT count(*) FROM backlog"), 1);
    free(db);
    free(cfg);
}

/* ---- restore and the queue ------------------------------------------------ */

static void spool_produce(const srr_config *cfg, int from, int to)
{
    srr_producer *p = NULL;
    srr_error err = {0};
    cr_assert_eq(srr_producer_open(cfg, &p, &err), SRR_OK, "%s", err.msg);
    for (int i = from; i < to; i++) {
        char id[32], fp[32];
        char *json;
        snprintf(id, sizeof id, "r%05d", i);
        snprintf(fp, sizeof fp, "fp%d", i % 7);
        json = sf_candidate_json(id, fp, SRR_ACTION_RISK, SRR_STATUS_FIRING, 1795392000 + i);
        cr_assert_eq(srr_producer_send(p, fp, json, strlen(json), &err), SRR_OK, "%s", err.msg);
        free(json);
    }
    cr_assert_eq(srr_producer_flush(p, &err), SRR_OK, "%s", err.msg);
    srr_producer_close(&p);
}

static void spool_drain(const srr_config *cfg)
{
    srr_store *st = NULL;
    srr_consumer *c = NULL;
    srr_writer_opts o = {0};
    srr_error err = {0};
    o.once = 1;
    o.batch_size = 7; /* many batches, many positions */
    cr_assert_eq(srr_store_open(cfg->store.path, &st, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(srr_consumer_open(cfg, &c, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(srr_writer_drain(c, st, &o, NULL, &err), SRR_OK, "%s", err.msg);
    srr_consumer_close(&c);
    srr_store_close(&st);
}

static srr_config *spool_cfg(int64_t retention_s)
{
    char *spool = srr_asprintf("%s/spool", dir);
    srr_config *cfg = sf_config(spool);
    cfg->store.path = srr_asprintf("%s/srr.db", dir);
    cfg->queue.spool_retention_s = retention_s;
    free(spool);
    return cfg;
}

static void spool_cfg_free(srr_config *cfg)
{
    free(cfg->store.path);
    cfg->store.path = NULL;
    sf_config_free(cfg);
}

/* Small segments, deleted once consumed (retention 0): a backup whose
 * position lies in deleted segments cannot be replayed. Restore says how
 * many records are out of reach and changes nothing; --accept-loss
 * restores, and the writer re-applies what the spool still holds. */
Test(backup, restore_names_records_out_of_reach, .init = setup, .fini = teardown, .timeout = 60)
{
    srr_config *cfg = spool_cfg(0);
    char *copy = srr_asprintf("%s/copy.db", dir);
    srr_restore_report rep;
    srr_error err = {0};
    long long lost;
    setenv("SRR_SPOOL_SEGMENT_BYTES", "4096", 1);
    spool_produce(cfg, 0, 20);
    spool_drain(cfg);
    cr_assert_eq(srr_store_backup(cfg->store.path, copy, &err), SRR_OK, "%s", err.msg);
    spool_produce(cfg, 20, 80);
    spool_drain(cfg);
    cr_assert_eq(sf_query_int(cfg->store.path, "SELECT count(*) FROM candidates"), 80);

    cr_assert_eq(srr_store_restore_queued(cfg, copy, 0, &rep, &err), SRR_ECONFLICT);
    cr_assert(strstr(err.msg, "out of reach") && strstr(err.msg, "record(s) queued after the "
                                                                  "backup"),
              "%s", err.msg);
    cr_assert(strstr(err.msg, "--accept-loss") && strstr(err.msg, "Nothing was changed"), "%s",
              err.msg);
    lost = rep.plan.out_of_reach;
    cr_assert_gt(lost, 0, "%s", err.msg);
    cr_assert_lt(lost, 60);
    cr_assert_eq(sf_query_int(cfg->store.path, "SELECT count(*) FROM candidates"), 80,
                 "a refused restore changed the store");

    cr_assert_eq(srr_store_restore_queued(cfg, copy, 1, &rep, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(rep.plan.out_of_reach, lost);
    cr_assert_eq(sf_query_int(cfg->store.path, "SELECT count(*) FROM candidates"), 20);
    spool_drain(cfg);
    cr_assert_eq(sf_query_int(cfg->store.path, "SELECT count(*) FROM candidates"), 80 - lost,
                 "the count of records out of reach is not what was lost");
    unsetenv("SRR_SPOOL_SEGMENT_BYTES");
    spool_cfg_free(cfg);
    free(copy);
}

/* With queue.spool_retention the consumed segments are still there: the
 * same sequence restores without loss. A backup that records no position
 * (an older srr's) is refused unless --accept-loss, which then leaves the
 * queue where it is. A writer holding the spool makes restore refuse. */
Test(backup, restore_replays_within_retention, .init = setup, .fini = teardown, .timeout = 60)
{
    srr_config *cfg = spool_cfg(7 * 86400);
    char *copy = srr_asprintf("%s/copy.db", dir);
    srr_restore_report rep;
    srr_error err = {0};
    srr_consumer *c = NULL;
    setenv("SRR_SPOOL_SEGMENT_BYTES", "4096", 1);
    spool_produce(cfg, 0, 20);
    spool_drain(cfg);
    cr_assert_eq(srr_store_backup(cfg->store.path, copy, &err), SRR_OK, "%s", err.msg);
    spool_produce(cfg, 20, 80);
    spool_drain(cfg);

    cr_assert_eq(srr_consumer_open(cfg, &c, &err), SRR_OK, "%s", err.msg);
    cr_assert_eq(srr_store_restore_queued(cfg, copy, 0, &rep, &err), SRR_ECONFLICT);
    cr_assert(strstr(err.msg, "a writer is consuming the spool"), "%s", err.msg);
    srr_consumer_close(&c);

    cr_assert_eq(srr_store_restore_queued(cfg, copy, 0, &rep, &err), SRR_OK, "%s", err.msg);
    cr_assert(rep.rewound);
    cr_assert_eq(rep.plan.out_of_reach, 0);
    cr_assert_eq(rep.plan.replay, 60);
    spool_drain(cfg);
    cr_assert_eq(sf_query_int(cfg->store.path, "SELECT count(*) FROM candidates"), 80);
    cr_assert_eq(sf_query_int(cfg->store.path, "SELECT count(*) FROM sightings"), 80);

    /* a backup without a recorded position */
    {
        sqlite3 *db = NULL;
        cr_assert_eq(sqlite3_open(copy, &db), SQLITE_OK);
        cr_assert_eq(sqlite3_exec(db, "DELETE FROM queue_positions", NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);
    }
    cr_assert_eq(srr_store_restore_queued(cfg, copy, 0, &rep, &err), SRR_ECONFLICT);
    cr_assert(strstr(err.msg, "records no position"), "%s", err.msg);
    cr_assert_eq(srr_store_restore_queued(cfg, copy, 1, &rep, &err), SRR_OK, "%s", err.msg);
    cr_assert_not(rep.rewound);
    unsetenv("SRR_SPOOL_SEGMENT_BYTES");
    spool_cfg_free(cfg);
    free(copy);
}
