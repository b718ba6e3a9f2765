/* glob_shim.c: see glob_shim.h. */
#include "tests/shim/glob_shim.h"

#include "core/common.h"
#include "tests/fuzz/glob_ref.h"

int
glob_shim_match(const char *pat, size_t plen, const char *str, size_t slen, int nocase, uint64_t *steps)
{
    return ts_glob_match_counted(pat, plen, str, slen, nocase != 0, steps);
}

int
glob_shim_ref(const char *pat, size_t plen, const char *str, size_t slen, int nocase)
{
    return glob_ref_match((const unsigned char *)pat, plen, (const unsigned char *)str, slen, nocase != 0, 0);
}
