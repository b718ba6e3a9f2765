"""bench/repl_bench.py: what the replication benchmarks share: start a
server (Tessera or redis-server) on loopback without persistence, stop it
by PID, read a process's RSS."""

import subprocess
import sys
import time

sys.path.insert(0, "/usr/lib/python3/dist-packages")
import redis  # noqa: E402


def rss(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def start(binary, port, args):
    p = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                          "--enable-debug-command", "yes"] + args,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/tmp")
    r = redis.Redis(port=port)
    for _ in range(200):
        try:
            r.ping()
            return p, r
        except redis.exceptions.ConnectionError:
            time.sleep(0.05)
    p.kill()
    raise RuntimeError("%s did not start" % binary)


def stop(p):
    p.terminate()
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
