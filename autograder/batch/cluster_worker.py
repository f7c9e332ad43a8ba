"""`autograder cluster-worker SCHEDULER`: start a Dask worker that grade-all can grade on.

    autograder cluster-worker tcp://10.0.0.5:8786 --slots 4            # a CPU machine: 4 at once
    autograder cluster-worker tcp://10.0.0.5:8786 --gpus 1             # a GPU machine: cuda jobs
    autograder cluster-worker tls://10.0.0.5:8786 --tls-ca-file ca.pem --tls-cert w.pem --tls-key w.key

It is `dask worker` of the pinned environment (this Python's), with what grade-all needs said
once: the grading slots as Dask resources (`CPU=<slots>`, `GPU=<gpus>`; one thread per slot),
no dashboard, TLS when given, the address it listens on. Before starting it checks that the
sandbox works here with its full isolation (the worker grades untrusted notebooks): that needs
root, or CAP_SYS_ADMIN, on the worker host (mount, PID and network namespaces, another uid).
Without it the worker refuses to start and says why; `--check` only runs that check.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HELP = "start a Dask worker for grade-all --scheduler (checks the sandbox first)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scheduler", nargs="?", help="the scheduler's address: tcp://HOST:PORT or tls://HOST:PORT")
    p.add_argument("--slots", type=int, default=None,
                   help="CPU submissions graded at once (default: one per core; 0 on a --gpus worker)")
    p.add_argument("--gpus", type=int, default=0, help="GPUs of this machine for --device cuda jobs (one job per GPU)")
    p.add_argument("--listen", metavar="HOST", help="the address of this machine the worker listens on: a private "
                                                   "network's (default: Dask's choice)")
    p.add_argument("--name", help="the worker's name in the cluster (default: host and process)")
    p.add_argument("--memory-limit", default="auto", help="Dask's memory limit for the worker (default: auto)")
    p.add_argument("--no-nanny", action="store_true", help="no nanny process restarting a worker that died")
    p.add_argument("--tls-ca-file", type=Path, help="TLS: the CA of the cluster's certificates")
    p.add_argument("--tls-cert", type=Path, help="TLS: this worker's certificate (PEM)")
    p.add_argument("--tls-key", type=Path, help="TLS: this worker's private key (PEM)")
    p.add_argument("--no-check", action="store_true", help="start without checking the sandbox first (it still grades in "
                                                           "the sandbox, with whatever isolation this machine allows)")
    p.add_argument("--check", action="store_true", help="only check that this machine can grade (the sandbox's "
                                                        "isolation), then exit: 0 yes, 2 no")


def sandbox_problems() -> list[str]:
    """What keeps this machine from grading untrusted notebooks with full isolation ([]: none)."""
    from autograder.sandbox import Sandbox, SandboxError

    try:
        with Sandbox() as box:
            box.start()
            reduced = box.reduced_isolation
    except SandboxError as e:
        return [str(e).splitlines()[-1] if str(e) else "the sandbox worker did not start"]
    except PermissionError as e:  # no CAP_SYS_ADMIN/CAP_CHOWN: the sandbox cannot even prepare its folders
        return [f"the sandbox cannot start here: {e.strerror} ({e.filename})"]
    return reduced


def privilege_note() -> str:
    return ("the sandbox needs root with CAP_SYS_ADMIN on the worker host (mount, PID and network namespaces, "
            "another uid per notebook): run the worker as root (in a container: --user root with the capability "
            "set of docs/deploy.md, CAP_SYS_ADMIN included; docs/cluster.md)")


def command(args: argparse.Namespace) -> list[str]:
    """The `dask worker` command line this worker runs."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    slots = args.slots if args.slots is not None else (0 if args.gpus else cores)
    if slots < 0 or args.gpus < 0 or slots + args.gpus < 1:
        raise ValueError("give at least one slot: --slots N (CPU) and/or --gpus N")
    resources = ",".join(f"{k}={v}" for k, v in (("CPU", slots), ("GPU", args.gpus)) if v)
    argv = [sys.executable, "-m", "distributed.cli.dask_worker", args.scheduler, "--nworkers", "1",
            "--nthreads", str(slots + args.gpus), "--resources", resources, "--memory-limit", str(args.memory_limit),
            "--no-dashboard"]
    if args.no_nanny:
        argv.append("--no-nanny")
    if args.listen:
        argv += ["--host", args.listen]
    if args.name:
        argv += ["--name", args.name]
    tls = (args.tls_ca_file, args.tls_cert, args.tls_key)
    if any(tls):
        if not all(tls):
            raise ValueError("TLS needs all three of --tls-ca-file, --tls-cert and --tls-key")
        argv += ["--tls-ca-file", str(tls[0]), "--tls-cert", str(tls[1]), "--tls-key", str(tls[2])]
    return argv


def run(args: argparse.Namespace) -> int:
    if not args.check and not args.scheduler:
        print("autograder cluster-worker: give the scheduler's address (tcp://HOST:PORT), or --check", file=sys.stderr)
        return 2
    try:
        argv = command(args) if not args.check else []
    except ValueError as e:
        print(f"autograder cluster-worker: {e}", file=sys.stderr)
        return 2
    problems = [] if args.no_check else sandbox_problems()
    if problems:
        print(f"autograder cluster-worker: this machine cannot grade untrusted notebooks safely: "
              f"{'; '.join(problems)}. {privilege_note()}", file=sys.stderr)
        return 2
    if args.check:
        print("cluster-worker: the sandbox isolates fully here; this machine can grade")
        return 0
    print("cluster-worker: " + " ".join(argv[1:]), file=sys.stderr, flush=True)
    os.execv(argv[0], argv)  # the worker replaces this process: signals reach it directly
    return 0  # pragma: no cover
