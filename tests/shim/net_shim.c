/* net_shim.c: see net_shim.h. Mirrors main.c's ordered setup. */
#include "tests/shim/net_shim.h"

#include <stdio.h>

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
