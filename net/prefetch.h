/* prefetch.h: keyspace prefetching for a window of receive completions. */
#ifndef TESSERA_PREFETCH_H
#define TESSERA_PREFETCH_H

struct worker;

/* Look at the completions from head up to tail (ring indexes, not yet
 * consumed), prefetch the keyspace lines of the keys they carry, and stop
 * once a window's worth of keys is collected. Returns the index after the
 * last completion looked at: the caller runs [head, returned) next. */
unsigned prefetch_cqe_window(struct worker *w, unsigned head, unsigned tail);

#endif
