/* cluster_setup.c: entering cluster mode at start-up (nodes.conf lock, load
 * or create, myself's address from the config, first snapshot), and the
 * small runtime hooks that update myself afterwards. */
#include "cluster/bus_int.h"
#include "cluster/cluster.h"

#include "core/config.h"
#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* Read the whole file; *out = NULL and 0 when it does not exist. */
static int
read_file(const char *path, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -errno;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    char *buf = ts_malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    *out = buf;
    *len = got;
    return 0;
}

/* Myself's advertised address follows the config on every start, as Redis
 * does (the port may have changed since nodes.conf was written), and the
 * cluster thread re-applies it each cron so CONFIG SET cluster-announce-*
 * takes effect. Returns true if anything changed. */
bool
cluster_apply_my_address(struct cluster_snap *s)
{
    struct cluster_node *me = &s->nodes[s->myself];
    struct cluster_node old = *me;
    int port = g_cfg.cluster_announce_port ? g_cfg.cluster_announce_port : g_cfg.port;
    int cport = g_cfg.cluster_announce_bus_port ? g_cfg.cluster_announce_bus_port
                : g_cfg.cluster_port            ? g_cfg.cluster_port
                                                : g_cfg.port + 10000;
    me->port = port;
    me->cport = cport;
    if (g_cfg.cluster_announce_ip && g_cfg.cluster_announce_ip[0])
        snprintf(me->ip, sizeof(me->ip), "%s", g_cfg.cluster_announce_ip);
    snprintf(me->hostname, sizeof(me->hostname), "%s",
             g_cfg.cluster_announce_hostname ? g_cfg.cluster_announce_hostname : "");
    me->link_connected = true;
    return old.port != me->port || old.cport != me->cport || strcmp(old.ip, me->ip) != 0 ||
           strcmp(old.hostname, me->hostname) != 0;
}

int
cluster_setup(void)
{
    const char *path = g_cfg.cluster_config_file && g_cfg.cluster_config_file[0] ? g_cfg.cluster_config_file
                                                                                  : "nodes.conf";
    int rc = cluster_config_lock(path);
    if (rc == -EWOULDBLOCK) {
        log_warn("Sorry, the cluster configuration file %s is already used by a different Redis Cluster "
                 "node. Please make sure that different nodes use different cluster configuration files.",
                 path);
        return rc;
    }
    if (rc < 0) {
        log_warn("Can't open %s in order to acquire a lock: %s", path, strerror(-rc));
        return rc;
    }
    char *text;
    size_t len;
    rc = read_file(path, &text, &len);
    if (rc < 0) {
        log_warn("Loading the cluster node config from %s: %s", path, strerror(-rc));
        cluster_config_unlock();
        return rc;
    }
    struct cluster_snap *s;
    if (len == 0) {
        /* A missing or empty file is a brand-new node. */
        char id[CLUSTER_NAMELEN + 1];
        cluster_node_gen_id(id);
        s = cluster_snap_create();
        s->myself = cluster_snap_add_node(s, id, CN_MYSELF | CN_MASTER);
        log_notice("No cluster configuration found, I'm %s", id);
    } else {
        char err[1200];
        s = cluster_config_parse(text, len, ts_mstime(), err, sizeof(err));
        if (!s) {
            log_warn("%s", err);
            fprintf(stderr, "%s\n", err);
            ts_free(text);
            cluster_config_unlock();
            return -EINVAL;
        }
        log_notice("Node configuration loaded, I'm %.40s", s->nodes[s->myself].id);
    }
    ts_free(text);
    cluster_apply_my_address(s);
    cluster_mc_install(s, path);
    bus_pubsub_install(); /* before workers start: PUBLISH reaches the bus */
    cluster_lock();
    rc = cluster_mc_save();
    cluster_mc_publish();
    cluster_unlock();
    if (rc < 0) {
        log_warn("Fatal: can't update cluster config file.");
        return rc;
    }
    return 0;
}

void
cluster_set_my_ip_if_unknown(const char *ip)
{
    if (!ip || !ip[0])
        return;
    cluster_read_begin();
    const struct cluster_snap *s = cluster_snap_get();
    bool unknown = s && s->myself >= 0 && s->nodes[s->myself].ip[0] == '\0';
    cluster_read_end();
    if (!unknown)
        return;
    if (strncmp(ip, "::ffff:", 7) == 0 && strchr(ip + 7, '.'))
        ip += 7; /* IPv4-mapped IPv6: peers know us by the IPv4 form */
    cluster_lock();
    struct cluster_snap *mc = cluster_mc();
    if (mc && mc->nodes[mc->myself].ip[0] == '\0') {
        snprintf(mc->nodes[mc->myself].ip, sizeof(mc->nodes[mc->myself].ip), "%s", ip);
        log_notice("IP address for this node updated to %s", mc->nodes[mc->myself].ip);
        cluster_mc_save();
        cluster_mc_publish();
    }
    cluster_unlock();
}

void
cluster_refresh_state(void)
{
    cluster_lock();
    cluster_mc_publish();
    cluster_unlock();
}
