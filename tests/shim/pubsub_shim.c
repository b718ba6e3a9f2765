/* pubsub_shim.c: see pubsub_shim.h. */
#include "tests/shim/pubsub_shim.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "core/pubsub.h"
#include "core/shard.h"
#include "net/net_int.h"
#include "net/runtime.h"

/* ---- runtime_post from a foreign thread ---- */

/* Shared by the posted tasks; heap-allocated and leaked on a timeout, so a
 * late task never writes to a dead stack frame. */
struct post_probe {
    int done;              /* atomic: tasks finished */
    int ok;                /* atomic: tasks that ran where they should */
    uint64_t client_id;    /* pubsub_shim_client_worker */
    int found;             /* atomic: worker owning client_id, -1 */
};

static void
probe_task(void *arg, int worker)
{
    struct post_probe *p = arg;
    struct worker *w = worker_self();
    if (w && w->id == worker && pthread_equal(pthread_self(), g_workers[worker]->thread))
        __atomic_add_fetch(&p->ok, 1, __ATOMIC_RELAXED);
    if (p->client_id) {
        for (struct client *cl = g_shards[worker]->clients; cl; cl = cl->next_in_worker)
            if (cl->id == p->client_id)
                __atomic_store_n(&p->found, worker, __ATOMIC_RELAXED);
    }
    __atomic_add_fetch(&p->done, 1, __ATOMIC_RELEASE);
}

static int
probe_run(struct post_probe *p, int timeout_ms)
{
    int n = runtime_nworkers();
    for (int i = 0; i < n; i++) {
        int ret = runtime_post(i, probe_task, p);
        if (ret < 0)
            return ret;
    }
    for (int t = 0; t < timeout_ms && __atomic_load_n(&p->done, __ATOMIC_ACQUIRE) < n; t++)
        usleep(1000);
    return __atomic_load_n(&p->done, __ATOMIC_ACQUIRE) == n ? 0 : -ETIMEDOUT;
}

int
pubsub_shim_post_each(int timeout_ms)
{
    struct post_probe *p = ts_calloc(1, sizeof(*p));
    int ret = probe_run(p, timeout_ms);
    if (ret == -ETIMEDOUT)
        return __atomic_load_n(&p->ok, __ATOMIC_RELAXED); /* p leaks: late tasks may still use it */
    int ok = __atomic_load_n(&p->ok, __ATOMIC_RELAXED);
    ts_free(p);
    return ret < 0 ? ret : ok;
}

int
pubsub_shim_post_bad_worker(void)
{
    return runtime_post(runtime_nworkers(), probe_task, NULL);
}

int
pubsub_shim_client_worker(uint64_t id, int timeout_ms)
{
    struct post_probe *p = ts_calloc(1, sizeof(*p));
    p->client_id = id;
    p->found = -1;
    if (probe_run(p, timeout_ms) == -ETIMEDOUT)
        return -1;
    int w = __atomic_load_n(&p->found, __ATOMIC_RELAXED);
    ts_free(p);
    return w;
}

/* ---- Cluster seam ---- */

void
pubsub_shim_deliver_external(int sharded, const char *ch, const char *msg)
{
    pubsub_deliver_external(sharded != 0, ch, strlen(ch), msg, strlen(msg));
}

static pthread_mutex_t hook_lock = PTHREAD_MUTEX_INITIALIZER;
static int hook_calls;
static int hook_sharded;
static char hook_ch[256], hook_msg[256];

static void
capture(bool sharded, const char *ch, size_t chlen, const char *msg, size_t msglen)
{
    pthread_mutex_lock(&hook_lock);
    hook_calls++;
    hook_sharded = sharded;
    snprintf(hook_ch, sizeof(hook_ch), "%.*s", (int)chlen, ch);
    snprintf(hook_msg, sizeof(hook_msg), "%.*s", (int)msglen, msg);
    pthread_mutex_unlock(&hook_lock);
}

void
pubsub_shim_capture_hook(int on)
{
    /* Tests flip it while workers run; a plain store of a pointer is what
     * a test can live with (the real hook is set before workers start). */
    __atomic_store_n(&pubsub_cluster_hook, on ? capture : NULL, __ATOMIC_RELEASE);
}

int
pubsub_shim_hook_calls(void)
{
    pthread_mutex_lock(&hook_lock);
    int n = hook_calls;
    pthread_mutex_unlock(&hook_lock);
    return n;
}

void
pubsub_shim_hook_last(int *sharded, char *ch, size_t chcap, char *msg, size_t msgcap)
{
    pthread_mutex_lock(&hook_lock);
    *sharded = hook_sharded;
    snprintf(ch, chcap, "%s", hook_ch);
    snprintf(msg, msgcap, "%s", hook_msg);
    pthread_mutex_unlock(&hook_lock);
}
