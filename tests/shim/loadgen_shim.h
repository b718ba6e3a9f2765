/* loadgen_shim.h: plain-C wrappers over bench/loadgen (hist.h, reply.h,
 * cmap.h, keydist.h, cmdgen.h) for the C++ unit tests in tests/unit/bench.
 * Objects are opaque pointers; every create has a destroy. */
#ifndef TESSERA_LOADGEN_SHIM_H
#define TESSERA_LOADGEN_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- hist.h ---- */
void *lgs_hist_create(void);
void lgs_hist_destroy(void *h);
void lgs_hist_reset(void *h);
void lgs_hist_record(void *h, uint64_t v);
void lgs_hist_record_n(void *h, uint64_t v, uint64_t n);
void lgs_hist_merge(void *dst, const void *src);
uint64_t lgs_hist_percentile(const void *h, double q);
uint64_t lgs_hist_count(const void *h);
uint64_t lgs_hist_min(const void *h);
uint64_t lgs_hist_max(const void *h);
double lgs_hist_mean(const void *h);
unsigned lgs_hist_index(uint64_t v);
void lgs_hist_bucket_range(unsigned idx, uint64_t *lo, uint64_t *hi);
unsigned lgs_hist_buckets(void);
int lgs_hist_max_bits(void);

/* ---- reply.h: the scanner ---- */
void *lgs_scan_create(void);
void lgs_scan_destroy(void *s);
/* lg_scan_feed; on 1, *type is the reply's type byte and line/line_len
 * its first line (for '-': the error text). */
int lgs_scan_feed(void *s, const char *buf, size_t len, size_t *used, char *type, const char **line,
                  size_t *line_len);

/* ---- reply.h: errors by kind ---- */
void *lgs_errtab_create(void);
void lgs_errtab_destroy(void *t);
void lgs_errtab_add_line(void *t, const char *line);
void lgs_errtab_merge(void *dst, const void *src);
uint64_t lgs_errtab_count(const void *t, const char *kind);
uint64_t lgs_errtab_total(const void *t);
unsigned lgs_errtab_kinds(const void *t);
int lgs_errtab_max_kinds(void);

/* ---- cmap.h ---- */
#define LGS_NO_NODE 0xffff
#define LGS_REDIR_NONE 0
#define LGS_REDIR_MOVED 1
#define LGS_REDIR_ASK 2
void *lgs_cmap_create(void);
void lgs_cmap_destroy(void *m);
int lgs_cmap_load(void *m, const char *reply, size_t len, const char *default_host);
int lgs_cmap_key_node(const void *m, const char *key);
int lgs_cmap_slot_owner(const void *m, int slot);
int lgs_cmap_nnodes(const void *m);
const char *lgs_cmap_node_host(const void *m, int node);
int lgs_cmap_node_port(const void *m, int node);
unsigned lgs_cmap_node_slots(const void *m, int node);
bool lgs_cmap_node_has_slots(const void *m, int node);
uint64_t lgs_cmap_version(const void *m);
int lgs_key_slot(const char *key);
/* Parse an error line (no '-'); returns LGS_REDIR_*, fills slot/host/port. */
int lgs_parse_redirect(const char *line, int *slot, char *host, size_t host_len, int *port);
/* What loadgen does with a redirect: MOVED updates the map, ASK only
 * finds (or adds) the node. Returns the node to resend to, or < 0. */
int lgs_cmap_follow(void *m, const char *line);

/* ---- keydist.h ---- */
/* A key generator over n keys for a distribution spec; NULL if invalid. */
void *lgs_keygen_create(const char *spec, uint64_t n, uint64_t seed, uint64_t seq_start, uint64_t seq_stride);
void lgs_keygen_destroy(void *g);
uint64_t lgs_keygen_next(void *g);

/* ---- cmdgen.h ---- */
/* Render one request of a template with key number key and a vlen-byte
 * value; returns its length (or -1 if the template is invalid or out_cap
 * too small). */
long lgs_render(const char *tmpl, const char *prefix, uint32_t vlen, uint64_t key, char *out, size_t out_cap);
/* The mix cycle for templates with weights: writes ncycle indices. */
int lgs_mix_cycle(const char *const *tmpls, const unsigned *weights, int n, unsigned char *out, int out_cap);

#ifdef __cplusplus
}
#endif
#endif
