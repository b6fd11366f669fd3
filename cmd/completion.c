/* SPDX-License-Identifier: Apache-2.0
 *
 * completion.c - `srr completion bash`: the bash completion script,
 * generated from the command table (help.c) that `srr help` and the man
 * pages print, so the three cannot drift; and `srr completion list`, the
 * names the script asks srr for at TAB time (record ids a verb applies to,
 * people, labels, services), read from the config and a read-only store.
 *
 * The script is data plus one fixed function: for every "command verb" the
 * options it takes, what each option's value completes to, and what each
 * positional argument completes to. Those come from reading each synopsis
 * line (the grammar is in help.h) and looking its UPPER-CASE placeholders
 * up in PLACEHOLDERS below. A placeholder that is not in the table makes
 * `srr completion bash` fail (and with it the build, which runs it), so a
 * new one cannot silently complete nothing: add it to the table.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "help.h"
#include "names.h"
#include "workflow.h"

/* What an UPPER-CASE placeholder completes to, for every command (cmd
 * NULL) or one command. Kinds, as the script reads them:
 *   file, dir          paths
 *   words:a b c        these words
 *   settings:k= ...    these words, no space after them (KEY=VALUE)
 *   ids                record ids of the command that the verb applies to
 *   people, labels, services   `srr completion list ...` at TAB time
 *   commands           srr's commands
 *   ""                 free text: nothing to offer */
static const struct {
    const char *cmd, *placeholder, *kind;
} PLACEHOLDERS[] = {
    {NULL, "FILE", "file"},
    {NULL, "FILE|DIR", "file"},
    {NULL, "FILE|-", "file"},
    {NULL, "BACKUP_FILE", "file"},
    {NULL, "POLICY", "file"},
    {NULL, "DIR", "dir"},
    {NULL, "ID", "ids"},
    {NULL, "WHO", "people"},
    {NULL, "NAME", "people"},
    {NULL, "SERVICE", "services"},
    {NULL, "LABEL", "labels"},
    {NULL, "COMMAND", "commands"},
    {NULL, "VERB", ""},
    {NULL, "URGENCY", "words:low medium high critical"},
    {"risks", "STATUS", "words:draft open mitigating resolved accepted rejected merged"},
    {"backlog", "STATUS", "words:draft accepted done rejected"},
    {"investigations", "STATUS", "words:open promoted closed"},
    {"export", "STATUS", "words:draft open mitigating resolved accepted rejected merged done"},
    {"risks", "KEY=VALUE",
     "settings:cause= policy= next= backlog= postmortem= impact= likelihood= urgency= title="},
    {NULL, "DUR", ""},
    {NULL, "TEXT", ""},
    {NULL, "URL", ""},
    {NULL, "N", ""},
    {NULL, "TIME", ""},
    {NULL, "YYYY-MM", ""},
    {NULL, "DATE", ""},
};

#define MAX_TOKENS 64

/* One synopsis line, read. Strings point into `buf`. */
typedef struct form {
    char buf[1024];
    const char *cmd, *verb; /* verb NULL for a command without verbs */
    const char *opt[MAX_TOKENS], *optval[MAX_TOKENS]; /* optval NULL: a flag */
    size_t nopt;
    const char *pos[MAX_TOKENS]; /* positional placeholders or enumerations */
    int repeat;                  /* the last positional repeats ("...") */
    size_t npos;
} form;

static int is_upper_word(const char *s)
{
    int letters = 0;
    for (; *s; s++) {
        if ((*s >= 'A' && *s <= 'Z') || *s == '_')
            letters = 1;
        else if (!strchr("|-=0123456789", *s))
            return 0;
    }
    return letters;
}

static int is_verb(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!(*s >= 'a' && *s <= 'z'))
            return 0;
    return 1;
}

/* Reads one synopsis line (its option groups expanded) into f. */
static void parse_form(const char *line, size_t n, form *f)
{
    char *tok[MAX_TOKENS], *p, *save = NULL;
    int closed[MAX_TOKENS];
    size_t nt = 0, i;
    const srr_option_group *g;
    memset(f, 0, sizeof(*f));
    snprintf(f->buf, sizeof(f->buf), "%.*s", (int)n, line);
    for (g = srr_option_groups(); g->name; g++) { /* "[READ OPTIONS]" -> its options */
        char want[64], *at;
        snprintf(want, sizeof(want), "[%s]", g->name);
        if ((at = strstr(f->buf, want)) != NULL) {
            char rest[1024];
            snprintf(rest, sizeof(rest), "%s", at + strlen(want));
            snprintf(at, sizeof(f->buf) - (size_t)(at - f->buf), "%s%s", g->options, rest);
        }
    }
    for (p = strtok_r(f->buf, " ", &save); p && nt < MAX_TOKENS; p = strtok_r(NULL, " ", &save)) {
        size_t len;
        while (*p == '[' || *p == '(')
            p++;
        len = strlen(p);
        closed[nt] = len > 0 && (p[len - 1] == ']' || p[len - 1] == ')');
        while (len > 0 && (p[len - 1] == ']' || p[len - 1] == ')'))
            p[--len] = '\0';
        if (len == 0 || strcmp(p, "|") == 0)
            continue;
        tok[nt++] = p;
    }
    if (nt == 0)
        return;
    f->cmd = tok[0];
    i = 1;
    if (nt > 1 && is_verb(tok[1]))
        f->verb = tok[i++];
    for (; i < nt; i++) {
        if (tok[i][0] == '-') {
            f->opt[f->nopt] = tok[i];
            if (!closed[i] && i + 1 < nt && tok[i + 1][0] != '-')
                f->optval[f->nopt] = tok[++i];
            f->nopt++;
            continue;
        }
        size_t len = strlen(tok[i]);
        if (len > 3 && strcmp(tok[i] + len - 3, "...") == 0) {
            tok[i][len - 3] = '\0';
            f->repeat = 1;
        }
        /* "ID|--all": the options of an alternation are flags, the rest is
         * the positional. */
        if (strstr(tok[i], "|-")) {
            char *part, *save2 = NULL, *kept = tok[i], *w = tok[i];
            for (part = strtok_r(tok[i], "|", &save2); part; part = strtok_r(NULL, "|", &save2)) {
                if (part[0] == '-') {
                    f->opt[f->nopt++] = part;
                } else {
                    if (w != kept)
                        *w++ = '|';
                    memmove(w, part, strlen(part) + 1);
                    w += strlen(w);
                }
            }
            *w = '\0';
            if (!*kept)
                continue;
        }
        f->pos[f->npos++] = tok[i];
    }
}

/* The completion kind of a placeholder or enumeration in command `cmd`;
 * NULL when the placeholder is unknown. ids become "ids:CMD:VERB". */
static const char *kind_of(const char *cmd, const char *verb, const char *ph, char *buf,
                           size_t cap)
{
    size_t i;
    const char *generic = NULL;
    if (!is_upper_word(ph)) { /* an enumeration: "csv|json|md", "1|5" */
        char *q;
        snprintf(buf, cap, "words:%s", ph);
        for (q = buf; *q; q++)
            if (*q == '|')
                *q = ' ';
        return buf;
    }
    for (i = 0; i < sizeof(PLACEHOLDERS) / sizeof(PLACEHOLDERS[0]); i++) {
        if (strcmp(PLACEHOLDERS[i].placeholder, ph) != 0)
            continue;
        if (PLACEHOLDERS[i].cmd && strcmp(PLACEHOLDERS[i].cmd, cmd) == 0) {
            generic = PLACEHOLDERS[i].kind;
            break;
        }
        if (!PLACEHOLDERS[i].cmd && !generic)
            generic = PLACEHOLDERS[i].kind;
    }
    if (generic && strcmp(generic, "ids") == 0) {
        snprintf(buf, cap, "ids:%s:%s", cmd, verb ? verb : "");
        return buf;
    }
    return generic;
}

/* Appends `word` to the space-separated list in buf unless it is there. */
static void add_word(char *buf, size_t cap, const char *word)
{
    size_t n = strlen(word), len = strlen(buf);
    const char *p = buf;
    while ((p = strstr(p, word)) != NULL) {
        if ((p == buf || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return;
        p += n;
    }
    snprintf(buf + len, cap - len, "%s%s", len ? " " : "", word);
}

/* Writes s inside bash double quotes: $ ` \ and " escaped. */
static void bash_quoted(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        if (strchr("$`\\\"", *s))
            fputc('\\', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

/* One `[key]=value` line of an associative array. */
static void emit_entry(FILE *out, const char *key, const char *value)
{
    fputs("    [", out);
    bash_quoted(out, key);
    fputs("]=", out);
    bash_quoted(out, value);
    fputc('\n', out);
}

/* Every line of the table, read; *n forms. Caller frees. Returns NULL and
 * names the line when a placeholder is unknown. */
static form *all_forms(size_t *n, char *bad, size_t badcap)
{
    const srr_command *c;
    size_t cap = 64;
    form *v = srr_calloc(cap, sizeof(form));
    *n = 0;
    for (c = srr_commands(); c->name; c++) {
        const char *p = c->synopsis;
        while (*p) {
            const char *nl = strchr(p, '\n');
            size_t len = nl ? (size_t)(nl - p) : strlen(p), i;
            char kb[512];
            if (*n == cap) {
                cap *= 2;
                v = srr_realloc(v, cap * sizeof(form));
            }
            form *f = &v[(*n)++];
            parse_form(p, len, f);
            for (i = 0; i < f->nopt + f->npos; i++) {
                const char *ph = i < f->nopt ? f->optval[i] : f->pos[i - f->nopt];
                if (ph && !kind_of(f->cmd, f->verb, ph, kb, sizeof(kb))) {
                    snprintf(bad, badcap, "unknown placeholder %s in 'srr %.*s'", ph, (int)len,
                             p);
                    free(v);
                    return NULL;
                }
            }
            p += len + (nl ? 1 : 0);
        }
    }
    return v;
}

/* The fixed part of the script: walks the words typed so far, then
 * completes from the tables above it. */
static const char SCRIPT_FUNCTIONS[] =
    "# _srr_reply KIND CUR BIN CONFIG: fills COMPREPLY with what KIND offers.\n"
    "_srr_reply() {\n"
    "    local kind=$1 cur=$2 bin=$3 cfg=$4 rest verb IFS=$' \\t\\n'\n"
    "    case $kind in\n"
    "    file)\n"
    "        if declare -F _filedir >/dev/null; then _filedir\n"
    "        else local IFS=$'\\n'; COMPREPLY=($(compgen -f -- \"$cur\")); fi ;;\n"
    "    dir)\n"
    "        if declare -F _filedir >/dev/null; then _filedir -d\n"
    "        else local IFS=$'\\n'; COMPREPLY=($(compgen -d -- \"$cur\")); fi ;;\n"
    "    words:*) COMPREPLY=($(compgen -W \"${kind#words:}\" -- \"$cur\")) ;;\n"
    "    settings:*)\n"
    "        COMPREPLY=($(compgen -W \"${kind#settings:}\" -- \"$cur\"))\n"
    "        compopt -o nospace 2>/dev/null ;;\n"
    "    commands) COMPREPLY=($(compgen -W \"$_srr_commands\" -- \"$cur\")) ;;\n"
    "    ids:*)\n"
    "        rest=${kind#ids:}; verb=${rest#*:}\n"
    "        COMPREPLY=($(compgen -W \"$(\"$bin\" completion list ids \"${rest%%:*}\" ${verb:+\"$verb\"} \\\n"
    "            ${cfg:+-c \"$cfg\"} 2>/dev/null)\" -- \"$cur\")) ;;\n"
    "    people|labels|services) # one per line; a label may hold a space\n"
    "        local w\n"
    "        while IFS= read -r w; do\n"
    "            [[ $w == \"$cur\"* ]] && COMPREPLY+=(\"$(printf '%q' \"$w\")\")\n"
    "        done < <(\"$bin\" completion list \"$kind\" ${cfg:+-c \"$cfg\"} 2>/dev/null) ;;\n"
    "    esac\n"
    "}\n"
    "\n"
    "_srr() {\n"
    "    local cur prev words cword\n"
    "    if declare -F _init_completion >/dev/null; then\n"
    "        _init_completion -n =: || return\n"
    "    else\n"
    "        words=(\"${COMP_WORDS[@]}\"); cword=$COMP_CWORD\n"
    "        cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}\n"
    "    fi\n"
    "    local bin=${words[0]} cmd= verb= key= cfg= want= npos=0 sawopt= i w pk\n"
    "    COMPREPLY=()\n"
    "    for ((i = 1; i < cword; i++)); do\n"
    "        w=${words[i]}\n"
    "        if [[ -n $want ]]; then\n"
    "            [[ $want == -c || $want == --config ]] && cfg=$w\n"
    "            want=; continue\n"
    "        fi\n"
    "        case $w in\n"
    "        --log-format|--log-level) want=$w; continue ;;\n"
    "        --config=*) cfg=${w#--config=}; continue ;;\n"
    "        esac\n"
    "        if [[ -z $cmd ]]; then\n"
    "            [[ $w == -* ]] || cmd=$w\n"
    "            continue\n"
    "        fi\n"
    "        if [[ -n ${_srr_verbs[$cmd]+x} && -z $verb && -z $sawopt ]]; then\n"
    "            if [[ $w != -* ]]; then verb=$w; continue; fi\n"
    "            sawopt=1 # an option first: the command's form without a verb\n"
    "        fi\n"
    "        key=$cmd${verb:+ $verb}\n"
    "        if [[ $w == -* ]]; then\n"
    "            [[ $w != *=* && -n ${_srr_arg[$key $w]+x} ]] && want=$w\n"
    "            continue\n"
    "        fi\n"
    "        ((npos++))\n"
    "    done\n"
    "    key=$cmd${verb:+ $verb}\n"
    "    if [[ -n $want ]]; then\n"
    "        case $want in\n"
    "        --log-format) _srr_reply \"words:text json\" \"$cur\" ;;\n"
    "        --log-level) _srr_reply \"words:debug info warn error\" \"$cur\" ;;\n"
    "        *) _srr_reply \"${_srr_arg[$key $want]}\" \"$cur\" \"$bin\" \"$cfg\" ;;\n"
    "        esac\n"
    "        return 0\n"
    "    fi\n"
    "    if [[ -z $cmd ]]; then\n"
    "        if [[ $cur == -* ]]; then\n"
    "            _srr_reply \"words:--log-format --log-level --help --version\" \"$cur\"\n"
    "        else\n"
    "            _srr_reply commands \"$cur\"\n"
    "        fi\n"
    "        return 0\n"
    "    fi\n"
    "    if [[ -n ${_srr_verbs[$cmd]+x} && -z $verb && -z $sawopt ]]; then\n"
    "        if [[ $cur == -* ]]; then\n"
    "            _srr_reply \"words:${_srr_opts[$cmd]-} --help\" \"$cur\"\n"
    "        else\n"
    "            _srr_reply \"words:${_srr_verbs[$cmd]}\" \"$cur\"\n"
    "        fi\n"
    "        return 0\n"
    "    fi\n"
    "    if [[ $cur == -* ]]; then\n"
    "        _srr_reply \"words:${_srr_opts[$key]-} --help\" \"$cur\"\n"
    "        return 0\n"
    "    fi\n"
    "    pk=${_srr_pos[$key $((npos + 1))]-${_srr_pos[$key +]-}}\n"
    "    if [[ -n $pk ]]; then\n"
    "        _srr_reply \"$pk\" \"$cur\" \"$bin\" \"$cfg\"\n"
    "    elif [[ -z ${_srr_pos[$key $((npos + 1))]+x} ]]; then\n"
    "        _srr_reply \"words:${_srr_opts[$key]-}\" \"$cur\"\n"
    "    fi\n"
    "    return 0\n"
    "}\n"
    "complete -F _srr srr\n";

/* Writes the script. Returns 0, or -1 (after printing why) when a
 * placeholder of the table is unknown. */
static int print_script(FILE *out)
{
    char bad[256] = "", buf[2048], kb[512], key[128];
    size_t n, i, j, k;
    const srr_command *c;
    form *forms = all_forms(&n, bad, sizeof(bad));
    if (!forms) {
        srr_say_error("srr completion: %s (add it to PLACEHOLDERS in cmd/completion.c)\n", bad);
        return -1;
    }
    fputs("# bash completion for srr. Generated by `srr completion bash` from srr's command\n"
          "# table (cmd/help.c), the one `srr help` and the man pages print: change the\n"
          "# table, not this file.\n\n",
          out);
    fputs("_srr_commands=\"", out);
    for (c = srr_commands(); c->name; c++)
        fprintf(out, "%s%s", c == srr_commands() ? "" : " ", c->name);
    fputs("\"\n\ndeclare -gA _srr_verbs=(\n", out);
    for (c = srr_commands(); c->name; c++) {
        buf[0] = '\0';
        for (i = 0; i < n; i++)
            if (strcmp(forms[i].cmd, c->name) == 0 && forms[i].verb)
                add_word(buf, sizeof(buf), forms[i].verb);
        if (buf[0])
            emit_entry(out, c->name, buf);
    }
    /* Options per "command verb": every line with that key contributes. */
    fputs(")\n\ndeclare -gA _srr_opts=(\n", out);
    for (i = 0; i < n; i++) {
        snprintf(key, sizeof(key), "%s%s%s", forms[i].cmd, forms[i].verb ? " " : "",
                 forms[i].verb ? forms[i].verb : "");
        for (j = 0; j < i; j++)
            if (strcmp(forms[j].cmd, forms[i].cmd) == 0 &&
                strcmp(forms[j].verb ? forms[j].verb : "", forms[i].verb ? forms[i].verb : "") ==
                    0)
                break;
        if (j < i)
            continue; /* this key was written with its first line */
        buf[0] = '\0';
        for (j = i; j < n; j++) {
            if (strcmp(forms[j].cmd, forms[i].cmd) != 0 ||
                strcmp(forms[j].verb ? forms[j].verb : "", forms[i].verb ? forms[i].verb : "") !=
                    0)
                continue;
            for (k = 0; k < forms[j].nopt; k++)
                add_word(buf, sizeof(buf), forms[j].opt[k]);
        }
        emit_entry(out, key, buf);
    }
    fputs(")\n\ndeclare -gA _srr_arg=(\n", out);
    for (i = 0; i < n; i++) {
        for (k = 0; k < forms[i].nopt; k++) {
            char akey[192];
            if (!forms[i].optval[k])
                continue;
            snprintf(akey, sizeof(akey), "%s%s%s %s", forms[i].cmd, forms[i].verb ? " " : "",
                     forms[i].verb ? forms[i].verb : "", forms[i].opt[k]);
            const char *kind = kind_of(forms[i].cmd, forms[i].verb, forms[i].optval[k], kb,
                                       sizeof(kb));
            /* An option's ID is any record of the command (merge --into ID). */
            if (strncmp(kind, "ids:", 4) == 0)
                snprintf(kb, sizeof(kb), "ids:%s:", forms[i].cmd), kind = kb;
            emit_entry(out, akey, kind);
        }
    }
    fputs(")\n\ndeclare -gA _srr_pos=(\n", out);
    for (i = 0; i < n; i++) {
        for (k = 0; k < forms[i].npos; k++) {
            char pkey[192];
            const char *kind =
                kind_of(forms[i].cmd, forms[i].verb, forms[i].pos[k], kb, sizeof(kb));
            snprintf(pkey, sizeof(pkey), "%s%s%s %zu", forms[i].cmd, forms[i].verb ? " " : "",
                     forms[i].verb ? forms[i].verb : "", k + 1);
            emit_entry(out, pkey, kind);
            if (forms[i].repeat && k + 1 == forms[i].npos) {
                snprintf(pkey, sizeof(pkey), "%s%s%s +", forms[i].cmd, forms[i].verb ? " " : "",
                         forms[i].verb ? forms[i].verb : "");
                emit_entry(out, pkey, kind);
            }
        }
    }
    fputs(")\n\n", out);
    fputs(SCRIPT_FUNCTIONS, out);
    free(forms);
    return 0;
}

/* 1 when `verb` is one of the comma-separated words in `list`. */
static int in_csv(const char *list, const char *verb)
{
    size_t n = strlen(verb);
    const char *p = list;
    while ((p = strstr(p, verb)) != NULL) {
        if ((p == list || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0'))
            return 1;
        p += n;
    }
    return 0;
}

/* `srr completion list ids CMD [VERB]`: ids of CMD's records that VERB
 * applies to in their current status (all of them for list, show or no
 * verb), newest first. */
static void list_ids(const char *db, const char *cmd, const char *verb)
{
    const char *kind = strcmp(cmd, "risks") == 0            ? "risk"
                       : strcmp(cmd, "backlog") == 0        ? "backlog"
                       : strcmp(cmd, "investigations") == 0 ? "investigation"
                                                            : NULL;
    json_t *arr = NULL;
    srr_error err = {0};
    size_t i;
    if (srr_names_records(db, kind, 500, &arr, &err) != SRR_OK)
        srr_say_error("srr completion: %s\n", err.msg);
    for (i = 0; i < json_array_size(arr); i++) {
        const json_t *r = json_array_get(arr, i);
        const char *status = json_string_value(json_object_get(r, "status"));
        int ok = 1;
        if (kind && verb && *verb && strcmp(verb, "list") != 0 && strcmp(verb, "show") != 0) {
            char allowed[256];
            if (strcmp(kind, "investigation") == 0) {
                ok = strcmp(status, "open") == 0;
            } else {
                srr_wf_allowed(kind, status, allowed, sizeof(allowed));
                ok = in_csv(allowed, verb);
            }
        }
        if (ok)
            printf("%s\n", json_string_value(json_object_get(r, "id")));
    }
    json_decref(arr);
}

static void print_values(const json_t *arr)
{
    size_t i;
    for (i = 0; i < json_array_size(arr); i++)
        printf("%s\n", json_string_value(json_array_get(arr, i)));
}

/* `srr completion list WHAT [COMMAND [VERB]] [-c FILE]`. Prints nothing
 * (and exits 0) when there is no config or store yet: a shell completing
 * should stay quiet. */
static int run_list(int argc, char **argv)
{
    static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
                                             {NULL, 0, NULL, 0}};
    const char *config = NULL, *what;
    srr_config *cfg = NULL;
    srr_error err = {0};
    json_t *arr = NULL;
    int c;
    optind = 1;
    while ((c = srr_getopt_long(argc, argv, "+c:", longopts, NULL)) != -1) {
        if (c != 'c')
            return SRR_EXIT_USAGE;
        config = optarg;
    }
    /* Options may follow the positionals too ("ids risks approve -c F"). */
    int npos = 0;
    const char *pos[3] = {NULL, NULL, NULL};
    while (optind < argc) {
        if (strcmp(argv[optind], "-c") == 0 || strcmp(argv[optind], "--config") == 0) {
            if (optind + 1 >= argc)
                return SRR_EXIT_USAGE;
            config = argv[optind + 1];
            optind += 2;
            continue;
        }
        if (npos == 3)
            return SRR_EXIT_USAGE;
        pos[npos++] = argv[optind++];
    }
    what = pos[0];
    if (!what || (strcmp(what, "ids") != 0 && strcmp(what, "people") != 0 &&
                  strcmp(what, "labels") != 0 && strcmp(what, "services") != 0)) {
        srr_say_error("usage: srr completion list ids|people|labels|services [COMMAND [VERB]]"
                        " [-c FILE]\n");
        return SRR_EXIT_USAGE;
    }
    if (srr_config_load(srr_config_locate(config), &cfg, &err) != SRR_OK)
        return SRR_EXIT_OK; /* nothing to complete from */
    if (strcmp(what, "ids") == 0) {
        list_ids(cfg->store.path, pos[1] ? pos[1] : "", pos[2]);
    } else if (strcmp(what, "people") == 0) {
        json_t *all = json_array();
        size_t i;
        for (i = 0; i < cfg->team.nmembers; i++)
            json_array_append_new(all, json_string(cfg->team.members[i]));
        if (srr_names_values(cfg->store.path, "assignees", &arr, &err) == SRR_OK)
            for (i = 0; i < json_array_size(arr); i++) {
                const char *a = json_string_value(json_array_get(arr, i));
                size_t j;
                for (j = 0; j < cfg->team.nmembers && strcmp(cfg->team.members[j], a) != 0; j++)
                    ;
                if (j == cfg->team.nmembers)
                    json_array_append(all, json_array_get(arr, i));
            }
        print_values(all);
        json_decref(all);
    } else if (srr_names_values(cfg->store.path, what, &arr, &err) == SRR_OK) {
        print_values(arr);
    }
    json_decref(arr);
    srr_config_destroy(cfg);
    return SRR_EXIT_OK;
}

int srr_cmd_completion(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "bash") == 0)
        return print_script(stdout) == 0 ? SRR_EXIT_OK : SRR_EXIT_FAIL;
    if (argc >= 2 && strcmp(argv[1], "list") == 0)
        return run_list(argc - 1, argv + 1);
    srr_say_error("usage: srr completion bash | srr completion list "
                    "ids|people|labels|services [COMMAND [VERB]] [-c FILE]\n");
    return SRR_EXIT_USAGE;
}
