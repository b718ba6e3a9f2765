#!/usr/bin/python3
"""bench/hash_mem.py: memory per hash field, Tessera vs redis-server, in the
same run (issue 9 part 4: hashes).

Two data sets, each loaded into a fresh Tessera and a fresh redis-server
(persistence off) through redis-cli --pipe, with INFO memory read before
and after:

  small  NSMALL hashes "h:<i>" of FIELDS fields "field<j>" -> "value<i%100000>"
         (listpack-encoded in both servers)
  big    one hash of NBIG fields "field:<i>" -> "value:<i>" (hashtable)

Printed per data set: used_memory delta / fields for both servers (and
Tessera's used_memory_dataset delta, its exact accounting of keys and
values), and the ratio.

  bench/hash_mem.py                      # 1M x 10 and 1 x 1M
  NSMALL=100000 NBIG=100000 bench/hash_mem.py
Knobs: NSMALL, FIELDS, NBIG, TESSERA_THREADS (default 1), PORT_TESSERA,
PORT_REDIS (defaults 23100 / 23110 + TESSERA_PORT_OFFSET).
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
import harness as H  # noqa: E402

NSMALL = int(os.environ.get("NSMALL", "1000000"))
FIELDS = int(os.environ.get("FIELDS", "10"))
NBIG = int(os.environ.get("NBIG", "1000000"))
THREADS = int(os.environ.get("TESSERA_THREADS", "1"))
PORT_T = int(os.environ.get("PORT_TESSERA", H.port(23100)))
PORT_R = int(os.environ.get("PORT_REDIS", H.port(23110)))


def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def small_stream():
    for i in range(NSMALL):
        args = [b"HSET", b"h:%d" % i]
        for j in range(FIELDS):
            args += [b"field%d" % j, b"value%05d" % ((i + j) % 100000)]
        yield resp(*args)


def big_stream():
    for i in range(0, NBIG, 100):
        args = [b"HSET", b"bighash"]
        for k in range(i, min(i + 100, NBIG)):
            args += [b"field:%d" % k, b"value:%d" % k]
        yield resp(*args)


def load(port, stream):
    p = subprocess.Popen(["redis-cli", "-p", str(port), "--pipe"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    buf = []
    size = 0
    for chunk in stream():
        buf.append(chunk)
        size += len(chunk)
        if size > 1 << 20:
            p.stdin.write(b"".join(buf))
            buf, size = [], 0
    p.stdin.write(b"".join(buf))
    p.stdin.close()
    out = p.stdout.read().decode()
    p.wait()
    if "errors: 0" not in out:
        raise RuntimeError("redis-cli --pipe: %s" % out)


def info_mem(port):
    out = subprocess.run(["redis-cli", "-p", str(port), "INFO", "memory"], stdout=subprocess.PIPE).stdout.decode()
    d = {}
    for line in out.splitlines():
        k, _, v = line.partition(":")
        if v.strip().isdigit():
            d[k] = int(v)
    return d


def measure(name, stream, fields, check):
    rows = {}
    for kind in ("tessera", "redis"):
        srv = H.tessera(PORT_T, threads=THREADS) if kind == "tessera" else H.redis_server(PORT_R)
        try:
            before = info_mem(srv.port)
            load(srv.port, stream)
            after = info_mem(srv.port)
            enc = subprocess.run(["redis-cli", "-p", str(srv.port), "OBJECT", "ENCODING", check],
                                 stdout=subprocess.PIPE).stdout.decode().strip()
            rows[kind] = {k: after.get(k, 0) - before.get(k, 0) for k in ("used_memory", "used_memory_dataset")}
            rows[kind]["enc"] = enc
        finally:
            srv.stop()
            srv.cleanup()
    t, r = rows["tessera"], rows["redis"]
    print("| %s | %d | %s | %.1f | %.1f | %.1f | %.2f |" % (
        name, fields, t["enc"], t["used_memory"] / fields, t["used_memory_dataset"] / fields,
        r["used_memory"] / fields, t["used_memory"] / r["used_memory"]))
    sys.stdout.flush()


def main():
    v = subprocess.run([H.REDIS, "--version"], stdout=subprocess.PIPE).stdout.decode().split()
    print("# redis-server %s, Tessera %d worker(s); bytes per field = INFO memory delta / fields\n" % (
        next((w for w in v if w.startswith("v=")), "?"), THREADS))
    print("| data set | fields | encoding | Tessera used_memory B/field | Tessera dataset B/field "
          "| Redis used_memory B/field | T/R |")
    print("|---|---:|---|---:|---:|---:|---:|")
    if NSMALL:
        measure("%d hashes x %d fields" % (NSMALL, FIELDS), small_stream, NSMALL * FIELDS, "h:0")
    if NBIG:
        measure("1 hash x %d fields" % NBIG, big_stream, NBIG, "bighash")


if __name__ == "__main__":
    main()
