/* SPDX-License-Identifier: Apache-2.0
 *
 * yaml.c - loads a YAML document with libyaml's event parser into the small
 * position-keeping node tree of yaml.h, and offers typed readers whose errors
 * name file:line:column.
 */
#include "yaml.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "srr.h"

typedef struct parse_ctx {
    yaml_parser_t parser;
    const char *file;
    srr_error *err;
} parse_ctx;

static srr_yaml_node *node_new(srr_yaml_type t, const yaml_event_t *ev, const char *file)
{
    srr_yaml_node *n = srr_calloc(1, sizeof(*n));
    n->type = t;
    n->line = (int)ev->start_mark.line + 1;
    n->col = (int)ev->start_mark.column + 1;
    n->file = file;
    return n;
}

static void node_free(srr_yaml_node *n)
{
    size_t i;
    if (!n)
        return;
    free(n->value);
    for (i = 0; n->type == SRR_YAML_SEQ && i < n->n; i++)
        node_free(n->items[i]);
    for (i = 0; n->type == SRR_YAML_MAP && i < n->n; i++) {
        free(n->pairs[i].key);
        node_free(n->pairs[i].value);
    }
    free(n->items);
    free(n->pairs);
    free(n);
}

static srr_rc parser_error(parse_ctx *c)
{
    yaml_parser_t *p = &c->parser;
    const yaml_mark_t *m = p->problem ? &p->problem_mark : &p->context_mark;
    return srr_error_at(c->err, SRR_EINVAL, c->file, (int)m->line + 1, (int)m->column + 1,
                        "YAML syntax error: %s%s%s", p->problem ? p->problem : "unknown",
                        p->context ? " " : "", p->context ? p->context : "");
}

static srr_rc next_event(parse_ctx *c, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&c->parser, ev))
        return parser_error(c);
    return SRR_OK;
}

static srr_rc parse_node(parse_ctx *c, yaml_event_t *ev, srr_yaml_node **out);

/* Parses the children of a sequence or map until its end event. */
static srr_rc parse_children(parse_ctx *c, srr_yaml_node *n)
{
    size_t cap = 0;
    for (;;) {
        yaml_event_t ev;
        srr_yaml_node *child = NULL;
        srr_rc rc = next_event(c, &ev);
        if (rc != SRR_OK)
            return rc;
        if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            return SRR_OK;
        }
        if (n->type == SRR_YAML_MAP) {
            char *key;
            int kl, kc;
            size_t i;
            if (ev.type != YAML_SCALAR_EVENT) {
                rc = srr_error_at(c->err, SRR_EINVAL, c->file, (int)ev.start_mark.line + 1,
                                  (int)ev.start_mark.column + 1, "map keys must be plain scalars");
                yaml_event_delete(&ev);
                return rc;
            }
            key = srr_strndup((const char *)ev.data.scalar.value, ev.data.scalar.length);
            kl = (int)ev.start_mark.line + 1;
            kc = (int)ev.start_mark.column + 1;
            yaml_event_delete(&ev);
            for (i = 0; i < n->n; i++) {
                if (strcmp(n->pairs[i].key, key) == 0) {
                    rc = srr_error_at(c->err, SRR_EINVAL, c->file, kl, kc,
                                      "duplicate key '%s' (first at line %d)", key,
                                      n->pairs[i].line);
                    free(key);
                    return rc;
                }
            }
            rc = next_event(c, &ev);
            if (rc != SRR_OK) {
                free(key);
                return rc;
            }
            rc = parse_node(c, &ev, &child);
            if (rc != SRR_OK) {
                free(key);
                return rc;
            }
            if (n->n == cap) {
                cap = cap ? cap * 2 : 8;
                n->pairs = srr_realloc(n->pairs, cap * sizeof(*n->pairs));
            }
            n->pairs[n->n].key = key;
            n->pairs[n->n].line = kl;
            n->pairs[n->n].col = kc;
            n->pairs[n->n].value = child;
            n->n++;
        } else {
            rc = parse_node(c, &ev, &child);
            if (rc != SRR_OK)
                return rc;
            if (n->n == cap) {
                cap = cap ? cap * 2 : 8;
                n->items = srr_realloc(n->items, cap * sizeof(*n->items));
            }
            n->items[n->n++] = child;
        }
    }
}

/* Builds a node from `ev` (consumed) and, for collections, its children. */
static srr_rc parse_node(parse_ctx *c, yaml_event_t *ev, srr_yaml_node **out)
{
    srr_yaml_node *n = NULL;
    srr_rc rc = SRR_OK;
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        n = node_new(SRR_YAML_SCALAR, ev, c->file);
        n->value = srr_strndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
        n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
        if (ev->data.scalar.anchor)
            rc = srr_error_at(c->err, SRR_EINVAL, c->file, n->line, n->col,
                              "anchors are not supported in srr files");
        break;
    case YAML_SEQUENCE_START_EVENT:
        n = node_new(SRR_YAML_SEQ, ev, c->file);
        if (ev->data.sequence_start.anchor)
            rc = srr_error_at(c->err, SRR_EINVAL, c->file, n->line, n->col,
                              "anchors are not supported in srr files");
        else
            rc = parse_children(c, n);
        break;
    case YAML_MAPPING_START_EVENT:
        n = node_new(SRR_YAML_MAP, ev, c->file);
        if (ev->data.mapping_start.anchor)
            rc = srr_error_at(c->err, SRR_EINVAL, c->file, n->line, n->col,
                              "anchors are not supported in srr files");
        else
            rc = parse_children(c, n);
        break;
    case YAML_ALIAS_EVENT:
        rc = srr_error_at(c->err, SRR_EINVAL, c->file, (int)ev->start_mark.line + 1,
                          (int)ev->start_mark.column + 1,
                          "aliases (*name) are not supported in srr files");
        break;
    default:
        rc = srr_error_at(c->err, SRR_EINVAL, c->file, (int)ev->start_mark.line + 1,
                          (int)ev->start_mark.column + 1, "unexpected YAML event");
        break;
    }
    yaml_event_delete(ev);
    if (rc != SRR_OK) {
        node_free(n);
        return rc;
    }
    *out = n;
    return SRR_OK;
}


srr_rc srr_yaml_parse(const char *file, const char *text, size_t len, srr_yaml_node **out,
                      srr_error *err)
{
    parse_ctx c;
    yaml_event_t ev;
    srr_yaml_node *root = NULL;
    srr_rc rc;
    size_t flen = strlen(file ? file : "<input>");
    /* One copy of the file name is shared by every node; the root's `file`
     * owns it and srr_yaml_free() releases it with the tree. */
    char *fname = srr_malloc(flen + 1);
    memcpy(fname, file ? file : "<input>", flen + 1);

    memset(&c, 0, sizeof(c));
    c.file = fname;
    c.err = err;
    if (!yaml_parser_initialize(&c.parser)) {
        free(fname);
        return srr_error_set(err, SRR_ERR, "cannot initialise the YAML parser");
    }
    yaml_parser_set_input_string(&c.parser, (const unsigned char *)text, len);

    /* STREAM-START, then DOCUMENT-START or STREAM-END (empty input). */
    rc = next_event(&c, &ev);
    if (rc != SRR_OK)
        goto fail;
    yaml_event_delete(&ev);
    rc = next_event(&c, &ev);
    if (rc != SRR_OK)
        goto fail;
    if (ev.type == YAML_STREAM_END_EVENT) {
        yaml_event_delete(&ev);
        root = node_new(SRR_YAML_MAP, &ev, fname);
        root->line = root->col = 1;
        goto done;
    }
    yaml_event_delete(&ev); /* DOCUMENT-START */
    rc = next_event(&c, &ev);
    if (rc != SRR_OK)
        goto fail;
    rc = parse_node(&c, &ev, &root);
    if (rc != SRR_OK)
        goto fail;
    rc = next_event(&c, &ev); /* DOCUMENT-END */
    if (rc != SRR_OK)
        goto fail;
    yaml_event_delete(&ev);
    rc = next_event(&c, &ev);
    if (rc != SRR_OK)
        goto fail;
    if (ev.type == YAML_DOCUMENT_START_EVENT) {
        rc = srr_error_at(err, SRR_EINVAL, fname, (int)ev.start_mark.line + 1,
                          (int)ev.start_mark.column + 1,
                          "only one YAML document per file is supported");
        yaml_event_delete(&ev);
        goto fail;
    }
    yaml_event_delete(&ev);
    if (root->type == SRR_YAML_SCALAR && root->value[0] == '\0') {
        root->type = SRR_YAML_MAP; /* "---" alone: empty document */
    }
done:
    yaml_parser_delete(&c.parser);
    root->file = fname;
    *out = root;
    return SRR_OK;
fail:
    yaml_parser_delete(&c.parser);
    node_free(root);
    free(fname);
    return rc;
}

srr_rc srr_yaml_load_file(const char *path, srr_yaml_node **out, srr_error *err)
{
    char *text = NULL;
    size_t len = 0;
    srr_rc rc = srr_file_read(path, 16u << 20, &text, &len, err);
    if (rc != SRR_OK)
        return rc;
    rc = srr_yaml_parse(path, text, len, out, err);
    free(text);
    return rc;
}

void srr_yaml_free(srr_yaml_node *root)
{
    char *fname;
    if (!root)
        return;
    fname = (char *)root->file;
    node_free(root);
    free(fname);
}

const srr_yaml_node *srr_yaml_get(const srr_yaml_node *map, const char *key)
{
    size_t i;
    if (!map || map->type != SRR_YAML_MAP)
        return NULL;
    for (i = 0; i < map->n; i++)
        if (strcmp(map->pairs[i].key, key) == 0)
            return map->pairs[i].value;
    return NULL;
}

const char *srr_yaml_type_name(srr_yaml_type t)
{
    switch (t) {
    case SRR_YAML_SCALAR: return "scalar";
    case SRR_YAML_MAP: return "map";
    case SRR_YAML_SEQ: return "sequence";
    }
    return "?";
}

static srr_rc want_scalar(const srr_yaml_node *n, const char *what, const char *expected,
                          srr_error *err)
{
    if (!n)
        return srr_error_set(err, SRR_EINVAL, "%s: missing value", what);
    if (n->type != SRR_YAML_SCALAR)
        return srr_error_at(err, SRR_EINVAL, n->file, n->line, n->col,
                            "%s: expected %s, found a %s", what, expected,
                            srr_yaml_type_name(n->type));
    return SRR_OK;
}

srr_rc srr_yaml_string(const srr_yaml_node *n, const char *what, char **out, srr_error *err)
{
    srr_rc rc = want_scalar(n, what, "a string", err);
    if (rc != SRR_OK)
        return rc;
    *out = srr_strdup(n->value);
    return SRR_OK;
}

srr_rc srr_yaml_int(const srr_yaml_node *n, const char *what, long long min, long long max,
                    long long *out, srr_error *err)
{
    char *end = NULL;
    long long v;
    srr_rc rc = want_scalar(n, what, "an integer", err);
    if (rc != SRR_OK)
        return rc;
    errno = 0;
    v = strtoll(n->value, &end, 10);
    if (errno || end == n->value || *end != '\0' || n->quoted)
        return srr_error_at(err, SRR_EINVAL, n->file, n->line, n->col,
                            "%s: expected an integer, found '%s'", what, n->value);
    if (v < min || v > max)
        return srr_error_at(err, SRR_EINVAL, n->file, n->line, n->col,
                            "%s: %lld is out of range [%lld, %lld]", what, v, min, max);
    *out = v;
    return SRR_OK;
}

srr_rc srr_yaml_double(const srr_yaml_node *n, const char *what, double *out, srr_error *err)
{
    char *end = NULL;
    double v;
    srr_rc rc = want_scalar(n, what, "a number", err);
    if (rc != SRR_OK)
        return rc;
    errno = 0;
    v = strtod(n->value, &end);
    if (errno || end == n->value || *end != '\0' || n->quoted || !isfinite(v))
        return srr_error_at(err, SRR_EINVAL, n->file, n->line, n->col,
                            "%s: expected a number, found '%s'", what, n->value);
    *out = v;
    return SRR_OK;
}

srr_rc srr_yaml_bool(const srr_yaml_node *n, const char *what, int *out, srr_error *err)
{
    srr_rc rc = want_scalar(n, what, "true or false", err);
    if (rc != SRR_OK)
        return rc;
    if (!n->quoted && (strcmp(n->value, "true") == 0 || strcmp(n->value, "yes") == 0)) {
        *out = 1;
        return SRR_OK;
    }
    if (!n->quoted && (strcmp(n->value, "false") == 0 || strcmp(n->value, "no") == 0)) {
        *out = 0;
        return SRR_OK;
    }
    return srr_error_at(err, SRR_EINVAL, n->file, n->line, n->col,
                        "%s: expected true or false, found '%s'", what, n->value);
}

srr_rc srr_yaml_duration(const srr_yaml_node *n, const char *what, int64_t *out_s,
                         srr_error *err)
{
    srr_rc rc = want_scalar(n, what, "a duration", err);
    if (rc != SRR_OK)
        return rc;
    if (srr_duration_parse(n->value, out_s) != SRR_OK)
        return srr_error_at(err, SRR_EINVAL, n->file, n->line, n->col,
                            "%s: expected a duration like 30s, 15m, 6h, 7d or 2w, found '%s'",
                            what, n->value);
    return SRR_OK;
}

srr_rc srr_yaml_check_keys(const srr_yaml_node *map, const char *section,
                           const char *const *allowed, srr_error *err)
{
    size_t i, j;
    if (!map)
        return SRR_OK;
    if (map->type != SRR_YAML_MAP)
        return srr_error_at(err, SRR_EINVAL, map->file, map->line, map->col,
                            "%s: expected a map, found a %s", section,
                            srr_yaml_type_name(map->type));
    for (i = 0; i < map->n; i++) {
        int ok = 0;
        for (j = 0; allowed[j]; j++)
            if (strcmp(map->pairs[i].key, allowed[j]) == 0)
                ok = 1;
        if (!ok) {
            srr_buf b;
            char *list;
            srr_rc rc;
            srr_buf_init(&b, 0);
            for (j = 0; allowed[j]; j++)
                srr_buf_printf(&b, "%s%s", j ? ", " : "", allowed[j]);
            list = srr_buf_steal(&b);
            rc = srr_error_at(err, SRR_EINVAL, map->file, map->pairs[i].line,
                              map->pairs[i].col, "unknown key '%s' in %s (expected one of: %s)",
                              map->pairs[i].key, section, list);
            free(list);
            return rc;
        }
    }
    return SRR_OK;
}
