/* reply.h: the RESP2/RESP3 reply encoder. Commands write their replies
 * through these calls into a struct reply, which appends encoded bytes to a
 * ts_buf (the connection's output buffer when a command runs inline, or a
 * request's own reply buffer when it runs on another worker).
 *
 * Type mapping follows Redis: a map is *2n in RESP2 and %n in RESP3, a set
 * *n / ~n, null $-1 / _, null array *-1 / _, double a bulk string / ",",
 * boolean :0/:1 / #f #t, verbatim text a bulk string / "=n\r\ntxt:...". */
#ifndef TESSERA_REPLY_H
#define TESSERA_REPLY_H

#include "core/buf.h"
#include "core/obuf.h"

/* Where a reply may spill when its buffer is a connection's output block
 * list (core/obuf.h): instead of growing `out` (a realloc that moves every
 * byte already queued), the encoder seals the full block into the list and
 * continues in a fresh one, and copies a large bulk payload across blocks.
 * Only between elements, and never while a deferred header is open or
 * after an error was written (their offsets point into `out`). NULL for a
 * plain buffer (a forwarded request's reply), which just grows. */
struct reply {
    struct ts_buf *out;
    uint8_t resp;   /* 2 or 3 */
    uint32_t count; /* number of top-level replies written (for CLIENT REPLY) */
    bool error;     /* the last top-level reply was an error (for stats) */
    uint32_t defer_open; /* reply_defer tokens not yet set */
    size_t err_at;  /* offset in out of that error's '-' (errorstats) */
    struct obuf *sink; /* out is sink->cur; see above */
};

static inline void
reply_init(struct reply *r, struct ts_buf *out, uint8_t resp)
{
    r->out = out;
    r->resp = resp;
    r->count = 0;
    r->error = false;
    r->defer_open = 0;
    r->sink = NULL;
}

/* Write into an output block list (out becomes &o->cur). */
static inline void
reply_init_obuf(struct reply *r, struct obuf *o, uint8_t resp)
{
    reply_init(r, &o->cur, resp);
    r->sink = o;
}

void reply_ok(struct reply *r);                       /* +OK */
void reply_simple(struct reply *r, const char *s);    /* +s */
void reply_simple_len(struct reply *r, const char *s, size_t n);
/* -msg ; msg starts with the error code ("ERR ...", "WRONGTYPE ...").
 * Any \r or \n inside msg is replaced by a space, as Redis does. */
void reply_error(struct reply *r, const char *msg);
void reply_errorf(struct reply *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void reply_int(struct reply *r, long long v);           /* :v */
void reply_bulk(struct reply *r, const void *p, size_t n); /* $n p */
void reply_bulk_cstr(struct reply *r, const char *s);
void reply_bulk_ll(struct reply *r, long long v);       /* integer as bulk string */
void reply_bulk_double(struct reply *r, long double v); /* INCRBYFLOAT formatting (%.17Lg, humanised like Redis) */
void reply_null(struct reply *r);                       /* $-1 / _ */
void reply_null_array(struct reply *r);                 /* *-1 / _ */
void reply_array(struct reply *r, long n);              /* *n */
void reply_map(struct reply *r, long n);                /* n pairs */
void reply_set(struct reply *r, long n);
void reply_double(struct reply *r, double v);
void reply_bool(struct reply *r, bool v);
void reply_verbatim(struct reply *r, const char *p, size_t n, const char *ext3); /* ext3: "txt" */
void reply_raw(struct reply *r, const void *p, size_t n); /* pre-encoded bytes */
/* "<type><v>\r\n" (a RESP header: *3, $5...) at dst, which has room for
 * REPLY_HEADER_MAX bytes; returns the bytes written. */
#define REPLY_HEADER_MAX 24
size_t reply_header(char *dst, char type, long long v);

/* Deferred aggregate length, for replies whose size is known only at the
 * end (KEYS, SCAN, COMMAND). reply_defer returns a token; reply_defer_set
 * writes the header in place (a memmove of what follows). kind is '*' for
 * arrays, '%' for maps (pairs), '~' for sets. */
size_t reply_defer(struct reply *r);
void reply_defer_set(struct reply *r, size_t token, char kind, long n);

/* Common error texts (exact Redis wording). */
#define ERR_SYNTAX "ERR syntax error"
#define ERR_NOT_INT "ERR value is not an integer or out of range"
#define ERR_NOT_FLOAT "ERR value is not a valid float"
#define ERR_WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"
#define ERR_NO_KEY "ERR no such key"
#define ERR_OVERFLOW "ERR increment or decrement would overflow"
#define ERR_CROSSSLOT "CROSSSLOT Keys in request don't hash to the same slot"

void reply_wrong_args(struct reply *r, const char *cmdname); /* ERR wrong number of arguments for 'x' command */

#endif
