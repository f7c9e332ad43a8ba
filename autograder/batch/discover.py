"""Finding the submissions of a class: which student handed in which notebooks.

Accepted layouts of SUBMISSIONS:

- an nbgrader course's `submitted/<student>/<assignment>/` tree (SUBMISSIONS is `submitted/` or
  the course folder holding it);
- a flat folder of `<student>.ipynb` files, or of `<student>/` folders of notebooks;
- a zip file exported from an LMS, extracted safely (no absolute paths, no `..`, no links, caps
  on sizes and entry counts) and then read as a folder. Canvas's flat
  `<name>_<userid>_<submissionid>_<file>.ipynb` and Moodle's
  `<Full Name>_<id>_assignsubmission_file_/` folders are recognised; a single wrapping folder
  is descended into; a student folder holding only a zip of their own is extracted too.

Only file names and sizes are read here; no notebook is parsed or run.

Every name taken from the file system is turned into text once, here (`display_name`: bytes
that are not UTF-8 become U+FFFD), and every student gets an id that is safe as a folder name
and a gradebook key, unique in the class and stable between runs (it depends only on the
student's own name: two names that clean up to the same id are told apart by a hash of the
original name, never by their order). The LMS's own user id stays part of the id (Moodle's
`Alice Smith_12345_...` is `Alice_Smith_12345`), and the original name is kept for the TA.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from autograder.files import (MAX_SUBMITTED_FILE, display_name, is_regular, kind_of, read_regular,
                              regular_files)

# Caps for an LMS export: a class's notebooks are a few MB each; a zip bomb is not homework.
MAX_ZIP_TOTAL_BYTES = 2 * 1024**3
MAX_ZIP_MEMBER_BYTES = 200 * 1024**2
MAX_ZIP_ENTRIES = 20_000
IGNORED_NAMES = {"__MACOSX", ".ipynb_checkpoints", ".DS_Store", "Thumbs.db"}
TIMESTAMP_SOURCE = "nbgrader's timestamp.txt"

_CANVAS = re.compile(r"^(?P<name>[^_]+)_(?:(?P<late>late)_)?(?P<uid>\d+)_(?P<sid>\d+)_(?P<file>.+)$", re.IGNORECASE)
_MOODLE = re.compile(r"^(?P<name>.+?)_(?P<uid>\d+)_assignsubmission_(?:file|onlinetext)_?$")


class SubmissionsError(Exception):
    """SUBMISSIONS cannot be read at all (missing, unsafe zip, no submissions): a usage error."""


@dataclass(frozen=True)
class Submission:
    student: str  # the student id: safe as a folder name and gradebook key, unique, stable
    path: Path  # a folder of notebooks or one .ipynb (what grade_submission takes)
    source: str  # where it came from, for the TA (relative to SUBMISSIONS), as text
    name: str = ""  # the student's name as SUBMISSIONS has it (folder, file or LMS name), as text
    lms_id: str | None = None  # the LMS's own user id (Canvas, Moodle), when the export has one
    late: bool = False  # the LMS marked the submission late (Canvas: LATE in the file name)
    submitted_at: str | None = None  # when it was handed in, when known (nbgrader's timestamp.txt)
    time_source: str = ""  # where submitted_at (or the late mark) was read, for the TA and the student


@dataclass
class Discovery:
    submissions: list[Submission]
    layout: str  # "nbgrader", "folders", "files", "canvas", "moodle", "empty"
    root: Path  # the folder the submissions were found in (the extraction folder for a zip)
    course_root: Path | None = None  # the nbgrader course folder when the layout is nbgrader
    notes: list[str] | None = None  # said to the TA (renamed ids, ignored files)


def safe_student_id(name: str) -> str:
    """A student id usable as a folder name on any system and as a gradebook key."""
    name = unicodedata.normalize("NFC", name).strip()
    name = re.sub(r"[^\w.@+-]+", "_", name, flags=re.UNICODE).strip("._").lstrip("+-@=")
    return name[:100] or "student"


def _ignored(p: Path) -> bool:
    """Junk of file managers and Jupyter. A hidden entry is junk too unless it is or holds a
    notebook: a student whose folder is named `.batch` is still a student."""
    if p.name in IGNORED_NAMES:
        return True
    if not p.name.startswith("."):
        return False
    return not (p.suffix == ".ipynb" if p.is_file() else p.is_dir() and _has_notebooks(p))


def _children(folder: Path) -> list[Path]:
    return sorted((p for p in folder.iterdir() if not _ignored(p)), key=lambda p: p.name)


def _has_notebooks(folder: Path) -> bool:
    return bool(regular_files(folder, ".ipynb"))


def _real_dir(p: Path) -> bool:
    """A folder, not a link to one (a student folder linked to a classmate's takes their grade)."""
    return p.is_dir() and not p.is_symlink()


def discover(path: Path, assignment: str, staging: Path, exclude: Path | None = None) -> Discovery:
    """The submissions under `path` (a folder or a zip). `staging` is a private folder (under
    the results folder) where zips are extracted; `exclude` (the results folder, when it lies
    inside `path`) is never taken for a student."""
    path = path.resolve()
    if not path.exists():
        raise SubmissionsError(f"{path} does not exist")
    notes: list[str] = []
    if path.is_file():
        if not zipfile.is_zipfile(path):
            raise SubmissionsError(f"{path.name} is neither a folder nor a zip file of submissions")
        digest = _file_digest(path)[:12]
        target = staging / f"{_slug(path.stem)}-{digest}"
        if not (target / ".complete").exists():
            shutil.rmtree(target, ignore_errors=True)
            try:
                safe_extract(path, target)
            except SubmissionsError:
                shutil.rmtree(target, ignore_errors=True)
                raise
            (target / ".complete").write_text("extracted\n")
        path = _descend_wrapper(target)
        notes.append(f"extracted {path.name if path != target else target.name} from the zip into {target}")
    if not path.is_dir():
        raise SubmissionsError(f"{path} is not a folder")

    # An nbgrader course folder, or its submitted/ folder.
    course_root = None
    if (path / "submitted").is_dir():
        course_root, path = path, path / "submitted"
    nbg = _nbgrader_layout(path, assignment, exclude)
    if nbg is not None:
        subs, n_notes = nbg
        course_root = course_root or (path.parent if path.name == "submitted" else None)
        return _finish(subs, "nbgrader", path, course_root, notes + n_notes)

    children = [p for p in _children(path) if not _same(p, exclude)]
    files = [p for p in children if is_regular(p) and p.suffix == ".ipynb"]
    folders = [p for p in children if _real_dir(p)]
    zips = [p for p in children if is_regular(p) and p.suffix.lower() == ".zip"]
    notes += [f"{display_name(p)} is {kind_of(os.lstat(p).st_mode)}, not a submission; skipped"
              for p in children if p.is_symlink() or not (p.is_dir() or p.is_file())]
    subs: list[Submission] = []
    layout = "empty"

    canvas = [(_CANVAS.match(p.name), p) for p in files]
    if files and all(m for m, _ in canvas):
        layout = "canvas"
        groups: dict[tuple[str, str], list[Path]] = {}
        for m, p in canvas:
            groups.setdefault((m["name"], m["uid"]), []).append(p)
        for (name, uid), group in sorted(groups.items()):
            folder = staging / "canvas" / safe_student_id(f"{display_name(name)}_{uid}")
            _link_copy(group, folder, lambda p: _CANVAS.match(p.name)["file"])
            late = any(_CANVAS.match(p.name)["late"] for p in group)
            subs.append(Submission(f"{name}_{uid}", folder, ", ".join(p.name for p in group), name, uid, late,
                                   time_source="Canvas's LATE mark in the file name" if late else ""))
        files = []
    elif files:
        layout = "files"
        subs += [Submission(p.stem, p, p.name, p.stem) for p in files]

    for folder in folders:
        m = _MOODLE.match(folder.name)
        # Moodle: the display name is not unique in a class; its user id is, and stays in the id
        sid, name, uid = (f"{m['name']}_{m['uid']}", m["name"], m["uid"]) if m else (folder.name, folder.name, None)
        if m:
            layout = "moodle"
        inner = _children(folder)
        inner_zips = [p for p in inner if is_regular(p) and p.suffix.lower() == ".zip"]
        if not _has_notebooks(folder) and len(inner_zips) == 1:
            target = staging / "student-zips" / safe_student_id(sid)
            try:
                if not (target / ".complete").exists():
                    shutil.rmtree(target, ignore_errors=True)
                    safe_extract(inner_zips[0], target)
                    (target / ".complete").write_text("extracted\n")
                subs.append(Submission(sid, target, f"{folder.name}/{inner_zips[0].name}", name, uid))
            except SubmissionsError as e:
                # The student's zip is unsafe: that student gets an ungradable record; the
                # class goes on (the empty folder below says why).
                target.mkdir(parents=True, exist_ok=True)
                (target / ".complete").unlink(missing_ok=True)
                notes.append(f"{display_name(folder.name)}/{display_name(inner_zips[0].name)}: {e}")
                subs.append(Submission(sid, folder, f"{folder.name}/ (unsafe zip: {e})", name, uid))
            continue
        layout = layout if layout in ("moodle", "canvas") else ("folders" if layout == "empty" else layout)
        # an nbgrader timestamp.txt in the student's folder (an export of nbgrader's submitted/ tree)
        stamp = _nbgrader_timestamp(folder)
        subs.append(Submission(sid, folder, folder.name + "/", name, uid, submitted_at=stamp,
                               time_source=TIMESTAMP_SOURCE if stamp else ""))
    for z in zips:
        notes.append(f"{display_name(z.name)}: a zip beside the submissions was ignored (give the zip itself as SUBMISSIONS)")
    return _finish(subs, layout, path, course_root, notes)


def _same(p: Path, other: Path | None) -> bool:
    return other is not None and p.resolve() == Path(other).resolve()


def _nbgrader_layout(path: Path, assignment: str, exclude: Path | None = None) -> tuple[list[Submission], list[str]] | None:
    students = [p for p in _children(path) if _real_dir(p) and not _same(p, exclude)]
    if not students or not any(_real_dir(s / assignment) for s in students):
        return None
    subs, notes = [], []
    for s in students:
        if _real_dir(s / assignment):
            stamp = _nbgrader_timestamp(s / assignment)
            subs.append(Submission(s.name, s / assignment, f"{s.name}/{assignment}/", s.name, submitted_at=stamp,
                                   time_source=TIMESTAMP_SOURCE if stamp else ""))
        else:
            notes.append(f"{display_name(s.name)}/ has no {assignment}/ folder; skipped")
    return subs, notes


def _nbgrader_timestamp(folder: Path) -> str | None:
    """nbgrader's `timestamp.txt` (when the student submitted), if it is a small regular file."""
    path = folder / "timestamp.txt"
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size > 200:
            return None
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as f:
            text = f.read(200).decode("utf-8", "replace").strip()
    except OSError:
        return None
    return text.splitlines()[0] if text else None


def _finish(subs: list[Submission], layout: str, root: Path, course_root: Path | None,
            notes: list[str]) -> Discovery:
    """Every path-derived string as text, and every student an id that is unique (also on a
    case-insensitive file system) and stable: it depends only on the student's own name."""
    cleaned = []
    for s in subs:
        raw = s.student
        base = safe_student_id(display_name(raw))
        cleaned.append((s, raw, base))
    groups: dict[str, list[str]] = {}
    for _, raw, base in cleaned:
        groups.setdefault(base.lower(), []).append(raw)
    out: list[Submission] = []
    used: set[str] = set()
    for s, raw, base in cleaned:
        sid = base
        if len(groups[base.lower()]) > 1 and raw != base:
            sid = f"{base}-{_name_hash(raw)}"
        n = 2
        while sid.lower() in used:  # a hash collision, or a name that looks like a hashed id
            sid, n = f"{base}-{_name_hash(raw)}-{n}", n + 1
        used.add(sid.lower())
        source, name = display_name(s.source), display_name(s.name or raw)
        if sid != raw:
            notes.append(f"student {name!r} ({source}) is recorded as {sid!r}")
        out.append(Submission(sid, s.path, source, name, s.lms_id, s.late, s.submitted_at, s.time_source))
    out.sort(key=lambda s: s.student)
    return Discovery(out, layout if out else "empty", root, course_root, notes)


def _name_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()[:6]


def _descend_wrapper(folder: Path) -> Path:
    """Zips often wrap everything in one folder: go down while there is nothing else. (So a zip
    of one student's folder reads as a class of that folder's notebooks: give such a submission
    to `autograder grade` instead.)"""
    while True:
        kids = _children(folder)
        if len(kids) == 1 and _real_dir(kids[0]):
            folder = kids[0]
        else:
            return folder


def _link_copy(files: list[Path], folder: Path, name_of) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for p in files:
        (folder / _slug(name_of(p))).write_bytes(read_regular(p, MAX_SUBMITTED_FILE))


def _slug(name: str) -> str:
    s = re.sub(r"[^\w.+-]+", "_", name, flags=re.UNICODE).strip("._") or "file"
    return s[:120]


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def safe_extract(archive: Path, target: Path, max_total: int = MAX_ZIP_TOTAL_BYTES,
                 max_member: int = MAX_ZIP_MEMBER_BYTES, max_entries: int = MAX_ZIP_ENTRIES) -> list[Path]:
    """Extract a zip into `target`, refusing anything that would escape it or exhaust the disk.

    Sizes are counted on the bytes actually decompressed, not the headers' claims."""
    target = target.resolve()
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as e:
        raise SubmissionsError(f"{archive.name} is not a readable zip file: {e}") from None
    written: list[Path] = []
    total = 0
    with zf:
        infos = zf.infolist()
        if len(infos) > max_entries:
            raise SubmissionsError(f"{archive.name} has {len(infos)} entries (at most {max_entries})")
        target.mkdir(parents=True, exist_ok=True)
        for info in infos:
            name = info.filename.replace("\\", "/")
            parts = [p for p in name.split("/") if p not in ("", ".")]
            if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in parts:
                raise SubmissionsError(f"{archive.name}: entry {info.filename!r} points outside the archive")
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise SubmissionsError(f"{archive.name}: entry {info.filename!r} is a symbolic link")
            if not parts or any(p in IGNORED_NAMES for p in parts):
                continue
            dest = target.joinpath(*parts)
            if not str(dest.resolve()).startswith(str(target) + os.sep):
                raise SubmissionsError(f"{archive.name}: entry {info.filename!r} points outside the archive")
            if info.is_dir():
                dest.mkdir(parents=True, exist_ok=True)
                continue
            if info.file_size > max_member:
                raise SubmissionsError(f"{archive.name}: {info.filename!r} is {info.file_size} bytes (at most {max_member})")
            dest.parent.mkdir(parents=True, exist_ok=True)
            size = 0
            try:
                with zf.open(info) as src, dest.open("wb") as out:
                    for block in iter(lambda: src.read(1 << 16), b""):
                        size += len(block)
                        total += len(block)
                        if size > max_member or total > max_total:
                            raise SubmissionsError(
                                f"{archive.name}: decompresses to more than the limit "
                                f"({max_member} bytes per file, {max_total} in all); refusing it")
                        out.write(block)
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError, OSError) as e:
                raise SubmissionsError(f"{archive.name}: cannot extract {info.filename!r}: {e}") from None
            os.chmod(dest, 0o644)
            written.append(dest)
    return written
