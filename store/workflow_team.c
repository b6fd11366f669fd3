/* SPDX-License-Identifier: Apache-2.0
 *
 * workflow_team.c - who carries what (workflow.h): each person's open load
 * weighted by urgency (srr team load, and whether it is skewed), and the
 * owner srr suggests for a risk: the least loaded of the service's owners,
 * or of the team's members. Reads only.
 */
#include "workflow.h"

#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "wf_sql.h"

static const int URGENCY_WEIGHT[4] = {1, 2, 3, 5}; /* low, medium, high, critical */

static json_t *person(json_t *people, const char *name, int member)
{
    size_t i;
    json_t *p;
    for (i = 0; i < json_array_size(people); i++) {
        p = json_array_get(people, i);
        if (strcmp(srr_wf_jtext(p, "name"), name) == 0)
            return p;
    }
    p = json_pack("{s:s, s:b, s:i, s:i, s:i, s:i, s:i, s:i}", "name", name, "member", member,
                  "critical", 0, "high", 0, "medium", 0, "low", 0, "records", 0, "load", 0);
    json_array_append_new(people, p);
    return p;
}

srr_rc srr_wf_team_load(srr_store *st, const srr_team_config *team, json_t **out, srr_error *err)
{
    sqlite3 *db = srr_store_db(st);
    json_t *people = json_array(), *o;
    sqlite3_stmt *s;
    srr_rc rc = SRR_OK;
    size_t i, nmean = 0;
    double sum = 0, max = 0, mean, ratio;
    const char *busiest = NULL;
    *out = NULL;
    for (i = 0; team && i < team->nmembers; i++)
        person(people, team->members[i], 1);
    s = srr_wf_prep(db, err,
                    "SELECT assignee, urgency FROM ("
                    " SELECT assignee, urgency FROM risks WHERE status IN ('open','mitigating')"
                    " UNION ALL SELECT assignee, urgency FROM backlog WHERE status = 'accepted'"
                    " UNION ALL SELECT assignee, urgency FROM investigations WHERE status = 'open')"
                    " WHERE assignee IS NOT NULL AND assignee <> '' ORDER BY assignee",
                    "");
    if (!s) {
        json_decref(people);
        return SRR_ERR;
    }
    while (srr_wf_step(db, s, &rc, err) == 1) {
        const char *name = (const char *)sqlite3_column_text(s, 0);
        int64_t u = sqlite3_column_int64(s, 1);
        json_t *p = person(people, name, 0);
        if (u < 0 || u > 3)
            u = 1;
        json_object_set_new(p, srr_wf_urgency_name(u),
                            json_integer(srr_wf_jint(p, srr_wf_urgency_name(u)) + 1));
        json_object_set_new(p, "records", json_integer(srr_wf_jint(p, "records") + 1));
        json_object_set_new(p, "load", json_integer(srr_wf_jint(p, "load") + URGENCY_WEIGHT[u]));
    }
    sqlite3_finalize(s);
    if (rc != SRR_OK) {
        json_decref(people);
        return rc;
    }
    for (i = 0; i < json_array_size(people); i++) {
        json_t *p = json_array_get(people, i);
        double l = (double)srr_wf_jint(p, "load");
        if (team && team->nmembers > 0 && !json_is_true(json_object_get(p, "member")))
            continue;
        sum += l;
        nmean++;
        if (l > max || !busiest) {
            max = l;
            busiest = srr_wf_jtext(p, "name");
        }
    }
    mean = nmean ? sum / (double)nmean : 0;
    ratio = mean > 0 ? max / mean : 0;
    o = json_object();
    json_object_set_new(o, "people", people);
    json_object_set_new(o, "mean", json_real(mean));
    json_object_set_new(o, "max", json_real(max));
    json_object_set_new(o, "ratio", json_real(ratio));
    json_object_set_new(o, "skew_percent",
                        json_integer(team && team->skew_percent > 0 ? team->skew_percent : 200));
    json_object_set_new(
        o, "skewed",
        json_boolean(mean > 0 &&
                     ratio * 100.0 >
                         (double)(team && team->skew_percent > 0 ? team->skew_percent : 200)));
    json_object_set_new(o, "busiest", max > 0 && busiest ? json_string(busiest) : json_null());
    *out = o;
    return SRR_OK;
}

static int is_member(const srr_team_config *team, const char *name)
{
    size_t i;
    for (i = 0; i < team->nmembers; i++)
        if (strcmp(team->members[i], name) == 0)
            return 1;
    return 0;
}

/* Adds the owners of `service` (a name or a comma/space separated list)
 * to pool, kept to members when there are members. */
static void owners_of(const srr_team_config *team, const char *service, json_t *pool)
{
    size_t i;
    for (i = 0; service && i < team->nowners; i++) {
        const char *p;
        if (strcmp(team->owners[i].key, service) != 0)
            continue;
        p = team->owners[i].value;
        while (p && *p) {
            size_t n = strcspn(p, ", ");
            if (n > 0) {
                char *name = srr_strndup(p, n);
                if (team->nmembers == 0 || is_member(team, name))
                    json_array_append_new(pool, json_string(name));
                free(name);
            }
            p += n;
            p += strspn(p, ", ");
        }
    }
}

srr_rc srr_wf_suggest(srr_store *st, const srr_team_config *team, const char *id, json_t **out,
                      srr_error *err)
{
    sqlite3 *db = srr_store_db(st);
    json_t *row = NULL, *load = NULL, *pool = json_array(), *best = NULL;
    srr_buf why;
    int64_t rid;
    size_t i, j;
    const char *service;
    int by_owner;
    srr_rc rc;
    *out = NULL;
    srr_buf_init(&why, 0);
    rc = srr_wf_parse_id(id, SRR_WF_RISK, &rid, err);
    if (rc == SRR_OK) {
        rc = srr_wf_load_row(db, "risks", rid, &row, err);
        if (rc == SRR_ENOTFOUND)
            srr_error_set(err, rc, "no risk '%s'", id);
    }
    if (rc == SRR_OK)
        rc = srr_wf_team_load(st, team, &load, err);
    if (rc != SRR_OK)
        goto done;
    service = json_string_value(json_object_get(row, "service"));
    owners_of(team, service, pool);
    by_owner = json_array_size(pool) > 0;
    for (i = 0; !by_owner && i < team->nmembers; i++)
        json_array_append_new(pool, json_string(team->members[i]));
    if (json_array_size(pool) == 0) {
        rc = srr_error_set(err, SRR_EINVAL,
                           "nobody to suggest: set team.members (and team.owners) in the config");
        goto done;
    }
    for (i = 0; i < json_array_size(pool); i++) {
        const char *name = json_string_value(json_array_get(pool, i));
        json_t *people = json_object_get(load, "people"), *p = NULL;
        for (j = 0; j < json_array_size(people); j++)
            if (strcmp(srr_wf_jtext(json_array_get(people, j), "name"), name) == 0)
                p = json_array_get(people, j);
        if (!p)
            p = person(people, name, 0);
        srr_buf_printf(&why, "%s%s %lld", i ? ", " : "", name, (long long)srr_wf_jint(p, "load"));
        if (!best || srr_wf_jint(p, "load") < srr_wf_jint(best, "load") ||
            (srr_wf_jint(p, "load") == srr_wf_jint(best, "load") &&
             srr_wf_jint(p, "records") < srr_wf_jint(best, "records")))
            best = p;
    }
    {
        char *text = srr_asprintf(
            "%s has the least open load (weighted low 1, medium 2, high 3, critical "
            "5) among %s%s: %s",
            srr_wf_jtext(best, "name"), by_owner ? "the owners of " : "the team members",
            by_owner ? service : "", why.data);
        *out =
            json_pack("{s:s, s:s, s:s, s:I, s:O}", "id", id, "assignee", srr_wf_jtext(best, "name"),
                      "why", text, "load", (json_int_t)srr_wf_jint(best, "load"), "pool", pool);
        free(text);
    }
done:
    json_decref(row);
    json_decref(load);
    json_decref(pool);
    srr_buf_free(&why);
    return rc;
}
