"""Sandbox folders that a killed grading process left behind are removed by the next one, and
nothing else is: not a live grader's, not a link, not a folder without an owner lock."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

MAKE = "from autograder.sandbox import launchers; print(launchers.make_runtime(), flush=True); "


def run(code: str, tmp, **kw) -> subprocess.Popen:
    env = {**os.environ, "TMPDIR": str(tmp)}
    return subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True, **kw)


def test_a_killed_graders_folders_go_and_a_live_ones_stay(tmp_path):
    killed = run(MAKE + "import os; os.kill(os.getpid(), 9)", tmp_path)
    dead_base = killed.stdout.readline().strip()
    killed.wait()
    assert killed.returncode == -signal.SIGKILL and os.path.isdir(dead_base)
    os.makedirs(os.path.join(dead_base, "work1", "tmp"))  # what its workers had written
    live = run(MAKE + "import sys; sys.stdin.read()", tmp_path, stdin=subprocess.PIPE)
    live_base = live.stdout.readline().strip()
    # not ours to remove: no owner lock (an older version's, or one being made), a link to a
    # folder that has one, a file
    bare = tmp_path / "autograder-sandbox-bare"
    bare.mkdir()
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / ".owner").write_text("")
    (tmp_path / "autograder-sandbox-link").symlink_to(target)
    (tmp_path / "autograder-sandbox-file").write_text("")
    try:
        sweeper = run(MAKE, tmp_path)
        own_base = sweeper.stdout.readline().strip()
        assert sweeper.wait() == 0
        assert not os.path.exists(dead_base), "the killed grader's folder is still there"
        assert os.path.isdir(live_base) and os.path.isfile(os.path.join(live_base, "runtime", "worker.py"))
        assert bare.is_dir() and (target / ".owner").exists() and (tmp_path / "autograder-sandbox-file").exists()
        assert os.path.islink(tmp_path / "autograder-sandbox-link")
        assert os.path.isdir(own_base)  # it ended without removing it: a later sweep will
    finally:
        live.communicate("")
    later = run("from autograder.sandbox import leftovers; print(leftovers.stale_folders())", tmp_path)
    stale = later.communicate()[0]
    assert own_base in stale and live_base in stale and dead_base not in stale


def test_a_folder_that_will_not_go_never_opens_up_the_folder_that_holds_it(tmp_path, monkeypatch):
    """rmtree chmods folders inside what it removes (a submission may leave them read-only), never
    the one that holds it: a sweep that could not remove a leftover once made /tmp 0700 for
    every other user."""
    from autograder.sandbox import launchers

    base = tmp_path / "autograder-sandbox-stuck"
    (base / "work1").mkdir(parents=True)
    real_rmdir, chmodded = os.rmdir, []

    def rmdir(p, *args, **kwargs):
        if os.path.abspath(p) == str(base):
            raise PermissionError(13, "Permission denied", str(p))
        return real_rmdir(p, *args, **kwargs)

    monkeypatch.setattr(os, "rmdir", rmdir)
    monkeypatch.setattr(os, "chmod", lambda p, mode, *a, **k: chmodded.append(os.path.abspath(p)))
    launchers.rmtree(str(base))
    assert str(tmp_path) not in chmodded and base.is_dir() and not (base / "work1").exists()
