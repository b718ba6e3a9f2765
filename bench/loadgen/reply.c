/* reply.c: incremental RESP reply scanner and error table (reply.h). */
#include "bench/loadgen/reply.h"

#include <string.h>

/* Signed decimal of a header line; false when malformed or huge. */
static bool
parse_len(const char *p, size_t n, int64_t *out)
{
    bool neg = false;
    int64_t v = 0;
    if (n && *p == '-') {
        neg = true;
        p++;
        n--;
    }
    if (n == 0 || n > 18)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (p[i] - '0');
    }
    *out = neg ? -v : v;
    return true;
}

/* One element finished: count it against the open aggregates, closing
 * those that are full. True when the top-level reply is complete. */
static bool
element_done(struct lg_scan *s)
{
    while (s->depth > 0) {
        if (--s->left[s->depth - 1] > 0)
            return false;
        s->depth--;
    }
    return true;
}

int
lg_scan_feed(struct lg_scan *s, const char *buf, size_t len, size_t *used, struct lg_reply *out)
{
    size_t pos = 0;
    *used = 0;
    for (;;) {
        bool done = false;
        if (s->skip) {
            size_t n = len - pos;
            if (n > s->skip)
                n = (size_t)s->skip;
            pos += n;
            s->skip -= n;
            if (s->skip) {
                *used = pos;
                return 0;
            }
            done = element_done(s);
        } else {
            if (pos >= len) {
                *used = pos;
                return 0;
            }
            const char *nl = memchr(buf + pos, '\n', len - pos);
            if (nl == NULL) {
                *used = pos; /* partial line: the caller keeps it */
                return 0;
            }
            const char *line = buf + pos;
            size_t ll = (size_t)(nl - line); /* bytes before '\n' */
            if (ll < 1 || line[ll - 1] != '\r')
                return -1;
            const char *body = line + 1;
            size_t bl = ll - 2;
            char type = line[0];
            pos += ll + 1;
            if (s->depth == 0) {
                s->top = type;
                out->type = type;
                out->line = body;
                out->line_len = bl;
            }
            int64_t n;
            switch (type) {
            case '+': case '-': case ':': case '_': case ',': case '#': case '(':
                done = element_done(s);
                break;
            case '$': case '=': case '!':
                if (!parse_len(body, bl, &n) || n < -1 || n > ((int64_t)1 << 40))
                    return -1;
                if (n < 0) {
                    done = element_done(s);
                } else {
                    s->skip = (uint64_t)n + 2;
                    continue;
                }
                break;
            case '*': case '~': case '>': case '%': case '|':
                if (!parse_len(body, bl, &n) || n < -1 || n > ((int64_t)1 << 32))
                    return -1;
                if (type == '%' || type == '|')
                    n *= 2;
                if (n <= 0) {
                    done = element_done(s);
                } else {
                    if (s->depth >= LG_SCAN_DEPTH)
                        return -1;
                    s->left[s->depth++] = n;
                }
                break;
            default:
                return -1;
            }
        }
        if (done) {
            if (s->top == '|' || s->top == '>') {
                s->top = 0; /* attribute or push: not a reply of its own */
                continue;
            }
            out->type = s->top;
            s->top = 0;
            *used = pos;
            return 1;
        }
    }
}

/* ---- Error table ---- */

size_t
lg_err_kind_len(const char *line, size_t len)
{
    size_t n = 0;
    while (n < len && line[n] != ' ')
        n++;
    return n;
}

void
lg_errtab_add(struct lg_errtab *t, const char *kind, size_t kind_len, const char *msg, size_t msg_len,
              uint64_t count)
{
    if (kind_len == 0) {
        kind = "ERR";
        kind_len = 3;
    }
    if (kind_len >= LG_ERR_KIND_LEN)
        kind_len = LG_ERR_KIND_LEN - 1;
    t->total += count;
    unsigned i = 0;
    for (; i < t->n; i++)
        if (strlen(t->e[i].kind) == kind_len && memcmp(t->e[i].kind, kind, kind_len) == 0)
            break;
    if (i == t->n) {
        if (t->n == LG_ERR_KINDS) {
            i = LG_ERR_KINDS - 1; /* the last slot becomes "other" */
            strcpy(t->e[i].kind, "other");
        } else {
            t->n++;
            memcpy(t->e[i].kind, kind, kind_len);
            t->e[i].kind[kind_len] = '\0';
            t->e[i].count = 0;
            if (msg_len >= LG_ERR_SAMPLE_LEN)
                msg_len = LG_ERR_SAMPLE_LEN - 1;
            for (size_t k = 0; k < msg_len; k++) /* keep the sample printable */
                t->e[i].sample[k] = (msg[k] >= 32 && msg[k] < 127 && msg[k] != '"' && msg[k] != '\\') ? msg[k] : '?';
            t->e[i].sample[msg_len] = '\0';
        }
    }
    t->e[i].count += count;
}

void
lg_errtab_add_line(struct lg_errtab *t, const char *line, size_t len)
{
    lg_errtab_add(t, line, lg_err_kind_len(line, len), line, len, 1);
}

void
lg_errtab_merge(struct lg_errtab *dst, const struct lg_errtab *src)
{
    for (unsigned i = 0; i < src->n; i++)
        lg_errtab_add(dst, src->e[i].kind, strlen(src->e[i].kind), src->e[i].sample, strlen(src->e[i].sample),
                      src->e[i].count);
}

uint64_t
lg_errtab_count(const struct lg_errtab *t, const char *kind)
{
    for (unsigned i = 0; i < t->n; i++)
        if (strcmp(t->e[i].kind, kind) == 0)
            return t->e[i].count;
    return 0;
}
