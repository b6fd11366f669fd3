/* SPDX-License-Identifier: Apache-2.0
 *
 * registry.c - the list of sinks srr knows (sink.h). Like Fluent Bit's
 * plugin registration, by hand: a new sink is one file with one
 * `const srr_sink_plugin` and one line here. The outbox finds sinks only
 * through this list, so it never includes a sink's code, and a sink never
 * includes the outbox's.
 */
#include <string.h>

#include "sink.h"

extern const srr_sink_plugin srr_sink_notion;  /* notion.c */
extern const srr_sink_plugin srr_sink_slack;   /* slack.c */
extern const srr_sink_plugin srr_sink_tickets; /* tickets.c: GitHub or Jira */
extern const srr_sink_plugin srr_sink_sheets;  /* sheets.c */

static const srr_sink_plugin *const SINKS[] = {
    &srr_sink_notion, &srr_sink_slack, &srr_sink_tickets, &srr_sink_sheets, NULL,
};

const srr_sink_plugin *const *srr_sinks_all(void)
{
    return SINKS;
}

const srr_sink_plugin *srr_sinks_find(const char *name)
{
    size_t i;
    for (i = 0; name && SINKS[i]; i++)
        if (strcmp(SINKS[i]->name, name) == 0)
            return SINKS[i];
    return NULL;
}
