#!/bin/bash
# bench/compare-redis-benchmark.sh: Tessera vs redis-server, side by side,
# with redis-benchmark (issue 2).
#
#   bash bench/compare-redis-benchmark.sh              # throughput + CPU table
#   bash bench/compare-redis-benchmark.sh --callgrind  # instructions per request
#
# Throughput mode: Tessera (TESSERA_THREADS=2 workers, pinned with taskset to TESSERA_CPUS,
# default 0,1) and redis-server (persistence off) both on loopback.
# redis-benchmark -c 50 -r 100000 runs GET and SET, pipelined (-P 16,
# -n N_PIPE=1000000) and not (-P 1, -n N_NOPIPE=200000), alternating
# Tessera / Redis for ROUNDS=3 rounds. Server CPU is read from
# /proc/PID/stat (utime+stime, all threads) before and after each run.
# Printed: requests/s, requests per server-CPU-second and the
# Tessera/Redis ratios, medians across rounds, against the project goals
# (>= 2.5x req/CPU-s pipelined, >= 1.5x unpipelined).
#
# Callgrind mode: each server runs under valgrind --tool=callgrind with
# instrumentation off; it is switched on (callgrind_control) only around a
# fixed number of requests (CG_N_PIPE=100000, CG_N_NOPIPE=20000), so the
# figure is instructions per request on the request path; the top functions
# of pipelined GET are printed. Outputs stay in $BENCH_OUT (default
# /tmp/tessera-bench). Tessera runs with CG_TESSERA_THREADS workers
# (default 1: valgrind serializes threads, and with 2 workers cross-worker
# commands stalled under valgrind when this script was written); each run
# is bounded by CG_TIMEOUT seconds (default 600).
#
# Other knobs: TESSERA_SERVER (default build/tessera-server, built if
# missing), REDIS_SERVER (/usr/bin/redis-server), REDIS_CPUS (unpinned by
# default), CLIENT_CPUS (redis-benchmark; default the CPUs after the first
# two when there are 4 or more), PORT_TESSERA=22000, PORT_REDIS=22010.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${TESSERA_SERVER:-}" ] && [ ! -x build/tessera-server ]; then
  bash scripts/setup.sh
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j "$(nproc)" --target tessera-server
fi
exec /usr/bin/python3 - "$@" <<'PY'
import os
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.getcwd(), "tests", "integration"))
import harness as H  # noqa: E402

CALLGRIND = "--callgrind" in sys.argv[1:]
ROUNDS = int(os.environ.get("ROUNDS", "3"))
N_PIPE = int(os.environ.get("N_PIPE", "1000000"))
N_NOPIPE = int(os.environ.get("N_NOPIPE", "200000"))
CG_N_PIPE = int(os.environ.get("CG_N_PIPE", "100000"))
CG_N_NOPIPE = int(os.environ.get("CG_N_NOPIPE", "20000"))
CG_THREADS = int(os.environ.get("CG_TESSERA_THREADS", "1"))
THREADS = int(os.environ.get("TESSERA_THREADS", "2"))
CG_TIMEOUT = int(os.environ.get("CG_TIMEOUT", "600"))
PORT_T = int(os.environ.get("PORT_TESSERA", "22000"))
PORT_R = int(os.environ.get("PORT_REDIS", "22010"))
OUT = os.environ.get("BENCH_OUT", "/tmp/tessera-bench")
NCPU = os.cpu_count() or 1
TESSERA_CPUS = os.environ.get("TESSERA_CPUS", "0,1" if NCPU >= 2 else "0")
REDIS_CPUS = os.environ.get("REDIS_CPUS") or None
CLIENT_CPUS = os.environ.get("CLIENT_CPUS", "2-%d" % (NCPU - 1) if NCPU >= 4 else "")
KEYS = "100000"
TESTS = [("GET", 16), ("SET", 16), ("GET", 1), ("SET", 1)]
os.makedirs(OUT, exist_ok=True)


def bench_argv(port, test, pipe, n):
    argv = []
    if CLIENT_CPUS:
        argv += ["taskset", "-c", CLIENT_CPUS]
    return argv + [H.REDIS_BENCHMARK, "-h", "127.0.0.1", "-p", str(port), "-t", test.lower(),
                   "-P", str(pipe), "-c", "50", "-n", str(n), "-r", KEYS, "--csv"]


def run_bench(srv, test, pipe, n, timeout=900):
    """One redis-benchmark run; returns (req/s reported, server CPU s)."""
    cpu0 = srv.cpu_seconds()
    p = H.tool(bench_argv(srv.port, test, pipe, n), timeout=timeout)
    cpu1 = srv.cpu_seconds()
    out = p.stdout.decode("utf-8", "replace")
    m = re.search(r'^"%s","([\d.]+)"' % test, out, re.M)
    if p.returncode != 0 or not m:
        raise RuntimeError("redis-benchmark failed against %s (rc %d): %s %s"
                           % (srv.name, p.returncode, out[-300:], p.stderr.decode()[-300:]))
    err = (out + p.stderr.decode("utf-8", "replace")).lower()
    if "error" in err:
        raise RuntimeError("redis-benchmark reported errors against %s: %s" % (srv.name, err[-300:]))
    return float(m.group(1)), cpu1 - cpu0


def prefill(srv):
    p = H.tool(bench_argv(srv.port, "SET", 16, 200000), timeout=900)
    if p.returncode != 0:
        raise RuntimeError("prefill failed on %s" % srv.name)


def start_servers(wrapper_t=None, wrapper_r=None, timeout=H.START_TIMEOUT, threads=2):
    if not os.path.exists(H.TESSERA):
        sys.exit("no Tessera binary at %s" % H.TESSERA)
    t = H.Server(H.TESSERA, PORT_T, H.tessera_argv(threads), name="tessera", taskset=TESSERA_CPUS,
                 wrapper=wrapper_t)
    r = H.Server(H.REDIS, PORT_R, ["--save", "", "--appendonly", "no"], name="redis",
                 taskset=REDIS_CPUS, wrapper=wrapper_r)
    t.start(timeout=timeout)
    r.start(timeout=timeout)
    return t, r


def fmt(x):
    return "{:,.0f}".format(x)


def throughput():
    t, r = start_servers(threads=THREADS)
    results = {}  # (test, pipe, server) -> list of (rps, rps_per_cpu)
    try:
        print("Tessera %s (%d worker%s, taskset -c %s) vs %s (%s), loopback, %d CPUs"
              % (H.TESSERA, THREADS, "" if THREADS == 1 else "s", TESSERA_CPUS, H.REDIS, "taskset -c " + REDIS_CPUS if REDIS_CPUS else "unpinned", NCPU))
        print("redis-benchmark -c 50 -r %s%s; -P 16 -n %d, -P 1 -n %d; %d rounds, A B alternating\n"
              % (KEYS, ", taskset -c " + CLIENT_CPUS if CLIENT_CPUS else " (unpinned, shares the CPUs)",
                 N_PIPE, N_NOPIPE, ROUNDS))
        prefill(t)
        prefill(r)
        for rnd in range(ROUNDS):
            for test, pipe in TESTS:
                n = N_PIPE if pipe > 1 else N_NOPIPE
                for srv in (t, r):
                    rps, cpu = run_bench(srv, test, pipe, n)
                    per_cpu = n / cpu if cpu > 0 else float("inf")
                    results.setdefault((test, pipe, srv.name), []).append((rps, per_cpu))
                    print("  round %d %-3s -P %-2d %-7s %12s req/s  %6.2f CPU-s  %12s req/CPU-s"
                          % (rnd + 1, test, pipe, srv.name, fmt(rps), cpu, fmt(per_cpu)))
                    sys.stdout.flush()
    finally:
        t.stop()
        r.stop()
    print("\nMedians of %d rounds:" % ROUNDS)
    hdr = "%-4s %-6s | %14s %14s %7s | %16s %16s %7s | %s" % (
        "test", "pipe", "Tessera req/s", "Redis req/s", "ratio", "Tessera req/CPUs", "Redis req/CPUs", "ratio", "goal")
    print(hdr)
    print("-" * len(hdr))
    for test, pipe in TESTS:
        tt = results[(test, pipe, "tessera")]
        rr = results[(test, pipe, "redis")]
        t_rps = statistics.median(x[0] for x in tt)
        r_rps = statistics.median(x[0] for x in rr)
        t_cpu = statistics.median(x[1] for x in tt)
        r_cpu = statistics.median(x[1] for x in rr)
        goal = 2.5 if pipe > 1 else 1.5
        ratio = t_cpu / r_cpu
        print("%-4s -P %-3d | %14s %14s %6.2fx | %16s %16s %6.2fx | >= %.1fx %s" % (
            test, pipe, fmt(t_rps), fmt(r_rps), t_rps / r_rps, fmt(t_cpu), fmt(r_cpu), ratio, goal,
            "met" if ratio >= goal else "NOT met"))


def callgrind_totals(path):
    total = None
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                total = int(line.split()[1])
    return total


def cg_control(pid, *args):
    p = subprocess.run(["callgrind_control"] + list(args) + [str(pid)], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=120)
    if p.returncode != 0:
        raise RuntimeError("callgrind_control %s failed: %s" % (" ".join(args), p.stdout.decode()))


def callgrind():
    wrap = lambda name: ["valgrind", "--tool=callgrind", "--instr-atstart=no",  # noqa: E731
                         "--callgrind-out-file=%s/callgrind.%s.out" % (OUT, name)]
    for f in os.listdir(OUT):
        if f.startswith("callgrind."):
            os.remove(os.path.join(OUT, f))
    t, r = start_servers(wrap("tessera"), wrap("redis"), timeout=120, threads=CG_THREADS)
    print("callgrind: Tessera with %d worker(s), redis-server; %d requests pipelined, %d not"
          % (CG_THREADS, CG_N_PIPE, CG_N_NOPIPE))
    rows = []
    try:
        for srv in (t, r):
            try:
                H.tool(bench_argv(srv.port, "SET", 16, 20000), timeout=CG_TIMEOUT)  # prefill
            except subprocess.TimeoutExpired:
                raise SystemExit("%s under valgrind did not finish a 20000-request prefill in %d s"
                                 % (srv.name, CG_TIMEOUT))
            for i, (test, pipe) in enumerate(TESTS):
                n = CG_N_PIPE if pipe > 1 else CG_N_NOPIPE
                cg_control(srv.pid, "-z")
                cg_control(srv.pid, "-i", "on")
                try:
                    run_bench(srv, test, pipe, n, timeout=CG_TIMEOUT)
                except subprocess.TimeoutExpired:
                    raise SystemExit("%s under valgrind: %s -P %d did not finish in %d s"
                                     % (srv.name, test, pipe, CG_TIMEOUT))
                cg_control(srv.pid, "-i", "off")
                cg_control(srv.pid, "-d", "%s-P%d" % (test, pipe))
                dumps = sorted((f for f in os.listdir(OUT) if f.startswith("callgrind.%s.out." % srv.name)),
                               key=lambda f: os.path.getmtime(os.path.join(OUT, f)))
                path = os.path.join(OUT, dumps[-1])
                ir = callgrind_totals(path)
                rows.append((test, pipe, srv.name, n, ir, path))
                print("  %-7s %-3s -P %-2d %8d requests  %14s Ir  %8.0f Ir/request  (%s)"
                      % (srv.name, test, pipe, n, fmt(ir), ir / n, path))
                sys.stdout.flush()
    finally:
        t.stop(timeout=30)
        r.stop(timeout=30)
    print("\nInstructions per request (callgrind Ir, server side only):")
    print("%-4s %-6s | %12s %12s %8s" % ("test", "pipe", "Tessera", "Redis", "T/R"))
    by = {(a, b, c): (ir / n) for a, b, c, n, ir, _ in rows}
    for test, pipe in TESTS:
        ti, ri = by[(test, pipe, "tessera")], by[(test, pipe, "redis")]
        print("%-4s -P %-3d | %12.0f %12.0f %7.2fx" % (test, pipe, ti, ri, ti / ri))
    for name in ("tessera", "redis"):
        path = [p for a, b, c, n, ir, p in rows if a == "GET" and b == 16 and c == name][0]
        print("\nTop functions, %s, GET -P 16 (callgrind_annotate %s):" % (name, path))
        p = subprocess.run(["callgrind_annotate", "--inclusive=no", path], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=300)
        lines = p.stdout.decode("utf-8", "replace").splitlines()
        start = next((i for i, l in enumerate(lines) if "file:function" in l), 0)
        print("\n".join(lines[start:start + 22]))


if CALLGRIND:
    callgrind()
else:
    throughput()
PY
