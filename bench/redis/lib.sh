# Redis and the Node.js server in front of it, for the comparison scripts
# (run_redis.sh, run_push.sh). Source it after bench/e2e/lib.sh; root must
# name the project's root.
#
# Redis config (written down, as the comparisons depend on it): Debian's
# redis-server 7, loopback port, temp dir, `--save "" --appendonly no` — no
# persistence at all, the most favourable setting for Redis; bangdan runs with
# --fsync always. REDIS_AOF=always switches Redis to appendonly yes,
# appendfsync always, the setting that matches bangdan's durability.
REDIS_PID=""
REDIS_DIR=""
REDIS_PORT=""
start_redis() {
  REDIS_DIR="$(mktemp -d -t bangdan-redis.XXXXXX)"
  local persistence=(--save "" --appendonly no)
  [ "${REDIS_AOF:-}" = always ] && persistence=(--save "" --appendonly yes --appendfsync always)
  # A random port, another one if it was taken (Redis then exits at once).
  for _ in 1 2 3 4 5; do
    REDIS_PORT=$((20000 + RANDOM % 20000))
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$REDIS_DIR" "${persistence[@]}" \
      --daemonize no --logfile "$REDIS_DIR/redis.log" &
    REDIS_PID=$!
    for _ in $(seq 1 100); do
      redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && kill -0 "$REDIS_PID" 2>/dev/null && return 0
      kill -0 "$REDIS_PID" 2>/dev/null || break
      sleep 0.05
    done
  done
  echo "redis did not start; its log:" >&2
  cat "$REDIS_DIR/redis.log" >&2
  return 1
}
stop_redis() {
  [ -n "$REDIS_PID" ] && { kill "$REDIS_PID" 2>/dev/null || true; wait "$REDIS_PID" 2>/dev/null || true; }
  [ -n "$REDIS_DIR" ] && rm -rf "$REDIS_DIR"
  REDIS_PID=""
  REDIS_DIR=""
}
NODE_PID=""
NODE_PORT=""
# start_node VARIANT [server.mjs flags…]: the Node.js server in front of the
# running Redis.
start_node() {
  local dir="$root/bench/redis/node"
  command -v node >/dev/null || { echo "node not found (scripts/setup installs it)" >&2; return 1; }
  if [ ! -d "$dir/node_modules/ioredis" ] || [ ! -d "$dir/node_modules/ws" ]; then
    (cd "$dir" && npm install --no-audit --no-fund --silent)
  fi
  node "$dir/server.mjs" --listen 127.0.0.1:0 --redis-port "$REDIS_PORT" --variant "$1" "${@:2}" \
    2>"$REDIS_DIR/node.log" &
  NODE_PID=$!
  for _ in $(seq 1 200); do
    NODE_PORT="$(sed -n 's/.*listening on [0-9.]*:\([0-9]*\).*/\1/p' "$REDIS_DIR/node.log" | head -1)"
    [ -n "$NODE_PORT" ] && return 0
    sleep 0.05
  done
  echo "the node server did not start:" >&2
  cat "$REDIS_DIR/node.log" >&2
  return 1
}
stop_node() {
  [ -n "$NODE_PID" ] && { kill "$NODE_PID" 2>/dev/null || true; wait "$NODE_PID" 2>/dev/null || true; }
  NODE_PID=""
}
node_rss_mib() {
  awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$NODE_PID/status"
}
redis_mem_mib() {  # used_memory and used_memory_rss, MiB
  redis-cli -p "$REDIS_PORT" info memory | tr -d '\r' |
    awk -F: '/^used_memory:/ { u = $2 } /^used_memory_rss:/ { r = $2 } END { printf "%.1f %.1f\n", u / 1048576, r / 1048576 }'
}
