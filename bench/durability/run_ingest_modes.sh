#!/usr/bin/env bash
# Acked ingest throughput with the log fsynced (--fsync always), written but not
# fsynced (--fsync none) and not written at all (--wal off), in the same run.
#
#   bench/durability/run_ingest_modes.sh
#   BIN=build/bin RUNS=3 FRAMES=3000 FRAMES1=20000 bench/durability/run_ingest_modes.sh
#   RUNS=1 FRAMES=200 FRAMES1=500 bench/durability/run_ingest_modes.sh     # a quick check
#
# Each round starts the server once per mode — always, none, off — each time on
# a fresh temporary data directory (TMPDIR decides where: fsync costs depend on
# that disk, and the script prints its filesystem), and drives it through ONE
# WebSocket connection with bench/ingest_client (see bench/RESULTS.md, "Server
# ingest"): first FRAMES frames of 100 events, then FRAMES1 frames of 1 event,
# WINDOW frames in flight. Rounds are interleaved and the order of the modes
# rotates from round to round, so that a change in the machine's load hits all
# modes alike. Prints every run, the median per mode and the ratios of medians.
#
# Parameters (environment): BIN (the build's bin/, default build/bin), RUNS (3),
# FRAMES (3000), FRAMES1 (20000), WINDOW (16), THREADS (server --threads, 2).
# --wal off exists for this measurement only: it acks without any durability.
# Every server runs with --snapshot-interval 24h so that no periodic snapshot
# falls into a run.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
BIN="${BIN:-$root/build/bin}"
RUNS="${RUNS:-3}"
FRAMES="${FRAMES:-3000}"
FRAMES1="${FRAMES1:-20000}"
WINDOW="${WINDOW:-16}"
THREADS="${THREADS:-2}"
. "$root/bench/durability/lib.sh"
trap stop_server EXIT

modes=(always none off)
declare -A flags=([always]="--fsync always" [none]="--fsync none" [off]="--wal off")
declare -A runs=()   # "mode batch" → events/s of each run, space-separated
status=0

machine_line
probe="$(mktemp -d -t bangdan-fs.XXXXXX)"
echo "data dirs on: $(data_dir_fs "$probe"); server --threads $THREADS; one connection, window $WINDOW;" \
     "100-event frames × $FRAMES, 1-event frames × $FRAMES1; RUNS=$RUNS"
rmdir "$probe"

# one_client BATCH FRAMES PREFIX → events/s, or FAIL (the client's output on stderr).
one_client() {
  local out
  if out="$("$BIN/ingest_client" --port "$SERVER_PORT" --batch "$1" --frames "$2" --window "$WINDOW" \
            --id-prefix "$3" 2>&1)"; then
    sed -n 's/.*events_per_s=\([0-9]*\).*/\1/p' <<<"$out"
  else
    echo "ingest_client failed: $out" >&2
    echo FAIL
  fi
}

for round in $(seq "$RUNS"); do
  for i in 0 1 2; do
    mode="${modes[$(( (i + round - 1) % 3 ))]}"
    # shellcheck disable=SC2086  # the flags are words
    start_server ${flags[$mode]} --threads "$THREADS" --snapshot-interval 24h
    r100="$(one_client 100 "$FRAMES" "m${mode}r${round}b100")"
    r1="$(one_client 1 "$FRAMES1" "m${mode}r${round}b1")"
    stop_server
    if [ "$r100" = FAIL ] || [ "$r1" = FAIL ]; then status=1; fi
    runs["$mode 100"]+="$r100 "
    runs["$mode 1"]+="$r1 "
    echo "round $round: $mode: 100-event frames $r100 events/s, 1-event frames $r1 events/s"
  done
done

# median_of "RUNS…" → the median of the numeric ones (FAIL left out), or "-".
median_of() {
  local nums=()
  for v in $1; do [ "$v" != FAIL ] && nums+=("$v"); done
  if [ ${#nums[@]} -eq 0 ]; then echo "-"; else median "${nums[@]}"; fi
}
ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f×", a / b }'
}

echo
printf '%-8s %-14s %-40s %s\n' "mode" "events/frame" "runs (events/s)" "median events/s"
declare -A med=()
for batch in 100 1; do
  for mode in "${modes[@]}"; do
    med["$mode $batch"]="$(median_of "${runs["$mode $batch"]}")"
    printf '%-8s %-14s %-40s %s\n' "$mode" "$batch" "${runs["$mode $batch"]}" "${med["$mode $batch"]}"
  done
done
echo
echo "ratios of medians (events/s):"
for batch in 100 1; do
  echo "  $batch-event frames: none/always $(ratio "${med["none $batch"]}" "${med["always $batch"]}")," \
       "off/always $(ratio "${med["off $batch"]}" "${med["always $batch"]}")," \
       "off/none $(ratio "${med["off $batch"]}" "${med["none $batch"]}")"
done
exit "$status"
