#!/usr/bin/python3
"""test_failover.py: replicas taking over their masters (cluster thread side;
the data stream is replication's, so only roles, slots and epochs move).

  * 3 Tessera masters + 3 replicas, cluster-node-timeout 2000: a SIGKILLed
    master's replica becomes master, owns its slots, every node agrees and
    cluster_state is ok; the time from SIGKILL to that (and to the first
    accepted write on the new master) is printed. The killed node, restarted
    with its nodes.conf, rejoins as a replica of the winner.
  * CLUSTER FAILOVER on a replica (default, FORCE, TAKEOVER): roles swap on
    every node within a second; errors for a master and a bad option; a
    frozen master makes the default one time out after 5 s on both sides.
  * cluster-replica-no-failover yes: the flag is advertised and the replica
    does not take over; CONFIG SET ... no lets it.
  * Replica migration: a master with 2 replicas and a master orphaned by its
    replica's failure: the replica with the smaller ID migrates.
  * Mixed with redis-server 7.0: a Tessera replica of a redis master wins
    with a redis voter in the majority; a redis replica of a Tessera master
    wins with a Tessera voter in the majority; CLUSTER FAILOVER (MFSTART,
    PAUSED, FORCEACK) between the two kinds both ways.
Ports: 24100-24399 (clients 241xx, buses 243xx = client + 200).
"""
import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

T_MS = 2000
BASE = H.port(24100)
BUS = 200
RANGES = [(0, 5460), (5461, 10922), (10923, 16383)]
t = H.Runner("test_failover")


def bus_args(port):
    return ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-port",
            str(port + BUS), "--cluster-node-timeout", str(T_MS), "--repl-diskless-sync-delay", "0"]


def start_tessera(port, workdir=None, extra=()):
    srv = H.Server(H.TESSERA, port, H.tessera_argv(1, bus_args(port) + list(extra)), name="tessera:%d" % port,
                   workdir=workdir)
    return srv.start()


_retired = []  # servers replaced by a restart in their directory: cleaned up last


def restart(srvs, port, extra=()):
    _retired.append(srvs[port])
    srvs[port] = start_tessera(port, workdir=srvs[port].dir, extra=extra)


def start_redis(port, extra=()):
    return H.redis_server(port, bus_args(port) + list(extra))


_clients = {}


def cmd(port, *args):
    """One command on a cached redis-py connection; errors come back as
    exceptions' text so callers can compare them."""
    import redis
    c = _clients.get(port)
    if c is None:
        c = _clients[port] = redis.Redis(host="127.0.0.1", port=port, socket_timeout=5, decode_responses=True)
    try:
        return c.execute_command(*args)
    except redis.ResponseError as e:
        return "ERR:" + str(e)
    except redis.ConnectionError:
        _clients.pop(port, None)
        return None


def nodes(port):
    """CLUSTER NODES of port as {id: {"flags", "master", "epoch", "slots"}}."""
    out = {}
    text = cmd(port, "cluster", "nodes")
    if not isinstance(text, str):
        return out
    for line in text.splitlines():
        f = line.split()
        if len(f) >= 8:
            out[f[0]] = {"flags": set(f[2].split(",")), "master": f[3], "epoch": int(f[6]), "link": f[7],
                         "slots": " ".join(f[8:])}
    return out


def state(port):
    text = cmd(port, "cluster", "info")
    if not isinstance(text, str):
        return None
    return dict(l.split(":", 1) for l in text.splitlines() if ":" in l).get("cluster_state")


def is_master_of(observer, nid, slots):
    n = nodes(observer).get(nid)
    return bool(n) and "master" in n["flags"] and n["slots"] == slots


def is_replica_of(observer, nid, mid):
    n = nodes(observer).get(nid)
    return bool(n) and "slave" in n["flags"] and n["master"] == mid


def everyone(ports, pred):
    return all(pred(p) for p in ports)


def form_cluster(ports, masters, replica_of):
    """Masters get distinct epochs and RANGES, everyone MEETs ports[0],
    then each replica REPLICATEs its master. Returns {port: id}."""
    ids = {p: cmd(p, "cluster", "myid") for p in ports}
    for i, p in enumerate(masters):
        cmd(p, "cluster", "set-config-epoch", i + 1)
        cmd(p, "cluster", "addslotsrange", *RANGES[i])
    for p in ports[1:]:
        cmd(p, "cluster", "meet", "127.0.0.1", ports[0], ports[0] + BUS)
    known = lambda p: len([n for n in nodes(p).values() if "handshake" not in n["flags"]]) == len(ports)
    if not t.check(H.wait_for(lambda: everyone(ports, known), 20), "all %d nodes know each other" % len(ports)):
        return ids
    for r, m in replica_of.items():
        t.eq(cmd(r, "cluster", "replicate", ids[m]), "OK", "CLUSTER REPLICATE on %d" % r)
    t.check(H.wait_for(lambda: everyone(ports, lambda p: all(is_replica_of(p, ids[r], ids[m])
                                                             for r, m in replica_of.items())), 15),
            "every node sees the replicas")
    t.check(H.wait_for(lambda: everyone(ports, lambda p: state(p) == "ok"), 20), "cluster_state ok everywhere")
    return ids


def slots_text(i):
    a, b = RANGES[i]
    return "%d-%d" % (a, b)


# ---- 3 + 3 Tessera nodes ---------------------------------------------------

def test_auto_failover(srvs, st):
    ids, ports = st["ids"], st["ports"]
    m, r = st["masters"][0], st["replica"][st["masters"][0]]
    live = [p for p in ports if p != m]
    key = H.key_in_slot(100, "fo")
    t0 = time.monotonic()
    srvs[m].proc.send_signal(signal.SIGKILL)
    srvs[m].wait_exit(10)
    wrote = None
    done = None
    deadline = t0 + 15
    while time.monotonic() < deadline and (wrote is None or done is None):
        if wrote is None and cmd(r, "set", key, "v") is True:
            wrote = time.monotonic() - t0
        if done is None and everyone(live, lambda p: is_master_of(p, ids[r], slots_text(0)) and state(p) == "ok"):
            done = time.monotonic() - t0
        time.sleep(0.02)
    print("  SIGKILL -> first write accepted by the new master: %s s; -> master with the slots and cluster ok on "
          "all %d live nodes: %s s (node timeout %.1f s)"
          % (wrote and "%.2f" % wrote, len(live), done and "%.2f" % done, T_MS / 1000))
    t.check(done is not None, "the replica took over, seen by every live node")
    t.check(wrote is not None and wrote <= 3.0, "writes resumed within 3 s at node timeout 2 s (%s)" % wrote)
    t.check(done is not None and done <= 3.5, "all nodes agree within 3.5 s (%s)" % done)
    t.check(nodes(r)[ids[r]]["epoch"] > max(nodes(r)[ids[p]]["epoch"] for p in st["masters"][1:]),
            "the winner's configEpoch is the largest")
    t.check("Failover election won" in srvs[r].log_text(), "the winner logs its election")
    # The old master comes back with its old nodes.conf: it learns its slots
    # moved to a higher epoch and follows the winner.
    restart(srvs, m)
    t.eq(cmd(m, "cluster", "myid"), ids[m], "restarted node keeps its ID")
    t.check(H.wait_for(lambda: everyone(ports, lambda p: is_replica_of(p, ids[m], ids[r])), 10),
            "the old master rejoins as a replica of the winner, on every node")
    t.check(H.wait_for(lambda: everyone(ports, lambda p: state(p) == "ok"), 10), "cluster ok with it back")
    t.check("Reconfiguring myself as a replica of %s" % ids[r] in srvs[m].log_text(),
            "the old master logs its reconfiguration")
    t.check(H.wait_for(lambda: "Replicating master %s at 127.0.0.1:%d" % (ids[r], r) in srvs[m].log_text(), 5),
            "the old master points replication at the winner")
    t.check("No longer a replica: replication promoted to master" in srvs[r].log_text(),
            "the winner promotes its replication")
    st["replica"].pop(m)
    st["masters"][0] = r
    st["replica"][r] = m


def swap_ok(st, old_m, new_m, idx, within):
    ids, ports = st["ids"], st["ports"]
    ok = H.wait_for(lambda: everyone(ports, lambda p: is_master_of(p, ids[new_m], slots_text(idx)) and
                                     is_replica_of(p, ids[old_m], ids[new_m])), within, step=0.02)
    return ok


def test_manual_failover(srvs, st):
    ids, ports = st["ids"], st["ports"]
    m = st["masters"][1]
    r = st["replica"][m]
    t.eq(cmd(m, "cluster", "failover"), "ERR:You should send CLUSTER FAILOVER to a replica", "FAILOVER on a master")
    t.eq(cmd(r, "cluster", "failover", "now"), "ERR:syntax error", "FAILOVER with a bad option")
    t.eq(cmd(r, "cluster", "failover", "force", "x"),
         "ERR:unknown subcommand or wrong number of arguments for 'failover'. Try CLUSTER HELP.",
         "FAILOVER with two options")
    for mode, (old, new) in (("", (m, r)), ("force", (r, m)), ("takeover", (m, r))):
        args = ["cluster", "failover"] + ([mode] if mode else [])
        t0 = time.monotonic()
        t.eq(cmd(new, *args), "OK", "CLUSTER FAILOVER %s" % mode)
        ok = swap_ok(st, old, new, 1, 3)
        took = time.monotonic() - t0
        print("  CLUSTER FAILOVER %s: roles swapped on all nodes after %.2f s" % (mode or "(default)", took))
        t.check(ok and took < 1.0, "FAILOVER %s swaps roles on every node within 1 s (%.2f s)" % (mode, took))
        t.check(H.wait_for(lambda: everyone(ports, lambda p: state(p) == "ok"), 5), "cluster ok after %s" % mode)
    log = srvs[r].log_text()
    t.check("Manual failover user request accepted." in log, "replica logs the manual failover")
    t.check("Manual failover requested by replica %s." % ids[r] in srvs[m].log_text(), "master logs MFSTART")
    t.check("Taking over the master (user request)." in log, "TAKEOVER logged")
    st["masters"][1] = r
    st["replica"] = {k: v for k, v in st["replica"].items() if k != m}
    st["replica"][r] = m


def test_manual_failover_timeout(srvs, st):
    """A master that never answers MFSTART (SIGSTOPped, node timeout raised
    so it is not failed meanwhile): the replica gives up after 5 s and
    nothing changes."""
    ids, ports = st["ids"], st["ports"]
    m = st["masters"][1]
    r = st["replica"][m]
    for p in ports:
        cmd(p, "config", "set", "cluster-node-timeout", 15000)
    srvs[m].proc.send_signal(signal.SIGSTOP)
    try:
        t.eq(cmd(r, "cluster", "failover"), "OK", "FAILOVER accepted while the master is up (but frozen)")
        t0 = time.monotonic()
        gave_up = H.wait_for(lambda: "Manual failover timed out." in srvs[r].log_text(), 8)
        took = time.monotonic() - t0
        t.check(gave_up and 4.5 <= took <= 6.5, "the replica aborts after the 5 s timeout (%.2f s)" % took)
    finally:
        srvs[m].proc.send_signal(signal.SIGCONT)
    t.check(everyone(ports, lambda p: is_replica_of(p, ids[r], ids[m]) and is_master_of(p, ids[m], slots_text(1))),
            "roles unchanged after the aborted manual failover")
    # The late MFSTART reaches the master now: it pauses, then gives up too.
    t.check(H.wait_for(lambda: "Manual failover timed out." in srvs[m].log_text(), 8),
            "the master's side of the stale request times out as well")
    for p in ports:
        cmd(p, "config", "set", "cluster-node-timeout", T_MS)


def test_no_failover(srvs, st):
    ids, ports = st["ids"], st["ports"]
    m = st["masters"][2]
    r = st["replica"][m]
    t.eq(cmd(r, "config", "set", "cluster-replica-no-failover", "yes"), "OK", "CONFIG SET no-failover yes")
    t.check(H.wait_for(lambda: everyone(ports, lambda p: "nofailover" in nodes(p)[ids[r]]["flags"]), 5),
            "nofailover flag advertised to every node")
    srvs[m].proc.send_signal(signal.SIGKILL)
    srvs[m].wait_exit(10)
    live = [p for p in ports if p != m]
    t.check(H.wait_for(lambda: everyone(live, lambda p: "fail" in nodes(p)[ids[m]]["flags"]), T_MS / 1000 + 4),
            "the master is FAIL everywhere")
    time.sleep(1.5)
    t.check(is_replica_of(r, ids[r], ids[m]), "a nofailover replica does not take over")
    t.eq(cmd(r, "cluster", "failover"), "ERR:Master is down or failed, please use CLUSTER FAILOVER FORCE",
         "FAILOVER while the master is FAIL")
    t.eq(cmd(r, "config", "set", "cluster-replica-no-failover", "no"), "OK", "CONFIG SET no-failover no")
    t.check(H.wait_for(lambda: everyone(live, lambda p: is_master_of(p, ids[r], slots_text(2))), 5),
            "after no-failover is cleared the replica takes over")
    restart(srvs, m)
    t.check(H.wait_for(lambda: everyone(ports, lambda p: is_replica_of(p, ids[m], ids[r])), 10),
            "old master back as a replica")
    st["masters"][2] = r
    st["replica"] = {k: v for k, v in st["replica"].items() if k != m}
    st["replica"][r] = m


def test_migration(srvs, st):
    """Master A gets two replicas (C's replica re-pointed: C keeps no
    MIGRATE_TO, so it is not orphaned); B's only replica is killed: B is
    orphaned and A's replica with the smaller ID migrates to it."""
    ids, ports = st["ids"], st["ports"]
    a, b, c = st["masters"]
    ra, rb, rc = st["replica"][a], st["replica"][b], st["replica"][c]
    t.eq(cmd(rc, "cluster", "replicate", ids[a]), "OK", "re-point C's replica to A")
    t.check("Replicating master %s at 127.0.0.1:%d" % (ids[a], a) in srvs[rc].log_text(),
            "CLUSTER REPLICATE points replication at the new master")
    t.check(H.wait_for(lambda: everyone(ports, lambda p: is_replica_of(p, ids[rc], ids[a])), 5), "A has 2 replicas")
    t0 = time.monotonic()
    srvs[rb].proc.send_signal(signal.SIGKILL)
    srvs[rb].wait_exit(10)
    live = [p for p in ports if p != rb]
    mover = min((ra, rc), key=lambda p: ids[p])
    stay = rc if mover == ra else ra
    ok = H.wait_for(lambda: everyone(live, lambda p: is_replica_of(p, ids[mover], ids[b])), T_MS / 1000 + 12)
    print("  replica %s migrated to the orphaned master after %.2f s" % (ids[mover][:8], time.monotonic() - t0))
    if not t.check(ok, "the smaller-ID replica of A migrates to the orphaned master B"):
        for p in (mover, stay):
            print("  CLUSTER NODES of %d (%s):\n%s" % (p, ids[p][:8], cmd(p, "cluster", "nodes")))
    t.check(is_replica_of(live[0], ids[stay], ids[a]), "the other stays with A")
    t.check("Migrating to orphaned master %s" % ids[b] in srvs[mover].log_text(), "migration logged")
    restart(srvs, rb)


# ---- mixed with redis-server 7.0 -------------------------------------------

def kill_until_taken_over(srvs, victim, winner, ids, idx, live):
    """SIGKILL victim; seconds until winner owns RANGES[idx] and the state is
    ok on every live node (text, 2 decimals), or None after 15 s."""
    t0 = time.monotonic()
    srvs[victim].proc.send_signal(signal.SIGKILL)
    srvs[victim].wait_exit(10)
    ok = H.wait_for(lambda: everyone(live, lambda p: is_master_of(p, ids[winner], slots_text(idx)) and
                                     state(p) == "ok"), 15, step=0.05)
    return "%.2f" % (time.monotonic() - t0) if ok else None


def test_mixed(st):
    """Masters: redis R1, redis R2, Tessera T3; replicas: Tessera t1 of R1,
    redis r3 of T3 (validity factor 0: it never synced). Each failover needs
    2 of 3 votes, so one voter of the other kind must grant it."""
    p_r1, p_r2, p_t3, p_t1, p_r3 = [BASE + 21 + i for i in range(5)]
    srvs = {}
    try:
        srvs[p_r1] = start_redis(p_r1)
        srvs[p_r2] = start_redis(p_r2)
        srvs[p_t3] = start_tessera(p_t3)
        srvs[p_t1] = start_tessera(p_t1)
        srvs[p_r3] = start_redis(p_r3, ["--cluster-replica-validity-factor", "0"])
        ports = [p_r1, p_r2, p_t3, p_t1, p_r3]
        ids = form_cluster(ports, [p_r1, p_r2, p_t3], {p_t1: p_r1, p_r3: p_t3})
        # Kill the redis master: the Tessera replica needs redis R2's vote.
        live = [p_r2, p_t3, p_t1, p_r3]
        took = kill_until_taken_over(srvs, p_r1, p_t1, ids, 0, live)
        print("  Tessera replica of a killed redis master: master and cluster ok everywhere after %s s" % took)
        t.check(took is not None, "Tessera replica wins with redis-server voters")
        t.check("Failover auth granted to %s" % ids[p_t1] in srvs[p_r2].log_text(), "redis R2 voted for Tessera")
        # Kill the Tessera master: the redis replica needs Tessera t1's vote.
        live = [p_r2, p_t1, p_r3]
        took = kill_until_taken_over(srvs, p_t3, p_r3, ids, 2, live)
        voted_at = time.monotonic()
        print("  redis replica of a killed Tessera master: master and cluster ok everywhere after %s s" % took)
        t.check(took is not None, "redis replica wins with a Tessera voter")
        t.check("Failover auth granted to %s" % ids[p_r3] in srvs[p_t1].log_text(), "Tessera t1 voted for redis")
        # The Tessera master comes back and follows the redis winner.
        restart(srvs, p_t3)
        t.check(H.wait_for(lambda: everyone(live + [p_t3], lambda p: is_replica_of(p, ids[p_t3], ids[p_r3])), 10),
                "the old Tessera master rejoins as a replica of the redis winner")
        # Manual failovers across kinds: MFSTART, the PAUSED offset and
        # FORCEACK votes between redis-server and Tessera both ways. Votes
        # travel on the voters' own links to the restarted node: wait for
        # them (a vote with no link to send it on is lost, in Redis too).
        live.append(p_t3)
        t.check(H.wait_for(lambda: everyone(live, lambda p: nodes(p)[ids[p_t3]]["link"] == "connected"), 5),
                "every node has its link to the restarted node back")
        swapped = lambda new, old: everyone(live, lambda p: is_master_of(p, ids[new], slots_text(2)) and
                                            is_replica_of(p, ids[old], ids[new]))
        t.eq(cmd(p_t3, "cluster", "failover"), "OK", "CLUSTER FAILOVER on the Tessera replica of a redis master")
        t.check(H.wait_for(lambda: swapped(p_t3, p_r3), 3, step=0.02), "Tessera replica takes over from redis")
        t.check("Manual failover requested by replica %s" % ids[p_t3] in srvs[p_r3].log_text(),
                "the redis master handled our MFSTART")
        # redis-server starts no election (manual ones included) within
        # 2 * max(2 * node timeout, 2 s) of its last one, r3's when T3 was
        # killed (that also covers the voters' 2 * node timeout throttle).
        time.sleep(max(0.0, voted_at + 4 * max(2 * T_MS / 1000, 2) + 0.3 - time.monotonic()))
        t.eq(cmd(p_r3, "cluster", "failover"), "OK", "CLUSTER FAILOVER on the redis replica of a Tessera master")
        t.check(H.wait_for(lambda: swapped(p_r3, p_t3), 3, step=0.02), "redis replica takes over from Tessera")
        t.check(re.search(r"Received replication offset for paused master manual failover: \d+",
                          srvs[p_r3].log_text()) is not None, "redis read our PAUSED offset")
    finally:
        for s in list(srvs.values()) + _retired:
            s.cleanup()
        _retired.clear()
    t.server_checks(*[s for p, s in srvs.items() if p in (p_t3, p_t1)])


def main():
    if not os.path.exists(H.TESSERA) or not os.path.exists(H.REDIS):
        print("SKIP: needs %s and %s" % (H.TESSERA, H.REDIS))
        sys.exit(H.SKIP_RC)
    if H.is_dry_run():
        print("SKIP: needs the Tessera binary (uses Tessera-only arguments)")
        sys.exit(H.SKIP_RC)
    srvs = {}
    st = {}
    try:
        ports = [BASE + 1 + i for i in range(6)]
        for p in ports:
            srvs[p] = start_tessera(p)
        masters, replicas = ports[:3], ports[3:]
        st["ports"] = ports
        st["masters"] = list(masters)
        st["replica"] = dict(zip(masters, replicas))
        t.current = "form"
        st["ids"] = form_cluster(ports, masters, dict(zip(replicas, masters)))
        t.run(test_auto_failover, srvs, st)
        t.run(test_manual_failover, srvs, st)
        t.run(test_manual_failover_timeout, srvs, st)
        t.run(test_no_failover, srvs, st)
        t.run(test_migration, srvs, st)
    finally:
        for s in list(srvs.values()) + _retired:
            s.cleanup()
        _retired.clear()
    t.server_checks(*srvs.values())
    t.run(test_mixed, st)
    t.finish()


if __name__ == "__main__":
    H.run_main(t, main)
