"""The one exception of `autograder release`: what went wrong, where, and what to do about it."""
from __future__ import annotations


class ReleaseError(Exception):
    """The release could not be generated; the committed release/ and solutions/ are untouched."""
