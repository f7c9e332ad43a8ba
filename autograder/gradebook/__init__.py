"""The nbgrader gradebook: every database operation of the grader lives in this package.

The gradebook is nbgrader's own database, read and written through `nbgrader.api.Gradebook`
(a SQLite file by default, or any SQLAlchemy URL such as `postgresql://...`), so that
`nbgrader formgrader` shows our scores and a person's scores win.

- `url`         URLs and SQLite paths; passwords only from the environment or a file, masked
                wherever a URL is shown
- `location`    which gradebook a command uses (`--results DIR`, `--db`, `--db-file`,
                `$AUTOGRADER_DB_URL`, `--course`), found the same way everywhere
- `schema`      opening it (only grade-all creates one), tables, the rows a write needs
- `writes`      a class's automatic scores and comments (`write_gradebook`)
- `reads`       what it holds (`read_gradebook`, `get_overrides`)
- `overrides`   TA scores: `set_override`, `clear_override`, `apply_overrides`
- `formgrader`  the submitted notebooks where formgrader looks for them
- `deadlines`   due date, submission times, TA extensions and late penalties in nbgrader's columns
"""
from autograder.gradebook.deadlines import read_extensions, recorded, set_extension, write_lateness
from autograder.gradebook.formgrader import formgrader_root, write_formgrader_copies
from autograder.gradebook.location import GradebookLocation, explicit, locate, record_location
from autograder.gradebook.overrides import TA_NOTE, apply_overrides, clear_override, set_override
from autograder.gradebook.reads import CellGrade, GradebookState, Override, get_overrides, read_gradebook
from autograder.gradebook.schema import check_reachable, comment_cells, open_gradebook
from autograder.gradebook.url import (DEFAULT_DB_NAME, ENV_VAR, GradebookError, db_url_of, has_password, hide_secret,
                                      masked, sqlite_path, url_from_options)
from autograder.gradebook.writes import comment_for, write_gradebook

__all__ = [
    "CellGrade", "DEFAULT_DB_NAME", "ENV_VAR", "GradebookError", "GradebookLocation", "GradebookState", "Override",
    "TA_NOTE", "apply_overrides", "check_reachable", "clear_override", "comment_for", "db_url_of", "explicit", "formgrader_root",
    "get_overrides", "has_password", "hide_secret", "locate", "masked", "open_gradebook", "read_gradebook",
    "comment_cells", "read_extensions", "record_location", "recorded", "set_extension", "set_override",
    "sqlite_path", "url_from_options", "write_formgrader_copies", "write_gradebook", "write_lateness",
]
