/* latency.c: the latency monitor: latency_observe and LATENCY LATEST /
 * HISTORY / RESET / DOCTOR / HELP.
 *
 * Samples arrive only when an event took at least
 * latency-monitor-threshold ms, which is rare by definition, so one small
 * table guarded by a mutex is enough: the request path never reaches the
 * lock unless it was already slow. Per event, Redis keeps the last 160
 * samples (one per second at most, keeping the larger) and the maximum. */
#include "core/server_cmds.h"

#include "core/cmdstats.h"
#include "core/config.h"
#include "core/server.h"
#include "core/shard.h"

#include <pthread.h>
#include <stdio.h>

#define LATENCY_EVENTS_MAX 64
#define LATENCY_HISTORY 160

struct latency_sample {
    int32_t time;  /* unix seconds */
    uint32_t ms;
};

struct latency_event {
    char name[64];
    struct latency_sample s[LATENCY_HISTORY];
    int idx;       /* next slot */
    uint32_t max;
};

static struct latency_event latency_events[LATENCY_EVENTS_MAX];
static int latency_nevents;
static pthread_mutex_t latency_lock = PTHREAD_MUTEX_INITIALIZER;

static struct latency_event *
latency_find(const char *name)
{
    for (int i = 0; i < latency_nevents; i++)
        if (strcmp(latency_events[i].name, name) == 0)
            return &latency_events[i];
    return NULL;
}

void
latency_observe(const char *event, uint64_t ms)
{
    long long thr = __atomic_load_n(&g_cfg.latency_monitor_threshold, __ATOMIC_RELAXED);
    if (thr <= 0 || ms < (uint64_t)thr)
        return;
    int32_t now = (int32_t)(ts_mstime() / 1000);
    pthread_mutex_lock(&latency_lock);
    struct latency_event *ev = latency_find(event);
    if (ev == NULL && latency_nevents < LATENCY_EVENTS_MAX) {
        ev = &latency_events[latency_nevents++];
        memset(ev, 0, sizeof(*ev));
        snprintf(ev->name, sizeof(ev->name), "%s", event);
    }
    if (ev) {
        uint32_t v = (uint32_t)TS_MIN(ms, (uint64_t)UINT32_MAX);
        if (v > ev->max)
            ev->max = v;
        int prev = (ev->idx + LATENCY_HISTORY - 1) % LATENCY_HISTORY;
        if (ev->s[prev].time == now) {
            if (v > ev->s[prev].ms)
                ev->s[prev].ms = v;
        } else {
            ev->s[ev->idx].time = now;
            ev->s[ev->idx].ms = v;
            ev->idx = (ev->idx + 1) % LATENCY_HISTORY;
        }
    }
    pthread_mutex_unlock(&latency_lock);
}

/* LATENCY LATEST: [event, time of latest sample, its ms, max ms] each. */
static void
latency_latest(struct cmd_ctx *c)
{
    pthread_mutex_lock(&latency_lock);
    reply_array(c->r, latency_nevents);
    for (int i = 0; i < latency_nevents; i++) {
        struct latency_event *ev = &latency_events[i];
        int last = (ev->idx + LATENCY_HISTORY - 1) % LATENCY_HISTORY;
        reply_array(c->r, 4);
        reply_bulk_cstr(c->r, ev->name);
        reply_int(c->r, ev->s[last].time);
        reply_int(c->r, ev->s[last].ms);
        reply_int(c->r, ev->max);
    }
    pthread_mutex_unlock(&latency_lock);
}

static void
latency_history(struct cmd_ctx *c)
{
    char name[64];
    snprintf(name, sizeof(name), "%.*s", (int)TS_MIN(c->argv[2].len, sizeof(name) - 1), c->argv[2].ptr);
    pthread_mutex_lock(&latency_lock);
    struct latency_event *ev = latency_find(name);
    if (ev == NULL) {
        reply_array(c->r, 0);
    } else {
        long n = 0;
        for (int i = 0; i < LATENCY_HISTORY; i++)
            n += ev->s[i].time != 0;
        reply_array(c->r, n);
        for (int k = 0; k < LATENCY_HISTORY; k++) {
            int i = (ev->idx + k) % LATENCY_HISTORY; /* oldest first */
            if (ev->s[i].time == 0)
                continue;
            reply_array(c->r, 2);
            reply_int(c->r, ev->s[i].time);
            reply_int(c->r, ev->s[i].ms);
        }
    }
    pthread_mutex_unlock(&latency_lock);
}

static void
latency_reset(struct cmd_ctx *c)
{
    long long n = 0;
    pthread_mutex_lock(&latency_lock);
    if (c->argc == 2) {
        n = latency_nevents;
        latency_nevents = 0;
    } else {
        for (int j = 2; j < c->argc; j++) {
            for (int i = 0; i < latency_nevents; i++) {
                struct latency_event *ev = &latency_events[i];
                if (strlen(ev->name) == c->argv[j].len && memcmp(ev->name, c->argv[j].ptr, c->argv[j].len) == 0) {
                    latency_events[i] = latency_events[--latency_nevents];
                    n++;
                    break;
                }
            }
        }
    }
    pthread_mutex_unlock(&latency_lock);
    reply_int(c->r, n);
}

/* A short plain-text report: per event, the latest and worst samples. */
static void
latency_doctor(struct cmd_ctx *c)
{
    struct ts_buf out = { 0 };
    char line[256];
    pthread_mutex_lock(&latency_lock);
    if (latency_nevents == 0) {
        const char *msg = "Dave, no latency spike was observed during the lifetime of this Redis instance, not in "
                          "the slightest bit. I honestly think you ought to sleep tonight.\n";
        ts_buf_append(&out, msg, strlen(msg));
    }
    for (int i = 0; i < latency_nevents; i++) {
        struct latency_event *ev = &latency_events[i];
        int last = (ev->idx + LATENCY_HISTORY - 1) % LATENCY_HISTORY;
        int n = snprintf(line, sizeof(line), "%d. %s: latest %u ms, max %u ms.\n", i + 1, ev->name,
                         ev->s[last].ms, ev->max);
        ts_buf_append(&out, line, (size_t)TS_MIN(n, (int)sizeof(line) - 1));
    }
    pthread_mutex_unlock(&latency_lock);
    reply_verbatim(c->r, out.data ? out.data : "", out.len, "txt");
    ts_buf_free(&out);
}

/* LATENCY HISTOGRAM: each worker copies its command counters (with their
 * latency histograms); the client's worker sums and answers. */
struct lathist_state {
    int argc;
    struct sv *argv; /* copies: the request's buffers are gone by then */
    struct cmdstats cs[MAX_WORKERS];
};

static void
lathist_each(struct shard *sh, void *arg, int worker)
{
    struct lathist_state *st = arg;
    cmdstats_copy(&st->cs[worker], &sh->cstats);
}

static void
lathist_done(void *arg, struct reply *r, struct client *cl)
{
    struct lathist_state *st = arg;
    cmdstats_histogram_reply(r, st->cs, cmd_nworkers(), st->argc, st->argv);
}

static void
lathist_free(void *arg)
{
    struct lathist_state *st = arg;
    for (int i = 0; i < MAX_WORKERS; i++)
        cmdstats_free(&st->cs[i]);
    for (int i = 0; i < st->argc; i++)
        ts_free((void *)st->argv[i].ptr);
    ts_free(st->argv);
    ts_free(st);
}

static void
latency_histogram(struct cmd_ctx *c)
{
    struct lathist_state *st = ts_calloc(1, sizeof(*st));
    st->argc = c->argc - 2;
    st->argv = ts_calloc((size_t)TS_MAX(st->argc, 1), sizeof(struct sv));
    for (int i = 0; i < st->argc; i++)
        st->argv[i] = (struct sv){ts_strndup(c->argv[2 + i].ptr, c->argv[2 + i].len), c->argv[2 + i].len};
    cmd_fanout(c, st, lathist_each, lathist_done, lathist_free);
}

static const char *const latency_help_lines[] = {
    "DOCTOR",
    "    Return a human readable latency analysis report.",
    "HISTORY <event>",
    "    Return time-latency samples for the <event> class.",
    "LATEST",
    "    Return the latest latency samples for all events.",
    "RESET [<event> ...]",
    "    Reset latency data of one or more <event> classes.",
    "    (default: reset all data for all event classes)",
    "HISTOGRAM [COMMAND ...]",
    "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
    "    If no commands are specified then all histograms are replied.",
    NULL,
};

static void
latency_help(struct cmd_ctx *c)
{
    server_reply_help(c->r, "LATENCY", latency_help_lines);
}

#define LAT_FLAGS (CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE)
#define LAT_SUB(n, a, f, p, acl_, sum)                                                                 \
    {                                                                                                  \
        .name = n, .arity = a, .flags = (f), .proc = p, .acl = acl_, .group = "server",              \
        .since = "2.8.13", .summary = sum,                                                             \
    }

static const struct cmd_def latency_subs[] = {
    LAT_SUB("latest", 2, LAT_FLAGS, latency_latest, "admin slow dangerous", "Return the latest latency samples for all events"),
    LAT_SUB("history", 3, LAT_FLAGS, latency_history, "admin slow dangerous", "Return timestamp-latency samples for an event"),
    LAT_SUB("reset", -2, LAT_FLAGS, latency_reset, "admin slow dangerous", "Reset latency data for one or more events"),
    LAT_SUB("doctor", 2, LAT_FLAGS, latency_doctor, "admin slow dangerous", "Return a human readable latency analysis report"),
    LAT_SUB("histogram", -2, LAT_FLAGS, latency_histogram, "admin slow dangerous", "Return the cumulative distribution of latencies of a subset of commands or all"),
    LAT_SUB("help", 2, CMD_LOADING | CMD_STALE, latency_help, "slow", "Show helpful text about the different subcommands"),
    { .name = NULL },
};

static const struct cmd_def latency_cmds[] = {
    { .name = "latency", .arity = -2, .flags = CMD_CONTAINER, .proc = server_container_proc,
      .subcommands = latency_subs, .acl = "slow", .group = "server", .since = "2.8.13",
      .summary = "A container for latency diagnostics commands" },
    { .name = NULL },
};

void
latency_register(void)
{
    cmd_register_table(latency_cmds);
}
