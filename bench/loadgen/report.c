/* report.c: progress line, summary, JSON (report.h). */
#include "bench/loadgen/report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* 1234567 -> "1,234,567" */
static const char *
commas(char *buf, size_t n, double v)
{
    char tmp[32];
    snprintf(tmp, sizeof(tmp), "%.0f", v < 0 ? 0 : v);
    size_t len = strlen(tmp), o = 0;
    for (size_t i = 0; i < len && o + 2 < n; i++) {
        if (i && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = '\0';
    return buf;
}

static double
ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

void
lg_report_progress(struct lg_run *run, struct lg_hist *scratch, double elapsed_s, double interval_s)
{
    unsigned e = atomic_fetch_add(&run->epoch, 1) + 1;
    uint64_t deadline = lg_now_ns() + 200000000ull;
    lg_hist_reset(scratch);
    uint64_t errors = 0;
    for (int i = 0; i < run->nthreads; i++) {
        struct lg_thread *t = run->threads[i];
        while (atomic_load_explicit(&t->acked, memory_order_acquire) != e && !atomic_load(&t->finished) &&
               lg_now_ns() < deadline)
            usleep(200);
        errors += atomic_load_explicit(&t->pub_errors, memory_order_relaxed);
        if (atomic_load_explicit(&t->acked, memory_order_acquire) != e)
            continue; /* late or finished: its half is not ours to read */
        struct lg_hist *old = t->iv[(e - 1) & 1];
        lg_hist_merge(scratch, old);
        lg_hist_reset(old);
    }
    if (run->o->quiet)
        return;
    char b[32];
    fprintf(stderr, "[%6.1fs] %12s ops/s  p50 %.3f ms  p99 %.3f ms  errors %llu\n", elapsed_s,
            commas(b, sizeof(b), interval_s > 0 ? (double)scratch->count / interval_s : 0),
            ms(lg_hist_percentile(scratch, 50)), ms(lg_hist_percentile(scratch, 99)), (unsigned long long)errors);
}

void
lg_result_collect(struct lg_result *r, const struct lg_run *run, double cpu_s)
{
    memset(r, 0, sizeof(*r));
    r->all = lg_hist_create();
    const struct lg_opts *o = run->o;
    for (unsigned i = 0; i < o->gen.ntmpl; i++)
        r->per[i] = lg_hist_create();
    uint64_t last = run->t0;
    for (int i = 0; i < run->nthreads; i++) {
        const struct lg_thread *t = run->threads[i];
        r->issued += t->issued;
        r->completed += t->completed;
        r->lost += t->lost;
        r->moved += t->moved;
        r->ask += t->ask;
        r->reconnects += t->reconnects;
        r->refreshes += t->refreshes;
        r->timeouts += t->timeouts;
        r->bytes_in += t->bytes_in;
        r->bytes_out += t->bytes_out;
        if (t->t_last > last)
            last = t->t_last;
        for (unsigned k = 0; k < o->gen.ntmpl; k++) {
            lg_hist_merge(r->per[k], t->tot[k]);
            lg_hist_merge(r->all, t->tot[k]);
        }
        lg_errtab_merge(&r->errs, &t->errs);
    }
    r->elapsed_s = (double)(last - run->t0) / 1e9;
    r->cpu_s = cpu_s;
}

void
lg_result_deinit(struct lg_result *r)
{
    lg_hist_destroy(&r->all);
    for (unsigned i = 0; i < LG_MAX_TMPL; i++)
        if (r->per[i])
            lg_hist_destroy(&r->per[i]);
}

static double
rate(const struct lg_result *r, uint64_t n)
{
    return r->elapsed_s > 0 ? (double)n / r->elapsed_s : 0;
}

static void
latency_line(FILE *f, const struct lg_hist *h)
{
    fprintf(f, "p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  mean %.3f ms", ms(lg_hist_percentile(h, 50)),
            ms(lg_hist_percentile(h, 90)), ms(lg_hist_percentile(h, 99)), ms(lg_hist_percentile(h, 99.9)),
            ms(h->max), lg_hist_mean(h) / 1e6);
}

void
lg_report_summary(FILE *f, const struct lg_opts *o, const struct lg_result *r)
{
    char b1[32], b2[32];
    const struct lg_cmdgen *g = &o->gen;
    fprintf(f, "loadgen: %s%s:%d, %d thread%s x %d connection%s, pipeline %d, ", o->cluster ? "cluster " : "",
            o->host, o->port, o->threads, o->threads == 1 ? "" : "s", o->conns, o->conns == 1 ? "" : "s", o->pipeline);
    if (o->rate > 0)
        fprintf(f, "open loop at %s req/s", commas(b1, sizeof(b1), o->rate));
    else
        fprintf(f, "closed loop");
    if (g->vmin == g->vmax)
        fprintf(f, ", %u-byte values", g->vmin);
    else
        fprintf(f, ", %u-%u-byte values", g->vmin, g->vmax);
    fprintf(f, ", %llu %s keys\n  mix:", (unsigned long long)o->keyspace, o->dist_spec);
    for (unsigned i = 0; i < g->ntmpl; i++)
        fprintf(f, "%s\"%s\" x%u", i ? ", " : " ", g->tmpl[i].text, g->tmpl[i].weight);
    fprintf(f, "\n");
    fprintf(f, "  requests   %s in %.2f s: %s ops/s\n", commas(b1, sizeof(b1), (double)r->completed), r->elapsed_s,
            commas(b2, sizeof(b2), rate(r, r->completed)));
    fprintf(f, "  latency    ");
    latency_line(f, r->all);
    fprintf(f, "\n");
    for (unsigned i = 0; g->ntmpl > 1 && i < g->ntmpl; i++) {
        fprintf(f, "  %-10s %s ops/s  ", g->tmpl[i].name, commas(b1, sizeof(b1), rate(r, r->per[i]->count)));
        latency_line(f, r->per[i]);
        fprintf(f, "\n");
    }
    fprintf(f, "  errors     %llu", (unsigned long long)r->errs.total);
    for (unsigned i = 0; i < r->errs.n; i++)
        fprintf(f, "%s%s %llu (\"%s\")", i ? ", " : ": ", r->errs.e[i].kind, (unsigned long long)r->errs.e[i].count,
                r->errs.e[i].sample);
    fprintf(f, "\n");
    if (o->cluster)
        fprintf(f, "  cluster    moved %llu, ask %llu (followed), map refreshes %llu\n", (unsigned long long)r->moved,
                (unsigned long long)r->ask, (unsigned long long)r->refreshes);
    if (r->lost || r->reconnects)
        fprintf(f, "  conns      reconnects %llu, requests lost in flight %llu\n", (unsigned long long)r->reconnects,
                (unsigned long long)r->lost);
    fprintf(f, "  client CPU %.2f s (%.3f us/request)\n", r->cpu_s,
            r->completed ? r->cpu_s * 1e6 / (double)r->completed : 0.0);
}

static void
json_latency(FILE *f, const struct lg_hist *h)
{
    fprintf(f,
            "{\"min\": %.3f, \"p50\": %.3f, \"p90\": %.3f, \"p99\": %.3f, \"p99.9\": %.3f, \"max\": %.3f, "
            "\"mean\": %.3f}",
            h->count ? (double)h->min / 1e3 : 0.0, (double)lg_hist_percentile(h, 50) / 1e3,
            (double)lg_hist_percentile(h, 90) / 1e3, (double)lg_hist_percentile(h, 99) / 1e3,
            (double)lg_hist_percentile(h, 99.9) / 1e3, (double)h->max / 1e3, lg_hist_mean(h) / 1e3);
}

/* Strings in the JSON are ours (names, templates, error samples already
 * made printable); only quotes and backslashes need escaping. */
static void
json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc((unsigned char)*s >= 32 ? *s : '?', f);
    }
    fputc('"', f);
}

int
lg_report_json(const char *path, const struct lg_opts *o, const struct lg_result *r)
{
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    if (f == NULL)
        return -errno;
    const struct lg_cmdgen *g = &o->gen;
    fprintf(f, "{\n  \"config\": {\"host\": ");
    json_str(f, o->host);
    fprintf(f,
            ", \"port\": %d, \"cluster\": %s, \"threads\": %d, \"connections\": %d, \"pipeline\": %d, "
            "\"requests\": %llu, \"duration\": %.3f, \"rate\": %.3f, \"value_min\": %u, \"value_max\": %u, "
            "\"keyspace\": %llu, \"distribution\": ",
            o->port, o->cluster ? "true" : "false", o->threads, o->conns, o->pipeline,
            (unsigned long long)o->requests, o->duration, o->rate, g->vmin, g->vmax,
            (unsigned long long)o->keyspace);
    json_str(f, o->dist_spec);
    fprintf(f, ", \"seed\": %llu},\n", (unsigned long long)o->seed);
    fprintf(f, "  \"elapsed_s\": %.6f,\n  \"requests\": %llu,\n  \"issued\": %llu,\n  \"ops_per_sec\": %.1f,\n",
            r->elapsed_s, (unsigned long long)r->completed, (unsigned long long)r->issued, rate(r, r->completed));
    fprintf(f, "  \"latency_us\": ");
    json_latency(f, r->all);
    fprintf(f, ",\n  \"commands\": [");
    for (unsigned i = 0; i < g->ntmpl; i++) {
        fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
        json_str(f, g->tmpl[i].name);
        fprintf(f, ", \"template\": ");
        json_str(f, g->tmpl[i].text);
        fprintf(f, ", \"weight\": %u, \"requests\": %llu, \"ops_per_sec\": %.1f, \"latency_us\": ", g->tmpl[i].weight,
                (unsigned long long)r->per[i]->count, rate(r, r->per[i]->count));
        json_latency(f, r->per[i]);
        fprintf(f, "}");
    }
    fprintf(f, "\n  ],\n  \"errors\": {\"total\": %llu, \"by_kind\": {", (unsigned long long)r->errs.total);
    for (unsigned i = 0; i < r->errs.n; i++) {
        fprintf(f, "%s", i ? ", " : "");
        json_str(f, r->errs.e[i].kind);
        fprintf(f, ": %llu", (unsigned long long)r->errs.e[i].count);
    }
    fprintf(f, "}, \"samples\": {");
    for (unsigned i = 0; i < r->errs.n; i++) {
        fprintf(f, "%s", i ? ", " : "");
        json_str(f, r->errs.e[i].kind);
        fprintf(f, ": ");
        json_str(f, r->errs.e[i].sample);
    }
    fprintf(f, "}},\n");
    fprintf(f,
            "  \"cluster\": {\"moved\": %llu, \"ask\": %llu, \"refreshes\": %llu},\n  \"reconnects\": %llu,\n"
            "  \"lost\": %llu,\n  \"timeouts\": %llu,\n  \"bytes_sent\": %llu,\n  \"bytes_received\": %llu,\n",
            (unsigned long long)r->moved, (unsigned long long)r->ask, (unsigned long long)r->refreshes,
            (unsigned long long)r->reconnects, (unsigned long long)r->lost, (unsigned long long)r->timeouts,
            (unsigned long long)r->bytes_out, (unsigned long long)r->bytes_in);
    fprintf(f, "  \"client_cpu_s\": %.6f,\n  \"client_cpu_us_per_request\": %.4f\n}\n", r->cpu_s,
            r->completed ? r->cpu_s * 1e6 / (double)r->completed : 0.0);
    int ret = 0;
    if (f != stdout) {
        if (fclose(f) != 0)
            ret = -errno;
    } else {
        fflush(f);
    }
    return ret;
}
