"""Settings of the similarity report, each with its default and the reason for it."""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Mapping


@dataclass(frozen=True)
class SimilarityConfig:
    noise_tokens: int = field(default=25, metadata={
        "help": "k: a match shorter than this many normalised code characters is never reported "
                "(copydetect's default noise threshold; about one statement)"})
    guarantee_tokens: int = field(default=30, metadata={
        "help": "a match at least this long is always found (winnowing window = guarantee - noise + 1)"})
    common_share: float = field(default=0.1, metadata={
        "help": "a fingerprint found in more than this share of the class is an idiom, not a copy, and is "
                "discounted (as MOSS's -m); see common_min"})
    common_min: int = field(default=10, metadata={
        "help": "... but only once it is found in more than this many students (a small class keeps all)"})
    min_shared: int = field(default=2, metadata={
        "help": "pairs sharing fewer fingerprints than this are not compared in detail (score 0)"})
    min_match_chars: int = field(default=60, metadata={
        "help": "a code match covering fewer normalised characters than this (about two statements) "
                "scores 0: a few shared lines of a tiny submission are not a finding"})
    full_match_chars: int = field(default=200, metadata={
        "help": "a code match this long (about six statements) is full evidence; a shorter one scores "
                "proportionally less, so a few shared lines of a student who wrote little do not rank first"})
    answer_shingle: int = field(default=3, metadata={
        "help": "short answers are compared as sets of this many consecutive words (a Chinese "
                "character counts as a word)"})
    min_answer_shingles: int = field(default=6, metadata={
        "help": "an answer with fewer shingles left (after the key's and the prompt's are removed) is too "
                "short to compare"})
    cluster_threshold: float = field(default=0.5, metadata={
        "help": "pairs scoring at least this are joined into clusters"})
    pairs_shown: int = field(default=200, metadata={"help": "pairs listed in the ranked table"})
    pairs_saved: int = field(default=5000, metadata={
        "help": "pairs written to similarity.json, best first (its histogram and counts cover every pair)"})
    pairs_detailed: int = field(default=30, metadata={
        "help": "top pairs whose matching code and answers are shown side by side"})
    context_lines: int = field(default=2, metadata={
        "help": "unmatched lines kept around each matching region in the side-by-side view"})
    max_code_chars: int = field(default=200_000, metadata={
        "help": "a student's own code is compared up to this many characters (homework is far shorter)"})

    @property
    def window(self) -> int:
        return self.guarantee_tokens - self.noise_tokens + 1

    def __post_init__(self) -> None:
        if self.noise_tokens < 5 or self.guarantee_tokens < self.noise_tokens:
            raise ValueError("similarity: need 5 <= noise_tokens <= guarantee_tokens")
        if not 0 < self.common_share <= 1 or not 0 <= self.cluster_threshold <= 1:
            raise ValueError("similarity: common_share must be in (0, 1] and cluster_threshold in [0, 1]")
        if self.answer_shingle < 1 or min(self.pairs_shown, self.pairs_saved, self.pairs_detailed) < 0:
            raise ValueError("similarity: answer_shingle must be >= 1 and pairs_shown/pairs_detailed >= 0")

    def max_df(self, n_students: int) -> int:
        """How many students may share a fingerprint before it counts as an idiom."""
        return max(self.common_min, int(self.common_share * n_students))

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> "SimilarityConfig":
        """From a TOML table such as `[similarity]` of an assignment's config; unknown keys are errors."""
        values = dict(values or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"similarity: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return cls(**values)

    @classmethod
    def help(cls) -> str:
        return "\n".join(f"{f.name} (default {f.default}): {f.metadata['help']}" for f in fields(cls))
