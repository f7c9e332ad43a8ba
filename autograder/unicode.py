"""Text that is valid Unicode, wherever it came from.

A notebook's JSON may hold "\\ud800" escapes (valid JSON, not encodable as UTF-8), a student's
exception message or print a lone surrogate, a file name a byte that is not UTF-8 (Python gives
it as a surrogate). Such text crashes every writer of UTF-8 output, so it is made valid where it
enters the grader (notebook reading, file names, worker replies: wire.py keeps its own copy of
this one rule, the worker's runtime cannot import the package): each lone surrogate becomes
U+FFFD, the replacement character.
"""
from __future__ import annotations

import re
from typing import Any

SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def valid(text: str) -> str:
    """`text` with every lone surrogate replaced by U+FFFD (the same object when there is none)."""
    return SURROGATE.sub(REPLACEMENT, text) if SURROGATE.search(text) else text


def valid_tree(value: Any) -> Any:
    """Every string of a JSON-like value (dict keys included) made valid, in a new value."""
    if isinstance(value, str):
        return valid(value)
    if isinstance(value, list):
        return [valid_tree(v) for v in value]
    if isinstance(value, dict):
        return {valid_tree(k): valid_tree(v) for k, v in value.items()}
    return value
