#!/usr/bin/python3
"""The gatehouse command against a real database: migrate, check,
createsuperuser (--noinput and at a terminal), changepassword (stdin and
terminal), and its one-line errors.

Usage: cli_test.py PATH_TO_GATEHOUSE ENGINE   (ENGINE: sqlite or postgresql;
postgresql uses the cluster in GATEHOUSE_TEST_POSTGRES_URL)
"""
import os
import pty
import secrets
import select
import subprocess
import sys
import tempfile
import time

GATEHOUSE, ENGINE = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from checks import Checks  # noqa: E402

checks = Checks("cli-" + ENGINE)
expect = checks.expect


def database_url(tmp):
    if ENGINE == "sqlite":
        return "sqlite:" + os.path.join(tmp, "cli.sqlite3")
    import psycopg2
    base = os.environ["GATEHOUSE_TEST_POSTGRES_URL"]
    schema = "cli_" + secrets.token_hex(6)
    with psycopg2.connect(base) as conn, conn.cursor() as cur:
        cur.execute("CREATE SCHEMA " + schema)
    return base + ("&" if "?" in base else "?") + "options=-c%20search_path%3D" + schema


tmp = tempfile.mkdtemp()
ENV = dict(os.environ, GATEHOUSE_DATABASE_URL=database_url(tmp), GATEHOUSE_PBKDF2_ITERATIONS="1000")
if ENGINE == "postgresql":
    ENV["GATEHOUSE_SECRET_KEY"] = secrets.token_urlsafe(40)  # check and serve need one with PostgreSQL


def run(args, stdin=b"", env=None):
    r = subprocess.run([GATEHOUSE] + args, input=stdin, capture_output=True, env=env or ENV, timeout=120)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def run_at_terminal(args, answers):
    """Runs the command on a pty, answering each prompt (a substring) in turn."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(GATEHOUSE, [GATEHOUSE] + args, ENV)
    output = b""
    pending = list(answers)
    deadline = time.time() + 60
    while time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        if pending and pending[0][0].encode() in output.split(b"\n")[-1]:
            os.write(fd, pending.pop(0)[1].encode() + b"\n")
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


def one_line(err):
    return err.count("\n") == 1 and err.startswith("gatehouse: ")


# check before migrating, then a plain migrate, on a database of its own
FIRST = dict(ENV, GATEHOUSE_DATABASE_URL=database_url(tempfile.mkdtemp()))
rc, out, err = run(["check"], env=FIRST)
expect(rc == 1 and "not applied" in err, "check before migrate: %d %s" % (rc, err))
rc, out, err = run(["migrate"], env=FIRST)
expect(rc == 0 and "Applied auth.0001_initial" in out and "Applied accounts.0001_profile" in out
       and "Applied sessions.0001_initial" in out and "Applied cache.0001_initial" in out,
       "migrate: %d %s %s" % (rc, out, err))
ALL_MIGRATIONS = out.count("Applied ")

# two `gatehouse migrate` processes at once on a fresh database: both succeed,
# and each migration is applied (and recorded) exactly once
racers = [subprocess.Popen([GATEHOUSE, "migrate"], env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
          for _ in range(2)]
outputs = [r.communicate(timeout=120) for r in racers]
expect(all(r.returncode == 0 for r in racers), "concurrent migrate: %r" % [o[1].decode() for o in outputs])
applied_lines = sum(o[0].decode().count("Applied ") for o in outputs)
expect(applied_lines == ALL_MIGRATIONS,
       "concurrent migrate applied %d migrations in all (want %d)" % (applied_lines, ALL_MIGRATIONS))

# migrate and check
rc, out, err = run(["migrate"])
expect(rc == 0 and "No migrations to apply." in out, "migrate twice: %s" % out)
rc, out, err = run(["check"])
expect(rc == 0 and "no issues" in out, "check after migrate: %s %s" % (out, err))

# createsuperuser --noinput
good = "correct horse battery staple"
rc, out, err = run(["createsuperuser", "--noinput", "--username", "admin", "--email", "admin@example.com"],
                   env=dict(ENV, GATEHOUSE_SUPERUSER_PASSWORD=good))
expect(rc == 0 and "created" in out, "createsuperuser --noinput: %d %s" % (rc, err))
expect(good not in out + err, "the password was printed")
rc, out, err = run(["createsuperuser", "--noinput", "--username", "admin"], env=dict(ENV, GATEHOUSE_SUPERUSER_PASSWORD=good))
expect(rc != 0 and "already taken" in err and one_line(err), "duplicate username: %d %r" % (rc, err))
rc, out, err = run(["createsuperuser", "--noinput", "--username", "bob", "--email", "not-an-email"])
expect(rc != 0 and "valid email" in err and one_line(err), "invalid email: %r" % err)
rc, out, err = run(["createsuperuser", "--noinput", "--username", "bob"], env=dict(ENV, GATEHOUSE_SUPERUSER_PASSWORD="12345"))
expect(rc != 0 and "too weak" in err and one_line(err), "weak password: %r" % err)
expect("12345" not in err, "weak password echoed")
rc, out, err = run(["createsuperuser", "--noinput"])
expect(rc == 2 and "--username" in err, "missing username: %d %r" % (rc, err))
rc, out, err = run(["createsuperuser", "--noinput", "--username", "bad name"])
expect(rc != 0 and "valid username" in err, "invalid username: %r" % err)
rc, out, err = run(["createsuperuser"])
expect(rc != 0 and "terminal" in err, "createsuperuser without a terminal: %r" % err)

# createsuperuser at a terminal: mismatched passwords, then a weak one refused, then a good one
rc, out = run_at_terminal(["createsuperuser"], [
    ("Username:", "carol"),
    ("Email address:", "carol@example.com"),
    ("Password:", "first try passphrase"),
    ("Password (again):", "something else"),
    ("Password:", "tiny"),
    ("Password (again):", "tiny"),
    ("anyway?", "n"),
    ("Password:", good),
    ("Password (again):", good),
])
expect(rc == 0 and "didn't match" in out and "not good enough" in out and "created successfully" in out,
       "interactive createsuperuser: %d %r" % (rc, out[-400:]))
expect(good not in out and "first try passphrase" not in out, "a typed password was echoed")

# changepassword: stdin, terminal, errors
rc, out, err = run(["changepassword", "admin"], stdin=b"a brand new passphrase\n")
expect(rc == 0 and "changed successfully" in out, "changepassword from stdin: %d %s" % (rc, err))
rc, out, err = run(["changepassword", "admin"], stdin=b"123\n")
expect(rc != 0 and "not good enough" in err and one_line(err), "weak changepassword: %r" % err)
rc, out, err = run(["changepassword", "nobody"], stdin=b"whatever passphrase\n")
expect(rc != 0 and "does not exist" in err and one_line(err), "unknown user: %r" % err)
rc, out = run_at_terminal(["changepassword", "carol"], [
    ("Password:", "another fine passphrase"),
    ("Password (again):", "another fine passphrase"),
])
expect(rc == 0 and "changed successfully" in out and "another fine" not in out, "interactive changepassword: %r" % out[-300:])
# the new password works: check it through the stored hash
rc, out, err = run(["changepassword", "--help"])
expect(rc == 0 and "USER" in out, "changepassword --help")

# clearsessions removes expired rows only
if ENGINE == "sqlite":
    import sqlite3
    path = ENV["GATEHOUSE_DATABASE_URL"][len("sqlite:"):]
    rc, out, err = run(["clearsessions"])
    expect(rc == 0 and "Removed 0" in out, "clearsessions on an empty table: %r %r" % (out, err))
    db = sqlite3.connect(path)
    db.execute("INSERT INTO django_session VALUES ('old', 'x', '2000-01-01 00:00:00')")
    db.execute("INSERT INTO django_session VALUES ('new', 'x', '2999-01-01 00:00:00')")
    db.commit()
    rc, out, err = run(["clearsessions"])
    expect(rc == 0 and "Removed 1" in out, "clearsessions: %r %r" % (out, err))
    expect([r[0] for r in db.execute("SELECT session_key FROM django_session")] == ["new"], "the live session was kept")

# an unreachable database: one line, non-zero, no password in it
bad = dict(ENV, GATEHOUSE_DATABASE_URL="postgresql://user:s3cretpw@127.0.0.1:1/db?connect_timeout=3")
for command in (["migrate"], ["createsuperuser", "--noinput", "--username", "x"], ["changepassword", "x"]):
    rc, out, err = run(command, env=bad)
    expect(rc != 0 and one_line(err) and "s3cretpw" not in err, "unreachable database for %s: %r" % (command, err))
rc, out, err = run(["migrate"], env=dict(ENV, GATEHOUSE_DATABASE_URL="mysql://nope"))
expect(rc != 0 and one_line(err), "unsupported URL: %r" % err)
rc, out, err = run(["check"], env=dict(bad, GATEHOUSE_SECRET_KEY="k" * 40))
expect(rc == 1 and "database" in err and "s3cretpw" not in err, "check with an unreachable database: %r" % err)
rc, out, err = run(["check"], env={k: v for k, v in bad.items() if k != "GATEHOUSE_SECRET_KEY"})
expect(rc == 2 and one_line(err) and "GATEHOUSE_SECRET_KEY" in err,
       "check with PostgreSQL and no secret key, as serve: %d %r" % (rc, err))

# sendtestemail through a real SMTP server (tests/mail/smtp_sink.py)
sink_dir = tempfile.mkdtemp()
sink = subprocess.Popen(["/usr/bin/python3", os.path.join(os.path.dirname(__file__), "..", "mail", "smtp_sink.py"), sink_dir],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
port = int(sink.stdout.readline().split()[1])
smtp = dict(ENV, GATEHOUSE_EMAIL_URL="smtp://127.0.0.1:%d" % port, GATEHOUSE_DEFAULT_FROM_EMAIL="ops@example.com")
rc, out, err = run(["sendtestemail", "ada@example.com", "grace@example.com"], env=smtp)
expect(rc == 0 and "Sent a test email to 2 address(es) through smtp" in out, "sendtestemail: %r %r" % (out, err))
received = [f for f in os.listdir(sink_dir) if f.endswith(".eml")]
expect(len(received) == 1, "one message for both addresses: %r" % received)
if received:
    text = open(os.path.join(sink_dir, received[0])).read()
    expect("X-Envelope-To: ada@example.com, grace@example.com" in text and "Subject: Test email from" in text
           and "If you're reading this, it was successful." in text and "X-Envelope-From: ops@example.com" in text,
           "the test email as received: %r" % text[:400])
sink.stdin.close()
sink.wait(timeout=30)
rc, out, err = run(["sendtestemail", "ada@example.com"], env=dict(ENV, GATEHOUSE_EMAIL_URL="smtp://u:pw-secret@127.0.0.1:1"))
expect(rc == 1 and one_line(err) and "pw-secret" not in err and "127.0.0.1:1" in err, "no SMTP server: %r" % err)
rc, out, err = run(["sendtestemail"], env=smtp)
expect(rc != 0 and "addresses" in err, "sendtestemail needs an address: %r" % err)
rc, out, err = run(["sendtestemail", "x@example.com"], env=dict(ENV, GATEHOUSE_EMAIL_URL="smtp://host:99999"))
expect(rc != 0 and one_line(err) and "GATEHOUSE_EMAIL_URL" in err, "a bad email URL: %r" % err)

# serve refuses bad configuration at start, in one line naming the variable
for name, value in (("GATEHOUSE_WORKER_LEASE_SECONDS", "soon"), ("GATEHOUSE_RESET_CODE_SECONDS", "0"),
                    ("GATEHOUSE_SESSION_STORE", "memcached"), ("GATEHOUSE_REDIS_URL", "http://cache:6379"),
                    ("GATEHOUSE_EMAIL_URL", "pigeon://coop")):
    rc, out, err = run(["serve"], env=dict(ENV, GATEHOUSE_SECRET_KEY="k" * 40, **{name: value}))
    expect(rc == 2 and one_line(err) and name in err, "serve with %s=%s: %d %r" % (name, value, rc, err))

# an unknown variable or a bad value: serve and check refuse alike, in one line
# naming it, exit 2; the other commands that read the configuration too
for name, value in (("GATEHOUSE_HSTS_SECOND", "60"), ("GATEHOUSE_MFA_REQUIRED", "admins"),
                    ("GATEHOUSE_TRUSTED_PROXIES", "10.0.0.1/8"), ("GATEHOUSE_MAX_CONNECTIONS", "0")):
    for command in (["serve"], ["check"], ["migrate"], ["worker"]):
        rc, out, err = run(command, env=dict(ENV, **{name: value}))
        expect(rc == 2 and one_line(err) and name in err and "terminate" not in err,
               "%s with %s=%s: %d %r" % (command[0], name, value, rc, err))
rc, out, err = run(["check"], env=dict(ENV, GATEHOUSE_HSTS_SECOND="60"))
expect("did you mean GATEHOUSE_HSTS_SECONDS" in err, "a near miss is named: %r" % err)
rc, out, err = run(["password", "hash"], stdin=b"pw\n", env=dict(ENV, GATEHOUSE_NOPE="1"))
expect(rc == 2 and one_line(err) and "GATEHOUSE_NOPE" in err, "password hash with an unknown key: %d %r" % (rc, err))

# GATEHOUSE_CONFIG: the same keys from a TOML file; the environment wins
conf_dir = tempfile.mkdtemp()


def toml_file(name, text):
    path = os.path.join(conf_dir, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def toml_string(value):
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


no_db_env = {k: v for k, v in ENV.items() if k not in ("GATEHOUSE_DATABASE_URL", "GATEHOUSE_SECRET_KEY",
                                                       "GATEHOUSE_PBKDF2_ITERATIONS")}
good_conf = toml_file("good.toml", "# the migrated database\ndatabase_url = %s\nsecret_key = %s\npbkdf2_iterations = 1234\n"
                      % (toml_string(ENV["GATEHOUSE_DATABASE_URL"]), toml_string("s" * 40)))
rc, out, err = run(["check"], env=dict(no_db_env, GATEHOUSE_CONFIG=good_conf))
expect(rc == 0 and "no issues" in out, "check with GATEHOUSE_CONFIG: %d %r %r" % (rc, out, err))
rc, out, err = run(["password", "hash"], stdin=b"pw\n", env=dict(no_db_env, GATEHOUSE_CONFIG=good_conf))
expect(rc == 0 and out.startswith("pbkdf2_sha256$1234$"), "password hash takes the file's iterations: %r %r" % (out, err))
rc, out, err = run(["password", "hash"], stdin=b"pw\n",
                   env=dict(no_db_env, GATEHOUSE_CONFIG=good_conf, GATEHOUSE_PBKDF2_ITERATIONS="1100"))
expect(rc == 0 and out.startswith("pbkdf2_sha256$1100$"), "the environment wins: %r %r" % (out, err))
fresh = toml_file("fresh.toml", "database_url = %s\nsecret_key = %s\n"
                  % (toml_string(database_url(tempfile.mkdtemp())), toml_string("s" * 40)))
rc, out, err = run(["check"], env=dict(no_db_env, GATEHOUSE_CONFIG=fresh))
expect(rc == 1 and "not applied" in err, "check of the file's unmigrated database: %d %r" % (rc, err))
rc, out, err = run(["check"], env=dict(ENV, GATEHOUSE_CONFIG=fresh))
expect(rc == 0 and "no issues" in out, "GATEHOUSE_DATABASE_URL wins over the file: %d %r" % (rc, err))
unknown_conf = toml_file("unknown.toml", "site_name = 'x'\nhsts_second = 60\n")
for command in (["check"], ["serve"]):
    rc, out, err = run(command, env=dict(ENV, GATEHOUSE_CONFIG=unknown_conf))
    expect(rc == 2 and one_line(err) and unknown_conf + ":2: hsts_second: unknown setting" in err,
           "%s with an unknown key in the file: %d %r" % (command[0], rc, err))
bad_value_conf = toml_file("bad_value.toml", "email_verification = 'always'\n")
rc, out, err = run(["check"], env=dict(ENV, GATEHOUSE_CONFIG=bad_value_conf))
expect(rc == 2 and one_line(err) and "email_verification" in err, "a bad value in the file: %d %r" % (rc, err))
broken_conf = toml_file("broken.toml", "site_name = 'unterminated\n")
rc, out, err = run(["check"], env=dict(ENV, GATEHOUSE_CONFIG=broken_conf))
expect(rc == 2 and one_line(err) and broken_conf + ":1" in err and "TOML" in err, "bad TOML: %d %r" % (rc, err))
rc, out, err = run(["check"], env=dict(ENV, GATEHOUSE_CONFIG=os.path.join(conf_dir, "missing.toml")))
expect(rc == 2 and one_line(err) and "GATEHOUSE_CONFIG" in err and "missing.toml" in err,
       "a missing configuration file: %d %r" % (rc, err))

# check wants exactly the migrations migrate applies: one it does not know is an issue
if ENGINE == "sqlite":
    import sqlite3
    db = sqlite3.connect(ENV["GATEHOUSE_DATABASE_URL"][len("sqlite:"):])
    db.execute("INSERT INTO gatehouse_migrations (app, name) VALUES ('future', '0001_later')")
    db.commit()
    rc, out, err = run(["check"])
    expect(rc == 1 and "future.0001_later" in err, "check with an unknown applied migration: %d %r" % (rc, err))
    db.execute("DELETE FROM gatehouse_migrations WHERE app = 'future'")
    db.commit()
    rc, out, err = run(["check"])
    expect(rc == 0, "check once it is gone: %d %r" % (rc, err))

checks.exit()
