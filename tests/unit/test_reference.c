/* SPDX-License-Identifier: Apache-2.0
 *
 * test_reference.c - the srr.yaml reference (core/reference.c) is true:
 * every measure the condition grammar parses is documented and every
 * documented condition parses to its measure; every documented key of
 * checks and of the policy is accepted, with its documented example, by
 * the loaders (which take their keys from the table, so nothing
 * undocumented is); srr.yaml(5) covers every row; and the README's
 * examples of checks and policy load and compile.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "condition.h"
#include "config.h"
#include "reference.h"
#include "rules.h"

/* 1 when `name` is one of the comma-separated measures of a row. */
static int row_has(const char *list, const char *name)
{
    size_t n = strlen(name);
    const char *p = list;
    while ((p = strstr(p, name)) != NULL) {
        if ((p == list || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0'))
            return 1;
        p += n;
    }
    return 0;
}

Test(reference, every_measure_is_documented_and_every_example_parses)
{
    const srr_ref_measure *m;
    for (int i = 0; i < SRR_MEASURE__COUNT; i++) {
        const char *name = srr_measure_name((srr_measure)i);
        for (m = srr_ref_measures(); m->measure && !row_has(m->measure, name); m++)
            ;
        cr_assert_not_null(m->measure,
                           "measure '%s' parses but core/reference.c's MEASURES does not "
                           "document it",
                           name);
    }
    for (m = srr_ref_measures(); m->measure; m++) {
        srr_cond c;
        srr_error err = {0};
        size_t off = 0;
        cr_assert_eq(srr_cond_parse(m->example, &c, &off, &err), SRR_OK, "'%s': %s",
                     m->example, err.msg);
        cr_assert(row_has(m->measure, srr_measure_name(c.measure)),
                  "'%s' parses as %s, documented under %s", m->example,
                  srr_measure_name(c.measure), m->measure);
        cr_assert_str_eq(srr_kind_name(c.kind == SRR_KIND_COUNT && c.measure ==
                                                                       SRR_MEASURE_NEW_PATTERN
                                           ? SRR_KIND_NEW_PATTERN
                                           : c.kind),
                         m->kind, "'%s'", m->example);
    }
}

/* Appends "key: example" for every documented key of `section`, indented,
 * skipping the keys in `skip` (space separated, padded). */
static void keys_of(srr_buf *b, const char *section, const char *indent, const char *skip)
{
    const srr_ref_key *k;
    for (k = srr_ref_keys(); k->section; k++) {
        char pad[64];
        snprintf(pad, sizeof(pad), " %s ", k->key);
        if (strcmp(k->section, section) != 0 || !k->example || (skip && strstr(skip, pad)))
            continue;
        srr_buf_printf(b, "%s%s: %s\n", indent, k->key, k->example);
    }
}

static void compiles(const char *yaml)
{
    srr_config *cfg = NULL;
    srr_ruleset *rs = NULL;
    srr_error err = {0};
    cr_assert_eq(srr_config_parse("ref.yaml", yaml, strlen(yaml), &cfg, &err), SRR_OK,
                 "%s\n---\n%s", err.msg, yaml);
    cr_assert_eq(srr_rules_compile(cfg, &rs, &err), SRR_OK, "%s\n---\n%s", err.msg, yaml);
    srr_rules_destroy(rs);
    srr_config_destroy(cfg);
}

/* A config made of nothing but the table's examples loads and compiles:
 * one check with every key, one rule with every rule key (and one with
 * impact and likelihood, which exclude urgency), one rule per matcher,
 * the default from its example. */
Test(reference, every_documented_example_is_accepted)
{
    const srr_ref_key *k;
    srr_buf b;
    srr_buf_init(&b, 0);
    srr_buf_printf(&b, "checks:\n  -\n");
    keys_of(&b, "checks[]", "    ", NULL);
    srr_buf_printf(&b, "monitors:\n  -\n");
    keys_of(&b, "monitors[]", "    ", NULL);
    for (k = srr_ref_keys(); k->section; k++)
        if (strcmp(k->section, "monitors[].match") == 0)
            srr_buf_printf(&b, "  - {group_by: [host], match: {%s: %s}}\n", k->key, k->example);
    srr_buf_printf(&b, "policy:\n");
    keys_of(&b, "policy", "  ", " rules ");
    srr_buf_printf(&b, "  rules:\n    -\n");
    keys_of(&b, "policy.rules[]", "      ", " impact likelihood ");
    srr_buf_printf(&b, "    - name: by-impact\n      action: risk\n"
                       "      impact: high\n      likelihood: medium\n");
    for (k = srr_ref_keys(); k->section; k++)
        if (strcmp(k->section, "policy.rules[].match") == 0)
            srr_buf_printf(&b, "    - name: m-%s\n      action: ignore\n      match: {%s: %s}\n",
                           k->key, k->key, k->example);
    compiles(b.data);
    srr_buf_free(&b);
}

/* The loaders take their keys from the table: each section accepts what it
 * documents, policy.default the rule keys marked for it. */
Test(reference, section_keys)
{
    const char *keys[64];
    /* with sync and the sinks' sections: notion, slack, tickets, github, jira, sheets */
    cr_assert_eq(srr_ref_section_keys("", keys, 64), 16);
    cr_assert_str_eq(keys[0], "datadog");
    cr_assert_null(keys[16]);
    size_t n = srr_ref_section_keys("policy.default", keys, 64);
    cr_assert_eq(n, 9);
    for (size_t i = 0; i < n; i++)
        cr_assert(strcmp(keys[i], "name") != 0 && strcmp(keys[i], "match") != 0);
    cr_assert_eq(srr_ref_section_keys("policy.rules[].match", keys, 3), 2, "bounded by cap");
    cr_assert_null(keys[2]);
    const char *bad = "checks:\n  - {name: a, source: metrics, query: q, when: \"max > 1\","
                      " frobnicate: 1}\n";
    srr_config *cfg = NULL;
    srr_error err = {0};
    cr_assert_eq(srr_config_parse("t.yaml", bad, strlen(bad), &cfg, &err), SRR_EINVAL);
    cr_assert(strstr(err.msg, "frobnicate") != NULL, "%s", err.msg);
}

Test(reference, man_page_covers_every_row)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    srr_config_print_reference_roff(f);
    srr_ref_print_roff(f);
    fclose(f);
    for (const srr_ref_key *k = srr_ref_keys(); k->section; k++) {
        char want[96];
        snprintf(want, sizeof(want), ".B %s\n", k->key);
        cr_assert_not_null(strstr(buf, want), "srr.yaml(5) lacks %s.%s", k->section, k->key);
    }
    for (const srr_ref_measure *m = srr_ref_measures(); m->measure; m++) {
        char want[96];
        snprintf(want, sizeof(want), ".B %s\n", m->measure);
        cr_assert_not_null(strstr(buf, want), "srr.yaml(5) lacks the measure %s", m->measure);
    }
    cr_assert_not_null(strstr(buf, ".SS Actions"));
    cr_assert_not_null(strstr(buf, ".SS Units"));
    free(buf);
}

/* The yaml block that follows `heading` in the README (static buffer). */
static const char *readme_yaml(const char *readme, const char *heading)
{
    static char block[8192];
    const char *h = strstr(readme, heading), *a, *e;
    cr_assert_not_null(h, "README has no '%s'", heading);
    a = strstr(h, "```yaml\n");
    cr_assert_not_null(a);
    a += 8;
    e = strstr(a, "```\n");
    cr_assert_not_null(e);
    snprintf(block, sizeof(block), "%.*s", (int)(e - a), a);
    return block;
}

Test(reference, the_man_page_example_loads_and_compiles)
{
    compiles(srr_ref_example());
}

Test(reference, readme_examples_load_and_compile)
{
    char *readme = NULL;
    size_t len = 0;
    cr_assert_eq(srr_file_read(SRR_SOURCE_DIR "/README.md", 0, &readme, &len, NULL), SRR_OK);
    char *checks = srr_strdup(readme_yaml(readme, "### Checks, by example"));
    char *yaml = srr_asprintf("%s%s", checks, readme_yaml(readme, "### Policy, by example"));
    free(checks);
    compiles(yaml);
    free(yaml);
    free(readme);
}
