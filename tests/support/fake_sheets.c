/* SPDX-License-Identifier: Apache-2.0
 *
 * fake_sheets.c - the fake Google of fake_sheets.h. State under one mutex:
 * the tabs (a grid of cells, each text plus a formula flag), the tokens
 * handed out, the quota counters. The JWT of a token request is checked the
 * way Google documents it, with libcrypto verifying RS256 against the test
 * account's public key, independently of the client's code.
 */
#include "fake_sheets.h"

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "srr.h"

typedef struct cell {
    char *v;
    int formula;
} cell;

typedef struct row {
    cell *c;
    size_t n;
} row;

typedef struct tab {
    char *title;
    int id;
    row *rows;
    size_t nrows;
} tab;

typedef struct token {
    char *tok;
    long long expires_ms;
} token;

struct fake_sheets {
    fake_http *http;
    char token_url[96];
    pthread_mutex_t mu;
    EVP_PKEY *pub;
    tab *tabs;
    size_t ntabs;
    int next_tab_id;
    token *toks;
    size_t ntoks;
    int token_life_s;
    unsigned issued, refused;
    unsigned q_reads, q_writes, over;
    long q_window_ms;
    long long q_index;
    unsigned used_reads, used_writes;
};

/* A parsed A1 range: inclusive 0-based bounds, -1 = open. */
typedef struct a1 {
    tab *t;
    long r0, c0, r1, c1;
} a1;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the grid --------------------------------------------------------------- */

static tab *tab_find(fake_sheets *fs, const char *title)
{
    if (!title)
        return fs->ntabs ? &fs->tabs[0] : NULL;
    for (size_t i = 0; i < fs->ntabs; i++)
        if (strcmp(fs->tabs[i].title, title) == 0)
            return &fs->tabs[i];
    return NULL;
}

static tab *tab_add(fake_sheets *fs, const char *title)
{
    fs->tabs = srr_realloc(fs->tabs, (fs->ntabs + 1) * sizeof(tab));
    memset(&fs->tabs[fs->ntabs], 0, sizeof(tab));
    fs->tabs[fs->ntabs].title = srr_strdup(title);
    fs->tabs[fs->ntabs].id = fs->next_tab_id++;
    return &fs->tabs[fs->ntabs++];
}

static void cell_set(tab *t, size_t r, size_t c, const char *v, int formula)
{
    row *rw;
    if (r >= t->nrows) {
        t->rows = srr_realloc(t->rows, (r + 1) * sizeof(row));
        memset(t->rows + t->nrows, 0, (r + 1 - t->nrows) * sizeof(row));
        t->nrows = r + 1;
    }
    rw = &t->rows[r];
    if (c >= rw->n) {
        rw->c = srr_realloc(rw->c, (c + 1) * sizeof(cell));
        memset(rw->c + rw->n, 0, (c + 1 - rw->n) * sizeof(cell));
        rw->n = c + 1;
    }
    free(rw->c[c].v);
    rw->c[c].v = srr_strdup(v);
    rw->c[c].formula = formula;
}

static const cell *cell_get(const tab *t, size_t r, size_t c)
{
    if (r >= t->nrows || c >= t->rows[r].n || !t->rows[r].c[c].v)
        return NULL;
    return &t->rows[r].c[c];
}

static size_t row_used(const row *rw)
{
    size_t n = rw->n;
    while (n > 0 && (!rw->c[n - 1].v || !*rw->c[n - 1].v))
        n--;
    return n;
}

static size_t tab_used(const tab *t)
{
    size_t n = t->nrows;
    while (n > 0 && row_used(&t->rows[n - 1]) == 0)
        n--;
    return n;
}

/* What FORMATTED_VALUE shows: a formula's result ("=2+3" → "5"), else the text. */
static char *formatted(const cell *c)
{
    long a, b;
    char tail;
    if (!c)
        return srr_strdup("");
    if (!c->formula)
        return srr_strdup(c->v);
    if (sscanf(c->v, "=%ld+%ld%c", &a, &b, &tail) == 2)
        return srr_asprintf("%ld", a + b);
    return srr_strdup("#NAME?");
}

/* ---- A1 notation ------------------------------------------------------------ */

static const char *parse_ref(const char *p, long *col, long *rw)
{
    long c = 0, r = 0;
    int letters = 0, digits = 0;
    while (*p >= 'A' && *p <= 'Z') {
        c = c * 26 + (*p++ - 'A' + 1);
        letters++;
    }
    while (*p >= '0' && *p <= '9') {
        r = r * 10 + (*p++ - '0');
        digits++;
    }
    *col = letters ? c - 1 : -1;
    *rw = digits ? r - 1 : -1;
    return (letters || digits) ? p : NULL;
}

/* Parses "'My tab'!A1:N", "SRR!A2:N2", "SRR", "A1:B2". Returns 0 or -1. */
static int parse_a1(fake_sheets *fs, const char *s, a1 *out)
{
    const char *bang = strrchr(s, '!'), *cells = s;
    char name[128];
    size_t n = 0;
    memset(out, 0, sizeof(*out));
    if (bang) {
        const char *p = s, *end = bang;
        if (*p == '\'') {
            p++;
            end--;
            if (end < p || *end != '\'')
                return -1;
        }
        while (p < end && n + 1 < sizeof(name)) {
            if (*p == '\'' && p + 1 < end && p[1] == '\'')
                p++;
            name[n++] = *p++;
        }
        name[n] = '\0';
        out->t = tab_find(fs, name);
        cells = bang + 1;
    } else {
        long c, r;
        const char *e = parse_ref(s, &c, &r);
        if (!e || (*e && *e != ':')) { /* a bare tab name */
            out->t = tab_find(fs, s);
            out->r0 = out->c0 = 0;
            out->r1 = out->c1 = -1;
            return out->t ? 0 : -1;
        }
        out->t = tab_find(fs, NULL);
    }
    if (!out->t)
        return -1;
    if (!*cells) {
        out->r1 = out->c1 = -1;
        return 0;
    }
    {
        const char *e = parse_ref(cells, &out->c0, &out->r0);
        if (!e)
            return -1;
        if (out->c0 < 0)
            out->c0 = 0;
        if (out->r0 < 0)
            out->r0 = 0;
        out->c1 = out->c0;
        out->r1 = out->r0;
        if (*e == ':') {
            e = parse_ref(e + 1, &out->c1, &out->r1);
            if (!e)
                return -1;
        }
        return *e ? -1 : 0;
    }
}

/* ---- answers ----------------------------------------------------------------- */

static void g_error(fake_http_resp *resp, int code, const char *status, const char *msg)
{
    fake_http_reply_json(
        resp, code, "application/json; charset=UTF-8",
        json_pack("{s:{s:i, s:s, s:s}}", "error", "code", code, "message", msg, "status", status));
}

static void reply_json(fake_http_resp *resp, json_t *j)
{
    fake_http_reply_json(resp, 200, "application/json; charset=UTF-8", j);
}

/* Counts one request against its quota; answers 429 and returns 1 past it. */
static int over_quota(fake_sheets *fs, int write, fake_http_resp *resp)
{
    long long idx = now_ms() / fs->q_window_ms;
    if (idx != fs->q_index) {
        fs->q_index = idx;
        fs->used_reads = fs->used_writes = 0;
    }
    if (write ? ++fs->used_writes > fs->q_writes : ++fs->used_reads > fs->q_reads) {
        fs->over++;
        g_error(resp, 429, "RESOURCE_EXHAUSTED",
                write ? "Quota exceeded for quota metric 'Write requests' and limit 'Write "
                        "requests per minute per user'"
                      : "Quota exceeded for quota metric 'Read requests' and limit 'Read "
                        "requests per minute per user'");
        return 1;
    }
    return 0;
}

static int authorized(fake_sheets *fs, const fake_http_req *req)
{
    const char *h = fake_http_req_header(req, "Authorization");
    long long now = now_ms();
    if (!h || strncmp(h, "Bearer ", 7) != 0)
        return 0;
    for (size_t i = 0; i < fs->ntoks; i++)
        if (strcmp(fs->toks[i].tok, h + 7) == 0)
            return fs->toks[i].expires_ms > now;
    return 0;
}

/* Stores one value as valueInputOption says. */
static void put_value(tab *t, size_t r, size_t c, const json_t *v, int user_entered)
{
    char buf[64];
    const char *s = json_string_value(v);
    if (json_is_null(v))
        return;
    if (json_is_number(v)) {
        snprintf(buf, sizeof(buf), "%.15g", json_number_value(v));
        s = buf;
    } else if (json_is_boolean(v)) {
        s = json_is_true(v) ? "TRUE" : "FALSE";
    }
    if (!s)
        s = "";
    if (user_entered && s[0] == '=')
        cell_set(t, r, c, s, 1);
    else if (user_entered && s[0] == '\'')
        cell_set(t, r, c, s + 1, 0);
    else
        cell_set(t, r, c, s, 0);
}

/* Writes a ValueRange's rows at the range's top-left. Returns cells written, -1 bad. */
static long write_values(tab *t, const a1 *at, const json_t *values, int user_entered)
{
    long cells = 0;
    size_t i, j;
    json_t *rw, *v;
    if (!json_is_array(values))
        return -1;
    json_array_foreach(values, i, rw)
    {
        if (!json_is_array(rw))
            return -1;
        json_array_foreach(rw, j, v)
        {
            put_value(t, (size_t)at->r0 + i, (size_t)at->c0 + j, v, user_entered);
            cells++;
        }
    }
    return cells;
}

/* Google refuses a write with a cell over 50,000 characters (whatever
 * else it holds: nothing is written). 1 when `values` has one. */
static int cell_too_long(const json_t *values)
{
    json_t *rw, *v;
    size_t i, j;
    json_array_foreach(values, i, rw)
    {
        json_array_foreach(rw, j, v)
        {
            const char *s = json_string_value(v);
            size_t n = 0;
            for (; s && *s; s++)
                n += ((unsigned char)*s & 0xC0) != 0x80;
            if (n > 50000)
                return 1;
        }
    }
    return 0;
}

#define CELL_LIMIT_MSG                                                                             \
    "Your input contains more than the maximum of 50000 characters in a single cell."

static int input_option(const char *opt, fake_http_resp *resp)
{
    if (opt && strcmp(opt, "RAW") == 0)
        return 0;
    if (opt && strcmp(opt, "USER_ENTERED") == 0)
        return 1;
    g_error(resp, 400, "INVALID_ARGUMENT",
            "Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED");
    return -1;
}

static void values_get(fake_sheets *fs, const fake_http_req *req, const char *range,
                       fake_http_resp *resp)
{
    const char *render = fake_http_req_arg(req, "valueRenderOption");
    int raw = render && strcmp(render, "FORMULA") == 0;
    json_t *vals = json_array(), *ans;
    size_t used, last;
    a1 at;
    if (parse_a1(fs, range, &at) != 0) {
        g_error(resp, 400, "INVALID_ARGUMENT", "Unable to parse range");
        json_decref(vals);
        return;
    }
    used = tab_used(at.t);
    last = at.r1 < 0 || (size_t)at.r1 + 1 > used ? used : (size_t)at.r1 + 1;
    for (size_t r = (size_t)at.r0; r < last; r++) {
        json_t *rw = json_array();
        size_t ru = row_used(&at.t->rows[r]);
        size_t cl = at.c1 < 0 || (size_t)at.c1 + 1 > ru ? ru : (size_t)at.c1 + 1;
        for (size_t c = (size_t)at.c0; c < cl; c++) {
            const cell *ce = cell_get(at.t, r, c);
            char *txt = raw ? srr_strdup(ce ? ce->v : "") : formatted(ce);
            json_array_append_new(rw, json_string(txt));
            free(txt);
        }
        json_array_append_new(vals, rw);
    }
    ans = json_pack("{s:s, s:s}", "range", range, "majorDimension", "ROWS");
    if (json_array_size(vals))
        json_object_set(ans, "values", vals);
    json_decref(vals);
    reply_json(resp, ans);
}

static void values_batch_update(fake_sheets *fs, const fake_http_req *req, fake_http_resp *resp)
{
    json_t *body = json_loadb(req->body, req->body_len, 0, NULL), *d;
    int ue = input_option(json_string_value(json_object_get(body, "valueInputOption")), resp);
    long total = 0;
    size_t i;
    if (ue < 0 || !json_is_array(json_object_get(body, "data"))) {
        if (ue >= 0)
            g_error(resp, 400, "INVALID_ARGUMENT", "Invalid JSON payload: data");
        json_decref(body);
        return;
    }
    json_array_foreach(json_object_get(body, "data"), i, d)
    {
        if (cell_too_long(json_object_get(d, "values"))) {
            g_error(resp, 400, "INVALID_ARGUMENT", CELL_LIMIT_MSG);
            json_decref(body);
            return;
        }
    }
    json_array_foreach(json_object_get(body, "data"), i, d)
    {
        const char *range = json_string_value(json_object_get(d, "range"));
        a1 at;
        long n;
        if (parse_a1(fs, range ? range : "", &at) != 0 ||
            (n = write_values(at.t, &at, json_object_get(d, "values"), ue)) < 0) {
            g_error(resp, 400, "INVALID_ARGUMENT", "Unable to parse range or values");
            json_decref(body);
            return;
        }
        total += n;
    }
    reply_json(resp,
               json_pack("{s:s, s:i, s:I}", "spreadsheetId", FAKE_SHEETS_ID, "totalUpdatedRanges",
                         (int)i, "totalUpdatedCells", (json_int_t)total));
    json_decref(body);
}

static void values_append(fake_sheets *fs, const fake_http_req *req, const char *range,
                          fake_http_resp *resp)
{
    json_t *body = json_loadb(req->body, req->body_len, 0, NULL);
    int ue = input_option(fake_http_req_arg(req, "valueInputOption"), resp);
    json_t *vals = json_object_get(body, "values");
    a1 at;
    long n;
    size_t first, rows;
    char *upd;
    if (ue < 0) {
        json_decref(body);
        return;
    }
    if (parse_a1(fs, range, &at) != 0 || !json_is_array(vals)) {
        g_error(resp, 400, "INVALID_ARGUMENT", "Unable to parse range or values");
        json_decref(body);
        return;
    }
    if (cell_too_long(vals)) {
        g_error(resp, 400, "INVALID_ARGUMENT", CELL_LIMIT_MSG);
        json_decref(body);
        return;
    }
    first = tab_used(at.t); /* the table ends at the last non-empty row */
    at.r0 = (long)first;
    n = write_values(at.t, &at, vals, ue);
    rows = json_array_size(vals);
    upd = srr_asprintf("'%s'!A%zu:Z%zu", at.t->title, first + 1, first + rows);
    reply_json(resp, json_pack("{s:s, s:s, s:{s:s, s:i, s:I}}", "spreadsheetId", FAKE_SHEETS_ID,
                               "tableRange", "", "updates", "updatedRange", upd, "updatedRows",
                               (int)rows, "updatedCells", (json_int_t)n));
    free(upd);
    json_decref(body);
}

static void spreadsheet_get(fake_sheets *fs, fake_http_resp *resp)
{
    json_t *sheets = json_array();
    for (size_t i = 0; i < fs->ntabs; i++)
        json_array_append_new(sheets, json_pack("{s:{s:i, s:s, s:i}}", "properties", "sheetId",
                                                fs->tabs[i].id, "title", fs->tabs[i].title, "index",
                                                (int)i));
    reply_json(resp, json_pack("{s:s, s:o}", "spreadsheetId", FAKE_SHEETS_ID, "sheets", sheets));
}

static void spreadsheet_batch_update(fake_sheets *fs, const fake_http_req *req,
                                     fake_http_resp *resp)
{
    json_t *body = json_loadb(req->body, req->body_len, 0, NULL), *rq, *replies = json_array();
    size_t i;
    json_array_foreach(json_object_get(body, "requests"), i, rq)
    {
        const char *title = json_string_value(json_object_get(
            json_object_get(json_object_get(rq, "addSheet"), "properties"), "title"));
        tab *t;
        if (!title) {
            g_error(resp, 400, "INVALID_ARGUMENT", "only addSheet is supported by the fake");
            goto out;
        }
        if (tab_find(fs, title)) {
            char *m = srr_asprintf("Invalid requests[%zu].addSheet: A sheet with the name \"%s\" "
                                   "already exists. Please enter another name.",
                                   i, title);
            g_error(resp, 400, "INVALID_ARGUMENT", m);
            free(m);
            goto out;
        }
        t = tab_add(fs, title);
        json_array_append_new(replies, json_pack("{s:{s:{s:i, s:s}}}", "addSheet", "properties",
                                                 "sheetId", t->id, "title", t->title));
    }
    reply_json(resp, json_pack("{s:s, s:O}", "spreadsheetId", FAKE_SHEETS_ID, "replies", replies));
out:
    json_decref(replies);
    json_decref(body);
}

/* ---- the token endpoint -------------------------------------------------------- */

static unsigned char *b64url_decode(const char *s, size_t n, size_t *outlen)
{
    size_t padded = (n + 3) / 4 * 4, pad = padded - n;
    char *tmp = srr_malloc(padded + 1);
    unsigned char *out = srr_malloc(padded / 4 * 3 + 1);
    int len;
    for (size_t i = 0; i < n; i++)
        tmp[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
    memset(tmp + n, '=', pad);
    tmp[padded] = '\0';
    len = EVP_DecodeBlock(out, (unsigned char *)tmp, (int)padded);
    free(tmp);
    if (len < 0 || pad == 3) {
        free(out);
        return NULL;
    }
    *outlen = (size_t)len - pad;
    out[*outlen] = '\0';
    return out;
}

static char *form_value(const char *body, const char *key)
{
    size_t kl = strlen(key);
    for (const char *p = body; p && *p;) {
        const char *amp = strchr(p, '&');
        if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
            const char *v = p + kl + 1, *e = amp ? amp : v + strlen(v);
            char *out = srr_malloc((size_t)(e - v) + 1);
            size_t j = 0;
            for (; v < e; v++) {
                unsigned hex;
                if (*v == '%' && e - v >= 3 && sscanf(v + 1, "%2x", &hex) == 1) {
                    out[j++] = (char)hex;
                    v += 2;
                } else {
                    out[j++] = *v == '+' ? ' ' : *v;
                }
            }
            out[j] = '\0';
            return out;
        }
        p = amp ? amp + 1 : NULL;
    }
    return NULL;
}

static int scope_ok(const char *scope)
{
    static const char *const ok[] = {"https://www.googleapis.com/auth/spreadsheets",
                                     "https://www.googleapis.com/auth/drive",
                                     "https://www.googleapis.com/auth/drive.file", NULL};
    for (const char *p = scope; p && *p;) {
        const char *sp = strchr(p, ' ');
        size_t n = sp ? (size_t)(sp - p) : strlen(p);
        for (size_t i = 0; ok[i]; i++)
            if (strlen(ok[i]) == n && strncmp(p, ok[i], n) == 0)
                return 1;
        p = sp ? sp + 1 : NULL;
    }
    return 0;
}

/* Checks the assertion; returns NULL when good, else Google's description. */
static const char *check_jwt(fake_sheets *fs, const char *jwt, const char **code)
{
    const char *d1 = strchr(jwt, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    unsigned char *hdr = NULL, *claims = NULL, *sig = NULL;
    size_t hl = 0, cl = 0, sl = 0;
    json_t *h = NULL, *c = NULL;
    const char *bad = NULL;
    long long now = now_ms() / 1000, iat, exp;
    EVP_MD_CTX *ctx;
    *code = "invalid_grant";
    if (!d1 || !d2 || !(hdr = b64url_decode(jwt, (size_t)(d1 - jwt), &hl)) ||
        !(claims = b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &cl)) ||
        !(sig = b64url_decode(d2 + 1, strlen(d2 + 1), &sl)) ||
        !(h = json_loadb((char *)hdr, hl, 0, NULL)) ||
        !(c = json_loadb((char *)claims, cl, 0, NULL))) {
        bad = "Invalid JWT: not three base64url JSON parts";
        goto out;
    }
    if (!json_is_string(json_object_get(h, "alg")) ||
        strcmp(json_string_value(json_object_get(h, "alg")), "RS256") != 0) {
        bad = "Invalid JWT: alg must be RS256";
        goto out;
    }
    ctx = EVP_MD_CTX_new();
    if (EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, fs->pub) != 1 ||
        EVP_DigestVerify(ctx, sig, sl, (const unsigned char *)jwt, (size_t)(d2 - jwt)) != 1)
        bad = "Invalid JWT Signature.";
    EVP_MD_CTX_free(ctx);
    if (bad)
        goto out;
    iat = json_integer_value(json_object_get(c, "iat"));
    exp = json_integer_value(json_object_get(c, "exp"));
    if (!json_is_string(json_object_get(c, "iss")) ||
        strcmp(json_string_value(json_object_get(c, "iss")), FAKE_SHEETS_EMAIL) != 0)
        bad = "Invalid grant: account not found";
    else if (!json_is_string(json_object_get(c, "aud")) ||
             strcmp(json_string_value(json_object_get(c, "aud")), fs->token_url) != 0)
        bad = "Invalid JWT: Failed audience check.";
    else if (!json_is_integer(json_object_get(c, "iat")) || iat > now + 60 || exp <= now ||
             exp - iat > 3600)
        bad = "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
              "timeframe. Check your iat and exp values in the JWT claim.";
    else if (!scope_ok(json_string_value(json_object_get(c, "scope")))) {
        bad = "The scope does not allow Sheets.";
        *code = "invalid_scope";
    }
out:
    json_decref(h);
    json_decref(c);
    free(hdr);
    free(claims);
    free(sig);
    return bad;
}

static void token_endpoint(fake_sheets *fs, const fake_http_req *req, fake_http_resp *resp)
{
    const char *ct = fake_http_req_header(req, "Content-Type");
    char *grant = form_value(req->body, "grant_type"),
         *assertion = form_value(req->body, "assertion");
    const char *bad = NULL, *code = "invalid_request";
    if (!ct || strncmp(ct, "application/x-www-form-urlencoded", 33) != 0)
        bad = "Content-Type must be application/x-www-form-urlencoded";
    else if (!grant || strcmp(grant, "urn:ietf:params:oauth:grant-type:jwt-bearer") != 0) {
        bad = "Invalid grant_type";
        code = "unsupported_grant_type";
    } else if (!assertion)
        bad = "Missing required parameter: assertion";
    else
        bad = check_jwt(fs, assertion, &code);
    if (bad) {
        fs->refused++;
        fake_http_reply_json(resp, 400, "application/json; charset=utf-8",
                             json_pack("{s:s, s:s}", "error", code, "error_description", bad));
    } else {
        token *t;
        fs->toks = srr_realloc(fs->toks, (fs->ntoks + 1) * sizeof(token));
        t = &fs->toks[fs->ntoks++];
        t->tok = srr_asprintf("ya29.fake-%u-%lld", ++fs->issued, now_ms());
        t->expires_ms = now_ms() + (long long)fs->token_life_s * 1000;
        fake_http_replyf(resp, 200, "application/json; charset=utf-8",
                         "{\"access_token\":\"%s\",\"expires_in\":%d,\"token_type\":\"Bearer\"}",
                         t->tok, fs->token_life_s);
    }
    free(grant);
    free(assertion);
}

/* ---- routing ------------------------------------------------------------------- */

static void handle(void *ud, const fake_http_req *req, fake_http_resp *resp)
{
    static const char prefix[] = "/v4/spreadsheets/";
    fake_sheets *fs = ud;
    const char *rest, *sep;
    int get = strcmp(req->method, "GET") == 0;
    pthread_mutex_lock(&fs->mu);
    if (strcmp(req->path, "/token") == 0 && !get) {
        token_endpoint(fs, req, resp);
        goto done;
    }
    if (strncmp(req->path, prefix, sizeof(prefix) - 1) != 0) {
        g_error(resp, 404, "NOT_FOUND", "fake_sheets: no such method");
        goto done;
    }
    if (!authorized(fs, req)) {
        g_error(resp, 401, "UNAUTHENTICATED",
                "Request had invalid authentication credentials. Expected OAuth 2 access token.");
        goto done;
    }
    if (over_quota(fs, !get, resp))
        goto done;
    rest = req->path + sizeof(prefix) - 1;
    sep = rest + strcspn(rest, "/:");
    if ((size_t)(sep - rest) != strlen(FAKE_SHEETS_ID) ||
        strncmp(rest, FAKE_SHEETS_ID, (size_t)(sep - rest)) != 0) {
        g_error(resp, 404, "NOT_FOUND", "Requested entity was not found.");
    } else if (!*sep && get) {
        spreadsheet_get(fs, resp);
    } else if (strcmp(sep, ":batchUpdate") == 0 && !get) {
        spreadsheet_batch_update(fs, req, resp);
    } else if (strcmp(sep, "/values:batchUpdate") == 0 && !get) {
        values_batch_update(fs, req, resp);
    } else if (strncmp(sep, "/values/", 8) == 0) {
        char *range = srr_strdup(sep + 8);
        size_t n = strlen(range);
        if (!get && n > 7 && strcmp(range + n - 7, ":append") == 0) {
            range[n - 7] = '\0';
            values_append(fs, req, range, resp);
        } else if (get) {
            values_get(fs, req, range, resp);
        } else {
            g_error(resp, 404, "NOT_FOUND", "fake_sheets: values.update is not supported");
        }
        free(range);
    } else {
        g_error(resp, 404, "NOT_FOUND", "fake_sheets: no such method");
    }
done:
    pthread_mutex_unlock(&fs->mu);
}

fake_sheets *fake_sheets_start(const char *pub_pem)
{
    fake_sheets *fs = srr_calloc(1, sizeof(*fs));
    BIO *bio = BIO_new_mem_buf(pub_pem, -1);
    pthread_mutex_init(&fs->mu, NULL);
    fs->pub = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    fs->token_life_s = 3600;
    fs->q_reads = fs->q_writes = 60;
    fs->q_window_ms = 60000;
    fs->next_tab_id = 0;
    tab_add(fs, "Sheet1");
    fs->http = fs->pub ? fake_http_start(handle, fs) : NULL;
    if (!fs->http) {
        fprintf(stderr, "fake_sheets: %s\n", fs->pub ? "cannot start" : "bad public key");
        fake_sheets_stop(&fs);
        return NULL;
    }
    snprintf(fs->token_url, sizeof(fs->token_url), "%s/token", fake_http_url(fs->http));
    return fs;
}

void fake_sheets_stop(fake_sheets **fsp)
{
    fake_sheets *fs;
    if (!fsp || !*fsp)
        return;
    fs = *fsp;
    fake_http_stop(&fs->http);
    for (size_t i = 0; i < fs->ntabs; i++) {
        for (size_t r = 0; r < fs->tabs[i].nrows; r++) {
            for (size_t c = 0; c < fs->tabs[i].rows[r].n; c++)
                free(fs->tabs[i].rows[r].c[c].v);
            free(fs->tabs[i].rows[r].c);
        }
        free(fs->tabs[i].rows);
        free(fs->tabs[i].title);
    }
    free(fs->tabs);
    for (size_t i = 0; i < fs->ntoks; i++)
        free(fs->toks[i].tok);
    free(fs->toks);
    EVP_PKEY_free(fs->pub);
    pthread_mutex_destroy(&fs->mu);
    free(fs);
    *fsp = NULL;
}

const char *fake_sheets_url(fake_sheets *fs)
{
    return fake_http_url(fs->http);
}

const char *fake_sheets_token_url(fake_sheets *fs)
{
    return fs->token_url;
}

fake_http *fake_sheets_http(fake_sheets *fs)
{
    return fs->http;
}

#define LOCKED(fs, stmt)                                                                           \
    do {                                                                                           \
        pthread_mutex_lock(&(fs)->mu);                                                             \
        stmt;                                                                                      \
        pthread_mutex_unlock(&(fs)->mu);                                                           \
    } while (0)

void fake_sheets_set_token_life(fake_sheets *fs, int seconds)
{
    LOCKED(fs, fs->token_life_s = seconds);
}

void fake_sheets_expire_tokens(fake_sheets *fs)
{
    LOCKED(fs, for (size_t i = 0; i < fs->ntoks; i++) fs->toks[i].expires_ms = 0);
}

unsigned fake_sheets_tokens_issued(fake_sheets *fs)
{
    unsigned n;
    LOCKED(fs, n = fs->issued);
    return n;
}

unsigned fake_sheets_grants_refused(fake_sheets *fs)
{
    unsigned n;
    LOCKED(fs, n = fs->refused);
    return n;
}

void fake_sheets_set_quota(fake_sheets *fs, unsigned reads, unsigned writes, long window_ms)
{
    LOCKED(fs, {
        fs->q_reads = reads;
        fs->q_writes = writes;
        fs->q_window_ms = window_ms > 0 ? window_ms : 60000;
        fs->q_index = 0;
    });
}

unsigned fake_sheets_over_quota(fake_sheets *fs)
{
    unsigned n;
    LOCKED(fs, n = fs->over);
    return n;
}

void fake_sheets_add_tab(fake_sheets *fs, const char *title)
{
    LOCKED(fs, if (!tab_find(fs, title)) tab_add(fs, title));
}

size_t fake_sheets_rows(fake_sheets *fs, const char *title)
{
    size_t n = 0;
    LOCKED(fs, {
        tab *t = tab_find(fs, title);
        n = t ? tab_used(t) : 0;
    });
    return n;
}

char *fake_sheets_cell(fake_sheets *fs, const char *title, size_t r, size_t c, int *is_formula)
{
    char *out = NULL;
    LOCKED(fs, {
        tab *t = tab_find(fs, title);
        const cell *ce = t && r >= 1 ? cell_get(t, r - 1, c) : NULL;
        if (t)
            out = srr_strdup(ce ? ce->v : "");
        if (is_formula)
            *is_formula = ce ? ce->formula : 0;
    });
    return out;
}

void fake_sheets_person_edit(fake_sheets *fs, const char *title, size_t r, size_t c,
                             const char *text)
{
    LOCKED(fs, {
        tab *t = tab_find(fs, title);
        if (t && r >= 1)
            cell_set(t, r - 1, c, text, 0);
    });
}

static size_t g_sort_col;
static int g_sort_desc;

static int row_cmp(const void *a, const void *b)
{
    const row *x = a, *y = b;
    const char *s = g_sort_col < x->n && x->c[g_sort_col].v ? x->c[g_sort_col].v : "";
    const char *t = g_sort_col < y->n && y->c[g_sort_col].v ? y->c[g_sort_col].v : "";
    int r = strcmp(s, t);
    return g_sort_desc ? -r : r;
}

void fake_sheets_person_sort(fake_sheets *fs, const char *title, size_t col, int desc)
{
    LOCKED(fs, {
        tab *t = tab_find(fs, title);
        size_t used = t ? tab_used(t) : 0;
        if (used > 2) {
            g_sort_col = col; /* under the fake's mutex: one sort at a time */
            g_sort_desc = desc;
            qsort(t->rows + 1, used - 1, sizeof(row), row_cmp);
        }
    });
}

/* Row r (from 2) holds `text` in column `col`. */
static int cell_reads(fake_sheets *fs, const char *title, size_t r, size_t col, const char *text)
{
    char *v = fake_sheets_cell(fs, title, r, col, NULL);
    int hit = v && strcmp(v, text) == 0;
    free(v);
    return hit;
}

size_t fake_sheets_row_with(fake_sheets *fs, const char *title, size_t col, const char *text)
{
    size_t n = fake_sheets_rows(fs, title);
    for (size_t r = 2; r <= n; r++)
        if (cell_reads(fs, title, r, col, text))
            return r;
    return 0;
}

size_t fake_sheets_count_with(fake_sheets *fs, const char *title, size_t col, const char *text)
{
    size_t n = fake_sheets_rows(fs, title), hits = 0;
    for (size_t r = 2; r <= n; r++)
        hits += (size_t)cell_reads(fs, title, r, col, text);
    return hits;
}
