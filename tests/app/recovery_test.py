#!/usr/bin/python3
"""Account recovery for real: a running `gatehouse serve` and a real SMTP
server (aiosmtpd). Signup sends a welcome email; forgot emails a code; the
code resets the password once; the old sessions end; wrong codes, unknown
addresses and floods get the answers they should; and a slow SMTP server
does not slow the HTTP answer.

Usage: recovery_test.py PATH_TO_GATEHOUSE sqlite|postgresql_redis
"""
import os
import re
import secrets
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from gatehouse_client import Client, start_server, wait_for  # noqa: E402
from smtp_sink import Sink  # noqa: E402

GATEHOUSE, DEPLOYMENT = sys.argv[1], sys.argv[2]
from checks import Checks  # noqa: E402

checks = Checks("recovery (" + DEPLOYMENT + ")")
expect = checks.expect



def environment(tmp):
    env = {"GATEHOUSE_PBKDF2_ITERATIONS": "1000", "GATEHOUSE_ACCESS_LOG": "0"}
    if DEPLOYMENT == "sqlite":
        env["GATEHOUSE_DATABASE_URL"] = "sqlite:" + os.path.join(tmp, "db.sqlite3")
        return env, lambda: None
    import psycopg2
    base = os.environ["GATEHOUSE_TEST_POSTGRES_URL"]
    schema = "recovery_" + secrets.token_hex(6)
    with psycopg2.connect(base) as conn, conn.cursor() as cur:
        cur.execute("CREATE SCHEMA " + schema)
    env["GATEHOUSE_DATABASE_URL"] = base + ("&" if "?" in base else "?") + "options=-c%20search_path%3D" + schema
    env["GATEHOUSE_REDIS_URL"] = os.environ["GATEHOUSE_TEST_REDIS_URL"] + "?prefix=" + schema + ":"
    env["GATEHOUSE_SECRET_KEY"] = secrets.token_urlsafe(40)

    def drop():
        with psycopg2.connect(base) as conn, conn.cursor() as cur:
            cur.execute("DROP SCHEMA " + schema + " CASCADE")
    return env, drop


def code_from(message):
    m = re.search(r"^\s{4}(\d{8})\s*$", message.get_body(("plain",)).get_content(), re.M)
    return m.group(1) if m else None


def main():
    tmp = tempfile.mkdtemp()
    env, cleanup = environment(tmp)
    sink = Sink()
    slow = Sink("--delay-ms", "2000")
    servers = []
    try:
        proc, port = start_server(GATEHOUSE, dict(env, GATEHOUSE_EMAIL_URL=sink.url), os.path.join(tmp, "serve.log"))
        servers.append(proc)
        user = Client(port)
        user.csrf()
        address = "zoe@example.com"
        status, body, _ = user.request("POST", "/api/signup", {"username": "zoe", "email": address,
                                                               "password": "first passphrase 1"})
        expect(status == 201, f"signup: {status} {body}")
        welcome = wait_for(lambda: sink.to(address))
        expect(len(welcome) == 1 and welcome[0]["Subject"] == "Welcome to Gatehouse", "the welcome email arrived over SMTP")
        expect(user.request("POST", "/api/login", {"username": "zoe", "password": "first passphrase 1"})[0] == 200, "login")
        phone = Client(port)
        phone.csrf()
        phone.request("POST", "/api/login", {"username": "zoe", "password": "first passphrase 1"})

        anon = Client(port)
        anon.csrf()
        s1, b1, _ = anon.request("POST", "/api/password/forgot", {"email": address})
        s2, b2, _ = anon.request("POST", "/api/password/forgot", {"email": "nobody@example.com"})
        expect(s1 == 202 and s2 == 202 and b1 == b2, f"forgot answers alike: {s1} {b1} / {s2} {b2}")
        mails = wait_for(lambda: len(sink.to(address)) >= 2 and sink.to(address))
        code = code_from(mails[-1]) if mails else None
        expect(code is not None, "the code arrived over SMTP")
        time.sleep(1)
        expect(sink.to("nobody@example.com") == [], "nothing is sent to an unknown address")

        wrong = "00000000" if code != "00000000" else "11111111"
        s, b, _ = anon.request("POST", "/api/password/reset", {"email": address, "code": wrong, "new_password": "second passphrase 2"})
        expect(s == 400 and b.get("error") == "invalid_code", f"a wrong code: {s} {b}")
        s, b, _ = anon.request("POST", "/api/password/reset", {"email": address, "code": code, "new_password": "second passphrase 2"})
        expect(s == 204, f"reset with the code: {s} {b}")
        expect(user.request("GET", "/api/me")[0] == 401 and phone.request("GET", "/api/me")[0] == 401,
               "every old session was ended")
        s, _, _ = anon.request("POST", "/api/password/reset", {"email": address, "code": code, "new_password": "third passphrase 3"})
        expect(s == 400, "a used code is refused")
        again = Client(port)
        again.csrf()
        expect(again.request("POST", "/api/login", {"username": "zoe", "password": "first passphrase 1"})[0] == 401,
               "the old password is refused")
        expect(again.request("POST", "/api/login", {"username": "zoe", "password": "second passphrase 2"})[0] == 200,
               "the new password works")

        # Five wrong tries kill a code.
        anon.request("POST", "/api/password/forgot", {"email": address})
        mails = wait_for(lambda: len(sink.to(address)) >= 3 and sink.to(address))
        code = code_from(mails[-1]) if mails else None
        wrong = "00000000" if code != "00000000" else "11111111"
        for _ in range(5):
            anon.request("POST", "/api/password/reset", {"email": address, "code": wrong, "new_password": "fourth passphrase 4"})
        s, _, _ = anon.request("POST", "/api/password/reset", {"email": address, "code": code, "new_password": "fourth passphrase 4"})
        expect(s == 400, "five wrong tries kill the code")

        statuses = [anon.request("POST", "/api/password/forgot", {"email": "flood@example.com"})[0] for _ in range(7)]
        expect(statuses[:5] == [202] * 5 and statuses[5:] == [429, 429], f"forgot is throttled per address: {statuses}")

        # A slow SMTP server does not reach the HTTP answer.
        proc2, port2 = start_server(GATEHOUSE, dict(env, GATEHOUSE_EMAIL_URL=slow.url), os.path.join(tmp, "serve2.log"))
        servers.append(proc2)
        c = Client(port2)
        c.csrf()
        t0 = time.time()
        s, _, _ = c.request("POST", "/api/password/forgot", {"email": "zoe@example.com"})
        took = time.time() - t0
        expect(s == 202 and took < 1.0, f"forgot answered in {took * 1000:.0f} ms with a 2 s SMTP server")

        # An expired code: a server whose codes live one second, alone on the outbox.
        for p in servers:
            p.terminate()
            p.wait(timeout=30)
        servers.clear()
        proc3, port3 = start_server(GATEHOUSE, dict(env, GATEHOUSE_EMAIL_URL=sink.url, GATEHOUSE_RESET_CODE_SECONDS="1"),
                                    os.path.join(tmp, "serve3.log"))
        servers.append(proc3)
        brief = Client(port3)
        brief.csrf()
        before = len(sink.to(address))
        brief.request("POST", "/api/password/forgot", {"email": address})
        mails = wait_for(lambda: len(sink.to(address)) > before and sink.to(address))
        code = code_from(mails[-1]) if mails else None
        time.sleep(1.5)
        s, b, _ = brief.request("POST", "/api/password/reset", {"email": address, "code": code, "new_password": "fifth passphrase 5"})
        expect(code is not None and s == 400 and b.get("error") == "invalid_code", f"an expired code is refused: {s} {b}")

    finally:
        for p in servers:
            p.terminate()
            p.wait(timeout=30)
        sink.stop()
        slow.stop()
        cleanup()
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
