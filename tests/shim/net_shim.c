/* net_shim.c: see net_shim.h. Mirrors main.c's ordered setup. */
#include "tests/shim/net_shim.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <unistd.h>

#include "core/commands.h"
#include "core/config.h"
#include "core/keyspace.h"
#include "core/rcu.h"
#include "core/server.h"
#include "core/server_cmds.h"
#include "core/shard.h"
#include "core/slot.h"
#include "core/slotmap.h"
#include "cluster/cluster.h"
#include "net/net_int.h"
#include "net/runtime.h"

int
net_shim_start(int port, int threads)
{
    char portbuf[16], thrbuf[16];
    snprintf(portbuf, sizeof(portbuf), "%d", port);
    snprintf(thrbuf, sizeof(thrbuf), "%d", threads);
    char *argv[] = {"tessera-test", "--port", portbuf, "--threads", thrbuf, "--bind", "127.0.0.1",
                    "--save", "", "--loglevel", "warning", NULL};
    if (config_load((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) != 0)
        return -1;
    ts_ticks_calibrate();
    g_server.start_ms = ts_mstime();
    g_server.start_mono_us = ts_monotonic_us();
    rcu_thread_register();
    core_register_commands();
    cluster_register_commands();
    if (runtime_setup() < 0)
        return -1;
    return runtime_start() < 0 ? -1 : 0;
}

void
net_shim_stop(void)
{
    runtime_stop();
}

int
net_shim_nworkers(void)
{
    return runtime_nworkers();
}

uint64_t
net_shim_worker_keys(int w)
{
    return ks_count(g_shards[w]->ks);
}

int
net_shim_key_worker(const char *key)
{
    return slotmap_worker(slot_of(key, strlen(key)));
}

struct find_client {
    uint64_t id;
    int found;   /* atomic: worker index + 1 */
    int done;    /* atomic */
};

static void
find_client_task(void *arg, int worker)
{
    struct find_client *f = arg;
    for (struct client *cl = g_shards[worker]->clients; cl; cl = cl->next_in_worker)
        if (cl->id == f->id)
            __atomic_store_n(&f->found, worker + 1, __ATOMIC_RELEASE);
    __atomic_add_fetch(&f->done, 1, __ATOMIC_ACQ_REL);
}

int
net_shim_client_worker(uint64_t id)
{
    static struct find_client f; /* one question at a time; never freed under a late task */
    f.id = id;
    f.found = 0;
    f.done = 0;
    int n = runtime_nworkers();
    for (int i = 0; i < n; i++)
        runtime_post(i, find_client_task, &f);
    for (int t = 0; t < 5000 && __atomic_load_n(&f.done, __ATOMIC_ACQUIRE) < n; t++)
        usleep(1000);
    return __atomic_load_n(&f.found, __ATOMIC_ACQUIRE) - 1;
}

static void
stall_task(void *arg, int worker)
{
    (void)worker;
    usleep((useconds_t)(uintptr_t)arg * 1000);
}

void
net_shim_stall_worker(int w, int ms)
{
    runtime_post(w, stall_task, (void *)(uintptr_t)ms);
}

uint32_t
net_shim_backlog_peak(int w)
{
    return __atomic_load_n(&g_workers[w]->backlog_peak, __ATOMIC_RELAXED);
}

uint64_t
net_shim_congestions(int w)
{
    return __atomic_load_n(&g_workers[w]->congestions, __ATOMIC_RELAXED);
}

int
net_shim_protected_denies(const char *ip, int protected_mode, const char *requirepass)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, ip, &a4->sin_addr) == 1)
        ss.ss_family = AF_INET;
    else if (inet_pton(AF_INET6, ip, &a6->sin6_addr) == 1)
        ss.ss_family = AF_INET6;
    else
        return -1;
    /* Redis's default bind, listening everywhere: protected mode must not
     * depend on it. */
    static char *default_bind[] = { "*", "-::*", NULL };
    int old_mode = g_cfg.protected_mode, old_nbind = g_cfg.nbind;
    char *old_pass = g_cfg.requirepass, **old_bind = g_cfg.bind_addrs;
    g_cfg.protected_mode = protected_mode;
    g_cfg.requirepass = (char *)requirepass;
    g_cfg.bind_addrs = default_bind;
    g_cfg.nbind = 2;
    int r = conn_protected_mode_denies(&ss) ? 1 : 0;
    g_cfg.protected_mode = old_mode;
    g_cfg.requirepass = old_pass;
    g_cfg.bind_addrs = old_bind;
    g_cfg.nbind = old_nbind;
    return r;
}
