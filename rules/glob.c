/* SPDX-License-Identifier: Apache-2.0
 *
 * glob.c - the globs of policy matchers ("disk-*", "device:/dev/sd?1",
 * "env:[ps]*"): fnmatch(3) patterns without flags - '*' any run, '?' one
 * byte, '[abc]', '[a-z]', '[!x]' (or '[^x]'), '[[:digit:]]' one byte of (not)
 * the set, '\' escapes the next character.
 *
 * Patterns are sorted into shapes at compile time. policy.c builds its
 * prefilters and lint.c its shadowing checks on them; matching takes a
 * shortcut only where `./scripts/bench.sh rules` measured one to pay
 * (alternating runs against fnmatch alone, medians of 3-7): exact text
 * (7-10% of the mixed policy's rate), prefix* (12-15%), *infix* (19-22%)
 * and the literal head of a general pattern (3-17%). "*" alone and
 * *suffix showed no difference beyond the noise - the prefilters have
 * already decided most of those - so they go to fnmatch like every
 * general pattern.
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "rules_internal.h"

int srr_glob_match_str(const char *pat, const char *s)
{
    return fnmatch(pat, s, 0) == 0;
}

static int has_meta(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == '*' || s[i] == '?' || s[i] == '[' || s[i] == '\\')
            return 1;
    return 0;
}

void srr_glob_compile(srr_glob *g, const char *pat)
{
    g->pat = srr_strdup(pat ? pat : "");
    g->contains = NULL;
    size_t n = strlen(g->pat);
    g->lit = g->pat;
    g->litlen = n;
    g->shape = GLOB_GENERAL;
    if (n == 0) {
        g->shape = GLOB_EXACT;
    } else if (strspn(g->pat, "*") == n) {
        g->shape = GLOB_ANY;
    } else if (!has_meta(g->pat, n)) {
        g->shape = GLOB_EXACT;
    } else if (g->pat[n - 1] == '*' && !has_meta(g->pat, n - 1)) {
        g->shape = GLOB_PREFIX;
        g->litlen = n - 1;
    } else if (g->pat[0] == '*' && !has_meta(g->pat + 1, n - 1)) {
        g->shape = GLOB_SUFFIX;
        g->lit = g->pat + 1;
        g->litlen = n - 1;
    } else if (n >= 3 && g->pat[0] == '*' && g->pat[n - 1] == '*' &&
               !has_meta(g->pat + 1, n - 2)) {
        g->shape = GLOB_CONTAINS;
        g->contains = srr_strndup(g->pat + 1, n - 2);
        g->lit = g->contains;
        g->litlen = n - 2;
    }
    g->first = 0;
    g->headlen = g->shape == GLOB_GENERAL ? strcspn(g->pat, "*?[\\") : 0;
    if (g->shape == GLOB_EXACT || g->shape == GLOB_PREFIX ||
        (g->shape == GLOB_GENERAL && strchr("*?[\\", g->pat[0]) == NULL))
        g->first = g->pat[0];
}

void srr_glob_free(srr_glob *g)
{
    if (!g)
        return;
    free(g->pat);
    free(g->contains);
    g->pat = NULL;
    g->contains = NULL;
}

/* Policy literals are short: a plain byte loop beats the library's
 * vectorised compare, whose setup dominates at these lengths. The loop stops
 * at the first difference, including s's terminating NUL. */
static int starts_with(const char *s, const char *lit, size_t litlen)
{
    for (size_t i = 0; i < litlen; i++)
        if (s[i] != lit[i])
            return 0;
    return 1;
}

int srr_glob_match(const srr_glob *g, const char *s)
{
    switch (g->shape) {
    case GLOB_EXACT:
        return starts_with(s, g->lit, g->litlen) && s[g->litlen] == '\0';
    case GLOB_PREFIX:
        return starts_with(s, g->lit, g->litlen);
    case GLOB_CONTAINS:
        return strstr(s, g->contains) != NULL;
    case GLOB_GENERAL:
        /* Every match starts with the literal head: reject on it cheaply. */
        if (!starts_with(s, g->pat, g->headlen))
            return 0;
        break;
    case GLOB_ANY:
    case GLOB_SUFFIX:
        break; /* no gain measured: see the comment at the top */
    }
    return fnmatch(g->pat, s, 0) == 0;
}

uint64_t srr_load8(const char *s)
{
    uint64_t v = 0;
    for (size_t i = 0; s && i < 8 && s[i]; i++)
        v |= (uint64_t)(unsigned char)s[i] << (8 * i);
    return v;
}

void srr_prefilter_of(const srr_globset *gs, srr_prefilter *pf)
{
    pf->bytes = pf->mask = 0;
    if (gs->n != 1)
        return;
    const srr_glob *g = &gs->v[0];
    size_t n = 0;
    if (g->shape == GLOB_EXACT)
        n = g->litlen + 1; /* the NUL counts too: "api" must not match "api-2" */
    else if (g->shape == GLOB_PREFIX || g->shape == GLOB_GENERAL)
        n = strcspn(g->pat, "*?[\\"); /* literal bytes before the first wildcard */
    if (n > 8)
        n = 8;
    for (size_t i = 0; i < n; i++) {
        pf->bytes |= (uint64_t)(unsigned char)g->pat[i] << (8 * i); /* NUL past the end */
        pf->mask |= (uint64_t)0xFF << (8 * i);
    }
}

uint64_t srr_load8_tail(const char *s, size_t len)
{
    uint64_t v = 0;
    if (!s)
        return 0;
    size_t n = len < 8 ? len : 8;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)(unsigned char)s[len - n + i] << (8 * (8 - n + i));
    return v;
}

void srr_prefilter_suffix_of(const srr_globset *gs, srr_prefilter *pf)
{
    pf->bytes = pf->mask = 0;
    if (gs->n != 1 || gs->v[0].shape != GLOB_SUFFIX)
        return;
    const srr_glob *g = &gs->v[0];
    size_t n = g->litlen < 8 ? g->litlen : 8;
    pf->bytes = srr_load8_tail(g->lit, g->litlen);
    for (size_t i = 0; i < n; i++)
        pf->mask |= (uint64_t)0xFF << (8 * (7 - i));
}

uint64_t srr_fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    if (!s)
        return 0;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

/* ---- sets of globs: the matcher of one field ---------------------------- */

void srr_globset_free(srr_globset *gs)
{
    for (size_t i = 0; i < gs->n; i++)
        srr_glob_free(&gs->v[i]);
    free(gs->v);
    gs->v = NULL;
    gs->n = 0;
}

int srr_globset_any(const srr_globset *gs, const char *s)
{
    if (!s)
        return 0;
    for (size_t i = 0; i < gs->n; i++)
        if (srr_glob_match(&gs->v[i], s))
            return 1;
    return 0;
}
