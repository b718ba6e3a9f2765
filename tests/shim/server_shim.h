/* server_shim.h: plain-C entry points into core's server commands (INFO
 * formatting, CLIENT LIST lines, COMMAND INFO entries, slowlog argument
 * capping, MONITOR quoting) for tests/unit/core/test_server_cmds.cpp. */
#ifndef TESSERA_SERVER_SHIM_H
#define TESSERA_SERVER_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* INFO text of the given sections (space-separated INFO arguments, "" for
 * default) for a canned set of statistics (see server_shim.c). Returns the
 * length written (NUL-terminated, truncated to cap). */
size_t shim_info_text(const char *args, char *out, size_t cap);
/* The section mask info_parse_sections gives for args. */
unsigned shim_info_mask(const char *args);
/* "1017.59K" formatting. */
void shim_bytes_human(uint64_t n, char *out, size_t cap);

/* CLIENT LIST line for a canned client (id 7, 127.0.0.1:40000, ...), at
 * now_ms = ctime + age_ms. */
size_t shim_client_line(const char *name, unsigned flags, char *out, size_t cap);

/* Encoded COMMAND INFO entry ("get", "mset": test definitions mirroring
 * Redis; "client": the registered CLIENT table). resp = 2 or 3. */
size_t shim_command_info(const char *which, int resp, char *out, size_t cap);

/* slowlog_cap_args over argc arguments of the given lengths filled with
 * 'a'; writes argument i (NUL-terminated) into out if i >= 0; returns the
 * number of stored arguments. */
int shim_slowlog_cap(int argc, size_t arglen, int i, char *out, size_t cap);

/* A MONITOR line for args (with lengths), at now_us. */
size_t shim_monitor_line(int64_t now_us, const char *addr, int argc, const char **argv, const size_t *lens,
                         char *out, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
