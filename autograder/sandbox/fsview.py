"""What of the machine's file system a worker sees: the system folders and Python, nothing else.

An allowlist, because a denylist misses the one place nobody thought of: every top-level entry
of `/` but the system folders is hidden (other courses' checkouts, /opt, /srv, /var, home
folders, ...), with what Python, torch, numpy and matplotlib need inside them mounted back
read-only (isolation.py does the mounting).
"""
from __future__ import annotations

import importlib.util
import os
import sys

VISIBLE_TOP_LEVEL = frozenset({"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc",
                               "dev", "proc", "sys"})
ALSO_HIDDEN = ("/dev/shm",)  # writable by everyone: no place for notes between workers


def default_hidden() -> list[str]:
    """Every top-level entry but the system folders: folders, and regular files too
    (/.dockerenv, a container's info file, an installer script, a key someone left at /), FIFOs
    and sockets. Symlinks such as /lib -> usr/lib are left alone: a link's target is hidden or
    visible by where it is."""
    out = list(ALSO_HIDDEN)
    for entry in sorted(os.listdir("/")):
        path = os.path.join("/", entry)
        if entry not in VISIBLE_TOP_LEVEL and not os.path.islink(path):
            out.append(path)
    return out


def keep_paths() -> list[str]:
    """What the worker needs even inside hidden folders: the interpreter and its prefixes, and
    the folders holding torch, numpy and matplotlib."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             os.path.realpath(sys.executable)}
    for name in ("torch", "numpy", "matplotlib"):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            paths.add(os.path.dirname(list(spec.submodule_search_locations)[0]))
    return sorted(p for p in paths if p)
