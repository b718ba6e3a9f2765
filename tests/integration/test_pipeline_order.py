#!/usr/bin/python3
"""test_pipeline_order.py: a pipeline whose commands run on different
workers behaves as if one thread ran it in order, and costs few sends.

  * Held replies (net/conn.c conn_hold_output): a connection's ready
    replies may wait for the next one while it comes back from another
    worker (one send per pipeline instead of one per ready reply), but
    never longer than CONN_HOLD_US (500 us), even when the other worker is
    stuck. With 2 workers, one connection blocks worker Z in DEBUG SLEEP.
    A client on the other worker N pipelines, in one write, GET of a key
    that N holds and GET of a key that Z holds: the first reply must
    arrive at once (well before the sleep ends), the second after it.
  * A keyless command waits for the connection's earlier commands: after
    a pipelined GET that waits on the sleeping worker, a CONFIG SET sent
    in the same write has not taken effect while Z sleeps (another client
    reads the old value), and has once the GET is answered.
    QUIT waits the same way, then closes: nothing sent after it runs.
  * Long pipelines whose keys alternate between the workers get every
    reply, in order.
Ports: 23700 (Tessera).
"""
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

t = H.Runner("test_pipeline_order")
PORT = H.port(23700)
SLEEP = 1.5


def key_on_worker(c, worker, prefix):
    """A key whose slot DEBUG SLOTWORKER puts on worker."""
    for i in range(10000):
        k = "%s%d" % (prefix, i)
        if int(c.cmd("DEBUG", "SLOTWORKER", H.key_slot(k))[1:-2]) == worker:
            return k
    raise RuntimeError("no key found for worker %d" % worker)


class Sleep:
    """DEBUG SLEEP on the sleeper's worker Z, in a thread; started once a
    PING on far (another connection of Z) goes unanswered, so the worker is
    known to be asleep (a fixed delay is not enough on a loaded box)."""

    def __init__(self, sleeper, far, seconds):
        self.far = far
        self.th = threading.Thread(target=lambda: sleeper.cmd("DEBUG", "SLEEP", str(seconds)), daemon=True)
        self.th.start()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if not answers_within(far, 0.05):
                return  # asleep; far's PONG comes after the sleep
            time.sleep(0.01)
        raise RuntimeError("DEBUG SLEEP did not start")

    def join(self):
        self.th.join()
        self.far.reply()  # the PONG that showed the worker asleep


def answers_within(conn, timeout):
    """PING on conn answered within timeout (the reply is consumed either
    way: a late one is read after the sleep ends)."""
    conn.send(H.encode("PING"))
    conn.sock.settimeout(timeout)
    try:
        conn.reply()
        return True
    except socket.timeout:
        return False
    finally:
        conn.sock.settimeout(None)


def find_partition(port):
    """A sleeper connection and another on its worker Z (far), and two on
    the other worker N (near, and a spare), told apart by whether a PING answers while
    the sleeper sleeps (all sent at once, all judged by one deadline well
    inside the sleep). SO_REUSEPORT spreads connections, so a few tries
    suffice."""
    for _ in range(20):
        sleeper = H.RawConn(port)
        probes = [H.RawConn(port) for _ in range(6)]
        th = threading.Thread(target=lambda: sleeper.cmd("DEBUG", "SLEEP", "1"), daemon=True)
        th.start()
        time.sleep(0.2)
        for p in probes:
            p.send(H.encode("PING"))
        deadline = time.monotonic() + 0.3
        fast = []
        for p in probes:
            p.sock.settimeout(max(deadline - time.monotonic(), 0.001))
            try:
                p.reply()
                fast.append(p)
            except socket.timeout:
                pass
            p.sock.settimeout(None)
        th.join()
        slow = [p for p in probes if p not in fast]
        for p in slow:
            p.reply()  # the late PONG
        if len(fast) >= 2 and slow:
            for p in probes:
                if p is not fast[0] and p is not fast[1] and p is not slow[0]:
                    p.close()
            return sleeper, slow[0], fast[0], fast[1]
        for p in probes:
            p.close()
        sleeper.close()
    raise RuntimeError("could not find connections on both workers")


def local_and_remote_keys(sleeper, far, near, prefix):
    """(key held by near's worker N, key held by the sleeper's worker Z),
    both set to "v0"/"v1": the local one is what a GET answers while Z
    sleeps."""
    keys = [key_on_worker(near, w, prefix) for w in (0, 1)]
    for i, k in enumerate(keys):
        near.cmd("SET", k, "v%d" % i)
    th = Sleep(sleeper, far, 0.5)
    near.send(H.encode("GET", keys[0]))
    near.sock.settimeout(0.3)
    try:
        near.reply()
        local, remote = keys[0], keys[1]
    except socket.timeout:
        local, remote = keys[1], keys[0]
    near.sock.settimeout(None)
    th.join()
    if local == keys[1]:
        near.reply()  # the late reply of the probe GET
    return local, remote, keys


def test_ready_reply_not_held_behind_a_stuck_worker(port):
    sleeper, far, near, spare = find_partition(port)
    try:
        local, remote, keys = local_and_remote_keys(sleeper, far, near, "hold:")
        t0 = time.monotonic()
        th = Sleep(sleeper, far, SLEEP)
        near.send(H.encode("GET", local) + H.encode("GET", remote))
        first = near.reply()
        t_first = time.monotonic() - t0
        second = near.reply()
        t_second = time.monotonic() - t0
        th.join()
        t.eq(first, b"$2\r\n" + ("v%d" % keys.index(local)).encode() + b"\r\n", "first reply")
        t.eq(second, b"$2\r\n" + ("v%d" % keys.index(remote)).encode() + b"\r\n", "second reply")
        t.check(t_first < 0.5, "the ready reply came at once, not after the sleep (%.3f s)" % t_first)
        t.check(t_second >= SLEEP - 0.2, "the other worker's reply came after its sleep (%.3f s)" % t_second)
        print("  first reply after %.3f s, second after %.3f s (worker asleep %.1f s; local %s remote %s)" % (t_first, t_second, SLEEP, local, remote))
    finally:
        for c in (sleeper, far, near, spare):
            c.close()


def config_value(c, name):
    return c.cmd("CONFIG", "GET", name).split(b"\r\n")[-2]


def test_keyless_command_waits_for_earlier_ones(port):
    sleeper, far, near, spare = find_partition(port)
    try:
        _, remote, _ = local_and_remote_keys(sleeper, far, near, "order:")
        near.cmd("CONFIG", "SET", "slowlog-max-len", "128")
        th = Sleep(sleeper, far, SLEEP)
        near.send(H.encode("GET", remote) + H.encode("CONFIG", "SET", "slowlog-max-len", "77"))
        time.sleep(0.3)
        t.eq(config_value(spare, "slowlog-max-len"), b"128", "CONFIG SET not applied before the earlier GET ran")
        t.eq(near.replies(2)[1], b"+OK\r\n", "CONFIG SET answered after the GET")
        th.join()
        t.eq(config_value(spare, "slowlog-max-len"), b"77", "CONFIG SET applied after it")
        # PING has no effect to order: it does not wait (its reply does).
        th = Sleep(sleeper, far, 0.5)
        near.send(H.encode("GET", remote) + H.encode("PING") + H.encode("ECHO", "x"))
        t.eq(near.replies(3)[1:], [b"+PONG\r\n", b"$1\r\nx\r\n"], "PING and ECHO after the GET")
        th.join()
    finally:
        for c in (sleeper, far, near, spare):
            c.close()


def test_quit_after_a_waiting_command(port):
    """QUIT waits behind a GET on the sleeping worker like any keyless
    command, then closes: what the client sent after it never runs."""
    sleeper, far, near, spare = find_partition(port)
    try:
        _, remote, keys = local_and_remote_keys(sleeper, far, near, "quit:")
        spare.cmd("DEL", "after-quit")
        th = Sleep(sleeper, far, 0.5)
        near.send(H.encode("GET", remote) + H.encode("QUIT") + H.encode("SET", "after-quit", "1"))
        t.eq(near.replies(2), [b"$2\r\n" + ("v%d" % keys.index(remote)).encode() + b"\r\n", b"+OK\r\n"],
             "GET, then QUIT's +OK")
        t.check(near.wait_closed(5), "the connection is closed after QUIT")
        th.join()
        t.eq(spare.cmd("EXISTS", "after-quit"), b":0\r\n", "nothing after QUIT ran")
    finally:
        for c in (sleeper, far, near, spare):
            c.close()


def test_alternating_pipelines_complete_in_order(port):
    with H.RawConn(port) as c:
        keys = [key_on_worker(c, w, "alt%d:" % w) for w in (0, 1)]
        for round_ in range(20):
            n = 1 + round_ * 25
            c.send(b"".join(H.encode("SET", keys[i % 2], "r%d-%d" % (round_, i)) + H.encode("GET", keys[i % 2])
                            for i in range(n)))
            got = c.replies(2 * n)
            want = []
            for i in range(n):
                want += [b"+OK\r\n", b"$%d\r\n%s\r\n" % (len("r%d-%d" % (round_, i)), ("r%d-%d" % (round_, i)).encode())]
            t.eq(got, want, "pipeline of %d SET+GET pairs" % n)


def main():
    srv = H.tessera(PORT, threads=2)
    try:
        t.run(test_ready_reply_not_held_behind_a_stuck_worker, PORT)
        t.run(test_keyless_command_waits_for_earlier_ones, PORT)
        t.run(test_quit_after_a_waiting_command, PORT)
        t.run(test_alternating_pipelines_complete_in_order, PORT)
    finally:
        srv.stop()
        t.server_checks(srv)
    t.finish()


if __name__ == "__main__":
    H.run_main(t, main)
