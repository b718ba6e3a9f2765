/* net_shim.h: plain-C access to an in-process Tessera runtime for the
 * dispatch tests: start the workers on a loopback port, look at how many
 * keys each worker holds, stop. One server per process (global state). */
#ifndef TESSERA_NET_SHIM_H
#define TESSERA_NET_SHIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Start `threads` workers on 127.0.0.1:port. 0 on success. */
int net_shim_start(int port, int threads);
void net_shim_stop(void);
int net_shim_nworkers(void);
/* Keys held by worker w (read after the traffic has quiesced). */
uint64_t net_shim_worker_keys(int w);
/* Worker owning the slot of key. */
int net_shim_key_worker(const char *key);
/* Worker that owns the connection with CLIENT ID id, -1 if none (asked on
 * the workers themselves). */
int net_shim_client_worker(uint64_t id);
/* Make worker w busy for ms milliseconds (a posted task that sleeps), as a
 * slow worker would be; returns at once. */
void net_shim_stall_worker(int w, int ms);
/* Worker w's largest backlog of messages waiting for ring space, and how
 * often one of its peers became congested (net_int.h). */
uint32_t net_shim_backlog_peak(int w);
uint64_t net_shim_congestions(int w);
/* conn_protected_mode_denies for a peer at ip (IPv4 or IPv6 text) with
 * protected-mode and requirepass set as given (restored after). */
int net_shim_protected_denies(const char *ip, int protected_mode, const char *requirepass);

#ifdef __cplusplus
}
#endif
#endif
