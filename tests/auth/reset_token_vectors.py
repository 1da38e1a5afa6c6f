#!/usr/bin/python3
"""Prints password reset tokens made by Debian's Django 3.2 for fixed users and
timestamps; tests/auth/tokens_test.cpp holds its output as test vectors.
Rerun to check them: /usr/bin/python3 tests/auth/reset_token_vectors.py"""
import datetime

import django
from django.conf import settings

settings.configure(SECRET_KEY="s" * 50, INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"],
                   USE_TZ=True, DEFAULT_HASHING_ALGORITHM="sha256", PASSWORD_RESET_TIMEOUT=259200,
                   PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher",
                                     "django.contrib.auth.hashers.MD5PasswordHasher"])
django.setup()
from django.contrib.auth.models import User  # noqa: E402
from django.contrib.auth.tokens import PasswordResetTokenGenerator  # noqa: E402
from django.utils.encoding import force_bytes  # noqa: E402
from django.utils.http import urlsafe_base64_encode  # noqa: E402

g = PasswordResetTokenGenerator()
from django.contrib.auth.hashers import make_password  # noqa: E402

users = [
    User(pk=7, password=make_password("correct horse", "saltsaltsalt", "md5"), email="ada@example.com", last_login=None),
    User(pk=42, password=make_password("battery staple", "pepperpepper12", "pbkdf2_sha256"), email="",
         last_login=datetime.datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=datetime.timezone.utc)),
    User(pk=123456789, password="!" + "x" * 40, email="Zoë@Example.com", last_login=None),
]
for u in users:
    print("#", u.pk, u.password)
    for ts in (0, 757382400, 864000000):
        print(u.pk, ts, g._make_token_with_timestamp(u, ts), g._make_token_with_timestamp(u, ts, legacy=True),
              urlsafe_base64_encode(force_bytes(u.pk)))
