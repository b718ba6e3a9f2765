/* info.c: the INFO command.
 *
 * Numbers live with the workers (per-worker counters, keyspaces), so INFO
 * fans out: each worker copies its own counters into its slot of the state
 * (and measures its own thread's CPU time, which only that thread can do),
 * then the client's worker sums them with process-wide facts into a struct
 * info_stats and formats the text with info_format, a pure function that
 * unit tests drive directly. instantaneous_ops_per_sec comes from info_cron,
 * which worker 0 calls: it samples the summed command counter every 100 ms
 * into a 16-entry ring, as Redis's trackInstantaneousMetric does. */
#include "core/server_cmds.h"

#include "core/config.h"
#include "core/keyspace.h"
#include "core/mem.h"
#include "core/pubsub.h"
#include "core/server.h"
#include "core/shard.h"

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

/* ---- Formatting ---- */

void
info_bytes_human(char *buf, size_t cap, uint64_t n)
{
    static const char units[] = "KMGTPE";
    double d = (double)n;
    if (n < 1024) {
        snprintf(buf, cap, "%lluB", (unsigned long long)n);
        return;
    }
    int u = -1;
    while (d >= 1024 && u < 5) {
        d /= 1024;
        u++;
    }
    snprintf(buf, cap, "%.2f%c", d, units[u]);
}

static const char *
str_or_empty(const char *s)
{
    return s ? s : "";
}

static void
info_server(struct ts_buf *o, const struct info_stats *st)
{
    ts_buf_printf(o,
                "redis_version:%s\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\nredis_build_id:0\r\n"
                "redis_mode:%s\r\nos:%s\r\narch_bits:%d\r\nmonotonic_clock:POSIX clock_gettime\r\n"
                "multiplexing_api:io_uring\r\natomicvar_api:c11-builtin\r\ngcc_version:%s\r\n"
                "process_id:%lld\r\nprocess_supervised:no\r\nrun_id:%s\r\ntcp_port:%d\r\n"
                "server_time_usec:%lld\r\nuptime_in_seconds:%lld\r\nuptime_in_days:%lld\r\nhz:%d\r\n"
                "configured_hz:%d\r\nlru_clock:%lld\r\nexecutable:%s\r\nconfig_file:%s\r\n"
                "io_threads_active:0\r\ntessera_version:%s\r\ntessera_workers:%d\r\n",
                TESSERA_REDIS_VERSION, st->cluster_mode ? "cluster" : "standalone", str_or_empty(st->os),
                (int)(sizeof(void *) * 8), str_or_empty(st->gcc_version), (long long)st->pid,
                str_or_empty(st->run_id), st->tcp_port, (long long)st->now_us, (long long)st->uptime_s,
                (long long)(st->uptime_s / 86400), st->hz, st->configured_hz,
                (long long)((st->now_us / 1000000) & ((1 << 24) - 1)), str_or_empty(st->executable),
                str_or_empty(st->config_file), TESSERA_VERSION, st->nworkers);
}

static void
info_clients(struct ts_buf *o, const struct info_stats *st)
{
    ts_buf_printf(o,
                "connected_clients:%llu\r\ncluster_connections:0\r\nmaxclients:%lld\r\n"
                "client_recent_max_input_buffer:0\r\nclient_recent_max_output_buffer:0\r\n"
                "blocked_clients:%llu\r\ntracking_clients:0\r\nclients_in_timeout_table:0\r\n",
                (unsigned long long)st->connected_clients, st->maxclients,
                (unsigned long long)st->blocked_clients);
}

static void
info_memory(struct ts_buf *o, const struct info_stats *st)
{
    char um[32], rss[32], peak[32], sys[32], mm[32];
    info_bytes_human(um, sizeof(um), st->used_memory);
    info_bytes_human(rss, sizeof(rss), st->used_memory_rss);
    info_bytes_human(peak, sizeof(peak), st->used_memory_peak);
    info_bytes_human(sys, sizeof(sys), st->total_system_memory);
    info_bytes_human(mm, sizeof(mm), (uint64_t)(st->maxmemory > 0 ? st->maxmemory : 0));
    uint64_t overhead = st->used_memory > st->used_memory_dataset ? st->used_memory - st->used_memory_dataset : 0;
    uint64_t net = st->used_memory > st->used_memory_startup ? st->used_memory - st->used_memory_startup : 0;
    double peak_perc = st->used_memory_peak ? 100.0 * (double)st->used_memory / (double)st->used_memory_peak : 0;
    double ds_perc = net ? 100.0 * (double)st->used_memory_dataset / (double)net : 0;
    if (ds_perc > 100)
        ds_perc = 100;
    double frag = st->used_memory ? (double)st->used_memory_rss / (double)st->used_memory : 0;
    long long frag_bytes = (long long)st->used_memory_rss - (long long)st->used_memory;
    ts_buf_printf(o,
                "used_memory:%llu\r\nused_memory_human:%s\r\nused_memory_rss:%llu\r\nused_memory_rss_human:%s\r\n"
                "used_memory_peak:%llu\r\nused_memory_peak_human:%s\r\nused_memory_peak_perc:%.2f%%\r\n"
                "used_memory_overhead:%llu\r\nused_memory_startup:%llu\r\nused_memory_dataset:%llu\r\n"
                "used_memory_dataset_perc:%.2f%%\r\ntotal_system_memory:%llu\r\ntotal_system_memory_human:%s\r\n"
                "maxmemory:%lld\r\nmaxmemory_human:%s\r\nmaxmemory_policy:%s\r\n"
                "mem_fragmentation_ratio:%.2f\r\nmem_fragmentation_bytes:%lld\r\nmem_not_counted_for_evict:0\r\n"
                "mem_replication_backlog:%llu\r\nmem_clients_slaves:0\r\nmem_clients_normal:%llu\r\n"
                "mem_aof_buffer:0\r\nmem_allocator:mimalloc-2.0.9\r\nactive_defrag_running:0\r\n"
                "lazyfree_pending_objects:0\r\nlazyfreed_objects:0\r\n",
                (unsigned long long)st->used_memory, um, (unsigned long long)st->used_memory_rss, rss,
                (unsigned long long)st->used_memory_peak, peak, peak_perc, (unsigned long long)overhead,
                (unsigned long long)st->used_memory_startup, (unsigned long long)st->used_memory_dataset, ds_perc,
                (unsigned long long)st->total_system_memory, sys, st->maxmemory, mm,
                str_or_empty(st->maxmemory_policy), frag, frag_bytes,
                (unsigned long long)__atomic_load_n(&g_repl_backlog_mem, __ATOMIC_RELAXED),
                (unsigned long long)st->clients_mem);
}

static void
info_persistence(struct ts_buf *o, const struct info_stats *st)
{
    ts_buf_printf(o,
                "loading:%d\r\nasync_loading:0\r\ncurrent_cow_peak:0\r\ncurrent_cow_size:0\r\n"
                "current_cow_size_age:0\r\ncurrent_fork_perc:0.00\r\ncurrent_save_keys_processed:0\r\n"
                "current_save_keys_total:0\r\nrdb_changes_since_last_save:%llu\r\nrdb_bgsave_in_progress:0\r\n"
                "rdb_last_save_time:%lld\r\nrdb_last_bgsave_status:ok\r\nrdb_last_bgsave_time_sec:-1\r\n"
                "rdb_current_bgsave_time_sec:-1\r\nrdb_saves:0\r\nrdb_last_cow_size:0\r\n"
                "rdb_last_load_keys_expired:0\r\nrdb_last_load_keys_loaded:0\r\naof_enabled:%d\r\n"
                "aof_rewrite_in_progress:0\r\naof_rewrite_scheduled:0\r\naof_last_rewrite_time_sec:-1\r\n"
                "aof_current_rewrite_time_sec:-1\r\naof_last_bgrewrite_status:ok\r\naof_rewrites:0\r\n"
                "aof_rewrites_consecutive_failures:0\r\naof_last_write_status:ok\r\naof_last_cow_size:0\r\n"
                "module_fork_in_progress:0\r\nmodule_fork_last_cow_size:0\r\n",
                __atomic_load_n(&g_loading, __ATOMIC_RELAXED) ? 1 : 0, (unsigned long long)st->dirty,
                (long long)st->lastsave, st->aof_enabled ? 1 : 0);
}

static void
info_stats_section(struct ts_buf *o, const struct info_stats *st)
{
    ts_buf_printf(o,
                "total_connections_received:%llu\r\ntotal_commands_processed:%llu\r\n"
                "instantaneous_ops_per_sec:%lld\r\ntotal_net_input_bytes:%llu\r\ntotal_net_output_bytes:%llu\r\n"
                "total_net_repl_input_bytes:0\r\ntotal_net_repl_output_bytes:0\r\n"
                "instantaneous_input_kbps:%.2f\r\ninstantaneous_output_kbps:%.2f\r\n"
                "instantaneous_input_repl_kbps:0.00\r\ninstantaneous_output_repl_kbps:0.00\r\n"
                "rejected_connections:%llu\r\nsync_full:%llu\r\nsync_partial_ok:%llu\r\nsync_partial_err:%llu\r\n"
                "expired_keys:%llu\r\nexpired_stale_perc:0.00\r\nexpired_time_cap_reached_count:0\r\n"
                "expire_cycle_cpu_milliseconds:0\r\nevicted_keys:%llu\r\nevicted_clients:0\r\n"
                "total_eviction_exceeded_time:0\r\ncurrent_eviction_exceeded_time:0\r\nkeyspace_hits:%llu\r\n"
                "keyspace_misses:%llu\r\npubsub_channels:%llu\r\npubsub_patterns:%llu\r\npubsubshard_channels:%llu\r\n"
                "latest_fork_usec:0\r\ntotal_forks:0\r\nmigrate_cached_sockets:0\r\n"
                "slave_expires_tracked_keys:0\r\nactive_defrag_hits:0\r\nactive_defrag_misses:0\r\n"
                "active_defrag_key_hits:0\r\nactive_defrag_key_misses:0\r\ntotal_active_defrag_time:0\r\n"
                "current_active_defrag_time:0\r\ntracking_total_keys:0\r\ntracking_total_items:0\r\n"
                "tracking_total_prefixes:0\r\nunexpected_error_replies:0\r\ntotal_error_replies:%llu\r\n"
                "dump_payload_sanitizations:0\r\ntotal_reads_processed:%llu\r\ntotal_writes_processed:%llu\r\n"
                "io_threaded_reads_processed:0\r\nio_threaded_writes_processed:0\r\n"
                "client_output_buffer_limit_disconnections:%llu\r\n"
                "tessera_forwarded_commands:%llu\r\ntessera_worker_messages_sent:%llu\r\n"
                "tessera_worker_wakeups_sent:%llu\r\ntessera_worker_loop_turns:%llu\r\n"
                "tessera_worker_sleeps:%llu\r\n",
                (unsigned long long)st->connections, (unsigned long long)st->commands, st->ops_per_sec,
                (unsigned long long)st->net_in, (unsigned long long)st->net_out, st->input_kbps, st->output_kbps,
                (unsigned long long)st->rejected_conns,
                (unsigned long long)__atomic_load_n(&g_sync_stats.full, __ATOMIC_RELAXED),
                (unsigned long long)__atomic_load_n(&g_sync_stats.partial_ok, __ATOMIC_RELAXED),
                (unsigned long long)__atomic_load_n(&g_sync_stats.partial_err, __ATOMIC_RELAXED),
                (unsigned long long)st->expired_keys,
                (unsigned long long)st->evicted_keys, (unsigned long long)st->hits, (unsigned long long)st->misses,
                (unsigned long long)st->pubsub[0], (unsigned long long)st->pubsub[1], (unsigned long long)st->pubsub[2],
                (unsigned long long)st->errors, (unsigned long long)st->commands,
                (unsigned long long)st->commands, (unsigned long long)st->obuf_limit_disconnections,
                (unsigned long long)st->forwarded, (unsigned long long)st->messages_sent,
                (unsigned long long)st->wakeups_sent, (unsigned long long)st->loop_turns,
                (unsigned long long)st->sleeps);
}

static void
info_replication(struct ts_buf *o, const struct info_stats *st)
{
    if (st->replication_hook) {
        st->replication_hook(o);
        return;
    }
    ts_buf_printf(o,
                "role:master\r\nconnected_slaves:0\r\nmaster_failover_state:no-failover\r\nmaster_replid:%s\r\n"
                "master_replid2:0000000000000000000000000000000000000000\r\nmaster_repl_offset:0\r\n"
                "second_repl_offset:-1\r\nrepl_backlog_active:0\r\nrepl_backlog_size:%lld\r\n"
                "repl_backlog_first_byte_offset:0\r\nrepl_backlog_histlen:0\r\n",
                str_or_empty(st->replid), st->repl_backlog_size);
}

static void
info_cpu(struct ts_buf *o, const struct info_stats *st)
{
    ts_buf_printf(o,
                "used_cpu_sys:%.6f\r\nused_cpu_user:%.6f\r\nused_cpu_sys_children:0.000000\r\n"
                "used_cpu_user_children:0.000000\r\n",
                st->cpu_sys, st->cpu_user);
    if (st->ncpu_workers > 0)
        ts_buf_printf(o, "used_cpu_sys_main_thread:%.6f\r\nused_cpu_user_main_thread:%.6f\r\n", st->worker_sys[0],
                    st->worker_user[0]);
    for (int w = 0; w < st->ncpu_workers && w < INFO_MAX_CPU_WORKERS; w++)
        ts_buf_printf(o, "used_cpu_sys_worker_%d:%.6f\r\nused_cpu_user_worker_%d:%.6f\r\n", w, st->worker_sys[w], w,
                    st->worker_user[w]);
}

static void
info_cluster(struct ts_buf *o, const struct info_stats *st)
{
    if (st->cluster_hook)
        st->cluster_hook(o);
    else
        ts_buf_printf(o, "cluster_enabled:%d\r\n", st->cluster_mode ? 1 : 0);
}

static void
info_keyspace(struct ts_buf *o, const struct info_stats *st)
{
    if (st->keys)
        ts_buf_printf(o, "db0:keys=%llu,expires=%llu,avg_ttl=0\r\n", (unsigned long long)st->keys,
                    (unsigned long long)st->expires);
}

static void
info_commandstats(struct ts_buf *o, const struct info_stats *st)
{
    if (st->cmdstats)
        cmdstats_format_commands(o, st->cmdstats, st->ncmdstats);
}

static void
info_errorstats(struct ts_buf *o, const struct info_stats *st)
{
    if (st->cmdstats)
        cmdstats_format_errors(o, st->cmdstats, st->ncmdstats);
}

static void
info_latencystats(struct ts_buf *o, const struct info_stats *st)
{
    if (st->cmdstats)
        cmdstats_format_latency(o, st->cmdstats, st->ncmdstats);
}

static const struct {
    unsigned bit;
    const char *name;   /* as INFO accepts it */
    const char *title;  /* "# Title" */
    void (*fn)(struct ts_buf *, const struct info_stats *);
} info_sections[] = {
    { INFO_SERVER, "server", "Server", info_server },
    { INFO_CLIENTS, "clients", "Clients", info_clients },
    { INFO_MEMORY, "memory", "Memory", info_memory },
    { INFO_PERSISTENCE, "persistence", "Persistence", info_persistence },
    { INFO_STATS, "stats", "Stats", info_stats_section },
    { INFO_REPLICATION, "replication", "Replication", info_replication },
    { INFO_CPU, "cpu", "CPU", info_cpu },
    { INFO_MODULES, "modules", "Modules", NULL },
    { INFO_COMMANDSTATS, "commandstats", "Commandstats", info_commandstats },
    { INFO_ERRORSTATS, "errorstats", "Errorstats", info_errorstats },
    { INFO_LATENCYSTATS, "latencystats", "Latencystats", info_latencystats },
    { INFO_CLUSTER, "cluster", "Cluster", info_cluster },
    { INFO_KEYSPACE, "keyspace", "Keyspace", info_keyspace },
};

unsigned
info_parse_sections(int argc, const struct sv *argv)
{
    if (argc == 0)
        return INFO_DEFAULT;
    unsigned mask = 0;
    for (int i = 0; i < argc; i++) {
        if (sv_eq_ci(argv[i], "default"))
            mask |= INFO_DEFAULT;
        else if (sv_eq_ci(argv[i], "all") || sv_eq_ci(argv[i], "everything"))
            mask |= INFO_ALL;
        else
            for (size_t s = 0; s < ARRAY_SIZE(info_sections); s++)
                if (sv_eq_ci(argv[i], info_sections[s].name))
                    mask |= info_sections[s].bit;
    }
    return mask;
}

void
info_format(struct ts_buf *out, const struct info_stats *st, unsigned sections)
{
    int printed = 0;
    for (size_t s = 0; s < ARRAY_SIZE(info_sections); s++) {
        if (!(sections & info_sections[s].bit))
            continue;
        if (printed++)
            ts_buf_append(out, "\r\n", 2);
        ts_buf_printf(out, "# %s\r\n", info_sections[s].title);
        if (info_sections[s].fn)
            info_sections[s].fn(out, st);
    }
}

/* ---- Gathering ---- */

/* What one worker contributes, copied on its own thread. */
struct info_worker {
    struct shard_stats ss;
    struct ks_stats ks;
    uint64_t keys, expires, mem, clients_mem;
    double cpu_sys, cpu_user;
};

/* Sized for the workers there are: INFO's own allocation shows in the
 * used_memory it reports (256 workers' worth was 1.5 MB). */
struct info_fanout {
    unsigned sections;
    int n;
    struct info_worker *w;
    struct cmdstats *cs;
};

/* instantaneous_* metrics: 16 samples, one per 100 ms (Redis's scheme). */
#define INFO_SAMPLES 16
static struct {
    int64_t last_ms;
    uint64_t last_ops, last_in, last_out;
    long long ops[INFO_SAMPLES];
    double in_kbps[INFO_SAMPLES], out_kbps[INFO_SAMPLES];
    int idx;
} info_inst; /* written only by worker 0 (info_cron) */
static long long info_ops_per_sec; /* atomic: published average */
static uint64_t info_in_kbps_x100, info_out_kbps_x100; /* atomic */

static char info_replid[41];
static char info_os[256];
static char info_gcc[32];
static pthread_once_t info_once = PTHREAD_ONCE_INIT;

/* One-time facts: a replication id (40 hex chars, random), the os string. */
static void
info_init_once(void)
{
    uint64_t seed = (uint64_t)ts_ustime() ^ ((uint64_t)getpid() << 32);
    FILE *f = fopen("/dev/urandom", "rb");
    unsigned char rnd[20];
    if (!f || fread(rnd, 1, sizeof(rnd), f) != sizeof(rnd)) {
        for (size_t i = 0; i < sizeof(rnd); i++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            rnd[i] = (unsigned char)(seed >> 56);
        }
    }
    if (f)
        fclose(f);
    for (size_t i = 0; i < sizeof(rnd); i++)
        snprintf(info_replid + 2 * i, 3, "%02x", rnd[i]);
    struct utsname u;
    if (uname(&u) == 0)
        snprintf(info_os, sizeof(info_os), "%s %s %s", u.sysname, u.release, u.machine);
#ifdef __GNUC__
    snprintf(info_gcc, sizeof(info_gcc), "%d.%d.%d", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#else
    snprintf(info_gcc, sizeof(info_gcc), "0.0.0");
#endif
}

static uint64_t
info_sum_stat(size_t offset)
{
    uint64_t sum = 0;
    for (int w = 0; w < g_server.nworkers && w < MAX_WORKERS; w++) {
        struct shard *sh = g_shards[w];
        if (sh)
            sum += __atomic_load_n((const uint64_t *)((const char *)&sh->stats + offset), __ATOMIC_RELAXED);
    }
    return sum;
}

void
info_cron(int64_t now_ms)
{
    if (now_ms - info_inst.last_ms < 100)
        return;
    uint64_t ops = info_sum_stat(offsetof(struct shard_stats, commands));
    uint64_t in = info_sum_stat(offsetof(struct shard_stats, net_input_bytes));
    uint64_t out = info_sum_stat(offsetof(struct shard_stats, net_output_bytes));
    if (info_inst.last_ms > 0) {
        double dt = (double)(now_ms - info_inst.last_ms);
        int i = info_inst.idx;
        /* CONFIG RESETSTAT may have zeroed the counters since the last
         * sample: a counter that went back counts as no traffic. */
        uint64_t d_ops = ops >= info_inst.last_ops ? ops - info_inst.last_ops : 0;
        uint64_t d_in = in >= info_inst.last_in ? in - info_inst.last_in : 0;
        uint64_t d_out = out >= info_inst.last_out ? out - info_inst.last_out : 0;
        info_inst.ops[i] = (long long)((double)d_ops * 1000.0 / dt);
        info_inst.in_kbps[i] = (double)d_in * 1000.0 / dt / 1024.0;
        info_inst.out_kbps[i] = (double)d_out * 1000.0 / dt / 1024.0;
        info_inst.idx = (i + 1) % INFO_SAMPLES;
        long long so = 0;
        double si = 0, sout = 0;
        for (int k = 0; k < INFO_SAMPLES; k++) {
            so += info_inst.ops[k];
            si += info_inst.in_kbps[k];
            sout += info_inst.out_kbps[k];
        }
        __atomic_store_n(&info_ops_per_sec, so / INFO_SAMPLES, __ATOMIC_RELAXED);
        __atomic_store_n(&info_in_kbps_x100, (uint64_t)(si / INFO_SAMPLES * 100), __ATOMIC_RELAXED);
        __atomic_store_n(&info_out_kbps_x100, (uint64_t)(sout / INFO_SAMPLES * 100), __ATOMIC_RELAXED);
    }
    info_inst.last_ms = now_ms;
    info_inst.last_ops = ops;
    info_inst.last_in = in;
    info_inst.last_out = out;
}

static double
tv_seconds(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

size_t
shard_clients_memory(const struct shard *sh)
{
    size_t n = 0;
    for (const struct client *cl = sh->clients; cl; cl = cl->next_in_worker)
        n += __atomic_load_n(&cl->qbuf_cap, __ATOMIC_RELAXED) + __atomic_load_n(&cl->obuf_cap, __ATOMIC_RELAXED) +
             __atomic_load_n(&cl->omem, __ATOMIC_RELAXED);
    return n;
}

static void
info_each(struct shard *sh, void *arg, int worker)
{
    struct info_fanout *st = arg;
    struct info_worker *w = &st->w[worker];
    mem_flush(); /* this worker's unpublished bytes: used_memory exact */
    w->ss = sh->stats;
    w->clients_mem = shard_clients_memory(sh);
    if (st->sections & (INFO_COMMANDSTATS | INFO_ERRORSTATS | INFO_LATENCYSTATS))
        cmdstats_copy(&st->cs[worker], &sh->cstats);
    if (sh->ks) {
        w->ks = *ks_get_stats(sh->ks);
        w->keys = ks_count(sh->ks);
        w->expires = ks_count_volatile(sh->ks);
        /* the keys and values: the keyspace less its tables */
        struct ks_overhead ov;
        ks_overhead(sh->ks, &ov);
        w->mem = ks_mem_bytes(sh->ks) - TS_MIN(ks_mem_bytes(sh->ks), ov.main + ov.expires);
    }
    struct rusage ru;
    if (getrusage(RUSAGE_THREAD, &ru) == 0) {
        w->cpu_sys = tv_seconds(ru.ru_stime);
        w->cpu_user = tv_seconds(ru.ru_utime);
    }
}

/* Sum the workers' parts and add process-wide facts. */
static void
info_collect(struct info_stats *st, const struct info_fanout *f, int nworkers)
{
    pthread_once(&info_once, info_init_once);
    memset(st, 0, sizeof(*st));
    uint64_t dataset = 0;
    for (int i = 0; i < nworkers; i++) {
        const struct info_worker *w = &f->w[i];
        st->connections += w->ss.connections;
        st->commands += w->ss.commands;
        st->rejected_conns += w->ss.rejected_conns;
        st->net_in += w->ss.net_input_bytes;
        st->net_out += w->ss.net_output_bytes;
        st->errors += w->ss.errors;
        /* Expiry is counted by the keyspace; take the larger in case the
         * runtime counts some too, never both. */
        st->expired_keys += TS_MAX(w->ss.expired_keys, w->ks.expired_keys);
        st->evicted_keys += w->ks.evicted_keys;
        st->forwarded += w->ss.forwarded;
        st->messages_sent += w->ss.messages_sent;
        st->wakeups_sent += w->ss.wakeups_sent;
        st->loop_turns += w->ss.loop_turns;
        st->sleeps += w->ss.sleeps;
        st->clients_mem += w->clients_mem;
        st->obuf_limit_disconnections += w->ss.obuf_limit_disconnections;
        st->connected_clients += w->ss.connected_clients;
        st->blocked_clients += w->ss.blocked_clients;
        st->hits += w->ks.keyspace_hits;
        st->misses += w->ks.keyspace_misses;
        st->keys += w->keys;
        st->expires += w->expires;
        dataset += w->mem;
        if (i < INFO_MAX_CPU_WORKERS) {
            st->worker_sys[i] = w->cpu_sys;
            st->worker_user[i] = w->cpu_user;
            st->ncpu_workers = i + 1;
        }
    }
    st->os = info_os;
    st->gcc_version = info_gcc;
    st->run_id = g_server.run_id;
    st->executable = g_cfg.executable;
    st->config_file = g_cfg.config_file;
    st->pid = getpid();
    st->tcp_port = g_server.listen_port;
    st->now_us = ts_ustime();
    st->uptime_s = (int64_t)((ts_monotonic_us() - g_server.start_mono_us) / 1000000);
    st->hz = g_cfg.hz ? g_cfg.hz : g_server.hz;
    st->configured_hz = st->hz;
    st->cluster_mode = g_server.cluster_mode;
    st->nworkers = nworkers;
    st->maxclients = g_cfg.maxclients;
    /* used_memory: the usable bytes of every live allocation (mem.h), each
     * worker having published its part just now; the keys and values are
     * used_memory_dataset, the rest (tables, buffers, start-up structures)
     * the overhead. */
    mem_flush();
    st->used_memory = mem_used();
    st->used_memory_dataset = TS_MIN(dataset, st->used_memory);
    st->used_memory_startup = mem_startup();
    st->used_memory_rss = mem_rss();
    st->used_memory_peak = mem_peak_note(st->used_memory);
    long pages = sysconf(_SC_PHYS_PAGES);
    st->total_system_memory = pages > 0 ? (uint64_t)pages * (uint64_t)sysconf(_SC_PAGESIZE) : 0;
    st->maxmemory = g_cfg.maxmemory;
    st->maxmemory_policy = config_maxmemory_policy_name(__atomic_load_n(&g_cfg.maxmemory_policy, __ATOMIC_RELAXED));
    st->lastsave = g_server.lastsave;
    st->aof_enabled = g_cfg.appendonly;
    st->ops_per_sec = __atomic_load_n(&info_ops_per_sec, __ATOMIC_RELAXED);
    st->input_kbps = (double)__atomic_load_n(&info_in_kbps_x100, __ATOMIC_RELAXED) / 100.0;
    st->output_kbps = (double)__atomic_load_n(&info_out_kbps_x100, __ATOMIC_RELAXED) / 100.0;
    st->replid = info_replid;
    st->repl_backlog_size = g_cfg.repl_backlog_size;
    st->replication_hook = info_replication_hook;
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        st->cpu_sys = tv_seconds(ru.ru_stime);
        st->cpu_user = tv_seconds(ru.ru_utime);
    }
    st->cluster_hook = info_cluster_hook;
    pubsub_census(st->pubsub);
    st->cmdstats = f->cs;
    st->ncmdstats = nworkers;
}

static void
info_done(void *arg, struct reply *r, struct client *cl)
{
    struct info_fanout *f = arg;
    struct info_stats st;
    info_collect(&st, f, f->n);
    struct ts_buf out = { 0 };
    info_format(&out, &st, f->sections);
    reply_verbatim(r, out.data ? out.data : "", out.len, "txt");
    ts_buf_free(&out);
}

static void
info_free(void *arg)
{
    struct info_fanout *f = arg;
    for (int i = 0; i < f->n; i++)
        cmdstats_free(&f->cs[i]);
    ts_free(f->w);
    ts_free(f->cs);
    ts_free(f);
}

static void
cmd_info(struct cmd_ctx *c)
{
    struct info_fanout *f = ts_calloc(1, sizeof(*f));
    f->n = TS_MAX(1, TS_MIN(cmd_nworkers(), MAX_WORKERS));
    f->w = ts_calloc((size_t)f->n, sizeof(*f->w));
    f->cs = ts_calloc((size_t)f->n, sizeof(*f->cs));
    f->sections = info_parse_sections(c->argc - 1, c->argv + 1);
    cmd_fanout(c, f, info_each, info_done, info_free);
}

static const struct cmd_def info_cmds[] = {
    { .name = "info", .arity = -1, .flags = CMD_LOADING | CMD_STALE, .proc = cmd_info,
      .acl = "slow dangerous", .group = "server", .since = "1.0.0",
      .summary = "Get information and statistics about the server" },
    { .name = NULL },
};

void
info_register(void)
{
    cmd_register_table(info_cmds);
}
