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
 *     signal when the mean is 0 too). Robust to one outlier: with 6 points
 *     or more, the point with the largest residual is dropped and the line
 *     refitted when that residual exceeds 4 times the RMS residual of the
 *     other points (a lone scrape glitch cannot fake or hide a trend, while
 *     a step, whose residuals are all alike, keeps every point). With a
 *     `limit`, the time until the fitted line reaches it from the last point
 *     goes into the summary;
 *   - spike: the series covers the previous window and the current one;
 *     spike % = (max of the current window - mean of the previous window)
 *     / |mean of the previous window| * 100 (no signal without a baseline
 *     or with a zero mean);
 *   - count (logs): events counted per group_by value in a hash table fed
 *     page by page (memory O(groups), not O(events)), at most
 *     SRR_LOG_MAX_GROUPS groups: events of any further group are counted in
 *     one overflow group whose facets all read "(other)". Counts may also
 *     come as aggregate buckets (one count per group);
 *   - change (logs): % change of each group's count against the previous
 *     window's; a group absent from the previous window counts as 1 there
 *     (so 40 new events read +3900%), one absent now reads -100%;
 *   - new_pattern (logs): see srr_log_pattern in detectors.h.
 *
 * Everything here is pure: time comes from the detect context.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detectors.h"
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

/* Fits a line robust to one outlier (see the top of this file). May drop
 * one point of p (reordering nothing else); *n is updated and *dropped set
 * to 1 when it did. Returns 0 when no line can be fitted. */
static int fit_robust(pt *p, size_t *n, fit *f, int *dropped)
{
    *dropped = 0;
    if (!fit_line(p, *n, f))
        return 0;
    if (*n < 6)
        return 1;
    double t0 = p[0].t_ms;
    for (size_t i = 1; i < *n; i++)
        t0 = p[i].t_ms < t0 ? p[i].t_ms : t0;
    size_t worst = 0;
    double wr = -1, ss = 0;
    for (size_t i = 0; i < *n; i++) {
        double r = fabs(p[i].v - (f->start + f->slope * (p[i].t_ms - t0) / 1000.0));
        ss += r * r;
        if (r > wr) {
            wr = r;
            worst = i;
        }
    }
    double rms_others = sqrt((ss - wr * wr) / (double)(*n - 1));
    if (!(wr > 4 * rms_others) || wr <= 1e-12 * (fabs(f->mean) + 1))
        return 1;
    fit g;
    memmove(&p[worst], &p[worst + 1], (*n - worst - 1) * sizeof *p);
    if (!fit_line(p, *n - 1, &g))
        return 1; /* cannot happen with >= 5 distinct times left; keep the first fit */
    (*n)--;
    *f = g;
    *dropped = 1;
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

    double value, thr, baseline = 0;
    fit f;
    int dropped = 0;
    const char *unit = s->unit && *s->unit ? s->unit : NULL;
    if (c->kind == SRR_KIND_TREND) {
        if (n < 3 || !fit_robust(p, &n, &f, &dropped))
            return;
        double base = f.start > 0 ? f.start : fabs(f.mean);
        if (base == 0)
            return;
        value = f.slope * 604800.0 / base * 100.0;
        thr = c->q.base; /* %/week */
    } else if (c->measure == SRR_MEASURE_SPIKE) {
        /* p is sorted by time: the baseline is what precedes the window. */
        double cut = (double)ctx->window_start * 1000.0, sum = 0;
        size_t nb = 0;
        while (nb < n && p[nb].t_ms < cut)
            sum += p[nb++].v;
        if (nb == 0 || nb == n)
            return; /* no baseline, or nothing in the window */
        baseline = sum / (double)nb;
        if (baseline == 0)
            return;
        memmove(p, p + nb, (n - nb) * sizeof *p);
        n -= nb;
        value = (aggregate(SRR_MEASURE_MAX, p, n, tmp) - baseline) / fabs(baseline) * 100.0;
        thr = c->q.base;
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
    if (c->measure == SRR_MEASURE_SPIKE) {
        sig->kind = SRR_KIND_SPIKE;
        sig->unit = srr_strdup("%");
        char bbuf[48], mbuf[48];
        srr_fmt_number(value, vbuf, sizeof vbuf);
        srr_fmt_value(baseline, unit, bbuf, sizeof bbuf);
        srr_fmt_value(baseline * (1 + value / 100.0), unit, mbuf, sizeof mbuf);
        srr_sb_printf(&sb, "spike %s%% (%s) over the previous window's mean %s, max %s",
                      vbuf, qbuf, bbuf, mbuf);
    } else if (c->kind == SRR_KIND_TREND) {
        sig->unit = srr_strdup("%/week");
        srr_fmt_number(fabs(value), vbuf, sizeof vbuf);
        srr_sb_put(&sb, s->metric && *s->metric ? s->metric : check->name);
        srr_sb_printf(&sb, " %s %s%%/week (%s %s)", value >= 0 ? "grows" : "shrinks", vbuf,
                      srr_cmp_name(c->op), qbuf);
        if (dropped)
            srr_sb_put(&sb, " (one outlier point left out of the fit)");
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
    const srr_check *check = NULL;
    const srr_check_rt *rt = NULL;
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
    unsigned long long prev_count; /* previous window (measure change) */
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

/* The measured value of a group: its count, or its % change. */
static double group_value(const srr_log_counter *lc, const lc_group *g)
{
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
    if (!srr_cmp_holds(c->op, value, c->q.base))
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
    sig->value = value;

    char sum[512], qbuf[48];
    srr_sb sb;
    srr_sb_init(&sb, sum, sizeof sum);
    fmt_quantity(&c->q, qbuf, sizeof qbuf);
    if (c->measure == SRR_MEASURE_CHANGE) {
        char vbuf[48];
        sig->unit = srr_strdup("%");
        srr_fmt_number(value, vbuf, sizeof vbuf);
        srr_sb_printf(&sb, "count %s%s%% vs the previous window (%llu, was %llu) %s %s",
                      value >= 0 ? "+" : "", vbuf, g->count, g->prev_count, srr_cmp_name(c->op),
                      qbuf);
    } else {
        srr_sb_printf(&sb, "count %llu %s %s", g->count, srr_cmp_name(c->op), qbuf);
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
    char key[1024], val[256];
    srr_sb sb;
    srr_sb_init(&sb, key, sizeof key);
    for (size_t i = 0; i < lc->check->ngroup_by; i++) {
        facet_value(ev, lc->check->group_by[i], val, sizeof val);
        if (i)
            srr_sb_putn(&sb, "\x1f", 1);
        srr_sb_put(&sb, val);
    }
    uint64_t h = fnv1a(key, sb.len);
    if (!lc->nslots)
        return 0;
    for (size_t i = (size_t)h & (lc->nslots - 1); lc->slots[i]; i = (i + 1) & (lc->nslots - 1)) {
        lc_group *g = lc->groups[lc->slots[i] - 1];
        if (g->hash == h && strlen(g->key) == sb.len && memcmp(g->key, key, sb.len) == 0) {
            if (g->nsamples >= SRR_LOG_SAMPLES)
                return 0;
            const char *msg = ev->message ? ev->message : "";
            lc_sample *smp = &g->samples[g->nsamples++];
            smp->message = srr_strndup(msg, srr_utf8_cut(msg, strlen(msg), SRR_LOG_SAMPLE_BYTES));
            utf8_sanitize(smp->message);
            smp->timestamp = srr_strdup(ev->timestamp);
            return 1;
        }
    }
    return 0;
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

/* ---- new log patterns ------------------------------------------------------- */

static int is_alnum_c(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch >= 0x80;
}

static int is_hex_c(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F') || (ch >= '0' && ch <= '9');
}

/* The mask of one token t[0..n) ("-", "." and ":" may join its parts), or
 * NULL to keep it as it is. */
static const char *token_mask(const char *t, size_t n)
{
    size_t digits = 0, hex = 0, alpha = 0, seps = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)t[i];
        if (ch >= '0' && ch <= '9')
            digits++;
        else if (ch == '-' || ch == '.' || ch == ':')
            seps++;
        else if (ch < 0x80 && ch != '_')
            alpha++;
        if (is_hex_c(ch))
            hex++;
    }
    if (n == 36 && t[8] == '-' && t[13] == '-' && t[18] == '-' && t[23] == '-' && hex == 32)
        return "<uuid>";
    if (n > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X') && hex == n - 1)
        return "<hex>";
    if (digits == 0)
        return NULL;
    if (digits + seps == n)
        return "<num>";
    if (n >= 8 && hex + seps == n)
        return "<hex>";
    return "<id>";
}

size_t srr_log_pattern(const char *msg, char *out, size_t outsz)
{
    srr_sb sb;
    srr_sb_init(&sb, out, outsz);
    const unsigned char *p = (const unsigned char *)(msg ? msg : "");
    int space = 0;
    while (*p) {
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
            space = 1;
            p++;
            continue;
        }
        if (space && sb.len)
            srr_sb_put(&sb, " ");
        space = 0;
        if (*p == '"' || (*p == '\'' && (p == (const unsigned char *)msg || !is_alnum_c(p[-1])))) {
            unsigned char q = *p;
            const unsigned char *e = p + 1;
            while (*e && *e != q)
                e += (*e == '\\' && e[1]) ? 2 : 1;
            if (*e == q) {
                srr_sb_put(&sb, q == '"' ? "\"<str>\"" : "'<str>'");
                p = e + 1;
                continue;
            }
        }
        if (is_alnum_c(*p)) {
            const unsigned char *e = p;
            while (is_alnum_c(*e) || ((*e == '-' || *e == '.' || *e == ':') && is_alnum_c(e[1])))
                e++;
            const char *m = token_mask((const char *)p, (size_t)(e - p));
            if (m)
                srr_sb_put(&sb, m);
            else
                srr_sb_putn(&sb, (const char *)p, (size_t)(e - p));
            p = e;
            continue;
        }
        srr_sb_putn(&sb, (const char *)p, 1);
        p++;
    }
    size_t len = srr_utf8_cut(out, sb.len, outsz ? outsz - 1 : 0);
    if (outsz)
        out[len] = '\0';
    return len;
}

typedef struct pattern {
    uint64_t hash;
    char *text;
    unsigned long long count;
    lc_sample sample;
} pattern;

struct srr_pattern_detector {
    srr_detect_ctx ctx;
    const srr_check *check;
    const srr_check_rt *rt;
    srr_rc invalid;
    srr_error why;
    uint64_t *prev; /* open addressing set of hashes (0 = empty) */
    size_t nprev, capprev;
    pattern *cur;   /* open addressing table (hash 0 = empty) */
    size_t ncur, capcur;
    unsigned long long overflow; /* events of patterns past the cap */
};

static uint64_t pattern_hash(const srr_log_event *ev, char *text, size_t textsz)
{
    srr_log_pattern(ev->message, text, textsz);
    uint64_t h = fnv1a(text, strlen(text));
    return h ? h : 1;
}

srr_pattern_detector *srr_pattern_detector_create(const srr_ruleset *rs,
                                                  const srr_detect_ctx *ctx)
{
    srr_pattern_detector *pd = srr_calloc(1, sizeof *pd);
    if (ctx)
        pd->ctx = *ctx;
    pd->ctx.link = NULL;
    pd->invalid = check_for(rs, ctx, SRR_SRC_LOGS, &pd->check, &pd->rt, &pd->why);
    if (pd->invalid == SRR_OK && pd->rt->cond.measure != SRR_MEASURE_NEW_PATTERN)
        pd->invalid = srr_error_set(&pd->why, SRR_EINVAL,
                                    "check '%s' has no new_pattern condition", pd->check->name);
    if (ctx && ctx->link)
        pd->ctx.link = srr_strdup(ctx->link);
    pd->capprev = 1024;
    pd->prev = srr_calloc(pd->capprev, sizeof *pd->prev);
    pd->capcur = 1024;
    pd->cur = srr_calloc(pd->capcur, sizeof *pd->cur);
    return pd;
}

static void prev_insert(uint64_t *set, size_t cap, uint64_t h)
{
    size_t i = (size_t)h & (cap - 1);
    while (set[i] && set[i] != h)
        i = (i + 1) & (cap - 1);
    set[i] = h;
}

static int prev_has(const srr_pattern_detector *pd, uint64_t h)
{
    for (size_t i = (size_t)h & (pd->capprev - 1); pd->prev[i]; i = (i + 1) & (pd->capprev - 1))
        if (pd->prev[i] == h)
            return 1;
    return 0;
}

void srr_pattern_add_prev(srr_pattern_detector *pd, const srr_log_event *ev)
{
    char text[256];
    if (!pd || !ev || pd->invalid != SRR_OK)
        return;
    uint64_t h = pattern_hash(ev, text, sizeof text);
    if (prev_has(pd, h) || pd->nprev >= SRR_PATTERN_MAX)
        return;
    if ((pd->nprev + 1) * 10 > pd->capprev * 7) {
        size_t cap = pd->capprev * 2;
        uint64_t *set = srr_calloc(cap, sizeof *set);
        for (size_t i = 0; i < pd->capprev; i++)
            if (pd->prev[i])
                prev_insert(set, cap, pd->prev[i]);
        free(pd->prev);
        pd->prev = set;
        pd->capprev = cap;
    }
    prev_insert(pd->prev, pd->capprev, h);
    pd->nprev++;
}

static pattern *cur_slot(pattern *tab, size_t cap, uint64_t h)
{
    size_t i = (size_t)h & (cap - 1);
    while (tab[i].hash && tab[i].hash != h)
        i = (i + 1) & (cap - 1);
    return &tab[i];
}

void srr_pattern_add(srr_pattern_detector *pd, const srr_log_event *ev)
{
    char text[256];
    if (!pd || !ev || pd->invalid != SRR_OK)
        return;
    uint64_t h = pattern_hash(ev, text, sizeof text);
    pattern *pt_ = cur_slot(pd->cur, pd->capcur, h);
    if (!pt_->hash) {
        if (pd->ncur >= SRR_PATTERN_MAX) {
            pd->overflow++;
            return;
        }
        if ((pd->ncur + 1) * 10 > pd->capcur * 7) {
            size_t cap = pd->capcur * 2;
            pattern *tab = srr_calloc(cap, sizeof *tab);
            for (size_t i = 0; i < pd->capcur; i++)
                if (pd->cur[i].hash)
                    *cur_slot(tab, cap, pd->cur[i].hash) = pd->cur[i];
            free(pd->cur);
            pd->cur = tab;
            pd->capcur = cap;
            pt_ = cur_slot(pd->cur, pd->capcur, h);
        }
        pt_->hash = h;
        pt_->text = srr_strdup(text);
        utf8_sanitize(pt_->text);
        const char *msg = ev->message ? ev->message : "";
        pt_->sample.message = srr_strndup(msg, srr_utf8_cut(msg, strlen(msg), SRR_LOG_SAMPLE_BYTES));
        utf8_sanitize(pt_->sample.message);
        pt_->sample.timestamp = srr_strdup(ev->timestamp);
        pd->ncur++;
    }
    pt_->count++;
}

static int by_count_desc(const void *a, const void *b)
{
    const pattern *x = *(pattern *const *)a, *y = *(pattern *const *)b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return strcmp(x->text, y->text);
}

srr_rc srr_pattern_finish(srr_pattern_detector *pd, srr_signal_list *out, srr_error *err)
{
    if (!pd)
        return srr_error_set(err, SRR_EINVAL, "pattern detector: none");
    if (pd->invalid != SRR_OK)
        return srr_error_set(err, pd->invalid, "%s", pd->why.msg);
    const srr_cond *c = &pd->rt->cond;
    pattern **fresh = srr_calloc(pd->ncur ? pd->ncur : 1, sizeof *fresh);
    size_t nf = 0;
    for (size_t i = 0; i < pd->capcur; i++) {
        pattern *q = &pd->cur[i];
        if (q->hash && !prev_has(pd, q->hash) && srr_cmp_holds(c->op, (double)q->count, c->q.base))
            fresh[nf++] = q;
    }
    qsort(fresh, nf, sizeof *fresh, by_count_desc);
    for (size_t i = 0; i < nf && i < SRR_PATTERN_MAX_SIGNALS; i++) {
        pattern *q = fresh[i];
        srr_signal *sig = srr_signal_list_push(out);
        char tag[40], sum[512], qbuf[48];
        snprintf(tag, sizeof tag, "pattern:%016llx", (unsigned long long)q->hash);
        srr_signal_add_tag(sig, tag);
        fill_common(sig, pd->check, &pd->ctx, SRR_KIND_NEW_PATTERN);
        sig->value = (double)q->count;
        srr_sb sb;
        srr_sb_init(&sb, sum, sizeof sum);
        fmt_quantity(&c->q, qbuf, sizeof qbuf);
        srr_sb_printf(&sb, "new log pattern, %llu event(s) (%s %s), not seen the window before: ",
                      q->count, srr_cmp_name(c->op), qbuf);
        srr_sb_put(&sb, q->text);
        if (i + 1 == SRR_PATTERN_MAX_SIGNALS && nf > SRR_PATTERN_MAX_SIGNALS)
            srr_sb_printf(&sb, " (and %zu more new patterns)", nf - SRR_PATTERN_MAX_SIGNALS);
        sig->summary = srr_strdup(sum);
        json_t *ev = json_object();
        json_object_set_new(ev, "pattern", json_string(q->text));
        json_object_set_new(ev, "count", json_integer((json_int_t)q->count));
        json_t *samples = json_array();
        json_t *smp = json_object();
        if (q->sample.timestamp)
            json_object_set_new(smp, "timestamp", json_string(q->sample.timestamp));
        json_object_set_new(smp, "message", json_string(q->sample.message));
        json_array_append_new(samples, smp);
        json_object_set_new(ev, "samples", samples);
        json_object_set_new(ev, "patterns_before", json_integer((json_int_t)pd->nprev));
        bound_evidence(ev, "samples");
        sig->evidence = ev;
    }
    free(fresh);
    return SRR_OK;
}

void srr_pattern_detector_destroy(srr_pattern_detector *pd)
{
    if (!pd)
        return;
    for (size_t i = 0; i < pd->capcur; i++) {
        free(pd->cur[i].text);
        free(pd->cur[i].sample.message);
        free(pd->cur[i].sample.timestamp);
    }
    free(pd->cur);
    free(pd->prev);
    free((char *)pd->ctx.link);
    free(pd);
}
