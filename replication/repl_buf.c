/* repl_buf.c: the shared replication buffer (repl_buf.h). */
#include "replication/repl_buf.h"

static struct repl_block *
block_new(struct repl_buf *rb, int64_t off, size_t need)
{
    size_t cap = need > REPL_BLOCK_SIZE ? need : REPL_BLOCK_SIZE;
    struct repl_block *b = ts_malloc(sizeof(*b) + cap);
    b->next = NULL;
    b->off = off;
    b->cap = (uint32_t)cap;
    b->used = 0;
    b->refs = 0;
    rb->mem += sizeof(*b) + cap;
    return b;
}

void
repl_buf_init(struct repl_buf *rb, int64_t off)
{
    memset(rb, 0, sizeof(*rb));
    rb->head = rb->tail = block_new(rb, off, 0);
    rb->start = off;
    rb->end = off;
}

void
repl_buf_append(struct repl_buf *rb, const void *p, size_t n)
{
    const char *s = p;
    while (n > 0) {
        struct repl_block *t = rb->tail;
        size_t room = t->cap - t->used;
        if (room == 0) {
            struct repl_block *nb = block_new(rb, t->off + t->used, n > UINT32_MAX / 2 ? UINT32_MAX / 2 : n);
            /* t->used is final: readers seeing next may read it again */
            __atomic_store_n(&t->next, nb, __ATOMIC_RELEASE);
            rb->tail = nb;
            continue;
        }
        size_t k = n < room ? n : room;
        memcpy(t->data + t->used, s, k);
        __atomic_store_n(&t->used, t->used + (uint32_t)k, __ATOMIC_RELEASE);
        s += k;
        n -= k;
    }
    __atomic_store_n(&rb->end, rb->tail->off + rb->tail->used, __ATOMIC_RELEASE);
}

/* Free abandoned histories' blocks from their front while no reader is
 * in them: readers only move forward, so a block before the first one in
 * use can no longer be reached. A chain's last block has no next, so its
 * readers stop there (their replicas are being disconnected). */
static void
trim_old(struct repl_buf *rb)
{
    for (struct repl_old **pp = &rb->old; *pp;) {
        struct repl_old *o = *pp;
        while (o->head && __atomic_load_n(&o->head->refs, __ATOMIC_ACQUIRE) == 0) {
            struct repl_block *h = o->head;
            o->head = h->next;
            rb->mem -= sizeof(*h) + h->cap;
            ts_free(h);
        }
        if (o->head) {
            pp = &o->next;
        } else {
            *pp = o->next;
            ts_free(o);
        }
    }
}

void
repl_buf_restart(struct repl_buf *rb, int64_t off)
{
    struct repl_old *o = ts_malloc(sizeof(*o));
    o->head = rb->head;
    o->next = rb->old;
    struct repl_old *olds = o;
    size_t mem = rb->mem;
    repl_buf_init(rb, off);
    rb->old = olds;
    rb->mem += mem;
    trim_old(rb);
}

void
repl_buf_trim(struct repl_buf *rb, size_t keep)
{
    trim_old(rb);
    while (rb->head != rb->tail) {
        struct repl_block *h = rb->head;
        int64_t held_after = rb->end - (h->off + h->used);
        if (held_after < (int64_t)keep || __atomic_load_n(&h->refs, __ATOMIC_ACQUIRE) > 0)
            break;
        rb->head = h->next;
        rb->start = rb->head->off;
        rb->mem -= sizeof(*h) + h->cap;
        ts_free(h);
    }
}

static void
free_chain(struct repl_block *b)
{
    while (b) {
        struct repl_block *n = b->next;
        ts_free(b);
        b = n;
    }
}

void
repl_buf_reset(struct repl_buf *rb, int64_t off)
{
    free_chain(rb->head);
    while (rb->old) {
        struct repl_old *o = rb->old;
        rb->old = o->next;
        free_chain(o->head);
        ts_free(o);
    }
    repl_buf_init(rb, off);
}

bool
repl_buf_attach(struct repl_buf *rb, int64_t off, struct repl_reader *r)
{
    if (off < rb->start || off > rb->end)
        return false;
    struct repl_block *b = rb->head;
    while (b->next && off > b->off + (int64_t)b->used)
        b = b->next;
    /* off is in b: b->off <= off <= b->off + used */
    __atomic_add_fetch(&b->refs, 1, __ATOMIC_ACQ_REL);
    r->b = b;
    r->pos = (uint32_t)(off - b->off);
    return true;
}

size_t
repl_reader_peek(struct repl_reader *r, const char **p, size_t max)
{
    for (;;) {
        struct repl_block *b = r->b;
        uint32_t used = __atomic_load_n(&b->used, __ATOMIC_ACQUIRE);
        if (r->pos < used) {
            size_t n = used - r->pos;
            *p = b->data + r->pos;
            return n < max ? n : max;
        }
        struct repl_block *next = __atomic_load_n(&b->next, __ATOMIC_ACQUIRE);
        if (!next)
            return 0;
        if (r->pos < __atomic_load_n(&b->used, __ATOMIC_ACQUIRE))
            continue; /* the last bytes landed before next was linked */
        __atomic_add_fetch(&next->refs, 1, __ATOMIC_ACQ_REL);
        __atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL);
        r->b = next;
        r->pos = 0;
    }
}

void
repl_reader_advance(struct repl_reader *r, size_t n)
{
    r->pos += (uint32_t)n;
}

void
repl_reader_detach(struct repl_reader *r)
{
    if (r->b)
        __atomic_sub_fetch(&r->b->refs, 1, __ATOMIC_ACQ_REL);
    r->b = NULL;
}
