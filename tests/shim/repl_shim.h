/* repl_shim.h: plain-C access for tests/unit/replication: the shared
 * replication buffer (replication/repl_buf.h), a worker's effect stream
 * (core/effect.h: MULTI/EXEC units) and the fork-less snapshot
 * (core/snapshot.h) on a keyspace of strings. */
#ifndef TESSERA_REPL_SHIM_H
#define TESSERA_REPL_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- repl_buf ---- */
struct replx_buf;
struct replx_reader;
struct replx_buf *replx_buf_create(int64_t off);
void replx_buf_destroy(struct replx_buf *b);
void replx_buf_append(struct replx_buf *b, const void *p, size_t n);
void replx_buf_trim(struct replx_buf *b, size_t keep);
void replx_buf_restart(struct replx_buf *b, int64_t off);
int64_t replx_buf_start(const struct replx_buf *b);
int64_t replx_buf_end(const struct replx_buf *b);
size_t replx_buf_mem(const struct replx_buf *b);
/* NULL when off is not held. */
struct replx_reader *replx_reader_attach(struct replx_buf *b, int64_t off);
/* Read up to max bytes (in pieces of at most piece bytes) into out;
 * returns how many. */
size_t replx_reader_read(struct replx_reader *r, char *out, size_t max, size_t piece);
int64_t replx_reader_offset(const struct replx_reader *r);
void replx_reader_detach(struct replx_reader *r);

/* ---- a worker's effect stream ---- */
struct replx_shard;
struct replx_shard *replx_shard_create(void);
void replx_shard_destroy(struct replx_shard *s);
/* A command with effects, as the runtime streams it (argv strings). */
void replx_stream_cmd(struct replx_shard *s, int argc, const char **argv);
void replx_tx_begin(struct replx_shard *s);
void replx_tx_end(struct replx_shard *s);
/* The turn's bytes handed over (the stream buffer emptied); returns them
 * in a malloc'd buffer (caller frees), length in *n. */
char *replx_hand_over(struct replx_shard *s, size_t *n);
uint64_t replx_appended(const struct replx_shard *s);
/* A unit mark (effect.h) at the stream's current end; the marks not yet
 * handed over: their positions into pos (at most max), how many. */
void replx_mark(struct replx_shard *s, uint64_t id);
int replx_mark_positions(const struct replx_shard *s, size_t *pos, int max);
/* Capture the shard's effects into a buffer of its own (a unit's part):
 * begin, then end returns the bytes captured (malloc'd, caller frees),
 * length in *n, commands in *ncmds. */
void replx_capture_begin(struct replx_shard *s);
char *replx_capture_end(struct replx_shard *s, size_t *n, uint64_t *ncmds);

/* ---- snapshot ---- */
/* The shard's keyspace: strings. */
void replx_set(struct replx_shard *s, const char *k, const char *v);
void replx_del(struct replx_shard *s, const char *k);
/* The guard a write runs first (snapshot.h). */
void replx_guard(struct replx_shard *s, const char *k);
void replx_snap_begin(struct replx_shard *s, uint64_t id);
/* Produce about max bytes; true once done. */
bool replx_snap_produce(struct replx_shard *s, size_t max);
void replx_snap_abort(struct replx_shard *s);
bool replx_snap_drain(struct replx_shard *s, size_t budget);
bool replx_snap_running(const struct replx_shard *s);
/* Load everything produced so far as an RDB file: for each key, calls
 * fn(arg, key, value); returns the number of keys, -1 if the file did not
 * load (err gets the reason). */
long replx_snap_load(struct replx_shard *s, void (*fn)(void *arg, const char *k, const char *v), void *arg,
                     char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
