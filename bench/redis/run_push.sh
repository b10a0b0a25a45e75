#!/usr/bin/env bash
# Live push against what people build today: the same dashboards and the same
# paced stream into bangdan and into the Node.js + Redis stack
# (bench/redis/node/server.mjs --variant full --push on: every board in Redis
# sorted sets; each push interval, per watched view, ZREVRANGE + ZMSCORE, one
# serialization per view, sent to its subscribers). Runs alternate, bangdan
# first; prints each run and the medians: events/s reached, push latency
# (from when each frame was due, and from its send), updates per dashboard,
# and the CPU the server used (for the stack: Node and Redis together). A
# third server in each round, the do-nothing one (bench/e2e/ack_baseline.cpp:
# acks without parsing, one shared totals or ten-row frame per interval to
# every dashboard), says what the box itself allows.
#
#   bench/redis/run_push.sh                 10,000 dashboards, 1,000 events/s
#   SUBSCRIBERS=1000 RATE=1000 RUNS=3 bench/redis/run_push.sh
#
# The rate is the stack's to bear: with every board kept (60 ZINCRBYs an
# event), Node.js + Redis ingests ~1,700 events/s on the measuring machine
# (bench/RESULTS.md, "Redis comparison"). How Redis is configured:
# bench/redis/lib.sh.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
BIN="${BIN:-$root/build/bin}"
RUNS="${RUNS:-3}"
SUBSCRIBERS="${SUBSCRIBERS:-10000}"
VIEWS="${VIEWS:-100}"
RATE="${RATE:-1000}"
DURATION="${DURATION:-10s}"
. "$root/bench/e2e/lib.sh"
. "$root/bench/redis/lib.sh"
trap 'stop_server; stop_node; stop_redis' EXIT
ulimit -n "$(ulimit -Hn)"  # the Node server takes the dashboards' connections as they come

LOAD=(--seed 1 --rate "$RATE" --batch 100 --connections 4 --duration "$DURATION" --cities 57
      --firms 500 --teams 5000 --users 100000 --products 300 --refunds 0.02
      --subscribers "$SUBSCRIBERS" --views "$VIEWS" --threads 2 --no-progress)
work="$(mktemp -d -t bangdan-push.XXXXXX)"
echo "machine: nproc $(nproc), $(lscpu | sed -n 's/^Model name: *//p'), $(date -u '+%F %T'); $SUBSCRIBERS" \
     "dashboards on $VIEWS views, $RATE events/s offered for $DURATION"

# run_load PORT PID… → the loadgen's report in $work/r.json, the CPU the
# processes used during it in $cpu.
run_load() {
  local port="$1" before; shift
  before="$(cpu_seconds "$@")"
  "$BIN/bangdan-loadgen" --url "ws://127.0.0.1:$port" "${LOAD[@]}" --report "$work/r.json" >/dev/null ||
    echo "  (the loadgen reported problems: $(json_get "$work/r.json" problems))" >&2
  cpu="$(awk -v a="$before" -v b="$(cpu_seconds "$@")" 'BEGIN { printf "%.2f", b - a }')"
}

declare -A rate p99 p99_send p50 upd starved cpus
show() {  # NAME: one run's line, its figures kept for the medians
  local r="$work/r.json"
  rate[$1]+=" $(json_get "$r" accepted_per_s)"
  p99[$1]+=" $(json_get "$r" subscribers.push_latency.p99_ms)"
  p99_send[$1]+=" $(json_get "$r" subscribers.push_latency_from_send.p99_ms)"
  p50[$1]+=" $(json_get "$r" subscribers.push_latency.p50_ms)"
  upd[$1]+=" $(json_get "$r" subscribers.updates_avg)"
  starved[$1]+=" $(json_get "$r" subscribers.starved)"
  cpus[$1]+=" $cpu"
  echo "  $1: $(json_get "$r" accepted_per_s) events/s; push p50 $(json_get "$r" subscribers.push_latency.p50_ms) ms," \
       "p99 $(json_get "$r" subscribers.push_latency.p99_ms) ms from due" \
       "($(json_get "$r" subscribers.push_latency_from_send.p99_ms) ms from the send);" \
       "updates per dashboard avg $(json_get "$r" subscribers.updates_avg), min $(json_get "$r" subscribers.updates_min);" \
       "starved $(json_get "$r" subscribers.starved); server CPU ${cpu} s"
}

for run in $(seq "$RUNS"); do
  echo "round $run"
  start_server --max-connections $((SUBSCRIBERS + 100))
  run_load "$SERVER_PORT" "$SERVER_PID"
  show bangdan
  stop_server

  start_redis
  start_node full --push on
  run_load "$NODE_PORT" "$NODE_PID" "$REDIS_PID"
  show node-redis
  stop_node
  stop_redis

  start_baseline
  run_load "$SERVER_PORT" "$SERVER_PID"
  show do-nothing
  stop_server
done

echo "medians of $RUNS:"
for name in bangdan node-redis do-nothing; do
  # shellcheck disable=SC2086
  echo "  $name: $(median ${rate[$name]}) events/s; push p50 $(median ${p50[$name]}) ms," \
       "p99 $(median ${p99[$name]}) ms from due ($(median ${p99_send[$name]}) ms from the send);" \
       "updates per dashboard avg $(median ${upd[$name]}); starved $(median ${starved[$name]});" \
       "server CPU $(median ${cpus[$name]}) s"
done
rm -rf "$work"
