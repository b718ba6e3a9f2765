/* buf.c: growth and trimming for struct ts_buf (buf.h). */
#include "core/buf.h"

#include <stdarg.h>
#include <stdio.h>

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

void
ts_buf_printf(struct ts_buf *b, const char *fmt, ...)
{
    /* Format straight into the buffer's spare room; grow and redo only
     * when the text does not fit. */
    va_list ap;
    va_start(ap, fmt);
    size_t room = b->cap - b->len;
    int n = vsnprintf(room ? b->data + b->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= room) {
        char *dst = ts_buf_reserve(b, (size_t)n + 1);
        va_start(ap, fmt);
        vsnprintf(dst, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}
