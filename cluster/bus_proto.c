/* bus_proto.c: what a cluster bus message does to the cluster state, and
 * building the messages we send. The rules are cluster-bus.md §8-§11 and
 * cluster-algorithms.md §3, §6, §7, §9 (Redis 7.0 behaviour); section
 * numbers below refer to those files.
 *
 * Runs on the cluster thread under cluster_lock; mc = cluster_mc(). A
 * change that must survive a crash sets g_bus.dirty_save (nodes.conf is
 * written at the end of the loop turn, then a snapshot is published); a
 * change only readers care about sets g_bus.dirty_publish. */
#include "cluster/bus_int.h"

#include "core/config.h"
#include "core/log.h"
#include "replication/repl.h"

#include <arpa/inet.h>
#include <stdlib.h>

/* ---- Building ---- */

static void
slots_bitmap(const struct cluster_snap *mc, int owner, uint8_t *bm, bool skip_unclaimed)
{
    memset(bm, 0, BUS_SLOT_BYTES);
    for (unsigned j = 0; j < CLUSTER_SLOTS; j++)
        if (mc->owner[j] == owner && !(skip_unclaimed && bus_slot_test(g_bus.not_claimed, j)))
            bus_slot_set(bm, j);
}

void
bus_fill_header(struct bus_hdr *h, int type)
{
    struct cluster_snap *mc = cluster_mc();
    const struct cluster_node *me = &mc->nodes[mc->myself];
    memset(h, 0, sizeof(*h));
    h->ver = BUS_VERSION;
    h->type = (uint16_t)type;
    h->port = (uint16_t)me->port;
    h->cport = (uint16_t)me->cport;
    h->flags = (uint16_t)me->flags;
    memcpy(h->sender, me->id, BUS_NAMELEN);
    h->state = (uint8_t)cluster_snap_state(mc);
    h->current_epoch = mc->current_epoch;
    /* A replica advertises its master's slots and configEpoch (§8). */
    int master = (me->flags & CN_SLAVE) ? me->master : -1;
    int owner = master >= 0 ? master : mc->myself;
    slots_bitmap(mc, owner, h->myslots, false);
    h->config_epoch = mc->nodes[owner].config_epoch;
    if (master >= 0)
        memcpy(h->slaveof, mc->nodes[master].id, BUS_NAMELEN);
    /* Elections rank replicas by it; a paused master in a manual failover
     * announces its final offset with PAUSED (§10). */
    h->offset = (uint64_t)repl_offset();
    if (bus_fo_paused(mc))
        h->mflags[0] |= BUS_MF_PAUSED;
    if (g_cfg.cluster_announce_ip && g_cfg.cluster_announce_ip[0])
        snprintf(h->myip, sizeof(h->myip), "%s", g_cfg.cluster_announce_ip);
}

static void
send_msg(struct bus_link *l, const struct bus_out *o)
{
    if (!l || l->closing)
        return;
    g_bus.scratch.len = 0;
    bus_encode(&g_bus.scratch, o);
    bus_link_write(l, g_bus.scratch.data, g_bus.scratch.len);
    __atomic_fetch_add(&g_bus_sent[o->h.type], 1, __ATOMIC_RELAXED);
}

/* Gossip sampling (cluster-bus.md §5): about a tenth of the nodes, at least
 * 3, chosen at random among healthy addressable ones, then every PFAIL
 * node so failure reports spread fast. */
static unsigned
build_gossip(struct cluster_snap *mc, struct bus_gossip *g, unsigned cap)
{
    int fresh = mc->nnodes - 2;
    int wanted = mc->nnodes / 10;
    if (wanted < 3)
        wanted = 3;
    if (wanted > fresh)
        wanted = fresh;
    unsigned n = 0;
    bool *picked = ts_calloc((size_t)mc->nnodes, 1);
    for (int tries = 3 * wanted; tries > 0 && (int)n < wanted && n < cap; tries--) {
        int i = rand() % mc->nnodes;
        const struct cluster_node *nd = &mc->nodes[i];
        if (i == mc->myself || picked[i] || (nd->flags & (CN_PFAIL | CN_HANDSHAKE | CN_NOADDR)))
            continue;
        if (!nd->link_connected && nd->nslots == 0)
            continue;
        picked[i] = true;
        n++;
    }
    for (int i = 0; i < mc->nnodes; i++) {
        const struct cluster_node *nd = &mc->nodes[i];
        if (i != mc->myself && (nd->flags & CN_PFAIL) && !(nd->flags & (CN_HANDSHAKE | CN_NOADDR)))
            picked[i] = true;
    }
    n = 0;
    for (int i = 0; i < mc->nnodes && n < cap; i++) {
        if (!picked[i])
            continue;
        const struct cluster_node *nd = &mc->nodes[i];
        struct bus_gossip *e = &g[n++];
        memset(e, 0, sizeof(*e));
        memcpy(e->nodename, nd->id, BUS_NAMELEN);
        e->ping_sent = (uint32_t)(nd->ping_sent / 1000);
        e->pong_received = (uint32_t)(nd->pong_recv / 1000);
        snprintf(e->ip, sizeof(e->ip), "%s", nd->ip);
        e->port = (uint16_t)nd->port;
        e->cport = (uint16_t)nd->cport;
        e->flags = (uint16_t)nd->flags;
    }
    ts_free(picked);
    return n;
}

void
bus_send_ping(struct bus_link *l, int type)
{
    struct cluster_snap *mc = cluster_mc();
    struct bus_out o = {0};
    bus_fill_header(&o.h, type);
    struct bus_gossip *g = ts_malloc((size_t)mc->nnodes * sizeof(*g));
    o.gossip = g;
    o.ngossip = build_gossip(mc, g, (unsigned)mc->nnodes);
    o.hostname = g_cfg.cluster_announce_hostname;
    if (type == BUS_PING && l->outbound) {
        int idx = cluster_snap_find(mc, l->node, CLUSTER_NAMELEN);
        if (idx >= 0)
            mc->nodes[idx].ping_sent = g_bus.now;
    }
    send_msg(l, &o);
    ts_free(g);
}

void
bus_link_established(struct bus_link *l)
{
    struct cluster_snap *mc = cluster_mc();
    int idx = cluster_snap_find(mc, l->node, CLUSTER_NAMELEN);
    if (idx < 0) {
        bus_link_close(l);
        return;
    }
    struct cluster_node *n = &mc->nodes[idx];
    /* A reconnect must not reset an older ping in flight: failure
     * detection measures from the first unanswered one. */
    int64_t old_ping = n->ping_sent;
    bus_send_ping(l, (n->flags & CN_MEET) ? BUS_MEET : BUS_PING);
    if (old_ping)
        n->ping_sent = old_ping;
    n->flags &= ~(uint32_t)CN_MEET;
    g_bus.dirty_publish = true;
}

void
bus_broadcast(const struct bus_out *o)
{
    bus_send_shard(o, -1);
}

void
bus_send_shard(const struct bus_out *o, int group)
{
    struct cluster_snap *mc = cluster_mc();
    g_bus.scratch.len = 0;
    bus_encode(&g_bus.scratch, o);
    for (int i = 0; i < mc->nnodes; i++) {
        const struct cluster_node *n = &mc->nodes[i];
        if (i == mc->myself || (n->flags & CN_HANDSHAKE))
            continue;
        if (group >= 0 && i != group && n->master != group)
            continue;
        struct bus_peer *p = bus_peer_find(n->id);
        if (p && p->out && !p->out->closing) {
            bus_link_write(p->out, g_bus.scratch.data, g_bus.scratch.len);
            __atomic_fetch_add(&g_bus_sent[o->h.type], 1, __ATOMIC_RELAXED);
        }
    }
}

void
bus_send_fail(int idx)
{
    struct bus_out o = {0};
    bus_fill_header(&o.h, BUS_FAIL);
    o.nodename = cluster_mc()->nodes[idx].id;
    bus_broadcast(&o);
}

static void
send_update(struct bus_link *l, int owner)
{
    if (!l)
        return;
    struct cluster_snap *mc = cluster_mc();
    static uint8_t bm[BUS_SLOT_BYTES];
    struct bus_out o = {0};
    bus_fill_header(&o.h, BUS_UPDATE);
    o.nodename = mc->nodes[owner].id;
    o.update_config_epoch = mc->nodes[owner].config_epoch;
    slots_bitmap(mc, owner, bm, true);
    o.update_slots = bm;
    send_msg(l, &o);
}

/* ---- Receiving ---- */

static void
set_ip(char *dst, const char *ip)
{
    size_t n = strnlen(ip, CLUSTER_IPLEN - 1);
    memmove(dst, ip, n);
    dst[n] = '\0';
}

/* The address a peer should be known by: its announced IP, else the
 * address its inbound connection came from. */
static const char *
sender_ip(const struct bus_link *l, const struct bus_msg *m)
{
    return m->h.myip[0] ? m->h.myip : l->peer_ip;
}

static void
learn_my_ip(struct cluster_snap *mc, struct bus_link *l)
{
    if (g_cfg.cluster_announce_ip && g_cfg.cluster_announce_ip[0])
        return;
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char ip[CLUSTER_IPLEN] = "";
    if (getsockname(l->fd, (struct sockaddr *)&ss, &len) != 0)
        return;
    if (ss.ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, ip, sizeof(ip));
        if (strncmp(ip, "::ffff:", 7) == 0 && strchr(ip + 7, '.'))
            memmove(ip, ip + 7, strlen(ip + 7) + 1);
    } else {
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip, sizeof(ip));
    }
    struct cluster_node *me = &mc->nodes[mc->myself];
    if (ip[0] && strcmp(me->ip, ip) != 0) {
        set_ip(me->ip, ip);
        log_notice("IP address for this node updated to %s", ip);
        g_bus.dirty_save = true;
    }
}

/* §7: adopt the slots node s claims with configEpoch `epoch` where its
 * claim wins; maybe follow the winner as its replica. */
static void
slot_update(struct cluster_snap *mc, int s, uint64_t epoch, const uint8_t *claimed)
{
    if (s == mc->myself) {
        log_verbose("Discarding UPDATE message about myself.");
        return;
    }
    struct cluster_node *me = &mc->nodes[mc->myself];
    int cur = ((me->flags & CN_SLAVE) && me->master >= 0) ? me->master : mc->myself;
    int newmaster = -1, from_cur = 0, claims = 0;
    bool had = false, got = false;
    for (unsigned j = 0; j < CLUSTER_SLOTS && !had; j++)
        had = mc->owner[j] == s;
    for (unsigned j = 0; j < CLUSTER_SLOTS; j++) {
        if (bus_slot_test(claimed, j)) {
            claims++;
            int o = mc->owner[j];
            if (o == s) {
                g_bus.not_claimed[j >> 3] &= (uint8_t) ~(1u << (j & 7));
                continue;
            }
            if (mc->importing_from[j] >= 0)
                continue; /* a manual reshard in progress wins */
            if (o < 0 || bus_slot_test(g_bus.not_claimed, j) || mc->nodes[o].config_epoch < epoch) {
                if (o == cur) {
                    newmaster = s;
                    from_cur++;
                }
                mc->owner[j] = (int16_t)s;
                got = true;
                mc->migrating_to[j] = -1;
                g_bus.not_claimed[j >> 3] &= (uint8_t) ~(1u << (j & 7));
                g_bus.dirty_save = true;
            }
        } else if (mc->owner[j] == s) {
            bus_slot_set(g_bus.not_claimed, j);
        }
    }
    if (got && !had)
        bus_migrate_first_slots(mc, s);
    bool cur_empty = true;
    for (unsigned j = 0; j < CLUSTER_SLOTS && cur_empty; j++)
        cur_empty = mc->owner[j] != cur;
    if (newmaster >= 0 && cur_empty && (g_cfg.cluster_allow_replica_migration || from_cur == claims)) {
        log_notice("Configuration change detected. Reconfiguring myself as a replica of %.40s",
                   mc->nodes[newmaster].id);
        me->flags = (me->flags & ~(uint32_t)(CN_MASTER | CN_MIGRATE_TO)) | CN_SLAVE;
        bus_set_master(mc, mc->myself, newmaster);
        g_bus.dirty_save = true;
    } else if (me->master >= 0 && (me->flags & CN_SLAVE)) {
        int gm = mc->nodes[me->master].master;
        if ((mc->nodes[me->master].flags & CN_SLAVE) && gm >= 0 && gm != mc->myself) {
            log_notice("I'm a sub-replica! Reconfiguring myself as a replica of grandmaster %.40s", mc->nodes[gm].id);
            bus_set_master(mc, mc->myself, gm);
            g_bus.dirty_save = true;
        }
    }
}

/* §6: two masters with the same configEpoch: the one with the smaller ID
 * takes a new epoch, so every claim has a distinct version. */
static void
handle_collision(struct cluster_snap *mc, int s)
{
    struct cluster_node *me = &mc->nodes[mc->myself];
    if (memcmp(mc->nodes[s].id, me->id, CLUSTER_NAMELEN) <= 0)
        return;
    mc->current_epoch++;
    me->config_epoch = mc->current_epoch;
    g_bus.dirty_save = true;
    log_verbose("WARNING: configEpoch collision with node %.40s. configEpoch set to %llu", mc->nodes[s].id,
                (unsigned long long)me->config_epoch);
}

static void
process_gossip(struct cluster_snap *mc, int s, const struct bus_msg *m)
{
    bool sender_master = (mc->nodes[s].flags & CN_MASTER) != 0;
    for (unsigned i = 0; i < m->h.count; i++) {
        struct bus_gossip g;
        bus_gossip_get(m, i, &g);
        int gi = cluster_snap_find(mc, g.nodename, BUS_NAMELEN);
        if (gi == mc->myself)
            continue;
        if (gi >= 0) {
            struct cluster_node *n = &mc->nodes[gi];
            if (sender_master) {
                if (g.flags & (CN_PFAIL | CN_FAIL)) {
                    bus_report_add(n->id, mc->nodes[s].id);
                    bus_mark_fail_if_needed(mc, gi);
                } else {
                    bus_report_del(n->id, mc->nodes[s].id);
                }
            }
            if (!(g.flags & (CN_PFAIL | CN_FAIL)) && n->ping_sent == 0 && bus_report_count(n->id) == 0) {
                int64_t pt = (int64_t)g.pong_received * 1000;
                if (pt <= g_bus.now + 500 && pt > n->pong_recv)
                    n->pong_recv = pt;
            }
            if ((n->flags & (CN_PFAIL | CN_FAIL)) && !(g.flags & (CN_NOADDR | CN_PFAIL | CN_FAIL)) &&
                (strcasecmp(n->ip, g.ip) != 0 || n->port != g.port || n->cport != g.cport)) {
                struct bus_peer *p = bus_peer_find(n->id);
                if (p && p->out)
                    bus_link_close(p->out);
                set_ip(n->ip, g.ip);
                n->port = g.port;
                n->cport = g.cport;
                n->flags &= ~(uint32_t)CN_NOADDR;
                g_bus.dirty_save = true;
            }
        } else if (!(g.flags & CN_NOADDR) && !bus_banned(g.nodename) &&
                   cluster_id_valid(g.nodename, BUS_NAMELEN)) {
            /* Learned from a trusted member: added under its real ID. */
            char id[CLUSTER_NAMELEN + 1];
            memcpy(id, g.nodename, CLUSTER_NAMELEN);
            id[CLUSTER_NAMELEN] = '\0';
            uint32_t flags = g.flags & (CN_MASTER | CN_SLAVE | CN_NOFAILOVER);
            if (!(flags & (CN_MASTER | CN_SLAVE)))
                flags |= CN_MASTER;
            int ni = cluster_snap_add_node(mc, id, flags);
            set_ip(mc->nodes[ni].ip, g.ip);
            mc->nodes[ni].port = g.port;
            mc->nodes[ni].cport = g.cport;
            bus_peer_get(id)->ctime = g_bus.now;
            g_bus.dirty_save = true;
        }
    }
}

static void
process_hostname(struct cluster_snap *mc, int s, const struct bus_msg *m)
{
    struct cluster_node *n = &mc->nodes[s];
    const char *h = m->has_hostname ? m->hostname : "";
    if (strcmp(n->hostname, h) != 0) {
        snprintf(n->hostname, sizeof(n->hostname), "%s", h);
        g_bus.dirty_save = true;
    }
}

/* §10 steps 2-3: the reply on our outbound link tells who is really there.
 * Returns the sender index to go on with, or -2 when processing stops. */
static int
outbound_identity(struct cluster_snap *mc, struct bus_link *l, const struct bus_msg *m, int s)
{
    int li = cluster_snap_find(mc, l->node, CLUSTER_NAMELEN);
    if (li < 0)
        return s;
    struct cluster_node *ln = &mc->nodes[li];
    if (ln->flags & CN_HANDSHAKE) {
        if (s >= 0) {
            /* Already known under its real ID: the handshake node was a
             * duplicate; keep the address we reached it at. */
            struct cluster_node *sn = &mc->nodes[s];
            if (strcmp(sn->ip, ln->ip) != 0 || sn->port != m->h.port || sn->cport != m->h.cport) {
                set_ip(sn->ip, ln->ip);
                sn->port = m->h.port;
                sn->cport = m->h.cport;
                sn->flags &= ~(uint32_t)CN_NOADDR;
                struct bus_peer *p = bus_peer_find(sn->id);
                if (p && p->out)
                    bus_link_close(p->out);
            }
            bus_node_delete(mc, li);
            g_bus.dirty_save = true;
            return -2;
        }
        if (!cluster_id_valid(m->h.sender, BUS_NAMELEN)) {
            bus_link_close(l);
            return -2;
        }
        char id[CLUSTER_NAMELEN + 1];
        memcpy(id, m->h.sender, CLUSTER_NAMELEN);
        id[CLUSTER_NAMELEN] = '\0';
        log_verbose("Handshake with node %.40s completed.", id);
        bus_node_rename(mc, li, id);
        ln->flags &= ~(uint32_t)(CN_HANDSHAKE | CN_MASTER | CN_SLAVE);
        ln->flags |= (m->h.flags & CN_SLAVE) ? CN_SLAVE : CN_MASTER;
        g_bus.dirty_save = true;
        return li;
    }
    if (memcmp(ln->id, m->h.sender, CLUSTER_NAMELEN) != 0) {
        /* Someone else answers at that address now. */
        log_verbose("PONG contains mismatching sender ID. About node %.40s added %d ms ago, having flags %u",
                    ln->id, (int)(g_bus.now - l->ctime), ln->flags);
        ln->flags |= CN_NOADDR;
        ln->ip[0] = '\0';
        ln->port = ln->cport = 0;
        bus_link_close(l);
        g_bus.dirty_save = true;
        return -2;
    }
    return s;
}

/* §10 step 7: roles from the header. */
static void
update_role(struct cluster_snap *mc, int s, const struct bus_msg *m)
{
    struct cluster_node *n = &mc->nodes[s];
    if (bus_name_is_null(m->h.slaveof)) {
        if (n->flags & CN_SLAVE) {
            n->flags = (n->flags & ~(uint32_t)CN_SLAVE) | CN_MASTER | CN_MIGRATE_TO;
            bus_set_master(mc, s, -1);
            g_bus.dirty_save = true;
        }
        return;
    }
    if (n->flags & CN_MASTER) {
        for (int j = 0; j < CLUSTER_SLOTS; j++)
            if (mc->owner[j] == s)
                mc->owner[j] = -1;
        n->flags = (n->flags & ~(uint32_t)(CN_MASTER | CN_MIGRATE_TO)) | CN_SLAVE;
        g_bus.dirty_save = true;
    }
    int mi = cluster_snap_find(mc, m->h.slaveof, BUS_NAMELEN);
    if (mi >= 0 && mi != s && n->master != mi) {
        bus_set_master(mc, s, mi);
        g_bus.dirty_save = true;
    }
}

/* §10 step 8: slot claims, and an UPDATE for a stale claimant. */
static void
update_slots(struct cluster_snap *mc, int s, const struct bus_msg *m)
{
    const struct cluster_node *n = &mc->nodes[s];
    int sm = (n->flags & CN_MASTER) ? s : n->master;
    if (sm < 0)
        return;
    static uint8_t cur[BUS_SLOT_BYTES];
    slots_bitmap(mc, sm, cur, false);
    if (memcmp(cur, m->h.myslots, BUS_SLOT_BYTES) == 0)
        return;
    if (n->flags & CN_MASTER)
        slot_update(mc, s, m->h.config_epoch, m->h.myslots);
    for (unsigned j = 0; j < CLUSTER_SLOTS; j++) {
        if (!bus_slot_test(m->h.myslots, j))
            continue;
        int o = mc->owner[j];
        if (o == s || o < 0 || bus_slot_test(g_bus.not_claimed, j))
            continue;
        if (mc->nodes[o].config_epoch > m->h.config_epoch) {
            log_verbose("Node %.40s has old slots configuration, sending an UPDATE message about %.40s", n->id,
                        mc->nodes[o].id);
            struct bus_peer *p = bus_peer_find(n->id);
            send_update(p ? p->out : NULL, o);
            break;
        }
    }
}

/* §9 (cluster-algorithms.md): a master's vote for a replica's election. */
static void
handle_auth_request(struct cluster_snap *mc, int s, const struct bus_msg *m)
{
    const struct cluster_node *me = &mc->nodes[mc->myself];
    if (!(me->flags & CN_MASTER) || me->nslots == 0)
        return;
    if (m->h.current_epoch < mc->current_epoch || mc->last_vote_epoch == mc->current_epoch)
        return;
    const struct cluster_node *r = &mc->nodes[s];
    int mi = r->master;
    if (!(r->flags & CN_SLAVE) || mi < 0)
        return;
    if (!(mc->nodes[mi].flags & CN_FAIL) && !(m->h.mflags[0] & BUS_MF_FORCEACK))
        return;
    struct bus_peer *mp = bus_peer_get(mc->nodes[mi].id);
    if (g_bus.now - mp->voted_time < 2 * bus_node_timeout())
        return;
    for (unsigned j = 0; j < CLUSTER_SLOTS; j++) {
        if (!bus_slot_test(m->h.myslots, j) || mc->owner[j] < 0)
            continue;
        if (mc->nodes[mc->owner[j]].config_epoch > m->h.config_epoch)
            return;
    }
    mc->last_vote_epoch = mc->current_epoch;
    mp->voted_time = g_bus.now;
    cluster_mc_save(); /* the vote must be on disk before it is given */
    struct bus_out o = {0};
    bus_fill_header(&o.h, BUS_AUTH_ACK);
    struct bus_peer *rp = bus_peer_find(r->id);
    send_msg(rp ? rp->out : NULL, &o);
    log_notice("Failover auth granted to %.40s for epoch %llu", r->id, (unsigned long long)mc->current_epoch);
}

static void
handle_ping_pong(struct cluster_snap *mc, struct bus_link *l, const struct bus_msg *m, int s)
{
    int type = m->h.type;
    if (type == BUS_PING || type == BUS_MEET) {
        if (type == BUS_MEET || mc->nodes[mc->myself].ip[0] == '\0')
            learn_my_ip(mc, l);
        if (s < 0 && type == BUS_MEET && cluster_id_valid(m->h.sender, BUS_NAMELEN)) {
            /* A stranger introduces itself: it gets a handshake node of
             * its own, and our cron will PING it to learn its real ID. */
            char id[CLUSTER_NAMELEN + 1];
            cluster_node_gen_id(id);
            int ni = cluster_snap_add_node(mc, id, CN_HANDSHAKE);
            set_ip(mc->nodes[ni].ip, sender_ip(l, m));
            mc->nodes[ni].port = m->h.port;
            mc->nodes[ni].cport = m->h.cport;
            bus_peer_get(id)->ctime = g_bus.now;
            g_bus.dirty_save = true;
        }
        bus_send_ping(l, BUS_PONG);
    }
    if (l->outbound) {
        s = outbound_identity(mc, l, m, s);
        if (s == -2)
            return;
    }
    if (s < 0 || (mc->nodes[s].flags & CN_HANDSHAKE))
        return;
    struct cluster_node *n = &mc->nodes[s];
    if ((n->flags ^ m->h.flags) & CN_NOFAILOVER) {
        n->flags = (n->flags & ~(uint32_t)CN_NOFAILOVER) | (m->h.flags & CN_NOFAILOVER);
        g_bus.dirty_save = true;
    }
    if (!l->outbound && type == BUS_PING) {
        const char *ip = sender_ip(l, m);
        if (strcmp(n->ip, ip) != 0 || n->port != m->h.port || n->cport != m->h.cport) {
            log_notice("Address updated for node %.40s, now %s:%d", n->id, ip, m->h.port);
            set_ip(n->ip, ip);
            n->port = m->h.port;
            n->cport = m->h.cport;
            n->flags &= ~(uint32_t)CN_NOADDR;
            struct bus_peer *p = bus_peer_find(n->id);
            if (p && p->out)
                bus_link_close(p->out);
            g_bus.dirty_save = true;
        }
    }
    if (l->outbound && type == BUS_PONG) {
        n->pong_recv = g_bus.now;
        n->ping_sent = 0;
        if (n->flags & CN_PFAIL) {
            n->flags &= ~(uint32_t)CN_PFAIL;
            g_bus.dirty_save = true;
        } else if (n->flags & CN_FAIL) {
            bus_clear_fail_if_needed(mc, s);
        }
        g_bus.dirty_publish = true;
    }
    update_role(mc, s, m);
    update_slots(mc, s, m);
    const struct cluster_node *me = &mc->nodes[mc->myself];
    if ((me->flags & CN_MASTER) && (n->flags & CN_MASTER) && m->h.config_epoch == me->config_epoch)
        handle_collision(mc, s);
    process_gossip(mc, s, m);
    process_hostname(mc, s, m);
}

void
bus_handle_msg(struct bus_link *l, const uint8_t *buf, size_t len)
{
    struct bus_msg m;
    const char *why = NULL;
    if (bus_msg_decode(buf, len, &m, &why) < 0) {
        /* Redis ignores such a message and keeps the link; a peer that
         * sends one is broken or hostile, so this one link goes. */
        log_warn("Cluster bus: malformed message from %.40s (%s); closing the link", l->node[0] ? l->node : l->peer_ip,
                 why ? why : "?");
        bus_link_close(l);
        return;
    }
    if (m.h.type >= BUS_TYPE_COUNT) {
        log_verbose("Received unknown packet type: %d", m.h.type);
        return;
    }
    __atomic_fetch_add(&g_bus_recv[m.h.type], 1, __ATOMIC_RELAXED);
    struct cluster_snap *mc = cluster_mc();
    int s = -1;
    if (l->node[0]) {
        int li = cluster_snap_find(mc, l->node, CLUSTER_NAMELEN);
        if (li >= 0 && !(mc->nodes[li].flags & CN_HANDSHAKE))
            s = li;
    }
    if (s < 0)
        s = cluster_snap_find(mc, m.h.sender, BUS_NAMELEN);
    if (s == mc->myself) {
        bus_link_close(l); /* a link to ourselves (announced address loop) */
        return;
    }
    if (s >= 0 && !l->outbound && !l->node[0]) {
        /* First identified message on an inbound link: bind it. */
        struct bus_peer *p = bus_peer_get(mc->nodes[s].id);
        if (p->in && p->in != l)
            bus_link_close(p->in);
        p->in = l;
        memcpy(l->node, mc->nodes[s].id, CLUSTER_NAMELEN + 1);
    }
    if (s >= 0) {
        bus_peer_get(mc->nodes[s].id)->data_received = g_bus.now;
        struct cluster_node *n = &mc->nodes[s];
        if (!(n->flags & CN_HANDSHAKE)) {
            if (m.h.current_epoch > mc->current_epoch) {
                mc->current_epoch = m.h.current_epoch;
                g_bus.dirty_save = true;
            }
            if (m.h.config_epoch > n->config_epoch) {
                n->config_epoch = m.h.config_epoch;
                g_bus.dirty_save = true;
            }
            n->repl_offset = (int64_t)m.h.offset;
            bus_fo_on_header(mc, s, &m);
        }
    }
    switch (m.h.type) {
    case BUS_PING:
    case BUS_PONG:
    case BUS_MEET:
        handle_ping_pong(mc, l, &m, s);
        break;
    case BUS_FAIL: {
        if (s < 0) {
            log_verbose("Ignoring FAIL message from unknown node %.40s about %.40s", m.h.sender, m.nodename);
            break;
        }
        int fi = cluster_snap_find(mc, m.nodename, BUS_NAMELEN);
        if (fi >= 0 && fi != mc->myself && !(mc->nodes[fi].flags & CN_FAIL)) {
            log_notice("FAIL message received from %.40s about %.40s", mc->nodes[s].id, mc->nodes[fi].id);
            mc->nodes[fi].flags = (mc->nodes[fi].flags | CN_FAIL) & ~(uint32_t)CN_PFAIL;
            mc->nodes[fi].fail_time = g_bus.now;
            g_bus.dirty_save = true;
        }
        break;
    }
    case BUS_UPDATE: {
        if (s < 0)
            break;
        int ui = cluster_snap_find(mc, m.nodename, BUS_NAMELEN);
        if (ui < 0 || mc->nodes[ui].config_epoch >= m.update_config_epoch)
            break;
        struct cluster_node *n = &mc->nodes[ui];
        if (n->flags & CN_SLAVE) {
            n->flags = (n->flags & ~(uint32_t)CN_SLAVE) | CN_MASTER;
            bus_set_master(mc, ui, -1);
        }
        n->config_epoch = m.update_config_epoch;
        g_bus.dirty_save = true;
        slot_update(mc, ui, m.update_config_epoch, m.update_slots);
        break;
    }
    case BUS_AUTH_REQUEST:
        if (s >= 0)
            handle_auth_request(mc, s, &m);
        break;
    case BUS_AUTH_ACK:
        if (s >= 0)
            bus_fo_on_auth_ack(mc, s, &m);
        break;
    case BUS_MFSTART:
        if (s >= 0)
            bus_fo_on_mfstart(mc, s);
        break;
    case BUS_PUBLISH:
    case BUS_PUBLISHSHARD:
        if (s >= 0)
            bus_pubsub_receive(&m);
        break;
    default:
        break; /* MODULE: no modules to hand it to */
    }
    bus_fo_after_msg(mc);
}
