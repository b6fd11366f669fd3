/* SPDX-License-Identifier: Apache-2.0
 *
 * testutil.c - temporary directories, files and subprocess runs for tests.
 */
#include "testutil.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdarg.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "srr.h"

char *tu_mkdtemp(void)
{
    char tmpl[] = "/tmp/srr-test-XXXXXX";
    char *d = mkdtemp(tmpl);
    cr_assert(d != NULL, "mkdtemp failed");
    return srr_strdup(d);
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void tu_rmdir_r(const char *path)
{
    if (path)
        nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *tu_read_file(const char *path)
{
    char *text = NULL;
    size_t len = 0;
    srr_error err = {0};
    cr_assert_eq(srr_file_read(path, 0, &text, &len, &err), SRR_OK, "%s: %s", path, err.msg);
    return text;
}

char *tu_write_file(const char *dir, const char *name, const char *text)
{
    char *p = srr_asprintf("%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    cr_assert(f != NULL, "cannot write %s", p);
    fputs(text, f);
    fclose(f);
    return p;
}

static char *slurp_fd(int fd)
{
    srr_buf b;
    char chunk[4096];
    ssize_t n;
    srr_buf_init(&b, 0);
    while ((n = read(fd, chunk, sizeof(chunk))) > 0)
        srr_buf_append(&b, chunk, (size_t)n);
    return srr_buf_steal(&b);
}

char *tu_strv_join(char *const *v, size_t n, const char *sep)
{
    srr_buf b;
    srr_buf_init(&b, 0);
    for (size_t i = 0; i < n; i++)
        srr_buf_printf(&b, "%s%s", i ? sep : "", v[i]);
    return b.data ? srr_buf_steal(&b) : srr_strdup("");
}

size_t tu_u8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

void tu_strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void tu_exec(const char *const *argv, const char *const *env, const char *cwd, tu_run *r)
{
    char outp[] = "/tmp/srr-out-XXXXXX", errp[] = "/tmp/srr-err-XXXXXX";
    int ofd = mkstemp(outp), efd = mkstemp(errp), st = 0;
    pid_t pid;
    cr_assert(ofd >= 0 && efd >= 0);
    unlink(outp);
    unlink(errp);
    pid = fork();
    cr_assert(pid >= 0, "fork failed");
    if (pid == 0) {
        int nul = open("/dev/null", O_RDONLY);
        /* If the test dies (a timeout), what it started must not live on. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(nul, 0);
        dup2(ofd, 1);
        dup2(efd, 2);
        if (cwd && chdir(cwd) != 0)
            _exit(126);
        for (size_t i = 0; env && env[i]; i++)
            putenv((char *)env[i]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    waitpid(pid, &st, 0);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    lseek(ofd, 0, SEEK_SET);
    lseek(efd, 0, SEEK_SET);
    r->out = slurp_fd(ofd);
    r->err = slurp_fd(efd);
    close(ofd);
    close(efd);
}

void tu_run_free(tu_run *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

void tu_srr_args(tu_run *r, const char *bin, const char *const *args, const char *cfg,
                 const char *const *env, const char *cwd)
{
    const char *argv[TU_SRR_MAX_ARGS + 4];
    size_t n = 0;
    argv[n++] = bin;
    for (size_t i = 0; args[i]; i++) {
        cr_assert(i < TU_SRR_MAX_ARGS, "more than %d arguments for srr", TU_SRR_MAX_ARGS);
        argv[n++] = args[i];
    }
    if (cfg) {
        argv[n++] = "-c";
        argv[n++] = cfg;
    }
    argv[n] = NULL;
    tu_exec(argv, env, cwd, r);
}

void tu_srr(tu_run *r, const char *bin, const char *const *env, const char *cfg, const char *cwd,
            const char *a0, ...)
{
    const char *args[TU_SRR_MAX_ARGS + 1];
    size_t n = 0;
    va_list ap;
    args[n++] = a0;
    va_start(ap, a0);
    while ((args[n] = va_arg(ap, const char *)) != NULL) {
        cr_assert(n < TU_SRR_MAX_ARGS, "more than %d arguments for srr", TU_SRR_MAX_ARGS);
        n++;
    }
    va_end(ap);
    tu_srr_args(r, bin, args, cfg, env, cwd);
}
