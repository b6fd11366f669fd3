/* SPDX-License-Identifier: Apache-2.0
 *
 * sink_opts.c - the table-driven loader of sink_opts.h, over the YAML tree
 * core/ keeps (so positions are the file's own).
 */
#include "sink_opts.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

static srr_rc list_default(const char *def, char ***dst, size_t *count)
{
    const char *p = def;
    while (p && *p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        *dst = srr_realloc(*dst, (*count + 1) * sizeof(char *));
        (*dst)[(*count)++] = srr_strndup(p, n);
        p = comma ? comma + 1 : NULL;
    }
    return SRR_OK;
}

static srr_rc apply(const srr_sink_opt *o, void *base, const srr_yaml_node *n, const char *section,
                    srr_error *err)
{
    char what[160];
    void *field = (char *)base + o->offset;
    snprintf(what, sizeof(what), "%s.%s", section, o->key);
    switch (o->type) {
    case SRR_SOPT_STRING: {
        char **dst = field;
        if (n)
            return srr_yaml_string(n, what, dst, err);
        *dst = srr_strdup(o->def);
        return SRR_OK;
    }
    case SRR_SOPT_INT: {
        long long *dst = field;
        if (n)
            return srr_yaml_int(n, what, o->min, o->max, dst, err);
        *dst = o->def ? strtoll(o->def, NULL, 10) : 0;
        return SRR_OK;
    }
    case SRR_SOPT_DURATION: {
        int64_t *dst = field;
        srr_rc rc;
        if (!n)
            return o->def ? srr_duration_parse(o->def, dst) : SRR_OK;
        rc = srr_yaml_duration(n, what, dst, err);
        if (rc == SRR_OK && (*dst < o->min || *dst > o->max))
            return srr_error_at(err, SRR_EINVAL, n->file, n->line, n->col, "%s: %s is out of range",
                                what, n->value);
        return rc;
    }
    case SRR_SOPT_BOOL: {
        int *dst = field;
        if (n)
            return srr_yaml_bool(n, what, dst, err);
        *dst = o->def && (strcmp(o->def, "true") == 0);
        return SRR_OK;
    }
    case SRR_SOPT_LIST: {
        char ***dst = field;
        size_t *count = (size_t *)((char *)field + sizeof(char **));
        if (!n)
            return list_default(o->def, dst, count);
        if (n->type == SRR_YAML_SCALAR) {
            if (n->value[0] == '\0')
                return SRR_OK;
            *dst = srr_calloc(1, sizeof(char *));
            (*dst)[0] = srr_strdup(n->value);
            *count = 1;
            return SRR_OK;
        }
        if (n->type != SRR_YAML_SEQ)
            return srr_error_at(err, SRR_EINVAL, n->file, n->line, n->col,
                                "%s: expected a list, found a %s", what,
                                srr_yaml_type_name(n->type));
        *dst = srr_calloc(n->n ? n->n : 1, sizeof(char *));
        for (size_t i = 0; i < n->n; i++) {
            char item[192];
            snprintf(item, sizeof(item), "%s[%zu]", what, i);
            if (srr_yaml_string(n->items[i], item, &(*dst)[i], err) != SRR_OK)
                return SRR_EINVAL;
            *count = i + 1;
        }
        return SRR_OK;
    }
    }
    return SRR_ERR;
}

srr_rc srr_sink_opts_load(const srr_sink_opt *opts, const srr_yaml_node *sec, const char *section,
                          void *base, srr_error *err)
{
    const char *allowed[48];
    size_t n = 0;
    srr_rc rc;
    for (; opts[n].key && n + 1 < sizeof(allowed) / sizeof(allowed[0]); n++)
        allowed[n] = opts[n].key;
    allowed[n] = NULL;
    if (sec && sec->type == SRR_YAML_SCALAR && sec->value[0] == '\0')
        sec = NULL;
    if (sec) {
        rc = srr_yaml_check_keys(sec, section, allowed, err);
        if (rc != SRR_OK)
            return rc;
    }
    for (size_t i = 0; opts[i].key; i++) {
        rc = apply(&opts[i], base, srr_yaml_get(sec, opts[i].key), section, err);
        if (rc != SRR_OK)
            return rc;
    }
    return SRR_OK;
}

void srr_sink_opts_free(const srr_sink_opt *opts, void *base)
{
    for (size_t i = 0; opts[i].key; i++) {
        void *field = (char *)base + opts[i].offset;
        if (opts[i].type == SRR_SOPT_STRING) {
            char **p = field;
            free(*p);
            *p = NULL;
        } else if (opts[i].type == SRR_SOPT_LIST) {
            char ***list = field;
            size_t *count = (size_t *)((char *)field + sizeof(char **));
            for (size_t j = 0; j < *count; j++)
                free((*list)[j]);
            free(*list);
            *list = NULL;
            *count = 0;
        }
    }
}

void srr_sink_opts_print_reference(FILE *out, const char *section, const srr_sink_opt *opts)
{
    static const char *const names[] = {"string", "integer", "duration", "boolean", "list"};
    for (size_t i = 0; opts[i].key; i++)
        fprintf(out, "| `%s.%s` | %s | %s | %s |\n", section, opts[i].key, names[opts[i].type],
                opts[i].def ? opts[i].def : "(unset)", opts[i].help);
}

const srr_yaml_node *srr_sink_section(const srr_config *cfg, const char *name)
{
    const srr_yaml_node *n = cfg ? srr_yaml_get(cfg->root, name) : NULL;
    if (n && n->type == SRR_YAML_SCALAR && n->value[0] == '\0')
        return NULL;
    return n;
}

char *srr_sink_path(const srr_config *cfg, const char *path)
{
    const char *slash;
    if (!path)
        return NULL;
    if (path[0] == '/' || !cfg || !cfg->path || !(slash = strrchr(cfg->path, '/')))
        return srr_strdup(path);
    return srr_asprintf("%.*s/%s", (int)(slash - cfg->path), cfg->path, path);
}

srr_rc srr_sink_secret(const srr_config *cfg, const char *env, const char *file, const char *what,
                       char **out, srr_error *err)
{
    *out = NULL;
    if (file && *file) {
        char *path = srr_sink_path(cfg, file), *text = NULL;
        size_t len = 0, n = 0;
        srr_rc rc = srr_file_read(path, 64 * 1024, &text, &len, err);
        if (rc != SRR_OK) {
            rc = srr_error_set(err, SRR_EINVAL, "%s: cannot read %s", what, path);
            free(path);
            return rc;
        }
        free(path);
        while (n < len && text[n] != '\n' && text[n] != '\r')
            n++;
        if (n > 0)
            *out = srr_strndup(text, n);
        free(text);
    } else if (env && *env) {
        const char *v = getenv(env);
        if (v && *v)
            *out = srr_strdup(v);
    }
    srr_secret_register(*out);
    return SRR_OK;
}
