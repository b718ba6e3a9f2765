#!/usr/bin/python3
"""test_output_limits.py: client-output-buffer-limit, as Redis enforces it.

A client that does not read its replies is closed once its output passes
the hard limit of its class (normal / replica / pubsub), or stays over the
soft limit for more than the soft seconds, and the server's memory stays
near the limit meanwhile, whatever path the output takes:

  (a) Pub/Sub: a subscriber that stops reading while ~100 MB is published
      is closed at the pubsub hard limit (default 32 MB); the server's RSS
      stays within a few MB of base + limit throughout; INFO stats counts
      it (client_output_buffer_limit_disconnections, Redis 7.2's field).
  (b) normal class 10mb: pipelined GETs of a 1 MB value, never read: closed,
      RSS bounded. With the default (normal 0 0 0), a client that pipelines
      many 1 MB GETs and reads later gets every reply intact.
  (c) soft limit with seconds: kept while over the soft limit for less than
      the seconds, closed after.
  (d) CONFIG SET / GET round trip: the same text as redis-server, units,
      "replica" and "slave", the same errors.
  (e) forwarded replies (keys on the other worker) count too.
  (f) a MONITOR client that does not read is bounded (normal class, as in
      Redis).

Each behaviour is checked on Debian's redis-server too where it applies
(not the RSS bounds nor the INFO counter, which Redis 7.0 lacks).
Ports: 22600 (Tessera), 22610 (redis-server), 22620-22629 (a fresh Tessera
for each test that measures RSS, so memory freed by an earlier test and kept
by the allocator does not hide growth).
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

PORT_T = H.port(22600)
PORT_R = H.port(22610)
t = H.Runner("test_output_limits")
MB = 1024 * 1024


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def info_field(port, field):
    with H.RawConn(port) as c:
        text = c.cmd("INFO", "stats").decode()
    for line in text.split("\r\n"):
        if line.startswith(field + ":"):
            return int(line.split(":", 1)[1])
    return None


def config_set(port, *args):
    with H.RawConn(port) as c:
        return c.cmd("CONFIG", "SET", *args)


def quiet_socket(port, rcvbuf=4096):
    """A connection whose kernel receive buffer is small, so output the
    client does not read stays in the server."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", port))
    s.settimeout(10)
    return s


def closed_by_server(s, timeout=5.0):
    """Read and discard until the server closes s (True) or timeout."""
    s.settimeout(0.2)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            d = s.recv(1 << 20)
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return True
        if not d:
            return True
    return False


def is_tessera(srv):
    return srv.name.startswith("tessera") and not H.is_dry_run()


class RssWatch:
    """The server's largest RSS seen over the samples taken."""

    def __init__(self, srv):
        self.pid = srv.pid
        self.base = rss_kb(self.pid)
        self.peak = self.base

    def sample(self):
        self.peak = max(self.peak, rss_kb(self.pid))

    def growth_mb(self):
        return (self.peak - self.base) / 1024.0


def publish_stream(port, channel, total, size, watch=None, batch=16):
    """PUBLISH total bytes in messages of size bytes, pipelined in batches,
    sampling RSS after each batch; returns the receiver counts."""
    payload = b"m" * size
    cmd = H.encode("PUBLISH", channel, payload)
    counts = []
    with H.RawConn(port, timeout=30) as p:
        sent = 0
        while sent < total:
            p.send(cmd * batch)
            for r in p.replies(batch):
                counts.append(int(r[1:-2]))
            sent += size * batch
            if watch:
                watch.sample()
    return counts


# ---- (a) Pub/Sub ------------------------------------------------------------

def test_pubsub_hard_limit(srv):
    sub = quiet_socket(srv.port)
    sub.sendall(H.encode("SUBSCRIBE", "news"))
    time.sleep(0.2)
    sub.recv(1000)  # the confirmation; from now on it never reads
    before = info_field(srv.port, "client_output_buffer_limit_disconnections") if is_tessera(srv) else 0
    watch = RssWatch(srv)
    counts = publish_stream(srv.port, "news", 100 * MB, 100 * 1024, watch)
    t.eq(counts[0], 1, "%s: the subscriber receives at first" % srv.name)
    t.eq(counts[-1], 0, "%s: and is gone before 100 MB were published" % srv.name)
    delivered = sum(counts) * 100 * 1024
    t.check(delivered < 48 * MB, "%s: closed near the 32 MB pubsub limit (%.1f MB delivered)" %
            (srv.name, delivered / MB))
    t.check(closed_by_server(sub), "%s: the subscriber's connection is closed" % srv.name)
    sub.close()
    if is_tessera(srv):
        growth = watch.growth_mb()
        print("  pubsub: RSS base %.1f MB, peak growth %.1f MB" % (watch.base / 1024.0, growth))
        t.check(growth < 32 + 12, "%s: RSS stayed within the limit + a few MB (grew %.1f MB)" % (srv.name, growth))
        after = info_field(srv.port, "client_output_buffer_limit_disconnections")
        t.eq(None if after is None or before is None else after - before, 1,
             "%s: INFO client_output_buffer_limit_disconnections" % srv.name)
        log = srv.log_text()
        t.check("scheduled to be closed ASAP for overcoming of output buffer limits" in log,
                "%s: the close is logged as Redis does" % srv.name)
    with H.RawConn(srv.port) as c:
        t.eq(c.cmd("PING"), b"+PONG\r\n", "%s: server still serves" % srv.name)


# ---- (b) normal class -------------------------------------------------------

def test_normal_hard_limit(srv):
    t.eq(config_set(srv.port, "client-output-buffer-limit", "normal 10mb 0 0"), b"+OK\r\n", "CONFIG SET normal")
    try:
        with H.RawConn(srv.port) as c:
            c.cmd("SET", "big", b"v" * MB)
        s = quiet_socket(srv.port)
        watch = RssWatch(srv)
        req = H.encode("GET", "big")
        closed = False
        for _ in range(100):
            try:
                s.sendall(req)
            except OSError:
                closed = True
                break
            watch.sample()
            time.sleep(0.005)
        t.check(closed or closed_by_server(s, 5.0), "%s: non-reading client closed at 10mb" % srv.name)
        s.close()
        if is_tessera(srv):
            growth = watch.growth_mb()
            print("  normal: RSS base %.1f MB, peak growth %.1f MB" % (watch.base / 1024.0, growth))
            t.check(growth < 10 + 12, "%s: RSS bounded by the limit (grew %.1f MB)" % (srv.name, growth))
    finally:
        config_set(srv.port, "client-output-buffer-limit", "normal 0 0 0")


def test_normal_unlimited_reads_late(srv):
    """Default normal 0 0 0: nothing is lost, however much piles up."""
    value = bytes(range(256)) * 4096  # 1 MB, not all one byte
    with H.RawConn(srv.port, timeout=60) as c:
        c.cmd("SET", "big1", value)
        n = 40
        c.send(H.encode("GET", "big1") * n)
        time.sleep(1.0)  # let the output pile up before reading
        want = b"$%d\r\n" % len(value) + value + b"\r\n"
        ok = all(r == want for r in c.replies(n))
        t.check(ok, "%s: %d pipelined 1 MB replies read late arrive intact" % (srv.name, n))
        t.eq(c.cmd("PING"), b"+PONG\r\n", "%s: connection still usable" % srv.name)


# ---- (c) soft limit ---------------------------------------------------------

def test_soft_limit_seconds(srv):
    t.eq(config_set(srv.port, "client-output-buffer-limit", "pubsub 0 1mb 2"), b"+OK\r\n", "CONFIG SET soft")
    try:
        sub = quiet_socket(srv.port)
        sub.sendall(H.encode("SUBSCRIBE", "soft"))
        time.sleep(0.2)
        sub.recv(1000)
        start = time.monotonic()
        publish_stream(srv.port, "soft", 12 * MB, 64 * 1024)  # well over the soft limit
        counts = publish_stream(srv.port, "soft", 64 * 1024, 64 * 1024, batch=1)
        t.eq(counts, [1], "%s: over the soft limit for < 2 s: still subscribed" % srv.name)
        closed_at = None
        while time.monotonic() - start < 8:
            c = publish_stream(srv.port, "soft", 1024, 1024, batch=1)
            if c == [0]:
                closed_at = time.monotonic() - start
                break
            time.sleep(0.25)
        t.check(closed_at is not None and closed_at > 1.9,
                "%s: closed after staying over the soft limit > 2 s (at %s s)" % (srv.name, closed_at))
        t.check(closed_by_server(sub), "%s: its connection is closed" % srv.name)
        sub.close()
    finally:
        config_set(srv.port, "client-output-buffer-limit", "pubsub 32mb 8mb 60")


def test_soft_limit_reset(srv):
    """Back under the soft limit resets the clock (Redis's rule)."""
    t.eq(config_set(srv.port, "client-output-buffer-limit", "normal 0 3mb 1"), b"+OK\r\n", "CONFIG SET")
    try:
        with H.RawConn(srv.port, timeout=30) as c:
            c.cmd("SET", "half", b"h" * (512 * 1024))
            for _ in range(4):  # ~2 MB each time, read at once: never over 3 MB for long
                c.send(H.encode("GET", "half") * 4)
                c.replies(4)
                time.sleep(0.6)
            t.eq(c.cmd("PING"), b"+PONG\r\n", "%s: a client that keeps reading is never closed" % srv.name)
    finally:
        config_set(srv.port, "client-output-buffer-limit", "normal 0 0 0")


# ---- (d) CONFIG -------------------------------------------------------------

def test_config_roundtrip(tess, red):
    cases = [
        ["normal 10mb 5mb 30 replica 512mb 128mb 90 pubsub 64mb 16mb 120"],
        ["slave 1gb 256mb 10"],
        ["pubsub 1k 2kb 3 normal 0 0 0"],
        ["normal", "1", "2", "3"],
    ]
    for args in cases:
        rt = config_set(tess.port, "client-output-buffer-limit", *args)
        rr = config_set(red.port, "client-output-buffer-limit", *args)
        t.eq(rt, rr, "CONFIG SET client-output-buffer-limit %r" % (args,))
        with H.RawConn(tess.port) as a, H.RawConn(red.port) as b:
            t.eq(a.cmd("CONFIG", "GET", "client-output-buffer-limit"),
                 b.cmd("CONFIG", "GET", "client-output-buffer-limit"), "CONFIG GET after %r" % (args,))
    for bad in (["normal 1 2"], ["master 1 2 3"], ["normal x 2 3"], ["normal 1 2 -1"], ["bogus 1 2 3"]):
        rt = config_set(tess.port, "client-output-buffer-limit", *bad)
        rr = config_set(red.port, "client-output-buffer-limit", *bad)
        t.eq(rt, rr, "CONFIG SET refuses %r as Redis does" % (bad,))
    for srv in (tess, red):
        config_set(srv.port, "client-output-buffer-limit",
                   "normal 0 0 0 replica 256mb 64mb 60 pubsub 32mb 8mb 60")


def test_config_applies(tess):
    """A CONFIG SET acts at once on clients already connected."""
    sub = quiet_socket(tess.port)
    sub.sendall(H.encode("SUBSCRIBE", "later"))
    time.sleep(0.2)
    sub.recv(1000)
    t.eq(config_set(tess.port, "client-output-buffer-limit", "pubsub 2mb 0 0"), b"+OK\r\n", "CONFIG SET")
    try:
        counts = publish_stream(tess.port, "later", 24 * MB, 64 * 1024)
        delivered = sum(counts) * 64 * 1024
        t.check(counts[-1] == 0 and delivered < 14 * MB,
                "existing subscriber closed at the new 2mb limit (%.1f MB delivered)" % (delivered / MB))
        t.check(closed_by_server(sub), "its connection is closed")
    finally:
        sub.close()
        config_set(tess.port, "client-output-buffer-limit", "pubsub 32mb 8mb 60")


def test_startup_directive(srv):
    """The directive given at start-up acts, and is not reported as one
    Tessera ignores."""
    sub = quiet_socket(srv.port)
    sub.sendall(H.encode("SUBSCRIBE", "boot"))
    time.sleep(0.2)
    sub.recv(1000)
    counts = publish_stream(srv.port, "boot", 24 * MB, 64 * 1024)
    delivered = sum(counts) * 64 * 1024
    t.check(counts[-1] == 0 and delivered < 12 * MB,
            "subscriber closed at the 3mb limit given at start-up (%.1f MB delivered)" % (delivered / MB))
    sub.close()
    with H.RawConn(srv.port) as c:
        t.eq(c.cmd("CONFIG", "GET", "client-output-buffer-limit"),
             H.encode("client-output-buffer-limit", "normal 0 0 0 slave 268435456 67108864 60 pubsub 3145728 0 0"),
             "CONFIG GET shows it")
    t.check("client-output-buffer-limit' is accepted but has no effect" not in srv.log_text(),
            "no 'has no effect' warning for it")


# ---- (e) forwarded replies --------------------------------------------------

def forwarded(port):
    return info_field(port, "tessera_forwarded_commands")


def test_forwarded_replies(tess):
    """Keys owned by the other worker: replies come back from it and count
    toward the client's limit as they arrive."""
    with H.RawConn(tess.port) as c:
        for k in ("fwd-a", "fwd-b", "fwd-c", "fwd-d"):
            c.cmd("SET", k, b"f" * MB)
    t.eq(config_set(tess.port, "client-output-buffer-limit", "normal 10mb 0 0"), b"+OK\r\n", "CONFIG SET")
    try:
        s = quiet_socket(tess.port)
        key = None
        s.settimeout(5)
        for k in ("fwd-a", "fwd-b", "fwd-c", "fwd-d"):
            f0 = forwarded(tess.port)
            s.sendall(H.encode("STRLEN", k))
            s.recv(100)
            if forwarded(tess.port) > f0:
                key = k
                break
        if key is None:
            raise H.Skip("no key found on the other worker")
        watch = RssWatch(tess)
        closed = False
        for _ in range(100):
            try:
                s.sendall(H.encode("GET", key))
            except OSError:
                closed = True
                break
            watch.sample()
            time.sleep(0.005)
        t.check(closed or closed_by_server(s, 5.0), "client pipelining forwarded 1 MB GETs closed at 10mb")
        s.close()
        growth = watch.growth_mb()
        print("  forwarded: RSS base %.1f MB, peak growth %.1f MB" % (watch.base / 1024.0, growth))
        t.check(growth < 10 + 12, "RSS bounded by the limit (grew %.1f MB)" % growth)
        with H.RawConn(tess.port) as c:
            t.eq(c.cmd("STRLEN", key), b":%d\r\n" % MB, "server still serves the key")
    finally:
        config_set(tess.port, "client-output-buffer-limit", "normal 0 0 0")


# ---- (f) MONITOR ------------------------------------------------------------

def test_monitor_bounded(srv):
    t.eq(config_set(srv.port, "client-output-buffer-limit", "normal 8mb 0 0"), b"+OK\r\n", "CONFIG SET")
    try:
        mon = quiet_socket(srv.port)
        mon.sendall(H.encode("MONITOR"))
        time.sleep(0.2)
        t.eq(mon.recv(100), b"+OK\r\n", "%s: MONITOR" % srv.name)
        watch = RssWatch(srv)
        with H.RawConn(srv.port, timeout=30) as c:
            val = b"x" * (64 * 1024)  # each line quotes the 64 KB value
            for i in range(40):
                c.send(H.encode("SET", "mon%d" % (i % 8), val) * 16)
                c.replies(16)
                watch.sample()
        t.check(closed_by_server(mon), "%s: a MONITOR client that does not read is closed" % srv.name)
        mon.close()
        if is_tessera(srv):
            growth = watch.growth_mb()
            print("  monitor: RSS base %.1f MB, peak growth %.1f MB" % (watch.base / 1024.0, growth))
            t.check(growth < 8 + 12, "%s: RSS bounded (grew %.1f MB)" % (srv.name, growth))
    finally:
        config_set(srv.port, "client-output-buffer-limit", "normal 0 0 0")


def test_client_list_fields(srv):
    """obl / oll / omem of a client with queued output."""
    with H.RawConn(srv.port) as c:
        c.cmd("SET", "cl", b"c" * (4 * MB))
        c.cmd("CLIENT", "SETNAME", "watcher")
    s = quiet_socket(srv.port)
    s.sendall(H.encode("CLIENT", "SETNAME", "slow") + H.encode("GET", "cl") * 4)
    time.sleep(0.5)
    with H.RawConn(srv.port) as c:
        text = c.cmd("CLIENT", "LIST").decode()
    line = [x for x in text.split("\n") if "name=slow" in x]
    t.check(len(line) == 1, "%s: the slow client is listed" % srv.name)
    if line:
        f = dict(kv.split("=", 1) for kv in line[0].split() if "=" in kv)
        t.check(int(f["omem"]) > 4 * MB, "%s: omem counts the queued replies (%s)" % (srv.name, f["omem"]))
        t.check(int(f["oll"]) >= 4, "%s: oll counts the blocks queued (%s)" % (srv.name, f["oll"]))
        t.check(int(f["obl"]) <= 16384, "%s: obl is what the current block holds (%s)" % (srv.name, f["obl"]))
    s.close()


def on_fresh_tessera(idx, fn, extra=()):
    """Run fn against a Tessera (2 workers) started for it alone."""
    srv = H.tessera(H.port(22620 + idx), threads=2, extra=extra)
    try:
        t.run(fn, srv)
        t.check(srv.alive(), "%s: fresh Tessera still running" % fn.__name__)
    finally:
        srv.stop()
    t.server_checks(srv)
    srv.cleanup()


def main():
    def body(tess, red):
        rss_tests = (test_pubsub_hard_limit, test_normal_hard_limit, test_monitor_bounded)
        for i, fn in enumerate(rss_tests):
            t.run(fn, red)
            on_fresh_tessera(i, fn)
        for fn in (test_normal_unlimited_reads_late, test_soft_limit_seconds, test_soft_limit_reset,
                   test_client_list_fields):
            for srv in (red, tess):
                t.run(fn, srv)
        t.run(test_config_roundtrip, tess, red)
        t.run(test_config_applies, tess)
        on_fresh_tessera(len(rss_tests) + 1, test_startup_directive,
                         extra=["--client-output-buffer-limit", "pubsub 3mb 0 0"])
        if not H.is_dry_run():
            on_fresh_tessera(len(rss_tests), test_forwarded_replies)

    H.against_redis(t, PORT_T, PORT_R, body)


if __name__ == "__main__":
    H.run_main(t, main)
