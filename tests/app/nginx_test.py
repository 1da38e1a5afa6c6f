"""Gatehouse behind a real nginx (Debian's), on loopback, with the shipped
configuration docs/nginx/gatehouse.conf (only its addresses, ports and paths
replaced): nginx terminates TLS with a certificate made here and proxies to
`gatehouse serve`, which trusts nginx's address (GATEHOUSE_TRUSTED_PROXIES).

Clients connect from addresses of their own (127.0.0.3, 127.0.0.4), so the
test can tell the real client from nginx (127.0.0.1) and from each other:
- a file nginx serves, and an upstream of nginx's, are reachable only with a
  Gatehouse session, and the upstream sees X-Gatehouse-User-Id (not what the
  client wrote);
- cookies are Secure because X-Forwarded-Proto says https, and CSRF expects
  an https Origin;
- the session list and the throttle see the real client's address; a forged
  X-Forwarded-For is ignored from an untrusted peer and, through nginx,
  sits to the left of what nginx appends.

usage: nginx_test.py PATH_TO_GATEHOUSE
"""
import http.client
import http.server
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from gatehouse_client import free_port, start_server  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLIENT_A, CLIENT_B = "127.0.0.3", "127.0.0.4"
PASSWORD = "correct horse battery staple 42"
failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)


class Browser:
    """Cookies, the CSRF token and a fixed source address, over HTTPS to nginx
    (or over plain HTTP straight to Gatehouse)."""

    def __init__(self, port, source, tls_context=None):
        self.port, self.source, self.tls = port, source, tls_context
        self.cookies = {}
        self.set_cookie_lines = []

    def request(self, method, path, body=None, headers=None):
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method not in ("GET", "HEAD") and "csrftoken" in self.cookies:
            h.setdefault("X-CSRFToken", self.cookies["csrftoken"])
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        if self.tls:
            conn = http.client.HTTPSConnection("localhost", self.port, timeout=30, context=self.tls,
                                               source_address=(self.source, 0))
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30, source_address=(self.source, 0))
        try:
            conn.request(method, path, body=data, headers=h)
            resp = conn.getresponse()
            raw = resp.read()
            self.set_cookie_lines = [v for k, v in resp.getheaders() if k.lower() == "set-cookie"]
            for line in self.set_cookie_lines:
                m = re.match(r"([^=]+)=([^;]*)", line)
                if m and m.group(2) not in ("", '""') and "Max-Age=0" not in line:
                    self.cookies[m.group(1)] = m.group(2)
                elif m:
                    self.cookies.pop(m.group(1), None)
            try:
                parsed = json.loads(raw) if raw else None
            except ValueError:
                parsed = raw.decode(errors="replace")
            return resp.status, parsed, {k.lower(): v for k, v in resp.getheaders()}
        finally:
            conn.close()

    def cookie_line(self, name):
        return next((line for line in self.set_cookie_lines if line.startswith(name + "=")), "")


class Echo(http.server.BaseHTTPRequestHandler):
    """The protected application: answers with the headers it was sent."""

    def do_GET(self):  # noqa: N802 (http.server's naming)
        body = json.dumps({k.lower(): v for k, v in self.headers.items()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def make_certificate(tmp):
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key


def nginx_config(tmp, port, gatehouse_port, app_port, cert, key, private):
    """The shipped example with this run's addresses, wrapped in a main nginx.conf."""
    with open(os.path.join(ROOT, "docs", "nginx", "gatehouse.conf")) as f:
        site = f.read()
    for old, new in (("listen 443 ssl;", f"listen 127.0.0.1:{port} ssl;"), ("server_name accounts.example.com;",
                     "server_name localhost;"), ("127.0.0.1:8000", f"127.0.0.1:{gatehouse_port}"),
                     ("127.0.0.1:9000", f"127.0.0.1:{app_port}"), ("/etc/ssl/certs/gatehouse.pem", cert),
                     ("/etc/ssl/private/gatehouse.key", key), ("/srv/private/", private + "/")):
        if old not in site:
            raise RuntimeError(f"docs/nginx/gatehouse.conf no longer has '{old}': update this test")
        site = site.replace(old, new)
    with open(os.path.join(tmp, "gatehouse.conf"), "w") as f:
        f.write(site)
    temp = os.path.join(tmp, "nginx-temp")
    os.makedirs(temp)
    main = f"""
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log info;
events {{ worker_connections 128; }}
http {{
    access_log {tmp}/nginx-access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    default_type application/octet-stream;
    include {tmp}/gatehouse.conf;
}}
"""
    path = os.path.join(tmp, "nginx.conf")
    with open(path, "w") as f:
        f.write(main)
    return path


def wait_for_port(port, proc, log):
    deadline = time.time() + 20
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("nginx exited: " + open(log).read())
        try:
            import socket
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nginx did not listen on " + str(port))


def create_user(gatehouse, env, username):
    e = dict(os.environ, **env)
    e["GATEHOUSE_SUPERUSER_PASSWORD"] = PASSWORD
    subprocess.run([gatehouse, "createsuperuser", "--username", username, "--email", username + "@example.com",
                    "--noinput"], env=e, check=True, capture_output=True)


def guarded_locations_and_secure_cookies(nginx_port, tls):
    """Through nginx: the guarded locations, the cookies, the session list."""
    a = Browser(nginx_port, CLIENT_A, tls)
    # A file of nginx's, without a session: sent to the login page.
    status, _, headers = a.request("GET", "/private/report.txt")
    location = re.sub(r"^https://localhost:\d+", "", headers.get("location", ""))
    check(status == 302 and location == "/accounts/login/?next=/private/report.txt",
          f"without a session the file sends the browser to log in ({status} {headers.get('location')})")
    status, _, _ = a.request("GET", "/app/hello")
    check(status == 302, f"without a session the upstream is not reached ({status})")

    status, body, _ = a.request("GET", "/api/csrf")
    check(status == 200 and "; Secure" in a.cookie_line("csrftoken"),
          f"the csrftoken cookie is Secure behind https ({a.cookie_line('csrftoken')})")
    origin = f"https://localhost:{nginx_port}"
    status, _, _ = a.request("POST", "/api/login", {"username": "alice", "password": PASSWORD},
                             {"Origin": f"http://localhost:{nginx_port}"})
    check(status == 403, f"an http Origin is refused: the page was https ({status})")
    status, body, headers = a.request("POST", "/api/login", {"username": "alice", "password": PASSWORD},
                                      {"Origin": origin, "X-Forwarded-For": "203.0.113.66"})
    check(status == 200, f"login through nginx with an https Origin ({status} {body})")
    check("; Secure" in a.cookie_line("sessionid") and "HttpOnly" in a.cookie_line("sessionid"),
          f"the session cookie is Secure and HttpOnly ({a.cookie_line('sessionid')})")
    check("max-age=" in headers.get("strict-transport-security", ""),
          f"HSTS over https ({headers.get('strict-transport-security')})")
    user_id = body["id"] if isinstance(body, dict) else None

    status, body, _ = a.request("GET", "/api/sessions")
    addresses = [s["address"] for s in body["sessions"]] if status == 200 else []
    check(addresses == [CLIENT_A],
          f"the session list shows the real client, not nginx nor the forged X-Forwarded-For ({addresses})")

    status, body, _ = a.request("GET", "/private/report.txt")
    check(status == 200 and body == "quarterly figures\n", f"with a session nginx serves the file ({status} {body!r})")
    status, body, _ = a.request("GET", "/app/hello", headers={"X-Gatehouse-User-Id": "1", "X-Gatehouse-Username": "root"})
    check(status == 200 and body.get("x-gatehouse-user-id") == str(user_id)
          and body.get("x-gatehouse-username") == "alice",
          f"the upstream sees the user nginx was told, not the client's forgery ({status} {body})")
    status, _, headers = a.request("HEAD", "/api/auth/verify")
    check(status == 200 and headers.get("x-gatehouse-user-id") == str(user_id), f"HEAD /api/auth/verify ({status})")



def forged_headers_and_throttle(nginx_port, gatehouse_port, tls):
    """Straight to Gatehouse, past nginx, the headers are not believed; the
    throttle keys on the real client behind nginx."""
    origin = f"https://localhost:{nginx_port}"
    direct = Browser(gatehouse_port, CLIENT_A)
    status, body, _ = direct.request("GET", "/api/csrf", headers={"X-Forwarded-Proto": "https",
                                                                  "X-Forwarded-For": "198.51.100.1"})
    check(status == 200 and "Secure" not in direct.cookie_line("csrftoken"),
          f"an untrusted peer's X-Forwarded-Proto is ignored ({direct.cookie_line('csrftoken')})")
    b_direct = Browser(gatehouse_port, CLIENT_B)
    b_direct.request("GET", "/api/csrf")
    status, _, _ = b_direct.request("POST", "/api/login", {"username": "bob", "password": PASSWORD},
                                    {"X-Forwarded-For": "198.51.100.1"})
    status, body, _ = b_direct.request("GET", "/api/sessions")
    addresses = [s["address"] for s in body["sessions"]] if status == 200 else []
    check(addresses == [CLIENT_B], f"a forged X-Forwarded-For from an untrusted peer is ignored ({addresses})")

    # B's guesses through nginx lock B out, not A.
    b = Browser(nginx_port, CLIENT_B, tls)
    b.request("GET", "/api/csrf")
    statuses = [b.request("POST", "/api/login", {"username": f"guess{i}", "password": "wrong"},
                          {"Origin": origin})[0] for i in range(20)]
    check(statuses == [401] * 20, f"20 failed logins from one client ({sorted(set(statuses))})")
    status, _, headers = b.request("POST", "/api/login", {"username": "bob", "password": PASSWORD}, {"Origin": origin})
    check(status == 429 and "retry-after" in headers, f"that client is then throttled ({status})")
    c = Browser(nginx_port, CLIENT_A, tls)
    c.request("GET", "/api/csrf")
    status, _, _ = c.request("POST", "/api/login", {"username": "bob", "password": PASSWORD}, {"Origin": origin})
    check(status == 200, f"another client behind the same nginx still logs in ({status})")


def main():
    gatehouse = os.path.abspath(sys.argv[1])
    if shutil.which("nginx") is None and not os.path.exists("/usr/sbin/nginx"):
        print("FAIL nginx is not installed (scripts/install-deps.sh installs nginx-light)")
        return 1
    tmp = tempfile.mkdtemp(prefix="gatehouse-nginx-")
    os.chmod(tmp, 0o755)  # nginx's workers run as another user when started by root
    procs = []
    try:
        cert, key = make_certificate(tmp)
        os.chmod(key, 0o644)
        private = os.path.join(tmp, "private")
        os.makedirs(private)
        with open(os.path.join(private, "report.txt"), "w") as f:
            f.write("quarterly figures\n")
        app = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
        threading.Thread(target=app.serve_forever, daemon=True).start()
        env = {"GATEHOUSE_DATABASE_URL": f"sqlite:{tmp}/gatehouse.sqlite3", "GATEHOUSE_TRUSTED_PROXIES": "127.0.0.1/32",
               "GATEHOUSE_HSTS_SECONDS": "3600", "GATEHOUSE_PBKDF2_ITERATIONS": "1000"}
        for name in ("alice", "bob"):
            create_user(gatehouse, env, name)
        server, gatehouse_port = start_server(gatehouse, env, os.path.join(tmp, "gatehouse.log"))
        procs.append(server)
        nginx_port = free_port()
        conf = nginx_config(tmp, nginx_port, gatehouse_port, app.server_address[1], cert, key, private)
        nginx = subprocess.Popen(["nginx", "-p", tmp, "-c", conf], stdout=subprocess.DEVNULL,
                                 stderr=open(os.path.join(tmp, "nginx-stderr.log"), "w"))
        procs.append(nginx)
        wait_for_port(nginx_port, nginx, os.path.join(tmp, "nginx-stderr.log"))
        tls = ssl.create_default_context(cafile=cert)
        guarded_locations_and_secure_cookies(nginx_port, tls)
        forged_headers_and_throttle(nginx_port, gatehouse_port, tls)
        check(server.poll() is None, "gatehouse is still running")
        app.shutdown()
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        if failures:
            for log in ("gatehouse.log", "nginx-error.log"):
                path = os.path.join(tmp, log)
                if os.path.exists(path):
                    print(f"--- {log} (last lines)")
                    print("".join(open(path).readlines()[-30:]))
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"nginx: {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
