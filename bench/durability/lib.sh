# shellcheck shell=bash
# Functions shared by the durability scripts, on top of bench/e2e/lib.sh (start_server,
# stop_server, median, json_get). Source it with BIN set to a build's bin/.
# Unlike start_server, launch_server keeps the data directory it is given, so
# that a server can be killed and started again on the same history.

# shellcheck source=../e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"

SERVER_LOG=""
export LAUNCH_MS=""  # read by the scripts that source this file

# launch_server DATA_DIR LOG [server flags…]: starts bangdan-server on a free
# port, its stderr in LOG, and waits (up to START_TIMEOUT seconds, default 900:
# a long log replay) for "listening on". Sets SERVER_PID, SERVER_PORT,
# SERVER_LOG and LAUNCH_MS (epoch ms taken just before the start).
launch_server() {
  local dir="$1" log="$2"; shift 2
  SERVER_LOG="$log"
  SERVER_PORT=""
  LAUNCH_MS="$(date +%s%3N)"
  "$BIN/bangdan-server" --listen 127.0.0.1:0 --data-dir "$dir" "$@" 2>"$log" &
  SERVER_PID=$!
  wait_listening "$log" "${START_TIMEOUT:-900}"
}

# kill9_server: SIGKILL, as a crash would; nothing is flushed or snapshotted.
kill9_server() {
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

# log_ms PATTERN: epoch ms of the first line of SERVER_LOG matching PATTERN
# (from the line's own UTC timestamp), or nothing.
log_ms() {
  local ts
  ts="$(grep -m1 -e "$1" "$SERVER_LOG" | cut -d' ' -f1)"
  [ -n "$ts" ] && date -d "$ts" +%s%3N
}

# metric NAME: the value of an unlabelled series of GET /metrics.
metric() {
  curl -s "http://127.0.0.1:$SERVER_PORT/metrics" | awk -v n="$1" '$1 == n { print $2 }'
}

# admin_snapshot TOKEN: POST /v1/admin/snapshot; prints the answer's JSON.
admin_snapshot() {
  curl -s -f -X POST -H "Authorization: Bearer $1" "http://127.0.0.1:$SERVER_PORT/v1/admin/snapshot"
}

# data_dir_fs DIR: the filesystem type holding DIR (fsync costs differ by far).
data_dir_fs() {
  df -T "$1" 2>/dev/null | awk 'NR == 2 { print $2 " (" $7 ")" }'
}

# machine_line: what the figures were measured on.
machine_line() {
  echo "machine: nproc $(nproc), $(lscpu | sed -n 's/^Model name: *//p'), $(date -u +%F), load average $(cut -d' ' -f1-3 /proc/loadavg)"
}
