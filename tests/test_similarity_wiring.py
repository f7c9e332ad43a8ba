"""The similarity report wired into the command line and the class summary (staff only):
`autograder similarity SUBMISSIONS --out DIR`, `grade-all --similarity` (compared now, into
DIR/similarity/) and `grade-all --similarity FOLDER` (a report a TA made); the summary page ranks
the planted copies first, and nothing of it reaches any student's output."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from autograder import cli
from autograder.batch import BatchError, grade_all
from autograder.course import AssignmentPaths
from samples import similar as S
from test_similarity import planted  # noqa: F401 - the planted class (copies and independent students)

REPO = Path(__file__).resolve().parent.parent
PATHS = AssignmentPaths(REPO, "pytorch_basics")

# Grades any submission with one passing check: the class outputs are what this file tests.
FAKE_GRADER = '''
from autograder.results import CheckResult, Status, SubmissionResult

def grade(submission, student, device, paths, extra_hidden):
    check = CheckResult("products: m @ v", "check_products", "01_tensor_ops", 3, 3, Status.PASSED)
    return SubmissionResult("pytorch_basics", student, [check])
'''


@pytest.fixture
def fake_grader(tmp_path, monkeypatch):
    mods = tmp_path / "mods"
    mods.mkdir()
    (mods / "simgrader.py").write_text(FAKE_GRADER)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(mods), os.environ.get("PYTHONPATH", "")]))
    return "simgrader:grade"


def _top_pairs(summary_html: str, n: int) -> list[frozenset]:
    section = summary_html.split('id="similarity"')[1].split("</section>")[0]
    rows = section.split("<tr>")[2:2 + n]
    return [frozenset(r.split("<td>")[1].split("</td>")[0].split(" ~ ")) for r in rows]


def _student_files(out: Path) -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8", errors="replace") for p in (out / "students").rglob("*") if p.is_file()}


def test_the_similarity_subcommand_writes_the_staff_report(planted, tmp_path, capsys):
    out = tmp_path / "staff"
    code = cli.main(["--course", str(REPO), "similarity", str(planted), "--out", str(out), "--jobs", "1"])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert (out / "similarity.html").is_file() and (out / "similarity.json").is_file()
    assert "similarity, not proof" in printed.out and str(out / "similarity.html") in printed.out
    assert cli.main(["--course", str(REPO), "similarity", str(tmp_path / "nowhere")]) == 2


def test_grade_all_puts_the_ranked_copies_on_the_summary_and_nowhere_a_student_sees(planted, tmp_path, fake_grader):
    out = tmp_path / "results"
    report = grade_all(planted, PATHS, out=out, grader=fake_grader, progress=False, jobs=1, similarity=True)
    summary = (out / "summary.html").read_text()
    assert "Similarity, not proof" in summary and 'href="similarity/similarity.html"' in summary
    assert set(_top_pairs(summary, len(S.COPIES))) == {frozenset(p) for p in S.COPIES}  # the copies first
    assert (out / "similarity" / "similarity.html").is_file()
    assert any("similarity:" in n for n in report.notes)
    students = {spec.name for spec in S.planted_class()}
    for path, text in _student_files(out).items():
        assert "imilarity" not in text, path  # no report, no section, no link
        others = students - {path.relative_to(out / "students").parts[0]}
        assert not [s for s in others if f">{s}<" in text or f"{s} ~" in text], path
    # without the option: no section
    plain = tmp_path / "plain"
    grade_all(planted, PATHS, out=plain, grader=fake_grader, progress=False, jobs=1)
    assert 'id="similarity"' not in (plain / "summary.html").read_text()


def test_grade_all_reads_a_report_a_ta_made(planted, tmp_path, fake_grader, capsys):
    staff = tmp_path / "staff"
    assert cli.main(["--course", str(REPO), "similarity", str(planted), "--out", str(staff), "--jobs", "1"]) == 0
    out = tmp_path / "results"
    grade_all(planted, PATHS, out=out, grader=fake_grader, progress=False, jobs=1, similarity=staff)
    summary = (out / "summary.html").read_text()
    assert set(_top_pairs(summary, len(S.COPIES))) == {frozenset(p) for p in S.COPIES}
    assert f'href="{os.path.relpath(staff / "similarity.html", out)}"' in summary
    assert not (out / "similarity").exists()
    with pytest.raises(BatchError, match="no similarity report there"):
        grade_all(planted, PATHS, out=tmp_path / "r2", grader=fake_grader, progress=False, similarity=tmp_path / "empty")
    assert not list((tmp_path / "r2").glob("students/*/batch.json"))  # refused before grading
