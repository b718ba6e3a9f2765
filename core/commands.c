/* commands.c: see commands.h. */
#include "core/commands.h"

#include "core/config.h"
#include "core/multi.h"
#include "core/obj.h"
#include "core/pubsub.h"
#include "core/server_cmds.h"
#include "core/t_commands.h"
#include "core/t_db.h"
#include "core/t_hash.h"

void
core_register_commands(void)
{
    obj_setup();
    t_string_register();
    t_keys_register();
    t_set_register();
    t_db_register();
    t_hash_register();
    server_register_commands();
    config_register_commands();
    pubsub_register();
    multi_register();
}
