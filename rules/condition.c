/* SPDX-License-Identifier: Apache-2.0
 *
 * condition.c - the hand-written tokenizer and recursive-descent parser for
 * a check's `when` text ("max > 90%", "growth > 10%/week", "count >= 100")
 * and for a `limit` quantity ("2GiB"). The grammar is documented in
 * condition.h. Errors name what was expected and at which character, and
 * srr_cond_compile_at() turns the character offset into file:line:col.
 */
#include "condition.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const MEASURE_NAMES[SRR_MEASURE__COUNT] = {
    "max", "min", "avg", "last", "sum", "p50", "p75", "p90", "p95", "p99", "growth", "count",
    "spike", "change", "new_pattern",
};

static const char *const CMP_NAMES[] = {">", ">=", "<", "<=", "==", "!="};

const char *srr_measure_name(srr_measure m)
{
    return (unsigned)m < SRR_MEASURE__COUNT ? MEASURE_NAMES[m] : "?";
}

const char *srr_cmp_name(srr_cmp op)
{
    return (unsigned)op <= SRR_CMP_NE ? CMP_NAMES[op] : "?";
}

int srr_cmp_holds(srr_cmp op, double value, double threshold)
{
    switch (op) {
    case SRR_CMP_GT: return value > threshold;
    case SRR_CMP_GE: return value >= threshold;
    case SRR_CMP_LT: return value < threshold;
    case SRR_CMP_LE: return value <= threshold;
    case SRR_CMP_EQ: return value == threshold;
    case SRR_CMP_NE: return value != threshold;
    }
    return 0;
}

/* ---- units ------------------------------------------------------------- */

typedef struct unit_def {
    const char *name;
    srr_unit_class cls;
    double scale; /* one unit in the base unit of its class */
    int in_when;  /* accepted in a `when`/`limit` text (others: series only) */
} unit_def;

#define KB 1000.0
#define KIB 1024.0

static const unit_def UNITS[] = {
    {"%", SRR_UNIT_PERCENT, 1.0, 1},
    {"B", SRR_UNIT_BYTES, 1.0, 1},
    {"KB", SRR_UNIT_BYTES, KB, 1},
    {"MB", SRR_UNIT_BYTES, KB * KB, 1},
    {"GB", SRR_UNIT_BYTES, KB * KB * KB, 1},
    {"TB", SRR_UNIT_BYTES, KB * KB * KB * KB, 1},
    {"KiB", SRR_UNIT_BYTES, KIB, 1},
    {"MiB", SRR_UNIT_BYTES, KIB * KIB, 1},
    {"GiB", SRR_UNIT_BYTES, KIB * KIB * KIB, 1},
    {"TiB", SRR_UNIT_BYTES, KIB * KIB * KIB * KIB, 1},
    {"ns", SRR_UNIT_TIME, 1e-9, 1},
    {"us", SRR_UNIT_TIME, 1e-6, 1},
    {"\xc2\xb5s", SRR_UNIT_TIME, 1e-6, 1}, /* µ MICRO SIGN */
    {"\xce\xbcs", SRR_UNIT_TIME, 1e-6, 1}, /* μ GREEK SMALL LETTER MU (Datadog) */
    {"ms", SRR_UNIT_TIME, 1e-3, 1},
    {"s", SRR_UNIT_TIME, 1.0, 1},
    {"m", SRR_UNIT_TIME, 60.0, 1},
    {"h", SRR_UNIT_TIME, 3600.0, 1},
    {"d", SRR_UNIT_TIME, 86400.0, 1},
    {"%/week", SRR_UNIT_RATE, 1.0, 1},
    {"%/day", SRR_UNIT_RATE, 7.0, 1},
    {"%/month", SRR_UNIT_RATE, 7.0 / 30.0, 1},
    /* Datadog's own names and short names that a series may carry
     * (docs "Metrics Units": families bytes, time, percentage). */
    {"byte", SRR_UNIT_BYTES, 1.0, 0},
    {"bytes", SRR_UNIT_BYTES, 1.0, 0},
    {"kB", SRR_UNIT_BYTES, KB, 0},
    {"bit", SRR_UNIT_BYTES, 0.125, 0},
    {"b", SRR_UNIT_BYTES, 0.125, 0},
    {"kibibyte", SRR_UNIT_BYTES, KIB, 0},
    {"mebibyte", SRR_UNIT_BYTES, KIB * KIB, 0},
    {"gibibyte", SRR_UNIT_BYTES, KIB * KIB * KIB, 0},
    {"tebibyte", SRR_UNIT_BYTES, KIB * KIB * KIB * KIB, 0},
    {"pebibyte", SRR_UNIT_BYTES, KIB * KIB * KIB * KIB * KIB, 0},
    {"PiB", SRR_UNIT_BYTES, KIB * KIB * KIB * KIB * KIB, 0},
    {"exbibyte", SRR_UNIT_BYTES, KIB * KIB * KIB * KIB * KIB * KIB, 0},
    {"EiB", SRR_UNIT_BYTES, KIB * KIB * KIB * KIB * KIB * KIB, 0},
    {"nanosecond", SRR_UNIT_TIME, 1e-9, 0},
    {"microsecond", SRR_UNIT_TIME, 1e-6, 0},
    {"millisecond", SRR_UNIT_TIME, 1e-3, 0},
    {"second", SRR_UNIT_TIME, 1.0, 0},
    {"sec", SRR_UNIT_TIME, 1.0, 0},
    {"minute", SRR_UNIT_TIME, 60.0, 0},
    {"min", SRR_UNIT_TIME, 60.0, 0},
    {"hour", SRR_UNIT_TIME, 3600.0, 0},
    {"hr", SRR_UNIT_TIME, 3600.0, 0},
    {"day", SRR_UNIT_TIME, 86400.0, 0},
    {"week", SRR_UNIT_TIME, 604800.0, 0},
    {"wk", SRR_UNIT_TIME, 604800.0, 0},
    {"w", SRR_UNIT_TIME, 604800.0, 0},
    {"percent", SRR_UNIT_PERCENT, 1.0, 0},
    {"fraction", SRR_UNIT_PERCENT, 100.0, 0}, /* 0.91 is 91% */
    {"fr", SRR_UNIT_PERCENT, 100.0, 0},
    {"percent_nano", SRR_UNIT_PERCENT, 1e-9, 0},
    {"n%", SRR_UNIT_PERCENT, 1e-9, 0},
};

static const unit_def *unit_find(const char *s, size_t len, int when_only)
{
    for (size_t i = 0; i < sizeof UNITS / sizeof UNITS[0]; i++) {
        if (UNITS[i].name[0] != s[0] || (when_only && !UNITS[i].in_when))
            continue;
        if (strlen(UNITS[i].name) == len && memcmp(UNITS[i].name, s, len) == 0)
            return &UNITS[i];
    }
    return NULL;
}

int srr_unit_lookup(const char *name, srr_unit_class *cls, double *scale)
{
    if (!name || !*name)
        return 0;
    const unit_def *u = unit_find(name, strlen(name), 0);
    if (!u || u->cls == SRR_UNIT_RATE)
        return 0;
    *cls = u->cls;
    *scale = u->scale;
    return 1;
}

double srr_quantity_in(const srr_quantity *q, const char *series_unit)
{
    srr_unit_class cls;
    double scale;
    if (q->uclass != SRR_UNIT_NONE && q->uclass != SRR_UNIT_RATE &&
        srr_unit_lookup(series_unit, &cls, &scale) && cls == q->uclass && scale > 0)
        return q->base / scale;
    return q->base;
}

/* ---- the unit of a series against a condition's --------------------------- */

/* A number as short as it reads ("0.85", "2147483648", "1e-06"). */
static void srr_fmt_g(double v, char *out, size_t n)
{
    snprintf(out, n, "%.10g", v);
}

static const char *class_name(srr_unit_class c)
{
    switch (c) {
    case SRR_UNIT_PERCENT: return "a percentage";
    case SRR_UNIT_BYTES: return "a size";
    case SRR_UNIT_TIME: return "a duration";
    case SRR_UNIT_RATE: return "a growth rate";
    default: return "a plain number";
    }
}

/* The base unit of a Datadog unit family, for a unit only its family and
 * scale_factor tell (the docs' example: minute, family time, 60.0). */
static int family_class(const char *family, srr_unit_class *cls)
{
    if (!family)
        return 0;
    if (strcmp(family, "percentage") == 0)
        *cls = SRR_UNIT_PERCENT;
    else if (strcmp(family, "bytes") == 0)
        *cls = SRR_UNIT_BYTES;
    else if (strcmp(family, "time") == 0)
        *cls = SRR_UNIT_TIME;
    else
        return 0;
    return 1;
}

int srr_query_has_arithmetic(const char *q)
{
    int braces = 0;
    char quote = 0;
    for (const char *p = q ? q : ""; *p; p++) {
        if (quote) {
            quote = *p == quote ? 0 : quote;
            continue;
        }
        if (*p == '\'' || *p == '"')
            quote = *p;
        else if (*p == '{')
            braces++;
        else if (*p == '}' && braces > 0)
            braces--;
        else if (!braces && (*p == '*' || *p == '/' || *p == '+' || *p == '-'))
            return 1;
    }
    return 0;
}

void srr_series_unit_of(const srr_series *s, const char *declared, int arithmetic,
                        srr_series_unit *out)
{
    srr_unit_class cls;
    double scale;
    const char *label = s && !arithmetic ? (s->unit ? s->unit : s->unit_name) : NULL;
    memset(out, 0, sizeof *out);
    out->scale = 1.0;
    out->arithmetic = arithmetic && s && (s->unit || s->unit_name || s->unit_family);
    if (!label && !(s && !arithmetic && s->unit_family)) {
        /* No unit that speaks for the values: the check's own word, if any. */
        if (declared && srr_unit_lookup(declared, &cls, &scale)) {
            out->cls = cls;
            out->scale = scale;
            out->declared = 1;
            snprintf(out->label, sizeof out->label, "%s", declared);
        }
        return;
    }
    snprintf(out->label, sizeof out->label, "%s%s%s", label ? label : s->unit_family,
             s->per_unit ? "/" : "", s->per_unit ? s->per_unit : "");
    /* By Datadog's name first, then its short name, then by family and
     * scale_factor for a unit this table does not list. */
    if ((s->unit_name && srr_unit_lookup(s->unit_name, &cls, &scale)) ||
        (s->unit && srr_unit_lookup(s->unit, &cls, &scale)) ||
        (family_class(s->unit_family, &cls) && s->unit_scale > 0 && (scale = s->unit_scale))) {
        out->cls = cls;
        out->scale = scale;
        return;
    }
    out->other = 1; /* requests, hits, apdex, ...: not a unit a condition converts */
}

srr_rc srr_unit_reconcile(const srr_quantity *q, const srr_series_unit *u, const char *what,
                          const char *measure, double *thr, double *to_q, srr_error *err)
{
    *thr = q->base;
    *to_q = 1.0;
    if (q->uclass == SRR_UNIT_NONE || q->uclass == SRR_UNIT_RATE) {
        *thr = q->number; /* a plain number is in the series' own unit */
        return SRR_OK;
    }
    const unit_def *qu = unit_find(q->unit, strlen(q->unit), 0);
    double qscale = qu ? qu->scale : 1.0;
    if (u->cls == q->uclass && !u->other && u->scale > 0) {
        *thr = q->base / u->scale;
        *to_q = u->scale / qscale;
        return SRR_OK;
    }
    char a[40], b[40], how[200];
    const char *m = measure && *measure ? measure : "max";
    if (q->uclass == SRR_UNIT_PERCENT) {
        srr_fmt_g(q->base / 100.0, a, sizeof a);
        srr_fmt_g(q->base, b, sizeof b);
        snprintf(how, sizeof how, "'%s %s %s' if it is a fraction, '%s %s %s' if it is a percent",
                 m, srr_cmp_name(SRR_CMP_GT), a, m, srr_cmp_name(SRR_CMP_GT), b);
    } else {
        srr_fmt_g(q->base, a, sizeof a);
        snprintf(how, sizeof how, "'%s %s %s' if it is in %s", m, srr_cmp_name(SRR_CMP_GT), a,
                 q->uclass == SRR_UNIT_BYTES ? "bytes" : "seconds");
    }
    if (!u->other && u->cls == SRR_UNIT_NONE)
        return srr_error_set(err, SRR_EINVAL,
                             "%s is %s, but %s, so srr cannot tell what %s means there; write "
                             "the threshold as a plain number in the series' own scale (%s), "
                             "or say what the series is in with the check's `unit:` (unit: %s)",
                             what, class_name(q->uclass),
                             u->arithmetic ? "the query computes on the metric (Datadog's unit "
                                             "names the metric, not the result)"
                                           : "Datadog sent no unit for the series",
                             q->unit, how,
                             q->uclass == SRR_UNIT_PERCENT ? "fraction"
                             : q->uclass == SRR_UNIT_BYTES ? "byte"
                                                           : "second");
    return srr_error_set(err, SRR_EINVAL,
                         "%s is %s (%s) but Datadog says the series are in %s (%s): they cannot "
                         "be compared; write the threshold in the series' own unit%s",
                         what, class_name(q->uclass), q->unit, u->label,
                         u->other ? "a unit of its own" : class_name(u->cls),
                         q->uclass == SRR_UNIT_PERCENT && u->cls == SRR_UNIT_BYTES
                             ? ", or make the query a percentage (used / total * 100)"
                             : "");
}

/* ---- tokenizer --------------------------------------------------------- */

/* The scanner state: the text and a cursor. Errors record the offset. */
typedef struct scanner {
    const char *s;
    size_t pos;
    size_t err_off;
    srr_error *err;
} scanner;

static void skip_ws(scanner *sc)
{
    while (sc->s[sc->pos] == ' ' || sc->s[sc->pos] == '\t')
        sc->pos++;
}

static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Describes the text at `off` for messages: "'abc'" (first token, bounded)
 * or "the end". */
static void describe_at(const char *s, size_t off, char *out, size_t n)
{
    if (!s[off]) {
        snprintf(out, n, "the end");
        return;
    }
    size_t len = 0;
    while (s[off + len] && s[off + len] != ' ' && s[off + len] != '\t' && len < 20)
        len++;
    if (len == 0)
        len = 1;
    snprintf(out, n, "'%.*s'", (int)len, s + off);
}

static srr_rc fail(scanner *sc, size_t off, const char *expected)
{
    char found[40];
    describe_at(sc->s, off, found, sizeof found);
    sc->err_off = off;
    return srr_error_set(sc->err, SRR_EINVAL, "expected %s at character %zu, found %s", expected,
                         off + 1, found);
}

static srr_rc scan_measure(scanner *sc, srr_measure *out)
{
    skip_ws(sc);
    size_t start = sc->pos, len = 0;
    while (is_alpha(sc->s[start + len]) ||
           (len > 0 && (is_digit(sc->s[start + len]) || sc->s[start + len] == '_')))
        len++;
    for (int m = 0; len > 0 && m < SRR_MEASURE__COUNT; m++) {
        if (strlen(MEASURE_NAMES[m]) != len)
            continue;
        size_t i = 0;
        while (i < len && (sc->s[start + i] == '_' ? '_' : (sc->s[start + i] | 0x20)) ==
                              MEASURE_NAMES[m][i])
            i++;
        if (i == len) {
            sc->pos = start + len;
            *out = (srr_measure)m;
            return SRR_OK;
        }
    }
    return fail(sc, start,
                "a measure (max, min, avg, last, sum, p50, p75, p90, p95, p99, growth, count, "
                "spike, change or new_pattern)");
}

static srr_rc scan_op(scanner *sc, srr_cmp *out)
{
    skip_ws(sc);
    const char *p = sc->s + sc->pos;
    if (p[0] == '>' && p[1] == '=') { *out = SRR_CMP_GE; sc->pos += 2; return SRR_OK; }
    if (p[0] == '<' && p[1] == '=') { *out = SRR_CMP_LE; sc->pos += 2; return SRR_OK; }
    if (p[0] == '=' && p[1] == '=') { *out = SRR_CMP_EQ; sc->pos += 2; return SRR_OK; }
    if (p[0] == '!' && p[1] == '=') { *out = SRR_CMP_NE; sc->pos += 2; return SRR_OK; }
    if (p[0] == '>') { *out = SRR_CMP_GT; sc->pos += 1; return SRR_OK; }
    if (p[0] == '<') { *out = SRR_CMP_LT; sc->pos += 1; return SRR_OK; }
    return fail(sc, sc->pos, "an operator (>, >=, <, <=, == or !=)");
}

/* number := [+-] digits [. digits] [(e|E) [+-] digits]; also ".5". */
static srr_rc scan_number(scanner *sc, double *out)
{
    skip_ws(sc);
    const char *s = sc->s;
    size_t start = sc->pos, p = start, digits = 0;
    if (s[p] == '+' || s[p] == '-')
        p++;
    while (is_digit(s[p])) { p++; digits++; }
    if (s[p] == '.') {
        p++;
        while (is_digit(s[p])) { p++; digits++; }
    }
    if (digits == 0)
        return fail(sc, start, "a number (such as 90, 1.5 or 1e3)");
    if (s[p] == 'e' || s[p] == 'E') {
        size_t q = p + 1;
        if (s[q] == '+' || s[q] == '-')
            q++;
        if (is_digit(s[q])) { /* "1e3"; a lone 'e' is left for the unit */
            while (is_digit(s[q]))
                q++;
            p = q;
        }
    }
    char buf[64];
    if (p - start >= sizeof buf)
        return fail(sc, start, "a number of at most 63 characters");
    memcpy(buf, s + start, p - start);
    buf[p - start] = '\0';
    char *end = NULL;
    double v = strtod(buf, &end);
    if (!end || *end != '\0' || !isfinite(v))
        return fail(sc, start, "a finite number");
    *out = v;
    sc->pos = p;
    return SRR_OK;
}

/* unit := the run of non-blank characters after the number, if any. */
static srr_rc scan_unit(scanner *sc, int allow_rate, srr_quantity *q)
{
    skip_ws(sc);
    size_t start = sc->pos, len = 0;
    while (sc->s[start + len] && sc->s[start + len] != ' ' && sc->s[start + len] != '\t')
        len++;
    q->uclass = SRR_UNIT_NONE;
    q->base = q->number;
    q->unit[0] = '\0';
    if (len == 0)
        return SRR_OK;
    const unit_def *u = unit_find(sc->s + start, len, 1);
    if (!u || (u->cls == SRR_UNIT_RATE && !allow_rate))
        return fail(sc, start,
                    allow_rate ? "a unit (%, B, KB, MB, GB, TB, KiB, MiB, GiB, TiB, ns, us, ms, "
                                 "s, m, h, d, %/week, %/day or %/month) or the end"
                               : "a unit (%, B, KB, MB, GB, TB, KiB, MiB, GiB, TiB, ns, us, ms, "
                                 "s, m, h, d) or the end");
    q->uclass = u->cls;
    q->base = q->number * u->scale;
    snprintf(q->unit, sizeof q->unit, "%s", u->name);
    sc->pos = start + len;
    return SRR_OK;
}

static srr_rc scan_end(scanner *sc)
{
    skip_ws(sc);
    if (sc->s[sc->pos])
        return fail(sc, sc->pos, "the end of the condition");
    return SRR_OK;
}

/* ---- parser ------------------------------------------------------------ */

srr_rc srr_cond_parse(const char *text, srr_cond *out, size_t *err_off, srr_error *err)
{
    scanner sc = {.s = text ? text : "", .pos = 0, .err_off = 0, .err = err};
    srr_cond c;
    memset(&c, 0, sizeof c);
    srr_rc rc;
    size_t qstart;

    if ((rc = scan_measure(&sc, &c.measure)) != SRR_OK)
        goto fail;
    if ((rc = scan_op(&sc, &c.op)) != SRR_OK)
        goto fail;
    skip_ws(&sc);
    qstart = sc.pos;
    if ((rc = scan_number(&sc, &c.q.number)) != SRR_OK)
        goto fail;
    size_t ustart = sc.pos;
    while (sc.s[ustart] == ' ' || sc.s[ustart] == '\t')
        ustart++;
    if ((rc = scan_unit(&sc, c.measure == SRR_MEASURE_GROWTH, &c.q)) != SRR_OK)
        goto fail;
    if ((rc = scan_end(&sc)) != SRR_OK)
        goto fail;

    switch (c.measure) {
    case SRR_MEASURE_GROWTH:
        c.kind = SRR_KIND_TREND;
        if (c.q.uclass != SRR_UNIT_RATE) {
            sc.err_off = c.q.unit[0] ? ustart : qstart;
            rc = srr_error_set(err, SRR_EINVAL,
                               "expected a growth rate unit (%%/week, %%/day or %%/month) at "
                               "character %zu, as in 'growth > 10%%/week'",
                               sc.err_off + 1);
            goto fail;
        }
        break;
    case SRR_MEASURE_COUNT:
        c.kind = SRR_KIND_COUNT;
        if (c.q.uclass != SRR_UNIT_NONE) {
            sc.err_off = ustart;
            rc = srr_error_set(err, SRR_EINVAL,
                               "expected a plain number of events at character %zu, found "
                               "unit '%s' (a count has no unit)",
                               ustart + 1, c.q.unit);
            goto fail;
        }
        break;
    case SRR_MEASURE_SPIKE:
    case SRR_MEASURE_CHANGE:
        c.kind = c.measure == SRR_MEASURE_SPIKE ? SRR_KIND_SPIKE : SRR_KIND_COUNT;
        if (c.q.uclass != SRR_UNIT_PERCENT) {
            sc.err_off = c.q.unit[0] ? ustart : qstart;
            rc = srr_error_set(err, SRR_EINVAL,
                               "expected a percentage at character %zu, as in '%s > 200%%'",
                               sc.err_off + 1, MEASURE_NAMES[c.measure]);
            goto fail;
        }
        break;
    case SRR_MEASURE_NEW_PATTERN:
        /* A count of events, as every logs condition is; the signals the
         * detector emits for it have kind new_pattern. */
        c.kind = SRR_KIND_COUNT;
        if (c.q.uclass != SRR_UNIT_NONE) {
            sc.err_off = ustart;
            rc = srr_error_set(err, SRR_EINVAL,
                               "expected a plain number of events at character %zu, found "
                               "unit '%s'",
                               ustart + 1, c.q.unit);
            goto fail;
        }
        break;
    default:
        c.kind = SRR_KIND_THRESHOLD;
        break;
    }
    *out = c;
    return SRR_OK;
fail:
    if (err_off)
        *err_off = sc.err_off;
    return rc;
}

srr_rc srr_quantity_parse(const char *text, srr_quantity *out, size_t *err_off, srr_error *err)
{
    scanner sc = {.s = text ? text : "", .pos = 0, .err_off = 0, .err = err};
    srr_quantity q;
    memset(&q, 0, sizeof q);
    srr_rc rc;
    if ((rc = scan_number(&sc, &q.number)) != SRR_OK || (rc = scan_unit(&sc, 0, &q)) != SRR_OK ||
        (rc = scan_end(&sc)) != SRR_OK) {
        if (err_off)
            *err_off = sc.err_off;
        return rc;
    }
    *out = q;
    return SRR_OK;
}

/* Column of byte `off` of a scalar's text: exact for a plain scalar on one
 * line (the text starts at the node), the node's own column otherwise. */
static int column_of(const srr_yaml_node *node, const char *text, size_t off)
{
    if (node->quoted || strchr(text, '\n'))
        return node->col;
    /* Count characters, not bytes, as editors do. */
    int col = node->col;
    for (size_t i = 0; i < off && text[i]; i++)
        if (((unsigned char)text[i] & 0xC0) != 0x80)
            col++;
    return col;
}

static srr_rc report_at(const srr_yaml_node *node, const char *what, const char *text,
                        size_t off, srr_error *err)
{
    if (!err)
        return SRR_EINVAL;
    char msg[sizeof err->msg];
    snprintf(msg, sizeof msg, "%s", err->msg);
    if (node && node->file)
        return srr_error_at(err, SRR_EINVAL, node->file, node->line,
                            column_of(node, text, off), "%s: %s in '%s'", what, msg, text);
    return srr_error_set(err, SRR_EINVAL, "%s: %s in '%s'", what, msg, text);
}

srr_rc srr_cond_compile_at(const char *text, const srr_yaml_node *node, const char *what,
                           srr_cond *out, srr_error *err)
{
    size_t off = 0;
    srr_rc rc = srr_cond_parse(text, out, &off, err);
    if (rc != SRR_OK)
        return report_at(node, what, text ? text : "", off, err);
    return SRR_OK;
}

srr_rc srr_quantity_compile_at(const char *text, const srr_yaml_node *node, const char *what,
                               srr_quantity *out, srr_error *err)
{
    size_t off = 0;
    srr_rc rc = srr_quantity_parse(text, out, &off, err);
    if (rc != SRR_OK)
        return report_at(node, what, text ? text : "", off, err);
    return SRR_OK;
}

/* ---- policy matchers: value, recurrence, flapping ------------------------ */

srr_rc srr_value_cond_parse(const char *text, srr_cond *out, int *has_measure, size_t *err_off,
                            srr_error *err)
{
    scanner sc = {.s = text ? text : "", .pos = 0, .err_off = 0, .err = err};
    srr_cond c;
    srr_rc rc;
    memset(&c, 0, sizeof c);
    skip_ws(&sc);
    *has_measure = 0;
    if (is_alpha(sc.s[sc.pos])) {
        /* "p95 > 300ms": the whole condition grammar. */
        rc = srr_cond_parse(text, out, err_off, err);
        if (rc == SRR_OK)
            *has_measure = 1;
        return rc;
    }
    if ((rc = scan_op(&sc, &c.op)) != SRR_OK)
        goto fail;
    if ((rc = scan_number(&sc, &c.q.number)) != SRR_OK)
        goto fail;
    if ((rc = scan_unit(&sc, 1, &c.q)) != SRR_OK)
        goto fail;
    if ((rc = scan_end(&sc)) != SRR_OK)
        goto fail;
    c.measure = SRR_MEASURE__COUNT; /* any measure */
    c.kind = SRR_KIND__COUNT;
    *out = c;
    return SRR_OK;
fail:
    *err_off = sc.err_off;
    return rc;
}

/* A positive integer (no sign, no fraction). */
static srr_rc scan_count(scanner *sc, long *out)
{
    skip_ws(sc);
    size_t start = sc->pos;
    long v = 0;
    while (is_digit(sc->s[sc->pos]) && v < 1000000)
        v = v * 10 + (sc->s[sc->pos++] - '0');
    if (sc->pos == start || v <= 0 || is_digit(sc->s[sc->pos]))
        return fail(sc, start, "a whole number of at least 1 (such as 3)");
    *out = v;
    return SRR_OK;
}

/* Accepts `word` (case-insensitive) as a whole word; returns 1 when there. */
static int scan_word(scanner *sc, const char *word)
{
    skip_ws(sc);
    size_t n = strlen(word), i = 0;
    while (i < n && (sc->s[sc->pos + i] | 0x20) == word[i])
        i++;
    if (i < n || is_alpha(sc->s[sc->pos + n]))
        return 0;
    sc->pos += n;
    return 1;
}

/* An optional comparison before a count: ">= 3" or "3" (meaning >= 3). */
static srr_rc scan_opt_op(scanner *sc, srr_cmp *op)
{
    skip_ws(sc);
    char c = sc->s[sc->pos];
    *op = SRR_CMP_GE;
    if (c == '>' || c == '<' || c == '=' || c == '!')
        return scan_op(sc, op);
    return SRR_OK;
}

/* A duration "7d", "36h", "2w" as a token. */
static srr_rc scan_duration(scanner *sc, int64_t *out)
{
    skip_ws(sc);
    size_t start = sc->pos, len = 0;
    char buf[32];
    while (sc->s[start + len] && sc->s[start + len] != ' ' && sc->s[start + len] != '\t')
        len++;
    if (len == 0 || len >= sizeof buf)
        return fail(sc, start, "a duration (such as 7d, 36h or 2w)");
    memcpy(buf, sc->s + start, len);
    buf[len] = '\0';
    if (srr_duration_parse(buf, out) != SRR_OK || *out <= 0)
        return fail(sc, start, "a duration (such as 7d, 36h or 2w)");
    sc->pos = start + len;
    return SRR_OK;
}

srr_rc srr_recurrence_parse(const char *text, srr_recurrence *out, size_t *err_off,
                            srr_error *err)
{
    scanner sc = {.s = text ? text : "", .pos = 0, .err_off = 0, .err = err};
    srr_recurrence r;
    srr_rc rc;
    memset(&r, 0, sizeof r);
    scan_word(&sc, "seen");
    scan_word(&sc, "in");
    if ((rc = scan_opt_op(&sc, &r.op)) != SRR_OK)
        goto fail;
    if ((rc = scan_count(&sc, &r.n)) != SRR_OK)
        goto fail;
    if (!scan_word(&sc, "of")) {
        rc = fail(&sc, sc.pos, "'of' (as in '3 of the last 4 sweeps')");
        goto fail;
    }
    scan_word(&sc, "the");
    scan_word(&sc, "last");
    skip_ws(&sc);
    size_t mstart = sc.pos;
    if ((rc = scan_count(&sc, &r.of)) != SRR_OK)
        goto fail;
    if (scan_word(&sc, "sweeps") || scan_word(&sc, "sweep") || scan_word(&sc, "windows"))
        r.period_s = 0; /* the signal's own window */
    else if (scan_word(&sc, "weeks") || scan_word(&sc, "week"))
        r.period_s = 7 * 86400;
    else if (scan_word(&sc, "days") || scan_word(&sc, "day"))
        r.period_s = 86400;
    else if (scan_word(&sc, "hours") || scan_word(&sc, "hour"))
        r.period_s = 3600;
    else if (sc.s[sc.pos] && sc.s[sc.pos] != ' ') {
        rc = fail(&sc, sc.pos, "sweeps, weeks, days or hours");
        goto fail;
    }
    if ((rc = scan_end(&sc)) != SRR_OK)
        goto fail;
    if (r.of > 1000) {
        rc = fail(&sc, mstart, "at most 1000 periods");
        goto fail;
    }
    if (r.n > r.of && (r.op == SRR_CMP_GE || r.op == SRR_CMP_GT || r.op == SRR_CMP_EQ)) {
        sc.err_off = mstart;
        rc = srr_error_set(err, SRR_EINVAL,
                           "%ld of the last %ld can never hold (the count cannot exceed the "
                           "number of periods) at character %zu",
                           r.n, r.of, mstart + 1);
        goto fail;
    }
    *out = r;
    return SRR_OK;
fail:
    *err_off = sc.err_off;
    return rc;
}

srr_rc srr_flapping_parse(const char *text, srr_flapping *out, size_t *err_off, srr_error *err)
{
    scanner sc = {.s = text ? text : "", .pos = 0, .err_off = 0, .err = err};
    srr_flapping f;
    srr_rc rc;
    memset(&f, 0, sizeof f);
    if ((rc = scan_opt_op(&sc, &f.op)) != SRR_OK)
        goto fail;
    if ((rc = scan_count(&sc, &f.n)) != SRR_OK)
        goto fail;
    (void)(scan_word(&sc, "times") || scan_word(&sc, "time") || scan_word(&sc, "flaps"));
    if (!scan_word(&sc, "in") && !scan_word(&sc, "within")) {
        rc = fail(&sc, sc.pos, "'in' (as in '3 times in 7d')");
        goto fail;
    }
    if ((rc = scan_duration(&sc, &f.window_s)) != SRR_OK)
        goto fail;
    if ((rc = scan_end(&sc)) != SRR_OK)
        goto fail;
    *out = f;
    return SRR_OK;
fail:
    *err_off = sc.err_off;
    return rc;
}

srr_rc srr_value_cond_compile_at(const char *text, const srr_yaml_node *node, const char *what,
                                 srr_cond *out, int *has_measure, srr_error *err)
{
    size_t off = 0;
    if (srr_value_cond_parse(text, out, has_measure, &off, err) != SRR_OK)
        return report_at(node, what, text ? text : "", off, err);
    return SRR_OK;
}

srr_rc srr_recurrence_compile_at(const char *text, const srr_yaml_node *node, const char *what,
                                 srr_recurrence *out, srr_error *err)
{
    size_t off = 0;
    if (srr_recurrence_parse(text, out, &off, err) != SRR_OK)
        return report_at(node, what, text ? text : "", off, err);
    return SRR_OK;
}

srr_rc srr_flapping_compile_at(const char *text, const srr_yaml_node *node, const char *what,
                               srr_flapping *out, srr_error *err)
{
    size_t off = 0;
    if (srr_flapping_parse(text, out, &off, err) != SRR_OK)
        return report_at(node, what, text ? text : "", off, err);
    return SRR_OK;
}
