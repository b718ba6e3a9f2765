/* resp.h: the streaming RESP request parser (multibulk and inline), as a
 * redis-server reads client requests.
 *
 * The parser works on a connection's query buffer: resp_parse() is called
 * with the bytes not yet consumed; it either returns one complete command
 * (argv as views into the buffer, valid until the buffer is modified or the
 * next resp_parse call; quoted inline arguments live in the parser), asks
 * for more bytes, or reports a protocol error. Progress inside a partial
 * command is remembered in the parser (offsets, not pointers), so a 500 MB
 * bulk arriving in 64 KB pieces is scanned once, not once per piece, and
 * resp_want() tells the caller how many bytes the pending bulk needs so the
 * buffer can be grown once.
 *
 * Limits and error texts are Redis's (networking.c), each followed by
 * closing the connection after the reply:
 *   -ERR Protocol error: invalid multibulk length
 *   -ERR Protocol error: invalid bulk length
 *   -ERR Protocol error: expected '$', got 'X'
 *   -ERR Protocol error: too big mbulk count string
 *   -ERR Protocol error: too big bulk count string
 *   -ERR Protocol error: too big inline request
 *   -ERR Protocol error: unbalanced quotes in request
 * Multibulk count limit: 1024*1024*1024 (INT_MAX in 7.0 for authenticated
 * clients is > that; Tessera uses Redis's 1048576*1024 cap); bulk length
 * limit: proto-max-bulk-len; inline line limit: 64 KB (PROTO_INLINE_MAX_SIZE);
 * the whole query buffer: client-query-buffer-limit (checked by the caller).
 */
#ifndef TESSERA_RESP_H
#define TESSERA_RESP_H

#include "core/common.h"

#define RESP_INLINE_MAX (64 * 1024)
#define RESP_MBULK_MAX (1024LL * 1024 * 1024)

struct resp_arg {
    size_t off; /* offset from the start of the command */
    size_t len;
};

struct resp_parser {
    /* limits (copied from config by the caller; may change between calls) */
    long long max_bulk_len;
    /* state of the partially parsed command */
    int kind;              /* 0 = not started, '*' multibulk, 'i' inline */
    long long mbulk_left;  /* arguments still to read, -1 = need the '*' header */
    long long bulk_len;    /* length of the bulk being read, -1 = need its header */
    size_t pos;            /* scan position, relative to the command start */
    size_t scan;           /* header/inline line searched up to here (no rescan) */
    /* arguments of the command so far (grown as needed, kept between calls);
     * internal: callers use argv. Multibulk only. */
    struct resp_arg *args;
    int argc;
    int cap;
    /* views handed out for the last complete command. For a multibulk
     * command they point into buf; for an inline command an argument that
     * needed unquoting points into scratch (owned by the parser, valid until
     * the next resp_parse/resp_parser_deinit). */
    struct sv *argv;
    int argv_cap;
    char *scratch;
    size_t scratch_cap;
};

enum resp_status {
    RESP_NEED_MORE = 0, /* incomplete: call again with the same start and more bytes */
    RESP_COMMAND = 1,   /* a command is complete: p->argv[0..p->argc), *consumed bytes used */
    RESP_EMPTY = 2,     /* an empty inline line or "*N" with N <= 0 (Redis 7.0
                           skips "*-5" too): skip *consumed bytes */
    RESP_ERROR = -1,    /* protocol error: message in err; reply and close */
};

void resp_parser_init(struct resp_parser *p, long long max_bulk_len);
void resp_parser_deinit(struct resp_parser *p);
/* Parse from buf (the unconsumed part of the query buffer, starting at the
 * same command start as the previous NEED_MORE call). On RESP_COMMAND the
 * parser is reset for the next command. err gets a message like
 * "Protocol error: invalid bulk length" (without "ERR "). */
int resp_parse(struct resp_parser *p, const char *buf, size_t len, size_t *consumed, char *err, size_t errlen);
/* Bytes the query buffer should hold (from the command start) to complete
 * the bulk being read, or 0 if unknown. For pre-sizing large arguments. */
size_t resp_want(const struct resp_parser *p);
/* When all a partial multibulk command lacks is the rest of its last
 * bulk, the bytes (from the command start) that complete it; else 0. */
size_t resp_command_end(const struct resp_parser *p);

/* A look ahead for prefetching (not parsing): the name and the second
 * argument, where most commands keep their first key, of each complete
 * multibulk command at the start of buf, up to max of them. Stops at the
 * first thing that is not a complete multibulk command of at most
 * RESP_PEEK_MAX_ARGS arguments (an inline command, a partial frame,
 * anything malformed: the parser will deal with it); never reads past
 * buf + len. One-argument commands are skipped. Returns the number of
 * commands stored. */
#define RESP_PEEK_MAX_ARGS 64
struct resp_peek {
    struct sv name; /* argv[0] */
    struct sv key;  /* argv[1] */
};
int resp_peek_keys(const char *buf, size_t len, struct resp_peek *out, int max);

#endif
