"""A small HTTP client for the Python tests: keeps cookies like a browser,
sends the CSRF token on unsafe methods, and starts `gatehouse serve`
processes on free loopback ports."""
import http.client
import json
import os
import re
import socket
import subprocess
import time


class Client:
    def __init__(self, port):
        self.port = port
        self.cookies = {}

    def request(self, method, path, body=None, headers=None):
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method not in ("GET", "HEAD") and "csrftoken" in self.cookies:
            h.setdefault("X-CSRFToken", self.cookies["csrftoken"])
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=data, headers=h)
            resp = conn.getresponse()
            raw = resp.read()
            for name, value in resp.getheaders():
                if name.lower() == "set-cookie":
                    m = re.match(r"([^=]+)=([^;]*)", value)
                    if m:
                        if m.group(2) == "" or "Max-Age=0" in value:
                            self.cookies.pop(m.group(1), None)
                        else:
                            self.cookies[m.group(1)] = m.group(2)
            try:
                parsed = json.loads(raw) if raw else None
            except ValueError:
                parsed = raw.decode(errors="replace")
            return resp.status, parsed, dict(resp.getheaders())
        finally:
            conn.close()

    def csrf(self):
        return self.request("GET", "/api/csrf")


def wait_for(predicate, seconds=15):
    """Polls `predicate` every 50 ms until it is truthy (an email to arrive, a
    server to answer) or `seconds` pass; returns its last value."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    return predicate()


def free_port():
    """A loopback port nobody listens on now."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_server(gatehouse, env_extra, log_path, prefix=()):
    """Starts `gatehouse serve` on a free port; returns (process, port).
    `prefix` goes before the command (e.g. prlimit and its options)."""
    env = dict(os.environ)
    env.update({"GATEHOUSE_BIND": "127.0.0.1:0"})
    env.update(env_extra)
    log = open(log_path, "w")
    proc = subprocess.Popen([*prefix, gatehouse, "serve"], env=env, stdout=subprocess.PIPE, stderr=log, text=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        m = re.search(r"listening on http://[^:]+:(\d+)/", line)
        if m:
            return proc, int(m.group(1))
    proc.kill()
    raise RuntimeError("gatehouse serve did not start; see " + log_path)
