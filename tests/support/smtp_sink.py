"""Starts tests/mail/smtp_sink.py for the Python tests and reads what it received."""
import email
import email.policy
import os
import subprocess
import tempfile

SINK = os.path.join(os.path.dirname(__file__), "..", "mail", "smtp_sink.py")


class Sink:
    def __init__(self, *options):
        self.dir = tempfile.mkdtemp(prefix="gatehouse-sink-")
        self.proc = subprocess.Popen(["/usr/bin/python3", SINK, self.dir, *options], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline().split()[1])
        self.url = "smtp://127.0.0.1:%d" % self.port

    def messages(self):
        """Every message received, parsed, in order of arrival."""
        out = []
        for name in sorted(f for f in os.listdir(self.dir) if f.endswith(".eml")):
            with open(os.path.join(self.dir, name), "rb") as f:
                out.append(email.message_from_binary_file(f, policy=email.policy.default))
        return out

    def to(self, address):
        return [m for m in self.messages() if m["X-Envelope-To"] == address]

    def stop(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
