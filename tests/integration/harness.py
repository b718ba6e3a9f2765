"""harness.py: the small library behind Tessera's integration tests.

Plain python3 (no pytest). A test file does:

    import harness as H
    t = H.Runner("basic")
    srv = H.tessera(port=21000, threads=2)      # started, answers PING
    try:
        t.run(test_something, srv) ...
    finally:
        srv.stop()
    t.finish()                                  # "N passed, M failed", exit

Servers:
  * TESSERA_SERVER (set by ctest to $<TARGET_FILE:tessera-server>) names the
    binary under test; default <repo>/build/tessera-server.  Pointing it at
    /usr/bin/redis-server is a dry run that validates the tests themselves:
    Tessera-only arguments (threads, worker-cpus) are dropped and
    Tessera-only checks are skipped (see is_dry_run()).
  * REDIS_SERVER (default /usr/bin/redis-server) is Debian's redis-server,
    started the same way for differential tests.

Every server runs in its own temp dir, bound to 127.0.0.1, is waited for
with a bounded PING loop, and is stopped by PID (SIGTERM, then SIGKILL after
a bound).  Cleanup is layered: try/finally in the tests, an atexit hook over
every live server, and PR_SET_PDEATHSIG so a server dies with the test
process even if ctest SIGKILLs it on timeout.
"""

import atexit
import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, "/usr/lib/python3/dist-packages")  # Debian's python3-redis

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
TESSERA = os.environ.get("TESSERA_SERVER") or os.path.join(REPO, "build", "tessera-server")
REDIS = os.environ.get("REDIS_SERVER") or "/usr/bin/redis-server"
REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"
REDIS_BENCHMARK = shutil.which("redis-benchmark") or "/usr/bin/redis-benchmark"

START_TIMEOUT = float(os.environ.get("TESSERA_START_TIMEOUT", "20"))
STOP_TIMEOUT = 10.0
SKIP_RC = 77

_live = []  # every Server not yet stopped, for the atexit hook
_made = []  # every Server, so its temp dir goes at exit


PORT_OFFSET = int(os.environ.get("TESSERA_PORT_OFFSET", "0"))


def port(base):
    """A test file's port: its fixed base plus TESSERA_PORT_OFFSET (to run
    two copies of the suite at once, e.g. TESSERA_PORT_OFFSET=5000)."""
    p = base + PORT_OFFSET
    assert 1024 < p < 32768 - 100, "port %d out of the allowed range" % p
    return p


def is_dry_run():
    """True when the 'Tessera' under test is really redis-server."""
    return os.path.basename(TESSERA).startswith("redis-server")


# ---- process helpers -------------------------------------------------------

_libc = None


def _pdeathsig():
    """preexec_fn: the child gets SIGKILL when the test process dies."""
    global _libc
    try:
        if _libc is None:
            _libc = ctypes.CDLL("libc.so.6", use_errno=True)
        _libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
    except Exception:
        pass


def port_free(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) != 0
    finally:
        s.close()


def raw_ping(port, timeout=1.0):
    """One PING over a fresh socket; True on +PONG (or -LOADING etc: alive)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"*1\r\n$4\r\nPING\r\n")
            data = s.recv(64)
            return data.startswith(b"+PONG")
    except OSError:
        return False


def proc_cpu_split(pid):
    """(utime, stime) of a process from /proc/PID/stat, in seconds: user
    space and kernel (system calls, and the softirq network work that runs
    in them)."""
    with open("/proc/%d/stat" % pid) as f:
        data = f.read()
    fields = data[data.rindex(")") + 2:].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / ticks, int(fields[12]) / ticks


def proc_cpu_seconds(pid):
    """utime+stime of a process from /proc/PID/stat, in seconds."""
    return sum(proc_cpu_split(pid))


def proc_rss_bytes(pid):
    """Resident set size of a process (VmRSS of /proc/PID/status), bytes."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class Server:
    """One server process (Tessera or redis-server) in a temp dir.

    args: extra '--directive value' arguments as a list of strings.
    workdir: reuse a directory (restart with the same nodes.conf); else a
    fresh temp dir is made and removed at stop unless KEEP_TMP is set.
    taskset: a CPU list ('0', '0-1') to start the process under taskset -c.
    wrapper: argv prefix such as ['valgrind', '--tool=callgrind'].
    """

    def __init__(self, binary, port, args=(), name=None, workdir=None, taskset=None,
                 config_file=None, env=None, wrapper=None):
        self.binary = binary
        self.port = port
        self.args = list(args)
        self.name = name or ("%s:%d" % (os.path.basename(binary), port))
        self.own_dir = workdir is None
        self.dir = workdir or tempfile.mkdtemp(prefix="tessera-it-%d-" % port)
        self.taskset = taskset
        self.config_file = config_file
        self.env = env
        self.wrapper = list(wrapper or [])
        self.proc = None
        self.log_path = os.path.join(self.dir, "server-%d.log" % port)
        self.returncode = None
        _made.append(self)

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def argv(self):
        cmd = []
        if self.taskset is not None:
            cmd += ["taskset", "-c", str(self.taskset)]
        cmd += self.wrapper
        cmd.append(self.binary)
        if self.config_file:
            cmd.append(self.config_file)
        cmd += ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir]
        cmd += self.args
        return cmd

    def start(self, timeout=START_TIMEOUT, wait=True):
        # A just-exited server's listener can linger briefly (io_uring
        # instances are torn down asynchronously), so allow a few seconds.
        deadline = time.monotonic() + 5
        while not port_free(self.port):
            if time.monotonic() > deadline:
                raise RuntimeError("port %d is already in use; cannot start %s" % (self.port, self.name))
            time.sleep(0.1)
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "abort_on_error=0:detect_leaks=1")
        env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
        if self.env:
            env.update(self.env)
        self.log = open(self.log_path, "ab")
        self.returncode = None
        self.proc = subprocess.Popen(self.argv(), cwd=self.dir, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT, env=env,
                                     preexec_fn=_pdeathsig)
        _live.append(self)
        if wait:
            try:
                self.wait_ready(timeout)
            except BaseException:
                self.stop(timeout=3)  # never leave a half-started server behind
                raise
        return self

    def wait_ready(self, timeout=START_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited with %s during start-up:\n%s"
                                   % (self.name, self.proc.returncode, self.log_tail()))
            if raw_ping(self.port, timeout=0.5):
                return
            time.sleep(0.05)
        raise RuntimeError("%s did not answer PING within %.0f s:\n%s"
                           % (self.name, timeout, self.log_tail()))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_exit(self, timeout):
        """Wait up to timeout for the process to exit; return rc or None."""
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        self._forget()
        return self.returncode

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM, then SIGKILL after timeout. Returns the exit code
        (negative = killed by that signal). Idempotent."""
        if self.proc is None:
            return self.returncode
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                sys.stderr.write("%s ignored SIGTERM for %.0f s; SIGKILL\n" % (self.name, timeout))
                try:
                    self.proc.kill()
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=timeout)
        self.returncode = self.proc.returncode
        self._forget()
        return self.returncode

    def _forget(self):
        if self in _live:
            _live.remove(self)
        try:
            self.log.close()
        except Exception:
            pass

    def cleanup(self):
        """Stop and remove the temp dir (kept when KEEP_TMP=1 or on sanitizer report)."""
        self.stop()
        if self.own_dir and not os.environ.get("KEEP_TMP") and not self.sanitizer_report():
            shutil.rmtree(self.dir, ignore_errors=True)

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, n=40):
        lines = self.log_text().splitlines()
        return "\n".join("    | " + l for l in lines[-n:])

    def sanitizer_report(self):
        """The first lines of an ASan/UBSan/LSan report in the log, or ''."""
        text = self.log_text()
        m = re.search(r"(ERROR: (Address|Leak|Undefined|Thread)Sanitizer|runtime error:)", text)
        if not m:
            return ""
        return text[max(0, m.start() - 200):m.start() + 3000]

    def client(self, **kw):
        import redis
        kw.setdefault("socket_timeout", 15)
        kw.setdefault("socket_connect_timeout", 5)
        return redis.Redis(host="127.0.0.1", port=self.port, **kw)

    def raw(self, timeout=10):
        return RawConn(self.port, timeout)

    def cpu_seconds(self):
        return proc_cpu_seconds(self.pid)

    def cpu_split(self):
        return proc_cpu_split(self.pid)


def _stop_all():
    for s in list(_live):
        try:
            s.stop(timeout=3)
        except Exception:
            try:
                s.proc.kill()
            except Exception:
                pass


def _remove_dirs():
    """Temp dirs go at exit, except with KEEP_TMP=1 or a sanitizer report
    (the failing test already printed the server's log tail)."""
    for s in _made:
        if s.own_dir and not os.environ.get("KEEP_TMP") and not s.sanitizer_report():
            shutil.rmtree(s.dir, ignore_errors=True)


atexit.register(_remove_dirs)
atexit.register(_stop_all)  # atexit runs last-registered first: stop, then remove


def _on_term(signum, frame):
    _stop_all()
    os._exit(128 + signum)


signal.signal(signal.SIGTERM, _on_term)
signal.signal(signal.SIGINT, _on_term)


def tessera_argv(threads=None, extra=()):
    """Tessera arguments; Tessera-only directives are dropped in a dry run.
    DEBUG is allowed from loopback (enable-debug-command local): the tests
    use it, and Redis's default refuses it."""
    args = ["--save", "", "--appendonly", "no", "--enable-debug-command", "local"]
    if threads is not None and not is_dry_run():
        args += ["--threads", str(threads)]
    return args + list(extra)


def refused_at_start(t, port, label, args, config_text=None, want=""):
    """Start Tessera with args (and a redis.conf holding config_text): it
    must exit non-zero within a few seconds, its output holding the FATAL
    CONFIG block and `want` (the directive and the reason), and never
    listen. Checks are counted on the Runner t."""
    srv = Server(TESSERA, port, tessera_argv(1, args), name="refused")
    if config_text is not None:
        srv.config_file = os.path.join(srv.dir, "redis.conf")
        with open(srv.config_file, "w") as f:
            f.write(config_text)
    try:
        srv.start(wait=False)
        rc = srv.wait_exit(10)
        t.check(rc is not None and rc != 0, "%s: exits non-zero at start-up (rc %r)" % (label, rc))
        log = srv.log_text()
        t.check(want in log and "FATAL CONFIG FILE ERROR" in log,
                "%s: the output names the directive and the reason %r: %r" % (label, want, log[-500:]))
        t.check(not raw_ping(srv.port, timeout=0.3), "%s: nothing listens" % label)
    finally:
        srv.stop()
        srv.cleanup()


def tessera(port, threads=2, extra=(), **kw):
    """Start the server under test (TESSERA_SERVER)."""
    if not os.path.exists(TESSERA):
        print("SKIP: %s does not exist (build first, or set TESSERA_SERVER)" % TESSERA)
        sys.exit(SKIP_RC)
    return Server(TESSERA, port, tessera_argv(threads, extra), name="tessera:%d" % port, **kw).start()


def redis_server(port, extra=(), **kw):
    """Start Debian's redis-server with persistence off."""
    if not os.path.exists(REDIS):
        print("SKIP: %s not installed (apt-get install -y redis-server)" % REDIS)
        sys.exit(SKIP_RC)
    args = ["--save", "", "--appendonly", "no"] + list(extra)
    return Server(REDIS, port, args, name="redis:%d" % port, **kw).start()


# ---- raw RESP connection ---------------------------------------------------

def encode(*args):
    """A command as a RESP multibulk."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, int):
            a = str(a).encode()
        elif isinstance(a, str):
            a = a.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Closed(Exception):
    pass


class RawConn:
    """A plain TCP socket with a RESP2/RESP3 reply reader that returns the
    raw bytes of each complete reply, for byte-for-byte comparison."""

    def __init__(self, port, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.timeout = timeout

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def send(self, data):
        self.sock.sendall(data)

    def cmd(self, *args):
        """Send one command, return its raw reply bytes."""
        self.send(encode(*args))
        return self.reply()

    def _fill(self):
        try:
            data = self.sock.recv(1 << 16)
        except ConnectionResetError:
            data = b""
        if not data:
            raise Closed("connection closed by server (buffered: %r)" % self.buf[:200])
        self.buf += data

    def _line(self, pos):
        while True:
            i = self.buf.find(b"\r\n", pos)
            if i >= 0:
                return i
            self._fill()

    def _parse(self, pos):
        """Return the end offset of the reply starting at pos."""
        while len(self.buf) <= pos:
            self._fill()
        t = self.buf[pos:pos + 1]
        eol = self._line(pos)
        head = self.buf[pos + 1:eol]
        end = eol + 2
        if t in b"+-:_,#(":
            return end
        if t in b"$=!":
            n = int(head)
            if n < 0:
                return end
            while len(self.buf) < end + n + 2:
                self._fill()
            return end + n + 2
        if t in b"*~>":
            n = int(head)
            for _ in range(max(n, 0)):
                end = self._parse(end)
            return end
        if t in b"%|":
            n = int(head)
            for _ in range(2 * n):
                end = self._parse(end)
            return end
        raise ValueError("unparseable reply type %r in %r" % (t, self.buf[pos:pos + 100]))

    def reply(self):
        end = self._parse(0)
        out, self.buf = self.buf[:end], self.buf[end:]
        return out

    def replies(self, n):
        return [self.reply() for _ in range(n)]

    def wait_closed(self, timeout=5.0):
        """True if the server closes the connection within timeout (any
        bytes it sends first are kept in self.buf)."""
        deadline = time.monotonic() + timeout
        self.sock.settimeout(0.2)
        try:
            while time.monotonic() < deadline:
                try:
                    data = self.sock.recv(1 << 16)
                except socket.timeout:
                    continue
                except (ConnectionResetError, BrokenPipeError):
                    return True
                if not data:
                    return True
                self.buf += data
            return False
        finally:
            self.sock.settimeout(self.timeout)


# ---- results ---------------------------------------------------------------

class Skip(Exception):
    pass


class XFail(Exception):
    """An expected failure: known missing feature, reported but not fatal."""
    pass


class Runner:
    """Counts checks; each test function is isolated by try/except."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.xfailed = 0
        self.failures = []
        self.current = None
        self.t0 = time.monotonic()

    def run(self, fn, *args, **kw):
        self.current = fn.__name__
        before = self.failed
        t0 = time.monotonic()
        try:
            fn(*args, **kw)
        except Skip as e:
            self.skipped += 1
            print("SKIP  %s: %s" % (fn.__name__, e))
            return
        except XFail as e:
            self.xfailed += 1
            print("XFAIL %s: %s" % (fn.__name__, e))
            return
        except Exception as e:
            self.fail("%s raised %s: %s" % (fn.__name__, type(e).__name__, e),
                      traceback.format_exc())
        status = "ok   " if self.failed == before else "FAIL "
        print("%s %s (%.2fs)" % (status, fn.__name__, time.monotonic() - t0))
        sys.stdout.flush()

    def fail(self, msg, detail=""):
        self.failed += 1
        self.failures.append("%s: %s" % (self.current, msg))
        print("  FAILED [%s] %s" % (self.current, msg))
        if detail:
            print("    " + detail.rstrip().replace("\n", "\n    "))
        sys.stdout.flush()

    def check(self, cond, msg):
        if cond:
            self.passed += 1
        else:
            self.fail(msg)
        return bool(cond)

    def eq(self, actual, expected, msg=""):
        if actual == expected:
            self.passed += 1
            return True
        self.fail("%s: expected %r, got %r" % (msg, expected, actual))
        return False

    def raises(self, fn, substr, msg=""):
        """fn() must raise an exception whose text contains substr."""
        try:
            r = fn()
        except Exception as e:
            return self.check(substr in str(e), "%s: error %r does not contain %r" % (msg, str(e), substr))
        self.fail("%s: expected an error containing %r, got reply %r" % (msg, substr, r))
        return False

    def server_checks(self, *servers):
        """After stop: a sanitizer report in any server log is a failure."""
        for s in servers:
            rep = s.sanitizer_report()
            self.current = "sanitizer(%s)" % s.name
            if not self.check(not rep, "sanitizer report in %s log (%s)" % (s.name, s.log_path)):
                print(rep)

    def finish(self):
        dt = time.monotonic() - self.t0
        extra = ""
        if self.skipped:
            extra += ", %d skipped" % self.skipped
        if self.xfailed:
            extra += ", %d expected failures" % self.xfailed
        if self.failures:
            print("\nFailures in %s:" % self.name)
            for f in self.failures:
                print("  - " + f)
        print("[%s against %s, %.1fs]" % (self.name, TESSERA, dt))
        print("%d passed, %d failed%s" % (self.passed, self.failed, extra))
        sys.stdout.flush()
        _stop_all()
        sys.exit(1 if self.failed else 0)


def wait_for(cond, timeout, step=0.1):
    """Poll cond() until it is true or timeout seconds pass; its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


def tool(argv, timeout, input=None):
    """Run a client tool bounded by timeout; returns CompletedProcess."""
    return subprocess.run(argv, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout, preexec_fn=_pdeathsig)


def crc16(data):
    """CRC16-XMODEM as Redis Cluster uses (poly 0x1021, init 0)."""
    crc = 0
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def key_slot(key):
    if isinstance(key, str):
        key = key.encode()
    s = key.find(b"{")
    if s >= 0:
        e = key.find(b"}", s + 1)
        if e > s + 1:
            key = key[s + 1:e]
    return crc16(key) % 16384


def key_in_slot(slot, prefix="k"):
    """A key that hashes to the given slot (bounded search)."""
    for i in range(2_000_000):
        k = "%s%d" % (prefix, i)
        if key_slot(k) == slot:
            return k
    raise RuntimeError("no key found for slot %d" % slot)


def against_redis(t, port_t, port_r, body, tessera_extra=(), redis_extra=(), check_exit=False):
    """The frame of a differential test file: start Tessera (2 workers) and
    Debian's redis-server, run body(tess, red), check Tessera is still up,
    stop both (and, with check_exit, that Tessera exited 0 on SIGTERM),
    look for sanitizer reports, clean up and print the summary."""
    tess = red = None
    try:
        tess = tessera(port_t, threads=2, extra=tessera_extra)
        red = redis_server(port_r, extra=redis_extra)
        body(tess, red)
        t.current = "alive"
        t.check(tess.alive(), "Tessera still running at the end")
    finally:
        rcs = [s.stop() if s else None for s in (tess, red)]
    if check_exit:
        t.current = "exit"
        t.eq(rcs[0], 0, "Tessera exit code after SIGTERM")
    t.server_checks(tess)
    tess.cleanup()
    red.cleanup()
    t.finish()


def run_main(t, main):
    """Run a test file's main(); an exception outside the individual tests
    (a server that does not start, say) still ends with the summary line
    and a non-zero exit. Servers are stopped by the callers' finally
    blocks and, at worst, by the atexit hook."""
    try:
        main()
    except SystemExit:
        raise
    except BaseException as e:
        t.current = "main"
        t.fail("%s: %s" % (type(e).__name__, e), traceback.format_exc())
        t.finish()
