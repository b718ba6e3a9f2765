/* commands_shim.h: plain-C access to the string and key commands
 * (core/t_string.c, core/t_keys.c) for the C++ unit tests. A cmds_shim is a
 * one-worker shard with its own keyspace; commands run through the same
 * steps as the dispatcher (table lookup, arity check, subcommand lookup,
 * slot of the first key) and return their raw RESP reply bytes. Only opaque
 * handles, char pointers and integers cross the boundary. */
#ifndef TESSERA_COMMANDS_SHIM_H
#define TESSERA_COMMANDS_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cmds_shim cmds_shim;

/* A fresh shard (empty keyspace), clock at now_ms, RESP2. */
cmds_shim *cmds_shim_create(int64_t now_ms);
void cmds_shim_destroy(cmds_shim **s);

/* The command clock (ctx->now_ms), in unix ms. */
void cmds_shim_set_time(cmds_shim *s, int64_t now_ms);
void cmds_shim_set_resp(cmds_shim *s, int resp);
/* Client flags copied into the context (1 = CLIENT NO-TOUCH). */
void cmds_shim_set_no_touch(cmds_shim *s, int on);

/* Run argv; returns the reply bytes (valid until the next call) and their
 * length in *len. An unknown command replies "-ERR unknown command\r\n". */
const char *cmds_shim_run(cmds_shim *s, int argc, const char *const *argv, const size_t *lens, size_t *len);

/* Keyspace facts. */
uint64_t cmds_shim_key_count(cmds_shim *s);
uint64_t cmds_shim_volatile_count(cmds_shim *s);
uint64_t cmds_shim_hits(cmds_shim *s);
uint64_t cmds_shim_misses(cmds_shim *s);

/* proto-max-bulk-len as commands see it (g_cfg); returns the old value. */
long long cmds_shim_set_max_bulk(long long v);

/* Command metadata: 0 if found ("object|encoding" for subcommands). */
int cmds_shim_meta(const char *name, int *arity, uint32_t *flags, int *first, int *last, int *step);
/* String fields of the def: which = "acl", "group", "since", "summary",
 * "ks_flags"; NULL when unset or unknown. */
const char *cmds_shim_meta_str(const char *name, const char *which);
/* Flag bits, equal to enum cmd_flag. */
#define CMDS_SHIM_WRITE (1u << 0)
#define CMDS_SHIM_READONLY (1u << 1)
#define CMDS_SHIM_DENYOOM (1u << 2)
#define CMDS_SHIM_FAST (1u << 11)
#define CMDS_SHIM_CONTAINER (1u << 25)

/* Per-key helpers of t_commands.h on this shard (multi-worker building
 * blocks): return what the helper returns. */
int cmds_shim_del_key(cmds_shim *s, const char *key);
int cmds_shim_exists_key(cmds_shim *s, const char *key);
/* t_take_value from src then t_put_value into dst (nx as given): returns
 * -1 if src is missing, 0 if refused by nx, 1 if moved. */
int cmds_shim_move_value(cmds_shim *s, const char *src, const char *dst, int nx);

#ifdef __cplusplus
}
#endif

#endif
