/* bus_pubsub.c: PUBLISH and SPUBLISH across the cluster (cluster-bus.md
 * §4, §11). A worker that served PUBLISH hands the message to
 * pubsub_cluster_hook, which queues a copy and wakes the cluster thread
 * (eventfd read armed in its ring); the thread broadcasts PUBLISH to every
 * node, or PUBLISHSHARD to the other nodes of my shard (my master and its
 * replicas). A PUBLISH arriving from a known node is delivered to this
 * node's subscribers with pubsub_deliver_external. */
#include "cluster/bus_int.h"

#include "core/log.h"
#include "core/pubsub.h"

#include <pthread.h>
#include <unistd.h>

struct pub_item {
    struct pub_item *next;
    bool sharded;
    uint32_t chlen, msglen;
    char data[]; /* channel then message */
};

static pthread_mutex_t pub_mu = PTHREAD_MUTEX_INITIALIZER;
static struct pub_item *pub_head;
static struct pub_item **pub_tail = &pub_head;
int g_bus_wake_fd = -1;

/* On a worker thread: copy, queue, wake. */
static void
bus_pubsub_enqueue(bool sharded, const char *ch, size_t chlen, const char *msg, size_t msglen)
{
    if (chlen > UINT32_MAX || msglen > UINT32_MAX || chlen + msglen > BUS_MAX_MSG_LEN - BUS_PUBLISH_MIN)
        return; /* cannot fit one bus message; the local delivery happened */
    struct pub_item *it = ts_malloc(sizeof(*it) + chlen + msglen);
    it->next = NULL;
    it->sharded = sharded;
    it->chlen = (uint32_t)chlen;
    it->msglen = (uint32_t)msglen;
    memcpy(it->data, ch, chlen);
    memcpy(it->data + chlen, msg, msglen);
    pthread_mutex_lock(&pub_mu);
    *pub_tail = it;
    pub_tail = &it->next;
    pthread_mutex_unlock(&pub_mu);
    int fd = __atomic_load_n(&g_bus_wake_fd, __ATOMIC_ACQUIRE);
    if (fd >= 0) {
        uint64_t one = 1;
        ssize_t n = write(fd, &one, sizeof(one));
        (void)n; /* a full counter still wakes the thread */
    }
}

void
bus_pubsub_install(void)
{
    pubsub_cluster_hook = bus_pubsub_enqueue;
}

void
bus_pubsub_drain(void)
{
    if (!__atomic_load_n(&pub_head, __ATOMIC_ACQUIRE))
        return;
    pthread_mutex_lock(&pub_mu);
    struct pub_item *list = pub_head;
    pub_head = NULL;
    pub_tail = &pub_head;
    pthread_mutex_unlock(&pub_mu);
    while (list) {
        struct pub_item *it = list;
        list = it->next;
        struct bus_out o = {0};
        bus_fill_header(&o.h, it->sharded ? BUS_PUBLISHSHARD : BUS_PUBLISH);
        o.channel = it->data;
        o.channel_len = it->chlen;
        o.message = it->data + it->chlen;
        o.message_len = it->msglen;
        if (it->sharded) {
            /* My shard: my master (or me) and its replicas. */
            struct cluster_snap *mc = cluster_mc();
            const struct cluster_node *me = &mc->nodes[mc->myself];
            bus_send_shard(&o, ((me->flags & CN_SLAVE) && me->master >= 0) ? me->master : mc->myself);
        } else {
            bus_broadcast(&o);
        }
        ts_free(it);
    }
}

void
bus_pubsub_receive(const struct bus_msg *m)
{
    pubsub_deliver_external(m->h.type == BUS_PUBLISHSHARD, m->channel, m->channel_len, m->message,
                            m->message_len);
}

void
bus_pubsub_discard(void)
{
    pthread_mutex_lock(&pub_mu);
    while (pub_head) {
        struct pub_item *it = pub_head;
        pub_head = it->next;
        ts_free(it);
    }
    pub_tail = &pub_head;
    pthread_mutex_unlock(&pub_mu);
}
