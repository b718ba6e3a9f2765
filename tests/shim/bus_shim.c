/* bus_shim.c: see bus_shim.h. Compiled as C. */
#include "tests/shim/bus_shim.h"

#include <stdlib.h>

size_t
bus_shim_encode_after(const void *prefix, size_t plen, const struct bus_out *o, uint8_t *dst, size_t cap,
                      size_t *ret)
{
    struct ts_buf b = { 0 };
    ts_buf_append(&b, prefix, plen);
    *ret = bus_encode(&b, o);
    size_t n = b.len;
    if (n)
        memcpy(dst, b.data, n < cap ? n : cap);
    ts_buf_free(&b);
    return n;
}

int
bus_shim_decode_exact(const uint8_t *data, size_t len, struct bus_msg *m, const char **why)
{
    uint8_t *copy = malloc(len ? len : 1);
    if (len)
        memcpy(copy, data, len);
    int rc = bus_msg_decode(copy, len, m, why);
    if (rc == 0 && m->gossip) {
        struct bus_gossip g;
        for (unsigned i = 0; i < m->h.count; i++)
            bus_gossip_get(m, i, &g);
    }
    free(copy);
    m->gossip = NULL;
    m->update_slots = NULL;
    m->channel = NULL;
    m->message = NULL;
    return rc;
}
