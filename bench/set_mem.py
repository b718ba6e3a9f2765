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


def used(port):
    out = subprocess.run(["redis-cli", "-p", str(port), "INFO", "memory"], stdout=subprocess.PIPE).stdout
    for line in out.decode().splitlines():
        if line.startswith("used_memory:"):
            return int(line.split(":")[1])
    raise RuntimeError("no used_memory from port %d" % port)


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


def main():
    t = H.Server(H.TESSERA, PORT_T, H.tessera_argv(1), name="tessera").start()
    r = H.Server(H.REDIS, PORT_R, ["--save", "", "--appendonly", "no"], name="redis").start()
    try:
        print("| case | members | Tessera bytes/member | Redis bytes/member | T/R |")
        print("|---|---:|---:|---:|---:|")
        for name, gen, n, enc_key in (("%d sets of 10 small ints" % SMALL, small_sets, SMALL * 10, "s:0"),
                                      ("1 set of %d strings" % BIG, big_set, BIG, "bigset")):
            payload = gen()
            res = {}
            for srv in (t, r):
                before = used(srv.port)
                pipe(srv.port, payload)
                res[srv.name] = (used(srv.port) - before) / n
                enc = subprocess.run(["redis-cli", "-p", str(srv.port), "OBJECT", "ENCODING", enc_key],
                                     stdout=subprocess.PIPE).stdout.decode().strip()
                res[srv.name + "_enc"] = enc
                subprocess.run(["redis-cli", "-p", str(srv.port), "FLUSHALL"], stdout=subprocess.PIPE)
            print("| %s (%s) | %d | %.1f | %.1f | %.2f |" % (name, res["tessera_enc"], n, res["tessera"],
                                                             res["redis"], res["tessera"] / res["redis"]))
            sys.stdout.flush()
    finally:
        t.stop()
        r.stop()
        t.cleanup()
        r.cleanup()


if __name__ == "__main__":
    main()
