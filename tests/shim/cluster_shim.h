/* cluster_shim.h: plain-C wrappers over core/slot.h, core/cluster_state.h
 * and cluster/cluster.h for the C++ unit tests (tests/unit/cluster,
 * tests/unit/core/test_slot.cpp). Commands are given as one space-separated
 * line; replies come back as raw RESP bytes. */
#ifndef TESSERA_CLUSTER_SHIM_H
#define TESSERA_CLUSTER_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Mirrors (checked by static_assert in the .c). */
#define CLS_CL_ASKING 4
#define CLS_CL_READONLY 8
#define CLS_CN_MASTER 1
#define CLS_CN_SLAVE 2
#define CLS_CN_PFAIL 4
#define CLS_CN_FAIL 8
#define CLS_CN_MYSELF 16
#define CLS_ENDPOINT_IP 0
#define CLS_ENDPOINT_HOSTNAME 1
#define CLS_ENDPOINT_UNKNOWN 2

/* ---- slot.h ---- */
uint16_t cls_crc16(const char *p, size_t n);
uint16_t cls_slot_of(const char *p, size_t n);

/* ---- configuration (g_cfg fields) ---- */
/* cluster-enabled, full coverage yes, reads-when-down no, endpoint ip. */
void cls_cfg_reset(bool cluster_enabled);
void cls_cfg_full_coverage(bool on);
void cls_cfg_reads_when_down(bool on);
void cls_cfg_endpoint(int type);
void cls_cfg_ports(int port, int cluster_port);
void cls_cfg_conf_file(const char *path);
void cls_cfg_announce(const char *ip, const char *hostname);

/* ---- master copy ---- */
/* Fresh single-node state: myself master with id (NULL = random), ip, port,
 * cport; published; conf_path NULL = never saved. */
void cls_fresh(const char *id, const char *ip, int port, int cport, const char *conf_path);
/* Add a node to the master copy (master_id NULL = none); publishes.
 * Returns its index. */
int cls_add_node(const char *id, const char *ip, int port, int cport, const char *hostname, uint32_t flags,
                 const char *master_id, long long repl_offset);
void cls_set_flags(int idx, uint32_t flags);
void cls_set_owner(int first, int last, int idx); /* idx -1 = unassign */
void cls_set_migrating(int slot, int idx);
void cls_set_importing(int slot, int idx);
void cls_set_epochs(int idx, uint64_t config_epoch, uint64_t current_epoch);
int cls_myself(void);
void cls_my_id(char out[41]);
void cls_teardown(void);

/* ---- snapshot queries ---- */
int cls_state(void);           /* 0 ok, 1 fail */
int cls_size(void);
uint64_t cls_version(void);
bool cls_my_ip(char *out, size_t cap);
void cls_set_my_ip_if_unknown(const char *ip);

/* ---- commands ---- */
/* Run a command line through the cluster command table (CLUSTER's
 * subcommands are resolved like the dispatcher does). The raw RESP reply is
 * copied into out (NUL-terminated, truncated to cap-1); returns its full
 * length. */
size_t cls_run(int resp, const char *line, char *out, size_t cap);
/* Same with an explicit argument vector (binary-safe). */
size_t cls_runv(int resp, int argc, const char *const *argv, const size_t *lens, char *out, size_t cap);
uint32_t cls_client_flags(void);
void cls_client_set_flags(uint32_t f);
/* Put a key into the test shard's keyspace (for COUNTKEYSINSLOT/GETKEYSINSLOT). */
void cls_add_key(const char *k);
void cls_info_section(char *out, size_t cap);

/* ---- routing ---- */
/* cluster_route on the current snapshot; reply bytes in out. */
int cls_route(uint16_t slot, bool is_write, uint32_t client_flags, char *out, size_t cap);

/* ---- nodes.conf ---- */
/* Parse text, then format it back into out. Returns 0, or -1 with the error
 * line in out. */
int cls_conf_roundtrip(const char *text, char *out, size_t cap);
/* Parse and report the first node's ping_sent/pong_recv/config_epoch and
 * current epoch (0 on success). */
int cls_conf_parse_info(const char *text, int node, long long *ping, long long *pong, unsigned long long *epoch,
                        unsigned long long *cur, int *nnodes);
/* nodes.conf content of the master copy. */
size_t cls_conf_text(char *out, size_t cap);
int cls_save(void);
/* cluster_setup() with the configured conf file (0 or -errno). */
int cls_setup(void);
/* Try to take the lock on path as if another process (a new open file
 * description): 0 if it could be taken, -EWOULDBLOCK if held. */
int cls_try_lock_other(const char *path);
void cls_gen_id(char out[41]);
bool cls_id_valid(const char *id);

/* ---- concurrency ---- */
/* Start `readers` reader threads that loop read_begin / get / check
 * consistency / read_end while this thread publishes `publishes` snapshots.
 * Returns the number of inconsistencies seen (0 expected), and the number
 * of snapshots observed in *seen. */
long cls_stress(int readers, int publishes, long *seen);

#ifdef __cplusplus
}
#endif

#endif
