/* SPDX-License-Identifier: Apache-2.0
 *
 * patterns.c - new log patterns (detectors.h): messages normalised into
 * patterns (numbers, ids, hex, UUIDs and quoted strings masked), counted
 * per group_by group; a pattern of a group in the current window that the
 * previous window never showed in that group is a signal. Each signal
 * keeps its group's tags (service:..., host:...) and the pattern's id
 * ("pattern:<16 hex>", the same id in every group), a few sample messages,
 * the pattern's text (what a record is titled with), and the log search
 * narrowed to the pattern and the group (srr_log_pattern_query), which the
 * sweep turns into the record's Datadog link.
 *
 * Memory is O(patterns): at most SRR_PATTERN_MAX (group, pattern) pairs per
 * window; events of further pairs are counted as overflow. Pure code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detectors.h"
#include "rules_internal.h"

/* ---- normalising a message ------------------------------------------------ */

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

/* ---- the search that finds a pattern --------------------------------------- */

/* 1 when s[0..n) starts with a mask srr_log_pattern writes; *len its length. */
static int mask_at(const char *s, size_t n, size_t *len)
{
    static const char *const M[] = {"<num>", "<id>", "<hex>", "<uuid>", "\"<str>\"", "'<str>'"};
    for (size_t i = 0; i < sizeof M / sizeof M[0]; i++) {
        size_t m = strlen(M[i]);
        if (m <= n && memcmp(s, M[i], m) == 0) {
            *len = m;
            return 1;
        }
    }
    return 0;
}

/* Appends `v` as a search value: bare when it is one simple word, else
 * quoted with '"' and '\\' escaped. */
static void put_value(srr_sb *sb, const char *v, size_t n, int force_quotes)
{
    int plain = !force_quotes && n > 0;
    for (size_t i = 0; i < n && plain; i++) {
        unsigned char ch = (unsigned char)v[i];
        plain = ch >= 0x80 || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' || ch == '/';
    }
    if (plain) {
        srr_sb_putn(sb, v, n);
        return;
    }
    srr_sb_put(sb, "\"");
    for (size_t i = 0; i < n; i++) {
        if (v[i] == '"' || v[i] == '\\')
            srr_sb_put(sb, "\\");
        srr_sb_putn(sb, &v[i], 1);
    }
    srr_sb_put(sb, "\"");
}

char *srr_log_pattern_query(const char *query, const char *const *facets, const char *const *values,
                            size_t nfacets, const char *pattern)
{
    char out[2048];
    srr_sb sb;
    srr_sb_init(&sb, out, sizeof out);
    if (query && *query && strcmp(query, "*") != 0) {
        srr_sb_put(&sb, "(");
        srr_sb_put(&sb, query);
        srr_sb_put(&sb, ")");
    }
    for (size_t i = 0; i < nfacets; i++) {
        const char *v = values[i];
        if (!v || !*v || strcmp(v, SRR_LOG_MISSING) == 0)
            continue;
        if (sb.len)
            srr_sb_put(&sb, " ");
        srr_sb_put(&sb, facets[i]);
        srr_sb_put(&sb, ":");
        put_value(&sb, v, strlen(v), 0);
    }
    /* The pattern's literal runs between masks, each as a quoted phrase
     * (at most 4, the longest first kept in their order). */
    const char *p = pattern ? pattern : "";
    const char *runs[16];
    size_t lens[16], nruns = 0, n = strlen(p), i = 0;
    while (i < n && nruns < 16) {
        size_t ml;
        if (mask_at(p + i, n - i, &ml)) {
            i += ml;
            continue;
        }
        size_t start = i;
        while (i < n && !mask_at(p + i, n - i, &ml))
            i++;
        size_t s = start, e = i;
        while (s < e && (p[s] == ' ' || p[s] == '\t'))
            s++;
        while (e > s && (p[e - 1] == ' ' || p[e - 1] == '\t'))
            e--;
        int alnum = 0;
        for (size_t k = s; k < e && !alnum; k++)
            alnum = ((unsigned char)p[k] >= 0x80) || (p[k] >= 'a' && p[k] <= 'z') ||
                    (p[k] >= 'A' && p[k] <= 'Z');
        if (alnum && e - s >= 3) {
            runs[nruns] = p + s;
            lens[nruns++] = e - s;
        }
    }
    while (nruns > 4) { /* drop the shortest */
        size_t worst = 0;
        for (size_t k = 1; k < nruns; k++)
            if (lens[k] < lens[worst])
                worst = k;
        memmove(&runs[worst], &runs[worst + 1], (nruns - worst - 1) * sizeof runs[0]);
        memmove(&lens[worst], &lens[worst + 1], (nruns - worst - 1) * sizeof lens[0]);
        nruns--;
    }
    for (size_t k = 0; k < nruns; k++) {
        if (sb.len)
            srr_sb_put(&sb, " ");
        put_value(&sb, runs[k], lens[k], 1);
    }
    return srr_strdup(sb.len ? out : "*");
}

/* ---- the detector ------------------------------------------------------------ */

/* One (group, pattern) pair of the current window. */
typedef struct pattern {
    uint64_t hash;      /* of group key + pattern text; 0 = empty slot */
    uint64_t text_hash; /* of the pattern text alone: the pattern's id */
    char *text;
    char *group; /* the group_by values joined by '\x1f' */
    unsigned long long count;
    srr_log_sample samples[SRR_LOG_SAMPLES];
    int nsamples;
    int known; /* a pattern the store follows (srr_detect_ctx.known) */
} pattern;

struct srr_pattern_detector {
    srr_detect_ctx ctx;
    const srr_check *check;
    const srr_check_rt *rt;
    srr_rc invalid;
    srr_error why;
    uint64_t *prev; /* open addressing set of hashes (0 = empty) */
    size_t nprev, capprev;
    pattern *cur; /* open addressing table (hash 0 = empty) */
    size_t ncur, capcur;
    unsigned long long overflow; /* events of pairs past the cap */
};

/* Normalises ev into text and returns the hash of (group, pattern). */
static uint64_t pair_hash(const srr_pattern_detector *pd, const srr_log_event *ev, char *text,
                          size_t textsz, char *key, size_t keysz, uint64_t *text_hash)
{
    size_t kl = srr_log_group_key(pd->check, ev, key, keysz);
    size_t tl = srr_log_pattern(ev->message, text, textsz);
    uint64_t th = srr_fnv1a_n(text, tl);
    *text_hash = th ? th : 1;
    uint64_t h = srr_fnv1a_n(key, kl) ^ (th * 1099511628211ULL);
    return h ? h : 1;
}

srr_pattern_detector *srr_pattern_detector_create(const srr_ruleset *rs, const srr_detect_ctx *ctx)
{
    srr_pattern_detector *pd = srr_calloc(1, sizeof *pd);
    if (ctx)
        pd->ctx = *ctx;
    pd->ctx.link = NULL;
    pd->invalid = srr_detect_check_for(rs, ctx, SRR_SRC_LOGS, &pd->check, &pd->rt, &pd->why);
    if (pd->invalid == SRR_OK && pd->rt->cond.measure != SRR_MEASURE_NEW_PATTERN)
        pd->invalid = srr_error_set(&pd->why, SRR_EINVAL, "check '%s' has no new_pattern condition",
                                    pd->check->name);
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
    char text[256], key[1024];
    uint64_t th;
    if (!pd || !ev || pd->invalid != SRR_OK)
        return;
    uint64_t h = pair_hash(pd, ev, text, sizeof text, key, sizeof key, &th);
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
    char text[256], key[1024];
    uint64_t th;
    if (!pd || !ev || pd->invalid != SRR_OK)
        return;
    uint64_t h = pair_hash(pd, ev, text, sizeof text, key, sizeof key, &th);
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
        pt_->text_hash = th;
        pt_->text = srr_strdup(text);
        srr_utf8_sanitize(pt_->text);
        pt_->group = srr_strdup(key);
        pd->ncur++;
    }
    if (pt_->nsamples < SRR_LOG_SAMPLES)
        srr_log_sample_set(&pt_->samples[pt_->nsamples++], ev);
    pt_->count++;
}

static int by_count_desc(const void *a, const void *b)
{
    const pattern *x = *(pattern *const *)a, *y = *(pattern *const *)b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    int c = strcmp(x->text, y->text);
    return c ? c : strcmp(x->group, y->group);
}

/* The group values of q (split from its key) into vals/ptrs (nfacets). */
static void split_group(const pattern *q, size_t nfacets, char (*vals)[256], const char **ptrs)
{
    const char *k = q->group;
    for (size_t i = 0; i < nfacets; i++) {
        const char *end = strchr(k, '\x1f');
        size_t vl = end ? (size_t)(end - k) : strlen(k);
        snprintf(vals[i], sizeof vals[i], "%.*s", (int)vl, k);
        ptrs[i] = vals[i];
        k = end ? end + 1 : k + vl;
    }
}

/* Appends the signal of one new (group, pattern) pair, or of a pattern
 * the store follows (firing when seen as often as the condition wants,
 * else clear). */
static void emit_pattern(srr_pattern_detector *pd, const pattern *q, size_t more,
                         srr_signal_list *out)
{
    int holds = srr_cmp_holds(pd->rt->cond.op, (double)q->count, pd->rt->cond.q.base);
    const srr_check *check = pd->check;
    const srr_cond *c = &pd->rt->cond;
    size_t nf = check->ngroup_by;
    char(*vals)[256] = srr_calloc(nf ? nf : 1, sizeof *vals);
    const char **ptrs = srr_calloc(nf ? nf : 1, sizeof *ptrs);
    split_group(q, nf, vals, ptrs);
    srr_signal *sig = srr_signal_list_push(out);
    char tag[300], sum[512], qbuf[48];
    for (size_t i = 0; i < nf; i++) {
        snprintf(tag, sizeof tag, "%s:%s", check->group_by[i], ptrs[i]);
        srr_signal_add_tag(sig, tag);
    }
    snprintf(tag, sizeof tag, "pattern:%016llx", (unsigned long long)q->text_hash);
    srr_signal_add_tag(sig, tag);
    srr_detect_fill_common(sig, check, &pd->ctx, SRR_KIND_NEW_PATTERN);
    sig->value = (double)q->count;
    if (!holds)
        sig->status = SRR_STATUS_RECOVERED;
    srr_sb sb;
    srr_sb_init(&sb, sum, sizeof sum);
    srr_detect_fmt_quantity(&c->q, qbuf, sizeof qbuf);
    if (q->known)
        srr_sb_printf(&sb, "known log pattern, %llu event(s) this window (%s%s %s)", q->count,
                      holds ? "" : "not ", srr_cmp_name(c->op), qbuf);
    else
        srr_sb_printf(&sb, "new log pattern, %llu event(s) (%s %s), not seen the window before",
                      q->count, srr_cmp_name(c->op), qbuf);
    for (size_t i = 0, first = 1; i < nf; i++) {
        if (strcmp(ptrs[i], SRR_LOG_MISSING) == 0)
            continue;
        srr_sb_printf(&sb, "%s%s:%s", first ? " on " : ",", check->group_by[i], ptrs[i]);
        first = 0;
    }
    srr_sb_put(&sb, ": ");
    srr_sb_put(&sb, q->text);
    if (more)
        srr_sb_printf(&sb, " (and %zu more new patterns)", more);
    sig->summary = srr_strdup(sum);
    json_t *ev = json_object();
    char *search = srr_log_pattern_query(check->query, (const char *const *)check->group_by, ptrs,
                                         nf, q->text);
    json_object_set_new(ev, "pattern", json_string(q->text));
    json_object_set_new(ev, "count", json_integer((json_int_t)q->count));
    json_object_set_new(ev, "query", json_string(search));
    json_object_set_new(ev, "samples", srr_log_samples_json(q->samples, (size_t)q->nsamples));
    json_object_set_new(ev, "patterns_before", json_integer((json_int_t)pd->nprev));
    srr_detect_bound_evidence(ev, "samples");
    sig->evidence = ev;
    free(search);
    free(ptrs);
    free(vals);
}

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The tags of a (group, pattern) pair as srr_identity.tags has them: its
 * facets and its pattern, sorted, '\n'-joined. */
static void pattern_tags(const srr_pattern_detector *pd, const pattern *q, char *out, size_t n)
{
    size_t nf = pd->check->ngroup_by;
    char(*vals)[256] = srr_calloc(nf ? nf : 1, sizeof *vals);
    const char **ptrs = srr_calloc(nf ? nf : 1, sizeof *ptrs);
    char **tags = srr_calloc(nf + 1, sizeof *tags);
    srr_sb sb;
    split_group(q, nf, vals, ptrs);
    for (size_t i = 0; i < nf; i++)
        tags[i] = srr_asprintf("%s:%s", pd->check->group_by[i], ptrs[i]);
    tags[nf] = srr_asprintf("pattern:%016llx", (unsigned long long)q->text_hash);
    qsort(tags, nf + 1, sizeof *tags, cmp_cstr);
    srr_sb_init(&sb, out, n);
    for (size_t i = 0; i <= nf; i++) {
        if (i)
            srr_sb_put(&sb, "\n");
        srr_sb_put(&sb, tags[i]);
        free(tags[i]);
    }
    free(tags);
    free(ptrs);
    free(vals);
}

/* The patterns the store follows are observed every window: seen again
 * they fire (as often as the condition wants), else they are clear; one
 * absent from this window is clear with a count of 0. */
static void emit_known_patterns(srr_pattern_detector *pd, srr_signal_list *out)
{
    char tags[SRR_GROUP_MAX];
    unsigned char *seen;
    if (!pd->ctx.nknown)
        return;
    seen = srr_calloc(pd->ctx.nknown, 1);
    for (size_t i = 0; i < pd->capcur; i++) {
        pattern *q = &pd->cur[i];
        long k;
        if (!q->hash)
            continue;
        pattern_tags(pd, q, tags, sizeof tags);
        if ((k = srr_detect_known_index(&pd->ctx, tags)) < 0)
            continue;
        seen[k] = 1;
        q->known = 1;
        emit_pattern(pd, q, 0, out);
    }
    for (size_t k = 0; k < pd->ctx.nknown; k++) {
        const char *g = pd->ctx.known[k];
        if (seen[k] || !strstr(g, "pattern:"))
            continue;
        srr_signal *sig = srr_signal_list_push(out);
        char tag[SRR_GROUP_MAX], qbuf[48], sum[256];
        for (const char *p = g; *p;) {
            size_t len = strcspn(p, "\n");
            snprintf(tag, sizeof tag, "%.*s", (int)len, p);
            srr_signal_add_tag(sig, tag);
            p += len + (p[len] == '\n');
        }
        srr_detect_fill_common(sig, pd->check, &pd->ctx, SRR_KIND_NEW_PATTERN);
        sig->status = SRR_STATUS_RECOVERED;
        srr_detect_fmt_quantity(&pd->rt->cond.q, qbuf, sizeof qbuf);
        snprintf(sum, sizeof sum, "known log pattern, 0 events this window (not %s %s)",
                 srr_cmp_name(pd->rt->cond.op), qbuf);
        sig->summary = srr_strdup(sum);
        sig->evidence = json_pack("{s:i}", "count", 0);
    }
    free(seen);
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
    emit_known_patterns(pd, out);
    for (size_t i = 0; i < pd->capcur; i++) {
        pattern *q = &pd->cur[i];
        if (q->hash && !q->known && !prev_has(pd, q->hash) &&
            srr_cmp_holds(c->op, (double)q->count, c->q.base))
            fresh[nf++] = q;
    }
    qsort(fresh, nf, sizeof *fresh, by_count_desc);
    for (size_t i = 0; i < nf && i < SRR_PATTERN_MAX_SIGNALS; i++)
        emit_pattern(pd, fresh[i],
                     i + 1 == SRR_PATTERN_MAX_SIGNALS && nf > SRR_PATTERN_MAX_SIGNALS
                         ? nf - SRR_PATTERN_MAX_SIGNALS
                         : 0,
                     out);
    free(fresh);
    return SRR_OK;
}

void srr_pattern_detector_destroy(srr_pattern_detector *pd)
{
    if (!pd)
        return;
    for (size_t i = 0; i < pd->capcur; i++) {
        free(pd->cur[i].text);
        free(pd->cur[i].group);
        for (int k = 0; k < pd->cur[i].nsamples; k++)
            srr_log_sample_free(&pd->cur[i].samples[k]);
    }
    free(pd->cur);
    free(pd->prev);
    free((char *)pd->ctx.link);
    free(pd);
}
