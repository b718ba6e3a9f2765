#!/bin/bash
# scripts/cluster.sh: a local Tessera cluster on 127.0.0.1.
#
#   bash scripts/cluster.sh start    # start N nodes (cluster mode, empty)
#   bash scripts/cluster.sh create   # redis-cli --cluster create over them
#   bash scripts/cluster.sh show     # CLUSTER NODES / INFO of the first node
#   bash scripts/cluster.sh stop     # stop every node we started (by PID)
#   bash scripts/cluster.sh clean    # stop, then remove data and logs
#   bash scripts/cluster.sh up       # start + create + show (the README's)
#
# Knobs (environment): NODES (6), REPLICAS (1), BASE_PORT (7001),
# BUS_OFFSET (10000: cluster-port = port + offset), THREADS (2 workers per
# node), NODE_TIMEOUT (cluster-node-timeout, 5000), TESSERA_RUN_DIR
# (/tmp/tessera-cluster), TESSERA_SERVER (build/tessera-server).
set -euo pipefail
cd "$(dirname "$0")/.."
NODES=${NODES:-6}
REPLICAS=${REPLICAS:-1}
BASE_PORT=${BASE_PORT:-7001}
BUS_OFFSET=${BUS_OFFSET:-10000}
THREADS=${THREADS:-2}
NODE_TIMEOUT=${NODE_TIMEOUT:-5000}
RUN_DIR=${TESSERA_RUN_DIR:-/tmp/tessera-cluster}
BIN=${TESSERA_SERVER:-$PWD/build/tessera-server}
cli() { timeout 10 redis-cli "$@"; }
ports() { seq "$BASE_PORT" $((BASE_PORT + NODES - 1)); }

stop_one() {
  local port=$1 pidfile=$RUN_DIR/$1/tessera.pid pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "tessera-server"; then
    kill -TERM "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    echo "stopped node $port (PID $pid)"
  fi
  rm -f "$pidfile"
}

build() {
  if [ -z "${TESSERA_SERVER:-}" ]; then
    bash scripts/setup.sh
    cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build build -j "$(nproc)" --target tessera-server
  fi
  [ -x "$BIN" ] || { echo "no server binary at $BIN" >&2; exit 1; }
}

start() {
  build
  for p in $(ports); do
    stop_one "$p"
    local dir=$RUN_DIR/$p
    mkdir -p "$dir"
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "port $p is in use by another process; stop it first" >&2
      exit 1
    fi
    (cd "$dir" && exec "$BIN" --port "$p" --bind 127.0.0.1 --cluster-enabled yes \
        --cluster-port $((p + BUS_OFFSET)) --cluster-config-file nodes.conf \
        --cluster-node-timeout "$NODE_TIMEOUT" --threads "$THREADS" \
        --logfile tessera.log --pidfile "$dir/tessera.pid" --daemonize no >/dev/null 2>&1 &
     echo $! >"$dir/tessera.pid")
  done
  for p in $(ports); do
    for _ in $(seq 100); do
      [ "$(cli -p "$p" ping 2>/dev/null)" = PONG ] && break
      sleep 0.1
    done
    [ "$(cli -p "$p" ping 2>/dev/null)" = PONG ] || { echo "node $p did not start; see $RUN_DIR/$p/tessera.log" >&2; exit 1; }
  done
  echo "started $NODES nodes on 127.0.0.1:$BASE_PORT..$((BASE_PORT + NODES - 1)) (logs in $RUN_DIR/<port>/)"
}

create() {
  local addrs=()
  for p in $(ports); do addrs+=("127.0.0.1:$p"); done
  cli --cluster create "${addrs[@]}" --cluster-replicas "$REPLICAS" --cluster-yes
  # Wait (bounded) until every node reports cluster_state:ok.
  for p in $(ports); do
    for _ in $(seq 150); do
      cli -p "$p" cluster info 2>/dev/null | grep -q "cluster_state:ok" && break
      sleep 0.2
    done
  done
}

show() {
  cli -p "$BASE_PORT" cluster nodes
  cli -p "$BASE_PORT" cluster info | head -7
  cli --cluster check "127.0.0.1:$BASE_PORT"
  echo "== redis-cli -c -p $BASE_PORT SET/GET"
  cli -c -p "$BASE_PORT" set greeting "hello from a Tessera cluster"
  cli -c -p "$BASE_PORT" get greeting
  echo "The nodes keep running: redis-cli -c -p $BASE_PORT   (stop: bash scripts/cluster.sh stop)"
}

case "${1:-up}" in
  start) start ;;
  create) create ;;
  show) show ;;
  stop) for p in $(ports); do stop_one "$p"; done ;;
  clean) for p in $(ports); do stop_one "$p"; rm -rf "${RUN_DIR:?}/$p"; done ;;
  up) start; create; show ;;
  *) echo "usage: $0 start|create|show|stop|clean|up" >&2; exit 2 ;;
esac
