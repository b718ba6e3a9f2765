#!/usr/bin/env python3
"""bench/repl_sync.py: a full sync of a big dataset while the master keeps
taking writes (issue 11: "a 2 GB dataset full-syncs to a new replica while
the master keeps serving writes; report the sync time and the master's
peak RSS growth; goal: under 10% of the dataset, where fork can double it").

Runs the same steps against Tessera and redis-server (each as master, a
replica of the same kind), one after the other:

  1. start the master, DEBUG POPULATE until used_memory reaches DATASET_MB
  2. start a writer (pipelined SET/INCR on existing and new keys)
  3. start the replica; sample the master's RSS every 20 ms until the
     replica reports master_link_status:up and master_sync_in_progress:0
  4. stop the writer, WAIT for the replica, compare DBSIZE and DEBUG DIGEST

Prints one table row per server: dataset, sync seconds, master RSS before,
peak during the sync, growth in MB and as % of the dataset, writes done
during the sync, digest equal.

  DATASET_MB=2048 THREADS=2 bench/repl_sync.py [tessera-binary]

Ports 22200-22203. Loopback only. Every process is stopped by PID."""

import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, "/usr/lib/python3/dist-packages")
import redis  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from repl_bench import rss, start, stop  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TESSERA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "build", "tessera-server")
REDIS = "/usr/bin/redis-server"
DATASET_MB = int(os.environ.get("DATASET_MB", "2048"))
THREADS = os.environ.get("THREADS", "2")
VALUE = 100
SYNC_LIMIT = float(os.environ.get("SYNC_LIMIT", "180"))  # seconds before a sync that keeps restarting is given up


def populate(r):
    batch = 1_000_000
    n = 0
    while r.info("memory")["used_memory"] < DATASET_MB * 1024 * 1024:
        r.execute_command("DEBUG", "POPULATE", n + batch, "key", VALUE)
        n += batch
    return r.dbsize(), r.info("memory")["used_memory"]


def writer(port, stop_ev, out):
    r = redis.Redis(port=port)
    n = 0
    i = 0
    while not stop_ev.is_set():
        p = r.pipeline(transaction=False)
        for _ in range(100):
            i += 1
            p.set("key:%d" % (i * 7919 % 5_000_000), "w%d" % i)
            p.incr("ctr:%d" % (i % 1000))
            p.set("new:%d" % i, "x" * VALUE)
        p.execute()
        n += 300
    out.append(n)


def run(kind, binary, base, extra_master, extra_replica):
    mp, mr = start(binary, base, extra_master)
    rp = None
    try:
        keys, used = populate(mr)
        rss0 = rss(mp.pid)
        stop_ev, out = threading.Event(), []
        th = threading.Thread(target=writer, args=(base, stop_ev, out))
        th.start()
        time.sleep(0.5)
        t0 = time.monotonic()
        rp, rr = start(binary, base + 1, ["--replicaof", "127.0.0.1", str(base)] + extra_replica)
        peak = rss0
        while True:
            peak = max(peak, rss(mp.pid))
            try:
                info = rr.info("replication")
                if info.get("master_link_status") == "up" and not int(info.get("master_sync_in_progress", 0)):
                    break
            except redis.exceptions.ConnectionError:
                pass
            if time.monotonic() - t0 > SYNC_LIMIT:
                stop_ev.set()
                th.join()
                print("| %s | %d keys, %.0f MB | not done after %.0f s (%d full syncs started) | %.0f MB | %.0f MB | "
                      "%+.0f MB | %d | - |" % (kind, keys, used / 1048576, SYNC_LIMIT, mr.info("stats")["sync_full"],
                                               rss0 / 1048576, peak / 1048576, (peak - rss0) / 1048576,
                                               out[0] if out else 0))
                return
            time.sleep(0.02)
        secs = time.monotonic() - t0
        stop_ev.set()
        th.join()
        mr.execute_command("WAIT", 1, 30000)
        same = False
        for _ in range(100):
            if mr.dbsize() == rr.dbsize() and mr.execute_command("DEBUG", "DIGEST") == rr.execute_command("DEBUG", "DIGEST"):
                same = True
                break
            time.sleep(0.1)
        growth = peak - rss0
        print("| %s | %d keys, %.0f MB | %.1f s | %.0f MB | %.0f MB | %+.0f MB (%.1f%% of the dataset) | %d | %s |" %
              (kind, keys, used / 1048576, secs, rss0 / 1048576, peak / 1048576, growth / 1048576,
               100.0 * growth / used, out[0] if out else 0, "yes" if same else "NO"))
        sys.stdout.flush()
    finally:
        if rp:
            stop(rp)
        stop(mp)


def main():
    print("| master | dataset (used_memory) | sync time | master RSS before | peak during sync | growth | writes "
          "during sync | digests equal |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    run("Tessera (%s workers)" % THREADS, TESSERA, 22200, ["--threads", THREADS, "--repl-diskless-sync-delay", "0"],
        ["--threads", THREADS])
    run("redis-server 7.0.15", REDIS, 22202, ["--repl-diskless-sync-delay", "0"], [])


if __name__ == "__main__":
    main()
