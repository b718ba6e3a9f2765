/* snapshot.c: a worker's point-in-time RDB copy without fork (snapshot.h). */
#include "core/snapshot.h"

#include "core/cmd.h"
#include "core/keyspace_int.h"
#include "core/log.h"
#include "core/rdb.h"
#include "core/shard.h"
#include "core/slot.h"

#define SNAP_SCAN_STEP 64 /* entries per scan call */

static inline bool
kv_due(const struct ks *ks, const struct kv *e)
{
    return (e->flags & KV_F_SNAP) != ks->snap_bit;
}

static inline void
kv_mark_done(const struct ks *ks, struct kv *e)
{
    e->flags = (uint8_t)((e->flags & ~KV_F_SNAP) | ks->snap_bit);
}

void
snap_begin(struct shard *sh, uint64_t id)
{
    struct ks_snap *s = ts_calloc(1, sizeof(*s));
    s->id = id;
    sh->snap = s;
    sh->ks->snap_bit ^= KV_F_SNAP; /* every entry is due at once */
}

void
snap_guard_key(struct shard *sh, struct sv key)
{
    struct ks_snap *s = sh->snap;
    if (!s)
        return;
    uint16_t slot = slot_of_sv(key);
    struct kv *e = ks_lookup(sh->ks, slot, key, sh->now_ms, KS_LOOKUP_NOEXPIRE | KS_LOOKUP_NOTOUCH);
    if (!e || !kv_due(sh->ks, e))
        return;
    if (!s->aborted) {
        rdb_write_key(&s->early, e);
        s->keys++;
    }
    kv_mark_done(sh->ks, e);
}

void
snap_guard_cmd(struct shard *sh, const struct cmd_def *cmd, int argc, const struct sv *argv)
{
    int idxbuf[16];
    int *idx = argc <= 16 ? idxbuf : ts_malloc(sizeof(int) * (size_t)argc);
    int nk = cmd_get_keys(cmd, argc, (struct sv *)argv, idx, TS_MAX(argc, 16));
    for (int i = 0; i < nk; i++)
        snap_guard_key(sh, argv[idx[i]]);
    if (idx != idxbuf)
        ts_free(idx);
}

struct walk {
    struct ks *ks;
    struct ks_snap *s;
    struct ts_buf *out;
    size_t seen;
};

static void
walk_visit(void *arg, struct kv *e)
{
    struct walk *w = arg;
    w->seen++;
    if (!kv_due(w->ks, e))
        return;
    if (w->out) {
        rdb_write_key(w->out, e);
        w->s->keys++;
    }
    kv_mark_done(w->ks, e);
}

/* Walk until out holds `until` bytes (or, out NULL, budget entries were
 * seen); true when every slot is done. */
static bool
walk(struct shard *sh, struct ts_buf *out, size_t until, size_t budget)
{
    struct ks_snap *s = sh->snap;
    struct walk w = {sh->ks, s, out, 0};
    while (s->slot < CLUSTER_SLOTS) {
        if ((out && out->len >= until) || (!out && w.seen >= budget))
            return false;
        struct kvdict *d = sh->ks->slots[s->slot];
        if (!d) { /* empty, or emptied since: nothing due there */
            s->slot++;
            s->cursor = 0;
            continue;
        }
        size_t before = w.seen;
        do {
            s->cursor = kvd_scan(d, s->cursor, walk_visit, &w);
        } while (s->cursor && w.seen - before < SNAP_SCAN_STEP);
        if (s->cursor == 0) {
            s->slot++;
        }
    }
    return true;
}

void
snap_flush_slot(struct shard *sh, uint16_t slot)
{
    struct ks_snap *s = sh->snap;
    struct kvdict *d = s ? sh->ks->slots[slot] : NULL;
    if (!d)
        return;
    struct walk w = {sh->ks, s, s->aborted ? NULL : &s->early, 0};
    uint64_t cursor = 0;
    do
        cursor = kvd_scan(d, cursor, walk_visit, &w);
    while (cursor);
}

static void
snap_finish(struct shard *sh)
{
    ts_buf_free(&sh->snap->early);
    ts_free(sh->snap);
    sh->snap = NULL;
}

bool
snap_produce(struct shard *sh, struct ts_buf *out, size_t max)
{
    struct ks_snap *s = sh->snap;
    if (s->early.len) {
        ts_buf_append(out, s->early.data, s->early.len);
        ts_buf_reset(&s->early);
    }
    if (!walk(sh, out, out->len + max, 0))
        return false;
    log_verbose("Snapshot %llu of worker %d: %llu keys", (unsigned long long)s->id, sh->id,
                (unsigned long long)s->keys);
    snap_finish(sh);
    return true;
}

void
snap_abort(struct shard *sh)
{
    if (!sh->snap)
        return;
    sh->snap->aborted = true;
    ts_buf_free(&sh->snap->early);
}

bool
snap_drain(struct shard *sh, size_t budget)
{
    if (!sh->snap)
        return true;
    if (!walk(sh, NULL, 0, budget))
        return false;
    snap_finish(sh);
    return true;
}
