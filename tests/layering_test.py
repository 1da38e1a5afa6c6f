#!/usr/bin/env python3
"""The layering of DESIGN.md, enforced: a layer includes only its own headers
and those of the layers above it in DESIGN.md's table. Fails naming every
include that goes the wrong way (or names a layer the table does not know)."""
import pathlib
import re
import sys

# DESIGN.md's table, top first.
ORDER = ["core", "signals", "crypto", "passwords", "db", "cache", "models", "mail", "tasks", "sessions", "auth",
         "http", "web", "accounts", "admin", "app", "cli"]
RANK = {name: i for i, name in enumerate(ORDER)}
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]gatehouse/([a-z_]+)/', re.M)


def layer_of(path, root):
    rel = path.relative_to(root).parts
    if rel[0] == "src":
        return rel[1]
    if rel[:2] == ("include", "gatehouse"):
        return rel[2] if len(rel) > 3 else None
    return None


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parents[1])
    problems, checked = [], 0
    for path in sorted(list((root / "src").rglob("*")) + list((root / "include" / "gatehouse").rglob("*"))):
        if path.suffix not in (".h", ".cpp") or not path.is_file():
            continue
        layer = layer_of(path, root)
        if layer is None:
            continue
        if layer not in RANK:
            problems.append(f"{path.relative_to(root)}: layer '{layer}' is not in DESIGN.md's table")
            continue
        for used in INCLUDE.findall(path.read_text(encoding="utf-8")):
            checked += 1
            if used not in RANK:
                problems.append(f"{path.relative_to(root)}: includes gatehouse/{used}/, not a layer of DESIGN.md")
            elif RANK[used] > RANK[layer]:
                problems.append(f"{path.relative_to(root)}: {layer} includes gatehouse/{used}/, a layer below it")
    for p in problems:
        print(p)
    print(f"layering: {checked} includes checked, {len(problems)} going the wrong way")
    return 1 if problems or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
