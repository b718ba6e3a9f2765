/* expire.c: TTLs of a keyspace: the volatile set (every entry with a TTL,
 * for O(1) add/remove and uniform random sampling), setting and clearing
 * an entry's deadline, and the bounded active expiry cycle.
 *
 * The volatile set is a dense vector of entry pointers; each entry with a
 * TTL stores its own index in its TTL block, so removal swaps the last
 * element into the hole in O(1):
 *
 *   vol: [ e7 | e2 | e9 | e4 ]     remove e2 -> [ e7 | e4 | e9 ]
 *          0    1    2    3                            ^ e4.idx = 1
 *
 * Entries that move in memory (realloc on TTL or value change) must
 * update their vector slot: ks_vol_moved. */
#include "core/keyspace_int.h"

#include "core/evict.h"

#define VOL_MIN_CAP 16
#define EXPIRE_SAMPLE 20

/* ---- Volatile set ---- */

static void
vol_resize(struct ks *ks, uint32_t cap)
{
    ks->mem -= ts_usable_size(ks->vol);
    if (cap == 0) {
        ts_free(ks->vol);
        ks->vol = NULL;
    } else {
        ks->vol = ts_realloc(ks->vol, (size_t)cap * sizeof(struct kv *));
        ks->mem += ts_usable_size(ks->vol);
    }
    ks->vol_cap = cap;
}

void
ks_vol_add(struct ks *ks, struct kv *e)
{
    if (ks->vol_n == ks->vol_cap)
        vol_resize(ks, ks->vol_cap ? ks->vol_cap * 2 : VOL_MIN_CAP);
    ks->vol[ks->vol_n] = e;
    kv_set_vol_idx(e, ks->vol_n);
    ks->vol_n++;
}

void
ks_vol_remove(struct ks *ks, struct kv *e)
{
    uint32_t i = kv_vol_idx(e);
    struct kv *last = ks->vol[--ks->vol_n];
    ks->vol[i] = last;
    kv_set_vol_idx(last, i);
    /* Give memory back when the set shrinks a lot (after an expiry
     * storm), but with hysteresis so add/remove at a boundary is cheap. */
    if (ks->vol_n == 0)
        vol_resize(ks, 0);
    else if (ks->vol_cap > VOL_MIN_CAP && ks->vol_n < ks->vol_cap / 4)
        vol_resize(ks, ks->vol_cap / 2);
}

uint64_t
ks_count_volatile(const struct ks *ks)
{
    return ks->vol_n;
}

/* ---- Setting a TTL ---- */

/* Bytes of the value part of an entry. */
static size_t
kv_cur_value_bytes(const struct kv *e)
{
    if (kv_type_raw(e) != OBJ_STRING)
        return sizeof(void *);
    switch (kv_enc_raw(e)) {
    case ENC_INT:
        return 8;
    case ENC_EMBSTR:
        return 1 + (size_t)e->data[kv_val_off(e)];
    default:
        return sizeof(char *) + 8;
    }
}

/* Adding a TTL needs 12 more bytes between key and value: done in place
 * when the allocator's rounding left room (often: mimalloc size classes
 * are 8-16 bytes apart for small entries), else the entry is copied to a
 * bigger block and relinked, which is why the new pointer is returned and
 * older pointers to the entry become invalid. Clearing a TTL always works
 * in place. */
struct kv *
ks_set_expire(struct ks *ks, struct kv *e, int64_t when_ms)
{
    size_t toff = kv_ttl_off(e);
    if (when_ms < 0) {
        if (!(e->flags & KV_F_TTL))
            return e;
        ks_vol_remove(ks, e);
        size_t vb = kv_cur_value_bytes(e);
        memmove(e->data + toff, e->data + toff + KV_TTL_BYTES, vb);
        e->flags &= (uint8_t)~KV_F_TTL;
        return e;
    }
    if (e->flags & KV_F_TTL) {
        kv_st64(e->data + toff, (uint64_t)when_ms);
        return e;
    }
    size_t vb = kv_cur_value_bytes(e);
    size_t need = KV_HDR + toff + KV_TTL_BYTES + vb;
    if (ts_usable_size(e) >= need) {
        memmove(e->data + toff + KV_TTL_BYTES, e->data + toff, vb);
        kv_st64(e->data + toff, (uint64_t)when_ms);
        e->flags |= KV_F_TTL;
        ks_vol_add(ks, e);
        if (unlikely(ks->vol_n == 1) && ks->owner)
            evict_publish(ks->owner); /* the first volatile key (evict.h) */
        return e;
    }
    struct kv *nu = ts_malloc(need);
    memcpy(nu, e, KV_HDR + toff);
    kv_st64(nu->data + toff, (uint64_t)when_ms);
    memcpy(nu->data + toff + KV_TTL_BYTES, e->data + toff, vb);
    nu->flags |= KV_F_TTL;
    ks->mem += ts_usable_size(nu);
    ks_replace_entry(ks, e, nu); /* frees e's block, not the value */
    ks_vol_add(ks, nu);
    if (unlikely(ks->vol_n == 1) && ks->owner)
        evict_publish(ks->owner);
    return nu;
}

/* ---- Active expiry ----
 *
 * Redis's adaptive sampling: take EXPIRE_SAMPLE random keys from the
 * volatile set, delete the expired ones, and go again while more than a
 * quarter of the sample had expired (there are probably many more), until
 * the budget of sampled keys runs out. Sampling is with replacement: cheap
 * and unbiased enough. */
uint64_t
ks_active_expire(struct ks *ks, int64_t now_ms, size_t budget)
{
    uint64_t deleted = 0;
    ks->clock_s = (uint32_t)(now_ms / 1000);
    while (budget > 0 && ks->vol_n > 0) {
        size_t sample = TS_MIN(TS_MIN((size_t)EXPIRE_SAMPLE, (size_t)ks->vol_n), budget);
        size_t expired = 0;
        for (size_t i = 0; i < sample && ks->vol_n > 0; i++) {
            struct kv *e = ks->vol[ks_rand(ks) % ks->vol_n];
            if (now_ms > kv_deadline(e)) {
                ks_note_expired(ks, e);
                ks_unlink_free(ks, e);
                expired++;
            }
        }
        budget -= sample;
        deleted += expired;
        if (expired * 4 <= sample)
            break;
    }
    return deleted;
}
