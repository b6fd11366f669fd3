/* SPDX-License-Identifier: Apache-2.0
 *
 * reference.c - the tables of reference.h and their printers.
 *
 * To add a top-level section, a key of checks or of the policy, or a
 * matcher: add a row to KEYS in the section's group (the loader accepts the
 * key from then on; handle it where the section is compiled: config.c for
 * the top level and checks, rules/policy.c for the policy). To add a
 * measure to the condition grammar: add a row to MEASURES (test_condition
 * fails until every measure rules/condition.c parses has one, and compiles
 * each row's example). Keep `example` a value a user would write: the
 * tests compile the examples.
 */
#include "reference.h"

#include <string.h>

static const srr_ref_key KEYS[] = {
    /* ---- the top level ---------------------------------------------------- */
    {"", "datadog", 0, "map", NULL,
     "How srr asks Datadog: site, timeouts, concurrency, retries, rate limits (options "
     "above). The keys come from $DD_API_KEY and $DD_APP_KEY, never from the file."},
    {"", "queue", 0, "map", NULL,
     "Where candidates wait for the writer: the local spool (the default) or Kafka "
     "(queue.kafka)."},
    {"", "store", 0, "map", NULL, "The SQLite file that holds the records."},
    {"", "sweep", 0, "map", NULL,
     "The sweep's default window, its alignment, how far it catches up, its textfile."},
    {"", "webhook", 0, "map", NULL,
     "srr serve: address, shared secret, limits, TLS, quarantine of bad bodies."},
    {"", "team", 0, "map", NULL,
     "Who takes records, who owns which service, when load is skewed and a record stale."},
    {"", "checks", 0, "list of checks", NULL,
     "What the sweep asks Datadog and what counts as a signal (keys below)."},
    {"", "monitors", 0, "list of monitors", NULL,
     "Which webhook alerts are one thing: a monitor's alerts, matched by id, name or tags, "
     "grouped by the tag keys given (keys below). Without an entry each alert group (its "
     "scope) is one thing."},
    {"", "policy", 0, "map", NULL,
     "The triage policy: ordered rules, a default and the draft budget (keys below)."},
    /* A sink's section: loaded by the sink with its own option table
     * (sinks/, srr_config_load_options), whose rows print with the options
     * above. A new sink adds its row here. */
    {"", "sync", 0, "map", NULL,
     "The pace of the outbox's delivery to the sinks (srr sync, serve, drain): interval, "
     "backoff, batch."},
    {"", "notion", 0, "map", NULL,
     "The Notion database the records are mirrored to, and how (a sink: srr sync)."},
    {"", "slack", 0, "map", NULL,
     "The Slack channel told of new drafts and events, and which events (a sink: srr sync)."},
    {"", "tickets", 0, "map", NULL,
     "Accepted backlog items as tickets in GitHub or Jira: which tracker, when, how often "
     "closed tickets are read back (a sink: srr sync)."},
    {"", "github", 0, "map", NULL,
     "The GitHub repository of the tickets and its token (read by the tickets sink)."},
    {"", "jira", 0, "map", NULL,
     "The Jira Cloud project of the tickets and its API token (read by the tickets sink)."},
    {"", "sheets", 0, "map", NULL,
     "The Google Sheet with one row per record, and its service account (a sink: srr sync)."},

    /* ---- checks[] ----------------------------------------------------------- */
    {"checks[]", "name", SRR_REF_REQUIRED, "name", "worker-memory",
     "Unique; letters, digits, '-', '_' and '.'. Rules match it (match.check) and it is part "
     "of every fingerprint of the check."},
    {"checks[]", "source", SRR_REF_REQUIRED, "metrics or logs", "metrics",
     "metrics: a metric query, each series one thing (or its group_by). logs: a log search, "
     "counted per "
     "group_by value (or read event by event for new_pattern)."},
    {"checks[]", "query", SRR_REF_REQUIRED, "Datadog query",
     "avg:process.rss{service:billing-worker,env:prod} by {host}",
     "The metric query or log search, as Datadog writes it. A series' tags (the 'by' "
     "groups) name the thing at risk."},
    {"checks[]", "when", SRR_REF_REQUIRED, "condition", "growth > 10%/week",
     "What makes a signal: a measure, an operator and a number with its unit (see "
     "Conditions). Logs checks use count, change or new_pattern; metrics checks the others."},
    {"checks[]", "limit", 0, "quantity", "2GiB",
     "growth only: the level the fitted trend is projected to; the signal says when it "
     "gets there."},
    {"checks[]", "unit", 0, "unit name", "fraction",
     "metrics: what the series are in when Datadog sends no unit, or when the query computes "
     "on them (\"... * 100\": say percent); fraction, percent, byte, KiB, ms, second, ..."},
    {"checks[]", "window", 0, "duration", "7d",
     "How much time one evaluation looks at (default sweep.window; at least 1m)."},
    {"checks[]", "service", 0, "string", "billing-worker",
     "The service of the check's signals (else the series' service: tag)."},
    {"checks[]", "env", 0, "string", "prod",
     "The env of the check's signals (else the series' env: tag)."},
    {"checks[]", "group_by", 0, "name or list of names", "[service]",
     "What one thing is. logs: what a count is per - a facet, an @attribute or a tag key; "
     "each value is one thing. metrics: the tag keys of a series that name its thing (with "
     "service and env); the other tags are its members (hosts, pods). Without it each series "
     "is one thing."},
    {"checks[]", "description", 0, "text", "Resident memory of the billing worker, per host.",
     "Opens the overview of every record the check drafts."},

    /* ---- monitors[] ----------------------------------------------------------- */
    {"monitors[]", "match", 0, "map of matchers", "{id: \"48213377\"}",
     "Which monitors the entry is for (matchers below; the first entry that matches wins); "
     "no match: every monitor."},
    {"monitors[]", "group_by", SRR_REF_REQUIRED, "list of tag keys", "[service]",
     "The tag keys of an alert's group that make one thing of its alerts; its other tags "
     "are members (hosts, pods)."},

    /* ---- monitors[].match ----------------------------------------------------- */
    {"monitors[].match", "id", 0, "glob or list of globs", "\"48213377\"",
     "The monitor id ($ALERT_ID)."},
    {"monitors[].match", "name", 0, "glob or list of globs", "\"Payments p99*\"",
     "The monitor name (from the event title)."},
    {"monitors[].match", "tags", 0, "list of globs", "[\"team:payments\"]",
     "Each glob must match one of the alert's tags."},

    /* ---- policy ------------------------------------------------------------- */
    {"policy", "max_new_drafts", 0, "integer", "10",
     "The draft budget per sweep window (0, the default: none): at most this many new "
     "records per window, the most urgent first (urgency, then risk, investigate, backlog), "
     "counted by the writer after grouping; the others wait, listed, for a later window's "
     "budget. Repeats, evidence and updates of a thing's record are free; webhooks are not "
     "budgeted."},
    {"policy", "rules", 0, "list of rules", NULL,
     "Tried in order; the first whose every matcher holds decides (keys below)."},
    {"policy", "default", 0, "rule without name and match", "{action: investigate, timebox: 7d}",
     "What a signal no rule matched gets. Without it such signals are ignored (srr policy "
     "check warns); without a policy section every signal is investigated for 7d."},

    /* ---- policy.rules[] (and policy.default) -------------------------------- */
    {"policy.rules[]", "name", SRR_REF_REQUIRED, "name", "disk-almost-full",
     "Unique, not 'default'. Every decision names the rule that made it."},
    {"policy.rules[]", "match", 0, "map of matchers", "{check: \"disk-*\", env: prod}",
     "Every matcher given must hold (matchers below); no match key matches every signal."},
    {"policy.rules[]", "action", SRR_REF_REQUIRED | SRR_REF_ALSO_DEFAULT,
     "ignore, backlog, investigate or risk", "investigate",
     "What the signal becomes (see Actions)."},
    {"policy.rules[]", "timebox", SRR_REF_ALSO_DEFAULT, "duration", "7d",
     "investigate only, and required there: how long the investigation may run before a "
     "still-firing thing becomes a draft risk."},
    {"policy.rules[]", "urgency", SRR_REF_ALSO_DEFAULT, "low, medium, high or critical", "high",
     "The record's urgency (default medium). Not with impact and likelihood."},
    {"policy.rules[]", "impact", SRR_REF_ALSO_DEFAULT, "low, medium or high", "high",
     "With likelihood (both or neither): urgency is their product, 9 critical, 6 high, 3-4 "
     "medium, 1-2 low."},
    {"policy.rules[]", "likelihood", SRR_REF_ALSO_DEFAULT, "low, medium or high", "medium",
     "See impact."},
    {"policy.rules[]", "owner", SRR_REF_ALSO_DEFAULT, "string", "platform",
     "Who the record is assigned to when it is created (a person or a team)."},
    {"policy.rules[]", "labels", SRR_REF_ALSO_DEFAULT, "list of strings", "[capacity, postgres]",
     "Kept on the record: shown by list and show, exported, filtered with --label."},
    {"policy.rules[]", "group_by", SRR_REF_ALSO_DEFAULT, "list of tag keys", "[service]",
     "The old place of checks[].group_by, still loaded: carried to the source (the checks and "
     "monitors the rule's match names) with the same meaning; srr config check prints the "
     "rewrite. A rule never changes what a thing is."},
    {"policy.rules[]", "reason", SRR_REF_ALSO_DEFAULT, "text",
     "\"A disk above 90% fills before a ticket gets done.\"",
     "The sentence every decision by this rule carries (else one is written)."},

    /* ---- policy.rules[].match ------------------------------------------------ */
    {"policy.rules[].match", "source", 0, "metrics, logs or webhook (or a list)", "[metrics, logs]",
     "Where the signal comes from."},
    {"policy.rules[].match", "check", 0, "glob or list of globs", "\"disk-*\"",
     "A configured check's name, or a monitor id (webhooks)."},
    {"policy.rules[].match", "kind", 0,
     "threshold, trend, spike, count, new_pattern or monitor_alert (or a list)", "threshold",
     "The kind of signal (a condition's kind, see Conditions; webhooks are monitor_alert)."},
    {"policy.rules[].match", "service", 0, "glob or list of globs", "\"checkout*\"",
     "The signal's service."},
    {"policy.rules[].match", "env", 0, "glob or list of globs", "prod", "The signal's env."},
    {"policy.rules[].match", "tags", 0, "list of globs", "[\"device:/dev/*\"]",
     "Each glob must match one of the signal's tags."},
    {"policy.rules[].match", "status", 0, "firing or recovered (or a list)", "firing",
     "Whether the condition holds (firing) or a monitor recovered."},
    {"policy.rules[].match", "priority", 0, "glob or list of globs", "[P1, P2]",
     "A monitor's priority (webhooks), compared without case."},
    {"policy.rules[].match", "value", 0, "[measure] op quantity", "\"p95 > 300ms\"",
     "The signal's value against a threshold; with a measure the signal's condition must "
     "use it."},
    {"policy.rules[].match", "recurrence", 0,
     "[seen in] [op] N of [the] [last] M [sweeps|weeks|days|hours]",
     "\">= 3 of the last 4 sweeps\"",
     "How often the thing fired lately (the writer's view; a producer treats it as "
     "unknown). Without an operator, >=."},
    {"policy.rules[].match", "flapping", 0, "[op] N [times] in duration", "\">= 3 times in 7d\"",
     "How often the thing fired and recovered within the duration. A flapping rule whose "
     "action is risk drafts even from a recovered signal."},
    {NULL, NULL, 0, NULL, NULL, NULL}};

/* The condition grammar of checks[].when, one row per measure (or family of
 * measures): rules/condition.c parses them, test_condition holds the two
 * together. */
static const srr_ref_measure MEASURES[] = {
    {"max, min, avg, last, sum", "threshold", "metrics", "% bytes time or none", "last > 85%",
     "The maximum, minimum, mean, last value or sum of each series' points over the window."},
    {"p50, p75, p90, p95, p99", "threshold", "metrics", "% bytes time or none", "p95 > 300ms",
     "A percentile of each series' points over the window."},
    {"growth", "trend", "metrics", "%/week %/day %/month", "growth > 10%/week",
     "The least-squares slope of each series relative to its fitted start (a lone outlier "
     "dropped), per week; with limit, when the trend reaches it."},
    {"spike", "spike", "metrics, logs", "%", "spike > 200%",
     "metrics: the window's highest point against the previous window's mean, in % above "
     "it. logs: the window's fullest interval (about 1/168 of it: an hour of a week) of a "
     "group's count against the previous window's mean per interval (a group silent before "
     "counts one event per interval)."},
    {"count", "count", "logs", "none (events)", "count > 100",
     "Log events per group_by value in the window."},
    {"change", "count", "logs", "%", "change > 300%",
     "The change of each group's count against the previous window (a group absent there "
     "counts 1)."},
    {"new_pattern", "new_pattern", "logs", "none (events)", "new_pattern >= 5",
     "Events per group of a message pattern (numbers, ids, hex, UUIDs and quoted strings "
     "masked) the previous window did not show in that group; one signal per new pattern."},
    {NULL, NULL, NULL, NULL, NULL, NULL}};

/* Short sections printed after the tables: heading, then paragraphs. */
static const struct {
    const char *heading, *text;
} NOTES[] = {
    {"Condition grammar",
     "`condition := measure op quantity`, `op := > >= < <= == !=`, `quantity := number "
     "[unit]`, `number := [+-]digits[.digits][e[+-]digits]`; spaces are allowed between "
     "tokens."},
    {"Units",
     "`%`; bytes `B KB MB GB TB` (1000-based) and `KiB MiB GiB TiB` (1024-based); time `ns us "
     "\xc2\xb5s ms s m h d`; growth rates `%/week %/day %/month` (a month is 30 days). A "
     "threshold with a unit is converted into the series' unit when both are of one kind "
     "(`last > 85%` on a fraction is 0.85); a plain number is in the series' own unit; a "
     "unit that cannot be reconciled fails the check, saying how to write it (README, "
     "\"Units are read from Datadog\")."},
    {"Globs",
     "fnmatch(3) patterns: `*` any run, `?` one byte, `[abc]` `[a-z]` `[!x]` `[[:digit:]]` "
     "one byte of (not) the set, `\\` escapes the next character."},
    {"Actions",
     "ignore: the sighting is kept, no record. backlog: a draft backlog item (clearly "
     "fixable now). investigate: an investigation with a time-box; still firing when it "
     "ends, it becomes a draft risk, quiet or resolved by an engineer, it closes. risk: a "
     "draft risk. While a thing has an open record its signals attach to it as evidence."},
    {"Urgency",
     "low, medium, high, critical: set by urgency, or by impact x likelihood (each low 1, "
     "medium 2, high 3; product 9 critical, 6 high, 3-4 medium, 1-2 low). Engineers change "
     "it with `srr risks set ID urgency=U` (audited)."},
    {NULL, NULL}};

/* A short, complete example (srr.yaml(5)'s EXAMPLE; test_reference loads
 * and compiles it). */
static const char EXAMPLE[] =
    "checks:\n"
    "  - name: worker-memory\n"
    "    source: metrics\n"
    "    query: \"avg:process.rss{service:billing-worker,env:prod} by {host}\"\n"
    "    when: \"growth > 10%/week\"\n"
    "    limit: 2GiB\n"
    "  - name: checkout-5xx\n"
    "    source: logs\n"
    "    query: \"service:checkout env:prod status:error\"\n"
    "    group_by: [service]\n"
    "    when: \"count > 100\"\n"
    "policy:\n"
    "  max_new_drafts: 10\n"
    "  rules:\n"
    "    - name: staging-is-not-production\n"
    "      match: {env: staging}\n"
    "      action: ignore\n"
    "    - name: unexplained-growth\n"
    "      match: {kind: trend}\n"
    "      action: investigate\n"
    "      timebox: 7d\n"
    "      urgency: high\n"
    "    - name: customer-facing\n"
    "      match: {service: \"checkout*\", value: \"count >= 500\"}\n"
    "      action: risk\n"
    "      impact: high\n"
    "      likelihood: medium\n"
    "      labels: [customer]\n"
    "  default:\n"
    "    action: backlog\n"
    "team:\n"
    "  members: [alice, bob]\n"
    "  owners: {checkout: alice}\n";

const char *srr_ref_example(void)
{
    return EXAMPLE;
}

const srr_ref_key *srr_ref_keys(void)
{
    return KEYS;
}

const srr_ref_measure *srr_ref_measures(void)
{
    return MEASURES;
}

size_t srr_ref_section_keys(const char *section, const char **out, size_t cap)
{
    const srr_ref_key *k;
    size_t n = 0;
    int deflt = strcmp(section, "policy.default") == 0;
    if (cap == 0)
        return 0;
    for (k = KEYS; k->section && n + 1 < cap; k++) {
        if (deflt ? (strcmp(k->section, "policy.rules[]") == 0 && (k->flags & SRR_REF_ALSO_DEFAULT))
                  : strcmp(k->section, section) == 0)
            out[n++] = k->key;
    }
    out[n] = NULL;
    return n;
}

/* ---- markdown ---------------------------------------------------------------- */

/* Writes text for a markdown table cell: '|' escaped. */
static void md_cell(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '|')
            fputs("\\|", out);
        else
            fputc(*s, out);
    }
}

static const struct {
    const char *section, *heading;
} GROUPS[] = {
    {"", "Sections"},
    {"checks[]", "`checks:` (a list; each check)"},
    {"monitors[]", "`monitors:` (a list; each entry)"},
    {"monitors[].match", "`monitors[].match:` (every matcher given must hold)"},
    {"policy", "`policy:`"},
    {"policy.rules[]", "`policy.rules[]` (each rule; `policy.default` takes the keys marked D)"},
    {"policy.rules[].match", "`match:` (every matcher given must hold)"},
    {NULL, NULL}};

static void md_keys(FILE *out, const char *section)
{
    const srr_ref_key *k;
    fputs("| key | type | example | meaning |\n|---|---|---|---|\n", out);
    for (k = KEYS; k->section; k++) {
        if (strcmp(k->section, section) != 0)
            continue;
        fprintf(out, "| `%s`%s%s | ", k->key, k->flags & SRR_REF_REQUIRED ? " (required)" : "",
                k->flags & SRR_REF_ALSO_DEFAULT ? " D" : "");
        md_cell(out, k->type);
        fputs(" | ", out);
        if (k->example) {
            fputc('`', out);
            md_cell(out, k->example);
            fputc('`', out);
        }
        fputs(" | ", out);
        md_cell(out, k->help);
        fputs(" |\n", out);
    }
}

void srr_ref_print_md(FILE *out)
{
    size_t g, i;
    const srr_ref_measure *m;
    for (g = 0; GROUPS[g].section; g++) {
        fprintf(out, "\n#### %s\n\n", GROUPS[g].heading);
        md_keys(out, GROUPS[g].section);
    }
    fputs("\n#### Conditions (`checks[].when`)\n\n"
          "| measure | kind | source | unit | example | what it measures |\n"
          "|---|---|---|---|---|---|\n",
          out);
    for (m = MEASURES; m->measure; m++) {
        fprintf(out, "| %s | %s | %s | ", m->measure, m->kind, m->source);
        md_cell(out, m->units);
        fprintf(out, " | `%s` | ", m->example);
        md_cell(out, m->help);
        fputs(" |\n", out);
    }
    for (i = 0; NOTES[i].heading; i++)
        fprintf(out, "\n#### %s\n\n%s\n", NOTES[i].heading, NOTES[i].text);
}

/* ---- roff -------------------------------------------------------------------- */

/* Writes text for roff: backslashes and dashes escaped, a leading dot or
 * quote protected, markdown's code quotes dropped. */
static void roff(FILE *out, const char *s)
{
    int bol = 1;
    for (; s && *s; s++) {
        if (*s == '`')
            continue;
        if (bol && (*s == '.' || *s == '\''))
            fputs("\\&", out);
        if (*s == '\\')
            fputs("\\e", out);
        else if (*s == '-')
            fputs("\\-", out);
        else
            fputc(*s, out);
        bol = *s == '\n';
    }
}

void srr_ref_print_roff(FILE *out)
{
    size_t g, i;
    const srr_ref_key *k;
    const srr_ref_measure *m;
    for (g = 0; GROUPS[g].section; g++) {
        fputs(".SS ", out);
        for (const char *p = GROUPS[g].heading; *p; p++) /* no markdown quotes */
            if (*p != '`')
                fputc(*p, out);
        fputs("\n", out);
        for (k = KEYS; k->section; k++) {
            if (strcmp(k->section, GROUPS[g].section) != 0)
                continue;
            fputs(".TP\n.B ", out);
            roff(out, k->key);
            fputs("\n(", out);
            roff(out, k->type);
            if (k->flags & SRR_REF_REQUIRED)
                fputs("; required", out);
            if (k->flags & SRR_REF_ALSO_DEFAULT)
                fputs("; also in policy.default", out);
            if (k->example) {
                fputs("; e.g. ", out);
                roff(out, k->example);
            }
            fputs(")\n", out);
            roff(out, k->help);
            fputc('\n', out);
        }
    }
    fputs(".SS Conditions (checks[].when)\n", out);
    for (m = MEASURES; m->measure; m++) {
        fputs(".TP\n.B ", out);
        roff(out, m->measure);
        fputs("\n(", out);
        roff(out, m->kind);
        fputs(", ", out);
        roff(out, m->source);
        fputs("; unit ", out);
        roff(out, m->units);
        fputs("; e.g. ", out);
        roff(out, m->example);
        fputs(")\n", out);
        roff(out, m->help);
        fputc('\n', out);
    }
    for (i = 0; NOTES[i].heading; i++) {
        fprintf(out, ".SS %s\n", NOTES[i].heading);
        roff(out, NOTES[i].text);
        fputc('\n', out);
    }
}
