"""Instructor notebooks -> student release + answer key, from one command.

    autograder release pytorch_basics

calls `release_assignment(assignment_paths("pytorch_basics"))`, which

1. reads and checks source/<assignment>/*.ipynb (valid JSON and nbformat, unique grade ids,
   points on every grade cell, well-formed nbgrader regions) — `source.py`; derives the
   manifest from them and cuts the public checks out of the check files — `public.py`;
2. runs nbgrader's generate_assignment in a throw-away course folder with a private gradebook
   (solution stubs that raise NotImplementedError, hidden tests and mark schemes removed, grade
   cells locked and checksummed) — `student.py`;
3. builds the answer key: solutions kept, hidden tests and mark schemes removed, executed top to
   bottom on one CPU thread — `answer_key.py`;
4. normalises both (kernelspec, metadata, cell ids, outputs) so that two runs give the same
   bytes — `steps.py`;
5. keeps the committed bytes of a notebook whose regeneration is the same release by the
   contract of `reproducible.py` (another CPU renders other pixels and may round a printed
   number's last digit the other way), so that `git status` stays clean on any machine;
6. replaces release/<assignment>/ and solutions/<assignment>/ only when everything succeeded.
"""
from __future__ import annotations

import copy
import logging
import os
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..course import AssignmentPaths
from .answer_key import DEFAULT_CELL_TIMEOUT, answer_key_steps, kernel_env
from .errors import ReleaseError
from .public import write_public
from .reproducible import keep_committed
from .source import SourceNotebook, load_sources, supporting_files
from .steps import run_steps, write_notebook
from .student import CODE_STUB, TEXT_STUB, generate_release, stage_course

__all__ = ["release_assignment", "ReleaseReport", "ReleaseError", "CODE_STUB", "TEXT_STUB"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReleaseReport:
    assignment: str
    release_dir: Path
    solutions_dir: Path
    release_files: tuple[Path, ...]  # relative to release_dir, sorted
    solution_files: tuple[Path, ...]  # relative to solutions_dir, sorted
    seconds: float
    kept: tuple[str, ...] = ()  # files whose committed bytes were kept (the same release by the contract)

    def describe(self) -> str:
        lines = [f"released {self.assignment} in {self.seconds:.1f} s"]
        for title, root, files in (
            ("student release", self.release_dir, self.release_files),
            ("answer key", self.solutions_dir, self.solution_files),
        ):
            lines.append(f"{title}: {root}")
            lines += [f"  {f.as_posix()}" for f in files]
        if self.kept:
            lines.append("kept the committed bytes of " + ", ".join(self.kept) + ": this machine's run differs from "
                         "them only in image pixels or a last printed digit (another CPU's floats)")
        return "\n".join(lines)


def release_assignment(
    paths: AssignmentPaths,
    release_dir: Path | None = None,
    solutions_dir: Path | None = None,
    *,
    cell_timeout: int = DEFAULT_CELL_TIMEOUT,
    jobs: int | None = None,
    committed: tuple[Path, Path] | None = None,
) -> ReleaseReport:
    """Generate the student release and the answer key of one assignment.

    Everything is generated in a temporary folder first; `release_dir` (default
    `paths.release`) and `solutions_dir` (default `paths.solutions`) are replaced only when
    both are complete, so a failure leaves the committed files as they were. `jobs` notebooks
    are executed at a time (default: as many as there are CPUs, at most one per notebook; each
    kernel uses one thread). `committed` (release, solutions) are the committed folders whose
    bytes are kept where the regeneration is the same release (default: the two targets).
    Raises `ReleaseError` with what is wrong and what to do.
    """
    started = time.monotonic()
    release_dir = Path(release_dir or paths.release).resolve()
    solutions_dir = Path(solutions_dir or paths.solutions).resolve()
    sources = load_sources(paths)
    supporting = [(paths.source / rel, rel) for rel in supporting_files(paths)]

    with tempfile.TemporaryDirectory(prefix=f"autograder-release-{paths.name}-") as tmp:
        workdir = Path(tmp)
        release_tmp = workdir / "out" / "release"
        public_files = write_public(paths, sources, release_tmp)  # first: its errors come in seconds
        course = stage_course(workdir, paths.name, sources, supporting)
        log.info("generating the student release of %s with nbgrader", paths.name)
        release_files = generate_release(course, paths.name, release_tmp) + public_files

        solutions_tmp = workdir / "out" / "solutions"
        solution_files = build_answer_key(
            paths, sources, supporting, workdir, solutions_tmp, cell_timeout=cell_timeout, jobs=jobs
        )

        committed_release, committed_solutions = committed or (release_dir, solutions_dir)
        kept = [f"release/{paths.name}/{p.as_posix()}" for p in keep_committed(release_tmp, committed_release)]
        kept += [f"solutions/{paths.name}/{p.as_posix()}" for p in keep_committed(solutions_tmp, committed_solutions)]

        _replace_dir(release_tmp, release_dir)
        _replace_dir(solutions_tmp, solutions_dir)

    return ReleaseReport(
        assignment=paths.name,
        release_dir=release_dir,
        solutions_dir=solutions_dir,
        release_files=tuple(sorted(p.relative_to(release_tmp) for p in release_files)),
        solution_files=tuple(sorted(p.relative_to(solutions_tmp) for p in solution_files)),
        seconds=time.monotonic() - started,
        kept=tuple(kept),
    )


def build_answer_key(
    paths: AssignmentPaths,
    sources: list[SourceNotebook],
    supporting: list[tuple[Path, Path]],
    workdir: Path,
    out_dir: Path,
    *,
    cell_timeout: int = DEFAULT_CELL_TIMEOUT,
    jobs: int | None = None,
) -> list[Path]:
    """Write the executed answer-key notebooks (and the supporting files) into out_dir."""
    run_dir = workdir / "answer-key"  # the kernels' working folder, with the supporting files
    run_dir.mkdir(parents=True)
    for path, rel in supporting:
        (run_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, run_dir / rel)
    env = kernel_env(workdir)

    def one(src: SourceNotebook) -> Path:
        log.info("executing the answer key of %s", src.rel)
        nb = copy.deepcopy(src.nb)
        steps = answer_key_steps(workdir, run_dir, env, paths.course_root, cell_timeout)
        nb = run_steps(nb, src.rel, steps)
        dest = out_dir / src.path.name
        write_notebook(nb, dest, f"solutions/{paths.name}/{src.path.name}")
        return dest

    workers = max(1, min(len(sources), jobs or os.cpu_count() or 1))
    if workers == 1:
        written = [one(src) for src in sources]
    else:
        with ThreadPoolExecutor(workers) as pool:
            written = list(pool.map(one, sources))  # re-raises the first notebook's error
    for path, rel in supporting:
        dest = out_dir / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
        written.append(dest)
    return written


def _replace_dir(new: Path, target: Path) -> None:
    """Put the generated folder in place of target: staged next to it (same file system), then
    swapped by renames, so target is never half-written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    staged.chmod(0o755)  # mkdtemp makes it private
    old = None
    try:
        shutil.copytree(new, staged, dirs_exist_ok=True)
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            old.rmdir()
            os.replace(target, old)
        os.replace(staged, target)
    except BaseException:
        if old is not None and old.exists() and not target.exists():
            os.replace(old, target)
        shutil.rmtree(staged, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
