"""The Jinja environment of the HTML pages (autoescaping on, undefined names are errors)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

TEMPLATES = Path(__file__).parent / "templates"


def _num(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{round(float(x), 2):g}"


@lru_cache(maxsize=1)
def environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["num"] = _num
    env.globals["css"] = (TEMPLATES / "style.css").read_text(encoding="utf-8")
    return env


def render(template: str, **context) -> str:
    return environment().get_template(template).render(**context)
