/* prefetch.c: warm the keyspace for the requests a loop turn is about to
 * run.
 *
 * With many clients or deep pipelines, a worker's time goes to cache
 * misses on the lookup walk (slot table, dict, bucket, entry), one request
 * after another. Before a window of receive completions is dispatched,
 * this looks at the bytes they carry (resp_peek_keys: the first key of
 * each complete command), keeps the keys whose slot this worker owns, and
 * hands them to ks_prefetch_batch, which overlaps their misses. The
 * dispatch that follows then finds the lines in cache, and takes the
 * keys' slots from the hints left here instead of hashing them again.
 * Nothing here changes the keyspace: a connection that is closing is
 * skipped, a read that continues a partial command is looked at past that
 * command's end when the parser knows it, and the parser remains the only
 * judge of what the bytes mean. Requests forwarded by
 * other workers get the same treatment when they are taken off the rings
 * (prefetch_requests). */
#include "net/prefetch.h"

#include <string.h>

#include "core/keyspace.h"
#include "core/slot.h"
#include "core/slotmap.h"
#include "net/net_int.h"

#define PREFETCH_PER_READ 32 /* keys taken from one received buffer */

/* Whether the command reads its key's value, so a long string's buffer is
 * worth fetching too: the GET family (GET, GETEX, GETDEL, GETRANGE, GETSET).
 * A write such as SET replaces the buffer, and fetching 1 KB it will not
 * read only crowds out the lines that matter. A guess, never a decision. */
static inline bool
reads_value(const char *name, size_t len)
{
    return len >= 3 && (name[0] | 0x20) == 'g' && (name[1] | 0x20) == 'e' && (name[2] | 0x20) == 't';
}

unsigned
prefetch_cqe_window(struct worker *w, unsigned head, unsigned tail)
{
    struct ks_prefetch v[PREFETCH_WINDOW];
    struct resp_peek cmds[PREFETCH_PER_READ];
    struct prefetch_hints *hints = &w->hints;
    int n = 0;
    hints->n = hints->next = 0;
    while (head != tail && hints->n < PREFETCH_WINDOW) {
        const struct io_uring_cqe *cqe =
            &w->ring.cq.cqes[io_uring_cqe_index(&w->ring, head, w->ring.cq.ring_mask)];
        head++;
        if (ud_op(cqe->user_data) != UD_RECV || cqe->res <= 0 || !(cqe->flags & IORING_CQE_F_BUFFER))
            continue;
        const struct conn *c = ud_ptr(cqe->user_data);
        if (c->closing)
            continue;
        const char *data = w->br_mem + (size_t)(cqe->flags >> IORING_CQE_BUFFER_SHIFT) * w->br_size;
        size_t len = (size_t)cqe->res;
        if (c->in.len != 0) {
            /* The read starts inside a partial command: look past it when
             * the parser knows where it ends (the tail of its last bulk). */
            size_t end = resp_command_end(&c->parser);
            if (end <= c->in.len || end - c->in.len >= len)
                continue;
            data += end - c->in.len;
            len -= end - c->in.len;
        }
        int room = PREFETCH_WINDOW - hints->n < PREFETCH_PER_READ ? PREFETCH_WINDOW - hints->n : PREFETCH_PER_READ;
        int k = resp_peek_keys(data, len, cmds, room);
        for (int i = 0; i < k; i++) {
            struct sv key = cmds[i].key;
            uint16_t slot = slot_of_sv(key);
            uint64_t h = 0;
            if (slotmap_worker(slot) == w->id) {
                /* Hashed once: the lookup takes it from the hint. */
                h = ks_key_hash(key.ptr, key.len);
                v[n++] = (struct ks_prefetch){.key = key.ptr, .len = key.len, .slot = slot, .h = h,
                                              .value = reads_value(cmds[i].name.ptr, cmds[i].name.len)};
            }
            hints->key[hints->n].ptr = key.ptr;
            hints->key[hints->n].len = key.len;
            hints->key[hints->n].slot = slot;
            hints->key[hints->n].h = h;
            hints->n++;
        }
    }
    if (n > 1) /* one lookup has nothing to overlap with */
        ks_prefetch_batch(w->shard.ks, v, n);
    return head;
}

void
prefetch_requests(struct worker *w, struct wmsg **m, int n)
{
    if (n < 2)
        return;
    /* The requests were written by another worker: pull them over first
     * (the header and the inline argument views span three lines). */
    for (int i = 0; i < n; i++) {
        __builtin_prefetch(m[i]);
        __builtin_prefetch((const char *)m[i] + 64);
        __builtin_prefetch((const char *)m[i] + 128);
    }
    struct ks_prefetch v[PREFETCH_WINDOW];
    struct req *of[PREFETCH_WINDOW];
    int k = 0;
    for (int i = 0; i < n && k < PREFETCH_WINDOW; i++) {
        if (m[i]->run != req_exec_remote)
            continue;
        struct req *r = (struct req *)m[i];
        int fk = r->cmd->first_key;
        if (r->slot < 0 || fk <= 0 || fk >= r->argc)
            continue;
        __builtin_prefetch(r->argv[fk].ptr);
        of[k] = r;
        v[k++] = (struct ks_prefetch){.key = r->argv[fk].ptr, .len = r->argv[fk].len, .slot = (uint16_t)r->slot,
                                      .value = reads_value(r->cmd->name, strlen(r->cmd->name))};
    }
    if (k < 2)
        return;
    for (int i = 0; i < k; i++) /* kept in the request: its lookup takes it (req_exec_remote) */
        v[i].h = of[i]->khash = ks_key_hash(v[i].key, v[i].len);
    ks_prefetch_batch(w->shard.ks, v, k);
}
