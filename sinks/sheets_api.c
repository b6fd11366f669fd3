/* SPDX-License-Identifier: Apache-2.0
 *
 * sheets_api.c - the Sheets v4 calls of sheets_api.h over http.h. One
 * function sends a request with the bearer token (refreshing it once on a
 * 401) and turns Google's error model ({"error":{code,message,status}})
 * into srr codes; the calls and the upsert are built on it.
 */
#include "sheets_api.h"

#include <stdlib.h>
#include <string.h>

struct srr_sheets {
    char *base; /* ".../v4/spreadsheets/<escaped id>" */
    srr_gtoken *token;
    srr_http_opts http;
    srr_http_gate gate;
};

srr_rc srr_sheets_create(const srr_sheets_opts *o, srr_sheets **out, srr_error *err)
{
    srr_sheets *sh;
    char *id, *api;
    size_t n;
    *out = NULL;
    if (!o->spreadsheet_id || !*o->spreadsheet_id || !o->token)
        return srr_error_set(err, SRR_EINVAL, "sheets: a spreadsheet id and a token are needed");
    sh = srr_calloc(1, sizeof(*sh));
    api = srr_strdup(o->api_url && *o->api_url ? o->api_url : "https://sheets.googleapis.com");
    n = strlen(api);
    while (n > 0 && api[n - 1] == '/')
        api[--n] = '\0';
    id = srr_http_escape(o->spreadsheet_id);
    sh->base = srr_asprintf("%s/v4/spreadsheets/%s", api, id);
    free(id);
    free(api);
    sh->token = o->token;
    sh->http = o->http;
    srr_http_gate_init(&sh->gate, o->min_interval_ms, 1000, 64000);
    *out = sh;
    return SRR_OK;
}

void srr_sheets_destroy(srr_sheets **shp)
{
    if (!shp || !*shp)
        return;
    free((*shp)->base);
    free(*shp);
    *shp = NULL;
}

int64_t srr_sheets_retry_at_ms(const srr_sheets *sh)
{
    return srr_http_gate_ready_at(&sh->gate, srr_http_now_ms());
}

static void col_name(int col, char out[8])
{
    char tmp[8];
    int n = 0, i = 0;
    col++;
    while (col > 0 && n < 7) {
        int rem = (col - 1) % 26;
        tmp[n++] = (char)('A' + rem);
        col = (col - 1) / 26;
    }
    while (n > 0)
        out[i++] = tmp[--n];
    out[i] = '\0';
}

char *srr_sheets_range(const char *sheet, int col1, long row1, int col2, long row2)
{
    srr_buf b;
    char c1[8], c2[8];
    srr_buf_init(&b, 0);
    srr_buf_append(&b, "'", 1);
    for (const char *p = sheet; *p; p++) {
        if (*p == '\'')
            srr_buf_append(&b, "''", 2); /* a quote inside the name is doubled */
        else
            srr_buf_append(&b, p, 1);
    }
    col_name(col1, c1);
    col_name(col2, c2);
    if (row2 > 0)
        srr_buf_printf(&b, "'!%s%ld:%s%ld", c1, row1, c2, row2);
    else
        srr_buf_printf(&b, "'!%s%ld:%s", c1, row1, c2);
    return srr_buf_steal(&b);
}

/* Google's error body → message; returns the srr code for the status. */
static srr_rc google_error(const char *what, const srr_http_resp *r, srr_error *err)
{
    json_t *j = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, NULL);
    json_t *e = json_object_get(j, "error");
    const char *status = json_string_value(json_object_get(e, "status"));
    const char *msg = json_string_value(json_object_get(e, "message"));
    srr_rc rc = srr_http_status_rc(r->status);
    rc = srr_error_set(err, rc, "sheets %s: HTTP %ld %s%s%.300s", what, r->status,
                       status ? status : "", msg ? ": " : "", msg ? msg : "");
    json_decref(j);
    return rc;
}

/* Sends one request; on success *ans holds the parsed JSON answer (may be
 * NULL for an empty body). Refreshes the token once on a 401. */
static srr_rc call(srr_sheets *sh, const char *what, const char *method, const char *url,
                   const json_t *body, json_t **ans, srr_error *err)
{
    char *payload = body ? json_dumps(body, JSON_COMPACT) : NULL;
    srr_rc rc = SRR_OK;
    if (ans)
        *ans = NULL;
    rc = srr_http_gate_enter(&sh->gate, sh->gate.min_interval_ms, err);
    if (rc != SRR_OK) {
        srr_error_prefix(err, "sheets %s", what);
        free(payload);
        return rc;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        const char *tok = NULL;
        char *auth;
        srr_http_resp r;
        rc = srr_gtoken_get(sh->token, &tok, err);
        if (rc != SRR_OK) {
            srr_http_gate_done(&sh->gate, rc, -1, srr_http_now_ms());
            break;
        }
        auth = srr_asprintf("Authorization: Bearer %s", tok);
        {
            const char *hdrs[] = {auth, "Accept: application/json",
                                  "Content-Type: application/json; charset=utf-8", NULL};
            rc = srr_http_request(&sh->http, method, url, hdrs, payload,
                                  payload ? strlen(payload) : 0, &r, err);
        }
        free(auth);
        if (rc == SRR_OK && r.status == 401 && attempt == 0) {
            srr_gtoken_invalidate(sh->token); /* expired or revoked: one fresh token */
            srr_http_resp_free(&r);
            continue;
        }
        if (rc != SRR_OK)
            srr_error_prefix(err, "sheets %s", what);
        else if (r.status < 200 || r.status >= 300)
            rc = google_error(what, &r, err);
        else if (ans && r.body.len)
            *ans = json_loadb(r.body.data, r.body.len, 0, NULL);
        srr_http_gate_done(&sh->gate, rc, r.retry_after_ms, srr_http_now_ms());
        srr_http_resp_free(&r);
        break;
    }
    free(payload);
    return rc;
}

srr_rc srr_sheets_get(srr_sheets *sh, const char *range, json_t **rows, srr_error *err)
{
    char *er = srr_http_escape(range);
    char *url = srr_asprintf("%s/values/%s?majorDimension=ROWS&valueRenderOption=FORMATTED_VALUE",
                             sh->base, er);
    json_t *ans = NULL, *v;
    srr_rc rc = call(sh, "values.get", "GET", url, NULL, &ans, err);
    free(url);
    free(er);
    *rows = NULL;
    if (rc != SRR_OK)
        return rc;
    v = json_object_get(ans, "values");
    *rows = json_is_array(v) ? json_incref(v) : json_array();
    json_decref(ans);
    return SRR_OK;
}

srr_rc srr_sheets_batch_update(srr_sheets *sh, const json_t *data, srr_error *err)
{
    char *url = srr_asprintf("%s/values:batchUpdate", sh->base);
    json_t *body = json_pack("{s:s, s:O, s:b}", "valueInputOption", "RAW", "data", data,
                             "includeValuesInResponse", 0);
    srr_rc rc = call(sh, "values.batchUpdate", "POST", url, body, NULL, err);
    json_decref(body);
    free(url);
    return rc;
}

srr_rc srr_sheets_append(srr_sheets *sh, const char *range, const json_t *rows,
                         char **updated_range, srr_error *err)
{
    char *er = srr_http_escape(range);
    char *url = srr_asprintf(
        "%s/values/%s:append?valueInputOption=RAW&insertDataOption=INSERT_ROWS", sh->base, er);
    json_t *body =
        json_pack("{s:s, s:s, s:O}", "range", range, "majorDimension", "ROWS", "values", rows);
    json_t *ans = NULL;
    srr_rc rc = call(sh, "values.append", "POST", url, body, &ans, err);
    if (updated_range)
        *updated_range = NULL;
    if (rc == SRR_OK && updated_range) {
        const char *u =
            json_string_value(json_object_get(json_object_get(ans, "updates"), "updatedRange"));
        *updated_range = srr_strdup(u);
    }
    json_decref(ans);
    json_decref(body);
    free(url);
    free(er);
    return rc;
}

srr_rc srr_sheets_ensure_sheet(srr_sheets *sh, const char *title, srr_error *err)
{
    char *url = srr_asprintf("%s?fields=sheets.properties.title", sh->base);
    json_t *ans = NULL, *s, *body;
    size_t i;
    srr_rc rc = call(sh, "spreadsheets.get", "GET", url, NULL, &ans, err);
    free(url);
    if (rc != SRR_OK)
        return rc;
    json_array_foreach(json_object_get(ans, "sheets"), i, s)
    {
        const char *t =
            json_string_value(json_object_get(json_object_get(s, "properties"), "title"));
        if (t && strcmp(t, title) == 0) {
            json_decref(ans);
            return SRR_OK;
        }
    }
    json_decref(ans);
    url = srr_asprintf("%s:batchUpdate", sh->base);
    body = json_pack("{s:[{s:{s:{s:s}}}]}", "requests", "addSheet", "properties", "title", title);
    rc = call(sh, "spreadsheets.batchUpdate", "POST", url, body, NULL, err);
    json_decref(body);
    free(url);
    return rc;
}

/* The trimmed text of a cell (string, number or bool as Sheets returns). */
static const char *cell_text(const json_t *row, size_t i)
{
    const char *s = json_string_value(json_array_get(row, i));
    return s ? s : "";
}

static srr_rc check_rows(const json_t *rows, size_t ncols, srr_error *err)
{
    size_t i, j;
    json_t *row;
    if (!json_is_array(rows))
        return srr_error_set(err, SRR_EINVAL, "sheets upsert: rows is not an array");
    json_array_foreach(rows, i, row)
    {
        if (json_array_size(row) != ncols)
            return srr_error_set(err, SRR_EINVAL, "sheets upsert: row %zu has %zu cells, not %zu",
                                 i, json_array_size(row), ncols);
        for (j = 0; j < ncols; j++) {
            const json_t *v = json_array_get(row, j);
            if (!json_is_string(v) && !(j > 0 && json_is_number(v)))
                return srr_error_set(err, SRR_EINVAL,
                                     "sheets upsert: row %zu cell %zu is not text or a number", i,
                                     j);
        }
        if (!*cell_text(row, 0))
            return srr_error_set(err, SRR_EINVAL, "sheets upsert: row %zu has no ID", i);
    }
    return SRR_OK;
}

/* The 1-based sheet row holding `id` in column A, 0 when none; counts
 * duplicates into *dups. Row 1 (the header) is never a match. */
static long find_row(const json_t *table, const char *id, size_t *dups)
{
    long found = 0;
    for (size_t r = 1; r < json_array_size(table); r++) {
        if (strcmp(cell_text(json_array_get(table, r), 0), id) == 0) {
            if (found)
                (*dups)++;
            else
                found = (long)r + 1;
        }
    }
    return found;
}

srr_rc srr_sheets_read_table(srr_sheets *sh, const char *sheet, size_t ncols, json_t **table,
                             srr_error *err)
{
    char *range;
    srr_rc rc;
    *table = NULL;
    if (ncols == 0 || ncols > 702)
        return srr_error_set(err, SRR_EINVAL, "sheets: %zu columns", ncols);
    range = srr_sheets_range(sheet, 0, 1, (int)ncols - 1, 0);
    rc = srr_sheets_get(sh, range, table, err);
    free(range);
    return rc;
}

srr_rc srr_sheets_upsert(srr_sheets *sh, const char *sheet, const char *const *header, size_t ncols,
                         const json_t *rows, const json_t *table, srr_sheets_upsert_result *res,
                         srr_error *err)
{
    json_t *read = NULL, *data = json_array(), *fresh = json_array(), *row;
    char *range;
    size_t i;
    srr_rc rc;
    memset(res, 0, sizeof(*res));
    if (ncols == 0 || ncols > 702) {
        rc = srr_error_set(err, SRR_EINVAL, "sheets upsert: %zu columns", ncols);
        goto out;
    }
    if ((rc = check_rows(rows, ncols, err)) != SRR_OK)
        goto out;
    if (!table) {
        rc = srr_sheets_read_table(sh, sheet, ncols, &read, err);
        if (rc != SRR_OK)
            goto out;
        table = read;
    }
    if (json_array_size(table) == 0 && header) {
        json_t *h = json_array();
        for (i = 0; i < ncols; i++)
            json_array_append_new(h, json_string(header[i] ? header[i] : ""));
        range = srr_sheets_range(sheet, 0, 1, (int)ncols - 1, 1);
        json_array_append_new(data, json_pack("{s:s, s:[o]}", "range", range, "values", h));
        free(range);
        res->header_written = 1;
    }
    json_array_foreach(rows, i, row)
    {
        long at = find_row(table, cell_text(row, 0), &res->duplicates);
        if (!at) {
            json_array_append(fresh, row);
            continue;
        }
        range = srr_sheets_range(sheet, 0, at, (int)ncols - 1, at);
        json_array_append_new(data, json_pack("{s:s, s:[O]}", "range", range, "values", row));
        free(range);
        res->updated++;
    }
    if (json_array_size(data)) {
        rc = srr_sheets_batch_update(sh, data, err);
        if (rc != SRR_OK)
            goto out;
    }
    if (json_array_size(fresh)) {
        range = srr_sheets_range(sheet, 0, 1, (int)ncols - 1, 0);
        rc = srr_sheets_append(sh, range, fresh, NULL, err);
        free(range);
        if (rc != SRR_OK)
            goto out;
        res->appended = json_array_size(fresh);
    }
out:
    json_decref(read);
    json_decref(data);
    json_decref(fresh);
    return rc;
}
