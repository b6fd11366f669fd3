/* SPDX-License-Identifier: Apache-2.0
 *
 * review_render.c - what the two renderers of `srr review` share
 * (review_render.h): the table of the report's sections in the order the
 * meeting walks through them, and the words around them (the report's
 * heading, a section's title for the period). review.c (table, Markdown,
 * JSON) and review_html.c (the HTML page) both build on it; it calls
 * neither.
 */
#include <stdio.h>
#include <string.h>

#include "review_render.h"

const srr_review_section SRR_REVIEW_SECTIONS[] = {
    {"Open and mitigating risks",
     "open_risks",
     "The agenda: most urgent first, then the longest unmoved (days since a person last "
     "changed it). VALUES: the thing's value over its last windows, oldest first",
     {{"ID", "id", 0},
      {"URGENCY", "urgency", 0},
      {"STATUS", "status", 0},
      {"ASSIGNEE", "assignee", 16},
      {"NEXT ACTION", "next_action", 32},
      {"DAYS UNMOVED", "moved_days", 0},
      {"LAST MOVE", "last_move", 24},
      {"VALUES", "chart", 0},
      {"LATEST", "latest", 0},
      {"TITLE", "title", 48},
      {NULL, NULL, 0}}},
    {"Drafts waiting for a decision",
     "drafts",
     "Approve, reject or merge: srr risks approve|reject|merge ID",
     {{"ID", "id", 0},
      {"AGE (DAYS)", "age_days", 0},
      {"URGENCY", "urgency", 0},
      {"SERVICE", "service", 20},
      {"TITLE", "title", 60},
      {NULL, NULL, 0}}},
    {"Open risks nobody owns",
     "unowned",
     "Nobody is assigned: srr risks assign ID --suggest (or WHO)",
     {{"ID", "id", 0},
      {"STATUS", "status", 0},
      {"URGENCY", "urgency", 0},
      {"SERVICE", "service", 20},
      {"APPROVED BY", "approved_by", 16},
      {"TITLE", "title", 60},
      {NULL, NULL, 0}}},
    {"Open risks with no update",
     "stale",
     "Nobody changed these within the staleness limit: ask the assignee or reassign",
     {{"ID", "id", 0},
      {"STATUS", "status", 0},
      {"ASSIGNEE", "assignee", 16},
      {"LAST TOUCHED", "last_touched", 0},
      {"TITLE", "title", 60},
      {NULL, NULL, 0}}},
    {"Signal quiet: suggest resolve or accept",
     "quiet",
     "Observed clear for weeks since it last fired: srr risks resolve ID, or accept ID "
     "--review-in 90d",
     {{"ID", "id", 0},
      {"QUIET (WEEKS)", "quiet_weeks", 0},
      {"CLEAR SINCE", "clear_since", 0},
      {"CLEAR WINDOWS", "clear_windows", 0},
      {"LAST SEEN", "last_seen", 0},
      {"ASSIGNEE", "assignee", 16},
      {"TITLE", "title", 60},
      {NULL, NULL, 0}}},
    {"Investigations opened %s",
     "investigations_opened",
     NULL,
     {{"ID", "id", 0},
      {"STATUS", "status", 0},
      {"URGENCY", "urgency", 0},
      {"OPENED", "opened_at", 0},
      {"DEADLINE", "deadline", 0},
      {"OUTCOME", "outcome", 24},
      {"TITLE", "title", 60},
      {NULL, NULL, 0}}},
    {"Investigations promoted to a risk %s",
     "investigations_promoted",
     "Still firing when the time-box ended: the risk is a draft to approve",
     {{"ID", "id", 0},
      {"PROMOTED", "promoted_at", 0},
      {"RISK", "risk", 0},
      {"TITLE", "title", 60},
      {NULL, NULL, 0}}},
    {"Investigations closed %s",
     "investigations_closed",
     NULL,
     {{"ID", "id", 0},
      {"CLOSED", "closed_at", 0},
      {"OUTCOME", "outcome", 24},
      {"BY", "closed_by", 16},
      {"TITLE", "title", 60},
      {NULL, NULL, 0}}},
    {"Things at risk, window by window",
     "things",
     "Each active record's measured value per window, oldest first",
     {{"ID", "id", 0},
      {"VALUES", "chart", 0},
      {"LATEST", "latest", 0},
      {"WORST", "worst", 0},
      {"LAST FIRED", "last_fired", 0},
      {"MEMBERS", "members", 0},
      {"TITLE", "title", 50},
      {NULL, NULL, 0}}},
    {"Accepted risks past their review date",
     "review_due",
     "Renew (srr risks accept ID --review-in 90d --reason ...) or reopen",
     {{"ID", "id", 0},
      {"REVIEW DUE", "next_review_at", 0},
      {"OVERDUE (DAYS)", "overdue_days", 0},
      {"ASSIGNEE", "assignee", 16},
      {"TITLE", "title", 60},
      {NULL, NULL, 0}}},
    {"Low urgency, untouched: suggest retire",
     "retire",
     "No longer worth watching? srr risks resolve ID --note retired / srr backlog reject ID",
     {{"ID", "id", 0},
      {"STATUS", "status", 0},
      {"CREATED", "created_at", 0},
      {"LAST TOUCHED", "last_touched", 0},
      {"TITLE", "title", 60},
      {NULL, NULL, 0}}},
    {"New %s",
     "new",
     NULL,
     {{"ID", "id", 0},
      {"STATUS", "status", 0},
      {"URGENCY", "urgency", 0},
      {"SERVICE", "service", 20},
      {"TITLE", "title", 60},
      {NULL, NULL, 0}}},
    {"Resolved %s",
     "resolved",
     NULL,
     {{"ID", "id", 0},
      {"RESOLVED", "resolved_at", 0},
      {"BY", "resolved_by", 16},
      {"TITLE", "title", 60},
      {NULL, NULL, 0}}},
    {"Accepted %s",
     "accepted",
     NULL,
     {{"ID", "id", 0},
      {"NEXT REVIEW", "next_review_at", 0},
      {"WHY", "why", 50},
      {"TITLE", "title", 50},
      {NULL, NULL, 0}}},
    {"Risks by service (roadmap planning)",
     "by_service",
     NULL,
     {{"SERVICE", "service", 24},
      {"DRAFT", "draft", 0},
      {"OPEN", "open", 0},
      {"MITIGATING", "mitigating", 0},
      {"ACCEPTED", "accepted", 0},
      {"RESOLVED", "resolved", 0},
      {"ACTIVE", "active", 0},
      {NULL, NULL, 0}}},
    {NULL, NULL, NULL, {{NULL, NULL, 0}}},
};

int srr_review_is_month(const json_t *rep)
{
    return strcmp(srr_cli_text(json_object_get(rep, "period"), "kind"), "month") == 0;
}

const char *srr_review_title(const srr_review_section *sec, const json_t *rep, char *buf, size_t n)
{
    const char *p = strstr(sec->title, "%s");
    if (!p)
        snprintf(buf, n, "%s", sec->title);
    else
        snprintf(buf, n, "%.*s%s%s", (int)(p - sec->title), sec->title,
                 srr_review_is_month(rep) ? "this month" : "in the period", p + 2);
    return buf;
}

const char *srr_review_heading(const json_t *rep, char *buf, size_t n)
{
    snprintf(buf, n, "%s %s", srr_review_is_month(rep) ? "Monthly review" : "Review",
             srr_cli_text(json_object_get(rep, "period"), "label"));
    return buf;
}
