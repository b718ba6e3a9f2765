/* repl_master.h: the replication thread and the master side's state, as
 * replication/'s other files use them.
 *
 *   workers --(batches of effects, per-worker SPSC rings)--> replication thread
 *   replication thread --> the shared buffer (repl_buf.h): backlog + replicas
 *   workers owning replica connections read the buffer (repl_feed.c)
 *
 * The thread is the only writer of the stream: it takes each worker's
 * batches in that worker's order and appends them. Batches of different
 * workers carry effects on different keys, so their interleaving is free,
 * but for two things: a full sync's cut (repl_snap.c): the batches a
 * worker produced before its cut go before the sync's offset, the ones
 * after it after; and the units of transactions over several workers
 * (repl_unit.h), each put between its participants' marks. */
#ifndef TESSERA_REPL_MASTER_H
#define TESSERA_REPL_MASTER_H

#include "core/common.h"
#include "replication/repl_buf.h"
#include "replication/repl_int.h"

#include <ck_ring.h>
#include <pthread.h>

struct shard;
struct client;

/* A batch of one worker's stream, handed to the thread at the end of a
 * loop turn. cut != 0: the last batch before that worker's cut of full
 * sync `cut` (the worker's snapshot starts after it). marks: the unit
 * marks among its bytes (effect.h), in position order. */
struct repl_batch {
    char *data;
    size_t len;
    uint64_t cut;
    struct fx_mark *marks;
    uint32_t nmarks;
};

/* A replica as INFO, ROLE and WAIT see it. Written by the thread or the
 * replica's worker under g_repl.reg_lock; ack_off is atomic. */
enum repl_replica_state {
    RR_WAIT_BGSAVE,  /* waiting for a full sync to start ("wait_bgsave") */
    RR_SEND_BULK,    /* the RDB is being sent ("send_bulk") */
    RR_WAIT_ACK,     /* RDB sent (EOF-marked): the stream waits for its first ACK */
    RR_ONLINE,       /* streaming ("online") */
};
struct repl_replica {
    uint64_t id;           /* its client id */
    int worker;            /* the worker owning its connection */
    char ip[64];
    int port;              /* REPLCONF listening-port */
    int state;             /* enum repl_replica_state */
    int64_t ack_off;       /* atomic: last REPLCONF ACK offset */
    int64_t ack_ms;        /* atomic: when it came */
    struct repl_replica *next;
};

#define REPL_WORKER_RING 1024

struct repl_master {
    pthread_t thread;
    bool running;
    int stop;                 /* atomic */
    int efd;                  /* eventfd: wakes the thread */
    int sleeping;             /* atomic: the thread may be waiting on efd */
    int nworkers;
    /* per worker: its batches to the thread */
    struct repl_wring {
        ck_ring_t ring;
        ck_ring_buffer_t *buf;
    } rings[MAX_WORKERS];
    /* the stream */
    struct repl_buf buf;      /* valid while backlog_on */
    bool backlog_on;          /* atomic: the workers stream, the buffer exists */
    int64_t offset;           /* atomic: master_repl_offset */
    /* history, under hist_lock */
    pthread_mutex_t hist_lock;
    char replid[REPL_ID_LEN + 1];
    char replid2[REPL_ID_LEN + 1];
    int64_t second_off;       /* -1: no replid2 */
    /* replicas, under reg_lock */
    pthread_mutex_t reg_lock;
    struct repl_replica *replicas;
    int nreplicas;            /* atomic: connected (any state) */
    int64_t no_replicas_since; /* unix ms, for repl-backlog-ttl */
    /* requests from other threads, under req_lock, run on the thread */
    pthread_mutex_t req_lock;
    struct repl_req *reqs, *reqs_tail;
    /* WAIT: a GETACK is due in the stream */
    int getack_wanted;        /* atomic */
    int64_t last_ping_ms;
    int mf_paused;            /* atomic: manual failover pause (no pings) */
    int feeders[MAX_WORKERS];          /* atomic: replica feeds per worker */
    uint64_t merged_total[MAX_WORKERS]; /* atomic: bytes of each worker's batches merged */
};

extern struct repl_master g_repl;

/* Run fn(arg) on the replication thread soon (any thread). */
void repl_run(void (*fn)(void *arg), void *arg);
/* The thread's own: switch the stream on (first replica, or this node
 * syncing from a master) with a new replid when asked. */
void repl_backlog_create(bool new_replid);
/* Workers with replica feeds get a nudge when the stream grows. */
void repl_wake_feeders(void);
/* New random replication ID into out. */
void repl_random_id(char out[REPL_ID_LEN + 1]);

/* min-replicas-*: recount the good replicas, set g_noreplicas. */
void repl_good_replicas_update(int64_t now);
extern int g_repl_good_replicas;

/* repl_api.c */
void repl_cron(int worker, int64_t now_ms);
void repl_master_conn_closed(struct client *cl);
/* GETACK on worker 0: REPLCONF ACK <offset> to our master at the end of
 * the loop turn (repl_master_ack_flush, from repl_turn). */
void repl_master_ack_later(struct shard *sh, int64_t offset);
void repl_master_ack_flush(void);
void repl_register_commands(void);
int repl_start(void);
/* repl_psync.c, repl_wait.c */
void repl_psync_register(void);

/* repl_feed.c: the workers' side */
void repl_feed_setup(void);
/* Worker's turn hook (installed as fx_turn_hook). */
void repl_turn(struct shard *sh);
/* The thread: ask every worker to stream (on) or stop (off). */
void repl_workers_stream(bool on, bool replica);

#endif
