/* bus_msg.c: the Redis 7.0 cluster bus wire format (cluster-bus.md §2-§4).
 *
 * Framing, validation + decoding of one complete message, and encoding. No
 * struct is ever overlaid on the wire bytes: every field is read and written
 * at its offset, big-endian, so alignment and padding cannot differ from
 * Redis. The decoder is the trust boundary of the bus (peers, or anything
 * that can reach the bus port): every read is bounds-checked against len. */
#include "cluster/bus_msg.h"

#include <assert.h>

/* ---- Wire offsets ---- */

/* Fixed header (cluster-bus.md §3). Each offset is the previous one plus the
 * previous field's size; the static_asserts below pin them to the spec's
 * table so a typo cannot shift everything after it. */
enum {
    OFF_SIG = 0,
    OFF_TOTLEN = 4,
    OFF_VER = 8,
    OFF_PORT = 10,
    OFF_TYPE = 12,
    OFF_COUNT = 14,
    OFF_CUR_EPOCH = 16,
    OFF_CFG_EPOCH = 24,
    OFF_OFFSET = 32,
    OFF_SENDER = 40,
    OFF_MYSLOTS = 80,
    OFF_SLAVEOF = 2128,
    OFF_MYIP = 2168,
    OFF_EXTENSIONS = 2214,
    OFF_NOTUSED = 2216,
    OFF_PPORT = 2246,
    OFF_CPORT = 2248,
    OFF_FLAGS = 2250,
    OFF_STATE = 2252,
    OFF_MFLAGS = 2253,
    OFF_DATA = 2256,
};
static_assert(OFF_MYSLOTS == OFF_SENDER + BUS_NAMELEN, "myslots offset");
static_assert(OFF_SLAVEOF == OFF_MYSLOTS + BUS_SLOT_BYTES, "slaveof offset");
static_assert(OFF_MYIP == OFF_SLAVEOF + BUS_NAMELEN, "myip offset");
static_assert(OFF_EXTENSIONS == OFF_MYIP + BUS_IPLEN, "extensions offset");
static_assert(OFF_PPORT == OFF_NOTUSED + 30, "notused1 is 30 bytes");
static_assert(OFF_DATA == OFF_MFLAGS + 3 && OFF_DATA == BUS_HDR_LEN, "header size");

/* Gossip entry (§4.1), relative to the entry. */
enum {
    G_NAME = 0, G_PING_SENT = 40, G_PONG_RECV = 44, G_IP = 48,
    G_PORT = 94, G_CPORT = 96, G_FLAGS = 98, G_PPORT = 100, G_NOTUSED = 102,
};
static_assert(G_IP + BUS_IPLEN == G_PORT && G_NOTUSED + 2 == BUS_GOSSIP_LEN, "gossip layout");

/* Bodies (§4), absolute. */
enum {
    FAIL_NAME = OFF_DATA,
    PUB_CHLEN = OFF_DATA,
    PUB_MSGLEN = OFF_DATA + 4,
    PUB_BULK = OFF_DATA + 8,
    UPD_EPOCH = OFF_DATA,
    UPD_NAME = OFF_DATA + 8,
    UPD_SLOTS = UPD_NAME + BUS_NAMELEN,
    MOD_LEN = OFF_DATA + 8, /* after the opaque 8-byte module id */
    MOD_TYPE = OFF_DATA + 12,
};
static_assert(BUS_FAIL_LEN == FAIL_NAME + BUS_NAMELEN, "FAIL size");
static_assert(BUS_PUBLISH_MIN == PUB_BULK, "PUBLISH size");
static_assert(BUS_UPDATE_LEN == UPD_SLOTS + BUS_SLOT_BYTES, "UPDATE size");
static_assert(BUS_MODULE_MIN == MOD_TYPE + 1, "MODULE size");

#define EXT_HDR_LEN 8 /* length u32, type u16, unused u16 */
#define EXT_SHARDID_LEN (EXT_HDR_LEN + BUS_NAMELEN)

/* ---- Big-endian access ---- */

static inline uint16_t
rd16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t
rd32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline uint64_t
rd64(const uint8_t *p)
{
    return ((uint64_t)rd32(p) << 32) | rd32(p + 4);
}

/* Store the low n bytes of v, most significant first. */
static inline void
wr_be(uint8_t *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static inline bool
is_ping_type(unsigned type)
{
    return type == BUS_PING || type == BUS_PONG || type == BUS_MEET;
}

/* ---- Framing ---- */

enum bus_frame
bus_frame_check(const uint8_t *buf, size_t len, uint32_t *totlen)
{
    if (len < 8)
        return BUS_FRAME_MORE;
    if (memcmp(buf + OFF_SIG, BUS_SIG, 4) != 0)
        return BUS_FRAME_BAD;
    uint32_t t = rd32(buf + OFF_TOTLEN);
    if (t < BUS_HDR_LEN || t > BUS_MAX_MSG_LEN)
        return BUS_FRAME_BAD;
    if (totlen)
        *totlen = t;
    return len >= t ? BUS_FRAME_READY : BUS_FRAME_MORE;
}

/* ---- Decoding ---- */

static void
decode_hdr(const uint8_t *b, struct bus_hdr *h)
{
    h->totlen = rd32(b + OFF_TOTLEN);
    h->ver = rd16(b + OFF_VER);
    h->port = rd16(b + OFF_PORT);
    h->type = rd16(b + OFF_TYPE);
    h->count = rd16(b + OFF_COUNT);
    h->current_epoch = rd64(b + OFF_CUR_EPOCH);
    h->config_epoch = rd64(b + OFF_CFG_EPOCH);
    h->offset = rd64(b + OFF_OFFSET);
    memcpy(h->sender, b + OFF_SENDER, BUS_NAMELEN);
    memcpy(h->myslots, b + OFF_MYSLOTS, BUS_SLOT_BYTES);
    memcpy(h->slaveof, b + OFF_SLAVEOF, BUS_NAMELEN);
    memcpy(h->myip, b + OFF_MYIP, BUS_IPLEN);
    h->myip[BUS_IPLEN - 1] = '\0'; /* a peer may fill all 46 bytes */
    h->extensions = rd16(b + OFF_EXTENSIONS);
    h->pport = rd16(b + OFF_PPORT);
    h->cport = rd16(b + OFF_CPORT);
    h->flags = rd16(b + OFF_FLAGS);
    h->state = b[OFF_STATE];
    memcpy(h->mflags, b + OFF_MFLAGS, 3);
}

/* Walk the ping extensions that start at off (right after the gossip
 * array). Each must have a full 8-byte header, a length >= 8 (a zero length
 * would not advance), a multiple of 8, and lie within len; together they
 * must end exactly at len. Known types are recorded; others are skipped, as
 * 7.0 does (cluster-bus.md §4.2). Returns 0 or -1 with *why set. */
static int
decode_exts(const uint8_t *buf, size_t len, size_t off, struct bus_msg *m, const char **why)
{
    for (unsigned i = 0; i < m->h.extensions; i++) {
        if (len - off < EXT_HDR_LEN) {
            *why = "extension header past the end";
            return -1;
        }
        uint32_t elen = rd32(buf + off);
        uint16_t etype = rd16(buf + off + 4);
        if (elen < EXT_HDR_LEN) {
            *why = "extension length < 8";
            return -1;
        }
        if (elen % 8 != 0) {
            *why = "extension length not a multiple of 8";
            return -1;
        }
        if (elen > len - off) {
            *why = "extension past the end";
            return -1;
        }
        const uint8_t *payload = buf + off + EXT_HDR_LEN;
        size_t plen = elen - EXT_HDR_LEN;
        if (etype == BUS_EXT_HOSTNAME) {
            /* NUL-terminated on the wire, but stop at the extension's end
             * whether or not the terminator is there. */
            size_t n = 0;
            while (n < plen && n < sizeof(m->hostname) - 1 && payload[n] != 0)
                n++;
            memcpy(m->hostname, payload, n);
            m->hostname[n] = '\0';
            m->has_hostname = true;
        } else if (etype == BUS_EXT_SHARDID && elen >= EXT_SHARDID_LEN) {
            /* A short SHARDID is skipped rather than rejected: no sender
             * produces one, and dropping the whole PING would lose more. */
            memcpy(m->shard_id, payload, BUS_NAMELEN);
            m->has_shard_id = true;
        }
        off += elen;
    }
    if (off != len) {
        *why = "extensions do not add up to totlen";
        return -1;
    }
    return 0;
}

/* PING / PONG / MEET: count gossip entries, then extensions if EXT_DATA. */
static int
decode_ping(const uint8_t *buf, size_t len, struct bus_msg *m, const char **why)
{
    size_t need = (size_t)BUS_HDR_LEN + (size_t)BUS_GOSSIP_LEN * m->h.count;
    if (need > len) {
        *why = "gossip count exceeds totlen";
        return -1;
    }
    m->gossip = buf + OFF_DATA;
    /* Without EXT_DATA the extensions field is not looked at (as 7.0). */
    if (!(m->h.mflags[0] & BUS_MF_EXT_DATA)) {
        if (need != len) {
            *why = "totlen does not match gossip count";
            return -1;
        }
        return 0;
    }
    return decode_exts(buf, len, need, m, why);
}

/* PUBLISH / PUBLISHSHARD: two u32 lengths then both byte strings. The sum is
 * taken in 64 bits so two huge u32 lengths cannot wrap to a small total. */
static int
decode_publish(const uint8_t *buf, size_t len, struct bus_msg *m, const char **why)
{
    if (len < BUS_PUBLISH_MIN) {
        *why = "PUBLISH shorter than its fixed part";
        return -1;
    }
    uint32_t chlen = rd32(buf + PUB_CHLEN);
    uint32_t msglen = rd32(buf + PUB_MSGLEN);
    uint64_t need = (uint64_t)BUS_PUBLISH_MIN + chlen + msglen;
    if (need != (uint64_t)len) {
        *why = "PUBLISH lengths do not match totlen";
        return -1;
    }
    m->channel = (const char *)buf + PUB_BULK;
    m->channel_len = chlen;
    m->message = (const char *)buf + PUB_BULK + chlen;
    m->message_len = msglen;
    return 0;
}

int
bus_msg_decode(const uint8_t *buf, size_t len, struct bus_msg *m, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    memset(m, 0, sizeof(*m));
    if (len < BUS_HDR_LEN) {
        *why = "shorter than the header";
        return -1;
    }
    decode_hdr(buf, &m->h);
    if (memcmp(buf + OFF_SIG, BUS_SIG, 4) != 0) {
        *why = "bad signature";
        return -1;
    }
    if (m->h.totlen != len) {
        *why = "totlen differs from the message length";
        return -1;
    }
    if (m->h.ver != BUS_VERSION) {
        *why = "unsupported version";
        return -1;
    }
    *why = "";

    size_t fixed; /* required totlen of the fixed-size types */
    switch (m->h.type) {
    case BUS_PING:
    case BUS_PONG:
    case BUS_MEET:
        return decode_ping(buf, len, m, why);
    case BUS_PUBLISH:
    case BUS_PUBLISHSHARD:
        return decode_publish(buf, len, m, why);
    case BUS_MODULE:
        /* Validated only (module id, len, type, payload); modules are not
         * supported, the caller drops it. */
        if (len < BUS_MODULE_MIN || (uint64_t)BUS_MODULE_MIN + rd32(buf + MOD_LEN) != (uint64_t)len) {
            *why = "MODULE length does not match totlen";
            return -1;
        }
        return 0;
    case BUS_FAIL:
        fixed = BUS_FAIL_LEN;
        break;
    case BUS_UPDATE:
        fixed = BUS_UPDATE_LEN;
        break;
    case BUS_AUTH_REQUEST:
    case BUS_AUTH_ACK:
    case BUS_MFSTART:
        fixed = BUS_HDR_LEN;
        break;
    default:
        return 0; /* unknown type: well-formed header, ignored by the caller */
    }
    if (len != fixed) {
        *why = "wrong totlen for the message type";
        return -1;
    }
    if (m->h.type == BUS_FAIL) {
        memcpy(m->nodename, buf + FAIL_NAME, BUS_NAMELEN);
    } else if (m->h.type == BUS_UPDATE) {
        m->update_config_epoch = rd64(buf + UPD_EPOCH);
        memcpy(m->nodename, buf + UPD_NAME, BUS_NAMELEN);
        m->update_slots = buf + UPD_SLOTS;
    }
    return 0;
}

void
bus_gossip_get(const struct bus_msg *m, unsigned i, struct bus_gossip *g)
{
    assert(m->gossip && i < m->h.count);
    const uint8_t *p = m->gossip + (size_t)i * BUS_GOSSIP_LEN;
    memcpy(g->nodename, p + G_NAME, BUS_NAMELEN);
    g->ping_sent = rd32(p + G_PING_SENT);
    g->pong_received = rd32(p + G_PONG_RECV);
    memcpy(g->ip, p + G_IP, BUS_IPLEN);
    g->ip[BUS_IPLEN - 1] = '\0';
    g->port = rd16(p + G_PORT);
    g->cport = rd16(p + G_CPORT);
    g->flags = rd16(p + G_FLAGS);
    g->pport = rd16(p + G_PPORT);
}

/* ---- Encoding ---- */

/* Copy a C string into a fixed NUL-padded field, always leaving room for
 * the terminator (the destination is already zeroed). */
static void
put_str(uint8_t *dst, const char *s, size_t field)
{
    if (s)
        memcpy(dst, s, strnlen(s, field - 1));
}

/* 8-byte header + the string with its NUL, zero-padded to a multiple of 8. */
static size_t
hostname_ext_len(const char *hostname)
{
    if (!hostname || !hostname[0])
        return 0;
    return EXT_HDR_LEN + ((strlen(hostname) + 1 + 7) & ~(size_t)7);
}

/* Size of the whole message bus_encode will produce for o. */
static size_t
encoded_len(const struct bus_out *o)
{
    switch (o->h.type) {
    case BUS_PING:
    case BUS_PONG:
    case BUS_MEET:
        return BUS_HDR_LEN + (size_t)BUS_GOSSIP_LEN * o->ngossip + hostname_ext_len(o->hostname);
    case BUS_FAIL:
        return BUS_FAIL_LEN;
    case BUS_UPDATE:
        return BUS_UPDATE_LEN;
    case BUS_PUBLISH:
    case BUS_PUBLISHSHARD:
        return (size_t)BUS_PUBLISH_MIN + o->channel_len + o->message_len;
    case BUS_MODULE:
        return BUS_MODULE_MIN; /* never sent; an empty one still validates */
    default:
        return BUS_HDR_LEN;
    }
}

static void
encode_hdr(uint8_t *b, const struct bus_hdr *h, uint32_t totlen, uint16_t count, uint16_t exts,
           uint8_t mflag0)
{
    memcpy(b + OFF_SIG, BUS_SIG, 4);
    wr_be(b + OFF_TOTLEN, totlen, 4);
    wr_be(b + OFF_VER, BUS_VERSION, 2);
    wr_be(b + OFF_PORT, h->port, 2);
    wr_be(b + OFF_TYPE, h->type, 2);
    wr_be(b + OFF_COUNT, count, 2);
    wr_be(b + OFF_CUR_EPOCH, h->current_epoch, 8);
    wr_be(b + OFF_CFG_EPOCH, h->config_epoch, 8);
    wr_be(b + OFF_OFFSET, h->offset, 8);
    memcpy(b + OFF_SENDER, h->sender, BUS_NAMELEN);
    memcpy(b + OFF_MYSLOTS, h->myslots, BUS_SLOT_BYTES);
    memcpy(b + OFF_SLAVEOF, h->slaveof, BUS_NAMELEN);
    put_str(b + OFF_MYIP, h->myip, BUS_IPLEN);
    wr_be(b + OFF_EXTENSIONS, exts, 2);
    /* notused1 stays zero */
    wr_be(b + OFF_PPORT, h->pport, 2);
    wr_be(b + OFF_CPORT, h->cport, 2);
    wr_be(b + OFF_FLAGS, h->flags, 2);
    b[OFF_STATE] = h->state;
    b[OFF_MFLAGS] = mflag0;
    b[OFF_MFLAGS + 1] = h->mflags[1];
    b[OFF_MFLAGS + 2] = h->mflags[2];
}

static void
encode_gossip(uint8_t *p, const struct bus_gossip *g)
{
    memcpy(p + G_NAME, g->nodename, BUS_NAMELEN);
    wr_be(p + G_PING_SENT, g->ping_sent, 4);
    wr_be(p + G_PONG_RECV, g->pong_received, 4);
    put_str(p + G_IP, g->ip, BUS_IPLEN);
    wr_be(p + G_PORT, g->port, 2);
    wr_be(p + G_CPORT, g->cport, 2);
    wr_be(p + G_FLAGS, g->flags, 2);
    wr_be(p + G_PPORT, g->pport, 2);
}

/* The message is built in place in out's spare capacity, zeroed first so
 * every unused / padding byte is 0. Sizes are the caller's (gossip count,
 * PUBLISH payload): exceeding the wire's limits is a programming error. */
size_t
bus_encode(struct ts_buf *out, const struct bus_out *o)
{
    size_t total = encoded_len(o);
    assert(total <= BUS_MAX_MSG_LEN);
    uint8_t *b = (uint8_t *)ts_buf_reserve(out, total);
    memset(b, 0, total);

    unsigned type = o->h.type;
    uint8_t mflag0 = o->h.mflags[0];
    uint16_t count = 0, exts = 0;
    if (is_ping_type(type)) {
        assert(o->ngossip <= UINT16_MAX);
        count = (uint16_t)o->ngossip;
        exts = hostname_ext_len(o->hostname) ? 1 : 0;
        /* Always advertise EXT_DATA (§4.2): Valkey sends its extensions
         * only to peers that do. */
        mflag0 |= BUS_MF_EXT_DATA;
    }
    encode_hdr(b, &o->h, (uint32_t)total, count, exts, mflag0);

    switch (type) {
    case BUS_PING:
    case BUS_PONG:
    case BUS_MEET: {
        uint8_t *p = b + OFF_DATA;
        for (unsigned i = 0; i < o->ngossip; i++, p += BUS_GOSSIP_LEN)
            encode_gossip(p, &o->gossip[i]);
        if (exts) {
            size_t elen = hostname_ext_len(o->hostname);
            wr_be(p, (uint32_t)elen, 4);
            wr_be(p + 4, BUS_EXT_HOSTNAME, 2);
            memcpy(p + EXT_HDR_LEN, o->hostname, strlen(o->hostname)); /* NUL + pad already 0 */
        }
        break;
    }
    case BUS_FAIL:
        memcpy(b + FAIL_NAME, o->nodename, BUS_NAMELEN);
        break;
    case BUS_UPDATE:
        wr_be(b + UPD_EPOCH, o->update_config_epoch, 8);
        memcpy(b + UPD_NAME, o->nodename, BUS_NAMELEN);
        memcpy(b + UPD_SLOTS, o->update_slots, BUS_SLOT_BYTES);
        break;
    case BUS_PUBLISH:
    case BUS_PUBLISHSHARD:
        wr_be(b + PUB_CHLEN, o->channel_len, 4);
        wr_be(b + PUB_MSGLEN, o->message_len, 4);
        if (o->channel_len)
            memcpy(b + PUB_BULK, o->channel, o->channel_len);
        if (o->message_len)
            memcpy(b + PUB_BULK + o->channel_len, o->message, o->message_len);
        break;
    default:
        break; /* header only (MODULE: zero id, len and type) */
    }
    out->len += total;
    return total;
}

/* ---- Helpers ---- */

bool
bus_name_is_null(const char *name)
{
    for (int i = 0; i < BUS_NAMELEN; i++)
        if (name[i] != 0)
            return false;
    return true;
}

const char *
bus_type_name(unsigned type)
{
    /* The stats strings of CLUSTER INFO (cluster-bus.md §4). */
    static const char *const names[BUS_TYPE_COUNT] = {
        "ping", "pong", "meet", "fail", "publish", "auth-req",
        "auth-ack", "update", "mfstart", "module", "publishshard",
    };
    return type < BUS_TYPE_COUNT ? names[type] : "unknown";
}
