/* SPDX-License-Identifier: Apache-2.0
 *
 * commands.c - the table of srr's commands: each one's name, the function
 * that runs it, its synopsis and its help text (help.h says the grammar),
 * and the three small commands that belong to no module (help, man,
 * version). It is the one file that names every command, so it sits at
 * the top of cmd/ beside main.c, which registers it with help.c
 * (srr_help_set_commands) before anything reads it: help.c, the man pages
 * and the completion (completion.c) read the table through help.h and
 * never refer to this file, so no command calls back up into it.
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <microhttpd.h>
#include <sqlite3.h>

#include "cli.h"
#include "help.h"
#include "srr.h"

static int cmd_version(int argc, char **argv)
{
    curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
    (void)argc;
    (void)argv;
    printf("srr %s\n", SRR_VERSION);
    printf("libcurl %s, librdkafka %s, SQLite %s, jansson %s, libmicrohttpd %s\n", cv->version,
           rd_kafka_version_str(), sqlite3_libversion(), jansson_version_str(),
           MHD_get_version());
    return SRR_EXIT_OK;
}

static int cmd_help(int argc, char **argv);
static int cmd_man(int argc, char **argv);

const srr_command SRR_COMMANDS[] = {
    {"sweep", srr_cmd_sweep,
     "sweep [-c FILE] [--replay DIR | --record DIR] [--since DUR | --at TIME] [--no-drain]",
     "ask Datadog (or a recording) for every check, triage, queue the candidates",
     "Runs every configured check over its windows (metric queries and log searches, "
     "concurrently, within the announced rate limits), turns the answers into observations "
     "- firing, or clear for the things the store follows - applies the policy and queues "
     "the candidates durably. A check's windows end on a grid from its first one (last + "
     "window, ...), so they never overlap; the windows due are judged one by one, oldest "
     "first, each in its own time: with the local spool the writer stores each window and "
     "judges its investigations with the window's end as now (unless --no-drain) before "
     "the next is asked. --since DUR judges every window of the grid within DUR; --at TIME "
     "(ISO-8601 or epoch seconds) judges the windows ending at TIME, on the grid (backfill, "
     "reproducing a past week). --replay DIR judges a recorded sweep with no network and "
     "no keys; --record DIR saves every answer in that layout. A check whose answer Datadog "
     "marked partial (a logs query that timed out or warned, datadog.max_log_pages "
     "reached, a v2 query error) keeps nothing of that window and is asked again next "
     "sweep, unless sweep.on_partial is keep; a condition whose unit cannot be reconciled "
     "with the series' fails its check saying how to write it.\n\n"
     "Exit status 1 when a check failed or was partial, or a candidate could not be "
     "queued."},
    {"drain", srr_cmd_drain, "drain [-c FILE] [--once] [--no-sync]",
     "the writer: apply queued candidates to the SQLite store",
     "Reads candidates from the queue in batches, applies each batch in one SQLite "
     "transaction with the stored history (evidence on open records, investigations, "
     "regressions) and only then commits the queue position. Poison messages go to the "
     "quarantine (and the dead-letter topic with Kafka). --once drains what is there and "
     "exits; otherwise it runs until SIGTERM or SIGINT, which finish the current batch. With "
     "sinks configured (notion:) it also delivers the outbox to them (after draining, with "
     "--once) unless --no-sync."},
    {"serve", srr_cmd_serve, "serve [-c FILE] [--insecure-no-auth] [--no-drain] [--no-sync]",
     "receive Datadog monitor webhooks on POST /v1/webhooks/datadog",
     "Answers 202 only once the alert is durably queued, 5xx when it could not be (Datadog "
     "retries those), 401 without the shared secret, 413 past the body limit, 400 for an "
     "unparseable body (kept in the quarantine directory). Also GET /healthz, /readyz and "
     "/metrics. Refuses to start without a secret unless --insecure-no-auth. With the spool "
     "it runs the writer (unless --no-drain), and with sinks configured (notion:) it delivers "
     "the outbox to them (unless --no-sync)."},
    {"risks", srr_cmd_risks,
     "risks list [--status STATUS] [--urgency URGENCY] [--assignee WHO] [--service SERVICE]"
     " [--label LABEL] [--stale DUR] [READ OPTIONS]\n"
     "risks show ID [READ OPTIONS]\n"
     "risks approve ID [--assign WHO | --suggest] [--urgency URGENCY] [--note TEXT]"
     " [CHANGE OPTIONS]\n"
     "risks reject ID --reason TEXT [CHANGE OPTIONS]\n"
     "risks merge ID --into ID [--note TEXT] [CHANGE OPTIONS]\n"
     "risks assign ID WHO [CHANGE OPTIONS]\n"
     "risks assign ID --suggest [--yes] [CHANGE OPTIONS]\n"
     "risks log ID --recognition TEXT | --countermeasure TEXT [CHANGE OPTIONS]\n"
     "risks set ID KEY=VALUE... [CHANGE OPTIONS]\n"
     "risks resolve ID [--note TEXT] [CHANGE OPTIONS]\n"
     "risks accept ID --review-in DUR --reason TEXT [CHANGE OPTIONS]\n"
     "risks reopen ID [--note TEXT] [CHANGE OPTIONS]",
     "read and keep the System Risk Records",
     "list and show read the risk list and a record's detail page (overview, log from "
     "recognition to cause, cause, countermeasure policy, countermeasure log, next action, "
     "properties, evidence). The other subcommands move a record through draft -> open -> "
     "mitigating -> resolved | accepted, draft -> rejected | merged. Every change records "
     "its actor (--as NAME, else $SRR_USER, else the login name; with team.members set, "
     "actors and assignees must be members, and the login name root never stands in "
     "silently) in the audit log; approve of a draft nobody is assigned to takes the "
     "suggested assignee; "
     "transitions that make no sense are refused with the allowed ones named. set takes "
     "cause=, policy= (the countermeasure policy), next= (the next action), backlog=URL, "
     "postmortem=URL, impact=, likelihood=, urgency= and title=. STATUS is one of draft, "
     "open, mitigating, resolved, accepted, rejected, merged; URGENCY one of low, medium, "
     "high, critical; DUR a duration such as 30d."},
    {"backlog", srr_cmd_backlog,
     "backlog list [--status STATUS] [--label LABEL] [READ OPTIONS]\n"
     "backlog show ID [READ OPTIONS]\n"
     "backlog accept ID (--link URL | --ticket) [--assign WHO] [--note TEXT] [CHANGE OPTIONS]\n"
     "backlog done ID [--note TEXT] [CHANGE OPTIONS]\n"
     "backlog reject ID [--reason TEXT] [CHANGE OPTIONS]\n"
     "backlog assign ID WHO [CHANGE OPTIONS]",
     "backlog items: what is clearly fixable now",
     "Draft backlog items are accepted with the link of the ticket that fixes them, or with "
     "--ticket (or tickets.auto) to have the next sync open it in GitHub or Jira and link "
     "it; then done or rejected. A ticket closed in the tracker marks its item done, one "
     "reopened reopens it. STATUS is one of draft, accepted, done, rejected."},
    {"investigations", srr_cmd_investigations,
     "investigations list [--status STATUS] [--label LABEL] [READ OPTIONS]\n"
     "investigations show ID [READ OPTIONS]\n"
     "investigations resolve ID --outcome fixed|backlog|noise [--link URL] [--note TEXT]"
     " [-c FILE] [--as NAME] [--format table|json|md]",
     "time-boxed investigations",
     "An investigation is decided by its thing's first observation judged at or after the "
     "end of its time-box: still firing, it becomes a draft risk whose log from recognition "
     "to cause is the investigation's and whose why says why it became a risk; clear, or "
     "resolved by an engineer, it closes without a risk. show prints it with the thing's "
     "value window by window and its members. The outcome backlog needs --link, the ticket. "
     "STATUS is one of open, promoted, closed."},
    {"audit", srr_cmd_audit, "audit [ID] [--limit N] [READ OPTIONS]",
     "who changed what, when, before -> after, why",
     "Prints the append-only audit log, of one record or of all."},
    {"team", srr_cmd_team, "team load [READ OPTIONS]",
     "open records per person by urgency; flags skew",
     "Shows each member's open load weighted by urgency and flags skew when the busiest "
     "person carries more than team.skew_percent of the mean."},
    {"review", srr_cmd_review,
     "review [-c FILE] [--month YYYY-MM | --last DUR | --from DATE [--to DATE]] "
     "[--quiet-weeks N] [--format table|md|html|json] [-o FILE]",
     "the report that runs the monthly review meeting",
     "The meeting's agenda - every open and mitigating risk with its assignee, next action, "
     "the days since a person last moved it and its value over the last weeks - then drafts "
     "waiting, open risks nobody owns, investigations opened, promoted and closed in the "
     "period, what changed, what is stale or quiet, which accepted risks are due for review, "
     "what could be retired, how the load is spread, and every record it names with its "
     "links: its Notion page when the Notion sink made one (else its detail in the report) "
     "and its Datadog link. The period is the current month, --month YYYY-MM, --last DUR "
     "(5w: the five weeks up to now), or --from DATE [--to DATE] (YYYY-MM-DD, --to "
     "included; or ISO-8601 times; --to defaults to now). As a table, Markdown, JSON or "
     "one self-contained HTML page (inline SVG charts, no script, nothing fetched; all "
     "text escaped)."},
    {"export", srr_cmd_export,
     "export --format csv|json|md [-c FILE] [--status STATUS] [--kind risks|backlog|all] "
     "[--label LABEL] [-o FILE|DIR]",
     "records for Notion or Google Sheets (CSV), scripts (JSON) or a wiki (Markdown)",
     "CSV follows RFC 4180 with a header row and imports into a Notion database or a Google "
     "Sheet: the title first (Notion's page title), labels as one comma-separated cell, the "
     "assignee, approver and owner (team.owners of the service) as emails where team.emails "
     "has them, and a leading ' only on a cell a spreadsheet would read as a formula. JSON "
     "has every field; Markdown writes one detail page per record and an index. --label "
     "keeps the records that carry a label of the policy."},
    {"sync", srr_cmd_sync,
     "sync [-c FILE] [--once]\nsync status [-c FILE] [--format table|json]\n"
     "sync retry [-c FILE] ID|--all\nsync resend [-c FILE] ID|--all",
     "deliver the records to Notion, Slack, GitHub/Jira and Google Sheets; read edits back",
     "Every change to a record (created, a transition, a field set, a log entry, evidence, "
     "merged, promoted) writes an outbox entry in the same SQLite transaction. sync delivers "
     "the outbox to each configured sink (a `notion:`, `slack:`, `github:`/`jira:`/`tickets:` "
     "or `sheets:` section): in order per record, "
     "consecutive changes coalesced into one update, one remote object per record (after a "
     "crash it looks the page up by srr's ID before creating it). 429 (honouring "
     "Retry-After), 5xx, timeouts and connection errors are retried with backoff; a permanent "
     "error (a 400) parks that record with the reason and never blocks the others; a parked "
     "record is tried again when it changes or the sink's config does, or after `sync retry`. "
     "Edits people make in Notion (Status, Assignee, Urgency, the Cause, Countermeasure policy "
     "and Next action sections, new log entries) are applied through the same workflow as "
     "the CLI with the Notion user as actor; a refused one is put back with a comment saying "
     "why. Slack gets one digest of a batch's new drafts and the events worth telling; an "
     "accepted backlog item becomes a ticket whose closing marks it done; the Google Sheet "
     "has one row per record and its Status and Assignee edits come back. --once delivers "
     "what is due and exits (for timers and cron; exit status 1 when "
     "something failed or was parked); otherwise it runs until SIGTERM. srr serve and srr "
     "drain run the same loop unless --no-sync.\n\n"
     "status shows per sink what is delivered, pending, waiting for a retry and parked (with "
     "the reason). retry makes parked and waiting records due now. resend makes records due "
     "from scratch: srr forgets what it wrote and compares every property and section with "
     "the page (after restoring a backup)."},
    {"notion", srr_cmd_notion, "notion setup [-c FILE]",
     "check the Notion database's schema and add the properties srr needs",
     "Adds what is missing (ID, Kind, Status with srr's statuses, Urgency, Service, Assignee, "
     "Datadog URL, Backlog URL, Postmortem URL, Next review, First seen, Last seen, "
     "Occurrences, Labels; names from notion.properties). A property that exists with the "
     "wrong type is an error naming it; nothing of the team's own is deleted or renamed. The "
     "token comes from $NOTION_TOKEN (notion.token_env) or notion.token_file."},
    {"policy", srr_cmd_policy,
     "policy check [-c FILE] [POLICY]\npolicy explain [-c FILE] --signal FILE|- [--history]\n"
     "policy test [-c FILE] --replay DIR [--policy FILE]",
     "lint, explain and test the triage policy",
     "check finds unreachable rules, unknown checks and other mistakes; explain shows, for "
     "one signal (JSON), every rule it was tested against and why the winner won (with "
     "--history, as the writer would judge it now: with the fingerprint's sightings and "
     "records from the store); test "
     "replays a recorded sweep through the current and a changed policy and prints the "
     "difference."},
    {"config", srr_cmd_config, "config check [-c FILE]\nconfig reference",
     "validate the config, or print its reference",
     "check loads the config and compiles its policy, reporting the first error as "
     "file:line:column (exit status 2). reference prints, in Markdown, every option with its "
     "type, default and meaning, every key of checks and of the policy (rules, matchers, the "
     "default), the condition measures with their kinds and units, the grammar, actions and "
     "urgency: the README's reference and srr.yaml(5) are the same text."},
    {"backup", srr_cmd_backup, "backup [-c FILE] BACKUP_FILE",
     "online copy of the store, consistent while the writer runs",
     "Copies the store through SQLite's backup API in one read transaction and checks the "
     "copy's integrity; the copy (mode 0600) carries the queue position the writer had "
     "reached with that data. Refuses to overwrite an existing file."},
    {"restore", srr_cmd_restore, "restore [-c FILE] [--accept-loss] BACKUP_FILE",
     "restore a backup and rewind the queue to it (stop serve, drain and the sweep first)",
     "Refuses while srr serve, srr drain, srr sync or a sweep holds the store, or a writer "
     "consumes the "
     "queue (exit status 1). Refuses a file that is not an srr store of a known schema or "
     "fails its integrity check. Moves the queue's read position back to where the backup "
     "was taken (the spool's consumer offset, or the writers' Kafka group offsets), so the "
     "writer applies again everything queued since, then puts the store back and checks it. "
     "When the queue no longer holds that position (spool segments deleted after "
     "queue.spool_retention, Kafka retention passed) or the backup records none, it says how "
     "many records are out of reach and exits 1 changing nothing; --accept-loss restores "
     "anyway."},
    {"doctor", srr_cmd_doctor, "doctor [-c FILE] [--offline] [--role sweep|serve|drain|sync]",
     "check what this deployment's roles need: config, Datadog keys, queue, store, webhook, sinks",
     "One line per part, exit status 1 naming what is broken. Each role is checked for what "
     "it needs: sweep the Datadog keys (--offline skips the call to /api/v1/validate), the "
     "queue and, with the local spool, the store; serve the queue, the store with the spool, "
     "the webhook secret and TLS files; drain the queue and the store; sync the store and the "
     "sinks (their sections, and unless --offline their token and options). Without --role "
     "the roles are what the config uses: sweep when it has checks, serve when it sets a "
     "webhook secret or webhook settings (the quarantine directory alone does not count), "
     "drain with Kafka, sync with a sink's section (notion:); a sweep-only install passes "
     "without a webhook secret. --role takes a comma-separated list."},
    {"help", cmd_help, "help [COMMAND]", "this help, or one command's", NULL},
    {"man", cmd_man, "man 1|5", "print the srr(1) or srr.yaml(5) man page (roff)", NULL},
    {"completion", srr_cmd_completion,
     "completion bash\ncompletion list ids|people|labels|services [COMMAND [VERB]] [-c FILE]",
     "bash completion generated from this command table",
     "bash prints the completion script (installed as "
     "/usr/share/bash-completion/completions/srr). list prints what the script completes "
     "from the config and the store, one per line: record ids a command's verb applies to "
     "(drafts for risks approve), people (team.members and assignees), labels and services. "
     "It reads the store through a read-only connection and creates nothing."},
    {"version", cmd_version, "version", "print the versions of srr and its libraries", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static int cmd_help(int argc, char **argv)
{
    const srr_command *c;
    if (argc < 2) {
        srr_help_usage(stdout);
        return SRR_EXIT_OK;
    }
    c = srr_command_find(argv[1]);
    if (!c) {
        srr_say_error("srr help: unknown command '%s'\n", argv[1]);
        return SRR_EXIT_USAGE;
    }
    srr_help_command(stdout, c);
    return SRR_EXIT_OK;
}

static int cmd_man(int argc, char **argv)
{
    if (argc != 2 || strlen(argv[1]) != 1 || srr_help_man(stdout, argv[1][0] - '0') != 0) {
        srr_say_error("usage: srr man 1|5\n");
        return SRR_EXIT_USAGE;
    }
    return SRR_EXIT_OK;
}
