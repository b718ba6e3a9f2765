/* cmd_pubsub.c: the Pub/Sub commands. SUBSCRIBE and friends run on the
 * client's worker (its subscriptions live in that worker's registry);
 * PUBLISH, SPUBLISH and PUBSUB's counting subcommands fan out to the
 * workers and merge what each reports. Reply texts and shapes are
 * redis-server 7.0.15's. See pubsub.h. */
#include "core/pubsub_int.h"

#include "core/cmd.h"
#include "core/server.h"
#include "core/server_cmds.h"
#include "core/shard.h"

#include <stdlib.h>

/* ---- Subscription replies ---- */

/* [type, name or null, count]: a push frame in RESP3, an array in RESP2
 * (Redis's addReplyPubsub(Un)Subscribed). */
static void
reply_event_head(struct reply *r, const char *type)
{
    reply_raw(r, r->resp >= 3 ? ">3\r\n" : "*3\r\n", 4);
    reply_bulk_cstr(r, type);
}

/* The count a reply of this kind shows: channels + patterns, or shard
 * channels alone. */
static long
count_for(const struct client *cl, int kind)
{
    if (kind == PUBSUB_SHARD)
        return ps_client_count(cl, PUBSUB_SHARD);
    return (long)ps_client_count(cl, PUBSUB_CHANNEL) + ps_client_count(cl, PUBSUB_PATTERN);
}

static void
update_context(struct client *cl)
{
    if (count_for(cl, PUBSUB_CHANNEL) + count_for(cl, PUBSUB_SHARD) == 0)
        cl->flags &= ~(uint32_t)CL_PUBSUB;
}

/* SUBSCRIBE / PSUBSCRIBE / SSUBSCRIBE name [name ...]: one confirmation
 * per argument, repeats included (a repeat changes nothing). */
static void
subscribe_generic(struct cmd_ctx *c, int kind, const char *type)
{
    struct client *cl = c->cl;
    if (cl == NULL) { /* always set for these commands; be safe anyway */
        reply_errorf(c->r, "ERR %s needs a client connection", c->cmd->name);
        return;
    }
    for (int j = 1; j < c->argc; j++) {
        pubsub_sub_add(c->sh, cl, kind, c->argv[j].ptr, c->argv[j].len);
        reply_event_head(c->r, type);
        reply_bulk(c->r, c->argv[j].ptr, c->argv[j].len);
        reply_int(c->r, count_for(cl, kind));
    }
    cl->flags |= CL_PUBSUB;
}

/* UNSUBSCRIBE / PUNSUBSCRIBE / SUNSUBSCRIBE [name ...]. Without names:
 * every subscription of the kind, in subscription order, or one reply
 * with a null name when there is none. */
static void
unsubscribe_generic(struct cmd_ctx *c, int kind, const char *type)
{
    struct client *cl = c->cl;
    if (cl == NULL) {
        reply_errorf(c->r, "ERR %s needs a client connection", c->cmd->name);
        return;
    }
    if (c->argc == 1) {
        struct pubsub_client *pc = cl->pubsub;
        if (pc == NULL || pc->head[kind] == NULL) {
            reply_event_head(c->r, type);
            reply_null(c->r);
            reply_int(c->r, count_for(cl, kind));
        }
        while (pc && pc->head[kind]) {
            const struct ps_chan *ch = pc->head[kind]->chan;
            /* The name goes out before the channel may be freed. */
            reply_event_head(c->r, type);
            reply_bulk(c->r, ch->name, ch->len);
            pubsub_sub_del(c->sh, cl, kind, ch->name, ch->len);
            reply_int(c->r, count_for(cl, kind));
        }
    } else {
        for (int j = 1; j < c->argc; j++) {
            pubsub_sub_del(c->sh, cl, kind, c->argv[j].ptr, c->argv[j].len);
            reply_event_head(c->r, type);
            reply_bulk(c->r, c->argv[j].ptr, c->argv[j].len);
            reply_int(c->r, count_for(cl, kind));
        }
    }
    update_context(cl);
}

static void
cmd_subscribe(struct cmd_ctx *c)
{
    subscribe_generic(c, PUBSUB_CHANNEL, "subscribe");
}

static void
cmd_psubscribe(struct cmd_ctx *c)
{
    subscribe_generic(c, PUBSUB_PATTERN, "psubscribe");
}

static void
cmd_ssubscribe(struct cmd_ctx *c)
{
    subscribe_generic(c, PUBSUB_SHARD, "ssubscribe");
}

static void
cmd_unsubscribe(struct cmd_ctx *c)
{
    unsubscribe_generic(c, PUBSUB_CHANNEL, "unsubscribe");
}

static void
cmd_punsubscribe(struct cmd_ctx *c)
{
    unsubscribe_generic(c, PUBSUB_PATTERN, "punsubscribe");
}

static void
cmd_sunsubscribe(struct cmd_ctx *c)
{
    unsubscribe_generic(c, PUBSUB_SHARD, "sunsubscribe");
}

/* ---- PUBLISH / SPUBLISH ---- */

/* Hand a published message to the cluster (pubsub.h: after the local
 * delivery). The hook is read once: tests swap it while workers run. */
static void
cluster_hook_call(bool sharded, const char *ch, size_t chlen, const char *msg, size_t msglen)
{
    void (*hook)(bool, const char *, size_t, const char *, size_t) =
        __atomic_load_n(&pubsub_cluster_hook, __ATOMIC_ACQUIRE);
    if (hook)
        hook(sharded, ch, chlen, msg, msglen);
}

/* The message travels to the workers that have subscribers; each writes
 * its receiver count into its own slot of counts[]. */
struct publish_state {
    bool sharded;
    size_t chlen, msglen;
    char *data;    /* channel, then message (in the same allocation) */
    long counts[]; /* per worker */
};

static void
publish_each(struct shard *sh, void *arg, int worker)
{
    struct publish_state *st = arg;
    st->counts[worker] = pubsub_deliver_local(sh, st->sharded, st->data, st->chlen, st->data + st->chlen, st->msglen);
}

/* Every delivery is done: tell the cluster, then reply with the total. */
static void
publish_done(void *arg, struct reply *r, struct client *cl)
{
    struct publish_state *st = arg;
    long total = 0;
    int nw = cmd_nworkers();
    for (int i = 0; i < nw; i++)
        total += st->counts[i];
    cluster_hook_call(st->sharded, st->data, st->chlen, st->data + st->chlen, st->msglen);
    reply_int(r, total);
}

static void
free_state(void *arg)
{
    ts_free(arg);
}

static void
publish_generic(struct cmd_ctx *c, bool sharded)
{
    struct sv ch = c->argv[1], msg = c->argv[2];
    uint64_t mask[CMD_FANOUT_MASK_WORDS] = { 0 };
    if (pubsub_workers_with_subs(sharded, mask) == 0) {
        /* Nobody listens on this node: no fan-out at all. */
        cluster_hook_call(sharded, ch.ptr, ch.len, msg.ptr, msg.len);
        reply_int(c->r, 0);
        return;
    }
    int nw = cmd_nworkers();
    struct publish_state *st = ts_calloc(1, sizeof(*st) + sizeof(long) * (size_t)nw + ch.len + msg.len);
    st->sharded = sharded;
    st->chlen = ch.len;
    st->msglen = msg.len;
    st->data = (char *)&st->counts[nw];
    memcpy(st->data, ch.ptr, ch.len);
    memcpy(st->data + ch.len, msg.ptr, msg.len);
    cmd_fanout_some(c, st, mask, publish_each, publish_done, free_state);
}

static void
cmd_publish(struct cmd_ctx *c)
{
    publish_generic(c, false);
}

static void
cmd_spublish(struct cmd_ctx *c)
{
    publish_generic(c, true);
}

/* ---- PUBSUB CHANNELS / SHARDCHANNELS / NUMPAT ----
 *
 * Each worker lists its names (of one kind, matching an optional pattern)
 * into its own buffer as (u32 length, bytes) records; the client's worker
 * sorts the union and drops duplicates, since a name may have subscribers
 * on several workers. */
struct names_state {
    int kind;
    bool count_only;    /* NUMPAT */
    size_t patlen;
    char *pat;          /* NULL: every name */
    struct ts_buf *per; /* per worker */
};

struct names_walk {
    const struct names_state *st;
    struct ts_buf *out;
};

static void
names_visit(const struct ps_chan *ch, void *arg)
{
    struct names_walk *nw = arg;
    if (nw->st->pat && !ts_glob_match(nw->st->pat, nw->st->patlen, ch->name, ch->len, false))
        return;
    uint32_t len = (uint32_t)ch->len;
    ts_buf_append(nw->out, &len, sizeof(len));
    ts_buf_append(nw->out, ch->name, ch->len);
}

static void
names_each(struct shard *sh, void *arg, int worker)
{
    struct names_state *st = arg;
    struct names_walk nw = { st, &st->per[worker] };
    pubsub_foreach(sh, st->kind, names_visit, &nw);
}

static int
sv_cmp(const void *a, const void *b)
{
    const struct sv *x = a, *y = b;
    int c = memcmp(x->ptr, y->ptr, TS_MIN(x->len, y->len));
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static void
names_done(void *arg, struct reply *r, struct client *cl)
{
    struct names_state *st = arg;
    int nw = cmd_nworkers();
    size_t n = 0, cap = 0;
    struct sv *v = NULL;
    for (int w = 0; w < nw; w++) {
        const struct ts_buf *b = &st->per[w];
        for (size_t off = 0; off + sizeof(uint32_t) <= b->len;) {
            uint32_t len;
            memcpy(&len, b->data + off, sizeof(len));
            off += sizeof(len);
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                v = ts_realloc(v, cap * sizeof(*v));
            }
            v[n++] = (struct sv){ b->data + off, len };
            off += len;
        }
    }
    size_t u = 0;
    if (n) {
        qsort(v, n, sizeof(*v), sv_cmp);
        for (size_t i = 0; i < n; i++)
            if (u == 0 || !sv_eq(v[u - 1], v[i]))
                v[u++] = v[i];
    }
    if (st->count_only) {
        reply_int(r, (long long)u);
    } else {
        reply_array(r, (long)u);
        for (size_t i = 0; i < u; i++)
            reply_bulk(r, v[i].ptr, v[i].len);
    }
    ts_free(v);
}

static void
names_free(void *arg)
{
    struct names_state *st = arg;
    int nw = cmd_nworkers();
    for (int w = 0; w < nw; w++)
        ts_buf_free(&st->per[w]);
    ts_free(st->per);
    ts_free(st->pat);
    ts_free(st);
}

static void
names_start(struct cmd_ctx *c, int kind, bool count_only, const struct sv *pat)
{
    struct names_state *st = ts_calloc(1, sizeof(*st));
    st->kind = kind;
    st->count_only = count_only;
    if (pat) {
        st->pat = ts_malloc(pat->len + 1);
        memcpy(st->pat, pat->ptr, pat->len);
        st->patlen = pat->len;
    }
    st->per = ts_calloc((size_t)cmd_nworkers(), sizeof(struct ts_buf));
    cmd_fanout(c, st, names_each, names_done, names_free);
}

/* Redis's addReplySubcommandSyntaxError. */
static void
reply_sub_syntax(struct cmd_ctx *c)
{
    reply_errorf(c->r, "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try PUBSUB HELP.",
                 (int)TS_MIN(c->argv[1].len, (size_t)128), c->argv[1].ptr);
}

static void
channels_generic(struct cmd_ctx *c, int kind)
{
    if (c->argc > 3) {
        reply_sub_syntax(c);
        return;
    }
    names_start(c, kind, false, c->argc == 3 ? &c->argv[2] : NULL);
}

static void
pubsub_channels(struct cmd_ctx *c)
{
    channels_generic(c, PUBSUB_CHANNEL);
}

static void
pubsub_shardchannels(struct cmd_ctx *c)
{
    channels_generic(c, PUBSUB_SHARD);
}

/* NUMPAT: distinct patterns on the node (Redis 7.0 counts patterns, not
 * pattern subscriptions). */
static void
pubsub_numpat(struct cmd_ctx *c)
{
    names_start(c, PUBSUB_PATTERN, true, NULL);
}

/* ---- PUBSUB NUMSUB / SHARDNUMSUB ---- */

struct numsub_state {
    int kind;
    int nargs;
    struct sv *args;  /* copies, in the same allocation */
    long *counts;     /* [worker * nargs + i] */
};

static void
numsub_each(struct shard *sh, void *arg, int worker)
{
    struct numsub_state *st = arg;
    for (int i = 0; i < st->nargs; i++) {
        const struct ps_chan *ch = pubsub_lookup(sh, st->kind, st->args[i].ptr, st->args[i].len);
        st->counts[worker * st->nargs + i] = ch ? (long)ch->nsubs : 0;
    }
}

static void
numsub_done(void *arg, struct reply *r, struct client *cl)
{
    struct numsub_state *st = arg;
    int nw = cmd_nworkers();
    reply_array(r, (long)st->nargs * 2);
    for (int i = 0; i < st->nargs; i++) {
        long sum = 0;
        for (int w = 0; w < nw; w++)
            sum += st->counts[w * st->nargs + i];
        reply_bulk(r, st->args[i].ptr, st->args[i].len);
        reply_int(r, sum);
    }
}

static void
numsub_generic(struct cmd_ctx *c, int kind)
{
    int nargs = c->argc - 2;
    if (nargs == 0) {
        reply_array(c->r, 0);
        return;
    }
    int nw = cmd_nworkers();
    size_t bytes = 0;
    for (int i = 0; i < nargs; i++)
        bytes += c->argv[2 + i].len;
    struct numsub_state *st = ts_calloc(1, sizeof(*st) + sizeof(struct sv) * (size_t)nargs +
                                              sizeof(long) * (size_t)nargs * (size_t)nw + bytes);
    st->kind = kind;
    st->nargs = nargs;
    st->args = (struct sv *)(st + 1);
    st->counts = (long *)(st->args + nargs);
    char *p = (char *)(st->counts + (size_t)nargs * (size_t)nw);
    for (int i = 0; i < nargs; i++) {
        struct sv a = c->argv[2 + i];
        if (a.len)
            memcpy(p, a.ptr, a.len);
        st->args[i] = (struct sv){ p, a.len };
        p += a.len;
    }
    cmd_fanout(c, st, numsub_each, numsub_done, free_state);
}

static void
pubsub_numsub(struct cmd_ctx *c)
{
    numsub_generic(c, PUBSUB_CHANNEL);
}

static void
pubsub_shardnumsub(struct cmd_ctx *c)
{
    numsub_generic(c, PUBSUB_SHARD);
}

/* ---- PUBSUB HELP ---- */

static const char *const pubsub_help_lines[] = {
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    NULL,
};

static void
pubsub_help(struct cmd_ctx *c)
{
    server_reply_help(c->r, "PUBSUB", pubsub_help_lines);
}

/* ---- Tables ---- */

/* Flags as Redis 7.0.15 shows them in COMMAND INFO; CMD_SUBSCRIBED_OK
 * marks what a RESP2 subscribed client may still send. */
#define PS_SUB_FLAGS (CMD_PUBSUB | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_SUBSCRIBED_OK)
#define PS_PUB_FLAGS (CMD_PUBSUB | CMD_LOADING | CMD_STALE | CMD_FAST)
#define PS_INFO_FLAGS (CMD_PUBSUB | CMD_LOADING | CMD_STALE)

#define PS_SUBCMD(n, a, p, s, sum)                                                                     \
    { .name = n, .arity = a, .flags = PS_INFO_FLAGS, .proc = p, .acl = "pubsub slow", .group = "pubsub", \
      .since = s, .summary = sum }

static const struct cmd_def pubsub_subs[] = {
    PS_SUBCMD("channels", -2, pubsub_channels, "2.8.0", "List active channels"),
    PS_SUBCMD("numpat", 2, pubsub_numpat, "2.8.0", "Get the count of unique patterns pattern subscriptions"),
    PS_SUBCMD("numsub", -2, pubsub_numsub, "2.8.0", "Get the count of subscribers for channels"),
    PS_SUBCMD("shardchannels", -2, pubsub_shardchannels, "7.0.0", "List active shard channels"),
    PS_SUBCMD("shardnumsub", -2, pubsub_shardnumsub, "7.0.0", "Get the count of subscribers for shard channels"),
    { .name = "help", .arity = 2, .flags = CMD_LOADING | CMD_STALE, .proc = pubsub_help, .acl = "slow",
      .group = "pubsub", .since = "6.2.0", .summary = "Show helpful text about the different subcommands" },
    { .name = NULL },
};

static const struct cmd_def pubsub_cmds[] = {
    { .name = "subscribe", .arity = -2, .flags = PS_SUB_FLAGS, .proc = cmd_subscribe, .acl = "pubsub slow",
      .group = "pubsub", .since = "2.0.0", .summary = "Listen for messages published to the given channels" },
    { .name = "unsubscribe", .arity = -1, .flags = PS_SUB_FLAGS, .proc = cmd_unsubscribe, .acl = "pubsub slow",
      .group = "pubsub", .since = "2.0.0", .summary = "Stop listening for messages posted to the given channels" },
    { .name = "psubscribe", .arity = -2, .flags = PS_SUB_FLAGS, .proc = cmd_psubscribe, .acl = "pubsub slow",
      .group = "pubsub", .since = "2.0.0",
      .summary = "Listen for messages published to channels matching the given patterns" },
    { .name = "punsubscribe", .arity = -1, .flags = PS_SUB_FLAGS, .proc = cmd_punsubscribe,
      .acl = "pubsub slow", .group = "pubsub", .since = "2.0.0",
      .summary = "Stop listening for messages posted to channels matching the given patterns" },
    { .name = "publish", .arity = 3, .flags = PS_PUB_FLAGS, .proc = cmd_publish, .acl = "pubsub fast",
      .group = "pubsub", .since = "2.0.0", .summary = "Post a message to a channel" },
    /* The shard commands name their channels as keys (flag NOT_KEY), so
     * cluster mode redirects them by slot and rejects CROSSSLOT; they still
     * run on the client's worker. */
    { .name = "ssubscribe", .arity = -2, .flags = PS_SUB_FLAGS, .route = ROUTE_LOCAL_KEYS, .first_key = 1,
      .last_key = -1, .key_step = 1, .proc = cmd_ssubscribe, .acl = "pubsub slow", .group = "pubsub",
      .since = "7.0.0", .summary = "Listen for messages published to the given shard channels",
      .ks_flags = "NOT_KEY" },
    { .name = "sunsubscribe", .arity = -1, .flags = PS_SUB_FLAGS, .route = ROUTE_LOCAL_KEYS, .first_key = 1,
      .last_key = -1, .key_step = 1, .proc = cmd_sunsubscribe, .acl = "pubsub slow", .group = "pubsub",
      .since = "7.0.0", .summary = "Stop listening for messages posted to the given shard channels",
      .ks_flags = "NOT_KEY" },
    { .name = "spublish", .arity = 3, .flags = PS_PUB_FLAGS, .route = ROUTE_LOCAL_KEYS, .first_key = 1,
      .last_key = 1, .key_step = 1, .proc = cmd_spublish, .acl = "pubsub fast", .group = "pubsub",
      .since = "7.0.0", .summary = "Post a message to a shard channel", .ks_flags = "NOT_KEY" },
    { .name = "pubsub", .arity = -2, .flags = CMD_CONTAINER, .proc = server_container_proc,
      .subcommands = pubsub_subs, .acl = "slow", .group = "pubsub", .since = "2.8.0",
      .summary = "A container for Pub/Sub commands" },
    { .name = NULL },
};

void
pubsub_register(void)
{
    cmd_register_table(pubsub_cmds);
}
