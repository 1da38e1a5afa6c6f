"""A minimal Django 3.2 accounts app, the peer Gatehouse is measured against:
the same endpoints, SQLite, database sessions, CSRF on, and PBKDF2-SHA256 at
the same 1,500,000 iterations Gatehouse uses by default."""
import os

BASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECRET_KEY = os.environ.get("PEER_SECRET_KEY", "bench-only-secret-key-bench-only-secret-key-0123")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "peer.urls"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("PEER_DATABASE", os.path.join(BASE_DIR, "peer.sqlite3")),
    }
}
PASSWORD_HASHERS = ["peer.hashers.PBKDF2At1500000"]
USE_TZ = True
LOGGING = {"version": 1, "disable_existing_loggers": True}
