/* monitor.c: MONITOR and the feed of executed commands to monitor clients.
 *
 * The set of monitor clients changes rarely (a MONITOR command, a monitor
 * disconnecting) and is read on every command while any exists, so it is an
 * immutable array published through an atomic pointer:
 *
 *   readers (monitor_feed, any worker): load g_monitors (acquire), iterate
 *   writers (MONITOR, monitor_client_closed): under monitor_lock, copy the
 *     array with the change, publish it (release), retire the old one
 *
 * A retired array is freed only after MONITOR_GRACE_MS, far longer than a
 * reader holds it (one monitor_feed call), and only by a later writer, so
 * readers never take the lock. Delivery goes through g_rt.client_send, which
 * copies the bytes and hands them to the monitor's own worker. */
#include "core/server_cmds.h"

#include "core/server.h"
#include "core/shard.h"

#include <pthread.h>
#include <stdio.h>

#define MONITOR_GRACE_MS 10000

struct monitor_target {
    int worker;
    uint64_t id;
};

struct monitor_set {
    int n;
    struct monitor_target t[];
};

struct monitor_retired {
    struct monitor_set *set;
    int64_t when_ms;
    struct monitor_retired *next;
};

static struct monitor_set *g_monitors; /* atomic; NULL = none */
static pthread_mutex_t monitor_lock = PTHREAD_MUTEX_INITIALIZER;
static struct monitor_retired *monitor_retired_list; /* under monitor_lock */

/* ---- Formatting ---- */

void
monitor_repr(struct ts_buf *out, const char *p, size_t n)
{
    ts_buf_putc(out, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];
        switch (ch) {
        case '\\':
        case '"':
            ts_buf_putc(out, '\\');
            ts_buf_putc(out, (char)ch);
            break;
        case '\n': ts_buf_append(out, "\\n", 2); break;
        case '\r': ts_buf_append(out, "\\r", 2); break;
        case '\t': ts_buf_append(out, "\\t", 2); break;
        case '\a': ts_buf_append(out, "\\a", 2); break;
        case '\b': ts_buf_append(out, "\\b", 2); break;
        default:
            if (ch >= 0x20 && ch < 0x7f) {
                ts_buf_putc(out, (char)ch);
            } else {
                char hex[5];
                snprintf(hex, sizeof(hex), "\\x%02x", ch);
                ts_buf_append(out, hex, 4);
            }
        }
    }
    ts_buf_putc(out, '"');
}

/* Which arguments Redis hides from MONITOR: every argument of AUTH, and the
 * user and password after HELLO's AUTH. */
static bool
monitor_redacted(int argc, const struct sv *argv, int i)
{
    if (i == 0)
        return false;
    if (sv_eq_ci(argv[0], "auth"))
        return true;
    if (sv_eq_ci(argv[0], "hello")) {
        for (int j = 2; j + 2 < argc && j < i; j++)
            if (sv_eq_ci(argv[j], "auth") && (i == j + 1 || i == j + 2))
                return true;
    }
    return false;
}

void
monitor_format(struct ts_buf *out, int64_t now_us, int db, const char *addr, int argc, const struct sv *argv)
{
    char head[160];
    int n = snprintf(head, sizeof(head), "+%lld.%06lld [%d %s]", (long long)(now_us / 1000000),
                     (long long)(now_us % 1000000), db, addr ? addr : "");
    ts_buf_append(out, head, (size_t)TS_MIN(n, (int)sizeof(head) - 1));
    for (int i = 0; i < argc; i++) {
        ts_buf_putc(out, ' ');
        if (monitor_redacted(argc, argv, i))
            ts_buf_append(out, "\"(redacted)\"", 12);
        else
            monitor_repr(out, argv[i].ptr, argv[i].len);
    }
    ts_buf_append(out, "\r\n", 2);
}

/* ---- Feed ---- */

void
monitor_feed(struct shard *sh, const struct client *cl, int argc, const struct sv *argv)
{
    const struct monitor_set *set = __atomic_load_n(&g_monitors, __ATOMIC_ACQUIRE);
    if (set == NULL || set->n == 0)
        return;
    struct ts_buf line = { 0 };
    monitor_format(&line, ts_ustime(), cl ? cl->db : 0, cl ? cl->addr : "", argc, argv);
    for (int i = 0; i < set->n; i++) {
        /* A monitor does not see its own commands after MONITOR. */
        if (cl && set->t[i].id == cl->id)
            continue;
        g_rt.client_send(set->t[i].worker, set->t[i].id, line.data, line.len);
    }
    ts_buf_free(&line);
}

/* ---- Registration (copy-on-write) ---- */

/* Publish next in place of the current set and retire the old one. Called
 * with monitor_lock held. */
static void
monitor_publish_locked(struct monitor_set *next)
{
    int64_t now = ts_mstime();
    struct monitor_set *old = __atomic_exchange_n(&g_monitors, next, __ATOMIC_ACQ_REL);
    __atomic_store_n(&g_monitor_count, next ? next->n : 0, __ATOMIC_RELAXED);
    if (old) {
        struct monitor_retired *r = ts_malloc(sizeof(*r));
        r->set = old;
        r->when_ms = now;
        r->next = monitor_retired_list;
        monitor_retired_list = r;
    }
    for (struct monitor_retired **pp = &monitor_retired_list; *pp;) {
        struct monitor_retired *r = *pp;
        if (now - r->when_ms > MONITOR_GRACE_MS) {
            *pp = r->next;
            ts_free(r->set);
            ts_free(r);
        } else {
            pp = &r->next;
        }
    }
}

static void
monitor_add(int worker, uint64_t id)
{
    pthread_mutex_lock(&monitor_lock);
    const struct monitor_set *cur = g_monitors;
    int n = cur ? cur->n : 0;
    struct monitor_set *next = ts_malloc(sizeof(*next) + (size_t)(n + 1) * sizeof(next->t[0]));
    next->n = 0;
    for (int i = 0; i < n; i++)
        if (cur->t[i].id != id)
            next->t[next->n++] = cur->t[i];
    next->t[next->n++] = (struct monitor_target){ worker, id };
    monitor_publish_locked(next);
    pthread_mutex_unlock(&monitor_lock);
}

void
monitor_client_closed(struct client *cl)
{
    pthread_mutex_lock(&monitor_lock);
    const struct monitor_set *cur = g_monitors;
    bool found = false;
    for (int i = 0; cur && i < cur->n && !found; i++)
        found = cur->t[i].id == cl->id;
    if (found) {
        struct monitor_set *next = NULL;
        if (cur->n > 1) {
            next = ts_malloc(sizeof(*next) + (size_t)cur->n * sizeof(next->t[0]));
            next->n = 0;
            for (int i = 0; i < cur->n; i++)
                if (cur->t[i].id != cl->id)
                    next->t[next->n++] = cur->t[i];
        }
        monitor_publish_locked(next);
    }
    pthread_mutex_unlock(&monitor_lock);
    cl->flags &= ~(uint32_t)CL_MONITOR;
}

/* MONITOR: from now on this connection receives every executed command.
 * A second MONITOR on the same connection is a no-op +OK, as in Redis. */
static void
cmd_monitor(struct cmd_ctx *c)
{
    struct client *cl = c->cl;
    if (cl == NULL) {
        reply_error(c->r, "ERR MONITOR needs a client connection");
        return;
    }
    if (!(cl->flags & CL_MONITOR)) {
        cl->flags |= CL_MONITOR;
        monitor_add(cl->worker, cl->id);
    }
    reply_ok(c->r);
}

static const struct cmd_def monitor_cmds[] = {
    { .name = "monitor", .arity = 1, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
      .proc = cmd_monitor, .acl = "admin slow dangerous", .group = "server", .since = "1.0.0",
      .summary = "Listen for all requests received by the server in real time" },
    { .name = NULL },
};

void
monitor_register(void)
{
    cmd_register_table(monitor_cmds);
}
