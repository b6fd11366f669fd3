/* SPDX-License-Identifier: Apache-2.0
 *
 * export.c - exports of the records (export.h): collection through the
 * store's own reads (so an export shows exactly what `srr risks show`
 * shows) and the RFC 4180 CSV writer with its column table.
 */
#include "export.h"

#include <stdlib.h>
#include <string.h>

#include "textsafe.h"

/* One CSV column: header, the record key it shows, how. */
typedef enum {
    COL_TEXT = 0,
    COL_DATE,
    COL_NUM,
    COL_LOG,    /* log entries, one line each */
    COL_LIST,   /* an array of strings, comma separated (Notion's multi-select) */
    COL_PERSON, /* a name, written as its team.emails address when there is one */
    COL_OWNER   /* the service's team.owners entry, its people as emails */
} col_type;

typedef struct csv_col {
    const char *header, *key;
    col_type type;
} csv_col;

/* Title first: Notion makes the first column of an import the page title. */
static const csv_col COLS[] = {
    {"Title", "title", COL_TEXT},
    {"ID", "id", COL_TEXT},
    {"Kind", "kind", COL_TEXT},
    {"Status", "status", COL_TEXT},
    {"Urgency", "urgency", COL_TEXT},
    {"Assignee", "assignee", COL_PERSON},
    {"Owner", "service", COL_OWNER},
    {"Labels", "labels", COL_LIST},
    {"Service", "service", COL_TEXT},
    {"Env", "env", COL_TEXT},
    {"Impact", "impact", COL_TEXT},
    {"Likelihood", "likelihood", COL_TEXT},
    {"Overview", "overview", COL_TEXT},
    {"Log from recognition to cause", "recognition_log", COL_LOG},
    {"Cause", "cause", COL_TEXT},
    {"Countermeasure policy", "countermeasure_policy", COL_TEXT},
    {"Countermeasure log", "countermeasure_log", COL_LOG},
    {"Next action", "next_action", COL_TEXT},
    {"Datadog URL", "datadog_url", COL_TEXT},
    {"Backlog link", "backlog_link", COL_TEXT},
    {"Postmortem link", "postmortem_link", COL_TEXT},
    {"Ticket", "ticket_link", COL_TEXT},
    {"Merged into", "merged_into", COL_TEXT},
    {"Occurrences", "occurrences", COL_NUM},
    {"First seen", "first_seen", COL_DATE},
    {"Last seen", "last_seen", COL_DATE},
    {"Approved by", "approved_by", COL_PERSON},
    {"Approved at", "approved_at", COL_DATE},
    {"Next review", "next_review_at", COL_DATE},
    {"Created", "created_at", COL_DATE},
    {"Updated", "updated_at", COL_DATE},
    {NULL, NULL, COL_TEXT},
};

const char *srr_export_csv_header(size_t i)
{
    return i < sizeof(COLS) / sizeof(COLS[0]) ? COLS[i].header : NULL;
}

typedef srr_rc (*list_fn)(srr_store *, const char *, json_t **, srr_error *);
typedef srr_rc (*get_fn)(srr_store *, const char *, json_t **, srr_error *);

static srr_rc collect_kind(srr_store *st, const char *kind, list_fn list, get_fn get,
                           const char *status, json_t *out, srr_error *err)
{
    json_t *ids = NULL;
    size_t i;
    srr_rc rc = list(st, status, &ids, err);
    for (i = 0; rc == SRR_OK && i < json_array_size(ids); i++) {
        json_t *rec = NULL;
        const char *id = json_string_value(json_object_get(json_array_get(ids, i), "id"));
        rc = get(st, id, &rec, err);
        if (rc == SRR_OK) {
            json_object_set_new(rec, "kind", json_string(kind));
            /* one column set for both kinds: a backlog item's description
             * is its overview */
            if (!json_object_get(rec, "overview") && json_object_get(rec, "description"))
                json_object_set(rec, "overview", json_object_get(rec, "description"));
            json_array_append_new(out, rec);
        }
    }
    json_decref(ids);
    return rc;
}

/* Orders by id number within a kind (the lists sort by urgency). */
static int by_id(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    const char *kx = json_string_value(json_object_get(x, "kind"));
    const char *ky = json_string_value(json_object_get(y, "kind"));
    const char *ix = json_string_value(json_object_get(x, "id"));
    const char *iy = json_string_value(json_object_get(y, "id"));
    int c = strcmp(ky ? ky : "", kx ? kx : ""); /* risk before backlog */
    long long nx, ny;
    if (c)
        return c;
    nx = strtoll(ix ? ix + strcspn(ix, "0123456789") : "0", NULL, 10);
    ny = strtoll(iy ? iy + strcspn(iy, "0123456789") : "0", NULL, 10);
    return nx < ny ? -1 : nx > ny;
}

srr_rc srr_export_collect(srr_store *st, const char *kind, const char *status, json_t **out,
                          srr_error *err)
{
    json_t *arr = json_array(), *sorted;
    json_t **v = NULL;
    size_t i, n;
    int risks, backlog;
    srr_rc rc = SRR_OK;
    *out = NULL;
    if (!kind)
        kind = "risks";
    risks = strcmp(kind, "risks") == 0 || strcmp(kind, "all") == 0;
    backlog = strcmp(kind, "backlog") == 0 || strcmp(kind, "all") == 0;
    if (!risks && !backlog) {
        json_decref(arr);
        return srr_error_set(err, SRR_EINVAL, "unknown --kind '%s' (risks, backlog, all)", kind);
    }
    if (risks)
        rc = collect_kind(st, "risk", srr_store_risks_list, srr_store_risk_get, status, arr, err);
    if (rc == SRR_OK && backlog)
        rc = collect_kind(st, "backlog", srr_store_backlog_list, srr_store_backlog_get, status, arr,
                          err);
    if (rc != SRR_OK) {
        json_decref(arr);
        return rc;
    }
    n = json_array_size(arr);
    v = srr_calloc(n ? n : 1, sizeof(*v));
    for (i = 0; i < n; i++)
        v[i] = json_array_get(arr, i);
    qsort(v, n, sizeof(*v), by_id);
    sorted = json_array();
    for (i = 0; i < n; i++)
        json_array_append(sorted, v[i]);
    free(v);
    json_decref(arr);
    *out = sorted;
    return SRR_OK;
}

/* 1 when s is a plain number: [+-]digits[.digits][e[+-]digits][%]. */
static int plain_number(const char *s)
{
    int digits = 0;
    if (*s == '+' || *s == '-')
        s++;
    for (; *s >= '0' && *s <= '9'; s++)
        digits = 1;
    if (*s == '.')
        for (s++; *s >= '0' && *s <= '9'; s++)
            digits = 1;
    if (digits && (*s == 'e' || *s == 'E')) {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (!(*s >= '0' && *s <= '9'))
            return 0;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    if (*s == '%')
        s++;
    return digits && !*s;
}

/* 1 when a spreadsheet (Sheets, Excel, LibreOffice) would read the cell as
 * a formula: it starts - after any tab, CR or LF, which they trim - with
 * '=', or with '+', '-' or '@' followed by something other than a space,
 * unless it is a plain number. So "=HYPERLINK(...)", "-2+3", "@SUM(A1)" and
 * "+cmd|..." are guarded, while "-12", "+3.5%" and "- a bullet" stay as
 * they are: the guard's apostrophe shows in the cell once imported. */
static int reads_as_formula(const char *s)
{
    while (*s == '\t' || *s == '\r' || *s == '\n')
        s++;
    if (*s == '=')
        return 1;
    if (*s != '+' && *s != '-' && *s != '@')
        return 0;
    if (s[1] == '\0' || s[1] == ' ')
        return 0;
    return *s == '@' || !plain_number(s);
}

/* Appends one field, quoted when it must be (RFC 4180); a text cell that
 * would be read as a formula gets a leading ' inside the quotes. */
static void csv_field(srr_buf *b, const char *s, int guard)
{
    size_t i;
    int formula = guard && reads_as_formula(s);
    int quote = formula || strpbrk(s, ",\"\r\n") != NULL || s[0] == ' ' ||
                (*s && s[strlen(s) - 1] == ' ');
    if (!quote) {
        srr_buf_append(b, s, strlen(s));
        return;
    }
    srr_buf_append(b, "\"", 1);
    if (formula)
        srr_buf_append(b, "'", 1);
    for (i = 0; s[i]; i++) {
        if (s[i] == '"')
            srr_buf_append(b, "\"\"", 2);
        else
            srr_buf_append(b, &s[i], 1);
    }
    srr_buf_append(b, "\"", 1);
}

/* The value of `key` in a list of pairs, or NULL. */
static const char *kv_get(const srr_kv *kv, size_t n, const char *key)
{
    size_t i;
    for (i = 0; key && i < n; i++)
        if (strcmp(kv[i].key, key) == 0)
            return kv[i].value;
    return NULL;
}

/* "alice, bob" with each name that has a team.emails entry replaced by its
 * address. Caller frees. */
static char *people_text(const char *names, const srr_team_config *team)
{
    srr_buf b;
    const char *p = names;
    srr_buf_init(&b, 0);
    while (*p) {
        size_t n;
        while (*p == ' ' || *p == ',')
            p++;
        n = strcspn(p, ",");
        while (n > 0 && p[n - 1] == ' ')
            n--;
        if (n) {
            char *name = srr_strndup(p, n);
            const char *mail = team ? kv_get(team->emails, team->nemails, name) : NULL;
            srr_buf_printf(&b, "%s%s", b.len ? ", " : "", mail ? mail : name);
            free(name);
        }
        p += n;
        p += strcspn(p, ",");
    }
    return b.data ? srr_buf_steal(&b) : srr_strdup("");
}

/* "2026-11-28T12:00:00Z" -> "2026-11-28 12:00:00". Caller frees. */
static char *csv_date(const char *iso)
{
    char *d = srr_strdup(iso);
    size_t n = strlen(d);
    if (n >= 19 && d[10] == 'T') {
        d[10] = ' ';
        d[19] = '\0';
    }
    return d;
}

/* Log entries as lines "2026-11-28 12:00:00 (alice) text". Caller frees. */
static char *csv_log(const json_t *log)
{
    srr_buf b;
    size_t i;
    srr_buf_init(&b, 0);
    for (i = 0; i < json_array_size(log); i++) {
        const json_t *e = json_array_get(log, i);
        const char *at = json_string_value(json_object_get(e, "at"));
        char *d = csv_date(at ? at : "");
        const char *who = json_string_value(json_object_get(e, "author"));
        const char *text = json_string_value(json_object_get(e, "text"));
        srr_buf_printf(&b, "%s%s (%s) %s", i ? "\n" : "", d, who ? who : "", text ? text : "");
        free(d);
    }
    return b.data ? srr_buf_steal(&b) : srr_strdup("");
}

/* The text of one cell. Caller frees. */
static char *cell(const csv_col *col, const json_t *r, const srr_team_config *team)
{
    const json_t *v = json_object_get(r, col->key);
    const char *t = json_string_value(v);
    switch (col->type) {
    case COL_LOG:
        return csv_log(v);
    case COL_OWNER: {
        const char *owner = team ? kv_get(team->owners, team->nowners, t) : NULL;
        return people_text(owner ? owner : "", team);
    }
    case COL_LIST: {
        srr_buf b;
        size_t i;
        srr_buf_init(&b, 0);
        for (i = 0; i < json_array_size(v); i++)
            srr_buf_printf(&b, "%s%s", i ? ", " : "",
                           json_string_value(json_array_get(v, i))
                               ? json_string_value(json_array_get(v, i))
                               : "");
        return b.data ? srr_buf_steal(&b) : srr_strdup("");
    }
    case COL_PERSON:
        return people_text(t ? t : "", team);
    default:
        break;
    }
    if (!v || json_is_null(v))
        return srr_strdup("");
    if (json_is_integer(v))
        return srr_asprintf("%lld", (long long)json_integer_value(v));
    if (json_is_real(v))
        return srr_asprintf("%g", json_real_value(v));
    if (col->type == COL_DATE)
        return csv_date(t ? t : "");
    return srr_strdup(t ? t : "");
}

char *srr_export_csv(const json_t *records, const srr_team_config *team)
{
    srr_buf b;
    size_t i, c;
    srr_buf_init(&b, 0);
    for (c = 0; COLS[c].header; c++) {
        if (c)
            srr_buf_append(&b, ",", 1);
        csv_field(&b, COLS[c].header, 0);
    }
    srr_buf_append(&b, "\r\n", 2);
    for (i = 0; i < json_array_size(records); i++) {
        const json_t *r = json_array_get(records, i);
        for (c = 0; COLS[c].header; c++) {
            char *text = cell(&COLS[c], r, team);
            if (c)
                srr_buf_append(&b, ",", 1);
            {   /* control characters shown as escapes (textsafe.h): a CSV is
                 * also read in terminals */
                char *safe = srr_text_safe(text, SRR_TEXT_MULTILINE);
                csv_field(&b, safe, COLS[c].type != COL_DATE && COLS[c].type != COL_NUM);
                free(safe);
            }
            free(text);
        }
        srr_buf_append(&b, "\r\n", 2);
    }
    return srr_buf_steal(&b);
}
