/* SPDX-License-Identifier: Apache-2.0
 *
 * detect.c - the detectors: they turn one check's query results into
 * signals, using the condition compiled for the check.
 *
 *   - threshold (max/min/avg/last/sum/p50..p99): aggregate the non-null
 *     points of each series and compare with the threshold, converted into
 *     the series' unit when both are bytes or both are time;
 *   - trend (growth): least-squares line of value against time over the
 *     non-null points (at least 3), growth %/week = slope * 604800 / fitted
 *     value at the first point * 100 (the series mean when that is <= 0; no
 *     signal when the mean is 0 too). With a `limit`, the time until the
 *     fitted line reaches it from the last point goes into the summary;
 *   - count (logs): events counted per group_by value in a hash table fed
 *     page by page (memory O(groups), not O(events)), at most
 *     SRR_LOG_MAX_GROUPS groups: events of any further group are counted in
 *     one overflow group whose facets all read "(other)".
 *
 * Everything here is pure: time comes from the detect context.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rules_internal.h"

#define SRR_EVIDENCE_POINTS 12
#define SRR_LOG_SAMPLES 3
#define SRR_LOG_SAMPLE_BYTES 200
#define SRR_LOG_MAX_GROUPS 10000
#define SRR_LOG_OTHER "(other)"
#define SRR_LOG_MISSING "n/a"

/* ---- shared ------------------------------------------------------------ */

/* Validates ctx against the ruleset and the expected source of the check. */
static srr_rc check_for(const srr_ruleset *rs, const srr_detect_ctx *ctx, srr_source want,
                        const srr_check **check, const srr_check_rt **rt, srr_error *err)
{
    if (!rs || !ctx)
        return srr_error_set(err, SRR_EINVAL, "detect: no ruleset or context");
    if (ctx->check_index >= rs->nchecks)
        return srr_error_set(err, SRR_EINVAL, "detect: no check #%zu (the config has %zu)",
                             ctx->check_index, rs->nchecks);
    const srr_check *c = &rs->cfg->checks[ctx->check_index];
    if (c->source != want)
        return srr_error_set(err, SRR_EINVAL, "check '%s' is a %s check, not a %s check",
                             c->name, srr_source_name(c->source), srr_source_name(want));
    *check = c;
    *rt = &rs->checks[ctx->check_index];
    return SRR_OK;
}

/* Fills what every detected signal has in common; tags must be set first
 * (service and env fall back to the "service:" and "env:" tags). */
static void fill_common(srr_signal *sig, const srr_check *check, const srr_detect_ctx *ctx,
                        srr_kind kind)
{
    sig->source = check->source;
    sig->check = srr_strdup(check->name);
    sig->kind = kind;
    sig->status = SRR_STATUS_FIRING;
    sig->service = srr_strdup(check->service ? check->service : srr_signal_tag(sig, "service"));
    sig->env = srr_strdup(check->env ? check->env : srr_signal_tag(sig, "env"));
    sig->condition = srr_strdup(check->when);
    sig->window_start = ctx->window_start;
    sig->window_end = ctx->window_end;
    sig->observed_at = ctx->window_end;
    sig->link = srr_strdup(ctx->link);
}

/* Size of the compact serialisation of j. */
static size_t json_size(const json_t *j)
{
    return json_dumpb(j, NULL, 0, JSON_COMPACT);
}

/* Keeps evidence within SRR_SIGNAL_MAX_EVIDENCE_BYTES by dropping elements
 * from the end of the array `key`, then the array itself. */
static void bound_evidence(json_t *ev, const char *key)
{
    json_t *arr = json_object_get(ev, key);
    while (json_size(ev) > SRR_SIGNAL_MAX_EVIDENCE_BYTES && json_array_size(arr) > 0)
        json_array_remove(arr, json_array_size(arr) - 1);
    if (json_size(ev) > SRR_SIGNAL_MAX_EVIDENCE_BYTES)
        json_object_clear(ev);
}

/* "90%", "2 GiB", "500 ms", "10%/week": a quantity as a person writes it. */
static void fmt_quantity(const srr_quantity *q, char *out, size_t n)
{
    char num[32];
    srr_fmt_number(q->number, num, sizeof num);
    if (!q->unit[0])
        snprintf(out, n, "%s", num);
    else
        snprintf(out, n, "%s%s%s", num, q->unit[0] == '%' ? "" : " ", q->unit);
}

/* "in ~9 days", "in ~5 hours", "within the hour". */
static void fmt_eta(double secs, char *out, size_t n)
{
    if (secs < 3600)
        snprintf(out, n, "within the hour");
    else if (secs < 2 * 86400.0)
        snprintf(out, n, "in ~%.0f hours", secs / 3600);
    else if (secs < 1e4 * 86400.0)
        snprintf(out, n, "in ~%.0f days", secs / 86400);
    else
        snprintf(out, n, "in more than 10000 days");
}

/* ---- metrics ----------------------------------------------------------- */

typedef struct pt {
    double t_ms, v;
} pt;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Percentile with linear interpolation between closest ranks (p in 0..100).
 * `tmp` has room for n values. */
static double percentile(const pt *p, size_t n, double pct, double *tmp)
{
    for (size_t i = 0; i < n; i++)
        tmp[i] = p[i].v;
    qsort(tmp, n, sizeof *tmp, cmp_double);
    double rank = pct / 100.0 * (double)(n - 1);
    size_t lo = (size_t)floor(rank), hi = (size_t)ceil(rank);
    return tmp[lo] + (tmp[hi] - tmp[lo]) * (rank - (double)lo);
}

static double aggregate(srr_measure m, const pt *p, size_t n, double *tmp)
{
    double acc;
    switch (m) {
    case SRR_MEASURE_MAX:
        acc = p[0].v;
        for (size_t i = 1; i < n; i++)
            acc = p[i].v > acc ? p[i].v : acc;
        return acc;
    case SRR_MEASURE_MIN:
        acc = p[0].v;
        for (size_t i = 1; i < n; i++)
            acc = p[i].v < acc ? p[i].v : acc;
        return acc;
    case SRR_MEASURE_LAST: /* the latest point, whatever the order sent */
        acc = p[0].v;
        for (size_t i = 1, best = 0; i < n; i++)
            if (p[i].t_ms >= p[best].t_ms) {
                best = i;
                acc = p[i].v;
            }
        return acc;
    case SRR_MEASURE_SUM:
    case SRR_MEASURE_AVG:
        acc = 0;
        for (size_t i = 0; i < n; i++)
            acc += p[i].v;
        return m == SRR_MEASURE_SUM ? acc : acc / (double)n;
    case SRR_MEASURE_P50: return percentile(p, n, 50, tmp);
    case SRR_MEASURE_P75: return percentile(p, n, 75, tmp);
    case SRR_MEASURE_P90: return percentile(p, n, 90, tmp);
    case SRR_MEASURE_P95: return percentile(p, n, 95, tmp);
    case SRR_MEASURE_P99: return percentile(p, n, 99, tmp);
    default: return NAN;
    }
}

/* Least-squares fit v = a + b * t, t in seconds since the first point.
 * Returns 0 when the times do not spread (no slope can be fitted). */
typedef struct fit {
    double slope;      /* per second */
    double start, end; /* fitted values at the first and last point */
    double mean;
    double span_s;     /* last - first, seconds */
} fit;

static int fit_line(const pt *p, size_t n, fit *f)
{
    double t0 = p[0].t_ms, tmax = p[0].t_ms, tbar = 0, vbar = 0;
    for (size_t i = 0; i < n; i++) {
        t0 = p[i].t_ms < t0 ? p[i].t_ms : t0;
        tmax = p[i].t_ms > tmax ? p[i].t_ms : tmax;
    }
    for (size_t i = 0; i < n; i++) {
        tbar += (p[i].t_ms - t0) / 1000.0;
        vbar += p[i].v;
    }
    tbar /= (double)n;
    vbar /= (double)n;
    double sxx = 0, sxy = 0;
    for (size_t i = 0; i < n; i++) {
        double dt = (p[i].t_ms - t0) / 1000.0 - tbar;
        sxx += dt * dt;
        sxy += dt * (p[i].v - vbar);
    }
    if (!(sxx > 0))
        return 0;
    f->slope = sxy / sxx;
    f->mean = vbar;
    f->span_s = (tmax - t0) / 1000.0;
    f->start = vbar - f->slope * tbar;
    f->end = f->start + f->slope * f->span_s;
    return 1;
}

/* Evidence for a metric signal: up to 12 evenly sampled points plus the
 * aggregate (or the fit). */
static json_t *metric_evidence(const pt *p, size_t n, const char *measure, double value,
                               const fit *f)
{
    json_t *ev = json_object();
    json_t *pts = json_array();
    size_t k = n < SRR_EVIDENCE_POINTS ? n : SRR_EVIDENCE_POINTS;
    for (size_t i = 0; i < k; i++) {
        size_t idx = k == 1 ? 0 : i * (n - 1) / (k - 1);
        json_t *pair = json_array();
        json_array_append_new(pair, json_integer((json_int_t)p[idx].t_ms));
        json_array_append_new(pair, json_real(p[idx].v));
        json_array_append_new(pts, pair);
    }
    json_object_set_new(ev, "points", pts);
    json_t *agg = json_object();
    json_object_set_new(agg, "measure", json_string(measure));
    json_object_set_new(agg, "value", json_real(value));
    json_object_set_new(agg, "points", json_integer((json_int_t)n));
    if (f) {
        json_object_set_new(agg, "slope_per_day", json_real(f->slope * 86400.0));
        json_object_set_new(agg, "fitted_start", json_real(f->start));
        json_object_set_new(agg, "fitted_end", json_real(f->end));
    }
    json_object_set_new(ev, "aggregate", agg);
    bound_evidence(ev, "points");
    return ev;
}

static int by_time(const void *a, const void *b)
{
    double x = ((const pt *)a)->t_ms, y = ((const pt *)b)->t_ms;
    return (x > y) - (x < y);
}

/* Judges one series; appends a signal when the condition holds. */
static void detect_series(const srr_check *check, const srr_check_rt *rt,
                          const srr_detect_ctx *ctx, const srr_series *s, pt *p, double *tmp,
                          srr_signal_list *out)
{
    const srr_cond *c = &rt->cond;
    size_t n = 0;
    for (size_t i = 0; i < s->npoints; i++)
        if (!s->points[i].is_null && isfinite(s->points[i].value) && isfinite(s->points[i].ts_ms))
            p[n++] = (pt){s->points[i].ts_ms, s->points[i].value};
    if (n == 0)
        return;
    qsort(p, n, sizeof *p, by_time);

    double value, thr;
    fit f;
    const char *unit = s->unit && *s->unit ? s->unit : NULL;
    if (c->kind == SRR_KIND_TREND) {
        if (n < 3 || !fit_line(p, n, &f))
            return;
        double base = f.start > 0 ? f.start : fabs(f.mean);
        if (base == 0)
            return;
        value = f.slope * 604800.0 / base * 100.0;
        thr = c->q.base; /* %/week */
    } else {
        value = aggregate(c->measure, p, n, tmp);
        thr = srr_quantity_in(&c->q, unit);
    }
    if (!srr_cmp_holds(c->op, value, thr))
        return;

    srr_signal *sig = srr_signal_list_push(out);
    for (size_t i = 0; i < s->ntags; i++)
        srr_signal_add_tag(sig, s->tags[i]);
    fill_common(sig, check, ctx, c->kind);
    sig->value = value;

    char vbuf[48], qbuf[48], sum[512];
    srr_sb sb;
    srr_sb_init(&sb, sum, sizeof sum);
    fmt_quantity(&c->q, qbuf, sizeof qbuf);
    if (c->kind == SRR_KIND_TREND) {
        sig->unit = srr_strdup("%/week");
        srr_fmt_number(fabs(value), vbuf, sizeof vbuf);
        srr_sb_put(&sb, s->metric && *s->metric ? s->metric : check->name);
        srr_sb_printf(&sb, " %s %s%%/week (%s %s)", value >= 0 ? "grows" : "shrinks", vbuf,
                      srr_cmp_name(c->op), qbuf);
    } else {
        if (unit)
            sig->unit = srr_strdup(unit);
        else if (c->q.uclass == SRR_UNIT_PERCENT)
            sig->unit = srr_strdup("%");
        else if (c->q.uclass == SRR_UNIT_BYTES)
            sig->unit = srr_strdup("B");
        else if (c->q.uclass == SRR_UNIT_TIME)
            sig->unit = srr_strdup("s");
        srr_fmt_value(value, sig->unit, vbuf, sizeof vbuf);
        srr_sb_printf(&sb, "%s %s %s %s", srr_measure_name(c->measure), vbuf,
                      srr_cmp_name(c->op), qbuf);
    }
    if (sig->ntags) {
        srr_sb_put(&sb, " on ");
        srr_sb_put_tags(&sb, sig);
    }
    if (c->kind == SRR_KIND_TREND && rt->has_limit) {
        double lim = srr_quantity_in(&rt->limit, unit);
        char lbuf[48], eta[48];
        fmt_quantity(&rt->limit, lbuf, sizeof lbuf);
        if (f.end >= lim) {
            srr_sb_printf(&sb, "; already at %s", lbuf);
        } else if (f.slope > 0) {
            fmt_eta((lim - f.end) / f.slope, eta, sizeof eta);
            srr_sb_printf(&sb, "; reaches %s %s", lbuf, eta);
        }
    }
    sig->summary = srr_strdup(sum);
    sig->evidence = metric_evidence(p, n, srr_measure_name(c->measure), value,
                                    c->kind == SRR_KIND_TREND ? &f : NULL);
}

srr_rc srr_detect_metrics(const srr_ruleset *rs, const srr_detect_ctx *ctx,
                          const srr_metric_result *res, srr_signal_list *out, srr_error *err)
{
    const srr_check *check;
    const srr_check_rt *rt;
    srr_rc rc = check_for(rs, ctx, SRR_SRC_METRICS, &check, &rt, err);
    if (rc != SRR_OK)
        return rc;
    if (!res || !out)
        return srr_error_set(err, SRR_EINVAL, "detect: no result or output list");
    size_t maxp = 0;
    for (size_t i = 0; i < res->nseries; i++)
        maxp = res->series[i].npoints > maxp ? res->series[i].npoints : maxp;
    if (maxp == 0)
        return SRR_OK;
    pt *p = srr_malloc(maxp * sizeof *p);
    double *tmp = srr_malloc(maxp * sizeof *tmp);
    for (size_t i = 0; i < res->nseries; i++)
        detect_series(check, rt, ctx, &res->series[i], p, tmp, out);
    free(tmp);
    free(p);
    return SRR_OK;
}

/* ---- logs -------------------------------------------------------------- */

typedef struct lc_sample {
    char *timestamp;
    char *message;
} lc_sample;

/* One group: the group_by values joined by '\x1f' in `key`. */
typedef struct lc_group {
    char *key;
    uint64_t hash;
    unsigned long long count;
    lc_sample samples[SRR_LOG_SAMPLES];
    int nsamples;
    int is_other;
} lc_group;

struct srr_log_counter {
    const srr_ruleset *rs;
    srr_detect_ctx ctx;
    const srr_check *check;
    const srr_check_rt *rt;
    srr_rc invalid;         /* SRR_OK, or why finish must fail */
    srr_error why;
    lc_group **groups;      /* insertion order */
    size_t ngroups, capgroups;
    uint32_t *slots;        /* open addressing: group index + 1, 0 = empty */
    size_t nslots;          /* power of two */
    lc_group *other;        /* overflow group, created on demand */
};

static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

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
    for (int i = 0; i < g->nsamples; i++) {
        free(g->samples[i].timestamp);
        free(g->samples[i].message);
    }
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
static lc_group *group_get(srr_log_counter *lc, const char *key, size_t n)
{
    uint64_t h = fnv1a(key, n);
    if (lc->nslots) {
        for (size_t i = (size_t)h & (lc->nslots - 1); lc->slots[i]; i = (i + 1) & (lc->nslots - 1)) {
            lc_group *g = lc->groups[lc->slots[i] - 1];
            if (g->hash == h && strlen(g->key) == n && memcmp(g->key, key, n) == 0)
                return g;
        }
    }
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

srr_log_counter *srr_log_counter_create(const srr_ruleset *rs, const srr_detect_ctx *ctx)
{
    srr_log_counter *lc = srr_calloc(1, sizeof *lc);
    lc->rs = rs;
    if (ctx)
        lc->ctx = *ctx;
    lc->ctx.link = NULL; /* not kept: borrowed; re-read from ctx in finish */
    lc->invalid = check_for(rs, ctx, SRR_SRC_LOGS, &lc->check, &lc->rt, &lc->why);
    if (ctx && ctx->link)
        lc->ctx.link = srr_strdup(ctx->link);
    /* Without group_by there is one group, present even with no events, so
     * that "count < 1" can fire on silence. */
    if (lc->invalid == SRR_OK && lc->check->ngroup_by == 0)
        group_get(lc, "", 0);
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

/* The value of one group_by facet for an event, into out. */
static void facet_value(const srr_log_event *ev, const char *facet, char *out, size_t n)
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

/* Replaces every byte that is not part of a valid UTF-8 sequence by '?', so
 * that a sample always serialises (JSON strings must be UTF-8). */
static void utf8_sanitize(char *s)
{
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        size_t need = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2
                                  : (*p & 0xF8) == 0xF0 ? 3 : 4;
        size_t k = 1;
        while (need < 4 && k <= need && (p[k] & 0xC0) == 0x80)
            k++;
        if (need == 4 || k <= need || (need == 1 && *p < 0xC2)) {
            *p++ = '?';
            continue;
        }
        p += need + 1;
    }
}

void srr_log_counter_add(srr_log_counter *lc, const srr_log_event *ev)
{
    if (!lc || !ev || lc->invalid != SRR_OK)
        return;
    char key[1024], val[256];
    srr_sb sb;
    srr_sb_init(&sb, key, sizeof key);
    for (size_t i = 0; i < lc->check->ngroup_by; i++) {
        facet_value(ev, lc->check->group_by[i], val, sizeof val);
        if (i)
            srr_sb_putn(&sb, "\x1f", 1);
        srr_sb_put(&sb, val);
    }
    lc_group *g = group_get(lc, key, sb.len);
    g->count++;
    if (g->nsamples < SRR_LOG_SAMPLES) {
        const char *msg = ev->message ? ev->message : "";
        size_t len = strlen(msg);
        lc_sample *smp = &g->samples[g->nsamples++];
        smp->message = srr_strndup(msg, srr_utf8_cut(msg, len, SRR_LOG_SAMPLE_BYTES));
        utf8_sanitize(smp->message);
        smp->timestamp = srr_strdup(ev->timestamp);
    }
}

/* Appends the signal of one group that meets the condition. */
static void emit_group(srr_log_counter *lc, const lc_group *g, srr_signal_list *out)
{
    const srr_check *check = lc->check;
    const srr_cond *c = &lc->rt->cond;
    if (!srr_cmp_holds(c->op, (double)g->count, c->q.base))
        return;
    srr_signal *sig = srr_signal_list_push(out);
    const char *k = g->key;
    for (size_t i = 0; i < check->ngroup_by; i++) {
        const char *end = g->is_other ? NULL : strchr(k, '\x1f');
        size_t vlen = g->is_other ? strlen(SRR_LOG_OTHER) : end ? (size_t)(end - k) : strlen(k);
        char *tag = srr_asprintf("%s:%.*s", check->group_by[i], (int)vlen,
                                 g->is_other ? SRR_LOG_OTHER : k);
        srr_signal_add_tag(sig, tag);
        free(tag);
        if (!g->is_other)
            k = end ? end + 1 : k + vlen;
    }
    fill_common(sig, check, &lc->ctx, SRR_KIND_COUNT);
    sig->value = (double)g->count;

    char sum[512], qbuf[48];
    srr_sb sb;
    srr_sb_init(&sb, sum, sizeof sum);
    fmt_quantity(&c->q, qbuf, sizeof qbuf);
    srr_sb_printf(&sb, "count %llu %s %s", g->count, srr_cmp_name(c->op), qbuf);
    if (sig->ntags) {
        srr_sb_put(&sb, " on ");
        srr_sb_put_tags(&sb, sig);
    }
    if (g->is_other)
        srr_sb_printf(&sb, " (groups beyond the first %d)", SRR_LOG_MAX_GROUPS);
    sig->summary = srr_strdup(sum);

    json_t *ev = json_object();
    json_object_set_new(ev, "count", json_integer((json_int_t)g->count));
    json_t *samples = json_array();
    for (int i = 0; i < g->nsamples; i++) {
        json_t *s = json_object();
        if (g->samples[i].timestamp)
            json_object_set_new(s, "timestamp", json_string(g->samples[i].timestamp));
        json_object_set_new(s, "message", json_string(g->samples[i].message));
        json_array_append_new(samples, s);
    }
    json_object_set_new(ev, "samples", samples);
    bound_evidence(ev, "samples");
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
