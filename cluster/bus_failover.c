/* bus_failover.c: what a replica does to take over its master - the
 * election (cluster-algorithms.md §8), the manual failover on both sides
 * (§10, CLUSTER FAILOVER [FORCE|TAKEOVER]) - and keeping replication told
 * who myself follows (repl_set_master / repl_promote). The voting side is
 * handle_auth_request in bus_proto.c; replica migration is bus_migrate.c.
 *
 * Runs on the cluster thread under cluster_lock (from the cron, from
 * received messages, and from posted admin commands); state in g_bus.fo.
 *
 * Election timing. Redis waits 500 ms + random(0..499) ms + rank * 1000 ms
 * whatever the node timeout, which at cluster-node-timeout 2000 puts the
 * first vote request ~0.75 s after FAIL. We scale the three terms with the
 * node timeout T and keep Redis's values as the upper bounds:
 *
 *   base = clamp(T/40, 25, 500)         FAIL broadcast time to every master
 *   delay = base + random(0..base) + rank * clamp(T/10, 100, 1000)
 *
 * At T = 2000 that is 50-100 ms for the best replica (200 ms per rank), and
 * writes resume 2.2-2.4 s after a master is killed: T until PFAIL, up to
 * two cron ticks until a majority of masters agree on FAIL, the delay, one
 * round trip for the votes.
 *
 * Why this is safe: safety never depends on the delay. A master grants one
 * vote per epoch and none to another replica of the same master for 2*T,
 * and a win needs a majority of slot owners, so two replicas cannot both
 * win; the delay only decides who asks first. The rank step must exceed
 * what the best replica needs to ask and be answered (one round trip plus
 * a cluster-thread turn: well under 10 ms on loopback or a LAN), so 100 ms
 * still lets the most up-to-date replica win; the base must exceed the FAIL
 * broadcast's spread: the node that reaches the quorum sends FAIL to every
 * node at once, one hop, the same as our AUTH_REQUEST, so 25 ms leaves a
 * wide margin for a busy voter's turn. A replica that asks too early is only
 * refused (its master not yet FAIL for some voter) and retries after
 * 2 * auth_timeout, as in Redis. */
#include "cluster/bus_int.h"

#include "core/config.h"
#include "core/log.h"
#include "replication/repl.h"

#include <stdlib.h>

#define MF_TIMEOUT_MS 5000        /* CLUSTER_MF_TIMEOUT */
#define MF_PAUSE_MS (2 * MF_TIMEOUT_MS) /* the master pauses writes this long */
#define REPL_PING_PERIOD_MS 10000 /* repl-ping-replica-period (not a directive yet) */
#define CANT_RELOG_MS 10000       /* a "Currently unable to failover" line at most this often */
#define CANT_NOLOG_MS 5000        /* ... and not in the first T + this after FAIL */

enum cant_reason {
    CANT_NONE,
    CANT_DATA_AGE,
    CANT_WAITING_DELAY,
    CANT_EXPIRED,
    CANT_WAITING_VOTES,
};

static const char *const cant_text[] = {
    [CANT_NONE] = "",
    [CANT_DATA_AGE] = "Disconnected from master for longer than allowed. Please check the "
                      "'cluster-replica-validity-factor' configuration option.",
    [CANT_WAITING_DELAY] = "Waiting the delay before I can start a new failover.",
    [CANT_EXPIRED] = "Failover attempt expired.",
    [CANT_WAITING_VOTES] = "Waiting for votes, but majority still not reached.",
};

/* ---- Pure parts ---- */

static int64_t
clamp64(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

int64_t
bus_fo_rank_step(int64_t T)
{
    return clamp64(T / 10, 100, 1000);
}

int64_t
bus_fo_delay(int64_t T, int rank, unsigned rnd)
{
    int64_t base = clamp64(T / 40, 25, 500);
    return base + (int64_t)(rnd % (unsigned)base) + (int64_t)rank * bus_fo_rank_step(T);
}

int
bus_fo_rank(const struct cluster_snap *mc, int64_t my_offset)
{
    const struct cluster_node *me = &mc->nodes[mc->myself];
    int master = me->master, rank = 0;
    if (master < 0)
        return 0;
    for (int i = 0; i < mc->nnodes; i++) {
        const struct cluster_node *n = &mc->nodes[i];
        if (i == mc->myself || n->master != master || !(n->flags & CN_SLAVE) || (n->flags & CN_NOFAILOVER))
            continue;
        if (n->repl_offset > my_offset)
            rank++;
    }
    return rank;
}

static int
slots_of(const struct cluster_snap *mc, int idx)
{
    int n = 0;
    for (int j = 0; j < CLUSTER_SLOTS; j++)
        n += mc->owner[j] == idx;
    return n;
}

static int64_t
auth_timeout(void)
{
    return TS_MAX(2 * bus_node_timeout(), 2000);
}

/* ---- Replica bookkeeping ---- */

void
bus_set_master(struct cluster_snap *mc, int idx, int master)
{
    int old = mc->nodes[idx].master;
    mc->nodes[idx].master = (int16_t)master;
    if (master >= 0)
        mc->nodes[master].flags |= CN_MIGRATE_TO;
    if (old < 0 || old == master)
        return;
    for (int i = 0; i < mc->nnodes; i++)
        if (mc->nodes[i].master == old && (mc->nodes[i].flags & CN_SLAVE))
            return;
    mc->nodes[old].flags &= ~(uint32_t)CN_MIGRATE_TO;
}

/* ---- Telling replication ---- */

void
bus_fo_mf_reset(void)
{
    struct bus_fo *fo = &g_bus.fo;
    if (fo->mf_paused)
        repl_mf_unpause();
    fo->mf_paused = false;
    fo->mf_end = 0;
    fo->mf_replica[0] = '\0';
    fo->mf_can_start = false;
    fo->mf_master_offset = -1;
}

void
bus_fo_sync_repl(struct cluster_snap *mc)
{
    struct bus_fo *fo = &g_bus.fo;
    const struct cluster_node *me = &mc->nodes[mc->myself];
    if ((me->flags & CN_SLAVE) && me->master >= 0) {
        const struct cluster_node *m = &mc->nodes[me->master];
        if (!m->ip[0] || m->port <= 0 || (m->flags & CN_NOADDR))
            return; /* address unknown yet: told once it is */
        if (fo->repl_replica && strcmp(fo->repl_master, m->id) == 0 && strcmp(fo->repl_ip, m->ip) == 0 &&
            fo->repl_port == m->port)
            return;
        /* A new master (or a master demoted) ends any manual failover,
         * unpausing writes if we were the paused master. */
        if (!fo->repl_replica || strcmp(fo->repl_master, m->id) != 0)
            bus_fo_mf_reset();
        fo->repl_replica = true;
        memcpy(fo->repl_master, m->id, sizeof(fo->repl_master));
        memcpy(fo->repl_ip, m->ip, sizeof(fo->repl_ip));
        fo->repl_port = m->port;
        log_notice("Replicating master %.40s at %s:%d", m->id, m->ip, m->port);
        repl_set_master(m->ip, m->port);
        /* Every node learns our new role now, not at our next ping to it
         * (up to T/2 later): clients and redis-cli see the swap at once. */
        cluster_bus_request_pong();
    } else if ((me->flags & CN_MASTER) && fo->repl_replica) {
        fo->repl_replica = false;
        fo->repl_master[0] = fo->repl_ip[0] = '\0';
        fo->repl_port = 0;
        log_notice("No longer a replica: replication promoted to master");
        repl_promote();
        cluster_bus_request_pong();
    }
}

/* ---- Becoming master ---- */

/* §8 step 6 / TAKEOVER: myself replaces its master: master flags, every slot
 * of the old master, replication promoted, nodes.conf saved and fsynced
 * now, then every node told by a PONG (sent at the end of this turn). */
static void
replace_master(struct cluster_snap *mc)
{
    struct cluster_node *me = &mc->nodes[mc->myself];
    int old = me->master;
    me->flags = (me->flags & ~(uint32_t)CN_SLAVE) | CN_MASTER;
    bus_set_master(mc, mc->myself, -1);
    for (unsigned j = 0; j < CLUSTER_SLOTS; j++) {
        if (old >= 0 && mc->owner[j] == old) {
            mc->owner[j] = (int16_t)mc->myself;
            g_bus.not_claimed[j >> 3] &= (uint8_t) ~(1u << (j & 7));
        }
    }
    bus_fo_mf_reset();
    bus_fo_sync_repl(mc);
    cluster_snap_finish(mc);
    bus_update_state(mc);
    /* On disk before anyone hears of it (the PONGs leave this turn). */
    if (cluster_mc_save() < 0)
        log_warn("Cluster bus: can't update cluster config file");
    g_bus.dirty_publish = true;
    cluster_bus_request_pong();
}

/* ---- The election (§8) ---- */

/* Log why an election cannot go on: when the reason changes or every 10 s,
 * and not while the master has been FAIL for less than T + 5 s (an
 * election normally completes within that). */
static void
cant_failover(const struct cluster_snap *mc, int reason)
{
    struct bus_fo *fo = &g_bus.fo;
    if (reason == fo->cant_reason && g_bus.now - fo->cant_logged < CANT_RELOG_MS)
        return;
    fo->cant_reason = reason;
    if (reason == CANT_NONE)
        return;
    int master = mc->nodes[mc->myself].master;
    if (master >= 0 && (mc->nodes[master].flags & CN_FAIL) &&
        g_bus.now - mc->nodes[master].fail_time < bus_node_timeout() + CANT_NOLOG_MS)
        return;
    fo->cant_logged = g_bus.now;
    log_notice("Currently unable to failover: %s", cant_text[reason]);
}

/* Preconditions of §8 and the data-age check: true if myself may run an
 * election now (manual: a manual failover is ready). */
static bool
may_fail_over(const struct cluster_snap *mc, bool manual)
{
    const struct cluster_node *me = &mc->nodes[mc->myself];
    if (!(me->flags & CN_SLAVE) || me->master < 0)
        return false;
    const struct cluster_node *m = &mc->nodes[me->master];
    if (!(m->flags & CN_FAIL) && !manual)
        return false;
    if (g_cfg.cluster_replica_no_failover && !manual)
        return false;
    if (slots_of(mc, me->master) == 0)
        return false;
    int64_t T = bus_node_timeout();
    int64_t age = repl_is_replica() ? repl_link_down_ms() : 0;
    if (age > T)
        age -= T; /* the master was down for at least T before FAIL */
    long long factor = g_cfg.cluster_replica_validity_factor;
    if (!manual && factor > 0 && age > REPL_PING_PERIOD_MS + T * factor) {
        cant_failover(mc, CANT_DATA_AGE);
        return false;
    }
    return true;
}

static void
send_auth_request(bool manual)
{
    struct bus_out o = {0};
    bus_fill_header(&o.h, BUS_AUTH_REQUEST);
    if (manual)
        o.h.mflags[0] |= BUS_MF_FORCEACK;
    bus_broadcast(&o);
}

/* Let the other replicas of my master learn my offset before they rank. */
static void
pong_to_siblings(struct cluster_snap *mc)
{
    int master = mc->nodes[mc->myself].master;
    for (int i = 0; i < mc->nnodes; i++) {
        if (i == mc->myself || mc->nodes[i].master != master || (mc->nodes[i].flags & CN_HANDSHAKE))
            continue;
        struct bus_peer *p = bus_peer_find(mc->nodes[i].id);
        if (p && p->out && p->out->connected && !p->out->closing)
            bus_send_ping(p->out, BUS_PONG);
    }
}

/* Schedule a new attempt (§8 step 2). */
static void
schedule_attempt(struct cluster_snap *mc, bool manual)
{
    struct bus_fo *fo = &g_bus.fo;
    int64_t T = bus_node_timeout();
    fo->auth_count = 0;
    fo->auth_sent = false;
    if (manual) {
        fo->auth_time = g_bus.now;
        fo->auth_rank = 0;
    } else {
        fo->auth_rank = bus_fo_rank(mc, repl_offset());
        fo->auth_time = g_bus.now + bus_fo_delay(T, fo->auth_rank, (unsigned)rand());
        fo->wake_at = fo->auth_time;
        log_notice("Start of election delayed for %lld milliseconds (rank #%d, offset %lld).",
                   (long long)(fo->auth_time - g_bus.now), fo->auth_rank, (long long)repl_offset());
    }
    pong_to_siblings(mc);
}

/* One step of the election; from the cron and on every vote. */
static void
election_step(struct cluster_snap *mc)
{
    struct bus_fo *fo = &g_bus.fo;
    bool manual = fo->mf_end && fo->mf_can_start;
    if (!may_fail_over(mc, manual)) {
        if (fo->cant_reason != CANT_DATA_AGE)
            fo->cant_reason = CANT_NONE;
        return;
    }
    int64_t tmo = auth_timeout();
    if (g_bus.now - fo->auth_time > 2 * tmo) {
        schedule_attempt(mc, manual);
        if (!manual)
            return;
    }
    if (!fo->auth_sent && !manual) {
        int rank = bus_fo_rank(mc, repl_offset());
        if (rank > fo->auth_rank) {
            int64_t added = (rank - fo->auth_rank) * bus_fo_rank_step(bus_node_timeout());
            fo->auth_time += added;
            fo->auth_rank = rank;
            log_notice("Replica rank updated to #%d, added %lld milliseconds of delay.", rank, (long long)added);
        }
    }
    if (g_bus.now < fo->auth_time) {
        fo->wake_at = fo->auth_time;
        cant_failover(mc, CANT_WAITING_DELAY);
        return;
    }
    if (g_bus.now - fo->auth_time > tmo) {
        cant_failover(mc, CANT_EXPIRED);
        return;
    }
    if (!fo->auth_sent) {
        mc->current_epoch++;
        fo->auth_epoch = mc->current_epoch;
        log_notice("Starting a failover election for epoch %llu.", (unsigned long long)fo->auth_epoch);
        send_auth_request(manual);
        fo->auth_sent = true;
        g_bus.dirty_save = true;
        return;
    }
    if (fo->auth_count < bus_fo_quorum(mc->size)) {
        cant_failover(mc, CANT_WAITING_VOTES);
        return;
    }
    cant_failover(mc, CANT_NONE);
    log_notice("Failover election won: I'm the new master.");
    struct cluster_node *me = &mc->nodes[mc->myself];
    if (me->config_epoch < fo->auth_epoch) {
        me->config_epoch = fo->auth_epoch;
        log_notice("configEpoch set to %llu after successful failover", (unsigned long long)me->config_epoch);
    }
    replace_master(mc);
}

void
bus_fo_on_auth_ack(struct cluster_snap *mc, int s, const struct bus_msg *m)
{
    struct bus_fo *fo = &g_bus.fo;
    if (!(mc->nodes[s].flags & CN_MASTER) || slots_of(mc, s) == 0)
        return;
    if (!fo->auth_sent || m->h.current_epoch < fo->auth_epoch)
        return;
    fo->auth_count++;
    election_step(mc);
}

/* ---- Manual failover (§10) ---- */

bool
bus_fo_paused(const struct cluster_snap *mc)
{
    return g_bus.fo.mf_end && (mc->nodes[mc->myself].flags & CN_MASTER) && repl_mf_offset_settled();
}

void
bus_fo_on_header(struct cluster_snap *mc, int s, const struct bus_msg *m)
{
    struct bus_fo *fo = &g_bus.fo;
    const struct cluster_node *me = &mc->nodes[mc->myself];
    if (!fo->mf_end || !(me->flags & CN_SLAVE) || me->master != s || fo->mf_master_offset >= 0 ||
        !(m->h.mflags[0] & BUS_MF_PAUSED))
        return;
    fo->mf_master_offset = (int64_t)m->h.offset;
    log_notice("Received replication offset for paused master manual failover: %lld",
               (long long)fo->mf_master_offset);
}

void
bus_fo_on_mfstart(struct cluster_snap *mc, int s)
{
    struct bus_fo *fo = &g_bus.fo;
    const struct cluster_node *r = &mc->nodes[s];
    if (!(mc->nodes[mc->myself].flags & CN_MASTER) || !(r->flags & CN_SLAVE) || r->master != mc->myself)
        return;
    bus_fo_mf_reset();
    log_notice("Manual failover requested by replica %.40s.", r->id);
    fo->mf_end = g_bus.now + MF_TIMEOUT_MS;
    memcpy(fo->mf_replica, r->id, sizeof(fo->mf_replica));
    repl_mf_pause_writes(MF_PAUSE_MS);
    fo->mf_paused = true;
    struct bus_peer *p = bus_peer_find(r->id);
    if (p && p->out && p->out->connected && !p->out->closing)
        bus_send_ping(p->out, BUS_PING);
}

int64_t
bus_fo_due(void)
{
    const struct bus_fo *fo = &g_bus.fo;
    return fo->wake_at ? fo->wake_at : INT64_MAX;
}

void
bus_fo_tick(struct cluster_snap *mc)
{
    g_bus.fo.wake_at = 0; /* set again by the step if it still has to wait */
    if (mc->nodes[mc->myself].flags & CN_SLAVE)
        election_step(mc);
}

/* The replica's side once its master's paused offset is known. */
static void
mf_check(void)
{
    struct bus_fo *fo = &g_bus.fo;
    if (!fo->mf_end || fo->mf_can_start || fo->mf_master_offset < 0)
        return;
    if (fo->mf_master_offset != repl_offset())
        return;
    fo->mf_can_start = true;
    log_notice("All master replication stream processed, manual failover can start.");
}

const char *
bus_fo_manual(struct cluster_snap *mc, int mode)
{
    struct bus_fo *fo = &g_bus.fo;
    struct cluster_node *me = &mc->nodes[mc->myself];
    if (me->flags & CN_MASTER)
        return "ERR You should send CLUSTER FAILOVER to a replica";
    if (me->master < 0)
        return "ERR I'm a replica but my master is unknown to me";
    const struct cluster_node *m = &mc->nodes[me->master];
    struct bus_peer *mp = bus_peer_find(m->id);
    bool reachable = mp && mp->out && mp->out->connected && !mp->out->closing;
    if (mode == BUS_FO_DEFAULT && ((m->flags & CN_FAIL) || !reachable))
        return "ERR Master is down or failed, please use CLUSTER FAILOVER FORCE";
    bus_fo_mf_reset();
    fo->mf_end = g_bus.now + MF_TIMEOUT_MS;
    fo->auth_time = 0; /* a manual failover does not wait out an old attempt */
    if (mode == BUS_FO_TAKEOVER) {
        /* No votes: a new configEpoch of our own wins the slots (§6). */
        log_notice("Taking over the master (user request).");
        cluster_mc_bump_epoch(mc);
        replace_master(mc);
        return NULL;
    }
    if (mode == BUS_FO_FORCE) {
        log_notice("Forced failover user request accepted.");
        fo->mf_can_start = true;
        election_step(mc);
        return NULL;
    }
    log_notice("Manual failover user request accepted.");
    struct bus_out o = {0};
    bus_fill_header(&o.h, BUS_MFSTART);
    g_bus.scratch.len = 0;
    bus_encode(&g_bus.scratch, &o);
    bus_link_write(mp->out, g_bus.scratch.data, g_bus.scratch.len);
    __atomic_fetch_add(&g_bus_sent[BUS_MFSTART], 1, __ATOMIC_RELAXED);
    return NULL;
}

void
bus_fo_after_msg(struct cluster_snap *mc)
{
    struct bus_fo *fo = &g_bus.fo;
    if (fo->mf_end && !fo->mf_can_start && (mc->nodes[mc->myself].flags & CN_SLAVE)) {
        mf_check();
        if (fo->mf_can_start)
            election_step(mc);
    }
    bus_fo_sync_repl(mc);
}

/* ---- The cron ---- */

/* cluster-replica-no-failover is advertised as NOFAILOVER in every header. */
static void
sync_nofailover_flag(struct cluster_node *me)
{
    uint32_t want = g_cfg.cluster_replica_no_failover ? CN_NOFAILOVER : 0;
    if ((me->flags & CN_NOFAILOVER) != want) {
        me->flags = (me->flags & ~(uint32_t)CN_NOFAILOVER) | want;
        g_bus.dirty_save = true;
    }
}

void
bus_fo_cron(struct cluster_snap *mc)
{
    struct bus_fo *fo = &g_bus.fo;
    struct cluster_node *me = &mc->nodes[mc->myself];
    sync_nofailover_flag(me);
    if (fo->mf_end && fo->mf_end < g_bus.now) {
        log_notice("Manual failover timed out.");
        bus_fo_mf_reset();
    }
    if ((me->flags & CN_MASTER) && fo->mf_end) {
        /* Keep the requesting replica fed with our (paused) offset. */
        struct bus_peer *p = bus_peer_find(fo->mf_replica);
        if (p && p->out && p->out->connected && !p->out->closing)
            bus_send_ping(p->out, BUS_PING);
    }
    if (me->flags & CN_SLAVE) {
        mf_check();
        election_step(mc);
        if (mc->nodes[mc->myself].flags & CN_SLAVE)
            bus_migrate_check(mc);
    }
    bus_fo_sync_repl(mc);
}
