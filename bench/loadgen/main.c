/* main.c: loadgen's entry point: options -> cluster discovery -> threads
 * -> progress each second -> summary and JSON (loadgen.h has the picture).
 */
#include "bench/loadgen/engine.h"
#include "bench/loadgen/loadgen.h"
#include "bench/loadgen/report.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static struct lg_run *g_run;

static void
on_signal(int sig)
{
    (void)sig;
    if (g_run)
        atomic_store(&g_run->abort, true); /* lock-free: safe in a handler */
}

static double
cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

/* Enough descriptors for threads x connections x nodes. */
static void
raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* Cluster mode: the map every thread starts from. */
static int
discover(struct lg_opts *o, struct lg_cmap *map)
{
    char err[256];
    lg_cmap_init(map);
    int ret = lg_cmap_fetch(map, o->host, o->port, o->connect_timeout_ms, err, sizeof(err));
    if (ret < 0) {
        fprintf(stderr, "loadgen: cluster discovery failed: %s\n", err);
        return -1;
    }
    int masters = 0;
    for (int i = 0; i < map->nnodes; i++)
        masters += map->nodes[i].has_slots;
    unsigned covered = 0;
    for (int s = 0; s < LG_SLOTS; s++)
        covered += map->owner[s] != LG_NO_NODE;
    if (masters == 0) {
        fprintf(stderr, "loadgen: %s:%d: CLUSTER SLOTS lists no slots\n", o->host, o->port);
        return -1;
    }
    if (!o->quiet)
        fprintf(stderr, "loadgen: cluster of %d master%s, %u of %d slots covered\n", masters,
                masters == 1 ? "" : "s", covered, LG_SLOTS);
    return 0;
}

int
main(int argc, char **argv)
{
    struct lg_opts *o = calloc(1, sizeof(*o));
    struct lg_cmap *map = calloc(1, sizeof(*map));
    struct lg_run *run = calloc(1, sizeof(*run));
    if (!o || !map || !run)
        return LG_EXIT_USAGE;
    int rc = 0;
    int ret = lg_options_parse(o, argc, argv);
    if (ret != 0) {
        rc = ret > 0 ? 0 : LG_EXIT_USAGE;
        goto out;
    }
    signal(SIGPIPE, SIG_IGN);
    raise_nofile();
    if (o->cluster && discover(o, map) < 0) {
        rc = LG_EXIT_CONNECT;
        goto out;
    }

    run->o = o;
    run->map0 = map;
    run->nthreads = o->threads;
    run->threads = calloc((size_t)o->threads, sizeof(*run->threads));
    pthread_barrier_init(&run->ready, NULL, (unsigned)o->threads + 1);
    pthread_barrier_init(&run->go, NULL, (unsigned)o->threads + 1);
    g_run = run;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    for (int i = 0; i < o->threads; i++) {
        run->threads[i] = lg_thread_create(run, i);
        if (pthread_create(&run->threads[i]->tid, NULL, lg_thread_main, run->threads[i]) != 0) {
            fprintf(stderr, "loadgen: pthread_create failed\n");
            exit(LG_EXIT_USAGE);
        }
    }
    pthread_barrier_wait(&run->ready); /* every connection is up, or failed */
    bool start_failed = atomic_load(&run->abort);
    run->t0 = lg_now_ns();
    double cpu0 = cpu_seconds();
    pthread_barrier_wait(&run->go);

    struct lg_hist *scratch = lg_hist_create();
    uint64_t next = run->t0 + 1000000000ull, prev = run->t0;
    bool too_many = false;
    while (atomic_load(&run->ndone) < run->nthreads) {
        uint64_t now = lg_now_ns();
        if (now >= next && !start_failed) {
            lg_report_progress(run, scratch, (double)(now - run->t0) / 1e9, (double)(now - prev) / 1e9);
            prev = now;
            next += 1000000000ull;
        }
        if (o->max_errors >= 0 && !too_many) {
            uint64_t errors = 0;
            for (int i = 0; i < run->nthreads; i++)
                errors += atomic_load_explicit(&run->threads[i]->pub_errors, memory_order_relaxed);
            if (errors > (uint64_t)o->max_errors) {
                too_many = true;
                atomic_store(&run->abort, true);
            }
        }
        usleep(10000);
    }
    for (int i = 0; i < o->threads; i++)
        pthread_join(run->threads[i]->tid, NULL);
    double cpu_s = cpu_seconds() - cpu0;
    lg_hist_destroy(&scratch);

    if (start_failed) {
        for (int i = 0; i < o->threads; i++)
            if (run->threads[i]->start_err[0]) {
                fprintf(stderr, "loadgen: connection failed: %s\n", run->threads[i]->start_err);
                break;
            }
        rc = LG_EXIT_CONNECT;
    } else {
        struct lg_result res;
        lg_result_collect(&res, run, cpu_s);
        lg_report_summary(stdout, o, &res);
        if (o->json_path && (ret = lg_report_json(o->json_path, o, &res)) < 0) {
            fprintf(stderr, "loadgen: --json %s: %s\n", o->json_path, strerror(-ret));
            rc = LG_EXIT_USAGE;
        }
        if (o->max_errors >= 0 && res.errs.total > (uint64_t)o->max_errors) {
            fprintf(stderr, "loadgen: %llu errors, more than --max-errors %lld\n",
                    (unsigned long long)res.errs.total, (long long)o->max_errors);
            rc = LG_EXIT_ERRORS;
        }
        lg_result_deinit(&res);
    }
    g_run = NULL;
    for (int i = 0; i < o->threads; i++)
        lg_thread_destroy(&run->threads[i]);
    free(run->threads);
    pthread_barrier_destroy(&run->ready);
    pthread_barrier_destroy(&run->go);
out:
    lg_cmdgen_deinit(&o->gen);
    free(run);
    free(map);
    free(o);
    return rc;
}
