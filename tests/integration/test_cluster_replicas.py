#!/usr/bin/env python3
"""A Tessera cluster with replicas, as clients see it (issue 11):
`redis-cli --cluster create --cluster-replicas 1` of 6 Tessera nodes gives
3 masters each with a live replica (master_link_status:up, offsets equal at
rest), CLUSTER SLOTS and CLUSTER SHARDS list the replicas, READONLY reads
are served by a replica, and real cluster clients read from replicas:
redis-py RedisCluster(read_from_replicas=True) and ioredis Cluster with
scaleReads "slave" (installed with npm into the build tree when missing).

Ports 25100-25199 (client ports 25100-25105, cluster ports +50)."""

import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
import redis  # noqa: E402

T_MS = 2000
BASE = H.port(25100)
PORTS = [BASE + i for i in range(6)]
t = H.Runner("test_cluster_replicas")


def node_args(port):
    return ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-port", str(port + 50),
            "--cluster-node-timeout", str(T_MS), "--repl-diskless-sync-delay", "0"]


def rinfo(port):
    return redis.Redis(port=port).info("replication")


def test_create_and_links(srvs):
    p = H.tool([H.REDIS_CLI, "--cluster", "create"] + ["127.0.0.1:%d" % x for x in PORTS]
               + ["--cluster-replicas", "1", "--cluster-yes"], timeout=90)
    out = p.stdout.decode(errors="replace")
    t.check("[OK] All 16384 slots covered." in out, "create: all slots covered")
    t.check(H.wait_for(lambda: all("cluster_state:ok" in redis.Redis(port=x).execute_command("CLUSTER", "INFO").decode()
                                   for x in PORTS), 30), "cluster_state ok")
    def links():
        infos = [rinfo(x) for x in PORTS]
        masters = [i for i in infos if i["role"] == "master"]
        reps = [i for i in infos if i["role"] == "slave" and i.get("master_link_status") == "up"]
        return len(masters) == 3 and len(reps) == 3 and all(m["connected_slaves"] == 1 for m in masters)
    t.check(H.wait_for(links, 30), "3 masters with one replica each, every link up")
    rc = redis.RedisCluster(host="127.0.0.1", port=PORTS[0])
    for i in range(600):
        rc.set("k%d" % i, i)
    rc.close()
    for m in [x for x in PORTS if rinfo(x)["role"] == "master"]:
        t.eq(redis.Redis(port=m).execute_command("WAIT", 1, 5000), 1, "WAIT 1 on master %d" % m)
    def offsets_equal():
        for x in PORTS:
            i = rinfo(x)
            if i["role"] != "slave":
                continue
            mi = rinfo(i["master_port"])
            if mi["master_repl_offset"] != i["slave_repl_offset"] or mi["slave0"]["offset"] != i["slave_repl_offset"]:
                return False
        return True
    t.check(H.wait_for(offsets_equal, 15), "offsets equal at rest (master, replica, master's view of its ACK)")
    p = H.tool([H.REDIS_CLI, "--cluster", "check", "127.0.0.1:%d" % PORTS[0]], timeout=30)
    out = p.stdout.decode(errors="replace")
    t.check("[OK] All nodes agree about slots configuration." in out and p.returncode == 0,
            "redis-cli --cluster check passes:\n" + out[-800:])
    t.check(out.count("1 additional replica(s)") == 3, "check: each master has 1 additional replica")


def test_slots_and_shards(srvs):
    def slots_with_replicas():
        for x in PORTS:
            ranges = redis.Redis(port=x).execute_command("CLUSTER", "SLOTS")
            if sum(r[1] - r[0] + 1 for r in ranges) != 16384 or any(len(r) != 4 for r in ranges):
                return False
        return True
    t.check(H.wait_for(slots_with_replicas, 15), "CLUSTER SLOTS on every node: each range with its master and replica")
    shards = redis.Redis(port=PORTS[0]).execute_command("CLUSTER", "SHARDS")
    t.eq(len(shards), 3, "CLUSTER SHARDS: 3 shards")
    for sh in shards:
        d = dict(zip(sh[::2], sh[1::2]))
        nodes = [dict(zip(n[::2], n[1::2])) for n in d[b"nodes"]]
        roles = sorted(n[b"role"] for n in nodes)
        t.eq(roles, [b"master", b"replica"], "a shard: a master and a replica")
        t.check(all(n[b"health"] == b"online" for n in nodes), "shard nodes online: %r" % nodes)


def test_readonly_reads(srvs):
    rc = redis.RedisCluster(host="127.0.0.1", port=PORTS[0])
    for i in range(500):
        rc.set("ro:%d" % i, i)
    masters = [x for x in PORTS if rinfo(x)["role"] == "master"]
    for m in masters:
        redis.Redis(port=m).execute_command("WAIT", 1, 5000)
    rep = next(x for x in PORTS if rinfo(x)["role"] == "slave")
    key = next("ro:%d" % i for i in range(500) if slot_owned_by(rep, "ro:%d" % i))
    conn = H.RawConn(rep)
    r = conn.cmd("GET", key)
    t.check(r.startswith(b"-MOVED"), "a replica answers -MOVED without READONLY: %r" % r)
    t.eq(conn.cmd("READONLY"), b"+OK\r\n", "READONLY")
    want = key.split(":")[1].encode()
    t.eq(conn.cmd("GET", key), b"$%d\r\n%s\r\n" % (len(want), want), "after READONLY the replica serves the read")
    r = conn.cmd("SET", key, "x")
    t.check(r.startswith(b"-MOVED"), "writes still go to the master: %r" % r)
    conn.close()
    rc.close()


def slot_owned_by(replica_port, key):
    """Is key's slot served by replica_port's master?"""
    r = redis.Redis(port=replica_port)
    slot = r.execute_command("CLUSTER", "KEYSLOT", key)
    mport = rinfo(replica_port)["master_port"]
    for start, end, master, *rest in r.execute_command("CLUSTER", "SLOTS"):
        if start <= slot <= end:
            return int(master[1]) == mport
    return False


def replica_gets():
    n = 0
    for x in PORTS:
        if rinfo(x)["role"] == "slave":
            n += redis.Redis(port=x).info("commandstats").get("cmdstat_get", {}).get("calls", 0)
    return n


def test_redis_py_read_from_replicas(srvs):
    before = replica_gets()
    rc = redis.RedisCluster(host="127.0.0.1", port=PORTS[0], read_from_replicas=True)
    for i in range(300):
        rc.set("py:%d" % i, i)
    for m in [x for x in PORTS if rinfo(x)["role"] == "master"]:
        redis.Redis(port=m).execute_command("WAIT", 1, 5000)
    bad = sum(rc.get("py:%d" % i) != str(i).encode() for i in range(300))
    t.eq(bad, 0, "redis-py RedisCluster(read_from_replicas=True) reads every key back")
    t.check(replica_gets() - before > 50, "replicas served reads (GET calls on replicas: +%d)" % (replica_gets() - before))
    rc.close()


IOREDIS_SCRIPT = r"""
const Redis = require('ioredis');
const port = parseInt(process.argv[2]);
const c = new Redis.Cluster([{host: '127.0.0.1', port}], {scaleReads: 'slave'});
(async () => {
  let bad = 0;
  for (let i = 0; i < 300; i++) await c.set('io:' + i, String(i));
  for (const m of c.nodes('master')) await m.call('WAIT', '1', '5000');
  for (let i = 0; i < 300; i++) if ((await c.get('io:' + i)) !== String(i)) bad++;
  console.log(JSON.stringify({bad}));
  c.disconnect();
})().catch(e => { console.log(JSON.stringify({error: String(e)})); process.exit(1); });
"""


def ioredis_dir():
    """ioredis under the build tree (npm install once), or None."""
    build = os.environ.get("TESSERA_NODE_DIR") or os.path.join(os.path.dirname(H.TESSERA), "node-ioredis")
    if os.path.exists(os.path.join(build, "node_modules", "ioredis")):
        return build
    npm = shutil.which("npm")
    if not npm or not shutil.which("node"):
        return None
    os.makedirs(build, exist_ok=True)
    p = subprocess.run([npm, "install", "--prefix", build, "--no-audit", "--no-fund", "ioredis@5"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=240)
    if p.returncode != 0:
        print(p.stdout.decode(errors="replace")[-2000:])
        return None
    return build


def test_ioredis_scale_reads_slave(srvs):
    d = ioredis_dir()
    if d is None:
        raise H.Skip("node/npm or the ioredis package is not available (apt-get install -y nodejs npm)")
    script = os.path.join(d, "scale_reads.js")
    with open(script, "w") as f:
        f.write(IOREDIS_SCRIPT)
    before = replica_gets()
    p = subprocess.run(["node", script, str(PORTS[0])], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60,
                       cwd=d, env=dict(os.environ, NODE_PATH=os.path.join(d, "node_modules")))
    out = p.stdout.decode(errors="replace").strip().splitlines()
    res = json.loads(out[-1]) if out and out[-1].startswith("{") else {"error": "\n".join(out[-10:])}
    t.eq(res.get("bad"), 0, "ioredis Cluster scaleReads 'slave': every key read back (%r)" % res)
    t.check(replica_gets() - before > 50, "ioredis read from the replicas (+%d GETs)" % (replica_gets() - before))


def main():
    srvs = []
    try:
        for p in PORTS:
            srvs.append(H.Server(H.TESSERA, p, H.tessera_argv(1, node_args(p)), name="tessera:%d" % p).start())
        for fn in (test_create_and_links, test_slots_and_shards, test_readonly_reads, test_redis_py_read_from_replicas,
                   test_ioredis_scale_reads_slave):
            t.run(fn, srvs)
    finally:
        for s in srvs:
            s.stop()
    t.server_checks(*srvs)
    t.finish()


if __name__ == "__main__":
    main()
