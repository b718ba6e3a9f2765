#!/usr/bin/python3
"""test_tx.py: commands whose keys live on several workers (standalone, 2
workers) run as one transaction (core/tx.h): atomic, deadlock-free, in
per-connection order.

  * Atomic MSET: writers set a pair of keys on different workers to one
    value; readers' MGET never sees the two differ.
  * Plain GETs of keys a transaction is writing wait for it: a GET of one
    key after a GET of the other never sees half an MSET.
  * Atomic RENAME: tokens bounce between keys on different workers under
    concurrent RENAMEs; EXISTS over both keys always counts each token once,
    and no token is ever lost.
  * Conflicting transactions in both directions at once (a->b, b->a) all
    finish: no deadlock, and INFO commandstats counts every call.
  * A pipeline mixing cross-worker commands with single-key ones keeps its
    order: each reply is what a serial execution gives.
Ports: 22300.
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
import redis  # noqa: E402

PORT = H.port(22300)
t = H.Runner("test_tx")
DURATION = 3.0


def two_workers_keys(r, prefix, n):
    """n pairs of keys whose slots are on different workers (slots are
    split in halves between 2 workers)."""
    pairs = []
    i = 0
    while len(pairs) < n:
        a, b = "%s:a%d" % (prefix, i), "%s:b%d" % (prefix, i)
        if (H.crc16(a.encode()) % 16384 < 8192) != (H.crc16(b.encode()) % 16384 < 8192):
            pairs.append((a, b))
        i += 1
    return pairs


def test_atomic_mset(srv):
    pairs = two_workers_keys(srv.client(decode_responses=True), "m", 4)
    stop = time.monotonic() + DURATION
    torn, reads, writes = [], [0], [0]

    def writer(n):
        r = srv.client(decode_responses=True)
        v = 0
        while time.monotonic() < stop:
            for a, b in pairs:
                v += 1
                val = "%d-%d" % (n, v)
                r.mset({a: val, b: val})
                writes[0] += 1

    def reader():
        r = srv.client(decode_responses=True)
        while time.monotonic() < stop:
            for a, b in pairs:
                x, y = r.mget(a, b)
                reads[0] += 1
                if x != y:
                    torn.append((a, b, x, y))

    th = [threading.Thread(target=writer, args=(i,)) for i in range(3)] + \
         [threading.Thread(target=reader) for _ in range(3)]
    for x in th:
        x.start()
    for x in th:
        x.join(DURATION + 30)
    t.check(not any(x.is_alive() for x in th), "every client finished (no deadlock)")
    t.eq(torn[:3], [], "MGET never sees half an MSET (%d reads, %d writes)" % (reads[0], writes[0]))
    t.check(reads[0] > 100 and writes[0] > 100, "enough traffic: %d reads, %d writes" % (reads[0], writes[0]))


def test_single_key_reads(srv):
    """Plain GETs wait for a transaction holding their key: one writer
    MSETs a pair to 1, 2, 3...; a reader GETs b, then a. Once b shows n,
    a (written by the same MSET) must show at least n."""
    (a, b), = two_workers_keys(srv.client(decode_responses=True), "sk", 1)
    w = srv.client(decode_responses=True)
    w.mset({a: 0, b: 0})
    stop = time.monotonic() + DURATION
    bad, reads = [], [0]

    def writer():
        n = 0
        while time.monotonic() < stop:
            n += 1
            w.mset({a: n, b: n})

    def reader():
        c = srv.client(decode_responses=True)
        while time.monotonic() < stop:
            vb = int(c.get(b))
            va = int(c.get(a))
            reads[0] += 1
            if va < vb:
                bad.append((va, vb))

    th = [threading.Thread(target=writer)] + [threading.Thread(target=reader) for _ in range(3)]
    for x in th:
        x.start()
    for x in th:
        x.join(DURATION + 30)
    t.check(not any(x.is_alive() for x in th), "every client finished")
    t.eq(bad[:3], [], "a GET never sees half an MSET (%d read pairs)" % reads[0])


def test_atomic_rename(srv):
    r = srv.client(decode_responses=True)
    pairs = two_workers_keys(r, "tok", 3)
    for a, b in pairs:
        r.delete(a, b)
        r.set(a, "token")
    stop = time.monotonic() + DURATION
    bad, moves = [], [0]

    def mover(direction):
        c = srv.client(decode_responses=True)
        while time.monotonic() < stop:
            for a, b in pairs:
                src, dst = (a, b) if direction else (b, a)
                try:
                    c.rename(src, dst)
                    moves[0] += 1
                except redis.ResponseError as e:
                    if "no such key" not in str(e):
                        bad.append(str(e))

    def checker():
        c = srv.client(decode_responses=True)
        while time.monotonic() < stop:
            for a, b in pairs:
                n = c.exists(a, b)
                if n != 1:
                    bad.append("EXISTS %s %s = %d" % (a, b, n))

    th = [threading.Thread(target=mover, args=(d,)) for d in (0, 1, 0, 1)] + [threading.Thread(target=checker)]
    for x in th:
        x.start()
    for x in th:
        x.join(DURATION + 30)
    t.check(not any(x.is_alive() for x in th), "every client finished (no deadlock)")
    t.eq(bad[:3], [], "each token is in exactly one key at every read")
    t.check(moves[0] > 50, "tokens moved %d times" % moves[0])
    for a, b in pairs:
        t.eq(r.exists(a, b), 1, "token %s/%s still there" % (a, b))
        t.eq(r.get(a) or r.get(b), "token", "token value intact")


def test_commandstats(srv):
    r = srv.client(decode_responses=True)
    r.config_resetstat()
    (a, b), = two_workers_keys(r, "cs", 1)
    for _ in range(10):
        r.mset({a: 1, b: 2})
        r.mget(a, b)
        r.delete(a, b)
    stats = r.info("commandstats")
    for cmd in ("mset", "mget", "del"):
        t.eq(stats.get("cmdstat_" + cmd, {}).get("calls"), 10, "commandstats counts cross-worker %s" % cmd)


def test_pipeline_order(srv):
    r = srv.client(decode_responses=True)
    (a, b), (c, d) = two_workers_keys(r, "po", 2)
    r.flushall()
    p = r.pipeline(transaction=False)
    p.set(a, "1")
    p.rename(a, b)
    p.get(b)
    p.exists(a)
    p.mset({c: "x", d: "y"})
    p.append(c, "z")
    p.mget(c, d)
    p.copy(b, a)
    p.incr(a)
    p.mget(a, b)
    p.dbsize()
    p.delete(a, b, c, d)
    p.dbsize()
    got = p.execute()
    t.eq(got, [True, True, "1", 0, True, 2, ["xz", "y"], True, 2, ["2", "1"], 4, 4, 0], "pipelined replies in order")


def main():
    srv = H.tessera(PORT, threads=2)
    try:
        t.run(test_atomic_mset, srv)
        t.run(test_single_key_reads, srv)
        t.run(test_atomic_rename, srv)
        t.run(test_commandstats, srv)
        t.run(test_pipeline_order, srv)
    finally:
        srv.stop()
    t.server_checks(srv)
    t.finish()


if __name__ == "__main__":
    main()
