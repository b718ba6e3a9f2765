/* server_cmds.h: server and connection commands (PING, HELLO, AUTH, CLIENT,
 * COMMAND, INFO, DEBUG, SHUTDOWN, ...) and the per-command observers
 * (SLOWLOG, LATENCY, MONITOR).
 *
 * What the runtime must call:
 *   server_register_commands()  once at setup, before workers start;
 *   info_cron(now_ms)           from worker 0's cron, as often as it likes
 *                               (it samples every 100 ms itself);
 *   monitor_client_closed(cl)   on the client's worker when a client with
 *                               CL_MONITOR set disconnects.
 * The dispatcher also calls slowlog_observe, latency_observe and
 * monitor_feed (declared in server.h).
 *
 * The rest of this header exposes the pure formatting functions behind the
 * commands (INFO text, CLIENT LIST lines, COMMAND INFO entries, slowlog
 * argument capping, MONITOR lines) so unit tests can check them without a
 * running server. */
#ifndef TESSERA_SERVER_CMDS_H
#define TESSERA_SERVER_CMDS_H

#include "core/buf.h"
#include "core/client.h"
#include "core/cmd.h"
#include "core/common.h"
#include "core/reply.h"

struct shard;

void server_register_commands(void);
/* enable-debug-command: may client cl run DEBUG? If not, the error is
 * written to r (Redis's text) and false returned. Checked when DEBUG runs
 * and, inside MULTI, when it is queued (so EXEC aborts, as in Redis). */
bool server_debug_allowed(const struct client *cl, struct reply *r);
struct shard;
/* Buffer memory of a worker's clients as CLIENT LIST shows it (query
 * buffer capacity, current output block, queued blocks and held replies):
 * INFO mem_clients_normal, MEMORY STATS clients.normal. On that worker. */
size_t shard_clients_memory(const struct shard *sh);
void info_cron(int64_t now_ms);
void monitor_client_closed(struct client *cl);

/* ---- INFO ---- */
/* Sections, in the order Redis prints them. */
enum info_section {
    INFO_SERVER = 1u << 0,
    INFO_CLIENTS = 1u << 1,
    INFO_MEMORY = 1u << 2,
    INFO_PERSISTENCE = 1u << 3,
    INFO_STATS = 1u << 4,
    INFO_REPLICATION = 1u << 5,
    INFO_CPU = 1u << 6,
    INFO_MODULES = 1u << 7,
    INFO_COMMANDSTATS = 1u << 8,
    INFO_ERRORSTATS = 1u << 9,
    INFO_LATENCYSTATS = 1u << 10,
    INFO_CLUSTER = 1u << 11,
    INFO_KEYSPACE = 1u << 12,
};
#define INFO_DEFAULT                                                                                  \
    (INFO_SERVER | INFO_CLIENTS | INFO_MEMORY | INFO_PERSISTENCE | INFO_STATS | INFO_REPLICATION |   \
     INFO_CPU | INFO_MODULES | INFO_ERRORSTATS | INFO_CLUSTER | INFO_KEYSPACE)
#define INFO_ALL (INFO_DEFAULT | INFO_COMMANDSTATS | INFO_LATENCYSTATS)

#define INFO_MAX_CPU_WORKERS 64 /* per-worker CPU lines printed for at most this many */

/* Everything INFO prints that changes: gathered from the workers (fan-out)
 * and the process, then formatted by info_format, a pure function. */
struct cmdstats;
struct info_stats {
    /* server */
    const char *os;            /* "Linux 6.1.0 x86_64" */
    const char *run_id;
    const char *executable;
    const char *config_file;
    const char *gcc_version;
    int64_t pid;
    int tcp_port;
    int64_t now_us;            /* server_time_usec */
    int64_t uptime_s;
    int hz;
    int configured_hz;
    bool cluster_mode;
    int nworkers;
    /* clients */
    uint64_t connected_clients, blocked_clients;
    long long maxclients;
    /* memory */
    uint64_t used_memory, used_memory_rss, used_memory_peak, used_memory_dataset, used_memory_startup;
    uint64_t total_system_memory;
    long long maxmemory;
    const char *maxmemory_policy;
    /* persistence */
    uint64_t dirty;            /* rdb_changes_since_last_save */
    int64_t lastsave;          /* unix seconds */
    bool aof_enabled;
    /* stats */
    uint64_t connections, commands, net_in, net_out, rejected_conns;
    uint64_t expired_keys, evicted_keys, hits, misses, errors, forwarded;
    uint64_t loop_turns, sleeps, messages_sent, wakeups_sent; /* tessera_* runtime figures */
    uint64_t clients_mem;      /* mem_clients_normal: query and output buffers of the clients */
    uint64_t obuf_limit_disconnections; /* client_output_buffer_limit_disconnections (Redis 7.2's field) */
    uint64_t pubsub[3];        /* distinct channels, patterns, shard channels */
    long long ops_per_sec;
    double input_kbps, output_kbps;
    /* replication */
    const char *replid;
    long long repl_backlog_size;
    void (*replication_hook)(struct ts_buf *out);
    /* cpu: process totals and per worker thread (seconds) */
    double cpu_sys, cpu_user;
    double worker_sys[INFO_MAX_CPU_WORKERS], worker_user[INFO_MAX_CPU_WORKERS];
    int ncpu_workers;
    /* commandstats / errorstats: each worker's counters (NULL: none) */
    const struct cmdstats *cmdstats;
    int ncmdstats;
    /* cluster */
    void (*cluster_hook)(struct ts_buf *out);
    /* keyspace */
    uint64_t keys, expires;
};

/* Parse INFO's arguments (argv[1..argc)) into a section mask: none means
 * "default"; "all", "everything", "default" and section names are matched
 * case-insensitively; unknown names select nothing (as Redis). */
unsigned info_parse_sections(int argc, const struct sv *argv);
/* Append the INFO text of the selected sections. */
void info_format(struct ts_buf *out, const struct info_stats *st, unsigned sections);
/* "1017.59K" style size, as Redis's bytesToHuman. buf >= 32 bytes. */
void info_bytes_human(char *buf, size_t cap, uint64_t n);

/* ---- MEMORY STATS (cmd_memory.c) ---- */
void cmd_memory_stats(struct cmd_ctx *c);

/* ---- CLIENT ---- */
/* Append one CLIENT LIST / CLIENT INFO line (with the trailing "\n"), in
 * Redis 7.0.15's field order. */
void client_format_line(struct ts_buf *out, const struct client *cl, int64_t now_ms);

/* ---- COMMAND ---- */
/* Write the COMMAND INFO entry of d (a top-level command or, with parent
 * set, a subcommand). */
void command_reply_info(struct reply *r, const struct cmd_def *d, const struct cmd_def *parent);

/* ---- SLOWLOG ---- */
#define SLOWLOG_MAX_ARGC 32
#define SLOWLOG_MAX_STRING 128
/* Capped copy of a command's arguments, as Redis stores them: at most 32
 * (the last becomes "... (N more arguments)"), each at most 128 bytes plus
 * "... (N more bytes)". out[i] is ts_malloc'd and NUL-terminated; returns the
 * number stored. */
int slowlog_cap_args(int argc, const struct sv *argv, char **out, size_t *outlen);

/* ---- MONITOR ---- */
/* Redis's sdscatrepr quoting of one argument: "...", with \\ \" \n \r \t \a
 * \b escaped and other non-printable bytes as \xhh. */
void monitor_repr(struct ts_buf *out, const char *p, size_t n);
/* A whole MONITOR line: "+<sec>.<usec> [<db> <addr>] "arg" ...\r\n".
 * AUTH's arguments and HELLO's AUTH credentials are "(redacted)". */
void monitor_format(struct ts_buf *out, int64_t now_us, int db, const char *addr, int argc,
                    const struct sv *argv);

/* ---- Shared helpers ---- */
/* A HELP reply in Redis's shape: "<NAME> <subcommand> [<arg> [value] [opt]
 * ...]. Subcommands are:", the NULL-terminated lines, then the HELP entry. */
void server_reply_help(struct reply *r, const char *name_upper, const char *const *lines);
/* Proc for container commands (CLIENT, COMMAND, SLOWLOG, ...): runs the
 * subcommand named by argv[1], or replies with Redis's error. The
 * dispatcher normally resolves subcommands itself; this makes the parent
 * safe to call directly too. */
void server_container_proc(struct cmd_ctx *c);

/* ---- Internal: per-file registration (called by server_register_commands) ---- */
void cmd_server_register(void);
void cmd_client_register(void);
void cmd_command_register(void);
void info_register(void);
void slowlog_register(void);
void latency_register(void);
void monitor_register(void);

#endif
