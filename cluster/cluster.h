/* cluster.h: cluster mode, the public side.
 *
 * The cluster state has one writable "master copy" (a struct cluster_snap,
 * core/cluster_state.h) owned by whoever holds the cluster writer mutex: the
 * cluster thread, which also runs the admin CLUSTER commands workers post
 * to it (cluster_post.c); setup, and tests without a cluster thread. Every
 * change is followed by cluster_mc_publish(), which freezes a copy for the
 * lock-free readers; the mutex is never taken on the request path (workers
 * only read snapshots).
 *
 *   cluster_lock();
 *   struct cluster_snap *mc = cluster_mc();
 *   ... change mc ...
 *   cluster_mc_save();      (nodes.conf, atomically)
 *   cluster_mc_publish();
 *   cluster_unlock();
 *
 * nodes.conf is Redis 7.0's format (cluster-algorithms.md §13): CLUSTER
 * NODES lines minus HANDSHAKE nodes, then "vars currentEpoch N lastVoteEpoch
 * M". It is replaced atomically (temp file in the same directory, fsync,
 * rename, fsync of the directory) and flock'ed for the process lifetime so
 * two servers cannot share one file.
 */
#ifndef TESSERA_CLUSTER_H
#define TESSERA_CLUSTER_H

#include "core/buf.h"
#include "core/cluster_state.h"
#include "core/common.h"

struct cmd_def;

/* ---- Start-up (main) ---- */
/* When g_cfg.cluster_enabled: lock and load nodes.conf (cluster-config-file,
 * relative to the working directory) or create it with a new node ID;
 * myself's port/cport/ip/hostname come from the config (cport =
 * cluster-port, or port + 10000); save; publish the first snapshot.
 * Returns 0, or -errno after logging why (corrupt file: "Unrecoverable
 * error: corrupted cluster config file "<line>"."; file locked by another
 * node). The caller must refuse to start (exit) on failure. */
int cluster_setup(void);
/* Release the lock fd and free the state (shutdown, tests). */
void cluster_teardown(void);
/* Register CLUSTER and READONLY/READWRITE/ASKING. Call in every mode: with
 * cluster-enabled no they answer "-ERR This instance has cluster support
 * disabled". Before workers start. */
void cluster_register_commands(void);
/* The command table itself (tests). */
const struct cmd_def *cluster_command_table(void);

/* Start the cluster thread (bus listener on cluster-port or port+10000,
 * links, gossip, failure detection) after the workers run; 0 or -errno
 * (logged). No-op with cluster-enabled no. */
int cluster_bus_start(void);
/* Stop and join it, closing every link (shutdown). */
void cluster_bus_stop(void);
/* CLUSTER LINKS reply; under cluster_lock. */
struct reply;
void cluster_bus_links_reply(struct reply *r);
/* Forget a node (CLUSTER FORGET): ban its ID from gossip for 60 s. Under
 * cluster_lock; the caller deletes the node from the master copy. */
void cluster_bus_ban(const char *id);
/* Clear the bus's private state (CLUSTER RESET). Under cluster_lock. */
void cluster_bus_reset(void);
/* Ask the cluster thread to send a PONG to every node on its next turn
 * (after an admin change of my role or slots). Any thread, lock-free. */
void cluster_bus_request_pong(void);
/* Message counters for CLUSTER INFO. */
void cluster_bus_stats_text(struct ts_buf *out);
/* Myself's address and hostname from the config (announce-* directives,
 * port, cluster-port); true if anything changed. */
bool cluster_apply_my_address(struct cluster_snap *s);

/* ---- Runtime hooks ---- */
/* The runtime calls this with the local address of an accepted client
 * connection ("127.0.0.1", "::1", "::ffff:10.0.0.1" is unmapped). While
 * my IP is unknown (no cluster-announce-ip, no MEET yet) it becomes my IP,
 * so CLUSTER NODES/SLOTS show the address clients use. Lock-free and cheap
 * once the IP is known; safe from any thread. */
void cluster_set_my_ip_if_unknown(const char *ip);
/* Recompute and republish the state (CONFIG SET of
 * cluster-require-full-coverage needs nothing: snapshots carry both
 * outcomes, see cluster_snap_state). */
void cluster_refresh_state(void);
/* INFO "# Cluster" section body: "cluster_enabled:0|1\r\n". */
void cluster_info_section(struct ts_buf *out);
/* CLUSTER INFO text (cluster-commands.md §5.1), appended to out. */
void cluster_info_text(const struct cluster_snap *s, struct ts_buf *out);

/* ---- Writer side: the master copy ---- */
void cluster_lock(void);
void cluster_unlock(void);
/* The master copy (NULL when cluster mode is off). Under cluster_lock. */
struct cluster_snap *cluster_mc(void);
/* Take ownership of s as the master copy (setup, tests; replaces and frees
 * any previous one) and remember the nodes.conf path (NULL: never saved). */
void cluster_mc_install(struct cluster_snap *s, const char *conf_path);
/* Recompute state and publish a frozen copy. Under cluster_lock. */
void cluster_mc_publish(void);
/* Write nodes.conf (atomic replace + fsync). 0 or -errno. Under cluster_lock. */
int cluster_mc_save(void);
/* The same in two steps, so the fsync can happen outside cluster_lock:
 * begin (under the lock) formats the master copy into out and returns its
 * sequence number (0: nothing to save); finish (without the lock) writes it
 * unless a newer text was already written. */
uint64_t cluster_mc_save_begin(struct ts_buf *out);
int cluster_mc_save_finish(const struct ts_buf *text, uint64_t seq);
/* Bump my configEpoch without consensus (cluster-algorithms.md §6): true if
 * bumped. Under cluster_lock; the caller saves and publishes. */
bool cluster_mc_bump_epoch(struct cluster_snap *mc);

/* ---- Node IDs and text formats ---- */
/* 40 random lowercase hex chars + NUL (getrandom). */
void cluster_node_gen_id(char out[CLUSTER_NAMELEN + 1]);
/* True if id is exactly 40 chars of [a-z0-9] (nodes.conf / bus rule). */
bool cluster_id_valid(const char *id, size_t len);
/* Append node idx's CLUSTER NODES line (no trailing newline). */
void cluster_node_describe(const struct cluster_snap *s, int idx, struct ts_buf *out);
/* CLUSTER NODES text: every node (handshake ones included) with "\n" each. */
void cluster_nodes_text(const struct cluster_snap *s, struct ts_buf *out);
/* nodes.conf content: non-handshake nodes, then the vars line. */
void cluster_config_format(const struct cluster_snap *s, struct ts_buf *out);
/* Parse nodes.conf text. Returns a new state (myself set, currentEpoch
 * raised to the largest configEpoch), or NULL with the complete error line
 * in err: Unrecoverable error: corrupted cluster config file "<line>". */
struct cluster_snap *cluster_config_parse(const char *text, size_t len, int64_t now_ms, char *err,
                                          size_t errlen);
/* Replace path atomically with content (temp file, fsync, rename, fsync
 * dir). If this process holds the lock on path, it is moved to the new file.
 * 0 or -errno. */
int cluster_config_write(const char *path, const char *content, size_t len);
/* flock(LOCK_EX|LOCK_NB) path (created if missing) for the process lifetime.
 * 0, -EWOULDBLOCK when another process holds it, or -errno. */
int cluster_config_lock(const char *path);
void cluster_config_unlock(void);

#endif
