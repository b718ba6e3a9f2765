#!/usr/bin/python3
"""test_limits.py: the client limits are config directives with Redis's
names, and each one costs only the offending client its connection.

  timeout N                     an idle client is closed after N seconds
  maxclients N                  client N+1 gets "-ERR max number of clients reached"
  client-query-buffer-limit     a client sending an endless bulk is closed
  proto-max-bulk-len            a bigger bulk header is a protocol error

Each limit is exercised on Tessera and on Debian's redis-server with the
same settings, and the other clients must keep working.
Ports: 21600 (Tessera), 21610 (redis-server).
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

PORT_T = H.port(21600)
PORT_R = H.port(21610)
t = H.Runner("test_limits")

LIMITS = ["--timeout", "1", "--maxclients", "8", "--client-query-buffer-limit", "1mb",
          "--proto-max-bulk-len", "1mb"]


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    return s


def read_some(s, timeout=3.0):
    """Bytes until the peer closes or `timeout` passes; (data, closed)."""
    s.settimeout(timeout)
    data = b""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            return data, False
        except ConnectionResetError:
            return data, True
        if not chunk:
            return data, True
        data += chunk
    return data, False


def ping_ok(port):
    with H.RawConn(port) as c:
        return c.cmd("PING") == b"+PONG\r\n"


def test_idle_timeout(srv):
    s = connect(srv.port)
    s.sendall(b"PING\r\n")
    data, closed = read_some(s, 0.5)
    t.eq(data, b"+PONG\r\n", "%s: first PING" % srv.name)
    time.sleep(2.6)  # timeout 1 s, checked every cron tick
    try:
        s.sendall(b"PING\r\n")
    except OSError:
        pass
    data, closed = read_some(s, 1.0)
    t.check(closed and data == b"", "%s: idle client closed after timeout (got %r, closed=%s)" % (srv.name, data, closed))
    s.close()
    t.check(ping_ok(srv.port), "%s: server still serves new clients" % srv.name)


def set_config(port, name, value):
    with H.RawConn(port) as c:
        t.eq(c.cmd("CONFIG", "SET", name, value), b"+OK\r\n", "CONFIG SET %s %s" % (name, value))


def test_maxclients(srv):
    set_config(srv.port, "timeout", "0")  # the idle limit must not interfere
    time.sleep(0.2)  # the CONFIG client's slot is released
    socks = []
    try:
        for _ in range(8):
            s = connect(srv.port)
            s.sendall(b"PING\r\n")
            s.settimeout(2)
            t.eq(s.recv(100), b"+PONG\r\n", "%s: client within maxclients" % srv.name)
            socks.append(s)
        extra = connect(srv.port)
        data, closed = read_some(extra, 2.0)
        t.eq(data, b"-ERR max number of clients reached\r\n", "%s: client over maxclients" % srv.name)
        t.check(closed, "%s: and its connection is closed" % srv.name)
        extra.close()
        socks[0].sendall(b"PING\r\n")
        d, _ = read_some(socks[0], 0.5)
        t.eq(d, b"+PONG\r\n", "%s: existing clients keep working" % srv.name)
    finally:
        for s in socks:
            s.close()
    time.sleep(0.3)
    t.check(ping_ok(srv.port), "%s: a slot is free again once clients leave" % srv.name)
    set_config(srv.port, "timeout", "1")


def test_query_buffer_limit(srv):
    other = connect(srv.port)
    s = connect(srv.port)
    # A bulk of 900 KB is allowed by proto-max-bulk-len (1 MB), but we send
    # 2 MB of arguments in one multibulk that never completes.
    s.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1000000\r\n")
    closed = False
    try:
        for _ in range(40):
            s.sendall(b"x" * 65536)
    except OSError:
        closed = True
    data, c2 = read_some(s, 2.0)
    # Redis checks the limit against the query buffer; either way the client
    # must lose its connection without a reply, and others must not notice.
    t.check(closed or c2, "%s: client past client-query-buffer-limit closed" % srv.name)
    s.close()
    other.sendall(b"PING\r\n")
    d, _ = read_some(other, 0.5)
    t.eq(d, b"+PONG\r\n", "%s: other client unaffected" % srv.name)
    other.close()


def test_proto_max_bulk_len(srv):
    s = connect(srv.port)
    s.sendall(b"*2\r\n$3\r\nGET\r\n$2000000\r\n")
    data, closed = read_some(s, 2.0)
    t.eq(data, b"-ERR Protocol error: invalid bulk length\r\n", "%s: bulk over proto-max-bulk-len" % srv.name)
    t.check(closed, "%s: connection closed after the protocol error" % srv.name)
    s.close()


def main():
    def body(tess, red):
        for fn in (test_idle_timeout, test_maxclients, test_query_buffer_limit, test_proto_max_bulk_len):
            for srv in (red, tess):
                t.run(fn, srv)

    H.against_redis(t, PORT_T, PORT_R, body, tessera_extra=LIMITS, redis_extra=LIMITS)


if __name__ == "__main__":
    H.run_main(t, main)
