#!/usr/bin/env python3
"""Replication of commands and transactions whose keys live on several
workers of a standalone Tessera master (issue 11): each reaches the stream
as one unit (one command, or one MULTI/EXEC), in its place among the
workers' own writes, and a full sync's cut never splits one.

Ports 25200-25299."""

import random
import socket
import threading
import time

import harness as H
import redis
from test_replication import FakeReplica, digest, link_up, redis_replica, same_data, wait_until, worker_of

BASE = H.port(25200)


def keys_on(worker, prefix, n):
    out, i = [], 0
    while len(out) < n:
        k = "%s:%d" % (prefix, i)
        if worker_of(k) == worker:
            out.append(k)
        i += 1
    return out


def test_stream_shape(t, m, mc):
    """What a replica reads: a cross-worker RENAME or SMOVE as sent, a
    MULTI/EXEC over both workers as one MULTI ... EXEC holding every
    write in the order they ran, MSET as one unit of per-worker shares."""
    fr = FakeReplica(m.port)
    try:
        t.check(fr.first.startswith("+FULLRESYNC"), "synced")
        a, b = keys_on(0, "sh", 3), keys_on(1, "sh", 3)
        mc.set(a[0], "v")
        mc.rename(a[0], b[0])
        p = mc.pipeline(transaction=True)
        p.set(a[1], 1)
        p.set(b[1], 2)
        p.incr(a[1])
        p.rename(b[1], a[2])  # a span inside the EXEC
        p.set(b[1], 3)
        p.execute()
        mc.sadd(a[0], "x", "y")
        mc.smove(a[0], b[2], "x")
        mc.mset({a[1]: "m0", b[1]: "m1"})
        mc.set("{end}", 1)
        got = fr.commands_until(["SET", "{end}"])
        t.eq(got[0], ["SET", a[0], "v"], "the SET before")
        t.eq(got[1], ["RENAME", a[0], b[0]], "RENAME across workers, as sent")
        t.eq(got[2], ["MULTI"], "the EXEC over two workers opens one MULTI")
        body = got[3:got.index(["EXEC"])]
        t.eq(sorted(c[0].upper() for c in body), ["INCRBY", "RENAME", "SET", "SET", "SET"], "with all five writes")
        t.check(body.index(["SET", a[1], "1"]) < body.index(["INCRBY", a[1], "1"]), "in their order on a key")
        t.check(body.index(["SET", b[1], "2"]) < body.index(["RENAME", b[1], a[2]]) < body.index(["SET", b[1], "3"]),
                "the RENAME between the writes queued before and after it")
        rest = got[got.index(["EXEC"]) + 1:]
        t.eq(rest[0][0], "SADD", "then SADD")
        t.eq(rest[1], ["SMOVE", a[0], b[2], "x"], "SMOVE across workers, as sent")
        t.eq(rest[2], ["MULTI"], "MSET across workers: one unit")
        t.eq(sorted(rest[3:5]), sorted([["MSET", a[1], "m0"], ["MSET", b[1], "m1"]]), "of each worker's share")
        t.eq(rest[5], ["EXEC"], "closed")
    finally:
        fr.close()


def cross_worker_mix(c, a, b):
    """Every cross-worker writing command kind, on keys of both workers."""
    c.set(a[0], "one")
    c.rename(a[0], b[0])
    c.renamenx(b[0], a[0])
    c.copy(a[0], b[1])
    c.sadd(a[1], *range(20))
    c.sadd(b[2], *range(10, 30))
    c.smove(a[1], b[2], 3)
    c.sinterstore(a[3], [a[1], b[2]])
    c.sunionstore(b[3], [a[1], b[2]])
    c.sdiffstore(a[4], [b[2], a[1]])
    c.msetnx({a[5]: 1, b[5]: 2})
    c.delete(a[5], b[0])
    p = c.pipeline(transaction=True)
    p.incrby(a[6], 5)
    p.incrby(b[6], -5)
    p.rename(a[3], b[7])
    p.sunionstore(b[4], [b[2], a[4]])
    p.execute()


def test_replicas_agree(t, m, mc):
    """A redis-server replica and a 2-worker Tessera replica end with the
    master's data after every kind of cross-worker write; WAIT counts a
    unit's bytes."""
    rr = redis_replica(BASE + 10, m.port)
    tr = H.tessera(BASE + 11, threads=2)
    try:
        rc, tc = rr.client(), tr.client()
        tc.execute_command("REPLICAOF", "127.0.0.1", m.port)
        t.check(wait_until(lambda: link_up(rc) and link_up(tc)), "both replicas up")
        a, b = keys_on(0, "mix", 8), keys_on(1, "mix", 8)
        cross_worker_mix(mc, a, b)
        mc.set(a[0], "w")
        mc.rename(a[0], b[0])
        t.eq(mc.execute_command("WAIT", 2, 5000), 2, "WAIT 2 after a cross-worker RENAME")
        t.eq((rc.get(b[0]), tc.get(b[0])), (b"w", b"w"), "WAIT returned once the unit was in both replicas")
        same_data(t, mc, rc, "redis-server replica")
        same_data(t, mc, tc, "Tessera replica")
    finally:
        tr.stop()
        rr.stop()
    t.server_checks(tr)


def transfers(port, stop, seed, a, b, errors):
    """Move amounts between counters of the two workers in MULTI/EXEC and
    bounce a key between them with RENAME: the sum stays 0 and the key
    exists once, in every state a replica may load or apply. Each
    transaction is sent in one write with a lone APPEND to a log key of
    its own before it and one after, and appends to it too: the log keeps
    the order the unit reached the stream in."""
    rng = random.Random(seed)
    log, ball = "log:%d" % seed, ("ball:%d" % seed, "ball:%d:x" % seed)
    try:
        with H.RawConn(port) as c:
            n = 0
            while not stop.is_set():
                n += 1
                x, y = rng.choice(a), rng.choice(b)
                if n % 2:
                    x, y = y, x
                amt = rng.randint(1, 9)
                src, dst = ball if n % 2 else ball[::-1]
                cmds = [("APPEND", log, "p%d," % n), ("MULTI",), ("INCRBY", x, -amt), ("APPEND", log, "t%d," % n),
                        ("INCRBY", y, amt), ("EXEC",), ("RENAME", src, dst), ("APPEND", log, "q%d," % n)]
                c.send(b"".join(H.encode(*cmd) for cmd in cmds))
                replies = [c.reply() for _ in cmds]
                bad = [r for r in replies if r.startswith(b"-")]
                if bad:
                    errors.append(bad[0])
                    return
    except (OSError, H.Closed) as e:
        errors.append(repr(e))


def test_sync_cuts_no_unit(t, m, mc):
    """Full syncs taken while transactions over both workers run: the
    snapshot holds each wholly or not at all (a split one would show as a
    sum other than 0, or a doubled ball), and the stream after the cut
    holds the rest once."""
    a, b = keys_on(0, "acct", 20), keys_on(1, "acct", 20)
    for s in range(3):
        mc.set("ball:%d" % s, s)
    mc.execute_command("DEBUG", "POPULATE", 20000, "fill", 32)
    stop, errors = threading.Event(), []
    ths = [threading.Thread(target=transfers, args=(m.port, stop, s, a, b, errors)) for s in range(3)]
    for th in ths:
        th.start()
    reps = []
    try:
        for i in range(3):
            time.sleep(0.3)
            rep = redis_replica(BASE + 20 + i, m.port) if i != 1 else H.tessera(BASE + 20 + i, threads=2)
            reps.append(rep)
            if i == 1:
                rep.client().execute_command("REPLICAOF", "127.0.0.1", m.port)
            t.check(wait_until(lambda: link_up(rep.client()), timeout=30), "replica %d synced under load" % i)
    finally:
        stop.set()
        for th in ths:
            th.join()
    try:
        t.eq(errors, [], "the writers saw no error")
        t.eq(mc.execute_command("WAIT", len(reps), 10000), len(reps), "every replica acked")
        for i, rep in enumerate(reps):
            rc = rep.client()
            same_data(t, mc, rc, "replica %d" % i)
            total = sum(int(v or 0) for v in rc.mget(a + b))
            t.eq(total, 0, "replica %d: the transfers sum to 0" % i)
            for s in range(3):
                t.eq(rc.exists("ball:%d" % s, "ball:%d:x" % s), 1, "replica %d: ball %d exists once" % (i, s))
    finally:
        for rep in reps:
            rep.stop()
    t.server_checks(*reps)


def test_slot_move_during_sync(t, m, mc):
    """A slot that moves between workers while a full sync's snapshot is
    being written (DEBUG MOVESLOT; in cluster mode a node spreads newly
    owned slots the same way) keeps its keys in the RDB, although the
    worker it goes to has finished its own walk."""
    if H.is_dry_run():
        raise H.Skip("Tessera-only")
    m2 = H.tessera(BASE + 30, threads=2, extra=["--repl-diskless-sync-delay", "0"])
    try:
        c = m2.client()
        tag = H.key_in_slot(16000, "mv")  # worker 1's range, walked last there
        moved = ["{%s}:%d" % (tag, i) for i in range(50)]
        c.mset({k: "moved" for k in moved})
        p = c.pipeline(transaction=False)
        n = 0
        while n < 40000:  # about 20 MB on worker 1 only: the transfer stalls while nobody reads
            k = "fill:%d" % random.getrandbits(40)
            if 8192 <= H.key_slot(k) < 16000:
                p.set(k, "x" * 500)
                n += 1
        p.execute()
        s = socket.create_connection(("127.0.0.1", m2.port), timeout=10)
        for cmd in (("REPLCONF", "capa", "eof", "capa", "psync2"), ("PSYNC", "?", "-1")):
            s.sendall(H.encode(*cmd))
        time.sleep(1.0)  # worker 0's snapshot (no keys) is over; worker 1's waits for the reader
        t.eq(c.execute_command("DEBUG", "MOVESLOT", 16000, 0)[0], len(moved), "slot 16000 moved to worker 0 mid-sync")
        data, mark = b"", None
        end = time.monotonic() + 30
        while time.monotonic() < end:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            data += chunk
            if mark is None and b"$EOF:" in data and len(data) >= data.index(b"$EOF:") + 45:
                mark = data[data.index(b"$EOF:") + 5:data.index(b"$EOF:") + 45]
            if mark is not None and data.count(mark) >= 2:
                break
        s.close()
        t.check(mark is not None and data.count(mark) >= 2, "the whole RDB came")
        missing = [k for k in moved if k.encode() not in data]
        t.eq(missing, [], "every key of the moved slot is in the RDB")
    finally:
        m2.stop()
    t.server_checks(m2)


def main():
    t = H.Runner("repl_units")
    m = H.tessera(BASE, threads=2, extra=["--repl-diskless-sync-delay", "0"])
    mc = m.client()
    try:
        for fn in (test_stream_shape, test_replicas_agree, test_sync_cuts_no_unit, test_slot_move_during_sync):
            t.run(fn, t, m, mc)
    finally:
        m.stop()
    t.server_checks(m)
    t.finish()


if __name__ == "__main__":
    main()
