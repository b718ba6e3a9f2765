/* glob_shim.h: glob matching (core/glob.c) and its recursive reference
 * (tests/fuzz/glob_ref.h), for the C++ tests. */
#ifndef TESSERA_GLOB_SHIM_H
#define TESSERA_GLOB_SHIM_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
/* ts_glob_match: 1 on a match, 0 otherwise; *steps gets the work done. */
int glob_shim_match(const char *pat, size_t plen, const char *str, size_t slen, int nocase, uint64_t *steps);
/* The exponential reference: small inputs only. */
int glob_shim_ref(const char *pat, size_t plen, const char *str, size_t slen, int nocase);
#ifdef __cplusplus
}
#endif
#endif
