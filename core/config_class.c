/* config_class.c: the class column of the directive table (config.h,
 * "Classes"). A not-yet directive takes only Redis's default, in any
 * spelling Redis accepts for it; anything else is refused with
 *
 *   <name> <value> is not supported by Tessera yet (<what is missing>): use <name> <default>
 *
 * at start-up and by CONFIG SET alike, since both stage values through
 * cfg_stage, which calls cfg_stage_class after Redis's own checks. */
#include "core/config.h"

#include "core/config_int.h"

#include <stdio.h>

/* What a not-yet directive waits for, by CFG_NY_AREA (config.h). */
static const char *const cfg_area_text[] = {
    [CFG_AREA_NONE] = "",
    [CFG_AREA_PERSIST] = " (no persistence)",
    [CFG_AREA_REPL] = " (no replication)",
    [CFG_AREA_TLS] = " (no TLS)",
    [CFG_AREA_ACL] = " (no ACL)",
    [CFG_AREA_TYPES] = " (no lists, sorted sets, streams or HyperLogLogs)",
    [CFG_AREA_LAZYFREE] = " (no lazy freeing)",
    [CFG_AREA_DEFRAG] = " (no active defragmentation)",
    [CFG_AREA_SCRIPT] = " (no scripting)",
    [CFG_AREA_MODULES] = " (no modules)",
    [CFG_AREA_THREADS] = " (Tessera's workers are set by threads)",
};

const char *
cfg_area_why(int flags)
{
    unsigned a = CFG_NY_AREA_OF(flags);
    return a < ARRAY_SIZE(cfg_area_text) && cfg_area_text[a] ? cfg_area_text[a] : "";
}

/* Two words of a list value are the same setting: equal numbers ("0200"
 * and "200" for oom-score-adj-values) or the same word in any case. */
static bool
cfg_word_eq(const char *a, const char *b)
{
    long long x, y;
    if (cfg_parse_mem(a, &x) && cfg_parse_mem(b, &y))
        return x == y;
    if (ts_str_to_ll(a, strlen(a), &x) && ts_str_to_ll(b, strlen(b), &y))
        return x == y;
    return strcasecmp(a, b) == 0;
}

static bool
cfg_list_eq(const char *a, const char *b)
{
    int na, nb;
    char **va = cfg_splitargs(a, &na), **vb = cfg_splitargs(b, &nb);
    bool eq = va && vb && na == nb;
    for (int i = 0; eq && i < na; i++)
        eq = cfg_word_eq(va[i], vb[i]);
    cfg_freeargs(va);
    cfg_freeargs(vb);
    return eq;
}

/* Is a staged (parsed, validated, normalised) value Redis's default? Every
 * spelling Redis accepts for it counts: YES, 1mb for 1048576, "no one". */
static bool
cfg_staged_is_default(const struct cfg_opt *o, const struct cfg_staged *st)
{
    const char *v = st->str ? st->str : "";
    switch (o->kind) {
    case CFGK_NONE:
        break;
    case CFGK_STR:
    case CFGK_COBL:
        return strcmp(v, o->def_str) == 0;
    case CFGK_REPLOF:
        return v[0] == '\0';
    case CFGK_WORD:
    case CFGK_MULTI:
        return cfg_list_eq(v, o->def_str);
    default: /* bool, int, memory, octal: staged in canonical form */
        return strcmp(v, o->def_str) == 0;
    }
    switch (o->type) {
    case CFG_BOOL:
    case CFG_INT:
    case CFG_LL:
    case CFG_MEM:
        return st->num == o->def_num;
    case CFG_ENUM:
        return st->num == cfg_enum_default(o);
    case CFG_STR:
        return strcmp(v, o->def_str) == 0;
    case CFG_SPECIAL:
        break;
    }
    return true; /* save refuses its rules itself (CFG_ERR_NO_SAVE) */
}

/* "<name> <value> is not supported by Tessera yet (why): use <name>
 * <default>". A yes/no value is shown as yes or no, others as given. */
static int
cfg_not_yet_err(const struct cfg_opt *o, int argc, char **args, const struct cfg_staged *st, char *err,
                size_t errlen)
{
    struct ts_buf b = { 0 };
    bool is_bool = o->kind == CFGK_BOOL || (o->kind == CFGK_NONE && o->type == CFG_BOOL);
    if (is_bool) {
        const char *yn = o->kind == CFGK_BOOL ? st->str : (st->num ? "yes" : "no");
        ts_buf_append(&b, yn, strlen(yn));
    }
    for (int i = 0; !is_bool && i < argc; i++) {
        if (i)
            ts_buf_putc(&b, ' ');
        ts_buf_append(&b, args[i], strlen(args[i]));
    }
    if (!b.len)
        ts_buf_append(&b, "\"\"", 2);
    const char *def = o->kind == CFGK_REPLOF ? "no one" : o->def_str;
    char num[32];
    if (o->kind == CFGK_NONE && o->type == CFG_BOOL)
        def = o->def_num ? "yes" : "no";
    else if (o->kind == CFGK_NONE && o->type != CFG_ENUM && !def) {
        ts_ll_to_str(num, o->def_num);
        def = num;
    }
    snprintf(err, errlen, "%s %.*s is not supported by Tessera yet%s: use %s %s", o->name, (int)b.len, b.data,
             cfg_area_why(o->flags), o->name, def[0] ? def : "\"\"");
    ts_buf_free(&b);
    return -1;
}

int
cfg_stage_class(struct cfg_opt *o, int argc, char **args, struct cfg_staged *st, char *err, size_t errlen)
{
    if (!(o->flags & CFG_NOT_YET))
        return 0;
    if (!cfg_staged_is_default(o, st)) {
        cfg_not_yet_err(o, argc, args, st, err, errlen);
        cfg_discard(st);
        return -1;
    }
    if (o->kind != CFGK_NONE) {
        /* store the default's own spelling ("no", not "No") */
        ts_free(st->str);
        st->str = ts_strdup(o->def_str);
    }
    return 0;
}

