#!/usr/bin/python3
"""A real SMTP server for the tests (Debian's python3-aiosmtpd) on a loopback
port. Each message received is written to DIR/NNNN.eml (the envelope sender
and recipients as X-Envelope-* lines first); each EHLO/HELO, i.e. each
connection, adds a line to DIR/connections.log. Prints "PORT n" when ready and
serves until stdin closes or it is killed.

Options:
  --starttls CERT KEY   offer STARTTLS and require it before MAIL and AUTH
  --login USER:PASS     require AUTH LOGIN/PLAIN with these credentials
  --delay-ms N          answer DATA only after N ms (a slow server)
"""
import argparse
import asyncio
import os
import socket
import ssl
import sys
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, directory, delay_ms):
        self.directory = directory
        self.delay = delay_ms / 1000
        self.count = 0
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self._connection(hostname)
        session.host_name = hostname
        return responses

    async def handle_HELO(self, server, session, envelope, hostname):
        self._connection(hostname)
        session.host_name = hostname
        return "250 {}".format(server.hostname)

    def _connection(self, hostname):
        with self.lock, open(os.path.join(self.directory, "connections.log"), "a") as f:
            f.write(hostname + "\n")

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            self.count += 1
            n = self.count
        head = "X-Envelope-From: {}\r\nX-Envelope-To: {}\r\n".format(envelope.mail_from, ", ".join(envelope.rcpt_tos))
        path = os.path.join(self.directory, "%04d.eml" % n)
        with open(path + ".tmp", "wb") as f:
            f.write(head.encode() + envelope.original_content)
        os.rename(path + ".tmp", path)
        return "250 Message accepted for delivery"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("directory")
    ap.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--login")
    ap.add_argument("--delay-ms", type=int, default=0)
    args = ap.parse_args()
    os.makedirs(args.directory, exist_ok=True)
    kwargs = {}
    if args.starttls:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(*args.starttls)
        kwargs.update(tls_context=ctx, require_starttls=True)
    if args.login:
        user, password = args.login.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and \
                auth_data.password.decode() == password
            return AuthResult(success=ok)

        kwargs.update(authenticator=authenticator, auth_required=True, auth_require_tls=bool(args.starttls))
    else:
        kwargs.update(auth_require_tls=False)
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    controller = Controller(Sink(args.directory, args.delay_ms), hostname="127.0.0.1", port=port,
                            server_hostname="localhost", **kwargs)
    controller.start()
    print("PORT", port, flush=True)
    try:
        sys.stdin.read()  # until the test closes our stdin
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
