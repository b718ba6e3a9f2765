/* cmdparse_shim.h: the unknown-command error text (core/cmd.c) and the SCAN
 * cursor parser (core/util.c), for the C++ tests. */
#ifndef TESSERA_CMDPARSE_SHIM_H
#define TESSERA_CMDPARSE_SHIM_H
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif
#define CMDPARSE_SHIM_MSG_MAX 512 /* CMD_UNKNOWN_MSG_MAX */
/* cmd_unknown_command_msg over argc (pointer, length) arguments. */
size_t cmdparse_shim_unknown(int argc, const char *const *args, const size_t *lens, char *out, size_t cap);
/* ts_parse_scan_cursor: 1 when valid (then *out is set). */
int cmdparse_shim_cursor(const char *s, size_t len, unsigned long long *out);
/* t_copy_options over NUL-terminated arguments (argv[0] is "COPY"): NULL
 * or the error text; *replace gets the REPLACE flag. cluster sets
 * cluster-enabled for the call. */
const char *cmdparse_shim_copy(int argc, const char *const *args, int cluster, int *replace);
#ifdef __cplusplus
}
#endif
#endif
