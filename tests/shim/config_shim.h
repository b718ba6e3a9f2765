/* config_shim.h: plain-C access to the config module (core/config*.c,
 * core/cmd_config.c) for the C++ unit tests. Only char pointers, sizes and
 * integers cross the boundary. Strings returned as char * are malloc'd by
 * the module and released with cfg_shim_free. */
#ifndef TESSERA_CONFIG_SHIM_H
#define TESSERA_CONFIG_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* config_load(argc, argv). stderr is captured into *err (malloc'd, may be
 * NULL) when err is non-NULL. Returns config_load's result. */
int cfg_shim_load(int argc, const char *const *argv, char **err);
/* config_apply(name, argc, args, at_runtime): 0, or -1 with the message. */
int cfg_shim_apply(const char *name, int argc, const char *const *args, int at_runtime, char *err,
                   size_t errlen);
/* CONFIG GET text of a directive; NULL if unknown. Free with cfg_shim_free. */
char *cfg_shim_get(const char *name);
void cfg_shim_free(void *p);

/* Selected g_cfg fields, as the rest of the server reads them. */
long long cfg_shim_field(const char *which); /* "port", "maxmemory", "hz", "loglevel",
                                                "appendonly", "maxmemory_policy", "appendfsync",
                                                "endpoint", "nbind", "log_level" (log.c) */
const char *cfg_shim_bind_addr(int i);
const char *cfg_shim_config_file(void);
const char *cfg_shim_executable(void);
const char *cfg_shim_save(void);

/* Run a CONFIG command (argv[0] = "config") through the command table as
 * the dispatcher would (lookup, subcommand, arity). Returns the RESP reply
 * bytes, valid until the next call. resp is 2 or 3. local: the client
 * address is loopback (1) or remote (0). */
const char *cfg_shim_cmd(int resp, int local, int argc, const char *const *argv, size_t *len);

/* Counts calls of config_resetstat_hook once installed. */
void cfg_shim_install_resetstat_hook(void);
int cfg_shim_resetstat_calls(void);

/* Force enable-protected-configs (0 no, 1 yes, 2 local). */
void cfg_shim_set_protected(int mode);

/* config_log_warnings() with stdout (the log before log_setup) captured
 * into a malloc'd string. */
char *cfg_shim_log_warnings(void);

/* Parsing helpers exposed for direct tests. splitargs: returns argc or -1
 * on unbalanced quotes; args joined by '|' into out. */
int cfg_shim_splitargs(const char *line, char *out, size_t outlen);
int cfg_shim_parse_mem(const char *s, long long *out);
/* sdscatrepr-style quoting of s into out. */
void cfg_shim_repr(const char *s, size_t n, char *out, size_t outlen);

/* ---- The directive table, for tests that walk it ---- */

enum { CFG_SHIM_ACTS, CFG_SHIM_COSMETIC, CFG_SHIM_NOT_YET };

struct cfg_shim_opt {
    const char *name;
    const char *alias;   /* old name also accepted, or NULL */
    int cls;             /* CFG_SHIM_* */
    int immutable;       /* CONFIG SET refuses it at run time */
    char kind;           /* 0 for g_cfg fields, else the text kind letter */
    char type;           /* g_cfg fields: 'b'ool 'i'nt 'l'ong 'm'emory 's'tring 'e'num 'x' special */
    long long min, max;  /* numeric g_cfg fields */
    const char *why;     /* not yet: " (no persistence)" etc. */
};
size_t cfg_shim_nopts(void);
void cfg_shim_opt_at(size_t i, struct cfg_shim_opt *out);
/* The config-file lines that are not options (rename-command, ...). */
size_t cfg_shim_nothers(void);
void cfg_shim_other(size_t i, const char **name, int *argc_min, int *cls, const char **why);

#ifdef __cplusplus
}
#endif

#endif
