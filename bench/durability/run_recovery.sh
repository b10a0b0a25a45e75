#!/usr/bin/env bash
# Recovery: log replay speed (events/s) and the time from start to serving with
# a history of EVENTS events (default 20,000,000), then the load time of a
# snapshot of that state per 1,000,000 board entries (aim: ≤ 1 s).
#
#   bench/durability/run_recovery.sh                       # 20,000,000 events
#   EVENTS=200000 bench/durability/run_recovery.sh         # a quick check
#   BIN=build/bin EVENTS=20000000 USERS=1000000 bench/durability/run_recovery.sh
#
# 1. Builds the history: a server on a fresh data directory (TMPDIR decides
#    where), no periodic snapshot (--snapshot-interval 365d), fed EVENTS events
#    by bangdan-loadgen (USERS users, Zipf ZIPF, 50,000 teams, 5,000 firms,
#    300 cities, 1,000 products; the log is written with --fsync FSYNC, default
#    none: the bytes are the same, only the build is faster). Then SIGKILL:
#    no shutdown snapshot, so the directory holds the log alone.
# 2. Pure log replay: starts the server on it and measures the wall time from
#    the start to its "listening on" line (both ends in ms) and the replay from
#    its "recovered …" INFO line (time, events, events/s).
# 3. Snapshot load: POST /v1/admin/snapshot, counts what the snapshot holds
#    (bench/durability/snapshot_stats.py: board entries, names, dedup ids),
#    SIGKILL, starts again: the "recovered …" line is now the snapshot's load
#    (0 events replayed), divided by the entries.
#
# Parameters (environment): BIN (build/bin), EVENTS (20000000), USERS (1000000),
# ZIPF (loadgen's default, 1.0), FSYNC (none), THREADS (2), START_TIMEOUT
# (seconds to wait for a start, 900). The history of 20,000,000 events takes
# minutes to build and to replay, and a few GiB of disk and memory.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
BIN="${BIN:-$root/build/bin}"
EVENTS="${EVENTS:-20000000}"
USERS="${USERS:-1000000}"
ZIPF="${ZIPF:-1.0}"
FSYNC="${FSYNC:-none}"
THREADS="${THREADS:-2}"
TOKEN="recovery-bench-admin"
. "$root/bench/durability/lib.sh"
work="$(mktemp -d -t bangdan-recovery.XXXXXX)"
data="$work/data"
trap 'kill9_server; rm -rf "$work"' EXIT
flags=(--fsync "$FSYNC" --threads "$THREADS" --snapshot-interval 365d --admin-token "$TOKEN")

machine_line
echo "data dir on $(data_dir_fs "$work"); server ${flags[*]}"

# recovered_field SED-EXPRESSION → a figure of the "recovered …" line of SERVER_LOG.
recovered_field() {
  grep -m1 ' INFO recovered ' "$SERVER_LOG" | sed -n "$1"
}
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

# 1. The history.
launch_server "$data" "$work/build.log" "${flags[@]}"
t0="$(date +%s%3N)"
"$BIN/bangdan-loadgen" --url "ws://127.0.0.1:$SERVER_PORT" --no-progress --events "$EVENTS" \
  --users "$USERS" --zipf "$ZIPF" --teams 50000 --firms 5000 --cities 300 --products 1000 \
  --batch 100 --connections 4 --report "$work/build.json" >"$work/build.txt" \
  || { echo "loadgen failed:" >&2; cat "$work/build.txt" >&2; exit 1; }
t1="$(date +%s%3N)"
seq="$(metric bangdan_engine_applied_seq)"
kill9_server
log_bytes="$(cat "$data"/wal-*.log | wc -c)"
segments="$(find "$data" -name 'wal-*.log' | wc -l)"
echo "history: $seq events accepted in $(( (t1 - t0) / 1000 )) s; log $(mib "$log_bytes") MiB in" \
     "$segments segment(s); SIGKILL"

# 2. Pure log replay.
launch_server "$data" "$work/replay.log" "${flags[@]}"
wall_ms=$(( $(log_ms 'listening on') - LAUNCH_MS ))
rec_ms="$(recovered_field 's/.* in \([0-9]*\) ms: .*/\1/p')"
rec_seq="$(recovered_field 's/.* to seq \([0-9]*\) in .*/\1/p')"
replayed="$(recovered_field 's/.*, \([0-9]*\) events replayed .*/\1/p')"
rate="$(recovered_field 's/.*(\([0-9]*\) events\/s).*/\1/p')"
echo "replay: start → listening $wall_ms ms; recovery $rec_ms ms: $replayed events replayed," \
     "${rate:-?} events/s (the server's figure); recovered to seq $rec_seq;" \
     "server RSS $(server_rss_mib) MiB"
status=0
[ "$rec_seq" = "$seq" ] || { echo "recovered seq $rec_seq, expected $seq" >&2; status=1; }

# 3. A snapshot of that state, then its load.
t0="$(date +%s%3N)"
answer="$(admin_snapshot "$TOKEN")"
t1="$(date +%s%3N)"
file="$(json_get <(echo "$answer") snapshot)"
written="$(grep ' INFO snapshot .* steps, ' "$SERVER_LOG" | tail -1 | sed -n 's/.*written in \([0-9.]*\) ms.*/\1/p')"
stats="$(python3 "$root/bench/durability/snapshot_stats.py" "$data/$file")"
entries="$(sed -n 's/.* entries=\([0-9]*\) .*/\1/p' <<<"$stats")"
echo "snapshot: $file, POST answered in $(( t1 - t0 )) ms (written in ${written:-?} ms by the server's line)"
echo "  holds: $stats"
kill9_server
launch_server "$data" "$work/load.log" "${flags[@]}"
wall_ms=$(( $(log_ms 'listening on') - LAUNCH_MS ))
load_ms="$(recovered_field 's/.* in \([0-9]*\) ms: .*/\1/p')"
replayed="$(recovered_field 's/.*, \([0-9]*\) events replayed .*/\1/p')"
rec_seq="$(recovered_field 's/.* to seq \([0-9]*\) in .*/\1/p')"
per_million="$(awk -v ms="$load_ms" -v n="$entries" 'BEGIN { if (n > 0) printf "%.3f", ms / 1000 / (n / 1e6); else print "-" }')"
echo "snapshot load: start → listening $wall_ms ms; recovery $load_ms ms ($replayed events replayed," \
     "seq $rec_seq); $entries board entries → $per_million s per 1,000,000 entries (aim ≤ 1 s);" \
     "server RSS $(server_rss_mib) MiB"
[ "$rec_seq" = "$seq" ] || { echo "recovered seq $rec_seq, expected $seq" >&2; status=1; }
[ "$replayed" = 0 ] || { echo "expected a pure snapshot load, $replayed events were replayed" >&2; status=1; }
exit "$status"
