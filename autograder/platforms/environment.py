"""The one pinned grading environment: `requirements.lock`, read and verified.

Every place that installs the grader (scripts/bootstrap.sh, docker/Dockerfile.cpu and .cuda, the
Gradescope bundle's setup.sh, the CI workflow template) installs from this file and nothing else;
`verify()` tells whether the running interpreter matches it, so an image build or a Gradescope
setup fails loudly instead of grading with other versions.
"""
from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

LOCK_NAME = "requirements.lock"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)\s*(?:#.*)?$")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path: Path) -> dict[str, str]:
    """name (normalised) -> exact version. Every non-comment line must be `name==version`."""
    pins: dict[str, str] = {}
    for n, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _PIN.match(line)
        if not m:
            raise ValueError(f"{path}:{n}: not an exact pin (name==version): {line!r}")
        pins[normalise(m.group(1))] = m.group(2)
    return pins


def verify(lock: Path, python: str | None = None) -> list[str]:
    """What differs between the running environment and the lock ([] when it matches). A local
    version label (torch 2.13.0+cpu, +cu128) is the build of the same release and matches."""
    problems = []
    if python and sys.version.split()[0] != python:
        problems.append(f"python {sys.version.split()[0]} runs, the grading environment is python {python}")
    for name, want in read_lock(lock).items():
        try:
            have = metadata.version(name)
        except metadata.PackageNotFoundError:
            problems.append(f"{name}=={want} is not installed")
            continue
        if have.split("+")[0] != want:
            problems.append(f"{name} {have} is installed, {LOCK_NAME} pins {want}")
    return problems


def main(argv: list[str] | None = None) -> int:
    """`python -m autograder.platforms.environment LOCK [--python X.Y.Z]`: exit 1 on any mismatch
    (an image build or a platform setup stops there instead of grading with other versions)."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m autograder.platforms.environment", description=main.__doc__.splitlines()[0])
    p.add_argument("lock", type=Path, help="requirements.lock")
    p.add_argument("--python", help="the exact Python version the environment must run")
    args = p.parse_args(argv)
    problems = verify(args.lock, args.python)
    for line in problems:
        print(f"environment: {line}", file=sys.stderr)
    if not problems:
        print(f"environment: matches {args.lock} ({len(read_lock(args.lock))} pins, python {sys.version.split()[0]})")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
