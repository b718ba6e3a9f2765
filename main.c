/* main.c: tessera-server. Options -> ordered setup -> threads, the only file
 * that includes every module (pelikan's main.c pattern).
 *
 *   config_load        redis.conf + --directive value arguments
 *   log, daemonize, pidfile
 *   command tables     core (strings, keys, server, config), cluster, replication
 *   cluster_setup      nodes.conf (cluster-enabled yes)
 *   runtime_setup      workers, io_uring rings, listeners, shards
 *   runtime_start      worker threads; the main thread waits for signals
 *   cluster_bus_start  the cluster thread (cluster-enabled yes)
 *   replicaof          the replication link thread, if a master is configured */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "core/cluster_state.h"
#include "core/commands.h"
#include "core/config.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/rcu.h"
#include "core/server.h"
#include "core/server_cmds.h"
#include "net/net_int.h"
#include "net/runtime.h"
#include "replication/repl.h"
#include "replication/repl_master.h"
#include "replication/repl_link.h"

static void
make_run_id(char out[41])
{
    unsigned char b[20];
    if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
        for (size_t i = 0; i < sizeof(b); i++)
            b[i] = (unsigned char)(ts_ustime() >> (i % 8));
    }
    for (size_t i = 0; i < sizeof(b); i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static void
shutdown_hook(int flags)
{
    (void)flags; /* no persistence yet: SHUTDOWN SAVE is refused before this */
    __atomic_store_n(&g_server.shutdown_requested, 1, __ATOMIC_RELEASE);
}

static void
cron_hook(int worker, int64_t now_ms)
{
    if (worker == 0)
        info_cron(now_ms);
    repl_cron(worker, now_ms);
}

/* Like Redis: make room for maxclients connections plus our own files
 * (listeners, rings, logs), lowering maxclients if the limit cannot grow. */
static void
adjust_open_files_limit(void)
{
    /* 32 spare, as Redis keeps, plus a ring and two listeners per worker. */
    cpu_set_t set;
    CPU_ZERO(&set);
    int nw = g_cfg.threads > 0 ? g_cfg.threads : (sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 1);
    rlim_t want = (rlim_t)g_cfg.maxclients + 32 + 3 * (rlim_t)nw;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
        return;
    struct rlimit nl = {want, rl.rlim_max > want ? rl.rlim_max : want};
    if (setrlimit(RLIMIT_NOFILE, &nl) == 0)
        return;
    nl.rlim_max = rl.rlim_max;
    nl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
    if (setrlimit(RLIMIT_NOFILE, &nl) == 0)
        rl.rlim_cur = nl.rlim_cur;
    long long fit = (long long)rl.rlim_cur - 32 - 3 * nw;
    if (fit < 1)
        fit = 1;
    if (fit < g_cfg.maxclients) {
        log_warn("You requested maxclients of %d requiring at least %llu max file descriptors; the limit is %llu, "
                 "so maxclients is now %lld.",
                 g_cfg.maxclients, (unsigned long long)want, (unsigned long long)rl.rlim_cur, fit);
        g_cfg.maxclients = (int)fit;
    }
}

static void
daemonize(void)
{
    if (fork() != 0)
        exit(0);
    setsid();
    int fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
        dup2(fd, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        if (fd > STDERR_FILENO)
            close(fd);
    }
}

static void
write_pidfile(void)
{
    const char *path = g_cfg.pidfile && g_cfg.pidfile[0] ? g_cfg.pidfile : (g_cfg.daemonize ? "/var/run/redis.pid" : NULL);
    if (!path)
        return;
    FILE *f = fopen(path, "w");
    if (f) {
        fprintf(f, "%d\n", (int)getpid());
        fclose(f);
    } else {
        log_warn("Failed to write PID file: %s", strerror(errno));
    }
}

int
main(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "-v") == 0 || strcmp(argv[1], "--version") == 0)) {
        printf("Tessera server v=%s (Redis-compatible %s) malloc=mimalloc io=io_uring\n", TESSERA_VERSION,
               TESSERA_REDIS_VERSION);
        return 0;
    }
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        printf("Usage: tessera-server [/path/to/redis.conf] [--directive value ...]\n"
               "       tessera-server --port 7777 --threads 4 --cluster-enabled yes\n");
        return 0;
    }
    if (config_load(argc, argv) != 0)
        return 1;
    if (g_cfg.daemonize)
        daemonize();
    log_setup(g_cfg.logfile, g_cfg.loglevel);
    config_log_warnings();
    adjust_open_files_limit();
    write_pidfile();

    ts_ticks_calibrate();
    make_run_id(g_server.run_id);
    g_server.start_ms = ts_mstime();
    g_server.start_mono_us = ts_monotonic_us();
    g_server.lastsave = g_server.start_ms / 1000;
    g_server.hz = g_cfg.hz;
    g_server.cluster_mode = g_cfg.cluster_enabled != 0;
    g_rt.close_client = conn_close_client;
    g_rt.client_send = client_send_impl;
    g_rt.shutdown = shutdown_hook;
    runtime_cron_hook = cron_hook;
    if (g_cfg.cluster_enabled)
        runtime_local_ip_hook = cluster_set_my_ip_if_unknown;

    /* Signals are taken synchronously by the main thread (sigtimedwait);
     * workers inherit the blocked mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    rcu_thread_register();
    core_register_commands();
    cluster_register_commands();
    repl_register_commands();

    if (g_cfg.cluster_enabled && cluster_setup() != 0)
        return EX_CONFIG;

    int ret = runtime_setup();
    if (ret < 0) {
        log_warn("Failed to start: %s", strerror(-ret));
        return EX_CONFIG;
    }
    if ((ret = repl_setup()) < 0) {
        log_warn("Failed to start replication: %s", strerror(-ret));
        return EX_OSERR;
    }
    mem_set_startup(); /* used_memory_startup until the workers' first cron ticks refine it */
    log_notice("Tessera %s (Redis %s compatible), %d worker%s, port %d, %s mode, pid %d", TESSERA_VERSION,
               TESSERA_REDIS_VERSION, g_server.nworkers, g_server.nworkers == 1 ? "" : "s", g_server.listen_port,
               g_server.cluster_mode ? "cluster" : "standalone", (int)getpid());
    if (runtime_start() < 0 || repl_start() < 0)
        return EX_OSERR;
    if (cluster_bus_start() < 0) {
        runtime_stop();
        return EX_OSERR;
    }
    log_notice("Ready to accept connections tcp");
    repl_link_start_configured(); /* replicaof: the link thread connects in the background */
    int status = runtime_run_until_shutdown();
    repl_link_shutdown();
    cluster_bus_stop();
    repl_stop();
    if (g_cfg.pidfile && g_cfg.pidfile[0])
        unlink(g_cfg.pidfile);
    if (runtime_workers_left_running()) {
        /* A worker is still inside a command: leave without exit()'s
         * teardown (atexit handlers, allocator shutdown) racing it. */
        fflush(NULL);
        _exit(status);
    }
    return status;
}
