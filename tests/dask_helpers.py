"""A real Dask cluster on 127.0.0.1 for tests and benchmarks: a scheduler process and
`autograder cluster-worker` processes, each in a session of its own (so that a test can SIGKILL a
whole worker machine: nanny, worker and grading processes). Every wait is bounded."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

START_S = 120.0  # a loaded 2-core machine takes seconds to import distributed and torch


class LocalDask:
    def __init__(self, folder: Path, env: dict | None = None, tls: dict | None = None) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.env = dict(os.environ, **(env or {}))
        self.tls = tls  # {"ca": path, "cert": path, "key": path} for scheduler and workers
        self.scheduler: subprocess.Popen | None = None
        self.workers: dict[str, subprocess.Popen] = {}
        self.address = ""

    def _tls_args(self) -> list[str]:
        if not self.tls:
            return []
        return ["--tls-ca-file", str(self.tls["ca"]), "--tls-cert", str(self.tls["cert"]),
                "--tls-key", str(self.tls["key"])]

    def _spawn(self, argv: list[str], log: str, env: dict | None = None) -> subprocess.Popen:
        with (self.folder / log).open("wb") as f:
            return subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT, env=dict(self.env, **(env or {})),
                                    start_new_session=True, cwd=self.folder)

    def start(self) -> "LocalDask":
        info = self.folder / "scheduler.json"
        info.unlink(missing_ok=True)
        argv = [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
                "--no-dashboard", "--scheduler-file", str(info)]
        if self.tls:
            argv += ["--protocol", "tls", *self._tls_args()]
        self.scheduler = self._spawn(argv, "scheduler.log")
        deadline = time.monotonic() + START_S
        while not info.is_file():
            if self.scheduler.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the scheduler did not start:\n{self.log('scheduler.log')}")
            time.sleep(0.1)
        self.address = json.loads(info.read_text())["address"]
        return self

    def add_worker(self, name: str, slots: int = 1, gpus: int = 0, env: dict | None = None,
                   check: bool = False) -> subprocess.Popen:
        argv = [sys.executable, "-m", "autograder", "cluster-worker", self.address, "--slots", str(slots),
                "--gpus", str(gpus), "--listen", "127.0.0.1", "--name", name, *self._tls_args()]
        if not check:
            argv.append("--no-check")
        self.workers[name] = self._spawn(argv, f"worker-{name}.log", env)
        return self.workers[name]

    def client(self, security=None):
        from distributed import Client

        return Client(self.address, security=security, timeout=60, set_as_default=False)

    def wait_for_workers(self, n: int, security=None) -> None:
        with self.client(security) as c:
            c.wait_for_workers(n, timeout=START_S)

    def kill_worker(self, name: str) -> None:
        """SIGKILL the worker's whole session: nanny, worker and its grading processes, as a machine that died."""
        proc = self.workers.pop(name)
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)

    def log(self, name: str) -> str:
        try:
            return (self.folder / name).read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def close(self) -> None:
        for name in list(self.workers):
            self.kill_worker(name)
        if self.scheduler is not None:
            try:
                os.killpg(self.scheduler.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.scheduler.wait(timeout=30)
            self.scheduler = None

    def __enter__(self) -> "LocalDask":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()
