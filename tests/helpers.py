"""Small helpers several test modules share."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def solution_lines(assignment: str = "pytorch_basics", min_length: int = 32) -> list[str]:
    """Model-answer lines of the instructor notebooks (inside nbgrader solution regions), to
    look for in what students or workers can see; shorter lines are too generic to mean anything."""
    lines = []
    for nb in sorted((REPO / "source" / assignment).glob("*.ipynb")):
        for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
            src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            inside = False
            for line in src.splitlines():
                if "BEGIN SOLUTION" in line:
                    inside = True
                elif "END SOLUTION" in line:
                    inside = False
                elif inside and len(line.strip()) >= min_length:
                    lines.append(line.strip())
    return lines


TIMINGS: list[str] = []  # lines report_timing made, not yet attached to a test report (conftest.py)


def report_timing(label: str, elapsed: float, walls: dict[str, float], extra: str = "", top: int = 5) -> None:
    """Keep how long a batch of gradings took (a figure, not an assertion): conftest.py attaches
    it to the next test report, and the run prints it in its summary (also from xdist workers)."""
    slow = sorted(((t, n) for n, t in walls.items()), reverse=True)[:top]
    TIMINGS.append(f"{label}: graded {len(walls)} submissions in {elapsed:.0f} s{extra}; "
                   f"slowest: {', '.join(f'{n} {t:.0f} s' for t, n in slow)}")


def processes_below(root: int) -> dict[int, str]:
    """pid -> start time of every living descendant of `root` (read from /proc)."""
    table: dict[int, tuple[int, str]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as f:
                    fields = f.read().rsplit(b")", 1)[1].split()
                if fields[0] != b"Z":
                    table[int(name)] = (int(fields[1]), fields[19].decode())
            except (OSError, ValueError, IndexError):
                pass
    below, grew = {root}, True
    while grew:
        grew = False
        for pid, (ppid, _) in table.items():
            if ppid in below and pid not in below:
                below.add(pid)
                grew = True
    return {pid: table[pid][1] for pid in below - {root} if pid in table}


def students_processes(root: int) -> dict[int, str]:
    """The sandbox workers below `root` and what they forked: the processes of another user than
    the grader's (a worker runs as a uid of its own; the launchers and the fork server as root)."""
    own = os.getuid()
    out = {}
    for pid, start in processes_below(root).items():
        try:
            if os.stat(f"/proc/{pid}").st_uid != own:
                out[pid] = start
        except OSError:
            pass
    return out


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def still_alive(procs: dict[int, str]) -> list[int]:
    """The processes of `procs` (pid -> start time) that still run (not a zombie, same start)."""
    out = []
    for pid, start in procs.items():
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != b"Z" and fields[19].decode() == start:
            out.append(pid)
    return out


def wait_for(predicate, timeout: float, step: float = 0.1):
    """Poll `predicate` until it returns something truthy or `timeout` seconds pass; its last value."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(step)
        value = predicate()
    return value


# A cell that does everything a submission can to outlive its grader: a blinded parent watchdog
# (os.getppid replaced), the cell timeout's SIGALRM ignored, a daemon in a session of its own
# (double fork), a stopped child, and (where the kernel allows) a child in a user and PID
# namespace of its own; then an endless loop.
OUTLIVE_CELL = r'''
import ctypes, os, signal, time
real_ppid = os.getppid()
os.getppid = lambda: real_ppid
for s in (signal.SIGALRM, signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
    signal.signal(s, signal.SIG_IGN)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        while True:
            pass
    os._exit(0)
if os.fork() == 0:
    os.kill(os.getpid(), signal.SIGSTOP)
    os._exit(0)
if os.fork() == 0:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.unshare(0x10000000 | 0x20000000)  # CLONE_NEWUSER | CLONE_NEWPID
    if os.fork() == 0:
        while True:
            time.sleep(1)
    while True:
        time.sleep(1)
while True:
    pass
'''


def sandbox_folders(pids) -> set[str]:
    """The sandbox base folders that the worker processes `pids` run from (from their command
    lines): a grader that was SIGKILLed leaves them behind, and a test that killed it removes them."""
    import re

    found = set()
    for pid in pids:
        m = re.search(r"(\S*/autograder-sandbox-[^/\s]+)/runtime/worker\.py", cmdline(pid))
        if m:
            found.add(m.group(1))
    return found


def remove_folders(folders) -> None:
    import shutil

    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
