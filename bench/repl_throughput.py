#!/usr/bin/env python3
"""bench/repl_throughput.py: replication under a pipelined SET load, Tessera
next to redis-server in one run (issue 11).

For each kind (Tessera master + Tessera replica, redis-server master +
redis-server replica): redis-benchmark -t set -P 16 for DURATION seconds against the
master; then print the master's write rate, the stream's rate (MB/s of
master_repl_offset), the replica's lag the moment the load stops (bytes
and ms to catch up), and whether the digests agree once it has.

  DURATION=10 THREADS=2 bench/repl_throughput.py [tessera-binary]

Ports 22210-22213. Loopback only; processes stopped by PID."""

import os
import subprocess
import sys
import time

sys.path.insert(0, "/usr/lib/python3/dist-packages")
import redis  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from repl_bench import start, stop  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TESSERA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "build", "tessera-server")
REDIS = "/usr/bin/redis-server"
DURATION = float(os.environ.get("DURATION", "10"))
THREADS = os.environ.get("THREADS", "2")


def offset(r, key):
    return int(r.info("replication")[key])


def run(kind, binary, base, margs, rargs):
    mp, mr = start(binary, base, margs)
    rp, rr = start(binary, base + 1, rargs + ["--replicaof", "127.0.0.1", str(base)])
    try:
        for _ in range(400):
            if rr.info("replication").get("master_link_status") == "up":
                break
            time.sleep(0.05)
        off0 = offset(mr, "master_repl_offset")
        cmds0 = mr.info("stats")["total_commands_processed"]
        t0 = time.monotonic()
        proc = subprocess.Popen(["redis-benchmark", "-p", str(base), "-t", "set", "-P", "16", "-c", "50", "-r",
                                 "1000000", "-d", "32", "-n", "100000000", "-q"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(DURATION)
        proc.terminate()
        proc.wait()
        t1 = time.monotonic()
        moff = offset(mr, "master_repl_offset")
        roff = offset(rr, "slave_repl_offset")
        lag = moff - roff
        caught = None
        while time.monotonic() - t1 < 60:
            if offset(rr, "slave_repl_offset") >= moff:
                caught = time.monotonic() - t1
                break
            time.sleep(0.005)
        cmds = mr.info("stats")["total_commands_processed"] - cmds0
        same = mr.execute_command("DEBUG", "DIGEST") == rr.execute_command("DEBUG", "DIGEST")
        mb = (moff - off0) / 1048576 / (t1 - t0)
        print("| %s | %.0f k/s | %.1f MB/s | %d B | %s | %s |" %
              (kind, cmds / (t1 - t0) / 1000, mb, lag,
               "%.0f ms" % (caught * 1000) if caught is not None else "not in 60 s", "yes" if same else "NO"))
        sys.stdout.flush()
    finally:
        stop(rp)
        stop(mp)


def main():
    print("| master + replica | SETs on the master | stream | replica lag when the load stops | caught up after | "
          "digests equal |")
    print("|---|---:|---:|---:|---:|---|")
    run("Tessera (%s workers each)" % THREADS, TESSERA, 22210, ["--threads", THREADS], ["--threads", THREADS])
    run("redis-server 7.0.15", REDIS, 22212, [], [])


if __name__ == "__main__":
    main()
