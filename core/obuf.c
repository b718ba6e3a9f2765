/* obuf.c: output block lists (obuf.h). */
#include "core/obuf.h"

#include <sys/uio.h>

void
obuf_init(struct obuf *o, struct obuf_pool *pool)
{
    memset(o, 0, sizeof(*o));
    o->pool = pool;
}

static void
oblock_free(struct oblock *b)
{
    ts_buf_free(&b->b);
    ts_free(b);
}

void
obuf_deinit(struct obuf *o)
{
    struct oblock *b = o->head;
    while (b) {
        struct oblock *next = b->next;
        oblock_free(b);
        b = next;
    }
    if (o->spare)
        oblock_free(o->spare);
    ts_buf_free(&o->cur);
    struct obuf_pool *pool = o->pool;
    void (*grew)(struct obuf *) = o->grew;
    obuf_init(o, pool);
    o->grew = grew;
}

/* A block for the next seal: the connection's own spare first (the double
 * buffer of a connection that keeps up), then the worker's pool. */
static struct oblock *
oblock_take(struct obuf *o)
{
    struct oblock *b = o->spare;
    if (b) {
        o->spare = NULL;
        return b;
    }
    struct obuf_pool *p = o->pool;
    if (p && p->free) {
        b = p->free;
        p->free = b->next;
        p->nfree--;
        return b;
    }
    return ts_calloc(1, sizeof(*b));
}

/* A sent block: kept as the spare, pooled, or freed when it is big (one
 * large reply made it so) or the pool is full. */
static void
oblock_give(struct obuf *o, struct oblock *b)
{
    b->b.len = 0;
    if (b->b.cap > OBUF_POOL_BLOCK_MAX) {
        oblock_free(b);
        return;
    }
    if (o->spare == NULL) {
        b->next = NULL;
        o->spare = b;
        return;
    }
    struct obuf_pool *p = o->pool;
    if (p && p->nfree < OBUF_POOL_MAX) {
        b->next = p->free;
        p->free = b;
        p->nfree++;
        return;
    }
    oblock_free(b);
}

/* What a block counts for in list_mem: its allocation, as Redis counts its
 * reply blocks, except for a large adopted reply grown by doubling, whose
 * unwritten tail was never touched (not resident): its bytes. */
static inline size_t
oblock_mem(const struct oblock *b)
{
    return b->b.cap <= OBUF_POOL_BLOCK_MAX ? b->b.cap : b->b.len;
}

static inline void
obuf_link(struct obuf *o, struct oblock *b)
{
    b->next = NULL;
    if (o->tail)
        o->tail->next = b;
    else
        o->head = b;
    o->tail = b;
    o->nblocks++;
    o->list_bytes += b->b.len;
    o->list_mem += oblock_mem(b);
    if (o->grew)
        o->grew(o);
}

void
obuf_seal(struct obuf *o)
{
    if (o->cur.len == 0)
        return;
    if (unlikely(o->drop)) {
        o->cur.len = 0;
        return;
    }
    struct oblock *b = oblock_take(o);
    struct ts_buf t = b->b; /* empty, with whatever memory it kept */
    b->b = o->cur;
    o->cur = t;
    o->cur.len = 0;
    obuf_link(o, b);
    /* Output is piling up in full blocks (a client that does not keep up):
     * start the next one at full size rather than doubling up from 64
     * bytes. A connection that flushes small replies keeps small blocks. */
    if (o->cur.cap == 0 && b->b.cap >= OBUF_BLOCK)
        ts_buf_grow(&o->cur, OBUF_BLOCK);
}

void
obuf_append(struct obuf *o, const void *p, size_t n)
{
    const char *s = p;
    if (unlikely(o->drop))
        return;
    while (n > 0) {
        size_t room = o->cur.cap - o->cur.len;
        if (room < n && o->cur.cap < OBUF_BLOCK) {
            /* a small cur (a new connection's) grows to a block first */
            ts_buf_grow(&o->cur, TS_MIN(n, OBUF_BLOCK - o->cur.len));
            room = o->cur.cap - o->cur.len;
        }
        if (room == 0) {
            obuf_seal(o);
            if (unlikely(o->drop))
                return;
            continue;
        }
        size_t take = TS_MIN(room, n);
        memcpy(o->cur.data + o->cur.len, s, take);
        o->cur.len += take;
        s += take;
        n -= take;
    }
}

void
obuf_adopt(struct obuf *o, struct ts_buf *b)
{
    if (b->len == 0)
        return;
    if (unlikely(o->drop)) {
        b->len = 0;
        return;
    }
    if (b->len <= o->cur.cap - o->cur.len || b->len < OBUF_BLOCK / 4) {
        obuf_append(o, b->data, b->len);
        b->len = 0;
        return;
    }
    /* Keep order: what is in cur goes first. */
    obuf_seal(o);
    struct oblock *blk = ts_calloc(1, sizeof(*blk));
    blk->b = *b;
    memset(b, 0, sizeof(*b));
    obuf_link(o, blk);
}

int
obuf_iov(const struct obuf *o, struct iovec *iov, int max)
{
    int n = 0;
    size_t off = o->head_off;
    for (const struct oblock *b = o->head; b && n < max; b = b->next) {
        iov[n].iov_base = b->b.data + off;
        iov[n].iov_len = b->b.len - off;
        off = 0;
        if (iov[n].iov_len)
            n++;
    }
    return n;
}

void
obuf_consume(struct obuf *o, size_t n)
{
    while (n > 0 && o->head) {
        struct oblock *b = o->head;
        size_t left = b->b.len - o->head_off;
        if (n < left) {
            o->head_off += n;
            return;
        }
        n -= left;
        o->head = b->next;
        if (!o->head)
            o->tail = NULL;
        o->nblocks--;
        o->list_bytes -= b->b.len;
        o->list_mem -= oblock_mem(b);
        o->head_off = 0;
        oblock_give(o, b);
    }
}

void
obuf_pool_deinit(struct obuf_pool *p)
{
    while (p->free) {
        struct oblock *b = p->free;
        p->free = b->next;
        oblock_free(b);
    }
    p->nfree = 0;
}

bool
obuf_limit_reached(long long hard, long long soft, long long soft_secs, size_t used, int64_t now_ms,
                   int64_t *soft_since_ms)
{
    bool over_hard = hard > 0 && used >= (unsigned long long)hard;
    bool over_soft = soft > 0 && used >= (unsigned long long)soft;
    if (!over_soft) {
        *soft_since_ms = 0;
        return over_hard;
    }
    if (*soft_since_ms == 0) {
        *soft_since_ms = now_ms ? now_ms : 1; /* first time seen over: start the clock */
        return over_hard;
    }
    return over_hard || now_ms - *soft_since_ms > soft_secs * 1000;
}
