"""The Jinja environment of the HTML pages (autoescaping on, every value made inert text first,\nundefined names are errors)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

TEMPLATES = Path(__file__).parent / "templates"


def _num(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{round(float(x), 2):g}"


def _finalize(value):
    """Every printed value: student text inert (escape.text: controls and bidi overrides shown,
    valid Unicode) before Jinja's autoescaping makes it HTML; our own markup (Markup) as it is."""
    from markupsafe import Markup

    from autograder.reporters.escape import text

    if isinstance(value, str) and not isinstance(value, Markup):
        return text(value)
    return value


@lru_cache(maxsize=1)
def environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                      finalize=_finalize)
    env.filters["num"] = _num
    env.globals["css"] = (TEMPLATES / "style.css").read_text(encoding="utf-8")
    return env


def render(template: str, **context) -> str:
    return environment().get_template(template).render(**context)
