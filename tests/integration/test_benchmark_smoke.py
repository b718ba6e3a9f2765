#!/usr/bin/python3
"""test_benchmark_smoke.py: redis-benchmark and redis-cli --pipe against a
2-worker Tessera.

redis-benchmark -t set,get,incr,mset -P 16 -c 50 -n 200000 -q must finish
with a rate for each test and no error; redis-cli --pipe must report
"errors: 0, replies: 100000" and DBSIZE must match.  (The issue's full
1,000,000-request run is bench/compare-redis-benchmark.sh.)
Ports: 21300.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

PORT = H.port(21300)
N = int(os.environ.get("TESSERA_SMOKE_N", "200000"))
t = H.Runner("test_benchmark_smoke")


def test_redis_benchmark(srv):
    cmd = [H.REDIS_BENCHMARK, "-h", "127.0.0.1", "-p", str(srv.port), "-t", "set,get,incr,mset",
           "-P", "16", "-c", "50", "-n", str(N), "-q"]
    p = H.tool(cmd, timeout=400)
    out = p.stdout.decode("utf-8", "replace")
    err = p.stderr.decode("utf-8", "replace")
    # -q prints progress with \r; the final line per test is "NAME: R requests per second, p50=..."
    finals = {}
    for line in re.split(r"[\r\n]", out):
        m = re.match(r"^\s*(SET|GET|INCR|MSET \(10 keys\)): ([\d.]+) requests per second", line)
        if m:
            finals[m.group(1)] = float(m.group(2))
    print("    redis-benchmark: %s" % ", ".join("%s %.0f/s" % kv for kv in finals.items()))
    t.eq(p.returncode, 0, "redis-benchmark exit code (stderr: %s)" % err[-300:])
    t.eq(sorted(finals), sorted(["SET", "GET", "INCR", "MSET (10 keys)"]),
         "a final rate for each test (output tail: %r)" % out[-300:])
    t.check(all(v > 0 for v in finals.values()), "rates positive")
    low = (out + err).lower()
    t.check("error" not in low, "no error in redis-benchmark output: %r" %
            [l for l in re.split(r"[\r\n]", out + err) if "rror" in l][:3])
    r = srv.client()
    # redis-benchmark's default key is key:__rand_int__ with -r absent:
    # everything hits "key:__rand_int__" and "counter:__rand_int__".
    v = r.get("key:__rand_int__")
    t.check(v is not None and len(v) == 3, "3-byte value written by SET/MSET (-d default): %r" % v)
    t.eq(int(r.get("counter:__rand_int__")), N, "INCR counter == -n (every INCR applied once)")
    r.close()


def test_redis_benchmark_types(srv):
    """HSET, SADD and SPOP pipelined (issue 9: no errors); SPOP pops what
    SADD added, so the set ends no bigger than the number of SADDs."""
    cmd = [H.REDIS_BENCHMARK, "-h", "127.0.0.1", "-p", str(srv.port), "-t", "hset,sadd,spop",
           "-P", "16", "-c", "50", "-n", str(N), "-q"]
    p = H.tool(cmd, timeout=400)
    out = p.stdout.decode("utf-8", "replace")
    err = p.stderr.decode("utf-8", "replace")
    finals = {}
    for line in re.split(r"[\r\n]", out):
        m = re.match(r"^\s*(HSET|SADD|SPOP): ([\d.]+) requests per second", line)
        if m:
            finals[m.group(1)] = float(m.group(2))
    print("    redis-benchmark: %s" % ", ".join("%s %.0f/s" % kv for kv in finals.items()))
    t.eq(p.returncode, 0, "redis-benchmark exit code (stderr: %s)" % err[-300:])
    t.eq(sorted(finals), ["HSET", "SADD", "SPOP"], "a final rate for each test (output tail: %r)" % out[-300:])
    low = (out + err).lower()
    t.check("error" not in low, "no error in redis-benchmark output: %r" %
            [l for l in re.split(r"[\r\n]", out + err) if "rror" in l][:3])
    r = srv.client()
    t.eq(r.type("myhash"), b"hash", "HSET wrote myhash")
    v = r.hget("myhash", "element:__rand_int__")
    t.check(v is not None and len(v) == 3, "HSET's field holds the 3-byte value: %r" % v)
    t.check(r.scard("myset") <= 1, "SPOP emptied what SADD added (SCARD %d)" % r.scard("myset"))
    r.close()


def test_benchmark_random_keys(srv):
    """-r spreads keys over all slots, so both workers serve and forward."""
    r = srv.client()
    r.flushall()
    cmd = [H.REDIS_BENCHMARK, "-h", "127.0.0.1", "-p", str(srv.port), "-t", "set,mset",
           "-P", "16", "-c", "50", "-n", str(N // 2), "-r", "100000", "-q"]
    p = H.tool(cmd, timeout=400)
    out = (p.stdout + p.stderr).decode("utf-8", "replace")
    t.eq(p.returncode, 0, "redis-benchmark -r exit code")
    t.check("error" not in out.lower(), "no error with random keys: %r" % out[-300:])
    n = r.dbsize()
    t.check(50000 <= n <= 100000, "DBSIZE after random-key SETs plausible (%d)" % n)
    r.close()


def test_pipe_mass_insert(srv):
    r = srv.client()
    r.flushall()
    n = 100000
    data = b"".join(H.encode("SET", "mass:%d" % i, "value-%d" % i) for i in range(n))
    p = H.tool([H.REDIS_CLI, "-h", "127.0.0.1", "-p", str(srv.port), "--pipe"], timeout=300, input=data)
    out = (p.stdout + p.stderr).decode("utf-8", "replace")
    print("    " + out.strip().replace("\n", "\n    "))
    t.eq(p.returncode, 0, "redis-cli --pipe exit code")
    t.check("errors: 0, replies: %d" % n in out, "redis-cli --pipe reports 'errors: 0, replies: %d'" % n)
    t.eq(r.dbsize(), n, "DBSIZE after mass insertion")
    t.eq(r.get("mass:%d" % (n - 1)), b"value-%d" % (n - 1), "last inserted value")
    t.eq(r.get("mass:0"), b"value-0", "first inserted value")
    r.close()


def main():
    srv = None
    try:
        srv = H.tessera(PORT, threads=2)
        t.run(test_redis_benchmark, srv)
        t.run(test_redis_benchmark_types, srv)
        t.run(test_benchmark_random_keys, srv)
        t.run(test_pipe_mass_insert, srv)
        t.current = "alive"
        t.check(srv.alive(), "server still running")
    finally:
        rc = srv.stop() if srv else None
    t.current = "exit"
    t.eq(rc, 0, "exit code after SIGTERM")
    t.server_checks(srv)
    srv.cleanup()
    t.finish()


if __name__ == "__main__":
    H.run_main(t, main)
