"""Cleanup on every exit path for the Python tests: steps run last-in first-out
at exit, and SIGTERM, SIGINT and SIGHUP become an exit so they run then too.

    from cleanup import on_exit, scratch_dir
    TMP = scratch_dir("gatehouse-django-admin.")
    on_exit(lambda: server.kill())
"""
import atexit
import shutil
import signal
import sys
import tempfile

_steps = []
_name = "test"


def run_now():
    """Runs the steps now (before the exit code is decided); at exit they are not run twice."""
    _run()


def _run():
    while _steps:
        try:
            _steps.pop()()
        except BaseException as e:  # keep cleaning up
            print("%s: cleanup step failed: %r" % (_name, e), file=sys.stderr)


def _on_signal(signum, _frame):
    raise SystemExit(128 + signum)


atexit.register(_run)
for _sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(_sig, _on_signal)


def on_exit(step, name=None):
    """Runs `step` at exit (after the steps added later); `name` labels failures."""
    global _name
    if name:
        _name = name
    _steps.append(step)


def scratch_dir(prefix):
    """A temporary directory removed at exit."""
    path = tempfile.mkdtemp(prefix=prefix)
    on_exit(lambda: shutil.rmtree(path, ignore_errors=True))
    return path


def stop_process(proc, timeout=15):
    """SIGTERM, then SIGKILL if it has not exited after `timeout` seconds."""
    import subprocess
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
