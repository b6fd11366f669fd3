/* SPDX-License-Identifier: Apache-2.0
 *
 * fake_sinks_server.c - the fake Slack, GitHub and Google Sheets of
 * tests/support as one program, for the README's demo
 * (scripts/sinks-demo.sh) and for trying srr's sinks by hand. It makes a
 * service account key for the fake Google (written to DIR/sa.json, DIR
 * from argv[1], else "."), serves the three fakes on 127.0.0.1 (ports the
 * kernel picks), prints one line of shell assignments (FAKE_SLACK_WEBHOOK,
 * FAKE_GITHUB_URL, FAKE_GITHUB_REPO, FAKE_GITHUB_TOKEN, FAKE_SHEETS_URL,
 * FAKE_SHEETS_ID, FAKE_SHEETS_KEY) and runs until SIGTERM or SIGINT; then
 * it prints what each received: the Slack messages, the GitHub issues and
 * the sheet's rows.
 */
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_github.h"
#include "fake_sheets.h"
#include "fake_slack.h"
#include "sa_key.h"
#include "srr.h"

/* The text a person reads in a Slack message: its blocks' texts. */
static void print_message(size_t i, const char *body)
{
    json_t *m = json_loads(body, 0, NULL), *b, *e;
    size_t j, k;
    printf("--- message %zu ---\n", i + 1);
    json_array_foreach(json_object_get(m, "blocks"), j, b)
    {
        const char *t = json_string_value(json_object_get(json_object_get(b, "text"), "text"));
        if (t)
            printf("%s\n", t);
        json_array_foreach(json_object_get(b, "elements"), k, e)
        {
            const char *et = json_string_value(json_object_get(e, "text"));
            if (et)
                printf("%s\n", et);
        }
    }
    json_decref(m);
}

static void dump_slack(fake_slack *s)
{
    size_t n = fake_slack_messages(s);
    printf("== Slack: %zu message%s ==\n", n, n == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++) {
        char *body = fake_slack_message(s, i);
        print_message(i, body);
        free(body);
    }
}

static void dump_github(fake_github *g)
{
    size_t n = fake_github_issues(g);
    printf("\n== GitHub %s: %zu issue%s ==\n", FAKE_GITHUB_REPO, n, n == 1 ? "" : "s");
    for (long long num = 1; num <= (long long)n; num++) {
        char *title = fake_github_issue_field(g, num, "title");
        char *state = fake_github_issue_field(g, num, "state");
        char *labels = fake_github_issue_field(g, num, "labels");
        char *body = fake_github_issue_field(g, num, "body");
        if (title)
            printf("--- #%lld [%s] %s (labels: %s) ---\n%s\n", num, state ? state : "?", title,
                   labels ? labels : "", body ? body : "");
        free(title);
        free(state);
        free(labels);
        free(body);
    }
}

static void dump_sheet(fake_sheets *s)
{
    size_t n = fake_sheets_rows(s, "SRR");
    printf("\n== Google Sheet, tab SRR: %zu row%s ==\n", n, n == 1 ? "" : "s");
    for (size_t r = 1; r <= n; r++) {
        for (size_t c = 0; c < 15; c++) {
            char *v = fake_sheets_cell(s, "SRR", r, c, NULL);
            printf("%s%s", c ? " | " : "", v ? v : "");
            free(v);
        }
        printf("\n");
    }
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    sigset_t set;
    int sig = 0;
    fake_slack *slack;
    fake_github *gh;
    fake_sheets *sheets;
    char *key;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    slack = fake_slack_start();
    gh = fake_github_start();
    sheets = fake_sheets_start(tu_sa_key_get(FAKE_SHEETS_EMAIL, "later")->pub_pem);
    if (!slack || !gh || !sheets)
        return 1;
    key = tu_sa_key_write(dir, "sa.json", FAKE_SHEETS_EMAIL, fake_sheets_token_url(sheets));
    printf("FAKE_SLACK_WEBHOOK=%s FAKE_GITHUB_URL=%s FAKE_GITHUB_REPO=%s FAKE_GITHUB_TOKEN=%s "
           "FAKE_SHEETS_URL=%s FAKE_SHEETS_ID=%s FAKE_SHEETS_KEY=%s\n",
           fake_slack_webhook_url(slack), fake_github_url(gh), FAKE_GITHUB_REPO, FAKE_GITHUB_TOKEN,
           fake_sheets_url(sheets), FAKE_SHEETS_ID, key);
    fflush(stdout);
    sigwait(&set, &sig);
    dump_slack(slack);
    dump_github(gh);
    dump_sheet(sheets);
    fflush(stdout);
    fake_slack_stop(&slack);
    fake_github_stop(&gh);
    fake_sheets_stop(&sheets);
    free(key);
    return 0;
}
