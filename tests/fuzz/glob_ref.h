/* glob_ref.h: a plain recursive glob matcher, the reference that
 * ts_glob_match (core/glob.c) is checked against by fuzz_glob.c and
 * tests/unit/core/test_glob.cpp. It follows Redis 7.0's stringmatchlen
 * step by step -- at a '*' it tries the rest of the pattern at every later
 * position of the string, recursing -- so it is exponential in the number
 * of stars: use it on small inputs only. Written independently; checked
 * against redis-server 7.0.15 with KEYS over random patterns. Header-only
 * (static) so a single-file fuzz target can include it. */
#ifndef TESSERA_GLOB_REF_H
#define TESSERA_GLOB_REF_H

#include <stdbool.h>
#include <stddef.h>

static inline int
glob_ref_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static bool
glob_ref_match(const unsigned char *p, size_t plen, const unsigned char *s, size_t slen, bool nocase, int depth)
{
    if (depth > 1000)
        return false;
    size_t pi = 0, si = 0;
    while (pi < plen && si < slen) {
        unsigned char c = p[pi];
        if (c == '*') {
            while (pi + 1 < plen && p[pi + 1] == '*')
                pi++;
            if (pi == plen - 1)
                return true;
            for (size_t k = si; k < slen; k++)
                if (glob_ref_match(p + pi + 1, plen - pi - 1, s + k, slen - k, nocase, depth + 1))
                    return true;
            return false;
        } else if (c == '?') {
            si++;
        } else if (c == '[') {
            pi++;
            bool neg = pi < plen && p[pi] == '^';
            if (neg)
                pi++;
            bool m = false;
            for (;;) {
                if (pi < plen && p[pi] == '\\' && plen - pi >= 2) {
                    pi++;
                    if (p[pi] == s[si])
                        m = true;
                } else if (pi < plen && p[pi] == ']') {
                    break;
                } else if (pi >= plen) {
                    pi--; /* the set ends with the pattern; pi++ below */
                    break;
                } else if (plen - pi >= 3 && p[pi + 1] == '-') {
                    int lo = (signed char)p[pi], hi = (signed char)p[pi + 2], x = (signed char)s[si];
                    if (lo > hi) {
                        int t = lo;
                        lo = hi;
                        hi = t;
                    }
                    if (nocase) {
                        lo = glob_ref_lower(lo);
                        hi = glob_ref_lower(hi);
                        x = glob_ref_lower(x);
                    }
                    pi += 2;
                    if (lo <= x && x <= hi)
                        m = true;
                } else if (nocase ? glob_ref_lower(p[pi]) == glob_ref_lower(s[si]) : p[pi] == s[si]) {
                    m = true;
                }
                pi++;
            }
            if (neg)
                m = !m;
            if (!m)
                return false;
            si++;
        } else {
            if (c == '\\' && plen - pi >= 2)
                pi++;
            if (nocase ? glob_ref_lower(p[pi]) != glob_ref_lower(s[si]) : p[pi] != s[si])
                return false;
            si++;
        }
        pi++;
        if (si == slen) {
            while (pi < plen && p[pi] == '*')
                pi++;
            break;
        }
    }
    return pi == plen && si == slen;
}

#endif
