"""Loading and validating `grading/rubrics.toml` (the format is documented in that file).

`load_rubric(path)` returns a `Rubric` (see rubric_model.py) with every term and pattern compiled,
or raises `RubricError` naming the file, the line where it can be found and the key that is wrong.
"""
from __future__ import annotations

import dataclasses
import re
import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from .rubric_model import (
    Aspect, Concept, Matcher, Misconception, Question, Rubric, RubricError, Settings, compile_term,
)
from .examples import with_examples
from .text import CJK

# ---------------------------------------------------------------------------------------------
# loading

_TOP_KEYS = {"settings", "questions"}
_SETTINGS_KEYS = {f.name for f in dataclasses.fields(Settings)}
LANGUAGES = {"en": ("title", "en"), "zh": ("title_zh", "zh")}  # language -> its wording keys
_QUESTION_KEYS = {"title", "title_zh", "points", "core", "max_without_core", "topic", "aspects", "concepts",
                  "misconceptions"}
_ASPECT_KEYS = {"id", "en", "zh", "max"}
_CONCEPT_KEYS = {"id", "points", "en", "zh", "terms", "patterns", "aspect"}
_MISC_KEYS = {"id", "en", "zh", "patterns", "unless", "skip_if_negated", "penalty", "max_score", "voids", "aspect"}

class _Ctx:
    """Error messages with the file, the line and the key."""

    def __init__(self, path: str, raw: str):
        self.path = path
        self.lines = raw.splitlines()

    def _find(self, pred, start: int = 1, stop=None) -> int | None:
        for i in range(max(1, start), len(self.lines) + 1):
            line = self.lines[i - 1]
            if stop is not None and i > start and stop(line):
                return None
            if pred(line):
                return i
        return None

    def anchor(self, qid: str | None = None, kind: str | None = None, index: int | None = None,
               header: str | None = None) -> int | None:
        """Line of [settings] / [questions.<qid>] / the index-th [[questions.<qid>.<kind>]]."""
        if header:
            return self._find(lambda l: l.strip() == header)
        if qid is None:
            return None
        q_hdr = f"[questions.{qid}]"
        q_line = self._find(lambda l: l.strip() == q_hdr)
        if kind is None:
            return q_line
        item_hdr = f"[[questions.{qid}.{kind}]]"
        seen = -1
        for i, line in enumerate(self.lines, 1):
            if line.strip() == item_hdr:
                seen += 1
                if seen == (index or 0):
                    return i
        return q_line

    def line_of_key(self, key: str, anchor: int | None) -> int | None:
        """The line of `leaf = ...` in the table starting at `anchor` (stops at the next [table])."""
        leaf = re.sub(r"\[\d+\]$", "", key.rsplit(".", 1)[-1])
        if anchor is None or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", leaf):
            return anchor
        pat = re.compile(rf"^\s*{re.escape(leaf)}\s*=")
        found = self._find(pat.match, anchor + 1, stop=lambda l: l.lstrip().startswith("["))
        return found or anchor

    def error(self, key: str, msg: str, anchor: int | None) -> RubricError:
        line = self.line_of_key(key, anchor)
        where = f"{self.path}" + (f", line {line}" if line else "")
        return RubricError(f"{where}: {key}: {msg}")


def _number(ctx: _Ctx, key: str, value: Any, at: int | None, *, minimum: float = 0.0, allow_zero: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ctx.error(key, f"must be a number, got {value!r}", at)
    v = float(value)
    if v < minimum or (not allow_zero and v == 0):
        raise ctx.error(key, f"must be {'>' if not allow_zero else '>='} {minimum:g}, got {value!r}", at)
    if abs(v * 2 - round(v * 2)) > 1e-9:
        raise ctx.error(key, f"must be a multiple of 0.5 (half points), got {value!r}", at)
    return v


def _str(ctx: _Ctx, key: str, value: Any, at: int | None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ctx.error(key, f"must be a non-empty string, got {value!r}", at)
    return value.strip()


def _str_list(ctx: _Ctx, key: str, value: Any, at: int | None) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ctx.error(key, f"must be a list of strings, got {value!r}", at)
    return value


def _regexes(ctx: _Ctx, key: str, value: Any, at: int | None) -> tuple[re.Pattern, ...]:
    out = []
    for i, p in enumerate(_str_list(ctx, key, value, at)):
        try:
            out.append(re.compile(p))
        except re.error as e:
            raise ctx.error(f"{key}[{i}]", f"invalid regular expression {p!r}: {e}", at) from None
    return tuple(out)


def _terms(ctx: _Ctx, key: str, value: Any, at: int | None) -> tuple[re.Pattern, ...]:
    out = []
    for i, t in enumerate(_str_list(ctx, key, value, at)):
        try:
            out.append(compile_term(t))
        except ValueError as e:
            raise ctx.error(f"{key}[{i}]", f"invalid term {t!r}: {e}", at) from None
    return tuple(out)


def _unknown(ctx: _Ctx, key: str, table: dict, allowed: set[str], at: int | None) -> None:
    extra = sorted(set(table) - allowed)
    if extra:
        raise ctx.error(f"{key}.{extra[0]}", f"unknown key (allowed: {', '.join(sorted(allowed))})", at)


def _table_list(ctx: _Ctx, key: str, value: Any, at: int | None) -> list[dict]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ctx.error(key, "must be an array of tables ([[...]] sections)", at)
    return value


def _load_settings(ctx: _Ctx, d: Any) -> Settings:
    at = ctx.anchor(header="[settings]")
    if not isinstance(d, dict):
        raise ctx.error("settings", "must be a table", at)
    _unknown(ctx, "settings", d, _SETTINGS_KEYS, at)
    kw: dict[str, Any] = {}
    if "stub_texts" in d:
        kw["stub_texts"] = tuple(_str_list(ctx, "settings.stub_texts", d["stub_texts"], at))
    if "review_band" in d:
        band = d["review_band"]
        if (not isinstance(band, list) or len(band) != 2
                or any(isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1 for v in band)):
            raise ctx.error("settings.review_band", f"must be [low, high], shares of the question's points in [0, 1], got {band!r}", at)
        if band[0] > band[1]:
            raise ctx.error("settings.review_band", f"low {band[0]:g} is above high {band[1]:g}", at)
        kw["review_band"] = (float(band[0]), float(band[1]))
    for name in ("low_confidence", "review_confidence"):
        if name in d:
            v = d[name]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1:
                raise ctx.error(f"settings.{name}", f"must be a number in [0, 1], got {v!r}", at)
            kw[name] = float(v)
    if "technical_words" in d:
        words = _str_list(ctx, "settings.technical_words", d["technical_words"], at)
        bad = [w for w in words if not re.fullmatch(r"[a-z][a-z0-9]*", w)]
        if bad:
            raise ctx.error("settings.technical_words", f"must be lower-case ASCII words, got {bad[0]!r}", at)
        kw["technical_words"] = frozenset(words)
    if "stuffing_cap" in d:
        kw["stuffing_cap"] = _number(ctx, "settings.stuffing_cap", d["stuffing_cap"], at)
    if "examples_raise" in d:
        kw["examples_raise"] = _number(ctx, "settings.examples_raise", d["examples_raise"], at)
    if "examples" in d:
        kw["examples"] = _str(ctx, "settings.examples", d["examples"], at)
    if "examples_k" in d:
        k = d["examples_k"]
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ctx.error("settings.examples_k", f"must be a whole number >= 1, got {k!r}", at)
        kw["examples_k"] = k
    if "languages" in d:
        langs = _str_list(ctx, "settings.languages", d["languages"], at)
        if not langs or len(set(langs)) != len(langs) or not set(langs) <= set(LANGUAGES):
            raise ctx.error("settings.languages", f"must be a non-empty list of {', '.join(LANGUAGES)} "
                                                  f"(each once), got {langs!r}", at)
        kw["languages"] = tuple(langs)
    if "negation" in d:
        if not isinstance(d["negation"], str):
            raise ctx.error("settings.negation", f"must be one regular expression (a string), got {d['negation']!r}", at)
        kw["negation"] = _regexes(ctx, "settings.negation", [d["negation"]], at)[0]
    return dataclasses.replace(Settings(), **kw)


def _wording(ctx: _Ctx, key: str, d: dict, at: int | None, langs: tuple[str, ...], title: bool = False) -> tuple[str, str]:
    """(English, Chinese) wording of an item: required in the rubric's languages, optional in others."""
    out = []
    for lang, keys in LANGUAGES.items():
        name = keys[0] if title else keys[1]
        if name in d:
            out.append(_str(ctx, f"{key}.{name}", d[name], at))
        elif lang in langs:
            raise ctx.error(f"{key}.{name}", f"missing (the rubric's languages are {', '.join(langs)})", at)
        else:
            out.append("")
    return out[0], out[1]


def _load_question(ctx: _Ctx, qid: str, d: Any, langs: tuple[str, ...] = ("en", "zh"),
                   points_of: dict[str, float] | None = None) -> Question:
    at = ctx.anchor(qid)
    key = f"questions.{qid}"
    if not isinstance(d, dict):
        raise ctx.error(key, "must be a table", at)
    _unknown(ctx, key, d, _QUESTION_KEYS, at)
    for req in ("concepts",) + (() if points_of is not None else ("points",)):
        if req not in d:
            raise ctx.error(f"{key}.{req}", "missing", at)
    title, title_zh = _wording(ctx, key, d, at, langs, title=True)
    if "points" in d:
        points = _number(ctx, f"{key}.points", d["points"], at, allow_zero=False)
        if points_of is not None and qid in points_of and abs(points_of[qid] - points) > 1e-9:
            raise ctx.error(f"{key}.points", f"{points:g}, but the notebook's answer cell {qid} is worth "
                                             f"{points_of[qid]:g} (release/<assignment>/manifest.json); "
                                             "leave points out to take the notebook's", at)
    elif points_of is not None and qid in points_of:
        points = points_of[qid]
    else:
        raise ctx.error(f"{key}.points", f"missing, and no answer cell {qid} in the notebooks gives it", at)

    aspects = _load_aspects(ctx, qid, d.get("aspects", []), at, langs)
    aspect_ids = {a.id for a in aspects}
    concepts: list[Concept] = []
    seen: set[str] = set()
    for i, c in enumerate(_table_list(ctx, f"{key}.concepts", d["concepts"], at)):
        ck = f"{key}.concepts[{i}]"
        cat = ctx.anchor(qid, "concepts", i)
        _unknown(ctx, ck, c, _CONCEPT_KEYS, cat)
        for req in ("id", "points"):
            if req not in c:
                raise ctx.error(f"{ck}.{req}", "missing", cat)
        c_en, c_zh = _wording(ctx, ck, c, cat, langs)
        cid = _str(ctx, f"{ck}.id", c["id"], cat)
        if cid in seen:
            raise ctx.error(f"{ck}.id", f"duplicate concept id {cid!r}", cat)
        seen.add(cid)
        terms = _terms(ctx, f"{ck}.terms", c.get("terms", []), cat)
        patterns = _regexes(ctx, f"{ck}.patterns", c.get("patterns", []), cat)
        if not terms and not patterns:
            raise ctx.error(ck, "needs at least one of terms or patterns", cat)
        concepts.append(Concept(
            id=cid,
            points=_number(ctx, f"{ck}.points", c["points"], cat, allow_zero=False),
            en=c_en,
            zh=c_zh,
            matcher=Matcher(terms, patterns),
            aspect=_aspect_ref(ctx, f"{ck}.aspect", c.get("aspect"), aspect_ids, cat),
        ))
    if not concepts:
        raise ctx.error(f"{key}.concepts", "at least one concept is needed", at)
    total = sum(c.points for c in concepts)
    if total < points:
        raise ctx.error(
            f"{key}.concepts",
            f"concept points add up to {total:g}, less than the question's {points:g} points: "
            "a full answer could not get full marks", at,
        )

    miscs: list[Misconception] = []
    mseen: set[str] = set()
    for i, m in enumerate(_table_list(ctx, f"{key}.misconceptions", d.get("misconceptions", []), at)):
        mk = f"{key}.misconceptions[{i}]"
        mat = ctx.anchor(qid, "misconceptions", i)
        _unknown(ctx, mk, m, _MISC_KEYS, mat)
        for req in ("id", "patterns"):
            if req not in m:
                raise ctx.error(f"{mk}.{req}", "missing", mat)
        m_en, m_zh = _wording(ctx, mk, m, mat, langs)
        mid = _str(ctx, f"{mk}.id", m["id"], mat)
        if mid in mseen:
            raise ctx.error(f"{mk}.id", f"duplicate misconception id {mid!r}", mat)
        mseen.add(mid)
        patterns = _regexes(ctx, f"{mk}.patterns", m["patterns"], mat)
        if not patterns:
            raise ctx.error(f"{mk}.patterns", "at least one pattern is needed", mat)
        voids = tuple(_str_list(ctx, f"{mk}.voids", m.get("voids", []), mat))
        for v in voids:
            if v not in seen:
                raise ctx.error(f"{mk}.voids", f"no concept {v!r} in this question (known: {', '.join(sorted(seen))})", mat)
        skip = m.get("skip_if_negated", True)
        if not isinstance(skip, bool):
            raise ctx.error(f"{mk}.skip_if_negated", f"must be true or false, got {skip!r}", mat)
        max_score = None
        if "max_score" in m:
            max_score = _number(ctx, f"{mk}.max_score", m["max_score"], mat)
        miscs.append(Misconception(
            id=mid,
            en=m_en,
            zh=m_zh,
            patterns=patterns,
            unless=_regexes(ctx, f"{mk}.unless", m.get("unless", []), mat),
            skip_if_negated=skip,
            penalty=_number(ctx, f"{mk}.penalty", m.get("penalty", 1.0), mat),
            max_score=max_score,
            voids=voids,
            aspect=_aspect_ref(ctx, f"{mk}.aspect", m.get("aspect"), aspect_ids, mat, required=False),
        ))

    core = tuple(_str_list(ctx, f"{key}.core", d.get("core", []), at))
    for cid in core:
        if cid not in seen:
            raise ctx.error(f"{key}.core", f"no concept {cid!r} in this question (known: {', '.join(sorted(seen))})", at)
    mwc = None
    if "max_without_core" in d:
        mwc = _number(ctx, f"{key}.max_without_core", d["max_without_core"], at)
        if mwc > points:
            raise ctx.error(f"{key}.max_without_core", f"{mwc:g} is above the question's {points:g} points", at)
    topic = _terms(ctx, f"{key}.topic", d.get("topic", []), at)
    return Question(
        grade_id=qid, title=title, title_zh=title_zh, points=points, concepts=tuple(concepts),
        misconceptions=tuple(miscs), core=core, max_without_core=mwc, topic=topic, aspects=aspects,
    )


def _load_aspects(ctx: _Ctx, qid: str, value: Any, at: int | None, langs: tuple[str, ...]) -> tuple[Aspect, ...]:
    out: list[Aspect] = []
    for i, a in enumerate(_table_list(ctx, f"questions.{qid}.aspects", value, at)):
        ak = f"questions.{qid}.aspects[{i}]"
        aat = ctx.anchor(qid, "aspects", i)
        _unknown(ctx, ak, a, _ASPECT_KEYS, aat)
        if "id" not in a:
            raise ctx.error(f"{ak}.id", "missing", aat)
        aid = _str(ctx, f"{ak}.id", a["id"], aat)
        if any(x.id == aid for x in out):
            raise ctx.error(f"{ak}.id", f"duplicate aspect id {aid!r}", aat)
        en, zh = _wording(ctx, ak, a, aat, langs)
        if zh and not re.search(f"[{CJK}]", zh):
            raise ctx.error(f"{ak}.zh", f"must be Chinese text, got {zh!r}", aat)
        cap = _number(ctx, f"{ak}.max", a["max"], aat, allow_zero=False) if "max" in a else None
        out.append(Aspect(aid, en, zh, cap))
    return tuple(out)


def _aspect_ref(ctx: _Ctx, key: str, value: Any, known: set[str], at: int | None, *, required: bool = True) -> str:
    """The aspect a concept belongs to: required once the question declares aspects (students are
    shown aspects, never a concept's wording, before the deadline)."""
    if value is None:
        if known and required:
            raise ctx.error(key, f"missing: the question declares aspects ({', '.join(sorted(known))}); "
                                 "every concept names the one it answers", at)
        return ""
    ref = _str(ctx, key, value, at)
    if ref not in known:
        raise ctx.error(key, f"no aspect {ref!r} in this question (known: {', '.join(sorted(known)) or 'none'})", at)
    return ref


def parse_rubric(raw: str, source: str = "<rubric>", points: dict[str, float] | None = None) -> Rubric:
    """Validate and compile rubric text; raises RubricError (file, line, key) when it is wrong.
    `points`: the answer cells' points from the manifest (grade id -> points); a question may then
    leave its points out, and one that gives them must agree."""
    ctx = _Ctx(source, raw)
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"at line (\d+)", str(e))
        where = f"{source}, line {m.group(1)}" if m else source
        raise RubricError(f"{where}: not valid TOML: {e}") from None
    _unknown(ctx, "(top level)", data, _TOP_KEYS, None)
    settings = _load_settings(ctx, data["settings"]) if "settings" in data else Settings()
    qs = data.get("questions")
    if not isinstance(qs, dict) or not qs:
        raise ctx.error("questions", "no [questions.<grade_id>] sections found", None)
    questions = {qid: _load_question(ctx, qid, q, settings.languages, points) for qid, q in qs.items()}
    return Rubric(questions=questions, settings=settings, source=source)


def load_rubric(path: str | Path, points: dict[str, float] | None = None) -> Rubric:
    """Load and validate a rubric file; raises RubricError (file, line, key) when it is wrong.
    `points`: the answer cells' points from the manifest (see parse_rubric)."""
    p = Path(path)
    try:
        raw = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RubricError(f"{p}: rubric file not found") from None
    except UnicodeDecodeError as e:
        raise RubricError(f"{p}: not UTF-8 text: {e}") from None
    rubric = parse_rubric(raw, str(p), points)
    return with_examples(rubric, p.parent / rubric.settings.examples) if rubric.settings.examples else rubric


__all__ = [
    "Aspect", "Concept", "Matcher", "Misconception", "Question", "Rubric", "RubricError", "Settings",
    "compile_term", "load_rubric", "parse_rubric",
]
