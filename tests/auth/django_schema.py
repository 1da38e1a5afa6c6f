#!/usr/bin/python3
"""Django's side of the schema round trip (tests/auth/django_schema_test.cpp).

  django_schema.py migrate URL
  django_schema.py authenticate URL USERNAME PASSWORD   exit 0 if Django logs the user in, 1 if not
  django_schema.py create_user URL USERNAME PASSWORD

URL is a Gatehouse database URL (sqlite:PATH or postgresql://...?options=...).
"""
import sys
from urllib.parse import parse_qs, unquote, urlparse

import django
from django.conf import settings


def databases(url):
    if url.startswith("sqlite:"):
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": url[len("sqlite:"):]}
    u = urlparse(url)
    options = {}
    query = parse_qs(u.query)
    if "options" in query:
        options["options"] = unquote(query["options"][0])
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": u.path.lstrip("/"),
        "USER": u.username or "",
        "PASSWORD": u.password or "",
        "HOST": u.hostname,
        "PORT": str(u.port or 5432),
        "OPTIONS": options,
    }


command, url = sys.argv[1], sys.argv[2]
settings.configure(
    DATABASES={"default": databases(url)},
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"],
    USE_TZ=True,
    TIME_ZONE="UTC",
    DEFAULT_AUTO_FIELD="django.db.models.AutoField",
)
django.setup()

from django.contrib.auth import authenticate  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402

if command == "migrate":
    call_command("migrate", verbosity=0)
elif command == "authenticate":
    user = authenticate(username=sys.argv[3], password=sys.argv[4])
    sys.exit(0 if user is not None and user.is_active else 1)
elif command == "create_user":
    User.objects.create_user(sys.argv[3], email=sys.argv[3] + "@example.com", password=sys.argv[4])
else:
    sys.exit("unknown command " + command)
