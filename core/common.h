/* common.h: small shared definitions for every Tessera module: branch hints,
 * the byte-string view used for command arguments, allocation wrappers over
 * mimalloc (small allocations abort on OOM, as h2o_mem_alloc does), and a
 * monotonic / wall clock. */
#ifndef TESSERA_COMMON_H
#define TESSERA_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <mimalloc.h>

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define TS_MIN(a, b) ((a) < (b) ? (a) : (b))
#define TS_MAX(a, b) ((a) > (b) ? (a) : (b))

#define CLUSTER_SLOTS 16384
#define MAX_WORKERS 256

/* A borrowed byte string: command arguments point into the connection's
 * query buffer (or a request's copy of it) and are not NUL-terminated. */
struct sv {
    const char *ptr;
    size_t len;
};

static inline bool
sv_eq_ci(struct sv a, const char *lit)
{
    size_t n = strlen(lit);
    return a.len == n && strncasecmp(a.ptr, lit, n) == 0;
}

static inline bool
sv_eq(struct sv a, struct sv b)
{
    return a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0;
}

/* Allocation: abort on failure for sizes the server controls.
 *
 * Every block that goes through these wrappers is counted (mem.h): the
 * allocator's usable size is added to a thread-local figure on allocation
 * and subtracted on free, whichever thread frees it, and the figure is
 * published to the process-wide total once it has moved by TS_MEM_BATCH
 * bytes either way. So the total (INFO used_memory, the maxmemory check)
 * is exact to within TS_MEM_BATCH per thread, and the request path pays a
 * size lookup, an add and a compare per allocation, never a shared
 * write. */
void *ts_malloc(size_t n);
void *ts_calloc(size_t n, size_t size);
void *ts_realloc(void *p, size_t n);
char *ts_strdup(const char *s);
char *ts_strndup(const char *s, size_t n);

#define TS_MEM_BATCH ((int64_t)32 * 1024)
extern __thread int64_t ts_mem_delta; /* this thread's unpublished bytes */
void ts_mem_publish(void);            /* mem.c: add the delta to the total */
static inline void
ts_mem_note(int64_t d)
{
    int64_t v = ts_mem_delta + d;
    ts_mem_delta = v;
    if (unlikely((uint64_t)(v + TS_MEM_BATCH) > (uint64_t)(2 * TS_MEM_BATCH)))
        ts_mem_publish();
}
static inline void
ts_free(void *p)
{
    ts_mem_note(-(int64_t)mi_usable_size(p)); /* 0 for NULL */
    mi_free(p);
}
/* Usable size of a block from ts_malloc (memory accounting). */
static inline size_t
ts_usable_size(const void *p)
{
    return p ? mi_usable_size(p) : 0;
}

/* Clocks. ts_mstime() is wall-clock unix milliseconds (expiry is absolute
 * unix time, as in Redis); ts_monotonic_us() is for measuring intervals. */
int64_t ts_mstime(void);
int64_t ts_ustime(void);
uint64_t ts_monotonic_us(void);

/* A cheap tick counter for timing individual commands (slowlog, latency):
 * the TSC on x86-64 (constant-rate on every CPU this targets), else the
 * monotonic clock in ns. ts_ticks_to_us converts differences using a rate
 * measured once by ts_ticks_calibrate (before the workers start). */
uint64_t ts_ticks_slow(void);
#if defined(__x86_64__)
#include <x86intrin.h>
static inline uint64_t
ts_ticks(void)
{
    return __rdtsc();
}
#else
static inline uint64_t
ts_ticks(void)
{
    return ts_ticks_slow();
}
#endif
extern double ts_ticks_per_us;
void ts_ticks_calibrate(void);
static inline uint64_t
ts_ticks_to_us(uint64_t ticks)
{
    return (uint64_t)((double)ticks / ts_ticks_per_us);
}

/* String -> integer conversions with Redis's strictness: no spaces, no
 * leading '+', no leading zeros except "0", full range checks. Return true on
 * success. */
bool ts_str_to_ll(const char *s, size_t len, long long *out);
bool ts_str_to_ull(const char *s, size_t len, unsigned long long *out);
/* Strict double parse (no spaces, rejects nan); accepts "inf"/"-inf". */
bool ts_str_to_ld(const char *s, size_t len, long double *out);
/* A SCAN cursor read as Redis 7.0 reads one (strtoul, base 10): an
 * optional '+' or '-' (a negative value wraps: "-1" is 2^64-1), "" is 0;
 * false for a leading space, no digits after a sign, trailing bytes or
 * more than 2^64-1. A NUL byte ends the argument, as in C. */
bool ts_parse_scan_cursor(const char *s, size_t len, unsigned long long *out);
/* long long -> decimal; returns length; buf needs 21 bytes. */
int ts_ll_to_str(char *buf, long long v);
/* Glob-style pattern match with Redis 7.0's stringmatchlen semantics
 * (glob.c lists them), in O(slen * plen) time for any pattern. */
bool ts_glob_match(const char *pat, size_t plen, const char *str, size_t slen, bool nocase);
/* The same, also reporting the work done in *steps (pattern bytes and loop
 * turns), for the unit tests and the fuzzer, which check its bound. */
bool ts_glob_match_counted(const char *pat, size_t plen, const char *str, size_t slen, bool nocase, uint64_t *steps);

#endif
