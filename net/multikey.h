/* multikey.h: multi-key commands whose keys live on several workers
 * (standalone mode only: in cluster mode all keys share a slot), executed
 * atomically without a global lock, in the manner of Dragonfly's VLL:
 *
 *  1. lock   the coordinator (the client's worker) asks each involved worker,
 *            in ascending worker order, to lock that worker's keys (shared
 *            for reads, exclusive for writes), all-or-nothing per worker;
 *            a conflicting request waits on that worker. Ascending order
 *            and all-or-nothing make deadlock impossible.
 *  2. phases the command runs in one or two rounds on every involved worker
 *            (MSETNX checks then sets; RENAME/COPY read, then write);
 *  3. unlock each worker releases its locks and re-runs what waited.
 *
 * While keys are locked, any other command touching them on that worker
 * waits, so no client can observe half of an MSET, MSETNX, RENAME or COPY.
 * The connection that issued the command stops parsing until it completes,
 * which keeps its own later commands after it. */
#ifndef TESSERA_MULTIKEY_H
#define TESSERA_MULTIKEY_H

#include "core/common.h"

struct worker;
struct req;
struct cmd_def;

/* Start the cross-worker execution of r (already in its connection's FIFO);
 * idx[0..nk) are the argv indexes of its keys. */
void multikey_start(struct worker *w, struct req *r, const int *idx, int nk);
/* True when some key of the command is locked on this worker in a mode
 * that conflicts with it. Only call when the worker holds any lock
 * (multikey_any_locked). */
bool multikey_blocked(struct worker *w, const struct cmd_def *cmd, int argc, const struct sv *argv);
bool multikey_any_locked(const struct worker *w);
/* Park a request (its msg.run is re-run when locks are released here). */
void multikey_park(struct worker *w, struct req *r);
/* Park any message (fan-out parts) behind what already waits here. */
struct wmsg;
void multikey_park_msg(struct worker *w, struct wmsg *m);

#endif
