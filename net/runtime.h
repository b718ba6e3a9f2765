/* runtime.h: the io_uring runtime's public face for main.c: start the
 * workers (listening on the configured port), wait for shutdown, stop. */
#ifndef TESSERA_RUNTIME_H
#define TESSERA_RUNTIME_H

#include <stdbool.h>

/* Decide the worker count and CPUs (threads / worker-cpus / affinity mask),
 * create rings, listeners and shards. Returns 0 or -errno (logged). */
int runtime_setup(void);
/* Start worker threads; returns immediately. */
int runtime_start(void);
/* Block until shutdown is requested (SIGTERM/SIGINT/SHUTDOWN), then stop
 * the workers and join them. Returns the process exit status. */
int runtime_run_until_shutdown(void);
/* Request shutdown and join the workers (tests; the signal path uses it),
 * waiting at most RUNTIME_STOP_WAIT_MS in all: a worker stuck in a long
 * command (DEBUG SLEEP, KEYS over a huge keyspace) must not keep SIGTERM
 * from ending the process. Returns 0, or -ETIMEDOUT if a worker was left
 * running; then the process must leave with _exit (main.c), since the
 * exit-time teardown would run under that worker's feet. */
#define RUNTIME_STOP_WAIT_MS 3000
int runtime_stop(void);
/* True after runtime_stop left a busy worker running. */
bool runtime_workers_left_running(void);
/* A listening TCP socket on addr ("*", "::*", or a literal) and port, with
 * SO_REUSEADDR (and SO_REUSEPORT if asked), IPV6_V6ONLY for IPv6, backlog
 * tcp-backlog. Returns the fd or -errno. */
int runtime_listen_tcp(const char *addr, int port, bool reuseport);
/* Number of workers chosen by runtime_setup. */
int runtime_nworkers(void);
/* Run fn(arg, worker) on worker's thread, from any thread (the cluster
 * bus thread, a test). The call copies nothing but the two pointers and
 * returns at once: fn runs inside the worker's loop soon after (waking it
 * if it sleeps), with the worker's state (g_shards[worker], its clients)
 * safe to touch, and must not block. Calls from one thread to one worker
 * run in call order. Returns 0, -EINVAL (bad worker or NULL fn) or
 * -ESHUTDOWN (the runtime is stopping: fn will not run, arg is still the
 * caller's). A call racing with shutdown may return 0 and never run.
 * Workers have cheaper ways to reach each other (worker_send); this is
 * for the threads that have no ring. */
int runtime_post(int worker, void (*fn)(void *arg, int worker), void *arg);
/* Hook run once per cron tick on each worker (after runtime_setup). */
extern void (*runtime_cron_hook)(int worker, int64_t now_ms);
/* Called with our local IP of each accepted client connection (cluster mode
 * learns its own address this way until the bus tells it). */
extern void (*runtime_local_ip_hook)(const char *ip);

#endif
