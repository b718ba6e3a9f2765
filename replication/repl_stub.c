/* repl_stub.c: placeholder bodies of the replica link (repl_int.h) until
 * repl_link.c lands: a node that is never a replica. */
#include "replication/repl.h"
#include "replication/repl_int.h"

bool repl_is_replica(void) { return false; }
bool repl_link_up(void) { return false; }
int64_t repl_link_down_ms(void) { return 0; }
void repl_set_master(const char *ip, int port) { (void)ip; (void)port; }
void repl_link_info(struct repl_link_info *out) { memset(out, 0, sizeof(*out)); }
void repl_link_stop(void) {}
void repl_link_register_commands(void) {}
void (*repl_link_lost_hook)(void);
