/* mem.c: the process-wide allocation total (mem.h) that the ts_*
 * allocation wrappers feed in batches. */
#include "core/mem.h"

#include <stdio.h>
#include <unistd.h>

__thread int64_t ts_mem_delta;

/* Written once per TS_MEM_BATCH bytes by any thread, read by every
 * denyoom command while maxmemory is set. */
struct mem_total mem_total_g;
static size_t mem_startup_bytes;
static size_t mem_peak_bytes; /* atomic */

void
ts_mem_publish(void)
{
    int64_t d = ts_mem_delta;
    ts_mem_delta = 0;
    __atomic_fetch_add(&mem_total_g.bytes, d, __ATOMIC_RELAXED);
}

void
mem_flush(void)
{
    if (ts_mem_delta != 0)
        ts_mem_publish();
}

void
mem_set_startup(void)
{
    mem_flush();
    __atomic_store_n(&mem_startup_bytes, mem_used(), __ATOMIC_RELAXED);
}

size_t
mem_startup(void)
{
    return __atomic_load_n(&mem_startup_bytes, __ATOMIC_RELAXED);
}

size_t
mem_peak_note(size_t used)
{
    size_t peak = __atomic_load_n(&mem_peak_bytes, __ATOMIC_RELAXED);
    while (used > peak && !__atomic_compare_exchange_n(&mem_peak_bytes, &peak, used, true, __ATOMIC_RELAXED,
                                                       __ATOMIC_RELAXED))
        ;
    return used > peak ? used : peak;
}

uint64_t
mem_rss(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long size = 0, res = 0;
    if (f) {
        if (fscanf(f, "%llu %llu", &size, &res) != 2)
            res = 0;
        fclose(f);
    }
    return res * (uint64_t)sysconf(_SC_PAGESIZE);
}
