/* repl_unit.h: the units of writing transactions over several workers
 * (core/effect.h, "Units") on the replication thread.
 *
 * A coordinator hands its unit over (fx_unit_hook, any worker); the thread
 * keeps the units in the order they came and puts each into the stream
 * once every participant's stream is merged up to the unit's QUEUED mark,
 * while participants that reached its RELEASED mark wait for it.
 *
 * Why this cannot stall: a unit U waiting for worker w's QUEUED mark finds
 * w held only at the RELEASED mark of a unit V queued on w before U. V
 * was handed over before that mark was put, and U only after U's part on
 * w ran, after the mark: V came first, so V goes before U. The oldest
 * unit can always go.
 *
 * A full sync's cut is a transaction too (repl_snap.c): a unit of a later
 * transaction waits until every cut is in, since its effects follow the
 * sync's offset; one of an earlier transaction precedes every cut. */
#ifndef TESSERA_REPL_UNIT_H
#define TESSERA_REPL_UNIT_H

#include "core/common.h"

/* Install the hook (setup). */
void repl_unit_setup(void);

/* ---- The thread ---- */
/* Worker w's stream was merged up to its QUEUED mark of transaction id. */
void repl_unit_queued(int w, uint64_t id);
/* Worker w reached the RELEASED mark of id: may it go on (the unit is in
 * the stream, or was dropped with it)? */
bool repl_unit_out(uint64_t id);
/* Put every unit that may go into the stream; true if any went. */
bool repl_unit_emit(void);
/* A full sync from our master replaced the history: units of our own
 * transactions still waiting are dropped. */
void repl_unit_reset(void);

/* ---- WAIT ---- */
/* The thread, before it sleeps: units wait in the inbox. */
bool repl_unit_inbox_pending(void);
/* Units handed over so far (any thread). */
uint64_t repl_unit_taken(void);
/* Every unit handed over is in the stream (any thread: manual failover). */
bool repl_unit_settled(void);
/* The thread: every unit up to number seq is out; and the stream offset
 * by which they are (an upper bound). */
bool repl_unit_all_out(uint64_t seq);
int64_t repl_unit_end_upto(uint64_t seq);

#endif
