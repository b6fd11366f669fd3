/* SPDX-License-Identifier: Apache-2.0
 *
 * test_golden.c - the golden policy cases of tests/golden/: one folder per
 * case (DESIGN.md section 4), read at run time from SRR_SOURCE_DIR.
 *
 *   policy.yaml          a config: checks and the policy under test
 *   expected_error.txt   (bad policies) the exact compile error, with its
 *                        file:line:col position; nothing else is needed
 *   signals.json         the input signals (srr_signal_to_json shape)
 *   state.json           prior state (optional): {"now": ISO,
 *                        "by_check": {check: history}, "timeboxes": [...]}
 *                        where history = {"sightings": [[ISO, status], ...],
 *                        "open": {"kind", "id", "deadline", "opened"?},
 *                        "resolved_risk": n,
 *                        "last_investigation": {"id", "outcome", "closed_at"}}
 *                        and a timebox = {"opened", "deadline", "now"?,
 *                        "observations": [[ISO, status, value?], ...],
 *                        "persistent"?, "unit"?, "summary"?}
 *   expected_lint.txt    (optional) what `srr policy check` finds, one
 *                        "line:col: text" per line
 *   expected.json        {"decisions": [...], "timeboxes": [...]}: per signal
 *                        the producer's proposal, the final action, rule,
 *                        effect, fingerprint, reason and why, and the draft
 *                        budget's verdict when the policy sets one
 *
 * Every case runs the same pure functions the sweep and the writer run:
 * srr_rules_decide (producer), srr_rules_decide_final (writer, with the
 * history), srr_rules_fingerprint and srr_rules_identity (the thing: its
 * group and this observation's member), srr_rules_budget,
 * srr_rules_timebox.
 * SRR_GOLDEN_UPDATE=1 rewrites expected.json from what the code does (then
 * read the diff before committing it).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "rules.h"

#define GOLDEN_DIR SRR_SOURCE_DIR "/tests/golden"

static char *read_text(const char *dir, const char *name)
{
    char *path = srr_asprintf("%s/%s", dir, name), *text = NULL;
    size_t len = 0;
    srr_error err = {0};
    if (srr_file_read(path, 0, &text, &len, &err) != SRR_OK)
        text = NULL;
    free(path);
    return text;
}

static json_t *read_json(const char *dir, const char *name)
{
    char *path = srr_asprintf("%s/%s", dir, name);
    json_error_t jerr;
    json_t *j = NULL;
    struct stat stbuf;
    if (stat(path, &stbuf) == 0) {
        j = json_load_file(path, 0, &jerr);
        cr_assert_not_null(j, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
    }
    free(path);
    return j;
}

static int64_t iso(const json_t *v)
{
    int64_t t = 0;
    if (json_is_integer(v))
        return json_integer_value(v);
    cr_assert(json_is_string(v), "expected an ISO time");
    cr_assert_eq(srr_time_parse_iso(json_string_value(v), &t), SRR_OK, "bad time '%s'",
                 json_string_value(v));
    return t;
}

static json_t *srr_time_json(int64_t t)
{
    char b[32];
    srr_time_iso(t, b);
    return json_string(b);
}

static srr_status status_of(const char *s)
{
    srr_status st = SRR_STATUS_FIRING;
    cr_assert_eq(srr_status_parse(s, &st), SRR_OK, "bad status '%s'", s);
    return st;
}

/* Fills *h from a history object (may be NULL); sightings go to *sv. */
static void history_from(const json_t *j, int64_t now, srr_history *h, srr_sighting **sv)
{
    memset(h, 0, sizeof(*h));
    *sv = NULL;
    h->now = now;
    if (!j)
        return;
    const json_t *s = json_object_get(j, "sightings");
    size_t n = json_array_size(s);
    *sv = srr_calloc(n ? n : 1, sizeof(**sv));
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(s, i);
        (*sv)[i].at = iso(json_array_get(e, 0));
        (*sv)[i].status = status_of(json_string_value(json_array_get(e, 1)));
    }
    h->sightings = *sv;
    h->nsightings = n;
    const json_t *o = json_object_get(j, "open");
    if (o) {
        const char *k = json_string_value(json_object_get(o, "kind"));
        h->open_kind = strcmp(k, "risk") == 0      ? SRR_REC_RISK
                       : strcmp(k, "backlog") == 0 ? SRR_REC_BACKLOG
                                                   : SRR_REC_INVESTIGATION;
        h->open_id = json_integer_value(json_object_get(o, "id"));
        if (json_object_get(o, "deadline"))
            h->inv_deadline = iso(json_object_get(o, "deadline"));
        if (json_object_get(o, "opened"))
            h->inv_opened = iso(json_object_get(o, "opened"));
    }
    h->resolved_risk_id = json_integer_value(json_object_get(j, "resolved_risk"));
    const json_t *li = json_object_get(j, "last_investigation");
    if (li) {
        srr_inv_outcome oc = SRR_INV_STOPPED;
        const char *os = json_string_value(json_object_get(li, "outcome"));
        if (srr_inv_outcome_parse(os, &oc) != SRR_OK)
            oc = strcmp(os, "promoted") == 0 ? SRR_INV_PROMOTED : SRR_INV_STOPPED;
        h->last_inv = oc;
        h->last_inv_id = json_integer_value(json_object_get(li, "id"));
        h->last_inv_closed_at = iso(json_object_get(li, "closed_at"));
    }
}

/* Runs one case; returns what it produced as JSON (new reference). */
static json_t *run_case(const char *dir, const srr_ruleset *rs)
{
    json_t *sigs = read_json(dir, "signals.json"), *state = read_json(dir, "state.json");
    json_t *out = json_object(), *decisions = json_array();
    size_t n = json_array_size(sigs);
    srr_signal *sv = srr_calloc(n ? n : 1, sizeof(*sv));
    srr_candidate *queued = srr_calloc(n ? n : 1, sizeof(*queued));
    size_t *qidx = srr_calloc(n ? n : 1, sizeof(*qidx)), nq = 0;
    int64_t now = state && json_object_get(state, "now") ? iso(json_object_get(state, "now")) : 0;
    const json_t *by_check = state ? json_object_get(state, "by_check") : NULL;

    for (size_t i = 0; i < n; i++) {
        srr_error err = {0};
        srr_decision prod;
        srr_final fin;
        srr_history h;
        srr_sighting *sightings = NULL;
        char fp[33];
        cr_assert_eq(srr_signal_from_json(json_array_get(sigs, i), &sv[i], &err), SRR_OK,
                     "%s: signals.json[%zu]: %s", dir, i, err.msg);
        history_from(by_check ? json_object_get(by_check, sv[i].check) : NULL, now, &h, &sightings);
        srr_rules_decide(rs, &sv[i], &prod);
        srr_rules_decide_final(rs, NULL, &sv[i], &h, &fin);
        srr_rules_fingerprint(&sv[i], &fin.decision, fp);
        json_t *d = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "check", sv[i].check, "producer",
            srr_action_name(prod.action), "action", srr_action_name(fin.decision.action), "rule",
            fin.decision.rule, "urgency", srr_urgency_name(fin.decision.urgency), "effect",
            srr_effect_name(fin.effect), "fingerprint", fp, "reason", fin.decision.reason);
        json_object_set_new(d, "why", json_string(fin.why));
        {
            /* The thing it belongs to: its fingerprint (above) and group
             * come from the source, never from the rule. */
            srr_identity id;
            srr_rules_identity(rs, &sv[i], &id);
            cr_assert_str_eq(id.fingerprint, fp, "%s: identity and decision disagree", dir);
            json_object_set_new(d, "group", json_string(id.group));
            if (id.member[0])
                json_object_set_new(d, "member", json_string(id.member));
            /* The title names the thing, not this observation's value. */
            srr_candidate cand;
            srr_rules_candidate(&sv[i], &fin.decision, now, &cand);
            json_object_set_new(d, "title", json_string(cand.title));
            srr_candidate_clear(&cand);
        }
        if (prod.provisional)
            json_object_set_new(d, "provisional", json_true());
        if (fin.decision.owner)
            json_object_set_new(d, "owner", json_string(fin.decision.owner));
        if (fin.decision.nlabels) {
            json_t *l = json_array();
            for (size_t k = 0; k < fin.decision.nlabels; k++)
                json_array_append_new(l, json_string(fin.decision.labels[k]));
            json_object_set_new(d, "labels", l);
        }
        json_array_append_new(decisions, d);
        /* The producer queues what it does not ignore; the budget orders it. */
        if (prod.action != SRR_ACTION_IGNORE) {
            queued[nq].urgency = prod.urgency;
            queued[nq].action = prod.action;
            snprintf(queued[nq].id, sizeof(queued[nq].id), "%s", fp);
            qidx[nq++] = i;
        }
        free(sightings);
    }
    if (srr_rules_max_new_drafts(rs)) {
        size_t *order = srr_calloc(nq ? nq : 1, sizeof(*order)), admitted = 0;
        srr_rules_budget(queued, nq, srr_rules_max_new_drafts(rs), order, &admitted);
        for (size_t k = 0; k < nq; k++)
            json_object_set_new(json_array_get(decisions, qidx[order[k]]), "budget",
                                json_string(k < admitted ? "admitted" : "over budget"));
        free(order);
    }
    json_object_set_new(out, "decisions", decisions);

    const json_t *tbs = state ? json_object_get(state, "timeboxes") : NULL;
    if (tbs) {
        json_t *arr = json_array();
        for (size_t i = 0; i < json_array_size(tbs); i++) {
            const json_t *tb = json_array_get(tbs, i), *obs = json_object_get(tb, "observations");
            size_t no = json_array_size(obs);
            srr_sighting *ov = srr_calloc(no ? no : 1, sizeof *ov);
            srr_timebox_facts f = {0};
            srr_timebox_result r;
            for (size_t k = 0; k < no; k++) {
                const json_t *e = json_array_get(obs, k), *v = json_array_get(e, 2);
                ov[k].at = iso(json_array_get(e, 0));
                ov[k].status = status_of(json_string_value(json_array_get(e, 1)));
                ov[k].value = json_is_number(v) ? json_number_value(v) : NAN;
            }
            f.opened_at = iso(json_object_get(tb, "opened"));
            f.deadline = iso(json_object_get(tb, "deadline"));
            f.now = json_object_get(tb, "now") ? iso(json_object_get(tb, "now")) : now;
            f.persistent = json_is_true(json_object_get(tb, "persistent"));
            f.obs = ov;
            f.nobs = srr_sightings_collapse(ov, no, 1);
            f.unit = json_string_value(json_object_get(tb, "unit"));
            srr_rules_timebox(&f, &r);
            f.summary = json_string_value(json_object_get(tb, "summary"));
            if (f.summary)
                srr_rules_timebox(&f, &r);
            json_t *o = json_pack("{s:s, s:s}", "verdict",
                                  r.verdict == SRR_TIMEBOX_KEEP      ? "keep"
                                  : r.verdict == SRR_TIMEBOX_PROMOTE ? "promote"
                                                                     : "close",
                                  "why", r.why);
            if (r.at)
                json_object_set_new(o, "decided_by", srr_time_json(r.at));
            if (r.clear_since)
                json_object_set_new(o, "clear_since", srr_time_json(r.clear_since));
            json_array_append_new(arr, o);
            free(ov);
        }
        json_object_set_new(out, "timeboxes", arr);
    }
    for (size_t i = 0; i < n; i++)
        srr_signal_clear(&sv[i]);
    free(sv);
    free(queued);
    free(qidx);
    json_decref(sigs);
    json_decref(state);
    return out;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs one golden folder; returns 1 when it passes. */
static int check_case(const char *name)
{
    char *dir = srr_asprintf("%s/%s", GOLDEN_DIR, name);
    char *policy = read_text(dir, "policy.yaml");
    char *want_err = read_text(dir, "expected_error.txt");
    srr_config *cfg = NULL;
    srr_ruleset *rs = NULL;
    srr_error err = {0};
    int ok = 1;
    cr_assert_not_null(policy, "%s: no policy.yaml", name);
    srr_rc rc = srr_config_parse("policy.yaml", policy, strlen(policy), &cfg, &err);
    if (rc == SRR_OK)
        rc = srr_rules_compile(cfg, &rs, &err);
    if (want_err) {
        size_t l = strlen(want_err);
        while (l && (want_err[l - 1] == '\n' || want_err[l - 1] == ' '))
            want_err[--l] = '\0';
        cr_expect_neq(rc, SRR_OK, "%s: the policy should not compile", name);
        cr_expect_str_eq(err.msg, want_err, "%s: error text differs", name);
        ok = rc != SRR_OK && strcmp(err.msg, want_err) == 0;
    } else {
        cr_assert_eq(rc, SRR_OK, "%s: %s", name, err.msg);
        char *want_lint = read_text(dir, "expected_lint.txt");
        if (want_lint) {
            /* What `srr policy check` says, one "line:col: text" a line. */
            srr_lint_msg *msgs = NULL;
            size_t nl = srr_rules_lint(rs, &msgs);
            srr_buf b;
            srr_buf_init(&b, 0);
            for (size_t i = 0; i < nl; i++)
                srr_buf_printf(&b, "%d:%d: %s\n", msgs[i].line, msgs[i].col, msgs[i].text);
            if (getenv("SRR_GOLDEN_UPDATE") && *getenv("SRR_GOLDEN_UPDATE") == '1') {
                char *path = srr_asprintf("%s/expected_lint.txt", dir);
                srr_error werr = {0};
                srr_file_write_atomic(path, b.data ? b.data : "", b.len, &werr);
                free(path);
            } else {
                cr_expect_str_eq(b.data ? b.data : "", want_lint, "%s: lint differs", name);
                ok = ok && strcmp(b.data ? b.data : "", want_lint) == 0;
            }
            srr_buf_free(&b);
            free(msgs);
            free(want_lint);
        }
        json_t *got = run_case(dir, rs), *want = read_json(dir, "expected.json");
        const char *upd = getenv("SRR_GOLDEN_UPDATE");
        if (upd && *upd == '1') {
            char *path = srr_asprintf("%s/expected.json", dir);
            json_dump_file(got, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            free(path);
        } else {
            ok = want && json_equal(got, want);
            if (!ok) {
                char *g = json_dumps(got, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
                cr_expect(0, "%s: decisions differ from expected.json; got:\n%s", name, g);
                free(g);
            }
        }
        json_decref(got);
        json_decref(want);
    }
    srr_rules_destroy(rs);
    srr_config_destroy(cfg);
    free(policy);
    free(want_err);
    free(dir);
    return ok;
}

Test(golden, every_case)
{
    DIR *d = opendir(GOLDEN_DIR);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0, failed = 0;
    cr_assert_not_null(d, "cannot open %s", GOLDEN_DIR);
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 32;
            names = srr_realloc(names, cap * sizeof(*names));
        }
        names[n++] = srr_strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(*names), by_name);
    cr_assert_geq(n, 12, "expected the golden cases, found %zu", n);
    for (size_t i = 0; i < n; i++) {
        if (!check_case(names[i]))
            failed++;
        free(names[i]);
    }
    free(names);
    cr_log_info("%zu golden case(s), %zu failed", n, failed);
    cr_assert_eq(failed, 0);
}
