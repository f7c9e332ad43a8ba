"""Student text reaches people inert: escaped once per medium (autograder/reporters/escape.py)
by every reporter and by the command line's printing.

A hostile message carries a fake "✅ 100/100 (adjusted by TA)" banner, a phishing link, a
tracking image, HTML, terminal escape sequences (clear screen, cursor moves, OSC 52 clipboard
write, carriage-return overwrite), bidi overrides, a spreadsheet formula and a lone surrogate.
Markdown is rendered with a real CommonMark renderer (mistune, which nbconvert uses) to see what
a TA would see.
"""
from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET

import mistune
import pytest

from autograder.reporters import escape, gradescope, prairielearn, write_results
from autograder.reporters.csv_export import GRADED, ClassRow, dumps as csv_dumps
from autograder.reporters.html import render_feedback
from autograder.reporters.text import summary_lines, summary_markdown
from autograder.results import CheckResult, Status, SubmissionResult

BANNER = "\n\n# ✅ 100/100 (adjusted by TA)\n\n"
LINK = "[your grade was adjusted: click to confirm](https://evil.example/login)"
IMAGE = "![](https://evil.example/track.png?student=alice)"
AUTOLINK = "see www.evil.example or https://evil.example/x"
HTML = "<img src=x onerror=alert(1)><script>alert(1)</script><b>bold</b>"
CLEAR = "\x1b[2J\x1b[H"  # clear the screen, cursor home
OSC52 = "\x1b]52;c;cm0gLXJmIH4=\x07"  # write "rm -rf ~" to the clipboard
OVERWRITE = "\rdescribe: 3/3 passed            "
CSI8 = "\x9b31m"  # the 8-bit form of ESC [
BIDI = "score \u202e001/0\u202c"  # shows as "score 0/100"
FORMULA = '=HYPERLINK("https://evil.example","regrade")'
SURROGATE = "bad \ud800 text"
ATTACKS = [BANNER, LINK, IMAGE, AUTOLINK, HTML, CLEAR, OSC52, OVERWRITE, CSI8, BIDI, FORMULA, SURROGATE]
HOSTILE = "ValueError: " + " | ".join(ATTACKS)
RAW_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

render_md = mistune.create_markdown(plugins=["url", "strikethrough", "table"])


def hostile_result() -> SubmissionResult:
    checks = [
        CheckResult("describe: size, numel and dim", "check_describe", "01_tensor_ops", 0.0, 2.0,
                    Status.FAILED, f"`describe` raised {HOSTILE} (cell 3, line 2)"),
        CheckResult("q1_alexnet: short answer", "q1_alexnet", "03_activations_and_optimizers", 1.0, 3.0,
                    Status.FAILED, "your answer: " + HOSTILE),
    ]
    return SubmissionResult("pytorch_basics", "alice", checks=checks,
                            notes=[f"03.ipynb, cell 4: {HOSTILE}"], execution_time_s=1.0)


def _inert_markdown(md: str) -> None:
    html = render_md(md)
    for tag in ("<h1", "<h2", "<a ", "<img", "<script", "<b>", "<hr"):
        assert tag not in html, f"{tag} rendered from student text:\n{html}"
    assert not RAW_CONTROLS.search(md)


def test_text_shows_controls_instead_of_obeying_them():
    for attack in (CLEAR, OSC52, OVERWRITE, CSI8, BIDI, SURROGATE, "a\x00b\x7fc"):
        out = escape.text(attack)
        assert not RAW_CONTROLS.search(out), repr(out)
        out.encode("utf-8")  # valid Unicode
    assert escape.text(CLEAR) == "\\x1b[2J\\x1b[H"
    assert escape.text(BIDI) == "score \\u202e001/0\\u202c"
    assert escape.text("two\nlines\tand tab, 中文 ✅") == "two\nlines\tand tab, 中文 ✅"


def test_markdown_renders_as_the_same_characters():
    for attack in ATTACKS:
        md = escape.markdown(attack)
        _inert_markdown(md)
        shown = re.sub(r"<[^>]+>", "", render_md(md)).strip()
        shown = shown.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
        assert shown == " ".join(escape.text(attack).split()), (attack, shown)


def test_csv_and_xml_cells():
    assert escape.csv_cell(FORMULA).startswith("'=")
    assert escape.csv_cell("-1+2") == "'-1+2" and escape.csv_cell("plain, text") == "plain, text"
    assert "\n" not in escape.csv_cell(BANNER)
    ET.fromstring(f"<a>{escape.xml_text(HOSTILE).replace('&', '&amp;').replace('<', '&lt;')}</a>")


def test_gradescope_markdown_output_is_inert():
    doc = gradescope.render(hostile_result())
    assert doc["output_format"] == "md"
    _inert_markdown(doc["output"])
    assert "adjusted by TA" in render_md(doc["output"])  # shown, as plain words
    for t in doc["tests"]:
        assert not RAW_CONTROLS.search(t["output"]) and not RAW_CONTROLS.search(t["name"])
    json.dumps(doc).encode("utf-8")


def test_prairielearn_messages_are_inert():
    doc = prairielearn.render(hostile_result())
    for text in [doc["message"], doc["output"], *(t["message"] for t in doc["tests"])]:
        assert not RAW_CONTROLS.search(text), repr(text)


def test_terminal_summary_is_inert():
    lines = summary_lines(hostile_result())
    assert lines and not any(RAW_CONTROLS.search(line) for line in lines)
    assert any("\\x1b[2J" in line for line in lines)  # shown, not obeyed
    _inert_markdown(summary_markdown(hostile_result()))


def test_every_results_file_is_written_and_valid(tmp_path):
    files = write_results(hostile_result(), tmp_path)
    for path in files.values():
        path.read_bytes().decode("utf-8")  # valid UTF-8, whatever the student wrote
    ET.parse(files["junit"])
    failure = ET.parse(files["junit"]).getroot().find(".//failure")
    assert "\\x1b[2J" in failure.text and not RAW_CONTROLS.search(failure.text)


def test_csv_export_neutralises_formulas_and_controls():
    r = hostile_result()
    r.checks[0] = CheckResult("describe", "check_describe", "01_tensor_ops", 0.0, 2.0, Status.FAILED, FORMULA)
    text = csv_dumps([ClassRow("alice", GRADED, r, reason=FORMULA + CLEAR)])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][rows[0].index("reason")].startswith("'=")
    assert not any(RAW_CONTROLS.search(cell) for row in rows for cell in row)  # (the csv module ends rows with CRLF)


def test_feedback_page_escapes_html_and_controls():
    page = render_feedback(hostile_result())
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page
    assert not RAW_CONTROLS.search(page)


def test_cli_prints_public_checks_inert(capsys):
    from autograder.grade_command import print_public as _print_public

    _print_public(hostile_result())
    out = capsys.readouterr().out
    assert "describe" in out and not RAW_CONTROLS.search(out)


@pytest.mark.parametrize("attack", ATTACKS)
def test_each_attack_alone_in_every_medium(attack):
    for fn in (escape.text, escape.terminal, escape.markdown, escape.csv_cell, escape.xml_text):
        out = fn(attack)
        assert not RAW_CONTROLS.search(out)
        out.encode("utf-8")
    assert "<" not in str(escape.html(attack))


def test_cli_review_list_prints_inert(monkeypatch, capsys, tmp_path):
    from autograder import cli, review

    monkeypatch.setattr(review, "cmd_review_list", lambda *a, **k: "alice q1_alexnet (flagged): " + HOSTILE)
    code = cli.main(["review", "list", "--results", str(tmp_path), "--db", f"sqlite:///{tmp_path}/gb.db"])
    out = capsys.readouterr().out
    assert code == 0 and "\\x1b[2J" in out and not RAW_CONTROLS.search(out)
