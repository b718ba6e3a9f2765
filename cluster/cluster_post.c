/* cluster_post.c: CLUSTER admin commands executed by the cluster thread.
 *
 * A state-changing CLUSTER subcommand is checked on the worker as far as it
 * can be without the cluster state (syntax, numbers), then posted here with
 * its arguments copied; the worker answers nothing yet (cmd_defer) and goes
 * on serving its other clients. The cluster thread runs the command's
 * "apply" part under cluster_lock in its next loop turn, publishes the new
 * snapshot, writes nodes.conf (fsync outside the lock) and only then sends
 * the reply back, which the runtime releases in the client's request order:
 * a client that sees +OK for ADDSLOTS already routes by the new snapshot,
 * and the change is on disk, as with Redis.
 *
 *   worker w                         cluster thread (bus_main, one turn)
 *   validate -> copy args            lock
 *   cmd_defer -> ring[w] --------->  drain rings: apply(), mc publish
 *   eventfd write                    save_begin ... unlock
 *   (serves other clients)           save_finish (fsync)
 *   reply released in order <------  cmd_deferred_reply() per item
 *
 * One single-producer ring per worker (the worker enqueues, the cluster
 * thread dequeues), bounded: when a worker's ring is full the command is
 * refused with an error instead of blocking the worker or growing a list.
 *
 * When no cluster thread runs (unit tests calling procs directly, start-up)
 * the apply part runs inline under cluster_lock, saving synchronously. */
#include "cluster/bus_int.h"
#include "cluster/cluster_cmds_int.h"

#include "core/keyspace.h"
#include "core/log.h"
#include "core/reply.h"
#include "core/shard.h"

#include <ck_ring.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#define POST_RING_SIZE 1024 /* per worker; a power of two */

struct post_item {
    struct post_item *next;  /* the cluster thread's reply list */
    cl_apply_fn apply;
    struct cmd_deferred *d;
    const struct cmd_def *cmd;
    uint64_t arg;
    bool wants_save_rc;      /* the reply depends on this turn's save (SAVECONFIG) */
    int argc;
    struct sv *argv;         /* points into data */
    struct ts_buf reply;
    char data[];             /* argv array, then the argument bytes */
};

struct post_ring {
    ck_ring_t ring;
    ck_ring_buffer_t *buf;
};

static struct post_ring *post_rings; /* one per worker, while the thread runs */
static int post_nrings;
static int post_ready;               /* atomic: the cluster thread drains the rings */
static __thread struct post_item *post_current; /* the item being applied (cluster thread) */
static struct post_item *post_done_head, **post_done_tail = &post_done_head;

/* Copy argv into one allocation so the item outlives the request buffer. */
static struct post_item *
post_item_create(const struct cmd_def *cmd, int argc, const struct sv *argv, cl_apply_fn apply, uint64_t arg)
{
    size_t bytes = 0;
    for (int i = 0; i < argc; i++)
        bytes += argv[i].len;
    size_t vsz = (size_t)argc * sizeof(struct sv);
    struct post_item *it = ts_calloc(1, sizeof(*it) + vsz + bytes);
    it->apply = apply;
    it->cmd = cmd;
    it->arg = arg;
    it->argc = argc;
    it->argv = (struct sv *)it->data;
    char *p = it->data + vsz;
    for (int i = 0; i < argc; i++) {
        if (argv[i].len)
            memcpy(p, argv[i].ptr, argv[i].len);
        it->argv[i].ptr = p;
        it->argv[i].len = argv[i].len;
        p += argv[i].len;
    }
    return it;
}

static bool
post_running(int worker)
{
    return __atomic_load_n(&post_ready, __ATOMIC_ACQUIRE) && worker >= 0 && worker < post_nrings;
}

/* Queue it (with its deferred handle) on worker's ring and wake the
 * cluster thread; a full ring answers at once with an error. */
static void
post_enqueue(int worker, struct post_item *it)
{
    struct post_ring *pr = &post_rings[worker];
    if (!ck_ring_enqueue_spsc(&pr->ring, pr->buf, it)) {
        static const char full[] =
            "-ERR too many CLUSTER admin commands queued for the cluster thread, try again\r\n";
        cmd_deferred_reply(it->d, full, sizeof(full) - 1, true);
        ts_free(it);
        return;
    }
    int fd = __atomic_load_n(&g_bus_wake_fd, __ATOMIC_ACQUIRE);
    if (fd >= 0) {
        uint64_t one = 1;
        ssize_t n = write(fd, &one, sizeof(one));
        (void)n; /* a saturated counter still wakes the thread */
    }
}

void
cl_post(struct cmd_ctx *c, cl_apply_fn apply, uint64_t arg)
{
    if (!c->sh || c->in_exec || !post_running(c->sh->id)) {
        /* No cluster thread, or inside EXEC, whose replies cannot wait:
         * run here under the lock, as Redis runs it inside the transaction. */
        cluster_lock();
        apply(c, arg);
        cluster_unlock();
        return;
    }
    struct post_item *it = post_item_create(c->cmd, c->argc, c->argv, apply, arg);
    it->d = cmd_defer(c); /* before the enqueue: the thread may answer at once */
    post_enqueue(c->sh->id, it);
}

void
cl_post_done(struct reply *r, int worker, const struct cmd_def *cmd, int argc, const struct sv *argv,
             cl_apply_fn apply, uint64_t arg)
{
    struct cmd_ctx ctx = {.cmd = cmd, .argc = argc, .argv = (struct sv *)argv, .r = r, .slot = -1,
                          .forward_to = -1, .forward_slot = -1};
    if (!post_running(worker)) {
        cluster_lock();
        apply(&ctx, arg);
        cluster_unlock();
        return;
    }
    struct post_item *it = post_item_create(cmd, argc, argv, apply, arg);
    it->d = cmd_defer_done(r);
    post_enqueue(worker, it);
}

/* ---- Counting keys first (SETSLOT, RESET, REPLICATE, FLUSHSLOTS) ---- */

struct count_state {
    uint64_t keys[MAX_WORKERS];
    int slot;                /* -1: every key */
    int worker;              /* the client's */
    cl_apply_fn apply;
    struct post_item *args;  /* the command's arguments, copied */
};

static void
count_each(struct shard *sh, void *state, int worker)
{
    struct count_state *st = state;
    st->keys[worker] = st->slot < 0 ? ks_count(sh->ks) : ks_count_slot(sh->ks, (uint16_t)st->slot);
}

static void
count_done(void *state, struct reply *r, struct client *cl)
{
    (void)cl;
    struct count_state *st = state;
    uint64_t total = 0;
    for (int i = 0; i < MAX_WORKERS; i++)
        total += st->keys[i];
    cl_post_done(r, st->worker, st->args->cmd, st->args->argc, st->args->argv, st->apply, total);
}

static void
count_free(void *state)
{
    struct count_state *st = state;
    ts_free(st->args);
    ts_free(st);
}

void
cl_post_after_count(struct cmd_ctx *c, int slot, cl_apply_fn apply)
{
    struct count_state *st = ts_calloc(1, sizeof(*st));
    st->slot = slot;
    st->worker = c->sh ? c->sh->id : -1;
    st->apply = apply;
    st->args = post_item_create(c->cmd, c->argc, c->argv, NULL, 0);
    cmd_fanout(c, st, count_each, count_done, count_free);
    cmd_fanout_hold(c);
}

void
cl_save_locked(void)
{
    if (post_current)
        g_bus.dirty_save = true; /* written at the end of this turn, before the reply */
    else
        cluster_mc_save();
}

bool
cl_on_cluster_thread(void)
{
    return post_current != NULL;
}

void
cl_want_save_rc(void)
{
    if (post_current)
        post_current->wants_save_rc = true;
}

/* Under cluster_lock on the cluster thread: run every queued item. The
 * apply parts publish their changes at once (cl_commit_locked) and mark
 * nodes.conf dirty; the replies wait in the done list for the save. */
void
bus_post_drain(void)
{
    for (int w = 0; w < post_nrings; w++) {
        struct post_ring *pr = &post_rings[w];
        void *p;
        while (ck_ring_dequeue_spsc(&pr->ring, pr->buf, &p)) {
            struct post_item *it = p;
            struct reply r;
            reply_init(&r, &it->reply, cmd_deferred_resp(it->d));
            struct cmd_ctx ctx = {.cmd = it->cmd, .argc = it->argc, .argv = it->argv, .r = &r,
                                  .now_ms = g_bus.now, .slot = -1, .forward_to = -1, .forward_slot = -1};
            post_current = it;
            it->apply(&ctx, it->arg);
            post_current = NULL;
            *post_done_tail = it;
            post_done_tail = &it->next;
        }
    }
}

/* After this turn's save (rc: its result, 0 when nothing was written):
 * send every reply of the turn, in the order the items were applied. */
void
bus_post_finish(int save_rc)
{
    struct post_item *it = post_done_head;
    post_done_head = NULL;
    post_done_tail = &post_done_head;
    while (it) {
        struct post_item *next = it->next;
        if (it->wants_save_rc) {
            struct reply r;
            it->reply.len = 0;
            reply_init(&r, &it->reply, cmd_deferred_resp(it->d));
            if (save_rc < 0)
                reply_errorf(&r, "ERR error saving the cluster node config: %s", strerror(-save_rc));
            else
                reply_ok(&r);
        }
        cmd_deferred_reply(it->d, it->reply.data, it->reply.len, it->reply.len && it->reply.data[0] == '-');
        ts_buf_free(&it->reply);
        ts_free(it);
        it = next;
    }
}

void
bus_post_start(int nworkers)
{
    if (post_rings) { /* started before (the rings are kept, see bus_post_stop) */
        __atomic_store_n(&post_ready, 1, __ATOMIC_RELEASE);
        return;
    }
    post_nrings = nworkers > 0 ? nworkers : 1;
    post_rings = ts_calloc((size_t)post_nrings, sizeof(*post_rings));
    for (int i = 0; i < post_nrings; i++) {
        post_rings[i].buf = ts_calloc(POST_RING_SIZE, sizeof(ck_ring_buffer_t));
        ck_ring_init(&post_rings[i].ring, POST_RING_SIZE);
    }
    __atomic_store_n(&post_ready, 1, __ATOMIC_RELEASE);
}

/* After the thread stopped: answer what is still queued (shutting down).
 * The rings stay allocated: a worker stuck in a command past the shutdown
 * deadline may still look at them (it then runs its command inline). */
void
bus_post_stop(void)
{
    __atomic_store_n(&post_ready, 0, __ATOMIC_RELEASE);
    static const char err[] = "-ERR the cluster thread is shutting down\r\n";
    for (int w = 0; w < post_nrings; w++) {
        void *p;
        while (ck_ring_dequeue_spsc(&post_rings[w].ring, post_rings[w].buf, &p)) {
            struct post_item *it = p;
            if (it->d)
                cmd_deferred_reply(it->d, err, sizeof(err) - 1, true);
            ts_free(it);
        }
    }
    bus_post_finish(-ESHUTDOWN);
}
