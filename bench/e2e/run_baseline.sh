#!/usr/bin/env bash
# What the box allows, next to what bangdan reaches: the same bangdan-loadgen
# scenarios against bangdan-server (--fsync always, fresh data dir) and
# against ack_baseline, a do-nothing server with the same transport (Beast
# WebSocket, 2 I/O threads) that acks every frame without parsing, applying
# or logging anything, and pushes one shared update per interval to every
# subscriber. Runs alternate (bangdan, baseline, bangdan, …) so that
# both see the same machine; the ratio of medians is bangdan's share of the
# box's ceiling.
#
#   BIN=build/bin bench/e2e/run_baseline.sh              # single and max, 3 runs each
#   BIN=build/bin RUNS=5 DURATION=5 bench/e2e/run_baseline.sh single
#
# Scenarios, as in run_e2e.sh: single (1-event frames, 64 connections,
# window 8), max (100-event frames, 4 connections; max32 the same with 32
# frames in flight per connection, as run_e2e.sh's second max), subscribers (10,000
# dashboards on 100 views while producers aim at 200,000 events/s; prints
# the achieved rate, push latency p99 and starved subscribers of each run).
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

# report_of SERVER SCENARIO-FLAGS… → the path of one run's JSON report.
report_of() {
  local server="$1"; shift
  local report="$work/$server.$RANDOM.json"
  if [ "$server" = bangdan ]; then start_server --max-connections 20000; else start_baseline; fi
  "$BIN/bangdan-loadgen" --no-progress --url "ws://127.0.0.1:$SERVER_PORT" --report "$report" \
    --duration "$DURATION" "$@" >"$report.txt" \
    || { echo "loadgen failed against $server:" >&2; cat "$report.txt" >&2; }
  stop_server
  echo "$report"
}

for scenario in "${scenarios[@]}"; do
  case "$scenario" in
    single) flags=(--batch 1 --connections 64 --window 8) ;;
    max) flags=(--batch 100 --connections 4) ;;
    max32) flags=(--batch 100 --connections 4 --window 32) ;;
    subscribers)
      flags=(--batch 100 --connections 4 --rate 200000 --subscribers 10000 --views 100 --threads 2) ;;
    *) echo "unknown scenario: $scenario" >&2; exit 2 ;;
  esac
  ours=() base=()
  for _ in $(seq "$RUNS"); do
    for server in bangdan baseline; do
      r="$(report_of "$server" "${flags[@]}")"
      rate="$(json_get "$r" accepted_per_s)"
      if [ "$scenario" = subscribers ]; then
        echo "  $server: $rate events/s, push p99 $(json_get "$r" subscribers.push_latency.p99_ms) ms," \
             "p50 $(json_get "$r" subscribers.push_latency.p50_ms) ms" \
             "(from the send: p99 $(json_get "$r" subscribers.push_latency_from_send.p99_ms) ms)," \
             "starved $(json_get "$r" subscribers.starved), min updates $(json_get "$r" subscribers.updates_min)"
      fi
      if [ "$server" = bangdan ]; then ours+=("$rate"); else base+=("$rate"); fi
    done
  done
  o="$(median "${ours[@]}")"
  b="$(median "${base[@]}")"
  echo "$scenario (${flags[*]}): bangdan ${ours[*]} → median $o events/s;" \
       "do-nothing baseline ${base[*]} → median $b events/s;" \
       "bangdan / baseline $(python3 -c "print(f'{float($o) / float($b):.2f}')")"
done
