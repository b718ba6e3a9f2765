#!/usr/bin/env python3
"""The counters consistency test of the Redis Cluster tutorial, against a
3-master + 3-replica Tessera cluster at cluster-node-timeout 2000 (issue 11).

A client INCRs 1,000 counters round robin, remembering the value each
acknowledged INCR returned. Under that load:

  1. SIGKILL a master: its replica is elected and takes the slots; the
     client's writes to those slots resume; the killed node restarts with
     its nodes.conf and rejoins as a replica of the new master (link up).
  2. CLUSTER FAILOVER on a replica: roles swap with 0 acknowledged writes
     lost.
  3. SIGKILL a master again while the client sends WAIT 1 after every
     write: 0 acknowledged writes lost.

For each: seconds until writes to the failed master's slots resume,
acknowledged writes lost (a counter below its last acknowledged value),
and errors by kind, printed as a table row (the note quotes them). The
same scenario with redis-server runs when TESSERA_CONSISTENCY_REDIS=1, for
comparison.

Ports 25000-25099 (client ports 25000-25005, cluster ports +50)."""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
import redis  # noqa: E402

T_MS = 2000
BASE = H.port(25000)
NCOUNTERS = 1000
t = H.Runner("test_consistency")
RESULTS = []


def slot_of(key):
    return H.key_slot(key)


def node_args(port):
    return ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-port", str(port + 50),
            "--cluster-node-timeout", str(T_MS), "--repl-diskless-sync-delay", "0"]


def start(binary, port, workdir=None):
    if binary == H.TESSERA:
        return H.Server(H.TESSERA, port, H.tessera_argv(1, node_args(port)), name="tessera:%d" % port,
                        workdir=workdir).start()
    return H.Server(H.REDIS, port, ["--save", "", "--appendonly", "no"] + node_args(port),
                    name="redis:%d" % port, workdir=workdir).start()


def cli(port, *args, timeout=20):
    p = H.tool([H.REDIS_CLI, "-p", str(port)] + [str(a) for a in args], timeout=timeout)
    return p.stdout.decode(errors="replace").strip()


def nodes(port):
    out = []
    for line in cli(port, "cluster", "nodes").splitlines():
        f = line.split()
        if len(f) >= 8:
            out.append({"id": f[0], "port": int(f[1].split(":")[1].split("@")[0]), "flags": set(f[2].split(",")),
                        "master": f[3], "slots": f[8:]})
    return out


def cluster_ok(ports):
    return all("cluster_state:ok" in cli(p, "cluster", "info") for p in ports)


class Client:
    """INCR of counters with its own slot map: MOVED is followed at once,
    any other failure is counted by kind and the map is refreshed."""

    def __init__(self, ports, wait=False):
        self.ports = list(ports)
        self.conns = {}
        self.slots = [None] * 16384
        self.acked = {}
        self.errors = {}
        self.wait = wait
        self.i = 0
        self.refresh()

    def conn(self, port):
        c = self.conns.get(port)
        if c is None:
            c = redis.Redis(port=port, socket_timeout=1.0, socket_connect_timeout=0.5)
            self.conns[port] = c
        return c

    def refresh(self):
        for p in self.ports:
            try:
                for start, end, master, *rest in self.conn(p).execute_command("CLUSTER", "SLOTS"):
                    for s in range(start, end + 1):
                        self.slots[s] = int(master[1])
                return
            except (redis.exceptions.RedisError, OSError):
                continue

    def error(self, kind):
        self.errors[kind] = self.errors.get(kind, 0) + 1

    def step(self):
        """One INCR; returns (counter, ok)."""
        k = self.i % NCOUNTERS
        self.i += 1
        key = "counter:%d" % k
        port = self.slots[slot_of(key)]
        for _ in range(3):
            try:
                c = self.conn(port)
                v = c.incr(key)
                if self.wait:
                    c.execute_command("WAIT", 1, 1000)
                self.acked[key] = v
                return key, True
            except redis.exceptions.ResponseError as e:
                msg = str(e)
                if msg.startswith("MOVED"):
                    port = int(msg.split()[2].split(":")[1])
                    self.slots[int(msg.split()[1])] = port
                    continue
                self.error(msg.split()[0] if msg else "error")
                break
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as e:
                self.error(type(e).__name__)
                self.conns.pop(port, None)
                break
        self.refresh()
        return key, False

    def lost(self, ports):
        """Acknowledged writes lost: per counter, acked - current when below."""
        lost = 0
        self.refresh()
        for key, v in self.acked.items():
            for _ in range(5):
                try:
                    cur = int(self.conn(self.slots[slot_of(key)]).get(key) or 0)
                    break
                except redis.exceptions.ResponseError:
                    self.refresh()
                except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
                    self.refresh()
                    time.sleep(0.1)
            else:
                cur = 0
            if cur < v:
                lost += v - cur
        return lost


def master_slots_keys(view, master_port):
    owned = set()
    for n in view:
        if n["port"] == master_port:
            for r in n["slots"]:
                if r.startswith("["):
                    continue
                a, _, b = r.partition("-")
                owned.update(range(int(a), int(b or a) + 1))
    return {"counter:%d" % i for i in range(NCOUNTERS) if slot_of("counter:%d" % i) in owned}


def run_load(cl, seconds, event=None, event_at=1.0, watch=None):
    """Run the client for `seconds`; call event() after event_at seconds.
    Returns how long writes to the keys in `watch` stalled around the
    event: from the event (or the last success before it) to the next
    success, the longest such gap after the event; None if they never
    resumed."""
    t0 = time.monotonic()
    fired = None
    last_ok = None
    stall = 0.0
    resumed = False
    while time.monotonic() - t0 < seconds:
        if event and fired is None and time.monotonic() - t0 >= event_at:
            event()
            fired = time.monotonic()
            last_ok = fired
        key, ok = cl.step()
        if fired is not None and ok and watch and key in watch:
            now = time.monotonic()
            stall = max(stall, now - last_ok)
            last_ok = now
            resumed = True
    if fired is not None and watch and not resumed:
        return None
    return stall if fired is not None else None


def make_cluster(binary, ports, workdirs=None):
    srvs = [start(binary, p, workdirs[i] if workdirs else None) for i, p in enumerate(ports)]
    p = H.tool([H.REDIS_CLI, "--cluster", "create"] + ["127.0.0.1:%d" % x for x in ports]
               + ["--cluster-replicas", "1", "--cluster-yes"], timeout=90)
    out = p.stdout.decode(errors="replace")
    t.check("[OK] All 16384 slots covered." in out, "create: all slots covered:\n" + out[-800:])
    t.check(H.wait_for(lambda: cluster_ok(ports), 30), "cluster_state ok everywhere")
    def replicas_up():
        ups = 0
        for p_ in ports:
            info = redis.Redis(port=p_).info("replication")
            if info.get("role") == "slave" and info.get("master_link_status") == "up":
                ups += 1
        return ups == 3
    t.check(H.wait_for(replicas_up, 30), "3 replicas with master_link_status:up")
    def view_complete():
        view = nodes(ports[0])
        masters = {n["id"] for n in view if "master" in n["flags"] and n["slots"]}
        return len(masters) == 3 and sum("slave" in n["flags"] and n["master"] in masters for n in view) == 3
    t.check(H.wait_for(view_complete, 30), "the first node sees 3 masters with a replica each")
    return srvs


def pick_master(ports):
    view = nodes(ports[0])
    m = next(n for n in view if "master" in n["flags"] and n["slots"])
    rep = next(n for n in view if "slave" in n["flags"] and n["master"] == m["id"])
    return m, rep, view


def scenario_kill(kind, binary, srvs, ports, wait):
    m, rep, view = pick_master(ports)
    watch = master_slots_keys(view, m["port"])
    cl = Client([p for p in ports if p != m["port"]] + [m["port"]], wait=wait)
    victim = next(s for s in srvs if s.port == m["port"])
    run_load(cl, 1.0)
    # redis-server refuses a second election for a while (2 * node timeout
    # and more), so it gets a longer window when compared
    window = 8.0 if binary == H.TESSERA else 20.0
    resumed = run_load(cl, window, event=lambda: os.kill(victim.pid, signal.SIGKILL), event_at=0.0, watch=watch)
    victim.wait_exit(5)
    t.check(resumed is not None, "%s: writes to the killed master's slots resumed" % kind)
    new_role = redis.Redis(port=rep["port"]).info("replication")["role"]
    t.eq(new_role, "master", "%s: the replica took over" % kind)
    lost = cl.lost(ports)
    label = "SIGKILL a master" + (" (WAIT 1 after each write)" if wait else "")
    RESULTS.append((kind, label, resumed, lost, dict(cl.errors), cl.i))
    if wait:
        t.eq(lost, 0, "%s: no acknowledged write lost with WAIT 1" % kind)
    return victim, m, rep


def scenario_rejoin(kind, victim, m, rep, ports):
    victim.start()
    def rejoined():
        info = redis.Redis(port=m["port"]).info("replication")
        return info.get("role") == "slave" and info.get("master_port") == rep["port"] and \
            info.get("master_link_status") == "up"
    t.check(H.wait_for(rejoined, 30), "%s: the killed node rejoined as a replica of the new master, link up" % kind)


def scenario_manual(kind, ports):
    m, rep, view = pick_master(ports)
    watch = master_slots_keys(view, m["port"])
    cl = Client(ports)
    run_load(cl, 1.0)
    resumed = run_load(cl, 4.0, event=lambda: cli(rep["port"], "cluster", "failover"), event_at=0.0, watch=watch)
    t.check(H.wait_for(lambda: redis.Redis(port=rep["port"]).info("replication")["role"] == "master", 10),
            "%s: CLUSTER FAILOVER: the replica is master" % kind)
    t.check(H.wait_for(lambda: redis.Redis(port=m["port"]).info("replication")["role"] == "slave", 10),
            "%s: the old master is a replica" % kind)
    lost = cl.lost(ports)
    RESULTS.append((kind, "CLUSTER FAILOVER", resumed, lost, dict(cl.errors), cl.i))
    t.eq(lost, 0, "%s: CLUSTER FAILOVER loses no acknowledged write" % kind)


def run_kind(kind, binary, base):
    ports = [base + i for i in range(6)]
    srvs = []
    try:
        srvs = make_cluster(binary, ports)
        victim, m, rep = scenario_kill(kind, binary, srvs, ports, wait=False)
        scenario_rejoin(kind, victim, m, rep, ports)
        t.check(H.wait_for(lambda: cluster_ok([p for p in ports]), 20), "%s: cluster ok again" % kind)
        scenario_manual(kind, ports)
        victim2, m2, rep2 = scenario_kill(kind, binary, srvs, ports, wait=True)
        scenario_rejoin(kind, victim2, m2, rep2, ports)
    finally:
        for s in srvs:
            s.stop()
        t.server_checks(*[s for s in srvs if binary == H.TESSERA])


def main():
    t.run(run_kind, "tessera", H.TESSERA, BASE)
    if os.environ.get("TESSERA_CONSISTENCY_REDIS") == "1":
        t.run(run_kind, "redis-server", H.REDIS, BASE + 10)
    print("\n| server | event | writes resumed after | acknowledged writes lost | errors by kind | INCRs sent |")
    print("|---|---|---:|---:|---|---:|")
    for kind, label, resumed, lost, errors, n in RESULTS:
        print("| %s | %s | %s | %d | %s | %d |" % (kind, label, "%.3f s" % resumed if resumed is not None else "never",
                                                 lost, ", ".join("%s %d" % kv for kv in sorted(errors.items())) or
                                                 "none", n))
    t.finish()


if __name__ == "__main__":
    main()
