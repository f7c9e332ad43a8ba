"""What a loaded rubric is: questions, their concepts, aspects and misconceptions, and settings.

Built and validated by `rubric.load_rubric`; the format is documented in rubrics.toml.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .text import normalize


class RubricError(ValueError):
    """A malformed rubric file: the message names the file, line and key."""


@dataclass(frozen=True)
class Matcher:
    """Terms (compiled to word-aware regexes) and patterns (regexes), searched one sentence at a
    time."""

    terms: tuple[re.Pattern, ...] = ()
    patterns: tuple[re.Pattern, ...] = ()


class _Bilingual:
    """Something with an English and a Chinese wording (`en`, `zh`)."""

    en: str
    zh: str

    @property
    def label(self) -> str:
        return f"{self.en} ({self.zh})"


@dataclass(frozen=True)
class Aspect(_Bilingual):
    """A part of the question ("what it is", "why it happens"), worded so that naming it does not
    give the answer away: what students see of a missing concept before the deadline."""

    id: str
    en: str
    zh: str
    # the most this part of the question is worth, however many of its concepts an answer names
    # (a list of AlexNet's features without the why earns at most this); None: no cap
    max_points: float | None = None


@dataclass(frozen=True)
class Concept(_Bilingual):
    id: str
    points: float
    en: str
    zh: str
    matcher: Matcher
    aspect: str = ""  # Aspect.id


@dataclass(frozen=True)
class Misconception(_Bilingual):
    id: str
    en: str  # the correction shown to the student
    zh: str
    patterns: tuple[re.Pattern, ...]
    unless: tuple[re.Pattern, ...] = ()
    skip_if_negated: bool = True
    penalty: float = 1.0
    max_score: float | None = None
    voids: tuple[str, ...] = ()
    aspect: str = ""  # the part of the question it gets wrong


@dataclass(frozen=True)
class Question:
    grade_id: str
    title: str
    title_zh: str
    points: float
    concepts: tuple[Concept, ...]
    misconceptions: tuple[Misconception, ...] = ()
    core: tuple[str, ...] = ()
    max_without_core: float | None = None
    topic: tuple[re.Pattern, ...] = ()
    aspects: tuple[Aspect, ...] = ()

    @property
    def prompts(self) -> tuple[str, str]:
        return (self.title, self.title_zh)

    def aspect(self, aspect_id: str) -> Aspect | None:
        return next((a for a in self.aspects if a.id == aspect_id), None)


@dataclass(frozen=True)
class Settings:
    stub_texts: tuple[str, ...] = ("YOUR ANSWER HERE",)
    # Scores inside this share of the question's points are where a TA is most likely to disagree:
    # an answer there is flagged when the grader's confidence is also below review_confidence.
    review_band: tuple[float, float] = (0.3, 0.7)
    review_confidence: float = 0.75
    low_confidence: float = 0.6
    stuffing_cap: float = 1.0
    negation: re.Pattern = re.compile(r"\b(not|no|never)\b|不|没")
    technical_words: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Rubric:
    questions: dict[str, Question]
    settings: Settings = field(default_factory=Settings)
    source: str = "<rubric>"

    def raw_pattern_texts(self) -> list[str]:
        """Every regex text of the rubric (for tests that feedback never leaks them)."""
        out: list[str] = []
        for q in self.questions.values():
            for c in q.concepts:
                out += [p.pattern for p in c.matcher.patterns]
            for m in q.misconceptions:
                out += [p.pattern for p in m.patterns] + [p.pattern for p in m.unless]
        return out


_ASCII_ALNUM = re.compile(r"[a-z0-9]")


def compile_term(term: str) -> re.Pattern:
    """A rubric term as a regex over normalised text (see the rules in rubrics.toml)."""
    t = normalize(term).strip()
    prefix = t.endswith("*")
    t = t.rstrip("*").strip()
    if not t:
        raise ValueError("empty term")
    parts = [p for p in re.split(r"[\s\-_]+", t) if p]
    body = r"[\s\-_]*".join(re.escape(p) for p in parts)
    left = r"(?<![a-z0-9])" if _ASCII_ALNUM.match(t[0]) else ""
    if prefix or not _ASCII_ALNUM.match(t[-1]):
        right = ""
    elif t[-1].isdigit():
        right = r"(?![0-9])"
    else:
        right = r"(?:s|es)?(?![a-z0-9])"
    return re.compile(left + body + right)


__all__ = [
    "Aspect", "Concept", "Matcher", "Misconception", "Question", "Rubric", "RubricError", "Settings", "compile_term",
]
