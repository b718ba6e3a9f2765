/* cmdstats.h: INFO commandstats and errorstats.
 *
 * Every worker counts, for the commands it executes, calls / microseconds /
 * rejected / failed calls per command (subcommands separately, like Redis's
 * "cmdstat_client|list"), and error replies by their first word
 * ("errorstat_WRONGTYPE"). Counters are plain per-worker memory written only
 * by their worker; INFO copies them on each worker (its fan-out) and sums.
 * Commands are numbered at registration; cmdstats_id maps a definition to
 * its number with a small pointer hash (a few instructions per command). */
#ifndef TESSERA_CMDSTATS_H
#define TESSERA_CMDSTATS_H

#include "core/buf.h"
#include "core/common.h"

struct cmd_def;

struct cmd_stat {
    uint64_t calls;
    uint64_t usec;
    uint64_t rejected;  /* refused before running (arity, unknown subcommand) */
    uint64_t failed;    /* ran and replied with an error */
    uint64_t *lat;      /* latency histogram (CMDSTATS_LAT_BUCKETS), allocated at
                         * the first call while latency-tracking is on */
};

/* Latency histograms are log-linear over nanoseconds: 16 sub-buckets per
 * power of two (relative error under 6.25%), up to 2^43 ns. Values are
 * recorded as microseconds x 1000, as Redis does. */
#define CMDSTATS_LAT_SUB_BITS 4
#define CMDSTATS_LAT_SUB (1 << CMDSTATS_LAT_SUB_BITS)
#define CMDSTATS_LAT_BUCKETS (41 * CMDSTATS_LAT_SUB)
int cmdstats_lat_index(uint64_t ns);
/* The largest value bucket idx holds. */
uint64_t cmdstats_lat_upper(int idx);

/* Redis stops adding new error kinds after 128 (and says so); the rest are
 * still counted in total_error_replies. */
#define CMDSTATS_MAX_ERR 128

struct err_stat {
    char name[32];
    uint64_t count;
};

struct cmdstats {
    struct cmd_stat *cmd;   /* [ncmd], grown on demand */
    int ncmd;
    /* The last definition counted and its id: a pipeline repeats one
     * command, and this skips the pointer-hash probe for it. */
    const struct cmd_def *last_def;
    int last_id;
    struct err_stat err[CMDSTATS_MAX_ERR];
    int nerr;
};

/* Registration (cmd_register_table calls it for every definition and
 * subcommand; setup only). */
void cmdstats_register(const struct cmd_def *d, const struct cmd_def *parent);
/* Number of a definition, or -1 when it was never registered. */
int cmdstats_id(const struct cmd_def *d);

/* Count one executed call of d that took usec and failed or not. */
void cmdstats_call(struct cmdstats *s, const struct cmd_def *d, uint64_t usec, bool failed);
/* Count a call of d refused before it ran. */
void cmdstats_rejected(struct cmdstats *s, const struct cmd_def *d);
/* Count an error reply; text is the reply without its '-' ("ERR ..."). */
void cmdstats_error(struct cmdstats *s, const char *text, size_t len);
/* CONFIG RESETSTAT (on the owning worker). */
void cmdstats_reset(struct cmdstats *s);
/* Deep copy into dst (freeing what dst held), for INFO's fan-out. */
void cmdstats_copy(struct cmdstats *dst, const struct cmdstats *src);
void cmdstats_free(struct cmdstats *s);

/* The sections' bodies, summed over n workers' copies. */
void cmdstats_format_commands(struct ts_buf *out, const struct cmdstats *w, int n);
void cmdstats_format_errors(struct ts_buf *out, const struct cmdstats *w, int n);
/* INFO latencystats: latency_percentiles_usec_<cmd>:p50=...,p99=...
 * for the percentiles of latency-tracking-info-percentiles. */
void cmdstats_format_latency(struct ts_buf *out, const struct cmdstats *w, int n);
/* LATENCY HISTOGRAM [cmd ...]: a map of command -> {calls, histogram_usec}
 * (cumulative counts at 1, 2, 4, 8 ... us), for the named commands or,
 * with argc 0, every command with calls. */
struct reply;
void cmdstats_histogram_reply(struct reply *r, const struct cmdstats *w, int n, int argc, const struct sv *argv);

#endif
