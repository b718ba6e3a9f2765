/* repl_cmds.c: REPLICAOF and its old name SLAVEOF (spec/replication.md
 * §2), with Redis 7.0's replies and errors:
 *
 *   REPLICAOF host port   +OK, or "+OK Already connected to specified
 *                         master" when host (case-insensitively) and port
 *                         are the current master's
 *   REPLICAOF NO ONE      +OK; the node becomes a master (repl_promote)
 *   in cluster mode       -ERR REPLICAOF not allowed in cluster mode.
 *   a bad port            -ERR Invalid master port (not an integer in 0..65535)
 *
 * Both only record the wish: the link thread (repl_link.c) connects and
 * syncs in the background, as Redis's replicationSetMaster does. */
#include "replication/repl_link.h"

#include "core/client.h"
#include "core/cmd.h"
#include "core/log.h"
#include "core/reply.h"
#include "core/server.h"
#include "replication/repl.h"
#include "replication/repl_int.h"

#include <strings.h>

static void
replicaof_proc(struct cmd_ctx *c)
{
    if (g_server.cluster_mode) {
        reply_error(c->r, "ERR REPLICAOF not allowed in cluster mode.");
        return;
    }
    const char *who = c->cl ? c->cl->addr : "?";
    if (sv_eq_ci(c->argv[1], "no") && sv_eq_ci(c->argv[2], "one")) {
        if (repl_is_replica()) {
            /* repl_promote shifts the replication IDs and drops the link;
             * repl_link_stop makes sure of the latter (idempotent). */
            repl_promote();
            repl_link_stop();
            log_notice("MASTER MODE enabled (user request from '%s')", who);
        }
        reply_ok(c->r);
        return;
    }
    long long port;
    if (!ts_str_to_ll(c->argv[2].ptr, c->argv[2].len, &port) || port < 0 || port > 65535) {
        reply_error(c->r, "ERR Invalid master port");
        return;
    }
    char host[256];
    size_t n = c->argv[1].len < sizeof(host) - 1 ? c->argv[1].len : sizeof(host) - 1;
    memcpy(host, c->argv[1].ptr, n);
    host[n] = '\0';
    struct repl_link_info li;
    repl_link_info(&li);
    if (li.state != REPL_LINK_NONE && li.port == (int)port && strcasecmp(li.host, host) == 0) {
        reply_simple(c->r, "OK Already connected to specified master");
        return;
    }
    repl_set_master(host, (int)port);
    log_notice("REPLICAOF %s:%d enabled (user request from '%s')", host, (int)port, who);
    reply_ok(c->r);
}

static const struct cmd_def repl_cmds[] = {
    {.name = "replicaof", .arity = 3, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_STALE, .route = ROUTE_LOCAL,
     .proc = replicaof_proc, .acl = "admin slow dangerous", .group = "server", .since = "5.0.0",
     .summary = "Configures a server as replica of another, or promotes it to a master."},
    {.name = "slaveof", .arity = 3, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_STALE, .route = ROUTE_LOCAL,
     .proc = replicaof_proc, .acl = "admin slow dangerous", .group = "server", .since = "1.0.0",
     .summary = "Sets a Redis server as a replica of another, or promotes it to being a master."},
    {.name = NULL},
};

void
repl_link_register_commands(void)
{
    cmd_register_table(repl_cmds);
}
