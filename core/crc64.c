/* crc64.c: CRC-64/REDIS, slice-by-8 (crc64.h).
 *
 * tab[0] is the classic right-shifting table of the reflected polynomial:
 * tab[0][i] is the CRC of the single byte i. tab[k][i] is the CRC of byte
 * i followed by k zero bytes, so eight table lookups advance the CRC over
 * eight input bytes at once:
 *
 *   crc ^= next 8 bytes (little endian)
 *   crc  = tab[7][byte 0] ^ tab[6][byte 1] ^ ... ^ tab[0][byte 7]
 *
 * The tables (16 KiB) are computed by a constructor before main, so every
 * thread reads them without synchronisation. */
#include "core/crc64.h"

#include <string.h>

#define CRC64_POLY_REFLECTED 0x95AC9329AC4BC9B5ULL

static uint64_t tab[8][256];

__attribute__((constructor)) static void
crc64_tables(void)
{
    for (unsigned i = 0; i < 256; i++) {
        uint64_t c = i;
        for (int b = 0; b < 8; b++)
            c = (c & 1) ? (c >> 1) ^ CRC64_POLY_REFLECTED : c >> 1;
        tab[0][i] = c;
    }
    for (unsigned i = 0; i < 256; i++)
        for (int k = 1; k < 8; k++)
            tab[k][i] = (tab[k - 1][i] >> 8) ^ tab[0][tab[k - 1][i] & 0xFF];
}

static inline uint64_t
load64le(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

uint64_t
crc64_update(uint64_t crc, const void *p, size_t n)
{
    const uint8_t *s = p;
    while (n >= 8) {
        crc ^= load64le(s);
        crc = tab[7][crc & 0xFF] ^ tab[6][(crc >> 8) & 0xFF] ^ tab[5][(crc >> 16) & 0xFF] ^
              tab[4][(crc >> 24) & 0xFF] ^ tab[3][(crc >> 32) & 0xFF] ^ tab[2][(crc >> 40) & 0xFF] ^
              tab[1][(crc >> 48) & 0xFF] ^ tab[0][crc >> 56];
        s += 8;
        n -= 8;
    }
    while (n--)
        crc = tab[0][(crc ^ *s++) & 0xFF] ^ (crc >> 8);
    return crc;
}
