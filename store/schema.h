/* SPDX-License-Identifier: Apache-2.0
 *
 * schema.h - the SQL of the store, in one place: the migrations that build
 * the schema (keyed by PRAGMA user_version) and the statements store.c
 * prepares once at open and reuses. Internal to store/.
 *
 * Migrations: SRR_MIGRATIONS[i] takes a database from user_version i to
 * i + 1. Never edit a migration that has shipped; append a new one.
 *
 * Conventions of the schema:
 *   - times are INTEGER epoch seconds (UTC); reads format them as ISO-8601;
 *   - urgency is INTEGER 0..3 (low, medium, high, critical) so lists sort
 *     by it; reads print the name;
 *   - a "record" is (record_kind, record_id) with kind 'risk', 'backlog' or
 *     'investigation'; human ids are SRR-<id>, BL-<id>, INV-<id>;
 *   - the audit table is append-only, enforced by triggers.
 */
#ifndef SRR_STORE_SCHEMA_H
#define SRR_STORE_SCHEMA_H

static const char *const SRR_MIGRATIONS[] = {
    /* 1: the initial schema. */
    "CREATE TABLE risks ("
    "  id INTEGER PRIMARY KEY,"
    "  status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN"
    "    ('draft','open','mitigating','resolved','accepted','rejected','merged')),"
    "  urgency INTEGER NOT NULL DEFAULT 1 CHECK (urgency BETWEEN 0 AND 3),"
    "  title TEXT NOT NULL,"
    "  service TEXT,"
    "  env TEXT,"
    "  fingerprint TEXT NOT NULL,"
    "  overview TEXT NOT NULL DEFAULT '',"
    "  cause TEXT,"
    "  countermeasure_policy TEXT,"
    "  next_action TEXT,"
    "  assignee TEXT,"
    "  datadog_url TEXT,"
    "  backlog_link TEXT,"
    "  postmortem_link TEXT,"
    "  impact TEXT,"
    "  likelihood TEXT,"
    "  rule TEXT,"
    "  reason TEXT,"
    "  origin_candidate TEXT,"
    "  merged_into INTEGER REFERENCES risks(id),"
    "  reopened_from INTEGER REFERENCES risks(id),"
    "  approved_by TEXT,"
    "  approved_at INTEGER,"
    "  next_review_at INTEGER,"
    "  first_seen INTEGER,"
    "  last_seen INTEGER,"
    "  occurrences INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL"
    ");"
    "CREATE INDEX risks_fingerprint ON risks(fingerprint, id);"
    "CREATE INDEX risks_status ON risks(status, urgency DESC, id);"

    "CREATE TABLE backlog ("
    "  id INTEGER PRIMARY KEY,"
    "  status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN"
    "    ('draft','accepted','done','rejected')),"
    "  title TEXT NOT NULL,"
    "  service TEXT,"
    "  env TEXT,"
    "  fingerprint TEXT NOT NULL,"
    "  description TEXT NOT NULL DEFAULT '',"
    "  urgency INTEGER NOT NULL DEFAULT 1 CHECK (urgency BETWEEN 0 AND 3),"
    "  assignee TEXT,"
    "  ticket_link TEXT,"
    "  datadog_url TEXT,"
    "  rule TEXT,"
    "  reason TEXT,"
    "  origin_candidate TEXT,"
    "  first_seen INTEGER,"
    "  last_seen INTEGER,"
    "  occurrences INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL"
    ");"
    "CREATE INDEX backlog_fingerprint ON backlog(fingerprint, id);"
    "CREATE INDEX backlog_status ON backlog(status, urgency DESC, id);"

    "CREATE TABLE investigations ("
    "  id INTEGER PRIMARY KEY,"
    "  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','promoted','closed')),"
    "  fingerprint TEXT NOT NULL,"
    "  title TEXT NOT NULL,"
    "  service TEXT,"
    "  env TEXT,"
    "  urgency INTEGER NOT NULL DEFAULT 1 CHECK (urgency BETWEEN 0 AND 3),"
    "  assignee TEXT,"
    "  opened_at INTEGER NOT NULL,"
    "  deadline INTEGER NOT NULL,"
    "  last_status TEXT NOT NULL CHECK (last_status IN ('firing','recovered')),"
    "  outcome TEXT,"
    "  risk_id INTEGER REFERENCES risks(id),"
    "  rule TEXT,"
    "  reason TEXT,"
    "  datadog_url TEXT,"
    "  origin_candidate TEXT,"
    "  first_seen INTEGER,"
    "  last_seen INTEGER,"
    "  occurrences INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL"
    ");"
    "CREATE INDEX investigations_fingerprint ON investigations(fingerprint, id);"
    "CREATE INDEX investigations_due ON investigations(status, deadline);"

    /* Dated entries of a record's "log from recognition to cause" and
     * "countermeasure log". */
    "CREATE TABLE log_entries ("
    "  id INTEGER PRIMARY KEY,"
    "  record_kind TEXT NOT NULL CHECK (record_kind IN ('risk','backlog','investigation')),"
    "  record_id INTEGER NOT NULL,"
    "  section TEXT NOT NULL CHECK (section IN ('recognition','countermeasure')),"
    "  at INTEGER NOT NULL,"
    "  author TEXT NOT NULL,"
    "  text TEXT NOT NULL"
    ");"
    "CREATE INDEX log_entries_record ON log_entries(record_kind, record_id, section, at);"

    /* Full evidence, kept only for fingerprints that have a record. */
    "CREATE TABLE evidence ("
    "  id INTEGER PRIMARY KEY,"
    "  record_kind TEXT NOT NULL CHECK (record_kind IN ('risk','backlog','investigation')),"
    "  record_id INTEGER NOT NULL,"
    "  candidate_id TEXT NOT NULL,"
    "  observed_at INTEGER NOT NULL,"
    "  status TEXT NOT NULL,"
    "  value REAL,"
    "  summary TEXT,"
    "  link TEXT,"
    "  evidence TEXT"
    ");"
    "CREATE INDEX evidence_record ON evidence(record_kind, record_id, id);"

    /* Every sighting of a fingerprint, compact, for recurrence/flapping. */
    "CREATE TABLE sightings ("
    "  id INTEGER PRIMARY KEY,"
    "  fingerprint TEXT NOT NULL,"
    "  candidate_id TEXT NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  status TEXT NOT NULL,"
    "  value REAL"
    ");"
    "CREATE INDEX sightings_fingerprint ON sightings(fingerprint, at);"

    /* Processed candidate ids: what makes the writer idempotent. WITHOUT
     * ROWID: the hash id is the only key, so one b-tree instead of two. */
    "CREATE TABLE candidates ("
    "  id TEXT PRIMARY KEY,"
    "  fingerprint TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  applied_at INTEGER NOT NULL,"
    "  outcome TEXT NOT NULL"
    ") WITHOUT ROWID;"

    /* Dead letters. dedup_key (NULL allowed, many NULLs allowed) makes a
     * redelivered poison message land once. */
    "CREATE TABLE quarantine ("
    "  id INTEGER PRIMARY KEY,"
    "  at INTEGER NOT NULL,"
    "  origin TEXT NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  payload BLOB,"
    "  payload_bytes INTEGER NOT NULL,"
    "  dedup_key TEXT UNIQUE"
    ");"

    "CREATE TABLE audit ("
    "  id INTEGER PRIMARY KEY,"
    "  at INTEGER NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  record_kind TEXT NOT NULL,"
    "  record_id INTEGER,"
    "  action TEXT NOT NULL,"
    "  before TEXT,"
    "  after TEXT,"
    "  why TEXT"
    ");"
    "CREATE INDEX audit_record ON audit(record_kind, record_id, id);"
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
    "  BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;"
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
    "  BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;"

    /* How far the sweep got per check (used by the sweep, no API yet). */
    "CREATE TABLE sweep_state ("
    "  check_name TEXT PRIMARY KEY,"
    "  last_window_end INTEGER NOT NULL"
    ") WITHOUT ROWID;",

    /* 2: the policy engine (issue 4): labels, impact and likelihood from
     * the deciding rule; how an engineer resolved an investigation; the
     * final decision of every candidate (rule, effect, why). */
    "ALTER TABLE risks ADD COLUMN labels TEXT;"
    "ALTER TABLE backlog ADD COLUMN labels TEXT;"
    "ALTER TABLE investigations ADD COLUMN labels TEXT;"
    "ALTER TABLE investigations ADD COLUMN resolved_by TEXT;"
    "ALTER TABLE investigations ADD COLUMN resolution_link TEXT;"
    "ALTER TABLE investigations ADD COLUMN resolution_note TEXT;"
    "ALTER TABLE investigations ADD COLUMN backlog_id INTEGER REFERENCES backlog(id);"
    "ALTER TABLE candidates ADD COLUMN decision TEXT;"
    "CREATE INDEX investigations_closed ON investigations(fingerprint, status, id);",

    /* 3: the decision moves from candidates to sightings. candidates is
     * keyed by a random SHA-256 id, so every insert lands on a random leaf
     * page; the ~250-byte decision made its rows three times wider, and a
     * batch dirtied (and wrote to the WAL, and checkpointed) three times
     * the pages. sightings is append-only in rowid order with exactly one
     * row per stored candidate (both are written in the same transaction),
     * so the decision costs there only the bytes themselves. Existing
     * decisions are copied over by candidate id before the column goes. */
    "ALTER TABLE sightings ADD COLUMN decision TEXT;"
    "UPDATE sightings SET decision = c.decision FROM candidates AS c"
    "  WHERE c.id = sightings.candidate_id AND c.decision IS NOT NULL;"
    "ALTER TABLE candidates DROP COLUMN decision;",

    /* 4: the outbox and its sinks (issue 20, DESIGN.md section 4b).
     * Every change to a record is an audit entry, so one trigger on audit
     * writes the outbox in the same transaction as the change, whichever
     * code made it (writer, workflow, promotion, merge). The outbox holds
     * ONE row per record: seq is the audit id of its latest change,
     * created_seq that of its first (creation order). Consecutive changes
     * coalesce by construction, and a sink that needs to know what changed
     * reads the audit entries between what it delivered and seq.
     * sync_state is each sink's progress per record: what it delivered,
     * the remote object's id (one per record), the sink's memory of what
     * the remote side holds, retries and parking. sync_meta holds a sink's
     * own cursors (the edit poll's high-water mark). Existing records get
     * their outbox row from their audit history, so a first sync mirrors
     * them all. */
    "CREATE TABLE outbox ("
    "  record_kind TEXT NOT NULL,"
    "  record_id INTEGER NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  created_seq INTEGER NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  PRIMARY KEY (record_kind, record_id)"
    ") WITHOUT ROWID;"
    "CREATE TRIGGER audit_outbox AFTER INSERT ON audit"
    "  WHEN NEW.record_id IS NOT NULL AND (NEW.record_kind = 'risk'"
    "    OR NEW.record_kind = 'backlog' OR NEW.record_kind = 'investigation')"
    "  BEGIN"
    "    INSERT INTO outbox(record_kind, record_id, seq, created_seq, at)"
    "      VALUES (NEW.record_kind, NEW.record_id, NEW.id, NEW.id, NEW.at)"
    "      ON CONFLICT(record_kind, record_id) DO UPDATE SET seq = excluded.seq, at = excluded.at;"
    "  END;"
    "INSERT INTO outbox(record_kind, record_id, seq, created_seq, at)"
    "  SELECT record_kind, record_id, max(id), min(id), max(at) FROM audit"
    "  WHERE record_id IS NOT NULL AND record_kind IN ('risk','backlog','investigation')"
    "  GROUP BY record_kind, record_id;"
    "CREATE TABLE sync_state ("
    "  sink TEXT NOT NULL,"
    "  record_kind TEXT NOT NULL,"
    "  record_id INTEGER NOT NULL,"
    "  remote_id TEXT,"
    "  delivered_seq INTEGER NOT NULL DEFAULT 0,"
    "  state TEXT,"
    "  creating INTEGER NOT NULL DEFAULT 0,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_at INTEGER NOT NULL DEFAULT 0,"
    "  error TEXT,"
    "  parked_seq INTEGER,"
    "  parked_tag TEXT,"
    "  parked_at INTEGER,"
    "  updated_at INTEGER NOT NULL,"
    "  PRIMARY KEY (sink, record_kind, record_id)"
    ") WITHOUT ROWID;"
    "CREATE INDEX sync_state_remote ON sync_state(sink, remote_id);"
    "CREATE TABLE sync_meta ("
    "  sink TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  value TEXT,"
    "  PRIMARY KEY (sink, key)"
    ") WITHOUT ROWID;",

    /* 5: things followed week after week (issue 18, DESIGN.md section 3).
     * A thing is its source (check or monitor) + the group declared there;
     * its fingerprint no longer depends on the rule that won. things holds
     * what names each one (its group; grp_tags, the group's tags as the
     * signals carry them, so the sweep can observe it again; the title
     * without the member count; which way its value gets worse);
     * thing_members the member groups
     * seen firing ("pod:w-1" of "service:worker"); thing_aliases the
     * fingerprints a thing's old records and sightings were carried from
     * (the writer re-keys them, with the config, the first time the thing
     * or member is observed under its identity from the source: runbook,
     * "Upgrading"). sightings are the observations, firing and clear, each
     * with its member. Records keep their thing's latest and worst value
     * and its latest observation, ordered by the observation's own date.
     * windows and pending are the draft budget: new records of a sweep
     * window wait in pending until the window is closed, then the most
     * urgent are drafted within max_new_drafts and the rest wait for a
     * later window. Existing records get their values from their
     * evidence. */
    "CREATE TABLE things ("
    "  fingerprint TEXT PRIMARY KEY,"
    "  source TEXT NOT NULL,"
    "  check_name TEXT NOT NULL,"
    "  service TEXT,"
    "  env TEXT,"
    "  grp TEXT NOT NULL DEFAULT '',"
    "  grp_tags TEXT NOT NULL DEFAULT '',"
    "  title TEXT NOT NULL DEFAULT '',"
    "  unit TEXT,"
    "  worse INTEGER NOT NULL DEFAULT 1,"
    "  first_at INTEGER NOT NULL,"
    "  created_at INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE INDEX things_check ON things(check_name, source);"
    "CREATE TABLE thing_members ("
    "  fingerprint TEXT NOT NULL,"
    "  member TEXT NOT NULL,"
    "  first_at INTEGER NOT NULL,"
    "  PRIMARY KEY (fingerprint, member)"
    ") WITHOUT ROWID;"
    "CREATE TABLE thing_aliases ("
    "  old TEXT PRIMARY KEY,"
    "  fingerprint TEXT NOT NULL,"
    "  at INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "ALTER TABLE sightings ADD COLUMN member TEXT;"
    "ALTER TABLE risks ADD COLUMN last_value REAL;"
    "ALTER TABLE risks ADD COLUMN worst_value REAL;"
    "ALTER TABLE risks ADD COLUMN last_obs_at INTEGER;"
    "ALTER TABLE risks ADD COLUMN last_obs_status TEXT;"
    "ALTER TABLE risks ADD COLUMN members INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE backlog ADD COLUMN last_value REAL;"
    "ALTER TABLE backlog ADD COLUMN worst_value REAL;"
    "ALTER TABLE backlog ADD COLUMN last_obs_at INTEGER;"
    "ALTER TABLE backlog ADD COLUMN last_obs_status TEXT;"
    "ALTER TABLE backlog ADD COLUMN members INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE investigations ADD COLUMN last_value REAL;"
    "ALTER TABLE investigations ADD COLUMN worst_value REAL;"
    "ALTER TABLE investigations ADD COLUMN last_obs_at INTEGER;"
    "ALTER TABLE investigations ADD COLUMN members INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE windows ("
    "  window_end INTEGER PRIMARY KEY,"
    "  drafted INTEGER NOT NULL DEFAULT 0,"
    "  closed_at INTEGER"
    ");"
    "CREATE TABLE pending ("
    "  id INTEGER PRIMARY KEY,"
    "  fingerprint TEXT NOT NULL,"
    "  window_end INTEGER NOT NULL,"
    "  candidate_id TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  urgency INTEGER NOT NULL,"
    "  effect TEXT NOT NULL,"
    "  resolved_risk INTEGER,"
    "  title TEXT NOT NULL,"
    "  candidate TEXT NOT NULL,"
    "  extra TEXT,"
    "  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','drafted','obsolete')),"
    "  record TEXT,"
    "  drafted_in INTEGER,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL"
    ");"
    "CREATE UNIQUE INDEX pending_open ON pending(fingerprint) WHERE state = 'pending';"
    "CREATE INDEX pending_state ON pending(state, window_end);"
    "UPDATE risks SET"
    "  last_value = (SELECT e.value FROM evidence e WHERE e.record_kind = 'risk'"
    "    AND e.record_id = risks.id ORDER BY e.observed_at DESC, e.id DESC LIMIT 1),"
    "  worst_value = (SELECT max(e.value) FROM evidence e WHERE e.record_kind = 'risk'"
    "    AND e.record_id = risks.id),"
    "  last_obs_at = (SELECT max(e.observed_at) FROM evidence e WHERE e.record_kind = 'risk'"
    "    AND e.record_id = risks.id),"
    "  last_obs_status = (SELECT CASE e.status WHEN 'firing' THEN 'firing' ELSE 'clear' END"
    "    FROM evidence e WHERE e.record_kind = 'risk' AND e.record_id = risks.id"
    "    ORDER BY e.observed_at DESC, e.id DESC LIMIT 1);"
    "UPDATE backlog SET"
    "  last_value = (SELECT e.value FROM evidence e WHERE e.record_kind = 'backlog'"
    "    AND e.record_id = backlog.id ORDER BY e.observed_at DESC, e.id DESC LIMIT 1),"
    "  worst_value = (SELECT max(e.value) FROM evidence e WHERE e.record_kind = 'backlog'"
    "    AND e.record_id = backlog.id),"
    "  last_obs_at = (SELECT max(e.observed_at) FROM evidence e WHERE e.record_kind = 'backlog'"
    "    AND e.record_id = backlog.id),"
    "  last_obs_status = (SELECT CASE e.status WHEN 'firing' THEN 'firing' ELSE 'clear' END"
    "    FROM evidence e WHERE e.record_kind = 'backlog' AND e.record_id = backlog.id"
    "    ORDER BY e.observed_at DESC, e.id DESC LIMIT 1);"
    "UPDATE investigations SET"
    "  last_value = (SELECT e.value FROM evidence e WHERE e.record_kind = 'investigation'"
    "    AND e.record_id = investigations.id ORDER BY e.observed_at DESC, e.id DESC LIMIT 1),"
    "  worst_value = (SELECT max(e.value) FROM evidence e WHERE e.record_kind = 'investigation'"
    "    AND e.record_id = investigations.id),"
    "  last_obs_at = (SELECT max(e.observed_at) FROM evidence e"
    "    WHERE e.record_kind = 'investigation' AND e.record_id = investigations.id);",

    /* 6: how far the writer has consumed the queue, written in the same
     * transaction as the batch it covers, so a backup (one read
     * transaction) holds the position of exactly the data it holds, and a
     * restore can move the queue's read position back to it (backup.h).
     * backend is "spool" or "kafka:<topic>"; next_offset is the first
     * record the store does not hold yet; records (spool) counts the
     * records consumed before it, -1 when unknown. */
    "CREATE TABLE queue_positions ("
    "  backend TEXT NOT NULL,"
    "  partition INTEGER NOT NULL,"
    "  next_offset INTEGER NOT NULL,"
    "  records INTEGER NOT NULL DEFAULT -1,"
    "  updated_at INTEGER NOT NULL,"
    "  PRIMARY KEY (backend, partition)"
    ") WITHOUT ROWID;",
};

#define SRR_SCHEMA_VERSION ((int)(sizeof SRR_MIGRATIONS / sizeof SRR_MIGRATIONS[0]))

/* Statements prepared once per store. */
enum srr_stmt_id {
    Q_BEGIN,
    Q_COMMIT,
    Q_ROLLBACK,
    Q_CAND_INSERT,
    Q_CAND_OUTCOME,
    Q_SIGHTING_INSERT,
    Q_OPEN_RISK,
    Q_OPEN_INV,
    Q_OPEN_BL,
    Q_RISK_LATEST,
    Q_RISK_STATUS,
    Q_RISK_INSERT,
    Q_BL_INSERT,
    Q_INV_INSERT,
    Q_RISK_TOUCH,
    Q_BL_TOUCH,
    Q_INV_TOUCH,
    Q_EVIDENCE_INSERT,
    Q_EVIDENCE_COPY,
    Q_EVIDENCE_OF,
    Q_EVIDENCE_RECENT,
    Q_LOG_INSERT,
    Q_LOG_OF,
    Q_AUDIT_INSERT,
    Q_QUAR_INSERT,
    Q_QUAR_LIST,
    Q_INV_DUE,
    Q_INV_GET,
    Q_INV_FINISH,
    Q_RISK_GET,
    Q_RISK_LIST,
    Q_BL_GET,
    Q_BL_LIST,
    Q_INV_LIST,
    Q_SIGHTINGS_RECENT,
    Q_INV_DEADLINE,
    Q_INV_LAST_CLOSED,
    Q_INV_RESOLVE,
    Q_BL_INSERT_ACCEPTED,
    Q_THING_INSERT,
    Q_THING_HAS,
    Q_MEMBER_INSERT,
    Q_ALIAS_HAS,
    Q_ALIAS_INSERT,
    Q_CARRY_RISKS,
    Q_CARRY_BACKLOG,
    Q_CARRY_INV,
    Q_CARRY_SIGHTINGS,
    Q_CARRY_PENDING,
    Q_RISK_MEMBERS,
    Q_BL_MEMBERS,
    Q_INV_MEMBERS,
    Q_THING_GET,
    Q_SIGHTINGS_ASC,
    Q_EVIDENCE_AT,
    Q_RISK_VALUES_FROM_INV,
    Q_MEMBER_STATS,
    Q_RISK_RETITLE,
    Q_BL_RETITLE,
    Q_INV_RETITLE,
    Q_RISK_RAISE,
    Q_BL_RAISE,
    Q_INV_RAISE,
    Q_RISK_URGENCY,
    Q_PENDING_PUT,
    Q_PENDING_DUE,
    Q_PENDING_DONE,
    Q_PENDING_WINDOWS,
    Q_WINDOW_GET,
    Q_WINDOW_COUNT,
    Q_WINDOW_CLOSE,
    Q__COUNT
};

/* Status sets that count as "open" for attaching evidence, as predicates.
 * Written as ORs of equalities, not "status IN (...)": SQLite fills a
 * temporary b-tree with an IN list of more than two constants on every
 * execution, and the open-risk lookup runs once per candidate. */
#define SRR_RISK_OPEN_SQL                                                                          \
    "(status = 'draft' OR status = 'open' OR status = 'mitigating' OR status = 'accepted')"
#define SRR_BACKLOG_OPEN_SQL "(status = 'draft' OR status = 'accepted')"

#define SRR_RISK_COLUMNS                                                                           \
    "id, status, urgency, title, service, env, fingerprint, overview, cause,"                      \
    " countermeasure_policy, next_action, assignee, datadog_url, backlog_link,"                    \
    " postmortem_link, impact, likelihood, rule, reason, origin_candidate,"                        \
    " merged_into, reopened_from, approved_by, approved_at, next_review_at,"                       \
    " first_seen, last_seen, occurrences, created_at, updated_at, labels, last_value,"             \
    " worst_value, last_obs_at, last_obs_status, members"

#define SRR_BACKLOG_COLUMNS                                                                        \
    "id, status, urgency, title, service, env, fingerprint, description, assignee,"                \
    " ticket_link, datadog_url, rule, reason, origin_candidate, first_seen,"                       \
    " last_seen, occurrences, created_at, updated_at, labels, last_value, worst_value,"            \
    " last_obs_at, last_obs_status, members"

#define SRR_INV_COLUMNS                                                                            \
    "id, status, urgency, title, service, env, fingerprint, assignee, opened_at,"                  \
    " deadline, last_status, outcome, risk_id, rule, reason, datadog_url,"                         \
    " origin_candidate, first_seen, last_seen, occurrences, created_at, updated_at, labels,"       \
    " resolved_by, resolution_link, resolution_note, backlog_id, last_value, worst_value,"         \
    " last_obs_at, members"

#define SRR_EVIDENCE_COLUMNS "candidate_id, observed_at, status, value, summary, link, evidence"

static const char *const SRR_STMT_SQL[Q__COUNT] = {
    [Q_BEGIN] = "BEGIN IMMEDIATE",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",
    /* Claims a candidate id: no row changed means it was stored before.
     * Rows stay narrow (random key: see migration 3); the decision goes
     * with the sighting. */
    [Q_CAND_INSERT] = "INSERT INTO candidates(id, fingerprint, action, applied_at, outcome)"
                      " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(id) DO NOTHING",
    [Q_CAND_OUTCOME] = "UPDATE candidates SET outcome = ?2 WHERE id = ?1",
    /* One per stored candidate, with its final decision (JSON text). */
    [Q_SIGHTING_INSERT] = "INSERT INTO sightings(fingerprint, candidate_id, at, status, value,"
                          " decision, member) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    /* The open record of a fingerprint, asked in this order: a risk wins
     * over an investigation, which wins over a backlog item. Three index
     * probes; one UNION with ORDER BY cost a temporary sorter per call. */
    [Q_OPEN_RISK] = "SELECT id, urgency FROM risks WHERE fingerprint = ?1 AND " SRR_RISK_OPEN_SQL
                    " ORDER BY id DESC LIMIT 1",
    [Q_OPEN_INV] =
        "SELECT id, urgency FROM investigations WHERE fingerprint = ?1 AND status = 'open'"
        " ORDER BY id DESC LIMIT 1",
    [Q_OPEN_BL] = "SELECT id, urgency FROM backlog WHERE fingerprint = ?1 AND " SRR_BACKLOG_OPEN_SQL
                  " ORDER BY id DESC LIMIT 1",
    [Q_RISK_LATEST] = "SELECT id, status, merged_into FROM risks WHERE fingerprint = ?1"
                      " ORDER BY id DESC LIMIT 1",
    [Q_RISK_STATUS] = "SELECT status, merged_into FROM risks WHERE id = ?1",
    [Q_RISK_INSERT] =
        "INSERT INTO risks(status, urgency, title, service, env, fingerprint, overview,"
        " assignee, datadog_url, rule, reason, origin_candidate, reopened_from, first_seen,"
        " last_seen, occurrences, created_at, updated_at, labels, impact, likelihood)"
        " VALUES ('draft', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
        " ?16, ?16, ?17, ?18, ?19)",
    [Q_BL_INSERT] =
        "INSERT INTO backlog(status, urgency, title, service, env, fingerprint, description,"
        " assignee, datadog_url, rule, reason, origin_candidate, first_seen, last_seen,"
        " occurrences, created_at, updated_at, labels)"
        " VALUES ('draft', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12, 1, ?13, ?13,"
        " ?14)",
    [Q_INV_INSERT] =
        "INSERT INTO investigations(status, urgency, title, service, env, fingerprint,"
        " assignee, opened_at, deadline, last_status, datadog_url, rule, reason,"
        " origin_candidate, first_seen, last_seen, occurrences, created_at, updated_at, labels)"
        " VALUES ('open', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14,"
        " ?15, ?17, ?17, ?16)",
/* ?2 observed_at, ?3 1 when firing (counts and moves last_seen), ?4 now,
 * ?5 status ('firing' or 'recovered'), ?6 the value (NULL: none
 * measured), ?7 which way is worse (+1 higher, -1 lower). The latest
 * observation is the one with the latest observed_at, whatever order
 * they arrive in (a Datadog retry may deliver a Recovered after a newer
 * Triggered); at one time a firing member wins and the worse value. */
#define SRR_TOUCH_VALUES                                                                           \
    " last_value = CASE WHEN ?6 IS NULL THEN last_value"                                           \
    "   WHEN ?2 > coalesce(last_obs_at, 0) OR last_value IS NULL THEN ?6"                          \
    "   WHEN ?2 < last_obs_at THEN last_value"                                                     \
    "   WHEN ?7 > 0 THEN max(last_value, ?6) ELSE min(last_value, ?6) END,"                        \
    " worst_value = CASE WHEN ?6 IS NULL THEN worst_value WHEN worst_value IS NULL THEN ?6"        \
    "   WHEN ?7 > 0 THEN max(worst_value, ?6) ELSE min(worst_value, ?6) END,"                      \
    " last_obs_at = max(coalesce(last_obs_at, 0), ?2)"
#define SRR_TOUCH_SEEN                                                                             \
    " first_seen = CASE WHEN ?3 THEN min(coalesce(first_seen, ?2), ?2) ELSE first_seen END,"       \
    " last_seen = CASE WHEN ?3 THEN max(coalesce(last_seen, ?2), ?2) ELSE last_seen END,"          \
    " occurrences = occurrences + ?3, updated_at = ?4,"
#define SRR_TOUCH_NEWER "(?2 > coalesce(last_obs_at, 0) OR (?2 = last_obs_at AND ?5 = 'firing'))"
    [Q_RISK_TOUCH] =
        "UPDATE risks SET" SRR_TOUCH_SEEN " last_obs_status = CASE WHEN " SRR_TOUCH_NEWER
        " THEN (CASE ?5 WHEN 'firing' THEN 'firing' ELSE 'clear' END)"
        " ELSE last_obs_status END," SRR_TOUCH_VALUES " WHERE id = ?1",
    [Q_BL_TOUCH] =
        "UPDATE backlog SET" SRR_TOUCH_SEEN " last_obs_status = CASE WHEN " SRR_TOUCH_NEWER
        " THEN (CASE ?5 WHEN 'firing' THEN 'firing' ELSE 'clear' END)"
        " ELSE last_obs_status END," SRR_TOUCH_VALUES " WHERE id = ?1",
    [Q_INV_TOUCH] =
        "UPDATE investigations SET" SRR_TOUCH_SEEN " last_status = CASE WHEN " SRR_TOUCH_NEWER
        " THEN ?5 ELSE last_status END," SRR_TOUCH_VALUES " WHERE id = ?1",
    [Q_EVIDENCE_INSERT] =
        "INSERT INTO evidence(record_kind, record_id, candidate_id, observed_at, status, value,"
        " summary, link, evidence) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [Q_EVIDENCE_COPY] =
        "INSERT INTO evidence(record_kind, record_id, candidate_id, observed_at, status, value,"
        " summary, link, evidence) SELECT ?3, ?4, " SRR_EVIDENCE_COLUMNS
        " FROM evidence WHERE record_kind = ?1 AND record_id = ?2 ORDER BY id",
    [Q_EVIDENCE_OF] = "SELECT " SRR_EVIDENCE_COLUMNS " FROM evidence"
                      " WHERE record_kind = ?1 AND record_id = ?2 ORDER BY observed_at, id",
    [Q_EVIDENCE_RECENT] = "SELECT " SRR_EVIDENCE_COLUMNS " FROM evidence"
                          " WHERE record_kind = ?1 AND record_id = ?2 ORDER BY id DESC LIMIT ?3",
    [Q_LOG_INSERT] = "INSERT INTO log_entries(record_kind, record_id, section, at, author, text)"
                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_LOG_OF] = "SELECT at, author, text FROM log_entries"
                 " WHERE record_kind = ?1 AND record_id = ?2 AND section = ?3 ORDER BY at, id",
    [Q_AUDIT_INSERT] = "INSERT INTO audit(at, actor, record_kind, record_id, action, before,"
                       " after, why) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [Q_QUAR_INSERT] = "INSERT OR IGNORE INTO quarantine(at, origin, reason, payload,"
                      " payload_bytes, dedup_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_QUAR_LIST] = "SELECT id, at, origin, reason, payload, payload_bytes FROM quarantine"
                    " ORDER BY id",
    [Q_INV_DUE] = "SELECT id FROM investigations WHERE status = 'open' AND deadline <= ?1"
                  " ORDER BY deadline, id",
    [Q_INV_GET] = "SELECT " SRR_INV_COLUMNS " FROM investigations WHERE id = ?1",
    [Q_INV_FINISH] = "UPDATE investigations SET status = ?2, outcome = ?3, risk_id = ?4,"
                     " updated_at = ?5 WHERE id = ?1 AND status = 'open'",
    [Q_RISK_GET] = "SELECT " SRR_RISK_COLUMNS " FROM risks WHERE id = ?1",
    [Q_RISK_LIST] =
        "SELECT id, status, urgency, title, service, env, assignee, occurrences,"
        " last_seen, updated_at, labels, last_value, worst_value, last_obs_status, members"
        " FROM risks WHERE ?1 IS NULL OR status = ?1"
        " ORDER BY urgency DESC, id",
    [Q_BL_GET] = "SELECT " SRR_BACKLOG_COLUMNS " FROM backlog WHERE id = ?1",
    [Q_BL_LIST] = "SELECT id, status, urgency, title, service, env, assignee, ticket_link,"
                  " occurrences, last_seen, updated_at, labels, last_value, worst_value,"
                  " last_obs_status, members FROM backlog"
                  " WHERE ?1 IS NULL OR status = ?1 ORDER BY urgency DESC, id",
    [Q_INV_LIST] = "SELECT " SRR_INV_COLUMNS " FROM investigations"
                   " WHERE ?1 IS NULL OR status = ?1 ORDER BY urgency DESC, id",
    /* The most recent sightings of a fingerprint (newest first; reversed). */
    [Q_SIGHTINGS_RECENT] = "SELECT at, status, value FROM sightings WHERE fingerprint = ?1"
                           " ORDER BY at DESC, id DESC LIMIT ?2",
    [Q_INV_DEADLINE] = "SELECT deadline, opened_at FROM investigations WHERE id = ?1",
    [Q_INV_LAST_CLOSED] = "SELECT id, outcome, updated_at FROM investigations"
                          " WHERE fingerprint = ?1 AND status = 'closed' ORDER BY id DESC LIMIT 1",
    [Q_INV_RESOLVE] = "UPDATE investigations SET status = 'closed', outcome = ?2,"
                      " resolved_by = ?3, resolution_link = ?4, resolution_note = ?5,"
                      " backlog_id = ?6, updated_at = ?7 WHERE id = ?1 AND status = 'open'",
    [Q_BL_INSERT_ACCEPTED] =
        "INSERT INTO backlog(status, urgency, title, service, env, fingerprint, description,"
        " assignee, ticket_link, datadog_url, rule, reason, origin_candidate, first_seen,"
        " last_seen, occurrences, created_at, updated_at, labels)"
        " SELECT 'accepted', urgency, title, service, env, fingerprint, ?2, assignee, ?3,"
        " datadog_url, rule, reason, origin_candidate, first_seen, last_seen, occurrences, ?4,"
        " ?4, labels FROM investigations WHERE id = ?1",
    /* A thing is registered once, at its first observation (DO NOTHING:
     * no change means it was known). */
    [Q_THING_INSERT] = "INSERT INTO things(fingerprint, source, check_name, service, env, grp,"
                       " title, unit, worse, first_at, created_at, grp_tags)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
                       " ON CONFLICT(fingerprint) DO NOTHING",
    [Q_THING_HAS] = "SELECT 1 FROM things WHERE fingerprint = ?1",
    [Q_MEMBER_INSERT] = "INSERT INTO thing_members(fingerprint, member, first_at)"
                        " VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
    [Q_ALIAS_HAS] = "SELECT 1 FROM thing_aliases WHERE old = ?1",
    [Q_ALIAS_INSERT] = "INSERT INTO thing_aliases(old, fingerprint, at) VALUES (?1, ?2, ?3)"
                       " ON CONFLICT(old) DO NOTHING",
    /* Carrying an old fingerprint's records and sightings to the thing's. */
    [Q_CARRY_RISKS] = "UPDATE risks SET fingerprint = ?2 WHERE fingerprint = ?1",
    [Q_CARRY_BACKLOG] = "UPDATE backlog SET fingerprint = ?2 WHERE fingerprint = ?1",
    [Q_CARRY_INV] = "UPDATE investigations SET fingerprint = ?2 WHERE fingerprint = ?1",
    [Q_CARRY_SIGHTINGS] = "UPDATE sightings SET fingerprint = ?2,"
                          " member = coalesce(member, ?3) WHERE fingerprint = ?1",
    [Q_CARRY_PENDING] = "UPDATE OR IGNORE pending SET fingerprint = ?2 WHERE fingerprint = ?1",
    [Q_RISK_MEMBERS] = "UPDATE risks SET members = (SELECT count(*) FROM thing_members m"
                       " WHERE m.fingerprint = ?1) WHERE fingerprint = ?1",
    [Q_BL_MEMBERS] = "UPDATE backlog SET members = (SELECT count(*) FROM thing_members m"
                     " WHERE m.fingerprint = ?1) WHERE fingerprint = ?1",
    [Q_THING_GET] = "SELECT source, unit, worse, check_name, grp, title FROM things"
                    " WHERE fingerprint = ?1",
    /* A thing's observations in their own time order (the oldest of the
     * latest ?2). */
    [Q_SIGHTINGS_ASC] = "SELECT at, status, value FROM (SELECT at, status, value, id FROM"
                        " sightings WHERE fingerprint = ?1 ORDER BY at DESC, id DESC LIMIT ?2)"
                        " ORDER BY at, id",
    /* What the observation of a record's thing at a time said (a firing
     * member first, then the worst value). */
    [Q_EVIDENCE_AT] = "SELECT summary FROM evidence WHERE record_kind = ?1 AND record_id = ?2"
                      " AND observed_at = ?3 ORDER BY status = 'firing' DESC, value * ?4 DESC"
                      " LIMIT 1",
    [Q_RISK_VALUES_FROM_INV] =
        "UPDATE risks SET last_value = i.last_value, worst_value = i.worst_value,"
        " last_obs_at = i.last_obs_at, members = i.members,"
        " last_obs_status = CASE i.last_status WHEN 'firing' THEN 'firing' ELSE 'clear' END"
        " FROM investigations AS i WHERE i.id = ?2 AND risks.id = ?1",
    [Q_MEMBER_STATS] = "SELECT count(*), min(member) FROM thing_members WHERE fingerprint = ?1",
    /* A record titled by the writer follows its thing's member count; one
     * a person retitled keeps its title. */
    [Q_RISK_RETITLE] = "UPDATE risks SET title = ?3 WHERE fingerprint = ?1 AND title = ?2",
    [Q_BL_RETITLE] = "UPDATE backlog SET title = ?3 WHERE fingerprint = ?1 AND title = ?2",
    [Q_INV_RETITLE] = "UPDATE investigations SET title = ?3 WHERE fingerprint = ?1 AND title = ?2",
    /* Urgency rises, never falls, with a later observation. */
    [Q_RISK_RAISE] =
        "UPDATE risks SET urgency = ?2, updated_at = ?3 WHERE id = ?1 AND urgency < ?2",
    [Q_BL_RAISE] =
        "UPDATE backlog SET urgency = ?2, updated_at = ?3 WHERE id = ?1 AND urgency < ?2",
    [Q_INV_RAISE] =
        "UPDATE investigations SET urgency = ?2, updated_at = ?3 WHERE id = ?1 AND urgency < ?2",
    [Q_RISK_URGENCY] = "SELECT urgency FROM risks WHERE id = ?1",
    /* A new record waiting for its window's budget: one per thing; a later
     * observation of the thing keeps the more urgent decision. */
    [Q_PENDING_PUT] =
        "INSERT INTO pending(fingerprint, window_end, candidate_id, action, urgency, effect,"
        " resolved_risk, title, candidate, extra, created_at, updated_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)"
        " ON CONFLICT(fingerprint) WHERE state = 'pending' DO UPDATE SET"
        " candidate_id = CASE WHEN excluded.urgency > urgency THEN excluded.candidate_id"
        "   ELSE candidate_id END,"
        " action = CASE WHEN excluded.urgency > urgency THEN excluded.action ELSE action END,"
        " effect = CASE WHEN excluded.urgency > urgency THEN excluded.effect ELSE effect END,"
        " title = CASE WHEN excluded.urgency > urgency THEN excluded.title ELSE title END,"
        " candidate = CASE WHEN excluded.urgency > urgency THEN excluded.candidate"
        "   ELSE candidate END,"
        " extra = CASE WHEN excluded.urgency > urgency THEN excluded.extra ELSE extra END,"
        " urgency = max(urgency, excluded.urgency), updated_at = excluded.updated_at",
    /* Most urgent first, then risk > investigate > backlog, then the
     * longest waiting. */
    [Q_PENDING_DUE] = "SELECT id, fingerprint, candidate, extra, effect, resolved_risk, window_end"
                      " FROM pending WHERE state = 'pending' AND window_end <= ?1"
                      " ORDER BY urgency DESC, CASE action WHEN 'risk' THEN 3"
                      " WHEN 'investigate' THEN 2 WHEN 'backlog' THEN 1 ELSE 0 END DESC,"
                      " window_end, id",
    [Q_PENDING_DONE] = "UPDATE pending SET state = ?2, record = ?3, drafted_in = ?4,"
                       " updated_at = ?5 WHERE id = ?1",
    /* The windows with drafts waiting that were never closed. */
    [Q_PENDING_WINDOWS] = "SELECT p.window_end FROM pending p WHERE p.state = 'pending'"
                          " AND p.window_end <= ?1 AND NOT EXISTS (SELECT 1 FROM windows w"
                          " WHERE w.window_end = p.window_end AND w.closed_at IS NOT NULL)"
                          " GROUP BY p.window_end HAVING max(p.updated_at) <= ?2"
                          " ORDER BY p.window_end",
    [Q_WINDOW_GET] = "SELECT drafted, closed_at FROM windows WHERE window_end = ?1",
    [Q_WINDOW_COUNT] = "INSERT INTO windows(window_end, drafted) VALUES (?1, 1)"
                       " ON CONFLICT(window_end) DO UPDATE SET drafted = drafted + 1",
    [Q_WINDOW_CLOSE] = "INSERT INTO windows(window_end, closed_at) VALUES (?1, ?2)"
                       " ON CONFLICT(window_end) DO UPDATE SET closed_at = coalesce(closed_at, ?2)",
    [Q_INV_MEMBERS] = "UPDATE investigations SET members = (SELECT count(*) FROM thing_members m"
                      " WHERE m.fingerprint = ?1) WHERE fingerprint = ?1",
};

#endif
