#!/usr/bin/python3
"""test_loadgen.py: bench/loadgen against real servers.

  * redis-server standalone: -n with --json: totals, per-command counts and
    zero errors in the JSON; every INCR applied exactly once (sum of the
    counters == -n); values of the -d size written.
  * Tessera standalone (2 workers): the same, plus --duration with the
    progress line, and an open-loop --rate run.
  * exit codes: 1 when nothing listens, 2 past --max-errors (with the
    errors counted by kind in the JSON).
  * a server killed (SIGKILL) and restarted mid-run: conn-errors counted,
    reconnects > 0, the run goes on.
  * --cluster against a 3-master redis-server cluster (redis-cli --cluster
    create): zero errors, every key written once and on its owner, keys on
    all 3 nodes; then 200 slots resharded while loadgen runs: MOVED/ASK
    followed, still zero errors.
  * --cluster against one Tessera node in cluster mode (all slots).
Ports: 21700-21702 (cluster, bus 21750-21752), 21710-21711 (Tessera,
bus 21761), 21720-21721 (redis-server standalone), 21799 (nothing).
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

t = H.Runner("test_loadgen")
LOADGEN = os.environ.get("LOADGEN") or os.path.join(os.path.dirname(os.path.abspath(H.TESSERA)), "loadgen")
CLUSTER_PORTS = [H.port(21700 + i) for i in range(3)]
TESS_PORT = H.port(21710)
TESS_CLUSTER_PORT = H.port(21711)
REDIS_PORT = H.port(21720)
REDIS_KILL_PORT = H.port(21721)
DEAD_PORT = H.port(21799)
TMP = tempfile.mkdtemp(prefix="tessera-loadgen-")


def loadgen(args, timeout=60, check_rc=0, label="loadgen"):
    """Run loadgen with --json; return (json dict or None, stdout, stderr, rc)."""
    path = os.path.join(TMP, "out-%d.json" % int(time.monotonic() * 1e6))
    p = H.tool([LOADGEN, "-h", "127.0.0.1", "--json", path] + [str(a) for a in args], timeout=timeout)
    out = p.stdout.decode("utf-8", "replace")
    err = p.stderr.decode("utf-8", "replace")
    if check_rc is not None:
        t.eq(p.returncode, check_rc, "%s exit code (stderr: %s; stdout: %s)" % (label, err[-400:], out[-400:]))
    data = None
    if os.path.exists(path):
        with open(path) as f:
            data = json.load(f)
        os.remove(path)
    return data, out, err, p.returncode


def check_clean(j, n, label):
    """JSON of a healthy -n run: all n answered, no errors of any kind."""
    if not t.check(j is not None, "%s: JSON written" % label):
        return
    t.eq(j["requests"], n, "%s: requests answered" % label)
    t.eq(j["issued"], n, "%s: requests issued" % label)
    t.eq(j["errors"]["total"], 0, "%s: errors (%s)" % (label, j["errors"]))
    t.eq(j["lost"] + j["timeouts"] + j["reconnects"], 0, "%s: lost/timeouts/reconnects" % label)
    t.eq(sum(c["requests"] for c in j["commands"]), n, "%s: per-command counts add up" % label)
    lat = j["latency_us"]
    t.check(0 < lat["min"] <= lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["p99.9"] <= lat["max"],
            "%s: latency percentiles ordered: %s" % (label, lat))
    t.check(j["ops_per_sec"] > 0 and j["elapsed_s"] > 0, "%s: a rate" % label)


def incr_exactly_once(srv, label, extra=()):
    """INCR over 100 counters, n = 20000: the counters sum to n."""
    r = srv.client()
    r.flushall()
    n = 20000
    j, _, _, _ = loadgen(["-p", srv.port, "-n", n, "-c", 10, "-P", 16, "-r", 100, "-t", "incr", "-q"] + list(extra),
                         label=label)
    check_clean(j, n, label)
    keys = r.keys("counter:*")
    total = sum(int(r.get(k)) for k in keys)
    t.eq(total, n, "%s: sum of the INCR counters == -n" % label)
    t.check(0 < len(keys) <= 100, "%s: at most -r counters (%d)" % (label, len(keys)))
    r.close()


def standalone_basics(srv, label):
    r = srv.client()
    r.flushall()
    n = 50000
    j, out, err, _ = loadgen(["-p", srv.port, "-n", n, "-c", 20, "-P", 8, "--ratio", "1:1", "-d", 32, "-r", 5000,
                              "--threads", 2], label=label)
    check_clean(j, n, label)
    if j:
        names = sorted(c["name"] for c in j["commands"])
        t.eq(names, ["GET", "SET"], "%s: commands in the JSON" % label)
        sets = [c for c in j["commands"] if c["name"] == "SET"][0]["requests"]
        t.eq(sets, n // 2, "%s: ratio 1:1 gives exactly n/2 SETs" % label)
        t.eq(j["config"]["threads"], 2, "%s: threads in the config" % label)
    t.check("requests" in out and "errors     0" in out, "%s: summary printed: %r" % (label, out[-300:]))
    size = r.dbsize()
    t.check(0 < size <= 5000, "%s: keys within -r (DBSIZE %d)" % (label, size))
    k = r.randomkey()
    t.check(k is not None and re.fullmatch(rb"key:\d{12}", k), "%s: key format key:%%012d (%r)" % (label, k))
    t.eq(len(r.get(k)), 32, "%s: -d 32 values" % label)
    r.close()


def test_redis_standalone(red):
    standalone_basics(red, "redis")
    incr_exactly_once(red, "redis INCR")


def test_tessera_standalone(tess):
    standalone_basics(tess, "tessera")
    incr_exactly_once(tess, "tessera INCR")
    # --duration: progress lines each second, a value-size range, zipf keys.
    j, out, err, _ = loadgen(["-p", tess.port, "--duration", 2.2, "-c", 10, "-P", 4, "-d", "10-200",
                              "--distribution", "zipf:0.9", "-t", "get,set"], label="tessera --duration")
    lines = [l for l in err.splitlines() if re.match(r"\[\s*\d+\.\ds\]\s+[\d,]+ ops/s\s+p50 [\d.]+ ms\s+p99 [\d.]+ ms\s+"
                                                      r"errors 0", l)]
    t.check(len(lines) >= 2, "two progress lines in 2.2 s: %r" % err[-400:])
    if t.check(j is not None, "duration JSON"):
        t.eq(j["errors"]["total"], 0, "duration run: no errors")
        t.check(2.0 <= j["elapsed_s"] <= 3.5, "elapsed about the duration: %.2f" % j["elapsed_s"])
        t.eq(j["timeouts"], 0, "duration run: everything answered in the drain")
    # Open loop: 2000 req/s for 1.5 s is about 3000 requests.
    j, _, _, _ = loadgen(["-p", tess.port, "--duration", 1.5, "--rate", 2000, "-c", 4, "-t", "get"],
                         label="tessera --rate")
    if t.check(j is not None, "rate JSON"):
        t.check(2700 <= j["requests"] <= 3300, "open loop at 2000/s for 1.5 s: %d requests" % j["requests"])
        t.eq(j["errors"]["total"], 0, "open loop: no errors")


def test_exit_codes(red):
    _, _, err, rc = loadgen(["-p", DEAD_PORT, "-n", 10, "-q"], check_rc=1, label="nothing listening")
    t.check("connection failed" in err, "connection failure reported: %r" % err[-200:])
    _, _, err, rc = loadgen(["-p", DEAD_PORT, "--cluster", "-n", 10, "-q"], check_rc=1, label="cluster, nothing")
    t.check("discovery failed" in err, "cluster discovery failure reported: %r" % err[-200:])
    _, _, err, rc = loadgen(["-p", red.port, "--cluster", "-n", 10, "-q"], check_rc=1, label="--cluster vs standalone")
    t.check("cluster support disabled" in err, "the server's error is shown: %r" % err[-200:])
    _, _, err, _ = loadgen(["-p", red.port, "--bogus"], check_rc=1, label="unknown flag")
    # INCR on keys that hold 'xxx': ERR replies, counted by kind; past --max-errors: exit 2.
    r = red.client()
    r.flushall()
    r.set("key:000000000000", "xxx")
    j, _, err, _ = loadgen(["-p", red.port, "-n", 200, "-c", 1, "-r", 1, "--command", "INCR __key__",
                            "--max-errors", 10, "-q"], check_rc=2, label="past --max-errors")
    if t.check(j is not None, "JSON written even when failing"):
        t.check(j["errors"]["by_kind"].get("ERR", 0) > 10, "ERR counted by kind: %s" % j["errors"])
        t.check("not an integer" in j["errors"]["samples"].get("ERR", ""), "first message kept")
    j, _, _, _ = loadgen(["-p", red.port, "-n", 200, "-c", 1, "-r", 1, "--command", "INCR __key__", "-q"],
                         check_rc=0, label="errors without --max-errors")
    if j:
        t.eq(j["errors"]["by_kind"].get("ERR"), 200, "all 200 counted")
    r.close()


def test_reconnect_after_kill():
    srv = H.redis_server(REDIS_KILL_PORT)
    try:
        path = os.path.join(TMP, "kill.json")
        p = subprocess.Popen([LOADGEN, "-p", str(REDIS_KILL_PORT), "--duration", "3", "-c", "5", "-P", "4", "-q",
                              "--json", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             preexec_fn=H._pdeathsig)
        try:
            time.sleep(0.8)
            srv.proc.kill()  # the node dies
            srv.stop(timeout=5)
            time.sleep(0.4)
            srv.start()
            out, err = p.communicate(timeout=30)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait(5)
        t.eq(p.returncode, 0, "loadgen survives the kill (stderr %r)" % err[-300:])
        with open(path) as f:
            j = json.load(f)
        kinds = j["errors"]["by_kind"]
        t.check(kinds.get("conn-error", 0) >= 5, "conn-errors counted: %s" % kinds)
        t.eq(sorted(kinds), ["conn-error"], "no other error kind")
        t.check(j["reconnects"] >= 5, "every connection came back: %d reconnects" % j["reconnects"])
        r = srv.client()
        t.check(r.dbsize() > 0, "requests reached the restarted server")
        r.close()
    finally:
        srv.stop()


def cluster_slots_owner(port):
    """slot -> port of its master, from CLUSTER SLOTS."""
    import redis
    c = redis.Redis(host="127.0.0.1", port=port, socket_timeout=10)
    owner = {}
    for rng in c.execute_command("CLUSTER", "SLOTS"):
        lo, hi, master = rng[0], rng[1], rng[2]
        for s in range(lo, hi + 1):
            owner[s] = master[1]
    c.close()
    return owner


def wait_cluster_ok(ports, timeout=20):
    import redis
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ok = 0
        for p in ports:
            c = redis.Redis(host="127.0.0.1", port=p, socket_timeout=5)
            info = c.execute_command("CLUSTER", "INFO").decode()
            c.close()
            ok += "cluster_state:ok" in info
        if ok == len(ports):
            return True
        time.sleep(0.1)
    return False


def test_redis_cluster(nodes):
    ports = [n.port for n in nodes]
    p = H.tool([H.REDIS_CLI, "--cluster", "create"] + ["127.0.0.1:%d" % x for x in ports] + ["--cluster-yes"],
               timeout=60)
    if not t.eq(p.returncode, 0, "redis-cli --cluster create: %s" % p.stdout.decode()[-300:]):
        return
    t.check(wait_cluster_ok(ports), "cluster_state:ok on all three")
    # Every key written once with SET, sequentially: exactly -r keys, each on its owner.
    keys = 6000
    j, out, err, _ = loadgen(["-p", ports[0], "--cluster", "-n", keys, "-r", keys, "--distribution", "sequential",
                              "--ratio", "1:0", "-c", 8, "-P", 8, "--threads", 2], label="cluster SET")
    check_clean(j, keys, "cluster SET")
    if j:
        t.eq(j["cluster"]["moved"] + j["cluster"]["ask"], 0, "stable cluster: no redirects")
    clients = [n.client() for n in nodes]
    sizes = [c.dbsize() for c in clients]
    t.check(all(s > 0 for s in sizes), "keys on all 3 masters: %s" % sizes)
    t.eq(sum(sizes), keys, "every key once (DBSIZE sum)")
    # The mixed default workload, 2 threads.
    j, _, _, _ = loadgen(["-p", ports[1], "--cluster", "-n", 60000, "-r", keys, "-c", 10, "-P", 16, "--threads", 2,
                          "-q"], label="cluster mix")
    check_clean(j, 60000, "cluster mix")
    # Reshard 200 slots from the first master to the second while loadgen
    # runs: it must follow MOVED (and ASK during the migration) with no errors.
    ids = [c.execute_command("CLUSTER", "MYID").decode() for c in clients]
    path = os.path.join(TMP, "reshard.json")
    lg = subprocess.Popen([LOADGEN, "-p", str(ports[2]), "--cluster", "--duration", "5", "-r", str(keys), "-c", "5",
                           "-P", "4", "--ratio", "1:1", "-q", "--json", path],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=H._pdeathsig)
    try:
        time.sleep(1.0)
        t0 = time.monotonic()
        rs = H.tool([H.REDIS_CLI, "--cluster", "reshard", "127.0.0.1:%d" % ports[0], "--cluster-from", ids[0],
                     "--cluster-to", ids[1], "--cluster-slots", "200", "--cluster-yes"], timeout=60)
        took = time.monotonic() - t0
        t.eq(rs.returncode, 0, "reshard: %s" % rs.stdout.decode()[-300:])
        out, err = lg.communicate(timeout=60)
    finally:
        if lg.poll() is None:
            lg.kill()
            lg.wait(5)
    t.eq(lg.returncode, 0, "loadgen during reshard (stderr %r)" % err.decode()[-300:])
    with open(path) as f:
        j = json.load(f)
    print("    reshard of 200 slots took %.1f s; loadgen: %d requests, cluster %s"
          % (took, j["requests"], j["cluster"]))
    t.eq(j["errors"]["total"], 0, "no errors while slots move: %s" % j["errors"])
    if took < 3.5:
        t.check(j["cluster"]["moved"] > 0, "MOVED followed: %s (reshard %.1f s)" % (j["cluster"], took))
    t.check(j["cluster"]["refreshes"] > 0 or j["cluster"]["moved"] == 0, "map refreshed after MOVED")
    owner = cluster_slots_owner(ports[0])
    t.eq(sum(1 for s in range(0, 200) if owner[s] == ports[1]), 200, "slots 0-199 now on the second master")
    for c in clients:
        c.close()


def test_tessera_cluster_node():
    bus = H.port(21761)
    conf = "nodes-%d.conf" % TESS_CLUSTER_PORT
    srv = H.tessera(TESS_CLUSTER_PORT, threads=2, extra=["--cluster-enabled", "yes", "--cluster-config-file", conf,
                                                         "--cluster-port", str(bus)])
    try:
        r = srv.client()
        r.execute_command("CLUSTER", "ADDSLOTSRANGE", "0", "16383")
        t.check(wait_cluster_ok([srv.port]), "one-node Tessera cluster ok")
        j, _, err, _ = loadgen(["-p", srv.port, "--cluster", "-n", 30000, "-c", 10, "-P", 8, "-q"],
                               label="tessera --cluster")
        check_clean(j, 30000, "tessera --cluster")
        t.check(r.dbsize() > 0, "keys written")
        r.close()
    finally:
        srv.stop()
    t.server_checks(srv)


def main():
    if not os.path.exists(LOADGEN):
        print("SKIP: no loadgen at %s (build the loadgen target, or set LOADGEN)" % LOADGEN)
        sys.exit(H.SKIP_RC)
    red = H.redis_server(REDIS_PORT)
    try:
        t.run(test_redis_standalone, red)
        t.run(test_exit_codes, red)
    finally:
        red.stop()
    t.run(test_reconnect_after_kill)
    if not H.is_dry_run():
        tess = H.tessera(TESS_PORT, threads=2)
        try:
            t.run(test_tessera_standalone, tess)
        finally:
            tess.stop()
        t.server_checks(tess)
        t.run(test_tessera_cluster_node)
    nodes = []
    try:
        for i, p in enumerate(CLUSTER_PORTS):
            nodes.append(H.redis_server(p, extra=["--cluster-enabled", "yes", "--cluster-config-file",
                                                  "nodes-%d.conf" % p, "--cluster-port", str(H.port(21750 + i)),
                                                  "--cluster-node-timeout", "5000"]))
        t.run(test_redis_cluster, nodes)
    finally:
        for n in nodes:
            n.stop()
    for n in nodes:
        n.cleanup()
    red.cleanup()
    try:
        os.rmdir(TMP)
    except OSError:
        pass
    t.finish()


H.run_main(t, main)
