"""Files that are not plain files: the grader reads only regular files of a submission, never
follows a link (in the file's name or any folder above it), and bounds every read
(autograder/files.py, used by notebooks.py, batch/discover.py, batch/records.py, batch/run.py and
gradebook.py).

A submission folder comes from a git clone or a tarball, which keep symbolic links: a notebook
linked to the instructor's source notebook, a classmate's file, /dev/zero (never ends), a FIFO
(blocks forever), a socket; a student folder linked to a classmate's.
"""
from __future__ import annotations

import json
import os
import socket
import threading
from pathlib import Path

import pytest

from autograder.assignment import load_assignment
from autograder.notebooks import UnreadableNotebook, read_notebook, recognise

REPO = Path(__file__).resolve().parent.parent
SOURCE = REPO / "source" / "pytorch_basics"
CONFIG = load_assignment(SOURCE / "grading" / "assignment.toml")
NB1, NB2, NB3 = "01_tensor_ops", "02_spiral_classification", "03_activations_and_optimizers"


def _key(folder: Path, stem: str, name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name or stem}.ipynb"
    path.write_bytes((SOURCE / f"{stem}.ipynb").read_bytes())
    return path


def _hostile_folder(tmp_path: Path) -> tuple[Path, Path]:
    """A submission whose three notebooks are a link to /dev/zero, a FIFO and a link to the
    instructor's source; beside them a linked folder holding a classmate's notebook and a socket."""
    sub, classmate = tmp_path / "sub", tmp_path / "classmate"
    sub.mkdir()
    _key(classmate, NB1, "01_tensor_ops (1)")
    os.symlink("/dev/zero", sub / f"{NB1}.ipynb")
    os.mkfifo(sub / f"{NB2}.ipynb")
    os.symlink(SOURCE / f"{NB3}.ipynb", sub / f"{NB3}.ipynb")
    os.symlink(classmate, sub / "from_alice")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sub / "answers.ipynb"))
    server.close()
    return sub, classmate


def _in_thread(fn, timeout: float = 30):
    """fn() in a thread: a read that blocks forever (a FIFO) fails the test instead of hanging it."""
    out: dict = {}

    def run():
        try:
            out["value"] = fn()
        except BaseException as e:  # noqa: BLE001 - reported below
            out["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(timeout)
    assert not t.is_alive(), f"{fn} did not return within {timeout} s (a blocking read?)"
    if "error" in out:
        raise out["error"]
    return out["value"]


def test_recognise_reads_no_link_fifo_device_or_socket(tmp_path):
    sub, _ = _hostile_folder(tmp_path)
    rec = _in_thread(lambda: recognise(sub, CONFIG))
    assert rec.found == {}, f"graded what is not a regular file: {sorted(rec.found)}"
    problems = " ".join(rec.problems)
    assert "symbolic link" in problems and "FIFO" in problems, rec.problems


def test_read_notebook_refuses_links_and_bounds_reads(tmp_path):
    sub, classmate = _hostile_folder(tmp_path)
    for name in (f"{NB1}.ipynb", f"{NB2}.ipynb", f"{NB3}.ipynb", "answers.ipynb"):
        with pytest.raises(UnreadableNotebook):
            _in_thread(lambda: read_notebook(sub / name))
    # a link in a folder above the notebook is refused too
    with pytest.raises(UnreadableNotebook, match="symbolic link"):
        read_notebook(sub / "from_alice" / "01_tensor_ops (1).ipynb", root=sub)
    big = tmp_path / "big.ipynb"
    with big.open("wb") as f:
        f.truncate(60 * 2**20)  # sparse: 60 MB of zeros on no disk
    with pytest.raises(UnreadableNotebook, match="larger than"):
        read_notebook(big)
    assert read_notebook(classmate / "01_tensor_ops (1).ipynb")["cells"]  # a regular file is read


def test_surrogates_in_notebook_json_become_replacement_characters(tmp_path):
    nb = json.loads((SOURCE / f"{NB3}.ipynb").read_text(encoding="utf-8"))
    nb["cells"][0]["source"] = "lone surrogate: \udcff and \ud800 ✅"
    path = tmp_path / "s.ipynb"
    path.write_text(json.dumps(nb, ensure_ascii=True), encoding="utf-8")  # "\ud800" escapes: valid JSON
    text = read_notebook(path)["cells"][0]["source"]
    assert text == "lone surrogate: \ufffd and \ufffd ✅"
    text.encode("utf-8")


def test_batch_discovery_follows_no_link(tmp_path):
    from autograder.batch.discover import discover
    from autograder.batch.records import submission_hash
    from autograder.batch.run import _size

    submitted = tmp_path / "course" / "submitted"
    alice = submitted / "alice" / "pytorch_basics"
    _key(alice, NB1)
    (submitted / "mallory").mkdir(parents=True)
    os.symlink(alice, submitted / "mallory" / "pytorch_basics")  # takes alice's notebooks
    os.symlink(submitted / "alice", submitted / "trudy")  # a whole student folder linked
    eve = submitted / "eve" / "pytorch_basics"
    eve.mkdir(parents=True)
    os.symlink(alice / f"{NB1}.ipynb", eve / f"{NB1}.ipynb")
    os.mkfifo(eve / f"{NB2}.ipynb")
    found = _in_thread(lambda: discover(submitted, "pytorch_basics", tmp_path / "staging"))
    by_student = {s.student: s for s in found.submissions}
    assert "mallory" not in by_student and "trudy" not in by_student, sorted(by_student)
    assert set(by_student) == {"alice", "eve"}
    eve_sub = by_student["eve"].path
    assert _in_thread(lambda: submission_hash(eve_sub)) != submission_hash(alice)
    assert _in_thread(lambda: recognise(eve_sub, CONFIG)).found == {}
    assert _size(eve_sub) == 0 and _size(alice) > 0


def test_flat_class_folder_skips_links(tmp_path):
    from autograder.batch.discover import discover

    folder = tmp_path / "class"
    _key(folder, NB1, "alice")
    os.symlink(folder / "alice.ipynb", folder / "mallory.ipynb")
    os.symlink("/dev/zero", folder / "zero.ipynb")
    os.mkfifo(folder / "fifo.zip")
    found = _in_thread(lambda: discover(folder, "pytorch_basics", tmp_path / "staging"))
    assert [s.student for s in found.submissions] == ["alice"]


def test_formgrader_copies_read_only_regular_files(tmp_path):
    from autograder.gradebook import write_formgrader_copies

    sub = tmp_path / "sub"
    good = _key(sub, NB1)
    os.symlink(SOURCE / f"{NB3}.ipynb", sub / f"{NB3}.ipynb")
    written = write_formgrader_copies(tmp_path / "course", "pytorch_basics", "mallory",
                                      {NB1: good, NB3: sub / f"{NB3}.ipynb"})
    assert [p.name for p in written] == [f"{NB1}.ipynb"]


def test_files_helpers(tmp_path):
    from autograder.files import NotRegularFile, atomic_write, read_regular, regular_files

    sub, classmate = _hostile_folder(tmp_path)
    _key(sub / "nested", NB1)
    assert regular_files(sub, ".ipynb") == [sub / "nested" / f"{NB1}.ipynb"]
    with pytest.raises(NotRegularFile, match="FIFO"):
        _in_thread(lambda: read_regular(sub / f"{NB2}.ipynb"))
    with pytest.raises(NotRegularFile, match="larger than"):
        read_regular(sub / "nested" / f"{NB1}.ipynb", limit=100)
    out = tmp_path / "out" / "results.json"
    os.makedirs(out.parent)
    os.symlink(SOURCE / f"{NB1}.ipynb", out)  # a link planted where an output goes is replaced
    atomic_write(out, '{"score": 1, "text": "\ud800"}')
    assert not out.is_symlink() and json.loads(out.read_text(encoding="utf-8"))["text"] == "\ufffd"
    assert (SOURCE / f"{NB1}.ipynb").read_text(encoding="utf-8").startswith("{")


def test_an_empty_notebook_file_is_said_to_be_empty(tmp_path):
    for text in ("", "  \n"):
        (tmp_path / "01_tensor_ops.ipynb").write_text(text)
        with pytest.raises(UnreadableNotebook, match=r"01_tensor_ops.ipynb is empty: save the notebook in Jupyter"):
            _in_thread(lambda: read_notebook(tmp_path / "01_tensor_ops.ipynb"))
