/* cmdgen.c: request templates compiled to RESP segments (cmdgen.h). */
#include "bench/loadgen/cmdgen.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

static void *
cg_alloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (p == NULL) {
        fprintf(stderr, "loadgen: out of memory\n");
        abort();
    }
    return p;
}

void
lg_cmdgen_init(struct lg_cmdgen *g)
{
    memset(g, 0, sizeof(*g));
    strcpy(g->prefix, "key:");
    g->prefix_len = 4;
    g->vmin = g->vmax = 3; /* redis-benchmark's -d default */
}

void
lg_cmdgen_deinit(struct lg_cmdgen *g)
{
    for (unsigned i = 0; i < g->ntmpl; i++) {
        free(g->tmpl[i].text);
        free(g->tmpl[i].lit);
        g->tmpl[i].text = g->tmpl[i].lit = NULL;
    }
    free(g->filler);
    g->filler = NULL;
    g->ntmpl = 0;
}

int
lg_cmdgen_add(struct lg_cmdgen *g, const char *text, unsigned weight)
{
    if (g->ntmpl >= LG_MAX_TMPL)
        return -ENOSPC;
    const char *p = text;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '\0' || weight == 0)
        return -EINVAL;
    struct lg_tmpl *t = &g->tmpl[g->ntmpl];
    memset(t, 0, sizeof(*t));
    t->text = strdup(text);
    if (t->text == NULL)
        abort();
    t->weight = weight;
    size_t i = 0;
    for (; p[i] && p[i] != ' ' && p[i] != '\t' && p[i] != '"' && i + 1 < sizeof(t->name); i++)
        t->name[i] = (char)toupper((unsigned char)p[i]);
    t->name[i] = '\0';
    return (int)g->ntmpl++;
}

/* ---- Compilation ---- */

/* Append bytes to the template's literal pool, growing it. */
static void
lit_append(struct lg_tmpl *t, size_t *cap, const char *s, size_t n)
{
    if (t->lit_len + n > *cap) {
        size_t nc = (*cap ? *cap : 64);
        while (nc < t->lit_len + n)
            nc *= 2;
        t->lit = realloc(t->lit, nc);
        if (t->lit == NULL)
            abort();
        *cap = nc;
    }
    memcpy(t->lit + t->lit_len, s, n);
    t->lit_len += n;
}

/* Add a literal segment, merged with the previous one when adjacent. */
static int
seg_lit(struct lg_tmpl *t, size_t *cap, const char *s, size_t n)
{
    if (n == 0)
        return 0;
    if (t->nsegs && t->segs[t->nsegs - 1].kind == LG_SEG_LIT &&
        t->segs[t->nsegs - 1].off + t->segs[t->nsegs - 1].len == t->lit_len) {
        t->segs[t->nsegs - 1].len += (uint32_t)n;
    } else {
        if (t->nsegs >= LG_MAX_SEGS)
            return -EINVAL;
        t->segs[t->nsegs++] = (struct lg_seg){.kind = LG_SEG_LIT, .off = (uint32_t)t->lit_len, .len = (uint32_t)n};
    }
    lit_append(t, cap, s, n);
    t->fixed_len += n;
    return 0;
}

static int
seg_add(struct lg_tmpl *t, uint8_t kind, uint32_t len, uint16_t ndata)
{
    if (t->nsegs >= LG_MAX_SEGS)
        return -EINVAL;
    t->segs[t->nsegs++] = (struct lg_seg){.kind = kind, .len = len, .ndata = ndata};
    return 0;
}

#define LG_ARGS_MAX 64

/* Split into arguments: blanks separate, "..." groups (no escapes). The
 * arguments are written NUL-separated into buf. */
static int
split_args(const char *s, char *buf, char **argv, int *argc)
{
    int n = 0;
    char *o = buf;
    while (*s) {
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s)
            break;
        if (n >= LG_ARGS_MAX)
            return -EINVAL;
        argv[n++] = o;
        bool quoted = false;
        while (*s && (quoted || (*s != ' ' && *s != '\t'))) {
            if (*s == '"')
                quoted = !quoted;
            else
                *o++ = *s;
            s++;
        }
        if (quoted)
            return -EINVAL;
        *o++ = '\0';
    }
    *argc = n;
    return n ? 0 : -EINVAL;
}

static int
tmpl_compile(struct lg_cmdgen *g, struct lg_tmpl *t)
{
    static const char KEY[] = "__key__", DATA[] = "__data__";
    char *buf = cg_alloc(strlen(t->text) + 1);
    char *argv[LG_ARGS_MAX];
    int argc = 0, ret;
    size_t cap = 0;
    char hdr[32];
    t->nsegs = 0;
    t->lit_len = t->fixed_len = 0;
    t->nkeys = t->ndata = 0;
    if ((ret = split_args(t->text, buf, argv, &argc)) < 0)
        goto out;
    int hn = snprintf(hdr, sizeof(hdr), "*%d\r\n", argc);
    if ((ret = seg_lit(t, &cap, hdr, (size_t)hn)) < 0)
        goto out;
    for (int a = 0; a < argc; a++) {
        const char *s = argv[a];
        size_t fixed = 0;
        unsigned nk = 0, nd = 0;
        for (const char *q = s; *q;) {
            if (strncmp(q, KEY, sizeof(KEY) - 1) == 0) {
                nk++;
                q += sizeof(KEY) - 1;
            } else if (strncmp(q, DATA, sizeof(DATA) - 1) == 0) {
                nd++;
                q += sizeof(DATA) - 1;
            } else {
                fixed++;
                q++;
            }
        }
        size_t known = fixed + nk * g->key_len;
        if (nd) {
            if ((ret = seg_add(t, LG_SEG_DATAHDR, (uint32_t)known, (uint16_t)nd)) < 0)
                goto out;
        } else {
            hn = snprintf(hdr, sizeof(hdr), "$%zu\r\n", known);
            if ((ret = seg_lit(t, &cap, hdr, (size_t)hn)) < 0)
                goto out;
        }
        const char *lit = s;
        for (const char *q = s; *q;) {
            bool k = strncmp(q, KEY, sizeof(KEY) - 1) == 0;
            bool d = !k && strncmp(q, DATA, sizeof(DATA) - 1) == 0;
            if (!k && !d) {
                q++;
                continue;
            }
            if ((ret = seg_lit(t, &cap, lit, (size_t)(q - lit))) < 0)
                goto out;
            if ((ret = seg_add(t, k ? LG_SEG_KEY : LG_SEG_DATA, 0, 0)) < 0)
                goto out;
            q += k ? sizeof(KEY) - 1 : sizeof(DATA) - 1;
            lit = q;
        }
        if ((ret = seg_lit(t, &cap, lit, strlen(lit))) < 0)
            goto out;
        if ((ret = seg_lit(t, &cap, "\r\n", 2)) < 0)
            goto out;
        t->nkeys += nk;
        t->ndata += nd;
    }
    t->has_key = t->nkeys > 0;
    t->has_data = t->ndata > 0;
    ret = 0;
out:
    free(buf);
    return ret;
}

static const struct {
    const char *name, *tmpl;
} lg_tests[] = {
    {"get", "GET __key__"},
    {"set", "SET __key__ __data__"},
    {"incr", "INCR counter:__key__"},
    {"del", "DEL __key__"},
    {"ping", "PING"},
    {"lpush", "LPUSH list:__key__ __data__"},
    {"hset", "HSET hash:__key__ field __data__"},
    {"hget", "HGET hash:__key__ field"},
    {"hincrby", "HINCRBY hash:__key__ counter 1"},
    {"hgetall", "HGETALL hash:__key__"},
};

int
lg_cmdgen_add_tests(struct lg_cmdgen *g, const char *list)
{
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        size_t i = 0;
        for (; i < sizeof(lg_tests) / sizeof(lg_tests[0]); i++)
            if (strlen(lg_tests[i].name) == n && strncasecmp(p, lg_tests[i].name, n) == 0)
                break;
        if (i == sizeof(lg_tests) / sizeof(lg_tests[0]))
            return -EINVAL;
        int ret = lg_cmdgen_add(g, lg_tests[i].tmpl, 1);
        if (ret < 0)
            return ret;
        p += n;
        if (*p == ',')
            p++;
    }
    return 0;
}

static unsigned
gcd(unsigned a, unsigned b)
{
    while (b) {
        unsigned t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* The mix cycle by smooth weighted round-robin (nginx): every step each
 * template gains its weight, the richest is picked and pays the total, so
 * 3:5 gives G S G G S G S G rather than S S S G G G G G. */
int
lg_cmdgen_finish(struct lg_cmdgen *g)
{
    if (g->ntmpl == 0 || g->vmin > g->vmax)
        return -EINVAL;
    g->key_len = g->prefix_len + LG_KEY_DIGITS;
    unsigned d = 0;
    for (unsigned i = 0; i < g->ntmpl; i++)
        d = gcd(d, g->tmpl[i].weight);
    unsigned total = 0;
    for (unsigned i = 0; i < g->ntmpl; i++) {
        g->tmpl[i].weight /= d;
        total += g->tmpl[i].weight;
        int ret = tmpl_compile(g, &g->tmpl[i]);
        if (ret < 0)
            return ret;
    }
    if (total > LG_MAX_CYCLE)
        return -EINVAL;
    long cur[LG_MAX_TMPL] = {0};
    for (unsigned s = 0; s < total; s++) {
        unsigned best = 0;
        for (unsigned i = 0; i < g->ntmpl; i++) {
            cur[i] += g->tmpl[i].weight;
            if (cur[i] > cur[best])
                best = i;
        }
        cur[best] -= total;
        g->cycle[s] = (uint8_t)best;
    }
    g->ncycle = total;
    free(g->filler);
    g->filler = cg_alloc(g->vmax + 1);
    memset(g->filler, 'x', g->vmax);
    return 0;
}

size_t
lg_tmpl_size(const struct lg_cmdgen *g, const struct lg_tmpl *t, uint32_t vlen)
{
    size_t n = t->fixed_len + t->nkeys * g->key_len + (size_t)t->ndata * vlen;
    return n + (size_t)t->nsegs * 24; /* room for each "$<len>\r\n" */
}

/* Decimal of v into p; returns the length. */
static size_t
put_u64(char *p, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        p[i] = tmp[n - 1 - i];
    return n;
}

size_t
lg_tmpl_render(const struct lg_cmdgen *g, const struct lg_tmpl *t, const char *key, uint32_t vlen, char *out)
{
    char *o = out;
    for (unsigned i = 0; i < t->nsegs; i++) {
        const struct lg_seg *s = &t->segs[i];
        switch (s->kind) {
        case LG_SEG_LIT:
            memcpy(o, t->lit + s->off, s->len);
            o += s->len;
            break;
        case LG_SEG_KEY:
            memcpy(o, key, g->key_len);
            o += g->key_len;
            break;
        case LG_SEG_DATAHDR:
            *o++ = '$';
            o += put_u64(o, (uint64_t)s->len + (uint64_t)s->ndata * vlen);
            *o++ = '\r';
            *o++ = '\n';
            break;
        default:
            memcpy(o, g->filler, vlen);
            o += vlen;
            break;
        }
    }
    return (size_t)(o - out);
}
