#!/usr/bin/python3
"""Gatehouse's admin (/admin/) against Django's, on one shared database.

Debian's Django 3.2 runs in this process (django.test.Client) on the SAME
database as a running `gatehouse serve`, with contenttypes, auth, sessions,
messages, admin and the small app tests/admin/django_project/accounts (the
Profile of accounts_profile, its migration 0001_profile, and an admin.py with
UserAdmin plus a stacked Profile inline). Gatehouse is driven over HTTP like a
browser without JavaScript: pages are fetched, their forms scraped (hidden
inputs, csrfmiddlewaretoken, checked boxes, selected options) and posted.

  1. `gatehouse migrate` on a fresh database, then Django's
     `migrate --check --plan` has nothing to apply and
     `makemigrations --check --dry-run` finds nothing; the columns and keys of
     django_admin_log and accounts_profile are those Django's own migrate makes
     (on a second, Django-migrated database; integer widths aside).
  2. The same action through Gatehouse's admin (as superuser "root", on user
     gh_alice) and through Django's admin (as superuser "djadmin", on user
     dj_bobby) writes one django_admin_log row each, and the two rows agree:
     action flag, content type, object id and repr, the change_message text
     (byte for byte, the target's name aside), get_change_message(), and the
     success message shown after the redirect. Actions: add a group; (a) add a
     user; (b) change first name and email; (c) change a profile inline field;
     (c2) a user field and two inline fields (a select and the checkbox);
     (d) change groups; (e) set a password on <id>/password/; (f) delete the
     user on its delete page.
  3. Django's rows in Gatehouse: <id>/history/ for the user Django changed
     shows Django's rendered messages and "djadmin", and the same rows as
     Django's own history page (and likewise for Gatehouse's rows on Django's
     page); /admin/'s Recent actions, which like Django's lists only the
     viewer's own actions, are Django's list for root and for djadmin (logged
     in to Gatehouse with the password Django set).
  4. (g) Each admin changes a user Django made, who has no profile (the
     inline is shown empty and must not be saved). Then deleting a superuser
     through Gatehouse (delete_selected) removes the rows of the actions that
     user did (written by Gatehouse and by Django) and keeps the rows about
     that user written by others, as Django's delete does (the same done
     through Django to another superuser is checked alongside); every row
     still reads in Django; `migrate --check --plan` is still clean.

Usage: django_admin_test.py PATH_TO_GATEHOUSE sqlite|postgresql
       django_admin_test.py --django-only sqlite|postgresql
postgresql uses the server in GATEHOUSE_TEST_POSTGRES_URL (a schema of its own
per database, as the other tests). --django-only needs no Gatehouse: Django's
own migrate makes the database and only Django's half runs (its rows against
the expected messages, its history and Recent actions pages); it checks this
test's Django setup and prints what Django writes.
"""
import html
import html.parser
import http.client
import io
import json
import os
import re
import secrets
import subprocess
import sys
import threading
import traceback
from datetime import datetime, timedelta, timezone as dt_timezone
from urllib.parse import parse_qs, unquote, urlencode, urljoin, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, os.path.join(HERE, "django_project"))  # the `accounts` app
from checks import Checks  # noqa: E402
from cleanup import on_exit, run_now, scratch_dir, stop_process  # noqa: E402
from django_schema import missing_tables_and_columns  # noqa: E402

USAGE = "usage: django_admin_test.py PATH_TO_GATEHOUSE|--django-only sqlite|postgresql"
if len(sys.argv) != 3 or sys.argv[2] not in ("sqlite", "postgresql"):
    sys.exit(USAGE)
DJANGO_ONLY = sys.argv[1] == "--django-only"
GATEHOUSE = None if DJANGO_ONLY else os.path.abspath(sys.argv[1])
ENGINE = sys.argv[2]
NAME = "django_admin (%s%s)" % (ENGINE, ", Django only" if DJANGO_ONLY else "")


class LoudChecks(Checks):
    """Checks that print one line per check: "ok: ..." or "FAIL: ... -- detail"."""

    def check(self, ok, what, detail=""):
        if ok:
            self.passed += 1
            print("ok:", what, flush=True)
        else:
            self.failed += 1
            print("FAIL:", what + (" -- " + detail if detail else ""), flush=True)
        return ok


checks = LoudChecks(NAME)
check = checks.check


def info(text):
    print("info:", text, flush=True)


# ---- cleanup on every exit path ------------------------------------------------------
TMP = scratch_dir("gatehouse-django-admin.")
on_exit(lambda: None, name="django_admin")  # names this test in cleanup messages
SECRET_KEY = secrets.token_urlsafe(40)


# ---- the databases: the shared one, and a reference one Django migrates itself -------
def postgres_schema(base, prefix):
    """A fresh schema on the test server (dropped at exit); its Gatehouse URL."""
    import psycopg2
    schema = prefix + secrets.token_hex(6)
    with psycopg2.connect(base) as conn, conn.cursor() as cur:
        cur.execute("CREATE SCHEMA " + schema)

    def drop():
        with psycopg2.connect(base) as conn, conn.cursor() as cur:
            cur.execute("DROP SCHEMA " + schema + " CASCADE")
    on_exit(drop)
    return base + ("&" if "?" in base else "?") + "options=-c%20search_path%3D" + schema


def django_database(url):
    """Django's DATABASES entry for a Gatehouse database URL."""
    if url.startswith("sqlite:"):
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": url[len("sqlite:"):]}
    u = urlsplit(url)
    query = parse_qs(u.query)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": u.path.lstrip("/"),
        "USER": unquote(u.username or ""),
        "PASSWORD": unquote(u.password or ""),
        "HOST": u.hostname,
        "PORT": str(u.port or 5432),
        "OPTIONS": {"options": query["options"][0]} if "options" in query else {},
    }


if ENGINE == "sqlite":
    SHARED_URL = "sqlite:" + os.path.join(TMP, "shared.sqlite3")
    REFERENCE_URL = "sqlite:" + os.path.join(TMP, "reference.sqlite3")
else:
    if not os.environ.get("GATEHOUSE_TEST_POSTGRES_URL"):
        sys.exit("django_admin: GATEHOUSE_TEST_POSTGRES_URL is not set (scripts/test.sh starts a server "
                 "with scripts/postgres-cluster.sh)")
    _base = os.environ["GATEHOUSE_TEST_POSTGRES_URL"]
    SHARED_URL = postgres_schema(_base, "django_admin_")
    REFERENCE_URL = postgres_schema(_base, "django_admin_ref_")

# ---- Django, in this process --------------------------------------------------------------
import django  # noqa: E402
from django.conf import settings  # noqa: E402

settings.configure(
    DEBUG=False,
    SECRET_KEY=SECRET_KEY,
    ALLOWED_HOSTS=["testserver"],
    DATABASES={"default": django_database(SHARED_URL), "reference": django_database(REFERENCE_URL)},
    INSTALLED_APPS=[
        "django.contrib.contenttypes",
        "django.contrib.auth",
        "django.contrib.sessions",
        "django.contrib.messages",
        "django.contrib.admin",
        "accounts",
    ],
    MIDDLEWARE=[
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
    ],
    ROOT_URLCONF=__name__,
    TEMPLATES=[{
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": [
            "django.template.context_processors.request",
            "django.contrib.auth.context_processors.auth",
            "django.contrib.messages.context_processors.messages",
        ]},
    }],
    STATIC_URL="/static/",
    USE_TZ=True,
    TIME_ZONE="UTC",
    DEFAULT_AUTO_FIELD="django.db.models.AutoField",
)
django.setup()

from django.apps import apps  # noqa: E402
from django.contrib import admin  # noqa: E402
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry  # noqa: E402
from django.contrib.auth.hashers import check_password  # noqa: E402
from django.contrib.auth.models import Group, Permission, User  # noqa: E402
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from django.db.models import Max  # noqa: E402
from django.test import Client as DjangoClient  # noqa: E402
from django.urls import path  # noqa: E402

from accounts.models import Profile  # noqa: E402

urlpatterns = [path("admin/", admin.site.urls)]
on_exit(connections.close_all)

STARTED = datetime.now(dt_timezone.utc)


# ---- HTML: a small tree, forms as a browser submits them, and the admin's parts ----------
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
SELF_CLOSING_SIBLINGS = {"option", "li", "tr", "td", "th", "p"}


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.children = tag, attrs, parent, []

    def iter(self):
        yield self
        for c in self.children:
            if isinstance(c, Node):
                yield from c.iter()

    def find_all(self, tag, cls=None, **attrs):
        for n in self.iter():
            if n.tag != tag:
                continue
            if cls is not None and cls not in n.attrs.get("class", "").split():
                continue
            if all(n.attrs.get(k) == v for k, v in attrs.items()):
                yield n

    def find(self, tag, cls=None, **attrs):
        return next(self.find_all(tag, cls, **attrs), None)

    def text(self):
        return "".join(c.text() if isinstance(c, Node) else c for c in self.children)


class _TreeBuilder(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        if tag in SELF_CLOSING_SIBLINGS and self.current.tag == tag:
            self.current = self.current.parent
        node = Node(tag, {k: ("" if v is None else v) for k, v in attrs}, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Node(tag, {k: ("" if v is None else v) for k, v in attrs}, self.current))

    def handle_endtag(self, tag):
        n = self.current
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and n.parent is not None:
            self.current = n.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse_html(text):
    b = _TreeBuilder()
    b.feed(text)
    b.close()
    return b.root


def squash(s):
    return " ".join(s.split())


class Form:
    def __init__(self, node):
        self.node = node
        self.action = node.attrs.get("action", "")
        self.names = {n.attrs.get("name") for n in node.iter()
                      if n.tag in ("input", "select", "textarea", "button") and n.attrs.get("name")}

    def pairs(self):
        """What a browser sends for this form (no submit button): in document order."""
        out = []
        for n in self.node.iter():
            name = n.attrs.get("name")
            if not name or "disabled" in n.attrs:
                continue
            if n.tag == "input":
                kind = n.attrs.get("type", "text").lower()
                if kind in ("submit", "button", "image", "reset", "file"):
                    continue
                if kind in ("checkbox", "radio"):
                    if "checked" in n.attrs:
                        out.append((name, n.attrs.get("value", "on")))
                else:
                    out.append((name, n.attrs.get("value", "")))
            elif n.tag == "select":
                options = [o for o in n.find_all("option") if "disabled" not in o.attrs]
                chosen = [o for o in options if "selected" in o.attrs]
                if not chosen and options and "multiple" not in n.attrs:
                    chosen = options[:1]
                for o in chosen:
                    out.append((name, o.attrs["value"] if "value" in o.attrs else squash(o.text())))
            elif n.tag == "textarea":
                value = n.text()
                out.append((name, value[1:] if value.startswith("\n") else value))
        return out


def form_with(tree, field):
    """The first form on the page with a control named `field`."""
    for node in tree.find_all("form"):
        form = Form(node)
        if field in form.names:
            return form
    return None


def with_changes(pairs, changes):
    """`pairs` with each name in `changes` given the listed values instead (at its first place)."""
    out, done = [], set()
    for name, value in pairs:
        if name in changes:
            if name not in done:
                out.extend((name, v) for v in changes[name])
                done.add(name)
        else:
            out.append((name, value))
    for name, values in changes.items():
        if name not in done:
            out.extend((name, v) for v in values)
    return out


def page_problems(tree, limit=600):
    """What a page says went wrong: error notes, error lists, error messages, or its title."""
    parts = []
    for n in tree.iter():
        classes = n.attrs.get("class", "").split()
        if (n.tag == "p" and "errornote" in classes) or (n.tag == "ul" and "errorlist" in classes) \
                or (n.tag == "li" and "error" in classes and n.parent is not None
                    and "messagelist" in n.parent.attrs.get("class", "").split()):
            text = squash(n.text())
            if text and text not in parts:
                parts.append(text)
    if not parts:
        title = tree.find("title")
        parts.append("page title %r" % squash(title.text()) if title else "no <title>")
    return "; ".join(parts)[:limit]


def flash_messages(tree):
    """[(class, text)] of <ul class="messagelist">."""
    ul = tree.find("ul", cls="messagelist")
    if ul is None:
        return []
    return [(li.attrs.get("class", ""), squash(li.text())) for li in ul.find_all("li")]


def history_rows(tree):
    """[(user, action)] of the change-history table, and [date] apart (its format is not compared)."""
    table = tree.find("table", id="change-history")
    if table is None:
        return None, None
    body = table.find("tbody") or table
    rows, dates = [], []
    for tr in body.find_all("tr"):
        cells = [c for c in tr.children if isinstance(c, Node) and c.tag in ("td", "th")]
        if len(cells) < 3:
            continue
        dates.append(squash(cells[0].text()))
        rows.append((squash(cells[1].text()), squash(cells[2].text())))
    return rows, dates


def recent_actions(tree):
    """[(class, link, object repr, content type)] of Recent actions (<ul class="actionlist">)."""
    ul = tree.find("ul", cls="actionlist")
    if ul is None:
        return []
    items = []
    for li in ul.find_all("li"):
        link = li.find("a")
        kind = li.find("span")
        kind_text = squash(kind.text()) if kind is not None else ""
        whole = squash(li.text())
        repr_text = squash(link.text()) if link is not None else squash(whole[: len(whole) - len(kind_text)])
        items.append((li.attrs.get("class", ""), link.attrs.get("href") if link is not None else None,
                      repr_text, kind_text))
    return items


# ---- the two admins, behind one interface ---------------------------------------------------
class Page:
    def __init__(self, status, location, text):
        self.status, self.location, self.text = status, location, text
        self._tree = None

    @property
    def tree(self):
        if self._tree is None:
            self._tree = parse_html(self.text)
        return self._tree

    @property
    def location_path(self):
        return urlsplit(self.location).path if self.location else None


class GatehouseAdmin:
    """A browser on Gatehouse's /admin/: cookies, the form's csrfmiddlewaretoken, Origin and Referer."""
    side = "Gatehouse"

    def __init__(self, port):
        self.port, self.cookies, self.last_url = port, {}, None

    def request(self, method, url, pairs=None):
        target = urlsplit(url)
        path_qs = (target.path or "/") + ("?" + target.query if target.query else "")
        headers = {"Accept": "text/html", "User-Agent": "gatehouse-django-admin-test"}
        if self.cookies:
            headers["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        body = None
        if pairs is not None:
            body = urlencode(pairs).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = "http://127.0.0.1:%d" % self.port
            if self.last_url:
                headers["Referer"] = "http://127.0.0.1:%d%s" % (self.port, self.last_url)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path_qs, body=body, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
            location = None
            for name, value in resp.getheaders():
                lower = name.lower()
                if lower == "set-cookie":
                    m = re.match(r"\s*([^=;]+)=([^;]*)", value)
                    if m:
                        if m.group(2) == "" or re.search(r"max-age=0\b", value, re.I):
                            self.cookies.pop(m.group(1), None)
                        else:
                            self.cookies[m.group(1)] = m.group(2)
                elif lower == "location":
                    location = value
        finally:
            conn.close()
        self.last_url = path_qs
        return Page(resp.status, location, raw.decode("utf-8", errors="replace"))

    def get(self, url):
        return self.request("GET", url)

    def post(self, url, pairs):
        return self.request("POST", url, pairs)

    def login(self, username, password):
        """Logs in on /admin/login/ as a browser does; None, or what went wrong."""
        page = self.get("/admin/login/?next=/admin/")
        if page.status != 200:
            return "GET /admin/login/ answered %s" % page.status
        form = form_with(page.tree, "username")
        if form is None:
            return "no login form (a form with a username field) on /admin/login/"
        if "csrfmiddlewaretoken" not in form.names:
            return "the login form has no csrfmiddlewaretoken"
        resp = self.post(urljoin("/admin/login/", form.action),
                         with_changes(form.pairs(), {"username": [username], "password": [password]}))
        if resp.status != 302 or resp.location_path != "/admin/":
            return "POST /admin/login/ answered %s%s: %s" % (
                resp.status, " to " + resp.location if resp.location else "", page_problems(resp.tree))
        return None


class DjangoAdmin:
    """Django's admin in this process, logged in (force_login) as `username`."""
    side = "Django"

    def __init__(self, username):
        self.username, self.client = username, None

    def _login(self):
        self.client = DjangoClient()
        self.client.force_login(User.objects.get(username=self.username))

    def _do(self, call):
        if self.client is None:
            self._login()
        r = call(self.client)
        if r.status_code == 302 and r["Location"].startswith("/admin/login/"):
            # The session was ended (a password hash changed since): log in again.
            self._login()
            r = call(self.client)
        return Page(r.status_code, r.get("Location"), r.content.decode("utf-8", errors="replace"))

    def get(self, url):
        return self._do(lambda c: c.get(url))

    def post(self, url, pairs):
        return self._do(lambda c: c.post(url, urlencode(pairs), content_type="application/x-www-form-urlencoded"))


class StepError(Exception):
    pass


def submit(admin_, url, field, changes, button, expect_location):
    """GETs `url`, takes the form with a `field` control, changes it, posts it with `button`
    (a (name, value) pair or None); expects a 302 to a path matching `expect_location`,
    follows it, and returns its flash messages."""
    page = admin_.get(url)
    if page.status != 200:
        raise StepError("GET %s answered %s%s" % (url, page.status, " to " + page.location if page.location else ""))
    form = form_with(page.tree, field)
    if form is None:
        raise StepError("GET %s: no form with a %r control" % (url, field))
    pairs = with_changes(form.pairs(), changes)
    if button:
        pairs.append(button)
    target = urljoin(url, form.action)
    resp = admin_.post(target, pairs)
    if resp.status != 302 or not re.fullmatch(expect_location, resp.location_path or ""):
        raise StepError("POST %s answered %s%s (expected a 302 to %s): %s" % (
            target, resp.status, " to " + resp.location if resp.location else "", expect_location,
            page_problems(resp.tree)))
    follow = admin_.get(resp.location)
    if follow.status != 200:
        raise StepError("after POST %s, GET %s answered %s" % (target, resp.location, follow.status))
    return flash_messages(follow.tree)


# ---- the actions, the same code for either admin --------------------------------------------
USER_CHANGE = r"/admin/auth/user/\d+/change/"
USER_LIST = r"/admin/auth/user/"


def add_group(a, name):
    return submit(a, "/admin/auth/group/add/", "name", {"name": [name]}, ("_save", "Save"), r"/admin/auth/group/")


def add_user(a, username, password):
    # The add page has the profile inline too; it is posted as the page has it, untouched.
    return submit(a, "/admin/auth/user/add/", "password1",
                  {"username": [username], "password1": [password], "password2": [password]},
                  ("_save", "Save"), USER_CHANGE)


def change_user(a, user_id, changes):
    return submit(a, "/admin/auth/user/%d/change/" % user_id, "username", changes, ("_save", "Save"), USER_LIST)


def set_password(a, user_id, password):
    return submit(a, "/admin/auth/user/%d/password/" % user_id, "password1",
                  {"password1": [password], "password2": [password]}, None, USER_CHANGE)


def delete_user(a, user_id):
    return submit(a, "/admin/auth/user/%d/delete/" % user_id, "post", {"post": ["yes"]}, None, USER_LIST)


def delete_selected(a, user_id):
    """The changelist's delete_selected action, then its confirmation page."""
    page = a.get("/admin/auth/user/")
    if page.status != 200:
        raise StepError("GET /admin/auth/user/ answered %s" % page.status)
    form = form_with(page.tree, "action")
    if form is None:
        raise StepError("GET /admin/auth/user/: no action form (a form with an `action` control)")
    pairs = with_changes(form.pairs(), {"action": ["delete_selected"], "_selected_action": [str(user_id)],
                                        "index": ["0"]})
    confirm = a.post(urljoin("/admin/auth/user/", form.action), pairs)
    if confirm.status != 200:
        raise StepError("POST /admin/auth/user/ with action=delete_selected answered %s%s (expected the "
                        "confirmation page): %s" % (confirm.status, " to " + confirm.location if confirm.location
                                                    else "", page_problems(confirm.tree)))
    form = form_with(confirm.tree, "post")
    if form is None:
        raise StepError("the delete_selected confirmation page has no form with post=yes: %s"
                        % page_problems(confirm.tree))
    resp = a.post(urljoin("/admin/auth/user/", form.action), form.pairs())
    if resp.status != 302 or resp.location_path != "/admin/auth/user/":
        raise StepError("confirming delete_selected answered %s%s (expected a 302 to /admin/auth/user/): %s" % (
            resp.status, " to " + resp.location if resp.location else "", page_problems(resp.tree)))
    return flash_messages(a.get(resp.location).tree)


# ---- django_admin_log rows, and comparing the two admins' ------------------------------------
def last_log_id():
    return LogEntry.objects.aggregate(m=Max("id"))["m"] or 0


def rows_after(log_id):
    return list(LogEntry.objects.filter(id__gt=log_id).order_by("id"))


class Target:
    """An object acted on: its model and repr; its id looked up once (kept for after a deletion)."""

    def __init__(self, model, name, id_=None):
        self.model, self.name, self._id = model, name, id_

    @property
    def id(self):
        if self._id is None:
            field = "username" if self.model is User else "name"
            self._id = self.model.objects.filter(**{field: self.name}).values_list("id", flat=True).first()
        return self._id


def rows_about(user_id):
    """The rows whose object is this user."""
    return LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(User), object_id=str(user_id))


def normalized(text, name):
    """A message with the acted-on object's name (JSON-quoted, curly-quoted or bare) replaced."""
    return text.replace(json.dumps(name), '"<object>"').replace(name, "<object>")


def act(label, admin_, fn):
    """Runs one admin action; (flash messages or None, the new log rows, what went wrong or None)."""
    before = last_log_id()
    try:
        flashes, problem = fn(), None
    except StepError as e:
        flashes, problem = None, str(e)
    except Exception as e:  # noqa: BLE001 -- a Django view's exception, shown as a failure
        flashes, problem = None, "%s: %s" % (type(e).__name__, e)
        traceback.print_exc()
    rows = rows_after(before)
    check(problem is None, "%s: done through %s's admin" % (label, admin_.side), problem or "")
    return flashes, rows, problem


def row_summary(e):
    return "action_flag=%s content_type=%s object_id=%r object_repr=%r user=%s change_message=%r" % (
        e.action_flag, e.content_type_id, e.object_id, e.object_repr, e.user_id, e.change_message)


def check_row(label, side, rows, actor, target, flag, expected_message):
    """The one row `side` wrote for this action, checked on its own; the row or None."""
    if not check(len(rows) == 1, "%s: %s wrote one django_admin_log row" % (label, side),
                 "it wrote %d: %s" % (len(rows), "; ".join(row_summary(e) for e in rows))):
        return None
    e = rows[0]
    content_type = ContentType.objects.get_for_model(target.model)
    fields_ok = (e.action_flag == flag and e.content_type_id == content_type.id and e.user_id == actor.id
                 and e.object_id == str(target.id) and e.object_repr == target.name)
    check(fields_ok, "%s: %s's row has action_flag %d, content type %s.%s, the actor, object id and repr" % (
        label, side, flag, content_type.app_label, content_type.model),
        "expected action_flag=%s content_type=%s object_id=%r object_repr=%r user=%s; got %s" % (
            flag, content_type.id, str(target.id), target.name, actor.id, row_summary(e)))
    when = e.action_time
    aware = when is not None and when.tzinfo is not None
    check(aware and STARTED - timedelta(minutes=2) <= when <= datetime.now(dt_timezone.utc) + timedelta(minutes=2),
          "%s: %s's row's action_time reads in Django as an aware time of this run" % (label, side),
          "action_time %r (test started %s)" % (when, STARTED.isoformat()))
    if expected_message is not None and side == "Django":
        # This test's own Django setup is what it should be (else the comparison means little).
        check(normalized(e.change_message, target.name) == expected_message,
              "%s: Django's change_message is %r" % (label, expected_message),
              "Django wrote %r" % e.change_message)
    return e


def compare(label, actor_g, target_g, g, actor_d, target_d, d, flag, expected_message):
    """Gatehouse's row (g: flashes, rows, problem) against Django's (d) for the same action."""
    d_row = check_row(label, "Django", d[1], actor_d, target_d, flag, expected_message)
    if g is None:  # --django-only
        if d_row is not None:
            info("%s: Django wrote %r; get_change_message() %r; then showed %r" % (
                label, d_row.change_message, d_row.get_change_message(), d[0]))
        return
    g_row = check_row(label, "Gatehouse", g[1], actor_g, target_g, flag, None)
    if g_row is None or d_row is None:
        return
    g_text, d_text = normalized(g_row.change_message, target_g.name), normalized(d_row.change_message, target_d.name)
    try:
        g_json, problem = json.loads(g_text) if g_text else "", None
    except ValueError as e:
        g_json, problem = None, "not JSON (%s)" % e
    d_json = json.loads(d_text) if d_text else ""
    check(problem is None and g_json == d_json,
          "%s: Gatehouse's change_message is Django's as JSON" % label,
          "Gatehouse %r%s, Django %r" % (g_row.change_message, " " + problem if problem else "", d_row.change_message))
    check(g_text == d_text, "%s: Gatehouse's change_message is Django's text byte for byte (json.dumps)" % label,
          "Gatehouse %r, Django %r" % (g_row.change_message, d_row.change_message))
    g_said, d_said = g_row.get_change_message(), d_row.get_change_message()
    check(normalized(g_said, target_g.name) == normalized(d_said, target_d.name),
          "%s: LogEntry.get_change_message() of Gatehouse's row equals Django's: %r" % (label, d_said),
          "Gatehouse's row says %r" % g_said)
    g_flash = [(c, normalized(t, target_g.name)) for c, t in g[0] or []]
    d_flash = [(c, normalized(t, target_d.name)) for c, t in d[0] or []]
    check(g_flash == d_flash, "%s: Gatehouse shows Django's message after the redirect: %s" % (label, d_flash),
          "Gatehouse showed %s" % g_flash)


def pair(label, gh, actor_g, target_g, g_fn, dj, actor_d, target_d, d_fn, flag, expected_message):
    """The same action through both admins (Gatehouse's first), compared."""
    g = None
    if gh is not None:
        g = act(label, gh, g_fn)
    d = act(label, dj, d_fn)
    compare(label, actor_g, target_g, g, actor_d, target_d, d, flag, expected_message)
    return g, d


# ---- Django's view of the schema --------------------------------------------------------------
INTEGER_TYPES = {"AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField",
                 "SmallIntegerField", "PositiveIntegerField", "PositiveBigIntegerField",
                 "PositiveSmallIntegerField"}


def table_shape(alias, table):
    """Django's introspection of a table: columns {name: (type, max length, null)}, keys, indexes.
    Integer columns are one type (Gatehouse's ids and counts are bigint on PostgreSQL)."""
    conn = connections[alias]
    with conn.cursor() as cur:
        if table not in conn.introspection.table_names(cur):
            return None
        description = conn.introspection.get_table_description(cur, table)
        constraints = conn.introspection.get_constraints(cur, table)
    columns, widths = {}, {}
    for col in description:
        kind = conn.introspection.get_field_type(col.type_code, col)
        if kind in INTEGER_TYPES:
            widths[col.name] = kind
            kind = "integer"
        elif conn.vendor == "postgresql":
            kind = "%s (type %s)" % (kind, col.type_code)  # e.g. timestamp with or without time zone
        size = col.internal_size if kind.startswith("CharField") else None
        columns[col.name] = (kind, size, "null" if col.null_ok else "not null")
    keys, indexes = set(), set()
    for c in constraints.values():
        cols = tuple(c["columns"] or ())
        if c.get("primary_key"):
            keys.add(("primary key", cols))
        elif c.get("unique"):
            keys.add(("unique", cols))
        if c.get("foreign_key"):
            keys.add(("references", cols, tuple(c["foreign_key"])))
        elif c.get("index") and not c.get("unique") and not c.get("primary_key"):
            indexes.add(cols)
    return columns, keys, indexes, widths


def check_schema():
    """Tables and columns every installed model uses, and django_admin_log and accounts_profile
    as Django's own migrate makes them (on the reference database)."""
    call_command("migrate", database="reference", verbosity=0, interactive=False)
    missing = missing_tables_and_columns(connections["default"])
    check(not missing, "every table and column Django's installed models use is there",
          "missing: " + ", ".join(missing))
    for table in ("django_admin_log", "accounts_profile"):
        ours, django_s = table_shape("default", table), table_shape("reference", table)
        if not check(ours is not None, "table %s is there" % table):
            continue
        problems = []
        for name in sorted(set(ours[0]) | set(django_s[0])):
            if ours[0].get(name) != django_s[0].get(name):
                problems.append("column %s: %s, Django's %s" % (name, ours[0].get(name, "missing"),
                                                               django_s[0].get(name, "none")))
        for key in sorted(ours[1] ^ django_s[1], key=repr):
            problems.append("%s %s" % ("extra" if key in ours[1] else "missing", " ".join(map(str, key))))
        check(not problems, "%s: the columns (type, length, null) and keys (primary, unique, references) are "
                            "those Django's migrate makes" % table, "; ".join(problems))
        if ours[2] != django_s[2]:
            info("%s: indexes on %s, Django's on %s" % (table, sorted(ours[2]), sorted(django_s[2])))
        wider = {c: (w, django_s[3].get(c)) for c, w in ours[3].items() if django_s[3].get(c) != w}
        if wider:
            info("%s: integer widths differ from Django's: %s" % (table, wider))
    # Not needed to run (Django's migrate makes them on its next run), but shown.
    mine = set(ContentType.objects.using("default").values_list("app_label", "model"))
    djangos = set(ContentType.objects.using("reference").values_list("app_label", "model"))
    if djangos - mine:
        info("content types Django's migrate would add: %s" % sorted(djangos - mine))
    mine = set(Permission.objects.using("default").values_list("content_type__app_label", "codename"))
    djangos = set(Permission.objects.using("reference").values_list("content_type__app_label", "codename"))
    if djangos - mine:
        info("permissions Django's migrate would add: %s" % sorted(djangos - mine))


def check_migrations(when):
    """`migrate --check --plan` (exit 1 when anything is unapplied; --plan so it writes nothing:
    a clean plain --check would go on to run post_migrate) and `makemigrations --check --dry-run`."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("migrate", check_unapplied=True, plan=True, database="default", stdout=out, stderr=err,
                     no_color=True)
        code = 0
    except SystemExit as e:
        code = e.code
    except Exception as e:  # noqa: BLE001 -- e.g. InconsistentMigrationHistory, a system check error
        code = "%s: %s" % (type(e).__name__, e)
    plan = out.getvalue()
    # The plan's migration lines are not indented; their operations are.
    unapplied = [line.strip() for line in plan.splitlines()[1:] if line.strip() and not line[0].isspace()]
    check(code == 0 and "No planned migration operations." in plan,
          "%s: Django's `migrate --check --plan` has nothing to apply" % when,
          "exit %s; unapplied: %s%s" % (code, ", ".join(unapplied) or squash(plan),
                                       (" stderr: " + squash(err.getvalue())) if err.getvalue() else ""))
    out = io.StringIO()
    try:
        call_command("makemigrations", check_changes=True, dry_run=True, interactive=False, stdout=out,
                     no_color=True)
        code = 0
    except SystemExit as e:
        code = e.code
    except Exception as e:  # noqa: BLE001
        code = "%s: %s" % (type(e).__name__, e)
    check(code == 0, "%s: Django's `makemigrations --check --dry-run` finds no changes" % when,
          "exit %s; %s" % (code, squash(out.getvalue())))


# ---- Gatehouse ----------------------------------------------------------------------------
def gatehouse_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
    env.update({
        "GATEHOUSE_DATABASE_URL": SHARED_URL,
        "GATEHOUSE_SECRET_KEY": SECRET_KEY,
        "GATEHOUSE_BIND": "127.0.0.1:0",
        "GATEHOUSE_PBKDF2_ITERATIONS": "1000",
        "GATEHOUSE_EMAIL_URL": "memory:",
        "GATEHOUSE_THROTTLE": "0",
        "GATEHOUSE_ACCESS_LOG": "0",
    })
    return env


def run_gatehouse(args, env):
    r = subprocess.run([GATEHOUSE] + args, env=env, capture_output=True, text=True, timeout=300,
                       stdin=subprocess.DEVNULL)
    return r.returncode, (r.stdout + r.stderr).strip()


def start_server(env):
    """`gatehouse serve`; its port once it prints where it listens. Stopped at exit."""
    log_path = os.path.join(TMP, "serve.log")
    log = open(log_path, "w")
    proc = subprocess.Popen([GATEHOUSE, "serve"], env=env, stdout=subprocess.PIPE, stderr=log, text=True,
                            stdin=subprocess.DEVNULL)

    def stop():
        stop_process(proc)
        log.close()
    on_exit(stop)
    line = proc.stdout.readline()
    m = re.search(r"listening on http://[^:]+:(\d+)/", line)
    if not m:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
        with open(log_path) as f:
            raise RuntimeError("gatehouse serve did not start (exit %s): %s%s" % (proc.poll(), line, f.read()))
    threading.Thread(target=proc.stdout.read, daemon=True).start()  # a full pipe never blocks it
    return proc, int(m.group(1))


# ---- the test ----------------------------------------------------------------------------------
EXPECTED = {
    "group": '[{"added": {}}]',
    "add": '[{"added": {}}]',
    "names": '[{"changed": {"fields": ["First name", "Email address"]}}]',
    "profile": '[{"changed": {"name": "profile", "object": "<object>", "fields": ["Default language"]}}]',
    "mixed": '[{"changed": {"fields": ["Last name"]}}, {"changed": {"name": "profile", "object": "<object>", '
             '"fields": ["Default expiration", "Private"]}}]',
    "groups": '[{"changed": {"fields": ["Groups"]}}]',
    "password": '[{"changed": {"fields": ["password"]}}]',
    "last_name": '[{"changed": {"fields": ["Last name"]}}]',
    "delete": "",
}


def passphrase(who):
    return "%s passphrase %s" % (who, secrets.token_hex(4))


def main():
    root_password, djadmin_password, carol_password = passphrase("root"), passphrase("djadmin"), passphrase("carol")

    # 1. The schema: Gatehouse's migrate (or, with --django-only, Django's), then Django's checks.
    if DJANGO_ONLY:
        call_command("migrate", database="default", verbosity=0, interactive=False)
        User.objects.create_superuser("root", "root@example.com", root_password)
    else:
        env = gatehouse_env()
        rc, out = run_gatehouse(["migrate"], env)
        if not check(rc == 0, "`gatehouse migrate` on a fresh %s database" % ENGINE, "exit %d: %s" % (rc, out)):
            return checks.finish()
        rc, out = run_gatehouse(["createsuperuser", "--username", "root", "--email", "root@example.com",
                                 "--noinput"], dict(env, GATEHOUSE_SUPERUSER_PASSWORD=root_password))
        if not check(rc == 0, "`gatehouse createsuperuser --noinput` makes root", "exit %d: %s" % (rc, out)):
            return checks.finish()
    check_migrations("after `%s migrate`" % ("django-admin" if DJANGO_ONLY else "gatehouse"))
    check_schema()

    # Django's actor, and the users both admins act on.
    User.objects.create_superuser("djadmin", "djadmin@example.com", djadmin_password)
    root = User.objects.get(username="root")
    djadmin = User.objects.get(username="djadmin")

    gh = None
    if not DJANGO_ONLY:
        _proc, port = start_server(env)
        anonymous = GatehouseAdmin(port).get("/admin/")
        sent_to = urlsplit(anonymous.location or "")
        check(anonymous.status == 302 and sent_to.path == "/admin/login/"
              and parse_qs(sent_to.query).get("next") == ["/admin/"],
              "Gatehouse: an anonymous GET /admin/ is sent to /admin/login/?next=/admin/",
              "%s %s" % (anonymous.status, anonymous.location))
        gh = GatehouseAdmin(port)
        problem = gh.login("root", root_password)
        if not check(problem is None, "Gatehouse: root logs in on /admin/login/", problem or ""):
            return checks.finish()
    dj = DjangoAdmin("djadmin")

    alice, bobby = Target(User, "gh_alice"), Target(User, "dj_bobby")
    editors, reviewers = Target(Group, "gh_editors"), Target(Group, "dj_reviewers")

    # 2. The same actions through both admins.
    pair("add a group", gh, root, editors, lambda: add_group(gh, editors.name),
         dj, djadmin, reviewers, lambda: add_group(dj, reviewers.name), ADDITION, EXPECTED["group"])

    # (a) Adding a user. Both add pages carry the profile inline; it is posted untouched, so
    # neither admin saves it: Django skips an unchanged extra inline form. (Were it filled in, a
    # Django project that makes profiles in a post_save receiver, as Gatehouse does, would fail
    # with an IntegrityError -- the receiver's profile, then the inline's -- so the add message
    # of such a project is only ever the user's own [{"added": {}}].) This Django app has no such
    # receiver, so Django's user gets no profile; it gets one here through the ORM, as Gatehouse's
    # receiver gave Gatehouse's, so both users start the next steps alike.
    pair("(a) add a user", gh, root, alice, lambda: add_user(gh, alice.name, passphrase("alice")),
         dj, djadmin, bobby, lambda: add_user(dj, bobby.name, passphrase("bobby")), ADDITION, EXPECTED["add"])
    if bobby.id is not None:
        check(not Profile.objects.filter(user_id=bobby.id).exists(),
              "(a) Django's add saved no profile for the untouched inline")
        Profile.objects.create(user_id=bobby.id)
    if gh is not None and alice.id is not None:
        if not check(Profile.objects.filter(user_id=alice.id).exists(),
                     "(a) Gatehouse's add made gh_alice's profile (its post_save receiver)"):
            Profile.objects.create(user_id=alice.id)  # so the next steps still compare
    if (gh is not None and alice.id is None) or bobby.id is None:
        check(False, "(a) both users were added, so (b)-(f) can run",
              "gh_alice id %s, dj_bobby id %s" % (alice.id, bobby.id))
        return checks.finish()

    def both(label, g_fn, d_fn, expected, flag=CHANGE, targets=(alice, bobby)):
        return pair(label, gh, root, targets[0], g_fn, dj, djadmin, targets[1], d_fn, flag, expected)

    both("(b) change first name and email",
         lambda: change_user(gh, alice.id, {"first_name": ["Alice"], "email": ["alice@example.com"]}),
         lambda: change_user(dj, bobby.id, {"first_name": ["Bobby"], "email": ["bobby@example.com"]}),
         EXPECTED["names"])
    both("(c) change a profile inline field",
         lambda: change_user(gh, alice.id, {"profile-0-default_language": ["python"]}),
         lambda: change_user(dj, bobby.id, {"profile-0-default_language": ["python"]}),
         EXPECTED["profile"])
    both("(c2) change a user field and two inline fields",
         lambda: change_user(gh, alice.id, {"last_name": ["Liddell"], "profile-0-default_expiration": ["1m"],
                                            "profile-0-private": ["on"]}),
         lambda: change_user(dj, bobby.id, {"last_name": ["Tables"], "profile-0-default_expiration": ["1m"],
                                            "profile-0-private": ["on"]}),
         EXPECTED["mixed"])
    p = Profile.objects.filter(user_id=alice.id).first() if gh is not None else None
    if p is not None:
        check((p.default_language, p.default_expiration, p.private) == ("python", "1m", True),
              "(c) Gatehouse saved gh_alice's profile as Django reads it",
              "%r" % ((p.default_language, p.default_expiration, p.private),))
    both("(d) change groups",
         lambda: change_user(gh, alice.id, {"groups": [str(editors.id)]}),
         lambda: change_user(dj, bobby.id, {"groups": [str(reviewers.id)]}),
         EXPECTED["groups"])
    if gh is not None:
        check(list(User.objects.get(pk=alice.id).groups.values_list("name", flat=True)) == [editors.name],
              "(d) Django reads gh_alice's groups as Gatehouse set them")
    alice_password, bobby_password = passphrase("alice new"), passphrase("bobby new")
    both("(e) set a password on <id>/password/",
         lambda: set_password(gh, alice.id, alice_password),
         lambda: set_password(dj, bobby.id, bobby_password),
         EXPECTED["password"])
    if gh is not None:
        check(check_password(alice_password, User.objects.get(pk=alice.id).password),
              "(e) Django accepts the password Gatehouse's admin set")

    # 3. Each admin's rows on the other's history page (before the users are deleted).
    if gh is not None:
        for target, writer, actor in ((bobby, "Django", djadmin), (alice, "Gatehouse", root)):
            url = "/admin/auth/user/%d/history/" % target.id
            ours, djangos = gh.get(url), dj.get(url)
            if not check(ours.status == 200, "history of %s: GET %s on Gatehouse answers 200" % (target.name, url),
                         "%s %s" % (ours.status, ours.location or "")):
                continue
            text = squash(html.unescape(ours.tree.text()))
            said = [e.get_change_message() for e in rows_about(target.id).order_by("id")]
            absent = [s for s in said if s not in text]
            check(said and not absent, "history of %s on Gatehouse shows %s's messages as Django renders them: %s"
                  % (target.name, writer, said), "absent: %s" % absent)
            check(actor.username in text, "history of %s on Gatehouse names the actor %s" % (target.name,
                                                                                           actor.username))
            g_rows, g_dates = history_rows(ours.tree)
            d_rows, d_dates = history_rows(djangos.tree)
            check(d_rows, "history of %s: Django's page lists the rows" % target.name, "rows %r" % d_rows)
            check(g_rows == d_rows, "history of %s: Gatehouse's table#change-history has Django's rows (user, "
                                    "action)" % target.name, "Gatehouse %r; Django %r" % (g_rows, d_rows))
            if g_dates != d_dates:
                info("history of %s: dates on Gatehouse %r, on Django %r" % (target.name, g_dates, d_dates))
    else:
        djangos = dj.get("/admin/auth/user/%d/history/" % bobby.id)
        d_rows, _ = history_rows(djangos.tree)
        check(d_rows and all(r[0] == "djadmin" for r in d_rows) and len(d_rows) == 6,
              "history of dj_bobby on Django: six rows by djadmin", "rows %r" % d_rows)
        info("history of dj_bobby on Django: %r" % d_rows)

    # (f) Deleting the users on their delete pages: the profile goes with the user; the rows
    # about the user stay (they are not the user's own actions), with the deletion's row added.
    about = {t.name: rows_about(t.id).count() for t in (alice, bobby)}
    both("(f) delete the user on its delete page",
         lambda: delete_user(gh, alice.id), lambda: delete_user(dj, bobby.id), EXPECTED["delete"], DELETION)
    for t in ((alice, bobby) if gh is not None else (bobby,)):
        gone = not User.objects.filter(pk=t.id).exists() and not Profile.objects.filter(user_id=t.id).exists()
        check(gone, "(f) %s and its profile are gone" % t.name)
        kept = rows_about(t.id).count()
        check(kept == about[t.name] + 1, "(f) the rows about %s stay, and the deletion's is added" % t.name,
              "%d rows before, %d after" % (about[t.name], kept))

    # 4. A user with admin actions of their own, deleted: their rows go (Django cascades
    # LogEntry.user); rows by others about them stay. Gatehouse deletes gh_carol, Django dj_dave,
    # both with the changelist's delete_selected.
    carol = User.objects.create_superuser("gh_carol", "carol@example.com", carol_password)
    dave = User.objects.create_superuser("dj_dave", "dave@example.com", None)
    erin = User.objects.create_user("gh_erin", "erin@example.com")
    frank = User.objects.create_user("dj_frank", "frank@example.com")
    carol_t, dave_t, erin_t, frank_t = (Target(User, u.username, u.id) for u in (carol, dave, erin, frank))
    as_carol = None
    if gh is not None:
        as_carol = GatehouseAdmin(gh.port)
        problem = as_carol.login("gh_carol", carol_password)
        check(problem is None, "Gatehouse: gh_carol (password set by Django) logs in", problem or "")
    # gh_erin and dj_frank were made by Django, so they have no profile: both admins show an
    # empty, untouched profile inline and must not save it.
    as_dave, carol_on_django = DjangoAdmin("dj_dave"), DjangoAdmin("gh_carol")
    pair("(g) change a user without a profile", as_carol, carol, erin_t,
         lambda: change_user(as_carol, erin.id, {"last_name": ["Erinson"]}),
         as_dave, dave, frank_t, lambda: change_user(as_dave, frank.id, {"last_name": ["Franklin"]}),
         CHANGE, EXPECTED["last_name"])
    act("(4) gh_carol changes dj_frank", carol_on_django,
        lambda: change_user(carol_on_django, frank.id, {"first_name": ["Frank"]}))
    act("(4) djadmin changes gh_carol", dj, lambda: change_user(dj, carol.id, {"first_name": ["Carol"]}))
    by_carol = LogEntry.objects.filter(user_id=carol.id).count()
    check(by_carol == (2 if gh is not None else 1), "(4) gh_carol has her own rows before her deletion",
          "%d rows" % by_carol)
    about_carol = rows_about(carol.id).exclude(user_id=carol.id).count()
    pair("(4) delete a user with admin actions (delete_selected)", gh, root, carol_t,
         lambda: delete_selected(gh, carol.id), dj, djadmin, dave_t, lambda: delete_selected(dj, dave.id),
         DELETION, EXPECTED["delete"])
    for t in ((carol_t, dave_t) if gh is not None else (dave_t,)):
        left = list(LogEntry.objects.filter(user_id=t.id))
        check(not left and not User.objects.filter(pk=t.id).exists(),
              "(4) %s is gone with the rows of her own actions" % t.name
              if t is carol_t else "(4) %s is gone with the rows of his own actions (Django)" % t.name,
              "rows left: %s" % "; ".join(row_summary(e) for e in left))
    if gh is not None:
        now_about = rows_about(carol.id).exclude(user_id=carol.id).count()
        check(now_about == about_carol + 1, "(4) the rows by others about gh_carol stay, with root's deletion",
              "%d before, %d after" % (about_carol, now_about))

    # 3, continued: Recent actions, each viewer's own, on Gatehouse as on Django.
    viewers = [("djadmin", djadmin_password, "Django's rows")] + ([("root", None, "Gatehouse's rows")]
                                                                 if gh is not None else [])
    for username, password, whose in viewers:
        djangos = recent_actions(DjangoAdmin(username).get("/admin/").tree)
        check(djangos, "Recent actions of %s on Django are listed" % username, "none")
        if gh is None:
            info("Recent actions of %s on Django: %r" % (username, djangos))
            continue
        viewer = gh
        if password is not None:
            viewer = GatehouseAdmin(gh.port)
            problem = viewer.login(username, password)
            if not check(problem is None, "Gatehouse: %s (password set by Django) logs in" % username, problem or ""):
                continue
        page = viewer.get("/admin/")
        if not check(page.status == 200, "Gatehouse: GET /admin/ as %s answers 200" % username, str(page.status)):
            continue
        ours = recent_actions(page.tree)
        check(ours == djangos, "Recent actions of %s on Gatehouse (%s) are Django's: class, link, object, type"
              % (username, whose), "Gatehouse %r; Django %r" % (ours, djangos))

    # Every row reads in Django, and Django still finds nothing to migrate.
    unreadable = []
    for e in LogEntry.objects.select_related("content_type", "user").all():
        try:
            str(e), e.get_change_message(), e.get_admin_url()
        except Exception as ex:  # noqa: BLE001
            unreadable.append("%s: %r" % (row_summary(e), ex))
    check(not unreadable, "every django_admin_log row reads in Django (str, get_change_message, get_admin_url)",
          "; ".join(unreadable))
    check_migrations("at the end")
    if gh is not None:
        check(_proc.poll() is None, "the server kept running", "exit status %s" % _proc.poll())
    return checks.finish()


if __name__ == "__main__":
    code = 1
    try:
        code = main()
    except BaseException as e:  # noqa: BLE001 -- reported, then cleaned up
        if not isinstance(e, (SystemExit, KeyboardInterrupt)):
            traceback.print_exc()
        print("FAIL: django_admin could not run: %r" % (e,))
        code = 1
    finally:
        run_now()
    sys.exit(code)
