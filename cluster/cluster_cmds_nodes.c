/* cluster_cmds_nodes.c: CLUSTER subcommands that change or show the node
 * table: MEET, FORGET, RESET, REPLICATE, REPLICAS/SLAVES, LINKS and
 * COUNT-FAILURE-REPORTS. Error texts are Redis 7.0's
 * (cluster-commands.md §4).
 *
 * They change the master copy under cluster_lock like every admin command;
 * the cluster thread notices the result on its next turn (a MEET node is
 * connected to by the next cron, a forgotten node's links are closed). */
#include "cluster/cluster_cmds_int.h"

#include "core/config.h"
#include "core/keyspace.h"
#include "core/log.h"
#include "core/reply.h"
#include "core/shard.h"

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
    cluster_lock();
    struct cluster_snap *mc = cluster_mc();
    for (int i = 0; i < mc->nnodes; i++) {
        const struct cluster_node *n = &mc->nodes[i];
        if ((n->flags & CN_HANDSHAKE) && strcasecmp(n->ip, norm) == 0 && n->port == port && n->cport == cport) {
            cluster_unlock();
            reply_ok(c->r); /* a handshake with that address is already running */
            return;
        }
    }
    char id[CLUSTER_NAMELEN + 1];
    cluster_node_gen_id(id);
    int ni = cluster_snap_add_node(mc, id, CN_HANDSHAKE | CN_MEET);
    snprintf(mc->nodes[ni].ip, sizeof(mc->nodes[ni].ip), "%s", norm);
    mc->nodes[ni].port = (int)port;
    mc->nodes[ni].cport = (int)cport;
    cluster_mc_publish(); /* handshake nodes are not saved in nodes.conf */
    cluster_unlock();
    reply_ok(c->r);
}

/* ---- FORGET ---- */

void
cluster_cmd_forget(struct cmd_ctx *c)
{
    if (!cl_enabled(c) || !cl_argc(c, 3))
        return;
    struct sv id = c->argv[2];
    cluster_lock();
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
        cluster_unlock();
        if (err[0])
            reply_error(c->r, err);
        else
            reply_unknown_node(c, id);
        return;
    }
    cluster_bus_ban(mc->nodes[idx].id);
    cluster_snap_del_node(mc, idx);
    cl_commit_locked();
    cluster_unlock();
    reply_ok(c->r);
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

void
cluster_cmd_links(struct cmd_ctx *c)
{
    if (!cl_enabled(c) || !cl_argc(c, 2))
        return;
    cluster_lock();
    cluster_bus_links_reply(c->r);
    cluster_unlock();
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

struct node_op_state {
    uint64_t keys[MAX_WORKERS];
    bool hard;                        /* RESET HARD */
    char target[CLUSTER_NAMELEN + 1]; /* REPLICATE */
};

static void
count_keys_each(struct shard *sh, void *state, int worker)
{
    struct node_op_state *st = state;
    st->keys[worker] = ks_count(sh->ks);
}

static uint64_t
total_keys(const struct node_op_state *st)
{
    uint64_t t = 0;
    for (int i = 0; i < MAX_WORKERS; i++)
        t += st->keys[i];
    return t;
}

static void
node_op_free(void *state)
{
    ts_free(state);
}

static bool
i_own_slots(const struct cluster_snap *mc)
{
    for (int j = 0; j < CLUSTER_SLOTS; j++)
        if (mc->owner[j] == mc->myself)
            return true;
    return false;
}

static void
replicate_done(void *state, struct reply *r, struct client *cl)
{
    struct node_op_state *st = state;
    cluster_lock();
    struct cluster_snap *mc = cluster_mc();
    int idx = cluster_snap_find(mc, st->target, CLUSTER_NAMELEN);
    struct cluster_node *me = &mc->nodes[mc->myself];
    const char *err = NULL;
    if (idx < 0)
        err = "ERR Unknown node";
    else if (idx == mc->myself)
        err = "ERR Can't replicate myself";
    else if (mc->nodes[idx].flags & CN_SLAVE)
        err = "ERR I can only replicate a master, not a replica.";
    else if ((me->flags & CN_MASTER) && (i_own_slots(mc) || total_keys(st) != 0))
        err = "ERR To set a master the node must be empty and without assigned slots.";
    if (err) {
        cluster_unlock();
        if (idx < 0)
            reply_errorf(r, "ERR Unknown node %s", st->target);
        else
            reply_error(r, err);
        return;
    }
    /* The role is what the cluster sees (CLUSTER NODES, bus headers);
     * streaming the master's data arrives with replication. */
    me->flags = (me->flags & ~(uint32_t)(CN_MASTER | CN_MIGRATE_TO)) | CN_SLAVE;
    me->master = (int16_t)idx;
    mc->nodes[idx].flags |= CN_MIGRATE_TO;
    for (int j = 0; j < CLUSTER_SLOTS; j++)
        mc->migrating_to[j] = mc->importing_from[j] = -1;
    log_notice("Configured as a replica of %.40s", mc->nodes[idx].id);
    cl_commit_locked();
    cluster_unlock();
    reply_ok(r);
}

void
cluster_cmd_replicate(struct cmd_ctx *c)
{
    if (!cl_enabled(c) || !cl_argc(c, 3))
        return;
    struct node_op_state *st = ts_calloc(1, sizeof(*st));
    size_t n = TS_MIN(c->argv[2].len, (size_t)CLUSTER_NAMELEN);
    memcpy(st->target, c->argv[2].ptr, n);
    if (c->argv[2].len != CLUSTER_NAMELEN) {
        reply_unknown_node(c, c->argv[2]);
        ts_free(st);
        return;
    }
    cmd_fanout(c, st, count_keys_each, replicate_done, node_op_free);
}

static void
reset_done(void *state, struct reply *r, struct client *cl)
{
    struct node_op_state *st = state;
    cluster_lock();
    struct cluster_snap *mc = cluster_mc();
    struct cluster_node *me = &mc->nodes[mc->myself];
    if ((me->flags & CN_MASTER) && total_keys(st) != 0) {
        cluster_unlock();
        reply_error(r, "ERR CLUSTER RESET can't be called with master nodes containing keys");
        return;
    }
    for (int j = 0; j < CLUSTER_SLOTS; j++)
        mc->owner[j] = mc->migrating_to[j] = mc->importing_from[j] = -1;
    for (int i = mc->nnodes - 1; i >= 0; i--)
        if (i != mc->myself)
            cluster_snap_del_node(mc, i);
    me = &mc->nodes[mc->myself];
    me->flags = (me->flags & ~(uint32_t)(CN_SLAVE | CN_MIGRATE_TO | CN_PFAIL | CN_FAIL)) | CN_MASTER;
    me->master = -1;
    if (st->hard) {
        mc->current_epoch = mc->last_vote_epoch = 0;
        me->config_epoch = 0;
        char old[CLUSTER_NAMELEN + 1];
        memcpy(old, me->id, sizeof(old));
        cluster_node_gen_id(me->id);
        log_notice("Node hard reset, now I'm %.40s (was %.40s)", me->id, old);
    }
    cluster_bus_reset();
    cl_commit_locked();
    cluster_unlock();
    reply_ok(r);
}

void
cluster_cmd_reset(struct cmd_ctx *c)
{
    if (!cl_enabled(c))
        return;
    bool hard = false;
    if (c->argc == 3) {
        if (sv_eq_ci(c->argv[2], "hard")) {
            hard = true;
        } else if (!sv_eq_ci(c->argv[2], "soft")) {
            reply_error(c->r, ERR_SYNTAX);
            return;
        }
    } else if (c->argc != 2) {
        reply_error(c->r, ERR_SYNTAX);
        return;
    }
    struct node_op_state *st = ts_calloc(1, sizeof(*st));
    st->hard = hard;
    cmd_fanout(c, st, count_keys_each, reset_done, node_op_free);
}
