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
  * The set commands on several keys (SMOVE, SINTER, SINTERCARD,
    SINTERSTORE, SUNION, SUNIONSTORE, SDIFF, SDIFFSTORE) with keys on both
    workers, sent alike to this 2-worker Tessera, a 1-worker Tessera (the
    single-worker code with the same key names) and redis-server 7.0:
    the same replies (WRONGTYPE in Redis's order, missing keys, empty
    results deleting the destination, SINTERCARD LIMIT, RESP3 '~', OBJECT
    ENCODING and TTL of stored results), the same keyspace notifications
    per key, the same keyspace hits/misses and commandstats; and
    diff_set's fixed cases and a random seed, renamed onto both workers,
    compared with the 1-worker Tessera reply by reply.
  * Concurrent SMOVEs of members between two sets on different workers,
    with SUNION/SINTER/SINTERCARD/SUNIONSTORE and SCARD/SISMEMBER readers:
    every member is in exactly one set at every read.
Ports: 22300 (2 workers), 22301 (1 worker), 22302 (redis-server).
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import diff_set  # noqa: E402
import harness as H  # noqa: E402
import redis  # noqa: E402

PORT = H.port(22300)
PORT_1W = H.port(22301)
PORT_R = H.port(22302)
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
    t.check(reads[0] > 20 and writes[0] > 20, "enough traffic: %d reads, %d writes" % (reads[0], writes[0]))


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
    t.check(moves[0] > 10, "tokens moved %d times" % moves[0])
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


# ---- The set commands across workers ----

# Keys as diff_set names them, renamed onto both workers: a, c, str on
# worker 0; b, d, e, none on worker 1 (diff_set.cross_worker_keys).
A, B, C, D, E = diff_set.K
STR, NONE = diff_set.STR, "{s}none"
SET_CASES = [
    ["SADD", A, "1", "2", "3", "4"], ["SADD", B, "3", "4", "5"], ["SADD", C, "4", "x", "y", "3"],
    ["SADD", D] + [str(1000 + i) for i in range(300)], ["SET", STR, "v"],
    # SINTER: order of the smallest set, a missing key empties, a repeat
    ["SINTER", A, B], ["SINTER", A, B, C], ["SINTER", C, A], ["SINTER", A, NONE, B], ["SINTER", B, A, A],
    ["SINTER", D, A],
    # WRONGTYPE at the first key of another type, after missing keys too
    ["SINTER", A, STR], ["SINTER", NONE, STR, B], ["SINTER", A, NONE, STR, B], ["SINTER", B, STR, A, NONE],
    ["SINTER", STR, NONE],
    ["SINTERCARD", "2", A, B], ["SINTERCARD", "3", A, B, C, "LIMIT", "0"], ["SINTERCARD", "2", A, B, "LIMIT", "1"],
    ["SINTERCARD", "2", A, B, "limit", "5"], ["SINTERCARD", "2", A, B, "LIMIT", "-1"],
    ["SINTERCARD", "2", A, B, "LIMIT", "x"], ["SINTERCARD", "2", A, B, "FOO", "1"],
    ["SINTERCARD", "2", A, B, "LIMIT"], ["SINTERCARD", "2", A, STR], ["SINTERCARD", "2", NONE, STR],
    ["SINTERCARD", "2", A, NONE], ["SINTERCARD", "2", STR, A, "LIMIT", "x"],
    ["SUNION", A, B], ["SUNION", A, B, C], ["SUNION", A, NONE, B], ["SUNION", NONE, E], ["SUNION", B, B, A],
    ["SUNION", A, STR], ["SUNION", NONE, STR], ["SUNION", D, B],
    ["SDIFF", A, B], ["SDIFF", B, A, C], ["SDIFF", NONE, A], ["SDIFF", A, NONE, B], ["SDIFF", A, A],
    ["SDIFF", A, STR], ["SDIFF", D, A, B], ["SDIFF", C, A, B],
    # STORE forms: replace (TTL gone), delete when empty, dst also a source
    ["SINTERSTORE", C, A, B], ["OBJECT", "ENCODING", C], ["SMEMBERS", C], ["SET", E, "old"],
    ["EXPIRE", E, "100"], ["SINTERSTORE", E, A, NONE], ["EXISTS", E], ["SINTERSTORE", E, A, NONE],
    ["SUNIONSTORE", E, D, B], ["OBJECT", "ENCODING", E], ["SCARD", E], ["SUNIONSTORE", E, E, A, C],
    ["OBJECT", "ENCODING", E], ["SCARD", E], ["SDIFFSTORE", B, B, A], ["SMEMBERS", B],
    ["SDIFFSTORE", B, A, A], ["EXISTS", B], ["SADD", B, "3", "4", "5"], ["EXPIRE", D, "100"],
    ["SUNIONSTORE", D, B, A], ["TTL", D], ["OBJECT", "ENCODING", D], ["SMEMBERS", D],
    ["SINTERSTORE", STR, A, B], ["TYPE", STR], ["SMEMBERS", STR], ["SET", STR, "v"],
    ["SUNIONSTORE", D, STR, A], ["SMEMBERS", D], ["SDIFFSTORE", NONE, A, STR], ["EXISTS", NONE],
    ["SINTERSTORE", D, NONE, STR], ["SDIFFSTORE", E, C], ["OBJECT", "ENCODING", E], ["SMEMBERS", E],
    ["SUNIONSTORE", E, NONE], ["EXISTS", E],
    # SMOVE: a missing source answers 0 before any type check
    ["SMOVE", A, B, "1"], ["SMEMBERS", A], ["SMEMBERS", B], ["SMOVE", A, B, "nope"], ["SMOVE", A, B, "3"],
    ["SMOVE", NONE, B, "1"], ["SMOVE", NONE, STR, "1"], ["SMOVE", STR, A, "1"], ["SMOVE", A, STR, "2"],
    ["SMOVE", A, STR, "nope"], ["SMOVE", A, E, "2"], ["TYPE", E], ["OBJECT", "ENCODING", E],
    ["SADD", C, "only"], ["DEL", C], ["SADD", C, "only"], ["SMOVE", C, E, "only"], ["EXISTS", C],
    ["OBJECT", "ENCODING", E], ["SMEMBERS", A], ["SMOVE", A, B, "4"], ["SMOVE", A, B, "2"], ["EXISTS", A],
    ["SMEMBERS", B],
    # RESP3: set replies as '~'
    ["SADD", A, "1", "2", "3"], ["HELLO", "3"], ["SINTER", A, B], ["SUNION", A, B], ["SDIFF", A, B],
    ["SINTER", A, NONE], ["SUNION", NONE, E], ["SDIFF", NONE, A], ["SINTERCARD", "2", A, B],
    ["SINTER", A, STR], ["SUNIONSTORE", C, A, B], ["SMOVE", A, C, "1"], ["HELLO", "2"],
    # the intset limit decides a stored result's encoding
    ["CONFIG", "SET", "set-max-intset-entries", "3"], ["SUNIONSTORE", C, A, B], ["OBJECT", "ENCODING", C],
    ["SINTERSTORE", C, A, B], ["OBJECT", "ENCODING", C], ["CONFIG", "SET", "set-max-intset-entries", "512"],
    ["SMOVE", B, A, "100"], ["DEL", A, B, C, D, E, STR],
]
SET_CMDS = ("smove", "sinter", "sintercard", "sinterstore", "sunion", "sunionstore", "sdiff", "sdiffstore")


def canon(rep):
    """A reply to compare: aggregates as their type byte and sorted
    members (hashtable order is each server's own; diff_set compares
    orders exactly where Redis's are defined)."""
    if rep[:1] in (b"*", b"~"):
        return (rep[:1], sorted(diff_set.parse(rep)))
    return rep


def key_events(msgs):
    """Notifications grouped by key, in arrival order within a key (each
    key lives on one worker; across workers the order is not defined)."""
    out = {}
    for m in msgs:
        v = diff_set.parse(m)
        chan, payload = v[2].decode(), v[3].decode()
        if chan.startswith("__keyspace@0__:"):
            out.setdefault(chan[len("__keyspace@0__:"):], []).append(("K", payload))
        else:
            out.setdefault(payload, []).append(("E", chan[len("__keyevent@0__:"):]))
    return out


def drain(sub, quiet=0.3, limit=5.0):
    msgs = []
    end = time.monotonic() + limit
    while time.monotonic() < end:
        sub.sock.settimeout(quiet)
        try:
            msgs.append(sub.reply())
        except Exception:
            break
    sub.sock.settimeout(10)
    return msgs


def cmd_stats(conn):
    """calls/failed_calls of the set commands, and the keyspace hit and
    miss counters, from INFO."""
    info = diff_set.parse(conn.cmd("INFO", "commandstats")).decode()
    stats = {}
    for line in info.split("\r\n"):
        name = line.split(":")[0]
        if name[len("cmdstat_"):] in SET_CMDS:
            f = dict(kv.split("=") for kv in line.split(":", 1)[1].split(","))
            stats[name] = (f["calls"], f["failed_calls"], f["rejected_calls"])
    info = diff_set.parse(conn.cmd("INFO", "stats")).decode()
    for line in info.split("\r\n"):
        if line.startswith("keyspace_"):
            k, v = line.split(":")
            stats[k] = v
    return stats


def test_set_commands(srv, one, red):
    """SET_CASES with the keys on both workers, on the three servers."""
    names = diff_set.cross_worker_keys("tx")
    t.check(len(set(diff_set.worker_of(names[k]) for k in (A, B))) == 2, "A and B on different workers")
    servers = (("2 workers", srv), ("1 worker", one), ("redis", red))
    conns = [s.raw() for _, s in servers]
    subs = []
    try:
        for c in conns:
            c.cmd("FLUSHALL")
            c.cmd("CONFIG", "SET", "notify-keyspace-events", "KEA")
            c.cmd("CONFIG", "RESETSTAT")
        for _, s in servers:
            sub = s.raw()
            sub.send(H.encode("PSUBSCRIBE", "__key*__:*"))
            sub.reply()
            subs.append(sub)
        for cmd in diff_set.remap(SET_CASES, names):
            reps = [c.cmd(*cmd) for c in conns]
            if cmd[0] == "HELLO":  # server details differ: compare the reply type
                t.eq([r[:1] for r in reps], [reps[2][:1]] * 3, "HELLO %s" % cmd[1])
                continue
            label = " ".join(cmd)[:80]
            t.check(b"not supported" not in reps[0], "%s: runs across workers" % label)
            t.eq(canon(reps[0]), canon(reps[2]), "%s: 2 workers vs redis-server" % label)
            t.eq(canon(reps[0]), canon(reps[1]), "%s: 2 workers vs 1 worker" % label)
        events = [key_events(drain(sub)) for sub in subs]
        t.check(len(events[2]) >= 6, "redis-server sent notifications for %d keys" % len(events[2]))
        t.eq(events[0], events[2], "notifications per key: 2 workers vs redis-server")
        t.eq(events[0], events[1], "notifications per key: 2 workers vs 1 worker")
        stats = [cmd_stats(c) for c in conns]
        t.check(int(stats[2].get("keyspace_hits", 0)) > 50, "redis-server counted hits: %r" % stats[2])
        t.eq(stats[0], stats[2], "keyspace hits/misses and commandstats: 2 workers vs redis-server")
        t.eq(stats[0], stats[1], "keyspace hits/misses and commandstats: 2 workers vs 1 worker")
    finally:
        for c in conns:
            c.cmd("CONFIG", "SET", "notify-keyspace-events", "")
            c.close()
        for sub in subs:
            sub.close()


def test_set_diff_vs_one_worker(srv, one):
    """diff_set's fixed cases and a random seed (RESP2 and RESP3) on keys
    spread over both workers, compared with the 1-worker Tessera (same key
    names, all on its one worker) reply by reply, in order where Redis's
    order is defined (intsets), encodings after every write."""
    names = diff_set.cross_worker_keys()
    keys = [names[k] for k in diff_set.K]
    diff_set.run_list(t, srv, one, diff_set.remap(diff_set.fixed_cases(), names), "fixed vs 1 worker", keys)
    n = int(os.environ.get("DIFF_SET_N", "600"))
    diff_set.run_list(t, srv, one, diff_set.remap(diff_set.gen(5, n), names), "seed 5 vs 1 worker", keys)
    cmds = [["HELLO", "3"]] + diff_set.gen(6, n) + [["HELLO", "2"]]
    diff_set.run_list(t, srv, one, diff_set.remap(cmds, names), "seed 6 resp3 vs 1 worker", keys)


def test_set_pipeline_order(srv):
    """Cross-worker set commands (one and two phases) pipelined between
    single-key ones: each reply is what a serial execution gives."""
    r = srv.client(decode_responses=True)
    (a, b), (c, d) = two_workers_keys(r, "sp", 2)
    r.delete(a, b, c, d)
    p = r.pipeline(transaction=False)
    p.sadd(a, 1, 2, 3)
    p.sadd(b, 3, 4)
    p.sunionstore(c, a, b)
    p.scard(c)
    p.smove(a, b, 1)
    p.sismember(b, 1)
    p.sinter(a, b)
    p.sdiffstore(d, c, b)
    p.smembers(d)
    p.smove(d, a, 2)
    p.exists(d)
    p.sadd(d, "x")
    p.execute_command("SINTERCARD", "2", a, c)
    p.sunion(a, d)
    got = p.execute()
    t.eq(got, [3, 2, 4, 4, True, 1, {"3"}, 1, {"2"}, True, 0, 1, 2, {"2", "3", "x"}], "pipelined replies in order")


def test_smove_concurrent(srv):
    """Members bounce between two sets on different workers under
    concurrent SMOVEs; readers never see a member in both or in neither."""
    r = srv.client(decode_responses=True)
    (a, b), = two_workers_keys(r, "mv", 1)
    (snap, _), = two_workers_keys(r, "snap", 1)
    members = ["m%d" % i for i in range(8)] + [str(i) for i in range(8)]
    full = set(members)
    r.delete(a, b, snap)
    r.sadd(a, *members)
    stop = time.monotonic() + DURATION
    bad, moves, reads = [], [0], [0]

    def mover(seed):
        c = srv.client(decode_responses=True)
        i = seed
        while time.monotonic() < stop:
            m = members[i % len(members)]
            i += 7
            src, dst = (a, b) if (i // 3) % 2 else (b, a)
            got = c.smove(src, dst, m)
            moves[0] += bool(got)

    def checker():
        c = srv.client(decode_responses=True)
        while time.monotonic() < stop:
            u = c.sunion(a, b)
            if u != full:
                bad.append("SUNION missing %r" % sorted(full - u))
            i = c.sinter(a, b)
            if i:
                bad.append("SINTER %r" % sorted(i))
            n = c.execute_command("SINTERCARD", "2", a, b)
            if n != 0:
                bad.append("SINTERCARD %d" % n)
            c.sunionstore(snap, a, b)
            if c.scard(snap) != len(full):
                bad.append("SUNIONSTORE stored %d" % c.scard(snap))
            reads[0] += 1

    def single_key_reader():
        c = srv.client(decode_responses=True)
        while time.monotonic() < stop:
            na, nb = c.scard(a), c.scard(b)
            m = members[reads[0] % len(members)]
            ia, ib = c.sismember(a, m), c.sismember(b, m)
            if not (0 <= na <= len(full) and 0 <= nb <= len(full)) or ia not in (0, 1) or ib not in (0, 1):
                bad.append("single-key reads %r" % ((na, nb, ia, ib),))

    th = [threading.Thread(target=mover, args=(i,)) for i in range(4)] + \
         [threading.Thread(target=checker) for _ in range(2)] + [threading.Thread(target=single_key_reader)]
    for x in th:
        x.start()
    for x in th:
        x.join(DURATION + 30)
    t.check(not any(x.is_alive() for x in th), "every client finished (no deadlock)")
    t.eq(bad[:3], [], "each member in exactly one set at every read (%d checks, %d moves)" % (reads[0], moves[0]))
    t.check(moves[0] > 10 and reads[0] > 5, "enough traffic: %d moves, %d checks" % (moves[0], reads[0]))
    print("      %d SMOVEs moved a member, %d rounds of checks" % (moves[0], reads[0]))
    sa, sb = r.smembers(a), r.smembers(b)
    t.eq((sa | sb, sa & sb), (full, set()), "at the end: all members, none twice")
    t.eq(r.scard(a) + r.scard(b), len(full), "SCARD of both adds up")


def main():
    srv = H.tessera(PORT, threads=2)
    one = red = None
    try:
        t.run(test_atomic_mset, srv)
        t.run(test_single_key_reads, srv)
        t.run(test_atomic_rename, srv)
        t.run(test_commandstats, srv)
        t.run(test_pipeline_order, srv)
        one = H.tessera(PORT_1W, threads=1)
        red = H.redis_server(PORT_R)
        t.run(test_set_commands, srv, one, red)
        t.run(test_set_diff_vs_one_worker, srv, one)
        t.run(test_set_pipeline_order, srv)
        t.run(test_smove_concurrent, srv)
    finally:
        for s in (srv, one, red):
            if s:
                s.stop()
    t.server_checks(*[s for s in (srv, one) if s])
    t.finish()


if __name__ == "__main__":
    main()
