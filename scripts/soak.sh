#!/usr/bin/env bash
# Soak test: a `gatehouse serve` of its own under logins, /api/me, signups,
# forgot and reset (wrk and a Python driver) for MINUTES minutes, then the
# per-minute table (requests, errors, RSS, descriptors, outbox) and the
# verdict; exit 1 if any check fails. Not part of scripts/test.sh or CTest.
#
#   scripts/soak.sh [GATEHOUSE_BINARY] [MINUTES] [soak.py options...]
#
# GATEHOUSE_BINARY defaults to build/release/gatehouse, MINUTES to 10 (or
# $SOAK_MINUTES). Options after them go to tests/soak/soak.py, e.g.
# --deployment postgresql_redis (needs GATEHOUSE_TEST_POSTGRES_URL and
# GATEHOUSE_TEST_REDIS_URL). Installs nothing: scripts/install-deps.sh
# installs wrk and python3. See docs/soak.md.
set -euo pipefail
cd "$(dirname "$0")/.."

gatehouse="${1:-build/release/gatehouse}"
minutes="${2:-${SOAK_MINUTES:-10}}"
if [ "$#" -ge 2 ]; then shift 2; else shift "$#"; fi

missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if [ "${#missing[@]}" -ne 0 ]; then
  echo "soak.sh: missing ${missing[*]}; scripts/install-deps.sh installs them" >&2
  exit 2
fi
if [ ! -x "$gatehouse" ]; then
  echo "soak.sh: $gatehouse is not an executable; build it first (./scripts/run.sh --version builds build/release)" >&2
  exit 2
fi
case "$minutes" in
  '' | *[!0-9]*) echo "soak.sh: MINUTES must be a whole number, not '$minutes'" >&2; exit 2 ;;
esac

# Debian's python3 (the one install-deps.sh installs, with python3-psycopg2)
# when there is one, as the other Python tests use.
python=python3
if [ -x /usr/bin/python3 ]; then python=/usr/bin/python3; fi
exec "$python" tests/soak/soak.py --gatehouse "$(realpath "$gatehouse")" --minutes "$minutes" "$@"
