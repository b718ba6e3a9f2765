/* commands_shim.c: see commands_shim.h. Compiled as C; looks commands up
 * in the t_* tables directly rather than through the global registry, so
 * tests do not depend on registration order or on other modules' tables. */
#include "tests/shim/commands_shim.h"

#include "core/buf.h"
#include "core/cmd.h"
#include "core/config.h"
#include "core/keyspace.h"
#include "core/reply.h"
#include "core/shard.h"
#include "core/slot.h"
#include "core/t_commands.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

struct cmds_shim {
    struct shard sh;
    struct ts_buf out;
    int64_t now_ms;
    uint8_t resp;
    uint32_t cflags;
    struct sv argv[256];
};

cmds_shim *
cmds_shim_create(int64_t now_ms)
{
    cmds_shim *s = ts_calloc(1, sizeof(*s));
    if (g_cfg.databases == 0) /* no config loaded in this binary: Redis's default */
        g_cfg.databases = 16;
    s->sh.ks = ks_create();
    s->now_ms = now_ms;
    s->resp = 2;
    return s;
}

void
cmds_shim_destroy(cmds_shim **sp)
{
    cmds_shim *s = *sp;
    if (s == NULL)
        return;
    ks_destroy(&s->sh.ks);
    ts_buf_free(&s->out);
    ts_free(s);
    *sp = NULL;
}

void
cmds_shim_set_time(cmds_shim *s, int64_t now_ms)
{
    s->now_ms = now_ms;
}

void
cmds_shim_set_resp(cmds_shim *s, int resp)
{
    s->resp = (uint8_t)resp;
}

void
cmds_shim_set_no_touch(cmds_shim *s, int on)
{
    s->cflags = on ? CL_NO_TOUCH : 0;
}

static const struct cmd_def *
find_in(const struct cmd_def *t, const char *p, size_t n)
{
    for (; t && t->name; t++)
        if (strlen(t->name) == n && strncasecmp(t->name, p, n) == 0)
            return t;
    return NULL;
}

static const struct cmd_def *
find_cmd(const char *p, size_t n)
{
    const struct cmd_def *d = find_in(t_string_table(), p, n);
    return d ? d : find_in(t_keys_table(), p, n);
}

/* "name" or "parent|sub". */
static const struct cmd_def *
find_full(const char *name)
{
    const char *bar = strchr(name, '|');
    if (bar == NULL)
        return find_cmd(name, strlen(name));
    const struct cmd_def *p = find_cmd(name, (size_t)(bar - name));
    return p ? find_in(p->subcommands, bar + 1, strlen(bar + 1)) : NULL;
}

const char *
cmds_shim_run(cmds_shim *s, int argc, const char *const *argv, const size_t *lens, size_t *len)
{
    struct reply r;
    ts_buf_reset(&s->out);
    reply_init(&r, &s->out, s->resp);
    if (argc < 1 || argc > (int)ARRAY_SIZE(s->argv)) {
        reply_error(&r, "ERR bad argc");
        goto out;
    }
    for (int i = 0; i < argc; i++)
        s->argv[i] = (struct sv){argv[i], lens[i]};

    /* The dispatcher's steps: lookup, arity, subcommand, slot. */
    const struct cmd_def *d = find_cmd(argv[0], lens[0]);
    if (d == NULL) {
        reply_error(&r, "ERR unknown command");
        goto out;
    }
    if (!cmd_arity_ok(d, argc)) {
        reply_wrong_args(&r, d->name);
        goto out;
    }
    if ((d->flags & CMD_CONTAINER) && argc >= 2) {
        const struct cmd_def *sub = find_in(d->subcommands, argv[1], lens[1]);
        if (sub != NULL) {
            if (!cmd_arity_ok(sub, argc)) {
                char full[128];
                snprintf(full, sizeof(full), "%s|%s", d->name, sub->name);
                reply_wrong_args(&r, full);
                goto out;
            }
            d = sub;
        }
    }
    struct cmd_ctx c;
    memset(&c, 0, sizeof(c));
    c.sh = &s->sh;
    c.cl = NULL;
    c.cmd = d;
    c.argc = argc;
    c.argv = s->argv;
    c.r = &r;
    c.now_ms = s->now_ms;
    c.cflags = s->cflags;
    c.slot = (d->first_key > 0 && d->first_key < argc) ? slot_of_sv(s->argv[d->first_key]) : -1;
    c.forward_to = -1;
    s->sh.now_ms = s->now_ms;
    ks_set_clock(s->sh.ks, s->now_ms); /* the runtime does this each loop turn */
    d->proc(&c);
out:
    *len = s->out.len;
    return s->out.data ? s->out.data : "";
}

uint64_t
cmds_shim_key_count(cmds_shim *s)
{
    return ks_count(s->sh.ks);
}

uint64_t
cmds_shim_volatile_count(cmds_shim *s)
{
    return ks_count_volatile(s->sh.ks);
}

uint64_t
cmds_shim_hits(cmds_shim *s)
{
    return ks_get_stats(s->sh.ks)->keyspace_hits;
}

uint64_t
cmds_shim_misses(cmds_shim *s)
{
    return ks_get_stats(s->sh.ks)->keyspace_misses;
}

long long
cmds_shim_set_max_bulk(long long v)
{
    long long old = g_cfg.proto_max_bulk_len;
    g_cfg.proto_max_bulk_len = v;
    return old;
}

int
cmds_shim_meta(const char *name, int *arity, uint32_t *flags, int *first, int *last, int *step)
{
    const struct cmd_def *d = find_full(name);
    if (d == NULL)
        return -1;
    *arity = d->arity;
    *flags = d->flags;
    *first = d->first_key;
    *last = d->last_key;
    *step = d->key_step;
    return 0;
}

const char *
cmds_shim_meta_str(const char *name, const char *which)
{
    const struct cmd_def *d = find_full(name);
    if (d == NULL)
        return NULL;
    if (strcmp(which, "acl") == 0)
        return d->acl;
    if (strcmp(which, "group") == 0)
        return d->group;
    if (strcmp(which, "since") == 0)
        return d->since;
    if (strcmp(which, "summary") == 0)
        return d->summary;
    if (strcmp(which, "ks_flags") == 0)
        return d->ks_flags;
    return NULL;
}

int
cmds_shim_del_key(cmds_shim *s, const char *key)
{
    return t_del_key(&s->sh, (struct sv){key, strlen(key)}, s->now_ms);
}

int
cmds_shim_exists_key(cmds_shim *s, const char *key)
{
    return t_exists_key(&s->sh, (struct sv){key, strlen(key)}, s->now_ms, false);
}

int
cmds_shim_move_value(cmds_shim *s, const char *src, const char *dst, int nx)
{
    int64_t when;
    struct kvval *v = t_take_value(&s->sh, (struct sv){src, strlen(src)}, s->now_ms, &when);
    if (v == NULL)
        return -1;
    if (!t_put_value(&s->sh, (struct sv){dst, strlen(dst)}, v, when, nx != 0, s->now_ms, "rename_to")) {
        kvval_free(&v);
        return 0;
    }
    return 1;
}
