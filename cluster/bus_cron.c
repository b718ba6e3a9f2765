/* bus_cron.c: the cluster thread's 100 ms cron (cluster-algorithms.md §1):
 * create missing links, ping, detect PFAIL, expire handshakes, keep the
 * failure reports, promote PFAIL to FAIL and clear FAIL (§4), and decide
 * the cluster state with its boot and rejoin delays (§5). Also the per-node
 * bookkeeping the snapshot does not carry (links, reports, bans). */
#include "cluster/bus_int.h"

#include "core/config.h"
#include "core/log.h"

#include <stdlib.h>

/* ---- Peers (per-node private data, keyed by ID) ---- */

/* Peers are separately allocated so pointers stay valid while the table
 * grows. */
static struct bus_peer **peer_tab;

struct bus_peer *
bus_peer_find(const char *id)
{
    for (int i = 0; i < g_bus.npeers; i++)
        if (memcmp(peer_tab[i]->id, id, CLUSTER_NAMELEN) == 0)
            return peer_tab[i];
    return NULL;
}

struct bus_peer *
bus_peer_get(const char *id)
{
    struct bus_peer *p = bus_peer_find(id);
    if (p)
        return p;
    if (g_bus.npeers == g_bus.cappeers) {
        g_bus.cappeers = g_bus.cappeers ? 2 * g_bus.cappeers : 16;
        peer_tab = ts_realloc(peer_tab, (size_t)g_bus.cappeers * sizeof(*peer_tab));
    }
    p = ts_calloc(1, sizeof(*p));
    memcpy(p->id, id, CLUSTER_NAMELEN);
    p->ctime = g_bus.now;
    peer_tab[g_bus.npeers++] = p;
    return p;
}

static void
peer_free_at(int i)
{
    struct bus_peer *p = peer_tab[i];
    if (p->out)
        bus_link_close(p->out);
    if (p->in)
        bus_link_close(p->in);
    ts_free(p->reports);
    ts_free(p);
    peer_tab[i] = peer_tab[--g_bus.npeers];
}

/* Reconnect back-off: 100 ms doubling up to 1 s (and never past half the
 * node timeout), so a dead peer costs a few connects per second, while a
 * restarted one is found again within a second. */
void
bus_connect_failed(const char *id)
{
    struct bus_peer *p = bus_peer_find(id);
    if (!p)
        return;
    int shift = TS_MIN(p->connect_fails, 4);
    int64_t delay = TS_MIN((int64_t)100 << shift, TS_MAX((int64_t)100, TS_MIN((int64_t)1000, bus_node_timeout() / 2)));
    p->connect_fails++;
    p->next_connect = g_bus.now + delay;
}

/* ---- Failure reports ---- */

static void
reports_expire(struct bus_peer *p)
{
    int64_t max_age = 2 * bus_node_timeout();
    int k = 0;
    for (int i = 0; i < p->nreports; i++)
        if (g_bus.now - p->reports[i].time <= max_age)
            p->reports[k++] = p->reports[i];
    p->nreports = k;
}

void
bus_report_add(const char *node, const char *reporter)
{
    struct bus_peer *p = bus_peer_get(node);
    for (int i = 0; i < p->nreports; i++) {
        if (memcmp(p->reports[i].reporter, reporter, CLUSTER_NAMELEN) == 0) {
            p->reports[i].time = g_bus.now;
            return;
        }
    }
    if (p->nreports == p->capreports) {
        p->capreports = p->capreports ? 2 * p->capreports : 4;
        p->reports = ts_realloc(p->reports, (size_t)p->capreports * sizeof(*p->reports));
    }
    memcpy(p->reports[p->nreports].reporter, reporter, CLUSTER_NAMELEN);
    p->reports[p->nreports++].time = g_bus.now;
}

void
bus_report_del(const char *node, const char *reporter)
{
    struct bus_peer *p = bus_peer_find(node);
    if (!p)
        return;
    for (int i = 0; i < p->nreports; i++) {
        if (memcmp(p->reports[i].reporter, reporter, CLUSTER_NAMELEN) == 0) {
            p->reports[i] = p->reports[--p->nreports];
            return;
        }
    }
}

int
bus_report_count(const char *node)
{
    struct bus_peer *p = bus_peer_find(node);
    if (!p)
        return 0;
    reports_expire(p);
    return p->nreports;
}

void
bus_mark_fail_if_needed(struct cluster_snap *mc, int idx)
{
    struct cluster_node *n = &mc->nodes[idx];
    if (!(n->flags & CN_PFAIL) || (n->flags & CN_FAIL))
        return;
    int votes = bus_report_count(n->id);
    if (mc->nodes[mc->myself].flags & CN_MASTER)
        votes++;
    if (votes < mc->size / 2 + 1)
        return;
    log_notice("Marking node %.40s as failing (quorum reached).", n->id);
    n->flags = (n->flags & ~(uint32_t)CN_PFAIL) | CN_FAIL;
    n->fail_time = g_bus.now;
    bus_send_fail(idx);
    g_bus.dirty_save = true;
}

void
bus_clear_fail_if_needed(struct cluster_snap *mc, int idx)
{
    struct cluster_node *n = &mc->nodes[idx];
    int nslots = 0;
    for (int j = 0; j < CLUSTER_SLOTS; j++)
        nslots += mc->owner[j] == idx;
    if ((n->flags & CN_SLAVE) || nslots == 0) {
        log_notice("Clear FAIL state for node %.40s: %s is reachable again.", n->id,
                   (n->flags & CN_SLAVE) ? "replica" : "master without slots");
    } else if (g_bus.now - n->fail_time > 2 * bus_node_timeout()) {
        log_notice("Clear FAIL state for node %.40s: is reachable again and nobody is serving its slots after some "
                   "time.",
                   n->id);
    } else {
        return;
    }
    n->flags &= ~(uint32_t)CN_FAIL;
    g_bus.dirty_save = true;
}

/* ---- Node table changes ---- */

void
bus_node_delete(struct cluster_snap *mc, int idx)
{
    char id[CLUSTER_NAMELEN];
    memcpy(id, mc->nodes[idx].id, CLUSTER_NAMELEN);
    for (int i = 0; i < g_bus.npeers; i++) {
        if (memcmp(peer_tab[i]->id, id, CLUSTER_NAMELEN) == 0) {
            peer_free_at(i);
            break;
        }
    }
    for (int i = 0; i < g_bus.npeers; i++)
        bus_report_del(peer_tab[i]->id, id);
    cluster_snap_del_node(mc, idx);
    g_bus.dirty_save = true;
}

void
bus_node_rename(struct cluster_snap *mc, int idx, const char *newid)
{
    struct cluster_node *n = &mc->nodes[idx];
    struct bus_peer *p = bus_peer_find(n->id);
    for (struct bus_link *l = g_bus.links; l; l = l->next)
        if (memcmp(l->node, n->id, CLUSTER_NAMELEN) == 0)
            memcpy(l->node, newid, CLUSTER_NAMELEN);
    if (p)
        memcpy(p->id, newid, CLUSTER_NAMELEN);
    memcpy(n->id, newid, CLUSTER_NAMELEN);
    n->id[CLUSTER_NAMELEN] = '\0';
}

/* ---- The FORGET ban list ---- */

bool
bus_banned(const char *id)
{
    for (int i = 0; i < g_bus.nbans; i++)
        if (g_bus.bans[i].until > g_bus.now && memcmp(g_bus.bans[i].id, id, CLUSTER_NAMELEN) == 0)
            return true;
    return false;
}

void
bus_ban(const char *id)
{
    int64_t until = ts_mstime() + 60 * 1000;
    for (int i = 0; i < g_bus.nbans; i++) {
        if (memcmp(g_bus.bans[i].id, id, CLUSTER_NAMELEN) == 0) {
            g_bus.bans[i].until = until;
            return;
        }
    }
    if (g_bus.nbans == g_bus.capbans) {
        g_bus.capbans = g_bus.capbans ? 2 * g_bus.capbans : 8;
        g_bus.bans = ts_realloc(g_bus.bans, (size_t)g_bus.capbans * sizeof(*g_bus.bans));
    }
    memcpy(g_bus.bans[g_bus.nbans].id, id, CLUSTER_NAMELEN);
    g_bus.bans[g_bus.nbans++].until = until;
}

static void
bans_expire(void)
{
    int k = 0;
    for (int i = 0; i < g_bus.nbans; i++)
        if (g_bus.bans[i].until > g_bus.now)
            g_bus.bans[k++] = g_bus.bans[i];
    g_bus.nbans = k;
}

/* Admin commands (FORGET, RESET) delete nodes from the master copy between
 * our turns: drop the peers whose node is gone, with their links. */
static void
reconcile_peers(struct cluster_snap *mc)
{
    for (int i = 0; i < g_bus.npeers; i++)
        peer_tab[i]->seen = false;
    for (int i = 0; i < mc->nnodes; i++)
        if (i != mc->myself)
            bus_peer_get(mc->nodes[i].id)->seen = true;
    for (int i = 0; i < g_bus.npeers; i++) {
        if (!peer_tab[i]->seen) {
            peer_free_at(i);
            i--;
        }
    }
    /* Inbound links of forgotten nodes. */
    for (struct bus_link *l = g_bus.links; l; l = l->next)
        if (!l->closing && !l->outbound && l->node[0] && cluster_snap_find(mc, l->node, CLUSTER_NAMELEN) < 0)
            bus_link_close(l);
}

/* ---- State ---- */

void
bus_update_state(struct cluster_snap *mc)
{
    int prev = cluster_snap_state(mc);
    if (g_bus.first_state_eval == 0)
        g_bus.first_state_eval = g_bus.now;
    bool master = (mc->nodes[mc->myself].flags & CN_MASTER) != 0;
    mc->hold_fail = false;
    cluster_snap_finish(mc);
    /* A master that is still FAIL in its first 2 s (Redis's
     * CLUSTER_WRITABLE_DELAY, counted from the first evaluation) stays FAIL
     * and evaluates nothing else: as in Redis's clusterUpdateState, it does
     * not note "in a minority" then, so a fresh node given its slots during
     * the start-up wait goes ok at 2 s rather than after the rejoin delay. */
    if (master && prev == CLUSTER_FAIL && g_bus.now - g_bus.first_state_eval < 2000) {
        mc->hold_fail = true;
        cluster_snap_finish(mc);
        return;
    }
    if (mc->state_partial == CLUSTER_FAIL)
        g_bus.among_minority_time = g_bus.now; /* fewer than a majority of masters reachable */
    int64_t rejoin = TS_MAX(500, TS_MIN(bus_node_timeout(), 5000));
    /* A master back from a minority partition (including one that served
     * no slots, so had no majority) waits before it accepts writes, so the
     * others can reconfigure it first. Redis applies this only to the
     * change to OK; holding FAIL while the delay runs is the same. */
    if (master && g_bus.among_minority_time && g_bus.now - g_bus.among_minority_time < rejoin) {
        mc->hold_fail = true;
        cluster_snap_finish(mc);
    }
    int now_state = cluster_snap_state(mc);
    if (now_state != prev) {
        log_notice("Cluster state changed: %s", now_state == CLUSTER_OK ? "ok" : "fail");
        g_bus.dirty_publish = true;
    }
}

/* ---- The cron ---- */

static void
ping_oldest_of_five(struct cluster_snap *mc)
{
    int best = -1;
    int64_t oldest = INT64_MAX;
    for (int k = 0; k < 5 && mc->nnodes > 1; k++) {
        int i = rand() % mc->nnodes;
        const struct cluster_node *n = &mc->nodes[i];
        if (i == mc->myself || (n->flags & CN_HANDSHAKE) || n->ping_sent != 0)
            continue;
        struct bus_peer *p = bus_peer_find(n->id);
        if (!p || !p->out || !p->out->connected)
            continue;
        if (n->pong_recv < oldest) {
            oldest = n->pong_recv;
            best = i;
        }
    }
    if (best >= 0)
        bus_send_ping(bus_peer_find(mc->nodes[best].id)->out, BUS_PING);
}

void
bus_cron(void)
{
    struct cluster_snap *mc = cluster_mc();
    int64_t now = g_bus.now, T = bus_node_timeout();
    g_bus.iteration++;
    bans_expire();
    reconcile_peers(mc);
    if (cluster_apply_my_address(mc))
        g_bus.dirty_save = true;

    int64_t handshake_ttl = TS_MAX(T, 1000);
    g_bus.pfail_count = 0;
    for (int i = 0; i < mc->nnodes; i++) {
        struct cluster_node *n = &mc->nodes[i];
        if (i == mc->myself || (n->flags & CN_NOADDR))
            continue;
        if (n->flags & CN_PFAIL)
            g_bus.pfail_count++;
        struct bus_peer *p = bus_peer_get(n->id);
        if ((n->flags & CN_HANDSHAKE) && now - p->ctime > handshake_ttl) {
            log_verbose("Handshake with node %.40s (%s:%d) timed out", n->id, n->ip, n->port);
            bus_node_delete(mc, i);
            i--;
            continue;
        }
        if (!p->out && now >= p->next_connect && !bus_link_connect(mc, i) && n->ping_sent == 0)
            n->ping_sent = now;
    }
    if (g_bus.iteration % 10 == 0)
        ping_oldest_of_five(mc);

    for (int i = 0; i < mc->nnodes; i++) {
        struct cluster_node *n = &mc->nodes[i];
        if (i == mc->myself || (n->flags & (CN_NOADDR | CN_HANDSHAKE)))
            continue;
        struct bus_peer *p = bus_peer_get(n->id);
        struct bus_link *l = p->out;
        if (l && !l->connected && now - l->ctime > T) {
            bus_connect_failed(n->id); /* connect timed out; retried after a back-off */
            bus_link_close(l);
            if (n->ping_sent == 0)
                n->ping_sent = now;
            l = NULL;
        }
        /* A link that looks stuck (old, ping unanswered for T/2, nothing
         * received for T/2) is replaced. */
        if (l && l->connected && now - l->ctime > T && n->ping_sent && now - n->ping_sent > T / 2 &&
            now - p->data_received > T / 2) {
            bus_link_close(l);
            l = NULL;
        }
        if (l && l->connected && n->ping_sent == 0 && now - n->pong_recv > T / 2) {
            bus_send_ping(l, BUS_PING);
            continue;
        }
        if (n->ping_sent == 0)
            continue;
        int64_t delay = TS_MIN(now - n->ping_sent, now - p->data_received);
        if (delay > T && !(n->flags & (CN_PFAIL | CN_FAIL))) {
            log_verbose("*** NODE %.40s possibly failing", n->id);
            n->flags |= CN_PFAIL;
            g_bus.dirty_publish = true;
            /* Tell everyone now rather than on the next ping to each: the
             * PONGs carry every PFAIL node in their gossip, so the masters'
             * failure reports meet the quorum up to T/2 sooner. (A PONG
             * leaves the receivers' ping timers alone.) */
            cluster_bus_request_pong();
        }
    }
    for (int i = 0; i < mc->nnodes; i++) {
        struct cluster_node *n = &mc->nodes[i];
        int c = i == mc->myself ? 0 : bus_report_count(n->id);
        if (c != n->fail_reports) {
            n->fail_reports = c;
            g_bus.dirty_publish = true;
        }
    }
    bus_fo_cron(mc);
    bus_update_state(mc);
}

/* ---- Admin hooks (cluster.h) ---- */

void
cluster_bus_ban(const char *id)
{
    bus_ban(id);
}

void
cluster_bus_reset(void)
{
    memset(g_bus.not_claimed, 0, sizeof(g_bus.not_claimed));
    g_bus.nbans = 0;
    bus_fo_mf_reset();
    g_bus.fo.auth_time = g_bus.fo.wake_at = 0;
    g_bus.fo.auth_sent = false;
}

void
cluster_bus_stats_text(struct ts_buf *out)
{
    char tmp[128];
    const uint64_t *tabs[2] = {g_bus_sent, g_bus_recv};
    const char *dir[2] = {"sent", "received"};
    for (int d = 0; d < 2; d++) {
        uint64_t total = 0;
        for (unsigned t = 0; t < BUS_TYPE_COUNT; t++) {
            uint64_t v = __atomic_load_n(&tabs[d][t], __ATOMIC_RELAXED);
            total += v;
            if (!v)
                continue;
            int n = snprintf(tmp, sizeof(tmp), "cluster_stats_messages_%s_%s:%llu\r\n", bus_type_name(t), dir[d],
                             (unsigned long long)v);
            ts_buf_append(out, tmp, (size_t)n);
        }
        int n = snprintf(tmp, sizeof(tmp), "cluster_stats_messages_%s:%llu\r\n", dir[d], (unsigned long long)total);
        ts_buf_append(out, tmp, (size_t)n);
    }
    uint64_t exceeded = __atomic_load_n(&g_bus_links_limit_exceeded, __ATOMIC_RELAXED);
    int n = snprintf(tmp, sizeof(tmp), "total_cluster_links_buffer_limit_exceeded:%llu\r\n",
                     (unsigned long long)exceeded);
    ts_buf_append(out, tmp, (size_t)n);
}
