#!/usr/bin/python3
"""test_config_audit.py: issue 10 point 4, "the audit". Every directive is
acts, cosmetic or not yet (core/config.c); a not-yet directive takes only
Redis's default:

  * start-up with a not-yet directive off its default (argument or config
    file line) exits non-zero, the FATAL CONFIG block naming the directive,
    the value and what Tessera lacks; nothing listens;
  * its default in other spellings (YES, 0GB, 1mb, "no one", an alias)
    starts, and CONFIG GET shows Redis's canonical text;
  * CONFIG SET refuses a non-default with the exact text, all or nothing;
  * CONFIG GET * lists every name a live redis-server 7.0.15 lists, with
    the same values; INFO shows the defaults; CONFIG REWRITE keeps lines.

Ports: 23600-23609 (Tessera), 23610 (redis-server), cluster-port 23650+.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

BASE_T = H.port(23600)
PORT_R = H.port(23610)
CPORT = H.port(23650)
t = H.Runner("test_config_audit")


def cport(k):
    return ["--cluster-port", str(CPORT + k)]


def refused_at_start(label, args, config_text, want):
    H.refused_at_start(t, BASE_T + 1, label, cport(1) + args, config_text, want)


def test_refused_at_start():
    if H.is_dry_run():
        raise H.Skip("Tessera-only behaviour")
    refused_at_start("--tls-port 6380", ["--tls-port", "6380"], None,
                     ">>> 'tls-port \"6380\"'\ntls-port 6380 is not supported by Tessera yet (no TLS): use tls-port 0")
    refused_at_start("--repl-disable-tcp-nodelay yes", ["--repl-disable-tcp-nodelay", "yes"], None,
                     "repl-disable-tcp-nodelay yes is not supported by Tessera yet (no replication): "
                     "use repl-disable-tcp-nodelay no")
    refused_at_start("--lazyfree-lazy-eviction yes", ["--lazyfree-lazy-eviction", "yes"], None,
                     "lazyfree-lazy-eviction yes is not supported by Tessera yet (no lazy freeing): "
                     "use lazyfree-lazy-eviction no")
    refused_at_start("--io-threads 4", ["--io-threads", "4"], None,
                     "io-threads 4 is not supported by Tessera yet (Tessera's workers are set by threads): "
                     "use io-threads 1")
    refused_at_start("config file: slave-lazy-flush", [], "port 1\n\nslave-lazy-flush yes\n",
                     ">>> 'slave-lazy-flush yes'\nreplica-lazy-flush yes is not supported by Tessera yet "
                     "(no lazy freeing): use replica-lazy-flush no")
    refused_at_start("config file: slaveof in cluster mode", [], "cluster-enabled yes\nslaveof 10.0.0.1 6379\n",
                     "replicaof directive not allowed in cluster mode")
    refused_at_start("config file: rename-command", [], "rename-command FLUSHALL \"\"\n",
                     ">>> 'rename-command FLUSHALL \"\"'\nrename-command is not supported by Tessera yet")


# Redis's defaults, spelled otherwise, from arguments and a config file.
DEFAULT_ARGS = ["--tls-port", "0", "--replica-serve-stale-data", "YES", "--repl-backlog-size", "1mb",
                "--maxmemory", "0GB", "--appendfsync", "EverySec", "--io-threads", "1",
                "--lazyfree-lazy-user-del", "No", "--slave-priority", "100", "--syslog-ident", "tess"]
DEFAULT_CONF = ("slaveof no one\n"
                "masterauth \"\"\n"
                "activedefrag no\n"
                "repl-diskless-load DISABLED\n"
                "client-output-buffer-limit replica 256mb 64mb 60\n"
                "oom-score-adj-values \"0 200 800\"\n")
SHOWN = {"tls-port": "0", "replica-serve-stale-data": "yes", "repl-backlog-size": "1048576", "maxmemory": "0",
         "appendfsync": "everysec", "io-threads": "1", "lazyfree-lazy-user-del": "no", "replica-priority": "100",
         "slave-priority": "100", "replicaof": "", "masterauth": "", "activedefrag": "no",
         "repl-diskless-load": "disabled", "oom-score-adj-values": "0 200 800",
         "syslog-ident": "tess"}  # cosmetic: any value


def test_defaults_start(tess):
    with tess.raw() as c:
        t.eq(c.cmd("PING"), b"+PONG\r\n", "started with the defaults spelled otherwise")
    r = tess.client(decode_responses=True)
    for name, want in SHOWN.items():
        t.eq(r.config_get(name).get(name), want, "CONFIG GET %s" % name)
    info = r.info()
    t.eq((info.get("maxmemory"), info.get("maxmemory_policy"), info.get("aof_enabled")), (0, "noeviction", 0),
         "INFO shows the defaults")


def err(name, text):
    return ("-ERR CONFIG SET failed (possibly related to argument '%s') - %s\r\n" % (name, text)).encode()


def test_config_set(tess):
    if H.is_dry_run():
        raise H.Skip("Tessera-only behaviour")
    with tess.raw() as c:
        t.eq(c.cmd("CONFIG", "SET", "tls-port", "6380"),
             err("tls-port", "tls-port 6380 is not supported by Tessera yet (no TLS): use tls-port 0"), "tls-port")
        t.eq(c.cmd("CONFIG", "SET", "lazyfree-lazy-eviction", "yes"),
             err("lazyfree-lazy-eviction", "lazyfree-lazy-eviction yes is not supported by Tessera yet "
                 "(no lazy freeing): use lazyfree-lazy-eviction no"), "lazyfree-lazy-eviction")
        t.eq(c.cmd("CONFIG", "SET", "slave-lazy-flush", "yes"),
             err("slave-lazy-flush", "replica-lazy-flush yes is not supported by Tessera yet (no lazy freeing): "
                 "use replica-lazy-flush no"), "alias slave-lazy-flush")
        t.eq(c.cmd("CONFIG", "SET", "slave-priority", "50"), b"+OK\r\n", "alias slave-priority acts")
        c.cmd("CONFIG", "SET", "replica-priority", "100")
        t.eq(c.cmd("CONFIG", "SET", "min-slaves-max-lag", "7"), b"+OK\r\n", "alias min-slaves-max-lag acts")
        t.eq(c.cmd("CONFIG", "GET", "min-replicas-max-lag"),
             b"*2\r\n$20\r\nmin-replicas-max-lag\r\n$1\r\n7\r\n", "min-replicas-max-lag 7")
        c.cmd("CONFIG", "SET", "min-replicas-max-lag", "10")
        t.eq(c.cmd("CONFIG", "SET", "slave-read-only", "no"), b"+OK\r\n", "alias slave-read-only acts")
        t.eq(c.cmd("CONFIG", "GET", "replica-read-only"),
             b"*2\r\n$17\r\nreplica-read-only\r\n$2\r\nno\r\n", "replica-read-only no")
        t.eq(c.cmd("CONFIG", "SET", "repl-diskless-load", "swapdb"),
             err("repl-diskless-load", "repl-diskless-load swapdb is not supported by Tessera yet "
                 "(no replication): use repl-diskless-load disabled"), "repl-diskless-load")
        t.eq(c.cmd("CONFIG", "SET", "appendonly", "yes"),
             err("appendonly", "appendonly yes is not supported by Tessera yet (no persistence): use appendonly no"),
             "appendonly")
        t.eq(c.cmd("CONFIG", "SET", "replicaof", "no one"),
             err("replicaof", "can't set immutable config"), "replicaof is immutable, as in Redis")
        # all or nothing: the acted-on pair before it is not applied
        t.eq(c.cmd("CONFIG", "SET", "hz", "20", "lazyfree-lazy-expire", "yes"),
             err("lazyfree-lazy-expire", "lazyfree-lazy-expire yes is not supported by Tessera yet "
                 "(no lazy freeing): use lazyfree-lazy-expire no"), "hz + lazyfree-lazy-expire")
        t.eq(c.cmd("CONFIG", "GET", "hz"), b"*2\r\n$2\r\nhz\r\n$2\r\n10\r\n", "hz unchanged")
        t.eq(c.cmd("CONFIG", "SET", "hz", "20", "maxmemory", "0kb", "tls-port", "0", "slave-read-only", "YES"),
             b"+OK\r\n", "defaults with an acted-on value")
        t.eq(c.cmd("CONFIG", "GET", "hz"), b"*2\r\n$2\r\nhz\r\n$2\r\n20\r\n", "hz set")
        t.eq(c.cmd("CONFIG", "SET", "hz", "10", "proc-title-template", "{title} {port}"), b"+OK\r\n",
             "cosmetic: any value")
        t.eq(c.cmd("CONFIG", "SET", "proc-title-template", "{title} {listen-addr} {server-mode}"), b"+OK\r\n",
             "cosmetic: back to the default")


def test_config_get_all_vs_redis(tess):
    """Every name redis-server 7.0.15 lists, with its value (the few that
    differ by construction: port, dir, cluster-port, syslog-ident)."""
    red = H.redis_server(PORT_R, extra=cport(9) + ["--enable-debug-command", "local"])
    try:
        rv = red.client(decode_responses=True).config_get("*")
    finally:
        red.stop()
        red.cleanup()
    tv = tess.client(decode_responses=True).config_get("*")
    t.check(len(rv) >= 190, "redis-server lists %d names" % len(rv))
    t.eq(sorted(set(rv) - set(tv)), [], "names redis-server lists that Tessera does not")
    differ = {"port", "dir", "cluster-port", "syslog-ident"}
    diffs = {k: (tv[k], rv[k]) for k in rv if k in tv and k not in differ and tv[k] != rv[k]}
    t.eq(diffs, {}, "values that differ from redis-server's defaults")


def test_enable_debug_command():
    """enable-debug-command acts as in Redis: "no" (the default) refuses
    DEBUG, inside MULTI at queue time (EXECABORT); "local" allows loopback
    clients; "yes" everyone. Replies compared with redis-server's."""
    for k, mode in enumerate((None, "local", "yes", "NO")):
        extra = ["--enable-debug-command", mode] if mode else []
        tes = H.Server(H.TESSERA, BASE_T + 3, ["--save", ""] + cport(3) + extra, name="tessera-debug")
        red = H.Server(H.REDIS, PORT_R, ["--save", ""] + cport(9) + extra, name="redis-debug")
        try:
            tes.start()
            red.start()
            replies = []
            for srv in (tes, red):
                with srv.raw() as c:
                    got = [c.cmd("DEBUG", "SLEEP", "0"), c.cmd("MULTI"), c.cmd("DEBUG", "SLEEP", "0"), c.cmd("EXEC"),
                           c.cmd("CONFIG", "GET", "enable-debug-command")]
                replies.append(got)
            t.eq(replies[0], replies[1], "enable-debug-command %s: as redis-server" % mode)
            allowed = mode in ("local", "yes")
            t.eq(replies[0][0].startswith(b"+OK"), allowed, "enable-debug-command %s: DEBUG allowed" % mode)
        finally:
            tes.stop()
            red.stop()
            tes.cleanup()
            red.cleanup()


def test_rewrite_keeps_lines():
    if H.is_dry_run():
        raise H.Skip("Tessera's exact file text")
    srv = H.Server(H.TESSERA, BASE_T + 2, H.tessera_argv(1, cport(2)), name="rewrite")
    srv.config_file = os.path.join(srv.dir, "redis.conf")
    with open(srv.config_file, "w") as f:
        f.write("tls-port 0\nAPPENDFSYNC everysec\nslaveof no one\nmaxmemory 0\nrepl-timeout 60\n")
    try:
        srv.start()
        r = srv.client(decode_responses=True)
        t.eq(r.config_set("hz", "11"), True, "CONFIG SET hz")
        t.eq(r.execute_command("CONFIG", "REWRITE"), "OK", "CONFIG REWRITE")
        with open(srv.config_file) as f:
            text = f.read()
        for line in ("tls-port 0\n", "appendfsync everysec\n", "maxmemory 0\n", "repl-timeout 60\n", "hz 11\n"):
            t.check(line in text, "rewritten file keeps %r: %r" % (line, text))
        t.check("slaveof" not in text and "replicaof" not in text, "no replicaof line for no one: %r" % text)
        srv.stop()
        srv.start()  # the rewritten file loads
        t.eq(srv.client(decode_responses=True).config_get("hz").get("hz"), "11", "hz after restart")
    finally:
        srv.stop()
        srv.cleanup()


def main():
    t.run(test_refused_at_start)
    tess = H.Server(H.TESSERA, BASE_T, H.tessera_argv(2, cport(0) + DEFAULT_ARGS), name="tessera-defaults")
    tess.config_file = os.path.join(tess.dir, "redis.conf")
    with open(tess.config_file, "w") as f:
        f.write(DEFAULT_CONF)
    try:
        tess.start()
        t.run(test_defaults_start, tess)
        t.run(test_config_set, tess)
        t.run(test_config_get_all_vs_redis, tess)
        t.current = "alive"
        t.check(tess.alive(), "Tessera still running")
    finally:
        tess.stop()
    t.server_checks(tess)
    tess.cleanup()
    t.run(test_rewrite_keeps_lines)
    t.run(test_enable_debug_command)
    t.finish()


if __name__ == "__main__":
    H.run_main(t, main)
