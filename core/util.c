/* util.c: allocation wrappers, clocks and strict number parsing shared by
 * every module (declared in common.h; glob matching is glob.c). */
#include "core/common.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* ---- Allocation ---- */

static void
oom(size_t n)
{
    fprintf(stderr, "tessera: out of memory allocating %zu bytes\n", n);
    abort();
}

void *
ts_malloc(size_t n)
{
    void *p = mi_malloc(n);
    if (unlikely(p == NULL && n))
        oom(n);
    ts_mem_note((int64_t)mi_usable_size(p));
    return p;
}

void *
ts_calloc(size_t n, size_t size)
{
    void *p = mi_calloc(n, size);
    if (unlikely(p == NULL && n && size))
        oom(n * size);
    ts_mem_note((int64_t)mi_usable_size(p));
    return p;
}

void *
ts_realloc(void *p, size_t n)
{
    int64_t before = (int64_t)mi_usable_size(p);
    void *q = mi_realloc(p, n);
    if (unlikely(q == NULL && n))
        oom(n);
    ts_mem_note((int64_t)mi_usable_size(q) - before);
    return q;
}

char *
ts_strndup(const char *s, size_t n)
{
    char *p = ts_malloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *
ts_strdup(const char *s)
{
    return ts_strndup(s, strlen(s));
}

/* ---- Clocks ---- */

int64_t
ts_ustime(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
ts_mstime(void)
{
    return ts_ustime() / 1000;
}

uint64_t
ts_monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

uint64_t
ts_ticks_slow(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

double ts_ticks_per_us = 1000.0; /* ns ticks until calibrated */

/* Measure ticks per microsecond over ~20 ms of the monotonic clock. */
void
ts_ticks_calibrate(void)
{
#if defined(__x86_64__)
    uint64_t m0 = ts_monotonic_us(), t0 = ts_ticks();
    while (ts_monotonic_us() - m0 < 20000)
        ;
    uint64_t m1 = ts_monotonic_us(), t1 = ts_ticks();
    if (m1 > m0 && t1 > t0)
        ts_ticks_per_us = (double)(t1 - t0) / (double)(m1 - m0);
#endif
}

/* ---- Numbers ---- */

/* SCAN's cursor (common.h): Redis calls strtoul on the NUL-terminated
 * argument and refuses a leading space, anything after the number and
 * ERANGE. strtoul's quirks follow from that: no digits at all gives 0 with
 * the end pointer at the start, so "" is cursor 0 but "+" is invalid; a
 * '-' negates in unsigned arithmetic. */
bool
ts_parse_scan_cursor(const char *s, size_t len, unsigned long long *out)
{
    size_t n = 0;
    while (n < len && s[n] != '\0')
        n++;
    if (n > 0 && (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r')))
        return false;
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-')) {
        neg = s[i] == '-';
        i++;
    }
    size_t first_digit = i;
    unsigned long long v = 0;
    bool overflow = false;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (ULLONG_MAX - d) / 10)
            overflow = true;
        else
            v = v * 10 + d;
    }
    if (i == first_digit) { /* no digits: strtoul ends where it began */
        *out = 0;
        return n == 0;
    }
    if (i != n || overflow)
        return false;
    *out = neg ? 0ULL - v : v;
    return true;
}

/* Digits only, no sign, no leading zero unless the number is "0". */
bool
ts_str_to_ull(const char *s, size_t len, unsigned long long *out)
{
    if (len == 0 || len > 20)
        return false;
    if (len > 1 && s[0] == '0')
        return false;
    unsigned long long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (ULLONG_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

bool
ts_str_to_ll(const char *s, size_t len, long long *out)
{
    if (len == 0)
        return false;
    bool neg = s[0] == '-';
    if (neg) {
        s++;
        len--;
        if (len == 0 || s[0] == '0') /* "-" and "-0" are not canonical */
            return false;
    }
    unsigned long long v;
    if (!ts_str_to_ull(s, len, &v))
        return false;
    if (neg) {
        if (v > (unsigned long long)LLONG_MAX + 1)
            return false;
        *out = (long long)(0 - v);
    } else {
        if (v > (unsigned long long)LLONG_MAX)
            return false;
        *out = (long long)v;
    }
    return true;
}

bool
ts_str_to_ld(const char *s, size_t len, long double *out)
{
    char buf[5 * 1024 + 2];
    if (len == 0 || len >= sizeof(buf))
        return false;
    /* Leading space is refused, like Redis's string2ld. */
    if (s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[0] == '\r')
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    long double v = strtold(buf, &end);
    if ((size_t)(end - buf) != len || isnan(v))
        return false;
    /* Overflow to infinity or underflow to zero: refused, as Redis does. */
    if (errno == ERANGE && (isinf(v) || v == 0))
        return false;
    *out = v;
    return true;
}

int
ts_ll_to_str(char *buf, long long v)
{
    char tmp[21];
    unsigned long long u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
    int n = 0;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    int len = 0;
    if (v < 0)
        buf[len++] = '-';
    while (n)
        buf[len++] = tmp[--n];
    buf[len] = '\0';
    return len;
}

