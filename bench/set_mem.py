#!/usr/bin/python3
"""bench/set_mem.py: bytes per set member, Tessera next to redis-server in
the same run (INFO memory used_memory after - before, divided by members).

Cases: SMALL_SETS sets of 10 small integers each (keys "s:<n>", members
1..10: the intset encoding), and one set of BIG_SET strings ("member:<n>":
the hashtable encoding). Both servers get the same commands through
redis-cli --pipe. Tessera runs 1 worker.

  SMALL_SETS=1000000 BIG_SET=1000000 bench/set_mem.py
Ports: PORT_TESSERA=28700, PORT_REDIS=28710 (plus TESSERA_PORT_OFFSET).
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
import harness as H  # noqa: E402

SMALL = int(os.environ.get("SMALL_SETS", "1000000"))
BIG = int(os.environ.get("BIG_SET", "1000000"))
PORT_T = H.port(int(os.environ.get("PORT_TESSERA", "28700")))
PORT_R = H.port(int(os.environ.get("PORT_REDIS", "28710")))


def used(port, field="used_memory"):
    out = subprocess.run(["redis-cli", "-p", str(port), "INFO", "memory"], stdout=subprocess.PIPE).stdout
    for line in out.decode().splitlines():
        if line.startswith(field + ":"):
            return int(line.split(":")[1])
    raise RuntimeError("no %s from port %d" % (field, port))


def pipe(port, payload):
    p = subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input=payload, stdout=subprocess.PIPE)
    if b"errors: 0" not in p.stdout:
        raise RuntimeError(p.stdout.decode())


def small_sets():
    members = [str(i) for i in range(1, 11)]
    return b"".join(H.encode("SADD", "s:%d" % n, *members) for n in range(SMALL))


def big_set():
    out, batch = [], 1000
    for n in range(0, BIG, batch):
        out.append(H.encode("SADD", "bigset", *["member:%d" % i for i in range(n, min(BIG, n + batch))]))
    return b"".join(out)


def measure(name, gen, n, enc_key):
    """Fresh servers per case (mimalloc keeps freed pages committed for a
    while, so a FLUSHALL would blur the next delta)."""
    t = H.Server(H.TESSERA, PORT_T, H.tessera_argv(1), name="tessera").start()
    r = H.Server(H.REDIS, PORT_R, ["--save", "", "--appendonly", "no"], name="redis").start()
    try:
        payload = gen()
        res = {}
        for srv in (t, r):
            before = used(srv.port)
            ds0 = used(srv.port, "used_memory_dataset")
            pipe(srv.port, payload)
            res[srv.name] = (used(srv.port) - before) / n
            res[srv.name + "_ds"] = (used(srv.port, "used_memory_dataset") - ds0) / n
            res[srv.name + "_enc"] = subprocess.run(["redis-cli", "-p", str(srv.port), "OBJECT", "ENCODING", enc_key],
                                                    stdout=subprocess.PIPE).stdout.decode().strip()
        print("| %s (%s / %s) | %d | %.1f | %.1f | %.1f | %.2f |" % (
            name, res["tessera_enc"], res["redis_enc"], n, res["tessera"], res["tessera_ds"], res["redis"],
            res["tessera"] / res["redis"]))
        sys.stdout.flush()
    finally:
        t.stop()
        r.stop()
        t.cleanup()
        r.cleanup()


def main():
    print("| case (encoding T / R) | members | Tessera used_memory B/member | Tessera dataset B/member "
          "| Redis used_memory B/member | T/R (used_memory) |")
    print("|---|---:|---:|---:|---:|---:|")
    measure("%d sets of 10 small ints" % SMALL, small_sets, SMALL * 10, "s:0")
    measure("1 set of %d strings" % BIG, big_set, BIG, "bigset")


if __name__ == "__main__":
    main()
