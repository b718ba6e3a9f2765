/* config_shim.c: see config_shim.h. Compiled as C against the module's
 * private header so the tests never see its internals. */
#include "tests/shim/config_shim.h"

#include "core/buf.h"
#include "core/cmd.h"
#include "core/config.h"
#include "core/shard.h"
#include "core/config_int.h"
#include "core/log.h"
#include "core/reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int
cfg_shim_load(int argc, const char *const *argv, char **err)
{
    if (err)
        *err = NULL;
    if (!err)
        return config_load(argc, (char **)argv);
    /* capture stderr into a temp file for the duration of the call */
    fflush(stderr);
    FILE *tmp = tmpfile();
    int saved = dup(STDERR_FILENO);
    dup2(fileno(tmp), STDERR_FILENO);
    int rc = config_load(argc, (char **)argv);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    long n = ftell(tmp);
    if (n < 0)
        n = 0;
    rewind(tmp);
    *err = malloc((size_t)n + 1);
    size_t got = fread(*err, 1, (size_t)n, tmp);
    (*err)[got] = '\0';
    fclose(tmp);
    return rc;
}

int
cfg_shim_apply(const char *name, int argc, const char *const *args, int at_runtime, char *err, size_t errlen)
{
    return config_apply(name, argc, (char **)args, at_runtime != 0, err, errlen);
}

char *
cfg_shim_get(const char *name)
{
    return config_get_value(name);
}

void
cfg_shim_free(void *p)
{
    ts_free(p);
}

long long
cfg_shim_field(const char *w)
{
    if (!strcmp(w, "port"))
        return g_cfg.port;
    if (!strcmp(w, "maxmemory"))
        return g_cfg.maxmemory;
    if (!strcmp(w, "hz"))
        return g_cfg.hz;
    if (!strcmp(w, "loglevel"))
        return g_cfg.loglevel;
    if (!strcmp(w, "appendonly"))
        return g_cfg.appendonly;
    if (!strcmp(w, "maxmemory_policy"))
        return g_cfg.maxmemory_policy;
    if (!strcmp(w, "appendfsync"))
        return g_cfg.appendfsync;
    if (!strcmp(w, "endpoint"))
        return g_cfg.cluster_preferred_endpoint_type;
    if (!strcmp(w, "nbind"))
        return g_cfg.nbind;
    if (!strcmp(w, "log_level"))
        return log_get_level();
    if (!strcmp(w, "replica_read_only"))
        return g_cfg.replica_read_only;
    if (!strcmp(w, "proto_max_bulk_len"))
        return g_cfg.proto_max_bulk_len;
    return -999;
}

const char *
cfg_shim_bind_addr(int i)
{
    return i < g_cfg.nbind ? g_cfg.bind_addrs[i] : NULL;
}

const char *
cfg_shim_config_file(void)
{
    return g_cfg.config_file;
}

const char *
cfg_shim_executable(void)
{
    return g_cfg.executable;
}

const char *
cfg_shim_save(void)
{
    return g_cfg.save;
}

/* ---- commands ---- */

static struct ts_buf shim_out;

const char *
cfg_shim_cmd(int resp, int local, int argc, const char *const *argv, size_t *len)
{
    static bool registered;
    if (!registered) {
        config_register_commands();
        registered = true;
    }
    struct sv sv[64];
    for (int i = 0; i < argc && i < 64; i++)
        sv[i] = (struct sv){ argv[i], strlen(argv[i]) };
    struct client cl;
    memset(&cl, 0, sizeof(cl));
    snprintf(cl.addr, sizeof(cl.addr), "%s", local ? "127.0.0.1:5000" : "10.1.2.3:5000");
    cl.resp = (uint8_t)resp;
    struct reply r;
    ts_buf_reset(&shim_out);
    reply_init(&r, &shim_out, (uint8_t)resp);
    struct cmd_ctx c;
    memset(&c, 0, sizeof(c));
    c.cl = &cl;
    c.argc = argc;
    c.argv = sv;
    c.r = &r;
    c.slot = -1;
    c.forward_to = -1;
    const struct cmd_def *d = cmd_lookup(sv[0]);
    if (d && (d->flags & CMD_CONTAINER) && argc >= 2) {
        const struct cmd_def *sub = cmd_lookup_sub(d, sv[1]);
        if (!sub) {
            c.cmd = d;
            cmd_reply_unknown_sub(&c);
            goto out;
        }
        d = sub;
        if (!cmd_arity_ok(d, argc)) {
            char name[64];
            snprintf(name, sizeof(name), "config|%s", d->name);
            reply_wrong_args(&r, name);
            goto out;
        }
    } else if (!d || !cmd_arity_ok(d, argc)) {
        reply_wrong_args(&r, "config");
        goto out;
    }
    c.cmd = d;
    d->proc(&c);
    if (c.fanout) {
        /* No runtime here: run the fan-out inline on one empty shard. */
        struct shard sh;
        memset(&sh, 0, sizeof(sh));
        struct cmd_fanout *f = c.fanout;
        f->each(&sh, f->state, 0);
        f->done(f->state, &r, &cl);
        f->free_state(f->state);
        ts_free(f);
        cmdstats_free(&sh.cstats);
    }
out:
    *len = shim_out.len;
    ts_buf_putc(&shim_out, '\0');
    shim_out.len--;
    return shim_out.data;
}

static int shim_resets;

static void
shim_reset_hook(void)
{
    shim_resets++;
}

void
cfg_shim_install_resetstat_hook(void)
{
    config_resetstat_hook = shim_reset_hook;
}

int
cfg_shim_resetstat_calls(void)
{
    return shim_resets;
}

void
cfg_shim_set_protected(int mode)
{
    g_cfg.enable_protected_configs = mode;
}

int
cfg_shim_splitargs(const char *line, char *out, size_t outlen)
{
    int argc;
    char **v = cfg_splitargs(line, &argc);
    if (!v)
        return -1;
    size_t n = 0;
    out[0] = '\0';
    for (int i = 0; i < argc; i++)
        n += (size_t)snprintf(out + n, n < outlen ? outlen - n : 0, "%s%s", i ? "|" : "", v[i]);
    cfg_freeargs(v);
    return argc;
}

int
cfg_shim_parse_mem(const char *s, long long *out)
{
    return cfg_parse_mem(s, out) ? 1 : 0;
}

void
cfg_shim_repr(const char *s, size_t n, char *out, size_t outlen)
{
    struct ts_buf b = { 0 };
    cfg_repr(&b, s, n);
    snprintf(out, outlen, "%.*s", (int)b.len, b.data);
    ts_buf_free(&b);
}

char *
cfg_shim_log_warnings(void)
{
    fflush(stdout);
    FILE *tmp = tmpfile();
    int saved = dup(STDOUT_FILENO);
    dup2(fileno(tmp), STDOUT_FILENO);
    config_log_warnings();
    dup2(saved, STDOUT_FILENO);
    close(saved);
    long n = ftell(tmp);
    if (n < 0)
        n = 0;
    rewind(tmp);
    char *out = malloc((size_t)n + 1);
    size_t got = fread(out, 1, (size_t)n, tmp);
    out[got] = '\0';
    fclose(tmp);
    return out;
}

/* ---- the table ---- */

static int
shim_cls(int flags)
{
    if (flags & CFG_NOT_YET)
        return CFG_SHIM_NOT_YET;
    return (flags & CFG_COSMETIC) ? CFG_SHIM_COSMETIC : CFG_SHIM_ACTS;
}

size_t
cfg_shim_nopts(void)
{
    return cfg_nopts;
}

void
cfg_shim_opt_at(size_t i, struct cfg_shim_opt *out)
{
    static const char types[] = { [CFG_BOOL] = 'b', [CFG_INT] = 'i', [CFG_LL] = 'l', [CFG_MEM] = 'm',
                                  [CFG_STR] = 's', [CFG_ENUM] = 'e', [CFG_SPECIAL] = 'x' };
    const struct cfg_opt *o = &cfg_opts[i];
    out->name = o->name;
    out->alias = cfg_alias_of(o);
    out->cls = shim_cls(o->flags);
    out->immutable = (o->flags & CFG_IMMUTABLE) != 0;
    out->kind = o->kind;
    out->type = types[o->type];
    out->min = o->min;
    out->max = o->max;
    out->why = cfg_area_why(o->flags);
}

size_t
cfg_shim_nothers(void)
{
    return cfg_nothers;
}

void
cfg_shim_other(size_t i, const char **name, int *argc_min, int *cls, const char **why)
{
    *name = cfg_others[i].name;
    *argc_min = cfg_others[i].argc_min;
    *cls = shim_cls(cfg_others[i].flags);
    *why = cfg_area_why(cfg_others[i].flags);
}
