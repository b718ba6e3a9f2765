/* bus_msg.h: the Redis 7.0 cluster bus message format, encode and decode.
 *
 * Pure functions over byte buffers, no I/O and no cluster state: the cluster
 * thread (cluster/bus.c) frames its links' input with bus_frame_check, turns
 * each complete message into a struct bus_msg with bus_msg_decode and builds
 * outgoing messages with bus_encode. Layout and validation rules are
 * ../shared/spec/cluster-bus.md; all integers on the wire are big-endian.
 *
 *   link input  --bus_frame_check-->  totlen  --bus_msg_decode-->  bus_msg
 *   bus_out     --bus_encode------->  bytes appended to the link's output
 *
 * A decoded message points into the input buffer (gossip entries, PUBLISH
 * payloads, UPDATE bitmap): it is valid only until that buffer changes. */
#ifndef TESSERA_BUS_MSG_H
#define TESSERA_BUS_MSG_H

#include "core/buf.h"
#include "core/common.h"

#define BUS_SIG "RCmb"
#define BUS_VERSION 1
#define BUS_HDR_LEN 2256      /* fixed header, CLUSTERMSG_MIN_LEN */
#define BUS_GOSSIP_LEN 104    /* one gossip entry */
#define BUS_FAIL_LEN 2296     /* header + nodename */
#define BUS_UPDATE_LEN 4352   /* header + epoch + nodename + bitmap */
#define BUS_PUBLISH_MIN 2264  /* header + two u32 lengths */
#define BUS_MODULE_MIN 2269   /* header + id u64 + len u32 + type u8 */
#define BUS_NAMELEN 40
#define BUS_IPLEN 46
#define BUS_SLOT_BYTES 2048   /* 16384 slots, bit (s & 7) of byte s >> 3 */
/* Largest message we accept; a PUBLISH can be large (Redis reads any size,
 * bounded by client-query-buffer-limit-like memory): 512 MB like
 * proto-max-bulk-len. */
#define BUS_MAX_MSG_LEN (512u * 1024 * 1024)

enum bus_type {
    BUS_PING = 0,
    BUS_PONG = 1,
    BUS_MEET = 2,
    BUS_FAIL = 3,
    BUS_PUBLISH = 4,
    BUS_AUTH_REQUEST = 5,
    BUS_AUTH_ACK = 6,
    BUS_UPDATE = 7,
    BUS_MFSTART = 8,
    BUS_MODULE = 9,
    BUS_PUBLISHSHARD = 10,
    BUS_TYPE_COUNT = 11,
};

/* mflags[0] bits */
enum bus_mflag {
    BUS_MF_PAUSED = 0x01,
    BUS_MF_FORCEACK = 0x02,
    BUS_MF_EXT_DATA = 0x04,
};

/* Ping extension types (cluster-bus.md §4.2). */
enum bus_ext_type {
    BUS_EXT_HOSTNAME = 0,
    BUS_EXT_HUMAN_NODENAME = 1,
    BUS_EXT_FORGOTTEN_NODE = 2,
    BUS_EXT_SHARDID = 3,
};

/* The fixed header, decoded. Name fields are raw 40-byte IDs (no NUL);
 * slaveof all zero bytes = sender is a master. myip is NUL-terminated
 * (decode forces the terminator), "" = use the peer address. */
struct bus_hdr {
    uint32_t totlen;
    uint16_t ver;
    uint16_t port;
    uint16_t type;
    uint16_t count;        /* gossip entries (PING/PONG/MEET) */
    uint64_t current_epoch;
    uint64_t config_epoch;
    uint64_t offset;
    char sender[BUS_NAMELEN];
    uint8_t myslots[BUS_SLOT_BYTES];
    char slaveof[BUS_NAMELEN];
    char myip[BUS_IPLEN];
    uint16_t extensions;   /* ping extension count */
    uint16_t pport;
    uint16_t cport;
    uint16_t flags;        /* sender's node flags (enum cluster_node_flag) */
    uint8_t state;         /* 0 = OK, 1 = FAIL */
    uint8_t mflags[3];
};

/* One gossip entry, decoded. ip is NUL-terminated (forced on decode). */
struct bus_gossip {
    char nodename[BUS_NAMELEN];
    uint32_t ping_sent;     /* seconds */
    uint32_t pong_received; /* seconds */
    char ip[BUS_IPLEN];
    uint16_t port;
    uint16_t cport;
    uint16_t flags;
    uint16_t pport;
};

/* A decoded message: the header plus the type's body. Pointers refer to the
 * buffer given to bus_msg_decode. */
struct bus_msg {
    struct bus_hdr h;
    /* PING / PONG / MEET */
    const uint8_t *gossip;  /* h.count raw entries; read with bus_gossip_get */
    bool has_hostname;      /* a HOSTNAME extension was present */
    char hostname[256];     /* its NUL-terminated value (truncated to 255) */
    bool has_shard_id;
    char shard_id[BUS_NAMELEN];
    /* FAIL: the failing node; UPDATE: the node whose slots changed */
    char nodename[BUS_NAMELEN];
    /* UPDATE */
    uint64_t update_config_epoch;
    const uint8_t *update_slots; /* BUS_SLOT_BYTES */
    /* PUBLISH / PUBLISHSHARD */
    const char *channel;
    uint32_t channel_len;
    const char *message;
    uint32_t message_len;
};

/* ---- Framing ---- */
enum bus_frame {
    BUS_FRAME_MORE = 0,   /* fewer than 8 bytes, or fewer than totlen */
    BUS_FRAME_READY = 1,  /* a whole message of *totlen bytes is at buf */
    BUS_FRAME_BAD = -1,   /* bad signature, totlen < BUS_HDR_LEN or > BUS_MAX_MSG_LEN: close the link */
};
/* Look at the start of a link's input. *totlen is set whenever the 8-byte
 * preamble is present and valid (so a reader can size its buffer). */
enum bus_frame bus_frame_check(const uint8_t *buf, size_t len, uint32_t *totlen);

/* ---- Decoding ---- */
/* Decode one complete message of exactly len bytes (len = its totlen).
 * Returns 0, or -1 when the message must be ignored (cluster-bus.md §2:
 * version != 1, totlen differing from what the type and counts require,
 * malformed extensions), with a short reason in *why (static string).
 * Unknown types (>= BUS_TYPE_COUNT) decode as header-only and return 0;
 * the caller ignores them. Never reads outside buf[0..len). */
int bus_msg_decode(const uint8_t *buf, size_t len, struct bus_msg *m, const char **why);
/* Gossip entry i (< m->h.count) of a decoded PING/PONG/MEET. */
void bus_gossip_get(const struct bus_msg *m, unsigned i, struct bus_gossip *g);

/* ---- Encoding ---- */
/* What to send. The caller fills h (type, ports, epochs, offset, sender,
 * myslots, slaveof, myip, flags, state, mflags); bus_encode computes totlen,
 * count and extensions itself and sets BUS_MF_EXT_DATA for PING/PONG/MEET
 * (always, as cluster-bus.md §4.2 recommends). */
struct bus_out {
    struct bus_hdr h;
    /* PING / PONG / MEET */
    const struct bus_gossip *gossip;
    unsigned ngossip;
    const char *hostname;   /* HOSTNAME extension when non-NULL and non-empty */
    /* FAIL / UPDATE */
    const char *nodename;   /* 40 bytes */
    /* UPDATE */
    uint64_t update_config_epoch;
    const uint8_t *update_slots; /* BUS_SLOT_BYTES */
    /* PUBLISH / PUBLISHSHARD */
    const char *channel;
    uint32_t channel_len;
    const char *message;
    uint32_t message_len;
};
/* Append the encoded message to out; returns its length (totlen). */
size_t bus_encode(struct ts_buf *out, const struct bus_out *o);

/* ---- Helpers ---- */
static inline bool
bus_slot_test(const uint8_t *bitmap, unsigned slot)
{
    return (bitmap[slot >> 3] >> (slot & 7)) & 1;
}
static inline void
bus_slot_set(uint8_t *bitmap, unsigned slot)
{
    bitmap[slot >> 3] |= (uint8_t)(1u << (slot & 7));
}
/* True when the 40 bytes are all zero (a master's slaveof field). */
bool bus_name_is_null(const char *name);
/* "ping", "pong", ... for CLUSTER INFO's cluster_stats_messages_<type>_*;
 * "unknown" past the last type. */
const char *bus_type_name(unsigned type);

#endif
