/* prefetch_shim.h: plain-C access to the prefetch window's slot hints
 * (net/prefetch.h) for the unit tests. */
#ifndef TESSERA_PREFETCH_SHIM_H
#define TESSERA_PREFETCH_SHIM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct prefetch_shim prefetch_shim;

prefetch_shim *prefetch_shim_create(void);
void prefetch_shim_destroy(prefetch_shim **s);
/* Append a hint: the key at ptr/len has this slot (a test may lie, to see
 * whether a later answer came from the hint). 0, or -1 when full. */
int prefetch_shim_add(prefetch_shim *s, const char *ptr, size_t len, unsigned slot);
/* The same with the keyspace hash the window computed (0: none). */
int prefetch_shim_add_hashed(prefetch_shim *s, const char *ptr, size_t len, unsigned slot, unsigned long long h);
/* prefetch_slot_of(): the slot of the key at ptr/len; *h (when not NULL)
 * gets the hash it handed out (0: none). */
unsigned prefetch_shim_slot_of(prefetch_shim *s, const char *ptr, size_t len);
unsigned prefetch_shim_slot_hash_of(prefetch_shim *s, const char *ptr, size_t len, unsigned long long *h);
/* prefetch_window_done(). */
void prefetch_shim_done(prefetch_shim *s);

#ifdef __cplusplus
}
#endif
#endif
