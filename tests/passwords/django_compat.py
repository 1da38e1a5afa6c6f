#!/usr/bin/python3
"""Round trip of password hashes between Django (Debian's python3-django) and
the gatehouse CLI, in both directions, for every hasher both have.

Usage: django_compat.py PATH_TO_GATEHOUSE
Prints one line per failure and a closing "django-compat: N passed, N failed".
"""
import os
import subprocess
import sys

import django
from django.conf import settings

settings.configure(
    PASSWORD_HASHERS=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
        "django.contrib.auth.hashers.BCryptPasswordHasher",
        "django.contrib.auth.hashers.SHA1PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.UnsaltedSHA1PasswordHasher",
        "django.contrib.auth.hashers.UnsaltedMD5PasswordHasher",
        "django.contrib.auth.hashers.CryptPasswordHasher",
    ]
)
django.setup()

from django.contrib.auth.hashers import (  # noqa: E402
    PBKDF2PasswordHasher,
    check_password,
    make_password,
)

GATEHOUSE = sys.argv[1]
PASSWORDS = [
    "",
    "password",
    "lètmein ünïcödé 日本語 🔑",
    "x" * 4096,
    "dollar$sign and spaces",
    "  leading and trailing  ",
]
ALGORITHMS = [
    "pbkdf2_sha256",
    "pbkdf2_sha1",
    "argon2",
    "bcrypt_sha256",
    "bcrypt",
    "sha1",
    "md5",
    "unsalted_sha1",
    "unsalted_md5",
    "crypt",
]

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from checks import Checks  # noqa: E402

checks = Checks("django-compat")
expect = checks.expect


def gatehouse(args, password):
    # The CLI takes the password on stdin, less one trailing newline.
    return subprocess.run(
        [GATEHOUSE] + args,
        input=password.encode("utf-8") + b"\n",
        capture_output=True,
        timeout=120,
    )


class Pbkdf2AtDjango61(PBKDF2PasswordHasher):
    iterations = 1_500_000


def short(pw):
    return repr(pw if len(pw) < 30 else pw[:20] + "...(%d chars)" % len(pw))


# Django -> Gatehouse
for algorithm in ALGORITHMS:
    for pw in PASSWORDS:
        try:
            encoded = make_password(pw, hasher=algorithm)
        except Exception as e:  # e.g. DES crypt cannot take every password
            encoded = "crypt$$*0"
        if encoded.endswith("$*0"):
            # libxcrypt refused the phrase (DES crypt over 512 bytes) in Django
            # too; Gatehouse must refuse it as well rather than store a token.
            r = gatehouse(["password", "hash", "--algorithm", algorithm], pw)
            expect(r.returncode != 0, "Gatehouse hashed what Django's %s cannot: %s"
                   % (algorithm, short(pw)))
            print("note: Django cannot make %s for %s; Gatehouse refuses it too" % (algorithm, short(pw)))
            continue
        r = gatehouse(["password", "check", encoded], pw)
        expect(r.returncode == 0, "Django %s of %s not verified by Gatehouse: %s %s"
               % (algorithm, short(pw), encoded[:60], r.stderr.decode(errors="replace").strip()))
        # Wrong at the start: DES crypt reads only 8 characters, bcrypt 72.
        r = gatehouse(["password", "check", encoded], "!" + pw)
        expect(r.returncode == 1, "Django %s: wrong password for %s gave %d"
               % (algorithm, short(pw), r.returncode))

# Gatehouse -> Django
for algorithm in ALGORITHMS:
    for pw in PASSWORDS:
        args = ["password", "hash", "--algorithm", algorithm]
        if algorithm.startswith("pbkdf2"):
            args += ["--iterations", "20000"]
        r = gatehouse(args, pw)
        if r.returncode != 0 and algorithm == "crypt" and len(pw.encode()) > 512:
            continue  # checked above: neither side can
        if r.returncode != 0:
            expect(False, "Gatehouse could not hash %s with %s: %s"
                   % (short(pw), algorithm, r.stderr.decode(errors="replace").strip()))
            continue
        encoded = r.stdout.decode().strip()
        expect(check_password(pw, encoded), "Gatehouse %s of %s not verified by Django: %s"
               % (algorithm, short(pw), encoded[:60]))
        expect(not check_password("!" + pw, encoded), "Gatehouse %s: Django took a wrong password"
               % algorithm)

# Django 6.1's default work factor, both ways.
pw = "lètmein at 1.5M"
django_made = Pbkdf2AtDjango61().encode(pw, Pbkdf2AtDjango61().salt())
expect(django_made.startswith("pbkdf2_sha256$1500000$"), "Django 1.5M encoding: " + django_made)
r = gatehouse(["password", "check", django_made], pw)
expect(r.returncode == 0, "Gatehouse did not verify Django's 1,500,000-iteration hash")
r = gatehouse(["password", "hash"], pw)  # the default iteration count
gatehouse_made = r.stdout.decode().strip()
expect(gatehouse_made.startswith("pbkdf2_sha256$1500000$"), "Gatehouse default: " + gatehouse_made)
expect(check_password(pw, gatehouse_made), "Django did not verify Gatehouse's 1,500,000-iteration hash")

checks.exit()
