/* config_parse.c: reading redis.conf text and redis-server style arguments.
 *
 * As redis-server does, "--name value..." arguments are turned into config
 * text (one line per directive, values quoted) and appended after the
 * config file, so both go through one parser and errors point at a line:
 *
 *   text = <config file> <stdin if "-"> "\n" <"name \"v1\" \"v2\" " per --name>
 *
 * Tokenising follows sdssplitargs (quotes, escapes), and errors print
 * Redis's "*** FATAL CONFIG FILE ERROR ***" block to stderr. */
#include "core/config.h"

#include "core/config_int.h"
#include "core/log.h"
#include "core/server.h"

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define CFG_MAX_INCLUDE_DEPTH 16

/* ---- Tokens ---- */

static int
cfg_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    return (tolower((unsigned char)c) - 'a') + 10;
}

void
cfg_freeargs(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        ts_free(*p);
    ts_free(v);
}

char **
cfg_splitargs(const char *line, int *argc)
{
    const char *p = line;
    size_t n = 0, cap = 4;
    char **v = ts_malloc(cap * sizeof(char *));
    struct ts_buf tok = { 0 };

    for (;;) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        bool inq = false, insq = false, done = false;
        ts_buf_reset(&tok);
        while (!done) {
            if (inq) {
                if (!*p)
                    goto err;
                if (p[0] == '\\' && p[1] == 'x' && isxdigit((unsigned char)p[2]) && isxdigit((unsigned char)p[3])) {
                    ts_buf_putc(&tok, (char)(cfg_hexval(p[2]) * 16 + cfg_hexval(p[3])));
                    p += 3;
                } else if (p[0] == '\\' && p[1]) {
                    p++;
                    char c = *p;
                    switch (c) {
                    case 'n': c = '\n'; break;
                    case 'r': c = '\r'; break;
                    case 't': c = '\t'; break;
                    case 'b': c = '\b'; break;
                    case 'a': c = '\a'; break;
                    default: break;
                    }
                    ts_buf_putc(&tok, c);
                } else if (*p == '"') {
                    /* the closing quote must end the token */
                    if (p[1] && !isspace((unsigned char)p[1]))
                        goto err;
                    done = true;
                } else {
                    ts_buf_putc(&tok, *p);
                }
            } else if (insq) {
                if (!*p)
                    goto err;
                if (p[0] == '\\' && p[1] == '\'') {
                    p++;
                    ts_buf_putc(&tok, '\'');
                } else if (*p == '\'') {
                    if (p[1] && !isspace((unsigned char)p[1]))
                        goto err;
                    done = true;
                } else {
                    ts_buf_putc(&tok, *p);
                }
            } else if (!*p || isspace((unsigned char)*p)) {
                done = true;
            } else if (*p == '"') {
                inq = true;
            } else if (*p == '\'') {
                insq = true;
            } else {
                ts_buf_putc(&tok, *p);
            }
            if (*p)
                p++;
        }
        if (n + 2 > cap) {
            cap *= 2;
            v = ts_realloc(v, cap * sizeof(char *));
        }
        v[n++] = ts_strndup(tok.data ? tok.data : "", tok.len);
    }
    ts_buf_free(&tok);
    v[n] = NULL;
    *argc = (int)n;
    return v;
err:
    ts_buf_free(&tok);
    v[n] = NULL;
    cfg_freeargs(v);
    *argc = 0;
    return NULL;
}

void
cfg_repr(struct ts_buf *b, const char *s, size_t n)
{
    ts_buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[5];
        switch (c) {
        case '\\':
        case '"':
            ts_buf_putc(b, '\\');
            ts_buf_putc(b, (char)c);
            break;
        case '\n': ts_buf_append(b, "\\n", 2); break;
        case '\r': ts_buf_append(b, "\\r", 2); break;
        case '\t': ts_buf_append(b, "\\t", 2); break;
        case '\a': ts_buf_append(b, "\\a", 2); break;
        case '\b': ts_buf_append(b, "\\b", 2); break;
        default:
            if (isprint(c)) {
                ts_buf_putc(b, (char)c);
            } else {
                snprintf(esc, sizeof(esc), "\\x%02x", c);
                ts_buf_append(b, esc, 4);
            }
        }
    }
    ts_buf_putc(b, '"');
}

bool
cfg_parse_mem(const char *s, long long *out)
{
    size_t nd = 0;
    while (s[nd] >= '0' && s[nd] <= '9')
        nd++;
    if (nd == 0)
        return false;
    const char *u = s + nd;
    unsigned long long mul;
    if (!*u || !strcasecmp(u, "b"))
        mul = 1;
    else if (!strcasecmp(u, "k"))
        mul = 1000;
    else if (!strcasecmp(u, "kb"))
        mul = 1024;
    else if (!strcasecmp(u, "m"))
        mul = 1000ULL * 1000;
    else if (!strcasecmp(u, "mb"))
        mul = 1024ULL * 1024;
    else if (!strcasecmp(u, "g"))
        mul = 1000ULL * 1000 * 1000;
    else if (!strcasecmp(u, "gb"))
        mul = 1024ULL * 1024 * 1024;
    else
        return false;
    unsigned long long v = 0;
    for (size_t i = 0; i < nd; i++) {
        if (v > (ULLONG_MAX - 9) / 10)
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v > (unsigned long long)LLONG_MAX / mul)
        return false;
    *out = (long long)(v * mul);
    return true;
}

/* ---- Directives that are not options ---- */

/* Lines Redis accepts that are not config options (not in CONFIG GET),
 * with their class as in cfg_opts: the deprecated names Redis 7.0 itself
 * skips are cosmetic (logged once each); rename-command, user and
 * loadmodule would change what clients may run, so they are refused until
 * Tessera does them. */
static const char *cfg_other_seen[16];
/* set by a successful config_load until config_log_warnings runs */
static bool cfg_warnings_pending;
static size_t cfg_nother_seen;

static void
cfg_note_other(const char *name)
{
    for (size_t i = 0; i < cfg_nother_seen; i++)
        if (!strcmp(cfg_other_seen[i], name))
            return;
    if (cfg_nother_seen < ARRAY_SIZE(cfg_other_seen))
        cfg_other_seen[cfg_nother_seen++] = name;
}

const struct cfg_other cfg_others[] = {
    { "rename-command", 3, 3, CFG_NY },
    { "user", 2, INT_MAX, CFG_NY_ACL },
    { "loadmodule", 2, INT_MAX, CFG_NY_MODULES },
    { "list-max-ziplist-entries", 2, 2, CFG_COSMETIC },
    { "list-max-ziplist-value", 2, 2, CFG_COSMETIC },
    { "lua-replicate-commands", 2, 2, CFG_COSMETIC },
};
const size_t cfg_nothers = ARRAY_SIZE(cfg_others);

/* ---- Text ---- */

static int cfg_load_path(const char *path, int depth);

/* Is a master configured (replicaof host port, not "no one")? */
static bool
cfg_replicaof_set(void)
{
    char *v = config_get_value("replicaof");
    bool set = v && v[0];
    ts_free(v);
    return set;
}

static void
cfg_fatal(int lineno, const char *line, const char *err)
{
    fprintf(stderr, "\n*** FATAL CONFIG FILE ERROR (Redis %s) ***\n", TESSERA_REDIS_VERSION);
    fprintf(stderr, "Reading the configuration file, at line %d\n", lineno);
    fprintf(stderr, ">>> '%s'\n", line);
    fprintf(stderr, "%s\n", err);
}

/* Apply one tokenised line. Returns 0, -1 with err set, or -2 when the
 * failure was already reported (an include that could not be read). */
static int
cfg_apply_line(int argc, char **argv, int depth, char *err, size_t errlen)
{
    struct cfg_opt *o = cfg_lookup(argv[0], strlen(argv[0]));
    if (o) {
        struct cfg_staged st;
        if (cfg_stage(o, argc - 1, argv + 1, true, &st, err, errlen) != 0)
            return -1;
        if (cfg_commit(&st, true, err, errlen) != 0)
            return -1;
        if (o->flags & CFG_COSMETIC)
            o->seen = true;
        return 0;
    }
    if (!strcasecmp(argv[0], "include") && argc == 2)
        return cfg_load_path(argv[1], depth + 1) == 0 ? 0 : -2;
    for (size_t i = 0; i < ARRAY_SIZE(cfg_others); i++) {
        if (!strcasecmp(argv[0], cfg_others[i].name) && argc >= cfg_others[i].argc_min &&
            argc <= cfg_others[i].argc_max) {
            if (cfg_others[i].flags & CFG_NOT_YET) {
                snprintf(err, errlen, "%s is not supported by Tessera yet%s", cfg_others[i].name,
                         cfg_area_why(cfg_others[i].flags));
                return -1;
            }
            cfg_note_other(cfg_others[i].name);
            return 0;
        }
    }
    snprintf(err, errlen, "Bad directive or wrong number of arguments");
    return -1;
}

/* Parse config text line by line; line numbers count from 1 in this text.
 * Returns 0, or -1 after printing the error. */
static int
cfg_parse_text(const char *text, int depth)
{
    const char *p = text;
    int lineno = 0;
    char err[512];
    for (;;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        lineno++;
        /* trim " \t\r\n" both ends, as the error shows the trimmed line */
        while (len && strchr(" \t\r", p[0])) {
            p++;
            len--;
        }
        while (len && strchr(" \t\r", p[len - 1]))
            len--;
        char *line = ts_strndup(p, len);
        int rc = 0;
        if (len && line[0] != '#') {
            int argc;
            char **argv = cfg_splitargs(line, &argc);
            if (!argv) {
                snprintf(err, sizeof(err), "Unbalanced quotes in configuration line");
                rc = -1;
            } else if (argc > 0) {
                rc = cfg_apply_line(argc, argv, depth, err, sizeof(err));
            }
            cfg_freeargs(argv);
        }
        if (rc == -1)
            cfg_fatal(lineno, line, err);
        ts_free(line);
        if (rc)
            return -1;
        if (!nl)
            return 0;
        p = nl + 1;
    }
}

/* Append the whole of a file to b. Returns 0 or -errno. */
static int
cfg_read_fp(FILE *f, struct ts_buf *b)
{
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        ts_buf_append(b, chunk, n);
    return ferror(f) ? -EIO : 0;
}

static int
cfg_read_file(const char *path, struct ts_buf *b)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        log_warn("Fatal error, can't open config file '%s': %s", path, strerror(errno));
        return -1;
    }
    int rc = cfg_read_fp(f, b);
    fclose(f);
    if (rc)
        log_warn("Fatal error, can't read config file '%s': %s", path, strerror(-rc));
    return rc ? -1 : 0;
}

/* include <path>: a file, or a glob pattern whose matches are read in
 * order (Redis 7.0); an unmatched pattern includes nothing. */
static int
cfg_load_path(const char *path, int depth)
{
    if (depth > CFG_MAX_INCLUDE_DEPTH) {
        log_warn("Fatal error, too many nested includes at '%s'", path);
        return -1;
    }
    struct ts_buf b = { 0 };
    int rc = 0;
    if (strpbrk(path, "*?[")) {
        glob_t g;
        if (glob(path, GLOB_ERR, NULL, &g) == 0) {
            for (size_t i = 0; i < g.gl_pathc && rc == 0; i++)
                rc = cfg_read_file(g.gl_pathv[i], &b);
            globfree(&g);
        }
    } else {
        rc = cfg_read_file(path, &b);
    }
    if (rc == 0) {
        ts_buf_append(&b, "\n", 2); /* includes the NUL */
        rc = cfg_parse_text(b.data, depth);
    }
    ts_buf_free(&b);
    return rc;
}

/* ---- Arguments ---- */

/* An absolute version of path (relative to the current directory), ts_malloc'd. */
static char *
cfg_abspath(const char *path)
{
    char buf[PATH_MAX];
    if (realpath(path, buf))
        return ts_strdup(buf);
    if (path[0] == '/' || !getcwd(buf, sizeof(buf)))
        return ts_strdup(path);
    char *out = ts_malloc(strlen(buf) + strlen(path) + 2);
    sprintf(out, "%s/%s", buf, path);
    return out;
}

/* Turn "--name v1 v2 --other v" into config lines. A name with no value
 * yet takes the next argument as its value even if it starts with "--"
 * ("--port --hz" sets port to "--hz", as redis-server does), and a bare
 * "--save" (last, or before another "--name") means save "". */
static void
cfg_args_to_text(int argc, char **argv, int start, struct ts_buf *opts, bool *from_stdin)
{
    bool take_name = true;
    for (int j = start; j < argc; j++) {
        const char *a = argv[j];
        if (a[0] == '-' && a[1] == '\0' && (j == 1 || j == argc - 1)) {
            *from_stdin = true;
            continue;
        }
        if (take_name && a[0] == '-' && a[1] == '-') {
            if (opts->len)
                ts_buf_putc(opts, '\n');
            ts_buf_append(opts, a + 2, strlen(a + 2));
            ts_buf_putc(opts, ' ');
            int n;
            char **w = cfg_splitargs(a, &n);
            bool bare = w && n == 1;
            cfg_freeargs(w);
            /* "--port 6380" in one argument already carries its value */
            take_name = !bare;
            if (!take_name && !strcasecmp(a, "--save") &&
                (j == argc - 1 || (argv[j + 1][0] == '-' && argv[j + 1][1] == '-'))) {
                ts_buf_append(opts, "\"\"", 2);
                take_name = true;
            }
        } else {
            cfg_repr(opts, a, strlen(a));
            ts_buf_putc(opts, ' ');
            take_name = true;
        }
    }
}

int
config_load(int argc, char **argv)
{
    cfg_reset_defaults();
    cfg_nother_seen = 0;
    /* previous values are not freed: their owner is unknown (tests) */
    g_cfg.config_file = NULL;
    g_cfg.executable = NULL;

    /* Absolute paths first: a "dir" directive changes the cwd while parsing. */
    if (argc > 0 && strchr(argv[0], '/')) {
        g_cfg.executable = cfg_abspath(argv[0]);
    } else {
        char buf[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
        g_cfg.executable = ts_strdup(n > 0 ? (buf[n] = '\0', buf) : (argc > 0 ? argv[0] : ""));
    }
    int start = 1;
    const char *file = NULL;
    if (argc > 1 && argv[1][0] != '-') {
        file = argv[1];
        g_cfg.config_file = cfg_abspath(file);
        start = 2;
    }

    struct ts_buf opts = { 0 }, text = { 0 };
    bool from_stdin = false;
    cfg_args_to_text(argc, argv, start, &opts, &from_stdin);

    int rc = 0;
    if (file && cfg_read_file(file, &text) != 0)
        rc = -1;
    if (rc == 0 && from_stdin)
        log_warn("Reading config from stdin");
    if (rc == 0 && from_stdin && cfg_read_fp(stdin, &text) != 0) {
        log_warn("Fatal error, can't read config from stdin");
        rc = -1;
    }
    if (rc == 0) {
        ts_buf_putc(&text, '\n');
        ts_buf_append(&text, opts.data ? opts.data : "", opts.len);
        ts_buf_putc(&text, '\0');
        rc = cfg_parse_text(text.data, 0);
    }
    ts_buf_free(&opts);
    ts_buf_free(&text);
    if (rc)
        return -1;
    if (g_cfg.cluster_enabled && cfg_replicaof_set()) {
        /* Redis checks this after reading everything: no line to show. */
        fprintf(stderr, "\n*** FATAL CONFIG FILE ERROR (Redis %s) ***\n", TESSERA_REDIS_VERSION);
        fprintf(stderr, "replicaof directive not allowed in cluster mode\n");
        return -1;
    }
    cfg_warnings_pending = true;
    return 0;
}

void
config_log_warnings(void)
{
    if (!cfg_warnings_pending)
        return;
    cfg_warnings_pending = false;
    /* Never silently: one line per cosmetic directive named. */
    for (size_t i = 0; i < cfg_nopts; i++)
        if (cfg_opts[i].seen)
            log_warn(CFG_WARN_COSMETIC, cfg_opts[i].name);
    for (size_t i = 0; i < cfg_nother_seen; i++)
        log_warn(CFG_WARN_COSMETIC, cfg_other_seen[i]);
}
