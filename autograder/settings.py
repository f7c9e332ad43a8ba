"""The settings an assignment owns, each declared once: a dataclass per section of
`grading/assignment.toml`, every field with its default and a description.

| section | dataclass | what |
|---|---|---|
| [limits] | `autograder.sandbox.limits.Limits` | the sandbox's resource limits |
| [worker_builds] | `autograder.sandbox.builds.WorkerBuilds` | layer and optimizer types checks may build in the worker |
| [results] | `ResultSettings` | what students see of hidden checks; the rounding of the import CSV |
| [short_answer_feedback] | `autograder.shortanswers.visibility.FeedbackPolicy` | short-answer feedback level, before and after the deadline |
| [release] | `ReleaseSettings` | what the release carries besides the notebooks |

The rubric's own [settings] (review band as a share of a question's points, languages, ...)
are declared in `autograder.shortanswers.rubric_model.Settings` and set in rubrics.toml.
`autograder lint --settings` lists them all. A section or key the engine does not know is an
error that names the known ones. Light to import (no torch).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields
from typing import Any, Callable, Mapping

from autograder.sandbox.builds import WorkerBuilds
from autograder.sandbox.limits import Limits

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


class SettingsError(ValueError):
    """A wrong setting; the message names the file, the section and the key."""


@dataclass(frozen=True)
class ResultSettings:
    hidden_check_visibility: str = field(default="visible", metadata={"help": (
        "when students see the results of hidden checks on Gradescope: visible, hidden, after_due_date "
        "or after_published (with any hidden test, Gradescope hides the total too)")})
    score_decimals: int = field(default=2, metadata={"help": (
        "decimals of the scores in grades_import.csv, the export for a gradebook import (grades.csv keeps 4)")})

    def __post_init__(self) -> None:
        if self.hidden_check_visibility not in VISIBILITIES:
            raise ValueError(f"hidden_check_visibility must be one of {', '.join(VISIBILITIES)}, "
                             f"got {self.hidden_check_visibility!r}")
        d = self.score_decimals
        if not isinstance(d, int) or isinstance(d, bool) or not 0 <= d <= 6:
            raise ValueError(f"score_decimals must be a whole number from 0 to 6, got {d!r}")


@dataclass(frozen=True)
class ReleaseSettings:
    public_files: tuple[str, ...] = field(default=(), metadata={"help": (
        "files of grading/checks/ released whole beside the public checks (helpers and data the public "
        "checks import, e.g. public.py); the public checks themselves are cut from the check files")})

    def __post_init__(self) -> None:
        value = self.public_files
        if isinstance(value, str) or not all(isinstance(v, str) and v and "/" not in v and not v.startswith(".")
                                             for v in value):
            raise ValueError(f"public_files must be a list of file names in grading/checks/, got {value!r}")
        object.__setattr__(self, "public_files", tuple(value))


def _generic(cls) -> Callable[[Mapping[str, Any]], Any]:
    def load(values: Mapping[str, Any]):
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown key {unknown[0]!r}; known keys: {', '.join(sorted(known))}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})
    return load


def _feedback(values: Mapping[str, Any]):
    from autograder.shortanswers.visibility import FeedbackPolicy

    return FeedbackPolicy.from_mapping(values, "")


def _feedback_class():
    from autograder.shortanswers.visibility import FeedbackPolicy

    return FeedbackPolicy


# section name -> (dataclass getter, loader); the order is the order of `lint --settings`
SECTIONS: dict[str, tuple[Callable[[], type], Callable[[Mapping[str, Any]], Any]]] = {
    "limits": (lambda: Limits, lambda v: Limits.from_mapping(dict(v))),
    "worker_builds": (lambda: WorkerBuilds, WorkerBuilds.from_mapping),
    "results": (lambda: ResultSettings, _generic(ResultSettings)),
    "short_answer_feedback": (_feedback_class, _feedback),
    "release": (lambda: ReleaseSettings, _generic(ReleaseSettings)),
}


@dataclass(frozen=True)
class AssignmentSettings:
    limits: Limits = field(default_factory=Limits)
    worker_builds: WorkerBuilds = field(default_factory=WorkerBuilds)
    results: ResultSettings = field(default_factory=ResultSettings)
    short_answer_feedback: Any = None  # FeedbackPolicy (imported on use: shortanswers is not light)
    release: ReleaseSettings = field(default_factory=ReleaseSettings)

    def feedback_policy(self):
        if self.short_answer_feedback is not None:
            return self.short_answer_feedback
        return _feedback({})


def settings_tables(sections: Mapping[str, Any]) -> dict[str, Any]:
    """The settings sections of a config, as written (for the manifest)."""
    return {name: dict(sections[name]) for name in SECTIONS if name in sections}


def load_settings(tables: Mapping[str, Any], where: str) -> AssignmentSettings:
    """Every settings section of `tables` checked and built; SettingsError names `where`,
    the section and the key."""
    built: dict[str, Any] = {}
    for name, (_, load) in SECTIONS.items():
        if name not in tables:
            continue
        table = tables[name]
        if not isinstance(table, Mapping):
            raise SettingsError(f"{where}: [{name}] must be a table")
        try:
            built[name] = load(table)
        except (ValueError, TypeError) as e:
            text = str(e).removeprefix(": ").strip()
            raise SettingsError(f"{where}: [{name}] {text}") from None
    return AssignmentSettings(**built)


def settings_help() -> str:
    """Every setting an assignment owns: section, key, default and description."""
    from autograder.shortanswers.rubric_model import Settings as RubricSettings

    lines = []
    for name, (cls_of, _) in SECTIONS.items():
        cls = cls_of()
        lines.append(f"[{name}]  ({cls.__name__}; grading/assignment.toml)")
        lines += fields_help(cls)
    lines.append("[settings]  (the rubric's; grading/rubrics.toml)")
    lines += fields_help(RubricSettings)
    return "\n".join(lines)


def fields_help(cls) -> list[str]:
    """`key = default` and its description, for each field of a settings dataclass."""
    out = []
    for f in dataclasses.fields(cls):
        default = f.default if f.default is not dataclasses.MISSING else (
            f.default_factory() if f.default_factory is not dataclasses.MISSING else None)
        shown = getattr(default, "value", default)
        if hasattr(shown, "pattern"):
            shown = shown.pattern
        if isinstance(shown, (tuple, frozenset)):
            shown = list(sorted(shown) if isinstance(shown, frozenset) else shown)
        out.append(f"  {f.name} = {shown!r}\n      {f.metadata.get('help', '')}")
    return out


__all__ = ["AssignmentSettings", "ReleaseSettings", "ResultSettings", "SECTIONS", "SettingsError", "fields_help", "load_settings",
           "settings_help", "settings_tables"]
