/* config_int.h: private parts of the config module, shared by config.c
 * (table, parsing, load), config_rewrite.c (CONFIG REWRITE) and
 * cmd_config.c (the CONFIG command). Not for use outside these files.
 *
 * Every directive Tessera knows is one struct cfg_opt in cfg_opts[], its
 * class (acts, cosmetic, not yet) in its flags: first the TS_CONFIG_LIST
 * entries (value in a g_cfg field), then the others (value kept as a string
 * in the entry itself). Setting a value is two steps so CONFIG SET can be all
 * or nothing:
 *
 *   cfg_stage()  parse + validate into a struct cfg_staged (no side effects)
 *   cfg_commit() publish it (atomic store, chdir, log level, ...)
 */
#ifndef TESSERA_CONFIG_INT_H
#define TESSERA_CONFIG_INT_H

#include "core/buf.h"
#include "core/common.h"
#include "core/config.h"

#include <pthread.h>

/* Kinds of the directives kept as text: how values are validated,
 * normalised and written back by CONFIG REWRITE. */
enum cfg_kind {
    CFGK_NONE = 0,   /* acted-on directive: the type says everything */
    CFGK_BOOL = 'b', /* yes/no */
    CFGK_INT = 'i',  /* integer */
    CFGK_MEM = 'm',  /* memory value, stored as plain bytes */
    CFGK_OCT = 'o',  /* octal (unixsocketperm) */
    CFGK_WORD = 'e', /* enum-like word, stored as given */
    CFGK_STR = 's',  /* free string, quoted by REWRITE */
    CFGK_MULTI = 'M',/* several words, stored space-joined */
    CFGK_COBL = 'C', /* client-output-buffer-limit: merged per class */
    CFGK_REPLOF = 'R', /* replicaof host port */
};

struct cfg_opt {
    const char *name;
    enum cfg_type type;
    int flags;            /* enum cfg_flag */
    long long min, max;
    long long def_num;    /* default of numeric types */
    const char *def_str;  /* default of string-like types */
    void *field;          /* the g_cfg field; NULL for those kept as text */
    char kind;            /* enum cfg_kind */
    bool seen;            /* cosmetic: named at start-up (logged once) */
    char *sval;           /* kept as text: current value */
};

extern struct cfg_opt cfg_opts[];
extern const size_t cfg_nopts;

/* Serialises CONFIG SET commits and REWRITE; readers never take it. */
extern pthread_mutex_t cfg_lock;

/* A parsed, validated value not yet published. */
struct cfg_staged {
    struct cfg_opt *opt;
    long long num;
    char *str; /* owned until committed */
};

/* Logged once for a cosmetic directive that is named. */
#define CFG_WARN_COSMETIC "Directive '%s' is accepted but has no effect in Tessera (cosmetic)"

/* The " (no persistence)" part of a not-yet refusal, from a row's flags. */
const char *cfg_area_why(int flags);

/* Config-file lines that are not options (rename-command, ...): how many
 * words they take, counting the directive itself, and their class. */
struct cfg_other {
    const char *name;
    int argc_min, argc_max;
    int flags; /* CFG_COSMETIC or a CFG_NY_* */
};
extern const struct cfg_other cfg_others[];
extern const size_t cfg_nothers;

/* Look a directive up by name or alias, case-insensitively. */
struct cfg_opt *cfg_lookup(const char *name, size_t len);
/* The old name Redis also accepts for o (slave-read-only, ...), or NULL. */
const char *cfg_alias_of(const struct cfg_opt *o);
/* Directives whose arguments form a list (bind, save, ...): one argument
 * holding spaces is split, and the count is their own business. */
bool cfg_is_multi(const struct cfg_opt *o);

/* CONFIG GET text of o; ts_malloc'd, caller frees. */
char *cfg_format(const struct cfg_opt *o);
/* True when the value is the default (REWRITE appends only changed ones). */
bool cfg_is_default(const struct cfg_opt *o);

/* Parse args into st. loading: reading the config file at start-up (the
 * first "save" line replaces the default list, later ones append). Returns
 * 0 or -1 with Redis's message in err, or, for a not-yet directive given
 * anything but its default, "<name> <value> is not supported by Tessera
 * yet...". */
int cfg_stage(struct cfg_opt *o, int argc, char **args, bool loading, struct cfg_staged *st, char *err,
              size_t errlen);
/* The class check on a value cfg_stage has parsed (config_class.c): a
 * not-yet directive's value must be its default (then stored in the
 * default's own spelling), else -1 with the refusal in err and st
 * discarded. */
int cfg_stage_class(struct cfg_opt *o, int argc, char **args, struct cfg_staged *st, char *err, size_t errlen);
/* A CFG_ENUM directive's default, as its enum value. */
int cfg_enum_default(const struct cfg_opt *o);
/* Publish a staged value; st->str is consumed. Returns 0, or -1 (only "dir"
 * can fail: chdir). */
int cfg_commit(struct cfg_staged *st, bool loading, char *err, size_t errlen);
void cfg_discard(struct cfg_staged *st);
/* Every directive back to its default (start of config_load). */
void cfg_reset_defaults(void);

/* sdssplitargs-compatible splitting: whitespace separated, "..." with
 * \n \r \t \b \a \xHH and \<c> escapes, '...' with \' only. A closing quote
 * must be followed by a space or the end. Returns a NULL-terminated
 * ts_malloc'd vector, or NULL on unbalanced quotes. */
char **cfg_splitargs(const char *line, int *argc);
void cfg_freeargs(char **v);
/* Append s quoted the way sdscatrepr does ("..." with escapes). */
void cfg_repr(struct ts_buf *b, const char *s, size_t n);
/* Redis memtoull: digits with an optional unit b k kb m mb g gb (any case);
 * k=1000, kb=1024. False when not a memory value or out of range. */
bool cfg_parse_mem(const char *s, long long *out);

#endif
