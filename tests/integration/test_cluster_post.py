#!/usr/bin/python3
"""test_cluster_post.py: CLUSTER admin commands run on the cluster thread.

State-changing CLUSTER subcommands are posted from the worker to the
cluster thread and answered later (cluster/cluster_post.c). This file checks
what a client must still see:
  * order: ADDSLOTS then a command on that slot, pipelined on one
    connection, finds the slot owned; DELSLOTS then the same command finds
    it unassigned -- from several clients at once, each on its own slots,
    with SETSLOT and GETs interleaved;
  * the reply to ADDSLOTS comes after nodes.conf holds the change;
  * errors found on the worker (syntax) and on the cluster thread (busy
    slot) keep Redis's texts and their place in a pipeline;
  * a worker is not held up by the cluster thread's fsyncs: GET latency on
    a one-worker server while other clients hammer CLUSTER SAVECONFIG
    (figures printed; the bound is loose, the figures are for the report).
  * FLUSHSLOTS, RESET, REPLICATE, SETSLOT (key counts first), FORGET,
    LINKS answer as Debian's redis-server 7.0 does.
Ports: 23100 (client), 23150 (cluster bus); redis-server 23120, bus
23170; a second Tessera 23130, bus 23180.
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
from redis.crc import key_slot  # noqa: E402

PORT = H.port(23100)
BUS = PORT + 50
CONF = "nodes-%d.conf" % PORT
ARGS = ["--cluster-enabled", "yes", "--cluster-config-file", CONF, "--cluster-port", str(BUS),
        "--cluster-node-timeout", "5000", "--cluster-require-full-coverage", "no"]
t = H.Runner("test_cluster_post")


def key_for(slot):
    """A key hashing to slot (bounded search over hash tags)."""
    for i in range(200000):
        k = "{t%d}" % i
        if key_slot(k.encode()) == slot:
            return k
    raise RuntimeError("no key found for slot %d" % slot)


def run_pipe(r, cmds):
    """Send cmds as one pipeline; return replies or exceptions, in order."""
    p = r.pipeline(transaction=False)
    for c in cmds:
        p.execute_command(*c)
    return p.execute(raise_on_error=False)


def err_text(x):
    return str(x) if isinstance(x, Exception) else x


def client_round(srv, slots, keys, rounds, out, idx):
    """One client: per round, per slot: ADDSLOTS, SET, GET, SETSLOT STABLE,
    DELSLOTS, GET (unassigned), ADDSLOTS again, GET; all pipelined."""
    r = srv.client()
    myid = r.execute_command("CLUSTER", "MYID").decode()
    errors = []
    try:
        for n in range(rounds):
            cmds, want = [], []
            for s, k in zip(slots, keys):
                v = "v%d-%d" % (idx, n)
                cmds += [("CLUSTER", "ADDSLOTS", s), ("SET", k, v), ("GET", k),
                         ("CLUSTER", "SETSLOT", s, "NODE", myid), ("CLUSTER", "SETSLOT", s, "STABLE"),
                         ("CLUSTER", "DELSLOTS", s), ("GET", k), ("CLUSTER", "ADDSLOTS", s), ("GET", k),
                         ("CLUSTER", "ADDSLOTS", s), ("CLUSTER", "DELSLOTS", s)]
                want += [b"OK", True, v.encode(), b"OK", b"OK", b"OK",
                         "CLUSTERDOWN Hash slot not served", b"OK", v.encode(),
                         "Slot %d is already busy" % s, b"OK"]
            got = [err_text(x) for x in run_pipe(r, cmds)]
            if got != want:
                errors.append((n, [(i, g, w) for i, (g, w) in enumerate(zip(got, want)) if g != w][:3]))
                if len(errors) >= 2:
                    break
    except Exception as e:  # noqa: BLE001 -- reported as a failure below
        errors.append(("exception", repr(e)))
    finally:
        r.close()
    out[idx] = errors


def wait_ok(r):
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and b"cluster_state:ok" not in r.execute_command("CLUSTER", "INFO"):
        time.sleep(0.1)


def test_concurrent_order(srv):
    r = srv.client()
    r.execute_command("CLUSTER", "ADDSLOTS", 16000)  # the state turns ok once I serve a slot
    wait_ok(r)
    r.close()
    nclients, per, rounds = 6, 3, 15
    slots = [[1000 + c * 50 + j for j in range(per)] for c in range(nclients)]
    keys = [[key_for(s) for s in ss] for ss in slots]
    out = [None] * nclients
    th = [threading.Thread(target=client_round, args=(srv, slots[c], keys[c], rounds, out, c))
          for c in range(nclients)]
    t0 = time.monotonic()
    for x in th:
        x.start()
    for x in th:
        x.join(120)
    dt = time.monotonic() - t0
    ncmds = nclients * rounds * per * 11
    print("  %d commands from %d clients in %.2f s (%.0f/s)" % (ncmds, nclients, dt, ncmds / dt))
    for c in range(nclients):
        t.eq(out[c], [], "client %d replies in order" % c)
    r = srv.client()
    t.eq(r.execute_command("CLUSTER", "COUNTKEYSINSLOT", 1000), 1, "keys survive DELSLOTS/ADDSLOTS")
    r.close()


def test_reply_after_save(srv):
    r = srv.client()
    myid = r.execute_command("CLUSTER", "MYID").decode()
    path = os.path.join(srv.dir, CONF)
    for s in (5000, 5001, 5002):
        t.eq(r.execute_command("CLUSTER", "ADDSLOTS", s), b"OK", "ADDSLOTS %d" % s)
        line = [l for l in open(path).read().splitlines() if l.startswith(myid)][0]
        t.check(str(s) in line.split()[8:] or any(
            "-" in f and int(f.split("-")[0]) <= s <= int(f.split("-")[1]) for f in line.split()[8:]),
            "nodes.conf has slot %d when +OK arrives: %r" % (s, line))
    t.eq(r.execute_command("CLUSTER", "DELSLOTSRANGE", 5000, 5002), b"OK", "DELSLOTSRANGE")
    line = [l for l in open(path).read().splitlines() if l.startswith(myid)][0]
    t.check("5000" not in line and "5002" not in line, "nodes.conf without the slots: %r" % line)
    r.close()


def test_errors_in_pipeline(srv):
    r = srv.client()
    got = [err_text(x) for x in run_pipe(r, [
        ("CLUSTER", "ADDSLOTS", 6000), ("CLUSTER", "ADDSLOTS", "x"), ("CLUSTER", "ADDSLOTS", 6000),
        ("CLUSTER", "ADDSLOTSRANGE", 6002, 6001), ("CLUSTER", "SETSLOT", 6000, "BOGUS"),
        ("CLUSTER", "SETSLOT", 6000, "NODE", "f" * 40), ("CLUSTER", "SET-CONFIG-EPOCH", -1),
        ("CLUSTER", "FORGET", "a" * 40), ("CLUSTER", "SAVECONFIG"), ("CLUSTER", "DELSLOTS", 6000),
        ("CLUSTER", "DELSLOTS", 6000), ("PING",)])]
    t.eq(got, [b"OK", "Invalid or out of range slot", "Slot 6000 is already busy",
               "start slot number 6002 is greater than end slot number 6001",
               "Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP",
               "Unknown node " + "f" * 40, "Invalid config epoch specified: -1",
               "Unknown node " + "a" * 40, b"OK", b"OK", "Slot 6000 is already unassigned", True],
         "pipelined admin errors in order")
    r.close()


def test_in_multi(srv):
    """Inside MULTI/EXEC the command runs inline (its reply cannot wait)."""
    r = srv.client()
    p = r.pipeline(transaction=True)
    p.execute_command("CLUSTER", "ADDSLOTS", 7000)
    p.execute_command("CLUSTER", "KEYSLOT", "x")
    p.execute_command("CLUSTER", "ADDSLOTS", 7000)
    p.execute_command("CLUSTER", "DELSLOTS", 7000)
    got = [err_text(x) for x in p.execute(raise_on_error=False)]
    t.eq(got, [b"OK", key_slot(b"x"), "Slot 7000 is already busy", b"OK"], "CLUSTER ADDSLOTS/DELSLOTS inside MULTI")
    t.eq(r.execute_command("PING"), True, "connection usable after EXEC")
    r.close()


def key_ops_script(myid):
    """Commands whose checks need key counts from the workers (a fan-out
    before the post), and the other posted ones, on a node holding keys."""
    other = "b" * 40
    return [("SET", key_for(9000), "1"),
            ("CLUSTER", "FLUSHSLOTS"), ("CLUSTER", "RESET", "SOFT"), ("CLUSTER", "RESET", "bogus"),
            ("CLUSTER", "REPLICATE", other), ("CLUSTER", "REPLICATE", "short"), ("CLUSTER", "REPLICATE", myid),
            ("CLUSTER", "SETSLOT", 9000, "NODE", myid), ("CLUSTER", "SETSLOT", 9000, "MIGRATING", other),
            ("CLUSTER", "FORGET", myid), ("CLUSTER", "LINKS"), ("CLUSTER", "COUNTKEYSINSLOT", 9000),
            ("DEL", key_for(9000)), ("CLUSTER", "DELSLOTS", 9000), ("CLUSTER", "FLUSHSLOTS")]


def run_key_ops(srv):
    r = srv.client()
    myid = r.execute_command("CLUSTER", "MYID").decode()
    r.execute_command("CLUSTER", "ADDSLOTS", 9000)
    wait_ok(r)
    got = [err_text(x) for x in run_pipe(r, key_ops_script(myid))]
    r.close()
    return [g.replace(myid, "<myid>") if isinstance(g, str) else g for g in got]


def test_key_ops_vs_redis():
    """The same pipeline on a fresh Tessera and a fresh redis-server 7.0
    (Debian's), both cluster nodes with one slot and one key: same replies."""
    if H.is_dry_run() or not os.path.exists(H.REDIS):
        raise H.Skip("needs Tessera and redis-server")
    cl = lambda conf, bus: ["--cluster-enabled", "yes", "--cluster-config-file", conf,  # noqa: E731
                            "--cluster-port", str(bus), "--cluster-require-full-coverage", "no"]
    red = H.redis_server(H.port(23120), extra=cl("nodes-r.conf", H.port(23170)))
    try:
        want = run_key_ops(red)
    finally:
        red.stop()
    tes = H.tessera(H.port(23130), threads=2, extra=cl("nodes-t.conf", H.port(23180)))
    try:
        got = run_key_ops(tes)
    finally:
        tes.stop()
    t.eq(got, want, "FLUSHSLOTS/RESET/REPLICATE/SETSLOT/FORGET/LINKS replies as redis-server's")
    t.server_checks(tes)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))]


def get_latencies(r, key, seconds):
    lat, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline and len(lat) < 200000:
        t0 = time.perf_counter()
        v = r.get(key)
        lat.append(time.perf_counter() - t0)
        if v != b"x":
            raise RuntimeError("GET returned %r" % (v,))
    return lat


def hammer_saveconfig(srv, stop, counts, idx):
    r = srv.client()
    n, bad = 0, 0
    try:
        while not stop.is_set() and n < 1000000:
            if r.execute_command("CLUSTER", "SAVECONFIG") != b"OK":
                bad += 1
            n += 1
    finally:
        r.close()
    counts[idx] = (n, bad)


def test_get_latency_during_saveconfig(srv1):
    r = srv1.client()
    r.execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 16383)
    wait_ok(r)
    key = key_for(7)
    r.set(key, "x")
    base = get_latencies(r, key, 2.0)
    stop, counts = threading.Event(), [None] * 3
    th = [threading.Thread(target=hammer_saveconfig, args=(srv1, stop, counts, i)) for i in range(3)]
    for x in th:
        x.start()
    time.sleep(0.2)
    busy = get_latencies(r, key, 3.0)
    stop.set()
    for x in th:
        x.join(30)
    saves = sum(c[0] for c in counts if c)
    bad = sum(c[1] for c in counts if c)
    ms = lambda v: v * 1000.0  # noqa: E731
    print("  GET alone:            n=%d p50=%.3f ms p99=%.3f ms max=%.3f ms"
          % (len(base), ms(pct(base, .5)), ms(pct(base, .99)), ms(max(base))))
    print("  GET with SAVECONFIGs: n=%d p50=%.3f ms p99=%.3f ms max=%.3f ms; %d SAVECONFIG in 3.2 s (%.1f ms each)"
          % (len(busy), ms(pct(busy, .5)), ms(pct(busy, .99)), ms(max(busy)), saves,
             3200.0 / max(saves, 1) * 3))
    t.eq(bad, 0, "every SAVECONFIG answered +OK")
    t.check(saves > 0, "SAVECONFIGs ran")
    t.check(pct(busy, .5) < 0.005, "GET p50 stays under 5 ms while SAVECONFIG is hammered (%.3f ms)"
            % ms(pct(busy, .5)))
    r.close()


def main():
    srv = H.tessera(PORT, threads=2, extra=ARGS)
    srv1 = None
    try:
        t.run(test_concurrent_order, srv)
        t.run(test_reply_after_save, srv)
        t.run(test_errors_in_pipeline, srv)
        t.run(test_in_multi, srv)
        t.run(test_key_ops_vs_redis)
        srv.stop()
        # One worker: the GET client and the SAVECONFIG clients share it.
        srv1 = H.tessera(PORT, threads=1, extra=ARGS)
        t.run(test_get_latency_during_saveconfig, srv1)
    finally:
        srv.stop()
        if srv1:
            srv1.stop()
    t.server_checks(*[s for s in (srv, srv1) if s])
    t.finish()


if __name__ == "__main__":
    H.run_main(t, main)
