"""Workers forked from the fork server: the same worker as a new interpreter gives, started without
a torch import, holding nothing of the server or of earlier workers; and when the server cannot
start or dies, grading goes on the slow way."""
from __future__ import annotations

import json
import os
import signal
import textwrap

import pytest
from helpers import remove_folders

from autograder.sandbox import Limits, Sandbox, launchers
from autograder.sandbox.launchers import ForkServerError, ForkServers, Launched

LIMITS = Limits(cell_timeout_s=30, call_timeout_s=30, submission_timeout_s=120, output_kb=64)

# What a worker can see of itself: its user, folder, environment, descriptors, command line and
# what it has imported.
PROBE = textwrap.dedent("""
    import json, os, sys, tempfile
    import matplotlib, torch._dynamo
    def here(path):  # the worker's own folders differ from worker to worker: said from $HOME
        return path.replace(os.environ["HOME"], "~")
    def probe():
        return json.dumps({
            # what modules work out from the environment and folder, imported already by a server
            "tempdir": here(tempfile.gettempdir()),
            "mpl_config": here(matplotlib.get_configdir()),
            "mpl_cache": here(matplotlib.get_cachedir()),
            "dynamo_debug": here(torch._dynamo.config.debug_dir_root),
            "uid_is_root": os.getuid() == 0,
            "cwd_is_home": os.getcwd() == os.environ["HOME"],
            "env": sorted(os.environ),
            "fds": len(os.listdir("/proc/self/fd")),
            "argv0": os.path.basename(sys.argv[0]),
            "torch_loaded": "torch" in sys.modules,
            "threads": len(os.listdir("/proc/self/task")),
        })
""")


def _probe(fork_server: bool) -> tuple[dict, Sandbox]:
    sb = Sandbox(LIMITS, fork_server=fork_server)
    sb.run_cells([(1, PROBE)])
    return json.loads(sb.call("probe")), sb


def test_a_forked_worker_is_the_worker_a_new_interpreter_gives():
    forked, sb1 = _probe(True)
    fresh, sb2 = _probe(False)
    try:
        assert isinstance(sb1._w.proc, Launched)  # really forked by the server...
        assert not isinstance(sb2._w.proc, Launched)  # ...and really not
        server_pids = {s.proc.pid for s in launchers.SERVERS._servers.values()}
        with open(f"/proc/{sb1._w.proc.pid}/stat") as f:
            assert int(f.read().rsplit(")", 1)[1].split()[1]) in server_pids
        # the same isolation (uid switched, namespaces, mounts, limits), environment and view
        for key in ("user_switched", "namespaces", "pid_namespace", "work_tmpfs", "limits", "hidden"):
            assert sb1.isolation.get(key) == sb2.isolation.get(key), key
        assert forked == fresh
        assert not forked["uid_is_root"] and forked["cwd_is_home"] and forked["threads"] == 1
        assert forked["tempdir"] == "~/tmp" and forked["mpl_config"].startswith("~/")
    finally:
        sb1.close()
        sb2.close()


# Searches the worker's writable memory for needles it is given shifted by one byte value, so that
# the needles themselves are nowhere in its memory as they are searched for.
SCAN = textwrap.dedent("""
    import ctypes
    SHIFT = bytes.maketrans(bytes(range(256)), bytes(range(1, 256)) + bytes([0]))
    def scan(shifted):
        found = set()
        with open("/proc/self/maps") as maps:
            regions = [line.split()[:2] for line in maps]
        for addr, perms in regions:
            if not perms.startswith("rw"):
                continue  # data lives in writable mappings (all readable)
            lo, hi = (int(x, 16) for x in addr.split("-"))
            chunk = ctypes.string_at(lo, hi - lo).translate(SHIFT)
            found |= {i for i, n in enumerate(shifted) if n.encode() in chunk}
        return sorted(found)
""")


def _shifted(text: str) -> str:
    return "".join(chr(ord(c) + 1) for c in text)


def test_a_worker_holds_nothing_of_an_earlier_worker():
    # The server never reads a worker's configuration or runs a cell: a later worker's memory has
    # no trace of an earlier one's cell, output or folder.
    marker = "earlier-" + os.urandom(6).hex()
    with Sandbox(LIMITS) as first:
        first.run_cells([(1, f"secret = {marker!r}\nprint(secret)\n")])
        first_folder = first._w.workdir
    with Sandbox(LIMITS) as second:
        second.run_cells([(1, SCAN), (2, "mine = 'own-' + 'marker-7f3a'\n")])
        needles = [_shifted(n) for n in ("own-marker-7f3a", marker, first_folder, second._w.workdir)]
        # its own value and folder are found (the scan reads the worker's memory), the earlier
        # worker's not
        assert second.call("scan", needles) == [0, 3]


def test_a_server_that_cannot_start_leaves_the_slow_way(monkeypatch, capsys):
    # An interpreter that cannot even start (a broken installation, as the server sees it): the
    # workers start as new interpreters, and the server is not tried again for each of them.
    servers = ForkServers()
    monkeypatch.setattr("autograder.sandbox.process.SERVERS", servers)
    broken = {**launchers.server_environment("cpu"), "PYTHONHOME": "/nonexistent-python-home"}
    monkeypatch.setattr("autograder.sandbox.process.server_environment", lambda device: broken)
    for _ in range(3):
        with Sandbox(LIMITS) as sb:
            sb.run_cells([(1, "def f():\n    return 6 * 7\n")])
            assert sb.call("f") == 42
            assert not isinstance(sb._w.proc, Launched)
    assert servers._servers == {}  # the failed server's folder is gone with it
    err = capsys.readouterr().err
    assert err.count("the fork server did not start") == 1, err  # tried once
    assert "nonexistent-python-home" in err or "encodings" in err, err  # the server's own words
    assert "starts a new interpreter instead" in err


def test_a_killed_server_is_replaced_and_its_workers_live_on():
    with Sandbox(LIMITS) as early:
        early.run_cells([(1, "def f():\n    return 7\n")])
        server = next(s for s in launchers.SERVERS._servers.values() if s.alive)
        os.kill(server.proc.pid, signal.SIGKILL)
        server.proc.wait()
        assert early.call("f") == 7  # its launcher and worker do not depend on the server
        with Sandbox(LIMITS) as later:
            later.run_cells([(1, "def g():\n    return 8\n")])
            assert later.call("g") == 8
            assert isinstance(later._w.proc, Launched) and later._w.proc._server is not server
        assert not os.path.exists(os.path.dirname(server.runtime))  # the killed one's folder is gone
    # closing `early` (whose server is gone) ended its launcher without waiting out a timeout
    assert early._w.proc.returncode is not None


@pytest.mark.parametrize("fds", [0, 4, 6])
def test_a_malformed_request_is_answered_not_obeyed(fds):
    server = next(iter(launchers.SERVERS._servers.values()), None)
    if server is None or not server.alive:
        with Sandbox(LIMITS) as sb:
            sb.start()
        server = next(s for s in launchers.SERVERS._servers.values() if s.alive)
    pipes = [os.pipe() for _ in range(fds)]
    try:
        with pytest.raises(ForkServerError, match="could not start a launcher"):
            server.launch([r for r, _ in pipes])
    finally:
        for r, w in pipes:
            os.close(r)
            os.close(w)
    assert server.alive


def test_a_closed_workers_launcher_keeps_its_pid_while_the_grader_signals_it(monkeypatch):
    # process.kill signals the launcher's pid, group and session by number: each must still be
    # the launcher's (a zombie the server keeps), never a number a new process may have taken.
    from autograder.sandbox import process

    seen = []

    def state(pid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return fields[0], int(fields[1])
        except OSError:
            return "gone", 0

    real_signal, real_killpg = process._signal, os.killpg
    monkeypatch.setattr(process, "_signal", lambda pid, sig: (seen.append((pid, *state(pid))), real_signal(pid, sig)))
    monkeypatch.setattr(process.os, "killpg", lambda pid, sig: (seen.append((pid, *state(pid))), real_killpg(pid, sig)))
    sb = Sandbox(LIMITS)
    sb.run_cells([(1, "x = 1\n")])
    launcher, server = sb._w.proc.pid, sb._w.proc._server.proc.pid
    sb._w.close_lifeline()  # the launcher ends (as when a worker dies) before the kill below
    sb._w.proc.wait(timeout=30)
    sb.close()
    by_number = [(st, ppid) for pid, st, ppid in seen if pid == launcher]  # kill(pid) and killpg(pid)
    assert len(by_number) >= 2 and all(ppid == server for _, ppid in by_number), seen  # still the server's child
    assert state(launcher)[0] == "gone" or state(launcher)[1] != server  # released afterwards


def test_a_launcher_whose_server_is_gone_is_not_signalled_by_number(monkeypatch):
    from autograder.sandbox import process

    sb = Sandbox(LIMITS)
    sb.run_cells([(1, "x = 1\n")])
    os.kill(sb._w.proc._server.proc.pid, signal.SIGKILL)
    sb._w.proc._server.proc.wait()
    sent = []
    monkeypatch.setattr(process, "_signal", lambda pid, sig: sent.append(pid))
    monkeypatch.setattr(process.os, "killpg", lambda pid, sig: sent.append(pid))
    sb.close()  # the lifeline still ends it; its pid may already be init's to reuse
    assert sent == []


def test_a_grading_process_that_ends_without_its_exit_handlers_leaves_no_server_behind(tmp_path):
    # A multiprocessing child ends with os._exit, a killed grader with nothing at all: its fork
    # server sees the socket close, exits and removes its own folder.
    import subprocess
    import sys
    import time

    script = textwrap.dedent("""
        import os, sys
        from autograder.sandbox import Limits, Sandbox, launchers
        sb = Sandbox(Limits(cell_timeout_s=30, call_timeout_s=30, submission_timeout_s=120))
        sb.run_cells([(1, "x = 1")])
        server = next(iter(launchers.SERVERS._servers.values()))
        print(server.proc.pid, os.path.dirname(server.runtime), sb._base, flush=True)
        os._exit(0)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    pid, folder, sandbox_folder = done.stdout.split()
    remove_folders({sandbox_folder})  # the sandbox's own folder: nobody closed it (not the subject here)
    assert folder.startswith("/tmp/autograder-sandbox-") or "autograder-sandbox-" in folder
    def server_runs():  # an orphan's zombie counts as ended: not every init reaps at once
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    deadline = time.monotonic() + 30
    while (os.path.exists(folder) or server_runs()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not os.path.exists(folder), os.listdir(folder)
    assert not server_runs()
