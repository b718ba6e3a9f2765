/* cmap.h: loadgen's view of a Redis Cluster: slot -> node table, built
 * from a CLUSTER SLOTS reply and patched by MOVED redirects.
 *
 * Nodes are kept in a table whose indices never change (a node that loses
 * its slots stays, owning nothing), so connections can be indexed by node.
 * The slot of a key is Tessera's own slot_of() (core/slot.c: CRC16-XMODEM
 * of the key or its {hash tag}, mod 16384): one CRC16 in the project.
 *
 * Redirects, as redis-cli -c and the cluster clients handle them:
 *   -MOVED <slot> <host>:<port>   the slot lives there now: update the map
 *                                 (and refresh it all soon), resend there;
 *   -ASK <slot> <host>:<port>     this one key is being migrated: send
 *                                 ASKING + the command to that node once,
 *                                 leave the map alone.
 *
 * Ownership: each loadgen thread owns its own copy; nothing is shared. */
#ifndef LOADGEN_CMAP_H
#define LOADGEN_CMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LG_SLOTS 16384
#define LG_MAX_NODES 128
#define LG_NO_NODE 0xffff
#define LG_HOST_LEN 64

struct lg_node_addr {
    char host[LG_HOST_LEN];
    int port;
    bool has_slots;   /* owns at least one slot in the current map */
};

struct lg_cmap {
    uint16_t owner[LG_SLOTS];  /* node index or LG_NO_NODE */
    int nnodes;
    struct lg_node_addr nodes[LG_MAX_NODES];
    uint64_t version;          /* bumped by every change */
};

void lg_cmap_init(struct lg_cmap *m);
/* Index of host:port, added when missing. -ENOSPC when the table is full,
 * -EINVAL for an empty or too long host. */
int lg_cmap_node(struct lg_cmap *m, const char *host, size_t host_len, int port);
/* Replace the slot owners with a complete CLUSTER SLOTS reply (RESP
 * bytes). A node whose host is "" or "?" is taken to be default_host (the
 * node that was asked). Returns the number of slot ranges, or -EPROTO for
 * a malformed reply (the map is then unchanged). */
int lg_cmap_load_slots(struct lg_cmap *m, const char *reply, size_t len, const char *default_host);
/* The node that owns the slot of key, or LG_NO_NODE. */
int lg_cmap_key_node(const struct lg_cmap *m, const char *key, size_t len);
uint16_t lg_key_slot(const char *key, size_t len);
/* Number of slots a node owns. */
unsigned lg_cmap_node_slots(const struct lg_cmap *m, int node);

enum lg_redirect_kind { LG_REDIR_NONE = 0, LG_REDIR_MOVED, LG_REDIR_ASK };

struct lg_redirect {
    enum lg_redirect_kind kind;
    int slot;
    char host[LG_HOST_LEN];
    int port;
};

/* Parse an error line (without '-'): "MOVED 3999 127.0.0.1:6381" or
 * "ASK ...". Returns the kind (LG_REDIR_NONE when the line is neither or
 * malformed). An IPv6 host is the part before the last ':'. */
enum lg_redirect_kind lg_parse_redirect(const char *line, size_t len, struct lg_redirect *r);
/* MOVED: the slot now belongs to r's node. Returns that node's index or a
 * negative errno. ASK leaves the map alone: use lg_cmap_node. */
int lg_cmap_apply_moved(struct lg_cmap *m, const struct lg_redirect *r);

/* ---- Discovery (blocking, for start-up and refreshes) ----
 * Ask host:port for CLUSTER SLOTS over a fresh TCP connection (timeout_ms
 * for connect and for the whole reply) and load the reply into m. Returns
 * the number of ranges, or a negative errno; err (errlen bytes) gets a
 * message such as the server's error reply. */
int lg_cmap_fetch(struct lg_cmap *m, const char *host, int port, int timeout_ms, char *err, size_t errlen);

#endif
