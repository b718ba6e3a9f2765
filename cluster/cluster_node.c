/* cluster_node.c: the node table's writable master copy, node IDs, the
 * CLUSTER NODES line format and nodes.conf (format, parse, atomic write,
 * lock). See cluster.h for the writer protocol. */
#include "cluster/cluster.h"
#include "core/slotmap.h"

#include "core/config.h"
#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- The master copy ---- */

/* Serializes writers only (admin commands, later the cluster thread): the
 * request path reads published snapshots and never takes this. */
static pthread_mutex_t cluster_mu = PTHREAD_MUTEX_INITIALIZER;
static struct cluster_snap *cluster_master_copy;
static char *cluster_conf_path;
static int cluster_lock_fd = -1;

void
cluster_lock(void)
{
    pthread_mutex_lock(&cluster_mu);
}

void
cluster_unlock(void)
{
    pthread_mutex_unlock(&cluster_mu);
}

struct cluster_snap *
cluster_mc(void)
{
    return cluster_master_copy;
}

void
cluster_mc_install(struct cluster_snap *s, const char *conf_path)
{
    cluster_lock();
    cluster_snap_destroy(&cluster_master_copy);
    cluster_master_copy = s;
    ts_free(cluster_conf_path);
    cluster_conf_path = conf_path ? ts_strdup(conf_path) : NULL;
    cluster_unlock();
}

void
cluster_mc_publish(void)
{
    struct cluster_snap *mc = cluster_master_copy;
    if (!mc)
        return;
    cluster_snap_finish(mc);
    /* Spread newly owned slots over the workers before readers can route
     * to them, so every worker serves a share of this node's slots. */
    static bool owned[CLUSTER_SLOTS];
    for (int s = 0; s < CLUSTER_SLOTS; s++)
        owned[s] = mc->owner[s] == mc->myself;
    slotmap_set_owned(owned);
    cluster_snap_publish(cluster_snap_dup(mc));
}

/* Saving is split so the cluster thread can fsync without holding the
 * writer mutex: the text is taken under it with a sequence number, and the
 * write (serialized by save_mu) skips a text older than one already on
 * disk. Lock order: cluster_mu, then save_mu. */
static pthread_mutex_t save_mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t save_seq;  /* under cluster_mu */
static uint64_t saved_seq; /* under save_mu */

uint64_t
cluster_mc_save_begin(struct ts_buf *out)
{
    if (!cluster_master_copy || !cluster_conf_path)
        return 0;
    out->len = 0;
    cluster_config_format(cluster_master_copy, out);
    return ++save_seq;
}

int
cluster_mc_save_finish(const struct ts_buf *text, uint64_t seq)
{
    if (seq == 0)
        return 0;
    pthread_mutex_lock(&save_mu);
    int rc = 0;
    if (seq > saved_seq) {
        rc = cluster_config_write(cluster_conf_path, text->data, text->len);
        if (rc == 0)
            saved_seq = seq;
        else
            log_warn("Could not save the cluster config file %s: %s", cluster_conf_path, strerror(-rc));
    }
    pthread_mutex_unlock(&save_mu);
    return rc;
}

int
cluster_mc_save(void)
{
    struct ts_buf b = {0};
    uint64_t seq = cluster_mc_save_begin(&b);
    int rc = cluster_mc_save_finish(&b, seq);
    ts_buf_free(&b);
    return rc;
}

/* A config epoch is "the strict maximum" when no other node has one as
 * large; only then can I keep it, otherwise a bump takes currentEpoch + 1
 * so my slot claims win over everyone's. */
bool
cluster_mc_bump_epoch(struct cluster_snap *mc)
{
    struct cluster_node *me = &mc->nodes[mc->myself];
    uint64_t max = mc->current_epoch;
    bool other_ge = false;
    for (int i = 0; i < mc->nnodes; i++) {
        if (i == mc->myself)
            continue;
        if (mc->nodes[i].config_epoch > max)
            max = mc->nodes[i].config_epoch;
        if (mc->nodes[i].config_epoch >= me->config_epoch)
            other_ge = true;
    }
    if (me->config_epoch == 0 || other_ge || me->config_epoch < max) {
        mc->current_epoch++;
        me->config_epoch = mc->current_epoch;
        return true;
    }
    return false;
}

/* ---- Node IDs ---- */

void
cluster_node_gen_id(char out[CLUSTER_NAMELEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char rnd[CLUSTER_NAMELEN / 2];
    size_t got = 0;
    while (got < sizeof(rnd)) {
        ssize_t n = getrandom(rnd + got, sizeof(rnd) - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            /* getrandom(2) only fails this way on ancient kernels; an ID
             * must still be unique, so mix time and pid as a last resort. */
            uint64_t x = (uint64_t)ts_ustime() ^ ((uint64_t)getpid() << 32);
            for (size_t i = got; i < sizeof(rnd); i++) {
                x = x * 6364136223846793005ULL + 1442695040888963407ULL;
                rnd[i] = (unsigned char)(x >> 56);
            }
            break;
        }
        got += (size_t)n;
    }
    for (size_t i = 0; i < sizeof(rnd); i++) {
        out[2 * i] = hex[rnd[i] >> 4];
        out[2 * i + 1] = hex[rnd[i] & 15];
    }
    out[CLUSTER_NAMELEN] = '\0';
}

bool
cluster_id_valid(const char *id, size_t len)
{
    if (len != CLUSTER_NAMELEN)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            return false;
    }
    return true;
}

/* ---- CLUSTER NODES lines ---- */

static void
buf_puts(struct ts_buf *b, const char *s)
{
    ts_buf_append(b, s, strlen(s));
}

/* Flag words in Redis's order; "noflags" when none applies. */
static void
cluster_flags_text(uint32_t f, struct ts_buf *b)
{
    static const struct {
        uint32_t bit;
        const char *name;
    } names[] = {
        {CN_MYSELF, "myself"}, {CN_MASTER, "master"},       {CN_SLAVE, "slave"},
        {CN_PFAIL, "fail?"},   {CN_FAIL, "fail"},           {CN_HANDSHAKE, "handshake"},
        {CN_NOADDR, "noaddr"}, {CN_NOFAILOVER, "nofailover"},
    };
    size_t start = b->len;
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        if (!(f & names[i].bit))
            continue;
        if (b->len != start)
            ts_buf_putc(b, ',');
        buf_puts(b, names[i].name);
    }
    if (b->len == start)
        buf_puts(b, "noflags");
}

void
cluster_node_describe(const struct cluster_snap *s, int idx, struct ts_buf *b)
{
    const struct cluster_node *n = &s->nodes[idx];
    ts_buf_printf(b, "%s %s:%d@%d", n->id, n->ip, n->port, n->cport);
    if (n->hostname[0])
        ts_buf_printf(b, ",%s", n->hostname);
    ts_buf_putc(b, ' ');
    cluster_flags_text(n->flags, b);
    /* A replica shows its master's epoch: that is the version of the slot
     * claims it stands for. */
    uint64_t epoch = n->config_epoch;
    if (n->master >= 0) {
        ts_buf_printf(b, " %s", s->nodes[n->master].id);
        if (n->flags & CN_SLAVE)
            epoch = s->nodes[n->master].config_epoch;
    } else {
        buf_puts(b, " -");
    }
    ts_buf_printf(b, " %lld %lld %llu %s", (long long)n->ping_sent, (long long)n->pong_recv,
               (unsigned long long)epoch,
               (n->link_connected || (n->flags & CN_MYSELF)) ? "connected" : "disconnected");
    /* Slot ranges, ascending: one pass finding maximal runs. */
    for (int j = 0; j < CLUSTER_SLOTS; j++) {
        if (s->owner[j] != idx)
            continue;
        int start = j;
        while (j + 1 < CLUSTER_SLOTS && s->owner[j + 1] == idx)
            j++;
        if (start == j)
            ts_buf_printf(b, " %d", j);
        else
            ts_buf_printf(b, " %d-%d", start, j);
    }
    if (idx == s->myself) {
        for (int j = 0; j < CLUSTER_SLOTS; j++) {
            if (s->migrating_to[j] >= 0)
                ts_buf_printf(b, " [%d->-%s]", j, s->nodes[s->migrating_to[j]].id);
            else if (s->importing_from[j] >= 0)
                ts_buf_printf(b, " [%d-<-%s]", j, s->nodes[s->importing_from[j]].id);
        }
    }
}

void
cluster_nodes_text(const struct cluster_snap *s, struct ts_buf *out)
{
    for (int i = 0; i < s->nnodes; i++) {
        cluster_node_describe(s, i, out);
        ts_buf_putc(out, '\n');
    }
}

void
cluster_config_format(const struct cluster_snap *s, struct ts_buf *out)
{
    for (int i = 0; i < s->nnodes; i++) {
        if (s->nodes[i].flags & CN_HANDSHAKE)
            continue;
        cluster_node_describe(s, i, out);
        ts_buf_putc(out, '\n');
    }
    ts_buf_printf(out, "vars currentEpoch %llu lastVoteEpoch %llu\n", (unsigned long long)s->current_epoch,
               (unsigned long long)s->last_vote_epoch);
}

/* ---- nodes.conf parsing ---- */

#define CONF_MAX_TOKENS 16448 /* 8 fixed fields + every slot as a singleton + some */

struct conf_tok {
    const char *p;
    size_t len;
};

static bool
tok_eq(struct conf_tok t, const char *lit)
{
    size_t n = strlen(lit);
    return t.len == n && memcmp(t.p, lit, n) == 0;
}

static bool
tok_to_ll(const char *p, size_t len, long long *out)
{
    return ts_str_to_ll(p, len, out);
}

/* Find or create the node with this ID. Unknown IDs referenced by another
 * line (a master, a migration peer) become placeholders with no flags and
 * no address, filled in if their own line comes later. */
static int
conf_node(struct cluster_snap *s, const char *id)
{
    int i = cluster_snap_find(s, id, CLUSTER_NAMELEN);
    if (i >= 0)
        return i;
    return cluster_snap_add_node(s, id, 0);
}

static bool
conf_copy(char *dst, size_t cap, const char *p, size_t len)
{
    if (len >= cap)
        return false;
    memcpy(dst, p, len);
    dst[len] = '\0';
    return true;
}

/* ip:port[@cport][,hostname]; the IP may be IPv6 (colons), so the port is
 * after the last ':' before '@'. */
static bool
conf_parse_addr(struct cluster_node *n, struct conf_tok t)
{
    const char *end = t.p + t.len;
    const char *comma = memchr(t.p, ',', t.len);
    if (comma) {
        if (!conf_copy(n->hostname, sizeof(n->hostname), comma + 1, (size_t)(end - comma - 1)))
            return false;
        end = comma;
    } else {
        n->hostname[0] = '\0';
    }
    const char *at = memchr(t.p, '@', (size_t)(end - t.p));
    const char *pend = at ? at : end;
    const char *colon = NULL;
    for (const char *q = t.p; q < pend; q++)
        if (*q == ':')
            colon = q;
    if (!colon)
        return false;
    if (!conf_copy(n->ip, sizeof(n->ip), t.p, (size_t)(colon - t.p)))
        return false;
    long long port, cport;
    if (!tok_to_ll(colon + 1, (size_t)(pend - colon - 1), &port) || port < 0 || port > 65535)
        return false;
    if (at) {
        if (!tok_to_ll(at + 1, (size_t)(end - at - 1), &cport) || cport < 0 || cport > 65535)
            return false;
    } else {
        cport = port + 10000;
    }
    n->port = (int)port;
    n->cport = (int)cport;
    return true;
}

static bool
conf_parse_flags(struct cluster_node *n, struct conf_tok t)
{
    static const struct {
        const char *name;
        uint32_t bit;
    } names[] = {
        {"myself", CN_MYSELF},       {"master", CN_MASTER}, {"slave", CN_SLAVE},
        {"fail?", CN_PFAIL},         {"fail", CN_FAIL},     {"handshake", CN_HANDSHAKE},
        {"noaddr", CN_NOADDR},       {"nofailover", CN_NOFAILOVER},
        {"noflags", 0},
    };
    uint32_t f = 0;
    const char *p = t.p, *end = t.p + t.len;
    while (p <= end) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        const char *we = c ? c : end;
        struct conf_tok w = {p, (size_t)(we - p)};
        size_t k;
        for (k = 0; k < ARRAY_SIZE(names); k++)
            if (tok_eq(w, names[k].name))
                break;
        if (k == ARRAY_SIZE(names))
            return false;
        f |= names[k].bit;
        p = we + 1;
    }
    n->flags = f;
    return true;
}

/* One slot token: "N", "A-B", "[N->-ID]" or "[N-<-ID]". */
static bool
conf_parse_slot(struct cluster_snap *s, int idx, struct conf_tok t)
{
    long long a, b;
    if (t.len > 0 && t.p[0] == '[') {
        const char *dash = memchr(t.p, '-', t.len);
        if (!dash || t.p[t.len - 1] != ']')
            return false;
        if (!tok_to_ll(t.p + 1, (size_t)(dash - t.p - 1), &a) || a < 0 || a >= CLUSTER_SLOTS)
            return false;
        size_t rest = (size_t)(t.p + t.len - dash); /* "->-ID]" */
        if (rest != 3 + CLUSTER_NAMELEN + 1 || dash[2] != '-' || (dash[1] != '>' && dash[1] != '<'))
            return false;
        if (!cluster_id_valid(dash + 3, CLUSTER_NAMELEN))
            return false;
        char id[CLUSTER_NAMELEN + 1];
        memcpy(id, dash + 3, CLUSTER_NAMELEN);
        id[CLUSTER_NAMELEN] = '\0';
        int peer = conf_node(s, id);
        if (dash[1] == '>')
            s->migrating_to[a] = (int16_t)peer;
        else
            s->importing_from[a] = (int16_t)peer;
        return true;
    }
    const char *dash = memchr(t.p, '-', t.len);
    if (dash) {
        if (!tok_to_ll(t.p, (size_t)(dash - t.p), &a) ||
            !tok_to_ll(dash + 1, (size_t)(t.p + t.len - dash - 1), &b))
            return false;
    } else {
        if (!tok_to_ll(t.p, t.len, &a))
            return false;
        b = a;
    }
    if (a < 0 || b >= CLUSTER_SLOTS || a > b)
        return false;
    for (long long j = a; j <= b; j++)
        if (s->owner[j] < 0) /* first claim wins, as Redis's loader */
            s->owner[j] = (int16_t)idx;
    return true;
}

static bool
conf_parse_vars(struct cluster_snap *s, struct conf_tok *tv, int nt)
{
    if (nt % 2 != 1)
        return false;
    for (int i = 1; i < nt; i += 2) {
        unsigned long long v;
        if (!ts_str_to_ull(tv[i + 1].p, tv[i + 1].len, &v))
            return false;
        if (tok_eq(tv[i], "currentEpoch"))
            s->current_epoch = v;
        else if (tok_eq(tv[i], "lastVoteEpoch"))
            s->last_vote_epoch = v;
        else
            log_warn("Skipping unknown cluster config variable '%.*s'", (int)tv[i].len, tv[i].p);
    }
    return true;
}

static bool
conf_parse_node(struct cluster_snap *s, struct conf_tok *tv, int nt, int64_t now_ms)
{
    if (nt < 8 || !cluster_id_valid(tv[0].p, tv[0].len))
        return false;
    char id[CLUSTER_NAMELEN + 1];
    memcpy(id, tv[0].p, CLUSTER_NAMELEN);
    id[CLUSTER_NAMELEN] = '\0';
    int idx = conf_node(s, id);
    struct cluster_node *n = &s->nodes[idx];
    if (!conf_parse_addr(n, tv[1]) || !conf_parse_flags(n, tv[2]))
        return false;
    if (n->flags & CN_MYSELF)
        s->myself = idx;
    int master = -1;
    if (!tok_eq(tv[3], "-")) {
        if (!cluster_id_valid(tv[3].p, tv[3].len))
            return false;
        char mid[CLUSTER_NAMELEN + 1];
        memcpy(mid, tv[3].p, CLUSTER_NAMELEN);
        mid[CLUSTER_NAMELEN] = '\0';
        master = conf_node(s, mid); /* may realloc nodes[] */
        n = &s->nodes[idx];
    }
    n->master = (int16_t)master;
    long long ping, pong;
    unsigned long long epoch;
    if (!tok_to_ll(tv[4].p, tv[4].len, &ping) || !tok_to_ll(tv[5].p, tv[5].len, &pong) ||
        !ts_str_to_ull(tv[6].p, tv[6].len, &epoch))
        return false;
    /* Stored times are from another life of the process: "non-zero" only
     * means "a ping was in flight" / "the node answered", so use now. */
    n->ping_sent = ping ? now_ms : 0;
    n->pong_recv = pong ? now_ms : 0;
    if (n->flags & CN_FAIL)
        n->fail_time = now_ms;
    /* A replica's printed epoch is its master's; its own is unknown. */
    n->config_epoch = (master >= 0 && (n->flags & CN_SLAVE)) ? 0 : epoch;
    if (!tok_eq(tv[7], "connected") && !tok_eq(tv[7], "disconnected"))
        return false;
    for (int i = 8; i < nt; i++)
        if (!conf_parse_slot(s, idx, tv[i]))
            return false;
    return true;
}

static void
conf_error(char *err, size_t errlen, const char *line, size_t len)
{
    snprintf(err, errlen, "Unrecoverable error: corrupted cluster config file \"%.*s\".", (int)TS_MIN(len, 1024),
             line);
}

/* Forward references (a master or migration peer listed before its own
 * line) create nodes early; put the table back in file order, with
 * never-defined placeholders last, so load + save reproduces the file. */
static void
conf_reorder(struct cluster_snap *s, const int *defined)
{
    int n = s->nnodes;
    int *order = ts_malloc((size_t)n * sizeof(int)); /* new position -> old index */
    int *where = ts_malloc((size_t)n * sizeof(int)); /* old index -> new position */
    int k = 0;
    for (int line = 0; k < n; line++) {
        bool any = false;
        for (int i = 0; i < n; i++)
            if (defined[i] == line) {
                order[k++] = i;
                any = true;
            }
        if (!any)
            break;
    }
    for (int i = 0; i < n; i++)
        if (defined[i] < 0)
            order[k++] = i;
    struct cluster_node *nodes = ts_malloc((size_t)s->cap * sizeof(*nodes));
    for (int j = 0; j < n; j++) {
        nodes[j] = s->nodes[order[j]];
        where[order[j]] = j;
    }
    for (int j = 0; j < n; j++)
        if (nodes[j].master >= 0)
            nodes[j].master = (int16_t)where[nodes[j].master];
    for (int j = 0; j < CLUSTER_SLOTS; j++) {
        if (s->owner[j] >= 0)
            s->owner[j] = (int16_t)where[s->owner[j]];
        if (s->migrating_to[j] >= 0)
            s->migrating_to[j] = (int16_t)where[s->migrating_to[j]];
        if (s->importing_from[j] >= 0)
            s->importing_from[j] = (int16_t)where[s->importing_from[j]];
    }
    s->myself = where[s->myself];
    ts_free(s->nodes);
    s->nodes = nodes;
    ts_free(order);
    ts_free(where);
}

struct cluster_snap *
cluster_config_parse(const char *text, size_t len, int64_t now_ms, char *err, size_t errlen)
{
    struct cluster_snap *s = cluster_snap_create();
    struct conf_tok *tv = ts_malloc(CONF_MAX_TOKENS * sizeof(*tv));
    int *defined = NULL; /* node index -> line order of its own line, -1 */
    int ndefined = 0, line_no = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *line = p;
        size_t linelen = (size_t)(le - p);
        if (linelen && line[linelen - 1] == '\r')
            linelen--;
        p = nl ? nl + 1 : end;
        /* Split on blanks. */
        int nt = 0;
        bool too_many = false;
        for (const char *q = line; q < line + linelen;) {
            while (q < line + linelen && (*q == ' ' || *q == '\t'))
                q++;
            if (q == line + linelen)
                break;
            const char *ts = q;
            while (q < line + linelen && *q != ' ' && *q != '\t')
                q++;
            if (nt == CONF_MAX_TOKENS) {
                too_many = true;
                break;
            }
            tv[nt++] = (struct conf_tok){ts, (size_t)(q - ts)};
        }
        if (nt == 0)
            continue; /* blank line */
        bool is_vars = tok_eq(tv[0], "vars");
        bool ok = !too_many && (is_vars ? conf_parse_vars(s, tv, nt) : conf_parse_node(s, tv, nt, now_ms));
        if (ok && !is_vars) {
            defined = ts_realloc(defined, (size_t)s->cap * sizeof(int));
            for (int i = ndefined; i < s->nnodes; i++)
                defined[i] = -1;
            ndefined = s->nnodes;
            int idx = cluster_snap_find(s, tv[0].p, tv[0].len);
            if (defined[idx] < 0)
                defined[idx] = line_no++;
        }
        if (!ok) {
            conf_error(err, errlen, line, linelen);
            goto err;
        }
    }
    if (s->myself < 0) {
        snprintf(err, errlen, "Unrecoverable error: corrupted cluster config file (no \"myself\" node).");
        goto err;
    }
    conf_reorder(s, defined);
    for (int i = 0; i < s->nnodes; i++) {
        if (s->nodes[i].config_epoch > s->current_epoch)
            s->current_epoch = s->nodes[i].config_epoch;
        /* A master with a replica is a replica-migration target
         * (MIGRATE_TO, cluster-algorithms.md §11): not saved, so set again
         * as the replicas are attached, as Redis does while loading. */
        if (s->nodes[i].master >= 0 && (s->nodes[i].flags & CN_SLAVE))
            s->nodes[s->nodes[i].master].flags |= CN_MIGRATE_TO;
    }
    s->nodes[s->myself].link_connected = true;
    ts_free(defined);
    ts_free(tv);
    return s;
err:
    ts_free(defined);
    ts_free(tv);
    cluster_snap_destroy(&s);
    return NULL;
}

/* ---- nodes.conf on disk ---- */

static int
write_all(int fd, const char *p, size_t len)
{
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* fsync the directory holding path so the rename itself is durable. */
static int
fsync_dir_of(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == path)
        snprintf(dir, sizeof(dir), "/");
    else
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = fsync(fd) < 0 ? -errno : 0;
    close(fd);
    return rc;
}

int
cluster_config_lock(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        close(fd);
        return e == EWOULDBLOCK ? -EWOULDBLOCK : -e;
    }
    if (cluster_lock_fd >= 0)
        close(cluster_lock_fd);
    cluster_lock_fd = fd;
    return 0;
}

void
cluster_config_unlock(void)
{
    if (cluster_lock_fd >= 0)
        close(cluster_lock_fd);
    cluster_lock_fd = -1;
}

/* Temp file + rename keeps a crash from ever leaving a half-written
 * nodes.conf. The rename puts a new inode under the name, so the flock we
 * held on the old inode is re-taken on the new one; the window in which a
 * second server could grab it is the few microseconds between the two. */
int
cluster_config_write(const char *path, const char *content, size_t len)
{
    char tmp[PATH_MAX];
    int n = snprintf(tmp, sizeof(tmp), "%s.tmp-%d-%lld", path, (int)getpid(), (long long)ts_mstime());
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return -ENAMETOOLONG;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    int rc = write_all(fd, content, len);
    if (rc == 0 && fsync(fd) < 0)
        rc = -errno;
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, path) < 0)
        rc = -errno;
    if (rc < 0) {
        unlink(tmp);
        return rc;
    }
    rc = fsync_dir_of(path);
    if (cluster_lock_fd >= 0) {
        int lrc = cluster_config_lock(path);
        if (lrc < 0)
            log_warn("Could not re-lock the cluster config file %s: %s", path, strerror(-lrc));
    }
    return rc;
}

void
cluster_teardown(void)
{
    cluster_lock();
    cluster_snap_destroy(&cluster_master_copy);
    ts_free(cluster_conf_path);
    cluster_conf_path = NULL;
    cluster_unlock();
    cluster_config_unlock();
    cluster_snap_reclaim(true);
}
