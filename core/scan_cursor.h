/* scan_cursor.h: the reverse-binary cursor of SCAN-style iteration over
 * power-of-two chained tables (the keyspace's per-slot tables, sdict).
 *
 * The cursor is a bucket index incremented in reverse-bit order (highest
 * bit first). Bucket b of a 2^n table splits into b and b + 2^n of the
 * 2^(n+1) table, which in reverse-binary order are visited right after each
 * other, so a resize between calls never makes the cursor skip a range:
 * grown tables revisit nothing they were owed, shrunk ones may return some
 * elements twice. */
#ifndef TESSERA_SCAN_CURSOR_H
#define TESSERA_SCAN_CURSOR_H

#include <stdint.h>

static inline uint64_t
scan_rev64(uint64_t v)
{
    v = ((v >> 1) & 0x5555555555555555ull) | ((v & 0x5555555555555555ull) << 1);
    v = ((v >> 2) & 0x3333333333333333ull) | ((v & 0x3333333333333333ull) << 2);
    v = ((v >> 4) & 0x0f0f0f0f0f0f0f0full) | ((v & 0x0f0f0f0f0f0f0f0full) << 4);
    return __builtin_bswap64(v);
}

/* The cursor after c for a table of mask + 1 buckets. */
static inline uint64_t
scan_cursor_next(uint64_t c, uint64_t mask)
{
    c |= ~mask; /* fill bits above the mask so the carry runs off the top */
    c = scan_rev64(c);
    c++;
    return scan_rev64(c);
}

#endif
