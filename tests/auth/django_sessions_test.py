#!/usr/bin/python3
"""Sessions shared with Django: Debian's Django 3.2, configured in this
process on the SAME SQLite database as a running `gatehouse serve` and the
SAME secret key, with Django's defaults for sessions (the database backend,
the JSON serializer, the `sessionid` cookie) and Django's ModelBackend.

  (a) a login on Gatehouse (POST /api/login) -> its sessionid cookie is a
      logged-in session on Django: the view answers 200 with the username;
  (b) a login on Django (django.test.Client.login) -> its sessionid cookie is
      a logged-in session on Gatehouse: GET /api/me answers 200 with the user;
  (c) a logout on Gatehouse (POST /api/logout) -> that cookie is anonymous on
      Django (401);
  (d) a logout on Django (its logout view) -> that cookie gets 401 on
      Gatehouse's GET /api/me.

The schema comes from `gatehouse migrate` alone: Django's own migrate is not
run; the tables and columns Django's models need are checked first.

Usage: django_sessions_test.py PATH_TO_GATEHOUSE
"""
import os
import re
import secrets
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from checks import Checks  # noqa: E402
from cleanup import on_exit, run_now, scratch_dir, stop_process  # noqa: E402
from django_schema import missing_tables_and_columns  # noqa: E402
from gatehouse_client import Client, free_port  # noqa: E402

if len(sys.argv) != 2:
    sys.exit("usage: django_sessions_test.py PATH_TO_GATEHOUSE")
GATEHOUSE = os.path.abspath(sys.argv[1])

# ---- cleanup on every exit path ------------------------------------------------------
TMP = scratch_dir("gatehouse-django-sessions.")
on_exit(lambda: None, name="django_sessions")  # names this test in cleanup messages
DB_PATH = os.path.join(TMP, "shared.sqlite3")
SECRET_KEY = secrets.token_urlsafe(40)

# ---- Django, in this process ------------------------------------------------------------
import django  # noqa: E402
from django.conf import settings  # noqa: E402

settings.configure(
    DEBUG=False,
    SECRET_KEY=SECRET_KEY,
    ALLOWED_HOSTS=["testserver"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": DB_PATH}},
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "django.contrib.sessions"],
    MIDDLEWARE=[
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
    ],
    ROOT_URLCONF=__name__,
    AUTHENTICATION_BACKENDS=["django.contrib.auth.backends.ModelBackend"],
    SESSION_ENGINE="django.contrib.sessions.backends.db",
    SESSION_SERIALIZER="django.contrib.sessions.serializers.JSONSerializer",
    USE_TZ=True,
    TIME_ZONE="UTC",
    DEFAULT_AUTO_FIELD="django.db.models.AutoField",
)
django.setup()

from django.apps import apps  # noqa: E402
from django.contrib.auth import logout as django_logout  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client as DjangoClient  # noqa: E402
from django.urls import path  # noqa: E402


def whoami(request):
    if request.user.is_authenticated:
        return HttpResponse(request.user.get_username(), content_type="text/plain")
    return HttpResponse("anonymous", status=401, content_type="text/plain")


def logout_view(request):
    django_logout(request)
    return HttpResponse(status=204)


urlpatterns = [path("whoami/", whoami), path("logout/", logout_view)]
on_exit(connections.close_all)

checks = Checks("django_sessions")
expect = checks.expect


def django_client(session_key):
    """A fresh django.test.Client carrying only the given sessionid cookie."""
    c = DjangoClient()
    if session_key:
        c.cookies[settings.SESSION_COOKIE_NAME] = session_key
    return c


def django_whoami(session_key):
    r = django_client(session_key).get("/whoami/")
    return r.status_code, r.content.decode(errors="replace")


def session_data(session_key):
    """The session as Django decodes it (an empty dict when missing or unreadable)."""
    try:
        return dict(SessionStore(session_key=session_key).load())
    except Exception as e:  # noqa: BLE001 -- shown in a failure message
        return {"<error>": repr(e)}


def gatehouse_login(port, username, password):
    c = Client(port)
    c.csrf()
    status, body, _ = c.request("POST", "/api/login", {"username": username, "password": password})
    return c, status, body


def gatehouse_me(port, session_key):
    c = Client(port)
    c.cookies["sessionid"] = session_key
    status, body, _ = c.request("GET", "/api/me")
    return status, body


def start_server(env, log_path):
    """`gatehouse serve` with exactly `env`; (process, port) once it prints where it listens."""
    log = open(log_path, "w")
    on_exit(log.close)
    proc = subprocess.Popen([GATEHOUSE, "serve"], env=env, stdout=subprocess.PIPE, stderr=log, text=True,
                            stdin=subprocess.DEVNULL)
    on_exit(lambda: proc.poll() is None and (proc.kill(), proc.wait()))
    line = proc.stdout.readline()
    m = re.search(r"listening on http://[^:]+:(\d+)/", line)
    if not m:
        proc.wait(timeout=15)
        with open(log_path) as f:
            raise RuntimeError("gatehouse serve did not start (exit %s): %s%s" % (proc.returncode, line, f.read()))
    # Keep reading what it prints, so a full pipe never blocks it.
    threading.Thread(target=lambda: proc.stdout.read(), daemon=True).start()
    return proc, int(m.group(1))


def unapplied_django_migrations():
    from django.db.migrations.executor import MigrationExecutor
    executor = MigrationExecutor(connection)
    return [m for m, _ in executor.migration_plan(executor.loader.graph.leaf_nodes())]


def main():
    env = {
        "GATEHOUSE_DATABASE_URL": "sqlite:" + DB_PATH,
        "GATEHOUSE_SECRET_KEY": SECRET_KEY,
        "GATEHOUSE_BIND": "127.0.0.1:%d" % free_port(),
        "GATEHOUSE_PBKDF2_ITERATIONS": "1000",
        "GATEHOUSE_EMAIL_URL": "memory:",
        "GATEHOUSE_THROTTLE": "0",
        "GATEHOUSE_ACCESS_LOG": "0",
    }
    # Only this test's GATEHOUSE_* variables (no inherited GATEHOUSE_REDIS_URL, _CONFIG, _SESSION_STORE...).
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
    full_env.update(env)
    migrate = subprocess.run([GATEHOUSE, "migrate"], env=full_env, capture_output=True, text=True)
    if migrate.returncode != 0:
        print("FAIL: gatehouse migrate exited %d: %s" % (migrate.returncode, migrate.stderr.strip()))
        return 1

    missing = missing_tables_and_columns(connection)
    expect(not missing, "`gatehouse migrate` made every table and column Django's auth, contenttypes and "
                        "sessions models use; missing: %s" % ", ".join(missing))
    if missing:
        return checks.finish()
    unapplied = unapplied_django_migrations()
    if unapplied:
        # Not needed to run (the tables are there); a Django project adopting this database
        # would see these as unapplied (`migrate --fake-initial` records them).
        print("info: Django's migration recorder lists %d migrations as unapplied (%s, ...); not needed here"
              % (len(unapplied), ", ".join(str(m) for m in unapplied[:3])))

    proc, port = start_server(full_env, os.path.join(TMP, "serve.log"))

    on_exit(lambda: stop_process(proc))

    # Users, made on Gatehouse; one per check, since a Django login re-hashes the password
    # at Django's own iteration count (which changes the session auth hash).
    users = {}
    maker = Client(port)
    maker.csrf()
    for name in ("ada", "bob", "cyd", "dee"):
        password = "shared passphrase %s %s" % (name, secrets.token_hex(3))
        status, body, _ = maker.request("POST", "/api/signup",
                                        {"username": name, "email": name + "@example.com", "password": password})
        expect(status == 201, "signup of %s on Gatehouse: %s %s" % (name, status, body))
        users[name] = password

    # (a) Gatehouse login -> Django sees the user.
    c, status, body = gatehouse_login(port, "ada", users["ada"])
    key = c.cookies.get("sessionid")
    expect(status == 200 and key, "(a) login on Gatehouse: %s %s" % (status, body))
    if key:
        status, text = django_whoami(key)
        expect(status == 200 and text == "ada",
               "(a) Gatehouse's sessionid cookie is a logged-in session on Django: %s %r; the session as "
               "Django decodes it: %r" % (status, text, session_data(key)))

    # (b) Django login -> Gatehouse sees the user.
    dc = DjangoClient()
    logged_in = dc.login(username="bob", password=users["bob"])
    expect(logged_in, "(b) login on Django (Client.login) with the password set on Gatehouse")
    if logged_in:
        key = dc.cookies[settings.SESSION_COOKIE_NAME].value
        expect(django_whoami(key) == (200, "bob"), "(b) Django's own cookie is logged in on Django")
        status, body = gatehouse_me(port, key)
        expect(status == 200 and isinstance(body, dict) and body.get("username") == "bob",
               "(b) Django's sessionid cookie is a logged-in session on Gatehouse's /api/me: %s %s; the "
               "session: %r" % (status, body, session_data(key)))

    # (c) Gatehouse logout -> anonymous on Django.
    c, status, body = gatehouse_login(port, "cyd", users["cyd"])
    key = c.cookies.get("sessionid")
    expect(status == 200 and key, "(c) login on Gatehouse: %s %s" % (status, body))
    if key:
        before = django_whoami(key)
        expect(before == (200, "cyd"), "(c) before the logout, the cookie is logged in on Django: %s %r; "
                                       "the session: %r" % (before[0], before[1], session_data(key)))
        status, _, _ = c.request("POST", "/api/logout")
        expect(status == 204, "(c) logout on Gatehouse: %s" % status)
        after = django_whoami(key)
        expect(after[0] == 401, "(c) after the logout on Gatehouse, the cookie is anonymous on Django: %s %r"
                                % after)

    # (d) Django logout -> 401 on Gatehouse.
    dc = DjangoClient()
    logged_in = dc.login(username="dee", password=users["dee"])
    expect(logged_in, "(d) login on Django")
    if logged_in:
        key = dc.cookies[settings.SESSION_COOKIE_NAME].value
        status, body = gatehouse_me(port, key)
        expect(status == 200 and isinstance(body, dict) and body.get("username") == "dee",
               "(d) before the logout, the cookie is logged in on Gatehouse: %s %s" % (status, body))
        r = dc.post("/logout/")
        expect(r.status_code == 204, "(d) logout on Django: %s" % r.status_code)
        expect(django_whoami(key)[0] == 401, "(d) the cookie is anonymous on Django after its logout")
        status, body = gatehouse_me(port, key)
        expect(status == 401, "(d) after the logout on Django, the cookie gets 401 on Gatehouse: %s %s"
                              % (status, body))

    expect(proc.poll() is None, "the server kept running (exit status %s)" % proc.poll())
    return checks.finish()


if __name__ == "__main__":
    code = 1
    try:
        code = main()
    except Exception as e:
        import traceback
        traceback.print_exc()
        print("FAIL: django_sessions could not run: %s" % e)
        code = 1
    finally:
        run_now()
    sys.exit(code)
