/* cmdstats_shim.h: core/cmdstats.c's latency bucket math and error
 * counting, for GoogleTest. */
#ifndef TESSERA_CMDSTATS_SHIM_H
#define TESSERA_CMDSTATS_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

int cmdstats_shim_lat_index(uint64_t ns);
uint64_t cmdstats_shim_lat_upper(int idx);
int cmdstats_shim_lat_buckets(void);
/* Count the errors (each "KIND message") in a fresh table and format the
 * errorstats section into out (NUL-terminated). */
void cmdstats_shim_errorstats(const char *const *errors, int n, char *out, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
