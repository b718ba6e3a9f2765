/* repl_buf.h: the replication stream in memory, shared by the backlog and
 * every replica (as Redis 7's shared replication buffer): a list of
 * blocks that only the replication thread appends to, read by the workers
 * that feed replicas, each reader holding a reference on the block it is
 * in. The backlog is the last repl-backlog-size bytes of the list; a head
 * block is freed once it is out of the backlog and no reader is in it.
 *
 *   head -> [ off 0 | used ] -> [ off 65536 | used ] -> ... -> tail (being filled)
 *
 * Offsets are Redis's: the stream's byte k (1-based) has offset k; a block
 * holds the bytes with offsets off+1 .. off+used.
 *
 * Lock-free reading: the writer fills a block's bytes, then publishes
 * `used` with a release store; it links the next block only after the
 * block's last `used` store, so a reader that sees `next` (acquire) and
 * then reads `used` again has the block's final size. Readers only move
 * forward (to `next`), taking the new reference before dropping the old,
 * and only the replication thread places readers (repl_buf_attach) and
 * frees blocks, so a block with no reference beyond the backlog window can
 * be freed without racing any reader. */
#ifndef TESSERA_REPL_BUF_H
#define TESSERA_REPL_BUF_H

#include "core/common.h"

#define REPL_BLOCK_SIZE (64 * 1024)

struct repl_block {
    struct repl_block *next; /* atomic: published by the writer */
    int64_t off;             /* offset of the byte before data[0] */
    uint32_t cap;
    uint32_t used;           /* atomic: bytes written (release) */
    int refs;                /* atomic: readers in this block */
    char data[];
};

struct repl_buf {
    struct repl_block *head, *tail; /* writer's (replication thread) */
    /* abandoned histories (repl_buf_restart) readers may still be in: each
     * freed from its front as readers leave it; never linked to another */
    struct repl_old {
        struct repl_block *head;
        struct repl_old *next;
    } *old;
    int64_t end;                    /* atomic: offset of the last byte written */
    int64_t start;                  /* offset of the first byte still held, minus one (= head->off) */
    size_t mem;                     /* bytes allocated for blocks */
};

/* A reader's place: in block b, at byte pos of it (offset b->off + pos is
 * the last byte it has taken). */
struct repl_reader {
    struct repl_block *b;
    uint32_t pos;
};

/* ---- Writer side (the replication thread) ---- */
void repl_buf_init(struct repl_buf *rb, int64_t off);
void repl_buf_append(struct repl_buf *rb, const void *p, size_t n);
/* Free head blocks until at most keep bytes are held, stopping at the
 * first block a reader is in. */
void repl_buf_trim(struct repl_buf *rb, size_t keep);
/* Drop everything (no reader may be attached) and start again at off. */
void repl_buf_reset(struct repl_buf *rb, int64_t off);
/* Start again at off while readers may still be attached (their replicas
 * are being disconnected): the old blocks stay readable, and repl_buf_trim
 * frees them once no reader can reach them. */
void repl_buf_restart(struct repl_buf *rb, int64_t off);
/* Place a reader after offset off (it will read off+1 first); false when
 * off is not held (before the start or after the end). */
bool repl_buf_attach(struct repl_buf *rb, int64_t off, struct repl_reader *r);
static inline int64_t
repl_buf_end(const struct repl_buf *rb)
{
    return __atomic_load_n(&rb->end, __ATOMIC_ACQUIRE);
}

/* ---- Reader side (any thread) ---- */
/* The next bytes available to r (at most max): a pointer into the block
 * and their number (0: none yet). Valid until repl_reader_advance. */
size_t repl_reader_peek(struct repl_reader *r, const char **p, size_t max);
void repl_reader_advance(struct repl_reader *r, size_t n);
/* The offset of the last byte r has taken. */
static inline int64_t
repl_reader_offset(const struct repl_reader *r)
{
    return r->b->off + r->pos;
}
/* Drop r's reference (the replica is gone). */
void repl_reader_detach(struct repl_reader *r);

#endif
