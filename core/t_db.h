/* t_db.h: whole-keyspace commands (DBSIZE KEYS RANDOMKEY SCAN FLUSHDB FLUSHALL). */
#ifndef TESSERA_T_DB_H
#define TESSERA_T_DB_H
void t_db_register(void);
#endif
