#!/usr/bin/python3
"""test_slot_handoff.py: hash slots move between worker threads with their
keys while clients write (core/slot_move.h, DESIGN.md seam 5).

  * Standalone, 2 workers: 4 connections append unique tokens to keys of 4
    slots and SET per-connection counters, half of their commands in
    pipelines, while another connection moves those slots back and forth
    between the workers (DEBUG MOVESLOT) as fast as it can. Afterwards
    every acknowledged APPEND token is in its key exactly once, tokens of
    one connection are in the order it sent them, no token was invented,
    and each counter holds the last acknowledged value.
  * The same on a cluster-mode node owning every slot.
  * Cross-worker transactions (MSET over both workers) and fan-outs
    (DBSIZE) during moves: atomic and complete.
  * Cluster mode: keys loaded (DEBUG POPULATE) before CLUSTER ADDSLOTSRANGE
    end up spread over the workers with their keys, every key readable.
  * How long a move takes with N keys in the slot (printed).
Ports: 22700 (standalone), 22710 (cluster, bus 22760), 22720 (cluster,
bus 22770).
"""
import os
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
import redis  # noqa: E402

t = H.Runner("test_slot_handoff")
DURATION = float(os.environ.get("HANDOFF_SECONDS", "4"))
WRITERS = 4


def slot_of(key):
    k = key.encode()
    s = k.find(b"{")
    if s >= 0:
        e = k.find(b"}", s + 1)
        if e > s + 1:
            k = k[s + 1:e]
    return H.crc16(k) % 16384


def pick_tags(n):
    """n hash tags with distinct slots, two on each worker's default half."""
    tags, i = [], 0
    while len(tags) < n:
        tag = "h%d" % i
        s = slot_of("{%s}" % tag)
        lows = sum(1 for x in tags if slot_of("{%s}" % x) < 8192)
        if (s < 8192 and lows < n // 2) or (s >= 8192 and len(tags) - lows < n - n // 2):
            tags.append(tag)
        i += 1
    return tags


def write_load(srv, tags, stop, results, cid):
    """One connection: APPEND a unique token to one of 3 keys per slot and
    SET its own counter key per slot; every 2nd round is a pipeline of 12
    commands. Records what was acknowledged, in order."""
    r = srv.client(decode_responses=True, socket_timeout=30)
    acked = {}     # key -> [seq, ...] in send order
    counters = {}  # counter key -> last acknowledged value
    errors = []
    seq = 0
    rnd = 0
    while not stop.is_set():
        rnd += 1
        batch = []
        for i in range(12):
            seq += 1
            tag = tags[(seq + cid) % len(tags)]
            if i % 3 == 2:
                batch.append(("set", "{%s}:cnt:%d" % (tag, cid), seq))
            else:
                batch.append(("append", "{%s}:log:%d" % (tag, seq % 3), "c%d.%d;" % (cid, seq)))
        try:
            if rnd % 2 == 0:
                p = r.pipeline(transaction=False)
                for op, key, val in batch:
                    getattr(p, op)(key, val)
                replies = p.execute(raise_on_error=False)
            else:
                replies = [getattr(r, op)(key, val) for op, key, val in batch]
        except Exception as e:  # a broken connection loses the batch's acks
            errors.append(repr(e))
            break
        for (op, key, val), rep in zip(batch, replies):
            if isinstance(rep, Exception):
                errors.append("%s %s: %r" % (op, key, rep))
            elif op == "set":
                counters[key] = val
            else:
                acked.setdefault(key, []).append(int(val.split(".")[1][:-1]))
    results[cid] = (acked, counters, errors, seq)


def mover(srv, tags, stop, nworkers, out):
    r = srv.client(decode_responses=True, socket_timeout=30)
    moves, usec = 0, []
    slots = [slot_of("{%s}" % x) for x in tags]
    try:
        while not stop.is_set():
            for s in slots:
                w = (r.execute_command("DEBUG", "SLOTWORKER", s) + 1) % nworkers
                keys, us = r.execute_command("DEBUG", "MOVESLOT", s, w)
                moves += 1
                usec.append(us)
                if r.execute_command("DEBUG", "SLOTWORKER", s) != w:
                    out["wrong"] = out.get("wrong", 0) + 1
    except Exception as e:
        out["error"] = repr(e)
    out["moves"] = moves
    out["usec"] = usec


def check_load(srv, tags, results):
    r = srv.client(decode_responses=True)
    all_errors = [e for res in results.values() for e in res[2]]
    t.eq(all_errors[:5], [], "no command failed during the moves")
    tokens_seen = 0
    missing = dup = unknown = disorder = 0
    for tag in tags:
        for k in range(3):
            key = "{%s}:log:%d" % (tag, k)
            val = r.get(key) or ""
            toks = [x for x in val.split(";") if x]
            tokens_seen += len(toks)
            per = {}
            for tok in toks:
                c, s = tok[1:].split(".")
                per.setdefault(int(c), []).append(int(s))
            for cid, (acked, _, _, _) in results.items():
                got = per.get(cid, [])
                want = acked.get(key, [])
                gs = set(got)
                missing += sum(1 for s in want if s not in gs)
                dup += len(got) - len(gs)
                unknown += len(gs - set(want))
                disorder += sum(1 for a, b in zip(got, got[1:]) if a >= b)
    total_acked = sum(len(v) for res in results.values() for v in res[0].values())
    t.check(total_acked > 1000, "enough acknowledged writes (%d)" % total_acked)
    t.eq(missing, 0, "acknowledged APPEND tokens missing")
    t.eq(dup, 0, "APPEND tokens present twice")
    t.eq(unknown, 0, "tokens that were never acknowledged (nor sent)")
    t.eq(disorder, 0, "tokens of one connection out of its order")
    bad = 0
    for cid, (_, counters, _, _) in results.items():
        for key, v in counters.items():
            if r.get(key) != str(v):
                bad += 1
    t.eq(bad, 0, "counters holding a value other than the last acknowledged one")
    print("  %d acknowledged appends, %d tokens found" % (total_acked, tokens_seen))


def run_load(srv, nworkers, label):
    tags = pick_tags(4)
    srv.client().flushall()
    stop = threading.Event()
    results, mv = {}, {}
    th = [threading.Thread(target=write_load, args=(srv, tags, stop, results, c)) for c in range(WRITERS)]
    m = threading.Thread(target=mover, args=(srv, tags, stop, nworkers, mv))
    for x in th:
        x.start()
    m.start()
    time.sleep(DURATION)
    stop.set()
    for x in th + [m]:
        x.join(60)
    t.check(not any(x.is_alive() for x in th + [m]), "%s: load and mover threads finished" % label)
    t.check("error" not in mv, "%s: DEBUG MOVESLOT never failed (%s)" % (label, mv.get("error")))
    t.check(mv.get("moves", 0) >= 20, "%s: slots moved many times (%d)" % (label, mv.get("moves", 0)))
    t.eq(mv.get("wrong", 0), 0, "%s: slot on the requested worker after each move" % label)
    us = sorted(mv.get("usec") or [0])
    print("  %s: %d moves under load, move time p50 %d us, max %d us" % (label, mv.get("moves", 0),
                                                                         us[len(us) // 2], us[-1]))
    check_load(srv, tags, results)


def test_standalone_load(srv):
    run_load(srv, 2, "standalone")


def test_cross_worker_ops_during_moves(srv):
    """MSET over both workers stays atomic and DBSIZE exact while a slot of
    one of its keys keeps moving."""
    r = srv.client(decode_responses=True)
    r.flushall()
    a, b = "{x1}a", None
    i = 0
    while b is None:
        k = "{y%d}b" % i
        if (slot_of(k) < 8192) != (slot_of(a) < 8192):
            b = k
        i += 1
    stop = threading.Event()
    torn, sizes, mv = [0], [], {}

    def writer():
        c = srv.client(decode_responses=True)
        v = 0
        while not stop.is_set():
            v += 1
            c.mset({a: v, b: v})

    def reader():
        c = srv.client(decode_responses=True)
        while not stop.is_set():
            x, y = c.mget(a, b)
            if x != y:
                torn[0] += 1
            sizes.append(c.dbsize())

    def mv_loop():
        c = srv.client(decode_responses=True)
        n = 0
        while not stop.is_set():
            for s in (slot_of(a), slot_of(b)):
                c.execute_command("DEBUG", "MOVESLOT", s, (c.execute_command("DEBUG", "SLOTWORKER", s) + 1) % 2)
                n += 1
        mv["moves"] = n

    ths = [threading.Thread(target=f) for f in (writer, reader, mv_loop)]
    for x in ths:
        x.start()
    time.sleep(min(DURATION, 3))
    stop.set()
    for x in ths:
        x.join(60)
    t.eq(torn[0], 0, "MGET saw half of an MSET across workers")
    t.check(mv.get("moves", 0) > 10, "moves happened (%d)" % mv.get("moves", 0))
    bad = [s for s in sizes if s not in (0, 2)]
    t.eq(bad[:5], [], "DBSIZE during moves counts each key once")
    t.eq(r.mget(a, b)[0], r.mget(a, b)[1], "final MSET pair equal")


def test_errors(srv):
    r = srv.client(decode_responses=True)
    t.raises(lambda: r.execute_command("DEBUG", "MOVESLOT", 16384, 0), "out of range slot", "slot range")
    t.raises(lambda: r.execute_command("DEBUG", "MOVESLOT", 5, 2), "Invalid worker", "worker range")
    t.raises(lambda: r.execute_command("DEBUG", "MOVESLOT", "x", 0), "slot", "slot not a number")
    s = slot_of("same")
    w = r.execute_command("DEBUG", "SLOTWORKER", s)
    r.set("same", "1")
    t.eq(r.execute_command("DEBUG", "MOVESLOT", s, w), [0, 0], "moving a slot to its owner is a no-op")
    t.eq(r.get("same"), "1", "key still there")


def test_move_timing(srv):
    """Time of one move with N keys in the slot (DEBUG POPULATE with a hash
    tag prefix puts every key in one slot)."""
    r = srv.client(decode_responses=True)
    r.flushall()
    s = slot_of("{tm}")
    for n in (1000, 10000, 100000, 1000000):
        r.flushall()
        r.execute_command("DEBUG", "POPULATE", n, "{tm}", 16)
        t.eq(r.execute_command("CLUSTER", "COUNTKEYSINSLOT", s) if False else r.dbsize(), n, "populated %d" % n)
        times = []
        for i in range(4):
            w = (r.execute_command("DEBUG", "SLOTWORKER", s) + 1) % 2
            keys, us = r.execute_command("DEBUG", "MOVESLOT", s, w)
            t.eq(keys, n, "all %d keys moved" % n)
            times.append(us)
        t.eq(r.dbsize(), n, "key count after 4 moves")
        t.eq(r.get("{tm}:%d" % (n - 1)), "value:%d" % (n - 1) + "\x00" * (16 - len("value:%d" % (n - 1))),
             "a key readable after the moves")
        times.sort()
        print("  move of a slot with %7d keys: median %6d us (min %d, max %d)" % (n, times[len(times) // 2],
                                                                                times[0], times[-1]))
    r.flushall()


def cluster_node(port, bus, tmp):
    conf = os.path.join(tmp, "nodes-%d.conf" % port)
    return H.tessera(port, threads=2, extra=["--cluster-enabled", "yes", "--cluster-config-file", conf,
                                             "--cluster-port", str(bus), "--cluster-node-timeout", "5000",
                                             "--cluster-require-full-coverage", "no"])


def wait_state_ok(r, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "cluster_state:ok" in r.execute_command("CLUSTER", "INFO"):
            return True
        time.sleep(0.05)
    return False


def test_cluster_load(srv):
    r = srv.client(decode_responses=True)
    r.execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 16383)
    t.check(wait_state_ok(r), "cluster state ok")
    run_load(srv, 2, "cluster")


def wait_spread(r, lo, hi, deadline):
    """Slots [lo, hi] on both workers, and the table stable."""
    last = None
    while time.monotonic() < deadline:
        cur = [r.execute_command("DEBUG", "SLOTWORKER", s) for s in range(lo, hi + 1, 64)]
        if cur == last and len(set(cur)) == 2:
            return cur
        last = cur
        time.sleep(0.1)
    return last


def test_addslots_spreads_loaded_keys(srv):
    """Keys loaded before the node owns their slots (as after an import)
    follow their slots to the workers ADDSLOTSRANGE spreads them to."""
    r = srv.client(decode_responses=True)
    n = 20000
    r.execute_command("DEBUG", "POPULATE", n)
    t.eq(r.dbsize(), n, "keys loaded before owning any slot")
    # Default split: 8192-16383 on worker 1. Owning that half spreads it
    # over both workers, so 8192-12287's keys must move to worker 0.
    r.execute_command("CLUSTER", "ADDSLOTSRANGE", 8192, 16383)
    t.check(wait_state_ok(r), "cluster state ok")
    cur = wait_spread(r, 8192, 16383, time.monotonic() + 20)
    t.check(cur is not None and len(set(cur)) == 2, "owned slots spread over both workers (%r)" % (cur,))
    per = {0: 0, 1: 0}
    counted = 0
    for s in range(8192, 16384, 97):
        c = r.execute_command("CLUSTER", "COUNTKEYSINSLOT", s)
        per[r.execute_command("DEBUG", "SLOTWORKER", s)] += c
        counted += c
    t.check(per[0] > 0 and per[1] > 0, "keys of sampled slots on both workers (%r)" % per)
    # every key of the owned half is readable on the node
    rc = srv.client(decode_responses=True)
    p = rc.pipeline(transaction=False)
    keys = ["key:%d" % i for i in range(n) if slot_of("key:%d" % i) >= 8192]
    for k in keys:
        p.get(k)
    got = p.execute(raise_on_error=False)
    bad = [(k, v) for k, v in zip(keys, got) if v != "value:%s" % k.split(":")[1]]
    t.eq(bad[:5], [], "every key of the owned slots readable with its value (%d keys)" % len(keys))
    t.eq(r.dbsize(), n, "no key lost or duplicated")
    # the rest follows when the node takes the other half too
    r.execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 8191)
    wait_spread(r, 0, 8191, time.monotonic() + 20)
    p = rc.pipeline(transaction=False)
    for i in range(n):
        p.get("key:%d" % i)
    got = p.execute(raise_on_error=False)
    bad = [(i, v) for i, v in enumerate(got) if v != "value:%d" % i]
    t.eq(bad[:3], [], "all %d keys readable after owning all" % n)


def main():
    tmp = tempfile.mkdtemp(prefix="handoff-")
    srv = H.tessera(H.port(22700), threads=2)
    c1 = c2 = None
    try:
        if H.is_dry_run():
            raise H.Skip("DEBUG MOVESLOT is Tessera's")
        t.run(test_errors, srv)
        t.run(test_standalone_load, srv)
        t.run(test_cross_worker_ops_during_moves, srv)
        t.run(test_move_timing, srv)
        c1 = cluster_node(H.port(22710), H.port(22760), tmp)
        t.run(test_cluster_load, c1)
        c2 = cluster_node(H.port(22720), H.port(22770), tmp)
        t.run(test_addslots_spreads_loaded_keys, c2)
    except H.Skip as e:
        print("SKIP %s" % e)
        sys.exit(77)
    finally:
        for s in (srv, c1, c2):
            if s:
                s.stop()
    t.server_checks(*[s for s in (srv, c1, c2) if s])
    t.finish()


if __name__ == "__main__":
    main()
