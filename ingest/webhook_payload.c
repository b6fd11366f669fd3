/* SPDX-License-Identifier: Apache-2.0
 *
 * webhook_payload.c - from a Datadog webhook body to an srr_webhook_alert
 * (webhook.h). Pure code: no I/O, no clock (the caller passes `now`), so
 * the fuzz target in tests/fuzz drives exactly what the server runs. The
 * body is read into a table of fields (webhook_fields.c: the one-pass
 * reader for the usual flat JSON, jansson for anything else, the form
 * encoding); the mapping below reads only that table. The evidence (the
 * alert's fields as sent) is written as JSON text once, into the signal's
 * evidence_json, rather than built as a jansson object that the
 * candidate's serialisation would walk again.
 *
 * Mapping (README "Datadog webhook"):
 *   - check = $ALERT_ID, else the monitor name from the event title;
 *   - status = recovered for "Recovered" (or, with no transition, alert
 *     type "success"), firing for everything else (Triggered, Re-Triggered,
 *     Warn, No Data, Renotify and unknown values, which are kept in the
 *     evidence); the transition comes from $ALERT_TRANSITION, else the
 *     title ("[Triggered on {host:db-01}] Disk full");
 *   - group tags = $TAGS, event_tags, and the alert's scope: $ALERT_SCOPE,
 *     else the title's "{...}" (what Datadog's default payload carries, so
 *     each group of a multi-alert monitor is its own thing), and the host
 *     ($HOSTNAME as hostname / host_name) when no tag names one; service
 *     and env from those tags;
 *   - priority = $ALERT_PRIORITY, else the title's "[P1]".."[P5]";
 *   - observed_at = the alert's own $DATE (else $LAST_UPDATED, else `now`),
 *     so deliveries Datadog reorders are ordered by when the alert happened.
 *
 * The candidate id hashes $ID with the transition and the date, else
 * $ALERT_CYCLE_KEY + transition + date. A retry or a duplicate delivery
 * carries the same values, hence the same id; a template whose "id" repeats
 * across transitions (one that sends $ALERT_ID there) still gets one id per
 * transition and date, so Re-Triggered and Recovered are not taken for
 * duplicates of Triggered.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hash.h"
#include "jsonw.h"
#include "webhook.h"
#include "webhook_fields.h"

/* ---- mapping ------------------------------------------------------------- */

srr_rc srr_webhook_encoding_of(const char *ct, srr_webhook_encoding *out)
{
    size_t n;
    if (!ct)
        ct = "";
    while (wh_is_space(*ct))
        ct++;
    n = strcspn(ct, ";");
    while (n && wh_is_space(ct[n - 1]))
        n--;
    if (n == 0 || (n == 16 && strncasecmp(ct, "application/json", 16) == 0)) {
        *out = SRR_WEBHOOK_JSON;
        return SRR_OK;
    }
    if (n == 33 && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0) {
        *out = SRR_WEBHOOK_FORM;
        return SRR_OK;
    }
    return SRR_EINVAL;
}

void srr_webhook_alert_clear(srr_webhook_alert *a)
{
    if (!a)
        return;
    srr_signal_clear(&a->signal);
    free(a->event_id);
    free(a->transition);
    memset(a, 0, sizeof *a);
}

char *srr_webhook_alert_dumps(const srr_webhook_alert *a)
{
    /* The signal's text as srr_signal_write_json writes it (what json_dumps
     * would write for the same object, without building the tree). */
    srr_buf b;
    char *out;
    srr_buf_init(&b, 0);
    if (srr_signal_write_json(&b, &a->signal) != SRR_OK)
        b.len = 0;
    out = srr_asprintf("%s|%s|%s|%s", a->id, a->event_id ? a->event_id : "-",
                       a->transition ? a->transition : "-", b.len ? b.data : "?");
    srr_buf_free(&b);
    return out;
}

/* Epoch seconds from an epoch-ms (or, when small, epoch-seconds) string.
 * Returns 0 when it is not a plain number. */
static int64_t epoch_of(const char *s)
{
    char *end = NULL;
    long long v;
    if (!s || !*s)
        return 0;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || !end || (*end && *end != '.') || v <= 0)
        return 0;
    if (v >= 100000000000LL) /* past 1973 in ms: milliseconds */
        v /= 1000;
    return (int64_t)v;
}

/* Adds each comma-separated tag of `list` (trimmed, non-empty). */
static void add_tags(srr_signal *sig, const char *list)
{
    char tag[WH_MAX_SHORT + 1];
    while (list && *list) {
        size_t n = strcspn(list, ",");
        const char *s = list;
        size_t m = n;
        while (m && wh_is_space(*s)) {
            s++;
            m--;
        }
        while (m && wh_is_space(s[m - 1]))
            m--;
        if (m > 0 && m <= WH_MAX_SHORT) {
            memcpy(tag, s, m);
            tag[m] = '\0';
            srr_signal_add_tag(sig, tag);
        }
        list += n;
        if (*list == ',')
            list++;
    }
}

/* What an event title says: "[P2] [Triggered on {host:a,device:sda}] CPU
 * high" is priority P2, transition Triggered, scope "host:a,device:sda",
 * monitor name "CPU high". Every part may be missing. */
typedef struct title_info {
    char *name;
    char *transition;
    char *scope;
    char prio[3];
} title_info;

static void title_info_free(title_info *ti)
{
    free(ti->name);
    free(ti->transition);
    free(ti->scope);
}

static void title_parse(const char *title, title_info *ti)
{
    const char *s = title;
    memset(ti, 0, sizeof *ti);
    while (*s == '[') {
        const char *close = strchr(s, ']');
        if (!close)
            break;
        size_t n = (size_t)(close - s - 1);
        if (n == 2 && s[1] == 'P' && s[2] >= '1' && s[2] <= '5') {
            if (!ti->prio[0])
                memcpy(ti->prio, s + 1, 2);
        } else if (!ti->transition && n > 0) {
            const char *on = strstr(s + 1, " on ");
            size_t tn = on && on < close ? (size_t)(on - s - 1) : n;
            if (tn > 0 && tn <= 64)
                ti->transition = srr_strndup(s + 1, tn);
            if (on && on < close && on[4] == '{') {
                /* The scope: "{host:a,device:sda}"; a value may hold a ']'. */
                const char *open = on + 4, *end = strchr(open, '}');
                if (end && (size_t)(end - open - 1) <= WH_MAX_TEXT) {
                    if (end > open + 1)
                        ti->scope = srr_strndup(open + 1, (size_t)(end - open - 1));
                    close = strchr(end, ']');
                    if (!close)
                        break;
                }
            }
        }
        s = close + 1;
        while (wh_is_space(*s))
            s++;
    }
    ti->name = *s && *s != '[' ? srr_strdup(s) : NULL;
}

static srr_status status_of(const char *transition, const char *alert_type)
{
    if (transition) {
        /* "Recovered" (and a spelling variant a template may carry). */
        if (strcasecmp(transition, "Recovered") == 0 || strcasecmp(transition, "Recovery") == 0 ||
            strcasecmp(transition, "Resolved") == 0)
            return SRR_STATUS_RECOVERED;
        if (strcasecmp(transition, "Null") != 0)
            return SRR_STATUS_FIRING;
    }
    if (alert_type && strcasecmp(alert_type, "success") == 0)
        return SRR_STATUS_RECOVERED;
    return SRR_STATUS_FIRING;
}

/* One member of the evidence object; NULL values are left out. */
typedef struct ev_member {
    const char *key, *value;
} ev_member;

/* The evidence as compact JSON text (what json_dumps writes for an object
 * of these members in this order), kept within
 * SRR_SIGNAL_MAX_EVIDENCE_BYTES by leaving out its longest free-text
 * members first. Written directly: a jansson object of the same members
 * cost some 40% of the parse and of the candidate's serialisation.
 * Returns the text (caller frees). */
static char *evidence_json(ev_member *m, size_t n)
{
    static const char *const drop[] = {"message", "alert_status", "alert_query", "link",
                                       "title", NULL};
    size_t size = 2, i, d, cost[32], len[32]; /* {} */
    int first = 1;
    srr_buf b;
    if (n > 32)
        abort(); /* the caller's fixed list */
    /* each member counts its key, value, ':' and ',' (one too many, as the
     * bound has always been reckoned) */
    for (i = 0; i < n; i++) {
        len[i] = m[i].value ? strlen(m[i].value) : 0;
        cost[i] = m[i].value ? srr_jsonw_strn_len(m[i].key, strlen(m[i].key)) + 2 +
                                   srr_jsonw_strn_len(m[i].value, len[i])
                             : 0;
        size += cost[i];
    }
    for (d = 0; drop[d] && size > SRR_SIGNAL_MAX_EVIDENCE_BYTES - 256; d++)
        for (i = 0; i < n; i++)
            if (m[i].value && strcmp(m[i].key, drop[d]) == 0) {
                size -= cost[i];
                m[i].value = NULL;
            }
    srr_buf_init(&b, 0);
    srr_buf_reserve(&b, size);
    SRR_JSONW_LIT(&b, "{");
    for (i = 0; i < n; i++) {
        if (!m[i].value)
            continue;
        if (!first)
            SRR_JSONW_LIT(&b, ",");
        first = 0;
        srr_jsonw_strn(&b, m[i].key, strlen(m[i].key));
        SRR_JSONW_LIT(&b, ":");
        srr_jsonw_strn(&b, m[i].value, len[i]);
    }
    SRR_JSONW_LIT(&b, "}");
    return srr_buf_steal(&b);
}

/* The texts the mapping reads, each owned (NULL when absent). */
typedef struct wh_vals {
    char *alert_id, *cycle, *aggreg, *type, *prio, *query, *scope, *metric, *astatus, *title;
    char *msg, *date, *updated, *tags, *event_tags, *host, *link, *org_id, *org_name;
    char *event_type;
    title_info ti;
} wh_vals;

static void vals_free(wh_vals *v)
{
    char **all[] = {&v->alert_id, &v->cycle, &v->aggreg, &v->type, &v->prio, &v->query,
                    &v->scope, &v->metric, &v->astatus, &v->title, &v->msg, &v->date,
                    &v->updated, &v->tags, &v->event_tags, &v->host, &v->link, &v->org_id,
                    &v->org_name, &v->event_type};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        free(*all[i]);
        *all[i] = NULL;
    }
    title_info_free(&v->ti);
}

/* A comma-separated list field (a list a template sent is joined already
 * and taken as it is). */
static char *list_text(const wh_fields *f, wh_field i)
{
    if (f->joined & (1ULL << i))
        return srr_strndup(f->s[i], f->n[i]);
    return wh_text(f, i, 64 * 1024);
}

static void vals_read(const wh_fields *f, srr_webhook_alert *out, wh_vals *v)
{
    out->event_id = WH_TEXT(f, WH_MAX_SHORT, WF_ID, WF_EVENT_ID);
    out->transition = WH_TEXT(f, 64, WF_ALERT_TRANSITION, WF_TRANSITION);
    v->alert_id = WH_TEXT(f, WH_MAX_SHORT, WF_ALERT_ID, WF_MONITOR_ID);
    v->cycle = WH_TEXT(f, WH_MAX_SHORT, WF_ALERT_CYCLE_KEY, WF_CYCLE_KEY);
    v->aggreg = WH_TEXT(f, WH_MAX_SHORT, WF_AGGREG_KEY);
    v->type = WH_TEXT(f, 64, WF_ALERT_TYPE);
    v->prio = WH_TEXT(f, 16, WF_ALERT_PRIORITY, WF_PRIORITY);
    v->query = WH_TEXT(f, WH_MAX_TEXT, WF_ALERT_QUERY, WF_QUERY);
    v->scope = WH_TEXT(f, WH_MAX_TEXT, WF_ALERT_SCOPE, WF_SCOPE);
    v->metric = WH_TEXT(f, WH_MAX_SHORT, WF_ALERT_METRIC, WF_METRIC);
    v->astatus = WH_TEXT(f, WH_MAX_TEXT, WF_ALERT_STATUS);
    v->title = WH_TEXT(f, WH_MAX_TEXT, WF_TITLE, WF_EVENT_TITLE, WF_ALERT_TITLE);
    v->msg = WH_TEXT(f, WH_MAX_MESSAGE, WF_TEXT_ONLY_MSG, WF_BODY, WF_EVENT_MSG, WF_MESSAGE);
    v->date = WH_TEXT(f, 32, WF_DATE, WF_EVENT_DATE);
    v->updated = WH_TEXT(f, 32, WF_LAST_UPDATED);
    v->host = WH_TEXT(f, WH_MAX_SHORT, WF_HOSTNAME, WF_HOST_NAME, WF_HOST);
    v->link = WH_TEXT(f, WH_MAX_TEXT, WF_LINK, WF_URL);
    v->event_type = WH_TEXT(f, 64, WF_EVENT_TYPE);
    v->org_id = WH_TEXT(f, 64, WF_ORG_OBJ_ID, WF_ORG_ID);
    v->org_name = WH_TEXT(f, WH_MAX_SHORT, WF_ORG_OBJ_NAME, WF_ORG_NAME);
    v->tags = list_text(f, WF_TAGS);
    v->event_tags = list_text(f, WF_EVENT_TAGS);
    if (v->title)
        title_parse(v->title, &v->ti);
    if (!out->transition && v->ti.transition) {
        out->transition = v->ti.transition;
        v->ti.transition = NULL;
    }
    if (!v->prio && v->ti.prio[0])
        v->prio = srr_strdup(v->ti.prio);
}

/* The candidate id of this delivery (see the top of this file). */
static srr_rc identify(srr_webhook_alert *out, const wh_vals *v, srr_error *err)
{
    const char *when = v->date ? v->date : v->updated ? v->updated : "";
    if (out->event_id) {
        /* Short parts: with a 19-digit $ID, a transition and an epoch-ms
         * date the text stays within one SHA-256 block. */
        const char *parts[] = {"wh2", out->event_id, out->transition ? out->transition : "",
                               when};
        srr_hash_id(parts, 4, 32, out->id);
    } else if (v->cycle && out->transition && *when) {
        const char *parts[] = {"webhook/1", "cycle", v->cycle, out->transition, when};
        srr_hash_id(parts, 5, 32, out->id);
    } else {
        return srr_error_set(err, SRR_EINVAL,
                             "no $ID, and no $ALERT_CYCLE_KEY + $ALERT_TRANSITION + $DATE to "
                             "tell deliveries apart");
    }
    if (!v->alert_id && !v->ti.name)
        return srr_error_set(err, SRR_EINVAL,
                             "no $ALERT_ID and no $EVENT_TITLE to name the monitor");
    return SRR_OK;
}

/* The signal of an identified alert; takes the query and the link. */
static void fill_signal(srr_webhook_alert *out, wh_vals *v, int64_t now)
{
    srr_signal *sig = &out->signal;
    const char *name = v->ti.name;
    /* The alert's group: its scope, else the title's (the default payload). */
    const char *scope = v->scope ? v->scope : v->ti.scope;
    sig->source = SRR_SRC_WEBHOOK;
    sig->kind = SRR_KIND_MONITOR_ALERT;
    sig->status = status_of(out->transition, v->type);
    sig->check = srr_strdup(v->alert_id ? v->alert_id : name);
    add_tags(sig, v->tags);
    add_tags(sig, v->event_tags);
    add_tags(sig, scope);
    char *host_tag = NULL;
    if (v->host && !srr_signal_tag(sig, "host")) {
        host_tag = srr_asprintf("host:%s", v->host);
        add_tags(sig, host_tag);
    }
    if (!scope)
        scope = host_tag;
    sig->service = srr_strdup(srr_signal_tag(sig, "service"));
    sig->env = srr_strdup(srr_signal_tag(sig, "env"));
    if (name && scope)
        sig->summary = srr_asprintf("%s on %s", name, scope);
    else if (name)
        sig->summary = srr_strdup(name);
    else
        sig->summary = srr_asprintf("monitor %s%s%s", v->alert_id, scope ? " on " : "",
                                    scope ? scope : "");
    free(host_tag);
    sig->condition = v->query;
    v->query = NULL;
    sig->observed_at = epoch_of(v->date);
    if (!sig->observed_at)
        sig->observed_at = epoch_of(v->updated);
    if (!sig->observed_at)
        sig->observed_at = now;
    sig->window_start = sig->window_end = sig->observed_at;
    sig->link = v->link;
    v->link = NULL;
    if (v->prio)
        sig->priority = srr_strdup(v->prio);

    ev_member ev[] = {{"event_id", out->event_id},
                      {"alert_id", v->alert_id},
                      {"alert_cycle_key", v->cycle},
                      {"aggreg_key", v->aggreg},
                      {"transition", out->transition},
                      {"alert_type", v->type},
                      {"event_type", v->event_type},
                      {"alert_metric", v->metric},
                      {"alert_scope", v->scope},
                      {"hostname", v->host},
                      {"date", v->date},
                      {"org_id", v->org_id},
                      {"org_name", v->org_name},
                      {"title", v->title},
                      {"alert_status", v->astatus},
                      {"alert_query", sig->condition},
                      {"link", sig->link},
                      {"message", v->msg}};
    sig->evidence_json = evidence_json(ev, sizeof ev / sizeof ev[0]);
}

/* srr_webhook_parse, with the fast reader tried first when `fast`. */
static srr_rc parse(const char *body, size_t len, srr_webhook_encoding enc, int64_t now,
                    srr_webhook_alert *out, srr_error *err, int fast)
{
    json_t *root = NULL;
    json_error_t jerr;
    wh_fields f;
    wh_vals v;
    srr_rc rc = SRR_OK;

    memset(out, 0, sizeof *out);
    memset(&f, 0, sizeof f);
    memset(&v, 0, sizeof v);
    if (!body)
        len = 0;
    if (enc == SRR_WEBHOOK_FORM) {
        root = wh_parse_form(body ? body : "", len, err);
        if (!root)
            return SRR_EINVAL;
    } else if (!fast || !wh_fields_scan(body, len, &f)) {
        root = json_loadb(body ? body : "", len, 0, &jerr);
        if (!root)
            return srr_error_set(err, SRR_EINVAL, "not JSON: %s at line %d column %d", jerr.text,
                                 jerr.line, jerr.column);
    }
    if (root) {
        if (!json_is_object(root)) {
            rc = srr_error_set(err, SRR_EINVAL, "the payload is not a JSON object");
            goto out;
        }
        wh_fields_from_json(root, &f);
    }
    vals_read(&f, out, &v);
    rc = identify(out, &v, err);
    if (rc == SRR_OK)
        fill_signal(out, &v, now);
out:
    vals_free(&v);
    wh_fields_clear(&f);
    json_decref(root);
    if (rc != SRR_OK)
        srr_webhook_alert_clear(out);
    return rc;
}

srr_rc srr_webhook_parse(const char *body, size_t len, srr_webhook_encoding enc, int64_t now,
                         srr_webhook_alert *out, srr_error *err)
{
    return parse(body, len, enc, now, out, err, 1);
}

int srr_webhook_fast_shape(const char *body, size_t len)
{
    wh_fields f;
    int ok;
    memset(&f, 0, sizeof f);
    ok = wh_fields_scan(body, len, &f);
    wh_fields_clear(&f);
    return ok;
}

srr_rc srr_webhook_parse_full(const char *body, size_t len, srr_webhook_encoding enc,
                              int64_t now, srr_webhook_alert *out, srr_error *err)
{
    return parse(body, len, enc, now, out, err, 0);
}
