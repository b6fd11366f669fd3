/* SPDX-License-Identifier: Apache-2.0
 *
 * yaml.h - a YAML document loaded (with libyaml) into a small tree of nodes
 * that remember their line and column, so every later consumer (config
 * loader, policy compiler) can report errors as file:line:col.
 *
 * Only block/flow maps, sequences and scalars are supported; anchors and
 * aliases are refused with an error (a policy file should be plain).
 */
#ifndef SRR_YAML_H
#define SRR_YAML_H

#include <stddef.h>

#include "srr.h"

typedef enum { SRR_YAML_SCALAR, SRR_YAML_MAP, SRR_YAML_SEQ } srr_yaml_type;

typedef struct srr_yaml_node srr_yaml_node;

/* One key/value pair of a map. The key's own position is kept for
 * "unknown key" errors. */
typedef struct srr_yaml_pair {
    char *key;
    int line, col; /* of the key, 1-based */
    srr_yaml_node *value;
} srr_yaml_pair;

struct srr_yaml_node {
    srr_yaml_type type;
    int line, col;      /* 1-based start of the node */
    const char *file;   /* file name the node came from (shared, not owned) */
    char *value;        /* SCALAR: text (never NULL) */
    int quoted;         /* SCALAR: was written in quotes ("", '', |, >) */
    srr_yaml_node **items; /* SEQ: elements */
    srr_yaml_pair *pairs;  /* MAP: entries in document order */
    size_t n;              /* number of items or pairs */
};

/* Parses a YAML document from memory. `file` names the source in errors (it
 * is copied and owned by the tree). An empty document yields an empty MAP.
 * On success *out owns the tree: free with srr_yaml_free(). On failure
 * returns SRR_EINVAL with "file:line:col: message" in err. */
srr_rc srr_yaml_parse(const char *file, const char *text, size_t len,
                      srr_yaml_node **out, srr_error *err);
/* Reads and parses a file; errors as above (SRR_EIO when unreadable). */
srr_rc srr_yaml_load_file(const char *path, srr_yaml_node **out, srr_error *err);
void srr_yaml_free(srr_yaml_node *root);

/* Looks up a key in a MAP node; NULL when absent or node is not a map. */
const srr_yaml_node *srr_yaml_get(const srr_yaml_node *map, const char *key);

/* Name of a node type for messages: "scalar", "map", "sequence". */
const char *srr_yaml_type_name(srr_yaml_type t);

/* Typed scalar readers. Each returns SRR_EINVAL with "file:line:col: key:
 * expected ..." when the node is not of the right type. `what` names the
 * key in the message (e.g. "datadog.timeout"). */
srr_rc srr_yaml_string(const srr_yaml_node *n, const char *what, char **out, srr_error *err);
srr_rc srr_yaml_int(const srr_yaml_node *n, const char *what, long long min, long long max,
                    long long *out, srr_error *err);
srr_rc srr_yaml_double(const srr_yaml_node *n, const char *what, double *out, srr_error *err);
srr_rc srr_yaml_bool(const srr_yaml_node *n, const char *what, int *out, srr_error *err);
/* A duration such as "30s", "7d" (see srr_duration_parse). */
srr_rc srr_yaml_duration(const srr_yaml_node *n, const char *what, int64_t *out_s, srr_error *err);

/* Checks that every key of `map` is in the NULL-terminated `allowed` list;
 * otherwise SRR_EINVAL "file:line:col: unknown key 'x' in <section>
 * (expected one of: a, b, c)". Also fails when `map` is not a MAP. */
srr_rc srr_yaml_check_keys(const srr_yaml_node *map, const char *section,
                           const char *const *allowed, srr_error *err);

#endif
