#!/usr/bin/python3
"""Soak: a running `gatehouse serve` under a steady mix of load for MINUTES
minutes, watched every minute. Not part of CTest or scripts/test.sh; run it
with scripts/soak.sh (docs/soak.md).

Load, all at once, for the whole run:
  * wrk -t1 -c8 on GET /api/me with a logged-in session cookie (a Lua script
    in the temporary directory sets it), and wrk -t1 -c4 on GET /healthz, in
    one-minute runs back to back; their "Non-2xx or 3xx responses" and socket
    errors are errors;
  * a Python driver, 4 threads, each looping over a mix of flows: login with
    the right password, /api/me, logout and the ended session refused; login
    with a wrong password; signup of a new user (and of a taken name); forgot
    for a known address, the code read from the file email backend, a wrong
    code refused, the right one accepted, the old session ended, the new
    password in and the old one out; forgot for an unknown address; /api/me
    without a session. Every answer is counted by status; one that is not the
    expected answer (a 5xx, a dropped connection, a 401 to a right password,
    a code email that does not come within 30 s, ...) is an error.

Every minute: the server's RSS (VmRSS; the median of one sample a second
over the minute, since a single sample swings by a few MiB with what
malloc's per-thread arenas hold at that instant), and at its end the open
descriptors (/proc/PID/fd), threads, and the outbox (gatehouse_task by state).

Verdict (exit 1 if any fails): errors == 0; the last minute's RSS within 10%
of the second minute's; descriptors flat (the last within 10 of the second);
the outbox drained after the load (pending and running reach 0 within 60 s);
no dead job; one welcome email per signup and one code email per forgot for a
known address, none to an unknown one; the server stops on SIGTERM with
status 0.

The database starts with --seed-users users (20,000) written before the
server starts, as a deployed one would: an empty database spends the first
minutes growing into SQLite's page caches, which is warm-up, not a leak.

Usage: soak.py [--gatehouse PATH] [--minutes N] [--deployment sqlite|postgresql_redis]
               [--minute-seconds S] [--threads N] [--seed-users N] [--keep]
postgresql_redis needs GATEHOUSE_TEST_POSTGRES_URL and GATEHOUSE_TEST_REDIS_URL
(scripts/postgres-cluster.sh and scripts/redis-server.sh start throwaway ones).
"""
import argparse
import atexit
import base64
import collections
import email
import email.policy
import hashlib
import os
import random
import re
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
from checks import Checks  # noqa: E402
from gatehouse_client import Client, start_server  # noqa: E402

MAIL_TIMEOUT = 30.0  # seconds a code email may take, from the 202 of forgot
DRAIN_TIMEOUT = 60.0  # seconds the outbox may take to empty once the load stops

# ---- processes: every child is ended on every way out -------------------------------------------

_children = []  # Popen objects, ended by cleanup()
_cleanups = []  # callables (schema drop, ...), run once by cleanup()
_cleaned = False


def spawn(cmd, **kw):
    p = subprocess.Popen(cmd, **kw)
    _children.append(p)
    return p


def end_process(p, grace=30):
    if p.poll() is not None:
        return
    try:
        p.terminate()
        p.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(timeout=10)
    except ProcessLookupError:
        pass


def cleanup():
    global _cleaned
    if _cleaned:
        return
    _cleaned = True
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, signal.SIG_IGN)  # a second Ctrl-C does not cut the cleanup short
    for p in reversed(_children):
        end_process(p)
    for f in reversed(_cleanups):
        try:
            f()
        except Exception as e:  # noqa: BLE001 - cleanup reports and goes on
            print(f"soak: cleanup: {e}", file=sys.stderr)


def on_signal(signum, _frame):
    raise SystemExit(128 + signum)


# ---- what the server sends: the file email backend's directory ------------------------------------

class Mailbox:
    """Reads the .eml files the file backend writes: reset codes and welcome
    emails by address. A file seen half-written is read again later; one read
    is moved to `done` (the server keeps no handle on it: it writes and closes),
    so the directory listed stays short however long the run."""

    CODE = re.compile(r"^\s{4}(\d{6,12})\s*$", re.M)

    def __init__(self, directory, done):
        self.dir, self.done = directory, done
        os.makedirs(done, exist_ok=True)
        self.lock = threading.Lock()
        self.seen = set()
        self.first_seen = {}
        self.codes = collections.defaultdict(list)  # address -> codes, oldest first
        self.welcome = collections.Counter()  # address -> welcome emails
        self.other = []  # (file, subject): anything else
        self.unreadable = []
        self.last_scan = 0.0

    def scan(self, force=False):
        with self.lock:
            now = time.monotonic()
            if not force and now - self.last_scan < 0.05:
                return
            self.last_scan = now
            try:
                names = sorted(n for n in os.listdir(self.dir) if n not in self.seen)
            except FileNotFoundError:
                return
            for name in names:  # named <nanoseconds>-<random>.eml: sorted is oldest first
                self._read(name, now, force)

    def _read(self, name, now, final):
        path = os.path.join(self.dir, name)
        try:
            with open(path, "rb") as f:
                msg = email.message_from_bytes(f.read(), policy=email.policy.default)
            to, subject = str(msg["To"] or "").strip().lower(), str(msg["Subject"] or "")
            body = msg.get_body(("plain",))
            text = body.get_content() if body is not None else ""
        except Exception:  # noqa: BLE001 - half-written: judged below
            to, subject, text = "", "", ""
        code = self.CODE.search(text)
        complete = to and subject and (code if "reset code" in subject else text)
        if not complete:
            first = self.first_seen.setdefault(name, now)
            if final or now - first > 5:  # not a write in progress: a broken email
                self.seen.add(name)
                self.unreadable.append(name)
            return
        self.seen.add(name)
        os.rename(path, os.path.join(self.done, name))
        if "reset code" in subject:
            self.codes[to].append(code.group(1))
        elif subject.startswith("Welcome to"):
            self.welcome[to] += 1
        else:
            self.other.append((name, subject))

    def code_count(self, address):
        with self.lock:
            return len(self.codes[address])

    def wait_for_code(self, address, before, timeout):
        deadline = time.monotonic() + timeout
        while True:
            self.scan()
            with self.lock:
                if len(self.codes[address]) > before:
                    return self.codes[address][-1]
            if time.monotonic() > deadline:
                return None
            time.sleep(0.05)


# ---- the driver ---------------------------------------------------------------------------------

class Stats:
    """Answers by request and status, errors, and code email delays: per
    minute (roll() takes them) and in all."""

    def __init__(self):
        self.lock = threading.Lock()
        self.minute = collections.Counter()
        self.total = collections.Counter()
        self.minute_errors = 0
        self.errors = collections.Counter()  # what went wrong -> times
        self.samples = []  # the first errors, in full
        self.mail_delays = []
        self.all_mail_delays = []
        self.flows = collections.Counter()

    def answer(self, label, status):
        with self.lock:
            self.minute[(label, status)] += 1
            self.total[(label, status)] += 1

    def error(self, what, detail):
        with self.lock:
            self.minute_errors += 1
            self.errors[what] += 1
            if len(self.samples) < 20:
                self.samples.append(f"{time.strftime('%H:%M:%S')} {what}: {detail}")

    def flow(self, name):
        with self.lock:
            self.flows[name] += 1

    def mail_delay(self, seconds):
        with self.lock:
            self.mail_delays.append(seconds)
            self.all_mail_delays.append(seconds)

    def roll(self):
        with self.lock:
            answered = sum(n for (_, status), n in self.minute.items() if isinstance(status, int))  # not exceptions
            errors, delays = self.minute_errors, self.mail_delays
            self.minute, self.minute_errors, self.mail_delays = collections.Counter(), 0, []
        return answered, errors, delays


class Unexpected(Exception):
    """An answer that was not the expected one: the flow stops there."""


class Driver:
    def __init__(self, port, mailbox, stats, threads):
        self.port, self.mailbox, self.stats, self.nthreads = port, mailbox, stats, threads
        self.stop = threading.Event()
        self.threads = []
        self.signed_up = []  # every address signup created (welcome emails expected)
        self.forgot_known = collections.Counter()  # address -> forgot requests (code emails expected)
        self.forgot_unknown = set()
        self.lock = threading.Lock()

    # One request; an exception or an unexpected status is an error and ends the flow.
    def call(self, client, method, path, body=None, expect=(200,), check=None, cookies=None):
        label = f"{method} {path}"
        saved = None
        if cookies is not None:
            saved, client.cookies = client.cookies, dict(cookies)
        try:
            status, parsed, _ = client.request(method, path, body)
        except Exception as e:  # noqa: BLE001 - a dropped connection, a timeout: all errors
            self.stats.answer(label, type(e).__name__)
            self.stats.error(f"{label}: {type(e).__name__}", repr(e))
            raise Unexpected() from e
        finally:
            if saved is not None:
                client.cookies = saved
        self.stats.answer(label, status)
        problem = None
        if status not in expect:
            problem = f"status {status}, expected {'/'.join(map(str, expect))}"
        elif check is not None and not checked(check, parsed):
            problem = f"status {status} with an unexpected body"
        if problem:
            self.stats.error(f"{label}: {problem}",
                             f"request {body if 'password' not in str(body) else redact(body)} -> {status} {parsed!r:.300}")
            raise Unexpected()
        return parsed

    def fresh(self):
        c = Client(self.port)
        self.call(c, "GET", "/api/csrf", check=lambda b: isinstance(b, dict) and b.get("csrfToken"))
        if "csrftoken" not in c.cookies:
            self.stats.error("GET /api/csrf: no csrftoken cookie", repr(c.cookies))
            raise Unexpected()
        return c

    def signup(self, tag, users):
        c = self.fresh()
        name = f"soak{tag}_{len(users)}_{secrets.token_hex(3)}"
        user = {"username": name, "email": f"{name}@example.com", "password": new_password()}
        self.call(c, "POST", "/api/signup", {"username": name, "email": user["email"], "password": user["password"]},
                  expect=(201,), check=lambda b: b.get("username") == name and b.get("email") == user["email"])
        users.append(user)
        with self.lock:
            self.signed_up.append(user["email"])
        return user

    def log_in(self, user, password=None):
        c = self.fresh()
        self.call(c, "POST", "/api/login", {"username": user["username"], "password": password or user["password"]},
                  check=lambda b: b.get("username") == user["username"])
        if "sessionid" not in c.cookies:
            self.stats.error("POST /api/login: no session cookie", repr(c.cookies))
            raise Unexpected()
        return c

    # ---- the flows
    def flow_login(self, users, _tag):
        u = random.choice(users)
        c = self.log_in(u)
        self.call(c, "GET", "/api/me", check=lambda b: b.get("username") == u["username"])
        session = dict(c.cookies)
        self.call(c, "POST", "/api/logout", expect=(204,))
        self.call(c, "GET", "/api/me", expect=(401,), cookies=session)  # the old cookie no longer works

    def flow_wrong_password(self, users, _tag):
        c = self.fresh()
        if random.random() < 0.7:
            u = random.choice(users)
            creds = {"username": u["username"], "password": u["password"] + "x"}
        else:
            creds = {"username": "nobody_" + secrets.token_hex(4), "password": new_password()}
        self.call(c, "POST", "/api/login", creds, expect=(401,))

    def flow_signup(self, users, tag):
        self.signup(tag, users)

    def flow_signup_taken(self, users, _tag):
        c = self.fresh()
        u = random.choice(users)
        self.call(c, "POST", "/api/signup", {"username": u["username"], "email": "other_" + u["email"],
                                             "password": new_password()},
                  expect=(400,), check=lambda b: "username" in (b or {}).get("errors", {}))

    def flow_recover(self, users, _tag):
        u = random.choice(users)
        address = u["email"]
        old = self.log_in(u)
        old_session = dict(old.cookies)
        c = self.fresh()
        before = self.mailbox.code_count(address)
        self.call(c, "POST", "/api/password/forgot", {"email": address}, expect=(202,))
        with self.lock:
            self.forgot_known[address] += 1
        t0 = time.monotonic()
        code = self.mailbox.wait_for_code(address, before, MAIL_TIMEOUT)
        if code is None:
            self.stats.error("code email: none within 30 s", f"forgot for {address}")
            raise Unexpected()
        self.stats.mail_delay(time.monotonic() - t0)
        wrong = ("%0*d" % (len(code), (int(code) + 1) % 10 ** len(code)))
        fresh_password = new_password()
        self.call(c, "POST", "/api/password/reset", {"email": address, "code": wrong, "new_password": fresh_password},
                  expect=(400,), check=lambda b: (b or {}).get("error") == "invalid_code")
        self.call(c, "POST", "/api/password/reset", {"email": address, "code": code, "new_password": fresh_password},
                  expect=(204,))
        old_password, u["password"] = u["password"], fresh_password
        self.call(old, "GET", "/api/me", expect=(401,), cookies=old_session)  # every session of the user ended
        self.log_in(u)
        c = self.fresh()
        self.call(c, "POST", "/api/login", {"username": u["username"], "password": old_password}, expect=(401,))

    def flow_forgot_unknown(self, _users, _tag):
        c = self.fresh()
        address = f"nobody_{secrets.token_hex(5)}@example.org"
        with self.lock:
            self.forgot_unknown.add(address)
        self.call(c, "POST", "/api/password/forgot", {"email": address}, expect=(202,))

    def flow_me_anonymous(self, _users, _tag):
        self.call(Client(self.port), "GET", "/api/me", expect=(401,))

    MIX = [("login", 30), ("wrong_password", 20), ("signup", 12), ("signup_taken", 5), ("recover", 10),
           ("forgot_unknown", 10), ("me_anonymous", 13)]

    def run(self, tag):
        users = []
        rng = random.Random()
        names = [n for n, _ in self.MIX]
        weights = [w for _, w in self.MIX]
        while not self.stop.is_set():
            name = "signup" if len(users) < 2 else rng.choices(names, weights)[0]
            try:
                getattr(self, "flow_" + name)(users, tag)
                self.stats.flow(name)
            except Unexpected:
                pass
            except Exception as e:  # noqa: BLE001 - a bug of the driver is an error too, not a dead thread
                self.stats.error(f"driver {name}: {type(e).__name__}", repr(e))
                time.sleep(0.1)

    def start(self):
        for i in range(self.nthreads):
            t = threading.Thread(target=self.run, args=(i,), name=f"driver-{i}", daemon=True)
            t.start()
            self.threads.append(t)

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=MAIL_TIMEOUT + 60)
        return [t.name for t in self.threads if t.is_alive()]


# Usernames and addresses here are made of "soak", "nobody", "other", "wrk",
# hex digits, "_", "@example.com" and "@example.org"; a password of letters
# none of them uses (20 of 6 letters: 51 bits) shares no character with them, so Django's
# UserAttributeSimilarityValidator (quick_ratio >= 0.7) never refuses it.
PASSWORD_LETTERS = "ijquvz"
assert not set(PASSWORD_LETTERS) & set("soak nobody other wrk 0123456789abcdef _@.example.com example.org")


def new_password():
    return "-".join("".join(secrets.choice(PASSWORD_LETTERS) for _ in range(5)) for _ in range(4))


def checked(check, parsed):
    try:
        return bool(check(parsed))
    except Exception:  # noqa: BLE001 - a body of the wrong shape is a wrong answer
        return False


def redact(body):
    return {k: ("***" if "password" in k else v) for k, v in body.items()}


# ---- wrk ---------------------------------------------------------------------------------------

def to_ms(text):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    v, unit = float(m.group(1)), m.group(2)
    return {"us": v / 1000, "ms": v, "s": v * 1000, "m": v * 60000}[unit]


def parse_wrk(out, rc):
    """requests answered, errors (non-2xx/3xx + socket errors), p99 ms, a note."""
    m = re.search(r"(\d+) requests in", out)
    if rc != 0 or not m:
        return 0, 1, None, f"wrk exited {rc}: {out.strip()[-300:]!r}"
    answered = int(m.group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non2xx = int(bad.group(1)) if bad else 0
    socket_errors = sum(int(x) for x in sock.groups()) if sock else 0
    p99 = re.search(r"\s99%\s+([\d.]+\w+)", out)
    note = ""
    if non2xx or socket_errors:
        note = f"non-2xx/3xx {non2xx}, socket errors {sock.group(0) if sock else 0}"
    return answered, non2xx + socket_errors, to_ms(p99.group(1)) if p99 else None, note


# ---- the server's process and the outbox ----------------------------------------------------------

def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return {"rss_mib": int(out["VmRSS"].split()[0]) / 1024, "threads": int(out["Threads"]),
            "fds": len(os.listdir(f"/proc/{pid}/fd"))}


class RssSampler:
    """VmRSS of `pid` once a second on a thread of its own; take() gives the
    median of the samples since the last take() and starts anew."""

    def __init__(self, pid):
        self.pid, self.samples, self.lock = pid, [], threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop.wait(1.0):
            try:
                rss = proc_status(self.pid)["rss_mib"]
            except (OSError, KeyError, ValueError):
                continue  # the server is gone: the minute's end notices
            with self.lock:
                self.samples.append(rss)

    def take(self, fallback):
        with self.lock:
            got, self.samples = sorted(self.samples), []
        return got[len(got) // 2] if got else fallback


class Outbox:
    """gatehouse_task by state, read straight from the database."""

    STATES = ("pending", "running", "done", "dead")

    def __init__(self, sqlite_path=None, pg_url=None, schema=None):
        self.sqlite_path, self.pg_url, self.schema = sqlite_path, pg_url, schema

    def _query(self, sql):
        if self.sqlite_path:
            db = sqlite3.connect(self.sqlite_path, timeout=10)
            try:
                return db.execute(sql).fetchall()
            finally:
                db.close()
        import psycopg2
        conn = psycopg2.connect(self.pg_url)
        try:
            with conn.cursor() as cur:
                cur.execute("SET search_path TO " + self.schema)
                cur.execute(sql)
                return cur.fetchall()
        finally:
            conn.close()

    def counts(self):
        n = dict.fromkeys(self.STATES, 0)
        for state, count in self._query("SELECT state, count(*) FROM gatehouse_task GROUP BY state"):
            n[state] = count
        return n

    def size_mib(self):
        """The SQLite database and its WAL on disk (None on PostgreSQL)."""
        if not self.sqlite_path:
            return None
        return sum(os.path.getsize(p) for p in (self.sqlite_path, self.sqlite_path + "-wal") if os.path.exists(p)) / 2 ** 20

    def dead(self):
        return self._query("SELECT id, name, attempts, last_error FROM gatehouse_task WHERE state = 'dead' ORDER BY id LIMIT 20")


def deployment_env(kind, tmp):
    """The server's environment for the deployment, and its Outbox."""
    env = {"GATEHOUSE_PBKDF2_ITERATIONS": "1000", "GATEHOUSE_THROTTLE": "0", "GATEHOUSE_ACCESS_LOG": "0",
           "GATEHOUSE_EMAIL_URL": "file:" + os.path.join(tmp, "mail")}
    if kind == "sqlite":
        path = os.path.join(tmp, "db.sqlite3")
        env["GATEHOUSE_DATABASE_URL"] = "sqlite:" + path
        return env, Outbox(sqlite_path=path)
    base, redis = os.environ.get("GATEHOUSE_TEST_POSTGRES_URL"), os.environ.get("GATEHOUSE_TEST_REDIS_URL")
    if not base or not redis:
        sys.exit("soak: --deployment postgresql_redis needs GATEHOUSE_TEST_POSTGRES_URL and GATEHOUSE_TEST_REDIS_URL "
                 "(scripts/postgres-cluster.sh start DIR, scripts/redis-server.sh start DIR)")
    import psycopg2
    schema = "soak_" + secrets.token_hex(6)
    conn = psycopg2.connect(base)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("CREATE SCHEMA " + schema)
    finally:
        conn.close()

    def drop():
        conn = psycopg2.connect(base)
        try:
            with conn, conn.cursor() as cur:
                cur.execute("DROP SCHEMA " + schema + " CASCADE")
        finally:
            conn.close()
    _cleanups.append(drop)
    env["GATEHOUSE_DATABASE_URL"] = base + ("&" if "?" in base else "?") + "options=-c%20search_path%3D" + schema
    env["GATEHOUSE_REDIS_URL"] = redis + "?prefix=" + schema + ":"
    env["GATEHOUSE_SECRET_KEY"] = secrets.token_urlsafe(40)
    return env, Outbox(pg_url=base, schema=schema)


# ---- the run -----------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gatehouse", default=os.path.join(ROOT, "build", "release", "gatehouse"))
    ap.add_argument("--minutes", type=int, default=10)
    ap.add_argument("--deployment", choices=("sqlite", "postgresql_redis"), default="sqlite")
    ap.add_argument("--minute-seconds", type=int, default=60, help="the length of a 'minute' (60; less only to try the script)")
    ap.add_argument("--threads", type=int, default=4, help="driver threads")
    ap.add_argument("--seed-users", type=int, default=20000,
                    help="users in the database before the server starts (20000; 0: an empty database)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (kept anyway on failure)")
    args = ap.parse_args()
    if args.minutes < 2:
        ap.error("--minutes must be at least 2 (the verdict compares the last minute with the second)")
    if not os.access(args.gatehouse, os.X_OK):
        sys.exit(f"soak: {args.gatehouse} is not an executable (build it: ./scripts/run.sh --version)")
    if not shutil.which("wrk"):
        sys.exit("soak: wrk is missing (scripts/install-deps.sh installs it)")
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)
    atexit.register(cleanup)
    # The server sees only the settings below: a developer's GATEHOUSE_CONFIG or
    # GATEHOUSE_DATABASE_URL must not reach it.
    for k in [k for k in os.environ if k.startswith("GATEHOUSE_") and not k.startswith("GATEHOUSE_TEST_")]:
        print(f"soak: ignoring {k} from the environment")
        del os.environ[k]

    tmp = tempfile.mkdtemp(prefix="gatehouse-soak-")
    passed = False
    try:
        passed = run(args, tmp)
    finally:
        cleanup()
        if passed and not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"soak: logs and data kept in {tmp}")
    return 0 if passed else 1


def seed_users(args, env, count):
    """`count` users written straight into the migrated database before the
    server starts, as a deployed database would hold: an empty one spends the
    first minutes growing into SQLite's page caches (bounded: 2 MiB per pooled
    connection), which is warm-up, not a leak, and would sit in minute 2."""
    if count == 0:
        return
    subprocess.run([args.gatehouse, "migrate"], env=dict(os.environ, **env), check=True, capture_output=True)
    salt = "soakseedsoakseedsoakse"
    digest = hashlib.pbkdf2_hmac("sha256", b"seeded user password", salt.encode(), 1000)
    encoded = f"pbkdf2_sha256$1000${salt}${base64.b64encode(digest).decode()}"
    joined = "2026-01-01 00:00:00"
    rows = [(encoded, f"seed{i:06d}", f"seed{i:06d}@example.org", joined) for i in range(count)]
    sql = ("INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff, "
           "is_active, date_joined) VALUES ({p}, {f}, {p}, '', '', {p}, {f}, {t}, {p})")
    url = env["GATEHOUSE_DATABASE_URL"]
    if url.startswith("sqlite:"):
        conn = sqlite3.connect(url[len("sqlite:"):])
        with conn:
            conn.executemany(sql.format(p="?", f="0", t="1"), rows)
        conn.close()
    else:
        import psycopg2
        conn = psycopg2.connect(url)
        with conn, conn.cursor() as cur:
            cur.executemany(sql.format(p="%s", f="false", t="true"), rows)
        conn.close()


def run(args, tmp):
    checks = Checks(f"soak ({args.deployment}, {args.minutes} min)")
    env, outbox = deployment_env(args.deployment, tmp)
    seed_users(args, env, args.seed_users)
    log_path = os.path.join(tmp, "serve.log")
    proc, port = start_server(args.gatehouse, env, log_path)
    _children.append(proc)
    stdout_lines = []
    threading.Thread(target=lambda: stdout_lines.extend(proc.stdout), daemon=True).start()  # never let its pipe fill
    pid = proc.pid
    version = subprocess.run([args.gatehouse, "--version"], capture_output=True, text=True).stdout.strip()
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    print(f"soak: {version or args.gatehouse}, {args.deployment}, pid {pid}, port {port}, {args.minutes} x "
          f"{args.minute_seconds} s, {os.cpu_count()} cores, started {started}", flush=True)

    mailbox = Mailbox(os.path.join(tmp, "mail"), os.path.join(tmp, "mail-read"))
    stats = Stats()
    driver = Driver(port, mailbox, stats, args.threads)

    # wrk's session: a user of its own that the driver never touches.
    try:
        wrk_user = driver.signup("wrk", [])
        wrk_client = driver.log_in(wrk_user)
        driver.call(wrk_client, "GET", "/api/me", check=lambda b: b.get("username") == wrk_user["username"])
    except Unexpected:
        print("soak: could not set up wrk's session:", *stats.samples, sep="\n  ")
        return False
    stats.roll()  # setup is not a minute's load
    cookie = "; ".join(f"{k}={v}" for k, v in wrk_client.cookies.items())
    me_lua = os.path.join(tmp, "me.lua")
    with open(me_lua, "w") as f:
        f.write("-- GET /api/me with a logged-in session (written by tests/soak/soak.py)\n"
                f'wrk.headers["Cookie"] = "{cookie}"\n')
    base = f"http://127.0.0.1:{port}"
    wrk_common = ["wrk", "-t1", f"-d{args.minute_seconds}s", "--timeout", "10s", "--latency"]

    zero = proc_status(pid)
    zero.update(outbox.counts(), db_mib=outbox.size_mib())
    rows = [dict(minute=0, me=0, health=0, drv=0, errors=0, p99_me=None, p99_health=None, mail_p50=None,
                 mail_max=None, **zero)]
    wrk_notes = []
    total_errors = 0
    driver.start()
    rss = RssSampler(pid)
    t_start = time.monotonic()
    try:
        for minute in range(1, args.minutes + 1):
            me = spawn(wrk_common + ["-c8", "-s", me_lua, base + "/api/me"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
            health = spawn(wrk_common + ["-c4", base + "/healthz"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
            results = []
            for name, p in (("/api/me", me), ("/healthz", health)):
                try:
                    out, _ = p.communicate(timeout=args.minute_seconds + 60)
                except subprocess.TimeoutExpired:
                    p.kill()
                    out, _ = p.communicate()
                    out += "\n(killed: wrk ran 60 s past its duration)"
                _children.remove(p)
                answered, errors, p99, note = parse_wrk(out, p.returncode)
                if note:
                    wrk_notes.append(f"minute {minute} wrk {name}: {note}")
                results.append((answered, errors, p99))
            (me_n, me_err, me_p99), (h_n, h_err, h_p99) = results
            drv_n, drv_err, delays = stats.roll()
            if minute == args.minutes:  # the flows in flight when the load stops belong to the last minute
                stuck = driver.finish()
                if stuck:
                    stats.error("driver: threads still running after the load", ", ".join(stuck))
                more_n, more_err, more_delays = stats.roll()
                drv_n, drv_err, delays = drv_n + more_n, drv_err + more_err, delays + more_delays
            alive = proc.poll() is None
            if not alive:
                stats.error("server: exited", f"status {proc.returncode}; see {log_path}")
                drv_err += 1
                sample = dict.fromkeys(("rss_mib", "threads", "fds"), 0)
            else:
                sample = proc_status(pid)
                sample["rss_mib"] = rss.take(sample["rss_mib"])
            sample.update(outbox.counts(), db_mib=outbox.size_mib())
            delays.sort()
            row = dict(minute=minute, me=me_n, health=h_n, drv=drv_n, errors=me_err + h_err + drv_err,
                       p99_me=me_p99, p99_health=h_p99, mail_p50=delays[len(delays) // 2] if delays else None,
                       mail_max=delays[-1] if delays else None, **sample)
            rows.append(row)
            total_errors += row["errors"]
            print(progress(row, time.monotonic() - t_start), flush=True)
            if not alive:
                break
    finally:
        driver.stop.set()  # on an exception or a signal: the threads are daemons, cleanup() ends the server
        rss.stop.set()
    driver.finish()

    # The load has stopped: the outbox must drain.
    t0 = time.monotonic()
    counts = outbox.counts()
    while (counts["pending"] or counts["running"]) and time.monotonic() - t0 < DRAIN_TIMEOUT and proc.poll() is None:
        time.sleep(0.25)
        counts = outbox.counts()
    drained_in = time.monotonic() - t0
    mailbox.scan(force=True)
    final = proc_status(pid) if proc.poll() is None else None

    print()
    print(table(rows))
    print()
    print("driver answers by request and status (the whole run):")
    by_label = collections.defaultdict(dict)
    for (label, status), n in sorted(stats.total.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
        by_label[label][status] = n
    for label, statuses in sorted(by_label.items()):
        print(f"  {label:<28} " + ", ".join(f"{s}: {n}" for s, n in statuses.items()))
    print("driver flows completed: " + ", ".join(f"{k} {v}" for k, v in sorted(stats.flows.items())))
    d = sorted(stats.all_mail_delays)
    if d:
        print(f"code emails: {len(d)} read, from the 202 of forgot to the file in the mail directory: "
              f"p50 {d[len(d) // 2] * 1000:.0f} ms, p99 {d[min(len(d) - 1, len(d) * 99 // 100)] * 1000:.0f} ms, "
              f"max {d[-1] * 1000:.0f} ms")
    if stats.errors:
        print("errors by kind:")
        for what, n in stats.errors.most_common():
            print(f"  {n:>6}  {what}")
        print("first errors in full:")
        for s in stats.samples:
            print("  " + s)
    for note in wrk_notes:
        print("  " + note)
    log_lines = open(log_path, errors="replace").read().splitlines()
    print(f"server log: {len(log_lines)} lines on stderr ({log_path})")
    for line in log_lines[-10:]:
        print("  | " + line[:300])

    # ---- the verdict
    print()
    second, last = rows[2] if len(rows) > 2 else rows[-1], rows[-1]

    def verdict(ok, text):
        checks.expect(ok, text)
        print(("PASS  " if ok else "FAIL  ") + text)

    verdict(proc.poll() is None, "the server ran to the end" + ("" if proc.poll() is None else f" (exited {proc.returncode})"))
    verdict(total_errors == 0, f"errors == 0: {total_errors} (wrk {sum(1 for _ in wrk_notes)} runs with errors, driver "
                               f"{sum(stats.errors.values())})")
    verdict(len(rows) == args.minutes + 1, f"minutes measured: {len(rows) - 1} of {args.minutes}")
    if len(rows) > 2:
        growth = (last["rss_mib"] - second["rss_mib"]) / second["rss_mib"] if second["rss_mib"] else float("inf")
        verdict(abs(growth) <= 0.10, f"RSS flat: minute {second['minute']} {second['rss_mib']:.1f} MiB, minute "
                                     f"{last['minute']} {last['rss_mib']:.1f} MiB ({growth * 100:+.1f}%, limit ±10%)"
                                     + (" - only 2 minutes: the last is the second" if args.minutes == 2 else ""))
        verdict(abs(last["fds"] - second["fds"]) <= 10, f"descriptors flat: minute {second['minute']} {second['fds']}, "
                                                        f"minute {last['minute']} {last['fds']} (limit ±10)")
    verdict(counts["pending"] == 0 and counts["running"] == 0,
            f"outbox drained after the load: pending {counts['pending']}, running {counts['running']} "
            f"{drained_in:.1f} s after it stopped (limit {DRAIN_TIMEOUT:.0f} s); done {counts['done']}")
    verdict(counts["dead"] == 0, f"dead jobs == 0: {counts['dead']}")
    for row in outbox.dead() if counts["dead"] else []:
        print(f"      dead job {row[0]} {row[1]} attempts {row[2]}: {row[3]}")
    welcome_missing = [a for a in driver.signed_up if mailbox.welcome[a.lower()] != 1]
    verdict(not welcome_missing, f"one welcome email per signup: {len(driver.signed_up)} signups, "
                                 f"{sum(mailbox.welcome.values())} welcome emails"
                                 + (f", wrong for {welcome_missing[:3]}" if welcome_missing else ""))
    code_wrong = [a for a, n in driver.forgot_known.items() if len(mailbox.codes[a.lower()]) != n]
    verdict(not code_wrong, f"one code email per forgot for a known address: {sum(driver.forgot_known.values())} "
                            f"forgot, {sum(len(mailbox.codes[a.lower()]) for a in driver.forgot_known)} code emails"
                            + (f", wrong for {code_wrong[:3]}" if code_wrong else ""))
    strays = [a for a in driver.forgot_unknown if mailbox.codes.get(a) or mailbox.welcome.get(a)]
    verdict(not strays and not mailbox.other and not mailbox.unreadable,
            f"no other email: {len(driver.forgot_unknown)} forgot for unknown addresses got {len(strays)}; "
            f"{len(mailbox.other)} other, {len(mailbox.unreadable)} unreadable files")
    if final:
        print(f"      after the drain: RSS {final['rss_mib']:.1f} MiB, {final['fds']} descriptors, {final['threads']} threads")
        # And it stops as it should: SIGTERM, a graceful stop, status 0.
        t0 = time.monotonic()
        proc.terminate()
        try:
            status = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            status = None
        verdict(status == 0, f"the server stops on SIGTERM: exit status {status} in {time.monotonic() - t0:.1f} s (limit 30 s)")
    return checks.finish() == 0


def fmt(v, spec, none="-"):
    return none if v is None else format(v, spec)


def progress(r, elapsed):
    return (f"minute {r['minute']:>2} ({elapsed:5.0f} s): wrk /api/me {r['me']}, /healthz {r['health']}, driver {r['drv']}, "
            f"errors {r['errors']}, RSS {r['rss_mib']:.1f} MiB, fds {r['fds']}, outbox pending {r['pending']} "
            f"done {r['done']} dead {r['dead']}")


def table(rows):
    head = (f"{'min':>3} {'wrk /api/me':>12} {'p99 ms':>7} {'wrk /healthz':>13} {'p99 ms':>7} {'driver':>7} "
            f"{'errors':>6} {'RSS MiB':>8} {'db MiB':>7} {'fds':>4} {'thr':>4} {'outbox pend/run/done/dead':>26} {'code mail p50/max ms':>21}")
    lines = [head, "-" * len(head)]
    for r in rows:
        box = f"{r['pending']}/{r['running']}/{r['done']}/{r['dead']}"
        mail = f"{fmt(r['mail_p50'] and r['mail_p50'] * 1000, '.0f')}/{fmt(r['mail_max'] and r['mail_max'] * 1000, '.0f')}"
        lines.append(f"{r['minute']:>3} {r['me']:>12} {fmt(r['p99_me'], '.2f'):>7} {r['health']:>13} "
                     f"{fmt(r['p99_health'], '.2f'):>7} {r['drv']:>7} {r['errors']:>6} {r['rss_mib']:>8.1f} {fmt(r['db_mib'], '.1f'):>7} {r['fds']:>4} "
                     f"{r['threads']:>4} {box:>26} {mail:>21}")
    total = [sum(r[k] for r in rows) for k in ("me", "health", "drv", "errors")]
    lines.append(f"{'all':>3} {total[0]:>12} {'':>7} {total[1]:>13} {'':>7} {total[2]:>7} {total[3]:>6}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
