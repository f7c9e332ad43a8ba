"""The answer key: instructor notebooks with solutions kept, hidden tests and mark schemes
removed, executed top to bottom on CPU so that every output is present.

nbgrader's own generate_solution is not used: it keeps hidden tests (its preprocessors are
IncludeHeaderFooter, LockCells, ClearOutput, ClearMarkScheme, Execute — no ClearHiddenTests) and
its Execute preprocessor runs with the caller's environment. The steps below reuse nbgrader's
ClearOutput / ClearHiddenTests / ClearMarkScheme and execute with nbclient in a pinned
environment (one thread, no GPU, fixed hash seed, inline matplotlib, private IPython profile).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from nbformat.notebooknode import NotebookNode

from .errors import ReleaseError
from .steps import FINAL_STEPS, NbgraderStep, ScrubOutputs, Step

DEFAULT_CELL_TIMEOUT = 300  # seconds per cell; fit_spiral may train for up to a minute

PINNED_ENV = {
    # one thread everywhere: torch reads OMP_NUM_THREADS at import (== torch.set_num_threads(1))
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "CUDA_VISIBLE_DEVICES": "",  # the answer key is computed on CPU, even on a GPU machine
    "PYTHONHASHSEED": "0",
    "PYTHONDONTWRITEBYTECODE": "1",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    "TZ": "UTC",
}
# Variables of the caller that would change what the kernel does.
DROPPED_ENV = ("PYTHONSTARTUP", "JUPYTER_CONFIG_DIR", "PYTORCH_ENABLE_MPS_FALLBACK", "AUTOGRADER_COURSE")


def kernel_env(workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV and not k.startswith("JPY_")}
    env.update(PINNED_ENV)
    ipython_dir = workdir / "ipython"  # no profile startup files of the instructor's account
    ipython_dir.mkdir(parents=True, exist_ok=True)
    env["IPYTHONDIR"] = str(ipython_dir)
    return env


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _cell_label(cell: NotebookNode, index: int) -> str:
    gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    first = next((line for line in cell.source.splitlines() if line.strip()), "").strip()
    if len(first) > 60:
        first = first[:57] + "..."
    return f"cell {index}" + (f" (grade id {gid!r})" if gid else "") + (f": {first}" if first else "")


class ExecuteNotebook:
    """Run every code cell top to bottom in a fresh `python3` kernel; the first error, timeout
    or kernel death stops the release with a message naming the notebook and the cell."""

    def __init__(self, run_dir: Path, env: dict[str, str], cell_timeout: int = DEFAULT_CELL_TIMEOUT):
        self.run_dir = run_dir
        self.env = env
        self.cell_timeout = cell_timeout

    def __call__(self, nb: NotebookNode, where: str) -> NotebookNode:
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

        client = NotebookClient(
            nb,
            timeout=self.cell_timeout,
            startup_timeout=120,
            kernel_name="python3",
            allow_errors=False,
            record_timing=False,
            store_widget_state=False,
            # one stdout and one stderr output per cell (stdout first), \r progress lines
            # resolved: how a cell's prints are split into messages depends on timing
            coalesce_streams=True,
            resources={"metadata": {"path": str(self.run_dir)}},
        )
        client.reset_execution_trackers()
        index = -1
        # the kernel process's own stdout/stderr (startup warnings, crash messages) go to a log
        # file rather than the terminal; its tail is shown if the kernel dies
        kernel_log = self.run_dir.parent / f"kernel-{re.sub(r'[^A-Za-z0-9_.-]+', '-', where)}.log"
        try:
            with open(kernel_log, "wb") as log_file, client.setup_kernel(
                env=self.env, cwd=str(self.run_dir), stdout=log_file, stderr=log_file
            ):
                for index, cell in enumerate(nb.cells):
                    client.execute_cell(cell, index)
        except CellExecutionError as e:
            trace = _ANSI.sub("", str(e.traceback or "")).strip().splitlines()[-12:]
            raise ReleaseError(
                f"{where} failed to execute at {_cell_label(nb.cells[index], index)}:\n"
                f"{e.ename}: {e.evalue}\n" + "".join(f"    {line}\n" for line in trace)
                + "Fix the source notebook so that it runs top to bottom "
                "(Kernel -> Restart & Run All) and run the release again."
            ) from None
        except CellTimeoutError:
            raise ReleaseError(
                f"{where}: {_cell_label(nb.cells[index], index)} ran longer than {self.cell_timeout} s; "
                "make it faster (the answer key runs on one CPU thread)."
            ) from None
        except DeadKernelError as e:
            tail = kernel_log.read_text(errors="replace")[-2000:] if kernel_log.exists() else ""
            raise ReleaseError(
                f"{where}: the kernel died while running {_cell_label(nb.cells[index], index)} ({e})."
                + (f"\nKernel output:\n{tail}" if tail.strip() else "")
            ) from None
        except RuntimeError as e:  # kernel could not start, ...
            at = f" at {_cell_label(nb.cells[index], index)}" if index >= 0 else ""
            raise ReleaseError(f"{where}: could not execute the notebook{at}: {e}") from None
        return nb


def answer_key_steps(workdir: Path, run_dir: Path, env: dict[str, str], course_root: Path, cell_timeout: int) -> list[Step]:
    from nbgrader.preprocessors import ClearHiddenTests, ClearMarkScheme, ClearOutput

    return [
        NbgraderStep(ClearOutput),
        NbgraderStep(ClearHiddenTests),
        NbgraderStep(ClearMarkScheme),
        *FINAL_STEPS,  # python3 kernel, clean metadata, ids: before running
        ExecuteNotebook(run_dir, env, cell_timeout),
        ScrubOutputs({run_dir: ".", workdir: "<tmp>", course_root: "<course>"}),
        *FINAL_STEPS,  # and again after: nbclient sets language_info from the kernel
    ]
