/* server_state.c: the process-wide state declared in server.h (identity,
 * runtime hooks, pause state, switches, INFO hooks) and the registration of
 * every server/connection command table. The runtime overwrites g_server and
 * g_rt at setup; the defaults here make core usable without a runtime (unit
 * tests, tools). */
#include "core/server.h"
#include "core/server_cmds.h"

#include <errno.h>

struct server_info g_server = {
    .run_id = "0000000000000000000000000000000000000000",
    .nworkers = 1,
    .hz = 10,
};

/* ---- No-op runtime hooks ---- */

static void
rt_noop_close(struct client *cl)
{
    cl->flags |= CL_CLOSE_ASAP;
}

static void
rt_noop_send(int worker, uint64_t client_id, const void *p, size_t n)
{
}

static void
rt_noop_shutdown(int flags)
{
    __atomic_store_n(&g_server.shutdown_requested, 1, __ATOMIC_RELAXED);
}

static void
rt_noop_push(struct client *cl, const void *p, size_t n)
{
}

static int
rt_noop_post(int worker, void (*fn)(void *arg, int worker), void *arg)
{
    return -ENOSYS;
}

struct rt_hooks g_rt = {
    .close_client = rt_noop_close,
    .client_send = rt_noop_send,
    .shutdown = rt_noop_shutdown,
    .client_push = rt_noop_push,
    .post = rt_noop_post,
};

struct pause_state g_pause = { .type = PAUSE_NONE, .end_ms = 0 };
int g_active_expire_enabled = 1;
int g_monitor_count = 0;

void (*info_cluster_hook)(struct ts_buf *out) = NULL;
void (*info_replication_hook)(struct ts_buf *out) = NULL;
void (*repl_client_closed_hook)(struct client *cl) = NULL;
struct sync_stats g_sync_stats;
size_t g_repl_backlog_mem;
int g_loading;
int g_noreplicas;

/* Register every table of this module group: server, client, command,
 * info, slowlog, latency, monitor. Call once during setup. */
void
server_register_commands(void)
{
    cmd_server_register();
    cmd_client_register();
    cmd_command_register();
    info_register();
    slowlog_register();
    latency_register();
    monitor_register();
}
