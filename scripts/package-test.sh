#!/usr/bin/env bash
# Installs the gatehouse Debian package and checks it as an administrator
# would meet it (docs/deployment.md):
#   - what it holds: the command, the unit, the conffile, the templates and the
#     docs, and none of the development files;
#   - what its postinst makes: the system user gatehouse, /var/lib/gatehouse,
#     the configuration readable by the group gatehouse, the unit enabled;
#   - the unit passes `systemd-analyze verify` with nothing said about it;
#   - the installed command, started the way the unit starts it (its user and
#     group, environment, working directory and umask) on a free loopback port,
#     answers /healthz and logs in, through the JSON API, a user made with
#     `gatehouse createsuperuser --noinput`; SIGTERM stops it with exit 0;
#   - installing again keeps a changed configuration file without asking;
#   - a purge takes everything away.
# The service is not started through systemctl: this runs in containers,
# where systemd is installed but not PID 1. The unit's sandboxing (ProtectSystem
# and the rest) is therefore not exercised, only checked by systemd-analyze.
#
#   scripts/package-test.sh build/release-gcc/gatehouse_0.1.0_amd64.deb
#
# Run as root (scripts/test.sh does). Idempotent: a gatehouse installed
# before is purged first. On failure the package stays installed, to look at.
set -euo pipefail

fail() {
  echo "package-test: $*" >&2
  exit 1
}
step() { echo "== $*"; }

[ "$#" -eq 1 ] || fail "give exactly one .deb (got $#: $*); remove old ones from the build tree"
deb=$1
[ -f "$deb" ] || fail "$deb: no such file"
[ "$(id -u)" -eq 0 ] || fail "must run as root (dpkg -i)"
python=/usr/bin/python3
[ -x "$python" ] || fail "$python is needed for the HTTP checks"

unit=/lib/systemd/system/gatehouse.service
work=$(mktemp -d /tmp/gatehouse-package-test.XXXXXX)
chmod 0755 "$work"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# ---- the archive ------------------------------------------------------------------

step "the package: $deb"
echo "size: $(stat -c %s "$deb") bytes"
dpkg-deb --info "$deb"
dpkg-deb --contents "$deb" > "$work/contents"
for path in ./usr/bin/gatehouse ./lib/systemd/system/gatehouse.service ./etc/gatehouse/gatehouse.toml \
  ./usr/share/gatehouse/templates/login.html ./usr/share/doc/gatehouse/copyright; do
  grep -q " $path\$" "$work/contents" || fail "the package lacks $path"
done
if grep -E ' \./usr/(include|lib)/|\.(a|so|pc|cmake)$' "$work/contents"; then
  fail "the package carries development files (above): they belong to cmake --install only"
fi
dpkg-deb --control "$deb" "$work/control"
grep -qx /etc/gatehouse/gatehouse.toml "$work/control/conffiles" || fail "gatehouse.toml is not a conffile"
for script in postinst prerm postrm; do
  [ -x "$work/control/$script" ] || fail "the package has no executable $script"
done
version=$(dpkg-deb --field "$deb" Version)

# ---- installation -----------------------------------------------------------------

step "dpkg -i (after purging any earlier installation)"
dpkg --purge gatehouse > /dev/null 2>&1 || true
dpkg -i "$deb" < /dev/null
[ "$(dpkg-query -W -f='${db:Status-Status}' gatehouse)" = installed ] || fail "gatehouse is not installed after dpkg -i"

step "files, user and state directory"
[ -x /usr/bin/gatehouse ] || fail "/usr/bin/gatehouse is not executable"
/usr/bin/gatehouse --version | grep -qF "$version" || fail "gatehouse --version does not say $version"
[ -f "$unit" ] || fail "no $unit"
[ -d /usr/share/gatehouse/templates ] || fail "no /usr/share/gatehouse/templates"
[ -f /usr/share/doc/gatehouse/copyright ] || fail "no /usr/share/doc/gatehouse/copyright"
dpkg-query -W -f='${Conffiles}\n' gatehouse | grep -q '/etc/gatehouse/gatehouse.toml ' ||
  fail "dpkg does not record /etc/gatehouse/gatehouse.toml as a conffile"
if dpkg -L gatehouse | grep -E '^/usr/(include|lib)/'; then fail "development files installed (above)"; fi
getent passwd gatehouse > /dev/null || fail "no user gatehouse"
getent group gatehouse > /dev/null || fail "no group gatehouse"
[ "$(getent passwd gatehouse | cut -d: -f6)" = /var/lib/gatehouse ] || fail "gatehouse's home is not /var/lib/gatehouse"
[ "$(stat -c '%U:%G %a' /var/lib/gatehouse)" = "gatehouse:gatehouse 750" ] ||
  fail "/var/lib/gatehouse is $(stat -c '%U:%G %a' /var/lib/gatehouse), not gatehouse:gatehouse 750"
[ "$(stat -c '%U:%G %a' /etc/gatehouse/gatehouse.toml)" = "root:gatehouse 640" ] ||
  fail "/etc/gatehouse/gatehouse.toml is $(stat -c '%U:%G %a' /etc/gatehouse/gatehouse.toml), not root:gatehouse 640"
if command -v deb-systemd-helper > /dev/null; then
  [ -L /etc/systemd/system/multi-user.target.wants/gatehouse.service ] || fail "the unit is not enabled"
fi
echo "ok"

# ---- the unit ---------------------------------------------------------------------

step "systemd-analyze verify $unit"
verify_rc=0
verify_out=$(systemd-analyze verify "$unit" 2>&1) || verify_rc=$?
[ -z "$verify_out" ] || printf '%s\n' "$verify_out"
[ "$verify_rc" -eq 0 ] || fail "systemd-analyze verify exited $verify_rc"
if printf '%s\n' "$verify_out" | grep -F gatehouse.service; then
  fail "systemd-analyze verify has something to say about gatehouse.service (above)"
fi
echo "ok (lines about other units, if any, are the machine's)"
# The exposure score, for the log only.
systemd-analyze security --offline=yes "$unit" 2>/dev/null | tail -1 || true

# The [Service] settings the start below follows: the last value of KEY.
service_settings() { awk '/^\[/ { in_service = ($0 == "[Service]") } in_service && /^[A-Za-z]+=/' "$unit"; }
setting() { service_settings | sed -n "s/^$1=//p" | tail -1; }

user=$(setting User)
group=$(setting Group)
workdir=$(setting WorkingDirectory)
umask_value=$(setting UMask)
state_dir=/var/lib/$(setting StateDirectory)
read -r -a exec_start <<< "$(setting ExecStart)"
if [ -z "$user" ] || [ -z "$group" ] || [ -z "$workdir" ] || [ "${#exec_start[@]}" -eq 0 ]; then
  fail "the unit lacks User, Group, WorkingDirectory or ExecStart"
fi
[ "$state_dir" = "$workdir" ] || fail "WorkingDirectory $workdir is not the StateDirectory $state_dir"

# The environment systemd gives the service: the user's HOME, USER, LOGNAME and
# SHELL, PATH, Environment= (KEY=VALUE words, unquoted) and then the
# EnvironmentFile if it exists.
IFS=: read -r _ _ _ _ _ home shell < <(getent passwd "$user")
service_env=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "HOME=$home" "USER=$user"
  "LOGNAME=$user" "SHELL=$shell")
while read -r -a words; do
  for w in "${words[@]}"; do
    case "$w" in *\"* | *\'* | *\\*) fail "Environment= with quoting is beyond this script: $w" ;; esac
    service_env+=("$w")
  done
done < <(service_settings | sed -n 's/^Environment=//p')
environment_file=$(setting EnvironmentFile)
environment_file=${environment_file#-}
if [ -n "$environment_file" ] && [ -f "$environment_file" ]; then
  while IFS= read -r line; do
    case "$line" in '' | '#'* | ';'*) continue ;; esac
    service_env+=("$line")
  done < "$environment_file"
fi

# The command line that runs a command as the unit runs its commands
# (NoNewPrivileges included): "${as_service[@]}" [KEY=VALUE...] COMMAND...,
# under the unit's umask. The server is started in the background with
# `( umask ...; exec ... ) &`, so that $! is its own process id.
as_service=(setpriv --reuid="$user" --regid="$group" --init-groups --no-new-privs --
  env -i -C "$workdir" "${service_env[@]}")
umask_value=${umask_value:-0022}
run_as_service() { (umask "$umask_value" && exec "${as_service[@]}" "$@"); }

# ---- the server, as the unit starts it ----------------------------------------------

# Port 0: the server takes a free port and says which.
step "start: ${exec_start[*]} as $user in $workdir, on 127.0.0.1:0"
(umask "$umask_value" && exec "${as_service[@]}" GATEHOUSE_BIND=127.0.0.1:0 "${exec_start[@]}") > "$work/serve.log" 2>&1 &
server_pid=$!
port=""
for _ in $(seq 1 600); do
  port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$work/serve.log" | head -1)
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log"; fail "the server exited before listening"; }
  sleep 0.1
done
[ -n "$port" ] || { cat "$work/serve.log"; fail "the server did not say where it listens within 60 s"; }
head -2 "$work/serve.log"
base="http://127.0.0.1:$port"

step "createsuperuser --noinput, as $user"
username=packagetest
password=$("$python" -c 'import secrets; print("Gh-" + secrets.token_urlsafe(18))')
run_as_service "GATEHOUSE_SUPERUSER_PASSWORD=$password" "${exec_start[0]}" createsuperuser \
  --username "$username" --email packagetest@example.com --noinput

step "log in through $base"
"$python" - "$base" "$username" "$password" << 'EOF'
import http.cookiejar
import json
import sys
import time
import urllib.error
import urllib.request

base, username, password = sys.argv[1:4]
jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))


def call(method, path, body=None, csrf=None):
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if csrf is not None:
        headers["X-CSRFToken"] = csrf
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def expect(what, got, want):
    if got != want:
        sys.exit(f"package-test: {what}: got {got!r}, want {want!r}")


for _ in range(300):  # listening already; /healthz within 30 s
    try:
        status, body = call("GET", "/healthz")
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("package-test: /healthz does not answer")
expect("GET /healthz", (status, body), (200, {"status": "ok"}))

status, body = call("GET", "/api/me")
expect("GET /api/me before login", status, 401)

status, body = call("GET", "/api/csrf")
expect("GET /api/csrf", status, 200)
token = body["csrfToken"]
expect("the csrftoken cookie", any(c.name == "csrftoken" for c in jar), True)

status, body = call("POST", "/api/login", {"username": username, "password": password}, csrf=token)
expect("POST /api/login", status, 200)
expect("POST /api/login's username", body.get("username"), username)

status, body = call("GET", "/api/me")
expect("GET /api/me after login", status, 200)
expect("GET /api/me's username", body.get("username"), username)
print(f"logged in as {username}: GET /api/me answers id {body.get('id')}, username {body.get('username')}")
EOF

step "stop with SIGTERM"
kill -TERM "$server_pid"
stop_rc=0
wait "$server_pid" || stop_rc=$?
server_pid=""
tail -3 "$work/serve.log"
[ "$stop_rc" -eq 0 ] || { cat "$work/serve.log"; fail "the server exited $stop_rc on SIGTERM, not 0"; }
grep -q "Gatehouse stopped" "$work/serve.log" || fail "the server did not say it stopped"

step "what the server left in $state_dir"
ls -l "$state_dir"
[ "$(stat -c %U "$state_dir/gatehouse.sqlite3")" = "$user" ] || fail "the database does not belong to $user"
[ "$(stat -c '%U %a' "$state_dir/gatehouse.secret_key")" = "$user 600" ] ||
  fail "the generated secret key is not $user's, mode 600"
run_as_service "${exec_start[0]}" check

# ---- installing again ---------------------------------------------------------------

step "dpkg -i again: postinst's upgrade path, and a changed conffile kept without a question"
echo "# changed by package-test" >> /etc/gatehouse/gatehouse.toml
dpkg -i "$deb" < /dev/null
grep -q "^# changed by package-test" /etc/gatehouse/gatehouse.toml || fail "dpkg -i replaced the changed conffile"
[ "$(stat -c '%U:%G %a' /etc/gatehouse/gatehouse.toml)" = "root:gatehouse 640" ] ||
  fail "/etc/gatehouse/gatehouse.toml lost its group or mode on the second installation"
[ -f "$state_dir/gatehouse.sqlite3" ] || fail "installing again lost the database"

# ---- purge -------------------------------------------------------------------------

step "dpkg --purge gatehouse"
dpkg --purge gatehouse
for path in /usr/bin/gatehouse "$unit" /etc/gatehouse /var/lib/gatehouse /usr/share/gatehouse /usr/share/doc/gatehouse \
  /etc/systemd/system/multi-user.target.wants/gatehouse.service; do
  if [ -e "$path" ] || [ -L "$path" ]; then fail "$path is still there after the purge"; fi
done
if dpkg-query -W -f='${db:Status-Status}' gatehouse 2>/dev/null | grep -qv '^not-installed$'; then
  fail "dpkg still knows gatehouse after the purge"
fi
echo "package-test: passed (the system user gatehouse stays, as Debian keeps system users)"
