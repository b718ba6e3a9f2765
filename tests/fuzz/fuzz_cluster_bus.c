/* fuzz_cluster_bus.c: libFuzzer target for the cluster bus codec
 * (cluster/bus_msg.c), the first code to see bytes from the bus port.
 *
 * The input is a link's byte stream. It is framed with bus_frame_check and
 * each complete message is decoded from its own exactly-sized heap copy (so
 * ASan sees any read past totlen); the whole input is also decoded as one
 * message. Checked for every message that decodes:
 *  - pointers into the message (gossip, PUBLISH payloads, UPDATE bitmap)
 *    lie inside it; every gossip entry can be read; strings are terminated;
 *  - PING/PONG/MEET/FAIL/UPDATE/PUBLISH/PUBLISHSHARD re-encode with
 *    bus_encode into a message that frames as READY, decodes again with the
 *    same key fields, and re-encodes to the very same bytes (a fixpoint).
 * The seeds in corpus_cluster_bus/ are valid messages of several types.
 */
#include "cluster/bus_msg.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(c)                                                                              \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "fuzz_cluster_bus: check failed: %s (line %d)\n", #c, __LINE__);     \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static bool
fuzz_inside(const void *p, size_t n, const uint8_t *base, size_t len)
{
    const uint8_t *q = p;
    return q >= base && q <= base + len && n <= (size_t)(base + len - q);
}

static bool
fuzz_ping_type(unsigned t)
{
    return t == BUS_PING || t == BUS_PONG || t == BUS_MEET;
}

/* Header fields bus_encode copies from the caller must survive the trip. */
static void
fuzz_same_hdr(const struct bus_hdr *a, const struct bus_hdr *b)
{
    FUZZ_CHECK(a->type == b->type && a->port == b->port && a->ver == BUS_VERSION);
    FUZZ_CHECK(a->current_epoch == b->current_epoch && a->config_epoch == b->config_epoch);
    FUZZ_CHECK(a->offset == b->offset);
    FUZZ_CHECK(memcmp(a->sender, b->sender, BUS_NAMELEN) == 0);
    FUZZ_CHECK(memcmp(a->myslots, b->myslots, BUS_SLOT_BYTES) == 0);
    FUZZ_CHECK(memcmp(a->slaveof, b->slaveof, BUS_NAMELEN) == 0);
    FUZZ_CHECK(strcmp(a->myip, b->myip) == 0);
    FUZZ_CHECK(a->pport == b->pport && a->cport == b->cport && a->flags == b->flags);
    FUZZ_CHECK(a->state == b->state && a->mflags[1] == b->mflags[1] && a->mflags[2] == b->mflags[2]);
}

/* Encode m back, decode the result, compare, and check that encoding the
 * second decode gives identical bytes. */
static void
fuzz_reencode(const struct bus_msg *m)
{
    unsigned t = m->h.type;
    struct bus_gossip *g = NULL;
    struct bus_out o;
    memset(&o, 0, sizeof(o));
    o.h = m->h;
    if (fuzz_ping_type(t)) {
        g = calloc(m->h.count ? m->h.count : 1, sizeof(*g));
        for (unsigned i = 0; i < m->h.count; i++)
            bus_gossip_get(m, i, &g[i]);
        o.gossip = g;
        o.ngossip = m->h.count;
        o.hostname = m->has_hostname ? m->hostname : NULL;
    }
    o.nodename = m->nodename;
    o.update_config_epoch = m->update_config_epoch;
    o.update_slots = m->update_slots;
    o.channel = m->channel;
    o.channel_len = m->channel_len;
    o.message = m->message;
    o.message_len = m->message_len;

    struct ts_buf b1 = { 0 }, b2 = { 0 };
    size_t n = bus_encode(&b1, &o);
    FUZZ_CHECK(n == b1.len);
    uint32_t totlen = 0;
    FUZZ_CHECK(bus_frame_check((const uint8_t *)b1.data, b1.len, &totlen) == BUS_FRAME_READY);
    FUZZ_CHECK(totlen == n);

    struct bus_msg m2;
    const char *why = NULL;
    FUZZ_CHECK(bus_msg_decode((const uint8_t *)b1.data, b1.len, &m2, &why) == 0);
    fuzz_same_hdr(&m2.h, &m->h);
    if (fuzz_ping_type(t)) {
        FUZZ_CHECK(m2.h.count == m->h.count);
        FUZZ_CHECK(m2.h.mflags[0] == (m->h.mflags[0] | BUS_MF_EXT_DATA));
        /* An empty hostname is not sent: "no extension" means the same. */
        bool host = m->has_hostname && m->hostname[0];
        FUZZ_CHECK(m2.has_hostname == host);
        FUZZ_CHECK(!host || strcmp(m2.hostname, m->hostname) == 0);
        FUZZ_CHECK(m2.h.extensions == (host ? 1 : 0));
        for (unsigned i = 0; i < m->h.count; i++) {
            struct bus_gossip x;
            bus_gossip_get(&m2, i, &x);
            FUZZ_CHECK(memcmp(x.nodename, g[i].nodename, BUS_NAMELEN) == 0 && strcmp(x.ip, g[i].ip) == 0);
            FUZZ_CHECK(x.ping_sent == g[i].ping_sent && x.pong_received == g[i].pong_received);
            FUZZ_CHECK(x.port == g[i].port && x.cport == g[i].cport && x.flags == g[i].flags &&
                       x.pport == g[i].pport);
        }
    } else {
        FUZZ_CHECK(m2.h.mflags[0] == m->h.mflags[0] && m2.h.count == 0 && m2.h.extensions == 0);
    }
    if (t == BUS_FAIL || t == BUS_UPDATE)
        FUZZ_CHECK(memcmp(m2.nodename, m->nodename, BUS_NAMELEN) == 0);
    if (t == BUS_UPDATE) {
        FUZZ_CHECK(m2.update_config_epoch == m->update_config_epoch);
        FUZZ_CHECK(memcmp(m2.update_slots, m->update_slots, BUS_SLOT_BYTES) == 0);
    }
    if (t == BUS_PUBLISH || t == BUS_PUBLISHSHARD) {
        FUZZ_CHECK(m2.channel_len == m->channel_len && m2.message_len == m->message_len);
        FUZZ_CHECK(memcmp(m2.channel, m->channel, m->channel_len) == 0);
        FUZZ_CHECK(memcmp(m2.message, m->message, m->message_len) == 0);
    }

    /* Fixpoint: what we produce, decoded and re-encoded, is byte-identical. */
    o.h = m2.h;
    o.hostname = m2.has_hostname ? m2.hostname : NULL;
    o.update_slots = m2.update_slots;
    o.channel = m2.channel;
    o.message = m2.message;
    FUZZ_CHECK(bus_encode(&b2, &o) == n && b2.len == n);
    FUZZ_CHECK(memcmp(b1.data, b2.data, n) == 0);

    ts_buf_free(&b1);
    ts_buf_free(&b2);
    free(g);
}

/* Decode one message from an exactly-sized copy and check what came out. */
static void
fuzz_message(const uint8_t *data, size_t len)
{
    uint8_t *buf = malloc(len ? len : 1);
    if (len)
        memcpy(buf, data, len);
    struct bus_msg m;
    const char *why = NULL;
    int rc = bus_msg_decode(buf, len, &m, &why);
    FUZZ_CHECK(rc == 0 || rc == -1);
    FUZZ_CHECK(why != NULL);
    if (rc == 0) {
        unsigned t = m.h.type;
        FUZZ_CHECK(m.h.totlen == len && len >= BUS_HDR_LEN);
        FUZZ_CHECK(strlen(m.h.myip) < BUS_IPLEN);
        if (fuzz_ping_type(t)) {
            FUZZ_CHECK(fuzz_inside(m.gossip, (size_t)m.h.count * BUS_GOSSIP_LEN, buf, len));
            for (unsigned i = 0; i < m.h.count; i++) {
                struct bus_gossip g;
                bus_gossip_get(&m, i, &g);
                FUZZ_CHECK(strlen(g.ip) < BUS_IPLEN);
            }
            FUZZ_CHECK(!m.has_hostname || strlen(m.hostname) < sizeof(m.hostname));
        } else {
            FUZZ_CHECK(m.gossip == NULL && !m.has_hostname && !m.has_shard_id);
        }
        if (t == BUS_PUBLISH || t == BUS_PUBLISHSHARD) {
            FUZZ_CHECK(fuzz_inside(m.channel, m.channel_len, buf, len));
            FUZZ_CHECK(fuzz_inside(m.message, m.message_len, buf, len));
            FUZZ_CHECK((size_t)BUS_PUBLISH_MIN + m.channel_len + m.message_len == len);
        }
        if (t == BUS_UPDATE)
            FUZZ_CHECK(fuzz_inside(m.update_slots, BUS_SLOT_BYTES, buf, len));
        if (t < BUS_TYPE_COUNT && t != BUS_MODULE && t != BUS_AUTH_REQUEST && t != BUS_AUTH_ACK &&
            t != BUS_MFSTART)
            fuzz_reencode(&m);
    }
    free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* As a link's stream: frame, decode, repeat until MORE or BAD. */
    size_t off = 0;
    for (;;) {
        uint32_t totlen = 0;
        enum bus_frame f = bus_frame_check(data + off, size - off, &totlen);
        if (f != BUS_FRAME_READY) {
            FUZZ_CHECK(f == BUS_FRAME_MORE || f == BUS_FRAME_BAD);
            break;
        }
        FUZZ_CHECK(totlen >= BUS_HDR_LEN && totlen <= size - off);
        fuzz_message(data + off, totlen);
        off += totlen;
    }
    /* And the whole input as one message, whatever its totlen says. */
    if (off != size || off == 0)
        fuzz_message(data, size);
    return 0;
}
