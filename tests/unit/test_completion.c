/* SPDX-License-Identifier: Apache-2.0
 *
 * test_completion.c - the bash completion (issue 22): the script that
 * `srr completion bash` writes from the command table is the one checked
 * in as deploy/bash-completion/srr; bash itself, given the script, completes
 * a set of prefixes to the commands, verbs, options, enumerated values
 * (each command's own --format values) and the ids in the store that the
 * verb applies to (drafts for approve, open risks for resolve); every
 * option the script offers is one its command accepts; and asking for
 * names creates no store. The store comes from sweeping the recorded demo
 * week. bash runs the script without bash-completion's helpers, and with
 * them when the package is installed (scripts/install-deps.sh installs it).
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "srr.h"
#include "testutil.h"

#define BASH_COMPLETION "/usr/share/bash-completion/bash_completion"

static char *g_dir;
static char *g_cfg;

/* Runs srr with the arguments (NULL terminated) and -c g_cfg, in g_dir. */
#define SRR(r, ...)                                                                                \
    tu_srr((r), SRR_BIN, (const char *const[]){"SRR_USER=alice", NULL}, g_cfg, g_dir, __VA_ARGS__)

/* The demo config with a policy that drafts risks (labelled) and backlog
 * items, and a team; the demo week swept into its store. */
static void setup(void)
{
    char *yaml = tu_read_file(SRR_SOURCE_DIR "/examples/srr.yaml"), *cut, *cfg;
    tu_run r;
    g_dir = tu_mkdtemp();
    cut = strstr(yaml, "\npolicy:");
    cr_assert_not_null(cut);
    cut[1] = '\0';
    cfg = srr_asprintf("%s"
                       "policy:\n"
                       "  rules:\n"
                       "    - name: disks\n"
                       "      match: {check: \"disk-*\"}\n"
                       "      action: backlog\n"
                       "    - name: customer-facing\n"
                       "      match: {service: \"checkout*\"}\n"
                       "      action: risk\n"
                       "      labels: [customer, checkout, needs review]\n"
                       "  default:\n"
                       "    action: risk\n"
                       "team:\n"
                       "  members: [alice, bob, carol]\n",
                       yaml);
    free(yaml);
    g_cfg = tu_write_file(g_dir, "srr.yaml", cfg);
    free(cfg);
    SRR(&r, "sweep", "--replay", SRR_SOURCE_DIR "/examples/demo-week", NULL);
    cr_assert_eq(r.status, 0, "sweep: %s", r.err);
    tu_run_free(&r);
    /* SRR-1 open (assigned to dave, not a member), the others drafts. */
    SRR(&r, "risks", "approve", "SRR-1", "--assign", "carol", NULL);
    cr_assert_eq(r.status, 0, "approve: %s%s", r.out, r.err);
    tu_run_free(&r);
    /* For the path completion: one directory and one file. */
    char *path = srr_asprintf("%s/recorded", g_dir);
    cr_assert_eq(mkdir(path, 0755), 0);
    free(path);
    free(tu_write_file(g_dir, "recording.json", "{}"));
}

static void teardown(void)
{
    tu_rmdir_r(g_dir);
    free(g_dir);
    free(g_cfg);
}

TestSuite(completion, .init = setup, .fini = teardown, .timeout = 120);

Test(completion, the_checked_in_script_is_the_generated_one)
{
    const char *argv[] = {SRR_BIN, "completion", "bash", NULL};
    char *path = srr_asprintf("%s/deploy/bash-completion/srr", SRR_SOURCE_DIR), *file = NULL;
    size_t len;
    tu_run r;
    tu_exec(argv, NULL, NULL, &r);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(srr_file_read(path, 0, &file, &len, NULL), SRR_OK);
    cr_assert_str_eq(file, r.out,
                     "deploy/bash-completion/srr is stale: run `srr completion bash > "
                     "deploy/bash-completion/srr`");
    free(file);
    free(path);
    tu_run_free(&r);
}

/* One case: the words typed ("" last: completing an empty word) and every
 * expected reply, sorted, space separated; "~" prefix: only these must be
 * among the replies (a subset), "!" prefix: this word must not be. */
static const struct {
    const char *line, *want;
} CASES[] = {
    {"", "~audit backlog completion export investigations review risks team"},
    {"ri", "risks"},
    {"--log-format json ri", "risks"},
    {"--log-format ", "json text"},
    {"risks ", "accept approve assign list log merge reject reopen resolve set show"},
    {"backlog ", "accept assign done list reject show"},
    {"export --format ", "csv json md"},
    {"review --format ", "html json md table"},
    {"review --", "~--from --last --month --to"},
    {"risks list --format ", "json md table"},
    {"risks list --st", "--stale --status"},
    {"risks list --status ", "accepted draft merged mitigating open rejected resolved"},
    {"backlog list --status ", "accepted done draft rejected"},
    {"risks approve ", "SRR-2 SRR-3"},
    {"risks resolve ", "SRR-1"},
    {"risks show ", "SRR-1 SRR-2 SRR-3"},
    {"risks merge SRR-2 --into ", "SRR-1 SRR-2 SRR-3"},
    {"risks approve SRR-2 --assign ", "alice bob carol"},
    {"risks assign SRR-2 ", "alice bob carol"},
    {"risks approve SRR-2 --urgency ", "critical high low medium"},
    {"risks approve SRR-2 --", "~--as --assign --expect-updated --format --note --suggest"},
    {"risks set SRR-1 ne", "next="},
    {"backlog accept ", "BL-1"},
    {"investigations resolve INV-1 --outcome ", "backlog fixed noise"},
    {"audit ", "~BL-1 SRR-1"},
    {"help ", "~completion export sweep"},
    {"man ", "1 5"},
    {"sync ", "resend retry status"},
    {"sync --", "--help --once"},
    {"sync status --format ", "json table"},
    {"sync retry --", "--all --help"},
    {"sweep --replay ", "recorded srr-spool"},
    {"export ", "~--format --kind --label"},
    {"risks list --label ", "checkout customer needs\\ review"},
    {"export --label c", "checkout customer"},
};

/* The bash driver: sources the script (after bash-completion's helpers
 * when `with_helpers`), then for each case fills COMP_WORDS as bash would
 * and prints the sorted replies on one line. */
static char *driver(int with_helpers)
{
    srr_buf b;
    size_t i;
    srr_buf_init(&b, 0);
    if (with_helpers)
        srr_buf_printf(&b, "source %s\n", BASH_COMPLETION);
    srr_buf_printf(&b,
                   "source %s/deploy/bash-completion/srr\n"
                   "comp() {\n"
                   "  local line=$1; read -ra COMP_WORDS <<< \"$line\"\n"
                   "  COMP_WORDS=(%s \"${COMP_WORDS[@]}\")\n"
                   "  [[ $line == '' || $line == *' ' ]] && COMP_WORDS+=('')\n"
                   "  COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n"
                   "  COMP_LINE=\"${COMP_WORDS[*]}\"; COMP_POINT=${#COMP_LINE}; COMPREPLY=()\n"
                   "  _srr srr \"${COMP_WORDS[COMP_CWORD]}\" \"${COMP_WORDS[COMP_CWORD-1]}\"\n"
                   "  printf '%%s\\n' \"${COMPREPLY[@]}\" | sort | tr '\\n' ' '; echo\n"
                   "}\n"
                   "export SRR_CONFIG=%s\n",
                   SRR_SOURCE_DIR, SRR_BIN, g_cfg);
    for (i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++)
        srr_buf_printf(&b, "comp '%s'\n", CASES[i].line);
    return srr_buf_steal(&b);
}

static void check_replies(const char *out)
{
    const char *p = out;
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        const char *nl = strchr(p, '\n');
        cr_assert_not_null(nl, "no reply line for 'srr %s'", CASES[i].line);
        char got[2048];
        snprintf(got, sizeof(got), "%.*s", (int)(nl - p), p);
        size_t n = strlen(got);
        while (n > 0 && got[n - 1] == ' ')
            got[--n] = '\0';
        if (CASES[i].want[0] == '~') {
            char want[512], *save = NULL;
            snprintf(want, sizeof(want), "%s", CASES[i].want + 1);
            for (char *w = strtok_r(want, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
                char pad[600], hay[2100];
                snprintf(pad, sizeof(pad), " %s ", w);
                snprintf(hay, sizeof(hay), " %s ", got);
                cr_assert_not_null(strstr(hay, pad), "'srr %s<TAB>' offers [%s], not %s",
                                   CASES[i].line, got, w);
            }
        } else {
            cr_assert_str_eq(got, CASES[i].want, "'srr %s<TAB>' offers [%s], want [%s]",
                             CASES[i].line, got, CASES[i].want);
        }
        p = nl + 1;
    }
}

static void run_bash(int with_helpers)
{
    char *script = driver(with_helpers);
    char *file = tu_write_file(g_dir, "driver.sh", script);
    const char *argv[] = {"/bin/bash", "--norc", "--noprofile", file, NULL};
    tu_run r;
    tu_exec(argv, NULL, g_dir, &r);
    cr_assert_eq(r.status, 0, "bash: %s", r.err);
    check_replies(r.out);
    tu_run_free(&r);
    free(file);
    free(script);
}

Test(completion, bash_completes_commands_options_values_and_ids)
{
    run_bash(0);
}

Test(completion, the_same_with_bash_completion_loaded)
{
    if (access(BASH_COMPLETION, R_OK) != 0) {
        cr_skip_test("bash-completion is not installed (scripts/install-deps.sh installs it)");
        return;
    }
    run_bash(1);
}

/* Every option the script offers for "command verb" is one that command
 * accepts: running it with that option never says the option is unknown
 * (whatever else goes wrong without a config). */
Test(completion, every_offered_option_is_accepted)
{
    const char *argv[] = {SRR_BIN, "completion", "bash", NULL};
    tu_run r;
    char *p, *end;
    size_t checked = 0;
    tu_exec(argv, NULL, NULL, &r);
    cr_assert_eq(r.status, 0);
    p = strstr(r.out, "declare -gA _srr_opts=(");
    cr_assert_not_null(p);
    end = strstr(p, "\n)\n");
    cr_assert_not_null(end);
    *end = '\0';
    /* Sanity: an unknown option is reported the way the check expects. */
    {
        const char *bad[] = {SRR_BIN, "risks", "list", "--no-such-option", NULL};
        tu_run b;
        tu_exec(bad, NULL, g_dir, &b);
        cr_assert(strstr(b.err, "unrecognized option") != NULL, "%s", b.err);
        tu_run_free(&b);
    }
    for (char *line = strtok(strchr(p, '\n') + 1, "\n"); line; line = strtok(NULL, "\n")) {
        char key[128], opts[512], *save = NULL;
        if (sscanf(line, " [\"%127[^\"]\"]=\"%511[^\"]\"", key, opts) != 2)
            continue;
        for (char *o = strtok_r(opts, " ", &save); o; o = strtok_r(NULL, " ", &save)) {
            const char *av[12];
            char kcopy[128], *ks = NULL;
            int n = 0;
            av[n++] = SRR_BIN;
            snprintf(kcopy, sizeof(kcopy), "%s", key);
            for (char *w = strtok_r(kcopy, " ", &ks); w; w = strtok_r(NULL, " ", &ks))
                av[n++] = w;
            av[n++] = o;
            av[n++] = "x"; /* a value, or a stray argument: either is not "unrecognized" */
            av[n++] = "-c";
            av[n++] = "/nonexistent/srr.yaml";
            av[n] = NULL;
            tu_run t;
            tu_exec(av, NULL, g_dir, &t);
            cr_assert(strstr(t.err, "unrecognized option") == NULL &&
                          strstr(t.err, "invalid option") == NULL,
                      "srr %s rejects %s, which completion offers: %s", key, o, t.err);
            tu_run_free(&t);
            checked++;
        }
    }
    cr_assert_geq(checked, 80, "only %zu options checked", checked);
    tu_run_free(&r);
}

/* Completion never creates state: names from a store that does not exist
 * are none, and the file is still not there afterwards. */
Test(completion, listing_names_creates_no_store)
{
    char *cfg = tu_write_file(g_dir, "empty.yaml", "store:\n  path: nothing-here.db\n");
    char *db = srr_asprintf("%s/nothing-here.db", g_dir);
    const char *argv[] = {SRR_BIN, "completion", "list", "ids", "risks", "approve", "-c", cfg,
                          NULL};
    tu_run r;
    tu_exec(argv, NULL, g_dir, &r);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "");
    cr_assert_neq(access(db, F_OK), 0, "completion created %s", db);
    tu_run_free(&r);
    free(db);
    free(cfg);
}
