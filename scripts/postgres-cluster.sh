#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the tests, on a loopback port.
#   scripts/postgres-cluster.sh start DIR   initialises DIR, starts the server,
#                                           prints its URL (superuser "gatehouse", trust auth)
#   scripts/postgres-cluster.sh stop DIR    stops it and deletes DIR
# As root, the server runs as the unprivileged "postgres" user (PostgreSQL refuses root).
set -euo pipefail
BIN=/usr/lib/postgresql/15/bin
cmd="${1:?start|stop}"
dir="${2:?directory}"

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then
      chown postgres:postgres "$dir"
      runuser -u postgres -- test -w "$dir" ||
        { echo "postgres-cluster: $dir must be reachable by the postgres user (chmod 755 its parents)" >&2; exit 1; }
    fi
    as_owner "$BIN/initdb" -D "$dir/data" -U gatehouse -A trust -E UTF8 --no-sync > "$dir.initdb.log" 2>&1 ||
      { cat "$dir.initdb.log" >&2; exit 1; }
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start > /dev/null ||
      { cat "$dir/server.log" >&2; exit 1; }
    echo "postgresql://gatehouse@127.0.0.1:$port/postgres"
    ;;
  stop)
    [ -d "$dir/data" ] && as_owner "$BIN/pg_ctl" -D "$dir/data" -m fast -w stop > /dev/null 2>&1 || true
    rm -rf "$dir" "$dir.initdb.log"
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
