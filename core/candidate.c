/* SPDX-License-Identifier: Apache-2.0
 *
 * candidate.c - action/urgency names and the versioned JSON form of a
 * candidate ("srr.candidate/1"), strict on parse: anything the writer cannot
 * trust is refused with a reason so it can be dead-lettered. Reading a
 * document's text (srr_candidate_parse) lives in candidate_fast.c, which
 * tries the producers' own shape first and comes back here for the rest;
 * this file never calls it, so the two do not depend on each other.
 */
#include "candidate.h"

#include "jsonw.h"

#include <stdlib.h>
#include <string.h>

static const char *const action_names[SRR_ACTION__COUNT] = {"ignore", "backlog", "investigate",
                                                            "risk"};
static const char *const urgency_names[SRR_URGENCY__COUNT] = {"low", "medium", "high",
                                                              "critical"};

const char *srr_action_name(srr_action a)
{
    return (unsigned)a < SRR_ACTION__COUNT ? action_names[a] : "unknown";
}

const char *srr_urgency_name(srr_urgency u)
{
    return (unsigned)u < SRR_URGENCY__COUNT ? urgency_names[u] : "unknown";
}

srr_rc srr_action_parse(const char *s, srr_action *out)
{
    int i;
    for (i = 0; s && i < SRR_ACTION__COUNT; i++)
        if (strcmp(s, action_names[i]) == 0) {
            *out = (srr_action)i;
            return SRR_OK;
        }
    return SRR_EINVAL;
}

srr_rc srr_urgency_parse(const char *s, srr_urgency *out)
{
    int i;
    for (i = 0; s && i < SRR_URGENCY__COUNT; i++)
        if (strcmp(s, urgency_names[i]) == 0) {
            *out = (srr_urgency)i;
            return SRR_OK;
        }
    return SRR_EINVAL;
}

void srr_candidate_clear(srr_candidate *c)
{
    if (!c)
        return;
    free(c->fingerprint);
    free(c->rule);
    free(c->reason);
    free(c->title);
    free(c->owner);
    srr_signal_clear(&c->signal);
    memset(c, 0, sizeof(*c));
}

json_t *srr_candidate_to_json(const srr_candidate *c)
{
    /* One field list: the tree is read back from the text dumps writes. */
    char *text = srr_candidate_dumps(c);
    json_t *o = text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    return o;
}

char *srr_candidate_dumps(const srr_candidate *c)
{
    srr_buf b;
    srr_rc rc;
    srr_buf_init(&b, 0);
    /* One allocation for the usual candidate: bounded evidence plus the rest. */
    srr_buf_reserve(&b, 2 * SRR_SIGNAL_MAX_EVIDENCE_BYTES);
    rc = SRR_JSONW_LIT(&b, "{\"schema\":\"" SRR_CANDIDATE_SCHEMA "\",\"id\":");
    if (rc == SRR_OK)
        rc = srr_jsonw_str(&b, c->id);
    if (rc == SRR_OK)
        rc = SRR_JSONW_LIT(&b, ",\"fingerprint\":");
    if (rc == SRR_OK)
        rc = srr_jsonw_str(&b, c->fingerprint ? c->fingerprint : "");
    if (rc == SRR_OK)
        rc = SRR_JSONW_LIT(&b, ",\"action\":");
    if (rc == SRR_OK)
        rc = srr_jsonw_str(&b, srr_action_name(c->action));
    if (rc == SRR_OK)
        rc = SRR_JSONW_LIT(&b, ",\"rule\":{\"name\":");
    if (rc == SRR_OK)
        rc = srr_jsonw_str(&b, c->rule ? c->rule : "");
    if (rc == SRR_OK)
        rc = SRR_JSONW_LIT(&b, ",\"index\":");
    if (rc == SRR_OK)
        rc = srr_jsonw_int(&b, c->rule_index);
    if (rc == SRR_OK)
        rc = SRR_JSONW_LIT(&b, "},\"reason\":");
    if (rc == SRR_OK)
        rc = srr_jsonw_str(&b, c->reason ? c->reason : "");
    if (rc == SRR_OK)
        rc = SRR_JSONW_LIT(&b, ",\"urgency\":");
    if (rc == SRR_OK)
        rc = srr_jsonw_str(&b, srr_urgency_name(c->urgency));
    if (rc == SRR_OK)
        rc = SRR_JSONW_LIT(&b, ",\"title\":");
    if (rc == SRR_OK)
        rc = srr_jsonw_str(&b, c->title ? c->title : "");
    if (rc == SRR_OK && c->owner) {
        rc = SRR_JSONW_LIT(&b, ",\"owner\":");
        if (rc == SRR_OK)
            rc = srr_jsonw_str(&b, c->owner);
    }
    if (rc == SRR_OK && c->timebox_s) {
        rc = SRR_JSONW_LIT(&b, ",\"timebox_s\":");
        if (rc == SRR_OK)
            rc = srr_jsonw_int(&b, c->timebox_s);
    }
    if (rc == SRR_OK)
        rc = SRR_JSONW_LIT(&b, ",\"created_at\":");
    if (rc == SRR_OK)
        rc = srr_jsonw_int(&b, c->created_at);
    if (rc == SRR_OK)
        rc = SRR_JSONW_LIT(&b, ",\"signal\":");
    if (rc == SRR_OK)
        rc = srr_signal_write_json(&b, &c->signal);
    if (rc == SRR_OK)
        rc = SRR_JSONW_LIT(&b, "}");
    if (rc != SRR_OK) {
        srr_buf_free(&b);
        return NULL;
    }
    return srr_buf_steal(&b);
}

static const char *req_str(const json_t *j, const char *key)
{
    json_t *v = json_object_get(j, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

srr_rc srr_candidate_from_json(const json_t *j, srr_candidate *out, srr_error *err)
{
    const char *schema, *id, *s;
    json_t *rule, *v;
    srr_rc rc;
    memset(out, 0, sizeof(*out));
    if (!json_is_object(j))
        return srr_error_set(err, SRR_EINVAL, "candidate is not a JSON object");
    schema = req_str(j, "schema");
    if (!schema)
        return srr_error_set(err, SRR_EINVAL, "candidate has no 'schema' field");
    if (strcmp(schema, SRR_CANDIDATE_SCHEMA) != 0)
        return srr_error_set(err, SRR_EINVAL, "unknown schema '%.100s' (this srr reads %s)",
                             schema, SRR_CANDIDATE_SCHEMA);
    id = req_str(j, "id");
    if (!id || !*id || strlen(id) >= sizeof(out->id))
        return srr_error_set(err, SRR_EINVAL, "missing or invalid field 'id'");
    memcpy(out->id, id, strlen(id) + 1);
    s = req_str(j, "fingerprint");
    if (!s || !*s) {
        rc = srr_error_set(err, SRR_EINVAL, "missing field 'fingerprint'");
        goto fail;
    }
    out->fingerprint = srr_strdup(s);
    if (srr_action_parse(req_str(j, "action"), &out->action) != SRR_OK) {
        rc = srr_error_set(err, SRR_EINVAL, "missing or unknown 'action'");
        goto fail;
    }
    if (srr_urgency_parse(req_str(j, "urgency"), &out->urgency) != SRR_OK) {
        rc = srr_error_set(err, SRR_EINVAL, "missing or unknown 'urgency'");
        goto fail;
    }
    rule = json_object_get(j, "rule");
    if (!json_is_object(rule) || !req_str(rule, "name")) {
        rc = srr_error_set(err, SRR_EINVAL, "missing field 'rule.name'");
        goto fail;
    }
    out->rule = srr_strdup(req_str(rule, "name"));
    out->rule_index = (int)json_integer_value(json_object_get(rule, "index"));
    out->reason = srr_strdup(req_str(j, "reason") ? req_str(j, "reason") : "");
    out->title = srr_strdup(req_str(j, "title") ? req_str(j, "title") : "");
    out->owner = srr_strdup(req_str(j, "owner"));
    v = json_object_get(j, "timebox_s");
    out->timebox_s = json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
    v = json_object_get(j, "created_at");
    out->created_at = json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
    v = json_object_get(j, "signal");
    if (!v) {
        rc = srr_error_set(err, SRR_EINVAL, "missing field 'signal'");
        goto fail;
    }
    rc = srr_signal_from_json(v, &out->signal, err);
    if (rc != SRR_OK)
        goto fail;
    return SRR_OK;
fail:
    srr_candidate_clear(out);
    return rc;
}
