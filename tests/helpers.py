"""Small helpers several test modules share."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

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


def report_timing(request: pytest.FixtureRequest, label: str, elapsed: float, walls: dict[str, float],
                  extra: str = "", top: int = 5) -> None:
    """Print how long a batch of gradings took, past pytest's capture (a figure, not an assertion)."""
    tr = request.config.pluginmanager.get_plugin("terminalreporter")
    capman = request.config.pluginmanager.get_plugin("capturemanager")
    if tr is None or capman is None:
        return
    slow = sorted(((t, n) for n, t in walls.items()), reverse=True)[:top]
    with capman.global_and_fixture_disabled():
        tr.ensure_newline()
        tr.write_line(f"{label}: graded {len(walls)} submissions in {elapsed:.0f} s{extra}; "
                      f"slowest: {', '.join(f'{n} {t:.0f} s' for t, n in slow)}")
