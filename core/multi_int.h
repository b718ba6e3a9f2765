/* multi_int.h: what multi.c (MULTI, WATCH, the queue) shares with
 * multi_exec.c (EXEC). Private to core/multi*.c. */
#ifndef TESSERA_MULTI_INT_H
#define TESSERA_MULTI_INT_H

#include "core/common.h"

struct shard;
struct cmd_ctx;
struct cmd_def;

/* Shared by a client and the registry entries of its watched keys on any
 * worker: refs counts them all (atomic); dirty is set by any worker. */
struct watch_state {
    int refs;
    int dirty;
};

struct multi_cmd {
    const struct cmd_def *cmd;
    int argc;
    struct sv *argv; /* into buf */
    char *buf;
};

struct multi_state {
    bool active;
    bool dirty;               /* a command was refused while queuing: EXECABORT */
    int n, cap;
    struct multi_cmd *cmds;
    struct watch_state *ws;   /* NULL when nothing is watched */
    int nwatch, capwatch;
    struct sv *wkeys;         /* each key ts_malloc'd */
};

/* A watched key's registry entry on its owner: the state, and whether
 * the key was already logically expired when watched (Redis aborts EXEC
 * for a key that expired since). */
struct watch_entry {
    struct watch_entry *next;
    struct watch_state *ws;
    bool expired_at_watch;
};

/* Drop one reference to ws (the last frees it). */
void multi_ws_unref(struct watch_state *ws);
/* The key is there but past its deadline (not yet deleted), on sh. */
bool multi_key_expired(struct shard *sh, struct sv key);
/* ws's registry entry for key on sh, or NULL. */
struct watch_entry *multi_watch_find(struct shard *sh, struct sv key, struct watch_state *ws);
/* Ask each key's owner to drop ws's entry for it; the keys' memory goes
 * with the messages. */
void multi_watch_drop_keys(struct watch_state *ws, struct sv *keys, int n);
/* Empty the client's queue and leave MULTI. */
void multi_free_queue(struct multi_state *ms);
/* Forget every watched key. */
void multi_unwatch_all(struct multi_state *ms);

/* EXEC (multi_exec.c). */
void multi_cmd_exec(struct cmd_ctx *c);

#endif
