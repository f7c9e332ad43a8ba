"""The check library: everything an assignment's check files import from the engine.

- `check`, `Credit`: mark a pytest test as a graded check (autograder.engine); `grader_only`:
  a helper of a public check that the release ships as a stub (it needs grader-only material).
- values: validate what a worker sent back (`expect_tensor`, `expect_tuple`, `expect_number`,
  `expect_handle`, `close`, ...).
- judge: the common call -> validate -> compare -> message shape in one declaration
  (`judge(nb, "pick", m, shown=..., returns=Tuple(Tensor(...), ...))`).
- calls: calls that show what a function did to its inputs, sequences with state kept in the
  worker, helpers the grader defines in the worker.
- summaries, figures: read module, optimizer and figure handles (`figure_summary`: what a worker
  sends for a Figure, for measurements; `grid_points`, `boundary_details`: decision-boundary
  pictures for the feedback page).
- `import_helper`: an assignment's helper module, imported under its package (for scripts).
- `reference`: a decorator that computes a reference (the grader's own model, its outputs on
  the grader's inputs) once per grading process, keyed by its arguments; `prefetch` starts one
  in the background while the worker trains.
- stats: normality and independence of random samples.
- source: how a function is written, from the notebook's source (`forbidden_calls`).
- mistakes: known mistakes recognised from a reply (`Known`, `KnownError`, `known_errors`,
  `recognise`, `KnownMistake`); their hints are the assignment's (grading/mistakes.toml).

Fixtures the engine gives checks: `nb` (the worker of the check's notebook), `submission`
(`.notebook(stem)`), `source` / `sources` (notebook code cells), `device`, `assignment`,
`credit`.
"""
from autograder.checks.cache import prefetch, reference
from autograder.checks.calls import (
    Called, HelperFailed, call_keeping_inputs, call_sequence, call_watching_inputs, changed_message, worker_helper,
)
from autograder.checks.figures import (
    RegionAgreement, axes_bar_spans, axes_bars, boundary_details, drawn_points, figure_axes, figure_summary,
    filled_axes, grid_points, has_filled_regions, region_agreement, scatter_points, shows_points,
)
from autograder.checks.judge import Equal, Number, Tensor, Tuple, judge
from autograder.checks.mistakes import ANY, Known, KnownError, known_errors, matches, mistaken, recognise
from autograder.checks.source import CallRule, Finding, NotebookSource, forbidden_calls
from autograder.checks.stats import autocorrelation_bar, ks_bar, ks_normal, lag1_autocorrelation
from autograder.checks.summaries import (
    module_devices, module_leaf_types, module_leaves, module_param_ids, module_parameters, optimizer_class,
    optimizer_groups, optimizer_param_ids, short_type, summary_number,
)
from autograder.checks.values import (
    close, device_matches, expect_handle, expect_list_of_numbers, expect_number, expect_state_dict, expect_tensor,
    expect_tuple, same, type_name,
)
from autograder.engine.checks import Credit, KnownMistake, check, grader_only
from autograder.engine.content import import_helper
from autograder.sandbox import CallTimeout, StudentError, SubmissionFault

__all__ = [
    "ANY", "Called", "CallRule", "CallTimeout", "Credit", "Equal", "Finding", "HelperFailed", "Known", "KnownError",
    "KnownMistake", "NotebookSource", "Number", "RegionAgreement", "StudentError", "SubmissionFault", "Tensor", "Tuple", "autocorrelation_bar",
    "axes_bar_spans", "axes_bars", "boundary_details", "call_keeping_inputs", "call_sequence",
    "call_watching_inputs", "changed_message", "check", "close", "device_matches", "drawn_points",
    "expect_handle", "expect_list_of_numbers", "expect_number", "expect_state_dict", "expect_tensor",
    "expect_tuple", "figure_axes", "figure_summary", "filled_axes", "forbidden_calls", "grader_only", "grid_points",
    "has_filled_regions", "import_helper", "judge", "known_errors", "ks_bar", "ks_normal", "lag1_autocorrelation",
    "matches", "mistaken", "recognise",
    "module_devices", "module_leaf_types", "module_leaves", "module_param_ids", "module_parameters",
    "optimizer_class", "optimizer_groups", "optimizer_param_ids", "prefetch", "reference", "region_agreement", "same",
    "scatter_points", "short_type", "shows_points", "summary_number", "type_name", "worker_helper",
]
