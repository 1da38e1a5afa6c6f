"""The Python tests' bookkeeping: expect() counts a check, printing each
failure; finish() prints "NAME: N passed, N failed" and gives the exit code."""
import sys


class Checks:
    def __init__(self, name):
        self.name, self.passed, self.failed = name, 0, 0

    def expect(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL:", what, flush=True)

    def finish(self):
        print("%s: %d passed, %d failed" % (self.name, self.passed, self.failed))
        return 1 if self.failed or not self.passed else 0

    def exit(self):
        sys.exit(self.finish())
