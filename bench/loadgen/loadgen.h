/* loadgen.h: loadgen's run configuration and the state its threads share.
 *
 *   main ---- options (options.c) ---> struct lg_opts (read-only in a run)
 *     |  cluster: lg_cmap_fetch -> map0 (each thread copies it)
 *     |  T threads (engine.c), each: its ring, its connections, its map,
 *     |          its histograms; nothing shared but the few atomics below
 *     |  every second: epoch++ -> threads swap interval histograms ->
 *     |          main reads the old halves (report.c: progress line)
 *     '- join -> merge -> summary and JSON (report.c)
 *
 * Exit status: 0 ok, 1 usage or connection failure at start, 2 more
 * errors than --max-errors. */
#ifndef LOADGEN_LOADGEN_H
#define LOADGEN_LOADGEN_H

#include "bench/loadgen/cmap.h"
#include "bench/loadgen/cmdgen.h"
#include "bench/loadgen/keydist.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define LG_MAX_CPUS 1024
#define LG_EXIT_USAGE 1
#define LG_EXIT_CONNECT 1
#define LG_EXIT_ERRORS 2

struct lg_opts {
    char host[LG_HOST_LEN];
    int port;
    int conns;              /* -c: per thread (in cluster mode: per thread and node) */
    int pipeline;           /* -P: requests in flight per connection */
    int threads;
    int cpus[LG_MAX_CPUS];  /* --cpus: thread i on cpus[i % ncpus] */
    int ncpus;
    uint64_t keyspace;      /* -r */
    uint64_t requests;      /* -n (0: use --duration) */
    double duration;        /* seconds (0: use -n) */
    double rate;            /* --rate: total requests/s, 0 = closed loop */
    const char *json_path;
    bool cluster;
    int64_t max_errors;     /* -1: no limit */
    bool quiet;
    char dist_spec[32];
    struct lg_dist dist;
    uint64_t seed;
    double drain_s;         /* wait this long for replies after the end */
    int connect_timeout_ms;
    int refresh_ms;         /* minimum gap between CLUSTER SLOTS refreshes */
    struct lg_cmdgen gen;
};

struct lg_thread;

struct lg_run {
    const struct lg_opts *o;
    const struct lg_cmap *map0;   /* cluster mode: the discovered map */
    uint64_t t0;                  /* start of the measured run, ns (CLOCK_MONOTONIC) */
    pthread_barrier_t ready, go;  /* all connected; t0 set */
    atomic_uint epoch;            /* progress interval number */
    atomic_bool abort;            /* stop issuing: SIGINT, --max-errors, failed start */
    atomic_int ndone;
    struct lg_thread **threads;
    int nthreads;
};

/* options.c: parse argv into o (defaults first). Returns 0, 1 after
 * --help (exit 0), or -1 after printing a usage error. */
int lg_options_parse(struct lg_opts *o, int argc, char **argv);
void lg_options_usage(FILE *f);

static inline uint64_t
lg_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif
