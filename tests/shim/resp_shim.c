/* resp_shim.c: the C side of resp_shim.h, compiled as C so the tests only
 * see plain types. */
#include "tests/shim/resp_shim.h"

#include "core/reply.h"
#include "net/resp.h"

struct resp_shim {
    struct resp_parser p;
    char err[256];
};

resp_shim *
resp_shim_create(long long max_bulk_len)
{
    resp_shim *s = ts_calloc(1, sizeof(*s));
    resp_parser_init(&s->p, max_bulk_len);
    return s;
}

void
resp_shim_destroy(resp_shim **s)
{
    if (*s == NULL)
        return;
    resp_parser_deinit(&(*s)->p);
    ts_free(*s);
    *s = NULL;
}

void
resp_shim_set_max_bulk(resp_shim *s, long long max_bulk_len)
{
    s->p.max_bulk_len = max_bulk_len;
}

int
resp_shim_parse(resp_shim *s, const char *buf, size_t len, size_t *consumed)
{
    s->err[0] = '\0';
    return resp_parse(&s->p, buf, len, consumed, s->err, sizeof(s->err));
}

const char *
resp_shim_err(const resp_shim *s)
{
    return s->err;
}

int
resp_shim_argc(const resp_shim *s)
{
    return s->p.argc;
}

const char *
resp_shim_arg(const resp_shim *s, int i, size_t *len)
{
    *len = s->p.argv[i].len;
    return s->p.argv[i].ptr;
}

size_t
resp_shim_command_end(const resp_shim *s)
{
    return resp_command_end(&s->p);
}

size_t
resp_shim_want(const resp_shim *s)
{
    return resp_want(&s->p);
}

size_t
resp_shim_pos(const resp_shim *s)
{
    return s->p.pos;
}

size_t
resp_shim_scan(const resp_shim *s)
{
    return s->p.scan;
}

_Static_assert(RESP_SHIM_PEEK_MAX_ARGS == RESP_PEEK_MAX_ARGS, "shim and parser disagree");

int
resp_shim_peek_keys(const char *buf, size_t len, size_t *offs, size_t *lens, int max)
{
    struct resp_peek cmds[256];
    if (max > 256)
        max = 256;
    int n = resp_peek_keys(buf, len, cmds, max);
    for (int i = 0; i < n; i++) {
        offs[i] = (size_t)(cmds[i].key.ptr - buf);
        lens[i] = cmds[i].key.len;
    }
    return n;
}

/* ---- Reply encoder ---- */

struct reply_shim {
    struct ts_buf out;
    struct reply r;
};

reply_shim *
reply_shim_create(int resp)
{
    reply_shim *s = ts_calloc(1, sizeof(*s));
    reply_init(&s->r, &s->out, (uint8_t)resp);
    return s;
}

void
reply_shim_destroy(reply_shim **s)
{
    if (*s == NULL)
        return;
    ts_buf_free(&(*s)->out);
    ts_free(*s);
    *s = NULL;
}

const char *
reply_shim_data(const reply_shim *s, size_t *len)
{
    *len = s->out.len;
    return s->out.data ? s->out.data : "";
}

void
reply_shim_clear(reply_shim *s)
{
    ts_buf_reset(&s->out);
    s->r.count = 0;
    s->r.error = false;
}

unsigned
reply_shim_count(const reply_shim *s)
{
    return s->r.count;
}

int
reply_shim_error(const reply_shim *s)
{
    return s->r.error;
}

void
reply_shim_ok(reply_shim *s)
{
    reply_ok(&s->r);
}

void
reply_shim_simple(reply_shim *s, const char *str)
{
    reply_simple(&s->r, str);
}

void
reply_shim_simple_len(reply_shim *s, const char *str, size_t n)
{
    reply_simple_len(&s->r, str, n);
}

void
reply_shim_error_msg(reply_shim *s, const char *msg)
{
    reply_error(&s->r, msg);
}

void
reply_shim_errorf_str(reply_shim *s, const char *prefix, const char *arg)
{
    reply_errorf(&s->r, "%s %s", prefix, arg);
}

void
reply_shim_int(reply_shim *s, long long v)
{
    reply_int(&s->r, v);
}

void
reply_shim_bulk(reply_shim *s, const void *p, size_t n)
{
    reply_bulk(&s->r, p, n);
}

void
reply_shim_bulk_cstr(reply_shim *s, const char *str)
{
    reply_bulk_cstr(&s->r, str);
}

void
reply_shim_bulk_ll(reply_shim *s, long long v)
{
    reply_bulk_ll(&s->r, v);
}

void
reply_shim_bulk_double(reply_shim *s, long double v)
{
    reply_bulk_double(&s->r, v);
}

void
reply_shim_null(reply_shim *s)
{
    reply_null(&s->r);
}

void
reply_shim_null_array(reply_shim *s)
{
    reply_null_array(&s->r);
}

void
reply_shim_array(reply_shim *s, long n)
{
    reply_array(&s->r, n);
}

void
reply_shim_map(reply_shim *s, long n)
{
    reply_map(&s->r, n);
}

void
reply_shim_set(reply_shim *s, long n)
{
    reply_set(&s->r, n);
}

void
reply_shim_double(reply_shim *s, double v)
{
    reply_double(&s->r, v);
}

void
reply_shim_bool(reply_shim *s, int v)
{
    reply_bool(&s->r, v != 0);
}

void
reply_shim_verbatim(reply_shim *s, const char *p, size_t n, const char *ext3)
{
    reply_verbatim(&s->r, p, n, ext3);
}

void
reply_shim_raw(reply_shim *s, const void *p, size_t n)
{
    reply_raw(&s->r, p, n);
}

size_t
reply_shim_defer(reply_shim *s)
{
    return reply_defer(&s->r);
}

void
reply_shim_defer_set(reply_shim *s, size_t token, char kind, long n)
{
    reply_defer_set(&s->r, token, kind, n);
}

void
reply_shim_wrong_args(reply_shim *s, const char *cmdname)
{
    reply_wrong_args(&s->r, cmdname);
}
