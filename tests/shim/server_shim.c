/* server_shim.c: see server_shim.h. Compiled as C, so the tests never see
 * core's headers. */
#include "tests/shim/server_shim.h"

#include "core/buf.h"
#include "core/client.h"
#include "core/cmd.h"
#include "core/reply.h"
#include "core/server_cmds.h"
#include "core/shard.h"

#include <stdio.h>

static size_t
shim_copy_out(struct ts_buf *b, char *out, size_t cap)
{
    size_t n = TS_MIN(b->len, cap ? cap - 1 : 0);
    if (cap) {
        memcpy(out, b->data ? b->data : "", n);
        out[n] = '\0';
    }
    ts_buf_free(b);
    return n;
}

/* Split args on spaces into at most 16 views. */
static int
shim_split(const char *args, struct sv *argv)
{
    int n = 0;
    const char *p = args;
    while (*p && n < 16) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *e = p;
        while (*e && *e != ' ')
            e++;
        argv[n++] = (struct sv){ p, (size_t)(e - p) };
        p = e;
    }
    return n;
}

static void
shim_cluster_hook(struct ts_buf *out)
{
    const char *s = "cluster_enabled:1\r\ncluster_state:ok\r\n";
    ts_buf_append(out, s, strlen(s));
}

size_t
shim_info_text(const char *args, char *out, size_t cap)
{
    struct info_stats st;
    memset(&st, 0, sizeof(st));
    st.os = "Linux 6.1.0 x86_64";
    st.run_id = "0123456789abcdef0123456789abcdef01234567";
    st.executable = "/usr/bin/tessera-server";
    st.config_file = "";
    st.gcc_version = "12.2.0";
    st.pid = 4242;
    st.tcp_port = 6379;
    st.now_us = 1700000000123456LL;
    st.uptime_s = 2 * 86400 + 5;
    st.hz = 10;
    st.configured_hz = 10;
    st.cluster_mode = strstr(args, "cluster") != NULL;
    st.cluster_hook = st.cluster_mode ? shim_cluster_hook : NULL;
    st.nworkers = 2;
    st.connected_clients = 3;
    st.maxclients = 10000;
    st.used_memory = 1042016;
    st.used_memory_rss = 7041024;
    st.used_memory_peak = 2 * 1042016;
    st.used_memory_dataset = 1000;
    st.maxmemory_policy = "noeviction";
    st.lastsave = 1700000000;
    st.connections = 10;
    st.commands = 100;
    st.ops_per_sec = 42;
    st.hits = 5;
    st.misses = 6;
    st.errors = 7;
    st.expired_keys = 8;
    st.replid = "fedcba9876543210fedcba9876543210fedcba98";
    st.repl_backlog_size = 1048576;
    st.cpu_sys = 0.5;
    st.cpu_user = 1.25;
    st.ncpu_workers = 2;
    st.worker_user[0] = 0.75;
    st.worker_user[1] = 0.5;
    st.keys = strstr(args, "empty") ? 0 : 12;
    st.expires = strstr(args, "empty") ? 0 : 3;
    struct sv argv[16];
    int argc = shim_split(args, argv);
    /* "empty" is only a switch for the canned keyspace */
    int k = 0;
    for (int i = 0; i < argc; i++)
        if (!sv_eq_ci(argv[i], "empty"))
            argv[k++] = argv[i];
    struct ts_buf b = { 0 };
    info_format(&b, &st, info_parse_sections(k, argv));
    return shim_copy_out(&b, out, cap);
}

unsigned
shim_info_mask(const char *args)
{
    struct sv argv[16];
    int argc = shim_split(args, argv);
    return info_parse_sections(argc, argv);
}

void
shim_bytes_human(uint64_t n, char *out, size_t cap)
{
    info_bytes_human(out, cap, n);
}

size_t
shim_client_line(const char *name, unsigned flags, char *out, size_t cap)
{
    struct client cl;
    memset(&cl, 0, sizeof(cl));
    cl.id = 7;
    cl.fd = 9;
    cl.resp = 2;
    cl.flags = flags;
    cl.name = (char *)name;
    snprintf(cl.addr, sizeof(cl.addr), "127.0.0.1:40000");
    snprintf(cl.laddr, sizeof(cl.laddr), "127.0.0.1:6379");
    cl.ctime_ms = 1000000;
    cl.last_ms = 1000000 + 2000;
    cl.last_cmd = "client|list";
    cl.qbuf = 26;
    cl.qbuf_cap = 16384;
    cl.obuf_cap = 1024;
    struct ts_buf b = { 0 };
    client_format_line(&b, &cl, 1000000 + 5500);
    return shim_copy_out(&b, out, cap);
}

static const struct cmd_def shim_defs[] = {
    { .name = "get", .arity = 2, .flags = CMD_READONLY | CMD_FAST, .route = ROUTE_KEYS, .first_key = 1,
      .last_key = 1, .key_step = 1, .acl = "read string fast", .ks_flags = "RO ACCESS" },
    { .name = "mset", .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM, .route = ROUTE_KEYS, .first_key = 1,
      .last_key = -1, .key_step = 2, .acl = "write string slow", .ks_flags = "OW UPDATE" },
    { .name = NULL },
};

size_t
shim_command_info(const char *which, int resp, char *out, size_t cap)
{
    static bool registered;
    if (!registered) {
        server_register_commands();
        registered = true;
    }
    const struct cmd_def *d = NULL;
    for (const struct cmd_def *s = shim_defs; s->name; s++)
        if (strcmp(s->name, which) == 0)
            d = s;
    if (!d)
        d = cmd_lookup((struct sv){ which, strlen(which) });
    struct ts_buf b = { 0 };
    struct reply r;
    reply_init(&r, &b, (uint8_t)resp);
    if (d)
        command_reply_info(&r, d, NULL);
    return shim_copy_out(&b, out, cap);
}

int
shim_slowlog_cap(int argc, size_t arglen, int i, char *out, size_t cap)
{
    char *buf = ts_malloc(arglen + 1);
    memset(buf, 'a', arglen);
    struct sv *argv = ts_malloc(sizeof(struct sv) * (size_t)(argc ? argc : 1));
    for (int j = 0; j < argc; j++)
        argv[j] = (struct sv){ buf, arglen };
    char *res[SLOWLOG_MAX_ARGC];
    size_t lens[SLOWLOG_MAX_ARGC];
    int n = slowlog_cap_args(argc, argv, res, lens);
    if (i >= 0 && i < n && cap)
        snprintf(out, cap, "%s", res[i]);
    for (int j = 0; j < n; j++)
        ts_free(res[j]);
    ts_free(argv);
    ts_free(buf);
    return n;
}

size_t
shim_monitor_line(int64_t now_us, const char *addr, int argc, const char **argv, const size_t *lens, char *out,
                  size_t cap)
{
    struct sv v[16];
    for (int i = 0; i < argc && i < 16; i++)
        v[i] = (struct sv){ argv[i], lens[i] };
    struct ts_buf b = { 0 };
    monitor_format(&b, now_us, 0, addr, argc < 16 ? argc : 16, v);
    return shim_copy_out(&b, out, cap);
}

/* ---- Weak stand-ins for the runtime (net/) ----
 * core's server commands call into the runtime (fan-out, forwarding, the
 * shard table), which lives in tessera_net, linked before tessera_core, so
 * a unit test that pulls only core objects would leave them undefined. These
 * weak definitions satisfy the linker; a real runtime object, when linked,
 * overrides them. The fan-out stand-in runs each part inline on worker 0. */
__attribute__((weak)) struct shard *g_shards[MAX_WORKERS];

__attribute__((weak)) int
cmd_nworkers(void)
{
    return 1;
}

__attribute__((weak)) void
cmd_forward(struct cmd_ctx *c, int worker)
{
    c->forward_to = worker;
}

__attribute__((weak)) void
cmd_fanout(struct cmd_ctx *c, void *state, fanout_each_fn each, fanout_done_fn done, void (*free_state)(void *))
{
    each(g_shards[0], state, 0);
    done(state, c->r, c->cl);
    free_state(state);
}
