/* prefetch.h: keyspace prefetching for a window of receive completions,
 * and the slots of the keys it saw, for the dispatch that follows. */
#ifndef TESSERA_PREFETCH_H
#define TESSERA_PREFETCH_H

#include "core/common.h"
#include "core/slot.h"

#define PREFETCH_WINDOW 64 /* keys looked at before the window is run */

struct worker;

/* The keys of the window being run, in the order they were seen, with
 * their slots: the dispatch asks for a key's slot with the parser's view of
 * it, and a view with the same pointer and length is the same bytes (both
 * point into a receive buffer that stays untouched until its completion
 * has been dispatched). Valid only while that window runs. */
struct prefetch_hints {
    struct {
        const char *ptr;
        size_t len;
        uint16_t slot;
        uint64_t h; /* ks_key_hash, for keys of this worker's slots; else 0 */
    } key[PREFETCH_WINDOW];
    int n, next;
};

/* Look at the completions from head up to tail (ring indexes, not yet
 * consumed), prefetch the keyspace lines of the keys they carry, and stop
 * once a window's worth of keys is collected. Returns the index after the
 * last completion looked at: the caller runs [head, returned) next, then
 * calls prefetch_window_done. */
unsigned prefetch_cqe_window(struct worker *w, unsigned head, unsigned tail);

struct wmsg;
/* The same for a batch of messages from another worker: the keyspace
 * lines of the requests among them that are to run here. */
void prefetch_requests(struct worker *w, struct wmsg **m, int n);

static inline void
prefetch_window_done(struct prefetch_hints *h)
{
    h->n = h->next = 0;
}

/* The slot of key k: from the hints when the window saw it (keys are
 * asked for in order; a few seen but never asked for, such as ECHO's
 * argument, are skipped), else computed. *hash gets the key's keyspace
 * hash when the window computed it, else 0. */
static inline uint16_t
prefetch_slot_of(struct prefetch_hints *h, struct sv k, uint64_t *hash)
{
    int end = h->next + 8 < h->n ? h->next + 8 : h->n;
    for (int i = h->next; i < end; i++) {
        if (h->key[i].ptr == k.ptr && h->key[i].len == k.len) {
            h->next = i + 1;
            *hash = h->key[i].h;
            return h->key[i].slot;
        }
    }
    *hash = 0;
    return slot_of_sv(k);
}

#endif
