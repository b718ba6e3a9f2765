#!/usr/bin/python3
"""test_shutdown.py: clean exits and the worker count.

SIGTERM, SIGINT and SHUTDOWN NOSAVE each exit 0 within a few seconds, also
with clients connected and a pipeline in flight; `taskset -c 0` gives one
worker and --threads overrides (INFO server field tessera_workers:N).
Ports: 21500..21509. Also: a config file as first argument, CONFIG REWRITE.
"""
import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

BASE = H.port(21500)
PROMPT = 5.0  # seconds allowed for a clean exit
t = H.Runner("test_shutdown")
servers = []


def start(port, **kw):
    s = H.tessera(port, **kw)
    servers.append(s)
    return s


def workers(srv):
    """tessera_workers from INFO server (raw text, no redis-py parsing)."""
    with srv.raw() as c:
        rep = c.cmd("INFO", "server")
    for line in rep.decode("utf-8", "replace").split("\r\n"):
        if line.startswith("tessera_workers:"):
            return int(line.split(":", 1)[1])
    return None


def timed_exit(srv, label):
    t0 = time.monotonic()
    rc = srv.wait_exit(PROMPT)
    dt = time.monotonic() - t0
    if rc is None:
        t.fail("%s: still running after %.0f s" % (label, PROMPT))
        srv.stop()
        return
    t.eq(rc, 0, "%s: exit code" % label)
    print("    %s: exited in %.2fs" % (label, dt))


def test_sigterm():
    srv = start(BASE, threads=2)
    idle = [srv.raw() for _ in range(20)]  # idle clients must not delay exit
    for c in idle:
        c.cmd("PING")
    busy = srv.raw()
    busy.send(b"".join(H.encode("SET", "k%d" % i, "v") for i in range(20000)))
    srv.proc.send_signal(signal.SIGTERM)
    timed_exit(srv, "SIGTERM with 21 clients and a pipeline in flight")
    for c in idle + [busy]:
        c.close()
    t.check(not H.raw_ping(srv.port), "port closed after exit")


def test_sigint():
    srv = start(BASE + 1, threads=2)
    srv.proc.send_signal(signal.SIGINT)
    timed_exit(srv, "SIGINT")


def test_shutdown_nosave():
    srv = start(BASE + 2, threads=2)
    other = srv.raw()
    other.cmd("PING")
    with srv.raw() as c:
        c.send(H.encode("SHUTDOWN", "NOSAVE"))
        t.check(c.wait_closed(PROMPT), "SHUTDOWN NOSAVE closes the caller's connection")
        t.eq(c.buf, b"", "SHUTDOWN NOSAVE sends no reply on success (as Redis)")
    timed_exit(srv, "SHUTDOWN NOSAVE")
    t.check(other.wait_closed(2), "other clients disconnected at shutdown")
    other.close()


def test_shutdown_bad_arg():
    srv = start(BASE + 3, threads=2)
    with srv.raw() as c:
        t.eq(c.cmd("SHUTDOWN", "FOO"), b"-ERR syntax error\r\n", "SHUTDOWN FOO is a syntax error")
        t.eq(c.cmd("PING"), b"+PONG\r\n", "still serving after SHUTDOWN FOO")
    srv.proc.send_signal(signal.SIGTERM)
    timed_exit(srv, "SIGTERM after bad SHUTDOWN")


def test_workers_taskset():
    if H.is_dry_run():
        raise H.Skip("tessera_workers is Tessera-only (dry run against redis-server)")
    if len(os.sched_getaffinity(0)) < 1 or 0 not in os.sched_getaffinity(0):
        raise H.Skip("CPU 0 not in this process's affinity mask")
    srv = H.Server(H.TESSERA, BASE + 4, H.tessera_argv(None), name="tessera-taskset", taskset="0").start()
    servers.append(srv)
    n = workers(srv)
    if n is None:
        srv.stop()
        raise H.XFail("INFO server has no tessera_workers:N field yet (cannot check the worker count)")
    t.eq(n, 1, "taskset -c 0 -> tessera_workers:1")
    with open("/proc/%d/status" % srv.pid) as f:
        allowed = [l for l in f if l.startswith("Cpus_allowed_list")]
    t.eq(allowed[0].split()[-1] if allowed else None, "0", "process pinned to CPU 0")
    t.eq(srv.client().set("x", "1"), True, "single worker serves")
    t.eq(srv.stop(), 0, "exit 0")


def test_workers_threads():
    if H.is_dry_run():
        raise H.Skip("tessera_workers is Tessera-only (dry run against redis-server)")
    srv = start(BASE + 5, threads=3)
    n = workers(srv)
    if n is None:
        srv.stop()
        raise H.XFail("INFO server has no tessera_workers:N field yet")
    t.eq(n, 3, "--threads 3 -> tessera_workers:3")
    t.eq(srv.stop(), 0, "exit 0")
    srv = start(BASE + 6, threads=None)
    t.eq(workers(srv), len(os.sched_getaffinity(0)), "default workers = CPUs in the affinity mask")
    t.eq(srv.stop(), 0, "exit 0")


def test_bad_directive():
    """A misspelled directive is refused at start-up, Redis style."""
    if not os.path.exists(H.TESSERA):
        raise H.Skip("no binary")
    p = H.tool([H.TESSERA, "--port", str(BASE + 7), "--bind", "127.0.0.1", "--no-such-directive", "1"], timeout=10)
    out = (p.stdout + p.stderr).decode("utf-8", "replace")
    t.check(p.returncode != 0, "non-zero exit for a misspelled directive")
    t.check("FATAL CONFIG FILE ERROR" in out and "Bad directive or wrong number of arguments" in out,
            "Redis-style error: %r" % out[-300:])


def test_config_file():
    """A redis.conf as first argument, directives Redis accepts but Tessera
    may ignore, and CONFIG REWRITE writing the file back."""
    import tempfile
    d = tempfile.mkdtemp(prefix="tessera-conf-")
    path = os.path.join(d, "redis.conf")
    with open(path, "w") as f:
        f.write("# Tessera test config\n"
                "maxclients 1234\n"
                "timeout 77\n"
                "save \"\"\n"
                "appendonly no\n"
                "rdbcompression yes\n"
                "activerehashing yes\n"
                "lazyfree-lazy-eviction no\n")
    srv = H.Server(H.TESSERA, BASE + 8, [] if H.is_dry_run() else ["--threads", "2"],
                   name="tessera-conf", config_file=path, workdir=d).start()
    servers.append(srv)
    r = srv.client()
    t.eq(r.config_get("maxclients").get("maxclients"), "1234", "maxclients from the config file")
    t.eq(r.config_get("timeout").get("timeout"), "77", "timeout from the config file")
    t.eq(r.config_get("port").get("port"), str(BASE + 8), "--port overrides")
    t.eq(r.config_set("maxclients", "2000"), True, "CONFIG SET maxclients")
    t.check(r.config_rewrite() in (True, b"OK"), "CONFIG REWRITE")
    with open(path) as f:
        text = f.read()
    t.check(re.search(r"^maxclients 2000$", text, re.M), "rewritten file has maxclients 2000: %r" % text[-300:])
    t.check("# Tessera test config" in text, "CONFIG REWRITE keeps comments")
    r.close()
    t.eq(srv.stop(), 0, "exit 0")
    if not os.environ.get("KEEP_TMP") and not srv.sanitizer_report():
        import shutil
        shutil.rmtree(d, ignore_errors=True)


def main():
    try:
        for fn in (test_sigterm, test_sigint, test_shutdown_nosave, test_shutdown_bad_arg,
                   test_workers_taskset, test_workers_threads, test_bad_directive, test_config_file):
            t.run(fn)
    finally:
        for s in servers:
            s.stop()
    t.server_checks(*servers)
    for s in servers:
        s.cleanup()
    t.finish()


if __name__ == "__main__":
    H.run_main(t, main)
