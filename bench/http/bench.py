#!/usr/bin/python3
"""HTTP benchmark: Gatehouse against a minimal Django 3.2 app under gunicorn,
on loopback, in one run, alternating the two. Both use SQLite, database
sessions, CSRF, and PBKDF2-SHA256 at 1,500,000 iterations.

Scenarios (wrk, --latency):
  healthz        GET /healthz: each server's own ceiling
  me_session     GET /api/me with a valid session cookie
  me_anonymous   GET /api/me without one (401)
  login          POST /api/login with the right password (hashing-bound)
  me_under_login GET /api/me with a session while `login` saturates the hash pool
  forgot_slow_smtp  POST /api/password/forgot for a known address while the SMTP
                 server takes 500 ms a message (Gatehouse only: the peer has no such endpoint)

Usage: bench/http/bench.py [--seconds N] [--rounds N] [--gatehouse PATH]
Prints one table: requests/s and p99 per server, and Gatehouse / Django.
"""
import argparse
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
from gatehouse_client import free_port  # noqa: E402
PEER = os.path.join(ROOT, "bench", "peers", "django")
USER, PASSWORD = "bench", "correct horse battery staple"


def wait_for(port, path="/healthz", timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", path)
            if c.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answers on port {port}")


def call(port, method, path, body=None, cookies=None, csrf=None):
    h = {"Referer": "http://127.0.0.1/"}
    if cookies:
        h["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    if csrf:
        h["X-CSRFToken"] = csrf
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request(method, path, body=data, headers=h)
    r = c.getresponse()
    r.read()
    jar = dict(cookies or {})
    for name, value in r.getheaders():
        if name.lower() == "set-cookie":
            m = re.match(r"([^=]+)=([^;]*)", value)
            if m:
                jar[m.group(1)] = m.group(2)
    return r.status, jar


def session_for(port, signup):
    _, jar = call(port, "GET", "/api/csrf")
    csrf = jar["csrftoken"]
    if signup:
        status, jar = call(port, "POST", "/api/signup", {"username": USER, "email": "b@example.com", "password": PASSWORD},
                           jar, csrf)
        assert status == 201, status
    status, jar = call(port, "POST", "/api/login", {"username": USER, "password": PASSWORD}, jar, csrf)
    assert status == 200, f"login for the benchmark: {status}"
    return jar["sessionid"], csrf


def to_ms(text):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v if unit == "ms" else v * 1000 if unit == "s" else v * 60000


def wrk(url, seconds, connections, headers=(), script=None, env=None):
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "30s"]
    for h in headers:
        cmd += ["-H", h]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, env={**os.environ, **(env or {})}, check=True).stdout
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    duration = to_ms(re.search(r"requests in ([\d.]+\w+),", out).group(1)) / 1000
    p99 = to_ms(re.search(r"\s99%\s+([\d.]+\w+)", out).group(1))
    return {"rps": total / duration, "ok_rps": (total - (int(bad.group(1)) if bad else 0)) / duration, "p99": p99,
            "non2xx": int(bad.group(1)) if bad else 0, "errors": errors.group(1) if errors else ""}


def scenarios(port, session, csrf, seconds, with_forgot=False):
    base = f"http://127.0.0.1:{port}"
    cookie = f"Cookie: sessionid={session}; csrftoken={csrf}"
    here = os.path.dirname(os.path.abspath(__file__))
    login_env = {"BENCH_CSRF": csrf, "BENCH_USER": USER, "BENCH_PASSWORD": PASSWORD}
    r = {}
    r["healthz"] = wrk(base + "/healthz", seconds, 16)
    r["me_session"] = wrk(base + "/api/me", seconds, 16, [cookie])
    r["me_anonymous"] = wrk(base + "/api/me", seconds, 16)
    r["login"] = wrk(base + "/api/login", seconds * 2, 8, script=os.path.join(here, "login.lua"), env=login_env)
    # /api/me while logins keep the hasher busy: both loads at once.
    cmd = ["wrk", "-t1", "-c8", f"-d{seconds + 4}s", "--timeout", "30s", "-s", os.path.join(here, "login.lua"),
           base + "/api/login"]
    bg = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, env={**os.environ, **login_env})
    time.sleep(2)
    r["me_under_login"] = wrk(base + "/api/me", seconds, 16, [cookie])
    bg.wait()
    if with_forgot:
        r["forgot_slow_smtp"] = wrk(base + "/api/password/forgot", seconds, 16, script=os.path.join(here, "forgot.lua"),
                                    env={"BENCH_CSRF": csrf, "BENCH_EMAIL": "b@example.com"})
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--gatehouse", default=os.path.join(ROOT, "build", "release", "gatehouse"))
    ap.add_argument("--django-workers", type=int, default=2 * os.cpu_count() + 1)
    args = ap.parse_args()
    for tool in ("wrk", "gunicorn"):
        if not shutil.which(tool):
            sys.exit(f"bench: {tool} is missing (scripts/install-deps.sh installs it)")
    tmp = tempfile.mkdtemp(prefix="gatehouse-bench-")
    procs = []
    try:
        gh_port, dj_port = free_port(), free_port()
        gh_env = {**os.environ, "GATEHOUSE_DATABASE_URL": "sqlite:" + os.path.join(tmp, "gatehouse.sqlite3"),
                  "GATEHOUSE_BIND": f"127.0.0.1:{gh_port}", "GATEHOUSE_ACCESS_LOG": "0"}
        gh_env.pop("GATEHOUSE_PBKDF2_ITERATIONS", None)  # the default: 1,500,000
        # A slow SMTP server (500 ms a message) behind the outbox; throttles off for the load.
        sink = subprocess.Popen(["/usr/bin/python3", os.path.join(ROOT, "tests", "mail", "smtp_sink.py"),
                                 os.path.join(tmp, "mail"), "--delay-ms", "500"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
        procs.append(sink)
        gh_env["GATEHOUSE_EMAIL_URL"] = "smtp://127.0.0.1:" + sink.stdout.readline().split()[1]
        gh_env["GATEHOUSE_THROTTLE"] = "0"
        procs.append(subprocess.Popen([args.gatehouse, "serve"], env=gh_env, stdout=subprocess.DEVNULL,
                                      stderr=open(os.path.join(tmp, "gatehouse.log"), "w")))
        dj_env = {**os.environ, "PEER_DATABASE": os.path.join(tmp, "django.sqlite3"), "PYTHONPATH": PEER}
        subprocess.run(["/usr/bin/python3", os.path.join(PEER, "manage.py"), "migrate", "-v0"], env=dj_env, check=True)
        subprocess.run(["/usr/bin/python3", os.path.join(PEER, "manage.py"), "shell", "-c",
                        f"from django.contrib.auth.models import User; User.objects.create_user('{USER}', 'b@example.com', '{PASSWORD}')"],
                       env=dj_env, check=True)
        procs.append(subprocess.Popen(["gunicorn", "--workers", str(args.django_workers), "--bind", f"127.0.0.1:{dj_port}",
                                       "--chdir", PEER, "--log-level", "warning", "peer.wsgi"], env=dj_env,
                                      stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "django.log"), "w")))
        wait_for(gh_port)
        wait_for(dj_port)
        gh_session = session_for(gh_port, signup=True)
        dj_session = session_for(dj_port, signup=False)
        results = {"gatehouse": [], "django": []}
        for rnd in range(args.rounds):
            for name, port, (sess, csrf) in (("gatehouse", gh_port, gh_session), ("django", dj_port, dj_session)):
                print(f"round {rnd + 1}: {name} ...", file=sys.stderr, flush=True)
                results[name].append(scenarios(port, sess, csrf, args.seconds, with_forgot=name == "gatehouse"))
        best = {n: {} for n in results}
        # The outbox after the load: jobs the slow SMTP server has yet to take.
        import sqlite3
        with sqlite3.connect(os.path.join(tmp, "gatehouse.sqlite3")) as db:
            backlog = db.execute("SELECT state, count(*) FROM gatehouse_task GROUP BY state").fetchall()
        for n, runs in results.items():
            for s in runs[0]:
                # The median of the rounds' throughput (with 2 rounds, their mean), and the worse p99.
                # me_anonymous is answered 401 by design: count every response there.
                key = "rps" if s == "me_anonymous" else "ok_rps"
                vals = sorted(r[s][key] for r in runs)
                mid = len(vals) // 2
                rps = vals[mid] if len(vals) % 2 else (vals[mid - 1] + vals[mid]) / 2
                best[n][s] = {"ok_rps": rps, "p99": max(r[s]["p99"] for r in runs),
                              "non2xx": sum(r[s]["non2xx"] for r in runs), "errors": [r[s]["errors"] for r in runs if r[s]["errors"]]}
        print(f"{'scenario':<16}{'gatehouse req/s':>16}{'p99 ms':>9}{'django req/s':>14}{'p99 ms':>9}{'ratio':>8}")
        for s in best["gatehouse"]:
            g, d = best["gatehouse"][s], best["django"].get(s)
            if d is None:
                print(f"{s:<16}{g['ok_rps']:>16.1f}{g['p99']:>9.2f}{'-':>14}{'-':>9}{'-':>8}")
                continue
            ratio = g["ok_rps"] / d["ok_rps"] if d["ok_rps"] else float("inf")
            print(f"{s:<16}{g['ok_rps']:>16.1f}{g['p99']:>9.2f}{d['ok_rps']:>14.1f}{d['p99']:>9.2f}{ratio:>7.1f}x")
        g = best["gatehouse"]
        print(f"gatehouse me_session / healthz: {g['me_session']['ok_rps'] / g['healthz']['ok_rps']:.2f}")
        print(f"gatehouse outbox after the run (state, jobs): {backlog}")
        for n in best:
            for s, v in best[n].items():
                if v["errors"]:
                    print(f"note: {n} {s} socket errors: {v['errors']}")
    finally:
        for p in procs:
            if p.stdin:
                p.stdin.close()
            p.terminate()
            p.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
