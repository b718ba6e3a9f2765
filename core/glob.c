/* glob.c: glob-style pattern matching with Redis 7.0's stringmatchlen
 * semantics, in time O(len(string) * len(pattern)) whatever the pattern.
 *
 * Every place Tessera matches a pattern goes through ts_glob_match: KEYS,
 * SCAN MATCH, PSUBSCRIBE / PUBSUB CHANNELS / NUMPAT delivery, CONFIG GET,
 * COMMAND LIST FILTERBY PATTERN. A recursive matcher that tries every
 * split at every '*' is exponential in the number of stars: KEYS
 * "a*a*...*b" with 20 stars against a 40-byte key kept a worker busy for
 * minutes. Here a '*' is handled by remembering only the last one seen:
 *
 *   pattern  x * y y * z z z        on a mismatch after the last star, go
 *                ^   ^              back to just past it ("star_p") and let
 *            star_p  pi             that star swallow one more byte of the
 *   string   . . . . . . . .        string ("star_s"); earlier stars never
 *                  ^     ^          need to change, because whatever they
 *             star_s     si         could have taken, the last star can.
 *
 * This is exact because every token other than '*' matches exactly one
 * byte. star_s only moves forward, so the work is bounded by
 * (len(string) + stars + 1) passes over at most the whole pattern.
 *
 * The semantics are Redis's, byte for byte (checked against redis-server
 * 7.0.15 by tests/integration/test_defects.py and against a plain
 * recursive reference by tests/fuzz/fuzz_glob.c):
 *  - '?' any byte; '*' any run of bytes; '\x' the byte x ('\' last in
 *    the pattern is a literal '\');
 *  - '[...]' one byte of a set; '[^...]' one byte not in it; 'a-z' a range
 *    (ends in either order; bytes compared as signed char, as Redis built
 *    for x86-64 does, so "[a-\xff]" is the range \xff..a); '\x' inside a set the
 *    byte x, case-sensitively even with nocase; a set with no ']' runs to
 *    the end of the pattern; "[]" matches nothing and "[^]" any byte;
 *  - nocase folds ASCII A-Z only (Redis runs in the C locale);
 *  - a non-empty pattern never matches the empty string, not even "*"
 *    (callers special-case a lone "*" for KEYS and SCAN, as Redis does);
 *  - Redis stops recursing at 1000 nested stars (CVE-2022-36021), so a
 *    pattern whose 1001st group of stars is followed by anything matches
 *    nothing; that is reproduced too. */
#include "core/common.h"

#include <stdint.h>

#define GLOB_MAX_STARS 1000

static inline int
glob_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* A set starting at p[pi] (just past the '['): whether byte c is in it;
 * returns the index just past its ']' (or plen when it has none). */
static inline size_t
glob_set(const unsigned char *p, size_t plen, size_t pi, unsigned char c, bool nocase, bool *ok, uint64_t *steps)
{
    bool negate = pi < plen && p[pi] == '^';
    if (negate)
        pi++;
    bool match = false;
    for (;; pi++) {
        (*steps)++;
        if (pi >= plen)
            break; /* unterminated: the set ends with the pattern */
        if (p[pi] == '\\' && plen - pi >= 2) {
            pi++;
            if (p[pi] == c)
                match = true;
        } else if (p[pi] == ']') {
            pi++;
            break;
        } else if (plen - pi >= 3 && p[pi + 1] == '-') {
            int lo = (signed char)p[pi], hi = (signed char)p[pi + 2], x = (signed char)c;
            if (lo > hi) {
                int t = lo;
                lo = hi;
                hi = t;
            }
            if (nocase) {
                lo = glob_lower(lo);
                hi = glob_lower(hi);
                x = glob_lower(x);
            }
            if (x >= lo && x <= hi)
                match = true;
            pi += 2;
        } else if (nocase ? glob_lower(p[pi]) == glob_lower(c) : p[pi] == c) {
            match = true;
        }
    }
    *ok = match != negate;
    return pi;
}

/* The one-byte token at p[pi] (anything but '*'): whether it matches c;
 * returns the index just past it. */
static inline size_t
glob_one(const unsigned char *p, size_t plen, size_t pi, unsigned char c, bool nocase, bool *ok, uint64_t *steps)
{
    switch (p[pi]) {
    case '?':
        *ok = true;
        return pi + 1;
    case '[':
        return glob_set(p, plen, pi + 1, c, nocase, ok, steps);
    case '\\':
        if (plen - pi >= 2)
            pi++;
        /* fall through */
    default:
        *ok = nocase ? glob_lower(p[pi]) == glob_lower(c) : p[pi] == c;
        return pi + 1;
    }
}

static inline bool
glob_match(const unsigned char *p, size_t plen, const unsigned char *s, size_t slen, bool nocase, uint64_t *steps)
{
    if (slen == 0)
        return plen == 0;
    size_t pi = 0, si = 0;
    size_t star_p = SIZE_MAX, star_s = 0;
    int stars = 0;
    while (si < slen) {
        (*steps)++;
        if (pi < plen && p[pi] == '*') {
            while (pi < plen && p[pi] == '*')
                pi++;
            if (pi == plen)
                return true; /* a trailing star takes the rest */
            if (++stars > GLOB_MAX_STARS)
                return false; /* Redis's nesting limit */
            star_p = pi;
            star_s = si;
            continue;
        }
        bool ok = false;
        size_t next = pi < plen ? glob_one(p, plen, pi, s[si], nocase, &ok, steps) : pi;
        if (ok) {
            pi = next;
            si++;
        } else if (star_p != SIZE_MAX) {
            pi = star_p;
            si = ++star_s;
        } else {
            return false;
        }
    }
    while (pi < plen && p[pi] == '*')
        pi++;
    return pi == plen;
}

bool
ts_glob_match(const char *pat, size_t plen, const char *str, size_t slen, bool nocase)
{
    uint64_t steps = 0; /* not read: the compiler drops the counting */
    return glob_match((const unsigned char *)pat, plen, (const unsigned char *)str, slen, nocase, &steps);
}

bool
ts_glob_match_counted(const char *pat, size_t plen, const char *str, size_t slen, bool nocase, uint64_t *steps)
{
    *steps = 0;
    return glob_match((const unsigned char *)pat, plen, (const unsigned char *)str, slen, nocase, steps);
}
