"""diff_set.py: the set commands' part of test_differential.py.

Fixed cases (errors, arity, encodings across set-max-intset-entries, RESP3
shapes) and a seeded random generator of set commands, sent to Tessera and
to redis-server 7.0 over raw sockets and compared byte for byte, except:

- members in hash order (SMEMBERS/SINTER/SUNION/SDIFF of a hashtable, a
  hashtable SSCAN) are compared as multisets, with the reply's type and
  length; replies Redis produces from an intset (ascending integers) must
  match exactly, so after each such command the encodings of the keys are
  asked of both servers (they must agree too) to know which case applies;
- SRANDMEMBER / SPOP replies are random: their shape is compared (type,
  length, distinctness, membership), and after an SPOP that does not empty
  the set, Tessera's copy is rebuilt from redis-server's members (and
  encoding) so the two stay in step.

Every key of a multi-key command carries the hash tag {s}, so the keys
share a slot (one worker). Seeds: DIFF_SET_SEEDS (default "1,2,3"),
commands per seed: DIFF_SET_N (default 600).

run_cross_worker replays the same fixed cases and a random seed with the
keys renamed so that they spread over the two workers of a standalone
Tessera (cross_worker_keys): the multi-key commands then run as
cross-worker transactions (core/t_set_tx.c) and must still answer as
redis-server does. test_tx.py uses the same renaming.
"""
import os
import random
import re

import harness as H

K = ["{s}a", "{s}b", "{s}c", "{s}d", "{s}e"]
STR = "{s}str"
INTS = [str(i) for i in range(-3, 12)] + ["65535", "-32769", "2147483648", "-9223372036854775808",
                                          "9223372036854775807", "100000"]
NONCANON = ["007", "+1", "-0", " 1", "1.0", "9223372036854775808", "0x10", ""]
STRS = ["a", "b", "c", "hello", "x" * 70, "m:1", "m:2", "\xe9t\xe9"]
BIG = str(2 ** 63)


def fixed_cases():
    """Deterministic cases: errors, arity, thresholds, RESP3."""
    c = [
        ["SADD"], ["SADD", K[0]], ["SREM", K[0]], ["SMEMBERS"], ["SISMEMBER", K[0]], ["SCARD"],
        ["SMISMEMBER", K[0]], ["SPOP"], ["SRANDMEMBER"], ["SMOVE", K[0], K[1]], ["SINTER"],
        ["SINTERCARD", "1"], ["SINTERSTORE", K[0]], ["SUNION"], ["SUNIONSTORE", K[0]], ["SDIFF"],
        ["SDIFFSTORE", K[0]], ["SSCAN", K[0]],
        ["SET", STR, "v"], ["SADD", STR, "1"], ["SREM", STR, "1"], ["SMEMBERS", STR], ["SCARD", STR],
        ["SISMEMBER", STR, "1"], ["SMISMEMBER", STR, "1"], ["SPOP", STR], ["SPOP", STR, "2"],
        ["SPOP", STR, "0"], ["SRANDMEMBER", STR], ["SRANDMEMBER", STR, "2"], ["SSCAN", STR, "0"],
        ["SINTER", K[0], STR], ["SINTER", "{s}none", STR], ["SUNION", K[0], STR], ["SDIFF", STR],
        ["SINTERCARD", "1", STR], ["SINTERSTORE", K[4], STR], ["SMOVE", STR, K[0], "1"],
        ["SMOVE", "{s}none", STR, "1"],
        ["SADD", K[0], "1", "2", "3"], ["SMOVE", K[0], STR, "1"], ["OBJECT", "ENCODING", K[0]],
        ["SADD", K[0], "3", "2", "4"], ["SMEMBERS", K[0]], ["SADD", K[0], "-5", "70000", "5000000000"],
        ["SMEMBERS", K[0]], ["OBJECT", "ENCODING", K[0]], ["SISMEMBER", K[0], "70000"],
        ["SISMEMBER", K[0], "070000"], ["SMISMEMBER", K[0], "1", "x", "5000000000", "-5"],
        ["SMISMEMBER", "{s}none", "1", "2"], ["SREM", K[0], "9", "x", "-5"], ["SMEMBERS", K[0]],
        ["SADD", K[0], "007"], ["OBJECT", "ENCODING", K[0]], ["SREM", K[0], "007"],
        ["OBJECT", "ENCODING", K[0]], ["SCARD", K[0]], ["SCARD", "{s}none"],
        ["SPOP", K[0], "-1"], ["SPOP", K[0], "x"], ["SPOP", K[0], "1", "2"], ["SPOP", "{s}none"],
        ["SPOP", "{s}none", "3"], ["SPOP", K[0], "0"], ["SPOP", K[0], BIG],
        ["SRANDMEMBER", K[0], "x"], ["SRANDMEMBER", K[0], "1", "2"], ["SRANDMEMBER", "{s}none"],
        ["SRANDMEMBER", "{s}none", "5"], ["SRANDMEMBER", "{s}none", "-5"], ["SRANDMEMBER", K[0], "0"],
        ["SRANDMEMBER", K[0], "-9223372036854775808"], ["SRANDMEMBER", K[0], BIG],
        ["SINTERCARD", "0", K[0]], ["SINTERCARD", "-1", K[0]], ["SINTERCARD", "x", K[0]],
        ["SINTERCARD", "3", K[0], K[1]], ["SINTERCARD", "1", K[0], "LIMIT"],
        ["SINTERCARD", "1", K[0], "LIMIT", "-1"], ["SINTERCARD", "1", K[0], "LIMIT", "x"],
        ["SINTERCARD", "1", K[0], "FOO", "1"], ["SINTERCARD", "1", K[0], "LIMIT", "1", "LIMIT", "0"],
        ["SINTERCARD", "2", K[0], "{s}none"], ["SINTERCARD", "1", "{s}none", "LIMIT", "x"],
        ["SSCAN", K[0], "x"], ["SSCAN", K[0], "-1"], ["SSCAN", K[0], "+0"], ["SSCAN", K[0], " 0"],
        ["SSCAN", K[0], "0", "COUNT"], ["SSCAN", K[0], "0", "COUNT", "0"], ["SSCAN", K[0], "0", "COUNT", "x"],
        ["SSCAN", K[0], "0", "TYPE", "set"], ["SSCAN", K[0], "0", "FOO", "bar"], ["SSCAN", K[0], "0", "MATCH", "*"],
        ["SSCAN", K[0], "0", "MATCH", "1*"], ["SSCAN", K[0], "5"], ["SSCAN", "{s}none", "0", "FOO"],
        ["SSCAN", "{s}none", "x"], ["SSCAN", K[0], "99999999999999999999"], ["SSCAN", K[0], ""],
        ["SADD", K[1], "a", "b", "c", "1"], ["SINTERSTORE", K[2], K[0], K[1]], ["EXISTS", K[2]],
        ["SET", K[2], "str"], ["SINTERSTORE", K[2], K[1], "{s}none"], ["EXISTS", K[2]],
        ["SUNIONSTORE", K[2], K[0], K[1]], ["SCARD", K[2]], ["OBJECT", "ENCODING", K[2]],
        ["SUNIONSTORE", K[3], K[0]], ["OBJECT", "ENCODING", K[3]], ["SMEMBERS", K[3]],
        ["SDIFFSTORE", K[3], K[3], K[3]], ["EXISTS", K[3]], ["SDIFFSTORE", K[3], "{s}none", K[0]],
        ["SDIFF", "{s}none", K[0]], ["SDIFF", K[0], "{s}none"], ["SUNION", "{s}none"],
        ["EXPIRE", K[2], "100"], ["SUNIONSTORE", K[2], K[0]], ["TTL", K[2]],
        ["SMOVE", K[0], K[0], "2"], ["SMOVE", K[0], K[0], "zz"], ["SMOVE", K[0], K[4], "2"],
        ["SMEMBERS", K[4]], ["OBJECT", "ENCODING", K[4]], ["SMOVE", K[1], K[4], "a"],
        ["OBJECT", "ENCODING", K[4]], ["SMOVE", K[0], K[1], "nope"],
        ["DEL", K[0], K[1], K[2], K[3], K[4], STR],
        # the intset limit
        ["CONFIG", "GET", "set-max-intset-entries"], ["CONFIG", "SET", "set-max-intset-entries", "3"],
        ["SADD", K[0], "1", "2", "3"], ["OBJECT", "ENCODING", K[0]], ["SADD", K[0], "4"],
        ["OBJECT", "ENCODING", K[0]], ["SREM", K[0], "4", "3"], ["OBJECT", "ENCODING", K[0]],
        ["SADD", K[1], "1", "2", "3", "4"], ["OBJECT", "ENCODING", K[1]],
        ["SUNIONSTORE", K[2], K[0]], ["OBJECT", "ENCODING", K[2]],
        ["CONFIG", "SET", "set-max-intset-entries", "0"], ["SADD", K[3], "1"], ["OBJECT", "ENCODING", K[3]],
        ["CONFIG", "SET", "set-max-intset-entries", "-1"], ["CONFIG", "SET", "set-max-intset-entries", "x"],
        ["CONFIG", "SET", "set-max-intset-entries", "512"], ["CONFIG", "GET", "set-max-intset-entries"],
        ["DEL", K[0], K[1], K[2], K[3]],
        ["SADD", K[0]] + [str(i) for i in range(512)], ["OBJECT", "ENCODING", K[0]],
        ["SADD", K[0], "512"], ["OBJECT", "ENCODING", K[0]], ["SCARD", K[0]],
        ["SPOP", K[0], "510"], ["OBJECT", "ENCODING", K[0]], ["SCARD", K[0]],
        ["SADD", K[1]] + [str(i) for i in range(600)], ["SPOP", K[1], "100"], ["OBJECT", "ENCODING", K[1]],
        ["SCARD", K[1]], ["DEL", K[0], K[1]],
        ["COMMAND", "INFO", "sadd", "srem", "smembers", "sismember", "smismember", "scard", "spop",
         "srandmember", "smove", "sinter", "sintercard", "sinterstore", "sunion", "sunionstore", "sdiff",
         "sdiffstore", "sscan"],
        ["COMMAND", "GETKEYS", "SINTERCARD", "2", "a", "b", "LIMIT", "1"],
        ["COMMAND", "GETKEYS", "SMOVE", "a", "b", "m"],
        ["SADD", K[0], "3", "1", "2"], ["SADD", K[1], "x", "y"], ["SADD", K[2], "5", "1"],
        ["HELLO", "3"], ["SMEMBERS", K[0]], ["SMEMBERS", "{s}none"], ["SINTER", K[0], K[2]],
        ["SUNION", K[0], K[2]], ["SDIFF", K[0], K[2]], ["SPOP", "{s}none"], ["SPOP", "{s}none", "2"],
        ["SRANDMEMBER", "{s}none"], ["SRANDMEMBER", "{s}none", "2"], ["SMISMEMBER", K[0], "1", "9"],
        ["SSCAN", K[0], "0"], ["SINTER", K[0], "{s}none"], ["SPOP", K[2], "5"],
        ["SINTERCARD", "2", K[0], K[1]], ["HELLO", "2"], ["DEL", K[0], K[1], K[2]],
    ]
    return c


def rand_member(rng):
    r = rng.random()
    if r < 0.55:
        return rng.choice(INTS)
    if r < 0.62:
        return rng.choice(NONCANON)
    return rng.choice(STRS)


def gen_one(rng, keys=K, none="{s}none", strkey=STR):
    """One random set command over keys (which must share a slot when a
    multi-key command may pick several), none (a key expected not to
    exist) and strkey (expected to hold a string: WRONGTYPE cases)."""
    k = rng.choice(keys)
    ks = rng.sample(list(keys) + [none], rng.randint(1, 4))
    w = rng.random()
    if w < 0.22:
        return ["SADD", k] + [rand_member(rng) for _ in range(rng.randint(1, 5))]
    if w < 0.25:
        base = rng.randint(-100, 1000)
        return ["SADD", k] + [str(base + i) for i in range(rng.randint(100, 700))]
    if w < 0.33:
        return ["SREM", k] + [rand_member(rng) for _ in range(rng.randint(1, 4))]
    if w < 0.38:
        return ["SISMEMBER", k, rand_member(rng)]
    if w < 0.41:
        return ["SMISMEMBER", k] + [rand_member(rng) for _ in range(rng.randint(1, 4))]
    if w < 0.45:
        return ["SCARD", k]
    if w < 0.50:
        return ["SMEMBERS", k]
    if w < 0.54:
        return ["OBJECT", "ENCODING", k]
    if w < 0.58:
        return ["SPOP", k] + ([] if rng.random() < 0.4 else [str(rng.choice([0, 1, 2, 3, 5, 50, 1000]))])
    if w < 0.63:
        return ["SRANDMEMBER", k] + ([] if rng.random() < 0.3 else
                                    [str(rng.choice([0, 1, 2, 3, 5, 50, 1000, -1, -3, -20]))])
    if w < 0.67:
        return ["SMOVE", k, rng.choice(keys), rand_member(rng)]
    if w < 0.71:
        return ["SINTER"] + ks
    if w < 0.74:
        extra = ["LIMIT", str(rng.choice([0, 1, 2, 5]))] if rng.random() < 0.5 else []
        return ["SINTERCARD", str(len(ks))] + ks + extra
    if w < 0.77:
        return ["SINTERSTORE", k] + ks
    if w < 0.81:
        return ["SUNION"] + ks
    if w < 0.84:
        return ["SUNIONSTORE", k] + ks
    if w < 0.88:
        return ["SDIFF"] + ks
    if w < 0.91:
        return ["SDIFFSTORE", k] + ks
    if w < 0.96:
        opts = []
        if rng.random() < 0.5:
            opts += ["MATCH", rng.choice(["*", "1*", "?", "[a-c]", "m:*", "-*"])]
        if rng.random() < 0.5:
            opts += ["COUNT", str(rng.choice([1, 2, 5, 100]))]
        return ["SSCAN", k, "0"] + opts
    if w < 0.97:
        return ["DEL", k]
    if w < 0.98:
        return ["CONFIG", "SET", "set-max-intset-entries", str(rng.choice([2, 5, 16, 512]))]
    return [rng.choice(["SADD", "SREM", "SCARD", "SMEMBERS", "SPOP", "SRANDMEMBER",
                        "SINTERCARD", "SSCAN"]), strkey] + ([rand_member(rng)] if rng.random() < 0.5 else [])


def gen(seed, n):
    """n random set commands over the tagged keys (and a string key)."""
    rng = random.Random(seed)
    out = [["SET", STR, "v"]]
    for _ in range(n):
        out.append(gen_one(rng))
    out.append(["CONFIG", "SET", "set-max-intset-entries", "512"])
    return out


# ---- reply handling ----

def parse(raw):
    def p(i):
        t_, eol = raw[i:i + 1], raw.index(b"\r\n", i)
        head = raw[i + 1:eol]
        i = eol + 2
        if t_ in b"+-":
            return ("s", head), i
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


def is_agg(rep):
    return rep[:1] in (b"*", b"~")


def sorted_form(rep):
    """Type byte, length and the sorted members of an aggregate reply."""
    return (rep[:1], sorted(parse(rep)))


def ascending_ints(members):
    try:
        v = [int(m) for m in members]
    except ValueError:
        return False
    return all(str(x).encode() == m and -2 ** 63 <= x < 2 ** 63 for x, m in zip(v, members)) and \
        v == sorted(v) and len(set(v)) == len(v)


class Pair:
    """conns: an existing (Tessera, redis-server) pair of RawConns to use
    instead of new ones. resync_both: after SPOP, rebuild the set on both
    servers (not only Tessera), so both see the same writes (a caller that
    compares keyspace notifications needs that)."""

    def __init__(self, t, tess, red, label, conns=None, resync_both=False):
        self.t, self.label = t, label
        self.ct, self.cr = conns if conns else (tess.raw(), red.raw())
        self.resp = 2
        self.resync_both = resync_both

    def close(self):
        self.ct.close()
        self.cr.close()

    def both(self, *cmd):
        return self.ct.cmd(*cmd), self.cr.cmd(*cmd)

    def enc(self, key):
        et, er = self.both("OBJECT", "ENCODING", key)
        self.t.eq(et, er, "%s: OBJECT ENCODING %s" % (self.label, key))
        return er

    def max_intset(self):
        r = parse(self.cr.cmd("CONFIG", "GET", "set-max-intset-entries"))
        if isinstance(r, list) and len(r) >= 2:
            return int(r[1])
        return 512

    def scan_all(self, conn, cmd, first):
        keys, rep = [], first
        for _ in range(100000):
            v = parse(rep)
            if not isinstance(v, list):
                return rep
            keys += v[1]
            if v[0] == b"0":
                break
            rep = conn.cmd(cmd[0], cmd[1], v[0].decode(), *cmd[3:])
        return ("scan", sorted(keys))

    def resync(self, key):
        """After SPOP: give Tessera redis-server's members and encoding
        (with resync_both, rebuild both from redis-server's members)."""
        members = parse(self.cr.cmd("SMEMBERS", key))
        hashtable = self.cr.cmd("OBJECT", "ENCODING", key) == b"$9\r\nhashtable\r\n"
        for c in (self.ct, self.cr) if self.resync_both else (self.ct,):
            c.cmd("DEL", key)
            if members:
                c.cmd("SADD", key, *members)
                if hashtable and c.cmd("OBJECT", "ENCODING", key) != b"$9\r\nhashtable\r\n":
                    c.cmd("SADD", key, "\x00conv")
                    c.cmd("SREM", key, "\x00conv")

    def step(self, i, cmd):
        name = cmd[0].upper()
        lab = "%s #%d %s" % (self.label, i, " ".join(cmd)[:90])
        rt, rr = self.both(*cmd)
        if name == "HELLO":
            self.resp = 3 if cmd[1] == "3" and rr.startswith(b"%") else (2 if cmd[1] == "2" else self.resp)
            self.t.eq(rt[:1], rr[:1], lab)
            return
        if name == "COMMAND" and cmd[1].upper() == "INFO":
            pt, pr = parse(rt), parse(rr)
            for et, er in zip(pt, pr):
                self.t.eq([et[0], et[1], sorted(et[2]), et[3], et[4], et[5], sorted(et[6])],
                          [er[0], er[1], sorted(er[2]), er[3], er[4], er[5], sorted(er[6])], lab)
            self.t.eq(len(pt), len(pr), lab + " entries")
            return
        if not is_agg(rr) or not is_agg(rt):
            if name == "SPOP" and len(cmd) == 2 and rr.startswith(b"$") and rt.startswith(b"$"):
                if rr == b"$-1\r\n" or rt == b"$-1\r\n":
                    self.t.eq(rt, rr, lab)
                    return
                self.resync(cmd[1])
                return
            if name == "SRANDMEMBER" and len(cmd) == 2 and rr.startswith(b"$") and rr != b"$-1\r\n":
                self.t.check(self.ct.cmd("SISMEMBER", cmd[1], parse(rt) or b"") == b":1\r\n",
                             lab + ": a member (%r)" % rt)
                return
            self.t.eq(rt, rr, lab)
            return
        if name == "SPOP":
            st, sr = sorted_form(rt), sorted_form(rr)
            self.t.eq((st[0], len(st[1])), (sr[0], len(sr[1])), lab + " (shape)")
            self.t.check(len(set(st[1])) == len(st[1]), lab + ": distinct members")
            if self.cr.cmd("EXISTS", cmd[1]) == b":0\r\n":
                self.t.eq(st, sr, lab + " (whole set)")
                self.t.eq(self.ct.cmd("EXISTS", cmd[1]), b":0\r\n", lab + " key gone")
            else:
                self.resync(cmd[1])
            return
        if name == "SRANDMEMBER":
            st, sr = sorted_form(rt), sorted_form(rr)
            self.t.eq((st[0], len(st[1])), (sr[0], len(sr[1])), lab + " (shape)")
            if int(cmd[2]) > 0:
                self.t.check(len(set(st[1])) == len(st[1]), lab + ": distinct members")
                card = parse(self.cr.cmd("SCARD", cmd[1]))
                if int(cmd[2]) >= card:
                    self.t.eq(st, sr, lab + " (whole set)")
            members = set(parse(self.ct.cmd("SMEMBERS", cmd[1])))
            self.t.check(set(st[1]) <= members, lab + ": members of the set")
            return
        if name == "SSCAN":
            if self.enc(cmd[1]) == b"$6\r\nintset\r\n":
                self.t.eq(rt, rr, lab)
                return
            if cmd[2] != "0":
                # a hashtable cursor is each server's own (the next one may
                # not even have as many digits): compare the shape
                def shape(rep):
                    v = parse(rep)
                    return rep[:4], isinstance(v, list) and len(v) == 2 and isinstance(v[1], list)
                self.t.eq(shape(rt), shape(rr), lab + " (shape)")
                return
            self.t.eq(self.scan_all(self.ct, cmd, rt), self.scan_all(self.cr, cmd, rr), lab)
            return
        if name in ("SMEMBERS", "SINTER", "SUNION", "SDIFF"):
            exact = False
            pr = parse(rr)
            if name == "SMEMBERS":
                exact = self.enc(cmd[1]) == b"$6\r\nintset\r\n"
            elif name == "SINTER":
                exact = self.sinter_walks_intset(cmd[1:])
            else:
                exact = ascending_ints(pr) and len(pr) <= self.max_intset()
            if exact:
                self.t.eq(rt, rr, lab + " (intset order)")
            else:
                self.t.eq(sorted_form(rt), sorted_form(rr), lab + " (as multisets)")
            return
        self.t.eq(rt, rr, lab)

    def sinter_walks_intset(self, keys):
        """SINTER walks its smallest set (first of equal size): is it an intset?"""
        sizes = []
        for j, k in enumerate(keys):
            if self.cr.cmd("EXISTS", k) == b":0\r\n":
                return True  # empty result: nothing to order
            sizes.append((parse(self.cr.cmd("SCARD", k)), j, k))
            self.enc(k)
        first = min(sizes)[2]
        return self.cr.cmd("OBJECT", "ENCODING", first) == b"$6\r\nintset\r\n"


def run_list(t, tess, red, cmds, label, keys=None):
    """Send cmds to both servers and compare (Pair.step). keys: the set
    keys the commands use, when renamed (remap); K by default."""
    keys = keys or K
    p = Pair(t, tess, red, label)
    try:
        for k in keys + [STR, "{s}none"]:
            p.both("DEL", k)
        for i, cmd in enumerate(cmds):
            p.step(i, cmd)
            if cmd[0].upper() in ("SADD", "SREM", "SMOVE", "SPOP", "SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"):
                # the write must leave the same members and encoding behind
                for k in set(a for a in cmd[1:4] if a in keys):
                    et, er = p.both("SCARD", k)
                    t.eq(et, er, "%s #%d: SCARD %s after %s" % (label, i, k, cmd[0]))
                    p.enc(k)
    finally:
        p.both("CONFIG", "SET", "set-max-intset-entries", "512")
        p.close()


def run(t, tess, red):
    """Entry point from test_differential.py."""
    run_list(t, tess, red, fixed_cases(), "sets fixed")
    seeds = [int(s) for s in os.environ.get("DIFF_SET_SEEDS", "1,2,3").split(",") if s]
    n = int(os.environ.get("DIFF_SET_N", "600"))
    for seed in seeds:
        cmds = gen(seed, n)
        if seed % 2 == 0:
            cmds = [["HELLO", "3"]] + cmds + [["HELLO", "2"]]
        run_list(t, tess, red, cmds, "sets seed %d%s" % (seed, " resp3" if seed % 2 == 0 else ""))


def worker_of(key, workers=2):
    """The worker owning key's slot in a standalone Tessera with `workers`
    workers: the slots are split in equal consecutive ranges."""
    return (H.crc16(key.encode()) % 16384) * workers // 16384


def cross_worker_keys(prefix="xw"):
    """Names for K, STR and the missing key, untagged and spread over the
    two workers (a, c, str on worker 0; b, d, e, none on worker 1), so
    that most multi-key commands span both."""
    want = [(K[0], 0), (K[1], 1), (K[2], 0), (K[3], 1), (K[4], 1), (STR, 0), ("{s}none", 1)]
    names = {}
    for tagged, w in want:
        base = "%s:%s" % (prefix, tagged[3:])
        i = 0
        while worker_of("%s%d" % (base, i)) != w:
            i += 1
        names[tagged] = "%s%d" % (base, i)
    return names


def remap(cmds, names):
    """cmds with every argument that is a key of names renamed."""
    return [[names.get(a, a) for a in cmd] for cmd in cmds]


def run_cross_worker(t, tess, red):
    """Standalone with 2 workers: the fixed cases and one random seed (in
    RESP3) with the keys on different workers, compared with redis-server
    as run() compares them; the dispatcher must run them as transactions
    (no "not supported" error left)."""
    names = cross_worker_keys()
    keys = [names[k] for k in K]
    t.check(len(set(worker_of(k) for k in keys)) == 2, "keys on both workers: %r" % keys)
    run_list(t, tess, red, remap(fixed_cases(), names), "sets cross-worker fixed", keys)
    cmds = [["HELLO", "3"]] + gen(4, int(os.environ.get("DIFF_SET_N", "600"))) + [["HELLO", "2"]]
    run_list(t, tess, red, remap(cmds, names), "sets cross-worker seed 4 resp3", keys)
