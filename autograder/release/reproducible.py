"""What "the same release" means on another machine.

The answer key is executed, and training floats differ by CPU kernel (AVX2, AVX-512, NEON...):
the same notebook, in the same pinned environment, renders a plot with different pixels, and a
printed loss may round the other way in its last digit. So the reproducibility contract is not
the bytes of those outputs; it is:

- every cell source, every piece of metadata, every output's type and structure: identical;
- every image output: present, a valid image of the same format and pixel size (its bytes may
  differ);
- every number printed in an output: identical, or one unit apart in its last printed digit
  (a rounding that went the other way), with the same number of digits.

`release` writes the committed bytes of a notebook back when its regeneration differs from them
only as allowed above, so `git status` stays clean on any machine; anything else (a changed
solution, a leaked line, a changed number) is a real difference, and `differences` names it.
"""
from __future__ import annotations

import base64
import io
import json
import re
import shutil
from pathlib import Path
from typing import Any

IMAGE_MIMES = frozenset({"image/png", "image/jpeg", "image/gif"})
_NUMBER = re.compile(r"(?<![\w.])([-+]?\d+(?:\.(\d+))?(?:[eE]([-+]?\d+))?)(?![\w.])")
MAX_SHOWN = 8


def _image(b64: Any) -> tuple[str, tuple[int, int]] | None:
    """(format, (width, height)) of a base64 image output, or None when it is not a valid image."""
    from PIL import Image

    try:
        data = base64.b64decode("".join(b64) if isinstance(b64, list) else b64, validate=False)
        with Image.open(io.BytesIO(data)) as im:
            fmt, size = im.format, im.size
            im.load()  # decodes every pixel: a truncated file fails here
        return fmt, size
    except Exception:  # noqa: BLE001 - any failure to decode means "not a valid image"
        return None


def _numbers_close(a: str, b: str) -> bool:
    """Whether two printed numbers are the same measurement: equal, or one unit apart in the
    last printed digit with the same digits after the point and the same exponent."""
    if a == b:
        return True
    ma, mb = _NUMBER.fullmatch(a), _NUMBER.fullmatch(b)
    if not ma or not mb or ma[2] is None or mb[2] is None:  # whole numbers (counts, shapes) must match
        return False
    if len(ma[2]) != len(mb[2]) or (ma[3] or "0").lstrip("+") != (mb[3] or "0").lstrip("+"):
        return False
    unit = 10.0 ** (-len(ma[2]) + int(ma[3] or 0))
    return abs(float(a) - float(b)) <= unit * 1.000001


def _text_same(a: str, b: str) -> bool:
    if a == b:
        return True
    na, nb = [m[0] for m in _NUMBER.finditer(a)], [m[0] for m in _NUMBER.finditer(b)]
    if _NUMBER.sub("#", a) != _NUMBER.sub("#", b) or len(na) != len(nb):
        return False
    return all(_numbers_close(x, y) for x, y in zip(na, nb))


def _joined(v: Any) -> Any:
    return "".join(v) if isinstance(v, list) and all(isinstance(x, str) for x in v) else v


def _walk(old: Any, new: Any, where: str, in_output: bool, out: list[str]) -> None:
    if len(out) >= MAX_SHOWN:
        return
    if in_output:
        old, new = _joined(old), _joined(new)
    if isinstance(old, dict) and isinstance(new, dict):
        if set(old) != set(new):
            out.append(f"{where}: keys {sorted(set(old) ^ set(new))} differ")
            return
        for key in old:
            if in_output and key in IMAGE_MIMES:
                a, b = _image(old[key]), _image(new[key])
                if a is None or b is None or a != b:
                    out.append(f"{where}.{key}: images differ in format or size, or one is not valid ({a} vs {b})")
                continue
            _walk(old[key], new[key], f"{where}.{key}", in_output or key == "outputs", out)
    elif isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            out.append(f"{where}: {len(old)} items committed, {len(new)} generated")
            return
        for i, (a, b) in enumerate(zip(old, new)):
            _walk(a, b, f"{where}[{i}]", in_output, out)
    elif isinstance(old, str) and isinstance(new, str) and in_output:
        if not _text_same(old, new):
            out.append(f"{where}: output text differs: {_first_difference(old, new)}")
    elif old != new or type(old) is not type(new):
        out.append(f"{where}: {_first_difference(str(old), str(new))}")


def _first_difference(a: str, b: str) -> str:
    la, lb = a.splitlines() or [""], b.splitlines() or [""]
    for x, y in zip(la, lb):
        if x != y:
            return f"{x.strip()[:100]!r} committed, {y.strip()[:100]!r} generated"
    return f"{len(la)} lines committed, {len(lb)} generated"


def differences(committed: bytes, generated: bytes) -> list[str]:
    """What differs between two versions of a generated file beyond what the contract allows
    (empty: the same release). Notebooks are compared by the contract; other files by bytes."""
    if committed == generated:
        return []
    try:
        old, new = json.loads(committed), json.loads(generated)
    except ValueError:
        return ["the bytes differ"]
    if not (isinstance(old, dict) and isinstance(new, dict) and "cells" in old and "cells" in new):
        return ["the bytes differ"]
    out: list[str] = []
    _walk(old, new, "notebook", False, out)
    return out or (["the files differ in formatting"] if _reformatted(old, new, committed, generated) else [])


def _reformatted(old: dict, new: dict, committed: bytes, generated: bytes) -> bool:
    """Same JSON, other bytes (indentation, key order): not the release's own formatting."""
    return old == new and committed != generated


def keep_committed(generated_dir: Path, committed_dir: Path) -> list[Path]:
    """For each generated notebook whose committed version (same path under `committed_dir`)
    is the same release by the contract, write the committed bytes in its place. Returns the
    paths (relative) whose committed bytes were kept."""
    kept = []
    for path in sorted(generated_dir.rglob("*.ipynb")):
        rel = path.relative_to(generated_dir)
        committed = committed_dir / rel
        if not committed.is_file():
            continue
        old, new = committed.read_bytes(), path.read_bytes()
        if old != new and not differences(old, new):
            shutil.copyfile(committed, path)
            kept.append(rel)
    return kept
