/* cluster_state.h: the immutable cluster-state snapshot and its lock-free
 * read API.
 *
 * cluster/ owns the one writable copy of the cluster state (the node table,
 * slot owners, epochs) and, after every change, publishes a frozen copy of
 * it: a struct cluster_snap. Workers read the current snapshot on the
 * request path without locks, to answer -MOVED / -ASK / -CLUSTERDOWN; the
 * type lives in core/ so the dispatcher needs no dependency on cluster/.
 *
 *   writer (admin / cluster thread)        readers (workers)
 *   ------------------------------         -----------------
 *   mutate master copy (under its mutex)   cluster_read_begin()   once per loop turn
 *   cluster_snap_publish(copy)  --store--> s = cluster_snap_get() acquire load
 *       old snapshot -> rcu_retire()       ... route commands with s ...
 *       freed after every reader left      cluster_read_end()     before sleeping
 *
 * Reclamation is ck_epoch based (core/rcu.h), sharing one epoch domain with
 * the slot -> worker table, so a worker's single per-turn read section
 * protects both. A snapshot pointer must not be kept past cluster_read_end.
 *
 * Snapshots are never modified after publication. Node references inside a
 * snapshot are indexes into its nodes[] array (int16_t, -1 = none), so a
 * snapshot is one self-contained allocation pair (struct + nodes array). */
#ifndef TESSERA_CLUSTER_STATE_H
#define TESSERA_CLUSTER_STATE_H

#include "core/common.h"
#include "core/reply.h"

#define CLUSTER_NAMELEN 40       /* node IDs: 40 chars of [a-z0-9] */
#define CLUSTER_IPLEN 46         /* INET6_ADDRSTRLEN */
#define CLUSTER_HOSTLEN 256

/* Node flags: the same bit values as the Redis cluster bus (cluster-bus.md
 * §6), so the bus can copy them to and from the wire unchanged. */
enum cluster_node_flag {
    CN_MASTER = 1 << 0,
    CN_SLAVE = 1 << 1,
    CN_PFAIL = 1 << 2,
    CN_FAIL = 1 << 3,
    CN_MYSELF = 1 << 4,
    CN_HANDSHAKE = 1 << 5,
    CN_NOADDR = 1 << 6,
    CN_MEET = 1 << 7,
    CN_MIGRATE_TO = 1 << 8,
    CN_NOFAILOVER = 1 << 9,
};

enum cluster_health { CLUSTER_OK = 0, CLUSTER_FAIL = 1 };

/* One known node. Plain data: copied wholesale into every snapshot. */
struct cluster_node {
    char id[CLUSTER_NAMELEN + 1];   /* NUL-terminated */
    char ip[CLUSTER_IPLEN];         /* "" while unknown */
    char hostname[CLUSTER_HOSTLEN]; /* "" when none was announced */
    int port;                       /* client (plaintext) port */
    int cport;                      /* cluster bus port */
    uint32_t flags;                 /* enum cluster_node_flag */
    int16_t master;                 /* index of my master in nodes[], -1 */
    int64_t ping_sent;              /* unix ms, 0 = no ping in flight */
    int64_t pong_recv;              /* unix ms of the last PONG */
    int64_t fail_time;              /* unix ms when FAIL was set */
    uint64_t config_epoch;
    int64_t repl_offset;            /* last known replication offset */
    bool link_connected;            /* an outbound bus link exists (myself: always) */
    int nslots;                     /* slots owned (filled by cluster_snap_finish) */
    int fail_reports;               /* valid failure reports (cluster thread) */
};

struct cluster_snap {
    uint64_t version;          /* increases with every publish */
    uint64_t current_epoch;
    uint64_t last_vote_epoch;
    /* OK/FAIL both ways, so CONFIG SET cluster-require-full-coverage takes
     * effect at once without a republish: read via cluster_snap_state. */
    int state_full_coverage;   /* enum cluster_health, coverage required */
    int state_partial;         /* enum cluster_health, coverage not required */
    int size;                  /* masters owning >= 1 slot */
    /* Set by the cluster thread during the boot writable delay and the
     * rejoin delay (cluster-algorithms.md §5): both states read FAIL. */
    bool hold_fail;
    int myself;                /* index of myself in nodes[] */
    int nnodes;
    int cap;                   /* allocated entries in nodes[] (writer side) */
    struct cluster_node *nodes;
    /* Slot tables: node indexes, -1 = none. */
    int16_t owner[CLUSTER_SLOTS];
    int16_t migrating_to[CLUSTER_SLOTS];   /* I am migrating the slot to this node */
    int16_t importing_from[CLUSTER_SLOTS]; /* I am importing the slot from this node */
    /* CLUSTER INFO counters, computed by cluster_snap_finish. */
    int slots_assigned;
    int slots_ok;
    int slots_pfail;
    int slots_fail;
};

/* ---- Building (writer side) ---- */
/* A new empty state: no nodes, every slot unowned, epochs 0. */
struct cluster_snap *cluster_snap_create(void);
/* A deep copy (nodes array included). */
struct cluster_snap *cluster_snap_dup(const struct cluster_snap *s);
void cluster_snap_destroy(struct cluster_snap **s);
/* Append a node (zeroed except the fields given); returns its index.
 * Grows nodes[]: only valid on an unpublished copy. */
int cluster_snap_add_node(struct cluster_snap *s, const char *id, uint32_t flags);
/* Remove node idx (unpublished copy only): its slots become unowned,
 * importing/migrating marks naming it are cleared, its replicas lose their
 * master, and every index above idx moves down by one. */
void cluster_snap_del_node(struct cluster_snap *s, int idx);
/* Index of the node whose ID is id (len bytes), or -1. */
int cluster_snap_find(const struct cluster_snap *s, const char *id, size_t len);
/* Recompute per-node slot counts, CLUSTER INFO counters, size and the
 * OK/FAIL state (cluster-algorithms.md §5): FAIL if coverage is required
 * and some slot is unowned or owned by a FAIL node, or if fewer than
 * size/2+1 slot-owning masters are reachable (neither PFAIL nor FAIL).
 * (The boot-time writable delay and the rejoin delay belong to the cluster
 * thread's state machine, which can override both states afterwards.) */
void cluster_snap_finish(struct cluster_snap *s);
/* The state under the current cluster-require-full-coverage setting. */
int cluster_snap_state(const struct cluster_snap *s);

/* ---- Publication and reading ---- */
/* Publish s (the caller gives up ownership; s must not change afterwards).
 * The previous snapshot is retired and freed after a grace period (via the
 * calling thread's rcu_poll). Writers must be serialized by the caller. */
void cluster_snap_publish(struct cluster_snap *s);
/* The current snapshot, or NULL before the first publish (cluster mode off).
 * Only valid between cluster_read_begin and cluster_read_end. */
const struct cluster_snap *cluster_snap_get(void);
/* Each reader thread may call this once at start (else the first
 * cluster_read_begin does it). */
void cluster_reader_register(void);
/* A read section; may nest. Workers wrap each loop turn in one. */
void cluster_read_begin(void);
void cluster_read_end(void);
/* Free every retired snapshot of this thread after waiting for readers, and
 * at shutdown the current one too (teardown, tests). */
void cluster_snap_reclaim(bool free_current);

/* ---- Queries on a snapshot ---- */
static inline const struct cluster_node *
cluster_snap_myself(const struct cluster_snap *s)
{
    return &s->nodes[s->myself];
}
/* Endpoint text for redirections and CLUSTER SLOTS, per
 * cluster-preferred-endpoint-type: the IP, the hostname ("?" if none), or ""
 * for unknown-endpoint. */
const char *cluster_node_endpoint(const struct cluster_node *n);

/* ---- Redirection ---- */
/* Decide where a keyed command on `slot` runs (cluster-commands.md §2, rules
 * 1, 3, 6, 7, 8). client_flags are enum client_flag bits: CL_READONLY, and
 * CL_ASKING, which the dispatcher also sets for commands with CMD_ASKING.
 * Returns 0 = execute here, 1 = a redirection or error was written to r:
 *   -CLUSTERDOWN Hash slot not served
 *   -CLUSTERDOWN The cluster is down
 *   -CLUSTERDOWN The cluster is down and only accepts read commands
 *   -MOVED <slot> <endpoint>:<port>
 * A slot I am MIGRATING also returns 0: whether all keys exist is known only
 * on the worker holding them, which then uses cluster_slot_migrating and
 * cluster_reply_ask / CLUSTER_ERR_TRYAGAIN (rule 5). A slot I am IMPORTING
 * returns 0 only with ASKING; the multi-key TRYAGAIN check of rule 6 is also
 * the executing worker's. s == NULL (cluster mode off) returns 0. */
int cluster_route(const struct cluster_snap *s, uint16_t slot, bool is_write, uint32_t client_flags,
                  struct reply *r);
/* Target node index when I am migrating slot, else -1. */
static inline int
cluster_slot_migrating(const struct cluster_snap *s, uint16_t slot)
{
    return s->migrating_to[slot];
}
/* -ASK <slot> <endpoint>:<port> towards the migration target of slot. */
void cluster_reply_ask(const struct cluster_snap *s, uint16_t slot, struct reply *r);
/* -MOVED <slot> <endpoint>:<port> towards node index. */
void cluster_reply_moved(const struct cluster_snap *s, uint16_t slot, int node, struct reply *r);

#define CLUSTER_ERR_NOT_SERVED "CLUSTERDOWN Hash slot not served"
#define CLUSTER_ERR_DOWN "CLUSTERDOWN The cluster is down"
#define CLUSTER_ERR_DOWN_RO "CLUSTERDOWN The cluster is down and only accepts read commands"
#define CLUSTER_ERR_TRYAGAIN "TRYAGAIN Multiple keys request during rehashing of slot"

#endif
