/* fuzz_resp.c: libFuzzer target for the RESP request parser (net/resp.c).
 *
 * Byte 0 of the input selects proto-max-bulk-len (so small limits and 2^63
 * are reached); the rest is a byte stream sent by a client (the seeds in
 * corpus_resp/ start with a \0 selector). It is parsed twice: once in
 * one piece and once delivered in chunks whose sizes come from a PRNG seeded
 * by the input, with the query buffer copied into an exactly-sized malloc
 * block before each call so ASan sees any read past len. Checked:
 *  - consumed <= len, and consumed > 0 for COMMAND/EMPTY, 0 for NEED_MORE;
 *  - every argv view lies inside the buffer or the parser's scratch;
 *  - resp_want() is 0 or more than the bytes already there;
 *  - both deliveries produce the same sequence of results (a digest of
 *    statuses, arguments and error texts): chunking must not matter. The
 *    one-piece delivery takes the whole-command fast path (resp_parse_whole)
 *    once the parser has argv room; the chunks take the general path.
 * The prefetch look ahead (resp_peek_keys) runs over the same bytes: each
 * name and key it returns must be, pointer and length, the first and second
 * arguments of the parser's next command with two or more arguments, unless the parser
 * reports an error first (the look ahead knows no limits).
 */
#include "net/resp.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(c)                                                                              \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "fuzz_resp: check failed: %s (line %d)\n", #c, __LINE__);            \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static uint64_t
fuzz_mix(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 1099511628211ULL;
    return h;
}

static bool
fuzz_inside(const char *p, size_t n, const char *base, size_t cap)
{
    if (n == 0)
        return true;
    return base && p >= base && p <= base + cap && n <= (size_t)(base + cap - p);
}

/* Runs the parser over the stream, all at once or in PRNG-sized chunks.
 * Returns a digest of everything it produced and of where it stopped. */
static uint64_t
fuzz_run(const uint8_t *data, size_t size, long long max_bulk, uint64_t seed, bool chunked)
{
    struct resp_parser p;
    resp_parser_init(&p, max_bulk);
    uint64_t h = 1469598103934665603ULL;
    size_t start = 0; /* command start within data */
    size_t avail = 0; /* bytes delivered so far */
    char err[128];

    for (;;) {
        if (chunked && avail < size) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            size_t step = 1 + (size_t)((seed >> 33) % 64);
            avail = TS_MIN(size, avail + step);
        } else {
            avail = size;
        }
        for (;;) {
            size_t len = avail - start;
            char *buf = malloc(len ? len : 1);
            if (len)
                memcpy(buf, data + start, len);
            size_t consumed = 99;
            int st = resp_parse(&p, buf, len, &consumed, err, sizeof(err));
            FUZZ_CHECK(consumed <= len);
            if (st == RESP_NEED_MORE) {
                size_t want = resp_want(&p);
                FUZZ_CHECK(consumed == 0);
                FUZZ_CHECK(want == 0 || want > len);
                free(buf);
                break;
            }
            if (st == RESP_ERROR) {
                FUZZ_CHECK(strncmp(err, "Protocol error: ", 16) == 0);
                h = fuzz_mix(h, "E", 1);
                h = fuzz_mix(h, err, strlen(err));
                free(buf);
                resp_parser_deinit(&p);
                return fuzz_mix(h, &start, sizeof(start));
            }
            FUZZ_CHECK(st == RESP_COMMAND || st == RESP_EMPTY);
            FUZZ_CHECK(consumed > 0);
            h = fuzz_mix(h, st == RESP_COMMAND ? "C" : "Z", 1);
            if (st == RESP_COMMAND) {
                FUZZ_CHECK(p.argc > 0);
                for (int i = 0; i < p.argc; i++) {
                    struct sv a = p.argv[i];
                    FUZZ_CHECK(fuzz_inside(a.ptr, a.len, buf, consumed) ||
                               fuzz_inside(a.ptr, a.len, p.scratch, p.scratch_cap));
                    h = fuzz_mix(h, &a.len, sizeof(a.len));
                    h = fuzz_mix(h, a.ptr, a.len);
                }
            }
            free(buf);
            start += consumed;
            if (start == avail)
                break;
        }
        if (avail == size)
            break;
    }
    resp_parser_deinit(&p);
    h = fuzz_mix(h, "P", 1);
    return fuzz_mix(h, &start, sizeof(start));
}

static void
fuzz_peek(const uint8_t *data, size_t size, long long max_bulk)
{
    char *buf = malloc(size ? size : 1);
    if (size)
        memcpy(buf, data, size);
    struct resp_peek keys[128];
    int nk = resp_peek_keys(buf, size, keys, 128);
    FUZZ_CHECK(nk >= 0 && nk <= 128);
    struct resp_parser p;
    resp_parser_init(&p, max_bulk);
    size_t start = 0;
    char err[128];
    for (int j = 0; j < nk;) {
        size_t consumed = 0;
        int st = resp_parse(&p, buf + start, size - start, &consumed, err, sizeof(err));
        if (st == RESP_ERROR)
            break;
        FUZZ_CHECK(st == RESP_COMMAND); /* the look ahead saw a complete multibulk command */
        if (p.argc >= 2) {
            FUZZ_CHECK(keys[j].key.ptr == p.argv[1].ptr && keys[j].key.len == p.argv[1].len);
            FUZZ_CHECK(keys[j].name.ptr == p.argv[0].ptr && keys[j].name.len == p.argv[0].len);
            j++;
        }
        start += consumed;
    }
    resp_parser_deinit(&p);
    free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Byte 0 picks the bulk limit (small limits reach the error path). */
    long long max_bulk = 512LL * 1024 * 1024;
    uint64_t seed = 0;
    if (size > 0) {
        static const long long limits[] = { 512LL * 1024 * 1024, 0, 1, 4, 16, 1LL << 40, 9223372036854775807LL };
        max_bulk = limits[data[0] % (sizeof(limits) / sizeof(limits[0]))];
        seed = data[0];
        data++;
        size--;
    }
    for (size_t i = 0; i < size && i < 8; i++)
        seed = seed * 131 + data[i];
    uint64_t whole = fuzz_run(data, size, max_bulk, seed, false);
    uint64_t pieces = fuzz_run(data, size, max_bulk, seed, true);
    FUZZ_CHECK(whole == pieces);
    fuzz_peek(data, size, max_bulk);
    return 0;
}
