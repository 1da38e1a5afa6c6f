#!/usr/bin/python3
"""Second factors shared with django-otp, both ways, on one database.

Debian's python3-django-otp 1.1 (with Django 3.2) runs in this process on the
SAME database and secret key as a running `gatehouse serve` (GATEHOUSE_SITE_NAME
is django-otp's OTP_TOTP_ISSUER):

  1. `gatehouse migrate` makes django-otp's tables: Django's migration plan for
     otp_totp and otp_static is empty, and the tables are those Django's own
     migrate makes (on a second, Django-migrated database: SQLite's CREATE
     TABLE text, PostgreSQL's columns, types and nullability).
  2. Gatehouse -> django-otp: a user enrols an app through /api/mfa/totp/setup
     and confirm (the code computed by django_otp.oath.totp from the secret the
     API gave); django-otp's TOTPDevice row is confirmed, its config_url is
     the otpauth_uri Gatehouse gave; the code that confirmed it is refused by
     django-otp's verify_token (a replay); the next step's code is accepted
     there (moving last_t and the drift); that code is then refused by
     Gatehouse's /api/login/mfa, and the code after it (in reach with the drift
     django-otp recorded) is accepted.
  3. django-otp -> Gatehouse: a TOTPDevice made by django-otp logs in on
     Gatehouse with its code, and that code is then refused by django-otp.
     A StaticDevice token made by django-otp (StaticToken.random_token) logs in
     once on Gatehouse as a recovery code, is gone for django-otp afterwards,
     and refused by Gatehouse a second time.
  4. The growing delay is shared: after three wrong codes in django-otp the
     right code gets 429 from Gatehouse; after django-otp's throttle_reset it
     works.
  5. Gatehouse's recovery codes are stored hashed: no token row holds a code
     (django-otp, which compares plain text, accepts none of them; this is the
     documented difference).

The figures printed at the end (codes accepted and refused on each side) go
in the closing note.

Usage: django_otp_test.py PATH_TO_GATEHOUSE sqlite|postgresql
postgresql uses GATEHOUSE_TEST_POSTGRES_URL (a schema of its own per database).
"""
import os
import secrets
import subprocess
import sys
import time
from base64 import b32decode
from urllib.parse import urlsplit, parse_qs, unquote

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from checks import Checks  # noqa: E402
from cleanup import on_exit, run_now, scratch_dir, stop_process  # noqa: E402
from gatehouse_client import Client, start_server  # noqa: E402

if len(sys.argv) != 3 or sys.argv[2] not in ("sqlite", "postgresql"):
    sys.exit("usage: django_otp_test.py PATH_TO_GATEHOUSE sqlite|postgresql")
GATEHOUSE = os.path.abspath(sys.argv[1])
ENGINE = sys.argv[2]
NAME = "django_otp (%s)" % ENGINE
TMP = scratch_dir("gatehouse-django-otp.")
on_exit(lambda: None, name=NAME)
SECRET_KEY = secrets.token_urlsafe(40)
SITE = "Gatehouse OTP test"


def postgres_schema(base, prefix):
    """A fresh schema on the test cluster, as a database URL whose search_path is it."""
    import psycopg2
    name = prefix + secrets.token_hex(6)
    conn = psycopg2.connect(base)
    conn.autocommit = True
    conn.cursor().execute('CREATE SCHEMA "%s"' % name)
    conn.close()

    def drop():
        c = psycopg2.connect(base)
        c.autocommit = True
        c.cursor().execute('DROP SCHEMA IF EXISTS "%s" CASCADE' % name)
        c.close()
    on_exit(drop)
    sep = "&" if "?" in base else "?"
    return base + sep + "options=-csearch_path%3D" + name


def django_database(url):
    if url.startswith("sqlite:"):
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": url[len("sqlite:"):]}
    u = urlsplit(url)
    query = parse_qs(u.query)
    return {"ENGINE": "django.db.backends.postgresql", "NAME": u.path.lstrip("/"), "USER": unquote(u.username or ""),
            "PASSWORD": unquote(u.password or ""), "HOST": u.hostname, "PORT": str(u.port or 5432),
            "OPTIONS": {"options": query["options"][0]} if "options" in query else {}}


if ENGINE == "sqlite":
    SHARED_URL = "sqlite:" + os.path.join(TMP, "shared.sqlite3")
    REFERENCE_URL = "sqlite:" + os.path.join(TMP, "reference.sqlite3")
else:
    if not os.environ.get("GATEHOUSE_TEST_POSTGRES_URL"):
        sys.exit("django_otp: GATEHOUSE_TEST_POSTGRES_URL is not set (scripts/test.sh starts a server)")
    SHARED_URL = postgres_schema(os.environ["GATEHOUSE_TEST_POSTGRES_URL"], "django_otp_")
    REFERENCE_URL = postgres_schema(os.environ["GATEHOUSE_TEST_POSTGRES_URL"], "django_otp_ref_")

import django  # noqa: E402
from django.conf import settings  # noqa: E402

settings.configure(
    SECRET_KEY=SECRET_KEY,
    DATABASES={"default": django_database(SHARED_URL), "reference": django_database(REFERENCE_URL)},
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "django_otp",
                    "django_otp.plugins.otp_totp", "django_otp.plugins.otp_static"],
    OTP_TOTP_ISSUER=SITE,
    USE_TZ=True,
    TIME_ZONE="UTC",
    DEFAULT_AUTO_FIELD="django.db.models.AutoField",
)
django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from django.db.migrations.executor import MigrationExecutor  # noqa: E402
from django_otp.oath import hotp  # noqa: E402
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

on_exit(connections.close_all)
checks = Checks(NAME)
FIGURES = {"gatehouse_accepted": 0, "gatehouse_refused": 0, "django_accepted": 0, "django_refused": 0}


def expect(ok, what):
    print(("ok: " if ok else "FAIL: ") + what, flush=True)
    checks.passed += 1 if ok else 0
    checks.failed += 0 if ok else 1
    return ok


def step_now():
    return int(time.time()) // 30


def code_for(key, step):
    """The 6-digit code of `key` (bytes) at time step `step`, as django_otp.oath computes it."""
    return "%06d" % hotp(key, step)


# ---- 1. the schema ------------------------------------------------------------------------
OTP_TABLES = ("otp_totp_totpdevice", "otp_static_staticdevice", "otp_static_statictoken")


def table_shapes(alias):
    conn = connections[alias]
    out = {}
    with conn.cursor() as cur:
        for table in OTP_TABLES:
            if conn.vendor == "sqlite":
                cur.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s", [table])
                row = cur.fetchone()
                out[table] = row[0] if row else None
            else:
                cur.execute("SELECT column_name, data_type, is_nullable, character_maximum_length FROM "
                            "information_schema.columns WHERE table_schema = current_schema() AND table_name = %s "
                            "ORDER BY column_name", [table])
                out[table] = cur.fetchall() or None
            if conn.vendor == "sqlite":
                cur.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = %s ORDER BY name", [table])
            else:
                cur.execute("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s "
                            "ORDER BY indexname", [table])
            out[table + " indexes"] = [r[0] for r in cur.fetchall()]
    return out


def check_schema():
    executor = MigrationExecutor(connections["default"])
    plan = [m for m, _ in executor.migration_plan(executor.loader.graph.leaf_nodes())
            if m.app_label in ("otp_totp", "otp_static")]
    expect(not plan, "Django's plan for otp_totp and otp_static after `gatehouse migrate` is empty: %s" % plan)
    call_command("migrate", "otp_totp", database="reference", verbosity=0)
    call_command("migrate", "otp_static", database="reference", verbosity=0)
    mine, theirs = table_shapes("default"), table_shapes("reference")
    for table in mine:
        same = bool(mine[table]) and mine[table] == theirs[table]
        expect(same, "%s is what Django's migrate makes" % table +
               ("" if same else ":\n  gatehouse: %s\n  django:    %s" % (mine[table], theirs[table])))


# ---- 2.-5. codes both ways ---------------------------------------------------------------------
def gatehouse(port, username, password, email=None):
    """A logged-in (or pending) API client."""
    c = Client(port)
    c.csrf()
    if email is not None:
        status, body, _ = c.request("POST", "/api/signup", {"username": username, "email": email, "password": password})
        expect(status == 201, "signup of %s: %s %s" % (username, status, body))
    status, body, _ = c.request("POST", "/api/login", {"username": username, "password": password})
    return c, status, body


def gatehouse_second_step(c, body, what, expected_status):
    status, answer, _ = c.request("POST", "/api/login/mfa", body)
    FIGURES["gatehouse_accepted" if status == 200 else "gatehouse_refused"] += 1
    return expect(status == expected_status, "%s: Gatehouse answers %s (%s %s)" % (what, expected_status, status, answer))


def django_verify(device, code, what, expected):
    device.refresh_from_db()
    device.throttle_reset()  # each check judges the code, not an earlier check's delay
    ok = device.verify_token(code)
    FIGURES["django_accepted" if ok else "django_refused"] += 1
    return expect(ok == expected, "%s: django-otp %s it" % (what, "accepts" if expected else "refuses"))


def gatehouse_to_django(port):
    password = "gatehouse enrols " + secrets.token_hex(4)
    c, status, _ = gatehouse(port, "gh_ann", password, "ann@example.com")
    expect(status == 200, "gh_ann logs in with the password alone before enrolling")
    status, setup, _ = c.request("POST", "/api/mfa/totp/setup")
    expect(status == 200, "setup: %s %s" % (status, setup))
    key = b32decode(setup["secret"] + "=" * (-len(setup["secret"]) % 8))
    step = step_now()
    status, confirmed, _ = c.request("POST", "/api/mfa/totp/confirm", {"code": code_for(key, step)})
    expect(status == 200 and len(confirmed.get("recovery_codes", [])) == 10, "confirm: %s %s" % (status, confirmed))
    device = TOTPDevice.objects.get(user__username="gh_ann")
    expect(device.confirmed and device.key == key.hex(), "django-otp reads the device Gatehouse made (confirmed, same key)")
    expect(device.config_url == setup["otpauth_uri"], "django-otp's config_url is Gatehouse's otpauth_uri: %s vs %s"
           % (device.config_url, setup["otpauth_uri"]))
    django_verify(device, code_for(key, step), "the code that confirmed the device, again", False)
    before = step_now()
    django_verify(device, code_for(key, step + 1), "the next step's code", True)
    after = step_now()
    device.refresh_from_db()
    expect(device.drift in (step + 1 - before, step + 1 - after),
           "django-otp recorded the drift of the step it matched (drift %d)" % device.drift)
    c, status, body = gatehouse(port, "gh_ann", password)
    expect(status == 200 and body.get("mfa_required") is True, "gh_ann's login asks for the second step: %s" % body)
    gatehouse_second_step(c, {"code": code_for(key, step + 1)}, "the code django-otp accepted", 400)
    device.refresh_from_db()
    expect(device.throttling_failure_count == 1, "Gatehouse counted the replay in django-otp's column")
    device.throttle_reset()  # its one-second delay, waited out without waiting
    c, _, _ = gatehouse(port, "gh_ann", password)
    gatehouse_second_step(c, {"code": code_for(key, step + 2)}, "the code after it (in reach through the drift)", 200)
    django_verify(device, code_for(key, step + 2), "the code Gatehouse accepted", False)
    # 5. Gatehouse's recovery codes are hashed in django-otp's token table.
    tokens = list(StaticToken.objects.filter(device__user__username="gh_ann").values_list("token", flat=True))
    expect(len(tokens) == 10 and all(t.startswith("!") for t in tokens), "ten hashed tokens ('!...'): %s" % tokens[:2])
    plain = {code.replace("-", "") for code in confirmed["recovery_codes"]}
    expect(not any(t in plain or t[1:] in plain for t in tokens), "no recovery code is stored as typed")
    return password


def django_to_gatehouse(port):
    password = "django enrols " + secrets.token_hex(4)
    maker = Client(port)
    maker.csrf()
    status, _, _ = maker.request("POST", "/api/signup", {"username": "dj_bob", "email": "bob@example.com", "password": password})
    expect(status == 201, "dj_bob signs up")
    user = User.objects.get(username="dj_bob")
    device = TOTPDevice.objects.create(user=user, name="django phone", confirmed=True)
    key = device.bin_key
    c, status, body = gatehouse(port, "dj_bob", password)
    expect(body.get("methods") == ["totp"], "Gatehouse sees the device django-otp made: %s" % body)
    step = step_now()
    gatehouse_second_step(c, {"code": code_for(key, step)}, "django-otp's device's code", 200)
    django_verify(device, code_for(key, step), "the code Gatehouse accepted", False)
    static = StaticDevice.objects.create(user=user, name="backup")
    token = StaticToken.random_token()
    static.token_set.create(token=token)
    c, _, body = gatehouse(port, "dj_bob", password)
    expect(body.get("methods") == ["totp", "recovery_code"], "a static device's token is a recovery method: %s" % body)
    gatehouse_second_step(c, {"recovery_code": token}, "django-otp's static token", 200)
    static.refresh_from_db()
    expect(not static.token_set.filter(token=token).exists(), "the token is gone for django-otp")
    FIGURES["django_refused"] += 1
    c, _, _ = gatehouse(port, "dj_bob", password)
    gatehouse_second_step(c, {"recovery_code": token}, "the same token again", 400)
    # 4. The growing delay is shared.
    for _ in range(3):
        device.throttle_increment()
    c, _, _ = gatehouse(port, "dj_bob", password)
    status, answer, headers = c.request("POST", "/api/login/mfa", {"code": code_for(key, step_now() + 1)})
    expect(status == 429 and "Retry-After" in headers,
           "after three failures in django-otp, Gatehouse holds even the right code back: %s %s" % (status, answer))
    device.throttle_reset()
    gatehouse_second_step(c, {"code": code_for(key, step_now() + 1)}, "after django-otp's throttle_reset", 200)


def main():
    env = {"GATEHOUSE_DATABASE_URL": SHARED_URL, "GATEHOUSE_SECRET_KEY": SECRET_KEY, "GATEHOUSE_SITE_NAME": SITE,
           "GATEHOUSE_PBKDF2_ITERATIONS": "1000", "GATEHOUSE_EMAIL_URL": "memory:", "GATEHOUSE_ACCESS_LOG": "0"}
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
    full_env.update(env)
    migrate = subprocess.run([GATEHOUSE, "migrate"], env=full_env, capture_output=True, text=True)
    if not expect(migrate.returncode == 0, "gatehouse migrate: %s" % migrate.stderr.strip()):
        return checks.finish()
    check_schema()
    proc, port = start_server(GATEHOUSE, env, os.path.join(TMP, "serve.log"))
    on_exit(lambda: stop_process(proc))
    gatehouse_to_django(port)
    django_to_gatehouse(port)
    print("figures: Gatehouse accepted %(gatehouse_accepted)d and refused %(gatehouse_refused)d codes; "
          "django-otp accepted %(django_accepted)d and refused %(django_refused)d" % FIGURES)
    return checks.finish()


if __name__ == "__main__":
    try:
        code = main()
    finally:
        run_now()
    sys.exit(code)
