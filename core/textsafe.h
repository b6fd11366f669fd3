/* SPDX-License-Identifier: Apache-2.0
 *
 * textsafe.h - the one function that makes text from outside (alert
 * titles, messages, tags, names, log samples, notes, error bodies) safe to
 * show a person: in a terminal, where control sequences would drive it
 * (set its title, clear the screen, fake colours, hide text with a
 * carriage return), and in Markdown, where it would be read as HTML.
 *
 * What it does to the text, byte by byte:
 *   - C0 controls (0x00-0x1F) are shown as visible escapes ("\x1b"),
 *     except newline (and CR before it) where the field is multi-line
 *     (SRR_TEXT_MULTILINE) and tab; DEL (0x7F) likewise;
 *   - C1 controls (U+0080-U+009F, as UTF-8) and the bidirectional
 *     overrides and isolates (U+202A-U+202E, U+2066-U+2069), which can
 *     reorder what a reader sees, are shown as "\u009b", "\u202e";
 *   - a byte that is not part of valid UTF-8 is shown as "\xff" (a lone
 *     0x9B is CSI on 8-bit terminals);
 *   - with SRR_TEXT_MARKDOWN, & < > become &amp; &lt; &gt;, so nothing is
 *     read as HTML (they still render as themselves).
 * Everything else, including all printable UTF-8, is kept as it is. JSON
 * output never goes through it: JSON stays exact.
 */
#ifndef SRR_TEXTSAFE_H
#define SRR_TEXTSAFE_H

#include <stddef.h>

#include "srr.h"

enum {
    SRR_TEXT_MULTILINE = 1, /* keep newlines (a multi-line field) */
    SRR_TEXT_MARKDOWN = 2   /* also escape what Markdown would read as HTML */
};

/* Appends the safe form of s (n bytes; may hold NULs) to out. */
void srr_text_safe_append(srr_buf *out, const char *s, size_t n, unsigned flags);

/* The safe form of the NUL-terminated s (NULL gives ""). Returns a new
 * string; the caller frees it. */
char *srr_text_safe(const char *s, unsigned flags);

/* The safe form of s in place, within cap bytes (cut short, on a
 * character boundary, when the escapes do not fit). For fixed buffers
 * such as error messages and log lines. */
void srr_text_safe_inplace(char *s, size_t cap, unsigned flags);

#endif
