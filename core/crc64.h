/* crc64.h: Redis's CRC-64 (spec/rdb.md §9), the checksum at the end of an
 * RDB file and of a DUMP payload: "Jones" polynomial 0xAD93D23594C935A9,
 * reflected in and out, initial value 0, no final xor (CRC-64/REDIS).
 *
 * It runs over whole snapshots (gigabytes), so it is table driven eight
 * bytes at a time (slice-by-8). The value is a running one: feed the
 * stream in any chunking, starting from 0,
 *
 *     uint64_t crc = 0;
 *     crc = crc64_update(crc, part1, n1);
 *     crc = crc64_update(crc, part2, n2);   == crc64_update(0, part1 part2)
 *
 * Check value: crc64_update(0, "123456789", 9) == 0xe9c6d914c4b8d9ca.
 * Thread-safe (the tables are built once, before main). */
#ifndef TESSERA_CRC64_H
#define TESSERA_CRC64_H

#include <stddef.h>
#include <stdint.h>

uint64_t crc64_update(uint64_t crc, const void *p, size_t n);

#endif
