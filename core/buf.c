/* buf.c: growth and trimming for struct ts_buf (buf.h). */
#include "core/buf.h"

void
ts_buf_grow(struct ts_buf *b, size_t need)
{
    size_t want = b->len + need;
    if (want <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < want)
        cap = cap < (1u << 30) ? cap * 2 : cap + (1u << 30);
    b->data = ts_realloc(b->data, cap);
    b->cap = mi_usable_size(b->data);
}

void
ts_buf_free(struct ts_buf *b)
{
    ts_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void
ts_buf_trim(struct ts_buf *b, size_t keep)
{
    if (b->cap <= keep || b->len > keep)
        return;
    if (b->len == 0) {
        ts_buf_free(b);
        return;
    }
    b->data = ts_realloc(b->data, keep);
    b->cap = mi_usable_size(b->data);
}

void
ts_buf_consume(struct ts_buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}
