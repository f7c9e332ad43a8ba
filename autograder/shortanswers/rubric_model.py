"""What a loaded rubric is: questions, their concepts, aspects and misconceptions, and settings.

Built and validated by `rubric.load_rubric`; the format is documented in rubrics.toml.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

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
        return words(self.en, self.zh)


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
class Example:
    """An answer a TA scored (settings.examples; examples.py compares unsure answers with them)."""

    id: str
    grade_id: str
    score: float
    text: str
    source: str  # where the answer comes from: one write-up, "answer key", ...
    vector: Mapping[str, float] = field(default_factory=dict, compare=False, repr=False)  # n-grams of the prepared text


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
    examples: tuple[Example, ...] = ()  # labelled answers to this question (settings.examples)

    @property
    def prompts(self) -> tuple[str, ...]:
        return tuple(t for t in (self.title, self.title_zh) if t)

    def aspect(self, aspect_id: str) -> Aspect | None:
        return next((a for a in self.aspects if a.id == aspect_id), None)


@dataclass(frozen=True)
class Settings:
    """The rubric's settings ([settings] of rubrics.toml), each with its default and description."""

    stub_texts: tuple[str, ...] = field(default=("YOUR ANSWER HERE",), metadata={"help": (
        "placeholder lines of the release's answer cells: an answer that is only these is no answer")})
    # Scores inside this share of the question's points are where a TA is most likely to disagree:
    # an answer there is flagged when the grader's confidence is also below review_confidence.
    review_band: tuple[float, float] = field(default=(0.3, 0.7), metadata={"help": (
        "[low, high] shares of a question's points: an answer scored in this band is flagged for a TA "
        "when the grader's confidence is below review_confidence")})
    review_confidence: float = field(default=0.75, metadata={"help": (
        "confidence below which an answer in the review band is flagged")})
    low_confidence: float = field(default=0.6, metadata={"help": (
        "confidence below which any answer is flagged for a TA")})
    stuffing_cap: float = field(default=1.0, metadata={"help": (
        "most points an answer that reads like a list of terms can earn")})
    negation: re.Pattern = field(default=re.compile(r"\b(not|no|never)\b|不|没"), metadata={"help": (
        "a regular expression of the words that deny a concept in a sentence")})
    technical_words: frozenset[str] = field(default=frozenset(), metadata={"help": (
        "lower-case words of the course that the spelling mender knows as words (never 'mends')")})
    examples: str = field(default="", metadata={"help": (
        "a TOML file of answers a TA scored ([[answer]] id, grade_id, score, text, source), relative to "
        "the rubric file: an answer the grader is unsure of (confidence below review_confidence) may be "
        "raised toward what its most similar examples scored; empty: no examples")})
    examples_k: int = field(default=5, metadata={"help": (
        "how many of the most similar examples vote on an unsure answer's score")})
    examples_raise: float = field(default=0.5, metadata={"help": (
        "most points the similar examples may add to an unsure answer's score (never taken away)")})
    languages: tuple[str, ...] = field(default=("en", "zh"), metadata={"help": (
        "the languages every question, concept, aspect and misconception is worded in (en, zh): "
        "the wording keys (title/en for en, title_zh/zh for zh) each one requires; answers are read in either")})

    @classmethod
    def help(cls) -> dict[str, str]:
        from dataclasses import fields

        return {f.name: f.metadata["help"] for f in fields(cls)}


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


def words(en: str, zh: str) -> str:
    """A wording in the rubric's languages: "en (zh)", or the one there is."""
    return f"{en} ({zh})" if en and zh else en or zh


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
    "Aspect", "Concept", "Example", "Matcher", "Misconception", "Question", "Rubric", "RubricError", "Settings", "compile_term",
    "words",
]
