/* bus_int.h: the cluster thread's private state, shared by its files.
 *
 *   bus_link.c   the thread, its io_uring, listeners, links (connect, read,
 *                frame, write), start/stop
 *   bus_proto.c  what a received message does to the cluster state; message
 *                building (header, gossip) and broadcasting
 *   bus_pubsub.c PUBLISH / SPUBLISH to and from other nodes
 *   bus_cron.c   the 100 ms cron: links to create, pings, PFAIL, handshake
 *                expiry, failure reports, cluster state and its delays
 *
 * Everything here is touched only by the cluster thread while it holds
 * cluster_lock() (it takes the lock for each loop turn). Admin commands
 * (CLUSTER LINKS, FORGET, RESET...) run on this thread too, posted by the
 * workers (cluster_post.c) and applied in bus_post_drain, after the
 * completions and the cron of a turn. Node references across loop turns
 * are node IDs, never indexes: an admin command may delete nodes (FORGET,
 * RESET). Between two drains, under the lock, indexes into
 * cluster_mc()->nodes are stable. */
#ifndef TESSERA_BUS_INT_H
#define TESSERA_BUS_INT_H

#include "cluster/bus_msg.h"
#include "cluster/cluster.h"
#include "core/buf.h"
#include "core/common.h"
#include "core/config.h"

#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>

struct bus_link {
    int fd;
    bool outbound;          /* we connected (to node); else accepted */
    bool connected;         /* outbound: connect completed */
    bool closing;           /* freed when no operation is in flight */
    bool recv_armed;
    bool send_armed;
    int inflight;           /* SQEs not yet completed */
    char node[CLUSTER_NAMELEN + 1]; /* owner node ID; "" = inbound, not yet identified */
    int64_t ctime;          /* unix ms of creation (CLUSTER LINKS create-time) */
    struct sockaddr_storage addr; /* outbound: target; inbound: peer */
    socklen_t addrlen;
    char peer_ip[CLUSTER_IPLEN];  /* inbound: the peer's address */
    struct ts_buf in;       /* received bytes not yet framed */
    struct ts_buf out;      /* queued for the next send */
    struct ts_buf sending;  /* the send in flight */
    size_t sent;            /* bytes of `sending` already written */
    struct bus_link *next;  /* every link, for the loop and CLUSTER LINKS */
};

struct bus_report {
    char reporter[CLUSTER_NAMELEN];
    int64_t time;
};

/* What the cluster thread keeps per node beyond the snapshot fields. */
struct bus_peer {
    char id[CLUSTER_NAMELEN + 1];
    struct bus_link *out;   /* our outbound link to it */
    struct bus_link *in;    /* its link to us, once identified */
    int64_t ctime;          /* first seen (handshake expiry) */
    int64_t data_received;  /* unix ms of the last message from it */
    int64_t voted_time;     /* last vote given to one of its replicas */
    int64_t next_connect;   /* no connect attempt before this (back-off) */
    int connect_fails;      /* consecutive failed connects */
    struct bus_report *reports;
    int nreports;
    int capreports;
    int64_t orphaned_time;  /* a master: orphaned since (replica migration), 0 = not */
    bool seen;              /* reconciliation mark (bus_cron.c) */
};

/* The FORGET ban list: IDs gossip may not re-add for 60 s. */
struct bus_ban {
    char id[CLUSTER_NAMELEN];
    int64_t until;
};

/* This node's elections and manual failovers (bus_failover.c,
 * cluster-algorithms.md §8, §10), and what replication was last told. */
struct bus_fo {
    int64_t auth_time;      /* failover_auth_time: votes may be asked from then on */
    uint64_t auth_epoch;    /* the currentEpoch our AUTH_REQUEST carried */
    int auth_count;         /* AUTH_ACKs counted for auth_epoch */
    bool auth_sent;         /* AUTH_REQUEST sent for this attempt */
    int auth_rank;          /* our rank when the attempt was scheduled */
    int64_t wake_at;        /* the cluster thread wakes then to ask for votes, 0 = no */
    int cant_reason;        /* last "Currently unable to failover" reason logged */
    int64_t cant_logged;    /* when it was logged */
    int64_t mf_end;         /* manual failover deadline (either side), 0 = none */
    char mf_replica[CLUSTER_NAMELEN + 1]; /* master side: the replica that asked */
    bool mf_paused;         /* master side: repl_mf_pause_writes is in force */
    bool mf_can_start;      /* replica side: offsets agree (or FORCE) */
    int64_t mf_master_offset; /* replica side: the master's paused offset, -1 = not yet */
    /* The last role given to replication: a change of role, of master or
     * of its address makes exactly one repl_set_master / repl_promote. */
    bool repl_replica;
    char repl_master[CLUSTER_NAMELEN + 1];
    char repl_ip[CLUSTER_IPLEN];
    int repl_port;
};

struct bus_state {
    int64_t now;            /* unix ms, refreshed every loop turn */
    struct bus_peer *peers;
    int npeers, cappeers;
    struct bus_link *links;
    struct bus_ban *bans;
    int nbans, capbans;
    /* Slots whose owner stopped claiming them (cluster-algorithms.md §7). */
    uint8_t not_claimed[BUS_SLOT_BYTES];
    bool dirty_save;        /* nodes.conf must be written this turn */
    bool dirty_publish;     /* a snapshot must be published this turn */
    uint64_t iteration;     /* cron runs */
    int64_t first_state_eval;
    int64_t among_minority_time;
    int pfail_count;        /* PFAIL nodes at the last cron, for gossip */
    struct bus_fo fo;
    struct ts_buf scratch;  /* message building */
};

extern struct bus_state g_bus;

/* Message counters for CLUSTER INFO (relaxed atomics: read by workers). */
extern uint64_t g_bus_sent[BUS_TYPE_COUNT];
extern uint64_t g_bus_recv[BUS_TYPE_COUNT];
extern uint64_t g_bus_links_limit_exceeded;

/* ---- bus_link.c ---- */
/* Open an outbound link to node idx of mc (ip:cport) and start connecting;
 * NULL when the address cannot be parsed (NOADDR-like). */
struct bus_link *bus_link_connect(struct cluster_snap *mc, int idx);
/* A connect to node id failed or timed out: back off before the next. */
void bus_connect_failed(const char *id);
/* Close a link (its peer forgets it); freed once its I/O has completed. */
void bus_link_close(struct bus_link *l);
/* Queue bytes on a link; sent at the end of the loop turn. */
void bus_link_write(struct bus_link *l, const void *p, size_t n);

/* ---- bus_proto.c ---- */
/* A complete message arrived on l. */
void bus_handle_msg(struct bus_link *l, const uint8_t *buf, size_t len);
/* An outbound link finished connecting: send MEET or PING. */
void bus_link_established(struct bus_link *l);
/* Send a PING/PONG/MEET to node idx over link l. */
void bus_send_ping(struct bus_link *l, int type);
/* Send a message to every node with an outbound link (not handshake). */
void bus_broadcast(const struct bus_out *o);
/* The same, only to master index group and its replicas (-1: every node). */
void bus_send_shard(const struct bus_out *o, int group);
/* Fill the common header fields from the master copy. */
void bus_fill_header(struct bus_hdr *h, int type);
/* Broadcast FAIL about node idx. */
void bus_send_fail(int idx);

/* ---- bus_pubsub.c ---- */
extern int g_bus_wake_fd; /* eventfd: workers queued a PUBLISH */
void bus_pubsub_install(void);
void bus_pubsub_drain(void);
void bus_pubsub_receive(const struct bus_msg *m);
void bus_pubsub_discard(void);

/* ---- cluster_post.c: admin commands posted by workers ---- */
/* Create one ring per worker and start accepting posts (before the thread). */
void bus_post_start(int nworkers);
/* Under cluster_lock: apply every queued command; replies wait. */
void bus_post_drain(void);
/* After the turn's save (its result, 0 if none): send the replies. */
void bus_post_finish(int save_rc);
/* After the thread stopped: refuse what is queued, free the rings. */
void bus_post_stop(void);

/* ---- bus_cron.c ---- */
void bus_cron(void);
/* The peer entry of a node ID (created when missing). */
struct bus_peer *bus_peer_get(const char *id);
struct bus_peer *bus_peer_find(const char *id);
/* Forget a node: close its links, drop its peer entry and every failure
 * report it filed; then delete it from mc. */
void bus_node_delete(struct cluster_snap *mc, int idx);
/* Rename a node (handshake completed) in mc and the peer table. */
void bus_node_rename(struct cluster_snap *mc, int idx, const char *newid);
/* Failure reports. */
void bus_report_add(const char *node, const char *reporter);
void bus_report_del(const char *node, const char *reporter);
int bus_report_count(const char *node);
/* PFAIL -> FAIL promotion check for node idx. */
void bus_mark_fail_if_needed(struct cluster_snap *mc, int idx);
/* FAIL -> clear check after a PONG from node idx. */
void bus_clear_fail_if_needed(struct cluster_snap *mc, int idx);
bool bus_banned(const char *id);
void bus_ban(const char *id);
/* Re-evaluate the state (with the boot and rejoin delays). */
void bus_update_state(struct cluster_snap *mc);

/* ---- bus_failover.c: the replica side of elections, manual failover ---- */
/* Every received header (known, non-handshake sender s): a paused master's
 * offset during our manual failover. */
void bus_fo_on_header(struct cluster_snap *mc, int s, const struct bus_msg *m);
/* FAILOVER_AUTH_ACK from s: one vote if it counts; may win the election. */
void bus_fo_on_auth_ack(struct cluster_snap *mc, int s, const struct bus_msg *m);
/* MFSTART from s: the master side of a manual failover. */
void bus_fo_on_mfstart(struct cluster_snap *mc, int s);
/* From the cron: NOFAILOVER flag, manual failover timeout and pings,
 * election, replica migration, replication role. */
void bus_fo_cron(struct cluster_snap *mc);
/* When an election waiting out its delay may ask for votes (INT64_MAX:
 * none waiting), and the election step to run then. */
int64_t bus_fo_due(void);
void bus_fo_tick(struct cluster_snap *mc);
/* After each received message: a manual failover whose paused offset just
 * arrived starts at once; replication follows role changes. */
void bus_fo_after_msg(struct cluster_snap *mc);
/* Tell replication about a change of myself's role, master or master
 * address (repl_set_master / repl_promote); cheap when nothing changed. */
void bus_fo_sync_repl(struct cluster_snap *mc);
/* CLUSTER FAILOVER on this node (mode: enum bus_fo_mode). NULL, or the
 * error reply text. */
enum bus_fo_mode { BUS_FO_DEFAULT, BUS_FO_FORCE, BUS_FO_TAKEOVER };
const char *bus_fo_manual(struct cluster_snap *mc, int mode);
/* Node idx now replicates master (-1: none, it became a master): the new
 * master gets MIGRATE_TO, the old one loses it if this was its last
 * replica (§11). */
void bus_set_master(struct cluster_snap *mc, int idx, int master);
/* End any manual failover (unpausing writes on a master). */
void bus_fo_mf_reset(void);
/* True if PAUSED goes in the headers we build (master in a manual
 * failover whose offset has settled). */
bool bus_fo_paused(const struct cluster_snap *mc);
/* Pure parts, exposed for the unit tests. */
/* Rank of a replica at offset my_offset among the other replicas of its
 * master (those not flagged NOFAILOVER with a larger advertised offset). */
int bus_fo_rank(const struct cluster_snap *mc, int64_t my_offset);
/* Election delay for a rank at node timeout T; rnd is any random number. */
int64_t bus_fo_delay(int64_t T, int rank, unsigned rnd);
/* Extra delay per rank step. */
int64_t bus_fo_rank_step(int64_t T);
/* Votes needed out of size slot-owning masters. */
static inline int
bus_fo_quorum(int size)
{
    return size / 2 + 1;
}

/* ---- bus_migrate.c: replica migration (cluster-algorithms.md §11) ---- */
/* From the cron when myself is a replica. */
void bus_migrate_check(struct cluster_snap *mc);
/* Master s just got its first slots: if some master has replicas, s becomes
 * a migration target (MIGRATE_TO), as in Redis. */
void bus_migrate_first_slots(struct cluster_snap *mc, int s);

/* cluster-node-timeout ("T" in cluster-algorithms.md), read each use:
 * CONFIG SET may change it. */
static inline int64_t
bus_node_timeout(void)
{
    long long t = __atomic_load_n(&g_cfg.cluster_node_timeout, __ATOMIC_RELAXED);
    return t > 0 ? t : 1;
}

#endif
