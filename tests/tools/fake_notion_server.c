/* SPDX-License-Identifier: Apache-2.0
 *
 * fake_notion_server.c - the fake Notion API of tests/support as a program,
 * for the README's demo (scripts/notion-demo.sh) and for trying srr's
 * Notion sink by hand: serves on 127.0.0.1 (port from argv[1], else one the
 * kernel picks) at Notion's rate limit (3 requests/s, or argv[2]), prints
 * one line of shell assignments (FAKE_NOTION_URL, FAKE_NOTION_DATABASE,
 * FAKE_NOTION_TOKEN) and runs until SIGTERM or SIGINT, then prints every
 * page it holds (properties and body) and exits. While it runs,
 * GET $FAKE_NOTION_URL/_fake/dump answers the same text.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "fake_notion.h"

int main(int argc, char **argv)
{
    sigset_t set;
    int sig = 0;
    fake_notion *f;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    f = fake_notion_start(argc > 1 ? (unsigned short)strtoul(argv[1], NULL, 10) : 0);
    if (!f)
        return 1;
    if (argc > 2)
        fake_notion_set_rate(f, strtod(argv[2], NULL), 3);
    printf("FAKE_NOTION_URL=%s FAKE_NOTION_DATABASE=%s FAKE_NOTION_TOKEN=%s\n", fake_notion_url(f),
           fake_notion_database(f), FAKE_NOTION_TOKEN);
    fflush(stdout);
    sigwait(&set, &sig);
    fake_notion_dump(f, stdout);
    fflush(stdout);
    fake_notion_stop(&f);
    return 0;
}
