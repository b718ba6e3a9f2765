#!/usr/bin/python3
"""test_cluster_bus.py: Tessera nodes forming a cluster over the bus.

  * `redis-cli --cluster create` of 6 Tessera nodes with --cluster-replicas 1,
    `--cluster check`, CLUSTER NODES agreeing everywhere, REPLICAS, LINKS,
    INFO message counters; redis-cli -c and redis-py RedisCluster over all
    slots.
  * Failure detection (cluster-node-timeout 2000): a SIGSTOPped node that
    resumes before the timeout is never marked FAIL; a killed master is FAIL
    on every live node within node-timeout + 2 s; restarted with its
    nodes.conf it keeps its ID and the FAIL is cleared.
  * Garbage, a bad signature, a huge length and a truncated message on a
    bus port cost only that link.
  * `redis-cli --cluster del-node` (FORGET everywhere, RESET SOFT).
  * SETSLOT MIGRATING/IMPORTING: -ASK, -TRYAGAIN, ASKING, redis-cli -c.
  * A mixed cluster: 3 redis-server 7.0 masters and a Tessera master joined
    by CLUSTER MEET, slots moved to it with CLUSTER SETSLOT NODE, every node
    agreeing; each side marks the other FAIL when it is killed.
  * A corrupt nodes.conf is refused at start-up and left alone.
Ports: 21800-21899 (clients 218xx, buses 218xx + 50).
"""
import os
import re
import signal
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

T_MS = 2000
BASE = H.port(21800)
t = H.Runner("test_cluster_bus")


def node_args(port):
    return ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-port",
            str(port + 50), "--cluster-node-timeout", str(T_MS)]


def start_tessera(port, workdir=None, extra=()):
    if not os.path.exists(H.TESSERA):
        print("SKIP: %s does not exist" % H.TESSERA)
        sys.exit(H.SKIP_RC)
    srv = H.Server(H.TESSERA, port, H.tessera_argv(1, node_args(port) + list(extra)), name="tessera:%d" % port,
                   workdir=workdir)
    return srv.start()


def cli(port, *args, timeout=20):
    p = H.tool([H.REDIS_CLI, "-p", str(port)] + [str(a) for a in args], timeout=timeout)
    return p.stdout.decode(errors="replace").strip()


def nodes(port):
    """CLUSTER NODES as a list of dicts."""
    out = []
    for line in cli(port, "cluster", "nodes").splitlines():
        f = line.split()
        if len(f) < 8:
            continue
        out.append({"id": f[0], "addr": f[1], "flags": set(f[2].split(",")), "master": f[3],
                    "epoch": int(f[6]), "link": f[7], "slots": " ".join(f[8:])})
    return out


def info(port):
    text = cli(port, "cluster", "info")
    return dict(l.split(":", 1) for l in text.splitlines() if ":" in l)


def signature(port):
    """What redis-cli's consistency check compares: sorted id:slots."""
    return sorted("%s:%s" % (n["id"], n["slots"]) for n in nodes(port) if "handshake" not in n["flags"])


def node_flagged(observer, target_id, flag):
    return any(n["id"] == target_id and flag in n["flags"] for n in nodes(observer))


# ---- 6 Tessera nodes -------------------------------------------------------

def test_create(srvs, st):
    ports = [s.port for s in srvs]
    p = H.tool([H.REDIS_CLI, "--cluster", "create"] + ["127.0.0.1:%d" % x for x in ports]
               + ["--cluster-replicas", "1", "--cluster-yes"], timeout=90)
    out = p.stdout.decode(errors="replace")
    t.check("[OK] All 16384 slots covered." in out, "create ends with all slots covered:\n" + out[-1500:])
    t.check(H.wait_for(lambda: all(info(x).get("cluster_state") == "ok" for x in ports), 30),
            "every node reaches cluster_state:ok")
    p = H.tool([H.REDIS_CLI, "--cluster", "check", "127.0.0.1:%d" % ports[0]], timeout=30)
    out = p.stdout.decode(errors="replace")
    t.check("[OK] All nodes agree about slots configuration." in out, "check: nodes agree:\n" + out[-1500:])
    t.check("[OK] All 16384 slots covered." in out, "check: coverage")
    t.eq(p.returncode, 0, "check exit code")
    def roles_ok():
        view = nodes(ports[0])
        return sum("slave" in n["flags"] for n in view) == 3
    H.wait_for(roles_ok, 10)
    sigs = [signature(x) for x in ports]
    t.check(all(s == sigs[0] for s in sigs), "CLUSTER NODES slot signatures agree on all 6 nodes")
    view = nodes(ports[0])
    masters = [n for n in view if "master" in n["flags"]]
    replicas = [n for n in view if "slave" in n["flags"]]
    if not t.eq((len(masters), len(replicas)), (3, 3), "3 masters and 3 replicas"):
        print(out)
    ids = {n["id"] for n in masters}
    t.check(all(r["master"] in ids for r in replicas), "each replica names a master")
    epochs = sorted(n["epoch"] for n in masters)
    t.eq(len(set(epochs)), 3, "masters have distinct config epochs %r" % epochs)
    st["ids"] = {int(n["addr"].split(":")[1].split("@")[0]): n["id"] for n in view}
    st["masters"] = sorted(int(n["addr"].split(":")[1].split("@")[0]) for n in masters)
    st["replicas"] = sorted(int(n["addr"].split(":")[1].split("@")[0]) for n in replicas)
    m = masters[0]["id"]
    reps = cli(ports[0], "cluster", "replicas", m).splitlines()
    t.eq(len(reps), 1, "CLUSTER REPLICAS of a master lists its replica")
    t.check(cli(ports[0], "cluster", "replicas", "0" * 40).startswith("ERR Unknown node"), "REPLICAS unknown")


def test_clients(srvs, st):
    from redis.cluster import RedisCluster
    rc = RedisCluster(host="127.0.0.1", port=srvs[0].port, socket_timeout=10)
    for i in range(1000):
        rc.set("key:%d" % i, i)
    t.check(all(int(rc.get("key:%d" % i)) == i for i in range(1000)), "RedisCluster reads back 1000 keys")
    sizes = [srvs[0].client().__class__(host="127.0.0.1", port=p).dbsize() for p in st["masters"]]
    t.check(all(s > 200 for s in sizes) and sum(sizes) == 1000, "keys spread over 3 masters: %r" % sizes)
    rc.close()
    out = H.tool([H.REDIS_CLI, "-c", "-p", str(st["replicas"][0]), "set", "{user1}x", "v"], timeout=10)
    t.eq(out.stdout.strip(), b"OK", "redis-cli -c follows MOVED from a replica")
    out = H.tool([H.REDIS_CLI, "-c", "-p", str(srvs[0].port), "get", "{user1}x"], timeout=10)
    t.eq(out.stdout.strip(), b"v", "redis-cli -c get")


def test_loadgen_cluster(srvs, st):
    """bench/loadgen --cluster over the 3 Tessera masters: no errors, keys
    on every master."""
    import json
    lg = os.environ.get("LOADGEN") or os.path.join(os.path.dirname(os.path.abspath(H.TESSERA)), "loadgen")
    if not os.path.exists(lg):
        raise H.Skip("no loadgen binary at %s" % lg)
    path = os.path.join(srvs[0].dir, "lg.json")
    p = H.tool([lg, "-h", "127.0.0.1", "-p", str(srvs[0].port), "--cluster", "-n", "60000", "-c", "4", "-P", "8",
                "-r", "5000", "--key-prefix", "lg:", "--ratio", "1:1", "-q", "--json", path], timeout=60)
    t.eq(p.returncode, 0, "loadgen exit code (stderr %r)" % p.stderr[-300:])
    with open(path) as f:
        res = json.load(f)
    t.eq(res["requests"], 60000, "all requests answered")
    t.eq(res["errors"]["total"], 0, "no errors on a healthy Tessera cluster: %r" % res["errors"])
    t.eq(res["lost"] + res["timeouts"], 0, "nothing lost or timed out")
    counts = [srvs[p - BASE - 1].client().dbsize() for p in st["masters"]]
    t.check(all(c > 0 for c in counts), "loadgen's keys landed on every master: %r" % counts)


def test_publish_over_bus(srvs, st):
    """PUBLISH reaches subscribers on every node; SPUBLISH reaches the
    subscribers of the channel's shard (the owning master's replica)."""
    import redis
    subs = {}
    for s in srvs:
        ps = redis.Redis(host="127.0.0.1", port=s.port, socket_timeout=5).pubsub()
        ps.subscribe("news")
        ps.get_message(timeout=2)  # the subscribe confirmation
        subs[s.port] = ps
    time.sleep(0.2)
    srvs[0].client().publish("news", "hello-all")
    got = {}
    for port, ps in subs.items():
        m = ps.get_message(timeout=3)
        got[port] = m and m.get("data")
        ps.close()
    t.check(all(v == b"hello-all" for v in got.values()), "PUBLISH on one node reaches all 6: %r" % got)
    # A shard channel owned by the first master: subscribe on its replica.
    chan = H.key_in_slot(100, "sch")
    owner = [n for n in nodes(srvs[0].port) if "master" in n["flags"] and n["slots"].startswith("0-")][0]
    replica = [n for n in nodes(srvs[0].port) if n["master"] == owner["id"]][0]
    rport = int(replica["addr"].split(":")[1].split("@")[0])
    oport = int(owner["addr"].split(":")[1].split("@")[0])
    # Debian's redis-py has no SSUBSCRIBE support in its PubSub: raw RESP.
    with H.RawConn(rport) as sub:
        t.eq(sub.cmd("SSUBSCRIBE", chan), b"*3\r\n$10\r\nssubscribe\r\n$%d\r\n%s\r\n:1\r\n"
             % (len(chan), chan.encode()), "SSUBSCRIBE on the owner's replica is served there")
        redis.Redis(host="127.0.0.1", port=oport).execute_command("SPUBLISH", chan, "shard-msg")
        t.eq(sub.reply(), b"*3\r\n$8\r\nsmessage\r\n$%d\r\n%s\r\n$9\r\nshard-msg\r\n"
             % (len(chan), chan.encode()), "SPUBLISH on the master reaches its replica's subscriber")


def test_ask_during_reshard(srvs, st):
    """SETSLOT MIGRATING/IMPORTING: the source answers -ASK for keys it no
    longer has and -TRYAGAIN for a partial multi-key command; the target
    serves ASKING clients; redis-cli -c follows ASK."""
    a, b = st["masters"][0], st["masters"][1]
    slot = 100
    assert slot < 5461  # owned by the first master
    ra, rb = srvs[a - BASE - 1].client(), srvs[b - BASE - 1].client()
    k1 = "{%s}k1" % H.key_in_slot(slot, "t")
    tag = k1[1:k1.index("}")]
    k2, k3 = "{%s}k2" % tag, "{%s}k3" % tag
    ra.set(k1, "v1")
    t.eq(cli(b, "cluster", "setslot", slot, "importing", st["ids"][a]), "OK", "IMPORTING on the target")
    t.eq(cli(a, "cluster", "setslot", slot, "migrating", st["ids"][b]), "OK", "MIGRATING on the source")
    try:
        ask = "ASK %d 127.0.0.1:%d" % (slot, b)
        t.eq(ra.get(k1), b"v1", "a key still on the source is served there")
        t.raises(lambda: ra.get(k2), ask, "a missing key gets -ASK")
        t.raises(lambda: ra.set(k2, "x"), ask, "a write of a missing key gets -ASK")
        t.raises(lambda: ra.mget(k1, k2), "TRYAGAIN", "a partial multi-key command gets -TRYAGAIN")
        t.raises(lambda: rb.get(k2), "MOVED %d 127.0.0.1:%d" % (slot, a), "the target without ASKING: -MOVED")
        with H.RawConn(b) as c:
            t.eq(c.cmd("ASKING"), b"+OK\r\n", "ASKING")
            t.eq(c.cmd("SET", k2, "on-target"), b"+OK\r\n", "the target serves an ASKING client")
            t.eq(c.cmd("ASKING"), b"+OK\r\n", "ASKING again")
            t.check(c.cmd("MGET", k2, k3).startswith(b"-TRYAGAIN"), "importing + ASKING + missing keys: TRYAGAIN")
        out = H.tool([H.REDIS_CLI, "-c", "-p", str(a), "get", k2], timeout=10).stdout.strip()
        t.eq(out, b"on-target", "redis-cli -c follows -ASK to the target")
    finally:
        with H.RawConn(b) as c:
            c.cmd("ASKING")
            c.cmd("DEL", k2)
        for p in (a, b):
            cli(p, "cluster", "setslot", slot, "stable")
        ra.delete(k1)
    t.eq(ra.get(k1), None, "slot stable again on the source")


def test_info_links(srvs, st):
    i = info(srvs[0].port)
    t.check(int(i.get("cluster_stats_messages_ping_sent", 0)) > 0, "ping_sent counted")
    t.check(int(i.get("cluster_stats_messages_pong_received", 0)) > 0, "pong_received counted")
    t.eq(i.get("cluster_known_nodes"), "6", "known nodes")
    t.eq(i.get("cluster_size"), "3", "cluster size")
    r = srvs[0].client()
    links = r.execute_command("CLUSTER", "LINKS")
    dirs = {}
    for l in links:
        d = dict(zip(l[0::2], l[1::2])) if isinstance(l, list) else l
        dirs.setdefault(d[b"direction"], 0)
        dirs[d[b"direction"]] += 1
    t.eq(dirs.get(b"to"), 5, "an outbound link to each of the 5 others")
    t.eq(dirs.get(b"from"), 5, "an inbound link from each of the 5 others")
    t.eq(r.execute_command("CLUSTER", "COUNT-FAILURE-REPORTS", st["ids"][srvs[1].port]), 0, "no failure reports")


def test_pause_not_failed(srvs, st):
    victim = srvs[st["replicas"][0] - BASE - 1]
    vid = st["ids"][victim.port]
    observers = [s.port for s in srvs if s is not victim]
    seen_fail = False
    os.kill(victim.pid, signal.SIGSTOP)
    try:
        deadline = time.monotonic() + T_MS / 1000 * 0.6
        while time.monotonic() < deadline:
            seen_fail |= any(node_flagged(o, vid, "fail") for o in observers)
            time.sleep(0.1)
    finally:
        os.kill(victim.pid, signal.SIGCONT)
    end = time.monotonic() + 2 * T_MS / 1000
    while time.monotonic() < end:
        seen_fail |= any(node_flagged(o, vid, "fail") for o in observers)
        time.sleep(0.2)
    t.check(not seen_fail, "a node paused for less than the node timeout is never marked FAIL")


def test_kill_detect_and_rejoin(srvs, st):
    victim = srvs[st["masters"][2] - BASE - 1]
    vid = st["ids"][victim.port]
    observers = [s.port for s in srvs if s is not victim]
    # This test is about detection and rejoining: keep the replica from
    # taking over (test_failover.py covers that).
    for p in st["replicas"]:
        cli(p, "config", "set", "cluster-replica-no-failover", "yes")
    t0 = time.monotonic()
    victim.proc.kill()
    victim.wait_exit(10)
    ok = H.wait_for(lambda: all(node_flagged(o, vid, "fail") for o in observers), T_MS / 1000 + 6, step=0.05)
    took = time.monotonic() - t0
    print("  killed master FAIL on all %d live nodes after %.2f s (node timeout %.1f s)"
          % (len(observers), took, T_MS / 1000))
    t.check(ok and took <= T_MS / 1000 + 2, "FAIL everywhere within node-timeout + 2 s (took %.2f s)" % took)
    t.check(H.wait_for(lambda: info(observers[0]).get("cluster_state") == "fail", 5),
            "cluster state fail while its slots are unserved (no failover yet)")
    victim.start()
    t.eq(cli(victim.port, "cluster", "myid"), vid, "restarted node keeps its ID (nodes.conf)")
    t.check(H.wait_for(lambda: all(info(s.port).get("cluster_state") == "ok" for s in srvs), 4 * T_MS / 1000 + 10),
            "FAIL cleared and cluster ok again after the master returns")
    t.check(not node_flagged(observers[0], vid, "fail"), "no fail flag left")
    for p in st["replicas"]:
        cli(p, "config", "set", "cluster-replica-no-failover", "no")


def bus_hdr(sig=b"RCmb", totlen=2256, ver=1, type_=0):
    h = bytearray(2256)
    h[0:4] = sig
    struct.pack_into(">IHHHH", h, 4, totlen, ver, 1, type_, 0)
    return bytes(h)


def test_bus_garbage(srvs, st):
    target = srvs[0]
    bus = target.port + 50
    cases = {
        "garbage": b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + os.urandom(3000),
        "bad signature": bus_hdr(sig=b"XXXX"),
        "short totlen": bus_hdr(totlen=100),
        "huge totlen": bus_hdr(totlen=0xFFFFFFF0),
        "wrong version": bus_hdr(ver=7),
        "truncated": bus_hdr(totlen=2256 + 104 * 3)[:2300],
        "unknown type": bus_hdr(type_=99),
    }
    for name, data in cases.items():
        with socket.create_connection(("127.0.0.1", bus), timeout=5) as s:
            try:
                s.sendall(data)
                s.shutdown(socket.SHUT_WR)
                s.settimeout(3)
                s.recv(100)  # closed by the node, or EOF after our shutdown
            except OSError:
                pass
        t.check(H.raw_ping(target.port), "node answers PING after %s on its bus port" % name)
    t.check(target.alive(), "node process alive after garbage")
    t.check(H.wait_for(lambda: info(target.port).get("cluster_state") == "ok", 10), "cluster still ok")
    t.check("bad message length or signature" in target.log_text(), "bad frames are logged")
    t.check("malformed message" in target.log_text(), "malformed messages are logged (link closed)")


def test_minority_master_stops_writes(srvs, st):
    """Two of three masters frozen: the third is in a minority and must
    refuse writes once the node timeout has passed, then recover."""
    lone = st["masters"][2]
    frozen = [srvs[p - BASE - 1] for p in st["masters"][:2]]
    r = srvs[lone - BASE - 1].client()
    key = H.key_in_slot(16000)
    t.eq(r.set(key, "before"), True, "write accepted while the majority is reachable")
    t0 = time.monotonic()
    for s in frozen:
        os.kill(s.pid, signal.SIGSTOP)
    try:
        def refused():
            try:
                r.set(key, "during")
                return False
            except Exception as e:
                return "CLUSTERDOWN" in str(e)
        ok = H.wait_for(refused, T_MS / 1000 + 5)
        took = time.monotonic() - t0
        print("  minority master refused writes after %.2f s" % took)
        t.check(ok, "a master cut off from the majority answers CLUSTERDOWN")
        t.check(took >= T_MS / 1000 * 0.9, "not before the node timeout (%.2f s)" % took)
        t.raises(lambda: r.set(key, "refused"), "CLUSTERDOWN", "writes stay refused in the minority")
    finally:
        for s in frozen:
            os.kill(s.pid, signal.SIGCONT)
    t.check(H.wait_for(lambda: all(info(s.port).get("cluster_state") == "ok" for s in srvs), 15),
            "cluster ok again after the majority is back")
    t.check(r.get(key) != b"refused", "a refused write left no trace")


def test_del_node(srvs, st):
    victim_port = st["replicas"][-1]
    vid = st["ids"][victim_port]
    p = H.tool([H.REDIS_CLI, "--cluster", "del-node", "127.0.0.1:%d" % srvs[0].port, vid], timeout=60)
    out = p.stdout.decode(errors="replace")
    t.check("SHUTDOWN" in out or "Sending CLUSTER RESET SOFT" in out, "del-node ran:\n" + out[-800:])
    rest = [s.port for s in srvs if s.port != victim_port]
    t.check(H.wait_for(lambda: all(info(x).get("cluster_known_nodes") == "5" for x in rest if H.raw_ping(x)), 10),
            "the other nodes forgot it")
    # Gossip must not bring it back during the ban (60 s); check a while.
    time.sleep(1.5)
    t.check(all(vid not in cli(x, "cluster", "nodes") for x in rest if H.raw_ping(x)), "still forgotten")
    # The removed node was RESET SOFT: it knows only itself, keeps its ID.
    t.eq(cli(victim_port, "cluster", "myid"), vid, "RESET SOFT keeps the node ID")
    t.eq(info(victim_port).get("cluster_known_nodes"), "1", "RESET SOFT forgets every other node")
    t.eq(cli(victim_port, "cluster", "reset", "hard"), "OK", "RESET HARD")
    t.check(cli(victim_port, "cluster", "myid") != vid, "RESET HARD picks a new node ID")
    i = info(victim_port)
    t.eq((i.get("cluster_current_epoch"), i.get("cluster_my_epoch")), ("0", "0"), "RESET HARD zeroes the epochs")
    other = rest[0]
    t.check(cli(other, "cluster", "forget", cli(other, "cluster", "myid")).startswith("ERR I tried hard"),
            "FORGET myself is refused")
    t.check(cli(other, "cluster", "forget", "f" * 40).startswith("ERR Unknown node"), "FORGET unknown node")


def test_corrupt_nodes_conf(st):
    """A corrupt nodes.conf is refused at start-up, never replaced."""
    import tempfile
    d = tempfile.mkdtemp(prefix="tessera-it-corrupt-")
    bad = "this is not a nodes.conf line\nvars currentEpoch 0 lastVoteEpoch 0\n"
    with open(os.path.join(d, "nodes.conf"), "w") as f:
        f.write(bad)
    srv = H.Server(H.TESSERA, BASE + 20, H.tessera_argv(1, node_args(BASE + 20)), name="corrupt", workdir=d)
    try:
        srv.start(wait=False)
        rc = srv.wait_exit(15)
        t.check(rc is not None and rc != 0, "the server refuses to start (exit %r)" % rc)
        t.check("corrupted cluster config file" in srv.log_text(), "with a clear error:\n" + srv.log_tail(5))
        with open(os.path.join(d, "nodes.conf")) as f:
            t.eq(f.read(), bad, "the file is left as it was")
    finally:
        srv.stop()
        import shutil
        shutil.rmtree(d, ignore_errors=True)


# ---- mixed cluster ---------------------------------------------------------

def test_mixed(st):
    rports = [BASE + 11, BASE + 12, BASE + 13]
    tport = BASE + 14
    reds = []
    tess = None
    try:
        for p in rports:
            reds.append(H.redis_server(p, ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                                           "--cluster-port", str(p + 50), "--cluster-node-timeout", str(T_MS)]))
        tess = start_tessera(tport, extra=["--cluster-announce-hostname", "tessera.test"])
        ranges = [(0, 5460), (5461, 10922), (10923, 16383)]
        for p, (a, b) in zip(rports, ranges):
            cli(p, "cluster", "addslotsrange", a, b)
        for p in rports[1:]:
            cli(rports[0], "cluster", "meet", "127.0.0.1", p, p + 50)
        t.eq(cli(tport, "cluster", "meet", "127.0.0.1", rports[0], rports[0] + 50), "OK", "Tessera MEETs redis")
        allp = rports + [tport]
        t.check(H.wait_for(lambda: all(len([n for n in nodes(p) if "handshake" not in n["flags"]]) == 4
                                     for p in allp), 15), "all 4 nodes know each other")
        tid = cli(tport, "cluster", "myid")
        # Move 16000-16383 to Tessera the way redis-cli reshards: IMPORTING on
        # the new owner, MIGRATING on the old, then NODE on the new owner (its
        # configEpoch is bumped so its claim wins), the old one, the rest.
        sid = cli(rports[2], "cluster", "myid")
        steps = [(tport, "importing %s" % sid), (rports[2], "migrating %s" % tid)]
        steps += [(p, "node %s" % tid) for p in (tport, rports[2], rports[0], rports[1])]
        for p, action in steps:
            lines = ["cluster setslot %d %s" % (s, action) for s in range(16000, 16384)]
            out = H.tool([H.REDIS_CLI, "-p", str(p)], timeout=30, input=("\n".join(lines) + "\n").encode())
            t.check(out.stdout.count(b"OK") == 384, "SETSLOT %s on %d: %r" % (action.split()[0], p, out.stdout[-200:]))
        t.check(H.wait_for(lambda: all(signature(p) == signature(tport) for p in allp), 15),
                "CLUSTER NODES agree on all 4 nodes")
        line = [l for l in cli(rports[0], "cluster", "nodes").splitlines() if l.startswith(tid)]
        t.check(line and (",tessera.test " in line[0]), "redis shows Tessera's announced hostname: %r" % line)
        mine = [n for n in nodes(rports[0]) if n["id"] == tid]
        t.check(mine and mine[0]["slots"] == "16000-16383", "redis sees Tessera owning 16000-16383: %r" % mine)
        t.check(H.wait_for(lambda: all(info(p).get("cluster_state") == "ok" for p in allp), 15), "mixed cluster ok")
        from redis.cluster import RedisCluster
        rc = RedisCluster(host="127.0.0.1", port=rports[0], socket_timeout=10)
        for i in range(600):
            rc.set("m:%d" % i, i)
        t.check(all(int(rc.get("m:%d" % i)) == i for i in range(600)), "RedisCluster over the mixed cluster")
        rc.close()
        t.check(tess.client().dbsize() > 0, "Tessera holds keys of its slots")
        # Kill Tessera: the redis nodes mark it FAIL.
        t0 = time.monotonic()
        tess.proc.kill()
        tess.wait_exit(10)
        ok = H.wait_for(lambda: all(node_flagged(p, tid, "fail") for p in rports), T_MS / 1000 + 6, step=0.05)
        took = time.monotonic() - t0
        print("  redis nodes marked the killed Tessera node FAIL after %.2f s" % took)
        # Here the failure reports come from redis-server's own timers (they
        # gossip PFAIL only on their periodic pings), so allow one more second
        # than between Tessera nodes; typical is node-timeout + 0.7-1.3 s.
        t.check(ok and took <= T_MS / 1000 + 3, "redis marks Tessera FAIL in time (%.2f s)" % took)
        tess.start()
        t.check(H.wait_for(lambda: all(not node_flagged(p, tid, "fail") for p in rports), 4 * T_MS / 1000 + 10),
                "Tessera rejoins and its FAIL is cleared")
        # Kill a redis node: Tessera marks it FAIL.
        rid = cli(rports[1], "cluster", "myid")
        t0 = time.monotonic()
        reds[1].proc.kill()
        reds[1].wait_exit(10)
        ok = H.wait_for(lambda: node_flagged(tport, rid, "fail"), T_MS / 1000 + 6, step=0.05)
        took = time.monotonic() - t0
        print("  Tessera marked the killed redis node FAIL after %.2f s" % took)
        t.check(ok and took <= T_MS / 1000 + 3, "Tessera marks redis FAIL in time (%.2f s)" % took)
    finally:
        for s in reds + ([tess] if tess else []):
            s.cleanup()
    if tess:
        t.server_checks(tess)


def main():
    if not os.path.exists(H.REDIS_CLI):
        print("SKIP: redis-cli missing")
        sys.exit(H.SKIP_RC)
    if H.is_dry_run():
        print("SKIP: needs the Tessera binary (uses Tessera-only arguments)")
        sys.exit(H.SKIP_RC)
    srvs = []
    st = {}
    try:
        for i in range(6):
            srvs.append(start_tessera(BASE + 1 + i))
        t.run(test_create, srvs, st)
        if "ids" in st:
            t.run(test_clients, srvs, st)
            t.run(test_loadgen_cluster, srvs, st)
            t.run(test_publish_over_bus, srvs, st)
            t.run(test_ask_during_reshard, srvs, st)
            t.run(test_info_links, srvs, st)
            t.run(test_pause_not_failed, srvs, st)
            t.run(test_kill_detect_and_rejoin, srvs, st)
            t.run(test_bus_garbage, srvs, st)
            t.run(test_minority_master_stops_writes, srvs, st)
            t.run(test_del_node, srvs, st)
    finally:
        for s in srvs:
            s.cleanup()
    t.server_checks(*srvs)
    t.run(test_corrupt_nodes_conf, st)
    t.run(test_mixed, st)
    t.finish()


if __name__ == "__main__":
    main()
