"""Gradebook URLs: SQLite files and SQLAlchemy URLs, and keeping their passwords secret.

A database password never comes from the command line (every local user can read any process's
arguments in /proc/<pid>/cmdline): `--db` takes a file path or a URL without a password, and a
URL with one comes from the environment (`AUTOGRADER_DB_URL`) or a file (`--db-file PATH`, its
first line). Wherever a URL is shown (messages, reports, logs, printed commands) it is `masked`.
"""
from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DB_NAME = "gradebook.db"
ENV_VAR = "AUTOGRADER_DB_URL"
MASK = "***"


class GradebookError(ValueError):
    """A gradebook operation could not be carried out; the message says why, for the user."""


def db_url_of(db: str | Path) -> str:
    """An SQLAlchemy URL: a URL is kept, a file path becomes sqlite:///<absolute path>."""
    s = str(db)
    if "://" in s:
        return s
    return f"sqlite:///{Path(s).expanduser().resolve()}"


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (to hide it from workers, to tell whether it exists), else None."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        return Path(url[len("sqlite:///"):])
    return None


def _password(url: str) -> str | None:
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).password
    except Exception:  # noqa: BLE001 - not a URL SQLAlchemy can parse: look for user:password@ by hand
        rest = url.split("://", 1)[-1]
        creds = rest.split("@", 1)[0] if "@" in rest else ""
        return creds.split(":", 1)[1] if ":" in creds else None


def has_password(url: str) -> bool:
    return bool(_password(url))


def masked(url: str) -> str:
    """`url` with its password replaced by ***, fit to print."""
    pw = _password(url)
    if not pw:
        return url
    return hide_secret(url, url)


def hide_secret(text: str, url: str | None) -> str:
    """`text` (an error message, a log line) with the password of `url` replaced by ***,
    however the driver quoted it."""
    if not url:
        return text
    pw = _password(url)
    if not pw:
        return text
    from urllib.parse import quote, quote_plus

    for form in sorted({pw, quote(pw, safe=""), quote_plus(pw)}, key=len, reverse=True):
        text = text.replace(form, MASK)
    return text


def url_from_options(db: str | None = None, db_file: Path | None = None,
                     environ: dict[str, str] | None = None) -> tuple[str, str] | None:
    """The gradebook URL a user gave, and how (for messages), or None when none was given:
    `--db` (a SQLite path or a URL without a password), `--db-file PATH`, or $AUTOGRADER_DB_URL.
    Raises GradebookError for a password on the command line or an unreadable file."""
    environ = os.environ if environ is None else environ
    given = [name for name, v in (("--db", db), ("--db-file", db_file)) if v]
    if len(given) > 1:
        raise GradebookError("give the gradebook once: --db or --db-file, not both")
    if db:
        if has_password(db):
            raise GradebookError(
                f"--db {masked(db)}: a password on the command line is visible to every user of this machine "
                f"(/proc/*/cmdline); put the URL in the environment ({ENV_VAR}=...) or in a file only you can "
                "read (--db-file PATH)")
        return db_url_of(db), "--db"
    if db_file:
        try:
            text = Path(db_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise GradebookError(f"--db-file {db_file}: cannot read it ({getattr(e, 'strerror', None) or e})") from None
        line = next((ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")), "")
        if not line:
            raise GradebookError(f"--db-file {db_file} is empty; write the gradebook URL on its first line")
        return db_url_of(line), "--db-file"
    env = environ.get(ENV_VAR, "").strip()
    if env:
        return db_url_of(env), ENV_VAR
    return None
