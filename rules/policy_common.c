/* SPDX-License-Identifier: Apache-2.0
 *
 * policy_common.c - the small pieces the policy compiler (policy.c), the
 * identity of sources (identity.c) and the decider (policy_decide.c) all
 * use, kept below them so none of those three calls back into another:
 * the YAML readers of the policy (a map's keys checked against
 * core/reference.c, a string or a list of strings read as globs or as
 * copies), freeing such a list, and the two lookups in a compiled ruleset
 * (a configured check by name, a rule by index). It calls nothing else of
 * rules/ but glob.c.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "reference.h"
#include "rules_internal.h"

/* The keys each map of the policy accepts are rows of core/reference.c,
 * where they are documented (srr_ref_section_keys). */
#define MAX_SECTION_KEYS 64

srr_rc srr_rules_check_keys(const srr_yaml_node *map, const char *path, const char *section,
                            srr_error *err)
{
    const char *keys[MAX_SECTION_KEYS];
    srr_ref_section_keys(section, keys, MAX_SECTION_KEYS);
    return srr_yaml_check_keys(map, path, keys, err);
}

void srr_strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

srr_rc srr_rules_scalar_items(const srr_yaml_node *n, const char *what,
                              const srr_yaml_node *const **items, size_t *count,
                              const srr_yaml_node **one, srr_error *err)
{
    if (n->type == SRR_YAML_SCALAR) {
        *one = n;
        *items = one;
        *count = 1;
        return SRR_OK;
    }
    if (n->type == SRR_YAML_SEQ) {
        for (size_t i = 0; i < n->n; i++)
            if (n->items[i]->type != SRR_YAML_SCALAR)
                return srr_error_at(err, SRR_EINVAL, n->items[i]->file, n->items[i]->line,
                                    n->items[i]->col, "%s: expected a string, found a %s", what,
                                    srr_yaml_type_name(n->items[i]->type));
        if (n->n == 0)
            return srr_error_at(err, SRR_EINVAL, n->file, n->line, n->col,
                                "%s: expected at least one value", what);
        *items = (const srr_yaml_node *const *)n->items;
        *count = n->n;
        return SRR_OK;
    }
    return srr_error_at(err, SRR_EINVAL, n->file, n->line, n->col,
                        "%s: expected a string or a list of strings, found a %s", what,
                        srr_yaml_type_name(n->type));
}

srr_rc srr_rules_read_globs(const srr_yaml_node *n, const char *what, int upper, srr_globset *gs,
                            srr_error *err)
{
    const srr_yaml_node *const *items;
    const srr_yaml_node *one;
    size_t count;
    srr_rc rc = srr_rules_scalar_items(n, what, &items, &count, &one, err);
    if (rc != SRR_OK)
        return rc;
    gs->v = srr_calloc(count, sizeof *gs->v);
    for (size_t i = 0; i < count; i++) {
        char *s = NULL;
        if ((rc = srr_yaml_string(items[i], what, &s, err)) != SRR_OK)
            return rc;
        for (char *p = s; upper && *p; p++)
            *p = (char)toupper((unsigned char)*p);
        srr_glob_compile(&gs->v[gs->n++], s);
        free(s);
    }
    return SRR_OK;
}

srr_rc srr_rules_read_strv(const srr_yaml_node *n, const char *what, int allow_empty, char ***out,
                           size_t *count, srr_error *err)
{
    const srr_yaml_node *const *items;
    const srr_yaml_node *one;
    size_t c;
    srr_rc rc;
    if (allow_empty && n->type == SRR_YAML_SEQ && n->n == 0) {
        *out = NULL;
        *count = 0;
        return SRR_OK;
    }
    if ((rc = srr_rules_scalar_items(n, what, &items, &c, &one, err)) != SRR_OK)
        return rc;
    *out = srr_calloc(c, sizeof **out);
    for (size_t i = 0; i < c; i++) {
        if ((rc = srr_yaml_string(items[i], what, &(*out)[i], err)) != SRR_OK)
            return rc;
        *count = i + 1;
        if (!(*out)[i][0])
            return srr_error_at(err, SRR_EINVAL, items[i]->file, items[i]->line, items[i]->col,
                                "%s: an empty value is not allowed", what);
    }
    return SRR_OK;
}

long srr_rules_check_lookup(const srr_ruleset *rs, const char *name, uint64_t h)
{
    if (!rs->check_slots_n || !name)
        return -1;
    for (size_t j = h & (rs->check_slots_n - 1);; j = (j + 1) & (rs->check_slots_n - 1)) {
        uint32_t v = rs->check_slots[j];
        if (!v)
            return -1;
        if (strcmp(rs->cfg->checks[v - 1].name, name) == 0)
            return (long)(v - 1);
    }
}

const srr_rule *srr_rules_rule_at(const srr_ruleset *rs, size_t i)
{
    return i < rs->nrules ? &rs->rules[i] : &rs->def;
}
