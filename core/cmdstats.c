/* cmdstats.c: per-worker command and error counters (see cmdstats.h). */
#include "core/cmdstats.h"

#include "core/cmd.h"
#include "core/config.h"
#include "core/reply.h"

#include <math.h>
#include <stdlib.h>

#include <stdarg.h>
#include <stdio.h>

#define CMDSTATS_MAX_DEFS 1024
#define CMDSTATS_HASH 2048 /* power of two, > 2 x CMDSTATS_MAX_DEFS */

static const struct cmd_def *defs[CMDSTATS_MAX_DEFS];
static const struct cmd_def *parents[CMDSTATS_MAX_DEFS];
static int ndefs;
static const struct cmd_def *hash_key[CMDSTATS_HASH];
static int16_t hash_val[CMDSTATS_HASH];

static inline uint32_t
ptr_hash(const void *p)
{
    return (uint32_t)(((uintptr_t)p >> 4) * 0x9E3779B1u) & (CMDSTATS_HASH - 1);
}

void
cmdstats_register(const struct cmd_def *d, const struct cmd_def *parent)
{
    if (ndefs >= CMDSTATS_MAX_DEFS || cmdstats_id(d) >= 0)
        return;
    uint32_t i = ptr_hash(d);
    while (hash_key[i])
        i = (i + 1) & (CMDSTATS_HASH - 1);
    hash_key[i] = d;
    hash_val[i] = (int16_t)ndefs;
    defs[ndefs] = d;
    parents[ndefs] = parent;
    ndefs++;
}

int
cmdstats_id(const struct cmd_def *d)
{
    for (uint32_t i = ptr_hash(d);; i = (i + 1) & (CMDSTATS_HASH - 1)) {
        if (hash_key[i] == d)
            return hash_val[i];
        if (!hash_key[i])
            return -1;
    }
}

static struct cmd_stat *
slot_for(struct cmdstats *s, const struct cmd_def *d)
{
    if (d == s->last_def) /* last_id < ncmd: set below, and ncmd never shrinks */
        return &s->cmd[s->last_id];
    int id = cmdstats_id(d);
    if (id < 0)
        return NULL;
    if (id >= s->ncmd) {
        int n = ndefs;
        s->cmd = ts_realloc(s->cmd, (size_t)n * sizeof(*s->cmd));
        memset(s->cmd + s->ncmd, 0, (size_t)(n - s->ncmd) * sizeof(*s->cmd));
        s->ncmd = n;
    }
    s->last_def = d;
    s->last_id = id;
    return &s->cmd[id];
}

int
cmdstats_lat_index(uint64_t ns)
{
    if (ns < CMDSTATS_LAT_SUB)
        return (int)ns;
    int k = 63 - __builtin_clzll(ns); /* >= CMDSTATS_LAT_SUB_BITS */
    int idx = (k - CMDSTATS_LAT_SUB_BITS + 1) * CMDSTATS_LAT_SUB +
              (int)((ns >> (k - CMDSTATS_LAT_SUB_BITS)) & (CMDSTATS_LAT_SUB - 1));
    return idx < CMDSTATS_LAT_BUCKETS ? idx : CMDSTATS_LAT_BUCKETS - 1;
}

uint64_t
cmdstats_lat_upper(int idx)
{
    if (idx < CMDSTATS_LAT_SUB)
        return (uint64_t)idx;
    int k = idx / CMDSTATS_LAT_SUB + CMDSTATS_LAT_SUB_BITS - 1;
    uint64_t step = 1ULL << (k - CMDSTATS_LAT_SUB_BITS);
    return ((uint64_t)(CMDSTATS_LAT_SUB + idx % CMDSTATS_LAT_SUB)) * step + step - 1;
}

void
cmdstats_call(struct cmdstats *s, const struct cmd_def *d, uint64_t usec, bool failed)
{
    struct cmd_stat *c = slot_for(s, d);
    if (!c)
        return;
    c->calls++;
    c->usec += usec;
    c->failed += failed;
    if (__atomic_load_n(&g_cfg.latency_tracking, __ATOMIC_RELAXED)) {
        if (unlikely(!c->lat))
            c->lat = ts_calloc(CMDSTATS_LAT_BUCKETS, sizeof(uint64_t));
        c->lat[cmdstats_lat_index(usec * 1000)]++;
    }
}

void
cmdstats_rejected(struct cmdstats *s, const struct cmd_def *d)
{
    struct cmd_stat *c = d ? slot_for(s, d) : NULL;
    if (c)
        c->rejected++;
}

void
cmdstats_error(struct cmdstats *s, const char *text, size_t len)
{
    size_t n = 0;
    while (n < len && n < sizeof(s->err[0].name) - 1 && text[n] != ' ' && text[n] != '\r')
        n++;
    if (n == 0)
        return;
    for (int i = 0; i < s->nerr; i++) {
        if (strncmp(s->err[i].name, text, n) == 0 && s->err[i].name[n] == '\0') {
            s->err[i].count++;
            return;
        }
    }
    if (s->nerr == CMDSTATS_MAX_ERR)
        return;
    memcpy(s->err[s->nerr].name, text, n);
    s->err[s->nerr].name[n] = '\0';
    s->err[s->nerr++].count = 1;
}

void
cmdstats_reset(struct cmdstats *s)
{
    for (int i = 0; i < s->ncmd; i++) {
        uint64_t *lat = s->cmd[i].lat;
        if (lat)
            memset(lat, 0, CMDSTATS_LAT_BUCKETS * sizeof(uint64_t));
        memset(&s->cmd[i], 0, sizeof(s->cmd[i]));
        s->cmd[i].lat = lat;
    }
    s->nerr = 0;
}

void
cmdstats_copy(struct cmdstats *dst, const struct cmdstats *src)
{
    cmdstats_free(dst);
    *dst = *src;
    dst->cmd = NULL;
    if (src->ncmd) {
        dst->cmd = ts_malloc((size_t)src->ncmd * sizeof(*dst->cmd));
        memcpy(dst->cmd, src->cmd, (size_t)src->ncmd * sizeof(*dst->cmd));
        for (int i = 0; i < src->ncmd; i++) {
            if (!src->cmd[i].lat)
                continue;
            dst->cmd[i].lat = ts_malloc(CMDSTATS_LAT_BUCKETS * sizeof(uint64_t));
            memcpy(dst->cmd[i].lat, src->cmd[i].lat, CMDSTATS_LAT_BUCKETS * sizeof(uint64_t));
        }
    }
}

void
cmdstats_free(struct cmdstats *s)
{
    for (int i = 0; i < s->ncmd; i++)
        ts_free(s->cmd[i].lat);
    ts_free(s->cmd);
    memset(s, 0, sizeof(*s));
}

static void
full_name(int id, char *name, size_t cap)
{
    if (parents[id])
        snprintf(name, cap, "%s|%s", parents[id]->name, defs[id]->name);
    else
        snprintf(name, cap, "%s", defs[id]->name);
}

/* Sum of command id's histograms over the workers into h; total count. */
static uint64_t
lat_sum(const struct cmdstats *w, int n, int id, uint64_t *h)
{
    uint64_t total = 0;
    memset(h, 0, CMDSTATS_LAT_BUCKETS * sizeof(uint64_t));
    for (int k = 0; k < n; k++) {
        if (id >= w[k].ncmd || !w[k].cmd[id].lat)
            continue;
        for (int b = 0; b < CMDSTATS_LAT_BUCKETS; b++) {
            h[b] += w[k].cmd[id].lat[b];
            total += w[k].cmd[id].lat[b];
        }
    }
    return total;
}

void
cmdstats_format_latency(struct ts_buf *out, const struct cmdstats *w, int n)
{
    /* latency-tracking-info-percentiles: up to 16 numbers in 0..100. */
    double pct[16];
    int npct = 0;
    const char *p = g_cfg.latency_tracking_info_percentiles ? g_cfg.latency_tracking_info_percentiles : "";
    while (*p && npct < 16) {
        char *end;
        double v = strtod(p, &end);
        if (end == p)
            break;
        if (v >= 0 && v <= 100)
            pct[npct++] = v;
        p = end;
    }
    uint64_t *h = ts_malloc(CMDSTATS_LAT_BUCKETS * sizeof(uint64_t));
    for (int id = 0; id < ndefs && npct; id++) {
        uint64_t total = lat_sum(w, n, id, h);
        if (!total)
            continue;
        char name[96], line[512];
        full_name(id, name, sizeof(name));
        int len = snprintf(line, sizeof(line), "latency_percentiles_usec_%s:", name);
        for (int i = 0; i < npct && len < (int)sizeof(line) - 64; i++) {
            uint64_t target = (uint64_t)ceil(pct[i] / 100.0 * (double)total);
            if (target == 0)
                target = 1;
            uint64_t cum = 0;
            int b = 0;
            for (; b < CMDSTATS_LAT_BUCKETS; b++) {
                cum += h[b];
                if (cum >= target)
                    break;
            }
            double us = (double)cmdstats_lat_upper(TS_MIN(b, CMDSTATS_LAT_BUCKETS - 1)) / 1000.0;
            char pname[32];
            snprintf(pname, sizeof(pname), "%g", pct[i]);
            len += snprintf(line + len, sizeof(line) - (size_t)len, "%sp%s=%.3f", i ? "," : "", pname, us);
        }
        ts_buf_printf(out, "%s\r\n", line);
    }
    ts_free(h);
}

/* One command's LATENCY HISTOGRAM entry: calls, then the cumulative
 * count at every power of two of microseconds (1024 ns, 2048 ns, ...
 * shown as ns / 1000, like Redis) where it grew. */
static void
histogram_entry(struct reply *r, int id, const uint64_t *h, uint64_t total)
{
    char name[96];
    full_name(id, name, sizeof(name));
    reply_bulk_cstr(r, name);
    reply_map(r, 2);
    reply_bulk_cstr(r, "calls");
    reply_int(r, (long long)total);
    reply_bulk_cstr(r, "histogram_usec");
    size_t tok = reply_defer(r);
    long pairs = 0;
    uint64_t cum = 0, prev = 0;
    int b = 0;
    for (int k = 10; cum < total && k < 10 + 40; k++) {
        /* Values below 2^k ns fill every bucket before group k's first. */
        int end = (k - CMDSTATS_LAT_SUB_BITS + 1) * CMDSTATS_LAT_SUB;
        for (; b < end && b < CMDSTATS_LAT_BUCKETS; b++)
            cum += h[b];
        if (cum > prev) {
            reply_int(r, (long long)((1ULL << k) / 1000));
            reply_int(r, (long long)cum);
            pairs++;
            prev = cum;
        }
    }
    reply_defer_set(r, tok, '%', pairs);
}

void
cmdstats_histogram_reply(struct reply *r, const struct cmdstats *w, int n, int argc, const struct sv *argv)
{
    uint64_t *h = ts_malloc(CMDSTATS_LAT_BUCKETS * sizeof(uint64_t));
    size_t tok = reply_defer(r);
    long entries = 0;
    for (int id = 0; id < ndefs; id++) {
        if (argc > 0) {
            char name[96];
            full_name(id, name, sizeof(name));
            bool wanted = false;
            for (int i = 0; i < argc && !wanted; i++)
                wanted = argv[i].len == strlen(name) && strncasecmp(argv[i].ptr, name, argv[i].len) == 0;
            if (!wanted)
                continue;
        }
        uint64_t total = lat_sum(w, n, id, h);
        if (!total)
            continue;
        histogram_entry(r, id, h, total);
        entries++;
    }
    reply_defer_set(r, tok, '%', entries);
    ts_free(h);
}

void
cmdstats_format_commands(struct ts_buf *out, const struct cmdstats *w, int n)
{
    for (int id = 0; id < ndefs; id++) {
        struct cmd_stat sum = {0};
        for (int k = 0; k < n; k++) {
            if (id >= w[k].ncmd)
                continue;
            sum.calls += w[k].cmd[id].calls;
            sum.usec += w[k].cmd[id].usec;
            sum.rejected += w[k].cmd[id].rejected;
            sum.failed += w[k].cmd[id].failed;
        }
        if (!sum.calls && !sum.rejected && !sum.failed)
            continue;
        char name[96];
        full_name(id, name, sizeof(name));
        ts_buf_printf(out, "cmdstat_%s:calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=%llu,failed_calls=%llu\r\n",
                 name, (unsigned long long)sum.calls, (unsigned long long)sum.usec,
                 sum.calls ? (double)sum.usec / (double)sum.calls : 0.0, (unsigned long long)sum.rejected,
                 (unsigned long long)sum.failed);
    }
}

void
cmdstats_format_errors(struct ts_buf *out, const struct cmdstats *w, int n)
{
    /* Merge the workers' kinds, first-seen order. */
    struct err_stat all[CMDSTATS_MAX_ERR];
    int na = 0;
    for (int k = 0; k < n; k++) {
        for (int i = 0; i < w[k].nerr; i++) {
            int j = 0;
            while (j < na && strcmp(all[j].name, w[k].err[i].name) != 0)
                j++;
            if (j == na) {
                if (na == CMDSTATS_MAX_ERR)
                    continue;
                all[na] = w[k].err[i];
                na++;
            } else {
                all[j].count += w[k].err[i].count;
            }
        }
    }
    for (int j = 0; j < na; j++)
        ts_buf_printf(out, "errorstat_%s:count=%llu\r\n", all[j].name, (unsigned long long)all[j].count);
}
