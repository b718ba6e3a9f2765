/* engine.h: one loadgen thread: an io_uring, C clients, their connections.
 *
 * A client is one logical connection: standalone it is one TCP connection;
 * with --cluster it holds one connection per master (as memtier does) and
 * sends each request to the owner of its key's slot. A client keeps up to
 * P requests in flight (closed loop, the default), or with --rate sends
 * each request at its scheduled time, still at most P in flight, and
 * measures latency from that scheduled time: a stalled server shows up as
 * latency, not as a lower offered rate (no coordinated omission).
 *
 * Per connection, two output buffers alternate: one is being sent (the
 * kernel reads it, it is never touched), new requests go into the other;
 * when the send completes they swap. One recv is posted at a time into a
 * plain growable buffer. Requests are remembered in a FIFO (start time,
 * key number, template, value size), so a MOVED or ASK reply can resend
 * the same command elsewhere, and a reply's latency is now - start.
 *
 * A connection that fails (refused, reset, closed) counts a "conn-error",
 * drops what it had in flight (counted as lost), and reconnects with
 * back-off (10 ms doubling to 1 s); in cluster mode the slot map is
 * refreshed too. Everything here is owned by the thread; main reads the
 * results only after pthread_join, and the interval halves as described
 * in loadgen.h. */
#ifndef LOADGEN_ENGINE_H
#define LOADGEN_ENGINE_H

#include "bench/loadgen/hist.h"
#include "bench/loadgen/loadgen.h"
#include "bench/loadgen/reply.h"

#include <liburing.h>

struct lg_conn;
struct lg_client;

struct lg_thread {
    int id;
    pthread_t tid;
    struct lg_run *run;
    const struct lg_opts *o;
    struct io_uring ring;
    bool ring_ok;

    struct lg_client *clients;
    int nclients;
    struct lg_conn **conns;   /* every connection, for timers and teardown */
    int nconns, conns_cap;
    struct lg_conn **dirty;   /* connections with unsent requests */
    int ndirty;
    unsigned ops;             /* SQEs in flight */
    int nbackoff;             /* connections waiting to reconnect */

    struct lg_cmap map;       /* cluster mode */
    bool refresh_wanted;
    uint64_t last_refresh;

    struct lg_keygen kg;
    struct lg_rng vrng;       /* value sizes */
    unsigned cycle_pos;

    bool started, stopping, closing_all;
    uint64_t quota;           /* requests to issue (0: no limit) */
    uint64_t end_ns;          /* stop issuing at (0: no limit) */
    uint64_t stop_at;
    uint64_t interval_ns;     /* open loop: per client */
    char start_err[160];      /* first connection failure at start */

    /* results (read by main after join) */
    uint64_t issued, completed, inflight, lost, moved, ask, reconnects, refreshes, timeouts;
    uint64_t bytes_in, bytes_out;
    uint64_t t_last;          /* time of the last reply */
    struct lg_hist *tot[LG_MAX_TMPL];
    struct lg_errtab errs;

    /* progress: two interval halves, swapped on each epoch */
    struct lg_hist *iv[2];
    unsigned epoch, cur;
    atomic_uint acked;        /* last epoch seen: iv[(acked - 1) & 1] is main's */
    atomic_bool finished;
    atomic_uint_fast64_t pub_errors;
};

struct lg_thread *lg_thread_create(struct lg_run *run, int id);
void lg_thread_destroy(struct lg_thread **t);
/* pthread entry point; arg is the struct lg_thread. */
void *lg_thread_main(void *arg);

#endif
