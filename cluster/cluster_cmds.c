/* cluster_cmds.c: the CLUSTER command and its subcommands for a node that
 * does not talk to others yet (single-node cluster mode), plus ASKING,
 * READONLY and READWRITE. Reply formats and error texts are Redis 7.0's
 * (cluster-commands.md §3-5).
 *
 * Read-only subcommands answer from the published snapshot; the ones that
 * change the state take the cluster writer mutex, change the master copy,
 * save nodes.conf and publish (cluster.h). Subcommands that need the keys of
 * one slot re-run on the worker owning that slot (cmd_forward); FLUSHSLOTS
 * asks every worker whether it holds keys (cmd_fanout). */
#include "cluster/cluster.h"
#include "cluster/cluster_cmds_int.h"

#include "core/client.h"
#include "core/cmd.h"
#include "core/config.h"
#include "core/keyspace.h"
#include "core/log.h"
#include "core/reply.h"
#include "core/shard.h"
#include "replication/repl.h"
#include "core/slot.h"
#include "core/slot_move.h"
#include "core/slotmap.h"

#include <errno.h>
#include <stdio.h>

#define ERR_DISABLED "ERR This instance has cluster support disabled"

/* Every subcommand starts here: with cluster-enabled no, Redis refuses all
 * of them (even HELP and KEYSLOT). */
bool
cl_enabled(struct cmd_ctx *c)
{
    if (g_cfg.cluster_enabled)
        return true;
    reply_error(c->r, ERR_DISABLED);
    return false;
}

/* Exact argument counts are checked here too (the table's arities are
 * Redis's minimums); a wrong count answers like an unknown subcommand. */
bool
cl_argc(struct cmd_ctx *c, int want)
{
    if (c->argc == want)
        return true;
    cmd_reply_unknown_sub(c);
    return false;
}

/* A slot argument: integer in 0..16383, else Redis's one error text. */
static bool
cl_parse_slot(struct cmd_ctx *c, struct sv a, int *slot)
{
    long long v;
    if (!ts_str_to_ll(a.ptr, a.len, &v) || v < 0 || v >= CLUSTER_SLOTS) {
        reply_error(c->r, "ERR Invalid or out of range slot");
        return false;
    }
    *slot = (int)v;
    return true;
}

/* Read-side helpers: the snapshot is used inside a (possibly nested) read
 * section, so these work on workers and in tests alike. */
static const struct cluster_snap *
cl_snap_begin(void)
{
    cluster_read_begin();
    return cluster_snap_get();
}

/* ---- HELP ---- */

static void
cluster_cmd_help(struct cmd_ctx *c)
{
    static const char *lines[] = {
        "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ADDSLOTS <slot> [<slot> ...]",
        "    Claim the listed hash slots for this node.",
        "ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
        "    Claim every hash slot in the listed inclusive ranges for this node.",
        "BUMPEPOCH",
        "    Raise this node's config epoch to the highest known one plus one, if needed.",
        "COUNT-FAILURE-REPORTS <node-id>",
        "    Number of failure reports other nodes sent about <node-id>.",
        "COUNTKEYSINSLOT <slot>",
        "    Number of keys stored in <slot>.",
        "DELSLOTS <slot> [<slot> ...]",
        "    Stop serving the listed hash slots.",
        "DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
        "    Stop serving every hash slot in the listed inclusive ranges.",
        "FAILOVER [FORCE|TAKEOVER]",
        "    Make this replica its master's successor: after the master stops writes (default), without",
        "    asking the master (FORCE), or without the other masters' votes (TAKEOVER).",
        "FORGET <node-id>",
        "    Remove a node from the node table and ban it from gossip for 60 seconds.",
        "FLUSHSLOTS",
        "    Drop every slot assignment of this node (the database must be empty).",
        "GETKEYSINSLOT <slot> <count>",
        "    Up to <count> key names stored in <slot>.",
        "INFO",
        "    Cluster state and counters.",
        "KEYSLOT <key>",
        "    Hash slot of <key>.",
        "LINKS",
        "    The cluster bus links of this node.",
        "MEET <ip> <port> [<bus-port>]",
        "    Connect to the node at <ip>:<port> and add it to the cluster.",
        "MYID",
        "    This node's ID.",
        "NODES",
        "    The node table, one line per node.",
        "REPLICAS <node-id>",
        "    The replicas of master <node-id>, one CLUSTER NODES line each (also SLAVES).",
        "REPLICATE <node-id>",
        "    Become a replica of master <node-id>.",
        "RESET [HARD|SOFT]",
        "    Forget every other node and every slot; HARD also renews the ID and zeroes the epochs.",
        "SAVECONFIG",
        "    Write the cluster configuration file now.",
        "SET-CONFIG-EPOCH <epoch>",
        "    Set the config epoch of a node that knows no other node.",
        "SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
        "    Set a hash slot's resharding state or owner.",
        "SHARDS",
        "    Shards of the cluster: slot ranges and nodes.",
        "SLOTS",
        "    Slot ranges with the nodes serving them.",
        "HELP",
        "    Print this help.",
    };
    if (!cl_enabled(c) || !cl_argc(c, 2))
        return;
    reply_array(c->r, (long)ARRAY_SIZE(lines));
    for (size_t i = 0; i < ARRAY_SIZE(lines); i++)
        reply_simple(c->r, lines[i]);
}

/* ---- Informational ---- */

static void
cluster_cmd_keyslot(struct cmd_ctx *c)
{
    if (!cl_enabled(c) || !cl_argc(c, 3))
        return;
    reply_int(c->r, slot_of_sv(c->argv[2]));
}

static void
cluster_cmd_myid(struct cmd_ctx *c)
{
    if (!cl_enabled(c) || !cl_argc(c, 2))
        return;
    const struct cluster_snap *s = cl_snap_begin();
    reply_bulk(c->r, cluster_snap_myself(s)->id, CLUSTER_NAMELEN);
    cluster_read_end();
}

void
cluster_info_text(const struct cluster_snap *s, struct ts_buf *out)
{
    const struct cluster_node *me = cluster_snap_myself(s);
    uint64_t my_epoch = me->config_epoch;
    if ((me->flags & CN_SLAVE) && me->master >= 0)
        my_epoch = s->nodes[me->master].config_epoch;
    char tmp[1024];
    int n = snprintf(tmp, sizeof(tmp),
                     "cluster_state:%s\r\n"
                     "cluster_slots_assigned:%d\r\n"
                     "cluster_slots_ok:%d\r\n"
                     "cluster_slots_pfail:%d\r\n"
                     "cluster_slots_fail:%d\r\n"
                     "cluster_known_nodes:%d\r\n"
                     "cluster_size:%d\r\n"
                     "cluster_current_epoch:%llu\r\n"
                     "cluster_my_epoch:%llu\r\n",
                     cluster_snap_state(s) == CLUSTER_OK ? "ok" : "fail", s->slots_assigned, s->slots_ok, s->slots_pfail,
                     s->slots_fail, s->nnodes, s->size, (unsigned long long)s->current_epoch,
                     (unsigned long long)my_epoch);
    ts_buf_append(out, tmp, (size_t)n);
    cluster_bus_stats_text(out); /* per-type lines only for types seen */
}

void
cluster_info_section(struct ts_buf *out)
{
    const char *t = g_cfg.cluster_enabled ? "cluster_enabled:1\r\n" : "cluster_enabled:0\r\n";
    ts_buf_append(out, t, strlen(t));
}

static void
cluster_cmd_info(struct cmd_ctx *c)
{
    if (!cl_enabled(c) || !cl_argc(c, 2))
        return;
    struct ts_buf b = {0};
    cluster_info_text(cl_snap_begin(), &b);
    cluster_read_end();
    reply_verbatim(c->r, b.data, b.len, "txt");
    ts_buf_free(&b);
}

static void
cluster_cmd_nodes(struct cmd_ctx *c)
{
    if (!cl_enabled(c) || !cl_argc(c, 2))
        return;
    struct ts_buf b = {0};
    cluster_nodes_text(cl_snap_begin(), &b);
    cluster_read_end();
    reply_verbatim(c->r, b.data, b.len, "txt");
    ts_buf_free(&b);
}

/* One node of a CLUSTER SLOTS entry: [endpoint, port, id, metadata]. The
 * metadata carries what the endpoint did not already say. */
static void
slots_node(struct reply *r, const struct cluster_node *n)
{
    int type = g_cfg.cluster_preferred_endpoint_type;
    reply_array(r, 4);
    if (type == ENDPOINT_UNKNOWN)
        reply_null(r);
    else
        reply_bulk_cstr(r, cluster_node_endpoint(n));
    reply_int(r, n->port);
    reply_bulk(r, n->id, CLUSTER_NAMELEN);
    bool with_ip = type != ENDPOINT_IP;
    bool with_host = n->hostname[0] && type != ENDPOINT_HOSTNAME;
    reply_map(r, (long)with_ip + (long)with_host);
    if (with_ip) {
        reply_bulk_cstr(r, "ip");
        reply_bulk_cstr(r, n->ip);
    }
    if (with_host) {
        reply_bulk_cstr(r, "hostname");
        reply_bulk_cstr(r, n->hostname);
    }
}

/* A node's replication offset: myself's is the live one (the snapshot
 * holds what the bus last carried for the others). */
static int64_t
node_repl_offset(const struct cluster_snap *s, const struct cluster_node *n)
{
    return n == &s->nodes[s->myself] ? repl_offset() : n->repl_offset;
}

/* Replicas shown by CLUSTER SLOTS: not FAIL and synced at least once. */
static bool
slots_replica_shown(const struct cluster_snap *s, const struct cluster_node *n, int master)
{
    return n->master == master && (n->flags & CN_SLAVE) && !(n->flags & CN_FAIL) && node_repl_offset(s, n) != 0;
}

static void
cluster_cmd_slots(struct cmd_ctx *c)
{
    if (!cl_enabled(c) || !cl_argc(c, 2))
        return;
    const struct cluster_snap *s = cl_snap_begin();
    long runs = 0;
    for (int j = 0; j < CLUSTER_SLOTS; j++)
        if (s->owner[j] >= 0 && (j == 0 || s->owner[j - 1] != s->owner[j]))
            runs++;
    reply_array(c->r, runs);
    for (int j = 0; j < CLUSTER_SLOTS; j++) {
        int o = s->owner[j];
        if (o < 0)
            continue;
        int start = j;
        while (j + 1 < CLUSTER_SLOTS && s->owner[j + 1] == o)
            j++;
        long nrep = 0;
        for (int i = 0; i < s->nnodes; i++)
            nrep += slots_replica_shown(s, &s->nodes[i], o);
        reply_array(c->r, 3 + nrep);
        reply_int(c->r, start);
        reply_int(c->r, j);
        slots_node(c->r, &s->nodes[o]);
        for (int i = 0; i < s->nnodes; i++)
            if (slots_replica_shown(s, &s->nodes[i], o))
                slots_node(c->r, &s->nodes[i]);
    }
    cluster_read_end();
}

static void
shards_node(struct reply *r, const struct cluster_snap *s, int idx)
{
    const struct cluster_node *n = &s->nodes[idx];
    bool master = !(n->flags & CN_SLAVE);
    int64_t off = node_repl_offset(s, n);
    const char *health = (n->flags & CN_FAIL) ? "fail" : (!master && off == 0) ? "loading" : "online";
    reply_map(r, 6 + (n->port != 0) + (n->hostname[0] != '\0'));
    reply_bulk_cstr(r, "id");
    reply_bulk(r, n->id, CLUSTER_NAMELEN);
    if (n->port) {
        reply_bulk_cstr(r, "port");
        reply_int(r, n->port);
    }
    reply_bulk_cstr(r, "ip");
    reply_bulk_cstr(r, n->ip);
    reply_bulk_cstr(r, "endpoint");
    reply_bulk_cstr(r, cluster_node_endpoint(n));
    if (n->hostname[0]) {
        reply_bulk_cstr(r, "hostname");
        reply_bulk_cstr(r, n->hostname);
    }
    reply_bulk_cstr(r, "role");
    reply_bulk_cstr(r, master ? "master" : "replica");
    reply_bulk_cstr(r, "replication-offset");
    reply_int(r, off);
    reply_bulk_cstr(r, "health");
    reply_bulk_cstr(r, health);
}

static void
cluster_cmd_shards(struct cmd_ctx *c)
{
    if (!cl_enabled(c) || !cl_argc(c, 2))
        return;
    const struct cluster_snap *s = cl_snap_begin();
    long nmasters = 0;
    for (int i = 0; i < s->nnodes; i++)
        nmasters += (s->nodes[i].flags & CN_MASTER) != 0;
    reply_array(c->r, nmasters);
    for (int m = 0; m < s->nnodes; m++) {
        if (!(s->nodes[m].flags & CN_MASTER))
            continue;
        reply_map(c->r, 2);
        reply_bulk_cstr(c->r, "slots");
        long nranges = 0;
        for (int j = 0; j < CLUSTER_SLOTS; j++)
            if (s->owner[j] == m && (j == 0 || s->owner[j - 1] != m))
                nranges++;
        reply_array(c->r, 2 * nranges);
        for (int j = 0; j < CLUSTER_SLOTS; j++) {
            if (s->owner[j] != m)
                continue;
            int start = j;
            while (j + 1 < CLUSTER_SLOTS && s->owner[j + 1] == m)
                j++;
            reply_int(c->r, start);
            reply_int(c->r, j);
        }
        reply_bulk_cstr(c->r, "nodes");
        long nn = 1;
        for (int i = 0; i < s->nnodes; i++)
            nn += s->nodes[i].master == m && (s->nodes[i].flags & CN_SLAVE);
        reply_array(c->r, nn);
        shards_node(c->r, s, m);
        for (int i = 0; i < s->nnodes; i++)
            if (s->nodes[i].master == m && (s->nodes[i].flags & CN_SLAVE))
                shards_node(c->r, s, i);
    }
    cluster_read_end();
}

/* ---- Keys of a slot: run on the worker that holds them ---- */

static void
cluster_cmd_countkeysinslot(struct cmd_ctx *c)
{
    if (!cl_enabled(c) || !cl_argc(c, 3))
        return;
    long long slot;
    if (!ts_str_to_ll(c->argv[2].ptr, c->argv[2].len, &slot)) {
        reply_error(c->r, ERR_NOT_INT);
        return;
    }
    if (slot < 0 || slot >= CLUSTER_SLOTS) {
        reply_error(c->r, "ERR Invalid slot");
        return;
    }
    if (slot_move_where(c->sh->id, (uint16_t)slot) != SLOT_MOVE_RUN) {
        cmd_forward_slot(c, (int)slot);
        return;
    }
    reply_int(c->r, (long long)ks_count_slot(c->sh->ks, (uint16_t)slot));
}

struct getkeys_arg {
    struct reply *r;
    long n;
};

static void
getkeys_visit(void *arg, const struct kv *e)
{
    struct getkeys_arg *a = arg;
    struct sv k = kv_key(e);
    reply_bulk(a->r, k.ptr, k.len);
    a->n++;
}

static void
cluster_cmd_getkeysinslot(struct cmd_ctx *c)
{
    if (!cl_enabled(c) || !cl_argc(c, 4))
        return;
    long long slot, count;
    if (!ts_str_to_ll(c->argv[2].ptr, c->argv[2].len, &slot) ||
        !ts_str_to_ll(c->argv[3].ptr, c->argv[3].len, &count)) {
        reply_error(c->r, ERR_NOT_INT);
        return;
    }
    if (count < 0 || slot < 0 || slot >= CLUSTER_SLOTS) {
        reply_error(c->r, "ERR Invalid slot or number of keys");
        return;
    }
    if (slot_move_where(c->sh->id, (uint16_t)slot) != SLOT_MOVE_RUN) {
        cmd_forward_slot(c, (int)slot);
        return;
    }
    struct getkeys_arg a = {c->r, 0};
    size_t token = reply_defer(c->r);
    if (count > 0)
        ks_slot_keys(c->sh->ks, (uint16_t)slot, (size_t)count, getkeys_visit, &a);
    reply_defer_set(c->r, token, '*', a.n);
}

/* ---- Slot assignment ---- */

/* Apply a change to the master copy: save nodes.conf and publish. A failed
 * save is fatal in Redis ("can't update cluster config file"); here the
 * change stays in memory and is logged, so a full disk does not kill a
 * serving node. */
void
cl_commit_locked(void)
{
    cl_save_locked();
    cluster_mc_publish();
    cluster_bus_request_pong();
}

/* Marks each slot of the request in `seen` and checks ownership, in the
 * order Redis reports problems: busy/unassigned first, then repeats. */
static bool
cl_check_slot(struct cmd_ctx *c, const struct cluster_snap *mc, int slot, bool del, uint8_t *seen)
{
    if (del && mc->owner[slot] < 0) {
        reply_errorf(c->r, "ERR Slot %d is already unassigned", slot);
        return false;
    }
    if (!del && mc->owner[slot] >= 0) {
        reply_errorf(c->r, "ERR Slot %d is already busy", slot);
        return false;
    }
    if (seen[slot]++) {
        reply_errorf(c->r, "ERR Slot %d specified multiple times", slot);
        return false;
    }
    return true;
}

/* A master getting its first slot while some other master has replicas is
 * a replica-migration target (cluster-algorithms.md §11). */
static void
cl_apply_slots(struct cluster_snap *mc, const uint8_t *seen, bool del)
{
    int me = mc->myself;
    bool had_slots = false;
    for (int j = 0; j < CLUSTER_SLOTS && !had_slots; j++)
        had_slots = mc->owner[j] == me;
    for (int j = 0; j < CLUSTER_SLOTS; j++) {
        if (!seen[j])
            continue;
        if (del) {
            mc->owner[j] = -1;
        } else {
            mc->importing_from[j] = -1;
            mc->owner[j] = (int16_t)me;
        }
    }
    if (!del && !had_slots) {
        for (int i = 0; i < mc->nnodes; i++) {
            const struct cluster_node *n = &mc->nodes[i];
            if ((n->flags & CN_SLAVE) && n->master >= 0 && n->master != me) {
                mc->nodes[me].flags |= CN_MIGRATE_TO;
                break;
            }
        }
    }
}

/* Parse the slot arguments of ADDSLOTS / DELSLOTS (range: pairs) into
 * lo[i]..hi[i]; false after replying with Redis's error. */
static bool
cl_slots_parse(struct cmd_ctx *c, bool range, int nr, int *lo, int *hi)
{
    for (int i = 0; i < nr; i++) {
        if (range) {
            if (!cl_parse_slot(c, c->argv[2 + 2 * i], &lo[i]) || !cl_parse_slot(c, c->argv[3 + 2 * i], &hi[i]))
                return false;
            if (lo[i] > hi[i]) {
                reply_errorf(c->r, "ERR start slot number %d is greater than end slot number %d", lo[i], hi[i]);
                return false;
            }
        } else {
            if (!cl_parse_slot(c, c->argv[2 + i], &lo[i]))
                return false;
            hi[i] = lo[i];
        }
    }
    return true;
}

#define CL_SLOTS_DEL 1u
#define CL_SLOTS_RANGE 2u

/* The locked part of ADDSLOTS / DELSLOTS (cl_post): the arguments were
 * checked on the worker; every slot is checked against the master copy
 * before anything is applied, so a failing request changes nothing. */
static void
cl_slots_apply(struct cmd_ctx *c, uint64_t how)
{
    bool del = how & CL_SLOTS_DEL, range = how & CL_SLOTS_RANGE;
    int nr = range ? (c->argc - 2) / 2 : c->argc - 2;
    int *lo = ts_malloc((size_t)nr * sizeof(int)), *hi = ts_malloc((size_t)nr * sizeof(int));
    uint8_t *seen = ts_calloc(CLUSTER_SLOTS, 1);
    if (!cl_slots_parse(c, range, nr, lo, hi))
        goto out; /* not reached: checked before posting */
    struct cluster_snap *mc = cluster_mc();
    for (int i = 0; i < nr; i++)
        for (int j = lo[i]; j <= hi[i]; j++)
            if (!cl_check_slot(c, mc, j, del, seen))
                goto out;
    cl_apply_slots(mc, seen, del);
    cl_commit_locked();
    reply_ok(c->r);
out:
    ts_free(seen);
    ts_free(lo);
    ts_free(hi);
}

/* ADDSLOTS / DELSLOTS and the RANGE forms: syntax and slot numbers are
 * answered here; ownership is checked and changed by the cluster thread. */
static void
cl_slots_change(struct cmd_ctx *c, bool del, bool range)
{
    if (!cl_enabled(c))
        return;
    if (range && (c->argc < 4 || c->argc % 2 == 1)) {
        reply_errorf(c->r, "ERR wrong number of arguments for 'cluster|%s' command",
                     del ? "delslotsrange" : "addslotsrange");
        return;
    }
    if (c->argc < 3) {
        cmd_reply_unknown_sub(c);
        return;
    }
    int nr = range ? (c->argc - 2) / 2 : c->argc - 2;
    int *lo = ts_malloc((size_t)nr * sizeof(int)), *hi = ts_malloc((size_t)nr * sizeof(int));
    bool ok = cl_slots_parse(c, range, nr, lo, hi);
    ts_free(lo);
    ts_free(hi);
    if (ok)
        cl_post(c, cl_slots_apply, (del ? CL_SLOTS_DEL : 0) | (range ? CL_SLOTS_RANGE : 0));
}

static void
cluster_cmd_addslots(struct cmd_ctx *c)
{
    cl_slots_change(c, false, false);
}

static void
cluster_cmd_addslotsrange(struct cmd_ctx *c)
{
    cl_slots_change(c, false, true);
}

static void
cluster_cmd_delslots(struct cmd_ctx *c)
{
    cl_slots_change(c, true, false);
}

static void
cluster_cmd_delslotsrange(struct cmd_ctx *c)
{
    cl_slots_change(c, true, true);
}

/* FLUSHSLOTS: the workers count their keys (cl_post_after_count); the
 * cluster thread refuses if any exists, else unassigns my slots. */
static void
cl_flushslots_apply(struct cmd_ctx *c, uint64_t keys)
{
    if (keys) {
        reply_error(c->r, "ERR DB must be empty to perform CLUSTER FLUSHSLOTS.");
        return;
    }
    struct cluster_snap *mc = cluster_mc();
    for (int j = 0; j < CLUSTER_SLOTS; j++)
        if (mc->owner[j] == mc->myself)
            mc->owner[j] = -1;
    cl_commit_locked();
    reply_ok(c->r);
}

static void
cluster_cmd_flushslots(struct cmd_ctx *c)
{
    if (!cl_enabled(c) || !cl_argc(c, 2))
        return;
    cl_post_after_count(c, -1, cl_flushslots_apply);
}

/* ---- Epochs and config ---- */

/* SAVECONFIG: on the cluster thread the reply waits for the turn's save
 * and reports its result; inline the save happens here. */
static void
cl_saveconfig_apply(struct cmd_ctx *c, uint64_t arg)
{
    (void)arg;
    if (cl_on_cluster_thread()) {
        cl_save_locked();
        cl_want_save_rc();
        return;
    }
    int rc = cluster_mc_save();
    if (rc < 0)
        reply_errorf(c->r, "ERR error saving the cluster node config: %s", strerror(-rc));
    else
        reply_ok(c->r);
}

static void
cluster_cmd_saveconfig(struct cmd_ctx *c)
{
    if (!cl_enabled(c) || !cl_argc(c, 2))
        return;
    cl_post(c, cl_saveconfig_apply, 0);
}

static void
cl_bumpepoch_apply(struct cmd_ctx *c, uint64_t arg)
{
    (void)arg;
    struct cluster_snap *mc = cluster_mc();
    bool bumped = cluster_mc_bump_epoch(mc);
    unsigned long long epoch = mc->nodes[mc->myself].config_epoch;
    if (bumped)
        cl_commit_locked();
    char msg[64];
    snprintf(msg, sizeof(msg), "%s %llu", bumped ? "BUMPED" : "STILL", epoch);
    reply_simple(c->r, msg);
}

static void
cluster_cmd_bumpepoch(struct cmd_ctx *c)
{
    if (!cl_enabled(c) || !cl_argc(c, 2))
        return;
    cl_post(c, cl_bumpepoch_apply, 0);
}

/* arg: the epoch, checked non-negative on the worker. */
static void
cl_set_config_epoch_apply(struct cmd_ctx *c, uint64_t epoch)
{
    struct cluster_snap *mc = cluster_mc();
    struct cluster_node *me = &mc->nodes[mc->myself];
    if (mc->nnodes > 1) {
        reply_error(c->r, "ERR The user can assign a config epoch only when the node does not know any other node.");
        return;
    }
    if (me->config_epoch != 0) {
        reply_error(c->r, "ERR Node config epoch is already non-zero");
        return;
    }
    me->config_epoch = epoch;
    if (mc->current_epoch < epoch)
        mc->current_epoch = epoch;
    cl_commit_locked();
    reply_ok(c->r);
}

static void
cluster_cmd_set_config_epoch(struct cmd_ctx *c)
{
    if (!cl_enabled(c) || !cl_argc(c, 3))
        return;
    long long epoch;
    if (!ts_str_to_ll(c->argv[2].ptr, c->argv[2].len, &epoch)) {
        reply_error(c->r, ERR_NOT_INT);
        return;
    }
    if (epoch < 0) {
        reply_errorf(c->r, "ERR Invalid config epoch specified: %lld", epoch);
        return;
    }
    cl_post(c, cl_set_config_epoch_apply, (uint64_t)epoch);
}

/* ---- Connection flags ---- */

static void
cluster_cmd_asking(struct cmd_ctx *c)
{
    if (!cl_enabled(c))
        return;
    if (c->cl)
        c->cl->flags |= CL_ASKING; /* the dispatcher clears it after the next command */
    reply_ok(c->r);
}

static void
cluster_cmd_readonly(struct cmd_ctx *c)
{
    if (!cl_enabled(c))
        return;
    if (c->cl)
        c->cl->flags |= CL_READONLY;
    reply_ok(c->r);
}

static void
cluster_cmd_readwrite(struct cmd_ctx *c)
{
    if (!cl_enabled(c))
        return;
    if (c->cl)
        c->cl->flags &= ~(uint32_t)CL_READONLY;
    reply_ok(c->r);
}

/* ---- Tables ---- */

#define CL_SUB(nm, ar, fl, fn, sum)                                                                  \
    {                                                                                                \
        .name = nm, .arity = ar, .flags = fl, .route = ROUTE_LOCAL, .proc = fn, .acl = "slow",      \
        .group = "cluster", .since = "3.0.0", .summary = sum                                         \
    }

static const struct cmd_def cluster_subcommands[] = {
    CL_SUB("addslots", -3, CMD_ADMIN | CMD_STALE, cluster_cmd_addslots, "Assigns new hash slots to a node."),
    CL_SUB("addslotsrange", -4, CMD_ADMIN | CMD_STALE, cluster_cmd_addslotsrange,
           "Assigns new hash slot ranges to a node."),
    CL_SUB("bumpepoch", 2, CMD_ADMIN | CMD_STALE, cluster_cmd_bumpepoch, "Advances the cluster config epoch."),
    CL_SUB("count-failure-reports", 3, CMD_ADMIN | CMD_STALE, cluster_cmd_count_failure_reports,
           "Returns the number of active failure reports active for a node."),
    CL_SUB("countkeysinslot", 3, CMD_STALE, cluster_cmd_countkeysinslot, "Returns the number of keys in a hash slot."),
    CL_SUB("delslots", -3, CMD_ADMIN | CMD_STALE, cluster_cmd_delslots, "Sets hash slots as unbound for a node."),
    CL_SUB("delslotsrange", -4, CMD_ADMIN | CMD_STALE, cluster_cmd_delslotsrange,
           "Sets hash slot ranges as unbound for a node."),
    CL_SUB("failover", -2, CMD_ADMIN | CMD_STALE, cluster_cmd_failover,
           "Forces a replica to perform a manual failover of its master."),
    CL_SUB("forget", 3, CMD_ADMIN | CMD_STALE, cluster_cmd_forget, "Removes a node from the nodes table."),
    CL_SUB("flushslots", 2, CMD_ADMIN | CMD_STALE, cluster_cmd_flushslots, "Deletes all slots information from a node."),
    CL_SUB("getkeysinslot", 4, CMD_STALE, cluster_cmd_getkeysinslot, "Returns the key names in a hash slot."),
    CL_SUB("help", 2, CMD_LOADING | CMD_STALE, cluster_cmd_help, "Returns helpful text about the different subcommands."),
    CL_SUB("info", 2, CMD_STALE, cluster_cmd_info, "Returns information about the state of a node."),
    CL_SUB("keyslot", 3, CMD_STALE, cluster_cmd_keyslot, "Returns the hash slot for a key."),
    CL_SUB("links", 2, CMD_STALE, cluster_cmd_links, "Returns a list of all TCP links to and from peer nodes."),
    CL_SUB("meet", -4, CMD_ADMIN | CMD_STALE, cluster_cmd_meet, "Forces a node to handshake with another node."),
    CL_SUB("myid", 2, CMD_STALE, cluster_cmd_myid, "Returns the ID of a node."),
    CL_SUB("nodes", 2, CMD_STALE, cluster_cmd_nodes, "Returns the cluster configuration for a node."),
    CL_SUB("replicas", 3, CMD_ADMIN | CMD_STALE, cluster_cmd_replicas, "Lists the replica nodes of a master node."),
    CL_SUB("replicate", 3, CMD_ADMIN | CMD_STALE, cluster_cmd_replicate, "Configure a node as replica of a master node."),
    CL_SUB("reset", -2, CMD_ADMIN | CMD_STALE | CMD_NOSCRIPT, cluster_cmd_reset, "Resets a node."),
    CL_SUB("saveconfig", 2, CMD_ADMIN | CMD_STALE, cluster_cmd_saveconfig, "Forces a node to save the cluster configuration to disk."),
    CL_SUB("set-config-epoch", 3, CMD_ADMIN | CMD_STALE, cluster_cmd_set_config_epoch,
           "Sets the configuration epoch for a new node."),
    CL_SUB("setslot", -4, CMD_ADMIN | CMD_STALE, cluster_cmd_setslot, "Binds a hash slot to a node."),
    CL_SUB("shards", 2, CMD_STALE, cluster_cmd_shards, "Returns the mapping of cluster slots to shards."),
    CL_SUB("slaves", 3, CMD_ADMIN | CMD_STALE, cluster_cmd_replicas, "Lists the replica nodes of a master node."),
    CL_SUB("slots", 2, CMD_STALE, cluster_cmd_slots, "Returns the mapping of cluster slots to nodes."),
    {.name = NULL},
};

/* Reached only if the dispatcher hands the container itself to us; it then
 * resolves the subcommand the same way. */
static void
cluster_cmd_container(struct cmd_ctx *c)
{
    const struct cmd_def *sub = c->argc >= 2 ? cmd_lookup_sub(cluster_command_table(), c->argv[1]) : NULL;
    if (!sub) {
        if (c->argc >= 2)
            cmd_reply_unknown_sub(c);
        else
            reply_wrong_args(c->r, "cluster");
        return;
    }
    c->cmd = sub;
    sub->proc(c);
}

static const struct cmd_def cluster_commands[] = {
    {.name = "cluster", .arity = -2, .flags = CMD_CONTAINER, .route = ROUTE_LOCAL, .proc = cluster_cmd_container,
     .subcommands = cluster_subcommands, .acl = "slow", .group = "cluster", .since = "3.0.0",
     .summary = "A container for Redis Cluster commands."},
    {.name = "asking", .arity = 1, .flags = CMD_FAST, .route = ROUTE_LOCAL, .proc = cluster_cmd_asking,
     .acl = "fast connection", .group = "cluster", .since = "3.0.0",
     .summary = "Signals that a cluster client is following an -ASK redirect."},
    {.name = "readonly", .arity = 1, .flags = CMD_FAST | CMD_LOADING | CMD_STALE, .route = ROUTE_LOCAL,
     .proc = cluster_cmd_readonly, .acl = "fast connection", .group = "cluster", .since = "3.0.0",
     .summary = "Enables read-only queries for a connection to a Redis Cluster replica node."},
    {.name = "readwrite", .arity = 1, .flags = CMD_FAST | CMD_LOADING | CMD_STALE, .route = ROUTE_LOCAL,
     .proc = cluster_cmd_readwrite, .acl = "fast connection", .group = "cluster", .since = "3.0.0",
     .summary = "Enables read-write queries for a connection to a Redis Cluster replica node."},
    {.name = NULL},
};

const struct cmd_def *
cluster_command_table(void)
{
    return cluster_commands;
}

void
cluster_register_commands(void)
{
    cmd_register_table(cluster_commands);
}
