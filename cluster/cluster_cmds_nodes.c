/* cluster_cmds_nodes.c: CLUSTER subcommands that change or show the node
 * table: MEET, FORGET, RESET, REPLICATE, FAILOVER, REPLICAS/SLAVES, LINKS
 * and COUNT-FAILURE-REPORTS. Error texts are Redis 7.0's
 * (cluster-commands.md §4).
 *
 * The changing ones are checked on the worker and applied by the cluster
 * thread (cluster_post.c) under cluster_lock; it acts on the result in the
 * same turn or the next (a MEET node is connected to by the next cron, a
 * forgotten node's links are closed). */
#include "cluster/cluster_cmds_int.h"

#include "cluster/bus_int.h"
#include "core/config.h"
#include "core/keyspace.h"
#include "core/log.h"
#include "core/reply.h"
#include "core/shard.h"
#include "core/t_db.h"
#include "net/runtime.h"

#include <arpa/inet.h>
#include <stdio.h>

static void
reply_unknown_node(struct cmd_ctx *c, struct sv id)
{
    reply_errorf(c->r, "ERR Unknown node %.*s", (int)TS_MIN(id.len, 128), id.ptr);
}

/* ---- MEET ---- */

static bool
parse_port(struct sv a, long long *out)
{
    return ts_str_to_ll(a.ptr, a.len, out);
}

/* The locked part of MEET (cl_post): argv[2] is the normalised address,
 * arg the ports. Adds a handshake node the cron will connect to. */
static void
cl_meet_apply(struct cmd_ctx *c, uint64_t ports)
{
    char norm[CLUSTER_IPLEN];
    snprintf(norm, sizeof(norm), "%.*s", (int)c->argv[2].len, c->argv[2].ptr);
    int port = (int)(ports >> 16), cport = (int)(ports & 0xffff);
    struct cluster_snap *mc = cluster_mc();
    for (int i = 0; i < mc->nnodes; i++) {
        const struct cluster_node *n = &mc->nodes[i];
        if ((n->flags & CN_HANDSHAKE) && strcasecmp(n->ip, norm) == 0 && n->port == port && n->cport == cport) {
            reply_ok(c->r); /* a handshake with that address is already running */
            return;
        }
    }
    char id[CLUSTER_NAMELEN + 1];
    cluster_node_gen_id(id);
    int ni = cluster_snap_add_node(mc, id, CN_HANDSHAKE | CN_MEET);
    snprintf(mc->nodes[ni].ip, sizeof(mc->nodes[ni].ip), "%s", norm);
    mc->nodes[ni].port = port;
    mc->nodes[ni].cport = cport;
    cluster_mc_publish(); /* handshake nodes are not saved in nodes.conf */
    reply_ok(c->r);
}

void
cluster_cmd_meet(struct cmd_ctx *c)
{
    if (!cl_enabled(c))
        return;
    if (c->argc != 4 && c->argc != 5) {
        reply_wrong_args(c->r, "cluster|meet");
        return;
    }
    long long port, cport;
    if (!parse_port(c->argv[3], &port)) {
        reply_errorf(c->r, "ERR Invalid TCP base port specified: %.*s", (int)TS_MIN(c->argv[3].len, 64),
                     c->argv[3].ptr);
        return;
    }
    if (c->argc == 5) {
        if (!parse_port(c->argv[4], &cport)) {
            reply_errorf(c->r, "ERR Invalid TCP bus port specified: %.*s", (int)TS_MIN(c->argv[4].len, 64),
                         c->argv[4].ptr);
            return;
        }
    } else {
        cport = port + 10000;
    }
    /* The address must be a literal; it is stored normalised (inet_ntop). */
    char ipbuf[64], norm[CLUSTER_IPLEN] = "";
    struct sv ip = c->argv[2];
    bool ok = ip.len < sizeof(ipbuf);
    if (ok) {
        memcpy(ipbuf, ip.ptr, ip.len);
        ipbuf[ip.len] = '\0';
        struct in_addr a4;
        struct in6_addr a6;
        if (inet_pton(AF_INET, ipbuf, &a4) == 1)
            inet_ntop(AF_INET, &a4, norm, sizeof(norm));
        else if (inet_pton(AF_INET6, ipbuf, &a6) == 1)
            inet_ntop(AF_INET6, &a6, norm, sizeof(norm));
        else
            ok = false;
    }
    if (!ok || port <= 0 || port > 65535 || cport <= 0 || cport > 65535) {
        reply_errorf(c->r, "ERR Invalid node address specified: %.*s:%.*s", (int)TS_MIN(ip.len, 64), ip.ptr,
                     (int)TS_MIN(c->argv[3].len, 64), c->argv[3].ptr);
        return;
    }
    /* The normalised address travels as argv[2] of the posted copy; the
     * ports as arg (port << 16 | cport). */
    struct sv saved = c->argv[2];
    c->argv[2] = (struct sv){norm, strlen(norm)};
    cl_post(c, cl_meet_apply, ((uint64_t)port << 16) | (uint64_t)cport);
    c->argv[2] = saved;
}

/* ---- FORGET ---- */

/* The locked part of FORGET (cl_post). */
static void
cl_forget_apply(struct cmd_ctx *c, uint64_t arg)
{
    (void)arg;
    struct sv id = c->argv[2];
    struct cluster_snap *mc = cluster_mc();
    int idx = cluster_snap_find(mc, id.ptr, id.len);
    const struct cluster_node *me = &mc->nodes[mc->myself];
    const char *err = NULL;
    if (idx < 0)
        err = "";
    else if (idx == mc->myself)
        err = "ERR I tried hard but I can't forget myself...";
    else if ((me->flags & CN_SLAVE) && me->master == idx)
        err = "ERR Can't forget my master!";
    if (err) {
        if (err[0])
            reply_error(c->r, err);
        else
            reply_unknown_node(c, id);
        return;
    }
    cluster_bus_ban(mc->nodes[idx].id);
    cluster_snap_del_node(mc, idx);
    cl_commit_locked();
    reply_ok(c->r);
}

void
cluster_cmd_forget(struct cmd_ctx *c)
{
    if (!cl_enabled(c) || !cl_argc(c, 3))
        return;
    cl_post(c, cl_forget_apply, 0);
}

/* ---- REPLICAS / SLAVES ---- */

void
cluster_cmd_replicas(struct cmd_ctx *c)
{
    if (!cl_enabled(c) || !cl_argc(c, 3))
        return;
    cluster_read_begin();
    const struct cluster_snap *s = cluster_snap_get();
    int idx = cluster_snap_find(s, c->argv[2].ptr, c->argv[2].len);
    if (idx < 0) {
        reply_unknown_node(c, c->argv[2]);
    } else if (!(s->nodes[idx].flags & CN_MASTER)) {
        reply_error(c->r, "ERR The specified node is not a master");
    } else {
        int n = 0;
        for (int i = 0; i < s->nnodes; i++)
            n += s->nodes[i].master == idx && (s->nodes[i].flags & CN_SLAVE);
        reply_array(c->r, n);
        struct ts_buf b = {0};
        for (int i = 0; i < s->nnodes; i++) {
            if (s->nodes[i].master != idx || !(s->nodes[i].flags & CN_SLAVE))
                continue;
            b.len = 0;
            cluster_node_describe(s, i, &b);
            reply_bulk(c->r, b.data, b.len);
        }
        ts_buf_free(&b);
    }
    cluster_read_end();
}

/* ---- LINKS, COUNT-FAILURE-REPORTS ---- */

/* LINKS reads the cluster thread's private link table: it runs there too,
 * so no worker takes cluster_lock for it. */
static void
cl_links_apply(struct cmd_ctx *c, uint64_t arg)
{
    (void)arg;
    cluster_bus_links_reply(c->r);
}

void
cluster_cmd_links(struct cmd_ctx *c)
{
    if (!cl_enabled(c) || !cl_argc(c, 2))
        return;
    cl_post(c, cl_links_apply, 0);
}

void
cluster_cmd_count_failure_reports(struct cmd_ctx *c)
{
    if (!cl_enabled(c) || !cl_argc(c, 3))
        return;
    cluster_read_begin();
    const struct cluster_snap *s = cluster_snap_get();
    int idx = cluster_snap_find(s, c->argv[2].ptr, c->argv[2].len);
    if (idx < 0)
        reply_unknown_node(c, c->argv[2]);
    else
        reply_int(c->r, s->nodes[idx].fail_reports);
    cluster_read_end();
}

/* ---- REPLICATE and RESET: both need to know whether I hold keys ---- */
/* The workers count the keys first (cl_post_after_count); the apply parts
 * below run on the cluster thread with the total as arg. */

static bool
i_own_slots(const struct cluster_snap *mc)
{
    for (int j = 0; j < CLUSTER_SLOTS; j++)
        if (mc->owner[j] == mc->myself)
            return true;
    return false;
}

/* argv[2]: the master's ID (40 chars, checked on the worker). */
static void
cl_replicate_apply(struct cmd_ctx *c, uint64_t keys)
{
    struct cluster_snap *mc = cluster_mc();
    int idx = cluster_snap_find(mc, c->argv[2].ptr, c->argv[2].len);
    struct cluster_node *me = &mc->nodes[mc->myself];
    const char *err = NULL;
    if (idx < 0)
        err = "ERR Unknown node";
    else if (idx == mc->myself)
        err = "ERR Can't replicate myself";
    else if (mc->nodes[idx].flags & CN_SLAVE)
        err = "ERR I can only replicate a master, not a replica.";
    else if ((me->flags & CN_MASTER) && (i_own_slots(mc) || keys != 0))
        err = "ERR To set a master the node must be empty and without assigned slots.";
    if (err) {
        if (idx < 0)
            reply_unknown_node(c, c->argv[2]);
        else
            reply_error(c->r, err);
        return;
    }
    /* The role is what the cluster sees (CLUSTER NODES, bus headers);
     * streaming the master's data arrives with replication. */
    me->flags = (me->flags & ~(uint32_t)(CN_MASTER | CN_MIGRATE_TO)) | CN_SLAVE;
    bus_set_master(mc, mc->myself, idx);
    for (int j = 0; j < CLUSTER_SLOTS; j++)
        mc->migrating_to[j] = mc->importing_from[j] = -1;
    log_notice("Configured as a replica of %.40s", mc->nodes[idx].id);
    bus_fo_sync_repl(mc); /* replication follows the new master */
    cl_commit_locked();
    reply_ok(c->r);
}

void
cluster_cmd_replicate(struct cmd_ctx *c)
{
    if (!cl_enabled(c) || !cl_argc(c, 3))
        return;
    if (c->argv[2].len != CLUSTER_NAMELEN) {
        reply_unknown_node(c, c->argv[2]);
        return;
    }
    cl_post_after_count(c, -1, cl_replicate_apply);
}

/* ---- FAILOVER ---- */

/* The locked part of FAILOVER: mode is enum bus_fo_mode. The replica side
 * starts here (MFSTART, an election, or TAKEOVER's promotion); the reply
 * says only that it started, as in Redis. */
static void
cl_failover_apply(struct cmd_ctx *c, uint64_t mode)
{
    const char *err = bus_fo_manual(cluster_mc(), (int)mode);
    if (err) {
        reply_error(c->r, err);
        return;
    }
    cl_commit_locked();
    reply_ok(c->r);
}

void
cluster_cmd_failover(struct cmd_ctx *c)
{
    if (!cl_enabled(c))
        return;
    if (c->argc > 3) {
        /* Redis's answer to extra arguments (addReplySubcommandSyntaxError). */
        reply_errorf(c->r, "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try CLUSTER HELP.",
                     (int)TS_MIN(c->argv[1].len, 128), c->argv[1].ptr);
        return;
    }
    int mode = BUS_FO_DEFAULT;
    if (c->argc == 3 && sv_eq_ci(c->argv[2], "force")) {
        mode = BUS_FO_FORCE;
    } else if (c->argc == 3 && sv_eq_ci(c->argv[2], "takeover")) {
        mode = BUS_FO_TAKEOVER;
    } else if (c->argc != 2) {
        reply_error(c->r, ERR_SYNTAX);
        return;
    }
    cl_post(c, cl_failover_apply, (uint64_t)mode);
}

static void
reset_flush_worker(void *arg, int worker)
{
    (void)arg;
    t_db_flush_worker(g_shards[worker]);
}

/* argv[2], when present: SOFT or HARD (checked on the worker). */
static void
cl_reset_apply(struct cmd_ctx *c, uint64_t keys)
{
    bool hard = c->argc == 3 && sv_eq_ci(c->argv[2], "hard");
    struct cluster_snap *mc = cluster_mc();
    struct cluster_node *me = &mc->nodes[mc->myself];
    if ((me->flags & CN_MASTER) && keys != 0) {
        reply_error(c->r, "ERR CLUSTER RESET can't be called with master nodes containing keys");
        return;
    }
    if (me->flags & CN_SLAVE) /* a replica's data was its master's: Redis empties it */
        for (int w = 0; w < cmd_nworkers(); w++)
            runtime_post(w, reset_flush_worker, NULL);
    for (int j = 0; j < CLUSTER_SLOTS; j++)
        mc->owner[j] = mc->migrating_to[j] = mc->importing_from[j] = -1;
    for (int i = mc->nnodes - 1; i >= 0; i--)
        if (i != mc->myself)
            cluster_snap_del_node(mc, i);
    me = &mc->nodes[mc->myself];
    me->flags = (me->flags & ~(uint32_t)(CN_SLAVE | CN_MIGRATE_TO | CN_PFAIL | CN_FAIL)) | CN_MASTER;
    me->master = -1;
    if (hard) {
        mc->current_epoch = mc->last_vote_epoch = 0;
        me->config_epoch = 0;
        char old[CLUSTER_NAMELEN + 1];
        memcpy(old, me->id, sizeof(old));
        cluster_node_gen_id(me->id);
        log_notice("Node hard reset, now I'm %.40s (was %.40s)", me->id, old);
    }
    cluster_bus_reset();
    cl_commit_locked();
    reply_ok(c->r);
}

void
cluster_cmd_reset(struct cmd_ctx *c)
{
    if (!cl_enabled(c))
        return;
    if (c->argc == 3) {
        if (!sv_eq_ci(c->argv[2], "hard") && !sv_eq_ci(c->argv[2], "soft")) {
            reply_error(c->r, ERR_SYNTAX);
            return;
        }
    } else if (c->argc != 2) {
        reply_error(c->r, ERR_SYNTAX);
        return;
    }
    cl_post_after_count(c, -1, cl_reset_apply);
}
