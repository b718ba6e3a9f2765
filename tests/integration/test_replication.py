#!/usr/bin/env python3
"""Replication, master side (issue 11): a Tessera master feeding real
redis-server 7.0 replicas and a hand-written replica that reads the raw
stream. Full sync from fork-less snapshots (with writes going on), partial
resync from the backlog, the deterministic stream (SET EX -> PXAT ...),
MULTI/EXEC units, WAIT, ROLE, INFO replication and stats.

Ports 24800-24899."""

import random
import shutil
import socket
import tempfile
import threading
import time

import harness as H
import redis

BASE = H.port(24800)


def wait_until(fn, timeout=15.0, step=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = fn()
        if v:
            return v
        time.sleep(step)
    return fn()


def link_up(r):
    try:
        return r.info("replication").get("master_link_status") == "up"
    except redis.exceptions.ConnectionError:
        return False


def digest(r):
    return r.execute_command("DEBUG", "DIGEST")


def same_data(t, m, rep, label):
    """After the replica caught up (WAIT), DBSIZE and DEBUG DIGEST agree."""
    ok = wait_until(lambda: m.dbsize() == rep.dbsize() and digest(m) == digest(rep), timeout=10)
    t.check(ok, "%s: master %d keys %s, replica %d keys %s" % (label, m.dbsize(), digest(m), rep.dbsize(),
                                                                digest(rep)))


def resynced_partially(t, m, before, label):
    """Since the stats `before`, the master counted one partial resync and
    no full sync."""
    after = m.info("stats")
    t.eq(after["sync_partial_ok"], before["sync_partial_ok"] + 1, "%s: sync_partial_ok +1" % label)
    t.eq(after["sync_full"], before["sync_full"], "%s: no full sync" % label)


def fill(r, n=2000):
    p = r.pipeline(transaction=False)
    for i in range(n):
        p.set("str:%d" % i, "v%d" % i)
        if i % 10 == 0:
            p.set("ttl:%d" % i, "t", ex=1000 + i)
        if i % 50 == 0:
            p.hset("hash:%d" % i, mapping={"f%d" % j: j for j in range(5 if i % 100 else 600)})
            p.sadd("set:%d" % i, *range(10 if i % 100 else 700))
            p.sadd("sset:%d" % i, *["m%d" % j for j in range(8)])
    p.incrbyfloat("float", 1.25)
    p.execute()


def redis_replica(port, master_port, extra=(), **kw):
    return H.redis_server(port, ["--replicaof", "127.0.0.1", str(master_port), "--enable-debug-command", "yes"]
                          + list(extra), **kw)


# ---- a replica by hand: the raw stream ------------------------------------

class FakeReplica:
    """PSYNC as a 7.0 replica does, then read the stream's commands."""

    def __init__(self, port, replid="?", offset=-1):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""
        self.newlines = 0  # bare "\n" keepalives before the PSYNC reply
        for cmd in (("REPLCONF", "listening-port", "1"), ("REPLCONF", "capa", "eof", "capa", "psync2")):
            self.s.sendall(H.encode(*cmd))
            assert self.line() == b"+OK"
        self.s.sendall(H.encode("PSYNC", replid, str(offset)))
        first = self.line()
        while first == b"":
            self.newlines += 1
            first = self.line()
        self.first = first.decode()
        if self.first.startswith("+FULLRESYNC"):
            _, self.replid, off = self.first.split()
            self.offset = int(off)
            self.rdb = self.read_rdb()
            self.s.sendall(H.encode("REPLCONF", "ACK", str(self.offset)))

    def _fill(self):
        data = self.s.recv(65536)
        if not data:
            raise H.Closed()
        self.buf += data

    def line(self):
        while b"\r\n" not in self.buf and not self.buf.startswith(b"\n"):
            self._fill()
        if self.buf.startswith(b"\n"):
            self.buf = self.buf[1:]
            return b""
        i = self.buf.index(b"\r\n")
        out, self.buf = self.buf[:i], self.buf[i + 2:]
        return out

    def read_rdb(self):
        head = self.line()
        while head == b"":
            head = self.line()
        assert head.startswith(b"$EOF:"), head
        mark = head[5:]
        while mark not in self.buf:
            self._fill()
        i = self.buf.index(mark)
        rdb, self.buf = self.buf[:i], self.buf[i + len(mark):]
        return rdb

    def command(self):
        """The next command of the stream as a list of strings."""
        n = self.line()
        assert n.startswith(b"*"), n
        args = []
        for _ in range(int(n[1:])):
            ln = int(self.line()[1:])
            while len(self.buf) < ln + 2:
                self._fill()
            args.append(self.buf[:ln].decode())
            self.buf = self.buf[ln + 2:]
        return args

    def commands_until(self, last, limit=200):
        out = []
        for _ in range(limit):
            c = self.command()
            if c and c[0].lower() in ("ping",) or c[:2] == ["REPLCONF", "GETACK"]:
                continue
            out.append(c)
            if c[:len(last)] == last:
                return out
        return out

    def close(self):
        self.s.close()


# ---- tests ----------------------------------------------------------------

def test_full_sync_to_redis(t, m, mc):
    fill(mc)
    rep = redis_replica(BASE + 10, m.port)
    try:
        rc = rep.client()
        t.check(wait_until(lambda: link_up(rc)), "redis replica: master_link_status up")
        same_data(t, mc, rc, "after the full sync")
        mc.set("after", "sync")
        mc.hset("hash:0", "new", "field")
        t.eq(mc.execute_command("WAIT", 1, 5000), 1, "WAIT 1 counts the replica")
        t.eq(rc.get("after"), b"sync", "a write after the sync reaches the replica")
        same_data(t, mc, rc, "after more writes")
        info = mc.info("replication")
        t.eq(info["role"], "master", "INFO role")
        t.eq(info["connected_slaves"], 1, "INFO connected_slaves")
        t.eq(info["slave0"]["state"], "online", "slave0 state")
        t.eq(info["slave0"]["port"], BASE + 10, "slave0 port (REPLCONF listening-port)")
        t.eq(info["repl_backlog_active"], 1, "repl_backlog_active")
        t.eq(info["master_repl_offset"], rc.info("replication")["slave_repl_offset"], "offsets equal at rest")
        role = mc.execute_command("ROLE")
        t.eq(role[0], b"master", "ROLE master")
        t.eq(len(role[2]), 1, "ROLE lists the replica")
        t.check(mc.info("stats")["sync_full"] >= 1, "INFO stats sync_full")
    finally:
        rep.stop()


def writer(port, stop, counts):
    r = redis.Redis(port=port)
    rng = random.Random(7)
    n = 0
    while not stop.is_set():
        p = r.pipeline(transaction=False)
        for _ in range(50):
            k = rng.randint(0, 30000)
            c = rng.random()
            if c < 0.35:
                p.incr("ctr:%d" % (k % 300))
            elif c < 0.6:
                p.set("str:%d" % k, "w%d" % n)
            elif c < 0.7:
                p.delete("str:%d" % k)
            elif c < 0.8:
                p.hset("hash:%d" % (k % 200), "f%d" % (k % 30), n)
            elif c < 0.9:
                p.sadd("set:%d" % (k % 200), k)
            else:
                p.expire("str:%d" % k, 500)
            n += 1
        p.execute()
    counts.append(n)


def test_sync_under_writes(t, m, mc):
    """Writes during the fork-less snapshot are neither lost nor doubled:
    INCR counters would show a doubled write."""
    mc.execute_command("DEBUG", "POPULATE", 50000, "str", 64)
    stop, counts = threading.Event(), []
    th = threading.Thread(target=writer, args=(m.port, stop, counts))
    th.start()
    rep = None
    try:
        time.sleep(0.3)
        rep = redis_replica(BASE + 11, m.port)
        rc = rep.client()
        t.check(wait_until(lambda: link_up(rc), timeout=30), "replica synced while writes go on")
        time.sleep(0.5)
    finally:
        stop.set()
        th.join()
    try:
        t.check(counts and counts[0] > 0, "the writer wrote")
        mc.execute_command("WAIT", 1, 5000)
        same_data(t, mc, rc, "after a sync under writes")
    finally:
        rep.stop()


def test_partial_resync(t, m, mc):
    rep = redis_replica(BASE + 12, m.port)
    try:
        rc = rep.client()
        t.check(wait_until(lambda: link_up(rc)), "replica up")
        before = mc.info("stats")
        rc.execute_command("CLIENT", "KILL", "TYPE", "master")
        mc.set("during", "gap")
        t.check(wait_until(lambda: link_up(rc) and rc.get("during") == b"gap"), "reconnected, caught up")
        resynced_partially(t, mc, before, "link dropped")
        same_data(t, mc, rc, "after the partial resync")
    finally:
        rep.stop()


def test_stream_forms(t, m, mc):
    """What the stream carries: absolute TTLs, SET KEEPTTL for
    INCRBYFLOAT, DEL for GETDEL, MULTI/EXEC around a transaction's writes
    on one worker, a lone write without them, a GETACK for WAIT."""
    fr = FakeReplica(m.port)
    try:
        t.check(fr.first.startswith("+FULLRESYNC "), "PSYNC ? -1 -> +FULLRESYNC: %s" % fr.first)
        t.check(fr.rdb.startswith(b"REDIS0010"), "an RDB version 10 follows")
        # one hash tag: one worker, so one order (workers' streams merge in any order)
        now_ms = int(time.time() * 1000)
        mc.set("{s}k1", "v", ex=100)
        mc.setex("{s}k2", 100, "v")
        mc.expire("{s}k1", 200)
        mc.incrbyfloat("{s}fl", 2.5)
        mc.getdel("{s}k2")
        p = mc.pipeline(transaction=True)
        p.set("{s}a", 1)
        p.incr("{s}b")
        p.execute()
        p = mc.pipeline(transaction=True)
        p.set("{s}c", 1)
        p.get("{s}a")
        p.execute()
        mc.set("{s}end", "1")
        got = fr.commands_until(["SET", "{s}end"])
        names = [c[0].upper() for c in got]
        t.eq(names, ["SET", "SET", "PEXPIREAT", "SET", "DEL", "MULTI", "SET", "INCRBY", "EXEC", "SET", "SET"],
             "the stream's commands")
        t.eq(got[0][:4], ["SET", "{s}k1", "v", "PXAT"], "SET EX -> SET PXAT")
        t.check(abs(int(got[0][4]) - (now_ms + 100000)) < 5000, "PXAT is absolute: %s" % got[0][4])
        t.eq(got[1][:4], ["SET", "{s}k2", "v", "PXAT"], "SETEX -> SET PXAT")
        t.check(abs(int(got[2][2]) - (now_ms + 200000)) < 5000, "EXPIRE -> PEXPIREAT absolute")
        t.eq(got[3], ["SET", "{s}fl", "2.5", "KEEPTTL"], "INCRBYFLOAT -> SET KEEPTTL")
        t.eq(got[4], ["DEL", "{s}k2"], "GETDEL -> DEL")
        t.eq(got[9], ["SET", "{s}c", "1"], "a MULTI with one write: no MULTI/EXEC")
    finally:
        fr.close()


def test_wait(t, m, mc):
    rep = redis_replica(BASE + 13, m.port)
    try:
        rc = rep.client()
        t.check(wait_until(lambda: link_up(rc)), "replica up")
        mc.set("w", 1)
        t.eq(mc.execute_command("WAIT", 1, 0), 1, "WAIT 1 0 (no timeout) returns once acked")
        t0 = time.monotonic()
        n = mc.execute_command("WAIT", 2, 300)
        dt = time.monotonic() - t0
        t.eq(n, 1, "WAIT 2 with one replica answers 1 at the timeout")
        t.check(0.25 <= dt < 2.0, "WAIT timeout honoured: %.2fs" % dt)
        t.eq(mc.execute_command("WAIT", 0, 0), 1, "WAIT 0 answers at once")
        t.raises(lambda: rc.execute_command("WAIT", 1, 10), "WAIT cannot be used with replica instances",
                 "WAIT on a replica (redis-server's wording, for comparison)")
    finally:
        rep.stop()


def test_backlog_gone_full_resync(t, m, mc):
    mc.config_set("repl-backlog-size", "16kb")
    rep = redis_replica(BASE + 14, m.port)
    try:
        rc = rep.client()
        t.check(wait_until(lambda: link_up(rc)), "replica up")
        rep.stop()
        p = mc.pipeline(transaction=False)
        for i in range(3000):
            p.set("fill:%d" % i, "x" * 100)
        p.execute()
        before = mc.info("stats")
        rep = redis_replica(BASE + 14, m.port)
        rc = rep.client()
        t.check(wait_until(lambda: link_up(rc)), "replica back")
        t.check(mc.info("stats")["sync_full"] > before["sync_full"], "a new full sync")
        same_data(t, mc, rc, "after a resync past the backlog")
        info = mc.info("replication")
        # whole 64 KB blocks are freed once outside the 16 KB window
        t.check(info["repl_backlog_histlen"] <= 16 * 1024 + 2 * 64 * 1024,
                "the backlog is trimmed near its size: %d" % info["repl_backlog_histlen"])
    finally:
        rep.stop()
        mc.config_set("repl-backlog-size", "1mb")


def test_cross_worker_commands(t, m, mc):
    """With replicas, a command split across workers streams each worker's
    share (MSET, DEL) or itself (RENAME), as one unit (test_repl_units)."""
    rep = redis_replica(BASE + 15, m.port)
    try:
        rc = rep.client()
        t.check(wait_until(lambda: link_up(rc)), "replica up")
        keys = ["xw:%d" % i for i in range(40)]
        mc.mset({k: k for k in keys})
        mc.msetnx({"xn:%d" % i: i for i in range(40)})
        mc.delete(*keys[:20])
        mc.execute_command("WAIT", 1, 5000)
        same_data(t, mc, rc, "MSET / MSETNX / DEL across workers")
        src = next(k for k in ("ren:%d" % i for i in range(100)) if worker_of(k) == 0)
        dst = next(k for k in ("ren:%d" % i for i in range(100)) if worker_of(k) == 1)
        mc.set(src, "v")
        t.eq(mc.rename(src, dst), True, "RENAME across workers while replicating")
        mc.execute_command("WAIT", 1, 5000)
        t.eq(rc.get(dst), b"v", "the renamed key on the replica")
        same_data(t, mc, rc, "RENAME across workers")
    finally:
        rep.stop()


def worker_of(key):
    """The worker of a key in a 2-worker standalone server: the slots are
    split in two even ranges (slotmap.h), 0-8191 and 8192-16383."""
    return 0 if H.key_slot(key) < 8192 else 1


def test_keepalives_while_waiting(t, m, mc):
    """A full sync waiting out repl-diskless-sync-delay gets a bare "\n"
    each second before +FULLRESYNC, as from redis-server (not counted in
    the offset)."""
    mc.config_set("repl-diskless-sync-delay", "3")
    try:
        t0 = time.monotonic()
        fr = FakeReplica(m.port)
        waited = time.monotonic() - t0
    finally:
        mc.config_set("repl-diskless-sync-delay", "0")
    try:
        t.check(fr.first.startswith("+FULLRESYNC"), "then +FULLRESYNC")
        t.check(2.5 <= waited < 6, "the sync started after the delay (%.1fs)" % waited)
        t.check(2 <= fr.newlines <= 4, "a \\n keepalive each second while waiting (%d)" % fr.newlines)
    finally:
        fr.close()


def test_replica_output_limit(t, m, mc):
    """A replica that stops reading is dropped at the replica class of
    client-output-buffer-limit; its unsent stream counts."""
    fr = FakeReplica(m.port)
    try:
        t.check(fr.first.startswith("+FULLRESYNC"), "synced")
        before = mc.info("stats")["client_output_buffer_limit_disconnections"]
        mc.config_set("client-output-buffer-limit", "replica 1mb 0 0")
        value = "x" * 1000
        p = mc.pipeline(transaction=False)
        for i in range(30000):  # 30 MB of stream, far past the limit and the socket buffers
            p.set("big:%d" % (i % 100), value)
        p.execute()
        t.check(wait_until(lambda: mc.info("replication")["connected_slaves"] == 0, 10),
                "the replica that stopped reading is disconnected")
        t.eq(mc.info("stats")["client_output_buffer_limit_disconnections"], before + 1,
             "counted in client_output_buffer_limit_disconnections")
    finally:
        mc.config_set("client-output-buffer-limit", "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60")
        fr.close()


def test_tessera_replica_partial(t, m, mc):
    """A Tessera replica whose link drops continues with PSYNC from its
    offset (sync_partial_ok +1 on the master), and keeps up after."""
    if H.is_dry_run():
        raise H.Skip("Tessera-only")
    rep = H.tessera(BASE + 20, threads=2)
    try:
        rc = rep.client()
        rc.execute_command("REPLICAOF", "127.0.0.1", m.port)
        t.check(wait_until(lambda: link_up(rc)), "Tessera replica up")
        same_data(t, mc, rc, "Tessera replica after its full sync")
        rc.config_set("replica-priority", "7")
        rc.config_set("replica-announced", "no")
        info = rc.info("replication")
        t.eq((info["slave_priority"], info["replica_announced"]), (7, 0),
             "INFO shows replica-priority and replica-announced (what Sentinel reads)")
        before = mc.info("stats")
        t.eq(rc.execute_command("CLIENT", "KILL", "TYPE", "master"), 1, "the replica's master link killed")
        mc.set("gap", "filled")
        t.check(wait_until(lambda: link_up(rc) and rc.get("gap") == b"filled"), "reconnected and caught up")
        resynced_partially(t, mc, before, "Tessera replica")
        mc.execute_command("WAIT", 1, 5000)
        same_data(t, mc, rc, "Tessera replica after the partial resync")
    finally:
        rep.stop()
    t.server_checks(rep)


def test_replica_with_more_workers(t, m, mc):
    """A 1-worker master's RENAME and SUNIONSTORE, whose keys the 2-worker
    replica keeps on different workers: the replica applies them (its
    master's commands are never refused) and the data agree."""
    if H.is_dry_run():
        raise H.Skip("Tessera-only")
    m1 = H.tessera(BASE + 21, threads=1, extra=["--repl-diskless-sync-delay", "0"])
    rep = H.tessera(BASE + 22, threads=2)
    try:
        c1, rc = m1.client(), rep.client()
        rc.execute_command("REPLICAOF", "127.0.0.1", m1.port)
        t.check(wait_until(lambda: link_up(rc)), "2-worker replica of a 1-worker master up")
        src = next(k for k in ("mv:%d" % i for i in range(100)) if worker_of(k) == 0)
        dst = next(k for k in ("mv:%d" % i for i in range(100)) if worker_of(k) == 1)
        c1.set(src, "v")
        c1.rename(src, dst)
        c1.sadd(src, "a", "b")
        other = next(k for k in ("mv:%d" % i for i in range(100)) if worker_of(k) == 1 and k != dst)
        c1.sunionstore(other, src)
        c1.execute_command("WAIT", 1, 5000)
        same_data(t, c1, rc, "RENAME across the replica's workers")
        t.eq(rc.get(dst), b"v", "the renamed key on the replica")
        t.eq(rc.smembers(other), {b"a", b"b"}, "SUNIONSTORE across the replica's workers")
    finally:
        rep.stop()
        m1.stop()
    t.server_checks(rep, m1)


def test_min_replicas_to_write(t, m, mc):
    """min-replicas-to-write N with min-replicas-max-lag: writes (queued in
    MULTI, or an EXEC that writes) get -NOREPLICAS while fewer than N
    replicas are good, as from redis-server; reads always pass."""
    mc.config_set("min-replicas-max-lag", "2")
    mc.config_set("min-replicas-to-write", "1")
    rep = None
    try:
        t.check(wait_until(lambda: mc.info("replication").get("min_slaves_good_slaves") == 0, 5),
                "INFO min_slaves_good_slaves:0")
        t.raises(lambda: mc.set("mr", 1), "NOREPLICAS Not enough good replicas to write.", "SET without a replica")
        t.eq(mc.get("mr"), None, "GET still answers")
        with H.RawConn(m.port) as c:
            t.eq(c.cmd("MULTI"), b"+OK\r\n", "MULTI")
            t.check(c.cmd("SET", "mr", 1).startswith(b"-NOREPLICAS"), "a write queued in MULTI is refused")
            t.check(c.cmd("EXEC").startswith(b"-EXECABORT"), "so EXEC aborts")
            c.cmd("MULTI")
            c.cmd("GET", "mr")
            t.eq(c.cmd("EXEC"), b"*1\r\n$-1\r\n", "a read-only EXEC runs")
        rep = redis_replica(BASE + 23, m.port)
        rc = rep.client()
        t.check(wait_until(lambda: link_up(rc)), "replica up")
        t.check(wait_until(lambda: mc.info("replication").get("min_slaves_good_slaves") == 1, 5),
                "INFO min_slaves_good_slaves:1")
        t.eq(mc.set("mr", 1), True, "SET with a good replica")
        rep.stop()
        rep = None
        t.check(wait_until(lambda: mc.info("replication").get("min_slaves_good_slaves") == 0, 5),
                "the replica gone: 0 good")
        t.raises(lambda: mc.incr("mr"), "NOREPLICAS", "writes refused again")
        mc.config_set("min-replicas-to-write", "0")
        t.eq(mc.incr("mr"), 2, "min-replicas-to-write 0: no check")
    finally:
        mc.config_set("min-replicas-to-write", "0")
        mc.config_set("min-replicas-max-lag", "10")
        if rep:
            rep.stop()


def test_redis_replica_restart_partial(t, m, mc):
    """A redis-server replica restarted from its own RDB (SHUTDOWN SAVE:
    the file holds our repl-id and its offset, from the aux fields of the
    RDB we sent) continues with PSYNC: sync_partial_ok +1, no full sync.
    (A Tessera replica needs persistence of its own for this: roadmap 6.)"""
    d = tempfile.mkdtemp(prefix="tessera-it-restart-")
    rep = None
    try:
        rep = redis_replica(BASE + 24, m.port, workdir=d)
        rc = rep.client()
        t.check(wait_until(lambda: link_up(rc)), "replica up")
        mc.set("before-restart", 1)
        mc.execute_command("WAIT", 1, 5000)
        try:
            rc.execute_command("SHUTDOWN", "SAVE")
        except redis.exceptions.ConnectionError:
            pass
        rep.stop()
        before = mc.info("stats")
        mc.set("while-down", 2)  # within the backlog window
        rep = redis_replica(BASE + 24, m.port, workdir=d)
        rc = rep.client()
        t.check(wait_until(lambda: link_up(rc) and rc.get("while-down") == b"2"), "restarted replica caught up")
        resynced_partially(t, mc, before, "restart from its RDB")
        same_data(t, mc, rc, "after the restart")
    finally:
        if rep:
            rep.stop()
        shutil.rmtree(d, ignore_errors=True)


def main():
    t = H.Runner("replication")
    m = H.tessera(BASE, threads=2, extra=["--repl-diskless-sync-delay", "0"])
    mc = m.client()
    try:
        for fn in (test_full_sync_to_redis, test_sync_under_writes, test_partial_resync, test_stream_forms, test_wait,
                   test_backlog_gone_full_resync, test_cross_worker_commands, test_replica_output_limit,
                   test_tessera_replica_partial, test_replica_with_more_workers, test_keepalives_while_waiting,
                   test_min_replicas_to_write, test_redis_replica_restart_partial):
            t.run(fn, t, m, mc)
    finally:
        m.stop()
    t.server_checks(m)
    t.finish()


if __name__ == "__main__":
    main()
