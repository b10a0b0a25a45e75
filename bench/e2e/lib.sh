# Helpers shared by the end-to-end scripts: start a server on a free port in a
# fresh data directory, stop it, read figures out of a loadgen JSON report.
# Source it; BIN must name the directory holding bangdan-server and bangdan-loadgen.

: "${BIN:?set BIN to the bin directory of a build}"
SERVER_PID=""
SERVER_PORT=""
SERVER_DIR=""

# wait_listening LOG SECONDS: waits for SERVER_PID's "listening on" line in LOG and
# sets SERVER_PORT; prints the log and fails if the server dies or time runs out.
wait_listening() {
  local log="$1" deadline=$(( $(date +%s) + $2 ))
  while [ "$(date +%s)" -le "$deadline" ]; do
    SERVER_PORT="$(sed -n 's/.*listening on [0-9.]*:\([0-9]*\).*/\1/p' "$log" | head -1)"
    [ -n "$SERVER_PORT" ] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.02
  done
  echo "server did not start; its log:" >&2
  cat "$log" >&2
  return 1
}

# start_server [extra server flags…]: fresh data dir, --fsync always unless overridden.
start_server() {
  SERVER_DIR="$(mktemp -d -t bangdan-e2e.XXXXXX)"
  SERVER_PORT=""
  "$BIN/bangdan-server" --listen 127.0.0.1:0 --data-dir "$SERVER_DIR/data" --fsync always "$@" \
    2>"$SERVER_DIR/server.log" &
  SERVER_PID=$!
  wait_listening "$SERVER_DIR/server.log" 10
}

# start_baseline: the do-nothing server (bench/e2e/ack_baseline.cpp) on a free
# port, as start_server does (sets SERVER_PID, SERVER_PORT; stop_server stops it).
start_baseline() {
  SERVER_DIR="$(mktemp -d -t bangdan-baseline-run.XXXXXX)"
  "$BIN/ack_baseline" --listen 127.0.0.1:0 --threads 2 >"$SERVER_DIR/server.log" 2>&1 &
  SERVER_PID=$!
  wait_listening "$SERVER_DIR/server.log" 10
}

# Resident set of the server, in MiB.
server_rss_mib() {
  awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$SERVER_PID/status"
}

stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  [ -n "$SERVER_DIR" ] && rm -rf "$SERVER_DIR"
  SERVER_PID=""
  SERVER_DIR=""
}

# cpu_seconds PID…: the CPU time (user + system) the processes have used so far.
cpu_seconds() {
  local pid ticks=0
  for pid in "$@"; do
    ticks=$((ticks + $(awk '{ print $14 + $15 }' "/proc/$pid/stat")))
  done
  awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }'
}

# json_get FILE a.b.c → the value at that path of a JSON file.
json_get() {
  python3 -c 'import json,sys
v=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): v=v[k]
print(v)' "$1" "$2"
}

# median of the arguments.
median() {
  printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}
