/* SPDX-License-Identifier: Apache-2.0
 *
 * config.c - loads srr.yaml. Scalar options are declared once in the tables
 * below (section, key, type, default, where it lands, description): the
 * loader applies defaults and types from them, rejects unknown keys with
 * file:line:col, and srr_config_print_reference() prints the same tables as
 * the reference in the README and `srr config reference`.
 */
#include "config.h"

#include "log.h"
#include "reference.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* The option table types are public (config.h, srr_opt_def) so sinks can
 * declare theirs; short names here. */
typedef srr_opt_def opt_def;
#define OPT_STRING SRR_OPT_STRING
#define OPT_INT SRR_OPT_INT
#define OPT_DURATION SRR_OPT_DURATION
#define OPT_KV SRR_OPT_KV
#define OPT_LIST SRR_OPT_LIST
#define OPT_BOOL SRR_OPT_BOOL

#define OFF(type, field) offsetof(type, field)

static const opt_def datadog_opts[] = {
    {"site", OPT_STRING, "datadoghq.com", OFF(srr_dd_config, site), 0, 0,
     "Datadog site (datadoghq.com, us3.datadoghq.com, datadoghq.eu, ...). $DD_SITE wins over it."},
    {"api_url", OPT_STRING, NULL, OFF(srr_dd_config, api_url), 0, 0,
     "Base URL of the API (a proxy or a test server); wins over site."},
    {"timeout", OPT_DURATION, "30s", OFF(srr_dd_config, timeout_s), 1, 3600,
     "Total time allowed per request."},
    {"connect_timeout", OPT_DURATION, "10s", OFF(srr_dd_config, connect_timeout_s), 1, 600,
     "Time allowed to connect."},
    {"max_response_bytes", OPT_INT, "67108864", OFF(srr_dd_config, max_response_bytes), 1024,
     1LL << 32, "Largest response body accepted, in bytes."},
    {"max_concurrency", OPT_INT, "4", OFF(srr_dd_config, max_concurrency), 1, 64,
     "Requests in flight at once."},
    {"log_page_limit", OPT_INT, "1000", OFF(srr_dd_config, log_page_limit), 1, 1000,
     "page.limit of log searches (Datadog's maximum is 1000)."},
    {"max_log_pages", OPT_INT, "1000", OFF(srr_dd_config, max_log_pages), 1, 1000000,
     "Most pages read per log check and window."},
    {"max_attempts", OPT_INT, "4", OFF(srr_dd_config, max_attempts), 1, 20,
     "Tries per request on 429, 5xx, timeouts and connection errors (1 = no retry)."},
    {"retry_max_time", OPT_DURATION, "120s", OFF(srr_dd_config, retry_max_time_s), 1, 3600,
     "Total time one request may spend in retries and backoff."},
    {"rate_limit_max_wait", OPT_DURATION, "15m", OFF(srr_dd_config, rate_limit_max_wait_s), 1,
     86400, "Longest wait for an announced rate-limit reset before the check fails."},
    {NULL, OPT_STRING, NULL, 0, 0, 0, NULL}};

static const opt_def queue_opts[] = {
    {"backend", OPT_STRING, "spool", OFF(srr_queue_config, backend), 0, 0,
     "Where candidates are queued: spool (local durable files, the default) or kafka."},
    {"spool_dir", OPT_STRING, "srr-spool", OFF(srr_queue_config, spool_dir), 0, 0,
     "Directory of the local spool (relative to the config file)."},
    {"spool_retention", OPT_DURATION, "7d", OFF(srr_queue_config, spool_retention_s), 0,
     366 * 86400LL,
     "How long a consumed spool segment is kept after its last write, so `srr restore` of a "
     "backup that recent can apply again what was queued after it (0: deleted once consumed)."},
    {NULL, OPT_STRING, NULL, 0, 0, 0, NULL}};

static const opt_def kafka_opts[] = {
    {"brokers", OPT_STRING, "localhost:9092", OFF(srr_kafka_config, brokers), 0, 0,
     "Bootstrap servers, host:port[,host:port...]."},
    {"topic", OPT_STRING, "srr.candidates", OFF(srr_kafka_config, topic), 0, 0,
     "Topic of the candidates (key = fingerprint)."},
    {"dlq_topic", OPT_STRING, "srr.candidates.dlq", OFF(srr_kafka_config, dlq_topic), 0, 0,
     "Dead-letter topic for poison messages (reason in a header)."},
    {"group", OPT_STRING, "srr-writer", OFF(srr_kafka_config, group), 0, 0,
     "Consumer group of the writers."},
    {"rdkafka", OPT_KV, NULL, OFF(srr_kafka_config, rdkafka), 0, 0,
     "Map of librdkafka settings passed through as they are (security.protocol, sasl.*, ssl.*)."},
    {NULL, OPT_STRING, NULL, 0, 0, 0, NULL}};

static const opt_def webhook_opts[] = {
    {"listen", OPT_STRING, "127.0.0.1:8080", OFF(srr_webhook_config, listen), 0, 0,
     "Address and port of srr serve."},
    {"token_header", OPT_STRING, "X-SRR-Token", OFF(srr_webhook_config, token_header), 0, 0,
     "Header carrying the shared secret."},
    {"token_env", OPT_STRING, "SRR_WEBHOOK_TOKEN", OFF(srr_webhook_config, token_env), 0, 0,
     "Environment variable holding the shared secret."},
    {"token_file", OPT_STRING, NULL, OFF(srr_webhook_config, token_file), 0, 0,
     "File holding the shared secret (first line), instead of token_env."},
    {"basic_user", OPT_STRING, NULL, OFF(srr_webhook_config, basic_user), 0, 0,
     "User name for basic auth (the password from basic_password_env or _file)."},
    {"basic_password_env", OPT_STRING, "SRR_WEBHOOK_PASSWORD",
     OFF(srr_webhook_config, basic_password_env), 0, 0,
     "Environment variable holding the basic auth password."},
    {"basic_password_file", OPT_STRING, NULL, OFF(srr_webhook_config, basic_password_file), 0, 0,
     "File holding the basic auth password (first line)."},
    {"max_body_bytes", OPT_INT, "262144", OFF(srr_webhook_config, max_body_bytes), 1024,
     64LL << 20, "Largest request body accepted (413 beyond)."},
    {"connection_timeout", OPT_DURATION, "15s", OFF(srr_webhook_config, connection_timeout_s), 1,
     600,
     "Idle time after which a connection is closed; also the most time a client may take to "
     "send one request (slow clients are cut off)."},
    {"queue_timeout", OPT_DURATION, "5s", OFF(srr_webhook_config, queue_timeout_s), 1, 14,
     "Longest wait for the queue to confirm an alert before answering 503 (under Datadog's 15 s)."},
    {"max_connections", OPT_INT, "1024", OFF(srr_webhook_config, max_connections), 1, 65535,
     "Connections open at once, in total."},
    {"per_ip_connections", OPT_INT, "64", OFF(srr_webhook_config, per_ip_connections), 1, 65535,
     "Connections open at once from one address."},
    {"threads", OPT_INT, "0", OFF(srr_webhook_config, threads), 0, 256,
     "Worker threads (0 = one per core)."},
    {"tls_cert", OPT_STRING, NULL, OFF(srr_webhook_config, tls_cert), 0, 0,
     "PEM certificate for TLS (with tls_key); plain HTTP when unset."},
    {"tls_key", OPT_STRING, NULL, OFF(srr_webhook_config, tls_key), 0, 0, "PEM private key for TLS."},
    {"quarantine_dir", OPT_STRING, "srr-quarantine", OFF(srr_webhook_config, quarantine_dir), 0,
     0, "Where unparseable webhook bodies are kept for inspection."},
    {"quarantine_max_bodies", OPT_INT, "1000", OFF(srr_webhook_config, quarantine_max_bodies), 1,
     10000000,
     "Most bodies kept in quarantine_dir; when full, a body srr cannot read is answered 503 "
     "with Retry-After (Datadog retries) and /readyz fails until it is cleared."},
    {"quarantine_max_bytes", OPT_INT, "104857600", OFF(srr_webhook_config, quarantine_max_bytes),
     65536, 1LL << 40, "Most bytes kept in quarantine_dir (bodies and their .json notes)."},
    {NULL, OPT_STRING, NULL, 0, 0, 0, NULL}};

static const opt_def store_opts[] = {
    {"path", OPT_STRING, "srr.db", OFF(srr_store_config, path), 0, 0,
     "SQLite file holding the records (relative to the config file)."},
    {NULL, OPT_STRING, NULL, 0, 0, 0, NULL}};

static const opt_def sweep_opts[] = {
    {"window", OPT_DURATION, "7d", OFF(srr_sweep_config, window_s), 60, 90 * 86400LL,
     "Default window a check looks at."},
    {"align", OPT_DURATION, "1h", OFF(srr_sweep_config, align_s), 1, 86400,
     "The window end is rounded down to a multiple of this, so reruns judge the same window."},
    {"max_catchup", OPT_DURATION, "28d", OFF(srr_sweep_config, max_catchup_s), 60,
     365 * 86400LL, "After downtime, how far back a sweep catches up at most."},
    {"textfile", OPT_STRING, NULL, OFF(srr_sweep_config, textfile), 0, 0,
     "Prometheus textfile (node_exporter collector) written after each sweep."},
    {"on_partial", OPT_STRING, "fail", OFF(srr_sweep_config, on_partial), 0, 0,
     "What a check's window is worth when Datadog's answer was partial (a logs query that "
     "timed out or warned, datadog.max_log_pages reached, a v2 query error): fail (nothing "
     "kept, the sweep exits 1 and judges the window again next time) or keep (its signals "
     "are kept marked partial, the window counts as judged)."},
    {NULL, OPT_STRING, NULL, 0, 0, 0, NULL}};

static const opt_def team_opts[] = {
    {"members", OPT_LIST, NULL, OFF(srr_team_config, members), 0, 0,
     "People who take records; assignments are suggested among them."},
    {"owners", OPT_KV, NULL, OFF(srr_team_config, owners), 0, 0,
     "Map of service -> default owner (a member or a team)."},
    {"emails", OPT_KV, NULL, OFF(srr_team_config, emails), 0, 0,
     "Map of person -> email; exports write these people as emails (Notion and Sheets match "
     "people by email)."},
    {"skew_percent", OPT_INT, "200", OFF(srr_team_config, skew_percent), 100, 10000,
     "srr team load flags skew when the busiest person carries more than this % of the mean."},
    {"stale_after", OPT_DURATION, "30d", OFF(srr_team_config, stale_s), 86400, 365 * 86400LL,
     "An open record not updated for this long is stale in reviews."},
    {NULL, OPT_STRING, NULL, 0, 0, 0, NULL}};

/* The keys of checks[] and of the top level are rows of core/reference.c,
 * where they are documented; the loaders accept what is documented. */
#define MAX_SECTION_KEYS 64

typedef struct section_def {
    const char *name;
    const opt_def *opts;
    size_t offset; /* of the section struct inside srr_config */
} section_def;

/* Sections in load order; a dotted name is a map inside its parent (the
 * parent accepts the last part as a key). */
static const section_def sections[] = {
    {"datadog", datadog_opts, offsetof(srr_config, datadog)},
    {"queue", queue_opts, offsetof(srr_config, queue)},
    {"queue.kafka", kafka_opts, offsetof(srr_config, queue) + offsetof(srr_queue_config, kafka)},
    {"store", store_opts, offsetof(srr_config, store)},
    {"sweep", sweep_opts, offsetof(srr_config, sweep)},
    {"webhook", webhook_opts, offsetof(srr_config, webhook)},
    {"team", team_opts, offsetof(srr_config, team)},
    {NULL, NULL, 0}};

/* The node of a (possibly dotted) section name, or NULL. */
static const srr_yaml_node *section_node(const srr_yaml_node *root, const char *name)
{
    const char *dot = strchr(name, '.');
    if (!dot)
        return srr_yaml_get(root, name);
    {
        char parent[64];
        const srr_yaml_node *p;
        snprintf(parent, sizeof(parent), "%.*s", (int)(dot - name), name);
        p = srr_yaml_get(root, parent);
        return p && p->type == SRR_YAML_MAP ? srr_yaml_get(p, dot + 1) : NULL;
    }
}

const char *srr_config_locate(const char *explicit_path)
{
    const char *env;
    if (explicit_path && *explicit_path)
        return explicit_path;
    env = getenv("SRR_CONFIG");
    if (env && *env)
        return env;
    return "srr.yaml";
}

/* A list option's default: comma separated items (NULL or "": empty). */
static srr_rc list_default(const char *def, char ***dst, size_t *count)
{
    const char *p = def;
    size_t n = 1;
    if (!def || !*def)
        return SRR_OK;
    for (const char *q = def; *q; q++)
        n += *q == ',';
    *dst = srr_calloc(n, sizeof(char *));
    while (*p) {
        size_t len = strcspn(p, ",");
        (*dst)[(*count)++] = srr_strndup(p, len);
        p += len;
        p += *p == ',';
    }
    return SRR_OK;
}

/* Sets one option from a node (or its default when node is NULL). */
static srr_rc apply_opt(const opt_def *o, void *base, const srr_yaml_node *n, const char *section,
                        srr_error *err)
{
    char what[160];
    void *field = (char *)base + o->offset;
    snprintf(what, sizeof(what), "%s.%s", section, o->key);
    switch (o->type) {
    case OPT_STRING: {
        char **dst = field;
        free(*dst);
        *dst = NULL;
        if (n)
            return srr_yaml_string(n, what, dst, err);
        *dst = srr_strdup(o->def);
        return SRR_OK;
    }
    case OPT_INT: {
        long long *dst = field;
        if (n)
            return srr_yaml_int(n, what, o->min, o->max, dst, err);
        *dst = strtoll(o->def, NULL, 10);
        return SRR_OK;
    }
    case OPT_KV: {
        /* The field is an srr_kv array followed by its size_t count. */
        srr_kv **dst = field;
        size_t *count = (size_t *)((char *)field + sizeof(srr_kv *));
        size_t i;
        if (!n || (n->type == SRR_YAML_SCALAR && n->value[0] == '\0'))
            return SRR_OK;
        if (n->type != SRR_YAML_MAP)
            return srr_error_at(err, SRR_EINVAL, n->file, n->line, n->col,
                                "%s: expected a map of settings, found a %s", what,
                                srr_yaml_type_name(n->type));
        *dst = srr_calloc(n->n, sizeof(srr_kv));
        for (i = 0; i < n->n; i++) {
            const srr_yaml_node *v = n->pairs[i].value;
            if (v->type != SRR_YAML_SCALAR)
                return srr_error_at(err, SRR_EINVAL, v->file, v->line, v->col,
                                    "%s.%s: expected a value, found a %s", what, n->pairs[i].key,
                                    srr_yaml_type_name(v->type));
            (*dst)[i].key = srr_strdup(n->pairs[i].key);
            (*dst)[i].value = srr_strdup(v->value);
            *count = i + 1;
        }
        return SRR_OK;
    }
    case OPT_LIST: {
        /* The field is a char* array followed by its size_t count. */
        char ***dst = field;
        size_t *count = (size_t *)((char *)field + sizeof(char **));
        size_t i;
        if (!n)
            return list_default(o->def, dst, count);
        if (n->type == SRR_YAML_SCALAR && n->value[0] == '\0')
            return SRR_OK;
        if (n->type != SRR_YAML_SEQ)
            return srr_error_at(err, SRR_EINVAL, n->file, n->line, n->col,
                                "%s: expected a list, found a %s", what,
                                srr_yaml_type_name(n->type));
        *dst = srr_calloc(n->n, sizeof(char *));
        for (i = 0; i < n->n; i++) {
            char item[192];
            snprintf(item, sizeof(item), "%s[%zu]", what, i);
            if (srr_yaml_string(n->items[i], item, &(*dst)[i], err) != SRR_OK)
                return SRR_EINVAL;
            *count = i + 1;
        }
        return SRR_OK;
    }
    case OPT_BOOL: {
        int *dst = field;
        if (n)
            return srr_yaml_bool(n, what, dst, err);
        *dst = o->def && strcmp(o->def, "true") == 0;
        return SRR_OK;
    }
    case OPT_DURATION: {
        int64_t *dst = field;
        srr_rc rc;
        if (!n)
            return srr_duration_parse(o->def, dst);
        rc = srr_yaml_duration(n, what, dst, err);
        if (rc == SRR_OK && (*dst < o->min || *dst > o->max))
            return srr_error_at(err, SRR_EINVAL, n->file, n->line, n->col,
                                "%s: %s is out of range", what, n->value);
        return rc;
    }
    }
    return SRR_ERR;
}

static srr_rc load_section(srr_config *cfg, const section_def *sd, srr_error *err)
{
    const srr_yaml_node *sec = section_node(cfg->root, sd->name);
    const char *allowed[40];
    size_t i, n, j;
    srr_rc rc;
    void *base = (char *)cfg + sd->offset;
    size_t namelen = strlen(sd->name);
    for (n = 0; sd->opts[n].key; n++)
        allowed[n] = sd->opts[n].key;
    for (j = 0; sections[j].name; j++) /* child sections are keys too */
        if (strncmp(sections[j].name, sd->name, namelen) == 0 &&
            sections[j].name[namelen] == '.' && !strchr(sections[j].name + namelen + 1, '.'))
            allowed[n++] = sections[j].name + namelen + 1;
    allowed[n] = NULL;
    if (sec && sec->type == SRR_YAML_SCALAR && sec->value[0] == '\0')
        sec = NULL; /* "datadog:" with nothing under it */
    rc = srr_yaml_check_keys(sec, sd->name, allowed, err);
    if (rc != SRR_OK)
        return rc;
    for (i = 0; sd->opts[i].key; i++) {
        rc = apply_opt(&sd->opts[i], base, srr_yaml_get(sec, sd->opts[i].key), sd->name, err);
        if (rc != SRR_OK)
            return rc;
    }
    return SRR_OK;
}

static srr_rc opt_string(const srr_yaml_node *map, const char *key, const char *what,
                         char **out, srr_error *err)
{
    const srr_yaml_node *n = srr_yaml_get(map, key);
    char buf[160];
    *out = NULL;
    if (!n)
        return SRR_OK;
    snprintf(buf, sizeof(buf), "%s.%s", what, key);
    return srr_yaml_string(n, buf, out, err);
}

static srr_rc load_check(srr_config *cfg, const srr_yaml_node *n, size_t idx, srr_check *c,
                         srr_error *err)
{
    char what[96];
    const srr_yaml_node *v;
    char *src = NULL;
    srr_rc rc;
    size_t i;
    snprintf(what, sizeof(what), "checks[%zu]", idx);
    const char *check_keys[MAX_SECTION_KEYS];
    srr_ref_section_keys("checks[]", check_keys, MAX_SECTION_KEYS);
    rc = srr_yaml_check_keys(n, what, check_keys, err);
    if (rc != SRR_OK)
        return rc;
    c->node = n;
    if ((rc = opt_string(n, "name", what, &c->name, err)) != SRR_OK)
        return rc;
    if (!c->name || !*c->name)
        return srr_error_at(err, SRR_EINVAL, n->file, n->line, n->col,
                            "%s: every check needs a name", what);
    for (i = 0; c->name[i]; i++) {
        char ch = c->name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_' || ch == '.') ||
            (i == 0 && ch == '.')) {
            v = srr_yaml_get(n, "name");
            return srr_error_at(err, SRR_EINVAL, v->file, v->line, v->col,
                                "%s.name: '%s' may only use letters, digits, '-', '_' and '.'",
                                what, c->name);
        }
    }
    for (i = 0; i < idx; i++) {
        if (strcmp(cfg->checks[i].name, c->name) == 0) {
            v = srr_yaml_get(n, "name");
            return srr_error_at(err, SRR_EINVAL, v->file, v->line, v->col,
                                "%s.name: duplicate check name '%s'", what, c->name);
        }
    }
    snprintf(what, sizeof(what), "checks.%s", c->name);
    if ((rc = opt_string(n, "source", what, &src, err)) != SRR_OK)
        return rc;
    v = srr_yaml_get(n, "source");
    if (!src || srr_source_parse(src, &c->source) != SRR_OK || c->source == SRR_SRC_WEBHOOK) {
        const srr_yaml_node *at = v ? v : n;
        free(src);
        return srr_error_at(err, SRR_EINVAL, at->file, at->line, at->col,
                            "%s.source: expected metrics or logs", what);
    }
    free(src);
    if ((rc = opt_string(n, "query", what, &c->query, err)) != SRR_OK)
        return rc;
    if (!c->query || !*c->query)
        return srr_error_at(err, SRR_EINVAL, n->file, n->line, n->col, "%s: missing 'query'",
                            what);
    if ((rc = opt_string(n, "when", what, &c->when, err)) != SRR_OK)
        return rc;
    c->when_node = srr_yaml_get(n, "when");
    if (!c->when)
        return srr_error_at(err, SRR_EINVAL, n->file, n->line, n->col,
                            "%s: missing 'when' (the condition that makes a signal, e.g. "
                            "\"max > 90%%\")",
                            what);
    if ((rc = opt_string(n, "limit", what, &c->limit, err)) != SRR_OK ||
        (rc = opt_string(n, "unit", what, &c->unit, err)) != SRR_OK ||
        (rc = opt_string(n, "service", what, &c->service, err)) != SRR_OK ||
        (rc = opt_string(n, "env", what, &c->env, err)) != SRR_OK ||
        (rc = opt_string(n, "description", what, &c->description, err)) != SRR_OK)
        return rc;
    c->limit_node = srr_yaml_get(n, "limit");
    c->unit_node = srr_yaml_get(n, "unit");
    c->window_s = cfg->sweep.window_s;
    v = srr_yaml_get(n, "window");
    if (v) {
        char buf[128];
        snprintf(buf, sizeof(buf), "%s.window", what);
        if ((rc = srr_yaml_duration(v, buf, &c->window_s, err)) != SRR_OK)
            return rc;
        if (c->window_s < 60)
            return srr_error_at(err, SRR_EINVAL, v->file, v->line, v->col,
                                "%s: a window shorter than 1m is not useful", buf);
    }
    v = srr_yaml_get(n, "group_by");
    if (v) {
        if (v->type == SRR_YAML_SCALAR) {
            c->group_by = srr_malloc(sizeof(char *));
            c->group_by[0] = srr_strdup(v->value);
            c->ngroup_by = 1;
        } else if (v->type == SRR_YAML_SEQ) {
            c->group_by = srr_calloc(v->n, sizeof(char *));
            for (i = 0; i < v->n; i++) {
                char buf[128];
                snprintf(buf, sizeof(buf), "%s.group_by[%zu]", what, i);
                if ((rc = srr_yaml_string(v->items[i], buf, &c->group_by[i], err)) != SRR_OK)
                    return rc;
                c->ngroup_by++;
            }
        } else {
            return srr_error_at(err, SRR_EINVAL, v->file, v->line, v->col,
                                "%s.group_by: expected a name or a list of names", what);
        }
    }
    return SRR_OK;
}

/* Resolves a relative path against the directory of the config file. */
static void resolve_path(char **p, const char *cfgpath)
{
    const char *slash;
    char *r;
    if (!*p || (*p)[0] == '/' || !cfgpath)
        return;
    slash = strrchr(cfgpath, '/');
    if (!slash)
        return;
    r = srr_asprintf("%.*s/%s", (int)(slash - cfgpath), cfgpath, *p);
    free(*p);
    *p = r;
}

/* Reads a secret from a file (first line, without the newline) when `path`
 * is set, else from the environment variable `env`. *out stays NULL when
 * neither is set or both are empty. The secret never appears in messages. */
static srr_rc load_secret(const char *env, const char *path, const char *what, char **out,
                          srr_error *err)
{
    *out = NULL;
    if (path && *path) {
        char *text = NULL;
        size_t len = 0, n = 0;
        if (srr_file_read(path, 64 * 1024, &text, &len, err) != SRR_OK)
            return srr_error_set(err, SRR_EINVAL, "%s: cannot read %s", what, path);
        while (n < len && text[n] != '\n' && text[n] != '\r')
            n++;
        if (memchr(text, '\0', n)) { /* a secret is compared whole: refuse a cut one */
            free(text);
            return srr_error_set(err, SRR_EINVAL, "%s: %s holds a NUL byte in its first line",
                                 what, path);
        }
        if (n > 0)
            *out = srr_strndup(text, n);
        free(text);
        return SRR_OK;
    }
    if (env && *env) {
        const char *v = getenv(env);
        if (v && *v)
            *out = srr_strdup(v);
    }
    return SRR_OK;
}

char *srr_config_path(const srr_config *cfg, const char *path)
{
    char *p;
    if (!path)
        return NULL;
    p = srr_strdup(path);
    resolve_path(&p, cfg ? cfg->path : NULL);
    return p;
}

srr_rc srr_config_secret(const srr_config *cfg, const char *env, const char *file,
                         const char *what, char **out, srr_error *err)
{
    char *path = file && *file ? srr_config_path(cfg, file) : NULL;
    srr_rc rc = load_secret(env, path, what, out, err);
    free(path);
    if (rc == SRR_OK)
        srr_secret_register(*out);
    return rc;
}

srr_rc srr_config_parse(const char *file, const char *text, size_t len, srr_config **out,
                        srr_error *err)
{
    srr_config *cfg = srr_calloc(1, sizeof(*cfg));
    const srr_yaml_node *checks;
    const char *env;
    srr_rc rc;
    size_t i;

    cfg->path = srr_strdup(file);
    rc = srr_yaml_parse(file, text, len, &cfg->root, err);
    if (rc != SRR_OK)
        goto fail;
    const char *top_keys[MAX_SECTION_KEYS];
    srr_ref_section_keys("", top_keys, MAX_SECTION_KEYS);
    rc = srr_yaml_check_keys(cfg->root, "the top level of the config", top_keys, err);
    if (rc != SRR_OK)
        goto fail;
    for (i = 0; sections[i].name; i++) {
        rc = load_section(cfg, &sections[i], err);
        if (rc != SRR_OK)
            goto fail;
    }
    if (strcmp(cfg->queue.backend, "spool") != 0 && strcmp(cfg->queue.backend, "kafka") != 0) {
        const srr_yaml_node *n = srr_yaml_get(srr_yaml_get(cfg->root, "queue"), "backend");
        rc = srr_error_at(err, SRR_EINVAL, n->file, n->line, n->col,
                          "queue.backend: expected spool or kafka, found '%s'", cfg->queue.backend);
        goto fail;
    }
    if (strcmp(cfg->sweep.on_partial, "fail") != 0 && strcmp(cfg->sweep.on_partial, "keep") != 0) {
        const srr_yaml_node *n = srr_yaml_get(srr_yaml_get(cfg->root, "sweep"), "on_partial");
        rc = srr_error_at(err, SRR_EINVAL, n->file, n->line, n->col,
                          "sweep.on_partial: expected fail or keep, found '%s'",
                          cfg->sweep.on_partial);
        goto fail;
    }
    checks = srr_yaml_get(cfg->root, "checks");
    if (checks && !(checks->type == SRR_YAML_SCALAR && checks->value[0] == '\0')) {
        if (checks->type != SRR_YAML_SEQ) {
            rc = srr_error_at(err, SRR_EINVAL, checks->file, checks->line, checks->col,
                              "checks: expected a list of checks, found a %s",
                              srr_yaml_type_name(checks->type));
            goto fail;
        }
        cfg->checks = srr_calloc(checks->n, sizeof(srr_check));
        for (i = 0; i < checks->n; i++) {
            rc = load_check(cfg, checks->items[i], i, &cfg->checks[i], err);
            cfg->nchecks = i + 1; /* so destroy frees the partial check too */
            if (rc != SRR_OK)
                goto fail;
        }
    }
    cfg->policy = srr_yaml_get(cfg->root, "policy");
    cfg->monitors = srr_yaml_get(cfg->root, "monitors");

    /* Datadog's own conventions: keys and site from the environment. */
    env = getenv("DD_SITE");
    if (env && *env) {
        free(cfg->datadog.site);
        cfg->datadog.site = srr_strdup(env);
    }
    env = getenv("DD_API_KEY");
    cfg->datadog.api_key = env && *env ? srr_strdup(env) : NULL;
    env = getenv("DD_APP_KEY");
    cfg->datadog.app_key = env && *env ? srr_strdup(env) : NULL;
    resolve_path(&cfg->queue.spool_dir, file);
    resolve_path(&cfg->store.path, file);
    resolve_path(&cfg->webhook.quarantine_dir, file);
    resolve_path(&cfg->sweep.textfile, file);
    rc = load_secret(cfg->webhook.token_env, cfg->webhook.token_file, "webhook.token_file",
                     &cfg->webhook.token, err);
    if (rc == SRR_OK)
        rc = load_secret(cfg->webhook.basic_password_env, cfg->webhook.basic_password_file,
                         "webhook.basic_password_file", &cfg->webhook.basic_password, err);
    if (rc != SRR_OK)
        goto fail;
    /* Whatever prints later, these never leave the process. */
    srr_secret_register(cfg->datadog.api_key);
    srr_secret_register(cfg->datadog.app_key);
    srr_secret_register(cfg->webhook.token);
    srr_secret_register(cfg->webhook.basic_password);
    *out = cfg;
    return SRR_OK;
fail:
    srr_config_destroy(cfg);
    return rc;
}

srr_rc srr_config_load(const char *path, srr_config **out, srr_error *err)
{
    char *text = NULL;
    size_t len = 0;
    srr_rc rc = srr_file_read(path, 16u << 20, &text, &len, err);
    if (rc != SRR_OK) {
        if (rc == SRR_ENOTFOUND)
            srr_error_set(err, SRR_EIO,
                          "config file %s not found (give -c FILE, set $SRR_CONFIG, or create "
                          "./srr.yaml)",
                          path);
        return SRR_EIO;
    }
    rc = srr_config_parse(path, text, len, out, err);
    free(text);
    return rc;
}

static void free_section(void *base, const opt_def *opts)
{
    size_t i, j;
    for (i = 0; opts[i].key; i++) {
        void *field = (char *)base + opts[i].offset;
        if (opts[i].type == OPT_STRING) {
            char **p = field;
            free(*p);
            *p = NULL;
        } else if (opts[i].type == OPT_LIST) {
            char ***list = field;
            size_t *count = (size_t *)((char *)field + sizeof(char **));
            for (j = 0; j < *count; j++)
                free((*list)[j]);
            free(*list);
            *list = NULL;
            *count = 0;
        } else if (opts[i].type == OPT_KV) {
            srr_kv **kv = field;
            size_t *count = (size_t *)((char *)field + sizeof(srr_kv *));
            for (j = 0; j < *count; j++) {
                free((*kv)[j].key);
                free((*kv)[j].value);
            }
            free(*kv);
            *kv = NULL;
            *count = 0;
        }
    }
}

void srr_config_destroy(srr_config *cfg)
{
    size_t i, j;
    if (!cfg)
        return;
    for (i = 0; sections[i].name; i++)
        free_section((char *)cfg + sections[i].offset, sections[i].opts);
    free(cfg->datadog.api_key);
    free(cfg->datadog.app_key);
    free(cfg->webhook.token);
    free(cfg->webhook.basic_password);
    for (i = 0; i < cfg->nchecks; i++) {
        srr_check *c = &cfg->checks[i];
        free(c->name);
        free(c->query);
        free(c->when);
        free(c->limit);
        free(c->unit);
        free(c->service);
        free(c->env);
        free(c->description);
        for (j = 0; j < c->ngroup_by; j++)
            free(c->group_by[j]);
        free(c->group_by);
    }
    free(cfg->checks);
    srr_yaml_free(cfg->root);
    free(cfg->path);
    free(cfg);
}

char *srr_config_dd_base_url(const srr_config *cfg)
{
    if (cfg->datadog.api_url && *cfg->datadog.api_url) {
        size_t n = strlen(cfg->datadog.api_url);
        while (n > 0 && cfg->datadog.api_url[n - 1] == '/')
            n--;
        return srr_strndup(cfg->datadog.api_url, n);
    }
    return srr_asprintf("https://api.%s", cfg->datadog.site ? cfg->datadog.site : "datadoghq.com");
}

void srr_config_print_options(FILE *out, const char *name, const srr_opt_def *opts, int roff)
{
    static const char *const type_names[] = {"string", "integer", "duration",
                                             "map",    "list",    "boolean"};
    size_t i;
    for (i = 0; opts[i].key; i++) {
        const opt_def *o = &opts[i];
        const char *p;
        if (!roff) {
            fprintf(out, "| `%s.%s` | %s | %s | %s |\n", name, o->key, type_names[o->type],
                    o->def ? o->def : "(unset)", o->help);
            continue;
        }
        fprintf(out, ".TP\n.B %s.%s\n(%s, default %s)\n", name, o->key, type_names[o->type],
                o->def ? o->def : "unset");
        for (p = o->help; *p; p++) {
            if (*p == '\\')
                fputs("\\e", out);
            else if (*p == '-')
                fputs("\\-", out);
            else
                fputc(*p, out);
        }
        fputc('\n', out);
    }
}

void srr_config_print_reference(FILE *out)
{
    size_t s;
    fprintf(out, "#### Options\n\n| option | type | default | meaning |\n|---|---|---|---|\n");
    for (s = 0; sections[s].name; s++)
        srr_config_print_options(out, sections[s].name, sections[s].opts, 0);
}

void srr_config_print_reference_roff(FILE *out)
{
    size_t s;
    fputs(".SS Options\n", out);
    for (s = 0; sections[s].name; s++)
        srr_config_print_options(out, sections[s].name, sections[s].opts, 1);
}

srr_rc srr_config_load_options(const srr_opt_def *opts, const srr_yaml_node *section,
                               const char *name, void *base, srr_error *err)
{
    const char *allowed[64];
    size_t i, n;
    srr_rc rc;
    for (n = 0; opts[n].key && n < 63; n++)
        allowed[n] = opts[n].key;
    allowed[n] = NULL;
    if (section && section->type == SRR_YAML_SCALAR && section->value[0] == '\0')
        section = NULL; /* "notion:" with nothing under it */
    rc = srr_yaml_check_keys(section, name, allowed, err);
    for (i = 0; rc == SRR_OK && opts[i].key; i++)
        rc = apply_opt(&opts[i], base, srr_yaml_get(section, opts[i].key), name, err);
    return rc;
}

void srr_config_free_options(const srr_opt_def *opts, void *base)
{
    free_section(base, opts);
}
