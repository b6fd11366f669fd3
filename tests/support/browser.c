/* SPDX-License-Identifier: Apache-2.0
 *
 * browser.c - the review page in headless chromium (browser.h).
 */
#include "browser.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "srr.h"
#include "testutil.h"

/* Counts pixels of given colours in a PNG. Prints "W H n1 n2 ...". */
static const char PNG_COUNT_PY[] =
    "import sys, zlib, struct\n"
    "d = open(sys.argv[1], 'rb').read(); assert d[:8] == b'\\x89PNG\\r\\n\\x1a\\n'\n"
    "i = 8; idat = b''\n"
    "while i < len(d):\n"
    "    n, t = struct.unpack('>I4s', d[i:i+8]); body = d[i+8:i+8+n]; i += 12 + n\n"
    "    if t == b'IHDR': w, h, bd, ct = struct.unpack('>IIBB', body[:10])\n"
    "    elif t == b'IDAT': idat += body\n"
    "bpp = {2: 3, 6: 4}[ct]; raw = zlib.decompress(idat); stride = w * bpp\n"
    "cols = [tuple(int(c[k:k+2], 16) for k in (0, 2, 4)) for c in sys.argv[2:]]\n"
    "prev = bytearray(stride); hits = [0] * len(cols); p = 0\n"
    "for y in range(h):\n"
    "    f = raw[p]; line = bytearray(raw[p+1:p+1+stride]); p += 1 + stride\n"
    "    if f == 1:\n"
    "        for x in range(bpp, stride): line[x] = (line[x] + line[x-bpp]) & 255\n"
    "    elif f == 2: line = bytearray((a + b) & 255 for a, b in zip(line, prev))\n"
    "    elif f == 3:\n"
    "        for x in range(stride): line[x] = (line[x] + ((line[x-bpp] if x >= bpp else 0) + "
    "prev[x]) // 2) & 255\n"
    "    elif f == 4:\n"
    "        for x in range(stride):\n"
    "            a = line[x-bpp] if x >= bpp else 0; b = prev[x]; c = prev[x-bpp] if x >= bpp "
    "else 0\n"
    "            pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)\n"
    "            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & "
    "255\n"
    "    for x in range(0, stride, bpp):\n"
    "        r, g, b = line[x], line[x+1], line[x+2]\n"
    "        for k, (cr, cg, cb) in enumerate(cols):\n"
    "            if abs(r - cr) <= 12 and abs(g - cg) <= 12 and abs(b - cb) <= 12: hits[k] += 1\n"
    "    prev = line\n"
    "print(w, h, *hits)\n";

const char *tb_chromium(void)
{
    static const char *const paths[] = {"/usr/bin/chromium", "/usr/bin/chromium-browser", NULL};
    for (int i = 0; paths[i]; i++)
        if (access(paths[i], X_OK) == 0)
            return paths[i];
    return NULL;
}

/* Runs chromium headless on `html` with a fresh profile and `what`
 * ("--dump-dom", or "--screenshot=..." and "--window-size=..."). */
static void chromium(const char *html, const char *workdir, const char *what, const char *size,
                     tu_run *r)
{
    static unsigned profiles;
    char *url = srr_asprintf("file://%s", html);
    char *udd = srr_asprintf("--user-data-dir=%s/chromium-profile-%u", workdir, profiles++);
    const char *argv[] = {tb_chromium(),
                          "--headless",
                          "--no-sandbox",
                          "--disable-gpu",
                          "--disable-quic",
                          "--no-first-run",
                          "--disable-background-networking",
                          "--disable-component-update",
                          "--disable-sync",
                          udd,
                          what,
                          size ? size : url,
                          size ? url : NULL,
                          NULL};
    cr_assert_not_null(argv[0], "chromium is not installed");
    tu_exec(argv, NULL, workdir, r);
    cr_assert_eq(r->status, 0, "chromium %s: %s", what, r->err);
    free(url);
    free(udd);
}

char *tb_dump_dom(const char *html, const char *workdir)
{
    tu_run r;
    char *dom;
    chromium(html, workdir, "--dump-dom", NULL, &r);
    dom = srr_strdup(r.out);
    tu_run_free(&r);
    return dom;
}

void tb_screenshot(const char *html, const char *workdir, const char *png, int w, int h)
{
    tu_run r;
    char *shot = srr_asprintf("--screenshot=%s", png);
    char *size = srr_asprintf("--window-size=%d,%d", w, h);
    char *data = NULL;
    size_t len = 0;
    chromium(html, workdir, shot, size, &r);
    tu_run_free(&r);
    cr_assert_eq(srr_file_read(png, 0, &data, &len, NULL), SRR_OK, "no screenshot at %s", png);
    cr_assert_gt(len, 20000, "a screenshot of %zu bytes is blank", len);
    cr_assert_eq(memcmp(data, "\x89PNG", 4), 0);
    free(data);
    free(shot);
    free(size);
}

void tb_png_count(const char *png, const char *const *colours, size_t n, long long *w, long long *h,
                  long long *counts)
{
    const char *argv[16] = {"/usr/bin/python3", "-c", PNG_COUNT_PY, png};
    tu_run r;
    const char *p;
    int used = 0;
    cr_assert_leq(n, 10);
    for (size_t i = 0; i < n; i++)
        argv[4 + i] = colours[i];
    argv[4 + n] = NULL;
    tu_exec(argv, NULL, NULL, &r);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(sscanf(r.out, "%lld %lld%n", w, h, &used), 2, "%s", r.out);
    p = r.out + used;
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(sscanf(p, "%lld%n", &counts[i], &used), 1, "%s", r.out);
        p += used;
    }
    tu_run_free(&r);
}

void tb_anchors_resolve(const char *dom)
{
    const char *p = dom;
    int n = 0;
    while ((p = strstr(p, "href=\"#")) != NULL) {
        const char *end = strchr(p + 7, '"');
        char *target;
        cr_assert_not_null(end);
        target = srr_asprintf("id=\"%.*s\"", (int)(end - p - 7), p + 7);
        cr_assert_not_null(strstr(dom, target), "a link to #%.*s has no target", (int)(end - p - 7),
                           p + 7);
        free(target);
        p = end;
        n++;
    }
    cr_assert_gt(n, 0, "no link to an anchor in the page");
}
