/* SPDX-License-Identifier: Apache-2.0
 *
 * browser.h - a page srr wrote, opened in a real browser (Debian's
 * chromium, headless): the DOM as the browser built it, a screenshot, and
 * how many pixels of given colours a PNG holds (python3's zlib; no imaging
 * library). Each helper fails the running test on error.
 */
#ifndef SRR_TEST_BROWSER_H
#define SRR_TEST_BROWSER_H

#include <stddef.h>

/* The chromium binary, or NULL when it is not installed (skip the test). */
const char *tb_chromium(void);

/* Opens the file `html` (absolute path) in headless chromium with a fresh
 * profile under `workdir`, and returns the DOM it serialised (caller
 * frees). */
char *tb_dump_dom(const char *html, const char *workdir);

/* Writes a w x h screenshot of the file `html` to `png`. */
void tb_screenshot(const char *html, const char *workdir, const char *png, int w, int h);

/* Counts the pixels of png within 12 per channel of each of the n colours
 * ("d64545") into counts[n]; *w and *h get its size. */
void tb_png_count(const char *png, const char *const *colours, size_t n, long long *w, long long *h,
                  long long *counts);

/* Checks that every href="#X" of dom has its target id="X" in dom, and
 * that there is at least one such link. */
void tb_anchors_resolve(const char *dom);

#endif
