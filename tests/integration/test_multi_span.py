#!/usr/bin/python3
"""test_multi_span.py: MULTI/EXEC whose commands span workers (standalone,
2 workers; core/multi_exec.c).

  * Differential, raw bytes against redis-server 7.0 (RESP2 and RESP3):
    queued commands whose keys live on both workers (MSET, MGET, MSETNX,
    DEL, UNLINK, EXISTS, TOUCH, RENAME, RENAMENX, COPY, SMOVE, SINTER,
    SUNION, SDIFF, SINTERSTORE, SUNIONSTORE, SDIFFSTORE), their errors at
    EXEC (wrong arguments, no such key, WRONGTYPE), chains where a later
    command depends on an earlier cross-worker one, keyless fan-outs in
    MULTI (DBSIZE, KEYS, FLUSHALL, FLUSHDB, RANDOMKEY with 0 or 1 key,
    PING/ECHO between), WATCH with cross-worker commands (broken and not),
    EXECABORT, HELLO switching the protocol inside MULTI.
  * SCAN inside MULTI: the cursor is each server's own, so the iteration
    (one MULTI SCAN EXEC per call) is completed on both and the key sets
    compared.
  * Atomicity under load: writers run MULTI; MSET k1 v k2 v; EXEC (k1, k2
    on different workers, one value per transaction), and MULTI; FLUSHALL;
    MSET k1 v k2 v; EXEC (a global transaction); readers run MGET k1 k2 and
    MULTI; GET k1; GET k2; EXEC and never see two different values, nor a
    missing key.
  * Mixed load on 4 workers, no deadlock: global EXECs (FLUSHALL, DBSIZE,
    KEYS, SCAN), cross-worker EXECs with WATCH, cross-worker commands
    outside MULTI, fan-outs and slot moves between workers (DEBUG
    MOVESLOT), all at once; every client finishes, with no error but the
    expected ones.
Ports: 23400 (Tessera), 23410 (redis-server), 23420 (4 workers).
"""
import os
import random
import re
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
import diff_set  # noqa: E402
import redis  # noqa: E402

PORT_T = H.port(23400)
PORT_R = H.port(23410)
PORT_4 = H.port(23420)
NWORKERS = 2
t = H.Runner("test_multi_span")
CLIENT_ID = re.compile(rb"id\r\n:\d+\r\n")


def worker_of(key):
    return H.key_slot(key.encode()) * NWORKERS // 16384


def key_on(prefix, w):
    """The first key prefix0, prefix1... owned by worker w."""
    i = 0
    while worker_of("%s%d" % (prefix, i)) != w:
        i += 1
    return "%s%d" % (prefix, i)


# Two keys of each kind, one per worker.
A, B = key_on("a", 0), key_on("b", 1)
C, D = key_on("c", 0), key_on("d", 1)
S1, S2 = key_on("s", 0), key_on("t", 1)
DST0, DST1 = key_on("dst", 0), key_on("dst", 1)
STR = key_on("str", 1)


# ---- differential scripts ----

SCRIPTS = [
    ("cross-worker string and key commands", [
        ["MULTI"], ["MSET", A, "1", B, "2"], ["MGET", A, B, C], ["EXISTS", A, B, C, D], ["TOUCH", A, B, D],
        ["MSETNX", C, "x", D, "y"], ["MSETNX", C, "x", B, "y"], ["MGET", C, D], ["DEL", A, D],
        ["UNLINK", C, B, A], ["EXISTS", A, B, C, D], ["EXEC"]]),
    ("RENAME, RENAMENX, COPY across workers", [
        ["MULTI"], ["SET", A, "va"], ["SET", B, "vb"], ["RENAME", A, C], ["GET", C], ["GET", A],
        ["RENAMENX", C, B], ["RENAMENX", C, D], ["GET", D], ["COPY", D, A], ["COPY", D, B],
        ["COPY", D, B, "REPLACE"], ["MGET", A, B, C, D], ["RENAME", "nokey", B], ["COPY", A, B, "BADOPT"],
        ["EXPIRE", A, "1000"], ["RENAME", A, B], ["TTL", B], ["EXEC"]]),
    ("set commands across workers", [
        ["MULTI"], ["SADD", S1, "1", "2", "3"], ["SADD", S2, "2", "3", "4"], ["SINTER", S1, S2],
        ["SUNION", S1, S2], ["SDIFF", S1, S2], ["SINTERSTORE", DST1, S1, S2], ["SMEMBERS", DST1],
        ["SUNIONSTORE", DST0, S1, S2, "missing"], ["SMEMBERS", DST0], ["SDIFFSTORE", DST1, S2, S1],
        ["SMEMBERS", DST1], ["SMOVE", S1, S2, "1"], ["SMOVE", S1, S2, "9"], ["SMEMBERS", S1], ["SMEMBERS", S2],
        ["SINTERCARD", "2", S1, S2], ["SET", STR, "x"], ["SINTERSTORE", DST0, S1, STR], ["SMEMBERS", DST0],
        ["SMOVE", S2, STR, "2"], ["SUNION", S1, STR], ["EXEC"]]),
    ("later commands depend on earlier cross-worker ones", [
        ["MULTI"], ["SET", A, "1"], ["RENAME", A, B], ["GET", B], ["DBSIZE"], ["INCR", B], ["RENAME", B, A],
        ["INCR", A], ["GET", A], ["EXISTS", A, B], ["DBSIZE"], ["EXEC"],
        ["MULTI"], ["SADD", S1, "7"], ["SINTERSTORE", DST1, S1, S2], ["SMEMBERS", DST1], ["SADD", S2, "7"],
        ["SINTERSTORE", DST1, S1, S2], ["SMEMBERS", DST1], ["SCARD", DST1], ["DEL", S1, S2, DST1],
        ["DBSIZE"], ["EXEC"]]),
    ("fan-outs in MULTI", [
        ["MULTI"], ["DBSIZE"], ["RANDOMKEY"], ["SET", A, "1"], ["RANDOMKEY"], ["PING"], ["MSET", B, "2", C, "3"],
        ["ECHO", "e"], ["DBSIZE"], ["FLUSHALL"], ["DBSIZE"], ["MGET", A, B, C], ["SET", D, "4"], ["FLUSHDB"],
        ["EXISTS", D], ["DBSIZE"], ["EXEC"],
        ["MULTI"], ["PING"], ["ECHO", "only"], ["EXEC"]]),
    ("errors at EXEC and EXECABORT", [
        ["MULTI"], ["MSET", A, "1", B], ["MSETNX", A, "1", B], ["SET", A, "1"], ["MGET", A, B], ["EXEC"],
        ["MULTI"], ["MSET", A, "1", B, "2"], ["NOSUCH"], ["EXEC"], ["MGET", A, B],
        ["MULTI"], ["DBSIZE"], ["GET"], ["EXEC"],
        ["MULTI"], ["RENAME", A], ["MSET", A, "x", B, "y"], ["EXEC"], ["MGET", A, B]]),
]


def run_pair(tes, red, cmds, label):
    for cmd in cmds:
        rt, rr = tes.cmd(*cmd), red.cmd(*cmd)
        if cmd[0] == "HELLO":
            continue  # server identity differs; the protocol switch is what matters
        rt, rr = CLIENT_ID.sub(b"id\r\n:0\r\n", rt), CLIENT_ID.sub(b"id\r\n:0\r\n", rr)  # HELLO in EXEC
        t.eq(rt, rr, "%s: reply to %r" % (label, cmd))


def test_differential(tes, red, resp):
    for c in (tes, red):
        c.cmd("HELLO", str(resp))
    for label, cmds in SCRIPTS:
        for c in (tes, red):
            c.cmd("FLUSHALL")
        run_pair(tes, red, cmds, "RESP%d %s" % (resp, label))
    for c in (tes, red):
        c.cmd("HELLO", "2")


def test_hello_inside_multi(tes, red):
    for c in (tes, red):
        c.cmd("FLUSHALL")
    run_pair(tes, red, [["MULTI"], ["SADD", S1, "1"], ["HELLO", "3"], ["SMEMBERS", S1], ["MSET", A, "1", B, "2"],
                        ["SUNION", S1, S2], ["DBSIZE"], ["HELLO", "2"], ["SMEMBERS", S1], ["EXEC"],
                        ["SMEMBERS", S1]], "HELLO in MULTI")


def test_keys_in_multi(tes, red):
    """KEYS' order is each server's own: each element compared sorted."""
    for c in (tes, red):
        c.cmd("FLUSHALL")
    out = []
    for c in (tes, red):
        for cmd in (["MULTI"], ["MSET", A, "1", B, "2", C, "3"], ["KEYS", "*"], ["DEL", A], ["KEYS", "*"],
                    ["DBSIZE"]):
            c.cmd(*cmd)
        out.append(diff_set.parse(c.cmd("EXEC")))
    t.eq(sorted(out[0][1]), sorted(out[1][1]), "KEYS * after MSET in MULTI")
    t.eq(sorted(out[0][3]), sorted(out[1][3]), "KEYS * after DEL in MULTI")
    t.eq([out[0][0], out[0][2], out[0][4]], [out[1][0], out[1][2], out[1][4]], "the other replies")
    t.eq(sorted(out[0][1]), sorted([A.encode(), B.encode(), C.encode()]), "KEYS sees every worker's keys")


def test_scan_in_multi(tes, red):
    for c in (tes, red):
        c.cmd("FLUSHALL")
        for i in range(40):
            c.cmd("SET", "sc%d" % i, "v")
    found = []
    for c in (tes, red):
        seen, cursor, calls = set(), b"0", 0
        while True:
            c.cmd("MULTI")
            c.cmd("SCAN", cursor, "COUNT", "7")
            c.cmd("SET", "scan-calls", str(calls))
            rep = diff_set.parse(c.cmd("EXEC"))
            cursor, keys = rep[0][0], rep[0][1]
            seen.update(k for k in keys if k.startswith(b"sc") and k != b"scan-calls")
            calls += 1
            if cursor == b"0" or calls > 200:
                break
        t.check(calls <= 200, "SCAN in MULTI ends")
        found.append(seen)
    t.eq(sorted(found[0]), sorted(found[1]), "SCAN in MULTI: the same keys")
    t.eq(len(found[0]), 40, "SCAN in MULTI: every key")


def test_watch(tes, red):
    """WATCH keys on both workers; another client breaks one, or not."""
    cases = [
        ("not broken", [], None),
        ("broken on worker 1", [["SET", B, "other"]], None),
        ("broken on worker 0", [["SET", A, "other"]], None),
        ("other keys written", [["MSET", C, "1", D, "2"]], None),
        ("broken by a cross-worker MSET", [["MSET", A, "1", D, "2"]], None),
    ]
    for name, breaker, _ in cases:
        out = []
        for port in (PORT_T, PORT_R):
            with H.RawConn(port) as a, H.RawConn(port) as b:
                a.cmd("FLUSHALL")
                a.cmd("MSET", A, "0", B, "0")
                a.cmd("WATCH", A, B)
                for cmd in breaker:
                    b.cmd(*cmd)
                res = [a.cmd("MULTI"), a.cmd("MSET", A, "w", B, "w"), a.cmd("RENAME", A, C), a.cmd("DBSIZE")]
                res.append(a.cmd("EXEC"))
                res.append(a.cmd("MGET", A, B, C, D))
                out.append(res)
        t.eq(out[0], out[1], "WATCH across workers, %s" % name)


def test_concurrent_atomic(srv):
    """Writers set k1 and k2 (on different workers) to one value per
    transaction, some of them after a FLUSHALL in the same transaction;
    readers never see the two differ, nor a key missing."""
    k1, k2 = key_on("k", 0), key_on("k", 1)
    c = srv.client(decode_responses=True)
    c.mset({k1: "init", k2: "init"})
    stop = time.monotonic() + 3.0
    bad, counts = [], {"mset": 0, "flush": 0, "mget": 0, "multi_get": 0}

    def writer(seed, flush):
        w = srv.client(decode_responses=True)
        i = 0
        while time.monotonic() < stop:
            v = "%d-%d" % (seed, i)
            i += 1
            p = w.pipeline(transaction=True)
            if flush:
                p.flushall()
            p.mset({k1: v, k2: v})
            p.execute()
            counts["flush" if flush else "mset"] += 1

    def reader(use_multi):
        r = srv.client(decode_responses=True)
        while time.monotonic() < stop:
            if use_multi:
                p = r.pipeline(transaction=True)
                p.get(k1)
                p.get(k2)
                v1, v2 = p.execute()
                counts["multi_get"] += 1
            else:
                v1, v2 = r.mget(k1, k2)
                counts["mget"] += 1
            if v1 != v2 or v1 is None:
                bad.append((v1, v2))

    th = [threading.Thread(target=writer, args=(i, i == 2)) for i in range(3)] + \
         [threading.Thread(target=reader, args=(m,)) for m in (False, True, False, True)]
    for x in th:
        x.start()
    for x in th:
        x.join(30)
    t.check(not any(x.is_alive() for x in th), "every client finished (no deadlock)")
    t.eq(bad[:3], [], "readers never see half a transaction")
    t.check(counts["mset"] > 20 and counts["flush"] > 10 and counts["mget"] > 20 and counts["multi_get"] > 20,
            "enough work done: %r" % counts)
    t.eq(len(set(c.mget(k1, k2))), 1, "k1 and k2 agree at the end")


def mixed_client(srv, kind, seed, stop, errs, counts):
    r = srv.client(decode_responses=True)
    rng = random.Random(seed)
    keys = ["m%d" % i for i in range(16)]
    while time.monotonic() < stop:
        try:
            if kind == 0:
                p = r.pipeline(transaction=True)
                p.mset({k: "v" for k in rng.sample(keys, 4)})
                p.dbsize()
                p.keys("m1*")
                p.execute()
            elif kind == 1:
                p = r.pipeline(transaction=True)
                p.flushall()
                p.mset({keys[0]: 1, keys[5]: 1})
                p.rename(keys[0], keys[9])
                p.execute()
            elif kind == 2:
                r.mset({k: "x" for k in rng.sample(keys, 5)})
                r.mget(keys)
                r.dbsize()
            elif kind == 3:
                with r.pipeline(transaction=True) as p:
                    try:
                        p.watch(keys[1], keys[2])
                        p.multi()
                        p.mset({keys[1]: 2, keys[2]: 2})
                        p.scan(0)
                        p.sunionstore(keys[7], keys[3], keys[4])
                        p.execute()
                    except redis.WatchError:
                        pass
            elif kind == 4:
                r.sadd(keys[3], rng.randint(0, 9))
                r.sadd(keys[4], rng.randint(0, 9))
                r.sinterstore(keys[6], keys[3], keys[4])
            else:
                r.execute_command("DEBUG", "MOVESLOT", str(rng.randrange(16384)), str(rng.randrange(4)))
            counts[kind] += 1
        except redis.ResponseError as e:
            if "WRONGTYPE" not in str(e) and "no such key" not in str(e):
                errs.append(str(e))
        except Exception as e:  # a closed connection, a timeout: stop this client
            errs.append(repr(e))
            return


def test_mixed_load():
    srv = H.tessera(PORT_4, threads=4, extra=["--enable-debug-command", "yes"])
    try:
        stop = time.monotonic() + 3.0
        errs, counts = [], [0] * 6
        th = [threading.Thread(target=mixed_client, args=(srv, i % 6, i, stop, errs, counts)) for i in range(12)]
        for x in th:
            x.start()
        for x in th:
            x.join(30)
        t.check(not any(x.is_alive() for x in th), "every client finished (no deadlock)")
        t.eq(errs[:3], [], "no unexpected error")
        t.check(min(counts) > 5, "every kind of client made progress: %r" % counts)
        t.eq(srv.raw().cmd("PING"), b"+PONG\r\n", "the server still answers")
    finally:
        srv.stop()
    t.server_checks(srv)


def main():
    t.check(worker_of(A) != worker_of(B) and worker_of(S1) != worker_of(S2), "test keys on different workers")
    tes = H.tessera(PORT_T, threads=NWORKERS)
    red = H.redis_server(PORT_R)
    try:
        with H.RawConn(PORT_T) as ct, H.RawConn(PORT_R) as cr:
            t.run(test_differential, ct, cr, 2)
            t.run(test_differential, ct, cr, 3)
            t.run(test_hello_inside_multi, ct, cr)
            t.run(test_keys_in_multi, ct, cr)
            t.run(test_scan_in_multi, ct, cr)
        t.run(test_watch, tes, red)
        t.run(test_concurrent_atomic, tes)
    finally:
        tes.stop()
        red.stop()
    t.server_checks(tes, red)
    t.run(test_mixed_load)
    t.finish()


if __name__ == "__main__":
    main()
