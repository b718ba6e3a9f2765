#!/bin/bash
# scripts/run-local.sh: build Tessera and start two local servers, then show
# them with redis-cli:
#   port 7000  standalone, 2 workers
#   port 7001  cluster mode, one node serving all 16384 slots
#              (CLUSTER ADDSLOTSRANGE 0 16383; the 6-node cluster comes with
#              the cluster bus)
#
#   bash scripts/run-local.sh         # set up, build, (re)start, show
#   bash scripts/run-local.sh stop    # stop both (SIGTERM, SIGKILL after 10 s)
#
# Data, logs and PID files: $TESSERA_RUN_DIR (default /tmp/tessera-local).
set -euo pipefail
cd "$(dirname "$0")/.."
RUN_DIR=${TESSERA_RUN_DIR:-/tmp/tessera-local}
BIN=${TESSERA_SERVER:-$PWD/build/tessera-server}
PORTS=(7000 7001)
# redis-cli with a bound, so a server that accepts but never answers
# cannot hang the script.
cli() { timeout 5 redis-cli "$@"; }

# stop_one PORT: stop the server whose PID we recorded, if it is still ours.
stop_one() {
  local port=$1 pidfile=$RUN_DIR/$1/tessera.pid pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "tessera-server"; then
    kill -TERM "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "port $port: PID $pid ignored SIGTERM for 10 s; SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    echo "stopped tessera-server on port $port (PID $pid)"
  fi
  rm -f "$pidfile"
}

if [ "${1:-}" = "stop" ]; then
  for p in "${PORTS[@]}"; do stop_one "$p"; done
  exit 0
fi

bash scripts/setup.sh
if [ -z "${TESSERA_SERVER:-}" ]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j "$(nproc)" --target tessera-server
fi
[ -x "$BIN" ] || { echo "no server binary at $BIN" >&2; exit 1; }

for p in "${PORTS[@]}"; do stop_one "$p"; done

# start PORT ARGS...: background server in $RUN_DIR/PORT, bounded wait for PING.
start() {
  local port=$1; shift
  local dir=$RUN_DIR/$port
  mkdir -p "$dir"
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port is already in use by another process; stop it first" >&2
    exit 1
  fi
  (cd "$dir" && exec nohup "$BIN" --port "$port" --bind 127.0.0.1 --dir "$dir" \
      --save "" --appendonly no "$@" >"$dir/tessera.log" 2>&1 </dev/null) &
  echo $! >"$dir/tessera.pid"
  local deadline=$((SECONDS + 10))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if [ "$(timeout 1 redis-cli -p "$port" PING 2>/dev/null)" = "PONG" ]; then
      echo "started tessera-server on 127.0.0.1:$port (PID $(cat "$dir/tessera.pid"), log $dir/tessera.log)"
      return 0
    fi
    kill -0 "$(cat "$dir/tessera.pid")" 2>/dev/null || break
    sleep 0.1
  done
  echo "tessera-server on port $port did not answer PING within 10 s; log:" >&2
  tail -20 "$dir/tessera.log" >&2
  stop_one "$port"
  exit 1
}

start 7000 --threads 2
start 7001 --threads 2 --cluster-enabled yes --cluster-config-file nodes-7001.conf

# A fresh node has no slots; a restarted one keeps them (nodes-7001.conf).
if ! cli -p 7001 CLUSTER INFO | grep -q '^cluster_slots_assigned:16384'; then
  cli -p 7001 CLUSTER ADDSLOTSRANGE 0 16383
fi
for _ in $(seq 100); do
  cli -p 7001 CLUSTER INFO | grep -q '^cluster_state:ok' && break
  sleep 0.1
done

echo; echo "== redis-cli -p 7000 INFO server"
cli -p 7000 INFO server
echo "== redis-cli -p 7000 SET/GET"
cli -p 7000 SET greeting "hello from tessera"
cli -p 7000 GET greeting
echo; echo "== redis-cli -p 7001 CLUSTER INFO"
cli -p 7001 CLUSTER INFO
echo "== redis-cli -p 7001 CLUSTER NODES"
cli -p 7001 CLUSTER NODES
echo "== redis-cli -c -p 7001 SET/GET"
cli -c -p 7001 SET greeting "hello from a cluster node"
cli -c -p 7001 GET greeting
echo
echo "Both servers keep running. Try: redis-cli -p 7000   |   redis-cli -c -p 7001"
echo "Stop them with: bash scripts/run-local.sh stop"
