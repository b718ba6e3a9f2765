/* repl_unit.c: units of cross-worker transactions on the replication
 * thread (repl_unit.h). */
#include "replication/repl_unit.h"

#include "core/effect.h"
#include "replication/repl_feed.h"
#include "replication/repl_master.h"
#include "replication/repl_snap.h"
#include "replication/repl_wait.h"

#include <pthread.h>
#include <unistd.h>

/* Handed over, not yet taken by the thread (under lock). */
static pthread_mutex_t inbox_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fx_unit *inbox, *inbox_tail;
static uint64_t taken_seq; /* atomic: written under inbox_lock */
static int inbox_nonempty; /* atomic: the inbox holds units (the thread's sleep check) */
static uint64_t done_count; /* atomic: units put in the stream or dropped (the thread's) */

/* The thread's: units in the order they came, not yet in the stream. */
static struct fx_unit *pending, *pending_tail;
static uint64_t qseen[MAX_WORKERS]; /* highest QUEUED mark merged per worker */

/* The last units put in the stream: their number and where they ended. */
#define UNIT_MARKS 64
static struct {
    uint64_t seq;
    int64_t end;
} ends[UNIT_MARKS];
static unsigned nends;

static void
unit_push(struct fx_unit *u)
{
    u->next = NULL;
    pthread_mutex_lock(&inbox_lock);
    u->seq = __atomic_load_n(&taken_seq, __ATOMIC_RELAXED) + 1;
    __atomic_store_n(&taken_seq, u->seq, __ATOMIC_RELEASE);
    if (inbox_tail)
        inbox_tail->next = u;
    else
        inbox = u;
    inbox_tail = u;
    __atomic_store_n(&inbox_nonempty, 1, __ATOMIC_SEQ_CST);
    pthread_mutex_unlock(&inbox_lock);
    /* wake the thread only if it may be going to sleep: it sets sleeping,
     * then looks at inbox_nonempty (repl_unit_inbox_pending), so one of
     * the two sees the other's store */
    if (__atomic_load_n(&g_repl.sleeping, __ATOMIC_SEQ_CST)) {
        uint64_t one = 1;
        ssize_t r = write(g_repl.efd, &one, sizeof(one));
        (void)r;
    }
}

bool
repl_unit_inbox_pending(void)
{
    return __atomic_load_n(&inbox_nonempty, __ATOMIC_SEQ_CST) != 0;
}

void
repl_unit_setup(void)
{
    fx_unit_hook = unit_push;
}

uint64_t
repl_unit_taken(void)
{
    return __atomic_load_n(&taken_seq, __ATOMIC_ACQUIRE);
}

static void
drain_inbox(void)
{
    pthread_mutex_lock(&inbox_lock);
    struct fx_unit *u = inbox;
    inbox = inbox_tail = NULL;
    __atomic_store_n(&inbox_nonempty, 0, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&inbox_lock);
    if (!u)
        return;
    if (pending_tail)
        pending_tail->next = u;
    else
        pending = u;
    while (u->next)
        u = u->next;
    pending_tail = u;
}

void
repl_unit_queued(int w, uint64_t id)
{
    if (id > qseen[w])
        qseen[w] = id; /* a worker queues in id order */
}

bool
repl_unit_out(uint64_t id)
{
    drain_inbox(); /* a unit is handed over before its RELEASED marks are put */
    for (struct fx_unit *u = pending; u; u = u->next)
        if (u->id == id)
            return false;
    return true;
}

static bool
unit_ready(const struct fx_unit *u)
{
    for (int i = 0; i < u->nq; i++)
        if (qseen[u->qw[i]] < u->id)
            return false;
    return true;
}

static void
unit_free(struct fx_unit *u)
{
    ts_free(u->data);
    ts_free(u->qw);
    ts_free(u);
}

bool
repl_unit_emit(void)
{
    drain_inbox();
    bool any = false;
    struct fx_unit **pp = &pending, *prev = NULL;
    while (*pp) {
        struct fx_unit *u = *pp;
        bool drop = !g_repl.backlog_on; /* the stream is off: nothing waits for it */
        if (!drop && repl_snap_defers(u->id)) { /* after a cut still being taken */
            prev = u;
            pp = &u->next;
            continue;
        }
        /* in the order they came: a later unit may depend on this one */
        if (!drop && !unit_ready(u))
            break;
        if (!drop) {
            repl_feed_stream(u->data, u->len);
            any = true;
        }
        unsigned k = nends++ % UNIT_MARKS;
        ends[k].seq = u->seq;
        ends[k].end = repl_buf_end(&g_repl.buf);
        __atomic_add_fetch(&done_count, 1, __ATOMIC_RELEASE);
        *pp = u->next;
        if (pending_tail == u)
            pending_tail = prev;
        unit_free(u);
    }
    return any;
}

void
repl_unit_reset(void)
{
    drain_inbox();
    while (pending) {
        struct fx_unit *u = pending;
        pending = u->next;
        unit_free(u);
        __atomic_add_fetch(&done_count, 1, __ATOMIC_RELEASE);
    }
    pending_tail = NULL;
}

bool
repl_unit_settled(void)
{
    return __atomic_load_n(&done_count, __ATOMIC_ACQUIRE) == __atomic_load_n(&taken_seq, __ATOMIC_ACQUIRE);
}

bool
repl_unit_all_out(uint64_t seq)
{
    drain_inbox();
    for (struct fx_unit *u = pending; u; u = u->next)
        if (u->seq <= seq)
            return false;
    return true;
}

int64_t
repl_unit_end_upto(uint64_t seq)
{
    unsigned n = nends < UNIT_MARKS ? nends : UNIT_MARKS;
    int64_t best = 0, oldest = -1;
    for (unsigned i = 0; i < n; i++) {
        unsigned k = (nends - 1 - i) % UNIT_MARKS;
        if (ends[k].seq <= seq && ends[k].end > best)
            best = ends[k].end;
        oldest = ends[k].end;
    }
    /* older than the marks kept: it ended before the oldest kept did */
    return best > 0 ? best : (seq > 0 && oldest > 0 ? oldest : 0);
}
