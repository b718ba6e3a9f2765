/* slot.h: key -> hash slot (CRC16-XMODEM of the key or its {hash tag},
 * mod 16384), exactly as Redis Cluster computes it. */
#ifndef TESSERA_SLOT_H
#define TESSERA_SLOT_H

#include "core/common.h"

uint16_t slot_crc16(const char *buf, size_t len);
uint16_t slot_of(const char *key, size_t len);

static inline uint16_t
slot_of_sv(struct sv k)
{
    return slot_of(k.ptr, k.len);
}

#endif
