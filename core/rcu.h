/* rcu.h: read-copy-update over ck_epoch, for the few structures that are
 * read on every request and replaced rarely (the slot -> worker table, the
 * cluster-state snapshot). Readers bracket their use with rcu_read_begin /
 * rcu_read_end (workers do it once per loop turn); a writer publishes a new
 * version with an atomic store and hands the old one to rcu_retire, which
 * frees it once every registered thread has left the read sections that
 * might still see it. Each thread that reads or retires registers once. */
#ifndef TESSERA_RCU_H
#define TESSERA_RCU_H

void rcu_thread_register(void);
void rcu_thread_unregister(void);
void rcu_read_begin(void);
void rcu_read_end(void);
/* Free p with fn(p) after a grace period. Must be called by a registered
 * thread; callbacks run later from that thread's rcu_poll. */
void rcu_retire(void *p, void (*fn)(void *));
/* Run due callbacks; call periodically (worker cron) outside read sections. */
void rcu_poll(void);
/* Wait for a grace period and run all of this thread's pending callbacks
 * (shutdown, tests). */
void rcu_barrier(void);

#endif
