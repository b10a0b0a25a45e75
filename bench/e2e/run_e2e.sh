#!/usr/bin/env bash
# End-to-end figures of bangdan on this machine: the server (--fsync always,
# fresh data dir each run) and bangdan-loadgen side by side.
#
#   bench/e2e/run_e2e.sh                 every scenario, 3 runs each, medians
#   bench/e2e/run_e2e.sh max latency     only those scenarios
#   RUNS=1 DURATION=5 bench/e2e/run_e2e.sh single
#
# Scenarios:
#   max          max accepted events/s, 100-event frames, 4 connections (windows 8 and 32)
#   single       single-event frames over 64 connections
#   latency      ack latency p50/p99/p999 at half of the max rate
#   subscribers  10,000 subscribers on 100 views while ingesting 200,000 events/s
#   rss          server RSS after 10,000,000 events with 1,000,000 users
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
BIN="${BIN:-$root/build/bin}"
RUNS="${RUNS:-3}"
DURATION="${DURATION:-10}"
. "$root/bench/e2e/lib.sh"
trap stop_server EXIT
work="$(mktemp -d -t bangdan-e2e-reports.XXXXXX)"
scenarios=("$@")
[ ${#scenarios[@]} -eq 0 ] && scenarios=(max single latency subscribers rss)

LOADGEN=("$BIN/bangdan-loadgen" --no-progress)
echo "machine: nproc $(nproc), $(lscpu | sed -n 's/^Model name: *//p'), $(date -u +%F)"

# run_once NAME [loadgen flags…] → prints the report path; fresh server each time.
run_once() {
  local name="$1"; shift
  local report="$work/$name.$RANDOM.json"
  start_server ${SERVER_FLAGS:-}
  "${LOADGEN[@]}" --url "ws://127.0.0.1:$SERVER_PORT" --report "$report" "$@" >"$report.txt" || {
    echo "loadgen failed ($name):" >&2; cat "$report.txt" >&2; }
  server_rss_mib >"$report.rss"
  curl -s "http://127.0.0.1:$SERVER_PORT/v1/totals?window=total" >"$report.totals" || true
  stop_server
  echo "$report"
}

# The max is taken with the generator's default window (8 frames in flight per
# connection) and with a deeper one: with --fsync always a connection waits an
# fsync and an apply for each ack, so 4 connections × 8 frames can leave the
# server idle between groups. max_rate (for `latency`) is the first window's.
MAX_WINDOWS="${MAX_WINDOWS:-8 32}"
max_rate=""
scenario_max() {
  local window rates median_rate
  for window in $MAX_WINDOWS; do
    rates=()
    for _ in $(seq "$RUNS"); do
      r="$(run_once max --batch 100 --connections 4 --window "$window" --duration "$DURATION")"
      rates+=("$(json_get "$r" accepted_per_s)")
    done
    median_rate="$(median "${rates[@]}")"
    [ -z "$max_rate" ] && max_rate="$median_rate"
    echo "max: 100-event frames, 4 connections, window $window: accepted events/s runs: ${rates[*]} → median $median_rate"
  done
}

scenario_single() {
  local rates=() p99s=()
  for _ in $(seq "$RUNS"); do
    r="$(run_once single --batch 1 --connections 64 --window 8 --duration "$DURATION")"
    rates+=("$(json_get "$r" accepted_per_s)")
    p99s+=("$(json_get "$r" ack_latency.p99_ms)")
  done
  echo "single: 1-event frames, 64 connections: events/s runs: ${rates[*]} → median $(median "${rates[@]}");" \
       "ack p99 ms median $(median "${p99s[@]}")"
}

scenario_latency() {
  [ -z "$max_rate" ] && scenario_max
  local rate; rate="$(python3 -c "print(int(float('$max_rate') / 2))")"
  local p50s=() p99s=() p999s=() rates=() sent_p99s=()
  for _ in $(seq "$RUNS"); do
    r="$(run_once latency --batch 100 --connections 4 --rate "$rate" --duration "$DURATION")"
    rates+=("$(json_get "$r" accepted_per_s)")
    p50s+=("$(json_get "$r" ack_latency.p50_ms)")
    p99s+=("$(json_get "$r" ack_latency.p99_ms)")
    p999s+=("$(json_get "$r" ack_latency.p999_ms)")
    sent_p99s+=("$(json_get "$r" ack_latency_from_send.p99_ms)")
  done
  echo "latency at $rate events/s (half of max), 100-event frames, 4 connections:" \
       "achieved median $(median "${rates[@]}")/s; ack ms (from when each frame was due) p50 $(median "${p50s[@]}")" \
       "p99 $(median "${p99s[@]}") p999 $(median "${p999s[@]}") (runs p99: ${p99s[*]});" \
       "p99 from the send $(median "${sent_p99s[@]}") (runs ${sent_p99s[*]})"
}

scenario_subscribers() {
  local p99s=() sent_p99s=() starved=() rates=() mins=() cpus=()
  for _ in $(seq "$RUNS"); do
    # 10,000 dashboards plus the producers exceed the server's default --max-connections.
    r="$(SERVER_FLAGS="--max-connections 20000" run_once subscribers --batch 100 --connections 4 --rate 200000 --duration "$DURATION" \
         --subscribers 10000 --views 100 --threads 2)"
    rates+=("$(json_get "$r" accepted_per_s)")
    p99s+=("$(json_get "$r" subscribers.push_latency.p99_ms)")
    sent_p99s+=("$(json_get "$r" subscribers.push_latency_from_send.p99_ms)")
    starved+=("$(json_get "$r" subscribers.starved)")
    mins+=("$(json_get "$r" subscribers.updates_min)")
    cpus+=("$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(round(100*(r["cpu"]["user_s"]+r["cpu"]["sys_s"])/max(r["elapsed_s"],1e-9)))' "$r")")
  done
  echo "subscribers: 10000 on 100 views at 200000 events/s target: achieved median $(median "${rates[@]}")/s;" \
       "push p99 ms (from when each event was due) runs ${p99s[*]} → median $(median "${p99s[@]}");" \
       "from the send runs ${sent_p99s[*]}; starved runs ${starved[*]};" \
       "min updates per subscriber runs ${mins[*]}; loadgen CPU % of one core runs ${cpus[*]}"
}

scenario_rss() {
  local rss=() rates=()
  for _ in $(seq "$RUNS"); do
    r="$(run_once rss --batch 100 --connections 4 --events 10000000 --users 1000000 --teams 50000 \
         --firms 5000 --cities 300 --products 1000 --pool 10000000)"
    rss+=("$(cat "$r.rss")")
    users="$(json_get "$r.totals" entities.user 2>/dev/null || echo '?')"
    rates+=("$(json_get "$r" accepted_per_s)")
  done
  echo "rss: 10,000,000 events over 1,000,000 users ($users distinct on the board): server VmRSS MiB" \
       "runs ${rss[*]} → median $(median "${rss[@]}") (ingest median $(median "${rates[@]}")/s)"
}

for s in "${scenarios[@]}"; do "scenario_$s"; done
rm -rf "$work"
