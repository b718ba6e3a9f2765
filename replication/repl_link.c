/* repl_link.c: the link thread, the replica side's connection to its
 * master (spec/replication.md §2, §3, §6, §8).
 *
 * One thread per process, started by the first repl_set_master. It works
 * with a blocking socket and simple timeouts (this is not a request path):
 *
 *   CONNECT --> CONNECTING --> HANDSHAKE --> TRANSFER --> CONNECTED
 *      ^            |  PING, AUTH + REPLCONF    |  RDB      |  socket handed
 *      |            |  (pipelined), PSYNC       |  loaded   |  to worker 0
 *      +--- ~1 s ---+------ any failure --------+           |
 *      +------------- repl_link_lost_hook (worker 0) -------+
 *
 * - Each synchronous read of the handshake waits at most 5 s (Redis's fixed
 *   repl-syncio-timeout) and the whole handshake must be over within
 *   repl-timeout; the PSYNC reply and the payload header may be preceded by
 *   bare "\n" keepalives, each of which counts as progress; the transfer
 *   fails after repl-timeout seconds without a byte.
 * - +CONTINUE hands the socket over at once; +FULLRESYNC (or the SYNC
 *   fallback) receives the payload, in both forms ($<len> and
 *   $EOF:<mark>), into a temp file in the working directory (dir), then
 *   flushes the dataset and loads the file into the workers (repl_load.c).
 *   That is Redis's default, repl-diskless-load disabled (the only value
 *   Tessera accepts yet): a transfer cut midway (a master dying, a new
 *   master chosen) leaves the old dataset and its history intact, which
 *   matters when the replica may be promoted. The file is deleted after
 *   the load (Redis renames it to dbfilename; Tessera has no persistence).
 *
 * Changes of master (repl_set_master, repl_link_stop) bump a generation
 * number and shutdown() the socket of the attempt in progress, so a thread
 * blocked in recv wakes at once and its attempt is dropped. A socket handed
 * to worker 0 is cut the same way through a dup kept here; worker 0 then
 * closes it and calls the lost hook, which only counts for the newest
 * hand-over (handed / lost counters), so a late hook of an old link never
 * disturbs a newer one. */
#include "replication/repl_link.h"

#include "core/buf.h"
#include "core/config.h"
#include "core/log.h"
#include "core/server.h"
#include "replication/repl.h"
#include "replication/repl_int.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#define LINK_SYNCIO_MS 5000   /* Redis's repl-syncio-timeout (fixed) */
#define LINK_TICK_MS 1000     /* recv wakes this often to check for a change of master */
#define LINK_RETRY_MS 1000    /* first retry after a failure, as Redis's once-a-second cron */
#define LINK_RETRY_MAX_MS 3000
#define LINK_LINE_MAX 4096    /* a handshake reply line */
#define LINK_READ_CHUNK (64 * 1024)

/* ---- Shared state (g_link.lock) ---- */

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t thread;
    bool started, quit;
    bool replica;
    char host[256];
    int port;
    uint64_t gen;          /* bumped by every change of master, stop and quit */
    int hs_fd;             /* socket of the attempt in progress, -1 */
    int live_fd;           /* dup of the socket handed to worker 0, -1 */
    uint64_t handed, lost; /* sockets handed to worker 0 / lost hook calls */
    int fails;             /* failed attempts in a row (back-off) */
    int64_t next_try_ms;   /* unix ms of the next attempt */
    struct repl_link_info info;
} g_link = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .cond = PTHREAD_COND_INITIALIZER,
    .hs_fd = -1,
    .live_fd = -1,
};

/* Mirrors for the lock-free readers (cluster thread, INFO). */
static bool g_is_replica;
static int g_state; /* enum repl_link_state */
static int64_t g_down_since_ms;

/* One attempt of the link thread: everything here is the thread's own. */
struct attempt {
    uint64_t gen;
    char host[256];
    int port;
    int fd;
    struct ts_buf in;  /* bytes received and not yet used */
    size_t rpos;       /* first unused byte of in */
    int64_t deadline_ms; /* the handshake must be over by then */
    int64_t last_nl_ms;  /* last "\n" keepalive sent while loading */
    char err[256];
};

static void
link_publish_state_locked(enum repl_link_state st)
{
    int64_t now = ts_mstime();
    bool was_up = g_link.info.state == REPL_LINK_CONNECTED;
    g_link.info.state = st;
    if (was_up && st != REPL_LINK_CONNECTED)
        g_link.info.down_since_ms = now;
    __atomic_store_n(&g_state, (int)st, __ATOMIC_RELAXED);
    __atomic_store_n(&g_down_since_ms, g_link.info.down_since_ms, __ATOMIC_RELAXED);
}

/* The attempt's state, unless the master changed meanwhile. */
static bool
link_set_state(const struct attempt *a, enum repl_link_state st)
{
    pthread_mutex_lock(&g_link.lock);
    bool mine = a->gen == g_link.gen;
    if (mine)
        link_publish_state_locked(st);
    pthread_mutex_unlock(&g_link.lock);
    return mine;
}

static bool
link_current(const struct attempt *a)
{
    return __atomic_load_n(&g_link.gen, __ATOMIC_ACQUIRE) == a->gen;
}

/* Cut the attempt in progress and the link handed to worker 0 (lock held):
 * shutdown wakes a recv blocked on the socket; worker 0 sees its connection
 * end and closes it (then the lost hook fires). */
static void
link_cut_locked(void)
{
    __atomic_store_n(&g_link.gen, g_link.gen + 1, __ATOMIC_RELEASE); /* link_current reads it unlocked */
    if (g_link.hs_fd >= 0)
        shutdown(g_link.hs_fd, SHUT_RDWR);
    if (g_link.live_fd >= 0) {
        shutdown(g_link.live_fd, SHUT_RDWR);
        close(g_link.live_fd);
        g_link.live_fd = -1;
    }
}

/* ---- Socket I/O ---- */

static int
link_fail(struct attempt *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int
link_fail(struct attempt *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->err, sizeof(a->err), fmt, ap);
    va_end(ap);
    return -1;
}

static int
link_send(struct attempt *a, const void *p, size_t n)
{
    const char *s = p;
    while (n > 0) {
        ssize_t w = send(a->fd, s, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return link_fail(a, "Error writing to MASTER: %s", w < 0 ? strerror(errno) : "closed");
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* A command as a RESP array of bulk strings, as Redis's replica sends. */
static void
link_put_cmd(struct ts_buf *b, int argc, const char **argv)
{
    ts_buf_printf(b, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++)
        ts_buf_printf(b, "$%zu\r\n%s\r\n", strlen(argv[i]), argv[i]);
}

static size_t
link_buffered(const struct attempt *a)
{
    return a->in.len - a->rpos;
}

/* Receive more bytes into a->in. Fails after idle_ms without a byte, when
 * the master closes, or when the master was changed meanwhile (checked at
 * every wake-up of recv, at least once per LINK_TICK_MS). */
static int
link_fill(struct attempt *a, int64_t idle_ms)
{
    if (a->rpos > 0 && a->rpos == a->in.len) {
        a->in.len = 0;
        a->rpos = 0;
    } else if (a->rpos > LINK_READ_CHUNK) {
        ts_buf_consume(&a->in, a->rpos);
        a->rpos = 0;
    }
    int64_t start = ts_mstime();
    for (;;) {
        if (!link_current(a))
            return link_fail(a, "replication target changed");
        char *dst = ts_buf_reserve(&a->in, LINK_READ_CHUNK);
        ssize_t r = recv(a->fd, dst, LINK_READ_CHUNK, 0);
        if (r > 0) {
            a->in.len += (size_t)r;
            return 0;
        }
        if (r == 0)
            return link_fail(a, "Connection lost (the MASTER closed it)");
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return link_fail(a, "Error reading from MASTER: %s", strerror(errno));
        if (ts_mstime() - start >= idle_ms)
            return link_fail(a, "Timeout: no data from MASTER for %lld ms", (long long)idle_ms);
    }
}

/* The next line (without its \r\n) into line; idle_ms as for link_fill,
 * also bounded by the handshake deadline. */
static int
link_read_line(struct attempt *a, int64_t idle_ms, char *line, size_t cap)
{
    for (;;) {
        const char *p = a->in.data + a->rpos;
        const char *nl = link_buffered(a) ? memchr(p, '\n', link_buffered(a)) : NULL;
        if (nl) {
            size_t n = (size_t)(nl - p);
            a->rpos += n + 1;
            if (n > 0 && p[n - 1] == '\r')
                n--;
            if (n >= cap)
                return link_fail(a, "Reply line from MASTER too long");
            memcpy(line, p, n);
            line[n] = '\0';
            return 0;
        }
        if (link_buffered(a) >= LINK_LINE_MAX)
            return link_fail(a, "Reply line from MASTER too long");
        int64_t left = a->deadline_ms - ts_mstime();
        if (left <= 0)
            return link_fail(a, "Timeout connecting to the MASTER (repl-timeout)");
        if (link_fill(a, idle_ms < left ? idle_ms : left) != 0)
            return -1;
    }
}

/* A reply line, skipping the bare "\n" keepalives a master sends while it
 * prepares a snapshot; each one counts as progress. */
static int
link_read_reply(struct attempt *a, int64_t idle_ms, char *line, size_t cap)
{
    do {
        if (link_read_line(a, idle_ms, line, cap) != 0)
            return -1;
    } while (line[0] == '\0');
    return 0;
}

/* ---- Connecting ---- */

/* Receive and send timeouts of a blocking socket; 0 = none. */
static void
link_set_timeouts(int fd, int64_t rcv_ms, int64_t snd_ms)
{
    struct timeval tv = {.tv_sec = rcv_ms / 1000, .tv_usec = (rcv_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    tv = (struct timeval){.tv_sec = snd_ms / 1000, .tv_usec = (snd_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* A non-blocking connect to one address, waited for until the deadline. */
static int
link_connect_one(struct attempt *a, const struct addrinfo *ai)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0)
        return -errno;
    int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc < 0 && errno != EINPROGRESS) {
        rc = -errno;
        close(fd);
        return rc;
    }
    if (rc < 0) {
        /* in slices, so a change of master or exit is not kept waiting */
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        int n = 0;
        for (int64_t left; n == 0 && link_current(a) && (left = a->deadline_ms - ts_mstime()) > 0;)
            n = poll(&pfd, 1, left < LINK_TICK_MS ? (int)left : LINK_TICK_MS);
        int soerr = 0;
        socklen_t sl = sizeof(soerr);
        if (n <= 0) {
            close(fd);
            return -ETIMEDOUT;
        }
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr != 0) {
            close(fd);
            return -(soerr ? soerr : EIO);
        }
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
    link_set_timeouts(fd, LINK_TICK_MS, LINK_SYNCIO_MS);
    return fd;
}

/* Connect to host:port (a name or any IPv4/IPv6 literal) and publish the
 * socket so a change of master can cut it. */
static int
link_connect(struct attempt *a)
{
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", a->port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int gai = getaddrinfo(a->host, portstr, &hints, &res);
    if (gai != 0)
        return link_fail(a, "Unable to connect to MASTER: %s", gai_strerror(gai));
    int fd = -ECONNREFUSED;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next)
        fd = link_connect_one(a, ai);
    freeaddrinfo(res);
    if (fd < 0)
        return link_fail(a, "Error condition on socket for SYNC: %s", strerror(-fd));
    pthread_mutex_lock(&g_link.lock);
    bool mine = a->gen == g_link.gen;
    if (mine)
        g_link.hs_fd = fd;
    pthread_mutex_unlock(&g_link.lock);
    if (!mine) {
        close(fd);
        return link_fail(a, "replication target changed");
    }
    a->fd = fd;
    return 0;
}

/* ---- Handshake ---- */

/* The text value of a directive (config.h), or "" (caller frees). */
static char *
link_cfg(const char *name)
{
    char *v = config_get_value(name);
    return v ? v : ts_strdup("");
}

/* PING, then AUTH and REPLCONF pipelined (spec §2 steps 1-2). */
static int
link_hello(struct attempt *a)
{
    char line[LINK_LINE_MAX];
    struct ts_buf b = {0};
    link_put_cmd(&b, 1, (const char *[]){"PING"});
    int rc = link_send(a, b.data, b.len);
    b.len = 0;
    if (rc == 0)
        rc = link_read_line(a, LINK_SYNCIO_MS, line, sizeof(line));
    if (rc == 0 && line[0] != '+' && strncmp(line, "-NOAUTH", 7) != 0 && strncmp(line, "-NOPERM", 7) != 0 &&
        strncmp(line, "-ERR operation not permitted", 28) != 0)
        rc = link_fail(a, "Error reply to PING from master: '%s'", line);
    if (rc != 0) {
        ts_buf_free(&b);
        return -1;
    }
    char *user = link_cfg("masteruser"), *pass = link_cfg("masterauth");
    char *aip = link_cfg("replica-announce-ip");
    int announce = __atomic_load_n(&g_cfg.replica_announce_port, __ATOMIC_RELAXED);
    char port[16];
    snprintf(port, sizeof(port), "%d", announce ? announce : g_server.listen_port);
    bool auth = pass[0] != '\0';
    if (auth && user[0])
        link_put_cmd(&b, 3, (const char *[]){"AUTH", user, pass});
    else if (auth)
        link_put_cmd(&b, 2, (const char *[]){"AUTH", pass});
    link_put_cmd(&b, 3, (const char *[]){"REPLCONF", "listening-port", port});
    if (aip[0])
        link_put_cmd(&b, 3, (const char *[]){"REPLCONF", "ip-address", aip});
    link_put_cmd(&b, 5, (const char *[]){"REPLCONF", "capa", "eof", "capa", "psync2"});
    rc = link_send(a, b.data, b.len);
    int replies = 2 + (auth ? 1 : 0) + (aip[0] ? 1 : 0);
    for (int i = 0; rc == 0 && i < replies; i++) {
        rc = link_read_line(a, LINK_SYNCIO_MS, line, sizeof(line));
        if (rc == 0 && auth && i == 0 && line[0] == '-')
            rc = link_fail(a, "Unable to AUTH to MASTER: %s", line);
        else if (rc == 0 && line[0] == '-')
            log_notice("(Non critical) Master does not understand REPLCONF: %s", line);
    }
    ts_buf_free(&b);
    ts_free(user);
    ts_free(pass);
    ts_free(aip);
    return rc;
}

enum psync_result { PSYNC_FULL, PSYNC_CONTINUE, PSYNC_SYNC };

/* PSYNC <replid> <offset+1>, or PSYNC ? -1 when we have no history (an
 * all-zero replid); the reply decides full, partial or the SYNC fallback.
 * replid/off come back as the master's for a full sync. */
static int
link_psync(struct attempt *a, char replid[REPL_ID_LEN + 1], int64_t *off, enum psync_result *res)
{
    char mine[REPL_ID_LEN + 1], offstr[24], line[LINK_LINE_MAX];
    int64_t myoff = 0;
    repl_history_get(mine, &myoff);
    bool none = strspn(mine, "0") == strlen(mine);
    snprintf(offstr, sizeof(offstr), "%lld", none ? -1LL : (long long)myoff + 1);
    struct ts_buf b = {0};
    link_put_cmd(&b, 3, (const char *[]){"PSYNC", none ? "?" : mine, offstr});
    int rc = link_send(a, b.data, b.len);
    ts_buf_free(&b);
    /* Read as Redis does, by the handshake's repl-timeout, not the 5 s of a
     * synchronous read: a master may take a while (keepalives meanwhile). */
    if (rc != 0 || link_read_reply(a, (int64_t)g_cfg.repl_timeout * 1000, line, sizeof(line)) != 0)
        return -1;
    if (strncmp(line, "+FULLRESYNC ", 12) == 0) {
        const char *id = line + 12, *sp = strchr(id, ' ');
        long long o;
        if (!sp || sp - id != REPL_ID_LEN || !ts_str_to_ll(sp + 1, strlen(sp + 1), &o) || o < 0)
            return link_fail(a, "Master replied with wrong +FULLRESYNC syntax: %s", line);
        memcpy(replid, id, REPL_ID_LEN);
        replid[REPL_ID_LEN] = '\0';
        *off = o;
        *res = PSYNC_FULL;
        log_notice("Full resync from master: %s:%lld", replid, o);
        return 0;
    }
    if (strncmp(line, "+CONTINUE", 9) == 0) {
        const char *id = line + 9 + strspn(line + 9, " ");
        if (strlen(id) == REPL_ID_LEN && memcmp(id, mine, REPL_ID_LEN) != 0) {
            log_notice("Master replication ID changed to %s", id);
            repl_history_switch(id);
        }
        *off = myoff;
        *res = PSYNC_CONTINUE;
        log_notice("Successful partial resynchronization with master.");
        return 0;
    }
    if (strncmp(line, "-NOMASTERLINK", 13) == 0 || strncmp(line, "-LOADING", 8) == 0)
        return link_fail(a, "Master is currently unable to PSYNC but should be in the future: %s", line);
    if (strncmp(line, "-ERR", 4) == 0)
        log_notice("Master does not support PSYNC or is in error state (reply: %s)", line);
    else
        log_warn("Unexpected reply to PSYNC from master: %s", line);
    *res = PSYNC_SYNC;
    return 0;
}

/* A fresh random replication ID (40 hex characters). */
static void
link_random_id(char replid[REPL_ID_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char rnd[REPL_ID_LEN];
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
        for (size_t i = 0; i < sizeof(rnd); i++)
            rnd[i] = (unsigned char)(ts_ustime() >> (i % 16));
    for (int i = 0; i < REPL_ID_LEN; i++)
        replid[i] = hex[rnd[i] & 15];
    replid[REPL_ID_LEN] = '\0';
}

/* The SYNC fallback: no replid nor offset come from the master, so the
 * history starts afresh under a random ID at offset 0. */
static int
link_sync_fallback(struct attempt *a, char replid[REPL_ID_LEN + 1], int64_t *off)
{
    link_random_id(replid);
    *off = 0;
    return link_send(a, "SYNC\r\n", 6);
}

/* ---- Full sync ---- */

struct payload {
    bool eof_mode;
    char mark[REPL_ID_LEN];
    int64_t len; /* $<len> form */
};

/* $<len> or $EOF:<mark>, after any "\n" keepalives (spec §2 step 5). */
static int
link_read_payload_header(struct attempt *a, struct payload *pl)
{
    char line[LINK_LINE_MAX];
    a->deadline_ms = INT64_MAX; /* from now on only idleness counts */
    if (link_read_reply(a, (int64_t)g_cfg.repl_timeout * 1000, line, sizeof(line)) != 0)
        return -1;
    if (line[0] == '-')
        return link_fail(a, "MASTER aborted replication with an error: %s", line + 1);
    if (line[0] != '$')
        return link_fail(a, "Bad protocol from MASTER, the first byte is not '$' (we received '%.64s')", line);
    if (strncmp(line + 1, "EOF:", 4) == 0 && strlen(line + 5) >= REPL_ID_LEN) {
        pl->eof_mode = true;
        memcpy(pl->mark, line + 5, REPL_ID_LEN);
        pl->len = -1;
        return 0;
    }
    long long n;
    if (!ts_str_to_ll(line + 1, strlen(line + 1), &n) || n < 0)
        return link_fail(a, "Bad payload length from MASTER: %.64s", line);
    pl->eof_mode = false;
    pl->len = n;
    return 0;
}

/* Send a "\n" to the master at most once per second while loading, so it
 * does not time us out (spec §2 step 6). Only the process exit stops a
 * load: a new master or REPLICAOF NO ONE waits for it to end, as in Redis
 * (whose load blocks its event loop), so a promoted node never holds half
 * of its master's dataset. */
static bool
link_load_tick(void *arg)
{
    struct attempt *a = arg;
    int64_t now = ts_mstime();
    if (now - a->last_nl_ms >= 1000) {
        a->last_nl_ms = now;
        (void)!send(a->fd, "\n", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    return !__atomic_load_n(&g_link.quit, __ATOMIC_RELAXED);
}

static void
link_note_sync(const struct attempt *a, int64_t total, int64_t read)
{
    pthread_mutex_lock(&g_link.lock);
    if (a->gen == g_link.gen) {
        int64_t now = ts_mstime();
        if (total != INT64_MIN) {
            g_link.info.sync_total = total;
            g_link.info.sync_start_ms = now;
        }
        g_link.info.sync_read = read;
        g_link.info.sync_last_io_ms = now;
        g_link.info.last_io_ms = now;
    }
    pthread_mutex_unlock(&g_link.lock);
}

/* Write all of p to the temp file. */
static int
link_write_all(struct attempt *a, int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return link_fail(a, "Write error writing to the DB on disk (MASTER <-> REPLICA synchronization): %s",
                             w < 0 ? strerror(errno) : "short write");
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Receive the payload into the file fd. $<len>: exactly len bytes (what
 * follows is the stream, left in a->in). $EOF:<mark>: until the last 40
 * bytes received are the mark, checked after every read as Redis does;
 * the mark is then cut off the file. */
static int
link_receive_file(struct attempt *a, const struct payload *pl, int fd)
{
    int64_t idle = (int64_t)g_cfg.repl_timeout * 1000, got = 0;
    char last[REPL_ID_LEN]; /* the last bytes received (EOF mode) */
    link_note_sync(a, pl->len, 0);
    while (pl->eof_mode || got < pl->len) {
        if (!link_buffered(a) && link_fill(a, idle) != 0)
            return -1;
        size_t n = link_buffered(a);
        if (!pl->eof_mode && (int64_t)n > pl->len - got)
            n = (size_t)(pl->len - got);
        const char *p = a->in.data + a->rpos;
        if (link_write_all(a, fd, p, n) != 0)
            return -1;
        a->rpos += n;
        got += (int64_t)n;
        link_note_sync(a, INT64_MIN, got);
        if (!pl->eof_mode)
            continue;
        if (n >= REPL_ID_LEN) {
            memcpy(last, p + n - REPL_ID_LEN, REPL_ID_LEN);
        } else {
            memmove(last, last + n, REPL_ID_LEN - n);
            memcpy(last + REPL_ID_LEN - n, p, n);
        }
        if (got >= REPL_ID_LEN && memcmp(last, pl->mark, REPL_ID_LEN) == 0) {
            if (ftruncate(fd, got - REPL_ID_LEN) != 0)
                return link_fail(a, "Error truncating the RDB file received from the MASTER: %s", strerror(errno));
            break;
        }
    }
    return 0;
}

/* Receive the RDB of a full sync into a temp file, then load it (spec §2
 * steps 5-7). Loading starts only once the whole payload is here, so a
 * transfer that fails leaves the dataset and the history as they were. */
static int
link_full_sync(struct attempt *a, const char *replid, int64_t off)
{
    struct payload pl;
    if (!link_set_state(a, REPL_LINK_TRANSFER)) /* ROLE's "sync", waiting for the payload too */
        return link_fail(a, "replication target changed");
    if (link_read_payload_header(a, &pl) != 0)
        return -1;
    char path[64];
    snprintf(path, sizeof(path), "temp-%lld.%d.rdb", (long long)(ts_mstime() / 1000), (int)getpid());
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return link_fail(a, "Opening the temp file needed for MASTER <-> REPLICA synchronization: %s",
                         strerror(errno));
    log_notice("MASTER <-> REPLICA sync: receiving %s from master to disk",
               pl.eof_mode ? "streamed RDB" : "RDB");
    int rc = link_receive_file(a, &pl, fd);
    close(fd);
    if (rc == 0) {
        log_notice("MASTER <-> REPLICA sync: Flushing old data");
        repl_history_reset(replid, off);
        a->last_nl_ms = 0;
        __atomic_store_n(&g_loading, 1, __ATOMIC_RELAXED);
        uint64_t keys = 0;
        if (repl_load_file(path, link_load_tick, a, (int64_t)g_cfg.repl_timeout * 1000, &keys) != 0) {
            /* The dataset is partial now, so the master's history must not
             * be offered to anyone: a later PSYNC with it could be answered
             * +CONTINUE on top of half a dataset. A fresh ID forces the
             * next sync to be full, as Redis's discarded cached master does. */
            char fresh[REPL_ID_LEN + 1];
            link_random_id(fresh);
            repl_history_reset(fresh, off);
            rc = link_fail(a, "Failed trying to load the MASTER synchronization DB from disk");
        } else {
            log_notice("MASTER <-> REPLICA sync: Finished with success (%llu keys)", (unsigned long long)keys);
        }
        __atomic_store_n(&g_loading, 0, __ATOMIC_RELAXED);
    }
    unlink(path); /* Tessera has no persistence yet: the file served the sync only */
    if (rc == 0 && pl.eof_mode) {
        /* The master holds the stream back until this first ACK. */
        char offstr[24];
        snprintf(offstr, sizeof(offstr), "%lld", (long long)off);
        struct ts_buf b = {0};
        link_put_cmd(&b, 3, (const char *[]){"REPLCONF", "ACK", offstr});
        rc = link_send(a, b.data, b.len);
        ts_buf_free(&b);
    }
    return rc;
}

/* ---- One attempt, the thread ---- */

/* Hand the socket to worker 0 with the bytes read past the payload. */
static int
link_hand_over(struct attempt *a, int64_t off)
{
    pthread_mutex_lock(&g_link.lock);
    bool mine = a->gen == g_link.gen;
    if (mine) {
        g_link.hs_fd = -1;
        g_link.live_fd = dup(a->fd);
        g_link.handed++;
        g_link.fails = 0;
        g_link.info.last_io_ms = ts_mstime();
        link_publish_state_locked(REPL_LINK_CONNECTED);
    }
    pthread_mutex_unlock(&g_link.lock);
    if (!mine)
        return link_fail(a, "replication target changed");
    link_set_timeouts(a->fd, 0, 0); /* worker 0 owns it now: no timeouts of ours */
    int fd = a->fd;
    a->fd = -1;
    log_notice("MASTER <-> REPLICA sync: link with %s:%d established at offset %lld", a->host, a->port,
               (long long)off);
    repl_link_established(fd, off, a->in.data + a->rpos, link_buffered(a));
    return 0;
}

static int
link_attempt(struct attempt *a)
{
    log_notice("Connecting to MASTER %s:%d", a->host, a->port);
    a->deadline_ms = ts_mstime() + (int64_t)g_cfg.repl_timeout * 1000;
    if (!link_set_state(a, REPL_LINK_CONNECTING) || link_connect(a) != 0)
        return -1;
    log_notice("MASTER <-> REPLICA sync started");
    if (!link_set_state(a, REPL_LINK_HANDSHAKE) || link_hello(a) != 0)
        return -1;
    char replid[REPL_ID_LEN + 1];
    int64_t off = 0;
    enum psync_result res;
    if (link_psync(a, replid, &off, &res) != 0)
        return -1;
    if (res == PSYNC_CONTINUE)
        return link_hand_over(a, off);
    if (res == PSYNC_SYNC && link_sync_fallback(a, replid, &off) != 0)
        return -1;
    if (link_full_sync(a, replid, off) != 0)
        return -1;
    return link_hand_over(a, off);
}

static void
link_attempt_end(struct attempt *a, int rc)
{
    pthread_mutex_lock(&g_link.lock);
    bool cut = a->gen != g_link.gen; /* a new master or a stop ended it: not a failure */
    if (g_link.hs_fd == a->fd)
        g_link.hs_fd = -1;
    if (rc != 0 && !cut) {
        int64_t delay = LINK_RETRY_MS + 500 * (g_link.fails / 5);
        g_link.fails++;
        g_link.next_try_ms = ts_mstime() + (delay < LINK_RETRY_MAX_MS ? delay : LINK_RETRY_MAX_MS);
        link_publish_state_locked(REPL_LINK_CONNECT);
    }
    pthread_mutex_unlock(&g_link.lock);
    if (a->fd >= 0)
        close(a->fd);
    a->fd = -1;
    if (rc != 0 && !cut)
        log_warn("%s", a->err);
    ts_buf_free(&a->in);
    a->rpos = 0;
}

static void *
link_thread(void *unused)
{
    (void)unused;
    pthread_setname_np(pthread_self(), "repl-link");
    pthread_mutex_lock(&g_link.lock);
    while (!g_link.quit) {
        if (!g_link.replica || g_link.info.state == REPL_LINK_CONNECTED) {
            pthread_cond_wait(&g_link.cond, &g_link.lock);
            continue;
        }
        int64_t now = ts_mstime();
        if (now < g_link.next_try_ms) {
            int64_t at = g_link.next_try_ms;
            struct timespec ts = {.tv_sec = at / 1000, .tv_nsec = (at % 1000) * 1000000};
            pthread_cond_timedwait(&g_link.cond, &g_link.lock, &ts); /* cond uses CLOCK_REALTIME, as ts_mstime */
            continue;
        }
        struct attempt a = {.gen = g_link.gen, .port = g_link.port, .fd = -1};
        memcpy(a.host, g_link.host, sizeof(a.host));
        pthread_mutex_unlock(&g_link.lock);
        int rc = link_attempt(&a);
        link_attempt_end(&a, rc);
        pthread_mutex_lock(&g_link.lock);
    }
    pthread_mutex_unlock(&g_link.lock);
    return NULL;
}

/* Worker 0: the connection handed over last ended (or an older one did,
 * which the counters tell apart). */
static void
link_lost(void)
{
    pthread_mutex_lock(&g_link.lock);
    g_link.lost++;
    if (g_link.lost >= g_link.handed) {
        if (g_link.live_fd >= 0) {
            close(g_link.live_fd);
            g_link.live_fd = -1;
        }
        if (g_link.replica && g_link.info.state == REPL_LINK_CONNECTED) {
            log_warn("Connection with master lost.");
            g_link.next_try_ms = ts_mstime() + LINK_RETRY_MS;
            link_publish_state_locked(REPL_LINK_CONNECT);
            pthread_cond_signal(&g_link.cond);
        }
    }
    pthread_mutex_unlock(&g_link.lock);
}

/* CONFIG GET replicaof (and CONFIG REWRITE) show the current master, as
 * in Redis; called without g_link.lock (it takes the config lock). */
static void
link_mirror_config(const char *host, int port)
{
    char h[256], p[16];
    snprintf(h, sizeof(h), "%s", host ? host : "no");
    if (host)
        snprintf(p, sizeof(p), "%d", port);
    else
        snprintf(p, sizeof(p), "one");
    char *args[2] = {h, p};
    config_set_internal("replicaof", 2, args);
}

/* ---- API (repl.h, repl_int.h, repl_link.h) ---- */

bool
repl_is_replica(void)
{
    return __atomic_load_n(&g_is_replica, __ATOMIC_RELAXED);
}

bool
repl_link_up(void)
{
    return __atomic_load_n(&g_state, __ATOMIC_RELAXED) == REPL_LINK_CONNECTED;
}

int64_t
repl_link_down_ms(void)
{
    if (!repl_is_replica() || repl_link_up())
        return 0;
    int64_t d = ts_mstime() - __atomic_load_n(&g_down_since_ms, __ATOMIC_RELAXED);
    return d > 0 ? d : 0;
}

bool
repl_link_loading(void)
{
    return __atomic_load_n(&g_loading, __ATOMIC_RELAXED);
}

void
repl_link_info(struct repl_link_info *out)
{
    pthread_mutex_lock(&g_link.lock);
    *out = g_link.info;
    pthread_mutex_unlock(&g_link.lock);
}

void
repl_set_master(const char *ip, int port)
{
    pthread_mutex_lock(&g_link.lock);
    if (g_link.quit || (g_link.replica && g_link.port == port && strcmp(g_link.host, ip) == 0)) {
        pthread_mutex_unlock(&g_link.lock);
        return;
    }
    if (!g_link.started) {
        repl_link_lost_hook = link_lost;
        if (pthread_create(&g_link.thread, NULL, link_thread, NULL) != 0) {
            pthread_mutex_unlock(&g_link.lock);
            log_warn("Cannot start the replication link thread: %s", strerror(errno));
            return;
        }
        g_link.started = true;
    }
    link_cut_locked();
    bool was_replica = g_link.replica;
    g_link.replica = true;
    snprintf(g_link.host, sizeof(g_link.host), "%s", ip);
    g_link.port = port;
    g_link.fails = 0;
    g_link.next_try_ms = 0;
    link_publish_state_locked(REPL_LINK_CONNECT);
    if (!was_replica)
        g_link.info.down_since_ms = ts_mstime();
    __atomic_store_n(&g_down_since_ms, g_link.info.down_since_ms, __ATOMIC_RELAXED);
    memcpy(g_link.info.host, g_link.host, sizeof(g_link.info.host));
    g_link.info.port = port;
    g_link.info.last_io_ms = -1;
    g_link.info.sync_total = g_link.info.sync_read = 0;
    __atomic_store_n(&g_is_replica, true, __ATOMIC_RELAXED);
    repl_enter_replica_mode(); /* from now on our own effects are not streamed, nothing expires on its own */
    pthread_cond_signal(&g_link.cond);
    pthread_mutex_unlock(&g_link.lock);
    link_mirror_config(ip, port);
}

void
repl_link_stop(void)
{
    pthread_mutex_lock(&g_link.lock);
    bool was = g_link.replica;
    if (was) {
        link_cut_locked();
        g_link.replica = false;
        link_publish_state_locked(REPL_LINK_NONE);
        g_link.info.host[0] = '\0';
        g_link.info.port = 0;
        __atomic_store_n(&g_is_replica, false, __ATOMIC_RELAXED);
        pthread_cond_signal(&g_link.cond);
    }
    pthread_mutex_unlock(&g_link.lock);
    if (was)
        link_mirror_config(NULL, 0);
}

int
repl_link_start_configured(void)
{
    char *v = link_cfg("replicaof");
    int rc = 0;
    char host[256];
    int port;
    if (v[0] && sscanf(v, "%255s %d", host, &port) == 2) {
        if (g_server.cluster_mode) {
            log_warn("replicaof directive not allowed in cluster mode");
            rc = -1;
        } else {
            repl_set_master(host, port);
        }
    }
    ts_free(v);
    return rc;
}

void
repl_link_shutdown(void)
{
    pthread_mutex_lock(&g_link.lock);
    bool started = g_link.started;
    __atomic_store_n(&g_link.quit, true, __ATOMIC_RELAXED); /* link_load_tick reads it unlocked */
    link_cut_locked();
    pthread_cond_signal(&g_link.cond);
    pthread_mutex_unlock(&g_link.lock);
    if (started)
        pthread_join(g_link.thread, NULL);
}
