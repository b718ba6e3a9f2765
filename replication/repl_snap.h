/* repl_snap.h: full sync. A replica that cannot continue gets an RDB of
 * the whole dataset made worker by worker without fork (core/snapshot.h),
 * then the stream from the sync's offset.
 *
 *   1. the thread waits repl-diskless-sync-delay for more replicas, then
 *      asks for the cut: one global transaction (core/tx.h) whose part on
 *      each worker is that worker's cut, so no transaction over several
 *      workers is split by it;
 *   2. each worker, at its cut, hands over the stream so far marked with
 *      the cut and starts its snapshot; the thread merges each worker's
 *      batches up to its cut, and holds later ones back;
 *   3. when every cut is in, the stream's end is the sync's offset O:
 *      +FULLRESYNC <replid> O goes to the replica, its reader is placed at
 *      O, and the held batches flow again. Every write before a worker's
 *      cut is before O and in the snapshot; every one after is after O and
 *      not in it (a due key is written before it changes);
 *   4. the replica's worker pulls the snapshot from each worker in turn,
 *      a chunk at a time while the connection's output is small, and sends
 *      it as $EOF:<mark> ... <mark> (or, with a file, $<size>), then the
 *      stream.
 * One sync runs at a time; others wait in line (they get a "\n" each
 * second, which replicas ignore while waiting). */
#ifndef TESSERA_REPL_SNAP_H
#define TESSERA_REPL_SNAP_H

#include "core/common.h"
#include "replication/repl_int.h"

struct shard;
struct repl_feed;

/* A replica's PSYNC / SYNC, as the thread sees it. */
struct repl_sync_req {
    int worker;
    uint64_t client_id;
    char replid[REPL_ID_LEN + 1]; /* "?" for none */
    int64_t offset;               /* PSYNC's offset (first byte wanted), -1 */
    bool plain_sync;              /* SYNC: no +FULLRESYNC line */
    bool capa_eof, capa_psync2;
    char ip[64];
    int port;
    struct cmd_deferred *reply;   /* the PSYNC/SYNC reply, answered by the thread */
    int64_t queued_ms;
    struct repl_sync_req *next;
};

/* ---- The thread ---- */
void repl_snap_enqueue(struct repl_sync_req *q);
/* Start what is due, notice cuts; true if it did something. */
bool repl_snap_step(int64_t now);
/* Merging: hold worker w's batches (its cut is in, others' are not). */
bool repl_snap_worker_at_cut(int w);
/* Units: one of transaction txid must wait, its effects being after the
 * cut still being taken. */
bool repl_snap_defers(uint64_t txid);
void repl_snap_worker_cut(int w, uint64_t cut);

/* ---- The workers ---- */
/* The replica's worker: send more of the RDB if its output has room. */
void repl_snap_feed(struct shard *sh, struct repl_feed *f);
/* The replica went away during its sync. */
void repl_snap_out_abort(struct repl_feed *f);
/* A snapshot on this worker still needs loop turns (an abandoned one
 * finishing its walk). */
bool repl_snap_busy(struct shard *sh);
/* repl_feed.c: the worker's cut (stream handed over, marked). */
void repl_feed_cut(struct shard *sh, uint64_t cut);

#endif
