/* cluster_shim.c: see cluster_shim.h. Compiled as C. */
#include "tests/shim/cluster_shim.h"

#include "cluster/cluster.h"
#include "core/client.h"
#include "core/cluster_state.h"
#include "core/cmd.h"
#include "core/config.h"
#include "core/keyspace.h"
#include "core/rcu.h"
#include "core/reply.h"
#include "core/shard.h"
#include "core/slot.h"
#include "core/slotmap.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/file.h>
#include <unistd.h>

static_assert(CLS_CL_ASKING == CL_ASKING && CLS_CL_READONLY == CL_READONLY, "client flag mirror");
static_assert(CLS_CN_MASTER == CN_MASTER && CLS_CN_SLAVE == CN_SLAVE && CLS_CN_PFAIL == CN_PFAIL &&
                  CLS_CN_FAIL == CN_FAIL && CLS_CN_MYSELF == CN_MYSELF,
              "node flag mirror");
static_assert(CLS_ENDPOINT_IP == ENDPOINT_IP && CLS_ENDPOINT_HOSTNAME == ENDPOINT_HOSTNAME &&
                  CLS_ENDPOINT_UNKNOWN == ENDPOINT_UNKNOWN,
              "endpoint mirror");

static struct shard cls_shard;
static struct client cls_client;

/* ---- slot.h ---- */

uint16_t
cls_crc16(const char *p, size_t n)
{
    return slot_crc16(p, n);
}

uint16_t
cls_slot_of(const char *p, size_t n)
{
    return slot_of(p, n);
}

/* ---- configuration ---- */

void
cls_cfg_reset(bool cluster_enabled)
{
    g_cfg.cluster_enabled = cluster_enabled;
    g_cfg.cluster_require_full_coverage = 1;
    g_cfg.cluster_allow_reads_when_down = 0;
    g_cfg.cluster_preferred_endpoint_type = ENDPOINT_IP;
    g_cfg.port = 6379;
    g_cfg.cluster_port = 0;
    g_cfg.cluster_announce_port = 0;
    g_cfg.cluster_announce_bus_port = 0;
    g_cfg.cluster_announce_ip = "";
    g_cfg.cluster_announce_hostname = "";
    g_cfg.cluster_config_file = "nodes.conf";
}

void
cls_cfg_full_coverage(bool on)
{
    g_cfg.cluster_require_full_coverage = on; /* no republish needed */
}

void
cls_cfg_reads_when_down(bool on)
{
    g_cfg.cluster_allow_reads_when_down = on;
}

void
cls_cfg_endpoint(int type)
{
    g_cfg.cluster_preferred_endpoint_type = type;
}

void
cls_cfg_ports(int port, int cluster_port)
{
    g_cfg.port = port;
    g_cfg.cluster_port = cluster_port;
}

void
cls_cfg_conf_file(const char *path)
{
    g_cfg.cluster_config_file = (char *)path;
}

void
cls_cfg_announce(const char *ip, const char *hostname)
{
    g_cfg.cluster_announce_ip = (char *)ip;
    g_cfg.cluster_announce_hostname = (char *)hostname;
}

/* ---- master copy ---- */

static void
ensure_shard(void)
{
    if (!cls_shard.ks) {
        cls_shard.id = 0;
        cls_shard.ks = ks_create();
        slotmap_setup(1);
    }
}

void
cls_fresh(const char *id, const char *ip, int port, int cport, const char *conf_path)
{
    ensure_shard();
    struct cluster_snap *s = cluster_snap_create();
    char gen[CLUSTER_NAMELEN + 1];
    if (!id) {
        cluster_node_gen_id(gen);
        id = gen;
    }
    s->myself = cluster_snap_add_node(s, id, CN_MYSELF | CN_MASTER);
    struct cluster_node *me = &s->nodes[s->myself];
    snprintf(me->ip, sizeof(me->ip), "%s", ip ? ip : "");
    me->port = port;
    me->cport = cport;
    me->link_connected = true;
    cluster_mc_install(s, conf_path);
    cluster_refresh_state();
}

int
cls_add_node(const char *id, const char *ip, int port, int cport, const char *hostname, uint32_t flags,
             const char *master_id, long long repl_offset)
{
    cluster_lock();
    struct cluster_snap *mc = cluster_mc();
    int idx = cluster_snap_add_node(mc, id, flags);
    struct cluster_node *n = &mc->nodes[idx];
    snprintf(n->ip, sizeof(n->ip), "%s", ip ? ip : "");
    snprintf(n->hostname, sizeof(n->hostname), "%s", hostname ? hostname : "");
    n->port = port;
    n->cport = cport;
    n->repl_offset = repl_offset;
    n->link_connected = true;
    if (master_id)
        n->master = (int16_t)cluster_snap_find(mc, master_id, strlen(master_id));
    cluster_mc_publish();
    cluster_unlock();
    return idx;
}

void
cls_set_flags(int idx, uint32_t flags)
{
    cluster_lock();
    cluster_mc()->nodes[idx].flags = flags;
    cluster_mc_publish();
    cluster_unlock();
}

void
cls_set_owner(int first, int last, int idx)
{
    cluster_lock();
    for (int j = first; j <= last; j++)
        cluster_mc()->owner[j] = (int16_t)idx;
    cluster_mc_publish();
    cluster_unlock();
}

void
cls_set_migrating(int slot, int idx)
{
    cluster_lock();
    cluster_mc()->migrating_to[slot] = (int16_t)idx;
    cluster_mc_publish();
    cluster_unlock();
}

void
cls_set_importing(int slot, int idx)
{
    cluster_lock();
    cluster_mc()->importing_from[slot] = (int16_t)idx;
    cluster_mc_publish();
    cluster_unlock();
}

void
cls_set_epochs(int idx, uint64_t config_epoch, uint64_t current_epoch)
{
    cluster_lock();
    cluster_mc()->nodes[idx].config_epoch = config_epoch;
    cluster_mc()->current_epoch = current_epoch;
    cluster_mc_publish();
    cluster_unlock();
}

int
cls_myself(void)
{
    cluster_lock();
    int m = cluster_mc()->myself;
    cluster_unlock();
    return m;
}

void
cls_my_id(char out[41])
{
    cluster_lock();
    memcpy(out, cluster_mc()->nodes[cluster_mc()->myself].id, 41);
    cluster_unlock();
}

void
cls_teardown(void)
{
    cluster_teardown();
}

/* ---- snapshot queries ---- */

int
cls_state(void)
{
    cluster_read_begin();
    int st = cluster_snap_state(cluster_snap_get());
    cluster_read_end();
    return st;
}

int
cls_size(void)
{
    cluster_read_begin();
    int st = cluster_snap_get()->size;
    cluster_read_end();
    return st;
}

uint64_t
cls_version(void)
{
    cluster_read_begin();
    uint64_t v = cluster_snap_get()->version;
    cluster_read_end();
    return v;
}

bool
cls_my_ip(char *out, size_t cap)
{
    cluster_read_begin();
    const struct cluster_snap *s = cluster_snap_get();
    snprintf(out, cap, "%s", cluster_snap_myself(s)->ip);
    cluster_read_end();
    return out[0] != '\0';
}

void
cls_set_my_ip_if_unknown(const char *ip)
{
    cluster_set_my_ip_if_unknown(ip);
}

/* ---- commands ---- */

static size_t
copy_out(const struct ts_buf *b, char *out, size_t cap)
{
    size_t n = TS_MIN(b->len, cap - 1);
    if (n)
        memcpy(out, b->data, n);
    out[n] = '\0';
    return b->len;
}

size_t
cls_runv(int resp, int argc, const char *const *argv, const size_t *lens, char *out, size_t cap)
{
    ensure_shard();
    struct sv *av = ts_calloc((size_t)argc, sizeof(*av));
    for (int i = 0; i < argc; i++)
        av[i] = (struct sv){argv[i], lens[i]};
    struct ts_buf b = {0};
    struct reply r;
    reply_init(&r, &b, (uint8_t)resp);
    cls_client.resp = (uint8_t)resp;
    struct cmd_ctx c = {
        .sh = &cls_shard, .cl = &cls_client, .argc = argc, .argv = av, .r = &r,
        .now_ms = ts_mstime(), .slot = -1, .forward_to = -1,
    };
    const struct cmd_def *d = NULL;
    for (const struct cmd_def *t = cluster_command_table(); t->name; t++)
        if (sv_eq_ci(av[0], t->name))
            d = t;
    if (!d) {
        reply_error(&r, "ERR unknown command");
    } else if (d->subcommands) {
        const struct cmd_def *sub = argc >= 2 ? cmd_lookup_sub(d, av[1]) : NULL;
        c.cmd = sub ? sub : d;
        if (sub)
            sub->proc(&c);
        else
            cmd_reply_unknown_sub(&c);
    } else {
        c.cmd = d;
        d->proc(&c);
    }
    size_t n = copy_out(&b, out, cap);
    ts_buf_free(&b);
    ts_free(av);
    return n;
}

size_t
cls_run(int resp, const char *line, char *out, size_t cap)
{
    const char *argv[20000];
    size_t lens[20000];
    int argc = 0;
    const char *p = line;
    while (*p && argc < 20000) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *s = p;
        while (*p && *p != ' ')
            p++;
        argv[argc] = s;
        lens[argc++] = (size_t)(p - s);
    }
    return cls_runv(resp, argc, argv, lens, out, cap);
}

uint32_t
cls_client_flags(void)
{
    return cls_client.flags;
}

void
cls_client_set_flags(uint32_t f)
{
    cls_client.flags = f;
}

void
cls_add_key(const char *k)
{
    ensure_shard();
    struct sv key = {k, strlen(k)};
    ks_set_str(cls_shard.ks, slot_of_sv(key), key, (struct sv){"v", 1}, KS_EXPIRE_NONE);
}

void
cls_info_section(char *out, size_t cap)
{
    struct ts_buf b = {0};
    cluster_info_section(&b);
    copy_out(&b, out, cap);
    ts_buf_free(&b);
}

/* ---- routing ---- */

int
cls_route(uint16_t slot, bool is_write, uint32_t client_flags, char *out, size_t cap)
{
    struct ts_buf b = {0};
    struct reply r;
    reply_init(&r, &b, 2);
    cluster_read_begin();
    int rc = cluster_route(cluster_snap_get(), slot, is_write, client_flags, &r);
    cluster_read_end();
    copy_out(&b, out, cap);
    ts_buf_free(&b);
    return rc;
}

/* ---- nodes.conf ---- */

int
cls_conf_roundtrip(const char *text, char *out, size_t cap)
{
    char err[1200];
    struct cluster_snap *s = cluster_config_parse(text, strlen(text), ts_mstime(), err, sizeof(err));
    if (!s) {
        snprintf(out, cap, "%s", err);
        return -1;
    }
    struct ts_buf b = {0};
    cluster_config_format(s, &b);
    copy_out(&b, out, cap);
    ts_buf_free(&b);
    cluster_snap_destroy(&s);
    return 0;
}

int
cls_conf_parse_info(const char *text, int node, long long *ping, long long *pong, unsigned long long *epoch,
                    unsigned long long *cur, int *nnodes)
{
    char err[1200];
    struct cluster_snap *s = cluster_config_parse(text, strlen(text), 1000, err, sizeof(err));
    if (!s)
        return -1;
    *ping = s->nodes[node].ping_sent;
    *pong = s->nodes[node].pong_recv;
    *epoch = s->nodes[node].config_epoch;
    *cur = s->current_epoch;
    *nnodes = s->nnodes;
    cluster_snap_destroy(&s);
    return 0;
}

size_t
cls_conf_text(char *out, size_t cap)
{
    struct ts_buf b = {0};
    cluster_lock();
    cluster_config_format(cluster_mc(), &b);
    cluster_unlock();
    size_t n = copy_out(&b, out, cap);
    ts_buf_free(&b);
    return n;
}

int
cls_save(void)
{
    cluster_lock();
    int rc = cluster_mc_save();
    cluster_unlock();
    return rc;
}

int
cls_setup(void)
{
    ensure_shard();
    return cluster_setup();
}

int
cls_try_lock_other(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    int rc = flock(fd, LOCK_EX | LOCK_NB) < 0 ? -errno : 0;
    close(fd);
    return rc;
}

void
cls_gen_id(char out[41])
{
    cluster_node_gen_id(out);
}

bool
cls_id_valid(const char *id)
{
    return cluster_id_valid(id, strlen(id));
}

/* ---- concurrency ---- */

struct stress {
    int stop;   /* atomic */
    long bad;   /* atomic */
    long seen;  /* atomic */
};

/* Each published snapshot is internally consistent: every slot owned by
 * node (version % nnodes), current_epoch == version, and node config
 * epochs == version. A reader seeing a mix, or freed memory (ASan), fails. */
static void *
stress_reader(void *arg)
{
    struct stress *st = arg;
    cluster_reader_register();
    uint64_t last = 0;
    while (!__atomic_load_n(&st->stop, __ATOMIC_ACQUIRE)) {
        cluster_read_begin();
        const struct cluster_snap *s = cluster_snap_get();
        if (s && s->version != last) {
            last = s->version;
            __atomic_add_fetch(&st->seen, 1, __ATOMIC_RELAXED);
            int16_t want = (int16_t)(s->current_epoch % (uint64_t)s->nnodes);
            bool ok = true;
            for (int j = 0; j < CLUSTER_SLOTS; j += 61)
                ok &= s->owner[j] == want;
            ok &= s->owner[CLUSTER_SLOTS - 1] == want;
            for (int i = 0; i < s->nnodes; i++)
                ok &= s->nodes[i].config_epoch == s->current_epoch;
            if (!ok)
                __atomic_add_fetch(&st->bad, 1, __ATOMIC_RELAXED);
        }
        cluster_read_end();
    }
    rcu_thread_unregister();
    return NULL;
}

long
cls_stress(int readers, int publishes, long *seen)
{
    struct stress st = {0, 0, 0};
    struct cluster_snap *base = cluster_snap_create();
    char id[CLUSTER_NAMELEN + 1];
    for (int i = 0; i < 3; i++) {
        cluster_node_gen_id(id);
        cluster_snap_add_node(base, id, CN_MASTER | (i == 0 ? CN_MYSELF : 0));
    }
    base->myself = 0;
    pthread_t th[16];
    readers = TS_MIN(readers, 16);
    for (int i = 0; i < readers; i++)
        pthread_create(&th[i], NULL, stress_reader, &st);
    static int16_t owners[3][CLUSTER_SLOTS];
    for (int k = 0; k < 3; k++)
        for (int j = 0; j < CLUSTER_SLOTS; j++)
            owners[k][j] = (int16_t)k;
    for (int v = 1; v <= publishes; v++) {
        struct cluster_snap *s = cluster_snap_dup(base);
        s->current_epoch = (uint64_t)v;
        for (int i = 0; i < s->nnodes; i++)
            s->nodes[i].config_epoch = (uint64_t)v;
        memcpy(s->owner, owners[v % 3], sizeof(s->owner));
        cluster_snap_publish(s);
    }
    __atomic_store_n(&st.stop, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < readers; i++)
        pthread_join(th[i], NULL);
    cluster_snap_reclaim(true);
    cluster_snap_destroy(&base);
    *seen = st.seen;
    return st.bad;
}
