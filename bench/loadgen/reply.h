/* reply.h: loadgen's incremental RESP reply scanner and its error table.
 *
 * The scanner finds where each top-level reply ends without building it:
 * it consumes whole lines ("+OK\r\n", "$32\r\n", "*3\r\n") and skips bulk
 * payloads, which may be split anywhere across reads. It never looks past
 * len. State between calls is a stack of "elements left" per open
 * aggregate plus the bulk bytes still to skip:
 *
 *   "*2\r\n$3\r\nfoo\r\n:1\r\n"
 *    push 2 | skip 5 (3+CRLF) -> left 1 | int -> left 0 -> pop -> done
 *
 * A line split across reads is not consumed: the caller keeps the tail
 * (buf + *used .. len) at the front of its buffer and appends the next
 * read. So a top-level error line is always whole in the buffer when it
 * is reported, and can be classified (MOVED, ASK, ...).
 *
 * RESP2 types and RESP3's _ , # ( = ! % ~ > | are understood; a top-level
 * attribute (|) or push (>) is skipped and not counted as a reply. */
#ifndef LOADGEN_REPLY_H
#define LOADGEN_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LG_SCAN_DEPTH 32

struct lg_scan {
    int depth;
    int64_t left[LG_SCAN_DEPTH];
    uint64_t skip;   /* bulk payload + CRLF bytes still to pass */
    char top;        /* type byte of the top-level reply in progress */
};

struct lg_reply {
    char type;         /* type byte of the completed top-level reply */
    const char *line;  /* its first line after the type byte, without CRLF */
    size_t line_len;   /* (points into the caller's buffer: use before compacting) */
};

static inline void
lg_scan_reset(struct lg_scan *s)
{
    s->depth = 0;
    s->skip = 0;
    s->top = 0;
}

/* Scan buf[0, len). Returns 1 when a top-level reply completed (*used =
 * bytes up to its end, *out describes it), 0 when more bytes are needed
 * (*used = bytes consumed; keep the rest), -1 on a protocol error (*used
 * then says nothing useful: drop the connection). */
int lg_scan_feed(struct lg_scan *s, const char *buf, size_t len, size_t *used, struct lg_reply *out);

/* ---- Errors by kind ----
 * A kind is the first word of an error reply ("MOVED", "ASK",
 * "CLUSTERDOWN", "TRYAGAIN", "ERR", "WRONGTYPE", ...) or one of loadgen's
 * own: "conn-error" (connect failed or connection lost), "timeout" (no
 * reply by the end of the drain), "protocol" (unparseable reply). Each
 * kind keeps its count and its first message. Per thread; merged at the
 * end. Past LG_ERR_KINDS kinds everything goes to "other". */
#define LG_ERR_KINDS 16
#define LG_ERR_KIND_LEN 24
#define LG_ERR_SAMPLE_LEN 96

struct lg_errtab {
    unsigned n;
    uint64_t total;
    struct {
        char kind[LG_ERR_KIND_LEN];
        char sample[LG_ERR_SAMPLE_LEN];
        uint64_t count;
    } e[LG_ERR_KINDS];
};

/* Count count errors of a kind (kind_len bytes) with message msg. */
void lg_errtab_add(struct lg_errtab *t, const char *kind, size_t kind_len, const char *msg, size_t msg_len,
                   uint64_t count);
/* Count an error reply line (without the '-'); the kind is its first word. */
void lg_errtab_add_line(struct lg_errtab *t, const char *line, size_t len);
void lg_errtab_merge(struct lg_errtab *dst, const struct lg_errtab *src);
uint64_t lg_errtab_count(const struct lg_errtab *t, const char *kind);
/* Length of the first word of an error line (its kind). */
size_t lg_err_kind_len(const char *line, size_t len);

#endif
