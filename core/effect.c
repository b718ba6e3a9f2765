/* effect.c: the write-effect point (effect.h) and its first consumer,
 * keyspace notifications.
 *
 * A notification is published on this node only (never over the cluster
 * bus, as Redis), from the worker that ran the change: its own
 * subscribers get it at once, other workers' through the rings, after
 * everything this worker sent them before (pubsub_deliver_node). */
#include "core/effect.h"

#include "core/multi.h"
#include "core/pubsub.h"
#include "core/reply.h"
#include "core/shard.h"

#include <stdio.h>

int fx_notify_flags; /* atomic: enum fx_class bits, K/E included (effect.h) */

/* ---- notify-keyspace-events ---- */

static const struct {
    char c;
    int flag;
} fx_letters[] = {{'g', FX_GENERIC}, {'$', FX_STRING}, {'l', FX_LIST},    {'s', FX_SET},
                  {'h', FX_HASH},    {'z', FX_ZSET},   {'x', FX_EXPIRED}, {'e', FX_EVICTED},
                  {'t', FX_STREAM},  {'d', FX_MODULE}, {'n', FX_NEW},     {'K', FX_KEYSPACE},
                  {'E', FX_KEYEVENT}, {'m', FX_KEY_MISS}};

int
fx_classes_parse(const char *s)
{
    int flags = 0;
    for (; *s; s++) {
        if (*s == 'A') {
            flags |= FX_ALL;
            continue;
        }
        size_t i = 0;
        while (i < ARRAY_SIZE(fx_letters) && fx_letters[i].c != *s)
            i++;
        if (i == ARRAY_SIZE(fx_letters))
            return -1;
        flags |= fx_letters[i].flag;
    }
    return flags;
}

/* Redis's order: "A" or the class letters (n only without A), then K, E, m. */
void
fx_classes_format(int flags, char out[32])
{
    size_t n = 0;
    if ((flags & FX_ALL) == FX_ALL) {
        out[n++] = 'A';
    } else {
        for (size_t i = 0; i < ARRAY_SIZE(fx_letters); i++)
            if (fx_letters[i].flag & (FX_ALL | FX_NEW) & flags)
                out[n++] = fx_letters[i].c;
    }
    if (flags & FX_KEYSPACE)
        out[n++] = 'K';
    if (flags & FX_KEYEVENT)
        out[n++] = 'E';
    if (flags & FX_KEY_MISS)
        out[n++] = 'm';
    out[n] = '\0';
}

void
fx_set_notify(int flags)
{
    __atomic_store_n(&fx_notify_flags, flags < 0 ? 0 : flags, __ATOMIC_RELAXED);
}

int
fx_get_notify(void)
{
    return __atomic_load_n(&fx_notify_flags, __ATOMIC_RELAXED);
}

/* "__keyspace@0__:<key>" with the event as message, then
 * "__keyevent@0__:<event>" with the key, as notifyKeyspaceEvent does (only
 * database 0 exists). */
static void
fx_notify(struct shard *sh, int flags, const char *event, struct sv key)
{
    static const char ks_prefix[] = "__keyspace@0__:", ke_prefix[] = "__keyevent@0__:";
    size_t elen = strlen(event);
    char stack[256];
    if (flags & FX_KEYSPACE) {
        size_t n = sizeof(ks_prefix) - 1 + key.len;
        char *ch = n <= sizeof(stack) ? stack : ts_malloc(n);
        memcpy(ch, ks_prefix, sizeof(ks_prefix) - 1);
        memcpy(ch + sizeof(ks_prefix) - 1, key.ptr, key.len);
        pubsub_deliver_node(sh, ch, n, event, elen);
        if (ch != stack)
            ts_free(ch);
    }
    if (flags & FX_KEYEVENT) {
        size_t n = sizeof(ke_prefix) - 1 + elen;
        char *ch = n <= sizeof(stack) ? stack : ts_malloc(n);
        memcpy(ch, ke_prefix, sizeof(ke_prefix) - 1);
        memcpy(ch + sizeof(ke_prefix) - 1, event, elen);
        pubsub_deliver_node(sh, ch, n, key.ptr, key.len);
        if (ch != stack)
            ts_free(ch);
    }
}

/* ---- The effect point ---- */

void
fx_key(struct shard *sh, int cls, const char *event, struct sv key)
{
    sh->fx.cmd_writes++;
    if (unlikely(sh->watch != NULL))
        watch_touch(sh, key);
    int flags = __atomic_load_n(&fx_notify_flags, __ATOMIC_RELAXED);
    if (unlikely(flags & cls) && event && (flags & (FX_KEYSPACE | FX_KEYEVENT)))
        fx_notify(sh, flags, event, key);
}

/* ---- The stream (replication's input) ---- */

void (*fx_turn_hook)(struct shard *sh);
int fx_stream_active;
int64_t g_fx_applied;
int64_t g_fx_master_io_ms;
int g_fx_link_up;

static void
stream_put_bulk(struct ts_buf *b, const char *p, size_t n)
{
    char *d = ts_buf_reserve(b, n + REPLY_HEADER_MAX + 2);
    size_t h = reply_header(d, '$', (long long)n);
    memcpy(d + h, p, n);
    d[h + n] = '\r';
    d[h + n + 1] = '\n';
    b->len += h + n + 2;
}

static inline void
stream_count(struct fx_state *fx, size_t n)
{
    __atomic_store_n(&fx->appended, fx->appended + n, __ATOMIC_RELAXED);
}

/* A second command with effects in a transaction part: the first one
 * becomes MULTI's, if it is still in the buffer (not yet handed over). */
static void
stream_tx_note(struct fx_state *fx)
{
    if (fx->tx_depth == 0)
        return;
    if (fx->tx_writes++ == 0) {
        fx->tx_mark = fx->stream.len;
        fx->tx_flushes = fx->flushes;
        return;
    }
    if (fx->tx_writes == 2 && fx->tx_flushes == fx->flushes) {
        static const char multi[] = "*1\r\n$5\r\nMULTI\r\n";
        size_t n = sizeof(multi) - 1;
        ts_buf_reserve(&fx->stream, n);
        memmove(fx->stream.data + fx->tx_mark + n, fx->stream.data + fx->tx_mark, fx->stream.len - fx->tx_mark);
        memcpy(fx->stream.data + fx->tx_mark, multi, n);
        fx->stream.len += n;
        for (uint32_t i = 0; i < fx->nmarks; i++) /* marks put after the first write move with it */
            if (fx->marks[i].pos > fx->tx_mark)
                fx->marks[i].pos += n;
        fx->tx_wrapped = true;
    }
}

void
fx_stream_command(struct shard *sh, int argc, const struct sv *argv)
{
    struct ts_buf *b = &sh->fx.stream;
    size_t before = b->len;
    stream_tx_note(&sh->fx);
    sh->fx.ncmds++;
    char *d = ts_buf_reserve(b, REPLY_HEADER_MAX);
    b->len += reply_header(d, '*', argc);
    for (int i = 0; i < argc; i++)
        stream_put_bulk(b, argv[i].ptr, argv[i].len);
    stream_count(&sh->fx, b->len - before);
}

void
fx_stream_raw(struct shard *sh, const void *p, size_t n)
{
    if (sh->fx.stream_on) {
        ts_buf_append(&sh->fx.stream, p, n);
        stream_count(&sh->fx, n);
    }
}

void
fx_master_applied(struct shard *sh, const char *p, size_t n)
{
    fx_stream_raw(sh, p, n);
    __atomic_add_fetch(&g_fx_applied, (int64_t)n, __ATOMIC_RELEASE);
    __atomic_store_n(&g_fx_master_io_ms, sh->now_ms, __ATOMIC_RELAXED);
}

void (*fx_unit_hook)(struct fx_unit *u);

void
fx_mark_put(struct shard *sh, int kind, uint64_t id)
{
    struct fx_state *fx = &sh->fx;
    if (fx->nmarks == fx->capmarks) {
        fx->capmarks = fx->capmarks ? fx->capmarks * 2 : 8;
        fx->marks = ts_realloc(fx->marks, sizeof(*fx->marks) * fx->capmarks);
    }
    fx->marks[fx->nmarks++] = (struct fx_mark){.pos = fx->stream.len, .id = id, .kind = kind};
    fx->turn_hook = true; /* handed over at the end of this turn, bytes or not */
}

void
fx_capture_begin(struct shard *sh, struct ts_buf *dst, struct fx_capture *c)
{
    struct fx_state *fx = &sh->fx;
    c->saved = fx->stream;
    c->appended = fx->appended;
    c->ncmds = fx->ncmds;
    /* an open MULTI wrap (fx_tx_begin) points into the real stream */
    c->tx_depth = fx->tx_depth;
    fx->tx_depth = 0;
    fx->stream = *dst;
}

uint64_t
fx_capture_end(struct shard *sh, struct ts_buf *dst, struct fx_capture *c)
{
    struct fx_state *fx = &sh->fx;
    *dst = fx->stream;
    fx->stream = c->saved;
    fx->tx_depth = c->tx_depth;
    /* the captured bytes reach the stream as a unit, not as this worker's */
    __atomic_store_n(&fx->appended, c->appended, __ATOMIC_RELAXED);
    return fx->ncmds - c->ncmds;
}

void
fx_tx_begin(struct shard *sh)
{
    if (sh->fx.tx_depth++ == 0) {
        sh->fx.tx_writes = 0;
        sh->fx.tx_wrapped = false;
    }
}

void
fx_tx_end(struct shard *sh)
{
    struct fx_state *fx = &sh->fx;
    if (fx->tx_depth == 0 || --fx->tx_depth > 0)
        return;
    /* EXEC only where MULTI went in (the first command was still here) */
    if (fx->tx_wrapped) {
        ts_buf_append(&fx->stream, "*1\r\n$4\r\nEXEC\r\n", 14);
        stream_count(fx, 14);
    }
    fx->tx_writes = 0;
    fx->tx_wrapped = false;
}

void
fx_propagate(struct shard *sh, int argc, const struct sv *argv)
{
    sh->fx.cmd_props++;
    sh->fx.seq++;
    if (sh->fx.stream_on && !sh->fx.replica)
        fx_stream_command(sh, argc, argv);
}

static struct sv
ms_text(int64_t ms, char buf[24])
{
    return (struct sv){buf, (size_t)snprintf(buf, 24, "%lld", (long long)ms)};
}

void
fx_propagate_set_pxat(struct shard *sh, struct sv key, struct sv val, int64_t when_ms)
{
    char buf[24];
    struct sv argv[5] = {{"SET", 3}, key, val, {"PXAT", 4}, {NULL, 0}};
    if (sh->fx.stream_on && !sh->fx.replica)
        argv[4] = ms_text(when_ms, buf);
    fx_propagate(sh, 5, argv);
}

void
fx_propagate_set_keepttl(struct shard *sh, struct sv key, struct sv val)
{
    struct sv argv[4] = {{"SET", 3}, key, val, {"KEEPTTL", 7}};
    fx_propagate(sh, 4, argv);
}

void
fx_propagate_pexpireat(struct shard *sh, struct sv key, int64_t when_ms)
{
    char buf[24];
    struct sv argv[3] = {{"PEXPIREAT", 9}, key, {NULL, 0}};
    if (sh->fx.stream_on && !sh->fx.replica)
        argv[2] = ms_text(when_ms, buf);
    fx_propagate(sh, 3, argv);
}

void
fx_propagate_key(struct shard *sh, const char *name, struct sv key)
{
    struct sv argv[2] = {{name, strlen(name)}, key};
    fx_propagate(sh, 2, argv);
}

/* A key deleted by the server itself (expiry, eviction): its own DEL in
 * the stream, the watchers told (watch is watch_expired or watch_touch),
 * the notification of class cls; the running command is not marked as a
 * write. */
static void
fx_server_deleted(struct shard *sh, struct sv key, int cls, const char *event,
                  void (*watch)(struct shard *, struct sv))
{
    sh->fx.seq++;
    /* On a replica the master decides what expires: its DEL comes in its
     * stream (replicas never delete on their own, see ks lookups). */
    if (sh->fx.stream_on && !sh->fx.replica) {
        struct sv del[2] = {{"DEL", 3}, key};
        fx_stream_command(sh, 2, del);
    }
    if (unlikely(sh->watch != NULL))
        watch(sh, key);
    int flags = __atomic_load_n(&fx_notify_flags, __ATOMIC_RELAXED);
    if (unlikely(flags & cls) && (flags & (FX_KEYSPACE | FX_KEYEVENT)))
        fx_notify(sh, flags, event, key);
}

void
fx_expired(struct shard *sh, struct sv key)
{
    fx_server_deleted(sh, key, FX_EXPIRED, "expired", watch_expired);
}

/* Redis's performEvictions calls signalModifiedKey: WATCH sees a touch. */
void
fx_evicted(struct shard *sh, struct sv key)
{
    fx_server_deleted(sh, key, FX_EVICTED, "evicted", watch_touch);
}

void
fx_keymiss(struct shard *sh, struct sv key)
{
    int flags = __atomic_load_n(&fx_notify_flags, __ATOMIC_RELAXED);
    if ((flags & FX_KEY_MISS) && (flags & (FX_KEYSPACE | FX_KEYEVENT)))
        fx_notify(sh, flags, "keymiss", key);
}

void
fx_new(struct shard *sh, struct sv key)
{
    int flags = __atomic_load_n(&fx_notify_flags, __ATOMIC_RELAXED);
    if ((flags & FX_NEW) && (flags & (FX_KEYSPACE | FX_KEYEVENT)))
        fx_notify(sh, flags, "new", key);
}
