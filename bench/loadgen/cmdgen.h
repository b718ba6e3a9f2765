/* cmdgen.h: loadgen's request templates, rendered as RESP.
 *
 * A template is a command line such as "SET __key__ __data__" or
 * "INCR counter:__key__": arguments split on blanks ("double quotes" keep
 * blanks inside one argument); in each argument __key__ becomes the key
 * (prefix + 12 zero-padded digits, as redis-benchmark's __rand_int__) and
 * __data__ the value (vlen 'x' bytes). Every __key__ of one request is the
 * same key. A template is compiled once into segments:
 *
 *   "*3\r\n$3\r\nSET\r\n$16\r\n" KEY "\r\n" DATAHDR DATA "\r\n"
 *    '---------- LIT ----------'      '-LIT-'
 *
 * where LIT is pre-rendered, KEY copies the rendered key, DATAHDR writes
 * "$<len>\r\n" for an argument whose length depends on the value size, and
 * DATA copies value bytes; so rendering a request is a few memcpys.
 *
 * The request mix is a cycle of template indices built from the weights
 * (SET:1 GET:10 -> S G G G G G G G G G G), walked by each thread, so the
 * ratio is exact rather than random.
 *
 * Ownership: struct lg_cmdgen is built once by the options parser and is
 * read-only (shared by every thread) once the run starts. */
#ifndef LOADGEN_CMDGEN_H
#define LOADGEN_CMDGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define LG_MAX_TMPL 16
#define LG_MAX_SEGS 64
#define LG_MAX_CYCLE 4096
#define LG_KEY_DIGITS 12
#define LG_MAX_KEY 128

enum lg_seg_kind { LG_SEG_LIT, LG_SEG_KEY, LG_SEG_DATAHDR, LG_SEG_DATA };

struct lg_seg {
    uint8_t kind;
    uint32_t off, len; /* LIT: bytes in lit[]; DATAHDR: fixed part of the
                          argument's length; DATA: unused */
    uint16_t ndata;    /* DATAHDR: how many __data__ in the argument */
};

struct lg_tmpl {
    char name[32];     /* first word, upper-cased: "SET", for reports */
    char *text;        /* the template as given */
    unsigned weight;
    bool has_key;      /* routes by its key in cluster mode */
    bool has_data;
    unsigned nsegs;
    struct lg_seg segs[LG_MAX_SEGS];
    char *lit;
    size_t lit_len;
    size_t fixed_len;  /* bytes apart from keys and data */
    unsigned nkeys, ndata;
};

struct lg_cmdgen {
    struct lg_tmpl tmpl[LG_MAX_TMPL];
    unsigned ntmpl;
    uint8_t cycle[LG_MAX_CYCLE];
    unsigned ncycle;
    char prefix[LG_MAX_KEY - LG_KEY_DIGITS];
    size_t prefix_len;
    size_t key_len;        /* prefix_len + LG_KEY_DIGITS */
    uint32_t vmin, vmax;   /* value size range, bytes */
    char *filler;          /* vmax bytes of 'x' */
};

/* Set the defaults (prefix "key:", 3-byte values, no templates). */
void lg_cmdgen_init(struct lg_cmdgen *g);
void lg_cmdgen_deinit(struct lg_cmdgen *g);
/* Compile and add one template with a weight. Returns its index, -EINVAL
 * (empty, unbalanced quote, too many segments) or -ENOSPC. */
int lg_cmdgen_add(struct lg_cmdgen *g, const char *text, unsigned weight);
/* Add the redis-benchmark-like named tests "get", "set", "incr", "del",
 * "ping", "lpush", "hset", "hget", "hincrby", "hgetall" (weight 1 each) from a comma list; -EINVAL on an
 * unknown name. */
int lg_cmdgen_add_tests(struct lg_cmdgen *g, const char *list);
/* Build the mix cycle and the filler; call once after every add and after
 * the prefix and value sizes are set. Returns 0 or -EINVAL. */
int lg_cmdgen_finish(struct lg_cmdgen *g);

/* Render key number id (< 10^12) into out (key_len bytes, no NUL). */
static inline void
lg_key_render(const struct lg_cmdgen *g, uint64_t id, char *out)
{
    memcpy(out, g->prefix, g->prefix_len);
    char *d = out + g->prefix_len + LG_KEY_DIGITS;
    for (int i = 0; i < LG_KEY_DIGITS; i++) {
        *--d = (char)('0' + id % 10);
        id /= 10;
    }
}

/* Bytes request tmpl takes with a vlen-byte value (upper bound). */
size_t lg_tmpl_size(const struct lg_cmdgen *g, const struct lg_tmpl *t, uint32_t vlen);
/* Render one request into out (lg_tmpl_size bytes available); returns the
 * bytes written. key: key_len bytes from lg_key_render. */
size_t lg_tmpl_render(const struct lg_cmdgen *g, const struct lg_tmpl *t, const char *key, uint32_t vlen,
                      char *out);

#endif
