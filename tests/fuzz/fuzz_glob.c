/* fuzz_glob.c: libFuzzer target for glob matching (core/glob.c).
 *
 * Input: byte 0 holds flags (bit 0: nocase) and, in its upper bits, where
 * the rest splits into pattern and string; the seeds in corpus_glob/ are
 * laid out that way. Checked on every input:
 *  - the work ts_glob_match_counted reports stays within
 *    4 * (slen + plen + 2) * (plen + 2): polynomial, whatever the pattern
 *    (the old recursive matcher took minutes on "a*a*...*b");
 *  - where the recursive reference (glob_ref.h, which follows Redis's
 *    stringmatchlen step by step and is exponential in the stars) is
 *    affordable -- few stars, short inputs -- both give the same verdict;
 *  - ts_glob_match and ts_glob_match_counted agree.
 * The pattern and the string are copied into exactly-sized malloc blocks,
 * so ASan sees any read past either end.
 */
#include "core/common.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/glob_ref.h"

#define FUZZ_CHECK(c)                                                                              \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "fuzz_glob: check failed: %s (line %d)\n", #c, __LINE__);             \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The reference tries every split at each star: affordable when the
 * number of stars and the string are small. */
static bool
reference_affordable(const unsigned char *p, size_t plen, size_t slen)
{
    int stars = 0;
    for (size_t i = 0; i < plen; i++)
        stars += p[i] == '*';
    return stars <= 6 && slen <= 64 && plen <= 128;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    bool nocase = data[0] & 1;
    size_t rest = size - 1;
    /* Upper 7 bits: the pattern's share of the rest, in 128ths. */
    size_t plen = rest * (size_t)(data[0] >> 1) / 127;
    if (plen > rest)
        plen = rest;
    size_t slen = rest - plen;
    char *pat = malloc(plen ? plen : 1);
    char *str = malloc(slen ? slen : 1);
    FUZZ_CHECK(pat && str);
    memcpy(pat, data + 1, plen);
    memcpy(str, data + 1 + plen, slen);

    uint64_t steps = 0;
    bool got = ts_glob_match_counted(pat, plen, str, slen, nocase, &steps);
    FUZZ_CHECK(steps <= 4 * (uint64_t)(slen + plen + 2) * (plen + 2));
    FUZZ_CHECK(ts_glob_match(pat, plen, str, slen, nocase) == got);
    if (reference_affordable((const unsigned char *)pat, plen, slen))
        FUZZ_CHECK(glob_ref_match((const unsigned char *)pat, plen, (const unsigned char *)str, slen, nocase, 0) ==
                   got);
    free(pat);
    free(str);
    return 0;
}
