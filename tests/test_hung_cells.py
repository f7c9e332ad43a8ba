"""A function a notebook cell was stopped in is not waited for again (issue 14, fail fast).

Real workers, tiny notebooks: a cell stopped at its limit inside one call of a notebook function
makes later cells that call it fail at once, in this worker and after a restart, and makes checks
that would give it no more time fail at once; a cell that merely spent its time in many short
calls, or on its own lines, marks nothing.
"""
from __future__ import annotations

import re
import textwrap
import time

import pytest

from autograder.engine.failfast import NotebookWorker
from autograder.sandbox import CallTimeout, Limits, Sandbox, wire
from autograder.sandbox.hung import parse_hung

LIMITS = Limits(cell_timeout_s=3, call_timeout_s=3, submission_timeout_s=200, output_kb=4)

DEFS = textwrap.dedent("""
    def spin(n):
        while n > 0:
            pass
        return "done"

    def quick():
        return 1

    spin.message, spin.fn = "forged", quick  # the stand-in must not take these from the function
""")


def run(sb: Sandbox, *sources: str, start: int = 1):
    return sb.run_cells([(start + i, textwrap.dedent(s)) for i, s in enumerate(sources)])


def timed(fn):
    t = time.monotonic()
    value = fn()
    return value, time.monotonic() - t


@pytest.fixture(scope="module")
def hung():
    """A notebook whose third cell hangs in `spin`; the fourth calls it again."""
    with Sandbox(LIMITS, cell_label=lambda i: f"cell {i}") as sb:
        sb.start()
        first = run(sb, DEFS, "x = 1", "spin(1)")
        later, seconds = timed(lambda: run(sb, "try:\n    spin(1)\nexcept TimeoutError as e:\n    caught = str(e)\ndef why():\n    return caught\n",
                                           "spin(2)", start=4))
        yield sb, first, later, seconds


def test_the_stopped_cell_names_the_function(hung):
    sb, first, _, _ = hung
    assert [e.cell for e in first.errors] == [3]
    assert re.search("`spin` did not return within [23] s when cell 3 called it", first.errors[0].message)
    assert 2.0 <= sb.hung.get("spin").seconds <= 3.0 and sb.hung.get("spin").limit == 3.0
    assert sb.hung.get("quick") is None


def test_later_cells_fail_at_once(hung):
    sb, _, later, seconds = hung
    assert seconds < 2, f"the later cells waited {seconds:.1f} s for a function that hung already"
    assert [(e.cell, e.exc_type) for e in later.errors] == [(5, "TimeoutError")]
    assert "not run again" in later.errors[0].message and "forged" not in later.errors[0].message
    assert "`spin` did not return" in sb.call("why")  # a student may catch it


def test_checks_with_no_more_time_fail_at_once_and_more_time_still_runs(hung):
    sb, _, _, _ = hung
    nb = NotebookWorker(sb)
    with pytest.raises(CallTimeout, match="did not return within [23] s when cell 3 called it"):
        timed(lambda: nb.call("spin", 1))
    assert nb.calls.get("spin", 0) == 0  # refused before it reached the worker
    # more time than the cell gave it: the function itself runs (not the stand-in), here at once
    assert nb.call("spin", 0, timeout=5) == "done"


def test_a_restart_refuses_it_again():
    with Sandbox(LIMITS) as sb:
        run(sb, DEFS, "spin(1)")
        assert sb.hung.get("spin") is not None
        run(sb, "import os\nos._exit(3)", start=3)  # the worker dies: cells 1 and 2 are replayed
        report, seconds = timed(lambda: run(sb, "spin(1)", start=4))
        assert any("restarted" in n for n in report.notes)
        assert [(e.cell, e.exc_type) for e in report.errors] == [(4, "TimeoutError")]
        message = report.errors[0].message  # refused, not stopped again at its limit
        assert "not run again" in message and "ran longer" not in message, message
        assert seconds < (sb.start_s or 0) + 2


def test_many_short_calls_or_a_late_call_mark_nothing():
    limits = Limits(cell_timeout_s=6, call_timeout_s=6, submission_timeout_s=200, output_kb=4)
    with Sandbox(limits) as sb:
        report = run(sb, DEFS, "while True:\n    quick()\n",
                     "import time\nt = time.monotonic()\nwhile time.monotonic() - t < 2.5:\n    pass\nspin(1)\n",
                     "spin(0)\n")
        assert [e.cell for e in report.errors] == [2, 3]  # the fourth cell ran spin
        assert sb.hung.get("quick") is None
        # spin began 2.5 s into the cell and ran about 3.5 s of its 6: it might have returned
        assert sb.hung.get("spin") is None
        with pytest.raises(CallTimeout, match="did not finish within 6 s"):
            NotebookWorker(sb).call("spin", 1)  # so a check still waits for it


@pytest.mark.parametrize("forged", [
    {"names": ["fit_spiral"]}, {"names": [], "seconds": 1}, {"names": ["a b"], "seconds": 1},
    {"names": ["x"] * 9, "seconds": 1}, {"names": ["x"], "seconds": float("nan")},
    {"names": ["x"], "seconds": -1}, ["x"],
])
def test_a_forged_hung_report_is_a_bad_reply(forged):
    with pytest.raises(wire.WireError):
        parse_hung(forged)


def test_a_function_with_a_budget_is_stopped_at_it_in_cells_and_checks():
    """[limits] call_budgets_s: `pause` may run 2 s per call; the cell's own limit is 20 s. A
    cell calling it is stopped after about 2 s (not 20); a function without a budget that calls
    it from the cell is not stopped by pause's; a check that sets no limit fails at once, and one
    that gives it more time still reaches it; outer still calls it, in later cells and checks."""
    limits = Limits(cell_timeout_s=20, call_timeout_s=20, submission_timeout_s=200, output_kb=4,
                    call_budgets_s={"pause": 2})
    pause = ("import time\n"
             "def pause(s):\n    t = time.monotonic()\n    while time.monotonic() - t < s:\n        pass\n    return s\n"
             "def outer(s):\n    return pause(s)\n")
    with Sandbox(limits, cell_label=lambda i: f"cell {i}") as sb:
        sb.start()
        report = run(sb, pause, "outer(3.5)")
        assert report.errors == [], report.errors  # outer's call of pause is outer's time
        report, seconds = timed(lambda: run(sb, "pause(30)", start=3))
        assert [e.cell for e in report.errors] == [3], report.errors
        assert 2 <= seconds < 8, f"the cell stopped after {seconds:.1f} s, not at pause's 2 s budget"
        message = report.errors[0].message
        assert "`pause` did not return within its budget of 2 s when cell 3 called it" in message, message
        assert "ran longer than 20" not in message
        assert sb.hung.get("pause").limit == 2.0 and sb.hung.get("outer") is None
        nb = NotebookWorker(sb)
        with pytest.raises(CallTimeout, match="its budget of 2 s"):
            nb.call("pause", 1)  # the check's default limit is the budget: refused at once
        assert nb.calls.get("pause", 0) == 0
        assert nb.call("pause", 0.5, timeout=5) == 0.5
        # outer's own calls of pause are outer's time, in a cell and in a check: not refused
        report = run(sb, "outer(2.5)", "pause(0.1)", start=4)
        assert [e.cell for e in report.errors] == [5], report.errors
        assert "its budget of 2 s" in report.errors[0].message
        assert nb.call("outer", 2.5) == 2.5


def test_a_budget_must_be_a_positive_number_for_a_name():
    for bad in ({"spin": 0}, {"not a name": 3}, {"spin": "3"}, {"spin": float("inf")}, ["spin"]):
        with pytest.raises(ValueError, match="call_budgets_s must map function names"):
            Limits(call_budgets_s=bad)
    assert Limits(call_budgets_s={"b": 2, "a": 1.5}).call_limit("a") == 1.5
    assert Limits(call_budgets_s={"a": 90}).cell_limit("a") == Limits().cell_timeout_s


def test_a_decorated_function_is_not_another_one_with_the_same_wrapper():
    """A decorator returns one wrapper code for every function it decorates: a cell calling the
    decorated `slow` (no budget) is not stopped at the decorated `pause`'s budget, and a cell
    stopped in one of them marks that one only."""
    limits = Limits(cell_timeout_s=6, call_timeout_s=6, submission_timeout_s=200, output_kb=4,
                    call_budgets_s={"pause": 1.5})
    defs = ("import functools, time\n"
            "def logged(f):\n    @functools.wraps(f)\n    def wrapper(*a, **k):\n        return f(*a, **k)\n"
            "    return wrapper\n"
            "@logged\ndef pause(s):\n    t = time.monotonic()\n    while time.monotonic() - t < s:\n        pass\n    return s\n"
            "@logged\ndef slow(s):\n    return pause(0.1) + pause.__wrapped__(s)\n")
    with Sandbox(limits, cell_label=lambda i: f"cell {i}") as sb:
        sb.start()
        report = run(sb, defs, "slow(4)")
        assert report.errors == [], report.errors  # slow's 4 s are within the cell's 6
        report = run(sb, "slow(30)", start=3)
        assert "`slow` did not return within 6 s" in report.errors[0].message, report.errors
        assert sb.hung.get("slow") is not None and sb.hung.get("pause") is None
        report = run(sb, "pause(30)", start=4)
        assert "`pause` did not return within its budget of 1.5 s" in report.errors[0].message, report.errors
        assert sb.hung.get("pause").limit == 1.5 and sb.hung.get("logged") is None
