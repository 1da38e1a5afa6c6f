#!/usr/bin/python3
"""Scale-out: two `gatehouse serve` processes on different ports share one
PostgreSQL database and one Redis. A session made on one is valid on the
other, a logout on one ends it on both, a password change on one ends the
other sessions on both, failed logins spread over both count toward one
throttle, and a second-factor code used on one is refused on the other (a
pending login begun on one is completed on the other).

Usage: scale_out_test.py PATH_TO_GATEHOUSE  (uses GATEHOUSE_TEST_POSTGRES_URL
and GATEHOUSE_TEST_REDIS_URL, which scripts/test.sh sets)
"""
import hashlib
import hmac
import os
import secrets
import struct
import sys
import tempfile
import time
from base64 import b32decode

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from gatehouse_client import Client, start_server  # noqa: E402

import psycopg2  # noqa: E402

GATEHOUSE = sys.argv[1]
from checks import Checks  # noqa: E402

checks = Checks("scale-out")
expect = checks.expect


def totp(secret, steps=0):
    """The app's code for a base32 secret, `steps` time steps from now (RFC 6238, SHA-1, 6 digits)."""
    key = b32decode(secret + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">Q", int(time.time()) // 30 + steps), hashlib.sha1).digest()
    o = mac[19] & 15
    return "%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)


def second_factor(port_a, port_b):
    """Enrols bea on A; a code used on A is refused on B; a pending login from A completes on B."""
    password = "second factor passphrase 9"
    bea = Client(port_a)
    bea.csrf()
    bea.request("POST", "/api/signup", {"username": "bea", "email": "bea@example.com", "password": password})
    bea.request("POST", "/api/login", {"username": "bea", "password": password})
    status, setup, _ = bea.request("POST", "/api/mfa/totp/setup")
    expect(status == 200, f"setup on A: {status} {setup}")
    secret = setup["secret"]
    status, _, _ = bea.request("POST", "/api/mfa/totp/confirm", {"code": totp(secret)})
    expect(status == 200, f"confirm on A: {status}")
    one = Client(port_a)
    one.csrf()
    status, body, _ = one.request("POST", "/api/login", {"username": "bea", "password": password})
    expect(status == 200 and body.get("mfa_required") is True, f"the login on A asks for the code: {body}")
    status, _, _ = one.request("POST", "/api/login/mfa", {"code": totp(secret, 1)})
    expect(status == 200, f"the next step's code on A: {status}")
    other = Client(port_b)
    other.csrf()
    status, body, _ = other.request("POST", "/api/login", {"username": "bea", "password": password})
    expect(status == 200 and body.get("mfa_required") is True, f"the login on B asks for the code: {body}")
    status, body, _ = other.request("POST", "/api/login/mfa", {"code": totp(secret, 1)})
    expect(status == 400, f"the code A accepted is refused on B (a replay): {status} {body}")
    # A pending login begun on A, completed on B with a recovery code (another device: no delay).
    status, codes, _ = bea.request("POST", "/api/mfa/recovery-codes", {"password": password})
    expect(status == 200 and len(codes.get("recovery_codes", [])) == 10, f"new recovery codes on A: {status}")
    begun = Client(port_a)
    begun.csrf()
    begun.request("POST", "/api/login", {"username": "bea", "password": password})
    on_b = Client(port_b)
    on_b.cookies = dict(begun.cookies)
    status, _, _ = on_b.request("POST", "/api/login/mfa", {"recovery_code": codes["recovery_codes"][0]})
    expect(status == 200, f"a pending login begun on A completes on B: {status}")
    expect(on_b.request("GET", "/api/me")[0] == 200, "logged in on B")
    again = Client(port_a)
    again.csrf()
    again.request("POST", "/api/login", {"username": "bea", "password": password})
    status, _, _ = again.request("POST", "/api/login/mfa", {"recovery_code": codes["recovery_codes"][0]})
    expect(status == 400, f"that recovery code is refused on A afterwards: {status}")


def main():
    base = os.environ["GATEHOUSE_TEST_POSTGRES_URL"]
    redis = os.environ["GATEHOUSE_TEST_REDIS_URL"]
    schema = "scale_" + secrets.token_hex(6)
    with psycopg2.connect(base) as conn, conn.cursor() as cur:
        cur.execute("CREATE SCHEMA " + schema)
    env = {
        "GATEHOUSE_DATABASE_URL": base + ("&" if "?" in base else "?") + "options=-c%20search_path%3D" + schema,
        "GATEHOUSE_REDIS_URL": redis + "?prefix=" + schema + ":",
        "GATEHOUSE_SECRET_KEY": secrets.token_urlsafe(40),
        "GATEHOUSE_PBKDF2_ITERATIONS": "1000",
    }
    tmp = tempfile.mkdtemp()
    a, port_a = start_server(GATEHOUSE, env, os.path.join(tmp, "a.log"))
    b, port_b = start_server(GATEHOUSE, env, os.path.join(tmp, "b.log"))
    try:
        expect(port_a != port_b, "two ports")
        user = Client(port_a)
        user.csrf()
        status, body, _ = user.request("POST", "/api/signup",
                                       {"username": "ada", "email": "ada@example.com",
                                        "password": "correct horse battery staple"})
        expect(status == 201, f"signup on A: {status} {body}")
        status, _, _ = user.request("POST", "/api/login", {"username": "ada", "password": "correct horse battery staple"})
        expect(status == 200, f"login on A: {status}")
        # The same cookies, sent to B.
        on_b = Client(port_b)
        on_b.cookies = dict(user.cookies)
        status, body, _ = on_b.request("GET", "/api/me")
        expect(status == 200 and body["username"] == "ada", f"the session made on A is valid on B: {status}")
        status, body, _ = on_b.request("GET", "/api/sessions")
        expect(status == 200 and len(body["sessions"]) == 1 and body["sessions"][0]["current"],
               f"B lists the session made on A: {body}")

        # A second session, then a password change on B ends it everywhere.
        phone = Client(port_a)
        phone.csrf()
        phone.request("POST", "/api/login", {"username": "ada", "password": "correct horse battery staple"})
        expect(phone.request("GET", "/api/me")[0] == 200, "second session on A")
        status, _, _ = on_b.request("POST", "/api/password/change",
                                    {"old_password": "correct horse battery staple",
                                     "new_password": "a whole new passphrase 7"})
        expect(status == 204, f"password change on B: {status}")
        expect(phone.request("GET", "/api/me")[0] == 401, "the other session ended on A too")
        phone_on_b = Client(port_b)
        phone_on_b.cookies = dict(phone.cookies)
        expect(phone_on_b.request("GET", "/api/me")[0] == 401, "and on B")
        user.cookies = dict(on_b.cookies)  # B may have re-issued the cookie
        expect(user.request("GET", "/api/me")[0] == 200, "the changing session stays logged in, on A")

        # Logout on A ends the session on B.
        status, _, _ = user.request("POST", "/api/logout")
        expect(status == 204, "logout on A")
        stale = Client(port_b)
        stale.cookies = dict(on_b.cookies)
        expect(stale.request("GET", "/api/me")[0] == 401, "logged out on B too")

        # Failed logins alternate between A and B: the fifth failure locks the account on both.
        attacker_a, attacker_b = Client(port_a), Client(port_b)
        attacker_a.csrf()
        attacker_b.csrf()
        statuses = []
        for i in range(5):
            c = attacker_a if i % 2 == 0 else attacker_b
            statuses.append(c.request("POST", "/api/login", {"username": "ada", "password": f"wrong {i}"})[0])
        expect(statuses == [401] * 5, f"five failures: {statuses}")
        for c, name in ((attacker_a, "A"), (attacker_b, "B")):
            status, _, headers = c.request("POST", "/api/login",
                                           {"username": "ada", "password": "a whole new passphrase 7"})
            expect(status == 429 and int(headers.get("Retry-After", "0")) > 0,
                   f"throttled on {name} after failures spread over both: {status}")
        second_factor(port_a, port_b)
    finally:
        for p in (a, b):
            p.terminate()
            p.wait(timeout=30)
        with psycopg2.connect(base) as conn, conn.cursor() as cur:
            cur.execute("DROP SCHEMA " + schema + " CASCADE")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
