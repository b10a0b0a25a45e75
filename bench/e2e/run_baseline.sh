#!/usr/bin/env bash
# What the box allows, next to what bangdan reaches: the same bangdan-loadgen
# scenarios against bangdan-server (--fsync always, fresh data dir) and
# against ack_baseline, a do-nothing server with the same transport (Beast
# WebSocket, 2 I/O threads) that acks every frame without parsing, applying
# or logging anything. Runs alternate (bangdan, baseline, bangdan, …) so that
# both see the same machine; the ratio of medians is bangdan's share of the
# box's ceiling.
#
#   BIN=build/bin bench/e2e/run_baseline.sh              # single and max, 3 runs each
#   BIN=build/bin RUNS=5 DURATION=5 bench/e2e/run_baseline.sh single
#
# Scenarios: single (1-event frames, 64 connections, window 8) and max
# (100-event frames, 4 connections), as in run_e2e.sh.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
BIN="${BIN:-$root/build/bin}"
RUNS="${RUNS:-3}"
DURATION="${DURATION:-10}"
. "$root/bench/e2e/lib.sh"
trap stop_server EXIT
work="$(mktemp -d -t bangdan-baseline.XXXXXX)"
scenarios=("$@")
[ ${#scenarios[@]} -eq 0 ] && scenarios=(single max)
echo "machine: nproc $(nproc), $(lscpu | sed -n 's/^Model name: *//p'), $(date -u +%F)"

# start_baseline: ack_baseline on a free port (sets SERVER_PID, SERVER_PORT).
start_baseline() {
  SERVER_DIR="$(mktemp -d -t bangdan-baseline-run.XXXXXX)"
  "$BIN/ack_baseline" --listen 127.0.0.1:0 --threads 2 >"$SERVER_DIR/server.log" 2>&1 &
  SERVER_PID=$!
  wait_listening "$SERVER_DIR/server.log" 10
}

# rate_of SERVER SCENARIO-FLAGS… → accepted events/s of one run.
rate_of() {
  local server="$1"; shift
  local report="$work/$server.$RANDOM.json"
  if [ "$server" = bangdan ]; then start_server; else start_baseline; fi
  "$BIN/bangdan-loadgen" --no-progress --url "ws://127.0.0.1:$SERVER_PORT" --report "$report" \
    --duration "$DURATION" "$@" >"$report.txt" \
    || { echo "loadgen failed against $server:" >&2; cat "$report.txt" >&2; }
  stop_server
  json_get "$report" accepted_per_s
}

for scenario in "${scenarios[@]}"; do
  case "$scenario" in
    single) flags=(--batch 1 --connections 64 --window 8) ;;
    max) flags=(--batch 100 --connections 4) ;;
    *) echo "unknown scenario: $scenario" >&2; exit 2 ;;
  esac
  ours=() base=()
  for _ in $(seq "$RUNS"); do
    ours+=("$(rate_of bangdan "${flags[@]}")")
    base+=("$(rate_of baseline "${flags[@]}")")
  done
  o="$(median "${ours[@]}")"
  b="$(median "${base[@]}")"
  echo "$scenario (${flags[*]}): bangdan ${ours[*]} → median $o events/s;" \
       "do-nothing baseline ${base[*]} → median $b events/s;" \
       "bangdan / baseline $(python3 -c "print(f'{float($o) / float($b):.2f}')")"
done
