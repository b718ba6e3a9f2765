/* slot_move.c: the slot hand-off protocol between workers (slot_move.h).
 *
 *   submit (any thread) -> job queue (sm_mu) -> activate one move
 *        |
 *        v
 *   src: begin -- waits for cross-worker ops = 0 -- publish table, markers
 *   all: marker -> ack to src
 *   src: last ack -> detach tables -> arrive message to dst
 *   dst: attach, run held requests, finish: resume deferred ops, next move
 *
 * sm_mu guards the job queue, the deferred operations and the stats; it is
 * taken when a move or an operation starts or ends, never by a request. */
#include "core/slot_move.h"

#include "core/keyspace.h"
#include "core/log.h"
#include "core/rcu.h"
#include "core/server.h"
#include "core/shard.h"
#include "core/slotmap.h"
#include "core/snapshot.h"

#include <errno.h>
#include <pthread.h>

struct slot_move *g_slot_move;
struct slot_move_rt g_slot_move_rt;

enum { PH_QUEUED = 0, PH_WAIT_OPS, PH_WAIT_ACKS, PH_SHIPPED };

/* A request to move a set of slots to one worker; done in one or more
 * moves (one per source worker). */
struct slot_move_job {
    struct slot_move_job *next;
    uint64_t remaining[CLUSTER_SLOTS / 64]; /* slots not yet in a move */
    int dst;
    slot_move_done_fn done;
    void *arg;
    uint64_t keys;
    uint64_t usec;
};

/* A cross-worker operation waiting for the move to end. */
struct sm_deferred {
    struct sm_deferred *next;
    int worker;
    void (*resume)(void *arg, int worker);
    void *arg;
};

static pthread_mutex_t sm_mu = PTHREAD_MUTEX_INITIALIZER;
static struct slot_move_job *jobs_head, *jobs_tail;
static struct sm_deferred *deferred_head, *deferred_tail;
static struct slot_move_stats sm_stats;
static int sm_ops;      /* atomic: cross-worker operations in flight */
static int sm_running;  /* atomic: workers run, messages flow */

static void sm_begin(void *arg, int worker);

static inline void
bit_set(uint64_t *b, int s)
{
    b[s / 64] |= 1ull << (s % 64);
}

static inline void
bit_clear(uint64_t *b, int s)
{
    b[s / 64] &= ~(1ull << (s % 64));
}

static inline bool
bit_get(const uint64_t *b, int s)
{
    return (b[s / 64] >> (s % 64)) & 1;
}

/* ---- The gate ---- */

/* See slot_move.h. The table is loaded first (acquire), then the move:
 * a worker that sees the new table therefore also sees the move that
 * published it (it was set before), so dst never mistakes "table says me"
 * for "I hold the keys" while they are in transit. */
int
slot_move_where(int worker, uint16_t slot)
{
    int owner = slotmap_worker(slot);
    const struct slot_move *m = __atomic_load_n(&g_slot_move, __ATOMIC_ACQUIRE);
    if (likely(m == NULL) || !slot_move_in_batch(m, slot))
        return owner == worker ? SLOT_MOVE_RUN : owner;
    if (worker == m->src)
        return m->detached ? m->dst : SLOT_MOVE_RUN;
    if (worker == m->dst) {
        if (m->arrived)
            return SLOT_MOVE_RUN;
        return owner == worker ? SLOT_MOVE_HOLD : owner;
    }
    return owner == worker ? SLOT_MOVE_RUN : owner;
}

/* ---- Activation ---- */

/* Start the next move if none is in flight: the head job's slots that are
 * not on its target yet, those of one source worker. A job with nothing
 * left to move is finished (done is called without the lock). */
static void
sm_kick(void)
{
    for (;;) {
        pthread_mutex_lock(&sm_mu);
        if (__atomic_load_n(&g_slot_move, __ATOMIC_SEQ_CST) != NULL || jobs_head == NULL) {
            pthread_mutex_unlock(&sm_mu);
            return;
        }
        struct slot_move_job *job = jobs_head;
        int src = -1;
        for (int s = 0; s < CLUSTER_SLOTS; s++) {
            if (!bit_get(job->remaining, s))
                continue;
            int o = slotmap_worker((uint16_t)s);
            if (o == job->dst)
                bit_clear(job->remaining, s);
            else if (src < 0)
                src = o;
        }
        if (src < 0) {
            jobs_head = job->next;
            if (!jobs_head)
                jobs_tail = NULL;
            pthread_mutex_unlock(&sm_mu);
            if (job->done)
                job->done(job->arg, job->keys, job->usec);
            ts_free(job);
            continue;
        }
        struct slot_move *m = ts_calloc(1, sizeof(*m));
        m->src = src;
        m->dst = job->dst;
        m->job = job;
        for (int s = 0; s < CLUSTER_SLOTS; s++) {
            if (bit_get(job->remaining, s) && slotmap_worker((uint16_t)s) == src) {
                bit_set(m->batch, s);
                bit_clear(job->remaining, s);
                m->nslots++;
            }
        }
        __atomic_store_n(&g_slot_move, m, __ATOMIC_SEQ_CST);
        pthread_mutex_unlock(&sm_mu);
        if (g_rt.post(src, sm_begin, m) < 0) /* shutting down: the move never starts */
            log_verbose("Slot move to worker %d not started: shutting down", m->dst);
        return;
    }
}

/* Before the workers run nothing routes requests: move tables directly. */
static void
sm_apply_now(const uint64_t *slots, int dst, slot_move_done_fn done, void *arg)
{
    uint64_t keys = 0;
    uint64_t t0 = ts_monotonic_us();
    struct shard *d = g_shards[dst];
    for (int s = 0; s < CLUSTER_SLOTS; s++) {
        if (!bit_get(slots, s))
            continue;
        struct shard *o = g_shards[slotmap_worker((uint16_t)s)];
        if (o && d && o != d && o->ks && d->ks) {
            struct ks_slot *t = ks_slot_detach(o->ks, (uint16_t)s);
            if (t) {
                keys += ks_slot_keys_count(t);
                ks_slot_attach(d->ks, &t);
            }
        }
    }
    slotmap_assign(slots, dst);
    if (done)
        done(arg, keys, ts_monotonic_us() - t0);
}

int
slot_move_submit(const uint16_t *slots, int n, int dst, slot_move_done_fn done, void *arg)
{
    bool running = __atomic_load_n(&sm_running, __ATOMIC_ACQUIRE);
    if (dst < 0 || dst >= MAX_WORKERS || (running && dst >= g_server.nworkers))
        return -EINVAL;
    struct slot_move_job *job = ts_calloc(1, sizeof(*job));
    job->dst = dst;
    job->done = done;
    job->arg = arg;
    for (int i = 0; i < n; i++) {
        if (slots[i] >= CLUSTER_SLOTS) {
            ts_free(job);
            return -EINVAL;
        }
        bit_set(job->remaining, slots[i]);
    }
    if (!running) {
        sm_apply_now(job->remaining, dst, done, arg);
        ts_free(job);
        return 0;
    }
    pthread_mutex_lock(&sm_mu);
    if (jobs_tail)
        jobs_tail->next = job;
    else
        jobs_head = job;
    jobs_tail = job;
    pthread_mutex_unlock(&sm_mu);
    sm_kick();
    return 0;
}

/* ---- src ---- */

static void sm_marker(void *arg, int worker);

/* Step 1, once no cross-worker operation is in flight: from here on the
 * new table routes the batch to dst. */
static void
sm_src_poll(struct slot_move *m)
{
    if (m->phase != PH_WAIT_OPS || __atomic_load_n(&sm_ops, __ATOMIC_SEQ_CST) > 0)
        return;
    slotmap_assign(m->batch, m->dst);
    m->phase = PH_WAIT_ACKS;
    m->acks = g_server.nworkers;
    for (int i = 0; i < g_server.nworkers; i++)
        g_rt.worker_call(i, sm_marker, m);
}

static void
sm_begin(void *arg, int worker)
{
    struct slot_move *m = arg;
    m->phase = PH_WAIT_OPS;
    m->t0_us = ts_monotonic_us();
    sm_src_poll(m);
}

/* A kick from slot_move_exit: the move it saw may since have moved on,
 * so look at the current one (this runs inside the worker's read section,
 * which keeps it alive). */
static void
sm_poll_msg(void *arg, int worker)
{
    (void)arg;
    struct slot_move *m = __atomic_load_n(&g_slot_move, __ATOMIC_ACQUIRE);
    if (m && m->src == worker)
        sm_src_poll(m);
}

static void sm_arrive(void *arg, int worker);

/* Step 3: every worker has seen the new table and everything routed here
 * by the old one has run. */
static void
sm_ship(struct slot_move *m)
{
    struct ks *ks = g_shards[m->src]->ks;
    m->tables = ts_malloc(sizeof(*m->tables) * (size_t)m->nslots);
    for (int s = 0; s < CLUSTER_SLOTS; s++) {
        if (!slot_move_in_batch(m, (uint16_t)s))
            continue;
        snap_flush_slot(g_shards[m->src], (uint16_t)s);
        struct ks_slot *t = ks_slot_detach(ks, (uint16_t)s);
        if (t) {
            m->keys += ks_slot_keys_count(t);
            m->tables[m->ntables++] = t;
        }
    }
    m->detached = true;
    m->phase = PH_SHIPPED;
    g_rt.worker_call(m->dst, sm_arrive, m);
}

static void
sm_ack(void *arg, int worker)
{
    struct slot_move *m = arg;
    if (--m->acks == 0)
        sm_ship(m);
}

/* Step 2 on every worker: it runs after the table was published (the
 * marker was sent after), so this worker routes by the new table from now
 * on; the ack goes behind whatever it sent src before. */
static void
sm_marker(void *arg, int worker)
{
    struct slot_move *m = arg;
    g_rt.worker_call(m->src, sm_ack, m);
}

/* ---- dst ---- */

static void
sm_free(void *p)
{
    struct slot_move *m = p;
    ts_free(m->tables);
    ts_free(m);
}

/* Step 4. */
static void
sm_arrive(void *arg, int worker)
{
    struct slot_move *m = arg;
    struct ks *ks = g_shards[m->dst]->ks;
    for (int i = 0; i < m->ntables; i++)
        ks_slot_attach(ks, &m->tables[i]);
    m->arrived = true;
    if (g_slot_move_rt.release_held)
        g_slot_move_rt.release_held(worker);
    uint64_t usec = ts_monotonic_us() - m->t0_us;

    pthread_mutex_lock(&sm_mu);
    __atomic_store_n(&g_slot_move, NULL, __ATOMIC_SEQ_CST);
    struct sm_deferred *d = deferred_head;
    int nd = 0;
    deferred_head = deferred_tail = NULL;
    for (struct sm_deferred *x = d; x; x = x->next)
        nd++;
    /* Admit the waiting operations now, so the next move waits for them
     * instead of deferring them again (no starvation under many moves). */
    __atomic_add_fetch(&sm_ops, nd, __ATOMIC_SEQ_CST);
    m->job->keys += m->keys;
    m->job->usec += usec;
    sm_stats.moves++;
    sm_stats.slots += (uint64_t)m->nslots;
    sm_stats.keys += m->keys;
    sm_stats.last_usec = usec;
    sm_stats.last_keys = m->keys;
    pthread_mutex_unlock(&sm_mu);

    log_verbose("Moved %d slot(s) with %llu keys from worker %d to worker %d in %llu us", m->nslots,
                (unsigned long long)m->keys, m->src, m->dst, (unsigned long long)usec);
    while (d) {
        struct sm_deferred *next = d->next;
        g_rt.worker_call(d->worker, d->resume, d->arg);
        ts_free(d);
        d = next;
    }
    rcu_retire(m, sm_free);
    sm_kick();
}

/* ---- Cross-worker operations ---- */

bool
slot_move_enter(int worker, void (*resume)(void *arg, int worker), void *arg)
{
    if (__atomic_load_n(&g_slot_move, __ATOMIC_SEQ_CST) == NULL) {
        __atomic_add_fetch(&sm_ops, 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&g_slot_move, __ATOMIC_SEQ_CST) == NULL)
            return true;
        slot_move_exit(); /* a move started meanwhile: wait for it */
    }
    pthread_mutex_lock(&sm_mu);
    if (__atomic_load_n(&g_slot_move, __ATOMIC_SEQ_CST) == NULL) {
        __atomic_add_fetch(&sm_ops, 1, __ATOMIC_SEQ_CST);
        pthread_mutex_unlock(&sm_mu);
        return true;
    }
    struct sm_deferred *d = ts_malloc(sizeof(*d));
    d->next = NULL;
    d->worker = worker;
    d->resume = resume;
    d->arg = arg;
    if (deferred_tail)
        deferred_tail->next = d;
    else
        deferred_head = d;
    deferred_tail = d;
    pthread_mutex_unlock(&sm_mu);
    return false;
}

void
slot_move_exit(void)
{
    if (__atomic_sub_fetch(&sm_ops, 1, __ATOMIC_SEQ_CST) != 0)
        return;
    struct slot_move *m = __atomic_load_n(&g_slot_move, __ATOMIC_SEQ_CST);
    if (m)
        g_rt.worker_call(m->src, sm_poll_msg, NULL);
}

void
slot_move_set_running(bool running)
{
    __atomic_store_n(&sm_running, running ? 1 : 0, __ATOMIC_RELEASE);
}

void
slot_move_get_stats(struct slot_move_stats *out)
{
    pthread_mutex_lock(&sm_mu);
    *out = sm_stats;
    pthread_mutex_unlock(&sm_mu);
}
