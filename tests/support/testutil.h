/* SPDX-License-Identifier: Apache-2.0
 *
 * testutil.h - small helpers shared by the test suites: temporary
 * directories, running the srr binary and capturing what it prints. The
 * binary's path is the test's (SRR_BIN, defined for the test executables
 * only), so the suites pass it in.
 */
#ifndef SRR_TESTUTIL_H
#define SRR_TESTUTIL_H

#include <stddef.h>

/* Creates a fresh directory under /tmp; returns its path (caller frees,
 * and removes it with tu_rmdir_r). Aborts the test on failure. */
char *tu_mkdtemp(void);
/* Removes a directory tree (like rm -rf). Ignores errors. */
void tu_rmdir_r(const char *path);
/* The whole text of the file at `path` (caller frees); aborts the test
 * when it cannot be read. */
char *tu_read_file(const char *path);
/* Writes `text` to dir/name; returns the full path (caller frees). */
char *tu_write_file(const char *dir, const char *name, const char *text);

/* The n strings of v joined by `sep`; "" when n is 0 (caller frees). */
char *tu_strv_join(char *const *v, size_t n, const char *sep);
/* Frees the n strings of v and v itself. */
void tu_strv_free(char **v, size_t n);
/* The number of UTF-8 code points in s, as the fakes count a limit given
 * in characters (their own count, not srr's). */
size_t tu_u8_chars(const char *s);

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

/* Most arguments tu_srr_args and tu_srr take (besides "-c cfg"). */
#define TU_SRR_MAX_ARGS 28

/* Runs the srr binary at `bin` with `args` (NULL terminated, at most
 * TU_SRR_MAX_ARGS: more aborts the test) followed by "-c cfg" when `cfg` is
 * not NULL; env and cwd as for tu_exec. Fills *r; free with tu_run_free. */
void tu_srr_args(tu_run *r, const char *bin, const char *const *args, const char *cfg,
                 const char *const *env, const char *cwd);
/* The same with the arguments listed after `a0`, ended by NULL. */
void tu_srr(tu_run *r, const char *bin, const char *const *env, const char *cfg, const char *cwd,
            const char *a0, ...) __attribute__((sentinel));

#endif
