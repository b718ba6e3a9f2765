/* obj.c: the registry of value types (obj.h). Written at setup, read-only
 * afterwards, so workers read it without synchronisation. */
#include "core/obj.h"

#include "core/keyspace.h"
#include "core/log.h"
#include "core/obj_set.h"
#include "core/t_hash.h"

#include <stdlib.h>

#define OBJ_TYPES 16

static const struct obj_ops *obj_ops_tab[OBJ_TYPES];

void
obj_register(const struct obj_ops *t)
{
    if (t->type >= OBJ_TYPES || t->type == OBJ_STRING || obj_ops_tab[t->type]) {
        log_warn("value type %d registered twice or out of range", t->type);
        abort();
    }
    obj_ops_tab[t->type] = t;
}

const struct obj_ops *
obj_ops_of(int type)
{
    return (unsigned)type < OBJ_TYPES ? obj_ops_tab[type] : NULL;
}

const struct obj_ops *
obj_ops_of_rdb(int rdb_type)
{
    for (int i = 0; i < OBJ_TYPES; i++) {
        const struct obj_ops *t = obj_ops_tab[i];
        if (!t)
            continue;
        for (const int *r = t->rdb_types; *r >= 0; r++)
            if (*r == rdb_type)
                return t;
    }
    return NULL;
}

/* Redis's names for every type it has, whether Tessera implements it yet
 * or not (SCAN TYPE list matches nothing rather than failing). */
static const struct {
    const char *name;
    int type;
} obj_names[] = {{"string", OBJ_STRING}, {"list", OBJ_LIST}, {"set", OBJ_SET},
                 {"zset", OBJ_ZSET},     {"hash", OBJ_HASH}, {"stream", OBJ_STREAM}};

const char *
obj_type_name(int type)
{
    if (type == OBJ_STRING)
        return "string";
    const struct obj_ops *t = obj_ops_of(type);
    return t ? t->name : "unknown";
}

int
obj_type_by_name(struct sv name)
{
    for (size_t i = 0; i < ARRAY_SIZE(obj_names); i++)
        if (sv_eq_ci(name, obj_names[i].name))
            return obj_names[i].type;
    return -1;
}

/* Every collection type core/ implements registers here. */
void
obj_setup(void)
{
    obj_set_register();
    obj_hash_register();
}
