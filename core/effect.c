/* effect.c: the write-effect point (effect.h). */
#include "core/effect.h"

#include "core/shard.h"

void
fx_key(struct shard *sh, int cls, const char *event, struct sv key)
{
    (void)cls;
    (void)event;
    (void)key;
    sh->fx.cmd_writes++;
}

void
fx_propagate(struct shard *sh, int argc, const struct sv *argv)
{
    (void)argc;
    (void)argv;
    sh->fx.cmd_props++;
    sh->fx.seq++;
}
