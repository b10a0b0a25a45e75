#!/usr/bin/env bash
# Log replay of two builds on one history, alternating: the fair way to tell
# a change to recovery from this machine's noise (the same binary's replay
# speed moves by ±20 % within an hour).
#
#   bench/durability/run_replay_ab.sh OLD_BIN NEW_BIN
#   ROUNDS=5 EVENTS=20000000 bench/durability/run_replay_ab.sh /tmp/old/build/bin build/bin
#
# 1. Builds the history once with NEW_BIN's server and generator, as
#    run_recovery.sh does (EVENTS events, USERS users, 50,000 teams, 5,000
#    firms, 300 cities, 1,000 products, --fsync none), then SIGKILL, and one
#    start that cuts a torn tail, so that every later start replays the same
#    log.
# 2. ROUNDS rounds: OLD_BIN's server starts on the directory, then NEW_BIN's;
#    each prints its "recovered …" line (time, events/s) and its RSS once
#    listening, and is killed with SIGKILL (no shutdown snapshot: the log
#    stays the whole state).
#
# Parameters (environment): EVENTS (20000000), USERS (1000000), ROUNDS (3),
# THREADS (2), START_TIMEOUT (seconds, 900). Needs a few GiB of disk in TMPDIR.
set -euo pipefail
[ $# -eq 2 ] || { sed -n '2,20p' "$0"; exit 2; }
root="$(cd "$(dirname "$0")/../.." && pwd)"
OLD_BIN="$(cd "$1" && pwd)"
NEW_BIN="$(cd "$2" && pwd)"
EVENTS="${EVENTS:-20000000}"
USERS="${USERS:-1000000}"
ROUNDS="${ROUNDS:-3}"
THREADS="${THREADS:-2}"
BIN="$NEW_BIN"  # lib.sh wants one; each start below picks its own
. "$root/bench/durability/lib.sh"
work="$(mktemp -d -t bangdan-replay-ab.XXXXXX)"
data="$work/data"
trap 'kill9_server; rm -rf "$work"' EXIT
flags=(--fsync none --threads "$THREADS" --snapshot-interval 365d)

machine_line
echo "old: $OLD_BIN"
echo "new: $NEW_BIN"

launch_server "$data" "$work/build.log" "${flags[@]}"
"$BIN/bangdan-loadgen" --url "ws://127.0.0.1:$SERVER_PORT" --no-progress --events "$EVENTS" \
  --users "$USERS" --teams 50000 --firms 5000 --cities 300 --products 1000 \
  --batch 100 --connections 4 >"$work/build.txt" \
  || { echo "loadgen failed:" >&2; cat "$work/build.txt" >&2; exit 1; }
kill9_server
launch_server "$data" "$work/first.log" "${flags[@]}"
kill9_server
echo "history: $EVENTS events, log $(du -sh "$data" | cut -f1)"

for round in $(seq "$ROUNDS"); do
  for which in old new; do
    if [ "$which" = old ]; then BIN="$OLD_BIN"; else BIN="$NEW_BIN"; fi
    launch_server "$data" "$work/round.log" "${flags[@]}"
    rss="$(awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$SERVER_PID/status")"
    kill9_server
    line="$(grep -m1 ' INFO recovered ' "$work/round.log" | sed 's/.* in \([0-9]*\) ms: .*(\([0-9]*\) events\/s).*/\1 ms, \2 events\/s/')"
    echo "round $round $which: $line, RSS $rss MiB"
  done
done
