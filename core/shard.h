/* shard.h: a worker's command-execution state, as commands see it: its
 * keyspace, key locks for cross-worker transactions, its clients and its
 * statistics. One per worker; only that worker's thread touches it, except
 * the stats, which other threads may read relaxed to build INFO. */
#ifndef TESSERA_SHARD_H
#define TESSERA_SHARD_H

#include "core/client.h"
#include "core/cmdstats.h"
#include "core/common.h"
#include "core/effect.h"
#include "core/keyspace.h"

struct tx_shard;
struct ks_snap;
struct watch_table;

/* Per-worker counters, summed for INFO stats. Written only by the owning
 * worker (plain stores); readers use relaxed loads and may see a value a
 * moment old. */
struct shard_stats {
    uint64_t commands;            /* total_commands_processed */
    uint64_t connections;         /* total_connections_received */
    uint64_t rejected_conns;      /* rejected_connections */
    uint64_t net_input_bytes;
    uint64_t net_output_bytes;
    uint64_t errors;              /* total_error_replies */
    uint64_t expired_keys;
    uint64_t evicted_keys;
    uint64_t forwarded;           /* commands executed for another worker */
    uint64_t obuf_limit_disconnections; /* clients closed for client-output-buffer-limit */
    uint64_t connected_clients;   /* current */
    uint64_t blocked_clients;
    /* runtime cost figures (INFO stats tessera_*; bench/compare --workers) */
    uint64_t loop_turns;          /* worker loop iterations */
    uint64_t sleeps;              /* io_uring waits that blocked the loop */
    uint64_t messages_sent;       /* messages to other workers (requests, replies, parts) */
    uint64_t wakeups_sent;        /* MSG_RING wake-ups of a sleeping peer */
};

struct shard {
    int id;                     /* worker index, 0..nworkers-1 */
    struct ks *ks;
    struct tx_shard *tx;        /* transactions queued here and their key intents (tx.c) */
    struct watch_table *watch;  /* WATCHed keys owned here and their watchers (multi.c) */
    struct client *clients;     /* clients owned by this worker (list head) */
    struct shard_stats stats;
    struct cmdstats cstats;     /* INFO commandstats / errorstats */
    struct fx_state fx;         /* the write-effect point's per-worker state (effect.h) */
    struct ks_snap *snap;       /* a snapshot in progress (snapshot.h), NULL if none */
    int64_t now_ms;
    bool evict_more;            /* an eviction run stopped at its time limit: go on next loop turn (evict.h) */
    int64_t evict_debt;         /* bytes of its shares not yet evicted (evict.c) */
    bool cron_ticked;           /* its first cron tick has run (evict.c: used_memory_startup) */
    void *runtime;              /* the net layer's worker object */
};

/* All shards, indexed by worker (set up by the runtime before workers run). */
extern struct shard *g_shards[MAX_WORKERS];

#endif
