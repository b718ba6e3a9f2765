/* ks_mem.c: memory per key of the keyspace. Inserts N keys "key:%d"
 * (default 1,000,000) with 32-byte values into one struct ks, spread over
 * the 16384 slots, and prints bytes per key as the keyspace accounts them
 * (ks_mem_bytes) and as the process sees them (mimalloc's committed memory
 * and RSS growth), plus insert and lookup speed. Compare with redis-server's
 * INFO memory used_memory for the same data set.
 *
 *   ks_mem [nkeys] [value_bytes]
 */
#include "core/keyspace.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static uint16_t
bench_slot(const char *k, size_t n)
{
    /* any uniform spread works for a memory figure; FNV-1a keeps the bench
     * independent of the cluster slot code */
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)k[i]) * 16777619u;
    return (uint16_t)(h % CLUSTER_SLOTS);
}

/* RSS from /proc (exact), committed bytes from mimalloc (its own view,
 * which may lag slightly: thread statistics are merged lazily). */
static void
proc_mem(size_t *rss, size_t *commit)
{
    size_t el, ut, st, mrss, prss, pcommit, pf;
    mi_process_info(&el, &ut, &st, &mrss, &prss, commit, &pcommit, &pf);
    long pages = 0, res = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &res) != 2)
            res = 0;
        fclose(f);
    }
    *rss = res > 0 ? (size_t)res * (size_t)sysconf(_SC_PAGESIZE) : mrss;
}

int
main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    size_t vlen = argc > 2 ? (size_t)atol(argv[2]) : 32;
    char val[4096];
    if (vlen > sizeof(val))
        vlen = sizeof(val);
    memset(val, 'x', vlen);

    size_t rss0, commit0, rss1, commit1;
    struct ks *ks = ks_create();
    proc_mem(&rss0, &commit0);
    size_t mem0 = ks_mem_bytes(ks);

    char key[64];
    uint64_t t0 = ts_monotonic_us();
    for (long i = 0; i < n; i++) {
        int kl = snprintf(key, sizeof(key), "key:%ld", i);
        ks_set_str(ks, bench_slot(key, (size_t)kl), (struct sv){key, (size_t)kl},
                   (struct sv){val, vlen}, KS_EXPIRE_NONE);
    }
    uint64_t t1 = ts_monotonic_us();
    ks_cron(ks, (size_t)1 << 30); /* finish pending rehashes */
    proc_mem(&rss1, &commit1);
    size_t mem1 = ks_mem_bytes(ks);

    int64_t now = ts_mstime();
    long found = 0;
    uint64_t t2 = ts_monotonic_us();
    for (long i = 0; i < n; i++) {
        int kl = snprintf(key, sizeof(key), "key:%ld", i);
        found += ks_lookup(ks, bench_slot(key, (size_t)kl), (struct sv){key, (size_t)kl}, now, 0) != NULL;
    }
    uint64_t t3 = ts_monotonic_us();

    printf("keys                 %ld (value %zu bytes), found %ld\n", n, vlen, found);
    printf("ks_mem_bytes / key   %.1f\n", (double)(mem1 - mem0) / (double)n);
    printf("mimalloc commit/key  %.1f\n", (double)(commit1 - commit0) / (double)n);
    printf("RSS growth / key     %.1f\n", (double)(rss1 - rss0) / (double)n);
    printf("insert               %.0f ns/key (incl. snprintf)\n", (double)(t1 - t0) * 1000 / (double)n);
    printf("lookup               %.0f ns/key (incl. snprintf)\n", (double)(t3 - t2) * 1000 / (double)n);
    ks_destroy(&ks);
    return 0;
}
