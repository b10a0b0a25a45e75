#!/usr/bin/env bash
# Longest ingest stall during a snapshot (SPEC §6: taking a snapshot must not
# stop ingest for more than a few milliseconds).
#
#   bench/durability/run_snapshot_stall.sh                 # 10,000,000 events over 1,000,000 users
#   SMALL=1 bench/durability/run_snapshot_stall.sh         # a quick check: 200,000 events, 20,000 users
#   BIN=build/bin EVENTS=20000000 RATE=50000 SNAPSHOTS=10 bench/durability/run_snapshot_stall.sh
#
# 1. Starts the server (--fsync FSYNC, --threads THREADS, no periodic snapshot)
#    on a fresh temporary data directory and preloads it with bangdan-loadgen:
#    EVENTS events over USERS users (uniform unless ZIPF says otherwise, so that
#    nearly every user is on the board), 50,000 teams, 5,000 firms, 300 cities,
#    1,000 products. Prints what the engine then holds.
# 2. Runs bench/durability/stall_client: one connection sending RATE events/s in
#    frames of BATCH events at a fixed pace, to random users of the preloaded
#    ones; WARMUP seconds not counted, BASELINE seconds with no snapshot, then
#    SNAPSHOTS calls of POST /v1/admin/snapshot, one every EVERY seconds.
# 3. Prints, with no snapshot running and during the snapshots: the longest
#    gap between two consecutive acks, and the ack latency p50/p99/max (from
#    the moment each frame was due); and for each snapshot its steps, the
#    longest time one step held the engine lock and the time all steps held it
#    (from the server's INFO line), the time the snapshot took to write, and
#    the longest gap and latency while it ran.
#
# Parameters (environment; SMALL=1 changes the defaults in brackets):
#   BIN (build/bin)  USERS (1000000 [20000])  EVENTS (10000000 [200000])  ZIPF (0)
#   RATE (20000)  BATCH (10)  WARMUP (2 [1])  BASELINE (10 [3])  SNAPSHOTS (5 [3])
#   EVERY (5 [2])  FSYNC (always)  THREADS (2)
# The nominal gap between acks is BATCH/RATE seconds (0.5 ms by default); with
# --fsync always the acks come once per group commit, so the baseline's longest
# gap is about one fsync. Preloading 10,000,000 events takes a minute or more.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
BIN="${BIN:-$root/build/bin}"
if [ "${SMALL:-0}" = 1 ]; then
  : "${USERS:=20000}" "${EVENTS:=200000}" "${WARMUP:=1}" "${BASELINE:=3}" "${SNAPSHOTS:=3}" "${EVERY:=2}"
fi
USERS="${USERS:-1000000}"
EVENTS="${EVENTS:-10000000}"
ZIPF="${ZIPF:-0}"
RATE="${RATE:-20000}"
BATCH="${BATCH:-10}"
WARMUP="${WARMUP:-2}"
BASELINE="${BASELINE:-10}"
SNAPSHOTS="${SNAPSHOTS:-5}"
EVERY="${EVERY:-5}"
FSYNC="${FSYNC:-always}"
THREADS="${THREADS:-2}"
TOKEN="stall-bench-admin"
. "$root/bench/durability/lib.sh"
work="$(mktemp -d -t bangdan-stall.XXXXXX)"
trap 'stop_server; rm -rf "$work"' EXIT

machine_line
start_server --fsync "$FSYNC" --threads "$THREADS" --snapshot-interval 24h --admin-token "$TOKEN"
echo "server --fsync $FSYNC --threads $THREADS, data dir on $(data_dir_fs "$SERVER_DIR")"

# 1. The preload.
t0="$(date +%s%3N)"
"$BIN/bangdan-loadgen" --url "ws://127.0.0.1:$SERVER_PORT" --no-progress --events "$EVENTS" \
  --users "$USERS" --zipf "$ZIPF" --teams 50000 --firms 5000 --cities 300 --products 1000 \
  --pool "$EVENTS" --batch 100 --connections 4 --refunds 0 --report "$work/preload.json" \
  >"$work/preload.txt" || { echo "preload failed:" >&2; cat "$work/preload.txt" >&2; exit 1; }
t1="$(date +%s%3N)"
totals="$(curl -s "http://127.0.0.1:$SERVER_PORT/v1/totals?window=total")"
users_on_board="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["entities"]["user"])' "$totals")"
echo "preload: $(metric bangdan_engine_applied_seq) events in $(( (t1 - t0) / 1000 )) s," \
     "$users_on_board distinct users on the board (of USERS=$USERS);" \
     "engine $(( $(metric bangdan_engine_memory_bytes) / 1048576 )) MiB, server RSS $(server_rss_mib) MiB"

# 2. Steady ingest, then snapshots.
echo "steady ingest: $RATE events/s in $BATCH-event frames over 1 connection; warmup ${WARMUP}s," \
     "baseline ${BASELINE}s with no snapshot, then $SNAPSHOTS snapshots, one every ${EVERY}s"
"$BIN/stall_client" --port "$SERVER_PORT" --rate "$RATE" --batch "$BATCH" --warmup "$WARMUP" \
  --baseline "$BASELINE" --snapshots "$SNAPSHOTS" --snapshot-every "$EVERY" --admin-token "$TOKEN" \
  --users "$USERS" >"$work/stall.txt" 2>"$work/stall.err" || status=$?
status="${status:-0}"
[ -s "$work/stall.err" ] && cat "$work/stall.err" >&2

# kv LINE-PREFIX KEY → the value of KEY on the client's line starting with LINE-PREFIX.
kv() {
  grep -m1 "^$1" "$work/stall.txt" | tr ' ' '\n' | sed -n "s/^$2=//p"
}
echo
echo "client: $(grep -m1 '^stall_client:' "$work/stall.txt" | cut -d' ' -f2-)"
printf '%-22s %8s %16s %32s\n' "" "acks" "longest gap ms" "ack latency p50 / p99 / max ms"
for part in "baseline:|no snapshot running" "during_snapshots:|during snapshots" "snapshot_phase:|snapshot phase, all"; do
  key="${part%%|*}" label="${part#*|}"
  printf '%-22s %8s %16s %32s\n' "$label" "$(kv "$key" acks)" "$(kv "$key" gap_max_ms)" \
    "$(kv "$key" lat_p50_ms) / $(kv "$key" lat_p99_ms) / $(kv "$key" lat_max_ms)"
done

# 3. Per snapshot: the client's view beside the server's log line
#    "snapshot F at seq N (up to seq M in part): K steps, engine lock held A ms
#    at most (B ms in all), serialized in S ms, written in C ms" (C includes S).
echo
printf '%-3s %10s %7s %16s %16s %15s %12s %16s %16s\n' "#" "POST ms" "steps" "longest step ms" \
  "all steps ms" "serialized ms" "written ms" "longest gap ms" "latency max ms"
mapfile -t lines < <(grep ' INFO snapshot .* steps, ' "$SERVER_DIR/server.log" || true)
helds=()
for i in $(seq "$SNAPSHOTS"); do
  line="${lines[$((i - 1))]:-}"
  steps="$(sed -n 's/.*: \([0-9]*\) steps, .*/\1/p' <<<"$line")"
  held="$(sed -n 's/.*engine lock held \([0-9.]*\) ms at most.*/\1/p' <<<"$line")"
  all="$(sed -n 's/.*at most (\([0-9.]*\) ms in all).*/\1/p' <<<"$line")"
  serialized="$(sed -n 's/.*serialized in \([0-9.]*\) ms.*/\1/p' <<<"$line")"
  written="$(sed -n 's/.*written in \([0-9.]*\) ms.*/\1/p' <<<"$line")"
  [ -n "$held" ] && helds+=("$held")
  printf '%-3s %10s %7s %16s %16s %15s %12s %16s %16s\n' "$i" "$(kv "snapshot $i:" post_ms)" \
    "${steps:--}" "${held:--}" "${all:--}" "${serialized:--}" "${written:--}" \
    "$(kv "snapshot $i:" gap_max_ms)" "$(kv "snapshot $i:" lat_max_ms)"
done
if [ ${#helds[@]} -gt 0 ]; then
  echo "engine lock held by one snapshot step: max $(printf '%s\n' "${helds[@]}" | sort -g | tail -1) ms," \
       "median of the snapshots' longest $(median "${helds[@]}") ms over ${#helds[@]} snapshots"
fi
[ "$status" = 0 ] || echo "stall_client reported a failure (exit $status): see above" >&2
exit "$status"
