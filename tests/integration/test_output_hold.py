#!/usr/bin/python3
"""test_output_hold.py: a connection's ready replies may wait for the next
one while it comes back from another worker (net/conn.c conn_hold_output:
one send per pipeline instead of one per ready reply), but never longer
than CONN_HOLD_US (500 us), even when the other worker is stuck.

With 2 workers, one connection blocks worker Z in DEBUG SLEEP. A client
on the other worker N pipelines, in one write, GET of a key that N holds
and GET of a key that Z holds: the first reply must arrive at once (well
before the sleep ends), the second after it, both correct and in order.
Then, with nobody sleeping, long pipelines whose keys alternate between
the workers get every reply, in order.
Ports: 23700 (Tessera).
"""
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

t = H.Runner("test_output_hold")
PORT = H.port(23700)
SLEEP = 1.5


def key_on_worker(c, worker, prefix):
    """A key whose slot DEBUG SLOTWORKER puts on worker."""
    for i in range(10000):
        k = "%s%d" % (prefix, i)
        if int(c.cmd("DEBUG", "SLOTWORKER", H.key_slot(k))[1:-2]) == worker:
            return k
    raise RuntimeError("no key found for worker %d" % worker)


def sleep_in_background(conn, seconds):
    th = threading.Thread(target=lambda: conn.cmd("DEBUG", "SLEEP", str(seconds)), daemon=True)
    th.start()
    time.sleep(0.1)  # the sleep has started on the sleeper's worker
    return th


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
    """A sleeper connection (its worker is Z) and one connection on the
    other worker N, told apart by whether a PING answers while the sleeper
    sleeps. SO_REUSEPORT spreads connections, so a few tries suffice."""
    for _ in range(20):
        sleeper = H.RawConn(port)
        probes = [H.RawConn(port) for _ in range(6)]
        th = sleep_in_background(sleeper, 0.5)
        fast = [p for p in probes if answers_within(p, 0.2)]
        th.join()
        for p in probes:
            if p not in fast:
                p.reply()  # the late PONG
        if fast and len(fast) < len(probes):
            for p in probes:
                if p is not fast[0]:
                    p.close()
            return sleeper, fast[0]
        for p in probes:
            p.close()
        sleeper.close()
    raise RuntimeError("could not find connections on both workers")


def test_ready_reply_not_held_behind_a_stuck_worker(port):
    sleeper, near = find_partition(port)
    try:
        keys = [key_on_worker(near, w, "hold:") for w in (0, 1)]
        for i, k in enumerate(keys):
            near.cmd("SET", k, "v%d" % i)
        # Which key is on N: the one a GET answers while Z sleeps.
        th = sleep_in_background(sleeper, 0.5)
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
        t0 = time.monotonic()
        th = sleep_in_background(sleeper, SLEEP)
        near.send(H.encode("GET", local) + H.encode("GET", remote))
        first = near.reply()
        t_first = time.monotonic() - t0
        second = near.reply()
        t_second = time.monotonic() - t0
        th.join()
        t.eq(first, b"$%d\r\n%s\r\n" % (2, ("v%d" % keys.index(local)).encode()), "first reply")
        t.eq(second, b"$%d\r\n%s\r\n" % (2, ("v%d" % keys.index(remote)).encode()), "second reply")
        # 0.1 s of the sleep had passed when the pipeline was sent.
        t.check(t_first < 0.6, "the ready reply came at once, not after the sleep (%.3f s)" % t_first)
        t.check(t_second >= SLEEP - 0.3, "the other worker's reply came after its sleep (%.3f s)" % t_second)
        print("  first reply after %.3f s, second after %.3f s (worker asleep %.1f s)" % (t_first, t_second, SLEEP))
    finally:
        sleeper.close()
        near.close()


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
        t.run(test_alternating_pipelines_complete_in_order, PORT)
    finally:
        srv.stop()
        t.server_checks(srv)
    t.finish()


if __name__ == "__main__":
    H.run_main(t, main)
