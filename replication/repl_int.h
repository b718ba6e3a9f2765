/* repl_int.h: what the two halves of replication/ share.
 *
 *   repl_master.c, repl_thread.c   (lead)  the replication thread: merges the
 *                                  workers' effect batches into the stream,
 *                                  keeps the backlog and the replication IDs,
 *                                  feeds replicas, WAIT, snapshots
 *   repl_link.c ...                (replica side) the link to our master:
 *                                  handshake, PSYNC, RDB transfer and load,
 *                                  reconnects; hands the connected socket to
 *                                  worker 0, which applies the stream
 *
 * The history (replid, replid2, offsets) belongs to the replication thread;
 * the replica side changes it only through the calls below, which are safe
 * from any thread (they take g_repl_hist_lock, never on a request path). */
#ifndef TESSERA_REPL_INT_H
#define TESSERA_REPL_INT_H

#include "core/common.h"

#define REPL_ID_LEN 40

/* ---- History: provided by the master side (repl_master.c) ---- */

/* The replid we would continue from and our offset (PSYNC <replid> <off+1>
 * of a replica that has a cached master, or was a master itself). */
void repl_history_get(char replid[REPL_ID_LEN + 1], int64_t *offset);
/* +FULLRESYNC <replid> <offset> was accepted and the RDB is about to be
 * loaded: our backlog is dropped, our own replicas are disconnected, replid2
 * is cleared, replid and offset become the master's. */
void repl_history_reset(const char *replid, int64_t offset);
/* +CONTINUE <newid> with an ID other than ours: replid2 = our replid valid
 * up to offset + 1, replid = newid; our own replicas are disconnected. */
void repl_history_switch(const char *newid);

/* ---- The stream on worker 0: provided by the lead (net/, core/) ---- */

/* Make fd (a connected socket to our master, handshake and sync done, the
 * stream starting at byte offset + 1) a client of worker 0 flagged
 * CL_MASTER: its commands run on the workers owning their slots, without
 * replies, and each applied command advances the applied offset, goes
 * verbatim into our own stream (backlog, sub-replicas) and is ACKed. Any
 * bytes already read past the RDB are passed in pre/npre. Takes fd. */
void repl_link_established(int fd, int64_t offset, const void *pre, size_t npre);
/* This node becomes a replica (repl_set_master): the workers stop
 * streaming their own effects and stop expiring or evicting keys on
 * their own, before any byte of the new master arrives. */
void repl_enter_replica_mode(void);
/* Called (from worker 0) when that connection closes for any reason; the
 * replica side then reconnects and tries PSYNC <replid> <applied + 1>. */
extern void (*repl_link_lost_hook)(void);

/* ---- Replica side state: provided by repl_link.c ----
 * For INFO replication and ROLE; any thread may call (a copy under a lock). */
enum repl_link_state {
    REPL_LINK_NONE,       /* not a replica */
    REPL_LINK_CONNECT,    /* must connect (waiting to retry) */
    REPL_LINK_CONNECTING, /* TCP connect in progress */
    REPL_LINK_HANDSHAKE,  /* PING / AUTH / REPLCONF / PSYNC */
    REPL_LINK_TRANSFER,   /* receiving / loading the RDB ("sync") */
    REPL_LINK_CONNECTED,  /* streaming */
};
struct repl_link_info {
    enum repl_link_state state;
    char host[256];
    int port;
    int64_t last_io_ms;       /* unix ms of the last byte from the master (-1 never) */
    int64_t down_since_ms;    /* unix ms the link went down (or we became a replica) */
    int64_t sync_total;       /* RDB size when known (-1: EOF-marked transfer) */
    int64_t sync_read;        /* bytes of it read so far */
    int64_t sync_start_ms;
    int64_t sync_last_io_ms;
};
void repl_link_info(struct repl_link_info *out);
/* Drop the link and stop being a replica (promotion, REPLICAOF NO ONE). */
void repl_link_stop(void);
/* REPLICAOF / SLAVEOF into the command table (setup). */
void repl_link_register_commands(void);

#endif
