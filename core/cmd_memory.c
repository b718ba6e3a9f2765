/* cmd_memory.c: MEMORY STATS, Redis 7.0's field names over Tessera's
 * figures: the allocation total of mem.h (every live block's usable size),
 * each worker's keyspace split into its tables and its keys, and the
 * allocator's and the kernel's views (mimalloc's committed bytes, RSS).
 * Gathered by a fan-out (each worker measures its own keyspace on its
 * own thread), formatted on the client's worker. */
#include "core/server_cmds.h"

#include "core/keyspace.h"
#include "core/mem.h"
#include "core/shard.h"


struct memstats_worker {
    struct ks_overhead ov;
    uint64_t keys;
    size_t ks_mem;
    size_t clients_mem;
};

struct memstats_fanout {
    struct memstats_worker w[MAX_WORKERS];
};

static void
memstats_each(struct shard *sh, void *arg, int worker)
{
    struct memstats_fanout *f = arg;
    mem_flush(); /* this worker's unpublished bytes */
    if (sh->ks) {
        ks_overhead(sh->ks, &f->w[worker].ov);
        f->w[worker].keys = ks_count(sh->ks);
        f->w[worker].ks_mem = ks_mem_bytes(sh->ks);
    }
    f->w[worker].clients_mem = shard_clients_memory(sh);
}

static double
ratio(double a, double b)
{
    return b > 0 ? a / b : 0;
}

static void
kv_int(struct reply *r, const char *name, long long v)
{
    reply_bulk_cstr(r, name);
    reply_int(r, v);
}

static void
kv_dbl(struct reply *r, const char *name, double v)
{
    reply_bulk_cstr(r, name);
    reply_double(r, v);
}

static void
memstats_done(void *arg, struct reply *r, struct client *cl)
{
    (void)cl;
    struct memstats_fanout *f = arg;
    struct ks_overhead ov = {0, 0, 0};
    uint64_t keys = 0;
    size_t kv_bytes = 0; /* keys and values: the keyspaces less their tables */
    size_t clients = 0;
    for (int i = 0; i < cmd_nworkers() && i < MAX_WORKERS; i++) {
        const struct memstats_worker *w = &f->w[i];
        ov.main += w->ov.main;
        ov.expires += w->ov.expires;
        ov.slot_index += w->ov.slot_index;
        keys += w->keys;
        clients += w->clients_mem;
        kv_bytes += w->ks_mem - TS_MIN(w->ks_mem, w->ov.main + w->ov.expires);
    }
    mem_flush();
    size_t used = mem_used(), startup = TS_MIN(mem_startup(), used), peak = mem_peak_note(used);
    /* Everything that is not a key or a value is overhead: start-up
     * structures, the tables, and the buffers not itemised above. */
    size_t dataset = TS_MIN(kv_bytes, used), overhead = used - dataset;
    size_t net = used - startup;
    size_t elapsed, user, sys, mi_rss, peak_rss, commit, peak_commit, faults;
    mi_process_info(&elapsed, &user, &sys, &mi_rss, &peak_rss, &commit, &peak_commit, &faults);
    uint64_t rss = mem_rss();
    /* allocator.*: what was asked (used), what mimalloc committed for it,
     * what of that is resident; then the process as the kernel sees it. */
    double active = (double)commit, resident = (double)TS_MIN((uint64_t)mi_rss, rss);
    reply_map(r, keys ? 28 : 27); /* db.0 only when it has keys, as Redis */
    kv_int(r, "peak.allocated", (long long)peak);
    kv_int(r, "total.allocated", (long long)used);
    kv_int(r, "startup.allocated", (long long)startup);
    kv_int(r, "replication.backlog", 0);
    kv_int(r, "clients.slaves", 0);
    kv_int(r, "clients.normal", (long long)clients);
    kv_int(r, "cluster.links", 0);
    kv_int(r, "aof.buffer", 0);
    kv_int(r, "lua.caches", 0);
    kv_int(r, "functions.caches", 0);
    if (keys) {
        reply_bulk_cstr(r, "db.0");
        reply_map(r, 3);
        kv_int(r, "overhead.hashtable.main", (long long)ov.main);
        kv_int(r, "overhead.hashtable.expires", (long long)ov.expires);
        kv_int(r, "overhead.hashtable.slot-to-keys", (long long)ov.slot_index);
    }
    kv_int(r, "overhead.total", (long long)overhead);
    kv_int(r, "keys.count", (long long)keys);
    kv_int(r, "keys.bytes-per-key", keys ? (long long)(net / keys) : 0);
    kv_int(r, "dataset.bytes", (long long)dataset);
    kv_dbl(r, "dataset.percentage", 100.0 * ratio((double)dataset, (double)net));
    kv_dbl(r, "peak.percentage", 100.0 * ratio((double)used, (double)peak));
    kv_int(r, "allocator.allocated", (long long)used);
    kv_int(r, "allocator.active", (long long)commit);
    kv_int(r, "allocator.resident", (long long)resident);
    kv_dbl(r, "allocator-fragmentation.ratio", ratio(active, (double)used));
    kv_int(r, "allocator-fragmentation.bytes", (long long)active - (long long)used);
    kv_dbl(r, "allocator-rss.ratio", ratio(resident, active));
    kv_int(r, "allocator-rss.bytes", (long long)resident - (long long)active);
    kv_dbl(r, "rss-overhead.ratio", ratio((double)rss, resident));
    kv_int(r, "rss-overhead.bytes", (long long)rss - (long long)resident);
    kv_dbl(r, "fragmentation", ratio((double)rss, (double)used));
    kv_int(r, "fragmentation.bytes", (long long)rss - (long long)used);
}

static void
memstats_free(void *arg)
{
    ts_free(arg);
}

void
cmd_memory_stats(struct cmd_ctx *c)
{
    struct memstats_fanout *f = ts_calloc(1, sizeof(*f));
    cmd_fanout(c, f, memstats_each, memstats_done, memstats_free);
}
