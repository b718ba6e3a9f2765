#!/usr/bin/python3
"""test_basic.py: redis-py against a 2-worker standalone Tessera.

Strings, keys, multi-key commands whose keys live on different workers,
SCAN, OBJECT, CLIENT, CONFIG, INFO, COMMAND, HELLO 3, SELECT, QUIT.
Ports: 21000.
"""
import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
import redis  # noqa: E402

PORT = H.port(21000)
t = H.Runner("test_basic")

# Keys spread over many slots, so with 2 workers they land on both.
RAW = None
MANY = ["key:%d" % i for i in range(500)]


def low_slot_key(tag="a"):
    """A key in slot range 0..4095 (first worker of any sane split)."""
    for i in range(100000):
        k = "%s%d" % (tag, i)
        if H.key_slot(k) < 4096:
            return k


def high_slot_key(tag="b"):
    """A key in slot range 12288..16383 (last worker of any split)."""
    for i in range(100000):
        k = "%s%d" % (tag, i)
        if H.key_slot(k) >= 12288:
            return k


def test_ping_echo(r):
    t.eq(r.ping(), True, "PING")
    t.eq(r.echo("hello"), b"hello", "ECHO")
    t.eq(RAW.execute_command("PING", "x y"), b"x y", "PING msg")
    t.eq(r.echo(b"\x00\xff\r\n"), b"\x00\xff\r\n", "ECHO binary")


def test_set_get_many(r):
    r.flushall()
    p = r.pipeline(transaction=False)
    for k in MANY:
        p.set(k, "v-" + k)
    t.check(all(x is True for x in p.execute()), "pipelined SETs all OK")
    p = r.pipeline(transaction=False)
    for k in MANY:
        p.get(k)
    got = p.execute()
    t.eq(got, [("v-" + k).encode() for k in MANY], "pipelined GETs in order")
    t.eq(r.dbsize(), len(MANY), "DBSIZE after SETs")
    t.eq(r.get("nonexistent"), None, "GET missing")
    big = os.urandom(1 << 20)
    r.set("big", big)
    t.eq(r.get("big"), big, "1 MB value round trip")
    t.eq(r.strlen("big"), 1 << 20, "STRLEN 1 MB")
    t.eq(r.set("empty", ""), True, "SET empty")
    t.eq(r.get("empty"), b"", "GET empty")


def test_set_options(r):
    r.flushall()
    t.eq(r.set("s", "1", nx=True), True, "SET NX new")
    t.eq(r.set("s", "2", nx=True), None, "SET NX existing")
    t.eq(r.set("s", "3", xx=True), True, "SET XX existing")
    t.eq(r.set("s2", "3", xx=True), None, "SET XX missing")
    t.eq(r.get("s"), b"3", "after XX")
    t.eq(r.set("s", "4", get=True), b"3", "SET GET returns old")
    t.eq(r.set("s-new", "4", get=True), None, "SET GET on missing")
    r.set("e", "v", ex=100)
    t.check(95 <= r.ttl("e") <= 100, "SET EX ttl")
    r.set("p", "v", px=100000)
    t.check(95000 <= r.pttl("p") <= 100000, "SET PX pttl")
    r.set("ea", "v", exat=int(time.time()) + 200)
    t.check(195 <= r.ttl("ea") <= 200, "SET EXAT ttl")
    r.set("pa", "v", pxat=int(time.time() * 1000) + 300000)
    t.check(295 <= r.ttl("pa") <= 300, "SET PXAT ttl")
    r.set("e", "v2", keepttl=True)
    t.check(90 <= r.ttl("e") <= 100, "SET KEEPTTL keeps ttl")
    r.set("e", "v3")
    t.eq(r.ttl("e"), -1, "plain SET clears ttl")
    t.raises(lambda: r.execute_command("SET", "k", "v", "NX", "XX"), "syntax error", "SET NX XX")
    t.raises(lambda: r.execute_command("SET", "k", "v", "EX", "0"), "invalid expire time", "SET EX 0")
    t.raises(lambda: r.execute_command("SET", "k", "v", "EX", "abc"), "not an integer", "SET EX abc")
    t.eq(r.setnx("nx1", "a"), True, "SETNX new")
    t.eq(r.setnx("nx1", "b"), False, "SETNX existing")
    t.eq(r.setex("sx", 50, "v"), True, "SETEX")
    t.check(45 <= r.ttl("sx") <= 50, "SETEX ttl")
    t.eq(r.psetex("psx", 50000, "v"), True, "PSETEX")
    t.check(45000 <= r.pttl("psx") <= 50000, "PSETEX pttl")
    t.eq(r.getset("s", "g"), b"4", "GETSET old")
    t.eq(r.get("s"), b"g", "GETSET new")
    r.set("short", "v", px=50)
    time.sleep(0.2)
    t.eq(r.get("short"), None, "key expired after PX 50")
    t.eq(r.exists("short"), 0, "expired key not EXISTS")


def test_incr_family(r):
    r.flushall()
    t.eq(r.incr("n"), 1, "INCR new")
    t.eq(r.incr("n"), 2, "INCR")
    t.eq(r.incrby("n", 40), 42, "INCRBY")
    t.eq(r.decr("n"), 41, "DECR")
    t.eq(r.decrby("n", 50), -9, "DECRBY")
    t.eq(r.get("n"), b"-9", "value as string")
    t.eq(r.incrbyfloat("f", 1.5), 1.5, "INCRBYFLOAT new")
    t.eq(r.incrbyfloat("f", "2.25"), 3.75, "INCRBYFLOAT")
    r.set("f2", "10.50")
    t.eq(RAW.execute_command("INCRBYFLOAT", "f2", "0.1"), b"10.6", "INCRBYFLOAT formatting")
    r.set("s", "abc")
    t.raises(lambda: r.incr("s"), "value is not an integer or out of range", "INCR non-int")
    r.set("big", str(2 ** 63 - 1))
    t.raises(lambda: r.incr("big"), "increment or decrement would overflow", "INCR overflow")
    t.raises(lambda: r.execute_command("INCRBY", "n", "1.5"), "not an integer", "INCRBY float arg")
    t.raises(lambda: r.incrbyfloat("s", 1), "not a valid float", "INCRBYFLOAT non-float")
    r.set("sp", " 1")
    t.raises(lambda: r.incr("sp"), "not an integer", "INCR with leading space")
    r.set("i", "7")
    t.eq(r.object("encoding", "i"), b"int", "OBJECT ENCODING int")


def test_append_ranges(r):
    r.flushall()
    t.eq(r.append("a", "Hello"), 5, "APPEND new")
    t.eq(r.append("a", " World"), 11, "APPEND existing")
    t.eq(r.get("a"), b"Hello World", "after APPEND")
    t.eq(r.strlen("a"), 11, "STRLEN")
    t.eq(r.strlen("missing"), 0, "STRLEN missing")
    t.eq(r.getrange("a", 0, 4), b"Hello", "GETRANGE 0 4")
    t.eq(r.getrange("a", -5, -1), b"World", "GETRANGE negative")
    t.eq(r.getrange("a", 5, 2), b"", "GETRANGE start>end")
    t.eq(r.getrange("a", 0, 1000), b"Hello World", "GETRANGE clamp")
    t.eq(r.execute_command("SUBSTR", "a", 6, 10), b"World", "SUBSTR")
    t.eq(r.setrange("a", 6, "Redis"), 11, "SETRANGE")
    t.eq(r.get("a"), b"Hello Redis", "after SETRANGE")
    t.eq(r.setrange("pad", 5, "x"), 6, "SETRANGE pads new key")
    t.eq(r.get("pad"), b"\x00" * 5 + b"x", "zero padding")
    t.raises(lambda: r.setrange("a", -1, "x"), "offset is out of range", "SETRANGE negative")
    t.eq(r.setrange("nokey", 3, ""), 0, "SETRANGE empty on missing")
    t.eq(r.exists("nokey"), 0, "SETRANGE empty does not create")
    r.set("n", 12)
    t.eq(r.append("n", "3"), 3, "APPEND to int")
    t.eq(r.get("n"), b"123", "APPEND int value")


def test_multi_key_strings(r):
    r.flushall()
    a, b = low_slot_key("ma"), high_slot_key("mb")
    keys = [a, b] + MANY[:50]
    mapping = {k: "val-" + k for k in keys}
    t.eq(r.mset(mapping), True, "MSET across workers")
    t.eq(r.mget(keys + ["missing"]), [mapping[k].encode() for k in keys] + [None], "MGET across workers")
    t.eq(r.msetnx({a: "x", "fresh": "y"}), False, "MSETNX with one existing")
    t.eq(r.get("fresh"), None, "MSETNX all-or-nothing")
    c, d = low_slot_key("nc"), high_slot_key("nd")
    t.eq(r.msetnx({c: "1", d: "2"}), True, "MSETNX all new across workers")
    t.eq(r.mget(c, d), [b"1", b"2"], "MSETNX values")
    t.raises(lambda: r.execute_command("MSET", "a"), "wrong number of arguments", "MSET odd arity")
    t.raises(lambda: r.execute_command("MSET", "a", "1", "b"), "wrong number of arguments", "MSET odd")


def test_getex_getdel(r):
    r.flushall()
    r.set("g", "v")
    t.eq(r.getex("g", ex=100), b"v", "GETEX EX")
    t.check(95 <= r.ttl("g") <= 100, "GETEX EX ttl")
    t.eq(r.getex("g", px=200000), b"v", "GETEX PX")
    t.check(195 <= r.ttl("g") <= 200, "GETEX PX ttl")
    t.eq(r.getex("g", persist=True), b"v", "GETEX PERSIST")
    t.eq(r.ttl("g"), -1, "GETEX PERSIST ttl")
    t.eq(r.getex("g", exat=int(time.time()) + 500), b"v", "GETEX EXAT")
    t.check(495 <= r.ttl("g") <= 500, "GETEX EXAT ttl")
    t.eq(r.getex("g"), b"v", "GETEX plain")
    t.eq(r.getex("missing", ex=10), None, "GETEX missing")
    t.eq(r.getdel("g"), b"v", "GETDEL")
    t.eq(r.exists("g"), 0, "GETDEL deleted")
    t.eq(r.getdel("g"), None, "GETDEL missing")


def test_expire_family(r):
    r.flushall()
    r.set("k", "v")
    t.eq(r.ttl("k"), -1, "TTL no expiry")
    t.eq(r.ttl("missing"), -2, "TTL missing")
    t.eq(r.pttl("missing"), -2, "PTTL missing")
    t.eq(r.expire("k", 100), True, "EXPIRE")
    t.check(95 <= r.ttl("k") <= 100, "TTL after EXPIRE")
    t.eq(r.execute_command("EXPIRE", "k", 50, "GT"), 0, "EXPIRE GT smaller")
    t.eq(r.execute_command("EXPIRE", "k", 500, "GT"), 1, "EXPIRE GT larger")
    t.eq(r.execute_command("EXPIRE", "k", 600, "LT"), 0, "EXPIRE LT larger")
    t.eq(r.execute_command("EXPIRE", "k", 300, "LT"), 1, "EXPIRE LT smaller")
    t.eq(r.execute_command("EXPIRE", "k", 300, "NX"), 0, "EXPIRE NX with ttl")
    t.eq(r.execute_command("EXPIRE", "k", 400, "XX"), 1, "EXPIRE XX with ttl")
    t.raises(lambda: r.execute_command("EXPIRE", "k", 10, "NX", "XX"),
             "NX and XX, GT or LT options at the same time are not compatible", "EXPIRE NX XX")
    t.raises(lambda: r.execute_command("EXPIRE", "k", "abc"), "not an integer", "EXPIRE abc")
    t.eq(r.pexpire("k", 200000), True, "PEXPIRE")
    t.check(195000 <= r.pttl("k") <= 200000, "PTTL after PEXPIRE")
    at = int(time.time()) + 1000
    t.eq(r.expireat("k", at), True, "EXPIREAT")
    t.eq(r.execute_command("EXPIRETIME", "k"), at, "EXPIRETIME")
    t.eq(r.execute_command("PEXPIRETIME", "k"), at * 1000, "PEXPIRETIME")
    t.eq(r.pexpireat("k", at * 1000 + 500), True, "PEXPIREAT")
    t.eq(r.execute_command("PEXPIRETIME", "k"), at * 1000 + 500, "PEXPIRETIME after PEXPIREAT")
    t.eq(r.execute_command("EXPIRETIME", "nokey"), -2, "EXPIRETIME missing")
    r.set("np", "v")
    t.eq(r.execute_command("EXPIRETIME", "np"), -1, "EXPIRETIME no ttl")
    t.eq(r.persist("k"), True, "PERSIST")
    t.eq(r.ttl("k"), -1, "TTL after PERSIST")
    t.eq(r.persist("k"), False, "PERSIST no ttl")
    t.eq(r.expire("missing", 10), False, "EXPIRE missing")
    t.eq(r.expire("k", -1), True, "EXPIRE negative deletes")
    t.eq(r.exists("k"), 0, "deleted by negative EXPIRE")
    r.set("past", "v")
    t.eq(r.expireat("past", 1000), True, "EXPIREAT past")
    t.eq(r.get("past"), None, "EXPIREAT past deletes")
    # Active expiry: keys nobody touches go away on their own.
    p = r.pipeline(transaction=False)
    for i in range(200):
        p.set("act:%d" % i, "v", px=100)
    p.execute()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and r.dbsize() > 1:
        time.sleep(0.1)
    t.check(r.dbsize() <= 1, "active expiry removed 200 untouched keys within 10 s (dbsize %d)" % r.dbsize())


def test_type_rename_copy(r):
    r.flushall()
    r.set("s", "v")
    t.eq(r.type("s"), b"string", "TYPE string")
    t.eq(r.type("missing"), b"none", "TYPE none")
    a, b = low_slot_key("ra"), high_slot_key("rb")
    r.set(a, "va", ex=1000)
    t.eq(r.rename(a, b), True, "RENAME across workers")
    t.eq(r.get(b), b"va", "RENAME moved value")
    t.eq(r.exists(a), 0, "RENAME removed source")
    t.check(990 <= r.ttl(b) <= 1000, "RENAME kept ttl")
    t.raises(lambda: r.rename("nosuch", "x"), "no such key", "RENAME missing")
    r.set(a, "again")
    t.eq(r.renamenx(a, b), False, "RENAMENX existing dest")
    t.eq(r.get(a), b"again", "RENAMENX left source")
    c = high_slot_key("rc")
    t.eq(r.renamenx(a, c), True, "RENAMENX across workers")
    t.eq(r.get(c), b"again", "RENAMENX value")
    t.eq(r.rename(c, c), True, "RENAME to itself")
    t.eq(r.get(c), b"again", "RENAME self keeps value")
    d = low_slot_key("cd")
    t.eq(r.copy(c, d), True, "COPY across workers")
    t.eq(r.mget(c, d), [b"again", b"again"], "COPY both exist")
    t.eq(r.copy(c, d), False, "COPY existing dest")
    r.set(c, "newer")
    t.eq(r.copy(c, d, replace=True), True, "COPY REPLACE")
    t.eq(r.get(d), b"newer", "COPY REPLACE value")
    t.eq(r.copy("nosuch", d), False, "COPY missing source")


def test_del_exists_multi(r):
    r.flushall()
    keys = [low_slot_key("d1"), high_slot_key("d2"), "d3", "d4"]
    for k in keys:
        r.set(k, "v")
    t.eq(r.exists(*keys, "missing"), 4, "EXISTS multi")
    t.eq(r.exists(keys[0], keys[0]), 2, "EXISTS counts repeats")
    t.eq(r.touch(*keys, "missing"), 4, "TOUCH multi")
    t.eq(r.delete(keys[0], keys[1], "missing"), 2, "DEL multi across workers")
    t.eq(r.unlink(keys[2], keys[3], keys[0]), 2, "UNLINK multi")
    t.eq(r.dbsize(), 0, "all deleted")


def test_keys_scan(r):
    r.flushall()
    p = r.pipeline(transaction=False)
    for k in MANY:
        p.set(k, "v")
    for i in range(30):
        p.set("other:%d" % i, "v")
    p.execute()
    t.eq(sorted(r.keys("*")), sorted(k.encode() for k in MANY + ["other:%d" % i for i in range(30)]), "KEYS *")
    t.eq(sorted(r.keys("other:*")), sorted(("other:%d" % i).encode() for i in range(30)), "KEYS pattern")
    t.eq(sorted(r.keys("key:1?")), sorted(("key:1%d" % i).encode() for i in range(10)), "KEYS ?")
    t.eq(r.keys("nomatch*"), [], "KEYS no match")

    def full_scan(**kw):
        seen = []
        cursor = 0
        for _ in range(100000):
            cursor, batch = r.scan(cursor=cursor, **kw)
            seen.extend(batch)
            if cursor == 0:
                return seen
        raise AssertionError("SCAN did not finish")

    seen = full_scan(count=7)
    t.eq(set(seen), set(k.encode() for k in MANY + ["other:%d" % i for i in range(30)]), "SCAN COUNT 7 full")
    seen = full_scan(match="other:*", count=50)
    t.eq(set(seen), set(("other:%d" % i).encode() for i in range(30)), "SCAN MATCH")
    seen = full_scan(_type="string", count=100)
    t.eq(len(set(seen)), len(MANY) + 30, "SCAN TYPE string")
    seen = full_scan(_type="list", count=100)
    t.eq(seen, [], "SCAN TYPE list")
    # Keys present for the whole scan are returned even when others are
    # added during the iteration (resizes).
    seen = []
    cursor = 0
    added = 0
    for _ in range(100000):
        cursor, batch = r.scan(cursor=cursor, count=20)
        seen.extend(batch)
        if added < 2000:
            p = r.pipeline(transaction=False)
            for i in range(200):
                p.set("grow:%d" % (added + i), "v")
            p.execute()
            added += 200
        if cursor == 0:
            break
    missing = set(k.encode() for k in MANY) - set(seen)
    t.check(not missing, "SCAN during growth returned all stable keys (missing %d)" % len(missing))
    t.raises(lambda: r.execute_command("SCAN", "abc"), "invalid cursor", "SCAN bad cursor")
    t.check(r.randomkey() is not None, "RANDOMKEY non-empty")
    r.flushdb()
    t.eq(r.randomkey(), None, "RANDOMKEY empty")


def test_dbsize_flush(r):
    r.flushall()
    for k in MANY[:100]:
        r.set(k, "v")
    t.eq(r.dbsize(), 100, "DBSIZE 100")
    t.eq(r.flushdb(), True, "FLUSHDB")
    t.eq(r.dbsize(), 0, "DBSIZE after FLUSHDB")
    for k in MANY[:100]:
        r.set(k, "v")
    t.eq(r.flushall(asynchronous=True), True, "FLUSHALL ASYNC")
    t.eq(r.dbsize(), 0, "DBSIZE after FLUSHALL ASYNC")
    r.set("x", "v")
    t.eq(RAW.execute_command("FLUSHALL", "SYNC"), b"OK", "FLUSHALL SYNC")
    t.eq(r.dbsize(), 0, "DBSIZE after FLUSHALL SYNC")


def test_object(r):
    r.flushall()
    r.set("i", "12345")
    r.set("e", "short string")
    r.set("raw", "x" * 100)
    t.eq(r.object("encoding", "i"), b"int", "OBJECT ENCODING int")
    t.eq(r.object("encoding", "e"), b"embstr", "OBJECT ENCODING embstr")
    t.eq(r.object("encoding", "raw"), b"raw", "OBJECT ENCODING raw")
    t.eq(r.object("encoding", "missing"), None, "OBJECT ENCODING missing")
    t.check(isinstance(r.object("refcount", "e"), int), "OBJECT REFCOUNT int")
    t.check(isinstance(r.object("idletime", "e"), int), "OBJECT IDLETIME int")
    help_ = RAW.execute_command("OBJECT", "HELP")
    t.check(isinstance(help_, list) and len(help_) > 3, "OBJECT HELP lines")


def test_client(r, srv):
    cid = r.client_id()
    t.check(isinstance(cid, int) and cid > 0, "CLIENT ID positive int")
    t.eq(r.client_getname(), None, "CLIENT GETNAME unset")
    t.eq(r.client_setname("tester"), True, "CLIENT SETNAME")
    t.eq(r.client_getname(), "tester", "CLIENT GETNAME")
    t.raises(lambda: r.client_setname("has space"), "Client names cannot contain spaces", "SETNAME space")
    r2 = srv.client()
    r2.client_setname("second")
    clients = r.client_list()
    names = {c.get("name") for c in clients}
    t.check({"tester", "second"} <= names, "CLIENT LIST has both names: %r" % names)
    me = [c for c in clients if c.get("name") == "tester"]
    t.check(me and int(me[0]["id"]) == cid, "CLIENT LIST id matches CLIENT ID")
    t.check(me and me[0].get("addr", "").startswith("127.0.0.1:"), "CLIENT LIST addr")
    info = r.execute_command("CLIENT", "INFO")
    t.check(b"id=%d" % cid in info and b"name=tester" in info, "CLIENT INFO: %r" % info[:120])
    r2.close()
    with srv.raw() as c:
        victim = int(c.cmd("CLIENT", "ID")[1:-2])
        t.eq(r.client_kill_filter(_id=victim), 1, "CLIENT KILL ID")
        t.check(c.wait_closed(5), "CLIENT KILL closed the victim's connection")
    t.eq(r.client_kill_filter(_id=999999999), 0, "CLIENT KILL unknown id")


def test_config(r):
    port = r.config_get("port")
    t.eq(port.get("port"), str(PORT), "CONFIG GET port")
    t.eq(r.config_get("save").get("save"), "", "CONFIG GET save (empty)")
    t.eq(r.config_get("appendonly").get("appendonly"), "no", "CONFIG GET appendonly")
    t.eq(r.config_get("maxclients").get("maxclients"), "10000", "CONFIG GET maxclients default")
    both = r.config_get("max*")
    t.check("maxclients" in both and "maxmemory" in both, "CONFIG GET glob max*")
    t.eq(r.config_set("proto-max-bulk-len", "100mb"), True, "CONFIG SET proto-max-bulk-len")
    t.eq(r.config_get("proto-max-bulk-len").get("proto-max-bulk-len"), str(100 * 1024 * 1024),
         "CONFIG GET proto-max-bulk-len after SET")
    r.config_set("proto-max-bulk-len", "512mb")
    t.raises(lambda: r.config_set("nosuchparam", "1"), "Unknown option or number of arguments", "CONFIG SET unknown")
    t.raises(lambda: r.config_set("cluster-enabled", "yes"), "can't set immutable config", "CONFIG SET immutable")
    t.raises(lambda: r.config_set("maxclients", "abc"), "argument couldn't be parsed into an integer",
             "CONFIG SET bad int")
    t.eq(r.config_resetstat(), True, "CONFIG RESETSTAT")
    t.eq(r.config_get("nosuch*"), {}, "CONFIG GET no match")


def test_info(r):
    info = r.info()
    t.check("redis_version" in info, "INFO has redis_version")
    t.eq(info.get("tcp_port"), PORT, "INFO tcp_port")
    t.check("connected_clients" in info and info["connected_clients"] >= 1, "INFO connected_clients")
    t.check("used_memory" in info and info["used_memory"] > 0, "INFO used_memory")
    t.check("role" in info and info["role"] == "master", "INFO role:master")
    t.check("total_commands_processed" in info, "INFO stats")
    t.check("used_cpu_sys" in info, "INFO cpu")
    t.eq(info.get("cluster_enabled"), 0, "INFO cluster_enabled:0")
    r.flushall()
    r.set("a", 1)
    r.set("b", 2, ex=100)
    ks = r.info("keyspace")
    t.check(ks.get("db0", {}).get("keys") == 2 and ks["db0"].get("expires") == 1, "INFO keyspace db0: %r" % ks)
    for sec in ("server", "clients", "memory", "persistence", "stats", "replication", "cpu", "cluster", "keyspace"):
        got = r.info(sec)
        t.check(isinstance(got, dict) and (got or sec == "keyspace"), "INFO %s parses non-empty" % sec)
    raw = RAW.execute_command("INFO", "server")
    text = raw.decode() if isinstance(raw, bytes) else raw
    t.check(text.startswith("# Server\r\n"), "INFO server starts with # Server")
    if not H.is_dry_run():
        t.check("tessera_workers:2" in text, "INFO server tessera_workers:2")


def test_commandstats(r):
    """INFO commandstats / errorstats count across both workers; RESETSTAT
    zeroes them (and total_commands_processed)."""
    t.eq(r.config_resetstat(), True, "RESETSTAT")
    for i in range(20):          # keys land on both workers
        r.set("cs:%d" % i, i)
    for i in range(5):
        r.get("cs:%d" % i)
    t.raises(lambda: r.execute_command("INCR", "cs:x", "extra"), "wrong number", "arity error")
    r.set("cs:str", "abc")
    t.raises(lambda: r.execute_command("INCR", "cs:str"), "not an integer", "INCR on a string")
    cs = r.info("commandstats")
    t.eq(cs.get("cmdstat_set", {}).get("calls"), 21, "cmdstat_set calls: %r" % cs.get("cmdstat_set"))
    t.eq(cs.get("cmdstat_get", {}).get("calls"), 5, "cmdstat_get calls")
    t.eq(cs.get("cmdstat_incr", {}).get("rejected_calls"), 1, "rejected (arity)")
    t.eq(cs.get("cmdstat_incr", {}).get("failed_calls"), 1, "failed (not an integer)")
    raw = RAW.execute_command("INFO", "errorstats")
    text = raw.decode() if isinstance(raw, bytes) else raw
    m = re.search(r"errorstat_ERR:count=(\d+)", text)
    t.check(m and int(m.group(1)) >= 2, "errorstat_ERR: %r" % text)
    # Per-command latency: LATENCY HISTOGRAM (cumulative counts at powers of
    # two of microseconds) and INFO latencystats (configured percentiles).
    h = RAW.execute_command("LATENCY", "HISTOGRAM", "set", "get")
    h = dict(zip(h[0::2], h[1::2])) if isinstance(h, list) else h
    st = h.get(b"set")
    st = dict(zip(st[0::2], st[1::2])) if isinstance(st, list) else st
    t.eq(st and st.get(b"calls"), 21, "LATENCY HISTOGRAM set calls")
    cdf = st and st.get(b"histogram_usec")
    cdf = list(zip(cdf[0::2], cdf[1::2])) if isinstance(cdf, list) else sorted(cdf.items())
    t.check(cdf and cdf[-1][1] == 21 and all(a[1] < b[1] and a[0] < b[0] for a, b in zip(cdf, cdf[1:])),
            "histogram_usec is a rising cumulative distribution ending at the call count: %r" % cdf)
    raw = RAW.execute_command("INFO", "latencystats")
    text = raw.decode() if isinstance(raw, bytes) else raw
    t.check(re.search(r"latency_percentiles_usec_set:p50=[0-9.]+,p99=[0-9.]+,p99\.9=[0-9.]+", text),
            "INFO latencystats line for SET: %r" % text[:300])
    r.execute_command("CONFIG", "RESETSTAT")
    cs = r.info("commandstats")
    t.check("cmdstat_set" not in cs, "RESETSTAT clears commandstats")
    t.check(r.info("stats")["total_commands_processed"] <= 3, "RESETSTAT clears total_commands_processed")


def test_client_output_memory(srv, r):
    """A client that does not read its replies shows them in CLIENT LIST's
    omem/oll (what client-output-buffer monitoring reads)."""
    r.set("big:omem", "x" * (1 << 20))
    slow = srv.raw()
    slow.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.send(H.encode("CLIENT", "SETNAME", "slowreader") + H.encode("GET", "big:omem") * 32)
    def omem():
        for line in RAW.execute_command("CLIENT", "LIST").decode().splitlines():
            if "name=slowreader" in line:
                f = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
                return int(f["omem"]), int(f["oll"])
        return 0, 0
    ok = H.wait_for(lambda: omem()[0] > (1 << 20), 5)
    t.check(ok, "unread replies show up in omem/oll: %r" % (omem(),))
    slow.close()
    r.delete("big:omem")


def test_command(r):
    n = RAW.execute_command("COMMAND", "COUNT")
    t.check(isinstance(n, int) and n >= 60, "COMMAND COUNT >= 60 (%r)" % n)
    info = RAW.execute_command("COMMAND", "INFO", "get", "mset", "copy", "set", "nosuchcmd")
    t.eq(len(info), 5, "COMMAND INFO 5 entries")
    get, mset, copy, set_, none = info
    # name, arity, flags, first key, last key, step
    t.eq([get[0], get[1], get[3], get[4], get[5]], [b"get", 2, 1, 1, 1], "COMMAND INFO get")
    t.eq([mset[0], mset[1], mset[3], mset[4], mset[5]], [b"mset", -3, 1, -1, 2], "COMMAND INFO mset")
    t.eq([copy[0], copy[1], copy[3], copy[4], copy[5]], [b"copy", -3, 1, 2, 1], "COMMAND INFO copy")
    t.eq([set_[0], set_[1], set_[3], set_[4], set_[5]], [b"set", -3, 1, 1, 1], "COMMAND INFO set")
    t.eq(none, None, "COMMAND INFO unknown is nil")
    t.check(b"readonly" in get[2] and b"write" in set_[2], "COMMAND INFO flags")
    keys = RAW.execute_command("COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2")
    t.eq(keys, [b"a", b"b"], "COMMAND GETKEYS MSET")
    t.raises(lambda: r.execute_command("COMMAND", "GETKEYS", "ECHO", "a"), "The command has no key arguments",
             "COMMAND GETKEYS PING")
    lst = RAW.execute_command("COMMAND", "LIST")
    top = [x for x in lst if b"|" not in x]  # Redis 7.0 also lists 'client|id' etc.
    t.check(b"get" in top and b"cluster" in top and len(top) == n,
            "COMMAND LIST top-level names match COUNT (%d vs %r)" % (len(top), n))
    docs = RAW.execute_command("COMMAND", "DOCS", "get")
    t.check(bool(docs), "COMMAND DOCS get non-empty")
    full = RAW.execute_command("COMMAND")
    t.eq(len(full), n, "COMMAND length == COUNT")


def test_hello_resp3(srv):
    try:
        r3 = srv.client(protocol=3)
        r3.ping()
        use_raw = False
    except TypeError:
        use_raw = True  # redis-py 4.3 has no protocol=3
    if not use_raw:
        t.eq(r3.ping(), True, "RESP3 PING")
        r3.close()
    with srv.raw() as c:
        rep = c.cmd("HELLO", "3")
        t.check(rep.startswith(b"%7\r\n"), "HELLO 3 is a 7-entry map: %r" % rep[:40])
        for field in (b"server", b"version", b"proto", b"id", b"mode", b"role", b"modules"):
            t.check(b"$%d\r\n%s\r\n" % (len(field), field) in rep, "HELLO 3 has %s" % field.decode())
        t.check(b"$5\r\nproto\r\n:3\r\n" in rep, "HELLO 3 proto 3")
        t.check(b"$4\r\nmode\r\n$10\r\nstandalone\r\n" in rep, "HELLO mode standalone")
        t.eq(c.cmd("GET", "nosuchkey"), b"_\r\n", "RESP3 null")
        c.cmd("SET", "n", "5")
        t.eq(c.cmd("INCRBYFLOAT", "n", "0.5"), b"$3\r\n5.5\r\n", "RESP3 INCRBYFLOAT is a bulk")
        cfg = c.cmd("CONFIG", "GET", "port")
        t.eq(cfg, b"%%1\r\n$4\r\nport\r\n$%d\r\n%d\r\n" % (len(str(PORT)), PORT), "RESP3 CONFIG GET map")
        rep = c.cmd("HELLO", "2", "SETNAME", "back2")
        t.check(rep.startswith(b"*14\r\n"), "HELLO 2 array of 14: %r" % rep[:20])
        t.eq(c.cmd("CLIENT", "GETNAME"), b"$5\r\nback2\r\n", "HELLO SETNAME")
        t.eq(c.cmd("GET", "nosuchkey"), b"$-1\r\n", "RESP2 null after HELLO 2")
        t.eq(c.cmd("HELLO", "4"), b"-NOPROTO unsupported protocol version\r\n", "HELLO 4")
        t.eq(c.cmd("HELLO", "3", "AUTH", "default"), b"-ERR Syntax error in HELLO option 'AUTH'\r\n",
             "HELLO AUTH missing password")
        t.eq(c.cmd("HELLO", "abc"), b"-ERR Protocol version is not an integer or out of range\r\n",
             "HELLO abc")
        rep = c.cmd("HELLO", "3", "AUTH", "default", "anything")
        t.check(rep.startswith(b"%7\r\n"), "HELLO AUTH default accepted when no requirepass: %r" % rep[:60])


def test_select_quit(srv, r):
    t.eq(RAW.execute_command("SELECT", "0"), b"OK", "SELECT 0")
    t.raises(lambda: r.execute_command("SELECT", "abc"), "value is not an integer", "SELECT abc")
    t.raises(lambda: r.execute_command("SELECT", "100"), "DB index is out of range", "SELECT 100")
    with srv.raw() as c:
        t.eq(c.cmd("QUIT"), b"+OK\r\n", "QUIT replies OK")
        t.check(c.wait_closed(5), "QUIT closes the connection")
    t.eq(r.ping(), True, "server alive after QUIT")


def test_misc(r):
    tm = r.time()
    t.check(abs(tm[0] - time.time()) < 5, "TIME close to now")
    t.check(isinstance(r.lastsave(), object), "LASTSAVE")
    r.set("mu", "x" * 100)
    mu = r.memory_usage("mu")
    t.check(isinstance(mu, int) and mu >= 100, "MEMORY USAGE >= 100 (%r)" % mu)
    t.eq(r.memory_usage("missing"), None, "MEMORY USAGE missing")
    t.check(isinstance(r.slowlog_get(), list), "SLOWLOG GET")
    t.check(isinstance(r.slowlog_len(), int), "SLOWLOG LEN")
    t.eq(r.slowlog_reset(), True, "SLOWLOG RESET")
    t.check(isinstance(r.execute_command("LATENCY", "LATEST"), list), "LATENCY LATEST")
    t.raises(lambda: r.execute_command("NOSUCHCMD", "a"), "unknown command 'NOSUCHCMD'", "unknown command")
    t.raises(lambda: r.execute_command("GET"), "wrong number of arguments for 'get' command", "arity")
    # Redis 7 refuses DEBUG unless enable-debug-command allows it; either
    # answer is Redis-compatible, an unknown command is not.
    try:
        t.eq(RAW.execute_command("DEBUG", "SLEEP", "0"), b"OK", "DEBUG SLEEP 0")
    except redis.ResponseError as e:
        t.check(str(e).startswith("DEBUG command not allowed."), "DEBUG refused with Redis's text: %s" % e)


def test_atomicity(srv):
    """Multi-key writes whose keys live on different workers are atomic:
    a concurrent reader never sees half of an MSET, RENAME or COPY."""
    import threading
    a, b = low_slot_key("atoma"), high_slot_key("atomb")
    stop = time.monotonic() + 2.0
    errors = []
    with srv.raw() as w:
        w.cmd("MSET", a, "0", b, "0")

    def writer():
        with srv.raw() as c:
            i = 0
            while time.monotonic() < stop:
                i += 1
                c.cmd("MSET", a, str(i), b, str(i))

    th = threading.Thread(target=writer)
    th.start()
    reads = 0
    with srv.raw() as c:
        while time.monotonic() < stop:
            rep = c.cmd("MGET", a, b)
            reads += 1
            parts = rep.split(b"\r\n")
            if parts[2] != parts[4]:
                errors.append(rep)
                break
    th.join(10)
    t.check(reads > 100, "MGET reads during MSET storm (%d)" % reads)
    t.check(not errors, "MGET never sees half an MSET across workers: %r" % errors[:1])

    # RENAME back and forth: exactly one of the two names always exists.
    x, y = low_slot_key("renx"), high_slot_key("reny")
    with srv.raw() as c:
        c.cmd("DEL", x, y)
        c.cmd("SET", x, "v")
    stop = time.monotonic() + 2.0

    def renamer():
        with srv.raw() as c:
            while time.monotonic() < stop:
                c.cmd("RENAME", x, y)
                c.cmd("RENAME", y, x)

    th = threading.Thread(target=renamer)
    th.start()
    bad = []
    n = 0
    with srv.raw() as c:
        while time.monotonic() < stop:
            rep = c.cmd("EXISTS", x, y)
            n += 1
            if rep != b":1\r\n":
                bad.append(rep)
                break
    th.join(10)
    t.check(n > 100, "EXISTS reads during RENAME storm (%d)" % n)
    t.check(not bad, "EXISTS x y is always 1 during cross-worker RENAMEs: %r" % bad[:1])


def test_client_reply(srv):
    """CLIENT REPLY OFF / ON / SKIP."""
    with srv.raw(timeout=3) as c:
        c.send(H.encode("CLIENT", "REPLY", "OFF") + H.encode("SET", "rep", "1") +
               H.encode("CLIENT", "REPLY", "ON"))
        t.eq(c.reply(), b"+OK\r\n", "CLIENT REPLY ON replies OK, nothing before it")
        c.send(H.encode("CLIENT", "REPLY", "SKIP") + H.encode("GET", "rep") + H.encode("GET", "rep"))
        t.eq(c.reply(), b"$1\r\n1\r\n", "CLIENT REPLY SKIP skips one reply")


def test_client_pause(srv):
    """CLIENT PAUSE WRITE / ALL and UNPAUSE."""
    with srv.raw() as p, srv.raw() as c:
        t.eq(p.cmd("CLIENT", "PAUSE", "300", "WRITE"), b"+OK\r\n", "CLIENT PAUSE 300 WRITE")
        t0 = time.monotonic()
        t.eq(c.cmd("GET", "rep"), b"$1\r\n1\r\n", "reads go on during a WRITE pause")
        t.check(time.monotonic() - t0 < 0.25, "read not delayed by a WRITE pause")
        t0 = time.monotonic()
        t.eq(c.cmd("SET", "rep", "2"), b"+OK\r\n", "write after pause")
        t.check(time.monotonic() - t0 >= 0.15, "write delayed by CLIENT PAUSE (%.3fs)" % (time.monotonic() - t0))
        t.eq(p.cmd("CLIENT", "PAUSE", "10000", "WRITE"), b"+OK\r\n", "CLIENT PAUSE 10000 WRITE")
        c.send(H.encode("SET", "rep", "3"))
        time.sleep(0.2)
        t.eq(p.cmd("CLIENT", "UNPAUSE"), b"+OK\r\n", "CLIENT UNPAUSE")
        t0 = time.monotonic()
        t.eq(c.reply(), b"+OK\r\n", "paused write served after UNPAUSE")
        t.check(time.monotonic() - t0 < 2, "UNPAUSE releases promptly (%.2fs)" % (time.monotonic() - t0))
        t.eq(p.cmd("CLIENT", "PAUSE", "500"), b"+OK\r\n", "CLIENT PAUSE 500 (ALL)")
        t0 = time.monotonic()
        t.eq(c.cmd("PING"), b"+PONG\r\n", "PING after ALL pause")
        t.check(time.monotonic() - t0 >= 0.3, "PING delayed by an ALL pause (%.3fs)" % (time.monotonic() - t0))


def test_monitor(srv):
    with srv.raw(timeout=3) as m, srv.raw() as c:
        t.eq(m.cmd("MONITOR"), b"+OK\r\n", "MONITOR")
        c.cmd("SET", "monkey", "monval")
        line = m.reply()
        t.check(line.startswith(b"+") and b'"SET" "monkey" "monval"' in line, "MONITOR sees SET: %r" % line)


def main():
    srv = H.tessera(PORT, threads=2)
    try:
        global RAW
        r = srv.client()
        RAW = srv.client()
        RAW.response_callbacks = {}  # raw RESP values, no redis-py parsing
        for fn in (test_ping_echo, test_set_get_many, test_set_options, test_incr_family,
                   test_append_ranges, test_multi_key_strings, test_getex_getdel, test_expire_family,
                   test_type_rename_copy, test_del_exists_multi, test_keys_scan, test_dbsize_flush,
                   test_object, test_config, test_info, test_commandstats, test_command, test_misc):
            t.run(fn, r)
        t.run(test_client, srv.client(), srv)
        t.run(test_client_output_memory, srv, r)
        t.run(test_hello_resp3, srv)
        t.run(test_atomicity, srv)
        t.run(test_client_reply, srv)
        t.run(test_client_pause, srv)
        t.run(test_monitor, srv)
        t.run(test_select_quit, srv, r)
        t.current = "alive"
        t.check(srv.alive(), "server still running at the end")
        r.close()
    finally:
        rc = srv.stop()
    t.current = "exit"
    t.eq(rc, 0, "exit code after SIGTERM")
    t.server_checks(srv)
    srv.cleanup()
    t.finish()


if __name__ == "__main__":
    H.run_main(t, main)
