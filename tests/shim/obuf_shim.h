/* obuf_shim.h: plain-C access to core/obuf.h (output block lists) and to
 * the reply encoder writing into one, for tests/unit/core/test_obuf.cpp. */
#ifndef TESSERA_OBUF_SHIM_H
#define TESSERA_OBUF_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct obuf_shim;

/* A block list; pooled: recycle sent blocks through a pool. */
struct obuf_shim *obuf_shim_create(int pooled);
void obuf_shim_destroy(struct obuf_shim *s);

void obuf_shim_append(struct obuf_shim *s, const void *p, size_t n);
void obuf_shim_seal(struct obuf_shim *s);
/* A buffer given up to the list (as a forwarded reply is). */
void obuf_shim_adopt(struct obuf_shim *s, const void *p, size_t n);
void obuf_shim_set_drop(struct obuf_shim *s, int on);

size_t obuf_shim_pending(const struct obuf_shim *s);
size_t obuf_shim_mem(const struct obuf_shim *s);
size_t obuf_shim_nblocks(const struct obuf_shim *s);
size_t obuf_shim_cur_len(const struct obuf_shim *s);
size_t obuf_shim_cur_cap(const struct obuf_shim *s);
/* Capacity of the largest block in the list. */
size_t obuf_shim_max_block_cap(const struct obuf_shim *s);
/* How often the list grew (the `grew` hook). */
int obuf_shim_grew_calls(const struct obuf_shim *s);
/* Blocks in the pool. */
int obuf_shim_pool_size(const struct obuf_shim *s);

/* Send everything as the connection does: seal, then iovecs of at most
 * max_iov blocks, each "send" taking at most chunk bytes; returns the bytes
 * in a malloc'd buffer (caller frees) and their count in *len. */
char *obuf_shim_drain(struct obuf_shim *s, int max_iov, size_t chunk, size_t *len);

/* Replies through the encoder with the list as its sink. */
void obuf_shim_reply_bulk(struct obuf_shim *s, const void *p, size_t n);
void obuf_shim_reply_int(struct obuf_shim *s, long long v);
/* A deferred array of n bulks of sz bytes each ('a'+i%26 repeated). */
void obuf_shim_reply_defer_array(struct obuf_shim *s, int n, size_t sz);
/* An error followed by a bulk of sz bytes, in one command; returns the
 * error text found at the reply's err_at (malloc'd, caller frees). */
char *obuf_shim_reply_error_then_bulk(struct obuf_shim *s, const char *err, size_t sz);

/* obuf_limit_reached. */
int obuf_shim_limit(long long hard, long long soft, long long secs, size_t used, int64_t now_ms, int64_t *since);

#ifdef __cplusplus
}
#endif
#endif
