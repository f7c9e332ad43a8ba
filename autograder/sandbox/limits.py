"""Resource limits of one sandboxed notebook: every engine setting of the sandbox, in one place.

Each field is declared once, with its default and the sentence a config file or `--help` shows.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Mapping


@dataclass(frozen=True)
class Limits:
    cell_timeout_s: float = field(
        default=60.0,
        metadata={"help": "wall-clock seconds one notebook cell may run before it is stopped"},
    )
    call_timeout_s: float = field(
        default=60.0,
        metadata={"help": "wall-clock seconds one call of a student function may run (default)"},
    )
    call_budgets_s: Mapping[str, float] = field(
        default_factory=dict,
        metadata={"help": "wall-clock seconds one call of the named notebook function may run, "
                          "as {name = seconds}: in the notebook's cells (where a cell calls it "
                          "itself) and in the checks that set no limit of their own. A call that "
                          "runs past it is stopped, and the calls given no more time after it "
                          "fail at once (a budget well below cell_timeout_s makes a hang cheap)"},
    )
    submission_timeout_s: float = field(
        default=900.0,
        metadata={"help": "wall-clock seconds for everything one notebook's worker does"},
    )
    cpu_time_s: int = field(
        default=900,
        metadata={"help": "CPU seconds one worker process may use (RLIMIT_CPU)"},
    )
    memory_mb: int = field(
        default=4096,
        metadata={"help": "memory of the worker in MB (address space on CPU, resident size on GPU)"},
    )
    file_size_mb: int = field(
        default=64,
        metadata={"help": "largest file the submission may write, and all its working folder holds"},
    )
    max_processes: int = field(
        default=64,
        metadata={"help": "processes and threads the worker's user may run (RLIMIT_NPROC)"},
    )
    output_kb: int = field(
        default=64,
        metadata={"help": "KB of the submission's printed output kept for the report"},
    )
    restarts: int = field(
        default=10,
        metadata={"help": "how often a worker that died is started again (cells replayed)"},
    )
    reply_mb: int = field(
        default=64,
        metadata={"help": "MB one reply of a worker may take: its frame, and its tensors, strings "
                          "and containers once decoded; a larger reply is refused unread"},
    )
    reply_tensor_elements: int = field(
        default=16_777_216,
        metadata={"help": "elements of one tensor in a reply (checked before any conversion)"},
    )
    reply_tensors: int = field(
        default=4096,
        metadata={"help": "tensors in one reply (counted in its pickle before it is loaded)"},
    )
    grader_memory_mb: int = field(
        default=4096,
        metadata={"help": "data memory (RLIMIT_DATA) of the grading process itself, set at its "
                          "start by `autograder grade` and each grade-all grading process on CPU; "
                          "AUTOGRADER_GRADER_MEMORY_MB overrides it, 0 turns it off"},
    )

    def __post_init__(self) -> None:
        budgets = self.call_budgets_s
        if not isinstance(budgets, Mapping) or not all(
                type(k) is str and k.isidentifier() and type(v) in (int, float) and 0 < v < float("inf")
                for k, v in budgets.items()):
            raise ValueError("Limits.call_budgets_s must map function names to positive seconds, "
                             f"like {{train = 20}}, got {budgets!r}")
        object.__setattr__(self, "call_budgets_s", {k: float(v) for k, v in sorted(budgets.items())})
        for f in fields(self):
            if f.name == "call_budgets_s":
                continue
            v = getattr(self, f.name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
                raise ValueError(f"Limits.{f.name} must be a non-negative number, got {v!r}")

    def call_limit(self, function: str) -> float:
        """The time one call of `function` gets when the caller sets none: its budget, if any."""
        return self.call_budgets_s.get(function, self.call_timeout_s)

    def cell_limit(self, function: str) -> float:
        """How long one call of `function` may run inside a notebook cell."""
        return min(self.cell_timeout_s, self.call_budgets_s.get(function, self.cell_timeout_s))

    @classmethod
    def help(cls) -> dict[str, str]:
        """Field name -> description, for config files and command-line help."""
        return {f.name: f.metadata["help"] for f in fields(cls)}

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> "Limits":
        """Build from a config table; an unknown key is an error that names the known ones."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown sandbox limit(s) {unknown}; known: {sorted(known)}")
        return cls(**values)
