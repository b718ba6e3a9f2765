#!/usr/bin/python3
"""test_notify.py: keyspace notifications (notify-keyspace-events), raw
bytes against redis-server 7.0.

  * CONFIG SET/GET notify-keyspace-events: every class letter, Redis's
    canonical form, the error for an unknown letter.
  * The same command sequence is sent to a 2-worker Tessera and to
    redis-server, each with a subscriber connection (PSUBSCRIBE
    __key*__:*) on its own socket; every message the subscriber gets is
    compared in order (channel, pattern and payload), for several class
    settings, with keys spread over both workers.
  * Lazy and active expiry send "expired"; "new" (class n) on creation;
    "keymiss" (class m) on reads of missing keys;
    a write over a key that expired first expires it (SET, MSET); a
    RENAME/COPY with a missing source and an MSETNX that stops early do
    not expire the keys Redis does not look at; SCAN deletes the expired
    keys it meets.
Ports: 22400 (Tessera), 22410 (redis-server).
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

PORT_T = H.port(22400)
PORT_R = H.port(22410)
t = H.Runner("test_notify")

# Keys: enough of them that both workers own some. The keys of one
# multi-key command share a hash tag: across workers the parts run
# concurrently, so only the set of their notifications is comparable
# (test_cross_worker).
SEQ = [
    ["SET", "{k}1", "v"], ["SET", "{k}2", "v", "EX", "100"], ["SET", "k3", "v", "PX", "100000"],
    ["SETNX", "{k}1", "x"], ["SETNX", "k4", "x"], ["GETSET", "k4", "y"], ["SETEX", "k5", "100", "v"],
    ["PSETEX", "k6", "100000", "v"], ["APPEND", "{k}1", "more"], ["APPEND", "k7", "new"],
    ["SETRANGE", "k7", "10", "x"], ["INCR", "n1"], ["INCRBY", "n1", "5"], ["DECR", "n1"],
    ["DECRBY", "n2", "3"], ["INCRBYFLOAT", "f1", "1.5"], ["MSET", "{m}1", "a", "{m}2", "b", "{m}3", "c"],
    ["MSETNX", "{m}4", "a", "{m}5", "b"], ["GETDEL", "{m}4"], ["GETEX", "{m}1", "EX", "100"],
    ["GETEX", "{m}1", "PERSIST"], ["GETEX", "{m}2", "PXAT", "1"], ["EXPIRE", "{m}3", "100"],
    ["PEXPIRE", "{m}3", "100000"], ["EXPIREAT", "{m}3", "9999999999"], ["PERSIST", "{m}3"],
    ["PERSIST", "{m}3"], ["EXPIRE", "{m}5", "0"], ["DEL", "{k}1", "{k}2", "{k}nokey"], ["UNLINK", "k3"],
    ["SET", "{r}1", "v"], ["RENAME", "{r}1", "{r}2"], ["RENAMENX", "{r}2", "{r}3"], ["SET", "{r}4", "v"],
    ["RENAMENX", "{r}3", "{r}4"], ["COPY", "{r}3", "{r}5"], ["COPY", "{r}3", "{r}4", "REPLACE"],
    ["SET", "{t}a", "1"], ["RENAME", "{t}a", "{t}b"], ["GET", "{k}nokey"], ["SET", "k8", "v", "NX", "GET"],
    ["SET", "k8", "w", "XX", "KEEPTTL"], ["DEL", "k8"],
    # reads of missing keys: "keymiss" (class m), except OBJECT
    ["EXISTS", "{k}nokey", "{k}1"], ["TYPE", "nk1"], ["OBJECT", "ENCODING", "nk2"], ["TTL", "nk3"],
    ["MGET", "{m}1", "{m}nokey"], ["HGET", "nk4", "f"], ["SCARD", "nk5"], ["SINTER", "{m}nA", "{m}nB"],
    ["STRLEN", "nk6"], ["COPY", "nk7", "nk8"], ["GETDEL", "nk9"], ["SET", "nk10", "v", "GET"], ["INCR", "nk11"],
    ["SMEMBERS", "nk12"], ["HGETALL", "nk13"], ["TOUCH", "nk14"],
]


def configure(conns, value):
    for c in conns:
        r = c.cmd("CONFIG", "SET", "notify-keyspace-events", value)
        t.eq(r, b"+OK\r\n", "CONFIG SET notify-keyspace-events %s" % value)


def drain(sub, quiet=0.3, limit=5.0):
    """Every message the subscriber has, until it has been quiet a while."""
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


def run_sequence(tes, red, value, seq):
    subs = []
    for port in (PORT_T, PORT_R):
        s = H.RawConn(port)
        s.send(H.encode("PSUBSCRIBE", "__key*__:*"))
        s.reply()
        subs.append(s)
    configure((tes, red), value)
    for cmd in seq:
        rt, rr = tes.cmd(*cmd), red.cmd(*cmd)
        t.eq(rt, rr, "reply to %r" % (cmd,))
    got_t, got_r = drain(subs[0]), drain(subs[1])
    t.check(len(got_r) > 0 or value in ("", "K", "E"), "redis-server sent notifications for %r" % value)
    if got_t != got_r:
        i = next((i for i, (a, b) in enumerate(zip(got_t, got_r)) if a != b), min(len(got_t), len(got_r)))
        t.fail("notifications for classes %r differ at #%d of %d/%d: tessera %r, redis %r" %
               (value, i, len(got_t), len(got_r), got_t[i:i + 2], got_r[i:i + 2]))
    else:
        t.eq(got_t, got_r, "notifications for classes %r" % value)
    for s in subs:
        s.close()
    tes.cmd("FLUSHALL")
    red.cmd("FLUSHALL")


def test_config(tes, red):
    for v in ["", "KEA", "An", "Kn", "Em", "K$lshzxetd", "KEg$lshzxetd", "Ex", "Kgm", "A", "gKE", "KEAm"]:
        rt = tes.cmd("CONFIG", "SET", "notify-keyspace-events", v)
        rr = red.cmd("CONFIG", "SET", "notify-keyspace-events", v)
        t.eq(rt, rr, "CONFIG SET %r" % v)
        t.eq(tes.cmd("CONFIG", "GET", "notify-keyspace-events"), red.cmd("CONFIG", "GET", "notify-keyspace-events"),
             "CONFIG GET after %r" % v)
    for bad in ["Kq", "K E", "1"]:
        rt = tes.cmd("CONFIG", "SET", "notify-keyspace-events", bad)
        rr = red.cmd("CONFIG", "SET", "notify-keyspace-events", bad)
        t.eq(rt, rr, "CONFIG SET bad value %r" % bad)
    configure((tes, red), "")


def test_sequences(tes, red):
    for value in ["KEA", "K$", "Eg", "KEgx", "KEA", "KEAn", "E$n", "KEAm", "Km", "Em", ""]:
        run_sequence(tes, red, value, SEQ)


def test_cross_worker(tes, red):
    """MSET/DEL over keys of both workers: the same notifications; their
    order across workers is not defined (the parts run in parallel)."""
    subs = []
    for port in (PORT_T, PORT_R):
        s = H.RawConn(port)
        s.send(H.encode("PSUBSCRIBE", "__key*__:*"))
        s.reply()
        subs.append(s)
    configure((tes, red), "KEA")
    keys = ["x%d" % i for i in range(12)]
    for cmd in (["MSET"] + [a for k in keys for a in (k, "v")], ["DEL"] + keys + ["nokey"]):
        t.eq(tes.cmd(*cmd), red.cmd(*cmd), "reply to %s" % cmd[0])
    got_t, got_r = drain(subs[0]), drain(subs[1])
    t.eq(len(got_t), 48, "12 keys x (set + del) x (keyspace + keyevent)")
    t.eq(sorted(got_t), sorted(got_r), "the same notifications")
    for s in subs:
        s.close()
    configure((tes, red), "")


def test_expired(tes, red):
    """Lazy (on access) and active expiry both send "expired"."""
    subs = []
    for port in (PORT_T, PORT_R):
        s = H.RawConn(port)
        s.send(H.encode("SUBSCRIBE", "__keyevent@0__:expired"))
        s.reply()
        subs.append(s)
    configure((tes, red), "Ex")
    for c in (tes, red):
        c.cmd("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        c.cmd("SET", "lazy1", "v", "PX", "30")
    time.sleep(0.1)
    t.eq(tes.cmd("GET", "lazy1"), red.cmd("GET", "lazy1"), "GET of an expired key")
    got_t, got_r = drain(subs[0]), drain(subs[1])
    t.eq(got_t, got_r, "lazy expiry notification")
    t.check(len(got_t) == 1, "one expired message for lazy1: %r" % (got_t,))
    for c in (tes, red):
        c.cmd("DEBUG", "SET-ACTIVE-EXPIRE", "1")
        for i in range(20):
            c.cmd("SET", "active%d" % i, "v", "PX", "20")
    ok = H.wait_for(lambda: tes.cmd("DBSIZE") == b":0\r\n" and red.cmd("DBSIZE") == b":0\r\n", 10)
    t.check(ok, "active expiry emptied both servers")
    got_t, got_r = drain(subs[0]), drain(subs[1])
    t.eq(sorted(map(repr, got_t)), sorted(map(repr, got_r)), "active expiry notifications (any order)")
    t.eq(len(got_t), 20, "20 expired messages")
    for s in subs:
        s.close()
    configure((tes, red), "")


def test_write_over_expired(tes, red):
    """A write to a key that has expired but is still stored (active
    expiry off) first expires it, as Redis's lookupKeyWrite does:
    "expired", then "new" and the write's own event; SET KEEPTTL keeps no
    TTL of the dead key. Plain SET (its fast path) and MSET included."""
    subs = []
    for port in (PORT_T, PORT_R):
        s = H.RawConn(port)
        s.send(H.encode("PSUBSCRIBE", "__key*__:*"))
        s.reply()
        subs.append(s)
    configure((tes, red), "KEAn")
    for c in (tes, red):
        c.cmd("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        for k in ("{w}1", "{w}2", "{w}3", "w4", "w5"):
            c.cmd("SET", k, "old", "PX", "1")
    time.sleep(0.05)
    for cmd in (["SET", "{w}1", "v"], ["MSET", "{w}2", "a", "{w}3", "b"], ["SET", "w4", "v", "KEEPTTL"],
                ["TTL", "w4"], ["SET", "w5", "v", "XX"], ["EXISTS", "w5"]):
        t.eq(tes.cmd(*cmd), red.cmd(*cmd), "reply to %r" % (cmd,))
    got_t, got_r = drain(subs[0]), drain(subs[1])
    t.eq(got_t, got_r, "notifications of writes over expired keys")
    t.check(sum(b"expired" in m for m in got_r) == 10, "5 keys expired (keyspace + keyevent)")
    for c in (tes, red):
        c.cmd("DEBUG", "SET-ACTIVE-EXPIRE", "1")
    for s in subs:
        s.close()
    configure((tes, red), "")


def test_lookup_order_and_expiry(tes, red):
    """Which keys a command looks up decides which expired keys it
    deletes (and notifies): RENAME / RENAMENX / COPY with a missing source
    never look at the destination; MSETNX stops at the first existing key.
    Same worker and across workers (notifications of different workers
    compared as a multiset, as test_cross_worker)."""
    subs = []
    for port in (PORT_T, PORT_R):
        s = H.RawConn(port)
        s.send(H.encode("PSUBSCRIBE", "__key*__:*"))
        s.reply()
        subs.append(s)
    configure((tes, red), "KEA")
    dead = ["{d}1", "{d}2", "x1", "x2", "x4", "y1", "k1"]  # x1 x4: one worker; x2 y1 k1... the other
    for c in (tes, red):
        c.cmd("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        for k in dead:
            c.cmd("SET", k, "old", "PX", "1")
        c.cmd("SET", "x3", "live")
    time.sleep(0.05)
    drain(subs[0]), drain(subs[1])
    for cmd in (["RENAME", "{d}none", "{d}1"], ["RENAMENX", "{d}none", "{d}1"], ["COPY", "{d}none", "{d}1"],
                ["RENAME", "nosuch", "k1"], ["RENAMENX", "nosuch", "k1"], ["COPY", "nosuch", "k1"],
                ["DBSIZE"], ["MSETNX", "x1", "a", "y1", "b", "x3", "c", "x2", "d", "x4", "e"], ["DBSIZE"]):
        t.eq(tes.cmd(*cmd), red.cmd(*cmd), "reply to %r" % (cmd,))
    got_t, got_r = drain(subs[0]), drain(subs[1])
    t.eq(sorted(got_t), sorted(got_r), "only x1 and y1 expired (looked up before x3)")
    t.eq(len(got_r), 4, "redis-server: x1, y1 expired")
    for c in (tes, red):
        c.cmd("DEBUG", "SET-ACTIVE-EXPIRE", "1")
        c.cmd("FLUSHALL")
    for s in subs:
        s.close()
    configure((tes, red), "")


def scan_all(c, *opts):
    keys, cursor = set(), b"0"
    for _ in range(10000):
        rep = c.cmd("SCAN", cursor.decode(), *opts)
        lines = rep.split(b"\r\n")
        cursor = lines[2]
        n = int(lines[3][1:])  # *2, $len, cursor, *n, then n times $len, key
        keys.update(lines[5:5 + 2 * n:2])
        if cursor == b"0":
            break
    return sorted(keys)


def test_scan_deletes_expired(tes, red):
    """SCAN deletes the expired keys it meets that pass MATCH, as Redis's
    scanGenericCommand does ("expired"); with TYPE the key is looked up
    first, so a miss and "keymiss" too. A whole iteration on each server
    (its own cursor and order): the same keys, the same events as a
    multiset, the same DBSIZE after."""
    subs = []
    for port in (PORT_T, PORT_R):
        s = H.RawConn(port)
        s.send(H.encode("PSUBSCRIBE", "__key*__:*"))
        s.reply()
        subs.append(s)
    configure((tes, red), "KEAm")
    for c in (tes, red):
        c.cmd("FLUSHALL")
        c.cmd("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        for i in range(20):
            c.cmd("SET", "sc:%d" % i, "v", "PX", "1" if i % 3 == 0 else "100000000")
            c.cmd("SET", "other:%d" % i, "v", "PX", "1" if i % 2 == 0 else "100000000")
        c.cmd("HSET", "sc:h", "f", "v")
    time.sleep(0.05)
    drain(subs[0]), drain(subs[1])
    for opts in (["MATCH", "sc:*", "COUNT", "3"], ["TYPE", "hash"], []):
        t.eq(scan_all(tes, *opts), scan_all(red, *opts), "SCAN %r: the keys" % (opts,))
        got_t, got_r = drain(subs[0]), drain(subs[1])
        t.eq(sorted(got_t), sorted(got_r), "SCAN %r: the events of the expired keys it deleted" % (opts,))
        t.eq(tes.cmd("DBSIZE"), red.cmd("DBSIZE"), "SCAN %r: DBSIZE after" % (opts,))
    for c in (tes, red):
        c.cmd("DEBUG", "SET-ACTIVE-EXPIRE", "1")
        c.cmd("FLUSHALL")
    for s in subs:
        s.close()
    configure((tes, red), "")


def main():
    tes = H.tessera(PORT_T, threads=2, extra=["--enable-debug-command", "yes"] if H.is_dry_run() else [])
    red = H.redis_server(PORT_R, extra=["--enable-debug-command", "yes"])
    try:
        with H.RawConn(PORT_T) as ct, H.RawConn(PORT_R) as cr:
            t.run(test_config, ct, cr)
            t.run(test_sequences, ct, cr)
            t.run(test_cross_worker, ct, cr)
            t.run(test_expired, ct, cr)
            t.run(test_write_over_expired, ct, cr)
            t.run(test_lookup_order_and_expiry, ct, cr)
            t.run(test_scan_deletes_expired, ct, cr)
    finally:
        tes.stop()
        red.stop()
    t.server_checks(tes, red)
    t.finish()


if __name__ == "__main__":
    main()
