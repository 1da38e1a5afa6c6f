#!/usr/bin/env bash
# A throwaway Redis 7 server for the tests, on a loopback port, no persistence.
#   scripts/redis-server.sh start DIR   starts it in DIR, prints its URL
#   scripts/redis-server.sh stop DIR    stops it and deletes DIR
set -euo pipefail
cmd="${1:?start|stop}"
dir="${2:?directory}"

case "$cmd" in
  start)
    mkdir -p "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no --dir "$dir" \
      --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --daemonize yes --protected-mode yes
    for _ in $(seq 1 100); do
      if redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; then
        echo "redis://127.0.0.1:$port/0"
        exit 0
      fi
      sleep 0.1
    done
    cat "$dir/redis.log" >&2
    echo "redis-server: did not start" >&2
    exit 1
    ;;
  stop)
    if [ -f "$dir/redis.pid" ]; then kill "$(cat "$dir/redis.pid")" 2>/dev/null || true; fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
