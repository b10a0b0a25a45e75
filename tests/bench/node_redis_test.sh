#!/usr/bin/env bash
# The Node.js + Redis server of the comparison (bench/redis/node/server.mjs)
# keeps bangdan's ingest contract, or its figures would compare unlike
# things: a short run of each variant, with refunds and retried sends, and
# bangdan-loadgen checks every ack (accepted, duplicates, batch) as it does
# against bangdan: it exits non-zero on any mismatch. Then Redis must hold
# what the acks said: one dedup key per accepted id, and boards written.
#   node_redis_test.sh LOADGEN
set -euo pipefail
loadgen="$1"
root="$(cd "$(dirname "$0")/../.." && pwd)"
node_dir="$root/bench/redis/node"
if [ ! -d "$node_dir/node_modules/ioredis" ]; then
  (cd "$node_dir" && npm install --no-audit --no-fund --silent)
fi
work="$(mktemp -d -t bangdan-node-redis-test.XXXXXX)"
redis_pid="" node_pid=""
cleanup() {
  [ -n "$node_pid" ] && kill "$node_pid" 2>/dev/null || true
  [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

for variant in lean full; do
  port=$((20000 + RANDOM % 20000))
  redis-server --port "$port" --bind 127.0.0.1 --dir "$work" --save "" --appendonly no \
    --daemonize no --logfile "$work/redis.log" &
  redis_pid=$!
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
  node "$node_dir/server.mjs" --listen 127.0.0.1:0 --redis-port "$port" --variant "$variant" 2>"$work/node.log" &
  node_pid=$!
  node_port=""
  for _ in $(seq 200); do
    node_port="$(sed -n 's/.*listening on [0-9.]*:\([0-9]*\).*/\1/p' "$work/node.log")"
    [ -n "$node_port" ] && break
    sleep 0.05
  done
  [ -n "$node_port" ] || { echo "node server did not start:"; cat "$work/node.log"; exit 1; }
  "$loadgen" --url "ws://127.0.0.1:$node_port" --events 3000 --batch 50 --connections 3 --users 500 \
    --refunds 0.05 --duplicates 0.05 --no-progress --report "$work/report.json" > "$work/out.txt" \
    || { echo "FAIL: node-$variant broke the ack contract:"; cat "$work/out.txt"; exit 1; }
  accepted="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["accepted"])' "$work/report.json")"
  duplicates="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["duplicates"])' "$work/report.json")"
  [ "$duplicates" -gt 0 ] || { echo "FAIL: no retried sends were judged duplicates"; exit 1; }
  ids="$(redis-cli -p "$port" --scan --pattern 'dedup:*' | wc -l)"
  [ "$ids" -eq "$accepted" ] || { echo "FAIL: node-$variant: $accepted accepted, $ids ids in Redis"; exit 1; }
  if [ "$variant" = lean ]; then
    sum="$(redis-cli -p "$port" zrange city:w 0 -1 withscores | awk 'NR % 2 == 0 { s += $1 } END { printf "%d", s }')"
    [ "$sum" -gt 0 ] || { echo "FAIL: node-lean: city:w is empty"; exit 1; }
  fi
  echo "node-$variant: $accepted accepted, $duplicates duplicates, acks exact"
  kill "$node_pid" "$redis_pid"; wait "$node_pid" "$redis_pid" 2>/dev/null || true
  node_pid="" redis_pid=""
done
