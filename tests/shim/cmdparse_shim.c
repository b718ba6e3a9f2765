/* cmdparse_shim.c: see cmdparse_shim.h. */
#include "tests/shim/cmdparse_shim.h"

#include "core/cmd.h"
#include "core/common.h"
#include "core/config.h"
#include "core/t_commands.h"

#include <string.h>

_Static_assert(CMDPARSE_SHIM_MSG_MAX == CMD_UNKNOWN_MSG_MAX, "shim buffer size");

size_t
cmdparse_shim_unknown(int argc, const char *const *args, const size_t *lens, char *out, size_t cap)
{
    struct sv v[64];
    if (argc > 64)
        argc = 64;
    for (int i = 0; i < argc; i++) {
        v[i].ptr = args[i];
        v[i].len = lens[i];
    }
    return cmd_unknown_command_msg(out, cap, argc, v);
}

int
cmdparse_shim_cursor(const char *s, size_t len, unsigned long long *out)
{
    return ts_parse_scan_cursor(s, len, out);
}

const char *
cmdparse_shim_copy(int argc, const char *const *args, int cluster, int *replace)
{
    struct sv v[16];
    if (argc > 16)
        argc = 16;
    for (int i = 0; i < argc; i++) {
        v[i].ptr = args[i];
        v[i].len = strlen(args[i]);
    }
    int saved_cluster = g_cfg.cluster_enabled, saved_dbs = g_cfg.databases;
    g_cfg.cluster_enabled = cluster;
    g_cfg.databases = 16;
    bool r = false;
    const char *err = t_copy_options(argc, v, &r);
    g_cfg.cluster_enabled = saved_cluster;
    g_cfg.databases = saved_dbs;
    *replace = r;
    return err;
}
