#!/usr/bin/python3
"""test_pubsub.py: Pub/Sub on a 2-worker Tessera.

  * redis-py: 16 subscriber connections (so both workers have some) on a
    channel and a pattern; PUBLISH counts and delivers once to each;
    per-publisher order; PUBSUB NUMSUB/NUMPAT/CHANNELS; closing the
    connections drops their subscriptions.
  * Differential, raw bytes against redis-server 7.0: SUBSCRIBE /
    UNSUBSCRIBE / PSUBSCRIBE / PUNSUBSCRIBE / SSUBSCRIBE / SUNSUBSCRIBE
    replies and counts, PUBLISH / SPUBLISH and the messages, every PUBSUB
    subcommand and its errors, the RESP2 subscribed context (its error,
    PING's array, RESET, QUIT), RESP3 push frames, CLIENT REPLY OFF, INFO
    and CLIENT LIST fields, COMMAND INFO of every Pub/Sub command; idle
    subscribers outlive `timeout`.
  * Cluster mode, two Tessera nodes joined by CLUSTER MEET: SSUBSCRIBE and
    SPUBLISH are routed by slot (-MOVED, CROSSSLOT), PUBLISH and SUBSCRIBE
    are not, a subscribed RESP2 client gets -MOVED before the context
    error, and a PUBLISH on one node reaches subscribers on the other.
Ports: 22000 (Tessera), 22010 (redis-server), 22020/22021 (cluster nodes,
buses 22070/22071).
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

PORT_T = H.port(22000)
PORT_R = H.port(22010)
PORT_A = H.port(22020)
PORT_B = PORT_A + 1
t = H.Runner("test_pubsub")

CTX_ERR = (b"-ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are "
           b"allowed in this context\r\n")


def get_message(p, timeout=5.0):
    """The next non-None message of a redis-py PubSub, or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = p.get_message(timeout=max(0.01, deadline - time.monotonic()))
        if m is not None:
            return m
    return None


# ---- redis-py, many subscribers -------------------------------------------

def test_redis_py_fanout(srv):
    r = srv.client()
    subs = []
    try:
        for i in range(16):
            p = srv.client().pubsub()
            p.subscribe("chan")
            p.psubscribe("ch*")
            subs.append(p)
        for i, p in enumerate(subs):
            m1, m2 = get_message(p), get_message(p)
            t.eq((m1["type"], m1["channel"], m1["data"]), ("subscribe", b"chan", 1), "subscribe confirmation %d" % i)
            t.eq((m2["type"], m2["channel"], m2["data"]), ("psubscribe", b"ch*", 2), "psubscribe confirmation %d" % i)
        t.eq(r.pubsub_numsub("chan", "other"), [(b"chan", 16), (b"other", 0)], "NUMSUB over both workers")
        t.eq(r.pubsub_numpat(), 1, "NUMPAT counts distinct patterns")
        t.eq(r.pubsub_channels(), [b"chan"], "CHANNELS lists a name once")
        t.eq(r.publish("chan", "hello"), 32, "PUBLISH: 16 channel + 16 pattern receivers")
        for i, p in enumerate(subs):
            got = [get_message(p), get_message(p)]
            kinds = sorted((m["type"], m["data"]) for m in got if m)
            t.eq(kinds, [("message", b"hello"), ("pmessage", b"hello")], "subscriber %d: one of each" % i)
            t.eq(p.get_message(timeout=0.05), None, "subscriber %d: nothing more" % i)
        # Per-publisher order: 300 messages from one connection, pipelined.
        for p in subs:
            p.punsubscribe("ch*")
            get_message(p)
        pipe = r.pipeline(transaction=False)
        for k in range(300):
            pipe.publish("chan", "m%d" % k)
        t.eq(pipe.execute(), [16] * 300, "pipelined PUBLISH counts")
        for i, p in enumerate(subs):
            data = []
            for k in range(300):
                m = get_message(p)
                data.append(m and m["data"])
            t.eq(data, [b"m%d" % k for k in range(300)], "subscriber %d: messages in publish order" % i)
    finally:
        for p in subs:
            p.close()
    # Closing the connections drops the subscriptions, on every worker.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and r.pubsub_numsub("chan") != [(b"chan", 0)]:
        time.sleep(0.05)
    t.eq(r.pubsub_numsub("chan"), [(b"chan", 0)], "NUMSUB after the subscribers closed")
    t.eq(r.pubsub_numpat(), 0, "NUMPAT after close")
    t.eq(r.publish("chan", "late"), 0, "PUBLISH to nobody")
    stats = r.info("stats")
    t.eq((stats["pubsub_channels"], stats["pubsub_patterns"], stats["pubsubshard_channels"]), (0, 0, 0),
         "INFO pubsub counters back to 0")


def test_publish_from_threads(srv):
    """Two publishers, two subscribers, concurrently: each subscriber sees
    each publisher's messages in that publisher's order."""
    subs = []
    for i in range(4):
        p = srv.client().pubsub()
        p.subscribe("race")
        get_message(p)
        subs.append(p)

    def publish(tag):
        c = srv.client()
        pipe = c.pipeline(transaction=False)
        for k in range(500):
            pipe.publish("race", "%s:%d" % (tag, k))
        pipe.execute()
        c.close()

    ths = [threading.Thread(target=publish, args=(tag,)) for tag in ("a", "b")]
    for th in ths:
        th.start()
    for th in ths:
        th.join()
    for i, p in enumerate(subs):
        seen = {"a": [], "b": []}
        for _ in range(1000):
            m = get_message(p)
            if m is None:
                break
            tag, k = m["data"].decode().split(":")
            seen[tag].append(int(k))
        t.eq(seen, {"a": list(range(500)), "b": list(range(500))}, "subscriber %d: per-publisher order" % i)
        p.close()


# ---- differential, raw bytes ----------------------------------------------

READ = "READ"  # step: read n pending pushes on a connection
NOCMP = "NOCMP"  # step: send, read n replies, don't compare (HELLO's id differs)

FLOW = [
    ("s", ["UNSUBSCRIBE"], 1), ("s", ["PUNSUBSCRIBE"], 1), ("s", ["SUNSUBSCRIBE"], 1),
    ("s", ["PING"], 1),
    ("s", ["SUBSCRIBE", "c1", "c2", "c1"], 3),
    ("s", ["PING"], 1), ("s", ["PING", "hello world"], 1), ("s", ["PING", "a", "b"], 1),
    ("s", ["GET", "k"], 1), ("s", ["SET", "k", "v"], 1), ("s", ["CLIENT", "ID"], 1),
    ("s", ["CLIENT", "NOSUCH"], 1), ("s", ["NOSUCH"], 1), ("s", ["SUBSCRIBE"], 1), ("s", ["HELLO", "3"], 1),
    ("s", ["PSUBSCRIBE", "c*", "d?"], 2),
    ("s", ["SSUBSCRIBE", "sh1"], 1), ("s", ["SSUBSCRIBE", "sh1"], 1),
    ("p", ["PUBSUB", "NUMSUB", "c1", "c2", "c3"], 1), ("p", ["PUBSUB", "NUMSUB"], 1),
    ("p", ["PUBSUB", "NUMPAT"], 1), ("p", ["PUBSUB", "CHANNELS", "c1"], 1), ("p", ["PUBSUB", "CHANNELS", "*2"], 1),
    ("p", ["PUBSUB", "CHANNELS", "zz*"], 1), ("p", ["PUBSUB", "SHARDCHANNELS"], 1),
    ("p", ["PUBSUB", "SHARDCHANNELS", "sh*"], 1), ("p", ["PUBSUB", "SHARDNUMSUB", "sh1", "nope"], 1),
    ("p", ["PUBSUB", "SHARDNUMSUB"], 1), ("p", ["PUBSUB"], 1), ("p", ["PUBSUB", "HELP"], 1),
    ("p", ["pubsub", "help", "x"], 1), ("p", ["PUBSUB", "FOO"], 1), ("p", ["PUBSUB", "CHANNELS", "a", "b"], 1),
    ("p", ["PUBSUB", "shardchannels", "a", "b"], 1), ("p", ["PUBSUB", "NUMPAT", "x"], 1),
    ("p", ["PUBLISH", "c1", "m1"], 1), ("s", READ, 2),
    ("p", ["PUBLISH", "d1", "m2"], 1), ("s", READ, 1),
    ("p", ["PUBLISH", "zz", "m3"], 1),
    ("p", ["SPUBLISH", "sh1", "m4"], 1), ("s", READ, 1),
    ("p", ["SPUBLISH", "c1", "m5"], 1), ("p", ["PUBLISH", "sh1", "m6"], 1),
    ("p", ["PUBLISH", "c1", ""], 1), ("s", READ, 2),
    ("p", ["PUBLISH", "c2", "bin\x00\r\n\x7f"], 1), ("s", READ, 2),
    ("p", ["PUBLISH"], 1), ("p", ["PUBLISH", "a"], 1), ("p", ["SPUBLISH", "a"], 1),
    ("p", ["PUBLISH", "a", "b", "c"], 1),
    ("s", ["UNSUBSCRIBE", "c2"], 1), ("s", ["UNSUBSCRIBE", "nope"], 1), ("s", ["PUNSUBSCRIBE", "d?"], 1),
    ("s", ["PUNSUBSCRIBE"], 1), ("s", ["UNSUBSCRIBE"], 1),
    ("s", ["GET", "k"], 1), ("s", ["SUNSUBSCRIBE", "sh1", "sh2"], 2), ("s", ["GET", "k"], 1),
    ("s", ["PSUBSCRIBE", "x*", "y*", "z*"], 3), ("s", ["PUNSUBSCRIBE"], 3),
    ("s", ["SUBSCRIBE", "q"], 1), ("s", ["RESET"], 1), ("s", ["PING"], 1), ("p", ["PUBSUB", "NUMSUB", "q"], 1),
    # RESP3: pushes, and every command allowed
    ("r3", NOCMP, ["HELLO", "3"], 1), ("r3", ["UNSUBSCRIBE"], 1), ("r3", ["SUBSCRIBE", "c3"], 1),
    ("r3", ["GET", "k"], 1), ("r3", ["PING"], 1), ("r3", ["PING", "x"], 1),
    ("p", ["PUBLISH", "c3", "hi"], 1), ("r3", READ, 1),
    ("r3", ["PUBLISH", "c3", "self"], 2),
    ("r3", ["PSUBSCRIBE", "c*"], 1), ("p", ["PUBLISH", "c3", "two"], 1), ("r3", READ, 2),
    ("r3", ["UNSUBSCRIBE"], 1), ("r3", ["UNSUBSCRIBE"], 1), ("r3", ["PUNSUBSCRIBE"], 1),
    ("r3", ["SSUBSCRIBE", "s3"], 1), ("p", ["SPUBLISH", "s3", "x"], 1), ("r3", READ, 1),
    ("r3", NOCMP, ["HELLO", "2"], 1), ("r3", ["GET", "k"], 1), ("r3", ["PING"], 1),
    ("r3", ["SUNSUBSCRIBE"], 1), ("r3", ["PING"], 1),
    # CLIENT REPLY OFF does not silence pushes
    ("o", ["CLIENT", "REPLY", "OFF"], 0), ("o", ["SUBSCRIBE", "ro"], 1),
    ("p", ["PUBLISH", "ro", "x"], 1), ("o", READ, 1), ("o", ["PING"], 0),
    ("o", ["UNSUBSCRIBE"], 1), ("o", ["CLIENT", "REPLY", "ON"], 1),
    # QUIT is allowed in the subscribed context
    ("q", ["SUBSCRIBE", "qq"], 1), ("q", ["QUIT"], 1),
]


def run_flow(srv):
    """Run FLOW on srv; returns [(label, reply bytes)] for the compared steps."""
    conns = {}
    out = []
    try:
        for i, step in enumerate(FLOW):
            name = step[0]
            c = conns.get(name) or conns.setdefault(name, srv.raw())
            if step[1] == READ:
                out.append(("#%d %s READ" % (i, name), b"".join(c.replies(step[2]))))
                continue
            compare = step[1] != NOCMP
            args, n = (step[1], step[2]) if compare else (step[2], step[3])
            c.send(H.encode(*args))
            rep = b"".join(c.replies(n))
            if compare:
                out.append(("#%d %s %s" % (i, name, " ".join(args)[:60]), rep))
        # After QUIT the server closes the connection.
        out.append(("quit closes", conns["q"].wait_closed(5)))
    finally:
        for c in conns.values():
            c.close()
    return out


def test_differential_flow(tess, red):
    rt, rr = run_flow(tess), run_flow(red)
    t.eq(len(rt), len(rr), "same number of steps")
    for (label, a), (_, b) in zip(rt, rr):
        t.eq(a, b, label)


def fields(line, names):
    kv = dict(f.split("=", 1) for f in line.split(" ") if "=" in f)
    return tuple(kv.get(n) for n in names)


def test_info_and_client_list(tess, red):
    res = {}
    for name, srv in (("t", tess), ("r", red)):
        with srv.raw() as s, srv.raw() as p:
            # Earlier tests' subscribers are gone once their closes are processed.
            t.check(H.wait_for(lambda: b"id=" not in p.cmd("CLIENT", "LIST", "TYPE", "pubsub"), 5),
                    "%s: no subscriber left from earlier tests" % name)
            s.send(H.encode("SUBSCRIBE", "i1", "i2"))
            s.replies(2)
            s.cmd("PSUBSCRIBE", "i*")
            s.cmd("SSUBSCRIBE", "is")
            with srv.raw() as s2:
                s2.cmd("SUBSCRIBE", "i1")
                s2.cmd("PSUBSCRIBE", "i*")
                info = p.cmd("INFO", "stats").decode()
                stats = dict(l.split(":", 1) for l in info.split("\r\n") if ":" in l)
                cl = p.cmd("CLIENT", "LIST", "TYPE", "pubsub").decode()
                lines = [l for l in cl.split("\n") if "id=" in l]
                res[name] = ([stats.get(k) for k in ("pubsub_channels", "pubsub_patterns", "pubsubshard_channels")],
                             sorted(fields(l, ("flags", "sub", "psub", "ssub")) for l in lines),
                             fields(p.cmd("CLIENT", "INFO").decode(), ("flags", "sub", "psub", "ssub")))
    t.eq(res["t"], res["r"], "INFO pubsub_* and CLIENT LIST/INFO flags, sub, psub, ssub")
    t.eq(res["t"][0], ["2", "1", "1"], "INFO counts distinct names")


def test_subscribers_never_idle_out(tess, red):
    """timeout closes idle clients, but not subscribed ones (Redis's rule)."""
    for name, srv in (("tessera", tess), ("redis", red)):
        with srv.raw() as admin, srv.raw() as sub, srv.raw() as idle:
            t.eq(admin.cmd("CONFIG", "SET", "timeout", "1"), b"+OK\r\n", name + ": CONFIG SET timeout 1")
            sub.cmd("SUBSCRIBE", "keep")
            idle.cmd("PING")
            try:
                t.check(idle.wait_closed(6), name + ": an idle client is closed")
                t.eq(sub.cmd("PING"), b"*2\r\n$4\r\npong\r\n$0\r\n\r\n", name + ": the subscriber is still here")
            finally:
                with srv.raw() as again:  # admin has idled out too
                    again.cmd("CONFIG", "SET", "timeout", "0")


def parse(raw):
    """RESP to nested Python values (enough for COMMAND INFO)."""
    def p(i):
        typ, eol = raw[i:i + 1], raw.index(b"\r\n", i)
        head, i = raw[i + 1:eol], eol + 2
        if typ == b"$":
            n = int(head)
            return (None, i) if n < 0 else (raw[i:i + n], i + n + 2)
        if typ in b"*~%":
            out = []
            for _ in range(int(head) * (2 if typ == b"%" else 1)):
                v, i = p(i)
                out.append(v)
            return out, i
        return (int(head) if typ == b":" else head), i
    return p(0)[0]


def test_command_info(tess, red):
    names = ["subscribe", "unsubscribe", "psubscribe", "punsubscribe", "publish", "ssubscribe", "sunsubscribe",
             "spublish"]
    with tess.raw() as ct, red.raw() as cr:
        for n in names:
            t.eq(ct.cmd("COMMAND", "INFO", n), cr.cmd("COMMAND", "INFO", n), "COMMAND INFO %s" % n)
        for sub in ("channels", "numpat", "numsub", "shardchannels", "shardnumsub", "help"):
            t.eq(ct.cmd("COMMAND", "INFO", "pubsub|" + sub), cr.cmd("COMMAND", "INFO", "pubsub|" + sub),
                 "COMMAND INFO pubsub|%s" % sub)
        # The container: same head; subcommands in any order (Redis's is a dict's).
        et, er = parse(ct.cmd("COMMAND", "INFO", "pubsub"))[0], parse(cr.cmd("COMMAND", "INFO", "pubsub"))[0]
        t.eq(et[:9], er[:9], "COMMAND INFO pubsub head")
        t.eq(sorted(map(repr, et[9])), sorted(map(repr, er[9])), "COMMAND INFO pubsub subcommands")


# ---- cluster mode -----------------------------------------------------------

def cluster_args(port):
    return ["--cluster-enabled", "yes", "--cluster-config-file", "nodes-%d.conf" % port, "--cluster-port",
            str(port + 50), "--cluster-node-timeout", "5000"]


def test_cluster():
    a = b = None
    try:
        a = H.tessera(PORT_A, threads=2, extra=cluster_args(PORT_A))
        b = H.tessera(PORT_B, threads=2, extra=cluster_args(PORT_B))
        ra, rb = a.raw(), b.raw()
        t.eq(ra.cmd("CLUSTER", "MEET", "127.0.0.1", PORT_B, PORT_B + 50), b"+OK\r\n", "CLUSTER MEET")
        t.eq(ra.cmd("CLUSTER", "ADDSLOTSRANGE", 0, 8191), b"+OK\r\n", "A: slots 0-8191")
        t.eq(rb.cmd("CLUSTER", "ADDSLOTSRANGE", 8192, 16383), b"+OK\r\n", "B: slots 8192-16383")

        def both_ok():
            return all(b"cluster_state:ok" in c.cmd("CLUSTER", "INFO") for c in (ra, rb))
        if not t.check(H.wait_for(both_ok, 30), "both nodes reach cluster_state:ok"):
            return
        ka = next("ch%d" % i for i in range(1000) if H.key_slot("ch%d" % i) < 8192)
        kb = next("ch%d" % i for i in range(1000) if H.key_slot("ch%d" % i) >= 8192)
        moved = b"-MOVED %d 127.0.0.1:%d\r\n" % (H.key_slot(kb), PORT_B)

        with a.raw() as s:
            t.eq(s.cmd("SSUBSCRIBE", ka), b"*3\r\n$10\r\nssubscribe\r\n$%d\r\n%s\r\n:1\r\n" % (len(ka), ka.encode()),
                 "SSUBSCRIBE a channel of my slot")
            t.eq(s.cmd("SSUBSCRIBE", kb), moved, "SSUBSCRIBE another node's channel: MOVED")
            t.eq(s.cmd("SSUBSCRIBE", ka, kb), b"-CROSSSLOT Keys in request don't hash to the same slot\r\n",
                 "SSUBSCRIBE across slots: CROSSSLOT")
            t.eq(s.cmd("SUNSUBSCRIBE", kb), moved, "SUNSUBSCRIBE another node's channel: MOVED")
            t.eq(s.cmd("GET", kb), moved, "subscribed RESP2 client: MOVED comes before the context error")
            t.eq(s.cmd("GET", ka), CTX_ERR % b"get", "... and the context error for a key of mine")
            with a.raw() as p:
                t.eq(p.cmd("SPUBLISH", ka, "x"), b":1\r\n", "SPUBLISH on my slot")
                t.eq(s.reply(), b"*3\r\n$8\r\nsmessage\r\n$%d\r\n%s\r\n$1\r\nx\r\n" % (len(ka), ka.encode()),
                     "smessage delivered")
                t.eq(p.cmd("SPUBLISH", kb, "x"), moved, "SPUBLISH another node's channel: MOVED")
                t.eq(p.cmd("PUBLISH", kb, "x"), b":0\r\n", "PUBLISH is not slot-routed")
            t.eq(s.cmd("SUBSCRIBE", kb), b"*3\r\n$9\r\nsubscribe\r\n$%d\r\n%s\r\n:1\r\n" % (len(kb), kb.encode()),
                 "SUBSCRIBE is not slot-routed")

        # A PUBLISH on B reaches A's subscribers through the cluster bus.
        with a.raw() as s, b.raw() as p:
            s.cmd("SUBSCRIBE", "across")
            t.eq(p.cmd("PUBLISH", "across", "over the bus"), b":0\r\n", "PUBLISH counts local receivers only")
            s.sock.settimeout(10)
            try:
                got = s.reply()
            except OSError as e:
                got = repr(e)
            t.eq(got, b"*3\r\n$7\r\nmessage\r\n$6\r\nacross\r\n$12\r\nover the bus\r\n",
                 "PUBLISH on node B delivered on node A")
        ra.close()
        rb.close()
    finally:
        for s in (a, b):
            if s:
                s.stop()
    t.server_checks(*[s for s in (a, b) if s])
    for s in (a, b):
        if s:
            s.cleanup()


def main():
    def body(tess, red):
        t.run(test_redis_py_fanout, tess)
        t.run(test_publish_from_threads, tess)
        t.run(test_differential_flow, tess, red)
        t.run(test_info_and_client_list, tess, red)
        t.run(test_command_info, tess, red)
        t.run(test_subscribers_never_idle_out, tess, red)
        t.run(test_cluster)

    H.against_redis(t, PORT_T, PORT_R, body)


if __name__ == "__main__":
    H.run_main(t, main)
