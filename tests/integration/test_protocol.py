#!/usr/bin/python3
"""test_protocol.py: RESP edge cases over raw sockets.

Malformed input (garbage, negative multibulk count, a 2^40 bulk length, a
1 MB inline line, a bad type byte inside a multibulk...) must get exactly
redis-server's reply and connection fate (closed or kept), for that client
only: a connection opened before keeps answering PING and the process
stays up.  Plus pipelines of 10k commands, frames sent byte by byte, inline
commands, large arguments, and the unknown-command / arity error texts.
Ports: 21200 (Tessera), 21210 (redis-server).
"""
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

PORT_T = H.port(21200)
PORT_R = H.port(21210)
t = H.Runner("test_protocol")

PROTO = b"-ERR Protocol error: "

# name, payload, expected (reply, closed) from Redis 7.0 (None: only compare
# with the live redis-server).  Checked against BOTH the literal and redis.
MALFORMED = [
    ("negative multibulk", b"*-5\r\n", (b"", False)),
    ("2^40 bulk length", b"*1\r\n$1099511627776\r\n", (PROTO + b"invalid bulk length\r\n", True)),
    ("2^40 bulk length as inline", b"$1099511627776\r\n",
     (b"-ERR unknown command '$1099511627776', with args beginning with: \r\n", False)),
    ("1 MB inline line", None, (PROTO + b"too big inline request\r\n", True)),
    ("expected $", b"*3\r\n$3\r\nSET\r\nx\r\n", (PROTO + b"expected '$', got 'x'\r\n", True)),
    ("expected $ got +", b"*1\r\n+PING\r\n", (PROTO + b"expected '$', got '+'\r\n", True)),
    ("invalid multibulk length", b"*abc\r\n", (PROTO + b"invalid multibulk length\r\n", True)),
    ("multibulk count > INT_MAX", b"*2147483648\r\n", (PROTO + b"invalid multibulk length\r\n", True)),
    ("bulk length -1", b"*1\r\n$-1\r\n", (PROTO + b"invalid bulk length\r\n", True)),
    ("bulk length not a number", b"*1\r\n$abc\r\n", (PROTO + b"invalid bulk length\r\n", True)),
    ("bulk length > proto-max-bulk-len", b"*2\r\n$3\r\nGET\r\n$536870913\r\n", (PROTO + b"invalid bulk length\r\n", True)),
    ("unbalanced quotes", b"\"unbalanced\r\n", (PROTO + b"unbalanced quotes in request\r\n", True)),
    ("garbage bytes", b"\xde\xad\xbe\xef garbage \x7f\x80\r\n", None),
    ("garbage with NUL", b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n", None),
    ("garbage multibulk", b"*1\r\n$4\r\n\x00\x01\x02\x03\r\n", None),
    ("line too long in multibulk", b"*1\r\n$" + b"9" * 70000, None),
]


def probe(port, payload, one_mb=False):
    """Send payload on a fresh connection; return (bytes received, closed)."""
    c = H.RawConn(port, timeout=5)
    try:
        if one_mb:
            chunk = b"x" * 16384
            sent = 0
            try:
                while sent < (1 << 20):
                    c.send(chunk)
                    sent += len(chunk)
                    if sent % (128 * 1024) == 0:
                        time.sleep(0.01)
            except (BrokenPipeError, ConnectionResetError):
                pass
        else:
            c.send(payload)
        closed = c.wait_closed(1.5)
        return c.buf, closed
    finally:
        c.close()


def test_malformed(tess, red):
    bystander = tess.raw()
    try:
        t.eq(bystander.cmd("PING"), b"+PONG\r\n", "bystander PING before")
        for name, payload, expected in MALFORMED:
            got_t = probe(tess.port, payload, one_mb=payload is None)
            got_r = probe(red.port, payload, one_mb=payload is None)
            if payload is None and got_r == (b"", True):
                # The reply can be lost to a TCP reset when the peer closes
                # with our unread megabyte queued; then only the close counts.
                t.eq(got_t[1], True, "%s: connection closed" % name)
                continue
            if expected is not None:
                t.eq(got_r, expected, "%s: redis-server reference (test self-check)" % name)
            t.eq(got_t, got_r, "%s: reply and close same as redis-server" % name)
            t.eq(bystander.cmd("PING"), b"+PONG\r\n", "bystander PING after %s" % name)
            t.check(tess.alive(), "server alive after %s" % name)
    finally:
        bystander.close()
    # Negative multibulk is skipped, not fatal: the same connection goes on.
    with tess.raw() as c:
        c.send(b"*-5\r\n")
        t.eq(c.cmd("PING"), b"+PONG\r\n", "connection usable after *-5")
        c.send(b"*0\r\n\r\n")
        t.eq(c.cmd("PING"), b"+PONG\r\n", "connection usable after *0 and empty line")


def test_errors_text(tess):
    with tess.raw() as c:
        t.eq(c.cmd("FOO", "a", "b"), b"-ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n",
             "unknown command text")
        t.eq(c.cmd("foo"), b"-ERR unknown command 'foo', with args beginning with: \r\n", "unknown no args")
        t.eq(c.cmd("GET"), b"-ERR wrong number of arguments for 'get' command\r\n", "arity GET")
        t.eq(c.cmd("SET", "a"), b"-ERR wrong number of arguments for 'set' command\r\n", "arity SET")
        t.eq(c.cmd("OBJECT", "FOO", "x"),
             b"-ERR unknown subcommand 'FOO'. Try OBJECT HELP.\r\n", "unknown subcommand text")
        t.eq(c.cmd("CLIENT", "SETNAME"),
             b"-ERR wrong number of arguments for 'client|setname' command\r\n", "subcommand arity text")
        t.eq(c.cmd("PING"), b"+PONG\r\n", "errors do not close the connection")


def test_inline(tess, red):
    cases = [(b"PING\r\n", 1), (b"PING\n", 1), (b"\r\n\r\nPING\r\n", 1),
             (b"set  ia   'b c'\r\nget ia\r\n", 2), (b"ECHO \"a\\x41\\n\"\r\n", 1),
             (b"ECHO 'it''s'\r\n", 1), (b"  EXISTS ia  ia \r\n", 1),
             (b"set ib \"\"\r\nstrlen ib\r\n", 2), (b"ping\r\nPING x\r\nPiNg\r\n", 3)]
    for payload, n in cases:
        out = {}
        for srv in (tess, red):
            with srv.raw() as c:
                c.send(payload)
                out[srv] = c.replies(n)
        t.eq(out[tess], out[red], "inline %r" % payload)
    with tess.raw() as c:
        c.send(b"SET inl hello\r\nGET inl\r\n")
        t.eq(c.replies(2), [b"+OK\r\n", b"$5\r\nhello\r\n"], "inline SET/GET")


def test_pipeline_10k(tess):
    n = 10000
    with tess.raw(timeout=60) as c:
        payload = b"".join(H.encode("SET", "pk:%d" % i, "v%d" % i) for i in range(n))
        payload += b"".join(H.encode("GET", "pk:%d" % i) for i in range(n))
        payload += H.encode("DBSIZE")
        c.send(payload)
        reps = c.replies(2 * n + 1)
        t.eq(reps[:n].count(b"+OK\r\n"), n, "10k SET replies OK")
        bad = [i for i in range(n) if reps[n + i] != b"$%d\r\nv%d\r\n" % (len("v%d" % i), i)]
        t.check(not bad, "10k GET replies in order (first bad index %s)" % (bad[:1],))
        t.check(reps[-1].startswith(b":") and int(reps[-1][1:-2]) >= n, "DBSIZE after pipeline %r" % reps[-1])
        # Mixed commands, mixed slots, errors interleaved: order kept.
        cmds = []
        expect = []
        for i in range(n):
            k = "mix:%d" % i
            if i % 3 == 0:
                cmds.append(H.encode("INCR", k)); expect.append(b":1\r\n")
            elif i % 3 == 1:
                cmds.append(H.encode("ECHO", k)); expect.append(b"$%d\r\n%s\r\n" % (len(k), k.encode()))
            else:
                cmds.append(H.encode("GET")); expect.append(b"-ERR wrong number of arguments for 'get' command\r\n")
        c.send(b"".join(cmds))
        reps = c.replies(n)
        bad = [i for i in range(n) if reps[i] != expect[i]]
        t.check(not bad, "10k mixed pipeline in order (first bad %s)" % ([(i, reps[i], expect[i]) for i in bad[:1]],))


def test_byte_by_byte(tess):
    with tess.raw() as c:
        payload = (H.encode("SET", "bb", "hello") + H.encode("GET", "bb") + b"ECHO inline\r\n"
                   + H.encode("MSET", "bb1", "x", "bb2", "y") + H.encode("MGET", "bb1", "bb2"))
        for i in range(len(payload)):
            c.send(payload[i:i + 1])
            if i % 7 == 0:
                time.sleep(0.001)
        t.eq(c.replies(5), [b"+OK\r\n", b"$5\r\nhello\r\n", b"$6\r\ninline\r\n", b"+OK\r\n",
                            b"*2\r\n$1\r\nx\r\n$1\r\ny\r\n"], "byte-by-byte replies")
        # A 3 MB value in random-sized pieces, then read back.
        rnd = random.Random(42)
        val = bytes(rnd.getrandbits(8) for _ in range(1 << 16)) * 48
        frame = H.encode("SET", "bigv", val)
        pos = 0
        while pos < len(frame):
            step = rnd.choice([1, 2, 3, 100, 1500, 65536, 300000])
            c.send(frame[pos:pos + step])
            pos += step
        t.eq(c.reply(), b"+OK\r\n", "3 MB SET in random pieces")
        rep = c.cmd("GET", "bigv")
        t.check(rep == b"$%d\r\n" % len(val) + val + b"\r\n", "3 MB GET round trip")
        args = ["MSET"]
        for i in range(20000):
            args += ["many:%d" % i, str(i)]
        t.eq(c.cmd(*args), b"+OK\r\n", "MSET with 40001 arguments")
        t.eq(c.cmd("GET", "many:19999"), b"$5\r\n19999\r\n", "value from the big MSET")


def main():
    def body(tess, red):
        t.run(test_malformed, tess, red)
        t.run(test_errors_text, tess)
        t.run(test_inline, tess, red)
        t.run(test_pipeline_10k, tess)
        t.run(test_byte_by_byte, tess)

    H.against_redis(t, PORT_T, PORT_R, body, check_exit=True)


if __name__ == "__main__":
    H.run_main(t, main)
