/* obuf.h: a client's output as a list of blocks (Redis's reply list).
 *
 * Replies are appended into `cur`, an ordinary ts_buf, so the reply encoder
 * (reply.h) writes in place with one bounds check, as before. When `cur`
 * has no room for the next element it is sealed: its storage moves, without
 * a copy, to the tail of a list of blocks, and `cur` gets a fresh empty
 * block. The sender takes blocks from the head; a sealed block is never
 * written again, so the kernel may read it while new replies go into `cur`.
 *
 *   head                                 tail
 *   [block]->[block]->...->[block]        cur (appendable)
 *    ^ head_off: bytes of head already sent
 *
 * No append ever moves bytes already written (no realloc+memmove of the
 * backlog): a large element spills across fresh blocks (obuf_append), and
 * the pending output of a connection that does not read is a list of
 * fixed-size blocks, counted as it grows (obuf_mem) so client output limits
 * can be checked.
 *
 * Blocks are recycled through a per-worker pool (struct obuf_pool) so the
 * steady state allocates nothing: a connection that flushes every loop turn
 * alternates between two blocks, as a double buffer would. One owner
 * thread; no locking. */
#ifndef TESSERA_OBUF_H
#define TESSERA_OBUF_H

#include "core/buf.h"
#include "core/common.h"

/* Size of a fresh block, as Redis's PROTO_REPLY_CHUNK_BYTES. */
#define OBUF_BLOCK (16u * 1024)
/* Blocks larger than this (grown by one big contiguous reply) are freed
 * when sent instead of going back to the pool. */
#define OBUF_POOL_BLOCK_MAX (64u * 1024)
/* Blocks a pool keeps (a per-worker cache, not a limit on output). */
#define OBUF_POOL_MAX 64

struct oblock {
    struct oblock *next;
    struct ts_buf b; /* b.len bytes of output; b.cap is its memory */
};

struct obuf_pool {
    struct oblock *free; /* spare blocks, each with a buffer (or none) */
    int nfree;
};

struct obuf {
    struct ts_buf cur;          /* the block replies are appended into */
    /* Called after the list grew (a block was sealed or adopted), so the
     * owner can check its output limit; NULL for none. */
    void (*grew)(struct obuf *o);
    bool drop;                  /* over its limit: output is discarded, not queued */
    struct oblock *head, *tail; /* sealed blocks, oldest first */
    struct oblock *spare;       /* the last block sent, kept for the next seal */
    struct obuf_pool *pool;     /* where sent blocks go; NULL: freed */
    size_t head_off;            /* bytes of head already consumed (sent) */
    size_t nblocks;             /* blocks in the list */
    size_t list_bytes;          /* sum of b.len over the list (sent bytes included) */
    size_t list_mem;            /* sum of b.cap over the list */
};

void obuf_init(struct obuf *o, struct obuf_pool *pool);
/* Free every block (the connection is gone). */
void obuf_deinit(struct obuf *o);

/* Move cur's bytes to the tail of the list (no copy) and give cur an empty
 * block (the spare, a pooled one, or a new one). No-op when cur is empty.
 * With o->drop set, cur's bytes are discarded instead: a client being
 * closed for its output limit stops accumulating at once. */
void obuf_seal(struct obuf *o);
/* Append n bytes, spilling across blocks: cur is filled to its capacity,
 * sealed, and the rest goes into fresh blocks, so a 1 MB element costs one
 * copy and no realloc of what was already queued. */
void obuf_append(struct obuf *o, const void *p, size_t n);
/* Append a whole buffer the caller gives up (a forwarded request's reply):
 * small ones are copied into cur, large ones become a block of their own
 * (their storage is taken and *b is left empty). */
void obuf_adopt(struct obuf *o, struct ts_buf *b);

/* Bytes waiting to be sent (list after head_off, plus cur). */
static inline size_t
obuf_pending(const struct obuf *o)
{
    return o->list_bytes - o->head_off + o->cur.len;
}

/* Output memory, as Redis counts it for client-output-buffer-limit and
 * CLIENT LIST omem: the size of every block in the list (its allocation),
 * plus the bytes in cur (Redis's fixed 16 KB buffer is not counted; cur
 * counts by its content, so an idle connection shows 0). */
static inline size_t
obuf_mem(const struct obuf *o)
{
    return o->list_mem + o->cur.len;
}

/* Fill iov (up to max entries) with the pending bytes of the list, from
 * head_off on (cur is not included: seal it first). Returns the count. */
struct iovec;
int obuf_iov(const struct obuf *o, struct iovec *iov, int max);
/* n bytes were sent: drop fully sent blocks (to the spare slot or the
 * pool) and advance head_off. */
void obuf_consume(struct obuf *o, size_t n);

/* ---- client-output-buffer-limit ---- */

/* The classes of client-output-buffer-limit, in the order of g_cfg.cobl. */
enum obuf_class { OBUF_CLASS_NORMAL = 0, OBUF_CLASS_REPLICA = 1, OBUF_CLASS_PUBSUB = 2 };

/* Redis's rule (checkClientOutputBufferLimits): over the hard limit (when
 * not 0) at once; over the soft limit (when not 0) only after staying over
 * it for more than soft_secs, timed from the first check that saw it over
 * (*soft_since_ms, 0 when not over; it is reset when a check finds the
 * output back under the soft limit). Returns true when the client must be
 * closed. */
bool obuf_limit_reached(long long hard, long long soft, long long soft_secs, size_t used, int64_t now_ms,
                        int64_t *soft_since_ms);

/* Release the pool's blocks (worker teardown). */
void obuf_pool_deinit(struct obuf_pool *p);

#endif
