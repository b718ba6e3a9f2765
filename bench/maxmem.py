#!/usr/bin/python3
"""bench/maxmem.py: maxmemory under load, Tessera against redis-server in
one run (issue 10).

For each server (Tessera with 1 and with 2 workers, redis-server), with
maxmemory LIMIT_MB (default 100) and allkeys-lru (POLICY):

 1. fill: loadgen writes FILL_GB (default 1) of distinct keys (1000-byte
    values, sequential keys, -P 16); used_memory and RSS are sampled every
    100 ms throughout. Printed: max used_memory, max RSS, RSS at start
    (the fixed overhead: binary, stacks, rings), RSS over the limit as a
    percentage once that overhead is taken off, evicted keys, errors.
 2. zipf: ZIPF_S seconds (default 10) of GET and SET (10:1, zipf 0.99 over
    the same key space, so the hot keys are re-set when evicted, as a
    cache would); the hit rate is keyspace_hits / (hits + misses) over
    that phase.

Usage: bench/maxmem.py   (after cmake --build build --target tessera-server loadgen)
Environment: LIMIT_MB=100 FILL_GB=1 ZIPF_S=10 POLICY=allkeys-lru
             PORT_BASE=23520 (three ports from there, cluster-port +50)
"""
import json
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
os.environ.setdefault("TESSERA_SERVER", os.path.join(HERE, "..", "build", "tessera-server"))
import harness as H  # noqa: E402

LOADGEN = os.environ.get("LOADGEN") or os.path.join(HERE, "..", "build", "loadgen")
LIMIT_MB = int(os.environ.get("LIMIT_MB", "100"))
FILL_GB = float(os.environ.get("FILL_GB", "1"))
ZIPF_S = float(os.environ.get("ZIPF_S", "10"))
POLICY = os.environ.get("POLICY", "allkeys-lru")
PORT_BASE = int(os.environ.get("PORT_BASE", "23520"))
VALUE = 1000
MB = 1024 * 1024


def info(port, section):
    with H.RawConn(port) as c:
        raw = c.cmd("INFO", section)
    out = {}
    for line in raw.decode(errors="replace").split("\r\n"):
        if ":" in line and not line.startswith(("#", "$", "=")):
            k, v = line.split(":", 1)
            out[k] = v
    return out


def loadgen(port, args, timeout):
    p = subprocess.run([LOADGEN, "-h", "127.0.0.1", "-p", str(port), "-q", "--json", "-"] + args,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    out = p.stdout.decode()
    j = json.loads(out[out.index("{"):])
    return j


def fill(srv):
    keys = int(FILL_GB * 1024 * MB / VALUE)
    samples, stop = [], threading.Event()

    def sample():
        while not stop.is_set():
            try:
                samples.append((int(info(srv.port, "memory")["used_memory"]), H.proc_rss_bytes(srv.pid)))
            except (OSError, KeyError, H.Closed):
                pass
            time.sleep(0.1)
    base = H.proc_rss_bytes(srv.pid)
    th = threading.Thread(target=sample)
    th.start()
    t0 = time.monotonic()
    j = loadgen(srv.port, ["-t", "set", "-d", str(VALUE), "-r", str(keys), "-n", str(keys), "--distribution",
                           "sequential", "-P", "16", "-c", "20"], timeout=600)
    dt = time.monotonic() - t0
    time.sleep(0.3)
    stop.set()
    th.join()
    samples.append((int(info(srv.port, "memory")["used_memory"]), H.proc_rss_bytes(srv.pid)))
    st = info(srv.port, "stats")
    return {"keys": keys, "secs": dt, "errors": j["errors"]["total"], "base_rss": base,
            "max_used": max(u for u, _ in samples), "max_rss": max(r for _, r in samples),
            "samples": len(samples), "evicted": int(st["evicted_keys"])}


def zipf(srv, keys):
    before = info(srv.port, "stats")
    j = loadgen(srv.port, ["--ratio", "1:10", "-d", str(VALUE), "-r", str(keys), "--distribution", "zipf:0.99",
                           "--duration", str(ZIPF_S), "-P", "16", "-c", "20"], timeout=ZIPF_S + 120)
    after = info(srv.port, "stats")
    hits = int(after["keyspace_hits"]) - int(before["keyspace_hits"])
    misses = int(after["keyspace_misses"]) - int(before["keyspace_misses"])
    return {"hit_rate": 100.0 * hits / max(1, hits + misses), "ops": j["ops_per_sec"],
            "errors": j["errors"]["total"]}


def run(name, start):
    srv = start()
    try:
        f = fill(srv)
        z = zipf(srv, f["keys"])
    finally:
        srv.stop()
        srv.cleanup()
    return name, f, z


def main():
    limit = LIMIT_MB * MB
    common = ["--maxmemory", str(limit), "--maxmemory-policy", POLICY]
    runs = [
        ("tessera 1w", lambda: H.tessera(PORT_BASE, threads=1,
                                         extra=common + ["--cluster-port", str(PORT_BASE + 50)])),
        ("tessera 2w", lambda: H.tessera(PORT_BASE + 1, threads=2,
                                         extra=common + ["--cluster-port", str(PORT_BASE + 51)])),
        ("redis", lambda: H.redis_server(PORT_BASE + 2, extra=common)),
    ]
    print("# maxmemory %d MB, %s, %.1f GB of distinct %d-byte values, then %g s of zipf:0.99 GET:SET 10:1"
          % (LIMIT_MB, POLICY, FILL_GB, VALUE, ZIPF_S))
    print("| server | fill s | errors | max used_memory MB | RSS start MB | max RSS MB | "
          "RSS-start over limit | evicted | zipf hit rate | zipf ops/s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, start in runs:
        name, f, z = run(name, start)
        over = 100.0 * (f["max_rss"] - f["base_rss"] - limit) / limit
        print("| %s | %.1f | %d | %.1f | %.1f | %.1f | %+.1f%% | %d | %.1f%% | %d |" % (
            name, f["secs"], f["errors"] + z["errors"], f["max_used"] / MB, f["base_rss"] / MB,
            f["max_rss"] / MB, over, f["evicted"], z["hit_rate"], z["ops"]))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
