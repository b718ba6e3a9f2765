/* cmap.c: slot map from CLUSTER SLOTS, MOVED/ASK redirects (cmap.h). */
#include "bench/loadgen/cmap.h"

#include "bench/loadgen/reply.h"
#include "core/slot.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

void
lg_cmap_init(struct lg_cmap *m)
{
    memset(m, 0, sizeof(*m));
    for (int i = 0; i < LG_SLOTS; i++)
        m->owner[i] = LG_NO_NODE;
}

int
lg_cmap_node(struct lg_cmap *m, const char *host, size_t host_len, int port)
{
    if (host_len == 0 || host_len >= LG_HOST_LEN || port <= 0 || port > 65535)
        return -EINVAL;
    for (int i = 0; i < m->nnodes; i++)
        if (m->nodes[i].port == port && strlen(m->nodes[i].host) == host_len &&
            memcmp(m->nodes[i].host, host, host_len) == 0)
            return i;
    if (m->nnodes == LG_MAX_NODES)
        return -ENOSPC;
    struct lg_node_addr *n = &m->nodes[m->nnodes];
    memcpy(n->host, host, host_len);
    n->host[host_len] = '\0';
    n->port = port;
    n->has_slots = false;
    m->version++;
    return m->nnodes++;
}

uint16_t
lg_key_slot(const char *key, size_t len)
{
    return slot_of(key, len);
}

int
lg_cmap_key_node(const struct lg_cmap *m, const char *key, size_t len)
{
    return m->owner[slot_of(key, len)];
}

unsigned
lg_cmap_node_slots(const struct lg_cmap *m, int node)
{
    unsigned n = 0;
    for (int i = 0; i < LG_SLOTS; i++)
        n += m->owner[i] == node;
    return n;
}

static void
cmap_mark_owners(struct lg_cmap *m)
{
    for (int i = 0; i < m->nnodes; i++)
        m->nodes[i].has_slots = false;
    for (int s = 0; s < LG_SLOTS; s++)
        if (m->owner[s] != LG_NO_NODE)
            m->nodes[m->owner[s]].has_slots = true;
}

/* ---- A small reader over one complete RESP reply ---- */

struct rd {
    const char *p, *end;
};

/* Read one header line of the given type; the number after it in *n. */
static bool
rd_head(struct rd *r, char type, long long *n)
{
    if (r->p >= r->end || *r->p != type)
        return false;
    const char *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
    if (nl == NULL || nl - r->p < 3 || nl[-1] != '\r')
        return false;
    char tmp[24];
    size_t l = (size_t)(nl - 1 - (r->p + 1));
    if (l == 0 || l >= sizeof(tmp))
        return false;
    memcpy(tmp, r->p + 1, l);
    tmp[l] = '\0';
    char *e;
    *n = strtoll(tmp, &e, 10);
    if (*e)
        return false;
    r->p = nl + 1;
    return true;
}

static bool
rd_bulk(struct rd *r, const char **s, size_t *len)
{
    long long n;
    if (!rd_head(r, '$', &n) || n < 0 || n > r->end - r->p - 2)
        return false;
    *s = r->p;
    *len = (size_t)n;
    r->p += n + 2;
    return true;
}

/* Skip any one value (used for replica entries and extra node fields). */
static bool
rd_skip(struct rd *r)
{
    struct lg_scan sc;
    struct lg_reply rep;
    size_t used;
    lg_scan_reset(&sc);
    if (lg_scan_feed(&sc, r->p, (size_t)(r->end - r->p), &used, &rep) != 1)
        return false;
    r->p += used;
    return true;
}

int
lg_cmap_load_slots(struct lg_cmap *m, const char *reply, size_t len, const char *default_host)
{
    struct rd r = {reply, reply + len};
    long long nranges;
    if (!rd_head(&r, '*', &nranges) || nranges < 0 || nranges > LG_SLOTS)
        return -EPROTO;
    uint16_t *owner = malloc(sizeof(m->owner));
    if (owner == NULL)
        abort();
    for (int i = 0; i < LG_SLOTS; i++)
        owner[i] = LG_NO_NODE;
    /* Owners are staged and copied on success; nodes added before a parse
     * error stay in the table, owning nothing, which is harmless. */
    int ret = -EPROTO;
    for (long long i = 0; i < nranges; i++) {
        long long nel, lo, hi, nfield, port;
        if (!rd_head(&r, '*', &nel) || nel < 3)
            goto out;
        if (!rd_head(&r, ':', &lo) || !rd_head(&r, ':', &hi) || lo < 0 || hi < lo || hi >= LG_SLOTS)
            goto out;
        /* master: [host, port, id, (hostname/metadata...)] */
        const char *host;
        size_t hlen;
        if (!rd_head(&r, '*', &nfield) || nfield < 2 || !rd_bulk(&r, &host, &hlen) || !rd_head(&r, ':', &port))
            goto out;
        for (long long f = 2; f < nfield; f++)
            if (!rd_skip(&r))
                goto out;
        for (long long rep = 3; rep < nel; rep++) /* replicas */
            if (!rd_skip(&r))
                goto out;
        if (hlen == 0 || (hlen == 1 && host[0] == '?')) {
            host = default_host;
            hlen = strlen(default_host);
        }
        int node = lg_cmap_node(m, host, hlen, (int)port);
        if (node < 0) {
            ret = node == -ENOSPC ? -ENOSPC : -EPROTO;
            goto out;
        }
        for (long long s = lo; s <= hi; s++)
            owner[s] = (uint16_t)node;
    }
    memcpy(m->owner, owner, sizeof(m->owner));
    cmap_mark_owners(m);
    m->version++;
    ret = (int)nranges;
out:
    free(owner);
    return ret;
}

/* ---- Redirects ---- */

enum lg_redirect_kind
lg_parse_redirect(const char *line, size_t len, struct lg_redirect *r)
{
    memset(r, 0, sizeof(*r));
    size_t kl;
    if (len > 6 && memcmp(line, "MOVED ", 6) == 0) {
        r->kind = LG_REDIR_MOVED;
        kl = 6;
    } else if (len > 4 && memcmp(line, "ASK ", 4) == 0) {
        r->kind = LG_REDIR_ASK;
        kl = 4;
    } else {
        return LG_REDIR_NONE;
    }
    const char *p = line + kl, *end = line + len;
    long slot = 0;
    const char *q = p;
    while (q < end && *q >= '0' && *q <= '9' && q - p < 6)
        slot = slot * 10 + (*q++ - '0');
    if (q == p || q >= end || *q != ' ' || slot >= LG_SLOTS)
        goto bad;
    const char *addr = q + 1;
    const char *colon = NULL;
    for (const char *c = addr; c < end; c++)
        if (*c == ':')
            colon = c;
    if (colon == NULL || colon == addr || (size_t)(colon - addr) >= LG_HOST_LEN)
        goto bad;
    long port = 0;
    const char *pp = colon + 1;
    if (pp >= end)
        goto bad;
    for (; pp < end; pp++) {
        if (*pp < '0' || *pp > '9' || port > 65535)
            goto bad;
        port = port * 10 + (*pp - '0');
    }
    if (port <= 0 || port > 65535)
        goto bad;
    memcpy(r->host, addr, (size_t)(colon - addr));
    r->host[colon - addr] = '\0';
    r->slot = (int)slot;
    r->port = (int)port;
    return r->kind;
bad:
    memset(r, 0, sizeof(*r));
    return LG_REDIR_NONE;
}

int
lg_cmap_apply_moved(struct lg_cmap *m, const struct lg_redirect *r)
{
    if (r->kind != LG_REDIR_MOVED)
        return -EINVAL;
    int node = lg_cmap_node(m, r->host, strlen(r->host), r->port);
    if (node < 0)
        return node;
    if (m->owner[r->slot] != node) {
        m->owner[r->slot] = (uint16_t)node;
        cmap_mark_owners(m);
        m->version++;
    }
    return node;
}

/* ---- Blocking discovery ---- */

static int64_t
mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for fd to be ready for events until deadline (ms). */
static int
wait_fd(int fd, short events, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - mono_ms();
        if (left <= 0)
            return -ETIMEDOUT;
        struct pollfd pfd = {.fd = fd, .events = events};
        int n = poll(&pfd, 1, (int)left);
        if (n > 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return -errno;
    }
}

int
lg_cmap_fetch(struct lg_cmap *m, const char *host, int port, int timeout_ms, char *err, size_t errlen)
{
    static const char req[] = "*2\r\n$7\r\nCLUSTER\r\n$5\r\nSLOTS\r\n";
    int64_t deadline = mono_ms() + timeout_ms;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    char portstr[16];
    char *buf = NULL;
    int fd = -1, ret;
    snprintf(portstr, sizeof(portstr), "%d", port);
    snprintf(err, errlen, "%s:%d: ", host, port);
    if ((ret = getaddrinfo(host, portstr, &hints, &ai)) != 0) {
        snprintf(err, errlen, "%s:%d: %s", host, port, gai_strerror(ret));
        return -EHOSTUNREACH;
    }
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        ret = -errno;
        goto fail;
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
        ret = -errno;
        goto fail;
    }
    if ((ret = wait_fd(fd, POLLOUT, deadline)) < 0)
        goto fail;
    int soerr = 0;
    socklen_t sl = sizeof(soerr);
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
    if (soerr) {
        ret = -soerr;
        goto fail;
    }
    if (send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(req) - 1)) {
        ret = -EIO;
        goto fail;
    }
    size_t cap = 1 << 16, len = 0;
    buf = malloc(cap);
    if (buf == NULL)
        abort();
    struct lg_scan sc;
    lg_scan_reset(&sc);
    size_t scanned = 0;
    for (;;) {
        struct lg_reply rep;
        size_t used;
        int r = lg_scan_feed(&sc, buf + scanned, len - scanned, &used, &rep);
        scanned += used;
        if (r < 0) {
            ret = -EPROTO;
            goto fail;
        }
        if (r == 1) {
            if (rep.type == '-') {
                snprintf(err, errlen, "%s:%d: CLUSTER SLOTS: %.*s", host, port, (int)rep.line_len, rep.line);
                ret = -ENOTSUP;
                goto out;
            }
            if (rep.type != '*') {
                ret = -EPROTO;
                goto fail;
            }
            break;
        }
        if (len == cap) {
            if (cap >= (64u << 20)) {
                ret = -E2BIG;
                goto fail;
            }
            cap *= 2;
            buf = realloc(buf, cap);
            if (buf == NULL)
                abort();
        }
        if ((ret = wait_fd(fd, POLLIN, deadline)) < 0)
            goto fail;
        ssize_t n = recv(fd, buf + len, cap - len, 0);
        if (n == 0) {
            ret = -ECONNRESET;
            goto fail;
        }
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                continue;
            ret = -errno;
            goto fail;
        }
        len += (size_t)n;
    }
    ret = lg_cmap_load_slots(m, buf, scanned, host);
    if (ret < 0)
        snprintf(err, errlen, "%s:%d: malformed CLUSTER SLOTS reply", host, port);
    goto out;
fail:
    snprintf(err, errlen, "%s:%d: %s", host, port, strerror(-ret));
out:
    free(buf);
    if (fd >= 0)
        close(fd);
    if (ai)
        freeaddrinfo(ai);
    return ret;
}
