/* cmdstats.c: per-worker command and error counters (see cmdstats.h). */
#include "core/cmdstats.h"

#include "core/cmd.h"

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
    int id = cmdstats_id(d);
    if (id < 0)
        return NULL;
    if (id >= s->ncmd) {
        int n = ndefs;
        s->cmd = ts_realloc(s->cmd, (size_t)n * sizeof(*s->cmd));
        memset(s->cmd + s->ncmd, 0, (size_t)(n - s->ncmd) * sizeof(*s->cmd));
        s->ncmd = n;
    }
    return &s->cmd[id];
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
    if (s->cmd)
        memset(s->cmd, 0, (size_t)s->ncmd * sizeof(*s->cmd));
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
    }
}

void
cmdstats_free(struct cmdstats *s)
{
    ts_free(s->cmd);
    memset(s, 0, sizeof(*s));
}

static void
put_line(struct ts_buf *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
put_line(struct ts_buf *out, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0)
        ts_buf_append(out, tmp, (size_t)TS_MIN((size_t)n, sizeof(tmp) - 1));
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
        if (parents[id])
            snprintf(name, sizeof(name), "%s|%s", parents[id]->name, defs[id]->name);
        else
            snprintf(name, sizeof(name), "%s", defs[id]->name);
        put_line(out, "cmdstat_%s:calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=%llu,failed_calls=%llu\r\n",
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
        put_line(out, "errorstat_%s:count=%llu\r\n", all[j].name, (unsigned long long)all[j].count);
}
