"""JUnit XML for CI: one testsuite per notebook, one testcase per check."""
from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path

from autograder.files import atomic_write
from autograder.reporters.escape import xml_text

from autograder.reporters.text import with_hint
from autograder.results import Status, SubmissionResult


def render(result: SubmissionResult) -> ET.ElementTree:
    x = xml_text
    root = ET.Element("testsuites", name=x(result.assignment))
    suites: dict[str, ET.Element] = {}
    counts: dict[str, dict[str, int]] = {}
    for c in result.checks:
        if c.notebook not in suites:
            suites[c.notebook] = ET.SubElement(root, "testsuite", name=x(c.notebook))
            counts[c.notebook] = {"tests": 0, "failures": 0, "errors": 0}
        case = ET.SubElement(suites[c.notebook], "testcase", classname=x(f"{result.assignment}.{c.notebook}.{c.grade_id}"),
                             name=x(c.name), time=f"{c.duration_s:.3f}")
        ET.SubElement(case, "properties")
        for key, value in (("points", c.points), ("max_points", c.max_points)):
            ET.SubElement(case.find("properties"), "property", name=key, value=f"{value:g}")
        counts[c.notebook]["tests"] += 1
        if c.status is Status.FAILED:
            ET.SubElement(case, "failure", message=x(c.message[:500])).text = x(with_hint(c))
            counts[c.notebook]["failures"] += 1
        elif c.status is Status.ERROR:
            ET.SubElement(case, "error", message=x(c.message[:500])).text = x(c.message)
            counts[c.notebook]["errors"] += 1
    for nb, suite in suites.items():
        for key, value in counts[nb].items():
            suite.set(key, str(value))
    total = {k: sum(c[k] for c in counts.values()) for k in ("tests", "failures", "errors")}
    for key, value in total.items():
        root.set(key, str(value))
    if not result.gradable:
        suite = ET.SubElement(root, "testsuite", name="submission", tests="1", failures="0", errors="1")
        case = ET.SubElement(suite, "testcase", classname=x(result.assignment), name="submission can be graded")
        ET.SubElement(case, "error", message="ungradable").text = "\n".join(x(e) for e in result.format_errors)
    return ET.ElementTree(root)


def write(result: SubmissionResult, path: Path) -> Path:
    tree = render(result)
    ET.indent(tree)
    buf = io.BytesIO()
    tree.write(buf, encoding="utf-8", xml_declaration=True)
    return atomic_write(path, buf.getvalue())
