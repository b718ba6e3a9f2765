#!/usr/bin/python3
"""test_random_differential.py: seeded random command sequences sent to
Tessera and to Debian's redis-server (7.0); replies, keyspace notifications
and the dataset (DEBUG DIGEST) compared.

One generator mixes, with weights: strings (SET with every option, GET,
the INCR family, APPEND, SETRANGE/GETRANGE, MSET/MGET/MSETNX, GETDEL,
GETEX...), keys (DEL, EXISTS, the EXPIRE family, TTL/PTTL, PERSIST, TYPE,
RENAME/RENAMENX, COPY, OBJECT ENCODING...), hashes (diff_hash.gen) and sets
(diff_set.gen_one), MULTI/EXEC/DISCARD transactions (queue-time errors that
abort them, run-time errors that do not) with WATCH/UNWATCH and a second
connection that sometimes writes a watched key before EXEC, lazy expiry
(PEXPIRE 2, SET PX 1, a deadline in the past..., a short sleep, then
mostly a command on the key, else the expired key lingers for later
steps to find), pipelines of 2-8 commands (sometimes a whole MULTI ...
EXEC written at once), and CONFIG SET of the encoding thresholds. Keys come from a small pool, so
commands collide on keys and types (WRONGTYPE errors are part of the test).

Each server has a subscriber connection (PSUBSCRIBE __key*__:*, RESP3
pushes on a quarter of the seeds, with
notify-keyspace-events KEA; KEAn or KEAm on some seeds); after every step its
messages are compared with redis-server's, in order. Active expiry is off
on both (DEBUG SET-ACTIVE-EXPIRE 0) so expiry happens only where the
sequence asks for it; TTLs are long except in the lazy-expiry step.

Replies are compared byte for byte except:
  * TTL, PTTL, EXPIRETIME, PEXPIRETIME: the clocks of the two servers are
    read at slightly different moments: equal sign, within 2 s;
  * KEYS: each server's own hash order, compared sorted; SCAN: the cursor
    and order are each server's own, so the iteration is completed on both
    and the keys compared as a set, and the "expired" (and, with TYPE,
    "keymiss") events of the expired keys it deletes are compared as a
    multiset;
  * hash and set replies in a server's own hash order, and random replies
    (HRANDFIELD, SRANDMEMBER, SPOP): by diff_hash's and diff_set's rules
    (a listpack or intset reply in order, a hashtable one as a multiset;
    random ones by shape and membership; after SPOP both servers rebuild
    the set from redis-server's members). Inside MULTI and in pipelines
    the random commands and SCANs are not generated and hash-ordered
    replies are compared as multisets (the checks above need the state
    right after the command).
  * Notifications of one step whose keys live on different Tessera
    workers (standalone, 2 workers): the workers run their parts of a
    cross-worker command or EXEC in parallel (core/tx.h), so only each
    worker's messages are in a defined order; they are compared per worker
    (grouped by the worker owning the key named in the message), each group
    in order. In cluster mode every step stays in one slot, so the order is
    exact.

Inside MULTI (standalone, 2 workers): queued commands whose own keys live
on different workers (MSET, RENAME, SINTERSTORE...), and DBSIZE and KEYS,
which make EXEC lock every worker (core/multi_exec.c).

Not generated (Tessera limitations, documented in the brief): lists,
sorted sets and the other missing types; FLUSHALL, RANDOMKEY and SCAN
inside MULTI (they would wipe the set model's state, or answer at random,
or with Tessera's own cursor: test_multi_span.py covers them); DBSIZE and
KEYS in a pipeline outside MULTI; CONFIG SET in a pipeline (each step here
is sent unpipelined). In cluster mode each
command's keys share a slot (tag groups), as redis-py's RedisCluster
would require; redis-server runs standalone.

Modes: "standalone" (Tessera, 2 workers) and "cluster" (one cluster-mode
Tessera node with all 16384 slots, 2 workers, explicit --cluster-port),
each against the same redis-server. Knobs: RANDOM_DIFF_SEEDS (a count,
default 4, or a comma list of seeds "7,12"), RANDOM_DIFF_COMMANDS (steps
per seed, default 1500), RANDOM_DIFF_MODES ("standalone,cluster"),
RANDOM_DIFF_VERBOSE=1 (print every step). A failure prints the seed and
step, and how to replay it.
Ports: 23300 (Tessera), 23310 (redis-server), 23320 (cluster node, bus 23370).
"""
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
import diff_hash  # noqa: E402
import diff_set  # noqa: E402

PORT_T = H.port(23300)
PORT_R = H.port(23310)
PORT_C = H.port(23320)
t = H.Runner("test_random_differential")

NWORKERS = 2
DIGEST_EVERY = 50
MAX_FAILS_PER_SEED = 8

# The key pool. Two hash-tag groups (one slot each, on different workers of
# a 2-worker Tessera: {a} -> slot 15495, {b} -> 3300) and untagged keys on
# both workers.
# Long keys (over 255 bytes: the entry's wide key-length form) and the
# empty key are among them.
GROUPS = [["{a}1", "{a}2", "{a}3", "{a}" + "L" * 300], ["{b}1", "{b}2", "{b}3", "{b}4"]]
LOOSE = ["k1", "k2", "k" * 260, "k4", ""]
POOL = GROUPS[0] + GROUPS[1] + LOOSE

OK = b"+OK\r\n"
PONG = b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"  # PING while subscribed, RESP2
PONG3 = b"+PONG\r\n"  # and RESP3
BIG = str(2 ** 63 - 1)
NEG = str(-(2 ** 63))
FUTURE_S = ["4102444800", "4102444801", "2000000000"]  # EXAT: far in the future
TTL_CMDS = {"TTL": 2, "PTTL": 2000, "EXPIRETIME": 2, "PEXPIRETIME": 2000}
UNORDERED = {"SMEMBERS", "SINTER", "SUNION", "SDIFF", "HKEYS", "HVALS", "HGETALL"}
RANDOM = {"SPOP", "SRANDMEMBER", "HRANDFIELD"}
NOT_IN_MULTI = RANDOM | {"SSCAN", "HSCAN", "SCAN", "CONFIG", "DEBUG"}
# Outside MULTI, a keyless fan-out may run before earlier pipelined
# commands of another worker: not pipelined.
NOT_PIPELINED = NOT_IN_MULTI | {"DBSIZE", "KEYS"}
# Compared by diff_set.Pair.step
SET_CMDS = {"SADD", "SREM", "SMEMBERS", "SISMEMBER", "SMISMEMBER", "SCARD", "SPOP", "SRANDMEMBER", "SMOVE",
            "SINTER", "SINTERCARD", "SINTERSTORE", "SUNION", "SUNIONSTORE", "SDIFF", "SDIFFSTORE", "SSCAN"}


def worker_of(key):
    if isinstance(key, str):
        key = key.encode()
    return H.key_slot(key) * NWORKERS // 16384


# ---- RESP helpers ----

def parse(raw):
    return diff_set.parse(raw)


def parse_msg(raw):
    """A subscriber's message, a RESP2 array or a RESP3 push."""
    return parse(b"*" + raw[1:] if raw[:1] == b">" else raw)


def split_elems(raw):
    """The raw bytes of each element of an aggregate reply (EXEC's)."""
    def end_of(i):
        ty, eol = raw[i:i + 1], raw.index(b"\r\n", i)
        head = raw[i + 1:eol]
        j = eol + 2
        if ty in b"$=!":
            n = int(head)
            return j if n < 0 else j + n + 2
        if ty in b"*~>%|":
            n = int(head) * (2 if ty in b"%|" else 1)
            for _ in range(max(n, 0)):
                j = end_of(j)
            return j
        return j
    eol = raw.index(b"\r\n")
    n = int(raw[1:eol])
    out, i = [], eol + 2
    for _ in range(max(n, 0)):
        j = end_of(i)
        out.append(raw[i:j])
        i = j
    return out


def norm_ttl(name, rt, rr):
    """TTL-family replies within the tolerance become redis-server's."""
    if rt[:1] == b":" and rr[:1] == b":":
        a, b = int(rt[1:-2]), int(rr[1:-2])
        if a >= 0 and b >= 0 and abs(a - b) <= TTL_CMDS[name]:
            return rr
    return rt


def norm_unordered(name, rep):
    """A hash-ordered reply as a canonical multiset (HGETALL: of pairs)."""
    if rep[:1] not in (b"*", b"~", b"%"):
        return rep
    v = parse(rep)
    if name == "HGETALL":
        v = [(v[i], v[i + 1]) for i in range(0, len(v), 2)]
    return (rep[:1], sorted(v, key=repr))


class Mirror:
    """A connection for diff_hash's and diff_set's checks, which ask one
    server alone (HGETALL of redis-server's hash, SMEMBERS of Tessera's
    set...). A read of a missing key is a "keymiss" event (class m), so
    the reads that can miss are sent to the other server too (reply
    dropped): both subscribers then see the same events."""
    MIRRORED = {"HGETALL", "EXISTS", "SCARD", "SMEMBERS", "SISMEMBER"}

    def __init__(self, conn, other):
        self.conn, self.other = conn, other

    def cmd(self, *args):
        if args[0].upper() in self.MIRRORED:
            self.other.cmd(*args)
        return self.conn.cmd(*args)


# ---- the generator ----

class Gen:
    """Random steps for one seed. cluster: every command's keys in one slot."""

    def __init__(self, rng, cluster):
        self.rng = rng
        self.cluster = cluster

    def key(self):
        return self.rng.choice(POOL)

    def group(self):
        """Keys one multi-key command may use together: in standalone mode
        sometimes keys on both workers (MSET, MGET, MSETNX, DEL, UNLINK,
        EXISTS, TOUCH, RENAME, RENAMENX, COPY have a cross-worker
        transaction part, cmd_def.tx, also when queued in MULTI)."""
        rng = self.rng
        if not self.cluster and rng.random() < 0.3:
            return list(POOL)
        return list(rng.choice(GROUPS))

    def keys_of(self, group, n):
        return [self.rng.choice(group) for _ in range(n)]

    def value(self):
        rng = self.rng
        r = rng.random()
        if r < 0.3:
            return rng.choice(["0", "1", "-1", "10", "99", "10000", BIG, NEG, "9223372036854775808",
                               "007", " 1", "+1", "-0", "4294967296", "12345678901234567890"])
        if r < 0.4:
            return rng.choice(["1.5", "-0.25", "3e2", "1e308", "inf", "5.0e3", "0.1", "abc", "1e-5"])
        if r < 0.5:
            return "x" * rng.choice([43, 44, 45, 60, 100])
        if r < 0.55:
            return ""
        if r < 0.57:
            return rng.choice(["a\x00b\r\nc", "\r\n", "\xff\xfe", " "])
        return "v%d" % rng.randrange(20)

    def ttl_opt(self):
        """An expiry option of SET/GETEX (never short: see lazy_expiry)."""
        rng = self.rng
        return rng.choice([["EX", str(rng.randint(100, 5000))], ["PX", str(rng.randint(100000, 5000000))],
                           ["EXAT", rng.choice(FUTURE_S)], ["PXAT", rng.choice(FUTURE_S) + "123"],
                           ["KEEPTTL"], ["EX", "0"], ["EX", "-5"], ["PX", "x"], ["EX", BIG],
                           ["EX", "100", "PX", "100000"]])

    def string_cmd(self, in_multi):
        rng = self.rng
        k = self.key()
        w = rng.random()
        if w < 0.20:
            args = ["SET", k, self.value()]
            opts = []
            if rng.random() < 0.3:
                opts.append([rng.choice(["NX", "XX", "nx"])])
            if rng.random() < 0.2:
                opts.append(["GET"])
            if rng.random() < 0.4:
                opts.append(self.ttl_opt())
            if rng.random() < 0.02:
                opts.append([rng.choice(["NX", "XX", "FOO", "EX"])])
            rng.shuffle(opts)
            return args + [a for o in opts for a in o]
        if w < 0.30:
            return ["GET", k]
        if w < 0.40:
            c = rng.choice(["INCR", "DECR", "INCRBY", "DECRBY", "INCRBYFLOAT"])
            if c in ("INCR", "DECR"):
                return [c, k]
            if c == "INCRBYFLOAT":
                return [c, k, rng.choice(["1.5", "-0.1", "1e10", "abc", "inf", "3", "0", "1e308", "-1.5e-3"])]
            return [c, k, rng.choice(["1", "-1", "100", "x", "1.5", BIG, NEG, "9223372036854775808", "0"])]
        if w < 0.46:
            return ["APPEND", k, rng.choice(["x", "12", "", "hello", "y" * 40])]
        if w < 0.50:
            return ["SETRANGE", k, str(rng.choice([0, 1, 3, 10, 40, 50, -1, 536870912])),
                    rng.choice(["ab", "", "1", "z" * 30])]
        if w < 0.55:
            return [rng.choice(["GETRANGE", "SUBSTR"]), k, str(rng.randint(-10, 10)), str(rng.randint(-10, 50))]
        if w < 0.58:
            return ["STRLEN", k]
        if w < 0.64:
            g = self.group()
            n = rng.randint(1, 4)
            c = rng.choice(["MSET", "MSETNX"])
            args = [c]
            for kk in self.keys_of(g, n):
                args += [kk, self.value()]
            if rng.random() < 0.03:
                args = args[:-1]
            return args
        if w < 0.69:
            g = self.group()
            return ["MGET"] + self.keys_of(g, rng.randint(1, 5))
        if w < 0.74:
            return ["GETDEL", k]
        if w < 0.81:
            args = ["GETEX", k]
            r = rng.random()
            if r < 0.4:
                args += self.ttl_opt()
            elif r < 0.6:
                args.append("PERSIST")
            elif r < 0.63:
                args += ["PERSIST", "EX", "10"]
            return args
        if w < 0.85:
            return ["GETSET", k, self.value()]
        if w < 0.90:
            return [rng.choice(["SETEX", "PSETEX"]), k, rng.choice(["1000", "200000", "0", "-1", "x"]),
                    self.value()]
        if w < 0.95:
            return ["SETNX", k, self.value()]
        return rng.choice([["GET"], ["SET", k], ["INCRBY", k], ["APPEND", k], ["GETEX"],
                           ["SETRANGE", k, "1"], ["MSET", k], ["GETDEL"]])

    def key_cmd(self, in_multi):
        rng = self.rng
        k = self.key()
        w = rng.random()
        if w < 0.12:
            g = self.group()
            return [rng.choice(["DEL", "UNLINK", "DEL"])] + self.keys_of(g, rng.randint(1, 3))
        if w < 0.22:
            g = self.group()
            return [rng.choice(["EXISTS", "TOUCH", "EXISTS"])] + self.keys_of(g, rng.randint(1, 4))
        if w < 0.40:
            c = rng.choice(["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"])
            if c == "EXPIRE":
                v = rng.choice([str(rng.randint(100, 5000)), "0", "-1", "x", BIG])
            elif c == "PEXPIRE":
                v = rng.choice([str(rng.randint(100000, 5000000)), "0", "-100", BIG])
            elif c == "EXPIREAT":
                v = rng.choice(FUTURE_S + ["1", "0", "x"])
            else:
                v = rng.choice([s + "999" for s in FUTURE_S] + ["1"])
            args = [c, k, v]
            if rng.random() < 0.3:
                args.append(rng.choice(["NX", "XX", "GT", "LT", "nx", "FOO"]))
            if rng.random() < 0.03:
                args.append(rng.choice(["NX", "GT"]))
            return args
        if w < 0.52:
            return [rng.choice(["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"]), k]
        if w < 0.57:
            return ["PERSIST", k]
        if w < 0.64:
            return ["TYPE", k]
        if w < 0.73:
            g = self.group()
            a, b = self.keys_of(g, 2)
            return [rng.choice(["RENAME", "RENAMENX", "RENAME"]), a, b]
        if w < 0.81:
            g = self.group()
            a, b = self.keys_of(g, 2)
            args = ["COPY", a, b]
            if rng.random() < 0.5:
                args.append("REPLACE")
            if rng.random() < 0.03:
                args.append("FOO")
            return args
        if w < 0.90:
            return ["OBJECT", "ENCODING", k]
        if w < 0.93:
            return ["DBSIZE"]
        if w < 0.95:
            return ["KEYS", rng.choice(["*", "{a}*", "k?", "*3"])]
        if w < 0.97 and not in_multi:
            args = ["SCAN", "0"]
            if rng.random() < 0.5:
                args += ["MATCH", rng.choice(["*", "{a}*", "k?", "*3", "{b}[12]"])]
            if rng.random() < 0.3:
                args += ["TYPE", rng.choice(["string", "hash", "set", "list"])]
            if rng.random() < 0.5:
                args += ["COUNT", rng.choice(["1", "3", "100"])]
            return args
        return rng.choice([["DEL"], ["EXPIRE", k], ["TTL"], ["RENAME", k], ["COPY", k], ["TYPE"],
                           ["PERSIST"], ["OBJECT", "ENCODING"], ["OBJECT", "FOO", k]])

    def hash_cmd(self, in_multi):
        """diff_hash.gen uses keys[:4] together (COPY, RENAME) and any key
        alone: a tag group first, or one untagged key only."""
        rng = self.rng
        if self.cluster or rng.random() < 0.5:
            if rng.random() < 0.7:
                return diff_hash.gen(rng, rng.choice(GROUPS) + [rng.choice(LOOSE)])
            return diff_hash.gen(rng, [rng.choice(LOOSE)] * 5)
        # standalone: COPY / RENAME across workers too (in MULTI as well)
        return diff_hash.gen(rng, ["{a}1", "{b}2", "k1", "k2", "{a}3", "{b}4", "k3", "k4"])

    def set_cmd(self):
        rng = self.rng
        if not self.cluster and rng.random() < 0.2:
            # standalone: SMOVE, SINTERSTORE, SUNION... across workers (in MULTI as well)
            return diff_set.gen_one(rng, ["{a}1", "{b}2", "k1", "k2"], "{a}none", rng.choice(["{b}3", "k4"]))
        if rng.random() < 0.75:
            g = rng.choice(GROUPS)
            return diff_set.gen_one(rng, g, g[0][:3] + "none", rng.choice(g))
        k = rng.choice(LOOSE)
        return diff_set.gen_one(rng, [k] * 4, k, k)

    def data_cmd(self, in_multi):
        """A string, key, hash or set command (no transaction control)."""
        for _ in range(100):
            w = self.rng.random()
            if w < 0.35:
                cmd = self.string_cmd(in_multi)
            elif w < 0.60:
                cmd = self.key_cmd(in_multi)
            elif w < 0.80:
                cmd = self.hash_cmd(in_multi)
            else:
                cmd = self.set_cmd()
            if in_multi and cmd[0].upper() in NOT_IN_MULTI:
                continue
            return cmd
        return ["GET", self.key()]

    def group_cmd(self, group):
        """A data command whose keys are all in group (a transaction in
        cluster mode): regenerated until it is so."""
        for _ in range(200):
            cmd = self.data_cmd(True)
            keys = [a for a in cmd[1:] if a in POOL or a.endswith("none")]
            if all(k in group or k == group[0][:3] + "none" for k in keys):
                return cmd
        return ["GET", group[0]]

    def breaker(self, wkeys):
        """What the second connection does to a watched key (or not)."""
        rng = self.rng
        k = rng.choice(wkeys)
        return rng.choice([
            ["SET", k, "other"], ["DEL", k], ["SADD", k, "1"], ["SADD", k, "m"], ["HSET", k, "f0", "o"],
            ["EXPIRE", k, "1000"], ["PERSIST", k], ["INCR", k], ["APPEND", k, "o"], ["SREM", k, "1"],
            ["HDEL", k, "f1"], ["GET", k], ["EXISTS", k], ["SET", rng.choice(POOL), "elsewhere"],
            ["SETNX", k, "x"], ["GETEX", k, "PERSIST"], ["SET", k, "x", "NX"], ["HSETNX", k, "f0", "z"],
            ["SMOVE", k, k, "1"], ["PEXPIRE", k, "2"],
        ] + ([["FLUSHALL"]] if rng.random() < 0.05 else []))


# ---- one seed ----

class Seed:
    def __init__(self, mode, seed, steps, tess, red):
        self.mode, self.seed, self.steps = mode, seed, steps
        self.cluster = mode == "cluster"
        self.rng = random.Random("%s/%d" % (mode, seed))
        self.gen = Gen(self.rng, self.cluster)
        self.tess, self.red = tess, red
        self.fails = 0
        self.step_no = 0
        self.unordered_step = False
        self.verbose = os.environ.get("RANDOM_DIFF_VERBOSE") == "1"
        self.stats = {"errors": 0, "commands": 0, "pipelines": 0, "notifications": 0, "multi": 0, "watch_broken": 0, "lazy": 0}

    # -- reporting --

    def where(self):
        return "%s seed %d step %d" % (self.mode, self.seed, self.step_no)

    def replay_hint(self):
        print("  -> replay: RANDOM_DIFF_MODES=%s RANDOM_DIFF_SEEDS=%d, RANDOM_DIFF_COMMANDS=%d "
              "RANDOM_DIFF_VERBOSE=1" % (self.mode, self.seed, self.steps))

    def fail(self, msg):
        if not self.fails:
            self.replay_hint()
        self.fails += 1
        t.fail("[%s] %s" % (self.where(), msg))

    def eq(self, a, b, msg):
        if a == b:
            t.passed += 1
            return True
        self.fail("%s: expected %r, got %r" % (msg, b if len(repr(b)) < 600 else repr(b)[:600],
                                               a if len(repr(a)) < 600 else repr(a)[:600]))
        return False

    # -- connections --

    def open(self):
        self.ct, self.cr = self.tess.raw(), self.red.raw()
        self.ot, self.orr = self.tess.raw(), self.red.raw()
        self.st, self.sr = self.tess.raw(), self.red.raw()
        self.conns = [self.ct, self.cr, self.ot, self.orr, self.st, self.sr]

    def close(self):
        for c in self.conns:
            c.close()

    def both(self, cmd, pair=None):
        ct, cr = pair or (self.ct, self.cr)
        payload = H.encode(*cmd)
        ct.send(payload)
        cr.send(payload)
        self.stats["commands"] += 1
        if self.verbose:
            print("    %d: %s" % (self.step_no, " ".join(cmd)[:200]))
        rt, rr = ct.reply(), cr.reply()
        if rr[:1] == b"-":
            self.stats["errors"] += 1
        return rt, rr

    def setup(self):
        rng = self.rng
        self.notify = rng.choice(["KEA", "KEA", "KEAn", "KEAm"])
        entries = rng.choice(["4", "8", "16", "128"])
        value = rng.choice(["8", "16", "64"])
        intset = rng.choice(["4", "16", "512"])
        self.resp = 3 if rng.random() < 0.25 else 2
        for c in (self.ct, self.cr):
            for cmd in (["FLUSHALL"], ["DEBUG", "SET-ACTIVE-EXPIRE", "0"],
                        ["CONFIG", "SET", "notify-keyspace-events", self.notify],
                        ["CONFIG", "SET", "hash-max-listpack-entries", entries],
                        ["CONFIG", "SET", "hash-max-listpack-value", value],
                        ["CONFIG", "SET", "set-max-intset-entries", intset]):
                r = c.cmd(*cmd)
                if r != OK:
                    raise RuntimeError("set-up %r: %r" % (cmd, r))
            if self.resp == 3:
                c.cmd("HELLO", "3")
        sub_resp3 = rng.random() < 0.25  # messages as RESP3 pushes
        self.stats["resp3_subscriber"] = int(sub_resp3)
        self.stats["resp3_client"] = int(self.resp == 3)
        for s in (self.st, self.sr):
            if sub_resp3:
                s.cmd("HELLO", "3")
            s.send(H.encode("PSUBSCRIBE", "__key*__:*"))
            s.reply()
        mt, mr = Mirror(self.ct, self.cr), Mirror(self.cr, self.ct)
        self.pair = diff_set.Pair(t, None, None, "", conns=(mt, mr), resync_both=True)
        self.pair.resp = self.resp
        self.hctx = diff_hash._Ctx(t, mt, mr, parse, self.resp)

    # -- notifications --

    def read_until_pong(self, s, want=None, slack=2.0):
        """Messages up to the PONG after them; with want, also wait (up to
        slack seconds) for messages that arrive after the PONG until there
        are want of them: another worker's messages may travel a little
        longer than the PING's reply."""
        msgs = []
        s.send(H.encode("PING"))
        while True:
            r = s.reply()
            if r in (PONG, PONG3):
                break
            msgs.append(r)
        if want is not None and len(msgs) < want:
            s.sock.settimeout(0.05)
            deadline = time.monotonic() + slack
            try:
                while len(msgs) < want and time.monotonic() < deadline:
                    try:
                        msgs.append(s.reply())
                    except OSError:
                        continue
            finally:
                s.sock.settimeout(s.timeout)
        return msgs

    def notifications(self):
        """Compare what both subscribers got since the last call (as a
        multiset after a SCAN: unordered_step)."""
        mr = self.read_until_pong(self.sr)
        mt = self.read_until_pong(self.st, want=len(mr))
        self.stats["notifications"] += len(mr)
        if mt == mr:
            t.passed += 1
            return
        # messages of different workers: each worker's in order
        gt, gr = self.by_worker(mt), self.by_worker(mr)
        if gt == gr:
            t.passed += 1
            return
        if self.unordered_step and sorted(mt) == sorted(mr):
            t.passed += 1
            return
        self.fail("notifications differ:\n      tessera %r\n      redis   %r" % (
            [self.short(m) for m in mt], [self.short(m) for m in mr]))

    @staticmethod
    def short(m):
        v = parse_msg(m)
        if isinstance(v, list) and len(v) == 4:
            return (v[2].decode("latin1"), v[3].decode("latin1"))
        return m

    @staticmethod
    def by_worker(msgs):
        groups = {}
        for m in msgs:
            v = parse_msg(m)
            if isinstance(v, list) and len(v) == 4:
                ch, payload = v[2], v[3]
                key = ch.split(b":", 1)[1] if ch.startswith(b"__keyspace@") else payload
                groups.setdefault(worker_of(key), []).append(m)
            else:
                groups.setdefault(-1, []).append(m)
        return groups

    # -- comparing replies --

    def compare(self, cmd, rt, rr):
        name = cmd[0].upper()
        label = " ".join(cmd)[:100]
        if name in TTL_CMDS:
            rt = norm_ttl(name, rt, rr)
        elif name == "KEYS" and rr[:1] == b"*":
            rt, rr = sorted(parse(rt) or []), sorted(parse(rr) or [])
        self.eq(rt, rr, label)

    def compare_exec(self, queued, rt, rr):
        if rr[:1] not in (b"*",) or rt[:1] != rr[:1] or rr.startswith(b"*-1"):
            self.eq(rt, rr, "EXEC")
            return
        et, er = split_elems(rt), split_elems(rr)
        if not self.eq(len(et), len(er), "EXEC reply length"):
            return
        for cmd, a, b in zip(queued, et, er):
            name = cmd[0].upper()
            if name in TTL_CMDS:
                a = norm_ttl(name, a, b)
            elif name in UNORDERED:
                a, b = norm_unordered(name, a), norm_unordered(name, b)
            elif name == "KEYS" and b[:1] == b"*":
                a, b = sorted(parse(a) or []), sorted(parse(b) or [])
            self.eq(a, b, "EXEC element for " + " ".join(cmd)[:100])

    def data_step(self, cmd):
        name = cmd[0].upper()
        if name in SET_CMDS:
            before = t.failed
            self.stats["commands"] += 1
            if self.verbose:
                print("    %d: %s" % (self.step_no, " ".join(cmd)[:200]))
            self.pair.label = self.where()
            self.pair.step(self.step_no, cmd)
            self.absorb(before)
            return
        rt, rr = self.both(cmd)
        if name == "SCAN":
            self.scan_step(cmd, rt, rr)
            return
        if name.startswith("H") and name != "HELLO":
            before = t.failed
            diff_hash._compare(self.hctx, self.step_no, cmd, rt, rr)
            self.absorb(before)
            return
        self.compare(cmd, rt, rr)

    def scan_step(self, cmd, rt, rr):
        """SCAN: the cursor and the order are each server's own, so the
        iteration is completed on both and the keys are compared as a set;
        the expired keys it meets are deleted by both, in each server's own
        order (this step's notifications are compared as a multiset)."""
        self.unordered_step = True
        out = []
        for conn, rep in ((self.ct, rt), (self.cr, rr)):
            keys = set()
            for _ in range(10000):
                v = parse(rep)
                if not isinstance(v, list):
                    keys = rep
                    break
                keys.update(v[1])
                if v[0] == b"0":
                    break
                rep = conn.cmd("SCAN", v[0].decode(), *cmd[2:])
            out.append(sorted(keys) if isinstance(keys, set) else keys)
        self.eq(out[0], out[1], " ".join(cmd) + " (whole iteration)")

    def absorb(self, before):
        """Failures diff_set / diff_hash reported: count them for this seed."""
        if t.failed > before:
            if not self.fails:
                self.replay_hint()
            self.fails += t.failed - before
            print("    (at %s)" % self.where())

    # -- steps --

    def transaction(self):
        rng = self.rng
        self.stats["multi"] += 1
        group = rng.choice(GROUPS) if self.cluster else None
        watched = []
        if rng.random() < 0.5:
            pool = group or POOL
            watched = rng.sample(pool, rng.randint(1, 3))
            self.compare(["WATCH"] + watched, *self.both(["WATCH"] + watched))
            if rng.random() < 0.5:
                b = self.gen.breaker(watched)
                rt, rr = self.both(b, (self.ot, self.orr))
                self.eq(rt, rr, "second connection: " + " ".join(b))
                if b[0] == "PEXPIRE":
                    time.sleep(0.004)  # expired when EXEC comes: Redis aborts it
            if rng.random() < 0.1:
                self.compare(["UNWATCH"], *self.both(["UNWATCH"]))
        self.compare(["MULTI"], *self.both(["MULTI"]))
        queued = []
        for _ in range(rng.randint(0, 6)):
            r = rng.random()
            if r < 0.04:
                cmd = rng.choice([["NOSUCHCMD", "x"], ["GET"], ["SET", "k1"], ["HSET", "k1", "f"], ["SADD", "k2"],
                                  ["EXPIRE"]])
                if self.cluster:
                    cmd = [group[0] if a in POOL else a for a in cmd]
            elif r < 0.06:
                cmd = rng.choice([["MULTI"], ["WATCH", (group or POOL)[0]], ["PING"], ["ECHO", "e"]])
            else:
                cmd = self.gen.group_cmd(group) if self.cluster else self.gen.data_cmd(True)
            rt, rr = self.both(cmd)
            self.eq(rt, rr, "queued " + " ".join(cmd)[:100])
            if rr == b"+QUEUED\r\n":
                queued.append(cmd)
        end = "DISCARD" if rng.random() < 0.15 else "EXEC"
        rt, rr = self.both([end])
        if end == "EXEC":
            if rr == b"*-1\r\n" or rr == b"_\r\n":
                self.stats["watch_broken"] += 1
            self.compare_exec(queued, rt, rr)
        else:
            self.eq(rt, rr, "DISCARD")

    def pipeline(self):
        """2-8 data commands written at once (as redis-py's pipeline does),
        sometimes inside MULTI ... EXEC; replies compared as in MULTI
        (no random commands, no SCAN, no keyless fan-out: Tessera may run
        those before earlier pipelined commands of another worker)."""
        rng = self.rng
        self.stats["pipelines"] += 1
        tx = rng.random() < 0.3
        group = rng.choice(GROUPS) if self.cluster else None
        cmds = []
        n = rng.randint(2, 8)
        while len(cmds) < n:
            if tx:
                cmd = self.gen.group_cmd(group) if self.cluster else self.gen.data_cmd(True)
            else:
                cmd = self.gen.data_cmd(False)
            if cmd[0].upper() not in (NOT_IN_MULTI if tx else NOT_PIPELINED):
                cmds.append(cmd)
        sent = [["MULTI"]] + cmds + [["EXEC"]] if tx else cmds
        payload = b"".join(H.encode(*c) for c in sent)
        self.ct.send(payload)
        self.cr.send(payload)
        self.stats["commands"] += len(sent)
        if self.verbose:
            for c in sent:
                print("    %d: | %s" % (self.step_no, " ".join(c)[:200]))
        rts, rrs = self.ct.replies(len(sent)), self.cr.replies(len(sent))
        queued = []
        for c, rt, rr in zip(sent, rts, rrs):
            name = c[0].upper()
            if name == "EXEC":
                self.compare_exec(queued, rt, rr)
            elif tx and name != "MULTI":
                self.eq(rt, rr, "pipelined queued " + " ".join(c)[:100])
                if rr == b"+QUEUED\r\n":
                    queued.append(c)
            elif name in UNORDERED:
                self.eq(norm_unordered(name, rt), norm_unordered(name, rr), "pipelined " + " ".join(c)[:100])
            else:
                self.compare(c, rt, rr)

    def lazy_expiry(self):
        """A key given a life of 1 or 2 ms (or a deadline in the past), a short sleep, then (mostly) a command
        on it: both servers expire it on access (active expiry is off)."""
        rng = self.rng
        self.stats["lazy"] += 1
        k = self.gen.key()
        # PEXPIRE 2, not 1: Redis reads its clock twice (the base time, then
        # "already expired?"), and a millisecond tick between the two makes
        # PEXPIRE 1 a DEL on its side now and then.
        cmd = rng.choice([["PEXPIRE", k, "2"], ["SET", k, "short", "PX", "1"], ["GETEX", k, "PX", "1"],
                          ["SET", k, "past", "EXAT", "1"], ["SET", k, "p", "PXAT", "1000"],
                          ["PEXPIREAT", k, "1"], ["PSETEX", k, "1", "s"],
                          ["GETEX", k, "EXAT", "1"], ["EXPIRE", k, "0"]])
        self.data_step(cmd)
        time.sleep(0.004)
        if rng.random() < 0.35:
            return  # left for a later step (or EXEC, DBSIZE, KEYS, DEBUG DIGEST) to find
        touch = rng.choice([["EXISTS", k], ["TYPE", k], ["GET", k], ["TTL", k], ["PTTL", k], ["STRLEN", k],
                            ["OBJECT", "ENCODING", k], ["SCARD", k], ["HLEN", k], ["SET", k, "new"],
                            ["INCR", k], ["APPEND", k, "a"], ["DEL", k], ["SADD", k, "1"], ["HSET", k, "f", "v"],
                            ["PERSIST", k], ["EXPIRE", k, "100"], ["GETDEL", k], ["SETNX", k, "n"],
                            ["SMEMBERS", k], ["HGETALL", k], ["GETEX", k], ["SET", k, "x", "XX"]])
        self.data_step(touch)

    def config_step(self):
        rng = self.rng
        cmd = rng.choice([["CONFIG", "SET", "hash-max-listpack-entries", rng.choice(["2", "4", "16", "512"])],
                          ["CONFIG", "SET", "hash-max-listpack-value", rng.choice(["4", "16", "64"])],
                          ["CONFIG", "SET", "set-max-intset-entries", rng.choice(["2", "8", "512"])],
                          ["CONFIG", "SET", "notify-keyspace-events",
                           rng.choice(["KEA", "KEAn", "KEAm", "Kg$", "Eshx", "KEAnm"])]])
        self.compare(cmd, *self.both(cmd))

    def digest(self):
        rt, rr = self.both(["DEBUG", "DIGEST"])
        self.eq(rt, rr, "DEBUG DIGEST of the dataset")

    def run(self):
        self.open()
        try:
            self.setup()
            for i in range(self.steps):
                self.step_no = i
                w = self.rng.random()
                if w < 0.82:
                    self.data_step(self.gen.data_cmd(False))
                elif w < 0.86:
                    self.pipeline()
                elif w < 0.95:
                    self.transaction()
                elif w < 0.985:
                    self.lazy_expiry()
                else:
                    self.config_step()
                self.notifications()
                self.unordered_step = False
                if i % DIGEST_EVERY == DIGEST_EVERY - 1:
                    self.digest()
                if self.fails >= MAX_FAILS_PER_SEED:
                    print("  giving up on %s after %d differences" % (self.where(), self.fails))
                    break
            self.step_no = self.steps
            self.digest()
            self.notifications()
        finally:
            self.close()
        return self.fails


# ---- modes ----

def seeds_from_env():
    v = os.environ.get("RANDOM_DIFF_SEEDS", "4")
    if "," in v:
        return [int(s) for s in v.split(",") if s.strip()]
    return list(range(1, int(v) + 1))


def run_seeds(mode, tess, red):
    steps = int(os.environ.get("RANDOM_DIFF_COMMANDS", "1500"))
    totals = {}
    failed_seeds = []
    t0 = time.monotonic()
    for seed in seeds_from_env():
        s = Seed(mode, seed, steps, tess, red)
        try:
            fails = s.run()
        except (H.Closed, OSError) as e:
            rc = tess.wait_exit(2)
            t.fail("[%s] Tessera connection lost (%s); %s\n%s" % (
                s.where(), e, "still running" if rc is None else "SERVER DIED, exit status %d" % rc,
                tess.log_tail(20)))
            failed_seeds.append(seed)
            if rc is not None:
                return
            continue
        if fails:
            failed_seeds.append(seed)
        for k, v in s.stats.items():
            totals[k] = totals.get(k, 0) + v
    print("  %s: %d seeds x %d steps in %.1fs, %s; seeds with differences: %s" % (
        mode, len(seeds_from_env()), steps, time.monotonic() - t0, totals, failed_seeds or "none"))
    t.check(tess.alive(), "%s: Tessera still running" % mode)


def test_standalone(tess, red):
    run_seeds("standalone", tess, red)


def test_cluster(red):
    port = PORT_C
    srv = H.tessera(port, threads=2, extra=["--cluster-enabled", "yes", "--cluster-config-file",
                                            "nodes-%d.conf" % port, "--cluster-port", str(port + 50)])
    try:
        with srv.raw() as c:
            t.eq(c.cmd("CLUSTER", "ADDSLOTSRANGE", "0", "16383"), OK, "ADDSLOTSRANGE")
            ok = H.wait_for(lambda: b"cluster_state:ok" in c.cmd("CLUSTER", "INFO"), 15)
            t.check(ok, "cluster state ok")
        run_seeds("cluster", srv, red)
    finally:
        srv.stop()
        t.server_checks(srv)
        srv.cleanup()


def main():
    modes = [m.strip() for m in os.environ.get("RANDOM_DIFF_MODES", "standalone,cluster").split(",") if m.strip()]
    tess = red = None
    try:
        red = H.redis_server(PORT_R, extra=["--enable-debug-command", "yes"])
        if "standalone" in modes:
            tess = H.tessera(PORT_T, threads=2,
                             extra=["--enable-debug-command", "yes"] if H.is_dry_run() else [])
            t.run(test_standalone, tess, red)
        if "cluster" in modes and not H.is_dry_run():
            t.run(test_cluster, red)
    finally:
        for s in (tess, red):
            if s:
                s.stop()
    if tess:
        t.server_checks(tess)
        tess.cleanup()
    red.cleanup()
    t.finish()


if __name__ == "__main__":
    H.run_main(t, main)
