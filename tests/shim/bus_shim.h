/* bus_shim.h: cluster/bus_msg.h for the C++ unit tests
 * (tests/unit/cluster/test_bus_msg.cpp), plus a few helpers that hide
 * struct ts_buf and control allocation sizes.
 *
 * bus_msg.h is plain C that also compiles as C++ (no _Atomic, ck or
 * liburing), so it is included as is inside extern "C". mimalloc.h (pulled
 * in through core/common.h) declares C++ templates when __cplusplus is set,
 * and templates cannot have C linkage: it and the other system headers are
 * included first, outside the extern "C" block, so their include guards
 * make the second inclusion a no-op. */
#ifndef TESSERA_BUS_SHIM_H
#define TESSERA_BUS_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#ifdef __cplusplus
#include <mimalloc.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif
extern "C" {
#endif

#include "cluster/bus_msg.h"

/* Encode o into a fresh struct ts_buf that already holds prefix[0..plen),
 * then copy the buffer's whole content (prefix + message) into dst (up to
 * cap bytes). Returns the buffer's length; *ret gets bus_encode's return
 * value. */
size_t bus_shim_encode_after(const void *prefix, size_t plen, const struct bus_out *o, uint8_t *dst, size_t cap,
                             size_t *ret);

/* Decode a copy of data[0..len) held in an exactly-sized heap block (so
 * ASan reports any read past len), read every gossip entry of a decoded
 * PING/PONG/MEET, and free the copy. Returns bus_msg_decode's result; *m is
 * filled but its pointers (gossip, channel, ...) are cleared since they
 * would dangle. */
int bus_shim_decode_exact(const uint8_t *data, size_t len, struct bus_msg *m, const char **why);

#ifdef __cplusplus
}
#endif

#endif
