/* rcu.c: ck_epoch-backed RCU (rcu.h). One global epoch; one record per
 * registered thread, kept in thread-local storage. */
#include "core/rcu.h"

#include <ck_epoch.h>

#include "core/common.h"

static ck_epoch_t rcu_epoch;
static int rcu_inited; /* guarded by the once below */
static __thread ck_epoch_record_t *rcu_rec;
static __thread int rcu_depth;

struct rcu_item {
    ck_epoch_entry_t entry; /* first: the callback casts back from it */
    void *ptr;
    void (*fn)(void *);
};

static void
rcu_init_once(void)
{
    if (!__atomic_exchange_n(&rcu_inited, 1, __ATOMIC_ACQ_REL))
        ck_epoch_init(&rcu_epoch);
    /* Callers racing with the very first init would be a setup bug:
     * rcu_thread_register is first called on the main thread before any
     * worker starts. */
}

void
rcu_thread_register(void)
{
    if (rcu_rec)
        return;
    rcu_init_once();
    ck_epoch_record_t *r = ck_epoch_recycle(&rcu_epoch, NULL);
    if (r == NULL) {
        r = ts_calloc(1, sizeof(*r));
        ck_epoch_register(&rcu_epoch, r, NULL);
    }
    rcu_rec = r;
}

void
rcu_thread_unregister(void)
{
    if (!rcu_rec)
        return;
    rcu_barrier();
    ck_epoch_unregister(rcu_rec);
    rcu_rec = NULL;
}

void
rcu_read_begin(void)
{
    if (rcu_depth++ == 0)
        ck_epoch_begin(rcu_rec, NULL);
}

void
rcu_read_end(void)
{
    if (--rcu_depth == 0)
        ck_epoch_end(rcu_rec, NULL);
}

static void
rcu_item_run(ck_epoch_entry_t *e)
{
    struct rcu_item *it = (struct rcu_item *)e;
    it->fn(it->ptr);
    ts_free(it);
}

void
rcu_retire(void *p, void (*fn)(void *))
{
    if (!p)
        return;
    if (!rcu_rec)
        rcu_thread_register();
    struct rcu_item *it = ts_malloc(sizeof(*it));
    it->ptr = p;
    it->fn = fn;
    ck_epoch_call(rcu_rec, &it->entry, rcu_item_run);
}

void
rcu_poll(void)
{
    if (rcu_rec && rcu_depth == 0)
        ck_epoch_poll(rcu_rec);
}

void
rcu_barrier(void)
{
    if (rcu_rec && rcu_depth == 0)
        ck_epoch_barrier(rcu_rec);
}
