/* SPDX-License-Identifier: Apache-2.0
 *
 * webhook_client.h - what the webhook tests and the webhook benchmark share:
 * Datadog-shaped payloads, a libcurl client that posts one and reports the
 * answer, a handle on an `srr serve` child process (started on port 0,
 * its port read from its log, stopped with SIGTERM), and a storm of posts
 * during which serve is killed with SIGKILL.
 */
#ifndef SRR_WEBHOOK_CLIENT_H
#define SRR_WEBHOOK_CLIENT_H

#include <stddef.h>
#include <sys/types.h>

/* The recommended template filled in as Datadog would (README "Datadog
 * webhook"), with the given $ID and $ALERT_TRANSITION. Caller frees. */
char *wh_payload(const char *event_id, const char *transition);
/* The same, padded through $TEXT_ONLY_MSG to exactly `size` bytes (>= 1200). */
char *wh_payload_sized(const char *event_id, const char *transition, size_t size);

/* One answer. */
typedef struct wh_answer {
    long code;           /* HTTP status, 0 when no answer came */
    char *body;          /* answer body (NUL-terminated), may be NULL */
    char *retry_after;   /* Retry-After header value, or NULL */
    char *request_id;    /* X-Request-Id header value, or NULL */
    char error[256];     /* libcurl's error when code == 0 */
} wh_answer;

/* POSTs body (len bytes) to url with the headers ("Name: value", NULL
 * terminated, may be NULL); timeout in ms (0 = 10 s). Fills *a; free with
 * wh_answer_free. Insecure TLS (self-signed test certificates). */
void wh_post(const char *url, const char *const *headers, const char *body, size_t len,
             long timeout_ms, wh_answer *a);
/* GET url. */
void wh_get(const char *url, long timeout_ms, wh_answer *a);
void wh_answer_free(wh_answer *a);

/* A running `srr serve`. */
typedef struct wh_proc {
    pid_t pid;
    unsigned short port;
    int err_fd;      /* read end of its stderr */
    char *log;       /* what it printed on stderr so far (grows on stop) */
} wh_proc;

/* Starts `SRR_BIN serve -c config [extra args...]` with extra environment
 * entries (NULL-terminated, may be NULL); waits (up to 10 s) for its
 * "listening on" line. Returns 0 and fills *p, or -1 (p->log then holds
 * what it printed; p->pid is reaped). */
int wh_proc_start(const char *srr_bin, const char *config, const char *const *args,
                  const char *const *env, wh_proc *p);
/* Sends SIGTERM, waits (up to 15 s, then SIGKILL) and returns the exit
 * status (128+signal when killed). Collects the rest of its stderr into
 * p->log; free with wh_proc_free. */
int wh_proc_stop(wh_proc *p);
void wh_proc_free(wh_proc *p);

/* A storm of Datadog-shaped alerts: `clients` threads POST per_client
 * alerts each (distinct $IDs: client i posts 8800000000<i*per_client+j>)
 * to url with the X-SRR-Token `token`. wh_storm_accepted says how many
 * were answered 202 so far; wh_storm_finish joins the clients, frees the
 * storm and returns the candidate ids answered 202 (*n; free with
 * wh_ids_free). */
typedef struct wh_storm wh_storm;
wh_storm *wh_storm_start(const char *url, const char *token, int clients, int per_client);
int wh_storm_accepted(wh_storm *s);
char **wh_storm_finish(wh_storm *s, size_t *n);

/* A storm survived by nobody: starts `srr_bin serve -c config` with
 * SRR_WEBHOOK_TOKEN=token, has `clients` threads POST per_client
 * Datadog-shaped alerts each (distinct $IDs), kills serve with SIGKILL once
 * kill_after of them were answered 202 (waiting up to timeout_ms), lets the
 * clients finish against the dead port, and returns the candidate ids
 * answered 202 (*n of them; free with wh_ids_free). Fails the test when
 * serve does not start, accepts too few, ends before the kill or is killed
 * only after the storm. */
char **wh_storm_kill_serve(const char *srr_bin, const char *config, const char *token,
                           int clients, int per_client, int kill_after, int timeout_ms,
                           size_t *n);
void wh_ids_free(char **ids, size_t n);
/* How many of ids are not in the candidates table of the SQLite store at
 * db. */
size_t wh_ids_missing_from_store(const char *db, char *const *ids, size_t n);
/* How many of ids are not in the store exactly once: no candidates row,
 * or not exactly one sighting of it (a re-applied candidate that changed
 * something would add one). */
size_t wh_ids_not_once_in_store(const char *db, char *const *ids, size_t n);

#endif
