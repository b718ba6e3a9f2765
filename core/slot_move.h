/* slot_move.h: moving hash slots, with their keys, between workers
 * (DESIGN.md seam 5, "slot hand-off between workers").
 *
 * A worker may execute a request for a slot only while it holds that
 * slot's keys. The slot -> worker table (slotmap.h) says where to send a
 * request; this module decides, on the worker that received it, whether
 * to run it, hold it, or pass it on, and it moves slots.
 *
 * A move takes a batch of slots from their owner (src) to another worker
 * (dst). One move is in flight at a time in the process (g_slot_move);
 * further requests queue behind it. Steps, each a message through the
 * inter-worker rings (g_rt.worker_call), so every step is ordered after
 * what the sending worker sent before it:
 *
 *   0 activate   g_slot_move = m. From now on no cross-worker operation
 *                (transaction, fan-out) starts: they are deferred, and
 *                resumed when the move is over (slot_move_enter).
 *   1 begin      on src, once no cross-worker operation is in flight any
 *                more (slot_move_exit kicks it): publish the new table, in
 *                which the batch belongs to dst, and send a marker to every
 *                worker (src and dst included).
 *   2 markers    each worker answers its marker with an ack to src. The
 *                worker has seen the new table before it acks, and the ack
 *                travels behind everything it sent src before: when the
 *                last ack is in, every request routed to src by the old
 *                table has reached src, and src has run it (src still
 *                holds the keys, so it runs what reaches it).
 *   3 ship       src detaches the batch's tables (ks_slot_detach: O(1) per
 *                slot plus a pointer walk over its entries for the
 *                figures, no key copied) and sends them to dst.
 *   4 arrive     dst attaches them, then runs, in arrival order, the
 *                requests it held for the batch since the new table was
 *                published (routed to it by the new table before the keys
 *                were there); then the move is over: deferred operations
 *                resume and the next move starts.
 *
 * Invariant (per-connection order): a connection's worker reads the table
 * monotonically, so all of the connection's requests for a slot that were
 * routed by the old table precede, in its own order, all those routed by
 * the new one. The first group runs on src, each in ring order, all before
 * step 3; the second runs on dst, held in arrival order until step 4,
 * which comes after step 3. Requests on one ring keep their order, so the
 * requests of one connection for one slot run in the order it sent them,
 * and each runs exactly once, on the worker that holds the slot's keys.
 *
 * Chosen over shipping keys in batches: the per-slot tables of the
 * keyspace (keyspace.h) can change hands whole, so a move costs a walk of
 * the slot's entries on each side instead of copying every key and value
 * through the rings; requests of the moving slots wait only for steps 1-4,
 * not for the keys to be copied.
 *
 * Threads: slot_move_submit from any thread; the rest runs on workers. */
#ifndef TESSERA_SLOT_MOVE_H
#define TESSERA_SLOT_MOVE_H

#include "core/common.h"

#define SLOT_MOVE_RUN (-1)  /* this worker holds the slot: run it here */
#define SLOT_MOVE_HOLD (-2) /* the slot is on its way here: hold the request */

struct ks_slot;

/* The move in flight. Fields marked src/dst are written and read only by
 * that worker; the others are fixed before the move is published. */
struct slot_move {
    int src, dst;
    uint64_t batch[CLUSTER_SLOTS / 64]; /* the slots being moved */
    int nslots;
    /* src */
    int phase;           /* enum in slot_move.c */
    int acks;            /* markers not yet answered */
    bool detached;       /* the tables left src (step 3) */
    uint64_t t0_us;      /* begin, for the duration */
    /* dst */
    bool arrived;        /* attached on dst (step 4) */
    /* the tables in transit */
    struct ks_slot **tables;
    int ntables;
    uint64_t keys;       /* keys moved */
    struct slot_move_job *job;
};

/* The move in flight, NULL when none (atomic pointer; freed through RCU). */
extern struct slot_move *g_slot_move;

static inline bool
slot_move_in_batch(const struct slot_move *m, uint16_t slot)
{
    return (m->batch[slot / 64] >> (slot % 64)) & 1;
}

/* Where a request for slot must run, seen from worker (which received it):
 * SLOT_MOVE_RUN, SLOT_MOVE_HOLD, or the worker to pass it to. One load and
 * a predictable branch when no move is in flight. */
int slot_move_where(int worker, uint16_t slot);

/* Is any move in flight? (A relaxed load; the dispatcher's fast path.) */
static inline bool
slot_move_active(void)
{
    return __atomic_load_n(&g_slot_move, __ATOMIC_RELAXED) != NULL;
}

/* Ask for every slot of slots[0..n) to end up on worker dst. Slots already
 * there are skipped; the others move in batches (one per current owner).
 * done(arg, keys, usec), if not NULL, is called once all are on dst, on
 * whichever worker finished last (or inside this call when nothing had to
 * move or no workers run yet), with the keys moved and the time the moves
 * took. Before the workers run, slots move at once (start-up). 0 or
 * -EINVAL (bad worker or slot). Any thread. */
typedef void (*slot_move_done_fn)(void *arg, uint64_t keys, uint64_t usec);
int slot_move_submit(const uint16_t *slots, int n, int dst, slot_move_done_fn done, void *arg);

/* ---- Cross-worker operations (transactions, fan-outs) ----
 * They read the table once and then talk to several workers, so none may
 * span a table change. Before starting, one calls slot_move_enter: true
 * means go ahead (counted, call slot_move_exit when completely over);
 * false means a move is in flight and resume(arg) will be called later on
 * that worker's thread, already counted, to start it. Worker threads only. */
bool slot_move_enter(int worker, void (*resume)(void *arg, int worker), void *arg);
void slot_move_exit(void);

/* ---- Runtime side ---- */
struct slot_move_rt {
    /* Run (in order) the requests worker held for the batch of m, which
     * has just arrived there. */
    void (*release_held)(int worker);
};
extern struct slot_move_rt g_slot_move_rt;
/* The runtime calls this once its workers run (messages can flow), and
 * with false when they stop. */
void slot_move_set_running(bool running);

/* Counters (INFO, tests): moves done, keys moved, the last move's time. */
struct slot_move_stats {
    uint64_t moves;
    uint64_t slots;
    uint64_t keys;
    uint64_t last_usec;
    uint64_t last_keys;
};
void slot_move_get_stats(struct slot_move_stats *out);

#endif
