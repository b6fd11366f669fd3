/* SPDX-License-Identifier: Apache-2.0
 *
 * candidate.c - turning a signal and its decision into a candidate for the
 * queue: the fingerprint of the thing at risk (computed by identity.c),
 * the deterministic id of the observation (check, kind, group tags, window
 * end: re-running the same sweep window yields the same id, so the writer
 * stores nothing twice), a short title,
 * and a deep copy of the signal. Also the growable signal list the
 * detectors append to.
 */
#include <stdlib.h>
#include <string.h>

#include "rules_internal.h"

#define SRR_TITLE_MAX 200
#define SRR_TITLE_PATTERN 120 /* bytes of a pattern's text in a title */

srr_signal *srr_signal_list_push(srr_signal_list *l)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->v = srr_realloc(l->v, l->cap * sizeof *l->v);
    }
    srr_signal *s = &l->v[l->n++];
    memset(s, 0, sizeof *s);
    return s;
}

void srr_signal_list_clear(srr_signal_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        srr_signal_clear(&l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

/* Appends the signal's tags but its pattern id ("pattern:<hex>"). */
static void put_group_tags(srr_sb *sb, const srr_signal *sig)
{
    int first = 1;
    for (size_t i = 0; i < sig->ntags; i++) {
        if (strncmp(sig->tags[i], "pattern:", 8) == 0)
            continue;
        srr_sb_put(sb, first ? " on " : ",");
        srr_sb_put(sb, sig->tags[i]);
        first = 0;
    }
}

/* The title names the thing, not one observation of it (its value
 * changes, the record keeps the latest and the worst): the check and the
 * measure of its condition, or the monitor's name, and the group -
 * "worker-memory growth on service:worker"; the writer adds the count of
 * its members ("..., 3 pods"). A log pattern is named by its text. */
static void build_title(const srr_signal *sig, const srr_decision *d, char *out, size_t n)
{
    char group[SRR_GROUP_MAX];
    srr_sb sb;
    srr_sb_init(&sb, out, n);
    srr_rules_group_text(sig, d, group, sizeof group);
    if (sig->kind == SRR_KIND_MONITOR_ALERT) {
        /* "<monitor name> on <scope>": the name, then the group; without a
         * narrowed group the alert's own scope names it. */
        const char *s = sig->summary && *sig->summary ? sig->summary : sig->check, *on = NULL;
        if (!s)
            s = "?";
        for (const char *p = strstr(s, " on "); p; p = strstr(p + 1, " on "))
            on = p;
        if (on && (!strchr(on + 4, ':') || strchr(on + 4, ' ')))
            on = NULL; /* " on " inside the name, not before a scope */
        if (!d || !d->has_group_by) {
            srr_sb_put(&sb, s);
            return;
        }
        srr_sb_putn(&sb, s, on ? (size_t)(on - s) : strlen(s));
    } else {
        const char *pattern = json_string_value(json_object_get(sig->evidence, "pattern"));
        srr_sb_put(&sb, sig->check ? sig->check : "?");
        if (sig->kind == SRR_KIND_NEW_PATTERN && pattern && *pattern) {
            /* 'payments: new log pattern "gateway timeout after <id>" on
             * service:checkout': the pattern is the thing. */
            size_t len = strlen(pattern), cut = srr_utf8_cut(pattern, len, SRR_TITLE_PATTERN);
            srr_sb_put(&sb, ": new log pattern \"");
            srr_sb_putn(&sb, pattern, cut);
            srr_sb_put(&sb, cut < len ? "...\"" : "\"");
            put_group_tags(&sb, sig);
            return;
        }
        if (sig->condition && *sig->condition) {
            srr_sb_put(&sb, " ");
            srr_sb_putn(&sb, sig->condition, strcspn(sig->condition, " \t<>=!"));
        } else {
            srr_sb_put(&sb, " ");
            srr_sb_put(&sb, srr_kind_name(sig->kind));
        }
    }
    if (group[0]) {
        srr_sb_put(&sb, " on ");
        srr_sb_put(&sb, group);
    }
}

/* Everything of a candidate but its id and signal. */
static void fill_fields(const srr_signal *sig, const srr_decision *d, int64_t now,
                        srr_candidate *out)
{
    char fp[33], title[SRR_TITLE_MAX + 1];
    srr_rules_fingerprint(sig, d, fp);
    out->fingerprint = srr_strdup(fp);
    out->action = d->action;
    out->rule = srr_strdup(d->rule);
    out->rule_index = d->rule_index;
    out->reason = srr_strdup(d->reason);
    out->urgency = d->urgency;
    out->owner = srr_strdup(d->owner);
    out->timebox_s = d->timebox_s;
    out->created_at = now;
    build_title(sig, d, title, sizeof title);
    out->title = srr_strdup(title);
}

void srr_rules_candidate(const srr_signal *sig, const srr_decision *d, int64_t now,
                         srr_candidate *out)
{
    char wend[24];
    memset(out, 0, sizeof *out);

    /* The id of a sweep observation. Webhook signals get the id of their
     * delivery instead (srr_rules_candidate_borrow): Datadog's $ID, or
     * cycle key + transition + date, which is what makes retries dedupe. */
    snprintf(wend, sizeof wend, "%lld", (long long)sig->window_end);
    const char *head[] = {"sweep/1", sig->check, srr_kind_name(sig->kind)};
    srr_rules_hash_tags(head, 3, sig, wend, 32, out->id);
    fill_fields(sig, d, now, out);
    srr_signal_copy(&out->signal, sig);
}

void srr_rules_candidate_borrow(const srr_signal *sig, const srr_decision *d, int64_t now,
                                const char *id, srr_candidate *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->id, sizeof out->id, "%s", id);
    fill_fields(sig, d, now, out);
    out->signal = *sig;
}

void srr_rules_candidate_unborrow(srr_candidate *c)
{
    memset(&c->signal, 0, sizeof c->signal);
    srr_candidate_clear(c);
}
