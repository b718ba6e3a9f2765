/* commands.h: registers every command table that lives in core/ (strings,
 * keys, whole-keyspace, server and connection, CONFIG). Upper modules add
 * their own (cluster_register_commands). Call once, before workers start. */
#ifndef TESSERA_COMMANDS_H
#define TESSERA_COMMANDS_H

void core_register_commands(void);

#endif
