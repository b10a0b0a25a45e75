#!/usr/bin/env bash
# The Node.js + Redis server of the comparison (bench/redis/node/server.mjs)
# keeps bangdan's ingest contract, or its figures would compare unlike
# things: a short run of each variant, with refunds and retried sends, and
# bangdan-loadgen checks every ack (accepted, duplicates, batch) as it does
# against bangdan: it exits non-zero on any mismatch. Then Redis must hold
# what the acks said: one dedup key per accepted id, and boards written.
# The full variant runs with --push on and dashboards beside the producers
# (bench/redis/run_push.sh): every dashboard gets its views with no error,
# the totals' pushes reveal the events, and Redis's totals count them all.
#   node_redis_test.sh LOADGEN
set -euo pipefail
loadgen="$1"
root="$(cd "$(dirname "$0")/../.." && pwd)"
. "$root/bench/redis/lib.sh"
work="$(mktemp -d -t bangdan-node-redis-test.XXXXXX)"
trap 'stop_node; stop_redis; rm -rf "$work"' EXIT

for variant in lean full; do
  start_redis
  push=(--push off) dashboards=()
  [ "$variant" = full ] && push=(--push on) dashboards=(--subscribers 20 --views 20 --threads 2)
  start_node "$variant" "${push[@]}"
  port="$REDIS_PORT" node_port="$NODE_PORT"
  "$loadgen" --url "ws://127.0.0.1:$node_port" --events 3000 --batch 50 --connections 3 --users 500 \
    --refunds 0.05 --duplicates 0.05 "${dashboards[@]}" --no-progress --report "$work/report.json" > "$work/out.txt" \
    || { echo "FAIL: node-$variant broke the ack contract:"; cat "$work/out.txt"; exit 1; }
  accepted="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["accepted"])' "$work/report.json")"
  duplicates="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["duplicates"])' "$work/report.json")"
  [ "$duplicates" -gt 0 ] || { echo "FAIL: no retried sends were judged duplicates"; exit 1; }
  ids="$(redis-cli -p "$port" --scan --pattern 'dedup:*' | wc -l)"
  [ "$ids" -eq "$accepted" ] || { echo "FAIL: node-$variant: $accepted accepted, $ids ids in Redis"; exit 1; }
  if [ "$variant" = full ]; then
    read -r ready errors updates pushes < <(python3 -c 'import json,sys
s = json.load(open(sys.argv[1]))["subscribers"]
print(s["ready"], s["errors"], s["updates_min"], s["push_latency"]["count"])' "$work/report.json")
    [ "$ready" -eq 20 ] && [ "$errors" -eq 0 ] ||
      { echo "FAIL: node-full: $ready of 20 dashboards got a view, $errors errors"; cat "$work/out.txt"; exit 1; }
    [ "$updates" -gt 0 ] && [ "$pushes" -gt 0 ] ||
      { echo "FAIL: node-full: a dashboard had $updates updates; $pushes pushes revealed events"; exit 1; }
    events="$(redis-cli -p "$port" hget totals:total events)"
    [ "$events" -eq "$accepted" ] || { echo "FAIL: node-full: totals count $events events of $accepted"; exit 1; }
  fi
  if [ "$variant" = lean ]; then
    sum="$(redis-cli -p "$port" zrange city:w 0 -1 withscores | awk 'NR % 2 == 0 { s += $1 } END { printf "%d", s }')"
    [ "$sum" -gt 0 ] || { echo "FAIL: node-lean: city:w is empty"; exit 1; }
  fi
  echo "node-$variant: $accepted accepted, $duplicates duplicates, acks exact"
  stop_node
  stop_redis
done
