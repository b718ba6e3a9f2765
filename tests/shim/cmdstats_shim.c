#include "tests/shim/cmdstats_shim.h"

#include "core/cmdstats.h"

int
cmdstats_shim_lat_index(uint64_t ns)
{
    return cmdstats_lat_index(ns);
}

uint64_t
cmdstats_shim_lat_upper(int idx)
{
    return cmdstats_lat_upper(idx);
}

int
cmdstats_shim_lat_buckets(void)
{
    return CMDSTATS_LAT_BUCKETS;
}

void
cmdstats_shim_errorstats(const char *const *errors, int n, char *out, size_t cap)
{
    struct cmdstats s;
    memset(&s, 0, sizeof(s));
    for (int i = 0; i < n; i++)
        cmdstats_error(&s, errors[i], strlen(errors[i]));
    struct ts_buf b = {0};
    cmdstats_format_errors(&b, &s, 1);
    size_t len = b.len < cap - 1 ? b.len : cap - 1;
    if (len)
        memcpy(out, b.data, len);
    out[len] = '\0';
    ts_buf_free(&b);
    cmdstats_free(&s);
}
