"""Every results file is derived from SubmissionResult alone and validates against its schema."""
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

import autograder.reporters as reporters
from autograder.reporters import write_results
from autograder.reporters import gradescope, junit, prairielearn
from autograder.results import CheckResult, Status, SubmissionResult, Visibility

SCHEMAS = Path(reporters.__file__).parent / "schemas"


def _result(gradable=True) -> SubmissionResult:
    checks = [
        CheckResult("products: m @ v, with a comma, and \"quotes\"", "check_products", "01_tensor_ops", 1.5, 1.5, Status.PASSED, public=True),
        CheckResult("products: int64 vector promoted", "check_products", "01_tensor_ops", 0.0, 1.5, Status.FAILED,
                    "expected a float result for an int64 vector; got torch.int64", visibility=Visibility.AFTER_DUE_DATE),
        CheckResult("fit_spiral: held-out accuracy", "check_fit_spiral", "02_spiral_classification", 4.0, 10.0,
                    Status.FAILED, "median held-out accuracy 0.77; full marks from 0.93"),
        CheckResult("train: losses", "check_train", "02_spiral_classification", 0.0, 6.0, Status.ERROR, "grader fault"),
    ]
    r = SubmissionResult("pytorch_basics", "alice", checks=checks if gradable else [], gradable=gradable,
                         format_errors=[] if gradable else ["a.ipynb is not valid JSON"], execution_time_s=12.6)
    return r


def _validate(doc: dict, schema: str) -> None:
    jsonschema.validate(doc, json.loads((SCHEMAS / schema).read_text()))


def test_gradescope_results_validate_and_sum():
    doc = gradescope.render(_result())
    _validate(doc, "gradescope.schema.json")
    assert doc["score"] == pytest.approx(5.5)
    assert [t["status"] for t in doc["tests"]] == ["passed", "failed", "failed", "failed"]
    assert doc["tests"][1]["visibility"] == "after_due_date"
    assert "fit_spiral" in doc["output"] and "5.5 / 19" in doc["output"]


def test_schema_rejects_a_wrong_document():
    doc = gradescope.render(_result())
    doc["tests"][0]["status"] = "error"  # Gradescope knows passed/failed only
    with pytest.raises(jsonschema.ValidationError):
        _validate(doc, "gradescope.schema.json")


def test_prairielearn_results_validate_score_in_unit_interval():
    doc = prairielearn.render(_result())
    _validate(doc, "prairielearn.schema.json")
    assert doc["score"] == pytest.approx(5.5 / 19, abs=1e-6)
    assert doc["gradable"] is True


def test_prairielearn_ungradable_has_format_errors():
    doc = prairielearn.render(_result(gradable=False))
    _validate(doc, "prairielearn.schema.json")
    assert doc["gradable"] is False and doc["format_errors"] == ["a.ipynb is not valid JSON"]
    broken = dict(doc)
    del broken["format_errors"]
    with pytest.raises(jsonschema.ValidationError):
        _validate(broken, "prairielearn.schema.json")


def test_junit_counts_failures_and_errors(tmp_path):
    path = junit.write(_result(), tmp_path / "junit.xml")
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("4", "2", "1")
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"01_tensor_ops", "02_spiral_classification"}
    failure = suites["01_tensor_ops"].findall("testcase")[1].find("failure")
    assert "int64" in failure.text


def test_write_results_writes_every_format_and_round_trips(tmp_path):
    files = write_results(_result(), tmp_path / "out")
    assert {p.name for p in files.values()} == {"results.json", "prairielearn.json", "junit.xml", "submission_result.json"}
    back = SubmissionResult.from_dict(json.loads(files["record"].read_text()))
    assert back.score == pytest.approx(5.5) and back.checks[3].status is Status.ERROR
