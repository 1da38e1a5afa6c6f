#!/usr/bin/env bash
# Installs the Debian packages Gatehouse needs.
#   scripts/install-deps.sh --run   what building and running the server needs (run.sh)
#   scripts/install-deps.sh         that, and what the tests and benchmarks need (test.sh)
# Idempotent: installs only what is missing (apt-get update first, then).
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

RUN_PACKAGES=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git
  # libraries (DESIGN.md, "Dependencies")
  libboost-dev libcli11-dev libssl-dev libargon2-dev libcrypt-dev libzxcvbn-dev
  libsqlite3-dev libpq-dev libunistring-dev zlib1g-dev nlohmann-json3-dev
  libhiredis-dev libmstch-dev libcurl4-openssl-dev libtomlplusplus-dev
  libqrencode-dev libcbor-dev               # TOTP enrolment QR codes as SVG; WebAuthn's CBOR
)
TEST_PACKAGES=(
  clang libclang-rt-14-dev clang-format   # libFuzzer, the sanitizer runtimes, the clang build
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-django python3-argon2 python3-bcrypt python3-psycopg2  # the Django round trips
  python3-django-otp                                     # second factors shared with django-otp
  postgresql-15 sqlite3 redis-server                     # real servers for the tests
  python3-aiosmtpd                                       # a real SMTP server for the tests
  chromium nodejs                                        # the browser tests (playwright-core from npm)
  wrk gunicorn                                           # bench/http: load generator and the Django peer
  nginx-light openssl                                    # TLS-terminating reverse proxy in front (tests/app/nginx_test.py)
  python3-jsonschema python3-yaml                        # responses checked against docs/openapi.yaml
  python3-cryptography                                   # openapi_test.py's software passkey authenticator (ES256)
  doxygen                                                # the API reference (the docs target)
  systemd adduser                                        # the .deb: systemd-analyze verify, its postinst
  dpkg-dev file                                          # the .deb: dpkg-shlibdeps (its Depends), the file command CPack runs
)

case "${1:-}" in
  --run) PACKAGES=("${RUN_PACKAGES[@]}") ;;
  "") PACKAGES=("${RUN_PACKAGES[@]}" "${TEST_PACKAGES[@]}") ;;
  *) echo "install-deps.sh: unknown option '$1' (--run, or nothing for everything)" >&2; exit 2 ;;
esac

if [ "${GATEHOUSE_SKIP_APT:-0}" = "1" ]; then exit 0; fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ "${1:-}" = "--run" ]; then exit 0; fi

# Debian's nodejs comes without npm (a separate package); NodeSource's carries
# its own npm and conflicts with Debian's, so add Debian's only when none is there.
if ! command -v npm >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends npm
fi
