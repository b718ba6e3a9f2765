/* pubsub_shim.h: plain-C access to the Pub/Sub seams and to runtime_post
 * for tests/unit/net/test_pubsub.cpp, next to net_shim (which starts the
 * in-process runtime). Every call here is made from the test's own threads,
 * which are not workers: exactly the situation of the cluster bus thread. */
#ifndef TESSERA_PUBSUB_SHIM_H
#define TESSERA_PUBSUB_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* runtime_post a task to every worker from the calling thread; returns how
 * many tasks ran on their own worker's thread (with the right worker index)
 * within timeout_ms, or a negative errno from runtime_post. */
int pubsub_shim_post_each(int timeout_ms);
/* runtime_post with an out-of-range worker: its return value. */
int pubsub_shim_post_bad_worker(void);
/* The worker that owns the connection with CLIENT ID id (asked through
 * runtime_post, so the lookup runs on the workers themselves), -1 if none. */
int pubsub_shim_client_worker(uint64_t id, int timeout_ms);
/* pubsub_deliver_external from the calling thread. */
void pubsub_shim_deliver_external(int sharded, const char *ch, const char *msg);
/* Install (on=1) or remove a pubsub_cluster_hook that records its calls. */
void pubsub_shim_capture_hook(int on);
/* Calls recorded so far, and the arguments of the last one (NUL-terminated
 * copies, truncated to the capacities). */
int pubsub_shim_hook_calls(void);
void pubsub_shim_hook_last(int *sharded, char *ch, size_t chcap, char *msg, size_t msgcap);

#ifdef __cplusplus
}
#endif
#endif
