/* repl_feed.h: a replica connection on the master side, owned by the
 * worker that accepted it (its feed), and what REPLCONF told us about it.
 *
 * A replica stays an ordinary client of its worker: its REPLCONF ACKs are
 * commands, and the stream reaches it through the worker's io_uring like
 * any reply, under the replica class of client-output-buffer-limit. Each
 * loop turn the worker copies the stream from the shared buffer into the
 * connection's output while that output is small (REPL_FEED_HIGH); the
 * rest waits in the shared buffer, counted in the replica's output
 * (Redis 7 counts its shared replication buffer the same way). */
#ifndef TESSERA_REPL_FEED_H
#define TESSERA_REPL_FEED_H

#include "core/client.h"
#include "replication/repl_buf.h"
#include "replication/repl_master.h"

#define REPL_FEED_HIGH (1024 * 1024)
#define REPL_FEED_TURN (4 * 1024 * 1024) /* at most this much per replica per loop turn */

enum feed_state {
    FEED_WAIT_REPLY,  /* the PSYNC reply is not out yet */
    FEED_SNAP,        /* the RDB is being sent (repl_snap.c) */
    FEED_WAIT_ACK,    /* EOF-marked RDB sent: the stream waits for the first ACK */
    FEED_ONLINE,
};

struct repl_snap_out;

struct repl_feed {
    struct client *cl;
    struct repl_replica *rr;  /* its INFO / WAIT record */
    struct repl_reader rd;    /* where it is in the stream */
    int state;                /* enum feed_state */
    int next_state;           /* after FEED_WAIT_REPLY */
    struct repl_snap_out *snap; /* FEED_SNAP: the RDB being sent */
    int64_t soft_since;       /* over the soft output limit since (unix ms), 0: not */
    int64_t newline_ms;       /* last "\n" keepalive while the sync waits its turn (unix ms) */
    struct repl_feed *next;
};

/* Per client: REPLCONF's facts, then its feed once PSYNC/SYNC made it a
 * replica. */
struct repl_peer {
    int port;          /* listening-port */
    char ip[64];       /* ip-address, "" = the connection's */
    bool capa_eof;
    bool capa_psync2;
    bool rdb_only;
    struct repl_feed *feed;
};

/* Find a client of the calling worker by id (NULL: gone). */
struct client *repl_find_client(int worker, uint64_t id);
/* The thread's decision for a PSYNC/SYNC: on the replica's worker, start
 * the feed (attached reader in f->rd) once the reply is out. */
void repl_feed_start(int worker, struct repl_feed *f, uint64_t client_id);
/* Register / drop a replica record (INFO, ROLE, WAIT). */
struct repl_replica *repl_replica_add(uint64_t id, int worker, const char *ip, int port, int state);
void repl_replica_del(struct repl_replica *rr);
/* Close every replica connection (a new history: they must PSYNC again). */
void repl_disconnect_replicas(void);
/* The thread's 100 ms cron: replicas silent for repl-timeout are dropped. */
void repl_replicas_cron(int64_t now);
/* A batch to the thread; false if its ring is full (repl_master.c). */
bool repl_post_batch(int worker, struct repl_batch *b);
/* Our master's stream applied up to here (replica side, repl_apply.c). */
int64_t repl_applied_offset(void);
/* Bytes the thread itself adds to the stream (ping, GETACK). */
void repl_feed_stream(const void *p, size_t n);
void repl_promote_history(void);

#endif
