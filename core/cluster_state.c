/* cluster_state.c: building, publishing and reading cluster-state snapshots,
 * and the redirection decision made from them (cluster_state.h). */
#include "core/cluster_state.h"

#include "core/client.h"
#include "core/config.h"
#include "core/rcu.h"

/* The published snapshot. Written with release stores by the (serialized)
 * writer, read with acquire loads by workers inside read sections. */
static struct cluster_snap *cluster_current;
static uint64_t cluster_version; /* writer side only */

/* ---- Building ---- */

struct cluster_snap *
cluster_snap_create(void)
{
    struct cluster_snap *s = ts_calloc(1, sizeof(*s));
    s->myself = -1;
    s->state_full_coverage = CLUSTER_FAIL;
    s->state_partial = CLUSTER_FAIL;
    s->size = 0;
    for (int i = 0; i < CLUSTER_SLOTS; i++) {
        s->owner[i] = -1;
        s->migrating_to[i] = -1;
        s->importing_from[i] = -1;
    }
    return s;
}

struct cluster_snap *
cluster_snap_dup(const struct cluster_snap *src)
{
    struct cluster_snap *s = ts_malloc(sizeof(*s));
    memcpy(s, src, sizeof(*s));
    s->cap = src->nnodes ? src->nnodes : 1;
    s->nodes = ts_malloc((size_t)s->cap * sizeof(*s->nodes));
    if (src->nnodes)
        memcpy(s->nodes, src->nodes, (size_t)src->nnodes * sizeof(*s->nodes));
    return s;
}

void
cluster_snap_destroy(struct cluster_snap **sp)
{
    if (!sp || !*sp)
        return;
    ts_free((*sp)->nodes);
    ts_free(*sp);
    *sp = NULL;
}

int
cluster_snap_add_node(struct cluster_snap *s, const char *id, uint32_t flags)
{
    if (s->nnodes == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 8;
        s->nodes = ts_realloc(s->nodes, (size_t)s->cap * sizeof(*s->nodes));
    }
    struct cluster_node *n = &s->nodes[s->nnodes];
    memset(n, 0, sizeof(*n));
    size_t len = strnlen(id, CLUSTER_NAMELEN);
    memcpy(n->id, id, len);
    n->id[len] = '\0';
    n->flags = flags;
    n->master = -1;
    return s->nnodes++;
}

void
cluster_snap_del_node(struct cluster_snap *s, int idx)
{
    if (idx < 0 || idx >= s->nnodes || idx == s->myself)
        return;
    /* Slot tables: drop references to idx, shift the ones above it. */
    int16_t *tables[] = {s->owner, s->migrating_to, s->importing_from};
    for (size_t t = 0; t < ARRAY_SIZE(tables); t++) {
        int16_t *tab = tables[t];
        for (int j = 0; j < CLUSTER_SLOTS; j++) {
            if (tab[j] == idx)
                tab[j] = -1;
            else if (tab[j] > idx)
                tab[j]--;
        }
    }
    memmove(&s->nodes[idx], &s->nodes[idx + 1], (size_t)(s->nnodes - idx - 1) * sizeof(*s->nodes));
    s->nnodes--;
    for (int i = 0; i < s->nnodes; i++) {
        if (s->nodes[i].master == idx)
            s->nodes[i].master = -1;
        else if (s->nodes[i].master > idx)
            s->nodes[i].master--;
    }
    if (s->myself > idx)
        s->myself--;
}

int
cluster_snap_find(const struct cluster_snap *s, const char *id, size_t len)
{
    if (len != CLUSTER_NAMELEN)
        return -1;
    for (int i = 0; i < s->nnodes; i++)
        if (memcmp(s->nodes[i].id, id, CLUSTER_NAMELEN) == 0)
            return i;
    return -1;
}

/* One pass over the slots gathers everything CLUSTER INFO and the state
 * rule need; then the masters are counted. Done at publish time so readers
 * never compute anything. */
void
cluster_snap_finish(struct cluster_snap *s)
{
    for (int i = 0; i < s->nnodes; i++)
        s->nodes[i].nslots = 0;
    s->slots_assigned = s->slots_ok = s->slots_pfail = s->slots_fail = 0;
    bool covered = true;
    for (int j = 0; j < CLUSTER_SLOTS; j++) {
        int o = s->owner[j];
        if (o < 0) {
            covered = false;
            continue;
        }
        struct cluster_node *n = &s->nodes[o];
        n->nslots++;
        s->slots_assigned++;
        if (n->flags & CN_FAIL) {
            s->slots_fail++;
            covered = false;
        } else if (n->flags & CN_PFAIL) {
            s->slots_pfail++;
        } else {
            s->slots_ok++;
        }
    }
    int size = 0, reachable = 0;
    for (int i = 0; i < s->nnodes; i++) {
        const struct cluster_node *n = &s->nodes[i];
        if (!(n->flags & CN_MASTER) || n->nslots == 0)
            continue;
        size++;
        if (!(n->flags & (CN_PFAIL | CN_FAIL)))
            reachable++;
    }
    s->size = size;
    s->state_partial = reachable < size / 2 + 1 ? CLUSTER_FAIL : CLUSTER_OK;
    s->state_full_coverage = covered ? s->state_partial : CLUSTER_FAIL;
    if (s->hold_fail)
        s->state_partial = s->state_full_coverage = CLUSTER_FAIL;
}

int
cluster_snap_state(const struct cluster_snap *s)
{
    return __atomic_load_n(&g_cfg.cluster_require_full_coverage, __ATOMIC_RELAXED) ? s->state_full_coverage
                                                                                    : s->state_partial;
}

/* ---- Publication ---- */

static void
cluster_snap_free_cb(void *p)
{
    struct cluster_snap *s = p;
    cluster_snap_destroy(&s);
}

void
cluster_snap_publish(struct cluster_snap *s)
{
    rcu_thread_register();
    s->version = ++cluster_version;
    struct cluster_snap *old = __atomic_exchange_n(&cluster_current, s, __ATOMIC_ACQ_REL);
    if (old)
        rcu_retire(old, cluster_snap_free_cb);
    /* Runs callbacks whose grace period is over; a no-op inside a read
     * section (a worker running CLUSTER ADDSLOTS), whose cron polls later. */
    rcu_poll();
}

const struct cluster_snap *
cluster_snap_get(void)
{
    return __atomic_load_n(&cluster_current, __ATOMIC_ACQUIRE);
}

void
cluster_reader_register(void)
{
    rcu_thread_register();
}

void
cluster_read_begin(void)
{
    rcu_thread_register(); /* returns at once once registered */
    rcu_read_begin();
}

void
cluster_read_end(void)
{
    rcu_read_end();
}

void
cluster_snap_reclaim(bool free_current)
{
    rcu_thread_register();
    if (free_current) {
        struct cluster_snap *old = __atomic_exchange_n(&cluster_current, NULL, __ATOMIC_ACQ_REL);
        if (old)
            rcu_retire(old, cluster_snap_free_cb);
    }
    rcu_barrier();
}

/* ---- Redirection ---- */

const char *
cluster_node_endpoint(const struct cluster_node *n)
{
    switch (g_cfg.cluster_preferred_endpoint_type) {
    case ENDPOINT_HOSTNAME:
        return n->hostname[0] ? n->hostname : "?";
    case ENDPOINT_UNKNOWN:
        return "";
    default:
        return n->ip;
    }
}

void
cluster_reply_moved(const struct cluster_snap *s, uint16_t slot, int node, struct reply *r)
{
    const struct cluster_node *n = &s->nodes[node];
    reply_errorf(r, "MOVED %u %s:%d", (unsigned)slot, cluster_node_endpoint(n), n->port);
}

void
cluster_reply_ask(const struct cluster_snap *s, uint16_t slot, struct reply *r)
{
    const struct cluster_node *n = &s->nodes[s->migrating_to[slot]];
    reply_errorf(r, "ASK %u %s:%d", (unsigned)slot, cluster_node_endpoint(n), n->port);
}

/* The order of the checks is Redis's (cluster-commands.md §2): an unowned
 * slot beats a FAIL state, which beats ASKING/READONLY, which beat MOVED. */
int
cluster_route(const struct cluster_snap *s, uint16_t slot, bool is_write, uint32_t client_flags,
              struct reply *r)
{
    if (!s || (client_flags & CL_MASTER)) /* our master's stream is applied whatever the slot */
        return 0;
    int owner = s->owner[slot];
    if (owner < 0) {
        reply_error(r, CLUSTER_ERR_NOT_SERVED);
        return 1;
    }
    if (cluster_snap_state(s) != CLUSTER_OK) {
        if (!__atomic_load_n(&g_cfg.cluster_allow_reads_when_down, __ATOMIC_RELAXED)) {
            reply_error(r, CLUSTER_ERR_DOWN);
            return 1;
        }
        if (is_write) {
            reply_error(r, CLUSTER_ERR_DOWN_RO);
            return 1;
        }
    }
    if (owner == s->myself)
        return 0; /* migrating: the key holder decides about -ASK */
    if (s->importing_from[slot] >= 0 && (client_flags & CL_ASKING))
        return 0;
    const struct cluster_node *me = &s->nodes[s->myself];
    if ((client_flags & CL_READONLY) && !is_write && (me->flags & CN_SLAVE) && me->master == owner)
        return 0;
    cluster_reply_moved(s, slot, owner, r);
    return 1;
}
