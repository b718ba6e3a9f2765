"""diff_hash.py: the hash part of test_differential.py.

FIXED: hand-written hash commands (every error text, arity, RESP3 shapes,
encodings across the thresholds) appended to test_differential's list.

run_random(t, tess, red, seed, steps, resp, parse): a seeded random
sequence of hash commands sent to both servers over raw connections, with
the thresholds lowered at random so conversions happen often. Replies are
compared byte for byte except where the order is legitimately the server's
own (a hashtable-encoded hash's HKEYS/HVALS/HGETALL/HSCAN: compared as
sets; a listpack hash is compared in order, since Tessera's listpack must
keep Redis's order) and where the output is random (HRANDFIELD: checked
for shape, length, distinctness and membership against redis-server's
HGETALL). Every 25 steps DEBUG DIGEST compares the whole dataset.

Nothing generated here makes redis-server build an unbounded reply (a
hugely negative HRANDFIELD count is an out-of-memory kill for it).
"""
import random

KEYS = ["ha", "hb", "{t}hc", "{t}hd", "hs"]  # the last holds a string (WRONGTYPE cases)
# Cluster mode: one slot for all, so COPY/RENAME are not CROSSSLOT.
CLUSTER_KEYS = ["{t}ha", "{t}hb", "{t}hc", "{t}hd", "{t}hs"]
FIELDS = ["f%d" % i for i in range(12)] + ["1", "-5", "100000", "", "007", "x" * 20]
BIG = str(2 ** 63 - 1)
NEG = str(-(2 ** 63))

FIXED = [
    ["HSET", "fh", "a", "1", "b", "2", "c", "3"], ["HGET", "fh", "a"], ["HGET", "fh", "zz"],
    ["HGET", "nokey", "a"], ["HMGET", "fh", "a", "zz", "b"], ["HMGET", "nokey", "a"],
    ["HGETALL", "fh"], ["HKEYS", "fh"], ["HVALS", "fh"], ["HLEN", "fh"], ["HLEN", "nokey"],
    ["HSTRLEN", "fh", "a"], ["HSTRLEN", "fh", "zz"], ["HEXISTS", "fh", "a"], ["HEXISTS", "fh", "zz"],
    ["HSETNX", "fh", "a", "9"], ["HSETNX", "fh", "d", "4"], ["HSETNX", "fhn", "a", "1"],
    ["HSET"], ["HSET", "fh"], ["HSET", "fh", "a"], ["HSET", "fh", "a", "b", "c"],
    ["HMSET", "fh", "a"], ["HMSET", "fh", "a", "b", "c"], ["HMSET", "fh", "x", "y"], ["HSETNX", "fh", "a"],
    ["HGET", "fh"], ["HDEL", "fh"], ["HMGET", "fh"], ["HLEN"], ["HKEYS", "fh", "x"],
    ["HINCRBY", "fh", "a", "10"], ["HINCRBY", "fh", "new", "-3"], ["HINCRBY", "fh", "x", "1"],
    ["HINCRBY", "fh", "a", "x"], ["HINCRBY", "fh", "a", "1.5"], ["HINCRBY", "fh", "a", ""],
    ["HSET", "fh", "max", BIG, "min", NEG], ["HINCRBY", "fh", "max", "1"], ["HINCRBY", "fh", "min", "-1"],
    ["HINCRBY", "fh", "max", "0"], ["HINCRBY", "fh", "a", "99999999999999999999"],
    ["HSET", "fh", "sp", " 1", "lz", "01", "pl", "+1"], ["HINCRBY", "fh", "sp", "1"],
    ["HINCRBY", "fh", "lz", "1"], ["HINCRBY", "fh", "pl", "1"],
    ["HINCRBYFLOAT", "fh", "fl", "1.5"], ["HINCRBYFLOAT", "fh", "fl", "0.1"],
    ["HINCRBYFLOAT", "fh", "fl", "-1.6"], ["HINCRBYFLOAT", "fh", "fl", "1e3"], ["HGET", "fh", "fl"],
    ["HINCRBYFLOAT", "fh", "fl", "abc"], ["HINCRBYFLOAT", "fh", "fl", "inf"], ["HINCRBYFLOAT", "fh", "fl", "-inf"],
    ["HINCRBYFLOAT", "fh", "fl", "nan"], ["HINCRBYFLOAT", "fh", "x", "1"], ["HINCRBYFLOAT", "fh", "a", "1"],
    ["HINCRBYFLOAT", "fh", "fl", "1.7976931348623157e308"], ["HINCRBYFLOAT", "fh", "f3", "3.0"],
    ["HGET", "fh", "f3"], ["HINCRBYFLOAT", "fh", "f4", "1.23456789012345678"], ["HINCRBYFLOAT", "fh", "f5", " 1"],
    ["HINCRBYFLOAT", "fh", "fl", "1e4000"], ["HINCRBYFLOAT", "fh", "fl", "1e5000"], ["OBJECT", "ENCODING", "fh"],
    ["HINCRBYFLOAT", "fh2", "f", "1e80"], ["OBJECT", "ENCODING", "fh2"], ["HGETALL", "fh2"],
    ["SET", "fs", "v"], ["HSET", "fs", "a", "1"], ["HGET", "fs", "a"], ["HGETALL", "fs"], ["HDEL", "fs", "a"],
    ["HLEN", "fs"], ["HRANDFIELD", "fs"], ["HSCAN", "fs", "0"], ["HINCRBY", "fs", "a", "1"],
    ["HINCRBY", "fs", "a", "x"], ["HINCRBYFLOAT", "fs", "a", "x"], ["HSETNX", "fs", "a", "1"],
    ["HMGET", "fs", "a"], ["HEXISTS", "fs", "a"], ["HSTRLEN", "fs", "a"], ["HKEYS", "fs"], ["HVALS", "fs"],
    ["HSET", "fr", "f1", "1", "f2", "two", "g", "3"], ["HRANDFIELD", "fr", "0"], ["HRANDFIELD", "fr", "3"],
    ["HRANDFIELD", "fr", "1000"], ["HRANDFIELD", "fr", "1000", "WITHVALUES"], ["HRANDFIELD", "fr", "-0"],
    ["HSCAN", "fr", "0"], ["HSCAN", "fr", "0", "MATCH", "f*"], ["HSCAN", "fr", "0", "COUNT", "1"],
    ["HSCAN", "fr", "7"], ["HSCAN", "fr", "-1"], ["HSCAN", "fr", "+3", "match", "*"],
    ["HRANDFIELD", "fh", "0"], ["HRANDFIELD", "fh", "1000"], ["HRANDFIELD", "fh", "1000", "WITHVALUES"],
    ["HRANDFIELD", "fh", "x"], ["HRANDFIELD", "fh", "1", "foo"], ["HRANDFIELD", "fh", "1", "withvalues", "x"],
    ["HRANDFIELD", "fh", NEG], ["HRANDFIELD", "fh", NEG, "WITHVALUES"],
    ["HRANDFIELD", "fh", "-4611686018427387904", "WITHVALUES"], ["HRANDFIELD", "fh", "4611686018427387904", "WITHVALUES"],
    ["HRANDFIELD", "nokey"], ["HRANDFIELD", "nokey", "5"], ["HRANDFIELD", "nokey", "-5", "WITHVALUES"],
    ["HRANDFIELD", "nokey", "x"], ["HRANDFIELD", "nokey", "1", "foo"],
    ["HSCAN", "fh", "18446744073709551616"], ["HSCAN", "fh", "x"],
    ["HSCAN", "fh", " 0"], ["HSCAN", "fh", "0", "COUNT", "0"], ["HSCAN", "fh", "0", "COUNT", "x"],
    ["HSCAN", "fh", "0", "MATCH"], ["HSCAN", "fh", "0", "FOO", "bar"], ["HSCAN", "fh", "0", "TYPE", "hash"],
    ["HSCAN", "nokey", "0", "FOO"], ["HSCAN", "nokey", "x"], ["HSCAN", "fh"],
    ["HDEL", "fh", "a", "zz", "a"], ["HDEL", "nokey", "a"], ["HDEL", "fhn", "a"], ["EXISTS", "fhn"],
    ["HSET", "fe", "", ""], ["HGET", "fe", ""], ["HSTRLEN", "fe", ""], ["HSET", "fi", "12", "-12", "012", "x"],
    ["HGETALL", "fi"], ["HGET", "fi", "12"], ["HSTRLEN", "fi", "12"], ["HINCRBY", "fi", "12", "5"],
    ["TYPE", "fh"], ["OBJECT", "ENCODING", "fh"],
    ["HSET", "flong", "f", "x" * 64], ["OBJECT", "ENCODING", "flong"], ["HSET", "flong", "g", "x" * 65],
    ["OBJECT", "ENCODING", "flong"], ["HSET", "flong2", "y" * 65, "v"], ["OBJECT", "ENCODING", "flong2"],
    ["COMMAND", "INFO", "hset", "hsetnx", "hget", "hmset", "hmget", "hdel", "hexists", "hlen", "hstrlen",
     "hkeys", "hvals", "hgetall", "hincrby", "hincrbyfloat", "hrandfield", "hscan"],
    ["COMMAND", "GETKEYS", "HSET", "k", "f", "v"],
    ["DEBUG", "DIGEST-VALUE", "fh", "fe", "fi", "fc", "flong", "nokey"],
]
FIXED = [c for c in FIXED if c]

# The thresholds as config directives. Sent one at a time (run_serial), not
# in test_differential's pipeline: there a CONFIG SET runs on the client's
# worker as soon as it is parsed, before earlier pipelined commands bound
# for another worker have run (dispatch.c's ordering covers replies and
# same-slot effects, not config changes).
FIXED_SERIAL = [
    ["CONFIG", "GET", "hash-max-listpack-entries"], ["CONFIG", "GET", "hash-max-ziplist-entries"],
    ["CONFIG", "GET", "hash-max-listpack-value"], ["CONFIG", "GET", "hash-max-ziplist-value"],
    ["HSET", "fu", "a", "1", "b", "2", "c", "3", "d", "4"], ["HSET", "fu2", "a", "1", "b", "2", "c", "3", "d", "4"],
    ["CONFIG", "SET", "hash-max-listpack-entries", "3"], ["CONFIG", "GET", "hash-max-ziplist-entries"],
    # an update of a listpack now past the lowered limit converts it (hashTypeSet)
    ["OBJECT", "ENCODING", "fu"], ["HSET", "fu", "a", "9"], ["OBJECT", "ENCODING", "fu"],
    ["HINCRBY", "fu2", "b", "1"], ["OBJECT", "ENCODING", "fu2"],
    ["HSET", "fc", "a", "1", "b", "2", "c", "3"], ["OBJECT", "ENCODING", "fc"], ["HSET", "fc", "c", "33"],
    ["OBJECT", "ENCODING", "fc"], ["HSET", "fc", "d", "4"], ["OBJECT", "ENCODING", "fc"],
    ["HDEL", "fc", "a", "b", "c"], ["OBJECT", "ENCODING", "fc"], ["HGETALL", "fc"],
    ["CONFIG", "SET", "hash-max-ziplist-entries", "512"], ["CONFIG", "SET", "hash-max-ziplist-value", "2"],
    ["HSET", "fc2", "a", "12"], ["OBJECT", "ENCODING", "fc2"], ["HSET", "fc2", "b", "123"],
    ["OBJECT", "ENCODING", "fc2"], ["HSET", "fc3", "abc", "1"], ["OBJECT", "ENCODING", "fc3"],
    ["CONFIG", "SET", "hash-max-listpack-value", "1kb"], ["CONFIG", "GET", "hash-max-listpack-value"],
    ["HSET", "fc4", "a", "x" * 1000], ["OBJECT", "ENCODING", "fc4"],
    ["CONFIG", "SET", "hash-max-listpack-value", "-1"], ["CONFIG", "SET", "hash-max-listpack-entries", "x"],
    ["CONFIG", "SET", "hash-max-listpack-entries", "1kb"], ["CONFIG", "SET", "hash-max-listpack-entries", "-1"],
    ["CONFIG", "SET", "hash-max-listpack-entries", "0"], ["HSET", "fc5", "a", "1"], ["OBJECT", "ENCODING", "fc5"],
    ["CONFIG", "SET", "hash-max-listpack-entries", "512"], ["CONFIG", "SET", "hash-max-listpack-value", "64"],
    ["HSET", "fc6", "a", "1"], ["OBJECT", "ENCODING", "fc6"],
]

# Right after HELLO 3: the RESP3 shapes (maps, pairs, nulls).
FIXED_RESP3 = [
    ["HSET", "r3", "a", "1", "b", "2"], ["HGETALL", "r3"], ["HGETALL", "nokey"], ["HKEYS", "nokey"],
    ["HRANDFIELD", "r3", "5", "WITHVALUES"], ["HRANDFIELD", "r3", "0", "WITHVALUES"], ["HRANDFIELD", "nokey"],
    ["HRANDFIELD", "nokey", "3", "WITHVALUES"], ["HMGET", "r3", "a", "zz"], ["HGET", "r3", "zz"],
    ["HINCRBYFLOAT", "r3", "a", "1.5"], ["HSCAN", "r3", "0"], ["HSCAN", "nokey", "0"],
]

# Commands whose output order is each server's own; compared by norm_pairs.
UNORDERED = {"HKEYS", "HVALS", "HGETALL"}


def _enc(v):
    """Re-encode a parsed RESP value canonically (RESP2 shapes)."""
    if v is None:
        return b"$-1\r\n"
    if isinstance(v, int):
        return b":%d\r\n" % v
    if isinstance(v, list):
        return b"*%d\r\n" % len(v) + b"".join(_enc(x) for x in v)
    return b"$%d\r\n%s\r\n" % (len(v), v)


def norm_pairs(parse):
    """HKEYS/HVALS/HGETALL normalizer for the fixed list: element order
    (pair order for HGETALL) sorted; the aggregate type byte kept."""
    def norm(rep):
        if rep[:1] not in (b"*", b"%"):
            return rep
        v = parse(rep)
        if rep[:1] == b"%":
            v = [v[i:i + 2] for i in range(0, len(v), 2)]
        return rep[:1] + _enc(sorted(v, key=repr))
    return norm


def allow(parse):
    """test_differential's ALLOW entries for the fixed list."""
    n = norm_pairs(parse)
    return {"HKEYS": n, "HVALS": n, "HGETALL": n, "HRANDFIELD": n}


def _rand_field(rng):
    r = rng.random()
    if r < 0.05:
        return "x" * rng.choice([63, 64, 65, 70])
    return rng.choice(FIELDS)


def _rand_value(rng):
    r = rng.random()
    if r < 0.3:
        return str(rng.choice([0, 1, -1, 127, 128, 4095, 4096, -4097, 2 ** 31, -2 ** 40, 2 ** 63 - 1, -2 ** 63]))
    if r < 0.4:
        return rng.choice(["1.5", "-0.25", "3e2", "abc", "", " 7", "007", "inf"])
    if r < 0.45:
        return "v" * rng.choice([60, 64, 65, 100])
    return "val%d" % rng.randrange(50)


def gen(rng, keys=KEYS):
    """One random command (a list of strings)."""
    k = rng.choice(keys)
    f = _rand_field(rng)
    w = rng.random()
    if w < 0.22:
        n = rng.choice([1, 1, 2, 3, 6])
        args = ["HSET", k]
        for _ in range(n):
            args += [_rand_field(rng), _rand_value(rng)]
        if rng.random() < 0.03:
            args = args[:-1]  # odd: arity error
        return args
    if w < 0.26:
        return ["HMSET", k, f, _rand_value(rng)]
    if w < 0.30:
        return ["HSETNX", k, f, _rand_value(rng)]
    if w < 0.40:
        return ["HGET", k, f]
    if w < 0.44:
        return ["HMGET", k] + [_rand_field(rng) for _ in range(rng.randrange(1, 5))]
    if w < 0.52:
        return ["HDEL", k] + [_rand_field(rng) for _ in range(rng.randrange(1, 4))]
    if w < 0.55:
        return [rng.choice(["HEXISTS", "HSTRLEN"]), k, f]
    if w < 0.58:
        return ["HLEN", k]
    if w < 0.64:
        return [rng.choice(["HKEYS", "HVALS", "HGETALL"]), k]
    if w < 0.70:
        incr = rng.choice(["1", "-1", "100", "x", "1.5", BIG, NEG, "9223372036854775808"])
        return ["HINCRBY", k, f, incr]
    if w < 0.75:
        incr = rng.choice(["1.5", "-0.1", "1e10", "abc", "inf", "nan", "1e308", "0", "3"])
        return ["HINCRBYFLOAT", k, f, incr]
    if w < 0.83:
        c = rng.choice([None, "0", "1", "2", "5", "-1", "-3", "-40", "100", "x", NEG])
        args = ["HRANDFIELD", k] + ([c] if c is not None else [])
        if c is not None and rng.random() < 0.5:
            args.append(rng.choice(["WITHVALUES", "withvalues", "WITHVALUES", "bad"]))
        return args
    if w < 0.89:
        args = ["HSCAN", k, rng.choice(["0", "0", "0", "x", "-1"])]
        if rng.random() < 0.4:
            args += ["MATCH", rng.choice(["f*", "*", "f1?", "[0-9]*", "nomatch"])]
        if rng.random() < 0.4:
            args += ["COUNT", rng.choice(["1", "3", "100", "0", "x"])]
        return args
    if w < 0.94:
        return ["OBJECT", "ENCODING", k]
    if w < 0.96:
        return ["DEL", k]
    if w < 0.97:
        return ["TYPE", k]
    if w < 0.98:
        return rng.choice([["HSET", k], ["HGET", k], ["HDEL", k], ["HINCRBY", k, f], ["HRANDFIELD"],
                           ["HSCAN", k], ["HSTRLEN", k]])
    if w < 0.99:
        # a copy must be independent of its source (obj_ops dup), on one
        # worker ({t}) or across workers (ha/hb vs {t}...: net/multikey.c)
        src, dst = rng.sample(keys[:4], 2)
        return rng.choice([["COPY", src, dst, "REPLACE"], ["RENAME", src, dst], ["COPY", src, dst]])
    return ["EXPIRE", k, "1000"]


def _flat(v, resp3_pairs):
    """HRANDFIELD reply -> list of (field, value or None)."""
    if v is None:
        return []
    if resp3_pairs:
        return [(p[0], p[1]) for p in v]
    return list(v)


class _Ctx:
    def __init__(self, t, ct, cr, parse, resp):
        self.t, self.ct, self.cr, self.parse, self.resp = t, ct, cr, parse, resp

    def encoding(self, key):
        return self.cr.cmd("OBJECT", "ENCODING", key)

    def redis_hash(self, key):
        v = self.parse(self.cr.cmd("HGETALL", key))
        if not isinstance(v, list):
            return {}
        return {v[i]: v[i + 1] for i in range(0, len(v), 2)}


def _check_randfield(x, cmd, rt, rr, label):
    t = x.t
    if rr[:1] == b"-" or rt[:1] == b"-":
        t.eq(rt, rr, label)
        return
    h = x.redis_hash(cmd[1])
    if len(cmd) == 2:
        if rr.startswith(b"$-1") or rr.startswith(b"_"):
            t.eq(rt, rr, label)
        else:
            t.check(x.parse(rt) in h, "%s: %r not a field" % (label, rt[:60]))
        return
    count = int(cmd[2])
    withvalues = len(cmd) == 4
    pt, pr = x.parse(rt), x.parse(rr)
    t.eq(rt[:1], rr[:1], label + " reply type")
    if not t.check(isinstance(pt, list) and len(pt) == len(pr), "%s: lengths %r / %r" % (label, rt[:80], rr[:80])):
        return
    if withvalues and x.resp == 3:
        if not t.check(all(isinstance(p, list) and len(p) == 2 for p in pt), label + " RESP3 pairs"):
            return
        pairs = [(p[0], p[1]) for p in pt]
    elif withvalues:
        pairs = [(pt[i], pt[i + 1]) for i in range(0, len(pt), 2)]
    else:
        pairs = [(f, h.get(f)) for f in pt]
    for f, v in pairs:
        if not t.check(f in h and h[f] == v, "%s: %r=%r not in the hash" % (label, f, v)):
            return
    if count > 0:
        t.check(len(set(f for f, _ in pairs)) == len(pairs), label + " distinct fields")


def _scan_all(conn, parse, key, opts, first):
    pairs, rep = set(), first
    for _ in range(10000):
        v = parse(rep)
        if not isinstance(v, list):
            return rep
        pairs.update((v[1][i], v[1][i + 1]) for i in range(0, len(v[1]), 2))
        if v[0] == b"0":
            break
        rep = conn.cmd("HSCAN", key, v[0].decode(), *opts)
    return sorted(pairs)


def _compare(x, i, cmd, rt, rr):
    t = x.t
    name = cmd[0].upper()
    label = "hash seed step #%d %s" % (i, " ".join(cmd)[:80])
    if rt[:1] == b"-" or rr[:1] == b"-":
        t.eq(rt, rr, label)
        return
    if name == "HRANDFIELD":
        _check_randfield(x, cmd, rt, rr, label)
        return
    listpack = x.encoding(cmd[1]) == b"listpack" if len(cmd) > 1 else True
    if name in UNORDERED and not listpack:
        n = norm_pairs(x.parse)
        t.eq(n(rt), n(rr), label + " (as sets)")
        return
    if name == "HSCAN" and not listpack:
        if cmd[2] == "0":
            t.eq(_scan_all(x.ct, x.parse, cmd[1], cmd[3:], rt), _scan_all(x.cr, x.parse, cmd[1], cmd[3:], rr),
                 label + " (whole iteration)")
        return
    t.eq(rt, rr, label)


def run_serial(t, tess, red):
    """FIXED_SERIAL, one command at a time, compared byte for byte."""
    ct, cr = tess.raw(), red.raw()
    try:
        for i, cmd in enumerate(FIXED_SERIAL):
            t.eq(ct.cmd(*cmd), cr.cmd(*cmd), "hash serial #%d %s" % (i, " ".join(cmd)[:80]))
    finally:
        ct.close()
        cr.close()


def run_random(t, tess, red, seed, steps, resp, parse, keys=KEYS):
    """One seeded sequence; see the module comment. keys: KEYS, or
    CLUSTER_KEYS against a cluster-mode Tessera."""
    rng = random.Random(seed)
    ct, cr = tess.raw(), red.raw()
    try:
        entries = rng.choice(["4", "8", "16", "128"])
        value = rng.choice(["8", "16", "64"])
        for c in (ct, cr):
            c.cmd("FLUSHALL")
            c.cmd("CONFIG", "SET", "hash-max-listpack-entries", entries)
            c.cmd("CONFIG", "SET", "hash-max-listpack-value", value)
            c.cmd("SET", keys[-1], "a string")
            if resp == 3:
                c.cmd("HELLO", "3")
        x = _Ctx(t, ct, cr, parse, resp)
        for i in range(steps):
            cmd = gen(rng, keys)
            rt, rr = ct.cmd(*cmd), cr.cmd(*cmd)
            _compare(x, i, cmd, rt, rr)
            if i % 25 == 24:
                t.eq(ct.cmd("DEBUG", "DIGEST"), cr.cmd("DEBUG", "DIGEST"),
                     "seed %d step %d: DEBUG DIGEST of the dataset" % (seed, i))
        for c in (ct, cr):
            c.cmd("CONFIG", "SET", "hash-max-listpack-entries", "512")
            c.cmd("CONFIG", "SET", "hash-max-listpack-value", "64")
    finally:
        ct.close()
        cr.close()
