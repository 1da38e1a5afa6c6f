#!/usr/bin/env python3
"""Out of file descriptors, the server backs off instead of spinning: with
its descriptor limit at 64 and 100 idle connections open against it, the
process uses little CPU and logs a few lines (not millions), and once the
connections close it serves again. Usage: descriptors_test.py GATEHOUSE."""
import os
import resource
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from checks import Checks  # noqa: E402
from gatehouse_client import Client, start_server  # noqa: E402


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    gatehouse = sys.argv[1]
    checks = Checks("descriptors")
    tmp = tempfile.mkdtemp(prefix="gatehouse-fd-")
    log_path = os.path.join(tmp, "serve.log")
    env = {"GATEHOUSE_DATABASE_URL": "sqlite:" + os.path.join(tmp, "db.sqlite3"), "GATEHOUSE_WORKER": "0",
           "GATEHOUSE_ACCESS_LOG": "0", "GATEHOUSE_EMAIL_URL": "memory:"}
    limit = 64
    old = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, old[1]))  # inherited by the server
    try:
        proc, port = start_server(gatehouse, env, log_path)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, old)
    idle = []
    try:
        checks.expect(Client(port).request("GET", "/healthz")[0] == 200, "serves before the flood")
        for _ in range(100):
            s = socket.socket()
            s.settimeout(2)
            try:
                s.connect(("127.0.0.1", port))
            except OSError:
                pass
            idle.append(s)
        time.sleep(0.5)  # the server meets its limit
        before_cpu = cpu_seconds(proc.pid)
        before_lines = sum(1 for _ in open(log_path))
        time.sleep(2.0)  # what the process does while it cannot accept
        used = cpu_seconds(proc.pid) - before_cpu
        lines = sum(1 for _ in open(log_path)) - before_lines
        print(f"descriptors: limit {limit}, 100 idle connections: {used:.2f} s of CPU and {lines} log lines in 2 s")
        checks.expect(used < 0.5, f"the accept loop spins: {used:.2f} s of CPU in 2 s")
        checks.expect(lines < 20, f"the log floods: {lines} lines in 2 s")
        checks.expect(proc.poll() is None, "the server is alive")
        for s in idle:
            s.close()
        idle.clear()
        served = False
        deadline = time.time() + 10
        while time.time() < deadline and not served:
            try:
                served = Client(port).request("GET", "/healthz")[0] == 200
            except OSError:
                time.sleep(0.1)
        checks.expect(served, "serves again once the connections close")
    finally:
        for s in idle:
            s.close()
        proc.terminate()
        proc.wait(timeout=20)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
