#!/usr/bin/python3
"""test_differential.py: the same ~200 commands, sent over raw sockets to a
2-worker Tessera and to Debian's redis-server (7.0), replies compared byte
for byte.

The only replies not compared raw are in ALLOW below, each with its reason
and a normalizer that keeps everything that must still match.
Ports: 21100 (Tessera), 21110 (redis-server).
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
import diff_set  # noqa: E402  (the set commands' generator and cases)
import diff_hash  # noqa: E402

PORT_T = H.port(21100)
PORT_R = H.port(21110)
t = H.Runner("test_differential")

BIG = str(2 ** 63 - 1)
NEG = str(-(2 ** 63))

# Each entry: a command (list of args). Keys deliberately spread over slots.
CMDS = [
    # connection
    ["PING"], ["PING", "hello"], ["PING", "a", "b"], ["ECHO", "x"], ["ECHO"], ["ECHO", "a", "b"],
    ["ECHO", ""], ["SELECT", "0"], ["SELECT", "-1"], ["SELECT", "x"], ["SELECT"],
    # unknown / arity
    ["NOSUCHCOMMAND"], ["nosuchcommand", "a", "b"], ["GET"], ["GET", "a", "b"], ["SET", "a"],
    ["set"], ["Get"], ["DEL"], ["EXISTS"], ["MGET"], ["INCR"], ["INCR", "a", "b"],
    ["APPEND", "a"], ["GETRANGE", "a", "0"], ["EXPIRE", "a"], ["TTL"], ["TYPE"],
    ["RENAME", "a"], ["DBSIZE", "x"], ["FLUSHALL", "x"], ["KEYS"], ["SCAN"],
    # SET and friends
    ["SET", "k1", "v1"], ["GET", "k1"], ["GET", "nokey"], ["SET", "k1", "v2", "NX"],
    ["SET", "k1", "v3", "XX"], ["SET", "k2", "v", "XX"], ["GET", "k2"], ["SET", "k1", "v4", "GET"],
    ["SET", "k3", "v", "GET"], ["SET", "k1", "v", "NX", "XX"], ["SET", "k1", "v", "EX"],
    ["SET", "k1", "v", "EX", "0"], ["SET", "k1", "v", "EX", "-5"], ["SET", "k1", "v", "EX", "x"],
    ["SET", "k1", "v", "PX", "0"], ["SET", "k1", "v", "EX", "10", "PX", "100"],
    ["SET", "k1", "v", "KEEPTTL", "EX", "10"], ["SET", "k1", "v", "FOO"], ["SET", "k1", "v", "EXAT", "0"],
    ["SET", "k1", "v", "EX", "9223372036854775807"], ["SET", "k1", "v", "PXAT", "x"],
    ["SET", "k1", "v", "EX", "100"], ["TTL", "k1"], ["SET", "k1", "w", "KEEPTTL"], ["TTL", "k1"],
    ["SET", "k1", "x"], ["TTL", "k1"], ["PTTL", "k1"], ["PTTL", "nokey"], ["TTL", "nokey"],
    ["SETNX", "k1", "y"], ["SETNX", "k4", "y"], ["GET", "k4"], ["SETNX", "k4"],
    ["SETEX", "k5", "100", "v"], ["TTL", "k5"], ["SETEX", "k5", "0", "v"], ["SETEX", "k5", "x", "v"],
    ["SETEX", "k5", "-1", "v"], ["PSETEX", "k6", "100000", "v"], ["PSETEX", "k6", "0", "v"],
    ["GETSET", "k1", "z"], ["GETSET", "k7", "z"], ["GET", "k7"], ["GETDEL", "k7"], ["GETDEL", "k7"],
    ["GETEX", "k1"], ["GETEX", "k1", "EX", "100"], ["TTL", "k1"], ["GETEX", "k1", "PERSIST"],
    ["TTL", "k1"], ["GETEX", "k1", "EX", "0"], ["GETEX", "k1", "EX", "10", "PX", "10"],
    ["GETEX", "k1", "FOO"], ["GETEX", "nokey", "EX", "10"], ["GETEX", "k1", "PERSIST", "EX", "1"],
    # integers
    ["INCR", "n"], ["INCR", "n"], ["INCRBY", "n", "10"], ["DECR", "n"], ["DECRBY", "n", "3"],
    ["GET", "n"], ["INCRBY", "n", "x"], ["INCRBY", "n", "1.5"], ["INCRBY", "n", ""],
    ["SET", "s", "abc"], ["INCR", "s"], ["DECR", "s"], ["INCRBY", "s", "1"], ["SET", "max", BIG],
    ["INCR", "max"], ["INCRBY", "max", "0"], ["SET", "min", NEG], ["DECR", "min"],
    ["DECRBY", "min", NEG], ["INCRBY", "n", "99999999999999999999"], ["SET", "sp", " 12"],
    ["INCR", "sp"], ["SET", "lz", "012"], ["INCR", "lz"], ["SET", "pl", "+5"], ["INCR", "pl"],
    ["SET", "i1", "-0"], ["INCR", "i1"], ["INCRBYFLOAT", "f", "1.5"], ["INCRBYFLOAT", "f", "0.1"],
    ["INCRBYFLOAT", "f", "-1.6"], ["INCRBYFLOAT", "f", "1e3"], ["INCRBYFLOAT", "f", "abc"],
    ["INCRBYFLOAT", "f", "inf"], ["INCRBYFLOAT", "s", "1"], ["SET", "f2", "5.0e3"],
    ["INCRBYFLOAT", "f2", "200"], ["INCRBYFLOAT", "n", "0"], ["GET", "n"],
    ["INCRBYFLOAT", "f3", "3.0"], ["GET", "f3"], ["OBJECT", "ENCODING", "f3"],
    ["INCRBYFLOAT", "f3", "1.23456789012345678"],
    # append / ranges
    ["APPEND", "a", "Hello"], ["APPEND", "a", " World"], ["STRLEN", "a"], ["STRLEN", "nokey"],
    ["GETRANGE", "a", "0", "4"], ["GETRANGE", "a", "-5", "-1"], ["GETRANGE", "a", "5", "1"],
    ["GETRANGE", "a", "0", "-100"], ["GETRANGE", "a", "-100", "3"], ["GETRANGE", "a", "x", "1"],
    ["GETRANGE", "nokey", "0", "1"], ["SUBSTR", "a", "0", "2"], ["SETRANGE", "a", "6", "Redis"],
    ["GET", "a"], ["SETRANGE", "a", "-1", "x"], ["SETRANGE", "a", "x", "x"],
    ["SETRANGE", "pad", "3", "x"], ["GET", "pad"], ["SETRANGE", "nokey2", "0", ""],
    ["EXISTS", "nokey2"], ["SETRANGE", "a", "536870912", "x"], ["SET", "ai", "10"],
    ["APPEND", "ai", "5"], ["GET", "ai"], ["SETRANGE", "ai", "0", "9"], ["GET", "ai"],
    # multi-key strings (spread over workers)
    ["MSET", "m1", "a", "m2", "b", "m3", "c", "{x}m4", "d"], ["MGET", "m1", "m2", "m3", "{x}m4", "nokey"],
    ["MSET", "m1"], ["MSET", "m1", "a", "m2"], ["MSETNX", "m1", "z", "mnew", "z"], ["GET", "mnew"],
    ["MSETNX", "mn1", "1", "mn2", "2"], ["MGET", "mn1", "mn2"], ["MSETNX", "mn3"],
    ["MSET", "dup", "1", "dup", "2"], ["GET", "dup"],
    # keys
    ["EXISTS", "m1", "m2", "nokey", "m1"], ["DEL", "m1", "nokey", "m2"], ["EXISTS", "m1"],
    ["UNLINK", "m3", "m3"], ["TOUCH", "{x}m4", "nokey", "mn1"], ["TYPE", "{x}m4"], ["TYPE", "nokey"],
    ["EXPIRE", "mn1", "100"], ["TTL", "mn1"], ["EXPIRE", "mn1", "50", "GT"], ["EXPIRE", "mn1", "500", "GT"],
    ["EXPIRE", "mn1", "600", "LT"], ["EXPIRE", "mn1", "10", "NX"], ["EXPIRE", "mn1", "10", "XX", "GT"],
    ["EXPIRE", "mn1", "10", "NX", "XX"], ["EXPIRE", "mn1", "10", "GT", "LT"], ["EXPIRE", "mn1", "10", "FOO"],
    ["EXPIRE", "mn1", "x"], ["EXPIRE", "mn1", "9223372036854775807"], ["PEXPIRE", "mn1", "9223372036854775807"],
    ["EXPIRE", "mn1", "-9223372036854775808"], ["EXPIRE", "nokey", "10"], ["PERSIST", "mn1"],
    ["PERSIST", "mn1"], ["PERSIST", "nokey"], ["EXPIREAT", "mn1", "4102444800"], ["EXPIRETIME", "mn1"],
    ["PEXPIRETIME", "mn1"], ["PEXPIREAT", "mn1", "4102444800123"], ["PEXPIRETIME", "mn1"],
    ["EXPIRETIME", "mn1"], ["EXPIRETIME", "nokey"], ["EXPIRETIME", "mn2"], ["PEXPIRETIME", "mn2"],
    ["EXPIREAT", "mn2", "1"], ["EXISTS", "mn2"], ["SET", "ex", "v"], ["EXPIRE", "ex", "-1"],
    ["EXISTS", "ex"], ["PEXPIREAT", "mn1", "x"],
    ["SET", "r1", "v1"], ["RENAME", "r1", "r2"], ["GET", "r2"], ["EXISTS", "r1"], ["RENAME", "r1", "r2"],
    ["RENAME", "r2", "r2"], ["SET", "r3", "v3"], ["RENAMENX", "r2", "r3"], ["RENAMENX", "r2", "r4"],
    ["GET", "r4"], ["RENAMENX", "nokey", "r5"], ["COPY", "r4", "r5"], ["COPY", "r4", "r5"],
    ["COPY", "r4", "r5", "REPLACE"], ["COPY", "nokey", "r6"], ["COPY", "r4", "r6", "FOO"],
    ["COPY", "r4", "r4"], ["GET", "r5"], ["OBJECT", "ENCODING", "r5"], ["SET", "ienc", "123"],
    ["OBJECT", "ENCODING", "ienc"], ["SET", "renc", "x" * 50], ["OBJECT", "ENCODING", "renc"],
    ["OBJECT", "ENCODING", "nokey"], ["OBJECT", "FOO", "r5"],
    # RENAME / COPY keep the encoding (an APPENDed "12" stays raw, an
    # INCRBYFLOAT "3" embstr), on one worker and across workers
    ["SET", "re1", "1"], ["APPEND", "re1", "2"], ["RENAME", "re1", "re2"], ["OBJECT", "ENCODING", "re2"],
    ["COPY", "re2", "re3"], ["OBJECT", "ENCODING", "re3"], ["COPY", "re2", "{re2}x"],
    ["OBJECT", "ENCODING", "{re2}x"], ["INCRBYFLOAT", "re4", "3"], ["RENAME", "re4", "re5"],
    ["OBJECT", "ENCODING", "re5"], ["COPY", "re5", "{re5}y"], ["OBJECT", "ENCODING", "{re5}y"], ["OBJECT"], ["OBJECT", "REFCOUNT", "nokey"],
    ["DBSIZE"], ["KEYS", "r*"], ["KEYS", "nomatch*"], ["KEYS", "m[n]?"],
    ["SCAN", "0", "COUNT", "1000", "MATCH", "r*"], ["SCAN", "x"], ["SCAN", "0", "COUNT", "0"],
    ["SCAN", "0", "FOO"], ["SCAN", "0", "TYPE", "list"],
    # config / info-ish with deterministic output
    ["CONFIG", "GET", "maxclients"], ["CONFIG", "GET", "appendonly"], ["CONFIG", "GET", "nosuch"],
    ["CONFIG", "SET", "nosuch", "1"], ["CONFIG", "SET", "maxclients"], ["CONFIG", "SET", "maxclients", "x"],
    ["CONFIG", "FOO"], ["CONFIG"], ["CONFIG", "GET", "proto-max-bulk-len"],
    ["CONFIG", "GET", "cluster-enabled"], ["CONFIG", "GET", "timeout"], ["CONFIG", "SET", "timeout", "0"],
    ["CLIENT", "GETNAME"], ["CLIENT", "SETNAME", "a b"], ["CLIENT", "SETNAME", "diff"],
    ["CLIENT", "GETNAME"], ["CLIENT", "FOO"], ["CLIENT"], ["CLIENT", "NO-EVICT", "on"],
    ["CLIENT", "NO-EVICT", "x"], ["CLIENT", "REPLY", "x"],
    ["COMMAND", "INFO", "get", "set", "mget", "mset", "del", "rename", "copy", "nosuch"],
    ["COMMAND", "GETKEYS", "SET", "a", "b"], ["COMMAND", "GETKEYS", "MGET", "a", "b", "c"],
    ["COMMAND", "GETKEYS", "NOSUCH", "a"], ["COMMAND", "FOO"],
    ["TYPE", "r5"], ["RANDOMKEY", "x"], ["FLUSHDB", "x"], ["FLUSHALL", "ASYNC"], ["DBSIZE"],
    ["RANDOMKEY"], ["FLUSHDB", "SYNC"], ["KEYS", "*"], ["SCAN", "0"], ["MEMORY", "USAGE", "nokey"],
    ["SLOWLOG", "FOO"], ["LATENCY", "FOO"],
    # RESP3 from here on
    ["HELLO", "3"], ["GET", "nokey"], ["SET", "h", "1"], ["GET", "h"], ["INCRBYFLOAT", "h", "1.5"],
    ["MGET", "h", "nokey"], ["CONFIG", "GET", "maxclients"], ["EXISTS", "h"], ["TTL", "h"],
    ["SET", "h", "2", "GET"], ["GETDEL", "nokey"], ["COMMAND", "INFO", "get"], ["NOSUCH"],
    ["SCAN", "0", "MATCH", "h"], ["HELLO", "2"], ["GET", "nokey"], ["HELLO", "4"],
    ["HELLO", "x"],
]

# The hash commands (diff_hash.py): fixed cases before the RESP3 section,
# RESP3 shapes right after HELLO 3.
_r3 = CMDS.index(["HELLO", "3"])
CMDS[_r3 + 1:_r3 + 1] = diff_hash.FIXED_RESP3
CMDS[_r3:_r3] = diff_hash.FIXED


def norm_hello(rep):
    """HELLO: server name, version and connection id legitimately differ."""
    rep = re.sub(rb"\$6\r\nserver\r\n\$\d+\r\n[^\r]*\r\n", b"$6\r\nserver\r\n<name>\r\n", rep)
    rep = re.sub(rb"\$7\r\nversion\r\n\$\d+\r\n[^\r]*\r\n", b"$7\r\nversion\r\n<ver>\r\n", rep)
    return re.sub(rb"\$2\r\nid\r\n:\d+\r\n", b"$2\r\nid\r\n:<id>\r\n", rep)


def norm_ttl(rep):
    """TTL/PTTL: the clock moves between the two servers; keep the sign and
    the rough size (within 2 s)."""
    m = re.match(rb":(-?\d+)\r\n$", rep)
    if not m:
        return rep
    v = int(m.group(1))
    return b":%d\r\n" % (v if v < 0 else -100)  # -100: "a positive remaining time"


def norm_sorted_array(rep):
    """KEYS / SCAN: order follows each server's hash table layout."""
    lines = rep.split(b"\r\n")
    return b"\r\n".join(lines[:1] + sorted(lines[1:]))


def norm_scan(rep):
    """SCAN: the cursor is opaque and a call may return any part of the
    keyspace (COUNT is a hint), so run_all completes the iteration (see
    scan_all) and the union of keys is compared; in the pipelined run only
    the reply's shape is."""
    if rep.startswith(b"*2\r\n") or rep.startswith(b">2\r\n"):
        return b"<a SCAN reply>"
    return rep


def scan_all(conn, cmd, first):
    """Finish a SCAN iteration started by cmd (reply `first`); return a
    canonical reply: the sorted set of every key returned."""
    keys = set()
    rep = first
    for _ in range(100000):
        m = re.match(rb"\*2\r\n\$\d+\r\n(\d+)\r\n", rep)
        if not m:
            return rep  # an error: compared as is
        val = parse(rep)
        keys.update(val[1])
        if m.group(1) == b"0":
            break
        rep = conn.cmd("SCAN", m.group(1).decode(), *cmd[2:])
    return b"SCAN keys: " + b" ".join(sorted(keys))


def norm_command_info(rep):
    """COMMAND INFO: Redis 7 appends ACL categories, tips, key specs and
    subcommands; Tessera must match name, arity, flags, first/last/step,
    which is what redis-py and redis-cli use.  Compared by parsing."""
    return rep  # handled specially in compare()


ALLOW = {
    "HELLO": norm_hello,
    "TTL": norm_ttl,
    "PTTL": norm_ttl,
    "KEYS": norm_sorted_array,
}
PIPELINE_ONLY = {"SCAN": norm_scan}


def parse(raw):
    """Minimal RESP parser to nested Python values (for COMMAND INFO)."""
    def p(i):
        t_, eol = raw[i:i + 1], raw.index(b"\r\n", i)
        head = raw[i + 1:eol]
        i = eol + 2
        if t_ in b"+-":
            return head, i
        if t_ == b":":
            return int(head), i
        if t_ == b"_":
            return None, i
        if t_ == b"$":
            n = int(head)
            if n < 0:
                return None, i
            return raw[i:i + n], i + n + 2
        if t_ in b"*~%":
            n = int(head) * (2 if t_ == b"%" else 1)
            out = []
            for _ in range(max(n, 0)):
                v, i = p(i)
                out.append(v)
            return (None if n < 0 else out), i
        return head, i
    return p(0)[0]


ALLOW.update(diff_hash.allow(parse))


def compare(i, cmd, rt, rr, pipelined=False):
    name = cmd[0].upper()
    label = "#%d %s" % (i, " ".join(cmd)[:80])
    if name == "COMMAND" and len(cmd) > 1 and cmd[1].upper() == "INFO":
        pt, pr = parse(rt), parse(rr)
        if not t.check(isinstance(pt, list) and len(pt) == len(pr), "%s: entry count %r vs %r" % (label, rt[:60], rr[:60])):
            return
        for et, er in zip(pt, pr):
            if er is None:
                t.eq(et, None, label + " unknown command entry")
                continue
            if not t.check(isinstance(et, list) and len(et) >= 6, "%s: entry %r" % (label, et)):
                continue
            t.eq([et[0], et[1], et[3], et[4], et[5]], [er[0], er[1], er[3], er[4], er[5]],
                 label + " name/arity/first/last/step")
            t.eq(sorted(et[2]), sorted(er[2]), label + " flags of " + str(er[0]))
        return
    fn = ALLOW.get(name) or (PIPELINE_ONLY.get(name) if pipelined else None)
    if fn:
        rt, rr = fn(rt), fn(rr)
    t.eq(rt, rr, label)


CRASHERS = set()  # indexes of commands that killed Tessera or its connection


def replay(conn, upto):
    """Rebuild a fresh server's state: commands before `upto`, minus crashers."""
    conn.cmd("FLUSHALL")
    for j in range(upto):
        if j not in CRASHERS:
            conn.cmd(*CMDS[j])


def run_all(tess, red):
    results = []
    ct, cr = tess.raw(), red.raw()
    try:
        i = 0
        while i < len(CMDS):
            cmd = CMDS[i]
            try:
                rt = ct.cmd(*cmd)
            except (H.Closed, OSError) as e:
                rc = tess.wait_exit(2)  # did it die? (None: still running)
                t.fail("#%d %s: Tessera closed the connection (%s); %s\n%s"
                       % (i, " ".join(cmd)[:80], e,
                          "server still running" if rc is None else "SERVER DIED, exit status %d" % rc,
                          tess.log_tail(15)))
                CRASHERS.add(i)
                if len(CRASHERS) > 5:
                    t.fail("more than 5 crashing commands; giving up")
                    return
                # Go on with the rest: restart if needed, rebuild the same
                # state on both servers, continue after the bad command.
                ct.close()
                cr.close()
                if rc is not None:
                    tess.start()
                ct, cr = tess.raw(), red.raw()
                replay(ct, i)
                replay(cr, i)
                i += 1
                continue
            rr = cr.cmd(*cmd)
            if cmd[0].upper() == "SCAN":
                rt, rr = scan_all(ct, cmd, rt), scan_all(cr, cmd, rr)
            results.append((i, cmd, rt, rr))
            i += 1
    finally:
        ct.close()
        cr.close()
    for i, cmd, rt, rr in results:
        compare(i, cmd, rt, rr)
    t.current = "count"
    t.check(len(CMDS) >= 200, "at least 200 commands compared (%d)" % len(CMDS))


def run_pipelined(tess, red):
    """The same list again, as one pipeline: reply order and content must
    match the unpipelined run (mixed slots on both workers). Commands that
    crashed Tessera above are left out (already reported)."""
    idx = [i for i in range(len(CMDS) - 8) if i not in CRASHERS]  # stop before HELLO 4/x, RESP2 switch
    payload = b"".join(H.encode(*CMDS[i]) for i in idx)
    out = {}
    for name, srv in (("t", tess), ("r", red)):
        with srv.raw() as c:
            c.cmd("FLUSHALL")
            c.send(payload)
            out[name] = c.replies(len(idx))
    for i, rt, rr in zip(idx, out["t"], out["r"]):
        compare(i, CMDS[i], rt, rr, pipelined=True)


def run_hash_random(tess, red):
    """Seeded random hash sequences (diff_hash.py); seeds from
    TESSERA_DIFF_SEEDS (comma separated), RESP3 on odd seeds."""
    seeds = [int(s) for s in os.environ.get("TESSERA_DIFF_SEEDS", "1,2,3,4").split(",") if s]
    steps = int(os.environ.get("TESSERA_DIFF_STEPS", "400"))
    diff_hash.run_serial(t, tess, red)
    for seed in seeds:
        diff_hash.run_random(t, tess, red, seed, steps, 3 if seed % 2 else 2, parse)


def run_hash_cluster(tess, red):
    """The random hash sequences against a cluster-mode Tessera (one node,
    every slot, 2 workers), keys in one slot; redis-server standalone."""
    import time
    port = H.port(21120)
    srv = H.tessera(port, threads=2, extra=["--cluster-enabled", "yes", "--cluster-config-file",
                                            "nodes-%d.conf" % port, "--cluster-port", str(port + 50)])
    try:
        with srv.raw() as c:
            c.cmd("CLUSTER", "ADDSLOTSRANGE", "0", "16383")
            deadline = time.monotonic() + 15
            while b"cluster_state:ok" not in c.cmd("CLUSTER", "INFO") and time.monotonic() < deadline:
                time.sleep(0.1)
        seeds = [int(s) for s in os.environ.get("TESSERA_DIFF_SEEDS", "1,2,3,4").split(",") if s]
        steps = int(os.environ.get("TESSERA_DIFF_STEPS", "400"))
        for seed in seeds:
            diff_hash.run_random(t, srv, red, 1000 + seed, steps, 3 if seed % 2 else 2, parse,
                                 keys=diff_hash.CLUSTER_KEYS)
        t.check(srv.alive(), "cluster-mode Tessera still running")
    finally:
        srv.stop()
        t.server_checks(srv)
        srv.cleanup()


def main():
    def body(tess, red):
        t.run(run_all, tess, red)
        t.run(run_pipelined, tess, red)
        t.run(diff_set.run, t, tess, red)
        t.run(diff_set.run_cross_worker, t, tess, red)
        t.run(run_hash_random, tess, red)
        t.run(run_hash_cluster, tess, red)

    H.against_redis(t, PORT_T, PORT_R, body, redis_extra=("--enable-debug-command", "yes"))


if __name__ == "__main__":
    H.run_main(t, main)
