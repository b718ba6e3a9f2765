#!/usr/bin/python3
"""test_cluster_single.py: one node with cluster-enabled yes.

MYID, INFO before/after slots, CLUSTERDOWN, ADDSLOTSRANGE, NODES format,
SLOTS/SHARDS, KEYSLOT vectors, COUNTKEYSINSLOT/GETKEYSINSLOT, CROSSSLOT,
hash tags, DELSLOTS, restart keeping MYID and slots (nodes.conf), SELECT,
redis-py RedisCluster and redis-cli -c.
Ports: 21400 (client), 21450 (cluster bus).
"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

PORT = H.port(21400)
BUS = PORT + 50
t = H.Runner("test_cluster_single")
CONF = "nodes-%d.conf" % PORT
ARGS = ["--cluster-enabled", "yes", "--cluster-config-file", CONF, "--cluster-port", str(BUS),
        "--cluster-node-timeout", "5000"]


def raw_client(srv):
    r = srv.client()
    r.response_callbacks = {}
    return r


def cluster_info(r):
    text = r.execute_command("CLUSTER", "INFO").decode()
    return dict(l.split(":", 1) for l in text.split("\r\n") if ":" in l)


def wait_state(r, want, timeout=15):
    deadline = time.monotonic() + timeout
    state = None
    while time.monotonic() < deadline:
        state = cluster_info(r).get("cluster_state")
        if state == want:
            return True
        time.sleep(0.1)
    return False


def expect_error(r, args, text, label):
    try:
        rep = r.execute_command(*args)
    except Exception as e:
        return t.eq(str(e), text, label)
    t.fail("%s: expected error %r, got %r" % (label, text, rep))


def test_before_slots(r, state):
    myid = r.execute_command("CLUSTER", "MYID").decode()
    t.check(re.fullmatch(r"[0-9a-f]{40}", myid), "CLUSTER MYID is 40 hex: %r" % myid)
    state["myid"] = myid
    info = cluster_info(r)
    t.eq(info.get("cluster_state"), "fail", "cluster_state before slots")
    t.eq(info.get("cluster_slots_assigned"), "0", "cluster_slots_assigned 0")
    t.eq(info.get("cluster_known_nodes"), "1", "cluster_known_nodes 1")
    for f in ("cluster_slots_ok", "cluster_slots_pfail", "cluster_slots_fail", "cluster_current_epoch",
              "cluster_my_epoch", "cluster_stats_messages_sent", "cluster_stats_messages_received",
              "total_cluster_links_buffer_limit_exceeded"):
        t.check(f in info, "CLUSTER INFO has %s" % f)
    expect_error(r, ["GET", "foo"], "CLUSTERDOWN Hash slot not served", "GET before slots -> CLUSTERDOWN")
    t.eq(r.execute_command("INFO", "cluster"), b"# Cluster\r\ncluster_enabled:1\r\n", "INFO cluster")


def test_addslots(r, state):
    t.eq(r.execute_command("CLUSTER", "ADDSLOTSRANGE", "0", "16383"), b"OK", "ADDSLOTSRANGE 0 16383")
    t.check(wait_state(r, "ok"), "cluster_state:ok after ADDSLOTSRANGE (within 15 s)")
    info = cluster_info(r)
    t.eq(info.get("cluster_slots_assigned"), "16384", "slots assigned")
    t.eq(info.get("cluster_slots_ok"), "16384", "slots ok")
    t.eq(info.get("cluster_size"), "1", "cluster_size 1")
    expect_error(r, ["CLUSTER", "ADDSLOTS", "0"], "Slot 0 is already busy", "ADDSLOTS busy")
    expect_error(r, ["CLUSTER", "ADDSLOTS", "16384"], "Invalid or out of range slot", "ADDSLOTS 16384")
    expect_error(r, ["CLUSTER", "ADDSLOTSRANGE", "5", "1"],
                 "start slot number 5 is greater than end slot number 1", "ADDSLOTSRANGE reversed")
    expect_error(r, ["CLUSTER", "COUNTKEYSINSLOT", "16384"], "Invalid slot", "COUNTKEYSINSLOT 16384")
    expect_error(r, ["CLUSTER", "NOSUCHSUB"],
                 "unknown subcommand 'NOSUCHSUB'. Try CLUSTER HELP.", "CLUSTER unknown subcommand")
    nodes = r.execute_command("CLUSTER", "NODES").decode()
    lines = nodes.rstrip("\n").split("\n")
    t.eq(len(lines), 1, "CLUSTER NODES one line")
    t.check(nodes.endswith("\n"), "CLUSTER NODES ends with newline")
    pat = r"%s (127\.0\.0\.1)?:%d@%d(,[^ ]*)? myself,master - 0 \d+ \d+ connected 0-16383" % (state["myid"], PORT, BUS)
    t.check(re.fullmatch(pat, lines[0]), "CLUSTER NODES line format: %r" % lines[0])
    t.eq(r.execute_command("CLUSTER", "MYID").decode(), state["myid"], "MYID stable")


def test_slots_shards(r, state):
    slots = r.execute_command("CLUSTER", "SLOTS")
    t.eq(len(slots), 1, "CLUSTER SLOTS one range")
    rng = slots[0]
    t.eq(rng[:2], [0, 16383], "SLOTS range 0-16383")
    node = rng[2]
    t.check(node[0] in (b"", b"127.0.0.1") and node[1] == PORT and node[2].decode() == state["myid"],
            "SLOTS node entry: %r" % node)
    shards = r.execute_command("CLUSTER", "SHARDS")
    t.eq(len(shards), 1, "CLUSTER SHARDS one shard")
    sh = dict(zip(shards[0][::2], shards[0][1::2]))
    t.eq(sh.get(b"slots"), [0, 16383], "SHARDS slots")
    nodes = sh.get(b"nodes") or []
    t.eq(len(nodes), 1, "SHARDS one node")
    if nodes:
        n = dict(zip(nodes[0][::2], nodes[0][1::2]))
        t.eq(n.get(b"id", b"").decode(), state["myid"], "SHARDS node id")
        t.eq(n.get(b"port"), PORT, "SHARDS node port")
        t.eq(n.get(b"role"), b"master", "SHARDS role")
        t.eq(n.get(b"health"), b"online", "SHARDS health")
        t.check(b"replication-offset" in n and b"endpoint" in n and b"ip" in n, "SHARDS node fields: %r" % list(n))


def test_keyslot(r):
    vectors = {"123456789": 12739, "foo": 12182, "bar": 5061, "hello": 866,
               "{user1000}.following": H.key_slot("user1000"), "foo{}{bar}": H.crc16(b"foo{}{bar}") % 16384,
               "foo{{bar}}zap": H.crc16(b"{bar") % 16384, "foo{bar}{zap}": 5061, "{bar": H.crc16(b"{bar") % 16384,
               "": 0, "a{}": H.crc16(b"a{}") % 16384, "\xff": H.crc16("\xff".encode()) % 16384}
    for k, want in vectors.items():
        t.eq(r.execute_command("CLUSTER", "KEYSLOT", k), want, "KEYSLOT %r" % k)
        t.eq(H.key_slot(k), want, "harness key_slot self-check %r" % k)


def test_keys_in_slot(r):
    r.execute_command("FLUSHALL")
    slot = H.key_slot("tag")
    keys = ["{tag}:%d" % i for i in range(300)]
    r.execute_command("MSET", *[x for k in keys for x in (k, "v")])
    for i in range(200):  # other slots too
        r.execute_command("SET", "other:%d" % i, "v")
    t.eq(r.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot), 300, "COUNTKEYSINSLOT")
    got = r.execute_command("CLUSTER", "GETKEYSINSLOT", slot, 1000)
    t.eq(sorted(got), sorted(k.encode() for k in keys), "GETKEYSINSLOT all")
    t.eq(len(r.execute_command("CLUSTER", "GETKEYSINSLOT", slot, 10)), 10, "GETKEYSINSLOT count 10")
    empty = (slot + 1) % 16384
    while any(H.key_slot("other:%d" % i) == empty for i in range(200)):
        empty = (empty + 1) % 16384
    t.eq(r.execute_command("CLUSTER", "COUNTKEYSINSLOT", empty), 0, "COUNTKEYSINSLOT empty slot")
    t.eq(r.execute_command("CLUSTER", "GETKEYSINSLOT", empty, 10), [], "GETKEYSINSLOT empty slot")
    expect_error(r, ["CLUSTER", "GETKEYSINSLOT", slot, -1], "Invalid slot or number of keys",
                 "GETKEYSINSLOT negative count")
    t.eq(r.execute_command("DBSIZE"), 500, "DBSIZE")


def test_crossslot(r):
    expect_error(r, ["MSET", "a", "1", "b", "2"], "CROSSSLOT Keys in request don't hash to the same slot",
                 "MSET across slots")
    expect_error(r, ["MGET", "a", "b"], "CROSSSLOT Keys in request don't hash to the same slot", "MGET across")
    expect_error(r, ["DEL", "a", "b"], "CROSSSLOT Keys in request don't hash to the same slot", "DEL across")
    expect_error(r, ["RENAME", "a", "b"], "CROSSSLOT Keys in request don't hash to the same slot", "RENAME across")
    t.eq(r.execute_command("MSET", "{u}a", "1", "{u}b", "2"), b"OK", "MSET same tag")
    t.eq(r.execute_command("MGET", "{u}a", "{u}b", "{u}c"), [b"1", b"2", None], "MGET same tag")
    t.eq(r.execute_command("RENAME", "{u}a", "{u}z"), b"OK", "RENAME same tag")
    t.eq(r.execute_command("EXISTS", "{u}a", "{u}z"), 1, "EXISTS same tag")
    expect_error(r, ["SELECT", "1"], "SELECT is not allowed in cluster mode", "SELECT 1")
    t.eq(r.execute_command("SELECT", "0"), b"OK", "SELECT 0")
    hello = r.execute_command("HELLO", "2")
    d = dict(zip(hello[::2], hello[1::2]))
    t.eq(d.get(b"mode"), b"cluster", "HELLO mode cluster")


def ok(r, args, expected, label):
    """A command that must succeed with `expected`; an error is a failed
    check, not an exception, so later steps still run."""
    try:
        rep = r.execute_command(*args)
    except Exception as e:
        return t.fail("%s: got error %s" % (label, e))
    return t.eq(rep, expected, label)


def test_delslots(r):
    k100 = H.key_in_slot(100)
    r.execute_command("SET", k100, "v")
    try:
        ok(r, ["CLUSTER", "DELSLOTS", "100"], b"OK", "DELSLOTS 100")
        expect_error(r, ["GET", k100], "CLUSTERDOWN Hash slot not served", "GET in deleted slot -> CLUSTERDOWN")
        expect_error(r, ["CLUSTER", "DELSLOTS", "100"], "Slot 100 is already unassigned", "DELSLOTS again")
        t.check(wait_state(r, "fail"), "cluster_state:fail with an uncovered slot (full coverage required)")
        t.eq(cluster_info(r).get("cluster_slots_assigned"), "16383", "16383 assigned")
        nodes = r.execute_command("CLUSTER", "NODES").decode()
        t.check(nodes.rstrip("\n").endswith(" connected 0-99 101-16383"), "NODES shows the hole: %r" % nodes)
        slots = r.execute_command("CLUSTER", "SLOTS")
        t.eq(sorted(x[:2] for x in slots), [[0, 99], [101, 16383]], "SLOTS shows two ranges")
        expect_error(r, ["GET", "foo"], "CLUSTERDOWN The cluster is down", "other slot while state fail -> CLUSTERDOWN")
        ok(r, ["CONFIG", "SET", "cluster-require-full-coverage", "no"], b"OK", "CONFIG SET full coverage no")
        t.check(wait_state(r, "ok", timeout=10), "state ok with full coverage not required")
        ok(r, ["SET", "foo", "bar"], b"OK", "other slot served without full coverage")
        expect_error(r, ["GET", k100], "CLUSTERDOWN Hash slot not served", "slot 100 still not served")
    finally:
        r.execute_command("CONFIG", "SET", "cluster-require-full-coverage", "yes")
        try:
            r.execute_command("CLUSTER", "ADDSLOTS", "100")  # restore (error if already there)
        except Exception:
            pass
    ok(r, ["CLUSTER", "DELSLOTSRANGE", "200", "299"], b"OK", "DELSLOTSRANGE")
    ok(r, ["CLUSTER", "ADDSLOTSRANGE", "200", "299"], b"OK", "ADDSLOTSRANGE back")
    t.check(wait_state(r, "ok"), "state ok again")
    ok(r, ["GET", k100], b"v", "key in slot 100 still there")
    # Leave slot 7000 unassigned to check it survives a restart.
    ok(r, ["CLUSTER", "DELSLOTS", "7000"], b"OK", "DELSLOTS 7000 before restart")


def test_restart(srv, state):
    rc = srv.stop()
    t.eq(rc, 0, "exit code after SIGTERM")
    t.check(os.path.exists(os.path.join(srv.dir, CONF)), "nodes config file written: %s" % CONF)
    with open(os.path.join(srv.dir, CONF)) as f:
        text = f.read()
    t.check(state["myid"] in text and "myself,master" in text, "nodes.conf has myself line: %r" % text[:200])
    t.check(re.search(r"^vars currentEpoch \d+ lastVoteEpoch \d+$", text, re.M), "nodes.conf vars line")
    srv.start()
    r = raw_client(srv)
    t.eq(r.execute_command("CLUSTER", "MYID").decode(), state["myid"], "same MYID after restart")
    info = cluster_info(r)
    t.eq(info.get("cluster_slots_assigned"), "16383", "slots kept after restart")
    nodes = r.execute_command("CLUSTER", "NODES").decode()
    t.check(nodes.rstrip("\n").endswith(" connected 0-6999 7001-16383"), "slot ranges kept: %r" % nodes)
    ok(r, ["CLUSTER", "ADDSLOTS", "7000"], b"OK", "ADDSLOTS 7000 after restart")
    t.check(wait_state(r, "ok"), "state ok after restart")
    r.close()


def test_redis_py_cluster(srv):
    from redis.cluster import RedisCluster
    rc = RedisCluster(host="127.0.0.1", port=srv.port, socket_timeout=10)
    try:
        for i in range(1000):
            rc.set("rc:%d" % i, "v%d" % i)
        vals = [rc.get("rc:%d" % i) for i in range(1000)]
        t.eq(vals, [b"v%d" % i for i in range(1000)], "RedisCluster get 1000 keys")
        t.eq(rc.mget_nonatomic(["rc:1", "rc:2", "rc:999"]), [b"v1", b"v2", b"v999"], "RedisCluster mget_nonatomic")
        t.eq(rc.incr("rc:counter"), 1, "RedisCluster INCR")
        t.eq(rc.delete("rc:1"), 1, "RedisCluster DEL")
        t.eq(rc.keyslot("123456789"), 12739, "RedisCluster keyslot")
        nodes = rc.get_nodes()
        t.eq(len(nodes), 1, "RedisCluster sees one node")
    finally:
        rc.close()


def test_redis_cli_c(srv):
    base = [H.REDIS_CLI, "-c", "-h", "127.0.0.1", "-p", str(srv.port)]
    p = H.tool(base + ["SET", "cli:key", "hello"], timeout=20)
    t.eq(p.stdout.strip(), b"OK", "redis-cli -c SET")
    p = H.tool(base + ["GET", "cli:key"], timeout=20)
    t.eq(p.stdout.strip(), b"hello", "redis-cli -c GET")
    p = H.tool([H.REDIS_CLI, "--cluster", "check", "127.0.0.1:%d" % srv.port], timeout=60)
    out = p.stdout.decode("utf-8", "replace")
    t.check("[OK] All 16384 slots covered." in out, "redis-cli --cluster check: %s" % out[-400:])


def main():
    srv = None
    state = {}
    try:
        srv = H.tessera(PORT, threads=2, extra=ARGS)
        r = raw_client(srv)
        t.run(test_before_slots, r, state)
        if "myid" not in state:
            raise SystemExit("no MYID; cannot continue")
        t.run(test_addslots, r, state)
        t.run(test_slots_shards, r, state)
        t.run(test_keyslot, r)
        t.run(test_keys_in_slot, r)
        t.run(test_crossslot, r)
        t.run(test_delslots, r)
        r.close()
        t.run(test_restart, srv, state)
        t.run(test_redis_py_cluster, srv)
        t.run(test_redis_cli_c, srv)
        t.current = "alive"
        t.check(srv.alive(), "server still running")
    finally:
        rc = srv.stop() if srv else None
    t.current = "exit"
    t.eq(rc, 0, "exit code after SIGTERM")
    t.server_checks(srv)
    srv.cleanup()
    t.finish()


if __name__ == "__main__":
    H.run_main(t, main)
