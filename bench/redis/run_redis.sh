#!/usr/bin/env bash
# bangdan against Redis 7 on the same generated stream (same seed, same
# events), the way a Redis user builds live leaderboards:
#   full  one ZINCRBY per board, scope, metric and window an event touches
#         (10 × 3 × 2 = 60) plus one PUBLISH for the screens
#   lean  only city, firm and team by weight (3 ZINCRBY)
# each two ways: the loadgen speaking RESP to Redis itself (`full`, `lean`:
# the most favourable case for Redis, with no dedup and no server between),
# and through a Node.js WebSocket server in front of Redis (`node-full`,
# `node-lean`: bench/redis/node/server.mjs, the stack people build today,
# speaking bangdan's ingest protocol, dedup included, every ack checked).
# Prints events/s and memory of each and the ratios.
#
#   bench/redis/run_redis.sh                  EVENTS=300000 by default
#   EVENTS=1000000 RUNS=3 bench/redis/run_redis.sh
#   VARIANTS="lean node-lean" bench/redis/run_redis.sh
#
# A Redis variant's run stops after REDIS_SECONDS (default 30) if its events
# are not all sent by then: the full variants take ~1,000 s for 1,000,000
# events. Memory then holds fewer events than bangdan's: the line says how many.
#
# How Redis is configured: bench/redis/lib.sh.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
BIN="${BIN:-$root/build/bin}"
EVENTS="${EVENTS:-300000}"
RUNS="${RUNS:-1}"
VARIANTS="${VARIANTS:-full lean node-full node-lean}"
REDIS_SECONDS="${REDIS_SECONDS:-30}"
. "$root/bench/e2e/lib.sh"
. "$root/bench/redis/lib.sh"
trap 'stop_server; stop_node; stop_redis' EXIT

STREAM=(--seed 1 --events "$EVENTS" --batch 100 --connections 4 --cities 57 --firms 500 --teams 5000
        --users 100000 --products 300 --refunds 0.02 --pool "$EVENTS" --no-progress)
work="$(mktemp -d -t bangdan-redis-reports.XXXXXX)"
echo "machine: nproc $(nproc), $(lscpu | sed -n 's/^Model name: *//p'), $(date -u +%F); $EVENTS events"

b_rates=(); b_rss=()
for _ in $(seq "$RUNS"); do
  start_server
  "$BIN/bangdan-loadgen" --url "ws://127.0.0.1:$SERVER_PORT" "${STREAM[@]}" --report "$work/b.json" >/dev/null
  b_rates+=("$(json_get "$work/b.json" accepted_per_s)")
  b_rss+=("$(server_rss_mib)")
  stop_server
done
b_rate="$(median "${b_rates[@]}")"; b_mem="$(median "${b_rss[@]}")"
echo "bangdan (--fsync always): events/s runs ${b_rates[*]} → $b_rate; server RSS MiB $b_mem"

for variant in $VARIANTS; do
  rates=(); used=(); rss=(); node_rss=(); events=()
  for _ in $(seq "$RUNS"); do
    start_redis
    case "$variant" in
      full|lean)
        "$BIN/bangdan-loadgen" --target redis --redis-variant "$variant" --url "ws://127.0.0.1:$REDIS_PORT" \
          "${STREAM[@]}" --duration "$REDIS_SECONDS" --report "$work/r.json" >/dev/null ;;
      node-full|node-lean)
        start_node "${variant#node-}"
        # The same stream and protocol as bangdan's run: every ack is checked the same way.
        "$BIN/bangdan-loadgen" --url "ws://127.0.0.1:$NODE_PORT" "${STREAM[@]}" --duration "$REDIS_SECONDS" \
          --report "$work/r.json" >/dev/null || { echo "the loadgen failed against node-$variant:" >&2; cat "$REDIS_DIR/node.log" >&2; }
        node_rss+=("$(node_rss_mib)")
        stop_node ;;
      *) echo "unknown variant: $variant" >&2; exit 2 ;;
    esac
    rates+=("$(json_get "$work/r.json" accepted_per_s)")
    events+=("$(json_get "$work/r.json" accepted)")
    read -r u r < <(redis_mem_mib)
    used+=("$u"); rss+=("$r")
    stop_redis
  done
  rate="$(median "${rates[@]}")"; u="$(median "${used[@]}")"; r="$(median "${rss[@]}")"
  n="$([ ${#node_rss[@]} -gt 0 ] && median "${node_rss[@]}" || echo 0)"
  python3 - "$variant" "$rate" "$u" "$r" "$b_rate" "$b_mem" "$n" "$(median "${events[@]}")" "${rates[*]}" <<'PY'
import sys
v, rate, used, rss, b_rate, b_mem, node, events = sys.argv[1], *map(float, sys.argv[2:9])
runs = sys.argv[9]
node_part = f", node RSS {node:.1f} MiB" if node else ""
print(f"redis {v}: events/s runs {runs} -> {rate:.0f} ({events:.0f} events); used_memory {used:.1f} MiB, "
      f"used_memory_rss {rss:.1f} MiB{node_part}; bangdan/this events/s {b_rate / rate:.1f}x; "
      f"redis used_memory / bangdan RSS {used / b_mem:.2f}")
PY
done
rm -rf "$work"
