/* SPDX-License-Identifier: Apache-2.0
 *
 * detect.c - the detectors of metric checks, and what every detector
 * shares (rules_internal.h): they turn one check's query results into
 * signals, using the condition compiled for the check. The log detectors
 * are in detect_logs.c (counts, change, spikes) and patterns.c (new
 * patterns).
 *
 *   - threshold (max/min/avg/last/sum/p50..p99): aggregate the non-null
 *     points of each series and compare with the threshold, converted into
 *     the series' unit (srr_unit_reconcile: 85% against a fraction is 0.85,
 *     500ms against seconds 0.5, 2GiB against bytes); the value is printed
 *     and kept in the condition's unit ("last 91% > 85%"). Units that cannot
 *     be reconciled (a % against bytes, a unit against a series Datadog sent
 *     without one) fail the check with how to write it, whether or not the
 *     condition holds;
 *   - trend (growth): least-squares line of value against time over the
 *     non-null points (at least 3), growth %/week = slope * 604800 / fitted
 *     value at the first point * 100 (the series mean when that is <= 0; no
 *     signal when the mean is 0 too). Robust to one outlier: with 6 points
 *     or more, the point with the largest residual is dropped and the line
 *     refitted when that residual exceeds 4 times the RMS residual of the
 *     other points (a lone scrape glitch cannot fake or hide a trend, while
 *     a step, whose residuals are all alike, keeps every point). With a
 *     `limit` (converted into the series' unit like a threshold), the time
 *     until the fitted line reaches it from the last point goes into the
 *     summary;
 *   - spike: the series covers the previous window and the current one;
 *     spike % = (max of the current window - mean of the previous window)
 *     / |mean of the previous window| * 100 (no signal without a baseline
 *     or with a zero mean).
 *
 * Everything here is pure: time comes from the detect context.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detectors.h"
#include "rules_internal.h"

#define SRR_EVIDENCE_POINTS 12

/* ---- shared ------------------------------------------------------------ */

srr_rc srr_detect_check_for(const srr_ruleset *rs, const srr_detect_ctx *ctx, srr_source want,
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

void srr_detect_fill_common(srr_signal *sig, const srr_check *check, const srr_detect_ctx *ctx,
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

void srr_detect_bound_evidence(json_t *ev, const char *key)
{
    json_t *arr = json_object_get(ev, key);
    while (json_size(ev) > SRR_SIGNAL_MAX_EVIDENCE_BYTES && json_array_size(arr) > 0)
        json_array_remove(arr, json_array_size(arr) - 1);
    if (json_size(ev) > SRR_SIGNAL_MAX_EVIDENCE_BYTES)
        json_object_clear(ev);
}

void srr_detect_fmt_quantity(const srr_quantity *q, char *out, size_t n)
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

uint64_t srr_fnv1a_n(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

void srr_utf8_sanitize(char *s)
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

void srr_log_sample_set(srr_log_sample *smp, const srr_log_event *ev)
{
    const char *msg = ev->message ? ev->message : "";
    smp->message = srr_strndup(msg, srr_utf8_cut(msg, strlen(msg), SRR_LOG_SAMPLE_BYTES));
    srr_utf8_sanitize(smp->message);
    smp->timestamp = srr_strdup(ev->timestamp);
}

void srr_log_sample_free(srr_log_sample *smp)
{
    free(smp->timestamp);
    free(smp->message);
    smp->timestamp = smp->message = NULL;
}

json_t *srr_log_samples_json(const srr_log_sample *v, size_t n)
{
    json_t *samples = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_object();
        if (v[i].timestamp)
            json_object_set_new(s, "timestamp", json_string(v[i].timestamp));
        json_object_set_new(s, "message", json_string(v[i].message ? v[i].message : ""));
        json_array_append_new(samples, s);
    }
    return samples;
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
                               const fit *f, int with_points, double limit, double days)
{
    json_t *ev = json_object();
    json_t *pts = json_array();
    size_t k = !with_points ? 0 : n < SRR_EVIDENCE_POINTS ? n : SRR_EVIDENCE_POINTS;
    for (size_t i = 0; i < k; i++) {
        size_t idx = k == 1 ? 0 : i * (n - 1) / (k - 1);
        json_t *pair = json_array();
        json_array_append_new(pair, json_integer((json_int_t)p[idx].t_ms));
        json_array_append_new(pair, json_real(p[idx].v));
        json_array_append_new(pts, pair);
    }
    if (with_points)
        json_object_set_new(ev, "points", pts);
    else
        json_decref(pts);
    json_t *agg = json_object();
    json_object_set_new(agg, "measure", json_string(measure));
    json_object_set_new(agg, "value", json_real(value));
    json_object_set_new(agg, "points", json_integer((json_int_t)n));
    if (f) {
        json_object_set_new(agg, "slope_per_day", json_real(f->slope * 86400.0));
        json_object_set_new(agg, "fitted_start", json_real(f->start));
        json_object_set_new(agg, "fitted_end", json_real(f->end));
        if (isfinite(limit)) { /* the projection a record's value chart shows */
            json_object_set_new(agg, "limit", json_real(limit));
            if (isfinite(days))
                json_object_set_new(agg, "days_to_limit", json_real(days));
        }
    }
    json_object_set_new(ev, "aggregate", agg);
    srr_detect_bound_evidence(ev, "points");
    return ev;
}

static int by_time(const void *a, const void *b)
{
    double x = ((const pt *)a)->t_ms, y = ((const pt *)b)->t_ms;
    return (x > y) - (x < y);
}

/* The units of a series against the check's condition and limit: the
 * threshold and the limit in the series' unit, and the factor that turns a
 * series value into the condition's unit. SRR_EINVAL (the check fails,
 * saying how to write it) when they cannot be reconciled. */
typedef struct units_rt {
    double thr, to_q; /* the condition's threshold in the series' unit; series -> condition */
    double lim;       /* the limit in the series' unit (trend with a limit) */
} units_rt;

static srr_rc series_units(const srr_check *check, const srr_check_rt *rt, const srr_series *s,
                           units_rt *u, srr_error *err)
{
    const srr_cond *c = &rt->cond;
    srr_series_unit su;
    char what[300];
    double to_l;
    srr_series_unit_of(s, check->unit, srr_query_has_arithmetic(check->query), &su);
    u->thr = c->q.base;
    u->to_q = 1.0;
    u->lim = 0;
    if (c->kind == SRR_KIND_THRESHOLD) {
        snprintf(what, sizeof what, "check '%s': when '%s'", check->name, check->when);
        srr_rc rc = srr_unit_reconcile(&c->q, &su, what, srr_measure_name(c->measure), &u->thr,
                                       &u->to_q, err);
        if (rc != SRR_OK)
            return rc;
    }
    if (c->kind == SRR_KIND_TREND && rt->has_limit) {
        snprintf(what, sizeof what, "check '%s': limit '%s'", check->name, check->limit);
        return srr_unit_reconcile(&rt->limit, &su, what, "last", &u->lim, &to_l, err);
    }
    return SRR_OK;
}

/* The unit a threshold signal's value is kept in: the condition's when it
 * has one (with the series' "per" unit: "MB/s"), else the series' own. */
static char *value_unit(const srr_cond *c, const srr_series *s, const char *unit)
{
    if (c->q.uclass == SRR_UNIT_NONE)
        return srr_strdup(unit);
    if (s->per_unit)
        return srr_asprintf("%s/%s", c->q.unit, s->per_unit);
    return srr_strdup(c->q.unit);
}

/* Judges one series; appends a signal when the condition holds, and a
 * clear observation when it does not and the series is of a known thing.
 * Fails (SRR_EINVAL) when the series' unit cannot be reconciled with the
 * condition's. */
/* What one series measured against its check's condition. */
typedef struct measured {
    double value;    /* growth %/week, spike %, or the measure in the series' unit */
    double thr;      /* the condition's threshold, comparable with value */
    double baseline; /* a spike's: the mean of the points before the window */
    fit f;           /* a trend's least-squares fit */
    int dropped;     /* a trend's: an outlier point was left out of the fit */
} measured;

/* Measures the n points of p (sorted by time; a spike's baseline points
 * are removed, *n shrinks) as the condition asks. Returns 0 when there is
 * nothing to judge (too few points, no baseline, a zero base). */
static int measure_series(const srr_cond *c, const srr_detect_ctx *ctx, const units_rt *u, pt *p,
                          size_t *n, double *tmp, measured *m)
{
    if (c->kind == SRR_KIND_TREND) {
        if (*n < 3 || !fit_robust(p, n, &m->f, &m->dropped))
            return 0;
        double base = m->f.start > 0 ? m->f.start : fabs(m->f.mean);
        if (base == 0)
            return 0;
        m->value = m->f.slope * 604800.0 / base * 100.0;
        m->thr = c->q.base; /* %/week */
    } else if (c->measure == SRR_MEASURE_SPIKE) {
        /* p is sorted by time: the baseline is what precedes the window. */
        double cut = (double)ctx->window_start * 1000.0, sum = 0;
        size_t nb = 0;
        while (nb < *n && p[nb].t_ms < cut)
            sum += p[nb++].v;
        if (nb == 0 || nb == *n)
            return 0; /* no baseline, or nothing in the window */
        m->baseline = sum / (double)nb;
        if (m->baseline == 0)
            return 0;
        memmove(p, p + nb, (*n - nb) * sizeof *p);
        *n -= nb;
        m->value =
            (aggregate(SRR_MEASURE_MAX, p, *n, tmp) - m->baseline) / fabs(m->baseline) * 100.0;
        m->thr = c->q.base;
    } else {
        m->value = aggregate(c->measure, p, *n, tmp); /* in the series' unit */
        m->thr = u->thr;
    }
    return 1;
}

/* Words what was measured into sig's summary ("last 91% > 85% on
 * host:a", "disk.used grows 12%/week (> 10%/week); reaches 95% in 9
 * days") and sets its kind, unit and value as the summary shows them;
 * *lim and *days: a trend's limit and days to reach it (NAN when none). */
static void describe_series(srr_signal *sig, const srr_check *check, const srr_check_rt *rt,
                            const srr_series *s, const units_rt *u, const measured *m, int holds,
                            double *lim, double *days)
{
    const srr_cond *c = &rt->cond;
    const char *unit = s->unit && *s->unit ? s->unit : NULL;
    char vbuf[48], qbuf[48], sum[512], opbuf[16];
    srr_sb sb;
    srr_sb_init(&sb, sum, sizeof sum);
    srr_detect_fmt_quantity(&c->q, qbuf, sizeof qbuf);
    snprintf(opbuf, sizeof opbuf, "%s%s", holds ? "" : "not ", srr_cmp_name(c->op));
    if (c->measure == SRR_MEASURE_SPIKE) {
        sig->kind = SRR_KIND_SPIKE;
        sig->unit = srr_strdup("%");
        char bbuf[48], mbuf[48];
        srr_fmt_number(m->value, vbuf, sizeof vbuf);
        srr_fmt_value(m->baseline, unit, bbuf, sizeof bbuf);
        srr_fmt_value(m->baseline * (1 + m->value / 100.0), unit, mbuf, sizeof mbuf);
        srr_sb_printf(&sb, "spike %s%% (%s%s) over the previous window's mean %s, max %s", vbuf,
                      holds ? "" : "not over ", qbuf, bbuf, mbuf);
    } else if (c->kind == SRR_KIND_TREND) {
        sig->unit = srr_strdup("%/week");
        srr_fmt_number(fabs(m->value), vbuf, sizeof vbuf);
        srr_sb_put(&sb, s->metric && *s->metric ? s->metric : check->name);
        srr_sb_printf(&sb, " %s %s%%/week (%s %s)", m->value >= 0 ? "grows" : "shrinks", vbuf,
                      opbuf, qbuf);
        if (m->dropped)
            srr_sb_put(&sb, " (one outlier point left out of the fit)");
    } else {
        /* Kept and printed in the condition's unit: "last 91% > 85%". */
        sig->value = m->value * u->to_q;
        sig->unit = value_unit(c, s, unit);
        srr_fmt_value(sig->value, sig->unit, vbuf, sizeof vbuf);
        srr_sb_printf(&sb, "%s %s %s %s", srr_measure_name(c->measure), vbuf, opbuf, qbuf);
    }
    if (sig->ntags) {
        srr_sb_put(&sb, " on ");
        srr_sb_put_tags(&sb, sig);
    }
    *lim = NAN;
    *days = NAN;
    if (c->kind == SRR_KIND_TREND && rt->has_limit) {
        char lbuf[48], eta[48];
        *lim = u->lim;
        srr_detect_fmt_quantity(&rt->limit, lbuf, sizeof lbuf);
        if (m->f.end >= u->lim) {
            *days = 0;
            srr_sb_printf(&sb, "; already at %s", lbuf);
        } else if (m->f.slope > 0) {
            *days = (u->lim - m->f.end) / m->f.slope / 86400.0;
            fmt_eta((u->lim - m->f.end) / m->f.slope, eta, sizeof eta);
            srr_sb_printf(&sb, "; reaches %s %s", lbuf, eta);
        }
    }
    sig->summary = srr_strdup(sum);
}

static srr_rc detect_series(const srr_ruleset *rs, const srr_check *check, const srr_check_rt *rt,
                            const srr_detect_ctx *ctx, const srr_series *s, pt *p, double *tmp,
                            srr_signal_list *out, srr_error *err)
{
    const srr_cond *c = &rt->cond;
    size_t n = 0;
    for (size_t i = 0; i < s->npoints; i++)
        if (!s->points[i].is_null && isfinite(s->points[i].value) && isfinite(s->points[i].ts_ms))
            p[n++] = (pt){s->points[i].ts_ms, s->points[i].value};
    if (n == 0)
        return SRR_OK;
    units_rt u;
    srr_rc rc = series_units(check, rt, s, &u, err);
    if (rc != SRR_OK)
        return rc;
    qsort(p, n, sizeof *p, by_time);

    measured m;
    memset(&m, 0, sizeof m);
    if (!measure_series(c, ctx, &u, p, &n, tmp, &m))
        return SRR_OK;
    int holds = srr_cmp_holds(c->op, m.value, m.thr);
    if (!holds && !ctx->nknown)
        return SRR_OK;

    srr_signal *sig = srr_signal_list_push(out);
    for (size_t i = 0; i < s->ntags; i++)
        srr_signal_add_tag(sig, s->tags[i]);
    srr_detect_fill_common(sig, check, ctx, c->kind);
    sig->value = m.value;
    if (!holds) {
        char g[SRR_GROUP_MAX];
        if (!srr_detect_is_known(rs, ctx, sig, g, sizeof g)) {
            srr_signal_clear(&out->v[--out->n]);
            return SRR_OK;
        }
        sig->status = SRR_STATUS_RECOVERED;
    }
    double lim, days;
    describe_series(sig, check, rt, s, &u, &m, holds, &lim, &days);
    /* A clear observation keeps what was measured, not the points. */
    sig->evidence = metric_evidence(p, n, srr_measure_name(c->measure), m.value,
                                    c->kind == SRR_KIND_TREND ? &m.f : NULL, holds, lim, days);
    return SRR_OK;
}

srr_rc srr_detect_metrics(const srr_ruleset *rs, const srr_detect_ctx *ctx,
                          const srr_metric_result *res, srr_signal_list *out, srr_error *err)
{
    const srr_check *check = NULL;
    const srr_check_rt *rt = NULL;
    srr_rc rc = srr_detect_check_for(rs, ctx, SRR_SRC_METRICS, &check, &rt, err);
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
    for (size_t i = 0; i < res->nseries && rc == SRR_OK; i++)
        rc = detect_series(rs, check, rt, ctx, &res->series[i], p, tmp, out, err);
    free(tmp);
    free(p);
    return rc;
}

/* ---- known things --------------------------------------------------------- */

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

long srr_detect_known_index(const srr_detect_ctx *ctx, const char *g)
{
    if (!ctx || !ctx->nknown)
        return -1;
    const char *const *hit = bsearch(&g, ctx->known, ctx->nknown, sizeof *ctx->known, cmp_cstr);
    return hit ? (long)(hit - ctx->known) : -1;
}

int srr_detect_is_known(const srr_ruleset *rs, const srr_detect_ctx *ctx, const srr_signal *sig,
                        char *out, size_t n)
{
    srr_rules_group_tags(rs, sig, out, n);
    return srr_detect_known_index(ctx, out) >= 0;
}

/* Adds the '\n'-joined tags of a known group to sig. */
static void add_known_tags(srr_signal *sig, const char *g)
{
    char tag[SRR_GROUP_MAX];
    while (g && *g) {
        size_t len = strcspn(g, "\n");
        if (len && len < sizeof tag) {
            memcpy(tag, g, len);
            tag[len] = '\0';
            srr_signal_add_tag(sig, tag);
        }
        g += len + (g[len] == '\n');
    }
}

void srr_detect_absent(const srr_ruleset *rs, const srr_detect_ctx *ctx, srr_signal_list *sigs,
                       size_t first)
{
    const srr_check *check = NULL;
    const srr_check_rt *rt = NULL;
    srr_error err = {0};
    char g[SRR_GROUP_MAX];
    if (!ctx || !ctx->nknown || !sigs ||
        srr_detect_check_for(rs, ctx, SRR_SRC_METRICS, &check, &rt, &err) != SRR_OK)
        return;
    unsigned char *seen = srr_calloc(ctx->nknown, 1);
    for (size_t i = first; i < sigs->n; i++) {
        srr_rules_group_tags(rs, &sigs->v[i], g, sizeof g);
        long k = srr_detect_known_index(ctx, g);
        if (k >= 0)
            seen[k] = 1;
    }
    for (size_t k = 0; k < ctx->nknown; k++) {
        if (seen[k])
            continue;
        srr_signal *sig = srr_signal_list_push(sigs);
        add_known_tags(sig, ctx->known[k]);
        srr_detect_fill_common(sig, check, ctx,
                               rt->cond.measure == SRR_MEASURE_SPIKE ? SRR_KIND_SPIKE
                                                                     : rt->cond.kind);
        sig->status = SRR_STATUS_RECOVERED;
        sig->summary = srr_strdup("no data in the window");
        sig->evidence = json_pack("{s:b}", "no_data", 1);
    }
    free(seen);
}
