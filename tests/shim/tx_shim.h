/* tx_shim.h: plain-C access to the cross-worker transaction seam
 * (core/tx.c) for the C++ unit tests. A tx_shim is a set of shards (one per
 * pretend worker, with the default slot split) whose messages
 * (g_rt.worker_call) wait in one FIFO until the test delivers them, so a
 * test can stop a transaction anywhere between its steps. Transactions
 * started here run a recording operation: each part appends
 * "<name>:w<worker>p<phase> " to a log when it runs. */
#ifndef TESSERA_TX_SHIM_H
#define TESSERA_TX_SHIM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* nworkers shards (2..8); replaces g_shards, g_rt.worker_call, the slot map. */
void tx_shim_setup(int nworkers);
void tx_shim_teardown(void);
/* The worker owning key. */
int tx_shim_worker_of(const char *key);

/* Start a transaction named name (one letter) from worker origin over the
 * nul-terminated keys (NULL-ended array): write (exclusive intents) or
 * read; global: a part and an intent on every worker. phases: 1..8, or
 * -n for TX_PHASES_OPEN with next_phase ending it after n phases; idle1:
 * a worker whose part sits out phase 2 (-1: none). Nothing runs until
 * messages are delivered. */
void tx_shim_start(const char *name, int origin, const char *const *keys, int write, int global, int phases,
                   int idle1);
/* Deliver up to n queued messages (in order); returns how many ran. */
int tx_shim_deliver(int n);
/* Messages waiting. */
int tx_shim_pending(void);
/* The log of part runs, and the replies ("<name>:done " per finished tx). */
const char *tx_shim_log(void);

/* What an ordinary command on key would do on worker w now: 1 when it
 * must wait for a transaction's intents (tx_conflicts), for a read or a
 * write command. */
int tx_shim_conflicts(int w, const char *key, int write);
int tx_shim_any_locked(int w);

/* A nested transaction (tx_sub_create) of MSET-like keys under an
 * enclosing one: its number of parts and the part of each key (kpart,
 * into out[], nkeys entries). */
int tx_shim_sub_parts(const char *const *keys, int *kpart_out);

#ifdef __cplusplus
}
#endif

#endif
