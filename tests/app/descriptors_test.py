#!/usr/bin/env python3
"""Out of file descriptors, the server backs off instead of spinning: with
its descriptor limit at 64 and 100 idle connections open against it, the
process uses little CPU and logs a few lines (not millions), and once the
connections close it serves again. Usage: descriptors_test.py GATEHOUSE."""
import os
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
    # Soft and hard: serve raises its soft limit towards the hard one.
    proc, port = start_server(gatehouse, env, log_path, prefix=("prlimit", f"--nofile={limit}:{limit}", "--"))
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
        checks.expect("the descriptor limit is 64, under max_connections + 128" in open(log_path).read(),
                      "a hard limit under max_connections is said at start")
    finally:
        for s in idle:
            s.close()
        proc.terminate()
        proc.wait(timeout=20)
    raised_to_the_hard_limit(gatehouse, env, tmp, checks)
    return checks.finish()


def raised_to_the_hard_limit(gatehouse, env, tmp, checks):
    """A soft limit of 256 under a hard one of 4096 (a shell's, systemd's
    default soft limit is 1024): serve raises the soft one as far as
    max_connections needs, here to the hard limit, and says it falls short."""
    log_path = os.path.join(tmp, "raised.log")
    proc, _ = start_server(gatehouse, env, log_path, prefix=("prlimit", "--nofile=256:4096", "--"))
    try:
        with open(f"/proc/{proc.pid}/limits") as f:
            line = next(x for x in f if x.startswith("Max open files")).split()
        checks.expect(line[3:5] == ["4096", "4096"], f"soft limit raised to the hard one: {line[3:5]}")
        checks.expect("the descriptor limit is 4096, under max_connections + 128 (10128)" in open(log_path).read(),
                      "the shortfall under the default max_connections is said")
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    log_path = os.path.join(tmp, "enough.log")
    proc, _ = start_server(gatehouse, dict(env, GATEHOUSE_MAX_CONNECTIONS="100"), log_path,
                           prefix=("prlimit", "--nofile=64:4096", "--"))
    try:
        with open(f"/proc/{proc.pid}/limits") as f:
            line = next(x for x in f if x.startswith("Max open files")).split()
        checks.expect(line[3] == "228", f"soft limit raised to max_connections + 128 only: {line[3]}")
        checks.expect("descriptor limit" not in open(log_path).read(), "nothing said when the limit suffices")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


if __name__ == "__main__":
    sys.exit(main())
