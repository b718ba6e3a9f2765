/* options.c: loadgen's command line (loadgen.h). Flags follow
 * redis-benchmark and memtier_benchmark where they overlap; the usage text
 * below is the reference. */
#include "bench/loadgen/loadgen.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
lg_options_usage(FILE *f)
{
    fputs(
        "Usage: loadgen [options]\n"
        "A cluster-aware io_uring load generator for Redis-protocol servers.\n"
        "\n"
        "Target\n"
        "  -h HOST              server host (default 127.0.0.1)\n"
        "  -p PORT              server port (default 6379)\n"
        "  --cluster            Redis Cluster: discover slots with CLUSTER SLOTS from\n"
        "                       HOST:PORT, send each key to its master, follow MOVED/ASK\n"
        "Load\n"
        "  --threads N          threads, one io_uring each (default 1)\n"
        "  --cpus LIST          pin thread i to the i-th CPU of LIST (e.g. 2-3 or 2,4)\n"
        "  -c N                 connections per thread (default 50); with --cluster,\n"
        "                       each connection is one socket per master\n"
        "  -P N                 pipeline: requests in flight per connection (default 1)\n"
        "  -n N                 total requests (default 100000 unless --duration)\n"
        "  --duration SECONDS   run for this long (with -n: whichever ends first)\n"
        "  --rate N             open loop: N requests/s in total, sent at fixed\n"
        "                       intervals; latency counts from the scheduled time\n"
        "Requests\n"
        "  -t LIST              mix of named tests, equal weights: get,set,incr,del,\n"
        "                       ping,lpush,hset,hget,hincrby,hgetall (a mix, not one after another)\n"
        "  --ratio SET:GET      SET and GET weights (default 1:10 when nothing else)\n"
        "  --command TEMPLATE   any command, e.g. \"INCR counter:__key__\" (repeatable);\n"
        "                       __key__ = key, __data__ = value\n"
        "  --command-ratio N    weight of the preceding --command (default 1)\n"
        "  -d SIZE | MIN-MAX    value size in bytes, fixed or uniform range (default 3)\n"
        "  -r N                 key space: keys key:000000000000 .. N-1 (default 100000)\n"
        "  --key-prefix P       key prefix (default \"key:\"; put a {tag} here to pin\n"
        "                       every key to one slot)\n"
        "  --distribution D     uniform | sequential | zipf[:THETA] (default uniform;\n"
        "                       zipf default THETA 0.99); memtier's R/S also accepted\n"
        "  --seed N             random seed (default 1): runs are reproducible\n"
        "Output\n"
        "  -q                   no progress line each second\n"
        "  --json FILE          write the summary as JSON (\"-\" = stdout)\n"
        "  --max-errors N       stop and exit 2 once more than N errors (default: no limit)\n"
        "  --drain SECONDS      wait this long for replies after the end (default 5)\n"
        "  --connect-timeout MS per connection attempt (default 3000)\n"
        "  --help\n"
        "Exit status: 0 ok, 1 bad usage or connection failure at start, 2 too many errors.\n",
        f);
}

enum {
    OPT_THREADS = 256,
    OPT_CPUS,
    OPT_DURATION,
    OPT_RATIO,
    OPT_COMMAND,
    OPT_COMMAND_RATIO,
    OPT_DIST,
    OPT_RATE,
    OPT_JSON,
    OPT_CLUSTER,
    OPT_MAX_ERRORS,
    OPT_KEY_PREFIX,
    OPT_SEED,
    OPT_DRAIN,
    OPT_CONNECT_TIMEOUT,
    OPT_HELP,
};

static const struct option lg_long_opts[] = {
    {"threads", required_argument, NULL, OPT_THREADS},
    {"cpus", required_argument, NULL, OPT_CPUS},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"ratio", required_argument, NULL, OPT_RATIO},
    {"command", required_argument, NULL, OPT_COMMAND},
    {"command-ratio", required_argument, NULL, OPT_COMMAND_RATIO},
    {"distribution", required_argument, NULL, OPT_DIST},
    {"key-pattern", required_argument, NULL, OPT_DIST},
    {"rate", required_argument, NULL, OPT_RATE},
    {"json", required_argument, NULL, OPT_JSON},
    {"cluster", no_argument, NULL, OPT_CLUSTER},
    {"max-errors", required_argument, NULL, OPT_MAX_ERRORS},
    {"key-prefix", required_argument, NULL, OPT_KEY_PREFIX},
    {"seed", required_argument, NULL, OPT_SEED},
    {"drain", required_argument, NULL, OPT_DRAIN},
    {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* Whole-string unsigned decimal with an optional k/m/g suffix (x1000). */
static bool
parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!isdigit((unsigned char)*s))
        return false;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno)
        return false;
    if (*end == 'k' || *end == 'K')
        v *= 1000ull, end++;
    else if (*end == 'm' || *end == 'M')
        v *= 1000000ull, end++;
    else if (*end == 'g' || *end == 'G')
        v *= 1000000000ull, end++;
    if (*end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static bool
parse_double(const char *s, double min, double max, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v >= min) || !(v <= max))
        return false;
    *out = v;
    return true;
}

/* "0-3,6" -> {0,1,2,3,6}. */
static bool
parse_cpus(const char *s, struct lg_opts *o)
{
    o->ncpus = 0;
    while (*s) {
        char *end;
        long a = strtol(s, &end, 10), b;
        if (end == s || a < 0 || a >= LG_MAX_CPUS)
            return false;
        b = a;
        if (*end == '-') {
            s = end + 1;
            b = strtol(s, &end, 10);
            if (end == s || b < a || b >= LG_MAX_CPUS)
                return false;
        }
        for (long c = a; c <= b; c++) {
            if (o->ncpus == LG_MAX_CPUS)
                return false;
            o->cpus[o->ncpus++] = (int)c;
        }
        s = end;
        if (*s == ',')
            s++;
        else if (*s)
            return false;
    }
    return o->ncpus > 0;
}

static int
bad(const char *what, const char *val)
{
    fprintf(stderr, "loadgen: bad %s: '%s' (see --help)\n", what, val);
    return -1;
}

int
lg_options_parse(struct lg_opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof(*o));
    strcpy(o->host, "127.0.0.1");
    o->port = 6379;
    o->conns = 50;
    o->pipeline = 1;
    o->threads = 1;
    o->keyspace = 100000;
    o->max_errors = -1;
    strcpy(o->dist_spec, "uniform");
    o->seed = 1;
    o->drain_s = 5;
    o->connect_timeout_ms = 3000;
    o->refresh_ms = 100;
    lg_cmdgen_init(&o->gen);
    long last_command = -1;
    bool ratio_given = false;
    uint64_t u;
    int ch, ret;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h:p:c:P:d:r:n:t:q", lg_long_opts, NULL)) != -1) {
        switch (ch) {
        case 'h':
            if (strlen(optarg) == 0 || strlen(optarg) >= sizeof(o->host))
                return bad("host", optarg);
            strcpy(o->host, optarg);
            break;
        case 'p':
            if (!parse_u64(optarg, 1, 65535, &u))
                return bad("port", optarg);
            o->port = (int)u;
            break;
        case 'c':
            if (!parse_u64(optarg, 1, 100000, &u))
                return bad("-c", optarg);
            o->conns = (int)u;
            break;
        case 'P':
            if (!parse_u64(optarg, 1, 1000000, &u))
                return bad("-P", optarg);
            o->pipeline = (int)u;
            break;
        case 'd': {
            uint64_t lo, hi;
            char buf[64];
            const char *dash = strchr(optarg, '-');
            if (dash && (size_t)(dash - optarg) < sizeof(buf)) {
                memcpy(buf, optarg, (size_t)(dash - optarg));
                buf[dash - optarg] = '\0';
                if (!parse_u64(buf, 0, 512u << 20, &lo) || !parse_u64(dash + 1, lo, 512u << 20, &hi))
                    return bad("-d", optarg);
            } else if (!dash && parse_u64(optarg, 0, 512u << 20, &lo)) {
                hi = lo;
            } else {
                return bad("-d", optarg);
            }
            o->gen.vmin = (uint32_t)lo;
            o->gen.vmax = (uint32_t)hi;
            break;
        }
        case 'r':
            if (!parse_u64(optarg, 1, 999999999999ull, &o->keyspace))
                return bad("-r", optarg);
            break;
        case 'n':
            if (!parse_u64(optarg, 1, UINT64_MAX / 2, &o->requests))
                return bad("-n", optarg);
            break;
        case 't':
            if (lg_cmdgen_add_tests(&o->gen, optarg) < 0)
                return bad("-t list", optarg);
            ratio_given = true;
            break;
        case 'q':
            o->quiet = true;
            break;
        case OPT_THREADS:
            if (!parse_u64(optarg, 1, 1024, &u))
                return bad("--threads", optarg);
            o->threads = (int)u;
            break;
        case OPT_CPUS:
            if (!parse_cpus(optarg, o))
                return bad("--cpus", optarg);
            break;
        case OPT_DURATION:
            if (!parse_double(optarg, 0.001, 1e7, &o->duration))
                return bad("--duration", optarg);
            break;
        case OPT_RATIO: {
            unsigned long s, g;
            char *end;
            s = strtoul(optarg, &end, 10);
            if (end == optarg || *end != ':')
                return bad("--ratio", optarg);
            const char *gs = end + 1;
            g = strtoul(gs, &end, 10);
            if (end == gs || *end || s + g == 0 || s > 1000 || g > 1000)
                return bad("--ratio", optarg);
            if ((s && lg_cmdgen_add(&o->gen, "SET __key__ __data__", (unsigned)s) < 0) ||
                (g && lg_cmdgen_add(&o->gen, "GET __key__", (unsigned)g) < 0))
                return bad("--ratio (too many commands)", optarg);
            ratio_given = true;
            break;
        }
        case OPT_COMMAND:
            ret = lg_cmdgen_add(&o->gen, optarg, 1);
            if (ret < 0)
                return bad("--command", optarg);
            last_command = ret;
            ratio_given = true;
            break;
        case OPT_COMMAND_RATIO:
            if (last_command < 0 || !parse_u64(optarg, 1, 1000, &u))
                return bad("--command-ratio (after a --command)", optarg);
            o->gen.tmpl[last_command].weight = (unsigned)u;
            break;
        case OPT_DIST:
            if (strlen(optarg) >= sizeof(o->dist_spec))
                return bad("--distribution", optarg);
            strcpy(o->dist_spec, optarg);
            break;
        case OPT_RATE:
            if (!parse_double(optarg, 0.001, 1e10, &o->rate))
                return bad("--rate", optarg);
            break;
        case OPT_JSON:
            o->json_path = optarg;
            break;
        case OPT_CLUSTER:
            o->cluster = true;
            break;
        case OPT_MAX_ERRORS: {
            char *end;
            long long v = strtoll(optarg, &end, 10);
            if (end == optarg || *end || v < -1)
                return bad("--max-errors", optarg);
            o->max_errors = v;
            break;
        }
        case OPT_KEY_PREFIX:
            if (strlen(optarg) >= sizeof(o->gen.prefix))
                return bad("--key-prefix (too long)", optarg);
            strcpy(o->gen.prefix, optarg);
            o->gen.prefix_len = strlen(optarg);
            break;
        case OPT_SEED:
            if (!parse_u64(optarg, 0, UINT64_MAX, &o->seed))
                return bad("--seed", optarg);
            break;
        case OPT_DRAIN:
            if (!parse_double(optarg, 0, 3600, &o->drain_s))
                return bad("--drain", optarg);
            break;
        case OPT_CONNECT_TIMEOUT:
            if (!parse_u64(optarg, 1, 600000, &u))
                return bad("--connect-timeout", optarg);
            o->connect_timeout_ms = (int)u;
            break;
        case OPT_HELP:
            lg_options_usage(stdout);
            return 1;
        default:
            fprintf(stderr, "loadgen: see --help\n");
            return -1;
        }
    }
    if (optind < argc)
        return bad("argument", argv[optind]);
    if (!ratio_given && (lg_cmdgen_add(&o->gen, "SET __key__ __data__", 1) < 0 ||
                         lg_cmdgen_add(&o->gen, "GET __key__", 10) < 0))
        return -1;
    if (o->requests == 0 && o->duration == 0)
        o->requests = 100000;
    if (lg_dist_parse(&o->dist, o->dist_spec, o->keyspace) < 0)
        return bad("--distribution", o->dist_spec);
    if (lg_cmdgen_finish(&o->gen) < 0) {
        fprintf(stderr, "loadgen: bad command templates or weights (see --help)\n");
        return -1;
    }
    return 0;
}
