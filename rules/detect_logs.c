/* SPDX-License-Identifier: Apache-2.0
 *
 * detect_logs.c - the detectors of logs checks that count (detectors.h):
 *
 *   - count: events counted per group_by value in a hash table fed page by
 *     page (memory O(groups), not O(events)), at most SRR_LOG_MAX_GROUPS
 *     groups: events of any further group are counted in one overflow group
 *     whose facets all read "(other)". Counts may also come as aggregate
 *     buckets (one count per group);
 *   - change: % change of each group's count against the previous
 *     window's; a group absent from the previous window counts as 1 there
 *     (so 40 new events read +3900%), one absent now reads -100%;
 *   - spike: the same grammar as a metric spike ("spike > 1000%") over the
 *     counts per interval of the previous window and this one (aggregate
 *     timeseries): spike % = (the fullest interval of this window - the
 *     previous window's mean per interval) / that mean * 100, where an
 *     interval Datadog left out had no events and a group silent the week
 *     before counts one event per interval.
 *
 * Each group keeps a few sample messages (from the events, or fetched
 * afterwards for aggregates). Pure code: time comes from the context.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detectors.h"
#include "rules_internal.h"

#define SRR_LOG_MAX_GROUPS 10000
#define SRR_LOG_OTHER "(other)"

/* "1h", "15m", "1d": an interval for people. */
static void fmt_interval(int64_t s, char *out, size_t n)
{
    if (s > 0 && s % 86400 == 0)
        snprintf(out, n, "%lldd", (long long)(s / 86400));
    else if (s > 0 && s % 3600 == 0)
        snprintf(out, n, "%lldh", (long long)(s / 3600));
    else if (s > 0 && s % 60 == 0)
        snprintf(out, n, "%lldm", (long long)(s / 60));
    else
        snprintf(out, n, "%llds", (long long)s);
}

/* ---- the counter ------------------------------------------------------- */

/* One group: the group_by values joined by '\x1f' in `key`. */
typedef struct lc_group {
    char *key;
    uint64_t hash;
    unsigned long long count;
    unsigned long long prev_count; /* previous window (measure change) */
    double prev_sum;               /* spike: events of the previous window */
    double peak;                   /* spike: the fullest interval of this window */
    double peak_ms;                /* its start, epoch ms */
    srr_log_sample samples[SRR_LOG_SAMPLES];
    int nsamples;
    int is_other;
} lc_group;

struct srr_log_counter {
    const srr_ruleset *rs;
    srr_detect_ctx ctx;
    const srr_check *check;
    const srr_check_rt *rt;
    srr_rc invalid; /* SRR_OK, or why finish must fail */
    srr_error why;
    lc_group **groups; /* insertion order */
    size_t ngroups, capgroups;
    uint32_t *slots;    /* open addressing: group index + 1, 0 = empty */
    size_t nslots;      /* power of two */
    lc_group *other;    /* overflow group, created on demand */
    int64_t interval_s; /* spike: the length of one interval */
};

static lc_group *group_new(const char *key, size_t n, uint64_t h)
{
    lc_group *g = srr_calloc(1, sizeof *g);
    g->key = srr_strndup(key, n);
    g->hash = h;
    return g;
}

static void group_free(lc_group *g)
{
    if (!g)
        return;
    for (int i = 0; i < g->nsamples; i++)
        srr_log_sample_free(&g->samples[i]);
    free(g->key);
    free(g);
}

static void slots_insert(uint32_t *slots, size_t nslots, uint64_t h, uint32_t idx1)
{
    size_t i = (size_t)h & (nslots - 1);
    while (slots[i])
        i = (i + 1) & (nslots - 1);
    slots[i] = idx1;
}

static void slots_grow(srr_log_counter *lc)
{
    size_t n = lc->nslots ? lc->nslots * 2 : 64;
    uint32_t *s = srr_calloc(n, sizeof *s);
    for (size_t i = 0; i < lc->ngroups; i++)
        slots_insert(s, n, lc->groups[i]->hash, (uint32_t)(i + 1));
    free(lc->slots);
    lc->slots = s;
    lc->nslots = n;
}

/* Finds or adds the group of `key`; past the cap returns the overflow
 * group. */
/* The group of key[0..n) (hash h), or NULL when there is none yet. */
static lc_group *group_find(const srr_log_counter *lc, const char *key, size_t n, uint64_t h)
{
    if (!lc->nslots)
        return NULL;
    for (size_t i = (size_t)h & (lc->nslots - 1); lc->slots[i]; i = (i + 1) & (lc->nslots - 1)) {
        lc_group *g = lc->groups[lc->slots[i] - 1];
        if (g->hash == h && strlen(g->key) == n && memcmp(g->key, key, n) == 0)
            return g;
    }
    return NULL;
}

static lc_group *group_get(srr_log_counter *lc, const char *key, size_t n)
{
    uint64_t h = srr_fnv1a_n(key, n);
    lc_group *found = group_find(lc, key, n, h);
    if (found)
        return found;
    if (lc->ngroups >= SRR_LOG_MAX_GROUPS) {
        if (!lc->other) {
            lc->other = group_new("", 0, 0);
            lc->other->is_other = 1;
        }
        return lc->other;
    }
    if ((lc->ngroups + 1) * 10 > lc->nslots * 7)
        slots_grow(lc);
    if (lc->ngroups == lc->capgroups) {
        lc->capgroups = lc->capgroups ? lc->capgroups * 2 : 16;
        lc->groups = srr_realloc(lc->groups, lc->capgroups * sizeof *lc->groups);
    }
    lc_group *g = group_new(key, n, h);
    lc->groups[lc->ngroups++] = g;
    slots_insert(lc->slots, lc->nslots, h, (uint32_t)lc->ngroups);
    return g;
}

/* Creates the group of a known thing from its '\n'-joined tags, one
 * "facet:value" per group_by facet (a thing of another shape is left
 * out). */
static void known_group(srr_log_counter *lc, const char *tags)
{
    char key[1024];
    srr_sb sb;
    srr_sb_init(&sb, key, sizeof key);
    for (size_t i = 0; i < lc->check->ngroup_by; i++) {
        const char *facet = lc->check->group_by[i], *p = tags, *v = NULL;
        size_t flen = strlen(facet), vlen = 0;
        while (p && *p) {
            size_t len = strcspn(p, "\n");
            if (len > flen && memcmp(p, facet, flen) == 0 && p[flen] == ':') {
                v = p + flen + 1;
                vlen = len - flen - 1;
                break;
            }
            p += len + (p[len] == '\n');
        }
        if (!v || (vlen == strlen(SRR_LOG_OTHER) && memcmp(v, SRR_LOG_OTHER, vlen) == 0))
            return;
        if (i)
            srr_sb_putn(&sb, "\x1f", 1);
        srr_sb_putn(&sb, v, vlen);
    }
    if (!sb.full)
        group_get(lc, key, sb.len);
}

srr_log_counter *srr_log_counter_create(const srr_ruleset *rs, const srr_detect_ctx *ctx)
{
    srr_log_counter *lc = srr_calloc(1, sizeof *lc);
    lc->rs = rs;
    if (ctx)
        lc->ctx = *ctx;
    lc->ctx.link = NULL; /* not kept: borrowed; re-read from ctx in finish */
    lc->invalid = srr_detect_check_for(rs, ctx, SRR_SRC_LOGS, &lc->check, &lc->rt, &lc->why);
    if (ctx && ctx->link)
        lc->ctx.link = srr_strdup(ctx->link);
    /* Without group_by there is one group, present even with no events, so
     * that "count < 1" can fire on silence. */
    if (lc->invalid == SRR_OK && lc->check->ngroup_by == 0)
        group_get(lc, "", 0);
    /* A known group is counted even when no event of it comes: its count
     * of 0 is a clear observation. */
    for (size_t i = 0; lc->invalid == SRR_OK && lc->check->ngroup_by && i < lc->ctx.nknown; i++)
        known_group(lc, lc->ctx.known[i]);
    return lc;
}

/* The text of a JSON scalar for a group value. */
static void json_scalar_text(const json_t *v, char *out, size_t n)
{
    if (json_is_string(v))
        snprintf(out, n, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(out, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v))
        srr_fmt_number(json_real_value(v), out, n);
    else if (json_is_boolean(v))
        snprintf(out, n, "%s", json_is_true(v) ? "true" : "false");
    else
        snprintf(out, n, "%s", SRR_LOG_MISSING);
}

/* Looks up "@a.b.c" in the attributes: the whole key first, then the
 * dotted path. */
static const json_t *attr_lookup(const json_t *attrs, const char *path)
{
    if (!json_is_object(attrs))
        return NULL;
    const json_t *v = json_object_get(attrs, path);
    if (v)
        return v;
    const json_t *cur = attrs;
    const char *p = path;
    while (cur && *p) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (!json_is_object(cur))
            return NULL;
        cur = json_object_getn(cur, p, len);
        p = dot ? dot + 1 : p + len;
    }
    return cur;
}

void srr_log_facet_value(const srr_log_event *ev, const char *facet, char *out, size_t n)
{
    const char *s = NULL;
    if (strcmp(facet, "service") == 0)
        s = ev->service;
    else if (strcmp(facet, "status") == 0)
        s = ev->status;
    else if (strcmp(facet, "host") == 0)
        s = ev->host;
    else if (facet[0] == '@') {
        const json_t *v = attr_lookup(ev->attributes, facet + 1);
        if (v) {
            json_scalar_text(v, out, n);
            return;
        }
    } else if (json_is_array(ev->tags)) {
        size_t klen = strlen(facet), i;
        const json_t *t;
        json_array_foreach(ev->tags, i, t)
        {
            const char *tv = json_string_value(t);
            if (tv && strncmp(tv, facet, klen) == 0 && tv[klen] == ':') {
                s = tv + klen + 1;
                break;
            }
        }
    }
    snprintf(out, n, "%s", s && *s ? s : SRR_LOG_MISSING);
}

size_t srr_log_group_key(const srr_check *check, const srr_log_event *ev, char *key, size_t cap)
{
    char val[256];
    srr_sb sb;
    srr_sb_init(&sb, key, cap);
    for (size_t i = 0; i < check->ngroup_by; i++) {
        srr_log_facet_value(ev, check->group_by[i], val, sizeof val);
        if (i)
            srr_sb_putn(&sb, "\x1f", 1);
        srr_sb_put(&sb, val);
    }
    return sb.len;
}

void srr_log_counter_add(srr_log_counter *lc, const srr_log_event *ev)
{
    if (!lc || !ev || lc->invalid != SRR_OK)
        return;
    char key[1024];
    size_t n = srr_log_group_key(lc->check, ev, key, sizeof key);
    lc_group *g = group_get(lc, key, n);
    g->count++;
    if (g->nsamples < SRR_LOG_SAMPLES)
        srr_log_sample_set(&g->samples[g->nsamples++], ev);
}

/* Spike: the mean events per interval of the previous window (intervals
 * Datadog left out had none); a group silent then counts one event per
 * interval, as `change` counts an absent group as 1. */
static double spike_baseline(const srr_log_counter *lc, const lc_group *g)
{
    int64_t w = lc->ctx.window_end - lc->ctx.window_start;
    double nint = lc->interval_s > 0 ? (double)((w + lc->interval_s - 1) / lc->interval_s) : 1;
    double mean = nint > 0 ? g->prev_sum / nint : 0;
    return mean > 0 ? mean : 1.0;
}

/* The measured value of a group: its count, its % change, or its spike %. */
static double group_value(const srr_log_counter *lc, const lc_group *g)
{
    if (lc->rt->cond.measure == SRR_MEASURE_SPIKE) {
        double base = spike_baseline(lc, g);
        return (g->peak - base) / base * 100.0;
    }
    if (lc->rt->cond.measure != SRR_MEASURE_CHANGE)
        return (double)g->count;
    double prev = g->prev_count ? (double)g->prev_count : 1.0;
    return ((double)g->count - prev) / prev * 100.0;
}

/* Appends the signal of one group that meets the condition. */
static void emit_group(srr_log_counter *lc, const lc_group *g, srr_signal_list *out)
{
    const srr_check *check = lc->check;
    const srr_cond *c = &lc->rt->cond;
    double value = group_value(lc, g);
    int holds = srr_cmp_holds(c->op, value, c->q.base);
    if (!holds && !lc->ctx.nknown)
        return;
    srr_signal *sig = srr_signal_list_push(out);
    const char *k = g->key;
    for (size_t i = 0; i < check->ngroup_by; i++) {
        const char *end = g->is_other ? NULL : strchr(k, '\x1f');
        size_t vlen = g->is_other ? strlen(SRR_LOG_OTHER) : end ? (size_t)(end - k) : strlen(k);
        char *tag =
            srr_asprintf("%s:%.*s", check->group_by[i], (int)vlen, g->is_other ? SRR_LOG_OTHER : k);
        srr_signal_add_tag(sig, tag);
        free(tag);
        if (!g->is_other)
            k = end ? end + 1 : k + vlen;
    }
    srr_detect_fill_common(sig, check, &lc->ctx,
                           c->measure == SRR_MEASURE_SPIKE ? SRR_KIND_SPIKE : SRR_KIND_COUNT);
    sig->value = value;
    if (!holds) {
        char kg[SRR_GROUP_MAX];
        if (!srr_detect_is_known(lc->rs, &lc->ctx, sig, kg, sizeof kg)) {
            srr_signal_clear(&out->v[--out->n]);
            return;
        }
        sig->status = SRR_STATUS_RECOVERED;
    }

    char sum[512], qbuf[48], opbuf[16];
    snprintf(opbuf, sizeof opbuf, "%s%s", holds ? "" : "not ", srr_cmp_name(c->op));
    srr_sb sb;
    srr_sb_init(&sb, sum, sizeof sum);
    srr_detect_fmt_quantity(&c->q, qbuf, sizeof qbuf);
    if (c->measure == SRR_MEASURE_SPIKE) {
        char vbuf[48], pbuf[48], bbuf[48], at[32], iv[32];
        sig->unit = srr_strdup("%");
        srr_fmt_number(value, vbuf, sizeof vbuf);
        srr_fmt_number(g->peak, pbuf, sizeof pbuf);
        srr_fmt_number(spike_baseline(lc, g), bbuf, sizeof bbuf);
        srr_time_iso((int64_t)(g->peak_ms / 1000.0), at);
        fmt_interval(lc->interval_s, iv, sizeof iv);
        srr_sb_printf(&sb,
                      "spike %s%% (%s %s): %s events in the %s from %s, against %s per %s "
                      "the window before",
                      vbuf, opbuf, qbuf, pbuf, iv, at, bbuf, iv);
    } else if (c->measure == SRR_MEASURE_CHANGE) {
        char vbuf[48];
        sig->unit = srr_strdup("%");
        srr_fmt_number(value, vbuf, sizeof vbuf);
        srr_sb_printf(&sb, "count %s%s%% vs the previous window (%llu, was %llu) %s %s",
                      value >= 0 ? "+" : "", vbuf, g->count, g->prev_count, opbuf, qbuf);
    } else {
        srr_sb_printf(&sb, "count %llu %s %s", g->count, opbuf, qbuf);
    }
    if (sig->ntags) {
        srr_sb_put(&sb, " on ");
        srr_sb_put_tags(&sb, sig);
    }
    if (g->is_other)
        srr_sb_printf(&sb, " (groups beyond the first %d)", SRR_LOG_MAX_GROUPS);
    sig->summary = srr_strdup(sum);

    json_t *ev = json_object();
    json_object_set_new(ev, "count", json_integer((json_int_t)g->count));
    if (c->measure == SRR_MEASURE_CHANGE)
        json_object_set_new(ev, "previous_count", json_integer((json_int_t)g->prev_count));
    if (c->measure == SRR_MEASURE_SPIKE) {
        char at[32];
        srr_time_iso((int64_t)(g->peak_ms / 1000.0), at);
        json_object_set_new(ev, "previous_count", json_integer((json_int_t)(g->prev_sum + 0.5)));
        json_object_set_new(ev, "interval_s", json_integer((json_int_t)lc->interval_s));
        json_object_set_new(ev, "baseline_per_interval", json_real(spike_baseline(lc, g)));
        json_object_set_new(ev, "peak", json_real(g->peak));
        json_object_set_new(ev, "peak_at", json_string(at));
    }
    json_object_set_new(ev, "samples", srr_log_samples_json(g->samples, (size_t)g->nsamples));
    srr_detect_bound_evidence(ev, "samples");
    sig->evidence = ev;
}

srr_rc srr_log_counter_finish(srr_log_counter *lc, srr_signal_list *out, srr_error *err)
{
    if (!lc)
        return srr_error_set(err, SRR_EINVAL, "log counter: none");
    if (lc->invalid != SRR_OK)
        return srr_error_set(err, lc->invalid, "%s", lc->why.msg);
    if (!out)
        return srr_error_set(err, SRR_EINVAL, "log counter: no output list");
    for (size_t i = 0; i < lc->ngroups; i++)
        emit_group(lc, lc->groups[i], out);
    if (lc->other)
        emit_group(lc, lc->other, out);
    return SRR_OK;
}

void srr_log_counter_destroy(srr_log_counter *lc)
{
    if (!lc)
        return;
    for (size_t i = 0; i < lc->ngroups; i++)
        group_free(lc->groups[i]);
    group_free(lc->other);
    free(lc->groups);
    free(lc->slots);
    free((char *)lc->ctx.link);
    free(lc);
}

/* ---- aggregate buckets, samples, measures ---------------------------------- */

const char *srr_detect_measure(const srr_ruleset *rs, size_t check_index)
{
    if (!rs || check_index >= rs->nchecks)
        return "?";
    return srr_measure_name(rs->checks[check_index].cond.measure);
}

/* The group of values[0..n) (joined like srr_log_counter_add's keys), or
 * NULL when n does not fit the check. `create` adds it when missing. */
static lc_group *group_of_values(srr_log_counter *lc, const char *const *values, size_t n)
{
    if (!lc || lc->invalid != SRR_OK || n != lc->check->ngroup_by)
        return NULL;
    char key[1024];
    srr_sb sb;
    srr_sb_init(&sb, key, sizeof key);
    for (size_t i = 0; i < n; i++) {
        if (i)
            srr_sb_putn(&sb, "\x1f", 1);
        srr_sb_put(&sb, values[i] && *values[i] ? values[i] : SRR_LOG_MISSING);
    }
    return group_get(lc, key, sb.len);
}

static unsigned long long to_count(double c)
{
    return c > 0 && isfinite(c) ? (unsigned long long)(c + 0.5) : 0;
}

void srr_log_counter_add_group(srr_log_counter *lc, const char *const *values, size_t n,
                               double count)
{
    lc_group *g = group_of_values(lc, values, n);
    if (g)
        g->count += to_count(count);
}

void srr_log_counter_add_prev_group(srr_log_counter *lc, const char *const *values, size_t n,
                                    double count)
{
    lc_group *g = group_of_values(lc, values, n);
    if (g)
        g->prev_count += to_count(count);
}

int srr_log_counter_add_sample(srr_log_counter *lc, const srr_log_event *ev)
{
    if (!lc || !ev || lc->invalid != SRR_OK)
        return 0;
    char key[1024];
    size_t n = srr_log_group_key(lc->check, ev, key, sizeof key);
    lc_group *g = group_find(lc, key, n, srr_fnv1a_n(key, n));
    if (!g || g->nsamples >= SRR_LOG_SAMPLES)
        return 0;
    srr_log_sample_set(&g->samples[g->nsamples++], ev);
    return 1;
}

int srr_log_counter_fires(const srr_log_counter *lc)
{
    if (!lc || lc->invalid != SRR_OK)
        return 0;
    const srr_cond *c = &lc->rt->cond;
    for (size_t i = 0; i < lc->ngroups; i++)
        if (srr_cmp_holds(c->op, group_value(lc, lc->groups[i]), c->q.base))
            return 1;
    return lc->other && srr_cmp_holds(c->op, group_value(lc, lc->other), c->q.base);
}

/* ---- spikes: counts per interval ----------------------------------------- */

int64_t srr_log_spike_interval(int64_t window_s)
{
    /* About 168 intervals per window (hours of a week), in whole minutes. */
    int64_t iv = window_s / 168;
    iv = iv < 60 ? 60 : iv - iv % 60;
    return iv;
}

void srr_log_counter_set_interval(srr_log_counter *lc, int64_t interval_s)
{
    if (lc)
        lc->interval_s = interval_s > 0 ? interval_s : 0;
}

void srr_log_counter_add_series(srr_log_counter *lc, const char *const *values, size_t n,
                                const srr_point *pts, size_t npts)
{
    lc_group *g = group_of_values(lc, values, n);
    if (!g)
        return;
    double cut = (double)lc->ctx.window_start * 1000.0;
    for (size_t i = 0; i < npts; i++) {
        double v = pts[i].is_null || !isfinite(pts[i].value) ? 0 : pts[i].value;
        if (pts[i].ts_ms < cut) {
            g->prev_sum += v;
            continue;
        }
        g->count += to_count(v);
        if (v > g->peak || g->peak_ms == 0) {
            g->peak = v;
            g->peak_ms = pts[i].ts_ms;
        }
    }
}

int srr_log_counter_peak(const srr_log_counter *lc, int64_t *from_s, int64_t *to_s)
{
    if (!lc || lc->invalid != SRR_OK || lc->interval_s <= 0)
        return 0;
    const srr_cond *c = &lc->rt->cond;
    const lc_group *best = NULL;
    double bestv = 0;
    for (size_t i = 0; i < lc->ngroups; i++) {
        const lc_group *g = lc->groups[i];
        double v = group_value(lc, g);
        if (g->peak_ms > 0 && srr_cmp_holds(c->op, v, c->q.base) && (!best || v > bestv)) {
            best = g;
            bestv = v;
        }
    }
    if (!best)
        return 0;
    *from_s = (int64_t)(best->peak_ms / 1000.0);
    *to_s = *from_s + lc->interval_s;
    return 1;
}
