/* resp_shim.h: plain-C wrappers over the RESP parser (net/resp.h) and the
 * reply encoder (core/reply.h) for the C++ unit tests. Only opaque handles,
 * char pointers and integers cross the boundary, so GoogleTest code never
 * includes project headers. */
#ifndef TESSERA_RESP_SHIM_H
#define TESSERA_RESP_SHIM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Parser ---- */

/* Status codes, equal to enum resp_status. */
#define RESP_SHIM_NEED_MORE 0
#define RESP_SHIM_COMMAND 1
#define RESP_SHIM_EMPTY 2
#define RESP_SHIM_ERROR (-1)
#define RESP_SHIM_INLINE_MAX (64 * 1024)

typedef struct resp_shim resp_shim;

resp_shim *resp_shim_create(long long max_bulk_len);
void resp_shim_destroy(resp_shim **s);
void resp_shim_set_max_bulk(resp_shim *s, long long max_bulk_len);
/* resp_parse(); the error text (without "ERR ") is kept for resp_shim_err. */
int resp_shim_parse(resp_shim *s, const char *buf, size_t len, size_t *consumed);
const char *resp_shim_err(const resp_shim *s);
int resp_shim_argc(const resp_shim *s);
/* View of argument i of the last command (into buf or parser scratch). */
const char *resp_shim_arg(const resp_shim *s, int i, size_t *len);
size_t resp_shim_want(const resp_shim *s);
size_t resp_shim_command_end(const resp_shim *s);
/* Internal scan offsets, to check that resuming does not rescan. */
size_t resp_shim_pos(const resp_shim *s);
size_t resp_shim_scan(const resp_shim *s);
#define RESP_SHIM_PEEK_MAX_ARGS 64
/* resp_peek_keys(): offsets into buf and lengths of up to max keys. */
int resp_shim_peek_keys(const char *buf, size_t len, size_t *offs, size_t *lens, int max);

/* ---- Reply encoder ---- */

typedef struct reply_shim reply_shim;

reply_shim *reply_shim_create(int resp);
void reply_shim_destroy(reply_shim **s);
/* Encoded bytes so far (not NUL-terminated) and their count. */
const char *reply_shim_data(const reply_shim *s, size_t *len);
void reply_shim_clear(reply_shim *s);
unsigned reply_shim_count(const reply_shim *s);
int reply_shim_error(const reply_shim *s);

void reply_shim_ok(reply_shim *s);
void reply_shim_simple(reply_shim *s, const char *str);
void reply_shim_simple_len(reply_shim *s, const char *str, size_t n);
void reply_shim_error_msg(reply_shim *s, const char *msg);
void reply_shim_errorf_str(reply_shim *s, const char *prefix, const char *arg); /* "%s %s" */
void reply_shim_int(reply_shim *s, long long v);
void reply_shim_bulk(reply_shim *s, const void *p, size_t n);
void reply_shim_bulk_cstr(reply_shim *s, const char *str);
void reply_shim_bulk_ll(reply_shim *s, long long v);
void reply_shim_bulk_double(reply_shim *s, long double v);
void reply_shim_null(reply_shim *s);
void reply_shim_null_array(reply_shim *s);
void reply_shim_array(reply_shim *s, long n);
void reply_shim_map(reply_shim *s, long n);
void reply_shim_set(reply_shim *s, long n);
void reply_shim_double(reply_shim *s, double v);
void reply_shim_bool(reply_shim *s, int v);
void reply_shim_verbatim(reply_shim *s, const char *p, size_t n, const char *ext3);
void reply_shim_raw(reply_shim *s, const void *p, size_t n);
size_t reply_shim_defer(reply_shim *s);
void reply_shim_defer_set(reply_shim *s, size_t token, char kind, long n);
void reply_shim_wrong_args(reply_shim *s, const char *cmdname);

#ifdef __cplusplus
}
#endif

#endif
