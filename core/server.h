/* server.h: process-wide facts and services that commands need but that the
 * runtime (net/) provides: identity and start time, the hooks into the
 * connection layer, client pause state, and the per-command observers
 * (slowlog, latency, MONITOR) the dispatcher calls.
 *
 * Everything here is set up before the workers start and is read-only
 * afterwards, except the fields documented as atomics. */
#ifndef TESSERA_SERVER_H
#define TESSERA_SERVER_H

#include "core/client.h"
#include "core/common.h"

struct shard;

#define TESSERA_VERSION "0.1.0"
/* The Redis version Tessera presents (INFO redis_version, HELLO): clients and
 * redis-cli --cluster key features off it. */
#define TESSERA_REDIS_VERSION "7.0.15"

struct server_info {
    char run_id[41];        /* 40 hex chars, new at each start */
    int64_t start_ms;       /* unix ms at start */
    uint64_t start_mono_us; /* monotonic at start (uptime) */
    int nworkers;
    int worker_cpu[MAX_WORKERS]; /* CPU each worker is pinned to, -1 if not pinned */
    int listen_port;        /* actual TCP port */
    int64_t lastsave;       /* unix seconds of the last successful save (start time until one exists) */
    int hz;
    bool cluster_mode;
    /* set once shutdown has been requested */
    int shutdown_requested; /* atomic */
};
extern struct server_info g_server;

/* Hooks the runtime installs so core commands can act on connections. */
enum shutdown_flags { SHUTDOWN_NOFLAGS = 0, SHUTDOWN_SAVE = 1, SHUTDOWN_NOSAVE = 2, SHUTDOWN_NOW = 4, SHUTDOWN_FORCE = 8 };
struct rt_hooks {
    /* Close a client; must be called on the client's own worker. */
    void (*close_client)(struct client *cl);
    /* Send bytes to a client owned by any worker (MONITOR feed): copied and
     * delivered asynchronously, in order per (sender, client). */
    void (*client_send)(int worker, uint64_t client_id, const void *p, size_t n);
    /* Begin an orderly shutdown (flush replies, close, exit 0). */
    void (*shutdown)(int flags);
    /* Append bytes to a client of the calling worker (its own thread):
     * after every reply to the commands it sent before, ignoring CLIENT
     * REPLY (Pub/Sub messages). Dropped if the client is closing. */
    void (*client_push)(struct client *cl, const void *p, size_t n);
    /* Run fn(arg, worker) on that worker's thread soon; callable from any
     * thread (runtime_post in net/runtime.h). 0 or -errno (then fn will
     * not run). */
    int (*post)(int worker, void (*fn)(void *arg, int worker), void *arg);
    /* The same, from a worker thread, through the inter-worker rings: no
     * lock, and calls from one worker to another run in call order, after
     * everything it sent that worker before (keyspace notifications,
     * transactions). Never runs fn inside the call, even for oneself. */
    void (*worker_call)(int worker, void (*fn)(void *arg, int worker), void *arg);
};
extern struct rt_hooks g_rt;

/* CLIENT PAUSE: until pause_end_ms (unix ms), commands of the paused kind
 * wait (writes only, or all). The dispatcher checks pause_type first
 * (a relaxed atomic load), so an unpaused server pays one load. */
enum pause_type { PAUSE_NONE = 0, PAUSE_WRITE = 1, PAUSE_ALL = 2 };
struct pause_state {
    int type;          /* atomic */
    int64_t end_ms;    /* atomic */
};
extern struct pause_state g_pause;

/* Active expiry switch (DEBUG SET-ACTIVE-EXPIRE), atomic. */
extern int g_active_expire_enabled;

/* ---- Observers the dispatcher calls (implemented in core/) ---- */
/* After every executed command that took duration_us: adds to the
 * executing worker's slowlog when over slowlog-log-slower-than. */
void slowlog_observe(struct shard *sh, const struct client *cl, int argc, const struct sv *argv, uint64_t duration_us);
/* Latency monitor: record an event sample (ms) when over the threshold. */
void latency_observe(const char *event, uint64_t ms);
/* Number of MONITOR clients (atomic); the dispatcher calls monitor_feed
 * only when it is non-zero. */
extern int g_monitor_count;
void monitor_feed(struct shard *sh, const struct client *cl, int argc, const struct sv *argv);

/* ---- INFO section hooks (additions) ----
 * Upper modules fill INFO sections core cannot compute without depending on
 * them. Each is set once at setup (before workers start) and must be safe to
 * call from any worker thread. NULL means "not present": INFO then writes
 * core's defaults (cluster_enabled:0/1, a master with no replicas). The hook
 * appends the section's "field:value\r\n" lines, without the "# Name"
 * header. */
struct ts_buf;
extern void (*info_cluster_hook)(struct ts_buf *out);
extern void (*info_replication_hook)(struct ts_buf *out);
/* A client with cl->repl set is closing (its worker): replication lets
 * go of it (installed by replication/). */
extern void (*repl_client_closed_hook)(struct client *cl);
/* INFO stats sync_full / sync_partial_ok / sync_partial_err (relaxed
 * atomics, counted by replication; CONFIG RESETSTAT clears them). */
struct sync_stats {
    uint64_t full, partial_ok, partial_err;
};
extern struct sync_stats g_sync_stats;
/* Bytes held by the replication stream's shared buffer (INFO memory
 * mem_replication_backlog; relaxed atomic, set by replication). */
extern size_t g_repl_backlog_mem;
/* A full sync's RDB is being loaded (relaxed atomic, set by replication):
 * clients get -LOADING for commands without the loading flag, and INFO
 * persistence shows loading:1. */
extern int g_loading;
/* min-replicas-to-write: this master has fewer good replicas than it asks
 * for, so writes get -NOREPLICAS (relaxed atomic, set by replication). */
extern int g_noreplicas;

#endif
