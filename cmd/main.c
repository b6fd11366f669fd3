/* SPDX-License-Identifier: Apache-2.0
 *
 * main.c - the srr command: dispatches to subcommands (being wired).
 */
#include <stdio.h>

#include "srr.h"

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("srr %s\n", SRR_VERSION);
    return 0;
}
