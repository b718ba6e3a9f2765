/* client.h: what commands know about a client connection. The net layer
 * embeds a struct client in each connection; core sees only this part.
 * A client is owned by the worker that accepted it: only that worker reads
 * or writes it, except the fields marked (any), which other workers may read
 * relaxed for CLIENT LIST/INFO (values may be momentarily stale). */
#ifndef TESSERA_CLIENT_H
#define TESSERA_CLIENT_H

#include "core/common.h"

enum client_flag {
    CL_NO_TOUCH = 1 << 0,    /* CLIENT NO-TOUCH on: reads don't update access time */
    CL_NO_EVICT = 1 << 1,    /* CLIENT NO-EVICT on */
    CL_ASKING = 1 << 2,      /* one-shot ASKING */
    CL_READONLY = 1 << 3,    /* READONLY (cluster replica reads) */
    CL_MONITOR = 1 << 4,     /* MONITOR client */
    CL_CLOSE_AFTER_REPLY = 1 << 5, /* QUIT, protocol error: close once the output is flushed */
    CL_CLOSE_ASAP = 1 << 6,  /* CLIENT KILL, output limit: close now */
    CL_AUTHENTICATED = 1 << 7,
    CL_MASTER = 1 << 8,      /* the replication master's link */
    CL_REPLICA = 1 << 9,
    CL_PUBSUB = 1 << 10,     /* subscribed to something: RESP2 allows only the pub/sub commands, PING, QUIT, RESET */
};

/* REPLY_ON_ACK: left by CLIENT REPLY ON, which answers even when its own
 * reply was to be skipped (Redis clears the skip before it replies; RESET
 * does not, so +RESET is skipped); the dispatcher turns it into REPLY_ON
 * once the command ran. */
/* REPLY_NONE_THIS: set by a command that answers nothing (REPLCONF ACK,
 * as Redis); the dispatcher drops its reply and goes back to REPLY_ON. */
enum client_reply_mode { REPLY_ON = 0, REPLY_OFF = 1, REPLY_SKIP_NEXT = 2, REPLY_SKIP = 3, REPLY_ON_ACK = 4, REPLY_NONE_THIS = 5 };

struct client {
    uint64_t id;        /* (any) unique, increasing (CLIENT ID) */
    int worker;         /* (any) owning worker index */
    int fd;             /* (any) */
    uint8_t resp;       /* 2 or 3 */
    uint8_t reply_mode; /* enum client_reply_mode */
    int db;             /* SELECTed database (only 0 exists today) */
    uint32_t flags;     /* enum client_flag */
    char *name;         /* CLIENT SETNAME, NULL if none */
    char *lib_name;     /* CLIENT SETINFO LIB-NAME */
    char *lib_ver;
    char addr[64];      /* (any) "ip:port" of the peer */
    char laddr[64];     /* (any) "ip:port" of our side */
    int64_t ctime_ms;   /* (any) connection time */
    int64_t last_ms;    /* (any) last command time */
    const char *last_cmd; /* (any) name of the last command ("NULL" before any) */
    const char *last_sub; /* (any) its subcommand ("list" of CLIENT LIST), or NULL */
    size_t qbuf;        /* (any) bytes in the query buffer */
    size_t qbuf_cap;    /* (any) its capacity */
    /* Output, as CLIENT LIST shows it (published by the owner at each loop
     * turn that touched it and whenever its block list grows): */
    size_t obl;         /* (any) bytes in the current block (Redis: the fixed buffer) */
    size_t oll;         /* (any) blocks queued in the list */
    size_t omem;        /* (any) output memory: the list's blocks + finished replies held */
    size_t obuf_cap;    /* (any) capacity of the current block */
    uint64_t tot_net_in, tot_net_out, tot_cmds; /* (any) */
    struct pubsub_client *pubsub; /* subscriptions (pubsub.c); NULL until the first one */
    struct multi_state *multi;    /* MULTI queue and WATCHed keys (multi.c); NULL until used */
    struct repl_peer *repl;       /* a replica's REPLCONF facts and feed (replication/); NULL until REPLCONF/PSYNC */
    uint32_t sub_channels;        /* (any) SUBSCRIBE count (CLIENT LIST sub=) */
    uint32_t sub_patterns;        /* (any) PSUBSCRIBE count (psub=) */
    uint32_t sub_shard;           /* (any) SSUBSCRIBE count (ssub=) */
    struct client *next_in_worker; /* the owning worker's client list */
    struct client *prev_in_worker;
};

#endif
