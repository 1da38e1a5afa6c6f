#!/usr/bin/python3
"""Crash safety: users sign up in a loop while `gatehouse serve` is killed
with SIGKILL at random moments and restarted. Afterwards every user whose
signup was answered 201 exists, and each received the welcome email the
outbox promised (at least once; duplicates, which at-least-once delivery
allows when a worker dies between sending and recording, are counted and
reported). Nothing committed is lost.

Usage: crash_test.py PATH_TO_GATEHOUSE sqlite|postgresql [SECONDS]
"""
import os
import random
import secrets
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from gatehouse_client import Client, free_port  # noqa: E402
from smtp_sink import Sink  # noqa: E402

GATEHOUSE, ENGINE = sys.argv[1], sys.argv[2]
SECONDS = float(sys.argv[3]) if len(sys.argv) > 3 else 15


class Server:
    def __init__(self, env, log):
        self.env, self.log, self.proc = env, log, None

    def start(self):
        self.proc = subprocess.Popen([GATEHOUSE, "serve"], env=self.env, stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        if "listening" not in line:
            raise RuntimeError("serve did not start: " + line)

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


def main():
    tmp = tempfile.mkdtemp()
    sink = Sink()
    port = free_port()
    env = dict(os.environ, GATEHOUSE_BIND="127.0.0.1:%d" % port, GATEHOUSE_EMAIL_URL=sink.url,
               GATEHOUSE_PBKDF2_ITERATIONS="1000", GATEHOUSE_WORKER_LEASE_SECONDS="2", GATEHOUSE_ACCESS_LOG="0",
               GATEHOUSE_THROTTLE="0")  # signups from one client, as fast as they go: not what this tests
    schema = None
    if ENGINE == "sqlite":
        path = os.path.join(tmp, "crash.sqlite3")
        env["GATEHOUSE_DATABASE_URL"] = "sqlite:" + path

        def query(sql):
            with sqlite3.connect(path, timeout=30) as db:
                return db.execute(sql).fetchall()
    else:
        import psycopg2
        base = os.environ["GATEHOUSE_TEST_POSTGRES_URL"]
        schema = "crash_" + secrets.token_hex(6)
        with psycopg2.connect(base) as conn, conn.cursor() as cur:
            cur.execute("CREATE SCHEMA " + schema)
        env["GATEHOUSE_DATABASE_URL"] = base + ("&" if "?" in base else "?") + "options=-c%20search_path%3D" + schema
        env["GATEHOUSE_SECRET_KEY"] = secrets.token_urlsafe(40)

        def query(sql):
            with psycopg2.connect(base, options="-c search_path=" + schema) as conn, conn.cursor() as cur:
                cur.execute(sql)
                return cur.fetchall()

    server = Server(env, open(os.path.join(tmp, "serve.log"), "w"))
    server.start()
    answered, errors = [], [0]
    lock = threading.Lock()
    stop = threading.Event()
    counter = iter(range(10 ** 9))

    def signer(n):
        client = Client(port)
        while not stop.is_set():
            try:
                if "csrftoken" not in client.cookies:
                    client.csrf()
                with lock:
                    i = next(counter)
                name = "u%d" % i
                status, _, _ = client.request("POST", "/api/signup",
                                              {"username": name, "email": name + "@example.com",
                                               "password": "crash test passphrase"})
                if status == 201:
                    with lock:
                        answered.append(name)
            except OSError:
                with lock:
                    errors[0] += 1
                time.sleep(0.05)

    threads = [threading.Thread(target=signer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    kills = 0
    deadline = time.time() + SECONDS
    while time.time() < deadline:
        time.sleep(random.uniform(0.2, 1.2))
        server.kill()
        kills += 1
        time.sleep(random.uniform(0, 0.3))
        server.start()
    stop.set()
    for t in threads:
        t.join()

    # Let the outbox drain: jobs a killed worker held come back when their lease ends.
    drained = False
    for _ in range(600):
        if query("SELECT count(*) FROM gatehouse_task WHERE state IN ('pending', 'running')")[0][0] == 0:
            drained = True
            break
        time.sleep(0.1)
    server.proc.terminate()
    server.proc.wait(timeout=30)

    users = {r[0] for r in query("SELECT username FROM auth_user")}
    dead = query("SELECT count(*) FROM gatehouse_task WHERE state = 'dead'")[0][0]
    received = {}
    for m in sink.messages():
        if m["Subject"] == "Welcome to Gatehouse":
            received[m["X-Envelope-To"]] = received.get(m["X-Envelope-To"], 0) + 1
    missing_users = [u for u in answered if u not in users]
    missing_mail = [u for u in users if received.get(u + "@example.com", 0) == 0]
    duplicates = sum(n - 1 for n in received.values() if n > 1)
    unanswered = len(users) - len(set(answered) & users)
    print(f"crash ({ENGINE}): {kills} SIGKILLs in {SECONDS:.0f} s; {len(answered)} signups answered 201, "
          f"{len(users)} users in the database ({unanswered} committed but unanswered when the server died), "
          f"{sum(received.values())} welcome emails, {duplicates} duplicates, {errors[0]} connection errors")
    ok = True
    for cond, what in ((drained, "the outbox drained"), (not missing_users, f"answered users exist: missing {missing_users[:5]}"),
                       (not missing_mail, f"every user got a welcome email: missing {missing_mail[:5]}"),
                       (dead == 0, f"no job was dead-lettered: {dead}"), (kills >= 5, "the server was killed repeatedly"),
                       (len(answered) >= 20, "signups were answered between the kills")):
        if not cond:
            print("FAIL:", what)
            ok = False
    sink.stop()
    if schema:
        import psycopg2
        with psycopg2.connect(os.environ["GATEHOUSE_TEST_POSTGRES_URL"]) as conn, conn.cursor() as cur:
            cur.execute("DROP SCHEMA " + schema + " CASCADE")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
