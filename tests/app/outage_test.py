#!/usr/bin/python3
"""Outages: `gatehouse serve` on its own throwaway PostgreSQL cluster and
Redis (scripts/postgres-cluster.sh, scripts/redis-server.sh; the shared ones
of the test run are left alone), under load from several client threads,
while PostgreSQL is stopped (immediate) and started again, then Redis
(SIGTERM), then both at once (PostgreSQL fast, Redis SIGKILL).

The load is a mix of GET /healthz, GET /api/csrf, GET /api/me with a
logged-in session, POST /api/login, POST /api/signup and
POST /api/password/change, with CSRF as the API asks (the csrftoken cookie
and X-CSRFToken). Each load thread owns one user, so it knows its password
and whether its session should still be valid.

Checks (any failure exits 1):
  - every request gets an HTTP answer: a refused or reset connection, or no
    answer within TIMEOUT seconds, is "dropped";
  - an answer is the endpoint's normal one or a 503 with a Retry-After header
    and a JSON body {"error": ..., "detail": ...}: never a 500, another 5xx, a
    malformed 503 or a status the endpoint never gives;
  - no answer that looks normal is wrong: a 401 to a login with the right
    password, or to /api/me or a password change with a session that is
    still valid -- nothing could have ended it, or the same cookie answers
    200 after the 401 (an outage must not pass for "wrong password" or
    "logged out"; a Redis restart loses the sessions, so after it a 401 is
    right);
  - the server process never exits (if it does, the exit is counted and the
    server started again, so the rest of the run still tells something);
  - after each outage full service comes back within RECOVERY seconds: a
    fresh client's login followed by GET /api/me answering that user.

Prints what each endpoint answered in each phase ("X down": from the stop
until the restart is done; "X back": from then until the next outage), the
details of the 5xx answers, the server's log events, and one summary line
"outage: N requests sent, ...".

Usage: outage_test.py PATH_TO_GATEHOUSE
"""
import atexit
import collections
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from urllib.parse import urlparse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
from gatehouse_client import free_port  # noqa: E402

if len(sys.argv) != 2:
    sys.exit("usage: outage_test.py PATH_TO_GATEHOUSE")
GATEHOUSE = os.path.abspath(sys.argv[1])
PG_BIN = "/usr/lib/postgresql/15/bin"
TIMEOUT = 5.0       # seconds an answer may take before the request counts as dropped
OUTAGE = 4.0        # seconds each outage lasts
RECOVERY = 15.0     # seconds of retries full service gets to come back
SETTLE = 1.5        # seconds of load on the restored service before the next outage
THREADS = 6

# The statuses each endpoint answers when all is well (besides a 503 during an outage).
NORMAL = {
    "GET /healthz": {200},
    "GET /api/csrf": {200},
    "GET /api/me": {200, 401},
    "POST /api/login": {200, 401},
    "POST /api/signup": {201},
    "POST /api/password/change": {204, 400, 401},
}


# ---- cleanup on every exit path ---------------------------------------------------

class Cleanup:
    """Actions run once, last added first: at the end of main, at exit, or on SIGTERM/SIGINT/SIGHUP."""

    def __init__(self):
        self.actions, self.lock = [], threading.Lock()

    def add(self, action):
        self.actions.append(action)

    def run(self):
        with self.lock:
            actions, self.actions = self.actions, []
        for action in reversed(actions):
            try:
                action()
            except BaseException as e:  # keep cleaning up
                print("outage: cleanup step failed: %r" % (e,), file=sys.stderr)


cleanup = Cleanup()
atexit.register(cleanup.run)


def on_signal(signum, _frame):
    raise SystemExit(128 + signum)


for _sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(_sig, on_signal)


def as_owner(cmd):
    """PostgreSQL refuses root: as root, its commands run as the postgres user (as the script does)."""
    return ["runuser", "-u", "postgres", "--"] + cmd if os.getuid() == 0 else cmd


def wait_until(predicate, seconds, interval=0.05):
    deadline = time.monotonic() + seconds
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


# ---- the throwaway servers ----------------------------------------------------------

class Postgres:
    def __init__(self, directory):
        self.dir, self.url, self.port = directory, None, None

    def create(self):
        cleanup.add(self.destroy)
        self.url = subprocess.run([os.path.join(ROOT, "scripts", "postgres-cluster.sh"), "start", self.dir],
                                  check=True, capture_output=True, text=True).stdout.strip()
        self.port = urlparse(self.url).port

    def destroy(self):
        subprocess.run([os.path.join(ROOT, "scripts", "postgres-cluster.sh"), "stop", self.dir],
                       capture_output=True)

    def stop(self, mode):
        subprocess.run(as_owner([os.path.join(PG_BIN, "pg_ctl"), "-D", os.path.join(self.dir, "data"),
                                 "-m", mode, "-w", "-t", "30", "stop"]), check=True, capture_output=True)

    def start(self):
        # The options postgres-cluster.sh starts it with, on the same port.
        options = "-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" % (
            self.port, self.dir)
        subprocess.run(as_owner([os.path.join(PG_BIN, "pg_ctl"), "-D", os.path.join(self.dir, "data"),
                                 "-l", os.path.join(self.dir, "server.log"), "-w", "-t", "60", "-o", options,
                                 "start"]), check=True, capture_output=True)


class Redis:
    def __init__(self, directory):
        self.dir, self.url, self.port = directory, None, None

    def create(self):
        cleanup.add(self.destroy)
        self.url = subprocess.run([os.path.join(ROOT, "scripts", "redis-server.sh"), "start", self.dir],
                                  check=True, capture_output=True, text=True).stdout.strip()
        self.port = urlparse(self.url).port

    def destroy(self):
        subprocess.run([os.path.join(ROOT, "scripts", "redis-server.sh"), "stop", self.dir], capture_output=True)

    def pid(self):
        with open(os.path.join(self.dir, "redis.pid")) as f:
            return int(f.read().strip())

    def stop(self, sig):
        pid = self.pid()
        os.kill(pid, sig)

        def gone():
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
            return not port_open(self.port)  # exited but not reaped yet
        if not wait_until(gone, 15):
            raise RuntimeError("redis-server %d did not stop" % pid)

    def ping(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self):
        # The command line redis-server.sh starts it with, on the same port (no persistence:
        # a restarted Redis is empty, as after a crash).
        subprocess.run(["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
                        "--appendonly", "no", "--dir", self.dir, "--pidfile", os.path.join(self.dir, "redis.pid"),
                        "--logfile", os.path.join(self.dir, "redis.log"), "--daemonize", "yes",
                        "--protected-mode", "yes"], check=True, capture_output=True)
        if not wait_until(self.ping, 15):
            raise RuntimeError("redis-server did not come back on port %d" % self.port)


class Server:
    """`gatehouse serve`, watched: an exit is recorded and the server started again."""

    def __init__(self, env, directory, state):
        self.env, self.dir, self.state = env, directory, state
        self.port = int(env["GATEHOUSE_BIND"].rsplit(":", 1)[1])
        self.err_path = os.path.join(directory, "serve.stderr.log")
        self.err = open(self.err_path, "a")
        self.proc, self.runs, self.exits, self.failed_starts = None, 0, [], 0
        self.closing = threading.Event()
        self.watcher = None

    def _launch(self, seconds):
        """One attempt: True once it prints where it listens."""
        self.runs += 1
        out_path = os.path.join(self.dir, "serve.%d.stdout.log" % self.runs)
        with open(out_path, "w") as out:
            self.proc = subprocess.Popen([GATEHOUSE, "serve"], env=self.env, stdout=out, stderr=self.err,
                                         stdin=subprocess.DEVNULL)
        proc = self.proc

        def listening():
            with open(out_path) as f:
                return "listening on" in f.read() or proc.poll() is not None
        wait_until(listening, seconds)
        if proc.poll() is None and "listening on" in open(out_path).read():
            return True
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        return False

    def start(self):
        cleanup.add(self.stop)
        if not self._launch(60):
            raise RuntimeError("gatehouse serve did not start:\n" + self.log_tail(20))
        self.watcher = threading.Thread(target=self._watch, daemon=True)
        self.watcher.start()

    def _watch(self):
        while not self.closing.wait(0.05):
            proc = self.proc
            if proc is None or proc.poll() is None:
                continue
            if self.closing.is_set():
                return
            rc = proc.returncode
            how = ("signal %s" % signal.Signals(-rc).name) if rc < 0 else "exit status %d" % rc
            self.exits.append((self.state.phase, how, self.log_tail(6)))
            print("outage: the server EXITED (%s) during '%s'; starting it again" % (how, self.state.phase),
                  flush=True)
            while not self.closing.is_set():
                if self._launch(10):
                    break
                self.failed_starts += 1
                self.closing.wait(0.25)

    def log_tail(self, n):
        self.err.flush()
        try:
            with open(self.err_path, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        self.closing.set()
        if self.watcher:
            self.watcher.join(timeout=15)
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.err.close()


# ---- the HTTP side --------------------------------------------------------------------

class Dropped(Exception):
    pass


class Http:
    """One connection per request; keeps cookies; CSRF header on unsafe methods."""

    def __init__(self, port):
        self.port, self.cookies = port, {}

    def request(self, method, path, body=None):
        h = {}
        if self.cookies:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        if method not in ("GET", "HEAD") and "csrftoken" in self.cookies:
            h["X-CSRFToken"] = self.cookies["csrftoken"]
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        try:
            conn.request(method, path, body=data, headers=h)
            resp = conn.getresponse()
            raw = resp.read()
            header_list = resp.getheaders()
        except (OSError, http.client.HTTPException) as e:
            raise Dropped("timeout" if isinstance(e, socket.timeout) else type(e).__name__) from e
        finally:
            conn.close()
        headers = {}
        for name, value in header_list:
            headers[name.lower()] = value
            if name.lower() == "set-cookie":
                m = re.match(r"([^=]+)=([^;]*)", value)
                if m:
                    if m.group(2) in ("", '""') or re.search(r"(?i)max-age=0\b", value):
                        self.cookies.pop(m.group(1), None)
                    else:
                        self.cookies[m.group(1)] = m.group(2)
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")
        return resp.status, parsed, headers


def malformed_503(body, headers):
    """What is wrong with a 503, or None when it has Retry-After and {"error", "detail"}."""
    problems = []
    if not re.fullmatch(r"\s*\d+\s*", headers.get("retry-after", "")):
        problems.append("no Retry-After" if "retry-after" not in headers else "Retry-After %r" % headers["retry-after"])
    if not (isinstance(body, dict) and isinstance(body.get("error"), str) and isinstance(body.get("detail"), str)):
        problems.append("body %.60r" % (body,))
    return ", ".join(problems) or None


class State:
    def __init__(self):
        self.phase = "setup"
        self.redis_epoch = 0  # +1 as Redis restarts (empty): the sessions it held are gone
        self.outage = False   # from the first stop until the restarts are done
        self.outages = 0      # +1 at each start and end of an outage

    def calm_token(self):
        """Taken before a request; the same after it when no outage began or ended, nor Redis restarted."""
        return self.outages, self.redis_epoch


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.rows = []    # (phase, endpoint, label, kind, seconds)
        self.wrong = []   # (phase, endpoint, what)
        self.details = {}  # (endpoint, label) -> (first phase, the body's detail) of 5xx and unexpected answers

    def record(self, *row, detail=None):
        with self.lock:
            self.rows.append(row)
            if detail is not None:
                self.details.setdefault((row[1], row[2]), (row[0], detail))

    def wrong_answer(self, phase, endpoint, what):
        with self.lock:
            self.wrong.append((phase, endpoint, what))


state, stats = State(), Stats()


def call(client, method, path, body=None):
    """One request, recorded. Returns (status, body), or None when dropped."""
    endpoint = method + " " + path
    phase = state.phase
    t0 = time.monotonic()
    try:
        status, parsed, headers = client.request(method, path, body)
    except Dropped as e:
        stats.record(phase, endpoint, "dropped(%s)" % e, "dropped", time.monotonic() - t0)
        return None
    seconds = time.monotonic() - t0
    code = parsed.get("error") if isinstance(parsed, dict) and isinstance(parsed.get("error"), str) else None
    if status == 503:
        problem = malformed_503(parsed, headers)
        kind = "503-malformed" if problem else "503"
        label = "503 %s" % code if not problem else "503 MALFORMED(%s)" % problem
    elif status >= 500:
        kind, label = ("500" if status == 500 else "5xx"), "%d %s" % (status, code or "")
    elif status not in NORMAL[endpoint]:
        kind, label = "unexpected", "%d UNEXPECTED %s" % (status, code or "%.60r" % (parsed,))
    else:
        kind, label = ("2xx" if status < 300 else "4xx" if 400 <= status < 500 else "other"), str(status)
    detail = None
    if status >= 500 or kind == "unexpected":
        detail = parsed.get("detail") if isinstance(parsed, dict) else None
        detail = "%.160s" % (detail if isinstance(detail, str) else repr(parsed))
    stats.record(phase, endpoint, label.strip(), kind, seconds, detail=detail)
    return status, parsed


# ---- the load -----------------------------------------------------------------------

class LoadUser:
    """A thread's user: its password candidates (two while a change's outcome is unknown) and
    its session: "none"; "valid" (in a Redis epoch); "uncertain" (an answer left it unknown);
    or "suspect": a 401 came while the session may still be valid, so the thread keeps
    sending that cookie to GET /api/me (no login, no change) until it is settled: a 200 proves
    the 401s wrong (sessions do not come back to life), a 401 outside any outage ends it."""

    def __init__(self, index, username, password, port, stop):
        self.index, self.username, self.port, self.stop = index, username, port, stop
        self.candidates = [password]
        self.session, self.epoch = "none", None
        self.suspects, self.suspect_cookie = [], None  # the 401s in question: (phase, endpoint)
        self.client = Http(port)
        self.rng = random.Random(index)
        self.signups = 0

    def run(self):
        actions = ["healthz", "me", "login", "signup", "change"]
        weights = [20, 40, 15, 10, 15]
        while not self.stop.is_set():
            try:
                if "csrftoken" not in self.client.cookies:
                    call(self.client, "GET", "/api/csrf")
                else:
                    action = self.rng.choices(actions, weights)[0]
                    if action in ("me", "change") and self.session == "none":
                        action = "login"
                    if action == "change" and len(self.candidates) > 1:
                        action = "login"  # learn the password first
                    if action in ("login", "change") and self.session == "suspect":
                        action = "me"
                    getattr(self, action)()
            except Exception as e:  # a bug in the test itself: record it, keep loading
                stats.wrong_answer(state.phase, "test", "load thread error %r" % (e,))
            self.stop.wait(0.01)

    def settled(self, before):
        """True when the request (started at `before`) overlapped no outage and no Redis restart."""
        return before == state.calm_token() and not state.outage

    def logged_in(self, before):
        if self.session == "suspect":
            for phase, endpoint in self.suspects:
                stats.wrong_answer(phase, endpoint, "401, yet the same session answered 200 afterwards")
            self.suspects, self.suspect_cookie = [], None
        epoch = before[1]
        self.session, self.epoch = ("valid" if epoch == state.redis_epoch else "uncertain"), epoch

    def got_401(self, endpoint, before, sent_cookie):
        epoch = before[1]
        if self.session == "valid" and self.epoch == epoch == state.redis_epoch:
            stats.wrong_answer(state.phase, endpoint, "401 with a valid session")
            self.session = "none"
        elif self.session in ("uncertain", "suspect") and self.epoch == epoch == state.redis_epoch \
                and sent_cookie and not self.settled(before):
            self.session, self.suspect_cookie = "suspect", sent_cookie
            self.suspects.append((state.phase, endpoint))
        else:
            self.session, self.suspects, self.suspect_cookie = "none", [], None

    def healthz(self):
        call(Http(self.port), "GET", "/healthz")

    def login(self):
        password = self.candidates[0]
        before = state.calm_token()
        r = call(self.client, "POST", "/api/login", {"username": self.username, "password": password})
        if r is None or r[0] not in (200, 401):
            self.session = "uncertain"  # the old session may have been rotated away
        elif r[0] == 200:
            self.candidates = [password]
            self.logged_in(before)
        elif len(self.candidates) == 1:
            stats.wrong_answer(state.phase, "POST /api/login", "401 to the right password")
        else:
            self.candidates = self.candidates[1:] + self.candidates[:1]

    def me(self):
        if self.session == "suspect":
            self.client.cookies["sessionid"] = self.suspect_cookie
        sent = self.client.cookies.get("sessionid")
        before = state.calm_token()
        r = call(self.client, "GET", "/api/me")
        if r is None or r[0] not in (200, 401):
            return
        if r[0] == 200:
            if not (isinstance(r[1], dict) and r[1].get("username") == self.username):
                stats.wrong_answer(state.phase, "GET /api/me", "200 for another user: %.80r" % (r[1],))
            self.logged_in(before)
        else:
            self.got_401("GET /api/me", before, sent)

    def change(self):
        sent = self.client.cookies.get("sessionid")
        before = state.calm_token()
        old, new = self.candidates[0], "outage passphrase %s" % secrets.token_hex(4)
        r = call(self.client, "POST", "/api/password/change", {"old_password": old, "new_password": new})
        if r is not None and r[0] == 204:
            self.candidates = [new]
        elif r is not None and r[0] == 401:
            self.got_401("POST /api/password/change", before, sent)
        elif r is not None and r[0] == 400:
            stats.wrong_answer(state.phase, "POST /api/password/change",
                               "400 to the right old password: %.100r" % (r[1],))
        else:
            # Unknown outcome: either password may be the one now, and the session's auth
            # hash may no longer match.
            self.candidates, self.session = [old, new], "uncertain"

    def signup(self):
        self.signups += 1
        name = "s%dn%d%s" % (self.index, self.signups, secrets.token_hex(2))
        client = Http(self.port)
        client.cookies["csrftoken"] = self.client.cookies["csrftoken"]
        call(client, "POST", "/api/signup",
             {"username": name, "email": name + "@example.com", "password": "signup passphrase " + secrets.token_hex(4)})


def probe(port, username, password, seconds):
    """Seconds until a fresh client logs in and /api/me answers that user, or None."""
    t0 = time.monotonic()
    deadline = t0 + seconds
    while True:
        c = Http(port)
        ok = False
        r = call(c, "GET", "/api/csrf")
        if r is not None and r[0] == 200:
            r = call(c, "POST", "/api/login", {"username": username, "password": password})
            if r is not None and r[0] == 401:
                stats.wrong_answer(state.phase, "POST /api/login", "401 to the right password (probe)")
            if r is not None and r[0] == 200:
                r = call(c, "GET", "/api/me")
                ok = r is not None and r[0] == 200 and isinstance(r[1], dict) and r[1].get("username") == username
        if ok:
            return time.monotonic() - t0
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.2)


# ---- the report ---------------------------------------------------------------------

def server_log_summary(path):
    events = collections.Counter()
    examples = {}
    lines = 0
    try:
        with open(path, errors="replace") as f:
            for line in f:
                lines += 1
                try:
                    j = json.loads(line)
                    key = "%s %s" % (j.get("level", "?"), j.get("event", "?"))
                    example = j.get("error") or j.get("message") or j.get("detail") or ""
                except ValueError:
                    key, example = "text", line.strip()
                events[key] += 1
                examples.setdefault(key, str(example)[:160])
    except OSError:
        pass
    out = ["server log: %d lines" % lines]
    for key, n in events.most_common(12):
        out.append("  %5d x %s%s" % (n, key, ("  e.g. " + examples[key]) if examples[key] else ""))
    return "\n".join(out)


def report(phases):
    by = collections.OrderedDict()
    for phase, endpoint, label, _kind, seconds in stats.rows:
        entry = by.setdefault((phase, endpoint), [collections.Counter(), 0.0])
        entry[0][label] += 1
        entry[1] = max(entry[1], seconds)
    print("what each endpoint answered, per phase (n, answers, slowest):")
    for phase in phases:
        for endpoint in NORMAL:
            if (phase, endpoint) not in by:
                continue
            labels, slowest = by[(phase, endpoint)]
            print("  %-14s %-26s n=%-5d %s  (slowest %.2f s)" % (
                phase, endpoint, sum(labels.values()),
                ", ".join("%s x%d" % kv for kv in labels.most_common()), slowest))
    if stats.details:
        print("the details of the 5xx and unexpected answers (first seen in):")
        for (endpoint, label), (phase, detail) in sorted(stats.details.items()):
            print("  %-26s %-22s %-14s %s" % (endpoint, label, phase, detail))
    if stats.wrong:
        print("wrong answers (look normal, are not):")
        for (phase, endpoint, what), n in collections.Counter(stats.wrong).most_common():
            print("  %-14s %-26s %s x%d" % (phase, endpoint, what, n))


def main():
    parent = tempfile.mkdtemp(prefix="gatehouse-outage.")
    os.chmod(parent, 0o755)  # the postgres user must reach the cluster below it
    cleanup.add(lambda: shutil.rmtree(parent, ignore_errors=True))
    pg = Postgres(os.path.join(parent, "cluster"))
    pg.create()
    redis = Redis(os.path.join(parent, "redis"))
    redis.create()

    port = free_port()
    # Only this test's GATEHOUSE_* variables (none inherited from the test run's environment).
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
    env.update({
        "GATEHOUSE_DATABASE_URL": pg.url,
        "GATEHOUSE_REDIS_URL": redis.url,
        "GATEHOUSE_SECRET_KEY": secrets.token_urlsafe(40),
        "GATEHOUSE_BIND": "127.0.0.1:%d" % port,
        "GATEHOUSE_PBKDF2_ITERATIONS": "1000",
        "GATEHOUSE_EMAIL_URL": "memory:",
        "GATEHOUSE_THROTTLE": "0",
        "GATEHOUSE_ACCESS_LOG": "0",
    })
    server = Server(env, parent, state)
    server.start()

    # A few users: one per load thread, and the prober's.
    setup = Http(port)
    setup.request("GET", "/api/csrf")
    users = [("load%d" % i, "load passphrase %d %s" % (i, secrets.token_hex(3))) for i in range(THREADS)]
    prober = ("prober", "prober passphrase " + secrets.token_hex(3))
    for name, password in users + [prober]:
        status, body, _ = setup.request("POST", "/api/signup",
                                        {"username": name, "email": name + "@example.com", "password": password})
        if status != 201:
            raise RuntimeError("setup: signup of %s answered %d %r" % (name, status, body))

    stop = threading.Event()
    load = [LoadUser(i, name, password, port, stop) for i, (name, password) in enumerate(users)]
    threads = [threading.Thread(target=u.run, daemon=True) for u in load]

    def stop_load():
        stop.set()
        for t in threads:
            t.join(timeout=TIMEOUT + 5)
    cleanup.add(stop_load)

    phases = ["warm-up"]
    state.phase = "warm-up"
    for t in threads:
        t.start()
    time.sleep(2.0)

    recovery = {}

    def outage(name, stop_them, start_them):
        state.phase = name + " down"
        phases.append(state.phase)
        state.outage, state.outages = True, state.outages + 1
        for f in stop_them:
            f()
        time.sleep(OUTAGE)
        for f in start_them:
            f()
        state.outage, state.outages = False, state.outages + 1
        state.phase = name + " back"
        phases.append(state.phase)
        recovery[name] = probe(port, *prober, RECOVERY)
        time.sleep(SETTLE)

    def redis_start():
        # Before it can answer: a request that overlaps the restart is in neither epoch.
        state.redis_epoch += 1
        redis.start()

    outage("postgres", [lambda: pg.stop("immediate")], [pg.start])
    outage("redis", [lambda: redis.stop(signal.SIGTERM)], [redis_start])
    outage("both", [lambda: pg.stop("fast"), lambda: redis.stop(signal.SIGKILL)], [pg.start, redis_start])
    state.phase = "final check"
    phases.append(state.phase)
    final = probe(port, *prober, RECOVERY)
    stop_load()
    alive = server.alive()

    report(phases)
    print(server_log_summary(server.err_path))
    for phase, how, tail in server.exits:
        print("server exit during '%s' (%s); its last log lines:\n%s" % (phase, how, tail.rstrip()))

    kinds = collections.Counter(row[3] for row in stats.rows)
    sent = len(stats.rows)

    def secs(v):
        return "%.1f s" % v if v is not None else "NOT within %.0f s" % RECOVERY
    print("outage: %d requests sent, %d answered 2xx, %d answered 4xx, %d answered 503 (%d of them malformed), "
          "%d other 5xx (%d of them 500), %d unexpected statuses, %d dropped, %d process exits "
          "(%d failed restarts), %d wrong answers; service back after postgres %s, redis %s, both %s"
          % (sent, kinds["2xx"], kinds["4xx"], kinds["503"] + kinds["503-malformed"], kinds["503-malformed"],
             kinds["500"] + kinds["5xx"], kinds["500"], kinds["unexpected"] + kinds["other"], kinds["dropped"],
             len(server.exits), server.failed_starts, len(stats.wrong),
             secs(recovery.get("postgres")), secs(recovery.get("redis")), secs(recovery.get("both"))), flush=True)

    failures = []
    if kinds["dropped"]:
        failures.append("%d requests got no HTTP answer (dropped)" % kinds["dropped"])
    if server.exits or not alive:
        failures.append("the server process exited %d time(s)" % max(len(server.exits), 1))
    if kinds["500"]:
        failures.append("%d answers were 500" % kinds["500"])
    if kinds["5xx"]:
        failures.append("%d answers were a 5xx other than 500 and 503" % kinds["5xx"])
    if kinds["503-malformed"]:
        failures.append("%d 503s lacked Retry-After or the {error, detail} body" % kinds["503-malformed"])
    if kinds["unexpected"] or kinds["other"]:
        failures.append("%d answers were statuses the endpoint never gives" % (kinds["unexpected"] + kinds["other"]))
    if stats.wrong:
        failures.append("%d answers looked normal but were wrong" % len(stats.wrong))
    for name in ("postgres", "redis", "both"):
        if recovery.get(name) is None:
            failures.append("full service did not come back within %.0f s after the %s outage" % (RECOVERY, name))
    if final is None:
        failures.append("full service was not there at the end")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    code = 1
    try:
        code = main()
    except Exception as e:
        import traceback
        traceback.print_exc()
        print("FAIL: outage test could not run: %s" % e)
        code = 1
    finally:
        cleanup.run()
    sys.exit(code)
