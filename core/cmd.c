/* cmd.c: the command registry. Tables are registered at setup; lookups are
 * lock-free reads of an open-addressing table that is never modified after
 * the workers start. Lookup is on the path of every request, so names are
 * hashed and compared case-insensitively in one pass, with no allocation. */
#include "core/cmd.h"

#include "core/slotmap.h"
#include "core/cmdstats.h"

#include "core/server.h"
#include "core/shard.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#define CMD_TABLE_SIZE 1024 /* power of two, > 2x the number of commands */

static const struct cmd_def *by_name[CMD_TABLE_SIZE];
static uint8_t by_name_len[CMD_TABLE_SIZE];
static const struct cmd_def *all[CMD_TABLE_SIZE / 2];
static size_t nall;

static inline uint32_t
name_hash(const char *p, size_t n)
{
    uint32_t h = 2166136261u; /* FNV-1a over lower-cased bytes */
    for (size_t i = 0; i < n; i++) {
        h ^= (uint32_t)(unsigned char)(p[i] | 0x20);
        h *= 16777619u;
    }
    return h;
}

void
cmd_register_table(const struct cmd_def *table)
{
    for (const struct cmd_def *d = table; d->name; d++) {
        for (const char *q = d->name; *q; q++)
            if (*q >= 'A' && *q <= 'Z') { /* cmd_lookup compares against lower case */
                fprintf(stderr, "tessera: command name '%s' must be lower case\n", d->name);
                abort();
            }
        uint32_t i = name_hash(d->name, strlen(d->name)) & (CMD_TABLE_SIZE - 1);
        while (by_name[i]) {
            if (strcasecmp(by_name[i]->name, d->name) == 0) {
                fprintf(stderr, "tessera: command '%s' registered twice\n", d->name);
                abort();
            }
            i = (i + 1) & (CMD_TABLE_SIZE - 1);
        }
        if (nall >= ARRAY_SIZE(all)) {
            fprintf(stderr, "tessera: command table full\n");
            abort();
        }
        by_name[i] = d;
        by_name_len[i] = (uint8_t)TS_MIN(strlen(d->name), (size_t)255);
        all[nall++] = d;
        cmdstats_register(d, NULL);
        for (const struct cmd_def *s = d->subcommands; s && s->name; s++)
            cmdstats_register(s, d);
    }
}

/* Exact case-insensitive match of a client's bytes against a registered
 * (lower-case) name of the same length: a byte matches its own value, or,
 * for a letter, the upper-case form. Inline: it runs for every request. */
static inline bool
name_eq(const char *lower, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char a = lower[i], b = p[i];
        if (a != b && !(a >= 'a' && a <= 'z' && b == (char)(a - 32)))
            return false;
    }
    return true;
}

const struct cmd_def *
cmd_lookup(struct sv name)
{
    if (name.len == 0 || name.len > 64)
        return NULL;
    uint32_t i = name_hash(name.ptr, name.len) & (CMD_TABLE_SIZE - 1);
    for (;;) {
        const struct cmd_def *d = by_name[i];
        if (d == NULL)
            return NULL;
        if (by_name_len[i] == name.len && name_eq(d->name, name.ptr, name.len))
            return d;
        i = (i + 1) & (CMD_TABLE_SIZE - 1);
    }
}

const struct cmd_def *
cmd_lookup_sub(const struct cmd_def *parent, struct sv sub)
{
    if (!parent->subcommands)
        return NULL;
    for (const struct cmd_def *d = parent->subcommands; d->name; d++)
        if (strncasecmp(d->name, sub.ptr, sub.len) == 0 && d->name[sub.len] == '\0')
            return d;
    return NULL;
}

size_t
cmd_count(void)
{
    return nall;
}

const struct cmd_def *
cmd_at(size_t i)
{
    return i < nall ? all[i] : NULL;
}

int
cmd_get_keys_slow(const struct cmd_def *d, int argc, struct sv *argv, int *idx, int n)
{
    if (d->getkeys)
        return d->getkeys(argc, argv, idx, n);
    if (d->first_key <= 0 || d->first_key >= argc)
        return 0;
    int last = d->last_key < 0 ? argc + d->last_key : d->last_key;
    if (last >= argc)
        last = argc - 1;
    int step = d->key_step > 0 ? d->key_step : 1;
    int k = 0;
    for (int i = d->first_key; i <= last && k < n; i += step)
        idx[k++] = i;
    return k;
}

size_t
cmd_unknown_command_msg(char *out, size_t cap, int argc, const struct sv *argv)
{
    int n = snprintf(out, cap, "ERR unknown command '%.*s', with args beginning with: ",
                     (int)TS_MIN(argv[0].len, (size_t)128), argv[0].ptr);
    int args = 0; /* the length of the "'arg' " list so far: 128 for all */
    for (int i = 1; i < argc && args < 128 && n < (int)cap; i++) {
        int m = snprintf(out + n, cap - (size_t)n, "'%.*s' ", (int)TS_MIN(argv[i].len, (size_t)(128 - args)),
                         argv[i].ptr);
        n += m;
        args += m;
    }
    return (size_t)TS_MIN(n, (int)cap - 1);
}

void
cmd_reply_unknown_sub(struct cmd_ctx *c)
{
    char name[64];
    size_t n = TS_MIN(c->argv[0].len, sizeof(name) - 1);
    for (size_t i = 0; i < n; i++)
        name[i] = (char)toupper((unsigned char)c->argv[0].ptr[i]);
    name[n] = '\0';
    size_t sl = TS_MIN(c->argv[1].len, (size_t)128);
    reply_errorf(c->r, "ERR unknown subcommand '%.*s'. Try %s HELP.", (int)sl, c->argv[1].ptr, name);
}

/* ---- Runtime services that are plain data (the runtime acts on them) ---- */

struct shard *g_shards[MAX_WORKERS];

int
cmd_nworkers(void)
{
    return g_server.nworkers;
}

void
cmd_forward(struct cmd_ctx *c, int worker)
{
    c->forward_to = worker;
}

void
cmd_forward_slot(struct cmd_ctx *c, int slot)
{
    c->forward_to = slotmap_worker((uint16_t)slot);
    c->forward_slot = slot;
}

void (*cmd_deferred_ready)(struct cmd_deferred *d);

struct cmd_deferred *
cmd_defer(struct cmd_ctx *c)
{
    struct cmd_deferred *d = ts_calloc(1, sizeof(*d));
    d->resp = c->r->resp;
    d->origin = -1;
    struct cmd_fanout *f = ts_calloc(1, sizeof(*f));
    f->deferred = d;
    c->fanout = f;
    return d;
}

/* The replier and the runtime's binding race: whoever comes second hands
 * the reply to the origin worker. */
void
cmd_deferred_reply(struct cmd_deferred *d, const char *bytes, size_t len, bool error)
{
    ts_buf_append(&d->reply, bytes, len);
    d->error = error;
    if (__atomic_exchange_n(&d->state, 2, __ATOMIC_ACQ_REL) == 1)
        cmd_deferred_ready(d);
}

static __thread struct cmd_deferred *cmd_done_deferred;

struct cmd_deferred *
cmd_defer_done(const struct reply *r)
{
    struct cmd_deferred *d = ts_calloc(1, sizeof(*d));
    d->resp = r->resp;
    d->origin = -1;
    cmd_done_deferred = d;
    return d;
}

struct cmd_deferred *
cmd_defer_done_take(void)
{
    struct cmd_deferred *d = cmd_done_deferred;
    cmd_done_deferred = NULL;
    return d;
}

void
cmd_fanout_hold(struct cmd_ctx *c)
{
    struct cmd_fanout *f = c->fanout;
    if (f)
        f->hold = true;
}

void
cmd_fanout(struct cmd_ctx *c, void *state, fanout_each_fn each, fanout_done_fn done, void (*free_state)(void *))
{
    struct cmd_fanout *f = ts_calloc(1, sizeof(*f));
    f->state = state;
    f->each = each;
    f->done = done;
    f->free_state = free_state;
    f->masked = false;
    c->fanout = f;
}

void
cmd_fanout_some(struct cmd_ctx *c, void *state, const uint64_t *mask, fanout_each_fn each, fanout_done_fn done,
                void (*free_state)(void *))
{
    cmd_fanout(c, state, each, done, free_state);
    struct cmd_fanout *f = c->fanout;
    f->masked = true;
    memcpy(f->mask, mask, sizeof(f->mask));
}
