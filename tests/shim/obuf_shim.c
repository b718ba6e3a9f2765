/* obuf_shim.c: see obuf_shim.h. Compiled as C. */
#include "tests/shim/obuf_shim.h"

#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "core/obuf.h"
#include "core/reply.h"

struct obuf_shim {
    struct obuf o;
    struct obuf_pool pool;
    int grew;
};

static void
shim_grew(struct obuf *o)
{
    ((struct obuf_shim *)o)->grew++;
}

struct obuf_shim *
obuf_shim_create(int pooled)
{
    struct obuf_shim *s = calloc(1, sizeof(*s));
    obuf_init(&s->o, pooled ? &s->pool : NULL);
    s->o.grew = shim_grew;
    return s;
}

void
obuf_shim_destroy(struct obuf_shim *s)
{
    obuf_deinit(&s->o);
    obuf_pool_deinit(&s->pool);
    free(s);
}

void
obuf_shim_append(struct obuf_shim *s, const void *p, size_t n)
{
    obuf_append(&s->o, p, n);
}

void
obuf_shim_seal(struct obuf_shim *s)
{
    obuf_seal(&s->o);
}

void
obuf_shim_adopt(struct obuf_shim *s, const void *p, size_t n)
{
    struct ts_buf b = { 0 };
    ts_buf_append(&b, p, n);
    obuf_adopt(&s->o, &b);
    ts_buf_free(&b);
}

void
obuf_shim_set_drop(struct obuf_shim *s, int on)
{
    s->o.drop = on != 0;
}

size_t
obuf_shim_pending(const struct obuf_shim *s)
{
    return obuf_pending(&s->o);
}

size_t
obuf_shim_mem(const struct obuf_shim *s)
{
    return obuf_mem(&s->o);
}

size_t
obuf_shim_nblocks(const struct obuf_shim *s)
{
    return s->o.nblocks;
}

size_t
obuf_shim_cur_len(const struct obuf_shim *s)
{
    return s->o.cur.len;
}

size_t
obuf_shim_cur_cap(const struct obuf_shim *s)
{
    return s->o.cur.cap;
}

size_t
obuf_shim_max_block_cap(const struct obuf_shim *s)
{
    size_t m = 0;
    for (const struct oblock *b = s->o.head; b; b = b->next)
        m = b->b.cap > m ? b->b.cap : m;
    return m;
}

int
obuf_shim_grew_calls(const struct obuf_shim *s)
{
    return s->grew;
}

int
obuf_shim_pool_size(const struct obuf_shim *s)
{
    return s->pool.nfree;
}

char *
obuf_shim_drain(struct obuf_shim *s, int max_iov, size_t chunk, size_t *len)
{
    struct ts_buf out = { 0 };
    struct iovec iov[64];
    if (max_iov > 64)
        max_iov = 64;
    obuf_seal(&s->o);
    while (s->o.head) {
        int n = obuf_iov(&s->o, iov, max_iov);
        size_t sent = 0;
        for (int i = 0; i < n && sent < chunk; i++) {
            size_t take = iov[i].iov_len < chunk - sent ? iov[i].iov_len : chunk - sent;
            ts_buf_append(&out, iov[i].iov_base, take);
            sent += take;
        }
        obuf_consume(&s->o, sent);
    }
    char *r = malloc(out.len + 1);
    if (out.len)
        memcpy(r, out.data, out.len);
    *len = out.len;
    ts_buf_free(&out);
    return r;
}

void
obuf_shim_reply_bulk(struct obuf_shim *s, const void *p, size_t n)
{
    struct reply r;
    reply_init_obuf(&r, &s->o, 2);
    reply_bulk(&r, p, n);
}

void
obuf_shim_reply_int(struct obuf_shim *s, long long v)
{
    struct reply r;
    reply_init_obuf(&r, &s->o, 2);
    reply_int(&r, v);
}

void
obuf_shim_reply_defer_array(struct obuf_shim *s, int n, size_t sz)
{
    struct reply r;
    reply_init_obuf(&r, &s->o, 2);
    char *v = malloc(sz ? sz : 1);
    size_t tok = reply_defer(&r);
    for (int i = 0; i < n; i++) {
        memset(v, 'a' + i % 26, sz);
        reply_bulk(&r, v, sz);
    }
    reply_defer_set(&r, tok, '*', n);
    free(v);
}

char *
obuf_shim_reply_error_then_bulk(struct obuf_shim *s, const char *err, size_t sz)
{
    struct reply r;
    reply_init_obuf(&r, &s->o, 2);
    reply_error(&r, err);
    char *v = calloc(1, sz ? sz : 1);
    reply_bulk(&r, v, sz);
    free(v);
    const char *e = s->o.cur.data + r.err_at;
    const char *end = memchr(e, '\r', s->o.cur.len - r.err_at);
    size_t n = end ? (size_t)(end - e) : 0;
    char *out = malloc(n + 1);
    memcpy(out, e, n);
    out[n] = '\0';
    return out;
}

int
obuf_shim_limit(long long hard, long long soft, long long secs, size_t used, int64_t now_ms, int64_t *since)
{
    return obuf_limit_reached(hard, soft, secs, used, now_ms, since);
}
