/* mem.h: how many bytes the process has allocated (INFO used_memory, the
 * maxmemory limit).
 *
 * Every allocation goes through ts_malloc / ts_calloc / ts_realloc /
 * ts_free (common.h), which add or subtract the block's usable size (what
 * the allocator really set aside, mi_usable_size) to a thread-local
 * counter. A thread publishes its counter into one process-wide total
 * (an atomic add) once it has moved by TS_MEM_BATCH bytes, and workers
 * publish whatever is left at points that need precision (INFO, an
 * eviction run). A block freed by another thread than the one that
 * allocated it is subtracted on the freeing thread: the total stays exact.
 *
 *   worker 0  [delta -12k] --+                        +--> INFO used_memory
 *   worker 1  [delta +31k] --+--> total (atomic add) -+--> maxmemory check
 *   cluster   [delta  +2k] --+    every 32 KiB moved  +    (one relaxed load)
 *
 * So the published figure is within nthreads * TS_MEM_BATCH of the truth
 * (64 KiB per worker pair), and the request path writes the shared line
 * once per 32 KiB allocated or freed; the maxmemory check on a denyoom
 * command only reads it.
 *
 * Memory that does not come through the wrappers (the io_uring rings the
 * kernel maps, libc's stdio buffers, thread stacks) is not counted, as
 * Redis counts only zmalloc; RSS shows it, and mem_fragmentation_ratio is
 * RSS over this figure. */
#ifndef TESSERA_MEM_H
#define TESSERA_MEM_H

#include "core/common.h"

/* The published total, alone on its cache line. */
struct mem_total {
    _Alignas(64) int64_t bytes;
    char pad[64 - sizeof(int64_t)];
};
extern struct mem_total mem_total_g;

/* The published total, in bytes (never negative): one relaxed load. */
static inline size_t
mem_used(void)
{
    int64_t t = __atomic_load_n(&mem_total_g.bytes, __ATOMIC_RELAXED);
    return t > 0 ? (size_t)t : 0;
}
/* Publish this thread's unpublished delta now. */
void mem_flush(void);
/* Remember the current figure as used_memory_startup (once set-up is done,
 * before clients are served). */
void mem_set_startup(void);
size_t mem_startup(void);
/* The process's resident set size (/proc/self/statm), 0 if unknown. */
uint64_t mem_rss(void);
/* Note a figure; returns the highest seen (used_memory_peak, which
 * CONFIG RESETSTAT leaves alone, as Redis 7.0 does). */
size_t mem_peak_note(size_t used);

#endif
