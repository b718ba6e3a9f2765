/* pubsub_int.h: private parts of Pub/Sub shared by pubsub.c (the per-worker
 * registry, delivery, census) and cmd_pubsub.c (the commands). Nothing
 * outside those two files may include it.
 *
 * One worker's registry:
 *
 *   names: (kind, name) -> struct ps_chan          subs: (chan, client) -> struct ps_sub
 *
 *   ps_chan "news" ---- subscribers, in subscription order ---->  ps_sub(A) <-> ps_sub(B)
 *                                                                    |            |
 *   client A's pubsub_client: per kind, its ps_subs in order  -------+            |
 *   client B's ...                                           ---------------------+
 *
 *   patterns: the pattern ps_chans in first-subscription order (PUBLISH
 *   matches every one of them against the channel).
 *
 * A ps_sub is in three lists at once (the membership table, its channel's
 * subscribers, its client's subscriptions of that kind), so subscribe,
 * unsubscribe and membership tests are O(1) and unsubscribe-all walks only
 * the client's own list. Everything here belongs to one worker thread. */
#ifndef TESSERA_PUBSUB_INT_H
#define TESSERA_PUBSUB_INT_H

#include "core/pubsub.h"

/* ---- An intrusive chained hash table (power-of-two buckets) ---- */
struct ps_node {
    struct ps_node *next;
    uint64_t hash;
};

struct ps_table {
    struct ps_node **b;
    size_t size; /* buckets, 0 or a power of two */
    size_t n;    /* entries */
};

struct ps_sub;

/* A name with at least one subscriber on this worker. */
struct ps_chan {
    struct ps_node node;          /* first: in the worker's names table */
    struct ps_sub *subs_head, *subs_tail;
    uint32_t nsubs;
    uint8_t kind;                 /* enum pubsub_kind */
    struct ps_chan *pnext, *pprev; /* PUBSUB_PATTERN: the worker's pattern list */
    size_t len;
    char name[];
};

/* One client's subscription to one ps_chan. */
struct ps_sub {
    struct ps_node node;          /* first: in the worker's subs table */
    struct ps_chan *chan;
    struct client *cl;
    struct ps_sub *cnext, *cprev; /* the channel's subscribers */
    struct ps_sub *knext, *kprev; /* the client's subscriptions of this kind */
};

struct pubsub_client {
    struct ps_sub *head[PUBSUB_NKINDS], *tail[PUBSUB_NKINDS];
    uint32_t n[PUBSUB_NKINDS];
};

/* ---- Registry (pubsub.c); all on the calling worker's thread ---- */

/* Subscribe cl (owned by worker sh) to name as kind. Returns true if it
 * was new, false if cl already had it. */
bool pubsub_sub_add(struct shard *sh, struct client *cl, int kind, const char *name, size_t len);
/* Remove cl's subscription; false if it had none. */
bool pubsub_sub_del(struct shard *sh, struct client *cl, int kind, const char *name, size_t len);
/* This worker's ps_chan for (kind, name), or NULL. */
struct ps_chan *pubsub_lookup(struct shard *sh, int kind, const char *name, size_t len);
/* Call fn(chan, arg) for every ps_chan of kind on this worker. */
void pubsub_foreach(struct shard *sh, int kind, void (*fn)(const struct ps_chan *ch, void *arg), void *arg);
/* cl's subscription count of a kind (0 when it never subscribed). */
static inline uint32_t
ps_client_count(const struct client *cl, int kind)
{
    return cl->pubsub ? cl->pubsub->n[kind] : 0;
}
/* Workers with subscriptions that a PUBLISH (sharded=false: channels and
 * patterns) or an SPUBLISH (sharded=true) must visit: sets their bits in
 * mask (CMD_FANOUT_MASK_WORDS words, zeroed by the caller); returns how
 * many. Any thread. */
int pubsub_workers_with_subs(bool sharded, uint64_t *mask);

#endif
