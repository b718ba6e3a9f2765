#!/usr/bin/python3
"""test_multi.py: MULTI / EXEC / DISCARD / WATCH / UNWATCH.

  * Differential, raw bytes against redis-server 7.0 (RESP2 and RESP3):
    queuing, +QUEUED, errors that abort (EXECABORT) and errors that do
    not, nesting, WATCH inside MULTI, EXEC/DISCARD without MULTI, WATCH
    broken by another client's write, by a RENAME onto the key, by expiry,
    by FLUSHALL, and not broken by writes to other keys, nor by the
    deletion of a key that had already expired when watched; UNWATCH;
    RESET.
  * Bank transfers between accounts on different workers (2 workers,
    standalone): clients move amounts with MULTI/EXEC and with WATCH
    retries; the total stays exact, and readers using MULTI or MGET never
    see half a transfer.
  * Cluster mode: keys of one transaction in different slots -> CROSSSLOT
    at EXEC, as Redis.
Ports: 22500 (Tessera), 22510 (redis-server), 22520 (cluster node, bus 22570).
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
import redis  # noqa: E402

PORT_T = H.port(22500)
PORT_R = H.port(22510)
PORT_C = H.port(22520)
t = H.Runner("test_multi")

SCRIPT = [
    ["MULTI"], ["SET", "a", "1"], ["INCR", "a"], ["GET", "a"], ["PING"], ["EXEC"],
    ["EXEC"], ["DISCARD"], ["MULTI"], ["MULTI"], ["WATCH", "x"], ["SET", "a", "2"], ["EXEC"],
    ["MULTI"], ["NOSUCH"], ["SET", "a", "3"], ["EXEC"], ["GET", "a"],
    ["MULTI"], ["SET", "a"], ["EXEC"],
    ["MULTI"], ["SET", "s", "str"], ["SADD", "s", "x"], ["INCR", "s"], ["SET", "s", "ok"], ["EXEC"], ["GET", "s"],
    ["MULTI"], ["SET", "d", "1"], ["DISCARD"], ["GET", "d"],
    ["MULTI"], ["SET", "{t}1", "x"], ["SET", "{t}2", "y"], ["MGET", "{t}1", "{t}2"], ["DEL", "{t}1"], ["EXEC"],
    ["MULTI"], ["EXEC"],
    ["WATCH", "w1", "w2"], ["MULTI"], ["SET", "w1", "mine"], ["EXEC"], ["GET", "w1"],
    ["WATCH", "w1"], ["UNWATCH"], ["MULTI"], ["GET", "w1"], ["EXEC"],
    ["MULTI"], ["SET", "e", "1"], ["EXPIRE", "e", "100"], ["TTL", "e"], ["PERSIST", "e"], ["TTL", "e"], ["EXEC"],
    ["MULTI"], ["SADD", "st", "1", "2"], ["SMEMBERS", "st"], ["SCARD", "st"], ["EXEC"],
    ["MULTI"], ["RESET"], ["EXEC"],
    # the empty key watched, with nothing else in the transaction's key list
    ["WATCH", ""], ["MULTI"], ["EXEC"], ["WATCH", ""], ["MULTI"], ["GET", ""], ["EXEC"],
]


def run_script(tes, red):
    for cmd in SCRIPT:
        rt, rr = tes.cmd(*cmd), red.cmd(*cmd)
        if cmd[0] == "HELLO":
            continue  # server identity differs; the protocol switch is what matters
        t.eq(rt, rr, "reply to %r" % (cmd,))


def watch_broken_by(tes, red, setup, breaker, key="wk"):
    """WATCH key on one connection, run breaker on another, then EXEC."""
    out = []
    for port in (PORT_T, PORT_R):
        with H.RawConn(port) as a, H.RawConn(port) as b:
            a.cmd("FLUSHALL")
            for c in setup:
                if c == "sleep":
                    time.sleep(0.15)
                else:
                    a.cmd(*c)
            a.cmd("WATCH", key)
            for c in breaker:
                if c == "sleep":
                    time.sleep(0.15)
                else:
                    b.cmd(*c)
            a.cmd("MULTI")
            a.cmd("SET", "marker", "1")
            out.append(a.cmd("EXEC"))
    return out


NO_ACTIVE = ["DEBUG", "SET-ACTIVE-EXPIRE", "0"]


def test_differential(tes, red):
    run_script(tes, red)
    cases = [
        ("write by another client", [["SET", "wk", "1"]], [["SET", "wk", "2"]]),
        ("write to another key", [["SET", "wk", "1"]], [["SET", "other", "2"]]),
        ("DEL", [["SET", "wk", "1"]], [["DEL", "wk"]]),
        ("RENAME onto it", [["SET", "wk", "1"], ["SET", "{wk}x", "2"]], [["RENAME", "{wk}x", "wk"]]),
        ("EXPIRE", [["SET", "wk", "1"]], [["EXPIRE", "wk", "100"]]),
        ("expiry", [["SET", "wk", "1", "PX", "50"]], ["sleep"]),
        ("FLUSHALL", [["SET", "wk", "1"]], [["FLUSHALL"]]),
        ("FLUSHALL of a missing key", [], [["FLUSHALL"]]),
        ("created by another client", [], [["SET", "wk", "1"]]),
        ("SADD", [["SADD", "wk", "a"]], [["SADD", "wk", "b"]]),
        ("SADD of an existing member", [["SADD", "wk", "a"]], [["SADD", "wk", "a"]]),
        # a key already expired when watched reads as missing: its deletion
        # (by a read, or FLUSHALL) changes nothing; a write after it does
        # (active expiry off, so the key is still there when watched)
        ("expired before WATCH, read", [NO_ACTIVE, ["SET", "wk", "1", "PX", "50"], "sleep"], [["GET", "wk"]]),
        ("expired before WATCH, FLUSHALL", [NO_ACTIVE, ["SET", "wk", "1", "PX", "50"], "sleep"], [["FLUSHALL"]]),
        ("expired before WATCH, read, then SET", [NO_ACTIVE, ["SET", "wk", "1", "PX", "50"], "sleep"],
         [["GET", "wk"], ["SET", "wk", "2"]]),
        ("expired before WATCH, SET", [NO_ACTIVE, ["SET", "wk", "1", "PX", "50"], "sleep"], [["SET", "wk", "2"]]),
    ]
    for name, setup, breaker in cases:
        rt, rr = watch_broken_by(tes, red, setup, breaker)
        t.eq(rt, rr, "EXEC after WATCH and %s" % name)
        if name.startswith("expired before WATCH"):
            t.eq(rt[:1], b"*", "EXEC after WATCH and %s: a reply" % name)
    for c in (tes, red):
        c.cmd("DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_resp3(tes, red):
    for port_conn in (tes, red):
        port_conn.cmd("HELLO", "3")
    for cmd in (["MULTI"], ["SET", "r3", "1"], ["GET", "r3"], ["EXEC"], ["WATCH", "r3"], ["SET", "r3", "2"],
                ["MULTI"], ["GET", "r3"], ["EXEC"]):
        t.eq(tes.cmd(*cmd), red.cmd(*cmd), "RESP3 %r" % (cmd,))
    for port_conn in (tes, red):
        port_conn.cmd("HELLO", "2")


def pairs_on_two_workers(n):
    out, i = [], 0
    while len(out) < n:
        a, b = "acct:a%d" % i, "acct:b%d" % i
        if (H.crc16(a.encode()) % 16384 < 8192) != (H.crc16(b.encode()) % 16384 < 8192):
            out.append((a, b))
        i += 1
    return out


def test_bank(srv):
    r = srv.client(decode_responses=True)
    r.flushall()
    accts = [k for pair in pairs_on_two_workers(3) for k in pair]
    for k in accts:
        r.set(k, 1000)
    total = 1000 * len(accts)
    stop = time.monotonic() + 4.0
    bad, done, retries = [], [0, 0], [0]

    def multi_mover(seed):
        c = srv.client(decode_responses=True)
        i = seed
        while time.monotonic() < stop:
            a, b = accts[i % len(accts)], accts[(i * 7 + 3) % len(accts)]
            i += 1
            if a == b:
                continue
            p = c.pipeline(transaction=True)
            p.decrby(a, 3)
            p.incrby(b, 3)
            p.execute()
            done[0] += 1

    def watch_mover(seed):
        c = srv.client(decode_responses=True)
        i = seed
        while time.monotonic() < stop:
            a, b = accts[i % len(accts)], accts[(i * 5 + 1) % len(accts)]
            i += 1
            if a == b:
                continue
            with c.pipeline(transaction=True) as p:
                while time.monotonic() < stop:
                    try:
                        p.watch(a, b)
                        va, vb = int(p.get(a)), int(p.get(b))
                        amount = min(va, 5)
                        p.multi()
                        p.set(a, va - amount)
                        p.set(b, vb + amount)
                        p.execute()
                        done[1] += 1
                        break
                    except redis.WatchError:
                        retries[0] += 1
                        continue

    def reader():
        c = srv.client(decode_responses=True)
        while time.monotonic() < stop:
            p = c.pipeline(transaction=True)
            for k in accts:
                p.get(k)
            s1 = sum(int(v) for v in p.execute())
            s2 = sum(int(v) for v in c.mget(accts))
            if s1 != total or s2 != total:
                bad.append((s1, s2))

    th = [threading.Thread(target=multi_mover, args=(i,)) for i in range(2)] + \
         [threading.Thread(target=watch_mover, args=(i,)) for i in range(2)] + \
         [threading.Thread(target=reader) for _ in range(2)]
    for x in th:
        x.start()
    for x in th:
        x.join(40)
    t.check(not any(x.is_alive() for x in th), "every client finished (no deadlock)")
    t.eq(bad[:3], [], "readers always see the exact total")
    t.eq(sum(int(v) for v in r.mget(accts)), total, "the total is exact at the end")
    t.check(done[0] > 10 and done[1] > 5, "transfers done: %d MULTI, %d WATCH (%d retries)" %
            (done[0], done[1], retries[0]))
    t.check(r.info("commandstats").get("cmdstat_exec", {}).get("calls", 0) >= done[0] + done[1],
            "EXEC counted in commandstats")


def test_cluster_crossslot():
    node = H.tessera(PORT_C, threads=2, extra=["--cluster-enabled", "yes", "--cluster-config-file",
                                              "nodes-%d.conf" % PORT_C, "--cluster-port", str(PORT_C + 50)])
    try:
        c = node.raw()
        c.cmd("CLUSTER", "ADDSLOTSRANGE", "0", "16383")
        H.wait_for(lambda: b"cluster_state:ok" in node.raw().cmd("CLUSTER", "INFO"), 10)
        for cmd in (["MULTI"], ["SET", "a", "1"], ["SET", "b", "1"]):
            c.cmd(*cmd)
        t.eq(c.cmd("EXEC"), b"-CROSSSLOT Keys in request don't hash to the same slot\r\n", "EXEC across slots")
        t.eq(c.cmd("EXEC"), b"-ERR EXEC without MULTI\r\n", "the transaction was discarded")
        for cmd in (["MULTI"], ["SET", "{u}a", "1"], ["INCR", "{u}b"]):
            c.cmd(*cmd)
        t.eq(c.cmd("EXEC"), b"*2\r\n+OK\r\n:1\r\n", "EXEC within one slot")
    finally:
        node.stop()
    t.server_checks(node)


def main():
    tes = H.tessera(PORT_T, threads=2, extra=["--enable-debug-command", "yes"] if H.is_dry_run() else [])
    red = H.redis_server(PORT_R, extra=["--enable-debug-command", "yes"])
    try:
        with H.RawConn(PORT_T) as ct, H.RawConn(PORT_R) as cr:
            t.run(test_differential, ct, cr)
            t.run(test_resp3, ct, cr)
        t.run(test_bank, tes)
    finally:
        tes.stop()
        red.stop()
    t.server_checks(tes, red)
    t.run(test_cluster_crossslot)
    t.finish()


if __name__ == "__main__":
    main()
