/* repl_wait.h: WAIT (spec/replication.md §5), and what a replica answers
 * to its master's GETACK. */
#ifndef TESSERA_REPL_WAIT_H
#define TESSERA_REPL_WAIT_H

#include "core/common.h"

struct cmd_ctx;

/* ---- The thread ---- */
/* n bytes of worker w's batches went into the stream. */
void repl_wait_merged(int w, size_t n);
/* Answer the WAITs that are satisfied or timed out; send one GETACK for
 * those still waiting. */
void repl_wait_step(int64_t now);
/* How long the thread may sleep (at most max ms) without missing a WAIT's
 * deadline. */
int repl_wait_timeout_ms(int64_t now, int max);

/* ---- Any thread ---- */
/* A REPLCONF ACK came: wake the thread if a WAIT may be satisfied. */
void repl_wait_ack_arrived(void);

/* ---- Commands ---- */
/* REPLCONF GETACK: from our master, answer REPLCONF ACK <applied>. */
void repl_answer_getack(struct cmd_ctx *c);
void repl_wait_register(void);

#endif
