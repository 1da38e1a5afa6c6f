#!/usr/bin/python3
"""docs/openapi.yaml against a real `gatehouse serve`.

First the document itself: OpenAPI 3.1.0, every $ref resolves, every schema
is a valid JSON Schema 2020-12 (Draft202012Validator.check_schema), every
component is used, every operation's security names a scheme.

Then two real servers (SQLite, a real SMTP sink):
  A  GATEHOUSE_EMAIL_VERIFICATION=mandatory, 127.0.0.1 a trusted proxy (so
     each test client has its own X-Forwarded-For address and throttles stay
     apart): every endpoint, every status that a client can provoke, the
     throttles' 429s (by repeated failures: the limits are not
     configurable), the second factor (an app enrolled with codes computed
     here from its secret, the two-step login with an app's code and with a
     recovery code, the devices' growing delay's 429s), passkeys (a software
     WebAuthn authenticator here: an ES256 key from python3-cryptography, the
     `none` attestation and the COSE key in CBOR encoded by hand, for the
     origin and RP ID the server derives from the address it listens on:
     registration, the two-step login with a passkey, a passkey alone, each
     check's refusal, removal, and a passkey alone for an address that is no
     longer confirmed, changed behind the server's back in its SQLite
     database as Django's admin on the same database would), the server's
     own 400/408/413/431 answers over raw sockets, 405 on every path and 404
     on an unknown one;
  B  sessions and throttles in a throwaway Redis that the test stops: the
     503s of every endpoint that reaches the cache; POST /api/email/confirm
     (database only) gets its 503 while this test holds the SQLite write lock.
     Its GATEHOUSE_SITE_URL has user information in it
     (http://gatehouse@127.0.0.1), which names no WebAuthn relying party:
     passkeys are off there, the 409 `passkeys_unavailable`s.

Each answer is validated against the document's response for its (path,
method, status): a status the document does not list is a failure; the body
against the schema (JSON) or media type, the required headers present and
every documented header's value against its schema (Set-Cookie: each field,
and the cookies `x-set-cookies` names). At the end, every (path, method,
status) triple of the document must have been exercised, except those in
CANNOT_PROVOKE, and every documented header seen at least once.

The only waits are polls: for a server, Redis or an email to be ready, and
the server's own 15 s read timeout (the 408s), which runs while the rest
goes on.

Usage: openapi_test.py PATH_TO_GATEHOUSE
Prints "openapi: N responses validated, M/T (path, method, status) triples
exercised, ..." and exits non-zero on any failure.
"""
import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import shutil
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time

import jsonschema
import yaml
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
from gatehouse_client import Client, free_port, start_server, wait_for  # noqa: E402
from smtp_sink import Sink  # noqa: E402

DOCUMENT = os.path.join(ROOT, "docs", "openapi.yaml")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
SAFE = ("GET", "HEAD", "OPTIONS", "TRACE")
SERVER_ANSWERS = ("HttpBadRequest", "RequestTimeout", "BodyTooLarge", "HeaderTooLarge")  # components.responses
PASSWORD = "correct horse battery staple"

# (path, method, status) triples of the document no client can provoke
# against a healthy server without fault injection, each with its reason.
# Empty: every documented triple is provoked. (The 503 `busy` variant --
# the hash pool's queue of 1024 full -- shares its triples with
# `unavailable`, which is provoked; see NOT_PROVOKED_VARIANTS.)
CANNOT_PROVOKE = {
}
NOT_PROVOKED_VARIANTS = [
    "503 error=busy (password hashing queue full: 1024 requests waiting on the hash pool); "
    "the 503 triples are exercised with error=unavailable",
    "POST /api/login 200 enrolment_required and POST /api/mfa/totp/confirm 200 with id and username "
    "(GATEHOUSE_MFA_REQUIRED, which these servers do not set); the 200 triples are exercised with a user "
    "and mfa_required",
]

failures = []


def fail(what):
    failures.append(what)
    print("FAIL:", what, flush=True)


def expect(ok, what):
    if not ok:
        fail(what)
    return ok


# ---- the document ------------------------------------------------------------------------

def pointer(doc, ref):
    """The object a local $ref names, or KeyError."""
    if not ref.startswith("#/"):
        raise KeyError("not a local reference: " + ref)
    node = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise KeyError(ref)
    return node


def walk(node, path=""):
    """Yields (json path, dict) for every mapping in the document."""
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            yield from walk(v, path + "/" + str(k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, path + "/" + str(i))


def deref(doc, obj):
    seen = 0
    while isinstance(obj, dict) and "$ref" in obj:
        obj = pointer(doc, obj["$ref"])
        seen += 1
        if seen > 20:
            raise KeyError("a $ref loop")
    return obj


def check_document(doc):
    expect(doc.get("openapi") == "3.1.0", "openapi is 3.1.0, not %r" % doc.get("openapi"))
    for key in ("info", "paths", "components"):
        expect(key in doc, "the document has " + key)
    refs = set()
    for where, obj in walk(doc):
        if "$ref" in obj and isinstance(obj["$ref"], str):
            refs.add(obj["$ref"])
            try:
                pointer(doc, obj["$ref"])
            except (KeyError, IndexError, ValueError):
                fail("%s: $ref %s does not resolve" % (where, obj["$ref"]))
    # Every component is used.
    for kind, items in doc.get("components", {}).items():
        if kind == "securitySchemes":
            continue
        for name in items:
            expect("#/components/%s/%s" % (kind, name) in refs, "components.%s.%s is never referenced" % (kind, name))
    # Every schema is JSON Schema 2020-12.
    schemas = [("/components/schemas/" + n, s) for n, s in doc["components"].get("schemas", {}).items()]
    for where, obj in walk(doc["paths"], "/paths"):
        if "schema" in obj and isinstance(obj["schema"], dict):
            schemas.append((where + "/schema", obj["schema"]))
    for where, obj in walk(doc["components"].get("headers", {}), "/components/headers"):
        if "schema" in obj and isinstance(obj["schema"], dict):
            schemas.append((where + "/schema", obj["schema"]))
    for where, obj in walk(doc["components"].get("responses", {}), "/components/responses"):
        if "schema" in obj and isinstance(obj["schema"], dict):
            schemas.append((where + "/schema", obj["schema"]))
    for where, schema in schemas:
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.exceptions.SchemaError as e:
            fail("%s is not a valid JSON Schema 2020-12: %s" % (where, e.message))
    schemes = doc["components"].get("securitySchemes", {})
    operation_ids = set()
    for path, item in doc["paths"].items():
        for name in re.findall(r"{([^}]+)}", path):
            for method in METHODS:
                if method in item:
                    params = [deref(doc, p) for p in item[method].get("parameters", []) + item.get("parameters", [])]
                    expect(any(p.get("in") == "path" and p.get("name") == name and p.get("required") for p in params),
                           "%s %s declares the path parameter %s" % (method.upper(), path, name))
        for method in METHODS:
            if method not in item:
                continue
            op = item[method]
            where = "%s %s" % (method.upper(), path)
            expect(op.get("operationId") not in operation_ids, where + ": operationId is unique")
            operation_ids.add(op.get("operationId"))
            expect(bool(op.get("responses")), where + " has responses")
            for requirement in op.get("security", doc.get("security", [])):
                for scheme in requirement:
                    expect(scheme in schemes, "%s: security scheme %s is defined" % (where, scheme))
            for status, response in op.get("responses", {}).items():
                expect(re.fullmatch(r"[1-5][0-9][0-9]", str(status)) is not None, "%s: status %r" % (where, status))
                r = deref(doc, response)
                expect(bool(r.get("description")), "%s %s has a description" % (where, status))
                for hname, header in r.get("headers", {}).items():
                    expect("schema" in deref(doc, header), "%s %s header %s has a schema" % (where, status, hname))
                # The server's own answers come before it knows the method: they have a body even to HEAD.
                own = response.get("$ref", "").rsplit("/", 1)[-1] in SERVER_ANSWERS
                if method == "head" and not own:
                    expect("content" not in r, "%s %s: a HEAD answer documents no body" % (where, status))


def triples_of(doc):
    out = set()
    for path, item in doc["paths"].items():
        for method in METHODS:
            for status in item.get(method, {}).get("responses", {}):
                out.add((path, method, str(status)))
    return out


def template_regex(template):
    return re.compile("^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template)) + "$")


# ---- HTTP ------------------------------------------------------------------------------

class Reply:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def header(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def __repr__(self):
        return "%d %s" % (self.status, self.body[:300].decode(errors="replace"))


class Validator:
    """Checks answers against the document and keeps the score."""

    def __init__(self, doc):
        self.doc = doc
        self.resolver = jsonschema.RefResolver(base_uri="", referrer=doc)
        self.exercised = set()
        self.validated = 0  # answers that conformed
        self.checked = 0
        self.outside_paths = 0  # 405s and 404s validated against components.responses
        self.headers_seen = set()
        self.documented_headers = set()
        for path, item in doc["paths"].items():
            for method in METHODS:
                for status, response in item.get(method, {}).get("responses", {}).items():
                    for hname in deref(doc, response).get("headers", {}):
                        self.documented_headers.add((path, method, str(status), hname.lower()))

    def schema_errors(self, schema, value):
        v = jsonschema.Draft202012Validator(schema, resolver=self.resolver)
        try:
            return ["%s at %s" % (e.message, "/".join(map(str, e.absolute_path)) or "(root)") for e in v.iter_errors(value)]
        except jsonschema.exceptions.RefResolutionError as e:
            return ["the schema does not resolve: %s" % e]

    def route(self, method, path):
        """The document's path template for a concrete path and method (a literal path before a template)."""
        paths = self.doc["paths"]
        path = path.split("?", 1)[0]
        if path in paths and method.lower() in paths[path]:
            return path
        for template in paths:
            if "{" in template and template_regex(template).match(path) and method.lower() in paths[template]:
                return template
        return None

    def check(self, method, path, reply, what, response=None, template=None):
        """Validates `reply` to METHOD path against the document (or against `response`, a
        response object outside the paths: 404, 405). True if it conforms."""
        method = method.lower()
        ok = True
        where = "%s: %s %s -> %d" % (what, method.upper(), path, reply.status)
        if response is None:
            template = template or self.route(method, path)
            if template is None:
                return expect(False, where + ": no such operation in the document")
            responses = self.doc["paths"][template][method]["responses"]
            if str(reply.status) not in responses:
                return expect(False, "%s: status %d is not documented for %s %s; body %r" %
                              (where, reply.status, method.upper(), template, reply.body[:300]))
            response = deref(self.doc, responses[str(reply.status)])
            key = (template, method, str(reply.status))
        else:
            response = deref(self.doc, response)
            key = None
            self.outside_paths += 1
        # Headers.
        for hname, header in response.get("headers", {}).items():
            header = deref(self.doc, header)
            values = reply.header(hname)
            if not values:
                if header.get("required"):
                    ok = expect(False, "%s: the required header %s is missing" % (where, hname)) and ok
                continue
            if key:
                self.headers_seen.add(key + (hname.lower(),))
            schema = header.get("schema", {})
            for value in values:
                typed = value
                if deref(self.doc, schema).get("type") == "integer":
                    typed = int(value) if re.fullmatch(r"-?[0-9]+", value) else value
                for e in self.schema_errors(schema, typed):
                    ok = expect(False, "%s: header %s: %r: %s" % (where, hname, value, e)) and ok
            if hname.lower() == "set-cookie":
                names = {v.split("=", 1)[0] for v in values}
                for cookie in header.get("x-set-cookies", []):
                    ok = expect(cookie in names, "%s: Set-Cookie does not set %s (%s)" % (where, cookie, values)) and ok
        # Body.
        content = response.get("content")
        if not content:
            ok = expect(reply.body == b"", "%s: no body is documented, got %r" % (where, reply.body[:200])) and ok
        elif method == "head" and reply.body == b"":
            pass  # HEAD: the headers of the GET answer, no body
        else:
            types = reply.header("Content-Type")
            media = types[0].split(";")[0].strip().lower() if types else ""
            documented = {k.split(";")[0].strip().lower(): v for k, v in content.items()}
            if media not in documented:
                ok = expect(False, "%s: Content-Type %r is not among %s" % (where, types, list(content))) and ok
            else:
                schema = documented[media].get("schema", {})
                if media == "application/json":
                    if reply.json is None and reply.body.strip() != b"null":
                        ok = expect(False, "%s: the body is not JSON: %r" % (where, reply.body[:200])) and ok
                    else:
                        for e in self.schema_errors(schema, reply.json):
                            ok = expect(False, "%s: body %s: %s" % (where, reply.body[:300], e)) and ok
                else:
                    for e in self.schema_errors(schema, reply.body.decode("utf-8", "replace")):
                        ok = expect(False, "%s: body: %s" % (where, e)) and ok
        self.checked += 1
        if ok:
            self.validated += 1
            if key:
                self.exercised.add(key)
        return ok


class Api(Client):
    """gatehouse_client.Client with every header of the answer kept (Set-Cookie
    comes twice), an X-Forwarded-For address of its own, and each answer
    checked against the document."""

    def __init__(self, port, validator, address=None):
        super().__init__(port)
        self.validator = validator
        self.address = address

    def send(self, method, path, body=None, raw=None, content_type="application/json", headers=None, csrf=True):
        h = {}
        if self.address:
            h["X-Forwarded-For"] = self.address
        if self.cookies:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        if csrf and method not in SAFE and "csrftoken" in self.cookies:
            h["X-CSRFToken"] = self.cookies["csrftoken"]
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if data is not None and content_type:
            h["Content-Type"] = content_type
        h.update(headers or {})
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=data, headers=h)
            resp = conn.getresponse()
            reply = Reply(resp.status, resp.getheaders(), resp.read())
        finally:
            conn.close()
        for value in reply.header("Set-Cookie"):
            m = re.match(r"([^=]+)=([^;]*)", value)
            if m:
                if m.group(2) in ("", '""') or "Max-Age=0" in value:
                    self.cookies.pop(m.group(1), None)
                else:
                    self.cookies[m.group(1)] = m.group(2)
        return reply

    def expect(self, method, path, status, what, body=None, **kw):
        """Sends, checks the status is `status` and the answer conforms; returns the Reply."""
        reply = self.send(method, path, body, **kw)
        if expect(reply.status == status, "%s: %s %s: expected %d, got %r" % (what, method, path, status, reply)):
            self.validator.check(method, path, reply, what)
        return reply


def raw_exchange(port, data, timeout=10.0):
    """Sends `data` on a new connection and reads until the server closes it."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        return read_reply(s, timeout)
    finally:
        s.close()


def read_reply(s, timeout):
    s.settimeout(timeout)
    out = b""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            break
        if not chunk:
            break
        out += chunk
        head, sep, rest = out.partition(b"\r\n\r\n")
        if sep:
            m = re.search(rb"\r\ncontent-length:\s*(\d+)", head, re.I)
            if m and len(rest) >= int(m.group(1)):
                break
    head, sep, rest = out.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.[01] (\d{3})", lines[0]) if lines else None
    if not m:
        return Reply(0, [], out)
    headers = [tuple(x.strip() for x in line.split(":", 1)) for line in lines[1:] if ":" in line]
    length = [int(v) for k, v in headers if k.lower() == "content-length"]
    return Reply(int(m.group(1)), headers, rest[:length[0]] if length else rest)


# ---- the runs --------------------------------------------------------------------------



def confirmation_key(sink, address):
    def find():
        for m in sink.to(address):
            k = re.search(r"/accounts/confirm-email/([^/\s]+)/", m.get_body(("plain",)).get_content())
            if k:
                return k.group(1)
        return None
    return wait_for(find)


def reset_code(sink, address, after):
    def find():
        mails = sink.to(address)[after:]
        for m in reversed(mails):
            c = re.search(r"^\s{4}(\d{8})\s*$", m.get_body(("plain",)).get_content(), re.M)
            if c:
                return c.group(1)
        return None
    return wait_for(find)


def totp(secret, steps=0):
    """The authenticator app's code for `secret` (base32) `steps` time steps from now (RFC 6238: HOTP over
    HMAC-SHA-1 of the 30-second step, dynamic truncation, 6 digits)."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">Q", int(time.time() // 30) + steps), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 1000000)


def wrong_code(secret):
    """Six digits that no step near now (the server takes one either side) makes."""
    near = {totp(secret, steps) for steps in range(-3, 4)}
    return next(c for c in ("000000", "111111", "222222", "333333", "444444", "555555", "666666", "777777") if c not in near)


def until_throttled(client, path, body, what):
    """Repeats a wrong code until the answer is 429. The device's growing delay (1 s after a wrong code,
    then 2, 4, 8) refuses the next request at once; a request that comes too late for it (a slow machine)
    is one more wrong code (400), and the fifth of those trips the throttle. Each answer is validated."""
    for i in range(5):
        r = client.send("POST", path, body)
        client.validator.check("POST", path, r, "%s %d" % (what, i + 1))
        if r.status == 429:
            return r
        expect(r.status == 400, "%s %d: %s: expected 429 or 400, got %r" % (what, i + 1, path, r))
    fail("%s: no 429 after 5 wrong codes" % what)
    return None


# ---- passkeys: a software WebAuthn authenticator ------------------------------------------

def site_origin(port):
    """The origin of a server without GATEHOUSE_SITE_URL: `gatehouse serve` makes its site URL http://<bind
    host>:<port> (start_server binds 127.0.0.1), so the RP ID is 127.0.0.1."""
    return "http://127.0.0.1:%d" % port


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def cbor(value):
    """CBOR (RFC 8949) of what an authenticator sends: maps, byte strings, text strings and integers
    (negative ones too: the COSE labels), each in its shortest head."""
    def head(major, n):
        if n < 24:
            return bytes([major << 5 | n])
        for extra, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
            if n < 1 << (8 * struct.calcsize(fmt)):
                return bytes([major << 5 | extra]) + struct.pack(fmt, n)
        raise ValueError("an integer too large for CBOR")
    if isinstance(value, bool):
        raise TypeError("no booleans here")
    if isinstance(value, int):
        return head(0, value) if value >= 0 else head(1, -1 - value)
    if isinstance(value, bytes):
        return head(2, len(value)) + value
    if isinstance(value, str):
        return head(3, len(value.encode())) + value.encode()
    if isinstance(value, dict):
        return head(5, len(value)) + b"".join(cbor(k) + cbor(v) for k, v in value.items())
    raise TypeError("no CBOR for %r" % (value,))


class Authenticator:
    """One passkey: an ES256 (P-256) key and a random credential id. create() and get() answer the options
    of the server's begin calls as a browser hands the PublicKeyCredential to the page (JSON, binary members
    in base64url): a `none` attestation, and assertions signed over authenticatorData || SHA-256(clientDataJSON)
    with a signature counter that grows each time."""

    def __init__(self, origin):
        self.origin = origin
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(16)
        self.id = b64url(self.credential_id)
        self.count = 0
        self.user_handle = b""

    def descriptor(self):
        return {"type": "public-key", "id": self.id}

    def client_data(self, kind, options, origin):
        return json.dumps({"type": kind, "challenge": options.get("challenge", ""), "origin": origin or self.origin,
                           "crossOrigin": False}).encode()

    def auth_data(self, rp_id, flags):
        """rpIdHash | flags | signCount (big-endian)."""
        self.count += 1
        return hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", self.count)

    def credential(self, response):
        return {"id": self.id, "rawId": self.id, "type": "public-key", "response": response}

    def create(self, options, origin=None):
        """navigator.credentials.create(): flags UP|UV|AT, no AAGUID, the COSE EC2 key {kty 2, alg -7, crv 1, x, y}."""
        self.user_handle = unb64url(options.get("user", {}).get("id", ""))
        numbers = self.key.public_key().public_numbers()
        cose = cbor({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})
        auth = (self.auth_data(options.get("rp", {}).get("id", ""), 0x45) + bytes(16) +
                struct.pack(">H", len(self.credential_id)) + self.credential_id + cose)
        return self.credential({
            "clientDataJSON": b64url(self.client_data("webauthn.create", options, origin)),
            "attestationObject": b64url(cbor({"fmt": "none", "attStmt": {}, "authData": auth}))})

    def get(self, options, flags=0x05, bad_signature=False):
        """navigator.credentials.get(): flags UP|UV unless told (0x01: present, not verified); a DER ECDSA
        signature, one bit of it flipped with `bad_signature`."""
        client = self.client_data("webauthn.get", options, None)
        auth = self.auth_data(options.get("rpId", ""), flags)
        signature = self.key.sign(auth + hashlib.sha256(client).digest(), ec.ECDSA(hashes.SHA256()))
        if bad_signature:
            signature = signature[:-1] + bytes([signature[-1] ^ 1])
        return self.credential({"clientDataJSON": b64url(client), "authenticatorData": b64url(auth),
                                "signature": b64url(signature), "userHandle": b64url(self.user_handle)})


def register_passkey(client, authenticator, what, name=None):
    """Registers `authenticator` for the client's logged-in user; returns the passkey's id."""
    r = client.expect("POST", "/api/mfa/webauthn/register/begin", 200, what + ": the options")
    body = {"credential": authenticator.create(r.json or {})}
    if name is not None:
        body["name"] = name
    r = client.expect("POST", "/api/mfa/webauthn/register/finish", 201, what, body)
    return (r.json or {}).get("id", 0)


def passkey_login(client, authenticator, status, what, **how):
    """POST /api/login/webauthn/begin, then /finish with the authenticator's answer; the finish's Reply."""
    r = client.expect("POST", "/api/login/webauthn/begin", 200, what + ": the options", {})
    return client.expect("POST", "/api/login/webauthn/finish", status, what,
                         {"credential": authenticator.get(r.json or {}, **how)})


def concrete(template):
    return template.replace("{id}", "0" * 24)


def operations(doc):
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method


def server_answers(doc, v, port, slow):
    """The HTTP server's own answers on every operation: 400, 413, 431 now; 408 from `slow`."""
    for path, method in operations(doc):
        line = "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n" % (method.upper(), concrete(path))
        for status, extra, what in (
                (400, "Content-Length: twelve\r\n\r\n", "malformed HTTP"),
                (413, "Content-Length: 2000000\r\nContent-Type: application/json\r\n\r\n", "a 2 MB body"),
                (431, "X-Padding: %s\r\n\r\n" % ("p" * 20000), "a 20 KB header")):
            reply = raw_exchange(port, (line + extra).encode())
            if expect(reply.status == status,
                      "%s: %s %s: expected %d, got %r" % (what, method.upper(), path, status, reply)):
                v.check(method, concrete(path), reply, what, template=path)
    reply = raw_exchange(port, b"POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: gzip, identity\r\n\r\n")
    if expect(reply.status == 400 and (reply.json or {}).get("error") == "bad_transfer_encoding",
              "Transfer-Encoding gzip: %r" % reply):
        v.check("post", "/api/login", reply, "bad Transfer-Encoding")


def open_slow(doc, port):
    """A connection per operation that sends half a request and stops: the server owes each a 408."""
    out = []
    for path, method in operations(doc):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        s.sendall(("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n" % (method.upper(), concrete(path))).encode())
        out.append((path, method, s))
    return out, time.time()


def collect_slow(v, slow, started):
    for path, method, s in slow:
        try:
            reply = read_reply(s, max(1.0, started + 25 - time.time()))
        finally:
            s.close()
        if expect(reply.status == 408, "a stalled request: %s %s: expected 408, got %r" % (method.upper(), path, reply)):
            v.check(method, concrete(path), reply, "a stalled request", template=path)


def routing(doc, v, port):
    """405 on every path for a method it does not list, 404 on an unknown path."""
    c = Api(port, v, "192.0.2.90")
    c.send("GET", "/api/csrf")
    other = v.doc["x-gatehouse-other-methods"]["response"]
    for path, item in doc["paths"].items():
        mine = {m for m in METHODS if m in item}
        target = concrete(path)
        method = "GET" if "get" not in mine else "PUT"
        allow = set()
        for template, it in doc["paths"].items():
            if template_regex(template).match(target):
                allow |= {m.upper() for m in METHODS if m in it and m != "head"}
        if "GET" in allow:
            allow.add("HEAD")  # served as GET without the body
        r = c.send(method, target)
        if expect(r.status == 405, "%s %s: expected 405, got %r" % (method, target, r)):
            v.check(method, target, r, "a method the path does not list", response=other)
            got = set((r.header("Allow") or [""])[0].split(", "))
            expect(got == allow, "%s %s: Allow %s, the document says %s" % (method, target, sorted(got), sorted(allow)))
    r = c.send("GET", "/api/no-such-thing")
    if expect(r.status == 404, "an unknown path: %r" % r):
        v.check("GET", "/api/no-such-thing", r, "an unknown path", response=v.doc["x-gatehouse-unknown-paths"]["response"])


def run_a(doc, v, gatehouse, tmp, sink):
    env = {"GATEHOUSE_DATABASE_URL": "sqlite:" + os.path.join(tmp, "a.sqlite3"), "GATEHOUSE_PBKDF2_ITERATIONS": "1000",
           "GATEHOUSE_EMAIL_URL": sink.url, "GATEHOUSE_EMAIL_VERIFICATION": "mandatory",
           "GATEHOUSE_TRUSTED_PROXIES": "127.0.0.1"}
    proc, port = start_server(gatehouse, env, os.path.join(tmp, "a.log"))
    try:
        slow, started = open_slow(doc, port)
        service_and_anonymous(v, port)
        accounts(v, port, sink)
        mfa(v, port, sink)
        passkeys(v, port, sink, os.path.join(tmp, "a.sqlite3"))
        throttles(v, port, sink)
        routing(doc, v, port)
        server_answers(doc, v, port, slow)
        return proc, port, slow, started
    except BaseException:
        proc.terminate()
        proc.wait(timeout=30)
        raise


def service_and_anonymous(v, port):
    anon = Api(port, v, "192.0.2.1")
    anon.expect("GET", "/healthz", 200, "health")
    r = anon.expect("GET", "/metrics", 200, "metrics")
    expect(b"gatehouse_http_requests_total{" in r.body, "metrics count requests")
    r = anon.expect("GET", "/api/csrf", 200, "a first CSRF token")
    expect(bool(r.header("Set-Cookie")), "the first /api/csrf sets the csrftoken cookie")
    r = anon.expect("GET", "/api/csrf", 200, "a second CSRF token")
    expect(not r.header("Set-Cookie"), "a valid csrftoken cookie is kept")
    anon.expect("GET", "/api/me", 401, "me, anonymous")
    anon.expect("GET", "/api/auth/verify", 401, "verify, anonymous")
    anon.expect("HEAD", "/api/auth/verify", 401, "HEAD verify, anonymous")
    anon.expect("GET", "/api/sessions", 401, "sessions, anonymous")
    anon.expect("POST", "/api/password/change", 401, "password change, anonymous",
                {"old_password": "x", "new_password": "y"})
    anon.expect("DELETE", "/api/sessions/" + "0" * 24, 401, "end a session, anonymous")
    anon.expect("POST", "/api/sessions/end-others", 401, "end the other sessions, anonymous")
    anon.expect("GET", "/api/mfa", 401, "the second factors, anonymous")
    anon.expect("POST", "/api/mfa/totp/setup", 401, "an app's setup, anonymous")
    anon.expect("POST", "/api/mfa/totp/confirm", 401, "an app's confirmation, anonymous", {"code": "123456"})
    anon.expect("POST", "/api/mfa/totp/disable", 401, "disabling the app, anonymous", {"password": PASSWORD})
    anon.expect("POST", "/api/mfa/recovery-codes", 401, "new recovery codes, anonymous", {"password": PASSWORD})
    anon.expect("POST", "/api/mfa/webauthn/register/begin", 401, "a passkey's options, anonymous")
    anon.expect("POST", "/api/mfa/webauthn/register/finish", 401, "a passkey's registration, anonymous", {"credential": {}})
    anon.expect("PATCH", "/api/mfa/webauthn/1", 401, "renaming a passkey, anonymous", {"name": "x"})
    anon.expect("DELETE", "/api/mfa/webauthn/1", 401, "removing a passkey, anonymous")
    anon.expect("POST", "/api/logout", 204, "logout, anonymous")

    # CSRF: every unsafe operation, each way the check fails.
    unsafe = [("POST", "/api/signup", {"username": "x", "email": "x@example.com", "password": PASSWORD}),
              ("POST", "/api/login", {"username": "x", "password": "y"}),
              ("POST", "/api/logout", None),
              ("POST", "/api/password/change", {"old_password": "x", "new_password": "y"}),
              ("POST", "/api/password/forgot", {"email": "x@example.com"}),
              ("POST", "/api/password/reset", {"email": "x@example.com", "code": "12345678", "new_password": PASSWORD}),
              ("POST", "/api/email/confirm", {"key": "x"}),
              ("DELETE", "/api/sessions/" + "0" * 24, None),
              ("POST", "/api/sessions/end-others", None),
              ("POST", "/api/login/mfa", {"code": "123456"}),
              ("POST", "/api/mfa/totp/setup", None),
              ("POST", "/api/mfa/totp/confirm", {"code": "123456"}),
              ("POST", "/api/mfa/totp/disable", {"password": PASSWORD}),
              ("POST", "/api/mfa/recovery-codes", {"password": PASSWORD}),
              ("POST", "/api/login/webauthn/begin", {}),
              ("POST", "/api/login/webauthn/finish", {"credential": {}}),
              ("POST", "/api/mfa/webauthn/register/begin", None),
              ("POST", "/api/mfa/webauthn/register/finish", {"credential": {}}),
              ("PATCH", "/api/mfa/webauthn/1", {"name": "x"}),
              ("DELETE", "/api/mfa/webauthn/1", None)]
    no_cookie = Api(port, v, "192.0.2.2")
    ways = [("no CSRF cookie", no_cookie, {}, True),
            ("no CSRF token", anon, {}, False),
            ("a wrong CSRF token", anon, {"X-CSRFToken": "A" * 64}, True),
            ("a foreign Origin", anon, {"Origin": "https://evil.example"}, True)]
    for i, (method, path, body) in enumerate(unsafe):
        what, client, headers, csrf = ways[i % len(ways)]
        r = client.expect(method, path, 403, what, body, headers=headers, csrf=csrf)
        expect((r.json or {}).get("error") == "csrf_failed", "%s: %s %s is a CSRF failure: %r" % (what, method, path, r))

    # Bodies that are not JSON objects, not JSON, not application/json; missing fields.
    for path, body in (("/api/signup", {"username": "x", "email": "x@example.com", "password": PASSWORD}),
                       ("/api/login", {"username": "x", "password": "y"}),
                       ("/api/password/forgot", {"email": "x@example.com"}),
                       ("/api/password/reset", {"email": "x@example.com", "code": "1", "new_password": PASSWORD}),
                       ("/api/email/confirm", {"key": "x"}),
                       ("/api/login/mfa", {"code": "123456"}),
                       ("/api/login/webauthn/finish", {"credential": {}})):
        anon.expect("POST", path, 415, "form-encoded", raw=b"a=b", content_type="application/x-www-form-urlencoded")
        anon.expect("POST", path, 415, "no Content-Type", raw=json.dumps(body).encode(), content_type=None)
        r = anon.expect("POST", path, 400, "not JSON", raw=b"{not json")
        expect((r.json or {}).get("error") == "malformed_json", "not JSON is malformed_json: %r" % r)
        anon.expect("POST", path, 400, "a JSON array", raw=b"[1, 2]")
        first = next(iter(body))
        r = anon.expect("POST", path, 400, "a field that is not a string", dict(body, **{first: 5}))
        expect((r.json or {}).get("errors", {}).get(first) == ["This field is required."], "%s: %r" % (path, r))
    r = anon.expect("POST", "/api/password/forgot", 400, "not an address", {"email": "not an address"})
    expect("email" in (r.json or {}).get("errors", {}), "forgot names the email field: %r" % r)
    r = anon.expect("POST", "/api/password/reset", 400, "a weak new password",
                    {"email": "x@example.com", "code": "12345678", "new_password": "123"})
    expect("new_password" in (r.json or {}).get("errors", {}), "reset names new_password: %r" % r)
    r = anon.expect("POST", "/api/email/confirm", 400, "a forged key", {"key": "MQ:1abcde:forged"})
    expect((r.json or {}).get("error") == "invalid_key", "a forged key is invalid_key: %r" % r)
    r = anon.expect("POST", "/api/password/reset", 400, "an unknown address",
                    {"email": "nobody@example.com", "code": "12345678", "new_password": PASSWORD})
    expect((r.json or {}).get("error") == "invalid_code", "a wrong code is invalid_code: %r" % r)
    anon.expect("POST", "/api/login", 401, "an unknown user", {"username": "nobody", "password": PASSWORD})
    r = anon.expect("POST", "/api/login/mfa", 400, "a second step without a first", {"code": "123456"})
    expect((r.json or {}).get("error") == "invalid_code", "no pending login is invalid_code: %r" % r)
    r = anon.expect("POST", "/api/login/mfa", 400, "a recovery code without a first step",
                    {"recovery_code": "aaaa-bbbb-cccc"})
    expect((r.json or {}).get("error") == "invalid_code", "no pending login is invalid_code: %r" % r)

    # A passkey alone, anonymous: the options (the body is not read), a passkey nobody has, no challenge.
    stranger = Authenticator(site_origin(port))
    r = anon.expect("POST", "/api/login/webauthn/finish", 400, "a passkey before any options",
                    {"credential": stranger.get({"challenge": b64url(os.urandom(32)), "rpId": "127.0.0.1"})})
    expect((r.json or {}).get("error") == "invalid_credential", "no challenge is invalid_credential: %r" % r)
    r = anon.expect("POST", "/api/login/webauthn/begin", 200, "a passkey alone's options, no body")
    expect(bool(r.header("Set-Cookie")), "the options make a session for the challenge: %s" % r.headers)
    r = anon.expect("POST", "/api/login/webauthn/begin", 200, "the options, a body that is not read",
                    raw=b"not read", content_type="text/plain")
    options = r.json or {}
    expect(options.get("rpId") == "127.0.0.1" and options.get("allowCredentials") == [] and
           options.get("userVerification") == "required", "a passkey alone: any passkey, verified: %r" % r)
    r = anon.expect("POST", "/api/login/webauthn/finish", 400, "a passkey nobody registered",
                    {"credential": stranger.get(options)})
    expect((r.json or {}).get("error") == "invalid_credential", "an unknown passkey is invalid_credential: %r" % r)
    anon.expect("GET", "/api/me", 401, "me after a refused passkey")


def signed_up(v, port, sink, name, address):
    """A confirmed account `name`, and an Api client for its address, logged in."""
    c = Api(port, v, address)
    c.expect("GET", "/api/csrf", 200, "csrf for " + name)
    email = name + "@example.com"
    r = c.expect("POST", "/api/signup", 201, "signup " + name, {"username": name, "email": email, "password": PASSWORD})
    expect((r.json or {}).get("username") == name, "signup answers the account: %r" % r)
    key = confirmation_key(sink, email)
    expect(key is not None, "the confirmation link for %s arrived" % name)
    c.expect("POST", "/api/email/confirm", 200, "confirm " + name, {"key": key or ""})
    c.expect("POST", "/api/login", 200, "login " + name, {"username": name, "password": PASSWORD})
    return c, email, key


def accounts(v, port, sink):
    ann = Api(port, v, "192.0.2.10")
    ann.expect("GET", "/api/csrf", 200, "csrf for ann")
    r = ann.expect("POST", "/api/signup", 400, "an invalid username and a weak password",
                   {"username": "bad name!", "email": "ann@example.com", "password": "123"})
    expect({"username", "password"} <= set((r.json or {}).get("errors", {})), "signup names both fields: %r" % r)
    ann.expect("POST", "/api/signup", 201, "signup ann",
               {"username": "ann", "email": "ann@example.com", "password": PASSWORD})
    r = ann.expect("POST", "/api/signup", 400, "the same username again",
                   {"username": "ann", "email": "ann2@example.com", "password": PASSWORD})
    r = ann.expect("POST", "/api/login", 403, "login before confirming", {"username": "ann", "password": PASSWORD})
    expect((r.json or {}).get("error") == "email_unconfirmed", "an unconfirmed address: %r" % r)
    ann.expect("POST", "/api/login", 401, "a wrong password", {"username": "ann", "password": "wrong password 1"})
    key = confirmation_key(sink, "ann@example.com")
    expect(key is not None, "the confirmation link arrived")
    r = ann.expect("POST", "/api/email/confirm", 200, "confirm", {"key": key or ""})
    ann.expect("POST", "/api/email/confirm", 200, "confirm again", {"key": key or ""})
    r = ann.expect("POST", "/api/login", 200, "login", {"username": "ann", "password": PASSWORD})
    r = ann.expect("GET", "/api/me", 200, "me")
    expect((r.json or {}).get("email_verified") is True, "me: the address is confirmed: %r" % r)
    get = ann.expect("GET", "/api/auth/verify", 200, "verify")
    expect(get.header("X-Gatehouse-Username") == ["ann"], "verify names ann: %s" % get.headers)
    head = ann.expect("HEAD", "/api/auth/verify", 200, "HEAD verify")
    expect(head.header("X-Gatehouse-User-Id") == get.header("X-Gatehouse-User-Id"), "HEAD names the same user")
    expect(head.header("Content-Length") == [str(len(get.body))], "HEAD: the GET body's Content-Length")

    # Sessions: a second one ended by id, a third by end-others.
    phone = Api(port, v, "192.0.2.11")
    phone.send("GET", "/api/csrf")
    phone.expect("POST", "/api/login", 200, "login from a phone", {"username": "ann", "password": PASSWORD})
    r = ann.expect("GET", "/api/sessions", 200, "two sessions")
    sessions = (r.json or {}).get("sessions", [])
    expect(len(sessions) == 2 and sum(s["current"] for s in sessions) == 1, "two sessions, one current: %r" % r)
    others = [s["id"] for s in sessions if not s["current"]]
    r = ann.expect("DELETE", "/api/sessions/" + (others or ["x"])[0], 204, "end the phone's session")
    expect(not r.header("Set-Cookie"), "ending another session leaves this one's cookie")
    phone.expect("GET", "/api/me", 401, "the ended session")
    ann.expect("DELETE", "/api/sessions/" + "f" * 24, 404, "no such session")
    ann.expect("DELETE", "/api/sessions/end-others", 404, "DELETE end-others is DELETE {id}")
    phone.expect("POST", "/api/login", 200, "the phone again", {"username": "ann", "password": PASSWORD})
    ann.expect("POST", "/api/sessions/end-others", 204, "end the others")
    phone.expect("GET", "/api/auth/verify", 401, "verify after end-others")

    # Password change.
    ann.expect("POST", "/api/password/change", 415, "password change, text/plain",
               raw=b'{"old_password":"a","new_password":"b"}', content_type="text/plain")
    ann.expect("POST", "/api/password/change", 400, "password change, not JSON", raw=b"old=new")
    ann.expect("POST", "/api/password/change", 400, "password change, a missing field", {"old_password": PASSWORD})
    r = ann.expect("POST", "/api/password/change", 400, "password change, weak",
                   {"old_password": PASSWORD, "new_password": "1234"})
    expect("new_password" in (r.json or {}).get("errors", {}), "a weak new password is named: %r" % r)
    ann.expect("POST", "/api/password/change", 204, "password change",
               {"old_password": PASSWORD, "new_password": PASSWORD + " 2"})
    ann.expect("GET", "/api/me", 200, "me after the change")

    # Recovery: a code by email, a wrong one, the right one.
    before = len(sink.to("ann@example.com"))
    ann.expect("POST", "/api/password/forgot", 202, "forgot", {"email": "ann@example.com"})
    code = reset_code(sink, "ann@example.com", before)
    expect(code is not None, "the reset code arrived")
    wrong = "00000000" if code != "00000000" else "11111111"
    ann.expect("POST", "/api/password/reset", 400, "a wrong code",
               {"email": "ann@example.com", "code": wrong, "new_password": PASSWORD + " 3"})
    ann.expect("POST", "/api/password/reset", 204, "reset",
               {"email": "ann@example.com", "code": code or "", "new_password": PASSWORD + " 3"})
    ann.expect("GET", "/api/me", 401, "reset ends every session")

    # Ending the current session by id logs out; logout with a session.
    ann.expect("POST", "/api/login", 200, "login with the new password", {"username": "ann", "password": PASSWORD + " 3"})
    r = ann.expect("GET", "/api/sessions", 200, "one session")
    current = [s["id"] for s in (r.json or {}).get("sessions", []) if s["current"]]
    r = ann.expect("DELETE", "/api/sessions/" + (current or ["x"])[0], 204, "end the current session")
    expect(bool(r.header("Set-Cookie")), "ending the current session deletes its cookie")
    ann.expect("GET", "/api/me", 401, "after ending the current session")
    ann.expect("POST", "/api/login", 200, "login again", {"username": "ann", "password": PASSWORD + " 3"})
    ann.expect("POST", "/api/logout", 204, "logout")
    ann.expect("GET", "/api/auth/verify", 401, "verify after logout")


def mfa(v, port, sink):
    """The second factor: an app set up and confirmed with codes computed from its secret, the two-step
    login (the app's code, a recovery code), new recovery codes, disabling. A device refuses every code
    for 1 s after a wrong one: no success here follows a failure on the same device within that."""
    dee, _, _ = signed_up(v, port, sink, "dee", "192.0.2.20")
    r = dee.expect("GET", "/api/mfa", 200, "no second factor yet")
    expect(r.json == {"totp": False, "webauthn": [], "recovery_codes_remaining": 0}, "no factor: %r" % r)
    r = dee.expect("POST", "/api/mfa/totp/confirm", 400, "a code before any setup", {"code": "123456"})
    expect((r.json or {}).get("errors", {}).get("code") == ["Set up the authenticator app first."], "%r" % r)
    for path, body in (("/api/mfa/totp/confirm", {"code": "123456"}),
                       ("/api/mfa/totp/disable", {"password": PASSWORD}),
                       ("/api/mfa/recovery-codes", {"password": PASSWORD})):
        dee.expect("POST", path, 415, "form-encoded", raw=b"a=b", content_type="application/x-www-form-urlencoded")
        dee.expect("POST", path, 415, "no Content-Type", raw=json.dumps(body).encode(), content_type=None)
        r = dee.expect("POST", path, 400, "not JSON", raw=b"{not json")
        expect((r.json or {}).get("error") == "malformed_json", "not JSON is malformed_json: %r" % r)
        dee.expect("POST", path, 400, "a JSON array", raw=b"[1, 2]")
        first = next(iter(body))
        r = dee.expect("POST", path, 400, "a field that is not a string", {first: 5})
        expect((r.json or {}).get("errors", {}).get(first) == ["This field is required."], "%s: %r" % (path, r))

    # Setup, a wrong first code, the device's delay; a new setup is a new device.
    r = dee.expect("POST", "/api/mfa/totp/setup", 200, "an app's setup", raw=b"not read", content_type="text/plain")
    secret = (r.json or {}).get("secret", "A" * 32)
    expect("secret=" + secret + "&" in (r.json or {}).get("otpauth_uri", ""), "the URI carries the secret: %r" % r)
    r = dee.expect("GET", "/api/mfa", 200, "set up, not confirmed")
    expect((r.json or {}).get("totp") is False, "the app is not on before its first code: %r" % r)
    r = dee.expect("POST", "/api/mfa/totp/confirm", 400, "a wrong first code", {"code": wrong_code(secret)})
    expect("code" in (r.json or {}).get("errors", {}), "the code is named: %r" % r)
    until_throttled(dee, "/api/mfa/totp/confirm", {"code": wrong_code(secret)}, "a code in the device's delay")
    r = dee.expect("POST", "/api/mfa/totp/setup", 200, "a new setup")
    expect((r.json or {}).get("secret") not in (None, secret), "a new secret: %r" % r)
    secret = (r.json or {}).get("secret", "A" * 32)
    r = dee.expect("POST", "/api/mfa/totp/confirm", 200, "the app's code", {"code": totp(secret)})
    codes = (r.json or {}).get("recovery_codes") or ["x"]
    expect(len(set(codes)) == 10 and set(r.json) == {"recovery_codes"}, "ten recovery codes: %r" % r)
    r = dee.expect("GET", "/api/mfa", 200, "the app is on")
    expect(r.json == {"totp": True, "webauthn": [], "recovery_codes_remaining": 10}, "on, 10 codes: %r" % r)
    dee.expect("POST", "/api/mfa/totp/setup", 409, "a setup with an app on")

    # The two-step login with the app's code (the confirming step is spent: the next one).
    phone = Api(port, v, "192.0.2.21")
    phone.send("GET", "/api/csrf")
    r = phone.expect("POST", "/api/login", 200, "the password of a user with an app",
                     {"username": "dee", "password": PASSWORD})
    expect(r.json == {"mfa_required": True, "methods": ["totp", "recovery_code"]}, "a second step: %r" % r)
    expect(not r.header("Cache-Control"), "a pending session is not logged in: %s" % r.headers)
    phone.expect("GET", "/api/me", 401, "me, the second step pending")
    phone.expect("GET", "/api/mfa", 401, "the factors, the second step pending")
    phone.expect("POST", "/api/mfa/totp/setup", 401, "a setup, the second step pending")
    r = phone.expect("POST", "/api/login/mfa", 200, "the app's next code", {"code": totp(secret, 1)})
    expect((r.json or {}).get("username") == "dee" and "password_change_required" not in r.json, "dee: %r" % r)
    phone.expect("GET", "/api/me", 200, "me after the second step")
    r = phone.expect("POST", "/api/login/mfa", 400, "the second step again", {"code": totp(secret, 1)})
    expect((r.json or {}).get("error") == "invalid_code", "no pending login: %r" % r)

    # A wrong code, the app's delay, then a recovery code (another device).
    tablet = Api(port, v, "192.0.2.22")
    tablet.send("GET", "/api/csrf")
    tablet.expect("POST", "/api/login", 200, "the password from a tablet", {"username": "dee", "password": PASSWORD})
    r = tablet.expect("POST", "/api/login/mfa", 400, "a wrong code", {"code": wrong_code(secret)})
    expect((r.json or {}).get("error") == "invalid_code", "a wrong code is invalid_code: %r" % r)
    until_throttled(tablet, "/api/login/mfa", {"code": wrong_code(secret)}, "a code in the app's delay")
    r = tablet.expect("POST", "/api/login/mfa", 200, "a recovery code, typed in capitals",
                      {"recovery_code": codes[0].upper()})
    expect((r.json or {}).get("username") == "dee", "the recovery code logs dee in: %r" % r)
    r = tablet.expect("GET", "/api/mfa", 200, "a recovery code spent")
    expect((r.json or {}).get("recovery_codes_remaining") == 9, "nine left: %r" % r)

    # New recovery codes (the old set dies); disabling.
    r = dee.expect("POST", "/api/mfa/recovery-codes", 400, "new codes, a wrong password", {"password": "not it"})
    expect("password" in (r.json or {}).get("errors", {}), "the password is named: %r" % r)
    r = dee.expect("POST", "/api/mfa/recovery-codes", 200, "new recovery codes", {"password": PASSWORD})
    fresh = (r.json or {}).get("recovery_codes") or []
    expect(len(set(fresh)) == 10 and not set(fresh) & set(codes), "ten new codes: %r" % r)
    laptop = Api(port, v, "192.0.2.23")
    laptop.send("GET", "/api/csrf")
    laptop.expect("POST", "/api/login", 200, "the password from a laptop", {"username": "dee", "password": PASSWORD})
    r = laptop.expect("POST", "/api/login/mfa", 400, "a code of the old set", {"recovery_code": codes[1]})
    expect((r.json or {}).get("error") == "invalid_code", "the old set is dead: %r" % r)
    r = dee.expect("POST", "/api/mfa/totp/disable", 400, "disabling, a wrong password", {"password": "not it"})
    expect("password" in (r.json or {}).get("errors", {}), "the password is named: %r" % r)
    dee.expect("POST", "/api/mfa/totp/disable", 204, "disabling the app", {"password": PASSWORD})
    r = dee.expect("GET", "/api/mfa", 200, "no second factor again")
    expect(r.json == {"totp": False, "webauthn": [], "recovery_codes_remaining": 0}, "no factor: %r" % r)
    r = dee.expect("POST", "/api/mfa/recovery-codes", 400, "new codes without an app", {"password": PASSWORD})
    expect((r.json or {}).get("errors", {}).get("code") == ["Set up an authenticator app or a passkey before recovery codes."],
           "no app to recover: %r" % r)
    r = laptop.expect("POST", "/api/login", 200, "the password, no factor", {"username": "dee", "password": PASSWORD})
    expect(set(r.json or {}) == {"id", "username"}, "logged in by the password alone: %r" % r)


def passkeys(v, port, sink, db):
    """Passkeys (the software Authenticator above): registration and each refusal, renaming, the two-step
    login with a passkey (no user verification needed), a passkey alone (user verification needed; a replay
    refused by the counter), recovery codes with a passkey, removal (the password only for the last factor,
    which takes the recovery codes with it), another user's passkey, and a passkey alone for an address no
    longer confirmed (GATEHOUSE_EMAIL_VERIFICATION=mandatory)."""
    origin = site_origin(port)
    eve, _, _ = signed_up(v, port, sink, "eve", "192.0.2.30")
    laptop = Authenticator(origin)
    for method, path, body in (("POST", "/api/mfa/webauthn/register/finish", {"credential": {}}),
                               ("PATCH", "/api/mfa/webauthn/1", {"name": "x"})):
        eve.expect(method, path, 415, "form-encoded", raw=b"a=b", content_type="application/x-www-form-urlencoded")
        eve.expect(method, path, 415, "no Content-Type", raw=json.dumps(body).encode(), content_type=None)
        r = eve.expect(method, path, 400, "not JSON", raw=b"{not json")
        expect((r.json or {}).get("error") == "malformed_json", "not JSON is malformed_json: %r" % r)
        eve.expect(method, path, 400, "a JSON array", raw=b"[1, 2]")
        first = next(iter(body))
        r = eve.expect(method, path, 400, "a field of the wrong type", {first: 5})
        expect((r.json or {}).get("errors", {}).get(first) == ["This field is required."], "%s: %r" % (path, r))

    # Registration: not begun, another origin, the challenge used up, then right; the same authenticator again.
    r = eve.expect("POST", "/api/mfa/webauthn/register/finish", 400, "a registration not begun",
                   {"credential": laptop.create({"rp": {"id": "127.0.0.1"}, "user": {"id": "AAAAAAAAAAE"},
                                                 "challenge": b64url(os.urandom(32))})})
    expect((r.json or {}).get("errors", {}).get("credential") == ["Start the registration again."], "%r" % r)
    r = eve.expect("POST", "/api/mfa/webauthn/register/begin", 200, "a passkey's options (the body is not read)",
                   raw=b"not read", content_type="text/plain")
    options = r.json or {}
    expect(options.get("rp", {}).get("id") == "127.0.0.1" and options.get("user", {}).get("name") == "eve" and
           options.get("excludeCredentials") == [], "the options: this site, eve, nothing to exclude: %r" % r)
    r = eve.expect("POST", "/api/mfa/webauthn/register/finish", 400, "a passkey made for another origin",
                   {"credential": laptop.create(options, origin="https://evil.example")})
    expect((r.json or {}).get("errors", {}).get("credential") ==
           ["The passkey could not be registered. Try again. (the origin is not this site's)"], "%r" % r)
    r = eve.expect("POST", "/api/mfa/webauthn/register/finish", 400, "the challenge used up",
                   {"credential": laptop.create(options)})
    expect((r.json or {}).get("errors", {}).get("credential") == ["Start the registration again."], "%r" % r)
    pid = register_passkey(eve, laptop, "a passkey registered", name="laptop")
    r = eve.expect("POST", "/api/mfa/webauthn/register/begin", 200, "the options exclude it")
    expect((r.json or {}).get("excludeCredentials") == [laptop.descriptor()], "eve's passkey excluded: %r" % r)
    r = eve.expect("POST", "/api/mfa/webauthn/register/finish", 400, "the same authenticator again",
                   {"credential": laptop.create(r.json or {})})
    expect((r.json or {}).get("errors", {}).get("credential") == ["This passkey is registered already."], "%r" % r)
    r = eve.expect("GET", "/api/mfa", 200, "a passkey")
    keys = (r.json or {}).get("webauthn") or [{}]
    expect(len(keys) == 1 and keys[0].get("id") == pid and keys[0].get("name") == "laptop" and
           keys[0].get("last_used", "") is None and (r.json or {}).get("totp") is False, "one passkey, unused: %r" % r)
    r = eve.expect("PATCH", "/api/mfa/webauthn/%d" % pid, 200, "renaming the passkey", {"name": "work laptop"})
    expect(r.json == {"id": pid, "name": "work laptop"}, "renamed: %r" % r)
    eve.expect("PATCH", "/api/mfa/webauthn/999999", 404, "renaming no passkey", {"name": "x"})
    eve.expect("PATCH", "/api/mfa/webauthn/laptop", 404, "renaming, an id that is not a number", {"name": "x"})

    # The two-step login: the password, then the passkey (user verification not needed).
    phone = Api(port, v, "192.0.2.31")
    phone.send("GET", "/api/csrf")
    r = phone.expect("POST", "/api/login", 200, "the password of a user with a passkey",
                     {"username": "eve", "password": PASSWORD})
    expect(r.json == {"mfa_required": True, "methods": ["webauthn"]}, "a second step with the passkey: %r" % r)
    phone.expect("GET", "/api/me", 401, "me, the passkey pending")
    r = phone.expect("POST", "/api/login/webauthn/begin", 200, "the second step's options", {})
    options = r.json or {}
    expect(options.get("allowCredentials") == [laptop.descriptor()] and options.get("userVerification") == "preferred",
           "the pending user's passkey, verification preferred: %r" % r)
    r = phone.expect("POST", "/api/login/webauthn/finish", 400, "the second step, a wrong signature",
                     {"credential": laptop.get(options, bad_signature=True)})
    expect((r.json or {}).get("error") == "invalid_credential", "a wrong signature is invalid_credential: %r" % r)
    r = passkey_login(phone, laptop, 200, "the second step with the passkey, not verified", flags=0x01)
    expect(set(r.json or {}) == {"id", "username"} and r.json["username"] == "eve", "eve logged in: %r" % r)
    phone.expect("GET", "/api/me", 200, "me after the passkey")

    # A passkey alone: user verification required; a replay is refused (the counter did not grow).
    tablet = Api(port, v, "192.0.2.32")
    tablet.send("GET", "/api/csrf")
    r = tablet.expect("POST", "/api/login/webauthn/begin", 200, "a passkey alone's options, a username not used",
                      {"username": "eve"})
    options = r.json or {}
    expect(options.get("allowCredentials") == [] and options.get("userVerification") == "required",
           "no pending login: any passkey, verified: %r" % r)
    r = tablet.expect("POST", "/api/login/webauthn/finish", 400, "a passkey alone, not verified",
                      {"credential": laptop.get(options, flags=0x01)})
    expect((r.json or {}).get("error") == "invalid_credential", "no user verification is invalid_credential: %r" % r)
    r = tablet.expect("POST", "/api/login/webauthn/begin", 200, "the options again")
    good = laptop.get(r.json or {})
    r = tablet.expect("POST", "/api/login/webauthn/finish", 200, "a passkey alone", {"credential": good})
    expect((r.json or {}).get("username") == "eve", "eve, no password: %r" % r)
    tablet.expect("GET", "/api/me", 200, "me after a passkey alone")
    r = tablet.expect("POST", "/api/login/webauthn/finish", 400, "the same answer again", {"credential": good})
    expect((r.json or {}).get("error") == "invalid_credential", "the challenge is used up: %r" % r)
    tablet.expect("POST", "/api/login/webauthn/begin", 200, "options for a replay")
    r = tablet.expect("POST", "/api/login/webauthn/finish", 400, "a replayed assertion", {"credential": good})
    expect((r.json or {}).get("error") == "invalid_credential", "the counter did not grow: %r" % r)
    r = eve.expect("GET", "/api/mfa", 200, "a passkey used")
    keys = (r.json or {}).get("webauthn") or [{}]
    expect(keys[0].get("name") == "work laptop" and isinstance(keys[0].get("last_used"), str), "used: %r" % r)

    # Recovery codes with a passkey; a second passkey; another user's passkeys are none of theirs.
    r = eve.expect("POST", "/api/mfa/recovery-codes", 200, "recovery codes with a passkey", {"password": PASSWORD})
    expect(len(set((r.json or {}).get("recovery_codes") or [])) == 10, "ten codes: %r" % r)
    laptop2 = Api(port, v, "192.0.2.33")
    laptop2.send("GET", "/api/csrf")
    r = laptop2.expect("POST", "/api/login", 200, "the password, a passkey and recovery codes",
                       {"username": "eve", "password": PASSWORD})
    expect(r.json == {"mfa_required": True, "methods": ["webauthn", "recovery_code"]}, "two methods: %r" % r)
    desk = Authenticator(origin)
    second = register_passkey(eve, desk, "a second passkey, no name")
    r = eve.expect("GET", "/api/mfa", 200, "two passkeys")
    expect([k.get("name") for k in (r.json or {}).get("webauthn", [])] == ["work laptop", "Passkey"] and
           (r.json or {}).get("recovery_codes_remaining") == 10, "two passkeys, the second named Passkey: %r" % r)
    gil, _, _ = signed_up(v, port, sink, "gil", "192.0.2.34")
    key = Authenticator(origin)
    register_passkey(gil, key, "gil's passkey")
    r = gil.expect("PATCH", "/api/mfa/webauthn/%d" % pid, 404, "renaming another user's passkey", {"name": "mine"})
    expect((r.json or {}).get("error") == "not_found", "not gil's: %r" % r)
    gil.expect("DELETE", "/api/mfa/webauthn/%d" % pid, 404, "removing another user's passkey", {"password": PASSWORD})

    # Removal: no password while another factor is left; the last one needs it, and takes the recovery codes.
    eve.expect("DELETE", "/api/mfa/webauthn/999999", 404, "removing no passkey")
    eve.expect("DELETE", "/api/mfa/webauthn/%d" % pid, 204, "removing a passkey, another left")
    r = eve.expect("DELETE", "/api/mfa/webauthn/%d" % second, 400, "removing the last passkey without the password")
    expect("password" in (r.json or {}).get("errors", {}), "the password is named: %r" % r)
    r = eve.expect("DELETE", "/api/mfa/webauthn/%d" % second, 400, "removing the last passkey, a wrong password",
                   {"password": "not it"})
    expect("password" in (r.json or {}).get("errors", {}), "the password is named: %r" % r)
    eve.expect("DELETE", "/api/mfa/webauthn/%d" % second, 204, "removing the last passkey (the type is not checked)",
               {"password": PASSWORD}, content_type="text/plain")
    r = eve.expect("GET", "/api/mfa", 200, "no passkey left")
    expect(r.json == {"totp": False, "webauthn": [], "recovery_codes_remaining": 0}, "no factor: %r" % r)
    r = laptop2.expect("POST", "/api/login", 200, "the password, no factor left", {"username": "eve", "password": PASSWORD})
    expect(set(r.json or {}) == {"id", "username"}, "logged in by the password alone: %r" % r)

    # gil's address changes behind the server's back (as Django's admin on the same database would): a
    # passkey alone is then refused as a password would be.
    conn = sqlite3.connect(db, timeout=5, isolation_level=None)
    try:
        conn.execute("UPDATE auth_user SET email = 'gil.new@example.com' WHERE username = 'gil'")
    finally:
        conn.close()
    kiosk = Api(port, v, "192.0.2.35")
    kiosk.send("GET", "/api/csrf")
    r = passkey_login(kiosk, key, 403, "a passkey alone, the address not confirmed")
    expect((r.json or {}).get("error") == "email_unconfirmed", "an unconfirmed address: %r" % r)
    kiosk.expect("GET", "/api/me", 401, "me after an unconfirmed address")
    r = kiosk.expect("POST", "/api/login", 403, "the password, the address not confirmed",
                     {"username": "gil", "password": PASSWORD})
    expect((r.json or {}).get("error") == "email_unconfirmed", "an unconfirmed address: %r" % r)


def throttles(v, port, sink):
    # Logins: 5 failures of one client on one identifier.
    c = Api(port, v, "198.51.100.1")
    c.send("GET", "/api/csrf")
    for i in range(5):
        c.expect("POST", "/api/login", 401, "failed login %d" % (i + 1), {"username": "ghost", "password": "wrong"})
    c.expect("POST", "/api/login", 429, "the sixth login", {"username": "ghost", "password": "wrong"})
    # Signups: 10 attempts an hour from one client.
    c = Api(port, v, "198.51.100.2")
    c.send("GET", "/api/csrf")
    for i in range(10):
        c.expect("POST", "/api/signup", 400, "signup attempt %d" % (i + 1),
                 {"username": "bad name %d!" % i, "email": "s%d@example.com" % i, "password": PASSWORD})
    c.expect("POST", "/api/signup", 429, "the eleventh signup",
             {"username": "sam", "email": "sam@example.com", "password": PASSWORD})
    # Forgot: 5 requests for one address.
    c = Api(port, v, "198.51.100.3")
    c.send("GET", "/api/csrf")
    for i in range(5):
        c.expect("POST", "/api/password/forgot", 202, "forgot %d" % (i + 1), {"email": "flood@example.com"})
    c.expect("POST", "/api/password/forgot", 429, "the sixth forgot", {"email": "flood@example.com"})
    # Reset: 10 attempts for one address from one client.
    for i in range(10):
        c.expect("POST", "/api/password/reset", 400, "reset attempt %d" % (i + 1),
                 {"email": "flood@example.com", "code": "12345678", "new_password": "1"})
    c.expect("POST", "/api/password/reset", 429, "the eleventh reset",
             {"email": "flood@example.com", "code": "12345678", "new_password": PASSWORD})
    # Password change: a wrong old password counts as a failed login.
    bob, _, _ = signed_up(v, port, sink, "bob", "198.51.100.4")
    for i in range(5):
        r = bob.expect("POST", "/api/password/change", 400, "a wrong old password %d" % (i + 1),
                       {"old_password": "not it", "new_password": PASSWORD + " new"})
        expect("old_password" in (r.json or {}).get("errors", {}), "the old password is named: %r" % r)
    bob.expect("POST", "/api/password/change", 429, "the sixth wrong old password",
               {"old_password": "not it", "new_password": PASSWORD + " new"})
    # Disabling the second factor and new recovery codes: a wrong password counts as a failed login.
    cy, _, _ = signed_up(v, port, sink, "cy", "198.51.100.5")
    for i in range(5):
        path = ("/api/mfa/totp/disable", "/api/mfa/recovery-codes")[i % 2]
        r = cy.expect("POST", path, 400, "a wrong password %d" % (i + 1), {"password": "not it"})
        expect("password" in (r.json or {}).get("errors", {}), "the password is named: %r" % r)
    cy.expect("POST", "/api/mfa/totp/disable", 429, "disabling the app after 5 wrong passwords", {"password": PASSWORD})
    cy.expect("POST", "/api/mfa/recovery-codes", 429, "new recovery codes after 5 wrong passwords", {"password": PASSWORD})
    # Removing the last passkey: a wrong password counts as a failed login.
    hal, _, _ = signed_up(v, port, sink, "hal", "198.51.100.6")
    key = Authenticator(site_origin(port))
    passkey = register_passkey(hal, key, "hal's passkey")
    for i in range(5):
        r = hal.expect("DELETE", "/api/mfa/webauthn/%d" % passkey, 400, "the last passkey, a wrong password %d" % (i + 1),
                       {"password": "not it"})
        expect("password" in (r.json or {}).get("errors", {}), "the password is named: %r" % r)
    hal.expect("DELETE", "/api/mfa/webauthn/%d" % passkey, 429, "removing the last passkey after 5 wrong passwords",
               {"password": PASSWORD})
    # Passkey logins: 5 refused assertions of one user's passkey from one client.
    c = Api(port, v, "198.51.100.7")
    c.send("GET", "/api/csrf")
    for i in range(5):
        r = passkey_login(c, key, 400, "a wrong signature %d" % (i + 1), bad_signature=True)
        expect((r.json or {}).get("error") == "invalid_credential", "a wrong signature is invalid_credential: %r" % r)
    passkey_login(c, key, 429, "the right passkey after 5 wrong signatures")


class Redis:
    def __init__(self, directory):
        self.port = free_port()
        self.proc = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
                                      "--appendonly", "no", "--dir", directory, "--protected-mode", "yes"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_for(self.ping, 10):
            self.stop()
            raise RuntimeError("redis-server did not start")
        self.url = "redis://127.0.0.1:%d/0" % self.port

    def ping(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)


def run_b(v, gatehouse, tmp, sink):
    """503s: the cache (Redis) stopped; the database locked by this process."""
    redis = Redis(tmp)
    db = os.path.join(tmp, "b.sqlite3")
    env = {"GATEHOUSE_DATABASE_URL": "sqlite:" + db, "GATEHOUSE_PBKDF2_ITERATIONS": "1000",
           "GATEHOUSE_EMAIL_URL": sink.url, "GATEHOUSE_REDIS_URL": redis.url, "GATEHOUSE_ACCESS_LOG": "0",
           "GATEHOUSE_SITE_URL": "http://gatehouse@127.0.0.1"}  # user information: no relying party, no passkeys
    proc, port = start_server(gatehouse, env, os.path.join(tmp, "b.log"))
    try:
        uma = Api(port, v)
        uma.expect("GET", "/api/csrf", 200, "csrf (B)")
        uma.expect("POST", "/api/signup", 201, "signup (B)",
                   {"username": "uma", "email": "uma@example.com", "password": PASSWORD})
        uma.expect("POST", "/api/login", 200, "login (B)", {"username": "uma", "password": PASSWORD})
        r = uma.expect("GET", "/api/sessions", 200, "sessions (B)")
        sid = ((r.json or {}).get("sessions") or [{"id": "0" * 24}])[0]["id"]
        key = confirmation_key(sink, "uma@example.com")
        expect(key is not None, "the confirmation link (B) arrived")
        for path in ("/api/mfa/webauthn/register/begin", "/api/login/webauthn/begin"):
            r = uma.expect("POST", path, 409, "passkeys off (B)")
            expect((r.json or {}).get("error") == "passkeys_unavailable", "passkeys off: %s: %r" % (path, r))
        redis.stop()
        for method, path, body in (
                ("POST", "/api/signup", {"username": "vic", "email": "vic@example.com", "password": PASSWORD}),
                ("POST", "/api/login", {"username": "uma", "password": PASSWORD}),
                ("GET", "/api/me", None),
                ("GET", "/api/auth/verify", None),
                ("HEAD", "/api/auth/verify", None),
                ("GET", "/api/sessions", None),
                ("POST", "/api/password/change", {"old_password": PASSWORD, "new_password": PASSWORD + " 2"}),
                ("POST", "/api/password/forgot", {"email": "uma@example.com"}),
                ("POST", "/api/password/reset", {"email": "uma@example.com", "code": "12345678", "new_password": PASSWORD}),
                ("DELETE", "/api/sessions/" + sid, None),
                ("POST", "/api/sessions/end-others", None),
                ("GET", "/api/mfa", None),
                ("POST", "/api/mfa/totp/setup", None),
                ("POST", "/api/mfa/totp/confirm", {"code": "123456"}),
                ("POST", "/api/mfa/totp/disable", {"password": PASSWORD}),
                ("POST", "/api/mfa/recovery-codes", {"password": PASSWORD}),
                ("POST", "/api/login/mfa", {"code": "123456"}),
                ("POST", "/api/mfa/webauthn/register/begin", None),
                ("POST", "/api/mfa/webauthn/register/finish", {"credential": {}}),
                ("PATCH", "/api/mfa/webauthn/1", {"name": "x"}),
                ("DELETE", "/api/mfa/webauthn/1", None),
                ("POST", "/api/login/webauthn/begin", {}),
                ("POST", "/api/login/webauthn/finish", {"credential": {}}),
                ("POST", "/api/logout", None)):
            r = uma.expect(method, path, 503, "Redis down", body)
            if method != "HEAD":
                expect((r.json or {}).get("error") == "unavailable", "Redis down: %s %s: %r" % (method, path, r))
        # The confirmation writes only to the database: hold SQLite's write lock
        # (the server waits out its 5 s busy timeout, then answers).
        lock = sqlite3.connect(db, timeout=5, isolation_level=None)
        try:
            lock.execute("BEGIN IMMEDIATE")
            uma.expect("POST", "/api/email/confirm", 503, "the database locked", {"key": key or ""})
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        uma.expect("GET", "/healthz", 200, "health with Redis down")
        uma.expect("GET", "/api/csrf", 200, "csrf with Redis down")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        redis.stop()


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: openapi_test.py PATH_TO_GATEHOUSE")
    gatehouse = os.path.abspath(sys.argv[1])
    t0 = time.time()
    with open(DOCUMENT) as f:
        doc = yaml.safe_load(f)
    check_document(doc)
    all_triples = triples_of(doc)
    for triple, reason in CANNOT_PROVOKE.items():
        expect(triple in all_triples, "CANNOT_PROVOKE names %s, which the document does not have" % (triple,))
        expect(bool(reason), "CANNOT_PROVOKE gives a reason for %s" % (triple,))
    if failures:  # no server is checked against a broken document
        print("openapi: the document is not valid: %d failures" % len(failures), flush=True)
        return 1
    v = Validator(doc)

    tmp = tempfile.mkdtemp(prefix="gatehouse-openapi-")
    sink = Sink()
    proc = None
    try:
        proc, port, slow, started = run_a(doc, v, gatehouse, tmp, sink)
        run_b(v, gatehouse, tmp, sink)
        collect_slow(v, slow, started)
        expect(proc.poll() is None, "server A is still running")
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        sink.stop()
    for name in ("a.log", "b.log"):
        with open(os.path.join(tmp, name), errors="replace") as f:
            for line in f:
                if '"status":5' in line and '"status":503' not in line or "handler_exception" in line:
                    fail("server %s logged: %s" % (name[0].upper(), line.strip()))

    missing = sorted(all_triples - v.exercised - set(CANNOT_PROVOKE))
    for path, method, status in missing:
        fail("not exercised: %s %s %s" % (method.upper(), path, status))
    for path, method, status, header in sorted(v.documented_headers - v.headers_seen):
        if (path, method, status) in v.exercised:
            fail("never seen: header %s on %s %s %s" % (header, method.upper(), path, status))
    exercised = len(all_triples & v.exercised)
    print("openapi: %d of %d responses validated (%d of them 405/404 outside the paths), %d/%d documented "
          "(path, method, status) triples exercised, %d listed as cannot be provoked%s; not provoked: %s; "
          "%d failures (%.1f s)" %
          (v.validated, v.checked, v.outside_paths, exercised, len(all_triples), len(CANNOT_PROVOKE),
           "".join(" [%s %s %s: %s]" % (m.upper(), p, s, r) for (p, m, s), r in sorted(CANNOT_PROVOKE.items())),
           "; ".join(NOT_PROVOKED_VARIANTS) or "nothing", len(failures), time.time() - t0), flush=True)
    if not failures:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(sink.dir, ignore_errors=True)
    else:
        print("server logs kept in " + tmp)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
