#!/usr/bin/python3
"""test_maxmemory.py: maxmemory, the eviction policies and the memory
figures (issue 10, points 1-3).

  * noeviction: a denyoom command past the limit gets Redis's -OOM, byte
    for byte against redis-server 7.0 (also inside MULTI, and EXEC then
    aborts); reads and DEL still work; nothing is evicted.
  * volatile-* with no volatile key behaves as noeviction (-OOM, as
    redis-server), for each of the four policies.
  * allkeys-lru with 1 and with 2 workers: loadgen writes 15x the limit in
    distinct keys with 0 errors; used_memory (sampled while it runs) and
    RSS stay near the limit; keys were evicted.
  * volatile-ttl evicts the soonest-expiring keys first and no key
    without a TTL.
  * an eviction sends "evicted" keyspace notifications (one per
    INFO evicted_keys) and breaks a WATCH on the evicted key.
  * MEMORY USAGE [SAMPLES n], MEMORY STATS (Redis's field names, against
    redis-server), INFO maxmemory_human / maxmemory_policy / evicted_keys.
Ports: 23500-23549 (servers), cluster-port 23550-23599.
"""
import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

PORT_T = H.port(23500)
PORT_R = H.port(23510)
CPORT = H.port(23550)
LOADGEN = os.environ.get("LOADGEN") or os.path.join(os.path.dirname(os.path.abspath(H.TESSERA)), "loadgen")
OOM = b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"
MB = 1024 * 1024
t = H.Runner("test_maxmemory")


def info(c, section="memory"):
    raw = c.cmd("INFO", section)
    body = raw[raw.index(b"\r\n") + 2:]
    out = {}
    for line in body.decode().split("\r\n"):
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            out[k] = v
    return out


def tess(port_off, threads, extra=()):
    return H.tessera(PORT_T + port_off, threads=threads,
                     extra=["--cluster-port", str(CPORT + port_off)] + list(extra))


# ---- noeviction and volatile-* without volatile keys, against Redis ----

def noeviction_sequence(c):
    """Raw replies of a fixed sequence past the limit."""
    out = []
    for i in range(20):
        c.cmd("SET", "k%d" % i, "v" * 100)
    c.cmd("CONFIG", "SET", "maxmemory", "1")
    for cmd in (["SET", "new", "v"], ["GET", "k1"], ["INCR", "n"], ["APPEND", "k2", "x"],
                ["SADD", "s", "m"], ["HSET", "h", "f", "v"], ["EXISTS", "k3"], ["DEL", "k1"],
                ["GET", "k1"], ["DBSIZE"], ["MULTI"], ["SET", "q", "1"], ["GET", "k4"], ["EXEC"],
                ["MULTI"], ["GET", "k5"], ["EXEC"]):
        out.append(c.cmd(*cmd))
    ev = info(c, "stats")["evicted_keys"]
    c.cmd("CONFIG", "SET", "maxmemory", "0")
    out.append(c.cmd("SET", "new", "v"))
    c.cmd("FLUSHALL")
    return out, ev


def test_noeviction_vs_redis(tport, rport):
    with H.RawConn(tport) as ct, H.RawConn(rport) as cr:
        (ot, evt), (orr, evr) = noeviction_sequence(ct), noeviction_sequence(cr)
        t.eq(ot[0], OOM, "SET past the limit")
        t.eq(ot, orr, "noeviction replies as redis-server")
        t.eq(evt, "0", "nothing evicted under noeviction")
        t.eq(evr, "0", "redis-server evicted nothing either")


def test_volatile_without_ttl_keys(tport, rport):
    for pol in ("volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"):
        replies = []
        for port in (tport, rport):
            with H.RawConn(port) as c:
                for i in range(50):
                    c.cmd("SET", "p%d" % i, "x" * 200)
                c.cmd("CONFIG", "SET", "maxmemory-policy", pol)
                c.cmd("CONFIG", "SET", "maxmemory", "1")
                r = (c.cmd("SET", "new", "v"), c.cmd("GET", "p1"), c.cmd("DBSIZE"))
                c.cmd("CONFIG", "SET", "maxmemory", "0")
                c.cmd("CONFIG", "SET", "maxmemory-policy", "noeviction")
                c.cmd("FLUSHALL")
                replies.append(r)
        t.eq(replies[0][0], OOM, "%s without volatile keys: -OOM" % pol)
        t.eq(replies[0], replies[1], "%s without volatile keys as redis-server" % pol)


def test_memory_stats_fields(tport, rport):
    def fields(port):
        with H.RawConn(port) as c:
            c.cmd("SET", "a", "b")
            raw = c.cmd("MEMORY", "STATS")
            c.cmd("DEL", "a")
        # RESP2: flat arrays; the names are the bulk strings that start
        # with a letter (ratios are bulk strings of digits)
        return re.findall(rb"\$\d+\r\n([a-z][a-z0-9.\-]*)\r\n", raw)
    ft, fr = fields(tport), fields(rport)
    t.eq(ft, fr, "MEMORY STATS field names as redis-server")
    with H.RawConn(tport) as c:
        c.cmd("SET", "u", "x" * 1000)
        n = int(c.cmd("MEMORY", "USAGE", "u")[1:-2])
        t.check(1000 < n < 1200, "MEMORY USAGE of a 1000-byte string: %d" % n)
        t.eq(c.cmd("MEMORY", "USAGE", "u", "SAMPLES", "0"), b":%d\r\n" % n, "SAMPLES 0")
        t.eq(c.cmd("MEMORY", "USAGE", "nokey"), b"$-1\r\n", "missing key")
        c.cmd("DEL", "u")


def test_client_buffers_counted(tport, rport):
    """mem_clients_normal and MEMORY STATS clients.normal count a client's
    query buffer, on both servers: a 20 MB argument announced and half sent
    is buffered (Redis and Tessera both reserve the whole argument)."""
    for port in (tport, rport):
        with H.RawConn(port) as c:
            before = int(info(c)["mem_clients_normal"])
            with H.RawConn(port) as big:
                big.send(b"*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$20000000\r\n" + b"x" * 10000000)
                ok = H.wait_for(lambda: int(info(c)["mem_clients_normal"]) - before >= 10000000, 5)
                t.check(ok, "port %d: mem_clients_normal grew by the buffered argument (%d -> %s)" % (
                    port, before, info(c)["mem_clients_normal"]))
                raw = c.cmd("MEMORY", "STATS")
                m = re.search(rb"clients\.normal\r\n:(\d+)", raw)
                t.check(m is not None and int(m.group(1)) >= 10000000, "port %d: MEMORY STATS clients.normal %r"
                        % (port, m.group(1) if m else None))


def test_info_fields(tport, rport):
    got = []
    for port in (tport, rport):
        with H.RawConn(port) as c:
            c.cmd("CONFIG", "SET", "maxmemory", "123456789")
            c.cmd("CONFIG", "SET", "maxmemory-policy", "volatile-ttl")
            m = info(c)
            got.append((m["maxmemory"], m["maxmemory_human"], m["maxmemory_policy"]))
            c.cmd("CONFIG", "SET", "maxmemory", "0")
            c.cmd("CONFIG", "SET", "maxmemory-policy", "noeviction")
    t.eq(got[0], got[1], "INFO maxmemory, maxmemory_human, maxmemory_policy as redis-server")
    # bytes per small key, against redis-server; enough keys that the
    # per-slot tables (16384 of them, created on first use) are amortised
    NKEYS = 100000
    per_key = []
    for port in (tport, rport):
        with H.RawConn(port) as c:
            c.cmd("FLUSHALL")
            m = info(c)
            base, ds = int(m["used_memory"]), int(m["used_memory_dataset"])
            with H.RawConn(port) as w:
                for b in range(0, NKEYS, 1000):
                    w.send(b"".join(H.encode("SET", "f%d" % i, "x" * 40) for i in range(b, b + 1000)))
                    w.replies(1000)
            time.sleep(0.3)  # the writer's connection is gone
            m = info(c)
            per_key.append((int(m["used_memory"]) - base) / float(NKEYS))
            t.check(int(m["used_memory_dataset"]) > ds, "dataset grows with keys")
            t.check(float(m["mem_fragmentation_ratio"]) > 0, "mem_fragmentation_ratio present")
            c.cmd("FLUSHALL")
    print("  used_memory per key (5-byte key, 40-byte value): Tessera %.1f, redis-server %.1f" % tuple(per_key))
    t.check(50 < per_key[0] <= per_key[1] * 1.1, "used_memory per small key: %.1f (redis %.1f)" % tuple(per_key))


def test_differential():
    red = ts = None
    try:
        ts = tess(0, 2)
        red = H.redis_server(PORT_R)
        for fn in (test_noeviction_vs_redis, test_volatile_without_ttl_keys, test_memory_stats_fields,
                   test_client_buffers_counted, test_info_fields):
            t.run(fn, ts.port, red.port)
    finally:
        for s in (ts, red):
            if s:
                s.stop()
                s.cleanup()


# ---- allkeys-lru under a write load ----

def lru_fill(threads, port_off):
    limit = 20 * MB
    srv = tess(port_off, threads, ["--maxmemory", str(limit), "--maxmemory-policy", "allkeys-lru"])
    try:
        base_rss = H.proc_rss_bytes(srv.pid)
        samples = []
        stop = threading.Event()

        def sample():
            with H.RawConn(srv.port) as c:
                while not stop.is_set():
                    samples.append((int(info(c)["used_memory"]), H.proc_rss_bytes(srv.pid)))
                    time.sleep(0.05)
        th = threading.Thread(target=sample)
        th.start()
        # 300,000 distinct 1000-byte values: ~330 MB through a 20 MB limit
        p = H.tool([LOADGEN, "-p", str(srv.port), "-t", "set", "-d", "1000", "-r", "300000", "-n", "300000",
                    "--distribution", "sequential", "-P", "16", "-c", "10", "-q", "--json", "-"], timeout=60)
        stop.set()
        th.join(10)
        out = p.stdout.decode()
        t.eq(p.returncode, 0, "loadgen exit (%d workers): %s" % (threads, p.stderr.decode()[-300:]))
        t.check('"errors":{"total":0' in out.replace(" ", ""), "0 errors (%d workers)" % threads)
        with H.RawConn(srv.port) as c:
            # keys first, then the evictions: a worker's cron may still
            # evict between the two reads, which then only adds to the sum
            keys = int(c.cmd("DBSIZE")[1:-2])
            m, st = info(c), info(c, "stats")
            samples.append((int(m["used_memory"]), H.proc_rss_bytes(srv.pid)))
        max_used = max(u for u, _ in samples)
        max_rss = max(r for _, r in samples)
        print("  %d worker(s): %d samples, max used_memory %.1f MB, max RSS %.1f MB (start %.1f MB), "
              "%d keys left, evicted %s" % (threads, len(samples), max_used / MB, max_rss / MB, base_rss / MB,
                                           keys, st["evicted_keys"]))
        # used_memory: the limit plus what is in flight between two checks
        t.check(max_used < limit * 1.05, "used_memory stays at the limit (%d workers): %d" % (threads, max_used))
        # RSS: the limit and 10%, the start-up RSS, 2 MB of allocator slack
        t.check(max_rss < limit * 1.1 + base_rss + 2 * MB,
                "RSS near the limit (%d workers): %.1f MB" % (threads, max_rss / MB))
        t.check(0 < keys < 300000, "keys were evicted (%d left)" % keys)
        t.check(int(st["evicted_keys"]) + keys >= 300000, "evicted + left covers every key written")
    finally:
        srv.stop()
        srv.cleanup()


def test_allkeys_lru_1_worker():
    lru_fill(1, 1)


def test_allkeys_lru_2_workers():
    lru_fill(2, 2)


# ---- volatile-ttl order, notifications, WATCH ----

def test_volatile_ttl_order():
    srv = tess(3, 2, ["--maxmemory-samples", "64"])
    try:
        with H.RawConn(srv.port) as c:
            for i in range(200):
                c.send(H.encode("SET", "p%d" % i, "x" * 500))
            c.replies(200)
            # all volatile keys in one slot (one worker): the order is exact
            order = list(range(40))
            for i in reversed(order):
                c.cmd("SET", "{v}%02d" % i, "x" * 500, "EX", str(1000 + i * 10))
            used = int(info(c)["used_memory"])
            c.cmd("CONFIG", "SET", "maxmemory-policy", "volatile-ttl")
            c.cmd("CONFIG", "SET", "maxmemory", str(used - 8 * 1024))
            r = c.cmd("SET", "{v}trigger", "x")
            t.eq(r, b"+OK\r\n", "a write with volatile keys to evict")
            left = [i for i in order if c.cmd("EXISTS", "{v}%02d" % i) == b":1\r\n"]
            gone = [i for i in order if i not in left]
            t.check(len(gone) > 0, "some volatile keys evicted")
            t.eq(gone, order[:len(gone)], "the soonest-expiring keys went first")
            persistent = sum(c.cmd("EXISTS", "p%d" % i) == b":1\r\n" for i in range(200))
            t.eq(persistent, 200, "no key without a TTL evicted")
    finally:
        srv.stop()
        srv.cleanup()


def test_evicted_notifications_and_watch():
    srv = tess(4, 2, ["--maxmemory-policy", "allkeys-random", "--notify-keyspace-events", "Ee"])
    try:
        with H.RawConn(srv.port) as sub, H.RawConn(srv.port) as c, H.RawConn(srv.port) as w:
            sub.cmd("SUBSCRIBE", "__keyevent@0__:evicted")
            c.cmd("SET", "{w}watched", "v")
            w.cmd("WATCH", "{w}watched")
            c.cmd("CONFIG", "SET", "maxmemory", "1")
            # the only key of its worker goes; then everything else can too
            c.cmd("SET", "{w}other", "x")
            for i in range(30):
                c.cmd("SET", "k%d" % i, "x")
            c.cmd("CONFIG", "SET", "maxmemory", "0")
            ev = int(info(c, "stats")["evicted_keys"])
            t.check(ev > 0, "keys evicted: %d" % ev)
            msgs = []
            sub.sock.settimeout(2)
            for _ in range(ev):
                msgs.append(sub.reply())
            keys = [m.split(b"\r\n")[-2] for m in msgs]
            t.eq(len(keys), ev, "one 'evicted' message per INFO evicted_keys")
            t.check(b"{w}watched" in keys, "the watched key was evicted")
            w.cmd("MULTI")
            w.cmd("GET", "{w}watched")
            t.eq(w.cmd("EXEC"), b"*-1\r\n", "EXEC after the watched key was evicted")
            t.eq(c.cmd("EXISTS", "{w}watched"), b":0\r\n", "evicted key is gone")
    finally:
        srv.stop()
        srv.cleanup()


def main():
    if not os.path.exists(LOADGEN):
        print("SKIP: no loadgen at %s" % LOADGEN)
        sys.exit(H.SKIP_RC)
    test_differential()
    for fn in (test_allkeys_lru_1_worker, test_allkeys_lru_2_workers, test_volatile_ttl_order,
               test_evicted_notifications_and_watch):
        t.run(fn)
    t.finish()


if __name__ == "__main__":
    H.run_main(t, main)
