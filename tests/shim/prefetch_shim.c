/* prefetch_shim.c: see prefetch_shim.h. */
#include "tests/shim/prefetch_shim.h"

#include <stdlib.h>

#include "net/prefetch.h"

struct prefetch_shim {
    struct prefetch_hints h;
};

prefetch_shim *
prefetch_shim_create(void)
{
    return calloc(1, sizeof(prefetch_shim));
}

void
prefetch_shim_destroy(prefetch_shim **s)
{
    free(*s);
    *s = NULL;
}

int
prefetch_shim_add_hashed(prefetch_shim *s, const char *ptr, size_t len, unsigned slot, unsigned long long h)
{
    if (s->h.n == PREFETCH_WINDOW)
        return -1;
    s->h.key[s->h.n].ptr = ptr;
    s->h.key[s->h.n].len = len;
    s->h.key[s->h.n].slot = (uint16_t)slot;
    s->h.key[s->h.n].h = h;
    s->h.n++;
    return 0;
}

int
prefetch_shim_add(prefetch_shim *s, const char *ptr, size_t len, unsigned slot)
{
    return prefetch_shim_add_hashed(s, ptr, len, slot, 0);
}

unsigned
prefetch_shim_slot_hash_of(prefetch_shim *s, const char *ptr, size_t len, unsigned long long *h)
{
    uint64_t hv;
    unsigned slot = prefetch_slot_of(&s->h, (struct sv){ptr, len}, &hv);
    if (h)
        *h = hv;
    return slot;
}

unsigned
prefetch_shim_slot_of(prefetch_shim *s, const char *ptr, size_t len)
{
    return prefetch_shim_slot_hash_of(s, ptr, len, NULL);
}

void
prefetch_shim_done(prefetch_shim *s)
{
    prefetch_window_done(&s->h);
}
