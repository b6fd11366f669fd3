/* SPDX-License-Identifier: Apache-2.0
 *
 * config_cmd.c - `srr config check` (load the config and compile its policy,
 * reporting the first error with file:line:col, and what `srr policy check`
 * finds as warnings) and `srr config reference`
 * (the option reference, generated from the loader's own tables).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "help.h"
#include "outbox.h"
#include "rules.h"

int srr_cmd_config(int argc, char **argv)
{
    const char *config = NULL, *sub;
    srr_config *cfg;
    srr_ruleset *rs = NULL;
    srr_error err = {0};
    int code = SRR_EXIT_OK;

    if (argc < 2) {
        srr_say_error("usage: srr config check [-c FILE] | srr config reference\n");
        return SRR_EXIT_USAGE;
    }
    sub = argv[1];
    if (strcmp(sub, "reference") == 0) {
        srr_help_reference(stdout, 0);
        return SRR_EXIT_OK;
    }
    if (strcmp(sub, "check") != 0) {
        srr_say_error("srr config: unknown subcommand '%s' (check, reference)\n", sub);
        return SRR_EXIT_USAGE;
    }
    if ((code = srr_cli_sub_config(argc, argv, &config)) != SRR_EXIT_OK)
        return code;
    cfg = srr_cli_load_config(config, &code);
    if (!cfg)
        return code;
    if (srr_rules_compile(cfg, &rs, &err) != SRR_OK || srr_sync_check_config(cfg, &err) != SRR_OK) {
        srr_say_error("srr: %s", err.msg);
        code = SRR_EXIT_USAGE;
    } else {
        srr_lint_msg *msgs = NULL;
        size_t n = srr_rules_lint(rs, &msgs);
        printf("%s: ok (%zu check(s), %zu rule(s) plus the default)\n", cfg->path, cfg->nchecks,
               srr_rules_count(rs));
        /* What `srr policy check` finds too (a rule-level group_by and its
         * rewrite among them): warnings, not errors. */
        for (size_t i = 0; i < n; i++)
            srr_log_say(SRR_LOG_WARN, "%s:%d:%d: %s: %s\n", msgs[i].file ? msgs[i].file : cfg->path,
                        msgs[i].line, msgs[i].col, msgs[i].is_error ? "error" : "warning",
                        msgs[i].text);
        if (n)
            srr_log_say(SRR_LOG_WARN, "%zu finding(s); `srr policy check` lists them too\n", n);
        free(msgs);
    }
    srr_rules_destroy(rs);
    srr_config_destroy(cfg);
    return code;
}
