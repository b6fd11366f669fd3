/* SPDX-License-Identifier: Apache-2.0
 *
 * testutil.h - small helpers shared by the test suites: temporary
 * directories, running the srr binary and capturing what it prints.
 */
#ifndef SRR_TESTUTIL_H
#define SRR_TESTUTIL_H

#include <stddef.h>

/* Creates a fresh directory under /tmp; returns its path (caller frees,
 * and removes it with tu_rmdir_r). Aborts the test on failure. */
char *tu_mkdtemp(void);
/* Removes a directory tree (like rm -rf). Ignores errors. */
void tu_rmdir_r(const char *path);
/* Writes `text` to dir/name; returns the full path (caller frees). */
char *tu_write_file(const char *dir, const char *name, const char *text);

/* Result of running a command. */
typedef struct tu_run {
    int status;  /* exit code, or 128+signal */
    char *out;   /* everything written to stdout (NUL-terminated) */
    char *err;   /* everything written to stderr */
} tu_run;

/* Runs argv (argv[0] is a path) with extra environment entries "K=V" (NULL
 * terminated list, may be NULL), stdin from /dev/null, in directory `cwd`
 * (NULL = current). Fills *r; free with tu_run_free. */
void tu_exec(const char *const *argv, const char *const *env, const char *cwd, tu_run *r);
void tu_run_free(tu_run *r);

#endif
