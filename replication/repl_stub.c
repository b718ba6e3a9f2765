/* repl_stub.c: placeholder bodies of repl.h until the replication thread
 * lands (issue 11): a node that never replicates. Removed with it. */
#include "replication/repl.h"

int64_t repl_offset(void) { return 0; }
void repl_promote(void) {}
void repl_mf_pause_writes(int64_t pause_ms) { (void)pause_ms; }
void repl_mf_unpause(void) {}
bool repl_mf_offset_settled(void) { return true; }
int repl_setup(void) { return 0; }
void repl_stop(void) {}

/* repl_int.h, master side and worker side (placeholders) */
#include "replication/repl_int.h"
void repl_history_get(char replid[REPL_ID_LEN + 1], int64_t *offset) { memset(replid, '0', REPL_ID_LEN); replid[REPL_ID_LEN] = 0; *offset = 0; }
void repl_history_reset(const char *replid, int64_t offset) { (void)replid; (void)offset; }
void repl_history_switch(const char *newid) { (void)newid; }
void repl_link_established(int fd, int64_t offset, const void *pre, size_t npre) { (void)fd; (void)offset; (void)pre; (void)npre; }
void (*repl_link_lost_hook)(void);
