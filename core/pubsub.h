/* pubsub.h: Redis 7.0 Pub/Sub (SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE, their
 * UNSUBSCRIBE forms, PUBLISH, SPUBLISH, PUBSUB) without a global lock on
 * the publish path.
 *
 * Each worker keeps its own registry of the subscriptions of the
 * connections it owns (channel -> subscribers, pattern -> subscribers,
 * shard channel -> subscribers). A subscription never leaves its worker:
 *
 *   SUBSCRIBE on w1      -> w1's registry gains (channel, client)
 *   PUBLISH on w0        -> fan-out to every worker with subscribers;
 *                           each delivers to its own clients and counts;
 *                           w0 replies with the sum, then calls
 *                           pubsub_cluster_hook
 *   cluster thread       -> pubsub_deliver_external posts the message to
 *                           every worker (g_rt.post), which delivers it
 *
 * Order: a publisher's messages travel to a worker through one FIFO (the
 * inter-worker ring, or the worker's inbox for external ones), so two
 * PUBLISHes from one connection reach every subscriber in issue order.
 *
 * PUBSUB CHANNELS / NUMSUB / NUMPAT / SHARDCHANNELS / SHARDNUMSUB fan out
 * the same way and merge the workers' answers (a name subscribed on two
 * workers is listed once). INFO's distinct counts come from a small
 * process-wide census of names, touched only when a name gains its first
 * or loses its last subscriber on some worker (never when publishing).
 *
 * Reply bytes are redis-server 7.0.15's: RESP2 arrays, RESP3 push frames. */
#ifndef TESSERA_PUBSUB_H
#define TESSERA_PUBSUB_H

#include "core/client.h"
#include "core/common.h"

struct shard;

/* What a name is subscribed as. Counts in SUBSCRIBE/PSUBSCRIBE replies are
 * channels + patterns; SSUBSCRIBE replies count shard channels alone, as
 * Redis 7.0 does. */
enum pubsub_kind { PUBSUB_CHANNEL = 0, PUBSUB_PATTERN = 1, PUBSUB_SHARD = 2, PUBSUB_NKINDS = 3 };

/* Register the Pub/Sub command tables. Call once, before workers start. */
void pubsub_register(void);

/* ---- Cluster seam ----
 *
 * (a) When non-NULL, PUBLISH and SPUBLISH call this after the local
 * delivery finished, on the publishing client's worker thread, so the
 * cluster thread can broadcast the message to the other nodes. The buffers
 * are valid only during the call: copy what you keep; do not block. Set it
 * once at setup, before workers start. */
extern void (*pubsub_cluster_hook)(bool sharded, const char *ch, size_t chlen, const char *msg, size_t msglen);

/* (b) Deliver a message that arrived from another node to this node's
 * subscribers on every worker. Callable from any thread that is not a
 * worker (the cluster thread); it copies ch and msg and returns at once,
 * delivery happens on the workers shortly after. Messages passed by one
 * thread reach each subscriber in call order. Does not call
 * pubsub_cluster_hook. */
void pubsub_deliver_external(bool sharded, const char *ch, size_t chlen, const char *msg, size_t msglen);

/* ---- Runtime and core glue ---- */

/* Drop every subscription of cl without notifying it and leave the
 * subscribed context (RESET, connection close). On cl's own worker. */
void pubsub_client_clear(struct shard *sh, struct client *cl);

/* Deliver a message to the subscribers of worker sh (its own thread):
 * "message"/"smessage" to the channel's subscribers, then "pmessage" to
 * each matching pattern's (not for sharded). Returns the number of
 * deliveries, PUBLISH's reply contribution. */
long pubsub_deliver_local(struct shard *sh, bool sharded, const char *ch, size_t chlen, const char *msg,
                          size_t msglen);

/* Publish a message to the channel and pattern subscribers of this node
 * only (keyspace notifications: Redis never sends them to other nodes),
 * from worker sh's thread: its own subscribers get it now, the other
 * workers' through their rings, after everything sh sent them before.
 * ch and msg are copied. */
void pubsub_deliver_node(struct shard *sh, const char *ch, size_t chlen, const char *msg, size_t msglen);

/* Distinct names subscribed on the whole node, by enum pubsub_kind (INFO
 * pubsub_channels, pubsub_patterns, pubsubshard_channels). Any thread. */
void pubsub_census(uint64_t out[PUBSUB_NKINDS]);

#endif
