/* t_db.h: whole-keyspace commands (DBSIZE KEYS RANDOMKEY SCAN FLUSHDB FLUSHALL). */
#ifndef TESSERA_T_DB_H
#define TESSERA_T_DB_H
void t_db_register(void);
struct shard;
/* Empty this worker's keyspace as FLUSHALL does (WATCHed keys touched,
 * the stream told when it is on): a replica leaving its master by CLUSTER
 * RESET drops its dataset, as Redis does. Run on the worker. */
void t_db_flush_worker(struct shard *sh);
#endif
