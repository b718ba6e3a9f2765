/* snapshot.h: a point-in-time copy of one worker's keys in RDB form,
 * made without fork while the worker keeps serving (replication's full
 * sync; later BGSAVE).
 *
 * At the cut (snap_begin) every key of the worker is "due": it must be
 * written as it is at that moment. The walk (snap_produce) writes due keys
 * slot by slot, a few at a time between the worker's other work; a write
 * command that is about to change a due key writes it first (snap_guard,
 * called by the runtime before the command runs), so the copy always
 * holds the value at the cut. Keys created after the cut are not due (they
 * reach the replica through the stream, which starts at the cut);
 * deleted ones need nothing (the stream carries the DEL).
 *
 * "Due" is one bit per entry compared with the keyspace's current parity
 * (ks_snap_parity): snap_begin flips the parity, which makes every
 * existing entry due at once in O(1); writing an entry, or creating one,
 * sets its bit to the parity. Invariant between snapshots: every entry's
 * bit equals the parity. So a snapshot must run to the end, even when its
 * reader is gone (snap_abort keeps walking without output). One snapshot
 * per worker at a time. A scan cursor may show an entry twice across
 * rehashing; the bit makes the second visit a no-op.
 *
 * All calls on the worker owning sh. */
#ifndef TESSERA_SNAPSHOT_H
#define TESSERA_SNAPSHOT_H

#include "core/buf.h"
#include "core/common.h"

struct shard;
struct cmd_def;

struct ks_snap {
    uint64_t id;
    int slot;              /* the walk: next slot */
    uint64_t cursor;       /* and where in it */
    bool walk_done;
    bool aborted;          /* nobody reads the output: walk to restore the invariant, write nothing */
    struct ts_buf early;   /* due keys written by snap_guard, not yet taken */
    uint64_t keys;         /* keys written so far */
};

/* Start snapshot id on sh (none may be running). */
void snap_begin(struct shard *sh, uint64_t id);
/* Before a write command runs on sh: its due keys are written first. */
void snap_guard_cmd(struct shard *sh, const struct cmd_def *cmd, int argc, const struct sv *argv);
/* The same for one key (transaction parts, which know their keys). */
void snap_guard_key(struct shard *sh, struct sv key);
/* Append at least max bytes of RDB key entries to out if that many remain
 * (whole entries only); true once everything is written (then the
 * snapshot is over and freed: sh->snap is NULL). */
bool snap_produce(struct shard *sh, struct ts_buf *out, size_t max);
/* The reader is gone: finish the walk in the background (snap_drain from
 * the loop turn), writing nothing. */
void snap_abort(struct shard *sh);
/* A slot is about to leave sh for another worker (slot_move.h): its due
 * keys are written now, since that worker's walk may be past the slot or
 * over (they arrive there not due). */
void snap_flush_slot(struct shard *sh, uint16_t slot);
/* Walk up to `budget` keys of an aborted snapshot; true when over. */
bool snap_drain(struct shard *sh, size_t budget);

#endif
