/* buf.h: a growable byte buffer. Used for connection input/output, replies
 * and request argument storage. Owned by one thread at a time. Growth
 * doubles, so appends are amortised O(1); ts_buf_reset keeps the capacity
 * so a pooled buffer stops allocating once it has reached its working size. */
#ifndef TESSERA_BUF_H
#define TESSERA_BUF_H

#include "core/common.h"

struct ts_buf {
    char *data;
    size_t len;
    size_t cap;
};

void ts_buf_grow(struct ts_buf *b, size_t need); /* ensure cap >= len + need */
void ts_buf_free(struct ts_buf *b);              /* release memory, zero the struct */
/* Shrink capacity to at most keep bytes when it grew larger (idle connections). */
void ts_buf_trim(struct ts_buf *b, size_t keep);
/* Drop the first n bytes (consumed input). */
void ts_buf_consume(struct ts_buf *b, size_t n);
/* Append printf-formatted text (any length). */
void ts_buf_printf(struct ts_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static inline void
ts_buf_reset(struct ts_buf *b)
{
    b->len = 0;
}

static inline char *
ts_buf_reserve(struct ts_buf *b, size_t n)
{
    if (unlikely(b->cap - b->len < n))
        ts_buf_grow(b, n);
    return b->data + b->len;
}

static inline void
ts_buf_append(struct ts_buf *b, const void *p, size_t n)
{
    if (unlikely(n == 0)) /* p may be NULL (an empty buffer): memcpy must not see it */
        return;
    char *dst = ts_buf_reserve(b, n);
    memcpy(dst, p, n);
    b->len += n;
}

static inline void
ts_buf_putc(struct ts_buf *b, char c)
{
    *ts_buf_reserve(b, 1) = c;
    b->len++;
}

#endif
