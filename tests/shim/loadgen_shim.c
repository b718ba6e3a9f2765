/* loadgen_shim.c: see loadgen_shim.h. */
#include "tests/shim/loadgen_shim.h"

#include "bench/loadgen/cmap.h"
#include "bench/loadgen/cmdgen.h"
#include "bench/loadgen/hist.h"
#include "bench/loadgen/keydist.h"
#include "bench/loadgen/reply.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(LGS_NO_NODE == LG_NO_NODE, "LGS_NO_NODE");
_Static_assert(LGS_REDIR_MOVED == LG_REDIR_MOVED && LGS_REDIR_ASK == LG_REDIR_ASK, "LGS_REDIR_*");

/* ---- hist ---- */

void *
lgs_hist_create(void)
{
    return lg_hist_create();
}

void
lgs_hist_destroy(void *h)
{
    struct lg_hist *p = h;
    lg_hist_destroy(&p);
}

void
lgs_hist_reset(void *h)
{
    lg_hist_reset(h);
}

void
lgs_hist_record(void *h, uint64_t v)
{
    lg_hist_record(h, v);
}

void
lgs_hist_record_n(void *h, uint64_t v, uint64_t n)
{
    lg_hist_record_n(h, v, n);
}

void
lgs_hist_merge(void *dst, const void *src)
{
    lg_hist_merge(dst, src);
}

uint64_t
lgs_hist_percentile(const void *h, double q)
{
    return lg_hist_percentile(h, q);
}

uint64_t
lgs_hist_count(const void *h)
{
    return ((const struct lg_hist *)h)->count;
}

uint64_t
lgs_hist_min(const void *h)
{
    return ((const struct lg_hist *)h)->min;
}

uint64_t
lgs_hist_max(const void *h)
{
    return ((const struct lg_hist *)h)->max;
}

double
lgs_hist_mean(const void *h)
{
    return lg_hist_mean(h);
}

unsigned
lgs_hist_index(uint64_t v)
{
    return lg_hist_index(v);
}

void
lgs_hist_bucket_range(unsigned idx, uint64_t *lo, uint64_t *hi)
{
    lg_hist_bucket_range(idx, lo, hi);
}

unsigned
lgs_hist_buckets(void)
{
    return LG_HIST_BUCKETS;
}

int
lgs_hist_max_bits(void)
{
    return LG_HIST_MAX_BITS;
}

/* ---- scanner ---- */

void *
lgs_scan_create(void)
{
    struct lg_scan *s = calloc(1, sizeof(*s));
    lg_scan_reset(s);
    return s;
}

void
lgs_scan_destroy(void *s)
{
    free(s);
}

int
lgs_scan_feed(void *s, const char *buf, size_t len, size_t *used, char *type, const char **line, size_t *line_len)
{
    struct lg_reply rep = {0};
    int r = lg_scan_feed(s, buf, len, used, &rep);
    if (r == 1) {
        *type = rep.type;
        *line = rep.line;
        *line_len = rep.line_len;
    }
    return r;
}

/* ---- errors ---- */

void *
lgs_errtab_create(void)
{
    return calloc(1, sizeof(struct lg_errtab));
}

void
lgs_errtab_destroy(void *t)
{
    free(t);
}

void
lgs_errtab_add_line(void *t, const char *line)
{
    lg_errtab_add_line(t, line, strlen(line));
}

void
lgs_errtab_merge(void *dst, const void *src)
{
    lg_errtab_merge(dst, src);
}

uint64_t
lgs_errtab_count(const void *t, const char *kind)
{
    return lg_errtab_count(t, kind);
}

uint64_t
lgs_errtab_total(const void *t)
{
    return ((const struct lg_errtab *)t)->total;
}

unsigned
lgs_errtab_kinds(const void *t)
{
    return ((const struct lg_errtab *)t)->n;
}

int
lgs_errtab_max_kinds(void)
{
    return LG_ERR_KINDS;
}

/* ---- cluster map ---- */

void *
lgs_cmap_create(void)
{
    struct lg_cmap *m = malloc(sizeof(*m));
    lg_cmap_init(m);
    return m;
}

void
lgs_cmap_destroy(void *m)
{
    free(m);
}

int
lgs_cmap_load(void *m, const char *reply, size_t len, const char *default_host)
{
    return lg_cmap_load_slots(m, reply, len, default_host);
}

int
lgs_cmap_key_node(const void *m, const char *key)
{
    return lg_cmap_key_node(m, key, strlen(key));
}

int
lgs_cmap_slot_owner(const void *m, int slot)
{
    return ((const struct lg_cmap *)m)->owner[slot];
}

int
lgs_cmap_nnodes(const void *m)
{
    return ((const struct lg_cmap *)m)->nnodes;
}

const char *
lgs_cmap_node_host(const void *m, int node)
{
    return ((const struct lg_cmap *)m)->nodes[node].host;
}

int
lgs_cmap_node_port(const void *m, int node)
{
    return ((const struct lg_cmap *)m)->nodes[node].port;
}

unsigned
lgs_cmap_node_slots(const void *m, int node)
{
    return lg_cmap_node_slots(m, node);
}

bool
lgs_cmap_node_has_slots(const void *m, int node)
{
    return ((const struct lg_cmap *)m)->nodes[node].has_slots;
}

uint64_t
lgs_cmap_version(const void *m)
{
    return ((const struct lg_cmap *)m)->version;
}

int
lgs_key_slot(const char *key)
{
    return lg_key_slot(key, strlen(key));
}

int
lgs_parse_redirect(const char *line, int *slot, char *host, size_t host_len, int *port)
{
    struct lg_redirect r;
    int k = lg_parse_redirect(line, strlen(line), &r);
    *slot = r.slot;
    *port = r.port;
    if (host_len) {
        strncpy(host, r.host, host_len - 1);
        host[host_len - 1] = '\0';
    }
    return k;
}

int
lgs_cmap_follow(void *m, const char *line)
{
    struct lg_redirect r;
    switch (lg_parse_redirect(line, strlen(line), &r)) {
    case LG_REDIR_MOVED:
        return lg_cmap_apply_moved(m, &r);
    case LG_REDIR_ASK:
        return lg_cmap_node(m, r.host, strlen(r.host), r.port);
    default:
        return -1;
    }
}

/* ---- key distributions ---- */

struct lgs_keygen {
    struct lg_dist d;
    struct lg_keygen g;
};

void *
lgs_keygen_create(const char *spec, uint64_t n, uint64_t seed, uint64_t seq_start, uint64_t seq_stride)
{
    struct lgs_keygen *k = calloc(1, sizeof(*k));
    if (lg_dist_parse(&k->d, spec, n) < 0) {
        free(k);
        return NULL;
    }
    lg_keygen_init(&k->g, &k->d, seed, seq_start, seq_stride);
    return k;
}

void
lgs_keygen_destroy(void *g)
{
    free(g);
}

uint64_t
lgs_keygen_next(void *g)
{
    return lg_keygen_next(&((struct lgs_keygen *)g)->g);
}

/* ---- command templates ---- */

long
lgs_render(const char *tmpl, const char *prefix, uint32_t vlen, uint64_t key, char *out, size_t out_cap)
{
    struct lg_cmdgen *g = malloc(sizeof(*g));
    long ret = -1;
    lg_cmdgen_init(g);
    if (strlen(prefix) >= sizeof(g->prefix))
        goto out;
    strcpy(g->prefix, prefix);
    g->prefix_len = strlen(prefix);
    g->vmin = g->vmax = vlen;
    if (lg_cmdgen_add(g, tmpl, 1) < 0 || lg_cmdgen_finish(g) < 0)
        goto out;
    if (lg_tmpl_size(g, &g->tmpl[0], vlen) > out_cap)
        goto out;
    char keybuf[LG_MAX_KEY];
    lg_key_render(g, key, keybuf);
    ret = (long)lg_tmpl_render(g, &g->tmpl[0], keybuf, vlen, out);
out:
    lg_cmdgen_deinit(g);
    free(g);
    return ret;
}

int
lgs_mix_cycle(const char *const *tmpls, const unsigned *weights, int n, unsigned char *out, int out_cap)
{
    struct lg_cmdgen *g = malloc(sizeof(*g));
    int ret = -1;
    lg_cmdgen_init(g);
    for (int i = 0; i < n; i++)
        if (lg_cmdgen_add(g, tmpls[i], weights[i]) < 0)
            goto out;
    if (lg_cmdgen_finish(g) < 0 || (int)g->ncycle > out_cap)
        goto out;
    memcpy(out, g->cycle, g->ncycle);
    ret = (int)g->ncycle;
out:
    lg_cmdgen_deinit(g);
    free(g);
    return ret;
}
